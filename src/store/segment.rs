//! The record copy: every record the ledger stores in sled is also appended to one plain file,
//! `records.kpi` in the data directory, and that file is fsynced in the same group commit *before*
//! sled is written. sled is the index (by sequence number, stream, event id, command id, Merkle
//! node); this file is the recovery source. A fault in one is repaired from the other: sled coming
//! back shorter (it treats a damaged log tail as a torn write and drops it) is rolled forward from
//! here on open; a damaged copy is rebuilt from sled by `recover`.
//!
//! Layout: the file header `kpi-ledger records v1\n`, then one frame per event:
//!
//! | bytes | field                                                              |
//! |-------|--------------------------------------------------------------------|
//! | 2     | magic: `KR`, or `KE` on the last frame of a group                  |
//! | 4     | record length `n` (u32 little-endian)                              |
//! | 8     | sequence number (u64 little-endian)                                |
//! | n     | the record, exactly as sled stores it (docs/FORMAT.md §1)          |
//! | 8     | check: the first 8 bytes of blake3(seq ‖ record), `KE` frames      |
//! |       | blake3(`KE` ‖ seq ‖ record)                                        |
//! | 4     | record length `n` again, so the file can be read from its end      |
//!
//! A group (one group commit, one batch of an import or a rebuild) is written with one append and
//! ends with its `KE` frame: whole frames after the last `KE` frame are a group that was cut short
//! (a process killed inside the write leaves a prefix of it, possibly whole frames), and are never
//! taken as events, since that would split an atomic batch of commands. Copies written before group
//! ends were marked hold `KR` frames only.
//!
//! Invariant: the file only grows, by whole groups, and is synced before the index that points into
//! it; bytes after the last group's end are a torn write of a group that was never acknowledged.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::chain::{Hash, Record};
use crate::limits;

/// The file's name in the data directory.
pub const FILE_NAME: &str = "records.kpi";
/// The first bytes of the file.
pub const FILE_HEADER: &[u8] = b"kpi-ledger records v1\n";
/// The magic of a frame inside a group, and of the frame that ends one.
const MAGIC: [u8; 2] = *b"KR";
const GROUP_END_MAGIC: [u8; 2] = *b"KE";
/// Bytes of a frame besides its record.
pub const FRAME_OVERHEAD: usize = 2 + 4 + 8 + 8 + 4;

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Appends the frame of record `record` at `seq` to `out`, inside a group (`close_group` marks the
/// last frame of one).
pub fn encode_frame(seq: u64, record: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(record.len()).expect("records are far below 4 GiB");
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(record);
    out.extend_from_slice(&check(false, seq, record));
    out.extend_from_slice(&len.to_le_bytes());
}

/// Marks the last frame of `frames` (whole frames, as `encode_frame` wrote them) as the end of their
/// group: its magic becomes `KE` and its check covers that. Nothing to mark when `frames` is empty.
pub fn close_group(frames: &mut [u8]) {
    let Some(trailer_at) = frames.len().checked_sub(4) else { return };
    let len = u32::from_le_bytes(frames[trailer_at..].try_into().expect("four bytes")) as usize;
    let start = frames.len() - FRAME_OVERHEAD - len;
    let frame = &mut frames[start..];
    let seq = u64::from_le_bytes(frame[6..14].try_into().expect("eight bytes"));
    let check = check(true, seq, &frame[14..14 + len]);
    frame[..2].copy_from_slice(&GROUP_END_MAGIC);
    frame[14 + len..22 + len].copy_from_slice(&check);
}

fn check(ends_group: bool, seq: u64, record: &[u8]) -> [u8; 8] {
    let mut hasher = blake3::Hasher::new();
    if ends_group {
        hasher.update(&GROUP_END_MAGIC);
    }
    hasher.update(&seq.to_le_bytes());
    hasher.update(record);
    let mut check = [0u8; 8];
    check.copy_from_slice(&hasher.finalize().as_bytes()[..8]);
    check
}

/// One frame read back: where it lies in the file, and its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub seq: u64,
    pub start: u64,
    pub end: u64,
    pub record: Vec<u8>,
    /// Whether this is the last frame of its group (`KE`).
    pub ends_group: bool,
}

impl Frame {
    /// The record's own hash (its header's), when the record is well formed.
    pub fn hash(&self) -> Option<Hash> {
        Record::decode(&self.record).ok().map(|record| record.hash)
    }
}

/// Why bytes at a position are not a frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the file ends inside a frame")]
    Truncated,
    #[error("no frame starts here")]
    BadMagic,
    #[error("the frame's length field is damaged")]
    BadLength,
    #[error("the frame's check does not match its contents")]
    BadCheck,
}

/// A frame parsed at the start of some bytes.
struct Parsed<'a> {
    seq: u64,
    record: &'a [u8],
    total: usize,
    ends_group: bool,
}

