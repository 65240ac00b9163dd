//! The overview (`GET /`): a scheme's ranking with tiers for a period, as of a date — pickers, a bar
//! chart, the table, and the marks of what is provisional (open months) or unassessed (tiered
//! indicators without an award, at full points). Its ranking also downloads as CSV or XLSX
//! (`GET /downloads/ranking`).
//!
//! What it shows is judged by `may_read` before anything is read: a group the reader may not see is
//! refused (403) when named, and left out of the picker otherwise.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::domain::{FunctionCode, PeriodId, SchemeId};
use crate::projection::{AsOf, Ranking};
use crate::service::listings::{Periods, SchemeListing};
use crate::service::queries::{Answer, RankingScope, ReadTarget, Reader, View};
use crate::site::pages::{self, Overview, Row};
use crate::site::request::{
    as_of_input, default_period, download_reader, group_choices, group_label, group_value, malformed, page_reader,
    period_choices, period_note, refusal_page, scheme_choices, standing_text, GroupParts, GroupQuery, QueryString,
    Refusal,
};
use crate::site::text::Text;
use crate::site::{failure, html, SiteState};
use crate::tabular::{answers, Format};

/// The overview's question, as its pickers send it; every part may be left out.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct OverviewQuery {
    #[serde(flatten)]
    asked: GroupQuery,
    format: Option<String>,
}

/// The question, parsed and completed with defaults the reader may read.
struct Resolved {
    schemes: Vec<SchemeListing>,
    scheme: SchemeId,
    /// The groups of the scheme the reader may read, and the one shown.
    groups: Vec<Option<FunctionCode>>,
    group: Option<FunctionCode>,
    periods: Periods,
    period: PeriodId,
    as_of: AsOf,
    as_of_text: String,
    provisional: bool,
}

/// What the overview needs, or why there is nothing to show yet (a message) — or a refusal.
enum Outcome {
    Ranked(Box<Resolved>, Answer<Ranking>),
    Empty(Vec<SchemeListing>, Option<SchemeId>, String),
}

fn scope(scheme: &SchemeId, group: &Option<FunctionCode>) -> RankingScope {
    RankingScope::Group { scheme: scheme.clone(), function_code: group.clone() }
}

fn may_read(
    site: &SiteState,
    reader: &Reader,
    scheme: &SchemeId,
    group: &Option<FunctionCode>,
    period: PeriodId,
) -> bool {
    let target = ReadTarget::Ranking { scope: scope(scheme, group), period };
    site.app.read_models.may_read(reader, &target).is_ok()
}

fn resolve(site: &SiteState, reader: &Reader, query: &OverviewQuery, t: &Text) -> Result<Outcome, Refusal> {
    let read_models = &site.app.read_models;
    let now = site.app.service.clock().now();
    let GroupParts { scheme: scheme_asked, group: group_asked, period: period_asked, as_of, provisional } =
        GroupParts::parse(&query.asked)?;
    let as_of = as_of.unwrap_or(AsOf::Latest);

    let schemes = read_models.schemes(AsOf::Latest)?.value.schemes;
    let scheme = match scheme_asked {
        Some(scheme) => scheme,
        None => match schemes.iter().max_by_key(|listing| listing.year) {
            Some(listing) => listing.scheme.clone(),
            None => return Ok(Outcome::Empty(schemes, None, t.no_schemes.to_owned())),
        },
    };
    let Some(listing) = schemes.iter().find(|listing| listing.scheme == scheme).cloned() else {
        return Err(Refusal::NotFound(format!("scheme: no scheme {scheme} is open")));
    };
    let periods = read_models.periods(&scheme, AsOf::Latest, now)?.value;
    let period = match period_asked.or_else(|| default_period(&periods)) {
        Some(period) => period,
        None => return Ok(Outcome::Empty(schemes, Some(scheme), t.no_periods.to_owned())),
    };
    let groups: Vec<Option<FunctionCode>> = listing
        .peer_groups
        .iter()
        .map(|group| group.function_code.clone())
        .filter(|group| may_read(site, reader, &scheme, group, period))
        .collect();
    let group = match group_asked {
        Some(group) => {
            // Named outright: refused by the rules, not quietly replaced.
            let target = ReadTarget::Ranking { scope: scope(&scheme, &group), period };
            read_models.may_read(reader, &target)?;
            group
        }
        None => match groups.first() {
            Some(group) => group.clone(),
            None => {
                read_models.may_read(reader, &ReadTarget::Ranking { scope: scope(&scheme, &None), period })?;
                None
            }
        },
    };
    let counting = GroupParts::counting_of(provisional);
    let ranking = read_models.ranking(&scope(&scheme, &group), period, View { as_of, counting })?;
    let as_of_text = query.asked.as_of.clone().unwrap_or_default();
    let resolved = Resolved { schemes, scheme, groups, group, periods, period, as_of, as_of_text, provisional };
    Ok(Outcome::Ranked(Box::new(resolved), ranking))
}

