//! The article's story carried through the whole year 2017, for the demo, the projection tests and
//! the benchmarks: `fixture::story()` tells YS07's story through July, with the other eleven counties
//! on full points; this adds what a ranking needs ("tier 3 in Q1–Q3, tier 2 for the year", "a tie in
//! Q2"):
//! - deductions for the other counties in the first month of each quarter (Jan, Apr, Jul, Oct), three
//!   times the quarter's shortfall, so each quarter's mean lands on the table below and no county
//!   trips a repeat rule;
//! - June finalised on 07-25, once the escalation window of the 07-19 decision on YS07's appeal has
//!   closed (07-24 16:00); August to December opened, and July to December closed like the story's
//!   months (every other county's revenue tier 1, YS07's tier 2 for July–September and tier 1 for
//!   October–December; published on the 12th, finalised on the 18th of the next month).
//!
//! Quarter finals of the other counties (hundredths): YS01 9990, YS02 9980, YS03 9970 throughout;
//! YS04 9960/9950/9960/9960; YS05 9940/9950/9940/9940 (YS04 and YS05 tie in Q2); YS06 9930 then 9400
//! in Q4; YS08 9920 → 9400; YS09 9910 → 9500; YS10 9900 → 9500; YS11 9800/9750/9800/9800; YS12 9700.
//! YS07 (from its own story): Q1 9852, Q2 9797, Q3 9870, Q4 10000, year 9880.
//!
//! Invariant: pure and deterministic, like `fixture`; the story's own steps are unchanged and in
//! order, with the extra steps spliced in after them in time.

use crate::story::{self as fixture, indicator, period, scheme, unit, Step};
use kpi_ledger::domain::command::{AwardTier, FinalisePeriod, OpenPeriod, PublishResults, RecordDeduction};
use kpi_ledger::domain::context::{Actor, Context, Role};
use kpi_ledger::domain::{Command, Points, ProblemCategory, Timestamp};

/// Quarter finals of the other counties, Q1 to Q4.
pub const OTHER_COUNTIES: [(&str, [i64; 4]); 11] = [
    ("YS01", [9990, 9990, 9990, 9990]),
    ("YS02", [9980, 9980, 9980, 9980]),
    ("YS03", [9970, 9970, 9970, 9970]),
    ("YS04", [9960, 9950, 9960, 9960]),
    ("YS05", [9940, 9950, 9940, 9940]),
    ("YS06", [9930, 9930, 9930, 9400]),
    ("YS08", [9920, 9920, 9920, 9400]),
    ("YS09", [9910, 9910, 9910, 9500]),
    ("YS10", [9900, 9900, 9900, 9500]),
    ("YS11", [9800, 9750, 9800, 9800]),
    ("YS12", [9700, 9700, 9700, 9700]),
];

/// Indicators (200 points each, led by BGS) the other counties' deductions are spread over.
const SPREAD_OVER: [&str; 12] = [
    "BGS-02", "BGS-03", "BGS-04", "BGS-05", "BGS-06", "BGS-07", "BGS-08", "BGS-09", "BGS-10", "BGS-11", "BGS-12",
    "BGS-13",
];

fn instant(month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
    let (year, month) = if month > 12 { (2018, month - 12) } else { (2017, month) };
    Timestamp::from_civil(year, month, day, hour, minute, 0).expect("a real date")
}

fn actor(id: &str, role: Role) -> Actor {
    Actor { id: id.to_owned(), role, unit: unit(fixture::CITY) }
}

fn assessor() -> Actor {
    actor("assessor.ys.wang", Role::Assessor)
}

fn committee() -> Actor {
    actor("committee.ys", Role::Committee)
}

fn admin() -> Actor {
    actor("admin.ys", Role::Admin)
}

/// Builds steps with ids far from the story's own counters.
struct Extra {
    counter: u64,
}

impl Extra {
    fn step(&mut self, label: String, when: Timestamp, actor: Actor, command: impl Into<Command>) -> Step {
        self.counter += 1;
        let context = Context::new(when, actor, fixture::story_id(when, 2_000_000 + self.counter));
        Step { label, command: command.into(), context }
    }

