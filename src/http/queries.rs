//! The read models over HTTP: scoreboard, ranking, comparisons, trace (optionally with proofs),
//! indicator load, appeal queue, notices and ranking diff. Each takes `as_of` (a sequence number or an
//! RFC 3339 instant) and answers as the ledger stood then.
//!
//! Answers for the latest state are cached by query until the head moves, so hot reads (rankings) cost
//! a map lookup.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::{FunctionCode, PeriodId, SchemeId, UnitCode};
use crate::http::auth::Authenticated;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::projection::AsOf;
use crate::service::queries::{parse_as_of, trace_proofs, QueryError, RankingScope};

/// Cached answers kept at most; the cache is cleared when full (it refills with the hot queries).
pub const ANSWER_CACHE_ENTRIES_MAX: usize = 4_096;

/// Every query parameter any read takes; each endpoint checks the ones it needs.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    as_of: Option<String>,
    unit: Option<String>,
    period: Option<String>,
    scheme: Option<String>,
    function_code: Option<String>,
    from: Option<String>,
    to: Option<String>,
    proofs: Option<bool>,
}

impl ReadQuery {
    fn as_of(&self) -> Result<AsOf, Problem> {
        self.as_of.as_deref().map_or(Ok(AsOf::Latest), |text| {
            parse_as_of(text).map_err(|e| Problem::bad_request("invalid_query", "as_of", format!("as_of: {e}")))
        })
    }

    fn unit(&self) -> Result<UnitCode, Problem> {
        let text = self.unit.as_deref().ok_or_else(|| missing("unit"))?;
        UnitCode::new(text).map_err(|e| Problem::bad_request("invalid_query", "unit", format!("unit: {e}")))
    }

    fn period_named(&self, field: &'static str, text: Option<&str>) -> Result<PeriodId, Problem> {
        let text = text.ok_or_else(|| missing(field))?;
        PeriodId::parse(text).map_err(|e| Problem::bad_request("invalid_query", field, format!("{field}: {e}")))
    }

    fn period(&self) -> Result<PeriodId, Problem> {
        self.period_named("period", self.period.as_deref())
    }

    fn scope(&self) -> Result<RankingScope, Problem> {
        match (&self.unit, &self.scheme) {
            (Some(_), None) => Ok(RankingScope::OfUnit(self.unit()?)),
            (None, Some(scheme)) => Ok(RankingScope::Group {
                scheme: SchemeId::new(scheme.as_str())
                    .map_err(|e| Problem::bad_request("invalid_query", "scheme", format!("scheme: {e}")))?,
                function_code: self.function_code.as_deref().map(FunctionCode::new).transpose().map_err(|e| {
                    Problem::bad_request("invalid_query", "function_code", format!("function_code: {e}"))
                })?,
            }),
            _ => Err(Problem::bad_request(
                "invalid_query",
                "unit",
                "unit: give either unit or scheme (with an optional function_code)",
            )),
        }
    }

    fn as_of_named(&self, field: &'static str, text: Option<&str>) -> Result<AsOf, Problem> {
        let text = text.ok_or_else(|| missing(field))?;
        parse_as_of(text).map_err(|e| Problem::bad_request("invalid_query", field, format!("{field}: {e}")))
    }
}

fn missing(field: &'static str) -> Problem {
    Problem::bad_request("invalid_query", field, format!("{field}: required"))
}

fn query_problem(error: QueryError) -> Problem {
    match error {
        QueryError::NotFound { field, message } => {
            Problem::not_found("not_found", field, format!("{field}: {message}"))
        }
        QueryError::Service(error) => error.into(),
    }
}

fn json_response(bytes: Vec<u8>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

type Parsed = Result<Query<ReadQuery>, axum::extract::rejection::QueryRejection>;

fn parsed(query: Parsed) -> Result<ReadQuery, Problem> {
    query
        .map(|Query(query)| query)
        .map_err(|e| Problem::bad_request("invalid_query", "query", format!("query: {}", e.body_text())))
}

/// Answers from the cache when the question is about the latest state and the head has not moved;
/// otherwise computes (off the async threads) and, for the latest state, caches.
async fn answer(
    state: AppState,
    uri: &Uri,
    as_of: AsOf,
    compute: impl FnOnce(&AppState) -> Result<Vec<u8>, Problem> + Send + 'static,
) -> Result<Response, Problem> {
    let head = state.service.ledger().head().seq;
    let key = uri.to_string();
    if as_of == AsOf::Latest {
        if let Some((seq, bytes)) = state.answer_cache.lock().expect("answer cache").get(&key) {
            if *seq == head {
                return Ok(json_response(bytes.clone()));
            }
        }
    }
    let worker_state = state.clone();
    let bytes =
        tokio::task::spawn_blocking(move || compute(&worker_state)).await.map_err(|e| Problem::internal(&e))??;
    if as_of == AsOf::Latest {
        let mut cache = state.answer_cache.lock().expect("answer cache");
        if cache.len() >= ANSWER_CACHE_ENTRIES_MAX {
            cache.clear();
        }
        cache.insert(key, (head, bytes.clone()));
    }
    Ok(json_response(bytes))
}

fn to_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("answers serialise")
}

