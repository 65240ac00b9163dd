//! Rules for schemes and indicators: open a scheme; define, revise and retire an indicator; and how an
//! assessed unit takes one over (assign it to a section, mark it not applicable).
//!
//! Invariant: every indicator change is an event, and no change reaches into a final period: a
//! definition, revision, retirement, assignment or not-applicable mark effective from a period is
//! refused if that period or any later one is final.

use crate::domain::command::{
    AssignIndicator, DefineIndicator, MarkIndicatorNotApplicable, OpenScheme, RetireIndicator, ReviseIndicator,
};
use crate::domain::context::Context;
use crate::domain::event::{
    Event, IndicatorAssigned, IndicatorDefined, IndicatorMarkedNotApplicable, IndicatorRetired, IndicatorRevised,
    SchemeOpened,
};
use crate::domain::facts::{Facts, SchemeFacts};
use crate::domain::ids::{IndicatorCode, SchemeId, UnitCode};
use crate::domain::organisation::UnitLevel;
use crate::domain::points::Points;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::scheme::{validate_tier_standards, IndicatorMethod, RepeatRule, TierRule};
use crate::limits::{
    BONUS_CAP_MAX, INDICATOR_POINTS_MAX, PROBLEM_CATEGORIES_PER_INDICATOR_MAX, REPEAT_WINDOW_PERIODS_MAX,
    SCHEME_YEAR_MAX, SCHEME_YEAR_MIN, SUPPORTING_SECTIONS_MAX, TEXT_CHARS_MAX, WINDOW_DAYS_MAX,
};

use super::access::require_scope;
use super::checks;
use super::own_scheme;

pub fn open_scheme(facts: &Facts, command: &OpenScheme, context: &Context) -> Result<Event, Rejection> {
    let issuer = checks::unit(facts, "issuer", &command.issuer)?;
    require_scope(facts, &context.actor, &command.issuer)?;
    if issuer.level.is_section() {
        return reject(
            Code::InvalidValue,
            "issuer",
            format!("issuer: {} is a section and issues no scheme", command.issuer),
        );
    }
    if !(SCHEME_YEAR_MIN..=SCHEME_YEAR_MAX).contains(&command.year) {
        let message = format!("year: must be from {SCHEME_YEAR_MIN} to {SCHEME_YEAR_MAX}, got {}", command.year);
        return reject(Code::InvalidValue, "year", message);
    }
    let scheme = SchemeId::for_issuer_year(&command.issuer, command.year);
    if facts.schemes.contains_key(&scheme) {
        return reject(Code::SchemeExists, "year", format!("year: scheme {scheme} is already open"));
    }
    // A county's own scheme assesses its sections, with its city's base periods (§14).
    let unit_tier_rule = match issuer.level {
        UnitLevel::County => own_scheme::own_scheme_unit_rule(facts, command)?,
        _ => command.unit_tier_rule.clone().ok_or_else(|| {
            let message = "unit_tier_rule: required for a scheme that assesses bureaus (the rule of the units it \
                           assesses directly); only a county's own scheme may leave it out";
            Rejection::new(Code::InvalidCommand, "unit_tier_rule", message)
        })?,
    };
    check_scheme_settings(command, &unit_tier_rule)?;
    Ok(SchemeOpened {
        scheme,
        issuer: command.issuer.clone(),
        year: command.year,
        base_period: command.base_period,
        unit_tier_rule,
        section_tier_rule: command.section_tier_rule.clone(),
        section_tier_rules: command.section_tier_rules.clone(),
        objection_window_days: command.objection_window_days,
        escalation_window_days: command.escalation_window_days,
        decision_window_days: command.decision_window_days,
        bonus_cap: command.bonus_cap,
        repeat_rule: command.repeat_rule,
    }
    .into())
}

fn check_scheme_settings(command: &OpenScheme, unit_tier_rule: &TierRule) -> Result<(), Rejection> {
    tier_rule("unit_tier_rule", unit_tier_rule)?;
    tier_rule("section_tier_rule", &command.section_tier_rule)?;
    for (function_code, rule) in &command.section_tier_rules {
        tier_rule(&format!("section_tier_rules.{function_code}"), rule)?;
    }
    window_days("objection_window_days", command.objection_window_days)?;
    window_days("escalation_window_days", command.escalation_window_days)?;
    window_days("decision_window_days", command.decision_window_days)?;
    if !(0..=BONUS_CAP_MAX).contains(&command.bonus_cap.hundredths()) {
        let message = format!("bonus_cap: must be from 0.00 to {}, got {}", Points(BONUS_CAP_MAX), command.bonus_cap);
        return reject(Code::InvalidValue, "bonus_cap", message);
    }
    repeat_rule(&command.repeat_rule)
}

