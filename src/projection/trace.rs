//! The trace of a unit in a base period: every point it lost, down to the events — each deduction
//! with its reason, category, evidence, cause attribution, rectification and appeals, each tier
//! shortfall with its award, and the amounts a floor at zero absorbed.
//!
//! Invariant (the system's central one): for every indicator, `points_max − score` equals the sum of
//! the amounts its lines list, and the unit's whole loss equals the indicators' losses plus the
//! charges plus the floor line. `reconciles` checks it; the lines are built from the facts on their
//! own, not from the score, so the check means something.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AppealId, DeductionId, EvidenceDigest, IndicatorCode, PeriodId, Points, ProblemCategory, SchemeId, TierAwardId,
    UnitCode,
};

use super::score::Placement;
use super::Projection;
use crate::domain::facts::{
    AppealDecision, AppealEscalation, AppealFacts, Attribution, DeductionFacts, Rectification, TierAwardFacts,
};
use crate::domain::EventRef;

/// A unit's losses in one base period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub unit: UnitCode,
    pub period: PeriodId,
    pub scheme: SchemeId,
    pub points_max_total: Points,
    pub raw: Points,
    pub indicators: Vec<IndicatorTrace>,
    /// Deductions on the county's other indicators charged onto this section by a cause attribution.
    pub charges: Vec<DeductionLine>,
    /// What the floor at zero gave back of the charges (≤ 0; 0 when the floor did not bind).
    pub floor_absorbed: Points,
}

/// One indicator's losses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorTrace {
    pub indicator: IndicatorCode,
    pub name: String,
    pub points_max: Points,
    pub score: Points,
    pub lines: Vec<TraceLine>,
    /// Deductions this lead section is relieved of because their cause lies with another section:
    /// listed for the record, counted in the charged section's trace instead.
    pub relieved: Vec<DeductionLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceLine {
    Deduction(Box<DeductionLine>),
    TierShortfall(Box<TierLine>),
    /// Deductions beyond `points_max` that the floor at zero absorbed (a negative amount).
    FloorAbsorbed {
        amount: Points,
    },
}

/// A deduction as the trace lists it; `amount` is what it counts now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionLine {
    pub deduction_id: DeductionId,
    pub indicator: IndicatorCode,
    pub event: EventRef,
    /// The unit it was recorded against (the county, or a section for a direct office deduction).
    pub unit: UnitCode,
    pub assessor: UnitCode,
    pub points: Points,
    pub restored: Points,
    pub amount: Points,
    pub reason: String,
    pub problem_category: ProblemCategory,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub withdrawn: Option<EventRef>,
    /// The section it is charged to inside the county, when a cause attribution moved it.
    pub charged_to: Option<UnitCode>,
    pub attributions: Vec<Attribution>,
    pub rectifications: Vec<Rectification>,
    pub appeals: Vec<AppealLine>,
}

/// A tier award's shortfall from `points_max`, less what appeals restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLine {
    pub tier_award_id: TierAwardId,
    pub event: EventRef,
    pub tier: u32,
    pub tier_points: Points,
    pub shortfall: Points,
    pub restored: Points,
    pub amount: Points,
    pub reason: String,
    pub appeals: Vec<AppealLine>,
}

/// An appeal and what it restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealLine {
    pub appeal_id: AppealId,
    pub filed: EventRef,
    pub appellant: UnitCode,
    pub grounds: String,
    pub points_contested: Points,
    pub decisions: Vec<AppealDecision>,
    pub escalations: Vec<AppealEscalation>,
    pub withdrawn: Option<EventRef>,
    pub awaiting_decision: bool,
    pub points_restored: Points,
}