/// The query string of a download of what `resolved` shows.
fn download_query(resolved: &Resolved) -> String {
    QueryString::new()
        .with("scheme", resolved.scheme.as_str())
        .with("group", group_value(&resolved.group))
        .with("period", resolved.period.to_string())
        .with("as_of", &resolved.as_of_text)
        .with("provisional", if resolved.provisional { "true" } else { "" })
        .to_string()
}

/// The query string of the unit page of `unit`, as the overview shows it (its scheme, period and point).
fn unit_query(resolved: &Resolved, unit: &crate::domain::UnitCode) -> String {
    QueryString::new()
        .with("unit", unit.as_str())
        .with("scheme", resolved.scheme.as_str())
        .with("period", resolved.period.to_string())
        .with("as_of", &resolved.as_of_text)
        .with("provisional", if resolved.provisional { "true" } else { "" })
        .to_string()
}

/// The chart's data for app.js: labels (names), scores, tiers and their words, and the axis floor.
fn chart_json(t: &Text, ranking: &Ranking) -> String {
    let labels: Vec<String> = ranking
        .standings
        .iter()
        .map(|standing| if standing.name.is_empty() { standing.unit.to_string() } else { standing.name.clone() })
        .collect();
    let scores: Vec<f64> = ranking.standings.iter().map(|s| s.final_score.hundredths() as f64 / 100.0).collect();
    let tiers: Vec<u32> = ranking.standings.iter().map(|s| s.tier).collect();
    let tier_labels: Vec<String> = tiers.iter().map(|tier| format!("{}{tier}{}", t.tier_n.0, t.tier_n.1)).collect();
    let lowest = scores.iter().copied().fold(f64::INFINITY, f64::min);
    let min = if lowest.is_finite() { ((lowest - 5.0) / 10.0).floor().max(0.0) * 10.0 } else { 0.0 };
    serde_json::json!({
        "labels": labels, "scores": scores, "tiers": tiers, "tierLabels": tier_labels,
        "scoreName": t.final_score, "min": min,
    })
    .to_string()
}

