//! Folding one recorded event into the facts.
//!
//! Invariant: like `domain::evolve`, folding never fails and never decides: events are facts already
//! accepted by `decide`, and one whose subject is missing changes nothing. The fold is a pure function
//! of the events in order, so the facts after n events are the facts as of event n.

use crate::domain::appeal::{AppealStage, AppealTarget};
use crate::domain::event::*;
use crate::domain::{IndicatorMethod, PeriodId, SchemeId, UnitCode};

use super::facts::*;
use super::recorded::{EventRef, Recorded};

pub fn apply_event(facts: &mut Facts, recorded: &Recorded) {
    let cite = || recorded.event_ref();
    match &recorded.event {
        Event::UnitRegistered(event) => unit_registered(facts, event),
        Event::UnitRenamed(event) => {
            if let Some(unit) = facts.units.get_mut(&event.unit) {
                unit.name.clone_from(&event.name);
            }
        }
        Event::UnitRetired(event) => {
            if let Some(unit) = facts.units.get_mut(&event.unit) {
                unit.retired = true;
            }
        }
        // Persons and access tokens carry no assessment fact. Events the domain adds later fall here
        // too until they are given a meaning, so a new event type never stops a projection loading.
        Event::PersonRegistered(_) | Event::PersonMoved(_) | Event::PersonRetired(_) => {}
        Event::AccessGranted(_) | Event::AccessRevoked(_) => {}
        Event::TimeZoneSet(event) => facts.time_zone = Some(event.utc_offset),
        Event::SchemeOpened(event) => scheme_opened(facts, event),
        Event::IndicatorDefined(event) => indicator_defined(facts, event),
        Event::IndicatorRevised(event) => {
            if let Some(indicator) = indicator_mut(facts, &event.scheme, &event.indicator) {
                let tiered_method = event.tiers.clone().map(|tiers| IndicatorMethod::Tiered { tiers });
                indicator.revisions.push(RevisionFacts { revised: event.clone(), tiered_method });
            }
        }
        Event::IndicatorRetired(event) => {
            if let Some(indicator) = indicator_mut(facts, &event.scheme, &event.indicator) {
                indicator.retired_from = Some(event.effective_from);
            }
        }
        Event::IndicatorAssigned(event) => {
            if let Some(plan) = plan_mut(facts, &event.scheme, &event.unit, &event.indicator) {
                plan.assignment = Some(event.clone());
            }
        }
        Event::IndicatorMarkedNotApplicable(event) => {
            if let Some(plan) = plan_mut(facts, &event.scheme, &event.unit, &event.indicator) {
                plan.not_applicable_from = Some(event.effective_from);
            }
        }
        Event::PeriodOpened(event) => period_opened(facts, event, cite()),
        Event::ResultsPublished(event) => {
            if let Some(period) = period_mut(facts, &event.scheme, event.period) {
                period.status = PeriodStatus::Published;
                period.published_at = Some(recorded.recorded_at);
                period.objection_window_closes_at = Some(event.objection_window_closes_at);
            }
        }
        Event::PeriodFinalised(event) => {
            if let Some(period) = period_mut(facts, &event.scheme, event.period) {
                period.status = PeriodStatus::Final;
            }
        }
        Event::PeriodReopened(event) => {
            if let Some(period) = period_mut(facts, &event.scheme, event.period) {
                period.status = PeriodStatus::Open;
                period.objection_window_closes_at = None;
            }
        }
        Event::TierAwarded(event) => tier_awarded(facts, event, cite()),
        Event::DeductionRecorded(event) => deduction_recorded(facts, event, cite()),
        Event::DeductionWithdrawn(event) => {
            if let Some(deduction) = facts.deductions.get_mut(&event.deduction_id) {
                deduction.withdrawal = Some(Withdrawal { event: cite(), reason: event.reason.clone() });
            }
        }
        Event::BonusAwarded(event) => {
            if let Some(assessment) = assessment_mut(facts, &event.scheme, event.period, &event.unit) {
                assessment.bonuses.push(BonusFacts { awarded: event.clone(), event: cite() });
            }
        }
        Event::VetoApplied(event) => {
            if let Some(assessment) = assessment_mut(facts, &event.scheme, event.period, &event.unit) {
                assessment.vetoes.push(VetoFacts { applied: event.clone(), event: cite() });
            }
        }
        Event::CauseAttributed(event) => cause_attributed(facts, event, cite()),
        Event::RectificationRecorded(event) => rectification_recorded(facts, event, cite()),
        Event::AppealFiled(event) => appeal_filed(facts, event, cite()),
        Event::AppealDecided(event) => appeal_decided(facts, event, cite()),
        Event::AppealEscalated(event) => appeal_escalated(facts, event, cite()),
        Event::AppealWithdrawn(event) => {
            if let Some(appeal) = facts.appeals.get_mut(&event.appeal_id) {
                appeal.awaiting_decision = false;
                appeal.withdrawal = Some(cite());
            }
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

fn unit_registered(facts: &mut Facts, event: &UnitRegistered) {
    let unit = UnitFacts {
        name: event.name.clone(),
        level: event.level,
        parent: event.parent.clone(),
        function_code: event.function_code.clone(),
        retired: false,
    };
    if let Some(parent) = &event.parent {
        facts.children.entry(parent.clone()).or_default().insert(event.unit.clone());
    }
    facts.units.insert(event.unit.clone(), unit);
}

fn scheme_opened(facts: &mut Facts, event: &SchemeOpened) {
    let scheme = SchemeFacts {
        settings: event.clone(),
        indicators: Default::default(),
        periods: Default::default(),
        plans: Default::default(),
        assessments: Default::default(),
    };
    facts.schemes.insert(event.scheme.clone(), scheme);
}

fn indicator_defined(facts: &mut Facts, event: &IndicatorDefined) {
    if let Some(scheme) = facts.schemes.get_mut(&event.scheme) {
        let indicator = IndicatorFacts { defined: event.clone(), revisions: Vec::new(), retired_from: None };
        scheme.indicators.insert(event.indicator.clone(), indicator);
    }
}

fn indicator_mut<'a>(
    facts: &'a mut Facts,
    scheme: &SchemeId,
    indicator: &crate::domain::IndicatorCode,
) -> Option<&'a mut IndicatorFacts> {
    facts.schemes.get_mut(scheme)?.indicators.get_mut(indicator)
}

fn plan_mut<'a>(
    facts: &'a mut Facts,
    scheme: &SchemeId,
    unit: &UnitCode,
    indicator: &crate::domain::IndicatorCode,
) -> Option<&'a mut PlanFacts> {
    let scheme = facts.schemes.get_mut(scheme)?;
    Some(scheme.plans.entry(unit.clone()).or_default().entry(indicator.clone()).or_default())
}

