//! YS07's own scheme (内部考核) from 2016: opened, its indicators, and — in 2016 — its months lived.
//!
//! From 2016 YS07 assesses its sections with a scheme of its own: it takes over the city's key work
//! with points of its own (`TAKEN_OVER`: revenue completion `ZGU-02`, 4 points in the city's scheme,
//! counts 6 in the county's; the office's document handling `BGS-01` and, in 2016, the tax section's
//! business-tax-to-VAT work `SZ-08` count 3, so that every section carries something and is ranked;
//! in 2016 the half-year report `ZG-04` counts 3, so that the city's charge on the office for it counts
//! in the county's June too) and adds local indicators of its own. The article's trend counts those
//! local indicators too: YS07's sections carry 44 city indicators in 2016 and 26 in 2017, and with four
//! local ones each year that is 48 and 30 — exactly 8 and 5 per section (`LOCAL_INDICATORS`). A
//! taken-over indicator is the city's, counted there once, so it changes none of these counts.
//!
//! `steps` records the scheme: YS07's admin opens `YS07-<year>` a week after the city's scheme (the
//! months the city opens are open in it too), takes over `TAKEN_OVER`, defines the local indicators
//! (assessed by YS07's own office: by deduction, the service-window ratings `NF-L01` by tier), and
//! YS07's office assigns each to its section with the section chief responsible.
//!
//! `lived_2016` records 2016 month by month (§14 of docs/RULES.md): early in the next month YS07's
//! office records its findings on the local indicators (deductions with reasons and problem
//! categories, and the service-window tier); the taken-over indicators take nothing of their own, being
//! scored from the city's facts (the city's own revenue tier included); YS07's committee publishes the
//! month on the 13th, the day after the city has published it (`CityPeriodNotPublished` otherwise).
//! In October its monthly bulletin criticises the law section for September on that published
//! ranking; the section appeals the body-camera deduction that put it last, YS07's reviewer upholds
//! it, and the criticism's basis has changed (`CRITICISM`). The county holds its 2016 months published
//! and makes them final only once the staff's weekly records of 2016 are in (`finalised_2017`, after
//! `staff`): a final month holds the personal scores that read it still.
//!
//! Invariant: pure and deterministic, like the rest of `years`; every finding is drawn from a
//! SplitMix64 seeded by year and month, and every step is dated after what it needs (the county's
//! scheme open, the city's month published or final).

use serde_json::{json, Value};

use super::rng::SplitMix64;
use super::text::{deduction_reason, findings};
use super::{actor, local, next_month, office, Builder, PERSONS, SUBJECT};
use crate::domain::{Actor, Role};

/// A local indicator YS07 plans for its own scheme: year, code, the section suffix that leads it, its
/// topic (Chinese, English), whether it is tiered (else scored by deduction) and the problem
/// categories its deductions name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalIndicator {
    pub year: i32,
    pub code: &'static str,
    pub section: &'static str,
    pub topic: (&'static str, &'static str),
    pub tiered: bool,
    pub categories: &'static [&'static str],
}

impl LocalIndicator {
    pub fn name(&self) -> String {
        format!("{} ({})", self.topic.0, self.topic.1)
    }

    /// The section that leads it (`YS07-FGG`).
    pub fn lead_section(&self) -> String {
        super::section(SUBJECT, function_of(self.section))
    }
}

const WEEKLY_RECORDS: (&str, &str) = ("个人周工作纪实", "weekly work records");
const ONE_FILE: (&str, &str) = ("一户式档案整理", "one file per taxpayer");
const SERVICE_WINDOWS: (&str, &str) = ("窗口服务评价", "service-window ratings");
const BODY_CAMERAS: (&str, &str) = ("执法记录仪使用", "body cameras in enforcement");
const KEY_TAXPAYERS: (&str, &str) = ("重点税源户走访", "visits to key taxpayers");

/// YS07's local indicators: four in 2016, four in 2017.
pub const LOCAL_INDICATORS: [LocalIndicator; 8] = [
    local_deduct(2016, "ZG-L01", "ZGG", WEEKLY_RECORDS, &["late_submission", "records_incomplete"]),
    local_deduct(2016, "ZGU-L01", "ZGU", ONE_FILE, &["records_incomplete", "data_quality"]),
    local_tiered(2016, "NF-L01", "NFG", SERVICE_WINDOWS),
    local_deduct(2016, "FG-L01", "FGG", BODY_CAMERAS, &["process_noncompliance", "enforcement_error"]),
    local_deduct(2017, "ZG-L01", "ZGG", WEEKLY_RECORDS, &["late_submission", "records_incomplete"]),
    local_deduct(2017, "SZ-L01", "SZG", KEY_TAXPAYERS, &["records_incomplete"]),
    local_tiered(2017, "NF-L01", "NFG", SERVICE_WINDOWS),
    local_deduct(2017, "FG-L01", "FGG", BODY_CAMERAS, &["process_noncompliance", "enforcement_error"]),
];

