//! The web site's pages beyond the overview (issue 12): the unit page, the deduction register and the
//! audit page. Through the router (`oneshot`): each page's status, its figures against the API's
//! answer to the same question (horizontal and vertical comparisons, traces, the register, the head,
//! the checkpoint, a verification), the register's filters and pages, its downloads against the API's
//! CSV and XLSX, the checkpoint and export downloads against `/v1/checkpoint` and `/v1/export`,
//! refusals of what a token may not read (403) and what a narrower token sees instead, the security
//! headers, the navigation bar and the absence of inline script. In headless Chromium (the browser of
//! `site.rs`, sharing its helpers): one test per page, each leaving `target/screenshots/<test>.png`.

use std::io::Cursor;

use axum::http::{header, StatusCode};
use calamine::{Reader, Xlsx};
use kpi_ledger::site::text::ZH;
use serde_json::{json, Value};

use crate::http_tables::points_text;
use crate::site::{
    assert_no_inline_script, call, cell, figure, get, links, page, rows, session, unescape, Browser, Routed, Site,
};

// ---------------------------------------------------------------------------------------------------
// Reading a page.

/// Whether the page carries `data-figure="key"`.
fn has_figure(page: &str, key: &str) -> bool {
    page.contains(&format!("data-figure=\"{key}\""))
}

/// The value of the first `attribute="…"` on the page.
fn attribute(page: &str, attribute: &str) -> String {
    let marker = format!("{attribute}=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no {attribute} on the page")) + marker.len();
    unescape(page[at..].split('"').next().unwrap())
}

/// The `href` of the link marked `rel="…"`, if there is one.
fn rel_link(page: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    page.find(&marker).map(|at| unescape(page[at + marker.len()..].split('"').next().unwrap()))
}

/// The points of a JSON answer (hundredths) as the page writes them.
fn points(value: &Value) -> String {
    points_text(value)
}

// ---------------------------------------------------------------------------------------------------
// The unit page.

const JUNE_UNIT: &str = "/unit?unit=YS07&period=2017-06";

#[tokio::test]
async fn site_unit_page_sets_its_sections_against_the_same_sections_elsewhere() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (status, _, unit_page) = page(&api, &cookie, JUNE_UNIT).await;
    assert_eq!(status, StatusCode::OK);
    // YS07's sections, as /v1/units lists them.
    let (_, units) = api.api.get("office@YS07", "/v1/units").await;
    let mut sections: Vec<&str> = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|unit| unit["parent"] == json!("YS07") && unit["retired"] != json!(true))
        .map(|unit| unit["unit"].as_str().unwrap())
        .collect();
    sections.sort_unstable();
    let rows = rows(&unit_page, "data-section");
    let mut shown: Vec<&str> = rows.iter().map(|(section, _)| section.as_str()).collect();
    shown.sort_unstable();
    assert!(!sections.is_empty(), "YS07 has sections: {units}");
    assert_eq!(shown, sections, "every section of YS07, once");
    let mut ranked = 0;
    for (section, row) in &rows {
        let question = format!("/v1/comparisons/horizontal?unit={section}&scheme=YS-2017&period=2017-06");
        let (status, horizontal) = api.api.get("office@YS07", &question).await;
        if status == StatusCode::NOT_FOUND {
            assert!(row.contains(ZH.section_not_ranked), "{section}: not ranked, and said so");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{horizontal}");
        ranked += 1;
        assert_eq!(cell(row, "data-score"), points(&horizontal["standing"]["final_score"]), "{section}");
        assert_eq!(cell(row, "data-rank"), horizontal["standing"]["rank"].to_string(), "{section}");
        assert!(row.contains(&format!(" / {}", horizontal["peers"])), "{section}: of how many");
        assert_eq!(cell(row, "data-gap"), points(&horizontal["gap_to_leader"]), "{section}");
        assert_eq!(cell(row, "data-lost"), points(&horizontal["lost"]), "{section}");
        assert!(row.contains(&format!("href=\"/unit?unit={section}")), "{section}: links to its own page");
    }
    assert!(ranked > 0, "some section of YS07 is ranked in June");
    // A section's own page has no sections below it.
    let (_, _, section_page) = page(&api, &cookie, &format!("/unit?unit={}&period=2017-06", sections[0])).await;
    assert!(!section_page.contains("id=\"sections\""), "a section has no sections");
}

