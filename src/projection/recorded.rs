//! The projection's input: `Recorded`, one event as the chain holds it (sequence number, hashes,
//! envelope facts and the decoded domain event), and `EventRef`, the compact citation of an event
//! that every fact and every trace line carries.
//!
//! Invariant: a `Recorded` is built only from what the ledger stored (`from_store`) or from bytes
//! sealed exactly as the store seals them, so the hash a trace cites is the hash an auditor checks.

use serde::{Deserialize, Serialize};

use crate::chain::envelope::EventBodyRef;
use crate::chain::{Actor, Hash, Record};
use crate::domain::{Event, EventDecodeError, EventId, Timestamp};
use crate::store::RecordedEvent;

/// One event of the chain, decoded: what a projection folds.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub event_id: EventId,
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub event: Event,
}

/// Where a fact came from: enough to find the event in the ledger and check it with a proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub seq: u64,
    pub hash: Hash,
    pub event_id: EventId,
    pub event_type: String,
    pub recorded_at: Timestamp,
    pub actor_id: String,
    pub actor_role: String,
}

impl Recorded {
    /// The citation of this event.
    pub fn event_ref(&self) -> EventRef {
        EventRef {
            seq: self.seq,
            hash: self.hash,
            event_id: self.event_id,
            event_type: self.event.event_type().to_owned(),
            recorded_at: self.recorded_at,
            actor_id: self.actor.id.clone(),
            actor_role: self.actor.role.clone(),
        }
    }
}

/// Why a stored record could not be decoded into projection input.
#[derive(Debug, thiserror::Error)]
pub enum RecordDecodeError {
    #[error("event {seq}: unreadable envelope: {message}")]
    Envelope { seq: u64, message: String },
    #[error("event {seq}: {source}")]
    Event { seq: u64, source: EventDecodeError },
}

/// Decodes a stored record (header and body bytes) without building a JSON tree: the fast path for
/// folding a whole ledger.
pub fn from_record(seq: u64, record: &Record<'_>) -> Result<Recorded, RecordDecodeError> {
    let body = EventBodyRef::from_bytes(record.body)
        .map_err(|error| RecordDecodeError::Envelope { seq, message: error.to_string() })?;
    let event = Event::from_stored_json(&body.event_type, body.schema_version, body.data.get())
        .map_err(|source| RecordDecodeError::Event { seq, source })?;
    Ok(Recorded {
        seq,
        prev_hash: record.prev_hash,
        hash: record.hash,
        event_id: EventId(body.event_id),
        recorded_at: body.recorded_at,
        actor: body.actor,
        event,
    })
}

/// Decodes an event read back from the store (upcasting old versions); the store's types are read as
/// plain data and nothing here calls into the store.
pub fn from_store(stored: &RecordedEvent) -> Result<Recorded, EventDecodeError> {
    let body = &stored.body;
    let event = Event::from_stored(&body.event_type, body.schema_version, &body.data)?;
    Ok(Recorded {
        seq: stored.seq,
        prev_hash: stored.prev_hash,
        hash: stored.hash,
        event_id: EventId(body.event_id),
        recorded_at: body.recorded_at,
        actor: body.actor.clone(),
        event,
    })
}
