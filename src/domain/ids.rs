//! Identifiers: codes people type (units, persons, indicators, function codes, schemes), problem
//! categories, evidence digests, access token hashes, and the uuids that name assessment facts and
//! events; and `hidden_character`, the characters no name, id or text may hold because they act on
//! the display that shows them instead of being read.
//!
//! Invariant: a value of any of these types is well-formed. Codes use only `A-Z`, `0-9` and `-`, so
//! they can be joined with `.` into stream ids without ambiguity; a digest or a token hash is 64
//! lower-case hex digits.

use std::fmt;

use compact_str::CompactString;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits::{CODE_CHARS_MAX, PROBLEM_CATEGORY_CHARS_MAX};

/// What `c` is when it is a character that acts on the display instead of being read: every control
/// character (Unicode general category Cc: NUL, ESC, CR, LF, DEL and the C1 block U+0080–U+009F), every
/// bidirectional formatting character (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and the
/// line and paragraph separators U+2028 and U+2029. `None` for every other character.
///
/// The rules refuse these in names and ids (and all but the line feed in free text); the command line
/// escapes them wherever it prints stored text, since older ledgers may already hold them.
pub fn hidden_character(c: char) -> Option<&'static str> {
    match c {
        _ if c.is_control() => Some("control character"),
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            Some("bidirectional formatting character")
        }
        '\u{2028}' => Some("line separator"),
        '\u{2029}' => Some("paragraph separator"),
        _ => None,
    }
}

fn is_code(text: &str, chars_max: usize) -> bool {
    let starts_well = text.chars().next().is_some_and(|first| first.is_ascii_uppercase() || first.is_ascii_digit());
    let chars_valid = text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    starts_well && chars_valid && text.len() <= chars_max
}

/// A blake3 hash as text: 64 lower-case hex digits.
fn is_blake3_hex(text: &str) -> bool {
    text.len() == 64 && text.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Deserialises a string through `parse`, failing inside the string's own deserialisation so that
/// serde_json reports the position of the offending value (and `command` can name its field).
pub(crate) fn deserialize_checked<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct CheckedVisitor<T> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, String>,
    }
    impl<T> Visitor<'_> for CheckedVisitor<T> {
        type Value = T;
        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            (self.parse)(text).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(CheckedVisitor { expecting, parse })
}

/// Implements `Deserialize` through `deserialize_checked` and the type's `new`.
macro_rules! deserialize_via_new {
    ($name:ident, $what:literal) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                deserialize_checked(deserializer, $what, |text| $name::new(text))
            }
        }
    };
}

