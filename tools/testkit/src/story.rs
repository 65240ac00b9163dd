//! The article's 2017 story as the tests tell it (`story()`), and the same year carried to December
//! (`year::year_story()`): city YS, its twelve counties and their sections, scheme YS-2017 with its
//! 46 indicators, YS07's plan, the periods, and the half-year report deduction with its cause,
//! rectification and appeal. The demo tells the longer story of 2014–2017 (`kpi_ledger::article::years`);
//! this one is test data, small enough to replay in every test that needs a ledger with a story in it.
//!
//! Invariant: pure and deterministic — the same call returns the same steps with the same injected
//! times and ids, so every event decided from them is byte-identical from run to run.

pub mod year;

use uuid::Uuid;

pub use kpi_ledger::article::{open_scheme, story_id, Step, PERSONS, SECTIONS};
use kpi_ledger::domain::appeal::{AppealOutcome, AppealTarget};
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::context::{Actor, Context, Role};
use kpi_ledger::domain::ids::{
    AppealId, DeductionId, EvidenceDigest, FunctionCode, IndicatorCode, PersonId, ProblemCategory, SchemeId, UnitCode,
};
use kpi_ledger::domain::organisation::UnitLevel;
use kpi_ledger::domain::period::PeriodId;
use kpi_ledger::domain::points::{PerMille, Points};
use kpi_ledger::domain::scheme::{IndicatorMethod, TierStandard};
use kpi_ledger::domain::Timestamp;

/// The city, the subject county, and the codes the story names.
pub const CITY: &str = "YS";
pub const SUBJECT_COUNTY: &str = "YS07";
pub const SCHEME: &str = "YS-2017";
pub const HALF_YEAR_REPORT: &str = "ZG-04";
pub const REVENUE_COMPLETION: &str = "ZGU-02";
pub const REGISTRATION_QUALITY: &str = "ZGU-03";

/// Labels of the story's key steps.
pub const LABEL_DEDUCTION: &str = "zg04.deduct";
pub const LABEL_PUBLISH_JUNE: &str = "period.2017-06.publish";
pub const LABEL_ATTRIBUTION: &str = "zg04.attribute";
pub const LABEL_RECTIFICATION: &str = "zg04.rectify";
pub const LABEL_APPEAL: &str = "zg04.appeal";
pub const LABEL_DECISION: &str = "zg04.decide";

/// Digests (blake3, hex) of the made-up documents the story cites.
pub const DIGEST_RETURNED_FILING: &str = "3f6c1d9a4e2b8c7f0a5d6e1b9c8a7f3e2d4c6b8a0f1e3d5c7b9a2e4f6d8c0b1a";
pub const DIGEST_CORRECTED_FILING: &str = "b7e2a91c3d5f4e6a8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e2f4a";
pub const DIGEST_REVISED_PROCEDURE: &str = "0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d";

/// Indicators per function code in scheme 2017: 14 + 8 + 6 + 8 + 6 + 4 = 46.
const INDICATORS_PER_FUNCTION: [(&str, u32); 6] = [("BGS", 14), ("ZG", 8), ("ZGU", 6), ("SZ", 8), ("NF", 6), ("FG", 4)];

/// Indicators that do not apply to YS07 (2 points each): 100 − 8 = 92 points left.
const NOT_APPLICABLE_TO_SUBJECT: [(&str, &str); 4] = [
    ("SZ-07", "出口退税审核时效：本县无出口企业 (export-refund timeliness: no exporters in the county)"),
    ("SZ-08", "出口退税函调回复：本县无出口企业 (export-refund inquiries: no exporters in the county)"),
    ("ZGU-06", "国际税收情报交换：本县无涉外业务 (tax-information exchange: no foreign business)"),
    ("BGS-14", "机关后勤社会化：本局未设机关食堂 (outsourced canteen: the bureau runs none)"),
];

/// Key work worth 3 points instead of 2 (together with ZGU-02's 6 points the 46 indicators make 100).
const KEY_WORK: [&str; 4] = ["BGS-01", "ZG-01", "NF-01", "FG-01"];

fn parse_code<T>(text: &str, make: fn(String) -> Result<T, String>) -> T {
    // The story's codes are literals checked by the fixture's own tests.
    make(text.to_owned()).expect("fixture codes are well-formed")
}

pub fn unit(text: &str) -> UnitCode {
    parse_code(text, UnitCode::new)
}

