//! Chain verification: walk the stored records, recompute every hash, check every link, and report
//! the first fault with its exact sequence number. Nothing is ever repaired.
//!
//! Reading (sled) and hashing (blake3) run on two threads, so a full check runs at the speed of the
//! slower of the two rather than of their sum. No JSON is parsed: the hash covers the stored bytes.

use std::sync::mpsc::sync_channel;

use serde::{Deserialize, Serialize};

use crate::chain::{Hash, Record, GENESIS_HASH};
use crate::limits;
use crate::store::keys;
use crate::store::types::Head;

/// What is wrong at the reported sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum ChainFault {
    #[error("hash mismatch: stored {stored}, computed {computed}")]
    HashMismatch { stored: Hash, computed: Hash },
    #[error("broken link: previous hash should be {expected_prev}, record says {found_prev}")]
    BrokenLink { expected_prev: Hash, found_prev: Hash },
    #[error("gap: the next stored event is {found_seq}")]
    Gap { found_seq: u64 },
    #[error("unreadable record: {reason}")]
    Unreadable { reason: String },
    #[error("missing: the chain ends before the recorded head at {head_seq}")]
    Missing { head_seq: u64 },
    #[error("event after the recorded head at {head_seq}")]
    BeyondHead { head_seq: u64 },
    #[error("head mismatch: the recorded head hash is {head_hash}, the chain's is {chain_hash}")]
    HeadMismatch { head_hash: Hash, chain_hash: Hash },
    #[error("truncated: the chain ends before the saved head at {saved_seq}")]
    Truncated { saved_seq: u64 },
    #[error("differs from the saved head: saved {saved_hash}, chain has {chain_hash}")]
    SavedHeadMismatch { saved_hash: Hash, chain_hash: Hash },
    /// The record copy (records.kpi) cannot be read through; `kpi-ledger recover` rebuilds it.
    #[error("record copy damaged: {reason}")]
    CopyDamaged { reason: String },
    /// The record copy verifies but does not end where the index does.
    #[error("record copy differs from the index: {reason}")]
    CopyDiffers { reason: String },
}

/// The first fault found, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("event {seq}: {fault}")]
pub struct VerifyFailure {
    pub seq: u64,
    #[serde(flatten)]
    pub fault: ChainFault,
}

/// A chain that verified: how many events were checked, and the head they lead to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub events_checked: u64,
    pub head: Head,
}

/// The link state carried along the walk.
pub(crate) struct Walk {
    pub next_seq: u64,
    pub prev_hash: Hash,
    last_recorded: Option<(u64, Hash)>,
}

impl Walk {
    /// A walk that expects event `from` next, linked to `prev_hash`.
    pub fn after(from: u64, prev_hash: Hash) -> Walk {
        Walk { next_seq: from, prev_hash, last_recorded: None }
    }

    pub fn check(&mut self, seq: u64, value: &[u8]) -> Result<(), VerifyFailure> {
        let fail = |fault| Err(VerifyFailure { seq: self.next_seq, fault });
        if seq != self.next_seq {
            return fail(ChainFault::Gap { found_seq: seq });
        }
        let record = match Record::decode(value) {
            Ok(record) => record,
            Err(error) => return fail(ChainFault::Unreadable { reason: error.to_string() }),
        };
        if record.prev_hash != self.prev_hash {
            return fail(ChainFault::BrokenLink { expected_prev: self.prev_hash, found_prev: record.prev_hash });
        }
        let computed = crate::chain::link_hash(&record.prev_hash, seq, record.body);
        if computed != record.hash {
            return fail(ChainFault::HashMismatch { stored: record.hash, computed });
        }
        self.prev_hash = record.hash;
        self.last_recorded = Some((seq, record.hash));
        self.next_seq += 1;
        Ok(())
    }
}

