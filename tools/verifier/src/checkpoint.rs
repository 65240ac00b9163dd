//! Signed checkpoints (docs/FORMAT.md §5): the JSON object is read strictly, the signed text is rebuilt
//! from its fields and the signature must verify under the key the auditor trusts.

use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::Value;

use crate::json::{self, lower_hex, Hash};
use crate::merkle;

/// The first line of the signed text.
const CHECKPOINT_TAG: &str = "kpi-ledger checkpoint v1";

/// The members of a checkpoint object, exactly.
const MEMBERS: &[&str] = &["origin", "tree_size", "root", "head_hash", "time", "public_key", "signature"];

/// The public key the auditor obtained out of band, and its one spelling (64 lower-case hex digits).
pub struct TrustedKey {
    key: VerifyingKey,
    hex: String,
}

impl TrustedKey {
    pub fn parse(text: &str) -> Result<TrustedKey, String> {
        let bytes: [u8; 32] = lower_hex(text)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| "not an Ed25519 public key".to_owned())?;
        Ok(TrustedKey { key, hex: text.to_owned() })
    }
}

/// What a verified checkpoint states.
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root: Hash,
    pub head_hash: Hash,
}

/// Reads the checkpoint object `value` and checks its signature under `key`; `label` names it in
/// messages (`checkpoint`, `old checkpoint`).
pub fn verify(value: &Value, key: &TrustedKey, label: &str) -> Result<Checkpoint, String> {
    let at = |message: String| format!("{label}: {message}");
    let fields = json::object(value, "", MEMBERS).map_err(at)?;
    let origin = fields.str("origin").map_err(at)?;
    check_origin(origin).map_err(|e| at(format!("origin: {e}")))?;
    let tree_size = fields.u64("tree_size").map_err(at)?;
    let root = fields.hash("root").map_err(at)?;
    let head_hash = fields.hash("head_hash").map_err(at)?;
    let time = fields.str("time").map_err(at)?;
    check_time(time).map_err(|e| at(format!("time: {e}")))?;
    let public_key = fields.str("public_key").map_err(at)?;
    lower_hex::<32>(public_key).map_err(|e| at(format!("public_key: {e}")))?;
    let signature: [u8; 64] =
        lower_hex(fields.str("signature").map_err(at)?).map_err(|e| at(format!("signature: {e}")))?;
    if public_key != key.hex {
        return Err(at(format!("signed by {public_key}, not by the given key {}", key.hex)));
    }
    // `time` enters the signed text as the raw JSON string: nothing is re-formatted.
    let text = format!(
        "{CHECKPOINT_TAG}\norigin {origin}\ntree_size {tree_size}\nroot {}\nhead_hash {}\ntime {time}\n",
        hex::encode(root),
        hex::encode(head_hash)
    );
    // Strict verification also refuses small-order keys and non-canonical signatures, so one statement
    // has one valid signature.
    key.key
        .verify_strict(text.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| at("signature does not verify".into()))?;
    if tree_size == 0 && head_hash != [0; 32] {
        return Err(at("tree_size is 0 but head_hash is not 32 zero bytes".into()));
    }
    if tree_size == 0 && root != merkle::Peaks::default().root() {
        return Err(at("tree_size is 0 but root is not the root of the empty tree, blake3(\"\")".into()));
    }
    Ok(Checkpoint { origin: origin.to_owned(), tree_size, root, head_hash })
}

/// `kpi-ledger/` and 16 lower-case hex digits, chosen at random when the ledger's key was made.
fn check_origin(origin: &str) -> Result<(), String> {
    origin
        .strip_prefix("kpi-ledger/")
        .and_then(|name| lower_hex::<8>(name).ok())
        .map(|_| ())
        .ok_or_else(|| format!("{} is not kpi-ledger/ followed by 16 lower-case hex digits", Value::from(origin)))
}

/// RFC 3339 UTC with exactly six fractional digits: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, a real date and time.
fn check_time(time: &str) -> Result<(), String> {
    let wrong = || format!("{} is not YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, six fractional digits)", Value::from(time));
    let bytes = time.as_bytes();
    let shape = bytes.len() == 27
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'.',
            26 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(wrong());
    }
    let number = |from: usize, to: usize| time[from..to].parse::<u32>().expect("digits");
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(wrong()),
    };
    if day == 0 || day > days || number(11, 13) > 23 || number(14, 16) > 59 || number(17, 19) > 59 {
        return Err(wrong());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert!(check_time("2017-07-19T12:00:00.000000Z").is_ok());
        assert!(check_time("2016-02-29T23:59:59.999999Z").is_ok());
        for wrong in [
            "2017-07-19T12:00:00Z",
            "2017-07-19T12:00:00.000Z",
            "2017-07-19T12:00:00.000000+00:00",
            "2017-07-19t12:00:00.000000Z",
            "2017-02-29T12:00:00.000000Z",
            "2017-13-01T12:00:00.000000Z",
            "2017-07-19T24:00:00.000000Z",
            "2017-07-19T12:00:60.000000Z",
        ] {
            assert!(check_time(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn origins() {
        assert!(check_origin("kpi-ledger/0123456789abcdef").is_ok());
        assert!(check_origin("kpi-ledger/0123456789ABCDEF").is_err());
        assert!(check_origin("kpi-ledger:test").is_err());
        assert!(check_origin("kpi-ledger/0123456789abcde").is_err());
    }
}
