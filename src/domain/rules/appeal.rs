//! Rules for appeals: file, decide (upheld, partial k, dismissed), escalate once, withdraw; and appeals
//! on cause attributions, which the section charged files and the county's committee decides once
//! (upheld: the charge goes back to the lead section; dismissed: it stays).
//!
//! Invariant: at most one appeal per assessment (or attribution) waits for a decision; filing closes
//! with the period's objection window (for an attribution, not before `objection_window_days` after it
//! was recorded) and escalation with its own; a decision restores between nothing and all that was
//! contested, an escalated one never less than the first; no one decides an appeal against their own
//! deduction or award; a decision on an attribution restores no points.

use crate::domain::appeal::{AppealOutcome, AppealStage, AppealTarget, AppealVerdict};
use crate::domain::command::{DecideAppeal, EscalateAppeal, FileAppeal, WithdrawAppeal};
use crate::domain::context::{Context, Role};
use crate::domain::event::{AppealDecided, AppealEscalated, AppealFiled, AppealWithdrawn, Event};
use crate::domain::facts::{AppealFacts, Facts, PeriodStatus};
use crate::domain::ids::{AppealId, DeductionId, EventId, IndicatorCode, SchemeId, UnitCode};
use crate::domain::period::PeriodId;
use crate::domain::points::Points;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::access::{refuse_role, require_scope};
use super::checks;

/// What an appeal's target is about, looked up from the deduction or tier award.
struct Target<'a> {
    scheme: &'a SchemeId,
    period: PeriodId,
    unit: &'a UnitCode,
    indicator: &'a IndicatorCode,
    /// The unit a deduction's cause is attributed to, which may appeal if it is a section of `unit`.
    cause_unit: Option<&'a UnitCode>,
    appeals: &'a [AppealId],
    points_contested: Points,
}

fn target<'a>(facts: &'a Facts, target: &AppealTarget) -> Result<Target<'a>, Rejection> {
    match target {
        // `file_appeal` sends these to `file_attribution_appeal` before asking for a target.
        AppealTarget::CauseAttribution { deduction_id, .. } => {
            let message = format!("target: deduction {deduction_id}'s attribution is appealed on its own terms");
            reject(Code::InvalidCommand, "target", message)
        }
        AppealTarget::Deduction { deduction_id } => {
            let Some(deduction) = facts.deductions.get(deduction_id) else {
                return reject(Code::UnknownDeduction, "target", format!("target: unknown deduction {deduction_id}"));
            };
            if deduction.is_withdrawn() {
                let message = format!("target: deduction {deduction_id} is withdrawn and counts nothing");
                return reject(Code::DeductionWithdrawn, "target", message);
            }
            let recorded = &deduction.recorded;
            Ok(Target {
                scheme: &recorded.scheme,
                period: recorded.period,
                unit: &recorded.unit,
                indicator: &recorded.indicator,
                cause_unit: deduction.cause_unit(),
                appeals: &deduction.appeals,
                points_contested: recorded.points,
            })
        }
        AppealTarget::TierAward { tier_award_id } => tier_award_target(facts, tier_award_id),
    }
}

fn tier_award_target<'a>(facts: &'a Facts, id: &crate::domain::ids::TierAwardId) -> Result<Target<'a>, Rejection> {
    let Some(award) = facts.tier_awards.get(id) else {
        return reject(Code::UnknownTierAward, "target", format!("target: unknown tier award {id}"));
    };
    let awarded = &award.awarded;
    let latest = facts
        .schemes
        .get(&awarded.scheme)
        .and_then(|scheme| scheme.assessment(awarded.period, &awarded.unit))
        .and_then(|assessment| assessment.tier_awards.get(&awarded.indicator));
    if latest != Some(id) {
        let message = format!("target: tier award {id} was replaced by a later award");
        return reject(Code::TierAwardSuperseded, "target", message);
    }
    let version = checks::scheme(facts, "target", &awarded.scheme)
        .and_then(|scheme| checks::indicator(scheme, "target", &awarded.indicator))?
        .version_at(awarded.period);
    let awarded_points = version.tier_points(awarded.tier).unwrap_or(version.points_max);
    Ok(Target {
        scheme: &awarded.scheme,
        period: awarded.period,
        unit: &awarded.unit,
        indicator: &awarded.indicator,
        cause_unit: None,
        appeals: &award.appeals,
        points_contested: version.points_max - awarded_points,
    })
}

