//! The article's years as the demo records them (issue "rules as a bureau lives them", item 7):
//! 2014–2016 brought in through the history import, one file per scheme year, as the city's admin on
//! 2017-01-19; then 2017 lived through the service on a simulated clock up to 2017-08-10. The tests
//! check the article's claims against the ledger's own answers — rankings with tiers, the tie, the
//! indicator counts, the June 2016 story, every month's final, how each event came in — and hold them
//! to the plan only where the plan is the ledger's to match.
//!
//! The years are recorded once (about 11,000 events, some 3 s in debug on two cores), in a `OnceLock`
//! the tests of this module share.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use kpi_ledger::article::years::{self, Years, SUBJECT};
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::{PeriodId, Points, SchemeId, UnitCode};
use kpi_ledger::projection::trace::TraceLine;
use kpi_ledger::projection::{AsOf, Counting};
use kpi_ledger::service::history::HistoryImported;
use kpi_ledger::service::queries::{QueryError, RankingScope, View};
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::{CommandOptions, ManualClock, PendingCommand, SeededIds, Service};
use kpi_ledger::store::Ledger;
use serde_json::Value;

/// The recorded years, shared by the tests of this module.
struct Recorded {
    _dir: tempfile::TempDir,
    service: Service,
    read_models: ReadModels,
    years: Years,
    /// One per history year, in order.
    imported: Vec<HistoryImported>,
    /// The history files as imported, by year.
    files: Vec<(i32, String)>,
    /// The sequence numbers of the live steps' events.
    live: (u64, u64),
}

fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(record)
}

/// Records `years()` as the demo does: each history year's file imported by the city's admin at
/// `imported_at()`, then every live step submitted at its own time (pipelined, as the demo does).
fn record() -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new("kpi-ledger demo"))).unwrap();
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
    let read_models = service.records().read_models().unwrap();
    Recorded { _dir: dir, service, read_models, years, imported, files, live: (first_live, last_live) }
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
    for ((year, file), imported) in recorded.files.iter().zip(&recorded.imported) {
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
