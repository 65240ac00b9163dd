//! Personal texts (个人信息, PIPL) as events hold them: a person's name, the text of their weekly
//! record, a comment on it and a review's comment. Each is either plain text — the form version 1 of
//! those events stored, before texts were sealed, and still a legitimate stored form — or sealed: the
//! ciphertext of an AEAD under a key of the person's own, which lives outside the ledger. Erasing the
//! key erases every sealed text of the person while the events' bytes, and so the chain, stay as they
//! were hashed.
//!
//! Invariant: the domain never holds a key and never sees the plain text of a sealed value; it keeps,
//! folds and compares texts as stored. Sealing and opening happen at the service's edge, with the
//! cipher of `chain::sealed_text`; a stored sealed text is always well-formed hex of bounded length.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::ids::{deserialize_checked, PersonId};
use crate::limits::TEXT_CHARS_MAX;

/// Bytes of an XChaCha20-Poly1305 nonce.
pub const NONCE_BYTES: usize = 24;

/// Bytes of the Poly1305 tag every ciphertext ends with.
pub const TAG_BYTES: usize = 16;

/// The longest ciphertext a sealed text may hold: the longest text (`TEXT_CHARS_MAX` characters of at
/// most 4 UTF-8 bytes each) and its tag. Anything longer was never sealed by the ledger.
pub const CIPHERTEXT_BYTES_MAX: usize = TEXT_CHARS_MAX * 4 + TAG_BYTES;

/// Which personal text a value is: bound into the cipher's associated data with the person, so a
/// ciphertext moved to another field or another person no longer opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextField {
    PersonName,
    WeeklyRecordText,
    WeeklyRecordComment,
    ReviewComment,
    GradeReason,
    PersonalAssessmentReason,
}

impl TextField {
    /// The field as the associated data names it: the event type and the member that holds it.
    pub const fn as_str(self) -> &'static str {
        match self {
            TextField::PersonName => "PersonRegistered.name",
            TextField::WeeklyRecordText => "WeeklyRecordFiled.text",
            TextField::WeeklyRecordComment => "WeeklyRecordCommented.comment",
            TextField::ReviewComment => "PersonReviewed.comment",
            TextField::GradeReason => "GradeRecorded.reason",
            TextField::PersonalAssessmentReason => "PersonalIndicatorAssessed.reason",
        }
    }
}

/// The associated data a text of `person` in `field` is sealed with (docs/FORMAT.md §9):
/// `"kpi-ledger/sealed-text/v1\n" ‖ u64(len(person)) ‖ person ‖ u64(len(field)) ‖ field`, lengths
/// big-endian, so that no two (person, field) pairs give the same bytes.
pub fn associated_data(person: &PersonId, field: TextField) -> Vec<u8> {
    let mut data = b"kpi-ledger/sealed-text/v1\n".to_vec();
    for part in [person.as_str(), field.as_str()] {
        data.extend_from_slice(&(part.len() as u64).to_be_bytes());
        data.extend_from_slice(part.as_bytes());
    }
    data
}

/// A person's key: 32 bytes, never in the ledger. Its `Debug` shows nothing of it, so a key cannot
/// reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonKey(pub [u8; 32]);

impl fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonKey(…)")
    }
}

/// The bytes of lower-case hex whose decoded length `check` accepts.
fn bytes_of_lower_hex(text: &str, what: &str, check: impl Fn(usize) -> Result<(), String>) -> Result<Vec<u8>, String> {
    let lower = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !lower || !text.len().is_multiple_of(2) {
        return Err(format!("{what} must be lower-case hex digits, an even number of them"));
    }
    check(text.len() / 2).map_err(|reason| format!("{what}: {reason}"))?;
    hex::decode(text).map_err(|_| format!("{what} must be lower-case hex digits, an even number of them"))
}

/// A nonce: 24 bytes, written as 48 lower-case hex digits. Held as its bytes, so a million persons'
/// names in the facts cost no allocation each for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct NonceHex([u8; NONCE_BYTES]);

impl NonceHex {
    /// The nonce its hex text writes.
    pub fn new(text: impl Into<String>) -> Result<NonceHex, String> {
        let exact = |bytes| match bytes == NONCE_BYTES {
            true => Ok(()),
            false => Err(format!("expected {NONCE_BYTES} bytes, got {bytes}")),
        };
        let bytes = bytes_of_lower_hex(&text.into(), "a nonce", exact)?;
        Ok(NonceHex(bytes.try_into().map_err(|_| format!("a nonce: expected {NONCE_BYTES} bytes"))?))
    }

    pub const fn from_bytes(bytes: [u8; NONCE_BYTES]) -> NonceHex {
        NonceHex(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; NONCE_BYTES] {
        &self.0
    }
}

impl From<NonceHex> for String {
    fn from(nonce: NonceHex) -> String {
        hex::encode(nonce.0)
    }
}

impl<'de> Deserialize<'de> for NonceHex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NonceHex, D::Error> {
        deserialize_checked(deserializer, "a nonce", |text| NonceHex::new(text))
    }
}

/// A ciphertext: the encrypted text and its 16-byte tag, written as lower-case hex. Held as its
/// bytes (half the memory of its hex).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct CiphertextHex(Box<[u8]>);

impl CiphertextHex {
    /// The ciphertext its hex text writes.
    pub fn new(text: impl Into<String>) -> Result<CiphertextHex, String> {
        let bytes = bytes_of_lower_hex(&text.into(), "a ciphertext", ciphertext_length)?;
        Ok(CiphertextHex(bytes.into_boxed_slice()))
    }

