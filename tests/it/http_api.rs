//! The HTTP API through the router (`oneshot`, no socket): every route accepted and refused, the whole
//! role × command matrix (forbidden → 403 and nothing appended), the whole role × scope × read-route
//! matrix (docs/RULES.md §11, "Who may read what"), token expiry and revocation (an open event stream
//! ends), bad input → 4xx problem+json with the field named and nothing appended, idempotency,
//! If-Match, proofs, and the OpenAPI document (issue 5).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kpi_ledger::domain::{allowed_roles, Command, Role};
use kpi_ledger::http::commands::{route_of, COMMAND_ROUTES};
use kpi_ledger::http::ledger_reads::LEDGER_ROUTES;
use kpi_ledger::http::queries::QUERY_ROUTES;
use kpi_ledger::http::{router, AppState};
use kpi_ledger::service::tokens::token_hash;
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service};
use kpi_ledger::store::Ledger;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};
use tower::ServiceExt;

const ROLES: [Role; 9] = Role::ALL;

/// The person a `person` token speaks for at each seat: a YS07 section head for the city and for
/// YS07 (the person the sample reads ask about), one registered for the purpose in YS08 for the peer.
fn person_of_seat(unit: &str) -> &'static str {
    match unit {
        "YS08" => "YS08-0001",
        _ => "YS07-0201",
    }
}

/// The units readers are scoped to besides the city: the county the sample reads ask about, and a
/// county of the same peer group that holds none of YS07's facts.
const COUNTIES: [&str; 2] = ["YS07", "YS08"];

/// The local read token the tests give the server (`server.json` holds a random one).
const LOCAL_TOKEN: &str = "test-local-read-token";

pub(crate) struct Api {
    _dir: tempfile::TempDir,
    pub(crate) state: AppState,
    pub(crate) clock: Arc<ManualClock>,
    /// One token per role, each scoped to the city (so scope never hides a role refusal), under the
    /// role's name; and one per role for each of `COUNTIES`, under `role@county`.
    pub(crate) tokens: BTreeMap<String, String>,
}

/// The story's ledger and tokens, recorded once per run.
static STORY: std::sync::OnceLock<(tempfile::TempDir, BTreeMap<String, String>)> = std::sync::OnceLock::new();

