//! Folding a range of the ledger from the record copy (`records.kpi`) instead of sled's index: one
//! thread reads the file in large blocks and cuts them into frames (a sequential read, no B-tree
//! walk, no hashing), two threads check and decode alternate chunks, and the caller's thread visits
//! the decoded chunks in order — on two cores the hashing and decoding that make up most of a rebuild
//! run side by side. A range that does not start at the first event starts reading at a frame whose
//! place is known (`CopyPlaces`: noted by the committer as it writes and by every read of the copy
//! as it passes), skipping the frames before the range by their length fields. Reading the copy
//! keeps sled's cache for what only the index answers, so a server's as-of reads, which fold up to
//! thousands of events each, do not fill it.
//!
//! Invariant: every record visited is the index's record. Within a chunk each record carries the
//! next sequence number, hashes to its own hash and links to the record before it (as `verify`
//! checks them, which covers every byte the frame's own check covers); the chunk's first record
//! links to the last one visited (the range's first to the index's record before the range), and
//! its last record's hash is the hash the index holds at that sequence number — so by the chain's
//! hashing every record between is the index's too. Nothing past `to_seq` is visited. A place is
//! only a hint: a wrong one finds no frame of the range. Where the copy cannot give the next chunk —
//! a damaged, short, forged or missing file — reading stops cleanly before it and says where, so the
//! caller reads the rest from sled: a fold never depends on the copy being whole (`verify` and the
//! open path's checks are what report a damaged copy).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use crate::chain::{link_hash, Hash, Record, GENESIS_HASH};
use crate::limits;
use crate::store::segment::{self, FrameError, FILE_HEADER};
use crate::store::StoreError;

/// Where some frames of the record copy lie: sequence number → byte offset of its frame, for every
/// `limits::COPY_READ_PLACE_EVERY_EVENTS`-th event, noted as frames are written and read. Hints, checked on use.
#[derive(Debug, Default)]
pub(crate) struct CopyPlaces {
    by_seq: Mutex<BTreeMap<u64, u64>>,
}

/// Where reading the copy starts: the frame of `seq` at byte `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CopyStart {
    pub seq: u64,
    pub offset: u64,
}

impl CopyStart {
    /// The copy's first frame.
    pub const FIRST: CopyStart = CopyStart { seq: 1, offset: FILE_HEADER.len() as u64 };
}

impl CopyPlaces {
    /// Whether the place of `seq`'s frame is one to note.
    pub fn wanted(seq: u64) -> bool {
        (seq - 1).is_multiple_of(limits::COPY_READ_PLACE_EVERY_EVENTS)
    }

    pub fn note(&self, seq: u64, offset: u64) {
        if CopyPlaces::wanted(seq) {
            self.by_seq.lock().expect("copy places lock").insert(seq, offset);
        }
    }

    /// The nearest noted frame at or before `seq` (the first frame when none is nearer).
    pub fn at_or_before(&self, seq: u64) -> CopyStart {
        let places = self.by_seq.lock().expect("copy places lock");
        places.range(..=seq).next_back().map_or(CopyStart::FIRST, |(&seq, &offset)| CopyStart { seq, offset })
    }
}

/// Frames cut from one read of the copy, not checked yet: the bytes and where each record lies.
struct RawChunk {
    first_seq: u64,
    bytes: Vec<u8>,
    records: Vec<Range<usize>>,
}

/// A chunk checked and decoded by a decoding thread.
struct Checked<T, E> {
    /// The previous hash its first record names and its last good record's hash; `None` when its
    /// first record already failed.
    ends: Option<(Hash, Hash)>,
    /// How many records passed the checks (from the chunk's first).
    passed: u64,
    /// The records up to the first that failed its checks, decoded in order; an error of `decode`
    /// ends them.
    items: Vec<T>,
    error: Option<E>,
    /// Whether every record of the chunk passed its checks (otherwise reading stops after them).
    whole: bool,
}

/// What a decoding thread hands on, in the order of the chunks it was given.
enum Decoded<T, E> {
    Chunk(Checked<T, E>),
    /// The copy gave no more records (its end, damage, or `to_seq` reached).
    Stopped,
}

