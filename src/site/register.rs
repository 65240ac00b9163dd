//! The deduction register (扣分台账, `GET /register?unit=…&period=…&assessor=…&section=…&indicator=…
//! &category=…&evidence=…&offset=…&limit=…&as_of=…`): every deduction recorded against a unit and the
//! units under it in a period, filtered and cut into pages (a page size to choose, previous and next
//! links that keep the filters), and downloadable whole — every page of the filtered register — as
//! CSV or XLSX (`GET /downloads/register?…&format=csv|xlsx`, through `tabular`).
//!
//! Invariant: it reads the register only through the service's `deduction_page`, the read behind the
//! API's `/v1/deductions`, after the same `may_read` (the unit's own facts), so a page and a download
//! hold exactly the entries the API would answer for the same filters; a unit the reader may not read
//! is refused (403) before anything is read.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::domain::{IndicatorCode, PeriodId, PeriodKind, ProblemCategory, UnitCode};
use crate::limits::{self, REGISTER_PAGE_ENTRIES_MAX, SITE_REGISTER_DOWNLOAD_ENTRIES_MAX};
use crate::projection::trace::EvidenceFilter;
use crate::projection::AsOf;
use crate::service::listings::{RegisterFilter, RegisterPage};
use crate::service::queries::{Answer, ReadTarget, Reader, UnitListing};
use crate::site::pages::{self, Choice, RegisterRow};
use crate::site::request::{
    as_of_input, blocking_page, download_reader, malformed, parse, refusal_page, standing_text, QueryString, Refusal,
};
use crate::site::text::Text;
use crate::site::{failure, SiteState};
use crate::tabular::{answers, Format};

/// The register's question, as its filters and links send it; every part may be left out (the
/// reader's own unit, the latest scheme year, no filter, the first page).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RegisterQuery {
    unit: Option<String>,
    period: Option<String>,
    assessor: Option<String>,
    section: Option<String>,
    indicator: Option<String>,
    category: Option<String>,
    evidence: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
    as_of: Option<String>,
    format: Option<String>,
}

/// The question, parsed and completed with defaults.
struct Resolved {
    unit: UnitCode,
    period: PeriodId,
    filter: RegisterFilter,
    as_of: AsOf,
    as_of_text: String,
    units: Vec<UnitListing>,
    /// The periods of every scheme (base periods and roll-ups), for the picker.
    periods: BTreeSet<PeriodId>,
}

fn evidence_name(filter: EvidenceFilter) -> &'static str {
    match filter {
        EvidenceFilter::Any => "any",
        EvidenceFilter::Missing => "missing",
        EvidenceFilter::Present => "present",
    }
}

fn whole_number(max: usize) -> impl Fn(&str) -> Result<usize, String> {
    move |text: &str| match text.parse::<usize>() {
        Ok(value) if value <= max => Ok(value),
        _ => Err(format!("expected a whole number from 0 to {max}, got {text:?}")),
    }
}

