//! What every page and download of the site does with a request before it reads anything: who is
//! signed in (or the sign-in page instead), the query's parts parsed one by one and named when one is
//! malformed, a refusal turned into a page with its status, and the query strings of links built back
//! from what a page shows (so a link keeps the reader's filters).
//!
//! Invariant: a handler learns its reader only here, judged again on every request (a revoked or
//! expired token ends the session before anything is read), and every refusal the service gives
//! (`QueryError`) leaves with the status the API would give it: 403, 404 or 400 — a failure of ours,
//! 500, is logged and shown as a plain error page.

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::domain::timestamp::UtcOffset;
use crate::domain::{FunctionCode, PeriodId, SchemeId, Timestamp, UnitCode};
use crate::projection::{AsOf, Counting};
use crate::service::listings::{PeriodStatus, Periods, SchemeListing};
use crate::service::queries::{QueryError, ReadTarget, Reader, UnitListing, View};
use crate::site::pages::{self, Choice, UnitPickers, Visitor};
use crate::site::session::Signed;
use crate::site::text::Text;
use crate::site::{current, failure, html, reader, sign_in_response, words, SiteState};

/// A signed-in reader, with what the page's frame shows of it: who, the form token, the words of
/// the reader's language and the page asked for.
pub struct SignedIn {
    pub reader: Reader,
    pub label: String,
    pub csrf: String,
    pub t: &'static Text,
    pub here: String,
}

impl SignedIn {
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor { label: self.label.clone(), csrf: &self.csrf, t: self.t, here: &self.here }
    }
}

/// The reader of a page request, or the sign-in page (saying the session ended, when one did).
pub fn page_reader(site: &SiteState, headers: &HeaderMap, uri: &Uri) -> Result<SignedIn, Response> {
    let Some(current) = current(site, headers) else {
        return Err(sign_in_response(site, headers, uri, StatusCode::OK, None));
    };
    let (signed, t) = (current.session.signed.clone(), words(headers));
    let Some((reader, label)) = reader(site, &current, t) else {
        let message = (signed != Signed::Nobody).then_some(t.sign_in_expired);
        return Err(sign_in_response(site, headers, uri, StatusCode::OK, message));
    };
    let here = uri.path_and_query().map_or("/", |here| here.as_str()).to_owned();
    Ok(SignedIn { reader, label, csrf: current.session.csrf.clone(), t, here })
}

/// What reads a page for a reader's question, in the reader's words: the page and its status, or a
/// refusal.
pub type MakePage<Q, P> = fn(&SiteState, &Reader, &Q, &Text) -> Result<(StatusCode, P), Refusal>;

