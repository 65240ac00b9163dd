//! The site's appeals page (申诉), the first page that records. Through the router (`oneshot`): an
//! appellant files an appeal against a deduction through the form — the head moves by exactly one
//! `AppealFiled` carrying the appellant token's actor and the grounds typed, and `/v1/my-appeals` lists
//! it —; the same form sent twice records once; a POST without the session's CSRF token, or with
//! another, is refused (403) with the ledger unchanged; bad input (empty grounds, an unknown or
//! malformed deduction, a partial amount that is no amount) is answered 4xx with the field the domain
//! names shown beside the form, the ledger unchanged; a reviewer decides through the queue's form (the
//! decision carries the reviewer's actor) and an appellant's token posting a decision is refused
//! (403); an appellant escalates a dismissed appeal and the committee decides it from its queue; the
//! links to the form from the register and the trace are drawn only for a role that files.
//! Evidence: a multipart filing with a PDF and a PNG stores both (an empty file input is no file) and
//! records one `AppealFiled` citing their blake3 digests, the appeal's card links them and the
//! appellant downloads them; a decision and an escalation carry theirs alike; a multipart form
//! without the CSRF token stores and records nothing (403); a refused file (a type not allowed, bytes
//! not of the declared type) or six files are refused naming `evidence`, nothing recorded; a body over
//! the limit is answered 413 with a page. A form decides in one of the places API commands decide in
//! (it waits while all are taken). Targets: an appeal against a tier award and one against a
//! cause attribution are filed through the form, malformed ids named by their field, and the trace
//! links a filer (not an auditor) to the form from a tier shortfall and a standing attribution.
//! In headless Chromium: an appellant follows the register's link, files and sees the notice
//! (`site_appeals.png`); a reviewer decides from the queue (`site_appeal_queue.png`); an appellant
//! chooses a file and files with it, and the appeal shows its evidence (`site_appeal_evidence.png`).

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use kpi_ledger::domain::{Actor, Command, Role, UnitCode};
use kpi_ledger::limits::{SITE_EVIDENCE_FILES_MAX, SITE_FORM_BYTES_MAX, SITE_UPLOAD_BYTES_MAX};
use kpi_ledger::service::documents::Documents;
use kpi_ledger::service::CommandOptions;
use kpi_ledger::site::request::percent_encode;
use kpi_ledger::site::text::ZH;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};

use crate::http_api::Api;
use crate::site::{call, get, post_form, session_cookie, Browser, Routed, Site};

// ---------------------------------------------------------------------------------------------------
// Helpers.

/// A July deduction against YS07 (July is open: no appeal window has closed on it), as the city's
/// assessor records it; its id.
fn july_deduction_payload() -> Value {
    json!({"scheme": "YS-2017", "period": "2017-07", "unit": "YS07", "indicator": "ZGU-03", "points": 50,
           "reason": "税务登记信息错漏 (errors in taxpayer registration data)",
           "problem_category": "registration_data_quality"})
}

async fn july_deduction(api: &Routed) -> String {
    let (status, _, body) = api.api.post("assessor", "/v1/deductions", &july_deduction_payload()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["created_id"].as_str().unwrap().to_owned()
}

/// As `july_deduction`, straight through the service (for a site served from a prepared ledger).
fn july_deduction_on(api: &Api) -> String {
    let assessor = Actor { id: "assessor-ys".to_owned(), role: Role::Assessor, unit: UnitCode::new("YS").unwrap() };
    let command = Command::from_payload("RecordDeduction", &july_deduction_payload()).unwrap();
    let executed = api.state.service.execute(assessor, &command, CommandOptions::default()).unwrap();
    executed.created_id.unwrap().to_string()
}

async fn page(api: &Routed, cookie: &str, path: &str) -> (StatusCode, String) {
    let (status, _, body) = call(api, get(path, Some(cookie))).await;
    (status, String::from_utf8(body).expect("pages are UTF-8"))
}

async fn post(api: &Routed, cookie: Option<&str>, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let form: Vec<String> = fields.iter().map(|(name, value)| format!("{name}={}", percent_encode(value))).collect();
    let (status, headers, body) = call(api, post_form(path, cookie, &form.join("&"))).await;
    let location = headers.get(header::LOCATION).map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, String::from_utf8(body).unwrap())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
}

/// The value of the first `name="…"` input after `after` on the page.
fn input_after(page: &str, after: &str, name: &str) -> String {
    let start = page.find(after).unwrap_or_else(|| panic!("no {after} on the page"));
    let marker = format!("name=\"{name}\" value=\"");
    let at = page[start..].find(&marker).unwrap_or_else(|| panic!("no {name} input after {after}")) + marker.len();
    unescape(page[start + at..].split('"').next().unwrap())
}

/// The refusal shown beside a form: the field it names and its text.
fn form_error(page: &str) -> (String, String) {
    let marker = "role=\"alert\" data-field=\"";
    let at = page.find(marker).unwrap_or_else(|| panic!("no refusal on the page:\n{page}")) + marker.len();
    let field = page[at..].split('"').next().unwrap().to_owned();
    let text = page[at..].split('>').nth(1).unwrap().split('<').next().unwrap();
    (field, unescape(text))
}

