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

/// Checks that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves whose root is `root`.
/// This is RFC 9162 §2.1.3.2 with the proof taken apart first, as transparency-dev/merkle does: the
/// length is known from the index and size alone, so a short or long proof is named as such.
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
    let (inner, border) = decompose_inclusion_proof(index, tree_size);
    check_proof_length(proof, inner + border)?;
    let (inner_part, border_part) = proof.split_at(inner);
    let computed = chain_border_right::<H>(chain_inner::<H>(*leaf_hash, inner_part, index), border_part);
    if computed != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root`: RFC 9162 §2.1.4.2 with the proof taken apart first, as for
/// [`verify_inclusion`]. Equal sizes need an empty proof and equal roots (RFC 6962 §2.1.2:
/// SUBPROOF(m, D[m], true) is empty).
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
    if old_size == new_size {
        check_proof_length(proof, 0)?;
        return if old_root == new_root { Ok(()) } else { Err(VerifyError::EqualSizesDifferentRoots) };
    }

    // The old tree's rightmost complete subtree is a node of both trees. The proof is that node's
    // hash (the seed), then its inclusion proof in the new tree. An old tree of a power-of-two size
    // is that node itself, so the proof leaves the seed out and the old root stands in for it.
    let level = old_size.trailing_zeros();
    let node_index = (old_size - 1) >> level;
    let (inner_from_leaf, border) = decompose_inclusion_proof(old_size - 1, new_size);
    let inner = inner_from_leaf - level as usize;
    let seed_in_proof = !old_size.is_power_of_two();
    check_proof_length(proof, usize::from(seed_in_proof) + inner + border)?;
    let (seed, path) = if seed_in_proof { (proof[0], &proof[1..]) } else { (*old_root, proof) };
    let (inner_part, border_part) = path.split_at(inner);

    // The old root takes only the left siblings: those to the right are leaves the old tree lacked.
    let old_computed = chain_border_right::<H>(chain_inner_right::<H>(seed, inner_part, node_index), border_part);
    if old_computed != *old_root {
        return Err(VerifyError::OldRootMismatch);
    }
    let new_computed = chain_border_right::<H>(chain_inner::<H>(seed, inner_part, node_index), border_part);
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
    assert!(width >= 2);
    1 << (u64::BITS - 1 - (width - 1).leading_zeros())
}

/// The hashes that prove node (`level`, `index`) is in the tree of `size` leaves: its siblings from
/// its own level up to the root's child, found by RFC 6962's recursive descent unrolled from the
/// root down (transparency-dev/merkle's `nodes`). The node must be complete in that tree.
/// `subtree_root(start, end)` gives MTH(D[start:end]); every range asked for starts at a multiple of
/// the smallest power of two not below its width, so a store answers it from one complete node per
/// set bit of the width.
fn node_path<D, E>(
    level: u32,
    index: u64,
    size: u64,
    mut subtree_root: impl FnMut(u64, u64) -> Result<D, E>,
) -> Result<Vec<D>, E> {
    let first_leaf = index << level;
    let width = 1 << level;
    let mut start = 0;
    let mut end = size;
    let mut siblings_from_root = Vec::new();
    while end - start > width {
        let middle = start + split_point(end - start);
        if first_leaf < middle {
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

/// PATH(index, D[size]) of RFC 6962 §2.1.1: the path of a leaf, a node of level 0.
fn inclusion_path<D, E>(
    index: u64,
    size: u64,
    subtree_root: impl FnMut(u64, u64) -> Result<D, E>,
) -> Result<Vec<D>, E> {
    node_path(0, index, size, subtree_root)
}

/// PROOF(old_size, D[new_size]) of RFC 6962 §2.1.2, laid out as [`verify_consistency`] reads it: the
/// root of the old tree's rightmost complete subtree (left out when that subtree is the whole old
/// tree), then that subtree's path in the new tree. Equal sizes give the empty proof.
fn consistency_path<D, E>(
    old_size: u64,
    new_size: u64,
    mut subtree_root: impl FnMut(u64, u64) -> Result<D, E>,
) -> Result<Vec<D>, E> {
    if old_size == new_size {
        return Ok(Vec::new());
    }
    let level = old_size.trailing_zeros();
    let mut proof = node_path(level, (old_size - 1) >> level, new_size, &mut subtree_root)?;
    if !old_size.is_power_of_two() {
        proof.insert(0, subtree_root(old_size - (1 << level), old_size)?);
    }
    Ok(proof)
}

fn check_proof_length<D>(proof: &[D], expected: usize) -> Result<(), VerifyError> {
    if proof.len() != expected {
        return Err(VerifyError::WrongProofLength { expected: expected as u64, actual: proof.len() as u64 });
    }
    Ok(())
}

/// The two parts of an inclusion proof of leaf `index < size` (transparency-dev/merkle's
/// `decompInclProof`): `inner` hashes below the level where the paths to `index` and to the last leaf
/// diverge, each a left or right sibling as the bits of `index` say, then `border` hashes along the
/// tree's right border, each a left sibling (one per set bit of `index` above that level).
fn decompose_inclusion_proof(index: u64, size: u64) -> (usize, usize) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner as usize, border as usize)
}

/// Hashes `seed`, the node at `index` on its level, up through the inner part of a proof (lowest
/// first), each sibling on the side the bits of `index` say.
fn chain_inner<H: MerkleHash>(seed: H::Digest, siblings: &[H::Digest], index: u64) -> H::Digest {
    siblings.iter().enumerate().fold(seed, |node, (height, sibling)| {
        if (index >> height) & 1 == 0 {
            H::node(&node, sibling)
        } else {
            H::node(sibling, &node)
        }
    })
}

/// As [`chain_inner`], but with the left siblings only: the same subtree before the leaves right of
/// the path were added.
fn chain_inner_right<H: MerkleHash>(seed: H::Digest, siblings: &[H::Digest], index: u64) -> H::Digest {
    siblings
        .iter()
        .enumerate()
        .filter(|(height, _)| (index >> height) & 1 == 1)
        .fold(seed, |node, (_, sibling)| H::node(sibling, &node))
}

/// Hashes `seed` up along the tree's right border, where every sibling is on the left.
fn chain_border_right<H: MerkleHash>(seed: H::Digest, siblings: &[H::Digest]) -> H::Digest {
    siblings.iter().fold(seed, |node, sibling| H::node(sibling, &node))
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
    assert!(
        width.checked_next_power_of_two().map_or(start == 0, |alignment| start.is_multiple_of(alignment)),
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
