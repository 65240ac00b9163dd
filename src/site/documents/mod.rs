//! The documents (文书): for a scheme's peer group and a period, as of a date, the papers a
//! performance office issues, each printable on A4 (the style sheet's print rules: no navigation,
//! page numbers, a footer on every page naming where in the chain the document was read).
//!
//! - `GET /documents` — the index: pickers, and the three documents of the choice, linked.
//! - `GET /documents/bulletin?…` — the monthly bulletin (通报): each member's score, rank and tier
//!   with their change from the period before, every loss with its reason, the repeat problems, the
//!   praise and criticism proposed: what `/v1/bulletin` answers for the same question (`bulletin`).
//! - `GET /documents/horizontal?…` — the horizontal comparison table (横向比较情况表): every ranked
//!   member side by side, each column what `/v1/comparisons/horizontal` answers for it (`table`).
//! - `GET /documents/analysis?…` — the analysis report (分析报告): ranking movement against the
//!   period before, losses by problem category and by section (charts), repeat problems, indicators
//!   per section over the scheme years (`analysis`).
//! - `GET /downloads/bulletin|horizontal?…&format=csv|xlsx` — the bulletin and the table as
//!   spreadsheets (`tabular::answers::bulletin`, `horizontal_table`).
//!
//! The question is the overview's: `scheme`, `group` (`units` or a section function code), `period`,
//! `as_of`, `provisional`; every part may be left out (the latest scheme with a group the reader may
//! read, its first such group, its latest published period).
//!
//! Invariant: a document is judged as the API's routes for the same answers judge them — the group's
//! detail first, before anything is read (`/v1/bulletin`, `/v1/notices`: the scheme's issuer in the
//! reader's scope), then, once the group's members are known, every member's own facts
//! (`/v1/comparisons/horizontal`, `/v1/indicator-load`) — and refused whole (403) before anything is
//! shown otherwise. Every figure it shows is a figure of the service's answers at one point of the
//! chain (the first answer's `as_of_seq`, which the later reads are asked at), laid out, never
//! computed again here (the analysis adds answers' figures up, and says so). Its footer names that
//! point (sequence number and event hash) and the latest signed checkpoint, the
//! one `/v1/checkpoint` gives, signed after the document was read.

mod analysis;
mod bulletin;
mod table;
pub mod templates;

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::domain::{FunctionCode, IndicatorCode, PeriodId, Points, SchemeId, UnitCode};
use crate::projection::AsOf;
use crate::service::listings::{Periods, SchemeListing};
use crate::service::queries::{Answer, RankingScope, ReadTarget, Reader, UnitListing, View};
use crate::site::request::{
    as_of_input, default_period, download_reader, group_choices, group_label, group_value, malformed, page_reader,
    period_choices, period_note, refusal_page, standing_text, GroupParts, GroupQuery, QueryString, Refusal,
};
use crate::site::text::Text;
use crate::site::{failure, html, SiteState};
use crate::tabular::Format;
use templates::{ChainFooter, DocumentHead, Toolbar};

/// A document's question, as the pickers and the links send it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DocumentQuery {
    #[serde(flatten)]
    asked: GroupQuery,
    format: Option<String>,
}

/// The documents, and the index that links them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Index,
    Bulletin,
    Table,
    Analysis,
}

impl Kind {
    pub const DOCUMENTS: [Kind; 3] = [Kind::Bulletin, Kind::Table, Kind::Analysis];

    pub const fn path(self) -> &'static str {
        match self {
            Kind::Index => "/documents",
            Kind::Bulletin => "/documents/bulletin",
            Kind::Table => "/documents/horizontal",
            Kind::Analysis => "/documents/analysis",
        }
    }

    pub fn title(self, t: &Text) -> &'static str {
        let words = t.documents;
        match self {
            Kind::Index => words.title,
            Kind::Bulletin => words.bulletin_title,
            Kind::Table => words.table_title,
            Kind::Analysis => words.analysis_title,
        }
    }

    pub fn about(self, t: &Text) -> &'static str {
        let words = t.documents;
        match self {
            Kind::Index => words.intro,
            Kind::Bulletin => words.bulletin_about,
            Kind::Table => words.table_about,
            Kind::Analysis => words.analysis_about,
        }
    }

    /// The name of its spreadsheet download (`/downloads/<name>`), for those that have one.
    pub const fn download(self) -> Option<&'static str> {
        match self {
            Kind::Bulletin => Some("bulletin"),
            Kind::Table => Some("horizontal"),
            Kind::Index | Kind::Analysis => None,
        }
    }
}

