//! The service: the one door to the ledger. A command travels decide → seal → append → fold: the
//! *decider* (a mutex around the domain `Facts` and the chain's head) decides it against the facts,
//! seals its events — giving each its sequence number, stream version and hash, once — folds them
//! into the facts, and hands them to the store's committer without waiting, so the next command is
//! decided on top of them while the first is still being fsynced. Callers are answered only when their
//! events are durable. It owns the clock, id generation and randomness, and the person keys: personal
//! texts are sealed under their person's key between decide and seal (`person_keys`), and a key is
//! durable in the key file before any text sealed under it is handed to the ledger.
//!
//! Invariant: the decider is the ledger's only writer, and the committer writes a sealed append only
//! if it continues the chain exactly where the one before ended, so the decider's facts always equal
//! the ledger's once pending appends land. If the ledger ever refuses or fails one anyway, the service
//! stops accepting commands: its facts can no longer be trusted until it is rebuilt.

pub mod admin;
pub mod clock;
pub mod documents;
pub mod history;
pub mod listings;
pub mod people;
pub mod person_keys;
pub mod queries;
pub mod read_models;
pub mod records;
pub mod tokens;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use clock::{Clock, IdSource, ManualClock, RandomIds, RandomnessUnavailable, SeededIds, SystemClock};
pub use person_keys::PersonKeys;

use crate::chain::{self, Chain, Sealed, Stamp};
use crate::domain::{self, Command, Context, Event, Facts, Recorded, RecordedBy, Rejection, Timestamp};
use crate::store::{
    validate_stream_id, AppendError, Appended, CommandKey, CommandLookup, Ledger, PendingAppend, SealedAppend,
    StoreError,
};

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The domain refused it: the caller's mistake, with a code and the field.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The caller's expected stream version (`If-Match`) is stale.
    #[error("stream {stream} is at version {current}, expected {expected}")]
    WrongExpectedVersion { stream: String, expected: u64, current: u64 },
    /// The command id (HTTP `Idempotency-Key`) was used before for a different command.
    #[error("command id {command_id:?} was already used for a different command")]
    CommandIdReused { command_id: String },
    /// The events are too large to store.
    #[error("{field}: {reason}")]
    TooLarge { field: &'static str, reason: String },
    /// A command of a history is dated before the one it follows (or before the head).
    #[error("recorded_at {at} is before {previous}, the time of the event it would follow")]
    TimeGoesBack { at: Timestamp, previous: Timestamp },
    /// An as-of sequence number past the durable head.
    #[error("as_of: event {requested} is beyond the head of the ledger (event {head})")]
    AsOfBeyondHead { requested: u64, head: u64 },
    /// An as-of date that is not a day of the calendar.
    #[error("as_of: no such day")]
    AsOfNoSuchDay,
    /// The service stopped after a storage failure; restart it.
    #[error("the service stopped accepting commands after a storage failure")]
    Unavailable,
    /// Ours: I/O, corruption, a broken invariant. Logged in full; reported opaquely.
    #[error("internal failure: {0}")]
    Failure(String),
}

impl ServiceError {
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            ServiceError::Rejected(_)
                | ServiceError::WrongExpectedVersion { .. }
                | ServiceError::TooLarge { .. }
                | ServiceError::CommandIdReused { .. }
                | ServiceError::AsOfBeyondHead { .. }
                | ServiceError::TimeGoesBack { .. }
                | ServiceError::AsOfNoSuchDay
        )
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> ServiceError {
        ServiceError::Failure(error.to_string())
    }
}

/// What the caller may add to a command.
#[derive(Clone, Debug, Default)]
pub struct CommandOptions {
    /// Idempotency key: a retry under the same id gets the original result and appends nothing.
    pub command_id: Option<String>,
    /// The version the caller expects the command's stream to be at (HTTP `If-Match`).
    pub expected_version: Option<u64>,
    pub correlation_id: Option<uuid::Uuid>,
    /// The id of the fact the command creates, for replays of a known history (the demo, imports of
    /// a recorded story); normally left out, and the service's id source makes one. Never taken from
    /// an HTTP client.
    pub new_id: Option<uuid::Uuid>,
}

/// The answer to a command once its events are durable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Executed {
    pub stream: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub stream_version: u64,
    pub event_types: Vec<&'static str>,
    /// The id of the fact the command created (a deduction, tier award, bonus, veto or appeal), which
    /// later commands refer to; `None` for commands that create no such fact.
    pub created_id: Option<uuid::Uuid>,
    /// True when the command id had been used before: nothing new was written.
    pub replayed: bool,
}

