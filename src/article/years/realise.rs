//! Realising a month: the loss a county is planned to take, turned into what assessors record — a
//! tier award on every tiered indicator, deductions on varied indicators and categories, now and
//! then a bonus — so that the month's final score comes out as planned.
//!
//! Invariant: the facts lose exactly the points asked for (tier shortfalls + deductions + what the
//! story records apart), every deduction fits what is left on its indicator, and every month has at
//! least one deduction.

use std::collections::BTreeSet;

use super::catalogue::{Catalogue, Spec, TIER_SHARES};
use super::rng::SplitMix64;
use super::text;
use crate::domain::divide_round_half_up;

/// A tier award for one indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Award {
    pub code: String,
    pub tier: u32,
    pub reason: String,
}

/// A deduction, as the assessor records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deduction {
    pub code: String,
    pub points: i64,
    pub category: &'static str,
    pub reason: String,
    /// The blake3 digest (hex) of the inspection record it rests on, when it cites one.
    pub evidence: Option<String>,
}

/// A bonus (加分) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bonus {
    pub points: i64,
    pub reason: String,
}

/// One county's facts for one month of one scheme year, and the final score they give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthFacts {
    pub year: i32,
    pub county: String,
    pub month: u8,
    pub awards: Vec<Award>,
    pub deductions: Vec<Deduction>,
    pub bonus: Option<Bonus>,
    /// Effective points lost on facts the story records apart (YS07's half-year report in June 2016:
    /// 2.00 deducted, 1.00 restored on appeal).
    pub external_loss: i64,
    /// The final score once every fact of the month is recorded (and every appeal decided).
    pub expected_final: i64,
}

impl MonthFacts {
    /// The categories this month's deductions name (those recorded apart included).
    pub fn categories(&self) -> BTreeSet<&'static str> {
        self.deductions.iter().map(|deduction| deduction.category).collect()
    }
}

/// What to realise.
pub struct Request<'a> {
    pub catalogue: &'a Catalogue,
    pub county: &'a str,
    pub month: u8,
    /// Raw points to lose in all, `external_loss` included.
    pub loss: i64,
    pub external_loss: i64,
    pub bonus: Option<Bonus>,
    /// Tiers decided beforehand, by indicator code.
    pub forced_tiers: Vec<(String, u32)>,
    /// Deductions decided beforehand (the story's).
    pub forced_deductions: Vec<Deduction>,
    /// Chances (per mille) of tiers 1 to 4 on the other tiered indicators.
    pub tier_weights: [u64; 4],
    /// Fewer, larger deductions (a month with little to find).
    pub few: bool,
    /// Which categories the other deductions may name.
    pub allowed: &'a dyn Fn(&str) -> bool,
    /// Indicators the other deductions leave alone.
    pub avoid: &'a [&'a str],
}

/// Deduction sizes assessors use, in hundredths.
const SIZES: [i64; 15] = [5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 80, 100, 120, 150, 200];

pub fn tier_points(points_max: i64, tier: u32) -> i64 {
    divide_round_half_up(points_max * TIER_SHARES[tier as usize - 1], 1000)
}

fn shortfall(spec: &Spec, tier: u32) -> i64 {
    spec.points_max - tier_points(spec.points_max, tier)
}

/// The final score of a month that loses `loss` raw points of `points_total`, with `bonus`.
pub fn final_score(points_total: i64, loss: i64, bonus: i64) -> i64 {
    divide_round_half_up((points_total - loss) * 10_000, points_total) + bonus.min(300)
}

