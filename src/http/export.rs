//! Answers as spreadsheets over HTTP: every ranking, comparison and register read (`TABLE_ROUTES`)
//! answers CSV or XLSX instead of JSON when asked — by `format=csv|xlsx` (declared on those routes,
//! so the OpenAPI document lists it), or, without it, by `Accept: text/csv` or
//! `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`. The file comes as an
//! attachment with a file name (`Content-Disposition`) that says what it holds.
//!
//! Invariant: a spreadsheet is made from the JSON answer itself (after `may_read` admitted the
//! reader and from the same cache), so it never holds more or other than the JSON would; refusals
//! and errors stay problem+json.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::params::{param, ParamKind, QueryParam};
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::projection::{AppealQueue, AsOf, Horizontal, Ranking, RankingDiff, Vertical};
use crate::service::listings::RegisterPage;
use crate::service::queries::Answer;
use crate::tabular::answers::{self, Names};
use crate::tabular::{Format, Lang, Workbook};

/// The reads that have a table form.
pub const TABLE_ROUTES: &[&str] = &[
    "/v1/rankings",
    "/v1/rankings/diff",
    "/v1/comparisons/horizontal",
    "/v1/comparisons/vertical",
    "/v1/deductions",
    "/v1/appeal-queue",
    "/v1/my-appeals",
];

/// The `format` parameter of the table reads.
pub const FORMAT: QueryParam = param(
    "format",
    ParamKind::Choice { values: &["json", "csv", "xlsx"] },
    "json (default), csv (RFC 4180, UTF-8 with a byte-order mark) or xlsx; without it, `Accept: text/csv` or \
     `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` chooses the same",
);

/// The spreadsheet format a request asks for, if any: `format` first, then `Accept` (the media type
/// with the highest quality among JSON, CSV and XLSX; JSON when none is named or they tie with it).
pub fn requested(path: &str, format: Option<&str>, headers: &HeaderMap) -> Option<Format> {
    if !TABLE_ROUTES.contains(&path) {
        return None;
    }
    match format {
        Some(text) => Format::parse(text),
        None => headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).and_then(from_accept),
    }
}

/// The best of JSON, CSV and XLSX by the `Accept` header's qualities; `None` means JSON.
fn from_accept(accept: &str) -> Option<Format> {
    let mut best: (f32, Option<Format>) = (0.0, None);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|part| part.strip_prefix("q=").or_else(|| part.strip_prefix("Q=")))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => None,
            "text/csv" | "text/*" => Some(Format::Csv),
            Format::XLSX_MEDIA_TYPE => Some(Format::Xlsx),
            _ => continue,
        };
        // A tie keeps the earlier; JSON wins a tie with itself by being the default.
        if quality > best.0 {
            best = (quality, format);
        }
    }
    best.1
}

/// The answer: the JSON bytes as they are, or the spreadsheet made from them.
pub async fn respond(
    state: &AppState,
    path: &'static str,
    format: Option<Format>,
    bytes: Vec<u8>,
) -> Result<Response, Problem> {
    let Some(format) = format else {
        return Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], bytes).into_response());
    };
    let state = state.clone();
    let (file_name, body) = tokio::task::spawn_blocking(move || {
        let workbook = workbook(&state, path, &bytes)?;
        let body = format.write(&workbook).map_err(|e| Problem::internal(&e))?;
        Ok::<_, Problem>((format.file_name(&workbook), body))
    })
    .await
    .map_err(|e| Problem::internal(&e))??;
    Ok(file_response(format, &file_name, body))
}

/// A spreadsheet as a download: its content type and `Content-Disposition` with its file name.
pub fn file_response(format: Format, file_name: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, format.content_type())], body).into_response();
    response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem::internal(&e))
}

/// Unit names as the ledger stood at `seq`.
fn names(state: &AppState, seq: u64) -> Result<Names, Problem> {
    let units = state.read_models.units(AsOf::Seq(seq)).map_err(crate::http::queries::query_problem)?;
    Ok(units.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
}

fn workbook(state: &AppState, path: &str, bytes: &[u8]) -> Result<Workbook, Problem> {
    let lang = Lang::Zh;
    match path {
        "/v1/rankings" => {
            let answer: Answer<Ranking> = decode(bytes)?;
            Ok(answers::ranking(&answer, &names(state, answer.as_of_seq)?, lang))
        }
        "/v1/rankings/diff" => {
            let diff: RankingDiff = decode(bytes)?;
            Ok(answers::ranking_diff(&diff, &names(state, diff.to_seq)?, lang))
        }
        "/v1/comparisons/horizontal" => {
            let answer: Answer<Horizontal> = decode(bytes)?;
            Ok(answers::horizontal(&answer, &names(state, answer.as_of_seq)?, lang))
        }
        "/v1/comparisons/vertical" => {
            let answer: Answer<Vertical> = decode(bytes)?;
            Ok(answers::vertical(&answer, &names(state, answer.as_of_seq)?, lang))
        }
        "/v1/deductions" => {
            let answer: Answer<RegisterPage> = decode(bytes)?;
            Ok(answers::register(&answer, &names(state, answer.as_of_seq)?, lang))
        }
        "/v1/appeal-queue" | "/v1/my-appeals" => {
            let answer: Answer<AppealQueue> = decode(bytes)?;
            Ok(answers::appeals(&answer, &names(state, answer.as_of_seq)?, lang))
        }
        other => Err(Problem::internal(&format!("{other} has no table form"))),
    }
}
