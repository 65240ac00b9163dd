//! Reads of the ledger itself: events by sequence range, by stream, by id; the chain head; a full
//! verification; the export; the signing key, signed checkpoints and Merkle proofs; the live event
//! stream (Server-Sent Events); units and access grants. `LEDGER_ROUTES` declares each one's query
//! parameters and what it reveals (`ReadTarget`), for the OpenAPI document, for parsing and for the
//! service's `may_read`, which every handler asks through `admit` before reading anything.
//!
//! An open event stream re-checks its token on every new head and at least every
//! `limits::SUBSCRIBE_RECHECK`: once the token is revoked or expired, the stream ends.
//!
//! Invariant: every event leaves with `body_text`, the exact bytes that were hashed, as a JSON string:
//! what a verifier checks survives any JSON tool on the way (docs/FORMAT.md §7).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::Stream;
use serde_json::Value;

use crate::http::auth::Reading;
use crate::http::params::{param, required, ParamKind, Params, PathParam, QueryParam, AS_OF};
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::limits::{self, PROOF_BUNDLE_EVENTS_MAX, READ_PAGE_EVENTS_MAX};
use crate::service::queries::{AccessFilter, ReadKind, ReadTarget};
use crate::service::records::SignedCheckpoint;
use crate::service::records::{parse_saved_head, ProofError, ProofRefusal, StoredEvent, StreamReadError, Verification};

type Reply = Result<Json<Value>, Problem>;

/// A ledger read: path, summary, query parameters, and what it reveals.
pub struct LedgerRoute {
    pub path: &'static str,
    pub summary: &'static str,
    pub params: &'static [QueryParam],
    /// What every request of the route reveals; `may_read` judges it.
    pub reads: ReadTarget,
}

impl LedgerRoute {
    pub fn read_kind(&self) -> ReadKind {
        self.reads.kind()
    }
}

const fn route(
    path: &'static str,
    summary: &'static str,
    params: &'static [QueryParam],
    reads: ReadTarget,
) -> LedgerRoute {
    LedgerRoute { path, summary, params, reads }
}

const PAGE: ParamKind = ParamKind::Integer { min: 1, max: READ_PAGE_EVENTS_MAX as u64 };
/// A sequence number, a stream version or a tree size: from 1 (nothing is numbered 0).
const SEQ: ParamKind = ParamKind::Integer { min: 1, max: i64::MAX as u64 };
const EVENTS_PARAMS: &[QueryParam] = &[
    param("from", SEQ, "the first sequence number (default 1; at most the head + 1, where the next event will be)"),
    param("limit", PAGE, "events per page (default 100)"),
];
const STREAM_PARAMS: &[QueryParam] = &[
    param("from_version", SEQ, "the first stream version (default 1)"),
    param("limit", PAGE, "events per page (default 100)"),
];
const SUBSCRIBE_PARAMS: &[QueryParam] = &[param(
    "from",
    SEQ,
    "the first sequence number (default 1; at most the head + 1; `Last-Event-ID` resumes after an id instead)",
)];
const VERIFICATION_PARAMS: &[QueryParam] = &[param(
    "saved_head",
    ParamKind::SavedHead,
    "a head noted earlier, as SEQ:HASH: the chain must still contain it (detects a truncated tail)",
)];
const INCLUSION_PARAMS: &[QueryParam] = &[
    required("seq", SEQ, "the event (at most the tree size)"),
    param("size", SEQ, "the tree size (default the head; at most the head)"),
];
const CONSISTENCY_PARAMS: &[QueryParam] = &[
    required("from", SEQ, "the older tree size (at most `to`)"),
    param("to", SEQ, "the newer tree size (default the head; at most the head)"),
];
const BUNDLE_PARAMS: &[QueryParam] = &[required(
    "seq",
    ParamKind::SeqList { items_max: PROOF_BUNDLE_EVENTS_MAX },
    "the events to include, as comma-separated sequence numbers (each at most the head)",
)];
const ACCESS_PARAMS: &[QueryParam] = &[
    param("at", ParamKind::AsOf, "the instant or date to answer for (default now)"),
    param("role", ParamKind::Role, "only grants of this role"),
    param(
        "all",
        ParamKind::Bool,
        "every grant ever made, revoked and expired ones included, instead of those in force at `at`",
    ),
];

