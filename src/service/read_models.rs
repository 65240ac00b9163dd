//! The read models of a running ledger: the current projection, kept up with the durable head, and
//! projections "as of" any earlier point, built from the nearest checkpoint kept in memory (or the
//! nearest stored snapshot) plus the events after it.
//!
//! The facts are persistent maps (`domain::facts::Map`): cloning a projection costs nothing and a
//! clone shares every node the fold does not change afterwards. So the decider opens from the read
//! models' copy, and the read models keep a checkpoint at every multiple of a spacing along the chain
//! (`Checkpoints`), taken from the fold as it passes; a server folds the history before the snapshot
//! it opened from once, in the background (`fold_history`), so that an as-of read anywhere folds at
//! most one spacing of events.
//!
//! Snapshots are stored beside the chain at multiples of the snapshot interval, spaced further apart
//! as the ledger grows (`snapshot_spacing`: the cost of writing them stays proportional to the events
//! written), each stamped with the sequence number and chain hash it was built from; one that does not
//! match the chain on load is dropped and rebuilt, never trusted. A server opens from the newest
//! snapshot that matches and the events after it (`open_projection`), once for the decider and the
//! read models together, so a restart does not grow with the ledger.
//!
//! A server's read models follow the head on a thread of their own (`follow`): new events are folded
//! as they become durable into a copy of the latest state, which is then swapped in, and snapshots
//! are written there, holding no lock. A reader takes a handle on the latest state and reads it with
//! no lock held, so a fold never waits for a read, nor a read for a fold or a rebuild: a read about
//! the latest state answers from what is folded. An adapter answers a command only once its events are
//! folded (`folded`, an async wait), so a client reads what it wrote. Without a follower (tests, the
//! command line) every read folds what is missing itself.
//!
//! Invariant: every answer is a fold of a prefix of the durable chain; the as-of point is a sequence
//! number (an instant is first turned into the last event recorded on or before it). Without a
//! follower the latest state is at least the head as it was when the question was asked; with one, at
//! least every event whose command was answered (each answer says its `as_of_seq`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use crate::chain::decode;
use crate::chain::Record;
use crate::domain::Timestamp;
use crate::projection::{AsOf, Projection, Snapshot, SnapshotError};
use crate::service::ServiceError;
use crate::store::snapshot_files::SnapshotBytes;
use crate::store::Ledger;

use crate::limits::{
    AS_OF_CHECKPOINTS_MAX, AS_OF_CHECKPOINT_INTERVAL_EVENTS, AS_OF_LOADED_SNAPSHOTS_MAX, FOLLOW_FOLD_EVENTS_MAX,
    SNAPSHOT_INTERVAL_EVENTS, SNAPSHOT_SPACING_DIVISOR,
};

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
    /// The least spacing of as-of checkpoints (`Checkpoints`): the snapshot interval or
    /// `AS_OF_CHECKPOINT_INTERVAL_EVENTS`, whichever is less.
    checkpoint_interval_events: u64,
    /// The latest state folded. A reader takes its own handle (`Arc`) and lets the lock go before it
    /// reads, and the follower folds into a copy and swaps it in, so neither ever waits on the other
    /// for longer than that swap.
    current: RwLock<Arc<Projection>>,
    checkpoints: Mutex<Checkpoints>,
    /// The newest snapshot stored or loaded (0: none), from which the next one is spaced.
    last_snapshot: AtomicU64,
    /// Set while a follower thread folds new events (`follow`); readers then answer from what it folded.
    following: AtomicBool,
    /// The sequence number folded, for readers waiting on the follower (`folded`) holding no thread.
    folded: tokio::sync::watch::Sender<u64>,
    /// Basis checks of uses of results already made (`people::BasisChecks`).
    basis_checks: super::people::BasisChecks,
}