const fn local_deduct(
    year: i32,
    code: &'static str,
    section: &'static str,
    topic: (&'static str, &'static str),
    categories: &'static [&'static str],
) -> LocalIndicator {
    LocalIndicator { year, code, section, topic, tiered: false, categories }
}

const fn local_tiered(
    year: i32,
    code: &'static str,
    section: &'static str,
    topic: (&'static str, &'static str),
) -> LocalIndicator {
    LocalIndicator { year, code, section, topic, tiered: true, categories: &[] }
}

/// Whether `steps` records YS07's own scheme (and its local indicators).
pub const RECORDED: bool = true;

/// A city indicator YS07 takes over with its own points (hundredths) in one year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakenOver {
    pub year: i32,
    pub code: &'static str,
    pub points: i64,
}

/// What YS07 takes over: revenue completion at 6.00 instead of 4.00 every year; for the sections with
/// no local indicator that year their key work at 3.00 (2.25 in the city's scheme); and in 2016 the
/// half-year report `ZG-04` at 3.00 (2.00 there), so that what the city charges the office for the
/// report filed as a 请示 counts, scaled, in the county's own ranking of June too (§14.5).
pub const TAKEN_OVER: [TakenOver; 6] = [
    TakenOver { year: 2016, code: "ZGU-02", points: 600 },
    TakenOver { year: 2016, code: "BGS-01", points: 300 },
    TakenOver { year: 2016, code: "SZ-08", points: 300 },
    TakenOver { year: 2016, code: "ZG-04", points: 300 },
    TakenOver { year: 2017, code: "ZGU-02", points: 600 },
    TakenOver { year: 2017, code: "BGS-01", points: 300 },
];

/// Points of each local indicator (hundredths).
const LOCAL_POINTS: i64 = 100;

/// The tier standards of a tiered local indicator, with their shares (per mille), and the band of
/// readings (tenths of a per cent) each tier is awarded for.
const WINDOW_TIERS: [(&str, i64, (i64, i64)); 4] = [
    ("好评率 ≥ 98% (at least 98% rated good)", 1000, (980, 1000)),
    ("好评率 ≥ 95% (at least 95%)", 800, (950, 979)),
    ("好评率 ≥ 90% (at least 90%)", 600, (900, 949)),
    ("好评率 < 90% (below 90%)", 0, (820, 899)),
];

/// The use of results whose basis changed: YS07's bulletin criticises the law section (法规股) for
/// September 2016, the month a body-camera deduction put it last; the section appeals, YS07's reviewer
/// upholds the appeal, and the section is no longer last.
pub const CRITICISM: (&str, &str) = ("YS07-FGG", "2016-09");
pub const LABEL_CRITICISED_DEDUCTION: &str = "YS07-2016.2016-09.FG-L01.deduct";
pub const LABEL_CRITICISM: &str = "YS07-2016.2016-09.criticism";
pub const LABEL_COUNTY_APPEAL: &str = "YS07-2016.2016-09.FG-L01.appeal";
pub const LABEL_COUNTY_DECISION: &str = "YS07-2016.2016-09.FG-L01.decide";

/// The September deduction the law section appeals (hundredths): what makes it last.
const CRITICISED_POINTS: i64 = 60;

/// The local indicators planned for `year`.
pub fn local_indicators(year: i32) -> impl Iterator<Item = &'static LocalIndicator> {
    LOCAL_INDICATORS.iter().filter(move |local| local.year == year)
}

/// The local indicators the ledger holds for `year`: the planned ones once `steps` records them.
pub fn recorded_local_indicators(year: i32) -> usize {
    if RECORDED {
        local_indicators(year).count()
    } else {
        0
    }
}

/// What YS07 takes over in `year`.
pub fn taken_over(year: i32) -> impl Iterator<Item = &'static TakenOver> {
    TAKEN_OVER.iter().filter(move |taken| taken.year == year)
}

fn scheme_id(year: i32) -> String {
    format!("{SUBJECT}-{year}")
}

fn county_admin() -> Actor {
    actor("admin.ys07", Role::Admin, SUBJECT)
}

fn county_committee() -> Actor {
    actor("committee.ys07", Role::Committee, SUBJECT)
}

