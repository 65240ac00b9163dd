//! The recorded chain as the adapters see it: events by sequence, stream and id, the head, a full
//! verification, the export, the signing key, signed checkpoints and Merkle proofs, and the figures
//! `/metrics` shows. The HTTP API and the command line read the ledger through here and nowhere else,
//! and get typed answers that both print or serialise the same way.
//!
//! Invariant: `Records` only reads. The one way to write is `Service::execute`, which decides first;
//! a handle to the store that could append never leaves the service.

use std::io::Write;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::domain::Timestamp;
use crate::store::Ledger;

pub use crate::chain::checkpoint::SignedCheckpoint;
pub use crate::chain::Hash;
pub use crate::store::{
    BundledEvent, ChainFault, Head, ProofBundle, ProofError, StoredEvent, TailCheck, Verified, VerifyFailure,
};

/// A read-only handle on one ledger; cheap to clone.
#[derive(Clone)]
pub struct Records {
    ledger: Arc<Ledger>,
}

/// A page of events by sequence number and where the next page starts.
#[derive(Debug, Serialize)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    pub next_from: u64,
    pub head: Head,
}

/// The events of one stream, from a version on.
#[derive(Debug, Serialize)]
pub struct StreamPage {
    pub stream: String,
    pub events: Vec<StoredEvent>,
}

/// The answer of a full verification: the events checked and the head, or the first fault.
#[derive(Debug, Serialize, Deserialize)]
pub struct Verification {
    pub intact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_checked: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<VerifyFailure>,
}

impl From<Result<Verified, VerifyFailure>> for Verification {
    fn from(outcome: Result<Verified, VerifyFailure>) -> Verification {
        match outcome {
            Ok(verified) => Verification {
                intact: true,
                events_checked: Some(verified.events_checked),
                head: Some(verified.head),
                failure: None,
            },
            Err(failure) => Verification { intact: false, events_checked: None, head: None, failure: Some(failure) },
        }
    }
}

/// The public key that signs checkpoints (64 hex digits; `None` when the ledger records none and its
/// key file is missing) and the origin line checkpoints carry.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyInfo {
    pub public_key: Option<String>,
    pub origin: String,
}

/// An RFC 6962 audit path of one event in the tree of the first `tree_size` events.
#[derive(Debug, Serialize, Deserialize)]
pub struct InclusionProof {
    pub seq: u64,
    pub tree_size: u64,
    pub root: Hash,
    pub inclusion_proof: Vec<Hash>,
}

/// An RFC 6962 consistency proof between two tree sizes, with both roots.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    pub old_root: Hash,
    pub new_root: Hash,
    pub consistency_proof: Vec<Hash>,
}

/// Why a proof could not be given, naming the request field at fault when it is the caller's.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ProofRefusal {
    pub field: &'static str,
    pub error: ProofError,
}

fn at(field: &'static str) -> impl Fn(ProofError) -> ProofRefusal {
    move |error| ProofRefusal { field, error }
}

/// Figures of the ledger since this process opened it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LedgerFigures {
    pub head_seq: u64,
    pub group_commits: u64,
    pub appended_events: u64,
    pub fsync_calls: u64,
    pub fsync_micros: u64,
}

/// The store's own failure reading its records.
pub type ReadError = crate::store::StoreError;

impl Records {
    pub(crate) fn new(ledger: Arc<Ledger>) -> Records {
        Records { ledger }
    }

    /// Opens the read models on this ledger (from its newest valid snapshot on).
    pub fn read_models(&self) -> Result<crate::service::read_models::ReadModels, crate::service::ServiceError> {
        crate::service::read_models::ReadModels::open(self.ledger.clone())
    }

    /// Opens the service on this ledger: the one writer, which folds the whole chain first.
    pub fn service(
        &self,
        clock: Arc<dyn crate::service::Clock>,
        ids: Arc<dyn crate::service::IdSource>,
    ) -> Result<crate::service::Service, crate::service::ServiceError> {
        crate::service::Service::open(self.ledger.clone(), clock, ids)
    }

    /// Opens the service and the read models together, reading the newest snapshot once (a server).
    pub fn service_with_read_models(
        &self,
        clock: Arc<dyn crate::service::Clock>,
        ids: Arc<dyn crate::service::IdSource>,
        preloaded: Option<crate::service::read_models::Preloaded>,
    ) -> Result<(crate::service::Service, crate::service::read_models::ReadModels), String> {
        crate::service::Service::open_with_read_models_preloaded(self.ledger.clone(), clock, ids, preloaded)
            .map_err(|e| e.to_string())
    }

    pub fn head(&self) -> Head {
        self.ledger.head()
    }

    /// Every new durable head, as it lands.
    pub fn watch_head(&self) -> watch::Receiver<Head> {
        self.ledger.watch_head()
    }

    /// Up to `limit` events from `from` on.
    pub fn page(&self, from: u64, limit: usize) -> Result<EventPage, ReadError> {
        let from = from.max(1);
        let events = self.ledger.read_range(from, limit)?;
        let next_from = events.last().map_or(from, |event| event.seq + 1);
        Ok(EventPage { events, next_from, head: self.ledger.head() })
    }

