//! The documents' pages, as maud templates in the site's frame: the index, the bulletin, the
//! horizontal comparison table and the analysis report. Each document is an `article.document` laid
//! out as a sheet of A4 (landscape for the table): above it, a toolbar that is not printed (pickers,
//! the other documents, downloads, a print button); inside it, a frame table whose footer row keeps
//! room on every printed page for the chain footer, which the print rules fix to the bottom of each
//! page. Every value is escaped by maud, every word comes from `text`, and figures carry `data-`
//! keys that the tests and app.js read; a chart's data travels in a `data-` attribute.

use maud::{html, Markup};

use crate::site::documents::Kind;
use crate::site::pages::{frame, select, tier_badge, Choice, Place, Scripts, Visitor};
use crate::site::text::Text;

/// The pickers and links above a document.
pub struct Toolbar {
    pub kind: Kind,
    pub schemes: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub as_of: String,
    pub provisional: bool,
    /// The question as a query string (no `format`), for the links and downloads.
    pub query: String,
}

/// What every document says first: its title, who issues it, which group and period, where it stands.
pub struct DocumentHead {
    pub title: &'static str,
    pub issuer: String,
    pub heading: String,
    pub standing: String,
    pub period_note: Option<String>,
    pub provisional_periods: Vec<String>,
    pub unassessed: usize,
}

/// Where in the chain a document was read, and the latest signed checkpoint: its footer.
pub struct ChainFooter {
    pub seq: u64,
    pub hash: String,
    pub tree_size: u64,
    pub root: String,
    pub signed_at: String,
}

// ---- The bulletin -----------------------------------------------------------------------------

pub struct BulletinRow {
    pub rank: u32,
    pub tier: u32,
    pub unit: String,
    pub name: String,
    pub county: Option<String>,
    pub final_score: String,
    pub veto: bool,
    pub score_change: String,
    pub rank_change: String,
    pub tier_change: String,
    pub points_max: String,
    pub lost: String,
}

pub struct LossRow {
    pub period: String,
    pub indicator: String,
    pub indicator_name: String,
    pub kind: &'static str,
    pub amount: String,
    pub reason: String,
    pub category: String,
    pub seq: Option<u64>,
    pub charged_from: String,
    /// A line of the city's scheme under a taken-over indicator's loss.
    pub city: bool,
}

pub struct MemberLosses {
    pub unit: String,
    pub name: String,
    pub lost: String,
    pub lines: Vec<LossRow>,
}

pub struct RepeatLine {
    pub unit: String,
    pub name: String,
    pub period: String,
    pub category: String,
    pub periods: String,
    pub rule: String,
}

pub struct Proposal {
    pub unit: String,
    pub name: String,
    pub reasons: String,
}

pub struct BulletinView {
    pub seq: u64,
    pub head: DocumentHead,
    pub previous_period: Option<String>,
    pub sections: bool,
    pub rows: Vec<BulletinRow>,
    pub unranked: Vec<String>,
    pub members: Vec<MemberLosses>,
    pub repeats: Vec<RepeatLine>,
    pub praise: Vec<Proposal>,
    pub criticism: Vec<Proposal>,
}

// ---- The horizontal comparison table ----------------------------------------------------------

pub struct TableColumn {
    pub unit: String,
    pub name: String,
    /// A section's county, for a group of sections.
    pub county: Option<String>,
}

pub struct TableRow {
    /// `rank`, `tier`, `final_score`, `gap_to_leader`, `gap_to_next_tier`, `lost`, `veto`,
    /// `indicator:<code>`, `floor_absorbed`.
    pub key: String,
    pub label: String,
    /// The indicator's code, for an indicator's row.
    pub code: String,
    pub strong: bool,
    /// One per column.
    pub cells: Vec<String>,
}

pub struct TableView {
    pub seq: u64,
    pub head: DocumentHead,
    pub columns: Vec<TableColumn>,
    pub rows: Vec<TableRow>,
    pub unranked: Vec<String>,
}

// ---- The analysis report ----------------------------------------------------------------------

