//! The pages, as maud templates compiled into the binary: the frame every page shares (with the
//! navigation bar), the sign-in page, the overview (a scheme's ranking for a period: pickers, chart,
//! table), the unit page (its peers, its trend, its lost points and repeat problems), the deduction
//! register (filters, a page of entries, the way to the next) and the audit page (chain head, signed
//! checkpoint, verification, export, how to check it all independently), and the refusal and error
//! pages. Every value is escaped by maud; every word comes from `text::Text`; no page carries a
//! script or a style of its own (the Content-Security-Policy allows only the site's files): a chart's
//! data travels in a `data-` attribute that the site's own app.js reads.

use maud::{html, Markup, DOCTYPE};

use crate::site::assets;
use crate::site::request::percent_encode;
use crate::site::text::{self, Text};
use crate::tabular::Lang;

/// Who is signed in, as the header shows it, with the CSRF token the sign-out form carries, the
/// words of the language they read in, and the page they are on (where the language switch returns).
pub struct Visitor<'a> {
    pub label: String,
    pub csrf: &'a str,
    pub t: &'static Text,
    pub here: &'a str,
}

/// Where a page stands in the navigation bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Overview,
    Register,
    Audit,
    Documents,
    Trace,
    Replay,
    Person,
    Grades,
    ResultUses,
    Appeals,
    /// A page the bar does not list (the unit page, a refusal).
    Elsewhere,
}

/// Which of the site's scripts a page loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripts {
    None,
    /// app.js alone (pickers that submit on change).
    App,
    /// ECharts and app.js (a page with a chart).
    Charts,
}

/// The navigation bar's links: overview, register, audit, the current one marked.
fn nav(t: &Text, place: Place) -> Markup {
    let links = [
        (Place::Overview, "/", t.nav_overview),
        (Place::Register, "/register", t.nav_register),
        (Place::Documents, "/documents", t.documents.nav),
        (Place::Audit, "/audit", t.nav_audit),
        (Place::Trace, "/trace", t.nav_trace),
        (Place::Replay, "/replay", t.nav_replay),
        (Place::Person, "/person", t.people.nav_person),
        (Place::Grades, "/grades", t.people.nav_grades),
        (Place::ResultUses, "/result-uses", t.people.nav_result_uses),
        (Place::Appeals, "/appeals", t.appeal_page.nav),
    ];
    html! {
        nav.site-nav aria-label=(t.nav_label) {
            @for (target, href, label) in links {
                a href=(href) aria-current=[(target == place).then_some("page")] { (label) }
            }
        }
    }
}

/// The frame of every page: head with the style sheet and icon, the bar (with the navigation for a
/// signed-in reader), the content, the scripts.
pub fn frame(
    t: &Text,
    title: &str,
    visitor: Option<&Visitor<'_>>,
    place: Place,
    scripts: Scripts,
    content: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(t.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.site_name) }
                link rel="stylesheet" href=(assets::url("site.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("favicon.svg"));
            }
            body {
                header.bar {
                    span.name { (t.site_name) }
                    @if visitor.is_some() { (nav(t, place)) }
                    (language_switch(t, visitor.map_or("/", |visitor| visitor.here)))
                    @if let Some(visitor) = visitor {
                        span.who { (t.signed_in_as) (t.marks.colon) (visitor.label) }
                        form.inline method="post" action="/sign-out" {
                            input type="hidden" name="csrf" value=(visitor.csrf);
                            button.quiet type="submit" { (t.sign_out_button) }
                        }
                    }
                }
                main { (content) }
                footer { (t.footer) }
                @if scripts == Scripts::Charts {
                    script src=(assets::url("echarts.js")) {}
                }
                @if scripts != Scripts::None {
                    script src=(assets::url("app.js")) {}
                }
            }
        }
    }
    .into_string()
}

/// The link to the same page in the other language.
fn language_switch(t: &Text, here: &str) -> Markup {
    let other = text::other(t.language);
    let code = match other {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let href = format!("/language?to={code}&back={}", percent_encode(here));
    html! {
        a.language href=(href) lang=(text::text(other).lang) hreflang=(text::text(other).lang)
            aria-label=(t.language_switch) { (text::text(other).language_name) }
    }
}

/// The sign-in page: one field for the token, the form's CSRF token, and why the last try failed.
pub fn sign_in(t: &Text, csrf: &str, message: Option<&str>) -> String {
    let content = html! {
        section.card.sign-in {
            h1 { (t.sign_in_title) }
            p.muted { (t.sign_in_intro) }
            @if let Some(message) = message {
                p.error role="alert" { (message) }
            }
            form method="post" action="/sign-in" autocomplete="off" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { (t.token_label) }
                input #token type="password" name="token" placeholder=(t.token_hint) required autofocus;
                button type="submit" { (t.sign_in_button) }
            }
        }
    };
    frame(t, t.sign_in_title, None, Place::Elsewhere, Scripts::None, content)
}