/// The assessed unit, a unit above it, or the section a deduction is charged to may appeal.
fn may_appeal(facts: &Facts, unit: &UnitCode, charged: Option<&UnitCode>, context: &Context) -> Result<(), Rejection> {
    let actor_unit = &context.actor.unit;
    let is_charged_section = charged == Some(actor_unit) && facts.is_active_section_of(actor_unit, unit);
    if is_charged_section {
        return Ok(());
    }
    require_scope(facts, &context.actor, unit)
}

pub fn file_appeal(facts: &Facts, command: &FileAppeal, context: &Context) -> Result<Event, Rejection> {
    if let AppealTarget::CauseAttribution { deduction_id, attribution_event_id } = &command.target {
        return file_attribution_appeal(facts, command, deduction_id, attribution_event_id, context);
    }
    let target = target(facts, &command.target)?;
    may_appeal(facts, target.unit, target.cause_unit, context)?;
    let scheme = checks::scheme(facts, "target", target.scheme)?;
    let period = checks::opened_period(scheme, "target", target.period)?;
    if period.status == PeriodStatus::Final {
        return reject(Code::PeriodFinal, "target", format!("target: period {} is final", target.period));
    }
    if let Some(closes_at) = period.objection_window_closes_at.filter(|closes_at| context.now > *closes_at) {
        return reject(Code::AppealWindowClosed, "target", format!("target: appeal window closed at {closes_at}"));
    }
    no_other_appeal(facts, target.appeals)?;
    if target.points_contested <= Points::ZERO {
        return reject(Code::NothingToAppeal, "target", "target: the award already gives full points".to_owned());
    }
    checks::long_text("grounds", &command.grounds)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::fresh_id(facts, context)?;
    let decision_days = i64::from(scheme.settings.decision_window_days);
    Ok(AppealFiled {
        appeal_id: AppealId(context.new_id),
        target: command.target,
        scheme: target.scheme.clone(),
        period: target.period,
        unit: target.unit.clone(),
        indicator: target.indicator.clone(),
        appellant: context.actor.unit.clone(),
        points_contested: target.points_contested,
        grounds: command.grounds.clone(),
        evidence_digests: command.evidence_digests.clone(),
        decision_due_at: context.now.plus_days(decision_days),
    }
    .into())
}

/// An appeal on a cause attribution: only on the standing attribution of a deduction that stands, by
/// the section it charges (or a unit above that section), while the period is not final, and from the
/// attribution until the later of the period's objection window closing and `objection_window_days`
/// after the attribution (open while the period is unpublished). What it contests is the charge.
fn file_attribution_appeal(
    facts: &Facts,
    command: &FileAppeal,
    deduction_id: &DeductionId,
    event_id: &EventId,
    context: &Context,
) -> Result<Event, Rejection> {
    let Some(deduction) = facts.deductions.get(deduction_id) else {
        return reject(Code::UnknownDeduction, "target", format!("target: unknown deduction {deduction_id}"));
    };
    if deduction.is_withdrawn() {
        let message = format!("target: deduction {deduction_id} is withdrawn; its attributions charge nothing");
        return reject(Code::DeductionWithdrawn, "target", message);
    }
    let Some(attribution) = deduction.attribution(event_id) else {
        let message = format!("target: deduction {deduction_id} has no cause attribution recorded by event {event_id}");
        return reject(Code::UnknownAttribution, "target", message);
    };
    if let Some(latest) = deduction.attributions.last().filter(|latest| latest.event.event_id != *event_id) {
        let message = format!(
            "target: attribution {event_id} was replaced by a later attribution (event {}), which decides the charge",
            latest.event.event_id
        );
        return reject(Code::AttributionSuperseded, "target", message);
    }
    let recorded = &deduction.recorded;
    let scheme = checks::scheme(facts, "target", &recorded.scheme)?;
    let charged = &attribution.cause_unit;
    let lead = scheme.lead_section(&recorded.unit, &recorded.indicator, recorded.period);
    if !facts.is_section_of(charged, &recorded.unit) || Some(charged) == lead {
        let message = format!(
            "target: attribution {event_id} names {charged}, which is charged nothing: only a section of {} other than \
             the lead section carries the charge",
            recorded.unit
        );
        return reject(Code::NothingToAppeal, "target", message);
    }
    require_scope(facts, &context.actor, charged)?;
    let period = checks::opened_period(scheme, "target", recorded.period)?;
    if period.status == PeriodStatus::Final {
        return reject(Code::PeriodFinal, "target", format!("target: period {} is final", recorded.period));
    }
    let objection_days = i64::from(scheme.settings.objection_window_days);
    let closes_at = period
        .objection_window_closes_at
        .map(|period_closes| period_closes.max(attribution.event.recorded_at.plus_days(objection_days)));
    if let Some(closes_at) = closes_at.filter(|closes_at| context.now > *closes_at) {
        let message = format!("target: the appeal window on attribution {event_id} closed at {closes_at}");
        return reject(Code::AppealWindowClosed, "target", message);
    }
    no_other_attribution_appeal(facts, &attribution.appeals)?;
    let charge = facts.effective_points(deduction);
    if charge <= Points::ZERO {
        let message = format!("target: deduction {deduction_id} counts 0.00 after its appeals; nothing is charged");
        return reject(Code::NothingToAppeal, "target", message);
    }
    checks::long_text("grounds", &command.grounds)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::fresh_id(facts, context)?;
    let decision_days = i64::from(scheme.settings.decision_window_days);
    Ok(AppealFiled {
        appeal_id: AppealId(context.new_id),
        target: command.target,
        scheme: recorded.scheme.clone(),
        period: recorded.period,
        unit: recorded.unit.clone(),
        indicator: recorded.indicator.clone(),
        appellant: context.actor.unit.clone(),
        points_contested: charge,
        grounds: command.grounds.clone(),
        evidence_digests: command.evidence_digests.clone(),
        decision_due_at: context.now.plus_days(decision_days),
    }
    .into())
}

