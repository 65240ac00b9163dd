//! Snapshots: a projection stamped with the sequence number and chain hash it was built from, as bytes
//! the store can keep, and the check that a snapshot still belongs to the chain before it is used.
//!
//! Invariant: a snapshot is used only when its stamp equals the chain's own (seq, hash) at that
//! sequence number, and the projection inside carries that same stamp; anything else is refused, so
//! the caller rebuilds from scratch instead of serving a projection of some other history.

use std::sync::Arc;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize};

use crate::chain::Hash;
use crate::domain::facts::{packed, Map, PersonFacts};
use crate::domain::PersonId;
use crate::limits::{SNAPSHOT_PERSONS_PER_PIECE, SNAPSHOT_PIECE_DECODERS};

use super::Projection;

/// The layout of the serialised projection; a snapshot of another layout is rebuilt, not read.
/// 3: attributions carry their appeals and whether one was upheld; appeal decisions and escalations
/// their evidence digests; a plan keeps every assignment (each from its own period), and a reopened
/// period is published, not open. 4: the people facts index, per person, every indicator they were
/// ever made responsible for. (A person's facts and memberships are now written as arrays of their
/// fields, not maps naming each one, `serialize_as_array_when_binary`: the same layout, since every
/// reader of format 4 reads a struct from either form.) 5: a person's facts no longer hold their unit
/// and whether they retired apart from the stretches and the day they retired on. 6: the persons are
/// written apart from the rest of the projection, before it, in pieces each decoded on its own
/// (`SNAPSHOT_PERSONS_PER_PIECE`), so a server's start decodes them on every core.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
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
            persons: PersonPieces<'a>,
            projection: &'a Projection,
        }
        // The rest without the persons (a clone of persistent maps shares their nodes).
        let mut rest = projection.clone();
        let persons = std::mem::take(&mut rest.facts.persons);
        let snapshot = SnapshotRef { format_version, seq, hash, persons: PersonPieces(&persons), projection: &rest };
        // A failed write (a full disk) comes back inside the encoder's error, which names it.
        rmp_serde::encode::write_named(out, &snapshot).map_err(std::io::Error::other)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        Snapshot::decode(&mut rmp_serde::Deserializer::from_read_ref(bytes))
    }

    /// As `from_bytes`, decoding as the bytes are read (a large snapshot file is never held whole).
    pub fn read_from(bytes: &mut dyn std::io::Read) -> Result<Snapshot, SnapshotError> {
        Snapshot::decode(&mut rmp_serde::Deserializer::new(bytes))
    }

    /// Decodes the stamp and the rest of the projection on this thread while `SNAPSHOT_PIECE_DECODERS`
    /// threads decode the pieces of persons it hands them (they come first) and one more puts what
    /// they decoded into full leaves, in the order written, as it comes.
    fn decode<'de, D>(deserializer: D) -> Result<Snapshot, SnapshotError>
    where
        D: serde::Deserializer<'de>,
    {
        let unreadable = |error: &dyn std::fmt::Display| SnapshotError::Unreadable(error.to_string());
        let (pieces, to_decode) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>)>(SNAPSHOT_PIECE_DECODERS);
        let to_decode = std::sync::Mutex::new(to_decode);
        let (decoded, to_insert) = std::sync::mpsc::channel::<DecodedPiece>();
        std::thread::scope(|scope| {
            let spawn = |name: &str| std::thread::Builder::new().name(format!("snapshot-{name}"));
            let mut decoders = Vec::new();
            for _ in 0..SNAPSHOT_PIECE_DECODERS {
                let decoded = decoded.clone();
                let decoder = spawn("decode").spawn_scoped(scope, || decode_pieces(&to_decode, decoded));
                decoders.push(decoder.map_err(|error| unreadable(&format!("a thread to decode persons: {error}")))?);
            }
            // Once the decoders are done, nothing more is coming to the inserter.
            drop(decoded);
            let inserter = spawn("insert")
                .spawn_scoped(scope, || insert_in_order(to_insert))
                .map_err(|error| unreadable(&format!("a thread to put persons in place: {error}")))?;
            // The sender goes with the seed: once the stream is read, the decoders run out of work.
            let read = SnapshotSeed { pieces }.deserialize(deserializer).map_err(|error| unreadable(&error));
            let panicked = |_| unreadable(&"a thread reading the persons panicked");
            for decoder in decoders {
                decoder.join().map_err(panicked)?;
            }
            let persons = inserter.join().map_err(panicked)?;
            let parts = read?;
            if parts.format_version != SNAPSHOT_FORMAT_VERSION {
                return Err(SnapshotError::FormatVersion { found: parts.format_version });
            }
            let (persons, inserted) = persons.map_err(|error| unreadable(&error))?;
            if inserted != parts.pieces {
                return Err(unreadable(&format!("{} pieces of persons written, {inserted} read", parts.pieces)));
            }
            let mut projection = parts.projection.ok_or_else(|| unreadable(&"missing field `projection`"))?;
            projection.facts.persons = persons;
            Ok(Snapshot { format_version: parts.format_version, seq: parts.seq, hash: parts.hash, projection })
        })
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

