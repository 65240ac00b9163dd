//! Injected time and ids. The service reads the clock and makes ids; nothing below it does, so a
//! replay with the same clock readings and ids produces byte-identical events and hashes.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use uuid::Uuid;

use crate::domain::Timestamp;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock, for the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let since_epoch =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("the system clock is after 1970");
        Timestamp::from_unix_micros(since_epoch.as_micros() as i64)
    }
}

/// A simulated clock, set by hand: the demo, imports of history and tests run on it.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn starting_at(at: Timestamp) -> ManualClock {
        ManualClock(AtomicI64::new(at.unix_micros()))
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.unix_micros(), Ordering::SeqCst);
    }

    pub fn advance_micros(&self, micros: i64) {
        self.0.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_micros(self.0.load(Ordering::SeqCst))
    }
}

pub trait IdSource: Send + Sync {
    /// A fresh UUID v7 whose time part is `at`.
    fn next_id(&self, at: Timestamp) -> Uuid;
}

/// Random UUID v7s, for the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&self, at: Timestamp) -> Uuid {
        let micros = at.unix_micros().max(0) as u64;
        let timestamp =
            uuid::Timestamp::from_unix(uuid::NoContext, micros / 1_000_000, (micros % 1_000_000) as u32 * 1_000);
        Uuid::new_v7(timestamp)
    }
}

/// Deterministic UUID v7s: the time part from `at`, the rest from blake3(seed ‖ counter).
#[derive(Debug)]
pub struct SeededIds {
    seed: [u8; 32],
    counter: AtomicU64,
}

impl SeededIds {
    pub fn new(seed: &str) -> SeededIds {
        SeededIds { seed: *blake3::hash(seed.as_bytes()).as_bytes(), counter: AtomicU64::new(0) }
    }
}

impl IdSource for SeededIds {
    fn next_id(&self, at: Timestamp) -> Uuid {
        let counter = self.counter.fetch_add(1, Ordering::SeqCst);
        let mut hasher = blake3::Hasher::new_keyed(&self.seed);
        hasher.update(&counter.to_be_bytes());
        let mut random = [0u8; 10];
        random.copy_from_slice(&hasher.finalize().as_bytes()[..10]);
        let millis = (at.unix_micros().max(0) / 1_000) as u64;
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_for_the_same_seed_and_differ_otherwise() {
        let at = Timestamp::from_civil(2017, 7, 11, 9, 0, 0).unwrap();
        let (a, b) = (SeededIds::new("x"), SeededIds::new("x"));
        let first = a.next_id(at);
        assert_eq!(first, b.next_id(at));
        assert_ne!(first, a.next_id(at));
        assert_eq!(first.get_version_num(), 7);
        assert_ne!(SeededIds::new("y").next_id(at), first);
    }
}
