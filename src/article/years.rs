//! The article's years, as the demo records them. The article (published 2017-08-10) tells the
//! story of 2016; the ledger holds what came before and after it too:
//!
//! - **2014–2016**, complete and final in the city's schemes, recorded at the time in the bureau's old
//!   system and brought in through the history import (`history`: one JSON Lines file per scheme year,
//!   each command with its own time and actor), imported on 2017-01-19;
//! - **2017** up to the article's date, lived through the service on a simulated clock (`live`):
//!   January to June published (June final once its windows closed), July assessed and open
//!   (provisional), August opened with nothing recorded yet.
//!
//! Each year the city YS issues its scheme (183, 80, 46 and 28 indicators worth 100 points: see
//! `catalogue`); every county takes the indicators into its plan and assigns each to the section of
//! its function; YS07 drops those that do not apply (no exporters, no canteen …) with reason and
//! approver, so its six sections lead 180, 78, 44 and 26 city indicators: 30, 13, 7⅓ and 4⅓ per
//! section, and with the four local indicators of its own scheme in 2016 and 2017 (`own_scheme`)
//! exactly 30, 13, 8 and 5. Every month every county loses points — tier shortfalls and deductions on
//! varied indicators and categories, drawn from a seeded SplitMix64 so that its final comes out as
//! planned (`plan`, `realise`) — and the month is published around the 12th of the next and made
//! final once its objection (and any escalation) window has closed. 2016 adds the half-year report
//! (`half_year_report`), and its quarterly targets make YS07 tier 3 in Q1–Q3 and tier 2 for the
//! year by its own better Q4, with a tie in Q2.
//!
//! 2016 is also the first year of YS07's own scheme, lived month by month (`own_scheme`: its office's
//! findings, its committee's publications the day after the city's, a criticism whose basis an upheld
//! appeal changed), and of its 36 staff's individual assessment (`staff`: personal indicators, quarterly
//! reviews, weekly records, grades and their use). The staff's weekly records of 2016, their comments,
//! the county's 2016 months made final, the grades and the uses of results come in January 2017 with
//! the live steps: a weekly record is the person's own act, and history holds no access grants.
//!
//! Invariant: pure and deterministic — `years()` returns the same steps, times and ids on every call,
//! so the events decided from them are byte-identical from run to run; every step's time is the
//! instant it happened (UTC+08:00 office hours), and the steps of each part are in time order.

pub mod catalogue;
mod half_year_report;
pub mod own_scheme;
mod plan;
mod realise;
mod rng;
pub mod staff;
mod text;

use serde_json::{json, Value};
use uuid::Uuid;

pub use catalogue::{Catalogue, Scale, Spec, CITY_INDICATORS};
pub use half_year_report::{
    digest, CORRECTED_FILING, DOCUMENTS, LABEL_APPEAL, LABEL_ATTRIBUTION, LABEL_DECISION, LABEL_DEDUCTION,
    LABEL_RECTIFICATION, RETURNED_FILING, REVISED_PROCEDURE,
};
pub use plan::{
    Plan, HALF_YEAR_REPORT_EFFECTIVE, SUBJECT_2016, SUBJECT_REGISTRATION_2016, SUBJECT_REVENUE_TIERS_2016, TARGETS_2016,
};
pub use realise::{Award, Bonus, Deduction, MonthFacts};

use super::{story_id, Step};
use crate::domain::{Actor, Command, Context, Role, Timestamp, UnitCode};

pub const CITY: &str = "YS";
pub const SUBJECT: &str = "YS07";
/// Every scheme year of the ledger, and those brought in as history.
pub const YEARS: [i32; 4] = [2014, 2015, 2016, 2017];
pub const HISTORY_YEARS: [i32; 3] = [2014, 2015, 2016];
/// The year the article tells, and the one under way on its date.
pub const STORY_YEAR: i32 = 2016;
pub const LIVE_YEAR: i32 = 2017;

/// The sections of every county: suffix, name, function code (the indicator codes' prefix).
pub use super::SECTIONS as FUNCTIONS;

/// June 2016's publication (the objection window runs to 07-17) and finalisation (07-25: the
/// escalation window of the 07-19 decision closed on 07-24 16:00).
pub const LABEL_PUBLISH_JUNE: &str = "2016-06.publish";
pub const LABEL_FINALISE_JUNE: &str = "2016-06.finalise";

/// The performance office's head and the six section chiefs, as in the 2017 story.
use super::PERSONS;

/// An instant given in the ledger's time zone, UTC+08:00.
pub fn local(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
    let utc = Timestamp::from_civil(year, month, day, hour, minute, 0).expect("fixture dates are real dates");
    utc.plus_micros(-8 * 3_600_000_000)
}

