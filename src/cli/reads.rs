//! The reading commands — `rank`, `compare`, `trace`, `diff` — and the printers the demo shares with
//! them. Each prints a readable table (names aligned by display width) or, with `--json`, the answer
//! exactly as the HTTP API gives it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::cli::table::Table;
use crate::domain::{Points, UnitCode};
use crate::projection::{AsOf, Horizontal, IndicatorLoad, Ranking, RankingDiff, Standing, Trace, TraceLine, Vertical};
use crate::service::queries::Answer;
use crate::service::read_models::ReadModels;

/// Unit names by code, as of the latest event (names are for reading; codes are what is compared).
pub fn unit_names(read_models: &ReadModels) -> BTreeMap<UnitCode, String> {
    read_models
        .with_projection(AsOf::Latest, |projection| {
            projection.facts().units.iter().map(|(code, unit)| (code.clone(), unit.name.clone())).collect()
        })
        .map(|(_, names)| names)
        .unwrap_or_default()
}

fn name<'a>(names: &'a BTreeMap<UnitCode, String>, unit: &UnitCode) -> &'a str {
    names.get(unit).map_or("", String::as_str)
}

fn standing_cells(standing: &Standing, names: &BTreeMap<UnitCode, String>) -> Vec<String> {
    vec![
        standing.rank.to_string(),
        standing.tier.to_string(),
        standing.unit.to_string(),
        name(names, &standing.unit).to_owned(),
        standing.final_score.to_string(),
        if standing.veto { "veto".into() } else { String::new() },
    ]
}

pub fn ranking_text(answer: &Answer<Ranking>, names: &BTreeMap<UnitCode, String>) -> String {
    let ranking = &answer.value;
    let group = match &ranking.group.function_code {
        Some(code) => format!("{} sections with function {code}", ranking.group.scheme),
        None => format!("{} assessed units", ranking.group.scheme),
    };
    let mut text = format!("ranking of {group}, {} (as of event {})\n", ranking.period, answer.as_of_seq);
    let mut table = Table::new(&[">rank", ">tier", "unit", "name", ">final", ""]);
    for standing in &ranking.standings {
        table.row(standing_cells(standing, names));
    }
    text.push_str(&table.render());
    if !ranking.unranked.is_empty() {
        let unranked: Vec<String> = ranking.unranked.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "  unranked: {}", unranked.join(", "));
    }
    text
}

pub fn horizontal_text(answer: &Answer<Horizontal>, names: &BTreeMap<UnitCode, String>) -> String {
    let h = &answer.value;
    let mut text = format!(
        "{} {} in {}: rank {} of {}, tier {}, final {} (leader {} {}); gap to leader {}, to the next tier {}\n",
        h.unit,
        name(names, &h.unit),
        h.period,
        h.standing.rank,
        h.peers,
        h.standing.tier,
        h.standing.final_score,
        h.leader.unit,
        h.leader.final_score,
        h.gap_to_leader,
        h.gap_to_next_tier
    );
    let mut table = Table::new(&["lost on indicator", ">points"]);
    for (indicator, points) in h.lost_by_indicator.iter().filter(|(_, points)| **points != Points::ZERO) {
        table.row(vec![indicator.to_string(), points.to_string()]);
    }
    for (category, points) in &h.lost_by_category {
        table.row(vec![format!("category {}", String::from(category.clone())), points.to_string()]);
    }
    text.push_str(&table.render());
    text
}

pub fn vertical_text(answer: &Answer<Vertical>) -> String {
    let v = &answer.value;
    let mut text = format!("{} across periods (as of event {})\n", v.unit, answer.as_of_seq);
    let mut table = Table::new(&["period", ">final", ">change", ">rank", ">tier", "repeat problems"]);
    for row in &v.rows {
        let repeats: Vec<String> = row.repeat_problems.iter().map(|r| r.problem_category.to_string()).collect();
        table.row(vec![
            row.period.to_string(),
            row.final_score.map_or("-".into(), |p| p.to_string()),
            row.score_change.map_or(String::new(), |p| p.to_string()),
            row.rank.map_or("-".into(), |r| r.to_string()),
            row.tier.map_or("-".into(), |t| t.to_string()),
            repeats.join(", "),
        ]);
    }
    text.push_str(&table.render());
    text
}

/// Every lost point, down to the events: what was recorded, by whom, why, with what evidence, whose
/// fault it was, what was done about it, and what appeals gave back.
pub fn trace_text(traces: &[Trace], names: &BTreeMap<UnitCode, String>) -> String {
    let mut text = String::new();
    for trace in traces {
        let _ = writeln!(
            text,
            "trace of {} {} for {}: {} of {} points kept (raw), {} lost — {}",
            trace.unit,
            name(names, &trace.unit),
            trace.period,
            trace.raw,
            trace.points_max_total,
            trace.lost(),
            if trace.reconciles() { "every lost point accounted for" } else { "DOES NOT RECONCILE" }
        );
        for indicator in trace.indicators.iter().filter(|i| !i.lines.is_empty() || !i.relieved.is_empty()) {
            let _ = writeln!(
                text,
                "  {} {}: {} of {}",
                indicator.indicator, indicator.name, indicator.score, indicator.points_max
            );
            for line in &indicator.lines {
                trace_line_text(&mut text, line);
            }
            for relieved in &indicator.relieved {
                let charged = relieved.charged_to.as_ref().map_or(String::new(), |u| format!("{u} {}", name(names, u)));
                let _ = writeln!(
                    text,
                    "    relieved: {} charged to {charged} (event {})",
                    relieved.amount, relieved.event.seq
                );
            }
        }
        for charge in &trace.charges {
            let _ = writeln!(text, "  charged here from {} on {}:", charge.unit, charge.indicator);
            deduction_text(&mut text, charge);
        }
    }
    text
}

