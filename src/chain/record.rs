//! One stored event record: a fixed binary header (format, previous hash, own hash) and the body bytes.
//!
//! Invariant: `hash = blake3(HASH_TAG ‖ prev_hash ‖ seq as u64 big-endian ‖ body length as u64
//! big-endian ‖ body)`. Checking a record needs no JSON parsing, so verification runs at hashing speed.

/// Domain-separation tag: the first bytes of every hash input, so an event hash can never be confused
/// with any other blake3 hash (a Merkle node, a token hash, a document digest).
pub const HASH_TAG: &[u8] = b"kpi-ledger/event/v1\n";

/// The previous hash of the first event (sequence number 1).
pub const GENESIS_HASH: Hash = Hash([0; 32]);

/// The first byte of every stored record; a new layout gets a new number, old records keep theirs.
pub const RECORD_FORMAT_V1: u8 = 1;

/// Format byte + previous hash + own hash.
pub const RECORD_HEADER_LEN: usize = 1 + 32 + 32;

/// A blake3 digest: an event hash, a chain head or a link. The type is the domain's (facts cite
/// events by it); the bytes that make it are decided here.
pub use crate::domain::Hash;

/// The hash that links event `seq` (with these body bytes) to its predecessor.
pub fn link_hash(prev_hash: &Hash, seq: u64, body: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(HASH_TAG);
    hasher.update(&prev_hash.0);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&(body.len() as u64).to_be_bytes());
    hasher.update(body);
    Hash(*hasher.finalize().as_bytes())
}

/// A record as it is stored, borrowed from the stored bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub prev_hash: Hash,
    pub hash: Hash,
    pub body: &'a [u8],
}

/// Why stored bytes are not a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record is {len} bytes, shorter than its {RECORD_HEADER_LEN}-byte header")]
    TooShort { len: usize },
    #[error("unknown record format {format}")]
    UnknownFormat { format: u8 },
}

impl<'a> Record<'a> {
    /// Builds the record for `body` at `seq` after `prev_hash`, computing its hash.
    pub fn seal(prev_hash: Hash, seq: u64, body: &'a [u8]) -> Record<'a> {
        Record { prev_hash, hash: link_hash(&prev_hash, seq, body), body }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(RECORD_HEADER_LEN + self.body.len());
        bytes.push(RECORD_FORMAT_V1);
        bytes.extend_from_slice(&self.prev_hash.0);
        bytes.extend_from_slice(&self.hash.0);
        bytes.extend_from_slice(self.body);
        bytes
    }

    pub fn decode(bytes: &'a [u8]) -> Result<Record<'a>, RecordError> {
        if bytes.len() < RECORD_HEADER_LEN {
            return Err(RecordError::TooShort { len: bytes.len() });
        }
        if bytes[0] != RECORD_FORMAT_V1 {
            return Err(RecordError::UnknownFormat { format: bytes[0] });
        }
        let mut prev_hash = [0u8; 32];
        prev_hash.copy_from_slice(&bytes[1..33]);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[33..65]);
        Ok(Record { prev_hash: Hash(prev_hash), hash: Hash(hash), body: &bytes[RECORD_HEADER_LEN..] })
    }

    /// True when the stored hash is the hash of this record's contents at `seq`.
    pub fn hash_matches(&self, seq: u64) -> bool {
        link_hash(&self.prev_hash, seq, self.body) == self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let record = Record::seal(GENESIS_HASH, 1, b"{\"a\":1}");
        let bytes = record.encode();
        assert_eq!(Record::decode(&bytes).unwrap(), record);
        assert!(record.hash_matches(1));
        assert!(!record.hash_matches(2), "the sequence number is part of the hash");
    }

    #[test]
    fn short_and_unknown_records_are_refused() {
        assert_eq!(Record::decode(&[1; 10]), Err(RecordError::TooShort { len: 10 }));
        let mut bytes = Record::seal(GENESIS_HASH, 1, b"{}").encode();
        bytes[0] = 9;
        assert_eq!(Record::decode(&bytes), Err(RecordError::UnknownFormat { format: 9 }));
    }
}
