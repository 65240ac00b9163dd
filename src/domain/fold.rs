//! Folding one recorded event into the `Facts`: the one fold the decider and the projections share.
//!
//! Invariant: folding never fails and never decides. Events are facts already accepted by `decide`;
//! one whose subject is missing (which `decide` never lets happen) changes nothing rather than
//! stopping the fold, so a ledger always loads and can report what is wrong. The facts after n events
//! are the facts as of event n.

use super::appeal::{AppealStage, AppealTarget, AppealVerdict};
use super::event::*;
use super::facts::*;
use super::ids::{IndicatorCode, SchemeId, UnitCode};
use super::period::PeriodId;
use super::points::Points;
use super::recorded::{EventRef, Recorded};
use super::scheme::IndicatorMethod;

impl Facts {
    /// Folds `recorded` into the facts.
    pub fn apply(&mut self, recorded: &Recorded) {
        let cite = || recorded.event_ref();
        match &recorded.event {
            Event::UnitRegistered(event) => self.unit_registered(event),
            Event::UnitRenamed(event) => {
                if let Some(unit) = self.units.get_mut(&event.unit) {
                    unit.name.clone_from(&event.name);
                }
            }
            Event::UnitRetired(event) => {
                if let Some(unit) = self.units.get_mut(&event.unit) {
                    unit.retired = true;
                }
            }
            Event::PersonRegistered(event) => self.person_registered(event, recorded),
            Event::PersonMoved(event) => self.person_moved(event, recorded),
            Event::PersonRetired(event) => self.person_retired(event, recorded),
            Event::PersonErased(event) => self.person_erased(event),
            Event::SchemeOpened(event) => self.scheme_opened(event),
            Event::IndicatorDefined(event) => self.indicator_defined(event),
            Event::IndicatorTakenOver(event) => self.indicator_taken_over(event),
            Event::IndicatorRevised(event) => {
                if let Some(indicator) = self.indicator_mut(&event.scheme, &event.indicator) {
                    let tiered_method = event.tiers.clone().map(|tiers| IndicatorMethod::Tiered { tiers });
                    indicator.revisions.push(RevisionFacts { revised: event.clone(), tiered_method });
                }
            }
            Event::IndicatorRetired(event) => {
                if let Some(indicator) = self.indicator_mut(&event.scheme, &event.indicator) {
                    indicator.retired_from = Some(event.effective_from);
                }
            }
            Event::IndicatorAssigned(event) => {
                if let Some(plan) = self.plan_mut(&event.scheme, &event.unit, &event.indicator) {
                    plan.assignments.push(event.clone());
                    if let Some(person) = &event.responsible_person {
                        let key = (event.scheme.clone(), event.unit.clone(), event.indicator.clone());
                        self.people.carried.entry(person.clone()).or_default().scheme.insert(key);
                    }
                }
            }
            Event::IndicatorMarkedNotApplicable(event) => {
                if let Some(plan) = self.plan_mut(&event.scheme, &event.unit, &event.indicator) {
                    plan.not_applicable_from = Some(event.effective_from);
                }
            }
            Event::PeriodOpened(event) => self.period_opened(event, cite()),
            Event::ResultsPublished(event) => {
                if let Some(period) = self.period_mut(&event.scheme, event.period) {
                    period.status = PeriodStatus::Published;
                    period.published_at = Some(recorded.recorded_at);
                    period.objection_window_closes_at = Some(event.objection_window_closes_at);
                }
            }
            Event::PeriodFinalised(event) => {
                if let Some(period) = self.period_mut(&event.scheme, event.period) {
                    period.status = PeriodStatus::Final;
                }
            }
            Event::PeriodReopened(event) => {
                // A reopened period is published again, as it was before it turned final: its results
                // still count and its objection window, closed, stays closed.
                if let Some(period) = self.period_mut(&event.scheme, event.period) {
                    period.status = PeriodStatus::Published;
                }
                self.city_period_reopened(&event.scheme, event.period);
            }
            Event::TierAwarded(event) => self.tier_awarded(event, cite()),
            Event::DeductionRecorded(event) => self.deduction_recorded(event, cite()),
            Event::DeductionWithdrawn(event) => {
                if let Some(deduction) = self.deductions.get_mut(&event.deduction_id) {
                    deduction.withdrawal = Some(Withdrawal { event: cite(), reason: event.reason.clone() });
                }
            }
            Event::BonusAwarded(event) => {
                self.fact_ids.insert(event.bonus_id.0);
                if let Some(assessment) = self.assessment_mut(&event.scheme, event.period, &event.unit) {
                    assessment.bonuses.push(BonusFacts { awarded: event.clone(), event: cite() });
                }
            }
            Event::VetoApplied(event) => {
                self.fact_ids.insert(event.veto_id.0);
                if let Some(assessment) = self.assessment_mut(&event.scheme, event.period, &event.unit) {
                    assessment.vetoes.push(VetoFacts { applied: event.clone(), event: cite() });
                }
            }
            Event::CauseAttributed(event) => {
                if let Some(deduction) = self.deductions.get_mut(&event.deduction_id) {
                    deduction.attributions.push(Attribution {
                        event: cite(),
                        cause_unit: event.cause_unit.clone(),
                        description: event.description.clone(),
                        evidence_digests: event.evidence_digests.clone(),
                        appeals: Vec::new(),
                        overturned_by: None,
                    });
                }
            }
            Event::RectificationRecorded(event) => {
                if let Some(deduction) = self.deductions.get_mut(&event.deduction_id) {
                    deduction.rectifications.push(Rectification {
                        event: cite(),
                        cause_unit: event.cause_unit.clone(),
                        description: event.description.clone(),
                        evidence_digests: event.evidence_digests.clone(),
                    });
                }
            }
            Event::AppealFiled(event) => self.appeal_filed(event, cite()),
            Event::AppealDecided(event) => self.appeal_decided(event, cite()),
            Event::AppealEscalated(event) => self.appeal_escalated(event, cite()),
            Event::AppealWithdrawn(event) => {
                if let Some(appeal) = self.appeals.get_mut(&event.appeal_id) {
                    appeal.awaiting_decision = false;
                    appeal.withdrawal = Some(cite());
                    appeal.withdrawal_reason = Some(event.reason.clone());
                    appeal.escalation_window_closes_at = None;
                }
            }
            Event::AccessGranted(event) => self.access_granted(event, recorded),
            Event::AccessRevoked(event) => self.access_revoked(event, recorded),
            Event::TimeZoneSet(event) => self.time_zone = Some(event.utc_offset),
            // The key is the store's (it signs checkpoints); no fact of the assessment changes.
            Event::SigningKeyRotated(_) => {}
            // Individual assessment and the use of results (`person`).
            Event::PersonalIndicatorDefined(_)
            | Event::PersonalIndicatorAssessed(_)
            | Event::PersonalRulesSet(_)
            | Event::WeeklyRecordFiled(_)
            | Event::WeeklyRecordCommented(_)
            | Event::PersonReviewed(_)
            | Event::GradeRecorded(_)
            | Event::ResultUseRecorded(_) => self.apply_people(recorded),
        }
    }

