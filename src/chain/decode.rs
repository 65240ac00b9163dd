//! The one decoder: stored record bytes → `Recorded`, the typed event every fold takes. It reads the
//! envelope without building a JSON tree (`EventBodyRef` borrows the stored text) and decodes the data
//! of its type and version straight from that text, upcasting older versions.
//!
//! Invariant: whatever folds the ledger — the decider on open, the read models, replay, diffs, the
//! import's load check — decodes through here, so they cannot read the same bytes differently.

use super::envelope::EventBodyRef;
use super::record::Record;
use crate::domain::{Event, EventDecodeError, EventId, Recorded};

/// Why a stored record could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("event {seq}: unreadable envelope: {message}")]
    Envelope { seq: u64, message: String },
    #[error("event {seq}: {source}")]
    Event { seq: u64, source: EventDecodeError },
}

/// Decodes the record stored at `seq`.
pub fn decode(seq: u64, record: &Record<'_>) -> Result<Recorded, DecodeError> {
    let body = EventBodyRef::from_bytes(record.body)
        .map_err(|error| DecodeError::Envelope { seq, message: error.to_string() })?;
    let event = Event::from_stored_json(&body.event_type, body.schema_version, body.data.get())
        .map_err(|source| DecodeError::Event { seq, source })?;
    Ok(Recorded {
        seq,
        prev_hash: record.prev_hash,
        hash: record.hash,
        event_id: EventId(body.event_id),
        recorded_at: body.recorded_at,
        recorded_by: body.actor,
        event,
    })
}
