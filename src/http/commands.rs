//! One endpoint per domain command, resource-style. The commands are the domain's (`CommandKind::ALL`);
//! this file adds only each one's path, by an exhaustive `match`, so a command without a route does
//! not compile. `COMMAND_ROUTES`, derived from both, is what the router, the OpenAPI document and the
//! tests read, so they cannot drift apart.
//!
//! Invariant: the actor comes from the bearer token, never from the body; `Idempotency-Key` becomes
//! the command id and `If-Match` the expected version of the command's stream.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::domain::{check_unique_keys, Command, CommandKind, StrictJsonError};
use crate::http::auth::Authenticated;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::limits::COMMAND_ID_BYTES_MAX;
use crate::service::CommandOptions;

/// A command route: the path (axum syntax) and the path parameter copied into the payload, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandRoute {
    pub kind: CommandKind,
    /// The command's name (`kind.name()`).
    pub command: &'static str,
    pub path: &'static str,
    pub path_field: Option<&'static str>,
}

/// The route of a command. `POST` for all: each records a new fact. The paths are resource-style,
/// not derivable from the name, so they are listed here; the match is exhaustive over the domain's
/// commands. A path parameter (`{unit}`) is `path_field`, a field of the payload of the same name.
pub const fn route(kind: CommandKind) -> CommandRoute {
    use CommandKind as K;
    let (path, path_field) = match kind {
        K::RegisterUnit => ("/v1/units", None),
        K::RenameUnit => ("/v1/units/{unit}/renaming", Some("unit")),
        K::RetireUnit => ("/v1/units/{unit}/retirement", Some("unit")),
        K::RegisterPerson => ("/v1/persons", None),
        K::MovePerson => ("/v1/persons/{person}/move", Some("person")),
        K::RetirePerson => ("/v1/persons/{person}/retirement", Some("person")),
        K::ErasePerson => ("/v1/persons/{person}/erasure", Some("person")),
        K::OpenScheme => ("/v1/schemes", None),
        K::DefineIndicator => ("/v1/indicators", None),
        K::ReviseIndicator => ("/v1/indicator-revisions", None),
        K::RetireIndicator => ("/v1/indicator-retirements", None),
        K::AssignIndicator => ("/v1/assignments", None),
        K::MarkIndicatorNotApplicable => ("/v1/not-applicable-marks", None),
        K::TakeOverIndicator => ("/v1/indicator-take-overs", None),
        K::OpenPeriod => ("/v1/periods", None),
        K::PublishResults => ("/v1/period-publications", None),
        K::FinalisePeriod => ("/v1/period-finalisations", None),
        K::ReopenPeriod => ("/v1/period-reopenings", None),
        K::AwardTier => ("/v1/tier-awards", None),
        K::RecordDeduction => ("/v1/deductions", None),
        K::WithdrawDeduction => ("/v1/deductions/{deduction_id}/withdrawal", Some("deduction_id")),
        K::AwardBonus => ("/v1/bonuses", None),
        K::ApplyVeto => ("/v1/vetoes", None),
        K::AttributeCause => ("/v1/cause-attributions", None),
        K::RecordRectification => ("/v1/rectifications", None),
        K::FileAppeal => ("/v1/appeals", None),
        K::DecideAppeal => ("/v1/appeals/{appeal_id}/decision", Some("appeal_id")),
        K::EscalateAppeal => ("/v1/appeals/{appeal_id}/escalation", Some("appeal_id")),
        K::WithdrawAppeal => ("/v1/appeals/{appeal_id}/withdrawal", Some("appeal_id")),
        K::GrantAccess => ("/v1/access-grants", None),
        K::RevokeAccess => ("/v1/access-revocations", None),
        K::SetTimeZone => ("/v1/settings/time-zone", None),
        // Refused by the service (the key is made on the server's machine: `kpi-ledger key rotate`).
        K::RotateSigningKey => ("/v1/settings/signing-key-rotations", None),
        K::DefinePersonalIndicator => ("/v1/personal-indicators", None),
        K::AssessPersonalIndicator => ("/v1/personal-assessments", None),
        K::FileWeeklyRecord => ("/v1/weekly-records", None),
        K::CommentWeeklyRecord => ("/v1/weekly-record-comments", None),
        K::ReviewPerson => ("/v1/leader-reviews", None),
        K::SetPersonalRules => ("/v1/personal-rules", None),
        K::RecordGrade => ("/v1/annual-grades", None),
        K::RecordResultUse => ("/v1/result-uses", None),
    };
    CommandRoute { kind, command: kind.name(), path, path_field }
}

