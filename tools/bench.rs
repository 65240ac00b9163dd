//! The ledger benchmark (issue 2): every rate is measured beside its floor, in the same run, on the
//! same record bytes, and reported as a ratio. A floor is what raw sled (and raw blake3) does with
//! exactly the bytes the ledger stored, so the ratio shows what the ledger itself costs.
//!
//! Run it through `tools/bench` (it builds in release mode and gives the program a fresh directory).
//! Progress goes to stderr; the last line on stdout is one JSON object with every figure.
//!
//! Invariant: a floor never writes or hashes bytes of its own making; it reads back the records the
//! ledger wrote (`Ledger::raw_records`, or the ledger's own sled tree) and replays exactly those.

use std::collections::VecDeque;
use std::error::Error;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use clap::Parser;
use kpi_ledger::chain::{Actor, RECORD_HEADER_LEN};
use kpi_ledger::domain::Timestamp;
use kpi_ledger::limits::{EVENTS_PER_APPEND_MAX, IMPORT_EVENTS_PER_BATCH};
use kpi_ledger::service::{IdSource, SeededIds};
use kpi_ledger::store::{export, raw, AppendError, AppendRequest, ExpectedVersion, Ledger, NewEvent, PendingAppend};
use serde_json::{json, Value};

type BenchResult<T> = Result<T, Box<dyn Error>>;

#[derive(Parser)]
#[command(about = "Measures the ledger's append, import and verify rates beside raw sled floors")]
struct Args {
    /// Smaller sizes, for a smoke run (seconds instead of minutes).
    #[arg(long)]
    quick: bool,
    /// Events in the ledger that replay + verify walks [default: 1000000, or 100000 with --quick].
    #[arg(long)]
    events: Option<u64>,
    /// An empty directory to build the ledgers in (tools/bench passes a fresh one).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

/// How much work each figure does.
struct Sizes {
    single_writer_appends: u64,
    writers: u64,
    appends_per_writer: u64,
    import_events: u64,
    replay_events: u64,
    /// Each figure and its floor run this many times, in pairs; the best time of each is reported,
    /// because this machine's fsync latency varies from one second to the next.
    rounds: usize,
}

impl Sizes {
    fn from_args(args: &Args) -> Sizes {
        let mut sizes = if args.quick {
            Sizes {
                single_writer_appends: 200,
                writers: 64,
                appends_per_writer: 20,
                import_events: 20_000,
                replay_events: 100_000,
                rounds: 1,
            }
        } else {
            Sizes {
                single_writer_appends: 2_000,
                writers: 64,
                appends_per_writer: 300,
                import_events: 200_000,
                replay_events: 1_000_000,
                rounds: 3,
            }
        };
        if let Some(events) = args.events {
            sizes.replay_events = events.max(1);
        }
        sizes
    }
}

/// One round of a figure: its time, its floor's time on the same bytes, and what explains them.
struct Round {
    took: Duration,
    floor_took: Duration,
    details: Value,
}

/// One rate beside its floor (each the best over the rounds), with whatever else explains it.
struct Figure {
    rate_per_s: f64,
    floor_per_s: f64,
    details: Value,
}

impl Figure {
    /// Runs `rounds` rounds; keeps the fastest time of the figure, of the floor, and the details of
    /// the figure's fastest round.
    fn measure(
        name: &str,
        events: u64,
        rounds: usize,
        mut round: impl FnMut(usize) -> BenchResult<Round>,
    ) -> BenchResult<Figure> {
        let mut best: Option<Round> = None;
        for index in 0..rounds {
            let this = round(index)?;
            report_line(name, events, this.took, this.floor_took);
            best = Some(match best {
                None => this,
                Some(best) => Round {
                    floor_took: best.floor_took.min(this.floor_took),
                    ..if this.took < best.took { this } else { best }
                },
            });
        }
        let best = best.expect("at least one round");
        let mut details = best.details;
        details["events"] = json!(events);
        details["rounds"] = json!(rounds);
        Ok(Figure {
            rate_per_s: per_second(events, best.took),
            floor_per_s: per_second(events, best.floor_took),
            details,
        })
    }

