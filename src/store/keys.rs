//! The key layout of the ledger's one sled tree. Every write of an append goes into this tree in one
//! `Batch`, which sled applies atomically; separate trees would need a transaction to stay in step.
//!
//! | prefix | key                              | value                                        |
//! |--------|----------------------------------|----------------------------------------------|
//! | `e`    | seq (u64 BE)                     | the record (chain::record layout)            |
//! | `s`    | stream ‖ 0x00 ‖ version (u64 BE) | seq (u64 BE)                                 |
//! | `i`    | event id (16 bytes)              | seq (u64 BE)                                 |
//! | `c`    | command id                       | `CommandRecord`                              |
//! | `h`    | (none)                           | head: seq ‖ hash ‖ recorded_at ‖ copy mark   |
//! | `f`    | (none)                           | format marker                                |
//! | `k`    | (none)                           | last signed checkpoint: size ‖ root          |
//! | `p`    | (none)                           | signing public key (32) ‖ origin (UTF-8)     |
//! | `m`    | level (u8) ‖ index (u64 BE)      | Merkle node of level ≥ 3 (32 bytes)          |

use uuid::Uuid;

use crate::chain::Hash;
use crate::domain::Timestamp;

pub const EVENT: u8 = b'e';
pub const MERKLE: u8 = b'm';
pub const HEAD: &[u8] = b"h";
pub const FORMAT: &[u8] = b"f";
pub const LAST_SIGNED_CHECKPOINT: &[u8] = b"k";
pub const SIGNING_KEY: &[u8] = b"p";
pub const FORMAT_MARKER: &[u8] = b"kpi-ledger store v1";

pub fn event(seq: u64) -> [u8; 9] {
    let mut key = [EVENT; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The sequence number of an `e` key; `None` for a key of another shape.
pub fn event_seq(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT, rest @ ..] if rest.len() == 8 => Some(u64_from(rest)),
        _ => None,
    }
}

pub fn stream_event(stream: &str, version: u64) -> Vec<u8> {
    let mut key = stream_events_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

pub fn stream_events_prefix(stream: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(stream.len() + 10);
    key.push(b's');
    key.extend_from_slice(stream.as_bytes());
    key.push(0);
    key
}

/// The current version of `stream`: the version in its newest `s` key (0 when it has none). Kept as
/// no key of its own, so an append writes one key fewer per stream.
pub fn current_stream_version(tree: &sled::Tree, stream: &str) -> sled::Result<u64> {
    let newest = tree.scan_prefix(stream_events_prefix(stream)).keys().next_back().transpose()?;
    Ok(newest.map_or(0, |key| u64_from(&key[key.len() - 8..])))
}

pub fn event_id(id: &Uuid) -> [u8; 17] {
    let mut key = [b'i'; 17];
    key[1..].copy_from_slice(id.as_bytes());
    key
}

pub fn command(command_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(command_id.len() + 1);
    key.push(b'c');
    key.extend_from_slice(command_id.as_bytes());
    key
}

pub fn u64_from(bytes: &[u8]) -> u64 {
    let mut array = [0u8; 8];
    array.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(array)
}

/// Where the record copy (`segment`) stands for a head: the end of the last acknowledged frame and
/// the start of the group it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentMark {
    pub group_start: u64,
    pub end: u64,
}

/// The head as stored: 48 bytes from before the record copy existed, 64 with its mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadRecord {
    pub seq: u64,
    pub hash: Hash,
    pub recorded_at: Timestamp,
    pub segment: Option<SegmentMark>,
}

/// The head without a record copy mark (the layout of ledgers from before the copy; tests forge it).
pub fn encode_head(seq: u64, hash: &Hash, recorded_at: Timestamp) -> [u8; 48] {
    let mut value = [0u8; 48];
    value[..8].copy_from_slice(&seq.to_be_bytes());
    value[8..40].copy_from_slice(&hash.0);
    value[40..].copy_from_slice(&recorded_at.unix_micros().to_be_bytes());
    value
}

pub fn encode_head_marked(seq: u64, hash: &Hash, recorded_at: Timestamp, mark: SegmentMark) -> [u8; 64] {
    let mut value = [0u8; 64];
    value[..48].copy_from_slice(&encode_head(seq, hash, recorded_at));
    value[48..56].copy_from_slice(&mark.group_start.to_be_bytes());
    value[56..].copy_from_slice(&mark.end.to_be_bytes());
    value
}

pub fn decode_head(value: &[u8]) -> Option<HeadRecord> {
    if value.len() != 48 && value.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&value[8..40]);
    let micros = i64::from_be_bytes(value[40..48].try_into().ok()?);
    let segment = (value.len() == 64)
        .then(|| SegmentMark { group_start: u64_from(&value[48..56]), end: u64_from(&value[56..64]) });
    Some(HeadRecord {
        seq: u64_from(&value[..8]),
        hash: Hash(hash),
        recorded_at: Timestamp::from_unix_micros(micros),
        segment,
    })
}

/// What the ledger remembers of a command id: the original result and a digest of the request, so a
/// retry gets the same answer and a different request under a reused id is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    pub first_seq: u64,
    pub last_seq: u64,
    pub stream_version: u64,
    pub request_digest: RequestDigestOf,
}

/// What a command record's digest was taken of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestDigestOf {
    /// The appended events (stream, types, versions, data): what the ledger alone can see, and what
    /// an import rebuilds.
    Events([u8; 32]),
    /// The caller's own description of the request (the service digests the command it decided).
    Caller([u8; 32]),
}

impl RequestDigestOf {
    /// Whether a retry with `retry` is the request recorded as `self`. Digests of different kinds
    /// cannot be compared (an import rebuilds only event digests), so they are taken to match: the
    /// retry gets the original result and nothing is written either way.
    pub fn admits(&self, retry: &RequestDigestOf) -> bool {
        match (self, retry) {
            (RequestDigestOf::Events(a), RequestDigestOf::Events(b)) => a == b,
            (RequestDigestOf::Caller(a), RequestDigestOf::Caller(b)) => a == b,
            _ => true,
        }
    }
}

impl CommandRecord {
    pub fn encode(&self) -> [u8; 57] {
        let mut value = [0u8; 57];
        value[..8].copy_from_slice(&self.first_seq.to_be_bytes());
        value[8..16].copy_from_slice(&self.last_seq.to_be_bytes());
        value[16..24].copy_from_slice(&self.stream_version.to_be_bytes());
        let (kind, digest) = match &self.request_digest {
            RequestDigestOf::Events(digest) => (0, digest),
            RequestDigestOf::Caller(digest) => (1, digest),
        };
        value[24] = kind;
        value[25..].copy_from_slice(digest);
        value
    }

    pub fn decode(value: &[u8]) -> Option<CommandRecord> {
        if value.len() != 57 {
            return None;
        }
        let digest: [u8; 32] = value[25..].try_into().ok()?;
        let request_digest = match value[24] {
            0 => RequestDigestOf::Events(digest),
            1 => RequestDigestOf::Caller(digest),
            _ => return None,
        };
        Some(CommandRecord {
            first_seq: u64_from(&value[..8]),
            last_seq: u64_from(&value[8..16]),
            stream_version: u64_from(&value[16..24]),
            request_digest,
        })
    }
}
