//! `path_at_offset`: which field of a JSON text a byte offset lies in, so that a decoding error can
//! name the field (`outcome.points_restored`, `evidence_digests.2`).
//!
//! Invariant: it only scans the text up to the offset and never fails: on text that is not JSON it
//! returns the best path it saw, which at worst is empty (the error then names the whole payload).

enum Frame {
    /// Inside an object; `key` is the key whose value is being read, once its `:` is seen or while
    /// the key itself is being read.
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path of keys and array indices enclosing byte `offset` of `text`.
pub(crate) fn path_at_offset(text: &str, offset: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut position = 0;
    while position < end {
        position = step(bytes, position, &mut stack);
    }
    stack
        .iter()
        .filter_map(|frame| match frame {
            Frame::Object { key, .. } => key.clone(),
            Frame::Array { index } => Some(index.to_string()),
        })
        .collect()
}

/// Consumes one token starting at `position` and returns the position after it.
fn step(bytes: &[u8], position: usize, stack: &mut Vec<Frame>) -> usize {
    match bytes[position] {
        b'{' => stack.push(Frame::Object { key: None, expecting_key: true }),
        b'[' => stack.push(Frame::Array { index: 0 }),
        b'}' | b']' => {
            stack.pop();
        }
        b',' => match stack.last_mut() {
            Some(Frame::Object { key, expecting_key }) => {
                *key = None;
                *expecting_key = true;
            }
            Some(Frame::Array { index }) => *index += 1,
            None => {}
        },
        b':' => {
            if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                *expecting_key = false;
            }
        }
        b'"' => return read_string(bytes, position, stack),
        _ => {}
    }
    position + 1
}

fn read_string(bytes: &[u8], start: usize, stack: &mut [Frame]) -> usize {
    let mut position = start + 1;
    while position < bytes.len() && bytes[position] != b'"' {
        position += if bytes[position] == b'\\' { 2 } else { 1 };
    }
    if let Some(Frame::Object { key, expecting_key: true }) = stack.last_mut() {
        let raw = &bytes[start + 1..position.min(bytes.len())];
        *key = Some(String::from_utf8_lossy(raw).into_owned());
    }
    position + 1
}

#[cfg(test)]
mod tests {
    use super::path_at_offset;

    #[test]
    fn finds_nested_keys_and_indices() {
        let text = r#"{"a":1,"b":{"c":[10,20,"x"]}}"#;
        let at = |needle: &str| path_at_offset(text, text.find(needle).unwrap() + needle.len());
        assert_eq!(at(r#""a":1"#), vec!["a"]);
        assert_eq!(at(r#"20,"x""#), vec!["b", "c", "2"]);
        assert_eq!(at(r#"]}"#), vec!["b"]);
        assert!(path_at_offset(text, 0).is_empty());
    }
}