/// One open appeal per attribution, and none after the committee decided one: its decision is final.
fn no_other_attribution_appeal(facts: &Facts, appeals: &[AppealId]) -> Result<(), Rejection> {
    if let Some(open) = facts.open_appeal(appeals) {
        let message = format!("target: appeal {} on this attribution is still open", open.filed.appeal_id);
        return reject(Code::AppealAlreadyOpen, "target", message);
    }
    let decided = appeals.iter().filter_map(|id| facts.appeals.get(id)).find(|appeal| appeal.last_verdict().is_some());
    if let Some(decided) = decided {
        let message = format!(
            "target: the committee decided appeal {} on this attribution; its decision is final",
            decided.filed.appeal_id
        );
        return reject(Code::AppealAlreadyDecided, "target", message);
    }
    Ok(())
}

/// One open appeal per assessment, and none after one was decided: the route then is escalation.
fn no_other_appeal(facts: &Facts, appeals: &[AppealId]) -> Result<(), Rejection> {
    if let Some(open) = facts.open_appeal(appeals) {
        let message = format!("target: appeal {} on it is still open", open.filed.appeal_id);
        return reject(Code::AppealAlreadyOpen, "target", message);
    }
    let decided = appeals.iter().filter_map(|id| facts.appeals.get(id)).find(|appeal| appeal.last_verdict().is_some());
    if let Some(decided) = decided {
        let message = format!("target: appeal {} on it was decided; escalate it instead", decided.filed.appeal_id);
        return reject(Code::AppealAlreadyDecided, "target", message);
    }
    Ok(())
}

fn appeal<'a>(facts: &'a Facts, id: &AppealId) -> Result<&'a AppealFacts, Rejection> {
    facts
        .appeals
        .get(id)
        .ok_or_else(|| Rejection::new(Code::UnknownAppeal, "appeal_id", format!("appeal_id: unknown appeal {id}")))
}

pub fn decide_appeal(facts: &Facts, command: &DecideAppeal, context: &Context) -> Result<Event, Rejection> {
    let appeal = appeal(facts, &command.appeal_id)?;
    if !appeal.awaiting_decision {
        let message = format!("appeal_id: appeal {} is not waiting for a decision", command.appeal_id);
        return reject(Code::AppealNotOpen, "appeal_id", message);
    }
    may_decide(facts, appeal, context)?;
    let points_restored = restoration(appeal, command.outcome)?;
    checks::long_text("reasoning", &command.reasoning)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    let verdict = command.outcome.verdict();
    let on_attribution = appeal.filed.target.is_cause_attribution();
    let may_escalate = appeal.stage == AppealStage::First && verdict != AppealVerdict::Upheld && !on_attribution;
    let escalation_days =
        facts.schemes.get(&appeal.filed.scheme).map_or(0, |scheme| i64::from(scheme.settings.escalation_window_days));
    Ok(AppealDecided {
        appeal_id: command.appeal_id,
        scheme: appeal.filed.scheme.clone(),
        period: appeal.filed.period,
        unit: appeal.filed.unit.clone(),
        stage: appeal.stage,
        verdict,
        points_restored,
        reasoning: command.reasoning.clone(),
        evidence_digests: command.evidence_digests.clone(),
        escalation_window_closes_at: may_escalate.then(|| context.now.plus_days(escalation_days)),
    }
    .into())
}

