//! Proof bundles (docs/FORMAT.md §6): a signed checkpoint and some events, each with the body as a
//! JSON string (`body_text`) and an inclusion proof. A bundle is ordinary JSON: it may be re-indented
//! or re-serialised by any tool, because the hashed bytes are the string's content, not its spelling.

use crate::checkpoint::{self, TrustedKey};
use crate::event::{self, GENESIS};
use crate::json::{self, Hash};
use crate::merkle;

const MEMBERS: &[&str] = &["checkpoint", "events"];
const EVENT_MEMBERS: &[&str] = &["seq", "prev_hash", "hash", "body_text", "inclusion_proof"];

/// Checks the checkpoint's signature, then every event against it; returns a summary.
pub fn verify(bytes: &[u8], key: &TrustedKey) -> Result<String, String> {
    let value = json::parse(bytes)?;
    let bundle = json::object(&value, "", MEMBERS)?;
    let checkpoint = checkpoint::verify(bundle.value("checkpoint"), key, "checkpoint")?;
    let events = bundle.array("events")?;
    let mut previous: Option<(u64, Hash)> = None;
    for (index, value) in events.iter().enumerate() {
        if value.get("body").is_some() {
            // The old form carried the body as raw JSON, which no re-serialising tool preserves.
            return Err(format!(
                "events[{index}]: has a body member; a bundled event carries its body as a string, body_text"
            ));
        }
        let fields = json::object(value, &format!("events[{index}]"), EVENT_MEMBERS)?;
        let seq = fields.u64("seq")?;
        let at = |what: String| format!("event {seq}: {what}");
        let prev_hash = fields.hash("prev_hash").map_err(at)?;
        let hash = fields.hash("hash").map_err(at)?;
        let body = fields.str("body_text").map_err(at)?.as_bytes();
        let proof = fields.hashes("inclusion_proof").map_err(at)?;

        // Order first: each event once, by increasing seq, so "consecutive" below means seq k and k + 1.
        if let Some((previous_seq, _)) = previous {
            if seq == previous_seq {
                return Err(at("appears twice; each event is bundled once".into()));
            }
            if seq < previous_seq {
                return Err(at(format!("out of order: it follows event {previous_seq} (events go by increasing seq)")));
            }
        }
        if seq == 0 {
            return Err(at("seq must be at least 1".into()));
        }
        if seq > checkpoint.tree_size {
            return Err(at(format!("beyond the checkpoint's tree_size {}", checkpoint.tree_size)));
        }
        event::check_body(body).map_err(|e| at(format!("body_text: {e}")))?;
        let computed = event::event_hash(&prev_hash, seq, body);
        if computed != hash {
            return Err(at(format!(
                "hash mismatch: stored {}, computed {} from prev_hash, seq and body_text",
                hex::encode(hash),
                hex::encode(computed)
            )));
        }
        if seq == 1 && prev_hash != GENESIS {
            return Err(at("prev_hash must be 32 zero bytes (the genesis value)".into()));
        }
        if let Some((previous_seq, previous_hash)) = previous.filter(|(s, _)| s + 1 == seq) {
            if prev_hash != previous_hash {
                return Err(at(format!(
                    "broken link: prev_hash {} is not the hash of event {previous_seq}, {}",
                    hex::encode(prev_hash),
                    hex::encode(previous_hash)
                )));
            }
        }
        if seq == checkpoint.tree_size && hash != checkpoint.head_hash {
            return Err(at(
                "hash differs from the checkpoint's head_hash (this is the signed tree's last event)".into()
            ));
        }
        merkle::verify_inclusion(&merkle::leaf(&hash), seq - 1, checkpoint.tree_size, &proof, &checkpoint.root)
            .map_err(|e| at(format!("inclusion proof: {e}")))?;
        previous = Some((seq, hash));
    }
    Ok(format!(
        "{} events included in the signed tree of size {} of {}",
        events.len(),
        checkpoint.tree_size,
        checkpoint.origin
    ))
}
