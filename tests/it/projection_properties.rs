//! Property tests of the projections over random histories decided by `domain::decide`
//! (`generator::random_history`, driven by a shrinkable script of choices): a projection kept up
//! incrementally equals one rebuilt from scratch and one rebuilt from a snapshot plus the tail;
//! as-of(n) equals the fold of the first n events; and the central invariant — every unit's trace
//! reconciles with its score, for every indicator and period — holds everywhere, in agreement with the
//! domain's own count of effective deductions.
//!
//! Invariant guarded: projections are pure folds, and no point is lost without a line that explains it.

use kpi_ledger::domain::Facts as State;
use kpi_ledger::domain::{PeriodId, PeriodKind, Points, UnitCode};
use kpi_ledger::projection::replay::{as_of_instant, as_of_seq};
use kpi_ledger::projection::{AsOf, Projection, Recorded, Replay, Snapshot, TraceLine};
use kpi_testkit::generator::{random_history, ScriptedChoices};
use proptest::prelude::*;

/// Steps of the random walk per history: enough for every kind of fact, small enough to stay fast.
const STEPS_MAX: usize = 200;
const CASES: u32 = 128;

fn history(script: Vec<u32>) -> (Vec<Recorded>, State) {
    let generated = random_history(&mut ScriptedChoices::new(script), STEPS_MAX);
    (generated.recorded(), generated.state)
}

fn script() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..(STEPS_MAX * 6))
}

/// Every unit registered under a county of the scheme, and the counties themselves.
fn scored_units(projection: &Projection) -> Vec<UnitCode> {
    let facts = projection.facts();
    facts.units.iter().filter(|(_, unit)| unit.parent.is_some()).map(|(code, _)| code.clone()).collect()
}

/// Every period a query can name in 2017: the months, quarters, halves and the year.
fn periods() -> Vec<PeriodId> {
    [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year]
        .into_iter()
        .flat_map(|kind| PeriodId::all_in_year(2017, kind))
        .collect()
}

fn assert_reconciles(projection: &Projection) -> Result<(), TestCaseError> {
    for unit in scored_units(projection) {
        for period in periods() {
            let Some(card) = projection.scorecard(&unit, period) else { continue };
            let traces = projection.traces(&unit, period);
            for trace in &traces {
                prop_assert!(trace.reconciles(), "{unit} {}: {trace:#?}", trace.period);
            }
            if period.kind() == PeriodKind::Month {
                let trace = projection.trace(&unit, period);
                prop_assert_eq!(trace.is_some(), !card.base_periods.is_empty() || card.final_score.is_none());
                if let Some(trace) = trace {
                    prop_assert_eq!((trace.points_max_total, trace.raw), (card.points_max_total, card.raw));
                    for (line, indicator) in card.indicators.iter().zip(&trace.indicators) {
                        prop_assert_eq!(&line.indicator, &indicator.indicator);
                        prop_assert_eq!(line.score, indicator.score);
                    }
                }
            }
        }
    }
    Ok(())
}

/// The projection's county scores on deduct indicators agree with `domain::State`'s own count.
fn assert_agrees_with_domain(projection: &Projection, state: &State) -> Result<(), TestCaseError> {
    for scheme in state.schemes.values() {
        for period in scheme.periods.keys() {
            for unit in state.units.keys().filter(|unit| state.is_assessee_of(scheme, unit)) {
                let Some(card) = projection.scorecard(unit, *period) else { continue };
                for line in card.indicators.iter().filter(|line| !line.tiered) {
                    let deducted = state.deducted_points(scheme, *period, unit, &line.indicator);
                    let expected = (line.points_max - deducted).max(Points::ZERO);
                    prop_assert_eq!(line.score, expected, "{} {} {}", unit, period, line.indicator);
                }
            }
        }
    }
    Ok(())
}