pub async fn scoreboard(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (unit, period, as_of) = (query.unit()?, query.period()?, query.as_of()?);
    answer(state, &uri, as_of, move |state| {
        state.read_models.scoreboard(&unit, period, as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

pub async fn ranking(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (scope, period, as_of) = (query.scope()?, query.period()?, query.as_of()?);
    answer(state, &uri, as_of, move |state| {
        state.read_models.ranking(&scope, period, as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

pub async fn horizontal(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (unit, period, as_of) = (query.unit()?, query.period()?, query.as_of()?);
    answer(state, &uri, as_of, move |state| {
        state.read_models.horizontal(&unit, period, as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

pub async fn vertical(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let unit = query.unit()?;
    let first = query.period_named("from", query.from.as_deref())?;
    let last = query.period_named("to", query.to.as_deref())?;
    let as_of = query.as_of()?;
    answer(state, &uri, as_of, move |state| {
        state.read_models.vertical(&unit, first, last, as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

/// `GET /v1/traces?unit=&period=[&proofs=true]`: with `proofs`, every cited event comes with its
/// inclusion proof against a fresh signed checkpoint.
pub async fn trace(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (unit, period, as_of, proofs) = (query.unit()?, query.period()?, query.as_of()?, query.proofs.unwrap_or(false));
    let cache_as_of = if proofs { AsOf::Seq(0) } else { as_of };
    answer(state, &uri, cache_as_of, move |state| {
        let traced = state.read_models.trace(&unit, period, as_of).map_err(query_problem)?;
        if !proofs {
            return Ok(to_bytes(&traced));
        }
        let bundle = trace_proofs(state.service.ledger(), &traced.value.traces, state.service.clock().now())?;
        Ok(to_bytes(
            &serde_json::json!({"as_of_seq": traced.as_of_seq, "traces": traced.value.traces, "proofs": bundle}),
        ))
    })
    .await
}

pub async fn indicator_load(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let unit = query.unit.as_ref().map(|_| query.unit()).transpose()?;
    let as_of = query.as_of()?;
    answer(state, &uri, as_of, move |state| {
        state.read_models.indicator_load(unit.as_ref(), as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

pub async fn appeal_queue(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let as_of = query.as_of()?;
    // The queue depends on the time of asking (overdue appeals), so the latest answer is not cached.
    let cache_as_of = if as_of == AsOf::Latest { AsOf::Seq(0) } else { as_of };
    answer(state, &uri, cache_as_of, move |state| {
        let now = state.service.clock().now();
        state.read_models.appeal_queue(as_of, now).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

pub async fn notices(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (scope, period, as_of) = (query.scope()?, query.period()?, query.as_of()?);
    answer(state, &uri, as_of, move |state| {
        state.read_models.notices(&scope, period, as_of).map(|a| to_bytes(&a)).map_err(query_problem)
    })
    .await
}

/// `GET /v1/rankings/diff?unit=|scheme=&period=&from=&to=`: `from` and `to` are as-of points.
pub async fn ranking_diff(
    State(state): State<AppState>,
    _: Authenticated,
    uri: Uri,
    query: Parsed,
) -> Result<Response, Problem> {
    let query = parsed(query)?;
    let (scope, period) = (query.scope()?, query.period()?);
    let from = query.as_of_named("from", query.from.as_deref())?;
    let to = query.as_of_named("to", query.to.as_deref())?;
    answer(state, &uri, AsOf::Seq(0), move |state| {
        state
            .read_models
            .ranking_diff(state.service.ledger(), &scope, period, from, to)
            .map(|d| to_bytes(&d))
            .map_err(query_problem)
    })
    .await
}
