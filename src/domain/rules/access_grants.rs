//! Rules for access grants: bind a bearer token (by its hash) to an actor id, a role and a unit
//! scope for a number of days (1 to 366, 90 by default); revoke it.
//!
//! Invariant: a token hash is granted at most once ever and revoked at most once, and only by an
//! admin whose scope holds the unit the grant names, so no admin can hand out (or take away) access
//! wider than its own; every grant records how many days it lasts, so no token acts for ever.

use crate::domain::command::{GrantAccess, RevokeAccess};
use crate::domain::context::{Context, Role};
use crate::domain::event::{AccessGranted, AccessRevoked, Event, ACCESS_VALID_DAYS_DEFAULT, ACCESS_VALID_DAYS_MAX};
use crate::domain::facts::{AccessRecord, Facts};
use crate::domain::ids::TokenHash;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::limits::TEXT_CHARS_MAX;

use super::access::require_scope;
use super::checks;

pub fn grant_access(facts: &Facts, command: &GrantAccess, context: &Context) -> Result<Event, Rejection> {
    checks::unit(facts, "unit", &command.unit)?;
    require_scope(facts, &context.actor, &command.unit)?;
    if let Some(record) = facts.access(&command.token_hash) {
        let message = format!(
            "token_hash: token {} was already granted (to {}, seq {}); issue a new token",
            command.token_hash, record.actor_id, record.granted_seq
        );
        return reject(Code::TokenExists, "token_hash", message);
    }
    checks::actor_id("actor_id", &command.actor_id)?;
    checks::optional_text("note", &command.note, TEXT_CHARS_MAX)?;
    let valid_days = command.valid_days.unwrap_or(ACCESS_VALID_DAYS_DEFAULT);
    if !(1..=ACCESS_VALID_DAYS_MAX).contains(&valid_days) {
        let message = format!("valid_days: must be from 1 to {ACCESS_VALID_DAYS_MAX}, got {valid_days}");
        return reject(Code::InvalidValue, "valid_days", message);
    }
    granted_person(facts, command)?;
    Ok(AccessGranted {
        token_hash: command.token_hash.clone(),
        actor_id: command.actor_id.clone(),
        role: command.role,
        unit: command.unit.clone(),
        note: command.note.clone(),
        valid_days,
        person: command.person.clone(),
    }
    .into())
}

/// A `person` token names the person it speaks for (a `leader` token may): a registered, active
/// person inside the grant's unit, and the only person its actor id ever speaks for.
fn granted_person(facts: &Facts, command: &GrantAccess) -> Result<(), Rejection> {
    let Some(person) = &command.person else {
        if command.role == Role::Person {
            let message = "person: a token for role person must name the person it speaks for";
            return reject(Code::PersonRequired, "person", message);
        }
        return Ok(());
    };
    if !matches!(command.role, Role::Person | Role::Leader) {
        let message =
            format!("person: a token for role {} names no person (only person and leader do)", command.role.as_str());
        return reject(Code::InvalidValue, "person", message);
    }
    let record = checks::person(facts, "person", person)?;
    if !facts.in_scope(&command.unit, record.unit()) {
        let message = format!("person: {person} (in {}) is outside the grant's unit {}", record.unit(), command.unit);
        return reject(Code::OutOfScope, "person", message);
    }
    if let Some(bound) = facts.person_of_actor(&command.actor_id).filter(|bound| *bound != person) {
        let message =
            format!("actor_id: {} already speaks for person {bound}; give another actor id", command.actor_id);
        return reject(Code::ActorBoundToAnotherPerson, "actor_id", message);
    }
    Ok(())
}

pub fn revoke_access(facts: &Facts, command: &RevokeAccess, context: &Context) -> Result<Event, Rejection> {
    let record = granted(facts, &command.token_hash)?;
    require_scope(facts, &context.actor, &record.unit)?;
    if let Some(revoked_seq) = record.revoked_seq {
        let message = format!("token_hash: token {} is already revoked (seq {revoked_seq})", command.token_hash);
        return reject(Code::TokenRevoked, "token_hash", message);
    }
    checks::long_text("reason", &command.reason)?;
    Ok(AccessRevoked {
        token_hash: command.token_hash.clone(),
        actor_id: record.actor_id.clone(),
        role: record.role,
        unit: record.unit.clone(),
        reason: command.reason.clone(),
    }
    .into())
}

fn granted<'a>(facts: &'a Facts, token_hash: &TokenHash) -> Result<&'a AccessRecord, Rejection> {
    facts.access(token_hash).ok_or_else(|| {
        Rejection::new(Code::UnknownToken, "token_hash", format!("token_hash: no token {token_hash} was ever granted"))
    })
}
