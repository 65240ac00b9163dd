//! The values that cross the store's boundary: sealed appends and their results, stored events, the
//! head.

use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::chain::{Hash, Sealed};

pub use crate::chain::Head;

/// Events sealed by the caller, to be written together: they continue the chain exactly where the
/// ledger's head (with the appends submitted before them) ends. A command's events, or a history's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedAppend {
    pub events: Vec<Sealed>,
    /// The idempotency key of the command that decided them, with the caller's digest of that command
    /// (so a retry under the key is recognised, and another command under it refused).
    pub command: Option<CommandKey>,
}

/// A command's idempotency key and the digest of what it asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandKey {
    pub command_id: String,
    pub digest: [u8; 32],
}

/// Where an append landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Appended {
    pub first_seq: u64,
    pub last_seq: u64,
}

/// An event as stored: its place in the chain and its body bytes, exactly as hashed. Serialised (the
/// API's event answers, SSE), `body_text` carries those bytes as a JSON string — what a verifier
/// checks, and what survives any JSON tool — and `body` the same text as JSON, for reading only
/// (docs/FORMAT.md, "Events over the API").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    /// The body bytes; UTF-8 JSON (checked when read).
    pub body: String,
}

impl StoredEvent {
    /// The event type its envelope names (`None` for a body that is not an envelope).
    pub fn event_type(&self) -> Option<String> {
        crate::chain::envelope::EventBodyRef::from_bytes(self.body.as_bytes())
            .ok()
            .map(|body| body.event_type.into_owned())
    }
}

impl Serialize for StoredEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_struct("StoredEvent", 5)?;
        event.serialize_field("seq", &self.seq)?;
        event.serialize_field("prev_hash", &self.prev_hash)?;
        event.serialize_field("hash", &self.hash)?;
        event.serialize_field("body_text", &self.body)?;
        let body = serde_json::value::RawValue::from_string(self.body.clone()).map_err(serde::ser::Error::custom)?;
        event.serialize_field("body", &body)?;
        event.end()
    }
}
