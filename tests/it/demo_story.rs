//! The article's years as the demo records them (issue "rules as a bureau lives them", item 7):
//! 2014–2016 brought in through the history import, one file per scheme year, as the city's admin on
//! 2017-01-19; then 2017 lived through the service on a simulated clock up to 2017-08-10. The tests
//! check the article's claims against the ledger's own answers — rankings with tiers, the tie, the
//! indicator counts, the June 2016 story, every month's final, how each event came in — and hold them
//! to the plan only where the plan is the ledger's to match.
//!
//! They also check what the demo records of YS07's own scheme and staff in 2016 (docs/RULES.md §14,
//! §15): its sections assessed and published month by month after the city, 36 staff with their weekly
//! records (a few weeks missing), comments and reviews, seven 优秀 in the first tier within the quota,
//! the uses of results with the position they read, the one whose basis changed, and the demo's
//! printed story of it (the binary run once).
//!
//! The years are recorded once per run (about 13,700 events, some 6 s in debug on two cores) into a
//! closed ledger directory (`recorded_years`); the tests of this module share one copy of it, opened,
//! and `site_people.rs` serves copies of it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use kpi_ledger::article::years::{self, Years, SUBJECT};
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::{PeriodId, Points, SchemeId, Timestamp, UnitCode};
use kpi_ledger::projection::trace::TraceLine;
use kpi_ledger::projection::{AsOf, Counting};
use kpi_ledger::service::history::HistoryImported;
use kpi_ledger::service::queries::{QueryError, RankingScope, View};
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::{CommandOptions, ManualClock, PendingCommand, SeededIds, Service};
use kpi_ledger::store::Ledger;
use serde_json::Value;

/// The years as the demo records them, in a closed ledger directory recorded once per run: this
/// module's tests read a copy of it, and `site_people` serves copies of it.
pub(crate) struct RecordedYears {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) years: Years,
    /// One per history year, in order.
    imported: Vec<HistoryImported>,
    /// The history files as imported, by year.
    files: Vec<(i32, String)>,
    /// The sequence numbers of the live steps' events.
    live: (u64, u64),
}

impl RecordedYears {
    /// When the demo's clock stopped: the last live step's time.
    pub(crate) fn now(&self) -> Timestamp {
        self.years.live.last().expect("a live year").context.now
    }
}

pub(crate) fn recorded_years() -> &'static RecordedYears {
    static RECORDED: OnceLock<RecordedYears> = OnceLock::new();
    RECORDED.get_or_init(record)
}

/// Records `years()` as the demo does: each history year's file imported by the city's admin at
/// `imported_at()`, then every live step submitted at its own time (pipelined, as the demo does).
fn record() -> RecordedYears {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("kpi-ledger demo"))).unwrap();
    let years = years::years();
    clock.set(years::imported_at());
    let admin = years::history_admin();
    let mut imported = Vec::new();
    let mut files = Vec::new();
    for year in &years.history {
        let file = year.file();
        let done = service
            .import_history(&admin, file.as_bytes())
            .unwrap_or_else(|error| panic!("history {}: {error} (field {})", year.year, error.field));
        imported.push(done);
        files.push((year.year, file));
    }
    let first_live = service.records().head().seq + 1;
    let mut in_flight: Vec<PendingCommand> = Vec::new();
    for step in &years.live {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        let pending = service
            .submit(step.context.actor.clone(), &step.command, options)
            .unwrap_or_else(|error| panic!("step {}: {error}", step.label));
        in_flight.push(pending);
        if in_flight.len() == 256 {
            in_flight.drain(..).for_each(|pending| drop(pending.wait().unwrap()));
        }
    }
    in_flight.drain(..).for_each(|pending| drop(pending.wait().unwrap()));
    let last_live = service.records().head().seq;
    drop(service);
    ledger.close();
    RecordedYears { dir, years, imported, files, live: (first_live, last_live) }
}

/// This module's copy of the recorded years, opened: the service and its read models.
struct Recorded {
    _dir: tempfile::TempDir,
    service: Service,
    read_models: ReadModels,
    years: &'static Years,
    imported: &'static [HistoryImported],
    files: &'static [(i32, String)],
    live: (u64, u64),
}

fn recorded() -> &'static Recorded {
    static OPENED: OnceLock<Recorded> = OnceLock::new();
    OPENED.get_or_init(|| {
        let shared = recorded_years();
        let dir = tempfile::tempdir().unwrap();
        crate::support::copy_ledger_dir(shared.dir.path(), dir.path());
        let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
        let clock = Arc::new(ManualClock::default());
        clock.set(shared.now());
        let service = Service::open(ledger, clock, Arc::new(SeededIds::new("kpi-ledger demo"))).unwrap();
        let read_models = service.records().read_models().unwrap();
        Recorded {
            _dir: dir,
            service,
            read_models,
            years: &shared.years,
            imported: &shared.imported,
            files: &shared.files,
            live: shared.live,
        }
    })
}

