//! Rules for the ledger's own settings: its time zone, and the key that signs its checkpoints.
//!
//! Invariant: only an admin of a top unit (one registered without a parent) changes a setting of
//! the whole ledger: no admin of one bureau changes how every other bureau's dates are read, or
//! which key every bureau's auditors check.

use crate::domain::command::{RotateSigningKey, SetTimeZone};
use crate::domain::context::Context;
use crate::domain::event::{Event, SigningKeyRotated, TimeZoneSet};
use crate::domain::facts::Facts;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::checks;

pub fn set_time_zone(facts: &Facts, command: &SetTimeZone, context: &Context) -> Result<Event, Rejection> {
    top_unit_admin(facts, context, "the time zone")?;
    if facts.time_zone == Some(command.utc_offset) {
        let message = format!("utc_offset: the time zone is already {}", command.utc_offset);
        return reject(Code::InvalidValue, "utc_offset", message);
    }
    Ok(TimeZoneSet { utc_offset: command.utc_offset }.into())
}

/// A new checkpoint signing key: two public keys (64 lower-case hex digits, different) and a reason.
pub fn rotate_signing_key(facts: &Facts, command: &RotateSigningKey, context: &Context) -> Result<Event, Rejection> {
    top_unit_admin(facts, context, "the signing key")?;
    if command.public_key == command.previous_public_key {
        return reject(Code::InvalidValue, "public_key", "public_key: the new key is the key in use");
    }
    checks::long_text("reason", &command.reason)?;
    Ok(SigningKeyRotated {
        public_key: command.public_key.clone(),
        previous_public_key: command.previous_public_key.clone(),
        reason: command.reason.clone(),
    }
    .into())
}

/// A setting of the whole ledger is changed only by an admin of a top unit.
fn top_unit_admin(facts: &Facts, context: &Context, setting: &str) -> Result<(), Rejection> {
    let unit = checks::unit(facts, "actor.unit", &context.actor.unit)?;
    if let Some(parent) = &unit.parent {
        let message = format!(
            "actor.unit: {setting} is a setting of the whole ledger; only an admin of a top unit may set it, and {} \
             lies under {parent}",
            context.actor.unit,
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    Ok(())
}
