//! Rebuilding the index from records: the one place that turns a sequence of records into sled's keys
//! (event, stream, event id, command, Merkle nodes, head) and, where asked, into a new record copy.
//! Import builds a ledger from an export with it, the open path rolls the index forward from the
//! record copy with it, and `recover` rebuilds a damaged ledger with it.
//!
//! Invariant: every record is checked as an append would be before anything of it is staged — its
//! sequence number, link and hash continue the chain, its body is a well-formed envelope in the right
//! stream at the next stream version with a new event id, and times never go back.

use std::collections::{HashMap, HashSet};

use crate::chain::merkle::{Blake3, IncrementalTree};
use crate::chain::{link_hash, EventBody, Record};
use crate::domain::check_unique_keys;
use crate::limits::{EVENT_BODY_BYTES_MAX, IMPORT_EVENTS_PER_BATCH};
use crate::store::durability::Syncer;
use crate::store::export::{BodyCheck, RequestDigest};
use crate::store::keys::{self, CommandRecord, RequestDigestOf, SegmentMark};
use crate::store::segment::{self, Segment};
use crate::store::types::Head;
use crate::store::{merkle_nodes, validate_stream_id, DurabilityStats, StoreError};

/// Where the records being rebuilt live in the record copy.
pub(crate) enum CopyTarget {
    /// A new copy is written alongside (import, recover).
    Write { segment: Segment, pending: Vec<u8> },
    /// The records come from the copy itself (rolling the index forward): their frames are there.
    Existing { group_start: Option<u64>, end: u64 },
}

/// A command whose events are still arriving (an append's events are consecutive in the chain).
struct OpenCommand {
    command_id: String,
    record: CommandRecord,
    digest: RequestDigest,
}

pub(crate) struct Rebuilder {
    tree: sled::Tree,
    batch: sled::Batch,
    batch_events: usize,
    head: Head,
    stream_versions: HashMap<String, u64>,
    batch_event_ids: HashSet<uuid::Uuid>,
    command: Option<OpenCommand>,
    finished_commands: HashSet<String>,
    merkle: IncrementalTree<Blake3>,
    copy: CopyTarget,
}

impl Rebuilder {
    /// Rebuilds into an empty tree.
    pub fn new(tree: sled::Tree, copy: CopyTarget) -> Rebuilder {
        Rebuilder::resume(tree, Head::EMPTY, IncrementalTree::new(), copy)
    }