/// The question, parsed and completed with defaults the reader may read.
pub(crate) struct Resolved {
    /// The schemes with a group the reader may read (and the one asked about).
    schemes: Vec<SchemeListing>,
    listing: SchemeListing,
    /// The groups of the scheme whose documents the reader may read, and the one shown.
    groups: Vec<Option<FunctionCode>>,
    group: Option<FunctionCode>,
    periods: Periods,
    period: PeriodId,
    as_of: AsOf,
    as_of_text: String,
    provisional: bool,
}

impl Resolved {
    pub(crate) fn scheme(&self) -> &SchemeId {
        &self.listing.scheme
    }

    pub(crate) fn scope(&self) -> RankingScope {
        scope(self.scheme(), &self.group)
    }

    /// The question's view: its point, and whether open months count.
    pub(crate) fn view(&self) -> View {
        let counting = match self.provisional {
            true => crate::projection::Counting::Provisional,
            false => crate::projection::Counting::Published,
        };
        View { as_of: self.as_of, counting }
    }

    /// The same question at the point a first answer stood at: every later read of a document.
    pub(crate) fn at(&self, seq: u64) -> View {
        View { as_of: AsOf::Seq(seq), ..self.view() }
    }

    /// The query string of this question (without `format`), for links and downloads.
    pub(crate) fn query(&self) -> String {
        QueryString::new()
            .with("scheme", self.scheme().as_str())
            .with("group", group_value(&self.group))
            .with("period", self.period.to_string())
            .with("as_of", &self.as_of_text)
            .with("provisional", if self.provisional { "true" } else { "" })
            .to_string()
    }

    /// The head of a document made from `answer` (read at its `as_of_seq`; its `as_of_instant` the
    /// point asked about).
    pub(crate) fn head<T>(
        &self,
        site: &SiteState,
        t: &Text,
        kind: Kind,
        answer: &Answer<T>,
        provisional_periods: &[PeriodId],
        unassessed: usize,
    ) -> DocumentHead {
        let zone = site.app.read_models.time_zone();
        DocumentHead {
            title: kind.title(t),
            issuer: format!("{} {}", self.listing.issuer, self.listing.issuer_name),
            heading: format!("{} · {} · {}", self.scheme(), group_label(t, &self.group), self.period),
            standing: standing_text(t, answer.as_of_seq, answer.as_of_instant, zone),
            period_note: period_note(t, &self.periods, self.period, zone),
            provisional_periods: provisional_periods.iter().map(PeriodId::to_string).collect(),
            unassessed,
        }
    }
}

fn scope(scheme: &SchemeId, group: &Option<FunctionCode>) -> RankingScope {
    RankingScope::Group { scheme: scheme.clone(), function_code: group.clone() }
}

/// What the group's documents reveal beyond its ranking table: the rule of `/v1/bulletin`.
fn detail(scheme: &SchemeId, group: &Option<FunctionCode>, period: PeriodId) -> ReadTarget {
    ReadTarget::GroupDetail { scope: scope(scheme, group), period }
}

/// The groups of `listing` whose documents `reader` may read.
fn readable_groups(
    site: &SiteState,
    reader: &Reader,
    listing: &SchemeListing,
    period: PeriodId,
) -> Vec<Option<FunctionCode>> {
    listing
        .peer_groups
        .iter()
        .map(|group| group.function_code.clone())
        .filter(|group| site.app.read_models.may_read(reader, &detail(&listing.scheme, group, period)).is_ok())
        .collect()
}

