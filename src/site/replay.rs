//! The replay (历史回放, `GET /replay?scheme=…&group=…&period=…&as_of=YYYY-MM-DD&from=YYYY-MM-DD
//! &provisional=true`): a scheme's ranking for a period as it stood at the end of any day between the
//! scheme's first event and today — a date field (a plain form: it works without script) and a slider
//! over the same days that app.js shows and follows — and, given a second day (`from`), the diff
//! between the two: every unit whose score, rank or tier changed, with the events that moved it
//! (sequence number, type, time, actor), as the API's `/v1/rankings/diff` gives it.
//!
//! Invariant: it reads only what the API answers for the same question — `/v1/rankings` with
//! `as_of`, `/v1/rankings/diff` — after the same `may_read`: the ranking is published to its group
//! (`ReadTarget::Ranking`), the diff shows each member's events (`ReadTarget::GroupDetail`, the
//! scheme's issuer): a reader who may not see the diff is offered no second day, and asking for one
//! is refused (403), as the API refuses it. Nothing is ranked again here.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};

use crate::domain::date::Date;
use crate::domain::{FunctionCode, PeriodId, SchemeId, UnitCode};
use crate::projection::{AsOf, RankingDiff};
use crate::service::queries::{QueryError, RankingScope, ReadTarget, Reader, View};
use crate::site::pages::{self, select, tier_badge, Choice, Place, Scripts, Visitor};
use crate::site::request::{
    blocking_page, default_period, group_choices, group_label, parse, period_choices, period_note, scheme_choices,
    standing_text, GroupParts, GroupQuery, QueryString, Refusal,
};
use crate::site::text::Text;
use crate::site::SiteState;

/// The replay's question, as its form sends it; every part may be left out (the latest scheme, its
/// first readable group, its latest published period, today, no diff).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ReplayQuery {
    #[serde(flatten)]
    asked: GroupQuery,
    from: Option<String>,
}

/// One unit of the ranking as it stood.
pub struct ReplayRow {
    pub rank: u32,
    pub tier: u32,
    pub unit: String,
    pub name: String,
    pub county: Option<String>,
    pub final_score: String,
    pub veto: bool,
    /// Whether the diff lists it.
    pub changed: bool,
}

/// A unit's standing on one side of the diff.
pub struct StandingView {
    pub rank: u32,
    pub tier: u32,
    pub final_score: String,
}

/// An event that moved a unit's score.
pub struct MoveView {
    pub seq: u64,
    pub event_type: String,
    pub event_name: Option<&'static str>,
    pub recorded_at: String,
    pub actor: String,
    pub score_before: String,
    pub score_after: String,
    /// The query of the trace page at the event, when the reader may read the unit's facts.
    pub trace: Option<String>,
}

/// One unit the diff lists.
pub struct ChangeView {
    pub unit: String,
    pub name: String,
    pub before: Option<StandingView>,
    pub after: Option<StandingView>,
    pub moves: Vec<MoveView>,
}

/// The diff between the two days.
pub struct DiffView {
    pub between: String,
    pub from_seq: u64,
    pub to_seq: u64,
    pub changes: Vec<ChangeView>,
}

/// What the replay shows.
pub struct ReplayPage {
    pub schemes: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub provisional: bool,
    /// The day shown (the date field's value) and the day compared with (blank: none).
    pub as_of: String,
    pub from: String,
    /// The days the slider runs over: from the scheme's first event to today.
    pub first_day: String,
    pub today: String,
    pub slider_max: i64,
    pub slider_value: i64,
    /// Whether the reader may see a diff (and is offered the second day).
    pub diff_allowed: bool,
    pub heading: String,
    pub standing: String,
    pub period_note: Option<String>,
    pub sections: bool,
    pub provisional_periods: Vec<String>,
    /// The ranking as it stood, or why there was none.
    pub rows: Result<Vec<ReplayRow>, String>,
    pub diff: Option<DiffView>,
}

fn scope(scheme: &SchemeId, group: &Option<FunctionCode>) -> RankingScope {
    RankingScope::Group { scheme: scheme.clone(), function_code: group.clone() }
}

/// The day an as-of point names, when it names one.
fn day_of(as_of: AsOf) -> Option<Date> {
    match as_of {
        AsOf::EndOfDay { year, month, day } => Date::new(year, month, day),
        _ => None,
    }
}

