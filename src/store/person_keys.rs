//! The person keys file (`person-keys` in the data directory): the 32-byte key each person's personal
//! texts are sealed under (docs/FORMAT.md §9). It lives outside sled on purpose: sled's log keeps old
//! values until it is compacted, and a snapshot or the record copy would keep them for good, so a key
//! erased there would linger. Here an erased key is gone once the file is replaced.
//!
//! The file is a journal, JSON Lines: a format line, then one line per key. A new person's key is
//! appended (and synced), so registering a person costs the same with ten keys or a million; an
//! erasure replaces the file whole without the erased keys.
//!
//! Invariant: a key line is only ever appended whole and synced before the first event sealed under
//! it is recorded, so an unfinished last line (no line feed: the process died while appending) holds
//! a key that sealed nothing and is ignored, and the writer's `open` replaces such a file before it
//! appends again. A replacement is atomic — a temporary file beside it (mode 0600), synced, renamed
//! over the name, the directory synced — so a crash leaves the old file or the new one, never part of
//! one; a temporary file left by a crash is removed before the next write and when the service opens
//! the ledger (`remove_temporary`), so no second copy of a key stays in the directory. Reading writes
//! nothing. Backups are written only to a new file. The first form of the file (one JSON object,
//! `kpi-ledger person keys v1`) is still read, and replaced by the journal when the writer opens it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::{PersonId, PersonKey};

/// The file's name in the data directory.
pub const PERSON_KEYS_FILE: &str = "person-keys";

/// Its temporary name while it is replaced (one writer: the data directory's lock holder).
const TEMPORARY_FILE: &str = ".person-keys.tmp";

/// The format line's value, so that a file of another kind is never read as one.
const FORMAT: &str = "kpi-ledger person keys v2";
/// The value of the first form of the file (one JSON object), still read.
const FORMAT_V1: &str = "kpi-ledger person keys v1";

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

/// The first form of the file: `{"format": "kpi-ledger person keys v1", "keys": {"<person>": "<64 hex>", …}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileV1 {
    format: String,
    keys: BTreeMap<PersonId, String>,
}

/// The journal's first line: `{"format": "kpi-ledger person keys v2"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatLine {
    format: String,
}

/// One key of the journal: `{"person": "<staff code>", "key": "<64 hex>"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyLine {
    person: PersonId,
    key: String,
}

/// A key file as read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub keys: PersonKeyMap,
    /// The file must be replaced before a key is appended: it is in the first form, or its last line
    /// is unfinished.
    pub needs_rewrite: bool,
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
    load_for_writing(dir).map(|loaded| loaded.keys)
}

/// The keys of the ledger in `dir`, and whether the file must be replaced before a key is appended.
pub fn load_for_writing(dir: &Path) -> Result<Loaded, KeyFileError> {
    let file = path(dir);
    match std::fs::read(&file) {
        Ok(bytes) => parse(&file, &bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Loaded::default()),
        Err(error) => Err(io_error(&file)(error)),
    }
}

/// The keys in `file`, which must exist (a backup being restored).
pub fn read_file(file: &Path) -> Result<PersonKeyMap, KeyFileError> {
    let bytes = std::fs::read(file).map_err(io_error(file))?;
    parse(file, &bytes).map(|loaded| loaded.keys)
}

fn parse(file: &Path, bytes: &[u8]) -> Result<Loaded, KeyFileError> {
    let malformed = |reason: String| KeyFileError::Malformed { path: file.to_owned(), reason };
    if let Ok(first_form) = serde_json::from_slice::<KeyFileV1>(bytes) {
        if first_form.format != FORMAT_V1 {
            return Err(malformed(format!("format is {:?}, expected {FORMAT:?}", first_form.format)));
        }
        let keys = first_form
            .keys
            .into_iter()
            .map(|(person, text)| {
                let key = decode_key(&text)
                    .ok_or_else(|| malformed(format!("keys.{person}: expected 64 lower-case hex digits")))?;
                Ok((person, key))
            })
            .collect::<Result<_, _>>()?;
        return Ok(Loaded { keys, needs_rewrite: true });
    }
    // An unfinished last line is an append the process did not live to finish (see the invariant).
    let finished = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
    let mut lines = bytes[..finished].split(|b| *b == b'\n').filter(|line| !line.is_empty());
    let format: FormatLine = lines
        .next()
        .ok_or_else(|| malformed("no format line".to_owned()))
        .and_then(|line| serde_json::from_slice(line).map_err(|error| malformed(format!("line 1: {error}"))))?;
    if format.format != FORMAT {
        return Err(malformed(format!("format is {:?}, expected {FORMAT:?}", format.format)));
    }
    let mut read = Vec::new();
    for (number, line) in (2..).zip(lines) {
        let line: KeyLine =
            serde_json::from_slice(line).map_err(|error| malformed(format!("line {number}: {error}")))?;
        let key = decode_key(&line.key)
            .ok_or_else(|| malformed(format!("line {number}: key: expected 64 lower-case hex digits")))?;
        read.push((line.person, key, number));
    }
    // Sorted (stably: each person's lines stay in file order) and built in one go, the map's nodes
    // are full, not about half full as keys inserted one by one in order leave them.
    read.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = read.windows(2).find(|pair| pair[0].0 == pair[1].0 && pair[0].1 != pair[1].1) {
        return Err(malformed(format!("line {}: a second, different key for {}", pair[1].2, pair[1].0)));
    }
    let keys = read.into_iter().map(|(person, key, _)| (person, key)).collect();
    Ok(Loaded { keys, needs_rewrite: finished != bytes.len() })
}

