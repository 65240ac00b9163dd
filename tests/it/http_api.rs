//! The HTTP API through the router (`oneshot`, no socket): every route accepted and refused, the whole
//! role × command matrix (forbidden → 403 and nothing appended), bad input → 4xx problem+json with the
//! field named and nothing appended, idempotency, If-Match, proofs, and the OpenAPI document (issue 5).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kpi_ledger::article as fixture;
use kpi_ledger::domain::{allowed_roles, Command, Role};
use kpi_ledger::http::commands::{route_of, COMMAND_ROUTES};
use kpi_ledger::http::{router, AppState};
use kpi_ledger::service::tokens::token_hash;
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service};
use kpi_ledger::store::Ledger;
use serde_json::{json, Value};
use tower::ServiceExt;

const ROLES: [Role; 7] =
    [Role::Admin, Role::Assessor, Role::Office, Role::Appellant, Role::Reviewer, Role::Committee, Role::Auditor];

struct Api {
    _dir: tempfile::TempDir,
    state: AppState,
    /// One token per role, each scoped to the city (so scope never hides a role refusal).
    tokens: BTreeMap<&'static str, String>,
}

impl Api {
    /// The article's story, played through the service, plus a token for every role: built once per
    /// run (one fsync per command), and copied for each test.
    fn new() -> Api {
        static STORY: std::sync::OnceLock<(tempfile::TempDir, BTreeMap<&'static str, String>)> =
            std::sync::OnceLock::new();
        let (story, tokens) = STORY.get_or_init(Api::record_story);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ledger");
        crate::support::copy_ledger_dir(story.path(), &data);
        let ledger = Arc::new(Ledger::open(&data).unwrap());
        // The clock stands where the story left it.
        let clock = Arc::new(ManualClock::default());
        clock.set(fixture::story().last().unwrap().context.now);
        // Another seed than the story's: ids made here must not repeat the story's.
        let service = Arc::new(Service::open(ledger, clock, Arc::new(SeededIds::new("http tests"))).unwrap());
        Api { _dir: dir, state: AppState::new(service).unwrap(), tokens: tokens.clone() }
    }

    fn record_story() -> (tempfile::TempDir, BTreeMap<&'static str, String>) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
        let clock = Arc::new(ManualClock::default());
        let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("http"))).unwrap();
        for step in fixture::story() {
            clock.set(step.context.now);
            let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
            service.execute(step.context.actor.clone(), &step.command, options).unwrap();
        }
        let admin = fixture::story()[0].context.actor.clone();
        let mut tokens = BTreeMap::new();
        for role in ROLES {
            let token = format!("test-token-{}", role.as_str());
            let grant = Command::from_payload(
                "GrantAccess",
                &json!({"token_hash": token_hash(&token), "actor_id": format!("{}-ys", role.as_str()), "role": role, "unit": "YS"}),
            )
            .unwrap();
            service.execute(admin.clone(), &grant, CommandOptions::default()).unwrap();
            tokens.insert(role.as_str(), token);
        }
        drop(service);
        ledger.close();
        (dir, tokens)
    }

    fn head(&self) -> u64 {
        self.state.service.ledger().head().seq
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn post(&self, role: &str, path: &str, body: &Value) -> (StatusCode, String, Value) {
        self.call("POST", path, Some(&self.tokens[role]), Some(&body.to_string()), &[]).await
    }

    async fn get(&self, role: &str, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call("GET", path, Some(&self.tokens[role]), None, &[]).await;
        (status, body)
    }
}

