//! The values that cross the store's boundary: append requests and results, recorded events, the head.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::{Actor, EventBody, Hash};
use crate::domain::Timestamp;

/// What the caller believes about a stream's version; a mismatch is a rejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// Append whatever the stream's version is.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version (0 means no stream).
    Exact(u64),
}

impl ExpectedVersion {
    pub fn admits(self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(version) => current == version,
        }
    }
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// One event to append. The event id is chosen by the caller (the service owns id generation).
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub data: serde_json::Value,
}

/// One append: events for one stream, written atomically or not at all.
#[derive(Clone, Debug, PartialEq)]
pub struct AppendRequest {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    /// The caller's clock reading. The stored time is `max(recorded_at, head's time)`, so recorded
    /// times never decrease along the chain even when concurrent callers read their clocks out of order.
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub command_id: Option<String>,
    /// What a retry under `command_id` must match: the caller's digest of its request (the service
    /// digests the command it decided, so a reused id with another payload is refused even though a
    /// retry is never decided again). `None`: a digest of the events themselves.
    pub request_digest: Option<[u8; 32]>,
    pub causation_id: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
}

/// The result of an append (or, with `replayed`, of the earlier append under the same command id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Appended {
    pub first_seq: u64,
    pub last_seq: u64,
    pub stream_version: u64,
    /// True when nothing was written because the command id had been seen before.
    pub replayed: bool,
}

/// The newest durable event: its sequence number, hash and recorded time (0 / genesis when empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
    pub recorded_at: Timestamp,
}

impl Head {
    pub const EMPTY: Head = Head { seq: 0, hash: crate::chain::GENESIS_HASH, recorded_at: Timestamp::UNIX_EPOCH };
}

/// An event as read back from the ledger. Serialised (the API's event answers, SSE), `body_text` is
/// the exact hashed bytes as a JSON string — what a verifier checks, and what survives any JSON tool
/// — and `body` the same envelope parsed, for reading only (docs/FORMAT.md, "Events over the API").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedEvent {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub body_text: String,
    pub body: EventBody,
}
