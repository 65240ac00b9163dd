//! The numbers of the story, planned before anything is recorded: each county's quarterly targets,
//! then its monthly finals around them, then the facts that give those finals (`realise`).
//!
//! 2016 is drawn by hand so that the article's claims hold by construction, with margins:
//!
//! | county | Q1 | Q2 | Q3 | Q4 | year |
//! |---|---|---|---|---|---|
//! | YS01 | 98.65 | 98.50 | 98.80 | 98.70 | 98.66 |
//! | YS02 | 98.35 | 98.45 | 98.20 | 98.55 | 98.39 |
//! | YS03 | 98.00 | 97.90 | 98.15 | 98.10 | 98.04 |
//! | YS04 | 97.65 | 97.75 | 97.50 | 98.05 | 97.74 |
//! | YS05 | 97.30 | **97.15** | 97.45 | 97.25 | 97.29 |
//! | YS06 | 97.00 | **97.15** | 97.05 | 96.90 | 97.03 |
//! | YS08 | 96.70 | 96.80 | 96.60 | 96.75 | 96.71 |
//! | YS07 | ≈95.90 | ≈95.95 | ≈95.85 | ≈97.90 | ≈96.40 |
//! | YS09 | 96.20 | 96.30 | 96.25 | 96.15 | 96.23 |
//! | YS10 | 96.15 | 96.20 | 96.10 | 96.05 | 96.13 |
//! | YS11 | 96.05 | 96.10 | 96.00 | 96.00 | 96.04 |
//! | YS12 | 95.50 | 95.70 | 95.45 | 95.60 | 95.56 |
//!
//! YS07 is eleventh (tier 3) in Q1–Q3, fifth in Q4 and eighth (tier 2) for the year: its own Q4 —
//! revenue completion back in tier 1, one or two deductions a month instead of four to six — lifts
//! it by two points, while YS09–YS12 keep their level (within 0.15). YS05 and YS06 tie in Q2 (rank 5,
//! both in tier 2). In June the city's half-year-report deduction puts YS07 below YS12 as published
//! on 07-12; the appeal's restored point lifts it above again.
//!
//! The other years follow each county's strength with a drift per year and noise per quarter. Within
//! a quarter the three months differ by up to ±0.90 around the target and add up to it exactly, and
//! no county has the same final in two months of a year.
//!
//! Invariant: deterministic (every draw comes from a SplitMix64 seeded by year, county and month),
//! and the expected final of every month is what the ledger computes from the realised facts.

use std::collections::BTreeSet;

use super::catalogue::Catalogue;
use super::realise::{self, Bonus, Deduction, MonthFacts, Request};
use super::rng::SplitMix64;
use super::{counties, months_of, SUBJECT, YEARS};
use crate::domain::divide_round_half_up;

/// 2016's quarterly targets of the counties other than YS07 (hundredths).
pub const TARGETS_2016: [(&str, [i64; 4]); 11] = [
    ("YS01", [9865, 9850, 9880, 9870]),
    ("YS02", [9835, 9845, 9820, 9855]),
    ("YS03", [9800, 9790, 9815, 9810]),
    ("YS04", [9765, 9775, 9750, 9805]),
    ("YS05", [9730, 9715, 9745, 9725]),
    ("YS06", [9700, 9715, 9705, 9690]),
    ("YS08", [9670, 9680, 9660, 9675]),
    ("YS09", [9620, 9630, 9625, 9615]),
    ("YS10", [9615, 9620, 9610, 9605]),
    ("YS11", [9605, 9610, 9600, 9600]),
    ("YS12", [9550, 9570, 9545, 9560]),
];

/// YS07's monthly finals of 2016 as planned (its facts give them to within 0.03): Q1 95.90, Q2 95.95
/// (June after the appeal), Q3 95.85, Q4 97.90.
pub const SUBJECT_2016: [i64; 12] = [9615, 9560, 9595, 9575, 9640, 9570, 9610, 9555, 9590, 9760, 9795, 9815];

