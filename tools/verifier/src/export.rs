//! The export file (docs/FORMAT.md §2): a byte format, read line by line in constant memory. Every line
//! must be exactly the canonical header, the body bytes and `}` `\n`; then the chain is walked as §1.3
//! says and, with a checkpoint, its head and Merkle root are compared with the signed ones.

use std::io::{BufRead, Read};

use crate::checkpoint::Checkpoint;
use crate::event::{self, EVENT_BODY_BYTES_MAX, GENESIS};
use crate::json::{self, Hash};
use crate::merkle;
use crate::Failure;

/// The longest header: `{"seq":` and 20 digits (u64::MAX), the two hashes and `,"body":`.
const HEADER_BYTES_MAX: usize = SEQ.len() + 20 + PREV_HASH.len() + 64 + HASH.len() + 64 + BODY.len();

/// The longest valid line without its `\n`: header, the largest body and the closing `}`.
const LINE_BYTES_MAX: usize = HEADER_BYTES_MAX + EVENT_BODY_BYTES_MAX + 1;

const SEQ: &[u8] = b"{\"seq\":";
const PREV_HASH: &[u8] = b",\"prev_hash\":\"";
const HASH: &[u8] = b"\",\"hash\":\"";
const BODY: &[u8] = b"\",\"body\":";

/// What the export held: its size and its last event's hash.
pub struct Verified {
    pub events: u64,
    pub head: Hash,
}

/// Walks the export; with a checkpoint, event `tree_size` must have its `head_hash` and the first
/// `tree_size` events its `root`. Reading errors are usage errors, everything else a failed check.
pub fn verify(input: &mut dyn BufRead, checkpoint: Option<&Checkpoint>) -> Result<Verified, Failure> {
    let mut expected_prev = GENESIS;
    let mut tree = merkle::Peaks::default();
    if let Some(checkpoint) = checkpoint.filter(|c| c.tree_size == 0) {
        compare(checkpoint, &tree, &expected_prev)?;
    }
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        // One byte past the longest valid line and its newline tells a too-long line from a valid one.
        let read = (&mut *input)
            .take(LINE_BYTES_MAX as u64 + 2)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::Usage(format!("reading the export: {e}")))?;
        if read == 0 {
            break;
        }
        number += 1;
        let at = |what: String| Failure::Check(format!("line {number}: {what}"));
        if line.pop() != Some(b'\n') {
            if read > LINE_BYTES_MAX {
                return Err(at(format!(
                    "longer than any valid line ({LINE_BYTES_MAX} bytes): its body would be over the limit of 65,536 bytes"
                )));
            }
            return Err(at(
                "does not end in a newline: the file is truncated (every line, the last too, ends in \\n)".into()
            ));
        }
        if line.last() == Some(&b'\r') {
            return Err(at("ends in CR LF: lines end in LF alone".into()));
        }
        if line.is_empty() {
            return Err(at("blank line".into()));
        }
        let parsed = split_line(&line).map_err(at)?;
        let at = |what: String| Failure::Check(format!("event {number} (line {number}): {what}"));
        if parsed.seq != number {
            return Err(at(format!("gap: found seq {}", parsed.seq)));
        }
        if parsed.prev_hash != expected_prev {
            return Err(at(format!(
                "broken link: prev_hash {} should be {}",
                hex::encode(parsed.prev_hash),
                hex::encode(expected_prev)
            )));
        }
        let computed = event::event_hash(&parsed.prev_hash, parsed.seq, parsed.body);
        if computed != parsed.hash {
            return Err(at(format!(
                "hash mismatch: stored {}, computed {}",
                hex::encode(parsed.hash),
                hex::encode(computed)
            )));
        }
        tree.push(merkle::leaf(&parsed.hash));
        if let Some(checkpoint) = checkpoint.filter(|c| c.tree_size == number) {
            compare(checkpoint, &tree, &parsed.hash)?;
        }
        expected_prev = parsed.hash;
    }
    if let Some(checkpoint) = checkpoint.filter(|c| c.tree_size > number) {
        return Err(Failure::Check(format!(
            "export has {number} events, fewer than the checkpoint's tree_size {} (truncated?)",
            checkpoint.tree_size
        )));
    }
    Ok(Verified { events: number, head: expected_prev })
}

fn compare(checkpoint: &Checkpoint, tree: &merkle::Peaks, head: &Hash) -> Result<(), Failure> {
    let size = checkpoint.tree_size;
    if *head != checkpoint.head_hash {
        return Err(Failure::Check(format!("event {size}: hash differs from the checkpoint's head_hash")));
    }
    if tree.root() != checkpoint.root {
        return Err(Failure::Check(format!(
            "merkle root of the first {size} events differs from the checkpoint's root"
        )));
    }
    Ok(())
}

/// One export line: the header's fields and the body bytes, verbatim.
struct Line<'a> {
    seq: u64,
    prev_hash: Hash,
    hash: Hash,
    body: &'a [u8],
}

/// Splits a line (without its `\n`) after checking it is one JSON object without duplicate keys, that
/// its header is byte for byte the canonical one and that its body is a body (FORMAT.md §1.1).
fn split_line(line: &[u8]) -> Result<Line<'_>, String> {
    // A line is one line, so serde_json's "line 1 column N" is a byte position within it.
    json::check_no_duplicate_keys(line).map_err(|e| e.replace(" at line 1 column ", " at byte "))?;
    let mut cursor = Cursor { line, at: 0 };
    cursor.literal(SEQ)?;
    let seq = cursor.seq()?;
    cursor.literal(PREV_HASH)?;
    let prev_hash = cursor.hash("prev_hash")?;
    cursor.literal(HASH)?;
    let hash = cursor.hash("hash")?;
    cursor.literal(BODY)?;
    let body = line[cursor.at..].strip_suffix(b"}").ok_or("nothing may follow the } that closes the line")?;
    event::check_body(body).map_err(|e| format!("body: {e}"))?;
    Ok(Line { seq, prev_hash, hash, body })
}

/// Reads the header from the left, naming the first byte that differs from the canonical form.
struct Cursor<'a> {
    line: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn literal(&mut self, expected: &[u8]) -> Result<(), String> {
        if !self.line[self.at..].starts_with(expected) {
            return Err(format!(
                "header is not canonical: expected {} at byte {}; a header is exactly \
                 {{\"seq\":N,\"prev_hash\":\"<64 lower-case hex>\",\"hash\":\"<64 lower-case hex>\",\"body\": \
                 (these members in this order, no spaces)",
                String::from_utf8_lossy(expected),
                self.at + 1
            ));
        }
        self.at += expected.len();
        Ok(())
    }

    fn seq(&mut self) -> Result<u64, String> {
        let digits = self.line[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let text = std::str::from_utf8(&self.line[self.at..self.at + digits]).expect("ASCII digits");
        if digits == 0 {
            return Err(format!(
                "header is not canonical: expected the digits of seq at byte {} (no spaces, no sign)",
                self.at + 1
            ));
        }
        if text.starts_with('0') {
            return Err("header is not canonical: seq has a leading zero".into());
        }
        self.at += digits;
        text.parse().map_err(|_| format!("seq {text} is too large"))
    }

    fn hash(&mut self, name: &str) -> Result<Hash, String> {
        let text = self
            .line
            .get(self.at..self.at + 64)
            .and_then(|t| std::str::from_utf8(t).ok())
            .ok_or_else(|| format!("{name}: expected 64 lower-case hex digits"))?;
        let hash = json::lower_hex(text).map_err(|e| format!("{name}: {e}"))?;
        self.at += 64;
        Ok(hash)
    }
}
