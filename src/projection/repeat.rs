//! Repeat problems: the same (unit, problem category) with deductions in `consecutive_periods`
//! consecutive base periods, or in `periods_in_window` of the `window_periods` base periods ending at
//! the current one — counting base periods, not deductions, within the scheme year.
//!
//! Invariant: only deductions whose effective points are above zero count (an upheld appeal or a
//! withdrawal clears one); a flag is raised only in a base period that itself has a qualifying
//! deduction. A county counts what was recorded against it (moved charges included); a section counts
//! what it carries (kept as lead, charged to it, or deducted from it directly).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::{PeriodId, Points, ProblemCategory, RepeatRule, SchemeId, UnitCode};

use super::score::{Placement, SchemeScoring};
use super::Projection;
use crate::domain::facts::DeductionFacts;

/// A flag raised for one unit, category and base period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatProblem {
    pub unit: UnitCode,
    pub period: PeriodId,
    pub problem_category: ProblemCategory,
    /// The base periods of the rule's look-back (inside the scheme year, up to and including
    /// `period`) with a qualifying deduction, in order.
    pub periods_with_deductions: Vec<PeriodId>,
    /// Raised by the consecutive-periods rule.
    pub consecutive: bool,
    /// Raised by the periods-in-window rule.
    pub in_window: bool,
}

impl Projection {
    /// The repeat problems flagged for `unit` in every base period inside `period`.
    pub fn repeat_problems(&self, unit: &UnitCode, period: PeriodId) -> Vec<RepeatProblem> {
        self.repeat_problems_in(unit, period, None)
    }

    /// As `repeat_problems`, in the scheme `scheme` names (`None`: the scheme that assesses the unit or
    /// its county), by that scheme's repeat rule.
    pub fn repeat_problems_in(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        scheme: Option<&SchemeId>,
    ) -> Vec<RepeatProblem> {
        let Some(placement) = self.placement_in(unit, period.year(), scheme) else { return Vec::new() };
        let bases = placement.scheme.opened_base_periods_in(period);
        bases.into_iter().flat_map(|base| self.repeat_problems_in_base(&placement, base)).collect()
    }

    fn repeat_problems_in_base(&self, placement: &Placement<'_>, period: PeriodId) -> Vec<RepeatProblem> {
        let current = self.qualifying_categories(placement, period);
        if current.is_empty() {
            return Vec::new();
        }
        let rule = placement.scheme.settings.repeat_rule;
        let history = self.year_history(placement, period, window_length(&rule));
        current.into_iter().filter_map(|category| flag(placement.unit, period, category, &history, &rule)).collect()
    }

    /// Each base period of the scheme year ending at `period` (latest first, at most `length`), with
    /// its qualifying categories.
    fn year_history(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
        length: usize,
    ) -> Vec<(PeriodId, BTreeSet<ProblemCategory>)> {
        let earlier = std::iter::successors(Some(period), |base| base.previous().filter(|p| p.year() == period.year()));
        earlier.take(length).map(|base| (base, self.qualifying_categories(placement, base))).collect()
    }

    /// The categories of the deductions that count for the unit's repeat flags in a base period.
    pub(crate) fn qualifying_categories(
        &self,
        placement: &Placement<'_>,
        period: PeriodId,
    ) -> BTreeSet<ProblemCategory> {
        let qualifies = |deduction: &&DeductionFacts| self.facts.effective_points(deduction) > Points::ZERO;
        let category = |deduction: &DeductionFacts| deduction.recorded.problem_category.clone();
        if self.is_own(placement) {
            return self.own_qualifying_categories(placement, period);
        }
        if !placement.is_section {
            let scheme = placement.scheme;
            let Some(assessment) = scheme.assessment(period, placement.county) else { return BTreeSet::new() };
            let applicable = assessment.deductions.iter().filter(|(code, _)| {
                scheme
                    .indicators
                    .get(*code)
                    .is_some_and(|indicator| scheme.applies(indicator, placement.county, period))
            });
            let deductions = applicable.flat_map(|(_, ids)| ids.iter().filter_map(|id| self.facts.deductions.get(id)));
            return deductions.filter(qualifies).map(category).collect();
        }
        let led: Vec<_> = placement.scheme.indicators_of(placement, period).map(|(code, _)| code).collect();
        let carried = led.into_iter().flat_map(|code| self.deductions_on(placement, period, code));
        carried.chain(self.charges_onto(placement, period)).filter(qualifies).map(category).collect()
    }
}

fn window_length(rule: &RepeatRule) -> usize {
    usize::try_from(rule.consecutive_periods.max(rule.window_periods)).unwrap_or(usize::MAX)
}

fn flag(
    unit: &UnitCode,
    period: PeriodId,
    category: ProblemCategory,
    history: &[(PeriodId, BTreeSet<ProblemCategory>)],
    rule: &RepeatRule,
) -> Option<RepeatProblem> {
    let has = |entry: &&(PeriodId, BTreeSet<ProblemCategory>)| entry.1.contains(&category);
    let consecutive_needed = usize::try_from(rule.consecutive_periods.max(1)).unwrap_or(usize::MAX);
    let consecutive =
        history.len() >= consecutive_needed && history.iter().take(consecutive_needed).all(|entry| has(&entry));
    let window = usize::try_from(rule.window_periods).unwrap_or(usize::MAX);
    let in_window_count = history.iter().take(window).filter(has).count();
    let in_window = in_window_count >= usize::try_from(rule.periods_in_window.max(1)).unwrap_or(usize::MAX);
    if !consecutive && !in_window {
        return None;
    }
    let mut periods_with_deductions: Vec<PeriodId> = history.iter().filter(has).map(|entry| entry.0).collect();
    periods_with_deductions.reverse();
    Some(RepeatProblem {
        unit: unit.clone(),
        period,
        problem_category: category,
        periods_with_deductions,
        consecutive,
        in_window,
    })
}
