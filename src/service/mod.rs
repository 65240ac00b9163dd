//! The service: load state → decide → append. It joins the pure domain to the ledger and owns the
//! clock and id generation.
//!
//! Commands are decided one at a time by the *decider* (a mutex around the domain `State`), but their
//! appends are pipelined: the decider hands the events to the ledger's committer and folds them into
//! its state at once, so the next command is decided on top of them while the first is still being
//! fsynced. Callers are answered only when their events are durable.
//!
//! Invariant: the decider submits only appends the ledger cannot refuse (it checks expected versions,
//! stream ids and body sizes itself, and it is the ledger's only writer), so its optimistic state always
//! equals the ledger's once pending appends land. If the ledger ever refuses or fails one anyway, the
//! service stops accepting commands: its state can no longer be trusted until it is rebuilt.

pub mod admin;
pub mod clock;
pub mod queries;
pub mod read_models;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use clock::{Clock, IdSource, ManualClock, RandomIds, SeededIds, SystemClock};

use crate::chain::Actor as EnvelopeActor;
use crate::domain::{self, Command, Context, Event, EventMeta, Rejection, State, Timestamp};
use crate::limits::EVENT_BODY_BYTES_MAX;
use crate::store::{
    validate_stream_id, AppendError, AppendRequest, Appended, CommandLookup, ExpectedVersion, Ledger, NewEvent,
    PendingAppend, StoreError,
};

/// Room left in an event body for the envelope around `data` (ids, stream, times, actor).
const ENVELOPE_BYTES_MAX: usize = 2_048;

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
}

impl PendingCommand {
    /// Blocks until durable. Not for use inside an async task.
    pub fn wait(self) -> Result<Executed, ServiceError> {
        match self.append {
            Some(append) => {
                let outcome = append.wait();
                finish(self.executed, outcome, &self.poisoned)
            }
            None => wait_for_head(&self.ledger, self.executed),
        }
    }