fn resolve(site: &SiteState, reader: &Reader, query: &RegisterQuery, t: &Text) -> Result<Resolved, Refusal> {
    let read_models = &site.app.read_models;
    let unit_asked = parse(query.unit.as_deref(), |text| UnitCode::new(text), "unit")?;
    let period_asked = parse(query.period.as_deref(), PeriodId::parse, "period")?;
    let evidence = parse(
        query.evidence.as_deref(),
        |text| EvidenceFilter::parse(text).ok_or_else(|| format!("expected any, missing or present, got {text:?}")),
        "evidence",
    )?;
    let limit = parse(query.limit.as_deref(), whole_number(REGISTER_PAGE_ENTRIES_MAX), "limit")?;
    if limit == Some(0) {
        return Err(Refusal::Invalid(format!("limit: expected a whole number from 1 to {REGISTER_PAGE_ENTRIES_MAX}")));
    }
    let filter = RegisterFilter {
        evidence: evidence.unwrap_or_default(),
        assessor: parse(query.assessor.as_deref(), |text| UnitCode::new(text), "assessor")?,
        section: parse(query.section.as_deref(), |text| UnitCode::new(text), "section")?,
        indicator: parse(query.indicator.as_deref(), |text| IndicatorCode::new(text), "indicator")?,
        category: parse(query.category.as_deref(), |text| ProblemCategory::new(text), "category")?,
        offset: parse(query.offset.as_deref(), whole_number(1_000_000), "offset")?.unwrap_or(0),
        limit: limit.unwrap_or(limits::REGISTER_PAGE_SIZE_DEFAULT),
    };
    let as_of = parse(query.as_of.as_deref(), crate::service::queries::parse_as_of, "as_of")?.unwrap_or(AsOf::Latest);

    let units = read_models.units(AsOf::Latest)?.value.units;
    let unit = match (unit_asked, reader) {
        (Some(unit), _) => unit,
        (None, Reader::Token(actor)) => actor.unit.clone(),
        (None, Reader::Local) => match units.iter().find(|listing| listing.parent.is_none()) {
            Some(top) => top.unit.clone(),
            None => return Err(Refusal::NotFound("unit: no unit is registered".to_owned())),
        },
    };
    // Judged first, as the API judges `/v1/deductions`: nothing is read about a unit the reader may not see.
    read_models.may_read(reader, &ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) })?;
    let now = site.app.service.clock().now();
    let schemes = read_models.schemes(AsOf::Latest)?.value.schemes;
    let mut periods = BTreeSet::new();
    for listing in &schemes {
        let listed = read_models.periods(&listing.scheme, AsOf::Latest, now)?.value;
        periods.extend(listed.periods.iter().map(|period| period.period));
        periods.extend(listed.roll_ups.iter().map(|roll_up| roll_up.period));
    }
    let latest_year = schemes.iter().map(|listing| listing.year).max();
    let period = match period_asked.or_else(|| latest_year.and_then(|year| PeriodId::new(year, PeriodKind::Year, 1))) {
        Some(period) => period,
        None => return Err(Refusal::NotFound(format!("period: {}", t.no_schemes))),
    };
    let as_of_text = query.as_of.clone().unwrap_or_default();
    Ok(Resolved { unit, period, filter, as_of, as_of_text, units, periods })
}

/// The register's page (or, for a download, every entry the filters admit) as the service answers it.
fn read(site: &SiteState, resolved: &Resolved) -> Result<Answer<RegisterPage>, Refusal> {
    Ok(site.app.read_models.deduction_page(&resolved.unit, resolved.period, &resolved.filter, resolved.as_of)?)
}

/// The filters of `resolved` as a query string (no page), for links and downloads.
fn filters_query(resolved: &Resolved) -> QueryString {
    let filter = &resolved.filter;
    QueryString::new()
        .with("unit", resolved.unit.as_str())
        .with("period", resolved.period.to_string())
        .with_some("assessor", filter.assessor.as_ref().map(UnitCode::as_str))
        .with_some("section", filter.section.as_ref().map(UnitCode::as_str))
        .with_some("indicator", filter.indicator.as_ref().map(IndicatorCode::as_str))
        .with_some("category", filter.category.as_ref().map(ProblemCategory::as_str))
        .with_some("evidence", (filter.evidence != EvidenceFilter::Any).then(|| evidence_name(filter.evidence)))
        .with("as_of", &resolved.as_of_text)
}

/// The query of the page starting at `offset`, filters and page size kept.
fn page_query(resolved: &Resolved, offset: usize) -> String {
    let query = filters_query(resolved).with("limit", resolved.filter.limit.to_string());
    match offset {
        0 => query.to_string(),
        offset => query.with("offset", offset.to_string()).to_string(),
    }
}

/// The query of the trace page that shows `entry`'s events: its unit, scheme and base period, as of the
/// register's point, at the deduction's event.
fn trace_query(resolved: &Resolved, entry: &crate::projection::trace::RegisterEntry) -> String {
    let query = QueryString::new()
        .with("unit", entry.unit.as_str())
        .with("scheme", entry.scheme.as_str())
        .with("period", entry.period.to_string())
        .with("as_of", &resolved.as_of_text);
    format!("{query}#event-{}", entry.event.seq)
}

/// Whether `unit` is `ancestor` or lies under it, by the organisation's parents.
fn within(parents: &BTreeMap<&UnitCode, Option<&UnitCode>>, unit: &UnitCode, ancestor: &UnitCode) -> bool {
    let mut at = Some(unit);
    let mut steps = 0;
    while let Some(code) = at {
        if code == ancestor {
            return true;
        }
        at = parents.get(code).copied().flatten();
        steps += 1;
        if steps > parents.len() {
            return false;
        }
    }
    false
}

