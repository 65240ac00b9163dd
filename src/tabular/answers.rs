//! The answers that have a table form, each as a `Workbook`: a ranking, a ranking diff, the two
//! comparisons, the deduction register, the appeal lists, the bulletin (通报) and the horizontal
//! comparison table of a whole group (横向比较情况表). The main table comes first; the last
//! sheet says where the answer stands in the chain and what in it is provisional.
//!
//! Invariant: every unit appears by code with its name beside it (names as the ledger stood at the
//! answer's point, from `names`), and every figure is the answer's own — nothing is recomputed here.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::{IndicatorCode, PeriodId, Points, Timestamp, UnitCode};
use crate::projection::{
    AppealQueue, Bulletin, CriticismReason, Horizontal, Loss, LossKind, Ranking, RankingDiff, Standing, Vertical,
};
use crate::service::listings::RegisterPage;
use crate::service::queries::{Answer, HorizontalTable};

use super::{file_stem, Cell, Label, Lang, Sheet, Workbook};

/// Unit names by code.
pub type Names = BTreeMap<UnitCode, String>;

const ABOUT: Label = Label::new("说明", "about");
const ITEM: Label = Label::new("项目", "item");
const VALUE: Label = Label::new("内容", "value");
const AS_OF_SEQ: Label = Label::new("截至事件序号", "as of event");
const AS_OF_INSTANT: Label = Label::new("截至时刻", "as of instant");
const PROVISIONAL: Label = Label::new("暂定（未发布）的期间", "provisional (unpublished) periods");
const UNASSESSED: Label =
    Label::new("未评等次、按满分计的指标数", "tiered indicators without an award, at full points");
const UNRANKED: Label = Label::new("未排名的单位", "unranked units");
const RANK: Label = Label::new("排名", "rank");
const TIER: Label = Label::new("等次", "tier");
const UNIT: Label = Label::new("单位代码", "unit");
const NAME: Label = Label::new("单位名称", "name");
const COUNTY: Label = Label::new("所属县", "county");
const FINAL: Label = Label::new("最终得分", "final score");
const VETO: Label = Label::new("一票否决", "veto");
const THIS_UNIT: Label = Label::new("本单位", "this unit");
const PERIOD: Label = Label::new("期间", "period");
const INDICATOR: Label = Label::new("指标", "indicator");
const POINTS_LOST: Label = Label::new("失分", "points lost");
const CATEGORY: Label = Label::new("问题类别", "problem category");

fn as_of_rows(sheet: &mut Sheet, lang: Lang, as_of_seq: u64, as_of_instant: Option<Timestamp>) {
    sheet.row(vec![Cell::text(AS_OF_SEQ.text(lang)), Cell::integer(as_of_seq)]);
    sheet.row(vec![Cell::text(AS_OF_INSTANT.text(lang)), Cell::optional(as_of_instant, Cell::Time)]);
}

fn periods_text(periods: &[PeriodId]) -> String {
    periods.iter().map(PeriodId::to_string).collect::<Vec<_>>().join(", ")
}

fn name_of(names: &Names, unit: &UnitCode) -> Cell {
    Cell::text(names.get(unit).cloned().unwrap_or_default())
}

