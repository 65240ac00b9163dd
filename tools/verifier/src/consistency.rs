//! Consistency between two signed checkpoints (docs/FORMAT.md §5.2): the proof file's sizes and roots
//! must be those the two checkpoints sign, and its proof must show the old tree is a prefix of the new.

use serde_json::Value;

use crate::checkpoint::Checkpoint;
use crate::json;
use crate::merkle;

const MEMBERS: &[&str] = &["old_size", "new_size", "old_root", "new_root", "consistency_proof"];

/// Checks the proof file `value` between the verified checkpoints `old` and `new`; returns a summary.
pub fn verify(old: &Checkpoint, new: &Checkpoint, value: &Value) -> Result<String, String> {
    if old.origin != new.origin {
        return Err(format!("checkpoints of different ledgers: {} and {}", old.origin, new.origin));
    }
    let at = |message: String| format!("proof file: {message}");
    let file = json::object(value, "", MEMBERS).map_err(at)?;
    let (old_size, new_size) = (file.u64("old_size").map_err(at)?, file.u64("new_size").map_err(at)?);
    let (old_root, new_root) = (file.hash("old_root").map_err(at)?, file.hash("new_root").map_err(at)?);
    let proof = file.hashes("consistency_proof").map_err(at)?;
    // The file's own sizes and roots are only labels: what is proved is always about the signed ones,
    // so a file that says anything else is refused rather than believed.
    let contradiction = |field: &str, says: String, signed: String, which: &str| {
        format!("{field}: the proof file says {says}, but the {which} checkpoint is signed with {signed}")
    };
    if old_size != old.tree_size {
        return Err(contradiction("old_size", old_size.to_string(), old.tree_size.to_string(), "old"));
    }
    if new_size != new.tree_size {
        return Err(contradiction("new_size", new_size.to_string(), new.tree_size.to_string(), "new"));
    }
    if old_root != old.root {
        return Err(contradiction("old_root", hex::encode(old_root), hex::encode(old.root), "old"));
    }
    if new_root != new.root {
        return Err(contradiction("new_root", hex::encode(new_root), hex::encode(new.root), "new"));
    }
    merkle::verify_consistency(old.tree_size, new.tree_size, &old.root, &new.root, &proof)
        .map_err(|e| format!("consistency proof from {} to {}: {e}", old.tree_size, new.tree_size))?;
    // One tree has one last leaf: two checkpoints of one tree that name different heads contradict each other.
    if old.tree_size == new.tree_size && old.head_hash != new.head_hash {
        return Err(format!("both checkpoints sign the tree of size {} but name different head_hash", old.tree_size));
    }
    Ok(format!("the tree of size {} extends the tree of size {} ({})", new.tree_size, old.tree_size, new.origin))
}
