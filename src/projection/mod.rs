//! Projections: everything users read — scoreboards, rankings and tiers, comparisons, traces of every
//! lost point, indicator load, the appeal queue, notices — computed from the domain's `Facts`.
//!
//! `Projection::apply` folds one `Recorded` event into the facts (the domain's one fold, the same the
//! decider runs), checking that it continues the chain the projection was built from; every query
//! computes its answer from those facts on demand. Folding the first n events gives exactly the
//! projection as of event n, so "as of" is a fold of a prefix (`replay`), and a snapshot is the
//! projection itself, stamped with the sequence number and chain hash it was built from (`snapshot`).
//!
//! Architecture invariant: this module does no I/O, reads no clock and imports neither sled, tokio,
//! the store nor the service.
//! Invariant: for every unit, indicator and base period, the points lost equal the sum of the lines
//! its trace lists (`Trace::reconciles`).

pub mod appeal_queue;
pub mod bulletin;
pub mod comparison;
pub mod indicator_load;
pub mod notices;
mod own_scheme;
pub mod personal;
pub mod ranking;
pub mod repeat;
pub mod replay;
pub mod score;
pub mod snapshot;
pub mod tiers;
pub mod trace;

use serde::{Deserialize, Serialize};

use crate::chain::{Hash, GENESIS_HASH};
use crate::domain::Facts as DomainFacts;
use crate::domain::Timestamp;

pub use crate::domain::{EventRef, Facts, Recorded};
pub use appeal_queue::{AppealQueue, QueuedAppeal};
pub use bulletin::{Bulletin, BulletinEntry, Loss, LossKind};
pub use comparison::{Horizontal, LossCategory, Vertical, VerticalRow};
pub use indicator_load::IndicatorLoad;
pub use notices::{Criticism, CriticismReason, Notices};
pub use ranking::{PeerGroup, Ranking, Standing};
pub use repeat::RepeatProblem;
pub use replay::{AsOf, RankChange, RankingDiff, Replay, ScoreMove};
pub use score::{IndicatorScore, ScoreCard};
pub use snapshot::{Snapshot, SnapshotError};
pub use trace::{AppealLine, DeductionLine, IndicatorTrace, Scaling, TakenOverLine, TierLine, Trace, TraceLine};

/// Which base periods an answer about a roll-up counts. A base period asked about on its own is
/// always shown once it has results, open or not (an open one marked provisional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Only published (or final) base periods: the figures a bureau stands by.
    #[default]
    Published,
    /// Open base periods too, with the facts recorded so far (`provisional=true`); an opened base
    /// period with nothing recorded still counts nothing.
    Provisional,
}

impl Counting {
    pub const fn includes_open(self) -> bool {
        matches!(self, Counting::Provisional)
    }
}

/// The facts of the events folded so far, stamped with the last event's sequence number, chain hash
/// and recorded time (0, the genesis hash and the epoch before the first event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    seq: u64,
    hash: Hash,
    recorded_at: Timestamp,
    facts: DomainFacts,
}

impl Default for Projection {
    fn default() -> Projection {
        Projection { seq: 0, hash: GENESIS_HASH, recorded_at: Timestamp::UNIX_EPOCH, facts: DomainFacts::default() }
    }
}

/// An event that does not continue the chain the projection was built from: folding it would give a
/// projection of no ledger at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("event {found} does not follow event {last}: expected sequence number {}", last + 1)]
    OutOfSequence { last: u64, found: u64 },
    #[error("event {seq} links to {found}, but the projection was built up to hash {expected}")]
    BrokenLink { seq: u64, expected: Hash, found: Hash },
    #[error("event {seq} was recorded at {found}, before the previous event's {previous}")]
    TimeWentBack { seq: u64, previous: Timestamp, found: Timestamp },
}

impl Projection {
    pub fn new() -> Projection {
        Projection::default()
    }

    /// The sequence number of the last event folded (0 for none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The chain hash of the last event folded (the genesis hash for none).
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// When the last event folded was recorded: "now" as far as this projection knows.
    pub fn recorded_at(&self) -> Timestamp {
        self.recorded_at
    }

    pub fn facts(&self) -> &DomainFacts {
        &self.facts
    }

    /// The facts alone (the decider opens from a projection and keeps only them).
    pub fn into_facts(self) -> DomainFacts {
        self.facts
    }

    /// Folds the next event of the chain; refuses one that does not follow the last folded.
    pub fn apply(&mut self, event: &Recorded) -> Result<(), ApplyError> {
        if event.seq != self.seq + 1 {
            return Err(ApplyError::OutOfSequence { last: self.seq, found: event.seq });
        }
        if event.prev_hash != self.hash {
            return Err(ApplyError::BrokenLink { seq: event.seq, expected: self.hash, found: event.prev_hash });
        }
        if event.recorded_at < self.recorded_at {
            let error =
                ApplyError::TimeWentBack { seq: event.seq, previous: self.recorded_at, found: event.recorded_at };
            return Err(error);
        }
        self.facts.apply(event);
        self.seq = event.seq;
        self.hash = event.hash;
        self.recorded_at = event.recorded_at;
        Ok(())
    }

    /// As `apply`, then holds the person the event changed as the very value `like` holds when the
    /// two are equal (`Facts::share_person_with`): a fold of the history beside a projection decoded
    /// from a snapshot keeps one copy of the persons both hold.
    pub fn apply_sharing(&mut self, event: &Recorded, like: &Projection) -> Result<(), ApplyError> {
        self.apply(event)?;
        self.facts.share_person_with(&event.event, &like.facts);
        Ok(())
    }

    /// Puts what was folded since `earlier` into compact nodes (`Facts::repack_appended`): folds call
    /// it where they keep a checkpoint. Nothing any read sees changes.
    pub fn repack_appended(&mut self, earlier: &Projection) {
        self.facts.repack_appended(&earlier.facts);
    }

    /// Folds `events` in order onto this projection.
    pub fn apply_all<'a>(&mut self, events: impl IntoIterator<Item = &'a Recorded>) -> Result<(), ApplyError> {
        events.into_iter().try_for_each(|event| self.apply(event))
    }

    /// The projection of `events` from the start of the chain.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Recorded>) -> Result<Projection, ApplyError> {
        let mut projection = Projection::new();
        projection.apply_all(events)?;
        Ok(projection)
    }
}