/// Verifies events `from..` and that they end exactly at `head`.
pub fn verify_chain(
    tree: &sled::Tree,
    from: u64,
    head: Head,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Verified, VerifyFailure> {
    let from = from.max(1);
    let mut walk = Walk::after(from, hash_before(tree, from)?);
    let (sender, receiver) = sync_channel::<Vec<(sled::IVec, sled::IVec)>>(4);
    let walk = std::thread::scope(|scope| {
        let checker = scope.spawn(move || -> Result<Walk, VerifyFailure> {
            for chunk in receiver {
                for (key, value) in &chunk {
                    let seq = keys::event_seq(key).unwrap_or(u64::MAX);
                    walk.check(seq, value)?;
                }
                progress(walk.next_seq - from);
            }
            Ok(walk)
        });
        let read = read_chunks(tree, from, &sender);
        drop(sender);
        let walk = checker.join().expect("verification thread panicked")?;
        read?;
        Ok(walk)
    })?;
    check_end(&walk, head)?;
    Ok(Verified { events_checked: walk.next_seq - from, head })
}

/// Sends the records from `from` on in chunks; stops early when the checker has stopped.
fn read_chunks(
    tree: &sled::Tree,
    from: u64,
    sender: &std::sync::mpsc::SyncSender<Vec<(sled::IVec, sled::IVec)>>,
) -> Result<(), VerifyFailure> {
    let mut chunk = Vec::with_capacity(limits::VERIFY_CHUNK_RECORDS);
    for entry in tree.range(keys::event(from)..) {
        let (key, value) = entry.map_err(|error| VerifyFailure {
            seq: 0,
            fault: ChainFault::Unreadable { reason: format!("storage read failed: {error}") },
        })?;
        if key.first() != Some(&keys::EVENT) {
            break;
        }
        chunk.push((key, value));
        if chunk.len() == limits::VERIFY_CHUNK_RECORDS && sender.send(std::mem::take(&mut chunk)).is_err() {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(chunk);
    }
    Ok(())
}

/// The stored hash of the event before `from`, i.e. the link the walk starts from.
fn hash_before(tree: &sled::Tree, from: u64) -> Result<Hash, VerifyFailure> {
    if from == 1 {
        return Ok(GENESIS_HASH);
    }
    let unreadable = |reason: String| VerifyFailure { seq: from - 1, fault: ChainFault::Unreadable { reason } };
    let value = tree
        .get(keys::event(from - 1))
        .map_err(|e| unreadable(format!("storage read failed: {e}")))?
        .ok_or_else(|| unreadable("missing".into()))?;
    Record::decode(&value).map(|record| record.hash).map_err(|e| unreadable(e.to_string()))
}

fn check_end(walk: &Walk, head: Head) -> Result<(), VerifyFailure> {
    let last_seq = walk.next_seq - 1;
    if last_seq < head.seq {
        return Err(VerifyFailure { seq: walk.next_seq, fault: ChainFault::Missing { head_seq: head.seq } });
    }
    if last_seq > head.seq {
        return Err(VerifyFailure { seq: head.seq + 1, fault: ChainFault::BeyondHead { head_seq: head.seq } });
    }
    if let Some((seq, hash)) = walk.last_recorded {
        if hash != head.hash {
            return Err(VerifyFailure {
                seq,
                fault: ChainFault::HeadMismatch { head_hash: head.hash, chain_hash: hash },
            });
        }
    }
    Ok(())
}

/// The quick check run on every open: the newest events link up and end at the head.
pub fn verify_tail(tree: &sled::Tree, from: u64, head: Head) -> Result<Verified, VerifyFailure> {
    verify_chain(tree, from, head, &|_| {})
}

/// Checks that the chain still holds the `saved` head (a head an auditor noted earlier).
pub fn check_saved_head(tree: &sled::Tree, saved: Head, current: Head) -> Result<(), VerifyFailure> {
    if saved.seq == 0 {
        return Ok(());
    }
    if saved.seq > current.seq {
        return Err(VerifyFailure { seq: current.seq + 1, fault: ChainFault::Truncated { saved_seq: saved.seq } });
    }
    let value = tree.get(keys::event(saved.seq)).ok().flatten();
    let chain_hash = value.as_deref().and_then(|bytes| Record::decode(bytes).ok()).map(|record| record.hash);
    match chain_hash {
        Some(hash) if hash == saved.hash => Ok(()),
        Some(hash) => Err(VerifyFailure {
            seq: saved.seq,
            fault: ChainFault::SavedHeadMismatch { saved_hash: saved.hash, chain_hash: hash },
        }),
        None => Err(VerifyFailure { seq: saved.seq, fault: ChainFault::Unreadable { reason: "missing".into() } }),
    }
}
