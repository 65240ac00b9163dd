//! The scoreboard: indicator scores, raw, normalised, bonus, final and veto of a unit (an assessed
//! unit or a section) for a base period, and roll-ups (quarter, half-year, year) over base periods.
//! A roll-up counts the published (or final) base periods inside it, and open ones that have results
//! only when asked for provisional figures (`Counting`); every open base period counted is listed in
//! `provisional_periods`.
//!
//! Invariant: integers only, rounded half-up through `domain::points`; a county's score never moves
//! when blame moves inside it; a section's raw total never goes below zero (the floor's share is
//! reported as `floor_absorbed`, so traces reconcile); a unit with no applicable indicator in a
//! base period is unranked there and its bonus and veto are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{IndicatorCode, PeriodId, Points, SchemeId, UnitCode};

use super::{Counting, Projection};
use crate::domain::facts::{
    applies_with_plan, DeductionFacts, IndicatorFacts, IndicatorVersion, SchemeFacts, TierAwardFacts,
};

/// One indicator's line on a scorecard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorScore {
    pub indicator: IndicatorCode,
    pub name: String,
    pub points_max: Points,
    pub score: Points,
    /// A tiered indicator with no award yet: counted at full points.
    pub unassessed: bool,
    pub tiered: bool,
}

/// A unit's score for one period. For a roll-up, the sums run over `base_periods` (those counted —
/// published, or open with results when provisional figures were asked for — and in which the unit
/// was ranked), `normalized` and `bonus` are the half-up means of the base values, and `final_score`
/// is the half-up mean of the base finals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreCard {
    pub unit: UnitCode,
    pub period: PeriodId,
    pub scheme: SchemeId,
    pub base_periods: Vec<PeriodId>,
    pub indicators: Vec<IndicatorScore>,
    pub points_max_total: Points,
    /// Σ indicator scores, before charges.
    pub indicator_score_total: Points,
    /// Points charged onto a section by cause attributions on its county's other indicators.
    pub charges: Points,
    /// What the floor at zero absorbed of the charges (≥ 0).
    pub floor_absorbed: Points,
    /// `max(0, indicator_score_total − charges)`.
    pub raw: Points,
    pub normalized: Option<Points>,
    /// Bonus awarded, before the cap.
    pub bonus_awarded: Points,
    /// Bonus counted: `min(bonus_awarded, cap)`.
    pub bonus: Points,
    /// `None` when the unit is unranked for the period.
    pub final_score: Option<Points>,
    pub veto: bool,
    /// The open (not yet published) base periods counted: their figures may still change.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

impl ScoreCard {
    pub fn is_ranked(&self) -> bool {
        self.final_score.is_some()
    }

    /// Everything the unit lost: `points_max_total − raw`.
    pub fn lost(&self) -> Points {
        self.points_max_total - self.raw
    }
}

/// Where a unit sits in a scheme: assessed by it directly (a county), or a section of such a unit —
/// or, in a county's own scheme, a section of the issuer assessed directly (`Projection::is_own`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement<'a> {
    pub scheme: &'a SchemeFacts,
    pub unit: &'a UnitCode,
    /// The assessed unit whose plan applies: the unit itself, or the county of a section (in a
    /// county's own scheme, the issuer).
    pub county: &'a UnitCode,
    pub is_section: bool,
}

/// One unit's result in one base period, before it is dressed as a `ScoreCard`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BaseTotals {
    pub indicator_count: usize,
    pub points_max_total: Points,
    pub indicator_score_total: Points,
    pub charges: Points,
    pub floor_absorbed: Points,
    pub raw: Points,
    pub normalized: Option<Points>,
    pub bonus_awarded: Points,
    pub bonus: Points,
    pub final_score: Option<Points>,
    pub veto: bool,
    /// Tiered indicators with no award yet, counted at full points.
    pub unassessed: usize,
}

/// A unit's standing score for a period (base or roll-up): the half-up mean of the finals of the
/// base periods counted, a veto carried up from any of them, and how many indicator lines they hold
/// that are still unassessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StandingScore {
    pub final_score: Points,
    pub veto: bool,
    pub unassessed: usize,
}