/// First stage: a reviewer of the assessing unit who did not record the assessment. Escalated: the
/// committee of the scheme's issuer. In a county's own scheme both are the county's own. On a cause attribution: the committee of the deducted unit itself
/// (the county whose office attributed the cause), never a reviewer and never another unit's committee.
fn may_decide(facts: &Facts, appeal: &AppealFacts, context: &Context) -> Result<(), Rejection> {
    if appeal.filed.target.is_cause_attribution() {
        if context.actor.role != Role::Committee {
            return refuse_role(&context.actor, "decide an appeal on a cause attribution", &[Role::Committee]);
        }
        let county = &appeal.filed.unit;
        if &context.actor.unit != county {
            let message = format!(
                "actor.unit: appeals on {county}'s cause attributions are decided by the committee of {county}, not of {}",
                context.actor.unit
            );
            return reject(Code::OutOfScope, "actor.unit", message);
        }
        return Ok(());
    }
    if let Some(own) = facts.schemes.get(&appeal.filed.scheme).filter(|scheme| facts.is_own_scheme(scheme)) {
        super::own_scheme::county_decides(own, context)?;
    }
    match appeal.stage {
        AppealStage::First => {
            if context.actor.role != Role::Reviewer {
                return refuse_role(&context.actor, "decide an appeal at the first stage", &[Role::Reviewer]);
            }
            let Some((recorded_by, assessor)) = facts.appeal_target_author(&appeal.filed.target) else {
                return reject(Code::UnknownDeduction, "appeal_id", "appeal_id: the appealed assessment is unknown");
            };
            require_scope(facts, &context.actor, assessor)?;
            if recorded_by == context.actor.id {
                let message =
                    format!("actor.id: {} recorded the appealed assessment and may not review it", context.actor.id);
                return reject(Code::ReviewerRecordedDeduction, "actor.id", message);
            }
            Ok(())
        }
        AppealStage::Escalated => {
            if context.actor.role != Role::Committee {
                return refuse_role(&context.actor, "decide an escalated appeal", &[Role::Committee]);
            }
            let issuer = facts.schemes.get(&appeal.filed.scheme).map(|scheme| &scheme.settings.issuer);
            match issuer {
                Some(issuer) => require_scope(facts, &context.actor, issuer),
                None => reject(
                    Code::UnknownScheme,
                    "appeal_id",
                    format!("appeal_id: unknown scheme {}", appeal.filed.scheme),
                ),
            }
        }
    }
}

/// The points a decision restores: all, a part strictly between none and all, or none; at the
/// escalated stage never less than the first decision restored.
fn restoration(appeal: &AppealFacts, outcome: AppealOutcome) -> Result<Points, Rejection> {
    if appeal.filed.target.is_cause_attribution() {
        // The blame moves or stays; the county's points are not in question.
        return match outcome {
            AppealOutcome::Upheld | AppealOutcome::Dismissed => Ok(Points::ZERO),
            AppealOutcome::Partial { .. } => reject(
                Code::OutcomeNotAllowed,
                "outcome",
                "outcome: an appeal on a cause attribution is upheld (the charge goes back to the lead section) or \
                 dismissed; it cannot be partial",
            ),
        };
    }
    let contested = appeal.filed.points_contested;
    let restored = match outcome {
        AppealOutcome::Upheld => contested,
        AppealOutcome::Dismissed => Points::ZERO,
        AppealOutcome::Partial { points_restored } => {
            if points_restored <= Points::ZERO || points_restored >= contested {
                let field = "outcome.points_restored";
                let message = format!(
                    "{field}: a partial decision restores more than 0.00 and less than the {contested} contested, got {points_restored}"
                );
                return reject(Code::RestorationOutOfRange, field, message);
            }
            points_restored
        }
    };
    let first = appeal.first_stage_points_restored().unwrap_or(Points::ZERO);
    if appeal.stage == AppealStage::Escalated && restored < first {
        let message =
            format!("outcome: the escalated decision restores {restored}, less than the {first} first restored");
        return reject(Code::RestorationBelowFirstDecision, "outcome", message);
    }
    Ok(restored)
}

