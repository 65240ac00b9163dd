//! Bearer tokens. A token is shown once when issued; the ledger keeps only its blake3 hash, in an
//! `AccessGranted` event that binds it to an actor id, a role and a unit scope. Revocation is an event
//! too, so who could do what on any past day is part of the record.
//!
//! Invariant: the actor of every command comes from here, never from the request body.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::domain;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::service::tokens::token_hash;

/// The actor a valid, unrevoked token stands for.
pub struct Authenticated(pub domain::Actor);

/// The token of an `Authorization` value: the scheme `Bearer` is matched without regard to case
/// (RFC 9110 §11.1), and the token must not be empty.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whom the local read token stands for: an auditor, who reads everything and writes nothing.
fn local_reader() -> domain::Actor {
    domain::Actor {
        id: LOCAL_READER_ID.to_owned(),
        role: domain::Role::Auditor,
        unit: domain::UnitCode::new("LOCAL").expect("a valid code"),
    }
}

/// The actor id of the local read token.
pub const LOCAL_READER_ID: &str = "local-reader";

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
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
            return Ok(Authenticated(local_reader()));
        }
        let hash =
            domain::TokenHash::parse(&hashed).map_err(|_| Problem::unauthorized("authorization: unknown token"))?;
        // The read models' facts, not the decider's: an authenticated read never waits on a decision.
        let access = state.read_models.access(&hash).map_err(|error| Problem::internal(&error))?;
        let actor = access.filter(|access| !access.is_revoked()).map(|access| domain::Actor {
            id: access.actor_id,
            role: access.role,
            unit: access.unit,
        });
        actor.map(Authenticated).ok_or_else(|| Problem::unauthorized("authorization: unknown or revoked token"))
    }
}
