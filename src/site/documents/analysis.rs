//! The analysis report (分析报告) of a group for a period, read from the service's answers at one
//! point of the chain:
//!
//! - ranking movement: the bulletin's changes against the period before, beside that period's ranking
//!   (`/v1/rankings` for it);
//! - losses by problem category: the members' horizontal comparisons' `lost_by_category`, added up
//!   over the members (a pie chart and a table);
//! - losses by section: for a group of sections, each member's loss as the bulletin gives it; for a
//!   group of counties, the loss of their sections of each function, added up from the bulletin of
//!   that function's group (a bar chart and a table);
//! - the repeat problems the bulletin lists;
//! - the indicators each section carried in each scheme year up to the period's (`/v1/indicator-load`
//!   of every member), a function's sections averaged when they differ.
//!
//! Sums are the only arithmetic here; each adds figures of answers the API gives for the same
//! questions at the same point, so a reader can check them.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{FunctionCode, Points, UnitCode};
use crate::projection::{AsOf, LossCategory};
use crate::service::queries::{QueryError, RankingScope, Reader, UnitListing};
use crate::site::documents::templates::{AnalysisView, LoadRow, MovementRow, ShareRow};
use crate::site::documents::{bulletin, may_read_members, named, signed_points, units_at, Kind, Resolved};
use crate::site::request::Refusal;
use crate::site::text::Text;
use crate::site::SiteState;

