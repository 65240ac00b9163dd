//! The read models of a running ledger (issue 4, "Replay"): answers as of any point equal a fold of
//! that prefix from scratch; persisted snapshots are used, checked against the chain, and a snapshot
//! that does not match is dropped and rebuilt rather than trusted.

use std::sync::Arc;

use kpi_ledger::article::year::year_story;
use kpi_ledger::chain::{decode, Record};
use kpi_ledger::domain::{PeriodId, UnitCode};
use kpi_ledger::projection::{AsOf, Projection};
use kpi_ledger::service::queries::RankingScope;
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service};
use kpi_ledger::store::Ledger;

const INTERVAL: u64 = 64;

fn year_ledger(dir: &std::path::Path) -> Arc<Ledger> {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("read models"))).unwrap();
    for step in year_story() {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    ledger
}

/// The fold of the first `seq` events, straight from the ledger, with no snapshot.
fn folded(ledger: &Ledger, seq: u64) -> Projection {
    let mut projection = Projection::new();
    let decoder = |seq: u64, record: Record<'_>| {
        decode(seq, &record).map_err(|e| kpi_ledger::store::StoreError::Corrupt(e.to_string()))
    };
    ledger
        .for_each_decoded(1, seq, decoder, |event| {
            projection.apply(&event).unwrap();
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    projection
}

#[test]
fn answers_as_of_any_point_equal_a_fold_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let head = ledger.head().seq;
    let (unit, period) = (UnitCode::new("YS07").unwrap(), PeriodId::parse("2017-06").unwrap());
    for seq in [1, INTERVAL - 1, INTERVAL, INTERVAL + 1, 500, 763, 767, head / 2, head - 1, head] {
        let seq = seq.min(head).min(1_000);
        let expected = folded(&ledger, seq);
        let (at, scorecard) = read_models.with_projection(AsOf::Seq(seq), |p| p.scorecard(&unit, period)).unwrap();
        assert_eq!(at.seq, seq);
        assert_eq!(scorecard, expected.scorecard(&unit, period), "as of {seq}");
        let (_, whole) = read_models.with_projection(AsOf::Seq(seq), Clone::clone).unwrap();
        assert_eq!(whole, expected, "the whole projection as of {seq}");
    }
    let instant = kpi_ledger::domain::Timestamp::from_civil(2017, 7, 12, 23, 59, 59).unwrap();
    let by_instant = read_models.seq_of(AsOf::Instant(instant)).unwrap();
    let expected =
        (1..=ledger.head().seq).filter(|seq| ledger.recorded_at(*seq).unwrap().unwrap() <= instant).max().unwrap();
    assert_eq!(by_instant, expected, "an instant is the last event recorded on or before it");
    let ranking = read_models.ranking(&RankingScope::OfUnit(unit), period, AsOf::Instant(instant)).unwrap();
    assert_eq!(ranking.as_of_seq, expected);
}

#[test]
fn snapshots_are_persisted_checked_and_a_bad_one_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let head = ledger.head().seq;
    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let boundary = (head / INTERVAL) * INTERVAL;
    let (stored_at, _) = ledger.snapshot_at_or_before(head).unwrap().expect("snapshots were stored while folding");
    assert_eq!(stored_at, boundary);
    drop(read_models);

    // A snapshot whose bytes were changed (here: the one at the newest boundary) must not be trusted.
    let (_, bytes) = ledger.snapshot_at_or_before(boundary).unwrap().unwrap();
    let mut forged = String::from_utf8(bytes).unwrap();
    forged = forged.replacen("\"seq\":", "\"seq\":1", 1);
    ledger.put_snapshot(boundary, forged.as_bytes()).unwrap();
    let reopened = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let (_, current) = reopened.with_projection(AsOf::Latest, Clone::clone).unwrap();
    assert_eq!(current, folded(&ledger, head), "rebuilt from an older snapshot and the chain");
    let (stored_at, bytes) = ledger.snapshot_at_or_before(head).unwrap().unwrap();
    assert_eq!(stored_at, boundary);
    assert_ne!(bytes, forged.as_bytes(), "the mismatching snapshot was dropped and taken again from the chain");
    let boundary_hash = ledger.event_at(boundary).unwrap().unwrap().hash;
    let retaken =
        kpi_ledger::projection::Snapshot::from_bytes(&bytes).unwrap().verified(boundary, boundary_hash).unwrap();
    assert_eq!(retaken, folded(&ledger, boundary));
}
