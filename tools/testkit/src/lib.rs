//! kpi-testkit: test data for kpi-ledger, kept out of the product. Deterministic generated histories
//! by seed and size (`generator`), scripted stories run through the rules (`generator::run_story`),
//! the fixed sample chain whose head hash a golden test pins (`sample`), the article's 2017 story
//! as the tests tell it (`story`), synthetic sealed chains for
//! tests of the store alone (`chains`), and the crash child the SIGKILL tests run (`src/bin`).
//!
//! Invariant: everything here builds chains with the ledger's own sealing (`chain::Chain`,
//! `chain::seal_body`), so what the kit makes is byte for byte what the ledger would store.

pub mod chains;
pub mod faults;
pub mod generator;
pub mod sample;
pub mod story;
