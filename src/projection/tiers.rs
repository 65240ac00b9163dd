//! Competition ranking and tier allocation for one peer group, exactly as docs/RULES.md
//! puts it: rank counts every ranked unit (vetoed too); rank′ for tiers leaves vetoed units
//! out; vetoed units sit in the last tier; ties take the better rank and so the better tier.
//!
//! Invariant: pure and integer-only; the result depends on the scores and codes alone, never on the
//! order the units were given in.

use serde::{Deserialize, Serialize};

use crate::domain::{divide_round_half_up, Points, TierRule, UnitCode};

/// One ranked unit of a peer group in one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub unit: UnitCode,
    /// The unit's name, and the unit it belongs to (a section's county): for reading, not ranking.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent: Option<UnitCode>,
    pub final_score: Points,
    pub veto: bool,
    /// `1 + number of peers with a strictly higher final`, vetoed peers included.
    pub rank: u32,
    /// The same among the peers that are not vetoed; `None` for a vetoed unit.
    pub rank_among_unvetoed: Option<u32>,
    /// 1 is best.
    pub tier: u32,
}

/// How many tiers a rule makes.
pub fn tier_count(rule: &TierRule) -> u32 {
    let count = match rule {
        TierRule::Counts { counts } => counts.len(),
        TierRule::SharesPercent { shares_percent } => shares_percent.len(),
        TierRule::Thresholds { thresholds } => thresholds.len() + 1,
    };
    u32::try_from(count).unwrap_or(u32::MAX).max(1)
}

/// Ranks and tiers `scored` (unit, final, veto); listed by rank, then by unit code.
pub fn rank_and_tier(rule: &TierRule, scored: Vec<(UnitCode, Points, bool)>) -> Vec<Standing> {
    let mut standings: Vec<Standing> = scored
        .into_iter()
        .map(|(unit, final_score, veto)| Standing {
            unit,
            name: String::new(),
            parent: None,
            final_score,
            veto,
            rank: 0,
            rank_among_unvetoed: None,
            tier: 0,
        })
        .collect();
    standings.sort_by(|a, b| b.final_score.cmp(&a.final_score).then_with(|| a.unit.cmp(&b.unit)));
    assign_ranks(&mut standings);
    let unvetoed = standings.iter().filter(|standing| !standing.veto).count();
    let cumulative_places = cumulative_places(rule, unvetoed);
    let last_tier = tier_count(rule);
    for standing in &mut standings {
        standing.tier = match standing.rank_among_unvetoed {
            None => last_tier,
            Some(_) if matches!(rule, TierRule::Thresholds { .. }) => threshold_tier(rule, standing.final_score),
            Some(rank) => place_tier(&cumulative_places, rank, last_tier),
        };
    }
    standings
}

/// Competition ranks over a list sorted by final, highest first: equal finals share the better rank.
fn assign_ranks(standings: &mut [Standing]) {
    let mut previous: Option<(Points, u32)> = None;
    let mut previous_unvetoed: Option<(Points, u32)> = None;
    let mut unvetoed_seen = 0u32;
    for (index, standing) in standings.iter_mut().enumerate() {
        let position = u32::try_from(index).unwrap_or(u32::MAX - 1) + 1;
        standing.rank = shared_rank(&mut previous, standing.final_score, position);
        if !standing.veto {
            unvetoed_seen += 1;
            standing.rank_among_unvetoed =
                Some(shared_rank(&mut previous_unvetoed, standing.final_score, unvetoed_seen));
        }
    }
}

fn shared_rank(previous: &mut Option<(Points, u32)>, score: Points, position: u32) -> u32 {
    let rank = match *previous {
        Some((previous_score, previous_rank)) if previous_score == score => previous_rank,
        _ => position,
    };
    *previous = Some((score, rank));
    rank
}

