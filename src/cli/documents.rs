//! `kpi-ledger document put|get|verify`: evidence documents beside the chain, on the data directory
//! directly (they live outside sled, so this works while a server holds the ledger). The command line
//! is the local operator: it stores as a named unit and role, and reads everything; every read is
//! checked against its digest, and a damaged copy is reported, never written out.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::domain::Role;
use crate::service::documents::{parse_digest, DocumentError, Documents};
use crate::service::{Clock, SystemClock};

use super::output::emit;
use super::{parse_role, serve, LedgerArgs};

#[derive(Subcommand)]
pub(super) enum DocumentAction {
    /// Store FILE beside the chain and print its blake3 digest, which facts then cite in
    /// `evidence_digests` (the same bytes are stored once).
    Put {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The document: PDF, PNG, JPEG, UTF-8 text, an Office document or OFD, at most 20 MiB.
        file: PathBuf,
        /// Its media type; by default from the file's extension.
        #[arg(long)]
        content_type: Option<String>,
        /// The unit the operator uploads for (a document no fact cites yet is read within its scope).
        #[arg(long)]
        unit: String,
        /// The role the operator acts in (an auditor uploads nothing).
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: Role,
    },
    /// Write the document DIGEST to stdout (or --out), after checking its bytes against the digest.
    Get {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The document's blake3 digest, 64 lower-case hex digits.
        digest: String,
        /// Write it to this file instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check every stored document against its digest and name the damaged ones (exit 1 if any).
    Verify {
        #[command(flatten)]
        ledger: LedgerArgs,
    },
}

pub(super) fn run(action: DocumentAction) -> Result<(), String> {
    match action {
        DocumentAction::Put { ledger, file, content_type, unit, role } => {
            put(&ledger.data, &file, content_type.as_deref(), &unit, role)
        }
        DocumentAction::Get { ledger, digest, out } => get(&ledger.data, &digest, out.as_deref()),
        DocumentAction::Verify { ledger } => verify(&ledger.data),
    }
}

/// The media type of a file name's extension, when it names an accepted one.
fn type_of(file: &Path) -> Option<&'static str> {
    let extension = file.extension()?.to_string_lossy().to_ascii_lowercase();
    Some(match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "ppt" => "application/vnd.ms-powerpoint",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ofd" => "application/ofd",
        _ => return None,
    })
}

/// A refusal as one line: the `--flag` or argument at fault first.
fn line(error: DocumentError) -> String {
    let text = error.to_string();
    for (part, flag) in [("content-type: ", "--content-type "), ("body: ", "FILE: "), ("digest: ", "DIGEST: ")] {
        if let Some(rest) = text.strip_prefix(part) {
            return format!("{flag}{rest}");
        }
    }
    text
}

fn put(data: &Path, file: &Path, content_type: Option<&str>, unit: &str, role: Role) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("FILE {}: {e}", file.display()))?;
    let content_type = content_type
        .or_else(|| type_of(file))
        .ok_or_else(|| format!("--content-type: {} has no known extension; name its media type", file.display()))?;
    let actor = serve::operator_with_role(unit, role)?;
    let now = SystemClock.now();
    let uploaded = Documents::at(data).upload(&actor, None, Some(content_type), &bytes, now).map_err(line)?;
    let how =
        serde_json::to_value(uploaded.stored).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    emit(&format!("{} {} {} bytes ({how})\n", uploaded.digest.as_str(), uploaded.content_type, uploaded.size))
}

fn get(data: &Path, digest: &str, out: Option<&Path>) -> Result<(), String> {
    let digest = parse_digest("digest", digest).map_err(line)?;
    let document = Documents::at(data).read_as_operator(&digest).map_err(line)?;
    match out {
        Some(path) => std::fs::write(path, &document.bytes).map_err(|e| format!("--out {}: {e}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            // A reader that stops early (`| head`) ends the program quietly.
            let _ = stdout.write_all(&document.bytes).and_then(|()| stdout.flush());
            Ok(())
        }
    }
}

fn verify(data: &Path) -> Result<(), String> {
    let documents = Documents::at(data);
    let damaged = documents.damaged().map_err(line)?;
    let stored = documents.stored().map_err(line)?;
    if damaged.is_empty() {
        return emit(&format!("{stored} documents, every one matches its digest\n"));
    }
    let names: Vec<&str> = damaged.iter().map(|digest| digest.as_str()).collect();
    Err(format!(
        "{} of {stored} documents no longer match their digest (upload the originals again): {}",
        damaged.len(),
        names.join(", ")
    ))
}
