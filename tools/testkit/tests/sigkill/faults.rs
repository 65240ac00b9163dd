//! Fault injection after SIGKILLs (issue 13): the crash child writes batches until it is killed, and
//! the ledger it leaves (possibly with a group synced to the record copy that nobody was answered
//! for) is damaged, one fault at a time, in every file, as `faults::campaign` does. Every acknowledged
//! event must survive each fault, directly or through `recover`; undamaged, the ledger must open with
//! whole batches only.
//!
//! The defaults keep `cargo test` quick; `tools/faults` runs the long campaign by setting
//! `KPI_FAULTS_KILL_ROUNDS` and `KPI_FAULTS_PER_FILE`.

use std::time::Duration;

use super::run_child_until_killed;

use kpi_testkit::faults::{self, Acknowledged, Tally};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// The crash child writes atomic batches of three events (after three registrations): a copy of the
/// killed ledger must open with every acknowledged event and no part of a batch.
fn opens_with_whole_batches(
    killed: &std::path::Path,
    scratch: &std::path::Path,
    acknowledged: u64,
) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(scratch);
    faults::copy_dir(killed, scratch);
    let head = kpi_ledger::store::Ledger::open(scratch).map_err(|error| format!("refused: {error}"))?.head().seq;
    match (head < acknowledged, head % 3) {
        (true, _) => Err(format!("opened at {head}, below the acknowledged {acknowledged}")),
        (false, 0) => Ok(()),
        (false, _) => Err(format!("opened at {head}: part of a batch of three")),
    }
}

#[test]
fn faults_after_sigkill_lose_no_acknowledged_event() {
    let rounds = setting("KPI_FAULTS_KILL_ROUNDS", 2);
    let per_file = setting("KPI_FAULTS_PER_FILE", 4) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut total = Tally::default();
    let mut seed = 0x2017_0712_u64;
    for round in 0..rounds {
        let data = dir.path().join(format!("killed-{round}"));
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let batches = run_child_until_killed(&data, Duration::from_millis(150 + (seed >> 33) % 300));
        let acknowledged = batches.iter().map(|&(_, last)| last).max().unwrap_or(0);
        if let Err(what) = opens_with_whole_batches(&data, &dir.path().join("opened"), acknowledged) {
            total.failures.push(faults::Failure { injection: format!("none (kill round {round})"), what });
        }
        let tally = faults::campaign(
            &data,
            &dir.path().join("scratch"),
            Acknowledged { seq: acknowledged, hash: None },
            per_file,
            seed,
        );
        for (outcome, count) in tally.outcomes {
            *total.outcomes.entry(outcome).or_default() += count;
        }
        total.failures.extend(tally.failures);
    }
    println!(
        "faults after SIGKILL: {rounds} kill rounds, {} injections, outcomes {:?}, failures {}",
        total.injections(),
        total.outcomes,
        total.failures.len()
    );
    assert!(total.failures.is_empty(), "{:#?}", total.failures);
    assert!(total.injections() > 0);
}
