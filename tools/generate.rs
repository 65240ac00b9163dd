//! Writes a generated assessment history (issue 4's data generator) into a ledger: the history of
//! `--size s` (one city, 12 counties, ~100 sections, a year), `--size m` (one province, 15 cities,
//! 150 counties, ~1,500 sections, a year), `--size county` (one county's own scheme and 40 staff over
//! four years) or `--size l` (a province of 100 counties, 600 sections and 5,000 staff, a year) for
//! `--seed`, as the generator sealed it, appended through `store::Ledger`, then checked against the
//! generator's head. Sizes county and l seal personal texts under keys derived from the seed: the tool
//! writes them to the ledger's `person-keys` file, so the texts open as the service's would.
//!
//! Run: `cargo run --release --example generate -- --size m --seed 1 --data target/generated-m`.
//! The last line on stdout is one JSON object: events, head sequence number and hash, seconds taken.
//!
//! Invariant: the ledger written is exactly the generator's chain — same events, same hashes — so a
//! projection rebuilt from it equals one folded from the generator.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use kpi_ledger::store::{Ledger, PendingAppend, SealedAppend};
use kpi_testkit::generator::{generate, Size};
use serde_json::json;

/// Appends waiting for durability at once: bounds memory, keeps group commit busy.
const APPENDS_IN_FLIGHT_MAX: usize = 4_096;

#[derive(Clone, Copy, ValueEnum)]
enum SizeArg {
    S,
    M,
    County,
    L,
}

#[derive(Parser)]
#[command(about = "Writes a deterministic, generated assessment history into a new ledger")]
struct Args {
    /// S: one city and 12 counties; M: one province, 15 cities, 150 counties; county: one county and
    /// its 40 staff over four years; L: a province of 100 counties and 5,000 staff.
    #[arg(long, value_enum, default_value = "s")]
    size: SizeArg,
    /// The same seed gives the same history, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The ledger's data directory; it must not hold a ledger yet.
    #[arg(long)]
    data: PathBuf,
}

fn wait_all(pending: &mut Vec<PendingAppend>) -> Result<(), Box<dyn Error>> {
    for append in pending.drain(..) {
        append.wait()?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let size = match args.size {
        SizeArg::S => Size::S,
        SizeArg::M => Size::M,
        SizeArg::County => Size::County,
        SizeArg::L => Size::L,
    };
    let started = Instant::now();
    let history = generate(args.seed, size);
    let ledger = Ledger::open(&args.data)?;
    if ledger.head().seq != 0 {
        return Err(format!("{} already holds a ledger of {} events", args.data.display(), ledger.head().seq).into());
    }
    let mut pending = Vec::new();
    for event in &history.events {
        pending.push(ledger.submit(SealedAppend { events: vec![event.sealed.clone()], command: None })?);
        if pending.len() >= APPENDS_IN_FLIGHT_MAX {
            wait_all(&mut pending)?;
        }
    }
    wait_all(&mut pending)?;
    let head = ledger.head();
    let expected = history.events.last().map(|event| event.sealed.hash).unwrap_or_default();
    if head.hash != expected {
        return Err(format!("the ledger's head {} differs from the generated chain's {expected}", head.hash).into());
    }
    let keys = history.person_keys(args.seed);
    if history
        .events
        .iter()
        .any(|event| event.recorded.event.personal_text().is_some_and(|(_, _, text)| text.is_sealed()))
    {
        kpi_ledger::store::person_keys::replace(&args.data, &keys)?;
    }
    ledger.close();
    let summary = json!({
        "events": history.events.len(),
        "head_seq": head.seq,
        "head_hash": head.hash.to_hex(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}
