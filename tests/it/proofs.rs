//! The Merkle tree kept by the store (issue 6, points 2 and 6): every event's inclusion proof verifies,
//! consistency proofs link every older size to the newest, the tree survives a restart and an
//! export/import, and sizes beyond the tree are refused.

use crate::support;

use kpi_ledger::chain::merkle::{verify_consistency, verify_inclusion, Blake3, MerkleHash};
use kpi_ledger::chain::Hash;
use kpi_ledger::store::{export, Ledger, ProofError};

fn leaf(hash: &Hash) -> [u8; 32] {
    Blake3::leaf(&hash.0)
}

fn ledger_of(events: u64) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = support::synthetic_ledger(dir.path(), events);
    (dir, ledger)
}

#[test]
fn every_inclusion_proof_verifies_at_every_size() {
    let (_dir, ledger) = ledger_of(70);
    let events = ledger.read_range(1, 100).unwrap();
    for size in 1..=70u64 {
        let root = ledger.merkle_root(size).unwrap().0;
        for event in events.iter().take(size as usize) {
            let proof: Vec<[u8; 32]> =
                ledger.inclusion_proof(event.seq, size).unwrap().into_iter().map(|h| h.0).collect();
            verify_inclusion::<Blake3>(&leaf(&event.hash), event.seq - 1, size, &proof, &root)
                .unwrap_or_else(|e| panic!("event {} in size {size}: {e}", event.seq));
        }
    }
}

#[test]
fn consistency_proofs_link_every_older_size() {
    let (_dir, ledger) = ledger_of(45);
    let newest = ledger.merkle_root(45).unwrap().0;
    for old in 1..=45u64 {
        let old_root = ledger.merkle_root(old).unwrap().0;
        let proof: Vec<[u8; 32]> = ledger.consistency_proof(old, 45).unwrap().into_iter().map(|h| h.0).collect();
        verify_consistency::<Blake3>(old, 45, &old_root, &newest, &proof).unwrap();
    }
}

#[test]
fn a_forked_ledger_fails_the_consistency_check() {
    let (dir, ledger) = ledger_of(30);
    // Build the fork from an export of the first 20 events, then append a different tail.
    let mut exported = Vec::new();
    export::export(&ledger, &mut exported, &|_| {}).unwrap();
    let prefix: Vec<u8> = exported.split_inclusive(|b| *b == b'\n').take(20).flatten().copied().collect();
    let fork_dir = dir.path().join("fork");
    export::import(&fork_dir, &mut prefix.as_slice(), &|_, _, _| Ok(()), &|_| {}).unwrap().commit().unwrap();
    support::copy_key(&ledger, &fork_dir);
    let fork = Ledger::open(&fork_dir).unwrap();
    assert_eq!(fork.merkle_root(20).unwrap(), ledger.merkle_root(20).unwrap(), "the shared prefix agrees");
    for _ in 0..10 {
        support::append_synthetic(&fork, "forged", 1);
    }
    let honest_old = ledger.merkle_root(25).unwrap().0;
    let forked_new = fork.merkle_root(30).unwrap().0;
    let proof: Vec<[u8; 32]> = fork.consistency_proof(25, 30).unwrap().into_iter().map(|h| h.0).collect();
    assert!(verify_consistency::<Blake3>(25, 30, &honest_old, &forked_new, &proof).is_err());
}

#[test]
fn the_tree_survives_a_restart_and_an_export_import() {
    let (dir, ledger) = ledger_of(33);
    let roots: Vec<Hash> = (0..=33).map(|size| ledger.merkle_root(size).unwrap()).collect();
    let mut exported = Vec::new();
    export::export(&ledger, &mut exported, &|_| {}).unwrap();
    drop(ledger);
    let reopened = Ledger::open(dir.path()).unwrap();
    support::append_synthetic(&reopened, "later", 2);
    for (size, root) in roots.iter().enumerate() {
        assert_eq!(reopened.merkle_root(size as u64).unwrap(), *root, "size {size}");
    }
    let imported_dir = dir.path().join("imported");
    export::import(&imported_dir, &mut exported.as_slice(), &|_, _, _| Ok(()), &|_| {}).unwrap().commit().unwrap();
    support::copy_key(&reopened, &imported_dir);
    let imported = Ledger::open(&imported_dir).unwrap();
    assert_eq!(imported.merkle_root(33).unwrap(), roots[33]);
    assert_eq!(imported.inclusion_proof(7, 33).unwrap(), reopened.inclusion_proof(7, 33).unwrap());
}

#[test]
fn sizes_beyond_the_tree_are_refused() {
    let (_dir, ledger) = ledger_of(10);
    assert!(matches!(ledger.merkle_root(11), Err(ProofError::Refused(_))));
    assert!(matches!(ledger.inclusion_proof(3, 11), Err(ProofError::Refused(_))));
    assert!(matches!(ledger.inclusion_proof(11, 10), Err(ProofError::Refused(_))));
    assert!(matches!(ledger.inclusion_proof(0, 10), Err(ProofError::Refused(_))));
    assert!(matches!(ledger.consistency_proof(5, 11), Err(ProofError::Refused(_))));
    assert!(matches!(ledger.consistency_proof(0, 10), Err(ProofError::Refused(_))));
    let error = ledger.merkle_root(11).unwrap_err().to_string();
    assert!(error.contains("11") && error.contains("10"), "{error}");
}
