//! Crash safety: the crash child carries out atomic batches of three commands and prints every
//! acknowledged one; this test kills it with SIGKILL at random moments, reopens the ledger, and checks
//! that every acknowledged event is there, the chain verifies, and no half-written batch is visible.

use std::time::Duration;

use super::run_child_until_killed;

use kpi_ledger::service::admin::LedgerSettings;
use kpi_ledger::store::TailCheck;

const ROUNDS: u64 = 24;
/// The child's commands per atomic batch, and the three units it registers first.
const EVENTS_PER_BATCH: u64 = 3;

#[test]
fn acknowledged_appends_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let mut acknowledged: Vec<(u64, u64)> = Vec::new();
    let mut seed = 0x2017_0711_u64;
    for round in 0..ROUNDS {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let run_for = Duration::from_millis(60 + (seed >> 33) % 250);
        acknowledged.extend(run_child_until_killed(&data, run_for));
        check_after_crash(&data, &acknowledged, round);
    }
    assert!(acknowledged.len() > ROUNDS as usize, "the child made progress between kills");
}

fn check_after_crash(dir: &std::path::Path, acknowledged: &[(u64, u64)], round: u64) {
    let settings = LedgerSettings::new(dir);
    if !settings.holds_ledger() {
        assert!(acknowledged.is_empty(), "round {round}: acknowledged batches but no ledger");
        return;
    }
    let ledger = settings
        .open_existing(TailCheck::Skip)
        .unwrap_or_else(|error| panic!("round {round}: the ledger failed to reopen: {error}"));
    let verified = ledger.verify(None, &|_| {}).unwrap_or_else(|failure| panic!("round {round}: {failure}"));
    let head = verified.head.seq;
    for &(first, last) in acknowledged {
        assert!(last <= head, "round {round}: acknowledged event {last} lost (head {head})");
        assert_eq!(last - first + 1, EVENTS_PER_BATCH, "round {round}: a batch is three events");
    }
    // Every write is a batch of three events: a torn batch would leave a head that is not a multiple.
    assert_eq!(head % EVENTS_PER_BATCH, 0, "round {round}: half-written batch visible (head {head})");
}
