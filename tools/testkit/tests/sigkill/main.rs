//! The test kit's one test binary: the ledger a SIGKILLed writer leaves, checked as it is (`crash`)
//! and after a fault injected into each of its files (`faults`). Both drive the `crash-child` binary,
//! so they live beside it in this package; one binary lets them run side by side.

mod crash;
mod faults;
