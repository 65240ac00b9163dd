//! Looking after a ledger as a whole: where it lives and where its signing key is
//! (`LedgerSettings`), opening it, importing an export into a new directory with a key that travels
//! deliberately, exporting and importing that key, and the file a running server leaves so that
//! reading commands can go through it.
//!
//! Invariant: an import is renamed into place only after it folds into the state a server builds
//! (the decider's and the read models'), and only with a signing key the operator chose: the one that
//! signed the exported ledger's checkpoints (`--key-file`) or, said outright, a new one.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chain::{self, DecodeError, EventBody, Record};
use crate::service::read_models::{Preloaded, ReadModels};
use crate::service::records::Records;
use crate::service::{RandomIds, Service, SystemClock};
use crate::store::export::{self, ImportError};
use crate::store::signer::{self, Signer};
use crate::store::{Head, Ledger, LedgerOptions, StoreError, TailCheck};

/// Where a ledger is, and where its checkpoint signing key is kept.
#[derive(Clone, Debug)]
pub struct LedgerSettings {
    pub data: PathBuf,
    /// The key file; `None`: `checkpoint-signing-key.json` in the data directory.
    pub signing_key_file: Option<PathBuf>,
    /// sled's page cache in MiB (`serve --cache-mib`); `None`: `SLED_CACHE_MIB_DEFAULT`.
    pub cache_mib: Option<u64>,
}

/// Why a ledger could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("--data {0}: no ledger there")]
    NoLedger(PathBuf),
    /// Another process holds the ledger; when that is a kpi-ledger server, where to reach it.
    #[error("--data {data}: the ledger is open in another process{}", server.as_ref().map_or(String::new(), |s| format!(" (a server at http://{})", s.addr)))]
    Locked { data: PathBuf, server: Option<ServerInfo> },
    /// The directory cannot be written (an auditor's copy on read-only media): the record copy can
    /// still be verified on its own.
    #[error("--data {0}: the directory is read-only, so the ledger cannot be opened (`verify` checks its record copy alone)")]
    ReadOnly(PathBuf),
    #[error("--data {data}: {error}")]
    Store { data: PathBuf, error: StoreError },
}

impl LedgerSettings {
    pub fn new(data: impl Into<PathBuf>) -> LedgerSettings {
        LedgerSettings { data: data.into(), signing_key_file: None, cache_mib: None }
    }

    /// The key file's path.
    pub fn key_path(&self) -> PathBuf {
        signer::key_path(&self.data, self.signing_key_file.as_deref())
    }

    fn options(&self, tail_check: TailCheck, require_key: bool) -> LedgerOptions {
        LedgerOptions {
            key_file: self.signing_key_file.clone(),
            tail_check,
            require_key,
            cache_mib: self.cache_mib.unwrap_or(crate::limits::SLED_CACHE_MIB_DEFAULT),
            lock_wait: crate::limits::LOCK_WAIT_MAX,
        }
    }

    /// Whether the data directory holds a ledger (sled's data file or the record copy is there).
    pub fn holds_ledger(&self) -> bool {
        self.data.join("db").exists() || crate::store::segment::path(&self.data).exists()
    }

    /// Opens an existing ledger to write to it: its signing key must be there. A directory without a
    /// ledger is an error, not a new empty ledger.
    pub fn open_existing(&self, tail_check: TailCheck) -> Result<Records, OpenError> {
        if !self.holds_ledger() {
            return Err(OpenError::NoLedger(self.data.clone()));
        }
        self.open(tail_check, true)
    }

    /// Opens an existing ledger to read or verify it, which needs no secret: without its key file it
    /// still answers everything but a request to sign. `TailCheck::Skip` is for a full verification,
    /// which must open a broken ledger to say where.
    pub fn open_to_read(&self, tail_check: TailCheck) -> Result<Records, OpenError> {
        if !self.holds_ledger() {
            return Err(OpenError::NoLedger(self.data.clone()));
        }
        let mut options = self.options(tail_check, false);
        if read_server_info(&self.data).is_some() {
            // A server left its address: when it holds the directory, read through it at once
            // rather than after waiting out the lock.
            options.lock_wait = std::time::Duration::ZERO;
        }
        self.open_with_options(options)
    }