/// The persons of a projection as a snapshot writes them: a sequence of byte strings, each the
/// MessagePack of up to `SNAPSHOT_PERSONS_PER_PIECE` (id, person) pairs in key order.
struct PersonPieces<'a>(&'a Persons);

impl Serialize for PersonPieces<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(self.0)
            }
        }
        let mut pieces = serializer.serialize_seq(Some(self.0.len().div_ceil(SNAPSHOT_PERSONS_PER_PIECE)))?;
        let mut persons = self.0.iter();
        let mut bytes = Vec::new();
        loop {
            let piece: Vec<_> = persons.by_ref().take(SNAPSHOT_PERSONS_PER_PIECE).collect();
            if piece.is_empty() {
                break;
            }
            bytes.clear();
            rmp_serde::encode::write_named(&mut bytes, &piece).map_err(S::Error::custom)?;
            pieces.serialize_element(&Bytes(&bytes))?;
        }
        pieces.end()
    }
}

type Persons = Map<PersonId, Arc<PersonFacts>>;
type DecodedPiece = (usize, Result<Vec<(PersonId, Arc<PersonFacts>)>, String>);

/// A decoder thread: takes pieces until the reading thread has handed out the last one, and passes
/// each on decoded.
fn decode_pieces(
    to_decode: &std::sync::Mutex<std::sync::mpsc::Receiver<(usize, Vec<u8>)>>,
    decoded: std::sync::mpsc::Sender<DecodedPiece>,
) {
    loop {
        let next = to_decode.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
        let Ok((index, bytes)) = next else { return };
        // A panic is answered as a failed piece: the thread goes on taking pieces, so the reading
        // thread is never left waiting to hand one over.
        let piece = std::panic::catch_unwind(|| rmp_serde::from_slice(&bytes))
            .map_err(|_| format!("persons, piece {index}: decoding panicked"))
            .and_then(|piece| piece.map_err(|error| format!("persons, piece {index}: {error}")));
        // The inserter stops taking pieces only after a failed one; the rest are not wanted.
        let _ = decoded.send((index, piece));
    }
}

/// The inserter thread: the decoded pieces into one map, in the order written (pieces arrive in the
/// order they were decoded), with how many there were.
fn insert_in_order(decoded: std::sync::mpsc::Receiver<DecodedPiece>) -> Result<(Persons, usize), String> {
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0;
    let mut failure = None;
    let in_order = std::iter::from_fn(|| loop {
        if let Some(piece) = waiting.remove(&next) {
            next += 1;
            match piece {
                Ok(entries) => return Some(entries),
                Err(error) => {
                    failure = Some(error);
                    return None;
                }
            }
        }
        // `None` once every decoder is done.
        let (index, piece) = decoded.recv().ok()?;
        waiting.insert(index, piece);
    });
    let persons = packed(in_order.flatten());
    match (failure, waiting.keys().next()) {
        (Some(error), _) => Err(error),
        (None, Some(index)) => Err(format!("persons, piece {next} is missing (piece {index} was read)")),
        (None, None) => Ok((persons, next)),
    }
}

