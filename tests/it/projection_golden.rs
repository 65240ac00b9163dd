//! Golden tests of the projections on the fixture (extended with the other counties' scores
//! and the rest of 2017 in `common/projection_fixture.rs`): YS07 in tier 3 for Q1–Q3 and tier 2 for
//! the year; the Q2 tie; ZGU's repeat flag in April; the half-year report's point charged to the
//! office (BGS), not to personnel (政工股), with the county's own score unchanged; the appeal restoring
//! one point; replay as of the publication day; the ranking diff explained event by event.
//!
//! Invariant guarded: the projections tell the article's story exactly as docs/RULES.md computes it.

use crate::projection_fixture;

use std::sync::OnceLock;

use kpi_ledger::domain::{FunctionCode, PeriodId, Points, ProblemCategory, Timestamp, UnitCode};
use kpi_ledger::projection::replay::{as_of_seq, seq_at_instant};
use kpi_ledger::projection::{
    AsOf, CriticismReason, LossCategory, PeerGroup, Projection, Recorded, Replay, Standing, TraceLine,
};
use kpi_testkit::story::{self as fixture, at, indicator, period, unit, Step};
use projection_fixture::{extended_events, extended_story, seq_of};

struct Story {
    steps: Vec<Step>,
    events: Vec<Recorded>,
    replay: Replay,
}

fn story() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| {
        let steps = extended_story();
        let events = extended_events();
        let replay = Replay::from_events(events.clone(), 128).expect("the fixture chains");
        Story { steps, events, replay }
    })
}

fn latest() -> &'static Projection {
    story().replay.current()
}

/// The projection just before (`after: false`) or just after the step with `label`.
fn around(label: &str, after: bool) -> Projection {
    let seq = seq_of(&story().steps, label);
    story().replay.as_of(AsOf::Seq(if after { seq } else { seq - 1 }))
}

fn ys07() -> UnitCode {
    unit(fixture::SUBJECT_COUNTY)
}

fn counties() -> PeerGroup {
    PeerGroup { scheme: fixture::scheme(), function_code: None }
}

fn function_group(code: &str) -> PeerGroup {
    PeerGroup { scheme: fixture::scheme(), function_code: Some(FunctionCode::new(code).unwrap()) }
}

fn final_score(projection: &Projection, unit_code: &str, period_text: &str) -> Points {
    projection.scorecard(&unit(unit_code), period(period_text)).and_then(|card| card.final_score).expect("ranked")
}

#[test]
fn ys07_sits_in_tier_3_for_three_quarters_and_rises_to_tier_2_for_the_year() {
    let expected = [("2017-Q1", 9852, 10, 3), ("2017-Q2", 9797, 10, 3), ("2017-Q3", 9870, 10, 3), ("2017", 9880, 6, 2)];
    for (period_text, final_expected, rank, tier) in expected {
        let ranking = latest().ranking(&counties(), period(period_text)).expect("a ranking");
        let standing = ranking.standing(&ys07()).expect("YS07 is ranked");
        assert_eq!(ranking.standings.len(), 12, "{period_text}");
        assert_eq!(
            (standing.final_score, standing.rank, standing.tier),
            (Points(final_expected), rank, tier),
            "{period_text}"
        );
    }
    let vertical = latest().vertical(&ys07(), &["2017-Q1", "2017-Q2", "2017-Q3", "2017-Q4"].map(period));
    let tiers: Vec<_> = vertical.rows.iter().map(|row| row.tier).collect();
    assert_eq!(tiers, vec![Some(3), Some(3), Some(3), Some(1)]);
    assert_eq!(vertical.rows[3].tier_change, Some(-2));
    assert_eq!(vertical.rows[1].score_change, Some(Points(9797 - 9852)));
}

#[test]
fn the_monthly_scores_follow_the_story() {
    let months = [9870, 9870, 9815, 9815, 9870, 9707, 9870, 9870, 9870, 10000, 10000, 10000];
    for (index, expected) in months.iter().enumerate() {
        let text = format!("2017-{:02}", index + 1);
        assert_eq!(final_score(latest(), "YS07", &text), Points(*expected), "{text}");
    }
    let june = latest().scorecard(&ys07(), period("2017-06")).unwrap();
    assert_eq!((june.points_max_total, june.raw, june.normalized), (Points(9200), Points(8930), Some(Points(9707))));
    let revenue = june.indicators.iter().find(|line| line.indicator == indicator("ZGU-02")).unwrap();
    assert_eq!((revenue.points_max, revenue.score, revenue.unassessed), (Points(600), Points(480), false));
    let year = latest().scorecard(&ys07(), period("2017")).unwrap();
    assert_eq!(year.base_periods.len(), 12);
}