/// Projections kept in memory along the chain for as-of reads, each answering by folding only the
/// events after the nearest one. The facts are persistent maps, so a checkpoint taken from a fold as it
/// passes costs nothing then, and later only what the fold changes after it; the projection the
/// server opened from is kept too, and the history before it is folded once in the background
/// (`ReadModels::fold_history`). They sit at multiples of `spacing`, which doubles (every other one
/// let go) whenever more than `AS_OF_CHECKPOINTS_MAX` are kept, so on a ledger of any length they stay
/// evenly spread and bounded in number.
struct Checkpoints {
    spacing: u64,
    by_seq: BTreeMap<u64, Arc<Projection>>,
    /// Those decoded from stored snapshots, oldest first: each is a copy of its own (it shares
    /// nothing with the others), so at most `AS_OF_LOADED_SNAPSHOTS_MAX` are kept.
    loaded: std::collections::VecDeque<u64>,
}

impl Checkpoints {
    fn new(interval: u64) -> Checkpoints {
        Checkpoints { spacing: interval.max(1), by_seq: BTreeMap::new(), loaded: Default::default() }
    }

    /// Keeps `projection` if it stands where a checkpoint goes and none is kept there yet.
    fn keep(&mut self, projection: &Projection) {
        let seq = projection.seq();
        if seq == 0 || !seq.is_multiple_of(self.spacing) || self.by_seq.contains_key(&seq) {
            return;
        }
        self.by_seq.insert(seq, Arc::new(projection.clone()));
        self.thin();
    }

    /// Doubles the spacing, letting every other checkpoint go, while more than the most are kept.
    fn thin(&mut self) {
        while self.by_seq.len() > AS_OF_CHECKPOINTS_MAX {
            self.spacing *= 2;
            let spacing = self.spacing;
            self.by_seq.retain(|at, _| at % spacing == 0);
        }
        let by_seq = &self.by_seq;
        self.loaded.retain(|at| by_seq.contains_key(at));
    }

    /// Keeps a projection decoded from a stored snapshot, letting the oldest such one go beyond the
    /// most kept.
    fn keep_loaded(&mut self, projection: &Projection) {
        let seq = projection.seq();
        if seq == 0 || self.by_seq.contains_key(&seq) {
            return;
        }
        self.by_seq.insert(seq, Arc::new(projection.clone()));
        self.loaded.push_back(seq);
        while self.loaded.len() > AS_OF_LOADED_SNAPSHOTS_MAX {
            if let Some(oldest) = self.loaded.pop_front() {
                self.by_seq.remove(&oldest);
            }
        }
    }

    /// Keeps `projection` wherever it stands (the one the server opened from: it is there already).
    fn keep_anywhere(&mut self, projection: &Projection) {
        if projection.seq() > 0 {
            self.by_seq.entry(projection.seq()).or_insert_with(|| Arc::new(projection.clone()));
        }
    }

    /// Keeps `projection` if it stands where a checkpoint goes, in place of any kept there.
    fn replace(&mut self, projection: &Projection) {
        let seq = projection.seq();
        if seq > 0 && seq.is_multiple_of(self.spacing) {
            self.by_seq.insert(seq, Arc::new(projection.clone()));
            self.loaded.retain(|at| *at != seq);
            self.thin();
        }
    }

    /// The nearest checkpoint at or before `seq`.
    fn at_or_before(&self, seq: u64) -> Option<Arc<Projection>> {
        self.by_seq.range(..=seq).next_back().map(|(_, projection)| projection.clone())
    }
}

/// How far apart snapshots are at `seq`: the interval, or a sixteenth of the ledger once that is
/// more, so that writing them costs a constant share of the events written however long the ledger.
pub fn snapshot_spacing(interval: u64, seq: u64) -> u64 {
    interval.max(seq / SNAPSHOT_SPACING_DIVISOR)
}

/// Where the snapshot after one taken at `last` goes: the first multiple of the interval at least
/// `snapshot_spacing` after it.
fn next_snapshot_at(interval: u64, last: u64) -> u64 {
    (last + snapshot_spacing(interval, last)).div_ceil(interval) * interval
}

/// The projection at the durable head, and where it came from.
pub struct OpenedProjection {
    pub projection: Projection,
    /// The snapshot it started from (0: it was folded from the first event).
    pub from_snapshot: u64,
    /// The newest snapshot stored once it was folded.
    pub last_snapshot: u64,
    /// The as-of checkpoints passed while folding the events after the snapshot.
    checkpoints: Checkpoints,
}