/// A period of `listing`'s year, to judge its groups by before a period is chosen (the rule does not
/// depend on it for a group named by its scheme).
fn some_period(listing: &SchemeListing) -> Option<PeriodId> {
    PeriodId::all_in_year(listing.year, listing.base_period).first().copied()
}

pub(crate) fn resolve(site: &SiteState, reader: &Reader, query: &DocumentQuery) -> Result<Resolved, Refusal> {
    let read_models = &site.app.read_models;
    let now = site.app.service.clock().now();
    let GroupParts { scheme: scheme_asked, group: group_asked, period: period_asked, as_of, provisional } =
        GroupParts::parse(&query.asked)?;
    let as_of = as_of.unwrap_or(AsOf::Latest);

    let all = read_models.schemes(AsOf::Latest)?.value.schemes;
    let mut schemes: Vec<SchemeListing> = all
        .iter()
        .filter(|listing| {
            some_period(listing).is_some_and(|period| !readable_groups(site, reader, listing, period).is_empty())
        })
        .cloned()
        .collect();
    let scheme = match scheme_asked {
        Some(scheme) => scheme,
        // The latest year's first scheme (in the listing's order) with a group the reader may read.
        None => match schemes.iter().rev().max_by_key(|listing| listing.year) {
            Some(listing) => listing.scheme.clone(),
            None => {
                // Nothing readable: refused as the rules refuse the first scheme's group of units.
                let Some(listing) = all.first() else {
                    return Err(Refusal::NotFound("scheme: no scheme is open yet".to_owned()));
                };
                let period = some_period(listing).ok_or_else(|| Refusal::NotFound("period: none".to_owned()))?;
                read_models.may_read(reader, &detail(&listing.scheme, &None, period))?;
                return Err(Refusal::NotFound(format!("scheme: {} has no peer group", listing.scheme)));
            }
        },
    };
    let Some(listing) = all.iter().find(|listing| listing.scheme == scheme).cloned() else {
        return Err(Refusal::NotFound(format!("scheme: no scheme {scheme} is open")));
    };
    if !schemes.iter().any(|other| other.scheme == scheme) {
        schemes.push(listing.clone());
    }
    let periods = read_models.periods(&scheme, AsOf::Latest, now)?.value;
    let Some(period) = period_asked.or_else(|| default_period(&periods)) else {
        return Err(Refusal::NotFound(format!("period: no period of {scheme} is opened yet")));
    };
    let groups = readable_groups(site, reader, &listing, period);
    let group = match group_asked {
        // Named outright: refused by the rules, not quietly replaced.
        Some(group) => {
            read_models.may_read(reader, &detail(&scheme, &group, period))?;
            group
        }
        None => match groups.first() {
            Some(group) => group.clone(),
            None => {
                read_models.may_read(reader, &detail(&scheme, &None, period))?;
                None
            }
        },
    };
    let as_of_text = query.asked.as_of.clone().unwrap_or_default();
    Ok(Resolved { schemes, listing, groups, group, periods, period, as_of, as_of_text, provisional })
}

/// Every member of a group must be readable on its own (`/v1/comparisons/horizontal`'s rule): the
/// documents that show each member's comparison ask it for each.
pub(crate) fn may_read_members<'a>(
    site: &SiteState,
    reader: &Reader,
    members: impl IntoIterator<Item = &'a UnitCode>,
) -> Result<(), Refusal> {
    for unit in members {
        let target = ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) };
        site.app.read_models.may_read(reader, &target)?;
    }
    Ok(())
}

/// The units as the ledger stood at `seq`, by code.
pub(crate) fn units_at(site: &SiteState, seq: u64) -> Result<BTreeMap<UnitCode, UnitListing>, Refusal> {
    let units = site.app.read_models.units(AsOf::Seq(seq))?.value.units;
    Ok(units.into_iter().map(|listing| (listing.unit.clone(), listing)).collect())
}

/// Unit names by code, for `tabular`.
pub(crate) fn names(units: &BTreeMap<UnitCode, UnitListing>) -> BTreeMap<UnitCode, String> {
    units.iter().map(|(code, listing)| (code.clone(), listing.name.clone())).collect()
}