/// Scoring reads of one scheme's facts.
pub(crate) trait SchemeScoring {
    fn indicators_of<'a>(
        &'a self,
        placement: &'a Placement<'a>,
        period: PeriodId,
    ) -> impl Iterator<Item = (&'a IndicatorCode, &'a IndicatorFacts)> + 'a;
}

impl SchemeScoring for SchemeFacts {
    /// The indicators of a placement in a base period: all that apply to the county, or for a
    /// section those of them it leads. The county's plan is looked up once, not per indicator.
    fn indicators_of<'a>(
        &'a self,
        placement: &'a Placement<'a>,
        period: PeriodId,
    ) -> impl Iterator<Item = (&'a IndicatorCode, &'a IndicatorFacts)> + 'a {
        let plan = self.plans.get(placement.county);
        // A taken-over indicator (a county's own scheme) is scored from the city's facts, apart.
        let local = self.indicators.iter().filter(|(_, indicator)| indicator.taken_over.is_none());
        local.filter(move |(code, indicator)| {
            let entry = plan.and_then(|plan| plan.get(*code));
            let lead = entry.and_then(|entry| entry.lead_section_at(period));
            let led = !placement.is_section || lead == Some(placement.unit);
            led && applies_with_plan(indicator, entry, period)
        })
    }
}

impl Projection {
    /// Where `unit` sits in the scheme of `year`, if one assesses it.
    pub(crate) fn placement<'a>(&'a self, unit: &'a UnitCode, year: i32) -> Option<Placement<'a>> {
        let units = &self.facts.units;
        let record = units.get(unit)?;
        let parent = record.parent.as_ref()?;
        if !record.level.is_section() {
            let scheme = self.facts.schemes.get(&SchemeId::for_issuer_year(parent, year))?;
            return Some(Placement { scheme, unit, county: unit, is_section: false });
        }
        let county = units.get(parent).filter(|county| !county.level.is_section())?;
        let issuer = county.parent.as_ref()?;
        let scheme = self.facts.schemes.get(&SchemeId::for_issuer_year(issuer, year))?;
        Some(Placement { scheme, unit, county: parent, is_section: true })
    }