/// What the reading thread decodes itself; the persons' pieces only counted (they went to the
/// decoders).
struct SnapshotParts {
    format_version: u32,
    seq: u64,
    hash: Hash,
    pieces: usize,
    /// `None` when the format is another one: what follows its version is passed over unread.
    projection: Option<Projection>,
}

struct SnapshotSeed {
    pieces: std::sync::mpsc::SyncSender<(usize, Vec<u8>)>,
}

impl<'de> DeserializeSeed<'de> for SnapshotSeed {
    type Value = SnapshotParts;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<SnapshotParts, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SnapshotSeed {
    type Value = SnapshotParts;
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a projection snapshot")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<SnapshotParts, A::Error> {
        let (mut format_version, mut seq, mut hash, mut pieces, mut projection) = (None, None, None, None, None);
        while let Some(field) = fields.next_key::<String>()? {
            match field.as_str() {
                "format_version" => {
                    let found: u32 = fields.next_value()?;
                    if found != SNAPSHOT_FORMAT_VERSION {
                        // Another layout: what follows is passed over, not read as this one.
                        while fields.next_key::<IgnoredAny>()?.is_some() {
                            fields.next_value::<IgnoredAny>()?;
                        }
                        return Ok(SnapshotParts {
                            format_version: found,
                            seq: 0,
                            hash: Hash::default(),
                            pieces: 0,
                            projection: None,
                        });
                    }
                    format_version = Some(found);
                }
                "seq" => seq = Some(fields.next_value()?),
                "hash" => hash = Some(fields.next_value()?),
                "persons" => pieces = Some(fields.next_value_seed(PiecesSeed { pieces: &self.pieces })?),
                "projection" => projection = Some(fields.next_value()?),
                _ => {
                    fields.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(SnapshotParts {
            format_version: format_version.ok_or_else(|| A::Error::missing_field("format_version"))?,
            seq: seq.ok_or_else(|| A::Error::missing_field("seq"))?,
            hash: hash.ok_or_else(|| A::Error::missing_field("hash"))?,
            pieces: pieces.ok_or_else(|| A::Error::missing_field("persons"))?,
            projection: Some(projection.ok_or_else(|| A::Error::missing_field("projection"))?),
        })
    }
}

/// Hands each piece of persons to the decoders as it is read; counts them.
struct PiecesSeed<'a> {
    pieces: &'a std::sync::mpsc::SyncSender<(usize, Vec<u8>)>,
}

impl<'de> DeserializeSeed<'de> for PiecesSeed<'_> {
    type Value = usize;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PiecesSeed<'_> {
    type Value = usize;
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("pieces of persons, each a byte string")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut pieces: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while let Some(Piece(bytes)) = pieces.next_element()? {
            self.pieces.send((count, bytes)).map_err(|_| A::Error::custom("the persons' decoders stopped"))?;
            count += 1;
        }
        Ok(count)
    }
}

/// One piece's bytes (a MessagePack byte string).
struct Piece(Vec<u8>);

