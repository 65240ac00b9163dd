//! The HTTP API (axum): a thin adapter over the service. Commands under `/v1/...` (one per domain
//! command, see `commands::COMMAND_ROUTES`), ledger reads, proofs, live events, OpenAPI and metrics.
//!
//! Invariant: handlers translate and delegate; they decide nothing — who may read what is the
//! service's `may_read`, asked once per request through each route's declaration. Every error leaves
//! as `application/problem+json` (path segments included, through `params::PathParam`); a request
//! body larger than `REQUEST_BODY_BYTES_MAX` is refused.

pub mod auth;
pub mod commands;
pub mod documents;
pub mod export;
pub mod history;
pub mod ledger_reads;
pub mod listings;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod people;
pub mod problem;
pub mod queries;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::params::PathParam;
use crate::service::read_models::ReadModels;
use crate::service::records::SignedCheckpoint;
use crate::service::Service;

use crate::limits::REQUEST_BODY_BYTES_MAX;

/// Serialised answers by request URI, each with the head sequence number it was computed at.
pub type AnswerCache = std::collections::HashMap<String, (u64, Vec<u8>)>;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub read_models: Arc<ReadModels>,
    pub metrics: Arc<metrics::Metrics>,
    pub checkpoint_cache: Arc<Mutex<Option<SignedCheckpoint>>>,
    /// Serialised answers about the latest state, by request URI, with the head they were computed at.
    pub answer_cache: Arc<Mutex<AnswerCache>>,
    /// The hash of the server's local read token (see `service::admin::ServerInfo`): it reads the
    /// whole ledger (`service::queries::Reader::Local`), writes nothing, never expires and is never
    /// recorded in the ledger.
    pub local_read_token_hash: Option<String>,
    /// Places for commands being decided on blocking threads (`COMMANDS_DECIDING_MAX`): a command
    /// waits for one without holding a thread.
    pub deciding: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Builds the read models from the ledger (from the newest valid snapshot on).
    pub fn new(service: Arc<Service>) -> Result<AppState, crate::service::ServiceError> {
        let read_models = Arc::new(service.records().read_models()?);
        Ok(AppState::with_read_models(service, read_models))
    }

    /// The state around read models opened together with the service (`Service::open_with_read_models`).
    pub fn with_read_models(service: Arc<Service>, read_models: Arc<ReadModels>) -> AppState {
        AppState {
            service,
            read_models,
            metrics: Arc::default(),
            checkpoint_cache: Arc::default(),
            answer_cache: Arc::default(),
            local_read_token_hash: None,
            deciding: Arc::new(tokio::sync::Semaphore::new(crate::limits::COMMANDS_DECIDING_MAX)),
        }
    }

    /// Accepts `token` as the local read token (for the command line on the same machine).
    pub fn with_local_read_token(mut self, token: &str) -> AppState {
        self.local_read_token_hash = Some(crate::service::tokens::token_hash(token));
        self
    }
}

/// The whole API as one router, for `serve` and for `oneshot` tests.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/v1/events", get(ledger_reads::events))
        .route("/v1/events/subscribe", get(ledger_reads::subscribe))
        .route("/v1/events/{event_id}", get(ledger_reads::event_by_id))
        .route("/v1/streams/{stream}/events", get(ledger_reads::stream_events))
        .route("/v1/head", get(ledger_reads::head))
        .route("/v1/units", get(ledger_reads::units))
        .route("/v1/access", get(ledger_reads::access))
        .route("/v1/verification", get(ledger_reads::verification))
        .route("/v1/export", get(ledger_reads::export))
        .route("/v1/key", get(ledger_reads::key))
        .route("/v1/checkpoint", get(ledger_reads::checkpoint))
        .route("/v1/proofs/inclusion", get(ledger_reads::inclusion_proof))
        .route("/v1/proofs/consistency", get(ledger_reads::consistency_proof))
        .route("/v1/proofs/bundle", get(ledger_reads::proof_bundle))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/documents", post(documents::post))
        .route("/v1/documents/{digest}", get(documents::get).put(documents::put))
        .route("/v1/history", post(history::import).layer(DefaultBodyLimit::max(crate::limits::HISTORY_FILE_BYTES_MAX)))
        .route("/metrics", get(metrics_text));
    for query_route in queries::QUERY_ROUTES {
        router = router.route(
            query_route.path,
            get(move |state, actor, headers, uri| queries::answer(state, query_route, actor, headers, uri)),
        );
    }
    for command_route in commands::COMMAND_ROUTES {
        router = match command_route.path_field {
            Some(_) => router.route(
                command_route.path,
                post(move |state, PathParam(value): PathParam, actor, headers, body| {
                    commands::execute(state, command_route, Some(Path(value)), actor, headers, body)
                }),
            ),
            None => router.route(
                command_route.path,
                post(move |state, actor, headers, body| {
                    commands::execute(state, command_route, None, actor, headers, body)
                }),
            ),
        };
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found() -> problem::Problem {
    problem::Problem::new(StatusCode::NOT_FOUND, "no_route", Some("path"), "path: no such endpoint")
}

async fn method_not_allowed(method: axum::http::Method) -> problem::Problem {
    let detail = format!("method: {method} is not allowed here; reads are GET, commands are POST");
    problem::Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", Some("method"), detail)
}

async fn metrics_text(State(state): State<AppState>, _: auth::Authenticated) -> Response {
    let text = state.metrics.render(state.service.records().figures(), state.read_models.folded_seq());
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Gives every request an id (the caller's `x-request-id`, or a new one), logs it with its outcome,
/// and counts it for `/metrics`.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    request.headers_mut().insert("x-request-id", HeaderValue::from_str(&request_id).expect("ascii id"));
    let span = tracing::info_span!("request", %request_id, %method, %path);
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    let micros = started.elapsed().as_micros() as u64;
    state.metrics.observe(response.status().as_u16(), micros);
    tracing::info!(%request_id, %method, %path, status = response.status().as_u16(), micros, "request");
    response.headers_mut().insert("x-request-id", HeaderValue::from_str(&request_id).expect("ascii id"));
    response
}

/// Serves the API on `listener` until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}
