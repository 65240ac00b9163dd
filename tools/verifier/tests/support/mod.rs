//! Files built by hand from docs/FORMAT.md for the verifier's tests: a chain of events, its exports,
//! signed checkpoints, bundles and consistency files, with a Merkle tree written straight from the
//! recursive definitions of RFC 9162 §2.1 (not the verifier's iterative algorithms it checks).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

pub type Hash = [u8; 32];

pub const ORIGIN: &str = "kpi-ledger/0123456789abcdef";
pub const TIME: &str = "2017-07-19T12:00:00.000000Z";

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

pub fn key_hex() -> String {
    hex::encode(signing_key().verifying_key().as_bytes())
}

/// One event as the ledger stores it.
#[derive(Clone, Debug)]
pub struct Event {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub body: Vec<u8>,
}

pub fn event_hash(prev_hash: &Hash, seq: u64, body: &[u8]) -> Hash {
    let mut input = b"kpi-ledger/event/v1\n".to_vec();
    input.extend_from_slice(prev_hash);
    input.extend_from_slice(&seq.to_be_bytes());
    input.extend_from_slice(&(body.len() as u64).to_be_bytes());
    input.extend_from_slice(body);
    *blake3::hash(&input).as_bytes()
}

/// A body like the ledger writes: envelope members in order, then `data` with sorted keys. Event 2
/// holds a quote, a backslash, an escaped and a raw non-ASCII character, which a bundle must carry
/// through any re-serialisation unchanged.
pub fn body(seq: u64) -> Vec<u8> {
    let name = if seq == 2 { r#"caf\u00e9 \"Ø\" \\ x"# } else { "plain" };
    format!(
        r#"{{"event_id":"0190a5c8-0000-7000-8000-{seq:012}","stream":"unit:YS07","stream_version":{seq},"type":"DeductionRecorded","schema_version":1,"recorded_at":"2017-07-11T09:00:00.000000Z","actor":{{"id":"u1","role":"assessor"}},"command_id":null,"causation_id":null,"correlation_id":null,"data":{{"name":"{name}","points":100}}}}"#
    )
    .into_bytes()
}

/// A well-formed chain of `n` events whose bodies are `body(seq)`.
pub fn chain(n: u64) -> Vec<Event> {
    chain_of((1..=n).map(body).collect())
}

/// A well-formed chain over the given bodies: every hash and link is right, whatever the bodies are.
pub fn chain_of(bodies: Vec<Vec<u8>>) -> Vec<Event> {
    let mut prev_hash = [0; 32];
    let mut events = Vec::new();
    for (index, body) in bodies.into_iter().enumerate() {
        let seq = index as u64 + 1;
        let hash = event_hash(&prev_hash, seq, &body);
        events.push(Event { seq, prev_hash, hash, body });
        prev_hash = hash;
    }
    events
}

pub fn export_line(event: &Event) -> Vec<u8> {
    let mut line = format!(
        r#"{{"seq":{},"prev_hash":"{}","hash":"{}","body":"#,
        event.seq,
        hex::encode(event.prev_hash),
        hex::encode(event.hash)
    )
    .into_bytes();
    line.extend_from_slice(&event.body);
    line.extend_from_slice(b"}\n");
    line
}

pub fn export(events: &[Event]) -> Vec<u8> {
    events.iter().flat_map(export_line).collect()
}

fn leaf(event_hash: &Hash) -> Hash {
    let mut input = vec![0x00];
    input.extend_from_slice(event_hash);
    *blake3::hash(&input).as_bytes()
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut input = vec![0x01];
    input.extend_from_slice(left);
    input.extend_from_slice(right);
    *blake3::hash(&input).as_bytes()
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH over the event hashes `d`.
pub fn root(d: &[Hash]) -> Hash {
    match d.len() {
        0 => *blake3::hash(b"").as_bytes(),
        1 => leaf(&d[0]),
        n => {
            let k = split(n);
            node(&root(&d[..k]), &root(&d[k..]))
        }
    }
}

/// PATH(m, D[n]).
pub fn inclusion(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return Vec::new();
    }
    let k = split(d.len());
    if m < k {
        let mut path = inclusion(m, &d[..k]);
        path.push(root(&d[k..]));
        path
    } else {
        let mut path = inclusion(m - k, &d[k..]);
        path.push(root(&d[..k]));
        path
    }
}

/// PROOF(m, D[n]).
pub fn consistency(m: usize, d: &[Hash]) -> Vec<Hash> {
    fn subproof(m: usize, d: &[Hash], whole: bool) -> Vec<Hash> {
        if m == d.len() {
            return if whole { Vec::new() } else { vec![root(d)] };
        }
        let k = split(d.len());
        if m <= k {
            let mut proof = subproof(m, &d[..k], whole);
            proof.push(root(&d[k..]));
            proof
        } else {
            let mut proof = subproof(m - k, &d[k..], false);
            proof.push(root(&d[..k]));
            proof
        }
    }
    subproof(m, d, true)
}

pub fn hashes(events: &[Event]) -> Vec<Hash> {
    events.iter().map(|e| e.hash).collect()
}

fn hex_list(list: &[Hash]) -> Value {
    list.iter().map(hex::encode).collect()
}

/// The signed text of FORMAT.md §5.
pub fn signed_text(fields: &Value) -> String {
    format!(
        "kpi-ledger checkpoint v1\norigin {}\ntree_size {}\nroot {}\nhead_hash {}\ntime {}\n",
        fields["origin"].as_str().unwrap(),
        fields["tree_size"],
        fields["root"].as_str().unwrap(),
        fields["head_hash"].as_str().unwrap(),
        fields["time"].as_str().unwrap()
    )
}

/// Signs `fields` (origin, tree_size, root, head_hash, time) with the test key, adding the key and
/// the signature.
pub fn sign(mut fields: Value) -> Value {
    let key = signing_key();
    let signature = key.sign(signed_text(&fields).as_bytes());
    fields["public_key"] = json!(key_hex());
    fields["signature"] = json!(hex::encode(signature.to_bytes()));
    fields
}

/// The signed checkpoint of the first `size` events.
pub fn checkpoint(events: &[Event], size: usize) -> Value {
    let head = if size == 0 { [0; 32] } else { events[size - 1].hash };
    sign(json!({
        "origin": ORIGIN,
        "tree_size": size,
        "root": hex::encode(root(&hashes(&events[..size]))),
        "head_hash": hex::encode(head),
        "time": TIME,
    }))
}

/// One bundle event with its inclusion proof in the tree of the first `size` events.
pub fn bundle_event(events: &[Event], seq: u64, size: usize) -> Value {
    let event = &events[seq as usize - 1];
    json!({
        "seq": seq,
        "prev_hash": hex::encode(event.prev_hash),
        "hash": hex::encode(event.hash),
        "body_text": String::from_utf8(event.body.clone()).unwrap(),
        "inclusion_proof": hex_list(&inclusion(seq as usize - 1, &hashes(&events[..size]))),
    })
}

pub fn bundle(events: &[Event], seqs: &[u64], size: usize) -> Value {
    json!({
        "checkpoint": checkpoint(events, size),
        "events": seqs.iter().map(|seq| bundle_event(events, *seq, size)).collect::<Vec<_>>(),
    })
}

pub fn consistency_file(events: &[Event], old_size: usize, new_size: usize) -> Value {
    let d = hashes(&events[..new_size]);
    json!({
        "old_size": old_size,
        "new_size": new_size,
        "old_root": hex::encode(root(&d[..old_size])),
        "new_root": hex::encode(root(&d)),
        "consistency_proof": hex_list(&consistency(old_size, &d)),
    })
}

/// A fresh directory for one test's files.
pub struct Dir(PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kpi-verify-tests").join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    pub fn json(&self, name: &str, value: &Value) -> String {
        self.write(name, serde_json::to_vec(value).unwrap())
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

/// What one run of the verifier did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_kpi-verify")).args(args).output().unwrap();
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Asserts the run verified: exit 0, `OK: ` on stdout, nothing on stderr.
#[track_caller]
pub fn assert_ok(run: &Run) {
    assert!(run.code == 0 && run.stdout.starts_with("OK: ") && run.stderr.is_empty(), "{run:?}");
}

/// Asserts the run failed a check (exit 1) with `FAILED: ` on stderr containing every one of `words`.
#[track_caller]
pub fn assert_failed(run: &Run, words: &[&str]) {
    assert!(run.code == 1 && run.stdout.is_empty() && run.stderr.starts_with("FAILED: "), "{run:?}");
    for word in words {
        assert!(run.stderr.contains(word), "expected {word:?} in {:?}", run.stderr);
    }
}

/// Asserts a usage error: exit 2, the message and the usage text on stderr.
#[track_caller]
pub fn assert_usage(run: &Run, words: &[&str]) {
    assert!(run.code == 2 && run.stdout.is_empty() && run.stderr.contains("usage:"), "{run:?}");
    for word in words {
        assert!(run.stderr.contains(word), "expected {word:?} in {:?}", run.stderr);
    }
}