    pub async fn wait_async(self) -> Result<Executed, ServiceError> {
        match self.append {
            Some(append) => {
                let outcome = append.wait_async().await;
                finish(self.executed, outcome, &self.poisoned)
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
        Ok(appended) if appended.first_seq == executed.first_seq && !appended.replayed => Ok(executed),
        Ok(appended) => {
            poisoned.store(true, Ordering::SeqCst);
            tracing::error!(?appended, ?executed, "the ledger placed a command elsewhere than predicted");
            Err(ServiceError::Failure("the ledger placed a command elsewhere than predicted".into()))
        }
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

/// The decider's state: the domain fold plus what the ledger will have once pending appends land.
#[derive(Clone)]
struct Decider {
    state: State,
    next_seq: u64,
    last_recorded_at: Timestamp,
    stream_versions: HashMap<String, u64>,
    /// Commands decided in this process, by command id, with their command digests (the ledger's
    /// index has the older ones).
    recent_commands: HashMap<String, (Executed, [u8; 32])>,
    /// The instant a history import decides its current command at, instead of the clock.
    clock_override: Option<Timestamp>,
}

/// Most command ids remembered in memory before the oldest are left to the ledger's own index.
const RECENT_COMMANDS_MAX: usize = 100_000;

pub struct Service {
    ledger: Arc<Ledger>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    decider: Mutex<Decider>,
    poisoned: Arc<AtomicBool>,
}

impl Service {
    /// Folds the whole ledger into the decider's state.
    pub fn open(ledger: Arc<Ledger>, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Service, ServiceError> {
        let head = ledger.head();
        let mut decider = Decider {
            state: State::default(),
            next_seq: 1,
            last_recorded_at: Timestamp::UNIX_EPOCH,
            stream_versions: HashMap::new(),
            recent_commands: HashMap::new(),
            clock_override: None,
        };
        // Read and decode on one thread, fold on this one, straight from the stored bytes.
        let decode = |seq: u64, record: crate::chain::Record<'_>| {
            crate::projection::from_record(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()))
        };
        ledger.for_each_decoded(1, head.seq, decode, |recorded| {
            let meta = EventMeta {
                seq: recorded.seq,
                event_id: recorded.event_id,
                recorded_at: recorded.recorded_at,
                actor_id: recorded.actor.id,
            };
            domain::evolve(&mut decider.state, &recorded.event, &meta);
            *decider.stream_versions.entry(recorded.event.stream_id()).or_insert(0) += 1;
            decider.next_seq = recorded.seq + 1;
            decider.last_recorded_at = recorded.recorded_at;
            Ok(())
        })?;
        Ok(Service { ledger, clock, ids, decider: Mutex::new(decider), poisoned: Arc::new(AtomicBool::new(false)) })
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs `read` against the decider's current state (which includes pending commands).
    pub fn with_state<T>(&self, read: impl FnOnce(&State) -> T) -> T {
        read(&self.decider.lock().expect("decider lock").state)
    }

    /// Decides `command` and hands its events to the ledger; wait on the result for durability.
    pub fn submit(
        &self,
        actor: domain::Actor,
        command: &Command,
        options: CommandOptions,
    ) -> Result<PendingCommand, ServiceError> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(ServiceError::Unavailable);
        }
        let mut decider = self.decider.lock().expect("decider lock");
        let digest = command_digest(&actor, command);
        if let Some(command_id) = &options.command_id {
            if let Some(executed) = self.earlier_command(&decider, command_id, digest)? {
                return Ok(self.pending(executed, None));
            }
        }
        let (executed, request, decided) = self.decide(&decider, &actor, command, &options, digest)?;
        let append = self.ledger.submit(request).map_err(|e| ServiceError::Failure(e.to_string()))?;
        decided.fold_into(&mut decider);
        if let Some(command_id) = options.command_id {
            if decider.recent_commands.len() >= RECENT_COMMANDS_MAX {
                decider.recent_commands.clear();
            }
            decider.recent_commands.insert(command_id, (Executed { replayed: true, ..executed.clone() }, digest));
        }
        Ok(self.pending(executed, Some(append)))
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
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(BatchError { index: 0, error: ServiceError::Unavailable });
        }
        let mut decider = self.decider.lock().expect("decider lock");
        let mut scratch = decider.clone();
        let mut executed_all = Vec::new();
        let mut requests = Vec::new();
        for (index, (actor, command, at)) in commands.into_iter().enumerate() {
            let fail = |error: ServiceError| BatchError { index, error };
            let options = CommandOptions::default();
            if let Some(at) = at {
                if at < scratch.last_recorded_at {
                    return Err(fail(ServiceError::TimeGoesBack { at, previous: scratch.last_recorded_at }));
                }
                scratch.clock_override = Some(at);
            }
            let digest = command_digest(&actor, command);
            let (executed, request, decided) =
                self.decide(&scratch, &actor, command, &options, digest).map_err(fail)?;
            decided.fold_into(&mut scratch);
            executed_all.push(executed);
            requests.push(request);
        }
        scratch.clock_override = None;
        if requests.is_empty() {
            return Ok(executed_all);
        }
        let pending = self.ledger.submit_all(requests).map_err(|e| BatchError {
            index: 0,
            error: if e.is_rejection() {
                ServiceError::TooLarge { field: "commands", reason: e.to_string() }
            } else {
                ServiceError::Failure(e.to_string())
            },
        })?;
        *decider = scratch;
        drop(decider);
        let appended = pending.wait().map_err(|error| {
            self.poisoned.store(true, Ordering::SeqCst);
            tracing::error!(%error, "the ledger refused or failed a decided batch");
            BatchError { index: 0, error: ServiceError::Unavailable }
        })?;
        if appended.iter().zip(&executed_all).any(|(appended, executed)| appended.first_seq != executed.first_seq) {
            self.poisoned.store(true, Ordering::SeqCst);
            return Err(BatchError {
                index: 0,
                error: ServiceError::Failure("the ledger placed a batch elsewhere than predicted".into()),
            });
        }
        Ok(executed_all)
    }

    /// Decides one command against `decider` (the live one, or a scratch copy for a batch): the answer
    /// it will get, the append that records it, and what folding it changes.
    fn decide(
        &self,
        decider: &Decider,
        actor: &domain::Actor,
        command: &Command,
        options: &CommandOptions,
        digest: [u8; 32],
    ) -> Result<(Executed, AppendRequest, Decided), ServiceError> {
        let now = decider.clock_override.unwrap_or_else(|| self.clock.now()).max(decider.last_recorded_at);
        let new_id = options.new_id.unwrap_or_else(|| self.ids.next_id(now));
        let context = Context { now, actor: actor.clone(), new_id };
        let events = domain::decide(&decider.state, command, &context)?;
        let stream = single_stream(&events)?;
        let current = decider.stream_versions.get(&stream).copied().unwrap_or(0);
        if let Some(expected) = options.expected_version {
            if expected != current {
                return Err(ServiceError::WrongExpectedVersion { stream, expected, current });
            }
        }
        let new_events = self.new_events(&events, now)?;
        let executed = Executed {
            stream: stream.clone(),
            first_seq: decider.next_seq,
            last_seq: decider.next_seq + events.len() as u64 - 1,
            stream_version: current + events.len() as u64,
            event_types: events.iter().map(Event::event_type).collect(),
            created_id: created_id(&new_events, new_id),
            replayed: false,
        };
        let request = AppendRequest {
            stream: stream.clone(),
            expected: ExpectedVersion::Exact(current),
            events: new_events.clone(),
            recorded_at: now,
            actor: EnvelopeActor { id: actor.id.clone(), role: actor.role.as_str().to_owned() },
            command_id: options.command_id.clone(),
            request_digest: Some(digest),
            causation_id: None,
            correlation_id: options.correlation_id,
        };
        let decided = Decided { events, new_events, actor_id: actor.id.clone(), now, stream };
        Ok((executed, request, decided))
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

    fn pending(&self, executed: Executed, append: Option<PendingAppend>) -> PendingCommand {
        PendingCommand { executed, append, ledger: self.ledger.clone(), poisoned: self.poisoned.clone() }
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
        let appended = match self.ledger.command_result(command_id, Some(digest))? {
            CommandLookup::Unknown => return Ok(None),
            CommandLookup::Conflict => return Err(reused()),
            CommandLookup::Replayed(appended) => appended,
        };
        let events =
            self.ledger.read_range(appended.first_seq, (appended.last_seq - appended.first_seq + 1) as usize)?;
        let stream = events.first().map(|e| e.body.stream.clone()).unwrap_or_default();
        let event_types = events.iter().filter_map(|e| static_event_type(&e.body.event_type)).collect();
        Ok(Some(Executed {
            stream,
            first_seq: appended.first_seq,
            last_seq: appended.last_seq,
            stream_version: appended.stream_version,
            event_types,
            created_id: events.first().and_then(|event| find_created_id(&event.body.event_type, &event.body.data)),
            replayed: true,
        }))
    }

    /// The ledger's form of the decided events, checked so that the ledger cannot refuse them.
    fn new_events(&self, events: &[Event], now: Timestamp) -> Result<Vec<NewEvent>, ServiceError> {
        events
            .iter()
            .map(|event| {
                let data = event.to_data();
                let size = serde_json::to_vec(&data).map(|bytes| bytes.len()).unwrap_or(usize::MAX);
                if size > EVENT_BODY_BYTES_MAX - ENVELOPE_BYTES_MAX {
                    return Err(ServiceError::TooLarge {
                        field: "payload",
                        reason: format!(
                            "the event would be {size} bytes; the limit is {}",
                            EVENT_BODY_BYTES_MAX - ENVELOPE_BYTES_MAX
                        ),
                    });
                }
                Ok(NewEvent {
                    event_id: self.ids.next_id(now),
                    event_type: event.event_type().to_owned(),
                    schema_version: event.schema_version(),
                    data,
                })
            })
            .collect()
    }
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

/// `new_id` if the decided events use it (the command created a fact under that id).
fn created_id(events: &[NewEvent], new_id: uuid::Uuid) -> Option<uuid::Uuid> {
    let text = new_id.to_string();
    events
        .iter()
        .any(|event| event.data.as_object().is_some_and(|data| data.values().any(|v| v.as_str() == Some(&text))))
        .then_some(new_id)
}

/// The id a stored event created, for replayed results: the field that names the new fact, by type.
fn find_created_id(event_type: &str, data: &serde_json::Value) -> Option<uuid::Uuid> {
    const CREATING_EVENTS: [(&str, &str); 5] = [
        ("DeductionRecorded", "deduction_id"),
        ("TierAwarded", "tier_award_id"),
        ("BonusAwarded", "bonus_id"),
        ("VetoApplied", "veto_id"),
        ("AppealFiled", "appeal_id"),
    ];
    let (_, field) = CREATING_EVENTS.iter().find(|(creating, _)| *creating == event_type)?;
    data.get(*field)?.as_str()?.parse().ok()
}

/// The append that writes one generated (or otherwise already decided) event as it is, with its own
/// id, time and actor: for loading generated histories into a ledger (tools/generate, the benchmark).
pub fn append_request_for(generated: &crate::projection::generator::GeneratedEvent) -> AppendRequest {
    AppendRequest {
        stream: generated.stream.clone(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent {
            event_id: generated.event_id.0,
            event_type: generated.event.event_type().to_owned(),
            schema_version: generated.event.schema_version(),
            data: generated.event.to_data(),
        }],
        recorded_at: generated.recorded_at,
        actor: generated.actor.clone(),
        command_id: None,
        request_digest: None,
        causation_id: None,
        correlation_id: None,
    }
}

/// The static name of a stored event type, if it is one this build knows.
fn static_event_type(name: &str) -> Option<&'static str> {
    Event::CURRENT_VERSIONS.iter().find(|(known, _)| *known == name).map(|(known, _)| *known)
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

/// A decision not yet folded: its events, in the domain's form and the ledger's.
struct Decided {
    events: Vec<Event>,
    new_events: Vec<NewEvent>,
    actor_id: String,
    now: Timestamp,
    stream: String,
}

impl Decided {
    /// Folds the decided events into the decider's state with the sequence numbers the ledger will
    /// give them.
    fn fold_into(self, decider: &mut Decider) {
        for (event, new_event) in self.events.iter().zip(&self.new_events) {
            let meta = EventMeta {
                seq: decider.next_seq,
                event_id: domain::EventId(new_event.event_id),
                recorded_at: self.now,
                actor_id: self.actor_id.clone(),
            };
            domain::evolve(&mut decider.state, event, &meta);
            decider.next_seq += 1;
        }
        *decider.stream_versions.entry(self.stream).or_insert(0) += self.events.len() as u64;
        decider.last_recorded_at = self.now;
    }
}

/// A batch refused or failed at the command in position `index` (from 0); nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("command {}: {error}", index + 1)]
pub struct BatchError {
    pub index: usize,
    pub error: ServiceError,
}
