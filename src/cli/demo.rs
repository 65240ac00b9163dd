//! `kpi-ledger demo`: tells the article's story. It records the article's years (`article::years`) in
//! a fresh data directory — 2014–2016 brought in through the history import, one file per scheme
//! year, as the city's admin on 2017-01-19, then 2017 lived through the service on a simulated clock
//! up to the article's day, 2017-08-10 — and prints what it recorded and what the article is about:
//! 2016's county rankings with tiers (YS07 tier 3 in Q1–Q3, tier 2 for the year), YS07 against its
//! peers and its sections against the same sections elsewhere, the trace of the half-year-report point
//! down to the office's filing, the rectification and the appeal, the June ranking as published on
//! 2016-07-12 against now with the events that changed it, the indicators each section carried year by
//! year, 2017 so far, YS07's staff (each name recorded sealed under the person's own key, read here
//! with the key file), YS07's own scheme of 2016 (its sections ranked among themselves for the month
//! its bulletin criticised one of them), the staff's year 2016 (one person's scorecard, the grade
//! register, the use of results whose basis changed and the event that changed it), and the chain's
//! verification. With `--serve` it then serves the API and the site on that data and prints a token
//! for each role.
//!
//! Invariant: it prints what the ledger answers — every figure comes from the read models, through the
//! same queries the API and the reading commands use, and is laid out with the command line's tables.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::article::years::{self, own_scheme, staff, Years};
use crate::cli::reads;
use crate::cli::table::Table;
use crate::domain::person::AnnualGrade;
use crate::domain::{FunctionCode, PeriodId, PersonId, Points, Role, SchemeId, UnitCode};
use crate::limits;
use crate::projection::{AsOf, Counting};
use crate::service::admin::{self, LedgerSettings};
use crate::service::documents::Documents;
use crate::service::history::HistoryImported;
use crate::service::people::ResultUseFilter;
use crate::service::person_keys::PERSON_KEYS_FILE;
use crate::service::queries::{RankingScope, Reader, View};
use crate::service::read_models::ReadModels;
use crate::service::records::Records;
use crate::service::{CommandOptions, ManualClock, PendingCommand, PersonKeys, SeededIds};

/// A file that marks a directory as made by the demo, so a rerun may replace it and nothing else.
const DEMO_MARKER: &str = ".kpi-ledger-demo";

/// The scheme year the article tells.
const STORY_SCHEME: &str = "YS-2016";

