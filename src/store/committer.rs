//! The committer: one thread that owns every write to the ledger. It takes all append requests
//! waiting at that moment, checks each against the state left by the ones before it, writes the
//! accepted ones in one sled batch, flushes, fsyncs, and only then answers them (group commit).
//!
//! Architecture invariant: sequence numbers, stream versions and hashes are assigned here and only
//! here, one group at a time, so the chain is gapless without locks. After a storage failure the
//! committer refuses every later append: what reached the disk is unknown until the ledger is reopened.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::chain::merkle::{Blake3, IncrementalTree};
use crate::chain::{EventBody, Record};
use crate::limits::{EVENT_BODY_BYTES_MAX, GROUP_COMMIT_REQUESTS_MAX};
use crate::store::durability::Syncer;
use crate::store::error::AppendError;
use crate::store::keys::{self, CommandRecord, RequestDigestOf};
use crate::store::merkle_nodes;
use crate::store::types::{AppendRequest, Appended, Head};
use crate::store::Shared;

/// Appends written together or not at all (usually one; a batch of commands or a history import
/// hands over several, which then share one atomic sled batch).
pub struct Submission {
    pub requests: Vec<AppendRequest>,
    pub reply: oneshot::Sender<Result<Vec<Appended>, AppendError>>,
}

pub struct Committer {
    pub tree: sled::Tree,
    pub syncer: Syncer,
    pub shared: Arc<Shared>,
    /// The durable head; the staged head of a group starts here.
    pub head: Head,
    /// Versions of streams seen since open (a cache of the `v` keys; bounded by `clear` when large).
    pub stream_versions: HashMap<String, u64>,
    /// The Merkle tree over the durable events (its right edge; the rest is in the tree's `m` keys).
    pub merkle: IncrementalTree<Blake3>,
}

/// What one group has staged but not yet written.
#[derive(Clone)]
struct Group {
    batch: sled::Batch,
    head: Head,
    stream_versions: HashMap<String, u64>,
    commands: HashMap<String, CommandRecord>,
    event_ids: std::collections::HashSet<uuid::Uuid>,
    merkle: IncrementalTree<Blake3>,
    events: u64,
}

const STREAM_VERSION_CACHE_MAX: usize = 1_000_000;