    fn unit_registered(&mut self, event: &UnitRegistered) {
        let unit = UnitFacts {
            name: event.name.clone(),
            level: event.level,
            parent: event.parent.clone(),
            function_code: event.function_code.clone(),
            retired: false,
        };
        if let Some(parent) = &event.parent {
            self.children.entry(parent.clone()).or_default().insert(event.unit.clone());
        }
        self.units.insert(event.unit.clone(), unit);
    }

    fn scheme_opened(&mut self, event: &SchemeOpened) {
        let scheme = SchemeFacts {
            settings: event.clone(),
            indicators: Default::default(),
            periods: Default::default(),
            plans: Default::default(),
            assessments: Default::default(),
            reads: None,
        };
        self.schemes.insert(event.scheme.clone(), scheme);
        self.own_scheme_opened(&event.scheme);
    }

    fn indicator_defined(&mut self, event: &IndicatorDefined) {
        if let Some(scheme) = self.schemes.get_mut(&event.scheme) {
            let indicator =
                IndicatorFacts { defined: event.clone(), revisions: Vec::new(), retired_from: None, taken_over: None };
            scheme.indicators.insert(event.indicator.clone(), indicator);
        }
    }

    fn indicator_mut(&mut self, scheme: &SchemeId, indicator: &IndicatorCode) -> Option<&mut IndicatorFacts> {
        self.schemes.get_mut(scheme)?.indicators.get_mut(indicator)
    }

    fn plan_mut(&mut self, scheme: &SchemeId, unit: &UnitCode, indicator: &IndicatorCode) -> Option<&mut PlanFacts> {
        let scheme = self.schemes.get_mut(scheme)?;
        Some(scheme.plans.entry(unit.clone()).or_default().entry(indicator.clone()).or_default())
    }

    fn period_opened(&mut self, event: &PeriodOpened, opened: EventRef) {
        if let Some(scheme) = self.schemes.get_mut(&event.scheme) {
            let period = PeriodFacts {
                status: PeriodStatus::Open,
                opened: opened.clone(),
                published_at: None,
                objection_window_closes_at: None,
                city_results: false,
            };
            scheme.periods.insert(event.period, period);
        }
        self.city_period_opened(&event.scheme, event.period, &opened);
    }

    fn period_mut(&mut self, scheme: &SchemeId, period: PeriodId) -> Option<&mut PeriodFacts> {
        self.schemes.get_mut(scheme)?.periods.get_mut(&period)
    }

    fn assessment_mut(&mut self, scheme: &SchemeId, period: PeriodId, unit: &UnitCode) -> Option<&mut AssessmentFacts> {
        self.city_fact_recorded(scheme, period, unit);
        let scheme = self.schemes.get_mut(scheme)?;
        Some(scheme.assessments.entry(period).or_default().entry(unit.clone()).or_default())
    }