/// The names of the scheme's indicators as the ledger stood at `seq`.
pub(crate) fn indicator_names(
    site: &SiteState,
    scheme: &SchemeId,
    seq: u64,
) -> Result<BTreeMap<IndicatorCode, String>, Refusal> {
    let listing = site.app.read_models.indicators(scheme, None, AsOf::Seq(seq))?.value;
    Ok(listing.indicators.into_iter().map(|indicator| (indicator.indicator, indicator.name)).collect())
}

/// `unit` with its name (`YS07 丙县国家税务局`).
pub(crate) fn named(units: &BTreeMap<UnitCode, UnitListing>, unit: &UnitCode) -> String {
    match units.get(unit).filter(|listing| !listing.name.is_empty()) {
        Some(listing) => format!("{unit} {}", listing.name),
        None => unit.to_string(),
    }
}

/// A change in points as a signed number (`+1.50`, `-2.00`, `0.00`), blank when there is none.
pub(crate) fn signed_points(value: Option<Points>) -> String {
    value.map_or_else(String::new, |value| if value > Points::ZERO { format!("+{value}") } else { value.to_string() })
}

/// A change in places or tiers as a signed number (`+1`, `-2`, `0`), blank when there is none.
pub(crate) fn signed_count(value: Option<i64>) -> String {
    value.map_or_else(String::new, |value| if value > 0 { format!("+{value}") } else { value.to_string() })
}

/// The footer of a document read at `seq`: that event's hash, and the latest signed checkpoint (the
/// API's, signed now if the last one no longer covers the head).
async fn chain_footer(site: &SiteState, seq: u64) -> Result<ChainFooter, Refusal> {
    let checkpoint = crate::http::ledger_reads::fresh_checkpoint(&site.app)
        .await
        .map_err(|problem| Refusal::Failure(problem.detail))?;
    let records = site.app.service.records();
    let hash = tokio::task::spawn_blocking(move || {
        let head = records.head();
        if head.seq == seq {
            return Ok(head.hash.to_string());
        }
        let page = records.page(seq, 1).map_err(|error| error.to_string())?;
        match page.events.first().filter(|event| event.seq == seq) {
            Some(event) => Ok(event.hash.to_string()),
            None => Err(format!("event {seq} is not in the ledger")),
        }
    })
    .await
    .map_err(|error| Refusal::Failure(error.to_string()))?
    .map_err(Refusal::Failure)?;
    let zone = site.app.read_models.time_zone();
    let signed = &checkpoint.checkpoint;
    Ok(ChainFooter {
        seq,
        hash,
        tree_size: signed.tree_size,
        root: signed.root.to_string(),
        signed_at: zone.local_minute(signed.time),
    })
}

/// The pickers and links above a document (not printed).
fn toolbar(t: &Text, resolved: &Resolved, kind: Kind) -> Toolbar {
    let groups = group_choices(t, &resolved.groups, &resolved.group);
    Toolbar {
        kind,
        schemes: crate::site::request::scheme_choices(t, &resolved.schemes, Some(resolved.scheme())),
        groups,
        periods: period_choices(t, &resolved.periods, resolved.period),
        as_of: as_of_input(resolved.as_of),
        provisional: resolved.provisional,
        query: resolved.query(),
    }
}

/// A document, read.
enum Body {
    Index,
    Bulletin(Box<templates::BulletinView>),
    Table(Box<templates::TableView>),
    Analysis(Box<templates::AnalysisView>),
}

impl Body {
    /// The point of the chain it was read at.
    fn seq(&self) -> Option<u64> {
        match self {
            Body::Index => None,
            Body::Bulletin(view) => Some(view.seq),
            Body::Table(view) => Some(view.seq),
            Body::Analysis(view) => Some(view.seq),
        }
    }
}