impl Committer {
    pub fn run(mut self, submissions: Receiver<Submission>) {
        while let Ok(first) = submissions.recv() {
            let mut group = vec![first];
            while group.len() < GROUP_COMMIT_REQUESTS_MAX {
                match submissions.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
    }

    fn commit_group(&mut self, submissions: Vec<Submission>) {
        if self.shared.poisoned.load(Ordering::Acquire) {
            for submission in submissions {
                let _ = submission.reply.send(Err(AppendError::Unavailable));
            }
            return;
        }
        let mut group = Group {
            batch: sled::Batch::default(),
            head: self.head,
            stream_versions: HashMap::new(),
            commands: HashMap::new(),
            event_ids: Default::default(),
            merkle: self.merkle.clone(),
            events: 0,
        };
        let outcomes: Vec<_> = submissions
            .into_iter()
            .map(|submission| {
                let outcome = self.stage_all(&mut group, &submission.requests);
                (submission.reply, outcome)
            })
            .collect();
        let written = if group.events > 0 { self.write(group) } else { Ok(()) };
        if let Err(error) = &written {
            tracing::error!(%error, "append failed; the ledger refuses further appends until reopened");
            self.shared.poisoned.store(true, Ordering::Release);
        }
        for (reply, outcome) in outcomes {
            let outcome = match (&written, outcome) {
                (Err(error), Ok(appended)) if appended.iter().any(|a| !a.replayed) => {
                    Err(AppendError::Storage(error.to_string()))
                }
                (_, outcome) => outcome,
            };
            let _ = reply.send(outcome);
        }
    }

    /// Stages every request of one submission, or none: a refusal of any undoes the others.
    fn stage_all(&mut self, group: &mut Group, requests: &[AppendRequest]) -> Result<Vec<Appended>, AppendError> {
        if let [request] = requests {
            return self.stage(group, request).map(|appended| vec![appended]);
        }
        let before = group.clone();
        let staged: Result<Vec<Appended>, AppendError> =
            requests.iter().map(|request| self.stage(group, request)).collect();
        if staged.is_err() {
            *group = before;
        }
        staged
    }

    /// Checks one request against the state so far and, if accepted, adds its writes to the group.
    fn stage(&mut self, group: &mut Group, request: &AppendRequest) -> Result<Appended, AppendError> {
        let digest = match request.request_digest {
            Some(digest) => RequestDigestOf::Caller(digest),
            None => RequestDigestOf::Events(request_digest(request)),
        };
        if let Some(command_id) = &request.command_id {
            if let Some(earlier) = self.find_command(group, command_id)? {
                return replay(command_id, &earlier, &digest);
            }
        }
        let current = self.stream_version(group, &request.stream)?;
        if !request.expected.admits(current) {
            return Err(AppendError::WrongExpectedVersion {
                stream: request.stream.clone(),
                expected: request.expected,
                current,
            });
        }
        let records = self.seal_events(group, request, current)?;
        let appended = Appended {
            first_seq: group.head.seq + 1,
            last_seq: group.head.seq + records.len() as u64,
            stream_version: current + records.len() as u64,
            replayed: false,
        };
        for (version, event_id, record_bytes, hash, recorded_at) in records {
            let seq = group.head.seq + 1;
            group.batch.insert(&keys::event(seq), record_bytes);
            group.batch.insert(keys::stream_event(&request.stream, version), &seq.to_be_bytes());
            group.batch.insert(&keys::event_id(&event_id), &seq.to_be_bytes());
            group.event_ids.insert(event_id);
            let nodes = group.merkle.append(merkle_nodes::leaf_of(&hash)).expect("fewer than u64::MAX events");
            merkle_nodes::stage_nodes(&mut group.batch, nodes);
            group.head = Head { seq, hash, recorded_at };
            group.events += 1;
        }
        group.stream_versions.insert(request.stream.clone(), appended.stream_version);
        if let Some(command_id) = &request.command_id {
            let command = CommandRecord {
                first_seq: appended.first_seq,
                last_seq: appended.last_seq,
                stream_version: appended.stream_version,
                request_digest: digest,
            };
            group.commands.insert(command_id.clone(), command);
        }
        Ok(appended)
    }

    /// Builds every event's body and record; refuses the whole request if any event is refused.
    #[allow(clippy::type_complexity)]
    fn seal_events(
        &self,
        group: &Group,
        request: &AppendRequest,
        current_version: u64,
    ) -> Result<Vec<(u64, uuid::Uuid, Vec<u8>, crate::chain::Hash, crate::domain::Timestamp)>, AppendError> {
        let recorded_at = request.recorded_at.max(group.head.recorded_at);
        let mut prev_hash = group.head.hash;
        let mut sealed = Vec::with_capacity(request.events.len());
        for (index, event) in request.events.iter().enumerate() {
            if group.event_ids.contains(&event.event_id)
                || sealed.iter().any(|(_, id, _, _, _)| *id == event.event_id)
                || self.tree.get(keys::event_id(&event.event_id)).map_err(storage)?.is_some()
            {
                return Err(AppendError::DuplicateEventId { event_id: event.event_id });
            }
            let version = current_version + 1 + index as u64;
            let body = EventBody {
                event_id: event.event_id,
                stream: request.stream.clone(),
                stream_version: version,
                event_type: event.event_type.clone(),
                schema_version: event.schema_version,
                recorded_at,
                actor: request.actor.clone(),
                command_id: request.command_id.clone(),
                causation_id: request.causation_id,
                correlation_id: request.correlation_id,
                data: event.data.clone(),
            }
            .to_bytes();
            if body.len() > EVENT_BODY_BYTES_MAX {
                return Err(AppendError::invalid(
                    "data",
                    format!("event body of {} bytes exceeds the limit of {EVENT_BODY_BYTES_MAX}", body.len()),
                ));
            }
            let seq = group.head.seq + 1 + index as u64;
            let record = Record::seal(prev_hash, seq, &body);
            prev_hash = record.hash;
            sealed.push((version, event.event_id, record.encode(), record.hash, recorded_at));
        }
        Ok(sealed)
    }

    fn find_command(&self, group: &Group, command_id: &str) -> Result<Option<CommandRecord>, AppendError> {
        if let Some(record) = group.commands.get(command_id) {
            return Ok(Some(*record));
        }
        let stored = self.tree.get(keys::command(command_id)).map_err(storage)?;
        stored
            .map(|value| {
                CommandRecord::decode(&value)
                    .ok_or_else(|| AppendError::Storage(format!("unreadable command record for {command_id:?}")))
            })
            .transpose()
    }

    fn stream_version(&mut self, group: &Group, stream: &str) -> Result<u64, AppendError> {
        if let Some(version) = group.stream_versions.get(stream).or_else(|| self.stream_versions.get(stream)) {
            return Ok(*version);
        }
        let version = keys::current_stream_version(&self.tree, stream).map_err(storage)?;
        if self.stream_versions.len() >= STREAM_VERSION_CACHE_MAX {
            self.stream_versions.clear();
        }
        self.stream_versions.insert(stream.to_owned(), version);
        Ok(version)
    }

    /// Writes the group in one atomic batch, makes it durable, then publishes the new head.
    fn write(&mut self, mut group: Group) -> Result<(), String> {
        for (command_id, record) in &group.commands {
            group.batch.insert(keys::command(command_id), &record.encode()[..]);
        }
        group
            .batch
            .insert(keys::HEAD, &keys::encode_head(group.head.seq, &group.head.hash, group.head.recorded_at)[..]);
        self.tree.apply_batch(group.batch).map_err(|e| e.to_string())?;
        self.tree.flush().map_err(|e| e.to_string())?;
        self.syncer.sync(&self.shared.durability).map_err(|e| e.to_string())?;
        self.head = group.head;
        self.merkle = group.merkle;
        self.stream_versions.extend(group.stream_versions);
        self.shared.stats.groups.fetch_add(1, Ordering::Relaxed);
        self.shared.stats.events.fetch_add(group.events, Ordering::Relaxed);
        self.shared.publish_head(group.head);
        Ok(())
    }
}

fn replay(command_id: &str, earlier: &CommandRecord, digest: &RequestDigestOf) -> Result<Appended, AppendError> {
    if !earlier.request_digest.admits(digest) {
        return Err(AppendError::CommandIdConflict { command_id: command_id.to_owned() });
    }
    Ok(Appended {
        first_seq: earlier.first_seq,
        last_seq: earlier.last_seq,
        stream_version: earlier.stream_version,
        replayed: true,
    })
}

/// A digest of what a request asks to record (stream, event types, versions and data), so that a
/// retry under the same command id is recognised and a different request under it is refused.
/// Event ids, times and expected versions are left out: a retry may carry fresh ones.
pub fn request_digest(request: &AppendRequest) -> [u8; 32] {
    let mut digest = RequestDigest::new(&request.stream);
    for event in &request.events {
        digest.add(&event.event_type, event.schema_version, &event.data);
    }
    digest.finish()
}

/// Builds `request_digest` one event at a time (the importer meets a command's events line by line).
#[derive(Clone)]
pub struct RequestDigest(blake3::Hasher);

impl RequestDigest {
    pub fn new(stream: &str) -> RequestDigest {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"kpi-ledger/command/v1\n");
        hasher.update(&(stream.len() as u64).to_be_bytes());
        hasher.update(stream.as_bytes());
        RequestDigest(hasher)
    }

    pub fn add(&mut self, event_type: &str, schema_version: u32, data: &serde_json::Value) {
        let data = serde_json::to_vec(data).expect("json values serialise");
        self.0.update(&(event_type.len() as u64).to_be_bytes());
        self.0.update(event_type.as_bytes());
        self.0.update(&schema_version.to_be_bytes());
        self.0.update(&(data.len() as u64).to_be_bytes());
        self.0.update(&data);
    }

    pub fn finish(&self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

fn storage(error: sled::Error) -> AppendError {
    AppendError::Storage(error.to_string())
}