/// Where a fold passes the places of as-of checkpoints (every `every` events). There it first packs
/// what it appended since the checkpoint before (`Projection::repack_appended`): a checkpoint shares
/// every node with the next until one changes, so the lineage kept for as-of reads is as compact as
/// the facts a snapshot is read into, rather than half-full leaves of keys folded in order.
struct CheckpointPlaces {
    every: u64,
    earlier: Arc<Projection>,
}

impl CheckpointPlaces {
    fn new(every: u64, earlier: Arc<Projection>) -> CheckpointPlaces {
        CheckpointPlaces { every, earlier }
    }

    /// Whether `folded` stands at a checkpoint's place, packed if so.
    fn reached(&mut self, folded: &mut Projection) -> bool {
        if folded.seq() == 0 || !folded.seq().is_multiple_of(self.every) {
            return false;
        }
        folded.repack_appended(&self.earlier);
        self.earlier = Arc::new(folded.clone());
        true
    }
}

/// The least spacing of as-of checkpoints for a snapshot interval (`AS_OF_CHECKPOINT_INTERVAL_EVENTS`,
/// or the interval when tests make it smaller).
fn checkpoint_interval(snapshot_interval_events: u64) -> u64 {
    snapshot_interval_events.clamp(1, AS_OF_CHECKPOINT_INTERVAL_EVENTS)
}

/// The projection at the durable head: the newest stored snapshot that matches the chain, then the
/// events after it, storing snapshots on the way (a ledger opened for the first time, or after a
/// long import, is folded once).
pub fn open_projection(ledger: &Ledger, snapshot_interval_events: u64) -> Result<OpenedProjection, ServiceError> {
    open_projection_preloaded(ledger, snapshot_interval_events, None)
}

/// As `open_projection`, starting from `preloaded` (the newest snapshot, decoded while the ledger
/// opened) when it matches the chain, else from the newest stored snapshot that does.
pub fn open_projection_preloaded(
    ledger: &Ledger,
    snapshot_interval_events: u64,
    preloaded: Option<Preloaded>,
) -> Result<OpenedProjection, ServiceError> {
    let interval = snapshot_interval_events.max(1);
    let head = ledger.head().seq;
    let started = std::time::Instant::now();
    // A snapshot after the head (the ledger was recovered to an earlier point) is not looked at.
    let preloaded = match preloaded.filter(|preloaded| preloaded.seq <= head) {
        Some(Preloaded { seq, snapshot }) => match checked_snapshot(ledger, seq, snapshot)? {
            Some(projection) => Some(projection),
            None if seq > 0 => load_snapshot(ledger, seq - 1)?,
            None => None,
        },
        None => load_snapshot(ledger, head)?,
    };
    let mut projection = preloaded.unwrap_or_default();
    let from_snapshot = projection.seq();
    tracing::info!(from_snapshot, took_ms = started.elapsed().as_millis() as u64, "projection snapshot read");
    let mut last_snapshot = from_snapshot;
    let started = std::time::Instant::now();
    let mut checkpoints = Checkpoints::new(checkpoint_interval(interval));
    let mut places = CheckpointPlaces::new(checkpoint_interval(interval), Arc::new(projection.clone()));
    fold_storing_snapshots(ledger, &mut projection, head, interval, &mut last_snapshot, |folded| {
        if places.reached(folded) {
            checkpoints.keep(folded);
        }
    })?;
    let folded = head - from_snapshot;
    tracing::info!(folded, took_ms = started.elapsed().as_millis() as u64, "events after the snapshot folded");
    Ok(OpenedProjection { projection, from_snapshot, last_snapshot, checkpoints })
}

/// Folds up to `to_seq`, storing a snapshot at each point `next_snapshot_at` names on the way.
fn fold_storing_snapshots(
    ledger: &Ledger,
    projection: &mut Projection,
    to_seq: u64,
    interval: u64,
    last_snapshot: &mut u64,
    mut after_each: impl FnMut(&mut Projection),
) -> Result<(), ServiceError> {
    let mut next = next_snapshot_at(interval, *last_snapshot).max((projection.seq() / interval + 1) * interval);
    fold_ledger(ledger, projection, to_seq, |folded| {
        after_each(folded);
        if folded.seq() == next {
            store_snapshot(ledger, folded);
            *last_snapshot = next;
            next = next_snapshot_at(interval, next);
        }
        Ok(())
    })
}