pub fn run(data: &Path, serve_addr: Option<SocketAddr>) -> Result<(), String> {
    let settings = LedgerSettings::new(data);
    prepare_fresh_directory(&settings)?;
    let records = settings.open_or_create().map_err(|e| e.to_string())?;
    let years = years::years();
    let recorded = record_the_years(&records, &years)?;
    println!("kpi-ledger demo — {} events of the article's years recorded in {}\n", recorded.events, data.display());
    let read_models = records.read_models().map_err(|e| e.to_string())?;
    let names = unit_names(&read_models);
    let county = unit(years::SUBJECT);
    let counties = RankingScope::OfUnit(county.clone());
    println!("{}", recorded.text());
    println!("{}\n", headline(&read_models, &counties)?);

    section("1. The twelve counties in 2016, ranked with tiers (counts 4/5/3)");
    for period in ["2016-Q2", "2016-Q3", "2016"] {
        let answer = read_models.ranking(&counties, period_id(period), AsOf::Latest).map_err(|e| e.to_string())?;
        println!("{}", reads::ranking_text(&answer, &names));
    }

    section("2. YS07 against its peers, and its sections against the same sections of the other counties");
    let horizontal = read_models.horizontal(&county, period_id("2016-Q3"), AsOf::Latest).map_err(|e| e.to_string())?;
    println!("{}", reads::horizontal_text(&horizontal, &names));
    println!("{}", sections_table(&read_models, period_id("2016-06"))?);

    section(
        "3. Every point YS07 lost in June 2016, down to the events: the half-year report (ZG-04) was charged to the office",
    );
    let trace = read_models.trace(&county, period_id("2016-06"), AsOf::Latest).map_err(|e| e.to_string())?;
    println!("{}", reads::trace_text(&trace, &names));
    let office = read_models.trace(&unit("YS07-BGS"), period_id("2016-06"), AsOf::Latest).map_err(|e| e.to_string())?;
    println!("{}", reads::trace_text(&office, &names));

    section("4. The June 2016 ranking as published on 2016-07-12, against now");
    let published = AsOf::EndOfDay { year: 2016, month: 7, day: 12 };
    let diff = read_models
        .ranking_diff(&counties, period_id("2016-06"), published, AsOf::Latest, Counting::Published)
        .map_err(|e| e.to_string())?;
    println!("{}", reads::diff_text(&diff, &names));
    let offices = RankingScope::Group { scheme: scheme(), function_code: Some(function("BGS")) };
    let diff = read_models
        .ranking_diff(&offices, period_id("2016-06"), published, AsOf::Latest, Counting::Published)
        .map_err(|e| e.to_string())?;
    println!("{}", reads::diff_text(&diff, &names));

    section("5. Indicators each section of YS07 carries, year by year (the article: 30, then 13, 8, 5 on average)");
    let load = read_models.indicator_load(Some(&county), AsOf::Latest).map_err(|e| e.to_string())?;
    println!("{}", reads::load_text(&load.value.indicator_load, &names));
    println!("{}\n", load_averages(&load.value.indicator_load));

    section("6. 2017 on the article's day: January to June final, July provisional, August open and empty");
    let year = read_models.ranking(&counties, period_id("2017"), AsOf::Latest).map_err(|e| e.to_string())?;
    println!("{}", reads::ranking_text(&year, &names));
    let july = read_models
        .ranking(&counties, period_id("2017-07"), View::provisional(AsOf::Latest))
        .map_err(|e| e.to_string())?;
    println!("{}", reads::ranking_text(&july, &names));

    section("7. YS07's staff: each name is recorded sealed under the person's own key (PIPL), read here with it");
    let keys = PersonKeys::for_reading(&read_models).map_err(|e| e.to_string())?;
    let staff = read_models.persons(&Reader::Local, &county, AsOf::Latest, &keys).map_err(|e| e.to_string())?;
    println!("{}", super::people::persons_text(&staff));
    println!(
        "  the keys are in {} — keep a copy apart: {} person-keys backup --data {} --out FILE\n",
        data.join(PERSON_KEYS_FILE).display(),
        this_binary(),
        data.display()
    );

    section("8. YS07's own scheme in 2016: its six sections ranked among themselves, by YS07's own committee");
    println!("{}", own_scheme_ranking(&read_models, &names)?);

    section("9. YS07's staff in 2016: a scorecard, the annual grades, and the use of results that no longer holds");
    println!("{}", scorecard(&read_models, &keys)?);
    println!("{}", grade_register(&read_models, &keys)?);
    println!("{}", uses_of_results(&read_models)?);

    section("10. The chain");
    let verified = records.verify(None, &|_| {}).map_err(|failure| format!("chain broken at {failure}"))?;
    let root = records.merkle_root(verified.head.seq).map_err(|e| e.to_string())?;
    println!(
        "  intact: {} events verified; head {}:{}",
        verified.events_checked, verified.head.seq, verified.head.hash
    );
    println!("  merkle root {root}; checkpoint key {}", records.key().public_key.unwrap_or_default());
    println!("  check it yourself: {} verify --data {}", this_binary(), data.display());

    // The commands the demo suggests open the ledger afresh: from here they fold no event again.
    read_models.store_latest_snapshot();
    drop(read_models);
    match serve_addr {
        Some(addr) => serve(&settings, &records, addr),
        None => Ok(()),
    }
}

/// What the demo recorded: each history year's import, and 2017's live steps.
struct DemoRecord {
    imported: Vec<(i32, HistoryImported)>,
    documents: usize,
    live_commands: usize,
    live_events: (u64, u64),
    events: u64,
}

impl DemoRecord {
    fn text(&self) -> String {
        let mut text = format!(
            "  history imported on {} by {}, one file per scheme year:\n",
            years::imported_at(),
            years::history_admin().id
        );
        for (year, imported) in &self.imported {
            text.push_str(&format!(
                "    {year}: {} lines → {} events (events {}–{}), file blake3 {}…\n",
                imported.lines,
                imported.events,
                imported.first_seq,
                imported.last_seq,
                &imported.file_blake3[..16]
            ));
        }
        text.push_str(&format!(
            "  2017 lived up to {}: {} commands → {} events (events {}–{})\n",
            years::now(),
            self.live_commands,
            self.live_events.1 + 1 - self.live_events.0,
            self.live_events.0,
            self.live_events.1
        ));
        text.push_str(&format!("  {} documents of the 2016 story stored beside the chain", self.documents));
        text
    }
}