impl Trace {
    /// The sequence numbers of every event this trace cites, ascending, each once: what a proof
    /// bundle must carry for an auditor to check the trace without the rest of the ledger.
    pub fn cited_seqs(&self) -> Vec<u64> {
        let mut seqs = Vec::new();
        let deductions = self.charges.iter().chain(self.indicators.iter().flat_map(|indicator| {
            indicator
                .lines
                .iter()
                .filter_map(|line| match line {
                    TraceLine::Deduction(line) => Some(line.as_ref()),
                    _ => None,
                })
                .chain(&indicator.relieved)
        }));
        for line in deductions {
            seqs.push(line.event.seq);
            seqs.extend(line.withdrawn.as_ref().map(|event| event.seq));
            seqs.extend(line.attributions.iter().map(|attribution| attribution.event.seq));
            seqs.extend(line.rectifications.iter().map(|rectification| rectification.event.seq));
            line.appeals.iter().for_each(|appeal| appeal.cite(&mut seqs));
        }
        for indicator in &self.indicators {
            for line in &indicator.lines {
                if let TraceLine::TierShortfall(line) = line {
                    seqs.push(line.event.seq);
                    line.appeals.iter().for_each(|appeal| appeal.cite(&mut seqs));
                }
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }
}

impl AppealLine {
    fn cite(&self, seqs: &mut Vec<u64>) {
        seqs.push(self.filed.seq);
        seqs.extend(self.withdrawn.as_ref().map(|event| event.seq));
        seqs.extend(self.decisions.iter().map(|decision| decision.event.seq));
        seqs.extend(self.escalations.iter().map(|escalation| escalation.event.seq));
    }
}

impl TraceLine {
    pub fn amount(&self) -> Points {
        match self {
            TraceLine::Deduction(line) => line.amount,
            TraceLine::TierShortfall(line) => line.amount,
            TraceLine::FloorAbsorbed { amount } => *amount,
        }
    }
}

impl IndicatorTrace {
    pub fn lost(&self) -> Points {
        self.points_max - self.score
    }

    pub fn listed(&self) -> Points {
        self.lines.iter().map(TraceLine::amount).sum()
    }

    pub fn reconciles(&self) -> bool {
        self.lost() == self.listed()
    }
}

impl Trace {
    pub fn lost(&self) -> Points {
        self.points_max_total - self.raw
    }

    /// Σ indicator lines + Σ charges + the floor line.
    pub fn listed(&self) -> Points {
        let indicators: Points = self.indicators.iter().map(IndicatorTrace::listed).sum();
        let charges: Points = self.charges.iter().map(|line| line.amount).sum();
        indicators + charges + self.floor_absorbed
    }

    /// Every indicator reconciles, and so does the whole.
    pub fn reconciles(&self) -> bool {
        self.indicators.iter().all(IndicatorTrace::reconciles) && self.lost() == self.listed()
    }
}

impl Projection {
    /// The traces of `unit` for `period`: one per opened base period it contains (one for a base
    /// period). Empty when no scheme assesses the unit then.
    pub fn traces(&self, unit: &UnitCode, period: PeriodId) -> Vec<Trace> {
        let Some(placement) = self.placement(unit, period.year()) else { return Vec::new() };
        let bases = placement.scheme.opened_base_periods_in(period);
        bases.into_iter().filter_map(|base| self.trace_base(&placement, base)).collect()
    }

    /// The trace of `unit` for one opened base period.
    pub fn trace(&self, unit: &UnitCode, period: PeriodId) -> Option<Trace> {
        let placement = self.placement(unit, period.year())?;
        self.trace_base(&placement, period)
    }

    fn trace_base(&self, placement: &Placement<'_>, period: PeriodId) -> Option<Trace> {
        let mut indicators = Vec::new();
        let totals = self.score_base(placement, period, Some(&mut indicators))?;
        let traced = indicators.into_iter().map(|score| {
            let mut trace = IndicatorTrace {
                indicator: score.indicator,
                name: score.name,
                points_max: score.points_max,
                score: score.score,
                lines: Vec::new(),
                relieved: Vec::new(),
            };
            self.fill_indicator_lines(placement, period, &mut trace, score.tiered);
            trace
        });
        let indicators: Vec<IndicatorTrace> = traced.collect();
        let charges: Vec<DeductionLine> =
            self.charges_onto(placement, period).map(|d| self.deduction_line(placement, d)).collect();
        // The floor line is rebuilt from the listed lines alone, so the total check stays independent of
        // the score: what the indicators keep by their own lines, less the charges.
        let kept: Points = indicators.iter().map(|indicator| indicator.points_max - indicator.listed()).sum();
        let before_floor = kept - charges.iter().map(|line| line.amount).sum();
        Some(Trace {
            unit: placement.unit.clone(),
            period,
            scheme: placement.scheme.settings.scheme.clone(),
            points_max_total: totals.points_max_total,
            raw: totals.raw,
            indicators,
            charges,
            floor_absorbed: before_floor.min(Points::ZERO),
        })
    }

    fn fill_indicator_lines(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        trace: &mut IndicatorTrace,
        tiered: bool,
    ) {
        if tiered {
            let award = placement
                .scheme
                .assessment(period, placement.county)
                .and_then(|assessment| assessment.tier_awards.get(&trace.indicator))
                .and_then(|id| self.facts.tier_awards.get(id));
            if let Some(award) = award {
                trace.lines.push(TraceLine::TierShortfall(Box::new(self.tier_line(award, trace.points_max, period))));
            }
            return;
        }
        let counted: Vec<DeductionLine> = self
            .deductions_on(placement, period, &trace.indicator)
            .map(|d| self.deduction_line(placement, d))
            .collect();
        let deducted: Points = counted.iter().map(|line| line.amount).sum();
        trace.lines.extend(counted.into_iter().map(|line| TraceLine::Deduction(Box::new(line))));
        if deducted > trace.points_max {
            trace.lines.push(TraceLine::FloorAbsorbed { amount: trace.points_max - deducted });
        }
        if placement.is_section {
            trace.relieved = self.relieved_lines(placement, period, &trace.indicator);
        }
    }

    /// The county's deductions on a lead section's indicator that a cause attribution moved elsewhere.
    fn relieved_lines(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        indicator: &IndicatorCode,
    ) -> Vec<DeductionLine> {
        let Some(ids) = placement.scheme.assessment(period, placement.county).and_then(|a| a.deductions.get(indicator))
        else {
            return Vec::new();
        };
        let lead = placement.scheme.lead_section(placement.county, indicator);
        ids.iter()
            .filter_map(|id| self.facts.deductions.get(id))
            .filter(|deduction| self.moved_to(placement.county, lead, deduction).is_some())
            .map(|deduction| self.deduction_line(placement, deduction))
            .collect()
    }

    fn deduction_line(&self, placement: &Placement<'_>, deduction: &DeductionFacts) -> DeductionLine {
        let recorded = &deduction.recorded;
        let appeals: Vec<AppealLine> = self.appeal_lines(&deduction.appeals);
        let restored: Points = appeals.iter().map(|appeal| appeal.points_restored).sum();
        let amount = if deduction.withdrawal.is_some() { Points::ZERO } else { recorded.points - restored };
        let lead = placement.scheme.lead_section(placement.county, &recorded.indicator);
        DeductionLine {
            deduction_id: recorded.deduction_id,
            indicator: recorded.indicator.clone(),
            event: deduction.event.clone(),
            unit: recorded.unit.clone(),
            assessor: recorded.assessor.clone(),
            points: recorded.points,
            restored,
            amount,
            reason: recorded.reason.clone(),
            problem_category: recorded.problem_category.clone(),
            evidence_digests: recorded.evidence_digests.clone(),
            withdrawn: deduction.withdrawal.as_ref().map(|withdrawal| withdrawal.event.clone()),
            charged_to: self.moved_to(placement.county, lead, deduction).cloned(),
            attributions: deduction.attributions.clone(),
            rectifications: deduction.rectifications.clone(),
            appeals,
        }
    }

    fn tier_line(&self, award: &TierAwardFacts, points_max: Points, period: PeriodId) -> TierLine {
        let awarded = &award.awarded;
        let indicator = self.facts.schemes.get(&awarded.scheme).and_then(|s| s.indicators.get(&awarded.indicator));
        let tier_points = indicator
            .and_then(|indicator| indicator.version_at(period).tier_points(awarded.tier))
            .unwrap_or(points_max);
        let shortfall = points_max - tier_points;
        let appeals = self.appeal_lines(&award.appeals);
        let restored: Points = appeals.iter().map(|appeal| appeal.points_restored).sum();
        TierLine {
            tier_award_id: awarded.tier_award_id,
            event: award.event.clone(),
            tier: awarded.tier,
            tier_points,
            shortfall,
            restored,
            amount: shortfall - restored.min(shortfall),
            reason: awarded.reason.clone(),
            appeals,
        }
    }

    fn appeal_lines(&self, appeals: &[AppealId]) -> Vec<AppealLine> {
        appeals.iter().filter_map(|id| self.facts.appeals.get(id)).map(appeal_line).collect()
    }
}

fn appeal_line(appeal: &AppealFacts) -> AppealLine {
    let filed = &appeal.filed;
    AppealLine {
        appeal_id: filed.appeal_id,
        filed: appeal.event.clone(),
        appellant: filed.appellant.clone(),
        grounds: filed.grounds.clone(),
        points_contested: filed.points_contested,
        decisions: appeal.decisions.clone(),
        escalations: appeal.escalations.clone(),
        withdrawn: appeal.withdrawal.clone(),
        awaiting_decision: appeal.awaiting_decision,
        points_restored: appeal.points_restored,
    }
}