    /// Continues a tree whose chain ends at `head`, with its Merkle tree's right edge.
    pub fn resume(tree: sled::Tree, head: Head, merkle: IncrementalTree<Blake3>, copy: CopyTarget) -> Rebuilder {
        Rebuilder {
            tree,
            batch: sled::Batch::default(),
            batch_events: 0,
            head,
            stream_versions: HashMap::new(),
            batch_event_ids: HashSet::new(),
            command: None,
            finished_commands: HashSet::new(),
            merkle,
            copy,
        }
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// Whether a batch is due.
    pub fn batch_full(&self) -> bool {
        self.batch_events >= IMPORT_EVENTS_PER_BATCH
    }

    /// Checks record `seq` against the chain so far and stages its writes; `frame` is where it lies
    /// in the existing record copy (`CopyTarget::Existing`). The error names the field at fault.
    pub fn add(
        &mut self,
        seq: u64,
        record: Record<'_>,
        check: BodyCheck<'_>,
        frame: Option<(u64, u64)>,
    ) -> Result<(), String> {
        let expected = self.head.seq + 1;
        if seq != expected {
            return Err(format!("seq is {seq}, expected {expected}"));
        }
        if record.prev_hash != self.head.hash {
            return Err(format!("prev_hash is {}, the previous event's hash is {}", record.prev_hash, self.head.hash));
        }
        let computed = link_hash(&record.prev_hash, seq, record.body);
        if computed != record.hash {
            return Err(format!("hash is {}, computed {computed}", record.hash));
        }
        if record.body.len() > EVENT_BODY_BYTES_MAX {
            return Err(format!("body: {} bytes exceed the limit of {EVENT_BODY_BYTES_MAX}", record.body.len()));
        }
        check_unique_keys(record.body).map_err(|e| format!("body.{e}"))?;
        let body = EventBody::from_bytes(record.body).map_err(|e| format!("body: {e}"))?;
        check(seq, &record, &body)?;
        self.check_body(&body)?;
        self.stage(seq, record, &body, frame)
    }

    fn check_body(&mut self, body: &EventBody) -> Result<(), String> {
        validate_stream_id(&body.stream).map_err(|e| format!("body.{e}"))?;
        if body.recorded_at < self.head.recorded_at {
            return Err(format!(
                "body.recorded_at {} is before the previous event's {}",
                body.recorded_at, self.head.recorded_at
            ));
        }
        let current = self.stream_version(&body.stream)?;
        if body.stream_version != current + 1 {
            return Err(format!("body.stream_version is {}, expected {}", body.stream_version, current + 1));
        }
        let known = self.tree.get(keys::event_id(&body.event_id)).map_err(|e| e.to_string())?.is_some();
        if known || self.batch_event_ids.contains(&body.event_id) {
            return Err(format!("body.event_id {} appears twice", body.event_id));
        }
        Ok(())
    }

    fn stream_version(&self, stream: &str) -> Result<u64, String> {
        if let Some(version) = self.stream_versions.get(stream) {
            return Ok(*version);
        }
        keys::current_stream_version(&self.tree, stream).map_err(|e| e.to_string())
    }

    fn stage(
        &mut self,
        seq: u64,
        record: Record<'_>,
        body: &EventBody,
        frame: Option<(u64, u64)>,
    ) -> Result<(), String> {
        let encoded = record.encode();
        match &mut self.copy {
            CopyTarget::Write { pending, .. } => segment::encode_frame(seq, &encoded, pending),
            CopyTarget::Existing { group_start, end } => {
                let (start, frame_end) = frame.ok_or("a rolled-forward record needs its frame")?;
                group_start.get_or_insert(start);
                *end = frame_end;
            }
        }
        self.batch.insert(&keys::event(seq), encoded);
        self.batch.insert(keys::stream_event(&body.stream, body.stream_version), &seq.to_be_bytes());
        self.batch.insert(&keys::event_id(&body.event_id), &seq.to_be_bytes());
        self.batch_event_ids.insert(body.event_id);
        self.stream_versions.insert(body.stream.clone(), body.stream_version);
        self.track_command(seq, body)?;
        let nodes = self.merkle.append(merkle_nodes::leaf_of(&record.hash)).map_err(|e| e.to_string())?;
        merkle_nodes::stage_nodes(&mut self.batch, nodes);
        self.head = Head { seq, hash: record.hash, recorded_at: body.recorded_at };
        self.batch_events += 1;
        Ok(())
    }

    /// Rebuilds the idempotency record of the command each event belongs to.
    fn track_command(&mut self, seq: u64, body: &EventBody) -> Result<(), String> {
        let continues = matches!(
            (&self.command, &body.command_id),
            (Some(open), Some(id)) if *id == open.command_id && open.record.last_seq + 1 == seq
                && open.record.stream_version + 1 == body.stream_version
        );
        if !continues {
            self.finish_command();
            if let Some(command_id) = &body.command_id {
                if self.finished_commands.contains(command_id)
                    || self.tree.get(keys::command(command_id)).map_err(|e| e.to_string())?.is_some()
                {
                    return Err(format!("body.command_id {command_id:?} was used by an earlier, separate append"));
                }
                self.command = Some(OpenCommand {
                    command_id: command_id.clone(),
                    record: CommandRecord {
                        first_seq: seq,
                        last_seq: seq - 1,
                        stream_version: 0,
                        request_digest: RequestDigestOf::Events([0; 32]),
                    },
                    digest: RequestDigest::new(&body.stream),
                });
            }
        }
        if let Some(open) = &mut self.command {
            open.digest.add(&body.event_type, body.schema_version, &body.data);
            open.record.last_seq = seq;
            open.record.stream_version = body.stream_version;
        }
        Ok(())
    }

    fn finish_command(&mut self) {
        if let Some(open) = self.command.take() {
            self.stage_command(&open);
            self.finished_commands.insert(open.command_id);
        }
    }

    fn stage_command(&mut self, open: &OpenCommand) {
        let record = CommandRecord { request_digest: RequestDigestOf::Events(open.digest.finish()), ..open.record };
        self.batch.insert(keys::command(&open.command_id), &record.encode()[..]);
    }

    /// Writes what is staged: the copy's frames first (synced), then the index in one sled batch with
    /// the head and its copy mark, flushed and synced.
    pub fn write_batch(
        &mut self,
        db: &sled::Db,
        syncer: &mut Syncer,
        stats: &DurabilityStats,
    ) -> Result<(), StoreError> {
        if let Some(open) = self.command.take() {
            // A command still open at a batch boundary is written as it stands and rewritten later.
            self.stage_command(&open);
            self.command = Some(open);
        }
        let mark = match &mut self.copy {
            CopyTarget::Write { segment, pending } => {
                let group_start = segment.len();
                segment::close_group(pending);
                segment.append(pending)?;
                segment.sync()?;
                pending.clear();
                SegmentMark { group_start, end: segment.len() }
            }
            CopyTarget::Existing { group_start, end } => {
                SegmentMark { group_start: group_start.take().unwrap_or(*end), end: *end }
            }
        };
        self.stream_versions.clear();
        let head = keys::encode_head_marked(self.head.seq, &self.head.hash, self.head.recorded_at, mark);
        self.batch.insert(keys::HEAD, &head[..]);
        self.tree.apply_batch(std::mem::take(&mut self.batch))?;
        db.flush()?;
        syncer.sync(stats)?;
        self.batch_events = 0;
        self.batch_event_ids.clear();
        // Commands finished in this batch are now in the tree, where the next batches look them up.
        self.finished_commands.clear();
        Ok(())
    }
}