/// Decodes and visits records `from_seq` to `to_seq` from the record copy in `dir`, in order, reading
/// from the place `places` knows nearest before `from_seq` (and noting the places it passes), unless
/// that is more than `limits::COPY_READ_SKIP_FRAMES_MAX` frames before it; `indexed_hash` gives the index's hash at a
/// sequence number. Returns the sequence number of the first record it did not visit (`to_seq + 1`
/// when it visited them all) and how many frames before `from_seq` it passed over to get there; an
/// error of `decode`, `visit` or `indexed_hash` is returned as it is.
pub(crate) fn fold_from_copy<T: Send, E: From<StoreError> + Send>(
    dir: &Path,
    places: &CopyPlaces,
    (from_seq, to_seq): (u64, u64),
    indexed_hash: impl Fn(u64) -> Result<Option<Hash>, StoreError>,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
    visit: &mut impl FnMut(T) -> Result<(), E>,
) -> Result<(u64, u64), E> {
    let start = places.at_or_before(from_seq);
    if from_seq - start.seq > limits::COPY_READ_SKIP_FRAMES_MAX {
        return Ok((from_seq, 0));
    }
    let Ok(file) = open_at(dir, start.offset) else { return Ok((from_seq, 0)) };
    let previous = match from_seq {
        1 => GENESIS_HASH,
        _ => match indexed_hash(from_seq - 1)? {
            Some(hash) => hash,
            None => return Ok((from_seq, 0)),
        },
    };
    std::thread::scope(|scope| {
        let mut raw_senders = Vec::with_capacity(limits::COPY_READ_DECODERS);
        let mut receivers = Vec::with_capacity(limits::COPY_READ_DECODERS);
        for _ in 0..limits::COPY_READ_DECODERS {
            let (raw_sender, raw_receiver) = sync_channel::<Option<RawChunk>>(2);
            let (sender, receiver) = sync_channel::<Decoded<T, E>>(2);
            scope.spawn(move || decode_chunks(raw_receiver, sender, decode));
            raw_senders.push(raw_sender);
            receivers.push(receiver);
        }
        scope.spawn(move || read_frames(file, start, (from_seq, to_seq), places, raw_senders));
        let (mut next_seq, mut previous) = (from_seq, previous);
        for turn in (0..limits::COPY_READ_DECODERS).cycle() {
            let Ok(Decoded::Chunk(chunk)) = receivers[turn].recv() else { break };
            let Some((first_prev, last_hash)) = chunk.ends else { break };
            let last_seq = next_seq + chunk.passed - 1;
            if first_prev != previous || indexed_hash(last_seq)? != Some(last_hash) {
                break;
            }
            for item in chunk.items {
                visit(item)?;
                next_seq += 1;
            }
            if let Some(error) = chunk.error {
                return Err(error);
            }
            previous = last_hash;
            if !chunk.whole {
                break;
            }
        }
        // Dropping the receivers ends the threads still sending (an early return above does too).
        let skipped = if next_seq > from_seq { from_seq - start.seq } else { 0 };
        Ok((next_seq, skipped))
    })
}

/// The copy, checked to be one by its header, positioned at `offset`.
fn open_at(dir: &Path, offset: u64) -> io::Result<File> {
    let mut file = File::open(segment::path(dir))?;
    let mut header = vec![0; FILE_HEADER.len()];
    file.read_exact(&mut header)?;
    if header != FILE_HEADER {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a record copy"));
    }
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}

