//! The web site's documents (文书, issue 12): the bulletin (通报), the horizontal comparison table
//! (横向比较情况表) and the analysis report (分析报告). Through the router (`oneshot`): each document's
//! figures against the API's answers to the same question (`/v1/bulletin`, `/v1/comparisons/horizontal`
//! for every member, `/v1/rankings`, `/v1/indicator-load`), at the latest point and as of a date; the
//! XLSX and CSV downloads parsed against the same answers; the footer against `/v1/head`,
//! `/v1/events` and `/v1/checkpoint`; refusals of a token scoped elsewhere (403, as the API refuses);
//! the security headers, the navigation, the overview's links, the print rules and the absence of
//! inline script. In headless Chromium (the browser of `site.rs`): each document opened from the
//! navigation, leaving `target/screenshots/site_bulletin.png`, `site_horizontal_table.png` and
//! `site_analysis.png`, and the bulletin printed to A4 through WebDriver's print endpoint, leaving
//! `target/screenshots/site_bulletin.pdf`, whose pages and text are read back; and each document laid
//! out for print at the width A4 leaves between its margins (upright, or on its side for the table),
//! every table and chart within it.

use std::collections::BTreeMap;
use std::io::Cursor;

use axum::http::{header, StatusCode};
use calamine::{Data, Reader, Xlsx};
use kpi_ledger::site::text::ZH;
use serde_json::{json, Value};

use crate::site::{
    assert_no_inline_script, call, cell, figure, get, links, page, rows, session, unescape, Browser, Routed, Site,
};

const BULLETIN: &str = "/documents/bulletin?scheme=YS-2017&period=2017-06";
const TABLE: &str = "/documents/horizontal?scheme=YS-2017&period=2017-06";
const ANALYSIS: &str = "/documents/analysis?scheme=YS-2017&period=2017-06";
const API_BULLETIN: &str = "/v1/bulletin?scheme=YS-2017&period=2017-06";

// ---------------------------------------------------------------------------------------------------
// Reading a page.

/// The part of the page inside the element whose start tag carries `marker` (`id="movement"`), up to
/// the next `</section>` or `</table>` — enough for the tests' lookups.
fn part<'p>(page: &'p str, marker: &str, end: &str) -> &'p str {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker} on the page"));
    let rest = &page[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Every cell of `row` marked `data-unit="…"`, by unit.
fn unit_cells(row: &str) -> BTreeMap<String, String> {
    row.match_indices("data-unit=\"")
        .map(|(at, marker)| {
            let rest = &row[at + marker.len()..];
            let unit = rest.split('"').next().unwrap().to_owned();
            let value = rest.split_once('>').unwrap().1.split('<').next().unwrap().trim();
            (unit, unescape(value))
        })
        .collect()
}

/// The value of the first `attribute="…"` in `text`.
fn attribute(text: &str, attribute: &str) -> String {
    let marker = format!("{attribute}=\"");
    let at = text.find(&marker).unwrap_or_else(|| panic!("no {attribute} on the page")) + marker.len();
    unescape(text[at..].split('"').next().unwrap())
}

/// Points as the pages write them (`92.60`, `-1.50`), from the API's hundredths.
fn points(value: &Value) -> String {
    let hundredths = value.as_i64().unwrap_or_else(|| panic!("points are whole hundredths: {value}"));
    let sign = if hundredths < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", hundredths.abs() / 100, hundredths.abs() % 100)
}

/// A change as the pages write it (`+1.50`, `-2`, `0`), blank for none.
fn signed(value: &Value, as_points: bool) -> String {
    if value.is_null() {
        return String::new();
    }
    let number = value.as_i64().unwrap();
    let text = if as_points { points(value) } else { number.to_string() };
    if number > 0 {
        format!("+{text}")
    } else {
        text
    }
}

// ---------------------------------------------------------------------------------------------------
// The bulletin.

/// The bulletin page against `/v1/bulletin` for the same question: every row, every member's losses,
/// the repeat problems and the proposals.
fn assert_bulletin_matches(path: &str, shown: &str, bulletin: &Value) {
    let entries = bulletin["entries"].as_array().unwrap();
    let results = part(shown, "id=\"bulletin-results\"", "</table>");
    let result_rows = rows(results, "data-unit");
    assert_eq!(result_rows.len(), entries.len(), "{path}: one row per ranked member");
    for ((unit, row), entry) in result_rows.iter().zip(entries) {
        let standing = &entry["standing"];
        assert_eq!(unit, standing["unit"].as_str().unwrap(), "{path}: in the bulletin's order");
        assert_eq!(cell(row, "data-rank"), standing["rank"].to_string(), "{path} {unit}");
        assert_eq!(cell(row, "data-score"), points(&standing["final_score"]), "{path} {unit}");
        assert_eq!(attribute(row, "data-tier"), standing["tier"].to_string(), "{path} {unit}");
        assert_eq!(cell(row, "data-lost"), points(&entry["lost"]), "{path} {unit}");
        assert_eq!(cell(row, "data-score-change"), signed(&entry["score_change"], true), "{path} {unit}");
        assert_eq!(cell(row, "data-rank-change"), signed(&entry["rank_change"], false), "{path} {unit}");
        assert_eq!(cell(row, "data-tier-change"), signed(&entry["tier_change"], false), "{path} {unit}");
    }
    // Every member that lost points, with each loss's amount and reason, in the bulletin's order.
    let losing: Vec<&Value> = entries.iter().filter(|entry| !entry["losses"].as_array().unwrap().is_empty()).collect();
    let members: Vec<(usize, &str)> = shown.match_indices("data-member=\"").collect();
    assert_eq!(members.len(), losing.len(), "{path}: a block per member that lost points");
    let text = unescape(shown);
    for ((at, marker), entry) in members.iter().zip(&losing) {
        let block = &shown[at + marker.len()..];
        let block = &block[..block.find("</table>").unwrap()];
        assert!(block.starts_with(entry["standing"]["unit"].as_str().unwrap()), "{path}: {block}");
        assert_eq!(cell(block, "data-member-lost"), points(&entry["lost"]), "{path}");
        let amounts: Vec<String> = rows(block, "data-loss-amount").into_iter().map(|(amount, _)| amount).collect();
        let expected: Vec<String> = entry["losses"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|loss| {
                std::iter::once(points(&loss["amount"]))
                    .chain(loss["city_losses"].as_array().into_iter().flatten().map(|city| points(&city["amount"])))
            })
            .collect();
        assert_eq!(amounts, expected, "{path}: the losses of {}", entry["standing"]["unit"]);
        for loss in entry["losses"].as_array().unwrap() {
            assert!(text.contains(loss["reason"].as_str().unwrap()), "{path}: the reason of {loss}");
        }
    }
    // The repeat problems and the proposals.
    let repeats: Vec<String> = rows(shown, "data-repeat").into_iter().map(|(key, _)| key).collect();
    let expected: Vec<String> = entries
        .iter()
        .flat_map(|entry| entry["repeat_problems"].as_array().unwrap().iter())
        .map(|problem| {
            format!("{}:{}:{}", problem["unit"], problem["period"], problem["problem_category"]).replace('"', "")
        })
        .collect();
    assert_eq!(repeats, expected, "{path}: the repeat problems");
    for (key, list) in [("praise", &bulletin["praise"]), ("criticism", &bulletin["criticism"])] {
        let expected: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["unit"].as_str().unwrap()).collect();
        let shown_units: Vec<String> = match shown.find(&format!("data-proposals=\"{key}\"")) {
            None => {
                assert!(shown.contains(&format!("data-proposal-empty=\"{key}\"")), "{path}: {key} says none");
                Vec::new()
            }
            Some(at) => {
                let list = &shown[at..shown[at..].find("</ul>").unwrap() + at];
                list.match_indices("<li data-unit=\"")
                    .map(|(at, marker)| list[at + marker.len()..].split('"').next().unwrap().to_owned())
                    .collect()
            }
        };
        assert_eq!(shown_units, expected, "{path}: {key}");
    }
    match bulletin["previous_period"].as_str() {
        Some(previous) => assert_eq!(figure(shown, "previous_period"), previous, "{path}"),
        None => assert!(shown.contains(ZH.documents.no_previous), "{path}"),
    }
}

