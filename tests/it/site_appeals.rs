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
//! In headless Chromium: an appellant follows the register's link, files and sees the notice
//! (`site_appeals.png`); a reviewer decides from the queue (`site_appeal_queue.png`).

use std::sync::{Arc, Mutex};

use axum::http::{header, StatusCode};
use kpi_ledger::domain::{Actor, Command, Role, UnitCode};
use kpi_ledger::service::CommandOptions;
use kpi_ledger::site::request::percent_encode;
use kpi_ledger::site::text::ZH;
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