/// YS07's revenue-completion (ZGU-02) tier in each month of 2016: 98-99% in Q1–Q3, twice below 98%,
/// and on target (tier 1) from October.
pub const SUBJECT_REVENUE_TIERS_2016: [u32; 12] = [2, 3, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1];

/// Months whose final is fixed beforehand: YS12's June 2016 lies between YS07's June as published
/// and after the appeal.
const FIXED_MONTHS: [(i32, &str, u8, i64); 1] = [(2016, "YS12", 6, 9520)];

/// Each county's strength in the years not drawn by hand (YS07's by year).
const STRENGTH: [(&str, i64); 12] = [
    ("YS01", 9850),
    ("YS02", 9815),
    ("YS03", 9790),
    ("YS04", 9760),
    ("YS05", 9735),
    ("YS06", 9705),
    ("YS07", 0),
    ("YS08", 9675),
    ("YS09", 9640),
    ("YS10", 9620),
    ("YS11", 9600),
    ("YS12", 9565),
];
const SUBJECT_STRENGTH: [(i32, i64); 3] = [(2014, 9700), (2015, 9655), (2017, 9745)];

/// The registration-data-quality findings in YS07 in 2016 (month, findings, each): March, April (the
/// second month running: the repeat rule trips) and June.
pub const SUBJECT_REGISTRATION_2016: [(u8, i64, i64); 3] = [(3, 6, 5), (4, 2, 10), (6, 5, 5)];

/// What the half-year report costs YS07 in June 2016 once the appeal restored half of it.
pub const HALF_YEAR_REPORT_EFFECTIVE: i64 = 100;

/// Every county's facts for every month of every year.
#[derive(Clone, Debug)]
pub struct Plan {
    pub months: Vec<MonthFacts>,
}

impl Plan {
    pub fn month(&self, year: i32, county: &str, month: u8) -> &MonthFacts {
        self.months
            .iter()
            .find(|facts| facts.year == year && facts.county == county && facts.month == month)
            .expect("a planned month")
    }

    /// The final of `county` in `month` of `year` once everything is recorded.
    pub fn final_of(&self, year: i32, county: &str, month: u8) -> i64 {
        self.month(year, county, month).expected_final
    }

    /// A roll-up's final as the ledger computes it: the half-up mean of the months' finals.
    pub fn mean_of(&self, year: i32, county: &str, months: impl IntoIterator<Item = u8>) -> i64 {
        let finals: Vec<i64> = months.into_iter().map(|month| self.final_of(year, county, month)).collect();
        divide_round_half_up(finals.iter().sum(), finals.len() as i64)
    }

    /// YS07's final for June 2016 as published on 07-12, before the appeal restored a point.
    pub fn subject_june_2016_as_published(&self) -> i64 {
        let catalogue = Catalogue::for_year(2016);
        let total = catalogue.points_total(SUBJECT);
        let june = self.month(2016, SUBJECT, 6);
        let lost = total - raw_of(&catalogue, june);
        realise::final_score(total, lost + HALF_YEAR_REPORT_EFFECTIVE, 0)
    }
}

/// The raw score the month's facts leave (after the story's appeal).
fn raw_of(catalogue: &Catalogue, facts: &MonthFacts) -> i64 {
    let tiers: i64 = facts
        .awards
        .iter()
        .map(|award| {
            let points = catalogue.spec(&award.code).points_max;
            points - realise::tier_points(points, award.tier)
        })
        .sum();
    let deducted: i64 = facts.deductions.iter().map(|deduction| deduction.points).sum();
    catalogue.points_total(&facts.county) - tiers - deducted - facts.external_loss
}