/// A command that was decided and handed to the ledger; wait for it to become durable.
pub struct PendingCommand {
    executed: Executed,
    append: Option<PendingAppend>,
    ledger: Arc<Ledger>,
    poisoned: Arc<AtomicBool>,
    /// The persons the command erases: their keys leave the key file once it is durable.
    erased: Vec<domain::PersonId>,
    person_keys: Arc<PersonKeys>,
}

impl PendingCommand {
    /// Blocks until durable. Not for use inside an async task.
    pub fn wait(self) -> Result<Executed, ServiceError> {
        match self.append {
            Some(append) => {
                let executed = finish(self.executed, append.wait(), &self.poisoned)?;
                self.person_keys.finish_forgetting(&self.erased).map(|()| executed)
            }
            None => wait_for_head(&self.ledger, self.executed),
        }
    }

    pub async fn wait_async(self) -> Result<Executed, ServiceError> {
        match self.append {
            Some(append) => {
                let executed = finish(self.executed, append.wait_async().await, &self.poisoned)?;
                // A small file replaced once per erasure: not worth a blocking-pool hop.
                self.person_keys.finish_forgetting(&self.erased).map(|()| executed)
            }
            None => {
                let mut head = self.ledger.watch_head();
                let last_seq = self.executed.last_seq;
                head.wait_for(|head| head.seq >= last_seq).await.map_err(|_| ServiceError::Unavailable)?;
                Ok(self.executed)
            }
        }
    }
}

fn finish(
    executed: Executed,
    outcome: Result<Appended, AppendError>,
    poisoned: &AtomicBool,
) -> Result<Executed, ServiceError> {
    match outcome {
        Ok(_) => Ok(executed),
        Err(error) => {
            poisoned.store(true, Ordering::SeqCst);
            tracing::error!(%error, "the ledger refused or failed a decided command");
            Err(if error.is_rejection() { ServiceError::Failure(error.to_string()) } else { ServiceError::Unavailable })
        }
    }
}

