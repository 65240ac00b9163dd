//! Where a server's memory goes: opens a kept ledger step by step as `kpi-ledger serve` does — the
//! newest snapshot read ahead, the ledger, the decider and read models, the background fold of the
//! history — and prints the process's resident set and peak (`/proc/self/status`) after each step,
//! then lets go of each part in turn. `--sled-scan` instead reads every key of the index through sled
//! twice, to show what sled's cache costs at `--cache-mib`.
//!
//! Run: `cargo run --release --example memory -- --data DIR [--cache-mib 32] [--sled-scan]`, on a
//! copy of a ledger (it opens it as a server would, which may store snapshots). Linux only.
//!
//! The allocator and its settings are the binary's (`src/main.rs`, `cli::allocator`), so the figures
//! are a server's.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use kpi_ledger::service::admin::LedgerSettings;
use kpi_ledger::service::read_models::Preloaded;
use kpi_ledger::service::{RandomIds, SystemClock};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Prints a server's resident memory after each step of opening a kept ledger")]
struct Args {
    /// The ledger's data directory (a copy: it is opened as a server opens it).
    #[arg(long)]
    data: PathBuf,
    /// sled's page cache, in MiB, as `serve --cache-mib`.
    #[arg(long, default_value_t = kpi_ledger::limits::SLED_CACHE_MIB_DEFAULT)]
    cache_mib: u64,
    /// Only open sled and read every key twice (the cost of sled's tables and of its cache).
    #[arg(long)]
    sled_scan: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    kpi_ledger::cli::allocator::configure();
    let args = Args::parse();
    step("start");
    if args.sled_scan {
        return sled_scan(&args);
    }
    let started = std::time::Instant::now();
    let preloaded = Preloaded::read(&args.data);
    step(&format!("newest snapshot read and decoded ({} ms)", started.elapsed().as_millis()));
    let settings = LedgerSettings { data: args.data.clone(), signing_key_file: None, cache_mib: Some(args.cache_mib) };
    let records = settings.open_or_create()?;
    step(&format!("ledger opened at event {}", records.head().seq));
    let (service, read_models) =
        records.service_with_read_models(Arc::new(SystemClock), Arc::new(RandomIds), preloaded)?;
    step("decider and read models opened");
    let started = std::time::Instant::now();
    read_models.fold_history()?;
    step(&format!("history folded for as-of reads ({} ms)", started.elapsed().as_millis()));
    drop(service);
    step("decider dropped (a server's decider shares the read models' facts once idle)");
    drop(read_models);
    step("read models dropped");
    drop(records);
    step("ledger dropped");
    Ok(())
}

/// Opens sled alone (the ledger's one tree) and reads every key twice.
fn sled_scan(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let db = sled::Config::new()
        .path(&args.data)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(None)
        .cache_capacity(args.cache_mib.max(1) * 1024 * 1024)
        .open()?;
    let tree = db.open_tree(b"kpi-ledger")?;
    step("sled opened");
    for round in ["first", "second"] {
        let (mut keys, mut bytes) = (0u64, 0u64);
        for pair in tree.iter() {
            let (key, value) = pair?;
            keys += 1;
            bytes += (key.len() + value.len()) as u64;
        }
        step(&format!("{round} read of every key ({keys} keys, {} MiB)", bytes >> 20));
    }
    drop(tree);
    drop(db);
    step("sled dropped");
    Ok(())
}

/// Prints the resident set and its peak so far, in MiB, after `what`.
fn step(what: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mib = |field: &str| {
        let line = status.lines().find(|line| line.starts_with(field));
        line.and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib / 1024)
    };
    let shown = |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |mib| mib.to_string());
    println!("{:>6} MiB resident, {:>6} MiB peak  {what}", shown(mib("VmRSS:")), shown(mib("VmHWM:")));
}