#[test]
fn the_q2_tie_shares_a_rank_and_the_next_rank_is_skipped() {
    let ranking = latest().ranking(&counties(), period("2017-Q2")).unwrap();
    let listed: Vec<(&str, i64, u32, u32)> = ranking
        .standings
        .iter()
        .map(|standing| (standing.unit.as_str(), standing.final_score.hundredths(), standing.rank, standing.tier))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("YS01", 9990, 1, 1),
            ("YS02", 9980, 2, 1),
            ("YS03", 9970, 3, 1),
            ("YS04", 9950, 4, 1),
            ("YS05", 9950, 4, 1),
            ("YS06", 9930, 6, 2),
            ("YS08", 9920, 7, 2),
            ("YS09", 9910, 8, 2),
            ("YS10", 9900, 9, 2),
            ("YS07", 9797, 10, 3),
            ("YS11", 9750, 11, 3),
            ("YS12", 9700, 12, 3),
        ]
    );
    assert_eq!(ranking.in_tier(1).count(), 5, "the tie across places 4–5 takes the better tier");
}

#[test]
fn zgu_is_flagged_for_a_repeat_problem_in_april() {
    let section = unit("YS07-ZGU");
    assert!(latest().repeat_problems(&section, period("2017-03")).is_empty(), "March is the first time");
    let april = latest().repeat_problems(&section, period("2017-04"));
    assert_eq!(april.len(), 1);
    assert_eq!(april[0].problem_category, ProblemCategory::new("registration_data_quality").unwrap());
    assert!(april[0].consecutive);
    assert_eq!(april[0].periods_with_deductions, vec![period("2017-03"), period("2017-04")]);
    let june = latest().repeat_problems(&section, period("2017-06"));
    assert!(june.len() == 1 && june[0].in_window && !june[0].consecutive, "3 of the 6 months to June: {june:?}");
    let first_half: Vec<PeriodId> = (1..=6).map(|month| PeriodId::month(2017, month).unwrap()).collect();
    let vertical = latest().vertical_over(&section, &first_half);
    let flagged: Vec<PeriodId> =
        vertical.rows.iter().filter(|row| !row.repeat_problems.is_empty()).map(|row| row.period).collect();
    assert_eq!(flagged, vec![period("2017-04"), period("2017-06")]);
    let notices = latest().notices(&function_group("ZGU"), period("2017-04")).unwrap();
    let criticised = notices.criticism.iter().find(|criticism| criticism.unit == section).expect("ZGU is named");
    assert!(criticised.reasons.iter().any(|reason| matches!(reason, CriticismReason::RepeatProblem { .. })));
}

#[test]
fn the_half_year_report_point_is_charged_to_the_office_not_to_personnel() {
    let june = period("2017-06");
    let office_trace = latest().trace(&unit("YS07-BGS"), june).unwrap();
    assert_eq!(office_trace.charges.len(), 1);
    let charge = &office_trace.charges[0];
    assert_eq!((charge.indicator.as_str(), charge.amount), ("ZG-04", Points(100)));
    assert_eq!(charge.charged_to, Some(unit("YS07-BGS")));
    assert_eq!(charge.attributions.last().unwrap().cause_unit, unit("YS07-BGS"));
    assert_eq!(charge.rectifications.len(), 1);
    assert_eq!(charge.rectifications[0].evidence_digests.len(), 2);
    assert!(office_trace.reconciles());
    let office_card = latest().scorecard(&unit("YS07-BGS"), june).unwrap();
    assert_eq!(
        (office_card.points_max_total, office_card.charges, office_card.raw),
        (Points(2700), Points(100), Points(2600))
    );

    let personnel = latest().trace(&unit("YS07-ZGG"), june).unwrap();
    let report = personnel.indicators.iter().find(|line| line.indicator == indicator("ZG-04")).unwrap();
    assert_eq!((report.score, report.lines.len(), report.relieved.len()), (Points(200), 0, 1));
    assert_eq!(final_score(latest(), "YS07-ZGG", "2017-06"), Points(10_000));

    let before = around(fixture::LABEL_ATTRIBUTION, false);
    let after = around(fixture::LABEL_ATTRIBUTION, true);
    assert_eq!(before.scorecard(&ys07(), june), after.scorecard(&ys07(), june), "blame moved inside the county");
    assert_eq!(final_score(&before, "YS07-ZGG", "2017-06"), Points(8824), "ZG-04 lost 2 of ZGG's 17 points");
    assert_eq!(final_score(&after, "YS07-BGS", "2017-06"), Points(9259), "BGS carries 2 of its 27 points");
}