    fn tier_awarded(&mut self, event: &TierAwarded, cite: EventRef) {
        self.fact_ids.insert(event.tier_award_id.0);
        let Some(assessment) = self.assessment_mut(&event.scheme, event.period, &event.unit) else { return };
        assessment.tier_awards.insert(event.indicator.clone(), event.tier_award_id);
        let award = TierAwardFacts { awarded: event.clone(), event: cite, appeals: Vec::new() };
        self.tier_awards.insert(event.tier_award_id, award);
    }

    fn deduction_recorded(&mut self, event: &DeductionRecorded, cite: EventRef) {
        self.fact_ids.insert(event.deduction_id.0);
        let Some(assessment) = self.assessment_mut(&event.scheme, event.period, &event.unit) else { return };
        assessment.deductions.entry(event.indicator.clone()).or_default().push(event.deduction_id);
        let deduction = DeductionFacts {
            recorded: event.clone(),
            event: cite,
            withdrawal: None,
            attributions: Vec::new(),
            rectifications: Vec::new(),
            appeals: Vec::new(),
        };
        self.deductions.insert(event.deduction_id, deduction);
    }

    fn appeal_filed(&mut self, event: &AppealFiled, cite: EventRef) {
        self.fact_ids.insert(event.appeal_id.0);
        let appeals = match event.target {
            AppealTarget::Deduction { deduction_id } => self.deductions.get_mut(&deduction_id).map(|d| &mut d.appeals),
            AppealTarget::TierAward { tier_award_id } => {
                self.tier_awards.get_mut(&tier_award_id).map(|a| &mut a.appeals)
            }
            // Kept on the attribution, not the deduction: it restores no points, it moves the charge.
            AppealTarget::CauseAttribution { deduction_id, attribution_event_id } => self
                .deductions
                .get_mut(&deduction_id)
                .and_then(|d| d.attributions.iter_mut().find(|a| a.event.event_id == attribution_event_id))
                .map(|attribution| &mut attribution.appeals),
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
            withdrawal_reason: None,
            stage: AppealStage::First,
            awaiting_decision: true,
            points_restored: Points::ZERO,
            decision_due_at: event.decision_due_at,
            escalation_window_closes_at: None,
        };
        self.appeals.insert(event.appeal_id, appeal);
    }

    fn appeal_decided(&mut self, event: &AppealDecided, cite: EventRef) {
        let Some(appeal) = self.appeals.get_mut(&event.appeal_id) else { return };
        appeal.awaiting_decision = false;
        appeal.points_restored = event.points_restored;
        appeal.escalation_window_closes_at = event.escalation_window_closes_at;
        appeal.decisions.push(AppealDecision {
            event: cite.clone(),
            stage: event.stage,
            verdict: event.verdict,
            points_restored: event.points_restored,
            reasoning: event.reasoning.clone(),
            evidence_digests: event.evidence_digests.clone(),
            escalation_window_closes_at: event.escalation_window_closes_at,
        });
        // An upheld appeal on a cause attribution takes the charge back to the lead section.
        if let (AppealTarget::CauseAttribution { deduction_id, attribution_event_id }, AppealVerdict::Upheld) =
            (appeal.filed.target, event.verdict)
        {
            let attribution = self
                .deductions
                .get_mut(&deduction_id)
                .and_then(|d| d.attributions.iter_mut().find(|a| a.event.event_id == attribution_event_id));
            if let Some(attribution) = attribution {
                attribution.overturned_by = Some(cite);
            }
        }
    }

    fn appeal_escalated(&mut self, event: &AppealEscalated, cite: EventRef) {
        if let Some(appeal) = self.appeals.get_mut(&event.appeal_id) {
            appeal.stage = AppealStage::Escalated;
            appeal.awaiting_decision = true;
            appeal.decision_due_at = event.decision_due_at;
            appeal.escalation_window_closes_at = None;
            appeal.escalations.push(AppealEscalation {
                event: cite,
                grounds: event.grounds.clone(),
                evidence_digests: event.evidence_digests.clone(),
                decision_due_at: event.decision_due_at,
            });
        }
    }

    /// The first grant of a hash stands: `decide` never grants one twice. It expires `valid_days` whole
    /// days of 24 hours after the grant's recorded time.
    fn access_granted(&mut self, event: &AccessGranted, recorded: &Recorded) {
        self.access_grants.entry(event.token_hash.clone()).or_insert_with(|| AccessRecord {
            token_hash: event.token_hash.clone(),
            actor_id: event.actor_id.clone(),
            role: event.role,
            unit: event.unit.clone(),
            granted_at: recorded.recorded_at,
            granted_seq: recorded.seq,
            expires_at: recorded.recorded_at.plus_days(i64::from(event.valid_days)),
            revoked_at: None,
            revoked_seq: None,
            person: event.person.clone(),
        });
    }

    /// The first revocation stands: `decide` never revokes a token twice.
    fn access_revoked(&mut self, event: &AccessRevoked, recorded: &Recorded) {
        if let Some(record) = self.access_grants.get_mut(&event.token_hash).filter(|record| !record.is_revoked()) {
            record.revoked_at = Some(recorded.recorded_at);
            record.revoked_seq = Some(recorded.seq);
        }
    }
}
