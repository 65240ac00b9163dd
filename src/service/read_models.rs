//! The read models of a running ledger: the current projection, kept up with the durable head, and
//! projections "as of" any earlier point, built from the nearest snapshot plus the events after it.
//!
//! Snapshots are taken every `SNAPSHOT_INTERVAL_EVENTS` events and stored beside the chain, each
//! stamped with the sequence number and chain hash it was built from; one that does not match the
//! chain on load is dropped and rebuilt, never trusted.
//!
//! Invariant: every answer is a fold of a prefix of the durable chain; the as-of point is a sequence
//! number (an instant is first turned into the last event recorded on or before it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::chain::decode;
use crate::chain::Record;
use crate::domain::Timestamp;
use crate::projection::{AsOf, Projection, Snapshot};
use crate::service::ServiceError;
use crate::store::Ledger;

use crate::limits::{SNAPSHOTS_IN_MEMORY_MAX, SNAPSHOT_INTERVAL_EVENTS};

/// Why a bearer token does not act (the API answers 401), or our failure to tell.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefusal {
    #[error("unknown token")]
    Unknown,
    #[error("token revoked at {revoked_at}")]
    Revoked { revoked_at: Timestamp },
    #[error("token expired at {expires_at}")]
    Expired { expires_at: Timestamp },
    #[error(transparent)]
    Failure(ServiceError),
}

/// An as-of point found in the chain: the sequence number answers stand at, and the instant asked
/// about when the point was a time or a date (echoed in every answer, so a reader sees which
/// instant a date became).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedAsOf {
    pub seq: u64,
    pub instant: Option<Timestamp>,
}

pub struct ReadModels {
    ledger: Arc<Ledger>,
    snapshot_interval_events: u64,
    current: RwLock<Projection>,
    decoded_snapshots: Mutex<BTreeMap<u64, Arc<Projection>>>,
}

impl ReadModels {
    /// Starts from the newest snapshot that matches the chain and folds the rest of the chain.
    pub fn open(ledger: Arc<Ledger>) -> Result<ReadModels, ServiceError> {
        ReadModels::open_with_interval(ledger, SNAPSHOT_INTERVAL_EVENTS)
    }

    /// As `open`, with snapshots every `snapshot_interval_events` events (tests use small intervals).
    pub fn open_with_interval(ledger: Arc<Ledger>, snapshot_interval_events: u64) -> Result<ReadModels, ServiceError> {
        let head = ledger.head().seq;
        let start = load_snapshot(&ledger, head)?.unwrap_or_default();
        let read_models = ReadModels {
            ledger,
            snapshot_interval_events: snapshot_interval_events.max(1),
            current: RwLock::new(start),
            decoded_snapshots: Mutex::default(),
        };
        read_models.catch_up()?;
        Ok(read_models)
    }

    /// Folds every durable event not folded yet; stores a snapshot at each interval boundary crossed.
    /// Returns the sequence number folded up to.
    pub fn catch_up(&self) -> Result<u64, ServiceError> {
        let head = self.ledger.head().seq;
        if self.current.read().expect("projection lock").seq() >= head {
            return Ok(head);
        }
        let mut current = self.current.write().expect("projection lock");
        let interval = self.snapshot_interval_events;
        fold_ledger(&self.ledger, &mut current, head, |folded| {
            if folded.seq() % interval == 0 {
                // A snapshot only speeds up later answers: one that cannot be stored (a full disk) is
                // logged and skipped, and reads go on.
                if let Err(error) = self.ledger.put_snapshot(folded.seq(), &Snapshot::of(folded).to_bytes()) {
                    tracing::warn!(%error, seq = folded.seq(), "projection snapshot not stored");
                }
            }
            Ok(())
        })?;
        Ok(current.seq())
    }

    /// The access granted to `token_hash` as the durable ledger holds it (catching up first, so a
    /// grant acknowledged a moment ago is seen); `None` if never granted. Takes only the read models'
    /// lock, never the decider's.
    pub fn access(
        &self,
        token_hash: &crate::domain::TokenHash,
    ) -> Result<Option<crate::domain::AccessRecord>, ServiceError> {
        self.catch_up()?;
        Ok(self.current.read().expect("projection lock").facts().access(token_hash).cloned())
    }

