//! The settings a scheme and its indicators carry: tier rules, tier standards, scoring methods and the
//! repeat-problem rule. Shared by commands and events.
//!
//! Invariant: a rule that passes `validate` can be applied to any peer group without division by zero
//! or an empty tier list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::FunctionCode;
use super::points::{PerMille, Points};
use crate::limits::TIERS_MAX;

/// How a peer group is split into tiers (tier 1 is best).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TierRule {
    /// Places per tier, e.g. `[4, 5, 3]`; extra units go to the last tier.
    Counts { counts: Vec<u32> },
    /// Percent of the non-vetoed ranked units per tier, e.g. `[30, 50, 20]`, summing to 100.
    SharesPercent { shares_percent: Vec<u32> },
    /// Lowest final score of each tier but the last, strictly decreasing, e.g. `[9500, 9000]`.
    Thresholds { thresholds: Vec<Points> },
}

impl TierRule {
    /// The default rule for sections: shares 30/50/20.
    pub fn default_for_sections() -> TierRule {
        TierRule::SharesPercent { shares_percent: vec![30, 50, 20] }
    }

    /// Why the rule cannot be used, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            TierRule::Counts { counts } => validate_counts(counts),
            TierRule::SharesPercent { shares_percent } => validate_shares(shares_percent),
            TierRule::Thresholds { thresholds } => validate_thresholds(thresholds),
        }
    }
}

fn validate_tier_count(count: usize) -> Result<(), String> {
    if (1..=TIERS_MAX).contains(&count) {
        Ok(())
    } else {
        Err(format!("a tier rule must have 1 to {TIERS_MAX} tiers, got {count}"))
    }
}

fn validate_counts(counts: &[u32]) -> Result<(), String> {
    validate_tier_count(counts.len())?;
    if counts.contains(&0) {
        return Err("every tier count must be at least 1".to_owned());
    }
    Ok(())
}

fn validate_shares(shares: &[u32]) -> Result<(), String> {
    validate_tier_count(shares.len())?;
    let total: u32 = shares.iter().sum();
    if total != 100 {
        return Err(format!("tier shares must add up to 100 percent, got {total}"));
    }
    Ok(())
}

fn validate_thresholds(thresholds: &[Points]) -> Result<(), String> {
    validate_tier_count(thresholds.len() + 1)?;
    if thresholds.windows(2).any(|pair| pair[0] <= pair[1]) {
        return Err("thresholds must be strictly decreasing".to_owned());
    }
    Ok(())
}

/// One step of a tiered indicator: what completion it stands for and its share of `points_max`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierStandard {
    pub standard: String,
    pub share_per_mille: PerMille,
}

/// How an indicator is scored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IndicatorMethod {
    /// Full points less the effective deductions, never below zero.
    Deduct,
    /// The awarded tier's share of `points_max`; tier 1 is the first standard.
    Tiered { tiers: Vec<TierStandard> },
}

impl IndicatorMethod {
    pub const fn is_tiered(&self) -> bool {
        matches!(self, IndicatorMethod::Tiered { .. })
    }
}

/// Why a list of tier standards cannot be used, if it cannot: 1..=TIERS_MAX steps, shares not rising.
pub fn validate_tier_standards(tiers: &[TierStandard]) -> Result<(), String> {
    validate_tier_count(tiers.len())?;
    if tiers.windows(2).any(|pair| pair[0].share_per_mille < pair[1].share_per_mille) {
        return Err("tier shares must not rise from one tier to the next".to_owned());
    }
    Ok(())
}

/// When the same (unit, problem category) counts as a repeat problem: deductions in
/// `consecutive_periods` consecutive base periods, or in `periods_in_window` of the `window_periods`
/// base periods ending at the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatRule {
    pub consecutive_periods: u32,
    pub periods_in_window: u32,
    pub window_periods: u32,
}

impl Default for RepeatRule {
    /// The default rule (docs/RULES.md): 2 consecutive, or 3 of 6.
    fn default() -> RepeatRule {
        RepeatRule { consecutive_periods: 2, periods_in_window: 3, window_periods: 6 }
    }
}

/// Section tier rules by function code; a function without one uses the scheme's section rule.
pub type TierRulesByFunction = BTreeMap<FunctionCode, TierRule>;
