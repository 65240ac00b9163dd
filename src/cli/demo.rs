//! `kpi-ledger demo`: builds the sample story in a fresh data directory, verifies it, prints the head.
//! (The interfaces issue replaces the sample with the full DOMAIN.md story told through the service.)

use std::path::Path;

use crate::sample::sample_requests;
use crate::store::Ledger;

/// A file that marks a directory as made by the demo, so a rerun may replace it and nothing else.
const DEMO_MARKER: &str = ".kpi-ledger-demo";

pub fn run(data: &Path) -> Result<(), String> {
    prepare_fresh_directory(data)?;
    let ledger = Ledger::open(data).map_err(|e| format!("--data {}: {e}", data.display()))?;
    println!("kpi-ledger demo — data directory {}", data.display());
    for request in sample_requests() {
        let stream = request.stream.clone();
        let types: Vec<_> = request.events.iter().map(|e| e.event_type.clone()).collect();
        let appended = ledger.append(request).map_err(|e| e.to_string())?;
        println!("  appended {:>2}..{:<2} {:<30} {}", appended.first_seq, appended.last_seq, stream, types.join(", "));
    }
    let verified = ledger.verify(&|_| {}).map_err(|failure| format!("chain broken at {failure}"))?;
    println!("chain intact: {} events verified", verified.events_checked);
    println!("head: {}:{}", verified.head.seq, verified.head.hash);
    Ok(())
}

fn prepare_fresh_directory(data: &Path) -> Result<(), String> {
    if data.exists() {
        let is_previous_demo = data.join(DEMO_MARKER).exists();
        let is_empty = std::fs::read_dir(data).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !is_previous_demo && !is_empty {
            return Err(format!(
                "--data {}: exists and was not made by the demo; choose another directory",
                data.display()
            ));
        }
        std::fs::remove_dir_all(data).map_err(|e| format!("--data {}: {e}", data.display()))?;
    }
    std::fs::create_dir_all(data).map_err(|e| format!("--data {}: {e}", data.display()))?;
    std::fs::write(data.join(DEMO_MARKER), b"made by kpi-ledger demo; rerunning the demo replaces this directory\n")
        .map_err(|e| format!("--data {}: {e}", data.display()))
}
