//! One event's hash and the rules for its body bytes (docs/FORMAT.md §1.1, §1.2), shared by exports
//! and bundles.

use crate::json::{self, Hash};

/// The first bytes of every event hash input (FORMAT.md §1.2).
const EVENT_TAG: &[u8] = b"kpi-ledger/event/v1\n";

/// The largest body, in bytes (FORMAT.md §1.1, EVENT_BODY_BYTES_MAX in kpi-ledger).
pub const EVENT_BODY_BYTES_MAX: usize = 65_536;

/// The previous hash of the event with seq 1.
pub const GENESIS: Hash = [0; 32];

/// blake3(TAG ‖ prev_hash ‖ u64(seq) ‖ u64(len(body)) ‖ body).
pub fn event_hash(prev_hash: &Hash, seq: u64, body: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(EVENT_TAG);
    hasher.update(prev_hash);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&(body.len() as u64).to_be_bytes());
    hasher.update(body);
    *hasher.finalize().as_bytes()
}

/// Checks that `body` is a body at all: at most 65,536 bytes of UTF-8 that are one JSON object, from
/// its `{` to its `}` with nothing around them, and without a duplicate key at any depth. The hash is
/// over these bytes, so two readers must agree on what they say.
pub fn check_body(body: &[u8]) -> Result<(), String> {
    if body.len() > EVENT_BODY_BYTES_MAX {
        return Err(format!("{} bytes, over the limit of 65,536 bytes", body.len()));
    }
    std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    json::check_no_duplicate_keys(body)?;
    if body.first() != Some(&b'{') || body.last() != Some(&b'}') {
        return Err("expected a JSON object, starting with { and ending with } (no whitespace around it)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(check_body(br#"{"a":[1,{"b":2}]}"#), Ok(()));
        assert!(check_body(br#" {"a":1}"#).is_err());
        assert!(check_body(br#"{"a":1} "#).is_err());
        assert!(check_body(b"[1]").is_err());
        assert!(check_body(br#"{"a":1,"a":1}"#).unwrap_err().contains("duplicate key a"));
        let mut big = br#"{"a":""#.to_vec();
        big.resize(EVENT_BODY_BYTES_MAX - 2, b'x');
        big.extend_from_slice(br#""}"#);
        assert_eq!(check_body(&big), Ok(()));
        big.insert(10, b'x');
        assert!(check_body(&big).unwrap_err().contains("over the limit"));
    }
}
