//! The checkpoint signing key: a file of its own (mode 0600) whose path is a setting, and the guards
//! that keep a ledger and its key together. The ledger records the public key it signs with (key `p`
//! of its tree), so a missing or foreign key file is refused instead of silently replaced: auditors
//! hold the public key, and a new one would make every published checkpoint unverifiable.
//!
//! Invariant: a key is created only together with a new, empty ledger (or deliberately: `import
//! --new-key`); every new checkpoint's tree extends the last one signed (its root at the last size is
//! the last root, and its size is not smaller), otherwise signing is refused as corruption.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::chain::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::chain::Hash;
use crate::store::StoreError;

/// The key file's name inside the data directory, where it lives unless a path is given.
pub const KEY_FILE: &str = "checkpoint-signing-key.json";

/// Where a ledger's key file is: the given path, or `KEY_FILE` in the data directory.
pub fn key_path(data: &Path, key_file: Option<&Path>) -> PathBuf {
    key_file.map_or_else(|| data.join(KEY_FILE), Path::to_path_buf)
}

/// The key file's contents: the ledger's name (`origin`, in every checkpoint) and the secret key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub origin: String,
    pub secret_key: String,
}

pub struct Signer {
    key: SigningKey,
    origin: String,
}

/// What the ledger remembers of its key: the public half and the origin, under key `p`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedKey {
    pub public_key: [u8; 32],
    pub origin: String,
}

impl RecordedKey {
    pub fn encode(&self) -> Vec<u8> {
        let mut value = self.public_key.to_vec();
        value.extend_from_slice(self.origin.as_bytes());
        value
    }

    pub fn decode(value: &[u8]) -> Option<RecordedKey> {
        let public_key: [u8; 32] = value.get(..32)?.try_into().ok()?;
        let origin = std::str::from_utf8(value.get(32..)?).ok()?.to_owned();
        Some(RecordedKey { public_key, origin })
    }
}

impl Signer {
    /// A fresh key with a fresh origin name.
    pub fn generate() -> Result<Signer, StoreError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Invalid(format!("no randomness for a signing key: {e}")))?;
        let mut origin_bytes = [0u8; 8];
        getrandom::fill(&mut origin_bytes).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
        Ok(Signer { key: SigningKey::from_bytes(&secret), origin: format!("kpi-ledger/{}", hex::encode(origin_bytes)) })
    }

    /// A fresh key under `origin` (a rotation: the ledger keeps its name, the key changes).
    pub fn generate_for(origin: &str) -> Result<Signer, StoreError> {
        let mut signer = Signer::generate()?;
        signer.origin = origin.to_owned();
        Ok(signer)
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Signer, StoreError> {
        let bytes = std::fs::read(path)
            .map_err(|e| StoreError::Invalid(format!("signing key file {}: {e}", path.display())))?;
        Signer::from_bytes(&bytes).map_err(|reason| StoreError::Invalid(format!("{}: {reason}", path.display())))
    }

    /// Parses key file contents.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signer, String> {
        let file: KeyFile = serde_json::from_slice(bytes).map_err(|e| format!("not a signing key file: {e}"))?;
        let mut secret = [0u8; 32];
        hex::decode_to_slice(&file.secret_key, &mut secret).map_err(|_| "secret_key is not 32 bytes of hex")?;
        if !file.origin.starts_with("kpi-ledger/") || file.origin.chars().any(|c| c.is_control()) {
            return Err(format!("origin {:?} is not a kpi-ledger origin", file.origin));
        }
        Ok(Signer { key: SigningKey::from_bytes(&secret), origin: file.origin })
    }

    /// The key file's contents (a secret: callers write it only to files of mode 0600).
    pub fn key_file(&self) -> KeyFile {
        KeyFile { origin: self.origin.clone(), secret_key: hex::encode(self.key.to_bytes()) }
    }

    /// Writes the key file at `path` (mode 0600, fsynced, renamed into place); refuses to replace one.
    pub fn write_new(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Invalid(format!("{}: a signing key file is already there", path.display())));
        }
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let temporary = path.with_extension("tmp");
        let mut options = std::fs::File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let _ = std::fs::remove_file(&temporary);
        let mut file = options.open(&temporary)?;
        file.write_all(&serde_json::to_vec_pretty(&self.key_file()).expect("key file serialises"))?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        crate::store::durability::sync_directory(
            path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")),
        )?;
        Ok(())
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn recorded(&self) -> RecordedKey {
        RecordedKey { public_key: *self.public_key().as_bytes(), origin: self.origin.clone() }
    }

    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        checkpoint.sign(&self.key)
    }
}

/// Loads the key of a ledger, checking it against the key the ledger recorded; creates one only for
/// a new ledger (`empty` and nothing recorded).
pub fn open_for_ledger(path: &Path, recorded: Option<&RecordedKey>, empty: bool) -> Result<Signer, StoreError> {
    if !path.exists() {
        return match (recorded, empty) {
            (None, true) => {
                let signer = Signer::generate()?;
                signer.write_new(path)?;
                Ok(signer)
            }
            (recorded, _) => Err(StoreError::KeyMissing {
                path: path.to_owned(),
                public_key: recorded.map(|recorded| hex::encode(recorded.public_key)),
            }),
        };
    }
    let signer = Signer::load(path)?;
    if let Some(recorded) = recorded {
        if recorded.public_key != *signer.public_key().as_bytes() {
            return Err(StoreError::Invalid(format!(
                "{}: holds signing key {}, but this ledger signs with {}; give the ledger's own key file",
                path.display(),
                hex::encode(signer.public_key().as_bytes()),
                hex::encode(recorded.public_key)
            )));
        }
    }
    Ok(signer)
}

/// The last checkpoint signed: size and root, kept in the ledger's tree under key `k`.
pub fn encode_last_signed(size: u64, root: &Hash) -> [u8; 40] {
    let mut value = [0u8; 40];
    value[..8].copy_from_slice(&size.to_be_bytes());
    value[8..].copy_from_slice(&root.0);
    value
}

pub fn decode_last_signed(value: &[u8]) -> Option<(u64, Hash)> {
    let size = u64::from_be_bytes(value.get(..8)?.try_into().ok()?);
    let root: [u8; 32] = value.get(8..40)?.try_into().ok()?;
    Some((size, Hash(root)))
}
