//! Stream ids: which stream each kind of fact belongs to.
//!
//! A stream is the unit of atomic append and of optimistic concurrency, so its boundary is drawn
//! around the facts that one decision must see unchanged:
//!
//! - `unit-<unit>`: a unit's registration, renames, retirement;
//! - `person-<person>`: a person's registration, moves, retirement;
//! - `scheme-<scheme>`: the scheme's settings and every indicator definition, revision, retirement
//!   (indicator codes are unique inside the scheme, so defining one must see them all);
//! - `plan-<scheme>.<unit>`: how one assessed unit takes the scheme over — assignments to sections and
//!   not-applicable marks (the unit's performance office writes it alone);
//! - `period-<scheme>.<period>`: one base period's lifecycle: opened, published, finalised, reopened;
//! - `assessment-<scheme>.<period>.<unit>`: everything assessed about one unit in one base period —
//!   tier awards, deductions and their withdrawals, bonuses, vetoes, cause attributions,
//!   rectifications, and the appeals against them. "Points left on an indicator" and "one open appeal
//!   per deduction" are checks over exactly this stream, so appending with the expected version of this
//!   stream makes them race-free.
//! - `access-<first 32 hex digits of the token hash>`: one bearer token's grant and its revocation.
//!   "A token hash is granted once ever" and "only a granted, unrevoked token is revoked" are checks
//!   over exactly this stream, so appending with its expected version makes them race-free. 128 bits
//!   of a blake3 hash keep tokens apart as surely as the whole hash and keep the id short (two tokens
//!   sharing a stream would share only its version, not their facts, which carry the full hash).
//!
//! - `ledger-settings`: settings of the whole ledger (its time zone).
//!
//! Invariant: codes never contain `.`, so the joined id is unambiguous, and every id is at most
//! `STREAM_ID_BYTES_MAX` characters of `[A-Za-z0-9._:@-]`.

use super::ids::{PersonId, SchemeId, TokenHash, UnitCode};
use super::period::PeriodId;

/// The stream of the ledger's own settings.
pub const SETTINGS_STREAM: &str = "ledger-settings";

pub fn unit_stream(unit: &UnitCode) -> String {
    format!("unit-{unit}")
}

pub fn person_stream(person: &PersonId) -> String {
    format!("person-{person}")
}

pub fn scheme_stream(scheme: &SchemeId) -> String {
    format!("scheme-{scheme}")
}

pub fn plan_stream(scheme: &SchemeId, unit: &UnitCode) -> String {
    format!("plan-{scheme}.{unit}")
}

pub fn period_stream(scheme: &SchemeId, period: PeriodId) -> String {
    format!("period-{scheme}.{period}")
}

pub fn assessment_stream(scheme: &SchemeId, period: PeriodId, unit: &UnitCode) -> String {
    format!("assessment-{scheme}.{period}.{unit}")
}

/// Hex digits of the token hash that name its access stream (of 64).
pub const ACCESS_STREAM_HEX_DIGITS: usize = 32;

pub fn access_stream(token_hash: &TokenHash) -> String {
    // A token hash is ASCII hex, so the byte slice falls on character boundaries.
    format!("access-{}", &token_hash.as_str()[..ACCESS_STREAM_HEX_DIGITS])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{CODE_CHARS_MAX, STREAM_ID_BYTES_MAX};

    #[test]
    fn longest_stream_id_fits_the_ledger() {
        let long_unit = UnitCode::new("U".repeat(CODE_CHARS_MAX)).unwrap();
        let scheme = SchemeId::for_issuer_year(&long_unit, 2017);
        let period = PeriodId::parse("2017-H1").unwrap();
        let stream = assessment_stream(&scheme, period, &long_unit);
        assert!(stream.len() <= STREAM_ID_BYTES_MAX, "{}", stream.len());
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:@-".contains(c);
        assert!(stream.chars().all(allowed));
    }

    #[test]
    fn access_stream_names_the_token_by_half_its_hash() {
        let hash = TokenHash::new(format!("{}{}", "0123456789abcdef".repeat(2), "f".repeat(32))).unwrap();
        assert_eq!(access_stream(&hash), "access-0123456789abcdef0123456789abcdef");
    }
}
