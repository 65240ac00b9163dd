//! The unit page (`GET /unit?unit=…&scheme=…&period=…&as_of=…&provisional=true`): one unit against
//! its peer group in a period — its score, rank and tier, its gaps to the leader and to the next tier
//! up, the peers' table —, its trend across the scheme year (score and rank in each base period, as
//! an ECharts line chart whose data the page carries in `data-trend`, and as a table), the points it
//! lost by indicator with every line behind them and its reason, and its repeat problems.
//!
//! Invariant: it reads only what the API's `/v1/comparisons/horizontal`, `/v1/comparisons/vertical`
//! and `/v1/traces` answer for the same question, after the same `may_read` (the unit's own facts): a
//! unit the reader may not read is refused (403) before anything is read, and every figure shown is
//! a figure of those answers, laid out, never computed again here.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::domain::{PeriodId, Points, UnitCode};
use crate::projection::{AsOf, Horizontal, Trace, TraceLine, Vertical};
use crate::service::queries::{Answer, Reader, Traces, UnitListing};
use crate::site::pages::{
    self, Figure, LossLine, LostIndicator, PeerRow, RepeatRow, Row, SectionRow, SectionStanding, TrendRow, UnitFigures,
    UnitPage,
};
use crate::site::request::{
    blocking_page, may_read_unit, period_note, standing_text, Refusal, UnitPick, UnitQuery, UnitQuestion,
};
use crate::site::text::Text;
use crate::site::SiteState;

/// The query of the trace page of `unit` in the base period `period` with the question's scheme and
/// point, at the event `seq`.
fn trace_link(asked: &UnitQuestion, unit: &UnitCode, period: PeriodId, seq: u64) -> String {
    format!("{}#event-{seq}", asked.query(unit, period))
}

fn named(names: &BTreeMap<UnitCode, String>, unit: &UnitCode) -> String {
    match names.get(unit).filter(|name| !name.is_empty()) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    }
}

/// A change as a signed number (`+1.50`, `-2`), blank when there is none.
fn signed(value: Option<String>, positive: bool) -> String {
    match value {
        Some(value) if positive => format!("+{value}"),
        Some(value) => value,
        None => String::new(),
    }
}

