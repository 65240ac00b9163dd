//! One endpoint per domain command, resource-style. The table below is the single list of command
//! routes: the router, the OpenAPI document and the tests all read it, so they cannot drift apart.
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

use crate::domain::{check_unique_keys, Command, StrictJsonError};
use crate::http::auth::Authenticated;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::limits::COMMAND_ID_BYTES_MAX;
use crate::service::CommandOptions;

/// A command route: the path (axum syntax) and the path parameter copied into the payload, if any.
pub struct CommandRoute {
    pub command: &'static str,
    pub path: &'static str,
    pub path_field: Option<&'static str>,
}

const fn route(command: &'static str, path: &'static str, path_field: Option<&'static str>) -> CommandRoute {
    CommandRoute { command, path, path_field }
}

/// Every command's route. `POST` for all: each records a new fact.
pub const COMMAND_ROUTES: &[CommandRoute] = &[
    route("RegisterUnit", "/v1/units", None),
    route("RenameUnit", "/v1/units/{unit}/renaming", Some("unit")),
    route("RetireUnit", "/v1/units/{unit}/retirement", Some("unit")),
    route("RegisterPerson", "/v1/persons", None),
    route("MovePerson", "/v1/persons/{person}/move", Some("person")),
    route("RetirePerson", "/v1/persons/{person}/retirement", Some("person")),
    route("OpenScheme", "/v1/schemes", None),
    route("DefineIndicator", "/v1/indicators", None),
    route("ReviseIndicator", "/v1/indicator-revisions", None),
    route("RetireIndicator", "/v1/indicator-retirements", None),
    route("AssignIndicator", "/v1/assignments", None),
    route("MarkIndicatorNotApplicable", "/v1/not-applicable-marks", None),
    route("OpenPeriod", "/v1/periods", None),
    route("PublishResults", "/v1/period-publications", None),
    route("FinalisePeriod", "/v1/period-finalisations", None),
    route("ReopenPeriod", "/v1/period-reopenings", None),
    route("AwardTier", "/v1/tier-awards", None),
    route("RecordDeduction", "/v1/deductions", None),
    route("WithdrawDeduction", "/v1/deductions/{deduction_id}/withdrawal", Some("deduction_id")),
    route("AwardBonus", "/v1/bonuses", None),
    route("ApplyVeto", "/v1/vetoes", None),
    route("AttributeCause", "/v1/cause-attributions", None),
    route("RecordRectification", "/v1/rectifications", None),
    route("FileAppeal", "/v1/appeals", None),
    route("DecideAppeal", "/v1/appeals/{appeal_id}/decision", Some("appeal_id")),
    route("EscalateAppeal", "/v1/appeals/{appeal_id}/escalation", Some("appeal_id")),
    route("WithdrawAppeal", "/v1/appeals/{appeal_id}/withdrawal", Some("appeal_id")),
    route("GrantAccess", "/v1/access-grants", None),
    route("RevokeAccess", "/v1/access-revocations", None),
    route("SetTimeZone", "/v1/settings/time-zone", None),
];

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
    let pending = state.service.submit(actor.0, &command, options)?;
    let executed = pending.wait_async().await?;
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