fn replay_page(site: &SiteState, reader: &Reader, query: &ReplayQuery, t: &Text) -> Result<ReplayPage, Refusal> {
    let read_models = &site.app.read_models;
    let now = site.app.service.clock().now();
    let zone = read_models.time_zone();
    let GroupParts { scheme: scheme_asked, group: group_asked, period: period_asked, as_of, provisional } =
        GroupParts::parse(&query.asked)?;
    let as_of_asked = as_of;
    let from = parse(query.from.as_deref(), crate::service::queries::parse_as_of, "from")?;
    let counting = GroupParts::counting_of(provisional);

    let schemes = read_models.schemes(AsOf::Latest)?.value.schemes;
    let scheme = match scheme_asked {
        Some(scheme) => scheme,
        None => match schemes.iter().max_by_key(|listing| listing.year) {
            Some(listing) => listing.scheme.clone(),
            None => return Err(Refusal::NotFound(format!("scheme: {}", t.no_schemes))),
        },
    };
    let Some(listing) = schemes.iter().find(|listing| listing.scheme == scheme).cloned() else {
        return Err(Refusal::NotFound(format!("scheme: no scheme {scheme} is open")));
    };
    let periods = read_models.periods(&scheme, AsOf::Latest, now)?.value;
    let Some(period) = period_asked.or_else(|| default_period(&periods)) else {
        return Err(Refusal::NotFound(format!("period: {}", t.no_periods)));
    };
    let readable = |group: &Option<FunctionCode>| {
        let target = ReadTarget::Ranking { scope: scope(&scheme, group), period };
        read_models.may_read(reader, &target).is_ok()
    };
    let groups: Vec<Option<FunctionCode>> =
        listing.peer_groups.iter().map(|group| group.function_code.clone()).filter(|group| readable(group)).collect();
    let group = group_asked.or_else(|| groups.first().cloned()).flatten();
    // Judged before anything is read, as the API judges `/v1/rankings` and `/v1/rankings/diff`.
    read_models.may_read(reader, &ReadTarget::Ranking { scope: scope(&scheme, &group), period })?;
    let detail = ReadTarget::GroupDetail { scope: scope(&scheme, &group), period };
    let diff_allowed = read_models.may_read(reader, &detail).is_ok();
    if from.is_some() {
        read_models.may_read(reader, &detail)?;
    }

    // The days the slider runs over: the scheme's first event to today, on the ledger's clock.
    let opening = read_models.scheme_opening(&scheme)?;
    let first_day = Date::of_instant(opening.recorded_at, zone);
    let today = Date::of_instant(now, zone).max(first_day);
    let as_of = as_of_asked.unwrap_or(AsOf::EndOfDay { year: today.year(), month: today.month(), day: today.day() });
    let shown_day = day_of(as_of);
    let slider_max = today.days_since_epoch() - first_day.days_since_epoch();
    let slider_value =
        shown_day.map_or(slider_max, |day| day.days_since_epoch() - first_day.days_since_epoch()).clamp(0, slider_max);

    let scope = scope(&scheme, &group);
    let names: BTreeMap<UnitCode, String> =
        read_models.units(AsOf::Latest)?.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect();
    let named = |unit: &UnitCode| match names.get(unit).filter(|name| !name.is_empty()) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    };
    let diff = match from {
        None => None,
        Some(from) => match read_models.ranking_diff(&scope, period, from, as_of, counting) {
            Ok(diff) => Some(diff),
            Err(QueryError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        },
    };
    let changed: BTreeSet<UnitCode> =
        diff.iter().flat_map(|diff| diff.changes.iter().map(|change| change.unit.clone())).collect();
    let (rows, standing, sections, provisional_periods) =
        match read_models.ranking(&scope, period, View { as_of, counting }) {
            Ok(answer) if answer.value.standings.is_empty() => (
                Err(t.replay_no_ranking.to_owned()),
                standing_text(t, answer.as_of_seq, answer.as_of_instant, zone),
                false,
                Vec::new(),
            ),
            Ok(answer) => {
                let ranking = &answer.value;
                let rows = ranking
                    .standings
                    .iter()
                    .map(|standing| ReplayRow {
                        rank: standing.rank,
                        tier: standing.tier,
                        unit: standing.unit.to_string(),
                        name: standing.name.clone(),
                        county: standing.parent.as_ref().map(named),
                        final_score: standing.final_score.to_string(),
                        veto: standing.veto,
                        changed: changed.contains(&standing.unit),
                    })
                    .collect();
                (
                    Ok(rows),
                    standing_text(t, answer.as_of_seq, answer.as_of_instant, zone),
                    ranking.group.function_code.is_some(),
                    ranking.provisional_periods.iter().map(PeriodId::to_string).collect(),
                )
            }
            Err(QueryError::NotFound { .. }) => {
                let resolved = read_models.resolve(as_of).map_err(QueryError::from)?;
                (
                    Err(t.replay_no_ranking.to_owned()),
                    standing_text(t, resolved.seq, resolved.instant, zone),
                    false,
                    Vec::new(),
                )
            }
            Err(error) => return Err(error.into()),
        };
    let trace_of = |unit: &UnitCode, seq: u64| {
        let target = ReadTarget::Unit { field: "unit", unit: Some(unit.clone()) };
        read_models.may_read(reader, &target).is_ok().then(|| {
            let query = QueryString::new()
                .with("unit", unit.as_str())
                .with("scheme", scheme.as_str())
                .with("period", period.to_string())
                .with("as_of", query.asked.as_of.as_deref().unwrap_or_default())
                .with("provisional", if provisional { "true" } else { "" });
            format!("{query}#event-{seq}")
        })
    };
    let diff = diff.map(|diff| diff_view(t, &diff, &names, zone, &trace_of));

    let group_choices = group_choices(t, &groups, &group);
    let date_text = |as_of: Option<AsOf>| as_of.and_then(day_of).map(|day| day.to_string()).unwrap_or_default();
    Ok(ReplayPage {
        schemes: scheme_choices(t, &schemes, Some(&scheme)),
        groups: group_choices,
        periods: period_choices(t, &periods, period),
        provisional,
        as_of: date_text(Some(as_of)),
        from: date_text(from),
        first_day: first_day.to_string(),
        today: today.to_string(),
        slider_max,
        slider_value,
        diff_allowed,
        heading: format!("{scheme} · {} · {period}", group_label(t, &group)),
        standing,
        period_note: period_note(t, &periods, period, zone),
        sections,
        provisional_periods,
        rows,
        diff,
    })
}

