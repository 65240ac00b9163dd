//! Rules for the period lifecycle: open → published (objection window) → final, and reopen.
//!
//! Invariant: a period turns final only after its objection window has closed and with no appeal
//! waiting for a decision, so finalising never cuts off an appeal that was still allowed.

use crate::domain::command::{FinalisePeriod, OpenPeriod, PublishResults, ReopenPeriod};
use crate::domain::context::Context;
use crate::domain::event::{Event, PeriodFinalised, PeriodOpened, PeriodReopened, ResultsPublished};
use crate::domain::facts::{Facts, PeriodFacts, PeriodStatus, SchemeFacts};
use crate::domain::ids::SchemeId;
use crate::domain::period::PeriodId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

use super::access::require_scope;
use super::checks;

/// The scheme, with the actor checked against its issuer.
fn issuer_scheme<'a>(facts: &'a Facts, scheme: &SchemeId, context: &Context) -> Result<&'a SchemeFacts, Rejection> {
    let record = checks::scheme(facts, "scheme", scheme)?;
    require_scope(facts, &context.actor, &record.settings.issuer)?;
    Ok(record)
}

pub fn open_period(facts: &Facts, command: &OpenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(facts, &command.scheme, context)?;
    checks::base_period(scheme, "period", command.period)?;
    if scheme.periods.contains_key(&command.period) {
        return reject(Code::PeriodExists, "period", format!("period: period {} is already open", command.period));
    }
    Ok(PeriodOpened { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn publish_results(facts: &Facts, command: &PublishResults, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    require_status(period, command.period, PeriodStatus::Open)?;
    let days = i64::from(scheme.settings.objection_window_days);
    Ok(ResultsPublished {
        scheme: command.scheme.clone(),
        period: command.period,
        objection_window_closes_at: context.now.plus_days(days),
    }
    .into())
}

pub fn finalise_period(facts: &Facts, command: &FinalisePeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    require_status(period, command.period, PeriodStatus::Published)?;
    if let Some(closes_at) = period.objection_window_closes_at.filter(|closes_at| context.now < *closes_at) {
        let message = format!("period: the objection window of {} is open until {closes_at}", command.period);
        return reject(Code::ObjectionWindowOpen, "period", message);
    }
    if facts.has_open_appeals_in(&command.scheme, command.period) {
        let message = format!("period: appeals in {} are still waiting for a decision", command.period);
        return reject(Code::AppealsOpen, "period", message);
    }
    Ok(PeriodFinalised { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn reopen_period(facts: &Facts, command: &ReopenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(facts, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    if period.status != PeriodStatus::Final {
        return reject(Code::PeriodNotFinal, "period", format!("period: period {} is not final", command.period));
    }
    checks::long_text("reason", &command.reason)?;
    Ok(PeriodReopened { scheme: command.scheme.clone(), period: command.period, reason: command.reason.clone() }.into())
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