pub fn indicator(text: &str) -> IndicatorCode {
    parse_code(text, IndicatorCode::new)
}

pub fn person(text: &str) -> PersonId {
    parse_code(text, PersonId::new)
}

pub fn scheme() -> SchemeId {
    parse_code(SCHEME, SchemeId::new)
}

pub fn period(text: &str) -> PeriodId {
    PeriodId::parse(text).expect("fixture periods are well-formed")
}

fn digest(text: &str) -> EvidenceDigest {
    parse_code(text, EvidenceDigest::new)
}

fn category(text: &str) -> ProblemCategory {
    parse_code(text, ProblemCategory::new)
}

/// An instant of 2017 in UTC.
pub fn at(month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
    Timestamp::from_civil(2017, month, day, hour, minute, 0).expect("fixture dates are real dates")
}

fn actor(id: &str, role: Role, unit_code: &str) -> Actor {
    Actor { id: id.to_owned(), role, unit: unit(unit_code) }
}

fn county(number: u32) -> String {
    format!("YS{number:02}")
}

/// Collects steps, giving each a distinct, time-ordered v7 id derived from its time and position.
/// The other counties' tier awards (which publication needs, §2) count apart, from
/// `OTHER_AWARDS_COUNTER_BASE`, so the story's own steps keep the ids they always had.
struct Story {
    steps: Vec<Step>,
    /// Steps pushed with `push`: the position part of their ids.
    position: u64,
    /// Steps pushed with `push_other_award`.
    other_awards: u64,
}

/// Where the ids of the other counties' tier awards start counting.
const OTHER_AWARDS_COUNTER_BASE: u64 = 3_000_000;

impl Story {
    fn push(&mut self, label: impl Into<String>, when: Timestamp, actor: &Actor, command: impl Into<Command>) {
        let context = Context::new(when, actor.clone(), story_id(when, self.position));
        self.position += 1;
        self.steps.push(Step { label: label.into(), command: command.into(), context });
    }

    fn push_other_award(&mut self, label: String, when: Timestamp, command: AwardTier) {
        let context = Context::new(when, assessor(), story_id(when, OTHER_AWARDS_COUNTER_BASE + self.other_awards));
        self.other_awards += 1;
        self.steps.push(Step { label, command: command.into(), context });
    }

    fn id_of(&self, label: &str) -> Uuid {
        let step = self.steps.iter().find(|step| step.label == label);
        step.map(|step| step.context.new_id).expect("the story labels the steps it refers to")
    }
}

/// Every step of the article's story, in order.
pub fn story() -> Vec<Step> {
    let mut story = Story { steps: Vec::new(), position: 0, other_awards: 0 };
    organisation(&mut story);
    scheme_and_indicators(&mut story);
    plans(&mut story);
    periods_and_assessment(&mut story);
    half_year_report(&mut story);
    story.steps
}

fn admin() -> Actor {
    actor("admin.ys", Role::Admin, CITY)
}

fn assessor() -> Actor {
    actor("assessor.ys.wang", Role::Assessor, CITY)
}

fn reviewer() -> Actor {
    actor("reviewer.ys.li", Role::Reviewer, CITY)
}

fn committee() -> Actor {
    actor("committee.ys", Role::Committee, CITY)
}

fn office(county_code: &str) -> Actor {
    actor(&format!("office.{}", county_code.to_lowercase()), Role::Office, county_code)
}

fn organisation(story: &mut Story) {
    let when = at(1, 3, 9, 0);
    let admin = admin();
    story.push("unit.YS", when, &admin, register_unit(CITY, "乙市国家税务局", UnitLevel::City, None, None));
    for number in 1..=12 {
        let code = county(number);
        let name = if code == SUBJECT_COUNTY {
            "丙县国家税务局".to_owned()
        } else {
            format!("乙市第{number}县国家税务局")
        };
        story.push(
            format!("unit.{code}"),
            when,
            &admin,
            register_unit(&code, &name, UnitLevel::County, Some(CITY), None),
        );
        for (suffix, name, function_code) in SECTIONS {
            let section = format!("{code}-{suffix}");
            let command = register_unit(&section, name, UnitLevel::Section, Some(&code), Some(function_code));
            story.push(format!("unit.{section}"), when, &admin, command);
        }
    }
    persons(story, when, &admin);
}