/// The event at `seq`, as the API's `/v1/events` gives it.
async fn event_at(api: &Routed, seq: u64) -> Value {
    let (status, page) = api.api.get("auditor", &format!("/v1/events?from={seq}&limit=1")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["events"][0]["body"].clone()
}

/// The session cookie and the appeals page's CSRF token and filing key of `token_key`'s reader.
async fn file_form(api: &Routed, token_key: &str, deduction: &str) -> (String, String, String) {
    let cookie = session_cookie(api, &api.api.tokens[token_key].clone()).await;
    let (status, body) = page(api, &cookie, &format!("/appeals?deduction={deduction}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(input_after(&body, "id=\"file-appeal\"", "deduction"), deduction, "the deduction is preselected");
    let csrf = input_after(&body, "id=\"file-appeal\"", "csrf");
    let key = input_after(&body, "id=\"file-appeal\"", "key");
    (cookie, csrf, key)
}

// ---------------------------------------------------------------------------------------------------
// Filing.

#[tokio::test]
async fn site_appeals_an_appellant_files_through_the_form_and_a_second_submit_records_nothing() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let grounds = "登记信息已于7月3日更正 (corrected on 07-03)\n附更正记录";
    // A browser sends a text area's line breaks as CR LF; the ledger keeps line feeds.
    let sent = grounds.replace('\n', "\r\n");
    let fields = [("csrf", csrf.as_str()), ("key", key.as_str()), ("deduction", &deduction), ("grounds", &sent)];

    let before = api.api.head();
    let (status, location, _) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(api.api.head(), before + 1, "exactly one event");
    assert_eq!(location, format!("/appeals?recorded={}", before + 1), "the notice names the event");
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealFiled"), "{event}");
    assert_eq!(event["actor"]["id"], "appellant-ys07", "the actor is the token's: {event}");
    assert_eq!(event["data"]["grounds"].as_str(), Some(grounds), "{event}");
    assert_eq!(event["data"]["target"]["deduction_id"].as_str(), Some(deduction.as_str()), "{event}");

    // The same form again (a double click, a reload): the same answer, nothing new.
    let (status, again, _) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert_eq!((status, again), (StatusCode::SEE_OTHER, location.clone()));
    assert_eq!(api.api.head(), before + 1, "a second submit records nothing");

    let (status, mine) = api.api.get("appellant@YS07", "/v1/my-appeals").await;
    assert_eq!(status, StatusCode::OK);
    let filed: Vec<&Value> = mine["appeals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|appeal| appeal["target"]["deduction_id"] == deduction.as_str())
        .collect();
    assert_eq!(filed.len(), 1, "{mine}");
    assert_eq!(
        (filed[0]["status"].as_str(), filed[0]["history"][0]["grounds"].as_str()),
        (Some("open"), Some(grounds))
    );

    let (status, shown) = page(&api, &cookie, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.contains(&ZH.appeal_page.recorded.replace("{}", &(before + 1).to_string())), "the notice");
    assert!(shown.contains(grounds), "my appeals list the new one");
    assert!(shown.contains("href=\"/appeals\" aria-current=\"page\""), "the bar marks the page");
    assert!(
        shown.contains(&format!("data-appeal=\"{}\" data-status=\"open\"", filed[0]["appeal_id"].as_str().unwrap()))
    );
}

#[tokio::test]
async fn site_appeals_a_form_decides_in_one_of_the_places_api_commands_decide_in() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let fields = [("csrf", csrf.as_str()), ("key", key.as_str()), ("deduction", &deduction), ("grounds", "已更正")];
    let places = api.api.state.deciding.clone();
    let all = places.clone().acquire_many_owned(kpi_ledger::limits::COMMANDS_DECIDING_MAX as u32).await.unwrap();
    let before = api.api.head();
    let form = post(&api, Some(&cookie), "/appeals/file", &fields);
    tokio::pin!(form);
    let waited = tokio::time::timeout(std::time::Duration::from_millis(500), &mut form).await;
    assert!(waited.is_err(), "the form was answered while every place was taken");
    assert_eq!(api.api.head(), before, "nothing was decided while every place was taken");
    drop(all);
    let (status, location, _) = form.await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("/appeals?recorded={}", before + 1)));
}

#[tokio::test]
async fn site_appeals_a_post_without_the_sessions_csrf_token_records_nothing() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let before = api.api.head();
    let base = [("key", key.as_str()), ("deduction", deduction.as_str()), ("grounds", "理由 (grounds)")];
    let wrong = "0".repeat(64);
    for (cookie, csrf) in
        [(Some(cookie.as_str()), None), (Some(cookie.as_str()), Some(wrong.as_str())), (None, Some(csrf.as_str()))]
    {
        let mut fields = base.to_vec();
        fields.extend(csrf.map(|csrf| ("csrf", csrf)));
        let (status, _, body) = post(&api, cookie, "/appeals/file", &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains(ZH.csrf_title));
        let decision = [("appeal", uuid::Uuid::nil().to_string()), ("outcome", "upheld".to_owned())];
        let mut fields: Vec<(&str, &str)> = decision.iter().map(|(name, value)| (*name, value.as_str())).collect();
        fields.extend(csrf.map(|csrf| ("csrf", csrf)));
        let (status, _, _) = post(&api, cookie, "/appeals/decision", &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(api.api.head(), before, "nothing recorded");
    }
}

#[tokio::test]
async fn site_appeals_bad_input_is_refused_beside_the_form_naming_the_field() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let before = api.api.head();
    let unknown = uuid::Uuid::now_v7().to_string();
    for (deduction, grounds, expected_status, expected_field) in [
        (deduction.as_str(), "  ", StatusCode::BAD_REQUEST, "grounds"),
        (unknown.as_str(), "理由 (grounds)", StatusCode::UNPROCESSABLE_ENTITY, "target"),
        ("not-a-deduction", "理由 (grounds)", StatusCode::BAD_REQUEST, "target.deduction_id"),
    ] {
        let fields = [("csrf", csrf.as_str()), ("key", key.as_str()), ("deduction", deduction), ("grounds", grounds)];
        let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
        assert_eq!(status, expected_status, "{deduction} {grounds:?}: {body}");
        let (field, message) = form_error(&body);
        assert_eq!(field, expected_field, "{message}");
        assert!(message.contains(expected_field), "the message names the field: {message}");
        assert!(body.find("data-field=").unwrap() > body.find("id=\"file-appeal\"").unwrap(), "beside the form");
        assert_eq!(input_after(&body, "id=\"file-appeal\"", "deduction"), deduction, "what was typed is kept");
        assert_eq!(api.api.head(), before, "nothing recorded");
    }
    // A form without its key is refused as the API refuses a blank Idempotency-Key.
    let fields = [("csrf", csrf.as_str()), ("deduction", deduction.as_str()), ("grounds", "理由")];
    let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert_eq!((status, form_error(&body).0.as_str()), (StatusCode::BAD_REQUEST, "key"));
    assert_eq!(api.api.head(), before);
}

// ---------------------------------------------------------------------------------------------------
// Deciding.