/// A picker with `全部` (no filter) first, and the selected value added when the list lacks it.
fn choices_with_all(t: &Text, options: Vec<(String, String)>, selected: Option<&str>) -> Vec<Choice> {
    let mut choices = vec![Choice { value: String::new(), label: t.all.to_owned(), selected: selected.is_none() }];
    choices.extend(options.into_iter().map(|(value, label)| {
        let selected = selected == Some(value.as_str());
        Choice { value, label, selected }
    }));
    if let Some(selected) = selected.filter(|value| !choices.iter().any(|choice| choice.value == *value)) {
        choices.push(Choice { value: selected.to_owned(), label: selected.to_owned(), selected: true });
    }
    choices
}

fn register_page(
    site: &SiteState,
    reader: &Reader,
    resolved: &Resolved,
    answer: &Answer<RegisterPage>,
    t: &Text,
) -> Result<pages::RegisterPage, Refusal> {
    let read_models = &site.app.read_models;
    let page = &answer.value;
    let names: BTreeMap<UnitCode, String> = read_models
        .units(AsOf::Seq(answer.as_of_seq))?
        .value
        .units
        .into_iter()
        .map(|listing| (listing.unit, listing.name))
        .collect();
    let named = |unit: &UnitCode| match names.get(unit) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    };
    let zone = read_models.time_zone();
    let parents: BTreeMap<&UnitCode, Option<&UnitCode>> =
        resolved.units.iter().map(|listing| (&listing.unit, listing.parent.as_ref())).collect();
    let unit_target = |unit: &UnitCode| ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) };
    let units = resolved
        .units
        .iter()
        .filter(|listing| {
            listing.unit == resolved.unit || read_models.may_read(reader, &unit_target(&listing.unit)).is_ok()
        })
        .map(|listing| Choice {
            value: listing.unit.to_string(),
            label: format!("{} {}", listing.unit, listing.name),
            selected: listing.unit == resolved.unit,
        })
        .collect();
    let mut periods: Vec<PeriodId> = resolved.periods.iter().copied().collect();
    if !periods.contains(&resolved.period) {
        periods.push(resolved.period);
    }
    periods.sort_by_key(|period| {
        (std::cmp::Reverse(period.year()), std::cmp::Reverse(period.kind().months()), period.start_month())
    });
    let periods = periods
        .into_iter()
        .map(|period| Choice {
            value: period.to_string(),
            label: period.to_string(),
            selected: period == resolved.period,
        })
        .collect();
    let assessors = resolved
        .units
        .iter()
        .filter(|listing| !listing.level.is_section())
        .map(|listing| (listing.unit.to_string(), format!("{} {}", listing.unit, listing.name)))
        .collect();
    let sections = resolved
        .units
        .iter()
        .filter(|listing| listing.level.is_section() && within(&parents, &listing.unit, &resolved.unit))
        .map(|listing| (listing.unit.to_string(), format!("{} {}", listing.unit, listing.name)))
        .collect();
    // The indicators and problem categories of the schemes of the period's year.
    let mut indicators: BTreeMap<String, String> = BTreeMap::new();
    let mut categories: BTreeSet<String> = BTreeSet::new();
    for listing in read_models.schemes(AsOf::Latest)?.value.schemes.iter().filter(|s| s.year == resolved.period.year())
    {
        for indicator in read_models.indicators(&listing.scheme, None, AsOf::Latest)?.value.indicators {
            categories.extend(indicator.problem_categories.iter().map(ToString::to_string));
            let label = format!("{} {}", indicator.indicator, indicator.name);
            indicators.entry(indicator.indicator.to_string()).or_insert(label);
        }
    }
    let filter = &resolved.filter;
    let evidence = [EvidenceFilter::Any, EvidenceFilter::Missing, EvidenceFilter::Present]
        .into_iter()
        .map(|option| Choice {
            value: evidence_name(option).to_owned(),
            label: match option {
                EvidenceFilter::Any => t.evidence_any,
                EvidenceFilter::Missing => t.evidence_missing,
                EvidenceFilter::Present => t.evidence_present,
            }
            .to_owned(),
            selected: option == filter.evidence,
        })
        .collect();
    let mut sizes: Vec<usize> = limits::REGISTER_PAGE_SIZES.to_vec();
    if !sizes.contains(&filter.limit) {
        sizes.push(filter.limit);
        sizes.sort_unstable();
    }
    let page_sizes = sizes
        .into_iter()
        .map(|size| Choice { value: size.to_string(), label: size.to_string(), selected: size == filter.limit })
        .collect();
    let shown = page.register.deductions.len();
    let from = if shown == 0 { 0 } else { page.offset + 1 };
    let page_info = t
        .page_info
        .replace("{from}", &from.to_string())
        .replace("{to}", &(page.offset + shown).to_string())
        .replace("{total}", &page.total.to_string());
    let filing = crate::site::appeals::may_file(reader);
    let rows = page
        .register
        .deductions
        .iter()
        .map(|entry| RegisterRow {
            period: entry.period.to_string(),
            unit: entry.unit.to_string(),
            name: names.get(&entry.unit).cloned().unwrap_or_default(),
            indicator: entry.indicator.to_string(),
            assessor: named(&entry.assessor),
            recorded_at: zone.local_minute(entry.recorded_at),
            seq: entry.event.seq,
            points: entry.points.to_string(),
            effective: entry.effective.to_string(),
            reason: entry.reason.clone(),
            category: entry.problem_category.to_string(),
            evidence: entry.evidence_digests.len(),
            evidence_missing: entry.evidence_missing,
            withdrawn: entry.withdrawn.as_ref().map(|event| event.seq),
            cause_unit: entry.cause_unit.as_ref().map(named).unwrap_or_default(),
            appeals: entry.appeals,
            appeal_link: (filing && entry.withdrawn.is_none())
                .then(|| crate::site::appeals::file_link(&entry.deduction_id)),
            trace: Some(trace_query(resolved, entry)),
        })
        .collect();
    Ok(pages::RegisterPage {
        units,
        periods,
        assessors: choices_with_all(t, assessors, filter.assessor.as_ref().map(UnitCode::as_str)),
        sections: choices_with_all(t, sections, filter.section.as_ref().map(UnitCode::as_str)),
        indicators: choices_with_all(
            t,
            indicators.into_iter().collect(),
            filter.indicator.as_ref().map(IndicatorCode::as_str),
        ),
        categories: choices_with_all(
            t,
            categories.into_iter().map(|category| (category.clone(), category)).collect(),
            filter.category.as_ref().map(ProblemCategory::as_str),
        ),
        evidence,
        page_sizes,
        as_of: as_of_input(resolved.as_of),
        heading: format!("{} · {}", named(&resolved.unit), resolved.period),
        standing: standing_text(t, answer.as_of_seq, answer.as_of_instant, zone),
        total: page.total,
        without_evidence: page.register.without_evidence_count,
        rows,
        page_info,
        previous: (page.offset > 0).then(|| page_query(resolved, page.offset.saturating_sub(filter.limit))),
        next: page.next_offset.map(|offset| page_query(resolved, offset)),
        download_query: filters_query(resolved).to_string(),
    })
}

