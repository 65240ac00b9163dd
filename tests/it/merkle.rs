//! Tests of the Merkle tree (issue 6, points 1 and 2): the RFC 6962 public vectors with SHA-256, a naive
//! recursive reference written straight from the RFC's definitions, and tampering of every kind.
//!
//! Invariant kept: the incremental tree, the pure functions over a slice and the reference agree on
//! every root and proof, and every proof they give verifies while every altered one is rejected.

use std::cell::Cell;
use std::convert::Infallible;
use std::sync::OnceLock;

use kpi_ledger::chain::merkle::{
    consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion, Blake3, IncrementalTree,
    MemoryNodeStore, MerkleHash, NodeKey, NodeStore, RequestError, TreeError, TreeNode, VerifyError,
};
use proptest::prelude::*;
use sha2::Digest as _;

/// SHA-256 with RFC 6962's prefixes: only the public vectors use it.
#[derive(Debug)]
struct Sha256;

impl MerkleHash for Sha256 {
    type Digest = [u8; 32];

    fn leaf(data: &[u8]) -> [u8; 32] {
        let mut hasher = sha2::Sha256::new();
        hasher.update([0x00]);
        hasher.update(data);
        hasher.finalize().into()
    }

    fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        let mut hasher = sha2::Sha256::new();
        hasher.update([0x01]);
        hasher.update(left);
        hasher.update(right);
        hasher.finalize().into()
    }

    fn empty() -> [u8; 32] {
        sha2::Sha256::digest(b"").into()
    }
}

type Digest = [u8; 32];

// ---------------------------------------------------------------------------------------------------
// The reference: RFC 6962 §2.1's recursive definitions, transcribed without any cleverness.

