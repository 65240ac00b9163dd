//! History import: a bureau that adopts kpi-ledger brings its past years as a JSON Lines file of
//! commands, each with the instant it happened and the actor who did it. The file is carried out in
//! order on a simulated clock — every command decided and validated exactly as if it had been sent
//! then — and written all or nothing.
//!
//! One line: `{"recorded_at": RFC 3339, "actor": {"id", "role", "unit"}, "command": NAME, "payload": {…},
//! "new_id": UUID}` (schemas/history-line.json); `new_id`, optional, is the id of the fact the command
//! creates, so later lines can name it.
//!
//! Invariant: imported events keep their historical `recorded_at` (never before the head's, never
//! decreasing) and carry `imported: {by, at, file_blake3}` in their envelope; nothing is stamped
//! with the real time of the import, so later history can follow. Only an admin may import, and
//! every actor the file names acts inside that admin's scope: the admin vouches for them, and they
//! need no grants. Access grants are not history: they are refused in a file.

use serde::Deserialize;

use crate::chain::envelope::Imported;
use crate::domain::{self, Actor, Command, Facts, Rejection, RejectionCode, Role, Timestamp, UnitCode};
use crate::limits::HISTORY_FILE_BYTES_MAX;
use crate::service::{Service, ServiceError};

/// One line of a history file, parsed.
#[derive(Clone, Debug)]
pub struct HistoryLine {
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub command: Command,
    /// The id of the fact the command creates (a deduction, an appeal …), so that later lines can
    /// name it; made up by the ledger when left out.
    pub new_id: Option<uuid::Uuid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineText {
    recorded_at: String,
    actor: ActorText,
    command: String,
    payload: serde_json::Value,
    #[serde(default)]
    new_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorText {
    id: String,
    role: Role,
    unit: String,
}

/// Why a history file was refused: the line (from 1; 0 for the file as a whole) and what was wrong,
/// naming the field. Nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", if *line == 0 { String::new() } else { format!("line {line}: ") })]
pub struct HistoryError {
    pub line: u64,
    pub field: String,
    pub message: String,
    /// The service's own failure (storage), as opposed to a refusal of the file.
    pub failure: Option<ServiceError>,
}

impl HistoryError {
    fn refused(line: u64, field: impl Into<String>, message: impl Into<String>) -> HistoryError {
        HistoryError { line, field: field.into(), message: message.into(), failure: None }
    }
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryImported {
    pub lines: u64,
    pub events: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub from: Timestamp,
    pub to: Timestamp,
    pub file_blake3: String,
}

/// Parses a history file; the first malformed line refuses it all.
pub fn parse(file: &[u8]) -> Result<Vec<HistoryLine>, HistoryError> {
    if file.len() > HISTORY_FILE_BYTES_MAX {
        return Err(HistoryError::refused(
            0,
            "file",
            format!("file: {} bytes exceed the limit of {HISTORY_FILE_BYTES_MAX}", file.len()),
        ));
    }
    let text =
        std::str::from_utf8(file).map_err(|e| HistoryError::refused(0, "file", format!("file: not UTF-8: {e}")))?;
    let mut lines = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        lines.push(parse_line(number, raw)?);
    }
    if lines.is_empty() {
        return Err(HistoryError::refused(0, "file", "file: no commands in it"));
    }
    Ok(lines)
}

fn parse_line(number: u64, raw: &str) -> Result<HistoryLine, HistoryError> {
    let refused = |field: &str, message: String| HistoryError::refused(number, field, format!("{field}: {message}"));
    domain::check_unique_keys(raw.as_bytes()).map_err(|e| HistoryError::refused(number, "line", e.to_string()))?;
    let text: LineText = serde_json::from_str(raw).map_err(|e| refused("line", e.to_string()))?;
    let recorded_at = Timestamp::parse_rfc3339(&text.recorded_at).map_err(|e| refused("recorded_at", e.to_string()))?;
    let unit = UnitCode::new(&text.actor.unit).map_err(|e| refused("actor.unit", e.to_string()))?;
    if text.actor.id.trim().is_empty() {
        return Err(refused("actor.id", "must not be blank".into()));
    }
    let command = Command::from_payload(&text.command, &text.payload).map_err(|rejection| {
        HistoryError::refused(number, format!("payload.{}", rejection.field), rejection.message.clone())
    })?;
    if matches!(command, Command::GrantAccess(_) | Command::RevokeAccess(_)) {
        return Err(refused(
            "command",
            format!("{} is not history: access is granted now, with a token", text.command),
        ));
    }
    let new_id = text
        .new_id
        .map(|id| uuid::Uuid::parse_str(&id).map_err(|_| refused("new_id", format!("{id:?} is not a UUID"))))
        .transpose()?;
    Ok(HistoryLine { recorded_at, actor: Actor { id: text.actor.id, role: text.actor.role, unit }, command, new_id })
}

impl Service {
    /// Imports the history file `file` as `by`, an admin: every line decided in order at its own
    /// time, all written in one atomic batch, or nothing.
    pub fn import_history(&self, by: &Actor, file: &[u8]) -> Result<HistoryImported, HistoryError> {
        if by.role != Role::Admin {
            let message = format!("authorization: only an admin imports history; {} is {}", by.id, by.role.as_str());
            return Err(HistoryError::refused(0, "authorization", message));
        }
        let lines = parse(file)?;
        let file_blake3 = blake3::hash(file).to_hex().to_string();
        let imported = Imported { by: by.id.clone(), at: self.clock.now(), file_blake3: file_blake3.clone() };
        let admit = |facts: &Facts, actor: &Actor| -> Result<(), ServiceError> {
            if actor.unit == by.unit || facts.in_scope(&by.unit, &actor.unit) {
                return Ok(());
            }
            Err(ServiceError::Rejected(Rejection::new(
                RejectionCode::OutOfScope,
                "actor.unit",
                format!("actor.unit: {} is outside the scope of {} (an admin of {})", actor.unit, by.id, by.unit),
            )))
        };
        let commands = lines.iter().map(|line| super::BatchItem {
            actor: line.actor.clone(),
            command: &line.command,
            at: Some(line.recorded_at),
            new_id: line.new_id,
        });
        let executed = self.execute_batch(commands, Some(imported), &admit).map_err(|error| {
            let line = error.index as u64 + 1;
            let field = match &error.error {
                ServiceError::Rejected(rejection) => rejection.field.to_string(),
                ServiceError::TimeGoesBack { .. } => "recorded_at".into(),
                ServiceError::TooLarge { field, .. } => field.to_string(),
                _ => String::new(),
            };
            match error.error {
                ServiceError::Unavailable | ServiceError::Failure(_) => {
                    HistoryError { line: 0, field, message: error.error.to_string(), failure: Some(error.error) }
                }
                other => HistoryError::refused(line, field, other.to_string()),
            }
        })?;
        let events: u64 = executed.iter().map(|one| one.last_seq + 1 - one.first_seq).sum();
        Ok(HistoryImported {
            lines: lines.len() as u64,
            events,
            first_seq: executed.first().map_or(0, |one| one.first_seq),
            last_seq: executed.last().map_or(0, |one| one.last_seq),
            from: lines.first().map(|line| line.recorded_at).expect("a file has lines"),
            to: lines.last().map(|line| line.recorded_at).expect("a file has lines"),
            file_blake3,
        })
    }
}