pub struct MovementRow {
    pub unit: String,
    pub name: String,
    pub previous_rank: String,
    pub rank: u32,
    /// `up`, `down`, `same` or `none`.
    pub direction: &'static str,
    pub change: String,
    pub previous_score: String,
    pub score: String,
    pub score_change: String,
}

pub struct ShareRow {
    pub key: String,
    pub label: String,
    pub points: String,
    pub share: String,
    pub total: bool,
}

pub struct LoadRow {
    pub key: String,
    pub label: String,
    /// One per year of `AnalysisView::load_years`.
    pub cells: Vec<String>,
}

pub struct AnalysisView {
    pub seq: u64,
    pub head: DocumentHead,
    pub previous_period: Option<String>,
    pub movement: Vec<MovementRow>,
    pub movement_summary: String,
    pub categories: Vec<ShareRow>,
    pub category_chart: String,
    pub sections_note: &'static str,
    pub sections: Vec<ShareRow>,
    pub section_chart: String,
    pub repeats: Vec<RepeatLine>,
    pub load_years: Vec<i32>,
    pub load_rows: Vec<LoadRow>,
}

// ---- The pieces -------------------------------------------------------------------------------

fn document_link(kind: Kind, query: &str) -> String {
    format!("{}?{query}", kind.path())
}

/// The pickers (shown again on change), the documents of the question, the downloads and the print
/// button: none of it printed.
fn toolbar(t: &Text, bar: &Toolbar) -> Markup {
    let words = t.documents;
    html! {
        section.card.no-print.document-tools {
            form.pickers method="get" action=(bar.kind.path()) data-autosubmit {
                label { (t.scheme_label) (select("scheme", &bar.schemes)) }
                label { (t.group_label) (select("group", &bar.groups)) }
                label { (t.period_label) (select("period", &bar.periods)) }
                label { (t.as_of_label)
                    input type="date" name="as_of" value=(bar.as_of) title=(t.as_of_hint);
                }
                label { (t.provisional_badge)
                    input type="checkbox" name="provisional" value="true" checked[bar.provisional];
                }
                button type="submit" { (t.show_button) }
            }
            nav.document-links aria-label=(words.links_label) {
                @for kind in Kind::DOCUMENTS {
                    a href=(document_link(kind, &bar.query)) data-document-link=(kind.path())
                        aria-current=[(kind == bar.kind).then_some("page")] { (kind.title(t)) }
                }
            }
            @if bar.kind != Kind::Index {
                p.downloads {
                    @if let Some(name) = bar.kind.download() {
                        (t.download) (t.marks.colon)
                        a href=(format!("/downloads/{name}?{}&format=xlsx", bar.query)) { "XLSX" }
                        a href=(format!("/downloads/{name}?{}&format=csv", bar.query)) { "CSV" }
                    }
                    button.quiet type="button" data-print { (words.print_button) }
                    span.muted { (words.print_hint) }
                }
            }
        }
    }
}

fn head(t: &Text, head: &DocumentHead, against: Option<&Option<String>>) -> Markup {
    let words = t.documents;
    html! {
        header.document-head {
            p.issuer { (words.issued_by) (t.marks.colon) (head.issuer) }
            h1.document-title { (head.title) }
            p.document-subtitle #document-heading {
                (head.heading) " "
                @if !head.provisional_periods.is_empty() { span.badge { (t.provisional_badge) } }
            }
            p.muted.standing { (head.standing) }
            @if let Some(note) = &head.period_note { p.muted { (note) } }
            @if let Some(against) = against {
                p.muted {
                    @match against {
                        Some(previous) => { (words.changes_against) span data-figure="previous_period" { (previous) } },
                        None => (words.no_previous),
                    }
                }
            }
            @if !head.provisional_periods.is_empty() {
                p.note { (t.provisional_note) (head.provisional_periods.join(t.marks.list)) }
            }
            @if head.unassessed > 0 {
                p.note { (t.unassessed_note.0) (head.unassessed) (t.unassessed_note.1) }
            }
        }
    }
}