/// A snapshot only speeds up later answers: one that cannot be stored (a full disk) is logged and
/// skipped, and reads go on.
fn store_snapshot(ledger: &Ledger, projection: &Projection) {
    let seq = projection.seq();
    if let Err(error) = ledger.put_snapshot_with(seq, |out| Snapshot::write_of(projection, out)) {
        tracing::warn!(%error, seq, "projection snapshot not stored");
    }
}

impl ReadModels {
    /// Starts from the newest snapshot that matches the chain and folds the rest of the chain.
    pub fn open(ledger: Arc<Ledger>) -> Result<ReadModels, ServiceError> {
        ReadModels::open_with_interval(ledger, SNAPSHOT_INTERVAL_EVENTS)
    }

    /// As `open`, with snapshots every `snapshot_interval_events` events (tests use small intervals).
    pub fn open_with_interval(ledger: Arc<Ledger>, snapshot_interval_events: u64) -> Result<ReadModels, ServiceError> {
        let opened = open_projection(&ledger, snapshot_interval_events)?;
        ReadModels::from_opened(ledger, opened, snapshot_interval_events)
    }

    /// The read models from a projection already opened (`open_projection`), which the decider was
    /// opened from too: the snapshot is read once.
    pub fn from_opened(
        ledger: Arc<Ledger>,
        opened: OpenedProjection,
        snapshot_interval_events: u64,
    ) -> Result<ReadModels, ServiceError> {
        let OpenedProjection { projection: start, last_snapshot, mut checkpoints, .. } = opened;
        let folded = start.seq();
        let checkpoint_interval_events = checkpoint_interval(snapshot_interval_events);
        checkpoints.keep_anywhere(&start);
        let read_models = ReadModels {
            ledger,
            snapshot_interval_events: snapshot_interval_events.max(1),
            checkpoint_interval_events,
            current: RwLock::new(Arc::new(start)),
            checkpoints: Mutex::new(checkpoints),
            last_snapshot: AtomicU64::new(last_snapshot),
            following: AtomicBool::new(false),
            folded: tokio::sync::watch::Sender::new(folded),
            basis_checks: Default::default(),
        };
        read_models.catch_up()?;
        Ok(read_models)
    }

    /// Folds every durable event not folded yet, storing snapshots on the way. Returns the sequence
    /// number folded up to. With a follower running, folds nothing and waits for nothing: what the
    /// follower has folded answers (an adapter answers a command only once it is folded, see
    /// `folded`, so a client still reads what it wrote).
    pub fn catch_up(&self) -> Result<u64, ServiceError> {
        let head = self.ledger.head().seq;
        if self.following.load(Ordering::SeqCst) {
            return Ok(self.folded_seq());
        }
        if self.current.read().expect("projection lock").seq() >= head {
            return Ok(head);
        }
        let mut current = self.current.write().expect("projection lock");
        let current = Arc::make_mut(&mut current);
        let mut last = self.last_snapshot.load(Ordering::SeqCst);
        let mut places = self.checkpoint_places(current);
        let folded =
            fold_storing_snapshots(&self.ledger, current, head, self.snapshot_interval_events, &mut last, |folded| {
                if places.reached(folded) {
                    self.keep_checkpoint(folded);
                }
            });
        self.last_snapshot.store(last, Ordering::SeqCst);
        self.publish_folded(current.seq());
        folded?;
        Ok(current.seq())
    }

    fn publish_folded(&self, seq: u64) {
        self.folded.send_replace(seq);
    }

    /// Waits until the events up to `seq` are folded, holding no thread (for an adapter that answers
    /// a command only once its events are visible to readers); without a follower it returns at once,
    /// as reads then fold for themselves.
    pub async fn folded(&self, seq: u64) {
        let mut folded = self.folded.subscribe();
        let done = |folded: &u64| *folded >= seq || !self.following.load(Ordering::SeqCst);
        // The sender lives as long as `self`, so the wait ends only when `done`.
        let _ = folded.wait_for(done).await;
    }

