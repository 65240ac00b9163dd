//! kpi-verify: checks a kpi-ledger export, checkpoint, proof bundle or consistency proof with nothing
//! but the files and the ledger's public key. Written from docs/FORMAT.md alone; it shares no code with
//! kpi-ledger, so a bug there cannot hide itself here.
//!
//! Success is one `OK: …` line on stdout; a failed check is one `FAILED: …` line on stderr naming what
//! failed. Exit status: 0 verified, 1 a check failed, 2 usage error (bad arguments, unreadable file).

mod bundle;
mod checkpoint;
mod consistency;
mod event;
mod export;
mod json;
mod merkle;

use std::collections::HashMap;
use std::process::ExitCode;

use checkpoint::TrustedKey;

const USAGE: &str = "usage:
  kpi-verify export EXPORT.jsonl [--key HEX --checkpoint CHECKPOINT.json]
  kpi-verify checkpoint CHECKPOINT.json --key HEX
  kpi-verify bundle BUNDLE.json --key HEX
  kpi-verify consistency --key HEX --old OLD_CHECKPOINT.json --new NEW_CHECKPOINT.json --proof PROOF.json

HEX is the ledger's public key, 64 lower-case hex digits, obtained out of band.
Prints OK: ... on stdout when everything verified, FAILED: ... on stderr otherwise.
Exit status: 0 verified, 1 verification failed, 2 usage error (bad arguments, unreadable file).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let outcome = match args.first().map(String::as_str) {
        Some("export") => verify_export(rest),
        Some("checkpoint") => verify_checkpoint(rest),
        Some("bundle") => verify_bundle(rest),
        Some("consistency") => verify_consistency(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(Failure::Usage(format!("unknown command {other:?}"))),
        None => Err(Failure::Usage("a command is required".into())),
    };
    match outcome {
        Ok(summary) => {
            println!("OK: {summary}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Check(message)) => {
            eprintln!("FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Why the verifier did not say OK.
pub enum Failure {
    /// The command line was wrong or a file could not be read: nothing was verified (exit 2).
    Usage(String),
    /// A check failed (exit 1).
    Check(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Check(message)
    }
}

/// A subcommand's arguments: its file operands and its `--name value` options, each given at most once.
struct Args {
    files: Vec<String>,
    options: HashMap<&'static str, String>,
}

impl Args {
    /// Refuses unknown options, options without a value or given twice, and a wrong number of operands.
    fn parse(args: &[String], known: &[&'static str], files: usize) -> Result<Args, Failure> {
        let mut parsed = Args { files: Vec::new(), options: HashMap::new() };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if !arg.starts_with("--") {
                parsed.files.push(arg.clone());
                continue;
            }
            let name =
                known.iter().find(|k| **k == arg).ok_or_else(|| Failure::Usage(format!("unknown option {arg}")))?;
            let value = args
                .next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))?;
            if parsed.options.insert(name, value.clone()).is_some() {
                return Err(Failure::Usage(format!("{name} is given twice")));
            }
        }
        if parsed.files.len() != files {
            let expected = if files == 1 { "one file" } else { "no file operand" };
            return Err(Failure::Usage(format!("expected {expected}, found {}", parsed.files.len())));
        }
        Ok(parsed)
    }

    fn required(&self, name: &str) -> Result<&str, Failure> {
        self.options.get(name).map(String::as_str).ok_or_else(|| Failure::Usage(format!("{name} is required")))
    }

    fn key(&self) -> Result<TrustedKey, Failure> {
        TrustedKey::parse(self.required("--key")?).map_err(|e| Failure::Usage(format!("--key: {e}")))
    }
}

fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))
}

/// Verifies a checkpoint file's contents; `label` names it in messages.
fn checkpoint_bytes(bytes: &[u8], key: &TrustedKey, label: &str) -> Result<checkpoint::Checkpoint, Failure> {
    let value = json::parse(bytes).map_err(|e| format!("{label}: {e}"))?;
    Ok(checkpoint::verify(&value, key, label)?)
}

fn verify_export(args: &[String]) -> Result<String, Failure> {
    let args = Args::parse(args, &["--key", "--checkpoint"], 1)?;
    let checkpoint = match (args.options.contains_key("--key"), args.options.get("--checkpoint")) {
        (true, Some(path)) => Some((args.key()?, read(path)?)),
        (false, None) => None,
        _ => return Err(Failure::Usage("--key and --checkpoint go together".into())),
    };
    let path = &args.files[0];
    // Every file is opened before anything is checked, so an unreadable one is always a usage error.
    let file = std::fs::File::open(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    let checkpoint = match checkpoint {
        Some((key, bytes)) => Some(checkpoint_bytes(&bytes, &key, "checkpoint")?),
        None => None,
    };
    let verified = export::verify(&mut std::io::BufReader::with_capacity(1 << 16, file), checkpoint.as_ref())?;
    let with = match &checkpoint {
        Some(c) => format!(", the first {} match the signed checkpoint of {}", c.tree_size, c.origin),
        None => String::new(),
    };
    if verified.events == 0 {
        return Ok(format!("0 events: an empty ledger{with}"));
    }
    Ok(format!(
        "{} events, every hash and link verified, head {}:{}{with}",
        verified.events,
        verified.events,
        hex::encode(verified.head)
    ))
}

fn verify_checkpoint(args: &[String]) -> Result<String, Failure> {
    let args = Args::parse(args, &["--key"], 1)?;
    let key = args.key()?;
    let checkpoint = checkpoint_bytes(&read(&args.files[0])?, &key, "checkpoint")?;
    Ok(format!("checkpoint of {} at tree size {} is signed by the given key", checkpoint.origin, checkpoint.tree_size))
}

fn verify_bundle(args: &[String]) -> Result<String, Failure> {
    let args = Args::parse(args, &["--key"], 1)?;
    let key = args.key()?;
    Ok(bundle::verify(&read(&args.files[0])?, &key)?)
}

fn verify_consistency(args: &[String]) -> Result<String, Failure> {
    let args = Args::parse(args, &["--key", "--old", "--new", "--proof"], 0)?;
    let key = args.key()?;
    let (old, new, proof) =
        (read(args.required("--old")?)?, read(args.required("--new")?)?, read(args.required("--proof")?)?);
    let old = checkpoint_bytes(&old, &key, "old checkpoint")?;
    let new = checkpoint_bytes(&new, &key, "new checkpoint")?;
    let proof = json::parse(&proof).map_err(|e| format!("proof file: {e}"))?;
    Ok(consistency::verify(&old, &new, &proof)?)
}
