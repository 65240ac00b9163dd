//! Periods in the projections: a roll-up counts only published (or final) months unless provisional
//! figures are asked for, and then names the open months it counted; an opened month with nothing
//! recorded is no perfect month; a month asked about on its own is shown while open, marked
//! provisional; a ranking says how many unassessed tiered indicators it includes; a reopened month
//! still counts; a reassignment moves no earlier month between sections; publication moves roll-ups
//! in a ranking diff.
//!
//! Invariant guarded: what a bureau reads as its quarter or year stands on published months only,
//! and every answer that counts an open month says so.

use crate::harness;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::{FunctionCode, PeriodId, Points};
use kpi_ledger::projection::replay::ranking_diff;
use kpi_ledger::projection::{Counting, PeerGroup, Projection};
use kpi_testkit::story::{at, indicator, period, scheme, unit};

const JULY: &str = "2017-07";
const AUGUST: &str = "2017-08";

fn counties() -> PeerGroup {
    PeerGroup { scheme: scheme(), function_code: None }
}

fn sections(code: &str) -> PeerGroup {
    PeerGroup { scheme: scheme(), function_code: Some(FunctionCode::new(code).unwrap()) }
}

fn open(harness: &mut Harness, month: &str, day: u8) {
    let month_number: u8 = month[5..].parse().unwrap();
    harness.given(&admin(), at(month_number, day, 8, 0), OpenPeriod { scheme: scheme(), period: period(month) });
}

/// The world (four indicators worth 10.00 in all) with June published (YS07 lost 2.00 on ZG-04: 80.00;
/// YS08 full: 100.00), July open with YS07's 1.00 deduction (90.00 so far) and no tier award yet, and
/// August opened with nothing recorded.
fn june_published_july_under_way() -> Harness {
    let (mut harness, _) = world_with_deduction();
    open(&mut harness, JULY, 12);
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    let july = RecordDeduction { period: period(JULY), ..deduction(100) };
    harness.given(&assessor(), at(8, 3, 9, 0), july);
    open(&mut harness, AUGUST, 4);
    harness
}

fn projection(harness: &Harness) -> Projection {
    Projection::fold(&harness.events).expect("the harness chains")
}

fn final_of(projection: &Projection, unit_code: &str, period_text: &str, counting: Counting) -> Option<Points> {
    projection.scorecard_with(&unit(unit_code), period(period_text), counting).and_then(|card| card.final_score)
}

#[test]
fn a_roll_up_counts_only_published_months_unless_provisional_figures_are_asked_for() {
    let projection = projection(&june_published_july_under_way());
    // Published figures: the quarter of June stands on June; the third quarter has nothing published.
    let q2 = projection.scorecard(&unit("YS07"), period("2017-Q2")).unwrap();
    assert_eq!((q2.final_score, q2.base_periods.clone()), (Some(Points(8000)), vec![period(JUNE)]));
    assert!(q2.provisional_periods.is_empty());
    assert_eq!(final_of(&projection, "YS07", "2017-Q3", Counting::Published), None);
    let q3 = projection.ranking(&counties(), period("2017-Q3")).unwrap();
    assert!(q3.standings.is_empty() && q3.provisional_periods.is_empty(), "{q3:#?}");
    assert_eq!(q3.unranked, vec![unit("YS07"), unit("YS08")]);
    let year = projection.scorecard(&unit("YS07"), period("2017")).unwrap();
    assert_eq!((year.final_score, year.base_periods), (Some(Points(8000)), vec![period(JUNE)]));

    // Provisional figures: July counts with what is recorded so far, and is named.
    let q3 = projection.ranking_with(&counties(), period("2017-Q3"), Counting::Provisional).unwrap();
    let finals: Vec<(&str, i64)> = q3.standings.iter().map(|s| (s.unit.as_str(), s.final_score.hundredths())).collect();
    assert_eq!(finals, vec![("YS08", 10_000), ("YS07", 9000)]);
    assert_eq!(q3.provisional_periods, vec![period(JULY)]);
    let year = projection.scorecard_with(&unit("YS07"), period("2017"), Counting::Provisional).unwrap();
    // (8000 + 9000) / 2 = 8500; August, opened with nothing recorded, is no perfect month.
    assert_eq!(year.final_score, Some(Points(8500)));
    assert_eq!(year.base_periods, vec![period(JUNE), period(JULY)]);
    assert_eq!(year.provisional_periods, vec![period(JULY)]);
}

#[test]
fn an_opened_month_with_nothing_recorded_has_no_results() {
    let projection = projection(&june_published_july_under_way());
    for counting in [Counting::Published, Counting::Provisional] {
        assert_eq!(projection.scorecard_with(&unit("YS07"), period(AUGUST), counting), None);
        let august = projection.ranking_with(&counties(), period(AUGUST), counting).unwrap();
        assert!(august.standings.is_empty(), "{august:#?}");
        assert!(projection.traces_with(&unit("YS07"), period(AUGUST), counting).is_empty());
    }
    let q3 = projection.scorecard_with(&unit("YS08"), period("2017-Q3"), Counting::Provisional).unwrap();
    assert_eq!((q3.final_score, q3.base_periods), (Some(Points(10_000)), vec![period(JULY)]));
}

