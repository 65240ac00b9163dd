//! Crash safety: a child process appends in a loop and prints every acknowledged append; the parent
//! kills it with SIGKILL at random moments, reopens the ledger and checks that every acknowledged
//! event is there, the chain verifies and no half-written batch is visible (issue 2; STYLE habit 13).
//!
//! The child is this same test binary, re-run with `KPI_CRASH_CHILD_DIR` set, so no extra binary is
//! needed; without that variable the child test returns at once.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kpi_ledger::store::{ExpectedVersion, Ledger};

const CHILD_DIR_VARIABLE: &str = "KPI_CRASH_CHILD_DIR";
const EVENTS_PER_APPEND: u64 = 3;
const ROUNDS: u64 = 24;
const WRITERS: usize = 4;

#[test]
fn crash_child_process() {
    let Ok(dir) = std::env::var(CHILD_DIR_VARIABLE) else { return };
    let ledger = Arc::new(Ledger::open(std::path::Path::new(&dir)).unwrap());
    let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (ledger, stdout) = (ledger.clone(), stdout.clone());
            std::thread::spawn(move || {
                let ids = kpi_ledger::service::RandomIds;
                let stream = format!("writer-{writer}");
                loop {
                    let appended = ledger
                        .append(support::request(&ids, &stream, ExpectedVersion::Any, EVENTS_PER_APPEND as usize))
                        .unwrap();
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "ack {} {}", appended.first_seq, appended.last_seq).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    writers.into_iter().for_each(|writer| writer.join().unwrap());
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<(u64, u64)> = Vec::new();
    let mut seed = 0x2017_0711_u64;
    for round in 0..ROUNDS {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let run_for = Duration::from_millis(30 + (seed >> 33) % 250);
        acknowledged.extend(run_child_until_killed(dir.path(), run_for));
        check_after_crash(dir.path(), &acknowledged, round);
    }
    assert!(acknowledged.len() > ROUNDS as usize, "the child made progress between kills");
}

/// Runs the child for about `run_for`, SIGKILLs it, and returns the appends it acknowledged.
fn run_child_until_killed(dir: &std::path::Path, run_for: Duration) -> Vec<(u64, u64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child_process", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_VARIABLE, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| {
                let mut words = line.strip_prefix("ack ")?.split(' ');
                Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
            })
            .collect::<Vec<(u64, u64)>>()
    });
    let started = Instant::now();
    while started.elapsed() < run_for {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap()
}

fn check_after_crash(dir: &std::path::Path, acknowledged: &[(u64, u64)], round: u64) {
    let ledger = Ledger::open(dir).unwrap_or_else(|error| panic!("round {round}: sled failed to reopen: {error}"));
    let verified = ledger.verify(&|_| {}).unwrap_or_else(|failure| panic!("round {round}: {failure}"));
    let head = verified.head.seq;
    for &(first, last) in acknowledged {
        assert!(last <= head, "round {round}: acknowledged event {last} lost (head {head})");
        let events = ledger.read_range(first, (last - first + 1) as usize).unwrap();
        assert_eq!(events.len() as u64, last - first + 1);
        assert!(events.iter().all(|e| e.body.stream == events[0].body.stream), "an append stays in one stream");
    }
    // Every append wrote exactly EVENTS_PER_APPEND events to one stream: a torn batch would leave a
    // stream whose version is not a multiple of it, or a total that is not.
    assert_eq!(head % EVENTS_PER_APPEND, 0, "round {round}: half-written batch visible (head {head})");
    for writer in 0..WRITERS {
        let version = ledger.stream_version(&format!("writer-{writer}")).unwrap();
        assert_eq!(version % EVENTS_PER_APPEND, 0, "round {round}: stream writer-{writer} at {version}");
    }
}