fn unit(code: &str) -> UnitCode {
    UnitCode::new(code).unwrap()
}

fn period(text: &str) -> PeriodId {
    PeriodId::parse(text).unwrap()
}

fn counties_of(subject: &str) -> RankingScope {
    RankingScope::OfUnit(unit(subject))
}

/// (rank, tier, final) of every county in `period`, as the ledger ranks them.
fn standings(read_models: &ReadModels, text: &str, view: View) -> BTreeMap<String, (u32, u32, i64)> {
    let ranking = read_models.ranking(&counties_of(SUBJECT), period(text), view).unwrap().value;
    assert!(ranking.unranked.is_empty(), "{text}: unranked {:?}", ranking.unranked);
    ranking
        .standings
        .iter()
        .map(|standing| (standing.unit.to_string(), (standing.rank, standing.tier, standing.final_score.0)))
        .collect()
}

#[test]
fn history_is_imported_and_2017_is_lived() {
    let recorded = recorded();
    let records = recorded.service.records();
    assert_eq!(recorded.live.1, records.head().seq, "the live year ends the ledger");
    let mut next = 1;
    for ((year, file), imported) in recorded.files.iter().zip(recorded.imported) {
        let steps = &recorded.years.history.iter().find(|history| history.year == *year).unwrap().steps;
        assert_eq!(imported.lines as usize, steps.len(), "{year}: every step a line");
        assert_eq!(imported.first_seq, next, "{year}: the years follow each other");
        assert_eq!(imported.file_blake3, blake3::hash(file.as_bytes()).to_hex().to_string());
        assert_eq!(imported.from, steps[0].context.now);
        assert_eq!(imported.to, steps.last().unwrap().context.now);
        next = imported.last_seq + 1;
    }
    assert_eq!(recorded.live.0, next, "2017 follows the history");
    assert!(recorded.live.1 >= recorded.live.0 + recorded.years.live.len() as u64 - 1);

    let blake3_of_seq = |seq: u64| -> Option<String> {
        recorded
            .imported
            .iter()
            .find(|imported| (imported.first_seq..=imported.last_seq).contains(&seq))
            .map(|imported| imported.file_blake3.clone())
    };
    let admin = years::history_admin();
    let imported_at = years::imported_at().to_string();
    let (mut history_events, mut live_events, mut from) = (0, 0, 1);
    loop {
        let page = records.page(from, 5_000).unwrap();
        if page.events.is_empty() {
            break;
        }
        for event in &page.events {
            let body: Value = serde_json::from_str(&event.body).unwrap();
            match blake3_of_seq(event.seq) {
                Some(file_blake3) => {
                    history_events += 1;
                    let imported = &body["imported"];
                    assert_eq!(imported["by"], admin.id.as_str(), "event {}", event.seq);
                    assert_eq!(imported["at"], imported_at.as_str(), "event {}", event.seq);
                    assert_eq!(imported["file_blake3"], file_blake3.as_str(), "event {}", event.seq);
                    let at = body["recorded_at"].as_str().unwrap();
                    assert!(at < "2017-01-19", "event {} recorded at its own time, {at}", event.seq);
                }
                None => {
                    live_events += 1;
                    assert!(body.get("imported").is_none(), "event {} was lived, not imported: {body}", event.seq);
                    assert!(body["recorded_at"].as_str().unwrap() > imported_at.as_str());
                }
            }
        }
        from = page.next_from;
    }
    let imported_events: u64 = recorded.imported.iter().map(|imported| imported.events).sum();
    assert_eq!(history_events, imported_events);
    assert_eq!(live_events, recorded.live.1 + 1 - recorded.live.0);
}

#[test]
fn ys07_is_tier_3_in_three_quarters_of_2016_and_tier_2_for_the_year() {
    let recorded = recorded();
    let plan = &recorded.years.plan;
    let expected = [("2016-Q1", 11, 3), ("2016-Q2", 11, 3), ("2016-Q3", 11, 3), ("2016-Q4", 5, 2), ("2016", 8, 2)];
    for (text, rank, tier) in expected {
        let standings = standings(&recorded.read_models, text, AsOf::Latest.into());
        assert_eq!(standings.len(), 12, "{text}");
        let (got_rank, got_tier, _) = standings[SUBJECT];
        assert_eq!((got_rank, got_tier), (rank, tier), "YS07 in {text}: {standings:?}");
        // Tiers by counts 4/5/3: four in tier 1, five in tier 2, three in tier 3 (by rank).
        for (county, (rank, tier, _)) in &standings {
            let by_rank = match rank {
                1..=4 => 1,
                5..=9 => 2,
                _ => 3,
            };
            assert_eq!(*tier, by_rank, "{county} in {text}");
        }
        // Every county's roll-up is the mean of its planned months.
        let months: Vec<u8> = match text {
            "2016" => (1..=12).collect(),
            quarter => {
                let q: u8 = quarter[6..].parse().unwrap();
                (3 * q - 2..=3 * q).collect()
            }
        };
        for (county, (_, _, score)) in &standings {
            assert_eq!(*score, plan.mean_of(2016, county, months.clone()), "{county} in {text}");
        }
    }
}

