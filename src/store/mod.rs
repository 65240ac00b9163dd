//! The store: the one module that imports sled. It persists the hash-chained log, keeps the indexes
//! (by stream, by event id, by command id) in step with it, and makes every acknowledged append durable.
//!
//! Architecture invariant: readers see only durable events. An event becomes visible (and the head
//! moves) only after the batch that holds it was flushed and fsynced.

mod committer;
mod copy_read;
pub mod documents;
mod durability;
pub mod error;
pub mod export;
mod keys;
mod merkle_nodes;
pub mod person_keys;
mod rebuild;
pub mod recovery;
pub mod segment;
pub mod signer;
pub mod snapshot_files;
pub mod types;
mod validate;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::chain::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::chain::merkle::{Blake3, IncrementalTree, TreeError};
use crate::chain::{Hash, Record};
use crate::limits::{self, GROUP_COMMIT_REQUESTS_MAX, LOCK_WAIT_MAX, OPEN_VERIFY_TAIL_EVENTS, READ_PAGE_EVENTS_MAX};
pub use durability::DurabilityStats;
pub use error::{AppendError, StoreError};
pub use types::{Appended, CommandKey, Head, SealedAppend, StoredEvent};
pub use validate::{validate_actor, validate_stream_id};
pub use verify::{ChainFault, Verified, VerifyFailure};

/// Counters for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct LedgerStats {
    /// Group commits written (each one flush and one fsync).
    pub groups: AtomicU64,
    /// Events written by appends.
    pub events: AtomicU64,
    /// Events read from the record copy rather than sled's index (`Ledger::for_each_decoded`).
    pub events_read_from_copy: AtomicU64,
    /// Frames of the copy passed over to reach the first event of a range read from it.
    pub copy_frames_skipped: AtomicU64,
}

/// What the committer thread and the readers share.
pub struct Shared {
    head: watch::Sender<Head>,
    poisoned: AtomicBool,
    durability: DurabilityStats,
    stats: LedgerStats,
    /// Where some frames of the record copy lie, for reads of a range from it.
    copy_places: copy_read::CopyPlaces,
}

impl Shared {
    fn publish_head(&self, head: Head) {
        self.head.send_replace(head);
    }
}

/// An open ledger. Cheap to share behind an `Arc`; appends from many threads are group-committed.
pub struct Ledger {
    dir: PathBuf,
    tree: sled::Tree,
    shared: Arc<Shared>,
    submissions: Mutex<Option<SyncSender<committer::Submission>>>,
    committer: Mutex<Option<JoinHandle<()>>>,
    /// The signing key, or why it is not here: a ledger opened only to be read (an auditor's copy)
    /// needs no secret, and says so only if asked to sign.
    signer: Mutex<Result<signer::Signer, String>>,
    /// The public half and origin the ledger recorded as its own (key `p`).
    recorded_key: Mutex<Option<signer::RecordedKey>>,
    /// Where the signing key file is (for a rotation, which retires it).
    key_path: PathBuf,
    /// Derived data (projection snapshots, `snapshot_files`), kept apart from the chain: losing it
    /// loses nothing.
    snapshots: PathBuf,
    _db: sled::Db,
    /// Held for as long as the ledger is open (released after sled, fields drop in order).
    _lock: DirLock,
}

/// Appends that were handed to the committer together; wait for them to become durable.
pub struct PendingAppends(oneshot::Receiver<Result<Vec<Appended>, AppendError>>);

impl PendingAppends {
    /// Blocks until the appends are durable or refused. Not for use inside an async task.
    pub fn wait(self) -> Result<Vec<Appended>, AppendError> {
        self.0.blocking_recv().unwrap_or(Err(AppendError::Unavailable))
    }

    pub async fn wait_async(self) -> Result<Vec<Appended>, AppendError> {
        self.0.await.unwrap_or(Err(AppendError::Unavailable))
    }
}

/// An append that was handed to the committer; wait for it to become durable.
pub struct PendingAppend(PendingAppends);

impl PendingAppend {
    /// Blocks until the append is durable or refused. Not for use inside an async task.
    pub fn wait(self) -> Result<Appended, AppendError> {
        self.0.wait().map(first)
    }

    pub async fn wait_async(self) -> Result<Appended, AppendError> {
        self.0.wait_async().await.map(first)
    }
}

fn first(mut appended: Vec<Appended>) -> Appended {
    appended.swap_remove(0)
}

pub(crate) const TREE_NAME: &[u8] = b"kpi-ledger";

/// sled as the ledger uses it. The ledger flushes (and fsyncs) after every group commit itself, so
/// sled's own periodic flusher would only compete with it for the disk and the two cores.
/// As `sled_config`, with sled's page cache bounded to `cache_mib` MiB (sled's own default is 1 GiB,
/// which a server would otherwise fill with pages of the log it only appends to).
pub(crate) fn sled_config_with_cache(dir: &Path, cache_mib: u64) -> sled::Config {
    sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(None)
        .cache_capacity(cache_mib.max(1) * 1024 * 1024)
}