fn period_opened(facts: &mut Facts, event: &PeriodOpened, opened: EventRef) {
    if let Some(scheme) = facts.schemes.get_mut(&event.scheme) {
        let period =
            PeriodFacts { status: PeriodStatus::Open, opened, published_at: None, objection_window_closes_at: None };
        scheme.periods.insert(event.period, period);
    }
}

fn period_mut<'a>(facts: &'a mut Facts, scheme: &SchemeId, period: PeriodId) -> Option<&'a mut PeriodFacts> {
    facts.schemes.get_mut(scheme)?.periods.get_mut(&period)
}

fn assessment_mut<'a>(
    facts: &'a mut Facts,
    scheme: &SchemeId,
    period: PeriodId,
    unit: &UnitCode,
) -> Option<&'a mut AssessmentFacts> {
    let scheme = facts.schemes.get_mut(scheme)?;
    Some(scheme.assessments.entry(period).or_default().entry(unit.clone()).or_default())
}

fn tier_awarded(facts: &mut Facts, event: &TierAwarded, cite: EventRef) {
    let Some(assessment) = assessment_mut(facts, &event.scheme, event.period, &event.unit) else { return };
    assessment.tier_awards.insert(event.indicator.clone(), event.tier_award_id);
    let award = TierAwardFacts { awarded: event.clone(), event: cite, appeals: Vec::new() };
    facts.tier_awards.insert(event.tier_award_id, award);
}

fn deduction_recorded(facts: &mut Facts, event: &DeductionRecorded, cite: EventRef) {
    let Some(assessment) = assessment_mut(facts, &event.scheme, event.period, &event.unit) else { return };
    assessment.deductions.entry(event.indicator.clone()).or_default().push(event.deduction_id);
    let deduction = DeductionFacts {
        recorded: event.clone(),
        event: cite,
        withdrawal: None,
        attributions: Vec::new(),
        rectifications: Vec::new(),
        appeals: Vec::new(),
    };
    facts.deductions.insert(event.deduction_id, deduction);
}

fn cause_attributed(facts: &mut Facts, event: &CauseAttributed, cite: EventRef) {
    if let Some(deduction) = facts.deductions.get_mut(&event.deduction_id) {
        deduction.attributions.push(Attribution {
            event: cite,
            cause_unit: event.cause_unit.clone(),
            description: event.description.clone(),
            evidence_digests: event.evidence_digests.clone(),
        });
    }
}

fn rectification_recorded(facts: &mut Facts, event: &RectificationRecorded, cite: EventRef) {
    if let Some(deduction) = facts.deductions.get_mut(&event.deduction_id) {
        deduction.rectifications.push(Rectification {
            event: cite,
            cause_unit: event.cause_unit.clone(),
            description: event.description.clone(),
            evidence_digests: event.evidence_digests.clone(),
        });
    }
}

fn appeal_filed(facts: &mut Facts, event: &AppealFiled, cite: EventRef) {
    let appeals = match event.target {
        AppealTarget::Deduction { deduction_id } => facts.deductions.get_mut(&deduction_id).map(|d| &mut d.appeals),
        AppealTarget::TierAward { tier_award_id } => facts.tier_awards.get_mut(&tier_award_id).map(|a| &mut a.appeals),
    };
    if let Some(appeals) = appeals {
        appeals.push(event.appeal_id);
    }
    let appeal = AppealFacts {
        filed: event.clone(),
        event: cite,
        decisions: Vec::new(),
        escalations: Vec::new(),
        withdrawal: None,
        stage: AppealStage::First,
        awaiting_decision: true,
        points_restored: crate::domain::Points::ZERO,
        decision_due_at: event.decision_due_at,
    };
    facts.appeals.insert(event.appeal_id, appeal);
}

fn appeal_decided(facts: &mut Facts, event: &AppealDecided, cite: EventRef) {
    if let Some(appeal) = facts.appeals.get_mut(&event.appeal_id) {
        appeal.awaiting_decision = false;
        appeal.points_restored = event.points_restored;
        appeal.decisions.push(AppealDecision {
            event: cite,
            stage: event.stage,
            verdict: event.verdict,
            points_restored: event.points_restored,
            reasoning: event.reasoning.clone(),
        });
    }
}

fn appeal_escalated(facts: &mut Facts, event: &AppealEscalated, cite: EventRef) {
    if let Some(appeal) = facts.appeals.get_mut(&event.appeal_id) {
        appeal.stage = AppealStage::Escalated;
        appeal.awaiting_decision = true;
        appeal.decision_due_at = event.decision_due_at;
        appeal.escalations.push(AppealEscalation {
            event: cite,
            grounds: event.grounds.clone(),
            decision_due_at: event.decision_due_at,
        });
    }
}