#[test]
fn ys05_and_ys06_tie_in_2016_q2_and_nobody_else_ties() {
    let recorded = recorded();
    for text in ["2016-Q1", "2016-Q2", "2016-Q3", "2016-Q4", "2016"] {
        let standings = standings(&recorded.read_models, text, AsOf::Latest.into());
        let finals: BTreeSet<i64> = standings.values().map(|(_, _, score)| *score).collect();
        if text == "2016-Q2" {
            assert_eq!(finals.len(), 11, "{standings:?}");
            let (ys05, ys06) = (standings["YS05"], standings["YS06"]);
            assert_eq!(ys05, ys06, "the same final, rank and tier");
            assert_eq!((ys05.0, ys05.1), (5, 2), "both fifth, in tier 2");
            assert_eq!(standings.values().filter(|(rank, _, _)| *rank == 6).count(), 0, "no sixth after a tie");
        } else {
            assert_eq!(finals.len(), 12, "{text}: {standings:?}");
        }
    }
}

#[test]
fn the_city_issues_fewer_indicators_each_year_and_ys07s_sections_lead_fewer() {
    let recorded = recorded();
    let (_, issued) = recorded
        .read_models
        .with_projection(AsOf::Latest, |projection| {
            years::YEARS.map(|year| {
                let scheme = SchemeId::new(format!("YS-{year}")).unwrap();
                projection.facts().schemes[&scheme].indicators.len()
            })
        })
        .unwrap();
    assert_eq!(issued, [183, 80, 46, 28]);

    let load = recorded.read_models.indicator_load(Some(&unit(SUBJECT)), AsOf::Latest).unwrap().value.indicator_load;
    let mut averages = Vec::new();
    for year in years::YEARS {
        let mut by_section = [0; 6];
        let mut local = 0;
        for row in load.iter().filter(|row| row.year == year && row.county.as_str() == SUBJECT) {
            let function = years::FUNCTIONS
                .iter()
                .position(|(suffix, _, _)| row.section.as_str() == format!("{SUBJECT}-{suffix}"))
                .unwrap_or_else(|| panic!("a section of YS07: {}", row.section));
            by_section[function] = row.indicators;
            local += row.local_indicators;
        }
        let city = years::subject_city_indicators(year);
        let recorded_local = years::own_scheme::recorded_local_indicators(year);
        assert_eq!(local, recorded_local, "{year}: the local indicators of YS07's own scheme");
        let expected = if recorded_local > 0 { years::subject_indicators_planned(year) } else { city };
        assert_eq!(by_section, expected, "{year}: the indicators each section leads");
        let total: usize = by_section.iter().sum();
        averages.push((total as f64 / 6.0).round() as usize);
    }
    assert_eq!(&averages[..2], &[30, 13], "2014 and 2015: {averages:?}");
    if years::own_scheme::RECORDED {
        assert_eq!(averages, [30, 13, 8, 5]);
    } else {
        // Without the county's local indicators: 44 and 26 city indicators over six sections.
        assert_eq!(averages, [30, 13, 7, 4]);
    }
}

#[test]
fn every_month_is_final_as_planned_and_every_county_loses_points() {
    let recorded = recorded();
    let plan = &recorded.years.plan;
    for year in years::YEARS {
        let mut categories: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut indicators: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for month in years::months_of(year) {
            let text = format!("{year}-{month:02}");
            let view = match (year, month) {
                (2017, 7) => View::provisional(AsOf::Latest),
                _ => AsOf::Latest.into(),
            };
            let standings = standings(&recorded.read_models, &text, view);
            assert_eq!(standings.len(), 12);
            for (county, (_, _, score)) in &standings {
                assert_eq!(*score, plan.final_of(year, county, month), "{county} {text}");
            }
            for county in years::counties() {
                let traces = recorded.read_models.trace(&unit(&county), period(&text), view).unwrap().value.traces;
                assert_eq!(traces.len(), 1, "{county} {text}");
                let trace = &traces[0];
                assert!(trace.raw < trace.points_max_total, "{county} loses points in {text}");
                let deductions: Vec<_> = trace
                    .indicators
                    .iter()
                    .flat_map(|indicator| &indicator.lines)
                    .filter_map(|line| match line {
                        TraceLine::Deduction(line) => Some(line),
                        _ => None,
                    })
                    .collect();
                let charged = trace.indicators.iter().flat_map(|indicator| &indicator.relieved);
                assert!(!deductions.is_empty() || charged.count() > 0, "{county} has a deduction in {text}");
                for line in deductions {
                    categories.entry(county.clone()).or_default().insert(line.problem_category.to_string());
                    indicators.entry(county.clone()).or_default().insert(line.indicator.to_string());
                }
            }
        }
        for county in years::counties() {
            let (categories, indicators) = (&categories[&county], &indicators[&county]);
            assert!(categories.len() >= 4, "{county} {year}: varied categories {categories:?}");
            assert!(indicators.len() >= 8, "{county} {year}: varied indicators {indicators:?}");
        }
    }
}