impl Api {
    /// The article's story, played through the service, plus tokens for every role: built once per
    /// run (one fsync per command), and copied for each test.
    pub(crate) fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ledger");
        Api::at(dir, &data)
    }

    /// As `new`, with the ledger at `data` (which `dir`, kept alive by the `Api`, holds).
    pub(crate) fn at(dir: tempfile::TempDir, data: &std::path::Path) -> Api {
        let (story, tokens) = STORY.get_or_init(Api::record_story);
        crate::support::copy_ledger_dir(story.path(), data);
        let ledger = Arc::new(Ledger::open(data).unwrap());
        // The clock stands where the story left it.
        let clock = Arc::new(ManualClock::default());
        clock.set(fixture::story().last().unwrap().context.now);
        // Another seed than the story's: ids made here must not repeat the story's.
        let service = Arc::new(Service::open(ledger, clock.clone(), Arc::new(SeededIds::new("http tests"))).unwrap());
        let state = AppState::new(service).unwrap().with_local_read_token(LOCAL_TOKEN);
        Api { _dir: dir, state, clock, tokens: tokens.clone() }
    }

    fn record_story() -> (tempfile::TempDir, BTreeMap<String, String>) {
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
        let peer_person =
            Command::from_payload("RegisterPerson", &json!({"person": "YS08-0001", "name": "冯股长", "unit": "YS08"}))
                .unwrap();
        service.execute(admin.clone(), &peer_person, CommandOptions::default()).unwrap();
        let mut tokens = BTreeMap::new();
        for role in ROLES {
            for unit in std::iter::once("YS").chain(COUNTIES) {
                let key = match unit {
                    "YS" => role.as_str().to_owned(),
                    county => format!("{}@{county}", role.as_str()),
                };
                let token = format!("test-token-{key}");
                let actor_id = format!("{}-{}", role.as_str(), unit.to_lowercase());
                let mut payload =
                    json!({"token_hash": token_hash(&token), "actor_id": actor_id, "role": role, "unit": unit});
                if role == Role::Person {
                    payload["person"] = json!(person_of_seat(unit));
                }
                let grant = Command::from_payload("GrantAccess", &payload).unwrap();
                service.execute(admin.clone(), &grant, CommandOptions::default()).unwrap();
                tokens.insert(key, token);
            }
        }
        drop(service);
        ledger.close();
        (dir, tokens)
    }

    pub(crate) fn head(&self) -> u64 {
        self.state.service.ledger().head().seq
    }

    /// The temporary directory and the state, apart: dropping the state closes the ledger (a server
    /// stopping), and the directory stays for the ledger to be opened again.
    pub(crate) fn into_parts(self) -> (tempfile::TempDir, AppState) {
        (self._dir, self.state)
    }

    pub(crate) async fn call(
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

    pub(crate) async fn post(&self, role: &str, path: &str, body: &Value) -> (StatusCode, String, Value) {
        self.call("POST", path, Some(&self.tokens[role]), Some(&body.to_string()), &[]).await
    }

    pub(crate) async fn get(&self, role: &str, path: &str) -> (StatusCode, Value) {
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
    let actor_ids = |body: &Value| -> Vec<String> {
        let grants = body["grants"].as_array().unwrap().iter();
        let mut ids: Vec<String> = grants.map(|grant| grant["actor_id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    assert_eq!(actor_ids(&body), ["assessor-ys", "assessor-ys07", "assessor-ys08"], "{body}");
    let expires_at = body["grants"][0]["expires_at"].as_str().unwrap();
    assert_eq!(expires_at, now.plus_days(90).to_string(), "a grant lasts 90 days unless it says otherwise");
    let (status, body) = api.get("auditor@YS07", &format!("/v1/access?role=assessor&at={now}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(actor_ids(&body), ["assessor-ys07"], "a county auditor sees the grants of its county only");
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
    // Every POST is a command's, except the few that carry something else (a document, a history
    // file), each named here.
    const NOT_COMMANDS: [&str; 1] = ["ImportHistory"];
    let operations: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|item| item["post"]["operationId"].as_str())
        .filter(|operation| !NOT_COMMANDS.contains(operation))
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
        ("/v1/appeal-queue?unit=YS99", StatusCode::NOT_FOUND, "unit"),
        ("/v1/appeal-queue?period=2017-13", StatusCode::BAD_REQUEST, "period"),
        ("/v1/rankings/diff?unit=YS07&period=2017-06&from=1&as_of=garbage", StatusCode::BAD_REQUEST, "as_of"),
        ("/v1/rankings?scheme=YS-2017&function_code=QQ&period=2017-06", StatusCode::NOT_FOUND, "function_code"),
        ("/v1/notices?scheme=YS-2017&function_code=QQ&period=2017-06", StatusCode::NOT_FOUND, "function_code"),
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
        ("GET", "/v1/cause-attributions", StatusCode::METHOD_NOT_ALLOWED, "method"),
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

// ---- Who may read what ---------------------------------------------------------------------------

/// Who reads, in the read matrix: a role's token at the city, at YS07 (which every sample read asks
/// about) or at YS08 (a peer of YS07 holding none of its facts), or the local read token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seat {
    City,
    Own,
    Peer,
}

impl Seat {
    const ALL: [Seat; 3] = [Seat::City, Seat::Own, Seat::Peer];

    fn token_key(self, role: Role) -> String {
        match self {
            Seat::City => role.as_str().to_owned(),
            Seat::Own => format!("{}@YS07", role.as_str()),
            Seat::Peer => format!("{}@YS08", role.as_str()),
        }
    }
}

/// One request per read route, asking about YS07 in June 2017 wherever the route takes a unit. A
/// route without a sample here fails the matrix: a new read must say who may read it.
fn sample_read(path: &str, event_id: &str, stream: &str) -> Option<String> {
    let sample = match path {
        "/v1/scoreboard" => "/v1/scoreboard?unit=YS07&period=2017-06",
        "/v1/rankings" => "/v1/rankings?unit=YS07&period=2017-06",
        "/v1/rankings/diff" => "/v1/rankings/diff?unit=YS07&period=2017-06&from=2017-07-12T00:00:00Z",
        "/v1/comparisons/horizontal" => "/v1/comparisons/horizontal?unit=YS07&period=2017-06",
        "/v1/comparisons/vertical" => "/v1/comparisons/vertical?unit=YS07&from=2017-01&to=2017-06",
        "/v1/traces" => "/v1/traces?unit=YS07&period=2017-06",
        "/v1/indicator-load" => "/v1/indicator-load?unit=YS07",
        "/v1/appeal-queue" => "/v1/appeal-queue?unit=YS07",
        "/v1/my-appeals" => "/v1/my-appeals",
        "/v1/deductions" => "/v1/deductions?unit=YS07&period=2017-06",
        "/v1/notices" => "/v1/notices?unit=YS07&period=2017-06",
        "/v1/events" => "/v1/events?limit=2",
        "/v1/events/subscribe" => "/v1/events/subscribe",
        "/v1/events/{event_id}" => return Some(format!("/v1/events/{event_id}")),
        "/v1/streams/{stream}/events" => return Some(format!("/v1/streams/{stream}/events?limit=2")),
        "/v1/head" => "/v1/head",
        "/v1/units" => "/v1/units",
        "/v1/access" => "/v1/access",
        "/v1/verification" => "/v1/verification",
        "/v1/export" => "/v1/export",
        "/v1/key" => "/v1/key",
        "/v1/checkpoint" => "/v1/checkpoint",
        "/v1/proofs/inclusion" => "/v1/proofs/inclusion?seq=3",
        "/v1/proofs/consistency" => "/v1/proofs/consistency?from=10",
        "/v1/proofs/bundle" => "/v1/proofs/bundle?seq=3,4",
        "/v1/bulletin" => "/v1/bulletin?unit=YS07&period=2017-06",
        "/v1/schemes" => "/v1/schemes",
        "/v1/indicators" => "/v1/indicators?scheme=YS-2017",
        "/v1/periods" => "/v1/periods?scheme=YS-2017",
        "/v1/persons" => "/v1/persons?unit=YS07",
        "/v1/persons/scorecard" => "/v1/persons/scorecard?person=YS07-0201&period=2017-Q2",
        "/v1/persons/indicators" => "/v1/persons/indicators?person=YS07-0201&period=2017-06",
        "/v1/persons/weekly-records" => "/v1/persons/weekly-records?person=YS07-0201&period=2017-06",
        "/v1/persons/reviews" => "/v1/persons/reviews?person=YS07-0201&period=2017-Q2",
        "/v1/individual-rankings" => "/v1/individual-rankings?unit=YS07&period=2017",
        "/v1/annual-grades" => "/v1/annual-grades?unit=YS07&period=2017",
        "/v1/result-uses" => "/v1/result-uses?unit=YS07",
        _ => return None,
    };
    Some(sample.to_owned())
}

/// docs/RULES.md §11, "Who may read what", restated for the matrix: the status a reader gets for the
/// sample read of `path`, and the refusal's code and field.
fn expected_read(path: &str, role: Role, seat: Seat) -> Result<(), (&'static str, &'static str)> {
    let holds_ys07 = seat != Seat::Peer;
    let ledger_reader = matches!(role, Role::Admin | Role::Auditor);
    let out_of_scope_unit = Err(("out_of_scope", "unit"));
    let organisation = [
        "/v1/head",
        "/v1/key",
        "/v1/checkpoint",
        "/v1/proofs/inclusion",
        "/v1/proofs/consistency",
        "/v1/units",
        "/v1/schemes",
        "/v1/indicators",
        "/v1/periods",
    ];
    let one_persons_data =
        ["/v1/persons/scorecard", "/v1/persons/indicators", "/v1/persons/weekly-records", "/v1/persons/reviews"];
    if organisation.contains(&path) {
        return Ok(());
    }
    // A person reads the organisation and their own data only; the sample reads ask about the person
    // the city's and YS07's person tokens speak for.
    if role == Role::Person {
        return match (one_persons_data.contains(&path), holds_ys07) {
            (true, true) => Ok(()),
            (true, false) => Err(("out_of_scope", "person")),
            (false, _) => Err(("role_not_allowed", "authorization")),
        };
    }
    let person_reader = matches!(role, Role::Admin | Role::Office | Role::Leader | Role::Committee | Role::Auditor);
    match path {
        "/v1/persons" | "/v1/individual-rankings" | "/v1/annual-grades" => match (person_reader, holds_ys07) {
            (false, _) => Err(("role_not_allowed", "authorization")),
            (true, true) => Ok(()),
            (true, false) => out_of_scope_unit,
        },
        path if one_persons_data.contains(&path) => match (person_reader, holds_ys07) {
            (false, _) => Err(("role_not_allowed", "authorization")),
            (true, true) => Ok(()),
            (true, false) => Err(("out_of_scope", "person")),
        },
        "/v1/result-uses" => match holds_ys07 {
            true => Ok(()),
            false => out_of_scope_unit,
        },
        // YS08 is ranked in YS07's group: the table is published to the group.
        "/v1/rankings" => Ok(()),
        // Every reader has its own: the appeals its unit (or a unit under it) filed.
        "/v1/my-appeals" => Ok(()),
        "/v1/scoreboard"
        | "/v1/comparisons/horizontal"
        | "/v1/comparisons/vertical"
        | "/v1/traces"
        | "/v1/indicator-load"
        | "/v1/deductions"
        | "/v1/appeal-queue" => match holds_ys07 {
            true => Ok(()),
            false => out_of_scope_unit,
        },
        // What moved each member, and each member's repeat problems: for the scheme's issuer only.
        "/v1/rankings/diff" | "/v1/notices" | "/v1/bulletin" => match seat {
            Seat::City => Ok(()),
            _ => out_of_scope_unit,
        },
        "/v1/access" => match ledger_reader {
            true => Ok(()),
            false => Err(("role_not_allowed", "authorization")),
        },
        "/v1/events"
        | "/v1/events/subscribe"
        | "/v1/events/{event_id}"
        | "/v1/streams/{stream}/events"
        | "/v1/verification"
        | "/v1/export"
        | "/v1/proofs/bundle" => match (ledger_reader, seat) {
            (false, _) => Err(("role_not_allowed", "authorization")),
            (true, Seat::City) => Ok(()),
            (true, _) => Err(("out_of_scope", "authorization")),
        },
        other => panic!("{other}: the read matrix does not say who may read it"),
    }
}

impl Api {
    /// GET `path` and return the status, the content type and the body when it is JSON (an event
    /// stream or an export is not read: its status is what counts).
    async fn read_status(&self, token: &str, path: &str) -> (StatusCode, String, Value) {
        let request = Request::builder()
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        if !content_type.contains("json") || content_type.contains("ndjson") {
            return (status, content_type, Value::Null);
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Every role, from the city, from YS07 and from YS08, against every read route of both tables
/// (iterated, not listed): allowed → 200, refused → 403 problem+json with the code and the field the
/// rules name; the local read token reads everything. Nothing is ever appended by a read.
#[tokio::test]
async fn every_role_reads_what_its_role_and_scope_allow_and_is_refused_the_rest() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let (_, first) = api.get("auditor", "/v1/events?from=1&limit=1").await;
    let event_id = first["events"][0]["body"]["event_id"].as_str().unwrap().to_owned();
    let stream = first["events"][0]["body"]["stream"].as_str().unwrap().to_owned();
    let paths: Vec<&str> =
        LEDGER_ROUTES.iter().map(|route| route.path).chain(QUERY_ROUTES.iter().map(|route| route.path)).collect();
    let mut checked = 0;
    let mut refused = 0;
    for path in &paths {
        let request = sample_read(path, &event_id, &stream)
            .unwrap_or_else(|| panic!("{path}: no sample read in the matrix; say who may read it"));
        let (status, _, body) = api.read_status(LOCAL_TOKEN, &request).await;
        assert_eq!(status, StatusCode::OK, "{request} with the local read token: {body}");
        for role in ROLES {
            for seat in Seat::ALL {
                let token = &api.tokens[&seat.token_key(role)];
                let (status, content_type, body) = api.read_status(token, &request).await;
                let who = format!("{request} as {} at {seat:?}", role.as_str());
                match expected_read(path, role, seat) {
                    Ok(()) => assert_eq!(status, StatusCode::OK, "{who}: {body}"),
                    Err((code, field)) => {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
                        assert_eq!(content_type, "application/problem+json", "{who}");
                        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some(code), Some(field)), "{who}");
                        assert!(body["detail"].as_str().unwrap().starts_with(&format!("{field}: ")), "{who}: {body}");
                        refused += 1;
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, paths.len() * ROLES.len() * Seat::ALL.len());
    assert!(refused > 100, "the matrix refuses something on most routes ({refused} of {checked})");
    assert_eq!(api.head(), head, "reads append nothing");
}

/// A ranking asked by another unit of the group is the group's table, which every member sees; a
/// section's office sees its own section group, not the counties' table it is no member of.
#[tokio::test]
async fn a_ranking_is_read_by_its_group_and_its_issuer() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, by_peer) = api.get("office@YS08", "/v1/rankings?unit=YS07&period=2017-06").await;
    assert_eq!(status, StatusCode::OK, "{by_peer}");
    let (_, own) = api.get("office@YS08", "/v1/rankings?unit=YS08&period=2017-06").await;
    assert_eq!(by_peer, own, "the same table, whichever member names it");
    let (status, _) = api.get("office@YS08", "/v1/rankings?scheme=YS-2017&function_code=ZG&period=2017-06").await;
    assert_eq!(status, StatusCode::OK, "YS08 holds its personnel section, a member of the ZG group");
    let (status, problem) = api.get("office@YS08", "/v1/notices?scheme=YS-2017&period=2017-06").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::FORBIDDEN, Some("scheme")), "{problem}");
    let (status, problem) = api.get("office@YS08", "/v1/rankings?scheme=YS-2017&function_code=QQ&period=2017-06").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::NOT_FOUND, Some("function_code")), "{problem}");
}

/// The appeal queue honours `unit` and `period`, and holds only the appeals the reader's scope holds.
#[tokio::test]
async fn the_appeal_queue_is_filtered_by_unit_period_and_the_readers_scope() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let appeal_id =
        fixture::story().iter().find(|step| step.label == fixture::LABEL_APPEAL).unwrap().context.new_id.to_string();
    let (status, _, body) = api
        .post(
            "appellant",
            &format!("/v1/appeals/{appeal_id}/escalation"),
            &json!({"grounds": "报告按时报送，不应扣分 (the report was on time)"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let waiting = |body: &Value| body["appeals"].as_array().map_or(usize::MAX, Vec::len);
    for (reader, path, expected) in [
        ("reviewer", "/v1/appeal-queue", 1),
        ("committee", "/v1/appeal-queue?unit=YS07", 1),
        ("committee", "/v1/appeal-queue?unit=YS", 1),
        ("committee", "/v1/appeal-queue?unit=YS08", 0),
        ("committee", "/v1/appeal-queue?unit=YS07&period=2017-06", 1),
        ("committee", "/v1/appeal-queue?period=2017-Q2", 1),
        ("committee", "/v1/appeal-queue?period=2017-07", 0),
        ("office@YS07", "/v1/appeal-queue", 1),
        ("appellant@YS07", "/v1/appeal-queue?unit=YS07", 1),
        ("office@YS08", "/v1/appeal-queue", 0),
    ] {
        let (status, body) = api.get(reader, path).await;
        assert_eq!((status, waiting(&body)), (StatusCode::OK, expected), "{path} as {reader}: {body}");
    }
    let (status, problem) = api.get("office@YS08", "/v1/appeal-queue?unit=YS07").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::FORBIDDEN, Some("unit")), "{problem}");
}

/// A grant lasts its `valid_days` (90 unless given); past it the token is refused with 401
/// `token_expired`, for reads and commands alike, and it leaves the list of grants in force.
#[tokio::test]
async fn a_token_expires_after_its_days_and_is_refused_as_expired() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let token = "test-token-one-day";
    let grant = json!({"token_hash": token_hash(token), "actor_id": "auditor-one-day", "role": "auditor",
                       "unit": "YS", "valid_days": 1});
    let (status, _, body) = api.post("admin", "/v1/access-grants", &grant).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, body) = api.call("GET", "/v1/head", Some(token), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, all) = api.get("auditor", "/v1/access?all=true&role=auditor").await;
    let listed = all["grants"].as_array().unwrap().iter().find(|g| g["actor_id"] == "auditor-one-day").unwrap();
    let now = kpi_ledger::service::Clock::now(&*api.clock);
    assert_eq!(listed["expires_at"], json!(now.plus_days(1).to_string()), "{listed}");

    api.clock.set(now.plus_days(1));
    for (method, path) in [("GET", "/v1/head"), ("GET", "/v1/rankings?unit=YS07&period=2017-06"), ("POST", "/v1/units")]
    {
        let body = (method == "POST").then_some("{}");
        let (status, content_type, problem) = api.call(method, path, Some(token), body, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(
            (problem["code"].as_str(), problem["field"].as_str()),
            (Some("token_expired"), Some("authorization"))
        );
        assert!(problem["detail"].as_str().unwrap().contains("token expired"), "{problem}");
    }
    let (_, in_force) = api.get("auditor", "/v1/access?role=auditor").await;
    assert!(!in_force.to_string().contains("auditor-one-day"), "an expired grant is not in force: {in_force}");
    let (status, body) = api.get("auditor", "/v1/head").await;
    assert_eq!(status, StatusCode::OK, "a 90-day token still acts a day later: {body}");
    let (status, _, problem) = api
        .post(
            "admin",
            "/v1/access-grants",
            &json!({"token_hash": "e".repeat(64),
        "actor_id": "x", "role": "auditor", "unit": "YS", "valid_days": 367}),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("valid_days")), "{problem}");
}

/// Reads the frames of an event stream until it ends or `wait` passes with nothing new; returns the
/// sequence numbers it sent and whether it ended.
async fn drain_events(body: &mut Body, wait: std::time::Duration, until_seq: Option<u64>) -> (Vec<u64>, bool) {
    let mut seqs = Vec::new();
    loop {
        match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return (seqs, false),
            Ok(None) => return (seqs, true),
            Ok(Some(frame)) => {
                let frame = frame.unwrap();
                let Some(data) = frame.data_ref() else { continue };
                let text = String::from_utf8_lossy(data);
                seqs.extend(
                    text.lines()
                        .filter_map(|line| line.strip_prefix("id:"))
                        .map(|id| id.trim().parse::<u64>().unwrap()),
                );
                if until_seq.is_some_and(|until| seqs.contains(&until)) {
                    return (seqs, false);
                }
            }
        }
    }
}

