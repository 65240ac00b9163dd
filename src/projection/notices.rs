//! Notices: proposed praise (tier 1) and criticism (the last tier, vetoes, repeat problems) for one
//! peer group and period — the article's result use.
//!
//! Invariant: a proposal only restates the ranking and the repeat flags of the same projection; every
//! name on it can be traced to the standing or the flag that put it there.

use serde::{Deserialize, Serialize};

use crate::domain::{PeriodId, ProblemCategory, UnitCode};

use super::ranking::{PeerGroup, Standing};
use super::{Counting, Projection};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notices {
    pub group: PeerGroup,
    pub period: PeriodId,
    /// Tier 1, in listing order.
    pub praise: Vec<Standing>,
    pub criticism: Vec<Criticism>,
    /// The open (not yet published) base periods the proposals rest on.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criticism {
    pub unit: UnitCode,
    pub reasons: Vec<CriticismReason>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CriticismReason {
    LastTier { rank: u32, tier: u32 },
    Vetoed,
    RepeatProblem { problem_category: ProblemCategory, base_period: PeriodId },
}

impl Projection {
    /// The notices a group's published ranking and repeat flags propose for `period`.
    pub fn notices(&self, group: &PeerGroup, period: PeriodId) -> Option<Notices> {
        self.notices_with(group, period, Counting::Published)
    }

    /// The notices a group's ranking and repeat flags propose for `period`, both over the base
    /// periods `counting` counts.
    pub fn notices_with(&self, group: &PeerGroup, period: PeriodId, counting: Counting) -> Option<Notices> {
        let ranking = self.ranking_with(group, period, counting)?;
        let counted = self.facts.schemes.get(&group.scheme)?.counted_base_periods_in(period, counting.includes_open());
        let praise: Vec<Standing> = ranking.in_tier(1).filter(|standing| !standing.veto).cloned().collect();
        let mut criticism = Vec::new();
        for member in self.peer_group_members(group) {
            let mut reasons = Vec::new();
            if let Some(standing) = ranking.standing(&member) {
                if standing.veto {
                    reasons.push(CriticismReason::Vetoed);
                }
                if standing.tier == ranking.tier_count && ranking.tier_count > 1 {
                    reasons.push(CriticismReason::LastTier { rank: standing.rank, tier: standing.tier });
                }
            }
            let problems = self.repeat_problems_in(&member, period, Some(&group.scheme)).into_iter();
            reasons.extend(problems.filter(|problem| counted.contains(&problem.period)).map(|problem| {
                CriticismReason::RepeatProblem {
                    problem_category: problem.problem_category,
                    base_period: problem.period,
                }
            }));
            if !reasons.is_empty() {
                criticism.push(Criticism { unit: member, reasons });
            }
        }
        let provisional_periods = ranking.provisional_periods.clone();
        Some(Notices { group: group.clone(), period, praise, criticism, provisional_periods })
    }
}