/// The index into `FUNCTIONS` of a section suffix.
fn function_of(suffix: &str) -> usize {
    super::FUNCTIONS.iter().position(|(known, _, _)| *known == suffix).expect("a section of the fixture")
}

/// Records YS07's own scheme of `year` (2016 and 2017): opened, `TAKEN_OVER` taken over, the local
/// indicators defined and assigned. Steps pushed here are merged into the year's in time order.
pub(super) fn steps(builder: &mut Builder, year: i32) {
    let admin = county_admin();
    let scheme = scheme_id(year);
    let city_scheme = format!("{}-{year}", super::CITY);
    let mut command = crate::article::open_scheme(crate::domain::UnitCode::new(SUBJECT).expect("YS07"), year);
    // A county's scheme ranks its sections by the sections' rule: no rule of units.
    command.unit_tier_rule = None;
    builder.push_command(format!("{scheme}.open"), local(year, 1, 28, 9, 0), &admin, command.into());
    for (index, taken) in taken_over(year).enumerate() {
        let payload =
            json!({"scheme": scheme, "indicator": taken.code, "city_scheme": city_scheme, "points_max": taken.points});
        let when = local(year, 1, 28, 9, 5).plus_micros(index as i64 * 1_000_000);
        builder.push(format!("{scheme}.take_over.{}", taken.code), when, &admin, "TakeOverIndicator", payload);
    }
    for (index, indicator) in local_indicators(year).enumerate() {
        let when = local(year, 1, 28, 9, 10).plus_micros(index as i64 * 1_000_000);
        let label = format!("{scheme}.indicator.{}", indicator.code);
        builder.push(label, when, &admin, "DefineIndicator", local_definition(&scheme, indicator));
        let function = function_of(indicator.section);
        let payload = json!({
            "scheme": scheme,
            "indicator": indicator.code,
            "unit": SUBJECT,
            "lead_section": super::section(SUBJECT, function),
            "responsible_person": PERSONS[function + 1].0,
        });
        let when = local(year, 1, 28, 10, 0).plus_micros(index as i64 * 1_000_000);
        builder.push(format!("{scheme}.assign.{}", indicator.code), when, &office(SUBJECT), "AssignIndicator", payload);
    }
}

fn local_definition(scheme: &str, indicator: &LocalIndicator) -> Value {
    let method = super::method_payload(indicator.tiered.then_some(&WINDOW_TIERS[..]));
    let description =
        format!("{SUBJECT} 内部考核的本地指标 (a local indicator of {SUBJECT}'s own scheme): {}", indicator.name());
    json!({
        "scheme": scheme,
        "indicator": indicator.code,
        "name": indicator.name(),
        "description": description,
        "points_max": LOCAL_POINTS,
        "method": method,
        "veto": false,
        "problem_categories": indicator.categories,
        "assessor": SUBJECT,
    })
}

/// One finding of YS07's office on a local deduct indicator in a month.
struct Finding {
    indicator: &'static LocalIndicator,
    points: i64,
    category: &'static str,
    reason: String,
}

/// The office's findings on the local deduct indicators in `month` of 2016: about every other month
/// each, 0.05 to 0.25, drawn; September's body-camera finding is the one the law section appeals.
fn findings_of(month: u8) -> Vec<Finding> {
    let mut rng = SplitMix64::for_part(&[2016, u64::from(month), 0x0753_0017]);
    let mut found = Vec::new();
    for indicator in local_indicators(2016).filter(|indicator| !indicator.tiered) {
        if (indicator.section, month) == ("FGG", 9) {
            found.push(Finding {
                indicator,
                points: CRITICISED_POINTS,
                category: "process_noncompliance",
                reason: "9月14日、21日两次入户检查未见执法记录仪视频，扣0.6分 (no body-camera footage of the field \
                         inspections of 09-14 and 09-21: −0.6)"
                    .to_owned(),
            });
            continue;
        }
        if !rng.chance(500) {
            continue;
        }
        let points = rng.step_range(5, 25, 5);
        let category = *rng.pick(indicator.categories);
        let reason = deduction_reason(indicator.topic, category, findings(&mut rng, points));
        found.push(Finding { indicator, points, category, reason });
    }
    found
}

/// The service-window tier of `month` of 2016 and its reason: mostly tier 1, now and then 2 or 3.
fn window_tier(month: u8) -> (u32, String) {
    let mut rng = SplitMix64::for_part(&[2016, u64::from(month), 0x0753_0018]);
    let tier = rng.weighted(&[600, 300, 100, 0]) as u32 + 1;
    let (low, high) = WINDOW_TIERS[tier as usize - 1].2;
    let reading = rng.range(low, high);
    let value = format!("{}.{}%", reading / 10, reading % 10);
    (tier, format!("窗口服务好评率{value} (rated good {value}): 第{tier}档 (tier {tier})"))
}