/// Parses the frame at the start of `bytes`.
fn parse(bytes: &[u8]) -> Result<Parsed<'_>, FrameError> {
    let (seq, record, total) = layout(bytes)?;
    let record = &bytes[record];
    let ends_group = bytes[..2] == GROUP_END_MAGIC;
    let stored_check = &bytes[total - 12..total - 4];
    if stored_check != check(ends_group, seq, record) {
        return Err(FrameError::BadCheck);
    }
    Ok(Parsed { seq, record, total, ends_group })
}

impl Parsed<'_> {
    fn at(self, start: u64) -> Frame {
        let end = start + self.total as u64;
        Frame { seq: self.seq, start, end, record: self.record.to_vec(), ends_group: self.ends_group }
    }
}

/// Whether `bytes` start with one of the two frame magics.
pub fn starts_with_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC) || bytes.starts_with(&GROUP_END_MAGIC)
}

/// The frame's shape at the start of `bytes` — magic, length, sequence number, trailer — without
/// its check: the sequence number, where its record lies in `bytes`, and the frame's length. For a
/// reader that checks each record's own hash instead (`copy_read`), which covers the same bytes.
pub(crate) fn layout(bytes: &[u8]) -> Result<(u64, std::ops::Range<usize>, usize), FrameError> {
    if bytes.len() < 6 {
        return Err(FrameError::Truncated);
    }
    if !starts_with_magic(bytes) {
        return Err(FrameError::BadMagic);
    }
    let len = u32::from_le_bytes(bytes[2..6].try_into().expect("four bytes")) as usize;
    if len > limits::RECORD_BYTES_MAX {
        return Err(FrameError::BadLength);
    }
    let total = FRAME_OVERHEAD + len;
    if bytes.len() < total {
        return Err(FrameError::Truncated);
    }
    let seq = u64::from_le_bytes(bytes[6..14].try_into().expect("eight bytes"));
    let trailer = u32::from_le_bytes(bytes[22 + len..26 + len].try_into().expect("four bytes")) as usize;
    if trailer != len {
        return Err(FrameError::BadLength);
    }
    Ok((seq, 14..14 + len, total))
}

/// Whether a whole, well-formed frame starts at the beginning of `bytes`.
pub fn parses_at(bytes: &[u8]) -> bool {
    starts_with_magic(bytes) && parse(bytes).is_ok()
}

/// The appending end of the file, owned by the committer.
pub struct Segment {
    file: File,
    len: u64,
}

impl Segment {
    /// Creates the file with its header (it must not exist), synced with its directory entry.
    pub fn create(dir: &Path) -> io::Result<Segment> {
        let mut file = File::options().read(true).append(true).create_new(true).open(path(dir))?;
        file.write_all(FILE_HEADER)?;
        file.sync_all()?;
        crate::store::durability::sync_directory(dir)?;
        Ok(Segment { file, len: FILE_HEADER.len() as u64 })
    }

    /// Opens the existing file for appending after its first `len` bytes (where the index says the
    /// last acknowledged frame ends); anything after them has been dealt with by the caller.
    pub fn open(dir: &Path, len: u64) -> io::Result<Segment> {
        let file = File::options().read(true).append(true).open(path(dir))?;
        Ok(Segment { file, len })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= FILE_HEADER.len() as u64
    }