/// The demo's "now": the evening of 2017-08-10, the day the article was published.
pub fn now() -> Timestamp {
    local(2017, 8, 10, 18, 0)
}

/// When the bureau imported its past years: the evening after December 2016 was made final.
pub fn imported_at() -> Timestamp {
    local(2017, 1, 19, 17, 0)
}

/// The admin who imports the history (the city's).
pub fn history_admin() -> Actor {
    actor("admin.ys", Role::Admin, CITY)
}

/// The twelve counties, `YS01` to `YS12`.
pub fn counties() -> impl Iterator<Item = String> {
    (1..=12).map(|number| format!("YS{number:02}"))
}

/// The months of `year` that have facts: all twelve, and 2017's up to July.
pub fn months_of(year: i32) -> std::ops::RangeInclusive<u8> {
    match year {
        LIVE_YEAR => 1..=7,
        _ => 1..=12,
    }
}

/// The section of `county` with the function at `function` (an index into `FUNCTIONS`).
pub fn section(county: &str, function: usize) -> String {
    format!("{county}-{}", FUNCTIONS[function].0)
}

/// The city indicators each of YS07's sections leads in `year`, in the order of `FUNCTIONS`.
pub fn subject_city_indicators(year: i32) -> [usize; 6] {
    let catalogue = Catalogue::for_year(year);
    std::array::from_fn(|function| catalogue.applicable(SUBJECT).filter(|spec| spec.function == function).count())
}

/// The indicators each of YS07's sections carries in `year` once its own scheme's local indicators
/// count too (the article's 30, 13, 8, 5 on average).
pub fn subject_indicators_planned(year: i32) -> [usize; 6] {
    let mut counts = subject_city_indicators(year);
    for local in own_scheme::local_indicators(year) {
        let function = FUNCTIONS.iter().position(|(suffix, _, _)| *suffix == local.section);
        counts[function.expect("a section of the fixture")] += 1;
    }
    counts
}

/// The article's years: the history files' steps, 2017's live steps, and the plan they realise.
pub struct Years {
    pub history: Vec<HistoryYear>,
    pub live: Vec<Step>,
    pub plan: Plan,
}

/// One scheme year of history: its steps in time order, from the opening of its scheme (and, for
/// 2014, the registration of the organisation) to the finalisation of its December in January.
pub struct HistoryYear {
    pub year: i32,
    pub steps: Vec<Step>,
}

impl HistoryYear {
    /// The history file (`schemas/history-line.json`): one line per step, with its time and actor.
    pub fn file(&self) -> String {
        let mut file = String::new();
        for step in &self.steps {
            file.push_str(&history_line(step).to_string());
            file.push('\n');
        }
        file
    }
}

/// A step as a line of a history file.
pub fn history_line(step: &Step) -> Value {
    let actor = &step.context.actor;
    json!({
        "recorded_at": step.context.now.to_string(),
        "actor": {"id": actor.id, "role": actor.role, "unit": actor.unit},
        "command": step.command.name(),
        "payload": step.command.payload(),
        "new_id": step.context.new_id,
    })
}

pub fn years() -> Years {
    let plan = plan::plan();
    let mut history = Vec::new();
    let mut live = Vec::new();
    for year in YEARS {
        let mut builder = Builder::new(year);
        year_steps(&mut builder, year, &plan);
        let steps = builder.into_steps();
        match year {
            LIVE_YEAR => live = steps,
            _ => history.push(HistoryYear { year, steps }),
        }
    }
    Years { history, live, plan }
}

/// Collects steps, giving each a distinct v7 id from its time and a counter of its own year.
pub(crate) struct Builder {
    steps: Vec<Step>,
    counter: u64,
}

impl Builder {
    fn new(year: i32) -> Builder {
        Builder { steps: Vec::new(), counter: 10_000_000 * year as u64 }
    }

    /// Adds the command `name` with `payload` (decoded as a client's would be) and returns the id
    /// of the fact it creates.
    fn push(&mut self, label: impl Into<String>, when: Timestamp, actor: &Actor, name: &str, payload: Value) -> Uuid {
        let command = Command::from_payload(name, &payload)
            .unwrap_or_else(|rejection| panic!("fixture command {name} {payload}: {}", rejection.message));
        self.push_command(label, when, actor, command)
    }

    fn push_command(&mut self, label: impl Into<String>, when: Timestamp, actor: &Actor, command: Command) -> Uuid {
        let id = story_id(when, self.counter);
        self.counter += 1;
        self.steps.push(Step { label: label.into(), command, context: Context::new(when, actor.clone(), id) });
        id
    }

