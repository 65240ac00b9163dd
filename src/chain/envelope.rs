//! The event envelope: the JSON body that is stored, hashed and exported for every event.
//!
//! Invariant: field order and encoding are fixed by this struct (serde writes fields in declaration
//! order, `data` objects with sorted keys), and the body is serialised once, at append time.
//! `seq`, `prev_hash` and `hash` live in the binary record header, not in the body.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{RecordedBy, Timestamp};

/// Everything about an event except its position in the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    pub event_id: Uuid,
    pub stream: String,
    pub stream_version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: u32,
    pub recorded_at: Timestamp,
    pub actor: RecordedBy,
    pub command_id: Option<String>,
    pub causation_id: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
    /// Present only on events of a history import: who imported them, when, and from which file.
    /// The event's `recorded_at` stays the time it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    pub data: serde_json::Value,
}

/// How an event of a bureau's past came into the ledger: the admin who vouched for the file, the real
/// time of the import, and the blake3 digest (64 hex digits) of the file's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    pub by: String,
    pub at: Timestamp,
    pub file_blake3: String,
}

/// The envelope read without copying: `data` stays the stored JSON text. What folding a whole ledger
/// reads, so it neither builds a `Value` tree nor allocates for every string.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBodyRef<'a> {
    pub event_id: Uuid,
    #[serde(borrow)]
    pub stream: std::borrow::Cow<'a, str>,
    pub stream_version: u64,
    #[serde(rename = "type", borrow)]
    pub event_type: std::borrow::Cow<'a, str>,
    pub schema_version: u32,
    pub recorded_at: Timestamp,
    pub actor: RecordedBy,
    #[serde(borrow)]
    pub command_id: Option<std::borrow::Cow<'a, str>>,
    pub causation_id: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
    #[serde(default)]
    pub imported: Option<Imported>,
    #[serde(borrow)]
    pub data: &'a serde_json::value::RawValue,
}

impl<'a> EventBodyRef<'a> {
    pub fn from_bytes(bytes: &'a [u8]) -> Result<EventBodyRef<'a>, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

impl EventBody {
    /// The exact bytes that are stored and hashed.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an event body always serialises")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<EventBody, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