#[tokio::test]
async fn site_appeals_a_reviewer_decides_through_the_queue_and_an_appellant_may_not() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let filing = json!({"target": {"kind": "deduction", "deduction_id": deduction}, "grounds": "已更正 (corrected)"});
    let (status, _, filed) = api.api.post("appellant@YS07", "/v1/appeals", &filing).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let appeal = filed["created_id"].as_str().unwrap().to_owned();
    let form_marker = format!("action=\"/appeals/decision\" data-appeal=\"{appeal}\"");

    // An appellant's token: no decision form on its page, and a decision it posts is refused.
    let (appellant, appellant_csrf, _) = file_form(&api, "appellant@YS07", &deduction).await;
    let (_, own) = page(&api, &appellant, "/appeals").await;
    assert!(!own.contains(&form_marker), "an appellant is offered no decision");
    let before = api.api.head();
    let upheld = [
        ("csrf", appellant_csrf.as_str()),
        ("key", "site-appellant-decides"),
        ("appeal", appeal.as_str()),
        ("outcome", "upheld"),
        ("reasoning", "自己支持自己 (self-serving)"),
    ];
    let (status, _, body) = post(&api, Some(&appellant), "/appeals/decision", &upheld).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(form_error(&body).1.contains("appellant"), "the domain's refusal names the role: {body}");
    assert_eq!(api.api.head(), before);

    // The reviewer sees the appeal in the queue with its form.
    let reviewer = session_cookie(&api, &api.api.tokens["reviewer"].clone()).await;
    let (status, queue) = page(&api, &reviewer, "/appeals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&form_marker), "a decision form for the appeal");
    assert!(!queue.contains("action=\"/appeals/file\""), "a reviewer files nothing");
    let csrf = input_after(&queue, &form_marker, "csrf");
    let key = input_after(&queue, &form_marker, "key");
    let partial = |points: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("appeal", appeal.clone()),
            ("outcome", "partial".to_owned()),
            ("points", points.to_owned()),
            ("reasoning", "部分更正 (partly corrected)".to_owned()),
        ]
    };
    let send = |fields: [(&'static str, String); 6]| {
        let api = &api;
        let reviewer = reviewer.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
            post(api, Some(&reviewer), "/appeals/decision", &fields).await
        }
    };
    // No outcome chosen, an amount that is no amount, then all that was contested: refused beside the form.
    let mut none = partial("0.25");
    none[3].1 = String::new();
    let (status, _, body) = send(none).await;
    assert_eq!((status, form_error(&body).0.as_str()), (StatusCode::BAD_REQUEST, "outcome"));
    let (status, _, body) = send(partial("一分")).await;
    assert_eq!((status, form_error(&body).0.as_str()), (StatusCode::BAD_REQUEST, "outcome.points_restored"));
    assert!(body.find("data-field=").unwrap() < body.find(&form_marker).unwrap(), "drawn just before its form");
    let (status, _, body) = send(partial("0.50")).await;
    assert!(status.is_client_error(), "{status}: all of the 0.50 contested is no partial restoration");
    assert!(!form_error(&body).0.is_empty());
    assert_eq!(api.api.head(), before);

    let (status, location, _) = send(partial("0.25")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!((api.api.head(), location), (before + 1, format!("/appeals?recorded={}", before + 1)));
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealDecided"), "{event}");
    assert_eq!(event["actor"]["id"], "reviewer-ys", "the reviewer's actor: {event}");
    assert_eq!(
        (event["data"]["verdict"].as_str(), event["data"]["points_restored"].as_i64()),
        (Some("partial"), Some(25))
    );
    let (_, decided) = api.api.get("reviewer", "/v1/appeal-queue?status=decided").await;
    let mine = decided["appeals"].as_array().unwrap().iter().find(|a| a["appeal_id"] == appeal.as_str()).unwrap();
    assert_eq!(mine["points_restored"], 25, "{mine}");
    let (_, after) = page(&api, &reviewer, &format!("/appeals?recorded={}", before + 1)).await;
    assert!(!after.contains(&form_marker), "a decided appeal leaves the queue");
    let decided_at = after.find("id=\"decided-appeals\"").expect("the decided appeals");
    assert!(
        after[decided_at..].contains(&format!("data-appeal=\"{appeal}\" data-status=\"decided\"")),
        "listed as decided"
    );
}

/// A decision the appellant does not accept goes to the committee: the appellant's page offers the
/// escalation while its window is open, the escalation carries the appellant's actor and grounds, and
/// the committee decides it from its queue; once escalated, no second escalation is offered.
#[tokio::test]
async fn site_appeals_an_appellant_escalates_and_the_committee_decides() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let filing = json!({"target": {"kind": "deduction", "deduction_id": deduction}, "grounds": "已更正 (corrected)"});
    let (status, _, filed) = api.api.post("appellant@YS07", "/v1/appeals", &filing).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let appeal = filed["created_id"].as_str().unwrap().to_owned();
    let decision = json!({"outcome": {"kind": "dismissed"}, "reasoning": "未见更正记录 (no record of it)"});
    let (status, _, body) = api.api.post("reviewer", &format!("/v1/appeals/{appeal}/decision"), &decision).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let escalation_marker = format!("action=\"/appeals/escalation\" data-appeal=\"{appeal}\"");
    let (appellant, _, _) = file_form(&api, "appellant@YS07", &deduction).await;
    let (_, own) = page(&api, &appellant, "/appeals").await;
    assert!(own.contains(&escalation_marker), "the dismissed appeal may be escalated");
    let csrf = input_after(&own, &escalation_marker, "csrf");
    let key = input_after(&own, &escalation_marker, "key");
    let grounds = "更正记录附后，请考评委员会复议 (the record is attached)";
    let fields = [("csrf", csrf.as_str()), ("key", key.as_str()), ("appeal", appeal.as_str()), ("grounds", grounds)];
    // Without grounds: refused beside the form, nothing recorded.
    let before = api.api.head();
    let blank = [("csrf", csrf.as_str()), ("key", key.as_str()), ("appeal", appeal.as_str()), ("grounds", " ")];
    let (status, _, body) = post(&api, Some(&appellant), "/appeals/escalation", &blank).await;
    assert_eq!((status, form_error(&body).0.as_str()), (StatusCode::BAD_REQUEST, "grounds"));
    assert_eq!(api.api.head(), before);

    let (status, location, _) = post(&api, Some(&appellant), "/appeals/escalation", &fields).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("/appeals?recorded={}", before + 1)));
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealEscalated"), "{event}");
    assert_eq!(event["actor"]["id"], "appellant-ys07", "{event}");
    assert_eq!(event["data"]["grounds"].as_str(), Some(grounds), "{event}");
    let (_, own) = page(&api, &appellant, "/appeals").await;
    assert!(!own.contains(&escalation_marker), "escalated once, not offered again");

    // The committee decides the escalated appeal from its queue.
    let decide_marker = format!("action=\"/appeals/decision\" data-appeal=\"{appeal}\"");
    let committee = session_cookie(&api, &api.api.tokens["committee"].clone()).await;
    let (status, queue) = page(&api, &committee, "/appeals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&decide_marker), "the escalated appeal waits in the committee's queue");
    let csrf = input_after(&queue, &decide_marker, "csrf");
    let key = input_after(&queue, &decide_marker, "key");
    let upheld = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("appeal", appeal.as_str()),
        ("outcome", "upheld"),
        ("reasoning", "更正记录属实 (the record holds)"),
    ];
    let (status, _, body) = post(&api, Some(&committee), "/appeals/decision", &upheld).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let event = event_at(&api, before + 2).await;
    assert_eq!(event["type"].as_str(), Some("AppealDecided"), "{event}");
    assert_eq!(event["actor"]["role"], "committee", "{event}");
    assert_eq!(event["data"]["stage"].as_str(), Some("escalated"), "{event}");
}