fn tier_rule(field: &str, rule: &TierRule) -> Result<(), Rejection> {
    rule.validate().map_err(|reason| Rejection::new(Code::InvalidValue, field, format!("{field}: {reason}")))
}

fn window_days(field: &str, days: u32) -> Result<(), Rejection> {
    if !(1..=WINDOW_DAYS_MAX).contains(&days) {
        return reject(
            Code::InvalidValue,
            field,
            format!("{field}: must be from 1 to {WINDOW_DAYS_MAX} days, got {days}"),
        );
    }
    Ok(())
}

fn repeat_rule(rule: &RepeatRule) -> Result<(), Rejection> {
    let valid = rule.consecutive_periods >= 2
        && rule.periods_in_window >= 2
        && rule.periods_in_window <= rule.window_periods
        && rule.window_periods <= REPEAT_WINDOW_PERIODS_MAX;
    if !valid {
        let message = format!(
            "repeat_rule: needs 2 or more consecutive periods and 2 or more periods in a window of at most {REPEAT_WINDOW_PERIODS_MAX}"
        );
        return reject(Code::InvalidValue, "repeat_rule", message);
    }
    Ok(())
}

pub fn define_indicator(facts: &Facts, command: &DefineIndicator, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    require_scope(facts, &context.actor, &scheme.settings.issuer)?;
    if scheme.indicators.contains_key(&command.indicator) {
        let message =
            format!("indicator: indicator {} is already defined in scheme {}", command.indicator, command.scheme);
        return reject(Code::IndicatorExists, "indicator", message);
    }
    checks::name("name", &command.name)?;
    checks::optional_text("description", &command.description, TEXT_CHARS_MAX)?;
    points_max("points_max", command.points_max, command.veto)?;
    method(&command.method)?;
    problem_categories(command)?;
    assessor(facts, scheme, &command.assessor)?;
    let effective_from = command.effective_from.unwrap_or_else(|| checks::first_period(scheme));
    checks::base_period(scheme, "effective_from", effective_from)?;
    checks::no_final_period_from(scheme, "effective_from", effective_from)?;
    Ok(IndicatorDefined {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        name: command.name.clone(),
        description: command.description.clone(),
        points_max: command.points_max,
        method: command.method.clone(),
        veto: command.veto,
        problem_categories: command.problem_categories.clone(),
        assessor: command.assessor.clone(),
        effective_from,
    }
    .into())
}

/// Points worth 0.01 to 100.00; a veto indicator may be worth nothing, since its weight is the veto.
fn points_max(field: &str, points: Points, veto: bool) -> Result<(), Rejection> {
    let least = if veto { 0 } else { 1 };
    if points.hundredths() < least {
        return reject(Code::PointsNotPositive, field, format!("{field}: must be positive, got {points}"));
    }
    if points.hundredths() > INDICATOR_POINTS_MAX {
        let message = format!("{field}: must be at most {}, got {points}", Points(INDICATOR_POINTS_MAX));
        return reject(Code::InvalidValue, field, message);
    }
    Ok(())
}

fn method(method: &IndicatorMethod) -> Result<(), Rejection> {
    match method {
        IndicatorMethod::Deduct => Ok(()),
        IndicatorMethod::Tiered { tiers } => tier_standards("method.tiers", tiers),
    }
}

fn tier_standards(field: &str, tiers: &[crate::domain::scheme::TierStandard]) -> Result<(), Rejection> {
    validate_tier_standards(tiers)
        .map_err(|reason| Rejection::new(Code::InvalidValue, field, format!("{field}: {reason}")))?;
    for (index, tier) in tiers.iter().enumerate() {
        checks::name(&format!("{field}.{index}.standard"), &tier.standard)?;
    }
    Ok(())
}