/// An open event stream ends when the token that opened it is revoked — none of the events recorded
/// with or after the revocation reaches it — or when the token expires.
#[tokio::test]
async fn an_open_event_stream_ends_when_its_token_is_revoked_or_expires() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let grant = |fill: char, days: u32| {
        json!({"token_hash": fill.to_string().repeat(64), "actor_id": format!("grant-{fill}"), "role": "office",
               "unit": "YS07", "valid_days": days})
    };
    let open = |token: &str, from: u64| {
        let request = Request::builder()
            .uri(format!("/v1/events/subscribe?from={from}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        router(api.state.clone()).oneshot(request)
    };
    let wait = std::time::Duration::from_secs(5);

    let auditor = api.tokens["auditor"].clone();
    let response = open(&auditor, api.head() + 1).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let (status, _, first) = api.post("admin", "/v1/access-grants", &grant('1', 90)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first_seq = first["last_seq"].as_u64().unwrap();
    let (seqs, ended) = drain_events(&mut body, wait, Some(first_seq)).await;
    assert_eq!((seqs, ended), (vec![first_seq], false), "the stream follows the ledger live");

    let revocation = json!({"token_hash": token_hash(&auditor), "reason": "left the audit office"});
    let (status, _, revoked) = api.post("admin", "/v1/access-revocations", &revocation).await;
    assert_eq!(status, StatusCode::CREATED, "{revoked}");
    for fill in ['2', '3', '4'] {
        let (status, _, body) = api.post("admin", "/v1/access-grants", &grant(fill, 90)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (seqs, ended) = drain_events(&mut body, wait, None).await;
    assert!(ended, "the stream of a revoked token ends");
    assert!(seqs.is_empty(), "nothing recorded with or after the revocation is sent: {seqs:?}");

    // A token that expires while its stream is open: the next head ends the stream.
    let short = "test-token-short-stream";
    let short_grant = json!({"token_hash": token_hash(short), "actor_id": "auditor-short", "role": "auditor",
                             "unit": "YS", "valid_days": 1});
    let (status, _, body) = api.post("admin", "/v1/access-grants", &short_grant).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let response = open(short, api.head() + 1).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let now = kpi_ledger::service::Clock::now(&*api.clock);
    api.clock.set(now.plus_days(1));
    let (status, _, written) = api.post("admin", "/v1/access-grants", &grant('5', 90)).await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let (seqs, ended) = drain_events(&mut body, wait, None).await;
    assert!(ended && seqs.is_empty(), "the stream of an expired token ends: {seqs:?}");
}

/// Paging values out of range, badly typed values, bad path segments: 4xx problem+json naming the
/// parameter; nothing is clamped.
#[tokio::test]
async fn out_of_range_and_badly_typed_parameters_are_refused_by_name() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let head = api.head();
    let (status, page) = api.get("auditor", &format!("/v1/events?from={}", head + 1)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["events"].as_array().unwrap().is_empty(), "where the next event will be: an empty page");
    for (path, field) in [
        ("/v1/events?from=0".to_owned(), "from"),
        (format!("/v1/events?from={}", head + 2), "from"),
        ("/v1/events?limit=0".to_owned(), "limit"),
        ("/v1/events?limit=1001".to_owned(), "limit"),
        ("/v1/events?from=1.5".to_owned(), "from"),
        ("/v1/events/subscribe?from=0".to_owned(), "from"),
        (format!("/v1/events/subscribe?from={}", head + 2), "from"),
        ("/v1/streams/settings/events?from_version=0".to_owned(), "from_version"),
        ("/v1/proofs/inclusion?seq=0".to_owned(), "seq"),
        ("/v1/proofs/inclusion?seq=3&size=0".to_owned(), "size"),
        ("/v1/proofs/bundle?seq=3,,4".to_owned(), "seq"),
        ("/v1/proofs/bundle?seq=0".to_owned(), "seq"),
        ("/v1/verification?saved_head=12:abc".to_owned(), "saved_head"),
        ("/v1/access?role=root".to_owned(), "role"),
        ("/v1/scoreboard?unit=YS07&period=2017-06&%FF=1".to_owned(), "%FF"),
        ("/v1/scoreboard?unit=YS07&period=2017-06&x%ZZ=1".to_owned(), "x%ZZ"),
        ("/v1/events/%FF".to_owned(), "event_id"),
        ("/v1/streams/%C3%28/events".to_owned(), "stream"),
    ] {
        let (status, content_type, problem) = api.read_status(&api.tokens["auditor"], &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{path}");
        assert_eq!(problem["field"], field, "{path}: {problem}");
    }
    let (status, content_type, problem) =
        api.call("POST", "/v1/units/%FF/renaming", Some(&api.tokens["admin"]), Some("{}"), &[]).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"));
    assert_eq!(problem["field"], "unit", "{problem}");
    let (status, _, problem) = api
        .call(
            "GET",
            "/v1/events/subscribe",
            Some(&api.tokens["auditor"]),
            None,
            &[("last-event-id", &(head + 1).to_string())],
        )
        .await;
    assert_eq!((status, problem["field"].clone()), (StatusCode::BAD_REQUEST, json!("last-event-id")), "{problem}");
    assert_eq!(api.head(), head);
}

/// The OpenAPI document says who may read each read route (the rule `may_read` enforces), lists the
/// 401 and 403 answers, and declares every query parameter with a typed schema.
#[test]
fn the_openapi_document_says_who_may_read_each_route_and_types_every_parameter() {
    let document = kpi_ledger::http::openapi::document_value();
    let paths = document["paths"].as_object().unwrap();
    let reads = LEDGER_ROUTES
        .iter()
        .map(|route| (route.path, route.read_kind()))
        .chain(QUERY_ROUTES.iter().map(|route| (route.path, route.read_kind)));
    for (path, kind) in reads {
        let operation = &paths[path]["get"];
        assert_eq!(operation["description"], kind.rule(), "{path}");
        assert!(operation["responses"]["403"].is_object(), "{path}");
        for parameter in operation["parameters"].as_array().unwrap() {
            let schema = &parameter["schema"];
            assert!(schema["type"].is_string(), "{path} {parameter}");
            if schema["type"] == "integer" {
                assert!(schema["minimum"].is_u64() && schema["maximum"].is_u64(), "{path} {parameter}");
                if parameter["name"] != "offset" {
                    assert_ne!(schema["minimum"], 0, "{path}: nothing is numbered 0 {parameter}");
                }
            }
        }
    }
    let access = paths["/v1/access"]["get"]["parameters"].as_array().unwrap();
    let role = access.iter().find(|p| p["name"] == "role").unwrap();
    assert_eq!(role["schema"]["enum"].as_array().unwrap().len(), ROLES.len());
    let queue = paths["/v1/appeal-queue"]["get"]["parameters"].as_array().unwrap();
    let names: Vec<&str> = queue.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["unit", "appellant", "period", "status", "as_of", "format"]);
    let event_id = &paths["/v1/events/{event_id}"]["get"]["parameters"][0];
    assert_eq!((event_id["in"].as_str(), event_id["schema"]["format"].as_str()), (Some("path"), Some("uuid")));
    assert!(paths["/metrics"]["get"]["description"].as_str().unwrap().contains("every valid token"));
    assert!(paths["/v1/openapi.json"]["get"]["responses"]["401"].is_null(), "the document needs no token");
}

#[tokio::test]
async fn roll_ups_count_open_months_only_when_asked_and_every_such_answer_lists_them() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    // July is open with nothing recorded: no perfect month, provisional or not.
    for path in ["/v1/rankings?unit=YS07&period=2017-Q3", "/v1/rankings?unit=YS07&period=2017-Q3&provisional=true"] {
        let (status, body) = api.get("auditor", path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!((&body["standings"], &body["provisional_periods"]), (&json!([]), &json!([])), "{path}");
    }
    let (status, body) = api.get("auditor", "/v1/scoreboard?unit=YS07&period=2017-07").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["detail"].as_str().unwrap().contains("nothing has been recorded yet in 2017-07"), "{body}");

    // A July deduction for YS08 gives July results; July still has no tier awards, so it cannot be published.
    let before = api.head();
    let deduction = json!({"scheme": "YS-2017", "period": "2017-07", "unit": "YS08", "indicator": "BGS-02",
        "points": 100, "reason": "late", "problem_category": "late_submission"});
    let (status, _, body) = api.post("assessor", "/v1/deductions", &deduction).await;
    assert!(status.is_success(), "{body}");
    let (status, _, body) =
        api.post("committee", "/v1/period-publications", &json!({"scheme": "YS-2017", "period": "2017-07"})).await;
    assert!(status.is_client_error(), "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("tier_awards_missing"), Some("period")),
        "{body}"
    );
    assert!(body["detail"].as_str().unwrap().contains("12 applicable tiered indicator(s)"), "{body}");

    // The month asked about on its own is shown, marked provisional, with its unassessed indicators counted.
    let (_, july) = api.get("auditor", "/v1/rankings?unit=YS07&period=2017-07").await;
    assert_eq!(july["standings"].as_array().unwrap().len(), 12);
    assert_eq!((&july["provisional_periods"], &july["unassessed_indicators"]), (&json!(["2017-07"]), &json!(12)));
    // The quarter counts it only when asked for provisional figures.
    let (_, q3) = api.get("auditor", "/v1/rankings?unit=YS07&period=2017-Q3").await;
    assert_eq!(q3["standings"], json!([]));
    let (_, q3) = api.get("auditor", "/v1/rankings?unit=YS07&period=2017-Q3&provisional=true").await;
    assert_eq!(q3["standings"].as_array().unwrap().len(), 12);
    assert_eq!(q3["provisional_periods"], json!(["2017-07"]));
    let (_, year) = api.get("auditor", "/v1/scoreboard?unit=YS07&period=2017").await;
    assert_eq!((year["base_periods"].as_array().unwrap().len(), &year["provisional_periods"]), (6, &json!([])));
    let (_, year) = api.get("auditor", "/v1/scoreboard?unit=YS07&period=2017&provisional=true").await;
    assert_eq!(
        (year["base_periods"].as_array().unwrap().len(), &year["provisional_periods"]),
        (7, &json!(["2017-07"]))
    );
    for path in [
        "/v1/comparisons/horizontal?unit=YS08&period=2017-Q3&provisional=true",
        "/v1/comparisons/vertical?unit=YS08&from=2017-Q2&to=2017-Q3&provisional=true",
        "/v1/traces?unit=YS08&period=2017-Q3&provisional=true",
        "/v1/notices?scheme=YS-2017&period=2017-Q3&provisional=true",
    ] {
        let (status, body) = api.get("auditor", path).await;
        assert_eq!((status, &body["provisional_periods"]), (StatusCode::OK, &json!(["2017-07"])), "{path}: {body}");
    }
    let (status, body) = api.get("auditor", "/v1/traces?unit=YS08&period=2017-Q3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["detail"].as_str().unwrap().contains("2017-07 not published yet"), "{body}");
    let diff = format!("/v1/rankings/diff?unit=YS07&period=2017-Q3&from={before}&provisional=true");
    let (status, body) = api.get("auditor", &diff).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["after"]["provisional_periods"], json!(["2017-07"]));
    assert_eq!(body["changes"].as_array().unwrap().len(), 12, "every county came into the quarter: {body}");
    let (status, body) = api.get("auditor", "/v1/rankings?unit=YS07&period=2017-Q3&provisional=yes").await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("provisional")));
}

