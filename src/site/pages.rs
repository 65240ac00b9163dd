//! The pages, as maud templates compiled into the binary: the frame every page shares, the sign-in
//! page, the overview (a scheme's ranking for a period: pickers, chart, table) and the refusal and
//! error pages. Every value is escaped by maud; every word comes from `text::Text`; no page carries a
//! script or a style of its own (the Content-Security-Policy allows only the site's files).

use maud::{html, Markup, DOCTYPE};

use crate::site::assets;
use crate::site::text::Text;

/// Who is signed in, as the header shows it, with the CSRF token the sign-out form carries.
pub struct Visitor<'a> {
    pub label: String,
    pub csrf: &'a str,
}

/// The frame of every page: head with the style sheet and icon, the bar, the content, the scripts.
pub fn frame(t: &Text, title: &str, visitor: Option<&Visitor<'_>>, scripts: bool, content: Markup) -> String {
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
                    @if let Some(visitor) = visitor {
                        span.who { (t.signed_in_as) "：" (visitor.label) }
                        form.inline method="post" action="/sign-out" {
                            input type="hidden" name="csrf" value=(visitor.csrf);
                            button.quiet type="submit" { (t.sign_out_button) }
                        }
                    }
                }
                main { (content) }
                footer { (t.footer) }
                @if scripts {
                    script src=(assets::url("echarts.js")) {}
                    script src=(assets::url("app.js")) {}
                }
            }
        }
    }
    .into_string()
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
    frame(t, t.sign_in_title, None, false, content)
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
    frame(t, title, visitor, false, content)
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
                    p.note { (t.provisional_note) (overview.provisional_periods.join("、")) }
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
                                td { span class=(format!("tier tier-{}", row.tier.clamp(1, 6))) { (t.tier_n.0) (row.tier) (t.tier_n.1) } }
                                td { code { (row.unit) } }
                                td.unit-name { (row.name) }
                                @if overview.sections { td { (row.county.as_deref().unwrap_or("")) } }
                                td.num { (row.final_score) }
                                td { @if row.veto { span.veto { (t.veto) } } }
                            }
                        }
                    }
                }
                @if !overview.unranked.is_empty() {
                    p.muted { (t.unranked_note) (overview.unranked.join("、")) }
                }
                p.downloads {
                    (t.download) "："
                    a href=(format!("/downloads/ranking?{}&format=csv", overview.download_query)) { "CSV" }
                    a href=(format!("/downloads/ranking?{}&format=xlsx", overview.download_query)) { "XLSX" }
                }
            }
        }
    };
    frame(t, t.overview_title, Some(visitor), overview.empty.is_none(), content)
}