/// Every ledger read (projection reads are `queries::QUERY_ROUTES`).
pub const LEDGER_ROUTES: &[LedgerRoute] = &[
    route(
        "/v1/events",
        "events by sequence range, paged; each with body_text (the hashed bytes)",
        EVENTS_PARAMS,
        ReadTarget::Ledger,
    ),
    route(
        "/v1/events/subscribe",
        "Server-Sent Events: catch up from `from`, then follow live; the stream ends when the token is revoked or expires",
        SUBSCRIBE_PARAMS,
        ReadTarget::Ledger,
    ),
    route("/v1/events/{event_id}", "one event by id", &[], ReadTarget::Ledger),
    route("/v1/streams/{stream}/events", "events of one stream", STREAM_PARAMS, ReadTarget::Ledger),
    route("/v1/head", "the chain head: seq, hash, recorded_at", &[], ReadTarget::ChainIntegrity),
    route(
        "/v1/units",
        "every unit: code, name, level, parent, function code, retired",
        &[AS_OF],
        ReadTarget::Organisation,
    ),
    route(
        "/v1/access",
        "who held which role for which unit, until when (from grant and revocation events); token hashes only",
        ACCESS_PARAMS,
        ReadTarget::Access,
    ),
    route("/v1/verification", "walk and verify the whole chain now", VERIFICATION_PARAMS, ReadTarget::Ledger),
    route("/v1/export", "the whole chain as verified JSON Lines (docs/FORMAT.md §2)", &[], ReadTarget::Ledger),
    route(
        "/v1/key",
        "the public key that signs checkpoints, and the ledger's origin",
        &[],
        ReadTarget::ChainIntegrity,
    ),
    route("/v1/checkpoint", "a signed checkpoint of the head", &[], ReadTarget::ChainIntegrity),
    route(
        "/v1/proofs/inclusion",
        "Merkle inclusion proof of one event (hashes only)",
        INCLUSION_PARAMS,
        ReadTarget::ChainIntegrity,
    ),
    route(
        "/v1/proofs/consistency",
        "Merkle consistency proof between two tree sizes (hashes only)",
        CONSISTENCY_PARAMS,
        ReadTarget::ChainIntegrity,
    ),
    route(
        "/v1/proofs/bundle",
        "a signed checkpoint and the given events with their inclusion proofs",
        BUNDLE_PARAMS,
        ReadTarget::Ledger,
    ),
];

/// The one door of every ledger read: parses the query against the route's declaration and asks the
/// service whether `reading` may see what the route reveals.
async fn admit(state: &AppState, reading: &Reading, uri: &Uri, path: &str) -> Result<Params, Problem> {
    let route = LEDGER_ROUTES.iter().find(|route| route.path == path).expect("a declared ledger route");
    let params = Params::parse(uri.query(), route.params)?;
    state.read_models.may_read(&reading.reader, &route.reads).map_err(crate::http::queries::query_problem)?;
    Ok(params)
}

/// A `from` past where the next event will be is a typing mistake or a question about the future:
/// refused, never clamped.
fn check_from(state: &AppState, field: &'static str, from: u64) -> Result<(), Problem> {
    let head = state.service.records().head().seq;
    match from <= head + 1 {
        true => Ok(()),
        false => Err(Problem::bad_request(
            "invalid_query",
            field,
            format!(
                "{field}: {from} is beyond the head of the ledger (event {head}); the next event will be {}",
                head + 1
            ),
        )),
    }
}

fn proof_problem(refusal: ProofRefusal) -> Problem {
    let field = refusal.field;
    match refusal.error {
        ProofError::Refused(refused) => {
            Problem::bad_request("invalid_proof_request", field, format!("{field}: {refused}"))
        }
        ProofError::Failure(failure) => Problem::internal(&failure),
        ProofError::KeyMissing(reason) => Problem::internal(&reason),
    }
}

fn to_json(value: impl serde::Serialize) -> Json<Value> {
    Json(serde_json::to_value(value).expect("answers serialise"))
}

/// `GET /v1/events?from=&limit=`: a page of events and where the next page starts.
pub async fn events(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/events").await?;
    let from = params.integer("from").unwrap_or(1);
    check_from(&state, "from", from)?;
    let limit = params.integer("limit").unwrap_or(100) as usize;
    Ok(to_json(state.service.records().page(from, limit).map_err(|e| Problem::internal(&e))?))
}

/// `GET /v1/streams/{stream}/events`.
pub async fn stream_events(
    State(state): State<AppState>,
    reading: Reading,
    PathParam(stream): PathParam,
    uri: Uri,
) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/streams/{stream}/events").await?;
    let limit = params.integer("limit").unwrap_or(100) as usize;
    let from_version = params.integer("from_version").unwrap_or(1);
    match state.service.records().stream(&stream, from_version, limit) {
        Ok(page) => Ok(to_json(page)),
        Err(StreamReadError::Invalid(reason)) => Err(Problem::bad_request("invalid_stream", "stream", reason)),
        Err(StreamReadError::Store(error)) => Err(Problem::internal(&error)),
    }
}

