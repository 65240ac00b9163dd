//! Individuals and the use of results over HTTP, declared as rows of `queries::QUERY_ROUTES` (so the
//! router, the OpenAPI document and the read matrix see them like every other read): the persons of a
//! unit, a person's scorecard, indicators, weekly records and reviews, a county's individual ranking
//! and annual grades, and the uses of results with whether their basis still holds — names and personal
//! texts opened with the service's person keys, or shown as erased. The commands
//! (weekly records, reviews, grades, result uses …) are routes of `commands`, like every command.

use crate::http::params::{param, required, ParamKind, Params, QueryParam, AS_OF, PROVISIONAL};
use crate::http::problem::Problem;
use crate::http::queries::{json, Caching, QueryRoute};
use crate::service::people::ResultUseFilter;
use crate::service::queries::{ReadKind, ReadTarget, View};

const PERSON: QueryParam = required("person", ParamKind::Person, "a person's staff code (`YS07-0301`)");
const PERSON_PERIOD: QueryParam =
    required("period", ParamKind::Period, "a quarter (`2017-Q3`), a half-year (`2017-H2`) or a year (`2017`)");
const ANY_PERIOD: QueryParam =
    required("period", ParamKind::Period, "a month, quarter, half-year or year: the weeks or base periods within it");
const COUNTY: QueryParam = required("unit", ParamKind::Unit, "the county (`YS07`)");
const YEAR: QueryParam = required("period", ParamKind::Period, "the year (`2017`)");

fn person_target(params: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::Person { field: "person", person: person(params) })
}

fn county_target(params: &Params) -> Result<ReadTarget, Problem> {
    Ok(ReadTarget::IndividualRanking { unit: params.unit("unit").expect("required by the route") })
}

fn person(params: &Params) -> crate::domain::PersonId {
    params.person("person").expect("required by the route")
}

fn period(params: &Params) -> crate::domain::PeriodId {
    params.period("period").expect("required by the route")
}

/// The keys the server's service holds: every answer here opens personal texts with them.
fn keys(state: &crate::http::AppState) -> &crate::service::PersonKeys {
    state.service.person_keys()
}

fn view(params: &Params) -> View {
    View { as_of: params.as_of("as_of"), counting: params.counting() }
}