/// The footer of a document: where in the chain it was read, and the latest signed checkpoint.
fn chain_footer(t: &Text, footer: &ChainFooter) -> Markup {
    let words = t.documents;
    html! {
        footer.document-footer {
            (words.footer_position)
            span data-figure="footer_seq" { (footer.seq) }
            (words.footer_hash)
            code data-figure="footer_hash" { (footer.hash) }
            (words.footer_checkpoint)
            span data-figure="footer_tree_size" { (footer.tree_size) }
            (words.footer_root)
            code data-figure="footer_root" { (footer.root) }
            (words.footer_signed_at)
            span data-figure="footer_signed_at" { (footer.signed_at) }
            (words.footer_verify)
        }
    }
}

/// A document as a sheet: the frame table keeps room for the footer on every printed page.
fn document(t: &Text, kind: &'static str, landscape: bool, footer: &ChainFooter, content: Markup) -> Markup {
    html! {
        article.document.landscape[landscape] #document data-document=(kind) {
            table.print-frame role="presentation" {
                tfoot { tr { td { div.footer-space {} } } }
                tbody { tr { td { (content) } } }
            }
            (chain_footer(t, footer))
        }
    }
}

fn repeats_table(t: &Text, repeats: &[RepeatLine]) -> Markup {
    html! {
        @if repeats.is_empty() {
            p.muted { (t.no_repeats) }
        } @else {
            table.ranking.doc-table.repeats {
                thead {
                    tr {
                        th { (t.unit_code) }
                        th { (t.unit_name) }
                        th { (t.period_label) }
                        th { (t.category) }
                        th { (t.repeat_periods) }
                        th { (t.repeat_rule) }
                    }
                }
                tbody {
                    @for repeat in repeats {
                        tr data-repeat=(format!("{}:{}:{}", repeat.unit, repeat.period, repeat.category)) {
                            td { code { (repeat.unit) } }
                            td { (repeat.name) }
                            td { (repeat.period) }
                            td { (repeat.category) }
                            td.periods { (repeat.periods) }
                            td { (repeat.rule) }
                        }
                    }
                }
            }
        }
    }
}

// ---- The pages --------------------------------------------------------------------------------

/// The index: the pickers, and what each document holds, linked.
pub fn index(t: &Text, bar: &Toolbar, visitor: &Visitor<'_>) -> String {
    let words = t.documents;
    let content = html! {
        h1 { (words.title) }
        p.muted { (words.intro) }
        (toolbar(t, bar))
        section.card #document-index {
            dl.document-list {
                @for kind in Kind::DOCUMENTS {
                    div {
                        dt { a href=(document_link(kind, &bar.query)) { (kind.title(t)) } }
                        dd.muted { (kind.about(t)) }
                    }
                }
            }
        }
    };
    frame(t, words.title, Some(visitor), Place::Documents, Scripts::App, content)
}