/// The 2016 story's headline, as the ledger ranks it: YS07's tiers in Q1–Q3 and for the year.
fn headline(read_models: &ReadModels, counties: &RankingScope) -> Result<String, String> {
    let subject = unit(years::SUBJECT);
    let mut parts = Vec::new();
    for (label, period) in [("in Q1", "2016-Q1"), ("in Q2", "2016-Q2"), ("in Q3", "2016-Q3"), ("for the year", "2016")]
    {
        let ranking = read_models.ranking(counties, period_id(period), AsOf::Latest).map_err(|e| e.to_string())?;
        let ranking = ranking.value;
        let standing = ranking.standing(&subject).ok_or_else(|| format!("YS07 is not ranked in {period}"))?;
        parts.push(format!("tier {} {label} (rank {} of {})", standing.tier, standing.rank, ranking.standings.len()));
    }
    Ok(format!("The story of 2016: YS07 {}", parts.join(", ")))
}

/// The indicators YS07's sections carry per year: in all, and on average per section.
fn load_averages(loads: &[crate::projection::indicator_load::IndicatorLoad]) -> String {
    let mut by_year: std::collections::BTreeMap<i32, (usize, usize)> = std::collections::BTreeMap::new();
    for load in loads {
        let entry = by_year.entry(load.year).or_default();
        entry.0 += load.indicators;
        entry.1 += 1;
    }
    let averages: Vec<String> = by_year
        .iter()
        .map(|(year, (indicators, sections))| {
            format!("{year}: {indicators} over {sections} sections, {:.1} each", *indicators as f64 / *sections as f64)
        })
        .collect();
    format!("  {}", averages.join("; "))
}

/// Imports the history years and plays 2017's live steps through the service on the simulated clock,
/// pipelining the appends; stores the story's documents beside the chain.
fn record_the_years(records: &Records, years: &Years) -> Result<DemoRecord, String> {
    let clock = Arc::new(ManualClock::default());
    let service =
        records.service(clock.clone(), Arc::new(SeededIds::new("kpi-ledger demo"))).map_err(|e| e.to_string())?;
    clock.set(years::imported_at());
    let admin = years::history_admin();
    let mut imported = Vec::new();
    for history in &years.history {
        let done = service
            .import_history(&admin, history.file().as_bytes())
            .map_err(|e| format!("history {}: {e}", history.year))?;
        imported.push((history.year, done));
    }
    let documents = Documents::of(&service);
    for (what, text) in years::DOCUMENTS {
        documents
            .upload(&admin, None, Some("text/plain"), text.as_bytes(), years::imported_at())
            .map_err(|e| format!("document {what}: {e}"))?;
    }
    let first_live = records.head().seq + 1;
    let mut in_flight: Vec<PendingCommand> = Vec::new();
    for step in &years.live {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        let pending = service
            .submit(step.context.actor.clone(), &step.command, options)
            .map_err(|e| format!("step {}: {e}", step.label))?;
        in_flight.push(pending);
        if in_flight.len() == limits::DEMO_COMMANDS_IN_FLIGHT_MAX {
            wait_all(&mut in_flight)?;
        }
    }
    wait_all(&mut in_flight)?;
    let events = records.head().seq;
    Ok(DemoRecord {
        imported,
        documents: years::DOCUMENTS.len(),
        live_commands: years.live.len(),
        live_events: (first_live, events),
        events,
    })
}

