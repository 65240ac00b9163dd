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
use crate::projection::{AsOf, Counting, Ranking};
use crate::service::listings::{PeriodStatus, Periods, SchemeListing};
use crate::service::queries::{Answer, QueryError, RankingScope, ReadTarget, Reader, View};
use crate::site::pages::{self, Choice, Overview, Row, Visitor};
use crate::site::{current, failure, html, reader, sign_in_response, text, SiteState};
use crate::tabular::{answers, Format, Lang};

/// The overview's question, as its pickers send it; every part may be left out.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct OverviewQuery {
    scheme: Option<String>,
    /// `units` for the assessed units, or a section function code.
    group: Option<String>,
    period: Option<String>,
    as_of: Option<String>,
    provisional: Option<String>,
    format: Option<String>,
}

/// A question the overview cannot answer, as a page: a refusal, something not there, a malformed part.
enum Refusal {
    Forbidden(String),
    NotFound(String),
    Invalid(String),
    Failure(String),
}

impl From<QueryError> for Refusal {
    fn from(error: QueryError) -> Refusal {
        match error {
            QueryError::Refused(refusal) => Refusal::Forbidden(refusal.to_string()),
            QueryError::NotFound { .. } => Refusal::NotFound(error.to_string()),
            QueryError::Invalid { .. } => Refusal::Invalid(error.to_string()),
            QueryError::Service(error) => Refusal::Failure(error.to_string()),
        }
    }
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

fn parse<T>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
    field: &str,
) -> Result<Option<T>, Refusal> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text).map(Some).map_err(|message| Refusal::Invalid(format!("{field}: {message}"))),
    }
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

/// The period shown when none is asked for: the latest published (or final) base period, else the
/// latest with results, else the latest opened.
fn default_period(periods: &Periods) -> Option<PeriodId> {
    let published = periods.periods.iter().rev().find(|listing| listing.status != PeriodStatus::Open);
    let with_results = || periods.periods.iter().rev().find(|listing| listing.has_results);
    published.or_else(with_results).or(periods.periods.last()).map(|listing| listing.period)
}

fn resolve(site: &SiteState, reader: &Reader, query: &OverviewQuery) -> Result<Outcome, Refusal> {
    let t = text();
    let read_models = &site.app.read_models;
    let now = site.app.service.clock().now();
    let scheme_asked = parse(query.scheme.as_deref(), |text| SchemeId::new(text), "scheme")?;
    let group_asked = parse(
        query.group.as_deref(),
        |text| match text {
            "units" => Ok(None),
            code => FunctionCode::new(code).map(Some),
        },
        "group",
    )?;
    let period_asked = parse(query.period.as_deref(), PeriodId::parse, "period")?;
    let as_of = parse(query.as_of.as_deref(), crate::service::queries::parse_as_of, "as_of")?.unwrap_or(AsOf::Latest);
    let provisional = query.provisional.as_deref() == Some("true");

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
    let counting = if provisional { Counting::Provisional } else { Counting::Published };
    let ranking = read_models.ranking(&scope(&scheme, &group), period, View { as_of, counting })?;
    let as_of_text = query.as_of.clone().unwrap_or_default();
    let resolved = Resolved { schemes, scheme, groups, group, periods, period, as_of, as_of_text, provisional };
    Ok(Outcome::Ranked(Box::new(resolved), ranking))
}

fn period_label(period: PeriodId, status: PeriodStatus) -> String {
    format!("{period}（{}）", text().status(status))
}

fn group_value(group: &Option<FunctionCode>) -> String {
    group.as_ref().map_or_else(|| "units".to_owned(), FunctionCode::to_string)
}

fn group_label(group: &Option<FunctionCode>) -> String {
    let t = text();
    match group {
        None => t.group_units.to_owned(),
        Some(code) => format!("{} {code}", t.group_sections),
    }
}

fn scheme_choices(schemes: &[SchemeListing], selected: Option<&SchemeId>) -> Vec<Choice> {
    schemes
        .iter()
        .map(|listing| Choice {
            value: listing.scheme.to_string(),
            label: format!("{}（{}）", listing.scheme, listing.issuer_name),
            selected: Some(&listing.scheme) == selected,
        })
        .collect()
}

