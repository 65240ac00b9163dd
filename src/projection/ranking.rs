//! Peer groups and their rankings: the units a scheme assesses directly (the counties of a city), and
//! the same-function sections of those units, each ranked with its tier rule.
//!
//! Invariant: a ranking lists every active member of the group that is ranked for the period, by
//! rank then code; members with no applicable indicator (or no counted base period) are listed as
//! unranked, never scored. It counts only published base periods unless asked for provisional
//! figures, names every open base period it counted, and says how many unassessed tiered indicator
//! lines (counted at full points) it includes.

use serde::{Deserialize, Serialize};

use crate::domain::{FunctionCode, PeriodId, SchemeId, TierRule, UnitCode};

use super::tiers::{rank_and_tier, tier_count};
use super::{Counting, Projection};

pub use super::tiers::Standing;

/// The units ranked against each other under one scheme: its assessed units (`function_code: None`),
/// or the sections of those units with one function code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PeerGroup {
    pub scheme: SchemeId,
    pub function_code: Option<FunctionCode>,
}

/// A peer group's ranking in one period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    pub group: PeerGroup,
    pub period: PeriodId,
    pub rule: TierRule,
    pub tier_count: u32,
    /// By rank, then unit code.
    pub standings: Vec<Standing>,
    /// Members with no applicable indicator (or no counted base period) in the period.
    pub unranked: Vec<UnitCode>,
    /// The open (not yet published) base periods counted: the ranking is provisional when any is.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
    /// Tiered indicators without an award yet, counted at full points: one per ranked member,
    /// indicator and base period counted (a section counts those it leads, mirroring its county).
    #[serde(default)]
    pub unassessed_indicators: usize,
}

impl Ranking {
    /// The unit listed first: the highest final (the lowest code among equals).
    pub fn leader(&self) -> Option<&Standing> {
        self.standings.first()
    }

    pub fn standing(&self, unit: &UnitCode) -> Option<&Standing> {
        self.standings.iter().find(|standing| &standing.unit == unit)
    }

    /// The units in `tier`, in listing order.
    pub fn in_tier(&self, tier: u32) -> impl Iterator<Item = &Standing> {
        self.standings.iter().filter(move |standing| standing.tier == tier)
    }
}

impl Projection {
    /// The peer group `unit` is ranked in, in the scheme of `year`.
    pub fn peer_group_of(&self, unit: &UnitCode, year: i32) -> Option<PeerGroup> {
        self.peer_group_in(unit, year, None)
    }

    /// The peer group `unit` is ranked in, in the scheme `scheme` names (`None`: as `peer_group_of`).
    /// In a county's own scheme that is all the county's sections.
    pub fn peer_group_in(&self, unit: &UnitCode, year: i32, scheme: Option<&SchemeId>) -> Option<PeerGroup> {
        let placement = self.placement_in(unit, year, scheme)?;
        let function_code = match placement.is_section && !self.is_own(&placement) {
            true => Some(self.facts.units.get(unit)?.function_code.clone()?),
            false => None,
        };
        Some(PeerGroup { scheme: placement.scheme.settings.scheme.clone(), function_code })
    }

    /// Every active member of a group, by code.
    pub fn peer_group_members(&self, group: &PeerGroup) -> Vec<UnitCode> {
        let Some(scheme) = self.facts.schemes.get(&group.scheme) else { return Vec::new() };
        // A county's own scheme ranks all the county's sections (and branches) together.
        if self.facts.is_own_scheme(scheme) {
            let sections = self.facts.active_children(&scheme.settings.issuer, true);
            return sections.filter(|_| group.function_code.is_none()).cloned().collect();
        }
        let assessed = self.facts.active_children(&scheme.settings.issuer, false);
        let Some(function_code) = &group.function_code else { return assessed.cloned().collect() };
        let mut sections: Vec<UnitCode> = assessed
            .flat_map(|county| self.facts.active_children(county, true))
            .filter(|section| {
                self.facts.units.get(*section).and_then(|unit| unit.function_code.as_ref()) == Some(function_code)
            })
            .cloned()
            .collect();
        sections.sort();
        sections
    }