/// A page that says why something was refused or failed, with the way back.
pub fn message(t: &Text, title: &str, intro: &str, detail: Option<&str>, visitor: Option<&Visitor<'_>>) -> String {
    let content = html! {
        section.card {
            h1 { (title) }
            p { (intro) }
            @if let Some(detail) = detail {
                p.muted { code { (detail) } }
            }
            p { a href="/" { (t.back_to_overview) } }
        }
    };
    frame(t, title, visitor, Place::Elsewhere, Scripts::None, content)
}

/// One choice of a picker.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One row of the ranking table.
pub struct Row {
    pub rank: u32,
    pub tier: u32,
    pub unit: String,
    pub name: String,
    pub county: Option<String>,
    pub final_score: String,
    pub veto: bool,
    /// The query of the unit's page, when the reader may read the unit.
    pub link: Option<String>,
}

/// What the overview shows.
pub struct Overview {
    pub schemes: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub as_of: String,
    pub provisional: bool,
    pub heading: String,
    /// Where the ranking stands: `截至第 N 号事件` (and the instant asked about).
    pub standing: String,
    /// A period's status and windows, when it is a base period.
    pub period_note: Option<String>,
    pub sections: bool,
    pub rows: Vec<Row>,
    pub provisional_periods: Vec<String>,
    pub unassessed: usize,
    pub unranked: Vec<String>,
    /// The chart's data, as JSON (read by app.js from the holder's attribute).
    pub chart: String,
    /// The query of the downloads (`scheme=…&period=…`), without `format`.
    pub download_query: String,
    /// The query of the group's documents (bulletin, table, analysis), when the reader may read them.
    pub documents_query: Option<String>,
    /// Set when there is nothing to rank yet (no scheme, no period, no results), instead of a table.
    pub empty: Option<String>,
}

/// The overview: pickers, the chart and the table of a scheme's ranking in a period.
pub fn overview(t: &Text, overview: &Overview, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.overview_title) }
        section.card {
            form.pickers method="get" action="/" data-autosubmit {
                label { (t.scheme_label)
                    select name="scheme" {
                        @for choice in &overview.schemes {
                            option value=(choice.value) selected[choice.selected] { (choice.label) }
                        }
                    }
                }
                label { (t.group_label)
                    select name="group" {
                        @for choice in &overview.groups {
                            option value=(choice.value) selected[choice.selected] { (choice.label) }
                        }
                    }
                }
                label { (t.period_label)
                    select name="period" {
                        @for choice in &overview.periods {
                            option value=(choice.value) selected[choice.selected] { (choice.label) }
                        }
                    }
                }
                label { (t.as_of_label)
                    input type="date" name="as_of" value=(overview.as_of) title=(t.as_of_hint);
                }
                label { (t.provisional_badge)
                    input type="checkbox" name="provisional" value="true" checked[overview.provisional];
                }
                button type="submit" { (t.show_button) }
            }
        }
        @if let Some(empty) = &overview.empty {
            section.card { p.muted { (empty) } }
        } @else {
            section.card {
                h2 {
                    (overview.heading) " "
                    @if !overview.provisional_periods.is_empty() {
                        span.badge { (t.provisional_badge) }
                    }
                }
                p.muted { (overview.standing) }
                @if let Some(note) = &overview.period_note {
                    p.muted { (note) }
                }
                @if !overview.provisional_periods.is_empty() {
                    p.note { (t.provisional_note) (overview.provisional_periods.join(t.marks.list)) }
                }
                @if overview.unassessed > 0 {
                    p.note { (t.unassessed_note.0) (overview.unassessed) (t.unassessed_note.1) }
                }
                div #ranking-chart role="img" aria-label=(t.chart_label) data-chart=(overview.chart) {}
            }
            section.card {
                table.ranking {
                    thead {
                        tr {
                            th.num { (t.rank) }
                            th { (t.tier) }
                            th { (t.unit_code) }
                            th { (t.unit_name) }
                            @if overview.sections { th { (t.county) } }
                            th.num { (t.final_score) }
                            th { (t.veto) }
                        }
                    }
                    tbody {
                        @for row in &overview.rows {
                            tr {
                                td.num { (row.rank) }
                                td { (tier_badge(t, row.tier)) }
                                td { code { (row.unit) } }
                                td.unit-name { (unit_link(&row.name, row.link.as_deref())) }
                                @if overview.sections { td { (row.county.as_deref().unwrap_or("")) } }
                                td.num { (row.final_score) }
                                td { @if row.veto { span.veto { (t.veto) } } }
                            }
                        }
                    }
                }
                @if !overview.unranked.is_empty() {
                    p.muted { (t.unranked_note) (overview.unranked.join(t.marks.list)) }
                }
                p.downloads {
                    (t.download) (t.marks.colon)
                    a href=(format!("/downloads/ranking?{}&format=csv", overview.download_query)) { "CSV" }
                    a href=(format!("/downloads/ranking?{}&format=xlsx", overview.download_query)) { "XLSX" }
                }
                @if let Some(query) = &overview.documents_query {
                    p.downloads #overview-documents {
                        (t.documents.overview_link)
                        @for kind in crate::site::documents::Kind::DOCUMENTS {
                            a href=(format!("{}?{query}", kind.path())) { (kind.title(t)) }
                        }
                    }
                }
            }
        }
    };
    let scripts = if overview.empty.is_none() { Scripts::Charts } else { Scripts::App };
    frame(t, t.overview_title, Some(visitor), Place::Overview, scripts, content)
}

