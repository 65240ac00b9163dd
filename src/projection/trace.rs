//! The trace of a unit in a base period: every point it lost, down to the events — each deduction
//! with its reason, category, evidence, cause attributions (with the appeals against them and their
//! outcome), rectification and appeals, each tier shortfall with its award, and the amounts a floor at
//! zero absorbed — and the deductions that cite no evidence. Also the deduction register: the
//! deductions recorded against a unit (and the units under it) in a period, with their evidence.
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
use crate::domain::{EventRef, Timestamp};

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
    /// The deductions this trace lists (lines, charges and relieved ones) that stand (not withdrawn)
    /// and cite no evidence document: what a register follows up.
    pub without_evidence: WithoutEvidence,
}

/// Deductions that cite no evidence digest, counted and listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithoutEvidence {
    pub count: usize,
    /// In the order the trace lists them, each once.
    pub deductions: Vec<DeductionId>,
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
    /// In a county's own scheme: what a taken-over indicator lost, scaled from the section's losses
    /// on it in the city's scheme (listed there in the city's points).
    TakenOver(Box<TakenOverLine>),
}

/// A taken-over indicator's loss in a county's own scheme. `amount` = `points_max` −
/// round_half_up(`points_max` × `city_score` / `city_points_max`), where `city_score` =
/// `city_points_max` − Σ `city_lines`: the section's own lines on it in the city's scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenOverLine {
    pub city_scheme: SchemeId,
    pub city_points_max: Points,
    pub city_score: Points,
    /// What the indicator is worth in the county's scheme.
    pub points_max: Points,
    /// `round_half_up(points_max × city_score / city_points_max)`.
    pub score: Points,
    pub amount: Points,
    /// The section's lines on the indicator in the city's scheme, in the city's points.
    pub city_lines: Vec<TraceLine>,
}

impl TakenOverLine {
    /// The city's lines explain the city score, and the scaling explains the amount.
    pub fn reconciles(&self) -> bool {
        let city_listed: Points = self.city_lines.iter().map(TraceLine::amount).sum();
        let score = super::own_scheme::scaled_score(self.points_max, self.city_score, self.city_points_max);
        self.city_points_max - self.city_score == city_listed
            && self.score == score
            && self.amount == self.points_max - score
            && self.city_lines.iter().all(TraceLine::reconciles)
    }
}

/// How a charge moved onto a section counts in its county's own scheme: the charge in the city's
/// points, scaled to the indicator's points there (`amount` = round_half_up(`charge` × `points_max`
/// / `city_points_max`)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scaling {
    pub city_scheme: SchemeId,
    pub charge: Points,
    pub points_max: Points,
    pub city_points_max: Points,
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
    pub attributions: Vec<AttributionLine>,
    pub rectifications: Vec<Rectification>,
    pub appeals: Vec<AppealLine>,
    /// For a charge in a county's own scheme: how the city's charge was scaled to `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaled: Option<Scaling>,
}

/// A cause attribution as the trace lists it, with the appeals the section it charges filed against
/// it and their outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionLine {
    pub event: EventRef,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    /// Whether it decides the charge now: the latest attribution, and no appeal against it upheld.
    pub standing: bool,
    pub appeals: Vec<AppealLine>,
    /// The committee's decision that upheld an appeal against it: the charge went back to the lead.
    pub overturned_by: Option<EventRef>,
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
    pub evidence_digests: Vec<EvidenceDigest>,
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
            flat_lines(&indicator.lines)
                .into_iter()
                .filter_map(|line| match line {
                    TraceLine::Deduction(line) => Some(line.as_ref()),
                    _ => None,
                })
                .chain(&indicator.relieved)
        }));
        for line in deductions {
            seqs.push(line.event.seq);
            seqs.extend(line.withdrawn.as_ref().map(|event| event.seq));
            for attribution in &line.attributions {
                seqs.push(attribution.event.seq);
                attribution.appeals.iter().for_each(|appeal| appeal.cite(&mut seqs));
            }
            seqs.extend(line.rectifications.iter().map(|rectification| rectification.event.seq));
            line.appeals.iter().for_each(|appeal| appeal.cite(&mut seqs));
        }
        for indicator in &self.indicators {
            for line in flat_lines(&indicator.lines) {
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
            TraceLine::TakenOver(line) => line.amount,
        }
    }

    /// A taken-over line reconciles within itself; every other line is a fact.
    pub fn reconciles(&self) -> bool {
        match self {
            TraceLine::TakenOver(line) => line.reconciles(),
            _ => true,
        }
    }
}