/// An appellant withdraws its unit's waiting appeal through the form beside it; the withdrawal
/// carries the appellant's actor and the appeal leaves the queue.
#[tokio::test]
async fn site_appeals_an_appellant_withdraws_a_waiting_appeal() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let filing = json!({"target": {"kind": "deduction", "deduction_id": deduction}, "grounds": "已更正 (corrected)"});
    let (status, _, filed) = api.api.post("appellant@YS07", "/v1/appeals", &filing).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let appeal = filed["created_id"].as_str().unwrap().to_owned();
    let (cookie, _, _) = file_form(&api, "appellant@YS07", &deduction).await;
    let (_, shown) = page(&api, &cookie, "/appeals").await;
    let form_marker = format!("action=\"/appeals/withdrawal\" data-appeal=\"{appeal}\"");
    let (csrf, key) = (input_after(&shown, &form_marker, "csrf"), input_after(&shown, &form_marker, "key"));
    let before = api.api.head();
    let fields =
        [("csrf", csrf.as_str()), ("key", key.as_str()), ("appeal", appeal.as_str()), ("reason", "已协商解决")];
    let (status, location, _) = post(&api, Some(&cookie), "/appeals/withdrawal", &fields).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, format!("/appeals?recorded={}", before + 1)));
    let event = event_at(&api, before + 1).await;
    assert_eq!(
        (event["type"].as_str(), event["actor"]["id"].as_str()),
        (Some("AppealWithdrawn"), Some("appellant-ys07"))
    );
    let (_, after) = page(&api, &cookie, "/appeals").await;
    assert!(after.contains(&format!("data-appeal=\"{appeal}\" data-status=\"withdrawn\"")));
    assert!(!after.contains(&form_marker), "nothing left to withdraw");
}

/// The links to the filing form beside deductions are drawn for a role that files, and no other.
#[tokio::test]
async fn site_appeals_the_register_and_the_trace_link_a_filer_to_the_form() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let link = format!("href=\"/appeals?deduction={deduction}\"");
    let appellant = session_cookie(&api, &api.api.tokens["appellant@YS07"].clone()).await;
    let office = session_cookie(&api, &api.api.tokens["office@YS07"].clone()).await;
    for path in ["/register?unit=YS07&period=2017-07", "/trace?unit=YS07&period=2017-07"] {
        let (status, shown) = page(&api, &appellant, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(shown.contains(&link), "{path}: the appellant is led to the form");
        let (status, shown) = page(&api, &office, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!shown.contains("class=\"appeal-link\""), "{path}: an office files no appeal");
    }
    let (status, shown) = page(&api, &office, "/appeals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.contains(ZH.appeal_page.intro_reader) && !shown.contains("<form class=\"record"), "read only");
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

#[tokio::test]
async fn site_appeals_filed_and_decided_in_the_browser() {
    let Some(browser) = Browser::open("site_appeals").await else { return };
    let made = Arc::new(Mutex::new(String::new()));
    let holder = made.clone();
    let site = Site::start(move |api| *holder.lock().unwrap() = july_deduction_on(api)).await;
    let deduction = made.lock().unwrap().clone();

    browser.sign_in(&site.base, site.token("appellant@YS07")).await;
    browser.goto(&format!("{}/register?unit=YS07&period=2017-07", site.base)).await;
    browser.loaded().await;
    browser.click_through(&format!("a.appeal-link[href='/appeals?deduction={deduction}']")).await;
    assert_eq!(browser.text_of("h1").await, ZH.appeal_page.title);
    let preselected = browser.js("return document.querySelector('#deduction').value").await;
    assert_eq!(preselected, json!(deduction));
    let grounds = "登记信息已于7月3日更正，附更正记录";
    browser.client.find("#grounds").await.send_keys(grounds).await;
    let before = site.api.head();
    browser.click_through("form[action='/appeals/file'] button[type=submit]").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(site.api.head(), before + 1);
    let notice = browser.text_of("#recorded").await;
    assert_eq!(notice, ZH.appeal_page.recorded.replace("{}", &(before + 1).to_string()));
    assert!(browser.text_of("#my-appeals").await.contains(grounds));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;

    let Some(browser) = Browser::open("site_appeal_queue").await else { return };
    browser.sign_in(&site.base, site.token("reviewer")).await;
    browser.goto(&format!("{}/appeals", site.base)).await;
    browser.loaded().await;
    let form = "#appeal-queue form.decide";
    assert_eq!(browser.js(&format!("return document.querySelectorAll('{form}').length")).await, json!(1));
    assert!(browser.text_of("#appeal-queue").await.contains(grounds));
    browser
        .js(&format!("document.querySelector('{form} select[name=outcome]').value = 'dismissed'; return true"))
        .await;
    browser.client.find(&format!("{form} textarea[name=reasoning]")).await.send_keys("更正晚于检查日，维持扣分").await;
    browser.click_through(&format!("{form} button[type=submit]")).await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(site.api.head(), before + 2);
    assert_eq!(browser.text_of("#recorded").await, ZH.appeal_page.recorded.replace("{}", &(before + 2).to_string()));
    assert!(browser.text_of("#appeal-queue").await.contains(ZH.appeal_page.no_queue), "nothing waits any more");
    assert!(browser.text_of("#decided-appeals").await.contains("更正晚于检查日，维持扣分"), "the decision is listed");
    browser.assert_clean().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}

// ---------------------------------------------------------------------------------------------------
// Evidence.

/// A small PNG (one pixel), as a browser sends a screenshot.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

