//! Folding a whole ledger from the record copy (`records.kpi`) instead of sled's index: one thread
//! reads the file in large blocks and cuts them into frames (a sequential read, no B-tree walk, no
//! hashing), two threads check and decode alternate chunks, and the caller's thread visits the
//! decoded chunks in order — on two cores the hashing and decoding that make up most of a rebuild
//! run side by side.
//!
//! Invariant: every record visited is the index's record. Within a chunk each record carries the
//! next sequence number, hashes to its own hash and links to the record before it (as `verify`
//! checks them, which covers every byte the frame's own check covers); the chunk's first record
//! links to the last one visited, and its last record's hash is the hash the index holds at that
//! sequence number — so by the chain's hashing every record between is the index's too. Nothing
//! past `to_seq` is visited. Where the copy cannot give the next chunk — a damaged, short, forged or
//! missing file — reading stops cleanly before it and says where, so the caller reads the rest from
//! sled: a fold never depends on the copy being whole (`verify` and the open path's checks are what
//! report a damaged copy).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::chain::{link_hash, Hash, Record, GENESIS_HASH};
use crate::store::segment::{self, FrameError, FILE_HEADER};
use crate::store::StoreError;

/// Bytes read from the file for one chunk (whole frames; the frame it ends inside opens the next).
const CHUNK_BYTES: usize = 256 * 1024;
/// Decoding threads; chunks alternate between them.
const DECODERS: usize = 2;

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

/// Decodes and visits records 1 to `to_seq` from the record copy in `dir`, in order; `indexed_hash`
/// gives the index's hash at a sequence number. Returns the sequence number of the first record it
/// did not visit (`to_seq + 1` when it visited them all); an error of `decode`, `visit` or
/// `indexed_hash` is returned as it is.
pub(crate) fn fold_from_copy<T: Send, E: From<StoreError> + Send>(
    dir: &Path,
    to_seq: u64,
    indexed_hash: impl Fn(u64) -> Result<Option<Hash>, StoreError>,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
    visit: &mut impl FnMut(T) -> Result<(), E>,
) -> Result<u64, E> {
    let Ok(file) = open_after_header(dir) else { return Ok(1) };
    std::thread::scope(|scope| {
        let mut raw_senders = Vec::with_capacity(DECODERS);
        let mut receivers = Vec::with_capacity(DECODERS);
        for _ in 0..DECODERS {
            let (raw_sender, raw_receiver) = sync_channel::<Option<RawChunk>>(2);
            let (sender, receiver) = sync_channel::<Decoded<T, E>>(2);
            scope.spawn(move || decode_chunks(raw_receiver, sender, decode));
            raw_senders.push(raw_sender);
            receivers.push(receiver);
        }
        scope.spawn(move || read_frames(file, to_seq, raw_senders));
        let (mut next_seq, mut previous) = (1, GENESIS_HASH);
        for turn in (0..DECODERS).cycle() {
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
        Ok(next_seq)
    })
}

fn open_after_header(dir: &Path) -> io::Result<File> {
    let mut file = File::open(segment::path(dir))?;
    let mut header = vec![0; FILE_HEADER.len()];
    file.read_exact(&mut header)?;
    if header != FILE_HEADER {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a record copy"));
    }
    file.seek(SeekFrom::Start(FILE_HEADER.len() as u64))?;
    Ok(file)
}

/// Reads the file block by block and cuts each block into the frames 1, 2, … up to `to_seq` it holds
/// whole, handed to the decoders in turn; the decoder whose turn comes after the last chunk is told
/// that reading stopped.
fn read_frames(mut file: File, to_seq: u64, senders: Vec<SyncSender<Option<RawChunk>>>) {
    let (mut expected, mut carry, mut at_end) = (1u64, Vec::new(), false);
    for turn in (0..senders.len()).cycle() {
        let mut bytes = std::mem::take(&mut carry);
        let (first_seq, mut records, mut parsed, mut stop) = (expected, Vec::new(), 0, false);
        // A frame longer than a block makes the block grow until it holds the frame whole.
        while records.is_empty() && !stop {
            let want = bytes.len() + CHUNK_BYTES;
            at_end = at_end || !fill(&mut file, &mut bytes, want);
            while expected <= to_seq {
                match segment::layout(&bytes[parsed..]) {
                    Ok((seq, record, total)) if seq == expected => {
                        records.push(parsed + record.start..parsed + record.end);
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