fn register_unit(
    unit_code: &str,
    name: &str,
    level: UnitLevel,
    parent: Option<&str>,
    function_code: Option<&str>,
) -> RegisterUnit {
    RegisterUnit {
        unit: unit(unit_code),
        name: name.to_owned(),
        level,
        parent: parent.map(unit),
        function_code: function_code.map(|text| parse_code(text, FunctionCode::new)),
    }
}

/// YS07's head and section chiefs (`PERSONS`).
fn persons(story: &mut Story, when: Timestamp, admin: &Actor) {
    for (id, name, unit_code) in PERSONS {
        let command = RegisterPerson { person: person(id), name: name.to_owned(), unit: unit(unit_code) };
        story.push(format!("person.{id}"), when, admin, command);
    }
}

fn scheme_and_indicators(story: &mut Story) {
    let admin = admin();
    story.push("scheme.open", at(1, 5, 9, 0), &admin, open_scheme(unit(CITY), 2017));
    period_open(story, "2017-01", at(1, 5, 9, 30));
    for definition in indicator_definitions() {
        let label = format!("indicator.{}", definition.indicator);
        story.push(label, at(1, 6, 9, 0), &admin, definition);
    }
    let revision = ReviseIndicator {
        scheme: scheme(),
        indicator: indicator(REVENUE_COMPLETION),
        effective_from: period("2017-01"),
        name: None,
        description: None,
        points_max: Some(Points(600)),
        tiers: None,
        reason: "重点工作：税收收入完成率分值由4分提高到6分 (key work: revenue completion raised from 4 to 6 points)"
            .to_owned(),
    };
    story.push("indicator.ZGU-02.revise", at(1, 10, 9, 0), &admin, revision);
}

/// The 46 indicators: a few named from the article, the rest generated per function code.
pub fn indicator_definitions() -> Vec<DefineIndicator> {
    let mut definitions = Vec::new();
    for (function_code, count) in INDICATORS_PER_FUNCTION {
        for number in 1..=count {
            definitions.push(indicator_definition(&format!("{function_code}-{number:02}")));
        }
    }
    definitions
}

fn indicator_definition(code: &str) -> DefineIndicator {
    let base = DefineIndicator {
        scheme: scheme(),
        indicator: indicator(code),
        name: format!("{code} 工作指标 (work indicator {code})"),
        description: String::new(),
        points_max: Points(if KEY_WORK.contains(&code) { 300 } else { 200 }),
        method: IndicatorMethod::Deduct,
        veto: false,
        problem_categories: vec![category("late_submission"), category("quality")],
        assessor: unit(CITY),
        effective_from: None,
    };
    match code {
        HALF_YEAR_REPORT => DefineIndicator {
            name: "半年工作报告报送 (half-year work report)".to_owned(),
            description: "7月10日前报送；未报送扣2分，不规范扣1分 (due 07-10; missing −2, non-compliant −1)".to_owned(),
            problem_categories: vec![
                category("document_filing"),
                category("late_submission"),
                category("missing_report"),
            ],
            ..base
        },
        REVENUE_COMPLETION => DefineIndicator {
            name: "税收收入完成率 (revenue completion)".to_owned(),
            points_max: Points(400),
            method: IndicatorMethod::Tiered { tiers: revenue_tiers() },
            problem_categories: Vec::new(),
            ..base
        },
        REGISTRATION_QUALITY => DefineIndicator {
            name: "税务登记信息质量 (registration data quality)".to_owned(),
            problem_categories: vec![category("registration_data_quality")],
            ..base
        },
        "FG-04" => DefineIndicator { name: "执法廉政 (integrity in enforcement)".to_owned(), veto: true, ..base },
        _ => base,
    }
}

fn revenue_tiers() -> Vec<TierStandard> {
    let tier = |standard: &str, share: u16| TierStandard {
        standard: standard.to_owned(),
        share_per_mille: PerMille::new(share).expect("fixture shares are at most 1000"),
    };
    vec![
        tier("完成率 ≥ 100% (completion at least 100%)", 1000),
        tier("完成率 ≥ 98% (at least 98%)", 800),
        tier("完成率 ≥ 95% (at least 95%)", 600),
        tier("完成率 < 95% (below 95%)", 0),
    ]
}