fn read(
    site: &SiteState,
    reader: &Reader,
    query: &DocumentQuery,
    kind: Kind,
    t: &Text,
) -> Result<(Toolbar, Body), Refusal> {
    let resolved = resolve(site, reader, query)?;
    let body = match kind {
        Kind::Index => Body::Index,
        Kind::Bulletin => Body::Bulletin(Box::new(bulletin::view(site, &resolved, t)?)),
        Kind::Table => Body::Table(Box::new(table::view(site, reader, &resolved, t)?)),
        Kind::Analysis => Body::Analysis(Box::new(analysis::view(site, reader, &resolved, t)?)),
    };
    Ok((toolbar(t, &resolved, kind), body))
}

async fn show(
    site: SiteState,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
    kind: Kind,
) -> Response {
    let signed_in = match page_reader(&site, &headers, &uri) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let (worker, reader) = (site.clone(), signed_in.reader.clone());
    let (toolbar, body) = match tokio::task::spawn_blocking(move || read(&worker, &reader, &query, kind, t)).await {
        Err(error) => return failure(t, &error),
        Ok(Err(refusal)) => return refusal_page(refusal, &visitor),
        Ok(Ok(read)) => read,
    };
    let footer = match body.seq() {
        None => None,
        Some(seq) => match chain_footer(&site, seq).await {
            Ok(footer) => Some(footer),
            Err(refusal) => return refusal_page(refusal, &visitor),
        },
    };
    let page = match (&body, footer) {
        (Body::Bulletin(view), Some(footer)) => templates::bulletin(t, &toolbar, view, &footer, &visitor),
        (Body::Table(view), Some(footer)) => templates::table(t, &toolbar, view, &footer, &visitor),
        (Body::Analysis(view), Some(footer)) => templates::analysis(t, &toolbar, view, &footer, &visitor),
        _ => templates::index(t, &toolbar, &visitor),
    };
    html(StatusCode::OK, page)
}

/// `GET /documents`: the index of the documents of a group and period.
pub async fn index(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    show(site, headers, uri, query, Kind::Index).await
}

/// `GET /documents/bulletin`: the bulletin (通报).
pub async fn bulletin_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    show(site, headers, uri, query, Kind::Bulletin).await
}

/// `GET /documents/horizontal`: the horizontal comparison table (横向比较情况表).
pub async fn table_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    show(site, headers, uri, query, Kind::Table).await
}

/// `GET /documents/analysis`: the analysis report (分析报告).
pub async fn analysis_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    show(site, headers, uri, query, Kind::Analysis).await
}

async fn download(
    site: SiteState,
    headers: HeaderMap,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
    kind: Kind,
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
        let resolved = resolve(&worker, &reader, &query)?;
        let workbook = match kind {
            Kind::Table => table::workbook(&worker, &reader, &resolved, t.language)?,
            _ => bulletin::workbook(&worker, &resolved, t.language)?,
        };
        let body = format.write(&workbook).map_err(Refusal::Failure)?;
        Ok::<_, Refusal>((format.file_name(&workbook), body))
    })
    .await;
    match made {
        Err(error) => failure(t, &error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok((file_name, body))) => crate::http::export::file_response(format, &file_name, body),
    }
}

/// `GET /downloads/bulletin?…&format=csv|xlsx`: the bulletin as a spreadsheet, under the page's rules.
pub async fn bulletin_download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    download(site, headers, query, Kind::Bulletin).await
}

/// `GET /downloads/horizontal?…&format=csv|xlsx`: the horizontal comparison table as a spreadsheet.
pub async fn table_download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    query: Result<Query<DocumentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    download(site, headers, query, Kind::Table).await
}

/// The query of a group's documents as the overview shows it, when the reader may read them.
pub fn overview_query(
    site: &SiteState,
    reader: &Reader,
    scheme: &SchemeId,
    group: &Option<FunctionCode>,
    period: PeriodId,
    as_of_text: &str,
    provisional: bool,
) -> Option<String> {
    site.app.read_models.may_read(reader, &detail(scheme, group, period)).ok()?;
    Some(
        QueryString::new()
            .with("scheme", scheme.as_str())
            .with("group", group_value(group))
            .with("period", period.to_string())
            .with("as_of", as_of_text)
            .with("provisional", if provisional { "true" } else { "" })
            .to_string(),
    )
}
