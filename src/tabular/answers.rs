//! The answers that have a table form, each as a `Workbook`: a ranking, a ranking diff, the two
//! comparisons, the deduction register and the appeal lists. The main table comes first; the last
//! sheet says where the answer stands in the chain and what in it is provisional.
//!
//! Invariant: every unit appears by code with its name beside it (names as the ledger stood at the
//! answer's point, from `names`), and every figure is the answer's own — nothing is recomputed here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{PeriodId, Timestamp, UnitCode};
use crate::projection::{AppealQueue, Horizontal, Ranking, RankingDiff, Standing, Vertical};
use crate::service::listings::RegisterPage;
use crate::service::queries::Answer;

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