fn wait_for_head(ledger: &Ledger, executed: Executed) -> Result<Executed, ServiceError> {
    let mut head = ledger.watch_head();
    let last_seq = executed.last_seq;
    loop {
        if head.borrow_and_update().seq >= last_seq {
            return Ok(executed);
        }
        // The committer publishes every new head; poll the watch without an async runtime.
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// The decider: the facts and the chain as they will be once pending appends land.
#[derive(Clone)]
struct Decider {
    facts: Facts,
    chain: Chain,
    /// Events sealed in this process that may not be durable yet, by sequence number, so links to them
    /// resolve before the store's index has them.
    pending_events: VecDeque<(u64, uuid::Uuid)>,
    pending_event_ids: HashSet<uuid::Uuid>,
    /// Commands decided in this process, by command id, with their command digests (the ledger's
    /// index has the older ones).
    recent_commands: HashMap<String, (Executed, [u8; 32])>,
    /// The instant a history import decides its current command at, instead of the clock.
    clock_override: Option<Timestamp>,
    /// What the events of a history import carry in their envelope (`imported`).
    imported: Option<chain::envelope::Imported>,
}

use crate::limits::RECENT_COMMANDS_MAX;

pub struct Service {
    ledger: Arc<Ledger>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    /// The keys personal texts are sealed under (the key file beside the ledger, in memory).
    person_keys: Arc<PersonKeys>,
    decider: Mutex<Decider>,
    poisoned: Arc<AtomicBool>,
    /// The projection snapshot the decider opened from (0: none).
    from_snapshot: u64,
}

/// A decision sealed but not yet folded or handed over: its events in both forms, and its answer.
struct Decided {
    executed: Executed,
    sealed: Vec<Sealed>,
    recorded: Vec<Recorded>,
    /// The persons it erases.
    erased: Vec<domain::PersonId>,
}

impl Service {
    /// Opens the decider at the durable head: from the newest projection snapshot that matches the
    /// chain and the events after it (`read_models::open_projection`), so opening does not grow with
    /// the ledger; a ledger without one is folded whole, through the one decoder.
    pub fn open(ledger: Arc<Ledger>, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Service, ServiceError> {
        let opened = read_models::open_projection(&ledger, crate::limits::SNAPSHOT_INTERVAL_EVENTS)?;
        let (seq, from_snapshot) = (opened.projection.seq(), opened.from_snapshot);
        Service::from_facts(ledger, clock, ids, opened.projection.into_facts(), seq, from_snapshot)
    }

    /// Opens the decider and the read models from one reading of the newest snapshot (a server
    /// needs both: the snapshot is read and the tail folded once, and the facts copied).
    pub fn open_with_read_models(
        ledger: Arc<Ledger>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<(Service, read_models::ReadModels), ServiceError> {
        Service::open_with_read_models_preloaded(ledger, clock, ids, None)
    }

    /// As `open_with_read_models`, starting from a snapshot read ahead while the ledger opened
    /// (`read_models::Preloaded`), if it matches the chain.
    pub fn open_with_read_models_preloaded(
        ledger: Arc<Ledger>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        preloaded: Option<read_models::Preloaded>,
    ) -> Result<(Service, read_models::ReadModels), ServiceError> {
        let interval = crate::limits::SNAPSHOT_INTERVAL_EVENTS;
        let opened = read_models::open_projection_preloaded(&ledger, interval, preloaded)?;
        let (seq, facts) = (opened.projection.seq(), opened.projection.facts().clone());
        let service = Service::from_facts(ledger.clone(), clock, ids, facts, seq, opened.from_snapshot)?;
        let read_models = read_models::ReadModels::from_opened(ledger, opened, interval)?;
        Ok((service, read_models))
    }

    /// The decider on `facts`, the fold of the first `seq` events, which must be the durable head.
    fn from_facts(
        ledger: Arc<Ledger>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        facts: Facts,
        seq: u64,
        from_snapshot: u64,
    ) -> Result<Service, ServiceError> {
        let head = ledger.head();
        if head.seq != seq {
            return Err(ServiceError::Failure(format!(
                "the ledger moved to {} while the service opened at {seq}",
                head.seq
            )));
        }
        let person_keys = Arc::new(PersonKeys::open(ledger.dir(), &facts)?);
        let decider = Decider {
            facts,
            chain: Chain::at(head),
            pending_events: VecDeque::new(),
            pending_event_ids: HashSet::new(),
            recent_commands: HashMap::new(),
            clock_override: None,
            imported: None,
        };
        let poisoned = Arc::new(AtomicBool::new(false));
        Ok(Service { ledger, clock, ids, person_keys, decider: Mutex::new(decider), poisoned, from_snapshot })
    }

    /// Takes the facts of `projection` (the read models' fold) in place of the decider's own copy when
    /// the decider stands at that very event, never waiting for it: a decider busy deciding keeps
    /// its own. Both are the one fold of the same events, so they are equal — unless the snapshot
    /// both were opened from held facts the chain does not, which the read models' fold of the whole
    /// history finds, and then the chain's own fold is the one to take. Afterwards they share every
    /// node until one of them folds the next event, and a server holds one copy of its facts instead
    /// of two (the facts are persistent maps). Returns whether it took them.
    pub fn share_facts(&self, projection: &crate::projection::Projection) -> bool {
        let Ok(mut decider) = self.decider.try_lock() else { return false };
        if decider.chain.head().seq != projection.seq() || decider.chain.head().hash != projection.hash() {
            return false;
        }
        decider.facts = projection.facts().clone();
        true
    }

    /// The snapshot the decider was opened from (0: the ledger was folded from its first event).
    pub fn opened_from_snapshot(&self) -> u64 {
        self.from_snapshot
    }

    /// The store itself, for tests and tools that check it directly; adapters read through `records`.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The recorded chain, read-only: what the adapters read.
    pub fn records(&self) -> records::Records {
        records::Records::new(self.ledger.clone())
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The person keys: what the views open personal texts with.
    pub fn person_keys(&self) -> &Arc<PersonKeys> {
        &self.person_keys
    }

    /// The access a token hash was granted (revoked or not), as the decider knows it.
    pub fn access_of(&self, token_hash: &domain::TokenHash) -> Option<domain::AccessRecord> {
        self.with_facts(|facts| facts.access(token_hash).cloned())
    }

    /// Runs `read` against the decider's facts (which include pending commands).
    pub fn with_facts<T>(&self, read: impl FnOnce(&Facts) -> T) -> T {
        read(&self.decider.lock().expect("decider lock").facts)
    }

    /// Decides `command` and hands its events to the ledger; wait on the result for durability.
    pub fn submit(
        &self,
        actor: domain::Actor,
        command: &Command,
        options: CommandOptions,
    ) -> Result<PendingCommand, ServiceError> {
        // A role that may not rotate keys is refused as for any command (by the rules), not told how.
        if role_may_issue(&actor, command) {
            refuse_key_rotation(command)?;
        }
        self.submit_any(actor, command, options)
    }

    /// Records a new checkpoint signing key (`kpi-ledger key rotate`), as `actor` (an admin of a top
    /// unit): makes the key (same origin), stages it beside the key file, records `SigningKeyRotated`
    /// with the new and the previous public key, and once that is durable puts the new key in place —
    /// the old key file is kept as `<name>.retired-<seq>`. Checkpoints from then on are signed with
    /// the new key; those signed before still verify with the old one. Returns the event's answer and
    /// where the old key file went (none when it was lost: the rotation starts a new key deliberately).
    pub fn rotate_signing_key(
        &self,
        actor: domain::Actor,
        reason: &str,
    ) -> Result<(Executed, Option<std::path::PathBuf>), ServiceError> {
        let previous = self
            .ledger
            .public_key()
            .ok_or_else(|| ServiceError::Failure("this ledger records no signing key to rotate".into()))?;
        let next = crate::store::signer::Signer::generate_for(&self.ledger.origin())?;
        let command = Command::RotateSigningKey(domain::command::RotateSigningKey {
            public_key: domain::ids::PublicKeyHex::new(hex::encode(next.public_key().as_bytes()))
                .map_err(ServiceError::Failure)?,
            previous_public_key: domain::ids::PublicKeyHex::new(hex::encode(previous.as_bytes()))
                .map_err(ServiceError::Failure)?,
            reason: reason.to_owned(),
        });
        self.ledger.stage_signing_key(&next)?;
        let executed = match self.submit_any(actor, &command, CommandOptions::default()).and_then(PendingCommand::wait)
        {
            Ok(executed) => executed,
            Err(error) => {
                let _ = std::fs::remove_file(self.ledger.next_key_path());
                return Err(error);
            }
        };
        let retired = self.ledger.put_staged_key_in_place(executed.last_seq)?;
        Ok((executed, retired))
    }

    fn submit_any(
        &self,
        actor: domain::Actor,
        command: &Command,
        options: CommandOptions,
    ) -> Result<PendingCommand, ServiceError> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(ServiceError::Unavailable);
        }
        // A new person's key is written before the decider is locked: commands go on meanwhile. Only
        // for a role that may give the command (any other is refused by the rules, as always).
        if role_may_issue(&actor, command) {
            self.person_keys.ensure_key_for(command, self.ids.as_ref())?;
        }
        let mut decider = self.decider.lock().expect("decider lock");
        let digest = command_digest(&actor, command);
        if let Some(command_id) = &options.command_id {
            if let Some(executed) = self.earlier_command(&decider, command_id, digest)? {
                return Ok(self.pending(executed, None));
            }
        }
        let decided = match self.decide(&mut decider, &actor, command, &options) {
            Ok(decided) => decided,
            Err(error) => {
                self.person_keys.discard_staged();
                return Err(error);
            }
        };
        // The keys the texts are sealed under are durable before the texts are handed over.
        self.person_keys.persist_staged()?;
        self.person_keys.begin_forgetting(&decided.erased);
        let append = SealedAppend {
            events: decided.sealed,
            command: options.command_id.clone().map(|command_id| CommandKey { command_id, digest }),
        };
        let pending = self.ledger.submit(append).map_err(|e| {
            self.person_keys.abandon_forgetting(&decided.erased);
            ServiceError::Failure(e.to_string())
        })?;
        fold(&mut decider, &decided.recorded, self.ledger.head().seq);
        if let Some(command_id) = options.command_id {
            if decider.recent_commands.len() >= RECENT_COMMANDS_MAX {
                decider.recent_commands.clear();
            }
            let replay = Executed { replayed: true, ..decided.executed.clone() };
            decider.recent_commands.insert(command_id, (replay, digest));
        }
        Ok(PendingCommand { erased: decided.erased, ..self.pending(decided.executed, Some(pending)) })
    }

    /// Decides, appends and waits until durable. Not for use inside an async task.
    pub fn execute(
        &self,
        actor: domain::Actor,
        command: &Command,
        options: CommandOptions,
    ) -> Result<Executed, ServiceError> {
        self.submit(actor, command, options)?.wait()
    }

    /// Decides `commands` in order, each on top of the ones before it, and writes all their events in
    /// one atomic batch: every command is carried out, or none is (the refusal names the command by its
    /// position, from 0). Waits until durable. Not for use inside an async task.
    pub fn execute_all(&self, actor: domain::Actor, commands: &[Command]) -> Result<Vec<Executed>, BatchError> {
        self.execute_all_at(commands.iter().map(|command| (actor.clone(), command, None)))
    }

    /// As `execute_all`, each command with its own actor and, for histories recorded with their own
    /// times, the instant it happened (times must not decrease, nor precede the head's).
    pub fn execute_all_at<'a>(
        &self,
        commands: impl IntoIterator<Item = (domain::Actor, &'a Command, Option<Timestamp>)>,
    ) -> Result<Vec<Executed>, BatchError> {
        let items = commands.into_iter().map(|(actor, command, at)| BatchItem { actor, command, at, new_id: None });
        self.execute_batch(items, None, &|_, _| Ok(()))
    }

    /// The one way a batch is carried out: each command decided on a scratch copy of the decider
    /// (with its own time, when given, and `admit` checked against the facts so far), then every
    /// event written in one atomic batch, or nothing.
    fn execute_batch<'a>(
        &self,
        commands: impl IntoIterator<Item = BatchItem<'a>>,
        imported: Option<chain::envelope::Imported>,
        admit: &dyn Fn(&Facts, &domain::Actor) -> Result<(), ServiceError>,
    ) -> Result<Vec<Executed>, BatchError> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(BatchError { index: 0, error: ServiceError::Unavailable });
        }
        let mut decider = self.decider.lock().expect("decider lock");
        let mut scratch = decider.clone();
        let mut commands = commands.into_iter().enumerate().map(|(index, item)| {
            refuse_key_rotation(item.command).map(|()| item).map_err(|error| BatchError { index, error })
        });
        scratch.imported = imported;
        let mut executed_all = Vec::new();
        let mut appends = Vec::new();
        let mut erased = Vec::new();
        // Keys staged by a command of the batch are written only if the whole batch is decided.
        let discard = |error: BatchError| {
            self.person_keys.discard_staged();
            error
        };
        for (index, item) in commands.by_ref().enumerate() {
            let BatchItem { actor, command, at, new_id } = item.map_err(discard)?;
            let fail = |error: ServiceError| discard(BatchError { index, error });
            admit(&scratch.facts, &actor).map_err(fail)?;
            if let Some(at) = at {
                let previous = scratch.chain.head().recorded_at;
                if at < previous {
                    return Err(fail(ServiceError::TimeGoesBack { at, previous }));
                }
                scratch.clock_override = Some(at);
            }
            let options = CommandOptions { new_id, ..CommandOptions::default() };
            let decided = self.decide(&mut scratch, &actor, command, &options).map_err(fail)?;
            fold(&mut scratch, &decided.recorded, self.ledger.head().seq);
            erased.extend(decided.erased);
            executed_all.push(decided.executed);
            appends.push(SealedAppend { events: decided.sealed, command: None });
        }
        scratch.clock_override = None;
        scratch.imported = None;
        if appends.is_empty() {
            return Ok(executed_all);
        }
        self.person_keys.persist_staged().map_err(|error| BatchError { index: 0, error })?;
        self.person_keys.begin_forgetting(&erased);
        let pending = self.ledger.submit_all(appends).map_err(|e| {
            self.person_keys.abandon_forgetting(&erased);
            BatchError {
                index: 0,
                error: if e.is_rejection() {
                    ServiceError::TooLarge { field: "commands", reason: e.to_string() }
                } else {
                    ServiceError::Failure(e.to_string())
                },
            }
        })?;
        *decider = scratch;
        drop(decider);
        pending.wait().map_err(|error| {
            self.poisoned.store(true, Ordering::SeqCst);
            tracing::error!(%error, "the ledger refused or failed a decided batch");
            BatchError { index: 0, error: ServiceError::Unavailable }
        })?;
        self.person_keys.finish_forgetting(&erased).map_err(|error| BatchError { index: 0, error })?;
        Ok(executed_all)
    }

    /// Decides one command against `decider` (the live one, or a scratch copy for a batch) and seals
    /// its events after the decider's head. Nothing is folded yet; the decider learns the durable
    /// version of a stream it has not met.
    fn decide(
        &self,
        decider: &mut Decider,
        actor: &domain::Actor,
        command: &Command,
        options: &CommandOptions,
    ) -> Result<Decided, ServiceError> {
        let now = decider.clock_override.unwrap_or_else(|| self.clock.now()).max(decider.chain.head().recorded_at);
        let new_id = options.new_id.unwrap_or_else(|| self.ids.next_id(now));
        let mut context = Context::new(now, actor.clone(), new_id);
        context.known_links = self.known_links(decider, command.links())?;
        people::prepare(self, decider, actor, command, &mut context)?;
        let mut events = domain::decide(&decider.facts, command, &context)?;
        // Personal texts are recorded sealed under their person's key, never in clear.
        self.person_keys.seal_events(&mut events, self.ids.as_ref())?;
        let erased = person_keys::erased_by(&events);
        let stream = single_stream(&events)?;
        let current = self.stream_version(decider, &stream)?;
        if let Some(expected) = options.expected_version {
            if expected != current {
                return Err(ServiceError::WrongExpectedVersion { stream, expected, current });
            }
        }
        let recorded_by = RecordedBy { id: actor.id.clone(), role: actor.role };
        let mut chain = Chain::at(decider.chain.head());
        chain.learn_stream_version(&stream, current);
        let mut sealed = Vec::with_capacity(events.len());
        let mut recorded = Vec::with_capacity(events.len());
        for event in &events {
            let stamp = Stamp {
                event_id: self.ids.next_id(now),
                recorded_at: now,
                recorded_by: &recorded_by,
                command_id: options.command_id.as_deref(),
                correlation_id: options.correlation_id,
                imported: decider.imported.as_ref(),
            };
            let (one_sealed, one_recorded) = chain
                .append(event, stamp)
                .map_err(|too_large| ServiceError::TooLarge { field: "payload", reason: too_large.to_string() })?;
            sealed.push(one_sealed);
            recorded.push(one_recorded);
        }
        let executed = Executed {
            stream: stream.clone(),
            first_seq: decider.chain.head().seq + 1,
            last_seq: chain.head().seq,
            stream_version: current + events.len() as u64,
            event_types: events.iter().map(Event::event_type).collect(),
            created_id: events.iter().find_map(Event::created_id),
            replayed: false,
        };
        Ok(Decided { executed, sealed, recorded, erased })
    }

    /// The stream's version as the decider knows it, or (the first time) as the store has it.
    fn stream_version(&self, decider: &mut Decider, stream: &str) -> Result<u64, ServiceError> {
        if let Some(version) = decider.chain.known_stream_version(stream) {
            return Ok(version);
        }
        let version = self.ledger.stream_version(stream)?;
        decider.chain.learn_stream_version(stream, version);
        Ok(version)
    }

    /// Which of `links` name events that exist: decided here and pending, or durable in the store.
    fn known_links(
        &self,
        decider: &Decider,
        links: &[domain::EventId],
    ) -> Result<BTreeSet<domain::EventId>, ServiceError> {
        let mut known = BTreeSet::new();
        for link in links {
            if decider.pending_event_ids.contains(&link.0) || self.ledger.contains_event(&link.0)? {
                known.insert(*link);
            }
        }
        Ok(known)
    }

    fn pending(&self, executed: Executed, append: Option<PendingAppend>) -> PendingCommand {
        PendingCommand {
            executed,
            append,
            ledger: self.ledger.clone(),
            poisoned: self.poisoned.clone(),
            erased: Vec::new(),
            person_keys: self.person_keys.clone(),
        }
    }

    /// The result of a command id used before, from memory or from the ledger's index; refused when the
    /// id was used for a different command.
    fn earlier_command(
        &self,
        decider: &Decider,
        command_id: &str,
        digest: [u8; 32],
    ) -> Result<Option<Executed>, ServiceError> {
        let reused = || ServiceError::CommandIdReused { command_id: command_id.to_owned() };
        if let Some((executed, recorded_digest)) = decider.recent_commands.get(command_id) {
            return if *recorded_digest == digest { Ok(Some(executed.clone())) } else { Err(reused()) };
        }
        let (appended, stream_version) = match self.ledger.command_result(command_id, Some(digest))? {
            CommandLookup::Unknown => return Ok(None),
            CommandLookup::Conflict => return Err(reused()),
            CommandLookup::Replayed { appended, stream_version } => (appended, stream_version),
        };
        let mut events: Vec<Recorded> = Vec::new();
        let decode = |seq: u64, record: chain::Record<'_>| {
            chain::decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()))
        };
        self.ledger.for_each_decoded(appended.first_seq, appended.last_seq, decode, |recorded| {
            events.push(recorded);
            Ok(())
        })?;
        let stream = events.first().map(|recorded| recorded.event.stream_id()).unwrap_or_default();
        Ok(Some(Executed {
            stream,
            first_seq: appended.first_seq,
            last_seq: appended.last_seq,
            stream_version,
            event_types: events.iter().map(|recorded| recorded.event.event_type()).collect(),
            created_id: events.iter().find_map(|recorded| recorded.event.created_id()),
            replayed: true,
        }))
    }
}