/// The query string of a download of what `resolved` shows.
fn download_query(resolved: &Resolved) -> String {
    let mut parts = vec![
        format!("scheme={}", resolved.scheme),
        format!("group={}", group_value(&resolved.group)),
        format!("period={}", resolved.period),
    ];
    if !resolved.as_of_text.trim().is_empty() {
        parts.push(format!("as_of={}", percent_encode(resolved.as_of_text.trim())));
    }
    if resolved.provisional {
        parts.push("provisional=true".to_owned());
    }
    parts.join("&")
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The chart's data for app.js: labels (names), scores, tiers and their words, and the axis floor.
fn chart_json(ranking: &Ranking) -> String {
    let t = text();
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

fn overview_of(site: &SiteState, resolved: &Resolved, answer: &Answer<Ranking>) -> Overview {
    let t = text();
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
    let mut periods: Vec<Choice> = resolved
        .periods
        .periods
        .iter()
        .map(|listing| Choice {
            value: listing.period.to_string(),
            label: period_label(listing.period, listing.status),
            selected: listing.period == resolved.period,
        })
        .collect();
    periods.extend(resolved.periods.roll_ups.iter().map(|roll_up| Choice {
        value: roll_up.period.to_string(),
        label: period_label(roll_up.period, roll_up.status),
        selected: roll_up.period == resolved.period,
    }));
    if !periods.iter().any(|choice| choice.selected) {
        periods.push(Choice { value: resolved.period.to_string(), label: resolved.period.to_string(), selected: true });
    }
    let mut groups: Vec<Choice> = resolved
        .groups
        .iter()
        .map(|group| Choice {
            value: group_value(group),
            label: group_label(group),
            selected: *group == resolved.group,
        })
        .collect();
    if !groups.iter().any(|choice| choice.selected) {
        groups.push(Choice {
            value: group_value(&resolved.group),
            label: group_label(&resolved.group),
            selected: true,
        });
    }
    let period_note =
        resolved.periods.periods.iter().find(|listing| listing.period == resolved.period).map(|listing| {
            let mut note = format!("{}：{}", resolved.period, t.status(listing.status));
            if let Some(published) = listing.published_at {
                note.push_str(&format!("；{} {}", t.published_at, zone.local_minute(published)));
            }
            if let (true, Some(closes)) = (listing.objection_window_open, listing.objection_window_closes_at) {
                note.push_str(&format!("；{} {}", t.objection_open_until, zone.local_minute(closes)));
            }
            note
        });
    let mut standing = t.as_of_event.replace("{}", &answer.as_of_seq.to_string());
    if let Some(instant) = answer.as_of_instant {
        standing.push_str(&format!("（{instant}）"));
    }
    Overview {
        schemes: scheme_choices(&resolved.schemes, Some(&resolved.scheme)),
        groups,
        periods,
        as_of: match resolved.as_of {
            AsOf::EndOfDay { year, month, day } => format!("{year:04}-{month:02}-{day:02}"),
            _ => String::new(),
        },
        provisional: resolved.provisional,
        heading: format!("{} · {} · {}", resolved.scheme, group_label(&resolved.group), resolved.period),
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
                final_score: standing.final_score.to_string(),
                veto: standing.veto,
            })
            .collect(),
        provisional_periods: ranking.provisional_periods.iter().map(PeriodId::to_string).collect(),
        unassessed: ranking.unassessed_indicators,
        unranked: ranking.unranked.iter().map(named).collect(),
        chart: chart_json(ranking),
        download_query: download_query(resolved),
        empty: ranking.standings.is_empty().then(|| t.no_standings.to_owned()),
    }
}

/// A refusal as a page with its status.
fn refusal_page(refusal: Refusal, visitor: &Visitor<'_>) -> Response {
    let t = text();
    let (status, title, intro, detail) = match &refusal {
        Refusal::Forbidden(detail) => (StatusCode::FORBIDDEN, t.forbidden_title, t.forbidden_intro, detail),
        Refusal::NotFound(detail) => (StatusCode::NOT_FOUND, t.not_found_title, "", detail),
        Refusal::Invalid(detail) => (StatusCode::BAD_REQUEST, t.bad_request_title, "", detail),
        Refusal::Failure(detail) => return failure(detail),
    };
    html(status, pages::message(t, title, intro, Some(detail), Some(visitor)))
}

/// `GET /`: the overview for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let t = text();
    let Some(current) = current(&site, &headers) else {
        return sign_in_response(&site, &headers, &uri, StatusCode::OK, None);
    };
    let signed = current.session.signed.clone();
    let Some((reader, label)) = reader(&site, &current) else {
        let message = (signed != crate::site::session::Signed::Nobody).then_some(t.sign_in_expired);
        return sign_in_response(&site, &headers, &uri, StatusCode::OK, message);
    };
    let visitor = Visitor { label, csrf: &current.session.csrf };
    let Ok(Query(query)) = query else {
        return refusal_page(Refusal::Invalid("query: malformed".to_owned()), &visitor);
    };
    let worker = site.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = resolve(&worker, &reader, &query)?;
        Ok::<_, Refusal>(match outcome {
            Outcome::Ranked(resolved, answer) => Ok(overview_of(&worker, &resolved, &answer)),
            Outcome::Empty(schemes, scheme, message) => Err((schemes, scheme, message)),
        })
    })
    .await;
    match outcome {
        Err(error) => failure(&error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok(Ok(overview))) => html(StatusCode::OK, pages::overview(t, &overview, &visitor)),
        Ok(Ok(Err((schemes, scheme, message)))) => {
            let overview = Overview {
                schemes: scheme_choices(&schemes, scheme.as_ref()),
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
    let t = text();
    let Some(current) = current(&site, &headers) else {
        return html(StatusCode::UNAUTHORIZED, pages::message(t, t.sign_in_title, t.sign_in_expired, None, None));
    };
    let Some((reader, label)) = reader(&site, &current) else {
        return html(StatusCode::UNAUTHORIZED, pages::message(t, t.sign_in_title, t.sign_in_expired, None, None));
    };
    let visitor = Visitor { label, csrf: &current.session.csrf };
    let Ok(Query(query)) = query else {
        return refusal_page(Refusal::Invalid("query: malformed".to_owned()), &visitor);
    };
    let Some(format) = query.format.as_deref().and_then(Format::parse) else {
        return refusal_page(Refusal::Invalid("format: expected csv or xlsx".to_owned()), &visitor);
    };
    let worker = site.clone();
    let made = tokio::task::spawn_blocking(move || {
        let Outcome::Ranked(_, answer) = resolve(&worker, &reader, &query)? else {
            return Err(Refusal::NotFound("period: nothing to rank yet".to_owned()));
        };
        let names = worker
            .app
            .read_models
            .units(AsOf::Seq(answer.as_of_seq))
            .map(|units| units.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
            .unwrap_or_default();
        let workbook = answers::ranking(&answer, &names, Lang::Zh);
        let body = format.write(&workbook).map_err(Refusal::Failure)?;
        Ok((format.file_name(&workbook), body))
    })
    .await;
    match made {
        Err(error) => failure(&error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok((file_name, body))) => crate::http::export::file_response(format, &file_name, body),
    }
}