    /// Opens the ledger, creating an empty one (and its key) if the directory holds none yet.
    pub fn open_or_create(&self) -> Result<Records, OpenError> {
        self.open(TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS), true)
    }

    fn open(&self, tail_check: TailCheck, require_key: bool) -> Result<Records, OpenError> {
        self.open_with_options(self.options(tail_check, require_key))
    }

    fn open_with_options(&self, options: LedgerOptions) -> Result<Records, OpenError> {
        match Ledger::open_with(&self.data, options) {
            Ok(ledger) => Ok(Records::new(Arc::new(ledger))),
            // The directory's own lock, or sled's, which it reports as an I/O error with this text
            // (sled 0.34.7, config.rs).
            Err(error)
                if matches!(error, StoreError::Locked) || error.to_string().contains("could not acquire lock") =>
            {
                Err(OpenError::Locked { data: self.data.clone(), server: read_server_info(&self.data) })
            }
            Err(StoreError::Io(error))
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Err(OpenError::ReadOnly(self.data.clone()))
            }
            Err(error) => Err(OpenError::Store { data: self.data.clone(), error }),
        }
    }

    /// Opens the ledger (creating it if new) with the service on the real clock and random ids.
    pub fn open_service(&self) -> Result<Arc<Service>, String> {
        let records = self.open_or_create().map_err(|e| e.to_string())?;
        let service = records.service(Arc::new(SystemClock), Arc::new(RandomIds)).map_err(|e| e.to_string())?;
        Ok(Arc::new(service))
    }

    /// Opens the ledger (creating it if new) for a server: the service on the real clock and random
    /// ids, and the read models, both from one reading of the newest snapshot. That snapshot is read
    /// and decoded on a thread of its own while sled opens (it is checked against the chain after).
    pub fn open_server(&self) -> Result<(Arc<Service>, Arc<ReadModels>), String> {
        let started = std::time::Instant::now();
        let data = self.data.clone();
        let read_ahead = std::thread::Builder::new()
            .name("snapshot-read-ahead".into())
            .spawn(move || Preloaded::read(&data))
            .map_err(|e| format!("a thread to read the newest snapshot: {e}"))?;
        // On a refusal the read-ahead is left to finish on its own: the refusal is not kept waiting.
        let records = self.open_or_create().map_err(|e| e.to_string())?;
        let preloaded = read_ahead.join().map_err(|_| "reading the newest snapshot ahead panicked".to_owned())?;
        tracing::info!(head = records.head().seq, took_ms = started.elapsed().as_millis() as u64, "ledger opened");
        let (service, read_models) =
            records.service_with_read_models(Arc::new(SystemClock), Arc::new(RandomIds), preloaded)?;
        tracing::info!(took_ms = started.elapsed().as_millis() as u64, "service and read models opened");
        Ok((Arc::new(service), Arc::new(read_models)))
    }
}

/// The data directory's lock file, which every process that opens or changes a ledger holds first.
pub use crate::store::LOCK_FILE;

/// Takes the data directory's lock (creating the directory) without opening the ledger: for work on
/// the directory itself, such as the demo emptying a directory it made before. Released on drop.
pub fn lock_data_directory(settings: &LedgerSettings) -> Result<crate::store::DirLock, OpenError> {
    crate::store::DirLock::acquire(&settings.data).map_err(|error| match error {
        StoreError::Locked => {
            OpenError::Locked { data: settings.data.clone(), server: read_server_info(&settings.data) }
        }
        error => OpenError::Store { data: settings.data.clone(), error },
    })
}

/// Rebuilds a damaged ledger from its two copies (`store::recovery::recover`), then opens it and
/// verifies the whole chain in both copies before saying it is done.
pub fn recover(
    settings: &LedgerSettings,
    accept_loss: bool,
    progress: &dyn Fn(u64),
) -> Result<crate::store::recovery::Recovered, String> {
    if !settings.holds_ledger() {
        return Err(OpenError::NoLedger(settings.data.clone()).to_string());
    }
    let recovered = crate::store::recovery::recover(&settings.data, accept_loss, progress)
        .map_err(|error| format!("--data {}: {error}", settings.data.display()))?;
    let records = settings.open_to_read(TailCheck::Skip).map_err(|e| e.to_string())?;
    let verified = records
        .verify(None, &|_| {})
        .map_err(|failure| format!("the recovered ledger fails verification: {failure}"))?;
    if verified.head != recovered.head {
        return Err(format!("the recovered ledger opens at event {}, not {}", verified.head.seq, recovered.head.seq));
    }
    Ok(recovered)
}