    /// Where `unit` sits in the scheme `scheme` names (one of `year`), or with `None` in the scheme of
    /// `placement`. In a county's own scheme a section of the county is assessed directly.
    pub(crate) fn placement_in<'a>(
        &'a self,
        unit: &'a UnitCode,
        year: i32,
        scheme: Option<&SchemeId>,
    ) -> Option<Placement<'a>> {
        let Some(id) = scheme else { return self.placement(unit, year) };
        let scheme = self.facts.schemes.get(id).filter(|scheme| scheme.settings.year == year)?;
        if !self.facts.is_own_scheme(scheme) {
            return self.placement(unit, year).filter(|placement| &placement.scheme.settings.scheme == id);
        }
        let county = &scheme.settings.issuer;
        let placement = Placement { scheme, unit, county, is_section: true };
        self.facts.is_section_of(unit, county).then_some(placement)
    }

    /// Whether a placement is a section's in its county's own scheme, which assesses it directly: its
    /// bonuses, vetoes and tier awards are its own there.
    pub(crate) fn is_own(&self, placement: &Placement<'_>) -> bool {
        self.facts.is_own_scheme(placement.scheme)
    }

    /// The section a deduction against `county` is charged to instead of the indicator's lead, if
    /// the latest cause attribution names another section of the same county.
    pub(crate) fn moved_to<'a>(
        &'a self,
        county: &UnitCode,
        lead: Option<&UnitCode>,
        deduction: &'a DeductionFacts,
    ) -> Option<&'a UnitCode> {
        let cause = deduction.cause_unit()?;
        (self.facts.is_section_of(cause, county) && Some(cause) != lead).then_some(cause)
    }

    /// A tier award's points, with what its appeals restored, never above `points_max`.
    pub(crate) fn tier_award_score(&self, award: &TierAwardFacts, version: &IndicatorVersion<'_>) -> Points {
        let awarded = version.tier_points(award.awarded.tier).unwrap_or(version.points_max);
        (awarded + self.facts.points_restored_on(&award.appeals)).min(version.points_max)
    }

    /// The deductions that count on one indicator of a placement: the county's (for a section only
    /// those not moved away) and, for a section, the office's direct ones.
    pub(crate) fn deductions_on<'a>(
        &'a self,
        placement: &Placement<'a>,
        period: PeriodId,
        indicator: &'a IndicatorCode,
    ) -> impl Iterator<Item = &'a DeductionFacts> + 'a {
        let scheme = placement.scheme;
        let county = placement.county;
        let is_section = placement.is_section;
        let county_ids = scheme.assessment(period, county).and_then(|assessment| assessment.deductions.get(indicator));
        let direct_ids = scheme
            .assessment(period, placement.unit)
            .filter(|_| is_section)
            .and_then(|assessment| assessment.deductions.get(indicator));
        // Only a section needs the lead (to leave out what moved away); a county counts everything.
        let lead = if is_section { scheme.lead_section(county, indicator, period) } else { None };
        let from_county = county_ids
            .into_iter()
            .flatten()
            .filter_map(|id| self.facts.deductions.get(id))
            .filter(move |deduction| !is_section || self.moved_to(county, lead, deduction).is_none());
        let direct = direct_ids.into_iter().flatten().filter_map(|id| self.facts.deductions.get(id));
        from_county.chain(direct)
    }

    /// One indicator's score and whether it is still unassessed.
    pub(crate) fn indicator_score(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        code: &IndicatorCode,
        version: &IndicatorVersion<'_>,
    ) -> (Points, bool) {
        if version.is_tiered() {
            // A section mirrors its county's award, except in its county's own scheme: its own there.
            let awarded = if self.is_own(placement) { placement.unit } else { placement.county };
            let award = placement
                .scheme
                .assessment(period, awarded)
                .and_then(|assessment| assessment.tier_awards.get(code))
                .and_then(|id| self.facts.tier_awards.get(id));
            return match award {
                Some(award) => (self.tier_award_score(award, version), false),
                None => (version.points_max, true),
            };
        }
        let deducted: Points =
            self.deductions_on(placement, period, code).map(|deduction| self.facts.effective_points(deduction)).sum();
        ((version.points_max - deducted).max(Points::ZERO), false)
    }

    /// The deductions against a section's county in a base period that are charged to the section.
    pub(crate) fn charges_onto<'a>(
        &'a self,
        placement: &Placement<'a>,
        period: PeriodId,
    ) -> impl Iterator<Item = &'a DeductionFacts> + 'a {
        let scheme = placement.scheme;
        let county = placement.county;
        let section = placement.unit;
        let assessment = scheme.assessment(period, county).filter(|_| placement.is_section);
        let entries = assessment.into_iter().flat_map(|assessment| assessment.deductions.iter());
        entries
            .filter(move |(code, _)| {
                scheme.indicators.get(*code).is_some_and(|indicator| scheme.applies(indicator, county, period))
            })
            .flat_map(move |(code, ids)| {
                let lead = scheme.lead_section(county, code, period);
                ids.iter()
                    .filter_map(|id| self.facts.deductions.get(id))
                    .filter(move |deduction| self.moved_to(county, lead, deduction) == Some(section))
            })
    }

    /// A placement's totals in an opened base period; `sink` collects the indicator lines.
    pub(crate) fn score_base(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        mut sink: Option<&mut Vec<IndicatorScore>>,
    ) -> Option<BaseTotals> {
        let scheme = placement.scheme;
        if !scheme.is_base_period(period) || !scheme.periods.contains_key(&period) {
            return None;
        }
        let mut totals = BaseTotals::default();
        for (code, indicator) in scheme.indicators_of(placement, period) {
            let version = indicator.version_at(period);
            let (score, unassessed) = self.indicator_score(placement, period, code, &version);
            totals.indicator_count += 1;
            totals.unassessed += usize::from(unassessed);
            totals.points_max_total = totals.points_max_total + version.points_max;
            totals.indicator_score_total = totals.indicator_score_total + score;
            if let Some(sink) = sink.as_deref_mut() {
                sink.push(IndicatorScore {
                    indicator: code.clone(),
                    name: version.name.to_owned(),
                    points_max: version.points_max,
                    score,
                    unassessed,
                    tiered: version.is_tiered(),
                });
            }
        }
        if self.is_own(placement) {
            self.add_taken_over(placement, period, &mut totals, sink);
            totals.charges = self.scaled_charges(placement, period).iter().map(|charge| charge.amount).sum();
        } else {
            totals.charges =
                self.charges_onto(placement, period).map(|deduction| self.facts.effective_points(deduction)).sum();
        }
        let before_floor = totals.indicator_score_total - totals.charges;
        totals.raw = before_floor.max(Points::ZERO);
        totals.floor_absorbed = totals.raw - before_floor;
        totals.normalized = Points::normalized(totals.raw, totals.points_max_total);
        if totals.indicator_count > 0 && totals.normalized.is_some() {
            self.add_bonus_and_veto(placement, period, &mut totals);
        }
        Some(totals)
    }

    /// Bonuses (capped) and vetoes belong to the assessed unit only: a county in its city's scheme, a
    /// section in its county's own scheme; a section has none in its city's scheme.
    fn add_bonus_and_veto(&self, placement: &Placement<'_>, period: PeriodId, totals: &mut BaseTotals) {
        let assessed_directly = !placement.is_section || self.is_own(placement);
        let assessment = placement.scheme.assessment(period, placement.unit).filter(|_| assessed_directly);
        if let Some(assessment) = assessment {
            totals.bonus_awarded = assessment.bonuses.iter().map(|bonus| bonus.awarded.points).sum();
            totals.veto = !assessment.vetoes.is_empty();
        }
        totals.bonus = totals.bonus_awarded.min(placement.scheme.settings.bonus_cap);
        totals.final_score = totals.normalized.map(|normalized| normalized + totals.bonus);
    }

    /// The base periods an answer about `unit` in `period` counts (see `SchemeFacts::
    /// counted_base_periods_in`) in `scheme` (`None`: the scheme that assesses it or its county);
    /// none when that scheme does not place the unit that year.
    pub(crate) fn counted_base_periods(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Vec<PeriodId> {
        self.placement_in(unit, period.year(), scheme)
            .map(|placement| placement.scheme.counted_base_periods_in(period, counting.includes_open()))
            .unwrap_or_default()
    }

    /// Of `bases` (base periods of `unit`'s scheme, or of `scheme`), those still open.
    pub(crate) fn open_base_periods(
        &self,
        unit: &UnitCode,
        bases: &[PeriodId],
        scheme: Option<&SchemeId>,
    ) -> Vec<PeriodId> {
        let year = bases.first().map(|base| base.year());
        let placement = year.and_then(|year| self.placement_in(unit, year, scheme));
        placement.map(|placement| placement.scheme.open_among(bases)).unwrap_or_default()
    }

    /// A unit's standing score for any period (base or roll-up) over the base periods `counting`
    /// counts, in `scheme` (`None`: the scheme that assesses it or its county); `None` when it is
    /// ranked in none of them.
    pub(crate) fn standing_score(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Option<StandingScore> {
        let placement = self.placement_in(unit, period.year(), scheme)?;
        let mut finals = Vec::new();
        let mut veto = false;
        let mut unassessed = 0;
        for base in placement.scheme.counted_base_periods_in(period, counting.includes_open()) {
            let Some(totals) = self.score_base(&placement, base, None) else { continue };
            if let Some(final_score) = totals.final_score {
                finals.push(final_score);
                veto |= totals.veto;
                unassessed += totals.unassessed;
            }
        }
        Points::mean(&finals).map(|final_score| StandingScore { final_score, veto, unassessed })
    }

    /// The scorecard of `unit` for `period` (a base period or a roll-up of base periods) from
    /// published figures: `scorecard_with(unit, period, Counting::Published)`.
    pub fn scorecard(&self, unit: &UnitCode, period: PeriodId) -> Option<ScoreCard> {
        self.scorecard_with(unit, period, Counting::Published)
    }

    /// The scorecard of `unit` for `period`, counting the base periods `counting` counts; `None` when
    /// no scheme assesses the unit that year, the period is not one of its periods, or (for a base
    /// period) it has no results yet — an opened month with nothing recorded is not a perfect month.
    pub fn scorecard_with(&self, unit: &UnitCode, period: PeriodId, counting: Counting) -> Option<ScoreCard> {
        self.scorecard_in(unit, period, counting, None)
    }

    /// As `scorecard_with`, in the scheme `scheme` names: a section's card in its county's own scheme
    /// (`None`: the scheme that assesses the unit or its county).
    pub fn scorecard_in(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Option<ScoreCard> {
        let placement = self.placement_in(unit, period.year(), scheme)?;
        let scheme = placement.scheme;
        if scheme.is_base_period(period) {
            if !scheme.has_results(period) {
                return None;
            }
            let mut indicators = Vec::new();
            let totals = self.score_base(&placement, period, Some(&mut indicators))?;
            let mut card = card(&placement, period, vec![period], indicators, &totals);
            card.provisional_periods = scheme.open_among(&[period]);
            return Some(card);
        }
        let coarser = period.kind().months() > scheme.settings.base_period.months();
        (coarser && period.year() == scheme.settings.year).then(|| self.rollup_card(&placement, period, counting))
    }

    fn rollup_card(&self, placement: &Placement<'_>, period: PeriodId, counting: Counting) -> ScoreCard {
        let mut rollup = Rollup::default();
        for base in placement.scheme.counted_base_periods_in(period, counting.includes_open()) {
            let mut indicators = Vec::new();
            let Some(totals) = self.score_base(placement, base, Some(&mut indicators)) else { continue };
            if totals.final_score.is_some() {
                rollup.add(base, indicators, &totals);
            }
        }
        let mut card = rollup.into_card(placement, period);
        card.provisional_periods = placement.scheme.open_among(&card.base_periods);
        card
    }
}

fn card(
    placement: &Placement<'_>,
    period: PeriodId,
    base_periods: Vec<PeriodId>,
    indicators: Vec<IndicatorScore>,
    totals: &BaseTotals,
) -> ScoreCard {
    let ranked = totals.final_score.is_some();
    ScoreCard {
        unit: placement.unit.clone(),
        period,
        scheme: placement.scheme.settings.scheme.clone(),
        base_periods: if ranked { base_periods } else { Vec::new() },
        indicators,
        points_max_total: totals.points_max_total,
        indicator_score_total: totals.indicator_score_total,
        charges: totals.charges,
        floor_absorbed: totals.floor_absorbed,
        raw: totals.raw,
        normalized: totals.normalized,
        bonus_awarded: totals.bonus_awarded,
        bonus: totals.bonus,
        final_score: totals.final_score,
        veto: totals.veto,
        provisional_periods: Vec::new(),
    }
}

/// The base periods a roll-up stands on, summed as they come.
#[derive(Default)]
struct Rollup {
    base_periods: Vec<PeriodId>,
    indicators: BTreeMap<IndicatorCode, IndicatorScore>,
    totals: BaseTotals,
    normalized: Vec<Points>,
    bonuses: Vec<Points>,
    finals: Vec<Points>,
}

impl Rollup {
    fn add(&mut self, base: PeriodId, indicators: Vec<IndicatorScore>, totals: &BaseTotals) {
        self.base_periods.push(base);
        for line in indicators {
            match self.indicators.get_mut(&line.indicator) {
                Some(sum) => {
                    sum.points_max = sum.points_max + line.points_max;
                    sum.score = sum.score + line.score;
                    sum.unassessed |= line.unassessed;
                    sum.name = line.name;
                }
                None => {
                    self.indicators.insert(line.indicator.clone(), line);
                }
            }
        }
        let sum = &mut self.totals;
        sum.points_max_total = sum.points_max_total + totals.points_max_total;
        sum.indicator_score_total = sum.indicator_score_total + totals.indicator_score_total;
        sum.charges = sum.charges + totals.charges;
        sum.floor_absorbed = sum.floor_absorbed + totals.floor_absorbed;
        sum.raw = sum.raw + totals.raw;
        sum.bonus_awarded = sum.bonus_awarded + totals.bonus_awarded;
        sum.veto |= totals.veto;
        self.normalized.extend(totals.normalized);
        self.bonuses.push(totals.bonus);
        self.finals.extend(totals.final_score);
    }

    fn into_card(mut self, placement: &Placement<'_>, period: PeriodId) -> ScoreCard {
        self.totals.normalized = Points::mean(&self.normalized);
        self.totals.bonus = Points::mean(&self.bonuses).unwrap_or_default();
        self.totals.final_score = Points::mean(&self.finals);
        let indicators = self.indicators.into_values().collect();
        card(placement, period, self.base_periods, indicators, &self.totals)
    }
}