fn wait_all(in_flight: &mut Vec<PendingCommand>) -> Result<(), String> {
    for pending in in_flight.drain(..) {
        pending.wait().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// YS07's sections ranked in its own scheme for the month its bulletin criticised the last of them, as
/// the ranking stands now (the criticised section's appeal was upheld since).
fn own_scheme_ranking(
    read_models: &ReadModels,
    names: &std::collections::BTreeMap<UnitCode, String>,
) -> Result<String, String> {
    let (_, month) = own_scheme::CRITICISM;
    let scheme = SchemeId::new(format!("{}-2016", years::SUBJECT)).expect("YS07's scheme of 2016");
    let group = RankingScope::Group { scheme, function_code: None };
    let ranking = read_models.ranking(&group, period_id(month), AsOf::Latest).map_err(|e| e.to_string())?;
    Ok(reads::ranking_text(&ranking, names))
}

/// One 优秀's personal scorecard for 2016, as `kpi-ledger person scorecard` prints it: each quarter's
/// parts, the annual score, place and grade.
fn scorecard(read_models: &ReadModels, keys: &PersonKeys) -> Result<String, String> {
    let person = PersonId::new(staff::SCORECARD_PERSON).expect("a fixture person");
    let card =
        read_models.person_scorecard(&person, period_id("2016"), AsOf::Latest, keys).map_err(|e| e.to_string())?;
    Ok(super::people::scorecard_text(&card))
}

/// YS07's annual grades of 2016: how many of each, and the 优秀 and 基本称职 with the standing each was
/// recorded on.
fn grade_register(read_models: &ReadModels, keys: &PersonKeys) -> Result<String, String> {
    let county = unit(years::SUBJECT);
    let year = period_id("2016");
    let grades = read_models.grades(&county, year, AsOf::Latest, keys).map_err(|e| e.to_string())?.value;
    let ranking = read_models.individual_ranking(&county, year, AsOf::Latest, keys).map_err(|e| e.to_string())?.value;
    let mut counts: std::collections::BTreeMap<AnnualGrade, usize> = std::collections::BTreeMap::new();
    grades.grades.iter().for_each(|line| *counts.entry(line.grade).or_default() += 1);
    let counted: Vec<String> = counts.iter().map(|(grade, count)| format!("{count} {grade}")).collect();
    let mut text = format!(
        "annual grades of {} {}: {} participants, 优秀 quota {}; {}; {} with a changed basis\n",
        grades.county,
        grades.year,
        grades.participants,
        grades.excellent_quota,
        counted.join(", "),
        grades.basis_changed
    );
    let mut table = Table::new(&["person", "name", "section", "grade", ">annual", ">rank", ">tier", "reason"]);
    for line in grades.grades.iter().filter(|line| line.grade != AnnualGrade::Competent) {
        let section = ranking.standing(&line.person).and_then(|standing| standing.section.as_ref());
        table.row(vec![
            line.person.to_string(),
            line.name.to_string(),
            section.map_or_else(String::new, ToString::to_string),
            line.grade.to_string(),
            points(line.recorded_basis.annual_score),
            count(line.recorded_basis.rank),
            count(line.recorded_basis.tier),
            line.reason.as_ref().map_or_else(String::new, ToString::to_string),
        ]);
    }
    text.push_str(&table.render());
    Ok(text)
}

/// The uses YS07's committee made of results, and in full the one whose basis changed afterwards, with
/// the events that changed it.
fn uses_of_results(read_models: &ReadModels) -> Result<String, String> {
    let filter = ResultUseFilter { unit: Some(unit(years::SUBJECT)), ..ResultUseFilter::default() };
    let uses = read_models.result_uses(&Reader::Local, &filter, AsOf::Latest).map_err(|e| e.to_string())?.value;
    let mut text = format!(
        "uses of results about YS07 and its staff: {}, {} with a changed basis\n",
        uses.uses.len(),
        uses.basis_changed
    );
    for line in uses.uses.iter().filter(|line| line.basis.basis_changed) {
        text.push_str(&super::people::use_lines(line));
    }
    Ok(text)
}

/// Points, or a dash when there are none.
fn points(value: Option<Points>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| value.to_string())
}

/// A rank or tier, or a dash when there is none.
fn count(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| value.to_string())
}

/// Each section of YS07 in its same-function peer group: rank, tier, final.
fn sections_table(read_models: &ReadModels, period: PeriodId) -> Result<String, String> {
    let names = unit_names(read_models);
    let mut table = crate::cli::table::Table::new(&["section", "name", ">rank", ">of", ">tier", ">final", "leader"]);
    for (suffix, _, function_code) in crate::article::SECTIONS {
        let section = unit(&format!("YS07-{suffix}"));
        let scope = RankingScope::Group { scheme: scheme(), function_code: Some(function(function_code)) };
        let ranking = read_models.ranking(&scope, period, AsOf::Latest).map_err(|e| e.to_string())?.value;
        let Some(standing) = ranking.standing(&section) else { continue };
        let leader = ranking.leader().map_or(String::new(), |l| format!("{} {}", l.unit, l.final_score));
        table.row(vec![
            section.to_string(),
            names.get(&section).cloned().unwrap_or_default(),
            standing.rank.to_string(),
            ranking.standings.len().to_string(),
            standing.tier.to_string(),
            standing.final_score.to_string(),
            leader,
        ]);
    }
    Ok(format!("YS07's sections among the same sections of the twelve counties, {period}\n{}", table.render()))
}

