//! Rules of a county's own scheme (内部考核): opening one, taking a city indicator over, who assesses
//! its sections, and its months — opened by the city, published by the county's committee once every
//! applicable tiered indicator has its award (a local one here, a taken-over one the city's award to
//! the county), and final only once the city's same month is final.
//!
//! Invariant: a county's own scheme assesses only the county's sections; a taken-over indicator takes
//! no fact, assignment or mark of its own (the city's facts score it, and the county's plan there names
//! its lead); an office acts in a scheme only as its county's own; what is recorded in a county's own
//! scheme — its assessments and its months — is recorded by the county itself (the actor's unit is the
//! issuer), never by a unit above it whose scope merely holds the county.

use crate::domain::command::{OpenPeriod, OpenScheme, TakeOverIndicator};
use crate::domain::context::{Context, Role};
use crate::domain::event::{Event, IndicatorTakenOver};
use crate::domain::facts::{Facts, IndicatorFacts, PeriodStatus, SchemeFacts};
use crate::domain::ids::{IndicatorCode, UnitCode};
use crate::domain::period::PeriodId;
use crate::domain::points::Points;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::scheme::TierRule;
use crate::limits::INDICATOR_POINTS_MAX;

use super::access::{refuse_role, require_scope};
use super::checks;

/// The rule a county's own scheme ranks its sections by, checked against its city's scheme: that
/// scheme must be open (its base periods are the county's), of the same base period; the sections
/// form one group, so no rule per function code is taken. Left out, the rule is shares 30/50/20.
pub(super) fn own_scheme_unit_rule(facts: &Facts, command: &OpenScheme) -> Result<TierRule, Rejection> {
    let city_id = facts.parent_scheme_id(&command.issuer, command.year);
    let Some(city) = city_id.as_ref().and_then(|id| facts.schemes.get(id)) else {
        let city = city_id.map_or_else(|| "its city's scheme".to_owned(), |id| format!("its city's scheme {id}"));
        let message =
            format!("year: a county's own scheme uses the base periods of {city}, which is not open; open that first");
        return reject(Code::UnknownScheme, "year", message);
    };
    if command.base_period != city.settings.base_period {
        let message = format!(
            "base_period: a county's own scheme uses the base periods of {}: {}, not {}",
            city.settings.scheme,
            city.settings.base_period.as_str(),
            command.base_period.as_str()
        );
        return reject(Code::InvalidValue, "base_period", message);
    }
    if !command.section_tier_rules.is_empty() {
        let message = "section_tier_rules: a county's own scheme ranks all its sections in one group, by \
                       unit_tier_rule; it takes no rule per function code";
        return reject(Code::InvalidValue, "section_tier_rules", message);
    }
    Ok(command.unit_tier_rule.clone().unwrap_or_else(TierRule::default_for_sections))
}

pub fn take_over_indicator(facts: &Facts, command: &TakeOverIndicator, context: &Context) -> Result<Event, Rejection> {
    let scheme = checks::scheme(facts, "scheme", &command.scheme)?;
    let county = &scheme.settings.issuer;
    require_scope(facts, &context.actor, county)?;
    if !facts.is_own_scheme(scheme) {
        let message = format!(
            "scheme: {} is not a county's own scheme; only a county's own scheme takes over its city's indicators",
            command.scheme
        );
        return reject(Code::NotACountyScheme, "scheme", message);
    }
    let Some(city) = facts.city_scheme_of(scheme).filter(|city| city.settings.scheme == command.city_scheme) else {
        let reads = scheme.reads.as_ref().map_or_else(|| "no city scheme".to_owned(), ToString::to_string);
        let message = format!("city_scheme: {} reads {reads}, not {}", command.scheme, command.city_scheme);
        return reject(Code::InvalidValue, "city_scheme", message);
    };
    if scheme.indicators.contains_key(&command.indicator) {
        let message = format!("indicator: {} already has an indicator {}", command.scheme, command.indicator);
        return reject(Code::IndicatorExists, "indicator", message);
    }
    let city_indicator = checks::indicator(city, "indicator", &command.indicator)?;
    points_max(command.points_max)?;
    let first = checks::first_period(scheme).max(city_indicator.defined.effective_from);
    let effective_from = command.effective_from.unwrap_or(first);
    checks::base_period(scheme, "effective_from", effective_from)?;
    checks::indicator_at(city, "indicator", &command.indicator, effective_from)?;
    assigned_by_the_county(city, &command.indicator, county)?;
    checks::no_final_period_from(scheme, "effective_from", effective_from)?;
    Ok(IndicatorTakenOver {
        scheme: command.scheme.clone(),
        indicator: command.indicator.clone(),
        city_scheme: command.city_scheme.clone(),
        points_max: command.points_max,
        effective_from,
    }
    .into())
}