/// A small PDF whose text is `note` (distinct notes, distinct digests).
fn pdf(note: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog /Title ({note}) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

/// The blake3 digest the ledger cites a document by.
fn digest(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// How many documents the ledger's directory holds.
fn stored(api: &Routed) -> usize {
    Documents::of(&api.api.state.service).stored().unwrap()
}

/// One part of a multipart form: a text field, or a file of the `evidence` input (its name, its
/// declared type, its bytes).
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

const BOUNDARY: &str = "kpi-ledger-test-boundary-2f9c";

/// A `multipart/form-data` body as a browser sends it.
fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(file_name, content_type, bytes) => {
                let head = format!(
                    "Content-Disposition: form-data; name=\"evidence\"; filename=\"{file_name}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n"
                );
                body.extend_from_slice(head.as_bytes());
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart body; the status, the redirect's location and the page.
async fn send_multipart(api: &Routed, cookie: Option<&str>, path: &str, body: Vec<u8>) -> (StatusCode, String, String) {
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let (status, headers, body) = call(api, request.body(Body::from(body)).unwrap()).await;
    let location = headers.get(header::LOCATION).map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, String::from_utf8(body).unwrap())
}

async fn post_multipart(
    api: &Routed,
    cookie: Option<&str>,
    path: &str,
    parts: &[Part<'_>],
) -> (StatusCode, String, String) {
    send_multipart(api, cookie, path, multipart(parts)).await
}

/// The card of appeal `appeal` on a page.
fn card<'p>(page: &'p str, appeal: &str) -> &'p str {
    let start = page
        .find(&format!("<article class=\"appeal\" data-appeal=\"{appeal}\""))
        .unwrap_or_else(|| panic!("no card of {appeal} on the page"));
    let end = page[start..].find("</article>").unwrap() + start;
    &page[start..end]
}

/// The filing form's text fields for an appeal against `deduction`.
fn filing<'a>(csrf: &'a str, key: &'a str, deduction: &'a str, grounds: &'a str) -> Vec<Part<'a>> {
    vec![
        Part::Text("csrf", csrf),
        Part::Text("key", key),
        Part::Text("target", "deduction"),
        Part::Text("deduction", deduction),
        Part::Text("tier_award", ""),
        Part::Text("attribution", ""),
        Part::Text("grounds", grounds),
    ]
}

#[tokio::test]
async fn site_appeals_a_filing_with_files_stores_them_and_cites_their_digests() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let (_, form) = page(&api, &cookie, &format!("/appeals?deduction={deduction}")).await;
    let section = &form[form.find("id=\"file-appeal\"").unwrap()..];
    assert!(section.contains("action=\"/appeals/file\" enctype=\"multipart/form-data\""), "{section}");
    assert!(
        section.contains("type=\"file\" name=\"evidence\" multiple accept=\"application/pdf,image/png,image/jpeg,"),
        "a file input taking the allowed types: {section}"
    );

    let grounds = "更正记录见附件 (the corrected record is attached)";
    let scan = pdf("corrected register");
    let mut parts = filing(&csrf, &key, &deduction, grounds);
    parts.push(Part::File("corrected.pdf", "application/pdf", &scan));
    parts.push(Part::File("screenshot.png", "image/png", PNG));
    // A file input left empty: a browser sends a part with no file name and no bytes.
    parts.push(Part::File("", "application/octet-stream", b""));
    let (documents, before) = (stored(&api), api.api.head());
    let (status, location, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!((api.api.head(), location.clone()), (before + 1, format!("/appeals?recorded={}", before + 1)));
    assert_eq!(stored(&api), documents + 2, "both files are stored; the empty input is no file");
    let cited = json!([digest(&scan), digest(PNG)]);
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealFiled"), "{event}");
    assert_eq!(event["actor"]["id"], "appellant-ys07", "{event}");
    assert_eq!(event["data"]["evidence_digests"], cited, "{event}");
    assert_eq!(event["data"]["grounds"].as_str(), Some(grounds), "{event}");

    let (_, mine) = api.api.get("appellant@YS07", "/v1/my-appeals").await;
    let filed = mine["appeals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|appeal| appeal["target"]["deduction_id"] == deduction.as_str())
        .unwrap_or_else(|| panic!("{mine}"))
        .clone();
    assert_eq!(filed["history"][0]["evidence_digests"], cited, "{filed}");
    let appeal = filed["appeal_id"].as_str().unwrap();

    // The same form again: the same files, the same answer, nothing new.
    let (status, again, _) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!((status, again), (StatusCode::SEE_OTHER, location.clone()));
    assert_eq!((api.api.head(), stored(&api)), (before + 1, documents + 2));

    // The appeal's card links each document; the appellant downloads them, another county may not.
    let (_, shown) = page(&api, &cookie, &location).await;
    let shown_card = card(&shown, appeal);
    for digest in [digest(&scan), digest(PNG)] {
        assert!(shown_card.contains(&format!("href=\"/downloads/document/{digest}\"")), "{shown_card}");
    }
    assert!(shown_card.contains("data-step=\"filed\""), "{shown_card}");
    let download = format!("/downloads/document/{}", digest(&scan));
    let (status, headers, bytes) = call(&api, get(&download, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(bytes, scan, "the document as it was sent");
    let other = session_cookie(&api, &api.api.tokens["appellant@YS08"].clone()).await;
    let (status, _, _) = call(&api, get(&download, Some(&other))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "answered as if it were not there");
}

#[tokio::test]
async fn site_appeals_a_multipart_form_without_the_csrf_token_stores_and_records_nothing() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let scan = pdf("never stored");
    let (documents, before) = (stored(&api), api.api.head());
    let wrong = "0".repeat(64);
    for (cookie, csrf) in
        [(Some(cookie.as_str()), None), (Some(cookie.as_str()), Some(wrong.as_str())), (None, Some(csrf.as_str()))]
    {
        for (path, target) in [
            ("/appeals/file", ("deduction", deduction.as_str())),
            ("/appeals/decision", ("appeal", "00000000-0000-0000-0000-000000000000")),
            ("/appeals/escalation", ("appeal", "00000000-0000-0000-0000-000000000000")),
        ] {
            let mut parts = vec![
                Part::Text("key", &key),
                Part::Text(target.0, target.1),
                Part::Text("grounds", "理由 (grounds)"),
                Part::Text("outcome", "dismissed"),
                Part::Text("reasoning", "理由 (reasons)"),
            ];
            parts.extend(csrf.map(|csrf| Part::Text("csrf", csrf)));
            parts.push(Part::File("scan.pdf", "application/pdf", &scan));
            let (status, _, body) = post_multipart(&api, cookie, path, &parts).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert!(body.contains(ZH.csrf_title), "{path}");
            assert_eq!(stored(&api), documents, "{path}: no document stored");
            assert_eq!(api.api.head(), before, "{path}: nothing recorded");
        }
    }
    // The same form with the session's token stores its file and records.
    files_and_records(&api, (&cookie, &csrf, &key), &deduction, &scan, (documents, before)).await;
}

/// Files an appeal against `deduction` with the PDF `scan` through the form of a session (`cookie`,
/// its CSRF token, the form's key), and checks it stored one document and recorded one event more
/// than `(documents, head)`.
async fn files_and_records(
    api: &Routed,
    (cookie, csrf, key): (&str, &str, &str),
    deduction: &str,
    scan: &[u8],
    (documents, head): (usize, u64),
) {
    let mut parts = filing(csrf, key, deduction, "理由 (grounds)");
    parts.push(Part::File("scan.pdf", "application/pdf", scan));
    let (status, _, body) = post_multipart(api, Some(cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!((stored(api), api.api.head()), (documents + 1, head + 1));
}

#[tokio::test]
async fn site_appeals_a_refused_file_is_named_beside_the_form_and_nothing_is_recorded() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let (documents, before) = (stored(&api), api.api.head());
    let grounds = "理由见附件 (see the attachment)";
    for (name, content_type, bytes, expected) in [
        ("setup.exe", "application/x-msdownload", &b"MZ\x90\0\x03\0\0\0\x04\0"[..], StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("scan.pdf", "application/pdf", &b"not a PDF at all"[..], StatusCode::BAD_REQUEST),
    ] {
        let mut parts = filing(&csrf, &key, &deduction, grounds);
        parts.push(Part::File(name, content_type, bytes));
        let (status, _, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
        assert_eq!(status, expected, "{name}: {body}");
        let (field, message) = form_error(&body);
        assert_eq!(field, "evidence", "{message}");
        assert!(
            message.contains("evidence") && message.contains(name),
            "the message names the field and file: {message}"
        );
        assert!(body.find("data-field=").unwrap() > body.find("id=\"file-appeal\"").unwrap(), "beside the form");
        assert_eq!(input_after(&body, "id=\"file-appeal\"", "deduction"), deduction, "what was typed is kept");
        assert!(body.contains(grounds), "the grounds typed are kept");
        assert!(body.contains(ZH.appeal_page.evidence_again), "the form says its files were not kept");
        assert_eq!(stored(&api), documents, "{name}: nothing stored");
        assert_eq!(api.api.head(), before, "{name}: nothing recorded");
    }
}

#[tokio::test]
async fn site_appeals_more_files_than_a_form_may_carry_are_refused() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let scans: Vec<Vec<u8>> = (0..=SITE_EVIDENCE_FILES_MAX).map(|page| pdf(&format!("page {page}"))).collect();
    assert_eq!(scans.len(), 6);
    let (documents, before) = (stored(&api), api.api.head());
    let mut parts = filing(&csrf, &key, &deduction, "理由 (grounds)");
    parts.extend(scans.iter().map(|scan| Part::File("page.pdf", "application/pdf", scan)));
    let (status, _, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (field, message) = form_error(&body);
    assert_eq!(field, "evidence", "{message}");
    assert!(message.contains(&format!("at most {SITE_EVIDENCE_FILES_MAX} files")), "{message}");
    assert_eq!((stored(&api), api.api.head()), (documents, before), "nothing stored, nothing recorded");

    // Five are carried.
    parts.pop();
    let (status, _, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!((stored(&api), api.api.head()), (documents + 5, before + 1));
    let event = event_at(&api, before + 1).await;
    let cited: Vec<String> = scans[..5].iter().map(|scan| digest(scan)).collect();
    assert_eq!(event["data"]["evidence_digests"], json!(cited), "{event}");
}

#[tokio::test]
async fn site_appeals_a_body_over_the_limit_is_answered_with_a_page() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let (cookie, csrf, key) = file_form(&api, "appellant@YS07", &deduction).await;
    let (documents, before) = (stored(&api), api.api.head());
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(SITE_UPLOAD_BYTES_MAX + 1, b' ');
    let mut parts = filing(&csrf, &key, &deduction, "理由 (grounds)");
    parts.push(Part::File("huge.pdf", "application/pdf", &huge));
    let (status, _, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("<h1>") && body.contains(ZH.appeal_page.too_large_title), "a page, not a bare text: {body}");
    assert_eq!((stored(&api), api.api.head()), (documents, before));

    // An urlencoded form to the same route keeps the limit of every other form.
    let long = "理".repeat(SITE_FORM_BYTES_MAX);
    let fields = [("csrf", csrf.as_str()), ("key", key.as_str()), ("deduction", &deduction), ("grounds", &long)];
    let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains(ZH.appeal_page.too_large_title));
    assert_eq!(api.api.head(), before);

    // A form with a file of a megabyte (far over the limit of the forms without files) is read.
    let mut scan = pdf("a long scan");
    scan.resize(1024 * 1024, b' ');
    files_and_records(&api, (&cookie, &csrf, &key), &deduction, &scan, (documents, before)).await;
}

/// A decision and an escalation carry their own evidence; the appeal's card lists each by its step.
#[tokio::test]
async fn site_appeals_a_decision_and_an_escalation_carry_their_evidence() {
    let api = Routed::new().await;
    let deduction = july_deduction(&api).await;
    let filing = json!({"target": {"kind": "deduction", "deduction_id": deduction}, "grounds": "已更正 (corrected)"});
    let (status, _, filed) = api.api.post("appellant@YS07", "/v1/appeals", &filing).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let appeal = filed["created_id"].as_str().unwrap().to_owned();

    let reviewer = session_cookie(&api, &api.api.tokens["reviewer"].clone()).await;
    let (_, queue) = page(&api, &reviewer, "/appeals").await;
    let decide_marker =
        format!("action=\"/appeals/decision\" data-appeal=\"{appeal}\" enctype=\"multipart/form-data\"");
    assert!(queue.contains(&decide_marker), "the decision form carries files");
    let (csrf, key) = (input_after(&queue, &decide_marker, "csrf"), input_after(&queue, &decide_marker, "key"));
    let inspection = pdf("inspection record");
    let parts = [
        Part::Text("csrf", &csrf),
        Part::Text("key", &key),
        Part::Text("appeal", &appeal),
        Part::Text("outcome", "dismissed"),
        Part::Text("points", ""),
        Part::Text("reasoning", "检查记录在案 (the inspection record stands)"),
        Part::File("inspection.pdf", "application/pdf", &inspection),
    ];
    let before = api.api.head();
    let (status, _, body) = post_multipart(&api, Some(&reviewer), "/appeals/decision", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealDecided"), "{event}");
    assert_eq!(event["data"]["evidence_digests"], json!([digest(&inspection)]), "{event}");

    let (appellant, _, _) = file_form(&api, "appellant@YS07", &deduction).await;
    let (_, own) = page(&api, &appellant, "/appeals").await;
    let escalate_marker =
        format!("action=\"/appeals/escalation\" data-appeal=\"{appeal}\" enctype=\"multipart/form-data\"");
    assert!(own.contains(&escalate_marker), "the escalation form carries files");
    let (csrf, key) = (input_after(&own, &escalate_marker, "csrf"), input_after(&own, &escalate_marker, "key"));
    let parts = [
        Part::Text("csrf", &csrf),
        Part::Text("key", &key),
        Part::Text("appeal", &appeal),
        Part::Text("grounds", "截图显示已更正 (the screenshot shows the correction)"),
        Part::File("screenshot.png", "image/png", PNG),
    ];
    let (status, _, body) = post_multipart(&api, Some(&appellant), "/appeals/escalation", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let event = event_at(&api, before + 2).await;
    assert_eq!(event["type"].as_str(), Some("AppealEscalated"), "{event}");
    assert_eq!(event["data"]["evidence_digests"], json!([digest(PNG)]), "{event}");

    let (_, own) = page(&api, &appellant, "/appeals").await;
    let shown = card(&own, &appeal);
    for (step, digest) in [("decided", digest(&inspection)), ("escalated", digest(PNG))] {
        let at = shown.find(&format!("data-step=\"{step}\"")).unwrap_or_else(|| panic!("no {step}: {shown}"));
        let item = shown[at..].split("</li>").next().unwrap();
        assert!(item.contains(&format!("href=\"/downloads/document/{digest}\"")), "{item}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Tier awards and cause attributions.

/// The id of the story's step labelled `label` (the fact it created).
fn story_id(label: &str) -> String {
    fixture::story().iter().find(|step| step.label == label).unwrap().context.new_id.to_string()
}

/// The office attributes the story's half-year-report deduction anew (the story's attribution is
/// past its window); the event id of the attribution.
async fn attribute_anew(api: &Routed, deduction: &str) -> String {
    let attribution = json!({"deduction_id": deduction, "cause_unit": "YS07-BGS",
        "description": "办公室误将报告作为请示报送 (the office filed it as a request)"});
    let (status, _, body) = api.api.post("office@YS07", "/v1/cause-attributions", &attribution).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let event = event_at(api, body["last_seq"].as_u64().unwrap()).await;
    assert_eq!(event["type"].as_str(), Some("CauseAttributed"), "{event}");
    event["event_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn site_appeals_against_a_tier_award_and_a_cause_attribution_through_the_form() {
    let api = Routed::new().await;
    // A July revenue award for YS07 (July is open: no appeal window has closed on it).
    let award = json!({"scheme": "YS-2017", "period": "2017-07", "unit": "YS07", "indicator": "ZGU-02", "tier": 2,
                       "reason": "完成率98.2% (completion 98.2%)"});
    let (status, _, body) = api.api.post("assessor", "/v1/tier-awards", &award).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tier_award = body["created_id"].as_str().unwrap().to_owned();

    let cookie = session_cookie(&api, &api.api.tokens["appellant@YS07"].clone()).await;
    let (status, shown) = page(&api, &cookie, &format!("/appeals?tier_award={tier_award}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.contains("<option value=\"tier_award\" selected>"), "the target is preselected");
    assert_eq!(input_after(&shown, "id=\"file-appeal\"", "tier_award"), tier_award);
    let (csrf, key) =
        (input_after(&shown, "id=\"file-appeal\"", "csrf"), input_after(&shown, "id=\"file-appeal\"", "key"));
    let before = api.api.head();
    let deduction = story_id(fixture::LABEL_DEDUCTION);
    let unknown = uuid::Uuid::now_v7().to_string();
    // Malformed ids are named by their field; the story's June award is past its window (the target).
    for (target, deduction, tier_award, attribution, expected_status, expected_field) in [
        ("tier_award", "", "not-an-award", "", StatusCode::BAD_REQUEST, "target.tier_award_id"),
        (
            "cause_attribution",
            deduction.as_str(),
            "",
            "not-an-event",
            StatusCode::BAD_REQUEST,
            "target.attribution_event_id",
        ),
        ("cause_attribution", "not-a-deduction", "", unknown.as_str(), StatusCode::BAD_REQUEST, "target.deduction_id"),
        ("grievance", deduction.as_str(), "", "", StatusCode::BAD_REQUEST, "target.kind"),
    ] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("target", target),
            ("deduction", deduction),
            ("tier_award", tier_award),
            ("attribution", attribution),
            ("grounds", "理由 (grounds)"),
        ];
        let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
        assert_eq!(status, expected_status, "{target}: {body}");
        let (field, message) = form_error(&body);
        assert_eq!(field, expected_field, "{message}");
        assert!(message.contains(expected_field), "{message}");
        assert!(body.contains(&format!("<option value=\"{target}\" selected>")) || target == "grievance");
        assert!(!body.contains(ZH.appeal_page.evidence_again), "no files were sent, none were dropped");
        assert_eq!(api.api.head(), before);
    }
    let june_award = story_id("zgu02.2017-06.tier");
    let fields = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("target", "tier_award"),
        ("tier_award", june_award.as_str()),
        ("grounds", "理由 (grounds)"),
    ];
    let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert!(status.is_client_error(), "{status}: June's window closed on 07-17");
    assert_eq!(form_error(&body).0, "target");
    assert_eq!(api.api.head(), before);

    // Against the July award.
    let grounds = "完成率应为98.9%，附测算表 (98.9% by the attached sheet)";
    let fields = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("target", "tier_award"),
        ("deduction", ""),
        ("tier_award", tier_award.as_str()),
        ("attribution", ""),
        ("grounds", grounds),
    ];
    let (status, _, body) = post(&api, Some(&cookie), "/appeals/file", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealFiled"), "{event}");
    assert_eq!(event["data"]["target"], json!({"kind": "tier_award", "tier_award_id": tier_award}), "{event}");

    // Against a cause attribution, with a document.
    let attribution = attribute_anew(&api, &deduction).await;
    let (_, shown) = page(&api, &cookie, &format!("/appeals?deduction={deduction}&attribution={attribution}")).await;
    assert!(shown.contains("<option value=\"cause_attribution\" selected>"), "the target is preselected");
    assert_eq!(input_after(&shown, "id=\"file-appeal\"", "deduction"), deduction);
    assert_eq!(input_after(&shown, "id=\"file-appeal\"", "attribution"), attribution);
    let (csrf, key) =
        (input_after(&shown, "id=\"file-appeal\"", "csrf"), input_after(&shown, "id=\"file-appeal\"", "key"));
    let draft = pdf("draft by the personnel section");
    let parts = [
        Part::Text("csrf", &csrf),
        Part::Text("key", &key),
        Part::Text("target", "cause_attribution"),
        Part::Text("deduction", &deduction),
        Part::Text("tier_award", ""),
        Part::Text("attribution", &attribution),
        Part::Text("grounds", "报告由政工股起草 (the personnel section drafted it)"),
        Part::File("draft.pdf", "application/pdf", &draft),
    ];
    let before = api.api.head();
    let (status, location, body) = post_multipart(&api, Some(&cookie), "/appeals/file", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let event = event_at(&api, before + 1).await;
    assert_eq!(event["type"].as_str(), Some("AppealFiled"), "{event}");
    let target = json!({"kind": "cause_attribution", "deduction_id": deduction, "attribution_event_id": attribution});
    assert_eq!(event["data"]["target"], target, "{event}");
    assert_eq!(event["data"]["evidence_digests"], json!([digest(&draft)]), "{event}");
    let (_, mine) = page(&api, &cookie, &location).await;
    let listed = &mine[mine.find("id=\"my-appeals\"").unwrap()..];
    assert!(listed.contains(ZH.appeal_page.target_attribution) && listed.contains(ZH.appeal_page.target_tier_award));
}

/// The trace offers the form from a tier shortfall and a standing cause attribution to a role that
/// files (an appellant), to no other (an auditor); an attribution another has replaced is offered no
/// more.
#[tokio::test]
async fn site_appeals_the_trace_links_a_filer_from_a_tier_shortfall_and_an_attribution() {
    let api = Routed::new().await;
    let june_award = story_id("zgu02.2017-06.tier");
    let deduction = story_id(fixture::LABEL_DEDUCTION);
    // The trace the API answers carries the award's id on its tier shortfall line.
    let (_, traces) = api.api.get("office@YS07", "/v1/traces?unit=YS07&period=2017-06").await;
    let lines: Vec<Value> = traces["traces"][0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|indicator| indicator["lines"].as_array().unwrap().clone())
        .collect();
    assert!(
        lines.iter().any(|line| line["kind"] == "tier_shortfall" && line["tier_award_id"] == june_award.as_str()),
        "{lines:?}"
    );
    let standing = |lines: &[Value]| {
        let line = lines.iter().find(|line| line["deduction_id"] == deduction.as_str()).unwrap();
        let attribution = line["attributions"].as_array().unwrap().iter().find(|a| a["standing"] == true).unwrap();
        attribution["event"]["event_id"].as_str().unwrap().to_owned()
    };
    let story_attribution = standing(&lines);

    let appellant = session_cookie(&api, &api.api.tokens["appellant@YS07"].clone()).await;
    let auditor = session_cookie(&api, &api.api.tokens["auditor"].clone()).await;
    let path = "/trace?unit=YS07&period=2017-06";
    let tier_link = format!("href=\"/appeals?tier_award={june_award}\"");
    let attribution_link = |event: &str| format!("href=\"/appeals?deduction={deduction}&amp;attribution={event}\"");
    let (status, shown) = page(&api, &appellant, path).await;
    assert_eq!(status, StatusCode::OK);
    let line = shown.find("data-line=\"tier_shortfall\"").expect("a tier shortfall line");
    let next = shown[line + 1..].find("data-line=").map_or(shown.len(), |at| at + line + 1);
    assert!(shown[line..next].contains(&tier_link), "the tier shortfall line links to the form");
    assert!(shown.contains(&attribution_link(&story_attribution)), "the standing attribution links to the form");
    let (status, shown) = page(&api, &auditor, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!shown.contains("class=\"appeal-link\""), "an auditor files no appeal");
    assert!(!shown.contains("/appeals?tier_award=") && !shown.contains("attribution="));

    // Attributed anew: the new attribution is offered, the replaced one no more.
    let attribution = attribute_anew(&api, &deduction).await;
    let (_, shown) = page(&api, &appellant, path).await;
    assert!(shown.contains(&attribution_link(&attribution)));
    assert!(!shown.contains(&attribution_link(&story_attribution)), "a replaced attribution is not offered");

    // The link leads to the form with the award chosen.
    let (_, form) = page(&api, &appellant, &format!("/appeals?tier_award={june_award}")).await;
    assert_eq!(input_after(&form, "id=\"file-appeal\"", "tier_award"), june_award);
}

// ---------------------------------------------------------------------------------------------------
// Evidence in the browser.

#[tokio::test]
async fn site_appeals_an_appellant_files_with_a_chosen_file_in_the_browser() {
    let Some(browser) = Browser::open("site_appeal_evidence").await else { return };
    let made = Arc::new(Mutex::new(String::new()));
    let holder = made.clone();
    let site = Site::start(move |api| *holder.lock().unwrap() = july_deduction_on(api)).await;
    let deduction = made.lock().unwrap().clone();
    let scan = pdf("registration record corrected on 07-03");
    let mut file = tempfile::Builder::new().prefix("corrected-record-").suffix(".pdf").tempfile().unwrap();
    std::io::Write::write_all(&mut file, &scan).unwrap();
    let documents = Documents::of(&site.api.state.service);
    let stored_before = documents.stored().unwrap();

    browser.sign_in(&site.base, site.token("appellant@YS07")).await;
    browser.goto(&format!("{}/appeals?deduction={deduction}", site.base)).await;
    browser.loaded().await;
    let grounds = "登记信息已于7月3日更正，更正记录见附件";
    browser.client.find("#grounds").await.send_keys(grounds).await;
    let input = "#file-appeal input[type=file][name=evidence]";
    browser.client.find(input).await.send_keys(file.path().to_str().unwrap()).await;
    let chosen = browser.js(&format!("return document.querySelector('{input}').files.length")).await;
    assert_eq!(chosen, json!(1), "the browser holds the chosen file");
    let before = site.api.head();
    browser.click_through("form[action='/appeals/file'] button[type=submit]").await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(site.api.head(), before + 1);
    assert_eq!(documents.stored().unwrap(), stored_before + 1, "the file is stored");
    assert_eq!(browser.text_of("#recorded").await, ZH.appeal_page.recorded.replace("{}", &(before + 1).to_string()));
    let link = format!("#my-appeals article.appeal [data-step=filed] a[href='/downloads/document/{}']", digest(&scan));
    assert_eq!(browser.js(&format!("return document.querySelectorAll(\"{link}\").length")).await, json!(1));
    assert!(browser.text_of("#my-appeals").await.contains(grounds));
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot_whole_page().await;
    browser.close().await;
}
