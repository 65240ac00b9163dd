//! The listings over HTTP, declared as rows of `queries::QUERY_ROUTES` (so the router, the OpenAPI
//! document and the read matrix see them like every other read): `/v1/schemes`, `/v1/indicators`
//! and `/v1/periods`, read as the organisation is (every valid token), and the parameters of the
//! deduction register's filters and pages (`/v1/deductions`).

use crate::http::params::{param, required, ParamKind, Params, QueryParam, AS_OF, UNIT};
use crate::http::problem::Problem;
use crate::http::queries::{json, Caching, QueryRoute};
use crate::http::AppState;
use crate::limits::REGISTER_PAGE_ENTRIES_MAX;
use crate::projection::trace::EvidenceFilter;
use crate::service::listings::RegisterFilter;
use crate::service::queries::{ReadKind, ReadTarget, Reader};

const SCHEME: QueryParam = required("scheme", ParamKind::Scheme, "the scheme (`YS-2017`)");

fn organisation(_: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::Organisation)
}

fn scheme(params: &Params) -> crate::domain::SchemeId {
    params.scheme("scheme").expect("required by the route")
}

/// `GET /v1/schemes`.
pub const SCHEMES: QueryRoute = QueryRoute {
    path: "/v1/schemes",
    summary: "every scheme: issuer, year, base period, windows, bonus cap, how many indicators and opened periods, \
              and its peer groups (its assessed units, then one group per section function code) with their sizes",
    params: &[AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Organisation,
    reads: organisation,
    compute: |state, _, params| json(state.read_models.schemes(params.as_of("as_of"))),
};

/// `GET /v1/indicators?scheme=`.
pub const INDICATORS: QueryRoute = QueryRoute {
    path: "/v1/indicators",
    summary: "the indicators of a scheme: name, description, points, method and tier standards, veto, problem \
              categories, assessor, effective and retired periods; with period=, those in force in that base \
              period, as revised by then",
    params: &[
        SCHEME,
        param(
            "period",
            ParamKind::Period,
            "a base period of the scheme: only the indicators in force then, as revised by then",
        ),
        AS_OF,
    ],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Organisation,
    reads: organisation,
    compute: |state, _, params| {
        json(state.read_models.indicators(&scheme(params), params.period("period"), params.as_of("as_of")))
    },
};

/// `GET /v1/periods?scheme=`.
pub const PERIODS: QueryRoute = QueryRoute {
    path: "/v1/periods",
    summary: "the periods of a scheme: every opened base period with its status (open, published, final), when it \
              was opened and published, until when objections may be filed and whether they still may; and the \
              quarters, halves and year holding them, each with the least advanced status among its months",
    params: &[SCHEME, AS_OF],
    // Whether an objection window is still open depends on the time of asking.
    caching: Caching::Never,
    read_kind: ReadKind::Organisation,
    reads: organisation,
    compute: |state, _, params| {
        let now = state.service.clock().now();
        json(state.read_models.periods(&scheme(params), params.as_of("as_of"), now))
    },
};

/// The deduction register's parameters: whose, when, which, and which page.
pub const REGISTER_PARAMS: &[QueryParam] = &[
    UNIT,
    crate::http::params::PERIOD,
    param(
        "evidence",
        ParamKind::Choice { values: EvidenceFilter::NAMES },
        "any (default: every deduction, withdrawn ones included), missing (standing, no evidence digest) or \
         present (at least one evidence digest)",
    ),
    param("assessor", ParamKind::Unit, "only deductions recorded on behalf of this unit or a unit under it"),
    param(
        "section",
        ParamKind::Unit,
        "only deductions this section answers for: recorded against it, charged to it by a standing cause \
         attribution, or on an indicator it leads when no attribution moves them",
    ),
    param("indicator", ParamKind::Indicator, "only deductions on this indicator"),
    param("category", ParamKind::Category, "only deductions of this problem category"),
    param("offset", ParamKind::Integer { min: 0, max: 1_000_000 }, "entries to skip (default 0): where a page starts"),
    param(
        "limit",
        ParamKind::Integer { min: 1, max: REGISTER_PAGE_ENTRIES_MAX as u64 },
        "entries per page (default 100); the answer's next_offset is where the next page starts",
    ),
    crate::http::export::FORMAT,
    AS_OF,
];

/// The register page a request asks for.
pub fn register(state: &AppState, _: &Reader, params: &Params) -> Result<Vec<u8>, Problem> {
    let filter = RegisterFilter {
        evidence: params.text("evidence").and_then(EvidenceFilter::parse).unwrap_or_default(),
        assessor: params.unit("assessor"),
        section: params.unit("section"),
        indicator: params.text("indicator").map(|text| crate::domain::IndicatorCode::new(text).expect("checked")),
        category: params.text("category").map(|text| crate::domain::ProblemCategory::new(text).expect("checked")),
        offset: params.integer("offset").unwrap_or(0) as usize,
        limit: params.integer("limit").unwrap_or(100) as usize,
    };
    let unit = params.unit("unit").expect("required by the route");
    let period = params.period("period").expect("required by the route");
    json(state.read_models.deduction_page(&unit, period, &filter, params.as_of("as_of")))
}
