//! The one decoder: stored record bytes → `Recorded`, the typed event every fold takes. It reads the
//! envelope and, in the same pass, the data of its type at the current version (`type` and
//! `schema_version` come before `data` in every envelope the ledger writes), without building a JSON
//! tree. Anything else — an older version to upcast, members in another order, an error — takes the
//! second path, which reads the envelope with `EventBodyRef` and decodes the data from its text; so
//! both paths give the same event, and every error is reported by the second, with its field.
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
    // The body's UTF-8 is checked once here, rather than string by string as `from_slice` would.
    let text = std::str::from_utf8(record.body).ok();
    if let Some(Ok(OnePass(Some(fast)))) = text.map(serde_json::from_str::<OnePass>) {
        return Ok(Recorded {
            seq,
            prev_hash: record.prev_hash,
            hash: record.hash,
            event_id: EventId(fast.event_id),
            recorded_at: fast.recorded_at,
            recorded_by: fast.actor,
            event: fast.event,
        });
    }
    decode_in_two_steps(seq, record)
}

/// The envelope's members the folds need, with the event read in the same pass.
struct Fast {
    event_id: uuid::Uuid,
    recorded_at: crate::domain::Timestamp,
    actor: crate::domain::RecordedBy,
    event: Event,
}

/// The one-pass reading: `None` when the body is not in the shape it reads (the second path decides).
struct OnePass(Option<Fast>);

impl<'de> serde::Deserialize<'de> for OnePass {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<OnePass, D::Error> {
        deserializer.deserialize_map(OnePassVisitor)
    }
}

struct OnePassVisitor;

impl<'de> serde::de::Visitor<'de> for OnePassVisitor {
    type Value = OnePass;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an event envelope")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<OnePass, M::Error> {
        use serde::de::IgnoredAny;
        let (mut event_id, mut recorded_at, mut actor, mut event) = (None, None, None, None);
        let mut event_type: Option<std::borrow::Cow<'de, str>> = None;
        let mut schema_version: Option<u32> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "event_id" => event_id = Some(map.next_value()?),
                "type" => event_type = Some(map.next_value()?),
                "schema_version" => schema_version = Some(map.next_value()?),
                "recorded_at" => recorded_at = Some(map.next_value()?),
                "actor" => actor = Some(map.next_value()?),
                "stream" | "stream_version" | "command_id" | "causation_id" | "correlation_id" | "imported" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "data" => {
                    let current = event_type.as_deref().zip(schema_version).and_then(|(event_type, version)| {
                        (Event::current_version(event_type) == Some(version)).then_some(event_type)
                    });
                    match current {
                        Some(event_type) => event = map.next_value_seed(CurrentData(event_type))?,
                        None => return Ok(OnePass(None)),
                    }
                }
                _ => return Ok(OnePass(None)),
            }
        }
        Ok(OnePass(match (event_id, recorded_at, actor, event) {
            (Some(event_id), Some(recorded_at), Some(actor), Some(event)) => {
                Some(Fast { event_id, recorded_at, actor, event })
            }
            _ => None,
        }))
    }
}

/// Reads the data of a known type at its current version.
struct CurrentData<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for CurrentData<'_> {
    type Value = Option<Event>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<Event>, D::Error> {
        Event::deserialize_current(self.0, deserializer)
    }
}

/// The second path: the envelope first, then the data from its text, upcast when older. Public so
/// that a test can hold the two paths to the same answer on every kind of event.
pub fn decode_in_two_steps(seq: u64, record: &Record<'_>) -> Result<Recorded, DecodeError> {
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
