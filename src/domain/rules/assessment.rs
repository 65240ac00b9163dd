//! Rules for assessing: award a tier, record or withdraw a deduction, award a bonus, apply a veto.
//!
//! Invariant: facts go only to an opened, non-final base period, to an indicator that applies to the
//! unit then, from an actor allowed to assess it; deductions never take an indicator below zero, and
//! deductions go only to `deduct` indicators, tier awards only to `tiered` ones.

use crate::domain::command::{ApplyVeto, AwardBonus, AwardTier, RecordDeduction, WithdrawDeduction};
use crate::domain::context::{Context, Role};
use crate::domain::event::{BonusAwarded, DeductionRecorded, DeductionWithdrawn, Event, TierAwarded, VetoApplied};
use crate::domain::facts::{Facts, IndicatorFacts, IndicatorVersion, SchemeFacts};
use crate::domain::ids::{BonusId, DeductionId, IndicatorCode, SchemeId, TierAwardId, UnitCode, VetoId};
use crate::domain::period::PeriodId;
use crate::domain::points::Points;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::access::{refuse_role, require_scope};
use super::checks;
use super::own_scheme;

/// What an assessment fact is about, checked: the indicator and its version that period.
struct Assessed<'a> {
    scheme: &'a SchemeFacts,
    indicator: &'a IndicatorFacts,
    version: IndicatorVersion<'a>,
}

/// Checks period, unit, indicator and the actor's authority over them.
fn assessed<'a>(
    facts: &'a Facts,
    scheme: &SchemeId,
    period: PeriodId,
    unit: &UnitCode,
    indicator: &IndicatorCode,
    context: &Context,
) -> Result<Assessed<'a>, Rejection> {
    let scheme = checks::scheme(facts, "scheme", scheme)?;
    checks::period_taking_facts(scheme, "period", period)?;
    checks::unit(facts, "unit", unit)?;
    let indicator_record = checks::indicator_at(scheme, "indicator", indicator, period)?;
    match context.actor.role {
        _ if facts.is_own_scheme(scheme) => {
            own_scheme::may_assess(facts, scheme, indicator_record, period, unit, context)?
        }
        Role::Office => office_may_deduct(facts, scheme, period, unit, indicator, context)?,
        _ => assessor_may_assess(facts, scheme, indicator_record, period, unit, context)?,
    }
    Ok(Assessed { scheme, indicator: indicator_record, version: indicator_record.version_at(period) })
}