#[test]
fn an_open_month_asked_about_on_its_own_is_shown_as_provisional() {
    let projection = projection(&june_published_july_under_way());
    let july = projection.ranking(&counties(), period(JULY)).unwrap();
    assert_eq!(july.standings.len(), 2);
    assert_eq!(july.provisional_periods, vec![period(JULY)]);
    let card = projection.scorecard(&unit("YS07"), period(JULY)).unwrap();
    assert_eq!((card.final_score, card.provisional_periods), (Some(Points(9000)), vec![period(JULY)]));
    let june = projection.scorecard(&unit("YS07"), period(JUNE)).unwrap();
    assert!(june.provisional_periods.is_empty(), "June is published");
    let horizontal = projection.horizontal(&unit("YS07"), period(JULY)).unwrap();
    assert_eq!(horizontal.provisional_periods, vec![period(JULY)]);
    assert_eq!(horizontal.lost, Points(100));
    let vertical = projection.vertical_over(&unit("YS07"), &[JUNE, JULY, AUGUST].map(period));
    let rows: Vec<(PeriodId, Option<i64>, Vec<PeriodId>)> = vertical
        .rows
        .iter()
        .map(|row| (row.period, row.final_score.map(|p| p.hundredths()), row.provisional_periods.clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (period(JUNE), Some(8000), vec![]),
            (period(JULY), Some(9000), vec![period(JULY)]),
            (period(AUGUST), None, vec![])
        ]
    );
    assert_eq!(vertical.provisional_periods, vec![period(JULY)]);
}

#[test]
fn a_ranking_says_how_many_unassessed_tiered_indicators_it_includes() {
    let projection = projection(&june_published_july_under_way());
    // July: ZGU-02 has no award yet for either county; June was published with both awarded.
    assert_eq!(projection.ranking(&counties(), period(JULY)).unwrap().unassessed_indicators, 2);
    assert_eq!(projection.ranking(&counties(), period(JUNE)).unwrap().unassessed_indicators, 0);
    // The lead section mirrors its county's award: YS07-ZGU leads ZGU-02.
    assert_eq!(projection.ranking(&sections("ZGU"), period(JULY)).unwrap().unassessed_indicators, 1);
    let q3 = projection.ranking_with(&counties(), period("2017-Q3"), Counting::Provisional).unwrap();
    assert_eq!(q3.unassessed_indicators, 2);
}

#[test]
fn a_reopened_month_still_counts_in_its_roll_ups() {
    let mut harness = june_published_july_under_way();
    harness.given(&committee(), at(8, 5, 9, 0), finalise(JUNE));
    let reopen = ReopenPeriod { scheme: scheme(), period: period(JUNE), reason: "a wrong deduction".to_owned() };
    harness.given(&committee(), at(8, 6, 9, 0), reopen);
    let year = projection(&harness).scorecard(&unit("YS07"), period("2017")).unwrap();
    assert_eq!((year.final_score, year.base_periods), (Some(Points(8000)), vec![period(JUNE)]));
}

#[test]
fn a_reassignment_moves_no_earlier_month_between_sections() {
    let mut harness = june_published_july_under_way();
    let from_july = AssignIndicator { effective_from: Some(period(JULY)), ..assign(DEDUCT, "YS07-BGS") };
    harness.given(&office(), at(8, 4, 9, 0), from_july);
    let projection = projection(&harness);
    let carries = |section: &str, month: &str| {
        let trace = projection.trace(&unit(section), period(month)).unwrap();
        trace.indicators.iter().any(|line| line.indicator == indicator(DEDUCT))
    };
    assert!(carries("YS07-ZGG", JUNE) && !carries("YS07-BGS", JUNE), "June keeps its lead section");
    assert!(carries("YS07-BGS", JULY) && !carries("YS07-ZGG", JULY), "July has the new one");
    assert_eq!(final_of(&projection, "YS07-ZGG", JUNE, Counting::Published), Some(Points(0)));
}

#[test]
fn publishing_a_month_moves_its_roll_ups_in_a_ranking_diff() {
    let harness = june_published_july_under_way();
    let publish_seq = harness
        .events
        .iter()
        .find(|event| event.event.event_type() == "ResultsPublished")
        .map(|event| event.seq)
        .unwrap();
    let before = Projection::fold(&harness.events[..publish_seq as usize - 1]).unwrap();
    let between = &harness.events[publish_seq as usize - 1..publish_seq as usize];
    let diff = ranking_diff(&before, between, &counties(), period("2017-Q2"), Counting::Published).unwrap();
    let moved: Vec<(&str, Option<i64>)> = diff
        .changes
        .iter()
        .map(|change| (change.unit.as_str(), change.moves.first().and_then(|m| m.final_after.map(|p| p.hundredths()))))
        .collect();
    assert_eq!(moved, vec![("YS07", Some(8000)), ("YS08", Some(10_000))]);
    assert!(diff.changes.iter().all(|change| change.moves[0].event.event_type == "ResultsPublished"));
}