fn overview_of(site: &SiteState, reader: &Reader, resolved: &Resolved, answer: &Answer<Ranking>, t: &Text) -> Overview {
    let ranking = &answer.value;
    let names: std::collections::BTreeMap<_, _> = site
        .app
        .read_models
        .units(AsOf::Seq(answer.as_of_seq))
        .map(|units| units.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
        .unwrap_or_default();
    let zone = site.app.read_models.time_zone();
    let named = |unit: &crate::domain::UnitCode| match names.get(unit) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    };
    let periods = period_choices(t, &resolved.periods, resolved.period);
    let groups = group_choices(t, &resolved.groups, &resolved.group);
    let period_note = period_note(t, &resolved.periods, resolved.period, zone);
    // A unit's name links to its page only when the reader may read the unit's own facts.
    let readable = |unit: &crate::domain::UnitCode| {
        let target = ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) };
        site.app.read_models.may_read(reader, &target).is_ok()
    };
    let standing = standing_text(t, answer.as_of_seq, answer.as_of_instant, zone);
    Overview {
        schemes: scheme_choices(t, &resolved.schemes, Some(&resolved.scheme)),
        groups,
        periods,
        as_of: as_of_input(resolved.as_of),
        provisional: resolved.provisional,
        heading: format!("{} · {} · {}", resolved.scheme, group_label(t, &resolved.group), resolved.period),
        standing,
        period_note,
        sections: ranking.group.function_code.is_some(),
        rows: ranking
            .standings
            .iter()
            .map(|standing| Row {
                rank: standing.rank,
                tier: standing.tier,
                unit: standing.unit.to_string(),
                name: standing.name.clone(),
                county: standing.parent.as_ref().map(named),
                link: readable(&standing.unit).then(|| unit_query(resolved, &standing.unit)),
                final_score: standing.final_score.to_string(),
                veto: standing.veto,
            })
            .collect(),
        provisional_periods: ranking.provisional_periods.iter().map(PeriodId::to_string).collect(),
        unassessed: ranking.unassessed_indicators,
        unranked: ranking.unranked.iter().map(named).collect(),
        chart: chart_json(t, ranking),
        download_query: download_query(resolved),
        documents_query: crate::site::documents::overview_query(
            site,
            reader,
            &resolved.scheme,
            &resolved.group,
            resolved.period,
            &resolved.as_of_text,
            resolved.provisional,
        ),
        empty: ranking.standings.is_empty().then(|| t.no_standings.to_owned()),
    }
}

/// `GET /`: the overview for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_in = match page_reader(&site, &headers, &uri) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let worker = site.clone();
    let reader = signed_in.reader.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = resolve(&worker, &reader, &query, t)?;
        Ok::<_, Refusal>(match outcome {
            Outcome::Ranked(resolved, answer) => Ok(overview_of(&worker, &reader, &resolved, &answer, t)),
            Outcome::Empty(schemes, scheme, message) => Err((schemes, scheme, message)),
        })
    })
    .await;
    match outcome {
        Err(error) => failure(t, &error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok(Ok(overview))) => html(StatusCode::OK, pages::overview(t, &overview, &visitor)),
        Ok(Ok(Err((schemes, scheme, message)))) => {
            let overview = Overview {
                schemes: scheme_choices(t, &schemes, scheme.as_ref()),
                groups: Vec::new(),
                periods: Vec::new(),
                as_of: String::new(),
                provisional: false,
                heading: String::new(),
                standing: String::new(),
                period_note: None,
                sections: false,
                rows: Vec::new(),
                provisional_periods: Vec::new(),
                unassessed: 0,
                unranked: Vec::new(),
                chart: String::new(),
                download_query: String::new(),
                documents_query: None,
                empty: Some(message),
            };
            html(StatusCode::OK, pages::overview(t, &overview, &visitor))
        }
    }
}

/// `GET /downloads/ranking?…&format=csv|xlsx`: the overview's ranking as a spreadsheet, under the same
/// rules as the page.
pub async fn download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let reader = signed_in.reader.clone();
    let Some(format) = query.format.as_deref().and_then(Format::parse) else {
        return refusal_page(Refusal::Invalid("format: expected csv or xlsx".to_owned()), &visitor);
    };
    let worker = site.clone();
    let made = tokio::task::spawn_blocking(move || {
        let Outcome::Ranked(_, answer) = resolve(&worker, &reader, &query, t)? else {
            return Err(Refusal::NotFound("period: nothing to rank yet".to_owned()));
        };
        let names = worker
            .app
            .read_models
            .units(AsOf::Seq(answer.as_of_seq))
            .map(|units| units.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
            .unwrap_or_default();
        let workbook = answers::ranking(&answer, &names, t.language);
        let body = format.write(&workbook).map_err(Refusal::Failure)?;
        Ok((format.file_name(&workbook), body))
    })
    .await;
    match made {
        Err(error) => failure(t, &error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok((file_name, body))) => crate::http::export::file_response(format, &file_name, body),
    }
}