#[test]
fn the_appeal_restores_one_point() {
    let june = period("2017-06");
    let before = around(fixture::LABEL_DECISION, false);
    let after = around(fixture::LABEL_DECISION, true);
    assert_eq!(final_score(&before, "YS07", "2017-06"), Points(9598));
    assert_eq!(final_score(&after, "YS07", "2017-06"), Points(9707));
    let trace = latest().trace(&ys07(), june).unwrap();
    let report = trace.indicators.iter().find(|line| line.indicator == indicator("ZG-04")).unwrap();
    let TraceLine::Deduction(line) = &report.lines[0] else { panic!("a deduction line") };
    assert_eq!((line.points, line.restored, line.amount), (Points(200), Points(100), Points(100)));
    assert_eq!(line.charged_to, Some(unit("YS07-BGS")), "the county still lists it, marked as charged");
    assert_eq!(line.evidence_digests[0].as_str(), fixture::DIGEST_RETURNED_FILING);
    assert_eq!(line.event.actor_id, "assessor.ys.wang");
    assert_eq!(line.event.seq, seq_of(&story().steps, fixture::LABEL_DEDUCTION));
    assert_eq!(line.event.hash, story().events[line.event.seq as usize - 1].hash);
    let appeal = &line.appeals[0];
    assert_eq!((appeal.points_contested, appeal.points_restored), (Points(200), Points(100)));
    assert_eq!(appeal.decisions[0].event.recorded_at, at(7, 19, 16, 0));
    assert!(trace.reconciles());
    let horizontal = latest().horizontal(&ys07(), june).unwrap();
    let by_category: Vec<(LossCategory, i64)> =
        horizontal.lost_by_category.iter().map(|(category, points)| (category.clone(), points.hundredths())).collect();
    let problem = |text: &str| LossCategory::Problem(ProblemCategory::new(text).unwrap());
    assert_eq!(
        by_category,
        vec![
            (problem("document_filing"), 100),
            (problem("registration_data_quality"), 50),
            (LossCategory::TierShortfall, 120)
        ]
    );
    assert_eq!(horizontal.lost, Points(270));
}

#[test]
fn as_of_the_publication_day_the_ranking_is_the_one_published() {
    let published = Timestamp::from_civil(2017, 7, 12, 23, 59, 59).unwrap();
    let seq = seq_at_instant(&story().events, published);
    assert_eq!(seq, seq_of(&story().steps, fixture::LABEL_PUBLISH_JUNE));
    let then = story().replay.as_of(AsOf::Instant(published));
    assert_eq!(then, as_of_seq(&story().events, seq).unwrap(), "snapshots and a plain fold agree");
    assert_eq!(final_score(&then, "YS07", "2017-06"), Points(9598));
    let june = then.ranking(&counties(), period("2017-06")).unwrap();
    assert_eq!(june.standing(&ys07()).map(|standing| (standing.rank, standing.tier)), Some((12, 3)));
}

#[test]
fn the_ranking_diff_explains_the_moves_event_by_event() {
    let from = AsOf::Instant(Timestamp::from_civil(2017, 7, 12, 23, 59, 59).unwrap());
    let to = AsOf::Instant(Timestamp::from_civil(2017, 7, 20, 0, 0, 0).unwrap());
    let office = story().replay.ranking_diff(&function_group("BGS"), period("2017-06"), from, to);
    assert_eq!(office.changes.len(), 1, "{office:#?}");
    let change = &office.changes[0];
    assert_eq!(change.unit, unit("YS07-BGS"));
    let standing = |standing: &Option<Standing>| standing.as_ref().map(|s| (s.rank, s.tier));
    assert_eq!((standing(&change.before), standing(&change.after)), (Some((1, 1)), Some((12, 3))));
    let moves: Vec<(&str, Option<i64>)> =
        change.moves.iter().map(|m| (m.event.event_type.as_str(), m.final_after.map(|p| p.hundredths()))).collect();
    assert_eq!(moves, vec![("CauseAttributed", Some(9259)), ("AppealDecided", Some(9630))]);

    let personnel = story().replay.ranking_diff(&function_group("ZG"), period("2017-06"), to, from);
    assert_eq!(personnel.changes.len(), 1);
    assert_eq!(personnel.changes[0].unit, unit("YS07-ZGG"));
    assert_eq!(
        (standing(&personnel.changes[0].before), standing(&personnel.changes[0].after)),
        (Some((12, 3)), Some((1, 1)))
    );
    assert_eq!(personnel.changes[0].moves.len(), 1);
    assert_eq!(personnel.changes[0].moves[0].event.seq, seq_of(&story().steps, fixture::LABEL_ATTRIBUTION));
}