/// Each county's office assigns every indicator to the section of its function; YS07 first drops four.
fn plans(story: &mut Story) {
    let subject_office = office(SUBJECT_COUNTY);
    for (code, reason) in NOT_APPLICABLE_TO_SUBJECT {
        let command = MarkIndicatorNotApplicable {
            scheme: scheme(),
            indicator: indicator(code),
            unit: unit(SUBJECT_COUNTY),
            effective_from: None,
            reason: reason.to_owned(),
            approver: person("YS07-0001"),
        };
        story.push(format!("not_applicable.{code}"), at(1, 20, 10, 0), &subject_office, command);
    }
    for number in 1..=12 {
        let county_code = county(number);
        for definition in indicator_definitions() {
            let dropped = county_code == SUBJECT_COUNTY
                && NOT_APPLICABLE_TO_SUBJECT.iter().any(|(code, _)| *code == definition.indicator.as_str());
            if !dropped {
                assign(story, &county_code, &definition.indicator);
            }
        }
    }
}

fn assign(story: &mut Story, county_code: &str, code: &IndicatorCode) {
    let function_code = code.as_str().split('-').next().unwrap_or_default();
    let suffix =
        SECTIONS.iter().find(|(_, _, function)| *function == function_code).map_or("BGS", |(suffix, _, _)| suffix);
    let responsible_person = match code.as_str() {
        _ if county_code != SUBJECT_COUNTY => None,
        HALF_YEAR_REPORT => Some(person("YS07-0201")),
        REVENUE_COMPLETION | REGISTRATION_QUALITY => Some(person("YS07-0301")),
        _ => None,
    };
    let command = AssignIndicator {
        scheme: scheme(),
        indicator: code.clone(),
        unit: unit(county_code),
        lead_section: unit(&format!("{county_code}-{suffix}")),
        supporting_sections: Vec::new(),
        responsible_person,
        effective_from: None,
    };
    story.push(format!("assign.{county_code}.{code}"), at(1, 23, 10, 0), &office(county_code), command);
}

fn period_open(story: &mut Story, text: &str, when: Timestamp) {
    let command = OpenPeriod { scheme: scheme(), period: period(text) };
    story.push(format!("period.{text}.open"), when, &admin(), command);
}

/// Months January to May run their whole course; June is assessed and published; July is open.
fn periods_and_assessment(story: &mut Story) {
    for month in 1..=7u8 {
        let text = format!("2017-{month:02}");
        if month > 1 {
            period_open(story, &text, at(month, 1, 8, 0));
        }
        if month > 1 {
            close_previous_month(story, month - 1);
        }
    }
}

/// Early in `next_month + 1`: the month's revenue tier, any registration-quality deduction, then
/// publication on the 12th and (for months before June) finalisation after the window.
fn close_previous_month(story: &mut Story, month: u8) {
    let text = format!("2017-{month:02}");
    let next = month + 1;
    award_revenue_tier(story, &text, at(next, 3, 9, 0));
    if [3, 4, 6].contains(&month) {
        registration_deduction(story, &text, at(next, 5, 9, 0));
    }
    if month == 6 {
        // June is published inside the half-year report story, after the 07-11 deduction.
        return;
    }
    let committee = committee();
    let publish = PublishResults { scheme: scheme(), period: period(&text) };
    story.push(format!("period.{text}.publish"), at(next, 12, 9, 0), &committee, publish);
    let finalise = FinalisePeriod { scheme: scheme(), period: period(&text) };
    story.push(format!("period.{text}.finalise"), at(next, 18, 9, 0), &committee, finalise);
}

/// The month's revenue-completion tiers: the other eleven counties completed their revenue (tier 1,
/// full points), then YS07 reached 98.7% (tier 2). A month is published only once every county has
/// its award (§2), so each month awards all twelve.
fn award_revenue_tier(story: &mut Story, text: &str, when: Timestamp) {
    for number in (1..=12).filter(|number| county(*number) != SUBJECT_COUNTY) {
        let county_code = county(number);
        let command = other_county_award(text, &county_code);
        story.push_other_award(format!("zgu02.{text}.tier.{county_code}"), when, command);
    }
    let command = AwardTier {
        scheme: scheme(),
        period: period(text),
        unit: unit(SUBJECT_COUNTY),
        indicator: indicator(REVENUE_COMPLETION),
        tier: 2,
        reason: "完成率98.7% (completion 98.7%)".to_owned(),
    };
    story.push(format!("zgu02.{text}.tier"), when, &assessor(), command);
}