/// A taken-over indicator is worth 0.01 to 100.00 in the county's scheme.
fn points_max(points: Points) -> Result<(), Rejection> {
    if points <= Points::ZERO {
        return reject(Code::PointsNotPositive, "points_max", format!("points_max: must be positive, got {points}"));
    }
    if points.hundredths() > INDICATOR_POINTS_MAX {
        let message = format!("points_max: must be at most {}, got {points}", Points(INDICATOR_POINTS_MAX));
        return reject(Code::InvalidValue, "points_max", message);
    }
    Ok(())
}

/// What is taken over is key work the county has given a lead section in the city's scheme, and has
/// not dropped there.
fn assigned_by_the_county(city: &SchemeFacts, indicator: &IndicatorCode, county: &UnitCode) -> Result<(), Rejection> {
    let plan = city.plans.get(county).and_then(|plan| plan.get(indicator));
    if let Some(from) = plan.and_then(|plan| plan.not_applicable_from) {
        let message = format!(
            "indicator: {county} marked {indicator} not applicable in {} from {from}; there is nothing to take over",
            city.settings.scheme
        );
        return reject(Code::AlreadyNotApplicable, "indicator", message);
    }
    if plan.is_none_or(|plan| plan.assignments.is_empty()) {
        let message = format!(
            "indicator: {county} has not assigned {indicator} to a lead section in {}; assign it there first (a \
             taken-over indicator counts for its lead section)",
            city.settings.scheme
        );
        return reject(Code::IndicatorNotApplicable, "indicator", message);
    }
    Ok(())
}

/// A taken-over indicator takes no fact, assignment, mark or change of text or tiers of its own.
pub(super) fn not_taken_over(indicator: &IndicatorFacts, field: &str, what: &str) -> Result<(), Rejection> {
    let Some(taken_over) = &indicator.taken_over else { return Ok(()) };
    let message = format!(
        "{field}: {} is taken over from {}, whose facts score it and where the county's plan names its lead; it \
         takes no {what} here",
        indicator.defined.indicator, taken_over.city_scheme
    );
    reject(Code::IndicatorTakenOver, field, message)
}

/// The plan of a county's own scheme is the county's: assignments and marks there name the issuer.
pub(super) fn own_plan_unit(scheme: &SchemeFacts, unit: &UnitCode) -> Result<(), Rejection> {
    let county = &scheme.settings.issuer;
    if unit != county {
        let message = format!(
            "unit: {} is {county}'s own scheme; its plan is {county}'s (it gives indicators to {county}'s sections)",
            scheme.settings.scheme
        );
        return reject(Code::OutOfScope, "unit", message);
    }
    Ok(())
}

/// Who assesses a section in its county's own scheme, on a local indicator it leads: the county's
/// office, or an assessor of the county itself (`county_assesses`) whose scope holds the indicator's
/// assessing unit.
pub(super) fn may_assess(
    facts: &Facts,
    scheme: &SchemeFacts,
    indicator: &IndicatorFacts,
    period: PeriodId,
    unit: &UnitCode,
    context: &Context,
) -> Result<(), Rejection> {
    not_taken_over(indicator, "indicator", "deduction, tier award or veto")?;
    let county = &scheme.settings.issuer;
    match context.actor.role {
        Role::Office => office_of(scheme, context)?,
        _ => {
            county_assesses(scheme, context)?;
            let assessor = &indicator.defined.assessor;
            if !facts.in_scope(&context.actor.unit, assessor) {
                let message = format!(
                    "actor.unit: indicator {} is assessed by {assessor}, outside the scope of {}",
                    indicator.defined.indicator, context.actor.unit
                );
                return reject(Code::OutOfScope, "actor.unit", message);
            }
        }
    }
    if !facts.is_active_section_of(unit, county) {
        let message =
            format!("unit: unit {unit} is not a section of {county}, which scheme {} assesses", scheme.settings.scheme);
        return reject(Code::OutOfScope, "unit", message);
    }
    if !facts.own_indicator_applies(scheme, indicator, unit, period) {
        let message =
            format!("indicator: indicator {} is not one {unit} carries in {period}", indicator.defined.indicator);
        return reject(Code::IndicatorNotApplicable, "indicator", message);
    }
    Ok(())
}

