//! Strict JSON reading (docs/FORMAT.md, "Conventions"): a document is refused when any object in it
//! has a duplicate key, and objects are read member by member, refusing unknown and missing members
//! and any hex that is not lower-case.
//!
//! serde_json keeps the last value of a duplicate key when it builds a `Value`, while other parsers
//! keep the first or refuse: `{"seq":9999,"seq":500}` would mean different things to different
//! readers. So every document goes through [`check_no_duplicate_keys`] before anything else reads it.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub type Hash = [u8; 32];

/// Checks that `bytes` are exactly one JSON value (surrounding whitespace allowed) in which no object
/// has the same key twice; the error names the path of the first duplicate, e.g. `events[0].seq`.
pub fn check_no_duplicate_keys(bytes: &[u8]) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let outcome =
        Walk { parent: None, step: Step::Root }.deserialize(&mut deserializer).and_then(|()| deserializer.end());
    outcome.map_err(|error| match error.classify() {
        // The only data errors a walk raises are its own duplicate-key reports; serde_json appends a
        // position, which the path already gives more usefully.
        serde_json::error::Category::Data => {
            let message = error.to_string();
            let position = format!(" at line {} column {}", error.line(), error.column());
            message.strip_suffix(&position).unwrap_or(&message).to_owned()
        }
        _ => format!("not JSON: {error}"),
    })
}

/// Parses one JSON document after refusing duplicate keys, so the `Value` holds every member there is.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    check_no_duplicate_keys(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))
}

/// One step from a value to one of its children.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// A visitor that reads any JSON value and remembers how it got there; the path is only rendered when
/// a duplicate is found, so a walk allocates nothing per value but the keys themselves.
#[derive(Clone, Copy)]
struct Walk<'a> {
    parent: Option<&'a Walk<'a>>,
    step: Step<'a>,
}

impl Walk<'_> {
    fn path(&self) -> String {
        let mut steps = vec![self.step];
        let mut at = self.parent;
        while let Some(walk) = at {
            steps.push(walk.step);
            at = walk.parent;
        }
        let mut path = String::new();
        for step in steps.into_iter().rev() {
            match step {
                Step::Root => {}
                Step::Key(key) if is_plain(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Key(key) => path.push_str(&format!("[{}]", Value::from(key))),
                Step::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        path
    }
}

/// Keys that read unambiguously after a dot; others are written as `["quoted key"]`.
fn is_plain(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq.next_element_seed(Walk { parent: Some(&self), step: Step::Index(index) })?.is_some() {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        // Keys are compared after unescaping, as every parser compares them: "a" and "\u0061" are one key.
        while let Some(key) = map.next_key::<String>()? {
            let child = Walk { parent: Some(&self), step: Step::Key(&key) };
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("duplicate key {}", child.path())));
            }
            map.next_value_seed(child)?;
            seen.insert(key);
        }
        Ok(())
    }
}

/// A JSON object known to have exactly the expected members; `path` names it in messages.
pub struct Object<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// Reads `value` as an object with exactly `members`: no member missing, none unknown.
pub fn object<'a>(value: &'a Value, path: &str, members: &[&str]) -> Result<Object<'a>, String> {
    let map = value.as_object().ok_or_else(|| format!("{}expected a JSON object", prefix(path)))?;
    if let Some(unknown) = map.keys().find(|key| !members.contains(&key.as_str())) {
        return Err(format!(
            "{}unknown member {} (the members are exactly {})",
            prefix(path),
            Value::from(unknown.as_str()),
            members.join(", ")
        ));
    }
    if let Some(missing) = members.iter().find(|member| !map.contains_key(**member)) {
        return Err(format!("{}missing member {missing}", prefix(path)));
    }
    Ok(Object { map, path: path.to_owned() })
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

impl<'a> Object<'a> {
    /// The name of a member for messages: `events[2].seq`, or `seq` at the top.
    pub fn name(&self, member: &str) -> String {
        if self.path.is_empty() {
            member.to_owned()
        } else {
            format!("{}.{member}", self.path)
        }
    }

    pub fn value(&self, member: &str) -> &'a Value {
        // `object` checked that every expected member is there.
        &self.map[member]
    }

    /// A whole number from 0 to 2^64 − 1 written as a JSON integer (no fraction, no exponent).
    pub fn u64(&self, member: &str) -> Result<u64, String> {
        self.value(member).as_u64().ok_or_else(|| format!("{}: expected a whole number", self.name(member)))
    }

    pub fn str(&self, member: &str) -> Result<&'a str, String> {
        self.value(member).as_str().ok_or_else(|| format!("{}: expected a string", self.name(member)))
    }

    pub fn array(&self, member: &str) -> Result<&'a [Value], String> {
        self.value(member)
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| format!("{}: expected an array", self.name(member)))
    }

    /// A 32-byte hash as 64 lower-case hex digits.
    pub fn hash(&self, member: &str) -> Result<Hash, String> {
        lower_hex(self.str(member)?).map_err(|e| format!("{}: {e}", self.name(member)))
    }

    /// An array of 32-byte hashes, each 64 lower-case hex digits.
    pub fn hashes(&self, member: &str) -> Result<Vec<Hash>, String> {
        let name = self.name(member);
        self.array(member)?
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let text = item.as_str().ok_or_else(|| format!("{name}[{index}]: expected a string"))?;
                lower_hex(text).map_err(|e| format!("{name}[{index}]: {e}"))
            })
            .collect()
    }
}

/// Decodes exactly `2·N` lower-case hex digits. Upper-case is refused, not folded: every hex value in
/// the format has one spelling, the one that is signed and hashed.
pub fn lower_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let expected = || format!("expected {} lower-case hex digits", 2 * N);
    if text.len() != 2 * N {
        return Err(format!("{}, found {} characters", expected(), text.chars().count()));
    }
    if text.bytes().any(|b| b.is_ascii_uppercase()) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{}, found upper-case hex (only lower-case is accepted)", expected()));
    }
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(expected());
    }
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| expected())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_named_by_their_path() {
        assert_eq!(check_no_duplicate_keys(br#"{"seq":9999,"seq":500}"#), Err("duplicate key seq".into()));
        assert_eq!(
            check_no_duplicate_keys(br#"{"events":[{},{"a":{"b":1,"b":2}}]}"#),
            Err("duplicate key events[1].a.b".into())
        );
        assert_eq!(check_no_duplicate_keys(br#"{"a b":{"x":1,"\u0078":2}}"#), Err(r#"duplicate key ["a b"].x"#.into()));
        assert_eq!(check_no_duplicate_keys(br#"[{"a":1},{"a":1}]"#), Ok(()));
        assert!(check_no_duplicate_keys(br#"{"a":1} {}"#).unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn hex_is_lower_case_only() {
        assert_eq!(lower_hex::<2>("0aff"), Ok([0x0a, 0xff]));
        assert!(lower_hex::<2>("0AFF").unwrap_err().contains("upper-case"));
        assert!(lower_hex::<2>("0af").is_err());
        assert!(lower_hex::<2>("0afg").is_err());
    }
}
