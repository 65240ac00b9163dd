//! The benchmark (issues 2, 4, 5, 6, 11 and 12): every rate is measured beside its floor, in the same run,
//! on the same record bytes, and reported as a ratio. A floor is what raw sled (and raw blake3) does
//! with exactly the bytes the ledger stored, so the ratio shows what the ledger itself costs. Query
//! latencies (rankings, as-of rankings, traces, inclusion proofs) are reported as p50/p99 beside the
//! issues' targets, and the HTTP figures (run with wrk against `kpi-ledger serve` on 127.0.0.1) beside
//! the ledger's own rate and the issue's target. The staffed sizes (`people`: one county's own scheme
//! and its 40 staff over four years, and size L, a province of 100 counties and 5,000 staff) report
//! their projection rebuild beside the same floor, individual rankings' latency and peak RSS. The web
//! site's figures (`site`) time the overview and the deduction register through `kpi-ledger serve`,
//! signed in as a browser signs in, and count the bytes of a first and a repeat visit of the overview.
//!
//! Run it through `tools/bench` (it builds in release mode, installs wrk if missing, and gives the
//! program a fresh directory). Progress goes to stderr; the last line on stdout is one JSON object
//! with every figure.
//!
//! Invariant: a floor never writes or hashes bytes of its own making; it reads back the records the
//! ledger wrote (`Ledger::raw_records`, or the ledger's own sled tree) and replays exactly those.

use std::collections::{BTreeSet, VecDeque};
use std::error::Error;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use clap::Parser;
use kpi_ledger::chain::merkle::{verify_inclusion, Blake3, MerkleHash};
use kpi_ledger::chain::{Chain, Stamp, RECORD_HEADER_LEN};
use kpi_ledger::domain::event::PersonRegistered;
use kpi_ledger::domain::{
    Actor, Command as DomainCommand, Event, PeriodId, PeriodKind, PersonId, RecordedBy, Role, Timestamp, UnitCode,
    UnitLevel,
};
use kpi_ledger::limits::SNAPSHOT_INTERVAL_EVENTS;
use kpi_ledger::limits::{EVENTS_PER_APPEND_MAX, IMPORT_EVENTS_PER_BATCH};
use kpi_ledger::projection::{AsOf, PeerGroup, Projection, Recorded};
use kpi_ledger::service::person_keys::{PersonKeys, UNREADABLE_TEXT};
use kpi_ledger::service::queries::{QueryError, RankingScope};
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::{CommandOptions, IdSource, SeededIds, Service, ServiceError, SystemClock};
use kpi_ledger::store::{export, raw, Ledger, PendingAppend, SealedAppend};
use kpi_testkit::generator::{generate, Choose, GeneratedEvent, SeededChoices, Size};
use serde_json::{json, Value};

/// The product's allocator (as `src/main.rs` sets it), so in-process figures measure what the
/// server and the CLI run: with glibc's, decoding threads and the folding thread contend on arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BenchResult<T> = Result<T, Box<dyn Error>>;

