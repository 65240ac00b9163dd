//! The recovery path: a verified JSON Lines export of the whole chain, and an import that rebuilds a
//! ledger from one, refusing any line that breaks the chain. Both stream in constant memory.
//!
//! One line per event, in sequence order:
//! `{"seq":N,"prev_hash":"<64 hex>","hash":"<64 hex>","body":<the stored body bytes, verbatim>}`.
//! The body is copied byte for byte (never re-serialised), so anyone can recompute every hash from
//! the file alone (docs/FORMAT.md).
//!
//! Invariant: an import either produces a complete ledger whose every event verified and would have
//! been accepted as an append, or leaves the target directory as it found it (it builds in a sibling
//! directory, and the caller renames it into place only after checking that it loads).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::chain::{EventBody, Hash, Record};
use crate::limits::EXPORT_LINE_BYTES_MAX;
use crate::store::durability::{sync_directory, Syncer};
use crate::store::keys;
use crate::store::rebuild::{CopyTarget, Rebuilder};
use crate::store::segment::Segment;
use crate::store::types::Head;
use crate::store::verify::{VerifyFailure, Walk};
use crate::store::{DurabilityStats, Ledger, StoreError, TREE_NAME};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Verify(#[from] VerifyFailure),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes every durable event as one line, verifying the chain as it goes; stops at the first fault.
pub fn export(ledger: &Ledger, out: &mut dyn Write, progress: &dyn Fn(u64)) -> Result<Head, ExportError> {
    let head = ledger.head();
    let mut walk = Walk::after(1, crate::chain::GENESIS_HASH);
    for entry in ledger.raw_records(1) {
        let (seq, value) = entry?;
        walk.check(seq, &value)?;
        let record = Record::decode(&value).expect("checked by the walk");
        write!(out, "{{\"seq\":{seq},\"prev_hash\":\"{}\",\"hash\":\"{}\",\"body\":", record.prev_hash, record.hash)?;
        out.write_all(record.body)?;
        out.write_all(b"}\n")?;
        if seq % 10_000 == 0 {
            progress(seq);
        }
    }
    if walk.next_seq - 1 != head.seq || walk.prev_hash != head.hash {
        let fault = crate::store::ChainFault::Missing { head_seq: head.seq };
        return Err(VerifyFailure { seq: walk.next_seq, fault }.into());
    }
    out.flush()?;
    progress(head.seq);
    Ok(head)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Refused { line: u64, reason: String },
    #[error("target {0} already holds data; import builds a new ledger")]
    TargetNotEmpty(PathBuf),
    #[error("the imported ledger does not load: {0}")]
    DoesNotLoad(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportLine<'a> {
    seq: u64,
    prev_hash: Hash,
    hash: Hash,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// A ledger built from an export in a staging directory beside its target. It becomes the ledger
/// only through `commit`; dropped uncommitted, it is removed and the target is left as it was.
#[derive(Debug)]
pub struct StagedImport {
    target: PathBuf,
    staging: PathBuf,
    head: Head,
    committed: bool,
}

impl StagedImport {
    /// Where the staged ledger is, for the checks the caller runs before committing (it must fold
    /// into the state a server builds).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// Moves the staged ledger into place.
    pub fn commit(mut self) -> Result<Head, ImportError> {
        if self.target.exists() {
            std::fs::remove_dir(&self.target).map_err(StoreError::from)?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(StoreError::from)?;
        let parent = self.target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        sync_directory(parent).map_err(StoreError::from)?;
        self.committed = true;
        Ok(self.head)
    }
}

impl Drop for StagedImport {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// What the caller checks of each imported event beyond the chain (the service: that the domain would
/// have recorded it — a known type and version whose data decodes, in its own stream, by a valid
/// actor), given its seq, its record (to decode as every fold does) and its envelope. The error
/// names the field, from `body.`.
pub type BodyCheck<'a> = &'a dyn Fn(u64, &Record<'_>, &EventBody) -> Result<(), String>;

/// Builds a new ledger for `dir` from an export, in a staging directory; `dir` must not exist or be
/// empty. Every line is checked as an append would be: the chain (seq, links, hashes), the canonical
/// line form, the body's size and unique keys, its envelope, stream versions, unique event ids and
/// non-decreasing times — and `check` on every body.
pub fn import(
    dir: &Path,
    input: &mut dyn BufRead,
    check: BodyCheck<'_>,
    progress: &dyn Fn(u64),
) -> Result<StagedImport, ImportError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(StoreError::from)?.next().is_some() {
        return Err(ImportError::TargetNotEmpty(dir.to_owned()));
    }
    let staging = staging_dir(dir);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(StoreError::from)?;
    }
    let mut staged = StagedImport { target: dir.to_owned(), staging, head: Head::EMPTY, committed: false };
    staged.head = import_into(&staged.staging, input, check, progress)?;
    Ok(staged)
}

fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "ledger".into());
    dir.with_file_name(format!(".{name}.importing"))
}

fn import_into(
    staging: &Path,
    input: &mut dyn BufRead,
    check: BodyCheck<'_>,
    progress: &dyn Fn(u64),
) -> Result<Head, ImportError> {
    let db = crate::store::open_sled(staging)?;
    let tree = db.open_tree(TREE_NAME).map_err(StoreError::from)?;
    tree.insert(keys::FORMAT, keys::FORMAT_MARKER).map_err(StoreError::from)?;
    let mut syncer = Syncer::open(staging).map_err(StoreError::from)?;
    let stats = DurabilityStats::default();
    let segment = Segment::create(staging).map_err(StoreError::from)?;
    let mut rebuilder = Rebuilder::new(tree, CopyTarget::Write { segment, pending: Vec::new() });
    let mut line = Vec::new();
    let mut line_number = 0u64;
    loop {
        line.clear();
        let read = read_line(input, &mut line).map_err(|e| refused(line_number + 1, e))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        add_line(&mut rebuilder, &line, check).map_err(|reason| refused(line_number, reason))?;
        if rebuilder.batch_full() {
            rebuilder.write_batch(&db, &mut syncer, &stats)?;
            progress(rebuilder.head().seq);
        }
    }
    rebuilder.write_batch(&db, &mut syncer, &stats)?;
    progress(rebuilder.head().seq);
    Ok(rebuilder.head())
}

/// Checks one export line's form, then hands its record to the rebuilder, which checks it against
/// the chain so far.
fn add_line(rebuilder: &mut Rebuilder, line: &[u8], check: BodyCheck<'_>) -> Result<(), String> {
    if line.last() == Some(&b'\r') {
        return Err("the line ends in CR LF; export lines end in LF alone".into());
    }
    if line.is_empty() {
        return Err("empty line".into());
    }
    let parsed: ExportLine = serde_json::from_slice(line).map_err(|e| format!("not an export line: {e}"))?;
    if canonical_line(&parsed) != line {
        return Err("not in the canonical form {\"seq\":N,\"prev_hash\":\"…\",\"hash\":\"…\",\"body\":…} \
                    (members in that order, no spaces, lower-case hex: docs/FORMAT.md §2)"
            .into());
    }
    let record = Record { prev_hash: parsed.prev_hash, hash: parsed.hash, body: parsed.body.get().as_bytes() };
    rebuilder.add(parsed.seq, record, check, None)
}

/// The export line for these parts, exactly as `export` writes it.
fn canonical_line(parsed: &ExportLine<'_>) -> Vec<u8> {
    let mut line = format!(
        "{{\"seq\":{},\"prev_hash\":\"{}\",\"hash\":\"{}\",\"body\":",
        parsed.seq, parsed.prev_hash, parsed.hash
    )
    .into_bytes();
    line.extend_from_slice(parsed.body.get().as_bytes());
    line.push(b'}');
    line
}

fn refused(line: u64, reason: impl ToString) -> ImportError {
    ImportError::Refused { line, reason: reason.to_string() }
}

/// Reads one line without its newline, refusing lines longer than `EXPORT_LINE_BYTES_MAX` and a last
/// line without one (a file cut short mid-line).
fn read_line(input: &mut dyn BufRead, line: &mut Vec<u8>) -> Result<usize, String> {
    let mut limited = std::io::Read::take(&mut *input, EXPORT_LINE_BYTES_MAX as u64 + 1);
    let read = limited.read_until(b'\n', line).map_err(|e| format!("reading the export: {e}"))?;
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if read > EXPORT_LINE_BYTES_MAX {
        return Err(format!("line longer than {EXPORT_LINE_BYTES_MAX} bytes"));
    } else if read > 0 {
        return Err("the last line has no newline: the file was cut short".into());
    }
    Ok(read)
}

/// A digest of what one command appended (stream, event types, versions and data), rebuilt for the
/// idempotency records of an imported ledger (docs/FORMAT.md §4, digest kind 0).
#[derive(Clone)]
pub struct RequestDigest(blake3::Hasher);

impl RequestDigest {
    pub fn new(stream: &str) -> RequestDigest {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"kpi-ledger/command/v1\n");
        hasher.update(&(stream.len() as u64).to_be_bytes());
        hasher.update(stream.as_bytes());
        RequestDigest(hasher)
    }

    pub fn add(&mut self, event_type: &str, schema_version: u32, data: &serde_json::Value) {
        let data = serde_json::to_vec(data).expect("json values serialise");
        self.0.update(&(event_type.len() as u64).to_be_bytes());
        self.0.update(event_type.as_bytes());
        self.0.update(&schema_version.to_be_bytes());
        self.0.update(&(data.len() as u64).to_be_bytes());
        self.0.update(&data);
    }

    pub fn finish(&self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}