/// The lines, with a taken-over line's city lines in its place (after it): every fact listed.
pub fn flat_lines(lines: &[TraceLine]) -> Vec<&TraceLine> {
    let mut flat = Vec::new();
    for line in lines {
        flat.push(line);
        if let TraceLine::TakenOver(taken_over) = line {
            flat.extend(flat_lines(&taken_over.city_lines));
        }
    }
    flat
}

impl IndicatorTrace {
    pub fn lost(&self) -> Points {
        self.points_max - self.score
    }

    pub fn listed(&self) -> Points {
        self.lines.iter().map(TraceLine::amount).sum()
    }

    pub fn reconciles(&self) -> bool {
        self.lost() == self.listed() && self.lines.iter().all(TraceLine::reconciles)
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

    /// Every indicator reconciles, every scaled charge is its charge scaled, and the whole reconciles.
    pub fn reconciles(&self) -> bool {
        let scaled_right = self.charges.iter().all(|line| {
            line.scaled.as_ref().is_none_or(|scaling| {
                let charge = if line.withdrawn.is_some() { Points::ZERO } else { line.points - line.restored };
                scaling.charge == charge
                    && line.amount == super::own_scheme::scale(charge, scaling.points_max, scaling.city_points_max)
            })
        });
        self.indicators.iter().all(IndicatorTrace::reconciles) && scaled_right && self.lost() == self.listed()
    }
}

impl Projection {
    /// The traces of `unit` for `period` from published figures: `traces_with(.., Counting::Published)`.
    pub fn traces(&self, unit: &UnitCode, period: PeriodId) -> Vec<Trace> {
        self.traces_with(unit, period, super::Counting::Published)
    }

    /// The traces of `unit` for `period`: one per base period it counts (`Counting`; one for a base
    /// period with results). Empty when no scheme assesses the unit then.
    pub fn traces_with(&self, unit: &UnitCode, period: PeriodId, counting: super::Counting) -> Vec<Trace> {
        self.traces_in(unit, period, counting, None)
    }

    /// As `traces_with`, in the scheme `scheme` names: a section's traces in its county's own scheme
    /// (`None`: the scheme that assesses the unit or its county).
    pub fn traces_in(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: super::Counting,
        scheme: Option<&SchemeId>,
    ) -> Vec<Trace> {
        let Some(placement) = self.placement_in(unit, period.year(), scheme) else { return Vec::new() };
        let bases = placement.scheme.counted_base_periods_in(period, counting.includes_open());
        bases.into_iter().filter_map(|base| self.trace_base(&placement, base)).collect()
    }

    /// The trace of `unit` for one opened base period.
    pub fn trace(&self, unit: &UnitCode, period: PeriodId) -> Option<Trace> {
        self.trace_in(unit, period, None)
    }

    /// The trace of `unit` for one opened base period of `scheme` (`None`: as `trace`).
    pub fn trace_in(&self, unit: &UnitCode, period: PeriodId, scheme: Option<&SchemeId>) -> Option<Trace> {
        let placement = self.placement_in(unit, period.year(), scheme)?;
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
        let charges: Vec<DeductionLine> = match self.is_own(placement) {
            true => self.scaled_charge_lines(placement, period),
            false => self.charges_onto(placement, period).map(|d| self.deduction_line(placement, d)).collect(),
        };
        // The floor line is rebuilt from the listed lines alone, so the total check stays independent of
        // the score: what the indicators keep by their own lines, less the charges.
        let kept: Points = indicators.iter().map(|indicator| indicator.points_max - indicator.listed()).sum();
        let before_floor = kept - charges.iter().map(|line| line.amount).sum();
        let without_evidence = without_evidence(&indicators, &charges);
        Some(Trace {
            unit: placement.unit.clone(),
            period,
            scheme: placement.scheme.settings.scheme.clone(),
            points_max_total: totals.points_max_total,
            raw: totals.raw,
            indicators,
            charges,
            floor_absorbed: before_floor.min(Points::ZERO),
            without_evidence,
        })
    }