    /// Up to `limit` events of `stream` from `from_version` on.
    pub fn stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<StreamPage, StreamReadError> {
        crate::store::validate_stream_id(stream).map_err(|e| StreamReadError::Invalid(e.to_string()))?;
        let events = self.ledger.read_stream(stream, from_version, limit).map_err(StreamReadError::Store)?;
        Ok(StreamPage { stream: stream.to_owned(), events })
    }

    pub fn event(&self, event_id: &uuid::Uuid) -> Result<Option<StoredEvent>, ReadError> {
        self.ledger.event_by_id(event_id)
    }

    /// Walks the whole chain; with `saved`, also checks the chain still holds that head.
    pub fn verify(&self, saved: Option<Head>, progress: &(dyn Fn(u64) + Sync)) -> Result<Verified, VerifyFailure> {
        match saved {
            Some(saved) => self.ledger.verify_against(saved, progress),
            None => self.ledger.verify(progress),
        }
    }

    /// The root of the tree of the first `size` events.
    pub fn merkle_root(&self, size: u64) -> Result<Hash, ProofRefusal> {
        self.ledger.merkle_root(size).map_err(at("size"))
    }

    /// Writes the whole chain as JSON Lines to `out`, verifying it as it goes; the head it ends at.
    pub fn export(&self, out: &mut dyn Write, progress: &dyn Fn(u64)) -> Result<Head, String> {
        crate::store::export::export(&self.ledger, out, progress).map_err(|e| e.to_string())
    }

    pub fn key(&self) -> KeyInfo {
        KeyInfo {
            public_key: self.ledger.public_key().map(|key| hex::encode(key.as_bytes())),
            origin: self.ledger.origin(),
        }
    }

    /// A checkpoint of the head, signed at `now`.
    pub fn checkpoint(&self, now: Timestamp) -> Result<SignedCheckpoint, ProofRefusal> {
        self.ledger.checkpoint(now).map_err(at("checkpoint"))
    }

    /// The audit path of event `seq` in the tree of `size` events (default: the head).
    pub fn inclusion_proof(&self, seq: u64, size: Option<u64>) -> Result<InclusionProof, ProofRefusal> {
        let tree_size = size.unwrap_or_else(|| self.ledger.head().seq);
        let inclusion_proof = self.ledger.inclusion_proof(seq, tree_size).map_err(at("seq"))?;
        let root = self.ledger.merkle_root(tree_size).map_err(at("size"))?;
        Ok(InclusionProof { seq, tree_size, root, inclusion_proof })
    }

    /// The consistency proof from the tree of `from` events to that of `to` (default: the head).
    pub fn consistency_proof(&self, from: u64, to: Option<u64>) -> Result<ConsistencyProof, ProofRefusal> {
        let to = to.unwrap_or_else(|| self.ledger.head().seq);
        let consistency_proof = self.ledger.consistency_proof(from, to).map_err(at("from"))?;
        let old_root = self.ledger.merkle_root(from).map_err(at("from"))?;
        let new_root = self.ledger.merkle_root(to).map_err(at("to"))?;
        Ok(ConsistencyProof { old_size: from, new_size: to, old_root, new_root, consistency_proof })
    }

    /// `checkpoint` and the events `seqs` with their audit paths to it.
    pub fn proof_bundle(&self, seqs: &[u64], checkpoint: SignedCheckpoint) -> Result<ProofBundle, ProofRefusal> {
        self.ledger.proof_bundle(seqs, checkpoint).map_err(at("seq"))
    }

    pub fn figures(&self) -> LedgerFigures {
        use std::sync::atomic::Ordering::Relaxed;
        let (stats, durability) = self.ledger.stats();
        LedgerFigures {
            head_seq: self.ledger.head().seq,
            group_commits: stats.groups.load(Relaxed),
            appended_events: stats.events.load(Relaxed),
            fsync_calls: durability.sync_calls.load(Relaxed),
            fsync_micros: durability.sync_micros_total.load(Relaxed),
        }
    }

    /// Releases the ledger's files (the lock goes with the last handle).
    pub fn close(&self) {
        self.ledger.close();
    }
}

/// Why a stream could not be read: its name is malformed, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamReadError {
    #[error("stream: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(ReadError),
}

/// Verifies the record copy of the ledger in `dir` on its own, without opening (or writing) anything
/// else: for an auditor's copy on read-only media.
pub fn verify_record_copy(dir: &std::path::Path, progress: &(dyn Fn(u64) + Sync)) -> Verification {
    crate::store::recovery::verify_copy_alone(dir, progress).into()
}

/// Parses `SEQ:HASH` (docs/FORMAT.md §1.5), as `kpi-ledger head` prints it and `--saved-head` and
/// `saved_head=` take it.
pub fn parse_saved_head(text: &str) -> Option<Head> {
    let (seq, hash) = text.split_once(':')?;
    let seq_valid = !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) && (seq == "0" || !seq.starts_with('0'));
    let hash_valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !seq_valid || !hash_valid {
        return None;
    }
    Some(Head { seq: seq.parse().ok()?, hash: Hash::from_hex(hash)?, recorded_at: Timestamp::UNIX_EPOCH })
}

/// What a malformed saved head is told.
pub const SAVED_HEAD_EXPECTED: &str =
    "expected SEQ:HASH (a decimal sequence number, a colon, 64 lower-case hex digits)";