/// An office acts in its own county's scheme only (`office` role: its unit is the issuer).
pub(super) fn office_of(scheme: &SchemeFacts, context: &Context) -> Result<(), Rejection> {
    let county = &scheme.settings.issuer;
    if &context.actor.unit != county {
        let message = format!(
            "actor.unit: the office of {} acts in its own county's scheme only; {} is {county}'s",
            context.actor.unit, scheme.settings.scheme
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    Ok(())
}

/// The county's own scheme is assessed by the county itself: an assessor acts in it only when its unit
/// is the issuer. The city's assessor, whose scope holds the county, records nothing there (the city's
/// facts about the county stay in the city's scheme, §14.4), nor does the assessor of another unit.
pub(super) fn county_assesses(scheme: &SchemeFacts, context: &Context) -> Result<(), Rejection> {
    let county = &scheme.settings.issuer;
    if &context.actor.unit == county {
        return Ok(());
    }
    let message = format!(
        "actor.unit: {} is {county}'s own scheme; deductions, tier awards, bonuses and vetoes in it are recorded \
         and withdrawn by {county}'s own office and assessors, not by {}",
        scheme.settings.scheme, context.actor.unit
    );
    reject(Code::OutOfScope, "actor.unit", message)
}

/// The months of a county's own scheme are its own committee's: only a committee whose unit is the
/// issuer publishes, finalises or reopens them (the city's committee, whose scope holds the county,
/// does not).
pub(super) fn county_committee(scheme: &SchemeFacts, context: &Context) -> Result<(), Rejection> {
    let county = &scheme.settings.issuer;
    if &context.actor.unit == county {
        return Ok(());
    }
    let message = format!(
        "actor.unit: {} is {county}'s own scheme; its months are published, finalised and reopened by {county}'s \
         own committee, not by {}'s",
        scheme.settings.scheme, context.actor.unit
    );
    reject(Code::OutOfScope, "actor.unit", message)
}

/// Appeals in a county's own scheme are the county's to decide: its own reviewers at the first stage and
/// its own committee when escalated (the city's, whose scope holds the county, decide nothing there).
pub(super) fn county_decides(scheme: &SchemeFacts, context: &Context) -> Result<(), Rejection> {
    let county = &scheme.settings.issuer;
    if &context.actor.unit == county {
        return Ok(());
    }
    let message = format!(
        "actor.unit: {} is {county}'s own scheme; appeals in it are decided by {county}'s own reviewers and,          escalated, its own committee, not by {}'s",
        scheme.settings.scheme, context.actor.unit
    );
    reject(Code::OutOfScope, "actor.unit", message)
}

/// An office awards tiers, bonuses and vetoes only in its county's own scheme.
pub(super) fn office_only_in_own_scheme(
    facts: &Facts,
    scheme: &SchemeFacts,
    context: &Context,
) -> Result<(), Rejection> {
    if context.actor.role != Role::Office || facts.is_own_scheme(scheme) {
        return Ok(());
    }
    let message = format!(
        "scheme: an office awards tiers, bonuses and vetoes only in its county's own scheme; {} is the scheme of {}",
        scheme.settings.scheme, scheme.settings.issuer
    );
    reject(Code::OutOfScope, "scheme", message)
}

/// Who withdraws a deduction in a county's own scheme: its county's office, or an assessor of the
/// county itself (`county_assesses`) whose scope holds the unit that recorded it.
pub(super) fn may_withdraw(
    facts: &Facts,
    scheme: &SchemeFacts,
    assessor: &UnitCode,
    context: &Context,
) -> Result<(), Rejection> {
    match context.actor.role {
        Role::Office => office_of(scheme, context),
        Role::Assessor => {
            county_assesses(scheme, context)?;
            require_scope(facts, &context.actor, assessor)
        }
        _ => refuse_role(&context.actor, "withdraw this deduction", &[Role::Office, Role::Assessor]),
    }
}

/// A county's own scheme opens no period itself: the city's opening opens it.
pub(super) fn refuse_open_period(facts: &Facts, scheme: &SchemeFacts, command: &OpenPeriod) -> Result<(), Rejection> {
    let city = facts.city_scheme_of(scheme);
    let city_name = city.map_or_else(|| "its city's scheme".to_owned(), |city| city.settings.scheme.to_string());
    let state = match scheme.periods.contains_key(&command.period) {
        true => "it is open already",
        false => "it is not open there yet",
    };
    let message = format!(
        "period: {} uses the base periods of {city_name}: {} opens when {city_name} opens it ({state})",
        command.scheme, command.period
    );
    reject(Code::PeriodOpenedByCity, "period", message)
}

/// A county's month is published only once the city has published its same month (or made it final):
/// the taken-over indicators are scored from the city's facts, which may still change while the city's
/// month is open.
pub(super) fn city_month_published(facts: &Facts, scheme: &SchemeFacts, period: PeriodId) -> Result<(), Rejection> {
    let Some(city) = facts.city_scheme_of(scheme) else { return Ok(()) };
    let status = city.periods.get(&period).map(|record| record.status);
    if matches!(status, Some(PeriodStatus::Published | PeriodStatus::Final)) {
        return Ok(());
    }
    let now = match status {
        Some(_) => "open",
        None => "not opened",
    };
    let message = format!(
        "period: {period} of {} can be published only once {} has published {period} (it is {now} there)",
        scheme.settings.scheme, city.settings.scheme
    );
    reject(Code::CityPeriodNotPublished, "period", message)
}

/// A county's month is final only once the city's same month is final.
pub(super) fn city_month_final(facts: &Facts, scheme: &SchemeFacts, period: PeriodId) -> Result<(), Rejection> {
    let Some(city) = facts.city_scheme_of(scheme) else { return Ok(()) };
    let status = city.periods.get(&period).map(|record| record.status);
    if status == Some(PeriodStatus::Final) {
        return Ok(());
    }
    let now = match status {
        Some(PeriodStatus::Published) => "published",
        Some(_) => "open",
        None => "not opened",
    };
    let message = format!(
        "period: {period} of {} can be final only once {} has made {period} final (it is {now} there)",
        scheme.settings.scheme, city.settings.scheme
    );
    reject(Code::CityPeriodNotFinal, "period", message)
}

/// The applicable tiered indicators of a county's own scheme without an award for `period`: for each
/// active section, the local ones it leads without an award here, and the taken-over ones it leads
/// without the city's award to the county. Each as (section, indicator, whose award is missing).
pub(super) fn missing_awards<'a>(
    facts: &'a Facts,
    scheme: &'a SchemeFacts,
    period: PeriodId,
) -> Vec<(&'a UnitCode, &'a IndicatorCode, Option<String>)> {
    let county = &scheme.settings.issuer;
    let mut missing = Vec::new();
    for section in facts.active_children(county, true) {
        for (code, indicator) in &scheme.indicators {
            if !facts.own_indicator_applies(scheme, indicator, section, period) {
                continue;
            }
            match facts.taken_over_at(scheme, indicator, period) {
                Some(taken) if taken.city_version.is_tiered() => {
                    let awarded =
                        taken.city.assessment(period, county).is_some_and(|a| a.tier_awards.contains_key(code));
                    if !awarded {
                        missing.push((
                            section,
                            code,
                            Some(format!("{}'s award to {county}", taken.city.settings.scheme)),
                        ));
                    }
                }
                Some(_) => {}
                None if indicator.version_at(period).is_tiered() => {
                    let awarded = scheme.assessment(period, section).is_some_and(|a| a.tier_awards.contains_key(code));
                    if !awarded {
                        missing.push((section, code, None));
                    }
                }
                None => {}
            }
        }
    }
    missing
}
