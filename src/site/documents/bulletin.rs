//! The bulletin (通报) as a document: `/v1/bulletin`'s answer for the group and period, laid out —
//! the results with their changes, each member's losses with their reasons, the repeat problems, the
//! praise and criticism proposed — and as a spreadsheet (`tabular::answers::bulletin`).

use std::collections::BTreeMap;

use crate::domain::{IndicatorCode, PeriodId, UnitCode};
use crate::projection::{Bulletin, CriticismReason, Loss, LossKind, RepeatProblem};
use crate::service::queries::{Answer, UnitListing};
use crate::site::documents::templates::{BulletinRow, BulletinView, LossRow, MemberLosses, Proposal, RepeatLine};
use crate::site::documents::{indicator_names, named, names, signed_count, signed_points, units_at, Kind, Resolved};
use crate::site::request::Refusal;
use crate::site::text::Text;
use crate::site::SiteState;
use crate::tabular::{answers, Lang, Workbook};

/// The bulletin the API gives for the question (its rule was judged when the question was resolved).
pub(crate) fn read(site: &SiteState, resolved: &Resolved) -> Result<Answer<Bulletin>, Refusal> {
    Ok(site.app.read_models.bulletin(&resolved.scope(), resolved.period, resolved.view())?)
}

pub(crate) fn view(site: &SiteState, resolved: &Resolved, t: &Text) -> Result<BulletinView, Refusal> {
    let answer = read(site, resolved)?;
    let seq = answer.as_of_seq;
    let units = units_at(site, seq)?;
    let indicators = indicator_names(site, resolved.scheme(), seq)?;
    let b = &answer.value;
    let head = resolved.head(site, t, Kind::Bulletin, &answer, &b.provisional_periods, b.unassessed_indicators);
    Ok(BulletinView {
        seq,
        head,
        previous_period: b.previous_period.map(|previous| previous.to_string()),
        sections: b.group.function_code.is_some(),
        rows: b
            .entries
            .iter()
            .map(|entry| {
                let standing = &entry.standing;
                BulletinRow {
                    rank: standing.rank,
                    tier: standing.tier,
                    unit: standing.unit.to_string(),
                    name: unit_name(&units, &standing.unit, &standing.name),
                    county: standing.parent.as_ref().map(|county| named(&units, county)),
                    final_score: standing.final_score.to_string(),
                    veto: standing.veto,
                    score_change: signed_points(entry.score_change),
                    rank_change: signed_count(entry.rank_change),
                    tier_change: signed_count(entry.tier_change),
                    points_max: entry.points_max_total.to_string(),
                    lost: entry.lost.to_string(),
                }
            })
            .collect(),
        unranked: b.unranked.iter().map(|unit| named(&units, unit)).collect(),
        members: b
            .entries
            .iter()
            .filter(|entry| !entry.losses.is_empty())
            .map(|entry| MemberLosses {
                unit: entry.standing.unit.to_string(),
                name: unit_name(&units, &entry.standing.unit, &entry.standing.name),
                lost: entry.lost.to_string(),
                lines: entry
                    .losses
                    .iter()
                    .flat_map(|loss| {
                        let own = loss_row(t, loss, &indicators, &units, false);
                        std::iter::once(own)
                            .chain(loss.city_losses.iter().map(|city| loss_row(t, city, &indicators, &units, true)))
                    })
                    .collect(),
            })
            .collect(),
        repeats: b
            .entries
            .iter()
            .flat_map(|entry| entry.repeat_problems.iter())
            .map(|problem| repeat_line(t, problem, &units))
            .collect(),
        praise: b
            .praise
            .iter()
            .map(|standing| Proposal {
                unit: standing.unit.to_string(),
                name: unit_name(&units, &standing.unit, &standing.name),
                reasons: t.documents.praise_reason.replace("{rank}", &standing.rank.to_string()),
            })
            .collect(),
        criticism: b
            .criticism
            .iter()
            .map(|criticism| Proposal {
                unit: criticism.unit.to_string(),
                name: unit_name(&units, &criticism.unit, ""),
                reasons: criticism
                    .reasons
                    .iter()
                    .map(|reason| criticism_reason(t, reason))
                    .collect::<Vec<_>>()
                    .join(t.marks.semicolon),
            })
            .collect(),
    })
}

/// A unit's name: the one the answer carries, else the organisation's at the answer's point.
fn unit_name(units: &BTreeMap<UnitCode, UnitListing>, unit: &UnitCode, given: &str) -> String {
    match given.is_empty() {
        false => given.to_owned(),
        true => units.get(unit).map(|listing| listing.name.clone()).unwrap_or_default(),
    }
}

pub(crate) fn kind_word(t: &Text, kind: LossKind) -> &'static str {
    match kind {
        LossKind::Deduction => t.kind_deduction,
        LossKind::TierShortfall => t.kind_tier_shortfall,
        LossKind::Charge => t.kind_charge,
        LossKind::TakenOver => t.kind_taken_over,
        LossKind::FloorAbsorbed => t.kind_floor,
    }
}

fn loss_row(
    t: &Text,
    loss: &Loss,
    indicators: &BTreeMap<IndicatorCode, String>,
    units: &BTreeMap<UnitCode, UnitListing>,
    city: bool,
) -> LossRow {
    LossRow {
        period: loss.period.to_string(),
        indicator: loss.indicator.as_ref().map(IndicatorCode::to_string).unwrap_or_default(),
        indicator_name: loss.indicator.as_ref().and_then(|code| indicators.get(code)).cloned().unwrap_or_default(),
        kind: kind_word(t, loss.kind),
        amount: loss.amount.to_string(),
        reason: loss.reason.clone(),
        category: loss.problem_category.as_ref().map(ToString::to_string).unwrap_or_default(),
        seq: loss.event_seq,
        charged_from: loss.charged_from.as_ref().map(|unit| named(units, unit)).unwrap_or_default(),
        city,
    }
}

pub(crate) fn repeat_line(t: &Text, problem: &RepeatProblem, units: &BTreeMap<UnitCode, UnitListing>) -> RepeatLine {
    let mut rules = Vec::new();
    if problem.consecutive {
        rules.push(t.repeat_consecutive);
    }
    if problem.in_window {
        rules.push(t.repeat_in_window);
    }
    RepeatLine {
        unit: problem.unit.to_string(),
        name: units.get(&problem.unit).map(|listing| listing.name.clone()).unwrap_or_default(),
        period: problem.period.to_string(),
        category: problem.problem_category.to_string(),
        periods: problem.periods_with_deductions.iter().map(PeriodId::to_string).collect::<Vec<_>>().join(t.marks.list),
        rule: rules.join(t.marks.list),
    }
}

fn criticism_reason(t: &Text, reason: &CriticismReason) -> String {
    let words = t.documents;
    match reason {
        CriticismReason::Vetoed => words.reason_vetoed.to_owned(),
        CriticismReason::LastTier { rank, tier } => {
            words.reason_last_tier.replace("{tier}", &tier.to_string()).replace("{rank}", &rank.to_string())
        }
        CriticismReason::RepeatProblem { problem_category, base_period } => words
            .reason_repeat
            .replace("{category}", problem_category.as_str())
            .replace("{period}", &base_period.to_string()),
    }
}

/// The bulletin as a spreadsheet: the same answer, through `tabular`.
pub(crate) fn workbook(site: &SiteState, resolved: &Resolved, lang: Lang) -> Result<Workbook, Refusal> {
    let answer = read(site, resolved)?;
    let units = units_at(site, answer.as_of_seq)?;
    Ok(answers::bulletin(&answer, &names(&units), lang))
}