pub fn bulletin(t: &Text, bar: &Toolbar, view: &BulletinView, footer: &ChainFooter, visitor: &Visitor<'_>) -> String {
    let words = t.documents;
    let content = html! {
        section.doc-section #results {
            h2 { (words.results_title) }
            table.ranking.doc-table #bulletin-results {
                thead {
                    tr {
                        th.num { (t.rank) }
                        th { (t.unit_code) }
                        th { (t.unit_name) }
                        @if view.sections { th { (t.county) } }
                        th.num { (t.final_score) }
                        th { (t.tier) }
                        th.num { (t.score_change) }
                        th.num { (t.rank_change) }
                        th.num { (t.tier_change) }
                        th.num { (words.points_max) }
                        th.num { (words.member_lost) }
                    }
                }
                tbody {
                    @for row in &view.rows {
                        tr data-unit=(row.unit) {
                            td.num data-rank { (row.rank) }
                            td { code { (row.unit) } }
                            td.unit-name {
                                (row.name)
                                @if row.veto { " " span.veto { (t.veto) } }
                            }
                            @if view.sections { td { (row.county.as_deref().unwrap_or("")) } }
                            td.num data-score { (row.final_score) }
                            td data-tier=(row.tier) { (tier_badge(t, row.tier)) }
                            td.num data-score-change { (row.score_change) }
                            td.num data-rank-change { (row.rank_change) }
                            td.num data-tier-change { (row.tier_change) }
                            td.num { (row.points_max) }
                            td.num data-lost { (row.lost) }
                        }
                    }
                }
            }
            @if !view.unranked.is_empty() {
                p.muted { (t.unranked_note) (view.unranked.join(t.marks.list)) }
            }
        }
        section.doc-section #losses {
            h2 { (words.losses_title) }
            @if view.members.is_empty() {
                p.muted { (t.no_losses) }
            }
            @for member in &view.members {
                div.member-losses data-member=(member.unit) {
                    h3 {
                        code { (member.unit) } " " (member.name) " · " (words.member_lost) " "
                        span data-member-lost { (member.lost) }
                    }
                    table.ranking.doc-table.losses {
                        thead {
                            tr {
                                th { (t.period_label) }
                                th { (t.indicator) }
                                th { (t.line_kind) }
                                th.num { (t.amount) }
                                th { (t.reason) }
                                th { (t.category) }
                                th.num { (t.event) }
                            }
                        }
                        tbody {
                            @for line in &member.lines {
                                tr.line.city[line.city] data-loss-amount=(line.amount) {
                                    td { (line.period) }
                                    td.indicator { code { (line.indicator) } " " (line.indicator_name) }
                                    td {
                                        @if line.city { (words.city_loss) (t.marks.colon) }
                                        (line.kind)
                                    }
                                    td.num { (line.amount) }
                                    td.reason {
                                        (line.reason)
                                        @if !line.charged_from.is_empty() {
                                            br; span.muted { (words.charged_from) (t.marks.colon) (line.charged_from) }
                                        }
                                    }
                                    td { (line.category) }
                                    td.num { @if let Some(seq) = line.seq { (seq) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.doc-section #repeats {
            h2 { (words.repeats_title) }
            (repeats_table(t, &view.repeats))
        }
        section.doc-section #proposals {
            h2 { (words.proposals_title) }
            @for (label, key, list) in [(words.praise, "praise", &view.praise), (words.criticism, "criticism", &view.criticism)] {
                h3 { (label) }
                @if list.is_empty() {
                    p.muted data-proposal-empty=(key) { (words.none) }
                } @else {
                    ul.proposals data-proposals=(key) {
                        @for proposal in list {
                            li data-unit=(proposal.unit) {
                                code { (proposal.unit) } " " (proposal.name) (t.marks.colon) span.muted { (proposal.reasons) }
                            }
                        }
                    }
                }
            }
            p.muted.small { (words.proposals_note) }
        }
    };
    let body = html! {
        (toolbar(t, bar))
        (document(t, "bulletin", false, footer, html! { (head(t, &view.head, Some(&view.previous_period))) (content) }))
    };
    frame(t, view.head.title, Some(visitor), Place::Documents, Scripts::App, body)
}

pub fn table(t: &Text, bar: &Toolbar, view: &TableView, footer: &ChainFooter, visitor: &Visitor<'_>) -> String {
    let words = t.documents;
    let content = html! {
        section.doc-section #horizontal-table-section {
            p.muted.small { (words.table_note) }
            table.ranking.doc-table.side-by-side #horizontal-table {
                thead {
                    tr {
                        th { (words.item) }
                        @for column in &view.columns {
                            th.num data-column=(column.unit) {
                                code { (column.unit) } br;
                                span.column-name { (column.name) }
                                @if let Some(county) = &column.county { br; span.muted { (county) } }
                            }
                        }
                    }
                }
                tbody {
                    @for (index, row) in view.rows.iter().enumerate() {
                        @if row.key.starts_with("indicator:") && !view.rows[..index].iter().any(|r| r.key.starts_with("indicator:")) {
                            tr.group-row { th colspan=(view.columns.len() + 1) { (words.indicators_lost) } }
                        }
                        tr.strong[row.strong] data-row=(row.key) {
                            th {
                                @if !row.code.is_empty() { code { (row.code) } " " }
                                (row.label)
                            }
                            @for (column, cell) in view.columns.iter().zip(&row.cells) {
                                td.num data-unit=(column.unit) { (cell) }
                            }
                        }
                    }
                }
            }
            @if !view.unranked.is_empty() {
                p.muted { (t.unranked_note) (view.unranked.join(t.marks.list)) }
            }
        }
    };
    let body = html! {
        (toolbar(t, bar))
        (document(t, "horizontal", true, footer, html! { (head(t, &view.head, None)) (content) }))
    };
    frame(t, view.head.title, Some(visitor), Place::Documents, Scripts::App, body)
}

fn share_table(t: &Text, id: &str, first: &str, rows: &[ShareRow]) -> Markup {
    let words = t.documents;
    html! {
        table.ranking.doc-table.shares id=(id) {
            thead {
                tr {
                    th { (first) }
                    th.num { (words.member_lost) }
                    th.num { (words.share) }
                }
            }
            tbody {
                @for row in rows {
                    tr.strong[row.total] data-key=(row.key) {
                        td { (row.label) }
                        td.num data-points { (row.points) }
                        td.num { (row.share) }
                    }
                }
            }
        }
    }
}

pub fn analysis(t: &Text, bar: &Toolbar, view: &AnalysisView, footer: &ChainFooter, visitor: &Visitor<'_>) -> String {
    let words = t.documents;
    let content = html! {
        section.doc-section #movement {
            h2 { (words.movement_title) }
            @if view.previous_period.is_some() {
                p #movement-summary { (view.movement_summary) }
            }
            table.ranking.doc-table #movement-table {
                thead {
                    tr {
                        th { (t.unit_code) }
                        th { (t.unit_name) }
                        th.num { (words.previous_rank) }
                        th.num { (words.current_rank) }
                        th { (t.rank_change) }
                        th.num { (words.previous_score) }
                        th.num { (words.current_score) }
                        th.num { (t.score_change) }
                    }
                }
                tbody {
                    @for row in &view.movement {
                        tr data-unit=(row.unit) data-direction=(row.direction) {
                            td { code { (row.unit) } }
                            td { (row.name) }
                            td.num data-previous-rank { (row.previous_rank) }
                            td.num data-rank { (row.rank) }
                            td class=(format!("move move-{}", row.direction)) { (row.change) }
                            td.num data-previous-score { (row.previous_score) }
                            td.num data-score { (row.score) }
                            td.num data-score-change { (row.score_change) }
                        }
                    }
                }
            }
        }
        section.doc-section #categories {
            h2 { (words.categories_title) }
            @if view.categories.is_empty() {
                p.muted { (words.no_category_losses) }
            } @else {
                div.doc-chart #category-chart role="img" aria-label=(words.category_chart_label) data-pie=(view.category_chart) {}
                (share_table(t, "category-table", t.category, &view.categories))
            }
        }
        section.doc-section #sections {
            h2 { (words.sections_title) }
            p.muted { (view.sections_note) }
            @if view.sections.is_empty() {
                p.muted { (words.no_category_losses) }
            } @else {
                div.doc-chart #section-chart role="img" aria-label=(words.section_chart_label) data-bars=(view.section_chart) {}
                (share_table(t, "section-table", words.section, &view.sections))
            }
        }
        section.doc-section #repeats {
            h2 { (words.analysis_repeats_title) }
            (repeats_table(t, &view.repeats))
        }
        section.doc-section #load {
            h2 { (words.load_title) }
            @if view.load_rows.is_empty() {
                p.muted { (words.no_load) }
            } @else {
                p.muted { (words.load_note) }
                table.ranking.doc-table #load-table {
                    thead {
                        tr {
                            th { (words.section) }
                            @for year in &view.load_years { th.num { (year) } }
                        }
                    }
                    tbody {
                        @for row in &view.load_rows {
                            tr data-key=(row.key) {
                                td { (row.label) }
                                @for (year, cell) in view.load_years.iter().zip(&row.cells) {
                                    td.num data-year=(year) { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let body = html! {
        (toolbar(t, bar))
        (document(t, "analysis", false, footer, html! { (head(t, &view.head, Some(&view.previous_period))) (content) }))
    };
    frame(t, view.head.title, Some(visitor), Place::Documents, Scripts::Charts, body)
}