#[tokio::test]
async fn site_unit_page_shows_the_apis_comparison_trend_losses_and_repeat_problems() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (status, _, unit_page) = page(&api, &cookie, JUNE_UNIT).await;
    assert_eq!(status, StatusCode::OK, "{unit_page}");

    // Horizontal: the figures of /v1/comparisons/horizontal for the same question.
    let (status, horizontal) = api.api.get("office@YS07", "/v1/comparisons/horizontal?unit=YS07&period=2017-06").await;
    assert_eq!(status, StatusCode::OK, "{horizontal}");
    assert_eq!(figure(&unit_page, "final_score"), points(&horizontal["standing"]["final_score"]));
    assert_eq!(figure(&unit_page, "rank"), horizontal["standing"]["rank"].to_string());
    assert_eq!(figure(&unit_page, "tier"), format!("{}{}{}", ZH.tier_n.0, horizontal["standing"]["tier"], ZH.tier_n.1));
    assert_eq!(figure(&unit_page, "gap_to_leader"), points(&horizontal["gap_to_leader"]));
    assert_eq!(figure(&unit_page, "gap_to_next_tier"), points(&horizontal["gap_to_next_tier"]));
    assert_eq!(figure(&unit_page, "lost"), points(&horizontal["lost"]));
    assert_ne!(horizontal["gap_to_leader"], json!(0), "YS07 is not June's leader: {horizontal}");
    assert!(unit_page.contains(&format!("{}：", ZH.leader)), "the leader is named");

    // The peers' table is the comparison's ranking, in its order, YS07 marked as the page's own.
    let standings = horizontal["ranking"]["standings"].as_array().unwrap();
    let peers = rows(&unit_page, "data-unit");
    assert_eq!(peers.len(), standings.len(), "every peer, once");
    for ((unit, row), standing) in peers.iter().zip(standings) {
        assert_eq!(unit, standing["unit"].as_str().unwrap());
        assert_eq!(cell(row, "data-score"), points(&standing["final_score"]), "{unit}");
        assert_eq!(row.starts_with(" class=\"own\""), unit == "YS07", "{unit}: {row}");
    }

    // Vertical: the rows of /v1/comparisons/vertical over the scheme year, in the table and the chart.
    let (status, vertical) =
        api.api.get("office@YS07", "/v1/comparisons/vertical?unit=YS07&from=2017-01&to=2017-12").await;
    assert_eq!(status, StatusCode::OK, "{vertical}");
    let api_rows = vertical["rows"].as_array().unwrap();
    let trend = rows(&unit_page, "data-period");
    assert_eq!(trend.len(), api_rows.len(), "one row per opened month");
    assert!(trend.len() >= 6, "January to June at least: {}", trend.len());
    for ((period, row), api_row) in trend.iter().zip(api_rows) {
        assert_eq!(period, api_row["period"].as_str().unwrap());
        let score = if api_row["final_score"].is_null() { String::new() } else { points(&api_row["final_score"]) };
        assert_eq!(cell(row, "data-score"), score, "{period}");
        let rank = if api_row["rank"].is_null() { String::new() } else { api_row["rank"].to_string() };
        assert_eq!(cell(row, "data-rank"), rank, "{period}");
    }
    let chart: Value = serde_json::from_str(&attribute(&unit_page, "data-trend")).expect("the chart's data is JSON");
    let chart_ranks: Vec<Value> = api_rows.iter().map(|row| row["rank"].clone()).collect();
    assert_eq!(chart["ranks"], json!(chart_ranks), "the chart draws the API's ranks");
    assert_eq!(chart["labels"].as_array().unwrap().len(), api_rows.len());

    // Lost points by indicator: the comparison's own figures, each with the lines behind it.
    let lost = horizontal["lost_by_indicator"].as_object().unwrap();
    assert!(!lost.is_empty(), "YS07 lost points in June: {horizontal}");
    let shown: Vec<(String, String)> = page_indicators(&unit_page);
    let expected: Vec<(String, String)> =
        lost.iter().map(|(code, points)| (code.clone(), points_text(points))).collect();
    assert_eq!(shown, expected);
    assert!(unit_page.contains("ZG-04") && unit_page.contains(ZH.kind_deduction), "the half-year report's deduction");
    let (_, traces) = api.api.get("office@YS07", "/v1/traces?unit=YS07&period=2017-06").await;
    let reason = traces["traces"][0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|indicator| indicator["indicator"] == "ZG-04")
        .map(|indicator| indicator["lines"][0]["reason"].as_str().unwrap().to_owned())
        .expect("a ZG-04 line in June's trace");
    assert!(unescape(&unit_page).contains(&reason), "the deduction's reason is shown: {reason}");

    // Repeat problems: those the vertical comparison flags in June.
    let june = api_rows.iter().find(|row| row["period"] == "2017-06").unwrap();
    let flagged: Vec<String> = june["repeat_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem_category"].as_str().unwrap().to_owned())
        .collect();
    assert!(!flagged.is_empty(), "June's registration deduction is a repeat problem: {june}");
    let shown: Vec<String> = rows(&unit_page, "data-category").into_iter().map(|(category, _)| category).collect();
    assert_eq!(shown, flagged);

    // Another period is another answer: March has no repeat problem and another score.
    let (status, _, march) = page(&api, &cookie, "/unit?unit=YS07&period=2017-03").await;
    assert_eq!(status, StatusCode::OK);
    let (_, march_api) = api.api.get("office@YS07", "/v1/comparisons/horizontal?unit=YS07&period=2017-03").await;
    assert_eq!(figure(&march, "final_score"), points(&march_api["standing"]["final_score"]));
    assert!(march.contains(ZH.no_repeats), "no repeat problem in March");
}

