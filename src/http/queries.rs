//! The read models over HTTP: scoreboard, ranking, comparisons, trace (optionally with proofs),
//! indicator load, appeal queue, notices and ranking diff. `QUERY_ROUTES` is the one list of them:
//! the router, the OpenAPI document and the tests read it. Each takes `as_of` and answers as the
//! ledger stood then.
//!
//! Every route declares what it reveals (`QueryRoute::reads`, a `ReadTarget` built from its
//! parameters), and `answer` asks the service's `may_read` before anything is computed or served
//! from the cache: a refusal is 403 problem+json naming the parameter.
//!
//! Answers for the latest state are cached by query until the head moves, so hot reads (rankings) cost
//! a map lookup. A cached answer is the same for every reader admitted to it; the one answer that
//! depends on the reader (the appeal queue) is never cached.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::http::auth::Reading;
use crate::http::export::FORMAT;
use crate::http::params::{param, required, ParamKind, Params, QueryParam, AS_OF, PERIOD, PROVISIONAL, UNIT};
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::projection::appeal_queue::StatusFilter;
use crate::service::queries::{
    trace_proofs, Answer, AppealFilter, QueryError, RankingScope, ReadKind, ReadRefusal, ReadTarget, Reader, Traces,
    View,
};
use crate::service::records::ProofBundle;

use crate::limits::ANSWER_CACHE_ENTRIES_MAX;

/// Whether an answer about the latest state may be served from the cache until the head moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caching {
    /// A pure function of the chain prefix: cached for the latest state.
    UntilTheHeadMoves,
    /// Depends on the time of asking, on who asks, or signs something fresh: never cached.
    Never,
}

/// One read of the projections: its path, what it answers, its parameters, what it reveals (for
/// `may_read`), and how to compute it.
pub struct QueryRoute {
    pub path: &'static str,
    pub summary: &'static str,
    pub params: &'static [QueryParam],
    pub caching: Caching,
    /// The kind of what it reveals, for the OpenAPI document (`ReadKind::rule`).
    pub read_kind: ReadKind,
    /// What a request reveals, from its parameters; of `read_kind`.
    pub reads: fn(&Params) -> Result<ReadTarget, Problem>,
    pub compute: fn(&AppState, &Reader, &Params) -> Result<Vec<u8>, Problem>,
}

const SCHEME: QueryParam = param("scheme", ParamKind::Scheme, "rank this scheme's group instead of a unit's own");
const IN_SCHEME: QueryParam = param(
    "scheme",
    ParamKind::Scheme,
    "read the unit in this scheme: a county's own scheme (YS07-2017) for one of its sections; by default the \
     scheme that assesses the unit or its county",
);
const FUNCTION_CODE: QueryParam =
    param("function_code", ParamKind::FunctionCode, "with scheme: the sections of this function code");
const GROUP_UNIT: QueryParam = param("unit", ParamKind::Unit, "rank the peer group of this unit (or give scheme)");
const STATUS: QueryParam = param(
    "status",
    ParamKind::Choice { values: StatusFilter::NAMES },
    "waiting (open or escalated), open (waiting for the first decision), escalated (waiting for the committee), \
     decided, withdrawn, overdue (waiting past the due time) or all",
);
const PROOFS: QueryParam = param(
    "proofs",
    ParamKind::Bool,
    "add every cited event with its inclusion proof against a fresh signed checkpoint",
);

/// A unit's own facts, chosen by the required `unit`.
fn unit_target(params: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::Unit { field: "unit", unit: Some(unit(params)) })
}

fn ranking_target(params: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::Ranking { scope: scope(params)?, period: period(params) })
}

fn group_detail_target(params: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::GroupDetail { scope: scope(params)?, period: period(params) })
}