    /// Appends whole frames. A failed write is cut back off (best effort), so a full disk leaves no
    /// partial frame behind; the caller treats the group as failed either way.
    pub fn append(&mut self, frames: &[u8]) -> io::Result<()> {
        match self.file.write_all(frames) {
            Ok(()) => {
                self.len += frames.len() as u64;
                Ok(())
            }
            Err(error) => {
                let _ = self.file.set_len(self.len);
                Err(error)
            }
        }
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Reads the file's frames in order from `offset` (use `FILE_HEADER.len()` for the first).
pub struct FrameReader {
    reader: io::BufReader<File>,
    offset: u64,
    file_len: u64,
    buffer: Vec<u8>,
}

/// Where reading the frames stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadEnd {
    /// At the end of the file, after a whole frame.
    Clean,
    /// At `offset`, where the bytes are not a frame.
    Damaged { offset: u64, error: FrameError },
}

impl FrameReader {
    pub fn open(dir: &Path, offset: u64) -> io::Result<FrameReader> {
        let mut file = File::open(path(dir))?;
        let file_len = file.metadata()?.len();
        file.seek(SeekFrom::Start(offset))?;
        Ok(FrameReader { reader: io::BufReader::with_capacity(1 << 20, file), offset, file_len, buffer: Vec::new() })
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next frame; `Ok(Err(end))` when there is none to read.
    pub fn next_frame(&mut self) -> io::Result<Result<Frame, ReadEnd>> {
        let left = self.file_len - self.offset;
        if left == 0 {
            return Ok(Err(ReadEnd::Clean));
        }
        let damaged = |offset, error| Ok(Err(ReadEnd::Damaged { offset, error }));
        let head_len = (left as usize).min(6);
        self.buffer.resize(head_len, 0);
        self.reader.read_exact(&mut self.buffer)?;
        if head_len < 6 {
            return damaged(self.offset, FrameError::Truncated);
        }
        if !starts_with_magic(&self.buffer) {
            return damaged(self.offset, FrameError::BadMagic);
        }
        let len = u32::from_le_bytes(self.buffer[2..6].try_into().expect("four bytes")) as usize;
        if len > limits::RECORD_BYTES_MAX {
            return damaged(self.offset, FrameError::BadLength);
        }
        let total = FRAME_OVERHEAD + len;
        if (left as usize) < total {
            return damaged(self.offset, FrameError::Truncated);
        }
        self.buffer.resize(total, 0);
        self.reader.read_exact(&mut self.buffer[6..])?;
        match parse(&self.buffer) {
            Ok(parsed) => {
                let frame = parsed.at(self.offset);
                self.offset = frame.end;
                Ok(Ok(frame))
            }
            Err(error) => damaged(self.offset, error),
        }
    }
}

/// Reads the frame that ends at byte `end` of the file (found through its trailing length).
pub fn frame_ending_at(dir: &Path, end: u64) -> io::Result<Result<Frame, FrameError>> {
    let mut file = File::open(path(dir))?;
    let header = FILE_HEADER.len() as u64;
    if end < header + FRAME_OVERHEAD as u64 || end > file.metadata()?.len() {
        return Ok(Err(FrameError::Truncated));
    }
    let mut trailer = [0u8; 4];
    file.seek(SeekFrom::Start(end - 4))?;
    file.read_exact(&mut trailer)?;
    let len = u32::from_le_bytes(trailer) as usize;
    if len > limits::RECORD_BYTES_MAX || (end - header) < (FRAME_OVERHEAD + len) as u64 {
        return Ok(Err(FrameError::BadLength));
    }
    let start = end - (FRAME_OVERHEAD + len) as u64;
    let mut bytes = vec![0u8; FRAME_OVERHEAD + len];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut bytes)?;
    Ok(parse(&bytes).map(|parsed| parsed.at(start)))
}

/// Whether the file starts with the header (a file of another kind is never appended to).
pub fn has_header(dir: &Path) -> io::Result<bool> {
    let mut file = File::open(path(dir))?;
    let mut header = vec![0u8; FILE_HEADER.len()];
    match file.read_exact(&mut header) {
        Ok(()) => Ok(header == FILE_HEADER),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_forwards_and_backwards_and_any_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = Segment::create(dir.path()).unwrap();
        let mut frames = Vec::new();
        encode_frame(1, b"first record", &mut frames);
        encode_frame(2, b"second", &mut frames);
        close_group(&mut frames);
        segment.append(&frames).unwrap();
        segment.sync().unwrap();
        let mut reader = FrameReader::open(dir.path(), FILE_HEADER.len() as u64).unwrap();
        let first = reader.next_frame().unwrap().unwrap();
        let second = reader.next_frame().unwrap().unwrap();
        assert_eq!((first.seq, first.record.as_slice(), second.seq), (1, &b"first record"[..], 2));
        assert_eq!((first.ends_group, second.ends_group), (false, true), "the group's last frame ends it");
        assert_eq!(reader.next_frame().unwrap(), Err(ReadEnd::Clean));
        assert_eq!(frame_ending_at(dir.path(), segment.len()).unwrap().unwrap(), second);
        assert_eq!(frame_ending_at(dir.path(), first.end).unwrap().unwrap(), first);

        // Every single flipped bit of the frames is caught.
        let bytes = std::fs::read(path(dir.path())).unwrap();
        for at in FILE_HEADER.len()..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            std::fs::write(path(dir.path()), &damaged).unwrap();
            let mut reader = FrameReader::open(dir.path(), FILE_HEADER.len() as u64).unwrap();
            let read: Vec<_> = std::iter::from_fn(|| reader.next_frame().unwrap().ok()).collect();
            assert!(read.len() < 2, "a flip at byte {at} went unnoticed");
        }
    }

    #[test]
    fn a_frame_that_ends_a_group_is_told_from_one_inside_it_by_magic_and_check() {
        let mut inside = Vec::new();
        encode_frame(7, b"record", &mut inside);
        let mut closed = inside.clone();
        close_group(&mut closed);
        assert_eq!(&closed[..2], b"KE");
        assert!(parse(&closed).unwrap().ends_group && !parse(&inside).unwrap().ends_group);
        // The magic alone changed, without the check that goes with it, is damage either way.
        let mut forged = inside.clone();
        forged[..2].copy_from_slice(b"KE");
        assert_eq!(parse(&forged).err(), Some(FrameError::BadCheck));
        let mut unmarked = closed.clone();
        unmarked[..2].copy_from_slice(b"KR");
        assert_eq!(parse(&unmarked).err(), Some(FrameError::BadCheck));
        let mut nothing: Vec<u8> = Vec::new();
        close_group(&mut nothing);
        assert!(nothing.is_empty());
    }
}
