//! Rules for cause and remedy: attribute a deduction's cause to a unit, and record what that unit did.
//!
//! Invariant: only the performance office of the deducted unit (or a unit above it) writes these, on
//! deductions that stand; a rectification follows an attribution and names the attributed unit.

use crate::domain::command::{AttributeCause, RecordRectification};
use crate::domain::context::Context;
use crate::domain::event::{CauseAttributed, Event, RectificationRecorded};
use crate::domain::ids::DeductionId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::state::{DeductionRecord, State};

use super::access::require_scope;
use super::checks;

/// The deduction, with the office checked against the deducted unit.
fn office_deduction<'a>(
    state: &'a State,
    id: &DeductionId,
    context: &Context,
) -> Result<&'a DeductionRecord, Rejection> {
    let Some(deduction) = state.deductions.get(id) else {
        return reject(Code::UnknownDeduction, "deduction_id", format!("deduction_id: unknown deduction {id}"));
    };
    require_scope(state, &context.actor, &deduction.recorded.unit)?;
    Ok(deduction)
}

pub fn attribute_cause(state: &State, command: &AttributeCause, context: &Context) -> Result<Event, Rejection> {
    let deduction = office_deduction(state, &command.deduction_id, context)?;
    if deduction.withdrawn {
        let message = format!("deduction_id: deduction {} is withdrawn", command.deduction_id);
        return reject(Code::DeductionWithdrawn, "deduction_id", message);
    }
    let recorded = &deduction.recorded;
    let scheme = checks::scheme(state, "scheme", &recorded.scheme)?;
    checks::period_taking_facts(scheme, "deduction_id", recorded.period)?;
    checks::unit(state, "cause_unit", &command.cause_unit)?;
    checks::long_text("description", &command.description)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::links(state, "links", &command.links)?;
    Ok(CauseAttributed {
        deduction_id: command.deduction_id,
        scheme: recorded.scheme.clone(),
        period: recorded.period,
        unit: recorded.unit.clone(),
        indicator: recorded.indicator.clone(),
        cause_unit: command.cause_unit.clone(),
        description: command.description.clone(),
        evidence_digests: command.evidence_digests.clone(),
        links: command.links.clone(),
    }
    .into())
}

pub fn record_rectification(
    state: &State,
    command: &RecordRectification,
    context: &Context,
) -> Result<Event, Rejection> {
    let deduction = office_deduction(state, &command.deduction_id, context)?;
    let Some(cause_unit) = &deduction.cause_unit else {
        let message = format!("deduction_id: deduction {} has no cause attributed yet", command.deduction_id);
        return reject(Code::CauseNotAttributed, "deduction_id", message);
    };
    checks::long_text("description", &command.description)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::links(state, "links", &command.links)?;
    let recorded = &deduction.recorded;
    Ok(RectificationRecorded {
        deduction_id: command.deduction_id,
        scheme: recorded.scheme.clone(),
        period: recorded.period,
        unit: recorded.unit.clone(),
        cause_unit: cause_unit.clone(),
        description: command.description.clone(),
        evidence_digests: command.evidence_digests.clone(),
        links: command.links.clone(),
    }
    .into())
}
