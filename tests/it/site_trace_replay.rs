//! The site's trace explorer (失分追溯) and replay (历史回放) (issue 12). Through the router (`oneshot`):
//! the trace page's lines, their sum beside the ranking's figure, every cited event's proof checked
//! against the checkpoint the API's bundle carries, and the bundle download byte for byte the API's
//! `proofs`; a tampered proof failing the page's check; evidence documents downloadable by those who
//! may read them; the links from the unit page and the register; the replay's ranking as of a day
//! against the API's as-of ranking and its diff against the API's diff; refusals of what a token may
//! not read; the policy, the navigation and no inline script. In headless Chromium (the browser of
//! `site.rs`): following a trace link from the unit page, and moving the replay's slider, each leaving
//! `target/screenshots/<test>.png`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use kpi_ledger::service::records::ProofBundle;
use kpi_ledger::site::text::ZH;
use kpi_ledger::site::trace::check_bundle;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::http_tables::points_text;
use crate::site::{
    assert_no_inline_script, call, cell, figure, get, links, page, session, unescape, Browser, Routed, Site,
};

// ---------------------------------------------------------------------------------------------------
// Reading a page.

/// The value of `name="…"` in a start tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(unescape(tag[at..].split('"').next().unwrap()))
}

/// The start tags of the elements named `element` that carry `attribute`, with the text after them.
fn tagged<'p>(page: &'p str, element: &str, attribute: &str) -> Vec<(&'p str, &'p str)> {
    page.split(&format!("<{element}"))
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next().unwrap();
            tag.contains(&format!(" {attribute}=")).then(|| (tag, &rest[tag.len()..]))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// The trace page.

const JUNE_TRACE: &str = "/trace?unit=YS07&period=2017-06";
const JUNE_TRACE_API: &str = "/v1/traces?unit=YS07&period=2017-06&proofs=true";

/// The lines a trace answer counts, in order, as (indicator, kind, amount): each indicator's lines
/// (a taken-over indicator's own line, its city lines listed apart), the charges, the floor.
fn counted_lines(traces: &Value) -> Vec<(String, String, String)> {
    let mut lines = Vec::new();
    for trace in traces["traces"].as_array().unwrap() {
        for indicator in trace["indicators"].as_array().unwrap() {
            for line in indicator["lines"].as_array().unwrap() {
                let amount = points_text(&line["amount"]);
                let code = indicator["indicator"].as_str().unwrap().to_owned();
                lines.push((code, line["kind"].as_str().unwrap().to_owned(), amount));
            }
        }
        for charge in trace["charges"].as_array().unwrap() {
            let code = charge["indicator"].as_str().unwrap().to_owned();
            lines.push((code, "charge".to_owned(), points_text(&charge["amount"])));
        }
        if trace["floor_absorbed"] != json!(0) {
            lines.push((String::new(), "floor_absorbed".to_owned(), points_text(&trace["floor_absorbed"])));
        }
    }
    lines
}

/// The lines the page counts, as (indicator, kind, amount).
fn page_lines(page: &str) -> Vec<(String, String, String)> {
    tagged(page, "div", "data-line")
        .into_iter()
        .filter(|(tag, _)| attr(tag, "data-counted").as_deref() == Some("true"))
        .map(|(tag, _)| {
            let field = |name| attr(tag, name).unwrap_or_default();
            (field("data-line-indicator"), field("data-line"), field("data-amount"))
        })
        .collect()
}

/// The event rows of the page: (seq, hash, proof status).
fn page_events(page: &str) -> Vec<(u64, String, String)> {
    tagged(page, "tr", "data-seq")
        .into_iter()
        .map(|(tag, rest)| {
            let seq = attr(tag, "data-seq").unwrap().parse().unwrap();
            let hash = rest.split(" data-hash=\"").nth(1).expect("a hash").split('"').next().unwrap().to_owned();
            (seq, hash, attr(tag, "data-proof").unwrap())
        })
        .collect()
}

/// The `proofs` member of a raw `/v1/traces?…&proofs=true` answer, as its bytes: the answer's last
/// member, so what follows `,"proofs":` up to the closing brace.
fn proofs_bytes(answer: &[u8]) -> Vec<u8> {
    let marker = b",\"proofs\":";
    let at = answer.windows(marker.len()).rposition(|window| window == marker).expect("a proofs member");
    assert_eq!(answer.last(), Some(&b'}'));
    answer[at + marker.len()..answer.len() - 1].to_vec()
}

#[tokio::test]
async fn site_trace_page_shows_the_apis_lines_sum_proofs_and_bundle() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (status, _, trace) = page(&api, &cookie, JUNE_TRACE).await;
    assert_eq!(status, StatusCode::OK, "{trace}");
    let raw = api.api.raw("office@YS07", JUNE_TRACE_API, None).await;
    assert_eq!(raw.status, StatusCode::OK);
    let answer: Value = serde_json::from_slice(&raw.body).unwrap();

    // The lines are the API's, in its order, and their sum is the ranking's figure.
    let expected = counted_lines(&answer);
    assert!(expected.len() >= 2, "June's trace has lines: {expected:?}");
    assert!(expected.iter().any(|(code, kind, _)| code == "ZG-04" && kind == "deduction"), "{expected:?}");
    assert_eq!(page_lines(&trace), expected);
    let sum: i64 = answer["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|trace| {
            let indicators: i64 = trace["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|indicator| indicator["lines"].as_array().unwrap())
                .map(|line| line["amount"].as_i64().unwrap())
                .sum();
            let charges: i64 = trace["charges"].as_array().unwrap().iter().map(|c| c["amount"].as_i64().unwrap()).sum();
            indicators + charges + trace["floor_absorbed"].as_i64().unwrap()
        })
        .sum();
    let (_, horizontal) = api.api.get("office@YS07", "/v1/comparisons/horizontal?unit=YS07&period=2017-06").await;
    assert_eq!(horizontal["lost"], json!(sum), "the API's lines sum to its loss");
    assert_eq!(figure(&trace, "listed_total"), points_text(&json!(sum)));
    assert_eq!(figure(&trace, "ranking_lost"), points_text(&horizontal["lost"]));
    assert!(trace.contains("data-reconciled=\"true\""), "the page says the two agree");
    assert!(trace.contains(&format!("{} {}", ZH.rank, horizontal["standing"]["rank"])), "the ranking's rank");

    // Every event the trace cites is a row, with the bundle's hash and its proof verified.
    let bundle = &answer["proofs"];
    let bundled: Vec<(u64, String)> = bundle["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| (event["seq"].as_u64().unwrap(), event["hash"].as_str().unwrap().to_owned()))
        .collect();
    assert!(bundled.len() >= 5, "deduction, attribution, rectification, appeal, decision: {bundled:?}");
    let events = page_events(&trace);
    let mut shown: Vec<(u64, String)> = events.iter().map(|(seq, hash, _)| (*seq, hash.clone())).collect();
    shown.sort();
    shown.dedup();
    assert_eq!(shown, bundled, "the page's events are the bundle's, with their hashes");
    assert!(events.iter().all(|(_, _, proof)| proof == "ok"), "every proof verified: {events:?}");
    assert_eq!(trace.matches(&format!("<td class=\"proof intact\">{}", ZH.proof_ok)).count(), events.len());
    let types: Vec<String> = tagged(&trace, "tr", "data-seq").iter().map(|(_, rest)| rest.to_string()).collect();
    for event_type in ["DeductionRecorded", "CauseAttributed", "RectificationRecorded", "AppealFiled", "AppealDecided"]
    {
        assert!(types.iter().any(|row| row.contains(event_type)), "a {event_type} row");
    }
    assert_eq!(attr(tagged(&trace, "p", "data-verified")[0].0, "data-verified"), Some(bundled.len().to_string()));
    // Against the checkpoint the bundle carries, which is the latest signed one.
    let (_, latest) = api.api.get("office@YS07", "/v1/checkpoint").await;
    for key in ["tree_size", "root"] {
        let value =
            bundle["checkpoint"][key].as_str().map_or_else(|| bundle["checkpoint"][key].to_string(), str::to_owned);
        assert_eq!(figure(&trace, key), value, "{key}");
        assert_eq!(bundle["checkpoint"][key], latest[key], "{key}: the latest checkpoint");
    }
    assert_eq!(figure(&trace, "checkpoint_status"), ZH.signature_valid);
    // The evidence each event cites is shown by its digest (none of the story's is stored: no link).
    let digests = raw_digests(&answer);
    assert!(!digests.is_empty());
    for digest in &digests {
        assert!(trace.contains(digest.as_str()), "evidence {digest} is shown");
    }
    assert!(links(&trace, "/downloads/document/").is_empty());

    // The bundle downloads byte for byte as the API's `proofs`, and checks as tools/verifier would.
    let download = links(&trace, "/downloads/bundle?");
    assert_eq!(download, vec!["/downloads/bundle?unit=YS07&period=2017-06".to_owned()]);
    let (status, headers, file) = call(&api, get(&download[0], Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("bundle.json"));
    assert_eq!(file, proofs_bytes(&raw.body), "the API's bundle, byte for byte");
    let parsed: ProofBundle = serde_json::from_slice(&file).expect("a bundle");
    let key = api.api.state.service.records().key().public_key;
    let checked = check_bundle(&ZH, &parsed, key.as_deref());
    assert!(checked.checkpoint.is_ok() && checked.events.values().all(Result::is_ok), "{checked:?}");
    assert!(trace.contains("kpi-verify bundle bundle.json --key $KEY"), "how to check it");
    assert!(trace.contains(&format!("KEY={}", key.unwrap())), "with the ledger's key");

    // A section charged by a cause attribution, and a quarter of three months: the API's lines too.
    for question in ["unit=YS07-BGS&period=2017-06", "unit=YS07&period=2017-Q2"] {
        let (status, _, trace) = page(&api, &cookie, &format!("/trace?{question}")).await;
        assert_eq!(status, StatusCode::OK, "{question}");
        let (_, answer) = api.api.get("office@YS07", &format!("/v1/traces?{question}&proofs=true")).await;
        assert_eq!(page_lines(&trace), counted_lines(&answer), "{question}");
        assert!(trace.contains("data-reconciled=\"true\""), "{question}");
        let events = page_events(&trace);
        assert!(!events.is_empty() && events.iter().all(|(_, _, proof)| proof == "ok"), "{question}: {events:?}");
    }
    let (_, _, section) = page(&api, &cookie, "/trace?unit=YS07-BGS&period=2017-06").await;
    assert!(page_lines(&section).iter().any(|(_, kind, _)| kind == "charge"), "the office carries the charge");
}

/// Every evidence digest a trace answer cites.
fn raw_digests(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "evidence_digests" {
                    found.extend(value.as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()));
                } else if key != "proofs" {
                    found.extend(raw_digests(value));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| found.extend(raw_digests(item))),
        _ => {}
    }
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn site_trace_check_fails_a_tampered_proof() {
    let api = Routed::new().await;
    let raw = api.api.raw("office@YS07", JUNE_TRACE_API, None).await;
    let bundle: ProofBundle = serde_json::from_slice(&proofs_bytes(&raw.body)).unwrap();
    let key = api.api.state.service.records().key().public_key.unwrap();
    let intact = check_bundle(&ZH, &bundle, Some(&key));
    assert!(intact.checkpoint.is_ok());
    let (seq, hash) = (bundle.events[0].seq, bundle.events[0].hash);
    assert_eq!(intact.event(&ZH, seq, &hash), Ok(()));
    // Another hash than the one the trace cites is not the cited event.
    assert_eq!(intact.event(&ZH, seq, &bundle.events[1].hash), Err(ZH.proof_cited_hash.to_owned()));
    assert_eq!(intact.event(&ZH, u64::MAX, &hash), Err(ZH.proof_missing.to_owned()));

    // One hash of an audit path changed: that event's proof fails, the others stand.
    let mut tampered: ProofBundle = serde_json::from_slice(&proofs_bytes(&raw.body)).unwrap();
    tampered.events[0].inclusion_proof[0].0[0] ^= 1;
    let checked = check_bundle(&ZH, &tampered, Some(&key));
    let failure = checked.event(&ZH, seq, &hash).unwrap_err();
    assert!(failure.starts_with(ZH.proof_root_mismatch), "{failure}");
    assert!(checked.events.iter().skip(1).all(|(_, outcome)| outcome.is_ok()));
    // The bytes changed: the hash is recomputed and differs.
    let mut tampered: ProofBundle = serde_json::from_slice(&proofs_bytes(&raw.body)).unwrap();
    tampered.events[0].body_text = tampered.events[0].body_text.replacen("YS07", "YS08", 1);
    assert_eq!(check_bundle(&ZH, &tampered, Some(&key)).event(&ZH, seq, &hash), Err(ZH.proof_hash_mismatch.to_owned()));
    // Another root signed by no one: the checkpoint fails, and with it every event.
    let mut tampered: ProofBundle = serde_json::from_slice(&proofs_bytes(&raw.body)).unwrap();
    tampered.checkpoint.checkpoint.root.0[0] ^= 1;
    let checked = check_bundle(&ZH, &tampered, Some(&key));
    assert!(checked.checkpoint.as_ref().unwrap_err().starts_with(ZH.proof_bad_checkpoint));
    assert!(checked.event(&ZH, seq, &hash).is_err());
    // No key to check the checkpoint with: nothing is verified.
    assert_eq!(check_bundle(&ZH, &bundle, None).event(&ZH, seq, &hash), Err(ZH.proof_no_key.to_owned()));
}

/// A minimal PDF, what an office scanned.
const FILING: &[u8] = b"%PDF-1.7\n% corrected filing for the site's trace\n%%EOF\n";

#[tokio::test]
async fn site_trace_offers_the_evidence_documents_the_reader_may_download() {
    let api = Routed::new().await;
    let digest = blake3::hash(FILING).to_hex().to_string();
    let upload = Request::put(format!("/v1/documents/{digest}"))
        .header("authorization", format!("Bearer {}", api.api.tokens["assessor"]))
        .header("content-type", "application/pdf")
        .body(Body::from(FILING))
        .unwrap();
    let response = kpi_ledger::http::router(api.api.state.clone()).oneshot(upload).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let deduction = json!({
        "scheme": "YS-2017", "period": "2017-07", "unit": "YS07", "indicator": "ZG-04", "points": 50,
        "reason": "report filed under the wrong document type", "problem_category": "document_filing",
        "evidence_digests": [digest],
    });
    let (status, _, body) = api.api.post("assessor", "/v1/deductions", &deduction).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let cookie = session(&api, "office@YS07").await;
    let (status, _, trace) = page(&api, &cookie, "/trace?unit=YS07&period=2017-07&provisional=true").await;
    assert_eq!(status, StatusCode::OK, "{trace}");
    let link = format!("/downloads/document/{digest}");
    assert_eq!(links(&trace, "/downloads/document/"), vec![link.clone()]);
    let (status, headers, bytes) = call(&api, get(&link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, FILING);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let served = api.api.raw("office@YS07", &link.replace("/downloads/document/", "/v1/documents/"), None).await;
    assert_eq!(served.body, bytes, "as the API serves it");
    // A county that may not read YS07's facts gets nothing, as from the API.
    let other = session(&api, "office@YS08").await;
    let (status, _, _) = call(&api, get(&link, Some(&other))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&api, get(&link, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn site_unit_page_and_register_link_their_rows_to_the_trace() {
    let api = Routed::new().await;
    let cookie = session(&api, "office@YS07").await;
    let (_, _, unit_page) = page(&api, &cookie, "/unit?unit=YS07&period=2017-06").await;
    let from_unit = links(&unit_page, "/trace?");
    assert!(!from_unit.is_empty(), "the lost points' rows link to the trace");
    let (_, _, register) = page(&api, &cookie, "/register?unit=YS07&period=2017-06").await;
    let from_register = links(&register, "/trace?");
    assert!(!from_register.is_empty(), "the register's rows link to the trace");
    for link in from_unit.iter().chain(&from_register) {
        let (path, anchor) = link.split_once('#').expect("an anchor at the event");
        assert!(path.contains("unit=YS07") && path.contains("period=2017-06"), "{link}");
        let (status, _, trace) = page(&api, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert!(trace.contains(&format!("id=\"{anchor}\"")), "{link}: the event is on the page");
    }
}

#[tokio::test]
async fn site_trace_refuses_a_token_scoped_elsewhere() {
    let api = Routed::new().await;
    for key in ["office@YS08", "person@YS07"] {
        let cookie = session(&api, key).await;
        let (status, _, refused) = page(&api, &cookie, JUNE_TRACE).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}");
        assert!(refused.contains(ZH.forbidden_title), "{key}");
        assert!(page_events(&refused).is_empty() && !refused.contains("data-line="), "{key}: nothing of YS07's");
        let (status, _, _) = call(&api, get("/downloads/bundle?unit=YS07&period=2017-06", Some(&cookie))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}");
        let (status, _) = api.api.get(key, JUNE_TRACE_API).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}: as the API refuses it");
    }
    // Its own unit YS08 reads, by default.
    let cookie = session(&api, "office@YS08").await;
    let (status, _, own) = page(&api, &cookie, "/trace?period=2017-06").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert!(own.contains("value=\"YS08\" selected") && !own.contains("value=\"YS07\""));
    // Without a session: the sign-in page, and no download.
    let (status, _, body) = call(&api, get(JUNE_TRACE, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("action=\"/sign-in\""));
    let (status, _, _) = call(&api, get("/downloads/bundle?unit=YS07&period=2017-06", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------------------------------
// The replay.

/// The ranking table of a replay page: (unit, rank, score).
fn replay_rows(page: &str) -> Vec<(String, String, String)> {
    let table = page.split("id=\"replay-ranking\"").nth(1).expect("a ranking table").split("</table>").next().unwrap();
    tagged(table, "tr", "data-unit")
        .into_iter()
        .map(|(tag, rest)| (attr(tag, "data-unit").unwrap(), cell(rest, "data-rank"), cell(rest, "data-score")))
        .collect()
}

fn api_rows(ranking: &Value) -> Vec<(String, String, String)> {
    ranking["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["unit"].as_str().unwrap().to_owned(), s["rank"].to_string(), points_text(&s["final_score"])))
        .collect()
}

/// A unit of a diff: its code, its rank after, and the events that moved it (seq, type).
type Change = (String, String, Vec<(u64, String)>);

/// The diff of a replay page: per unit, its rank after and the events that moved it.
fn page_diff(page: &str) -> Vec<Change> {
    let section = page.split("id=\"diff\"").nth(1).expect("a diff").split("</section>").next().unwrap();
    section
        .split("<tbody data-change=\"")
        .skip(1)
        .map(|change| {
            let unit = change.split('"').next().unwrap().to_owned();
            let after = change.split("data-rank=\"after\"").nth(1).expect("a standing after");
            let after = after.split_once('>').unwrap().1.split('<').next().unwrap().trim();
            let after = if after == ZH.not_ranked { String::new() } else { after.to_owned() };
            let moves = tagged(change, "li", "data-move")
                .into_iter()
                .map(|(tag, rest)| (attr(tag, "data-move").unwrap().parse().unwrap(), cell(rest, "data-event-type")))
                .collect();
            (unit, after, moves)
        })
        .collect()
}

fn api_diff(diff: &Value) -> Vec<Change> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            let rank = if change["after"].is_null() { String::new() } else { change["after"]["rank"].to_string() };
            let moves = change["moves"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["event"]["seq"].as_u64().unwrap(), m["event"]["event_type"].as_str().unwrap().to_owned()))
                .collect();
            (change["unit"].as_str().unwrap().to_owned(), rank, moves)
        })
        .collect()
}

#[tokio::test]
async fn site_replay_as_of_a_day_is_the_apis_ranking_and_its_diff_the_apis_diff() {
    let api = Routed::new().await;
    let cookie = session(&api, "assessor").await;
    // June as published on 2017-07-12, and as it stands after the appeal was decided (07-19 16:00 UTC,
    // the 20th on the ledger's clock, UTC+08:00: the story's last day, today).
    let mut shown = Vec::new();
    for day in ["2017-07-12", "2017-07-20"] {
        let path = format!("/replay?scheme=YS-2017&period=2017-06&as_of={day}");
        let (status, _, replay) = page(&api, &cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{replay}");
        let (status, ranking) =
            api.api.get("assessor", &format!("/v1/rankings?scheme=YS-2017&period=2017-06&as_of={day}")).await;
        assert_eq!(status, StatusCode::OK, "{ranking}");
        assert_eq!(replay_rows(&replay), api_rows(&ranking), "{day}");
        assert_eq!(replay_rows(&replay).len(), 12);
        let standing = ZH.as_of_event.replace("{}", &ranking["as_of_seq"].to_string());
        assert!(replay.contains(&standing), "{day}: {standing}");
        assert!(replay.contains(&format!("name=\"as_of\" value=\"{day}\"")), "{day}: the date field shows it");
        shown.push(replay_rows(&replay));
    }
    assert_ne!(shown[0], shown[1], "the appeal moved YS07 between the two days");

    // The slider runs from the scheme's first event (opened 2017-01-05) to today (the clock's day).
    let (_, _, replay) = page(&api, &cookie, "/replay?scheme=YS-2017&period=2017-06&as_of=2017-07-12").await;
    let slider = tagged(&replay, "input", "data-first")[0].0;
    assert_eq!(attr(slider, "data-first").as_deref(), Some("2017-01-05"));
    let (now, zone) = (api.api.state.service.clock().now(), api.api.state.read_models.time_zone());
    let today = kpi_ledger::domain::date::Date::of_instant(now, zone).to_string();
    assert_eq!(today, "2017-07-20", "the story's last event, on the ledger's clock");
    let days = |date: &str| {
        let (y, m, d) = (
            date[0..4].parse::<i64>().unwrap(),
            date[5..7].parse::<i64>().unwrap(),
            date[8..10].parse::<i64>().unwrap(),
        );
        kpi_ledger::domain::date::Date::new(y as i32, m as u8, d as u8).unwrap().days_since_epoch()
    };
    assert_eq!(attr(slider, "max"), Some((days(&today) - days("2017-01-05")).to_string()));
    assert_eq!(attr(slider, "value"), Some((days("2017-07-12") - days("2017-01-05")).to_string()));
    assert!(slider.contains(" hidden"), "shown by app.js only: {slider}");
    assert!(replay.contains(&format!("min=\"2017-01-05\" max=\"{today}\"")), "the date field's range");
    // Before the period had a ranking (the API ranks no one), and before the scheme was opened (the
    // API answers 404): the page says so.
    for (day, api_status) in [("2017-01-06", StatusCode::OK), ("2016-12-31", StatusCode::NOT_FOUND)] {
        let path = format!("/replay?scheme=YS-2017&period=2017-06&as_of={day}");
        let (status, _, early) = page(&api, &cookie, &path).await;
        assert_eq!(status, StatusCode::OK, "{day}");
        assert!(early.contains("id=\"replay-empty\"") && early.contains(ZH.replay_no_ranking), "{day}");
        let (status, ranking) =
            api.api.get("assessor", &format!("/v1/rankings?scheme=YS-2017&period=2017-06&as_of={day}")).await;
        assert_eq!(status, api_status, "{day}: {ranking}");
        assert!(ranking["standings"].as_array().is_none_or(Vec::is_empty), "{day}: {ranking}");
    }

    // The diff between the two days is the API's: who changed, how they stand after, and the events.
    let path = "/replay?scheme=YS-2017&period=2017-06&as_of=2017-07-20&from=2017-07-12";
    let (status, _, replay) = page(&api, &cookie, path).await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    let (status, diff) =
        api.api.get("assessor", "/v1/rankings/diff?scheme=YS-2017&period=2017-06&from=2017-07-12&to=2017-07-20").await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let expected = api_diff(&diff);
    assert!(expected.iter().any(|(unit, _, moves)| unit == "YS07" && !moves.is_empty()), "{diff}");
    assert_eq!(page_diff(&replay), expected);
    let section = tagged(&replay, "section", "data-from-seq")[0].0;
    assert_eq!(attr(section, "data-from-seq"), Some(diff["from_seq"].to_string()));
    assert_eq!(attr(section, "data-to-seq"), Some(diff["to_seq"].to_string()));
    assert!(replay.contains("class=\"changed\" data-unit=\"YS07\""), "YS07's row is marked as changed");
    // Each move names its time and actor, and links to the trace at the event.
    let decision = &diff["changes"].as_array().unwrap().iter().find(|c| c["unit"] == "YS07").unwrap()["moves"][0];
    assert!(replay.contains(decision["event"]["actor_id"].as_str().unwrap()), "the actor is named");
    let seq = decision["event"]["seq"].as_u64().unwrap();
    assert!(links(&replay, "/trace?").iter().any(|link| link.ends_with(&format!("#event-{seq}"))));
}

#[tokio::test]
async fn site_replay_refuses_what_the_token_may_not_read() {
    let api = Routed::new().await;
    // A county's office reads its group's ranking, not what moved each member.
    let cookie = session(&api, "office@YS07").await;
    let (status, _, replay) = page(&api, &cookie, "/replay?scheme=YS-2017&period=2017-06&as_of=2017-07-12").await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    assert_eq!(replay_rows(&replay).len(), 12);
    assert!(!replay.contains("name=\"from\"") && replay.contains(ZH.diff_readers_only), "no second day offered");
    let path = "/replay?scheme=YS-2017&period=2017-06&as_of=2017-07-20&from=2017-07-12";
    let (status, _, refused) = page(&api, &cookie, path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains(ZH.forbidden_title) && !refused.contains("id=\"diff\""));
    let (status, _) =
        api.api.get("office@YS07", "/v1/rankings/diff?scheme=YS-2017&period=2017-06&from=2017-07-12").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "as the API refuses it");
    // A person reads no ranking.
    let cookie = session(&api, "person@YS07").await;
    let (status, _, refused) = page(&api, &cookie, "/replay?scheme=YS-2017&period=2017-06").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains(ZH.forbidden_title) && !refused.contains("replay-ranking"));
    // A malformed day is named.
    let cookie = session(&api, "assessor").await;
    let (status, _, bad) = page(&api, &cookie, "/replay?scheme=YS-2017&period=2017-06&from=2017-13-45").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("from"));
}

#[tokio::test]
async fn site_trace_and_replay_carry_the_policy_the_navigation_and_no_inline_script() {
    let api = Routed::new().await;
    let cookie = session(&api, "assessor").await;
    let pages = [
        ("/trace?unit=YS07&period=2017-06", "/trace"),
        ("/replay?scheme=YS-2017&period=2017-06&as_of=2017-07-20&from=2017-07-12", "/replay"),
    ];
    for (path, current) in pages {
        let (status, headers, shown) = page(&api, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], kpi_ledger::site::CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert_no_inline_script(path, &shown);
        for href in ["/", "/register", "/audit", "/trace", "/replay"] {
            assert!(shown.contains(&format!("<a href=\"{href}\"")), "{path}: the bar links {href}");
        }
        let marked: Vec<&str> = ["/", "/register", "/audit", "/trace", "/replay"]
            .into_iter()
            .filter(|href| shown.contains(&format!("<a href=\"{href}\" aria-current=\"page\"")))
            .collect();
        assert_eq!(marked, vec![current], "{path}");
    }
    // The bar of the other pages links the two as well.
    let (_, _, overview) = page(&api, &cookie, "/").await;
    assert!(overview.contains(&format!("<a href=\"/trace\">{}</a>", ZH.nav_trace)));
    assert!(overview.contains(&format!("<a href=\"/replay\">{}</a>", ZH.nav_replay)));
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

#[tokio::test]
async fn site_trace_in_the_browser_follows_a_lost_point_to_its_proven_events() {
    let Some(browser) = Browser::open("site_trace").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    browser.goto(&format!("{}/unit?unit=YS07&period=2017-06", site.base)).await;
    browser.loaded().await;
    browser.click_through("#lost a.trace-link").await;
    assert_eq!(browser.status().await, 200);
    let url = browser.client.current_url().await;
    assert!(url.contains("/trace?unit=YS07") && url.contains("#event-"), "{url}");
    assert_eq!(browser.text_of("h1").await, ZH.trace_title);
    let anchor = url.split('#').nth(1).unwrap().to_owned();
    let target = browser.js(&format!("return !!document.getElementById('{anchor}')")).await;
    assert_eq!(target, json!(true), "the event the link named is on the page");
    let proofs = browser
        .js("return Array.from(document.querySelectorAll('tr[data-seq]')).map(function (r) { return r.dataset.proof; })")
        .await;
    let proofs = proofs.as_array().unwrap();
    assert!(proofs.len() >= 5 && proofs.iter().all(|proof| proof == "ok"), "{proofs:?}");
    assert_eq!(browser.js("return document.getElementById('reconciled').dataset.reconciled").await, json!("true"));
    assert!(browser.text_of("#proof-summary").await.contains(ZH.events_verified));
    let nav = browser
        .js("return Array.from(document.querySelectorAll('nav.site-nav a[aria-current=page]')).map(function (a) { return a.textContent; })")
        .await;
    assert_eq!(nav, json!([ZH.nav_trace]));
    assert!(browser.text_of("#bundle pre").await.contains("kpi-verify bundle"));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

#[tokio::test]
async fn site_replay_in_the_browser_moves_the_slider_to_a_day() {
    let Some(browser) = Browser::open("site_replay").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("assessor")).await;
    browser.click_through("nav.site-nav a[href='/replay']").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1").await, ZH.replay_title);
    // Choose June, then compare with the day it was published.
    browser.goto(&format!("{}/replay?scheme=YS-2017&period=2017-06&from=2017-07-12", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.js("return document.getElementById('replay-slider').hidden").await, json!(false));
    // Moving the slider writes the day into the date field; letting go shows that day.
    let before = browser.client.current_url().await;
    browser
        .js("var s = document.getElementById('replay-slider');
             s.value = String((Date.UTC(2017, 6, 12) - Date.UTC(2017, 0, 5)) / 86400000);
             s.dispatchEvent(new Event('input')); return true;")
        .await;
    let day = browser.js("return document.querySelector('input[name=as_of]').value").await;
    assert_eq!(day, json!("2017-07-12"), "the slider's day, counted from the scheme's first (2017-01-05)");
    browser.js("document.getElementById('replay-slider').dispatchEvent(new Event('change')); return true;").await;
    browser.wait_to_leave(&before).await;
    let url = browser.client.current_url().await;
    assert!(url.contains("as_of=2017-07-12"), "{url}");
    let (_, ranking) = site.api.get("assessor", "/v1/rankings?scheme=YS-2017&period=2017-06&as_of=2017-07-12").await;
    let units = browser
        .js("return Array.from(document.querySelectorAll('#replay-ranking tbody tr')).map(function (r) { return r.dataset.unit; })")
        .await;
    let expected: Vec<Value> = ranking["standings"].as_array().unwrap().iter().map(|s| s["unit"].clone()).collect();
    assert_eq!(units, json!(expected), "the ranking as it stood that day");
    // Back to today, compared with that day: the diff shows YS07 and the decision that moved it.
    browser.goto(&format!("{}/replay?scheme=YS-2017&period=2017-06&from=2017-07-12", site.base)).await;
    browser.loaded().await;
    let changed = browser
        .js("return Array.from(document.querySelectorAll('#diff tbody[data-change]')).map(function (b) { return b.dataset.change; })")
        .await;
    assert!(changed.as_array().unwrap().contains(&json!("YS07")), "{changed}");
    assert!(browser.text_of("#diff").await.contains("AppealDecided"));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}