/// A page read off the async threads: the signed-in reader (or the sign-in page), the query parsed
/// (or the refusal page, 400), then `make` run on a blocking thread — it reads through the service —
/// and its page rendered by `render` with `status`, or its refusal shown. Every page handler that
/// reads the projections goes through here.
pub async fn blocking_page<Q, P>(
    site: SiteState,
    headers: &HeaderMap,
    uri: &Uri,
    query: Result<axum::extract::Query<Q>, axum::extract::rejection::QueryRejection>,
    make: MakePage<Q, P>,
    render: fn(&Text, &P, &Visitor<'_>) -> String,
) -> Response
where
    Q: Send + 'static,
    P: Send + 'static,
{
    let signed_in = match page_reader(&site, headers, uri) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let visitor = signed_in.visitor();
    let Ok(axum::extract::Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let (reader, t) = (signed_in.reader.clone(), signed_in.t);
    match tokio::task::spawn_blocking(move || make(&site, &reader, &query, t)).await {
        Err(error) => failure(t, &error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok((status, page))) => html(status, render(t, &page, &visitor)),
    }
}

/// The reader of a download, or 401 with a page saying to sign in (a download is never a sign-in page).
pub fn download_reader(site: &SiteState, headers: &HeaderMap) -> Result<SignedIn, Response> {
    let t = words(headers);
    let unauthorized =
        || html(StatusCode::UNAUTHORIZED, pages::message(t, t.sign_in_title, t.sign_in_expired, None, None));
    let Some(current) = current(site, headers) else { return Err(unauthorized()) };
    let Some((reader, label)) = reader(site, &current, t) else { return Err(unauthorized()) };
    Ok(SignedIn { reader, label, csrf: current.session.csrf.clone(), t, here: "/".to_owned() })
}

/// A question a page cannot answer: a refusal, something not there, a malformed part, or our failure.
pub enum Refusal {
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

impl Refusal {
    /// The status the page is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
            Refusal::Failure(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A refusal as a page with its status.
pub fn refusal_page(refusal: Refusal, visitor: &Visitor<'_>) -> Response {
    let t = visitor.t;
    let (title, intro, detail) = match &refusal {
        Refusal::Forbidden(detail) => (t.forbidden_title, t.forbidden_intro, detail),
        Refusal::NotFound(detail) => (t.not_found_title, "", detail),
        Refusal::Invalid(detail) => (t.bad_request_title, "", detail),
        Refusal::Failure(detail) => return failure(t, detail),
    };
    html(refusal.status(), pages::message(t, title, intro, Some(detail), Some(visitor)))
}

/// A malformed query string as a refusal.
pub fn malformed() -> Refusal {
    Refusal::Invalid("query: malformed".to_owned())
}

/// One part of a query: `None` when left out or blank, parsed otherwise; a malformed part is refused
/// naming `field`.
pub fn parse<T>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
    field: &str,
) -> Result<Option<T>, Refusal> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text).map(Some).map_err(|message| Refusal::Invalid(format!("{field}: {message}"))),
    }
}

/// The period shown when none is asked for: the latest published (or final) base period, else the
/// latest with results, else the latest opened.
pub fn default_period(periods: &Periods) -> Option<PeriodId> {
    let published = periods.periods.iter().rev().find(|listing| listing.status != PeriodStatus::Open);
    let with_results = || periods.periods.iter().rev().find(|listing| listing.has_results);
    published.or_else(with_results).or(periods.periods.last()).map(|listing| listing.period)
}

pub fn period_label(t: &Text, period: PeriodId, status: PeriodStatus) -> String {
    format!("{period}{}", t.marks.paren(t.status(status)))
}

/// The base periods and roll-ups of a scheme as choices, `selected` marked (and added when the
/// scheme does not list it).
pub fn period_choices(t: &Text, periods: &Periods, selected: PeriodId) -> Vec<Choice> {
    let mut choices: Vec<Choice> = periods
        .periods
        .iter()
        .map(|listing| Choice {
            value: listing.period.to_string(),
            label: period_label(t, listing.period, listing.status),
            selected: listing.period == selected,
        })
        .collect();
    choices.extend(periods.roll_ups.iter().map(|roll_up| Choice {
        value: roll_up.period.to_string(),
        label: period_label(t, roll_up.period, roll_up.status),
        selected: roll_up.period == selected,
    }));
    if !choices.iter().any(|choice| choice.selected) {
        choices.push(Choice { value: selected.to_string(), label: selected.to_string(), selected: true });
    }
    choices
}

pub fn scheme_choices(t: &Text, schemes: &[SchemeListing], selected: Option<&SchemeId>) -> Vec<Choice> {
    schemes
        .iter()
        .map(|listing| Choice {
            value: listing.scheme.to_string(),
            label: format!("{}{}", listing.scheme, t.marks.paren(&listing.issuer_name)),
            selected: Some(&listing.scheme) == selected,
        })
        .collect()
}

/// A period's status and windows, on the ledger's clock, when `period` is a base period `periods` lists.
pub fn period_note(t: &Text, periods: &Periods, period: PeriodId, zone: UtcOffset) -> Option<String> {
    periods.periods.iter().find(|listing| listing.period == period).map(|listing| {
        let mut note = format!("{period}{}{}", t.marks.colon, t.status(listing.status));
        if let Some(published) = listing.published_at {
            note.push_str(&format!("{}{} {}", t.marks.semicolon, t.published_at, zone.local_minute(published)));
        }
        if let (true, Some(closes)) = (listing.objection_window_open, listing.objection_window_closes_at) {
            note.push_str(&format!("{}{} {}", t.marks.semicolon, t.objection_open_until, zone.local_minute(closes)));
        }
        note
    })
}

/// Where an answer stands: `截至第 N 号事件`, and the instant asked about on the ledger's clock.
pub fn standing_text(t: &Text, as_of_seq: u64, as_of_instant: Option<Timestamp>, zone: UtcOffset) -> String {
    let mut standing = t.as_of_event.replace("{}", &as_of_seq.to_string());
    if let Some(instant) = as_of_instant {
        standing.push_str(&t.marks.paren(zone.local_minute(instant)));
    }
    standing
}

/// What the date picker shows for an as-of point: the date asked about, blank otherwise.
pub fn as_of_input(as_of: AsOf) -> String {
    match as_of {
        AsOf::EndOfDay { year, month, day } => format!("{year:04}-{month:02}-{day:02}"),
        _ => String::new(),
    }
}

/// `text` with every byte but unreserved ASCII percent-encoded, for a query string.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A query string built part by part; blank values are left out.
#[derive(Clone, Debug, Default)]
pub struct QueryString {
    parts: Vec<String>,
}

impl QueryString {
    pub fn new() -> QueryString {
        QueryString::default()
    }

    /// Adds `name=value` unless `value` is blank.
    pub fn with(mut self, name: &str, value: impl AsRef<str>) -> QueryString {
        let value = value.as_ref().trim();
        if !value.is_empty() {
            self.parts.push(format!("{name}={}", percent_encode(value)));
        }
        self
    }

    /// Adds `name=value` when there is a value.
    pub fn with_some(self, name: &str, value: Option<impl AsRef<str>>) -> QueryString {
        match value {
            Some(value) => self.with(name, value),
            None => self,
        }
    }
}

impl std::fmt::Display for QueryString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_encodes_its_values_and_leaves_blanks_out() {
        let query = QueryString::new()
            .with("unit", "YS07")
            .with("as_of", "2017-07-12T00:00:00+08:00")
            .with("category", " ")
            .with_some("offset", Some("20"))
            .with_some("limit", None::<&str>);
        assert_eq!(query.to_string(), "unit=YS07&as_of=2017-07-12T00%3A00%3A00%2B08%3A00&offset=20");
    }
}

