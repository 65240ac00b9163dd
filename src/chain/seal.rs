//! Sealing: the one place an event becomes the bytes the chain stores. Given the chain's head and
//! an event's envelope, `seal_body` writes the body once, links it to the head and hashes it; the
//! decider, the generator and every tool that builds a chain call it, and the store only writes what
//! it returns (after checking that it continues the chain).
//!
//! Invariant: the sealed record is `RECORD_FORMAT_V1 ‖ prev_hash ‖ hash ‖ body`, with `hash =
//! link_hash(prev_hash, seq, body)`, `seq = head.seq + 1`, `prev_hash = head.hash`, and a recorded
//! time never earlier than the head's; the body is at most `EVENT_BODY_BYTES_MAX` bytes.

use uuid::Uuid;

use crate::domain::{Event, EventId, Hash, Recorded, RecordedBy, Timestamp};
use crate::limits::EVENT_BODY_BYTES_MAX;

use super::envelope::{EventBody, Imported};
use super::record::{Record, GENESIS_HASH};

/// The newest event of a chain: what the next one links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
    pub recorded_at: Timestamp,
}

impl Head {
    /// Before the first event: 0, the genesis hash, the epoch.
    pub const EMPTY: Head = Head { seq: 0, hash: GENESIS_HASH, recorded_at: Timestamp::UNIX_EPOCH };
}

/// One event sealed: its place in the chain, its stream position and id (for the store's indexes),
/// and the record bytes to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub event_id: Uuid,
    pub stream: String,
    pub stream_version: u64,
    pub recorded_at: Timestamp,
    /// The encoded record: format byte, previous hash, own hash, body.
    pub record: Vec<u8>,
}

impl Sealed {
    /// The head this event makes.
    pub fn head(&self) -> Head {
        Head { seq: self.seq, hash: self.hash, recorded_at: self.recorded_at }
    }

    /// The body bytes inside the record.
    pub fn body(&self) -> &[u8] {
        &self.record[super::record::RECORD_HEADER_LEN..]
    }
}

/// A body over the limit: the event is refused before anything is stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the event body would be {bytes} bytes; the limit is {EVENT_BODY_BYTES_MAX}")]
pub struct TooLarge {
    pub bytes: usize,
}

/// Seals `body` as the event after `head`. Its `recorded_at` is raised to the head's if earlier, so
/// recorded times never decrease along the chain.
pub fn seal_body(head: &Head, mut body: EventBody) -> Result<Sealed, TooLarge> {
    body.recorded_at = body.recorded_at.max(head.recorded_at);
    let bytes = body.to_bytes();
    if bytes.len() > EVENT_BODY_BYTES_MAX {
        return Err(TooLarge { bytes: bytes.len() });
    }
    let seq = head.seq + 1;
    let record = Record::seal(head.hash, seq, &bytes);
    Ok(Sealed {
        seq,
        prev_hash: head.hash,
        hash: record.hash,
        event_id: body.event_id,
        stream: body.stream,
        stream_version: body.stream_version,
        recorded_at: body.recorded_at,
        record: record.encode(),
    })
}

/// Seals a domain event after `head`, as version `stream_version` of its stream (1 for a stream's
/// first event): the record to store and the `Recorded` event to fold.
fn seal_event(
    head: &Head,
    event: &Event,
    stream_version: u64,
    stamp: &Stamp<'_>,
) -> Result<(Sealed, Recorded), TooLarge> {
    let body = EventBody {
        event_id: stamp.event_id,
        stream: event.stream_id(),
        stream_version,
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        recorded_at: stamp.recorded_at,
        actor: stamp.recorded_by.clone(),
        command_id: stamp.command_id.map(str::to_owned),
        causation_id: None,
        correlation_id: stamp.correlation_id,
        imported: stamp.imported.cloned(),
        data: event.to_data(),
    };
    let sealed = seal_body(head, body)?;
    let recorded = Recorded {
        seq: sealed.seq,
        prev_hash: sealed.prev_hash,
        hash: sealed.hash,
        event_id: EventId(stamp.event_id),
        recorded_at: sealed.recorded_at,
        recorded_by: stamp.recorded_by.clone(),
        event: event.clone(),
    };
    Ok((sealed, recorded))
}

