//! Signed checkpoints: a statement "the ledger `origin` had `tree_size` events, with this Merkle root
//! and this chain head hash, at `time`", signed with Ed25519. With a checkpoint and a public key an
//! auditor checks inclusion and consistency proofs without trusting the server.
//!
//! Invariant: the signed bytes are `signed_text()`, a fixed line-oriented text built from the fields,
//! so any verifier can rebuild them from the JSON form (docs/FORMAT.md §5).

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::chain::Hash;
use crate::domain::Timestamp;

/// The first line of every signed checkpoint text.
pub const CHECKPOINT_TAG: &str = "kpi-ledger checkpoint v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash,
    /// The hash of event `tree_size` (32 zero bytes when the tree is empty).
    pub head_hash: Hash,
    pub time: Timestamp,
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn signed_text(&self) -> String {
        format!(
            "{CHECKPOINT_TAG}\norigin {}\ntree_size {}\nroot {}\nhead_hash {}\ntime {}\n",
            self.origin, self.tree_size, self.root, self.head_hash, self.time
        )
    }

    pub fn sign(self, key: &SigningKey) -> SignedCheckpoint {
        let signature = key.sign(self.signed_text().as_bytes());
        SignedCheckpoint {
            checkpoint: self,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// A checkpoint with its signature and the public key that made it (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    pub public_key: String,
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("public_key: not 32 bytes of hex")]
    MalformedPublicKey,
    #[error("signature: not 64 bytes of hex")]
    MalformedSignature,
    #[error("signed by {found}, not by the expected key {expected}")]
    WrongKey { expected: String, found: String },
    #[error("signature does not verify")]
    BadSignature,
}

impl SignedCheckpoint {
    /// Checks that `expected_key` signed exactly these fields.
    pub fn verify(&self, expected_key: &VerifyingKey) -> Result<(), CheckpointError> {
        let expected = hex::encode(expected_key.as_bytes());
        if !self.public_key.eq_ignore_ascii_case(&expected) {
            return Err(CheckpointError::WrongKey { expected, found: self.public_key.clone() });
        }
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut signature).map_err(|_| CheckpointError::MalformedSignature)?;
        expected_key
            .verify(self.checkpoint.signed_text().as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| CheckpointError::BadSignature)
    }
}

/// Parses a public key from 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, CheckpointError> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| CheckpointError::MalformedPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::MalformedPublicKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: "kpi-ledger:test".into(),
            tree_size: 9,
            root: Hash([1; 32]),
            head_hash: Hash([2; 32]),
            time: Timestamp::from_civil(2017, 7, 19, 12, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_fails() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let signed = checkpoint().sign(&key);
        signed.verify(&key.verifying_key()).unwrap();
        let mut changed = signed.clone();
        changed.checkpoint.tree_size = 10;
        assert_eq!(changed.verify(&key.verifying_key()), Err(CheckpointError::BadSignature));
        let mut changed = signed.clone();
        changed.checkpoint.root = Hash([3; 32]);
        assert_eq!(changed.verify(&key.verifying_key()), Err(CheckpointError::BadSignature));
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(matches!(signed.verify(&other.verifying_key()), Err(CheckpointError::WrongKey { .. })));
    }

    #[test]
    fn the_signed_text_is_fixed() {
        assert_eq!(
            checkpoint().signed_text(),
            "kpi-ledger checkpoint v1\norigin kpi-ledger:test\ntree_size 9\n\
             root 0101010101010101010101010101010101010101010101010101010101010101\n\
             head_hash 0202020202020202020202020202020202020202020202020202020202020202\n\
             time 2017-07-19T12:00:00.000000Z\n"
        );
    }
}