#[test]
fn indicator_load_per_section_follows_the_article() {
    let load: Vec<(String, usize)> = latest()
        .indicator_load_of_county(&ys07())
        .into_iter()
        .map(|load| (load.section.as_str().to_owned(), load.indicators))
        .collect();
    let expected =
        [("YS07-BGS", 13), ("YS07-FGG", 4), ("YS07-NFG", 6), ("YS07-SZG", 6), ("YS07-ZGG", 8), ("YS07-ZGU", 5)];
    assert_eq!(load, expected.map(|(section, count)| (section.to_owned(), count)).to_vec());
}

#[test]
fn the_appeal_queue_shows_the_open_appeal_and_when_it_is_overdue() {
    let filed = around(fixture::LABEL_APPEAL, true);
    let queue = filed.appeal_queue(at(7, 14, 10, 0));
    assert_eq!(queue.appeals.len(), 1);
    assert_eq!(queue.appeals[0].decision_due_at, at(7, 24, 9, 0));
    assert_eq!(queue.overdue().count(), 0);
    let late = filed.appeal_queue(Timestamp::from_civil(2017, 7, 25, 10, 0, 0).unwrap());
    assert_eq!((late.appeals[0].overdue, late.appeals[0].days_overdue), (true, 1));
    assert!(latest().appeal_queue(at(12, 31, 0, 0)).appeals.is_empty(), "decided on 07-19");
}

#[test]
fn notices_praise_tier_1_and_criticise_the_last_tier() {
    let notices = latest().notices(&counties(), period("2017-Q2")).unwrap();
    let praised: Vec<&str> = notices.praise.iter().map(|standing| standing.unit.as_str()).collect();
    assert_eq!(praised, vec!["YS01", "YS02", "YS03", "YS04", "YS05"]);
    let criticised: Vec<&str> = notices.criticism.iter().map(|criticism| criticism.unit.as_str()).collect();
    assert_eq!(criticised, vec!["YS07", "YS11", "YS12"]);
    assert!(notices.criticism[0].reasons.iter().any(|reason| matches!(reason, CriticismReason::RepeatProblem { .. })));
}

#[test]
fn every_trace_of_the_year_reconciles_and_matches_its_scorecard() {
    let projection = latest();
    let mut units: Vec<UnitCode> = projection.peer_group_members(&counties());
    for group in projection.peer_groups(&fixture::scheme()).into_iter().skip(1) {
        units.extend(projection.peer_group_members(&group));
    }
    assert_eq!(units.len(), 12 * 7);
    for code in &units {
        for month in 1..=12u8 {
            let month = PeriodId::month(2017, month).unwrap();
            let trace = projection.trace(code, month).expect("a trace");
            let card = projection.scorecard(code, month).expect("a card");
            assert!(trace.reconciles(), "{code} {month}: {trace:#?}");
            assert_eq!((trace.points_max_total, trace.raw), (card.points_max_total, card.raw), "{code} {month}");
        }
    }
}

/// Every object in a serialised trace that carries both a `seq` and a `hash` is an event citation.
fn citations_in(value: &serde_json::Value, seqs: &mut Vec<u64>) {
    match value {
        serde_json::Value::Object(object) => {
            if let (Some(seq), Some(_)) = (object.get("seq").and_then(|s| s.as_u64()), object.get("hash")) {
                seqs.push(seq);
            }
            object.values().for_each(|child| citations_in(child, seqs));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| citations_in(item, seqs)),
        _ => {}
    }
}

#[test]
fn a_trace_names_every_event_it_cites() {
    // `cited_seqs` walks the typed trace; the serialised trace shows every citation it must find, so
    // a new kind of line that cites an event and is forgotten there fails here.
    let projection = latest();
    let mut cited_somewhere = 0;
    for code in projection.peer_group_members(&counties()).iter().chain([&unit("YS07-BGS"), &unit("YS07-ZGG")]) {
        for month in 1..=12u8 {
            let trace = projection.trace(code, PeriodId::month(2017, month).unwrap()).expect("a trace");
            let mut expected = Vec::new();
            citations_in(&serde_json::to_value(&trace).unwrap(), &mut expected);
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(trace.cited_seqs(), expected, "{code} {month}");
            cited_somewhere += expected.len();
        }
    }
    assert!(cited_somewhere > 100, "the story's traces cite events: {cited_somewhere}");
}