/// A payload that decodes for `command`: the first example of its schema.
fn example_payload(command: &str) -> Value {
    let path = format!("{}/schemas/commands/{command}.json", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["examples"][0].clone()
}

/// The route path with its parameter filled from the payload.
fn concrete_path(path: &str, field: Option<&str>, payload: &Value) -> String {
    match field {
        Some(field) => path.replace(&format!("{{{field}}}"), payload[field].as_str().unwrap()),
        None => path.to_owned(),
    }
}

#[tokio::test]
async fn every_forbidden_role_gets_403_and_nothing_is_appended() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let mut checked = 0;
    // The domain's list, not the route table: a command without a route fails here.
    for name in Command::NAMES {
        let command_route = route_of(name).unwrap_or_else(|| panic!("{name} has no route"));
        let payload = example_payload(name);
        let command = Command::from_payload(name, &payload).unwrap();
        let path = concrete_path(command_route.path, command_route.path_field, &payload);
        for role in ROLES {
            if allowed_roles(&command).contains(&role) {
                continue;
            }
            let head = api.head();
            let (status, content_type, body) = api.post(role.as_str(), &path, &payload).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} as {}: {body}", command_route.command, role.as_str());
            assert_eq!(content_type, "application/problem+json");
            assert_eq!(body["code"], "role_not_allowed");
            assert_eq!(api.head(), head, "{} as {} appended something", command_route.command, role.as_str());
            checked += 1;
        }
    }
    assert!(checked > 150, "the matrix covers every command and every other role ({checked} calls)");
}

#[tokio::test]
async fn allowed_roles_pass_the_role_check_on_every_command_route() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    for name in Command::NAMES {
        let command_route = route_of(name).unwrap_or_else(|| panic!("{name} has no route"));
        let payload = example_payload(name);
        let command = Command::from_payload(name, &payload).unwrap();
        let path = concrete_path(command_route.path, command_route.path_field, &payload);
        for role in allowed_roles(&command) {
            let (status, _, body) = api.post(role.as_str(), &path, &payload).await;
            assert_ne!(body["code"], "role_not_allowed", "{} as {}", command_route.command, role.as_str());
            assert_ne!(status, StatusCode::NOT_FOUND, "{} has a route", command_route.command);
            assert!(status.is_success() || status.is_client_error(), "{}: {status} {body}", command_route.command);
        }
    }
}

#[tokio::test]
async fn a_deduction_is_recorded_with_idempotency_and_if_match() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let mut payload = example_payload("RecordDeduction");
    payload["period"] = json!("2017-07");
    payload["points"] = json!(25);
    let body = payload.to_string();
    let token = api.tokens["assessor"].clone();
    let key = [("idempotency-key", "deduct-may-1")];
    let (status, _, first) = api.call("POST", "/v1/deductions", Some(&token), Some(&body), &key).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["event_types"], json!(["DeductionRecorded"]));
    let head = api.head();
    let (status, _, again) = api.call("POST", "/v1/deductions", Some(&token), Some(&body), &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((again["first_seq"].clone(), again["replayed"].clone()), (first["first_seq"].clone(), json!(true)));
    assert_eq!(api.head(), head, "a retry appends nothing");

    let mut other = payload.clone();
    other["points"] = json!(30);
    let (status, _, problem) = api.call("POST", "/v1/deductions", Some(&token), Some(&other.to_string()), &key).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        (problem["code"].as_str(), problem["field"].as_str()),
        (Some("idempotency_key_reused"), Some("idempotency-key"))
    );
    assert_eq!(api.head(), head, "a reused key with another payload appends nothing");

    let stale_version = format!("\"{}\"", first["stream_version"].as_u64().unwrap() + 5);
    let stale = [("if-match", stale_version.as_str())];
    let (status, content_type, problem) = api.call("POST", "/v1/deductions", Some(&token), Some(&body), &stale).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "wrong_expected_version");
    assert_eq!(problem["current_version"], first["stream_version"]);
    assert_eq!(api.head(), head);
    let current = format!("\"{}\"", first["stream_version"]);
    let (status, _, _) =
        api.call("POST", "/v1/deductions", Some(&token), Some(&body), &[("if-match", current.as_str())]).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_input_is_a_problem_naming_the_field_and_appends_nothing() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let token = api.tokens["assessor"].clone();
    let mut wrong_type = example_payload("RecordDeduction");
    wrong_type["points"] = json!("fifty");
    let mut unknown_field = example_payload("RecordDeduction");
    unknown_field["pionts"] = json!(50);
    let mut too_many = example_payload("RecordDeduction");
    too_many["period"] = json!("2017-07");
    too_many["points"] = json!(1_000_000);
    let huge = json!({"reason": "x".repeat(300 * 1024)}).to_string();
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{\"unit\": ".into(), StatusCode::BAD_REQUEST, "body"),
        ("[1, 2]".into(), StatusCode::BAD_REQUEST, "payload"),
        (wrong_type.to_string(), StatusCode::BAD_REQUEST, "points"),
        (unknown_field.to_string(), StatusCode::BAD_REQUEST, "pionts"),
        (too_many.to_string(), StatusCode::UNPROCESSABLE_ENTITY, "points"),
        (huge, StatusCode::PAYLOAD_TOO_LARGE, "body"),
    ];
    for (body, expected, field) in cases {
        let (status, content_type, problem) = api.call("POST", "/v1/deductions", Some(&token), Some(&body), &[]).await;
        assert_eq!(status, expected, "{problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["field"], field, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(field), "{problem}");
    }
    let bad_headers = [("idempotency-key", ""), ("if-match", "soon")];
    for header in bad_headers {
        let body = example_payload("RecordDeduction").to_string();
        let (status, _, problem) = api.call("POST", "/v1/deductions", Some(&token), Some(&body), &[header]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["field"], header.0);
    }
    let (status, _, problem) = api.call("POST", "/v1/deductions", None, Some("{}"), &[]).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _, _) = api.call("POST", "/v1/deductions", Some("not-a-token"), Some("{}"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, content_type, _) = api.call("GET", "/v1/nowhere", Some(&token), None, &[]).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::NOT_FOUND, "application/problem+json"));
    assert_eq!(api.head(), head, "no refused request appended anything");
}