/// Reads the file from `start` block by block, skips the frames before `from_seq`, and cuts each
/// block into the frames `from_seq`, … up to `to_seq` it holds whole, handed to the decoders in turn;
/// the decoder whose turn comes after the last chunk is told that reading stopped. Notes the places
/// of the frames it passes in `places`.
fn read_frames(
    mut file: File,
    start: CopyStart,
    (from_seq, to_seq): (u64, u64),
    places: &CopyPlaces,
    senders: Vec<SyncSender<Option<RawChunk>>>,
) {
    let (mut expected, mut carry, mut at_end) = (start.seq, Vec::new(), false);
    // The file offset of the first byte of the block being cut.
    let mut block_offset = start.offset;
    for turn in (0..senders.len()).cycle() {
        let mut bytes = std::mem::take(&mut carry);
        let (first_seq, mut records, mut parsed, mut stop) = (expected, Vec::new(), 0, false);
        // A frame longer than a block makes the block grow until it holds the frame whole.
        while records.is_empty() && !stop {
            let want = bytes.len() + limits::COPY_READ_CHUNK_BYTES;
            at_end = at_end || !fill(&mut file, &mut bytes, want);
            while expected <= to_seq {
                match segment::layout(&bytes[parsed..]) {
                    Ok((seq, record, total)) if seq == expected => {
                        places.note(seq, block_offset + parsed as u64);
                        if seq >= from_seq {
                            records.push(parsed + record.start..parsed + record.end);
                        }
                        (parsed, expected) = (parsed + total, expected + 1);
                    }
                    Err(FrameError::Truncated) if !at_end => break,
                    _ => {
                        stop = true;
                        break;
                    }
                }
            }
            stop = stop || expected > to_seq || at_end;
        }
        carry = bytes[parsed..].to_vec();
        bytes.truncate(parsed);
        block_offset += parsed as u64;
        let first_seq = first_seq.max(from_seq);
        let empty = records.is_empty();
        if !empty && senders[turn].send(Some(RawChunk { first_seq, bytes, records })).is_err() {
            return;
        }
        if stop {
            // The decoder the visitor reads next says "stopped": this one, or the one after it.
            let next = if empty { turn } else { (turn + 1) % senders.len() };
            let _ = senders[next].send(None);
            return;
        }
    }
}

/// Reads into `bytes` until it holds `want` bytes; false when the file ended first (or could not be
/// read: what was read stays, and reading stops there).
fn fill(file: &mut File, bytes: &mut Vec<u8>, want: usize) -> bool {
    let mut filled = bytes.len();
    bytes.resize(want, 0);
    while filled < want {
        match file.read(&mut bytes[filled..]) {
            Ok(0) | Err(_) => {
                bytes.truncate(filled);
                return false;
            }
            Ok(read) => filled += read,
        }
    }
    true
}

fn decode_chunks<T, E: From<StoreError>>(
    raw: Receiver<Option<RawChunk>>,
    decoded: SyncSender<Decoded<T, E>>,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
) {
    for message in raw {
        let Some(chunk) = message else {
            let _ = decoded.send(Decoded::Stopped);
            return;
        };
        if decoded.send(Decoded::Chunk(check_and_decode(&chunk, decode))).is_err() {
            return;
        }
    }
}

/// Checks the chunk's records in order — well formed, hashing to their own hash, each linking to the
/// one before — up to the first that fails, and decodes those that passed.
fn check_and_decode<T, E>(chunk: &RawChunk, decode: &impl Fn(u64, Record<'_>) -> Result<T, E>) -> Checked<T, E> {
    let mut good = Vec::with_capacity(chunk.records.len());
    let mut ends: Option<(Hash, Hash)> = None;
    for (seq, range) in (chunk.first_seq..).zip(&chunk.records) {
        let Ok(record) = Record::decode(&chunk.bytes[range.clone()]) else { break };
        let links = ends.is_none_or(|(_, last)| record.prev_hash == last);
        if !links || link_hash(&record.prev_hash, seq, record.body) != record.hash {
            break;
        }
        ends = Some((ends.map_or(record.prev_hash, |(first_prev, _)| first_prev), record.hash));
        good.push((seq, record));
    }
    let (passed, whole) = (good.len() as u64, good.len() == chunk.records.len());
    let mut items = Vec::with_capacity(good.len());
    for (seq, record) in good {
        match decode(seq, record) {
            Ok(item) => items.push(item),
            Err(error) => return Checked { ends, passed, items, error: Some(error), whole },
        }
    }
    Checked { ends, passed, items, error: None, whole }
}