/// Every projection read.
pub const QUERY_ROUTES: &[QueryRoute] = &[
    QueryRoute {
        path: "/v1/scoreboard",
        summary: "a unit's scores for a period: per indicator, raw, normalised, bonus, final, veto",
        params: &[UNIT, PERIOD, IN_SCHEME, AS_OF, PROVISIONAL],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: unit_target,
        compute: |state, _, params| {
            let (unit, period, scheme) = (unit(params), period(params), params.scheme("scheme"));
            json(state.read_models.scoreboard_in(&unit, scheme.as_ref(), period, view(params)))
        },
    },
    QueryRoute {
        path: "/v1/rankings",
        summary: "a peer group's ranking and tiers (unit= for its own group, or scheme= [function_code=])",
        params: &[GROUP_UNIT, SCHEME, FUNCTION_CODE, PERIOD, AS_OF, PROVISIONAL, FORMAT],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Ranking,
        reads: ranking_target,
        compute: |state, _, params| {
            let scope = scope(params)?;
            json(state.read_models.ranking(&scope, period(params), view(params)))
        },
    },
    QueryRoute {
        path: "/v1/rankings/diff",
        summary: "whose score, rank or tier changed between two as-of points, and the events that moved them",
        params: &[
            GROUP_UNIT,
            SCHEME,
            FUNCTION_CODE,
            PERIOD,
            required("from", ParamKind::AsOf, "the earlier point (as as_of)"),
            param("to", ParamKind::AsOf, "the later point (as as_of; default latest)"),
            PROVISIONAL,
            FORMAT,
        ],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::GroupDetail,
        reads: group_detail_target,
        compute: |state, _, params| {
            let scope = scope(params)?;
            let (from, to) = (params.as_of("from"), params.as_of("to"));
            let diff = state.read_models.ranking_diff(&scope, period(params), from, to, params.counting());
            json(diff)
        },
    },
    QueryRoute {
        path: "/v1/comparisons/horizontal",
        summary: "a unit against its peers: rank, tier, gaps, lost points by indicator and category",
        params: &[UNIT, PERIOD, IN_SCHEME, AS_OF, PROVISIONAL, FORMAT],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: unit_target,
        compute: |state, _, params| {
            let scheme = params.scheme("scheme");
            json(state.read_models.horizontal_in(&unit(params), scheme.as_ref(), period(params), view(params)))
        },
    },
    QueryRoute {
        path: "/v1/comparisons/vertical",
        summary: "a unit across periods of one kind (months, quarters, halves or years): score, rank, tier, \
                  changes (current − previous: a negative rank_change is a move up), repeat problems",
        params: &[
            UNIT,
            required("from", ParamKind::Period, "the first period"),
            required("to", ParamKind::Period, "the last period, of the same kind, not before from"),
            IN_SCHEME,
            AS_OF,
            PROVISIONAL,
            FORMAT,
        ],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: unit_target,
        compute: |state, _, params| {
            let (first, last) = (params.period("from").expect("required"), params.period("to").expect("required"));
            let scheme = params.scheme("scheme");
            json(state.read_models.vertical_in(&unit(params), scheme.as_ref(), first, last, view(params)))
        },
    },
    QueryRoute {
        path: "/v1/traces",
        summary: "every lost point down to its events; proofs=true adds inclusion proofs and a signed checkpoint",
        params: &[UNIT, PERIOD, IN_SCHEME, AS_OF, PROVISIONAL, PROOFS],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: unit_target,
        compute: trace,
    },
    QueryRoute {
        path: "/v1/indicator-load",
        summary: "indicators per section per scheme year",
        params: &[
            param("unit", ParamKind::Unit, "a county (its sections) or one section; every county when left out"),
            AS_OF,
        ],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: |params| Ok(ReadTarget::Unit { field: "unit", unit: params.unit("unit") }),
        compute: |state, _, params| {
            json(state.read_models.indicator_load(params.unit("unit").as_ref(), params.as_of("as_of")))
        },
    },
    QueryRoute {
        path: "/v1/appeal-queue",
        summary: "appeals by due time with their status (open, escalated, decided, withdrawn), overdue ones marked, \
                  and each one's history (filed, decisions, escalations, withdrawal, with times and evidence): by \
                  default those waiting for a decision; of one unit and the units under it, of one appellant, of \
                  one period (or roll-up) and of one status, when given",
        params: &[
            param("unit", ParamKind::Unit, "only appeals about this unit or a unit under it"),
            param("appellant", ParamKind::Unit, "only appeals filed by this unit or a unit under it"),
            param("period", ParamKind::Period, "only appeals on a base period within this period"),
            STATUS,
            AS_OF,
            FORMAT,
        ],
        caching: Caching::Never,
        read_kind: ReadKind::Appeals,
        reads: |params| Ok(ReadTarget::Appeals { unit: params.unit("unit") }),
        compute: |state, reader, params| {
            let now = state.service.clock().now();
            let filter = AppealFilter {
                unit: params.unit("unit"),
                period: params.period("period"),
                status: status(params, StatusFilter::Waiting),
                appellant: params.unit("appellant"),
            };
            json(state.read_models.appeal_queue(reader, &filter, params.as_of("as_of"), now))
        },
    },
    QueryRoute {
        path: "/v1/my-appeals",
        summary: "the appeals the reader's unit (or a unit under it) filed, every status by default, each with its \
                  history: filed, decisions, escalations, withdrawal, with times and evidence",
        params: &[
            param("period", ParamKind::Period, "only appeals on a base period within this period"),
            STATUS,
            AS_OF,
            FORMAT,
        ],
        caching: Caching::Never,
        read_kind: ReadKind::Appeals,
        reads: |_| Ok(ReadTarget::Appeals { unit: None }),
        compute: |state, reader, params| {
            let now = state.service.clock().now();
            let filter = AppealFilter {
                unit: None,
                period: params.period("period"),
                status: status(params, StatusFilter::All),
                appellant: None,
            };
            json(state.read_models.my_appeals(reader, &filter, params.as_of("as_of"), now))
        },
    },
    QueryRoute {
        path: "/v1/deductions",
        summary: "the deduction register: deductions recorded against a unit and the units under it in a period, \
                  with their evidence digests, effective points, withdrawal and cause; evidence=missing lists the \
                  standing ones that cite no evidence document; filtered by assessor, section, indicator and \
                  category, and paged (offset, limit; total and next_offset in the answer)",
        params: crate::http::listings::REGISTER_PARAMS,
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::Unit,
        reads: unit_target,
        compute: crate::http::listings::register,
    },
    QueryRoute {
        path: "/v1/notices",
        summary: "proposed praise and criticism for a period",
        params: &[GROUP_UNIT, SCHEME, FUNCTION_CODE, PERIOD, AS_OF, PROVISIONAL],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::GroupDetail,
        reads: group_detail_target,
        compute: |state, _, params| {
            let scope = scope(params)?;
            json(state.read_models.notices(&scope, period(params), view(params)))
        },
    },
    QueryRoute {
        path: "/v1/bulletin",
        summary: "the bulletin (通报) of a peer group for a period — a county's own scheme (scheme=YS07-2017) for its \
                  monthly one: each member's score, rank and tier with their change from the period before, the \
                  points it lost with the reason for each, its repeat problems, and the praise and criticism proposed",
        params: &[GROUP_UNIT, SCHEME, FUNCTION_CODE, PERIOD, AS_OF, PROVISIONAL],
        caching: Caching::UntilTheHeadMoves,
        read_kind: ReadKind::GroupDetail,
        reads: group_detail_target,
        compute: |state, _, params| {
            let scope = scope(params)?;
            json(state.read_models.bulletin(&scope, period(params), view(params)))
        },
    },
    crate::http::listings::SCHEMES,
    crate::http::listings::INDICATORS,
    crate::http::listings::PERIODS,
    crate::http::people::PERSONS,
    crate::http::people::SCORECARD,
    crate::http::people::INDICATORS,
    crate::http::people::WEEKLY_RECORDS,
    crate::http::people::REVIEWS,
    crate::http::people::INDIVIDUAL_RANKING,
    crate::http::people::GRADES,
    crate::http::people::RESULT_USES,
];