fn serve(settings: &LedgerSettings, records: &Records, addr: SocketAddr) -> Result<(), String> {
    let service = Arc::new(
        records
            .service(Arc::new(crate::service::SystemClock), Arc::new(crate::service::RandomIds))
            .map_err(|e| e.to_string())?,
    );
    println!("\nserving the demo ledger; a token for each role (scoped to city YS, or county YS07):");
    let roles = [
        (Role::Admin, "YS"),
        (Role::Assessor, "YS"),
        (Role::Reviewer, "YS"),
        (Role::Committee, "YS"),
        (Role::Auditor, "YS"),
        (Role::Office, "YS07"),
        (Role::Appellant, "YS07"),
        (Role::Leader, "YS07"),
        (Role::Person, "YS07"),
    ];
    for (role, scope) in roles {
        let actor = format!("demo-{}", role.as_str());
        let grant = crate::cli::serve::Grant {
            actor: &actor,
            role,
            unit: scope,
            note: "issued by kpi-ledger demo --serve",
            valid_days: None,
            // The person token speaks for 李股长, who carries YS07's registration-data indicators.
            person: (role == Role::Person).then_some("YS07-0301"),
        };
        let token = crate::cli::serve::issue_token(&service, &grant)?;
        println!("  {:<10} {scope:<5} {token}", role.as_str());
    }
    crate::cli::serve::serve_service(settings, service, addr)
}

/// Unit names by code, for the printers.
fn unit_names(read_models: &ReadModels) -> std::collections::BTreeMap<UnitCode, String> {
    read_models
        .units(AsOf::Latest)
        .map(|answer| answer.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
        .unwrap_or_default()
}

fn section(title: &str) {
    println!("{title}\n{}", "─".repeat(unicode_width::UnicodeWidthStr::width(title)));
}

fn unit(code: &str) -> UnitCode {
    UnitCode::new(code).expect("a fixture unit code")
}

fn period_id(text: &str) -> PeriodId {
    PeriodId::parse(text).expect("a fixture period")
}

fn scheme() -> SchemeId {
    SchemeId::new(STORY_SCHEME).expect("the fixture scheme")
}

fn function(code: &str) -> FunctionCode {
    FunctionCode::new(code).expect("a fixture function code")
}

/// Makes `data` an empty directory for the demo. A directory made by an earlier demo is emptied, but
/// only while the demo holds the directory's lock: a server still using it keeps it, and the demo
/// stops with a clear line. Any other non-empty directory is refused, and nothing else is ever removed.
fn prepare_fresh_directory(settings: &LedgerSettings) -> Result<(), String> {
    let data = settings.data.as_path();
    if data.exists() {
        let is_previous_demo = data.join(DEMO_MARKER).exists();
        let is_empty = std::fs::read_dir(data).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_previous_demo && !is_empty {
            return Err(format!(
                "--data {}: exists and was not made by the demo; choose another directory",
                data.display()
            ));
        }
    }
    let _lock = admin::lock_data_directory(settings).map_err(|error| match error {
        admin::OpenError::Locked { .. } => format!(
            "--data {}: a running process (a server?) holds this ledger; stop it first, or choose another directory",
            data.display()
        ),
        other => other.to_string(),
    })?;
    for entry in std::fs::read_dir(data).map_err(|e| format!("--data {}: {e}", data.display()))? {
        let path = entry.map_err(|e| format!("--data {}: {e}", data.display()))?.path();
        if path.file_name().is_some_and(|name| name == admin::LOCK_FILE) {
            continue;
        }
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| format!("--data {}: {e}", path.display()))?;
    }
    std::fs::write(data.join(DEMO_MARKER), b"made by kpi-ledger demo; rerunning the demo replaces this directory\n")
        .map_err(|e| format!("--data {}: {e}", data.display()))
}

/// The path of the running binary as a shell would take it — relative to the working directory when
/// under it (`target/release/kpi-ledger` after `cargo run --release`) — so that a printed hint runs as
/// printed; `kpi-ledger` when the path cannot be had.
fn this_binary() -> String {
    let Ok(exe) = std::env::current_exe() else { return "kpi-ledger".to_owned() };
    let relative = std::env::current_dir().ok().and_then(|dir| exe.strip_prefix(dir).ok().map(Path::to_path_buf));
    match relative {
        Some(relative) => relative.display().to_string(),
        None => exe.display().to_string(),
    }
}
