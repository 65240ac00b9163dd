//! The standalone verifier (tools/verifier, issue 6 point 5) against real ledgers: it accepts what the
//! ledger produces, and says exactly what failed for every kind of change an attacker could make.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kpi_ledger::domain::Timestamp;
use kpi_ledger::store::{export, ExpectedVersion, Ledger};
use support::{ids, request};

/// Builds tools/verifier once per test run (it is its own crate, sharing no code with kpi-ledger).
fn verifier() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let target = root.join("target").join("verifier");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(root.join("tools/verifier/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .status()
            .unwrap();
        assert!(status.success(), "building tools/verifier failed");
        target.join("debug").join("kpi-verify")
    })
}

/// Runs the verifier; returns (succeeded, what it printed).
fn verify(args: &[&str]) -> (bool, String) {
    let output = Command::new(verifier()).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn at(day: u8) -> Timestamp {
    Timestamp::from_civil(2017, 8, day, 12, 0, 0).unwrap()
}

struct Audit {
    dir: tempfile::TempDir,
    ledger: Ledger,
    key: String,
}

impl Audit {
    fn new(events: usize) -> Audit {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("ledger")).unwrap();
        let ids = ids("verifier");
        for n in 0..events {
            ledger.append(request(&ids, &format!("s-{}", n % 4), ExpectedVersion::Any, 1)).unwrap();
        }
        let key = hex::encode(ledger.public_key().as_bytes());
        Audit { dir, ledger, key }
    }

    fn write(&self, name: &str, contents: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn export(&self) -> Vec<u8> {
        let mut out = Vec::new();
        export::export(&self.ledger, &mut out, &|_| {}).unwrap();
        out
    }

    fn checkpoint_file(&self, name: &str, day: u8) -> String {
        let checkpoint = self.ledger.checkpoint(at(day)).unwrap();
        self.write(name, &serde_json::to_vec_pretty(&checkpoint).unwrap())
    }
}

#[test]
fn an_export_and_its_checkpoint_verify_and_every_change_is_named() {
    let audit = Audit::new(40);
    let export = audit.export();
    let checkpoint = audit.checkpoint_file("checkpoint.json", 1);
    let file = audit.write("export.jsonl", &export);
    let (ok, text) = verify(&["export", &file, "--key", &audit.key, "--checkpoint", &checkpoint]);
    assert!(ok, "{text}");
    assert!(text.contains("40 events"), "{text}");

    let text_export = String::from_utf8(export.clone()).unwrap();
    let lines: Vec<&str> = text_export.lines().collect();
    let changed_body = text_export.replacen("\"points\":100", "\"points\":0", 1);
    let (ok, text) = verify(&["export", &audit.write("e1", changed_body.as_bytes())]);
    assert!(!ok && text.contains("event 1") && text.contains("hash mismatch"), "{text}");

    let mut swapped = lines.clone();
    swapped.swap(9, 10);
    let (ok, text) = verify(&["export", &audit.write("e2", swapped.join("\n").as_bytes())]);
    assert!(!ok && text.contains("event 10") && text.contains("gap"), "{text}");

    let truncated = lines[..30].join("\n");
    let (ok, text) =
        verify(&["export", &audit.write("e3", truncated.as_bytes()), "--key", &audit.key, "--checkpoint", &checkpoint]);
    assert!(!ok && text.contains("fewer than the checkpoint's tree_size 40"), "{text}");

    let other = Audit::new(3);
    let (ok, text) = verify(&["export", &file, "--key", &other.key, "--checkpoint", &checkpoint]);
    assert!(!ok && text.contains("not by the given key"), "{text}");
}

#[test]
fn a_changed_checkpoint_field_breaks_its_signature() {
    let audit = Audit::new(12);
    let checkpoint = audit.ledger.checkpoint(at(2)).unwrap();
    let json = serde_json::to_value(&checkpoint).unwrap();
    for (field, value) in [
        ("tree_size", serde_json::json!(11)),
        ("root", serde_json::json!("00".repeat(32))),
        ("head_hash", serde_json::json!("11".repeat(32))),
        ("time", serde_json::json!("2017-08-03T12:00:00.000000Z")),
        ("origin", serde_json::json!("kpi-ledger/someone-else")),
    ] {
        let mut changed = json.clone();
        changed[field] = value;
        let file = audit.write("cp.json", &serde_json::to_vec(&changed).unwrap());
        let (ok, text) = verify(&["checkpoint", &file, "--key", &audit.key]);
        assert!(!ok && text.contains("signature does not verify"), "{field}: {text}");
    }
    let file = audit.write("cp.json", &serde_json::to_vec(&json).unwrap());
    assert!(verify(&["checkpoint", &file, "--key", &audit.key]).0);
}

#[test]
fn every_event_of_a_bundle_verifies_and_a_changed_proof_hash_or_leaf_fails() {
    let audit = Audit::new(25);
    let checkpoint = audit.ledger.checkpoint(at(3)).unwrap();
    let seqs: Vec<u64> = (1..=25).collect();
    let bundle = serde_json::to_string_pretty(&audit.ledger.proof_bundle(&seqs, checkpoint).unwrap()).unwrap();
    let (ok, text) = verify(&["bundle", &audit.write("bundle.json", bundle.as_bytes()), "--key", &audit.key]);
    assert!(ok && text.contains("25 events included"), "{text}");

    let value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    let proof_hash = value["events"][6]["inclusion_proof"][1].as_str().unwrap().to_owned();
    let mut flipped = proof_hash.clone();
    flipped.replace_range(0..1, if proof_hash.starts_with('0') { "1" } else { "0" });
    let changed = bundle.replacen(&proof_hash, &flipped, 1);
    let (ok, text) = verify(&["bundle", &audit.write("b1.json", changed.as_bytes()), "--key", &audit.key]);
    assert!(!ok && text.contains("inclusion proof"), "{text}");

    let changed = bundle.replacen("\"points\":100", "\"points\":10", 1);
    let (ok, text) = verify(&["bundle", &audit.write("b2.json", changed.as_bytes()), "--key", &audit.key]);
    assert!(!ok && text.contains("event 1: hash mismatch"), "{text}");

    let changed = bundle.replacen("\"seq\": 7,", "\"seq\": 8,", 1);
    let (ok, text) = verify(&["bundle", &audit.write("b3.json", changed.as_bytes()), "--key", &audit.key]);
    assert!(!ok, "a leaf moved to another index fails: {text}");
}

#[test]
fn consistency_between_checkpoints_holds_and_a_fork_with_the_same_key_is_caught() {
    let audit = Audit::new(30);
    let old = audit.checkpoint_file("old.json", 4);
    let later = ids("later");
    for _ in 0..15 {
        audit.ledger.append(request(&later, "later", ExpectedVersion::Any, 1)).unwrap();
    }
    let new = audit.checkpoint_file("new.json", 5);
    let proof = serde_json::json!({"consistency_proof": audit.ledger.consistency_proof(30, 45).unwrap()});
    let proof_file = audit.write("proof.json", &serde_json::to_vec(&proof).unwrap());
    let (ok, text) =
        verify(&["consistency", "--key", &audit.key, "--old", &old, "--new", &new, "--proof", &proof_file]);
    assert!(ok, "{text}");

    // A forger with the signing key rebuilds the ledger from the first 20 events and rewrites the rest.
    let export = audit.export();
    let prefix: Vec<u8> = export.split_inclusive(|b| *b == b'\n').take(20).flatten().copied().collect();
    let fork_dir = audit.dir.path().join("fork");
    export::import(&fork_dir, &mut prefix.as_slice(), &|_| {}).unwrap();
    std::fs::copy(
        audit.dir.path().join("ledger").join(kpi_ledger::store::signer::KEY_FILE),
        fork_dir.join(kpi_ledger::store::signer::KEY_FILE),
    )
    .unwrap();
    let fork = Ledger::open(&fork_dir).unwrap();
    let forged = ids("forged");
    for _ in 0..25 {
        fork.append(request(&forged, "forged", ExpectedVersion::Any, 1)).unwrap();
    }
    let forked_checkpoint = serde_json::to_vec(&fork.checkpoint(at(6)).unwrap()).unwrap();
    let forked_new = audit.write("forked.json", &forked_checkpoint);
    let proof = serde_json::json!({"consistency_proof": fork.consistency_proof(30, 45).unwrap()});
    let forked_proof = audit.write("forked-proof.json", &serde_json::to_vec(&proof).unwrap());
    let (ok, text) =
        verify(&["consistency", "--key", &audit.key, "--old", &old, "--new", &forked_new, "--proof", &forked_proof]);
    assert!(!ok && text.contains("consistency proof from 30 to 45"), "{text}");
}

#[test]
fn the_ledger_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint() {
    let audit = Audit::new(10);
    audit.ledger.checkpoint(at(7)).unwrap();
    let dir = audit.dir.path().join("ledger");
    drop(audit.ledger);
    {
        let db = support::open_sled_directly(&dir);
        let tree = db.open_tree(kpi_ledger::store::raw::TREE_NAME).unwrap();
        let mut forged = vec![0u8; 40];
        forged[..8].copy_from_slice(&5u64.to_be_bytes());
        tree.insert(kpi_ledger::store::raw::LAST_SIGNED_CHECKPOINT, forged).unwrap();
        db.flush().unwrap();
    }
    let ledger = Ledger::open(&dir).unwrap();
    let error = ledger.checkpoint(at(8)).unwrap_err().to_string();
    assert!(error.contains("refusing to sign"), "{error}");
}