pub fn realise(rng: &mut SplitMix64, request: Request<'_>) -> MonthFacts {
    let Request { catalogue, county, month, loss, external_loss, bonus, forced_tiers, forced_deductions, .. } =
        &request;
    let applicable: Vec<&Spec> = catalogue.applicable(county).collect();
    let mut left = loss - external_loss - forced_deductions.iter().map(|deduction| deduction.points).sum::<i64>();
    let reserve = if forced_deductions.is_empty() && *external_loss == 0 { 10 } else { 0 };
    let mut awards = Vec::new();
    for spec in applicable.iter().filter(|spec| spec.is_tiered()) {
        let forced = forced_tiers.iter().find(|(code, _)| *code == spec.code).map(|(_, tier)| *tier);
        let tier = match forced {
            Some(tier) => tier,
            None => {
                let drawn = rng.weighted(&request.tier_weights) as u32 + 1;
                if left - shortfall(spec, drawn) >= reserve {
                    drawn
                } else {
                    1
                }
            }
        };
        left -= shortfall(spec, tier);
        awards.push(Award { code: spec.code.clone(), tier, reason: tier_reason(rng, spec, tier) });
    }
    assert!(
        left >= reserve,
        "{county} {}-{month:02}: the planned loss {loss} is less than the facts decided",
        catalogue.year
    );
    let mut deductions: Vec<Deduction> = forced_deductions.clone();
    let deductible: Vec<&Spec> = applicable
        .iter()
        .copied()
        .filter(|spec| {
            !spec.is_tiered()
                && spec.in_month(*month)
                && !request.avoid.contains(&spec.code.as_str())
                && spec.categories.iter().any(|category| (request.allowed)(category))
        })
        .collect();
    while left > 0 {
        let taken = |spec: &Spec| -> i64 {
            deductions.iter().filter(|deduction| deduction.code == spec.code).map(|deduction| deduction.points).sum()
        };
        let fresh: Vec<&Spec> = deductible.iter().copied().filter(|spec| taken(spec) == 0).collect();
        let open: Vec<&Spec> = deductible.iter().copied().filter(|spec| taken(spec) < spec.points_max).collect();
        let spec = *rng.pick(if fresh.is_empty() { &open } else { &fresh });
        let capacity = spec.points_max - taken(spec);
        let points = deduction_size(rng, spec.points_max, capacity, left, request.few);
        let categories: Vec<&'static str> =
            spec.categories.iter().copied().filter(|category| (request.allowed)(category)).collect();
        let category = *rng.pick(&categories);
        let findings = text::findings(rng, points);
        let reason = text::deduction_reason(spec.topic, category, findings);
        let evidence = rng.chance(800).then(|| {
            let record =
                format!("{} {county} {month} {} {} inspection record", catalogue.year, spec.code, deductions.len());
            blake3::hash(record.as_bytes()).to_hex().to_string()
        });
        deductions.push(Deduction { code: spec.code.clone(), points, category, reason, evidence });
        left -= points;
    }
    let bonus_points = bonus.as_ref().map_or(0, |bonus| bonus.points);
    MonthFacts {
        year: catalogue.year,
        county: county.to_string(),
        month: *month,
        awards,
        deductions,
        bonus: bonus.clone(),
        external_loss: *external_loss,
        expected_final: final_score(catalogue.points_total(county), *loss, bonus_points),
    }
}

/// How much one deduction takes: a size assessors use, at most what is left on the indicator and
/// what is left to lose; all of what is left now and then, or at once in a month of few findings.
fn deduction_size(rng: &mut SplitMix64, points_max: i64, capacity: i64, left: i64, few: bool) -> i64 {
    let most = capacity.min(left);
    if few || (left <= most && rng.chance(300)) {
        return most;
    }
    let typical = (points_max * 3 / 5 / 5 * 5).max(10);
    let sizes: Vec<i64> = SIZES.iter().copied().filter(|size| *size <= most.min(typical)).collect();
    if sizes.is_empty() {
        return most;
    }
    *rng.pick(&sizes)
}

/// Why a tier was awarded: the reading, drawn in the tier's band.
fn tier_reason(rng: &mut SplitMix64, spec: &Spec, tier: u32) -> String {
    let scale = spec.scale.expect("a tiered indicator").text();
    let (low, high) = scale.bands[tier as usize - 1];
    let reading = rng.range(low, high);
    let value = format!("{}.{}{}", reading / 10, reading % 10, scale.unit);
    format!("{}{value} ({} {value}): 第{tier}档 (tier {tier})", scale.measure.0, scale.measure.1)
}
