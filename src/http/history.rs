//! `POST /v1/history`: a history file (JSON Lines of commands with their own times and actors, see
//! `service::history`) carried out all or nothing by an admin.
//!
//! Invariant: a refused file writes nothing; the answer names the line and the field.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::auth::Authenticated;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::service::history::HistoryError;

pub async fn import(State(state): State<AppState>, actor: Authenticated, body: Bytes) -> Result<Response, Problem> {
    let service = state.service.clone();
    let imported = tokio::task::spawn_blocking(move || service.import_history(&actor.0, &body))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(history_problem)?;
    Ok((StatusCode::CREATED, Json(imported)).into_response())
}

fn history_problem(error: HistoryError) -> Problem {
    if let Some(failure) = error.failure {
        return failure.into();
    }
    let status = if error.field == "authorization" { StatusCode::FORBIDDEN } else { StatusCode::UNPROCESSABLE_ENTITY };
    let code = if status == StatusCode::FORBIDDEN { "role_not_allowed" } else { "history_refused" };
    let field = if error.field.is_empty() { None } else { Some(error.field.as_str()) };
    Problem::new(status, code, field, error.to_string())
}

/// The OpenAPI path item of `POST /v1/history`.
pub fn openapi_paths() -> Vec<(&'static str, serde_json::Value)> {
    let line = serde_json::from_str::<serde_json::Value>(include_str!("../../schemas/history-line.json"))
        .expect("the history line schema is JSON");
    let problem = serde_json::json!({"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let item = serde_json::json!({"post": {
        "operationId": "ImportHistory",
        "summary": "import a bureau's past: JSON Lines of commands with their own times and actors, all or nothing",
        "description": "Who may: an admin; every actor the file names must act inside the admin's scope. Each line is \
            carried out at its recorded_at as that actor; a refusal names the line (`line N: field: …`) and nothing is written.",
        "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"},
            "x-line-schema": line}}},
        "responses": {
            "201": {"description": "imported: lines, events, first and last seq, time range, the file's blake3",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": problem, "403": problem, "413": problem, "422": problem, "503": problem
        }
    }});
    vec![("/v1/history", item)]
}