/// The data directory's own lock (`kpi-ledger.lock`): held by an open ledger, by `recover` and by the
/// demo before it touches a directory, so nothing is ever pulled from under a running server. It
/// works where sled's lock cannot be taken because sled's files are damaged.
pub struct DirLock {
    _file: std::fs::File,
}

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "kpi-ledger.lock";

impl DirLock {
    /// Takes the lock, waiting up to `LOCK_WAIT_MAX` for another holder to let go.
    pub fn acquire(dir: &Path) -> Result<DirLock, StoreError> {
        DirLock::acquire_within(dir, LOCK_WAIT_MAX)
    }

    /// Takes the lock, waiting up to `wait` for another holder to let go.
    pub fn acquire_within(dir: &Path, wait: std::time::Duration) -> Result<DirLock, StoreError> {
        std::fs::create_dir_all(dir)?;
        let file =
            std::fs::File::options().read(true).write(true).create(true).truncate(false).open(dir.join(LOCK_FILE))?;
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(DirLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Locked),
                Err(std::fs::TryLockError::Error(error)) => return Err(error.into()),
            }
        }
    }
}

thread_local! {
    /// Set while this thread works inside sled where a panic is turned into an error.
    static IN_GUARDED_SLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` (opening sled, reading it) so that a panic inside sled becomes a `Damaged` error with
/// one clear line, never a backtrace.
pub(crate) fn guard_sled<T>(work: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_GUARDED_SLED.with(|flag| flag.get()) {
                previous(info);
            }
        }));
    });
    IN_GUARDED_SLED.with(|flag| flag.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    IN_GUARDED_SLED.with(|flag| flag.set(false));
    outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        Err(StoreError::Damaged(format!("sled's files are damaged (sled stopped with: {message})")))
    })
}

/// Opens sled, waiting up to `LOCK_WAIT_MAX` for the directory's lock.
pub(crate) fn open_sled(dir: &Path) -> Result<sled::Db, StoreError> {
    open_sled_with_cache(dir, crate::limits::SLED_CACHE_MIB_DEFAULT)
}

/// As `open_sled`, with sled's page cache bounded to `cache_mib` MiB.
pub(crate) fn open_sled_with_cache(dir: &Path, cache_mib: u64) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match sled_config_with_cache(dir, cache_mib).open() {
            // sled reports a held lock as an `Other` I/O error with this text (sled 0.34.7, config.rs).
            Err(sled::Error::Io(error))
                if error.to_string().contains("could not acquire lock") && started.elapsed() < LOCK_WAIT_MAX =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            outcome => return Ok(outcome?),
        }
    }
}

/// The sled tree that held projection snapshots before they became files (`snapshot_files`); a
/// ledger that still has it drops it on open (derived data, rebuilt from the chain).
const LEGACY_SNAPSHOT_TREE_NAME: &[u8] = b"projection-snapshots";

/// How much of the chain `Ledger::open_with` re-verifies before accepting appends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailCheck {
    /// The newest this many events, linked to the recorded head.
    Newest(u64),
    /// Nothing: the caller verifies the whole chain next.
    Skip,
}

/// How to open a ledger: where its signing key lives and how much of its tail to re-check.
#[derive(Clone, Debug)]
pub struct LedgerOptions {
    /// The checkpoint signing key's file; `None`: `checkpoint-signing-key.json` in the data directory.
    pub key_file: Option<PathBuf>,
    pub tail_check: TailCheck,
    /// Whether a missing key file stops the open (a server, or anything that writes), or only a later
    /// request to sign (reading and verifying need no secret).
    pub require_key: bool,
    /// sled's page cache, in MiB (`serve --cache-mib`): most of a server's memory besides its facts.
    pub cache_mib: u64,
    /// How long to wait for another holder of the data directory to let go before `Locked`.
    pub lock_wait: std::time::Duration,
}

impl Default for LedgerOptions {
    fn default() -> LedgerOptions {
        LedgerOptions {
            key_file: None,
            tail_check: TailCheck::Newest(OPEN_VERIFY_TAIL_EVENTS),
            require_key: true,
            cache_mib: crate::limits::SLED_CACHE_MIB_DEFAULT,
            lock_wait: LOCK_WAIT_MAX,
        }
    }
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`, checking the newest `OPEN_VERIFY_TAIL_EVENTS` events,
    /// with its signing key in the data directory.
    pub fn open(dir: &Path) -> Result<Ledger, StoreError> {
        Ledger::open_with(dir, LedgerOptions::default())
    }

    /// Opens the ledger with the given key file and check of its newest events. `TailCheck::Skip` is
    /// for `kpi-ledger verify`, which checks everything itself and must open a broken ledger to say
    /// where.
    pub fn open_with(dir: &Path, options: LedgerOptions) -> Result<Ledger, StoreError> {
        let lock = DirLock::acquire_within(dir, options.lock_wait)?;
        let (db, tree, head, segment, syncer, merkle) = guard_sled(|| {
            // What earlier processes wrote is made durable before anything is built on it
            // (`Syncer::open`); that wait for the disk runs beside sled's open, which only reads it
            // (what sled writes as it opens, it syncs itself). A new ledger's file is sled's to make.
            let syncing = match dir.join("db").exists() {
                true => {
                    let dir = dir.to_owned();
                    let thread = std::thread::Builder::new().name("kpi-ledger-open-sync".into());
                    Some(thread.spawn(move || durability::Syncer::open(&dir))?)
                }
                false => None,
            };
            let started = std::time::Instant::now();
            let db = open_sled_with_cache(dir, options.cache_mib)?;
            let tree = db.open_tree(TREE_NAME)?;
            tracing::info!(took_ms = started.elapsed().as_millis() as u64, "sled opened");
            check_format_marker(&tree, &db)?;
            let stored = read_head_record(&tree)?;
            let started = std::time::Instant::now();
            let mut syncer = match syncing {
                Some(thread) => {
                    thread.join().map_err(|_| std::io::Error::other("syncing the ledger's files panicked"))??
                }
                None => durability::Syncer::open(dir)?,
            };
            let (head, segment) = recovery::attach(dir, &db, &tree, &mut syncer, stored)?;
            tracing::info!(took_ms = started.elapsed().as_millis() as u64, "the record copy attached");
            let started = std::time::Instant::now();
            if let TailCheck::Newest(events) = options.tail_check {
                verify::verify_tail(&tree, head.seq.saturating_sub(events) + 1, head)?;
            }
            let merkle = IncrementalTree::load(&merkle_nodes::SledNodes(&tree), head.seq)
                .map_err(|e| StoreError::Corrupt(format!("merkle tree at size {}: {e}", head.seq)))?;
            tracing::info!(took_ms = started.elapsed().as_millis() as u64, "the newest events and the tree checked");
            Ok((db, tree, head, segment, syncer, merkle))
        })?;
        let key_path = signer::key_path(dir, options.key_file.as_deref());
        let (signer, recorded_key) = match open_signer(&tree, &db, &key_path, head) {
            Ok(signer) => {
                let recorded = signer.recorded();
                (Ok(signer), Some(recorded))
            }
            Err(error @ StoreError::KeyMissing { .. }) if !options.require_key => {
                (Err(error.to_string()), recorded_key(&tree)?)
            }
            Err(error) => return Err(error),
        };
        if db.tree_names().iter().any(|name| name.as_ref() == LEGACY_SNAPSHOT_TREE_NAME) {
            tracing::info!("dropping the projection snapshots kept in sled (they are files now)");
            db.drop_tree(LEGACY_SNAPSHOT_TREE_NAME)?;
        }
        let snapshots = snapshot_files::directory(dir);
        let (head_sender, _) = watch::channel(head);
        let shared = Arc::new(Shared {
            head: head_sender,
            poisoned: AtomicBool::new(false),
            durability: DurabilityStats::default(),
            stats: LedgerStats::default(),
            copy_places: copy_read::CopyPlaces::default(),
        });
        let (sender, receiver) = std::sync::mpsc::sync_channel(GROUP_COMMIT_REQUESTS_MAX);
        let committer =
            committer::Committer { tree: tree.clone(), syncer, segment, shared: shared.clone(), head, merkle };
        let thread =
            std::thread::Builder::new().name("kpi-ledger-committer".into()).spawn(move || committer.run(receiver))?;
        Ok(Ledger {
            dir: dir.to_owned(),
            tree,
            shared,
            submissions: Mutex::new(Some(sender)),
            committer: Mutex::new(Some(thread)),
            signer: Mutex::new(signer),
            recorded_key: Mutex::new(recorded_key),
            key_path,
            snapshots,
            _db: db,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends sealed events and waits until they are durable. Not for use inside an async task.
    pub fn append(&self, append: SealedAppend) -> Result<Appended, AppendError> {
        self.submit(append)?.wait()
    }

    /// Hands sealed events to the committer in arrival order and returns at once; the caller waits
    /// on the result.
    pub fn submit(&self, append: SealedAppend) -> Result<PendingAppend, AppendError> {
        self.submit_all(vec![append]).map(PendingAppend)
    }

    /// Hands several appends to the committer to be written in one atomic batch, in order: all of
    /// them become durable together, or (if any is refused) none is written.
    pub fn submit_all(&self, appends: Vec<SealedAppend>) -> Result<PendingAppends, AppendError> {
        if appends.is_empty() {
            return Err(AppendError::invalid("appends", "nothing to append"));
        }
        let events: usize = appends.iter().map(|append| append.events.len()).sum();
        if events > crate::limits::EVENTS_PER_ATOMIC_WRITE_MAX {
            return Err(AppendError::invalid(
                "appends",
                format!(
                    "{events} events exceed the limit of {} per atomic write",
                    crate::limits::EVENTS_PER_ATOMIC_WRITE_MAX
                ),
            ));
        }
        appends.iter().try_for_each(validate::validate)?;
        let (reply, receiver) = oneshot::channel();
        let submissions = self.submissions.lock().expect("submission lock");
        let sender = submissions.as_ref().ok_or(AppendError::Unavailable)?;
        sender.send(committer::Submission { appends, reply }).map_err(|_| AppendError::Unavailable)?;
        Ok(PendingAppends(receiver))
    }

    /// The newest durable event.
    pub fn head(&self) -> Head {
        *self.shared.head.borrow()
    }

    /// A receiver that is told of every new durable head (for live subscriptions).
    pub fn watch_head(&self) -> watch::Receiver<Head> {
        self.shared.head.subscribe()
    }

    pub fn stats(&self) -> (&LedgerStats, &DurabilityStats) {
        (&self.shared.stats, &self.shared.durability)
    }

    /// Up to `limit` (at most `READ_PAGE_EVENTS_MAX`) durable events from `from_seq` on.
    pub fn read_range(&self, from_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let head = self.head().seq;
        let from = from_seq.max(1);
        if from > head {
            return Ok(Vec::new());
        }
        let limit = limit.min(READ_PAGE_EVENTS_MAX) as u64;
        let to = head.min(from.saturating_add(limit.saturating_sub(1)));
        self.tree
            .range(keys::event(from)..=keys::event(to))
            .map(|entry| {
                let (key, value) = entry?;
                decode_event(&key, &value)
            })
            .collect()
    }

    /// Whether an event with this id is durable in the ledger.
    pub fn contains_event(&self, event_id: &Uuid) -> Result<bool, StoreError> {
        let head = self.head().seq;
        Ok(self.tree.get(keys::event_id(event_id))?.is_some_and(|seq| keys::u64_from(&seq) <= head))
    }

    /// Up to `limit` events of `stream` from version `from_version` on.
    pub fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        validate_stream_id(stream).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let head = self.head().seq;
        let prefix = keys::stream_events_prefix(stream);
        let start = keys::stream_event(stream, from_version.max(1));
        let mut events = Vec::new();
        for entry in self.tree.range(start..).take(limit.min(READ_PAGE_EVENTS_MAX)) {
            let (key, seq) = entry?;
            if !key.starts_with(&prefix) {
                break;
            }
            let seq = keys::u64_from(&seq);
            if seq > head {
                break;
            }
            events.push(
                self.event_at(seq)?
                    .ok_or_else(|| StoreError::Corrupt(format!("stream index names missing event {seq}")))?,
            );
        }
        Ok(events)
    }

    /// The current version of a stream (0 when it has no events).
    pub fn stream_version(&self, stream: &str) -> Result<u64, StoreError> {
        Ok(keys::current_stream_version(&self.tree, stream)?)
    }

    /// What a retry under `command_id` would get: the original result of the (durable) append made
    /// under it, or a conflict when the caller's digest of its request differs from the recorded one.
    pub fn command_result(
        &self,
        command_id: &str,
        request_digest: Option<[u8; 32]>,
    ) -> Result<CommandLookup, StoreError> {
        let Some(value) = self.tree.get(keys::command(command_id))? else { return Ok(CommandLookup::Unknown) };
        let record = keys::CommandRecord::decode(&value)
            .ok_or_else(|| StoreError::Corrupt(format!("unreadable command record for {command_id:?}")))?;
        if record.last_seq > self.head().seq {
            return Ok(CommandLookup::Unknown);
        }
        if let Some(digest) = request_digest {
            if !record.request_digest.admits(&keys::RequestDigestOf::Caller(digest)) {
                return Ok(CommandLookup::Conflict);
            }
        }
        Ok(CommandLookup::Replayed {
            appended: Appended { first_seq: record.first_seq, last_seq: record.last_seq },
            stream_version: record.stream_version,
        })
    }

    pub fn event_by_id(&self, event_id: &Uuid) -> Result<Option<StoredEvent>, StoreError> {
        match self.tree.get(keys::event_id(event_id))? {
            Some(seq) => self.event_at(keys::u64_from(&seq)),
            None => Ok(None),
        }
    }

    /// When event `seq` was recorded (read from its envelope, without decoding its data).
    pub fn recorded_at(&self, seq: u64) -> Result<Option<crate::domain::Timestamp>, StoreError> {
        if seq == 0 || seq > self.head().seq {
            return Ok(None);
        }
        let Some(value) = self.tree.get(keys::event(seq))? else { return Ok(None) };
        let record = Record::decode(&value).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
        let body = crate::chain::envelope::EventBodyRef::from_bytes(record.body)
            .map_err(|e| StoreError::Corrupt(format!("event {seq}: unreadable envelope: {e}")))?;
        Ok(Some(body.recorded_at))
    }

    /// The hash the index holds for event `seq`.
    fn indexed_hash(&self, seq: u64) -> Result<Option<Hash>, StoreError> {
        let Some(value) = self.tree.get(keys::event(seq))? else { return Ok(None) };
        let record = Record::decode(&value).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
        Ok(Some(record.hash))
    }

    pub fn event_at(&self, seq: u64) -> Result<Option<StoredEvent>, StoreError> {
        if seq == 0 || seq > self.head().seq {
            return Ok(None);
        }
        let key = keys::event(seq);
        self.tree.get(key)?.map(|value| decode_event(&key, &value)).transpose()
    }

    /// Walks the whole chain and recomputes every hash; the first fault is returned with its seq.
    /// Walks the whole chain in the index and in the record copy (on two threads), and checks that
    /// both end at the head: by the hash chain, two copies that end at the same head hold the same
    /// events.
    pub fn verify(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<Verified, VerifyFailure> {
        let head = self.head();
        let (index, copy) = std::thread::scope(|scope| {
            let copy = scope.spawn(|| recovery::verify_copy(&self.dir, head, &|_| {}));
            let index = verify::verify_chain(&self.tree, 1, head, progress);
            (index, copy.join().expect("the record copy's check does not panic"))
        });
        let verified = index?;
        copy?;
        Ok(verified)
    }

    /// Like `verify`, and also checks that the chain still holds `saved` (a head seen earlier):
    /// this is what detects a truncated tail.
    pub fn verify_against(&self, saved: Head, progress: &(dyn Fn(u64) + Sync)) -> Result<Verified, VerifyFailure> {
        let verified = self.verify(progress)?;
        verify::check_saved_head(&self.tree, saved, verified.head)?;
        Ok(verified)
    }

    /// Iterates the raw stored records from `from_seq` on, in order, up to the durable head.
    pub fn raw_records(&self, from_seq: u64) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> + '_ {
        let head = self.head().seq;
        self.tree
            .range(keys::event(from_seq.max(1))..=keys::event(head.max(1)))
            .map(move |entry| {
                let (key, value) = entry?;
                let seq = keys::event_seq(&key).ok_or_else(|| StoreError::Corrupt("malformed event key".into()))?;
                Ok((seq, value))
            })
            .take_while(move |entry| !matches!(entry, Ok((seq, _)) if *seq > head))
    }

    /// The Merkle root over the first `size` events (RFC 6962; leaves are event hashes).
    pub fn merkle_root(&self, size: u64) -> Result<Hash, ProofError> {
        let nodes = merkle_nodes::SledNodes(&self.tree);
        let tree = self.durable_tree(&nodes)?;
        Ok(Hash(tree.root_at(&nodes, size)?))
    }

    /// The audit path of event `seq` in the tree of the first `tree_size` events.
    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<Vec<Hash>, ProofError> {
        let nodes = merkle_nodes::SledNodes(&self.tree);
        let tree = self.durable_tree(&nodes)?;
        let path = tree.inclusion_proof(&nodes, seq.wrapping_sub(1), tree_size)?;
        Ok(path.into_iter().map(Hash).collect())
    }

    /// The proof that the tree of `new_size` events extends the tree of `old_size` events.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        let nodes = merkle_nodes::SledNodes(&self.tree);
        let tree = self.durable_tree(&nodes)?;
        let path = tree.consistency_proof(&nodes, old_size, new_size)?;
        Ok(path.into_iter().map(Hash).collect())
    }

    /// Stores a projection snapshot taken after event `seq` (`snapshot_files`). Not fsynced: one lost
    /// to a power cut is rebuilt.
    pub fn put_snapshot(&self, seq: u64, bytes: &[u8]) -> Result<(), StoreError> {
        Ok(snapshot_files::put(&self.snapshots, seq, bytes)?)
    }

    /// As `put_snapshot`, the bytes written by `write` straight into the file (never held whole).
    pub fn put_snapshot_with(
        &self,
        seq: u64,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        Ok(snapshot_files::put_with(&self.snapshots, seq, write)?)
    }

    /// The newest stored snapshot taken at or before event `seq`, with the seq it was taken after.
    pub fn snapshot_at_or_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        Ok(snapshot_files::at_or_before(&self.snapshots, seq)?)
    }

    /// As `snapshot_at_or_before`, decoded by `decode` as it is read (`snapshot_files::at_or_before_with`).
    pub fn snapshot_at_or_before_with<T>(
        &self,
        seq: u64,
        decode: impl FnMut(snapshot_files::SnapshotBytes<'_>) -> T,
    ) -> Result<Option<(u64, T)>, StoreError> {
        Ok(snapshot_files::at_or_before_with(&self.snapshots, seq, decode)?)
    }

    /// Drops a snapshot that failed its check (it is rebuilt from the chain).
    pub fn remove_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        Ok(snapshot_files::remove(&self.snapshots, seq)?)
    }

    /// The ledger's name in its checkpoints (it travels with the signing key).
    pub fn origin(&self) -> String {
        self.recorded_key.lock().expect("key lock").as_ref().map_or_else(String::new, |key| key.origin.clone())
    }

    /// The public key that signs this ledger's checkpoints.
    /// `None` only for a ledger opened without its key file that never recorded its public key.
    pub fn public_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        let recorded = self.recorded_key.lock().expect("key lock").clone()?;
        ed25519_dalek::VerifyingKey::from_bytes(&recorded.public_key).ok()
    }

    /// Where the key for a rotation waits while its event is recorded: `<key file>.next`.
    pub fn next_key_path(&self) -> PathBuf {
        suffixed(&self.key_path, ".next")
    }

    /// Writes `next` (a new key of this ledger's origin) to `next_key_path`, mode 0600, before the
    /// rotation's event is recorded: once the event is durable the key is there to be put in place.
    pub fn stage_signing_key(&self, next: &signer::Signer) -> Result<(), StoreError> {
        if next.origin() != self.origin() {
            return Err(StoreError::Invalid(format!("a new key must keep the origin {}", self.origin())));
        }
        let path = self.next_key_path();
        let _ = std::fs::remove_file(&path);
        next.write_new(&path)
    }

    /// Puts the staged key in place once the rotation's event (`seq`) is durable: the old key file is
    /// kept as `<key file>.retired-<seq>` (never deleted: it signed every checkpoint before), the
    /// staged one becomes the key file, and the ledger records its public half as its own. Checkpoints
    /// from now on are signed with it. Returns where the old key file went, if there was one.
    pub fn put_staged_key_in_place(&self, seq: u64) -> Result<Option<PathBuf>, StoreError> {
        let staged = self.next_key_path();
        let next = signer::Signer::load(&staged)?;
        let mut signer = self.signer.lock().expect("signer lock");
        let retired = suffixed(&self.key_path, &format!(".retired-{seq}"));
        let kept = if self.key_path.exists() {
            if retired.exists() {
                return Err(StoreError::Invalid(format!("{}: a retired key file is already there", retired.display())));
            }
            std::fs::rename(&self.key_path, &retired)?;
            Some(retired)
        } else {
            None
        };
        std::fs::rename(&staged, &self.key_path)?;
        let directory = self.key_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        durability::sync_directory(directory)?;
        let recorded = next.recorded();
        self.tree.insert(keys::SIGNING_KEY, recorded.encode())?;
        self.tree.flush()?;
        *self.recorded_key.lock().expect("key lock") = Some(recorded);
        *signer = Ok(next);
        Ok(kept)
    }

    /// Signs a checkpoint of the durable head at `time` (the caller's clock reading). Refuses to sign
    /// a tree that does not extend the last checkpoint signed: that would be evidence of a fork.
    pub fn checkpoint(&self, time: crate::domain::Timestamp) -> Result<SignedCheckpoint, ProofError> {
        let signer = self.signer.lock().expect("signer lock");
        let signer = signer.as_ref().map_err(|reason| ProofError::KeyMissing(reason.clone()))?;
        let head = self.head();
        let root = self.merkle_root(head.seq)?;
        let failure = |e: sled::Error| ProofError::Failure(e.to_string());
        if let Some(value) = self.tree.get(keys::LAST_SIGNED_CHECKPOINT).map_err(failure)? {
            let (size, last_root) = signer::decode_last_signed(&value)
                .ok_or_else(|| ProofError::Failure("unreadable last checkpoint record".into()))?;
            if size > head.seq || self.merkle_root(size)? != last_root {
                return Err(ProofError::Failure(format!(
                    "refusing to sign: the tree at {} does not extend the checkpoint signed at size {size}",
                    head.seq
                )));
            }
        }
        let checkpoint =
            Checkpoint { origin: signer.origin().to_owned(), tree_size: head.seq, root, head_hash: head.hash, time };
        let signed = signer.sign(checkpoint);
        self.tree
            .insert(keys::LAST_SIGNED_CHECKPOINT, &signer::encode_last_signed(head.seq, &root)[..])
            .map_err(failure)?;
        self.tree.flush().map_err(failure)?;
        Ok(signed)
    }

    /// The cited events (in sequence order, each once), each with its stored bytes and its inclusion
    /// proof against `checkpoint`.
    pub fn proof_bundle(&self, seqs: &[u64], checkpoint: SignedCheckpoint) -> Result<ProofBundle, ProofError> {
        let tree_size = checkpoint.checkpoint.tree_size;
        let seqs: std::collections::BTreeSet<u64> = seqs.iter().copied().collect();
        let events = seqs
            .into_iter()
            .map(|seq| {
                let inclusion_proof = self.inclusion_proof(seq, tree_size)?;
                let value = self
                    .tree
                    .get(keys::event(seq))
                    .map_err(|e| ProofError::Failure(e.to_string()))?
                    .ok_or_else(|| ProofError::Failure(format!("event {seq} is missing")))?;
                let record = Record::decode(&value).map_err(|e| ProofError::Failure(format!("event {seq}: {e}")))?;
                let body_text = String::from_utf8(record.body.to_vec())
                    .map_err(|_| ProofError::Failure(format!("event {seq}: body is not UTF-8")))?;
                Ok(BundledEvent { seq, prev_hash: record.prev_hash, hash: record.hash, body_text, inclusion_proof })
            })
            .collect::<Result<_, ProofError>>()?;
        Ok(ProofBundle { checkpoint, events })
    }

    /// The tree at the durable head, loaded from its right-edge nodes (one read per set bit).
    fn durable_tree(&self, nodes: &merkle_nodes::SledNodes) -> Result<IncrementalTree<Blake3>, ProofError> {
        Ok(IncrementalTree::load(nodes, self.head().seq)?)
    }

    /// Calls `visit` with every durable record from `from_seq` to `to_seq` (inclusive), in order,
    /// borrowing the stored bytes.
    pub fn for_each_record<E: From<StoreError>>(
        &self,
        from_seq: u64,
        to_seq: u64,
        mut visit: impl FnMut(u64, Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let (from_seq, to_seq) = (from_seq.max(1), to_seq.min(self.head().seq));
        if from_seq > to_seq {
            return Ok(());
        }
        for entry in self.tree.range(keys::event(from_seq)..=keys::event(to_seq)) {
            let (key, value) = entry.map_err(StoreError::from)?;
            visit_stored(&key, &value, &mut visit)?;
        }
        Ok(())
    }

    /// Decodes every durable record from `from_seq` to `to_seq` with `decode` and hands the results to
    /// `visit`, in order: for folding a whole ledger, or the events after an as-of checkpoint. Long
    /// ranges are read and decoded on other threads while `visit` runs on this one, so they overlap on
    /// two cores, from the record copy (`copy_read`), sequentially, rather than through sled's index
    /// (whose cache they would fill); what the copy cannot give is read from sled.
    pub fn for_each_decoded<T: Send, E: From<StoreError> + Send>(
        &self,
        from_seq: u64,
        to_seq: u64,
        decode: impl Fn(u64, Record<'_>) -> Result<T, E> + Sync,
        mut visit: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let (mut from_seq, to_seq) = (from_seq.max(1), to_seq.min(self.head().seq));
        if from_seq <= to_seq && to_seq - from_seq + 1 >= limits::COPY_READ_EVENTS_MIN {
            // Read from the record copy, sequentially; whatever it cannot give is read from sled below.
            let indexed_hash = |seq| self.indexed_hash(seq);
            let places = &self.shared.copy_places;
            let (read_to, skipped) =
                copy_read::fold_from_copy(&self.dir, places, (from_seq, to_seq), indexed_hash, &decode, &mut visit)?;
            let stats = &self.shared.stats;
            stats.events_read_from_copy.fetch_add(read_to - from_seq, std::sync::atomic::Ordering::Relaxed);
            stats.copy_frames_skipped.fetch_add(skipped, std::sync::atomic::Ordering::Relaxed);
            from_seq = read_to;
        }
        if from_seq > to_seq {
            return Ok(());
        }
        if to_seq - from_seq < limits::PIPELINED_READ_EVENTS_MIN {
            return self.for_each_record(from_seq, to_seq, |seq, record| visit(decode(seq, record)?));
        }
        // Two readers take turns chunk by chunk (reading and decoding are most of the work), and
        // this thread visits their chunks in order: on two cores the three overlap.
        let chunk = limits::READ_CHUNK_RECORDS as u64;
        let chunks = (to_seq - from_seq) / chunk + 1;
        let reader_of = |first_chunk: u64, sender: std::sync::mpsc::SyncSender<Result<Vec<T>, E>>| {
            let decode = &decode;
            move || {
                for index in (first_chunk..chunks).step_by(limits::DECODED_READERS) {
                    let start = from_seq + index * chunk;
                    let end = (start + chunk - 1).min(to_seq);
                    if !decode_chunk(&self.tree, keys::event(start)..=keys::event(end), decode, &sender) {
                        return;
                    }
                }
            }
        };
        std::thread::scope(|scope| {
            let mut receivers = Vec::with_capacity(limits::DECODED_READERS);
            for first_chunk in 0..limits::DECODED_READERS as u64 {
                let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Vec<T>, E>>(2);
                scope.spawn(reader_of(first_chunk, sender));
                receivers.push(receiver);
            }
            for index in 0..chunks {
                let decoded = receivers[(index % limits::DECODED_READERS as u64) as usize]
                    .recv()
                    .map_err(|_| E::from(StoreError::Corrupt(format!("reading events from {from_seq} stopped"))))?;
                decoded?.into_iter().try_for_each(&mut visit)?;
            }
            Ok(())
        })
    }

    /// Stops the committer after the appends already submitted, and closes the ledger.
    pub fn close(&self) {
        self.submissions.lock().expect("submission lock").take();
        if let Some(thread) = self.committer.lock().expect("committer lock").take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.close();
    }
}

/// Sends the decoded records of `range` as one chunk; false after an error or when the receiver is
/// gone (the reader then stops).
fn decode_chunk<T, E: From<StoreError>>(
    tree: &sled::Tree,
    range: std::ops::RangeInclusive<[u8; 9]>,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
    sender: &std::sync::mpsc::SyncSender<Result<Vec<T>, E>>,
) -> bool {
    let mut chunk = Vec::with_capacity(limits::READ_CHUNK_RECORDS);
    for entry in tree.range(range) {
        let decoded = entry.map_err(|e| E::from(e.into())).and_then(|(key, value)| {
            let mut one = None;
            visit_stored(&key, &value, &mut |seq, record| decode(seq, record).map(|item| one = Some(item)))?;
            Ok(one.expect("visit_stored calls back once"))
        });
        match decoded {
            Ok(item) => chunk.push(item),
            Err(error) => {
                let _ = sender.send(Err(error));
                return false;
            }
        }
    }
    sender.send(Ok(chunk)).is_ok()
}

fn visit_stored<E: From<StoreError>>(
    key: &[u8],
    value: &[u8],
    visit: &mut impl FnMut(u64, Record<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let seq = keys::event_seq(key).ok_or_else(|| StoreError::Corrupt("malformed event key".into()))?;
    let record = Record::decode(value).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
    visit(seq, record)
}

fn decode_event(key: &[u8], value: &[u8]) -> Result<StoredEvent, StoreError> {
    let seq = keys::event_seq(key).ok_or_else(|| StoreError::Corrupt("malformed event key".into()))?;
    let record = Record::decode(value).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
    let body = String::from_utf8(record.body.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("event {seq}: body is not UTF-8")))?;
    Ok(StoredEvent { seq, prev_hash: record.prev_hash, hash: record.hash, body })
}

fn read_head_record(tree: &sled::Tree) -> Result<Option<keys::HeadRecord>, StoreError> {
    match tree.get(keys::HEAD)? {
        None => Ok(None),
        Some(value) => keys::decode_head(&value)
            .map(Some)
            .ok_or_else(|| StoreError::Damaged("the index's head record is unreadable".into())),
    }
}

fn read_head(tree: &sled::Tree) -> Result<Head, StoreError> {
    Ok(read_head_record(tree)?.map_or(Head::EMPTY, |head| Head {
        seq: head.seq,
        hash: head.hash,
        recorded_at: head.recorded_at,
    }))
}

/// The ledger's signing key, checked against the public key the ledger recorded (key `p`); a ledger
/// that recorded none yet (new, or from before keys were recorded) records the one it opens with.
fn open_signer(tree: &sled::Tree, db: &sled::Db, path: &Path, head: Head) -> Result<signer::Signer, StoreError> {
    let recorded = recorded_key(tree)?;
    let empty = head.seq == 0 && tree.get(keys::LAST_SIGNED_CHECKPOINT)?.is_none();
    let signer = signer::open_for_ledger(path, recorded.as_ref(), empty)?;
    if recorded.is_none() {
        tree.insert(keys::SIGNING_KEY, signer.recorded().encode())?;
        db.flush()?;
    }
    Ok(signer)
}

/// `path` with `suffix` added to its file name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The public key and origin the ledger recorded as its own, if any.
fn recorded_key(tree: &sled::Tree) -> Result<Option<signer::RecordedKey>, StoreError> {
    match tree.get(keys::SIGNING_KEY)? {
        Some(value) => signer::RecordedKey::decode(&value)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("unreadable signing key record".into())),
        None => Ok(None),
    }
}

