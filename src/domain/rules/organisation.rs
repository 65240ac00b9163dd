//! Rules for units and persons: register, rename, retire, move, erase.
//!
//! Invariant: the organisation is a tree — a unit's parent exists and is active when the unit is
//! registered, levels fall from parent to child, and a unit with active children is not retired.

use crate::domain::command::{
    ErasePerson, MovePerson, RegisterPerson, RegisterUnit, RenameUnit, RetirePerson, RetireUnit,
};
use crate::domain::context::Context;
use crate::domain::date::Date;
use crate::domain::event::{
    Event, PersonErased, PersonMoved, PersonRegistered, PersonRetired, UnitRegistered, UnitRenamed, UnitRetired,
};
use crate::domain::facts::Facts;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::access::require_scope;
use super::checks;

pub fn register_unit(facts: &Facts, command: &RegisterUnit, context: &Context) -> Result<Event, Rejection> {
    checks::name("name", &command.name)?;
    if facts.units.contains_key(&command.unit) {
        return reject(Code::UnitExists, "unit", format!("unit: unit {} is already registered", command.unit));
    }
    match &command.parent {
        Some(parent) => check_parent(facts, command, parent, context)?,
        None => check_root(command, context)?,
    }
    if command.level.is_section() && command.function_code.is_none() {
        let message = format!("function_code: a {} needs a function code", command.level.as_str());
        return reject(Code::InvalidValue, "function_code", message);
    }
    Ok(UnitRegistered {
        unit: command.unit.clone(),
        name: command.name.clone(),
        level: command.level,
        parent: command.parent.clone(),
        function_code: command.function_code.clone(),
    }
    .into())
}

fn check_parent(
    facts: &Facts,
    command: &RegisterUnit,
    parent: &crate::domain::ids::UnitCode,
    context: &Context,
) -> Result<(), Rejection> {
    let parent_record = checks::unit(facts, "parent", parent)?;
    require_scope(facts, &context.actor, parent)?;
    if !command.level.may_hang_under(parent_record.level) {
        let message = format!(
            "parent: a {} cannot hang under {parent}, a {}",
            command.level.as_str(),
            parent_record.level.as_str()
        );
        return reject(Code::InvalidParent, "parent", message);
    }
    Ok(())
}

/// A root unit is registered once, by an admin of that very unit, and is not a section.
fn check_root(command: &RegisterUnit, context: &Context) -> Result<(), Rejection> {
    if command.level.is_section() {
        return reject(Code::InvalidParent, "parent", format!("parent: a {} needs a parent", command.level.as_str()));
    }
    if context.actor.unit != command.unit {
        let message = format!("actor.unit: only an admin of {} may register it as a root unit", command.unit);
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    Ok(())
}

pub fn rename_unit(facts: &Facts, command: &RenameUnit, context: &Context) -> Result<Event, Rejection> {
    checks::unit(facts, "unit", &command.unit)?;
    require_scope(facts, &context.actor, &command.unit)?;
    checks::name("name", &command.name)?;
    Ok(UnitRenamed { unit: command.unit.clone(), name: command.name.clone() }.into())
}

pub fn retire_unit(facts: &Facts, command: &RetireUnit, context: &Context) -> Result<Event, Rejection> {
    checks::unit(facts, "unit", &command.unit)?;
    require_scope(facts, &context.actor, &command.unit)?;
    checks::long_text("reason", &command.reason)?;
    let active_child =
        facts.units.iter().find(|(_, record)| !record.retired && record.parent.as_ref() == Some(&command.unit));
    if let Some((child, _)) = active_child {
        let message = format!("unit: unit {} still has the active unit {child} under it", command.unit);
        return reject(Code::UnitHasActiveChildren, "unit", message);
    }
    Ok(UnitRetired { unit: command.unit.clone(), reason: command.reason.clone() }.into())
}

pub fn register_person(facts: &Facts, command: &RegisterPerson, context: &Context) -> Result<Event, Rejection> {
    checks::name("name", &command.name)?;
    if facts.persons.contains_key(&command.person) {
        return reject(
            Code::PersonExists,
            "person",
            format!("person: person {} is already registered", command.person),
        );
    }
    checks::unit(facts, "unit", &command.unit)?;
    require_scope(facts, &context.actor, &command.unit)?;
    // The name is plain here; the service seals it under the person's new key before it is recorded.
    Ok(PersonRegistered {
        person: command.person.clone(),
        name: command.name.clone().into(),
        unit: command.unit.clone(),
    }
    .into())
}

pub fn move_person(facts: &Facts, command: &MovePerson, context: &Context) -> Result<Event, Rejection> {
    let person = checks::person(facts, "person", &command.person)?;
    require_scope(facts, &context.actor, person.unit())?;
    checks::unit(facts, "to_unit", &command.to_unit)?;
    require_scope(facts, &context.actor, &command.to_unit)?;
    // The day it takes effect: today (in the ledger's zone) unless given; never before the current stretch.
    let effective_on = command.effective_on.unwrap_or_else(|| Date::of_instant(context.now, facts.time_zone()));
    let current = person.memberships.latest();
    if effective_on < current.from {
        let message = format!(
            "effective_on: {effective_on} is before {}, the day {}'s current stretch in {} began; a move takes \
             effect on or after it",
            current.from, command.person, current.unit
        );
        return reject(Code::MoveBeforeCurrentStretch, "effective_on", message);
    }
    super::personal::move_not_into_final_months(facts, &command.person, person, &command.to_unit, effective_on)?;
    Ok(PersonMoved {
        person: command.person.clone(),
        from_unit: person.unit().clone(),
        to_unit: command.to_unit.clone(),
        effective_on: Some(effective_on),
    }
    .into())
}

pub fn retire_person(facts: &Facts, command: &RetirePerson, context: &Context) -> Result<Event, Rejection> {
    let person = checks::person(facts, "person", &command.person)?;
    require_scope(facts, &context.actor, person.unit())?;
    checks::long_text("reason", &command.reason)?;
    Ok(PersonRetired { person: command.person.clone(), reason: command.reason.clone() }.into())
}

/// A registered person, retired or not (a retired person's texts are erased as well), whose texts are
/// not erased yet, by an admin whose scope holds the unit the person's latest registration or move names.
pub fn erase_person(facts: &Facts, command: &ErasePerson, context: &Context) -> Result<Event, Rejection> {
    let Some(person) = facts.persons.get(&command.person) else {
        return reject(Code::UnknownPerson, "person", format!("person: unknown person {}", command.person));
    };
    checks::not_erased(person, "person", &command.person)?;
    require_scope(facts, &context.actor, person.unit())?;
    checks::long_text("legal_basis", &command.legal_basis)?;
    Ok(PersonErased { person: command.person.clone(), legal_basis: command.legal_basis.clone() }.into())
}