/// Folds a decision into the decider: its facts, its chain head and stream versions, and its events
/// as pending until the store's index has them (`durable_seq` is the store's head).
fn fold(decider: &mut Decider, recorded: &[Recorded], durable_seq: u64) {
    for event in recorded {
        decider.facts.apply(event);
        decider.chain.count(event.event.stream_id());
        decider.chain.set_head(chain::Head { seq: event.seq, hash: event.hash, recorded_at: event.recorded_at });
        decider.pending_events.push_back((event.seq, event.event_id.0));
        decider.pending_event_ids.insert(event.event_id.0);
    }
    // Durable events are in the store's index, which answers for them from now on.
    while decider.pending_events.front().is_some_and(|(seq, _)| *seq <= durable_seq) {
        if let Some((_, id)) = decider.pending_events.pop_front() {
            decider.pending_event_ids.remove(&id);
        }
    }
}

/// One command of a batch: who, what, when (for history), and the id of the fact it creates (for
/// history that refers to it later).
struct BatchItem<'a> {
    actor: domain::Actor,
    command: &'a Command,
    at: Option<Timestamp>,
    new_id: Option<uuid::Uuid>,
}

/// A batch refused or failed at the command in position `index` (from 0); nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("command {}: {error}", index + 1)]
pub struct BatchError {
    pub index: usize,
    pub error: ServiceError,
}

