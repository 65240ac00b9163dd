//! An event as the chain holds it: `Recorded` (its sequence number, hashes, envelope facts and the
//! decoded domain event) is what every fold takes — the decider's and the read models' alike — and
//! `EventRef` is the compact citation of an event that every fact and every trace line carries.
//!
//! Invariant: a `Recorded` is built only by sealing (`chain::seal`) or by decoding stored bytes
//! (`chain::decode`), so the hash a fact cites is the hash an auditor checks.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::context::Role;
use super::event::Event;
use super::ids::EventId;
use super::Timestamp;

/// A 32-byte blake3 digest: an event's chain hash, a link, a chain head, a Merkle root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(64);
        for byte in self.0 {
            text.push(char::from(DIGITS[usize::from(byte >> 4)]));
            text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        text
    }

    /// Parses 64 lower- or upper-case hex digits.
    pub fn from_hex(text: &str) -> Option<Hash> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let nibble = |digit: u8| (digit as char).to_digit(16).map(|value| value as u8);
        let mut hash = [0u8; 32];
        for (index, pair) in bytes.chunks_exact(2).enumerate() {
            hash[index] = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(Hash(hash))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// 64 hex digits in JSON; 32 bytes in a binary format (projection snapshots).
impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_hex())
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

/// Reads either form whatever the format says it is (serde buffers tagged enums as human-readable).
impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HashVisitor;
        impl serde::de::Visitor<'_> for HashVisitor {
            type Value = Hash;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Hash, E> {
                Hash::from_hex(text).ok_or_else(|| E::custom("expected 64 hex digits"))
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Hash, E> {
                <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| E::custom("expected 32 bytes"))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(HashVisitor)
        } else {
            deserializer.deserialize_bytes(HashVisitor)
        }
    }
}

/// Who recorded an event, as its envelope says: the actor's id and the role it acted in. (The acting
/// `Actor` also has a unit scope; the envelope keeps only what the record needs.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedBy {
    pub id: String,
    pub role: Role,
}

/// One event of the chain, decoded: what a fold takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub event_id: EventId,
    pub recorded_at: Timestamp,
    pub recorded_by: RecordedBy,
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
    pub actor_role: Role,
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
            actor_id: self.recorded_by.id.clone(),
            actor_role: self.recorded_by.role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_a_hash() {
        let hash = Hash([0xab; 32]);
        assert_eq!(hash.to_hex(), "ab".repeat(32));
        assert_eq!(Hash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(Hash::from_hex(&"AB".repeat(32)), Some(hash));
        assert_eq!(Hash::from_hex("ab"), None);
        assert_eq!(Hash::from_hex(&"zz".repeat(32)), None);
    }
}