/// A read is never queued behind commands waiting for the decider: deciding runs off the async
/// threads, and only `COMMANDS_DECIDING_MAX` commands at once take a blocking thread to wait on it.
/// Here the decider is held (as a long decision holds it) while three times that many commands wait
/// for it, on a runtime with two async threads and blocking threads for those commands, this read and
/// this test's client: the read is still answered before the decider is let go (when the commands
/// hold the async threads, or every blocking thread, it is answered only once it is let go, 20 s on).
#[test]
fn a_read_is_answered_while_commands_wait_for_the_decider() {
    let deciding_max = kpi_ledger::limits::COMMANDS_DECIDING_MAX;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(deciding_max + 2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(reads_while_commands_wait(deciding_max * 3));
}

async fn reads_while_commands_wait(commands: usize) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let api = tokio::task::spawn_blocking(Api::new).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(api.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The decider is held until the read is answered, or for 20 s at most.
    let released = Arc::new(AtomicBool::new(false));
    let (held, holding) = std::sync::mpsc::channel();
    let (answered, answer) = std::sync::mpsc::channel::<()>();
    let holder = {
        let (service, released) = (api.state.service.clone(), released.clone());
        std::thread::spawn(move || {
            service.with_facts(|_| {
                held.send(()).unwrap();
                let _ = answer.recv_timeout(std::time::Duration::from_secs(20));
                released.store(true, Ordering::SeqCst);
            })
        })
    };
    holding.recv().unwrap();
    let commands: Vec<_> = (0..commands)
        .map(|index| {
            let (url, token) = (format!("{base}/v1/persons"), api.tokens["admin"].clone());
            let body = json!({"person": format!("YS07-9{index:03}"), "name": "waiting", "unit": "YS07"}).to_string();
            std::thread::spawn(move || {
                let _ = ureq::post(&url)
                    .header("authorization", &format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .send(&body);
            })
        })
        .collect();
    // Every place to decide taken, and the rest of the commands given time to arrive.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while api.state.deciding.available_permits() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (url, token) = (format!("{base}/v1/rankings?unit=YS07&period=2017-06"), api.tokens["auditor"].clone());
    let status = tokio::task::spawn_blocking(move || {
        ureq::get(&url).header("authorization", &format!("Bearer {token}")).call().map(|answer| answer.status())
    })
    .await
    .unwrap();
    let answered_while_held = !released.load(Ordering::SeqCst);
    let _ = answered.send(());
    assert_eq!(status.map(|status| status.as_u16()).map_err(|error| error.to_string()), Ok(200));
    assert!(answered_while_held, "the read waited until the decider was let go");
    holder.join().unwrap();
    commands.into_iter().for_each(|command| command.join().unwrap());
}