/// The indicators of the lost points table with their lost points, in order.
fn page_indicators(page: &str) -> Vec<(String, String)> {
    let marker = "data-indicator=\"";
    page.match_indices(marker)
        .map(|(at, _)| {
            let code = page[at + marker.len()..].split('"').next().unwrap().to_owned();
            (code, cell(&page[at..], "data-lost"))
        })
        .collect()
}

#[tokio::test]
async fn site_overview_links_the_units_the_reader_may_read_to_their_pages() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (_, _, overview) = page(&api, &cookie, "/").await;
    let linked = links(&overview, "/unit?");
    assert_eq!(linked.len(), 1, "YS07's office reads YS07 alone among the counties: {linked:?}");
    assert!(linked[0].starts_with("/unit?unit=YS07&scheme=YS-2017&period="), "{}", linked[0]);
    let (status, _, unit_page) = page(&api, &cookie, &linked[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(has_figure(&unit_page, "final_score"));

    // The city's assessor reads every county: every name is a link.
    let cookie = session(&api, "assessor").await;
    let (_, _, overview) = page(&api, &cookie, "/").await;
    assert_eq!(links(&overview, "/unit?").len(), 12, "the twelve counties");
}

#[tokio::test]
async fn site_unit_page_refuses_what_the_token_may_not_read() {
    let api = Routed::new().await;
    // A county of the same peer group reads the ranking table, not YS07's own facts.
    let cookie = session(&api, "office@YS08").await;
    let (status, _, refused) = page(&api, &cookie, JUNE_UNIT).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains(ZH.forbidden_title) && refused.contains("outside the scope"), "{refused}");
    assert!(!has_figure(&refused, "final_score") && !refused.contains("data-unit="), "nothing of YS07's is shown");
    let (status, problem) = api.api.get("office@YS08", "/v1/comparisons/horizontal?unit=YS07&period=2017-06").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "as the API refuses it: {problem}");
    // Its own unit it reads, by default; the peers' table shows YS08 as its own, YS07 without a link.
    let (status, _, own) = page(&api, &cookie, "/unit?period=2017-06").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert!(own.contains("data-unit=\"YS08\"") && own.contains(" class=\"own\" data-unit=\"YS08\""));
    // Its links lead to its own sections only: none to YS07 or another unit YS08's office may not read.
    let linked = links(&own, "/unit?");
    assert!(!linked.is_empty() && linked.iter().all(|link| link.starts_with("/unit?unit=YS08-")), "{linked:?}");

    // A person reads only their own data.
    let cookie = session(&api, "person@YS07").await;
    let (status, _, refused) = page(&api, &cookie, JUNE_UNIT).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains(ZH.forbidden_title));

    // A unit not registered, a malformed part: 404 and 400, naming it.
    let cookie = session(&api, "assessor").await;
    let (status, _, missing) = page(&api, &cookie, "/unit?unit=YS99&period=2017-06").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("YS99"));
    let (status, _, bad) = page(&api, &cookie, "/unit?unit=YS07&period=2017-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("period"));
    // A month without figures: the page and its pickers, with why (404).
    let (status, _, empty) = page(&api, &cookie, "/unit?unit=YS07&period=2017-12").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{empty}");
    assert!(empty.contains("id=\"unit-empty\"") && empty.contains("name=\"period\""));
}

