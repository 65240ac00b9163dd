//! `check_unique_keys`: refuses a JSON document in which any object names a key twice.
//!
//! serde_json keeps the last of two equal keys when it builds a map or a `Value`, while other parsers
//! keep the first or refuse: a document like `{"seq":9999,"seq":500}` means different things to
//! different readers, and an attacker can use the difference. Every document the ledger accepts from
//! outside (commands, export lines, histories) passes this check before it is decoded.
//!
//! Invariant: the check reads the text once, keeps only the keys of the objects currently open, and
//! names the first duplicate by its path (`payload.tiers[2].share_per_mille`).

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key found twice in one object, with the path of that object's member.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: duplicate key {key:?}")]
pub struct DuplicateKey {
    /// Where the duplicate is: `key`, `outer.key` or `list[3].key`.
    pub path: String,
    pub key: String,
}

/// Why a text did not pass: it is not JSON, or it names a key twice.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    #[error("not JSON: {0}")]
    Syntax(String),
    #[error(transparent)]
    Duplicate(#[from] DuplicateKey),
}

/// Checks that no object in `text` names a key twice (and that `text` is one JSON value).
pub fn check_unique_keys(text: &[u8]) -> Result<(), StrictJsonError> {
    let mut found: Option<DuplicateKey> = None;
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let outcome = Walk { path: String::new(), found: &mut found }.deserialize(&mut deserializer);
    if let Some(duplicate) = found {
        return Err(duplicate.into());
    }
    outcome.map_err(|error| StrictJsonError::Syntax(error.to_string()))?;
    deserializer.end().map_err(|error| StrictJsonError::Syntax(error.to_string()))
}

/// One value being walked, at `path`; the first duplicate is left in `found`.
struct Walk<'a> {
    path: String,
    found: &'a mut Option<DuplicateKey>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
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

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let path = format!("{}[{index}]", self.path);
            if items.next_element_seed(Walk { path, found: &mut *self.found })?.is_none() {
                return Ok(());
            }
            if self.found.is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        let mut keys: HashSet<String> = HashSet::new();
        while let Some(key) = members.next_key::<String>()? {
            let path = if self.path.is_empty() { key.clone() } else { format!("{}.{key}", self.path) };
            if !keys.insert(key.clone()) {
                *self.found = Some(DuplicateKey { path, key });
                return Err(de::Error::custom("duplicate key"));
            }
            members.next_value_seed(Walk { path, found: &mut *self.found })?;
            if self.found.is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keys_pass_and_the_first_duplicate_is_named_by_its_path() {
        assert_eq!(check_unique_keys(br#"{"a":1,"b":{"a":2},"c":[{"a":1},{"b":2}]}"#), Ok(()));
        let duplicate = |text: &str| match check_unique_keys(text.as_bytes()) {
            Err(StrictJsonError::Duplicate(duplicate)) => duplicate.path,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(duplicate(r#"{"seq":9999,"seq":500}"#), "seq");
        assert_eq!(duplicate(r#"{"data":{"unit":"A","unit":"B"}}"#), "data.unit");
        assert_eq!(duplicate(r#"{"tiers":[{"x":1},{"x":1,"x":2}]}"#), "tiers[1].x");
        assert_eq!(duplicate(r#"[{"a":1,"a":1}]"#), "[0].a");
    }

    #[test]
    fn text_that_is_not_one_json_value_is_refused() {
        assert!(matches!(check_unique_keys(b"{\"a\":"), Err(StrictJsonError::Syntax(_))));
        assert!(matches!(check_unique_keys(b"{} {}"), Err(StrictJsonError::Syntax(_))));
    }
}
