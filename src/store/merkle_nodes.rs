//! The Merkle tree's nodes in sled. Leaf i (level 0) is `H(0x00 ‖ hash of event i+1)` and is not
//! stored: it is derived from the event record itself. Nodes of levels 1 and 2 are not stored either
//! but rebuilt from their (at most four) leaves when a proof needs them, so the tree adds one key per
//! eight events (the complete nodes of level ≥ `STORED_LEVEL_MIN`), written in the same batch as the
//! events they cover. A proof still reads O(log n) keys: at most a few more event records.

/// The lowest level whose nodes are stored; lower ones are rebuilt from the event records.
pub const STORED_LEVEL_MIN: u8 = 3;

use crate::chain::merkle::{Blake3, MerkleHash, NodeKey, NodeStore, TreeNode};
use crate::chain::{Hash, Record};
use crate::store::keys;

/// The leaf hash of the event with this chain hash.
pub fn leaf_of(event_hash: &Hash) -> [u8; 32] {
    Blake3::leaf(&event_hash.0)
}

pub fn node_key(key: NodeKey) -> [u8; 10] {
    let mut bytes = [keys::MERKLE; 10];
    bytes[1..].copy_from_slice(&key.to_bytes());
    bytes
}

/// Adds the nodes an append completed to `batch`, leaving out the leaves (level 0).
pub fn stage_nodes(batch: &mut sled::Batch, nodes: Vec<TreeNode<[u8; 32]>>) {
    for node in nodes.into_iter().filter(|node| node.key.level >= STORED_LEVEL_MIN) {
        batch.insert(&node_key(node.key), &node.digest[..]);
    }
}

/// Reads nodes from the ledger's tree; leaves come from the event records.
pub struct SledNodes<'a>(pub &'a sled::Tree);

#[derive(Debug, thiserror::Error)]
pub enum NodeReadError {
    #[error(transparent)]
    Sled(#[from] sled::Error),
    #[error("unreadable merkle node or event record at level {level}, index {index}")]
    Unreadable { level: u8, index: u64 },
}

impl SledNodes<'_> {
    /// A node below the stored levels, from its two children (`None` if either is not complete yet).
    fn rebuilt(&self, key: NodeKey) -> Result<Option<[u8; 32]>, NodeReadError> {
        let child = |index| NodeKey { level: key.level - 1, index };
        let Some(left) = self.get(child(2 * key.index))? else { return Ok(None) };
        let Some(right) = self.get(child(2 * key.index + 1))? else { return Ok(None) };
        Ok(Some(Blake3::node(&left, &right)))
    }
}

impl NodeStore<[u8; 32]> for SledNodes<'_> {
    type Error = NodeReadError;

    fn get(&self, key: NodeKey) -> Result<Option<[u8; 32]>, NodeReadError> {
        let unreadable = || NodeReadError::Unreadable { level: key.level, index: key.index };
        if key.level == 0 {
            let Some(value) = self.0.get(keys::event(key.index + 1))? else { return Ok(None) };
            let record = Record::decode(&value).map_err(|_| unreadable())?;
            return Ok(Some(leaf_of(&record.hash)));
        }
        if key.level < STORED_LEVEL_MIN {
            return self.rebuilt(key);
        }
        let Some(value) = self.0.get(node_key(key))? else { return Ok(None) };
        value.as_ref().try_into().map(Some).map_err(|_| unreadable())
    }
}