/// `GET /v1/events/{event_id}`.
pub async fn event_by_id(
    State(state): State<AppState>,
    reading: Reading,
    PathParam(event_id): PathParam,
    uri: Uri,
) -> Reply {
    admit(&state, &reading, &uri, "/v1/events/{event_id}").await?;
    let id = uuid::Uuid::parse_str(&event_id)
        .map_err(|_| Problem::bad_request("invalid_event_id", "event_id", "event_id: expected a UUID"))?;
    match state.service.records().event(&id).map_err(|e| Problem::internal(&e))? {
        Some(event) => Ok(to_json(event)),
        None => Err(Problem::not_found("unknown_event", "event_id", format!("event_id: no event {id}"))),
    }
}

/// `GET /v1/head`.
pub async fn head(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    admit(&state, &reading, &uri, "/v1/head").await?;
    Ok(to_json(state.service.records().head()))
}

/// `GET /v1/units?as_of=`: every unit registered by then.
pub async fn units(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/units").await?;
    let read_models = state.read_models.clone();
    let as_of = params.as_of("as_of");
    let answer = tokio::task::spawn_blocking(move || read_models.units(as_of))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(crate::http::queries::query_problem)?;
    Ok(to_json(answer))
}

/// `GET /v1/verification?saved_head=`: walks the whole chain now and reports the first fault, if any.
pub async fn verification(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/verification").await?;
    let saved = params.text("saved_head").map(|text| parse_saved_head(text).expect("checked by parse"));
    let records = state.service.records();
    let outcome =
        tokio::task::spawn_blocking(move || records.verify(saved, &|_| {})).await.map_err(|e| Problem::internal(&e))?;
    Ok(to_json(Verification::from(outcome)))
}

/// `GET /v1/export`: the whole chain as JSON Lines, verified while it is written and streamed as it
/// goes. A fault found half-way ends the stream early: the file then lacks its last lines (and its
/// final newline), which any reader of the format notices.
pub async fn export(State(state): State<AppState>, reading: Reading, uri: Uri) -> Result<Response, Problem> {
    admit(&state, &reading, &uri, "/v1/export").await?;
    Ok(export_response(state.service.records()))
}

