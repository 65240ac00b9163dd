//! Snapshots: a projection stamped with the sequence number and chain hash it was built from, as bytes
//! the store can keep, and the check that a snapshot still belongs to the chain before it is used.
//!
//! Invariant: a snapshot is used only when its stamp equals the chain's own (seq, hash) at that
//! sequence number, and the projection inside carries that same stamp; anything else is refused, so
//! the caller rebuilds from scratch instead of serving a projection of some other history.

use serde::{Deserialize, Serialize};

use crate::chain::Hash;

use super::Projection;

/// The layout of the serialised projection; a snapshot of another layout is rebuilt, not read.
/// 3: attributions carry their appeals and whether one was upheld; appeal decisions and escalations
/// their evidence digests; a plan keeps every assignment (each from its own period), and a reopened
/// period is published, not open. 4: the people facts index, per person, every indicator they were
/// ever made responsible for. (A person's facts and memberships are now written as arrays of their
/// fields, not maps naming each one, `serialize_as_array_when_binary`: the same layout, since every
/// reader of format 4 reads a struct from either form.) 5: a person's facts no longer hold their unit
/// and whether they retired apart from the stretches and the day they retired on.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format_version: u32,
    pub seq: u64,
    pub hash: Hash,
    pub projection: Projection,
}

/// Why a snapshot cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("unreadable snapshot: {0}")]
    Unreadable(String),
    #[error("snapshot format {found} is not the supported format {SNAPSHOT_FORMAT_VERSION}")]
    FormatVersion { found: u32 },
    #[error("snapshot is of event {snapshot}, but the chain position given is event {chain}")]
    SeqMismatch { snapshot: u64, chain: u64 },
    #[error("snapshot of event {seq} has hash {snapshot}, but the chain has {chain} there")]
    HashMismatch { seq: u64, snapshot: Hash, chain: Hash },
    #[error("snapshot stamp (event {stamp_seq}) disagrees with the projection inside it (event {projection_seq})")]
    StampDisagrees { stamp_seq: u64, projection_seq: u64 },
}

impl Snapshot {
    pub fn of(projection: &Projection) -> Snapshot {
        Snapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            seq: projection.seq(),
            hash: projection.hash(),
            projection: projection.clone(),
        }
    }

    /// MessagePack with named fields (self-describing: the domain's internally tagged enums and
    /// optional fields round-trip as they do in JSON), hashes as bytes, times as microseconds, and
    /// the per-person facts as arrays of their fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        Snapshot::encode(self.format_version, self.seq, self.hash, &self.projection, &mut bytes)
            .expect("a projection always serialises into memory");
        bytes
    }

    /// The bytes of a snapshot of `projection`, without cloning it.
    pub fn bytes_of(projection: &Projection) -> Vec<u8> {
        let mut bytes = Vec::new();
        Snapshot::write_of(projection, &mut bytes).expect("a projection always serialises into memory");
        bytes
    }

    /// Writes the bytes of a snapshot of `projection` to `out` as they are made (the same bytes as
    /// `bytes_of`), without cloning it or holding them whole.
    pub fn write_of(projection: &Projection, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        Snapshot::encode(SNAPSHOT_FORMAT_VERSION, projection.seq(), projection.hash(), projection, out)
    }

    fn encode(
        format_version: u32,
        seq: u64,
        hash: Hash,
        projection: &Projection,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct SnapshotRef<'a> {
            format_version: u32,
            seq: u64,
            hash: Hash,
            projection: &'a Projection,
        }
        let snapshot = SnapshotRef { format_version, seq, hash, projection };
        // A failed write (a full disk) comes back inside the encoder's error, which names it.
        rmp_serde::encode::write_named(out, &snapshot).map_err(std::io::Error::other)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        rmp_serde::from_slice(bytes).map_err(|error| SnapshotError::Unreadable(error.to_string()))
    }

    /// As `from_bytes`, decoding as the bytes are read (a large snapshot file is never held whole).
    pub fn read_from(bytes: &mut dyn std::io::Read) -> Result<Snapshot, SnapshotError> {
        rmp_serde::from_read(bytes).map_err(|error| SnapshotError::Unreadable(error.to_string()))
    }

    /// Hands out the projection if the snapshot matches the chain's `(chain_seq, chain_hash)` — the
    /// hash of event `chain_seq` as the ledger holds it (the genesis hash for 0).
    pub fn verified(self, chain_seq: u64, chain_hash: Hash) -> Result<Projection, SnapshotError> {
        if self.format_version != SNAPSHOT_FORMAT_VERSION {
            return Err(SnapshotError::FormatVersion { found: self.format_version });
        }
        if self.seq != chain_seq {
            return Err(SnapshotError::SeqMismatch { snapshot: self.seq, chain: chain_seq });
        }
        if self.hash != chain_hash {
            return Err(SnapshotError::HashMismatch { seq: self.seq, snapshot: self.hash, chain: chain_hash });
        }
        if self.projection.seq() != self.seq || self.projection.hash() != self.hash {
            return Err(SnapshotError::StampDisagrees { stamp_seq: self.seq, projection_seq: self.projection.seq() });
        }
        Ok(self.projection)
    }
}
