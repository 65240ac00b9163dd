//! Evidence documents beside the chain: the files whose blake3 digests deductions, attributions,
//! rectifications, appeals and decisions cite. Each is stored once, content-addressed, in the data
//! directory: `documents/<first 2 hex digits>/<other 62>` holds the bytes and `… .json` beside it a
//! small sidecar (content type, size, who uploaded it and when). The ledger's chain never holds them:
//! a digest in an event is the whole link, and anyone holding the document can check it.
//!
//! Invariant: a file is only ever written whole — to a temporary file in the same directory, synced,
//! renamed over the name, and the directory synced — so a crash leaves the old file or the new one,
//! never a torn one. Bytes are written only when they hash to their name; a read hashes them again and
//! reports a file that no longer matches (`DocumentRead::Damaged`), never hands it out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::domain::{EvidenceDigest, Role, Timestamp, UnitCode};
use crate::limits::DOCUMENT_UPLOADERS_MAX;

/// The directory, inside the data directory, that holds the documents.
pub const DOCUMENTS_DIR: &str = "documents";

/// Sidecars are read, changed and written back under this lock, so two uploads of one document at
/// the same moment both leave their uploader in it.
static SIDECAR_LOCK: Mutex<()> = Mutex::new(());

/// Numbers temporary files apart within the process (the process id parts processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What the sidecar says about a stored document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentMeta {
    pub digest: EvidenceDigest,
    /// As the first upload declared it (`application/pdf`, `text/plain; charset=utf-8`, …).
    pub content_type: String,
    pub size: u64,
    /// When it was first stored.
    pub stored_at: Timestamp,
    /// Who uploaded it, first upload first, each (actor, role, unit) once.
    pub uploaders: Vec<Uploader>,
}

/// One upload of a document: by whom, in which role and unit, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uploader {
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub at: Timestamp,
}

/// What an upload did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// The document was not stored before.
    New,
    /// The same bytes were stored already; only the uploader was noted.
    AlreadyStored,
    /// A stored copy no longer matched its digest and was replaced by these bytes.
    Repaired,
}

/// What a read found.
#[derive(Debug)]
pub enum DocumentRead {
    Found {
        meta: DocumentMeta,
        bytes: Vec<u8>,
    },
    /// Nothing is stored under the digest (or only bytes without their sidecar: an upload cut short).
    Missing,
    /// The sidecar says it is stored, but the bytes are gone or hash to something else.
    Damaged {
        meta: DocumentMeta,
        found: Option<String>,
    },
}

/// The documents directory of one data directory.
#[derive(Clone, Debug)]
pub struct DocumentStore {
    dir: PathBuf,
}

/// The blake3 digest of `bytes` as 64 lower-case hex digits.
pub fn digest_of(bytes: &[u8]) -> EvidenceDigest {
    EvidenceDigest::new(blake3::hash(bytes).to_hex().to_string()).expect("blake3 hex is a digest")
}