/// The whole chain as a JSON Lines attachment (`ledger.jsonl`), verified while it is written and
/// streamed as it goes: the export's answer, for the API and the web site, once the reader is admitted.
pub fn export_response(records: crate::service::records::Records) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter { sender, buffer: Vec::with_capacity(limits::EXPORT_CHUNK_BYTES) };
        match records.export(&mut writer, &|_| {}) {
            Ok(_) => {
                let _ = std::io::Write::flush(&mut writer);
            }
            Err(error) => {
                tracing::error!(%error, "export stopped");
                let _ = writer.sender.blocking_send(Err(std::io::Error::other(error.to_string())));
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"ledger.jsonl\""),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Writes into a channel in chunks, from a blocking thread.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= limits::EXPORT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

/// `GET /v1/key`: the public key auditors check checkpoints with, and the ledger's origin.
pub async fn key(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    admit(&state, &reading, &uri, "/v1/key").await?;
    Ok(to_json(state.service.records().key()))
}

/// `GET /v1/checkpoint`: a checkpoint of the current head, signed (a new one only when the head moved).
pub async fn checkpoint(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    admit(&state, &reading, &uri, "/v1/checkpoint").await?;
    Ok(to_json(fresh_checkpoint(&state).await?))
}

/// A checkpoint of the head, signed now unless the one signed last already covers the head: the API's
/// `/v1/checkpoint` and the web site's audit page share it, so both show the same signature.
pub async fn fresh_checkpoint(state: &AppState) -> Result<SignedCheckpoint, Problem> {
    let records = state.service.records();
    let head = records.head();
    if let Some(cached) = state.checkpoint_cache.lock().expect("checkpoint cache").as_ref() {
        if cached.checkpoint.tree_size == head.seq {
            return Ok(cached.clone());
        }
    }
    let now = state.service.clock().now();
    let signed = tokio::task::spawn_blocking(move || records.checkpoint(now))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(proof_problem)?;
    *state.checkpoint_cache.lock().expect("checkpoint cache") = Some(signed.clone());
    Ok(signed)
}

/// `GET /v1/proofs/inclusion?seq=&size=`.
pub async fn inclusion_proof(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/proofs/inclusion").await?;
    let seq = params.integer("seq").expect("required");
    let proof = state.service.records().inclusion_proof(seq, params.integer("size")).map_err(proof_problem)?;
    Ok(to_json(proof))
}

/// `GET /v1/proofs/consistency?from=&to=`.
pub async fn consistency_proof(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/proofs/consistency").await?;
    let from = params.integer("from").expect("required");
    let proof = state.service.records().consistency_proof(from, params.integer("to")).map_err(proof_problem)?;
    Ok(to_json(proof))
}

/// `GET /v1/proofs/bundle?seq=8,12`: a fresh signed checkpoint and the events with their proofs.
pub async fn proof_bundle(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/proofs/bundle").await?;
    let seqs = params.seq_list("seq").expect("required");
    let checkpoint = fresh_checkpoint(&state).await?;
    let records = state.service.records();
    let bundle = tokio::task::spawn_blocking(move || records.proof_bundle(&seqs, checkpoint))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(proof_problem)?;
    Ok(to_json(bundle))
}

/// `GET /v1/events/subscribe?from=`: every event from `from` on (or after `Last-Event-ID`), first
/// catching up from the ledger, then following new durable heads. Both phases read by sequence
/// number from the ledger, so the switch between them can neither skip nor repeat an event.
///
/// Before every page it reads, and at least every `limits::SUBSCRIBE_RECHECK` while it waits, the
/// stream asks the read models whether its token still acts (never the decider, so it never waits on
/// a decision): once the token is revoked or expired, the stream ends, and no event recorded with
/// or after the revocation is sent.
pub async fn subscribe(
    State(state): State<AppState>,
    reading: Reading,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, Problem> {
    let params = admit(&state, &reading, &uri, "/v1/events/subscribe").await?;
    let next_seq = match headers.get("last-event-id") {
        Some(value) => {
            let next = value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .and_then(|last| last.checked_add(1))
                .ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_last_event_id",
                        "last-event-id",
                        "last-event-id: expected the sequence number of an event already received",
                    )
                })?;
            check_from(&state, "last-event-id", next.max(1))?;
            next.max(1)
        }
        None => {
            let from = params.integer("from").unwrap_or(1);
            check_from(&state, "from", from)?;
            from
        }
    };
    let follower = Follower { state, token_hash: reading.token_hash, next_seq, buffered: Default::default() };
    let heads = follower.state.service.records().watch_head();
    let stream = futures_util::stream::unfold((follower, heads), |(mut follower, mut heads)| async move {
        loop {
            if let Some(event) = follower.buffered.pop_front() {
                let sse = SseEvent::default()
                    .id(event.seq.to_string())
                    .event(event.event_type().unwrap_or_default())
                    .data(serde_json::to_string(&event).expect("events serialise"));
                return Some((Ok(sse), (follower, heads)));
            }
            let records = follower.state.service.records();
            let head = records.head().seq;
            if head >= follower.next_seq {
                // The check folds at least up to `head`, and the page stops there: every event sent
                // was recorded before any revocation the check could have missed.
                if !follower.token_still_acts().await {
                    return None;
                }
                let up_to_head = usize::try_from(head - follower.next_seq + 1).unwrap_or(usize::MAX);
                let page = records.page(follower.next_seq, limits::SUBSCRIBE_PAGE_EVENTS.min(up_to_head)).ok()?;
                follower.next_seq = page.next_from;
                follower.buffered.extend(page.events);
                continue;
            }
            let recheck = crate::limits::SUBSCRIBE_RECHECK;
            match tokio::time::timeout(recheck, heads.changed()).await {
                Ok(changed) => changed.ok()?,
                Err(_) if !follower.token_still_acts().await => return None,
                Err(_) => {}
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// An open event stream: where it stands, what it has read but not sent, and whose token keeps it open.
struct Follower {
    state: AppState,
    /// `None` for the local read token, which is never revoked.
    token_hash: Option<crate::domain::TokenHash>,
    next_seq: u64,
    buffered: std::collections::VecDeque<StoredEvent>,
}

impl Follower {
    /// Whether the token still acts now (the read models catch up to the head first, so a
    /// revocation that is durable is seen before any event after it is read).
    async fn token_still_acts(&self) -> bool {
        let Some(hash) = self.token_hash.clone() else { return true };
        let state = self.state.clone();
        let outcome =
            tokio::task::spawn_blocking(move || state.read_models.token_actor(&hash, state.service.clock().now()))
                .await;
        matches!(outcome, Ok(Ok(_)))
    }
}

/// `GET /v1/access?at=&role=&all=`: who held which role, for which unit, at that instant ("who could
/// deduct on 2017-07-11"), from the grant and revocation events; with `all=true`, every grant ever
/// made. Token hashes only, each with when it expires; only the grants for units in the reader's
/// scope.
pub async fn access(State(state): State<AppState>, reading: Reading, uri: Uri) -> Reply {
    let params = admit(&state, &reading, &uri, "/v1/access").await?;
    let role = params.role("role");
    let filter = if params.bool("all") == Some(true) {
        AccessFilter::All
    } else {
        let now = state.service.clock().now();
        let at = match params.text("at") {
            None => now,
            Some(_) => state.read_models.resolve(params.as_of("at")).map_err(Problem::from)?.instant.unwrap_or(now),
        };
        AccessFilter::InForceAt(at)
    };
    let list = state
        .read_models
        .access_list_for(&reading.reader, filter, role)
        .map_err(crate::http::queries::query_problem)?;
    Ok(to_json(list))
}