/// `GET /register`: the register for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<RegisterQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(site, &headers, &uri, query, made, pages::register).await
}

/// The register page for `query`.
fn made(
    site: &SiteState,
    reader: &Reader,
    query: &RegisterQuery,
    t: &Text,
) -> Result<(StatusCode, pages::RegisterPage), Refusal> {
    let resolved = resolve(site, reader, query, t)?;
    let answer = read(site, &resolved)?;
    Ok((StatusCode::OK, register_page(site, reader, &resolved, &answer, t)?))
}

/// `GET /downloads/register?…&format=csv|xlsx`: every entry of the filtered register (not one page)
/// as a spreadsheet, under the same rules as the page.
pub async fn download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    query: Result<Query<RegisterQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let Some(format) = query.format.as_deref().and_then(Format::parse) else {
        return refusal_page(Refusal::Invalid("format: expected csv or xlsx".to_owned()), &visitor);
    };
    let (worker, reader) = (site.clone(), signed_in.reader.clone());
    let made = tokio::task::spawn_blocking(move || {
        let mut resolved = resolve(&worker, &reader, &query, t)?;
        resolved.filter.offset = 0;
        resolved.filter.limit = SITE_REGISTER_DOWNLOAD_ENTRIES_MAX;
        let answer = read(&worker, &resolved)?;
        if answer.value.total > SITE_REGISTER_DOWNLOAD_ENTRIES_MAX {
            let message = format!(
                "{}{}",
                t.register_too_long,
                t.marks.paren(format!("{} > {SITE_REGISTER_DOWNLOAD_ENTRIES_MAX}", answer.value.total))
            );
            return Err(Refusal::Invalid(message));
        }
        let names = worker
            .app
            .read_models
            .units(AsOf::Seq(answer.as_of_seq))?
            .value
            .units
            .into_iter()
            .map(|listing| (listing.unit, listing.name))
            .collect();
        let workbook = answers::register(&answer, &names, t.language);
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
