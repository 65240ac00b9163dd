//! `evolve`: folds one stored event into the `State`.
//!
//! Invariant: evolve never fails and never decides. Events are facts already accepted by `decide`; a
//! fact whose subject is missing (which `decide` never lets happen) changes nothing rather than
//! stopping the fold, so a service can always load its ledger and report what is wrong.

use super::appeal::{AppealStage, AppealTarget};
use super::context::EventMeta;
use super::event::*;
use super::state::{
    AccessRecord, AppealRecord, DeductionRecord, IndicatorRecord, PeriodRecord, PeriodStatus, PersonRecord, PlanEntry,
    SchemeRecord, State, TierAwardRecord, UnitRecord,
};

/// Folds `event`, stored with `meta`, into `state`.
pub fn evolve(state: &mut State, event: &Event, meta: &EventMeta) {
    state.last_seq = meta.seq;
    state.event_ids.insert(meta.event_id);
    match event {
        Event::UnitRegistered(event) => unit_registered(state, event),
        Event::UnitRenamed(event) => {
            if let Some(unit) = state.units.get_mut(&event.unit) {
                unit.name.clone_from(&event.name);
            }
        }
        Event::UnitRetired(event) => {
            if let Some(unit) = state.units.get_mut(&event.unit) {
                unit.retired = true;
            }
        }
        Event::PersonRegistered(event) => {
            let record = PersonRecord { name: event.name.clone(), unit: event.unit.clone(), retired: false };
            state.persons.insert(event.person.clone(), record);
        }
        Event::PersonMoved(event) => {
            if let Some(person) = state.persons.get_mut(&event.person) {
                person.unit = event.to_unit.clone();
            }
        }
        Event::PersonRetired(event) => {
            if let Some(person) = state.persons.get_mut(&event.person) {
                person.retired = true;
            }
        }
        Event::SchemeOpened(event) => scheme_opened(state, event),
        Event::IndicatorDefined(event) => indicator_defined(state, event),
        Event::IndicatorRevised(event) => {
            if let Some(indicator) = indicator_mut(state, &event.scheme, &event.indicator) {
                indicator.revisions.push(event.clone());
            }
        }
        Event::IndicatorRetired(event) => {
            if let Some(indicator) = indicator_mut(state, &event.scheme, &event.indicator) {
                indicator.retired_from = Some(event.effective_from);
            }
        }
        Event::IndicatorAssigned(event) => {
            if let Some(entry) = plan_entry_mut(state, &event.scheme, &event.unit, &event.indicator) {
                entry.assignment = Some(event.clone());
            }
        }
        Event::IndicatorMarkedNotApplicable(event) => {
            if let Some(entry) = plan_entry_mut(state, &event.scheme, &event.unit, &event.indicator) {
                entry.not_applicable_from = Some(event.effective_from);
            }
        }
        Event::PeriodOpened(event) => period_opened(state, event),
        Event::ResultsPublished(event) => {
            if let Some(period) = period_mut(state, &event.scheme, event.period) {
                period.status = PeriodStatus::Published;
                period.objection_window_closes_at = Some(event.objection_window_closes_at);
            }
        }
        Event::PeriodFinalised(event) => {
            if let Some(period) = period_mut(state, &event.scheme, event.period) {
                period.status = PeriodStatus::Final;
            }
        }
        Event::PeriodReopened(event) => {
            // Reopened results must be published again, with a new window, before they turn final.
            if let Some(period) = period_mut(state, &event.scheme, event.period) {
                period.status = PeriodStatus::Open;
                period.objection_window_closes_at = None;
            }
        }
        Event::TierAwarded(event) => tier_awarded(state, event, meta),
        Event::DeductionRecorded(event) => deduction_recorded(state, event, meta),
        Event::DeductionWithdrawn(event) => {
            if let Some(deduction) = state.deductions.get_mut(&event.deduction_id) {
                deduction.withdrawn = true;
            }
        }
        Event::BonusAwarded(event) => {
            state.fact_ids.insert(event.bonus_id.0);
        }
        Event::VetoApplied(event) => {
            state.fact_ids.insert(event.veto_id.0);
        }
        Event::CauseAttributed(event) => {
            if let Some(deduction) = state.deductions.get_mut(&event.deduction_id) {
                deduction.cause_unit = Some(event.cause_unit.clone());
            }
        }
        Event::RectificationRecorded(_) => {}
        Event::AppealFiled(event) => appeal_filed(state, event),
        Event::AppealDecided(event) => appeal_decided(state, event),
        Event::AppealEscalated(event) => {
            if let Some(appeal) = state.appeals.get_mut(&event.appeal_id) {
                appeal.stage = AppealStage::Escalated;
                appeal.awaiting_decision = true;
                appeal.decision_due_at = event.decision_due_at;
                appeal.escalation_window_closes_at = None;
            }
        }
        Event::AppealWithdrawn(event) => {
            if let Some(appeal) = state.appeals.get_mut(&event.appeal_id) {
                appeal.awaiting_decision = false;
                appeal.withdrawn = true;
                appeal.escalation_window_closes_at = None;
            }
        }
        Event::AccessGranted(event) => access_granted(state, event, meta),
        Event::AccessRevoked(event) => access_revoked(state, event, meta),
        Event::TimeZoneSet(event) => state.time_zone = Some(event.utc_offset),
    }
}

fn unit_registered(state: &mut State, event: &UnitRegistered) {
    let record = UnitRecord {
        name: event.name.clone(),
        level: event.level,
        parent: event.parent.clone(),
        function_code: event.function_code.clone(),
        retired: false,
    };
    state.units.insert(event.unit.clone(), record);
}

