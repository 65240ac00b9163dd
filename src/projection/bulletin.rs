//! The bulletin (通报): a peer group's results for one period as a performance office reports them —
//! every member's score, rank and tier with their change from the period before, the points it lost
//! with the reason for each, its repeat problems, and the praise and criticism the results propose.
//! A county's monthly bulletin is its own scheme's group (all its sections); the city's is any of its
//! groups.
//!
//! Invariant: a bulletin only regroups what the same projection's ranking, traces, repeat flags and
//! notices say, over the same base periods; each member's losses add up to what it lost exactly.

use serde::{Deserialize, Serialize};

use crate::domain::{IndicatorCode, PeriodId, Points, ProblemCategory, TierRule, UnitCode};

use super::notices::Criticism;
use super::ranking::{PeerGroup, Standing};
use super::repeat::RepeatProblem;
use super::trace::{DeductionLine, Trace, TraceLine};
use super::{Counting, Projection};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bulletin {
    pub group: PeerGroup,
    pub period: PeriodId,
    /// The period before, of the same kind and year, that the changes compare with (none for the first).
    pub previous_period: Option<PeriodId>,
    pub rule: TierRule,
    pub tier_count: u32,
    /// The ranked members, by rank then code.
    pub entries: Vec<BulletinEntry>,
    /// Members with no score for the period.
    pub unranked: Vec<UnitCode>,
    /// Tier 1, not vetoed, in listing order.
    pub praise: Vec<Standing>,
    /// Vetoed, in the last tier, or flagged with a repeat problem.
    pub criticism: Vec<Criticism>,
    /// The open (not yet published) base periods counted: the bulletin is provisional when any is.
    pub provisional_periods: Vec<PeriodId>,
    /// Tiered indicators counted at full points for want of an award (as the ranking says).
    pub unassessed_indicators: usize,
}

/// One member's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulletinEntry {
    pub standing: Standing,
    pub points_max_total: Points,
    /// Everything lost: Σ `losses`.
    pub lost: Points,
    /// Every line that lost (or, a floor, gave back) points, in trace order.
    pub losses: Vec<Loss>,
    pub repeat_problems: Vec<RepeatProblem>,
    /// Against the period before (current − previous: a negative rank change is a move up).
    pub score_change: Option<Points>,
    pub rank_change: Option<i64>,
    pub tier_change: Option<i64>,
}

/// What a lost point is: a deduction, a tier shortfall, a charge moved onto a section, a taken-over
/// indicator's loss (scaled from the city's), or what a floor at zero gave back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    Deduction,
    TierShortfall,
    Charge,
    TakenOver,
    FloorAbsorbed,
}

/// One line of a member's losses, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    /// The base period it was lost in.
    pub period: PeriodId,
    /// The indicator it was lost on (none for a floor under the whole raw total).
    pub indicator: Option<IndicatorCode>,
    pub kind: LossKind,
    pub amount: Points,
    pub reason: String,
    pub problem_category: Option<ProblemCategory>,
    /// The event that recorded it (the deduction or the award), when there is one.
    pub event_seq: Option<u64>,
    /// For a charge: the unit it was recorded against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged_from: Option<UnitCode>,
    /// For a taken-over indicator: what was lost on it in the city's scheme, in the city's points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub city_losses: Vec<Loss>,
}