    /// The id of the fact the step labelled `label` creates: how a later step names an earlier one.
    fn id_of(&self, label: &str) -> Uuid {
        let step = self.steps.iter().find(|step| step.label == label);
        step.unwrap_or_else(|| panic!("no step {label} yet")).context.new_id
    }

    /// The steps in time order (steps at the same instant in the order they were added).
    fn into_steps(mut self) -> Vec<Step> {
        self.steps.sort_by_key(|step| step.context.now);
        self.steps
    }
}

/// An indicator's scoring method as its command's payload: tiered by `tiers` (each a standard and its
/// share per mille, then what the recording steps draw for it), or by deduction when `None`.
pub(crate) fn method_payload<T>(tiers: Option<&[(&str, i64, T)]>) -> Value {
    match tiers {
        Some(tiers) => {
            let tiers: Vec<Value> = tiers
                .iter()
                .map(|(standard, share, _)| json!({"standard": standard, "share_per_mille": share}))
                .collect();
            json!({"kind": "tiered", "tiers": tiers})
        }
        None => json!({"kind": "deduct"}),
    }
}

pub(crate) fn actor(id: &str, role: Role, unit: &str) -> Actor {
    Actor { id: id.to_owned(), role, unit: UnitCode::new(unit).expect("a fixture unit code") }
}

fn admin() -> Actor {
    actor("admin.ys", Role::Admin, CITY)
}

fn committee() -> Actor {
    actor("committee.ys", Role::Committee, CITY)
}

fn office(county: &str) -> Actor {
    actor(&format!("office.{}", county.to_lowercase()), Role::Office, county)
}

/// The city's assessor of a function's indicators.
fn assessor(function: usize) -> Actor {
    let id = match function {
        0 | 1 => "assessor.ys.zhang",
        2 | 3 => "assessor.ys.wang",
        _ => "assessor.ys.liu",
    };
    actor(id, Role::Assessor, CITY)
}

fn scheme_id(year: i32) -> String {
    format!("{CITY}-{year}")
}

fn period_text(year: i32, month: u8) -> String {
    format!("{year}-{month:02}")
}

/// The month after `month` of `year`, as (year, month).
fn next_month(year: i32, month: u8) -> (i32, u8) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn year_steps(builder: &mut Builder, year: i32, plan: &Plan) {
    let catalogue = Catalogue::for_year(year);
    if year == 2014 {
        organisation(builder);
    }
    scheme(builder, &catalogue);
    county_plans(builder, &catalogue);
    for month in months_of(year) {
        month_steps(builder, &catalogue, plan, month);
    }
    if year == STORY_YEAR {
        half_year_report::steps(builder);
    }
    if year >= STORY_YEAR {
        own_scheme::steps(builder, year);
    }
    if year == STORY_YEAR {
        own_scheme::lived_2016(builder);
        staff::year_2016(builder);
    }
    if year == LIVE_YEAR {
        // 2016's staff, finished in January: the weekly records entered, the county's months of 2016
        // made final, the grades and their use.
        staff::entered_2017(builder);
        own_scheme::finalised_2017(builder);
        staff::graded_2017(builder);
        staff::erased_2017(builder);
        let when = local(2017, 8, 1, 8, 30);
        let period = period_text(year, 8);
        builder.push(
            format!("{period}.open"),
            when,
            &admin(),
            "OpenPeriod",
            json!({"scheme": scheme_id(year), "period": period}),
        );
    }
}

/// The city, its twelve counties with their six sections each, YS07's head and section chiefs, and the
/// staff of YS07's sections (`staff`).
fn organisation(builder: &mut Builder) {
    let start = local(2014, 1, 6, 9, 0);
    let mut second = 0;
    let mut at = || {
        second += 1;
        start.plus_micros(second * 1_000_000)
    };
    let admin = admin();
    let unit = |code: &str, name: &str, level: &str, parent: Option<&str>, function: Option<&str>| json!({"unit": code, "name": name, "level": level, "parent": parent, "function_code": function});
    builder.push("unit.YS", at(), &admin, "RegisterUnit", unit(CITY, "乙市国家税务局", "city", None, None));
    for (index, county) in counties().enumerate() {
        let name = match county.as_str() {
            SUBJECT => "丙县国家税务局".to_owned(),
            _ => format!("乙市第{}县国家税务局", index + 1),
        };
        builder.push(
            format!("unit.{county}"),
            at(),
            &admin,
            "RegisterUnit",
            unit(&county, &name, "county", Some(CITY), None),
        );
        for (function, (_, name, code)) in FUNCTIONS.iter().enumerate() {
            let section = section(&county, function);
            let payload = unit(&section, name, "section", Some(&county), Some(code));
            builder.push(format!("unit.{section}"), at(), &admin, "RegisterUnit", payload);
        }
    }
    for (person, name, unit) in PERSONS {
        let payload = json!({"person": person, "name": name, "unit": unit});
        builder.push(format!("person.{person}"), at(), &admin, "RegisterPerson", payload);
    }
    staff::registered(builder);
}