pub(crate) fn view(site: &SiteState, reader: &Reader, resolved: &Resolved, t: &Text) -> Result<AnalysisView, Refusal> {
    let words = t.documents;
    let read_models = &site.app.read_models;
    let answer = bulletin::read(site, resolved)?;
    let seq = answer.as_of_seq;
    let at = resolved.at(seq);
    let b = &answer.value;
    let members: Vec<UnitCode> =
        b.entries.iter().map(|entry| entry.standing.unit.clone()).chain(b.unranked.iter().cloned()).collect();
    may_read_members(site, reader, &members)?;
    let units = units_at(site, seq)?;

    // Ranking movement: the bulletin's changes, beside the ranking of the period before.
    let previous = match b.previous_period {
        None => None,
        Some(previous) => match read_models.ranking(&resolved.scope(), previous, at) {
            Ok(ranking) => Some(ranking.value),
            Err(QueryError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        },
    };
    let (mut up, mut down, mut same, mut none) = (0, 0, 0, 0);
    let movement = b
        .entries
        .iter()
        .map(|entry| {
            let before = previous.as_ref().and_then(|ranking| ranking.standing(&entry.standing.unit));
            let (direction, change) = match entry.rank_change {
                None => {
                    none += 1;
                    ("none", String::new())
                }
                Some(change) if change < 0 => {
                    up += 1;
                    ("up", format!("{} {}", words.moved_up, -change))
                }
                Some(change) if change > 0 => {
                    down += 1;
                    ("down", format!("{} {change}", words.moved_down))
                }
                Some(_) => {
                    same += 1;
                    ("same", words.unchanged.to_owned())
                }
            };
            MovementRow {
                unit: entry.standing.unit.to_string(),
                name: units.get(&entry.standing.unit).map(|listing| listing.name.clone()).unwrap_or_default(),
                previous_rank: before.map(|standing| standing.rank.to_string()).unwrap_or_default(),
                rank: entry.standing.rank,
                direction,
                change,
                previous_score: before.map(|standing| standing.final_score.to_string()).unwrap_or_default(),
                score: entry.standing.final_score.to_string(),
                score_change: signed_points(entry.score_change),
            }
        })
        .collect();
    let summary = words
        .movement_summary
        .replace("{up}", &up.to_string())
        .replace("{down}", &down.to_string())
        .replace("{same}", &same.to_string())
        .replace("{none}", &none.to_string());

    // Losses by problem category: the members' comparisons, added up.
    let comparisons = read_models.horizontal_table(&resolved.scope(), resolved.period, at)?.value.comparisons;
    let mut by_category: BTreeMap<LossCategory, Points> = BTreeMap::new();
    for comparison in &comparisons {
        for (category, points) in &comparison.lost_by_category {
            let total = by_category.entry(category.clone()).or_default();
            *total = *total + *points;
        }
    }
    let categories: Vec<(String, String, Points)> = by_category
        .into_iter()
        .filter(|(_, points)| *points != Points::ZERO)
        .map(|(category, points)| {
            let label = match &category {
                LossCategory::Problem(problem) => problem.to_string(),
                LossCategory::TierShortfall => words.category_tier_shortfall.to_owned(),
                LossCategory::FloorAbsorbed => words.category_floor.to_owned(),
            };
            (String::from(category), label, points)
        })
        .collect();

    // Losses by section.
    let sections_are_members =
        members.iter().all(|unit| units.get(unit).is_some_and(|listing| listing.level.is_section()));
    let sections: Vec<(String, String, Points)> = match sections_are_members {
        true => b
            .entries
            .iter()
            .map(|entry| (entry.standing.unit.to_string(), named(&units, &entry.standing.unit), entry.lost))
            .collect(),
        false => {
            let mut rows = Vec::new();
            for function in resolved.listing.peer_groups.iter().filter_map(|group| group.function_code.clone()) {
                let scope =
                    RankingScope::Group { scheme: resolved.scheme().clone(), function_code: Some(function.clone()) };
                let group = match read_models.bulletin(&scope, resolved.period, at) {
                    Ok(answer) => answer.value,
                    Err(QueryError::NotFound { .. }) => continue,
                    Err(error) => return Err(error.into()),
                };
                let lost: Points = group.entries.iter().map(|entry| entry.lost).sum();
                rows.push((function.to_string(), function_label(&units, &function), lost));
            }
            rows
        }
    };

    // Indicators per section and scheme year, up to the period's year.
    let mut loads: BTreeMap<String, (String, Load)> = BTreeMap::new();
    for member in &members {
        let answer = read_models.indicator_load(Some(member), AsOf::Seq(seq))?;
        for load in answer.value.indicator_load.iter().filter(|load| load.year <= resolved.period.year()) {
            let (key, label) = match (sections_are_members, &load.function_code) {
                (false, Some(function)) => (function.to_string(), function_label(&units, function)),
                _ => (load.section.to_string(), named(&units, &load.section)),
            };
            let years = &mut loads.entry(key).or_insert_with(|| (label, BTreeMap::new())).1;
            let (indicators, sections) = years.entry(load.year).or_default();
            *indicators += load.indicators;
            *sections += 1;
        }
    }
    let years: Vec<i32> =
        loads.values().flat_map(|(_, years)| years.keys().copied()).collect::<BTreeSet<i32>>().into_iter().collect();
    let load_rows = loads
        .into_iter()
        .map(|(key, (label, by_year))| LoadRow {
            key,
            label,
            cells: years.iter().map(|year| by_year.get(year).map(average).unwrap_or_default()).collect(),
        })
        .collect();

    Ok(AnalysisView {
        seq,
        head: resolved.head(site, t, Kind::Analysis, &answer, &b.provisional_periods, b.unassessed_indicators),
        previous_period: b.previous_period.map(|previous| previous.to_string()),
        movement,
        movement_summary: summary,
        category_chart: chart_json(words.member_lost, &categories),
        categories: share_rows(t, &categories),
        sections_note: if sections_are_members { words.sections_by_member } else { words.sections_by_function },
        section_chart: chart_json(words.member_lost, &sections),
        sections: share_rows(t, &sections),
        repeats: b
            .entries
            .iter()
            .flat_map(|entry| entry.repeat_problems.iter())
            .map(|problem| bulletin::repeat_line(t, problem, &units))
            .collect(),
        load_years: years,
        load_rows,
    })
}

/// Indicators carried and sections counted, by scheme year.
type Load = BTreeMap<i32, (usize, usize)>;

/// A function code with the name its sections carry (`BGS 办公室`).
fn function_label(units: &BTreeMap<UnitCode, UnitListing>, function: &FunctionCode) -> String {
    let name = units.values().find(|listing| listing.function_code.as_ref() == Some(function));
    match name {
        Some(listing) if !listing.name.is_empty() => format!("{function} {}", listing.name),
        _ => function.to_string(),
    }
}

/// Indicators over sections: whole when they divide, else to one decimal.
fn average((indicators, sections): &(usize, usize)) -> String {
    match *sections {
        0 => String::new(),
        n if indicators % n == 0 => (indicators / n).to_string(),
        n => format!("{:.1}", *indicators as f64 / n as f64),
    }
}

/// Rows with their share of the total of the positive ones (to one decimal, per mille rounded half up).
fn share_rows(t: &Text, rows: &[(String, String, Points)]) -> Vec<ShareRow> {
    let total: i64 = rows.iter().map(|(_, _, points)| points.hundredths()).filter(|points| *points > 0).sum();
    let mut shown: Vec<ShareRow> = rows
        .iter()
        .map(|(key, label, points)| ShareRow {
            key: key.clone(),
            label: label.clone(),
            points: points.to_string(),
            share: match (total, points.hundredths()) {
                (0, _) => String::new(),
                (_, value) if value <= 0 => String::new(),
                (total, value) => {
                    let per_mille = crate::domain::divide_round_half_up(value * 1000, total);
                    format!("{}.{}%", per_mille / 10, per_mille % 10)
                }
            },
            total: false,
        })
        .collect();
    let sum: Points = rows.iter().map(|(_, _, points)| *points).sum();
    if !rows.is_empty() {
        shown.push(ShareRow {
            key: "total".to_owned(),
            label: t.documents.total.to_owned(),
            points: sum.to_string(),
            share: String::new(),
            total: true,
        });
    }
    shown
}

/// A chart's data for app.js: the labels and the points of the rows that lost something.
fn chart_json(name: &str, rows: &[(String, String, Points)]) -> String {
    let shown: Vec<&(String, String, Points)> = rows.iter().filter(|(_, _, points)| *points > Points::ZERO).collect();
    let labels: Vec<&str> = shown.iter().map(|(_, label, _)| label.as_str()).collect();
    let values: Vec<f64> = shown.iter().map(|(_, _, points)| points.hundredths() as f64 / 100.0).collect();
    serde_json::json!({ "name": name, "labels": labels, "values": values }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_average_is_whole_when_it_divides() {
        assert_eq!(average(&(26, 2)), "13");
        assert_eq!(average(&(27, 2)), "13.5");
        assert_eq!(average(&(0, 0)), "");
    }
}