/// Which signing key an imported ledger gets.
#[derive(Clone, Debug)]
pub enum ImportKey {
    /// The key file of the ledger that was exported (`kpi-ledger key export`): checkpoints published
    /// before stay verifiable with the same public key.
    File(PathBuf),
    /// A new key, said outright (`--new-key`): the imported ledger is a new ledger to its auditors.
    New,
}

/// Builds a new ledger at `settings.data` from an export, with the chosen key. The export is checked
/// line by line as appends would be, then the staged ledger must load as a server loads it; only then
/// is it renamed into place and its key written. Refused inputs leave nothing behind.
pub fn import_export(
    settings: &LedgerSettings,
    input: &mut dyn BufRead,
    key: &ImportKey,
    progress: &dyn Fn(u64),
) -> Result<Head, String> {
    let key_path = settings.key_path();
    if key_path.exists() && settings.signing_key_file.is_some() {
        return Err(format!("--signing-key-file {}: a key file is already there", key_path.display()));
    }
    let signer = match key {
        ImportKey::File(path) => Signer::load(path).map_err(|e| format!("--key-file: {e}"))?,
        ImportKey::New => Signer::generate().map_err(|e| e.to_string())?,
    };
    let staged = export::import(&settings.data, input, &check_event, progress).map_err(|e| import_error(&e))?;
    // The staged ledger is opened with the key beside it, so it records that key as its own.
    let staged_key = staged.path().join(signer::KEY_FILE);
    signer.write_new(&staged_key).map_err(|e| e.to_string())?;
    check_it_loads(staged.path(), &staged_key)?;
    let head = staged.commit().map_err(|e| import_error(&e))?;
    if settings.signing_key_file.is_some() {
        // The key lives where the settings say: move it out of the data directory.
        let inside = settings.data.join(signer::KEY_FILE);
        signer.write_new(&key_path).map_err(|e| e.to_string())?;
        std::fs::remove_file(&inside).map_err(|e| format!("{}: {e}", inside.display()))?;
    }
    Ok(head)
}

fn import_error(error: &ImportError) -> String {
    error.to_string()
}

/// What the domain would have recorded: a known event type and version whose data decodes — by the
/// decoder every fold uses — in the stream that event belongs to, by a valid actor in a known role.
pub fn check_event(seq: u64, record: &Record<'_>, body: &EventBody) -> Result<(), String> {
    let event = match chain::decode(seq, record) {
        Ok(recorded) => recorded.event,
        Err(DecodeError::Event { source, .. }) => return Err(format!("body.data: {source}")),
        Err(DecodeError::Envelope { message, .. }) => return Err(format!("body: {message}")),
    };
    let stream = event.stream_id();
    if stream != body.stream {
        return Err(format!(
            "body.stream is {:?}, but a {} belongs to stream {stream:?}",
            body.stream, body.event_type
        ));
    }
    crate::store::validate_actor(&body.actor).map_err(|e| format!("body.{e}"))?;
    Ok(())
}

/// The staged ledger must fold into the decider's state and the read models, as a server would.
fn check_it_loads(staging: &Path, key_file: &Path) -> Result<(), String> {
    let options =
        LedgerOptions { key_file: Some(key_file.to_owned()), tail_check: TailCheck::Skip, ..LedgerOptions::default() };
    let ledger = Arc::new(Ledger::open_with(staging, options).map_err(|e| e.to_string())?);
    let loaded = Service::open(ledger.clone(), Arc::new(SystemClock), Arc::new(RandomIds))
        .map_err(|e| e.to_string())
        .and_then(|_| ReadModels::open(ledger.clone()).map(drop).map_err(|e| e.to_string()));
    ledger.close();
    drop(ledger);
    loaded.map_err(|reason| format!("the imported ledger does not load: {reason}"))
}

