//! The service: load state → decide → append → project. It owns the clock and id generation.
pub mod clock;

pub use clock::{Clock, IdSource, ManualClock, RandomIds, SeededIds, SystemClock};