    /// The other counties' deductions for `month` (three times the quarter's shortfall in the
    /// quarter's first month, nothing in the other two), recorded on `day` of the next month.
    fn other_counties(&mut self, month: u8, day: u8) -> Vec<Step> {
        if month % 3 != 1 {
            return Vec::new();
        }
        let quarter = usize::from((month - 1) / 3);
        let mut steps = Vec::new();
        for (county, finals) in OTHER_COUNTIES {
            let mut left = 3 * (10_000 - finals[quarter]);
            for code in SPREAD_OVER {
                if left == 0 {
                    break;
                }
                let points = left.min(200);
                left -= points;
                let command = RecordDeduction {
                    scheme: scheme(),
                    period: period(&format!("2017-{month:02}")),
                    unit: unit(county),
                    indicator: indicator(code),
                    points: Points(points),
                    reason: "工作质量不达标 (work below standard)".to_owned(),
                    problem_category: ProblemCategory::new("quality").expect("a category"),
                    evidence_digests: Vec::new(),
                    links: Vec::new(),
                };
                // A minute apart, in order: recorded times never decrease along the chain.
                let when = instant(month + 1, day, 9, 0).plus_micros(60_000_000 * steps.len() as i64);
                steps.push(self.step(format!("extra.{county}.2017-{month:02}.{code}"), when, assessor(), command));
            }
        }
        steps
    }

    /// Closes `month` as the story closes its months: YS07's revenue tier, the other counties, then
    /// publication and finalisation.
    fn close_month(&mut self, month: u8) -> Vec<Step> {
        let text = format!("2017-{month:02}");
        let tier = if month >= 10 { 1 } else { 2 };
        let award = AwardTier {
            scheme: scheme(),
            period: period(&text),
            unit: unit(fixture::SUBJECT_COUNTY),
            indicator: indicator(fixture::REVENUE_COMPLETION),
            tier,
            reason: format!("完成率 (completion) tier {tier}"),
        };
        let awarded_at = instant(month + 1, 3, 9, 0);
        let mut steps: Vec<Step> = fixture::counties()
            .filter(|county| county != fixture::SUBJECT_COUNTY)
            .map(|county| {
                let other = fixture::other_county_award(&text, &county);
                self.step(format!("extra.zgu02.{text}.tier.{county}"), awarded_at, assessor(), other)
            })
            .collect();
        steps.push(self.step(format!("extra.zgu02.{text}.tier"), awarded_at, assessor(), award));
        steps.extend(self.other_counties(month, 4));
        let publish = PublishResults { scheme: scheme(), period: period(&text) };
        steps.push(self.step(format!("extra.{text}.publish"), instant(month + 1, 12, 9, 0), committee(), publish));
        let finalise = FinalisePeriod { scheme: scheme(), period: period(&text) };
        steps.push(self.step(format!("extra.{text}.finalise"), instant(month + 1, 18, 9, 0), committee(), finalise));
        steps
    }
}

/// The fixture story with the other counties' deductions spliced in (January to June) and the rest of
/// the year appended.
pub fn year_story() -> Vec<Step> {
    let mut extra = Extra { counter: 0 };
    let mut steps = Vec::new();
    for step in fixture::story() {
        let label = step.label.clone();
        steps.push(step);
        let month = label.strip_prefix("zgu02.2017-").and_then(|rest| rest.strip_suffix(".tier"));
        if let Some(month) = month.and_then(|text| text.parse::<u8>().ok()) {
            steps.extend(extra.other_counties(month, 4));
        }
    }
    let finalise_june = FinalisePeriod { scheme: scheme(), period: period("2017-06") };
    steps.push(extra.step("extra.2017-06.finalise".to_owned(), instant(7, 25, 9, 0), committee(), finalise_june));
    for month in 7..=12u8 {
        if month < 12 {
            let text = format!("2017-{:02}", month + 1);
            let open = OpenPeriod { scheme: scheme(), period: period(&text) };
            steps.push(extra.step(format!("extra.{text}.open"), instant(month + 1, 1, 8, 0), admin(), open));
        }
        steps.extend(extra.close_month(month));
    }
    steps
}