#[test]
fn june_2016_the_half_year_report_deduction_and_its_appeal() {
    let recorded = recorded();
    let read_models = &recorded.read_models;
    let plan = &recorded.years.plan;
    let june = "2016-06";
    let published = View { as_of: AsOf::EndOfDay { year: 2016, month: 7, day: 12 }, counting: Counting::Published };
    let then = standings(read_models, june, published);
    assert_eq!(then[SUBJECT].2, plan.subject_june_2016_as_published(), "YS07 as published on 07-12");
    assert!(then[SUBJECT].2 < then["YS12"].2, "below YS12 as published: {then:?}");
    let now = standings(read_models, june, AsOf::Latest.into());
    assert_eq!(now[SUBJECT].2, plan.final_of(2016, SUBJECT, 6));
    assert!(now[SUBJECT].2 > now["YS12"].2, "above YS12 once the appeal restored a point: {now:?}");
    assert!(now[SUBJECT].2 > then[SUBJECT].2, "the appeal raised YS07's final");

    // The office carries the point: attributed, rectified, appealed, one point restored.
    let traces = read_models.trace(&unit("YS07-BGS"), period(june), AsOf::Latest).unwrap().value.traces;
    let charge = traces[0].charges.iter().find(|charge| charge.indicator.as_str() == "ZG-04").expect("the charge");
    assert_eq!((charge.points, charge.restored, charge.amount), (Points(200), Points(100), Points(100)));
    assert_eq!(charge.problem_category.as_str(), "document_filing");
    assert_eq!(charge.charged_to.as_ref().map(|unit| unit.as_str()), Some("YS07-BGS"));
    assert_eq!(charge.attributions.len(), 1);
    assert!(charge.attributions[0].standing);
    assert_eq!(charge.rectifications.len(), 1);
    assert_eq!(charge.appeals.len(), 1);
    assert_eq!(charge.evidence_digests.len(), 1);
    assert_eq!(charge.evidence_digests[0].as_str(), years::digest(years::RETURNED_FILING));

    // Finalised on 07-25, once the escalation window of the 07-19 decision had closed.
    let status_on = |day: u8| {
        let as_of = AsOf::EndOfDay { year: 2016, month: 7, day };
        read_models
            .with_projection(as_of, |projection| {
                let scheme = SchemeId::new("YS-2016").unwrap();
                projection.facts().schemes[&scheme].periods[&period(june)].status
            })
            .unwrap()
            .1
    };
    assert_eq!(status_on(12), PeriodStatus::Published);
    assert_eq!(status_on(24), PeriodStatus::Published);
    assert_eq!(status_on(25), PeriodStatus::Final);
}

#[test]
fn on_the_articles_day_2017_is_final_to_june_july_is_provisional_and_august_is_empty() {
    let recorded = recorded();
    let read_models = &recorded.read_models;
    let (_, periods) = read_models
        .with_projection(AsOf::Latest, |projection| {
            let scheme = &projection.facts().schemes[&SchemeId::new("YS-2017").unwrap()];
            let statuses: Vec<(String, PeriodStatus)> =
                scheme.periods.iter().map(|(period, facts)| (period.to_string(), facts.status)).collect();
            let august = scheme.assessments.get(&period("2017-08")).map_or(0, |units| units.len());
            (statuses, august)
        })
        .unwrap();
    let (statuses, august_assessed) = periods;
    let mut expected: Vec<(String, PeriodStatus)> =
        (1..=6).map(|month| (format!("2017-{month:02}"), PeriodStatus::Final)).collect();
    expected.push(("2017-07".into(), PeriodStatus::Open));
    expected.push(("2017-08".into(), PeriodStatus::Open));
    assert_eq!(statuses, expected);
    assert_eq!(august_assessed, 0, "nothing recorded for August");

    // June is final. July, asked alone, is answered but marked provisional (its month is open); in
    // the roll-ups it counts only when provisional figures are asked for. August has nothing to rank.
    let ranking = |text: &str, view: View| read_models.ranking(&counties_of(SUBJECT), period(text), view);
    let june = ranking("2017-06", AsOf::Latest.into()).unwrap().value;
    assert_eq!((june.standings.len(), june.provisional_periods.len()), (12, 0));
    let july = ranking("2017-07", AsOf::Latest.into()).unwrap().value;
    assert_eq!(july.standings.len(), 12);
    assert_eq!(july.provisional_periods, vec![period("2017-07")], "July is provisional");
    match ranking("2017-Q3", AsOf::Latest.into()) {
        Ok(answer) => assert!(answer.value.standings.is_empty(), "Q3 published: {:?}", answer.value.standings),
        Err(error) => assert!(matches!(error, QueryError::NotFound { .. }), "{error}"),
    }
    let q3 = ranking("2017-Q3", View::provisional(AsOf::Latest)).unwrap().value;
    assert_eq!(q3.standings.len(), 12);
    assert_eq!(q3.provisional_periods, vec![period("2017-07")]);
    let plan = &recorded.years.plan;
    let year_published = standings(read_models, "2017", AsOf::Latest.into());
    let year_provisional = standings(read_models, "2017", View::provisional(AsOf::Latest));
    for county in years::counties() {
        assert_eq!(year_published[&county].2, plan.mean_of(2017, &county, 1..=6), "{county}: January to June");
        assert_eq!(year_provisional[&county].2, plan.mean_of(2017, &county, 1..=7), "{county}: and July");
    }
    for view in [AsOf::Latest.into(), View::provisional(AsOf::Latest)] {
        match ranking("2017-08", view) {
            Ok(answer) => assert!(answer.value.standings.is_empty(), "August: {:?}", answer.value.standings),
            Err(error) => assert!(matches!(error, QueryError::NotFound { .. }), "{error}"),
        }
    }
    let last = recorded.years.live.last().unwrap().context.now;
    assert!(last < years::now());
}

