//! Bearer tokens. A token is shown once when issued; the ledger keeps only its blake3 hash, in an
//! `AccessGranted` event that binds it to an actor id, a role and a unit scope for a number of days.
//! Revocation is an event too, so who could do what on any past day is part of the record.
//!
//! `Authenticated` is the actor behind a token (commands, metrics); `Reading` is the reader behind a
//! token (read routes: a token's actor, or the server's local read token) with the token's hash, so
//! that an open event stream can be closed when the token stops acting.
//!
//! Invariant: the actor of every command comes from here, never from the request body; a token that is
//! unknown, revoked or expired (by the service's clock) is refused with 401 before any handler runs.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

use crate::domain;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::service::queries::Reader;
use crate::service::read_models::TokenRefusal;
use crate::service::tokens::token_hash;

/// The actor a valid token stands for.
pub struct Authenticated(pub domain::Actor);

/// Who reads: the actor of a valid token, or the local read token; and the token's hash (`None` for
/// the local read token, which is never recorded and cannot be revoked).
pub struct Reading {
    pub reader: Reader,
    pub token_hash: Option<domain::TokenHash>,
}

/// The token of an `Authorization` value: the scheme `Bearer` is matched without regard to case
/// (RFC 9110 §11.1), and the token must not be empty.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whom the local read token stands for when it must be an actor: an auditor, who writes nothing.
pub fn local_reader() -> domain::Actor {
    domain::Actor {
        id: LOCAL_READER_ID.to_owned(),
        role: domain::Role::Auditor,
        unit: domain::UnitCode::new("LOCAL").expect("a valid code"),
    }
}

/// The actor id of the local read token.
pub const LOCAL_READER_ID: &str = "local-reader";

/// The 401 answer to a token that does not act.
pub fn token_problem(refusal: TokenRefusal) -> Problem {
    match refusal {
        TokenRefusal::Unknown => Problem::unauthorized("authorization: unknown token"),
        TokenRefusal::Revoked { revoked_at } => {
            Problem::unauthorized(format!("authorization: token revoked at {revoked_at}"))
        }
        TokenRefusal::Expired { expires_at } => Problem::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            Some("authorization"),
            format!("authorization: token expired at {expires_at}; ask an admin for a new one"),
        ),
        TokenRefusal::Failure(error) => Problem::internal(&error),
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Reading, Problem> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("authorization: a bearer token is required"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or_else(|| Problem::unauthorized("authorization: expected \"Bearer <token>\""))?;
    let hashed = token_hash(token);
    if state.local_read_token_hash.as_deref() == Some(hashed.as_str()) {
        return Ok(Reading { reader: Reader::Local, token_hash: None });
    }
    let hash = domain::TokenHash::parse(&hashed).map_err(|_| Problem::unauthorized("authorization: unknown token"))?;
    // The read models' facts, not the decider's: an authenticated read never waits on a decision.
    let actor = state.read_models.token_actor(&hash, state.service.clock().now()).map_err(token_problem)?;
    Ok(Reading { reader: Reader::Token(actor), token_hash: Some(hash) })
}

impl FromRequestParts<AppState> for Reading {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Authenticated(match authenticate(parts, state).await?.reader {
            Reader::Token(actor) => actor,
            Reader::Local => local_reader(),
        }))
    }
}