impl Projection {
    /// The bulletin of `group` for `period`, over the base periods `counting` counts.
    pub fn bulletin(&self, group: &PeerGroup, period: PeriodId, counting: Counting) -> Option<Bulletin> {
        let ranking = self.ranking_with(group, period, counting)?;
        let notices = self.notices_with(group, period, counting)?;
        let scheme = Some(&group.scheme);
        let previous_period = period.previous().filter(|previous| previous.year() == period.year());
        let before = previous_period.and_then(|previous| self.ranking_with(group, previous, counting));
        let counted = self.facts.schemes.get(&group.scheme)?.counted_base_periods_in(period, counting.includes_open());
        let entries = ranking
            .standings
            .iter()
            .map(|standing| {
                let traces = self.traces_in(&standing.unit, period, counting, scheme);
                let losses: Vec<Loss> = traces.iter().flat_map(losses_of).collect();
                let earlier = before.as_ref().and_then(|before| before.standing(&standing.unit));
                BulletinEntry {
                    points_max_total: traces.iter().map(|trace| trace.points_max_total).sum(),
                    lost: traces.iter().map(Trace::lost).sum(),
                    losses,
                    repeat_problems: self
                        .repeat_problems_in(&standing.unit, period, scheme)
                        .into_iter()
                        .filter(|problem| counted.contains(&problem.period))
                        .collect(),
                    score_change: earlier.map(|earlier| standing.final_score - earlier.final_score),
                    rank_change: earlier.map(|earlier| i64::from(standing.rank) - i64::from(earlier.rank)),
                    tier_change: earlier.map(|earlier| i64::from(standing.tier) - i64::from(earlier.tier)),
                    standing: standing.clone(),
                }
            })
            .collect();
        Some(Bulletin {
            group: group.clone(),
            period,
            previous_period,
            tier_count: ranking.tier_count,
            rule: ranking.rule,
            entries,
            unranked: ranking.unranked,
            praise: notices.praise,
            criticism: notices.criticism,
            provisional_periods: ranking.provisional_periods,
            unassessed_indicators: ranking.unassessed_indicators,
        })
    }
}

/// A trace's losses, line by line (lines counting nothing left out), then its charges and its floor.
fn losses_of(trace: &Trace) -> Vec<Loss> {
    let mut losses = Vec::new();
    for indicator in &trace.indicators {
        let lines = indicator.lines.iter().filter(|line| line.amount() != Points::ZERO);
        losses.extend(lines.map(|line| loss_of(trace.period, &indicator.indicator, line)));
    }
    for charge in trace.charges.iter().filter(|charge| charge.amount != Points::ZERO) {
        let mut loss = deduction_loss(trace.period, charge, LossKind::Charge);
        loss.charged_from = Some(charge.unit.clone());
        losses.push(loss);
    }
    if trace.floor_absorbed != Points::ZERO {
        losses.push(Loss {
            period: trace.period,
            indicator: None,
            kind: LossKind::FloorAbsorbed,
            amount: trace.floor_absorbed,
            reason: "given back by the floor at zero under the raw total".to_owned(),
            problem_category: None,
            event_seq: None,
            charged_from: None,
            city_losses: Vec::new(),
        });
    }
    losses
}

fn loss_of(period: PeriodId, indicator: &IndicatorCode, line: &TraceLine) -> Loss {
    let bare = |kind, reason: String| Loss {
        period,
        indicator: Some(indicator.clone()),
        kind,
        amount: line.amount(),
        reason,
        problem_category: None,
        event_seq: None,
        charged_from: None,
        city_losses: Vec::new(),
    };
    match line {
        TraceLine::Deduction(deduction) => deduction_loss(period, deduction, LossKind::Deduction),
        TraceLine::TierShortfall(tier) => Loss {
            event_seq: Some(tier.event.seq),
            ..bare(LossKind::TierShortfall, format!("tier {}: {}", tier.tier, tier.reason))
        },
        TraceLine::FloorAbsorbed { .. } => bare(LossKind::FloorAbsorbed, "given back by the floor at zero".to_owned()),
        TraceLine::TakenOver(taken_over) => {
            let reason = format!(
                "taken over from {}: {} of {} there, so {} of {} here",
                taken_over.city_scheme,
                taken_over.city_score,
                taken_over.city_points_max,
                taken_over.score,
                taken_over.points_max
            );
            let city_lines = taken_over.city_lines.iter().filter(|line| line.amount() != Points::ZERO);
            let city_losses = city_lines.map(|city_line| loss_of(period, indicator, city_line)).collect();
            Loss { city_losses, ..bare(LossKind::TakenOver, reason) }
        }
    }
}

fn deduction_loss(period: PeriodId, line: &DeductionLine, kind: LossKind) -> Loss {
    Loss {
        period,
        indicator: Some(line.indicator.clone()),
        kind,
        amount: line.amount,
        reason: line.reason.clone(),
        problem_category: Some(line.problem_category.clone()),
        event_seq: Some(line.event.seq),
        charged_from: None,
        city_losses: Vec::new(),
    }
}