fn diff_view(
    t: &Text,
    diff: &RankingDiff,
    names: &BTreeMap<UnitCode, String>,
    zone: crate::domain::timestamp::UtcOffset,
    trace_of: &dyn Fn(&UnitCode, u64) -> Option<String>,
) -> DiffView {
    let standing = |standing: &Option<crate::projection::Standing>| {
        standing.as_ref().map(|standing| StandingView {
            rank: standing.rank,
            tier: standing.tier,
            final_score: standing.final_score.to_string(),
        })
    };
    let score = |score: Option<crate::domain::Points>| score.map(|score| score.to_string()).unwrap_or_default();
    DiffView {
        between: format!(
            "{}{}{}{}{}",
            t.diff_between.0, diff.from_seq, t.diff_between.1, diff.to_seq, t.diff_between.2
        ),
        from_seq: diff.from_seq,
        to_seq: diff.to_seq,
        changes: diff
            .changes
            .iter()
            .map(|change| ChangeView {
                unit: change.unit.to_string(),
                name: names.get(&change.unit).cloned().unwrap_or_default(),
                before: standing(&change.before),
                after: standing(&change.after),
                moves: change
                    .moves
                    .iter()
                    .map(|moved| MoveView {
                        seq: moved.event.seq,
                        event_type: moved.event.event_type.clone(),
                        event_name: t.event_type_name(&moved.event.event_type),
                        recorded_at: zone.local_minute(moved.event.recorded_at),
                        actor: format!("{}{}", moved.event.actor_id, t.marks.paren(t.role(moved.event.actor_role))),
                        score_before: score(moved.final_before),
                        score_after: score(moved.final_after),
                        trace: trace_of(&change.unit, moved.event.seq),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /replay`: the replay for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<ReplayQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(
        site,
        &headers,
        &uri,
        query,
        |site, reader, query, t| replay_page(site, reader, query, t).map(|page| (StatusCode::OK, page)),
        render,
    )
    .await
}

// ---- The template ----------------------------------------------------------------------------

pub fn render(t: &Text, page: &ReplayPage, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.replay_title) }
        section.card {
            form.pickers #replay-form method="get" action="/replay" data-autosubmit {
                label { (t.scheme_label) (select("scheme", &page.schemes)) }
                label { (t.group_label) (select("group", &page.groups)) }
                label { (t.period_label) (select("period", &page.periods)) }
                label { (t.replay_date)
                    input type="date" name="as_of" value=(page.as_of) min=(page.first_day) max=(page.today);
                }
                @if page.diff_allowed {
                    label { (t.compare_date)
                        input type="date" name="from" value=(page.from) min=(page.first_day) max=(page.today)
                            title=(t.compare_hint);
                    }
                }
                label { (t.provisional_badge)
                    input type="checkbox" name="provisional" value="true" checked[page.provisional];
                }
                button type="submit" { (t.show_button) }
                div.replay-slider {
                    // Shown and followed by app.js; without script the date field above does the same.
                    input #replay-slider type="range" min="0" max=(page.slider_max) value=(page.slider_value) step="1"
                        data-first=(page.first_day) aria-label=(t.replay_slider) hidden;
                    span.muted {
                        (t.replay_range.0) (page.first_day) (t.replay_range.1) (page.today) (t.replay_range.2)
                    }
                }
            }
            @if !page.diff_allowed { p.muted { (t.diff_readers_only) } }
        }
        section.card #replay {
            h2 {
                (page.heading) " "
                @if !page.provisional_periods.is_empty() { span.badge { (t.provisional_badge) } }
            }
            p.muted #replay-standing { (page.standing) }
            @if let Some(note) = &page.period_note { p.muted { (note) } }
            @match &page.rows {
                Err(message) => p.muted #replay-empty { (message) },
                Ok(rows) => (ranking_table(t, rows, page.sections)),
            }
        }
        @if let Some(diff) = &page.diff { (diff_section(t, diff)) }
    };
    pages::frame(t, t.replay_title, Some(visitor), Place::Replay, Scripts::App, content)
}

fn ranking_table(t: &Text, rows: &[ReplayRow], sections: bool) -> Markup {
    html! {
        table.ranking #replay-ranking {
            thead {
                tr {
                    th.num { (t.rank) }
                    th { (t.tier) }
                    th { (t.unit_code) }
                    th { (t.unit_name) }
                    @if sections { th { (t.county) } }
                    th.num { (t.final_score) }
                    th { (t.veto) }
                }
            }
            tbody {
                @for row in rows {
                    tr class=[row.changed.then_some("changed")] data-unit=(row.unit) {
                        td.num data-rank { (row.rank) }
                        td data-tier=(row.tier) { (tier_badge(t, row.tier)) }
                        td { code { (row.unit) } }
                        td.unit-name { (row.name) }
                        @if sections { td { (row.county.as_deref().unwrap_or("")) } }
                        td.num data-score { (row.final_score) }
                        td { @if row.veto { span.veto { (t.veto) } } }
                    }
                }
            }
        }
    }
}

/// A unit's rank, tier and score on one `side` of the diff (`before`, `after`).
fn standing_cells(t: &Text, side: &str, standing: &Option<StandingView>) -> Markup {
    html! {
        @match standing {
            Some(standing) => {
                td.num data-rank=(side) { (standing.rank) }
                td { (tier_badge(t, standing.tier)) }
                td.num data-score=(side) { (standing.final_score) }
            },
            None => td colspan="3" data-rank=(side) data-unranked { (t.not_ranked) },
        }
    }
}

fn diff_section(t: &Text, diff: &DiffView) -> Markup {
    html! {
        section.card #diff data-from-seq=(diff.from_seq) data-to-seq=(diff.to_seq) {
            h2 { (t.diff_title) }
            p.muted { (diff.between) }
            @if diff.changes.is_empty() {
                p.muted #diff-none { (t.diff_none) }
            } @else {
                div.scroll {
                    table.ranking.diff {
                        thead {
                            tr {
                                th { (t.unit_code) }
                                th { (t.unit_name) }
                                th.num { (t.before) (t.rank) }
                                th { (t.before) (t.tier) }
                                th.num { (t.before) (t.final_score) }
                                th.num { (t.after) (t.rank) }
                                th { (t.after) (t.tier) }
                                th.num { (t.after) (t.final_score) }
                            }
                        }
                        @for change in &diff.changes {
                            tbody data-change=(change.unit) {
                                tr.change {
                                    td { code { (change.unit) } }
                                    td.unit-name { (change.name) }
                                    (standing_cells(t, "before", &change.before))
                                    (standing_cells(t, "after", &change.after))
                                }
                                @if !change.moves.is_empty() {
                                    tr.moves {
                                        td {}
                                        td colspan="7" {
                                            span.muted { (t.moves) (t.marks.colon) }
                                            ul.moves {
                                                @for moved in &change.moves {
                                                    li data-move=(moved.seq) {
                                                        (t.event) " "
                                                        @match &moved.trace {
                                                            Some(query) => a href=(format!("/trace?{query}")) { (moved.seq) },
                                                            None => (moved.seq),
                                                        }
                                                        " · "
                                                        @if let Some(name) = moved.event_name { (name) " " }
                                                        code.muted data-event-type { (moved.event_type) }
                                                        " · " (moved.recorded_at)
                                                        " · " (moved.actor)
                                                        " · " (t.final_score) " " (moved.score_before) " → " (moved.score_after)
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