/// The demo's persons are registered (through the history import) with their names sealed under their
/// own keys — no event holds a section chief's name in clear — and read in clear through the service's
/// keys.
#[test]
fn persons_are_registered_with_sealed_names_and_read_in_clear() {
    let recorded = recorded();
    let ledger = recorded.service.ledger();
    let mut registrations = 0;
    for stored in ledger.read_range(1, usize::MAX).unwrap() {
        for (_, name, _) in kpi_testkit::story::PERSONS {
            assert!(!stored.body.contains(name), "event {} holds {name} in clear", stored.seq);
        }
        if stored.event_type().as_deref() == Some("PersonRegistered") {
            assert!(stored.body.contains("\"schema_version\":2") && stored.body.contains("ciphertext"));
            registrations += 1;
        }
    }
    let keys = recorded.service.person_keys();
    assert_eq!(keys.len(), registrations - 1, "one key per person, but for the one erased");
    let persons = recorded
        .read_models
        .persons(&kpi_ledger::service::queries::Reader::Local, &unit(SUBJECT), AsOf::Latest, keys)
        .unwrap();
    let names: BTreeMap<String, String> =
        persons.value.persons.iter().map(|listing| (listing.person.to_string(), listing.name.to_string())).collect();
    for (person, name, _) in kpi_testkit::story::PERSONS {
        assert_eq!(names.get(person).map(String::as_str), Some(name), "{person}");
    }
}