/// YS07's own scheme of 2016 lived month by month: the office's findings and tier awards early in the
/// next month, the committee's publication on the 13th (the day after the city's), and September's
/// criticism, appeal and decision.
pub(super) fn lived_2016(builder: &mut Builder) {
    let scheme = scheme_id(2016);
    for month in 1..=12u8 {
        let period = format!("2016-{month:02}");
        let (year, next) = next_month(2016, month);
        for (index, finding) in findings_of(month).iter().enumerate() {
            let code = finding.indicator.code;
            let payload = json!({
                "scheme": scheme, "period": period, "unit": finding.indicator.lead_section(),
                "indicator": code, "points": finding.points, "reason": finding.reason,
                "problem_category": finding.category,
            });
            let when = local(year, next, 5 + index as u8, 10, 0);
            builder.push(
                format!("{scheme}.{period}.{code}.deduct"),
                when,
                &office(SUBJECT),
                "RecordDeduction",
                payload,
            );
        }
        for indicator in local_indicators(2016).filter(|indicator| indicator.tiered) {
            let (tier, reason) = window_tier(month);
            let payload = json!({
                "scheme": scheme, "period": period, "unit": indicator.lead_section(),
                "indicator": indicator.code, "tier": tier, "reason": reason,
            });
            let label = format!("{scheme}.{period}.{}.tier", indicator.code);
            builder.push(label, local(year, next, 6, 15, 0), &office(SUBJECT), "AwardTier", payload);
        }
        let payload = json!({"scheme": scheme, "period": period});
        builder.push(
            format!("{scheme}.{period}.publish"),
            local(year, next, 13, 14, 0),
            &county_committee(),
            "PublishResults",
            payload,
        );
    }
    criticism_and_appeal(builder);
}

/// October 2016: the bulletin's criticism of the law section, resting on September's ranking as
/// published the day before; the section's appeal of the body-camera deduction; YS07's reviewer
/// upholds it (the footage was there, uploaded late from a failed memory card).
fn criticism_and_appeal(builder: &mut Builder) {
    let (section, period) = CRITICISM;
    let deduction_id = builder.id_of(LABEL_CRITICISED_DEDUCTION);
    let payload = json!({
        "kind": "criticism_notice",
        "subject": {"kind": "unit", "unit": section},
        "view": {"kind": "ranking", "scheme": scheme_id(2016), "period": period},
        "note": "丙国税发〔2016〕52号 2016年9月内部绩效考核通报：法规股排名末位，予以通报批评 (YS07's bulletin 52 of \
                 2016 on September: the law section ranks last and is criticised)",
    });
    builder.push(LABEL_CRITICISM, local(2016, 10, 14, 10, 0), &county_committee(), "RecordResultUse", payload);
    let appellant = actor("appellant.ys07-fgg", Role::Appellant, section);
    let appeal_id = builder.push(
        LABEL_COUNTY_APPEAL,
        local(2016, 10, 14, 15, 0),
        &appellant,
        "FileAppeal",
        json!({
            "target": {"kind": "deduction", "deduction_id": deduction_id},
            "grounds": "两次检查均全程使用执法记录仪，视频因存储卡故障延迟上传，现已补传 (both inspections were filmed \
                        throughout; a failed memory card delayed the upload, and the footage is now uploaded)",
        }),
    );
    let reviewer = actor("reviewer.ys07", Role::Reviewer, SUBJECT);
    builder.push(
        LABEL_COUNTY_DECISION,
        local(2016, 10, 18, 10, 0),
        &reviewer,
        "DecideAppeal",
        json!({
            "appeal_id": appeal_id,
            "outcome": {"kind": "upheld"},
            "reasoning": "经核实两次检查视频完整，扣分不成立，予以撤销 (the footage of both inspections is complete: \
                          the deduction does not stand and is lifted)",
        }),
    );
}

/// YS07's committee makes its twelve months of 2016 final on 2017-01-24, once the staff's weekly
/// records of 2016 are in (and long after the city made its own final).
pub(super) fn finalised_2017(builder: &mut Builder) {
    let scheme = scheme_id(2016);
    for month in 1..=12u8 {
        let period = format!("2016-{month:02}");
        let when = local(2017, 1, 24, 9, 0).plus_micros(i64::from(month) * 60_000_000);
        let payload = json!({"scheme": scheme, "period": period});
        builder.push(format!("{scheme}.{period}.finalise"), when, &county_committee(), "FinalisePeriod", payload);
    }
}
