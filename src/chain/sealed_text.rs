//! The cipher of sealed personal texts (docs/FORMAT.md §9): XChaCha20-Poly1305 under the person's
//! 32-byte key, with a 24-byte nonce drawn by the caller and associated data that binds the person and
//! the field (`domain::personal_text::associated_data`). The ciphertext is part of the event's body, so
//! it is hashed like every other byte; erasing the key leaves it in the chain, unreadable.
//!
//! Invariant: pure — the key and the nonce are arguments (the service draws nonces from its injected
//! randomness), so the same inputs always seal to the same bytes and replays stay byte-identical. A
//! text opens only under the key, person and field it was sealed with.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::domain::personal_text::{associated_data, CiphertextHex, NonceHex, NONCE_BYTES};
use crate::domain::{PersonId, PersonKey, SealedText, TextField};

/// Why a sealed text did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    /// Wrong key, another person or field, or changed bytes: the tag does not verify.
    #[error(
        "the sealed {field} of {person} does not open under its key (another key, person or field, or changed bytes)"
    )]
    DoesNotOpen { person: PersonId, field: &'static str },
    /// It opened, but what it holds is not UTF-8: it was not sealed by the ledger.
    #[error("the sealed {field} of {person} holds no UTF-8 text")]
    NotText { person: PersonId, field: &'static str },
}

/// Why a text could not be sealed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot seal the {field} of {person}: {reason}")]
pub struct SealError {
    pub person: PersonId,
    pub field: &'static str,
    pub reason: String,
}

fn cipher(key: &PersonKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&key.0.into())
}

/// Seals `plain`, the text of `person` in `field`, under `key` with `nonce`.
pub fn seal(
    key: &PersonKey,
    nonce: [u8; NONCE_BYTES],
    person: &PersonId,
    field: TextField,
    plain: &str,
) -> Result<SealedText, SealError> {
    let failed = |reason: String| SealError { person: person.clone(), field: field.as_str(), reason };
    let aad = associated_data(person, field);
    let ciphertext = cipher(key)
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: &aad })
        .map_err(|_| failed("the cipher refused the text".to_owned()))?;
    Ok(SealedText {
        ciphertext: CiphertextHex::from_bytes(ciphertext).map_err(failed)?,
        nonce: NonceHex::from_bytes(nonce),
    })
}

/// Opens `sealed`, the text of `person` in `field`, with `key`.
pub fn open(key: &PersonKey, person: &PersonId, field: TextField, sealed: &SealedText) -> Result<String, UnsealError> {
    let does_not_open = || UnsealError::DoesNotOpen { person: person.clone(), field: field.as_str() };
    let (nonce, ciphertext) = (sealed.nonce.as_bytes(), sealed.ciphertext.as_bytes());
    let aad = associated_data(person, field);
    let plain = cipher(key)
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
        .map_err(|_| does_not_open())?;
    String::from_utf8(plain).map_err(|_| UnsealError::NotText { person: person.clone(), field: field.as_str() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(code: &str) -> PersonId {
        PersonId::new(code).unwrap()
    }

    #[test]
    fn a_text_opens_only_under_its_key_person_and_field() {
        let (key, other_key) = (PersonKey([1; 32]), PersonKey([2; 32]));
        let li = person("YS07-0301");
        let sealed = seal(&key, [9; NONCE_BYTES], &li, TextField::PersonName, "李股长").unwrap();
        assert_eq!(open(&key, &li, TextField::PersonName, &sealed).unwrap(), "李股长");
        assert!(open(&other_key, &li, TextField::PersonName, &sealed).is_err());
        assert!(open(&key, &person("YS07-0302"), TextField::PersonName, &sealed).is_err());
        assert!(open(&key, &li, TextField::ReviewComment, &sealed).is_err());
        assert_eq!(sealed, seal(&key, [9; NONCE_BYTES], &li, TextField::PersonName, "李股长").unwrap(), "pure");
        assert!(!String::from(sealed.ciphertext.clone()).contains(&hex::encode("李股长")));
    }
}