/// A chain being extended one event at a time: its head and the versions of the streams it has
/// seen. The decider keeps one over the ledger (learning a stream's durable version from the store the
/// first time it meets it); the generator and the test kit build whole chains with one from genesis.
#[derive(Clone, Debug)]
pub struct Chain {
    head: Head,
    stream_versions: std::collections::HashMap<String, u64>,
}

/// The envelope of an event appended to a `Chain`: everything but its place, which the chain gives.
#[derive(Clone, Debug)]
pub struct Stamp<'a> {
    pub event_id: Uuid,
    pub recorded_at: Timestamp,
    pub recorded_by: &'a RecordedBy,
    pub command_id: Option<&'a str>,
    pub correlation_id: Option<Uuid>,
    /// Set on the events of a history import.
    pub imported: Option<&'a Imported>,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain::at(Head::EMPTY)
    }
}

impl Chain {
    /// A chain that continues after `head`, knowing no stream yet.
    pub fn at(head: Head) -> Chain {
        Chain { head, stream_versions: std::collections::HashMap::new() }
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// The version of `stream` if this chain knows it.
    pub fn known_stream_version(&self, stream: &str) -> Option<u64> {
        self.stream_versions.get(stream).copied()
    }

    /// Tells the chain a stream's current version (learned from the store).
    pub fn learn_stream_version(&mut self, stream: &str, version: u64) {
        self.stream_versions.insert(stream.to_owned(), version);
    }

    /// Counts one more event of `stream` without sealing it (folding a stored chain).
    pub fn count(&mut self, stream: String) {
        *self.stream_versions.entry(stream).or_insert(0) += 1;
    }

    /// Moves the head (folding a stored chain).
    pub fn set_head(&mut self, head: Head) {
        self.head = head;
    }

    /// Seals `event` as the next event of the chain and of its stream.
    pub fn append(&mut self, event: &Event, stamp: Stamp<'_>) -> Result<(Sealed, Recorded), TooLarge> {
        let stream = event.stream_id();
        let version = self.known_stream_version(&stream).unwrap_or(0) + 1;
        let (sealed, recorded) = seal_event(&self.head, event, version, &stamp)?;
        self.stream_versions.insert(stream, version);
        self.head = sealed.head();
        Ok((sealed, recorded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, UnitCode};

    #[test]
    fn a_sealed_event_links_to_the_head_and_its_hash_checks() {
        let event: Event =
            crate::domain::event::UnitRenamed { unit: UnitCode::new("YS").unwrap(), name: "乙市".into() }.into();
        let by = RecordedBy { id: "admin".into(), role: Role::Admin };
        let at = Timestamp::from_civil(2017, 7, 11, 9, 0, 0).unwrap();
        let stamp = |at| Stamp {
            event_id: Uuid::nil(),
            recorded_at: at,
            recorded_by: &by,
            command_id: None,
            correlation_id: None,
            imported: None,
        };
        let (first, recorded) = seal_event(&Head::EMPTY, &event, 1, &stamp(at)).unwrap();
        assert_eq!((first.seq, first.prev_hash), (1, GENESIS_HASH));
        assert!(Record::decode(&first.record).unwrap().hash_matches(1));
        assert_eq!(recorded.hash, first.hash);
        let (second, _) = seal_event(&first.head(), &event, 1, &stamp(Timestamp::UNIX_EPOCH)).unwrap();
        assert_eq!((second.seq, second.prev_hash), (2, first.hash));
        assert_eq!(second.recorded_at, at, "a recorded time never goes back along the chain");
    }
}