impl<'de> Deserialize<'de> for Piece {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Piece, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Piece;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Piece, E> {
                Ok(Piece(bytes.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Piece, E> {
                Ok(Piece(bytes))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::Date;
    use crate::domain::person::{Membership, Memberships};
    use crate::domain::UnitCode;

    /// A projection whose persons fill `pieces` pieces, the last one short.
    fn with_persons(pieces: usize) -> Projection {
        let unit = UnitCode::new("YS07").unwrap();
        let from = Date::new(2016, 1, 1).unwrap();
        let mut projection = Projection::new();
        projection.facts.persons = packed((0..(pieces - 1) * SNAPSHOT_PERSONS_PER_PIECE + 5).map(|number| {
            let person = PersonFacts {
                name: format!("人员{number}").into(),
                memberships: Memberships::registered(Membership { unit: unit.clone(), from }),
                retired_on: (number % 7 == 0).then_some(from),
                erased: number % 11 == 0,
            };
            (PersonId::new(format!("P{number:07}")).unwrap(), Arc::new(person))
        }));
        projection
    }

    /// The persons are written in pieces, before the rest, and read back whole — from memory and as
    /// a stream alike — into the same map.
    #[test]
    fn a_snapshots_persons_are_written_in_pieces_and_read_back_whole() {
        let projection = with_persons(3);
        let bytes = Snapshot::of(&projection).to_bytes();
        let (pieces, handed) = std::sync::mpsc::sync_channel(8);
        let parts = SnapshotSeed { pieces }.deserialize(&mut rmp_serde::Deserializer::from_read_ref(&bytes)).unwrap();
        assert_eq!(parts.pieces, 3);
        assert_eq!(handed.try_iter().count(), 3);
        assert!(parts.projection.unwrap().facts.persons.is_empty(), "the persons are not written twice");

        let read = Snapshot::from_bytes(&bytes).unwrap();
        assert_eq!(read.projection, projection);
        assert_eq!(Snapshot::read_from(&mut &bytes[..]).unwrap(), read);
        assert_eq!(
            Snapshot::of(&Projection::new()),
            Snapshot::from_bytes(&Snapshot::of(&Projection::new()).to_bytes()).unwrap()
        );
    }

    /// Bytes cut short anywhere, in the persons' pieces or after them, are unreadable: an error, never
    /// a hang or a map with persons missing.
    #[test]
    fn a_snapshot_cut_short_is_unreadable() {
        let bytes = Snapshot::of(&with_persons(3)).to_bytes();
        for cut in [40, bytes.len() / 3, bytes.len() * 2 / 3, bytes.len() - 1] {
            assert!(
                matches!(Snapshot::from_bytes(&bytes[..cut]), Err(SnapshotError::Unreadable(_))),
                "cut at {cut} of {}",
                bytes.len()
            );
            assert!(matches!(Snapshot::read_from(&mut &bytes[..cut]), Err(SnapshotError::Unreadable(_))));
        }
    }

    /// The inserter puts pieces in the order written whatever order they were decoded in, and a
    /// piece that never came, or one that failed, is an error, not a shorter map.
    #[test]
    fn pieces_go_in_in_the_order_written_and_a_missing_or_failed_one_is_an_error() {
        let persons: Vec<_> = with_persons(3).facts.persons.into_iter().collect();
        let pieces: Vec<_> = persons.chunks(SNAPSHOT_PERSONS_PER_PIECE).map(<[_]>::to_vec).collect();
        let inserted = |order: &[usize], failed: Option<usize>| {
            let (decoded, to_insert) = std::sync::mpsc::channel();
            for &index in order {
                let piece = match failed == Some(index) {
                    true => Err(format!("piece {index} damaged")),
                    false => Ok(pieces[index].clone()),
                };
                decoded.send((index, piece)).unwrap();
            }
            drop(decoded);
            insert_in_order(to_insert)
        };
        let (map, count) = inserted(&[2, 0, 1], None).unwrap();
        assert_eq!(count, 3);
        assert!(map.iter().map(|(id, person)| (id.clone(), person.clone())).eq(persons.iter().cloned()));
        assert_eq!(inserted(&[0, 2], None).unwrap_err(), "persons, piece 1 is missing (piece 2 was read)");
        assert_eq!(inserted(&[1, 0, 2], Some(1)).unwrap_err(), "piece 1 damaged");
    }

    /// A snapshot of an earlier layout (format 5: the persons inside the projection) is refused by its
    /// version, so the reader rebuilds it from the chain.
    #[test]
    fn a_snapshot_of_an_earlier_format_is_refused_by_its_version() {
        #[derive(Serialize)]
        struct Format5<'a> {
            format_version: u32,
            seq: u64,
            hash: Hash,
            projection: &'a Projection,
        }
        let projection = with_persons(2);
        let old = Format5 { format_version: 5, seq: 0, hash: projection.hash(), projection: &projection };
        let bytes = rmp_serde::to_vec_named(&old).unwrap();
        assert_eq!(Snapshot::from_bytes(&bytes), Err(SnapshotError::FormatVersion { found: 5 }));
        assert_eq!(Snapshot::read_from(&mut &bytes[..]), Err(SnapshotError::FormatVersion { found: 5 }));
    }
}
