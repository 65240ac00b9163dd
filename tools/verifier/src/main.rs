//! kpi-verify: checks a kpi-ledger export, checkpoint, proof bundle or consistency proof with nothing
//! but the files and the ledger's public key. Written from docs/FORMAT.md alone; it shares no code with
//! kpi-ledger, so a bug there cannot hide itself here.
//!
//! Exit status: 0 when everything checked out, 1 when a check failed (the message says exactly
//! which), 2 for usage errors.

mod merkle;

use std::io::BufRead;
use std::process::ExitCode;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

const EVENT_TAG: &[u8] = b"kpi-ledger/event/v1\n";
const CHECKPOINT_TAG: &str = "kpi-ledger checkpoint v1";

const USAGE: &str = "usage:
  kpi-verify export FILE [--key HEX --checkpoint CHECKPOINT.json]
  kpi-verify checkpoint CHECKPOINT.json --key HEX
  kpi-verify bundle BUNDLE.json --key HEX
  kpi-verify consistency --key HEX --old OLD_CHECKPOINT.json --new NEW_CHECKPOINT.json --proof PROOF.json";

type Hash = [u8; 32];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("export") => verify_export(&args[1..]),
        Some("checkpoint") => verify_checkpoint_file(&args[1..]),
        Some("bundle") => verify_bundle(&args[1..]),
        Some("consistency") => verify_consistency_files(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(summary) => {
            println!("OK: {summary}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Check(message)) => {
            println!("FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    Check(String),
}

fn check(message: impl Into<String>) -> Failure {
    Failure::Check(message.into())
}

/// The value after `--name`, if given.
fn option(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn required(args: &[String], name: &str) -> Result<String, Failure> {
    option(args, name).ok_or_else(|| Failure::Usage(format!("{name} is required")))
}

fn positional(args: &[String]) -> Result<String, Failure> {
    args.first().filter(|a| !a.starts_with("--")).cloned().ok_or_else(|| Failure::Usage("a file is required".into()))
}

fn read_json(path: &str) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| check(format!("{path}: not JSON: {e}")))
}

fn parse_key(text: &str) -> Result<VerifyingKey, Failure> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Failure::Usage("--key: expected 64 hex digits".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| Failure::Usage("--key: not an Ed25519 public key".into()))
}

fn hash_field(value: &Value, field: &str) -> Result<Hash, Failure> {
    value
        .get(field)
        .and_then(Value::as_str)
        .and_then(|text| hex::decode(text).ok())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| check(format!("{field}: expected 64 hex digits")))
}

fn u64_field(value: &Value, field: &str) -> Result<u64, Failure> {
    value.get(field).and_then(Value::as_u64).ok_or_else(|| check(format!("{field}: expected a whole number")))
}

fn str_field<'a>(value: &'a Value, field: &str) -> Result<&'a str, Failure> {
    value.get(field).and_then(Value::as_str).ok_or_else(|| check(format!("{field}: expected a string")))
}

/// FORMAT.md §1.2: blake3(TAG ‖ prev_hash ‖ u64(seq) ‖ u64(len(body)) ‖ body).
fn event_hash(prev_hash: &Hash, seq: u64, body: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(EVENT_TAG);
    hasher.update(prev_hash);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&(body.len() as u64).to_be_bytes());
    hasher.update(body);
    *hasher.finalize().as_bytes()
}

/// One export line split as FORMAT.md §2 says: the header fields, and the body bytes verbatim.
struct Line<'a> {
    seq: u64,
    prev_hash: Hash,
    hash: Hash,
    body: &'a [u8],
}

fn split_line(line: &[u8]) -> Result<Line<'_>, String> {
    const SEPARATOR: &[u8] = b",\"body\":";
    let at = line.windows(SEPARATOR.len()).position(|w| w == SEPARATOR).ok_or("no body")?;
    let body = line[at + SEPARATOR.len()..].strip_suffix(b"}").ok_or("line does not end with }")?;
    let mut header_text = line[..at].to_vec();
    header_text.push(b'}');
    let header: Value = serde_json::from_slice(&header_text).map_err(|e| format!("header: {e}"))?;
    serde_json::from_slice::<Value>(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let field = |name| hash_field(&header, name).map_err(|_| format!("{name}: expected 64 hex digits"));
    Ok(Line {
        seq: header.get("seq").and_then(Value::as_u64).ok_or("seq: expected a whole number")?,
        prev_hash: field("prev_hash")?,
        hash: field("hash")?,
        body,
    })
}

