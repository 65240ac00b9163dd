//! The Merkle tree over the ledger's events, as RFC 6962 §2.1 and RFC 9162 §2.1 define it: roots,
//! inclusion proofs, consistency proofs and their verification, generic over the hash function (blake3
//! in production, SHA-256 in the tests against the public vectors).
//!
//! Invariant: a leaf hash is `H(0x00 ‖ data)`, an interior node is `H(0x01 ‖ left ‖ right)` and the
//! root of the empty tree is `H("")`, so a leaf can never pass for a node. The incremental tree stores
//! a node only once its subtree is complete: node (level l, index i) covers leaves `[i·2^l, (i+1)·2^l)`
//! and never changes after it is written. Every root and proof for a size `s ≤` the current size is
//! rebuilt from O(log n) stored nodes, so appending never rewrites history. Verification trusts none
//! of its inputs and says which check failed. Nothing here does I/O: storage is behind [`NodeStore`].

use std::convert::Infallible;
use std::fmt;

/// The byte before a leaf's data in its hash input (RFC 6962 §2.1).
pub const LEAF_PREFIX: u8 = 0x00;

/// The byte before the two children in an interior node's hash input (RFC 6962 §2.1).
pub const NODE_PREFIX: u8 = 0x01;

/// A hash function for the tree, with RFC 6962's leaf and node prefixes built in.
pub trait MerkleHash {
    /// A digest; `TryFrom<&[u8]>` lets a store decode the bytes it keeps.
    type Digest: Copy + Eq + AsRef<[u8]> + fmt::Debug + Send + Sync + 'static + for<'a> TryFrom<&'a [u8]>;

    /// `H(0x00 ‖ data)`.
    fn leaf(data: &[u8]) -> Self::Digest;

    /// `H(0x01 ‖ left ‖ right)`.
    fn node(left: &Self::Digest, right: &Self::Digest) -> Self::Digest;

    /// `H("")`, the root of a tree without leaves.
    fn empty() -> Self::Digest;
}

/// The production hash of the tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake3;

impl MerkleHash for Blake3 {
    type Digest = [u8; 32];

    fn leaf(data: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[LEAF_PREFIX]);
        hasher.update(data);
        *hasher.finalize().as_bytes()
    }

    fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[NODE_PREFIX]);
        hasher.update(left);
        hasher.update(right);
        *hasher.finalize().as_bytes()
    }

    fn empty() -> [u8; 32] {
        *blake3::hash(b"").as_bytes()
    }
}

/// The place of a complete subtree: node (level l, index i) covers leaves `[i·2^l, (i+1)·2^l)`.
/// Level 0 holds the leaf hashes themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeKey {
    pub level: u8,
    pub index: u64,
}

impl NodeKey {
    /// Length of [`NodeKey::to_bytes`].
    pub const ENCODED_LEN: usize = 9;

    /// The level byte, then the index as u64 big-endian: byte order sorts by level, then by index.
    pub fn to_bytes(self) -> [u8; Self::ENCODED_LEN] {
        let mut bytes = [0u8; Self::ENCODED_LEN];
        bytes[0] = self.level;
        bytes[1..].copy_from_slice(&self.index.to_be_bytes());
        bytes
    }

    /// The inverse of [`NodeKey::to_bytes`]; `None` unless given exactly nine bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<NodeKey> {
        let (&level, index) = bytes.split_first()?;
        let index = u64::from_be_bytes(index.try_into().ok()?);
        Some(NodeKey { level, index })
    }
}

/// A complete subtree's hash, as the incremental tree asks for it to be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeNode<D> {
    pub key: NodeKey,
    pub digest: D,
}

/// Read access to the stored complete-subtree nodes. Writing is the caller's business: the nodes that
/// [`IncrementalTree::append`] returns go into the same atomic batch as the event they cover.
pub trait NodeStore<D> {
    type Error: std::error::Error + Send + Sync + 'static;

    fn get(&self, key: NodeKey) -> Result<Option<D>, Self::Error>;
}