/// A new ledger gets the marker; an existing one must carry it, so a foreign sled directory is refused.
fn check_format_marker(tree: &sled::Tree, db: &sled::Db) -> Result<(), StoreError> {
    match tree.get(keys::FORMAT)? {
        Some(marker) if marker.as_ref() == keys::FORMAT_MARKER => Ok(()),
        Some(_) => Err(StoreError::Corrupt("unknown store format marker".into())),
        None if tree.is_empty() => {
            tree.insert(keys::FORMAT, keys::FORMAT_MARKER)?;
            db.flush()?;
            Ok(())
        }
        None => Err(StoreError::Corrupt("store has data but no format marker".into())),
    }
}

/// The answer to "was this command id used before?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandLookup {
    Unknown,
    /// Yes, for the same request: where its events landed and the version its stream had then.
    Replayed {
        appended: Appended,
        stream_version: u64,
    },
    /// Yes, for a different request.
    Conflict,
}

/// Events with their inclusion proofs against one signed checkpoint: what an auditor needs to check
/// a cited event without the rest of the ledger (docs/FORMAT.md §6).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    pub checkpoint: SignedCheckpoint,
    pub events: Vec<BundledEvent>,
}

/// One event as stored and its audit path. `body_text` is the exact hashed bytes as a JSON string, so
/// the bundle verifies after any JSON tool has re-serialised it (docs/FORMAT.md §6).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundledEvent {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub body_text: String,
    pub inclusion_proof: Vec<Hash>,
}