/// Walks the export, checking every link and hash (FORMAT.md §1.3); with a checkpoint, also its
/// signature, its head hash and its Merkle root over the first `tree_size` events.
fn verify_export(args: &[String]) -> Result<String, Failure> {
    let path = positional(args)?;
    let checkpoint = match (option(args, "--key"), option(args, "--checkpoint")) {
        (Some(key), Some(file)) => Some(verified_checkpoint(&read_json(&file)?, &parse_key(&key)?)?),
        (None, None) => None,
        _ => return Err(Failure::Usage("--key and --checkpoint go together".into())),
    };
    let file = std::fs::File::open(&path).map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    let mut expected_prev = [0u8; 32];
    let mut tree = merkle::Peaks::default();
    let mut checkpoint_root_seen = checkpoint.as_ref().map(|c| c.tree_size == 0);
    let mut count = 0u64;
    for (index, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| check(format!("{path}: {e}")))?;
        let expected_seq = index as u64 + 1;
        let at = |what: String| check(format!("event {expected_seq} (line {expected_seq}): {what}"));
        let parsed = split_line(&line).map_err(at)?;
        if parsed.seq != expected_seq {
            return Err(at(format!("gap: found seq {}", parsed.seq)));
        }
        if parsed.prev_hash != expected_prev {
            return Err(at(format!(
                "broken link: prev_hash {} should be {}",
                hex::encode(parsed.prev_hash),
                hex::encode(expected_prev)
            )));
        }
        let computed = event_hash(&parsed.prev_hash, parsed.seq, parsed.body);
        if computed != parsed.hash {
            return Err(at(format!(
                "hash mismatch: stored {}, computed {}",
                hex::encode(parsed.hash),
                hex::encode(computed)
            )));
        }
        tree.push(merkle::leaf(&parsed.hash));
        if let Some(checkpoint) = &checkpoint {
            if checkpoint.tree_size == parsed.seq {
                check_against_checkpoint(checkpoint, &tree, &parsed.hash)?;
                checkpoint_root_seen = Some(true);
            }
        }
        expected_prev = parsed.hash;
        count = expected_seq;
    }
    if checkpoint_root_seen == Some(false) {
        let size = checkpoint.map_or(0, |c| c.tree_size);
        return Err(check(format!(
            "export has {count} events, fewer than the checkpoint's tree_size {size} (truncated?)"
        )));
    }
    let with = if checkpoint.is_some() { ", matches the signed checkpoint" } else { "" };
    Ok(format!("{count} events, every hash and link verified, head {}{with}", hex::encode(expected_prev)))
}

fn check_against_checkpoint(checkpoint: &Checkpoint, tree: &merkle::Peaks, head: &Hash) -> Result<(), Failure> {
    if *head != checkpoint.head_hash {
        return Err(check(format!("event {}: hash differs from the checkpoint's head_hash", checkpoint.tree_size)));
    }
    if tree.root() != checkpoint.root {
        return Err(check(format!(
            "merkle root of the first {} events differs from the checkpoint's root",
            checkpoint.tree_size
        )));
    }
    Ok(())
}

struct Checkpoint {
    origin: String,
    tree_size: u64,
    root: Hash,
    head_hash: Hash,
}

/// FORMAT.md §5: the signed text is rebuilt from the fields; the signature must verify under `key`.
fn verified_checkpoint(value: &Value, key: &VerifyingKey) -> Result<Checkpoint, Failure> {
    let public_key = str_field(value, "public_key")?;
    if !public_key.eq_ignore_ascii_case(&hex::encode(key.as_bytes())) {
        return Err(check(format!("checkpoint: signed by {public_key}, not by the given key")));
    }
    let checkpoint = Checkpoint {
        origin: str_field(value, "origin")?.to_owned(),
        tree_size: u64_field(value, "tree_size")?,
        root: hash_field(value, "root")?,
        head_hash: hash_field(value, "head_hash")?,
    };
    let text = format!(
        "{CHECKPOINT_TAG}\norigin {}\ntree_size {}\nroot {}\nhead_hash {}\ntime {}\n",
        checkpoint.origin,
        checkpoint.tree_size,
        hex::encode(checkpoint.root),
        hex::encode(checkpoint.head_hash),
        str_field(value, "time")?
    );
    let signature: [u8; 64] = hex::decode(str_field(value, "signature")?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| check("checkpoint: signature is not 64 bytes of hex"))?;
    key.verify(text.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| check("checkpoint: signature does not verify"))?;
    Ok(checkpoint)
}