/// An enum as the API spells it (`snake_case`).
fn word(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn standings_sheet(ranking: &Ranking, highlight: Option<&UnitCode>, names: &Names, lang: Lang) -> Sheet {
    let sections = ranking.group.function_code.is_some();
    let mut headers = vec![RANK, TIER, UNIT, NAME];
    if sections {
        headers.push(COUNTY);
    }
    headers.extend([FINAL, VETO]);
    if highlight.is_some() {
        headers.push(THIS_UNIT);
    }
    let mut sheet = Sheet::new(Label::new("排名", "ranking"), &headers, lang);
    for standing in &ranking.standings {
        sheet.row(standing_row(standing, sections, highlight, names));
    }
    sheet
}

fn standing_row(standing: &Standing, sections: bool, highlight: Option<&UnitCode>, names: &Names) -> Vec<Cell> {
    let name = match standing.name.is_empty() {
        true => name_of(names, &standing.unit),
        false => Cell::text(standing.name.clone()),
    };
    let mut cells =
        vec![Cell::integer(standing.rank), Cell::integer(standing.tier), Cell::text(standing.unit.to_string()), name];
    if sections {
        cells.push(Cell::optional(standing.parent.as_ref(), |county| Cell::text(county.to_string())));
    }
    cells.extend([Cell::Points(standing.final_score), Cell::Bool(standing.veto)]);
    if let Some(unit) = highlight {
        cells.push(Cell::Bool(&standing.unit == unit));
    }
    cells
}

fn ranking_about(
    ranking: &Ranking,
    as_of_seq: u64,
    as_of_instant: Option<Timestamp>,
    names: &Names,
    lang: Lang,
) -> Sheet {
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    as_of_rows(&mut about, lang, as_of_seq, as_of_instant);
    about.row(vec![Cell::text(PROVISIONAL.text(lang)), Cell::text(periods_text(&ranking.provisional_periods))]);
    about.row(vec![Cell::text(UNASSESSED.text(lang)), Cell::integer(ranking.unassessed_indicators)]);
    let unranked: Vec<String> = ranking
        .unranked
        .iter()
        .map(|unit| match names.get(unit) {
            Some(name) => format!("{unit} {name}"),
            None => unit.to_string(),
        })
        .collect();
    about.row(vec![Cell::text(UNRANKED.text(lang)), Cell::text(unranked.join(", "))]);
    about
}

fn group_stem(kind: &str, ranking_group: &crate::projection::PeerGroup, period: PeriodId) -> Vec<String> {
    let mut parts = vec![kind.to_owned(), ranking_group.scheme.to_string()];
    if let Some(code) = &ranking_group.function_code {
        parts.push(code.to_string());
    }
    parts.push(period.to_string());
    parts
}

fn stem(parts: &[String]) -> String {
    file_stem(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A peer group's ranking: rank, tier, unit, name, (county), final, veto.
pub fn ranking(answer: &Answer<Ranking>, names: &Names, lang: Lang) -> Workbook {
    let ranking = &answer.value;
    Workbook {
        file_stem: stem(&group_stem("ranking", &ranking.group, ranking.period)),
        sheets: vec![
            standings_sheet(ranking, None, names, lang),
            ranking_about(ranking, answer.as_of_seq, answer.as_of_instant, names, lang),
        ],
    }
}

/// Who moved between two points: each changed unit before and after, and the events that moved it.
pub fn ranking_diff(diff: &RankingDiff, names: &Names, lang: Lang) -> Workbook {
    let headers = [
        UNIT,
        NAME,
        Label::new("原排名", "rank before"),
        Label::new("原等次", "tier before"),
        Label::new("原得分", "final before"),
        Label::new("原否决", "veto before"),
        Label::new("现排名", "rank after"),
        Label::new("现等次", "tier after"),
        Label::new("现得分", "final after"),
        Label::new("现否决", "veto after"),
        Label::new("引起变动的事件", "events that moved it"),
    ];
    let mut sheet = Sheet::new(Label::new("变动", "changes"), &headers, lang);
    for change in &diff.changes {
        let side = |standing: Option<&Standing>| -> [Cell; 4] {
            match standing {
                Some(standing) => [
                    Cell::integer(standing.rank),
                    Cell::integer(standing.tier),
                    Cell::Points(standing.final_score),
                    Cell::Bool(standing.veto),
                ],
                None => [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
            }
        };
        let moves: Vec<String> = change.moves.iter().map(|step| step.event.seq.to_string()).collect();
        let mut cells = vec![Cell::text(change.unit.to_string()), name_of(names, &change.unit)];
        cells.extend(side(change.before.as_ref()));
        cells.extend(side(change.after.as_ref()));
        cells.push(Cell::text(moves.join(" ")));
        sheet.row(cells);
    }
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    about.row(vec![Cell::text(Label::new("起点事件序号", "from event").text(lang)), Cell::integer(diff.from_seq)]);
    about.row(vec![Cell::text(Label::new("终点事件序号", "to event").text(lang)), Cell::integer(diff.to_seq)]);
    let provisional = diff.after.as_ref().map(|after| periods_text(&after.provisional_periods)).unwrap_or_default();
    about.row(vec![Cell::text(PROVISIONAL.text(lang)), Cell::text(provisional)]);
    let mut parts = group_stem("ranking-diff", &diff.group, diff.period);
    parts.push(format!("{}-{}", diff.from_seq, diff.to_seq));
    Workbook { file_stem: stem(&parts), sheets: vec![sheet, about] }
}

/// A unit against its peers: the group's table with the unit marked, then its losses by indicator and
/// by category.
pub fn horizontal(answer: &Answer<Horizontal>, names: &Names, lang: Lang) -> Workbook {
    let h = &answer.value;
    let table = standings_sheet(&h.ranking, Some(&h.unit), names, lang);
    let mut by_indicator = Sheet::new(Label::new("按指标失分", "lost by indicator"), &[INDICATOR, POINTS_LOST], lang);
    for (indicator, points) in &h.lost_by_indicator {
        by_indicator.row(vec![Cell::text(indicator.to_string()), Cell::Points(*points)]);
    }
    let mut by_category = Sheet::new(Label::new("按类别失分", "lost by category"), &[CATEGORY, POINTS_LOST], lang);
    for (category, points) in &h.lost_by_category {
        by_category.row(vec![Cell::text(String::from(category.clone())), Cell::Points(*points)]);
    }
    let mut about = ranking_about(&h.ranking, answer.as_of_seq, answer.as_of_instant, names, lang);
    for (label, cell) in [
        (
            Label::new("单位", "unit"),
            Cell::text(format!("{} {}", h.unit, names.get(&h.unit).map_or("", String::as_str))),
        ),
        (Label::new("同组单位数", "peers"), Cell::integer(h.peers)),
        (Label::new("与第一名差距", "gap to the leader"), Cell::Points(h.gap_to_leader)),
        (Label::new("与上一等次差距", "gap to the next tier"), Cell::Points(h.gap_to_next_tier)),
        (Label::new("失分合计", "points lost"), Cell::Points(h.lost)),
    ] {
        about.row(vec![Cell::text(label.text(lang)), cell]);
    }
    Workbook {
        file_stem: file_stem(&["comparison", h.unit.as_str(), &h.period.to_string()]),
        sheets: vec![table, by_indicator, by_category, about],
    }
}

/// A unit across periods: score, rank, tier and their changes, repeat problems.
pub fn vertical(answer: &Answer<Vertical>, names: &Names, lang: Lang) -> Workbook {
    let v = &answer.value;
    let headers = [
        PERIOD,
        FINAL,
        Label::new("得分变化", "score change"),
        RANK,
        Label::new("排名变化（负为上升）", "rank change (negative: up)"),
        TIER,
        Label::new("等次变化", "tier change"),
        Label::new("同组单位数", "peers"),
        Label::new("屡次发生的问题", "repeat problems"),
        Label::new("暂定", "provisional"),
    ];
    let mut sheet = Sheet::new(Label::new("纵向比较", "across periods"), &headers, lang);
    for row in &v.rows {
        let repeats: Vec<String> = row.repeat_problems.iter().map(|r| r.problem_category.to_string()).collect();
        sheet.row(vec![
            Cell::text(row.period.to_string()),
            Cell::optional(row.final_score, Cell::Points),
            Cell::optional(row.score_change, Cell::Points),
            Cell::optional(row.rank, Cell::integer),
            Cell::optional(row.rank_change, Cell::Integer),
            Cell::optional(row.tier, Cell::integer),
            Cell::optional(row.tier_change, Cell::Integer),
            Cell::integer(row.peers),
            Cell::text(repeats.join(", ")),
            Cell::Bool(!row.provisional_periods.is_empty()),
        ]);
    }
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    as_of_rows(&mut about, lang, answer.as_of_seq, answer.as_of_instant);
    about.row(vec![
        Cell::text(Label::new("单位", "unit").text(lang)),
        Cell::text(format!("{} {}", v.unit, names.get(&v.unit).map_or("", String::as_str))),
    ]);
    about.row(vec![Cell::text(PROVISIONAL.text(lang)), Cell::text(periods_text(&v.provisional_periods))]);
    let first = v.rows.first().map(|row| row.period.to_string()).unwrap_or_default();
    let last = v.rows.last().map(|row| row.period.to_string()).unwrap_or_default();
    Workbook { file_stem: file_stem(&["comparison", v.unit.as_str(), &first, &last]), sheets: vec![sheet, about] }
}

/// One page of the deduction register (台账).
pub fn register(answer: &Answer<RegisterPage>, names: &Names, lang: Lang) -> Workbook {
    let page = &answer.value;
    let headers = [
        PERIOD,
        UNIT,
        NAME,
        INDICATOR,
        Label::new("考核单位", "assessor"),
        Label::new("记录时间", "recorded at"),
        Label::new("事件序号", "event"),
        Label::new("扣分", "points"),
        Label::new("有效扣分", "effective"),
        Label::new("扣分理由", "reason"),
        CATEGORY,
        Label::new("佐证材料摘要", "evidence digests"),
        Label::new("缺少佐证", "evidence missing"),
        Label::new("撤销事件", "withdrawn by event"),
        Label::new("责任单位", "cause unit"),
        Label::new("申诉数", "appeals"),
    ];
    let mut sheet = Sheet::new(Label::new("扣分台账", "deduction register"), &headers, lang);
    for entry in &page.register.deductions {
        sheet.row(vec![
            Cell::text(entry.period.to_string()),
            Cell::text(entry.unit.to_string()),
            name_of(names, &entry.unit),
            Cell::text(entry.indicator.to_string()),
            Cell::text(entry.assessor.to_string()),
            Cell::Time(entry.recorded_at),
            Cell::integer(entry.event.seq),
            Cell::Points(entry.points),
            Cell::Points(entry.effective),
            Cell::text(entry.reason.clone()),
            Cell::text(entry.problem_category.to_string()),
            Cell::text(entry.evidence_digests.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(" ")),
            Cell::Bool(entry.evidence_missing),
            Cell::optional(entry.withdrawn.as_ref(), |event| Cell::integer(event.seq)),
            Cell::optional(entry.cause_unit.as_ref(), |unit| Cell::text(unit.to_string())),
            Cell::integer(entry.appeals),
        ]);
    }
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    as_of_rows(&mut about, lang, answer.as_of_seq, answer.as_of_instant);
    for (label, cell) in [
        (Label::new("单位", "unit"), Cell::text(page.register.unit.to_string())),
        (PERIOD, Cell::text(page.register.period.to_string())),
        (Label::new("符合条件的扣分", "deductions the filters admit"), Cell::integer(page.total)),
        (Label::new("本页起始", "offset"), Cell::integer(page.offset)),
        (
            Label::new("缺少佐证的有效扣分", "standing deductions without evidence"),
            Cell::integer(page.register.without_evidence_count),
        ),
    ] {
        about.row(vec![Cell::text(label.text(lang)), cell]);
    }
    let mut parts = vec!["deductions".to_owned(), page.register.unit.to_string(), page.register.period.to_string()];
    if page.offset > 0 || page.next_offset.is_some() {
        parts.push(format!("from-{}", page.offset + 1));
    }
    Workbook { file_stem: stem(&parts), sheets: vec![sheet, about] }
}

/// An appeal list (the queue, or one's own appeals).
pub fn appeals(answer: &Answer<AppealQueue>, names: &Names, lang: Lang) -> Workbook {
    let queue = &answer.value;
    let headers = [
        Label::new("申诉编号", "appeal"),
        Label::new("状态", "status"),
        Label::new("阶段", "stage"),
        Label::new("方案", "scheme"),
        PERIOD,
        UNIT,
        NAME,
        INDICATOR,
        Label::new("申诉单位", "appellant"),
        Label::new("争议分值", "points contested"),
        Label::new("结论", "verdict"),
        Label::new("恢复分值", "points restored"),
        Label::new("决定期限", "decision due"),
        Label::new("逾期", "overdue"),
        Label::new("逾期天数", "days overdue"),
    ];
    let mut sheet = Sheet::new(Label::new("申诉", "appeals"), &headers, lang);
    for appeal in &queue.appeals {
        sheet.row(vec![
            Cell::text(appeal.appeal_id.to_string()),
            Cell::text(word(&appeal.status)),
            Cell::text(word(&appeal.stage)),
            Cell::text(appeal.scheme.to_string()),
            Cell::text(appeal.period.to_string()),
            Cell::text(appeal.unit.to_string()),
            name_of(names, &appeal.unit),
            Cell::text(appeal.indicator.to_string()),
            Cell::text(appeal.appellant.to_string()),
            Cell::Points(appeal.points_contested),
            Cell::optional(appeal.verdict.as_ref(), |verdict| Cell::text(word(verdict))),
            Cell::Points(appeal.points_restored),
            Cell::Time(appeal.decision_due_at),
            Cell::Bool(appeal.overdue),
            Cell::Integer(appeal.days_overdue),
        ]);
    }
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    as_of_rows(&mut about, lang, answer.as_of_seq, answer.as_of_instant);
    about.row(vec![Cell::text(Label::new("判断时刻", "judged at").text(lang)), Cell::Time(queue.now)]);
    about.row(vec![Cell::text(Label::new("状态筛选", "status filter").text(lang)), Cell::text(word(&queue.status))]);
    Workbook { file_stem: file_stem(&["appeals", &answer.as_of_seq.to_string()]), sheets: vec![sheet, about] }
}

/// A loss's kind in words.
fn loss_kind(kind: LossKind) -> Label {
    match kind {
        LossKind::Deduction => Label::new("扣分", "deduction"),
        LossKind::TierShortfall => Label::new("等次差距", "tier shortfall"),
        LossKind::Charge => Label::new("责任转入", "charge"),
        LossKind::TakenOver => Label::new("接管指标折算", "taken over"),
        LossKind::FloorAbsorbed => Label::new("保底返还", "floor"),
    }
}

/// Why a unit is proposed for criticism, in words.
pub fn criticism_reason(reason: &CriticismReason, lang: Lang) -> String {
    match (reason, lang) {
        (CriticismReason::LastTier { rank, tier }, Lang::Zh) => format!("末位等次（第{tier}等次，第{rank}名）"),
        (CriticismReason::LastTier { rank, tier }, Lang::En) => format!("last tier ({tier}, rank {rank})"),
        (CriticismReason::Vetoed, Lang::Zh) => "一票否决".to_owned(),
        (CriticismReason::Vetoed, Lang::En) => "vetoed".to_owned(),
        (CriticismReason::RepeatProblem { problem_category, base_period }, Lang::Zh) => {
            format!("屡次发生同类问题：{problem_category}（{base_period}）")
        }
        (CriticismReason::RepeatProblem { problem_category, base_period }, Lang::En) => {
            format!("repeat problem {problem_category} in {base_period}")
        }
    }
}

fn loss_row(unit: &UnitCode, names: &Names, loss: &Loss, city: bool, lang: Lang) -> Vec<Cell> {
    vec![
        Cell::text(unit.to_string()),
        name_of(names, unit),
        Cell::text(loss.period.to_string()),
        Cell::optional(loss.indicator.as_ref(), |indicator| Cell::text(indicator.to_string())),
        Cell::text(loss_kind(loss.kind).text(lang)),
        Cell::Points(loss.amount),
        Cell::text(loss.reason.clone()),
        Cell::optional(loss.problem_category.as_ref(), |category| Cell::text(category.to_string())),
        Cell::optional(loss.event_seq, Cell::integer),
        Cell::optional(loss.charged_from.as_ref(), |from| Cell::text(from.to_string())),
        Cell::Bool(city),
    ]
}

/// The bulletin (通报): the results with their changes, every loss with its reason, the repeat
/// problems, the praise and criticism proposed, and where it stands.
pub fn bulletin(answer: &Answer<Bulletin>, names: &Names, lang: Lang) -> Workbook {
    let b = &answer.value;
    let sections = b.group.function_code.is_some();
    let mut headers = vec![RANK, TIER, UNIT, NAME];
    if sections {
        headers.push(COUNTY);
    }
    headers.extend([
        FINAL,
        VETO,
        Label::new("得分变化", "score change"),
        Label::new("排名变化（负为上升）", "rank change (negative: up)"),
        Label::new("等次变化", "tier change"),
        Label::new("满分合计", "points max"),
        POINTS_LOST,
    ]);
    let mut results = Sheet::new(Label::new("通报", "bulletin"), &headers, lang);
    for entry in &b.entries {
        let mut cells = standing_row(&entry.standing, sections, None, names);
        cells.extend([
            Cell::optional(entry.score_change, Cell::Points),
            Cell::optional(entry.rank_change, Cell::Integer),
            Cell::optional(entry.tier_change, Cell::Integer),
            Cell::Points(entry.points_max_total),
            Cell::Points(entry.lost),
        ]);
        results.row(cells);
    }
    let loss_headers = [
        UNIT,
        NAME,
        PERIOD,
        INDICATOR,
        Label::new("类型", "kind"),
        Label::new("分值", "amount"),
        Label::new("原因", "reason"),
        CATEGORY,
        Label::new("事件序号", "event"),
        Label::new("责任转自", "charged from"),
        Label::new("市局方案中的失分", "in the city's scheme"),
    ];
    let mut losses = Sheet::new(Label::new("失分明细", "losses"), &loss_headers, lang);
    for entry in &b.entries {
        for loss in &entry.losses {
            losses.row(loss_row(&entry.standing.unit, names, loss, false, lang));
            for city in &loss.city_losses {
                losses.row(loss_row(&entry.standing.unit, names, city, true, lang));
            }
        }
    }
    let repeat_headers = [
        UNIT,
        NAME,
        PERIOD,
        CATEGORY,
        Label::new("发生问题的期间", "periods with deductions"),
        Label::new("连续发生", "consecutive"),
        Label::new("窗口期内多次发生", "in window"),
    ];
    let mut repeats = Sheet::new(Label::new("屡次发生同类问题", "repeat problems"), &repeat_headers, lang);
    for problem in b.entries.iter().flat_map(|entry| entry.repeat_problems.iter()) {
        repeats.row(vec![
            Cell::text(problem.unit.to_string()),
            name_of(names, &problem.unit),
            Cell::text(problem.period.to_string()),
            Cell::text(problem.problem_category.to_string()),
            Cell::text(periods_text(&problem.periods_with_deductions)),
            Cell::Bool(problem.consecutive),
            Cell::Bool(problem.in_window),
        ]);
    }
    let proposal_headers = [Label::new("建议", "proposal"), UNIT, NAME, Label::new("理由", "reasons")];
    let mut proposals = Sheet::new(Label::new("表扬与批评", "praise and criticism"), &proposal_headers, lang);
    for standing in &b.praise {
        proposals.row(vec![
            Cell::text(Label::new("表扬", "praise").text(lang)),
            Cell::text(standing.unit.to_string()),
            name_of(names, &standing.unit),
            Cell::text(format!("{}{}", Label::new("第一等次，第", "tier 1, rank ").text(lang), standing.rank)),
        ]);
    }
    for criticism in &b.criticism {
        let reasons: Vec<String> = criticism.reasons.iter().map(|reason| criticism_reason(reason, lang)).collect();
        proposals.row(vec![
            Cell::text(Label::new("批评", "criticism").text(lang)),
            Cell::text(criticism.unit.to_string()),
            name_of(names, &criticism.unit),
            Cell::text(reasons.join("; ")),
        ]);
    }
    let mut about = Sheet::new(ABOUT, &[ITEM, VALUE], lang);
    as_of_rows(&mut about, lang, answer.as_of_seq, answer.as_of_instant);
    about.row(vec![Cell::text(PERIOD.text(lang)), Cell::text(b.period.to_string())]);
    about.row(vec![
        Cell::text(Label::new("对比期间", "changes against").text(lang)),
        Cell::optional(b.previous_period, |previous| Cell::text(previous.to_string())),
    ]);
    about.row(vec![Cell::text(Label::new("等次数", "tiers").text(lang)), Cell::integer(b.tier_count)]);
    about.row(vec![Cell::text(PROVISIONAL.text(lang)), Cell::text(periods_text(&b.provisional_periods))]);
    about.row(vec![Cell::text(UNASSESSED.text(lang)), Cell::integer(b.unassessed_indicators)]);
    let unranked: Vec<String> = b.unranked.iter().map(|unit| named_text(names, unit)).collect();
    about.row(vec![Cell::text(UNRANKED.text(lang)), Cell::text(unranked.join(", "))]);
    Workbook {
        file_stem: stem(&group_stem("bulletin", &b.group, b.period)),
        sheets: vec![results, losses, repeats, proposals, about],
    }
}

fn named_text(names: &Names, unit: &UnitCode) -> String {
    match names.get(unit) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    }
}

/// The indicators a horizontal table has a row for: every one any member lost points on, by code.
pub fn table_indicators(table: &HorizontalTable) -> Vec<IndicatorCode> {
    let codes: BTreeSet<&IndicatorCode> =
        table.comparisons.iter().flat_map(|comparison| comparison.lost_by_indicator.keys()).collect();
    codes.into_iter().cloned().collect()
}

/// The horizontal comparison table (横向比较情况表): every ranked member side by side, one column each,
/// with its rank, tier, score, gaps and lost points, then a row per indicator anyone lost points on
/// (named from `indicator_names`), and what floors gave back.
pub fn horizontal_table(
    answer: &Answer<HorizontalTable>,
    indicator_names: &BTreeMap<IndicatorCode, String>,
    names: &Names,
    lang: Lang,
) -> Workbook {
    let table = &answer.value;
    let columns = &table.comparisons;
    let mut headers = vec![ITEM.text(lang).to_owned()];
    headers.extend(columns.iter().map(|comparison| named_text(names, &comparison.unit)));
    let mut sheet = Sheet {
        name: Label::new("横向比较情况表", "horizontal table").text(lang).to_owned(),
        headers,
        rows: Vec::new(),
    };
    let mut row = |label: String, cell: &dyn Fn(&Horizontal) -> Cell| {
        let mut cells = vec![Cell::text(label)];
        cells.extend(columns.iter().map(cell));
        sheet.row(cells);
    };
    row(RANK.text(lang).to_owned(), &|c| Cell::integer(c.standing.rank));
    row(TIER.text(lang).to_owned(), &|c| Cell::integer(c.standing.tier));
    row(FINAL.text(lang).to_owned(), &|c| Cell::Points(c.standing.final_score));
    row(VETO.text(lang).to_owned(), &|c| Cell::Bool(c.standing.veto));
    row(Label::new("与第一名差距", "gap to the leader").text(lang).to_owned(), &|c| {
        Cell::Points(c.gap_to_leader)
    });
    row(Label::new("与上一等次差距", "gap to the next tier").text(lang).to_owned(), &|c| {
        Cell::Points(c.gap_to_next_tier)
    });
    row(Label::new("失分合计", "points lost").text(lang).to_owned(), &|c| Cell::Points(c.lost));
    for code in table_indicators(table) {
        let label = match indicator_names.get(&code).filter(|name| !name.is_empty()) {
            Some(name) => format!("{code} {name}"),
            None => code.to_string(),
        };
        row(label, &|c| Cell::optional(c.lost_by_indicator.get(&code).copied(), Cell::Points));
    }
    if columns.iter().any(|c| c.floor_absorbed != Points::ZERO) {
        row(Label::new("保底返还", "given back by floors").text(lang).to_owned(), &|c| {
            Cell::Points(c.floor_absorbed)
        });
    }
    let about = ranking_about(&table.ranking, answer.as_of_seq, answer.as_of_instant, names, lang);
    Workbook {
        file_stem: stem(&group_stem("horizontal-table", &table.ranking.group, table.ranking.period)),
        sheets: vec![sheet, about],
    }
}