/// `GET /v1/persons?unit=`.
pub const PERSONS: QueryRoute = QueryRoute {
    path: "/v1/persons",
    summary: "the persons registered in a unit or under it: staff code, name, the unit they belong to on the day \
              asked about, and every stretch (unit and first day) of their career",
    params: &[required("unit", ParamKind::Unit, "a unit: its persons and those of the units under it"), AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Persons,
    reads: |params| Ok(ReadTarget::Persons { unit: params.unit("unit").expect("required by the route") }),
    compute: |state, reader, params| {
        let unit = params.unit("unit").expect("required by the route");
        json(state.read_models.persons(reader, &unit, params.as_of("as_of"), keys(state)))
    },
};

/// `GET /v1/persons/scorecard?person=&period=`.
pub const SCORECARD: QueryRoute = QueryRoute {
    path: "/v1/persons/scorecard",
    summary: "a person's score for a quarter, half-year or year: per quarter the section's quarterly final, the \
              leaders' reviews and review score, the indicators they carry scored per base period, the weights used, \
              missing weekly records and the quarterly score; the mean of the quarters (for a year the annual \
              score), with the individual rank, tier and grade",
    params: &[PERSON, PERSON_PERIOD, AS_OF, PROVISIONAL],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Person,
    reads: person_target,
    compute: |state, _, params| {
        json(state.read_models.person_scorecard(&person(params), period(params), view(params), keys(state)))
    },
};

/// `GET /v1/persons/indicators?person=&period=`.
pub const INDICATORS: QueryRoute = QueryRoute {
    path: "/v1/persons/indicators",
    summary: "the indicators a person carries in the base periods of a period: scheme indicators whose assignment \
              names them as the responsible person (with the lead section) and their personal indicators, each \
              with the first and last base period",
    params: &[PERSON, ANY_PERIOD, AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Person,
    reads: person_target,
    compute: |state, _, params| {
        json(state.read_models.person_indicators(&person(params), period(params), params.as_of("as_of")))
    },
};

/// `GET /v1/persons/weekly-records?person=&period=`.
pub const WEEKLY_RECORDS: QueryRoute = QueryRoute {
    path: "/v1/persons/weekly-records",
    summary: "a person's weekly work records (个人周工作纪实) in the ISO weeks of a period (a week is the month's, \
              quarter's and year's of its Thursday): filed ones with their text, indicators and comments, missing \
              ones (over, in service, nothing filed), open ones",
    params: &[PERSON, ANY_PERIOD, AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Person,
    reads: person_target,
    compute: |state, _, params| {
        json(state.read_models.weekly_records(&person(params), period(params), params.as_of("as_of"), keys(state)))
    },
};

/// `GET /v1/persons/reviews?person=&period=`.
pub const REVIEWS: QueryRoute = QueryRoute {
    path: "/v1/persons/reviews",
    summary: "a person's leader reviews (领导评鉴) in the quarters of a period: each review with its leader, score, \
              comment and whether it is that leader's latest, and each quarter's review score",
    params: &[PERSON, ANY_PERIOD, AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::Person,
    reads: person_target,
    compute: |state, _, params| {
        json(state.read_models.person_reviews(&person(params), period(params), params.as_of("as_of"), keys(state)))
    },
};

/// `GET /v1/individual-rankings?unit=&period=`.
pub const INDIVIDUAL_RANKING: QueryRoute = QueryRoute {
    path: "/v1/individual-rankings",
    summary: "a county's individual ranking of a year: its participants (counted in a section of the county for at \
              least one month of Q4) by annual score, competition rank and tier, the unranked ones, the 优秀 quota \
              and how many are graded 优秀",
    params: &[COUNTY, YEAR, AS_OF, PROVISIONAL],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::IndividualRanking,
    reads: county_target,
    compute: |state, _, params| {
        let county = params.unit("unit").expect("required by the route");
        json(state.read_models.individual_ranking(&county, period(params), view(params), keys(state)))
    },
};

/// `GET /v1/annual-grades?unit=&period=`.
pub const GRADES: QueryRoute = QueryRoute {
    path: "/v1/annual-grades",
    summary: "a county's annual grades of a year: each person's latest grade with the individual ranking it was \
              checked against when recorded, their standing then and now, and — like a use of results — whether \
              any later event changed their rank or tier (basis_changed, with those events) and whether the basis \
              holds now",
    params: &[COUNTY, YEAR, AS_OF],
    caching: Caching::UntilTheHeadMoves,
    read_kind: ReadKind::IndividualRanking,
    reads: county_target,
    compute: |state, _, params| {
        let county = params.unit("unit").expect("required by the route");
        json(state.read_models.grades(&county, period(params), params.as_of("as_of"), keys(state)))
    },
};

/// `GET /v1/result-uses`.
pub const RESULT_USES: QueryRoute = QueryRoute {
    path: "/v1/result-uses",
    summary:
        "the uses of results (结果运用: notices, honours, priorities) the reader's scope holds, each with the view \
              and chain position it relied on, the subject's standing then and now, every later event that changed \
              its rank or tier (basis_changed stays set once set) and whether the basis holds now",
    params: &[
        param("unit", ParamKind::Unit, "only uses about this unit or a unit under it (for a person: their county)"),
        param("person", ParamKind::Person, "only uses about this person"),
        param("changed", ParamKind::Bool, "true: only uses whose basis changed"),
        AS_OF,
    ],
    caching: Caching::Never,
    read_kind: ReadKind::ResultUses,
    reads: |params| Ok(ReadTarget::ResultUses { unit: params.unit("unit") }),
    compute: |state, reader, params| {
        let filter = ResultUseFilter {
            unit: params.unit("unit"),
            person: params.person("person"),
            changed_only: params.bool("changed") == Some(true),
        };
        json(state.read_models.result_uses(reader, &filter, params.as_of("as_of")))
    },
};