    fn fill_indicator_lines(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        trace: &mut IndicatorTrace,
        tiered: bool,
    ) {
        let taken_over = placement.scheme.indicators.get(&trace.indicator).is_some_and(|i| i.taken_over.is_some());
        let own = self.is_own(placement);
        if own && taken_over {
            return self.fill_taken_over_lines(placement, period, trace);
        }
        if tiered {
            // A section mirrors its county's award, except in its county's own scheme.
            let awarded = if own { placement.unit } else { placement.county };
            let award = placement
                .scheme
                .assessment(period, awarded)
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
        let lead = placement.scheme.lead_section(placement.county, indicator, period);
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
        let lead = placement.scheme.lead_section(placement.county, &recorded.indicator, recorded.period);
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
            // In a county's own scheme a deduction is recorded against the section itself: nothing moves.
            charged_to: self.moved_to(placement.county, lead, deduction).cloned().filter(|_| !self.is_own(placement)),
            attributions: self.attribution_lines(deduction),
            rectifications: deduction.rectifications.clone(),
            appeals,
            scaled: None,
        }
    }

    /// A section's lines on a taken-over indicator in its county's own scheme: one line, scaled from
    /// its own lines on the indicator in the city's scheme (its relieved deductions listed as there).
    fn fill_taken_over_lines(&self, placement: &Placement<'_>, period: PeriodId, trace: &mut IndicatorTrace) {
        let own = placement.scheme;
        let Some(indicator) = own.indicators.get(&trace.indicator) else { return };
        let Some(version) = self.facts.taken_over_at(own, indicator, period) else { return };
        let Some(city) = self.city_placement(placement) else { return };
        let city = Placement { scheme: version.city, ..city };
        let city_points_max = version.city_version.points_max;
        let (city_score, _) = self.city_score(placement, period, &trace.indicator, &version);
        let mut city_trace = IndicatorTrace {
            indicator: trace.indicator.clone(),
            name: trace.name.clone(),
            points_max: city_points_max,
            score: city_score,
            lines: Vec::new(),
            relieved: Vec::new(),
        };
        self.fill_indicator_lines(&city, period, &mut city_trace, version.city_version.is_tiered());
        // The line is built from the city's lines alone (not from the score), so reconciling means something.
        let listed_city_score = city_points_max - city_trace.listed();
        let score = super::own_scheme::scaled_score(trace.points_max, listed_city_score, city_points_max);
        let line = TakenOverLine {
            city_scheme: version.city.settings.scheme.clone(),
            city_points_max,
            city_score: listed_city_score,
            points_max: trace.points_max,
            score,
            amount: trace.points_max - score,
            city_lines: city_trace.lines,
        };
        trace.relieved = city_trace.relieved;
        if line.amount != Points::ZERO || !line.city_lines.is_empty() {
            trace.lines.push(TraceLine::TakenOver(Box::new(line)));
        }
    }