    /// Starts a thread that folds each new durable event as it lands and writes the snapshots, so
    /// that reads never fold a backlog themselves, and another that folds the history before the
    /// opened projection once, for as-of reads (`fold_history`). Whenever the follower has caught up
    /// it offers what it folded to `share` (a server's decider takes it when it stands at the same
    /// event: `Service::share_facts`), so the two keep one copy of the facts. It ends when the read
    /// models are dropped or the ledger closes; after a failure it ends too and reads fold for
    /// themselves again.
    pub fn follow(self: &Arc<Self>, share: impl Fn(&Projection) + Send + Sync + 'static) -> std::io::Result<()> {
        if self.following.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let share = Arc::new(share);
        let weak = Arc::downgrade(self);
        let head = self.ledger.watch_head();
        let follower_share = share.clone();
        let spawned = std::thread::Builder::new()
            .name("kpi-ledger-read-models".into())
            .spawn(move || follow(weak, head, |projection| follower_share(projection)));
        if spawned.is_err() {
            self.following.store(false, Ordering::SeqCst);
        }
        spawned?;
        let weak = Arc::downgrade(self);
        let history = move || {
            lower_this_threads_priority();
            let Some(models) = weak.upgrade() else { return };
            let started = std::time::Instant::now();
            match models.fold_history() {
                Ok(()) => {
                    let took_ms = started.elapsed().as_millis() as u64;
                    tracing::info!(took_ms, "the history folded for as-of reads");
                }
                Err(error) => tracing::error!(%error, "folding the history for as-of reads"),
            }
            // The fold took the opened projection's place: offered to the decider too, so the copy
            // opened from the snapshot is let go (and a snapshot that differed decides nothing more).
            share(&models.current.read().expect("projection lock"));
        };
        std::thread::Builder::new().name("kpi-ledger-as-of-history".into()).spawn(history).map(drop)
    }