/// A unit's name, as a link to its page when there is one.
fn unit_link(name: &str, link: Option<&str>) -> Markup {
    html! {
        @match link {
            Some(query) => a href=(format!("/unit?{query}")) { (name) },
            None => (name),
        }
    }
}

/// An event's sequence number, as a link to the trace page that shows it when there is one.
fn trace_link(seq: u64, trace: Option<&str>) -> Markup {
    html! {
        @match trace {
            Some(query) => a.trace-link href=(format!("/trace?{query}")) { (seq) },
            None => (seq),
        }
    }
}

/// A select of choices named `name`.
pub(crate) fn select(name: &str, choices: &[Choice]) -> Markup {
    html! {
        select name=(name) {
            @for choice in choices {
                option value=(choice.value) selected[choice.selected] { (choice.label) }
            }
        }
    }
}

/// A tier as its coloured badge.
pub(crate) fn tier_badge(t: &Text, tier: u32) -> Markup {
    html! { span class=(format!("tier tier-{}", tier.clamp(1, 6))) { (t.tier_n.0) (tier) (t.tier_n.1) } }
}

/// One figure of a list of figures: its words and its value, marked with a key tests and scripts read.
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    /// A word after the value (the leader's name beside the gap to it).
    pub note: Option<String>,
}

pub(crate) fn figures(list: &[Figure]) -> Markup {
    html! {
        dl.figures {
            @for figure in list {
                div {
                    dt { (figure.label) }
                    dd data-figure=(figure.key) { (figure.value) }
                    @if let Some(note) = &figure.note { dd.muted { (note) } }
                }
            }
        }
    }
}

// ---- The unit page ---------------------------------------------------------------------------

/// One peer in the unit page's table.
pub struct PeerRow {
    pub row: Row,
    /// The unit the page is about.
    pub own: bool,
}

/// One period of the unit's trend.
pub struct TrendRow {
    pub period: String,
    pub final_score: String,
    pub rank: String,
    pub tier: Option<u32>,
    /// The number of ranked peers, blank when the unit has no rank in the period.
    pub peers: String,
    pub score_change: String,
    pub rank_change: String,
    pub tier_change: String,
    pub repeats: usize,
    pub provisional: bool,
}

/// One line behind an indicator's lost points.
pub struct LossLine {
    pub period: String,
    pub kind: &'static str,
    pub amount: String,
    pub reason: String,
    pub category: String,
    pub charged_to: String,
    pub evidence: usize,
    pub seq: Option<u64>,
    /// The query of the trace page that shows the line's events (with the event's anchor).
    pub trace: Option<String>,
}