pub fn plan() -> Plan {
    let mut months = Vec::new();
    for year in YEARS {
        let catalogue = Catalogue::for_year(year);
        let mut year_months: Vec<MonthFacts> = Vec::new();
        for (index, county) in counties().enumerate() {
            let finals = monthly_finals(year, index as u64, &county, &catalogue);
            let mut used: Vec<BTreeSet<&'static str>> = Vec::new();
            for month in months_of(year) {
                let facts = month_facts(year, &county, month, finals[month as usize - 1], &catalogue, &used);
                let mut categories = facts.categories();
                if year == 2016 && county == SUBJECT && month == 6 {
                    categories.insert("document_filing");
                }
                used.push(categories);
                year_months.push(facts);
            }
        }
        year_months.sort_by_key(|facts| facts.month);
        months.extend(year_months);
    }
    Plan { months }
}

/// The points total of `county` and the loss that gives `final_score` (to the nearest 0.05).
fn loss_for(total: i64, final_score: i64) -> i64 {
    divide_round_half_up((10_000 - final_score) * total, 10_000 * 5) * 5
}

/// A county's planned finals for the months of `year` (twelve, or those of 2017 so far).
fn monthly_finals(year: i32, index: u64, county: &str, catalogue: &Catalogue) -> Vec<i64> {
    let total = catalogue.points_total(county);
    // What a planned final becomes once realised in steps of 0.05 points of this county's total.
    let realised = |planned: i64| realise::final_score(total, loss_for(total, planned), 0);
    if year == 2016 && county == SUBJECT {
        return SUBJECT_2016.to_vec();
    }
    let targets = quarter_targets(year, index, county);
    let mut rng = SplitMix64::for_part(&[year as u64, index, 0xf17a1]);
    let mut finals: Vec<i64> = Vec::new();
    let mut taken: BTreeSet<i64> = BTreeSet::new();
    for (quarter, target) in targets.iter().enumerate() {
        let months: Vec<u8> = months_of(year).filter(|month| (*month - 1) / 3 == quarter as u8).collect();
        if months.is_empty() {
            break;
        }
        let fixed: Vec<Option<i64>> = months
            .iter()
            .map(|month| {
                FIXED_MONTHS.iter().find(|(y, c, m, _)| *y == year && *c == county && m == month).map(|fixed| fixed.3)
            })
            .collect();
        let chosen = (0..10_000)
            .find_map(|_| {
                let mut picked: Vec<i64> = Vec::new();
                let free = fixed.iter().filter(|fixed| fixed.is_none()).count();
                let mut drawn = 0;
                // A quarter under way (2017's third) has no sum to keep yet.
                let complete = months.len() == 3;
                for fixed in &fixed {
                    match fixed {
                        Some(value) => picked.push(*value),
                        None if drawn + 1 < free || !complete => {
                            drawn += 1;
                            picked.push(target + rng.step_range(-60, 60, 5));
                        }
                        None => picked.push(0),
                    }
                }
                // The last free month makes the quarter add up to its target exactly.
                if let Some(last) = fixed.iter().rposition(|fixed| fixed.is_none()).filter(|_| complete) {
                    let others: i64 = picked.iter().enumerate().filter(|(i, _)| *i != last).map(|(_, v)| v).sum();
                    picked[last] = target * months.len() as i64 - others;
                }
                let near = picked.iter().all(|value| (value - target).abs() <= 90);
                let values: Vec<i64> = picked.iter().map(|value| realised(*value)).collect();
                let distinct = values.iter().collect::<BTreeSet<_>>().len() == values.len()
                    && values.iter().all(|value| !taken.contains(value));
                (near && distinct).then_some(picked)
            })
            .expect("monthly finals around the target");
        taken.extend(chosen.iter().map(|value| realised(*value)));
        finals.extend(chosen);
    }
    finals
}

