//! Folding a whole ledger from the record copy (`records.kpi`) instead of sled's index: one thread
//! reads the file's frames in order (a sequential read, no B-tree walk), two decode alternate chunks,
//! and the caller's thread visits the decoded chunks in order — on two cores the three overlap, and
//! the read that dominated a rebuild through sled costs little.
//!
//! Invariant: every record visited passed its frame's check, carries the next sequence number, links
//! to the record before it and hashes to its own hash (as `verify` checks them), and nothing past
//! `to_seq` (the durable head) is visited. Where the copy cannot give the next
//! record — a damaged or short file, a missing one — reading stops cleanly and says where, so the
//! caller reads the rest from sled: a fold never depends on the copy being whole (`verify` and the
//! open path's checks are what report a damaged copy).

use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::chain::{link_hash, Hash, Record, GENESIS_HASH};
use crate::store::segment::{FrameReader, FILE_HEADER};
use crate::store::StoreError;

/// Records per chunk handed from the reading thread to a decoding one.
const CHUNK_RECORDS: usize = 1_024;
/// Decoding threads; chunks alternate between them.
const DECODERS: usize = 2;

/// A chunk of records read from the copy, `(seq, record bytes)`; `None` once reading stopped.
type RawChunk = Option<Vec<(u64, Vec<u8>)>>;

/// What a decoding thread hands on, in the order of the chunks it was given.
enum Decoded<T, E> {
    Chunk(Result<Vec<T>, E>),
    /// The copy gave no more records (its end, damage, or `to_seq` reached).
    Stopped,
}

/// Decodes and visits records 1 to `to_seq` from the record copy in `dir`, in order. Returns the
/// sequence number of the first record it did not visit (`to_seq + 1` when it visited them all);
/// an error of `decode` or `visit` is returned as it is.
pub(crate) fn fold_from_copy<T: Send, E: From<StoreError> + Send>(
    dir: &Path,
    to_seq: u64,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
    visit: &mut impl FnMut(T) -> Result<(), E>,
) -> Result<u64, E> {
    let Ok(reader) = FrameReader::open(dir, FILE_HEADER.len() as u64) else { return Ok(1) };
    std::thread::scope(|scope| {
        let mut raw_senders = Vec::with_capacity(DECODERS);
        let mut receivers = Vec::with_capacity(DECODERS);
        for _ in 0..DECODERS {
            let (raw_sender, raw_receiver) = sync_channel::<RawChunk>(2);
            let (sender, receiver) = sync_channel::<Decoded<T, E>>(2);
            scope.spawn(move || decode_chunks(raw_receiver, sender, decode));
            raw_senders.push(raw_sender);
            receivers.push(receiver);
        }
        scope.spawn(move || read_frames(reader, to_seq, raw_senders));
        let mut next_seq = 1;
        for turn in (0..DECODERS).cycle() {
            match receivers[turn].recv() {
                Ok(Decoded::Chunk(chunk)) => {
                    for item in chunk? {
                        visit(item)?;
                        next_seq += 1;
                    }
                }
                Ok(Decoded::Stopped) | Err(_) => break,
            }
        }
        // Dropping the receivers ends the threads still sending (an early return above does too).
        Ok(next_seq)
    })
}

/// Reads frames 1, 2, … up to `to_seq` into chunks, handed to the decoders in turn; the decoder
/// whose turn comes after the last chunk is told that reading stopped.
fn read_frames(mut reader: FrameReader, to_seq: u64, senders: Vec<SyncSender<RawChunk>>) {
    let (mut expected, mut previous) = (1u64, GENESIS_HASH);
    for turn in (0..senders.len()).cycle() {
        let mut chunk = Vec::with_capacity(CHUNK_RECORDS);
        while chunk.len() < CHUNK_RECORDS && expected <= to_seq {
            match reader.next_frame() {
                Ok(Ok(frame)) if frame.seq == expected => match links(&frame.record, expected, &previous) {
                    Some(hash) => {
                        chunk.push((frame.seq, frame.record));
                        (expected, previous) = (expected + 1, hash);
                    }
                    None => break,
                },
                _ => break,
            }
        }
        let (full, empty) = (chunk.len() == CHUNK_RECORDS, chunk.is_empty());
        if !empty && senders[turn].send(Some(chunk)).is_err() {
            return;
        }
        if !full || expected > to_seq {
            // The decoder the visitor reads next says "stopped": this one, or the one after it.
            let next = if empty { turn } else { (turn + 1) % senders.len() };
            let _ = senders[next].send(None);
            return;
        }
    }
}

/// The record's hash when it is well formed, links to `previous` and hashes to its own hash.
fn links(bytes: &[u8], seq: u64, previous: &Hash) -> Option<Hash> {
    let record = Record::decode(bytes).ok()?;
    (record.prev_hash == *previous && link_hash(&record.prev_hash, seq, record.body) == record.hash)
        .then_some(record.hash)
}

fn decode_chunks<T, E: From<StoreError>>(
    raw: Receiver<RawChunk>,
    decoded: SyncSender<Decoded<T, E>>,
    decode: &(impl Fn(u64, Record<'_>) -> Result<T, E> + Sync),
) {
    for message in raw {
        let Some(chunk) = message else {
            let _ = decoded.send(Decoded::Stopped);
            return;
        };
        let items = chunk
            .iter()
            .map(|(seq, bytes)| {
                let record = Record::decode(bytes).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
                decode(*seq, record)
            })
            .collect();
        if decoded.send(Decoded::Chunk(items)).is_err() {
            return;
        }
    }
}
