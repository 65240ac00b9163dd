//! Rules for the period lifecycle: open → published (objection window) → final, and reopen.
//!
//! Invariant: a period turns final only after its objection window has closed and with no appeal
//! waiting for a decision, so finalising never cuts off an appeal that was still allowed.

use crate::domain::command::{FinalisePeriod, OpenPeriod, PublishResults, ReopenPeriod};
use crate::domain::context::Context;
use crate::domain::event::{Event, PeriodFinalised, PeriodOpened, PeriodReopened, ResultsPublished};
use crate::domain::ids::SchemeId;
use crate::domain::period::PeriodId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::state::{PeriodRecord, PeriodStatus, SchemeRecord, State};

use super::access::require_scope;
use super::checks;

/// The scheme, with the actor checked against its issuer.
fn issuer_scheme<'a>(state: &'a State, scheme: &SchemeId, context: &Context) -> Result<&'a SchemeRecord, Rejection> {
    let record = checks::scheme(state, "scheme", scheme)?;
    require_scope(state, &context.actor, &record.settings.issuer)?;
    Ok(record)
}

pub fn open_period(state: &State, command: &OpenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(state, &command.scheme, context)?;
    checks::base_period(scheme, "period", command.period)?;
    if scheme.periods.contains_key(&command.period) {
        return reject(Code::PeriodExists, "period", format!("period: period {} is already open", command.period));
    }
    Ok(PeriodOpened { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn publish_results(state: &State, command: &PublishResults, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(state, &command.scheme, context)?;
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

pub fn finalise_period(state: &State, command: &FinalisePeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(state, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    require_status(period, command.period, PeriodStatus::Published)?;
    if let Some(closes_at) = period.objection_window_closes_at.filter(|closes_at| context.now < *closes_at) {
        let message = format!("period: the objection window of {} is open until {closes_at}", command.period);
        return reject(Code::ObjectionWindowOpen, "period", message);
    }
    if state.has_open_appeals_in(&command.scheme, command.period) {
        let message = format!("period: appeals in {} are still waiting for a decision", command.period);
        return reject(Code::AppealsOpen, "period", message);
    }
    Ok(PeriodFinalised { scheme: command.scheme.clone(), period: command.period }.into())
}

pub fn reopen_period(state: &State, command: &ReopenPeriod, context: &Context) -> Result<Event, Rejection> {
    let scheme = issuer_scheme(state, &command.scheme, context)?;
    let period = checks::opened_period(scheme, "period", command.period)?;
    if period.status != PeriodStatus::Final {
        return reject(Code::PeriodNotFinal, "period", format!("period: period {} is not final", command.period));
    }
    checks::long_text("reason", &command.reason)?;
    Ok(PeriodReopened { scheme: command.scheme.clone(), period: command.period, reason: command.reason.clone() }.into())
}

/// Refuses a period in any status but `wanted`, saying which status it is in.
fn require_status(record: &PeriodRecord, period: PeriodId, wanted: PeriodStatus) -> Result<(), Rejection> {
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