    /// One step of the follower: folds what is durable (at most `FOLLOW_FOLD_EVENTS_MAX` events,
    /// stopping at the next snapshot point) into a copy of the latest state, holding no lock, and swaps
    /// the copy in; then writes that snapshot, holding no lock either. Returns whether it folded
    /// anything (or found the latest state replaced meanwhile, by the history fold: the step is then
    /// folded again from the replacement).
    fn follow_step(&self) -> Result<bool, ServiceError> {
        let head = self.ledger.head().seq;
        let base = Arc::clone(&self.current.read().expect("projection lock"));
        let folded = base.seq();
        if folded >= head {
            return Ok(false);
        }
        let interval = self.snapshot_interval_events;
        let next = next_snapshot_at(interval, self.last_snapshot.load(Ordering::SeqCst))
            .max((folded / interval + 1) * interval);
        let mut target = head.min(folded + FOLLOW_FOLD_EVENTS_MAX);
        target = target.min(next);
        let mut folding = Projection::clone(&base);
        // Checkpoints passed are kept only once the copy is swapped in: one from a copy that is let go
        // would keep the facts it came from alive.
        let mut passed = Vec::new();
        let mut places = self.checkpoint_places(&base);
        fold_ledger(&self.ledger, &mut folding, target, |folded| {
            if places.reached(folded) {
                passed.push(folded.clone());
            }
            Ok(())
        })?;
        {
            let mut current = self.current.write().expect("projection lock");
            if !Arc::ptr_eq(&current, &base) {
                return Ok(true);
            }
            *current = Arc::new(folding);
        }
        passed.iter().for_each(|folded| self.keep_checkpoint(folded));
        self.publish_folded(target);
        if target == next {
            // Serialised from a handle of its own, outside the lock, straight into the file.
            let folded = Arc::clone(&self.current.read().expect("projection lock"));
            store_snapshot(&self.ledger, &folded);
            self.last_snapshot.store(next, Ordering::SeqCst);
        }
        Ok(true)
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

    pub(super) fn basis_checks(&self) -> &super::people::BasisChecks {
        &self.basis_checks
    }

    /// Whether a follower thread keeps the read models up with the head (`follow`).
    pub fn is_following(&self) -> bool {
        self.following.load(Ordering::SeqCst)
    }

    /// The sequence number folded so far (for the projection-lag metric).
    pub fn folded_seq(&self) -> u64 {
        *self.folded.borrow()
    }

    /// Where the latest state stands for a cache of answers: the sequence number folded when a
    /// follower folds (answers move with it), otherwise the durable head (a read folds up to it).
    pub fn latest_seq(&self) -> u64 {
        if self.is_following() {
            self.folded_seq()
        } else {
            self.ledger.head().seq
        }
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

    /// The ledger's time zone as folded now (in which dates are read and times are shown).
    pub fn time_zone(&self) -> crate::domain::timestamp::UtcOffset {
        self.current.read().expect("projection lock").facts().time_zone()
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
    /// The latest state is the one folded once the head as it was on asking is folded (see the
    /// module's invariant), never a fold of its own.
    pub fn with_projection<T>(
        &self,
        as_of: AsOf,
        read: impl FnOnce(&Projection) -> T,
    ) -> Result<(ResolvedAsOf, T), ServiceError> {
        self.catch_up()?;
        if matches!(as_of, AsOf::Latest) {
            let current = self.latest();
            return Ok((ResolvedAsOf { seq: current.seq(), instant: None }, read(&current)));
        }
        let resolved = self.resolve(as_of)?;
        let current = self.latest();
        if current.seq() == resolved.seq {
            return Ok((resolved, read(&current)));
        }
        drop(current);
        let projection = self.projection_at(resolved.seq)?;
        Ok((resolved, read(&projection)))
    }

    /// A handle on the latest state folded, taken without holding the lock while it is read.
    fn latest(&self) -> Arc<Projection> {
        Arc::clone(&self.current.read().expect("projection lock"))
    }

    /// Stores a snapshot of the latest state folded, wherever the head stands. Snapshots are a cache
    /// (`store_snapshot`): the next process that opens the ledger starts from this one and folds
    /// nothing after it. The demo leaves one at its head, so the commands it suggests answer at once.
    pub fn store_latest_snapshot(&self) {
        store_snapshot(&self.ledger, &self.latest());
    }

    /// Where as-of reads can start from in memory: the sequence numbers of the checkpoints kept.
    pub fn checkpoints(&self) -> Vec<u64> {
        self.checkpoints.lock().expect("checkpoints lock").by_seq.keys().copied().collect()
    }

    /// Keeps `folded` as an as-of checkpoint (it stands at one's place: `CheckpointPlaces`).
    fn keep_checkpoint(&self, folded: &Projection) {
        self.checkpoints.lock().expect("checkpoints lock").keep(folded);
    }

    /// The checkpoint places of a fold on from `from`, packing after the newest checkpoint kept at or
    /// before it.
    fn checkpoint_places(&self, from: &Projection) -> CheckpointPlaces {
        let kept = self.checkpoints.lock().expect("checkpoints lock").at_or_before(from.seq());
        CheckpointPlaces::new(self.checkpoint_interval_events, kept.unwrap_or_else(|| Arc::new(from.clone())))
    }

    /// The fold of the first `seq` events: from the nearest checkpoint in memory, or the nearest stored
    /// snapshot when none in memory is as near (before the background fold of the history has
    /// passed `seq`), then the events after it.
    fn projection_at(&self, seq: u64) -> Result<Projection, ServiceError> {
        let kept = self.checkpoints.lock().expect("checkpoints lock").at_or_before(seq);
        let kept_at = kept.as_ref().map_or(0, |projection| projection.seq());
        let mut projection = if seq - kept_at
            <= self.checkpoint_interval_events.max(snapshot_spacing(self.snapshot_interval_events, seq))
        {
            kept.map(|kept| (*kept).clone()).unwrap_or_default()
        } else {
            match load_snapshot(&self.ledger, seq)? {
                Some(stored) if stored.seq() > kept_at => {
                    self.checkpoints.lock().expect("checkpoints lock").keep_loaded(&stored);
                    stored
                }
                _ => kept.map(|kept| (*kept).clone()).unwrap_or_default(),
            }
        };
        fold_ledger(&self.ledger, &mut projection, seq, |_| Ok(()))?;
        Ok(projection)
    }

    /// Folds the history before the projection the read models opened from, once, keeping checkpoints
    /// on the way, so that as-of reads anywhere fold only the events after the nearest one. The fold
    /// then takes the place of the opened projection (catching up under the write lock): from then
    /// on the read models hold one lineage of facts, whose checkpoints share what did not change.
    /// It is also a check of the snapshot opened from: an error says they differed (the fold from
    /// the first event is served then).
    ///
    /// Every person the fold changes is held as the very value the latest state holds when the two
    /// are equal (`Projection::apply_sharing`), so the fold holds one copy of the persons, not a
    /// second one beside the opened projection's until it takes its place.
    pub fn fold_history(&self) -> Result<(), ServiceError> {
        let mut places = CheckpointPlaces::new(self.checkpoint_interval_events, Arc::default());
        let mut replace = |folded: &mut Projection| {
            if places.reached(folded) {
                self.checkpoints.lock().expect("checkpoints lock").replace(folded);
            }
            Ok(())
        };
        let like = self.latest();
        let mut history = Projection::default();
        fold_events(&self.ledger, &mut history, like.seq(), Some(&like), &mut replace)?;
        drop(like);
        let opened = {
            let mut current = self.current.write().expect("projection lock");
            let to_seq = current.seq();
            fold_events(&self.ledger, &mut history, to_seq, Some(&current), &mut replace)?;
            history.repack_appended(&places.earlier);
            std::mem::replace(&mut *current, Arc::new(history.clone()))
        };
        // The checkpoint where the read models opened belongs to the opened projection's copy of the facts.
        {
            let mut checkpoints = self.checkpoints.lock().expect("checkpoints lock");
            let spacing = checkpoints.spacing;
            checkpoints.by_seq.retain(|at, _| at % spacing == 0);
        }
        // Compared outside the lock (it reads every fact of both). The fold from the first event is
        // the chain's own answer, so it stays in place either way.
        if history != *opened {
            return Err(ServiceError::Failure(format!(
                "folded from the first event, the projection at event {} differs from the one opened from a \
                 snapshot; the fold from the first event is served",
                opened.seq()
            )));
        }
        Ok(())
    }
}

/// Makes the calling thread yield the processor to the rest of the server (nice 10): the background
/// fold of the history only speeds up as-of reads, and must not slow commands and reads right after
/// a restart. On Linux a nice value belongs to a thread; where it cannot be set, nothing changes.
fn lower_this_threads_priority() {
    // SAFETY: setpriority takes no pointers; `who == 0` names the calling thread on Linux.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "the history fold keeps its priority");
    }
}

/// The follower's loop (see `ReadModels::follow`).
fn follow(
    read_models: Weak<ReadModels>,
    mut head: tokio::sync::watch::Receiver<crate::store::Head>,
    share: impl Fn(&Projection),
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "the read models' follower could not start");
            if let Some(read_models) = read_models.upgrade() {
                read_models.following.store(false, Ordering::SeqCst);
            }
            return;
        }
    };
    // The sequence number last offered to `share` (once per catching up, not on every wake).
    let mut offered = None;
    loop {
        let Some(models) = read_models.upgrade() else { return };
        match models.follow_step() {
            Ok(true) => continue,
            Ok(false) => {
                let current = models.current.read().expect("projection lock");
                if offered != Some(current.seq()) {
                    offered = Some(current.seq());
                    share(&current);
                }
            }
            Err(error) => {
                tracing::error!(%error, "the read models' follower stopped; reads fold for themselves");
                models.following.store(false, Ordering::SeqCst);
                // Waiters look at `following` again: reads now fold for themselves.
                models.folded.send_modify(|_| ());
                return;
            }
        }
        drop(models);
        // Wake on the next head, or now and then to notice that the read models are gone.
        let changed = runtime
            .block_on(async { tokio::time::timeout(std::time::Duration::from_millis(200), head.changed()).await });
        if let Ok(Err(_)) = changed {
            return;
        }
    }
}

