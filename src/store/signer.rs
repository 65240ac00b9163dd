//! The checkpoint signing key, created on first start in the data directory, and the guard that the
//! ledger never signs two checkpoints that are inconsistent with each other.
//!
//! Invariant: every new checkpoint's tree extends the last one signed (its root at the last size is
//! the last root, and its size is not smaller); otherwise signing is refused as corruption.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::chain::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::chain::Hash;
use crate::store::StoreError;

/// The key file's name inside the data directory (mode 0600).
pub const KEY_FILE: &str = "checkpoint-signing-key.json";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    origin: String,
    secret_key: String,
}

pub struct Signer {
    key: SigningKey,
    origin: String,
}

impl Signer {
    /// Loads the key of the ledger in `dir`, creating it (with a new origin name) on first start.
    pub fn open_or_create(dir: &Path) -> Result<Signer, StoreError> {
        let path = dir.join(KEY_FILE);
        if path.exists() {
            let file: KeyFile = serde_json::from_slice(&std::fs::read(&path)?)
                .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?;
            let mut secret = [0u8; 32];
            hex::decode_to_slice(&file.secret_key, &mut secret)
                .map_err(|_| StoreError::Corrupt(format!("{}: secret_key is not 32 bytes of hex", path.display())))?;
            return Ok(Signer { key: SigningKey::from_bytes(&secret), origin: file.origin });
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Invalid(format!("no randomness for a signing key: {e}")))?;
        let mut origin_bytes = [0u8; 8];
        getrandom::fill(&mut origin_bytes).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
        let signer = Signer {
            key: SigningKey::from_bytes(&secret),
            origin: format!("kpi-ledger/{}", hex::encode(origin_bytes)),
        };
        signer.write_key_file(&path)?;
        Ok(signer)
    }

    fn write_key_file(&self, path: &Path) -> Result<(), StoreError> {
        let contents = KeyFile { origin: self.origin.clone(), secret_key: hex::encode(self.key.to_bytes()) };
        let temporary = path.with_extension("tmp");
        let mut options = std::fs::File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let _ = std::fs::remove_file(&temporary);
        let mut file = options.open(&temporary)?;
        file.write_all(&serde_json::to_vec_pretty(&contents).expect("key file serialises"))?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        crate::store::durability::sync_directory(path.parent().unwrap_or(Path::new(".")))?;
        Ok(())
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        checkpoint.sign(&self.key)
    }
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