fn problem_categories(command: &DefineIndicator) -> Result<(), Rejection> {
    let categories = &command.problem_categories;
    checks::list_length("problem_categories", categories.len(), PROBLEM_CATEGORIES_PER_INDICATOR_MAX)?;
    let duplicate = categories.iter().enumerate().find(|(index, category)| categories[..*index].contains(category));
    if let Some((index, category)) = duplicate {
        let message = format!("problem_categories.{index}: category {category} is listed twice");
        return reject(Code::InvalidValue, "problem_categories", message);
    }
    Ok(())
}

/// The assessing unit is the issuer or one of its own units.
fn assessor(facts: &Facts, scheme: &SchemeFacts, assessor: &UnitCode) -> Result<(), Rejection> {
    checks::unit(facts, "assessor", assessor)?;
    if !facts.in_scope(&scheme.settings.issuer, assessor) {
        let message = format!("assessor: unit {assessor} is not under the issuer {}", scheme.settings.issuer);
        return reject(Code::OutOfScope, "assessor", message);
    }
    Ok(())
}

pub fn revise_indicator(facts: &Facts, command: &ReviseIndicator, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    require_scope(facts, &context.actor, &scheme.settings.issuer)?;
    checks::base_period(scheme, "effective_from", command.effective_from)?;
    let indicator = checks::indicator_at(scheme, "indicator", &command.indicator, command.effective_from)?;
    checks::no_final_period_from(scheme, "effective_from", command.effective_from)?;
    // A taken-over indicator keeps the city's text and tiers; only its points here may change.
    let own_text_or_tiers = [
        ("name", command.name.is_some()),
        ("description", command.description.is_some()),
        ("tiers", command.tiers.is_some()),
    ];
    if let Some(field) = own_text_or_tiers.into_iter().find_map(|(field, given)| given.then_some(field)) {
        own_scheme::not_taken_over(indicator, field, "name, description or tiers of its own (only its points)")?;
    }
    check_revision_content(command, indicator.defined.veto, &indicator.defined.method)?;
    checks::long_text("reason", &command.reason)?;
    Ok(IndicatorRevised {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        effective_from: command.effective_from,
        name: command.name.clone(),
        description: command.description.clone(),
        points_max: command.points_max,
        tiers: command.tiers.clone(),
        reason: command.reason.clone(),
    }
    .into())
}

fn check_revision_content(command: &ReviseIndicator, veto: bool, method: &IndicatorMethod) -> Result<(), Rejection> {
    let changes_nothing = command.name.is_none()
        && command.description.is_none()
        && command.points_max.is_none()
        && command.tiers.is_none();
    if changes_nothing {
        let message = "points_max: a revision must change at least one of name, description, points_max or tiers";
        return reject(Code::RevisionEmpty, "points_max", message);
    }
    if let Some(name) = &command.name {
        checks::name("name", name)?;
    }
    if let Some(description) = &command.description {
        checks::optional_text("description", description, TEXT_CHARS_MAX)?;
    }
    if let Some(points) = command.points_max {
        points_max("points_max", points, veto)?;
    }
    if let Some(tiers) = &command.tiers {
        if !method.is_tiered() {
            let message = format!("tiers: indicator {} is scored by deduction and has no tiers", command.indicator);
            return reject(Code::IndicatorNotTiered, "tiers", message);
        }
        tier_standards("tiers", tiers)?;
    }
    Ok(())
}

pub fn retire_indicator(facts: &Facts, command: &RetireIndicator, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    require_scope(facts, &context.actor, &scheme.settings.issuer)?;
    checks::base_period(scheme, "effective_from", command.effective_from)?;
    let indicator = checks::indicator(scheme, "indicator", &command.indicator)?;
    if let Some(retired_from) = indicator.retired_from {
        let message = format!("indicator: indicator {} is already retired from {retired_from}", command.indicator);
        return reject(Code::IndicatorRetired, "indicator", message);
    }
    checks::no_final_period_from(scheme, "effective_from", command.effective_from)?;
    checks::long_text("reason", &command.reason)?;
    Ok(IndicatorRetired {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        effective_from: command.effective_from,
        reason: command.reason.clone(),
    }
    .into())
}

