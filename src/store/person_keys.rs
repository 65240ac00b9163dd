//! The person keys file (`person-keys` in the data directory): the 32-byte key each person's personal
//! texts are sealed under (docs/FORMAT.md §9). It lives outside sled on purpose: sled's log keeps old
//! values until it is compacted, and a snapshot or the record copy would keep them for good, so a key
//! erased there would linger. Here an erased key is gone once the file is replaced.
//!
//! Invariant: the file is only ever replaced whole — a temporary file beside it (mode 0600), synced,
//! renamed over the name, the directory synced — so a crash leaves the old file or the new one, never
//! part of one; a temporary file left by a crash is removed before the next write and when the service
//! opens the ledger (`remove_temporary`), so no second copy of a key stays in the directory. Reading
//! writes nothing. Backups are written only to a new file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::{PersonId, PersonKey};

/// The file's name in the data directory.
pub const PERSON_KEYS_FILE: &str = "person-keys";

/// Its temporary name while it is replaced (one writer: the data directory's lock holder).
const TEMPORARY_FILE: &str = ".person-keys.tmp";

/// The first member of every key file, so that a file of another kind is never read as one.
const FORMAT: &str = "kpi-ledger person keys v1";

/// Every person's key, by person.
pub type PersonKeyMap = BTreeMap<PersonId, PersonKey>;

/// A key file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a person keys file: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{0}: a file is already there; a key backup never replaces one")]
    Exists(PathBuf),
}

/// The file as JSON: `{"format": "kpi-ledger person keys v1", "keys": {"<person>": "<64 hex>", …}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    keys: BTreeMap<PersonId, String>,
}

/// Where the key file of the ledger in `dir` is.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(PERSON_KEYS_FILE)
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io { path: path.to_owned(), source }
}

/// The keys of the ledger in `dir`: none when it has no key file yet (a ledger whose persons were all
/// registered before texts were sealed, or a new one).
pub fn load(dir: &Path) -> Result<PersonKeyMap, KeyFileError> {
    let file = path(dir);
    match std::fs::read(&file) {
        Ok(bytes) => parse(&file, &bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(PersonKeyMap::new()),
        Err(error) => Err(io_error(&file)(error)),
    }
}

/// The keys in `file`, which must exist (a backup being restored).
pub fn read_file(file: &Path) -> Result<PersonKeyMap, KeyFileError> {
    let bytes = std::fs::read(file).map_err(io_error(file))?;
    parse(file, &bytes)
}

fn parse(file: &Path, bytes: &[u8]) -> Result<PersonKeyMap, KeyFileError> {
    let malformed = |reason: String| KeyFileError::Malformed { path: file.to_owned(), reason };
    let parsed: KeyFile = serde_json::from_slice(bytes).map_err(|error| malformed(error.to_string()))?;
    if parsed.format != FORMAT {
        return Err(malformed(format!("format is {:?}, expected {FORMAT:?}", parsed.format)));
    }
    parsed
        .keys
        .into_iter()
        .map(|(person, text)| {
            let key = decode_key(&text)
                .ok_or_else(|| malformed(format!("keys.{person}: expected 64 lower-case hex digits")))?;
            Ok((person, key))
        })
        .collect()
}

fn decode_key(text: &str) -> Option<PersonKey> {
    let lower = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let bytes: [u8; 32] = hex::decode(text).ok().filter(|_| lower)?.try_into().ok()?;
    Some(PersonKey(bytes))
}

fn to_bytes(keys: &PersonKeyMap) -> Vec<u8> {
    let file = KeyFile {
        format: FORMAT.to_owned(),
        keys: keys.iter().map(|(person, key)| (person.clone(), hex::encode(key.0))).collect(),
    };
    // Strings and a string-keyed map only: serialising cannot fail.
    let mut bytes = serde_json::to_vec_pretty(&file).expect("a key file serialises");
    bytes.push(b'\n');
    bytes
}

/// Creates `file` (mode 0600, never replacing one) holding `bytes`, synced.
fn create_synced(file: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(file).map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(file.to_owned()),
        _ => io_error(file)(error),
    })?;
    handle.write_all(bytes).map_err(io_error(file))?;
    handle.sync_all().map_err(io_error(file))
}

/// Removes the temporary file a crash may have left in `dir` while the key file was being replaced: it
/// may hold a key erased since.
pub fn remove_temporary(dir: &Path) -> Result<(), KeyFileError> {
    let temporary = dir.join(TEMPORARY_FILE);
    match std::fs::remove_file(&temporary) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(&temporary)(error)),
    }
}

/// Replaces the key file of the ledger in `dir` with `keys`, atomically and durably: when this returns
/// the file on disk holds exactly `keys`, and no other copy of the old file is left in the directory.
pub fn replace(dir: &Path, keys: &PersonKeyMap) -> Result<(), KeyFileError> {
    remove_temporary(dir)?;
    let temporary = dir.join(TEMPORARY_FILE);
    let file = path(dir);
    let written = create_synced(&temporary, &to_bytes(keys))
        .and_then(|()| std::fs::rename(&temporary, &file).map_err(io_error(&file)))
        .and_then(|()| std::fs::File::open(dir).and_then(|handle| handle.sync_all()).map_err(io_error(dir)));
    if written.is_err() {
        // Never leave a second copy of keys behind, even when the write failed half-way.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Writes `keys` to `file`, a new file (mode 0600): a backup. An existing file is never replaced.
pub fn write_new(file: &Path, keys: &PersonKeyMap) -> Result<(), KeyFileError> {
    create_synced(file, &to_bytes(keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(code: &str) -> PersonId {
        PersonId::new(code).unwrap()
    }

    #[test]
    fn keys_round_trip_and_a_replaced_file_leaves_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty(), "no file: no keys");
        let mut keys = PersonKeyMap::new();
        keys.insert(person("YS07-0301"), PersonKey([3; 32]));
        keys.insert(person("YS07-0302"), PersonKey([4; 32]));
        replace(dir.path(), &keys).unwrap();
        assert_eq!(load(dir.path()).unwrap(), keys);
        keys.remove(&person("YS07-0301"));
        replace(dir.path(), &keys).unwrap();
        assert_eq!(load(dir.path()).unwrap(), keys);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(PERSON_KEYS_FILE)]);
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains(&hex::encode([3u8; 32])), "the removed key is gone");
    }

    #[test]
    fn a_backup_never_replaces_a_file_and_a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("backup");
        write_new(&backup, &PersonKeyMap::new()).unwrap();
        assert!(matches!(write_new(&backup, &PersonKeyMap::new()), Err(KeyFileError::Exists(_))));
        std::fs::write(dir.path().join("other"), b"{\"format\": \"x\", \"keys\": {}}").unwrap();
        assert!(matches!(read_file(&dir.path().join("other")), Err(KeyFileError::Malformed { .. })));
    }
}
