//! A county's own scheme in the projections, with exact numbers (docs/RULES.md §14's worked example,
//! `own_scheme_fixture::own_june`): a taken-over indicator scaled from 4.00 to 6.00 points, one whose
//! scaled score rounds half-up, charges scaled one deduction at a time (one rounding up), the floor
//! under a section's raw total, local tier awards, bonuses capped, a veto; the ranking and tiers of
//! the county's sections among themselves, traces that reconcile exactly, comparisons, the bulletin,
//! as-of and the diff; and the city's own figures untouched.
//!
//! Invariant guarded: every section's county-scheme trace reconciles, its taken-over lines with the
//! city's lines they are scaled from.

use crate::own_scheme_fixture::*;

use kpi_ledger::domain::{PeriodId, Points, SchemeId};
use kpi_ledger::projection::replay::{as_of_instant, ranking_diff};
use kpi_ledger::projection::{Counting, LossKind, PeerGroup, Projection, TraceLine};
use kpi_testkit::story::{at, period, unit};

fn june() -> PeriodId {
    period("2017-06")
}

fn projection() -> Projection {
    Projection::fold(&own_june().events).unwrap()
}

fn in_own() -> Option<&'static SchemeId> {
    static OWN_ID: std::sync::OnceLock<SchemeId> = std::sync::OnceLock::new();
    Some(OWN_ID.get_or_init(own))
}

fn group() -> PeerGroup {
    PeerGroup { scheme: own(), function_code: None }
}

#[test]
fn sections_score_taken_over_indicators_scaled_to_the_countys_points() {
    let projection = projection();
    let card = |section: &str| projection.scorecard_in(&unit(section), june(), Counting::Published, in_own()).unwrap();
    let zgu = card("YS07-ZGU");
    let lines: Vec<(&str, i64, i64)> =
        zgu.indicators.iter().map(|line| (line.indicator.as_str(), line.points_max.0, line.score.0)).collect();
    // ZGU-02: tier 2 in the city, 3.20 of 4.00 → 6.00 × 320 / 400 = 4.80; its own tier 2: 2.00 × 800‰.
    assert_eq!(lines, [("YS07-ZGU-01", 200, 160), ("ZGU-02", 600, 480)]);
    assert_eq!(
        (zgu.raw, zgu.normalized, zgu.bonus_awarded, zgu.bonus),
        (Points(640), Some(Points(8000)), Points(350), Points(300))
    );
    assert_eq!((zgu.final_score, zgu.veto), (Some(Points(8300)), false));

    let zgg = card("YS07-ZGG");
    let lines: Vec<(&str, i64, i64)> =
        zgg.indicators.iter().map(|line| (line.indicator.as_str(), line.points_max.0, line.score.0)).collect();
    // ZG-04: 2.00 − 0.25 kept = 1.75 there → 3.00 × 175 / 200 = 2.625 → 2.63 (half-up).
    assert_eq!(lines, [("YS07-ZGG-01", 100, 100), ("ZG-04", 300, 263)]);
    assert_eq!(
        (zgg.raw, zgg.normalized, zgg.final_score, zgg.veto),
        (Points(363), Some(Points(9075)), Some(Points(9075)), true)
    );

    let bgs = card("YS07-BGS");
    // Charges 1.00 → 1.50 and 0.15 → 0.225 → 0.23; 0.50 − 1.73 stops at zero, the floor absorbing 1.23.
    assert_eq!(
        (bgs.indicator_score_total, bgs.charges, bgs.raw, bgs.floor_absorbed),
        (Points(50), Points(173), Points(0), Points(123))
    );
    assert_eq!(bgs.final_score, Some(Points(0)));
}

#[test]
fn the_citys_scores_do_not_move_with_the_countys_scheme() {
    let with_own = projection();
    let county = with_own.scorecard(&unit("YS07"), june()).unwrap();
    // ZG-04 1.40 deducted, ZGU-02 tier 2: 2.00 − 1.40 + 3.20 + FG-04 2.00 + SZ-07 2.00 = 7.80 of 10.00.
    assert_eq!((county.raw, county.points_max_total), (Points(780), Points(1000)));
    let zgg = with_own.scorecard(&unit("YS07-ZGG"), june()).unwrap();
    assert_eq!((zgg.indicator_score_total, zgg.bonus, zgg.veto), (Points(175), Points(0), false), "no veto there");
    let bgs = with_own.scorecard(&unit("YS07-BGS"), june()).unwrap();
    assert_eq!(bgs.charges, Points(115), "unscaled in the city's scheme");
}