/// The largest power of two strictly below `n`, for `n >= 2`.
fn reference_split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
fn reference_root<H: MerkleHash>(leaves: &[H::Digest]) -> H::Digest {
    match leaves.len() {
        0 => H::empty(),
        1 => leaves[0],
        n => {
            let k = reference_split(n);
            H::node(&reference_root::<H>(&leaves[..k]), &reference_root::<H>(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
fn reference_path<H: MerkleHash>(m: usize, leaves: &[H::Digest]) -> Vec<H::Digest> {
    let n = leaves.len();
    if n == 1 {
        return Vec::new();
    }
    let k = reference_split(n);
    if m < k {
        let mut path = reference_path::<H>(m, &leaves[..k]);
        path.push(reference_root::<H>(&leaves[k..]));
        path
    } else {
        let mut path = reference_path::<H>(m - k, &leaves[k..]);
        path.push(reference_root::<H>(&leaves[..k]));
        path
    }
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
fn reference_proof<H: MerkleHash>(m: usize, leaves: &[H::Digest]) -> Vec<H::Digest> {
    reference_subproof::<H>(m, leaves, true)
}

fn reference_subproof<H: MerkleHash>(m: usize, leaves: &[H::Digest], b: bool) -> Vec<H::Digest> {
    let n = leaves.len();
    if m == n {
        return if b { Vec::new() } else { vec![reference_root::<H>(leaves)] };
    }
    let k = reference_split(n);
    if m <= k {
        let mut proof = reference_subproof::<H>(m, &leaves[..k], b);
        proof.push(reference_root::<H>(&leaves[k..]));
        proof
    } else {
        let mut proof = reference_subproof::<H>(m - k, &leaves[k..], false);
        proof.push(reference_root::<H>(&leaves[..k]));
        proof
    }
}

// ---------------------------------------------------------------------------------------------------
// Helpers.

/// Leaf hashes of `count` distinct events (the leaf data is the event's number).
fn leaf_hashes<H: MerkleHash>(count: u64) -> Vec<H::Digest> {
    (0..count).map(|index| H::leaf(&index.to_be_bytes())).collect()
}

/// Appends every leaf, one at a time, storing exactly the nodes the tree asks to store.
fn build<H: MerkleHash>(leaves: &[H::Digest]) -> (IncrementalTree<H>, MemoryNodeStore<H::Digest>) {
    let mut tree = IncrementalTree::<H>::new();
    let mut store = MemoryNodeStore::new();
    for leaf in leaves {
        store.insert_all(tree.append(*leaf).expect("a test tree is never full"));
    }
    (tree, store)
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("the vectors hold valid hex")
}

fn digest(text: &str) -> Digest {
    unhex(text).try_into().expect("the vectors hold 32-byte hashes")
}

fn digests(values: &serde_json::Value) -> Vec<Digest> {
    let list = values.as_array().expect("a list of hashes");
    list.iter().map(|value| digest(value.as_str().expect("a hex string"))).collect()
}

fn number(value: &serde_json::Value) -> u64 {
    value.as_u64().expect("a non-negative integer")
}

fn vectors() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc6962-sha256.json");
    let text = std::fs::read_to_string(path).expect("the public vectors are readable");
    serde_json::from_str(&text).expect("the public vectors are JSON")
}

fn vector_leaf_hashes(vectors: &serde_json::Value) -> Vec<Digest> {
    let leaves = vectors["leaves"].as_array().expect("a list of leaves");
    leaves.iter().map(|leaf| Sha256::leaf(&unhex(leaf.as_str().expect("a hex string")))).collect()
}

/// Flips one bit of one byte of one hash.
fn flipped(proof: &[Digest], hash_position: usize, byte_position: usize) -> Vec<Digest> {
    let mut altered = proof.to_vec();
    altered[hash_position][byte_position] ^= 0x01;
    altered
}

/// A store that counts its reads, to hold the O(log n) promise.
struct CountingStore<'a> {
    inner: &'a MemoryNodeStore<Digest>,
    reads: Cell<u64>,
}

impl<'a> CountingStore<'a> {
    fn new(inner: &'a MemoryNodeStore<Digest>) -> Self {
        CountingStore { inner, reads: Cell::new(0) }
    }

    fn take_reads(&self) -> u64 {
        self.reads.replace(0)
    }
}

impl NodeStore<Digest> for CountingStore<'_> {
    type Error = Infallible;

    fn get(&self, key: NodeKey) -> Result<Option<Digest>, Infallible> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get(key)
    }
}

/// Reads allowed for one root or proof at `size`: one complete node per level, plus one per set bit
/// of a single right-edge subtree.
fn reads_max(size: u64) -> u64 {
    2 * u64::from(u64::BITS - size.leading_zeros()) + 1
}

fn unwrap_tree<T>(result: Result<T, TreeError<Infallible>>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{error}"),
    }
}

// ---------------------------------------------------------------------------------------------------
// The public vectors.

#[test]
fn public_vectors_give_every_root() {
    let vectors = vectors();
    assert_eq!(vectors["hash"], "sha256");
    assert_eq!(Sha256::empty(), digest(vectors["empty_root"].as_str().expect("a hex string")));
    let leaves = vector_leaf_hashes(&vectors);
    let (tree, store) = build::<Sha256>(&leaves);
    assert_eq!(unwrap_tree(tree.root_at(&store, 0)), Sha256::empty());
    assert_eq!(root::<Sha256>(&[]), Sha256::empty());

    let roots = vectors["roots"].as_array().expect("a list of roots");
    assert_eq!(roots.len(), 8);
    for entry in roots {
        let size = number(&entry["size"]);
        let expected = digest(entry["root"].as_str().expect("a hex string"));
        let prefix = &leaves[..size as usize];
        assert_eq!(root::<Sha256>(prefix), expected, "pure root at size {size}");
        assert_eq!(reference_root::<Sha256>(prefix), expected, "reference root at size {size}");
        assert_eq!(unwrap_tree(tree.root_at(&store, size)), expected, "stored root at size {size}");
        let loaded = unwrap_tree(IncrementalTree::<Sha256>::load(&store, size));
        assert_eq!(loaded.root(), expected, "loaded root at size {size}");
        assert_eq!(build::<Sha256>(prefix).0.root(), expected, "in-memory root at size {size}");
    }
}

#[test]
fn public_vectors_give_every_inclusion_proof_and_each_verifies() {
    let vectors = vectors();
    let leaves = vector_leaf_hashes(&vectors);
    let (tree, store) = build::<Sha256>(&leaves);
    let entries = vectors["inclusion"].as_array().expect("a list of inclusion proofs");
    assert_eq!(entries.len(), 5);
    for entry in entries {
        let index = number(&entry["leaf_index"]);
        let size = number(&entry["tree_size"]);
        let expected = digests(&entry["path"]);
        let prefix = &leaves[..size as usize];
        let case = format!("leaf {index} in size {size}");
        assert_eq!(unwrap_tree(tree.inclusion_proof(&store, index, size)), expected, "{case}");
        assert_eq!(inclusion_proof::<Sha256>(prefix, index), Ok(expected.clone()), "{case}");
        assert_eq!(reference_path::<Sha256>(index as usize, prefix), expected, "{case}");
        let root_at_size = root::<Sha256>(prefix);
        let leaf = &leaves[index as usize];
        assert_eq!(verify_inclusion::<Sha256>(leaf, index, size, &expected, &root_at_size), Ok(()));
    }
}

#[test]
fn public_vectors_give_every_consistency_proof_and_each_verifies() {
    let vectors = vectors();
    let leaves = vector_leaf_hashes(&vectors);
    let (tree, store) = build::<Sha256>(&leaves);
    let entries = vectors["consistency"].as_array().expect("a list of consistency proofs");
    assert_eq!(entries.len(), 5);
    for entry in entries {
        let old_size = number(&entry["size1"]);
        let new_size = number(&entry["size2"]);
        let expected = digests(&entry["proof"]);
        let prefix = &leaves[..new_size as usize];
        let case = format!("from size {old_size} to {new_size}");
        let stored = unwrap_tree(tree.consistency_proof(&store, old_size, new_size));
        assert_eq!(stored, expected, "{case}");
        assert_eq!(consistency_proof::<Sha256>(prefix, old_size), Ok(expected.clone()), "{case}");
        assert_eq!(reference_proof::<Sha256>(old_size as usize, prefix), expected, "{case}");
        let old_root = root::<Sha256>(&leaves[..old_size as usize]);
        let new_root = root::<Sha256>(prefix);
        let verified = verify_consistency::<Sha256>(old_size, new_size, &old_root, &new_root, &expected);
        assert_eq!(verified, Ok(()), "{case}");
    }
}

// ---------------------------------------------------------------------------------------------------
// The incremental tree against the reference.

#[test]
fn every_root_and_proof_up_to_64_leaves_matches_the_reference_and_verifies() {
    let leaves = leaf_hashes::<Sha256>(64);
    let (tree, store) = build::<Sha256>(&leaves);
    let counting = CountingStore::new(&store);
    for size in 1..=64u64 {
        let prefix = &leaves[..size as usize];
        let expected_root = reference_root::<Sha256>(prefix);
        assert_eq!(unwrap_tree(tree.root_at(&counting, size)), expected_root, "root at {size}");
        assert_eq!(root::<Sha256>(prefix), expected_root, "pure root at {size}");
        assert!(counting.take_reads() <= reads_max(size));

        for index in 0..size {
            let case = format!("leaf {index} in size {size}");
            let expected = reference_path::<Sha256>(index as usize, prefix);
            let proof = unwrap_tree(tree.inclusion_proof(&counting, index, size));
            assert!(counting.take_reads() <= reads_max(size), "{case}: too many reads");
            assert_eq!(proof, expected, "{case}");
            assert_eq!(inclusion_proof::<Sha256>(prefix, index), Ok(expected), "{case}");
            let leaf = &leaves[index as usize];
            let verified = verify_inclusion::<Sha256>(leaf, index, size, &proof, &expected_root);
            assert_eq!(verified, Ok(()), "{case}");
        }

        for old_size in 1..=size {
            let case = format!("from size {old_size} to {size}");
            let expected = reference_proof::<Sha256>(old_size as usize, prefix);
            let proof = unwrap_tree(tree.consistency_proof(&counting, old_size, size));
            assert!(counting.take_reads() <= reads_max(size), "{case}: too many reads");
            assert_eq!(proof, expected, "{case}");
            assert_eq!(consistency_proof::<Sha256>(prefix, old_size), Ok(expected), "{case}");
            let old_root = reference_root::<Sha256>(&leaves[..old_size as usize]);
            let verified = verify_consistency::<Sha256>(old_size, size, &old_root, &expected_root, &proof);
            assert_eq!(verified, Ok(()), "{case}");
        }
    }
}

#[test]
fn unbalanced_trees_of_7_and_11_leaves_have_the_reference_roots() {
    for size in [7u64, 11] {
        let leaves = leaf_hashes::<Blake3>(size);
        let (tree, store) = build::<Blake3>(&leaves);
        let expected = reference_root::<Blake3>(&leaves);
        assert_eq!(tree.root(), expected);
        assert_eq!(root::<Blake3>(&leaves), expected);
        assert_eq!(unwrap_tree(IncrementalTree::<Blake3>::load(&store, size)).root(), expected);
        // Each right-edge subtree is recomputed, never stored: 7 = 4 + 2 + 1, 11 = 8 + 2 + 1.
        assert_eq!(store.len() as u64, 2 * size - u64::from(size.count_ones()));
    }
}

/// A deterministic stream of numbers for picking sizes and indices (splitmix64).
struct Picks(u64);

impl Picks {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (mixed ^ (mixed >> 31)) % bound
    }
}