/// Every command's route, in the domain's order: `route` of each of `CommandKind::ALL`.
pub const COMMAND_ROUTES: &[CommandRoute] = &{
    let mut routes = [route(CommandKind::ALL[0]); CommandKind::ALL.len()];
    let mut index = 1;
    while index < routes.len() {
        routes[index] = route(CommandKind::ALL[index]);
        index += 1;
    }
    routes
};

pub fn route_of(command: &str) -> Option<&'static CommandRoute> {
    COMMAND_ROUTES.iter().find(|route| route.command == command)
}

/// Builds the command from the body and the path, decides it as the token's actor, waits until durable.
pub async fn execute(
    State(state): State<AppState>,
    command_route: &'static CommandRoute,
    path: Option<Path<String>>,
    actor: Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let mut payload = json_body(&headers, body)?;
    if !payload.is_object() {
        return Err(Problem::bad_request("invalid_command", "payload", "payload: expected a JSON object"));
    }
    if let (Some(field), Some(Path(value))) = (command_route.path_field, path) {
        merge_path_field(&mut payload, field, value)?;
    }
    let command = Command::from_payload(command_route.command, &payload)?;
    let options = CommandOptions {
        command_id: idempotency_key(&headers)?,
        expected_version: if_match(&headers)?,
        ..CommandOptions::default()
    };
    // Deciding takes the decider's lock, which the commands in flight take in turn: that wait is off
    // the async threads, so that reads and every other request are never queued behind commands
    // waiting for the decider (with two async threads, a burst of commands would hold both). Only a
    // few commands wait on blocking threads; the others wait for a place holding no thread.
    let deciding = state.deciding.clone().acquire_owned().await.map_err(|e| Problem::internal(&e))?;
    let service = state.service.clone();
    let pending = tokio::task::spawn_blocking(move || service.submit(actor.0, &command, options))
        .await
        .map_err(|e| Problem::internal(&e))??;
    drop(deciding);
    let executed = pending.wait_async().await?;
    // A client reads what it wrote: the answer waits until the read models have folded the events.
    state.read_models.folded(executed.last_seq).await;
    let status = if executed.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(executed)).into_response())
}

/// A path parameter must agree with the same field in the body, or fill it in when absent.
fn merge_path_field(payload: &mut Value, field: &str, value: String) -> Result<(), Problem> {
    let object = payload
        .as_object_mut()
        .ok_or_else(|| Problem::bad_request("invalid_command", "payload", "payload: expected a JSON object"))?;
    match object.get(field) {
        Some(existing) if existing.as_str() != Some(value.as_str()) => Err(Problem::bad_request(
            "invalid_command",
            field,
            format!("{field}: the body says {existing}, the path says {value:?}"),
        )),
        _ => {
            object.insert(field.to_owned(), Value::String(value));
            Ok(())
        }
    }
}

/// The body as JSON: `application/json`, within the size limit, one value, no key named twice in
/// any object (a parser differential: serde_json would keep the last, other readers the first).
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Value, Problem> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media_type != "application/json" && !media_type.ends_with("+json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_content_type",
            Some("content-type"),
            "content-type: expected application/json",
        ));
    }
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                Some("body"),
                format!("body: {}", rejection.body_text()),
            )
        } else {
            Problem::bad_request("invalid_json", "body", format!("body: {}", rejection.body_text()))
        }
    })?;
    match check_unique_keys(&bytes) {
        Ok(()) => {}
        Err(StrictJsonError::Duplicate(duplicate)) => {
            return Err(Problem::bad_request("invalid_json", &duplicate.path, format!("body: {duplicate}")))
        }
        Err(StrictJsonError::Syntax(message)) => {
            return Err(Problem::bad_request("invalid_json", "body", format!("body: {message}")))
        }
    }
    serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request("invalid_json", "body", format!("body: {e}")))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|key| !key.is_empty() && key.len() <= COMMAND_ID_BYTES_MAX);
    key.map(|key| Some(key.to_owned())).ok_or_else(|| {
        Problem::bad_request(
            "invalid_idempotency_key",
            "idempotency-key",
            format!("idempotency-key: expected 1 to {COMMAND_ID_BYTES_MAX} visible ASCII characters"),
        )
    })
}

/// `If-Match: 3` or `If-Match: "3"`: the version the command's stream must be at.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(value) = headers.get("if-match") else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim().trim_matches('"');
    text.parse().map(Some).map_err(|_| {
        Problem::bad_request("invalid_if_match", "if-match", "if-match: expected a stream version such as \"3\"")
    })
}