#[test]
fn the_countys_sections_are_ranked_and_tiered_among_themselves() {
    let projection = projection();
    let ranking = projection.ranking_with(&group(), june(), Counting::Published).unwrap();
    let standings: Vec<(&str, u32, u32, i64, bool)> =
        ranking.standings.iter().map(|s| (s.unit.as_str(), s.rank, s.tier, s.final_score.0, s.veto)).collect();
    // Shares 30/50/20 of the two unvetoed: 0.6 → 1 and 1.0 → 1; the vetoed one sits in the last tier.
    assert_eq!(
        standings,
        [("YS07-ZGG", 1, 3, 9075, true), ("YS07-ZGU", 2, 1, 8300, false), ("YS07-BGS", 3, 2, 0, false)]
    );
    assert_eq!(ranking.provisional_periods, [june()], "June is still open here");
    assert_eq!(projection.peer_group_in(&unit("YS07-ZGU"), 2017, in_own()), Some(group()));
    assert_eq!(projection.peer_group_members(&group()), ["YS07-BGS", "YS07-ZGG", "YS07-ZGU"].map(unit));
}

#[test]
fn every_county_trace_reconciles_with_its_scaled_lines() {
    let projection = projection();
    for section in ["YS07-BGS", "YS07-ZGG", "YS07-ZGU"] {
        let trace = projection.trace_in(&unit(section), june(), in_own()).unwrap();
        assert!(trace.reconciles(), "{section}: {trace:#?}");
    }
    let zgg = projection.trace_in(&unit("YS07-ZGG"), june(), in_own()).unwrap();
    let zg04 = zgg.indicators.iter().find(|indicator| indicator.indicator.as_str() == "ZG-04").unwrap();
    let [TraceLine::TakenOver(line)] = &zg04.lines[..] else { panic!("{zg04:#?}") };
    assert_eq!(
        (line.city_points_max, line.city_score, line.points_max, line.score, line.amount),
        (Points(200), Points(175), Points(300), Points(263), Points(37))
    );
    let city_amounts: Vec<i64> = line.city_lines.iter().map(|line| line.amount().0).collect();
    assert_eq!(city_amounts, [25]);
    let relieved: Vec<i64> = zg04.relieved.iter().map(|line| line.amount.0).collect();
    assert_eq!(relieved, [100, 15], "listed where the charges went, counted there");

    let bgs = projection.trace_in(&unit("YS07-BGS"), june(), in_own()).unwrap();
    let charges: Vec<(i64, i64)> =
        bgs.charges.iter().map(|line| (line.scaled.as_ref().unwrap().charge.0, line.amount.0)).collect();
    assert_eq!(charges, [(100, 150), (15, 23)], "each charge scaled on its own, half-up");
    assert_eq!((bgs.floor_absorbed, bgs.lost()), (Points(-123), Points(100)));

    let zgu = projection.trace_in(&unit("YS07-ZGU"), june(), in_own()).unwrap();
    let amounts: Vec<(&str, i64)> = zgu
        .indicators
        .iter()
        .flat_map(|indicator| indicator.lines.iter().map(|line| (indicator.indicator.as_str(), line.amount().0)))
        .collect();
    assert_eq!(amounts, [("YS07-ZGU-01", 40), ("ZGU-02", 120)]);
    let cited = zgu.cited_seqs();
    assert!(!cited.is_empty(), "the city's award it is scaled from is cited");
}

