//! Reads of the ledger itself: events by sequence range, by stream, by id; the chain head; a full
//! verification; signed checkpoints and Merkle proofs; and the live event stream (Server-Sent Events).

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::auth::Authenticated;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::limits::READ_PAGE_EVENTS_MAX;
use crate::store::{ProofError, RecordedEvent};

type Reply = Result<Json<Value>, Problem>;

fn query_problem(rejection: axum::extract::rejection::QueryRejection) -> Problem {
    Problem::bad_request("invalid_query", "query", format!("query: {}", rejection.body_text()))
}

fn proof_problem(error: ProofError, field: &str) -> Problem {
    match error {
        ProofError::Refused(refused) => {
            Problem::bad_request("invalid_proof_request", field, format!("{field}: {refused}"))
        }
        ProofError::Failure(failure) => Problem::internal(&failure),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

/// `GET /v1/events?from=&limit=`: a page of events and where the next page starts.
pub async fn events(
    State(state): State<AppState>,
    _: Authenticated,
    query: Result<Query<RangeQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(query_problem)?;
    let from = query.from.unwrap_or(1).max(1);
    let limit = query.limit.unwrap_or(100).clamp(1, READ_PAGE_EVENTS_MAX);
    let page = state.service.ledger().read_range(from, limit).map_err(|e| Problem::internal(&e))?;
    let next_from = page.last().map_or(from, |event| event.seq + 1);
    Ok(Json(json!({"events": page, "next_from": next_from, "head": state.service.ledger().head()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    from_version: Option<u64>,
    limit: Option<usize>,
}

/// `GET /v1/streams/{stream}/events`.
pub async fn stream_events(
    State(state): State<AppState>,
    _: Authenticated,
    Path(stream): Path<String>,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(query_problem)?;
    crate::store::validate_stream_id(&stream)
        .map_err(|e| Problem::bad_request("invalid_stream", "stream", e.to_string()))?;
    let limit = query.limit.unwrap_or(100).clamp(1, READ_PAGE_EVENTS_MAX);
    let events = state
        .service
        .ledger()
        .read_stream(&stream, query.from_version.unwrap_or(1), limit)
        .map_err(|e| Problem::internal(&e))?;
    Ok(Json(json!({"stream": stream, "events": events})))
}

/// `GET /v1/events/{event_id}`.
pub async fn event_by_id(State(state): State<AppState>, _: Authenticated, Path(event_id): Path<String>) -> Reply {
    let id = uuid::Uuid::parse_str(&event_id)
        .map_err(|_| Problem::bad_request("invalid_event_id", "event_id", "event_id: expected a UUID"))?;
    match state.service.ledger().event_by_id(&id).map_err(|e| Problem::internal(&e))? {
        Some(event) => Ok(Json(serde_json::to_value(event).expect("events serialise"))),
        None => Err(Problem::not_found("unknown_event", "event_id", format!("event_id: no event {id}"))),
    }
}

/// `GET /v1/head`.
pub async fn head(State(state): State<AppState>, _: Authenticated) -> Reply {
    Ok(Json(serde_json::to_value(state.service.ledger().head()).expect("head serialises")))
}

/// `GET /v1/verification`: walks the whole chain now and reports the first fault, if any.
pub async fn verification(State(state): State<AppState>, _: Authenticated) -> Reply {
    let ledger = state.service.ledger().clone();
    let outcome =
        tokio::task::spawn_blocking(move || ledger.verify(&|_| {})).await.map_err(|e| Problem::internal(&e))?;
    Ok(Json(match outcome {
        Ok(verified) => json!({"intact": true, "events_checked": verified.events_checked, "head": verified.head}),
        Err(failure) => json!({"intact": false, "failure": failure}),
    }))
}

/// `GET /v1/checkpoint`: a checkpoint of the current head, signed (a new one only when the head moved).
pub async fn checkpoint(State(state): State<AppState>, _: Authenticated) -> Reply {
    let head = state.service.ledger().head();
    if let Some(cached) = state.checkpoint_cache.lock().expect("checkpoint cache").as_ref() {
        if cached.checkpoint.tree_size == head.seq {
            return Ok(Json(serde_json::to_value(cached).expect("checkpoint serialises")));
        }
    }
    let (ledger, now) = (state.service.ledger().clone(), state.service.clock().now());
    let signed = tokio::task::spawn_blocking(move || ledger.checkpoint(now))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| proof_problem(e, "checkpoint"))?;
    *state.checkpoint_cache.lock().expect("checkpoint cache") = Some(signed.clone());
    Ok(Json(serde_json::to_value(signed).expect("checkpoint serialises")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    seq: u64,
    size: Option<u64>,
}

/// `GET /v1/proofs/inclusion?seq=&size=`.
pub async fn inclusion_proof(
    State(state): State<AppState>,
    _: Authenticated,
    query: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(query_problem)?;
    let ledger = state.service.ledger();
    let size = query.size.unwrap_or(ledger.head().seq);
    let path = ledger.inclusion_proof(query.seq, size).map_err(|e| proof_problem(e, "seq"))?;
    let root = ledger.merkle_root(size).map_err(|e| proof_problem(e, "size"))?;
    Ok(Json(json!({"seq": query.seq, "tree_size": size, "root": root, "inclusion_proof": path})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// `GET /v1/proofs/consistency?from=&to=`.
pub async fn consistency_proof(
    State(state): State<AppState>,
    _: Authenticated,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(query_problem)?;
    let ledger = state.service.ledger();
    let to = query.to.unwrap_or(ledger.head().seq);
    let path = ledger.consistency_proof(query.from, to).map_err(|e| proof_problem(e, "from"))?;
    let old_root = ledger.merkle_root(query.from).map_err(|e| proof_problem(e, "from"))?;
    let new_root = ledger.merkle_root(to).map_err(|e| proof_problem(e, "to"))?;
    Ok(Json(json!({
        "old_size": query.from, "new_size": to, "old_root": old_root, "new_root": new_root, "consistency_proof": path
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeQuery {
    from: Option<u64>,
}

/// How many events one catch-up read takes before yielding them.
const SUBSCRIBE_PAGE_EVENTS: usize = 500;

/// `GET /v1/events/subscribe?from=`: every event from `from` on (or after `Last-Event-ID`), first
/// catching up from the ledger, then following new durable heads. Both phases read by sequence
/// number from the ledger, so the switch between them can neither skip nor repeat an event.
pub async fn subscribe(
    State(state): State<AppState>,
    _: Authenticated,
    headers: HeaderMap,
    query: Result<Query<SubscribeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Problem> {
    let Query(query) = query.map_err(query_problem)?;
    let resume_after = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let next_seq = resume_after.map_or(query.from.unwrap_or(1), |last| last + 1).max(1);
    let ledger = state.service.ledger().clone();
    let heads = ledger.watch_head();
    let stream = futures_util::stream::unfold(
        (ledger, heads, next_seq, std::collections::VecDeque::<RecordedEvent>::new()),
        |(ledger, mut heads, mut next_seq, mut buffered)| async move {
            loop {
                if let Some(event) = buffered.pop_front() {
                    let sse = SseEvent::default()
                        .id(event.seq.to_string())
                        .event(event.body.event_type.clone())
                        .data(serde_json::to_string(&event).expect("events serialise"));
                    return Some((Ok(sse), (ledger, heads, next_seq, buffered)));
                }
                if ledger.head().seq >= next_seq {
                    let page = ledger.read_range(next_seq, SUBSCRIBE_PAGE_EVENTS).ok()?;
                    next_seq = page.last().map_or(next_seq, |event| event.seq + 1);
                    buffered.extend(page);
                    continue;
                }
                heads.changed().await.ok()?;
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    at: Option<String>,
    role: Option<String>,
}

/// `GET /v1/access?at=RFC3339&role=assessor`: who held which role, for which unit, at that instant
/// ("who could deduct on 2017-07-11"), from the grant and revocation events. Token hashes only.
pub async fn access(
    State(state): State<AppState>,
    _: Authenticated,
    query: Result<Query<AccessQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(query_problem)?;
    let at = match query.at.as_deref() {
        Some(text) => crate::domain::Timestamp::parse_rfc3339(text)
            .map_err(|_| Problem::bad_request("invalid_query", "at", "at: expected an RFC 3339 instant"))?,
        None => state.service.clock().now(),
    };
    let role = query
        .role
        .as_deref()
        .map(|text| serde_json::from_value::<crate::domain::Role>(Value::String(text.to_owned())))
        .transpose()
        .map_err(|_| {
            Problem::bad_request(
                "invalid_query",
                "role",
                "role: expected admin, assessor, office, appellant, reviewer, committee or auditor",
            )
        })?;
    let grants: Vec<Value> = state.service.with_state(|ledger_state| {
        ledger_state
            .grants_active_at(at)
            .filter(|grant| role.is_none_or(|role| grant.role == role))
            .map(|grant| {
                json!({
                    "actor_id": grant.actor_id, "role": grant.role, "unit": grant.unit, "token_hash": grant.token_hash,
                    "granted_at": grant.granted_at, "granted_seq": grant.granted_seq,
                    "revoked_at": grant.revoked_at, "revoked_seq": grant.revoked_seq,
                })
            })
            .collect()
    });
    Ok(Json(json!({"at": at, "grants": grants})))
}