/// Declares a code newtype that is validated on construction and on deserialisation. The text is
/// kept inline (a `CompactString`: up to 24 bytes without a heap allocation, the same size as a
/// `String`), so the codes a million persons carry — their staff code, their unit — cost no
/// allocation each, and copying one is a copy of 24 bytes.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(CompactString);

        deserialize_via_new!($name, $what);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl $name {
            /// Checks the text; the error says what a valid one looks like.
            pub fn new(text: impl AsRef<str>) -> Result<$name, String> {
                let text = text.as_ref();
                if is_code(text, CODE_CHARS_MAX) {
                    Ok($name(CompactString::new(text)))
                } else {
                    Err(format!(
                        concat!($what, " must be 1 to {} characters of A-Z, 0-9 and '-', starting with a letter or digit, got {:?}"),
                        CODE_CHARS_MAX, text
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<$name, String> {
                $name::new(text)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0.into_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// A unit's code: `YS` (the city), `YS07` (a county), `YS07-BGS` (a section of it).
    UnitCode,
    "a unit code"
);
code_type!(
    /// A person's staff code, unique across the administration.
    PersonId,
    "a person id"
);
code_type!(
    /// An indicator's code inside its scheme: `ZG-04`.
    IndicatorCode,
    "an indicator code"
);
code_type!(
    /// What a section does (`ZG` personnel), so that the same section of other counties is comparable.
    FunctionCode,
    "a function code"
);

/// A scheme is one issuer's plan for one year; its id is `<issuer>-<year>`, e.g. `YS-2017`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct SchemeId(String);

deserialize_via_new!(SchemeId, "a scheme id");

impl SchemeId {
    pub fn for_issuer_year(issuer: &UnitCode, year: i32) -> SchemeId {
        SchemeId(format!("{issuer}-{year:04}"))
    }

    pub fn new(text: impl Into<String>) -> Result<SchemeId, String> {
        let text = text.into();
        let parts = text.rsplit_once('-').filter(|(issuer, year)| {
            UnitCode::new(*issuer).is_ok() && year.len() == 4 && year.chars().all(|c| c.is_ascii_digit())
        });
        match parts {
            Some(_) => Ok(SchemeId(text)),
            None => Err(format!("a scheme id must be `<issuer unit code>-<year>`, e.g. \"YS-2017\", got {text:?}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SchemeId {
    type Error = String;
    fn try_from(text: String) -> Result<SchemeId, String> {
        SchemeId::new(text)
    }
}

impl From<SchemeId> for String {
    fn from(id: SchemeId) -> String {
        id.0
    }
}

impl fmt::Display for SchemeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of problem a deduction is for (`document_filing`), so that "the same kind of problem
/// again" is countable: lower-case letters, digits and `_`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct ProblemCategory(String);

deserialize_via_new!(ProblemCategory, "a problem category");

impl ProblemCategory {
    pub fn new(text: impl Into<String>) -> Result<ProblemCategory, String> {
        let text = text.into();
        let valid = !text.is_empty()
            && text.len() <= PROBLEM_CATEGORY_CHARS_MAX
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(ProblemCategory(text))
        } else {
            Err(format!(
                "a problem category must be 1 to {PROBLEM_CATEGORY_CHARS_MAX} characters of a-z, 0-9 and '_', got {text:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProblemCategory {
    type Error = String;
    fn try_from(text: String) -> Result<ProblemCategory, String> {
        ProblemCategory::new(text)
    }
}

impl From<ProblemCategory> for String {
    fn from(category: ProblemCategory) -> String {
        category.0
    }
}

impl fmt::Display for ProblemCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The blake3 digest of an evidence document, as 64 lower-case hex digits. The document itself stays
/// outside the ledger; the digest proves which document was meant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct EvidenceDigest(String);

deserialize_via_new!(EvidenceDigest, "an evidence digest");

impl EvidenceDigest {
    pub fn new(text: impl Into<String>) -> Result<EvidenceDigest, String> {
        let text = text.into();
        if is_blake3_hex(&text) {
            Ok(EvidenceDigest(text))
        } else {
            Err(format!("an evidence digest must be 64 lower-case hex digits (blake3), got {text:?}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EvidenceDigest {
    type Error = String;
    fn try_from(text: String) -> Result<EvidenceDigest, String> {
        EvidenceDigest::new(text)
    }
}

impl From<EvidenceDigest> for String {
    fn from(digest: EvidenceDigest) -> String {
        digest.0
    }
}

/// The blake3 hash of a bearer token, as 64 lower-case hex digits. The token itself is shown once to
/// its holder and never reaches the domain or the ledger; the hash is all that is needed to recognise
/// it, and it cannot be turned back into the token.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct TokenHash(String);

deserialize_via_new!(TokenHash, "a token hash");

impl TokenHash {
    pub fn new(text: impl Into<String>) -> Result<TokenHash, String> {
        let text = text.into();
        if is_blake3_hex(&text) {
            Ok(TokenHash(text))
        } else {
            Err(format!("a token hash must be 64 lower-case hex digits (blake3 of the token), got {text:?}"))
        }
    }

    /// The same check as `new`, for text borrowed from a request (an `Authorization` header's hash).
    pub fn parse(text: &str) -> Result<TokenHash, String> {
        TokenHash::new(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TokenHash {
    type Error = String;
    fn try_from(text: String) -> Result<TokenHash, String> {
        TokenHash::new(text)
    }
}

impl From<TokenHash> for String {
    fn from(hash: TokenHash) -> String {
        hash.0
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 public key that signs the ledger's checkpoints, as 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct PublicKeyHex(String);

deserialize_via_new!(PublicKeyHex, "a public key");

impl PublicKeyHex {
    pub fn new(text: impl Into<String>) -> Result<PublicKeyHex, String> {
        let text = text.into();
        if is_blake3_hex(&text) {
            Ok(PublicKeyHex(text))
        } else {
            Err(format!("a public key must be 64 lower-case hex digits (Ed25519), got {text:?}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<PublicKeyHex> for String {
    fn from(key: PublicKeyHex) -> String {
        key.0
    }
}

impl fmt::Display for PublicKeyHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a uuid newtype: ids that the service generates and injects, never the domain.
macro_rules! uuid_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

uuid_type!(
    /// An event in the ledger, as the envelope names it; links and references point at these.
    EventId
);
uuid_type!(
    /// A recorded deduction.
    DeductionId
);
uuid_type!(
    /// A tier award.
    TierAwardId
);
uuid_type!(
    /// An awarded bonus.
    BonusId
);
uuid_type!(
    /// An applied veto.
    VetoId
);
uuid_type!(
    /// An appeal, from filing through escalation to its last decision.
    AppealId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked() {
        assert!(UnitCode::new("YS07-BGS").is_ok());
        assert!(UnitCode::new("ys07").is_err());
        assert!(UnitCode::new("-YS").is_err());
        assert!(UnitCode::new("").is_err());
        assert!(UnitCode::new("A".repeat(33)).is_err());
        assert!(UnitCode::new("YS.07").is_err());
    }

    #[test]
    fn scheme_ids_name_issuer_and_year() {
        let issuer = UnitCode::new("YS").unwrap();
        assert_eq!(SchemeId::for_issuer_year(&issuer, 2017).as_str(), "YS-2017");
        assert!(SchemeId::new("YS-2017").is_ok());
        assert!(SchemeId::new("YS-17").is_err());
        assert!(SchemeId::new("2017").is_err());
    }

    #[test]
    fn digests_are_64_lower_hex() {
        assert!(EvidenceDigest::new("a".repeat(64)).is_ok());
        assert!(EvidenceDigest::new("A".repeat(64)).is_err());
        assert!(EvidenceDigest::new("a".repeat(63)).is_err());
        assert!(TokenHash::new("0".repeat(64)).is_ok());
        assert!(TokenHash::new("F".repeat(64)).is_err());
        assert!(TokenHash::new("f".repeat(65)).is_err());
        assert!(TokenHash::new("g".repeat(64)).is_err());
        assert!(ProblemCategory::new("document_filing").is_ok());
        assert!(ProblemCategory::new("Document filing").is_err());
    }

    #[test]
    fn hidden_characters_are_controls_bidi_controls_and_separators() {
        let hidden = [
            '\0', '\u{1b}', '\r', '\n', '\t', '\u{7f}', '\u{80}', '\u{85}', '\u{9b}', '\u{9f}', '\u{61c}', '\u{200e}',
            '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}',
        ];
        for c in hidden {
            assert!(hidden_character(c).is_some(), "{c:?} is hidden");
        }
        assert_eq!(hidden_character('\u{1b}'), Some("control character"));
        assert_eq!(hidden_character('\u{202e}'), Some("bidirectional formatting character"));
        assert_eq!(hidden_character('\u{2028}'), Some("line separator"));
        for c in
            ['a', ' ', '丙', '\u{a0}', '\u{200b}', '\u{200d}', '\u{2065}', '\u{206a}', '\u{202f}', '\u{3000}', '😀']
        {
            assert_eq!(hidden_character(c), None, "{c:?} is shown as itself");
        }
    }
}
