//! Rules for cause and remedy: attribute a deduction's cause to a unit, and record what that unit did.
//!
//! Invariant: only the performance office of the deducted unit (or a unit above it) writes these, on
//! deductions that stand; a rectification follows a standing attribution and names the attributed
//! unit. An attribution under appeal is not replaced until the committee decides, and a section whose
//! appeal the committee upheld is not named again for the same deduction.

use crate::domain::command::{AttributeCause, RecordRectification};
use crate::domain::context::Context;
use crate::domain::event::{CauseAttributed, Event, RectificationRecorded};
use crate::domain::facts::{DeductionFacts, Facts};
use crate::domain::ids::DeductionId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::access::require_scope;
use super::checks;

/// The deduction, with the office checked against the deducted unit.
fn office_deduction<'a>(
    facts: &'a Facts,
    id: &DeductionId,
    context: &Context,
) -> Result<&'a DeductionFacts, Rejection> {
    let Some(deduction) = facts.deductions.get(id) else {
        return reject(Code::UnknownDeduction, "deduction_id", format!("deduction_id: unknown deduction {id}"));
    };
    require_scope(facts, &context.actor, &deduction.recorded.unit)?;
    Ok(deduction)
}

pub fn attribute_cause(facts: &Facts, command: &AttributeCause, context: &Context) -> Result<Event, Rejection> {
    let deduction = office_deduction(facts, &command.deduction_id, context)?;
    if deduction.is_withdrawn() {
        let message = format!("deduction_id: deduction {} is withdrawn", command.deduction_id);
        return reject(Code::DeductionWithdrawn, "deduction_id", message);
    }
    let recorded = &deduction.recorded;
    let scheme = checks::scheme(facts, "scheme", &recorded.scheme)?;
    checks::period_taking_facts(scheme, "deduction_id", recorded.period)?;
    checks::unit(facts, "cause_unit", &command.cause_unit)?;
    attribution_not_under_appeal(facts, deduction)?;
    let overturned = deduction
        .attributions
        .iter()
        .find(|attribution| attribution.cause_unit == command.cause_unit && attribution.overturned_by.is_some());
    if let Some(overturned) = overturned {
        let message = format!(
            "cause_unit: the committee upheld {}'s appeal against being charged with deduction {} (attribution {}); \
             name another unit",
            command.cause_unit, command.deduction_id, overturned.event.event_id
        );
        return reject(Code::AttributionOverturned, "cause_unit", message);
    }
    checks::long_text("description", &command.description)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::links(context, "links", &command.links)?;
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

/// While the section charged appeals the standing attribution, the cause is the committee's to settle.
fn attribution_not_under_appeal(facts: &Facts, deduction: &DeductionFacts) -> Result<(), Rejection> {
    let appeals = deduction.attributions.last().map_or(&[][..], |attribution| &attribution.appeals[..]);
    match facts.open_appeal(appeals) {
        Some(open) => {
            let message = format!(
                "deduction_id: appeal {} on its cause attribution waits for the committee's decision",
                open.filed.appeal_id
            );
            reject(Code::AppealAlreadyOpen, "deduction_id", message)
        }
        None => Ok(()),
    }
}

pub fn record_rectification(
    facts: &Facts,
    command: &RecordRectification,
    context: &Context,
) -> Result<Event, Rejection> {
    let deduction = office_deduction(facts, &command.deduction_id, context)?;
    let Some(cause_unit) = deduction.cause_unit() else {
        let message = format!(
            "deduction_id: deduction {} has no standing cause attribution (none yet, or the committee upheld an appeal \
             against it)",
            command.deduction_id
        );
        return reject(Code::CauseNotAttributed, "deduction_id", message);
    };
    checks::long_text("description", &command.description)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::links(context, "links", &command.links)?;
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