/// Blame lands where the domain's own facts say: each section of a county carries, from the county's
/// deductions, exactly those whose latest cause names it (a section of that county other than the
/// lead), or that it leads and whose cause names no other section of the county — computed here from
/// `domain::State` alone — plus the office's direct deductions on it.
fn assert_blame_lands_where_domain_says(projection: &Projection, state: &State) -> Result<(), TestCaseError> {
    let section_of = |unit: &UnitCode, county: &UnitCode| {
        state.units.get(unit).is_some_and(|record| record.level.is_section() && record.parent.as_ref() == Some(county))
    };
    for (scheme_id, scheme) in &state.schemes {
        for period in scheme.periods.keys() {
            for county in state.units.keys().filter(|unit| state.is_assessee_of(scheme, unit)) {
                let mut expected: std::collections::BTreeMap<UnitCode, Points> = Default::default();
                for deduction in state.deductions.values() {
                    let recorded = &deduction.recorded;
                    let on_county =
                        &recorded.scheme == scheme_id && recorded.period == *period && &recorded.unit == county;
                    let applies =
                        scheme.indicators.get(&recorded.indicator).is_some_and(|i| scheme.applies(i, county, *period));
                    if !on_county || !applies {
                        continue;
                    }
                    let lead = scheme.lead_section(county, &recorded.indicator, *period).cloned();
                    let moved = deduction
                        .cause_unit()
                        .cloned()
                        .filter(|cause| section_of(cause, county) && Some(cause) != lead.as_ref());
                    if let Some(target) = moved.or(lead) {
                        let entry = expected.entry(target).or_default();
                        *entry = *entry + state.effective_points(deduction);
                    }
                }
                for section in state.units.keys().filter(|unit| section_of(unit, county)) {
                    let Some(trace) = projection.trace(section, *period) else { continue };
                    let kept: Points = trace
                        .indicators
                        .iter()
                        .flat_map(|indicator| indicator.lines.iter())
                        .filter_map(|line| match line {
                            TraceLine::Deduction(line) if &line.unit == county => Some(line.amount),
                            _ => None,
                        })
                        .sum();
                    let charged: Points = trace.charges.iter().map(|line| line.amount).sum();
                    let wanted = expected.get(section).copied().unwrap_or_default();
                    prop_assert_eq!(kept + charged, wanted, "{} {}", section, period);
                }
            }
        }
    }
    Ok(())
}