fn verify_checkpoint_file(args: &[String]) -> Result<String, Failure> {
    let checkpoint = verified_checkpoint(&read_json(&positional(args)?)?, &parse_key(&required(args, "--key")?)?)?;
    Ok(format!("checkpoint of {} at tree size {} is signed by the given key", checkpoint.origin, checkpoint.tree_size))
}

/// FORMAT.md §6: each event's hash is recomputed from its body, and its inclusion proof must lead to
/// the signed root.
fn verify_bundle(args: &[String]) -> Result<String, Failure> {
    let bundle = read_json(&positional(args)?)?;
    let key = parse_key(&required(args, "--key")?)?;
    let checkpoint = verified_checkpoint(bundle.get("checkpoint").ok_or_else(|| check("checkpoint: missing"))?, &key)?;
    let raw_events = raw_bundle_events(&positional(args)?)?;
    let events = bundle.get("events").and_then(Value::as_array).ok_or_else(|| check("events: expected an array"))?;
    for (event, raw) in events.iter().zip(&raw_events) {
        let seq = u64_field(event, "seq")?;
        let at = |what: String| check(format!("event {seq}: {what}"));
        // The body's bytes exactly as they stand in the file: re-serialising would change them.
        let hash = event_hash(&hash_field(event, "prev_hash")?, seq, raw.body.get().as_bytes());
        if hash != hash_field(event, "hash")? {
            return Err(at("hash mismatch: the body or prev_hash was changed".into()));
        }
        let proof = event
            .get("inclusion_proof")
            .and_then(Value::as_array)
            .ok_or_else(|| at("inclusion_proof: expected an array".into()))?
            .iter()
            .map(|h| h.as_str().and_then(|t| hex::decode(t).ok()).and_then(|b| b.try_into().ok()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| at("inclusion_proof: expected hashes of 64 hex digits".into()))?;
        if seq == 0 {
            return Err(at("seq must be at least 1".into()));
        }
        merkle::verify_inclusion(&merkle::leaf(&hash), seq - 1, checkpoint.tree_size, &proof, &checkpoint.root)
            .map_err(|e| at(format!("inclusion proof: {e}")))?;
    }
    Ok(format!("{} events included in the signed tree of size {}", events.len(), checkpoint.tree_size))
}

#[derive(serde::Deserialize)]
struct RawBundle {
    events: Vec<RawEvent>,
}

#[derive(serde::Deserialize)]
struct RawEvent {
    body: Box<serde_json::value::RawValue>,
}

fn raw_bundle_events(path: &str) -> Result<Vec<RawEvent>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    let bundle: RawBundle = serde_json::from_str(&text).map_err(|e| check(format!("{path}: events: {e}")))?;
    Ok(bundle.events)
}

fn verify_consistency_files(args: &[String]) -> Result<String, Failure> {
    let key = parse_key(&required(args, "--key")?)?;
    let old = verified_checkpoint(&read_json(&required(args, "--old")?)?, &key)?;
    let new = verified_checkpoint(&read_json(&required(args, "--new")?)?, &key)?;
    if old.origin != new.origin {
        return Err(check(format!("checkpoints of different ledgers: {} and {}", old.origin, new.origin)));
    }
    let proof_file = read_json(&required(args, "--proof")?)?;
    let proof = proof_file
        .get("consistency_proof")
        .and_then(Value::as_array)
        .ok_or_else(|| check("consistency_proof: expected an array"))?
        .iter()
        .map(|h| h.as_str().and_then(|t| hex::decode(t).ok()).and_then(|b| b.try_into().ok()))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| check("consistency_proof: expected hashes of 64 hex digits"))?;
    merkle::verify_consistency(old.tree_size, new.tree_size, &old.root, &new.root, &proof)
        .map_err(|e| check(format!("consistency proof from {} to {}: {e}", old.tree_size, new.tree_size)))?;
    Ok(format!("the tree of size {} extends the tree of size {}", new.tree_size, old.tree_size))
}