/// The plan's unit must be one the scheme assesses, inside the office's own unit (in a county's own
/// scheme, the county itself: it gives its indicators to its sections).
fn plan_unit(facts: &Facts, scheme: &SchemeFacts, unit: &UnitCode, context: &Context) -> Result<(), Rejection> {
    checks::unit(facts, "unit", unit)?;
    require_scope(facts, &context.actor, unit)?;
    if facts.is_own_scheme(scheme) {
        return own_scheme::own_plan_unit(scheme, unit);
    }
    if !facts.is_assessee_of(scheme, unit) {
        let message = format!("unit: unit {unit} is not assessed by scheme {}", scheme.settings.scheme);
        return reject(Code::OutOfScope, "unit", message);
    }
    Ok(())
}

fn section_of(facts: &Facts, field: &str, section: &UnitCode, unit: &UnitCode) -> Result<(), Rejection> {
    checks::unit(facts, field, section)?;
    if !facts.is_active_section_of(section, unit) {
        return reject(Code::NotASection, field, format!("{field}: unit {section} is not a section of {unit}"));
    }
    Ok(())
}

pub fn assign_indicator(facts: &Facts, command: &AssignIndicator, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    plan_unit(facts, scheme, &command.unit, context)?;
    let indicator = checks::indicator(scheme, "indicator", &command.indicator)?;
    own_scheme::not_taken_over(indicator, "indicator", "assignment (its lead is the one assigned there)")?;
    let effective_from = command.effective_from.unwrap_or(indicator.defined.effective_from);
    checks::base_period(scheme, "effective_from", effective_from)?;
    checks::indicator_at(scheme, "indicator", &command.indicator, effective_from)?;
    not_dropped(scheme, &command.indicator, &command.unit)?;
    // An assignment changes the plan from its period on: it may not reach back into a final period.
    checks::no_final_period_from(scheme, "effective_from", effective_from)?;
    section_of(facts, "lead_section", &command.lead_section, &command.unit)?;
    checks::list_length("supporting_sections", command.supporting_sections.len(), SUPPORTING_SECTIONS_MAX)?;
    for (index, section) in command.supporting_sections.iter().enumerate() {
        section_of(facts, &format!("supporting_sections.{index}"), section, &command.unit)?;
    }
    if let Some(person) = &command.responsible_person {
        responsible_person(facts, person, &command.unit)?;
    }
    Ok(IndicatorAssigned {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        unit: command.unit.clone(),
        lead_section: command.lead_section.clone(),
        supporting_sections: command.supporting_sections.clone(),
        responsible_person: command.responsible_person.clone(),
        effective_from,
    }
    .into())
}

fn not_dropped(scheme: &SchemeFacts, indicator: &IndicatorCode, unit: &UnitCode) -> Result<(), Rejection> {
    let dropped_from =
        scheme.plans.get(unit).and_then(|plan| plan.get(indicator)).and_then(|entry| entry.not_applicable_from);
    if let Some(from) = dropped_from {
        let message = format!("indicator: indicator {indicator} is marked not applicable to {unit} from {from}");
        return reject(Code::AlreadyNotApplicable, "indicator", message);
    }
    Ok(())
}

fn responsible_person(facts: &Facts, person: &crate::domain::ids::PersonId, unit: &UnitCode) -> Result<(), Rejection> {
    let record = checks::person(facts, "responsible_person", person)?;
    if !facts.in_scope(unit, record.unit()) {
        let message = format!("responsible_person: person {person} works in {}, not in {unit}", record.unit());
        return reject(Code::OutOfScope, "responsible_person", message);
    }
    Ok(())
}

pub fn mark_not_applicable(
    facts: &Facts,
    command: &MarkIndicatorNotApplicable,
    context: &Context,
) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    plan_unit(facts, scheme, &command.unit, context)?;
    let indicator = checks::indicator(scheme, "indicator", &command.indicator)?;
    own_scheme::not_taken_over(indicator, "indicator", "not-applicable mark (retire it here, or drop it there)")?;
    let effective_from = command.effective_from.unwrap_or(indicator.defined.effective_from);
    checks::base_period(scheme, "effective_from", effective_from)?;
    checks::indicator_at(scheme, "indicator", &command.indicator, effective_from)?;
    not_dropped(scheme, &command.indicator, &command.unit)?;
    checks::no_final_period_from(scheme, "effective_from", effective_from)?;
    checks::long_text("reason", &command.reason)?;
    checks::person(facts, "approver", &command.approver)?;
    Ok(IndicatorMarkedNotApplicable {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        unit: command.unit.clone(),
        effective_from,
        reason: command.reason.clone(),
        approver: command.approver.clone(),
    }
    .into())
}