    /// Every peer group of a scheme: its assessed units, then one group per section function code.
    pub fn peer_groups(&self, scheme: &SchemeId) -> Vec<PeerGroup> {
        let Some(record) = self.facts.schemes.get(scheme) else { return Vec::new() };
        let mut function_codes: Vec<FunctionCode> = self
            .facts
            .active_children(&record.settings.issuer, false)
            .flat_map(|county| self.facts.active_children(county, true))
            .filter_map(|section| self.facts.units.get(section).and_then(|unit| unit.function_code.clone()))
            .collect();
        function_codes.sort();
        function_codes.dedup();
        let mut groups = vec![PeerGroup { scheme: scheme.clone(), function_code: None }];
        groups.extend(
            function_codes.into_iter().map(|code| PeerGroup { scheme: scheme.clone(), function_code: Some(code) }),
        );
        groups
    }

    /// The rule a group is tiered by: the scheme's unit rule, or its section rule for the function.
    pub fn tier_rule(&self, group: &PeerGroup) -> Option<&TierRule> {
        let settings = &self.facts.schemes.get(&group.scheme)?.settings;
        Some(match &group.function_code {
            None => &settings.unit_tier_rule,
            Some(code) => settings.section_tier_rules.get(code).unwrap_or(&settings.section_tier_rule),
        })
    }

    /// The group's ranking for a base period or a roll-up, from published figures.
    pub fn ranking(&self, group: &PeerGroup, period: PeriodId) -> Option<Ranking> {
        self.ranking_with(group, period, Counting::Published)
    }

    /// The group's ranking for a base period or a roll-up (recomputed from the roll-up finals),
    /// counting the base periods `counting` counts.
    pub fn ranking_with(&self, group: &PeerGroup, period: PeriodId, counting: Counting) -> Option<Ranking> {
        let rule = self.tier_rule(group)?.clone();
        let scheme = self.facts.schemes.get(&group.scheme)?;
        let mut scored = Vec::new();
        let mut unranked = Vec::new();
        let mut unassessed_indicators = 0;
        for member in self.peer_group_members(group) {
            match self.standing_score(&member, period, counting, Some(&group.scheme)) {
                Some(score) => {
                    unassessed_indicators += score.unassessed;
                    scored.push((member, score.final_score, score.veto));
                }
                None => unranked.push(member),
            }
        }
        let mut standings = rank_and_tier(&rule, scored);
        for standing in &mut standings {
            if let Some(unit) = self.facts.units.get(&standing.unit) {
                standing.name.clone_from(&unit.name);
                standing.parent.clone_from(&unit.parent);
            }
        }
        let counted = scheme.counted_base_periods_in(period, counting.includes_open());
        let provisional_periods = match standings.is_empty() {
            true => Vec::new(),
            false => scheme.open_among(&counted),
        };
        Some(Ranking {
            group: group.clone(),
            period,
            tier_count: tier_count(&rule),
            rule,
            standings,
            unranked,
            provisional_periods,
            unassessed_indicators,
        })
    }

    /// The ranking of the group `unit` belongs to, counting the base periods `counting` counts.
    pub fn ranking_of(&self, unit: &UnitCode, period: PeriodId, counting: Counting) -> Option<Ranking> {
        self.ranking_of_in(unit, period, counting, None)
    }

    /// The ranking of the group `unit` belongs to in the scheme `scheme` names (`None`: as `ranking_of`).
    pub fn ranking_of_in(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        counting: Counting,
        scheme: Option<&SchemeId>,
    ) -> Option<Ranking> {
        self.ranking_with(&self.peer_group_in(unit, period.year(), scheme)?, period, counting)
    }
}
