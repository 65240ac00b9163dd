//! The people pages of the site (issue 12): a person's page (个人考核), the grade register (年度等次) and
//! the uses of results (结果运用), over the demo's ledger (YS07's 36 staff in 2016: weekly records,
//! reviews, personal indicators, grades with seven 优秀, one member erased, and a use of results whose
//! basis changed), as `demo_story.rs` records it once per run (`recorded_years`), copied for each test, with
//! a few tokens granted on top.
//!
//! Through the router (`oneshot`): each page's figures against the API's answer to the same question
//! with the same token (`/v1/persons/scorecard`, `/indicators`, `/weekly-records`, `/reviews`,
//! `/v1/individual-rankings`, `/v1/annual-grades`, `/v1/result-uses`), a `person` token opening on
//! its own page and refused another person's (403, as the API refuses it) and the register and the
//! uses, an erased person read as erased, the security headers, the navigation bar and no inline
//! script. In headless Chromium: a person signs in and opens their page (`site_person.png`), and the
//! county's committee opens the grade register (`site_grades.png`).

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use kpi_ledger::article::years::{self, staff};
use kpi_ledger::domain::{Command, Timestamp};
use kpi_ledger::http::AppState;
use kpi_ledger::service::tokens::token_hash;
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service};
use kpi_ledger::site::text::ZH;
use kpi_ledger::store::Ledger;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::http_tables::points_text;
use crate::site::{assert_no_inline_script, cell, figure, links, rows, unescape, Browser};

/// The member whose page the person token opens (graded 优秀 for 2016).
const PERSON: &str = staff::SCORECARD_PERSON;

/// The tokens granted on top of the demo, by key: a person token for `PERSON`, and YS07's office and
/// committee, YS08's office and the city's assessor.
const GRANTS: &[(&str, &str, &str)] = &[
    ("person", "person", "YS07"),
    ("office@YS07", "office", "YS07"),
    ("committee@YS07", "committee", "YS07"),
    ("office@YS08", "office", "YS08"),
    ("assessor", "assessor", "YS"),
];

/// The demo's ledger, recorded once, closed; and when its clock stopped.
struct Recorded {
    dir: tempfile::TempDir,
    now: Timestamp,
}

static DEMO: OnceLock<Recorded> = OnceLock::new();

/// A copy of the demo's years as `demo_story.rs` records them (history imported, 2017 lived), with
/// `GRANTS` granted on top.
fn record() -> Recorded {
    let shared = crate::demo_story::recorded_years();
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_ledger_dir(shared.dir.path(), dir.path());
    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::default());
    clock.set(shared.now());
    let service = Service::open(ledger.clone(), clock, Arc::new(SeededIds::new("kpi-ledger demo"))).unwrap();
    let admin = years::history_admin();
    let now = shared.now();
    for (key, role, unit) in GRANTS {
        let mut payload = json!({
            "token_hash": token_hash(&token(key)),
            "actor_id": format!("site-people-{}", key.replace('@', "-").to_lowercase()),
            "role": role,
            "unit": unit,
        });
        if *role == "person" {
            payload["person"] = json!(PERSON);
        }
        let grant = Command::from_payload("GrantAccess", &payload).unwrap();
        service.execute(admin.clone(), &grant, CommandOptions::default()).unwrap();
    }
    drop(service);
    ledger.close();
    Recorded { dir, now }
}

fn token(key: &str) -> String {
    format!("site-people-token-{key}")
}

/// A copy of the demo behind the site's router.
struct Demo {
    _dir: tempfile::TempDir,
    state: AppState,
    router: axum::Router,
}

