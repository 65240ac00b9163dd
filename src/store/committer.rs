//! The committer: one thread that owns every write to the ledger. It takes all appends waiting at
//! that moment, checks that each continues the chain where the one before it ended, appends their
//! records to the record copy and syncs it, then writes them with their indexes, Merkle nodes and the
//! new head in one sled batch, flushes, fsyncs, and only then answers them (group commit).
//!
//! Architecture invariant: the caller seals (`chain::seal`) — sequence numbers, stream versions and
//! hashes are decided once, by the service's decider — and the committer only checks continuity (an
//! O(1) comparison per event, which no bug upstream can get past) and writes. After a storage failure
//! it refuses every later append: what reached the disk is unknown until the ledger is reopened.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::chain::merkle::{Blake3, IncrementalTree};
use crate::limits::GROUP_COMMIT_REQUESTS_MAX;
use crate::store::copy_read::CopyPlaces;
use crate::store::durability::Syncer;
use crate::store::error::AppendError;
use crate::store::keys::{self, CommandRecord, RequestDigestOf, SegmentMark};
use crate::store::merkle_nodes;
use crate::store::segment::{self, Segment};
use crate::store::types::{Appended, Head, SealedAppend};
use crate::store::Shared;

/// Appends written together or not at all (usually one; a batch of commands or a history import
/// hands over several, which then share one atomic sled batch).
pub struct Submission {
    pub appends: Vec<SealedAppend>,
    pub reply: oneshot::Sender<Result<Vec<Appended>, AppendError>>,
}

pub struct Committer {
    pub tree: sled::Tree,
    pub syncer: Syncer,
    /// The record copy: synced before sled is written, so it is never behind the index.
    pub segment: Segment,
    pub shared: Arc<Shared>,
    /// The durable head; the staged head of a group starts here.
    pub head: Head,
    /// The Merkle tree over the durable events (its right edge; the rest is in the tree's `m` keys).
    pub merkle: IncrementalTree<Blake3>,
}

/// What one group has staged but not yet written.
#[derive(Clone)]
struct Group {
    batch: sled::Batch,
    head: Head,
    merkle: IncrementalTree<Blake3>,
    events: u64,
    /// The group's frames for the record copy.
    frames: Vec<u8>,
    /// Where in `frames` the frames whose places are noted (`CopyPlaces`) start.
    places: Vec<(u64, usize)>,
}

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
            merkle: self.merkle.clone(),
            events: 0,
            frames: Vec::new(),
            places: Vec::new(),
        };
        let outcomes: Vec<_> = submissions
            .into_iter()
            .map(|submission| {
                let outcome = stage_all(&mut group, &submission.appends);
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
                (Err(error), Ok(_)) => Err(AppendError::Storage(error.to_string())),
                (_, outcome) => outcome,
            };
            let _ = reply.send(outcome);
        }
    }

    /// Appends the group to the record copy and syncs it, writes the index in one atomic batch and
    /// makes it durable, then publishes the new head.
    fn write(&mut self, mut group: Group) -> Result<(), String> {
        let group_start = self.segment.len();
        segment::close_group(&mut group.frames);
        self.segment.append(&group.frames).map_err(|e| format!("record copy: {e}"))?;
        self.segment.sync().map_err(|e| format!("record copy: {e}"))?;
        let mark = SegmentMark { group_start, end: self.segment.len() };
        let head = keys::encode_head_marked(group.head.seq, &group.head.hash, group.head.recorded_at, mark);
        group.batch.insert(keys::HEAD, &head[..]);
        self.tree.apply_batch(group.batch).map_err(|e| e.to_string())?;
        self.tree.flush().map_err(|e| e.to_string())?;
        self.syncer.sync(&self.shared.durability).map_err(|e| e.to_string())?;
        self.head = group.head;
        self.merkle = group.merkle;
        self.shared.stats.groups.fetch_add(1, Ordering::Relaxed);
        self.shared.stats.events.fetch_add(group.events, Ordering::Relaxed);
        for (seq, at) in group.places {
            self.shared.copy_places.note(seq, group_start + at as u64);
        }
        self.shared.publish_head(group.head);
        Ok(())
    }
}

/// Stages every append of one submission, or none: a refusal of any undoes the others.
fn stage_all(group: &mut Group, appends: &[SealedAppend]) -> Result<Vec<Appended>, AppendError> {
    let before = (appends.len() > 1).then(|| group.clone());
    let staged: Result<Vec<Appended>, AppendError> = appends.iter().map(|append| stage(group, append)).collect();
    if let (Err(_), Some(before)) = (&staged, before) {
        *group = before;
    }
    staged
}

/// Checks that the append continues the staged chain and adds its writes to the group.
fn stage(group: &mut Group, append: &SealedAppend) -> Result<Appended, AppendError> {
    let mut head = group.head;
    for event in &append.events {
        if event.seq != head.seq + 1 || event.prev_hash != head.hash || event.recorded_at < head.recorded_at {
            return Err(AppendError::Discontinuous { expected_seq: head.seq + 1, found_seq: event.seq });
        }
        head = event.head();
    }
    let first_seq = group.head.seq + 1;
    for event in &append.events {
        group.batch.insert(&keys::event(event.seq), event.record.as_slice());
        if CopyPlaces::wanted(event.seq) {
            group.places.push((event.seq, group.frames.len()));
        }
        segment::encode_frame(event.seq, &event.record, &mut group.frames);
        group.batch.insert(keys::stream_event(&event.stream, event.stream_version), &event.seq.to_be_bytes());
        group.batch.insert(&keys::event_id(&event.event_id), &event.seq.to_be_bytes());
        let nodes = group.merkle.append(merkle_nodes::leaf_of(&event.hash)).expect("fewer than u64::MAX events");
        merkle_nodes::stage_nodes(&mut group.batch, nodes);
        group.events += 1;
    }
    group.head = head;
    if let (Some(command), Some(last)) = (&append.command, append.events.last()) {
        let record = CommandRecord {
            first_seq,
            last_seq: last.seq,
            stream_version: last.stream_version,
            request_digest: RequestDigestOf::Caller(command.digest),
        };
        group.batch.insert(keys::command(&command.command_id), &record.encode()[..]);
    }
    Ok(Appended { first_seq, last_seq: head.seq })
}
