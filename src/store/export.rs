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

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::chain::merkle::{Blake3, IncrementalTree};
use crate::chain::{link_hash, EventBody, Hash, Record};
use crate::domain::check_unique_keys;
use crate::limits::{EVENT_BODY_BYTES_MAX, EXPORT_LINE_BYTES_MAX, IMPORT_EVENTS_PER_BATCH};
use crate::store::durability::{sync_directory, Syncer};
use crate::store::keys::{self, CommandRecord, RequestDigestOf};
use crate::store::merkle_nodes;
use crate::store::types::Head;
use crate::store::verify::{VerifyFailure, Walk};
use crate::store::{validate_stream_id, DurabilityStats, Ledger, StoreError, TREE_NAME};

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
/// actor). The error names the field, from `body.`.
pub type BodyCheck<'a> = &'a dyn Fn(&EventBody) -> Result<(), String>;

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
    let mut importer = Importer::new(tree.clone());
    let mut line = Vec::new();
    let mut line_number = 0u64;
    loop {
        line.clear();
        let read = read_line(input, &mut line).map_err(|e| refused(line_number + 1, e))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        importer.add_line(&line, check).map_err(|reason| refused(line_number, reason))?;
        if importer.batch_events == IMPORT_EVENTS_PER_BATCH {
            importer.write_batch(&db, &mut syncer, &stats)?;
            progress(importer.head.seq);
        }
    }
    importer.write_batch(&db, &mut syncer, &stats)?;
    progress(importer.head.seq);
    Ok(importer.head)
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