/// An indicator's lost points and the lines behind them.
pub struct LostIndicator {
    pub indicator: String,
    pub name: String,
    pub lost: String,
    pub lines: Vec<LossLine>,
}

/// A repeat problem flagged in the period.
pub struct RepeatRow {
    pub period: String,
    pub category: String,
    pub periods: String,
    pub rule: String,
}

/// What the unit page shows below its pickers, when the unit has figures for the period.
pub struct UnitFigures {
    pub heading: String,
    pub standing: String,
    pub period_note: Option<String>,
    pub provisional_periods: Vec<String>,
    pub figures: Vec<Figure>,
    pub sections: bool,
    pub peers: Vec<PeerRow>,
    pub trend: Vec<TrendRow>,
    /// The trend chart's data, as JSON (read by app.js from the holder's attribute).
    pub trend_chart: String,
    pub lost: Vec<LostIndicator>,
    pub floor_absorbed: Option<String>,
    pub repeats: Vec<RepeatRow>,
    /// The unit's own sections, each against the same sections elsewhere (none for a section).
    pub section_rows: Vec<SectionRow>,
}

/// One of a unit's sections, and where it stands among the sections of its function.
pub struct SectionRow {
    pub unit: String,
    pub name: String,
    pub function: String,
    pub link: String,
    /// `None`: not ranked in the period.
    pub standing: Option<SectionStanding>,
}

/// A section's standing in the group of the sections of its function.
pub struct SectionStanding {
    pub final_score: String,
    pub rank: u32,
    pub peers: usize,
    pub tier: u32,
    pub gap_to_leader: String,
    pub leader: String,
    pub lost: String,
}

/// The unit page: pickers, then its figures or why there are none.
pub struct UnitPage {
    pub pickers: UnitPickers,
    pub body: Result<Box<UnitFigures>, String>,
}

/// The pickers of a page about one unit in a period (the unit page, the trace page): unit, scheme,
/// period, as-of day and whether provisional results count.
pub struct UnitPickers {
    pub units: Vec<Choice>,
    pub schemes: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub as_of: String,
    pub provisional: bool,
}

/// The pickers' form, sending the page at `action` its question again on any change.
pub fn unit_pickers(t: &Text, action: &str, pickers: &UnitPickers) -> Markup {
    html! {
        form.pickers method="get" action=(action) data-autosubmit {
            label { (t.unit_label) (select("unit", &pickers.units)) }
            label { (t.scheme_label) (select("scheme", &pickers.schemes)) }
            label { (t.period_label) (select("period", &pickers.periods)) }
            label { (t.as_of_label)
                input type="date" name="as_of" value=(pickers.as_of) title=(t.as_of_hint);
            }
            label { (t.provisional_badge)
                input type="checkbox" name="provisional" value="true" checked[pickers.provisional];
            }
            button type="submit" { (t.show_button) }
        }
    }
}

pub fn unit(t: &Text, page: &UnitPage, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.unit_title) }
        section.card {
            (unit_pickers(t, "/unit", &page.pickers))
        }
        @match &page.body {
            Err(message) => section.card { p.muted #unit-empty { (message) } },
            Ok(unit) => (unit_figures(t, unit)),
        }
    };
    let scripts = if page.body.is_ok() { Scripts::Charts } else { Scripts::App };
    frame(t, t.unit_title, Some(visitor), Place::Elsewhere, scripts, content)
}

