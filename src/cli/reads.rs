//! The printers of the reading commands — `rank`, `compare`, `trace`, `diff`, `token list` — which
//! the demo shares: readable tables (names aligned by display width) that name every unit by code and
//! name. With `--json` the commands print the answer exactly as the HTTP API gives it instead.
//!
//! Invariant: every string that comes from the ledger (names, reasons, descriptions, grounds,
//! reasonings, actor ids, event types) is printed through `output::escape`: in tables by `Table::row`,
//! in lines by `printable` here. Codes, numbers and times are well-formed by type and printed as they are.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::cli::output::escape;
use crate::cli::table::Table;
use crate::domain::{PeriodId, Points, Timestamp, UnitCode};
use crate::projection::{
    Bulletin, CriticismReason, Horizontal, IndicatorLoad, Loss, Ranking, RankingDiff, Standing, TraceLine, Vertical,
};
use crate::service::queries::{AccessList, Answer, Traces};

type Names = BTreeMap<UnitCode, String>;

/// Stored text as it may be printed: `output::escape`d, so it cannot act on the terminal.
fn printable(text: &str) -> String {
    escape(text).into_owned()
}

/// A unit's name, escaped; empty when the unit has none.
fn name(names: &Names, unit: &UnitCode) -> String {
    names.get(unit).map_or_else(String::new, |text| printable(text))
}

/// `YS07 丙县国家税务局`: a unit by code and (escaped) name.
fn named(names: &Names, unit: &UnitCode) -> String {
    match name(names, unit).as_str() {
        "" => unit.to_string(),
        text => format!("{unit} {text}"),
    }
}

/// The line that marks an answer counting open months: `provisional: …`, or nothing.
fn provisional_line(periods: &[PeriodId]) -> String {
    if periods.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = periods.iter().map(PeriodId::to_string).collect();
    format!(
        "  provisional: counts {} not yet published, with what is recorded so far; these figures may change\n",
        listed.join(", ")
    )
}

/// Where an answer stands: the event, and the instant asked about when there was one.
fn as_of_text(as_of_seq: u64, as_of_instant: Option<Timestamp>) -> String {
    match as_of_instant {
        Some(instant) => format!("as of {instant}, event {as_of_seq}"),
        None => format!("as of event {as_of_seq}"),
    }
}

pub fn ranking_text(answer: &Answer<Ranking>, names: &Names) -> String {
    let ranking = &answer.value;
    let sections = ranking.group.function_code.is_some();
    let group = match &ranking.group.function_code {
        Some(code) => format!("{} sections with function {code}", ranking.group.scheme),
        None => format!("{} assessed units", ranking.group.scheme),
    };
    let mut text =
        format!("ranking of {group}, {} ({})\n", ranking.period, as_of_text(answer.as_of_seq, answer.as_of_instant));
    let mut header = vec![">rank", ">tier", "unit", "name"];
    if sections {
        header.push("county");
    }
    header.extend([">final", ""]);
    let mut table = Table::new(&header);
    for standing in &ranking.standings {
        let mut cells = vec![
            standing.rank.to_string(),
            standing.tier.to_string(),
            standing.unit.to_string(),
            name(names, &standing.unit),
        ];
        if sections {
            cells.push(standing.parent.as_ref().map_or(String::new(), |county| named(names, county)));
        }
        cells.push(standing.final_score.to_string());
        cells.push(if standing.veto { "veto".into() } else { String::new() });
        table.row(cells);
    }
    text.push_str(&table.render());
    if !ranking.unranked.is_empty() {
        let unranked: Vec<String> = ranking.unranked.iter().map(|unit| named(names, unit)).collect();
        let _ = writeln!(text, "  unranked: {}", unranked.join(", "));
    }
    text.push_str(&unassessed_line(ranking.unassessed_indicators));
    text.push_str(&provisional_line(&ranking.provisional_periods));
    text
}

/// The line that says how many tiered indicators a ranking counts at full points for want of an award.
fn unassessed_line(unassessed: usize) -> String {
    match unassessed {
        0 => String::new(),
        count => {
            format!("  unassessed: {count} tiered indicator(s) without a tier award yet, counted at full points\n")
        }
    }
}

