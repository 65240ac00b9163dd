//! Projection snapshots as files of their own (`snapshots/` in the data directory), one per
//! snapshot, named by the sequence number it was taken after. They are derived data: losing one
//! loses nothing (it is folded again), and one that does not decode or does not match the chain is
//! dropped by its reader (`service::read_models::load_snapshot`).
//!
//! They are not in sled: sled keeps a large value in a blob file and reads every blob of a leaf
//! when it reads the leaf, so finding the newest of thirty snapshots read all thirty (9 s for a
//! 147 MB snapshot beside 2 GB of older ones); here the newest is found by its name and read alone.
//!
//! A file is the blake3 digest of the snapshot's bytes (32 bytes), then the bytes. The digest is
//! checked on every read and a file that fails it is removed: a flipped bit inside a snapshot must
//! not become a fact (the reader's check of the stamp against the chain sees only the stamp).
//!
//! Invariant: a snapshot file appears whole or not at all (written under a temporary name, then
//! renamed); it is not fsynced, so after a power cut it may be missing, empty or damaged, and each is
//! refused on reading and rebuilt.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::limits::SNAPSHOT_STREAMED_FROM_BYTES;

/// The length of the digest before a snapshot's bytes.
const DIGEST_LEN: usize = 32;

/// The directory of the snapshot files, in the data directory.
pub const SNAPSHOT_DIRECTORY: &str = "snapshots";

/// Where a ledger's snapshot files live.
pub fn directory(data: &Path) -> PathBuf {
    data.join(SNAPSHOT_DIRECTORY)
}

fn file_name(seq: u64) -> String {
    format!("{seq:020}.snapshot")
}

/// The sequence number a snapshot file's name stands for (`None`: not a snapshot file).
fn seq_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".snapshot")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

/// Writes the snapshot taken after event `seq` (replacing one there).
pub fn put(directory: &Path, seq: u64, bytes: &[u8]) -> std::io::Result<()> {
    put_with(directory, seq, |out| out.write_all(bytes))
}

/// Writes the snapshot taken after event `seq` (replacing one there) as `write` writes its bytes,
/// straight into the file: a snapshot as large as a million persons' facts is never held whole in
/// memory (as one buffer it was a second copy of them, and more while it grew). The digest goes in
/// front once the bytes are written.
pub fn put_with(
    directory: &Path,
    seq: u64,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)?;
    let temporary = directory.join(format!(".{}.tmp", file_name(seq)));
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&temporary)?);
    file.write_all(&[0; DIGEST_LEN])?;
    let mut hashing = Hashing { out: &mut file, hasher: blake3::Hasher::new() };
    write(&mut hashing)?;
    let digest = hashing.hasher.finalize();
    let mut file = file.into_inner().map_err(|error| error.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(digest.as_bytes())?;
    drop(file);
    std::fs::rename(&temporary, directory.join(file_name(seq)))
}

/// A writer that hashes what goes through it.
struct Hashing<'a, W: Write> {
    out: &'a mut W,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The newest snapshot taken at or before event `seq` whose digest holds, with the sequence number it
/// was taken after. A damaged one is removed (with a warning) and the next older one is looked at.
pub fn at_or_before(directory: &Path, seq: u64) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    at_or_before_with(directory, seq, read_all)
}