/// A question about one unit in a period, as the unit and trace pages' pickers and the links between
/// them send it; every part may be left out (the reader's own unit, the scheme that assesses it, its
/// latest published period, the latest point).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct UnitQuery {
    unit: Option<String>,
    scheme: Option<String>,
    period: Option<String>,
    as_of: Option<String>,
    provisional: Option<String>,
}

/// A `UnitQuery`, parsed.
pub struct UnitQuestion {
    pub unit: Option<UnitCode>,
    pub scheme: Option<SchemeId>,
    pub period: Option<PeriodId>,
    pub as_of: AsOf,
    pub as_of_text: String,
    pub provisional: bool,
}

impl UnitQuestion {
    /// The question, or a refusal naming the part that does not parse.
    pub fn parse(query: &UnitQuery) -> Result<UnitQuestion, Refusal> {
        Ok(UnitQuestion {
            unit: parse(query.unit.as_deref(), |text| UnitCode::new(text), "unit")?,
            scheme: parse(query.scheme.as_deref(), |text| SchemeId::new(text), "scheme")?,
            period: parse(query.period.as_deref(), PeriodId::parse, "period")?,
            as_of: parse(query.as_of.as_deref(), crate::service::queries::parse_as_of, "as_of")?
                .unwrap_or(AsOf::Latest),
            as_of_text: query.as_of.clone().unwrap_or_default(),
            provisional: query.provisional.as_deref() == Some("true"),
        })
    }

    pub fn view(&self) -> View {
        let counting = GroupParts::counting_of(self.provisional);
        View { as_of: self.as_of, counting }
    }