    fn to_json(&self) -> Value {
        let mut object = json!({
            "rate_per_s": self.rate_per_s.round(),
            "floor_per_s": self.floor_per_s.round(),
            "ratio": ratio(self.rate_per_s, self.floor_per_s),
        });
        if let (Value::Object(object), Value::Object(details)) = (&mut object, &self.details) {
            object.extend(details.clone());
        }
        object
    }
}

fn per_second(events: u64, took: Duration) -> f64 {
    events as f64 / took.as_secs_f64().max(1e-9)
}

/// A ratio rounded to three decimals, as the JSON reports it.
fn ratio(rate: f64, floor: f64) -> f64 {
    (rate / floor * 1000.0).round() / 1000.0
}

fn main() -> BenchResult<()> {
    let args = Args::parse();
    let sizes = Sizes::from_args(&args);
    std::fs::create_dir_all(&args.dir)?;
    let nproc = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    eprintln!("bench: {} cores, data in {}, {} round(s) per figure", nproc, args.dir.display(), sizes.rounds);
    let single = append_single_writer(&args.dir, &sizes)?;
    let concurrent = append_concurrent_writers(&args.dir, &sizes)?;
    let import = bulk_import(&args.dir, &sizes)?;
    let replay = replay_verify(&args.dir, &sizes)?;
    let report = json!({
        "append_1_writer": single.to_json(),
        "append_64_writers": concurrent.to_json(),
        "bulk_import": import.to_json(),
        "replay_verify": replay.to_json(),
        "machine": {"nproc": nproc},
        "events_bytes_avg": replay.details["record_bytes_avg"],
        "quick": args.quick,
    });
    println!("{report}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Realistic events.

/// Deduction reasons as assessors write them; varied so that bodies differ as they do in use.
const REASONS: [&str; 4] = [
    "半年工作报告文种错误，退回重报",
    "信息报送迟报两个工作日",
    "督办事项逾期未办结",
    "会议材料未按时报送，经提醒补报",
];
const PROBLEM_CATEGORIES: [&str; 4] = ["document-filing", "late-report", "overdue-task", "late-material"];

/// Makes `DeductionRecorded` append requests with seeded ids on a steadily advancing clock, so that
/// every run stores the same bytes.
struct Events {
    ids: SeededIds,
    start: Timestamp,
    actor: Actor,
}

impl Events {
    fn new(seed: &str) -> Events {
        Events {
            ids: SeededIds::new(seed),
            start: Timestamp::from_civil(2017, 7, 11, 9, 0, 0).expect("a valid date"),
            actor: Actor { id: "assessor-ys".into(), role: "assessor".into() },
        }
    }

    /// A request for `count` events whose numbers start at `first` (numbers pick data and time).
    fn request(&self, stream: String, expected: ExpectedVersion, first: u64, count: u64) -> AppendRequest {
        let recorded_at = self.start.plus_micros(first as i64 * 1_000);
        let events = (first..first + count).map(|n| self.event(n, recorded_at)).collect();
        AppendRequest {
            command_id: Some(format!("bench-{first}")),
            stream,
            expected,
            events,
            recorded_at,
            actor: self.actor.clone(),
            causation_id: None,
            correlation_id: None,
        }
    }

    fn event(&self, n: u64, at: Timestamp) -> NewEvent {
        let kind = (n % 4) as usize;
        NewEvent {
            event_id: self.ids.next_id(at),
            event_type: "DeductionRecorded".into(),
            schema_version: 1,
            data: json!({
                "indicator": format!("ZG-{:02}", n % 12 + 1),
                "unit": format!("YS{:02}", n % 20 + 1),
                "points": 50 * (kind as i64 + 1),
                "reason": REASONS[kind],
                "problem_category": PROBLEM_CATEGORIES[kind],
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The figures.

/// One thread, one event per append, each acknowledged only when durable. Floor: the same records,
/// one `insert` + `flush` + fsync each.
fn append_single_writer(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let count = sizes.single_writer_appends;
    eprintln!("append_1_writer: {count} appends of one event, one writer");
    Figure::measure("append_1_writer", count, sizes.rounds, |round| {
        let path = dir.join(format!("append-1-{round}"));
        let ledger = Ledger::open(&path)?;
        let events = Events::new("bench append_1_writer");
        let stream = "assessment-YS-2017-07-YS07";
        let started = Instant::now();
        for n in 0..count {
            ledger.append(events.request(stream.into(), ExpectedVersion::Exact(n), n, 1))?;
        }
        let took = started.elapsed();
        let mut details = ledger_details(&ledger, count, took);
        let records = stored_records(&ledger)?;
        drop(ledger);
        if round == 0 {
            show_first_record(&records);
        }
        let floor_path = dir.join(format!("floor-append-1-{round}"));
        let floor_took = raw_sled_writes(&floor_path, &records, 1)?;
        details["record_bytes_avg"] = record_bytes_avg(&records);
        remove_dirs(&[&path, &floor_path])?;
        Ok(Round { took, floor_took, details })
    })
}

/// Many threads, each appending single events to its own stream; group commit makes them durable.
/// Floor: the same records in raw sled batches of 1,000, each followed by `flush` + fsync.
fn append_concurrent_writers(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let (writers, per_writer) = (sizes.writers, sizes.appends_per_writer);
    let count = writers * per_writer;
    eprintln!("append_{writers}_writers: {writers} threads × {per_writer} appends of one event");
    Figure::measure("append_64_writers", count, sizes.rounds, |round| {
        let path = dir.join(format!("append-64-{round}"));
        let ledger = Ledger::open(&path)?;
        let took = run_writers(&ledger, writers, per_writer)?;
        let mut details = ledger_details(&ledger, count, took);
        let groups = details["group_commits"].as_u64().unwrap_or(1).max(1);
        let records = stored_records(&ledger)?;
        drop(ledger);
        let floor_path = dir.join(format!("floor-append-64-{round}"));
        let floor_took = raw_sled_writes(&floor_path, &records, IMPORT_EVENTS_PER_BATCH)?;
        // The same records again, in raw batches as large as the ledger's average group: what is
        // left between this and the ledger's rate is the ledger's own work, not the group size.
        let group_size = (count as usize).div_ceil(groups as usize);
        let groups_path = dir.join(format!("floor-groups-{round}"));
        let same_groups_took = raw_sled_writes(&groups_path, &records, group_size)?;
        details["floor_same_groups_per_s"] = json!(per_second(count, same_groups_took).round());
        details["record_bytes_avg"] = record_bytes_avg(&records);
        remove_dirs(&[&path, &floor_path, &groups_path])?;
        Ok(Round { took, floor_took, details })
    })
}

/// Starts the writers together and times them until the last one's last append is durable.
fn run_writers(ledger: &Ledger, writers: u64, per_writer: u64) -> BenchResult<Duration> {
    let events = Events::new("bench append_64_writers");
    let barrier = Barrier::new(writers as usize + 1);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..writers)
            .map(|writer| {
                let (events, barrier) = (&events, &barrier);
                scope.spawn(move || write_own_stream(ledger, events, barrier, writer, per_writer))
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        for thread in threads {
            thread.join().expect("a writer thread panicked")?;
        }
        Ok(started.elapsed())
    })
}

fn write_own_stream(
    ledger: &Ledger,
    events: &Events,
    barrier: &Barrier,
    writer: u64,
    appends: u64,
) -> Result<(), AppendError> {
    let stream = format!("assessment-YS-2017-07-W{writer:02}");
    let requests: Vec<_> = (0..appends)
        .map(|n| events.request(stream.clone(), ExpectedVersion::Exact(n), writer * appends + n, 1))
        .collect();
    barrier.wait();
    for request in requests {
        ledger.append(request)?;
    }
    Ok(())
}

/// Export a ledger to a file, then time the import that rebuilds it (batches of 1,000, each fsynced).
/// Floor: the same records in raw sled batches of 1,000, each followed by `flush` + fsync.
fn bulk_import(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let count = sizes.import_events;
    eprintln!("bulk_import: building a ledger of {count} events to export");
    let source_path = dir.join("import-source");
    let source = build_ledger(&source_path, count, "bench bulk_import")?;
    let records = stored_records(&source)?;
    let export_path = dir.join("export.jsonl");
    let mut out = BufWriter::new(File::create(&export_path)?);
    export::export(&source, &mut out, &|_| {})?;
    drop(out);
    drop(source);
    remove_dirs(&[&source_path])?;
    let export_bytes = std::fs::metadata(&export_path)?.len();
    eprintln!("bulk_import: exported {export_bytes} bytes");
    let figure = Figure::measure("bulk_import", count, sizes.rounds, |round| {
        let path = dir.join(format!("import-{round}"));
        let mut input = BufReader::new(File::open(&export_path)?);
        let started = Instant::now();
        let head = export::import(&path, &mut input, &|_| {})?;
        let took = started.elapsed();
        assert_eq!(head.seq, count, "the import rebuilt every event");
        let floor_path = dir.join(format!("floor-import-{round}"));
        let floor_took = raw_sled_writes(&floor_path, &records, IMPORT_EVENTS_PER_BATCH)?;
        remove_dirs(&[&path, &floor_path])?;
        let details = json!({
            "export_bytes": export_bytes,
            "batch_events": IMPORT_EVENTS_PER_BATCH,
            "record_bytes_avg": record_bytes_avg(&records),
        });
        Ok(Round { took, floor_took, details })
    });
    std::fs::remove_file(&export_path)?;
    figure
}

/// Walk and re-hash a large chain with `Ledger::verify` right after opening it, as
/// `kpi-ledger verify` does. Floor: a raw sled scan of the same tree, right after opening it, with
/// blake3 of each stored value on the same thread. A second walk on the same open handle (sled's
/// cache warm) is reported beside it as `warm_*`.
fn replay_verify(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let count = sizes.replay_events;
    let path = dir.join("replay");
    eprintln!("replay_verify: building a ledger of {count} events");
    drop(build_ledger(&path, count, "bench replay_verify")?);
    let (mut warm_took, mut warm_floor_took) = (Duration::MAX, Duration::MAX);
    let mut figure = Figure::measure("replay_verify", count, sizes.rounds, |_| {
        let [took, warm] = time_verify(&path, count)?;
        let db = open_raw_sled(&path)?;
        let tree = db.open_tree(raw::TREE_NAME)?;
        let floor_took = time_scan(&tree, count, Walk::ScanAndHash)?;
        let warm_floor = time_scan(&tree, count, Walk::ScanAndHash)?;
        (warm_took, warm_floor_took) = (warm_took.min(warm), warm_floor_took.min(warm_floor));
        Ok(Round { took, floor_took, details: json!({}) })
    })?;
    let (warm, warm_floor) = (per_second(count, warm_took), per_second(count, warm_floor_took));
    eprintln!("replay_verify, sled cache warm: {warm:.0}/s, floor {warm_floor:.0}/s, ratio {:.3}", warm / warm_floor);
    let parts = floor_parts(&path, count)?;
    figure.details["warm_rate_per_s"] = json!(warm.round());
    figure.details["warm_floor_per_s"] = json!(warm_floor.round());
    figure.details["warm_ratio"] = json!(ratio(warm, warm_floor));
    if let (Value::Object(details), Value::Object(parts)) = (&mut figure.details, parts) {
        details.extend(parts);
    }
    remove_dirs(&[&path])?;
    Ok(figure)
}

/// The two halves of the replay floor on their own: a scan without hashing (after a fresh open),
/// and blake3 of stored values already in memory; plus the records' average size.
fn floor_parts(path: &Path, count: u64) -> BenchResult<Value> {
    let db = open_raw_sled(path)?;
    let tree = db.open_tree(raw::TREE_NAME)?;
    let scan_took = time_scan(&tree, count, Walk::ScanOnly)?;
    let mut bytes = 0u64;
    for entry in tree.range(raw::event_key(1)..=raw::event_key(count)) {
        bytes += entry?.1.len() as u64;
    }
    let sample = count.min(100_000);
    let hash_took = time_hash_in_memory(&tree, sample)?;
    Ok(json!({
        "record_bytes_avg": (bytes as f64 / count as f64).round(),
        "scan_only_per_s": per_second(count, scan_took).round(),
        "blake3_only_per_s": per_second(sample, hash_took).round(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Ledger helpers.

/// Builds a ledger of `count` events fast: full-size appends (`EVENTS_PER_APPEND_MAX` events) on
/// 1,000 streams, a few in flight at once so the committer never waits for the caller.
fn build_ledger(path: &Path, count: u64, seed: &str) -> BenchResult<Ledger> {
    const IN_FLIGHT: usize = 4;
    const STREAMS: u64 = 1_000;
    let ledger = Ledger::open(path)?;
    let events = Events::new(seed);
    let per_append = EVENTS_PER_APPEND_MAX as u64;
    let mut pending: VecDeque<PendingAppend> = VecDeque::new();
    let started = Instant::now();
    let mut next = 0;
    while next < count {
        let size = per_append.min(count - next);
        let stream = format!("assessment-YS-2017-H1-U{:04}", (next / per_append) % STREAMS);
        pending.push_back(ledger.submit(events.request(stream, ExpectedVersion::Any, next, size))?);
        if pending.len() == IN_FLIGHT {
            pending.pop_front().expect("not empty").wait()?;
        }
        next += size;
        if next % 100_000 == 0 {
            eprintln!("  built {next} events ({:.0}/s)", per_second(next, started.elapsed()));
        }
    }
    for append in pending {
        append.wait()?;
    }
    assert_eq!(ledger.head().seq, count, "every built event landed");
    Ok(ledger)
}

/// The stored records, in sequence order, as the ledger wrote them.
fn stored_records(ledger: &Ledger) -> BenchResult<Vec<(u64, sled::IVec)>> {
    Ok(ledger.raw_records(1).collect::<Result<Vec<_>, _>>()?)
}

fn record_bytes_avg(records: &[(u64, sled::IVec)]) -> Value {
    let total: usize = records.iter().map(|(_, value)| value.len()).sum();
    json!((total as f64 / records.len().max(1) as f64).round())
}

fn show_first_record(records: &[(u64, sled::IVec)]) {
    if let Some((_, first)) = records.first() {
        let body = String::from_utf8_lossy(&first[RECORD_HEADER_LEN..]);
        eprintln!("  the first record is {} bytes; its body: {body}", first.len());
    }
}

/// What the ledger's counters say about a run: group commits and the share of time spent in fsync.
fn ledger_details(ledger: &Ledger, events: u64, took: Duration) -> Value {
    let (stats, durability) = ledger.stats();
    let groups = stats.groups.load(Ordering::Relaxed);
    let sync_seconds = durability.sync_micros_total.load(Ordering::Relaxed) as f64 / 1e6;
    eprintln!(
        "  {groups} group commits ({:.1} events each), {:.2} s of {:.2} s in fsync",
        events as f64 / groups.max(1) as f64,
        sync_seconds,
        took.as_secs_f64()
    );
    json!({
        "group_commits": groups,
        "fsync_share": ratio(sync_seconds, took.as_secs_f64()),
    })
}

/// Opens the ledger and verifies it twice: right after opening, and again with sled's cache warm.
fn time_verify(path: &Path, count: u64) -> BenchResult<[Duration; 2]> {
    let ledger = Ledger::open(path)?;
    let mut times = [Duration::ZERO; 2];
    for (time, state) in times.iter_mut().zip(["just opened", "cache warm"]) {
        let started = Instant::now();
        let verified = ledger.verify(&|_| {})?;
        *time = started.elapsed();
        assert_eq!(verified.events_checked, count, "verify walked every event");
        eprintln!("  Ledger::verify, {state}: {:.2} s, {:.0}/s", time.as_secs_f64(), per_second(count, *time));
    }
    Ok(times)
}

fn remove_dirs(paths: &[&Path]) -> std::io::Result<()> {
    paths.iter().try_for_each(std::fs::remove_dir_all)
}

// ---------------------------------------------------------------------------------------------
// The floors: raw sled and raw blake3 on the same bytes.

/// Opens a ledger's sled directory directly; retries while the closed ledger's lock is released.
fn open_raw_sled(path: &Path) -> BenchResult<sled::Db> {
    let mut attempts = 0;
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            Err(error) if attempts < 50 => {
                attempts += 1;
                eprintln!("  waiting for the ledger to release {}: {error}", path.display());
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Writes `records` under their ledger keys into a fresh sled db, `batch` at a time (one `insert`
/// when `batch` is 1), each write followed by `flush` and an fsync of the log file, as the ledger does.
fn raw_sled_writes(path: &Path, records: &[(u64, sled::IVec)], batch: usize) -> BenchResult<Duration> {
    let db = sled::Config::new().path(path).open()?;
    let tree = db.open_tree(raw::TREE_NAME)?;
    let log_file = File::options().read(true).write(true).open(path.join("db"))?;
    let started = Instant::now();
    for chunk in records.chunks(batch) {
        if let [(seq, value)] = chunk {
            tree.insert(raw::event_key(*seq), value.clone())?;
        } else {
            let mut writes = sled::Batch::default();
            for (seq, value) in chunk {
                writes.insert(&raw::event_key(*seq), value.clone());
            }
            tree.apply_batch(writes)?;
        }
        db.flush()?;
        log_file.sync_data()?;
    }
    Ok(started.elapsed())
}

#[derive(Clone, Copy, PartialEq)]
enum Walk {
    ScanOnly,
    ScanAndHash,
}

/// One thread: range-scan the event records and, with `ScanAndHash`, blake3 each stored value.
fn time_scan(tree: &sled::Tree, count: u64, walk: Walk) -> BenchResult<Duration> {
    let started = Instant::now();
    let mut seen = 0u64;
    for entry in tree.range(raw::event_key(1)..=raw::event_key(count)) {
        let (_, value) = entry?;
        if walk == Walk::ScanAndHash {
            black_box(blake3::hash(&value));
        } else {
            black_box(&value);
        }
        seen += 1;
    }
    let took = started.elapsed();
    assert_eq!(seen, count, "the scan saw every event");
    let what = if walk == Walk::ScanAndHash { "scan + blake3 (floor)" } else { "scan alone" };
    eprintln!("  raw sled {what}: {:.2} s, {:.0}/s", took.as_secs_f64(), per_second(count, took));
    Ok(took)
}

/// blake3 of `count` stored values already in memory: the hashing half of the floor on its own.
fn time_hash_in_memory(tree: &sled::Tree, count: u64) -> BenchResult<Duration> {
    let values = tree
        .range(raw::event_key(1)..=raw::event_key(count))
        .map(|entry| entry.map(|(_, value)| value))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    for value in &values {
        black_box(blake3::hash(value));
    }
    let took = started.elapsed();
    eprintln!("  blake3 alone, {} records in memory: {:.0}/s", values.len(), per_second(count, took));
    Ok(took)
}

fn report_line(name: &str, events: u64, took: Duration, floor_took: Duration) {
    let (rate, floor) = (per_second(events, took), per_second(events, floor_took));
    eprintln!("{name}: {rate:.0}/s, floor {floor:.0}/s, ratio {:.3}", rate / floor);
}
