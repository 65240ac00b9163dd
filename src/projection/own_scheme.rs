//! Scoring a section in its county's own scheme (内部考核) beyond what every scheme shares: its
//! taken-over indicators, scored from its score on them in the city's scheme scaled to the county's
//! points, and the city's charges moved onto it on such indicators, each scaled the same way.
//!
//! - a taken-over indicator's score: `round_half_up(points_max × city score / city points_max)`, where
//!   the city score is the section's own score on it there (relieved of what moved away, with the
//!   office's direct deductions, its county's tier award);
//! - a scaled charge: `round_half_up(charge × points_max / city points_max)`, one deduction at a time;
//!   a charge on a city indicator the county did not take over counts nothing here.
//!
//! Invariant: integers only, rounded half-up; what the county's scheme counts of the city's facts is
//! read from the same facts the city's scheme scores, as they stand in the same fold.

use std::collections::BTreeSet;

use crate::domain::facts::DeductionFacts;
use crate::domain::own_scheme::TakenOverVersion;
use crate::domain::{divide_round_half_up, IndicatorCode, PeriodId, Points, ProblemCategory, SchemeId, UnitCode};

use super::score::{BaseTotals, IndicatorScore, Placement, SchemeScoring};
use super::Projection;

/// A city deduction charged onto a section, as the county's own scheme counts it.
pub(crate) struct ScaledCharge<'a> {
    pub deduction: &'a DeductionFacts,
    /// The charge in the city's points: the deduction's effective points.
    pub charge: Points,
    /// What the county's scheme counts: `round_half_up(charge × points_max / city_points_max)`.
    pub amount: Points,
    pub points_max: Points,
    pub city_points_max: Points,
}

/// `round_half_up(points × to / from)`; nothing for an indicator worth nothing (`from` 0).
pub(crate) fn scale(points: Points, to: Points, from: Points) -> Points {
    match from.hundredths() > 0 {
        true => Points(divide_round_half_up(points.hundredths() * to.hundredths(), from.hundredths())),
        false => Points::ZERO,
    }
}

/// A taken-over indicator's score here from the section's score on it there; full points for a city
/// indicator worth nothing (nothing can be lost on it).
pub(crate) fn scaled_score(points_max: Points, city_score: Points, city_points_max: Points) -> Points {
    match city_points_max.hundredths() > 0 {
        true => scale(city_score, points_max, city_points_max),
        false => points_max,
    }
}

impl Projection {
    /// Whether `scheme` assesses `unit` or its county in its year: a county's own scheme, its sections.
    pub fn places(&self, unit: &UnitCode, scheme: &SchemeId) -> bool {
        let year = self.facts.schemes.get(scheme).map(|record| record.settings.year);
        year.is_some_and(|year| self.placement_in(unit, year, Some(scheme)).is_some())
    }

    /// The section as its city's scheme places it (through its county), for reading its score there.
    pub(crate) fn city_placement<'a>(&'a self, placement: &Placement<'a>) -> Option<Placement<'a>> {
        let city = self.facts.city_scheme_of(placement.scheme)?;
        Some(Placement { scheme: city, unit: placement.unit, county: placement.county, is_section: true })
    }

    /// The taken-over indicators a section carries in a base period of its county's own scheme: those
    /// in force here whose lead in the city's scheme is the section then.
    pub(crate) fn taken_over_of<'a>(
        &'a self,
        placement: &Placement<'a>,
        period: PeriodId,
    ) -> Vec<(&'a IndicatorCode, TakenOverVersion<'a>)> {
        let unit = placement.unit;
        let own = placement.scheme;
        own.indicators
            .iter()
            .filter_map(|(code, indicator)| {
                let version = self.facts.taken_over_at(own, indicator, period)?;
                (version.lead == Some(unit)).then_some((code, version))
            })
            .collect()
    }

    /// The section's score on a taken-over indicator in the city's scheme, and whether it is still
    /// unassessed there (a tiered one its county has no award for yet).
    pub(crate) fn city_score(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        code: &IndicatorCode,
        version: &TakenOverVersion<'_>,
    ) -> (Points, bool) {
        let city = Placement { scheme: version.city, unit: placement.unit, county: placement.county, is_section: true };
        self.indicator_score(&city, period, code, &version.city_version)
    }

    /// Adds a section's taken-over indicators to its totals in a base period of its county's scheme.
    pub(crate) fn add_taken_over(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        totals: &mut BaseTotals,
        mut sink: Option<&mut Vec<IndicatorScore>>,
    ) {
        for (code, version) in self.taken_over_of(placement, period) {
            let (city_score, unassessed) = self.city_score(placement, period, code, &version);
            let score = scaled_score(version.points_max, city_score, version.city_version.points_max);
            totals.indicator_count += 1;
            totals.unassessed += usize::from(unassessed);
            totals.points_max_total = totals.points_max_total + version.points_max;
            totals.indicator_score_total = totals.indicator_score_total + score;
            if let Some(sink) = sink.as_deref_mut() {
                sink.push(IndicatorScore {
                    indicator: code.clone(),
                    name: version.city_version.name.to_owned(),
                    points_max: version.points_max,
                    score,
                    unassessed,
                    tiered: version.city_version.is_tiered(),
                });
            }
        }
    }

    /// The city's deductions charged onto a section (cause attributions) in a base period, on the
    /// indicators its county took over and has in force then, each scaled to the county's points.
    pub(crate) fn scaled_charges<'a>(&'a self, placement: &Placement<'a>, period: PeriodId) -> Vec<ScaledCharge<'a>> {
        let Some(city) = self.city_placement(placement) else { return Vec::new() };
        let own = placement.scheme;
        let charges = self.charges_onto(&city, period).filter_map(|deduction| {
            let indicator = own.indicators.get(&deduction.recorded.indicator)?;
            let version = self.facts.taken_over_at(own, indicator, period)?;
            let charge = self.facts.effective_points(deduction);
            let city_points_max = version.city_version.points_max;
            Some(ScaledCharge {
                deduction,
                charge,
                amount: scale(charge, version.points_max, city_points_max),
                points_max: version.points_max,
                city_points_max,
            })
        });
        charges.collect()
    }

    /// The problem categories a section carries in a base period of its county's own scheme, for its
    /// repeat flags: its local deductions, the city's deductions it carries on its taken-over
    /// indicators, and the scaled charges onto it — each counting only while it counts above zero.
    pub(crate) fn own_qualifying_categories(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
    ) -> BTreeSet<ProblemCategory> {
        let qualifies = |deduction: &&DeductionFacts| self.facts.effective_points(deduction) > Points::ZERO;
        let category = |deduction: &DeductionFacts| deduction.recorded.problem_category.clone();
        let local: Vec<&IndicatorCode> =
            placement.scheme.indicators_of(placement, period).map(|(code, _)| code).collect();
        let mut categories: BTreeSet<ProblemCategory> = local
            .into_iter()
            .flat_map(|code| self.deductions_on(placement, period, code))
            .filter(qualifies)
            .map(category)
            .collect();
        if let Some(city) = self.city_placement(placement) {
            for (code, _) in self.taken_over_of(placement, period) {
                categories.extend(self.deductions_on(&city, period, code).filter(qualifies).map(category));
            }
        }
        let charged = self.scaled_charges(placement, period).into_iter().filter(|charge| charge.amount > Points::ZERO);
        categories.extend(charged.map(|charge| category(charge.deduction)));
        categories
    }
}