fn unit(params: &Params) -> crate::domain::UnitCode {
    params.unit("unit").expect("required by the route")
}

/// The as-of point and whether open months count (`provisional`).
fn view(params: &Params) -> View {
    View { as_of: params.as_of("as_of"), counting: params.counting() }
}

fn period(params: &Params) -> crate::domain::PeriodId {
    params.period("period").expect("required by the route")
}

fn status(params: &Params, default: StatusFilter) -> StatusFilter {
    params.text("status").and_then(StatusFilter::parse).unwrap_or(default)
}

fn scope(params: &Params) -> Result<RankingScope, Problem> {
    match (params.unit("unit"), params.scheme("scheme")) {
        (Some(unit), None) if params.text("function_code").is_none() => Ok(RankingScope::OfUnit(unit)),
        (None, Some(scheme)) => {
            Ok(RankingScope::Group { scheme, function_code: params.function_code("function_code") })
        }
        _ => Err(Problem::bad_request(
            "invalid_query",
            "unit",
            "unit: give either unit, or scheme with an optional function_code",
        )),
    }
}

pub fn json<T: serde::Serialize>(answer: Result<T, QueryError>) -> Result<Vec<u8>, Problem> {
    answer.map(|value| serde_json::to_vec(&value).expect("answers serialise")).map_err(query_problem)
}

/// A trace answer with the bundle of every event it cites (`proofs`, for `tools/verifier`).
#[derive(serde::Serialize)]
struct TracesWithProofs<'a> {
    as_of_seq: u64,
    as_of_instant: Option<crate::domain::Timestamp>,
    traces: &'a [crate::projection::Trace],
    provisional_periods: &'a [crate::domain::PeriodId],
    proofs: ProofBundle,
}