fn decode_key(text: &str) -> Option<PersonKey> {
    let lower = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let bytes: [u8; 32] = hex::decode(text).ok().filter(|_| lower)?.try_into().ok()?;
    Some(PersonKey(bytes))
}

fn to_bytes(keys: &PersonKeyMap) -> Vec<u8> {
    let mut bytes = line(&FormatLine { format: FORMAT.to_owned() });
    bytes.extend(key_lines(keys));
    bytes
}

fn key_lines(keys: &PersonKeyMap) -> Vec<u8> {
    let lines = keys.iter().map(|(person, key)| line(&KeyLine { person: person.clone(), key: hex::encode(key.0) }));
    lines.flatten().collect()
}

fn line(value: &impl Serialize) -> Vec<u8> {
    // Strings only: serialising cannot fail.
    let mut bytes = serde_json::to_vec(value).expect("a key file line serialises");
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

/// Appends `keys` to the key file of the ledger in `dir` (creating it when there is none), durably:
/// when this returns they are on disk. The file must be in the journal's form with every line finished
/// (`Loaded::needs_rewrite` false; the writer's `open` sees to it).
pub fn append(dir: &Path, keys: &PersonKeyMap) -> Result<(), KeyFileError> {
    if keys.is_empty() {
        return Ok(());
    }
    let file = path(dir);
    let mut options = std::fs::File::options();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(&file).map_err(io_error(&file))?;
    let created = handle.metadata().map_err(io_error(&file))?.len() == 0;
    let mut bytes = if created { line(&FormatLine { format: FORMAT.to_owned() }) } else { Vec::new() };
    bytes.extend(key_lines(keys));
    handle.write_all(&bytes).and_then(|()| handle.sync_all()).map_err(io_error(&file))?;
    if created {
        std::fs::File::open(dir).and_then(|handle| handle.sync_all()).map_err(io_error(dir))?;
    }
    Ok(())
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

    #[test]
    fn appended_keys_survive_an_unfinished_last_line_and_the_first_form_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let one = PersonKeyMap::from([(person("YS07-0301"), PersonKey([3; 32]))]);
        let two = PersonKeyMap::from([(person("YS07-0302"), PersonKey([4; 32]))]);
        append(dir.path(), &one).unwrap();
        append(dir.path(), &two).unwrap();
        let both: PersonKeyMap = one.clone().into_iter().chain(two.clone()).collect();
        let loaded = load_for_writing(dir.path()).unwrap();
        assert_eq!((loaded.keys, loaded.needs_rewrite), (both.clone(), false));

        // The process died while appending a third key: the line is unfinished and sealed nothing.
        let mut file = std::fs::File::options().append(true).open(path(dir.path())).unwrap();
        file.write_all(b"{\"person\":\"YS07-0303\",\"key\":\"0505").unwrap();
        let loaded = load_for_writing(dir.path()).unwrap();
        assert_eq!((loaded.keys, loaded.needs_rewrite), (both.clone(), true));
        replace(dir.path(), &both).unwrap();
        assert!(!load_for_writing(dir.path()).unwrap().needs_rewrite);

        // A finished line that is not a key, or a second key for a person, is refused.
        let mut file = std::fs::File::options().append(true).open(path(dir.path())).unwrap();
        file.write_all(format!("{{\"person\":\"YS07-0301\",\"key\":\"{}\"}}\n", "07".repeat(32)).as_bytes()).unwrap();
        let refused = load(dir.path()).unwrap_err().to_string();
        assert!(refused.contains("line 4: a second, different key for YS07-0301"), "{refused}");

        let first_form = format!(
            "{{\"format\": \"kpi-ledger person keys v1\", \"keys\": {{\"YS07-0301\": \"{}\"}}}}",
            "03".repeat(32)
        );
        std::fs::write(path(dir.path()), first_form).unwrap();
        let loaded = load_for_writing(dir.path()).unwrap();
        assert_eq!((loaded.keys, loaded.needs_rewrite), (one, true));
    }
}