pub fn horizontal_text(answer: &Answer<Horizontal>, names: &Names) -> String {
    let h = &answer.value;
    let mut text = format!(
        "{} in {} ({}): rank {} of {}, tier {}, final {} (leader {} {}); gap to the leader {}, to the next tier {}\n",
        named(names, &h.unit),
        h.period,
        as_of_text(answer.as_of_seq, answer.as_of_instant),
        h.standing.rank,
        h.peers,
        h.standing.tier,
        h.standing.final_score,
        named(names, &h.leader.unit),
        h.leader.final_score,
        h.gap_to_leader,
        h.gap_to_next_tier
    );
    text.push_str(&unassessed_line(h.ranking.unassessed_indicators));
    text.push_str(&provisional_line(&h.provisional_periods));
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

/// One row per period; changes are against the row before (current − previous): a negative rank
/// change is a move up.
pub fn vertical_text(answer: &Answer<Vertical>, names: &Names) -> String {
    let v = &answer.value;
    let mut text = format!(
        "{} across periods ({}); changes are against the period before, a negative rank change is a move up\n",
        named(names, &v.unit),
        as_of_text(answer.as_of_seq, answer.as_of_instant)
    );
    let mut table = Table::new(&["period", ">final", ">change", ">rank", ">change", ">tier", "repeat problems"]);
    for row in &v.rows {
        let repeats: Vec<String> = row.repeat_problems.iter().map(|r| r.problem_category.to_string()).collect();
        let provisional = if row.provisional_periods.is_empty() { "" } else { " (provisional)" };
        table.row(vec![
            format!("{}{provisional}", row.period),
            row.final_score.map_or("-".into(), |p| p.to_string()),
            row.score_change.map_or(String::new(), |p| signed(p.to_string())),
            row.rank.map_or("-".into(), |r| r.to_string()),
            row.rank_change.map_or(String::new(), |change| signed(change.to_string())),
            row.tier.map_or("-".into(), |t| t.to_string()),
            repeats.join(", "),
        ]);
    }
    if v.rows.is_empty() {
        text.push_str("  no period in that range has an opened month for this unit\n");
    }
    text.push_str(&table.render());
    text.push_str(&provisional_line(&v.provisional_periods));
    text
}

fn signed(number: String) -> String {
    if number.starts_with('-') || number.chars().all(|c| c == '0' || c == '.') {
        number
    } else {
        format!("+{number}")
    }
}

/// Every lost point, down to the events: what was recorded, by whom, why, with what evidence, whose
/// fault it was, what was done about it, and what appeals gave back. Deductions that count nothing
/// now (withdrawn, or wholly restored on appeal) are counted in a closing line, not listed.
pub fn trace_text(answer: &Answer<Traces>, names: &Names) -> String {
    let mut text = String::new();
    for trace in &answer.value.traces {
        let _ = writeln!(
            text,
            "trace of {} for {} ({}): {} of {} points kept (raw), {} lost — {}",
            named(names, &trace.unit),
            trace.period,
            as_of_text(answer.as_of_seq, answer.as_of_instant),
            trace.raw,
            trace.points_max_total,
            trace.lost(),
            if trace.reconciles() { "every lost point accounted for" } else { "DOES NOT RECONCILE" }
        );
        if answer.value.provisional_periods.contains(&trace.period) {
            text.push_str(&provisional_line(&[trace.period]));
        }
        let mut counting_nothing = 0;
        for indicator in trace.indicators.iter().filter(|i| !i.lines.is_empty() || !i.relieved.is_empty()) {
            let (shown, zero): (Vec<&TraceLine>, Vec<&TraceLine>) =
                indicator.lines.iter().partition(|line| line.amount() != Points::ZERO);
            counting_nothing += zero.len();
            if shown.is_empty() && indicator.relieved.is_empty() {
                continue;
            }
            let _ = writeln!(
                text,
                "  {} {}: {} of {}",
                indicator.indicator,
                printable(&indicator.name),
                indicator.score,
                indicator.points_max
            );
            for line in shown {
                trace_line_text(&mut text, line, names);
            }
            for relieved in &indicator.relieved {
                let charged = relieved.charged_to.as_ref().map_or(String::new(), |unit| named(names, unit));
                let _ = writeln!(
                    text,
                    "    relieved: {} charged to {charged} (event {})",
                    relieved.amount, relieved.event.seq
                );
            }
        }
        for charge in &trace.charges {
            if charge.amount == Points::ZERO {
                counting_nothing += 1;
                continue;
            }
            let _ = writeln!(text, "  charged here from {} on {}:", named(names, &charge.unit), charge.indicator);
            deduction_text(&mut text, charge, names);
        }
        if trace.floor_absorbed != Points::ZERO {
            let _ = writeln!(text, "  {} given back by the floor at zero", trace.floor_absorbed);
        }
        if counting_nothing > 0 {
            let _ = writeln!(
                text,
                "  ({counting_nothing} more recorded, counting nothing now: withdrawn or restored on appeal; --json lists them)"
            );
        }
    }
    text
}

fn trace_line_text(text: &mut String, line: &TraceLine, names: &Names) {
    match line {
        TraceLine::Deduction(deduction) => deduction_text(text, deduction, names),
        TraceLine::TierShortfall(tier) => {
            let _ = writeln!(
                text,
                "    −{} tier {} shortfall ({}) — event {} by {} at {}",
                tier.amount,
                tier.tier,
                printable(&tier.reason),
                tier.event.seq,
                printable(&tier.event.actor_id),
                tier.event.recorded_at
            );
        }
        TraceLine::FloorAbsorbed { amount } => {
            let _ = writeln!(text, "    {amount} given back by the floor at zero");
        }
        TraceLine::TakenOver(taken_over) => {
            let _ = writeln!(
                text,
                "    −{} taken over from {}: {} of {} there → {} × {} / {} = {} of {} here",
                taken_over.amount,
                taken_over.city_scheme,
                taken_over.city_score,
                taken_over.city_points_max,
                taken_over.points_max,
                taken_over.city_score,
                taken_over.city_points_max,
                taken_over.score,
                taken_over.points_max
            );
            for city_line in taken_over.city_lines.iter().filter(|line| line.amount() != Points::ZERO) {
                let mut nested = String::new();
                trace_line_text(&mut nested, city_line, names);
                for line in nested.lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
        }
    }
}

fn deduction_text(text: &mut String, line: &crate::projection::DeductionLine, names: &Names) {
    let _ = writeln!(
        text,
        "    −{} (recorded {}, restored {}) {} [{}]\n      event {} {} by {} ({}) at {}, hash {}",
        line.amount,
        line.points,
        line.restored,
        printable(&line.reason),
        line.problem_category,
        line.event.seq,
        printable(&line.event.event_type),
        printable(&line.event.actor_id),
        line.event.actor_role.as_str(),
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
            named(names, &attribution.cause_unit),
            printable(&attribution.description),
            attribution.event.seq,
            printable(&attribution.event.actor_id)
        );
        for digest in &attribution.evidence_digests {
            let _ = writeln!(text, "        evidence {}", digest.as_str());
        }
        for appeal in &attribution.appeals {
            let _ = writeln!(
                text,
                "        appeal on the cause by {} (event {}): {}",
                named(names, &appeal.appellant),
                appeal.filed.seq,
                printable(&appeal.grounds)
            );
            for decision in &appeal.decisions {
                let outcome = match decision.verdict {
                    crate::domain::AppealVerdict::Upheld => "upheld: the charge is back with the lead section",
                    _ => "dismissed: the charge stays",
                };
                let _ = writeln!(
                    text,
                    "          {outcome} — {} (event {} by {})",
                    printable(&decision.reasoning),
                    decision.event.seq,
                    printable(&decision.event.actor_id)
                );
            }
        }
    }
    for rectification in &line.rectifications {
        let _ = writeln!(
            text,
            "      rectified by {}: {} (event {})",
            named(names, &rectification.cause_unit),
            printable(&rectification.description),
            rectification.event.seq
        );
    }
    for appeal in &line.appeals {
        let _ = writeln!(
            text,
            "      appeal by {} (event {}): {}",
            named(names, &appeal.appellant),
            appeal.filed.seq,
            printable(&appeal.grounds)
        );
        for decision in &appeal.decisions {
            let _ = writeln!(
                text,
                "        decided {:?}: {} restored — {} (event {} by {})",
                decision.verdict,
                decision.points_restored,
                printable(&decision.reasoning),
                decision.event.seq,
                printable(&decision.event.actor_id)
            );
        }
    }
}

/// The bulletin (通报): the table of results with their changes, then each member's losses with their
/// reasons, the repeat problems, and the praise and criticism proposed.
pub fn bulletin_text(answer: &Answer<Bulletin>, names: &Names) -> String {
    let bulletin = &answer.value;
    let group = match &bulletin.group.function_code {
        Some(code) => format!("{} sections with function {code}", bulletin.group.scheme),
        None => format!("{} assessed units", bulletin.group.scheme),
    };
    let against = bulletin.previous_period.map_or(String::new(), |previous| format!("; changes against {previous}"));
    let mut text = format!(
        "bulletin (通报) of {group}, {} ({}){against}\n",
        bulletin.period,
        as_of_text(answer.as_of_seq, answer.as_of_instant)
    );
    let mut table = Table::new(&[">rank", ">tier", "unit", "name", ">final", ">change", ">rank ±", ">lost", ""]);
    for entry in &bulletin.entries {
        let standing = &entry.standing;
        table.row(vec![
            standing.rank.to_string(),
            standing.tier.to_string(),
            standing.unit.to_string(),
            name(names, &standing.unit),
            standing.final_score.to_string(),
            entry.score_change.map_or(String::new(), |change| signed(change.to_string())),
            entry.rank_change.map_or(String::new(), |change| signed(change.to_string())),
            entry.lost.to_string(),
            if standing.veto { "veto".into() } else { String::new() },
        ]);
    }
    text.push_str(&table.render());
    if !bulletin.unranked.is_empty() {
        let unranked: Vec<String> = bulletin.unranked.iter().map(|unit| named(names, unit)).collect();
        let _ = writeln!(text, "  unranked: {}", unranked.join(", "));
    }
    text.push_str(&unassessed_line(bulletin.unassessed_indicators));
    text.push_str(&provisional_line(&bulletin.provisional_periods));
    for entry in bulletin.entries.iter().filter(|entry| !entry.losses.is_empty()) {
        let _ = writeln!(text, "{} lost {}:", named(names, &entry.standing.unit), entry.lost);
        for loss in &entry.losses {
            loss_text(&mut text, loss, "  ", names);
        }
    }
    let repeats: Vec<String> = bulletin
        .entries
        .iter()
        .flat_map(|entry| entry.repeat_problems.iter())
        .map(|problem| format!("{} {} in {}", problem.unit, problem.problem_category, problem.period))
        .collect();
    if !repeats.is_empty() {
        let _ = writeln!(text, "repeat problems: {}", repeats.join("; "));
    }
    let praise: Vec<String> = bulletin.praise.iter().map(|standing| named(names, &standing.unit)).collect();
    let _ = writeln!(text, "praise: {}", if praise.is_empty() { "none".to_owned() } else { praise.join(", ") });
    let criticism: Vec<String> = bulletin
        .criticism
        .iter()
        .map(|criticism| {
            let reasons: Vec<String> = criticism
                .reasons
                .iter()
                .map(|reason| match reason {
                    CriticismReason::LastTier { tier, .. } => format!("last tier ({tier})"),
                    CriticismReason::Vetoed => "vetoed".to_owned(),
                    CriticismReason::RepeatProblem { problem_category, base_period } => {
                        format!("repeat problem {problem_category} in {base_period}")
                    }
                })
                .collect();
            format!("{} ({})", named(names, &criticism.unit), reasons.join("; "))
        })
        .collect();
    let _ =
        writeln!(text, "criticism: {}", if criticism.is_empty() { "none".to_owned() } else { criticism.join(", ") });
    text
}

fn loss_text(text: &mut String, loss: &Loss, indent: &str, names: &Names) {
    let indicator = loss.indicator.as_ref().map_or(String::new(), |code| format!("{code} "));
    let category = loss.problem_category.as_ref().map_or(String::new(), |category| format!(" [{category}]"));
    let event = loss.event_seq.map_or(String::new(), |seq| format!(" (event {seq})"));
    let from = loss.charged_from.as_ref().map_or(String::new(), |unit| format!(" charged from {}", named(names, unit)));
    let _ = writeln!(
        text,
        "{indent}{} {period} {indicator}{}{category}{from}{event}",
        signed_loss(loss.amount),
        printable(&loss.reason),
        period = loss.period,
    );
    for city_loss in &loss.city_losses {
        loss_text(text, city_loss, &format!("{indent}    there: "), names);
    }
}

/// A loss as `−2.00`, a floor's give-back as `+0.50`.
fn signed_loss(amount: Points) -> String {
    match amount < Points::ZERO {
        true => format!("+{}", Points(-amount.hundredths())),
        false => format!("−{amount}"),
    }
}

pub fn diff_text(diff: &RankingDiff, names: &Names) -> String {
    let group =
        diff.group.function_code.as_ref().map_or("assessed units".to_owned(), |code| format!("{code} sections"));
    let mut text =
        format!("ranking of {group} for {}, event {} → event {}:\n", diff.period, diff.from_seq, diff.to_seq);
    if diff.changes.is_empty() {
        text.push_str("  no unit's score, rank or tier changed\n");
        return text;
    }
    let mut table =
        Table::new(&["unit", "name", ">final before", ">after", ">rank before", ">after", ">tier before", ">after"]);
    let show = |standing: &Option<Standing>, pick: fn(&Standing) -> String| standing.as_ref().map_or("-".into(), pick);
    for change in &diff.changes {
        table.row(vec![
            change.unit.to_string(),
            name(names, &change.unit),
            show(&change.before, |s| s.final_score.to_string()),
            show(&change.after, |s| s.final_score.to_string()),
            show(&change.before, |s| s.rank.to_string()),
            show(&change.after, |s| s.rank.to_string()),
            show(&change.before, |s| s.tier.to_string()),
            show(&change.after, |s| s.tier.to_string()),
        ]);
    }
    text.push_str(&table.render());
    for change in &diff.changes {
        for moved in &change.moves {
            let points = |p: Option<Points>| p.map_or("-".into(), |p| p.to_string());
            let _ = writeln!(
                text,
                "  {}: {} → {} by event {} {} ({} at {})",
                named(names, &change.unit),
                points(moved.final_before),
                points(moved.final_after),
                moved.event.seq,
                printable(&moved.event.event_type),
                printable(&moved.event.actor_id),
                moved.event.recorded_at
            );
        }
    }
    text
}

pub fn load_text(loads: &[IndicatorLoad], names: &Names) -> String {
    let mut table = Table::new(&[">year", "county", "section", "name", ">indicators"]);
    for load in loads {
        table.row(vec![
            load.year.to_string(),
            load.county.to_string(),
            load.section.to_string(),
            name(names, &load.section),
            load.indicators.to_string(),
        ]);
    }
    table.render()
}

/// The grants `GET /v1/access?all=true` lists, one per line.
pub fn grants_text(access: &AccessList) -> String {
    let mut table = Table::new(&["token hash", "actor", "role", "unit", "granted", "expires", "revoked"]);
    for grant in &access.grants {
        table.row(vec![
            grant.token_hash.to_string(),
            grant.actor_id.clone(),
            grant.role.as_str().to_owned(),
            grant.unit.to_string(),
            grant.granted_at.to_string(),
            grant.expires_at.to_string(),
            grant.revoked_at.map_or_else(|| "active".to_owned(), |at| at.to_string()),
        ]);
    }
    table.render()
}