/// The appellant: the assessed unit or a unit above it, or the unit that filed.
fn may_act_for(facts: &Facts, appeal: &AppealFacts, context: &Context) -> Result<(), Rejection> {
    if context.actor.unit == appeal.filed.appellant {
        return Ok(());
    }
    require_scope(facts, &context.actor, &appeal.filed.unit)
}

pub fn escalate_appeal(facts: &Facts, command: &EscalateAppeal, context: &Context) -> Result<Event, Rejection> {
    let appeal = appeal(facts, &command.appeal_id)?;
    may_act_for(facts, appeal, context)?;
    escalatable(appeal, context)?;
    let scheme = checks::scheme(facts, "appeal_id", &appeal.filed.scheme)?;
    let period_final =
        scheme.periods.get(&appeal.filed.period).is_some_and(|period| period.status == PeriodStatus::Final);
    if period_final {
        return reject(Code::PeriodFinal, "appeal_id", format!("appeal_id: period {} is final", appeal.filed.period));
    }
    checks::long_text("grounds", &command.grounds)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    Ok(AppealEscalated {
        appeal_id: command.appeal_id,
        scheme: appeal.filed.scheme.clone(),
        period: appeal.filed.period,
        unit: appeal.filed.unit.clone(),
        grounds: command.grounds.clone(),
        evidence_digests: command.evidence_digests.clone(),
        decision_due_at: context.now.plus_days(i64::from(scheme.settings.decision_window_days)),
    }
    .into())
}

/// Once, after a first decision that was not upheld, within the escalation window.
fn escalatable(appeal: &AppealFacts, context: &Context) -> Result<(), Rejection> {
    let id = appeal.filed.appeal_id;
    if appeal.filed.target.is_cause_attribution() {
        let message = format!(
            "appeal_id: appeal {id} is on a cause attribution; the county's committee decides it once and it cannot \
             be escalated"
        );
        return reject(Code::AppealNotEscalatable, "appeal_id", message);
    }
    if appeal.is_withdrawn() {
        return reject(Code::AppealNotOpen, "appeal_id", format!("appeal_id: appeal {id} was withdrawn"));
    }
    if appeal.stage == AppealStage::Escalated {
        return reject(
            Code::AppealAlreadyEscalated,
            "appeal_id",
            format!("appeal_id: appeal {id} was already escalated"),
        );
    }
    if appeal.awaiting_decision {
        return reject(Code::AppealNotDecided, "appeal_id", format!("appeal_id: appeal {id} has no decision yet"));
    }
    if appeal.last_verdict() == Some(AppealVerdict::Upheld) {
        return reject(
            Code::AppealUpheld,
            "appeal_id",
            format!("appeal_id: appeal {id} was upheld; nothing is left to escalate"),
        );
    }
    match appeal.escalation_window_closes_at {
        Some(closes_at) if context.now <= closes_at => Ok(()),
        Some(closes_at) => reject(
            Code::EscalationWindowClosed,
            "appeal_id",
            format!("appeal_id: escalation window closed at {closes_at}"),
        ),
        None => {
            reject(Code::EscalationWindowClosed, "appeal_id", format!("appeal_id: appeal {id} cannot be escalated"))
        }
    }
}

pub fn withdraw_appeal(facts: &Facts, command: &WithdrawAppeal, context: &Context) -> Result<Event, Rejection> {
    let appeal = appeal(facts, &command.appeal_id)?;
    may_act_for(facts, appeal, context)?;
    if !appeal.awaiting_decision {
        let message = format!("appeal_id: appeal {} is not waiting for a decision", command.appeal_id);
        return reject(Code::AppealNotOpen, "appeal_id", message);
    }
    checks::long_text("reason", &command.reason)?;
    Ok(AppealWithdrawn {
        appeal_id: command.appeal_id,
        scheme: appeal.filed.scheme.clone(),
        period: appeal.filed.period,
        unit: appeal.filed.unit.clone(),
        reason: command.reason.clone(),
    }
    .into())
}