    /// The actor a bearer token's hash stands for at `now`: granted, not revoked, not expired. Reads
    /// the read models' facts only (catching up first), never the decider's, so neither an
    /// authenticated request nor an open event stream ever waits on a decision.
    pub fn token_actor(
        &self,
        token_hash: &crate::domain::TokenHash,
        now: Timestamp,
    ) -> Result<crate::domain::Actor, TokenRefusal> {
        let access = self.access(token_hash).map_err(TokenRefusal::Failure)?.ok_or(TokenRefusal::Unknown)?;
        if let Some(revoked_at) = access.revoked_at {
            return Err(TokenRefusal::Revoked { revoked_at });
        }
        if access.is_expired_at(now) {
            return Err(TokenRefusal::Expired { expires_at: access.expires_at });
        }
        Ok(crate::domain::Actor { id: access.actor_id, role: access.role, unit: access.unit })
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The sequence number folded so far (for the projection-lag metric).
    pub fn folded_seq(&self) -> u64 {
        self.current.read().expect("projection lock").seq()
    }

    /// The sequence number `as_of` stands for, never beyond the durable head.
    pub fn seq_of(&self, as_of: AsOf) -> Result<u64, ServiceError> {
        Ok(self.resolve(as_of)?.seq)
    }

    /// Where `as_of` is in the chain: a sequence number beyond the head is refused (it is a typing
    /// mistake or a question about the future, and clamping it would answer another question); a
    /// date is read as the end of that day in the ledger's time zone.
    pub fn resolve(&self, as_of: AsOf) -> Result<ResolvedAsOf, ServiceError> {
        let head = self.ledger.head();
        let time_zone = self.current.read().expect("projection lock").facts().time_zone();
        let resolved = match as_of {
            AsOf::Latest => ResolvedAsOf { seq: head.seq, instant: None },
            AsOf::Seq(seq) if seq > head.seq => {
                return Err(ServiceError::AsOfBeyondHead { requested: seq, head: head.seq });
            }
            AsOf::Seq(seq) => ResolvedAsOf { seq, instant: None },
            AsOf::Instant(_) | AsOf::EndOfDay { .. } => {
                let instant = as_of.instant(time_zone).ok_or(ServiceError::AsOfNoSuchDay)?;
                ResolvedAsOf { seq: self.last_seq_recorded_by(instant, head.seq)?, instant: Some(instant) }
            }
        };
        Ok(resolved)
    }

    /// Recorded times never decrease along the chain, so a binary search over sequence numbers finds
    /// the last event recorded on or before `instant` in O(log n) reads.
    fn last_seq_recorded_by(&self, instant: Timestamp, head: u64) -> Result<u64, ServiceError> {
        let (mut low, mut high) = (0u64, head);
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            let recorded_at = self
                .ledger
                .recorded_at(middle)?
                .ok_or_else(|| ServiceError::Failure(format!("event {middle} is missing")))?;
            if recorded_at <= instant {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(low)
    }

    /// Runs `read` on the projection as of `as_of`, and returns where that point is in the chain.
    pub fn with_projection<T>(
        &self,
        as_of: AsOf,
        read: impl FnOnce(&Projection) -> T,
    ) -> Result<(ResolvedAsOf, T), ServiceError> {
        self.catch_up()?;
        let resolved = self.resolve(as_of)?;
        {
            let current = self.current.read().expect("projection lock");
            if current.seq() == resolved.seq {
                return Ok((resolved, read(&current)));
            }
        }
        let projection = self.projection_at(resolved.seq)?;
        Ok((resolved, read(&projection)))
    }

    /// The fold of the first `seq` events: the nearest snapshot, then the events after it.
    fn projection_at(&self, seq: u64) -> Result<Projection, ServiceError> {
        let mut projection = self.nearest_snapshot(seq)?.map(|snapshot| (*snapshot).clone()).unwrap_or_default();
        fold_ledger(&self.ledger, &mut projection, seq, |_| Ok(()))?;
        Ok(projection)
    }

    fn nearest_snapshot(&self, seq: u64) -> Result<Option<Arc<Projection>>, ServiceError> {
        let boundary = seq - seq % self.snapshot_interval_events;
        if boundary == 0 {
            return Ok(None);
        }
        let mut decoded = self.decoded_snapshots.lock().expect("snapshot cache lock");
        if let Some(snapshot) = decoded.get(&boundary) {
            return Ok(Some(snapshot.clone()));
        }
        let Some(projection) = load_snapshot(&self.ledger, seq)? else { return Ok(None) };
        let projection = Arc::new(projection);
        if decoded.len() >= SNAPSHOTS_IN_MEMORY_MAX {
            decoded.pop_first();
        }
        decoded.insert(projection.seq(), projection.clone());
        Ok(Some(projection))
    }
}

/// Folds the durable events after `projection.seq()` up to `to_seq` into `projection`, straight from
/// the stored bytes, calling `after_each` after every event (for snapshots). Fails if the chain ends
/// before `to_seq` or an event does not continue the projection's chain.
pub fn fold_ledger(
    ledger: &Ledger,
    projection: &mut Projection,
    to_seq: u64,
    mut after_each: impl FnMut(&Projection) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let decode = |seq: u64, record: Record<'_>| decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()));
    ledger.for_each_decoded(projection.seq() + 1, to_seq, decode, |event| {
        projection.apply(&event).map_err(|e| ServiceError::Failure(e.to_string()))?;
        after_each(projection)
    })?;
    if projection.seq() < to_seq {
        return Err(ServiceError::Failure(format!("events after {} are missing", projection.seq())));
    }
    Ok(())
}

/// The newest stored snapshot at or before `seq` that matches the chain; mismatching ones are dropped.
fn load_snapshot(ledger: &Ledger, seq: u64) -> Result<Option<Projection>, ServiceError> {
    let mut at = seq;
    while let Some((snapshot_seq, bytes)) = ledger.snapshot_at_or_before(at)? {
        let chain_hash = ledger.event_at(snapshot_seq)?.map(|event| event.hash);
        let checked = Snapshot::from_bytes(&bytes).map_err(|e| e.to_string()).and_then(|snapshot| match chain_hash {
            Some(hash) => snapshot.verified(snapshot_seq, hash).map_err(|e| e.to_string()),
            None => Err("the chain has no such event".to_owned()),
        });
        match checked {
            Ok(projection) => return Ok(Some(projection)),
            Err(reason) => {
                tracing::warn!(snapshot_seq, %reason, "dropping a projection snapshot that does not match the chain");
                ledger.remove_snapshot(snapshot_seq)?;
                if snapshot_seq == 0 {
                    break;
                }
                at = snapshot_seq - 1;
            }
        }
    }
    Ok(None)
}