/// Resolves the question and reads the answers; the page and its status (404 when the unit has no
/// figures for the period, with the pickers to choose another), or a refusal.
fn resolve(site: &SiteState, reader: &Reader, query: &UnitQuery, t: &Text) -> Result<(StatusCode, UnitPage), Refusal> {
    let read_models = &site.app.read_models;
    let asked = UnitQuestion::parse(query)?;
    let pick = UnitPick::resolve(site, reader, &asked, t)?;
    let (unit, schemes) = (pick.unit, pick.scheme_listings);
    let mut page = UnitPage { pickers: pick.pickers, body: Err(String::new()) };
    let (period, periods) = match pick.chosen {
        Ok(chosen) => chosen,
        Err((status, words)) => {
            page.body = Err(words.to_owned());
            return Ok((status, page));
        }
    };

    // The answers the API gives for the same question (the scheme only when one was named, as there).
    let view = asked.view();
    let horizontal = match read_models.horizontal_in(&unit, asked.scheme.as_ref(), period, view) {
        Ok(answer) => answer,
        Err(crate::service::queries::QueryError::NotFound { field, message }) => {
            page.body = Err(format!("{field}: {message}"));
            return Ok((StatusCode::NOT_FOUND, page));
        }
        Err(error) => return Err(error.into()),
    };
    let scheme_of_group = &horizontal.value.group.scheme;
    let base = schemes.iter().find(|listing| &listing.scheme == scheme_of_group).map(|listing| listing.base_period);
    let months = base.map(|base| PeriodId::all_in_year(period.year(), base)).unwrap_or_default();
    let vertical = match (months.first(), months.last()) {
        (Some(first), Some(last)) => {
            Some(read_models.vertical_in(&unit, asked.scheme.as_ref(), *first, *last, view)?)
        }
        _ => None,
    };
    let traces = match read_models.trace_in(&unit, asked.scheme.as_ref(), period, view) {
        Ok(answer) => answer.value,
        Err(crate::service::queries::QueryError::NotFound { .. }) => {
            Traces { traces: Vec::new(), provisional_periods: Vec::new() }
        }
        Err(error) => return Err(error.into()),
    };
    let listings = read_models.units(AsOf::Seq(horizontal.as_of_seq))?.value.units;
    let names: BTreeMap<UnitCode, String> =
        listings.iter().map(|listing| (listing.unit.clone(), listing.name.clone())).collect();
    // Its sections, each against the same sections elsewhere, read at the unit's own chain position.
    let at_same_point = crate::service::queries::View { as_of: AsOf::Seq(horizontal.as_of_seq), ..view };
    let mut section_rows = Vec::new();
    for section in listings
        .iter()
        .filter(|listing| listing.parent.as_ref() == Some(&unit) && listing.level.is_section() && !listing.retired)
    {
        if may_read_unit(site, reader, &section.unit).is_err() {
            continue;
        }
        let compared = match read_models.horizontal_in(&section.unit, Some(scheme_of_group), period, at_same_point) {
            Ok(answer) => Some(answer.value),
            Err(crate::service::queries::QueryError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        section_rows.push(section_row(t, section, compared.as_ref(), &names, asked.query(&section.unit, period)));
    }
    let zone = read_models.time_zone();
    let readable = |other: &UnitCode| other != &unit && may_read_unit(site, reader, other).is_ok();
    let figures = UnitFigures {
        heading: format!("{} · {} · {period}", named(&names, &unit), scheme_of_group),
        standing: standing_text(t, horizontal.as_of_seq, horizontal.as_of_instant, zone),
        period_note: period_note(t, &periods, period, zone),
        provisional_periods: horizontal.value.provisional_periods.iter().map(PeriodId::to_string).collect(),
        figures: horizontal_figures(t, &horizontal, &names),
        sections: horizontal.value.ranking.group.function_code.is_some(),
        peers: horizontal
            .value
            .ranking
            .standings
            .iter()
            .map(|standing| PeerRow {
                own: standing.unit == unit,
                row: Row {
                    rank: standing.rank,
                    tier: standing.tier,
                    unit: standing.unit.to_string(),
                    name: standing.name.clone(),
                    county: standing.parent.as_ref().map(|county| named(&names, county)),
                    final_score: standing.final_score.to_string(),
                    veto: standing.veto,
                    link: readable(&standing.unit).then(|| asked.query(&standing.unit, period)),
                },
            })
            .collect(),
        trend: vertical.as_ref().map(|answer| trend_rows(&answer.value)).unwrap_or_default(),
        trend_chart: vertical.as_ref().map(|answer| trend_json(t, &answer.value)).unwrap_or_default(),
        lost: lost_by_indicator(t, &horizontal.value, &traces.traces, &names, &|period, seq| {
            trace_link(&asked, &unit, period, seq)
        }),
        floor_absorbed: (horizontal.value.floor_absorbed != Points::ZERO)
            .then(|| horizontal.value.floor_absorbed.to_string()),
        repeats: vertical.as_ref().map(|answer| repeats(t, &answer.value, period)).unwrap_or_default(),
        section_rows,
    };
    page.body = Ok(Box::new(figures));
    Ok((StatusCode::OK, page))
}

/// One of the unit's sections against the sections of the same function in the other units of its
/// peer group (`/v1/comparisons/horizontal` of the section); `compared` is `None` when the section is
/// not ranked in the period.
fn section_row(
    t: &Text,
    section: &UnitListing,
    compared: Option<&Horizontal>,
    names: &BTreeMap<UnitCode, String>,
    link: String,
) -> SectionRow {
    SectionRow {
        unit: section.unit.to_string(),
        name: section.name.clone(),
        function: section.function_code.as_ref().map(ToString::to_string).unwrap_or_default(),
        link,
        standing: compared.map(|h| SectionStanding {
            final_score: h.standing.final_score.to_string(),
            rank: h.standing.rank,
            peers: h.peers,
            tier: h.standing.tier,
            gap_to_leader: h.gap_to_leader.to_string(),
            leader: format!("{}{}", named(names, &h.leader.unit), t.marks.paren(h.leader.final_score)),
            lost: h.lost.to_string(),
        }),
    }
}

/// The horizontal comparison's figures: score, rank, tier, veto, the gaps, the whole loss.
fn horizontal_figures(t: &Text, answer: &Answer<Horizontal>, names: &BTreeMap<UnitCode, String>) -> Vec<Figure> {
    let h = &answer.value;
    let figure = |key, label, value: String, note: Option<String>| Figure { key, label, value, note };
    let mut figures = vec![
        figure("final_score", t.final_score, h.standing.final_score.to_string(), None),
        figure("rank", t.rank, h.standing.rank.to_string(), Some(format!("{}{}{}", t.rank_of.0, h.peers, t.rank_of.1))),
        figure("tier", t.tier, format!("{}{}{}", t.tier_n.0, h.standing.tier, t.tier_n.1), None),
        figure(
            "gap_to_leader",
            t.gap_to_leader,
            h.gap_to_leader.to_string(),
            Some(format!(
                "{}{}{}{}",
                t.leader,
                t.marks.colon,
                named(names, &h.leader.unit),
                t.marks.paren(h.leader.final_score)
            )),
        ),
        figure("gap_to_next_tier", t.gap_to_next_tier, h.gap_to_next_tier.to_string(), None),
        figure("lost", t.lost_total, h.lost.to_string(), None),
    ];
    if h.standing.veto {
        figures.push(figure("veto", t.veto, t.veto.to_owned(), None));
    }
    figures
}

fn trend_rows(vertical: &Vertical) -> Vec<TrendRow> {
    vertical
        .rows
        .iter()
        .map(|row| TrendRow {
            period: row.period.to_string(),
            final_score: row.final_score.map(|score| score.to_string()).unwrap_or_default(),
            rank: row.rank.map(|rank| rank.to_string()).unwrap_or_default(),
            tier: row.tier,
            peers: row.rank.map(|_| row.peers.to_string()).unwrap_or_default(),
            score_change: signed(
                row.score_change.map(|c| c.to_string()),
                row.score_change.is_some_and(|c| c > Points::ZERO),
            ),
            rank_change: signed(row.rank_change.map(|c| c.to_string()), row.rank_change.is_some_and(|c| c > 0)),
            tier_change: signed(row.tier_change.map(|c| c.to_string()), row.tier_change.is_some_and(|c| c > 0)),
            repeats: row.repeat_problems.len(),
            provisional: !row.provisional_periods.is_empty(),
        })
        .collect()
}

/// The trend chart's data for app.js: the periods, the score and rank in each (null where there is
/// none), the most peers (the rank axis' end) and the series' names.
fn trend_json(t: &Text, vertical: &Vertical) -> String {
    let labels: Vec<String> = vertical.rows.iter().map(|row| row.period.to_string()).collect();
    let scores: Vec<Option<f64>> =
        vertical.rows.iter().map(|row| row.final_score.map(|score| score.hundredths() as f64 / 100.0)).collect();
    let ranks: Vec<Option<u32>> = vertical.rows.iter().map(|row| row.rank).collect();
    let peers = vertical.rows.iter().map(|row| row.peers).max().unwrap_or(1).max(1);
    let lowest = scores.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let min = if lowest.is_finite() { ((lowest - 5.0) / 10.0).floor().max(0.0) * 10.0 } else { 0.0 };
    serde_json::json!({
        "labels": labels, "scores": scores, "ranks": ranks, "peers": peers, "min": min,
        "scoreName": t.final_score, "rankName": t.rank,
    })
    .to_string()
}

/// The points lost on each indicator (the comparison's own figures), with the trace lines behind
/// them: deductions, tier shortfalls, taken-over indicators and charges moved onto a section, each
/// with its reason. Floors are shown apart, as the comparison counts them.
fn lost_by_indicator(
    t: &Text,
    horizontal: &Horizontal,
    traces: &[Trace],
    names: &BTreeMap<UnitCode, String>,
    trace_link: &dyn Fn(PeriodId, u64) -> String,
) -> Vec<LostIndicator> {
    horizontal
        .lost_by_indicator
        .iter()
        .map(|(code, lost)| {
            let mut name = String::new();
            let mut lines = Vec::new();
            for trace in traces {
                let period = trace.period.to_string();
                for indicator in trace.indicators.iter().filter(|indicator| &indicator.indicator == code) {
                    name.clone_from(&indicator.name);
                    for line in indicator.lines.iter().filter(|line| line.amount() != Points::ZERO) {
                        let line = match line {
                            TraceLine::Deduction(deduction) => LossLine {
                                period: period.clone(),
                                kind: t.kind_deduction,
                                amount: deduction.amount.to_string(),
                                reason: deduction.reason.clone(),
                                category: deduction.problem_category.to_string(),
                                charged_to: deduction
                                    .charged_to
                                    .as_ref()
                                    .map(|unit| named(names, unit))
                                    .unwrap_or_default(),
                                evidence: deduction.evidence_digests.len(),
                                seq: Some(deduction.event.seq),
                                trace: Some(trace_link(trace.period, deduction.event.seq)),
                            },
                            TraceLine::TierShortfall(tier) => LossLine {
                                period: period.clone(),
                                kind: t.kind_tier_shortfall,
                                amount: tier.amount.to_string(),
                                reason: format!(
                                    "{}{}",
                                    tier.reason,
                                    t.marks.paren(format!("{}{}{}", t.tier_n.0, tier.tier, t.tier_n.1))
                                ),
                                category: String::new(),
                                charged_to: String::new(),
                                evidence: 0,
                                seq: Some(tier.event.seq),
                                trace: Some(trace_link(trace.period, tier.event.seq)),
                            },
                            TraceLine::TakenOver(taken) => LossLine {
                                period: period.clone(),
                                kind: t.kind_taken_over,
                                amount: taken.amount.to_string(),
                                reason: format!(
                                    "{}{}{} / {}",
                                    taken.city_scheme, t.marks.colon, taken.city_score, taken.city_points_max
                                ),
                                category: String::new(),
                                charged_to: String::new(),
                                evidence: 0,
                                seq: None,
                                trace: None,
                            },
                            // Shown apart, as the comparison counts floors apart.
                            TraceLine::FloorAbsorbed { .. } => continue,
                        };
                        lines.push(line);
                    }
                }
                for charge in
                    trace.charges.iter().filter(|charge| &charge.indicator == code && charge.amount != Points::ZERO)
                {
                    lines.push(LossLine {
                        period: period.clone(),
                        kind: t.kind_charge,
                        amount: charge.amount.to_string(),
                        reason: charge.reason.clone(),
                        category: charge.problem_category.to_string(),
                        charged_to: charge.charged_to.as_ref().map(|unit| named(names, unit)).unwrap_or_default(),
                        evidence: charge.evidence_digests.len(),
                        seq: Some(charge.event.seq),
                        trace: Some(trace_link(trace.period, charge.event.seq)),
                    });
                }
            }
            LostIndicator { indicator: code.to_string(), name, lost: lost.to_string(), lines }
        })
        .collect()
}

/// The repeat problems flagged in the base periods of `period`, as the trend's rows carry them.
fn repeats(t: &Text, vertical: &Vertical, period: PeriodId) -> Vec<RepeatRow> {
    vertical
        .rows
        .iter()
        .filter(|row| period.contains(row.period))
        .flat_map(|row| row.repeat_problems.iter())
        .map(|problem| {
            let mut rules = Vec::new();
            if problem.consecutive {
                rules.push(t.repeat_consecutive);
            }
            if problem.in_window {
                rules.push(t.repeat_in_window);
            }
            RepeatRow {
                period: problem.period.to_string(),
                category: problem.problem_category.to_string(),
                periods: problem
                    .periods_with_deductions
                    .iter()
                    .map(PeriodId::to_string)
                    .collect::<Vec<_>>()
                    .join(t.marks.list),
                rule: rules.join(t.marks.list),
            }
        })
        .collect()
}

/// `GET /unit`: the unit page for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<UnitQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(site, &headers, &uri, query, resolve, pages::unit).await
}
