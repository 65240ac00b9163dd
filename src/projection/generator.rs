//! A deterministic generator of assessment histories, by seed and size: realistic ones (`Size::S`:
//! one city, 12 counties, ~100 sections, a year of monthly assessment; `Size::M`: one province, 15
//! cities, 150 counties, ~1,500 sections, a year) for the demo and benchmarks, and small random ones
//! driven by a `Choose` source for property tests. `seal` chains the events exactly as the store
//! does, so projections can be tested without a store and compared with one.
//!
//! Invariant: pure and deterministic — the same seed and size (or the same choices) give the same
//! events, ids, times and hashes; every event was accepted by `domain::decide` against the events
//! before it.

mod random;
mod sized;
mod world;

use std::collections::BTreeMap;

use crate::chain::{self, link_hash, EventBody, Hash, GENESIS_HASH};
use crate::domain::{Event, EventId, State, Timestamp};

use super::recorded::Recorded;

/// How big a realistic history is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// One city, 12 counties with 8 sections each, a year.
    S,
    /// One province, 15 cities of 10 counties with 10 sections each, a year.
    M,
}

/// One event as the generator recorded it: what an append request needs, and the decoded event.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedEvent {
    pub stream: String,
    pub event_id: EventId,
    pub recorded_at: Timestamp,
    pub actor: chain::Actor,
    pub event: Event,
}

/// A generated history and the domain state it leaves.
#[derive(Clone, Debug)]
pub struct History {
    pub events: Vec<GeneratedEvent>,
    pub state: State,
}

/// A source of choices: `below(n)` is in `0..n` (0 for `n == 0`).
pub trait Choose {
    fn below(&mut self, n: u64) -> u64;
    /// Whether the source has run dry (a scripted source); a seeded one never does.
    fn exhausted(&self) -> bool {
        false
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// SplitMix64: tiny, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub struct SeededChoices(u64);

impl SeededChoices {
    pub fn new(seed: u64) -> SeededChoices {
        SeededChoices(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choose for SeededChoices {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.next() % n
    }
}

/// Choices read from a script (a property test's shrinkable list); 0 once it runs dry.
#[derive(Clone, Debug)]
pub struct ScriptedChoices {
    script: Vec<u32>,
    position: usize,
}

impl ScriptedChoices {
    pub fn new(script: Vec<u32>) -> ScriptedChoices {
        ScriptedChoices { script, position: 0 }
    }
}

impl Choose for ScriptedChoices {
    fn below(&mut self, n: u64) -> u64 {
        let value = self.script.get(self.position).copied().unwrap_or(0);
        self.position += 1;
        if n == 0 {
            0
        } else {
            u64::from(value) % n
        }
    }

    fn exhausted(&self) -> bool {
        self.position >= self.script.len()
    }
}

/// A realistic history of `size`, the same for the same seed.
pub fn generate(seed: u64, size: Size) -> History {
    sized::generate(seed, size)
}

/// A small random history (3 counties, a few indicators, up to 6 months) with every kind of fact:
/// corrections, withdrawals, attributions, appeals with escalations, vetoes, bonuses, revisions,
/// not-applicable marks, reopened periods. Commands the rules refuse are skipped.
pub fn random_history(choices: &mut impl Choose, steps_max: usize) -> History {
    random::generate(choices, steps_max)
}

/// Chains `events` from the genesis exactly as the store would append them one stream request at a
/// time (stream versions counted per stream, no command, causation or correlation ids).
pub fn seal(events: &[GeneratedEvent]) -> Vec<Recorded> {
    let mut versions: BTreeMap<&str, u64> = BTreeMap::new();
    let mut prev_hash: Hash = GENESIS_HASH;
    let mut sealed = Vec::with_capacity(events.len());
    for (index, generated) in events.iter().enumerate() {
        let seq = index as u64 + 1;
        let version = versions.entry(generated.stream.as_str()).or_default();
        *version += 1;
        let body = body_of(generated, *version);
        let hash = link_hash(&prev_hash, seq, &body.to_bytes());
        sealed.push(Recorded {
            seq,
            prev_hash,
            hash,
            event_id: generated.event_id,
            recorded_at: generated.recorded_at,
            actor: generated.actor.clone(),
            event: generated.event.clone(),
        });
        prev_hash = hash;
    }
    sealed
}

/// The envelope the store writes for a generated event at `stream_version`.
pub fn body_of(generated: &GeneratedEvent, stream_version: u64) -> EventBody {
    EventBody {
        event_id: generated.event_id.0,
        stream: generated.stream.clone(),
        stream_version,
        event_type: generated.event.event_type().to_owned(),
        schema_version: generated.event.schema_version(),
        recorded_at: generated.recorded_at,
        actor: generated.actor.clone(),
        command_id: None,
        causation_id: None,
        correlation_id: None,
        data: generated.event.to_data(),
    }
}
