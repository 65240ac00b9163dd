//! Rules for the period lifecycle: open → published (objection window) → final, and reopen (back to
//! published).
//!
//! Invariant: a period is published only once every applicable tiered indicator of every unit the
//! scheme assesses has an award for it (a county's month, moreover, only once the city's same month is
//! published, and only by the county's own committee); it turns final only after its objection window
//! has closed, with no appeal on it waiting for a decision and none whose decision may still be
//! escalated, so finalising never cuts off an appeal or an escalation that was still allowed.

use crate::domain::command::{FinalisePeriod, OpenPeriod, PublishResults, ReopenPeriod};
use crate::domain::context::Context;
use crate::domain::event::{Event, PeriodFinalised, PeriodOpened, PeriodReopened, ResultsPublished};
use crate::domain::facts::{Facts, PeriodFacts, PeriodStatus, SchemeFacts};
use crate::domain::ids::{IndicatorCode, SchemeId, UnitCode};
use crate::domain::period::PeriodId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::Timestamp;
use crate::limits::MISSING_AWARDS_LISTED_MAX;

use super::access::require_scope;
use super::checks;
use super::own_scheme;

/// The scheme, with the actor checked against its issuer.
fn issuer_scheme<'a>(facts: &'a Facts, scheme: &SchemeId, context: &Context) -> Result<&'a SchemeFacts, Rejection> {
    let record = checks::scheme(facts, "scheme", scheme)?;
    require_scope(facts, &context.actor, &record.settings.issuer)?;
    Ok(record)
}

/// The scheme whose months a committee publishes, finalises or reopens: the actor's scope must hold
/// the issuer, and a county's own scheme's months are its own committee's alone (the actor's unit is
/// the county: `own_scheme::county_committee`).
fn committee_scheme<'a>(facts: &'a Facts, scheme: &SchemeId, context: &Context) -> Result<&'a SchemeFacts, Rejection> {
    let record = issuer_scheme(facts, scheme, context)?;
    if facts.is_own_scheme(record) {
        own_scheme::county_committee(record, context)?;
    }
    Ok(record)
}