// ---------------------------------------------------------------------------------------------------
// The deduction register.

/// The event sequence numbers of a register page's rows, in order.
fn register_seqs(page: &str) -> Vec<u64> {
    rows(page, "data-seq").into_iter().map(|(seq, _)| seq.parse().unwrap()).collect()
}

/// The sequence numbers of the API's register entries.
fn api_seqs(answer: &Value) -> Vec<u64> {
    answer["deductions"].as_array().unwrap().iter().map(|entry| entry["event"]["seq"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn site_register_lists_and_filters_as_the_api_does() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (_, whole) = api.api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017&limit=1000").await;
    let all = api_seqs(&whole);
    assert!(all.len() >= 4, "the story's deductions in 2017: {whole}");

    // The default: the reader's unit, the latest scheme year, every deduction.
    let (status, _, register) = page(&api, &cookie, "/register").await;
    assert_eq!(status, StatusCode::OK, "{register}");
    assert_eq!(register_seqs(&register), all);
    assert_eq!(attribute(&register, "data-total"), all.len().to_string());
    assert_eq!(figure(&register, "without_evidence"), whole["without_evidence_count"].to_string());
    for (seq, row) in rows(&register, "data-seq") {
        let seq: u64 = seq.parse().unwrap();
        let entry = whole["deductions"].as_array().unwrap().iter().find(|e| e["event"]["seq"] == seq).unwrap();
        assert_eq!(cell(row, "data-points"), points(&entry["points"]), "{seq}");
    }

    // Each filter narrows the page exactly as it narrows the API's answer.
    let filters = [
        "evidence=present",
        "evidence=missing",
        "category=registration_data_quality",
        "indicator=ZG-04",
        "section=YS07-BGS",
        "assessor=YS",
        "assessor=YS07",
    ];
    let mut narrowed = 0;
    for filter in filters {
        let (status, _, filtered) = page(&api, &cookie, &format!("/register?unit=YS07&period=2017&{filter}")).await;
        assert_eq!(status, StatusCode::OK, "{filter}");
        let (_, answer) =
            api.api.get("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017&{filter}&limit=1000")).await;
        let expected = api_seqs(&answer);
        assert_eq!(register_seqs(&filtered), expected, "{filter}");
        assert_eq!(attribute(&filtered, "data-total"), expected.len().to_string(), "{filter}");
        if !expected.is_empty() && expected.len() < all.len() {
            narrowed += 1;
        }
        // The filter stays chosen in its picker.
        let (name, value) = filter.split_once('=').unwrap();
        let select = filtered.split(&format!("name=\"{name}\"")).nth(1).unwrap().split("</select>").next().unwrap();
        assert!(select.contains(&format!("value=\"{value}\" selected")), "{filter}: {select}");
    }
    assert!(narrowed >= 4, "evidence, category, indicator and section each leave some entries out");
    // A period narrows it too.
    let (_, _, june) = page(&api, &cookie, "/register?unit=YS07&period=2017-06").await;
    let (_, june_api) = api.api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-06&limit=1000").await;
    assert_eq!(register_seqs(&june), api_seqs(&june_api));
    assert!(api_seqs(&june_api).len() < all.len());
    // Times on the ledger's clock.
    let recorded = rows(&register, "data-seq")[0].1;
    assert!(recorded.contains("2017-0") && !recorded.contains("Z<"), "local minutes, not RFC 3339: {recorded}");
}

#[tokio::test]
async fn site_register_pages_keep_the_filters() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let filter = "category=registration_data_quality";
    let (_, answer) =
        api.api.get("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017&{filter}&limit=1000")).await;
    let expected = api_seqs(&answer);
    assert!(expected.len() >= 3, "March, April and June: {answer}");

    let mut path = format!("/register?unit=YS07&period=2017&{filter}&limit=2");
    let mut seen = Vec::new();
    let mut pages_read = 0;
    loop {
        let (status, _, shown) = page(&api, &cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let seqs = register_seqs(&shown);
        assert!(!seqs.is_empty() && seqs.len() <= 2, "{path}: {seqs:?}");
        seen.extend(seqs);
        pages_read += 1;
        assert_eq!(rel_link(&shown, "prev").is_some(), pages_read > 1, "{path}: a previous page after the first");
        let Some(next) = rel_link(&shown, "next") else { break };
        assert!(next.contains(filter) && next.contains("limit=2") && next.contains("unit=YS07"), "{next}");
        assert!(next.contains(&format!("offset={}", seen.len())), "{next}");
        path = next;
    }
    assert_eq!(seen, expected, "the pages together are the filtered register, each entry once");
    assert_eq!(pages_read, expected.len().div_ceil(2));
    // The previous page of the last leads back.
    let (_, _, last) = page(&api, &cookie, &path).await;
    let previous = rel_link(&last, "prev").unwrap();
    assert!(previous.contains(filter) && previous.contains("limit=2"), "{previous}");
    let (_, _, back) = page(&api, &cookie, &previous).await;
    let (_, api_back) =
        api.api.get("office@YS07", &format!("/v1/deductions?{}", previous.trim_start_matches("/register?"))).await;
    assert_eq!(register_seqs(&back), api_seqs(&api_back));
    // A page size out of range is refused, naming it.
    let (status, _, refused) = page(&api, &cookie, "/register?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("limit"));
}

#[tokio::test]
async fn site_register_downloads_the_whole_filtered_register_as_csv_and_xlsx() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let filter = "category=registration_data_quality";
    // A page of one entry: the download still holds every entry the filters admit.
    let (_, _, shown) = page(&api, &cookie, &format!("/register?unit=YS07&period=2017&{filter}&limit=1")).await;
    let csv_link = links(&shown, "/downloads/register?").into_iter().find(|link| link.ends_with("format=csv")).unwrap();
    assert!(csv_link.contains(filter) && !csv_link.contains("limit") && !csv_link.contains("offset"), "{csv_link}");

    let (status, headers, csv) = call(&api, get(&csv_link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 with a byte-order mark");
    let api_csv = api
        .api
        .raw("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017&{filter}&limit=1000&format=csv"), None)
        .await;
    assert_eq!(api_csv.status, StatusCode::OK);
    assert_eq!(String::from_utf8(csv.clone()).unwrap(), String::from_utf8(api_csv.body).unwrap(), "the API's CSV");
    let records = crate::http_tables::csv_rows(&csv);
    let (_, answer) =
        api.api.get("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017&{filter}&limit=1000")).await;
    assert_eq!(records.len(), 1 + api_seqs(&answer).len(), "a header and every filtered entry");
    assert!(records.len() > 2, "more than the page's one entry");
    assert!(records[1..].iter().all(|record| record.contains(&"registration_data_quality".to_owned())), "{records:?}");

    let xlsx_link = csv_link.replace("format=csv", "format=xlsx");
    let (status, headers, xlsx) = call(&api, get(&xlsx_link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    let api_xlsx = api
        .api
        .raw("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017&{filter}&limit=1000&format=xlsx"), None)
        .await;
    let cells = |bytes: Vec<u8>| {
        let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
        sheet.rows().map(|row| row.iter().map(|cell| cell.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()
    };
    let (site_cells, api_cells) = (cells(xlsx), cells(api_xlsx.body));
    assert_eq!(site_cells, api_cells, "the API's first sheet, cell for cell");
    assert_eq!(site_cells.len(), records.len());

    // Without a session nothing downloads; another county's office may not download YS07's.
    let (status, _, _) = call(&api, get(&csv_link, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let other = session(&api, "office@YS08").await;
    let (status, _, _) = call(&api, get(&csv_link, Some(&other))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(&api, get("/downloads/register?format=pdf", Some(&cookie))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn site_register_shows_a_scoped_token_its_own_rows_only() {
    let api = Routed::new().await;
    let (_, ys07) = api.api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017&limit=1000").await;
    let ys07_seqs = api_seqs(&ys07);
    assert!(!ys07_seqs.is_empty());
    let cookie = session(&api, "office@YS08").await;
    let (status, _, refused) = page(&api, &cookie, "/register?unit=YS07&period=2017").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains(ZH.forbidden_title) && register_seqs(&refused).is_empty());
    // Its own register: YS08's deductions (none in the story), never YS07's.
    let (status, _, own) = page(&api, &cookie, "/register").await;
    assert_eq!(status, StatusCode::OK);
    let (_, ys08) = api.api.get("office@YS08", "/v1/deductions?unit=YS08&period=2017&limit=1000").await;
    assert_eq!(register_seqs(&own), api_seqs(&ys08));
    assert!(register_seqs(&own).iter().all(|seq| !ys07_seqs.contains(seq)));
    let unit_picker = own.split("name=\"unit\"").nth(1).unwrap().split("</select>").next().unwrap();
    assert!(
        unit_picker.contains("value=\"YS08\" selected") && !unit_picker.contains("value=\"YS07\""),
        "{unit_picker}"
    );
    // The city's auditor reads the whole city's register, YS07's entries among them.
    let cookie = session(&api, "auditor").await;
    let (status, _, city) = page(&api, &cookie, "/register").await;
    assert_eq!(status, StatusCode::OK);
    let (_, whole) = api.api.get("auditor", "/v1/deductions?unit=YS&period=2017&limit=1000").await;
    assert_eq!(register_seqs(&city), api_seqs(&whole));
    assert!(ys07_seqs.iter().all(|seq| register_seqs(&city).contains(seq)));
    // A person reads no register.
    let cookie = session(&api, "person@YS07").await;
    let (status, _, _) = page(&api, &cookie, "/register").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------------
// The audit page.

#[tokio::test]
async fn site_audit_page_shows_the_head_checkpoint_and_a_verification_as_the_api_does() {
    let api = Routed::new().await;
    let cookie = session(&api, "auditor").await;
    let (status, _, audit) = page(&api, &cookie, "/audit").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let (_, head) = api.api.get("auditor", "/v1/head").await;
    assert_eq!(figure(&audit, "head_seq"), head["seq"].to_string());
    assert_eq!(figure(&audit, "head_hash"), head["hash"].as_str().unwrap());
    let (_, checkpoint) = api.api.get("auditor", "/v1/checkpoint").await;
    for key in ["tree_size", "root", "public_key", "signature", "origin"] {
        let expected = checkpoint[key].as_str().map_or_else(|| checkpoint[key].to_string(), str::to_owned);
        assert_eq!(figure(&audit, key), expected, "{key}");
    }
    assert_eq!(figure(&audit, "checkpoint_head_hash"), checkpoint["head_hash"].as_str().unwrap());
    let (_, key) = api.api.get("auditor", "/v1/key").await;
    assert_eq!(figure(&audit, "public_key"), key["public_key"].as_str().unwrap());
    assert!(audit.contains(&format!("KEY={}", key["public_key"].as_str().unwrap())), "the instructions name the key");
    assert!(audit.contains("kpi-verify export ledger.jsonl") && audit.contains(ZH.instructions_title));
    // No run yet; the button and the export are offered.
    assert!(audit.contains(ZH.verification_never) && audit.contains("name=\"verify\" value=\"true\""));
    assert_eq!(links(&audit, "/downloads/export"), vec!["/downloads/export".to_owned()]);

    let (status, _, verified) = page(&api, &cookie, "/audit?verify=true").await;
    assert_eq!(status, StatusCode::OK);
    let (_, verification) = api.api.get("auditor", "/v1/verification").await;
    assert_eq!(verification["intact"], json!(true));
    assert_eq!(attribute(&verified, "data-intact"), "true");
    assert_eq!(figure(&verified, "events_checked"), verification["events_checked"].to_string());
    assert_eq!(figure(&verified, "verified_head_hash"), verification["head"]["hash"].as_str().unwrap());
    // The run is kept: the page shows it without running again.
    let (_, _, again) = page(&api, &cookie, "/audit").await;
    assert_eq!(figure(&again, "events_checked"), verification["events_checked"].to_string());

    // The downloads are the API's answers.
    let (status, headers, file) = call(&api, get("/downloads/checkpoint", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("checkpoint.json"));
    assert_eq!(serde_json::from_slice::<Value>(&file).unwrap(), checkpoint);
    let (status, headers, export) = call(&api, get("/downloads/export", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("ledger.jsonl"));
    let api_export = api.api.raw("auditor", "/v1/export", None).await;
    assert_eq!(api_export.status, StatusCode::OK);
    assert_eq!(export, api_export.body, "the API's export, byte for byte");
    assert_eq!(
        export.split(|b| *b == b'\n').filter(|line| !line.is_empty()).count() as u64,
        head["seq"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn site_audit_page_hides_the_ledger_from_a_narrower_token() {
    let api = Routed::new().await;
    for key in ["office@YS07", "person@YS07", "auditor@YS07"] {
        let cookie = session(&api, key).await;
        let (status, _, audit) = page(&api, &cookie, "/audit").await;
        assert_eq!(status, StatusCode::OK, "{key}: the chain's hashes are for every valid token");
        let (_, head) = api.api.get(key, "/v1/head").await;
        assert_eq!(figure(&audit, "head_seq"), head["seq"].to_string(), "{key}");
        assert!(has_figure(&audit, "signature"), "{key}");
        assert!(audit.contains(ZH.ledger_readers_only), "{key}");
        assert!(links(&audit, "/downloads/export").is_empty(), "{key}: no export link");
        assert!(!audit.contains("name=\"verify\""), "{key}: no verification button");
        let (status, _, refused) = page(&api, &cookie, "/audit?verify=true").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}");
        assert!(refused.contains(ZH.forbidden_title));
        let (status, _, _) = call(&api, get("/downloads/export", Some(&cookie))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}");
        let (status, _) = api.api.get(key, "/v1/export").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}: as the API refuses it");
        let (status, _, _) = call(&api, get("/downloads/checkpoint", Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK, "{key}");
    }
    // A verification run by the city's auditor is not shown to them either.
    let auditor = session(&api, "auditor").await;
    let (status, _, _) = page(&api, &auditor, "/audit?verify=true").await;
    assert_eq!(status, StatusCode::OK);
    let cookie = session(&api, "office@YS07").await;
    let (_, _, audit) = page(&api, &cookie, "/audit").await;
    assert!(!has_figure(&audit, "events_checked"));
}

// ---------------------------------------------------------------------------------------------------
// Every page.

#[tokio::test]
async fn site_pages_carry_the_policy_the_navigation_and_no_inline_script() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let pages = [
        ("/", Some("/")),
        (JUNE_UNIT, None),
        ("/register", Some("/register")),
        ("/audit", Some("/audit")),
        ("/unit?unit=YS08", None),
    ];
    for (path, current) in pages {
        let (status, headers, shown) = page(&api, &cookie, path).await;
        assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN, "{path}: {status}");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], kpi_ledger::site::CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert_no_inline_script(path, &shown);
        for href in ["/", "/register", "/audit"] {
            assert!(shown.contains(&format!("<a href=\"{href}\"")), "{path}: the bar links {href}");
        }
        let marked: Vec<&str> = ["/", "/register", "/audit"]
            .into_iter()
            .filter(|href| shown.contains(&format!("<a href=\"{href}\" aria-current=\"page\"")))
            .collect();
        assert_eq!(marked, current.into_iter().collect::<Vec<_>>(), "{path}: the current page is marked");
    }
    // Without a session each page is the sign-in page.
    for path in [JUNE_UNIT, "/register", "/audit"] {
        let (status, headers, body) = call(&api, get(path, None)).await;
        assert_eq!(status, StatusCode::OK);
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("action=\"/sign-in\"") && !body.contains("site-nav"), "{path}");
        assert!(headers.contains_key(header::SET_COOKIE), "{path}: a sign-in form session is opened");
    }
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

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
async fn site_unit_page_in_the_browser_draws_the_trend_and_lists_the_losses() {
    let Some(browser) = Browser::open("site_unit").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    // From the overview, through YS07's name.
    browser.click_through("table.ranking td.unit-name a").await;
    assert_eq!(browser.status().await, 200);
    assert!(browser.client.current_url().await.contains("/unit?unit=YS07"));
    assert_eq!(browser.text_of("h1").await, ZH.unit_title);
    assert!(browser.text_of("#horizontal h2").await.contains("丙县国家税务局"));
    let size = chart_size(&browser, "#trend-chart").await;
    assert!(size.iter().all(|side| *side > 100.0), "the trend chart is {size:?}");
    let trend_rows = browser.js("return document.querySelectorAll('#trend tbody tr').length").await;
    assert!(trend_rows.as_u64().unwrap() >= 6, "{trend_rows}");
    let lost = browser.js("return document.querySelectorAll('#lost tbody[data-indicator]').length").await;
    assert!(lost.as_u64().unwrap() >= 1, "{lost}");
    let own = browser.js("return document.querySelector('#peers tr.own td.unit-name').textContent").await;
    assert!(own.as_str().unwrap().contains("丙县国家税务局"), "{own}");
    let nav = browser
        .js("return Array.from(document.querySelectorAll('nav.site-nav a'))
                .map(function (a) { return a.textContent; })")
        .await;
    // These pages, in this order (other pages' links may stand between them).
    let nav: Vec<&str> = nav.as_array().unwrap().iter().map(|label| label.as_str().unwrap()).collect();
    let expected = [ZH.nav_overview, ZH.nav_register, ZH.nav_audit, ZH.nav_trace, ZH.nav_replay];
    let mut shown = nav.iter().filter(|label| expected.contains(label));
    assert!(expected.iter().all(|label| shown.next() == Some(label)), "{nav:?}");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

#[tokio::test]
async fn site_register_in_the_browser_pages_and_filters() {
    let Some(browser) = Browser::open("site_register").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    browser.click_through("nav.site-nav a[href='/register']").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1").await, ZH.register_title);
    let count = "return document.querySelectorAll('table.register tbody tr').length";
    let all = browser.js(count).await.as_u64().unwrap();
    assert!(all >= 4, "{all}");

    // Two to a page: the next link, then back.
    browser.goto(&format!("{}/register?unit=YS07&period=2017&limit=2", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.js(count).await, json!(2));
    browser.click_through("a[rel=next]").await;
    assert!(browser.client.current_url().await.contains("offset=2"));
    assert!(browser.js(count).await.as_u64().unwrap() >= 1);
    browser.click_through("a[rel=prev]").await;
    assert_eq!(browser.js(count).await, json!(2));

    // Choosing a filter shows the page again, filtered (app.js submits the pickers on change).
    let before = browser.client.current_url().await;
    browser
        .js("var s = document.querySelector('select[name=evidence]'); s.value = 'present';
             s.dispatchEvent(new Event('change')); return true;")
        .await;
    browser.wait_to_leave(&before).await;
    assert!(browser.client.current_url().await.contains("evidence=present"));
    let filtered = browser.js(count).await.as_u64().unwrap();
    assert!(filtered >= 1 && filtered < all, "{filtered} of {all}");
    // The twelfth column says whether an entry cites evidence.
    let cites = format!(
        "return Array.from(document.querySelectorAll('table.register tbody tr'))
            .every(function (tr) {{ return tr.children[11].textContent.indexOf('{}') === 0; }})",
        ZH.has_evidence
    );
    let evidence = browser.js(&cites).await;
    assert_eq!(evidence, json!(true), "every entry shown cites evidence");
    browser.goto(&format!("{}/register", site.base)).await;
    browser.loaded().await;
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

#[tokio::test]
async fn site_audit_page_in_the_browser_runs_a_verification() {
    let Some(browser) = Browser::open("site_audit").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("auditor")).await;
    browser.click_through("nav.site-nav a[href='/audit']").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1").await, ZH.audit_title);
    let head = site.api.head().to_string();
    assert_eq!(browser.text_of("[data-figure=head_seq]").await, head);
    browser.click_through("#verification button[type=submit]").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.js("return document.getElementById('verification-result').dataset.intact").await, json!("true"));
    assert_eq!(browser.text_of("[data-figure=events_checked]").await, head);
    assert!(browser.text_of("#instructions pre").await.contains("kpi-verify export"));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}