/// Ranks are competition ranks, tiers never improve down the list (vetoes aside), vetoes sit last.
fn assert_rankings_are_well_formed(projection: &Projection) -> Result<(), TestCaseError> {
    for scheme in projection.facts().schemes.keys() {
        for group in projection.peer_groups(scheme) {
            for period in periods() {
                let Some(ranking) = projection.ranking(&group, period) else { continue };
                let standings = &ranking.standings;
                for standing in standings {
                    let higher = standings.iter().filter(|other| other.final_score > standing.final_score).count();
                    prop_assert_eq!(standing.rank as usize, higher + 1);
                    prop_assert!(standing.tier >= 1 && standing.tier <= ranking.tier_count);
                    if standing.veto {
                        prop_assert_eq!(standing.tier, ranking.tier_count);
                    }
                }
                let unvetoed: Vec<u32> = standings.iter().filter(|s| !s.veto).map(|s| s.tier).collect();
                prop_assert!(unvetoed.windows(2).all(|pair| pair[0] <= pair[1]), "{ranking:#?}");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_rebuilt_equals_snapshot_plus_tail(script in script(), cut in any::<prop::sample::Index>()) {
        let (events, state) = history(script);
        let mut incremental = Projection::new();
        for event in &events {
            incremental.apply(event).unwrap();
            // Querying between events must not disturb the fold.
            let _ = incremental.appeal_queue(event.recorded_at);
        }
        let rebuilt = Projection::fold(&events).unwrap();
        prop_assert_eq!(&incremental, &rebuilt);
        // One fact model: what the decider knew when it allowed each event is what scoring folds.
        prop_assert_eq!(rebuilt.facts(), &state);

        let at = cut.index(events.len() + 1);
        let head = Projection::fold(&events[..at]).unwrap();
        let bytes = Snapshot::of(&head).to_bytes();
        let chain_hash = at.checked_sub(1).map_or(kpi_ledger::chain::GENESIS_HASH, |index| events[index].hash);
        let mut resumed = Snapshot::from_bytes(&bytes).unwrap().verified(at as u64, chain_hash).unwrap();
        resumed.apply_all(&events[at..]).unwrap();
        prop_assert_eq!(&resumed, &rebuilt);
    }

    #[test]
    fn as_of_n_is_the_fold_of_the_first_n_events(script in script(), points in prop::collection::vec(any::<prop::sample::Index>(), 1..6)) {
        let (events, _) = history(script);
        let replay = Replay::from_events(events.clone(), 7).unwrap();
        for point in points {
            let n = point.index(events.len() + 1) as u64;
            let expected = as_of_seq(&events, n).unwrap();
            prop_assert_eq!(&replay.as_of(AsOf::Seq(n)), &expected);
            prop_assert_eq!(expected.seq(), n);
            if let Some(event) = events.get((n as usize).saturating_sub(1)) {
                let at_instant = as_of_instant(&events, event.recorded_at).unwrap();
                prop_assert!(at_instant.seq() >= n, "an instant covers every event recorded by then");
                prop_assert_eq!(&replay.as_of(AsOf::Instant(event.recorded_at)), &at_instant);
            }
        }
    }

    #[test]
    fn every_trace_reconciles_at_every_point(script in script(), points in prop::collection::vec(any::<prop::sample::Index>(), 1..4)) {
        let (events, state) = history(script);
        let full = Projection::fold(&events).unwrap();
        assert_reconciles(&full)?;
        assert_agrees_with_domain(&full, &state)?;
        assert_blame_lands_where_domain_says(&full, &state)?;
        assert_rankings_are_well_formed(&full)?;
        for point in points {
            let n = point.index(events.len() + 1);
            assert_reconciles(&Projection::fold(&events[..n]).unwrap())?;
        }
    }

    #[test]
    fn a_ranking_diff_ends_where_the_later_ranking_stands(script in script(), from in any::<prop::sample::Index>()) {
        let (events, _) = history(script);
        let replay = Replay::from_events(events.clone(), 16).unwrap();
        let from = from.index(events.len() + 1) as u64;
        let latest = replay.current();
        for scheme in latest.facts().schemes.keys() {
            for group in latest.peer_groups(scheme) {
                let period = PeriodId::parse("2017-Q1").unwrap();
                let diff = replay.ranking_diff(&group, period, AsOf::Seq(from), AsOf::Latest);
                prop_assert_eq!(&diff.before, &replay.as_of(AsOf::Seq(from)).ranking(&group, period));
                prop_assert_eq!(&diff.after, &latest.ranking(&group, period));
                for change in &diff.changes {
                    let before = change.before.as_ref().map(|standing| standing.final_score);
                    let after = change.after.as_ref().map(|standing| standing.final_score);
                    if before != after && before.is_some() && after.is_some() {
                        prop_assert!(!change.moves.is_empty(), "a moved score names its events: {change:#?}");
                    }
                    for pair in change.moves.windows(2) {
                        prop_assert!(pair[0].event.seq < pair[1].event.seq);
                    }
                }
            }
        }
    }
}

#[test]
fn a_snapshot_of_another_chain_is_refused() {
    let (events, _) = history((0..600u32).map(|index| index.wrapping_mul(2_654_435_761)).collect());
    assert!(events.len() > 10, "the walk records something");
    let projection = Projection::fold(&events[..10]).unwrap();
    let snapshot = Snapshot::of(&projection);
    assert!(snapshot.clone().verified(10, events[9].hash).is_ok());
    assert!(snapshot.clone().verified(10, events[8].hash).is_err(), "wrong hash");
    assert!(snapshot.clone().verified(9, events[9].hash).is_err(), "wrong position");
    let mut skipped = projection.clone();
    assert!(skipped.apply(&events[11]).is_err(), "a gap is refused");
    let mut forged = events[10].clone();
    forged.prev_hash = events[5].hash;
    assert!(skipped.apply(&forged).is_err(), "a broken link is refused");
}