/// The city's scheme for the year, its indicators and its first month, opened on 01-20 once the year
/// before is closed.
fn scheme(builder: &mut Builder, catalogue: &Catalogue) {
    let year = catalogue.year;
    let admin = admin();
    let opened = local(year, 1, 20, 9, 0);
    let command = super::open_scheme(UnitCode::new(CITY).expect("the city"), year);
    builder.push_command(format!("{year}.scheme.open"), opened, &admin, command.into());
    for (index, spec) in catalogue.specs.iter().enumerate() {
        let when = local(year, 1, 20, 9, 10).plus_micros(index as i64 * 1_000_000);
        builder.push(
            format!("{year}.indicator.{}", spec.code),
            when,
            &admin,
            "DefineIndicator",
            definition(year, spec),
        );
    }
    let period = period_text(year, 1);
    let payload = json!({"scheme": scheme_id(year), "period": period});
    builder.push(format!("{period}.open"), local(year, 1, 20, 10, 0), &admin, "OpenPeriod", payload);
}

fn definition(year: i32, spec: &Spec) -> Value {
    let method = match spec.scale {
        None => json!({"kind": "deduct"}),
        Some(scale) => {
            let standards = scale.text().standards;
            let tiers: Vec<Value> = standards
                .iter()
                .zip(catalogue::TIER_SHARES)
                .map(|(standard, share)| json!({"standard": standard, "share_per_mille": share}))
                .collect();
            json!({"kind": "tiered", "tiers": tiers})
        }
    };
    json!({
        "scheme": scheme_id(year),
        "indicator": spec.code,
        "name": spec.name,
        "description": spec.description,
        "points_max": spec.points_max,
        "method": method,
        "veto": spec.veto,
        "problem_categories": spec.categories,
        "assessor": CITY,
    })
}

/// Each county's office takes the scheme into its plan: YS07 first drops what does not apply to it,
/// then every county assigns each indicator to the section of its function (YS07 naming the section
/// chief as the responsible person).
fn county_plans(builder: &mut Builder, catalogue: &Catalogue) {
    let year = catalogue.year;
    let dropped = catalogue.specs.iter().filter_map(|spec| spec.dropped_by_subject.map(|reason| (spec, reason)));
    for (index, (spec, reason)) in dropped.enumerate() {
        let when = local(year, 1, 22, 10, 0).plus_micros(index as i64 * 60_000_000);
        let payload = json!({
            "scheme": scheme_id(year), "indicator": spec.code, "unit": SUBJECT, "reason": reason, "approver": PERSONS[0].0,
        });
        builder.push(
            format!("{year}.not_applicable.{}", spec.code),
            when,
            &office(SUBJECT),
            "MarkIndicatorNotApplicable",
            payload,
        );
    }
    for (index, county) in counties().enumerate() {
        let start = local(year, 1, 23 + (index % 5) as u8, 9 + (index / 5) as u8, 0);
        for (position, spec) in catalogue.applicable(&county).enumerate() {
            let responsible = (county == SUBJECT).then(|| PERSONS[spec.function + 1].0);
            let payload = json!({
                "scheme": scheme_id(year),
                "indicator": spec.code,
                "unit": county,
                "lead_section": section(&county, spec.function),
                "responsible_person": responsible,
            });
            let when = start.plus_micros(position as i64 * 1_000_000);
            builder.push(
                format!("{year}.assign.{county}.{}", spec.code),
                when,
                &office(&county),
                "AssignIndicator",
                payload,
            );
        }
    }
}