    /// The city's charges onto a section in its county's own scheme, each scaled (`Scaling`).
    fn scaled_charge_lines(&self, placement: &Placement<'_>, period: PeriodId) -> Vec<DeductionLine> {
        let Some(city) = self.city_placement(placement) else { return Vec::new() };
        let city_scheme = city.scheme.settings.scheme.clone();
        let charges = self.scaled_charges(placement, period).into_iter().map(|charge| {
            let mut line = self.deduction_line(&city, charge.deduction);
            line.amount = charge.amount;
            line.scaled = Some(Scaling {
                city_scheme: city_scheme.clone(),
                charge: charge.charge,
                points_max: charge.points_max,
                city_points_max: charge.city_points_max,
            });
            line
        });
        charges.collect()
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

    fn attribution_lines(&self, deduction: &DeductionFacts) -> Vec<AttributionLine> {
        let standing = deduction.standing_attribution().map(|attribution| &attribution.event.event_id);
        deduction
            .attributions
            .iter()
            .map(|attribution: &Attribution| AttributionLine {
                event: attribution.event.clone(),
                cause_unit: attribution.cause_unit.clone(),
                description: attribution.description.clone(),
                evidence_digests: attribution.evidence_digests.clone(),
                standing: standing == Some(&attribution.event.event_id),
                appeals: self.appeal_lines(&attribution.appeals),
                overturned_by: attribution.overturned_by.clone(),
            })
            .collect()
    }
}

/// The standing deductions of a trace without an evidence digest, each once, in the trace's order.
fn without_evidence(indicators: &[IndicatorTrace], charges: &[DeductionLine]) -> WithoutEvidence {
    let listed = indicators.iter().flat_map(|indicator| {
        let lines = flat_lines(&indicator.lines).into_iter().filter_map(|line| match line {
            TraceLine::Deduction(line) => Some(line.as_ref()),
            _ => None,
        });
        lines.chain(&indicator.relieved)
    });
    let mut deductions: Vec<DeductionId> = Vec::new();
    for line in listed.chain(charges) {
        if line.withdrawn.is_none() && line.evidence_digests.is_empty() && !deductions.contains(&line.deduction_id) {
            deductions.push(line.deduction_id);
        }
    }
    WithoutEvidence { count: deductions.len(), deductions }
}

fn appeal_line(appeal: &AppealFacts) -> AppealLine {
    let filed = &appeal.filed;
    AppealLine {
        appeal_id: filed.appeal_id,
        filed: appeal.event.clone(),
        appellant: filed.appellant.clone(),
        grounds: filed.grounds.clone(),
        evidence_digests: filed.evidence_digests.clone(),
        points_contested: filed.points_contested,
        decisions: appeal.decisions.clone(),
        escalations: appeal.escalations.clone(),
        withdrawn: appeal.withdrawal.clone(),
        awaiting_decision: appeal.awaiting_decision,
        points_restored: appeal.points_restored,
    }
}

// ---- The deduction register ---------------------------------------------------------------------

/// Which deductions a register lists, by their evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceFilter {
    /// Every deduction, withdrawn ones included.
    #[default]
    Any,
    /// Standing deductions (not withdrawn) that cite no evidence document.
    Missing,
    /// Deductions that cite at least one evidence document.
    Present,
}

impl EvidenceFilter {
    /// Every filter, as the API spells it.
    pub const NAMES: &'static [&'static str] = &["any", "missing", "present"];

    pub fn parse(text: &str) -> Option<EvidenceFilter> {
        match text {
            "any" => Some(EvidenceFilter::Any),
            "missing" => Some(EvidenceFilter::Missing),
            "present" => Some(EvidenceFilter::Present),
            _ => None,
        }
    }

    fn admits(self, deduction: &DeductionFacts) -> bool {
        let cited = !deduction.recorded.evidence_digests.is_empty();
        match self {
            EvidenceFilter::Any => true,
            EvidenceFilter::Missing => !cited && !deduction.is_withdrawn(),
            EvidenceFilter::Present => cited,
        }
    }
}

/// The deductions recorded against a unit and the units under it in the base periods of a period
/// (台账), with their evidence; ordered by period, unit, indicator and recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionRegister {
    pub unit: UnitCode,
    pub period: PeriodId,
    pub evidence: EvidenceFilter,
    /// Standing deductions of the unit and period (whatever the filter) that cite no evidence.
    pub without_evidence_count: usize,
    pub deductions: Vec<RegisterEntry>,
}

/// One deduction in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub assessor: UnitCode,
    pub event: EventRef,
    pub recorded_at: Timestamp,
    pub points: Points,
    /// What it counts now: its points less what appeals restored; 0 once withdrawn.
    pub effective: Points,
    pub reason: String,
    pub problem_category: ProblemCategory,
    pub evidence_digests: Vec<EvidenceDigest>,
    /// Standing and citing no evidence document.
    pub evidence_missing: bool,
    pub withdrawn: Option<EventRef>,
    /// The unit its standing cause attribution names, if any.
    pub cause_unit: Option<UnitCode>,
    /// Appeals against it (on the points) and against its attributions (on the blame).
    pub appeals: usize,
}