#[test]
fn a_section_is_compared_among_the_countys_sections() {
    let projection = projection();
    let horizontal = projection.horizontal_in(&unit("YS07-ZGU"), june(), Counting::Published, in_own()).unwrap();
    assert_eq!((horizontal.peers, horizontal.standing.rank, horizontal.standing.tier), (3, 2, 1));
    assert_eq!(
        (horizontal.gap_to_leader, horizontal.gap_to_next_tier, horizontal.lost),
        (Points(775), Points(0), Points(160))
    );
    let by_category: Vec<(String, i64)> = horizontal
        .lost_by_category
        .iter()
        .map(|(category, points)| (String::from(category.clone()), points.0))
        .collect();
    assert_eq!(by_category, [("tier_shortfall".to_owned(), 160)]);
    let bgs = projection.horizontal_in(&unit("YS07-BGS"), june(), Counting::Published, in_own()).unwrap();
    let by_category: Vec<(String, i64)> =
        bgs.lost_by_category.iter().map(|(category, points)| (String::from(category.clone()), points.0)).collect();
    assert_eq!(by_category, [("document_filing".to_owned(), 223), ("floor_absorbed".to_owned(), -123)]);
    let vertical =
        projection.vertical_over_in(&unit("YS07-ZGU"), &[period("2017-05"), june()], Counting::Published, in_own());
    assert_eq!(vertical.rows.len(), 1, "May is not open");
    assert_eq!(vertical.rows[0].final_score, Some(Points(8300)));
}

#[test]
fn the_monthly_bulletin_lists_scores_ranks_losses_and_proposals() {
    let projection = projection();
    let bulletin = projection.bulletin(&group(), june(), Counting::Published).unwrap();
    let rows: Vec<(&str, u32, u32, i64)> = bulletin
        .entries
        .iter()
        .map(|e| (e.standing.unit.as_str(), e.standing.rank, e.standing.tier, e.lost.0))
        .collect();
    assert_eq!(rows, [("YS07-ZGG", 1, 3, 37), ("YS07-ZGU", 2, 1, 160), ("YS07-BGS", 3, 2, 100)]);
    for entry in &bulletin.entries {
        assert_eq!(entry.losses.iter().map(|loss| loss.amount).sum::<Points>(), entry.lost, "{}", entry.standing.unit);
    }
    let bgs = &bulletin.entries[2];
    let kinds: Vec<(LossKind, i64)> = bgs.losses.iter().map(|loss| (loss.kind, loss.amount.0)).collect();
    assert_eq!(
        kinds,
        [(LossKind::Deduction, 50), (LossKind::Charge, 150), (LossKind::Charge, 23), (LossKind::FloorAbsorbed, -123)]
    );
    assert_eq!(bgs.losses[1].charged_from, Some(unit("YS07")));
    let taken_over = &bulletin.entries[1].losses[1];
    assert_eq!((taken_over.kind, taken_over.city_losses.len()), (LossKind::TakenOver, 1));
    let praised: Vec<&str> = bulletin.praise.iter().map(|standing| standing.unit.as_str()).collect();
    assert_eq!(praised, ["YS07-ZGU"]);
    let criticised: Vec<&str> = bulletin.criticism.iter().map(|criticism| criticism.unit.as_str()).collect();
    assert_eq!(criticised, ["YS07-ZGG"], "vetoed and in the last tier");
    assert_eq!(bulletin.previous_period, Some(period("2017-05")));
}

#[test]
fn the_countys_ranking_replays_as_of_and_its_diff_names_the_citys_events_too() {
    let harness = own_june();
    let before_city_facts = as_of_instant(&harness.events, at(6, 20, 8, 0)).unwrap();
    assert!(before_city_facts.ranking_with(&group(), june(), Counting::Published).unwrap().standings.is_empty());
    let split = harness.events.iter().position(|event| event.recorded_at >= at(6, 22, 9, 0)).unwrap();
    let before = Projection::fold(&harness.events[..split]).unwrap();
    let diff = ranking_diff(&before, &harness.events[split..], &group(), june(), Counting::Published).unwrap();
    let moved: Vec<&str> = diff.changes.iter().map(|change| change.unit.as_str()).collect();
    // YS07-BGS stays at 0.00, third, in tier 2: its floor swallows its own deduction.
    assert_eq!(moved, ["YS07-ZGG", "YS07-ZGU"]);
    let whole = ranking_diff(&Projection::new(), &harness.events, &group(), june(), Counting::Published).unwrap();
    let zgg: &kpi_ledger::projection::RankChange =
        whole.changes.iter().find(|change| change.unit == unit("YS07-ZGG")).unwrap();
    let types: Vec<&str> = zgg.moves.iter().map(|score_move| score_move.event.event_type.as_str()).collect();
    assert!(types.contains(&"DeductionRecorded"), "the city's deduction moved it: {types:?}");
    assert!(types.contains(&"VetoApplied"), "{types:?}");
}