/// Nodes kept in memory, one vector per level, for tests and tools.
#[derive(Clone, Debug, Default)]
pub struct MemoryNodeStore<D> {
    levels: Vec<Vec<Option<D>>>,
}

impl<D: Copy> MemoryNodeStore<D> {
    pub fn new() -> Self {
        MemoryNodeStore { levels: Vec::new() }
    }

    /// Stores (or overwrites) one node. Nodes arrive in index order per level, so the vectors grow at
    /// their ends; a gap is filled with empty slots rather than refused.
    pub fn insert(&mut self, node: TreeNode<D>) {
        let level = usize::from(node.key.level);
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        let slots = &mut self.levels[level];
        let Ok(index) = usize::try_from(node.key.index) else {
            panic!("node index {} does not fit in memory", node.key.index);
        };
        if slots.len() <= index {
            slots.resize(index + 1, None);
        }
        slots[index] = Some(node.digest);
    }

    pub fn insert_all(&mut self, nodes: impl IntoIterator<Item = TreeNode<D>>) {
        for node in nodes {
            self.insert(node);
        }
    }

    /// How many nodes are stored.
    pub fn len(&self) -> usize {
        self.levels.iter().flatten().filter(|slot| slot.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<D: Copy> NodeStore<D> for MemoryNodeStore<D> {
    type Error = Infallible;

    fn get(&self, key: NodeKey) -> Result<Option<D>, Infallible> {
        let slot = usize::try_from(key.index)
            .ok()
            .and_then(|index| self.levels.get(usize::from(key.level))?.get(index).copied());
        Ok(slot.flatten())
    }
}

/// A root or proof the tree cannot give: the caller's mistake, found before anything was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("tree size {requested} is larger than the tree, which has {current} leaves")]
    SizeBeyondTree { requested: u64, current: u64 },
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeAboveNewSize { old_size: u64, new_size: u64 },
    #[error("old tree size of a consistency proof must be at least 1")]
    OldSizeZero,
}

/// Why the incremental tree could not answer: a refused request, or a store that failed us.
#[derive(Debug, thiserror::Error)]
pub enum TreeError<E> {
    #[error(transparent)]
    Refused(#[from] RequestError),
    /// A complete node that must exist is absent: the store is corrupt or behind the tree.
    #[error("merkle node at level {level}, index {index} is missing from the store")]
    MissingNode { level: u8, index: u64 },
    #[error("reading a merkle node failed")]
    Store(#[source] E),
}

/// The tree already counts `u64::MAX` leaves; no size can describe one more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("merkle tree is full: its size cannot count another leaf")]
pub struct TreeFull;

/// Why a proof did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeAboveNewSize { old_size: u64, new_size: u64 },
    #[error("old tree size of a consistency proof must be at least 1")]
    OldSizeZero,
    #[error("proof has {actual} hashes, but a proof for these sizes has exactly {expected}")]
    WrongProofLength { expected: u64, actual: u64 },
    #[error("root computed from the inclusion proof does not match the expected root")]
    RootMismatch,
    #[error("old root computed from the consistency proof does not match the expected old root")]
    OldRootMismatch,
    #[error("new root computed from the consistency proof does not match the expected new root")]
    NewRootMismatch,
    #[error("trees of equal size have different roots")]
    EqualSizesDifferentRoots,
}

/// MTH(D[n]) of RFC 6962 §2.1 over the given leaf hashes, in O(n) time and O(log n) memory.
pub fn root<H: MerkleHash>(leaf_hashes: &[H::Digest]) -> H::Digest {
    let mut tree = IncrementalTree::<H>::new();
    for leaf_hash in leaf_hashes {
        tree.push_leaf(*leaf_hash, |_| {});
    }
    tree.root()
}

/// PATH(index, D[n]) of RFC 6962 §2.1.1 (RFC 9162 §2.1.3.1) for the tree of the given leaf hashes,
/// ordered from the leaf's sibling up to the root's child.
pub fn inclusion_proof<H: MerkleHash>(leaf_hashes: &[H::Digest], index: u64) -> Result<Vec<H::Digest>, RequestError> {
    let size = leaf_hashes.len() as u64;
    check_inclusion_request(index, size)?;
    let path = inclusion_path(index, size, |start, end| {
        Ok::<_, Infallible>(root::<H>(&leaf_hashes[start as usize..end as usize]))
    });
    Ok(path.unwrap_or_else(|never| match never {}))
}

/// PROOF(old_size, D[n]) of RFC 6962 §2.1.2 (RFC 9162 §2.1.4.1) from the first `old_size` leaves to
/// all of the given leaf hashes. Equal sizes give the empty proof.
pub fn consistency_proof<H: MerkleHash>(
    leaf_hashes: &[H::Digest],
    old_size: u64,
) -> Result<Vec<H::Digest>, RequestError> {
    let new_size = leaf_hashes.len() as u64;
    check_consistency_request(old_size, new_size)?;
    let proof = consistency_path(old_size, new_size, |start, end| {
        Ok::<_, Infallible>(root::<H>(&leaf_hashes[start as usize..end as usize]))
    });
    Ok(proof.unwrap_or_else(|never| match never {}))
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves whose root is `root`,
/// with the algorithm of RFC 9162 §2.1.3.2.
///
/// The tree size is bound by the root only as far as the proof's shape goes: a few (index, size)
/// pairs share a shape, so the size must come from the same signed checkpoint as the root.
pub fn verify_inclusion<H: MerkleHash>(
    leaf_hash: &H::Digest,
    index: u64,
    tree_size: u64,
    proof: &[H::Digest],
    root: &H::Digest,
) -> Result<(), VerifyError> {
    if index >= tree_size {
        return Err(VerifyError::IndexOutOfRange { index, size: tree_size });
    }
    // The length is checked up front so that a short or long proof is named as such, not as a
    // mismatched root; the RFC's own checks on `last_index` stay below as the algorithm states them.
    let expected = inclusion_proof_length(index, tree_size);
    let wrong_length = VerifyError::WrongProofLength { expected, actual: proof.len() as u64 };
    if proof.len() as u64 != expected {
        return Err(wrong_length);
    }

    let mut node_index = index;
    let mut last_index = tree_size - 1;
    let mut computed = *leaf_hash;
    for sibling in proof {
        if last_index == 0 {
            return Err(wrong_length);
        }
        if node_index & 1 == 1 || node_index == last_index {
            computed = H::node(sibling, &computed);
            // A right edge without a sibling at this level: climb until the node is a right child.
            while node_index & 1 == 0 && node_index != 0 {
                node_index >>= 1;
                last_index >>= 1;
            }
        } else {
            computed = H::node(&computed, sibling);
        }
        node_index >>= 1;
        last_index >>= 1;
    }
    if last_index != 0 {
        return Err(wrong_length);
    }
    if computed != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root`, with the algorithm of RFC 9162 §2.1.4.2. Equal sizes need an empty
/// proof and equal roots (RFC 6962 §2.1.2: SUBPROOF(m, D[m], true) is empty).
pub fn verify_consistency<H: MerkleHash>(
    old_size: u64,
    new_size: u64,
    old_root: &H::Digest,
    new_root: &H::Digest,
    proof: &[H::Digest],
) -> Result<(), VerifyError> {
    if old_size == 0 {
        return Err(VerifyError::OldSizeZero);
    }
    if old_size > new_size {
        return Err(VerifyError::OldSizeAboveNewSize { old_size, new_size });
    }
    let expected = if old_size == new_size { 0 } else { consistency_proof_length(old_size, new_size) };
    let wrong_length = VerifyError::WrongProofLength { expected, actual: proof.len() as u64 };
    if proof.len() as u64 != expected {
        return Err(wrong_length);
    }
    if old_size == new_size {
        return if old_root == new_root { Ok(()) } else { Err(VerifyError::EqualSizesDifferentRoots) };
    }

    // An old tree of a power-of-two size is itself a node of the new tree, so the proof leaves it
    // out and the old root seeds both computations (RFC 9162 §2.1.4.2 step 2).
    let (seed, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        let (first, rest) = proof.split_first().ok_or(wrong_length)?;
        (*first, rest)
    };
    let mut node_index = old_size - 1;
    let mut last_index = new_size - 1;
    while node_index & 1 == 1 {
        node_index >>= 1;
        last_index >>= 1;
    }
    let mut old_computed = seed;
    let mut new_computed = seed;
    for sibling in rest {
        if last_index == 0 {
            return Err(wrong_length);
        }
        if node_index & 1 == 1 || node_index == last_index {
            old_computed = H::node(sibling, &old_computed);
            new_computed = H::node(sibling, &new_computed);
            while node_index & 1 == 0 && node_index != 0 {
                node_index >>= 1;
                last_index >>= 1;
            }
        } else {
            new_computed = H::node(&new_computed, sibling);
        }
        node_index >>= 1;
        last_index >>= 1;
    }
    if last_index != 0 {
        return Err(wrong_length);
    }
    if old_computed != *old_root {
        return Err(VerifyError::OldRootMismatch);
    }
    if new_computed != *new_root {
        return Err(VerifyError::NewRootMismatch);
    }
    Ok(())
}

/// A Merkle tree kept up one leaf at a time. In memory it holds only its size and the roots of the
/// complete subtrees along its right edge (one per set bit of the size, largest first); everything
/// else is read from a [`NodeStore`] on demand.
pub struct IncrementalTree<H: MerkleHash> {
    size: u64,
    edge: Vec<H::Digest>,
}

impl<H: MerkleHash> IncrementalTree<H> {
    /// The tree without leaves.
    pub fn new() -> Self {
        IncrementalTree { size: 0, edge: Vec::new() }
    }

    /// The tree of `size` leaves whose nodes are in `store`: reads one node per set bit of `size`.
    pub fn load<S: NodeStore<H::Digest>>(store: &S, size: u64) -> Result<Self, TreeError<S::Error>> {
        let edge = read_subtree_peaks(store, 0, size)?;
        Ok(IncrementalTree { size, edge })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root at the current size, from memory alone.
    pub fn root(&self) -> H::Digest {
        fold_peaks::<H>(&self.edge)
    }

    /// Adds one leaf hash and returns the nodes to store: the leaf itself, plus the root of every
    /// subtree the leaf completes (one per trailing zero bit of the new size, so one on average).
    ///
    /// The tree in memory moves on at once. If the batch carrying the nodes fails, throw this tree
    /// away and [`load`](Self::load) it again, or append to a clone and keep it only after the write.
    pub fn append(&mut self, leaf_hash: H::Digest) -> Result<Vec<TreeNode<H::Digest>>, TreeFull> {
        let size_after = self.size.checked_add(1).ok_or(TreeFull)?;
        let mut nodes = Vec::with_capacity(1 + size_after.trailing_zeros() as usize);
        self.push_leaf(leaf_hash, |node| nodes.push(node));
        Ok(nodes)
    }

    /// The root at any size up to the current one (`H("")` at size 0), from at most one node read per
    /// set bit of `size`.
    pub fn root_at<S: NodeStore<H::Digest>>(&self, store: &S, size: u64) -> Result<H::Digest, TreeError<S::Error>> {
        self.check_size(size)?;
        if size == self.size {
            return Ok(self.root());
        }
        stored_subtree_root::<H, S>(store, 0, size)
    }

    /// PATH(index, D[size]) for any size up to the current one, from O(log size) node reads.
    pub fn inclusion_proof<S: NodeStore<H::Digest>>(
        &self,
        store: &S,
        index: u64,
        size: u64,
    ) -> Result<Vec<H::Digest>, TreeError<S::Error>> {
        self.check_size(size)?;
        check_inclusion_request(index, size)?;
        inclusion_path(index, size, |start, end| stored_subtree_root::<H, S>(store, start, end))
    }

    /// PROOF(old_size, D[new_size]) for sizes up to the current one, from O(log new_size) node reads.
    pub fn consistency_proof<S: NodeStore<H::Digest>>(
        &self,
        store: &S,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<H::Digest>, TreeError<S::Error>> {
        self.check_size(new_size)?;
        check_consistency_request(old_size, new_size)?;
        consistency_path(old_size, new_size, |start, end| stored_subtree_root::<H, S>(store, start, end))
    }

    fn check_size(&self, size: u64) -> Result<(), RequestError> {
        if size > self.size {
            return Err(RequestError::SizeBeyondTree { requested: size, current: self.size });
        }
        Ok(())
    }

    /// Appends a leaf, handing every newly completed node to `completed`. The caller has checked that
    /// the size does not overflow.
    fn push_leaf(&mut self, leaf_hash: H::Digest, mut completed: impl FnMut(TreeNode<H::Digest>)) {
        let index = self.size;
        let size_after = index + 1;
        completed(TreeNode { key: NodeKey { level: 0, index }, digest: leaf_hash });
        self.edge.push(leaf_hash);
        // Each trailing zero bit of the new size is a level where the two rightmost edge subtrees
        // are now siblings of equal size: merge them into their complete parent.
        for level in 1..=size_after.trailing_zeros() {
            let right = self.edge.pop();
            let left = self.edge.pop();
            let (Some(left), Some(right)) = (left, right) else {
                unreachable!("the right edge holds one subtree per set bit of the size");
            };
            let parent = H::node(&left, &right);
            self.edge.push(parent);
            let key = NodeKey { level: level as u8, index: (size_after >> level) - 1 };
            completed(TreeNode { key, digest: parent });
        }
        self.size = size_after;
    }
}

impl<H: MerkleHash> Default for IncrementalTree<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: MerkleHash> Clone for IncrementalTree<H> {
    fn clone(&self) -> Self {
        IncrementalTree { size: self.size, edge: self.edge.clone() }
    }
}

impl<H: MerkleHash> fmt::Debug for IncrementalTree<H> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("IncrementalTree").field("size", &self.size).field("edge", &self.edge).finish()
    }
}

fn check_inclusion_request(index: u64, size: u64) -> Result<(), RequestError> {
    if index >= size {
        return Err(RequestError::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_consistency_request(old_size: u64, new_size: u64) -> Result<(), RequestError> {
    if old_size == 0 {
        return Err(RequestError::OldSizeZero);
    }
    if old_size > new_size {
        return Err(RequestError::OldSizeAboveNewSize { old_size, new_size });
    }
    Ok(())
}

/// The largest power of two strictly below `width` (the split point `k` of RFC 6962 §2.1), for
/// `width >= 2`.
fn split_point(width: u64) -> u64 {
    debug_assert!(width >= 2);
    1 << (u64::BITS - 1 - (width - 1).leading_zeros())
}

/// RFC 6962's recursive PATH, unrolled from the root down. `subtree_root(start, end)` gives
/// MTH(D[start:end]); every range asked for starts at a multiple of the smallest power of two not
/// below its width, so a store answers it from one complete node per set bit of the width.
fn inclusion_path<D, E>(
    index: u64,
    size: u64,
    mut subtree_root: impl FnMut(u64, u64) -> Result<D, E>,
) -> Result<Vec<D>, E> {
    let mut start = 0;
    let mut end = size;
    let mut siblings_from_root = Vec::new();
    while end - start > 1 {
        let middle = start + split_point(end - start);
        if index < middle {
            siblings_from_root.push(subtree_root(middle, end)?);
            end = middle;
        } else {
            siblings_from_root.push(subtree_root(start, middle)?);
            start = middle;
        }
    }
    siblings_from_root.reverse();
    Ok(siblings_from_root)
}

/// RFC 6962's recursive PROOF/SUBPROOF, unrolled from the root down; `subtree_root` as for
/// [`inclusion_path`]. `old_end` is the absolute end of the old tree and `old_is_subtree` is the
/// RFC's flag `b`: the old tree's root is, so far, a node of the new tree the verifier already holds.
fn consistency_path<D, E>(
    old_size: u64,
    new_size: u64,
    mut subtree_root: impl FnMut(u64, u64) -> Result<D, E>,
) -> Result<Vec<D>, E> {
    let old_end = old_size;
    let mut start = 0;
    let mut end = new_size;
    let mut old_is_subtree = true;
    let mut proof_from_root = Vec::new();
    while old_end != end {
        let middle = start + split_point(end - start);
        if old_end <= middle {
            proof_from_root.push(subtree_root(middle, end)?);
            end = middle;
        } else {
            proof_from_root.push(subtree_root(start, middle)?);
            start = middle;
            old_is_subtree = false;
        }
    }
    if !old_is_subtree {
        proof_from_root.push(subtree_root(start, end)?);
    }
    proof_from_root.reverse();
    Ok(proof_from_root)
}

/// Number of hashes in an inclusion proof of leaf `index < size` (as transparency-dev/merkle counts
/// it): the levels where the paths to `index` and to the last leaf differ, plus one left sibling per
/// set bit of `index` above them.
fn inclusion_proof_length(index: u64, size: u64) -> u64 {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    u64::from(inner + border)
}

/// Number of hashes in a consistency proof for `0 < old_size < new_size`: the inclusion path of the
/// old tree's last leaf, minus the levels inside the old tree's rightmost complete subtree, plus that
/// subtree's root unless it is the whole old tree.
fn consistency_proof_length(old_size: u64, new_size: u64) -> u64 {
    let old_last = old_size - 1;
    let inner = u64::BITS - (old_last ^ (new_size - 1)).leading_zeros();
    let border = old_last.checked_shr(inner).unwrap_or(0).count_ones();
    let levels_inside = old_size.trailing_zeros();
    let seed = u32::from(!old_size.is_power_of_two());
    u64::from(seed + inner.saturating_sub(levels_inside) + border)
}

/// RFC 6962's MTH of peaks laid out left to right (largest first): each peak is the left sibling of
/// the tree formed by all peaks to its right.
fn fold_peaks<H: MerkleHash>(peaks: &[H::Digest]) -> H::Digest {
    let mut from_right = peaks.iter().rev();
    match from_right.next() {
        None => H::empty(),
        Some(last) => from_right.fold(*last, |right, left| H::node(left, &right)),
    }
}

/// The complete subtrees that make up `[start, end)`, largest first: one per set bit of the width.
/// `start` must be a multiple of the smallest power of two not below the width, so that each of them
/// is a stored node.
fn read_subtree_peaks<D, S: NodeStore<D>>(store: &S, start: u64, end: u64) -> Result<Vec<D>, TreeError<S::Error>> {
    let width = end - start;
    debug_assert!(
        width.checked_next_power_of_two().map_or(start == 0, |alignment| start % alignment == 0),
        "range [{start}, {end}) is not aligned to a complete subtree"
    );
    let mut peaks = Vec::with_capacity(width.count_ones() as usize);
    let mut offset = start;
    for level in (0..u64::BITS as u8).rev() {
        if (width >> level) & 1 == 1 {
            let key = NodeKey { level, index: offset >> level };
            let digest = store.get(key).map_err(TreeError::Store)?;
            peaks.push(digest.ok_or(TreeError::MissingNode { level, index: key.index })?);
            offset += 1 << level;
        }
    }
    Ok(peaks)
}

fn stored_subtree_root<H: MerkleHash, S: NodeStore<H::Digest>>(
    store: &S,
    start: u64,
    end: u64,
) -> Result<H::Digest, TreeError<S::Error>> {
    Ok(fold_peaks::<H>(&read_subtree_peaks(store, start, end)?))
}