fn trace(state: &AppState, _: &Reader, params: &Params) -> Result<Vec<u8>, Problem> {
    let scheme = params.scheme("scheme");
    if params.bool("proofs") != Some(true) {
        let traced = state.read_models.trace_in(&unit(params), scheme.as_ref(), period(params), view(params));
        return json(traced);
    }
    let (traced, proofs) = traces_with_proofs(state, &unit(params), scheme.as_ref(), period(params), view(params))
        .map_err(query_problem)?;
    json(Ok(TracesWithProofs {
        as_of_seq: traced.as_of_seq,
        as_of_instant: traced.as_of_instant,
        traces: &traced.value.traces,
        provisional_periods: &traced.value.provisional_periods,
        proofs,
    }))
}

/// The traces of a question and the bundle of every event they cite, with its inclusion proof against a
/// checkpoint of the head signed now: what `/v1/traces?…&proofs=true` answers (its `proofs` member is
/// the bundle, serialised as it stands), and what the web site's trace page checks and downloads.
pub fn traces_with_proofs(
    state: &AppState,
    unit: &crate::domain::UnitCode,
    scheme: Option<&crate::domain::SchemeId>,
    period: crate::domain::PeriodId,
    view: View,
) -> Result<(Answer<Traces>, ProofBundle), QueryError> {
    let traced = state.read_models.trace_in(unit, scheme, period, view)?;
    let records = state.service.records();
    let failure = |error: String| QueryError::Service(crate::service::ServiceError::Failure(error));
    let checkpoint = records.checkpoint(state.service.clock().now()).map_err(|e| failure(e.to_string()))?;
    let proofs = trace_proofs(&records, &traced.value.traces, checkpoint)?;
    Ok((traced, proofs))
}

pub fn query_problem(error: QueryError) -> Problem {
    match error {
        QueryError::NotFound { field, message } => {
            Problem::not_found("not_found", field, format!("{field}: {message}"))
        }
        QueryError::Invalid { field, message } => {
            Problem::bad_request("invalid_query", field, format!("{field}: {message}"))
        }
        QueryError::Refused(refusal) => refusal_problem(refusal),
        QueryError::Service(error) => error.into(),
    }
}

/// A read refused to this reader: 403 with the same codes a refused command gets.
pub fn refusal_problem(refusal: ReadRefusal) -> Problem {
    let detail = refusal.to_string();
    Problem::new(StatusCode::FORBIDDEN, refusal.code.as_str(), Some(refusal.field), detail)
}

/// Answers `route`: from the cache when the question is about the latest state and the head has not
/// moved; otherwise computed off the async threads (and, for the latest state, cached). The reader is
/// admitted first (`may_read`), so the cache never answers anyone the rules refuse.
pub async fn answer(
    State(state): State<AppState>,
    route: &'static QueryRoute,
    reading: Reading,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::parse(uri.query(), route.params)?;
    // A table read may be asked for as CSV or XLSX (`export`): made from the same JSON answer.
    let format = crate::http::export::requested(route.path, params.text("format"), &headers);
    let target = (route.reads)(&params)?;
    assert_eq!(target.kind(), route.read_kind, "{} reads what it declares", route.path);
    let reader = reading.reader;
    state.read_models.may_read(&reader, &target).map_err(query_problem)?;
    // Every answer is a function of the question and the chain prefix it reads, so one computed at
    // this head stays right until the head moves (an as-of point past the head is refused); with a
    // follower, until the folded state moves (commands are answered once folded, so a client still
    // reads what it wrote).
    let cacheable = route.caching == Caching::UntilTheHeadMoves && params.bool("proofs") != Some(true);
    let head = state.read_models.latest_seq();
    let key = uri.to_string();
    if cacheable {
        let cached = state.answer_cache.lock().expect("answer cache").get(&key).cloned();
        if let Some((seq, bytes)) = cached {
            if seq == head {
                return crate::http::export::respond(&state, route.path, format, bytes).await;
            }
        }
    }
    let worker_state = state.clone();
    let bytes = tokio::task::spawn_blocking(move || (route.compute)(&worker_state, &reader, &params))
        .await
        .map_err(|e| Problem::internal(&e))??;
    if cacheable {
        let mut cache = state.answer_cache.lock().expect("answer cache");
        if cache.len() >= ANSWER_CACHE_ENTRIES_MAX {
            cache.clear();
        }
        cache.insert(key, (head, bytes.clone()));
    }
    crate::http::export::respond(&state, route.path, format, bytes).await
}