/// One month: opened on the 1st; its facts recorded through it and early in the next; tier awards
/// on the 3rd to 6th of the next, publication on the 12th, finalisation on the 18th (June 2016's
/// on 07-25, after the escalation window of its appeal's decision; 2017's July is still open).
fn month_steps(builder: &mut Builder, catalogue: &Catalogue, plan: &Plan, month: u8) {
    let year = catalogue.year;
    let period = period_text(year, month);
    let scheme = scheme_id(year);
    if month > 1 {
        let payload = json!({"scheme": scheme, "period": period});
        builder.push(format!("{period}.open"), local(year, month, 1, 8, 30), &admin(), "OpenPeriod", payload);
    }
    let (next_year, next) = next_month(year, month);
    for (index, county) in counties().enumerate() {
        let facts = plan.month(year, &county, month);
        let mut rng = rng::SplitMix64::for_part(&[year as u64, index as u64, u64::from(month), 0x71e5]);
        let award_start = local(next_year, next, 3 + (index % 4) as u8, 9 + 2 * (index / 4) as u8, 0);
        for (position, award) in facts.awards.iter().enumerate() {
            let spec = catalogue.spec(&award.code);
            let payload = json!({
                "scheme": scheme, "period": period, "unit": county, "indicator": award.code, "tier": award.tier,
                "reason": award.reason,
            });
            let when = award_start.plus_micros(position as i64 * 60_000_000);
            let label = format!("{period}.{}.tier.{county}", award.code);
            builder.push(label, when, &assessor(spec.function), "AwardTier", payload);
        }
        for (position, deduction) in facts.deductions.iter().enumerate() {
            let spec = catalogue.spec(&deduction.code);
            let when = match deduction.category {
                // The story's registration findings: the city's sampling early in the next month.
                "registration_data_quality" if county == SUBJECT && year == STORY_YEAR => {
                    local(next_year, next, 5, 10, 30)
                }
                _ => deduction_time(&mut rng, year, month),
            };
            let payload = json!({
                "scheme": scheme, "period": period, "unit": county, "indicator": deduction.code,
                "points": deduction.points, "reason": deduction.reason, "problem_category": deduction.category,
                "evidence_digests": deduction.evidence.iter().collect::<Vec<_>>(),
            });
            let label = format!("{period}.{}.deduct.{county}.{position}", deduction.code);
            builder.push(label, when, &assessor(spec.function), "RecordDeduction", payload);
        }
        if let Some(bonus) = &facts.bonus {
            let payload = json!({"scheme": scheme, "period": period, "unit": county, "points": bonus.points, "reason": bonus.reason});
            builder.push(
                format!("{period}.bonus.{county}"),
                local(next_year, next, 8, 10, index as u8),
                &assessor(4),
                "AwardBonus",
                payload,
            );
        }
    }
    if year == LIVE_YEAR && month == *months_of(year).end() {
        return;
    }
    let payload = json!({"scheme": scheme, "period": period});
    builder.push(
        format!("{period}.publish"),
        local(next_year, next, 12, 9, 30),
        &committee(),
        "PublishResults",
        payload.clone(),
    );
    let finalised = match (year, month) {
        (STORY_YEAR, 6) => local(next_year, next, 25, 9, 30),
        _ => local(next_year, next, 18, 9, 30),
    };
    builder.push(format!("{period}.finalise"), finalised, &committee(), "FinalisePeriod", payload);
}

/// When a deduction for `month` is recorded: while the month runs (a finding on the spot) or in the
/// first days of the next (the month's checks), in office hours; January's after the plans are in.
fn deduction_time(rng: &mut rng::SplitMix64, year: i32, month: u8) -> Timestamp {
    let (next_year, next) = next_month(year, month);
    let (year, month, day) = match (month, rng.chance(500)) {
        (1, true) => (year, 1, rng.range(28, 31) as u8),
        (_, true) => (year, month, rng.range(8, 28) as u8),
        (_, false) => (next_year, next, rng.range(1, 9) as u8),
    };
    local(year, month, day, rng.range(9, 17) as u8, rng.range(0, 59) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_are_deterministic_and_in_time_order() {
        let (first, second) = (years(), years());
        for (a, b) in first.history.iter().zip(&second.history) {
            assert_eq!(a.steps, b.steps);
        }
        assert_eq!(first.live, second.live);
        let mut previous = None;
        for step in first.history.iter().flat_map(|year| &year.steps).chain(&first.live) {
            assert!(previous <= Some(step.context.now), "{} goes back in time", step.label);
            previous = Some(step.context.now);
        }
        assert!(previous < Some(now()));
        assert!(first.history.iter().flat_map(|year| &year.steps).all(|step| step.context.now < imported_at()));
        assert!(first.live.iter().all(|step| step.context.now > imported_at()));
    }

    #[test]
    fn ys07_sections_average_30_13_8_5() {
        let averages: Vec<(usize, usize)> = YEARS
            .iter()
            .map(|year| (subject_city_indicators(*year).iter().sum(), subject_indicators_planned(*year).iter().sum()))
            .collect();
        assert_eq!(averages, [(180, 180), (78, 78), (44, 48), (26, 30)]);
    }
}
