//! Table reads as spreadsheets (CSV and XLSX, by `format` or `Accept`) and the listings a client
//! finds its way with (schemes, indicators, periods, the paged deduction register), over HTTP.
//!
//! Invariant guarded: a spreadsheet holds the JSON answer's own figures, row for row; a refusal or a
//! bad parameter stays problem+json whatever format was asked for; pages of the register add up to
//! the whole register, each entry once.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use kpi_ledger::http::router;
use serde_json::Value;
use tower::ServiceExt;

use crate::http_api::Api;

/// A GET's status, headers and raw body.
pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) disposition: String,
    pub(crate) body: Vec<u8>,
}

impl Api {
    pub(crate) async fn raw(&self, role: &str, path: &str, accept: Option<&str>) -> Raw {
        let mut request = Request::builder().method("GET").uri(path);
        request = request.header("authorization", format!("Bearer {}", self.tokens[role]));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = router(self.state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let header = |name: &str| {
            response.headers().get(name).map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default()
        };
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Raw { status, content_type, disposition, body }
    }
}

const JUNE_RANKING: &str = "/v1/rankings?unit=YS07&period=2017-06";

/// The CSV's records (quoted fields with commas or line breaks are not expected in these rows).
pub(crate) fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("CSV is UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark first, for Excel");
    text.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(|field| field.trim_matches('"').to_owned()).collect())
        .collect()
}

pub(crate) fn points_text(hundredths: &Value) -> String {
    let value = hundredths.as_i64().expect("points are whole hundredths");
    format!("{}.{:02}", value / 100, value % 100)
}

#[tokio::test]
async fn a_ranking_as_csv_holds_the_json_answers_rows() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, json) = api.get("office@YS07", JUNE_RANKING).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let standings = json["standings"].as_array().unwrap();
    assert_eq!(standings.len(), 12, "twelve counties ranked in June");

    for (path, accept) in [
        (format!("{JUNE_RANKING}&format=csv"), None),
        (JUNE_RANKING.to_owned(), Some("text/csv")),
        (JUNE_RANKING.to_owned(), Some("application/json;q=0.5, text/csv;q=0.9")),
    ] {
        let csv = api.raw("office@YS07", &path, accept).await;
        assert_eq!(csv.status, StatusCode::OK, "{path} {accept:?}");
        assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);
        assert!(csv.disposition.starts_with("attachment; filename=\""), "{}", csv.disposition);
        assert!(csv.disposition.contains("2017-06") && csv.disposition.ends_with(".csv\""), "{}", csv.disposition);
        let rows = csv_rows(&csv.body);
        assert_eq!(rows[0][..4], ["排名", "等次", "单位代码", "单位名称"], "headers in Chinese");
        assert_eq!(rows.len(), 1 + standings.len(), "a header and one row per standing");
        for (row, standing) in rows[1..].iter().zip(standings) {
            assert_eq!(row[0], standing["rank"].to_string());
            assert_eq!(row[1], standing["tier"].to_string());
            assert_eq!(row[2], standing["unit"].as_str().unwrap());
            assert_eq!(row[3], standing["name"].as_str().unwrap());
            assert_eq!(row[4], points_text(&standing["final_score"]), "{row:?}");
        }
    }
    // JSON preferred, or JSON asked for: JSON.
    let json_again = api.raw("office@YS07", JUNE_RANKING, Some("text/csv;q=0.2, application/json")).await;
    assert_eq!(json_again.content_type, "application/json");
}

#[tokio::test]
async fn a_ranking_as_xlsx_keeps_its_cells_typed() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (_, json) = api.get("office@YS07", JUNE_RANKING).await;
    let standings = json["standings"].as_array().unwrap();
    let xlsx = api.raw("office@YS07", &format!("{JUNE_RANKING}&format=xlsx"), None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(xlsx.disposition.ends_with(".xlsx\""), "{}", xlsx.disposition);
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.body)).expect("an XLSX file");
    let names = workbook.sheet_names();
    assert!(names.len() >= 2, "the table and where it stands in the chain: {names:?}");
    let table = workbook.worksheet_range(&names[0]).expect("the first sheet");
    let rows: Vec<&[Data]> = table.rows().collect();
    assert_eq!(rows.len(), 1 + standings.len());
    for (row, standing) in rows[1..].iter().zip(standings) {
        assert_eq!(row[0], Data::Float(standing["rank"].as_f64().unwrap()), "a rank is a number");
        assert_eq!(row[2], Data::String(standing["unit"].as_str().unwrap().to_owned()));
        let final_score = standing["final_score"].as_f64().unwrap() / 100.0;
        assert_eq!(row[4], Data::Float(final_score), "points are numbers with two decimals, not text");
    }
    let about = workbook.worksheet_range(names.last().unwrap()).expect("the last sheet");
    let as_of = about.rows().find(|row| row[0] == Data::String("截至事件序号".to_owned())).expect("as-of row");
    assert_eq!(as_of[1], Data::Float(json["as_of_seq"].as_f64().unwrap()));
}