#[tokio::test]
async fn site_bulletin_shows_the_apis_bulletin() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    let (status, _, shown) = page(&api, &cookie, BULLETIN).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(shown.contains(&format!("<h1 class=\"document-title\">{}</h1>", ZH.documents.bulletin_title)));
    let (status, bulletin) = api.api.get("auditor", API_BULLETIN).await;
    assert_eq!(status, StatusCode::OK, "{bulletin}");
    assert_eq!(bulletin["entries"].as_array().unwrap().len(), 12, "the twelve counties");
    assert!(!bulletin["criticism"].as_array().unwrap().is_empty(), "June criticises YS07: {bulletin}");
    assert_bulletin_matches(BULLETIN, &shown, &bulletin);
    // The half-year report's deduction, with its reason, and YS07's criticism with its reasons.
    assert!(unescape(&shown).contains("半年工作报告以请示文种报送"), "the article's deduction");
    assert!(unescape(&shown).contains("末位等次（第3等次，第12名）"), "the criticism says why");

    // As of the day June was published, and a group of sections, and a roll-up: the API's answers too.
    for (path, api_path) in [
        (format!("{BULLETIN}&as_of=2017-07-12"), format!("{API_BULLETIN}&as_of=2017-07-12")),
        (
            "/documents/bulletin?scheme=YS-2017&group=ZG&period=2017-06".to_owned(),
            "/v1/bulletin?scheme=YS-2017&function_code=ZG&period=2017-06".to_owned(),
        ),
        (
            "/documents/bulletin?scheme=YS-2017&period=2017-Q2".to_owned(),
            "/v1/bulletin?scheme=YS-2017&period=2017-Q2".to_owned(),
        ),
    ] {
        let (status, _, shown) = page(&api, &cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {shown}");
        let (_, bulletin) = api.api.get("auditor", &api_path).await;
        assert_bulletin_matches(&path, &shown, &bulletin);
        assert!(shown.contains(&format!("第 {} 号事件", bulletin["as_of_seq"])), "{path}: where it stands");
    }
}

// ---------------------------------------------------------------------------------------------------
// The horizontal comparison table.