fn unit_figures(t: &Text, unit: &UnitFigures) -> Markup {
    html! {
        section.card #horizontal {
            h2 {
                (unit.heading) " "
                @if !unit.provisional_periods.is_empty() { span.badge { (t.provisional_badge) } }
            }
            p.muted { (unit.standing) }
            @if let Some(note) = &unit.period_note { p.muted { (note) } }
            @if !unit.provisional_periods.is_empty() {
                p.note { (t.provisional_note) (unit.provisional_periods.join(t.marks.list)) }
            }
            h3 { (t.horizontal_title) }
            (figures(&unit.figures))
            h3 { (t.peers_title) }
            table.ranking #peers {
                thead {
                    tr {
                        th.num { (t.rank) }
                        th { (t.tier) }
                        th { (t.unit_code) }
                        th { (t.unit_name) }
                        @if unit.sections { th { (t.county) } }
                        th.num { (t.final_score) }
                        th { (t.veto) }
                    }
                }
                tbody {
                    @for peer in &unit.peers {
                        tr class=[peer.own.then_some("own")] data-unit=(peer.row.unit) {
                            td.num { (peer.row.rank) }
                            td { (tier_badge(t, peer.row.tier)) }
                            td { code { (peer.row.unit) } }
                            td.unit-name {
                                (unit_link(&peer.row.name, peer.row.link.as_deref()))
                                @if peer.own { " " span.badge { (t.own_unit) } }
                            }
                            @if unit.sections { td { (peer.row.county.as_deref().unwrap_or("")) } }
                            td.num data-score { (peer.row.final_score) }
                            td { @if peer.row.veto { span.veto { (t.veto) } } }
                        }
                    }
                }
            }
        }
        @if !unit.section_rows.is_empty() {
            section.card #sections {
                h2 { (t.unit_sections_title) }
                p.muted { (t.unit_sections_intro) }
                div.scroll { table.ranking #section-comparison {
                    thead { tr {
                        th { (t.unit_code) } th { (t.unit_name) } th { (t.section_function) }
                        th.num { (t.final_score) } th.num { (t.rank) } th { (t.tier) }
                        th.num { (t.gap_to_leader) } th { (t.leader) } th.num { (t.lost_total) }
                    } }
                    tbody {
                        @for row in &unit.section_rows {
                            tr data-section=(row.unit) {
                                td { code { (row.unit) } }
                                td.unit-name { (unit_link(&row.name, Some(&row.link))) }
                                td { code { (row.function) } }
                                @if let Some(standing) = &row.standing {
                                    td.num data-score { (standing.final_score) }
                                    td.num data-rank {
                                        (standing.rank) span.muted { " / " (standing.peers) }
                                    }
                                    td { (tier_badge(t, standing.tier)) }
                                    td.num data-gap { (standing.gap_to_leader) }
                                    td { (standing.leader) }
                                    td.num data-lost { (standing.lost) }
                                } @else {
                                    td.muted colspan="6" { (t.section_not_ranked) }
                                }
                            }
                        }
                    }
                } }
            }
        }
        section.card #vertical {
            h2 { (t.vertical_title) }
            @if unit.trend.is_empty() {
                p.muted { (t.no_trend) }
            } @else {
                div #trend-chart role="img" aria-label=(t.trend_chart_label) data-trend=(unit.trend_chart) {}
                table.ranking #trend {
                    thead {
                        tr {
                            th { (t.period_label) }
                            th.num { (t.final_score) }
                            th.num { (t.rank) }
                            th.num { (t.peers) }
                            th { (t.tier) }
                            th.num { (t.score_change) }
                            th.num { (t.rank_change) }
                            th.num { (t.tier_change) }
                            th.num { (t.repeat_count) }
                        }
                    }
                    tbody {
                        @for row in &unit.trend {
                            tr data-period=(row.period) {
                                td {
                                    (row.period)
                                    @if row.provisional { " " span.badge { (t.provisional_badge) } }
                                }
                                td.num data-score { (row.final_score) }
                                td.num data-rank { (row.rank) }
                                td.num { (row.peers) }
                                td { @if let Some(tier) = row.tier { (tier_badge(t, tier)) } }
                                td.num { (row.score_change) }
                                td.num { (row.rank_change) }
                                td.num { (row.tier_change) }
                                td.num { (row.repeats) }
                            }
                        }
                    }
                }
            }
        }
        section.card #lost {
            h2 { (t.lost_title) }
            @if unit.lost.is_empty() {
                p.muted { (t.no_losses) }
            } @else {
                table.ranking.losses {
                    thead {
                        tr {
                            th { (t.indicator) }
                            th { (t.line_kind) }
                            th { (t.period_label) }
                            th.num { (t.amount) }
                            th { (t.reason) }
                            th { (t.category) }
                            th { (t.charged_to) }
                            th.num { (t.evidence) }
                            th.num { (t.event) }
                        }
                    }
                    @for indicator in &unit.lost {
                        tbody data-indicator=(indicator.indicator) {
                            tr.indicator {
                                td colspan="3" { code { (indicator.indicator) } " " (indicator.name) }
                                td.num data-lost { (indicator.lost) }
                                td colspan="5" {}
                            }
                            @for line in &indicator.lines {
                                tr.line {
                                    td {}
                                    td { (line.kind) }
                                    td { (line.period) }
                                    td.num { (line.amount) }
                                    td.reason { (line.reason) }
                                    td { (line.category) }
                                    td { (line.charged_to) }
                                    td.num { (line.evidence) }
                                    td.num { @if let Some(seq) = line.seq { (trace_link(seq, line.trace.as_deref())) } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(floor) = &unit.floor_absorbed {
                p.muted { (t.floor_note) span data-figure="floor_absorbed" { (floor) } }
            }
        }
        section.card #repeats {
            h2 { (t.repeat_title) }
            @if unit.repeats.is_empty() {
                p.muted { (t.no_repeats) }
            } @else {
                table.ranking {
                    thead {
                        tr {
                            th { (t.period_label) }
                            th { (t.category) }
                            th { (t.repeat_periods) }
                            th { (t.repeat_rule) }
                        }
                    }
                    tbody {
                        @for repeat in &unit.repeats {
                            tr data-category=(repeat.category) {
                                td { (repeat.period) }
                                td { (repeat.category) }
                                td { (repeat.periods) }
                                td { (repeat.rule) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---- The deduction register ------------------------------------------------------------------

/// One deduction of the register's page.
pub struct RegisterRow {
    pub period: String,
    pub unit: String,
    pub name: String,
    pub indicator: String,
    pub assessor: String,
    pub recorded_at: String,
    pub seq: u64,
    pub points: String,
    pub effective: String,
    pub reason: String,
    pub category: String,
    pub evidence: usize,
    pub evidence_missing: bool,
    pub withdrawn: Option<u64>,
    pub cause_unit: String,
    pub appeals: usize,
    /// The filing form with this deduction preselected, for a reader whose role files appeals.
    pub appeal_link: Option<String>,
    /// The query of the trace page that shows the deduction's events (with the event's anchor).
    pub trace: Option<String>,
}

/// What the register page shows.
pub struct RegisterPage {
    pub units: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub assessors: Vec<Choice>,
    pub sections: Vec<Choice>,
    pub indicators: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub evidence: Vec<Choice>,
    pub page_sizes: Vec<Choice>,
    pub as_of: String,
    pub heading: String,
    pub standing: String,
    pub total: usize,
    pub without_evidence: usize,
    pub rows: Vec<RegisterRow>,
    /// `第 1–20 条，共 43 条`.
    pub page_info: String,
    /// The queries of the previous and next pages, filters kept.
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The query of the downloads (the filters, no page), without `format`.
    pub download_query: String,
}

pub fn register(t: &Text, page: &RegisterPage, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.register_title) }
        section.card {
            form.pickers method="get" action="/register" data-autosubmit {
                label { (t.unit_label) (select("unit", &page.units)) }
                label { (t.period_label) (select("period", &page.periods)) }
                label { (t.assessor_label) (select("assessor", &page.assessors)) }
                label { (t.section_label) (select("section", &page.sections)) }
                label { (t.indicator_label) (select("indicator", &page.indicators)) }
                label { (t.category_label) (select("category", &page.categories)) }
                label { (t.evidence_label) (select("evidence", &page.evidence)) }
                label { (t.page_size_label) (select("limit", &page.page_sizes)) }
                label { (t.as_of_label)
                    input type="date" name="as_of" value=(page.as_of) title=(t.as_of_hint);
                }
                button type="submit" { (t.show_button) }
            }
        }
        section.card {
            h2 { (page.heading) }
            p.muted { (page.standing) }
            @if page.without_evidence > 0 {
                p.note {
                    (t.without_evidence_note.0)
                    span data-figure="without_evidence" { (page.without_evidence) }
                    (t.without_evidence_note.1)
                }
            }
            p #page-info data-total=(page.total) { (page.page_info) }
            @if page.rows.is_empty() {
                p.muted { (t.no_deductions) }
            } @else {
                div.scroll {
                    table.ranking.register {
                        thead {
                            tr {
                                th { (t.period_label) }
                                th { (t.unit_code) }
                                th { (t.unit_name) }
                                th { (t.indicator) }
                                th { (t.assessor_label) }
                                th { (t.recorded_at) }
                                th.num { (t.event) }
                                th.num { (t.points) }
                                th.num { (t.effective) }
                                th { (t.reason) }
                                th { (t.category) }
                                th { (t.evidence) }
                                th { (t.cause_unit) }
                                th.num { (t.appeals) }
                            }
                        }
                        tbody {
                            @for row in &page.rows {
                                tr data-seq=(row.seq) {
                                    td { (row.period) }
                                    td { code { (row.unit) } }
                                    td.unit-name { (row.name) }
                                    td { code { (row.indicator) } }
                                    td { (row.assessor) }
                                    td { (row.recorded_at) }
                                    td.num { (trace_link(row.seq, row.trace.as_deref())) }
                                    td.num data-points { (row.points) }
                                    td.num data-effective {
                                        (row.effective)
                                        @if let Some(seq) = row.withdrawn {
                                            " " span.badge title=(seq) { (t.withdrawn) }
                                        }
                                    }
                                    td.reason { (row.reason) }
                                    td { (row.category) }
                                    td {
                                        @if row.evidence > 0 { (t.has_evidence) (t.marks.paren(row.evidence)) }
                                        @else if row.evidence_missing { span.veto { (t.lacks_evidence) } }
                                    }
                                    td { (row.cause_unit) }
                                    td.num {
                                        (row.appeals)
                                        @if let Some(link) = &row.appeal_link {
                                            " " a.appeal-link href=(link) { (t.appeal_page.file_link) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav.pages aria-label=(t.page_info) {
                @if let Some(previous) = &page.previous {
                    a rel="prev" href=(format!("/register?{previous}")) { (t.previous_page) }
                }
                @if let Some(next) = &page.next {
                    a rel="next" href=(format!("/register?{next}")) { (t.next_page) }
                }
            }
            p.downloads {
                (t.download) (t.marks.colon)
                a href=(format!("/downloads/register?{}&format=csv", page.download_query)) { "CSV" }
                a href=(format!("/downloads/register?{}&format=xlsx", page.download_query)) { "XLSX" }
                span.muted { (t.register_download_note) }
            }
        }
    };
    frame(t, t.register_title, Some(visitor), Place::Register, Scripts::App, content)
}

// ---- The audit page --------------------------------------------------------------------------

/// The result of a verification run, as the audit page shows it.
pub struct VerificationView {
    pub intact: bool,
    pub at: String,
    pub figures: Vec<Figure>,
    /// What failed, when something did.
    pub failure: Option<String>,
}

/// What the audit page shows.
pub struct AuditPage {
    pub head: Vec<Figure>,
    pub checkpoint: Vec<Figure>,
    /// Whether the reader may run a verification and download the export (the whole ledger).
    pub ledger_reader: bool,
    /// The last verification run, when there was one.
    pub verification: Option<VerificationView>,
    /// The commands of the instructions, the public key written in.
    pub commands: String,
}

pub fn audit(t: &Text, page: &AuditPage, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.audit_title) }
        section.card #head {
            h2 { (t.head_title) }
            (figures(&page.head))
        }
        section.card #checkpoint {
            h2 { (t.checkpoint_title) }
            p.muted { (t.checkpoint_intro) }
            (figures(&page.checkpoint))
            p.downloads { a href="/downloads/checkpoint" { (t.checkpoint_download) } }
        }
        section.card #verification {
            h2 { (t.verification_title) }
            @if page.ledger_reader {
                @match &page.verification {
                    None => p.muted { (t.verification_never) },
                    Some(run) => {
                        @if run.intact {
                            p.intact #verification-result data-intact="true" { (t.verification_intact) }
                        } @else {
                            p.error #verification-result data-intact="false" role="alert" {
                                (t.verification_broken) (run.failure.as_deref().unwrap_or(""))
                            }
                        }
                        p.muted { (t.verification_at) (t.marks.colon) (run.at) }
                        (figures(&run.figures))
                    },
                }
                form method="get" action="/audit" {
                    input type="hidden" name="verify" value="true";
                    button type="submit" { (t.verify_button) }
                }
            } @else {
                p.muted { (t.ledger_readers_only) }
            }
        }
        section.card #export {
            h2 { (t.export_title) }
            @if page.ledger_reader {
                p.muted { (t.export_intro) }
                p.downloads { a href="/downloads/export" { (t.export_download) } }
            } @else {
                p.muted { (t.ledger_readers_only) }
            }
        }
        section.card #instructions {
            h2 { (t.instructions_title) }
            p { (t.instructions_intro) }
            ol {
                @for step in t.instructions { li { (step) } }
            }
            pre { code { (page.commands) } }
            p.muted { (t.instructions_exit) }
        }
    };
    frame(t, t.audit_title, Some(visitor), Place::Audit, Scripts::None, content)
}