/// As `at_or_before`, with the snapshot handed to `decode` as its bytes are read from the file: a
/// snapshot as large as a million persons' facts is never held whole in memory beside what it
/// decodes to. What `decode` made of a file whose digest then fails is dropped.
pub fn at_or_before_with<T>(
    directory: &Path,
    seq: u64,
    mut decode: impl FnMut(SnapshotBytes<'_>) -> T,
) -> std::io::Result<Option<(u64, T)>> {
    let mut stored = stored_at_or_before(directory, seq)?;
    while let Some(at) = stored.pop() {
        match read_checked(&directory.join(file_name(at)), SNAPSHOT_STREAMED_FROM_BYTES, &mut decode) {
            Ok(Some(decoded)) => return Ok(Some((at, decoded))),
            Ok(None) => {
                tracing::warn!(snapshot_seq = at, "removing a projection snapshot file whose digest does not hold");
                remove(directory, at)?;
            }
            // Removed meanwhile (a reader dropped it): as if it had never been.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(None)
}

/// The bytes of the newest intact snapshot file, whole (see `newest_intact_with`).
#[cfg(test)]
fn newest_intact(directory: &Path) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    newest_intact_with(directory, read_all)
}

/// The newest snapshot file, if its digest holds, decoded by `decode` as it is read (see
/// `at_or_before_with`) without changing anything: for reading it before the data directory's lock
/// is taken (a server's start decodes it while sled opens). A damaged newest file gives `None` here
/// and is removed by `at_or_before_with` once the lock is held.
pub fn newest_intact_with<T>(
    directory: &Path,
    mut decode: impl FnMut(SnapshotBytes<'_>) -> T,
) -> std::io::Result<Option<(u64, T)>> {
    let Some(at) = stored_at_or_before(directory, u64::MAX)?.pop() else { return Ok(None) };
    match read_checked(&directory.join(file_name(at)), SNAPSHOT_STREAMED_FROM_BYTES, &mut decode) {
        Ok(decoded) => Ok(decoded.map(|decoded| (at, decoded))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// The sequence numbers of the snapshot files taken at or before event `seq`, oldest first.
fn stored_at_or_before(directory: &Path, seq: u64) -> std::io::Result<Vec<u64>> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut stored = Vec::new();
    for entry in entries {
        if let Some(at) = entry?.file_name().to_str().and_then(seq_of).filter(|at| *at <= seq) {
            stored.push(at);
        }
    }
    stored.sort_unstable();
    Ok(stored)
}

/// A snapshot's bytes as a decoder gets them: a small file whole, a large one as a stream.
pub enum SnapshotBytes<'a> {
    Whole(&'a [u8]),
    Streamed(&'a mut dyn Read),
}

/// The bytes of a snapshot, whole (tests, and callers that keep the bytes).
fn read_all(bytes: SnapshotBytes<'_>) -> Vec<u8> {
    match bytes {
        SnapshotBytes::Whole(bytes) => bytes.to_vec(),
        SnapshotBytes::Streamed(bytes) => {
            let mut all = Vec::new();
            // A failure of the file is kept by `Hashed` and answered by `read_checked`.
            let _ = bytes.read_to_end(&mut all);
            all
        }
    }
}

/// What `decode` made of a snapshot file's bytes after its digest, if the digest holds (`None`:
/// damaged or cut short). A file of `streamed_from` bytes or more is hashed as `decode` reads it, and
/// whatever it leaves unread after; a failure of the file while it read is answered as such, never
/// as a damaged snapshot.
fn read_checked<T>(
    path: &Path,
    streamed_from: u64,
    decode: &mut impl FnMut(SnapshotBytes<'_>) -> T,
) -> std::io::Result<Option<T>> {
    let mut file = std::fs::File::open(path)?;
    let mut digest = [0u8; DIGEST_LEN];
    if let Err(error) = file.read_exact(&mut digest) {
        return match error.kind() {
            std::io::ErrorKind::UnexpectedEof => Ok(None),
            _ => Err(error),
        };
    }
    let length = file.metadata()?.len().saturating_sub(DIGEST_LEN as u64);
    if length < streamed_from {
        let mut bytes = Vec::with_capacity(length as usize);
        file.read_to_end(&mut bytes)?;
        return Ok((*blake3::hash(&bytes).as_bytes() == digest).then(|| decode(SnapshotBytes::Whole(&bytes))));
    }
    // Hashed below the buffer: each megabyte read from the file is hashed once, whatever pieces
    // `decode` asks for.
    let hashed = Hashed { file, hasher: blake3::Hasher::new(), failure: None };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, hashed);
    let decoded = decode(SnapshotBytes::Streamed(&mut reader));
    let unread = std::io::copy(&mut reader, &mut std::io::sink());
    let hashed = reader.into_inner();
    if let Some(failure) = hashed.failure {
        return Err(failure);
    }
    unread?;
    Ok((*hashed.hasher.finalize().as_bytes() == digest).then_some(decoded))
}

/// A reader that hashes what it reads and keeps the first failure of the file, which a decoder
/// would otherwise report as unreadable bytes.
struct Hashed<R: Read> {
    file: R,
    hasher: blake3::Hasher,
    failure: Option<std::io::Error>,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        match self.file.read(buffer) {
            Ok(read) => {
                self.hasher.update(&buffer[..read]);
                Ok(read)
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => Err(error),
            Err(error) => {
                let answer = std::io::Error::new(error.kind(), error.to_string());
                self.failure.get_or_insert(error);
                Err(answer)
            }
        }
    }
}

/// Removes the snapshot taken after event `seq`, if there is one.
pub fn remove(directory: &Path, seq: u64) -> std::io::Result<()> {
    match std::fs::remove_file(directory.join(file_name(seq))) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_at_or_before_a_point_is_found_by_name_and_removed_ones_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let directory = directory(dir.path());
        assert_eq!(at_or_before(&directory, 100).unwrap(), None, "no directory yet");
        for seq in [8, 16, 64] {
            put(&directory, seq, format!("snapshot {seq}").as_bytes()).unwrap();
        }
        std::fs::write(directory.join("notes.txt"), b"not a snapshot").unwrap();
        std::fs::write(directory.join(".00000000000000000032.snapshot.tmp"), b"torn").unwrap();
        assert_eq!(at_or_before(&directory, 63).unwrap(), Some((16, b"snapshot 16".to_vec())));
        assert_eq!(at_or_before(&directory, 64).unwrap(), Some((64, b"snapshot 64".to_vec())));
        // Written piece by piece, a snapshot reads back whole, its digest checked.
        put_with(&directory, 72, |out| {
            ["snap", "shot ", "72"].iter().try_for_each(|piece| out.write_all(piece.as_bytes()))
        })
        .unwrap();
        assert_eq!(at_or_before(&directory, 80).unwrap(), Some((72, b"snapshot 72".to_vec())));
        std::fs::remove_file(directory.join(file_name(72))).unwrap();
        assert_eq!(at_or_before(&directory, 7).unwrap(), None);
        remove(&directory, 16).unwrap();
        remove(&directory, 16).unwrap();
        assert_eq!(at_or_before(&directory, 63).unwrap(), Some((8, b"snapshot 8".to_vec())));
        assert_eq!(seq_of("00000000000000000008.snapshot"), Some(8));

        // A flipped bit anywhere in the newest one: it is removed and the one before it answers.
        let newest = directory.join(file_name(64));
        let mut bytes = std::fs::read(&newest).unwrap();
        bytes[40] ^= 0x04;
        std::fs::write(&newest, &bytes).unwrap();
        assert_eq!(at_or_before(&directory, 100).unwrap(), Some((8, b"snapshot 8".to_vec())));
        assert!(!newest.exists(), "the damaged file is gone");
        std::fs::write(directory.join(file_name(80)), b"short").unwrap();
        assert_eq!(at_or_before(&directory, 100).unwrap(), Some((8, b"snapshot 8".to_vec())));
        assert_eq!(seq_of("8.snapshot"), None);
    }

    #[test]
    fn a_snapshot_decoded_as_it_is_read_is_handed_out_only_if_its_whole_digest_holds() {
        let dir = tempfile::tempdir().unwrap();
        let directory = directory(dir.path());
        let bytes: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
        put(&directory, 8, &bytes).unwrap();
        put(&directory, 16, &bytes).unwrap();
        // A decoder that reads only the first bytes: the rest is still read and hashed.
        let mut first_ten = |bytes: SnapshotBytes<'_>| match bytes {
            SnapshotBytes::Whole(bytes) => ("whole", bytes[..10].to_vec()),
            SnapshotBytes::Streamed(file) => {
                let mut first = [0u8; 10];
                file.read_exact(&mut first).unwrap();
                ("streamed", first.to_vec())
            }
        };
        let newest = directory.join(file_name(16));
        let first = bytes[..10].to_vec();
        assert_eq!(read_checked(&newest, 0, &mut first_ten).unwrap(), Some(("streamed", first.clone())));
        assert_eq!(read_checked(&newest, u64::MAX, &mut first_ten).unwrap(), Some(("whole", first.clone())));
        assert_eq!(at_or_before_with(&directory, 16, first_ten).unwrap(), Some((16, ("whole", first.clone()))));

        // A flipped bit past what the decoder read: what it decoded is not handed out, either way.
        let mut damaged = std::fs::read(&newest).unwrap();
        damaged[DIGEST_LEN + 2_500_000] ^= 0x10;
        std::fs::write(&newest, &damaged).unwrap();
        assert_eq!(read_checked(&newest, 0, &mut first_ten).unwrap(), None);
        assert_eq!(read_checked(&newest, u64::MAX, &mut first_ten).unwrap(), None);
        assert_eq!(newest_intact_with(&directory, first_ten).unwrap(), None);
        assert_eq!(at_or_before_with(&directory, 16, first_ten).unwrap(), Some((8, ("whole", first))));
        assert!(!newest.exists(), "the damaged file is removed by the lock holder");
    }

    #[test]
    fn a_failure_of_the_file_while_decoding_is_kept_and_not_taken_for_damage() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("the disk went away"));
                }
                let read = buffer.len().min(self.0);
                buffer[..read].fill(7);
                self.0 -= read;
                Ok(read)
            }
        }
        let mut hashed = Hashed { file: Failing(100), hasher: blake3::Hasher::new(), failure: None };
        let mut all = Vec::new();
        let error = hashed.read_to_end(&mut all).unwrap_err();
        assert_eq!(all.len(), 100);
        assert_eq!(error.to_string(), "the disk went away");
        assert_eq!(hashed.failure.map(|failure| failure.to_string()).as_deref(), Some("the disk went away"));
        assert_eq!(hashed.hasher.finalize(), blake3::hash(&[7; 100]));
    }

    #[test]
    fn the_newest_is_read_before_the_lock_without_removing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let directory = directory(dir.path());
        assert_eq!(newest_intact(&directory).unwrap(), None, "no directory yet");
        for seq in [8, 64] {
            put(&directory, seq, format!("snapshot {seq}").as_bytes()).unwrap();
        }
        assert_eq!(newest_intact(&directory).unwrap(), Some((64, b"snapshot 64".to_vec())));

        // A damaged newest file: nothing is read, and the file stays for the lock holder to remove.
        let newest = directory.join(file_name(64));
        let mut bytes = std::fs::read(&newest).unwrap();
        bytes[40] ^= 0x04;
        std::fs::write(&newest, &bytes).unwrap();
        assert_eq!(newest_intact(&directory).unwrap(), None);
        assert!(newest.exists(), "reading before the lock removes nothing");
        assert_eq!(at_or_before(&directory, u64::MAX).unwrap(), Some((8, b"snapshot 8".to_vec())));
        assert!(!newest.exists());
    }
}
