//! The horizontal comparison table (横向比较情况表) as a document: every ranked member of the group side
//! by side, one column each, each column the member's horizontal comparison (what
//! `/v1/comparisons/horizontal` answers for it) — rank, tier, score, the gaps to the leader and to the
//! next tier, what it lost in all and on each indicator anyone lost points on — and as a spreadsheet
//! with the same rows and columns (`tabular::answers::horizontal_table`).

use crate::domain::Points;
use crate::projection::Horizontal;
use crate::service::queries::{Answer, HorizontalTable, Reader};
use crate::site::documents::templates::{TableColumn, TableRow, TableView};
use crate::site::documents::{indicator_names, may_read_members, named, names, units_at, Kind, Resolved};
use crate::site::request::Refusal;
use crate::site::text::Text;
use crate::site::SiteState;
use crate::tabular::{answers, Lang, Workbook};

/// The table the service gives for the question, once every member has been judged readable on its
/// own (the rule of `/v1/comparisons/horizontal`).
pub(crate) fn read(site: &SiteState, reader: &Reader, resolved: &Resolved) -> Result<Answer<HorizontalTable>, Refusal> {
    let answer = site.app.read_models.horizontal_table(&resolved.scope(), resolved.period, resolved.view())?;
    let ranking = &answer.value.ranking;
    may_read_members(site, reader, ranking.standings.iter().map(|standing| &standing.unit).chain(&ranking.unranked))?;
    Ok(answer)
}

pub(crate) fn view(site: &SiteState, reader: &Reader, resolved: &Resolved, t: &Text) -> Result<TableView, Refusal> {
    let words = t.documents;
    let answer = read(site, reader, resolved)?;
    let seq = answer.as_of_seq;
    let units = units_at(site, seq)?;
    let indicators = indicator_names(site, resolved.scheme(), seq)?;
    let table = &answer.value;
    let comparisons = &table.comparisons;
    let cells = |cell: &dyn Fn(&Horizontal) -> String| comparisons.iter().map(cell).collect::<Vec<String>>();
    let figure = |key: &str, label: &str, strong: bool, cells: Vec<String>| TableRow {
        key: key.to_owned(),
        label: label.to_owned(),
        code: String::new(),
        strong,
        cells,
    };
    let mut rows = vec![
        figure("rank", t.rank, true, cells(&|c| c.standing.rank.to_string())),
        figure("tier", t.tier, false, cells(&|c| format!("{}{}{}", t.tier_n.0, c.standing.tier, t.tier_n.1))),
        figure("final_score", t.final_score, true, cells(&|c| c.standing.final_score.to_string())),
        figure("gap_to_leader", t.gap_to_leader, false, cells(&|c| c.gap_to_leader.to_string())),
        figure("gap_to_next_tier", t.gap_to_next_tier, false, cells(&|c| c.gap_to_next_tier.to_string())),
        figure("lost", t.lost_total, true, cells(&|c| c.lost.to_string())),
    ];
    if comparisons.iter().any(|c| c.standing.veto) {
        let vetoes = cells(&|c| if c.standing.veto { t.veto.to_owned() } else { String::new() });
        rows.insert(3, figure("veto", t.veto, false, vetoes));
    }
    for code in answers::table_indicators(table) {
        rows.push(TableRow {
            key: format!("indicator:{code}"),
            label: indicators.get(&code).cloned().unwrap_or_default(),
            code: code.to_string(),
            strong: false,
            cells: cells(&|c| c.lost_by_indicator.get(&code).map(ToString::to_string).unwrap_or_default()),
        });
    }
    if comparisons.iter().any(|c| c.floor_absorbed != Points::ZERO) {
        rows.push(figure("floor_absorbed", words.floor, false, cells(&|c| c.floor_absorbed.to_string())));
    }
    let ranking = &table.ranking;
    Ok(TableView {
        seq,
        head: resolved.head(site, t, Kind::Table, &answer, &ranking.provisional_periods, ranking.unassessed_indicators),
        columns: comparisons
            .iter()
            .map(|c| TableColumn {
                unit: c.unit.to_string(),
                name: units.get(&c.unit).map(|listing| listing.name.clone()).unwrap_or_else(|| c.standing.name.clone()),
                county: c.standing.parent.as_ref().filter(|_| ranking.group.function_code.is_some()).map(|county| {
                    units.get(county).map(|listing| listing.name.clone()).unwrap_or_else(|| county.to_string())
                }),
            })
            .collect(),
        rows,
        unranked: ranking.unranked.iter().map(|unit| named(&units, unit)).collect(),
    })
}

/// The table as a spreadsheet: the same answer, through `tabular`.
pub(crate) fn workbook(
    site: &SiteState,
    reader: &Reader,
    resolved: &Resolved,
    lang: Lang,
) -> Result<Workbook, Refusal> {
    let answer = read(site, reader, resolved)?;
    let units = units_at(site, answer.as_of_seq)?;
    let indicators = indicator_names(site, resolved.scheme(), answer.as_of_seq)?;
    Ok(answers::horizontal_table(&answer, &indicators, &names(&units), lang))
}