#[test]
fn a_million_and_three_leaves_answer_any_size_in_logarithmic_reads() {
    const SIZE: u64 = 1_000_003;
    let leaves = leaf_hashes::<Blake3>(SIZE);
    let (tree, store) = build::<Blake3>(&leaves);
    let counting = CountingStore::new(&store);

    // Sizes whose roots the reference computes (each costs a full pass over the leaves).
    let sizes = [SIZE, 999_999, 524_288, 333_333];
    let reference_roots: Vec<Digest> =
        sizes.iter().map(|&size| reference_root::<Blake3>(&leaves[..size as usize])).collect();
    assert_eq!(tree.root(), reference_roots[0]);
    for (&size, expected) in sizes.iter().zip(&reference_roots) {
        assert_eq!(unwrap_tree(tree.root_at(&counting, size)), *expected, "root at {size}");
        assert!(counting.take_reads() <= reads_max(size));
    }

    let mut picks = Picks(6);
    for round in 0..24 {
        let which = picks.below(sizes.len() as u64) as usize;
        let size = sizes[which];
        let index = picks.below(size);
        let proof = unwrap_tree(tree.inclusion_proof(&counting, index, size));
        assert!(counting.take_reads() <= reads_max(size), "leaf {index} in {size}: too many reads");
        let leaf = &leaves[index as usize];
        let verified = verify_inclusion::<Blake3>(leaf, index, size, &proof, &reference_roots[which]);
        assert_eq!(verified, Ok(()), "leaf {index} in size {size}");
        if round < 2 {
            assert_eq!(proof, reference_path::<Blake3>(index as usize, &leaves[..size as usize]));
        }
    }

    for (old, &old_size) in sizes.iter().enumerate() {
        for (new, &new_size) in sizes.iter().enumerate().filter(|(_, &size)| size >= old_size) {
            let proof = unwrap_tree(tree.consistency_proof(&counting, old_size, new_size));
            assert!(counting.take_reads() <= reads_max(new_size), "{old_size} to {new_size}");
            let verified =
                verify_consistency::<Blake3>(old_size, new_size, &reference_roots[old], &reference_roots[new], &proof);
            assert_eq!(verified, Ok(()), "from size {old_size} to {new_size}");
        }
    }
    let expected = reference_proof::<Blake3>(333_333, &leaves[..999_999]);
    assert_eq!(unwrap_tree(tree.consistency_proof(&store, 333_333, 999_999)), expected);
}