#[tokio::test]
async fn site_horizontal_table_sets_every_members_comparison_side_by_side() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    for (path, api_query) in [
        (TABLE.to_owned(), "period=2017-06".to_owned()),
        (format!("{TABLE}&as_of=2017-07-12"), "period=2017-06&as_of=2017-07-12".to_owned()),
        ("/documents/horizontal?scheme=YS-2017&group=ZGU&period=2017-06".to_owned(), "period=2017-06".to_owned()),
    ] {
        let (status, _, shown) = page(&api, &cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {shown}");
        assert!(shown.contains(&format!("<h1 class=\"document-title\">{}</h1>", ZH.documents.table_title)));
        let table = part(&shown, "id=\"horizontal-table\"", "</table>");
        let columns: Vec<String> = table
            .match_indices("data-column=\"")
            .map(|(at, marker)| table[at + marker.len()..].split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(columns.len(), 12, "{path}: every member side by side");
        let rows: BTreeMap<String, BTreeMap<String, String>> =
            rows(table, "data-row").into_iter().map(|(key, row)| (key, unit_cells(row))).collect();
        let mut indicators: Vec<String> = Vec::new();
        for unit in &columns {
            let (status, comparison) =
                api.api.get("auditor", &format!("/v1/comparisons/horizontal?unit={unit}&{api_query}")).await;
            assert_eq!(status, StatusCode::OK, "{unit}: {comparison}");
            let at = |key: &str| rows[key][unit].clone();
            assert_eq!(at("rank"), comparison["standing"]["rank"].to_string(), "{path} {unit}");
            assert_eq!(
                at("tier"),
                format!("{}{}{}", ZH.tier_n.0, comparison["standing"]["tier"], ZH.tier_n.1),
                "{path} {unit}"
            );
            assert_eq!(at("final_score"), points(&comparison["standing"]["final_score"]), "{path} {unit}");
            assert_eq!(at("gap_to_leader"), points(&comparison["gap_to_leader"]), "{path} {unit}");
            assert_eq!(at("gap_to_next_tier"), points(&comparison["gap_to_next_tier"]), "{path} {unit}");
            assert_eq!(at("lost"), points(&comparison["lost"]), "{path} {unit}");
            for (code, lost) in comparison["lost_by_indicator"].as_object().unwrap() {
                assert_eq!(rows[&format!("indicator:{code}")][unit], points(lost), "{path} {unit} {code}");
                indicators.push(code.clone());
            }
            // An indicator the member lost nothing on is blank in its column.
            for (key, cells) in rows.iter().filter(|(key, _)| key.starts_with("indicator:")) {
                let code = &key["indicator:".len()..];
                if comparison["lost_by_indicator"].get(code).is_none() {
                    assert_eq!(cells[unit], "", "{path} {unit} {code}");
                }
            }
        }
        indicators.sort();
        indicators.dedup();
        let shown_indicators: Vec<String> =
            rows.keys().filter_map(|key| key.strip_prefix("indicator:")).map(str::to_owned).collect();
        assert_eq!(shown_indicators, indicators, "{path}: a row for every indicator anyone lost points on");
        if path == TABLE {
            assert!(!indicators.is_empty(), "YS07 lost points on indicators in June");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The analysis report.

#[tokio::test]
async fn site_analysis_report_adds_up_the_apis_answers() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    let (status, _, shown) = page(&api, &cookie, ANALYSIS).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(shown.contains(&format!("<h1 class=\"document-title\">{}</h1>", ZH.documents.analysis_title)));
    let (_, bulletin) = api.api.get("auditor", API_BULLETIN).await;
    let entries = bulletin["entries"].as_array().unwrap();

    // Ranking movement: the bulletin's changes beside May's ranking.
    assert_eq!(bulletin["previous_period"], json!("2017-05"));
    let (_, may) = api.api.get("auditor", "/v1/rankings?scheme=YS-2017&period=2017-05").await;
    let may: BTreeMap<&str, &Value> =
        may["standings"].as_array().unwrap().iter().map(|s| (s["unit"].as_str().unwrap(), s)).collect();
    let movement = rows(part(&shown, "id=\"movement-table\"", "</table>"), "data-unit");
    assert_eq!(movement.len(), entries.len());
    for ((unit, row), entry) in movement.iter().zip(entries) {
        assert_eq!(unit, entry["standing"]["unit"].as_str().unwrap());
        assert_eq!(cell(row, "data-rank"), entry["standing"]["rank"].to_string(), "{unit}");
        assert_eq!(cell(row, "data-previous-rank"), may[unit.as_str()]["rank"].to_string(), "{unit}");
        assert_eq!(cell(row, "data-previous-score"), points(&may[unit.as_str()]["final_score"]), "{unit}");
        assert_eq!(cell(row, "data-score-change"), signed(&entry["score_change"], true), "{unit}");
        let direction = match entry["rank_change"].as_i64() {
            None => "none",
            Some(change) if change < 0 => "up",
            Some(change) if change > 0 => "down",
            Some(_) => "same",
        };
        assert_eq!(attribute(row, "data-direction"), direction, "{unit}");
    }

    // Losses by problem category: the members' comparisons added up; the pie draws the same.
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    for entry in entries {
        let unit = entry["standing"]["unit"].as_str().unwrap();
        let (_, comparison) =
            api.api.get("auditor", &format!("/v1/comparisons/horizontal?unit={unit}&period=2017-06")).await;
        for (category, lost) in comparison["lost_by_category"].as_object().unwrap() {
            *by_category.entry(category.clone()).or_default() += lost.as_i64().unwrap();
        }
    }
    by_category.retain(|_, lost| *lost != 0);
    assert!(by_category.len() >= 2, "June's losses fall in several categories: {by_category:?}");
    let categories = part(&shown, "id=\"category-table\"", "</table>");
    let shown_categories: BTreeMap<String, String> = rows(categories, "data-key")
        .into_iter()
        .filter(|(key, _)| key != "total")
        .map(|(key, row)| (key, cell(row, "data-points")))
        .collect();
    let expected: BTreeMap<String, String> =
        by_category.iter().map(|(category, lost)| (category.clone(), points(&json!(lost)))).collect();
    assert_eq!(shown_categories, expected, "the categories of the members' comparisons, added up");
    let total: i64 = by_category.values().sum();
    let (_, total_row) = rows(categories, "data-key").into_iter().find(|(key, _)| key == "total").unwrap();
    assert_eq!(cell(total_row, "data-points"), points(&json!(total)));
    let lost: i64 = entries.iter().map(|entry| entry["lost"].as_i64().unwrap()).sum();
    assert_eq!(total, lost, "the categories add up to what the bulletin says was lost");
    let pie: Value = serde_json::from_str(&attribute(&shown, "data-pie")).unwrap();
    let pie_sum: f64 = pie["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((pie_sum - total as f64 / 100.0).abs() < 1e-9, "the pie draws the table: {pie}");

    // Losses by section: each function's sections, from that function's bulletin.
    let (_, schemes) = api.api.get("auditor", "/v1/schemes").await;
    let functions: Vec<String> = schemes["schemes"][0]["peer_groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|group| group["function_code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(functions.len(), 6);
    let sections = part(&shown, "id=\"section-table\"", "</table>");
    let shown_sections: BTreeMap<String, String> = rows(sections, "data-key")
        .into_iter()
        .filter(|(key, _)| key != "total")
        .map(|(key, row)| (key, cell(row, "data-points")))
        .collect();
    let mut expected = BTreeMap::new();
    for function in &functions {
        let (_, group) = api
            .api
            .get("auditor", &format!("/v1/bulletin?scheme=YS-2017&function_code={function}&period=2017-06"))
            .await;
        let lost: i64 = group["entries"].as_array().unwrap().iter().map(|entry| entry["lost"].as_i64().unwrap()).sum();
        expected.insert(function.clone(), points(&json!(lost)));
    }
    assert_eq!(shown_sections, expected, "each function's sections' losses, from its bulletin");
    assert!(expected.values().any(|lost| lost != "0.00"), "some section lost points in June");
    let bars: Value = serde_json::from_str(&attribute(&shown, "data-bars")).unwrap();
    assert_eq!(bars["labels"].as_array().unwrap().len(), expected.values().filter(|lost| *lost != "0.00").count());

    // Repeat problems, as the bulletin lists them.
    let repeats: Vec<String> =
        rows(part(&shown, "id=\"repeats\"", "</section>"), "data-repeat").into_iter().map(|(key, _)| key).collect();
    assert_eq!(repeats, vec!["YS07:2017-06:registration_data_quality".to_owned()]);

    // Indicators per section and year: every member's load, averaged over a function's sections.
    let mut loads: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
    for entry in entries {
        let unit = entry["standing"]["unit"].as_str().unwrap();
        let (_, load) = api.api.get("auditor", &format!("/v1/indicator-load?unit={unit}")).await;
        for row in load["indicator_load"].as_array().unwrap() {
            let key = (row["function_code"].as_str().unwrap().to_owned(), row["year"].as_i64().unwrap());
            let (indicators, sections) = loads.entry(key).or_default();
            *indicators += row["indicators"].as_i64().unwrap();
            *sections += 1;
        }
    }
    assert!(!loads.is_empty());
    let table = part(&shown, "id=\"load-table\"", "</table>");
    for ((function, year), (indicators, sections)) in &loads {
        let (_, row) = rows(table, "data-key").into_iter().find(|(key, _)| key == function).unwrap();
        let at = row.find(&format!("data-year=\"{year}\">")).unwrap();
        let value = row[at..].split_once('>').unwrap().1.split('<').next().unwrap();
        let average = match indicators % sections {
            0 => (indicators / sections).to_string(),
            _ => format!("{:.1}", *indicators as f64 / *sections as f64),
        };
        assert_eq!(value, average, "{function} {year}: the average over the counties' sections");
    }
}

// ---------------------------------------------------------------------------------------------------
// The downloads.

fn xlsx_sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<Data>>)> {
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = workbook.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            (name, range.rows().map(<[Data]>::to_vec).collect())
        })
        .collect()
}

/// A cell's points, in hundredths (XLSX holds them as numbers with two decimals).
fn hundredths(cell: &Data) -> Option<i64> {
    match cell {
        Data::Float(value) => Some((value * 100.0).round() as i64),
        Data::Int(value) => Some(value * 100),
        Data::Empty => None,
        other => panic!("not points: {other:?}"),
    }
}

#[tokio::test]
async fn site_bulletin_and_table_download_as_xlsx_matching_the_api() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    let (_, _, shown) = page(&api, &cookie, BULLETIN).await;
    let link = links(&shown, "/downloads/bulletin?").into_iter().find(|link| link.ends_with("format=xlsx")).unwrap();
    let (status, headers, bytes) = call(&api, get(&link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"), "{headers:?}");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains("bulletin-YS-2017-2017-06.xlsx"), "{disposition}");
    let sheets = xlsx_sheets(bytes);
    let (_, bulletin) = api.api.get("auditor", API_BULLETIN).await;
    let entries = bulletin["entries"].as_array().unwrap();
    let (name, results) = &sheets[0];
    assert_eq!(name, "通报");
    let header: Vec<String> = results[0].iter().map(ToString::to_string).collect();
    let column = |label: &str| header.iter().position(|h| h == label).unwrap_or_else(|| panic!("{label}: {header:?}"));
    assert_eq!(results.len() - 1, entries.len());
    for (row, entry) in results[1..].iter().zip(entries) {
        let standing = &entry["standing"];
        assert_eq!(row[column("单位代码")].to_string(), standing["unit"].as_str().unwrap());
        assert_eq!(row[column("排名")], Data::Float(standing["rank"].as_f64().unwrap()));
        assert_eq!(row[column("等次")], Data::Float(standing["tier"].as_f64().unwrap()));
        assert_eq!(hundredths(&row[column("最终得分")]), standing["final_score"].as_i64());
        assert_eq!(hundredths(&row[column("失分")]), entry["lost"].as_i64());
        assert_eq!(hundredths(&row[column("得分变化")]), entry["score_change"].as_i64());
    }
    let (_, losses) = sheets.iter().find(|(name, _)| name == "失分明细").expect("the losses sheet");
    let api_losses: Vec<(String, i64)> = entries
        .iter()
        .flat_map(|entry| {
            entry["losses"].as_array().unwrap().iter().map(move |loss| {
                (entry["standing"]["unit"].as_str().unwrap().to_owned(), loss["amount"].as_i64().unwrap())
            })
        })
        .collect();
    let sheet_losses: Vec<(String, i64)> =
        losses[1..].iter().map(|row| (row[0].to_string(), hundredths(&row[5]).unwrap())).collect();
    assert_eq!(sheet_losses, api_losses);
    assert!(losses[1..].iter().any(|row| row[6].to_string().contains("半年工作报告")), "the reasons");
    let (_, proposals) = sheets.iter().find(|(name, _)| name == "表扬与批评").unwrap();
    let criticised: Vec<String> =
        proposals[1..].iter().filter(|row| row[0] == "批评").map(|row| row[1].to_string()).collect();
    let expected: Vec<&str> =
        bulletin["criticism"].as_array().unwrap().iter().map(|c| c["unit"].as_str().unwrap()).collect();
    assert_eq!(criticised, expected);
    let (_, about) = sheets.last().unwrap();
    assert_eq!(about[1][1], Data::Float(bulletin["as_of_seq"].as_f64().unwrap()), "where it stands: {about:?}");

    // The table: one column per member, the rows of the page.
    let (_, _, shown) = page(&api, &cookie, TABLE).await;
    let link = links(&shown, "/downloads/horizontal?").into_iter().find(|link| link.ends_with("format=xlsx")).unwrap();
    let (status, headers, bytes) = call(&api, get(&link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("horizontal-table-YS-2017-2017-06.xlsx"));
    let sheets = xlsx_sheets(bytes);
    let (name, table) = &sheets[0];
    assert_eq!(name, "横向比较情况表");
    assert_eq!(table[0].len(), 13, "the item and twelve members: {:?}", table[0]);
    let row_of = |label: &str| {
        table.iter().find(|row| row[0].to_string().starts_with(label)).unwrap_or_else(|| panic!("no row {label}"))
    };
    for (index, heading) in table[0].iter().enumerate().skip(1) {
        let unit = heading.to_string().split(' ').next().unwrap().to_owned();
        let (_, comparison) =
            api.api.get("auditor", &format!("/v1/comparisons/horizontal?unit={unit}&period=2017-06")).await;
        assert_eq!(row_of("排名")[index], Data::Float(comparison["standing"]["rank"].as_f64().unwrap()), "{unit}");
        assert_eq!(hundredths(&row_of("最终得分")[index]), comparison["standing"]["final_score"].as_i64(), "{unit}");
        assert_eq!(hundredths(&row_of("与第一名差距")[index]), comparison["gap_to_leader"].as_i64(), "{unit}");
        assert_eq!(hundredths(&row_of("失分合计")[index]), comparison["lost"].as_i64(), "{unit}");
        for (code, lost) in comparison["lost_by_indicator"].as_object().unwrap() {
            assert_eq!(hundredths(&row_of(code)[index]), lost.as_i64(), "{unit} {code}");
        }
    }
    // The page's indicator rows, as the sheet's.
    let shown_rows: Vec<String> = rows(&shown, "data-row")
        .into_iter()
        .filter_map(|(key, _)| key.strip_prefix("indicator:").map(str::to_owned))
        .collect();
    let sheet_rows: Vec<String> = table[8..]
        .iter()
        .map(|row| row[0].to_string().split(' ').next().unwrap().to_owned())
        .filter(|code| code.contains('-'))
        .collect();
    assert_eq!(sheet_rows, shown_rows);

    // As CSV: the main table; and nothing without a session, nor for a narrower reader.
    let csv_link = link.replace("format=xlsx", "format=csv");
    let (status, _, csv) = call(&api, get(&csv_link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("丙县国家税务局"), "{csv}");
    let (status, _, _) = call(&api, get(&link, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let narrow = session(&api, "auditor@YS07").await;
    for download in [link.clone(), link.replace("/downloads/horizontal", "/downloads/bulletin")] {
        let (status, _, _) = call(&api, get(&download, Some(&narrow))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{download}");
    }
}

// ---------------------------------------------------------------------------------------------------
// The footer.

#[tokio::test]
async fn site_documents_name_the_chain_position_and_checkpoint_they_were_read_at() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    let (_, head) = api.api.get("auditor", "/v1/head").await;
    for path in [BULLETIN, TABLE, ANALYSIS] {
        let (status, _, shown) = page(&api, &cookie, path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(figure(&shown, "footer_seq"), head["seq"].to_string(), "{path}: read at the head");
        assert_eq!(figure(&shown, "footer_hash"), head["hash"].as_str().unwrap(), "{path}");
        let (_, checkpoint) = api.api.get("auditor", "/v1/checkpoint").await;
        assert_eq!(figure(&shown, "footer_tree_size"), checkpoint["tree_size"].to_string(), "{path}");
        assert_eq!(figure(&shown, "footer_root"), checkpoint["root"].as_str().unwrap(), "{path}");
        assert!(shown.contains("class=\"document-footer\""), "{path}");
    }
    // As of a date: the event the answer stood at, and its hash; the checkpoint is the latest.
    let (_, bulletin) = api.api.get("auditor", &format!("{API_BULLETIN}&as_of=2017-07-12")).await;
    let seq = bulletin["as_of_seq"].as_u64().unwrap();
    assert!(seq < head["seq"].as_u64().unwrap(), "the story goes on after 2017-07-12");
    let (_, events) = api.api.get("auditor", &format!("/v1/events?from={seq}&limit=1")).await;
    let event = &events["events"][0];
    assert_eq!(event["seq"].as_u64(), Some(seq), "{events}");
    for path in [BULLETIN, TABLE, ANALYSIS] {
        let path = format!("{path}&as_of=2017-07-12");
        let (_, _, shown) = page(&api, &cookie, &path).await;
        assert_eq!(figure(&shown, "footer_seq"), seq.to_string(), "{path}");
        assert_eq!(figure(&shown, "footer_hash"), event["hash"].as_str().unwrap(), "{path}");
        let (_, checkpoint) = api.api.get("auditor", "/v1/checkpoint").await;
        assert_eq!(figure(&shown, "footer_tree_size"), checkpoint["tree_size"].to_string(), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Refusals.

#[tokio::test]
async fn site_documents_refuse_a_token_scoped_elsewhere() {
    let api = Routed::new().await;
    // YS07's auditor and office read YS07, not the city's groups: refused as /v1/bulletin refuses them.
    for key in ["auditor@YS07", "office@YS07", "office@YS08"] {
        let cookie = session(&api, key).await;
        let (status, problem) = api.api.get(key, API_BULLETIN).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}: {problem}");
        for path in [BULLETIN, TABLE, ANALYSIS, "/documents", "/documents/bulletin"] {
            let (status, _, refused) = page(&api, &cookie, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{key} {path}");
            assert!(refused.contains(ZH.forbidden_title) && refused.contains("outside the scope"), "{key} {path}");
            assert!(!refused.contains("data-figure=\"footer_seq\"") && !refused.contains("data-unit="), "{key} {path}");
        }
    }
    // A person reads only their own data.
    let cookie = session(&api, "person@YS07").await;
    for path in [BULLETIN, TABLE, ANALYSIS] {
        let (status, _, refused) = page(&api, &cookie, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.contains(ZH.forbidden_title));
    }
    // The overview links a group's documents only for a reader of them.
    let cookie = session(&api, "office@YS07").await;
    let (status, _, overview) = page(&api, &cookie, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(links(&overview, "/documents/").is_empty(), "YS07's office reads no document of the city's groups");
    let cookie = session(&api, "auditor").await;
    let (_, _, overview) = page(&api, &cookie, "/").await;
    let linked = links(&overview, "/documents/");
    assert_eq!(linked.len(), 3, "{linked:?}");
    for link in &linked {
        assert!(link.contains("scheme=YS-2017&group=units&period=2017-06"), "{link}");
        let (status, _, _) = page(&api, &cookie, link).await;
        assert_eq!(status, StatusCode::OK, "{link}");
    }
    // Something not there, something malformed.
    let (status, _, missing) = page(&api, &cookie, "/documents/bulletin?scheme=YS-2099&period=2099-06").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("YS-2099"));
    let (status, _, bad) = page(&api, &cookie, "/documents/horizontal?scheme=YS-2017&period=2017-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("period"));
    let (status, _, none) = page(&api, &cookie, "/documents/analysis?scheme=YS-2017&group=XX&period=2017-06").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{none}");
}

// ---------------------------------------------------------------------------------------------------
// Every document page.

#[tokio::test]
async fn site_documents_carry_the_policy_the_navigation_the_print_rules_and_no_inline_script() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    for path in ["/documents", BULLETIN, TABLE, ANALYSIS] {
        let (status, headers, shown) = page(&api, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], kpi_ledger::site::CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert_no_inline_script(path, &shown);
        assert!(
            shown.contains(&format!("<a href=\"/documents\" aria-current=\"page\">{}</a>", ZH.documents.nav)),
            "{path}: the bar links the documents, marked"
        );
        // Each document links the others with the same question, and is not printed with its tools.
        let mut documents = links(&shown, "/documents/");
        documents.sort();
        documents.dedup();
        assert_eq!(documents.len(), 3, "{path}: {documents:?}");
        assert!(documents.iter().all(|link| link.contains("scheme=YS-2017&group=units&period=")), "{documents:?}");
        if path != "/documents" {
            assert!(shown.contains("class=\"card no-print document-tools\""), "{path}");
            assert!(shown.contains("data-print"), "{path}: a print button");
            assert!(shown.contains("<article class=\"document"), "{path}");
        }
    }
    // Every other page links the documents from the bar.
    for path in ["/", "/register", "/audit"] {
        let (_, _, shown) = page(&api, &cookie, path).await;
        assert!(shown.contains(&format!("<a href=\"/documents\">{}</a>", ZH.documents.nav)), "{path}");
    }
    // The style sheet prints a document on A4 without the bar, numbering the pages, the footer on each.
    let (_, _, shown) = page(&api, &cookie, BULLETIN).await;
    let css_url = attribute(&shown, "rel=\"stylesheet\" href");
    let (status, _, css) = call(&api, get(&css_url, None)).await;
    assert_eq!(status, StatusCode::OK);
    let css = String::from_utf8(css).unwrap();
    let print = &css[css.find("@media print").expect("print rules")..];
    assert!(css.contains("@page { size: A4;") && css.contains("counter(page)"), "A4 with page numbers");
    assert!(print.contains("header.bar") && print.contains("display: none"), "no bar when printed");
    assert!(print.contains("footer.document-footer { position: fixed;"), "the footer on every page");
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

/// Opens `kind`'s document from the bar's 文书 and the index's link, as the city's auditor.
async fn open_document(browser: &Browser, site: &Site, title: &str) {
    browser.sign_in(&site.base, site.token("auditor")).await;
    browser.click_through("nav.site-nav a[href='/documents']").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1").await, ZH.documents.title);
    let link = format!(
        "return Array.from(document.querySelectorAll('#document-index dt a'))
            .filter(function (a) {{ return a.textContent === '{title}'; }}).length === 1"
    );
    assert_eq!(browser.js(&link).await, json!(true), "the index links {title}");
    let before = browser.client.current_url().await;
    browser
        .js(&format!(
            "Array.from(document.querySelectorAll('#document-index dt a'))
                .filter(function (a) {{ return a.textContent === '{title}'; }})[0].click(); return true;"
        ))
        .await;
    browser.wait_to_leave(&before).await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1.document-title").await, title);
    assert!(browser.text_of("#document-heading").await.contains("YS-2017"));
    let footer = browser.text_of("footer.document-footer").await;
    assert!(footer.contains(&site.api.head().to_string()), "the footer names the head: {footer}");
}

/// The size of the canvas ECharts drew into `holder`, once it is there.
async fn chart_size(browser: &Browser, holder: &str) -> Vec<f64> {
    let drawn = format!(
        "var c = document.querySelector('{holder} canvas'); return !!c && c.getBoundingClientRect().width > 0;"
    );
    browser.wait_for(&drawn, "the chart's drawing").await;
    let size = format!(
        "var r = document.querySelector('{holder} canvas').getBoundingClientRect(); return [r.width, r.height];"
    );
    browser.js(&size).await.as_array().unwrap().iter().map(|side| side.as_f64().unwrap()).collect()
}

#[tokio::test]
async fn site_bulletin_in_the_browser() {
    let Some(browser) = Browser::open("site_bulletin").await else { return };
    let site = Site::start(|_| {}).await;
    open_document(&browser, &site, ZH.documents.bulletin_title).await;
    let rows = browser.js("return document.querySelectorAll('#bulletin-results tbody tr').length").await;
    assert_eq!(rows, json!(12));
    let criticised = browser.js("return document.querySelector('[data-proposals=criticism]').textContent").await;
    assert!(criticised.as_str().unwrap().contains("丙县国家税务局"), "{criticised}");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

#[tokio::test]
async fn site_horizontal_table_in_the_browser() {
    let Some(browser) = Browser::open("site_horizontal_table").await else { return };
    let site = Site::start(|_| {}).await;
    open_document(&browser, &site, ZH.documents.table_title).await;
    let columns =
        browser.js("return document.querySelectorAll('#horizontal-table thead th[data-column]').length").await;
    assert_eq!(columns, json!(12));
    let own = browser.js("return document.querySelector('#horizontal-table th[data-column=YS07]').textContent").await;
    assert!(own.as_str().unwrap().contains("丙县国家税务局"), "{own}");
    // The sheet is landscape A4 wide, and the table fits inside its margins.
    let fits = browser
        .js("var d = document.getElementById('document'), t = document.getElementById('horizontal-table');
             var inner = d.getBoundingClientRect().right - parseFloat(getComputedStyle(d).paddingRight);
             return [d.getBoundingClientRect().width, t.getBoundingClientRect().right, inner];")
        .await;
    let (sheet, right, inner) = (fits[0].as_f64().unwrap(), fits[1].as_f64().unwrap(), fits[2].as_f64().unwrap());
    assert!(sheet > 1000.0 && right <= inner + 0.5, "sheet {sheet}: the table ends at {right}, the margin at {inner}");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

#[tokio::test]
async fn site_analysis_in_the_browser_draws_its_charts() {
    let Some(browser) = Browser::open("site_analysis").await else { return };
    let site = Site::start(|_| {}).await;
    open_document(&browser, &site, ZH.documents.analysis_title).await;
    for holder in ["#category-chart", "#section-chart"] {
        let size = chart_size(&browser, holder).await;
        assert!(size[0] > 300.0 && size[1] > 200.0, "{holder} is {size:?}");
    }
    let moved = browser.js("return document.querySelectorAll('#movement-table tbody tr').length").await;
    assert_eq!(moved, json!(12));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

/// The text a PDF shows, read back in the browser: every Flate stream inflated
/// (`DecompressionStream`), each font's ToUnicode map read, and the glyphs of every content stream's
/// text operators mapped through the map of the font selected for them.
const PDF_TEXT: &str = r#"
var bin = atob(PDF), bytes = new Uint8Array(bin.length);
for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
var latin = function (array) { var s = ''; for (var i = 0; i < array.length; i += 8192) { s += String.fromCharCode.apply(null, array.subarray(i, i + 8192)); } return s; };
var whole = latin(bytes), objects = {}, re = /(\d+) 0 obj\b/g, m;
while ((m = re.exec(whole))) {
  var start = m.index + m[0].length, end = whole.indexOf('endobj', start);
  var body = whole.slice(start, end), at = body.search(/stream\r?\n/), object = { dict: body, data: null };
  if (at >= 0 && body.lastIndexOf('endstream') > at) {
    var from = start + at + body.slice(at).match(/stream\r?\n/)[0].length;
    var length = /\/Length (\d+)(?! \d+ R)/.exec(body.slice(0, at));
    var to = length ? from + Number(length[1]) : whole.indexOf('endstream', from);
    object.dict = body.slice(0, at);
    object.data = bytes.subarray(from, to);
  }
  objects[m[1]] = object;
}
var inflate = async function (object) {
  if (!object || !object.data) { return ''; }
  if (!/FlateDecode/.test(object.dict)) { return latin(object.data); }
  try {
    var stream = new Blob([object.data]).stream().pipeThrough(new DecompressionStream('deflate'));
    return latin(new Uint8Array(await new Response(stream).arrayBuffer()));
  } catch (e) { return ''; }
};
var utf16 = function (hex) { var s = ''; for (var i = 0; i + 4 <= hex.length; i += 4) { s += String.fromCharCode(parseInt(hex.substr(i, 4), 16)); } return s; };
var cmaps = {};
for (var number in objects) {
  var tounicode = /\/ToUnicode (\d+) 0 R/.exec(objects[number].dict);
  if (!tounicode) { continue; }
  var cmap = await inflate(objects[tounicode[1]]), map = {}, block;
  var chars = /beginbfchar([\s\S]*?)endbfchar/g;
  while ((block = chars.exec(cmap))) {
    var pair = /<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g, p;
    while ((p = pair.exec(block[1]))) { map[parseInt(p[1], 16)] = utf16(p[2]); }
  }
  var ranges = /beginbfrange([\s\S]*?)endbfrange/g;
  while ((block = ranges.exec(cmap))) {
    var range = /<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])/g, r;
    while ((r = range.exec(block[1]))) {
      var lo = parseInt(r[1], 16), hi = parseInt(r[2], 16);
      if (r[3][0] === '<') {
        var base = parseInt(r[3].slice(1, -1), 16);
        for (var c = lo; c <= hi; c++) { map[c] = String.fromCharCode(base + c - lo); }
      } else {
        var list = r[3].match(/<([0-9A-Fa-f]+)>/g) || [];
        for (var k = 0; k < list.length; k++) { map[lo + k] = utf16(list[k].slice(1, -1)); }
      }
    }
  }
  cmaps[number] = { map: map, wide: /Type0/.test(objects[number].dict) };
}
var fontsOf = function (dict) {
  var fonts = {}, inline = /\/Font\s*<<([^>]*)>>/.exec(dict), ref = /\/Font (\d+) 0 R/.exec(dict);
  var list = inline ? inline[1] : (ref && objects[ref[1]] ? objects[ref[1]].dict : '');
  var entry = /\/([^\s\/<>\[\]]+)\s+(\d+) 0 R/g, e;
  while ((e = entry.exec(list))) { fonts[e[1]] = e[2]; }
  return fonts;
};
var text = '', pages = 0;
for (var number in objects) {
  var dict = objects[number].dict;
  if (!/\/Type\s*\/Page\b/.test(dict)) { continue; }
  pages++;
  var resources = /\/Resources (\d+) 0 R/.exec(dict);
  var fonts = fontsOf(resources && objects[resources[1]] ? objects[resources[1]].dict : dict);
  var contents = /\/Contents\s*(\[[^\]]*\]|\d+ 0 R)/.exec(dict), refs = contents ? contents[1].match(/(\d+) 0 R/g) : [];
  for (var j = 0; j < refs.length; j++) {
    var content = await inflate(objects[refs[j].split(' ')[0]]), font = null;
    var token = /\/([^\s\/<>\[\]]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\b(ET)\b/g, t;
    while ((t = token.exec(content))) {
      if (t[1]) { font = cmaps[fonts[t[1]]] || null; continue; }
      if (t[3]) { text += '\n'; continue; }
      if (!font) { continue; }
      var width = font.wide ? 4 : 2;
      for (var g = 0; g + width <= t[2].length; g += width) { text += font.map[parseInt(t[2].substr(g, width), 16)] || ''; }
    }
  }
}
return { pages: pages, text: text };
"#;

#[tokio::test]
async fn site_bulletin_prints_to_an_a4_pdf_with_its_title_and_footer() {
    let Some(browser) = Browser::open("site_bulletin_print").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("auditor")).await;
    browser.goto(&format!("{}{BULLETIN}", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.text_of("h1.document-title").await, ZH.documents.bulletin_title);
    let pdf = browser.client.print(21.0, 29.7).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let directory = target.join("screenshots");
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("site_bulletin.pdf"), &pdf).unwrap();

    // A4: every page's media box is 595 × 842 points (210 × 297 mm).
    let raw = String::from_utf8_lossy(&pdf);
    let boxes: Vec<&str> = raw.match_indices("/MediaBox").map(|(at, _)| raw[at..].split(']').next().unwrap()).collect();
    assert!(!boxes.is_empty(), "the pages have media boxes");
    for media in &boxes {
        let numbers: Vec<f64> = media
            .trim_start_matches("/MediaBox")
            .trim_start_matches([' ', '['])
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert!((numbers[2] - 595.0).abs() < 2.0 && (numbers[3] - 842.0).abs() < 2.0, "not A4: {media}");
    }

    // What the paper shows: the title, the table, the footer with the chain position on every page,
    // and nothing of the navigation or the pickers.
    let script = format!("var PDF = '{}';\nreturn (async function () {{ {PDF_TEXT} }})();", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&pdf)
    });
    let read = browser.js(&script).await;
    let pages = read["pages"].as_u64().unwrap();
    let text = read["text"].as_str().unwrap().to_owned();
    assert!(pages >= 1, "at least one page: {read}");
    assert_eq!(pages as usize, boxes.len(), "a media box per page");
    assert!(text.contains(ZH.documents.bulletin_title), "the Chinese title is on the paper: {text}");
    assert!(text.contains("丙县国家税务局"), "the table is on the paper");
    let head = site.api.head().to_string();
    let footers = text.matches(ZH.documents.footer_position.trim_end()).count();
    assert_eq!(footers as u64, pages, "the footer on every page: {text}");
    assert!(text.contains(&head), "the footer names the chain position {head}");
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(&format!("1/{pages}")), "the pages are numbered: {text}");
    for hidden in [ZH.nav_overview, ZH.documents.print_button, ZH.scheme_label] {
        assert!(!text.contains(hidden), "{hidden:?} is not printed: {text}");
    }
    browser.close().await;
}

/// Every table and chart of the document lies within the page's width: the page laid out `WIDTH`
/// CSS pixels wide (the root element's width, set through the CSSOM, which the policy allows), and
/// each one's right edge measured from the root's left.
const OVERFLOWING: &str = r#"
var root = document.documentElement;
root.style.width = WIDTH + 'px';
var left = root.getBoundingClientRect().left;
return Array.from(document.querySelectorAll('article.document table, article.document div.doc-chart'))
    .filter(function (e) { return e.getBoundingClientRect().right - left > WIDTH + 1; })
    .map(function (e) { return (e.className || e.tagName) + ' ends at ' + Math.round(e.getBoundingClientRect().right - left) + ' of ' + WIDTH; });
"#;

#[tokio::test]
async fn site_documents_fit_their_paper_when_printed() {
    let Some(browser) = Browser::open("site_documents_print_width").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("auditor")).await;
    // The width A4 leaves between the print style sheet's margins (15 mm each side), in CSS pixels:
    // 180 mm upright, 267 mm on its side (the horizontal table).
    let pixels = |millimetres: f64| (millimetres * 96.0 / 25.4).floor() as i64;
    for (path, millimetres) in [(BULLETIN, 180.0), (ANALYSIS, 180.0), (TABLE, 267.0)] {
        browser.goto(&format!("{}{path}", site.base)).await;
        browser.loaded().await;
        browser.client.emulate_media("print").await;
        let overflowing = browser.js(&OVERFLOWING.replace("WIDTH", &pixels(millimetres).to_string())).await;
        assert_eq!(overflowing, json!([]), "{path}: wider than the paper when printed");
        browser.client.emulate_media("screen").await;
    }
    browser.close().await;
}