/// Folds the durable events after `projection.seq()` up to `to_seq` into `projection`, straight from
/// the stored bytes, calling `after_each` after every event (for snapshots). Fails if the chain ends
/// before `to_seq` or an event does not continue the projection's chain.
pub fn fold_ledger(
    ledger: &Ledger,
    projection: &mut Projection,
    to_seq: u64,
    after_each: impl FnMut(&mut Projection) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    fold_events(ledger, projection, to_seq, None, after_each)
}

/// As `fold_ledger`; with `like`, sharing the persons it holds (`Projection::apply_sharing`).
fn fold_events(
    ledger: &Ledger,
    projection: &mut Projection,
    to_seq: u64,
    like: Option<&Projection>,
    mut after_each: impl FnMut(&mut Projection) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let decode = |seq: u64, record: Record<'_>| decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()));
    ledger.for_each_decoded(projection.seq() + 1, to_seq, decode, |event| {
        let applied = match like {
            Some(like) => projection.apply_sharing(&event, like),
            None => projection.apply(&event),
        };
        applied.map_err(|e| ServiceError::Failure(e.to_string()))?;
        after_each(projection)
    })?;
    if projection.seq() < to_seq {
        return Err(ServiceError::Failure(format!("events after {} are missing", projection.seq())));
    }
    Ok(())
}