#[tokio::test]
async fn who_held_a_role_at_an_instant_is_answered_from_the_grant_events() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let now = kpi_ledger::service::Clock::now(&**api.state.service.clock());
    let (status, body) = api.get("auditor", &format!("/v1/access?role=assessor&at={now}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grants = body["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["actor_id"], "assessor-ys");
    let before = now.plus_days(-1);
    let (_, body) = api.get("auditor", &format!("/v1/access?role=assessor&at={before}")).await;
    assert!(body["grants"].as_array().unwrap().is_empty(), "nobody held it before the grant");
    let (status, problem) = api.get("auditor", "/v1/access?role=chief").await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!("role")));
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, _, _) = api
        .post(
            "admin",
            "/v1/access-revocations",
            &json!({"token_hash": token_hash(&api.tokens["auditor"]), "reason": "left the office"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = api.get("auditor", "/v1/head").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ledger_reads_proofs_and_checkpoint_answer_and_refuse() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let (status, page) = api.get("auditor", "/v1/events?from=2&limit=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_from"], 5);
    let event_id = page["events"][0]["body"]["event_id"].as_str().unwrap().to_owned();
    let stream = page["events"][0]["body"]["stream"].as_str().unwrap().to_owned();
    let (status, event) = api.get("auditor", &format!("/v1/events/{event_id}")).await;
    assert_eq!((status, event["seq"].clone()), (StatusCode::OK, json!(2)));
    let (status, events) = api.get("auditor", &format!("/v1/streams/{stream}/events")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!events["events"].as_array().unwrap().is_empty());
    let (status, body) = api.get("auditor", "/v1/head").await;
    assert_eq!((status, body["seq"].clone()), (StatusCode::OK, json!(head)));
    let (status, body) = api.get("auditor", "/v1/verification").await;
    assert_eq!((status, body["intact"].clone()), (StatusCode::OK, json!(true)));
    let (status, checkpoint) = api.get("auditor", "/v1/checkpoint").await;
    assert_eq!((status, checkpoint["tree_size"].clone()), (StatusCode::OK, json!(head)));
    let (status, proof) = api.get("auditor", &format!("/v1/proofs/inclusion?seq=3&size={head}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(proof["root"], checkpoint["root"]);
    let (status, _) = api.get("auditor", "/v1/proofs/consistency?from=10").await;
    assert_eq!(status, StatusCode::OK);

    for (path, field) in [
        (format!("/v1/proofs/inclusion?seq=3&size={}", head + 1), "seq"),
        ("/v1/proofs/inclusion?seq=abc".to_owned(), "seq"),
        ("/v1/proofs/consistency?from=0".to_owned(), "from"),
        ("/v1/events?from=1&colour=red".to_owned(), "colour"),
        ("/v1/events?limit=100000".to_owned(), "limit"),
        ("/v1/events/not-a-uuid".to_owned(), "event_id"),
        ("/v1/streams/bad%20stream/events".to_owned(), "stream"),
    ] {
        let (status, problem) = api.get("auditor", &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(problem["field"], field, "{path}: {problem}");
    }
    let (status, _) = api.get("auditor", &format!("/v1/events/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_with_the_schemas_of_schemas_dir() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, _, document) = api.call("GET", "/v1/openapi.json", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    // Every route the router registers (read from its source, so a new route cannot be forgotten).
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut routes: Vec<String> = source
        .match_indices(".route(\"")
        .map(|(at, _)| source[at + 8..].split('"').next().unwrap().to_owned())
        .collect();
    routes.extend(COMMAND_ROUTES.iter().map(|route| route.path.to_owned()));
    for route in &routes {
        assert!(paths.contains_key(route), "{route} is served but missing from /v1/openapi.json");
    }
    for name in Command::NAMES {
        let command_route = route_of(name).unwrap_or_else(|| panic!("{name} has no route"));
        let schema = &document["components"]["schemas"][command_route.command];
        let on_disk = example_payload(command_route.command);
        assert_eq!(schema["examples"][0], on_disk, "{} schema agrees with schemas/", command_route.command);
        let reference =
            &paths[command_route.path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(reference, &json!(format!("#/components/schemas/{}", command_route.command)));
    }
    let text = document.to_string();
    assert!(!text.contains("../definitions.json"), "every reference resolves inside the document");
}

/// The domain's list of commands is the only one: every command in it has exactly one route (whose
/// path parameter, if any, is the payload field it fills), a schema in schemas/commands and an
/// OpenAPI operation with that schema as its body; and there is no route for anything else.
#[test]
fn every_domain_command_has_exactly_one_route_one_schema_and_one_openapi_operation() {
    let document = kpi_ledger::http::openapi::document_value();
    let mut paths_seen = std::collections::BTreeSet::new();
    for name in Command::NAMES {
        let routes: Vec<_> = COMMAND_ROUTES.iter().filter(|route| route.command == *name).collect();
        assert_eq!(routes.len(), 1, "{name} has {} routes", routes.len());
        let route = routes[0];
        assert_eq!(route.kind.name(), *name);
        assert!(paths_seen.insert(route.path), "{name}: {} is the route of another command too", route.path);
        let parameters: Vec<&str> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(parameters, route.path_field.into_iter().collect::<Vec<_>>(), "{name}: {}", route.path);
        if let Some(field) = route.path_field {
            assert!(example_payload(name).get(field).is_some(), "{name}: {field} is not a payload field");
        }
        let schema_file = format!("{}/schemas/commands/{name}.json", env!("CARGO_MANIFEST_DIR"));
        assert!(std::path::Path::new(&schema_file).is_file(), "{name} has no schema in schemas/commands");
        let operation = &document["paths"][route.path]["post"];
        assert_eq!(operation["operationId"], *name, "{name} has no OpenAPI operation at {}", route.path);
        let reference = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(reference, &json!(format!("#/components/schemas/{name}")));
        assert!(document["components"]["schemas"][name].is_object(), "{name} has no OpenAPI schema");
    }
    assert_eq!(COMMAND_ROUTES.len(), Command::NAMES.len(), "a route for something that is not a command");
    let operations: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|item| item["post"]["operationId"].as_str())
        .collect();
    assert_eq!(operations.len(), Command::NAMES.len(), "an OpenAPI command operation that is not a command");
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, _) = api.get("auditor", "/v1/head").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = api.call("GET", "/metrics", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "metrics need a token, as the OpenAPI document says");
    let request = Request::builder()
        .uri("/metrics")
        .header("authorization", format!("Bearer {}", api.tokens["auditor"]))
        .body(Body::empty())
        .unwrap();
    let response = router(api.state.clone()).oneshot(request).await.unwrap();
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    for series in [
        "kpi_ledger_head_seq",
        "kpi_ledger_group_commits_total",
        "kpi_ledger_fsync_seconds_total",
        "kpi_ledger_http_request_duration_seconds_bucket",
        "kpi_ledger_projection_lag_events",
    ] {
        assert!(text.contains(series), "{series} missing:\n{text}");
    }
}

#[tokio::test]
async fn read_models_answer_as_of_any_point_and_refuse_bad_questions() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let ok_paths = [
        "/v1/scoreboard?unit=YS07&period=2017-06",
        "/v1/scoreboard?unit=YS07&period=2017-Q2",
        "/v1/rankings?unit=YS07&period=2017-06",
        "/v1/rankings?scheme=YS-2017&period=2017-06",
        "/v1/rankings?scheme=YS-2017&function_code=ZG&period=2017-06",
        "/v1/comparisons/horizontal?unit=YS07&period=2017-06",
        "/v1/comparisons/vertical?unit=YS07-ZGU&from=2017-01&to=2017-06",
        "/v1/traces?unit=YS07&period=2017-06",
        "/v1/indicator-load?unit=YS07",
        "/v1/indicator-load",
        "/v1/appeal-queue",
        "/v1/notices?scheme=YS-2017&period=2017-06",
        "/v1/rankings/diff?unit=YS07&period=2017-06&from=2017-07-12T00:00:00Z&to=latest",
    ];
    for path in ok_paths {
        let (status, body) = api.get("auditor", path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    // The half-year-report deduction (2 points) and the partial appeal (1 restored), seen at two points.
    let zg04_lost = |body: &Value| -> i64 {
        let indicators = body["indicators"].as_array().unwrap();
        let zg04 = indicators.iter().find(|i| i["indicator"] == "ZG-04").unwrap();
        zg04["points_max"].as_i64().unwrap() - zg04["score"].as_i64().unwrap()
    };
    let (_, now) = api.get("auditor", "/v1/scoreboard?unit=YS07&period=2017-06").await;
    let (_, before_appeal) =
        api.get("auditor", "/v1/scoreboard?unit=YS07&period=2017-06&as_of=2017-07-12T23:59:59Z").await;
    assert_eq!(now["as_of_seq"], json!(head));
    assert!(before_appeal["as_of_seq"].as_u64().unwrap() < head);
    assert_eq!((zg04_lost(&before_appeal), zg04_lost(&now)), (200, 100), "2 points lost on 07-12, 1 after the appeal");
    let (_, mut by_seq) = api
        .get("auditor", &format!("/v1/scoreboard?unit=YS07&period=2017-06&as_of={}", before_appeal["as_of_seq"]))
        .await;
    assert_eq!(before_appeal["as_of_instant"], "2017-07-12T23:59:59.000000Z", "the instant asked is echoed");
    by_seq["as_of_instant"] = before_appeal["as_of_instant"].clone();
    assert!(by_seq == before_appeal, "as of a sequence number and as of its instant agree");

    let (status, traced) = api.get("auditor", "/v1/traces?unit=YS07&period=2017-06&proofs=true").await;
    assert_eq!(status, StatusCode::OK);
    let cited = traced["proofs"]["events"].as_array().unwrap();
    assert!(!cited.is_empty(), "the trace's events come with inclusion proofs");
    assert_eq!(traced["proofs"]["checkpoint"]["tree_size"], json!(head));

    for (path, status, field) in [
        ("/v1/scoreboard?period=2017-06", StatusCode::BAD_REQUEST, "unit"),
        ("/v1/scoreboard?unit=YS07&period=2017-13", StatusCode::BAD_REQUEST, "period"),
        ("/v1/scoreboard?unit=YS07&period=2017-06&as_of=yesterday", StatusCode::BAD_REQUEST, "as_of"),
        ("/v1/scoreboard?unit=YS99&period=2017-06", StatusCode::NOT_FOUND, "unit"),
        ("/v1/rankings?period=2017-06", StatusCode::BAD_REQUEST, "unit"),
        ("/v1/rankings/diff?unit=YS07&period=2017-06&to=latest", StatusCode::BAD_REQUEST, "from"),
        ("/v1/traces?unit=YS07&period=2017-06&colour=red", StatusCode::BAD_REQUEST, "colour"),
        ("/v1/traces?unit=YS07&period=2017-06&proofs=yes", StatusCode::BAD_REQUEST, "proofs"),
        ("/v1/rankings?unit=YS07&period=2017-06&as_of=99999", StatusCode::BAD_REQUEST, "as_of"),
        ("/v1/rankings/diff?unit=YS07&period=2017-06&from=garbage", StatusCode::BAD_REQUEST, "from"),
        ("/v1/rankings/diff?unit=YS07&period=2017-06&from=1&as_of=5", StatusCode::BAD_REQUEST, "as_of"),
        ("/v1/comparisons/vertical?unit=YS99&from=2017-01&to=2017-06", StatusCode::NOT_FOUND, "unit"),
        ("/v1/comparisons/vertical?unit=YS07&from=2017-Q1&to=2017-06", StatusCode::BAD_REQUEST, "to"),
        ("/v1/indicator-load?unit=YS99", StatusCode::NOT_FOUND, "unit"),
        ("/v1/appeal-queue?unit=YS07", StatusCode::BAD_REQUEST, "unit"),
    ] {
        let (got, problem) = api.get("auditor", path).await;
        assert_eq!(got, status, "{path}: {problem}");
        assert_eq!(problem["field"], field, "{path}: {problem}");
    }
    let (status, _, _) = api.call("GET", "/v1/rankings?unit=YS07&period=2017-06", None, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Every refusal — an unknown path, a wrong method, a bad header — is problem+json naming what was
/// wrong; the bearer scheme is read without regard to case; a key named twice in a body is refused.
#[tokio::test]
async fn every_error_is_problem_json_naming_what_was_wrong() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let token = api.tokens["auditor"].clone();
    for (method, path, status, field) in [
        ("GET", "/nothing/here", StatusCode::NOT_FOUND, "path"),
        ("DELETE", "/v1/head", StatusCode::METHOD_NOT_ALLOWED, "method"),
        ("POST", "/v1/head", StatusCode::METHOD_NOT_ALLOWED, "method"),
        ("GET", "/v1/deductions", StatusCode::METHOD_NOT_ALLOWED, "method"),
    ] {
        let (got, content_type, problem) = api.call(method, path, Some(&token), None, &[]).await;
        assert_eq!((got, content_type.as_str()), (status, "application/problem+json"), "{method} {path}");
        assert_eq!(problem["field"], field, "{method} {path}: {problem}");
    }
    let (status, _, problem) =
        api.call("GET", "/v1/events/subscribe", Some(&token), None, &[("last-event-id", "18446744073709551615")]).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!("last-event-id")));
    let lower = format!("bearer {token}");
    let (status, _, _) = api.call("GET", "/v1/head", None, None, &[("authorization", lower.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "the scheme is case-insensitive");
    let duplicate = r#"{"unit": "YS13", "unit": "YS14", "name": "x", "level": "county", "parent": "YS"}"#;
    let (status, _, problem) = api.call("POST", "/v1/units", Some(&api.tokens["admin"]), Some(duplicate), &[]).await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!("unit")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("duplicate"), "{problem}");
    assert_eq!(api.head(), head, "nothing was appended");
}

/// The OpenAPI document declares each read's parameters with their real types.
#[tokio::test]
async fn read_parameters_are_declared_with_their_types() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (_, _, document) = api.call("GET", "/v1/openapi.json", None, None, &[]).await;
    let parameters = document["paths"]["/v1/events"]["get"]["parameters"].as_array().unwrap();
    let limit = parameters.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["type"], "integer");
    assert_eq!(limit["schema"]["maximum"], 1000);
    let vertical = document["paths"]["/v1/comparisons/vertical"]["get"]["parameters"].as_array().unwrap();
    assert!(vertical
        .iter()
        .any(|p| p["name"] == "from" && p["required"] == true && p["schema"]["pattern"].is_string()));
    assert_eq!(document["paths"]["/v1/openapi.json"]["get"]["security"], json!([]), "the document itself is public");
}
