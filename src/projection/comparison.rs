//! Horizontal comparison (one unit against its peers in one period: rank, tier, gaps, lost points by
//! indicator and by problem category) and vertical comparison (one unit across periods: score, rank,
//! tier and their changes, with repeat-problem flags).
//!
//! Invariant: the groupings of lost points are regroupings of the trace lines, so each sums to the
//! unit's whole loss for the period; the traces, the ranking and the repeat flags of one answer count
//! the same base periods (published ones, or open ones too for provisional figures), and the answer
//! names the open ones it counted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{divide_round_half_up, IndicatorCode, PeriodId, Points, ProblemCategory, SchemeId, UnitCode};

use super::ranking::{PeerGroup, Ranking, Standing};
use super::repeat::RepeatProblem;
use super::trace::{TakenOverLine, Trace, TraceLine};
use super::{Counting, Projection};

/// What a lost point is grouped under when losses are counted by kind. As text (it is a JSON map key):
/// the problem category itself, `tier_shortfall` or `floor_absorbed`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum LossCategory {
    Problem(ProblemCategory),
    TierShortfall,
    /// Given back by a floor at zero (negative).
    FloorAbsorbed,
}

const TIER_SHORTFALL: &str = "tier_shortfall";
const FLOOR_ABSORBED: &str = "floor_absorbed";

impl From<LossCategory> for String {
    fn from(category: LossCategory) -> String {
        match category {
            LossCategory::Problem(problem) => problem.as_str().to_owned(),
            LossCategory::TierShortfall => TIER_SHORTFALL.to_owned(),
            LossCategory::FloorAbsorbed => FLOOR_ABSORBED.to_owned(),
        }
    }
}

impl TryFrom<String> for LossCategory {
    type Error = String;

    fn try_from(text: String) -> Result<LossCategory, String> {
        match text.as_str() {
            TIER_SHORTFALL => Ok(LossCategory::TierShortfall),
            FLOOR_ABSORBED => Ok(LossCategory::FloorAbsorbed),
            _ => ProblemCategory::new(text).map(LossCategory::Problem),
        }
    }
}

/// One unit against its peer group in one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Horizontal {
    pub unit: UnitCode,
    pub period: PeriodId,
    pub group: PeerGroup,
    /// Ranked units in the group.
    pub peers: usize,
    pub standing: Standing,
    pub leader: Standing,
    pub gap_to_leader: Points,
    /// To the lowest final of the nearest better tier that holds a unit; 0 in tier 1.
    pub gap_to_next_tier: Points,
    pub lost: Points,
    /// By indicator (charges onto a section under the indicator they came from); floors apart.
    pub lost_by_indicator: BTreeMap<IndicatorCode, Points>,
    pub floor_absorbed: Points,
    pub lost_by_category: BTreeMap<LossCategory, Points>,
    pub ranking: Ranking,
    /// The open (not yet published) base periods counted: the comparison is provisional when any is.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

/// One unit across periods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vertical {
    pub unit: UnitCode,
    pub rows: Vec<VerticalRow>,
    /// Every open base period counted in any row.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

/// One period of a vertical comparison; changes are against the row before (current − previous, so
/// a negative rank change is a move up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerticalRow {
    pub period: PeriodId,
    pub final_score: Option<Points>,
    pub rank: Option<u32>,
    pub tier: Option<u32>,
    pub peers: usize,
    pub score_change: Option<Points>,
    pub rank_change: Option<i64>,
    pub tier_change: Option<i64>,
    pub repeat_problems: Vec<RepeatProblem>,
    /// The open (not yet published) base periods this row counted.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

impl Projection {
    /// `unit` against its peers in `period` (base or roll-up), from published figures.
    pub fn horizontal(&self, unit: &UnitCode, period: PeriodId) -> Option<Horizontal> {
        self.horizontal_with(unit, period, Counting::Published)
    }

    /// `unit` against its peers in `period` (base or roll-up), counting the base periods `counting`
    /// counts; `None` when it is unranked.
    pub fn horizontal_with(&self, unit: &UnitCode, period: PeriodId, counting: Counting) -> Option<Horizontal> {
        self.horizontal_in(unit, period, counting, None)
    }