#[derive(Parser)]
#[command(about = "Measures the ledger's rates beside raw sled floors, query latencies and HTTP throughput")]
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
    /// The `kpi-ledger` binary the HTTP figures serve with [default: target/release/kpi-ledger, next
    /// to this program's examples/ directory].
    #[arg(long)]
    kpi_ledger: Option<PathBuf>,
    /// The wrk load generator the HTTP figures drive the server with.
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// The directory of the wrk Lua scripts.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/wrk"))]
    wrk_scripts: PathBuf,
    /// Leave out the HTTP figures (they need wrk and the kpi-ledger binary).
    #[arg(long)]
    skip_http: bool,
    /// Only the figures of a server on the large ledger (restart, reads during and after a write
    /// burst, as-of reads, peak RSS).
    #[arg(long)]
    only_server: bool,
    /// Only the projection figures (rebuild of the generated M history beside its floor, ranking,
    /// as-of ranking and trace latencies).
    #[arg(long)]
    only_projections: bool,
    /// Events in the served ledger of those figures [default: 1000000, or 100000 with --quick].
    #[arg(long)]
    server_events: Option<u64>,
    /// Writes the served ledger of those figures here and keeps it; a later run given the same
    /// directory serves it again (topped up to --server-events), without writing it anew.
    #[arg(long)]
    server_data: Option<PathBuf>,
    /// Only the figures of the staffed sizes: the county size (one county's own scheme and 40 staff
    /// over four years, ~13,000 events) and size L (100 counties, 600 sections, 5,000 staff, a year,
    /// ~400,000 events), each generated, written, rebuilt beside `Ledger::verify`, its individual
    /// rankings timed and its peak RSS read. A full run includes them after the other figures; --quick
    /// runs the county size alone. Generating and writing L takes about 45-50 s in release on 2 cores
    /// and 4 GiB of memory, in a child process (the generator holds its whole history until written);
    /// the county size a second; the whole of --people about two minutes.
    #[arg(long, conflicts_with_all = ["only_server", "skip_people"])]
    people: bool,
    /// Leave out the figures of the staffed sizes.
    #[arg(long)]
    skip_people: bool,
    /// Only the web site's figures (issue 12): the overview (`GET /`) and the deduction register
    /// (`GET /register`, unfiltered and filtered by a unit) timed through `kpi-ledger serve` on the
    /// generated M history, signed in as a browser signs in, and the bytes of a first and a repeat
    /// visit of the overview. A full run includes them (on M) unless --skip-site is given.
    #[arg(long, conflicts_with_all = ["only_server", "only_projections", "people", "skip_site"])]
    site: bool,
    /// Leave out the web site's figures.
    #[arg(long)]
    skip_site: bool,
    /// Add size L (100 counties, 5,000 staff, ~400,000 events) to the site figures: generating and
    /// writing it takes about 50 s and 4 GiB of memory, in a child process, as for --people.
    #[arg(long, conflicts_with = "skip_site")]
    site_l: bool,
    /// (Internal: the child process of the staffed figures.) Generates the staffed size `county` or
    /// `l` and writes it into a new ledger at --dir.
    #[arg(long, hide = true)]
    write_staffed: Option<String>,
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
    /// Rebuilds of the generated M projection (and verifications of its ledger); the best is reported.
    rebuilds: usize,
    ranking_samples: usize,
    as_of_samples: usize,
    trace_samples: usize,
    proof_samples: usize,
    /// The staffed sizes generated (the county size alone with --quick, and L too otherwise), the
    /// rebuilds of each (the best is reported) and the individual rankings timed on each.
    people_sizes: Vec<Size>,
    people_rebuilds: usize,
    individual_ranking_samples: usize,
    /// Sequential requests timed per site page, after `site_warmup` unmeasured ones.
    site_samples: usize,
    site_warmup: usize,
    /// Length of each measured wrk run, and of the unmeasured warm-up and the reads floor's run.
    http_seconds: u64,
    http_warmup_seconds: u64,
    http_floor_seconds: u64,
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
                rebuilds: 3,
                ranking_samples: 200,
                as_of_samples: 40,
                trace_samples: 200,
                proof_samples: 500,
                people_sizes: vec![Size::County],
                people_rebuilds: 3,
                individual_ranking_samples: 50,
                site_samples: 50,
                site_warmup: 5,
                http_seconds: 3,
                http_warmup_seconds: 1,
                http_floor_seconds: 2,
            }
        } else {
            Sizes {
                single_writer_appends: 2_000,
                writers: 64,
                appends_per_writer: 300,
                import_events: 200_000,
                replay_events: 1_000_000,
                rounds: 3,
                rebuilds: 10,
                ranking_samples: 2_000,
                as_of_samples: 500,
                trace_samples: 2_000,
                proof_samples: 5_000,
                people_sizes: vec![Size::County, Size::L],
                people_rebuilds: 3,
                individual_ranking_samples: 300,
                site_samples: 300,
                site_warmup: 20,
                http_seconds: 10,
                http_warmup_seconds: 2,
                http_floor_seconds: 5,
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
    if let Some(name) = &args.write_staffed {
        return write_staffed(name, &args.dir);
    }
    let sizes = Sizes::from_args(&args);
    std::fs::create_dir_all(&args.dir)?;
    let nproc = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    eprintln!("bench: {} cores, data in {}, {} round(s) per figure", nproc, args.dir.display(), sizes.rounds);
    if args.people {
        let figures = people_figures(&args.dir, &sizes)?;
        println!("{}", json!({"people": figures, "machine": {"nproc": nproc}, "quick": args.quick}));
        return Ok(());
    }
    if args.site {
        let figures = site_figures(&kpi_ledger_binary(&args)?, &args.dir, &sizes, args.site_l)?;
        println!("{}", json!({"site": figures, "machine": {"nproc": nproc}, "quick": args.quick}));
        return Ok(());
    }
    let http = if args.skip_http { None } else { Some(HttpTools::find(&args)?) };
    let site_binary = if args.skip_site { None } else { Some(kpi_ledger_binary(&args)?) };
    if args.only_server {
        let tools = http.as_ref().ok_or("--only-server needs the HTTP tools (leave out --skip-http)")?;
        let figures = large_server_figures(tools, &args.dir, &sizes, &args)?;
        println!("{}", json!({"server_1m": figures, "machine": {"nproc": nproc}, "quick": args.quick}));
        return Ok(());
    }
    if args.only_projections {
        let projections = projection_figures(&args.dir, &sizes)?;
        println!(
            "{}",
            json!({"projection_rebuild": projections.rebuild, "machine": {"nproc": nproc}, "quick": args.quick})
        );
        return Ok(());
    }
    let mut peaks = PeakRss::default();
    let single = append_single_writer(&args.dir, &sizes)?;
    let concurrent = append_concurrent_writers(&args.dir, &sizes)?;
    peaks.note("appends");
    let import = bulk_import(&args.dir, &sizes)?;
    peaks.note("bulk_import");
    let replay_path = args.dir.join("replay");
    let replay = replay_verify(&replay_path, &sizes)?;
    peaks.note("replay_verify");
    let proofs = inclusion_proofs(&replay_path, &sizes)?;
    remove_dirs(&[&replay_path])?;
    peaks.note("inclusion_proofs");
    let projections = projection_figures(&args.dir, &sizes)?;
    peaks.note("projections");
    let mut report = json!({
        "append_1_writer": single.to_json(),
        "append_64_writers": concurrent.to_json(),
        "bulk_import": import.to_json(),
        "replay_verify": replay.to_json(),
        "inclusion_proof_ms": proofs,
        "projection_rebuild": projections.rebuild,
        "ranking_ms": projections.ranking,
        "as_of_ranking_ms": projections.as_of_ranking,
        "trace_ms": projections.trace,
        "machine": {"nproc": nproc},
        "events_bytes_avg": replay.details["record_bytes_avg"],
        "quick": args.quick,
    });
    if let Some(tools) = &http {
        let figures = http_figures(tools, &args.dir, &sizes, concurrent.rate_per_s)?;
        report["http_commands_64"] = figures.commands;
        report["http_ranking_reads"] = figures.ranking_reads;
        peaks.note("http");
        report["server_1m"] = large_server_figures(tools, &args.dir, &sizes, &args)?;
    }
    if let Some(binary) = &site_binary {
        report["site"] = site_figures(binary, &args.dir, &sizes, args.site_l)?;
        peaks.note("site");
    }
    report["peak_rss_mb"] = json!(peak_rss_mb("self"));
    report["peak_rss_mb_after"] = Value::Object(peaks.0);
    // Last: each staffed size reads its own peak (the process's is reset before it) and L's history
    // alone takes gigabytes, which would hide every peak above.
    if !args.skip_people {
        report["people"] = people_figures(&args.dir, &sizes)?;
    }
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

/// Real, typed events for large ledgers — registrations of persons, one stream each — sealed with the
/// ledger's own sealing on a steadily advancing clock with seeded ids, so every run stores the same
/// bytes. (A ledger of a million of them imports and folds as any other: each decodes as its type.)
struct Events {
    ids: SeededIds,
    start: Timestamp,
    recorded_by: RecordedBy,
    chain: Chain,
    /// Added to the sequence number in person ids (to follow another history's persons).
    offset: u64,
}

impl Events {
    fn new(seed: &str) -> Events {
        Events {
            ids: SeededIds::new(seed),
            start: Timestamp::from_civil(2017, 7, 11, 9, 0, 0).expect("a valid date"),
            recorded_by: RecordedBy { id: "admin-ys".into(), role: Role::Admin },
            chain: Chain::default(),
            offset: 0,
        }
    }

    /// The next `count` events of the chain, sealed, as one append.
    fn append(&mut self, count: u64) -> SealedAppend {
        let events = (0..count)
            .map(|_| {
                let n = self.chain.head().seq + 1;
                let at = self.start.plus_micros(n as i64 * 1_000);
                let event: Event = PersonRegistered {
                    person: PersonId::new(format!("P{:09}", n + self.offset)).expect("a person id"),
                    name: format!("{}（{n}）", REASONS[(n % 4) as usize]).into(),
                    unit: UnitCode::new(format!("YS{:02}", n % 20 + 1)).expect("a unit code"),
                }
                .into();
                let stamp = Stamp {
                    event_id: self.ids.next_id(at),
                    recorded_at: at,
                    recorded_by: &self.recorded_by,
                    command_id: None,
                    correlation_id: None,
                    imported: None,
                };
                self.chain.append(&event, stamp).expect("small events").0
            })
            .collect();
        SealedAppend { events, command: None }
    }
}

/// A service on a new ledger at `path` whose organisation (a city and 20 counties) is registered, for
/// the append figures: every command there is decided, sealed and appended as in production.
fn service_for_appends(path: &Path) -> BenchResult<Service> {
    let ledger = Arc::new(Ledger::open(path)?);
    let service = Service::open(ledger, Arc::new(SystemClock), Arc::new(SeededIds::new("bench appends")))?;
    let mut commands =
        vec![register_unit(r#"{"unit": "YS", "name": "乙市国家税务局", "level": "city", "parent": null}"#)];
    commands.extend((1..=20).map(|n| {
        register_unit(&format!(r#"{{"unit": "YS{n:02}", "name": "第{n}县", "level": "county", "parent": "YS"}}"#))
    }));
    service.execute_all(admin(), &commands).map_err(|e| e.to_string())?;
    Ok(service)
}

fn register_unit(payload: &str) -> DomainCommand {
    DomainCommand::from_json(&format!(r#"{{"command": "RegisterUnit", "payload": {payload}}}"#))
        .expect("a valid command")
}

fn admin() -> Actor {
    Actor { id: "admin-ys".into(), role: Role::Admin, unit: UnitCode::new("YS").expect("a unit code") }
}

/// One registration of a person: one command, one event, its own stream.
fn register_person(n: u64) -> DomainCommand {
    let reason = REASONS[(n % 4) as usize];
    DomainCommand::from_json(&format!(
        r#"{{"command": "RegisterPerson", "payload": {{"person": "P{n:09}", "name": "{reason}", "unit": "YS{:02}"}}}}"#,
        n % 20 + 1
    ))
    .expect("a valid command")
}

// ---------------------------------------------------------------------------------------------
// The figures.

/// One thread, one command (one event) at a time through the service — decided, sealed, appended —
/// each acknowledged only when durable. Floor: the same records, one `insert` + `flush` + fsync each.
fn append_single_writer(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let count = sizes.single_writer_appends;
    eprintln!("append_1_writer: {count} commands of one event, one writer, through the service");
    Figure::measure("append_1_writer", count, sizes.rounds, |round| {
        let path = dir.join(format!("append-1-{round}"));
        let service = service_for_appends(&path)?;
        let started = Instant::now();
        for n in 0..count {
            service.execute(admin(), &register_person(n), CommandOptions::default())?;
        }
        let took = started.elapsed();
        let ledger = service.ledger().clone();
        let mut details = ledger_details(&ledger, count, took);
        let records = stored_records(&ledger)?;
        drop(service);
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

/// Many threads, each carrying out one-event commands through the service; the decider pipelines them
/// and group commit makes them durable together. Floor: the same records in raw sled batches of 1,000,
/// each followed by `flush` + fsync.
fn append_concurrent_writers(dir: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let (writers, per_writer) = (sizes.writers, sizes.appends_per_writer);
    let count = writers * per_writer;
    eprintln!("append_{writers}_writers: {writers} threads × {per_writer} commands of one event");
    Figure::measure("append_64_writers", count, sizes.rounds, |round| {
        let path = dir.join(format!("append-64-{round}"));
        let service = service_for_appends(&path)?;
        let took = run_writers(&service, writers, per_writer)?;
        let ledger = service.ledger().clone();
        let mut details = ledger_details(&ledger, count, took);
        let groups = details["group_commits"].as_u64().unwrap_or(1).max(1);
        let records = stored_records(&ledger)?;
        drop(service);
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

/// Starts the writers together and times them until the last one's last command is durable.
fn run_writers(service: &Service, writers: u64, per_writer: u64) -> BenchResult<Duration> {
    let barrier = Barrier::new(writers as usize + 1);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..writers)
            .map(|writer| {
                let barrier = &barrier;
                scope.spawn(move || write_own_streams(service, barrier, writer, per_writer))
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

fn write_own_streams(service: &Service, barrier: &Barrier, writer: u64, commands: u64) -> Result<(), ServiceError> {
    let commands: Vec<_> = (0..commands).map(|n| register_person(writer * commands + n)).collect();
    barrier.wait();
    for command in &commands {
        service.execute(admin(), command, CommandOptions::default())?;
    }
    Ok(())
}

/// Export a ledger to a file, then time the import that rebuilds it as `kpi-ledger import` does: every
/// line checked as an append would be (typed decode included), batches of 1,000 each fsynced, and the
/// staged ledger loaded as a server loads it before it is moved into place.
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
        let settings = kpi_ledger::service::admin::LedgerSettings::new(&path);
        let key = kpi_ledger::service::admin::ImportKey::New;
        let head = kpi_ledger::service::admin::import_export(&settings, &mut input, &key, &|_| {})?;
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
/// cache warm) is reported beside it as `warm_*`. The ledger is left at `path` for the proofs.
fn replay_verify(path: &Path, sizes: &Sizes) -> BenchResult<Figure> {
    let count = sizes.replay_events;
    eprintln!("replay_verify: building a ledger of {count} events");
    drop(build_ledger(path, count, "bench replay_verify")?);
    let (mut warm_took, mut warm_floor_took) = (Duration::MAX, Duration::MAX);
    let mut figure = Figure::measure("replay_verify", count, sizes.rounds, |_| {
        let [took, warm] = time_verify(path, count)?;
        let db = open_raw_sled(path)?;
        let tree = db.open_tree(raw::TREE_NAME)?;
        let floor_took = time_scan(&tree, count, Walk::ScanAndHash)?;
        let warm_floor = time_scan(&tree, count, Walk::ScanAndHash)?;
        (warm_took, warm_floor_took) = (warm_took.min(warm), warm_floor_took.min(warm_floor));
        Ok(Round { took, floor_took, details: json!({}) })
    })?;
    let (warm, warm_floor) = (per_second(count, warm_took), per_second(count, warm_floor_took));
    eprintln!("replay_verify, sled cache warm: {warm:.0}/s, floor {warm_floor:.0}/s, ratio {:.3}", warm / warm_floor);
    let parts = floor_parts(path, count)?;
    figure.details["warm_rate_per_s"] = json!(warm.round());
    figure.details["warm_floor_per_s"] = json!(warm_floor.round());
    figure.details["warm_ratio"] = json!(ratio(warm, warm_floor));
    if let (Value::Object(details), Value::Object(parts)) = (&mut figure.details, parts) {
        details.extend(parts);
    }
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

/// Builds a ledger of `count` events fast: full-size appends (`EVENTS_PER_APPEND_MAX` events), a few
/// in flight at once so the committer never waits for the caller.
fn build_ledger(path: &Path, count: u64, seed: &str) -> BenchResult<Ledger> {
    const IN_FLIGHT: usize = 4;
    let ledger = Ledger::open(path)?;
    let mut events = Events::new(seed);
    let per_append = EVENTS_PER_APPEND_MAX as u64;
    let mut pending: VecDeque<PendingAppend> = VecDeque::new();
    let started = Instant::now();
    let mut next = 0;
    while next < count {
        let size = per_append.min(count - next);
        pending.push_back(ledger.submit(events.append(size))?);
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

// ---------------------------------------------------------------------------------------------
// Latencies.

/// p50, p99 and max of `samples` in milliseconds (three decimals), with the count and, where an
/// issue sets one, the p99 target beside them.
fn latency_json(mut samples: Vec<Duration>, target_p99_ms: Option<f64>) -> Value {
    samples.sort_unstable();
    let millis = |duration: Duration| (duration.as_secs_f64() * 1e6).round() / 1e3;
    let percentile = |p: f64| {
        let rank = ((p / 100.0 * samples.len() as f64).ceil() as usize).clamp(1, samples.len().max(1));
        samples.get(rank - 1).copied().map_or(0.0, millis)
    };
    let mut summary = json!({
        "p50": percentile(50.0),
        "p99": percentile(99.0),
        "max": samples.last().copied().map_or(0.0, millis),
        "samples": samples.len(),
    });
    if let Some(target) = target_p99_ms {
        summary["target_p99_ms"] = json!(target);
        summary["meets_target"] = json!(percentile(99.0) <= target);
    }
    summary
}

fn report_latency(name: &str, summary: &Value) {
    eprintln!(
        "{name}: p50 {} ms, p99 {} ms, max {} ms over {} samples",
        summary["p50"], summary["p99"], summary["max"], summary["samples"]
    );
}

/// The process's peak resident set after each phase, so that the final peak can be placed.
#[derive(Default)]
struct PeakRss(serde_json::Map<String, Value>);

impl PeakRss {
    fn note(&mut self, phase: &str) {
        let peak = peak_rss_mb("self");
        eprintln!("  peak RSS after {phase}: {} MiB", peak.map_or("?".to_owned(), |mb| mb.to_string()));
        self.0.insert(phase.to_owned(), json!(peak));
    }
}

/// The process's peak resident set (VmHWM) in MiB, one decimal; `pid` is a number or "self".
fn peak_rss_mb(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

// ---------------------------------------------------------------------------------------------
// Merkle proofs (issue 6), on the replay ledger.

/// Inclusion proofs of random events in trees of random sizes (`Ledger::inclusion_proof`), each
/// checked with `verify_inclusion` against `Ledger::merkle_root` of that size; the root's own time is
/// reported beside the proof's.
fn inclusion_proofs(path: &Path, sizes: &Sizes) -> BenchResult<Value> {
    let ledger = open_ledger(path)?;
    let head = ledger.head().seq;
    let samples = sizes.proof_samples;
    eprintln!("inclusion_proof_ms: {samples} proofs of random events in random tree sizes up to {head}");
    let mut choices = SeededChoices::new(6);
    let (mut proof_times, mut root_times) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    let (mut failures, mut proof_hashes) = (0u64, 0u64);
    for _ in 0..samples {
        let seq = 1 + choices.below(head);
        let tree_size = seq + choices.below(head - seq + 1);
        let started = Instant::now();
        let proof = ledger.inclusion_proof(seq, tree_size)?;
        proof_times.push(started.elapsed());
        let started = Instant::now();
        let root = ledger.merkle_root(tree_size)?;
        root_times.push(started.elapsed());
        let event = ledger.event_at(seq)?.ok_or_else(|| format!("event {seq} is missing"))?;
        let path: Vec<[u8; 32]> = proof.iter().map(|hash| hash.0).collect();
        proof_hashes += path.len() as u64;
        if verify_inclusion::<Blake3>(&Blake3::leaf(&event.hash.0), seq - 1, tree_size, &path, &root.0).is_err() {
            failures += 1;
        }
    }
    let mut summary = latency_json(proof_times, None);
    report_latency("inclusion_proof_ms", &summary);
    summary["verify_failures"] = json!(failures);
    summary["tree_size_max"] = json!(head);
    summary["proof_hashes_avg"] = json!((proof_hashes as f64 / samples.max(1) as f64 * 10.0).round() / 10.0);
    summary["merkle_root_ms"] = latency_json(root_times, None);
    eprintln!("  {failures} of {samples} proofs failed verification");
    Ok(summary)
}

/// Opens a ledger another handle (or a raw sled db) has just closed; retries while its lock is released.
fn open_ledger(path: &Path) -> BenchResult<Ledger> {
    let mut attempts = 0;
    loop {
        match Ledger::open(path) {
            Ok(ledger) => return Ok(ledger),
            Err(error) if attempts < 50 => {
                attempts += 1;
                eprintln!("  waiting for {} to be released: {error}", path.display());
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Projections and read models (issue 4), on a generated history written to a real ledger.

/// The seed of the generated histories (M for the projection figures, S for the HTTP server).
const HISTORY_SEED: u64 = 1;

/// The issue's floors and targets.
const PROJECTION_REBUILD_TARGET_PER_S: f64 = 500_000.0;
const RANKING_TARGET_P99_MS: f64 = 1.0;
const AS_OF_RANKING_TARGET_P99_MS: f64 = 50.0;
const TRACE_TARGET_P99_MS: f64 = 5.0;

struct ProjectionFigures {
    rebuild: Value,
    ranking: Value,
    as_of_ranking: Value,
    trace: Value,
}

/// Writes the generated M history into a ledger, then measures the rebuild of its projection and
/// the queries answered through `ReadModels` on it.
fn projection_figures(dir: &Path, sizes: &Sizes) -> BenchResult<ProjectionFigures> {
    let started = Instant::now();
    let history = generate(HISTORY_SEED, Size::M);
    eprintln!(
        "projection_rebuild: generated the M history ({} events) in {:.1} s",
        history.events.len(),
        started.elapsed().as_secs_f64()
    );
    let path = dir.join("projection-m");
    let ledger = Arc::new(write_history(&path, &history.events)?);
    drop(history);
    let rebuild = projection_rebuild(&ledger, sizes.rebuilds, &format!("generated M, seed {HISTORY_SEED}"))?;
    let [ranking, as_of_ranking, trace] = read_model_queries(ledger, sizes)?;
    remove_dirs(&[&path])?;
    Ok(ProjectionFigures { rebuild, ranking, as_of_ranking, trace })
}

/// Appends a generated history one event per request, as `tools/generate.rs` does, and checks that
/// the ledger holds exactly the generator's chain.
fn write_history(path: &Path, events: &[GeneratedEvent]) -> BenchResult<Ledger> {
    const IN_FLIGHT: usize = 4_096;
    let started = Instant::now();
    let ledger = Ledger::open(path)?;
    let mut pending: VecDeque<PendingAppend> = VecDeque::new();
    for generated in events {
        pending.push_back(ledger.submit(SealedAppend { events: vec![generated.sealed.clone()], command: None })?);
        if pending.len() == IN_FLIGHT {
            pending.pop_front().expect("not empty").wait()?;
        }
    }
    for append in pending {
        append.wait()?;
    }
    let sealed_head = events.last().map(|event| event.sealed.hash).unwrap_or_default();
    assert_eq!(ledger.head().hash, sealed_head, "the ledger holds exactly the generated chain");
    eprintln!(
        "  wrote {} generated events into {} in {:.1} s",
        events.len(),
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ledger)
}

/// The projection rebuilt from the ledger as a server rebuilds it without a snapshot: pages of
/// stored events read, decoded and folded. Floor: `Ledger::verify` of the same events (read + link
/// check + blake3, no decoding). Both with sled's cache warm; the best of `rebuilds` runs each. The
/// halves — reading and decoding alone, folding decoded events alone — are reported beside them.
fn projection_rebuild(ledger: &Ledger, rebuilds: usize, history: &str) -> BenchResult<Value> {
    let events = ledger.head().seq;
    let mut best = [Duration::MAX; 4];
    let mut rebuilt = Projection::new();
    for _ in 0..rebuilds {
        let started = Instant::now();
        rebuilt = rebuild(ledger)?;
        best[0] = best[0].min(started.elapsed());
        let started = Instant::now();
        let verified = ledger.verify(&|_| {})?;
        best[1] = best[1].min(started.elapsed());
        assert_eq!(verified.events_checked, events, "verify walked every event");
        let started = Instant::now();
        let recorded = read_recorded(ledger)?;
        best[2] = best[2].min(started.elapsed());
        let started = Instant::now();
        let folded = Projection::fold(&recorded)?;
        best[3] = best[3].min(started.elapsed());
        assert!(folded == rebuilt, "folding decoded events gives the rebuilt projection");
    }
    black_box(&rebuilt);
    let [rebuild_rate, floor, read_decode, fold] = best.map(|took| per_second(events, took));
    eprintln!(
        "projection_rebuild: {rebuild_rate:.0}/s, floor (Ledger::verify) {floor:.0}/s, ratio {:.3}",
        rebuild_rate / floor
    );
    eprintln!("  read + decode alone {read_decode:.0}/s, fold of decoded events alone {fold:.0}/s");
    Ok(json!({
        "rate_per_s": rebuild_rate.round(),
        "floor_per_s": floor.round(),
        "ratio": ratio(rebuild_rate, floor),
        "events": events,
        "target_per_s": PROJECTION_REBUILD_TARGET_PER_S,
        "meets_target": rebuild_rate >= PROJECTION_REBUILD_TARGET_PER_S,
        "read_decode_per_s": read_decode.round(),
        "fold_only_per_s": fold.round(),
        "rebuilds": rebuilds,
        "history": history,
    }))
}

/// Reads every event of the ledger page by page, decodes it and folds it.
fn rebuild(ledger: &Ledger) -> BenchResult<Projection> {
    let mut projection = Projection::new();
    kpi_ledger::service::read_models::fold_ledger(ledger, &mut projection, ledger.head().seq, |_| Ok(()))?;
    Ok(projection)
}

/// Every event of the ledger, decoded as projection input.
fn read_recorded(ledger: &Ledger) -> BenchResult<Vec<Recorded>> {
    let head = ledger.head().seq;
    let mut events = Vec::with_capacity(head as usize);
    ledger.for_each_record(1, head, |seq, record| -> BenchResult<()> {
        events.push(kpi_ledger::chain::decode(seq, &record)?);
        Ok(())
    })?;
    Ok(events)
}

/// What the queries pick from at random: every peer group, every unit ranked in one, every period
/// (months, quarters, half-years, the year) of the schemes' years.
struct QueryTargets {
    groups: Vec<PeerGroup>,
    units: Vec<UnitCode>,
    periods: Vec<PeriodId>,
}

impl QueryTargets {
    fn of(projection: &Projection) -> QueryTargets {
        let facts = projection.facts();
        let groups: Vec<PeerGroup> = facts.schemes.keys().flat_map(|scheme| projection.peer_groups(scheme)).collect();
        let units: BTreeSet<UnitCode> = groups.iter().flat_map(|group| projection.peer_group_members(group)).collect();
        let years: BTreeSet<i32> = facts.schemes.values().map(|scheme| scheme.settings.year).collect();
        let periods = years.into_iter().flat_map(periods_of_year).collect();
        QueryTargets { groups, units: units.into_iter().collect(), periods }
    }

    fn pick<'a, T>(choices: &mut SeededChoices, items: &'a [T]) -> &'a T {
        &items[choices.below(items.len() as u64) as usize]
    }
}

fn periods_of_year(year: i32) -> Vec<PeriodId> {
    let mut texts: Vec<String> = (1..=12).map(|month| format!("{year}-{month:02}")).collect();
    texts.extend((1..=4).map(|quarter| format!("{year}-Q{quarter}")));
    texts.extend((1..=2).map(|half| format!("{year}-H{half}")));
    texts.push(year.to_string());
    texts.iter().map(|text| PeriodId::parse(text).expect("well-formed periods")).collect()
}

/// Times one query; a "not found" answer (a group or period that did not exist yet at an as-of
/// point) is timed like any other and counted.
fn time_query<T>(
    times: &mut Vec<Duration>,
    not_found: &mut u64,
    query: impl FnOnce() -> Result<T, QueryError>,
) -> BenchResult<()> {
    let started = Instant::now();
    let answer = query();
    times.push(started.elapsed());
    match answer {
        Ok(answer) => {
            black_box(answer);
        }
        Err(QueryError::NotFound { .. }) => *not_found += 1,
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

/// Current rankings of random peer groups and periods, as-of rankings at random sequence numbers
/// (the nearest persisted snapshot plus the events after it), and traces of random units and periods,
/// each through `ReadModels` as the HTTP API calls it.
fn read_model_queries(ledger: Arc<Ledger>, sizes: &Sizes) -> BenchResult<[Value; 3]> {
    let head = ledger.head().seq;
    let started = Instant::now();
    let read_models = ReadModels::open(ledger)?;
    let open_seconds = started.elapsed().as_secs_f64();
    let interval = SNAPSHOT_INTERVAL_EVENTS;
    eprintln!("read models: opened in {open_seconds:.2} s (folded {head} events, a snapshot every {interval})");
    let (_, targets) = read_models.with_projection(AsOf::Latest, QueryTargets::of)?;
    let mut choices = SeededChoices::new(HISTORY_SEED);
    let scope = |group: &PeerGroup| RankingScope::Group {
        scheme: group.scheme.clone(),
        function_code: group.function_code.clone(),
    };

    let (mut times, mut not_found) = (Vec::new(), 0);
    for _ in 0..sizes.ranking_samples {
        let group = QueryTargets::pick(&mut choices, &targets.groups);
        let period = *QueryTargets::pick(&mut choices, &targets.periods);
        time_query(&mut times, &mut not_found, || read_models.ranking(&scope(group), period, AsOf::Latest))?;
    }
    let mut ranking = latency_json(times, Some(RANKING_TARGET_P99_MS));
    ranking["not_found"] = json!(not_found);
    ranking["peer_groups"] = json!(targets.groups.len());
    ranking["periods"] = json!(targets.periods.len());
    report_latency("ranking_ms", &ranking);

    // The first as-of query near each snapshot loads and decodes it; later ones find it decoded in
    // memory, as on a running server. Those first loads are reported on their own.
    let mut first_loads = Vec::new();
    for boundary in (SNAPSHOT_INTERVAL_EVENTS..head).step_by(SNAPSHOT_INTERVAL_EVENTS as usize) {
        let group = &targets.groups[0];
        let period = targets.periods[0];
        time_query(&mut first_loads, &mut 0, || read_models.ranking(&scope(group), period, AsOf::Seq(boundary)))?;
    }
    let (mut times, mut not_found) = (Vec::new(), 0);
    for _ in 0..sizes.as_of_samples {
        let seq = 1 + choices.below(head.saturating_sub(1).max(1));
        let group = QueryTargets::pick(&mut choices, &targets.groups);
        let period = *QueryTargets::pick(&mut choices, &targets.periods);
        time_query(&mut times, &mut not_found, || read_models.ranking(&scope(group), period, AsOf::Seq(seq)))?;
    }
    let mut as_of_ranking = latency_json(times, Some(AS_OF_RANKING_TARGET_P99_MS));
    as_of_ranking["not_found"] = json!(not_found);
    as_of_ranking["snapshot_interval_events"] = json!(SNAPSHOT_INTERVAL_EVENTS);
    as_of_ranking["snapshot_first_load_ms"] = latency_json(first_loads, None)["max"].take();
    report_latency("as_of_ranking_ms", &as_of_ranking);

    let (mut times, mut not_found) = (Vec::new(), 0);
    for _ in 0..sizes.trace_samples {
        let unit = QueryTargets::pick(&mut choices, &targets.units);
        let period = *QueryTargets::pick(&mut choices, &targets.periods);
        time_query(&mut times, &mut not_found, || read_models.trace(unit, period, AsOf::Latest))?;
    }
    let mut trace = latency_json(times, Some(TRACE_TARGET_P99_MS));
    trace["not_found"] = json!(not_found);
    trace["units"] = json!(targets.units.len());
    report_latency("trace_ms", &trace);

    Ok([ranking, as_of_ranking, trace])
}

// ---------------------------------------------------------------------------------------------
// The staffed sizes (issue 11): a county's own scheme and its staff, and a province of them.

/// Each staffed size of the run (`Sizes::people_sizes`), by name: `county` and `l`.
fn people_figures(dir: &Path, sizes: &Sizes) -> BenchResult<Value> {
    let mut figures = serde_json::Map::new();
    for size in &sizes.people_sizes {
        let name = staffed_name(*size).ok_or("the staffed sizes are County and L")?;
        figures.insert(name.to_owned(), people_size(dir, name, sizes)?);
    }
    Ok(Value::Object(figures))
}

fn staffed_name(size: Size) -> Option<&'static str> {
    match size {
        Size::County => Some("county"),
        Size::L => Some("l"),
        Size::S | Size::M => None,
    }
}

fn staffed_shape(name: &str) -> &'static str {
    match name {
        "county" => "one county, 6 sections, 40 staff, its own scheme, 2014-2017",
        _ => "one province, 100 counties, 600 sections, 5,000 staff, their own schemes, 2017",
    }
}

/// One staffed size: generated and written (with its persons' keys) by a child process of this
/// program (`--write-staffed`), so that the generator's history — gigabytes for L — weighs on no figure
/// here; then the counties' individual rankings read through `ReadModels` as the API reads them (names
/// opened with the keys), and the projection rebuilt beside `Ledger::verify` (`projection_rebuild`, as
/// for M). The process's peak RSS is reset before each part and read after it: `peak_rss_mb` is the
/// read models' (opened by folding the ledger, as a server opens, and queried), `rss_mb_before` what the
/// process already held then; the rebuild's peak (it holds every decoded event at once for its halves)
/// and the generator's are reported with their figures.
fn people_size(dir: &Path, name: &str, sizes: &Sizes) -> BenchResult<Value> {
    let path = dir.join(format!("people-{name}"));
    let written = write_staffed_child(name, &path)?;
    let rankings: Vec<(UnitCode, i32)> = serde_json::from_value(written["rankings"].clone())?;
    let ledger = Arc::new(Ledger::open(&path)?);
    let rss_before = rss_mb("self");
    let mut reset = reset_peak_rss();
    let individual = individual_rankings(ledger.clone(), &rankings, sizes.individual_ranking_samples)?;
    let peak = peak_rss_mb("self");
    reset &= reset_peak_rss();
    let history_label = format!("generated {name}, seed {HISTORY_SEED}");
    let mut rebuild = projection_rebuild(&ledger, sizes.people_rebuilds, &history_label)?;
    rebuild["peak_rss_mb"] = json!(peak_rss_mb("self"));
    let shown = |mb: &Value| mb.as_f64().map_or("?".to_owned(), |mb| mb.to_string());
    eprintln!(
        "people {name}: peak RSS {} MiB with the read models open and queried (from {} MiB), {} MiB rebuilding \
         the projection and its halves, {} MiB generating and writing (a process of its own)",
        shown(&json!(peak)),
        shown(&json!(rss_before)),
        shown(&rebuild["peak_rss_mb"]),
        shown(&written["peak_rss_mb"]),
    );
    drop(ledger);
    remove_dirs(&[&path])?;
    Ok(json!({
        "shape": staffed_shape(name),
        "events": written["events"],
        "persons": written["persons"],
        "generated_s": written["generated_s"],
        "written_s": written["written_s"],
        "generation_peak_rss_mb": written["peak_rss_mb"],
        "individual_ranking_ms": individual,
        "projection_rebuild": rebuild,
        "peak_rss_mb": peak,
        "rss_mb_before": rss_before,
        "peak_rss_reset": reset,
    }))
}

/// Runs this program as `--write-staffed NAME --dir PATH` and returns what it wrote (its JSON line).
fn write_staffed_child(name: &str, path: &Path) -> BenchResult<Value> {
    let output = Command::new(std::env::current_exe()?)
        .arg("--write-staffed")
        .arg(name)
        .arg("--dir")
        .arg(path)
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("generating the {name} size failed ({})", output.status).into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// `--write-staffed NAME --dir PATH`: generates the staffed size `NAME` and writes it into a new
/// ledger at `PATH` with its persons' keys; prints what was written, the counties whose individual
/// rankings can be read, and the top unit and a county (for the site figures), as one JSON line.
fn write_staffed(name: &str, path: &Path) -> BenchResult<()> {
    let size = match name {
        "county" => Size::County,
        "l" => Size::L,
        _ => return Err(format!("--write-staffed: {name} is no staffed size (county or l)").into()),
    };
    let started = Instant::now();
    let history = generate(HISTORY_SEED, size);
    let generated_s = started.elapsed().as_secs_f64();
    let facts = &history.state;
    let rankings: Vec<(UnitCode, i32)> = facts
        .schemes
        .values()
        .filter(|scheme| facts.is_own_scheme(scheme))
        .map(|scheme| (scheme.settings.issuer.clone(), scheme.settings.year))
        .collect();
    let (events, persons) = (history.events.len(), facts.persons.len());
    let (root, county) = root_and_county(facts)?;
    eprintln!(
        "people {name}: generated {events} events in {generated_s:.1} s ({}, {persons} persons)",
        staffed_shape(name)
    );
    let started = Instant::now();
    let ledger = write_history(path, &history.events)?;
    kpi_ledger::store::person_keys::replace(path, &history.person_keys(HISTORY_SEED))?;
    ledger.close();
    let written_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "events": events,
            "persons": persons,
            "generated_s": (generated_s * 10.0).round() / 10.0,
            "written_s": (written_s * 10.0).round() / 10.0,
            "peak_rss_mb": peak_rss_mb("self"),
            "rankings": rankings,
            "root": root,
            "county": county,
        })
    );
    Ok(())
}

/// The process's resident set now (VmRSS) in MiB, one decimal.
fn rss_mb(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

/// Resets the process's peak resident set (VmHWM) to what it holds now (Linux 4.0+: `clear_refs` 5),
/// so that a later peak belongs to what ran since; false when the kernel refuses.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A county's individual ranking of a year (its own scheme's counties, every year), `samples` times at
/// random, through `ReadModels::individual_ranking` as the API answers `/v1/individual-rankings`:
/// every participant's quarterly scores from their section's finals, reviews, indicators and weeks.
fn individual_rankings(ledger: Arc<Ledger>, rankings: &[(UnitCode, i32)], samples: usize) -> BenchResult<Value> {
    if rankings.is_empty() {
        return Err("a staffed size has no county scheme to rank the staff of".into());
    }
    let started = Instant::now();
    let read_models = ReadModels::open(ledger)?;
    let open_s = started.elapsed().as_secs_f64();
    let keys = PersonKeys::for_reading(&read_models)?;
    let year = |year: i32| PeriodId::new(year, PeriodKind::Year, 1).ok_or("a year");
    let (county, first_year) = &rankings[0];
    let first = read_models.individual_ranking(county, year(*first_year)?, AsOf::Latest, &keys)?.value;
    let line = first.standings.first().ok_or("the first county ranks nobody")?;
    if line.name.plain().is_none_or(|name| name == UNREADABLE_TEXT) {
        return Err(format!("{}'s name does not open with the generated keys", line.person).into());
    }
    eprintln!(
        "individual rankings: read models opened in {open_s:.2} s; {county} {first_year} ranks {} of {} participants",
        first.standings.len(),
        first.participants
    );
    let mut choices = SeededChoices::new(HISTORY_SEED);
    let (mut times, mut not_found) = (Vec::new(), 0);
    for _ in 0..samples {
        let (county, ranked_year) = QueryTargets::pick(&mut choices, rankings);
        let period = year(*ranked_year)?;
        time_query(&mut times, &mut not_found, || read_models.individual_ranking(county, period, AsOf::Latest, &keys))?;
    }
    let mut summary = latency_json(times, None);
    summary["not_found"] = json!(not_found);
    summary["rankings"] = json!(rankings.len());
    summary["participants_first"] = json!(first.participants);
    summary["read_models_open_s"] = json!((open_s * 100.0).round() / 100.0);
    report_latency("individual_ranking_ms", &summary);
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// HTTP (issue 5): `kpi-ledger serve` on 127.0.0.1 with the generated S history, loaded by wrk.

const HTTP_COMMANDS_TARGET_PER_S: f64 = 15_000.0;
const HTTP_RANKING_READS_TARGET_PER_S: f64 = 20_000.0;
/// Connections wrk keeps open (the issue's "64 connections").
const HTTP_CONNECTIONS: usize = 64;

/// The programs the HTTP figures run: the server, the load generator and its scripts.
struct HttpTools {
    kpi_ledger: PathBuf,
    wrk: PathBuf,
    scripts: PathBuf,
    /// wrk threads: one per core (they share the cores with the server).
    threads: usize,
}

impl HttpTools {
    /// Checks, before any figure runs, that every program the HTTP figures need is there.
    fn find(args: &Args) -> BenchResult<HttpTools> {
        let kpi_ledger = kpi_ledger_binary(args)?;
        if let Err(error) = Command::new(&args.wrk).arg("--version").output() {
            let message = format!("{}: {error} (install wrk, or pass --wrk or --skip-http)", args.wrk.display());
            return Err(message.into());
        }
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Ok(HttpTools {
            kpi_ledger,
            wrk: args.wrk.clone(),
            scripts: args.wrk_scripts.clone(),
            threads: threads.min(HTTP_CONNECTIONS),
        })
    }

    fn cli(&self, args: &[&str]) -> BenchResult<String> {
        run_cli(&self.kpi_ledger, args)
    }

    /// Runs wrk with `script` for `seconds` against `base`, with `script_args` after the URL.
    fn wrk(&self, script: &str, base: &str, seconds: u64, script_args: &[&str]) -> BenchResult<WrkRun> {
        let output = Command::new(&self.wrk)
            .args(["--threads", &self.threads.to_string(), "--connections", &HTTP_CONNECTIONS.to_string()])
            .args(["--duration", &format!("{seconds}s"), "--timeout", "10s", "--latency", "--script"])
            .arg(self.scripts.join(script))
            .arg(base)
            .arg("--")
            .args(script_args)
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!("wrk {script}: {}{}", stdout.trim(), stderr.trim()).into());
        }
        WrkRun::parse(&stdout).ok_or_else(|| format!("wrk {script}: unexpected output:\n{stdout}").into())
    }
}

/// The `kpi-ledger` binary the server figures run: `--kpi-ledger`, or the one beside this program's
/// examples/ directory.
fn kpi_ledger_binary(args: &Args) -> BenchResult<PathBuf> {
    let kpi_ledger = match &args.kpi_ledger {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .ok_or("this program has no directory above its own")?
            .join("kpi-ledger"),
    };
    if !kpi_ledger.is_file() {
        let message = format!(
            "{}: no kpi-ledger binary (pass --kpi-ledger, or --skip-http and --skip-site)",
            kpi_ledger.display()
        );
        return Err(message.into());
    }
    Ok(kpi_ledger)
}

/// Runs a `kpi-ledger` command and returns its stdout; retries while the ledger's lock is still held
/// by the handle this process just closed.
fn run_cli(kpi_ledger: &Path, args: &[&str]) -> BenchResult<String> {
    for _ in 0..50 {
        let output = Command::new(kpi_ledger).args(args).output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            return Ok(String::from_utf8(output.stdout)?);
        }
        if !stderr.contains("open in another process") {
            return Err(format!("kpi-ledger {}: {}", args.join(" "), stderr.trim()).into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("kpi-ledger {}: the ledger stayed locked", args.join(" ")).into())
}

/// What one wrk run reports.
#[derive(Debug)]
struct WrkRun {
    requests: u64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Responses with a status other than 2xx or 3xx.
    non_2xx: u64,
    /// Connect, read and write errors and timeouts.
    socket_errors: u64,
}

impl WrkRun {
    /// Reads wrk's text report: "N requests in 10.00s, …", the `--latency` distribution, and the
    /// error lines it prints only when there were errors.
    fn parse(text: &str) -> Option<WrkRun> {
        let mut run =
            WrkRun { requests: 0, seconds: 0.0, p50_ms: f64::NAN, p99_ms: f64::NAN, non_2xx: 0, socket_errors: 0 };
        for line in text.lines().map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [count, "requests", "in", duration, ..] => {
                    run.requests = count.parse().ok()?;
                    run.seconds = wrk_millis(duration.trim_end_matches(','))? / 1e3;
                }
                ["50%", latency] => run.p50_ms = wrk_millis(latency)?,
                ["99%", latency] => run.p99_ms = wrk_millis(latency)?,
                ["Non-2xx", "or", "3xx", "responses:", count] => run.non_2xx = count.parse().ok()?,
                ["Socket", "errors:", rest @ ..] => {
                    run.socket_errors =
                        rest.iter().filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok()).sum();
                }
                _ => {}
            }
        }
        (run.requests > 0 && run.seconds > 0.0 && run.p99_ms.is_finite()).then_some(run)
    }

    /// Requests answered with 2xx or 3xx, per second.
    fn ok_per_s(&self) -> f64 {
        self.requests.saturating_sub(self.non_2xx) as f64 / self.seconds
    }

    fn to_json(&self) -> Value {
        json!({
            "rate_per_s": self.ok_per_s().round(),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "requests": self.requests,
            "seconds": self.seconds,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        })
    }
}

/// A wrk time ("812.00us", "1.23ms", "10.00s", "1.00m") in milliseconds.
fn wrk_millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3_600e3,
        _ => return None,
    };
    Some(number * scale)
}

/// `kpi-ledger serve` on a free port of 127.0.0.1; killed when dropped, whatever happened.
struct Server {
    child: Child,
    base: String,
    /// Kept open so that the server can still write to its stdout.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(kpi_ledger: &Path, data: &Path) -> BenchResult<Server> {
        let mut child = Command::new(kpi_ledger)
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("the server's stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let mut server = Server { child, base: String::new(), _stdout: stdout };
        let base = line.trim().strip_prefix("listening on ").ok_or_else(|| format!("the server said {line:?}"))?;
        server.base = base.to_owned();
        Ok(server)
    }

    /// GETs `path` with the token; the status and body.
    fn get(&self, path: &str, token: &str) -> BenchResult<(u16, String)> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut response =
            agent.get(&format!("{}{path}", self.base)).header("authorization", &format!("Bearer {token}")).call()?;
        Ok((response.status().as_u16(), response.body_mut().read_to_string()?))
    }

    /// The durable head's sequence number, once the server answers (it builds its read models first).
    fn head_seq(&self, token: &str) -> BenchResult<u64> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.get("/v1/head", token) {
                Ok((200, body)) => {
                    let head: Value = serde_json::from_str(&body)?;
                    return head["seq"].as_u64().ok_or_else(|| format!("GET /v1/head said {body}").into());
                }
                Ok((status, body)) if Instant::now() > deadline => {
                    return Err(format!("GET /v1/head: {status} {body}").into())
                }
                Err(error) if Instant::now() > deadline => return Err(error),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn peak_rss_mb(&self) -> Option<f64> {
        peak_rss_mb(&self.child.id().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct HttpFigures {
    commands: Value,
    ranking_reads: Value,
}

/// Loads the generated S history into a data directory, issues an admin token, starts the server and
/// runs wrk against it: ranking reads (after a warm-up that fills the server's answer cache), their
/// floor (the cheapest authenticated read, `GET /v1/head`, under the same load), then
/// `RegisterPerson` commands, each one new durable event, whose floor is the ledger's own
/// `append_64_writers` rate measured earlier in this run.
fn http_figures(tools: &HttpTools, dir: &Path, sizes: &Sizes, append_64_per_s: f64) -> BenchResult<HttpFigures> {
    let data = dir.join("http");
    eprintln!("http: loading the generated S history into {}", data.display());
    let ledger = write_history(&data, &generate(HISTORY_SEED, Size::S).events)?;
    let projection = rebuild(&ledger)?;
    drop(ledger);
    let targets = QueryTargets::of(&projection);
    let units = &projection.facts().units;
    let root =
        units.iter().find(|(_, unit)| unit.parent.is_none()).map(|(code, _)| code.to_string()).ok_or("no root unit")?;
    let county = units
        .iter()
        .find(|(_, unit)| unit.level == UnitLevel::County)
        .map(|(code, _)| code.to_string())
        .ok_or("no county")?;
    let data_text = data.to_str().ok_or("a data directory named in UTF-8")?;
    let token = tools.cli(&[
        "token",
        "issue",
        "--data",
        data_text,
        "--actor",
        "bench.admin",
        "--role",
        "admin",
        "--unit",
        &root,
    ])?;
    let token = token.trim();

    let server = Server::start(&tools.kpi_ledger, &data)?;
    let head_before = server.head_seq(token)?;
    eprintln!(
        "http: serving {head_before} events at {} ({} wrk threads, {HTTP_CONNECTIONS} connections)",
        server.base, tools.threads
    );
    let unit_list = targets.units.iter().map(UnitCode::as_str).collect::<Vec<_>>().join(",");
    let period_list = targets.periods.iter().map(PeriodId::to_string).collect::<Vec<_>>().join(",");
    let probe = format!("/v1/rankings?unit={}&period={}", targets.units[0], targets.periods[0]);
    match server.get(&probe, token)? {
        (200, _) => {}
        (status, body) => return Err(format!("GET {probe}: {status} {body}").into()),
    }
    let ranking_args = [token, unit_list.as_str(), period_list.as_str()];
    tools.wrk("rankings.lua", &server.base, sizes.http_warmup_seconds, &ranking_args)?;
    let reads = tools.wrk("rankings.lua", &server.base, sizes.http_seconds, &ranking_args)?;
    let reads_floor = tools.wrk("get.lua", &server.base, sizes.http_floor_seconds, &[token, "/v1/head"])?;
    eprintln!("http_ranking_reads: {reads:?}");
    eprintln!("  floor, GET /v1/head: {reads_floor:?}");

    let run_tag = format!("B{}", std::process::id());
    let commands = tools.wrk("register-person.lua", &server.base, sizes.http_seconds, &[token, &county, &run_tag])?;
    std::thread::sleep(Duration::from_millis(200));
    let head_after = server.head_seq(token)?;
    eprintln!("http_commands_64: {commands:?}; the head moved by {}", head_after - head_before);
    let server_peak_rss_mb = server.peak_rss_mb();
    drop(server);
    remove_dirs(&[&data])?;

    let mut command_figure = commands.to_json();
    command_figure["floor_per_s"] = json!(append_64_per_s.round());
    command_figure["ratio"] = json!(ratio(commands.ok_per_s(), append_64_per_s));
    command_figure["target_per_s"] = json!(HTTP_COMMANDS_TARGET_PER_S);
    command_figure["meets_target"] = json!(commands.ok_per_s() >= HTTP_COMMANDS_TARGET_PER_S);
    command_figure["connections"] = json!(HTTP_CONNECTIONS);
    command_figure["command"] = json!("RegisterPerson (POST /v1/persons)");
    command_figure["events_appended"] = json!(head_after - head_before);
    command_figure["server_peak_rss_mb"] = json!(server_peak_rss_mb);
    let mut read_figure = reads.to_json();
    read_figure["floor_per_s"] = json!(reads_floor.ok_per_s().round());
    read_figure["ratio"] = json!(ratio(reads.ok_per_s(), reads_floor.ok_per_s()));
    read_figure["floor_p99_ms"] = json!(reads_floor.p99_ms);
    read_figure["target_per_s"] = json!(HTTP_RANKING_READS_TARGET_PER_S);
    read_figure["meets_target"] = json!(reads.ok_per_s() >= HTTP_RANKING_READS_TARGET_PER_S);
    read_figure["connections"] = json!(HTTP_CONNECTIONS);
    read_figure["distinct_queries"] = json!(targets.units.len() * targets.periods.len());
    read_figure["warmup_s"] = json!(sizes.http_warmup_seconds);
    Ok(HttpFigures { commands: command_figure, ranking_reads: read_figure })
}

// ---------------------------------------------------------------------------------------------
// A server on a large ledger: restart time, ranking reads during and right after a write burst,
// as-of ranking reads, and the server's peak RSS — all at `--server-events` (1 M) events.

const RESTART_TARGET_MS: f64 = 1_000.0;
const BURST_RANKING_TARGET_P99_MS: f64 = 10.0;
const SERVER_RSS_TARGET_MB: f64 = 512.0;
/// Restarts timed; the best and every one are reported.
const RESTARTS: usize = 3;

/// The generated S history (its scheme and peer groups are what the rankings read), then person
/// registrations up to `--server-events`; served by `kpi-ledger serve` with its default settings.
fn large_server_figures(tools: &HttpTools, dir: &Path, sizes: &Sizes, args: &Args) -> BenchResult<Value> {
    let total = args.server_events.unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    let data = args.server_data.clone().unwrap_or_else(|| dir.join("server-large"));
    let history = generate(HISTORY_SEED, Size::S);
    eprintln!("server_1m: the S history ({} events), then registrations up to {total}", history.events.len());
    let kept = args.server_data.is_some() && data.join("conf").exists();
    let ledger = if kept {
        eprintln!("server_1m: serving the ledger kept at {}", data.display());
        Ledger::open(&data)?
    } else {
        write_history(&data, &history.events)?
    };
    let mut projection = Projection::new();
    kpi_ledger::service::read_models::fold_ledger(&ledger, &mut projection, history.events.len() as u64, |_| Ok(()))?;
    let targets = QueryTargets::of(&projection);
    let root = projection
        .facts()
        .units
        .iter()
        .find(|(_, unit)| unit.parent.is_none())
        .map(|(code, _)| code.to_string())
        .ok_or("no root unit")?;
    let county = projection
        .facts()
        .units
        .iter()
        .find(|(_, unit)| unit.level == UnitLevel::County)
        .map(|(code, _)| code.to_string())
        .ok_or("no county")?;
    drop(projection);
    fill_with_registrations(&ledger, total)?;
    drop(ledger);

    // The first open folds the whole ledger once (and stores its snapshots); `token issue` does it.
    let data_text = data.to_str().ok_or("a data directory named in UTF-8")?;
    let started = Instant::now();
    let token = tools.cli(&[
        "token",
        "issue",
        "--data",
        data_text,
        "--actor",
        "bench.admin",
        "--role",
        "admin",
        "--unit",
        &root,
    ])?;
    let first_open_s = started.elapsed().as_secs_f64();
    let token = token.trim().to_owned();
    let first_open = if kept { "reopening the kept ledger" } else { "a fold of every event, snapshots stored" };
    eprintln!("server_1m: first open ({first_open}) {first_open_s:.1} s");

    let ranking_paths: Vec<String> = targets
        .units
        .iter()
        .zip(targets.periods.iter().cycle())
        .take(16)
        .map(|(unit, period)| format!("/v1/rankings?unit={unit}&period={period}"))
        .collect();
    let mut restarts = Vec::new();
    for round in 0..RESTARTS {
        let started = Instant::now();
        let server = Server::start(&tools.kpi_ledger, &data)?;
        let listening = started.elapsed();
        wait_for_ok(&server, &ranking_paths[0], &token)?;
        let answering = started.elapsed();
        eprintln!(
            "  restart {round}: listening after {:.0} ms, a ranking answered after {:.0} ms",
            listening.as_secs_f64() * 1e3,
            answering.as_secs_f64() * 1e3
        );
        restarts.push(answering);
        drop(server);
        std::thread::sleep(Duration::from_millis(300));
    }
    let best = restarts.iter().min().copied().unwrap_or_default();
    let restart = json!({
        "best_ms": millis(best),
        "each_ms": restarts.iter().map(|took| millis(*took)).collect::<Vec<_>>(),
        "target_ms": RESTART_TARGET_MS,
        "meets_target": millis(best) <= RESTART_TARGET_MS,
        "events": total,
        "first_open_s": (first_open_s * 10.0).round() / 10.0,
        "first_open": first_open,
        "measured": "process start of kpi-ledger serve to its first ranking answer",
    });

    let server = Server::start(&tools.kpi_ledger, &data)?;
    wait_for_ok(&server, &ranking_paths[0], &token)?;
    // Warm: every ranking once, so that only what the burst changes is computed again.
    for path in &ranking_paths {
        server.get(path, &token)?;
    }
    // Resident, and the peak so far, after each step: which step the peak belongs to.
    let (mut rss_mb, mut peak_mb) = (serde_json::Map::new(), serde_json::Map::new());
    rss_mb.insert("after_restart".into(), json!(rss_now_mb(server.child.id())));
    peak_mb.insert("after_restart".into(), json!(server.peak_rss_mb()));
    let burst_seconds = sizes.http_seconds;
    let after_seconds = 3;
    let run_tag = format!("L{}", std::process::id());
    let head_before = server.head_seq(&token)?;
    eprintln!("server_1m: serving {head_before} events");
    let (burst, reads) = std::thread::scope(|scope| -> BenchResult<(WrkRun, Vec<(f64, Duration)>)> {
        let reader = scope.spawn(|| {
            timed_reads(&server, &ranking_paths, &token, burst_seconds + after_seconds).map_err(|e| e.to_string())
        });
        let burst = tools.wrk("register-person.lua", &server.base, burst_seconds, &[&token, &county, &run_tag])?;
        let reads = reader.join().map_err(|_| "the reader thread panicked")??;
        Ok((burst, reads))
    })?;
    let head_after = server.head_seq(&token)?;
    rss_mb.insert("after_burst".into(), json!(rss_now_mb(server.child.id())));
    peak_mb.insert("after_burst".into(), json!(server.peak_rss_mb()));
    let burst_s = burst.seconds.max(1.0);
    let during: Vec<Duration> = reads.iter().filter(|(at, _)| *at < burst_s).map(|(_, took)| *took).collect();
    let after: Vec<Duration> = reads.iter().filter(|(at, _)| *at >= burst_s).map(|(_, took)| *took).collect();
    let mut during = latency_json(during, Some(BURST_RANKING_TARGET_P99_MS));
    let mut after = latency_json(after, Some(BURST_RANKING_TARGET_P99_MS));
    report_latency("ranking reads during the burst", &during);
    report_latency("ranking reads after the burst", &after);
    during["burst_commands_per_s"] = json!(burst.ok_per_s().round());
    during["burst_p99_ms"] = json!(burst.p99_ms);
    during["burst_connections"] = json!(HTTP_CONNECTIONS);
    during["events_appended"] = json!(head_after - head_before);
    after["seconds_after_burst"] = json!(after_seconds);

    // As-of rankings at random points of the large ledger.
    let mut choices = SeededChoices::new(HISTORY_SEED);
    let head = server.head_seq(&token)?;
    let mut as_of_times = Vec::new();
    for index in 0..sizes.as_of_samples.min(300) {
        let seq = 1 + choices.below(head);
        let path = format!("{}&as_of={seq}", ranking_paths[index % ranking_paths.len()]);
        let started = Instant::now();
        let (status, body) = server.get(&path, &token)?;
        as_of_times.push(started.elapsed());
        if status != 200 && status != 404 {
            return Err(format!("GET {path}: {status} {body}").into());
        }
    }
    let as_of = latency_json(as_of_times, Some(AS_OF_RANKING_TARGET_P99_MS));
    report_latency("as-of ranking reads over HTTP", &as_of);
    rss_mb.insert("after_as_of_reads".into(), json!(rss_now_mb(server.child.id())));
    let peak_rss_mb = server.peak_rss_mb();
    peak_mb.insert("after_as_of_reads".into(), json!(peak_rss_mb));
    eprintln!(
        "server_1m: peak RSS of the server {peak_rss_mb:?} MiB; resident at each step {rss_mb:?}, peak by then {peak_mb:?}"
    );
    drop(server);
    if args.server_data.is_none() {
        remove_dirs(&[&data])?;
    }
    Ok(json!({
        "events": total,
        // A kept ledger (`--server-data`) is longer by every earlier run's burst: the figures are of this many.
        "events_at_start": head_before,
        "restart_ms": restart,
        "ranking_during_burst_ms": during,
        "ranking_after_burst_ms": after,
        "as_of_ranking_http_ms": as_of,
        "server_peak_rss_mb": {
            "peak_rss_mb": peak_rss_mb,
            "target_mb": SERVER_RSS_TARGET_MB,
            "meets_target": peak_rss_mb.is_some_and(|mb| mb <= SERVER_RSS_TARGET_MB),
            "cache_mib": kpi_ledger::limits::SLED_CACHE_MIB_DEFAULT,
            "after": "restarts, the write burst, ranking and as-of reads",
            "resident_mb": rss_mb,
            "peak_by_step_mb": peak_mb,
        },
    }))
}

/// The process's resident set now (VmRSS) in MiB.
fn rss_now_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e4).round() / 10.0
}

/// Person registrations after the ledger's head, sealed as the service would, up to `total` events.
fn fill_with_registrations(ledger: &Ledger, total: u64) -> BenchResult<()> {
    const IN_FLIGHT: usize = 4;
    let head = ledger.head();
    let mut events = Events::new("bench server_1m");
    events.chain = Chain::at(head);
    events.start = head.recorded_at.plus_micros(1_000 - head.seq as i64 * 1_000);
    events.offset = 100_000_000;
    let mut pending: VecDeque<PendingAppend> = VecDeque::new();
    let started = Instant::now();
    let mut next = head.seq;
    while next < total {
        let size = (EVENTS_PER_APPEND_MAX as u64).min(total - next);
        pending.push_back(ledger.submit(events.append(size))?);
        if pending.len() == IN_FLIGHT {
            pending.pop_front().expect("not empty").wait()?;
        }
        next += size;
        if next % 200_000 < size {
            eprintln!("  {next} events ({:.0}/s)", per_second(next - head.seq, started.elapsed()));
        }
    }
    for append in pending {
        append.wait()?;
    }
    Ok(())
}

/// GETs `path` until it answers 200 (the server is up and has its read models).
fn wait_for_ok(server: &Server, path: &str, token: &str) -> BenchResult<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match server.get(path, token) {
            Ok((200, _)) => return Ok(()),
            Ok((status, body)) if Instant::now() > deadline => {
                return Err(format!("GET {path}: {status} {body}").into())
            }
            Err(error) if Instant::now() > deadline => return Err(error),
            _ => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// One reader, as a user is: ranking reads one after another for `seconds`, each with the second it
/// started at (from the start) and its latency.
fn timed_reads(server: &Server, paths: &[String], token: &str, seconds: u64) -> BenchResult<Vec<(f64, Duration)>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let started = Instant::now();
    let mut reads = Vec::new();
    let mut index = 0;
    while started.elapsed() < Duration::from_secs(seconds) {
        let path = &paths[index % paths.len()];
        index += 1;
        let at = started.elapsed().as_secs_f64();
        let before = Instant::now();
        let mut response =
            agent.get(&format!("{}{path}", server.base)).header("authorization", &format!("Bearer {token}")).call()?;
        let _ = response.body_mut().read_to_string()?;
        reads.push((at, before.elapsed()));
        if response.status().as_u16() != 200 {
            return Err(format!("GET {path}: {}", response.status()).into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(reads)
}

// ---------------------------------------------------------------------------------------------
// The web site (issue 12): `kpi-ledger serve` on a generated history, read as a browser reads it.

/// What a browser sends as `Accept-Encoding`; the site compresses with gzip or brotli accordingly.
const BROWSER_ACCEPT_ENCODING: &str = "gzip, br";

/// The site figures at M and, with `with_l`, at L, by size name.
fn site_figures(kpi_ledger: &Path, dir: &Path, sizes: &Sizes, with_l: bool) -> BenchResult<Value> {
    let mut figures = serde_json::Map::new();
    figures.insert("m".to_owned(), site_size_m(kpi_ledger, dir, sizes)?);
    if with_l {
        figures.insert("l".to_owned(), site_size_l(kpi_ledger, dir, sizes)?);
    } else {
        eprintln!("site: size L left out (pass --site-l to add it)");
    }
    Ok(Value::Object(figures))
}

/// The generated M history (as the projection figures generate it), written into a data directory.
fn site_size_m(kpi_ledger: &Path, dir: &Path, sizes: &Sizes) -> BenchResult<Value> {
    let data = dir.join("site-m");
    let history = generate(HISTORY_SEED, Size::M);
    let (root, county) = root_and_county(&history.state)?;
    eprintln!("site m: the generated M history ({} events)", history.events.len());
    drop(write_history(&data, &history.events)?);
    drop(history);
    let shape = "one province, 15 cities of 10 counties with 10 sections each, a year";
    let figures = site_served(kpi_ledger, &data, &SiteTarget { name: "m", shape, root: &root, county: &county }, sizes);
    remove_dirs(&[&data])?;
    figures
}

/// The generated L history, written (with its persons' keys) by a child process, as for --people.
fn site_size_l(kpi_ledger: &Path, dir: &Path, sizes: &Sizes) -> BenchResult<Value> {
    let data = dir.join("site-l");
    let written = write_staffed_child("l", &data)?;
    let root = written["root"].as_str().ok_or("the L writer named no top unit")?;
    let county = written["county"].as_str().ok_or("the L writer named no county")?;
    let target = SiteTarget { name: "l", shape: staffed_shape("l"), root, county };
    let mut figures = site_served(kpi_ledger, &data, &target, sizes);
    if let Ok(figures) = &mut figures {
        figures["generated_s"] = written["generated_s"].clone();
        figures["written_s"] = written["written_s"].clone();
    }
    remove_dirs(&[&data])?;
    figures
}

/// The top unit (no parent) and the first county of a history, by code.
fn root_and_county(facts: &kpi_ledger::domain::Facts) -> BenchResult<(String, String)> {
    let root = facts.units.iter().find(|(_, unit)| unit.parent.is_none()).map(|(code, _)| code.to_string());
    let county = facts.units.iter().find(|(_, unit)| unit.level == UnitLevel::County).map(|(code, _)| code.to_string());
    Ok((root.ok_or("no top unit")?, county.ok_or("no county")?))
}

/// One size of the site figures: its name and shape, the unit its reader's token is issued at, and
/// the county the filtered register reads.
struct SiteTarget<'a> {
    name: &'a str,
    shape: &'a str,
    root: &'a str,
    county: &'a str,
}

/// Issues an `auditor` token at the top unit, serves the data directory, signs in through the site
/// and measures its pages; the server is stopped before this returns.
fn site_served(kpi_ledger: &Path, data: &Path, target: &SiteTarget, sizes: &Sizes) -> BenchResult<Value> {
    let data_text = data.to_str().ok_or("a data directory named in UTF-8")?;
    let name = target.name;
    let token = run_cli(
        kpi_ledger,
        &["token", "issue", "--data", data_text, "--actor", "bench.site", "--role", "auditor", "--unit", target.root],
    )?;
    let token = token.trim();
    let server = Server::start(kpi_ledger, data)?;
    let events = server.head_seq(token)?;
    let browser = Browser::sign_in(&server.base, token)?;
    eprintln!("site {name}: serving {events} events at {}, signed in through /sign-in as an auditor", server.base);
    let visits = site_visits(&browser)?;
    let register_filtered = format!("/register?unit={}", target.county);
    let mut pages = serde_json::Map::new();
    for (key, path) in [("overview_ms", "/"), ("register_ms", "/register"), ("register_unit_ms", &register_filtered)] {
        let mut figure = time_site_page(&browser, path, sizes)?;
        report_latency(&format!("site {name} {key} (GET {path})"), &figure);
        figure["path"] = json!(path);
        pages.insert(key.to_owned(), figure);
    }
    let server_peak_rss_mb = server.peak_rss_mb();
    drop(server);
    let mut figures = json!({
        "shape": target.shape,
        "events": events,
        "measured": "client-observed latency of sequential GETs over one keep-alive connection on 127.0.0.1 \
                     (Accept-Encoding: gzip, br; the compressed body read to its end), after a warm-up",
        "warmup": sizes.site_warmup,
        "reader": format!("auditor at {}", target.root),
        "visits": visits,
        "server_peak_rss_mb": server_peak_rss_mb,
    });
    if let Value::Object(figures) = &mut figures {
        figures.extend(pages);
    }
    Ok(figures)
}

/// `samples` sequential GETs of `path` after `site_warmup` unmeasured ones; each must answer 200.
fn time_site_page(browser: &Browser, path: &str, sizes: &Sizes) -> BenchResult<Value> {
    let mut times = Vec::with_capacity(sizes.site_samples);
    let mut bytes = 0;
    for index in 0..sizes.site_warmup + sizes.site_samples {
        let started = Instant::now();
        let fetched = browser.get(path, Some(BROWSER_ACCEPT_ENCODING))?;
        let took = started.elapsed();
        if fetched.status != 200 {
            return Err(format!("GET {path}: {}", fetched.status).into());
        }
        if index >= sizes.site_warmup {
            times.push(took);
        }
        bytes = fetched.body.len();
    }
    let mut figure = latency_json(times, None);
    figure["body_bytes"] = json!(bytes);
    Ok(figure)
}

/// The bytes of a first visit of the overview (its HTML and every asset it references, each fetched
/// once, compressed as the browser accepts) and of a repeat visit (the HTML, and any asset not
/// cacheable): body bytes as received, and the response headers' bytes beside them.
fn site_visits(browser: &Browser) -> BenchResult<Value> {
    let plain = browser.get("/", None)?;
    let html = String::from_utf8(plain.body)?;
    if plain.status != 200 || html.contains("name=\"token\"") {
        return Err(format!("GET / after signing in: {} and no overview", plain.status).into());
    }
    let page = browser.get("/", Some(BROWSER_ACCEPT_ENCODING))?;
    let mut first = (page.body.len(), page.header_bytes);
    let mut repeat = first;
    let mut assets = Vec::new();
    for path in asset_paths(&html) {
        let asset = browser.get(&path, Some(BROWSER_ACCEPT_ENCODING))?;
        if asset.status != 200 {
            return Err(format!("GET {path}: {}", asset.status).into());
        }
        first = (first.0 + asset.body.len(), first.1 + asset.header_bytes);
        let cached = asset.cache_control.contains("max-age") && !asset.cache_control.contains("no-");
        if !cached {
            repeat = (repeat.0 + asset.body.len(), repeat.1 + asset.header_bytes);
        }
        eprintln!(
            "  {path}: {} bytes ({}), Cache-Control: {}",
            asset.body.len(),
            asset.content_encoding,
            asset.cache_control
        );
        assets.push(json!({
            "path": path,
            "bytes": asset.body.len(),
            "content_encoding": asset.content_encoding,
            "cache_control": asset.cache_control,
            "cached_on_repeat": cached,
        }));
    }
    let kib = |bytes: usize| (bytes as f64 / 1024.0 * 10.0).round() / 10.0;
    eprintln!(
        "site overview: first visit {} bytes ({} KiB) in {} responses, repeat visit {} bytes ({} KiB); \
         HTML {} bytes {} ({} uncompressed); plus {} and {} bytes of response headers",
        first.0,
        kib(first.0),
        assets.len() + 1,
        repeat.0,
        kib(repeat.0),
        page.body.len(),
        page.content_encoding,
        html.len(),
        first.1,
        repeat.1
    );
    Ok(json!({
        "first_bytes": first.0,
        "first_kib": kib(first.0),
        "first_header_bytes": first.1,
        "repeat_bytes": repeat.0,
        "repeat_kib": kib(repeat.0),
        "repeat_header_bytes": repeat.1,
        "html_bytes": page.body.len(),
        "html_uncompressed_bytes": html.len(),
        "html_content_encoding": page.content_encoding,
        "html_cache_control": page.cache_control,
        "assets": assets,
        "accept_encoding": BROWSER_ACCEPT_ENCODING,
        "measured": "body bytes as received (compressed as the browser accepts; chunk framing left out), \
                     response headers counted apart",
    }))
}

/// The `/assets/…` files a page references (stylesheet, icon, scripts), each once, in order.
fn asset_paths(html: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("\"/assets/") {
        let rest = &html[at + 1..];
        let path = &rest[..rest.find('"').unwrap_or(rest.len())];
        if !paths.iter().any(|seen| seen == path) {
            paths.push(path.to_owned());
        }
    }
    paths
}

/// One answer as a browser receives it: the body as sent (compressed or not), and its headers.
struct Fetched {
    status: u16,
    body: Vec<u8>,
    /// The status line and headers as sent (`name: value` lines), in bytes.
    header_bytes: usize,
    content_encoding: String,
    cache_control: String,
}

/// A signed-in browser session: one keep-alive agent (no redirects followed, no decompression) and
/// the session cookie.
struct Browser {
    agent: ureq::Agent,
    base: String,
    cookie: String,
}

impl Browser {
    /// Signs in as a browser does: `GET /sign-in` opens a form session (a cookie, and the CSRF token
    /// in the form), then `POST /sign-in` with the token and the CSRF token answers with the signed-in
    /// session's cookie and a redirect.
    fn sign_in(base: &str, token: &str) -> BenchResult<Browser> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut browser = Browser { agent, base: base.to_owned(), cookie: String::new() };
        let mut form = browser.agent.get(&format!("{base}/sign-in")).call()?;
        browser.cookie = session_cookie(&form).ok_or("GET /sign-in set no session cookie")?;
        let page = form.body_mut().read_to_string()?;
        let marker = "name=\"csrf\" value=\"";
        let at = page.find(marker).ok_or("the sign-in page has no CSRF field")? + marker.len();
        let csrf = page[at..].split('"').next().unwrap_or_default().to_owned();
        let signed = browser
            .agent
            .post(&format!("{base}/sign-in"))
            .header("cookie", &browser.cookie)
            .send_form([("token", token), ("csrf", csrf.as_str())])?;
        if !signed.status().is_redirection() {
            return Err(format!("POST /sign-in: {}", signed.status()).into());
        }
        browser.cookie = session_cookie(&signed).ok_or("POST /sign-in set no session cookie")?;
        Ok(browser)
    }

    /// GETs `path` with the session cookie and, if given, an `Accept-Encoding`; reads the body whole.
    fn get(&self, path: &str, accept_encoding: Option<&str>) -> BenchResult<Fetched> {
        let mut request = self.agent.get(&format!("{}{path}", self.base)).header("cookie", &self.cookie);
        if let Some(encodings) = accept_encoding {
            request = request.header("accept-encoding", encodings);
        }
        let mut response = request.call()?;
        let header_text =
            |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        let (content_encoding, cache_control) = (header_text("content-encoding"), header_text("cache-control"));
        let status_line = format!("HTTP/1.1 {}\r\n\r\n", response.status());
        let header_bytes = status_line.len()
            + response.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>();
        let status = response.status().as_u16();
        let body = response.body_mut().with_config().limit(64 << 20).read_to_vec()?;
        let content_encoding = if content_encoding.is_empty() { "identity".to_owned() } else { content_encoding };
        Ok(Fetched { status, body, header_bytes, content_encoding, cache_control })
    }
}

/// The `name=value` of the session cookie a response sets, if it sets one.
fn session_cookie(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.contains("kpi_session=") && !pair.ends_with('='))
        .map(str::to_owned)
}