pub fn open_period(facts: &Facts, command: &OpenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(facts, &command.scheme, context)?;
    checks::base_period(scheme, "period", command.period)?;
    if facts.is_own_scheme(scheme) {
        own_scheme::refuse_open_period(facts, scheme, command)?;
    }
    if scheme.periods.contains_key(&command.period) {
        return reject(Code::PeriodExists, "period", format!("period: period {} is already open", command.period));
    }
    Ok(PeriodOpened { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn publish_results(facts: &Facts, command: &PublishResults, context: &Context) -> Result<Event, Rejection> {
    let scheme = committee_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    require_status(period, command.period, PeriodStatus::Open)?;
    every_tier_awarded(facts, scheme, command.period)?;
    if facts.is_own_scheme(scheme) {
        own_scheme::city_month_published(facts, scheme, command.period)?;
    }
    let days = i64::from(scheme.settings.objection_window_days);
    Ok(ResultsPublished {
        scheme: command.scheme.clone(),
        period: command.period,
        objection_window_closes_at: context.now.plus_days(days),
    }
    .into())
}

pub fn finalise_period(facts: &Facts, command: &FinalisePeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = committee_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    require_status(period, command.period, PeriodStatus::Published)?;
    if facts.is_own_scheme(scheme) {
        own_scheme::city_month_final(facts, scheme, command.period)?;
    }
    if let Some(closes_at) = period.objection_window_closes_at.filter(|closes_at| context.now < *closes_at) {
        let message = format!("period: the objection window of {} is open until {closes_at}", command.period);
        return reject(Code::ObjectionWindowOpen, "period", message);
    }
    no_appeal_pending(facts, &command.scheme, command.period, context.now)?;
    Ok(PeriodFinalised { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn reopen_period(facts: &Facts, command: &ReopenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = committee_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    if period.status != PeriodStatus::Final {
        return reject(Code::PeriodNotFinal, "period", format!("period: period {} is not final", command.period));
    }
    checks::long_text("reason", &command.reason)?;
    Ok(PeriodReopened { scheme: command.scheme.clone(), period: command.period, reason: command.reason.clone() }.into())
}

/// Refuses to publish while an applicable tiered indicator of a unit the scheme assesses (an active
/// one: a retired unit is assessed no more) has no award for the period, listing each (unit,
/// indicator). Sections have no awards of their own: a lead section mirrors its county's.
fn every_tier_awarded(facts: &Facts, scheme: &SchemeFacts, period: PeriodId) -> Result<(), Rejection> {
    // In a county's own scheme: its sections' local tiered indicators, and the taken-over ones (whose
    // award is the city's to the county).
    let mut missing: Vec<(&UnitCode, &IndicatorCode, Option<String>)> = match facts.is_own_scheme(scheme) {
        true => own_scheme::missing_awards(facts, scheme, period),
        false => Vec::new(),
    };
    for unit in facts.active_children(&scheme.settings.issuer, false) {
        let awards = scheme.assessment(period, unit).map(|assessment| &assessment.tier_awards);
        for (code, indicator) in &scheme.indicators {
            let unawarded = indicator.version_at(period).is_tiered()
                && scheme.applies(indicator, unit, period)
                && !awards.is_some_and(|awards| awards.contains_key(code));
            if unawarded {
                missing.push((unit, code, None));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = missing
        .iter()
        .take(MISSING_AWARDS_LISTED_MAX)
        .map(|(unit, code, whose)| match whose {
            Some(whose) => format!("{unit} {code} ({whose})"),
            None => format!("{unit} {code}"),
        })
        .collect();
    let more = match missing.len().saturating_sub(MISSING_AWARDS_LISTED_MAX) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let message = format!(
        "period: {period} cannot be published: {} applicable tiered indicator(s) have no tier award for it \
         (unit indicator): {}{more}",
        missing.len(),
        listed.join(", ")
    );
    reject(Code::TierAwardsMissing, "period", message)
}

/// Refuses to finalise while an appeal on the period waits for a decision, or a decision on it may
/// still be escalated (its escalation window closes after `now`; at the closing instant itself the
/// period may be finalised, as with the objection window), naming the appeals.
fn no_appeal_pending(facts: &Facts, scheme: &SchemeId, period: PeriodId, now: Timestamp) -> Result<(), Rejection> {
    let mut pending: Vec<String> = Vec::new();
    let on_period =
        facts.appeals.values().filter(|appeal| &appeal.filed.scheme == scheme && appeal.filed.period == period);
    for appeal in on_period {
        let id = appeal.filed.appeal_id;
        if appeal.awaiting_decision {
            pending.push(format!("appeal {id} is waiting for a decision (due {})", appeal.decision_due_at));
        } else if let Some(closes_at) = appeal.escalation_window_closes_at.filter(|closes_at| now < *closes_at) {
            pending.push(format!("appeal {id} may still be escalated until {closes_at}"));
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let message = format!("period: {period} cannot be final yet: {}", pending.join("; "));
    reject(Code::AppealsOpen, "period", message)
}

/// Refuses a period in any status but `wanted`, saying which status it is in.
fn require_status(record: &PeriodFacts, period: PeriodId, wanted: PeriodStatus) -> Result<(), Rejection> {
    match (record.status, wanted) {
        (status, wanted) if status == wanted => Ok(()),
        (PeriodStatus::Final, _) => reject(Code::PeriodFinal, "period", format!("period: period {period} is final")),
        (PeriodStatus::Published, _) => {
            reject(Code::PeriodNotOpen, "period", format!("period: period {period} is already published"))
        }
        (PeriodStatus::Open, _) => {
            reject(Code::PeriodNotPublished, "period", format!("period: period {period} is not published yet"))
        }
    }
}
