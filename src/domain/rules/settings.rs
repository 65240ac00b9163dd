//! Rules for the ledger's own settings: its time zone.
//!
//! Invariant: only an admin of a top unit (one registered without a parent) changes a setting of
//! the whole ledger: no admin of one bureau changes how every other bureau's dates are read.

use crate::domain::command::SetTimeZone;
use crate::domain::context::Context;
use crate::domain::event::{Event, TimeZoneSet};
use crate::domain::facts::Facts;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::checks;

pub fn set_time_zone(facts: &Facts, command: &SetTimeZone, context: &Context) -> Result<Event, Rejection> {
    let unit = checks::unit(facts, "actor.unit", &context.actor.unit)?;
    if unit.parent.is_some() {
        let message = format!(
            "actor.unit: the time zone is a setting of the whole ledger; only an admin of a top unit may set \
             it, and {} lies under {}",
            context.actor.unit,
            unit.parent.as_ref().map_or("", |parent| parent.as_str())
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    if facts.time_zone == Some(command.utc_offset) {
        let message = format!("utc_offset: the time zone is already {}", command.utc_offset);
        return reject(Code::InvalidValue, "utc_offset", message);
    }
    Ok(TimeZoneSet { utc_offset: command.utc_offset }.into())
}