/// Writes the ledger's key file to `out` (a new file, mode 0600): the secret that signs its
/// checkpoints, to be kept apart from the data and brought back with `import_key` or `import --key-file`.
pub fn export_key(settings: &LedgerSettings, out: &Path) -> Result<String, String> {
    let key_path = settings.key_path();
    let signer = Signer::load(&key_path).map_err(|e| e.to_string())?;
    signer.write_new(out).map_err(|e| format!("--out: {e}"))?;
    Ok(hex::encode(signer.public_key().as_bytes()))
}

/// Installs `file` as the ledger's key file: only where none is, and only the key the ledger records
/// as its own (a ledger whose key file was lost, restored from a backup).
pub fn import_key(settings: &LedgerSettings, file: &Path) -> Result<String, String> {
    let signer = Signer::load(file).map_err(|e| e.to_string())?;
    let key_path = settings.key_path();
    if key_path.exists() {
        return Err(format!("{}: the ledger already has a key file; it is never replaced", key_path.display()));
    }
    signer.write_new(&key_path).map_err(|e| e.to_string())?;
    // Opening checks the key against the one the ledger recorded; a foreign key is taken back out.
    match settings.open_existing(TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS)) {
        Ok(records) => {
            records.close();
            Ok(hex::encode(signer.public_key().as_bytes()))
        }
        Err(error) => {
            let _ = std::fs::remove_file(&key_path);
            Err(error.to_string())
        }
    }
}

/// A rotation carried out: the event that records it, the two public keys, and where the old key
/// file was kept.
#[derive(Clone, Debug)]
pub struct RotatedKey {
    pub seq: u64,
    pub public_key: String,
    pub previous_public_key: String,
    pub retired_key_file: Option<PathBuf>,
}

/// Rotates the checkpoint signing key (`kpi-ledger key rotate`): a new key of the same origin,
/// recorded as `SigningKeyRotated` by the local operator acting as an admin of the ledger's first top
/// unit; the old key file is kept as `<name>.retired-<seq>`. Works when the old key file was lost too
/// (the ledger then starts a new key deliberately, and its auditors are told by the event).
pub fn rotate_key(settings: &LedgerSettings, reason: &str) -> Result<RotatedKey, String> {
    let records =
        settings.open_to_read(TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS)).map_err(|e| e.to_string())?;
    let previous_public_key = records.key().public_key.ok_or("this ledger records no signing key to rotate")?;
    let service = records.service(Arc::new(SystemClock), Arc::new(RandomIds)).map_err(|e| e.to_string())?;
    let unit = service
        .with_facts(|facts| {
            facts.units.iter().find(|(_, unit)| unit.parent.is_none() && !unit.retired).map(|(code, _)| code.clone())
        })
        .ok_or("the ledger has no top unit yet, whose admin would record the rotation")?;
    let actor = crate::domain::Actor { id: "local-operator".into(), role: crate::domain::Role::Admin, unit };
    let (executed, retired_key_file) = service.rotate_signing_key(actor, reason).map_err(|e| e.to_string())?;
    let public_key = records.key().public_key.ok_or("the ledger lost its new key")?;
    records.close();
    Ok(RotatedKey { seq: executed.last_seq, public_key, previous_public_key, retired_key_file })
}

/// What a running server leaves in its data directory (mode 0600) so that reading commands reach it
/// while it holds the ledger: its address and a read-only token that exists only in this file and the
/// server's memory (never in the ledger).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerInfo {
    pub addr: SocketAddr,
    pub read_token: String,
    pub pid: u32,
}

/// The file's name in the data directory.
pub const SERVER_INFO_FILE: &str = "server.json";

pub fn write_server_info(data: &Path, info: &ServerInfo) -> std::io::Result<()> {
    use std::io::Write;
    let path = data.join(SERVER_INFO_FILE);
    let temporary = data.join(format!("{SERVER_INFO_FILE}.tmp"));
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(&serde_json::to_vec(info).expect("server info serialises"))?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

pub fn read_server_info(data: &Path) -> Option<ServerInfo> {
    serde_json::from_slice(&std::fs::read(data.join(SERVER_INFO_FILE)).ok()?).ok()
}

pub fn remove_server_info(data: &Path) {
    let _ = std::fs::remove_file(data.join(SERVER_INFO_FILE));
}
