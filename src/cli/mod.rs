//! The command line: a thin adapter over the service. Every error is one clear line on stderr and a
//! non-zero exit (1 for a failed check or a refused input, 2 for usage errors by clap); everything
//! printed on stdout goes through `output`, so piping into `head` ends quietly. Reading commands work
//! on the ledger directly or, while a server holds it, through that server (`source`).

pub mod allocator;
mod demo;
mod documents;
mod output;
mod people;
mod progress;
mod reads;
mod serve;
mod source;
mod table;

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::domain::{FunctionCode, PeriodId, Role, SchemeId, UnitCode};
use crate::projection::{AsOf, Counting};
use crate::service::admin::{self, ImportKey, LedgerSettings};
use crate::service::queries::{RankingScope, View};
use crate::service::records::TailCheck;
use crate::tabular::{self, Format, Lang, Workbook};
use output::{emit, emit_line};
use source::Source;

#[derive(Parser)]
#[command(name = "kpi-ledger", version, about = "Tamper-evident ledger for performance assessment (绩效管理)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tell the article's story: record it in a fresh data directory and print rankings, comparisons,
    /// the trace of a lost point, the ranking as published against now, and verification.
    Demo {
        /// Data directory (created; a previous demo directory is replaced, nothing else ever is).
        #[arg(long, value_name = "DIR", default_value = "kpi-data/demo")]
        data: PathBuf,
        /// Then serve the API on that data and print a token for each role.
        #[arg(long)]
        serve: bool,
        /// The address to serve on, with --serve.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Serve the HTTP API on a data directory (created if missing).
    Serve {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// sled's page cache in MiB: with the facts, most of the server's memory.
        #[arg(long, value_name = "MIB", default_value_t = crate::limits::SLED_CACHE_MIB_DEFAULT)]
        cache_mib: u64,
    },
    /// Carry out commands as the local operator, all or none: e.g. register the first unit of a new
    /// ledger. Each argument (or each line of stdin with `-`) is `{"command": "...", "payload": {...}}`.
    Exec {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The unit the operator acts for (its scope is that unit and everything under it).
        #[arg(long)]
        unit: String,
        /// The role the operator acts in.
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: Role,
        /// Command JSON texts, or `-` to read one per line from stdin.
        #[arg(required = true)]
        commands: Vec<String>,
    },
    /// Bring a bureau's past years in: carry out a JSON Lines file of commands, each with the instant
    /// it happened and its actor, in order and all or nothing (see `history import --help`).
    History {
        #[command(subcommand)]
        action: HistoryAction,
    },
    /// Issue, revoke and list bearer tokens (recorded as ledger events; only hashes are kept).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Evidence documents beside the chain: store one and print its digest (`put`), write one out
    /// checked against its digest (`get`), or check them all (`verify`).
    Document {
        #[command(subcommand)]
        action: documents::DocumentAction,
    },
    /// A peer group's ranking and tiers for a period.
    Rank {
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        group: GroupArgs,
        /// The period: a month (2017-07), quarter (2017-Q3), half (2017-H1) or year (2017).
        #[arg(long)]
        period: String,
    },
    /// A unit against its peers in a period (horizontal), or across periods of one kind with
    /// --from/--to (vertical: months, quarters, halves or years).
    Compare {
        #[command(flatten)]
        read: ReadArgs,
        /// The unit compared.
        #[arg(long)]
        unit: String,
        /// Compare it in this scheme: a county's own scheme (YS07-2017) for one of its sections, among
        /// the county's sections (default: the scheme that assesses the unit or its county).
        #[arg(long)]
        scheme: Option<String>,
        /// For a horizontal comparison: the period.
        #[arg(long, conflicts_with_all = ["from", "to"])]
        period: Option<String>,
        /// For a vertical comparison: the first period.
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// For a vertical comparison: the last period, of the same kind as --from and not before it.
        #[arg(long, requires = "from")]
        to: Option<String>,
    },
    /// Every point a unit lost in a period, down to the events.
    Trace {
        #[command(flatten)]
        read: ReadArgs,
        /// The unit traced.
        #[arg(long)]
        unit: String,
        /// Trace it in this scheme: a county's own scheme (YS07-2017) for one of its sections (default:
        /// the scheme that assesses the unit or its county).
        #[arg(long)]
        scheme: Option<String>,
        /// The period (a roll-up gives one trace per base period).
        #[arg(long)]
        period: String,
    },
    /// The bulletin (通报) of a peer group for a period: each member's score, rank and tier with the
    /// change from the period before, the points it lost with their reasons, its repeat problems, and
    /// the praise and criticism proposed. A county's monthly one: --scheme YS07-2017 --period 2017-07.
    #[command(visible_alias = "notice")]
    Bulletin {
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        group: GroupArgs,
        /// The period: a month (2017-07), quarter (2017-Q3), half (2017-H1) or year (2017).
        #[arg(long)]
        period: String,
    },
    /// Whose score, rank or tier changed between two as-of points, and the events that moved them.
    Diff {
        #[command(flatten)]
        ledger: LedgerArgs,
        #[command(flatten)]
        group: GroupArgs,
        /// The period whose ranking is compared.
        #[arg(long)]
        period: String,
        /// The earlier point: a sequence number, a date (2017-07-12, the end of that day in the
        /// ledger's time zone) or an RFC 3339 instant.
        #[arg(long)]
        from: String,
        /// The later point (same forms as --from).
        #[arg(long, default_value = "latest")]
        to: String,
        /// Count open (not yet published) months in a roll-up at both points, as provisional figures.
        #[arg(long)]
        provisional: bool,
        /// Print the answer as JSON (as the HTTP API gives it).
        #[arg(long)]
        json: bool,
    },
    /// Individuals (个人绩效): a person's scorecard, the indicators they carry, their weekly records and
    /// reviews; the persons of a unit; a county's individual ranking.
    Person {
        #[command(subcommand)]
        action: people::PersonAction,
    },
    /// Annual grades (年度考核等次): record one as a county's committee, or list a county's with the
    /// ranking each was checked against and whether that basis still holds.
    Grade {
        #[command(subcommand)]
        action: people::GradeAction,
    },
    /// Uses of results (结果运用): record one as a committee, or list them with whether their basis —
    /// the subject's rank and tier in the view they relied on — still holds.
    ResultUse {
        #[command(subcommand)]
        action: people::ResultUseAction,
    },
    /// Walk the whole chain, recompute every hash, and report the first fault.
    Verify {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// A head noted earlier, as SEQ:HASH (what `head` prints): the chain must still contain it.
        #[arg(long, value_name = "SEQ:HASH")]
        saved_head: Option<String>,
        /// Print the result as JSON (as the HTTP API gives it).
        #[arg(long)]
        json: bool,
    },
    /// Rebuild a ledger that refuses to open because its two copies (the sled index and the record
    /// copy records.kpi) disagree or one is damaged: every event is taken from whichever copy still
    /// verifies, the replaced files are kept in DIR/damaged-<time>/, and the result is verified.
    Recover {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// When both copies lost the same newest events, keep the intact ones (the rest stay in the
        /// set-aside files); without it such a recovery is refused and nothing changes.
        #[arg(long)]
        accept_loss: bool,
    },
    /// Print the chain head as SEQ:HASH (note it: later it proves nothing was cut off).
    Head {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Print seq, hash and recorded time as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the whole chain to stdout as verified JSON Lines.
    Export {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Build a new ledger in --data from an export file, refusing anything an append would refuse.
    Import {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The export file (JSON Lines).
        file: PathBuf,
        /// The signing key of the exported ledger (from `key export`), so its checkpoints stay valid.
        #[arg(long, value_name = "FILE", required_unless_present = "new_key", conflicts_with = "new_key")]
        key_file: Option<PathBuf>,
        /// Give the imported ledger a new signing key instead (its auditors must be told the new key).
        #[arg(long)]
        new_key: bool,
    },
    /// The key that signs this ledger's checkpoints: show it, export it, or import it.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// The keys personal texts are sealed under (the data directory's `person-keys` file): back them up
    /// to a new file, or restore them from one. Erasing a person does not reach backups already taken.
    PersonKeys {
        #[command(subcommand)]
        action: PersonKeysAction,
    },
    /// Sign and print a checkpoint of the current head (JSON).
    Checkpoint {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Print Merkle proofs (JSON) for an auditor to check with the standalone verifier.
    Proof {
        #[command(subcommand)]
        kind: ProofKind,
    },
}

/// Where the ledger is.
#[derive(clap::Args)]
struct LedgerArgs {
    /// The ledger's data directory.
    #[arg(long, env = "KPI_LEDGER_DATA", value_name = "DIR")]
    data: PathBuf,
    /// The checkpoint signing key file (default: checkpoint-signing-key.json in the data directory).
    #[arg(long, env = "KPI_LEDGER_SIGNING_KEY_FILE", value_name = "FILE")]
    signing_key_file: Option<PathBuf>,
}

impl LedgerArgs {
    fn settings(&self) -> LedgerSettings {
        LedgerSettings { data: self.data.clone(), signing_key_file: self.signing_key_file.clone(), cache_mib: None }
    }
}

/// What every reading command takes.
#[derive(clap::Args)]
struct ReadArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Answer as the ledger stood then: a sequence number, a date (2017-07-12, the end of that day in
    /// the ledger's time zone) or an RFC 3339 instant.
    #[arg(long, default_value = "latest")]
    as_of: String,
    /// Count open (not yet published) months in quarters, halves and the year, with what is recorded
    /// so far; the answer then names them as provisional. Without it roll-ups count published months only.
    #[arg(long)]
    provisional: bool,
    /// Print the answer as JSON (as the HTTP API gives it).
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Give a ranking or comparison as a spreadsheet instead (the same one the API and the site give):
    /// csv (RFC 4180, UTF-8 with a byte-order mark, to standard output or --out) or xlsx (to --out).
    #[arg(long, value_parser = ["csv", "xlsx"])]
    format: Option<String>,
    /// With --format: the file to write (required for xlsx, whose bytes are not for a terminal).
    #[arg(long, requires = "format")]
    out: Option<PathBuf>,
}

/// Whose ranking: a unit's own peer group, or a scheme's group named outright.
#[derive(clap::Args)]
struct GroupArgs {
    /// Rank the peer group of this unit (or give --scheme).
    #[arg(long, required_unless_present = "scheme", conflicts_with = "scheme")]
    unit: Option<String>,
    /// Rank this scheme's assessed units (with --function-code: its sections of that function).
    #[arg(long)]
    scheme: Option<String>,
    /// With --scheme: the section function code (e.g. ZG).
    #[arg(long, requires = "scheme")]
    function_code: Option<String>,
}

impl GroupArgs {
    fn scope(&self) -> Result<RankingScope, String> {
        match (&self.unit, &self.scheme) {
            (Some(unit), _) => Ok(RankingScope::OfUnit(parse_unit("--unit", unit)?)),
            (None, Some(scheme)) => Ok(RankingScope::Group {
                scheme: SchemeId::new(scheme.as_str()).map_err(|e| format!("--scheme: {e}"))?,
                function_code: self
                    .function_code
                    .as_deref()
                    .map(FunctionCode::new)
                    .transpose()
                    .map_err(|e| format!("--function-code: {e}"))?,
            }),
            (None, None) => Err("--unit: give either --unit or --scheme".into()),
        }
    }
}

#[derive(Subcommand)]
enum HistoryAction {
    /// Import a history file as the local operator, an admin of --unit: each line is
    /// `{"recorded_at": "2016-07-11T10:00:00+08:00", "actor": {"id", "role", "unit"}, "command": NAME,
    /// "payload": {…}}`; every command is decided as if sent then, by that actor (who must act inside
    /// --unit's scope), and the events keep those times. Refused whole, naming the line.
    Import {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The unit whose admin imports (and vouches for the actors in the file).
        #[arg(long)]
        unit: String,
        /// The history file (JSON Lines).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Issue a token for an actor with one role and unit scope; the token is printed once.
    Issue {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The actor id recorded on every event made with the token.
        #[arg(long)]
        actor: String,
        /// admin, assessor, office, appellant, reviewer, committee, auditor, leader or person.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The unit whose scope (it and everything under it) the token acts in.
        #[arg(long)]
        unit: String,
        /// Why or for whom it is issued (recorded with the grant).
        #[arg(long, default_value = "")]
        note: String,
        /// Days the token acts for, 1 to 366 (default 90); then it expires and a new one is issued.
        #[arg(long, value_name = "DAYS")]
        valid_days: Option<u32>,
        /// The person the token speaks for (staff code): required for role person, allowed for leader.
        #[arg(long)]
        person: Option<String>,
    },
    /// Revoke a token by its hash (as `token list` shows it).
    Revoke {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The token's hash (64 hex digits).
        #[arg(long)]
        token_hash: String,
        /// Why it is revoked (recorded with the revocation).
        #[arg(long)]
        reason: String,
    },
    /// List every grant: hash, actor, role, unit, when granted, when it expires, and when revoked.
    List {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Print the public key (64 hex digits) and the ledger's origin.
    Show {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Copy the secret signing key to a new file (mode 0600), to keep apart from the data.
    Export {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore a ledger's lost key file from a copy (only the key the ledger records as its own).
    Import {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The key file (from `key export`).
        file: PathBuf,
    },
    /// Sign checkpoints with a new key from now on, recorded in the chain as `SigningKeyRotated` (the
    /// new and the previous public key, and why); the old key file is kept as
    /// `<name>.retired-<seq>`. Also the deliberate way on when the key file was lost.
    Rotate {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Why the key changes (recorded with the rotation).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum PersonKeysAction {
    /// Copy every person's key to a new file (mode 0600, never replacing one), to keep apart from the
    /// data: without it, a lost key file makes every sealed name and text unreadable. A backup holds
    /// the keys of every person not erased when it was taken; a later erasure does not reach it, so
    /// destroy old backups after an erasure.
    Backup {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Bring back the keys of a backup the key file lacks (after it was lost, or for a ledger imported
    /// from an export), with the server stopped. Keys of persons erased since the backup are left out:
    /// a restore never undoes an erasure. A backup with another key for a person is refused whole.
    Restore {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The backup file (from `person-keys backup`).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum ProofKind {
    /// The audit path of one event in the tree of the first SIZE events (default: the head).
    Inclusion {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The event's sequence number.
        #[arg(long)]
        seq: u64,
        /// The tree size (default: the head).
        #[arg(long)]
        size: Option<u64>,
    },
    /// The proof that the tree at TO extends the tree at FROM.
    Consistency {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The older tree size (at least 1).
        #[arg(long)]
        from: u64,
        /// The newer tree size (default: the head).
        #[arg(long)]
        to: Option<u64>,
    },
    /// A fresh signed checkpoint and the given events, each with its inclusion proof.
    Bundle {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Sequence numbers of the events to include (repeat or separate with commas).
        #[arg(long, value_delimiter = ',', required = true)]
        seq: Vec<u64>,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        "expected admin, assessor, office, appellant, reviewer, committee, auditor, leader or person".to_owned()
    })
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", output::escape(&message));
            ExitCode::FAILURE
        }
    }
}

/// Logs on stderr, coloured only for a terminal (a log file or a pipe gets plain lines).
fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The newest events re-checked on every open.
const TAIL: TailCheck = TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS);

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Demo { data, serve, addr } => demo::run(&data, serve.then_some(addr)),
        Command::Serve { ledger, addr, cache_mib } => {
            serve::serve(&LedgerSettings { cache_mib: Some(cache_mib), ..ledger.settings() }, addr)
        }
        Command::Exec { ledger, unit, role, commands } => exec(&ledger.settings(), &unit, role, commands),
        Command::Token { action } => token(action),
        Command::Document { action } => documents::run(action),
        Command::History { action: HistoryAction::Import { ledger, unit, file } } => {
            import_history(&ledger.settings(), &unit, &file)
        }
        Command::Rank { read, group, period } => {
            let (source, view) = open_reads(&read)?;
            let answer = source.ranking(&group.scope()?, parse_period("--period", &period)?, view)?;
            let names = source.unit_names();
            let table = || tabular::answers::ranking(&answer, &names, Lang::Zh);
            print_read(&read, &answer, || reads::ranking_text(&answer, &names), Some(table))
        }
        Command::Compare { read, unit, scheme, period, from, to } => {
            compare(&read, &unit, scheme.as_deref(), period, from.zip(to))
        }
        Command::Trace { read, unit, scheme, period } => {
            let scheme = parse_scheme("--scheme", scheme.as_deref())?;
            let (source, view) = open_reads(&read)?;
            let (unit, period) = (parse_unit("--unit", &unit)?, parse_period("--period", &period)?);
            let answer = source.trace(&unit, scheme.as_ref(), period, view)?;
            print_read(&read, &answer, || reads::trace_text(&answer, &source.unit_names()), NO_TABLE)
        }
        Command::Bulletin { read, group, period } => {
            let (source, view) = open_reads(&read)?;
            let answer = source.bulletin(&group.scope()?, parse_period("--period", &period)?, view)?;
            print_read(&read, &answer, || reads::bulletin_text(&answer, &source.unit_names()), NO_TABLE)
        }
        Command::Diff { ledger, group, period, from, to, provisional, json } => {
            let source = Source::open(&ledger.settings(), TAIL)?;
            let (from, to) = (parse_as_of("--from", &from)?, parse_as_of("--to", &to)?);
            let period = parse_period("--period", &period)?;
            let diff = source.ranking_diff(&group.scope()?, period, from, to, counting(provisional))?;
            print_answer(json, &diff, || reads::diff_text(&diff, &source.unit_names()))
        }
        Command::Person { action } => people::person(action),
        Command::Grade { action } => people::grade(action),
        Command::ResultUse { action } => people::result_use(action),
        Command::Verify { ledger, saved_head, json } => verify(&ledger, saved_head.as_deref(), json),
        Command::Recover { ledger, accept_loss } => recover(&ledger.settings(), accept_loss),
        Command::Head { ledger, json } => {
            let head = Source::open_ledger(&ledger.settings(), TAIL)?.head()?;
            if json {
                return emit_line(&serde_json::to_string(&head).expect("head serialises"));
            }
            // stdout: exactly what `verify --saved-head` takes; the time is for the reader, on stderr.
            emit_line(&format!("{}:{}", head.seq, head.hash))?;
            eprintln!("recorded at {}", head.recorded_at);
            Ok(())
        }
        Command::Export { ledger } => export(&ledger),
        Command::Import { ledger, file, key_file, new_key } => {
            let key = match (key_file, new_key) {
                (Some(path), false) => ImportKey::File(path),
                _ => ImportKey::New,
            };
            import(&ledger.settings(), &file, &key)
        }
        Command::Key { action } => key(action),
        Command::PersonKeys { action } => person_keys(action),
        Command::Checkpoint { ledger } => print_json(&Source::open_ledger(&ledger.settings(), TAIL)?.checkpoint()?),
        Command::Proof { kind } => proof(kind),
    }
}

fn open_reads(read: &ReadArgs) -> Result<(Source, View), String> {
    let view = View { as_of: parse_as_of("--as-of", &read.as_of)?, counting: counting(read.provisional) };
    Ok((Source::open(&read.ledger.settings(), TAIL)?, view))
}

fn counting(provisional: bool) -> Counting {
    if provisional {
        Counting::Provisional
    } else {
        Counting::Published
    }
}

fn parse_as_of(flag: &str, text: &str) -> Result<AsOf, String> {
    crate::service::queries::parse_as_of(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_period(flag: &str, text: &str) -> Result<PeriodId, String> {
    PeriodId::parse(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_unit(flag: &str, text: &str) -> Result<UnitCode, String> {
    UnitCode::new(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_scheme(flag: &str, text: Option<&str>) -> Result<Option<SchemeId>, String> {
    text.map(|text| SchemeId::new(text).map_err(|e| format!("{flag}: {e}"))).transpose()
}

/// A read that has no table form, for `print_read`.
const NO_TABLE: Option<fn() -> Workbook> = None;

/// Prints a read's answer as `--json`, `--format` and `--out` ask: JSON, a spreadsheet (from `table`;
/// a read without one refuses `--format`), or the text table.
fn print_read(
    read: &ReadArgs,
    answer: &impl serde::Serialize,
    text: impl FnOnce() -> String,
    table: Option<impl FnOnce() -> Workbook>,
) -> Result<(), String> {
    let Some(format) = read.format.as_deref() else { return print_answer(read.json, answer, text) };
    let format = Format::parse(format).ok_or_else(|| format!("--format: {format} is neither csv nor xlsx"))?;
    let table = table.ok_or("--format: this answer has no table form; give --json for the whole answer")?;
    let bytes = format.write(&table())?;
    match (&read.out, format) {
        (Some(out), _) => std::fs::write(out, &bytes).map_err(|e| format!("--out {}: {e}", out.display())),
        (None, Format::Csv) => output::emit_bytes(&bytes),
        (None, Format::Xlsx) => Err("--out: an xlsx file goes to a file; name it with --out FILE.xlsx".into()),
    }
}

fn print_answer(json: bool, answer: &impl serde::Serialize, text: impl FnOnce() -> String) -> Result<(), String> {
    if json {
        return print_json(answer);
    }
    emit(&text())
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    emit_line(&serde_json::to_string_pretty(value).map_err(|e| e.to_string())?)
}

fn compare(
    read: &ReadArgs,
    unit: &str,
    scheme: Option<&str>,
    period: Option<String>,
    range: Option<(String, String)>,
) -> Result<(), String> {
    let unit = parse_unit("--unit", unit)?;
    let scheme = parse_scheme("--scheme", scheme)?;
    match (period, range) {
        (Some(period), None) => {
            let (source, view) = open_reads(read)?;
            let answer = source.horizontal(&unit, scheme.as_ref(), parse_period("--period", &period)?, view)?;
            let names = source.unit_names();
            let table = || tabular::answers::horizontal(&answer, &names, Lang::Zh);
            print_read(read, &answer, || reads::horizontal_text(&answer, &names), Some(table))
        }
        (None, Some((from, to))) => {
            let (first, last) = (parse_period("--from", &from)?, parse_period("--to", &to)?);
            crate::service::queries::period_range(first, last).map_err(|e| format!("--{e}"))?;
            let (source, view) = open_reads(read)?;
            let answer = source.vertical(&unit, scheme.as_ref(), first, last, view)?;
            let names = source.unit_names();
            let table = || tabular::answers::vertical(&answer, &names, Lang::Zh);
            print_read(read, &answer, || reads::vertical_text(&answer, &names), Some(table))
        }
        _ => Err("--period: give --period for a horizontal comparison, or --from and --to for a vertical one".into()),
    }
}

fn verify(ledger: &LedgerArgs, saved_head: Option<&str>, json: bool) -> Result<(), String> {
    let bar = std::sync::OnceLock::new();
    let (verification, note) = source::verify(
        &ledger.settings(),
        saved_head,
        &|total| drop(bar.set(progress::bar(total, "verifying"))),
        &|done| {
            if let Some(bar) = bar.get() {
                bar.set_position(done);
            }
        },
    )?;
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    if let Some(note) = note {
        eprintln!("{note}");
    }
    if json {
        print_json(&verification)?;
    }
    match (&verification.failure, verification.head) {
        (None, Some(head)) if !json => emit_line(&format!(
            "chain intact: {} events verified, head {}:{}",
            verification.events_checked.unwrap_or(0),
            head.seq,
            head.hash
        )),
        (None, _) => Ok(()),
        (Some(failure), _) => Err(format!("chain broken at {failure}")),
    }
}

fn import_history(settings: &LedgerSettings, unit: &str, file: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let service = open_service_for_writing(settings)?;
    let admin = serve::operator_with_role(unit, Role::Admin)?;
    let imported = service
        .import_history(&admin, &bytes)
        .map_err(|error| format!("{}: {error}; nothing was recorded", file.display()))?;
    emit(&format!(
        "imported {} commands as {} events ({}..{}), recorded {} to {}; file blake3 {}\n",
        imported.lines,
        imported.events,
        imported.first_seq,
        imported.last_seq,
        imported.from,
        imported.to,
        imported.file_blake3
    ))
}

fn recover(settings: &LedgerSettings, accept_loss: bool) -> Result<(), String> {
    let bar = progress::bar(0, "recovering");
    let recovered = admin::recover(settings, accept_loss, &|done| bar.set_position(done))?;
    bar.finish_and_clear();
    let lost = recovered.claimed_seq.saturating_sub(recovered.head.seq);
    emit(&format!(
        "recovered and verified: {} events, head {}:{}\n  {} taken from the record copy where the index had lost or \
         damaged them, {} from the index where the copy had\n  {}the replaced files are kept in {}\n",
        recovered.head.seq,
        recovered.head.seq,
        recovered.head.hash,
        recovered.from_copy_only,
        recovered.from_index_only,
        if lost > 0 {
            format!("{lost} newest events were lost in both copies (--accept-loss); ")
        } else {
            String::new()
        },
        recovered.set_aside.display()
    ))
}

fn exec(settings: &LedgerSettings, unit: &str, role: Role, commands: Vec<String>) -> Result<(), String> {
    let texts: Vec<String> = if commands == ["-"] {
        std::io::stdin().lines().map_while(Result::ok).filter(|line| !line.trim().is_empty()).collect()
    } else {
        commands
    };
    let parsed: Vec<crate::domain::Command> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            crate::domain::Command::from_json(text).map_err(|r| format!("command {}: {}", index + 1, r.message))
        })
        .collect::<Result<_, _>>()?;
    let service = open_service_for_writing(settings)?;
    let actor = serve::operator_with_role(unit, role)?;
    let executed = service.execute_all(actor, &parsed).map_err(|e| format!("{e}; nothing was recorded"))?;
    let mut text = String::new();
    for (command, executed) in parsed.iter().zip(&executed) {
        text.push_str(&format!(
            "{} → {} {}..{}\n",
            command.name(),
            executed.stream,
            executed.first_seq,
            executed.last_seq
        ));
    }
    emit(&text)
}

/// Opens the ledger for commands; while a server holds it, says to send them through its API.
fn open_service_for_writing(settings: &LedgerSettings) -> Result<std::sync::Arc<crate::service::Service>, String> {
    if let Err(admin::OpenError::Locked { server: Some(server), .. }) =
        settings.open_existing(TAIL).map(|ledger| ledger.close())
    {
        return Err(format!(
            "--data {}: the ledger is held by a server at http://{}; send commands through its API with a token",
            settings.data.display(),
            server.addr
        ));
    }
    settings.open_service()
}

fn token(action: TokenAction) -> Result<(), String> {
    match action {
        TokenAction::Issue { ledger, actor, role, unit, note, valid_days, person } => {
            let service = open_service_for_writing(&ledger.settings())?;
            let token = serve::issue_token(
                &service,
                &serve::Grant { actor: &actor, role, unit: &unit, note: &note, valid_days, person: person.as_deref() },
            )?;
            emit_line(&token)?;
            eprintln!(
                "token for {actor} ({}, {unit}); it is shown only now — the ledger keeps its hash",
                role.as_str()
            );
            Ok(())
        }
        TokenAction::Revoke { ledger, token_hash, reason } => {
            serve::revoke_token(&*open_service_for_writing(&ledger.settings())?, &token_hash, &reason)?;
            emit_line(&format!("revoked {token_hash}"))
        }
        TokenAction::List { ledger } => emit(&reads::grants_text(&source::access_grants(&ledger.settings())?)),
    }
}

fn key(action: KeyAction) -> Result<(), String> {
    match action {
        KeyAction::Show { ledger } => {
            let (public_key, origin) = Source::open_ledger(&ledger.settings(), TAIL)?.key()?;
            emit_line(&public_key)?;
            eprintln!("origin {origin}");
            Ok(())
        }
        KeyAction::Export { ledger, out } => {
            let public_key = admin::export_key(&ledger.settings(), &out)?;
            eprintln!(
                "wrote the secret key of {public_key} to {} (mode 0600); keep it apart from the data",
                out.display()
            );
            Ok(())
        }
        KeyAction::Import { ledger, file } => {
            let public_key = admin::import_key(&ledger.settings(), &file)?;
            emit_line(&format!("restored the signing key {public_key}"))
        }
        KeyAction::Rotate { ledger, reason } => {
            let rotated = admin::rotate_key(&ledger.settings(), &reason)?;
            emit_line(&rotated.public_key)?;
            eprintln!(
                "event {} records the rotation from {}; checkpoints are signed with the new key from now on{}; \
                 tell the auditors the new public key",
                rotated.seq,
                rotated.previous_public_key,
                rotated
                    .retired_key_file
                    .map_or_else(String::new, |path| format!(", the old key file is kept as {}", path.display()))
            );
            Ok(())
        }
    }
}

fn person_keys(action: PersonKeysAction) -> Result<(), String> {
    match action {
        PersonKeysAction::Backup { ledger, out } => {
            let settings = ledger.settings();
            if !settings.holds_ledger() {
                return Err(admin::OpenError::NoLedger(settings.data.clone()).to_string());
            }
            let copied = crate::service::person_keys::backup(&settings.data, &out)?;
            emit_line(&format!("wrote {} person keys to {} (mode 0600)", copied.keys, out.display()))?;
            eprintln!("keep it apart from the data; an erasure recorded later does not reach this file");
            Ok(())
        }
        PersonKeysAction::Restore { ledger, file } => {
            let service = open_service_for_writing(&ledger.settings())?;
            let restored = crate::service::person_keys::restore(&service, &file)?;
            emit_line(&format!(
                "restored {} person keys; left out {} of persons erased since the backup",
                restored.keys, restored.skipped_erased
            ))
        }
    }
}

fn proof(kind: ProofKind) -> Result<(), String> {
    match kind {
        ProofKind::Inclusion { ledger, seq, size } => {
            print_json(&Source::open_ledger(&ledger.settings(), TAIL)?.inclusion_proof(seq, size)?)
        }
        ProofKind::Consistency { ledger, from, to } => {
            print_json(&Source::open_ledger(&ledger.settings(), TAIL)?.consistency_proof(from, to)?)
        }
        ProofKind::Bundle { ledger, seq } => {
            print_json(&Source::open_ledger(&ledger.settings(), TAIL)?.proof_bundle(&seq)?)
        }
    }
}

fn export(ledger: &LedgerArgs) -> Result<(), String> {
    let source = Source::open_ledger(&ledger.settings(), TAIL)?;
    let total = source.head().map(|head| head.seq).unwrap_or(0);
    let bar = progress::bar(total, "exporting");
    let mut out = output::Stdout::new();
    let head = source.export(&mut out, &|done| bar.set_position(done))?;
    out.flush().map_err(|e| format!("writing the export: {e}"))?;
    bar.finish_and_clear();
    match head {
        Some(head) => eprintln!("exported {} events, head {}:{}", head.seq, head.seq, head.hash),
        None => eprintln!("exported the chain through the running server"),
    }
    Ok(())
}

fn import(settings: &LedgerSettings, file: &std::path::Path, key: &ImportKey) -> Result<(), String> {
    let input = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress::bytes_bar(size, "importing");
    let mut reader = BufReader::with_capacity(1 << 20, bar.wrap_read(input));
    let head =
        admin::import_export(settings, &mut reader, key, &|_| {}).map_err(|e| format!("{}: {e}", file.display()))?;
    bar.finish_and_clear();
    emit_line(&format!("imported {} events, head {}:{}", head.seq, head.seq, head.hash))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every subcommand and every flag says what it is for in `--help`.
    #[test]
    fn every_flag_has_help_text() {
        fn check(command: &clap::Command, path: &str) {
            for argument in command.get_arguments() {
                let id = argument.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(argument.get_help().is_some(), "{path} {id} has no help text");
            }
            for subcommand in command.get_subcommands() {
                assert!(subcommand.get_about().is_some(), "{path} {} has no help text", subcommand.get_name());
                check(subcommand, &format!("{path} {}", subcommand.get_name()));
            }
        }
        let command = Cli::command();
        command.clone().debug_assert();
        check(&command, "kpi-ledger");
    }
}