/// The quarterly targets of a county in a year.
fn quarter_targets(year: i32, index: u64, county: &str) -> [i64; 4] {
    if year == 2016 {
        return TARGETS_2016.iter().find(|(code, _)| *code == county).map(|(_, targets)| *targets).expect("a county");
    }
    let strength = match county {
        SUBJECT => SUBJECT_STRENGTH.iter().find(|(y, _)| *y == year).map(|(_, s)| *s).expect("a year"),
        _ => STRENGTH.iter().find(|(code, _)| *code == county).map(|(_, s)| *s).expect("a county"),
    };
    let mut rng = SplitMix64::for_part(&[year as u64, index, 0x7a26e7]);
    let drift = rng.step_range(-30, 30, 5);
    std::array::from_fn(|_| strength + drift + rng.step_range(-25, 25, 5))
}

/// One county's facts for one month.
fn month_facts(
    year: i32,
    county: &str,
    month: u8,
    planned: i64,
    catalogue: &Catalogue,
    used: &[BTreeSet<&'static str>],
) -> MonthFacts {
    let index = county[2..].parse::<u64>().expect("a county number");
    let mut rng = SplitMix64::for_part(&[year as u64, index, u64::from(month), 0x3017]);
    let total = catalogue.points_total(county);
    let subject = county == SUBJECT;
    let story = subject && year == 2016;
    let bonus = (!subject && rng.chance(25)).then(|| {
        let points = *rng.pick(&[50, 100, 150]);
        let reason = rng.pick(&BONUS_REASONS).to_string();
        Bonus { points, reason }
    });
    let loss = match subject {
        true => loss_for(total, planned),
        false => 10_000 - planned + bonus.as_ref().map_or(0, |bonus| bonus.points),
    };
    let strength = planned;
    let tier_weights = match strength {
        s if s >= 9800 => [850, 150, 0, 0],
        s if s >= 9650 => [760, 200, 40, 0],
        _ => [660, 250, 80, 10],
    };
    let mut forced_tiers = Vec::new();
    let mut forced_deductions = Vec::new();
    let mut external_loss = 0;
    if story {
        forced_tiers.push(("ZGU-02".to_owned(), SUBJECT_REVENUE_TIERS_2016[month as usize - 1]));
        if month >= 10 {
            for spec in catalogue.applicable(county).filter(|spec| spec.is_tiered() && spec.code != "ZGU-02") {
                forced_tiers.push((spec.code.clone(), 1));
            }
        }
        if let Some((_, count, each)) = SUBJECT_REGISTRATION_2016.iter().find(|(m, _, _)| *m == month) {
            let spec = catalogue.spec("ZGU-03");
            let record = format!("2016 YS07 {month} ZGU-03 registration sampling");
            forced_deductions.push(Deduction {
                code: spec.code.clone(),
                points: count * each,
                category: "registration_data_quality",
                reason: super::text::deduction_reason(spec.topic, "registration_data_quality", (*count, *each)),
                evidence: Some(blake3::hash(record.as_bytes()).to_hex().to_string()),
            });
        }
        if month == 6 {
            external_loss = HALF_YEAR_REPORT_EFFECTIVE;
        }
    }
    // YS07 in 2016 repeats no kind of problem but the registration data (the story's), and after its
    // half-year report it never loses points on a filing again.
    let recent = |category: &str, back: usize| used.iter().rev().take(back).filter(|m| m.contains(category)).count();
    let allowed = |category: &str| -> bool {
        match (subject, year) {
            (true, 2016) => {
                !matches!(category, "document_filing" | "registration_data_quality")
                    && recent(category, 1) == 0
                    && recent(category, 5) <= 1
            }
            (true, 2017) => category != "document_filing",
            _ => true,
        }
    };
    let avoid: &[&str] = if subject && year >= 2016 { &["ZG-04"] } else { &[] };
    realise::realise(
        &mut rng,
        Request {
            catalogue,
            county,
            month,
            loss,
            external_loss,
            bonus,
            forced_tiers,
            forced_deductions,
            tier_weights,
            few: story && month >= 10,
            allowed: &allowed,
            avoid,
        },
    )
}

const BONUS_REASONS: [&str; 4] = [
    "获省局通报表扬 (commended by the provincial bureau)",
    "承办全市纳税服务现场会 (hosted the city's taxpayer-service meeting)",
    "经验做法被省局推广 (its practice adopted across the province)",
    "调研文章被省局刊物采用 (a study published by the provincial bureau)",
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Competition ranks of `scores` (highest first) and tiers by counts 4/5/3.
    fn rank_and_tier(scores: &BTreeMap<String, i64>, unit: &str) -> (usize, u32) {
        let own = scores[unit];
        let rank = 1 + scores.values().filter(|score| **score > own).count();
        let tier = match rank {
            1..=4 => 1,
            5..=9 => 2,
            _ => 3,
        };
        (rank, tier)
    }

    fn roll_up(plan: &Plan, months: std::ops::RangeInclusive<u8>) -> BTreeMap<String, i64> {
        counties().map(|county| (county.clone(), plan.mean_of(2016, &county, months.clone()))).collect()
    }

    #[test]
    fn ys07_is_tier_3_for_three_quarters_and_tier_2_for_the_year() {
        let plan = plan();
        for (quarter, months) in [(1, 1..=3), (2, 4..=6), (3, 7..=9)] {
            let (rank, tier) = rank_and_tier(&roll_up(&plan, months), SUBJECT);
            assert_eq!((rank, tier), (11, 3), "Q{quarter}");
        }
        assert_eq!(rank_and_tier(&roll_up(&plan, 10..=12), SUBJECT), (5, 2), "Q4");
        assert_eq!(rank_and_tier(&roll_up(&plan, 1..=12), SUBJECT), (8, 2), "the year");
    }

    #[test]
    fn two_counties_tie_in_q2_and_nowhere_else() {
        let plan = plan();
        for (name, months) in [("Q1", 1..=3), ("Q2", 4..=6), ("Q3", 7..=9), ("Q4", 10..=12), ("year", 1..=12)] {
            let scores = roll_up(&plan, months);
            let distinct: BTreeSet<i64> = scores.values().copied().collect();
            let expected = if name == "Q2" { 11 } else { 12 };
            assert_eq!(distinct.len(), expected, "{name}: {scores:?}");
        }
        let q2 = roll_up(&plan, 4..=6);
        assert_eq!(q2["YS05"], q2["YS06"]);
    }

    #[test]
    fn finals_are_as_planned_and_never_repeat_within_a_county_year() {
        let plan = plan();
        for facts in &plan.months {
            if facts.county != SUBJECT {
                let index = facts.county[2..].parse::<u64>().unwrap();
                let catalogue = Catalogue::for_year(facts.year);
                let planned = monthly_finals(facts.year, index - 1, &facts.county, &catalogue);
                assert_eq!(facts.expected_final, planned[facts.month as usize - 1]);
            }
            assert!(!facts.deductions.is_empty() || facts.external_loss > 0);
        }
        for year in YEARS {
            for county in counties() {
                let finals: Vec<i64> = months_of(year).map(|month| plan.final_of(year, &county, month)).collect();
                let distinct: BTreeSet<&i64> = finals.iter().collect();
                assert_eq!(distinct.len(), finals.len(), "{county} {year}: {finals:?}");
            }
        }
        let subject: Vec<i64> = (1..=12).map(|month| plan.final_of(2016, SUBJECT, month)).collect();
        for (planned, realised) in SUBJECT_2016.iter().zip(&subject) {
            assert!((planned - realised).abs() <= 3, "{planned} → {realised}");
        }
    }

    #[test]
    fn the_appeal_lifts_ys07_above_ys12_in_june() {
        let plan = plan();
        let ys12 = plan.final_of(2016, "YS12", 6);
        assert!(plan.subject_june_2016_as_published() < ys12 && ys12 < plan.final_of(2016, SUBJECT, 6));
    }
}