fn scheme_opened(state: &mut State, event: &SchemeOpened) {
    let record = SchemeRecord {
        settings: event.clone(),
        indicators: Default::default(),
        periods: Default::default(),
        plans: Default::default(),
    };
    state.schemes.insert(event.scheme.clone(), record);
}

fn indicator_defined(state: &mut State, event: &IndicatorDefined) {
    if let Some(scheme) = state.schemes.get_mut(&event.scheme) {
        let record = IndicatorRecord { defined: event.clone(), revisions: Vec::new(), retired_from: None };
        scheme.indicators.insert(event.indicator.clone(), record);
    }
}

fn indicator_mut<'a>(
    state: &'a mut State,
    scheme: &super::ids::SchemeId,
    indicator: &super::ids::IndicatorCode,
) -> Option<&'a mut IndicatorRecord> {
    state.schemes.get_mut(scheme)?.indicators.get_mut(indicator)
}

fn plan_entry_mut<'a>(
    state: &'a mut State,
    scheme: &super::ids::SchemeId,
    unit: &super::ids::UnitCode,
    indicator: &super::ids::IndicatorCode,
) -> Option<&'a mut PlanEntry> {
    let scheme = state.schemes.get_mut(scheme)?;
    Some(scheme.plans.entry(unit.clone()).or_default().entry(indicator.clone()).or_default())
}

fn period_opened(state: &mut State, event: &PeriodOpened) {
    if let Some(scheme) = state.schemes.get_mut(&event.scheme) {
        let record = PeriodRecord { status: PeriodStatus::Open, objection_window_closes_at: None };
        scheme.periods.insert(event.period, record);
    }
}

fn period_mut<'a>(
    state: &'a mut State,
    scheme: &super::ids::SchemeId,
    period: super::period::PeriodId,
) -> Option<&'a mut PeriodRecord> {
    state.schemes.get_mut(scheme)?.periods.get_mut(&period)
}

fn tier_awarded(state: &mut State, event: &TierAwarded, meta: &EventMeta) {
    state.fact_ids.insert(event.tier_award_id.0);
    let entry = (event.scheme.clone(), event.period, event.unit.clone(), event.indicator.clone());
    state.latest_tier_awards.insert(entry, event.tier_award_id);
    let record = TierAwardRecord { awarded: event.clone(), awarded_by: meta.actor_id.clone(), appeals: Vec::new() };
    state.tier_awards.insert(event.tier_award_id, record);
}

fn deduction_recorded(state: &mut State, event: &DeductionRecorded, meta: &EventMeta) {
    state.fact_ids.insert(event.deduction_id.0);
    let entry = (event.scheme.clone(), event.period, event.unit.clone(), event.indicator.clone());
    state.deductions_by_entry.entry(entry).or_default().push(event.deduction_id);
    let record = DeductionRecord {
        recorded: event.clone(),
        recorded_by: meta.actor_id.clone(),
        event_id: meta.event_id,
        withdrawn: false,
        cause_unit: None,
        appeals: Vec::new(),
    };
    state.deductions.insert(event.deduction_id, record);
}

fn appeal_filed(state: &mut State, event: &AppealFiled) {
    state.fact_ids.insert(event.appeal_id.0);
    let appeals = match event.target {
        AppealTarget::Deduction { deduction_id } => state.deductions.get_mut(&deduction_id).map(|d| &mut d.appeals),
        AppealTarget::TierAward { tier_award_id } => state.tier_awards.get_mut(&tier_award_id).map(|a| &mut a.appeals),
    };
    if let Some(appeals) = appeals {
        appeals.push(event.appeal_id);
    }
    let record = AppealRecord {
        filed: event.clone(),
        stage: AppealStage::First,
        awaiting_decision: true,
        withdrawn: false,
        last_verdict: None,
        points_restored: super::points::Points::ZERO,
        first_stage_points_restored: None,
        escalation_window_closes_at: None,
        decision_due_at: event.decision_due_at,
    };
    state.appeals.insert(event.appeal_id, record);
}

fn appeal_decided(state: &mut State, event: &AppealDecided) {
    if let Some(appeal) = state.appeals.get_mut(&event.appeal_id) {
        appeal.awaiting_decision = false;
        appeal.last_verdict = Some(event.verdict);
        appeal.points_restored = event.points_restored;
        appeal.escalation_window_closes_at = event.escalation_window_closes_at;
        if event.stage == AppealStage::First {
            appeal.first_stage_points_restored = Some(event.points_restored);
        }
    }
}

/// The first grant of a hash stands: `decide` never grants one twice.
fn access_granted(state: &mut State, event: &AccessGranted, meta: &EventMeta) {
    state.access_grants.entry(event.token_hash.clone()).or_insert_with(|| AccessRecord {
        token_hash: event.token_hash.clone(),
        actor_id: event.actor_id.clone(),
        role: event.role,
        unit: event.unit.clone(),
        granted_at: meta.recorded_at,
        granted_seq: meta.seq,
        revoked_at: None,
        revoked_seq: None,
    });
}

/// The first revocation stands: `decide` never revokes a token twice.
fn access_revoked(state: &mut State, event: &AccessRevoked, meta: &EventMeta) {
    if let Some(record) = state.access_grants.get_mut(&event.token_hash).filter(|record| !record.is_revoked()) {
        record.revoked_at = Some(meta.recorded_at);
        record.revoked_seq = Some(meta.seq);
    }
}