/// Another county's revenue-completion award for a month: tier 1, full points.
pub fn other_county_award(period_text: &str, county_code: &str) -> AwardTier {
    AwardTier {
        scheme: scheme(),
        period: period(period_text),
        unit: unit(county_code),
        indicator: indicator(REVENUE_COMPLETION),
        tier: 1,
        reason: "完成率 ≥ 100% (completion at least 100%)".to_owned(),
    }
}

/// The twelve county codes, `YS01` to `YS12`.
pub fn counties() -> impl Iterator<Item = String> {
    (1..=12).map(county)
}

fn registration_deduction(story: &mut Story, text: &str, when: Timestamp) {
    let command = RecordDeduction {
        scheme: scheme(),
        period: period(text),
        unit: unit(SUBJECT_COUNTY),
        indicator: indicator(REGISTRATION_QUALITY),
        points: Points(50),
        reason: "税务登记信息错漏 (errors in taxpayer registration data)".to_owned(),
        problem_category: category("registration_data_quality"),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    story.push(format!("zgu03.{text}.deduct"), when, &assessor(), command);
}

/// 07-11 deducted, 07-12 published, 07-13 cause attributed and rectified, 07-14 appealed, 07-19
/// partially restored (1 of 2 points).
fn half_year_report(story: &mut Story) {
    let deduction = RecordDeduction {
        scheme: scheme(),
        period: period("2017-06"),
        unit: unit(SUBJECT_COUNTY),
        indicator: indicator(HALF_YEAR_REPORT),
        points: Points(200),
        reason: "半年工作报告以请示文种报送，市局退回，视为未报送 (half-year report filed as a request, returned by the city, counted as missing)".to_owned(),
        problem_category: category("document_filing"),
        evidence_digests: vec![digest(DIGEST_RETURNED_FILING)],
        links: Vec::new(),
    };
    story.push(LABEL_DEDUCTION, at(7, 11, 10, 0), &assessor(), deduction);
    let publish = PublishResults { scheme: scheme(), period: period("2017-06") };
    story.push(LABEL_PUBLISH_JUNE, at(7, 12, 9, 0), &committee(), publish);
    let deduction_id = DeductionId(story.id_of(LABEL_DEDUCTION));
    cause_and_rectification(story, deduction_id);
    appeal(story, deduction_id);
}

fn cause_and_rectification(story: &mut Story, deduction_id: DeductionId) {
    let subject_office = office(SUBJECT_COUNTY);
    let attribution = AttributeCause {
        deduction_id,
        cause_unit: unit("YS07-BGS"),
        description: "办公室将半年工作报告误作请示报送（公文文种错误） (the general office filed the report under the wrong document type)".to_owned(),
        evidence_digests: vec![digest(DIGEST_CORRECTED_FILING)],
        links: Vec::new(),
    };
    story.push(LABEL_ATTRIBUTION, at(7, 13, 10, 0), &subject_office, attribution);
    let rectification = RecordRectification {
        deduction_id,
        description: "办公室已按报告文种重新报送，并修订公文处理流程 (refiled as a report; filing procedure revised)"
            .to_owned(),
        evidence_digests: vec![digest(DIGEST_CORRECTED_FILING), digest(DIGEST_REVISED_PROCEDURE)],
        links: Vec::new(),
    };
    story.push(LABEL_RECTIFICATION, at(7, 13, 15, 0), &subject_office, rectification);
}

fn appeal(story: &mut Story, deduction_id: DeductionId) {
    let appellant = actor("appellant.ys07", Role::Appellant, SUBJECT_COUNTY);
    let filing = FileAppeal {
        target: AppealTarget::Deduction { deduction_id },
        grounds: "报告已于7月7日按时报送，仅文种不规范，应扣1分 (filed on time on 07-07, only the type was wrong: −1, not −2)".to_owned(),
        evidence_digests: Vec::new(),
    };
    story.push(LABEL_APPEAL, at(7, 14, 9, 0), &appellant, filing);
    let decision = DecideAppeal {
        appeal_id: AppealId(story.id_of(LABEL_APPEAL)),
        outcome: AppealOutcome::Partial { points_restored: Points(100) },
        reasoning: "报告按时报送但文种错误，按不规范扣1分，恢复1分 (on time but non-compliant: 1 point restored)"
            .to_owned(),
        evidence_digests: Vec::new(),
    };
    story.push(LABEL_DECISION, at(7, 19, 16, 0), &reviewer(), decision);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_is_deterministic() {
        assert_eq!(story(), story());
    }
}