impl DocumentStore {
    /// The documents of the ledger in `data_dir` (nothing is created until the first upload).
    pub fn at(data_dir: &Path) -> DocumentStore {
        DocumentStore { dir: data_dir.join(DOCUMENTS_DIR) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the bytes of `digest` live, and its sidecar.
    pub fn paths(&self, digest: &EvidenceDigest) -> (PathBuf, PathBuf) {
        let (fan, rest) = digest.as_str().split_at(2);
        let folder = self.dir.join(fan);
        (folder.join(rest), folder.join(format!("{rest}.json")))
    }

    /// Stores `bytes` under `digest` (which they must hash to) with their content type, noting the
    /// uploader. An intact stored copy is kept as it is (and its first content type with it); a
    /// damaged one is replaced.
    pub fn put(
        &self,
        digest: &EvidenceDigest,
        bytes: &[u8],
        content_type: &str,
        uploader: Uploader,
    ) -> std::io::Result<(Stored, DocumentMeta)> {
        if &digest_of(bytes) != digest {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the bytes do not hash to their name"));
        }
        let (bytes_path, sidecar_path) = self.paths(digest);
        let _guard = SIDECAR_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let earlier = read_meta(&sidecar_path)?.filter(|meta| &meta.digest == digest);
        let stored = match (std::fs::read(&bytes_path), &earlier) {
            (Ok(existing), _) if &digest_of(&existing) == digest => Stored::AlreadyStored,
            (Ok(_), _) => Stored::Repaired,
            (Err(error), None) if error.kind() == std::io::ErrorKind::NotFound => Stored::New,
            (Err(error), Some(_)) if error.kind() == std::io::ErrorKind::NotFound => Stored::Repaired,
            (Err(error), _) => return Err(error),
        };
        if stored != Stored::AlreadyStored {
            write_atomically(&bytes_path, bytes)?;
        }
        let mut meta = match earlier {
            Some(meta) => meta,
            None => DocumentMeta {
                digest: digest.clone(),
                content_type: content_type.to_owned(),
                size: bytes.len() as u64,
                stored_at: uploader.at,
                uploaders: Vec::new(),
            },
        };
        let known = meta.uploaders.iter().any(|known| {
            known.actor_id == uploader.actor_id && known.role == uploader.role && known.unit == uploader.unit
        });
        if !known && meta.uploaders.len() < DOCUMENT_UPLOADERS_MAX {
            meta.uploaders.push(uploader);
        }
        let text = serde_json::to_vec_pretty(&meta).expect("a sidecar serialises");
        write_atomically(&sidecar_path, &text)?;
        Ok((stored, meta))
    }

    /// The sidecar of `digest`, if one is stored.
    pub fn meta(&self, digest: &EvidenceDigest) -> std::io::Result<Option<DocumentMeta>> {
        read_meta(&self.paths(digest).1)
    }

    /// The document stored under `digest`, checked against it.
    pub fn read(&self, digest: &EvidenceDigest) -> std::io::Result<DocumentRead> {
        let (bytes_path, sidecar_path) = self.paths(digest);
        let Some(meta) = read_meta(&sidecar_path)? else { return Ok(DocumentRead::Missing) };
        match std::fs::read(&bytes_path) {
            Ok(bytes) => {
                let found = digest_of(&bytes);
                if &found == digest && meta.digest == *digest {
                    Ok(DocumentRead::Found { meta, bytes })
                } else {
                    Ok(DocumentRead::Damaged { meta, found: Some(found.as_str().to_owned()) })
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(DocumentRead::Damaged { meta, found: None })
            }
            Err(error) => Err(error),
        }
    }

    /// Every stored document's digest whose bytes no longer match it (or are gone), by digest.
    pub fn damaged(&self) -> std::io::Result<Vec<EvidenceDigest>> {
        let mut damaged = Vec::new();
        for digest in self.digests()? {
            if matches!(self.read(&digest)?, DocumentRead::Damaged { .. }) {
                damaged.push(digest);
            }
        }
        Ok(damaged)
    }

    /// The digests of every stored sidecar, in order.
    pub fn digests(&self) -> std::io::Result<Vec<EvidenceDigest>> {
        let mut digests = Vec::new();
        let folders = match std::fs::read_dir(&self.dir) {
            Ok(folders) => folders,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(digests),
            Err(error) => return Err(error),
        };
        for folder in folders {
            let folder = folder?;
            let fan = folder.file_name().to_string_lossy().into_owned();
            if !folder.file_type()?.is_dir() || fan.len() != 2 {
                continue;
            }
            for entry in std::fs::read_dir(folder.path())? {
                let name = entry?.file_name().to_string_lossy().into_owned();
                let digest =
                    name.strip_suffix(".json").and_then(|rest| EvidenceDigest::new(format!("{fan}{rest}")).ok());
                digests.extend(digest);
            }
        }
        digests.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(digests)
    }
}

fn read_meta(path: &Path) -> std::io::Result<Option<DocumentMeta>> {
    match std::fs::read(path) {
        Ok(text) => serde_json::from_slice(&text).map(Some).map_err(|error| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {error}", path.display()))
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Writes `bytes` as the whole of `path`: a temporary file beside it, synced, renamed over `path`, and
/// the directory synced, so that after a crash `path` is either the old file or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().expect("a document path has a folder");
    create_dir_durably(folder)?;
    let name = path.file_name().expect("a document path has a name").to_string_lossy();
    let count = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = folder.join(format!(".{name}.{}.{count}.tmp", std::process::id()));
    let outcome = (|| {
        let mut file = std::fs::File::options().write(true).create_new(true).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        std::fs::File::open(folder)?.sync_all()
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    outcome
}

/// Creates `folder` (and `documents/` above it) if missing, syncing each parent whose entries changed,
/// so that a document acknowledged as stored is still reachable after a power loss.
fn create_dir_durably(folder: &Path) -> std::io::Result<()> {
    if folder.is_dir() {
        return Ok(());
    }
    if let Some(parent) = folder.parent() {
        create_dir_durably(parent)?;
        std::fs::create_dir(folder).or_else(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(error),
        })?;
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploader(unit: &str) -> Uploader {
        Uploader {
            actor_id: format!("office.{}", unit.to_lowercase()),
            role: Role::Office,
            unit: UnitCode::new(unit).unwrap(),
            at: Timestamp::from_civil(2017, 7, 13, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_document_is_stored_once_under_its_digest_and_read_back_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = DocumentStore::at(dir.path());
        let bytes = b"%PDF-1.4 corrected filing";
        let digest = digest_of(bytes);
        let (stored, meta) = store.put(&digest, bytes, "application/pdf", uploader("YS07")).unwrap();
        assert_eq!((stored, meta.size), (Stored::New, bytes.len() as u64));
        let (again, meta) = store.put(&digest, bytes, "application/pdf", uploader("YS08")).unwrap();
        assert_eq!((again, meta.uploaders.len()), (Stored::AlreadyStored, 2));
        let (bytes_path, _) = store.paths(&digest);
        assert!(bytes_path.starts_with(dir.path().join("documents").join(&digest.as_str()[..2])));
        match store.read(&digest).unwrap() {
            DocumentRead::Found { bytes: read, .. } => assert_eq!(read, bytes),
            other => panic!("{other:?}"),
        }
        std::fs::write(&bytes_path, b"%PDF-1.4 altered").unwrap();
        assert!(matches!(store.read(&digest).unwrap(), DocumentRead::Damaged { found: Some(_), .. }));
        assert_eq!(store.damaged().unwrap(), vec![digest.clone()]);
        let (repaired, _) = store.put(&digest, bytes, "application/pdf", uploader("YS07")).unwrap();
        assert_eq!(repaired, Stored::Repaired);
        assert!(matches!(store.read(&digest).unwrap(), DocumentRead::Found { .. }));
        assert!(store.put(&digest, b"other bytes", "application/pdf", uploader("YS07")).is_err());
        let leftovers: Vec<_> = std::fs::read_dir(bytes_path.parent().unwrap())
            .unwrap()
            .filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file is left behind");
    }
}