#[test]
fn append_stores_the_leaf_and_each_subtree_it_completes() {
    let leaves = leaf_hashes::<Sha256>(64);
    let mut tree = IncrementalTree::<Sha256>::new();
    let mut store = MemoryNodeStore::new();
    for (index, leaf) in (0u64..).zip(&leaves) {
        let nodes = tree.append(*leaf).expect("a test tree is never full");
        let size = index + 1;
        assert_eq!(nodes.len() as u32, 1 + size.trailing_zeros(), "append of leaf {index}");
        assert_eq!(nodes[0], TreeNode { key: NodeKey { level: 0, index }, digest: *leaf });
        for node in &nodes {
            // Node (l, i) covers leaves [i·2^l, (i+1)·2^l), all of which exist by now.
            let width = 1usize << node.key.level;
            let start = node.key.index as usize * width;
            assert!(start + width <= size as usize, "node {:?} is not complete", node.key);
            let expected = reference_root::<Sha256>(&leaves[start..start + width]);
            assert_eq!(node.digest, expected, "node {:?}", node.key);
        }
        store.insert_all(nodes);
        assert_eq!(tree.size(), size);
        assert_eq!(tree.root(), reference_root::<Sha256>(&leaves[..size as usize]));
    }
}

#[test]
fn a_tree_loaded_at_an_older_size_continues_exactly_like_the_original() {
    let leaves = leaf_hashes::<Sha256>(100);
    let (original, store) = build::<Sha256>(&leaves);
    let mut loaded = unwrap_tree(IncrementalTree::<Sha256>::load(&store, 57));
    assert_eq!(loaded.size(), 57);
    for (index, leaf) in (57u64..).zip(&leaves[57..]) {
        for node in loaded.append(*leaf).expect("a test tree is never full") {
            assert_eq!(store.get(node.key), Ok(Some(node.digest)), "leaf {index}");
        }
    }
    assert_eq!(loaded.root(), original.root());
}