    /// The ciphertext of these bytes, if a sealed text may be that long.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CiphertextHex, String> {
        ciphertext_length(bytes.len()).map_err(|reason| format!("a ciphertext: {reason}"))?;
        Ok(CiphertextHex(bytes.into_boxed_slice()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn ciphertext_length(bytes: usize) -> Result<(), String> {
    match (TAG_BYTES..=CIPHERTEXT_BYTES_MAX).contains(&bytes) {
        true => Ok(()),
        false => Err(format!("expected {TAG_BYTES} to {CIPHERTEXT_BYTES_MAX} bytes, got {bytes}")),
    }
}

impl From<CiphertextHex> for String {
    fn from(ciphertext: CiphertextHex) -> String {
        hex::encode(ciphertext.0)
    }
}

impl<'de> Deserialize<'de> for CiphertextHex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CiphertextHex, D::Error> {
        deserialize_checked(deserializer, "a ciphertext", |text| CiphertextHex::new(text))
    }
}

/// A text sealed under its person's key: `{"ciphertext": hex, "nonce": hex}` in an event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedText {
    pub ciphertext: CiphertextHex,
    pub nonce: NonceHex,
}

/// A personal text as stored: plain (a JSON string, version 1 of its event) or sealed (an object,
/// version 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PersonalText {
    Plain(String),
    Sealed(SealedText),
}

impl PersonalText {
    /// The version of its event that stores this form: 1 for plain text, 2 for sealed.
    pub const fn schema_version(&self) -> u32 {
        match self {
            PersonalText::Plain(_) => 1,
            PersonalText::Sealed(_) => 2,
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, PersonalText::Sealed(_))
    }

    /// The plain text, if it is one (never the content of a sealed text: that takes the person's key).
    pub fn plain(&self) -> Option<&str> {
        match self {
            PersonalText::Plain(text) => Some(text),
            PersonalText::Sealed(_) => None,
        }
    }
}

impl From<String> for PersonalText {
    fn from(text: String) -> PersonalText {
        PersonalText::Plain(text)
    }
}

impl From<&str> for PersonalText {
    fn from(text: &str) -> PersonalText {
        PersonalText::Plain(text.to_owned())
    }
}

impl From<SealedText> for PersonalText {
    fn from(sealed: SealedText) -> PersonalText {
        PersonalText::Sealed(sealed)
    }
}

/// Plain text as it is; a sealed text as a placeholder, never its ciphertext (the service's views
/// replace sealed texts before anything is shown).
impl fmt::Display for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonalText::Plain(text) => f.write_str(text),
            PersonalText::Sealed(_) => f.write_str("（已加密）"),
        }
    }
}

impl Serialize for PersonalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PersonalText::Plain(text) => serializer.serialize_str(text),
            PersonalText::Sealed(sealed) => sealed.serialize(serializer),
        }
    }
}

/// A string is plain text and an object a sealed one; anything else is refused by name. (A sequence
/// is a sealed text too: MessagePack may write a struct as one.)
impl<'de> Deserialize<'de> for PersonalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PersonalText, D::Error> {
        deserializer.deserialize_any(PersonalTextVisitor)
    }
}

struct PersonalTextVisitor;

impl<'de> Visitor<'de> for PersonalTextVisitor {
    type Value = PersonalText;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a personal text: a string, or a sealed text {\"ciphertext\", \"nonce\"}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<PersonalText, E> {
        Ok(PersonalText::Plain(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<PersonalText, E> {
        Ok(PersonalText::Plain(text))
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<PersonalText, M::Error> {
        SealedText::deserialize(de::value::MapAccessDeserializer::new(map)).map(PersonalText::Sealed)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<PersonalText, S::Error> {
        SealedText::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(PersonalText::Sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> SealedText {
        SealedText {
            ciphertext: CiphertextHex::new("ab".repeat(20)).unwrap(),
            nonce: NonceHex::new("0".repeat(48)).unwrap(),
        }
    }

    #[test]
    fn a_string_is_plain_and_an_object_is_sealed() {
        let plain: PersonalText = serde_json::from_str("\"李股长\"").unwrap();
        assert_eq!(plain, PersonalText::Plain("李股长".into()));
        let text = serde_json::to_string(&PersonalText::Sealed(sealed())).unwrap();
        assert!(text.starts_with("{\"ciphertext\":"), "{text}");
        assert_eq!(serde_json::from_str::<PersonalText>(&text).unwrap(), PersonalText::Sealed(sealed()));
        assert_eq!((plain.schema_version(), PersonalText::Sealed(sealed()).schema_version()), (1, 2));
    }

    #[test]
    fn malformed_sealed_texts_are_refused() {
        for bad in [
            r#"{"ciphertext": "AB", "nonce": "000000000000000000000000000000000000000000000000"}"#,
            r#"{"ciphertext": "abababababababababababababababab", "nonce": "00"}"#,
            r#"{"ciphertext": "abababababababababababababababab", "nonce": "000000000000000000000000000000000000000000000000", "x": 1}"#,
            "12",
        ] {
            assert!(serde_json::from_str::<PersonalText>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn associated_data_binds_person_and_field() {
        let a = PersonId::new("YS07-0301").unwrap();
        let b = PersonId::new("YS07-0302").unwrap();
        assert_ne!(associated_data(&a, TextField::PersonName), associated_data(&b, TextField::PersonName));
        assert_ne!(associated_data(&a, TextField::PersonName), associated_data(&a, TextField::ReviewComment));
        assert_eq!(format!("{:?}", PersonKey([7; 32])), "PersonKey(…)");
    }
}