/// Every personal text the story recorded — names, weekly records and their comments, reviews'
/// comments, grades' and personal assessments' reasons — is in the chain sealed, never in clear
/// (docs/RULES.md §15.12), and each kind of them occurs.
#[test]
fn every_personal_text_in_the_story_is_sealed() {
    let recorded = recorded();
    let ledger = recorded.service.ledger();
    let mut fields = BTreeSet::new();
    ledger
        .for_each_record(1, ledger.head().seq, |seq, record| {
            let event = kpi_ledger::chain::decode(seq, &record).unwrap().event;
            if let Some((person, field, text)) = event.personal_text() {
                assert!(text.is_sealed(), "event {seq}: {} of {person} in clear", field.as_str());
                fields.insert(field.as_str());
            }
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    let expected = [
        "GradeRecorded.reason",
        "PersonRegistered.name",
        "PersonReviewed.comment",
        "PersonalIndicatorAssessed.reason",
        "WeeklyRecordCommented.comment",
        "WeeklyRecordFiled.text",
    ];
    assert_eq!(fields, BTreeSet::from(expected));
}

// ---- YS07's own scheme, its staff, their grades and the use of results (docs/RULES.md §14, §15) ----

fn own_2016() -> SchemeId {
    SchemeId::new("YS07-2016").unwrap()
}

fn the_year() -> PeriodId {
    period("2016")
}

/// YS07's sections ranked among themselves in its own scheme.
fn own_sections() -> RankingScope {
    RankingScope::Group { scheme: own_2016(), function_code: None }
}

#[test]
fn ys07s_own_scheme_is_assessed_and_published_month_by_month_after_the_city() {
    let recorded = recorded();
    let read_models = &recorded.read_models;
    let (_, months) = read_models
        .with_projection(AsOf::Latest, |projection| {
            let facts = projection.facts();
            let (own, city) = (&facts.schemes[&own_2016()], &facts.schemes[&SchemeId::new("YS-2016").unwrap()]);
            (1..=12u8)
                .map(|month| {
                    let month = period(&format!("2016-{month:02}"));
                    let assessed = own.assessments.get(&month).cloned().unwrap_or_default();
                    let deductions: Vec<_> = assessed
                        .values()
                        .flat_map(|assessment| assessment.deductions.values().flatten())
                        .map(|id| facts.deductions[id].clone())
                        .collect();
                    let window_award = assessed
                        .get(&unit("YS07-NFG"))
                        .and_then(|assessment| assessment.tier_awards.get(&kpi_testkit::story::indicator("NF-L01")))
                        .map(|id| facts.tier_awards[id].clone());
                    (month, own.periods[&month].clone(), city.periods[&month].clone(), deductions, window_award)
                })
                .collect::<Vec<_>>()
        })
        .unwrap();
    let mut deductions = 0;
    for (month, county, city, found, window_award) in months {
        assert_eq!(county.status, PeriodStatus::Final, "{month}");
        assert!(county.published_at > city.published_at, "{month}: the county publishes after the city");
        let award = window_award.unwrap_or_else(|| panic!("{month}: the service-window tier is awarded"));
        assert_eq!(award.event.actor_id, "office.ys07", "{month}: by YS07's own office");
        for deduction in &found {
            assert_eq!(deduction.event.actor_id, "office.ys07", "{month}");
            assert!(!deduction.recorded.reason.is_empty(), "{month}: a reason");
            assert!(deduction.recorded.unit.as_str().starts_with("YS07-"), "{month}: on a section");
            let category = deduction.recorded.problem_category.as_str();
            let indicator = years::own_scheme::local_indicators(2016)
                .find(|local| local.code == deduction.recorded.indicator.as_str())
                .expect("a local indicator");
            assert!(indicator.categories.contains(&category), "{month}: {category} is one of its categories");
        }
        deductions += found.len();
        let ranking = read_models.ranking(&own_sections(), month, AsOf::Latest).unwrap().value;
        assert_eq!(ranking.standings.len(), 6, "{month}: every section ranked: {:?}", ranking.unranked);
    }
    assert!(deductions >= 12, "{deductions} deductions in the county's scheme in 2016");

    // Published month by month in 2016, final only once the staff's weekly records were in.
    let at_new_year = AsOf::EndOfDay { year: 2016, month: 12, day: 31 };
    let (_, statuses) = read_models
        .with_projection(at_new_year, |projection| {
            let own = &projection.facts().schemes[&own_2016()];
            own.periods.iter().map(|(month, facts)| (month.to_string(), facts.status)).collect::<Vec<_>>()
        })
        .unwrap();
    let published: Vec<&str> =
        statuses.iter().filter(|(_, status)| *status == PeriodStatus::Published).map(|(m, _)| m.as_str()).collect();
    assert_eq!(published.len(), 11, "January to November published by the year's end: {statuses:?}");
}

#[test]
fn thirty_six_staff_write_a_record_for_almost_every_week_of_2016() {
    let recorded = recorded();
    let keys = recorded.service.person_keys();
    let reader = kpi_ledger::service::queries::Reader::Local;
    let persons = recorded.read_models.persons(&reader, &unit(SUBJECT), AsOf::Latest, keys).unwrap().value;
    let in_sections = persons.persons.iter().filter(|listing| listing.unit.as_ref() != Some(&unit(SUBJECT))).count();
    assert!(in_sections >= 35, "{in_sections} staff in YS07's sections");

    let (mut missing, mut chiefs_comments, mut leaders_comments) = (0, 0, 0);
    for member in years::staff::members() {
        let person = kpi_testkit::story::person(member.person);
        let records = recorded.read_models.weekly_records(&person, the_year(), AsOf::Latest, keys).unwrap().value;
        assert_eq!(records.weeks.len(), 52, "{}: the ISO weeks of 2016", member.person);
        assert_eq!(records.filed as usize + records.missing.len(), 52, "{}", member.person);
        assert_eq!(records.missing, years::staff::missing_weeks(&member), "{}", member.person);
        missing += records.missing.len();
        for week in records.weeks.iter().filter(|week| week.text.is_some()) {
            assert!(!week.text.as_ref().unwrap().to_string().is_empty(), "{} {}: a text", member.person, week.week);
            for comment in &week.comments {
                match comment.leader.as_str() {
                    "leader.ys07" => leaders_comments += 1,
                    _ => chiefs_comments += 1,
                }
            }
        }
        let reviews = recorded.read_models.person_reviews(&person, the_year(), AsOf::Latest, keys).unwrap().value;
        assert_eq!(reviews.quarters.len(), 4, "{}: reviewed each quarter", member.person);
        for quarter in &reviews.quarters {
            let leaders = if member.is_chief() { 1 } else { 2 };
            assert_eq!(
                quarter.reviews.len(),
                leaders,
                "{} {}: chief and leader in charge",
                member.person,
                quarter.quarter
            );
            assert!(quarter.review_score.is_some());
        }
    }
    assert!((6..=52).contains(&missing), "a few weeks missing: {missing}");
    assert!(
        chiefs_comments >= 100 && leaders_comments >= 36,
        "comments: {chiefs_comments} by chiefs, {leaders_comments}"
    );
}

#[test]
fn seven_are_graded_excellent_all_in_the_first_tier_and_within_the_quota() {
    let recorded = recorded();
    let keys = recorded.service.person_keys();
    let county = unit(SUBJECT);
    let grades = recorded.read_models.grades(&county, the_year(), AsOf::Latest, keys).unwrap().value;
    assert_eq!((grades.participants, grades.excellent_quota, grades.excellent_graded), (36, 7, 7));
    assert_eq!(grades.grades.len(), 36, "every participant graded");
    assert_eq!(grades.basis_changed, 0, "no grade rests on a basis that changed");
    let ranking = recorded.read_models.individual_ranking(&county, the_year(), AsOf::Latest, keys).unwrap().value;
    let excellent: BTreeSet<String> = years::staff::excellent().map(|member| member.person.to_owned()).collect();
    let mut graded_excellent = BTreeSet::new();
    for line in &grades.grades {
        let standing = ranking.standing(&line.person).expect("ranked");
        match line.grade.as_str() {
            "excellent" => {
                assert_eq!(line.recorded_basis.tier, Some(1), "{}: in tier 1 when graded", line.person);
                assert_eq!(standing.tier, 1, "{}: and now", line.person);
                graded_excellent.insert(line.person.to_string());
            }
            "basically_competent" => {
                let reason = line.reason.as_ref().and_then(|reason| reason.plain()).expect("the reason, opened");
                assert!(!reason.is_empty(), "{}: a reason", line.person);
                // Recorded sealed under the person's key: the stored event holds no plain reason.
                let stored = recorded.service.ledger().event_at(line.event.seq).unwrap().unwrap();
                let body: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
                assert_eq!(body["schema_version"], 2, "{body}");
                assert!(body["data"]["reason"]["ciphertext"].is_string(), "{body}");
                assert!(!stored.body.contains(reason), "{}: the reason is not in the event", line.person);
            }
            grade => assert_eq!(grade, "competent", "{}", line.person),
        }
    }
    assert_eq!(graded_excellent, excellent);
    let basically: Vec<_> = grades.grades.iter().filter(|line| line.grade.as_str() == "basically_competent").collect();
    assert_eq!(basically.len(), 1);
}

#[test]
fn uses_of_results_cite_their_view_and_position_and_one_basis_changed() {
    let recorded = recorded();
    let filter = kpi_ledger::service::people::ResultUseFilter { unit: Some(unit(SUBJECT)), ..Default::default() };
    let reader = kpi_ledger::service::queries::Reader::Local;
    let uses = recorded.read_models.result_uses(&reader, &filter, AsOf::Latest).unwrap().value;
    let ledger = recorded.service.ledger();
    for line in &uses.uses {
        assert!(line.read_at.seq < line.event.seq, "read before it was recorded");
        let read = ledger.event_at(line.read_at.seq).unwrap().expect("the position is in the chain");
        assert_eq!(read.hash, line.read_at.hash, "the head hash at that position");
    }
    let on_individual_ranking = |kind: &str, person: &str| {
        uses.uses.iter().any(|line| {
            line.kind.as_str() == kind
                && line.subject.to_string() == format!("person {person}")
                && line.view.to_string() == "the individual ranking of YS07 2016"
                && !line.basis.basis_changed
        })
    };
    for member in years::staff::excellent() {
        assert!(on_individual_ranking("praise_notice", member.person), "{}: praised", member.person);
        assert!(on_individual_ranking("honour", member.person), "{}: commended", member.person);
    }
    assert_eq!(uses.basis_changed, 1, "one use rests on a basis that changed");
    let changed = uses.uses.iter().find(|line| line.basis.basis_changed).unwrap();
    let (section, month) = years::own_scheme::CRITICISM;
    assert_eq!(changed.kind.as_str(), "criticism_notice");
    assert_eq!(changed.subject.to_string(), format!("unit {section}"));
    assert_eq!(changed.view.to_string(), format!("the ranking of YS07-2016 {month}"));
    let (then, now) = (changed.basis.at_read.unwrap(), changed.basis.now.unwrap());
    assert_eq!((then.rank, then.tier), (6, 3), "last when the bulletin criticised it");
    assert!(now.tier < 3 && !changed.basis.holds_now, "no longer last: {now:?}");
    let events: Vec<&str> = changed.basis.changes.iter().map(|change| change.event.event_type.as_str()).collect();
    assert_eq!(events, ["AppealDecided"], "the county's reviewer upheld the section's appeal");

    // The month the bulletin rests on was published by YS07's committee before the use was recorded.
    let ranking =
        recorded.read_models.ranking(&own_sections(), period(month), AsOf::Seq(changed.read_at.seq)).unwrap().value;
    assert!(ranking.provisional_periods.is_empty(), "published when read");
    assert_eq!(ranking.standing(&unit(section)).map(|standing| standing.tier), Some(3));
}

/// The demo's printed story, as a user sees it (the binary run once, shared with the command-line
/// tests).
fn demo_output() -> &'static str {
    &crate::demo_run::demo().2
}

#[test]
fn the_demo_prints_the_countys_sections_a_scorecard_the_grades_and_the_changed_basis() {
    let text = demo_output();
    let line_of = |needle: &str| -> &str {
        text.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("{needle}:\n{text}"))
    };
    let (section, month) = years::own_scheme::CRITICISM;
    let heading = line_of(&format!("ranking of YS07-2016 assessed units, {month}"));
    let ranked: Vec<&str> =
        text.lines().skip_while(|line| *line != heading).skip(2).take_while(|line| line.contains("YS07-")).collect();
    assert_eq!(ranked.len(), 6, "YS07's six sections ranked:\n{text}");

    let scorecard = line_of(&format!("scorecard of {}", years::staff::SCORECARD_PERSON));
    assert!(scorecard.contains(", 2016 ("), "{scorecard}");
    for quarter in ["2016-Q1", "2016-Q2", "2016-Q3", "2016-Q4"] {
        assert!(line_of(&format!("  {quarter}  YS07-ZGU")).contains("20/40/40"), "{quarter}");
    }
    let place = line_of("  individual ranking of YS07 2016: rank ");
    assert!(place.contains("tier 1 of 36 participants"), "{place}");
    assert!(line_of("  annual grade ").contains("优秀"));

    let register = line_of("annual grades of YS07 2016:");
    assert!(register.contains("36 participants, 优秀 quota 7; 7 优秀, 28 称职, 1 基本称职"), "{register}");
    let rows: Vec<&str> =
        text.lines().skip_while(|line| *line != register).skip(2).take_while(|line| !line.is_empty()).collect();
    for member in years::staff::excellent() {
        let row = rows
            .iter()
            .find(|row| row.contains(member.person))
            .unwrap_or_else(|| panic!("{}: {rows:?}", member.person));
        assert!(row.contains("优秀") && row.contains(member.name), "{row}");
    }

    let heading = format!("criticism_notice unit {section} on ");
    let changed = line_of(&heading);
    assert!(changed.contains(&format!("the ranking of YS07-2016 {month}")) && changed.contains("then rank 6 tier 3"));
    let changed_by = text
        .lines()
        .skip_while(|line| !line.contains(&heading))
        .find(|line| line.starts_with("      event "))
        .expect("a changing event");
    assert!(changed_by.contains("AppealDecided by reviewer.ys07"), "{changed_by}");
}