/// The newest stored snapshot at or before `seq` that matches the chain; mismatching ones are dropped.
pub fn load_snapshot(ledger: &Ledger, seq: u64) -> Result<Option<Projection>, ServiceError> {
    let mut at = seq;
    let mut started = std::time::Instant::now();
    while let Some((snapshot_seq, snapshot)) = ledger.snapshot_at_or_before_with(at, decode_snapshot)? {
        tracing::debug!(snapshot_seq, took_ms = started.elapsed().as_millis() as u64, "projection snapshot loaded");
        started = std::time::Instant::now();
        if let Some(projection) = checked_snapshot(ledger, snapshot_seq, snapshot)? {
            return Ok(Some(projection));
        }
        if snapshot_seq == 0 {
            break;
        }
        at = snapshot_seq - 1;
    }
    Ok(None)
}

/// A snapshot file's bytes decoded, from memory or as they are read (`snapshot_files::SnapshotBytes`).
fn decode_snapshot(bytes: SnapshotBytes<'_>) -> Result<Snapshot, SnapshotError> {
    match bytes {
        SnapshotBytes::Whole(bytes) => Snapshot::from_bytes(bytes),
        SnapshotBytes::Streamed(bytes) => Snapshot::read_from(bytes),
    }
}

/// The projection inside a snapshot stored after event `snapshot_seq`, if it decoded and matches the
/// chain there; else the snapshot is removed (it is rebuilt from the chain) and `None` returned.
fn checked_snapshot(
    ledger: &Ledger,
    snapshot_seq: u64,
    snapshot: Result<Snapshot, SnapshotError>,
) -> Result<Option<Projection>, ServiceError> {
    let chain_hash = ledger.event_at(snapshot_seq)?.map(|event| event.hash);
    let checked = snapshot.map_err(|e| e.to_string()).and_then(|snapshot| match chain_hash {
        Some(hash) => snapshot.verified(snapshot_seq, hash).map_err(|e| e.to_string()),
        None => Err("the chain has no such event".to_owned()),
    });
    match checked {
        Ok(projection) => Ok(Some(projection)),
        Err(reason) => {
            tracing::warn!(snapshot_seq, %reason, "dropping a projection snapshot that does not match the chain");
            ledger.remove_snapshot(snapshot_seq)?;
            Ok(None)
        }
    }
}

/// The newest stored snapshot, read and decoded before its ledger is open — a server's start does it
/// on a thread of its own while sled opens, so the two costs overlap — and checked against the chain
/// only once the ledger is open (`open_projection_preloaded`).
pub struct Preloaded {
    seq: u64,
    snapshot: Result<Snapshot, SnapshotError>,
}

impl Preloaded {
    /// Reads and decodes the newest intact snapshot file of the ledger in `data`, changing nothing
    /// (the data directory's lock is not held yet). `None` when there is none to read.
    pub fn read(data: &std::path::Path) -> Option<Preloaded> {
        let started = std::time::Instant::now();
        let directory = crate::store::snapshot_files::directory(data);
        let (seq, snapshot) = match crate::store::snapshot_files::newest_intact_with(&directory, decode_snapshot) {
            Ok(newest) => newest?,
            Err(error) => {
                tracing::warn!(%error, "the newest projection snapshot could not be read ahead");
                return None;
            }
        };
        tracing::debug!(
            snapshot_seq = seq,
            took_ms = started.elapsed().as_millis() as u64,
            "projection snapshot read ahead"
        );
        Some(Preloaded { seq, snapshot })
    }
}
