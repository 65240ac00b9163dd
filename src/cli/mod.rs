//! The command line: a thin adapter over the store and the service. Every error is one clear line on
//! stderr and a non-zero exit (1 for a failed check or a refused input, 2 for usage errors by clap).

mod demo;
mod progress;
mod reads;
mod serve;
mod table;

use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::chain::Hash;
use crate::projection::AsOf;
use crate::service::queries::RankingScope;
use crate::service::read_models::ReadModels;
use crate::service::{Clock, SystemClock};
use crate::store::{export, Head, Ledger, TailCheck};

#[derive(Parser)]
#[command(name = "kpi-ledger", version, about = "Tamper-evident ledger for performance assessment")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tell the DOMAIN.md story: record the year 2017 in a fresh data directory and print rankings,
    /// comparisons, the trace of a lost point, the ranking as published against now, and verification.
    Demo {
        /// Data directory (created; a previous demo directory is replaced).
        #[arg(long, default_value = "kpi-data/demo")]
        data: PathBuf,
        /// Then serve the API on that data and print a token for each role.
        #[arg(long)]
        serve: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// A peer group's ranking and tiers for a period.
    Rank {
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long)]
        period: String,
        /// Rank the peer group of this unit (or give --scheme, with an optional --function-code).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        scheme: Option<String>,
        #[arg(long)]
        function_code: Option<String>,
    },
    /// A unit against its peers in a period (horizontal), or across periods with --from/--to (vertical).
    Compare {
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// Every point a unit lost in a period, down to the events.
    Trace {
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        period: String,
    },
    /// Who changed rank or tier between two as-of points, and the events that moved them.
    Diff {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        period: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        scheme: Option<String>,
        #[arg(long)]
        function_code: Option<String>,
        /// An as-of point: a sequence number or an RFC 3339 instant.
        #[arg(long)]
        from: String,
        #[arg(long, default_value = "latest")]
        to: String,
    },
    /// Walk the whole chain, recompute every hash, and report the first fault.
    Verify {
        #[arg(long)]
        data: PathBuf,
        /// A head noted earlier, as SEQ:HASH; the chain must still contain it (detects truncation).
        #[arg(long, value_name = "SEQ:HASH")]
        saved_head: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the chain head (sequence number and hash).
    Head {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Write the whole chain to stdout as verified JSON Lines.
    Export {
        #[arg(long)]
        data: PathBuf,
    },
    /// Serve the HTTP API on a data directory (created if missing).
    Serve {
        #[arg(long, default_value = "kpi-data/ledger")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Carry out commands as the local operator, e.g. to register the first unit of a new ledger.
    /// Each argument (or each line of stdin with `-`) is `{"command": "...", "payload": {...}}`.
    Exec {
        #[arg(long)]
        data: PathBuf,
        /// The unit the operator acts for (its scope is that unit and everything under it).
        #[arg(long)]
        unit: String,
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: crate::domain::Role,
        /// Command JSON texts, or `-` to read one per line from stdin.
        #[arg(required = true)]
        commands: Vec<String>,
    },
    /// Issue, revoke and list bearer tokens (recorded as ledger events; only hashes are kept).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Show the public key that signs this ledger's checkpoints.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Sign and print a checkpoint of the current head (JSON).
    Checkpoint {
        #[arg(long)]
        data: PathBuf,
    },
    /// Print Merkle proofs (JSON) for an auditor to check with the standalone verifier.
    Proof {
        #[command(subcommand)]
        kind: ProofKind,
    },
    /// Build a new ledger in --data from an export file, refusing a broken chain.
    Import {
        #[arg(long)]
        data: PathBuf,
        /// The export file (JSON Lines).
        file: PathBuf,
    },
}

/// What every reading command takes.
#[derive(clap::Args)]
struct ReadArgs {
    #[arg(long)]
    data: PathBuf,
    /// Answer as the ledger stood after this event (a sequence number) or at this RFC 3339 instant.
    #[arg(long, default_value = "latest")]
    as_of: String,
    /// Print the answer as JSON (as the HTTP API gives it).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Issue a token for an actor with one role and unit scope; the token is printed once.
    Issue {
        #[arg(long)]
        data: PathBuf,
        /// The actor id recorded on every event made with the token.
        #[arg(long)]
        actor: String,
        /// admin, assessor, office, appellant, reviewer, committee or auditor.
        #[arg(long, value_parser = parse_role)]
        role: crate::domain::Role,
        /// The unit whose scope (it and everything under it) the token acts in.
        #[arg(long)]
        unit: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Revoke a token by its hash (as `token list` shows it).
    Revoke {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        token_hash: String,
        #[arg(long)]
        reason: String,
    },
    /// List every grant: hash, actor, role, unit, when granted and revoked.
    List {
        #[arg(long)]
        data: PathBuf,
    },
}

fn parse_role(text: &str) -> Result<crate::domain::Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| "expected admin, assessor, office, appellant, reviewer, committee or auditor".to_owned())
}

#[derive(Subcommand)]
enum KeyAction {
    /// Print the public key (64 hex digits).
    Show {
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum ProofKind {
    /// The audit path of one event in the tree of the first SIZE events (default: the head).
    Inclusion {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        seq: u64,
        #[arg(long)]
        size: Option<u64>,
    },
    /// The proof that the tree at TO extends the tree at FROM.
    Consistency {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: Option<u64>,
    },
    /// A fresh signed checkpoint and the given events, each with its inclusion proof.
    Bundle {
        #[arg(long)]
        data: PathBuf,
        /// Sequence numbers of the events to include (repeat or separate with commas).
        #[arg(long, value_delimiter = ',', required = true)]
        seq: Vec<u64>,
    },
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Demo { data, serve, addr } => demo::run(&data, serve.then_some(addr)),
        Command::Verify { data, saved_head, json } => verify(&data, saved_head.as_deref(), json),
        Command::Head { data, json } => head(&data, json),
        Command::Export { data } => export_to_stdout(&data),
        Command::Import { data, file } => import(&data, &file),
        Command::Serve { data, addr } => serve::serve(serve::open_service(&data)?, addr),
        Command::Token { action } => token(action),
        Command::Exec { data, unit, role, commands } => exec(&data, &unit, role, commands),
        Command::Rank { read, period, unit, scheme, function_code } => {
            let scope = scope(unit, scheme, function_code)?;
            let (read_models, as_of) = open_reads(&read)?;
            let period = parse_period("--period", &period)?;
            let answer = read_models.ranking(&scope, period, as_of).map_err(|e| e.to_string())?;
            print_answer(read.json, &answer, || reads::ranking_text(&answer, &reads::unit_names(&read_models)))
        }
        Command::Compare { read, unit, period, from, to } => compare(read, &unit, period, from, to),
        Command::Trace { read, unit, period } => {
            let (read_models, as_of) = open_reads(&read)?;
            let (unit, period) = (parse_unit(&unit)?, parse_period("--period", &period)?);
            let answer = read_models.trace(&unit, period, as_of).map_err(|e| e.to_string())?;
            print_answer(read.json, &answer, || {
                reads::trace_text(&answer.value.traces, &reads::unit_names(&read_models))
            })
        }
        Command::Diff { data, json, period, unit, scheme, function_code, from, to } => {
            let scope = scope(unit, scheme, function_code)?;
            let read = ReadArgs { data, as_of: "latest".into(), json };
            let (read_models, _) = open_reads(&read)?;
            let period = parse_period("--period", &period)?;
            let from = parse_as_of("--from", &from)?;
            let to = parse_as_of("--to", &to)?;
            let diff =
                read_models.ranking_diff(read_models.ledger(), &scope, period, from, to).map_err(|e| e.to_string())?;
            print_answer(json, &diff, || reads::diff_text(&diff, &reads::unit_names(&read_models)))
        }
        Command::Key { action: KeyAction::Show { data } } => {
            println!("{}", hex::encode(open_existing(&data)?.public_key().as_bytes()));
            Ok(())
        }
        Command::Checkpoint { data } => {
            let signed = open_existing(&data)?.checkpoint(SystemClock.now()).map_err(|e| e.to_string())?;
            print_json(&signed)
        }
        Command::Proof { kind } => proof(kind),
    }
}

/// Opens an existing ledger; a missing directory is an error, not a new empty ledger.
fn open_existing(data: &std::path::Path) -> Result<Ledger, String> {
    open_existing_with(data, TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS))
}

/// Opens the ledger in `data`, creating an empty one if the directory does not hold one yet.
fn open_existing_or_new(data: &std::path::Path) -> Result<Ledger, String> {
    Ledger::open(data).map_err(|e| open_error(data, e))
}

fn open_existing_with(data: &std::path::Path, tail_check: TailCheck) -> Result<Ledger, String> {
    if !data.join("conf").exists() {
        return Err(format!("--data {}: no ledger there", data.display()));
    }
    Ledger::open_with(data, tail_check).map_err(|e| open_error(data, e))
}

/// sled allows one process per data directory; say so plainly when another one (a server) has it.
fn open_error(data: &std::path::Path, error: crate::store::StoreError) -> String {
    if error.to_string().contains("could not acquire lock") {
        return format!("--data {}: the ledger is open in another process (a running server?)", data.display());
    }
    format!("--data {}: {error}", data.display())
}

fn parse_saved_head(text: &str) -> Result<Head, String> {
    let error = || format!("--saved-head {text:?}: expected SEQ:HASH with a 64-hex-digit hash");
    let (seq, hash) = text.split_once(':').ok_or_else(error)?;
    let seq = seq.parse().map_err(|_| error())?;
    let hash = Hash::from_hex(hash).ok_or_else(error)?;
    Ok(Head { seq, hash, recorded_at: crate::domain::Timestamp::UNIX_EPOCH })
}

fn verify(data: &std::path::Path, saved_head: Option<&str>, json: bool) -> Result<(), String> {
    let saved = saved_head.map(parse_saved_head).transpose()?;
    let ledger = open_existing_with(data, TailCheck::Skip)?;
    let bar = progress::bar(ledger.head().seq, "verifying");
    let report = |done: u64| bar.set_position(done);
    let outcome = match saved {
        Some(saved) => ledger.verify_against(saved, &report),
        None => ledger.verify(&report),
    };
    bar.finish_and_clear();
    match (outcome, json) {
        (Ok(verified), true) => println!("{}", serde_json::json!({"intact": true, "verified": verified})),
        (Ok(verified), false) => println!(
            "chain intact: {} events verified, head {} {}",
            verified.events_checked, verified.head.seq, verified.head.hash
        ),
        (Err(failure), true) => {
            println!("{}", serde_json::json!({"intact": false, "failure": failure}));
            return Err(format!("chain broken at event {}", failure.seq));
        }
        (Err(failure), false) => return Err(format!("chain broken at {failure}")),
    }
    Ok(())
}

fn exec(data: &std::path::Path, unit: &str, role: crate::domain::Role, commands: Vec<String>) -> Result<(), String> {
    let service = serve::open_service(data)?;
    let actor = serve::operator_with_role(unit, role)?;
    let texts: Vec<String> = if commands == ["-"] {
        std::io::stdin().lines().map_while(Result::ok).filter(|line| !line.trim().is_empty()).collect()
    } else {
        commands
    };
    for (index, text) in texts.iter().enumerate() {
        let at = |message: String| format!("command {}: {message}", index + 1);
        let command = crate::domain::Command::from_json(text).map_err(|r| at(r.message))?;
        let executed = service.execute(actor.clone(), &command, Default::default()).map_err(|e| at(e.to_string()))?;
        println!("{} → {} {}..{}", command.name(), executed.stream, executed.first_seq, executed.last_seq);
    }
    Ok(())
}

fn open_reads(read: &ReadArgs) -> Result<(ReadModels, AsOf), String> {
    let as_of = parse_as_of("--as-of", &read.as_of)?;
    let ledger = std::sync::Arc::new(open_existing(&read.data)?);
    let read_models = ReadModels::open(ledger).map_err(|e| e.to_string())?;
    Ok((read_models, as_of))
}

fn parse_as_of(flag: &str, text: &str) -> Result<AsOf, String> {
    crate::service::queries::parse_as_of(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_period(flag: &str, text: &str) -> Result<crate::domain::PeriodId, String> {
    crate::domain::PeriodId::parse(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_unit(text: &str) -> Result<crate::domain::UnitCode, String> {
    crate::domain::UnitCode::new(text).map_err(|e| format!("--unit: {e}"))
}

fn scope(unit: Option<String>, scheme: Option<String>, function_code: Option<String>) -> Result<RankingScope, String> {
    match (unit, scheme) {
        (Some(unit), None) => Ok(RankingScope::OfUnit(parse_unit(&unit)?)),
        (None, Some(scheme)) => Ok(RankingScope::Group {
            scheme: crate::domain::SchemeId::new(scheme).map_err(|e| format!("--scheme: {e}"))?,
            function_code: function_code
                .map(crate::domain::FunctionCode::new)
                .transpose()
                .map_err(|e| format!("--function-code: {e}"))?,
        }),
        _ => Err("--unit: give either --unit or --scheme".into()),
    }
}

fn print_answer(json: bool, answer: &impl serde::Serialize, text: impl FnOnce() -> String) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string_pretty(answer).map_err(|e| e.to_string())?);
    } else {
        print!("{}", text());
    }
    Ok(())
}

fn compare(
    read: ReadArgs,
    unit: &str,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<(), String> {
    let (read_models, as_of) = open_reads(&read)?;
    let unit = parse_unit(unit)?;
    match (period, from, to) {
        (Some(period), None, None) => {
            let answer =
                read_models.horizontal(&unit, parse_period("--period", &period)?, as_of).map_err(|e| e.to_string())?;
            print_answer(read.json, &answer, || reads::horizontal_text(&answer, &reads::unit_names(&read_models)))
        }
        (None, Some(from), Some(to)) => {
            let (first, last) = (parse_period("--from", &from)?, parse_period("--to", &to)?);
            let answer = read_models.vertical(&unit, first, last, as_of).map_err(|e| e.to_string())?;
            print_answer(read.json, &answer, || reads::vertical_text(&answer))
        }
        _ => Err("--period: give --period for a horizontal comparison, or --from and --to for a vertical one".into()),
    }
}

fn token(action: TokenAction) -> Result<(), String> {
    match action {
        TokenAction::Issue { data, actor, role, unit, note } => {
            let service = serve::open_service(&data)?;
            let token = serve::issue_token(&service, &actor, role, &unit, &note)?;
            println!("{token}");
            eprintln!(
                "token for {actor} ({}, {unit}); it is shown only now — the ledger keeps its hash",
                role.as_str()
            );
            Ok(())
        }
        TokenAction::Revoke { data, token_hash, reason } => {
            serve::revoke_token(&*serve::open_service(&data)?, &token_hash, &reason)?;
            println!("revoked {token_hash}");
            Ok(())
        }
        TokenAction::List { data } => {
            let service = serve::open_service(&data)?;
            service.with_state(|state| {
                for access in state.access_grants.values() {
                    let revoked = access.revoked_at.map_or("active".to_owned(), |at| format!("revoked {at}"));
                    println!(
                        "{}  {:<20} {:<10} {:<10} granted {}  {revoked}",
                        access.token_hash,
                        access.actor_id,
                        access.role.as_str(),
                        access.unit.as_str(),
                        access.granted_at
                    );
                }
            });
            Ok(())
        }
    }
}

fn proof(kind: ProofKind) -> Result<(), String> {
    match kind {
        ProofKind::Inclusion { data, seq, size } => {
            let ledger = open_existing(&data)?;
            let size = size.unwrap_or(ledger.head().seq);
            let path = ledger.inclusion_proof(seq, size).map_err(|e| format!("--seq/--size: {e}"))?;
            let root = ledger.merkle_root(size).map_err(|e| e.to_string())?;
            print_json(&serde_json::json!({"seq": seq, "tree_size": size, "root": root, "inclusion_proof": path}))
        }
        ProofKind::Consistency { data, from, to } => {
            let ledger = open_existing(&data)?;
            let to = to.unwrap_or(ledger.head().seq);
            let path = ledger.consistency_proof(from, to).map_err(|e| format!("--from/--to: {e}"))?;
            let (old_root, new_root) = (ledger.merkle_root(from), ledger.merkle_root(to));
            let old_root = old_root.map_err(|e| e.to_string())?;
            let new_root = new_root.map_err(|e| e.to_string())?;
            print_json(&serde_json::json!({
                "old_size": from, "new_size": to, "old_root": old_root, "new_root": new_root, "consistency_proof": path
            }))
        }
        ProofKind::Bundle { data, seq } => {
            let ledger = open_existing(&data)?;
            let checkpoint = ledger.checkpoint(SystemClock.now()).map_err(|e| e.to_string())?;
            let bundle = ledger.proof_bundle(&seq, checkpoint).map_err(|e| format!("--seq: {e}"))?;
            print_json(&bundle)
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    println!("{}", serde_json::to_string_pretty(value).map_err(|e| e.to_string())?);
    Ok(())
}

fn head(data: &std::path::Path, json: bool) -> Result<(), String> {
    let ledger = open_existing(data)?;
    let head = ledger.head();
    if json {
        println!("{}", serde_json::to_string(&head).expect("head serialises"));
    } else {
        println!("{}:{} (recorded at {})", head.seq, head.hash, head.recorded_at);
    }
    Ok(())
}

fn export_to_stdout(data: &std::path::Path) -> Result<(), String> {
    let ledger = open_existing(data)?;
    let bar = progress::bar(ledger.head().seq, "exporting");
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let head = export::export(&ledger, &mut out, &|done| bar.set_position(done)).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| format!("writing the export: {e}"))?;
    bar.finish_and_clear();
    eprintln!("exported {} events, head {}:{}", head.seq, head.seq, head.hash);
    Ok(())
}

fn import(data: &std::path::Path, file: &std::path::Path) -> Result<(), String> {
    let input = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress::bytes_bar(size, "importing");
    let mut reader = BufReader::with_capacity(1 << 20, bar.wrap_read(input));
    let head = export::import(data, &mut reader, &|_| {}).map_err(|e| format!("{}: {e}", file.display()))?;
    bar.finish_and_clear();
    println!("imported {} events, head {}:{}", head.seq, head.seq, head.hash);
    Ok(())
}