/// An assessor assesses the scheme's units on the indicators its unit (or a unit under it) assesses.
fn assessor_may_assess(
    facts: &Facts,
    scheme: &SchemeFacts,
    indicator: &IndicatorFacts,
    period: PeriodId,
    unit: &UnitCode,
    context: &Context,
) -> Result<(), Rejection> {
    let code = &indicator.defined.indicator;
    if !facts.in_scope(&context.actor.unit, &indicator.defined.assessor) {
        let message = format!(
            "actor.unit: indicator {code} is assessed by {}, outside the scope of {}",
            indicator.defined.assessor, context.actor.unit
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    if !facts.is_assessee_of(scheme, unit) {
        let message = format!("unit: unit {unit} is not assessed by scheme {}", scheme.settings.scheme);
        return reject(Code::OutOfScope, "unit", message);
    }
    applies(scheme, code, unit, period)
}

/// A performance office deducts directly only from its own sections, on indicators the section leads.
fn office_may_deduct(
    facts: &Facts,
    scheme: &SchemeFacts,
    period: PeriodId,
    section: &UnitCode,
    indicator: &IndicatorCode,
    context: &Context,
) -> Result<(), Rejection> {
    let office_unit = &context.actor.unit;
    if !facts.is_active_section_of(section, office_unit) {
        return reject(Code::NotASection, "unit", format!("unit: unit {section} is not a section of {office_unit}"));
    }
    applies(scheme, indicator, office_unit, period)?;
    if scheme.lead_section(office_unit, indicator, period) != Some(section) {
        let message = format!("indicator: indicator {indicator} is not led by {section}");
        return reject(Code::IndicatorNotApplicable, "indicator", message);
    }
    Ok(())
}

fn applies(
    scheme: &SchemeFacts,
    indicator: &IndicatorCode,
    unit: &UnitCode,
    period: PeriodId,
) -> Result<(), Rejection> {
    let applies = scheme.indicators.get(indicator).is_some_and(|record| scheme.applies(record, unit, period));
    if !applies {
        let message = format!("indicator: indicator {indicator} does not apply to {unit} in {period}");
        return reject(Code::IndicatorNotApplicable, "indicator", message);
    }
    Ok(())
}

pub fn award_tier(facts: &Facts, command: &AwardTier, context: &Context) -> Result<Event, Rejection> {
    if let Some(scheme) = facts.schemes.get(&command.scheme) {
        own_scheme::office_only_in_own_scheme(facts, scheme, context)?;
    }
    let assessed = assessed(facts, &command.scheme, command.period, &command.unit, &command.indicator, context)?;
    let Some(tiers) = assessed.version.tiers() else {
        let message = format!(
            "indicator: indicator {} is scored by deduction; tiers go only to tiered indicators",
            command.indicator
        );
        return reject(Code::IndicatorNotTiered, "indicator", message);
    };
    if command.tier == 0 || command.tier as usize > tiers.len() {
        let message =
            format!("tier: indicator {} has tiers 1 to {}, got {}", command.indicator, tiers.len(), command.tier);
        return reject(Code::TierOutOfRange, "tier", message);
    }
    checks::long_text("reason", &command.reason)?;
    checks::fresh_id(facts, context)?;
    Ok(TierAwarded {
        tier_award_id: TierAwardId(context.new_id),
        scheme: command.scheme.clone(),
        period: command.period,
        unit: command.unit.clone(),
        indicator: command.indicator.clone(),
        tier: command.tier,
        reason: command.reason.clone(),
        assessor: context.actor.unit.clone(),
    }
    .into())
}

pub fn record_deduction(facts: &Facts, command: &RecordDeduction, context: &Context) -> Result<Event, Rejection> {
    let assessed = assessed(facts, &command.scheme, command.period, &command.unit, &command.indicator, context)?;
    if assessed.version.tiers().is_some() {
        let message =
            format!("indicator: indicator {} is tiered; deductions go only to deduct indicators", command.indicator);
        return reject(Code::IndicatorNotDeduct, "indicator", message);
    }
    positive("points", command.points)?;
    let remaining = assessed.version.points_max
        - facts.deducted_points(assessed.scheme, command.period, &command.unit, &command.indicator);
    if command.points > remaining {
        let message = format!(
            "points: {} exceeds the {remaining} left on indicator {} for {} in {}",
            command.points, command.indicator, command.unit, command.period
        );
        return reject(Code::PointsExceedRemaining, "points", message);
    }
    known_category(assessed.indicator, command)?;
    checks::long_text("reason", &command.reason)?;
    checks::evidence("evidence_digests", &command.evidence_digests)?;
    checks::links(context, "links", &command.links)?;
    checks::fresh_id(facts, context)?;
    Ok(DeductionRecorded {
        deduction_id: DeductionId(context.new_id),
        scheme: command.scheme.clone(),
        period: command.period,
        unit: command.unit.clone(),
        indicator: command.indicator.clone(),
        points: command.points,
        reason: command.reason.clone(),
        problem_category: command.problem_category.clone(),
        evidence_digests: command.evidence_digests.clone(),
        links: command.links.clone(),
        assessor: context.actor.unit.clone(),
    }
    .into())
}

fn positive(field: &str, points: Points) -> Result<(), Rejection> {
    if points <= Points::ZERO {
        return reject(Code::PointsNotPositive, field, format!("{field}: must be positive, got {points}"));
    }
    Ok(())
}

/// An indicator that lists problem categories takes deductions only in those categories.
fn known_category(indicator: &IndicatorFacts, command: &RecordDeduction) -> Result<(), Rejection> {
    let categories = &indicator.defined.problem_categories;
    if categories.is_empty() || categories.contains(&command.problem_category) {
        return Ok(());
    }
    let listed: Vec<&str> = categories.iter().map(|category| category.as_str()).collect();
    let message = format!(
        "problem_category: indicator {} has no category {}; it lists {}",
        command.indicator,
        command.problem_category,
        listed.join(", ")
    );
    reject(Code::UnknownProblemCategory, "problem_category", message)
}

pub fn withdraw_deduction(facts: &Facts, command: &WithdrawDeduction, context: &Context) -> Result<Event, Rejection> {
    let Some(deduction) = facts.deductions.get(&command.deduction_id) else {
        let message = format!("deduction_id: unknown deduction {}", command.deduction_id);
        return reject(Code::UnknownDeduction, "deduction_id", message);
    };
    let recorded = &deduction.recorded;
    if deduction.is_withdrawn() {
        let message = format!("deduction_id: deduction {} is already withdrawn", command.deduction_id);
        return reject(Code::DeductionWithdrawn, "deduction_id", message);
    }
    match facts.schemes.get(&recorded.scheme).filter(|scheme| facts.is_own_scheme(scheme)) {
        Some(own) => own_scheme::may_withdraw(facts, own, &recorded.assessor, context)?,
        None => may_withdraw(facts, &recorded.unit, &recorded.assessor, context)?,
    }
    let scheme = checks::scheme(facts, "scheme", &recorded.scheme)?;
    checks::period_taking_facts(scheme, "deduction_id", recorded.period)?;
    checks::long_text("reason", &command.reason)?;
    Ok(DeductionWithdrawn {
        deduction_id: command.deduction_id,
        scheme: recorded.scheme.clone(),
        period: recorded.period,
        unit: recorded.unit.clone(),
        indicator: recorded.indicator.clone(),
        reason: command.reason.clone(),
    }
    .into())
}

/// Who recorded a kind of deduction withdraws it: an office its direct deductions on sections, an
/// assessor (of the recording unit or above) the others.
fn may_withdraw(facts: &Facts, unit: &UnitCode, assessor: &UnitCode, context: &Context) -> Result<(), Rejection> {
    let on_section = facts.units.get(unit).is_some_and(|record| record.level.is_section());
    let needed = if on_section { Role::Office } else { Role::Assessor };
    if context.actor.role != needed {
        return refuse_role(&context.actor, "withdraw this deduction", &[needed]);
    }
    require_scope(facts, &context.actor, assessor)
}

/// Sections get bonuses and vetoes only where a scheme assesses them: the city's scheme, which
/// assesses the counties directly and their sections only through them, gives sections none; a
/// county's own scheme, which assesses its sections, gives them both.
fn no_bonus_or_veto_for_sections(facts: &Facts, scheme: &SchemeFacts, unit: &UnitCode) -> Result<(), Rejection> {
    if !facts.is_section(unit) || facts.is_own_scheme(scheme) {
        return Ok(());
    }
    let issuer = &scheme.settings.issuer;
    let level = facts.units.get(issuer).map_or("issuer", |record| record.level.as_str());
    let message = format!(
        "unit: {unit} is a section; the {level}'s scheme {} gives sections no bonus or veto (only the units it \
         assesses directly receive them)",
        scheme.settings.scheme
    );
    reject(Code::NotForSections, "unit", message)
}

pub fn award_bonus(facts: &Facts, command: &AwardBonus, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    own_scheme::office_only_in_own_scheme(facts, scheme, context)?;
    match context.actor.role {
        Role::Office => own_scheme::office_of(scheme, context)?,
        _ if facts.is_own_scheme(scheme) => own_scheme::county_assesses(scheme, context)?,
        _ => require_scope(facts, &context.actor, &scheme.settings.issuer)?,
    }
    checks::period_taking_facts(scheme, "period", command.period)?;
    checks::unit(facts, "unit", &command.unit)?;
    no_bonus_or_veto_for_sections(facts, scheme, &command.unit)?;
    if !facts.is_assessee_of(scheme, &command.unit) {
        let message = format!("unit: unit {} is not assessed by scheme {}", command.unit, command.scheme);
        return reject(Code::OutOfScope, "unit", message);
    }
    positive("points", command.points)?;
    if command.points > scheme.settings.bonus_cap {
        let message = format!("points: {} exceeds the bonus cap of {}", command.points, scheme.settings.bonus_cap);
        return reject(Code::PointsExceedBonusCap, "points", message);
    }
    checks::long_text("reason", &command.reason)?;
    checks::fresh_id(facts, context)?;
    Ok(BonusAwarded {
        bonus_id: BonusId(context.new_id),
        scheme: command.scheme.clone(),
        period: command.period,
        unit: command.unit.clone(),
        points: command.points,
        reason: command.reason.clone(),
    }
    .into())
}

pub fn apply_veto(facts: &Facts, command: &ApplyVeto, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    own_scheme::office_only_in_own_scheme(facts, scheme, context)?;
    no_bonus_or_veto_for_sections(facts, scheme, &command.unit)?;
    let assessed = assessed(facts, &command.scheme, command.period, &command.unit, &command.indicator, context)?;
    if !assessed.indicator.defined.veto {
        let message = format!("indicator: indicator {} carries no veto", command.indicator);
        return reject(Code::IndicatorNotVeto, "indicator", message);
    }
    checks::long_text("reason", &command.reason)?;
    checks::fresh_id(facts, context)?;
    Ok(VetoApplied {
        veto_id: VetoId(context.new_id),
        scheme: command.scheme.clone(),
        period: command.period,
        unit: command.unit.clone(),
        indicator: command.indicator.clone(),
        reason: command.reason.clone(),
    }
    .into())
}