/// c₁, c₁ + c₂, … for every tier but the last (which takes what is left), for `unvetoed` units.
fn cumulative_places(rule: &TierRule, unvetoed: usize) -> Vec<u64> {
    let places: Vec<u64> = match rule {
        TierRule::Counts { counts } => counts.iter().map(|count| u64::from(*count)).collect(),
        TierRule::SharesPercent { shares_percent } => {
            let total = i64::try_from(unvetoed).unwrap_or(i64::MAX / 100);
            let share_places = |share: &u32| divide_round_half_up(i64::from(*share) * total, 100);
            shares_percent.iter().map(|share| u64::try_from(share_places(share)).unwrap_or(0)).collect()
        }
        TierRule::Thresholds { .. } => Vec::new(),
    };
    let leading = places.len().saturating_sub(1);
    places[..leading]
        .iter()
        .scan(0u64, |sum, places| {
            *sum += places;
            Some(*sum)
        })
        .collect()
}

/// The first tier whose cumulative place holds `rank`, else the last tier.
fn place_tier(cumulative_places: &[u64], rank: u32, last_tier: u32) -> u32 {
    cumulative_places
        .iter()
        .position(|places| u64::from(rank) <= *places)
        .map_or(last_tier, |index| u32::try_from(index).unwrap_or(last_tier) + 1)
}

/// The first tier whose threshold the final reaches (≥), else the last tier.
fn threshold_tier(rule: &TierRule, final_score: Points) -> u32 {
    let TierRule::Thresholds { thresholds } = rule else { return 1 };
    let last_tier = tier_count(rule);
    thresholds
        .iter()
        .position(|threshold| final_score >= *threshold)
        .map_or(last_tier, |index| u32::try_from(index).unwrap_or(last_tier) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(index: usize) -> UnitCode {
        UnitCode::new(format!("U{index:02}")).unwrap()
    }

    fn scored(scores: &[(i64, bool)]) -> Vec<(UnitCode, Points, bool)> {
        scores.iter().enumerate().map(|(index, (score, veto))| (unit(index), Points(*score), *veto)).collect()
    }

    fn summary(standings: &[Standing]) -> Vec<(u32, u32)> {
        standings.iter().map(|standing| (standing.rank, standing.tier)).collect()
    }

    #[test]
    fn a_tie_across_a_count_boundary_takes_the_better_tier() {
        let counts = TierRule::Counts { counts: vec![4, 5, 3] };
        let scores: Vec<(i64, bool)> =
            [99, 98, 97, 96, 96, 94, 93, 92, 91, 90, 89, 88].iter().map(|s| (*s, false)).collect();
        let standings = rank_and_tier(&counts, scored(&scores));
        let expected =
            vec![(1, 1), (2, 1), (3, 1), (4, 1), (4, 1), (6, 2), (7, 2), (8, 2), (9, 2), (10, 3), (11, 3), (12, 3)];
        assert_eq!(summary(&standings), expected);
    }

    #[test]
    fn a_vetoed_unit_keeps_its_rank_but_sits_in_the_last_tier() {
        let counts = TierRule::Counts { counts: vec![1, 1, 1] };
        let standings = rank_and_tier(&counts, scored(&[(99, true), (98, false), (97, false)]));
        assert_eq!(summary(&standings), vec![(1, 3), (2, 1), (3, 2)]);
        assert_eq!(standings[1].rank_among_unvetoed, Some(1));
    }

    #[test]
    fn shares_round_each_tier_on_its_own() {
        // N = 5: 30 % → 1.5 → 2, 50 % → 2.5 → 3, the last takes what is left (0).
        let shares = TierRule::SharesPercent { shares_percent: vec![30, 50, 20] };
        let scores: Vec<(i64, bool)> = [90, 80, 70, 60, 50].iter().map(|s| (*s, false)).collect();
        assert_eq!(summary(&rank_and_tier(&shares, scored(&scores))), vec![(1, 1), (2, 1), (3, 2), (4, 2), (5, 2)]);
    }

    #[test]
    fn thresholds_compare_with_at_least() {
        let thresholds = TierRule::Thresholds { thresholds: vec![Points(9500), Points(9000)] };
        let standings =
            rank_and_tier(&thresholds, scored(&[(9500, false), (9499, false), (8999, false), (9900, true)]));
        assert_eq!(summary(&standings), vec![(1, 3), (2, 1), (3, 2), (4, 3)]);
    }
}