/// A proof or root that could not be given: a refused request (sizes, indexes), or a failure.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Refused(#[from] crate::chain::merkle::RequestError),
    #[error("merkle tree: {0}")]
    Failure(String),
    /// This ledger was opened without its signing key, so it cannot sign.
    #[error("{0}")]
    KeyMissing(String),
}

impl From<TreeError<merkle_nodes::NodeReadError>> for ProofError {
    fn from(error: TreeError<merkle_nodes::NodeReadError>) -> ProofError {
        match error {
            TreeError::Refused(refused) => ProofError::Refused(refused),
            other => ProofError::Failure(other.to_string()),
        }
    }
}

/// Raw access for tools that must bypass the ledger: tamper tests open the sled tree directly, and
/// benchmarks measure their floors on the same bytes.
pub mod raw {
    pub use super::keys::{
        encode_head, encode_head_marked, event as event_key, event_seq, SegmentMark, HEAD as HEAD_KEY,
        LAST_SIGNED_CHECKPOINT,
    };
    pub const TREE_NAME: &[u8] = super::TREE_NAME;

    /// The head recorded in a tree opened directly.
    pub fn read_head(tree: &sled::Tree) -> Result<super::Head, super::StoreError> {
        super::read_head(tree)
    }

    /// Verifies a tree opened directly against the head it records, as `Ledger::verify` does.
    pub fn verify_tree(tree: &sled::Tree) -> Result<super::Verified, super::VerifyFailure> {
        let head = read_head(tree).map_err(|error| super::VerifyFailure {
            seq: 0,
            fault: super::ChainFault::Unreadable { reason: error.to_string() },
        })?;
        super::verify::verify_chain(tree, 1, head, &|_| {})
    }
}
