//! The domain: ids, commands, events and the rules that decide between them. Pure: no I/O, no clock.
pub mod timestamp;

pub use timestamp::Timestamp;