    /// The query string of this question about `unit` in `period` (the pages' links, the downloads').
    pub fn query(&self, unit: &UnitCode, period: PeriodId) -> String {
        QueryString::new()
            .with("unit", unit.as_str())
            .with_some("scheme", self.scheme.as_ref().map(SchemeId::as_str))
            .with("period", period.to_string())
            .with("as_of", &self.as_of_text)
            .with("provisional", if self.provisional { "true" } else { "" })
            .to_string()
    }
}

/// Whether `reader` may read `unit`'s facts, as the API's unit reads ask it.
pub fn may_read_unit(site: &SiteState, reader: &Reader, unit: &UnitCode) -> Result<(), Refusal> {
    let target = ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) };
    site.app.read_models.may_read(reader, &target).map_err(Refusal::from)
}

/// The unit a `UnitQuestion` is about and the pickers of the page that answers it.
pub struct UnitPick {
    /// The unit asked about, or the reader's own (the top unit for the local operator).
    pub unit: UnitCode,
    /// The units the reader may read; the open schemes, the default ("the scheme that assesses the
    /// unit") first; the chosen scheme's periods.
    pub pickers: UnitPickers,
    pub scheme_listings: Vec<SchemeListing>,
    /// The period the page answers for, among its scheme's periods, or why there is none: the status
    /// of the page and the words it shows.
    pub chosen: Result<(PeriodId, Periods), (StatusCode, &'static str)>,
}

impl UnitPick {
    /// Resolves the unit, judged readable first — as the API judges its unit reads, so nothing is read
    /// about a unit the reader may not see —, then known; the scheme named (which must be open) or the
    /// one that assesses the unit; the period named or the scheme's latest published one.
    pub fn resolve(site: &SiteState, reader: &Reader, asked: &UnitQuestion, t: &Text) -> Result<UnitPick, Refusal> {
        let read_models = &site.app.read_models;
        let units = read_models.units(AsOf::Latest)?.value.units;
        let unit = match (&asked.unit, reader) {
            (Some(unit), _) => unit.clone(),
            (None, Reader::Token(actor)) => actor.unit.clone(),
            (None, Reader::Local) => match units.iter().find(|listing| listing.parent.is_none()) {
                Some(top) => top.unit.clone(),
                None => return Err(Refusal::NotFound("unit: no unit is registered".to_owned())),
            },
        };
        may_read_unit(site, reader, &unit)?;
        if !units.iter().any(|listing| listing.unit == unit) {
            return Err(Refusal::NotFound(format!("unit: no unit {unit} is registered")));
        }
        let unit_choices = units
            .iter()
            .filter(|listing| listing.unit == unit || may_read_unit(site, reader, &listing.unit).is_ok())
            .map(|listing| Choice {
                value: listing.unit.to_string(),
                label: format!("{} {}", listing.unit, listing.name),
                selected: listing.unit == unit,
            })
            .collect();
        let schemes = read_models.schemes(AsOf::Latest)?.value.schemes;
        if let Some(scheme) = asked.scheme.as_ref().filter(|scheme| !schemes.iter().any(|s| &s.scheme == *scheme)) {
            return Err(Refusal::NotFound(format!("scheme: no scheme {scheme} is open")));
        }
        let mut scheme_choices =
            vec![Choice { value: String::new(), label: t.scheme_default.to_owned(), selected: asked.scheme.is_none() }];
        scheme_choices.extend(self::scheme_choices(t, &schemes, asked.scheme.as_ref()));
        let mut pickers = UnitPickers {
            units: unit_choices,
            schemes: scheme_choices,
            periods: Vec::new(),
            as_of: as_of_input(asked.as_of),
            provisional: asked.provisional,
        };
        let year = asked.period.map(PeriodId::year);
        let chosen = match asked.scheme.clone().or_else(|| default_scheme(&units, &unit, &schemes, year)) {
            None => Err((StatusCode::NOT_FOUND, t.no_unit_scheme)),
            Some(scheme) => {
                let periods = read_models.periods(&scheme, AsOf::Latest, site.app.service.clock().now())?.value;
                match asked.period.or_else(|| default_period(&periods)) {
                    Some(period) => {
                        pickers.periods = period_choices(t, &periods, period);
                        Ok((period, periods))
                    }
                    None => Err((StatusCode::OK, t.no_periods)),
                }
            }
        };
        Ok(UnitPick { unit, pickers, scheme_listings: schemes, chosen })
    }
}

/// The scheme that assesses `unit` when none is named: the one of `year` (the latest, when no year is
/// asked about or none is open for it) issued by the parent of the unit (of its county, for a
/// section) — the scheme the reads take when they are given none.
pub fn default_scheme(
    units: &[UnitListing],
    unit: &UnitCode,
    schemes: &[SchemeListing],
    year: Option<i32>,
) -> Option<SchemeId> {
    let listing = |code: &UnitCode| units.iter().find(|listing| &listing.unit == code);
    let own = listing(unit)?;
    let assessed = match own.level.is_section() {
        true => own.parent.as_ref().and_then(listing)?,
        false => own,
    };
    let issuer = assessed.parent.as_ref()?;
    let issued: Vec<&SchemeListing> = schemes.iter().filter(|scheme| &scheme.issuer == issuer).collect();
    let of_year = issued.iter().find(|scheme| Some(scheme.year) == year);
    of_year.or_else(|| issued.iter().max_by_key(|scheme| scheme.year)).map(|scheme| scheme.scheme.clone())
}

/// The parts of a question about a scheme's peer group in a period, as the overview, the replay and
/// the documents send them, each parsed or refused by name; `group` is `Some(None)` for the scheme's
/// units (`units`), `Some(Some(code))` for the sections of one function.
/// A peer group as a query names it: `units` for a scheme's units, a function code for the sections of
/// that function.
pub fn group_value(group: &Option<FunctionCode>) -> String {
    group.as_ref().map_or_else(|| "units".to_owned(), FunctionCode::to_string)
}

/// A peer group in words.
pub fn group_label(t: &Text, group: &Option<FunctionCode>) -> String {
    match group {
        None => t.group_units.to_owned(),
        Some(code) => format!("{} {code}", t.group_sections),
    }
}

/// The group pickers: every group of `groups`, `selected` chosen (added when it is not among them).
pub fn group_choices(t: &Text, groups: &[Option<FunctionCode>], selected: &Option<FunctionCode>) -> Vec<Choice> {
    let choice = |group: &Option<FunctionCode>| Choice {
        value: group_value(group),
        label: group_label(t, group),
        selected: group == selected,
    };
    let mut choices: Vec<Choice> = groups.iter().map(choice).collect();
    if !choices.iter().any(|choice| choice.selected) {
        choices.push(choice(selected));
    }
    choices
}

pub struct GroupParts {
    pub scheme: Option<SchemeId>,
    pub group: Option<Option<FunctionCode>>,
    pub period: Option<PeriodId>,
    pub as_of: Option<AsOf>,
    pub provisional: bool,
}

/// The parts of a question about a peer group as a page's pickers send them (flattened into the
/// overview's, the replay's and the documents' queries); every part may be left out.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct GroupQuery {
    pub scheme: Option<String>,
    /// `units` for the assessed units, or a section function code.
    pub group: Option<String>,
    pub period: Option<String>,
    pub as_of: Option<String>,
    pub provisional: Option<String>,
}

impl GroupParts {
    /// The parts of `query`, each parsed; a malformed one is refused naming it.
    pub fn parse(query: &GroupQuery) -> Result<GroupParts, Refusal> {
        let group_of = |text: &str| match text {
            "units" => Ok(None),
            code => FunctionCode::new(code).map(Some),
        };
        Ok(GroupParts {
            scheme: parse(query.scheme.as_deref(), |text| SchemeId::new(text), "scheme")?,
            group: parse(query.group.as_deref(), group_of, "group")?,
            period: parse(query.period.as_deref(), PeriodId::parse, "period")?,
            as_of: parse(query.as_of.as_deref(), crate::service::queries::parse_as_of, "as_of")?,
            provisional: query.provisional.as_deref() == Some("true"),
        })
    }

    /// What a ranking counts when provisional results are asked for, or not.
    pub fn counting_of(provisional: bool) -> Counting {
        if provisional {
            Counting::Provisional
        } else {
            Counting::Published
        }
    }
}