/// A stored body: within the size limit, and no object in it names a key twice.
fn check_body_bytes(body: &[u8]) -> Result<(), String> {
    if body.len() > EVENT_BODY_BYTES_MAX {
        return Err(format!("body: {} bytes exceed the limit of {EVENT_BODY_BYTES_MAX}", body.len()));
    }
    check_unique_keys(body).map_err(|e| format!("body.{e}"))
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

/// A command whose events are still arriving (an append's events are consecutive in the chain).
struct OpenCommand {
    command_id: String,
    record: CommandRecord,
    digest: RequestDigest,
}

struct Importer {
    tree: sled::Tree,
    batch: sled::Batch,
    batch_events: usize,
    head: Head,
    stream_versions: HashMap<String, u64>,
    batch_event_ids: HashSet<uuid::Uuid>,
    command: Option<OpenCommand>,
    finished_commands: HashSet<String>,
    merkle: IncrementalTree<Blake3>,
}

impl Importer {
    fn new(tree: sled::Tree) -> Importer {
        Importer {
            tree,
            batch: sled::Batch::default(),
            batch_events: 0,
            head: Head::EMPTY,
            stream_versions: HashMap::new(),
            batch_event_ids: HashSet::new(),
            command: None,
            finished_commands: HashSet::new(),
            merkle: IncrementalTree::new(),
        }
    }

    /// Checks one line against the chain so far and stages its writes.
    fn add_line(&mut self, line: &[u8], check: BodyCheck<'_>) -> Result<(), String> {
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
        let seq = self.head.seq + 1;
        if parsed.seq != seq {
            return Err(format!("seq is {}, expected {seq}", parsed.seq));
        }
        if parsed.prev_hash != self.head.hash {
            return Err(format!("prev_hash is {}, the previous event's hash is {}", parsed.prev_hash, self.head.hash));
        }
        let body_bytes = parsed.body.get().as_bytes();
        let computed = link_hash(&parsed.prev_hash, seq, body_bytes);
        if computed != parsed.hash {
            return Err(format!("hash is {}, computed {computed}", parsed.hash));
        }
        check_body_bytes(body_bytes)?;
        let body = EventBody::from_bytes(body_bytes).map_err(|e| format!("body: {e}"))?;
        check(&body)?;
        self.check_body(&body)?;
        self.stage(seq, &parsed, body_bytes, &body)
    }

    fn check_body(&mut self, body: &EventBody) -> Result<(), String> {
        validate_stream_id(&body.stream).map_err(|e| format!("body.{e}"))?;
        if body.recorded_at < self.head.recorded_at {
            return Err(format!(
                "body.recorded_at {} is before the previous event's {}",
                body.recorded_at, self.head.recorded_at
            ));
        }
        let current = self.stream_version(&body.stream)?;
        if body.stream_version != current + 1 {
            return Err(format!("body.stream_version is {}, expected {}", body.stream_version, current + 1));
        }
        let known = self.tree.get(keys::event_id(&body.event_id)).map_err(|e| e.to_string())?.is_some();
        if known || self.batch_event_ids.contains(&body.event_id) {
            return Err(format!("body.event_id {} appears twice", body.event_id));
        }
        Ok(())
    }

    fn stream_version(&self, stream: &str) -> Result<u64, String> {
        if let Some(version) = self.stream_versions.get(stream) {
            return Ok(*version);
        }
        keys::current_stream_version(&self.tree, stream).map_err(|e| e.to_string())
    }

    fn stage(&mut self, seq: u64, parsed: &ExportLine, body_bytes: &[u8], body: &EventBody) -> Result<(), String> {
        let record = Record { prev_hash: parsed.prev_hash, hash: parsed.hash, body: body_bytes };
        self.batch.insert(&keys::event(seq), record.encode());
        self.batch.insert(keys::stream_event(&body.stream, body.stream_version), &seq.to_be_bytes());
        self.batch.insert(&keys::event_id(&body.event_id), &seq.to_be_bytes());
        self.batch_event_ids.insert(body.event_id);
        self.stream_versions.insert(body.stream.clone(), body.stream_version);
        self.track_command(seq, body)?;
        let nodes = self.merkle.append(merkle_nodes::leaf_of(&parsed.hash)).map_err(|e| e.to_string())?;
        merkle_nodes::stage_nodes(&mut self.batch, nodes);
        self.head = Head { seq, hash: parsed.hash, recorded_at: body.recorded_at };
        self.batch_events += 1;
        Ok(())
    }

    /// Rebuilds the idempotency record of the command each event belongs to.
    fn track_command(&mut self, seq: u64, body: &EventBody) -> Result<(), String> {
        let continues = matches!(
            (&self.command, &body.command_id),
            (Some(open), Some(id)) if *id == open.command_id && open.record.last_seq + 1 == seq
                && open.record.stream_version + 1 == body.stream_version
        );
        if !continues {
            self.finish_command();
            if let Some(command_id) = &body.command_id {
                if self.finished_commands.contains(command_id)
                    || self.tree.get(keys::command(command_id)).map_err(|e| e.to_string())?.is_some()
                {
                    return Err(format!("body.command_id {command_id:?} was used by an earlier, separate append"));
                }
                self.command = Some(OpenCommand {
                    command_id: command_id.clone(),
                    record: CommandRecord {
                        first_seq: seq,
                        last_seq: seq - 1,
                        stream_version: 0,
                        request_digest: RequestDigestOf::Events([0; 32]),
                    },
                    digest: RequestDigest::new(&body.stream),
                });
            }
        }
        if let Some(open) = &mut self.command {
            open.digest.add(&body.event_type, body.schema_version, &body.data);
            open.record.last_seq = seq;
            open.record.stream_version = body.stream_version;
        }
        Ok(())
    }

    fn finish_command(&mut self) {
        if let Some(open) = self.command.take() {
            self.stage_command(&open);
            self.finished_commands.insert(open.command_id);
        }
    }

    fn stage_command(&mut self, open: &OpenCommand) {
        let record = CommandRecord { request_digest: RequestDigestOf::Events(open.digest.finish()), ..open.record };
        self.batch.insert(keys::command(&open.command_id), &record.encode()[..]);
    }

    fn write_batch(&mut self, db: &sled::Db, syncer: &mut Syncer, stats: &DurabilityStats) -> Result<(), StoreError> {
        if let Some(open) = self.command.take() {
            // A command still open at a batch boundary is written as it stands and rewritten later.
            self.stage_command(&open);
            self.command = Some(open);
        }
        self.stream_versions.clear();
        self.batch.insert(keys::HEAD, &keys::encode_head(self.head.seq, &self.head.hash, self.head.recorded_at)[..]);
        self.tree.apply_batch(std::mem::take(&mut self.batch))?;
        db.flush()?;
        syncer.sync(stats)?;
        self.batch_events = 0;
        self.batch_event_ids.clear();
        // Commands finished in this batch are now in the tree, where the next batches look them up.
        self.finished_commands.clear();
        Ok(())
    }
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