#[tokio::test]
async fn refusals_and_bad_formats_stay_problem_json() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let bad = api.raw("office@YS07", &format!("{JUNE_RANKING}&format=pdf"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.content_type, "application/problem+json");
    let problem: Value = serde_json::from_slice(&bad.body).unwrap();
    assert_eq!(problem["field"], "format", "{problem}");
    // YS08's office may not read YS07's comparison: refused as JSON, not as an empty sheet.
    let refused = api.raw("office@YS08", "/v1/comparisons/horizontal?unit=YS07&period=2017-06&format=xlsx", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.content_type, "application/problem+json");
    // A read with no table form ignores Accept and answers JSON; `format` is not one of its parameters.
    let scoreboard = api.raw("office@YS07", "/v1/scoreboard?unit=YS07&period=2017-06", Some("text/csv")).await;
    assert_eq!(scoreboard.content_type, "application/json");
    let unknown = api.raw("office@YS07", "/v1/scoreboard?unit=YS07&period=2017-06&format=csv", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(api.head(), head, "reads append nothing");
}

#[tokio::test]
async fn register_pages_add_up_to_the_whole_register() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let whole_path = "/v1/deductions?unit=YS07&period=2017-06&limit=1000";
    let (status, whole) = api.get("office@YS07", whole_path).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    let total = whole["total"].as_u64().unwrap() as usize;
    let entries = whole["deductions"].as_array().unwrap_or_else(|| panic!("entries in {whole}"));
    assert_eq!(entries.len(), total);
    assert!(total >= 2, "the story's June has deductions: {whole}");
    assert_eq!(whole["next_offset"], Value::Null);
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let (_, page) =
            api.get("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017-06&limit=1&offset={offset}")).await;
        assert_eq!(page["total"].as_u64().unwrap() as usize, total);
        paged.extend(page["deductions"].as_array().unwrap().iter().cloned());
        match page["next_offset"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    assert_eq!(&paged, entries, "pages of one hold the register in order, each entry once");
    // Filters narrow the total; an unknown category is a problem naming it.
    let category = entries[0]["problem_category"].as_str().unwrap();
    let (_, narrowed) =
        api.get("office@YS07", &format!("/v1/deductions?unit=YS07&period=2017-06&category={category}")).await;
    let narrowed_total = narrowed["total"].as_u64().unwrap() as usize;
    assert!(narrowed_total >= 1 && narrowed_total <= total, "{narrowed}");
    assert!(narrowed["deductions"].as_array().unwrap().iter().all(|entry| entry["problem_category"] == category));
    let (status, problem) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-06&category=Not-A-Code").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("category")), "{problem}");
    let (status, problem) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-06&limit=0").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")), "{problem}");
}

#[tokio::test]
async fn schemes_indicators_and_periods_list_what_the_ledger_holds() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, schemes) = api.get("appellant@YS07", "/v1/schemes").await;
    assert_eq!(status, StatusCode::OK, "{schemes}");
    let city = schemes["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|scheme| scheme["scheme"] == "YS-2017")
        .unwrap_or_else(|| panic!("YS-2017 in {schemes}"));
    assert_eq!(city["issuer"], "YS");
    let (_, indicators) = api.get("appellant@YS07", "/v1/indicators?scheme=YS-2017").await;
    let listed = indicators["indicators"].as_array().unwrap();
    assert_eq!(city["indicators"].as_u64().unwrap() as usize, listed.len(), "the count is the list's");
    let points: i64 = listed.iter().map(|indicator| indicator["points_max"].as_i64().unwrap()).sum();
    assert!(points >= 9_200, "the city's indicators are worth at least the 92 points YS07 keeps: {points}");
    let (_, periods) = api.get("appellant@YS07", "/v1/periods?scheme=YS-2017").await;
    let june = periods["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|period| period["period"] == "2017-06")
        .unwrap_or_else(|| panic!("June in {periods}"));
    assert_ne!(june["status"], "open", "the story publishes June: {june}");
    let (status, problem) = api.get("appellant@YS07", "/v1/indicators?scheme=YS-1999").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::NOT_FOUND, Some("scheme")), "{problem}");
}