/// What identifies a command for idempotency: who asked (actor id, role, unit) and what (the command's
/// name and payload). Ids the service makes (times, new fact ids) are left out: a retry gets new ones.
fn command_digest(actor: &domain::Actor, command: &Command) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"kpi-ledger/service-command/v1\n");
    for part in [actor.id.as_str(), actor.role.as_str(), actor.unit.as_str(), command.name()] {
        hasher.update(&(part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let payload = serde_json::to_vec(&command.payload()).expect("command payloads serialise");
    hasher.update(&payload);
    *hasher.finalize().as_bytes()
}

/// Whether the actor's role may give `command` at all — the first of the domain's checks, which the
/// adapters ask to choose what to offer (a form, a link); the actor's scope and the facts are judged
/// when the command is decided.
pub fn role_may_issue(actor: &domain::Actor, command: &Command) -> bool {
    domain::allowed_roles(command).contains(&actor.role)
}

/// A key rotation is recorded only by `Service::rotate_signing_key`, which makes the key it names: sent
/// any other way (an HTTP route, a batch, a history) it would name a key nobody holds.
fn refuse_key_rotation(command: &Command) -> Result<(), ServiceError> {
    if matches!(command, Command::RotateSigningKey(_)) {
        return Err(ServiceError::Rejected(Rejection::new(
            domain::rejection::RejectionCode::InvalidCommand,
            "command",
            "command: a signing key is rotated on the server's machine with `kpi-ledger key rotate`, which makes the \
             key",
        )));
    }
    Ok(())
}

/// All events of one decision go to one stream (one atomic append).
fn single_stream(events: &[Event]) -> Result<String, ServiceError> {
    let stream = events
        .first()
        .map(Event::stream_id)
        .ok_or_else(|| ServiceError::Failure("a command decided no events".into()))?;
    if events.iter().any(|event| event.stream_id() != stream) {
        return Err(ServiceError::Failure(format!(
            "a command decided events for several streams, starting with {stream}"
        )));
    }
    validate_stream_id(&stream).map_err(|e| ServiceError::Failure(format!("decided stream id {stream:?}: {e}")))?;
    Ok(stream)
}
