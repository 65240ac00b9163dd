//! Injected time, ids and randomness. The service reads the clock, makes ids and draws random bytes
//! (the keys and nonces of sealed personal texts); nothing below it does, so a replay with the same
//! clock readings, ids and random bytes produces byte-identical events and hashes.

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

    /// Fills `bytes` with fresh random bytes: a person's key, a sealed text's nonce. A source that
    /// cannot (the operating system refused) says so; the command then fails and records nothing.
    fn fill_random(&self, bytes: &mut [u8]) -> Result<(), RandomnessUnavailable>;
}

/// The operating system gave no random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's randomness is unavailable: {0}")]
pub struct RandomnessUnavailable(pub String);

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

    fn fill_random(&self, bytes: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        getrandom::fill(bytes).map_err(|error| RandomnessUnavailable(error.to_string()))
    }
}

/// Deterministic UUID v7s: the time part from `at`, the rest from blake3(seed ‖ counter); and
/// deterministic random bytes from a second counter (so drawing keys and nonces never shifts the ids a
/// seed gives), for the demo and tests. Not for a real ledger: anyone who knows the seed knows the keys.
#[derive(Debug)]
pub struct SeededIds {
    seed: [u8; 32],
    counter: AtomicU64,
    random_counter: AtomicU64,
}

impl SeededIds {
    pub fn new(seed: &str) -> SeededIds {
        SeededIds {
            seed: *blake3::hash(seed.as_bytes()).as_bytes(),
            counter: AtomicU64::new(0),
            random_counter: AtomicU64::new(0),
        }
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

    fn fill_random(&self, bytes: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        let counter = self.random_counter.fetch_add(1, Ordering::SeqCst);
        let mut hasher = blake3::Hasher::new_keyed(&self.seed);
        // Its own prefix, so these bytes never equal the random part of an id.
        hasher.update(b"random bytes\n");
        hasher.update(&counter.to_be_bytes());
        hasher.finalize_xof().fill(bytes);
        Ok(())
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

    #[test]
    fn seeded_random_bytes_repeat_for_the_same_seed_and_leave_the_ids_alone() {
        let at = Timestamp::from_civil(2017, 7, 11, 9, 0, 0).unwrap();
        let (a, b) = (SeededIds::new("x"), SeededIds::new("x"));
        let (mut one, mut two) = ([0u8; 32], [0u8; 32]);
        a.fill_random(&mut one).unwrap();
        b.fill_random(&mut two).unwrap();
        assert_eq!(one, two);
        a.fill_random(&mut two).unwrap();
        assert_ne!(one, two, "each draw is new");
        assert_eq!(a.next_id(at), SeededIds::new("x").next_id(at), "drawing bytes does not move the ids");
        let mut random = [0u8; 24];
        RandomIds.fill_random(&mut random).unwrap();
        assert_ne!(random, [0u8; 24]);
    }
}