    /// As `horizontal_with`, in the scheme `scheme` names: a section among its county's sections in
    /// the county's own scheme (`None`: the scheme that assesses the unit or its county).
    pub fn horizontal_in(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Option<Horizontal> {
        let ranking = self.ranking_of_in(unit, period, counting, scheme)?;
        let standing = ranking.standing(unit)?.clone();
        let leader = ranking.leader()?.clone();
        let traces = self.traces_in(unit, period, counting, scheme);
        let (lost_by_indicator, floor_absorbed) = lost_by_indicator(&traces);
        Some(Horizontal {
            unit: unit.clone(),
            period,
            group: ranking.group.clone(),
            peers: ranking.standings.len(),
            gap_to_leader: leader.final_score - standing.final_score,
            gap_to_next_tier: gap_to_next_tier(&ranking, &standing),
            lost: traces.iter().map(Trace::lost).sum(),
            lost_by_indicator,
            floor_absorbed,
            lost_by_category: lost_by_category(&traces),
            provisional_periods: ranking.provisional_periods.clone(),
            standing,
            leader,
            ranking,
        })
    }

    /// `unit` across `periods`, in the order given, from published figures.
    pub fn vertical(&self, unit: &UnitCode, periods: &[PeriodId]) -> Vertical {
        self.vertical_with(unit, periods, Counting::Published)
    }

    /// `unit` across `periods`, in the order given, counting the base periods `counting` counts.
    pub fn vertical_with(&self, unit: &UnitCode, periods: &[PeriodId], counting: Counting) -> Vertical {
        self.vertical_in(unit, periods, counting, None)
    }

    /// As `vertical_with`, in the scheme `scheme` names (`None`: the scheme that assesses the unit or
    /// its county that year).
    pub fn vertical_in(
        &self,
        unit: &UnitCode,
        periods: &[PeriodId],
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Vertical {
        let mut rows: Vec<VerticalRow> = Vec::new();
        for period in periods {
            let ranking = self.ranking_of_in(unit, *period, counting, scheme);
            let counted = self.counted_base_periods(unit, *period, counting, scheme);
            let standing = ranking.as_ref().and_then(|ranking| ranking.standing(unit));
            let mut row = VerticalRow {
                period: *period,
                final_score: standing.map(|standing| standing.final_score),
                rank: standing.map(|standing| standing.rank),
                tier: standing.map(|standing| standing.tier),
                peers: ranking.as_ref().map_or(0, |ranking| ranking.standings.len()),
                score_change: None,
                rank_change: None,
                tier_change: None,
                repeat_problems: self
                    .repeat_problems_in(unit, *period, scheme)
                    .into_iter()
                    .filter(|problem| counted.contains(&problem.period))
                    .collect(),
                provisional_periods: self.open_base_periods(unit, &counted, scheme),
            };
            if let Some(previous) = rows.last() {
                row.score_change = row.final_score.zip(previous.final_score).map(|(now, before)| now - before);
                row.rank_change = difference(row.rank, previous.rank);
                row.tier_change = difference(row.tier, previous.tier);
            }
            rows.push(row);
        }
        let mut provisional_periods: Vec<PeriodId> =
            rows.iter().flat_map(|row| row.provisional_periods.iter().copied()).collect();
        provisional_periods.sort();
        provisional_periods.dedup();
        Vertical { unit: unit.clone(), rows, provisional_periods }
    }

    /// `unit` across those of `periods` (all of one kind) in which its scheme has opened a base
    /// period, from published figures.
    pub fn vertical_over(&self, unit: &UnitCode, periods: &[PeriodId]) -> Vertical {
        self.vertical_over_with(unit, periods, Counting::Published)
    }

    /// `unit` across those of `periods` (all of one kind) in which its scheme has opened a base
    /// period: a range of months lists the opened months, a range of quarters the quarters with an
    /// opened month, across scheme years. A period whose opened base periods count nothing yet has a
    /// row without a score.
    pub fn vertical_over_with(&self, unit: &UnitCode, periods: &[PeriodId], counting: Counting) -> Vertical {
        self.vertical_over_in(unit, periods, counting, None)
    }

    /// As `vertical_over_with`, in the scheme `scheme` names: the rows are that scheme's periods
    /// (`None`: the scheme that assesses the unit or its county, year by year).
    pub fn vertical_over_in(
        &self,
        unit: &UnitCode,
        periods: &[PeriodId],
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Vertical {
        let opened = |period: &PeriodId| {
            self.placement_in(unit, period.year(), scheme)
                .is_some_and(|placement| !placement.scheme.opened_base_periods_in(*period).is_empty())
        };
        let periods: Vec<PeriodId> = periods.iter().copied().filter(opened).collect();
        self.vertical_in(unit, &periods, counting, scheme)
    }
}

fn difference(now: Option<u32>, before: Option<u32>) -> Option<i64> {
    now.zip(before).map(|(now, before)| i64::from(now) - i64::from(before))
}

fn gap_to_next_tier(ranking: &Ranking, standing: &Standing) -> Points {
    let mut better_tiers = (1..standing.tier).rev();
    let lowest_of = |tier: u32| ranking.in_tier(tier).map(|other| other.final_score).min();
    better_tiers.find_map(lowest_of).map_or(Points::ZERO, |lowest| lowest - standing.final_score)
}

fn lost_by_indicator(traces: &[Trace]) -> (BTreeMap<IndicatorCode, Points>, Points) {
    let mut by_indicator: BTreeMap<IndicatorCode, Points> = BTreeMap::new();
    let mut floor = Points::ZERO;
    for trace in traces {
        for indicator in &trace.indicators {
            for line in &indicator.lines {
                match line {
                    TraceLine::FloorAbsorbed { amount } => floor = floor + *amount,
                    line => add(&mut by_indicator, indicator.indicator.clone(), line.amount()),
                }
            }
        }
        for charge in &trace.charges {
            add(&mut by_indicator, charge.indicator.clone(), charge.amount);
        }
        floor = floor + trace.floor_absorbed;
    }
    by_indicator.retain(|_, points| *points != Points::ZERO);
    (by_indicator, floor)
}

fn lost_by_category(traces: &[Trace]) -> BTreeMap<LossCategory, Points> {
    let mut by_category = BTreeMap::new();
    for trace in traces {
        for line in trace.indicators.iter().flat_map(|indicator| indicator.lines.iter()) {
            if let TraceLine::TakenOver(taken_over) = line {
                for (category, amount) in taken_over_by_category(taken_over) {
                    add(&mut by_category, category, amount);
                }
                continue;
            }
            add(&mut by_category, line_category(line), line.amount());
        }
        for charge in &trace.charges {
            add(&mut by_category, LossCategory::Problem(charge.problem_category.clone()), charge.amount);
        }
        add(&mut by_category, LossCategory::FloorAbsorbed, trace.floor_absorbed);
    }
    by_category.retain(|_, points| *points != Points::ZERO);
    by_category
}

fn line_category(line: &TraceLine) -> LossCategory {
    match line {
        TraceLine::Deduction(deduction) => LossCategory::Problem(deduction.problem_category.clone()),
        TraceLine::TierShortfall(_) => LossCategory::TierShortfall,
        TraceLine::FloorAbsorbed { .. } => LossCategory::FloorAbsorbed,
        // Shared out among its city lines' categories (`taken_over_by_category`); it never nests.
        TraceLine::TakenOver(_) => LossCategory::TierShortfall,
    }
}

/// A taken-over line's loss in the county's points, shared among the categories of its city lines in
/// proportion to what each lost there. The shares are rounded cumulatively (each category gets the
/// rounded running total less the one before), so they add up to the line's amount exactly.
fn taken_over_by_category(line: &TakenOverLine) -> Vec<(LossCategory, Points)> {
    let mut city: BTreeMap<LossCategory, Points> = BTreeMap::new();
    for city_line in &line.city_lines {
        add(&mut city, line_category(city_line), city_line.amount());
    }
    let city_lost: Points = city.values().copied().sum();
    if city_lost == Points::ZERO {
        return Vec::new();
    }
    let (mut running, mut given) = (Points::ZERO, Points::ZERO);
    let mut shares = Vec::new();
    for (category, lost) in city {
        running = running + lost;
        let upto =
            Points(divide_round_half_up(line.amount.hundredths() * running.hundredths(), city_lost.hundredths()));
        shares.push((category, upto - given));
        given = upto;
    }
    shares
}

fn add<K: Ord>(map: &mut BTreeMap<K, Points>, key: K, amount: Points) {
    let entry = map.entry(key).or_default();
    *entry = *entry + amount;
}