#[test]
fn a_missing_node_is_reported_not_guessed() {
    let leaves = leaf_hashes::<Sha256>(6);
    let mut tree = IncrementalTree::<Sha256>::new();
    let mut store = MemoryNodeStore::new();
    for leaf in &leaves {
        let nodes = tree.append(*leaf).expect("a test tree is never full");
        // Lose the level-2 node that leaf 3 completes.
        store.insert_all(nodes.into_iter().filter(|node| node.key != NodeKey { level: 2, index: 0 }));
    }
    assert!(matches!(IncrementalTree::<Sha256>::load(&store, 6), Err(TreeError::MissingNode { level: 2, index: 0 })));
    assert!(matches!(tree.inclusion_proof(&store, 5, 6), Err(TreeError::MissingNode { level: 2, index: 0 })));
}

#[test]
fn node_keys_encode_in_level_then_index_order() {
    let keys = [
        NodeKey { level: 0, index: 0 },
        NodeKey { level: 0, index: 1 },
        NodeKey { level: 0, index: 256 },
        NodeKey { level: 0, index: u64::MAX },
        NodeKey { level: 1, index: 0 },
        NodeKey { level: 63, index: 1 },
    ];
    for pair in keys.windows(2) {
        assert!(pair[0].to_bytes() < pair[1].to_bytes(), "{:?} sorts before {:?}", pair[0], pair[1]);
    }
    for key in keys {
        assert_eq!(NodeKey::from_bytes(&key.to_bytes()), Some(key));
    }
    assert_eq!(NodeKey::from_bytes(&[0; 8]), None);
    assert_eq!(NodeKey::from_bytes(&[0; 10]), None);
}

// ---------------------------------------------------------------------------------------------------
// Refusals.

#[test]
fn requests_beyond_the_tree_are_refused() {
    let leaves = leaf_hashes::<Sha256>(10);
    let (tree, store) = build::<Sha256>(&leaves);
    let beyond = RequestError::SizeBeyondTree { requested: 11, current: 10 };
    assert!(matches!(tree.root_at(&store, 11), Err(TreeError::Refused(error)) if error == beyond));
    assert!(matches!(
        tree.inclusion_proof(&store, 3, 11),
        Err(TreeError::Refused(error)) if error == beyond
    ));
    assert!(matches!(
        tree.consistency_proof(&store, 3, 11),
        Err(TreeError::Refused(error)) if error == beyond
    ));

    let refusals = [
        (tree.inclusion_proof(&store, 10, 10), RequestError::IndexOutOfRange { index: 10, size: 10 }),
        (tree.inclusion_proof(&store, 0, 0), RequestError::IndexOutOfRange { index: 0, size: 0 }),
        (tree.inclusion_proof(&store, 5, 3), RequestError::IndexOutOfRange { index: 5, size: 3 }),
        (tree.consistency_proof(&store, 0, 5), RequestError::OldSizeZero),
        (tree.consistency_proof(&store, 6, 5), RequestError::OldSizeAboveNewSize { old_size: 6, new_size: 5 }),
    ];
    for (result, expected) in refusals {
        assert!(matches!(result, Err(TreeError::Refused(error)) if error == expected), "{expected}");
    }

    assert_eq!(inclusion_proof::<Sha256>(&leaves, 10), Err(RequestError::IndexOutOfRange { index: 10, size: 10 }));
    assert_eq!(consistency_proof::<Sha256>(&leaves, 0), Err(RequestError::OldSizeZero));
    assert_eq!(
        consistency_proof::<Sha256>(&leaves, 11),
        Err(RequestError::OldSizeAboveNewSize { old_size: 11, new_size: 10 })
    );
    assert_eq!(beyond.to_string(), "tree size 11 is larger than the tree, which has 10 leaves");
}

