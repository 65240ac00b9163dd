//! RFC 9457 problem details: every error leaves the API as `application/problem+json` with a stable
//! machine `code` and, for the caller's mistakes, the offending `field`.
//!
//! Invariant: a failure of ours (I/O, corruption) is logged in full here and leaves as an opaque 500;
//! its text never reaches the client.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::{Rejection, RejectionCode};
use crate::service::ServiceError;

/// Where problem `type` URIs point; each code has its own.
const PROBLEM_TYPE_BASE: &str = "https://kpi-ledger.example/problems/";

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, field: Option<&str>, detail: impl Into<String>) -> Problem {
        Problem {
            problem_type: format!("{PROBLEM_TYPE_BASE}{code}"),
            title: status.canonical_reason().unwrap_or("error").to_lowercase(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            field: field.map(str::to_owned),
            current_version: None,
        }
    }

    pub fn bad_request(code: &str, field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code, Some(field), detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", Some("authorization"), detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", Some("authorization"), detail)
    }

    pub fn not_found(code: &str, field: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, code, Some(field), detail)
    }

    /// Logs the failure in full and returns an opaque 500.
    pub fn internal(failure: &dyn std::fmt::Display) -> Problem {
        tracing::error!(%failure, "internal failure");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", None, "internal failure; see the server log")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("problem serialises");
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

/// The HTTP status of a domain rejection.
pub fn rejection_status(code: RejectionCode) -> StatusCode {
    use RejectionCode::*;
    match code {
        RoleNotAllowed | OutOfScope | ReviewerRecordedDeduction => StatusCode::FORBIDDEN,
        InvalidCommand | InvalidText | InvalidValue => StatusCode::BAD_REQUEST,
        _ if code.as_str().ends_with("_exists") || code.as_str().ends_with("_already_used") => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<Rejection> for Problem {
    fn from(rejection: Rejection) -> Problem {
        Problem::new(
            rejection_status(rejection.code),
            rejection.code.as_str(),
            Some(&rejection.field),
            rejection.message,
        )
    }
}

impl From<ServiceError> for Problem {
    fn from(error: ServiceError) -> Problem {
        match error {
            ServiceError::Rejected(rejection) => rejection.into(),
            ServiceError::WrongExpectedVersion { current, .. } => {
                let mut problem =
                    Problem::new(StatusCode::CONFLICT, "wrong_expected_version", Some("if-match"), error.to_string());
                problem.current_version = Some(current);
                problem
            }
            ServiceError::CommandIdReused { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                Some("idempotency-key"),
                format!("idempotency-key: {error}"),
            ),
            ServiceError::TimeGoesBack { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "time_goes_back", Some("recorded_at"), error.to_string())
            }
            ServiceError::AsOfBeyondHead { .. } | ServiceError::AsOfNoSuchDay => {
                Problem::bad_request("invalid_query", "as_of", error.to_string())
            }
            ServiceError::TooLarge { field, .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", Some(field), error.to_string())
            }
            ServiceError::Unavailable => {
                tracing::error!("command refused: the service stopped after a storage failure");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    None,
                    "the ledger stopped accepting commands after a storage failure (a full disk, an I/O error; the \
                     server's log names it): this command was not recorded and reads go on. Free space or fix the \
                     disk, then restart the server: every acknowledged event is kept",
                )
            }
            ServiceError::Failure(_) => Problem::internal(&error),
        }
    }
}
