//! The test kit's one test binary: the ledger a SIGKILLed writer leaves, checked as it is (`crash`)
//! and after a fault injected into each of its files (`faults`). Both drive the `crash-child` binary,
//! so they live beside it in this package; one binary lets them run side by side.

mod crash;
mod faults;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the crash child on `dir` for about `run_for`, SIGKILLs it, and returns the batches it
/// acknowledged (first and last seq of each, in the order acknowledged).
pub fn run_child_until_killed(dir: &std::path::Path, run_for: Duration) -> Vec<(u64, u64)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-child"))
        .arg(dir)
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