#[test]
fn verification_names_what_failed() {
    let leaves = leaf_hashes::<Sha256>(10);
    let root_10 = root::<Sha256>(&leaves);
    let root_6 = root::<Sha256>(&leaves[..6]);
    let path = inclusion_proof::<Sha256>(&leaves, 3).expect("leaf 3 exists");
    let leaf = &leaves[3];

    let index_error = VerifyError::IndexOutOfRange { index: 10, size: 10 };
    assert_eq!(verify_inclusion::<Sha256>(leaf, 10, 10, &path, &root_10), Err(index_error));
    let empty_error = VerifyError::IndexOutOfRange { index: 0, size: 0 };
    assert_eq!(verify_inclusion::<Sha256>(leaf, 0, 0, &[], &Sha256::empty()), Err(empty_error));
    let short = &path[..path.len() - 1];
    let short_error = VerifyError::WrongProofLength { expected: 4, actual: 3 };
    assert_eq!(verify_inclusion::<Sha256>(leaf, 3, 10, short, &root_10), Err(short_error));
    let mut long = path.clone();
    long.push(root_10);
    let long_error = VerifyError::WrongProofLength { expected: 4, actual: 5 };
    assert_eq!(verify_inclusion::<Sha256>(leaf, 3, 10, &long, &root_10), Err(long_error));
    assert_eq!(verify_inclusion::<Sha256>(leaf, 3, 10, &path, &root_6), Err(VerifyError::RootMismatch));

    let proof = consistency_proof::<Sha256>(&leaves, 6).expect("sizes 6 and 10 exist");
    let verify = |old_size: u64, new_size: u64, old_root: &Digest, new_root: &Digest, proof: &[Digest]| {
        verify_consistency::<Sha256>(old_size, new_size, old_root, new_root, proof)
    };
    assert_eq!(verify(6, 10, &root_6, &root_10, &proof), Ok(()));
    assert_eq!(verify(0, 10, &root_6, &root_10, &proof), Err(VerifyError::OldSizeZero));
    let above = VerifyError::OldSizeAboveNewSize { old_size: 11, new_size: 10 };
    assert_eq!(verify(11, 10, &root_6, &root_10, &proof), Err(above));
    assert_eq!(verify(6, 10, &root_10, &root_10, &proof), Err(VerifyError::OldRootMismatch));
    assert_eq!(verify(6, 10, &root_6, &root_6, &proof), Err(VerifyError::NewRootMismatch));
    assert_eq!(
        verify(6, 10, &root_6, &root_10, &proof[1..]),
        Err(VerifyError::WrongProofLength { expected: 4, actual: 3 })
    );
    assert_eq!(verify(6, 10, &root_6, &root_10, &[]), Err(VerifyError::WrongProofLength { expected: 4, actual: 0 }));
    assert_eq!(verify(10, 10, &root_10, &root_10, &[]), Ok(()));
    assert_eq!(
        verify(10, 10, &root_10, &root_10, &proof),
        Err(VerifyError::WrongProofLength { expected: 0, actual: 4 })
    );
    assert_eq!(verify(10, 10, &root_6, &root_10, &[]), Err(VerifyError::EqualSizesDifferentRoots));
    assert_eq!(
        VerifyError::RootMismatch.to_string(),
        "root computed from the inclusion proof does not match the expected root"
    );
}

// ---------------------------------------------------------------------------------------------------
// Tampering, on random sizes and indices.

/// The largest tree the property tests draw sizes from.
const SHARED_SIZE: u64 = 300;

/// One tree of `SHARED_SIZE` leaves, built once: every smaller size is answered from it.
struct Shared {
    leaves: Vec<Digest>,
    tree: IncrementalTree<Sha256>,
    store: MemoryNodeStore<Digest>,
    roots: Vec<Digest>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let leaves = leaf_hashes::<Sha256>(SHARED_SIZE);
        let (tree, store) = build::<Sha256>(&leaves);
        let roots = (0..=SHARED_SIZE).map(|size| root::<Sha256>(&leaves[..size as usize])).collect();
        Shared { leaves, tree, store, roots }
    })
}

fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1..=SHARED_SIZE).prop_flat_map(|size| (Just(size), 0..size))
}

fn old_and_new_size() -> impl Strategy<Value = (u64, u64)> {
    (1..=SHARED_SIZE).prop_flat_map(|new_size| (1..=new_size, Just(new_size)))
}