impl Projection {
    /// The deductions recorded against `unit` or a unit under it in a base period within `period`,
    /// that `evidence` admits.
    pub fn deduction_register(&self, unit: &UnitCode, period: PeriodId, evidence: EvidenceFilter) -> DeductionRegister {
        let facts = &self.facts;
        let selected: Vec<&DeductionFacts> = facts
            .deductions
            .values()
            .filter(|deduction| {
                period.contains(deduction.recorded.period) && facts.in_scope(unit, &deduction.recorded.unit)
            })
            .collect();
        let without_evidence_count =
            selected.iter().filter(|deduction| EvidenceFilter::Missing.admits(deduction)).count();
        let mut deductions: Vec<RegisterEntry> = selected
            .into_iter()
            .filter(|deduction| evidence.admits(deduction))
            .map(|deduction| {
                let recorded = &deduction.recorded;
                let attribution_appeals: usize = deduction.attributions.iter().map(|a| a.appeals.len()).sum();
                RegisterEntry {
                    deduction_id: recorded.deduction_id,
                    scheme: recorded.scheme.clone(),
                    period: recorded.period,
                    unit: recorded.unit.clone(),
                    indicator: recorded.indicator.clone(),
                    assessor: recorded.assessor.clone(),
                    event: deduction.event.clone(),
                    recorded_at: deduction.event.recorded_at,
                    points: recorded.points,
                    effective: facts.effective_points(deduction),
                    reason: recorded.reason.clone(),
                    problem_category: recorded.problem_category.clone(),
                    evidence_digests: recorded.evidence_digests.clone(),
                    evidence_missing: EvidenceFilter::Missing.admits(deduction),
                    withdrawn: deduction.withdrawal.as_ref().map(|withdrawal| withdrawal.event.clone()),
                    cause_unit: deduction.cause_unit().cloned(),
                    appeals: deduction.appeals.len() + attribution_appeals,
                }
            })
            .collect();
        deductions.sort_by(|a, b| {
            (a.period, &a.unit, &a.indicator, a.event.seq).cmp(&(b.period, &b.unit, &b.indicator, b.event.seq))
        });
        DeductionRegister { unit: unit.clone(), period, evidence, without_evidence_count, deductions }
    }
}

// ---- Who cites an evidence document -------------------------------------------------------------

/// What kind of fact cites an evidence document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CitingFact {
    Deduction,
    Attribution,
    Rectification,
    Appeal,
    Escalation,
    Decision,
}

/// One fact citing an evidence document, and the units whose facts it is: whoever may read one of
/// those units' facts may read the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub fact: CitingFact,
    pub event: EventRef,
    pub parties: Vec<UnitCode>,
}

impl Projection {
    /// Every fact that cites `digest`, in chain order. A deduction's parties are the deducted unit, its
    /// assessor and the units its attributions named; an attribution's or a rectification's, the
    /// deducted unit and the unit it names; an appeal's (and its escalations' and decisions'), the
    /// appealed unit, the appellant and the unit that assessed what is appealed.
    pub fn evidence_citations(&self, digest: &EvidenceDigest) -> Vec<Citation> {
        let facts = &self.facts;
        let mut citations = Vec::new();
        let mut cite = |fact, event: &EventRef, parties: Vec<&UnitCode>| {
            let mut parties: Vec<UnitCode> = parties.into_iter().cloned().collect();
            parties.dedup();
            citations.push(Citation { fact, event: event.clone(), parties });
        };
        for deduction in facts.deductions.values() {
            let recorded = &deduction.recorded;
            if recorded.evidence_digests.contains(digest) {
                let mut parties = vec![&recorded.unit, &recorded.assessor];
                parties.extend(deduction.attributions.iter().map(|attribution| &attribution.cause_unit));
                cite(CitingFact::Deduction, &deduction.event, parties);
            }
            for attribution in deduction.attributions.iter().filter(|a| a.evidence_digests.contains(digest)) {
                cite(CitingFact::Attribution, &attribution.event, vec![&recorded.unit, &attribution.cause_unit]);
            }
            for rectification in deduction.rectifications.iter().filter(|r| r.evidence_digests.contains(digest)) {
                cite(CitingFact::Rectification, &rectification.event, vec![&recorded.unit, &rectification.cause_unit]);
            }
        }
        for appeal in facts.appeals.values() {
            let filed = &appeal.filed;
            let assessor = facts.appeal_target_author(&filed.target).map(|(_, unit)| unit);
            let parties = || [Some(&filed.unit), Some(&filed.appellant), assessor].into_iter().flatten().collect();
            if filed.evidence_digests.contains(digest) {
                cite(CitingFact::Appeal, &appeal.event, parties());
            }
            for escalation in appeal.escalations.iter().filter(|e| e.evidence_digests.contains(digest)) {
                cite(CitingFact::Escalation, &escalation.event, parties());
            }
            for decision in appeal.decisions.iter().filter(|d| d.evidence_digests.contains(digest)) {
                cite(CitingFact::Decision, &decision.event, parties());
            }
        }
        citations.sort_by_key(|citation| citation.event.seq);
        citations
    }
}