impl Demo {
    async fn new() -> Demo {
        tokio::task::spawn_blocking(|| {
            let recorded = DEMO.get_or_init(record);
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("ledger");
            crate::support::copy_ledger_dir(recorded.dir.path(), &data);
            let ledger = Arc::new(Ledger::open(&data).unwrap());
            let clock = Arc::new(ManualClock::default());
            clock.set(recorded.now);
            let service = Service::open(ledger, clock, Arc::new(SeededIds::new("site people"))).unwrap();
            let state = AppState::new(Arc::new(service)).unwrap();
            let router = kpi_ledger::site::app(state.clone());
            Demo { _dir: dir, state, router }
        })
        .await
        .unwrap()
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// The API's answer to `path` for the token `key`.
    async fn api(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let request =
            Request::get(path).header("authorization", format!("Bearer {}", token(key))).body(Body::empty()).unwrap();
        let (status, _, body) = self.call(request).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// A signed-in session of the token `key`: its cookie.
    async fn session(&self, key: &str) -> String {
        let (status, headers, page) = self.call(Request::get("/sign-in").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let form_cookie = crate::site::cookie_of(&headers);
        let csrf = crate::site::csrf_of(&page);
        let request = Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, form_cookie)
            .body(Body::from(format!("token={}&csrf={csrf}", token(key))))
            .unwrap();
        let (status, headers, _) = self.call(request).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{key} signs in");
        crate::site::cookie_of(&headers)
    }

    /// A page for a signed-in session.
    async fn page(&self, cookie: &str, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.call(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
    }
}

// ---------------------------------------------------------------------------------------------------
// Reading a page.

/// The value of `attribute` on a row's start tag.
fn row_attribute(row: &str, attribute: &str) -> Option<String> {
    let tag = row.split('>').next().unwrap();
    let marker = format!(" {attribute}=\"");
    tag.find(&marker).map(|at| unescape(tag[at + marker.len()..].split('"').next().unwrap()))
}

/// Points as the page writes them; blank for none.
fn points(value: &Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        points_text(value)
    }
}

fn grade_words(grade: &Value) -> &'static str {
    match grade.as_str() {
        Some("excellent") => "优秀",
        Some("competent") => "称职",
        Some("basically_competent") => "基本称职",
        Some("incompetent") => "不称职",
        other => panic!("a grade: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------
// A person's page.

#[tokio::test]
async fn site_person_page_shows_the_apis_scorecard_indicators_weeks_and_reviews() {
    let demo = Demo::new().await;
    let cookie = demo.session("person").await;
    // No parameter: the token's own person, in the latest year with a score (2016: 2017 has none).
    let (status, _, page) = demo.page(&cookie, "/person").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("{PERSON} ")), "the page is {PERSON}'s");
    let query = format!("person={PERSON}&period=2016");

    // The scorecard: the year's figures and every quarter's parts.
    let (status, card) = demo.api("person", &format!("/v1/persons/scorecard?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert!(!card["score"].is_null(), "{PERSON} has a 2016 score");
    assert_eq!(figure(&page, "score"), points(&card["score"]));
    assert_eq!(figure(&page, "rank"), card["place"]["rank"].to_string());
    assert_eq!(figure(&page, "participants"), card["place"]["participants"].to_string());
    assert_eq!(figure(&page, "tier"), format!("{}{}{}", ZH.tier_n.0, card["place"]["tier"], ZH.tier_n.1));
    assert_eq!(figure(&page, "grade"), grade_words(&card["grade"]));
    assert!(unescape(&page).contains(card["name"].as_str().unwrap()), "the name, opened: {}", card["name"]);
    let quarters = card["quarters"].as_array().unwrap();
    let shown = rows(&page, "data-quarter");
    assert_eq!(shown.len(), quarters.len());
    assert_eq!(shown.len(), 4, "four quarters of 2016");
    for ((quarter, row), api) in shown.iter().zip(quarters) {
        assert_eq!(quarter, api["quarter"].as_str().unwrap());
        assert_eq!(cell(row, "data-section-final"), points(&api["section_final"]["final_score"]), "{quarter}");
        assert_eq!(cell(row, "data-review"), points(&api["review_score"]), "{quarter}");
        assert_eq!(cell(row, "data-indicators"), points(&api["indicator_score"]), "{quarter}");
        assert_eq!(cell(row, "data-weighted"), points(&api["weighted"]), "{quarter}");
        assert_eq!(cell(row, "data-missing"), api["missing_weeks"].as_array().unwrap().len().to_string(), "{quarter}");
        assert_eq!(cell(row, "data-deduction"), points(&api["missing_week_deduction"]), "{quarter}");
        assert_eq!(cell(row, "data-score"), points(&api["score"]), "{quarter}");
        let weights = &api["weights_used"];
        let part = |value: &Value| if value.is_null() { "—".to_owned() } else { value.to_string() };
        let expected =
            format!("{}/{}/{}", part(&weights["section"]), part(&weights["review"]), part(&weights["indicators"]));
        assert_eq!(cell(row, "data-weights"), expected, "{quarter}");
    }
    // Every indicator line of every quarter, with its score.
    let lines: Vec<(String, String)> = quarters
        .iter()
        .flat_map(|quarter| {
            quarter["indicators"].as_array().unwrap().iter().map(move |line| {
                let key = format!(
                    "{}/{}/{}",
                    quarter["quarter"].as_str().unwrap(),
                    line["period"].as_str().unwrap(),
                    line["indicator"].as_str().unwrap()
                );
                (key, points(&line["score"]))
            })
        })
        .collect();
    let shown: Vec<(String, String)> =
        rows(&page, "data-line").into_iter().map(|(key, row)| (key, cell(row, "data-line-score"))).collect();
    assert_eq!(shown, lines);

    // 我的指标: the indicators the person carries.
    let (status, carried) = demo.api("person", &format!("/v1/persons/indicators?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{carried}");
    let codes: Vec<String> = carried["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["indicator"].as_str().unwrap().to_owned())
        .collect();
    assert!(!codes.is_empty(), "{PERSON} carries a personal indicator: {carried}");
    let shown: Vec<String> = rows(&page, "data-carried").into_iter().map(|(code, _)| code).collect();
    assert_eq!(shown, codes);

    // The weekly records: every week with its status, the filed ones' texts, the comments.
    let (status, weekly) = demo.api("person", &format!("/v1/persons/weekly-records?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{weekly}");
    let weeks = weekly["weeks"].as_array().unwrap();
    let shown = rows(&page, "data-week");
    assert_eq!(shown.len(), weeks.len(), "every week of 2016");
    for ((week, row), api) in shown.iter().zip(weeks) {
        assert_eq!(week, api["week"].as_str().unwrap());
        assert_eq!(row_attribute(row, "data-status").as_deref(), api["status"].as_str(), "{week}");
        let text = api["text"].as_str().unwrap_or_default();
        assert_eq!(cell(row, "data-text"), text, "{week}");
        for comment in api["comments"].as_array().unwrap() {
            assert!(unescape(row).contains(comment["comment"].as_str().unwrap()), "{week}: a comment");
        }
    }
    assert_eq!(figure(&page, "filed"), weekly["filed"].to_string());
    assert_eq!(figure(&page, "missing"), weekly["missing"].as_array().unwrap().len().to_string());
    assert!(weeks.iter().any(|week| week["status"] == "filed" && !week["comments"].as_array().unwrap().is_empty()));

    // The reviews: each with its leader, score and whether it counts.
    let (status, reviews) = demo.api("person", &format!("/v1/persons/reviews?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{reviews}");
    let expected: Vec<(String, String, String)> = reviews["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|quarter| quarter["reviews"].as_array().unwrap().iter())
        .map(|review| (review["event"]["seq"].to_string(), points(&review["score"]), review["counts"].to_string()))
        .collect();
    assert!(expected.len() >= 8, "two leaders each quarter: {reviews}");
    let shown: Vec<(String, String, String)> = rows(&page, "data-review")
        .into_iter()
        .map(|(seq, row)| {
            let counts = row.split("data-counts=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            (seq, cell(row, "data-score"), counts)
        })
        .collect();
    assert_eq!(shown, expected);

    // A quarter is another answer.
    let (status, _, q2) = demo.page(&cookie, "/person?period=2016-Q2").await;
    assert_eq!(status, StatusCode::OK);
    let (_, card_q2) = demo.api("person", &format!("/v1/persons/scorecard?person={PERSON}&period=2016-Q2")).await;
    assert_eq!(figure(&q2, "score"), points(&card_q2["score"]));
    assert_eq!(rows(&q2, "data-quarter").len(), 1);
    assert_ne!(card_q2["score"], card["score"], "a quarter's score is not the year's");
}

#[tokio::test]
async fn site_person_token_sees_only_its_own_page() {
    let demo = Demo::new().await;
    let cookie = demo.session("person").await;
    let other = staff::excellent().map(|member| member.person).find(|person| *person != PERSON).unwrap();
    let path = format!("/person?person={other}&period=2016");
    let (status, _, refused) = demo.page(&cookie, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused.contains(ZH.forbidden_title), "the site's refusal page");
    assert!(!refused.contains("data-quarter=") && !refused.contains("data-week="), "nothing of {other}'s is shown");
    let (status, problem) = demo.api("person", &format!("/v1/persons/scorecard?person={other}&period=2016")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "as the API refuses it: {problem}");
    // Its own, named, it reads.
    let (status, _, own) = demo.page(&cookie, &format!("/person?person={PERSON}&period=2016")).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    // The person picker offers its own person alone.
    let picker = own.split("name=\"person\"").nth(1).unwrap().split("</select>").next().unwrap();
    assert_eq!(picker.matches("<option value=\"YS07-").count(), 1, "{picker}");
    // The grade register and the uses of results are not a person's to read, as the API says.
    for (page_path, api_path) in [
        ("/grades?unit=YS07&period=2016", "/v1/annual-grades?unit=YS07&period=2016"),
        ("/grades", "/v1/individual-rankings?unit=YS07&period=2016"),
        ("/result-uses", "/v1/result-uses"),
    ] {
        let (status, _, refused) = demo.page(&cookie, page_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page_path}: {refused}");
        assert!(!refused.contains("data-person=") && !refused.contains("data-use="), "{page_path}");
        let (status, _) = demo.api("person", api_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{api_path}");
    }
}

#[tokio::test]
async fn site_person_page_opens_a_person_in_scope_for_the_office_and_shows_an_erasure() {
    let demo = Demo::new().await;
    let cookie = demo.session("office@YS07").await;
    // No person chosen: the persons of YS07 to choose from, nothing read about anyone.
    let (status, _, chooser) = demo.page(&cookie, "/person").await;
    assert_eq!(status, StatusCode::OK, "{chooser}");
    assert!(chooser.contains(ZH.people.choose_person) && !chooser.contains("data-quarter="));
    let (_, persons) = demo.api("office@YS07", "/v1/persons?unit=YS07").await;
    let listed = persons["persons"].as_array().unwrap().len();
    assert!(listed >= 36, "{listed}");
    assert_eq!(chooser.matches("<option value=\"YS07-").count(), listed, "every person of YS07");

    // Another person in its scope, as the API answers the office.
    let (status, _, page) = demo.page(&cookie, &format!("/person?person={PERSON}&period=2016")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, card) = demo.api("office@YS07", &format!("/v1/persons/scorecard?person={PERSON}&period=2016")).await;
    assert_eq!(figure(&page, "score"), points(&card["score"]));

    // The erased member: their grade and scores stand, their name and texts read as erased.
    let erased = staff::erased();
    let (status, _, page) = demo.page(&cookie, &format!("/person?person={}&period=2016", erased.person)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, card) =
        demo.api("office@YS07", &format!("/v1/persons/scorecard?person={}&period=2016", erased.person)).await;
    assert_eq!(card["erased"], true);
    assert!(page.contains("data-erased=\"true\""), "marked erased");
    assert!(!page.contains(erased.name), "the name is gone");
    assert!(page.contains(kpi_ledger::service::person_keys::ERASED_TEXT), "texts read as erased");
    assert_eq!(figure(&page, "score"), points(&card["score"]));
    assert_eq!(figure(&page, "grade"), "称职");

    // Another county's office reads none of YS07's persons.
    let cookie = demo.session("office@YS08").await;
    let (status, _, refused) = demo.page(&cookie, &format!("/person?person={PERSON}&period=2016")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains("person"), "{refused}");
    let (status, _) = demo.api("office@YS08", &format!("/v1/persons/scorecard?person={PERSON}&period=2016")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------------
// The grade register.

#[tokio::test]
async fn site_grade_register_shows_the_apis_ranking_and_grades() {
    let demo = Demo::new().await;
    let cookie = demo.session("committee@YS07").await;
    let (status, _, page) = demo.page(&cookie, "/grades?unit=YS07&period=2016").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, ranking) = demo.api("committee@YS07", "/v1/individual-rankings?unit=YS07&period=2016").await;
    assert_eq!(status, StatusCode::OK, "{ranking}");
    let (status, grades) = demo.api("committee@YS07", "/v1/annual-grades?unit=YS07&period=2016").await;
    assert_eq!(status, StatusCode::OK, "{grades}");
    assert_eq!(figure(&page, "participants"), ranking["participants"].to_string());
    assert_eq!(figure(&page, "participants"), "36");
    assert_eq!(figure(&page, "excellent_quota"), grades["excellent_quota"].to_string());
    assert_eq!(figure(&page, "excellent_graded"), grades["excellent_graded"].to_string());
    assert_eq!((figure(&page, "excellent_quota"), figure(&page, "excellent_graded")), ("7".into(), "7".into()));
    assert_eq!(figure(&page, "basis_changed"), grades["basis_changed"].to_string());

    // One row per participant, in the ranking's order, each with the API's rank, score and grade.
    let standings = ranking["standings"].as_array().unwrap();
    let shown = rows(&page, "data-person");
    assert_eq!(shown.len(), 36);
    let grade_of = |person: &str| {
        grades["grades"].as_array().unwrap().iter().find(|line| line["person"] == person).expect("graded").clone()
    };
    for ((person, row), standing) in shown.iter().zip(standings) {
        assert_eq!(person, standing["person"].as_str().unwrap());
        assert_eq!(cell(row, "data-rank"), standing["rank"].to_string(), "{person}");
        assert_eq!(cell(row, "data-score"), points(&standing["annual_score"]), "{person}");
        let grade = grade_of(person);
        assert_eq!(cell(row, "data-grade"), grade_words(&grade["grade"]), "{person}");
        assert_eq!(cell(row, "data-reason"), grade["reason"].as_str().unwrap_or_default(), "{person}");
        let basis = if grade["basis_changed"] == true { "changed" } else { "holds" };
        assert_eq!(row_attribute(row, "data-basis").as_deref(), Some(basis), "{person}");
    }
    let basically = shown.iter().filter(|(_, row)| cell(row, "data-grade") == "基本称职").count();
    assert_eq!(basically, 1);
    assert!(unescape(&page).contains(staff::BASICALLY_COMPETENT_REASON), "the reason is shown");
    let erased = staff::erased();
    assert!(!page.contains(erased.name), "the erased member's name is gone");

    // Left out, the office's own county and the latest year with grades.
    let cookie = demo.session("office@YS07").await;
    let (status, _, default) = demo.page(&cookie, "/grades").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&default, "data-person").len(), 36, "YS07's 2016 grades");
    // Another county's office is refused YS07's, as the API refuses it.
    let cookie = demo.session("office@YS08").await;
    let (status, _, _) = demo.page(&cookie, "/grades?unit=YS07&period=2016").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = demo.api("office@YS08", "/v1/annual-grades?unit=YS07&period=2016").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------------
// The uses of results.

#[tokio::test]
async fn site_result_uses_show_each_use_and_the_one_whose_basis_changed() {
    let demo = Demo::new().await;
    let cookie = demo.session("committee@YS07").await;
    let (status, _, page) = demo.page(&cookie, "/result-uses?unit=YS07").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, uses) = demo.api("committee@YS07", "/v1/result-uses?unit=YS07").await;
    assert_eq!(status, StatusCode::OK, "{uses}");
    let api_uses = uses["uses"].as_array().unwrap();
    assert!(api_uses.len() >= 15, "a praise notice and an honour for each 优秀, and the criticism");
    assert_eq!(figure(&page, "uses"), api_uses.len().to_string());
    assert_eq!(figure(&page, "basis_changed"), uses["basis_changed"].to_string());
    assert_eq!(figure(&page, "basis_changed"), "1");
    let shown = rows(&page, "data-use");
    assert_eq!(shown.len(), api_uses.len());
    for ((id, row), api) in shown.iter().zip(api_uses) {
        assert_eq!(id, api["result_use_id"].as_str().unwrap());
        assert_eq!(row_attribute(row, "data-basis").as_deref() == Some("holds"), api["basis_changed"] == false, "{id}");
        assert!(row.contains(&format!("data-read-seq=\"{}\"", api["read_at"]["seq"])), "{id}: the position it read");
        assert!(row.contains(api["read_at"]["hash"].as_str().unwrap()), "{id}: the hash it read");
        assert!(row.contains(&format!("data-event-seq=\"{}\"", api["event"]["seq"])), "{id}: the event");
        let changes: Vec<String> =
            api["changes"].as_array().unwrap().iter().map(|change| change["event"]["seq"].to_string()).collect();
        let marked: Vec<String> = row
            .match_indices("data-change=\"")
            .map(|(at, _)| row[at + 13..].split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(marked, changes, "{id}: the events that changed its basis");
    }
    let (_, changed_row) =
        shown.iter().find(|(_, row)| row_attribute(row, "data-basis").as_deref() != Some("holds")).unwrap();
    assert!(
        changed_row.contains("通报批评") && changed_row.contains("申诉决定"),
        "the criticism, changed by the appeal's decision"
    );

    // changed=true: the one use whose basis changed, as the API lists it.
    let (status, _, changed) = demo.page(&cookie, "/result-uses?unit=YS07&changed=true").await;
    assert_eq!(status, StatusCode::OK);
    let (_, api_changed) = demo.api("committee@YS07", "/v1/result-uses?unit=YS07&changed=true").await;
    assert_eq!(rows(&changed, "data-use").len(), api_changed["uses"].as_array().unwrap().len());
    assert_eq!(rows(&changed, "data-use").len(), 1);
    // A role that reads no uses of results is refused, as by the API.
    let cookie = demo.session("office@YS08").await;
    let (status, _, _) = demo.page(&cookie, "/result-uses?unit=YS07").await;
    let (api_status, _) = demo.api("office@YS08", "/v1/result-uses?unit=YS07").await;
    assert_eq!((status, api_status), (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN));
}

// ---------------------------------------------------------------------------------------------------
// As of a day.

/// Each people page reads as of the day asked, as the API does: the day before YS07's committee
/// graded 2016 (01-25) no one is graded and only one result is used; the person's scorecard as of that
/// day is the API's as of that day, without the grade it got a day later; the day stays in the form.
#[tokio::test]
async fn site_people_pages_read_as_of_the_day_asked() {
    let demo = Demo::new().await;
    let cookie = demo.session("committee@YS07").await;
    let before = "as_of=2017-01-24";

    let (status, _, page) = demo.page(&cookie, &format!("/grades?unit=YS07&period=2016&{before}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let path = format!("/v1/annual-grades?unit=YS07&period=2016&{before}");
    let (_, grades) = demo.api("committee@YS07", &path).await;
    assert_eq!(figure(&page, "excellent_graded"), grades["excellent_graded"].to_string());
    assert_eq!(figure(&page, "excellent_graded"), "0", "nothing graded before 01-25");
    let (_, _, now) = demo.page(&cookie, "/grades?unit=YS07&period=2016").await;
    assert_eq!(figure(&now, "excellent_graded"), "7", "and seven since");
    assert!(page.contains("name=\"as_of\" value=\"2017-01-24\""), "the day stays in the form");
    let person_link = links(&page, "/person?").into_iter().next().expect("a participant links to their page");
    assert!(person_link.contains(before), "the person's page is linked as of the same day: {person_link}");

    let (status, _, uses) = demo.page(&cookie, &format!("/result-uses?unit=YS07&{before}")).await;
    assert_eq!(status, StatusCode::OK, "{uses}");
    let (_, api_uses) = demo.api("committee@YS07", &format!("/v1/result-uses?unit=YS07&{before}")).await;
    assert_eq!(figure(&uses, "uses"), api_uses["uses"].as_array().unwrap().len().to_string());
    // Only the criticism of a section (2016-10), before the praise and honours that follow the grades.
    assert_eq!(figure(&uses, "uses"), "1", "one use before the grades");
    let (_, _, uses_now) = demo.page(&cookie, "/result-uses?unit=YS07").await;
    assert!(figure(&uses_now, "uses").parse::<usize>().unwrap() >= 15, "and every praise and honour since");

    let cookie = demo.session("person").await;
    let (status, _, page) = demo.page(&cookie, &format!("/person?person={PERSON}&period=2016&{before}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let path = format!("/v1/persons/scorecard?person={PERSON}&period=2016&{before}");
    let (_, card) = demo.api("person", &path).await;
    assert_eq!(figure(&page, "score"), points(&card["score"]));
    assert!(card["grade"].is_null(), "not graded yet on 01-24: {}", card["grade"]);
    assert_eq!(figure(&page, "grade"), ZH.people.no_grade);
    let (_, latest) = demo.api("person", &format!("/v1/persons/scorecard?person={PERSON}&period=2016")).await;
    assert!(!latest["grade"].is_null(), "graded since");

    // A day that is not one is refused by name, as by the API.
    let (status, _, refused) = demo.page(&cookie, &format!("/person?person={PERSON}&as_of=2017-02-30")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.contains("as_of"), "{refused}");
}

// ---------------------------------------------------------------------------------------------------
// Headers, the navigation, no inline script.

#[tokio::test]
async fn site_people_pages_carry_the_policy_the_navigation_and_no_inline_script() {
    let demo = Demo::new().await;
    let cookie = demo.session("committee@YS07").await;
    let person_cookie = demo.session("person").await;
    for (cookie, path) in [
        (&person_cookie, "/person".to_owned()),
        (&cookie, format!("/person?person={PERSON}&period=2016-Q3")),
        (&cookie, "/grades?unit=YS07&period=2016".to_owned()),
        (&cookie, "/result-uses?unit=YS07".to_owned()),
        (&person_cookie, "/grades".to_owned()),
    ] {
        let (status, headers, page) = demo.page(cookie, &path).await;
        assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN, "{path}: {status}");
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap(),
            kpi_ledger::site::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_no_inline_script(&path, &page);
        for (href, label) in [
            ("/person", ZH.people.nav_person),
            ("/grades", ZH.people.nav_grades),
            ("/result-uses", ZH.people.nav_result_uses),
        ] {
            assert!(page.contains(&format!("<a href=\"{href}\"")) && page.contains(label), "{path}: {href} in the bar");
        }
    }
    let (_, _, page) = demo.page(&cookie, "/grades?unit=YS07&period=2016").await;
    assert!(page.contains("href=\"/grades\" aria-current=\"page\""), "the bar marks the register");
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

#[tokio::test]
async fn site_person_page_and_grade_register_in_the_browser() {
    let Some(browser) = Browser::open("site_person").await else { return };
    let demo = Demo::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = kpi_ledger::site::app(demo.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A person signs in with their token and lands on their own page.
    browser.sign_in(&base, &token("person")).await;
    assert!(browser.client.current_url().await.ends_with("/person"), "a person starts on their page");
    assert_eq!(browser.status().await, 200);
    let heading = browser.text_of("#person h2").await;
    assert!(heading.starts_with(PERSON), "{heading}");
    let (_, card) = demo.api("person", &format!("/v1/persons/scorecard?person={PERSON}&period=2016")).await;
    assert_eq!(browser.text_of("[data-figure=score]").await, points(&card["score"]));
    assert_eq!(browser.text_of("[data-figure=grade]").await, "优秀");
    let weeks = browser.js("return document.querySelectorAll('tr[data-week]').length").await;
    assert_eq!(weeks, json!(52), "the weeks of 2016");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    let shot = browser.screenshot_whole_page().await;
    assert!(shot.ends_with("site_person.png"), "{}", shot.display());
    // Another person's page is refused in the browser too.
    let other = staff::excellent().map(|member| member.person).find(|person| *person != PERSON).unwrap();
    browser.goto(&format!("{base}/person?person={other}")).await;
    browser.loaded().await;
    assert_eq!(browser.status().await, 403);
    browser.close().await;

    // The county's committee opens the grade register.
    let Some(browser) = Browser::open("site_grades").await else { return };
    browser.sign_in(&base, &token("committee@YS07")).await;
    browser.click_through("nav.site-nav a[href='/grades']").await;
    assert_eq!(browser.status().await, 200);
    let rows = browser.js("return document.querySelectorAll('table.grades tr[data-person]').length").await;
    assert_eq!(rows, json!(36));
    assert_eq!(browser.text_of("[data-figure=excellent_graded]").await, "7");
    browser.assert_clean().await;
    let shot = browser.screenshot_whole_page().await;
    assert!(shot.ends_with("site_grades.png"), "{}", shot.display());
    browser.close().await;
}