fn trace_line_text(text: &mut String, line: &TraceLine) {
    match line {
        TraceLine::Deduction(deduction) => deduction_text(text, deduction),
        TraceLine::TierShortfall(tier) => {
            let _ = writeln!(
                text,
                "    −{} tier {} shortfall ({}) — event {} by {} at {}",
                tier.amount, tier.tier, tier.reason, tier.event.seq, tier.event.actor_id, tier.event.recorded_at
            );
        }
        TraceLine::FloorAbsorbed { amount } => {
            let _ = writeln!(text, "    {amount} given back by the floor at zero");
        }
    }
}

fn deduction_text(text: &mut String, line: &crate::projection::DeductionLine) {
    let _ = writeln!(
        text,
        "    −{} (recorded {}, restored {}) {} [{}]\n      event {} {} by {} ({}) at {}, hash {}",
        line.amount,
        line.points,
        line.restored,
        line.reason,
        line.problem_category,
        line.event.seq,
        line.event.event_type,
        line.event.actor_id,
        line.event.actor_role,
        line.event.recorded_at,
        &line.event.hash.to_hex()[..16]
    );
    for digest in &line.evidence_digests {
        let _ = writeln!(text, "      evidence {}", digest.as_str());
    }
    for attribution in &line.attributions {
        let _ = writeln!(
            text,
            "      cause: {} — {} (event {} by {})",
            attribution.cause_unit, attribution.description, attribution.event.seq, attribution.event.actor_id
        );
        for digest in &attribution.evidence_digests {
            let _ = writeln!(text, "        evidence {}", digest.as_str());
        }
    }
    for rectification in &line.rectifications {
        let _ = writeln!(
            text,
            "      rectified by {}: {} (event {})",
            rectification.cause_unit, rectification.description, rectification.event.seq
        );
    }
    for appeal in &line.appeals {
        let _ = writeln!(text, "      appeal by {} (event {}): {}", appeal.appellant, appeal.filed.seq, appeal.grounds);
        for decision in &appeal.decisions {
            let _ = writeln!(
                text,
                "        decided {:?}: {} restored — {} (event {} by {})",
                decision.verdict,
                decision.points_restored,
                decision.reasoning,
                decision.event.seq,
                decision.event.actor_id
            );
        }
    }
}

pub fn diff_text(diff: &RankingDiff, names: &BTreeMap<UnitCode, String>) -> String {
    let group =
        diff.group.function_code.as_ref().map_or("assessed units".to_owned(), |code| format!("{code} sections"));
    let mut text =
        format!("ranking of {group} for {}, event {} → event {}:\n", diff.period, diff.from_seq, diff.to_seq);
    if diff.changes.is_empty() {
        text.push_str("  no unit changed rank or tier\n");
        return text;
    }
    let mut table = Table::new(&["unit", "name", ">rank before", ">after", ">tier before", ">after"]);
    let show = |standing: &Option<Standing>, pick: fn(&Standing) -> u32| {
        standing.as_ref().map_or("-".into(), |s| pick(s).to_string())
    };
    for change in &diff.changes {
        table.row(vec![
            change.unit.to_string(),
            name(names, &change.unit).to_owned(),
            show(&change.before, |s| s.rank),
            show(&change.after, |s| s.rank),
            show(&change.before, |s| s.tier),
            show(&change.after, |s| s.tier),
        ]);
    }
    text.push_str(&table.render());
    for change in &diff.changes {
        for moved in &change.moves {
            let points = |p: Option<Points>| p.map_or("-".into(), |p| p.to_string());
            let _ = writeln!(
                text,
                "  {}: {} → {} by event {} {} ({} at {})",
                change.unit,
                points(moved.final_before),
                points(moved.final_after),
                moved.event.seq,
                moved.event.event_type,
                moved.event.actor_id,
                moved.event.recorded_at
            );
        }
    }
    text
}

pub fn load_text(loads: &[IndicatorLoad], names: &BTreeMap<UnitCode, String>) -> String {
    let mut table = Table::new(&[">year", "county", "section", "name", ">indicators"]);
    for load in loads {
        table.row(vec![
            load.year.to_string(),
            load.county.to_string(),
            load.section.to_string(),
            name(names, &load.section).to_owned(),
            load.indicators.to_string(),
        ]);
    }
    table.render()
}