/// One member of YS07's staff left and was erased in March 2017: the erasure is an event of its own,
/// their name reads as erased while every other name reads in clear, their key is gone, their 2016
/// grade still stands, and the chain verifies.
#[test]
fn one_member_who_left_is_erased_and_everything_else_stands() {
    let recorded = recorded();
    let erased = years::staff::erased();
    let ledger = recorded.service.ledger();
    let mut erasures = Vec::new();
    let mut from = 1;
    while from <= ledger.head().seq {
        let page = ledger.read_range(from, usize::MAX).unwrap();
        from = page.last().unwrap().seq + 1;
        erasures.extend(
            page.into_iter()
                .filter(|stored| stored.event_type().as_deref() == Some("PersonErased"))
                .map(|stored| stored.body),
        );
    }
    assert_eq!(erasures.len(), 1, "one erasure");
    assert!(erasures[0].contains(erased.person) && erasures[0].contains(years::staff::ERASURE_LEGAL_BASIS));
    let keys = recorded.service.person_keys();
    let persons = recorded
        .read_models
        .persons(&kpi_ledger::service::queries::Reader::Local, &unit(SUBJECT), AsOf::Latest, keys)
        .unwrap();
    let listing = |person: &str| {
        persons.value.persons.iter().find(|listing| listing.person.to_string() == person).expect("listed")
    };
    let gone = serde_json::to_value(listing(erased.person)).unwrap();
    assert_eq!(gone["erased"], true, "{gone}");
    assert!(!gone.to_string().contains(erased.name), "the name is gone: {gone}");
    let kept = years::staff::members().into_iter().find(|member| member.person != erased.person).unwrap();
    assert_eq!(listing(kept.person).name.to_string(), kept.name, "the others read in clear");
    let grades = recorded.read_models.grades(&unit(SUBJECT), the_year(), AsOf::Latest, keys).unwrap();
    let graded = serde_json::to_string(&grades.value).unwrap();
    assert!(graded.contains(erased.person), "the erased member's 2016 grade still stands");
    ledger.verify(&|_| {}).expect("the chain verifies after the erasure");
}