proptest! {
    #[test]
    fn an_inclusion_proof_verifies_and_any_change_breaks_it(
        (size, index) in size_and_index(),
        other_index in 0..SHARED_SIZE,
        other_size in 1..=SHARED_SIZE,
    ) {
        let shared = shared();
        let prefix = &shared.leaves[..size as usize];
        let proof = unwrap_tree(shared.tree.inclusion_proof(&shared.store, index, size));
        prop_assert_eq!(&proof, &reference_path::<Sha256>(index as usize, prefix));
        let root = &shared.roots[size as usize];
        let leaf = &shared.leaves[index as usize];
        prop_assert_eq!(verify_inclusion::<Sha256>(leaf, index, size, &proof, root), Ok(()));

        for hash_position in 0..proof.len() {
            for byte_position in 0..32 {
                let altered = flipped(&proof, hash_position, byte_position);
                prop_assert!(verify_inclusion::<Sha256>(leaf, index, size, &altered, root).is_err());
            }
        }
        let wrong_leaf = Sha256::leaf(b"not an event of this ledger");
        prop_assert!(verify_inclusion::<Sha256>(&wrong_leaf, index, size, &proof, root).is_err());
        if other_index != index {
            let result = verify_inclusion::<Sha256>(leaf, other_index, size, &proof, root);
            prop_assert!(result.is_err());
            // The right leaf hash, but claimed at the wrong place.
            let other_leaf = &shared.leaves[other_index as usize];
            prop_assert!(verify_inclusion::<Sha256>(other_leaf, other_index, size, &proof, root).is_err());
        }
        // The size is checked against the root of that size, as a signed checkpoint pairs them: a few
        // (index, size) pairs share a proof's shape, so the size alone is not bound by the hashes.
        if other_size != size {
            let other_root = &shared.roots[other_size as usize];
            let result = verify_inclusion::<Sha256>(leaf, index, other_size, &proof, other_root);
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn a_consistency_proof_verifies_and_any_change_breaks_it(
        (old_size, new_size) in old_and_new_size(),
        other_size in 1..=SHARED_SIZE,
    ) {
        let shared = shared();
        let proof = unwrap_tree(shared.tree.consistency_proof(&shared.store, old_size, new_size));
        let expected = reference_proof::<Sha256>(old_size as usize, &shared.leaves[..new_size as usize]);
        prop_assert_eq!(&proof, &expected);
        let old_root = &shared.roots[old_size as usize];
        let new_root = &shared.roots[new_size as usize];
        let verify = |old_size: u64, new_size: u64, old_root: &Digest, new_root: &Digest, proof: &[Digest]| {
            verify_consistency::<Sha256>(old_size, new_size, old_root, new_root, proof)
        };
        prop_assert_eq!(verify(old_size, new_size, old_root, new_root, &proof), Ok(()));

        for hash_position in 0..proof.len() {
            for byte_position in 0..32 {
                let altered = flipped(&proof, hash_position, byte_position);
                prop_assert!(verify(old_size, new_size, old_root, new_root, &altered).is_err());
            }
        }
        if other_size != old_size && other_size <= new_size {
            let other_root = &shared.roots[other_size as usize];
            prop_assert!(verify(other_size, new_size, other_root, new_root, &proof).is_err());
            prop_assert!(verify(old_size, new_size, other_root, new_root, &proof).is_err());
        }
        if other_size != new_size && other_size >= old_size {
            let other_root = &shared.roots[other_size as usize];
            prop_assert!(verify(old_size, other_size, old_root, other_root, &proof).is_err());
            prop_assert!(verify(old_size, new_size, old_root, other_root, &proof).is_err());
        }
    }

    #[test]
    fn a_forked_ledger_fails_the_consistency_check(
        (old_size, new_size) in old_and_new_size(),
        fork_seed in any::<u64>(),
    ) {
        // The fork keeps a common prefix and changes one leaf that the old tree already held.
        let shared = shared();
        let fork_at = fork_seed % old_size;
        let mut forked = shared.leaves[..new_size as usize].to_vec();
        forked[fork_at as usize] = Sha256::leaf(b"a rewritten event");
        let (forked_tree, forked_store) = build::<Sha256>(&forked);
        let forked_proof = unwrap_tree(forked_tree.consistency_proof(&forked_store, old_size, new_size));
        let old_root = &shared.roots[old_size as usize];
        let result = verify_consistency::<Sha256>(
            old_size, new_size, old_root, &forked_tree.root(), &forked_proof,
        );
        prop_assert!(result.is_err(), "fork at leaf {} passed", fork_at);
    }
}
