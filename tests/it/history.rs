//! History import (issue 10 §5): a file of commands with their own times and actors, carried out in
//! order on a simulated clock, all or nothing; the events keep their historical times and say how
//! they came in.

use std::sync::Arc;

use kpi_ledger::domain::{Actor, Role, UnitCode};
use kpi_ledger::projection::AsOf;
use kpi_ledger::service::queries::RankingScope;
use kpi_ledger::service::{ManualClock, SeededIds, Service};
use kpi_ledger::store::Ledger;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};

/// The article's story as a history file: every step a line with its time and actor.
fn story_file() -> String {
    let mut file = String::new();
    for step in fixture::story() {
        let mut line = serde_json::to_value(&step.command).unwrap();
        line["recorded_at"] = json!(step.context.now.to_string());
        line["actor"] =
            json!({"id": step.context.actor.id, "role": step.context.actor.role, "unit": step.context.actor.unit});
        line["new_id"] = json!(step.context.new_id);
        file.push_str(&line.to_string());
        file.push('\n');
    }
    file
}

fn admin_of(unit: &str) -> Actor {
    Actor { id: "history-admin".into(), role: Role::Admin, unit: UnitCode::new(unit).unwrap() }
}

struct Fresh {
    _dir: tempfile::TempDir,
    service: Service,
    clock: Arc<ManualClock>,
}

fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::default());
    clock.set(kpi_ledger::domain::Timestamp::parse_rfc3339("2026-11-30T10:00:00Z").unwrap());
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new("history"))).unwrap();
    Fresh { _dir: dir, service, clock }
}

fn bodies(service: &Service) -> Vec<Value> {
    let page = service.records().page(1, 1_000).unwrap();
    page.events.iter().map(|event| serde_json::from_str(&event.body).unwrap()).collect()
}

#[test]
fn a_story_imported_as_history_keeps_its_times_and_scores_as_if_lived() {
    let ledger = fresh();
    let file = story_file();
    let imported = ledger.service.import_history(&admin_of("YS"), file.as_bytes()).unwrap();
    assert_eq!(imported.lines as usize, fixture::story().len());
    assert_eq!(imported.first_seq, 1);
    assert_eq!(imported.file_blake3, blake3::hash(file.as_bytes()).to_hex().to_string());

    let bodies = bodies(&ledger.service);
    assert_eq!(bodies.len() as u64, imported.events);
    let first = &bodies[0];
    assert_eq!(first["recorded_at"], json!(fixture::story()[0].context.now.to_string()), "the historical time");
    assert_eq!(first["actor"]["id"], json!(fixture::story()[0].context.actor.id), "the actor as the file names it");
    assert_eq!(
        first["imported"],
        json!({"by": "history-admin", "at": "2026-11-30T10:00:00.000000Z", "file_blake3": imported.file_blake3})
    );
    assert!(bodies.iter().all(|body| body["imported"]["file_blake3"] == json!(imported.file_blake3)));

    // The same rankings as the story decided live, and as-of dates of the past work.
    let read_models = ledger.service.records().read_models().unwrap();
    let june = kpi_ledger::domain::PeriodId::parse("2017-06").unwrap();
    let scope = RankingScope::OfUnit(UnitCode::new("YS07").unwrap());
    let ranking = read_models.ranking(&scope, june, AsOf::Latest).unwrap();
    let lived = fresh();
    for step in fixture::story() {
        lived.clock.set(step.context.now);
        let options = kpi_ledger::service::CommandOptions { new_id: Some(step.context.new_id), ..Default::default() };
        lived.service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    let lived_ranking = lived.service.records().read_models().unwrap().ranking(&scope, june, AsOf::Latest).unwrap();
    assert_eq!(ranking.value, lived_ranking.value, "the same ranking as the story lived through the service");
    let before_appeal = read_models.ranking(&scope, june, AsOf::EndOfDay { year: 2017, month: 7, day: 12 }).unwrap();
    assert!(before_appeal.as_of_seq < ranking.as_of_seq);

    // Later history and live commands follow.
    let later = r#"{"recorded_at":"2017-12-01T09:00:00+08:00","actor":{"id":"admin-ys","role":"admin","unit":"YS"},"command":"RenameUnit","payload":{"unit":"YS07","name":"丙县税务局"}}"#;
    ledger.service.import_history(&admin_of("YS"), later.as_bytes()).unwrap();
}

#[test]
fn a_refused_line_refuses_the_whole_file_naming_the_line_and_writes_nothing() {
    let ledger = fresh();
    let mut lines: Vec<String> = story_file().lines().map(str::to_owned).collect();
    let head = ledger.service.records().head();
    let refuse = |lines: &[String], by: &Actor| {
        let error = ledger.service.import_history(by, lines.join("\n").as_bytes()).unwrap_err();
        assert_eq!(ledger.service.records().head(), head, "nothing was written");
        error
    };

    // Time going back.
    let mut back = lines.clone();
    let mut tenth: Value = serde_json::from_str(&back[9]).unwrap();
    tenth["recorded_at"] = json!("2016-01-01T00:00:00Z");
    back[9] = tenth.to_string();
    let error = refuse(&back, &admin_of("YS"));
    assert_eq!((error.line, error.field.as_str()), (10, "recorded_at"), "{error}");

    // A command the rules refuse at that moment: the line, and the rule's field.
    let mut unknown: Value = serde_json::from_str(&lines[lines.len() - 1]).unwrap();
    unknown["payload"]["unit"] = json!("YS99");
    let mut refused = lines.clone();
    refused.push(unknown.to_string());
    let error = refuse(&refused, &admin_of("YS"));
    assert_eq!(error.line as usize, refused.len(), "{error}");
    assert!(error.to_string().starts_with(&format!("line {}: ", refused.len())), "{error}");

    // Only an admin imports, and only for actors in its scope.
    let assessor = Actor { role: Role::Assessor, ..admin_of("YS") };
    assert_eq!(refuse(&lines, &assessor).field, "authorization");
    let error = refuse(&lines, &admin_of("YS07"));
    assert_eq!((error.line, error.field.as_str()), (1, "actor.unit"), "{error}");

    // Access is not history; malformed lines name their field.
    lines.push(r#"{"recorded_at":"2017-12-01T09:00:00Z","actor":{"id":"a","role":"admin","unit":"YS"},"command":"GrantAccess","payload":{"token_hash":"00","actor_id":"x","role":"auditor","unit":"YS"}}"#.into());
    let error = refuse(&lines, &admin_of("YS"));
    assert_eq!(error.line as usize, lines.len());
    let bad_time = [r#"{"recorded_at":"yesterday","actor":{"id":"a","role":"admin","unit":"YS"},"command":"RegisterUnit","payload":{}}"#.to_owned()];
    assert_eq!(refuse(&bad_time, &admin_of("YS")).field, "recorded_at");
    let _ = &ledger.clock;
}

/// A ledger with one unit imported as history and an admin's and an assessor's token, for the API.
fn setup_for_api() -> (Fresh, Arc<Service>) {
    let ledger = fresh();
    let first = r#"{"recorded_at":"2014-01-02T09:00:00+08:00","actor":{"id":"admin-ys","role":"admin","unit":"YS"},"command":"RegisterUnit","payload":{"unit":"YS","name":"乙市国家税务局","level":"city","parent":null}}"#;
    let imported = ledger.service.import_history(&admin_of("YS"), first.as_bytes()).unwrap();
    assert_eq!(imported.events, 1);
    for (token, role) in [("admin-token", "admin"), ("assessor-token", "assessor")] {
        let grant = kpi_ledger::domain::Command::from_payload(
            "GrantAccess",
            &json!({"token_hash": kpi_ledger::service::tokens::token_hash(token), "actor_id": role, "role": role, "unit": "YS"}),
        )
        .unwrap();
        ledger.service.execute(admin_of("YS"), &grant, Default::default()).unwrap();
    }
    let service = Arc::new(
        Service::open(ledger.service.ledger().clone(), ledger.clock.clone(), Arc::new(SeededIds::new("api"))).unwrap(),
    );
    (ledger, service)
}

#[tokio::test]
async fn the_api_imports_history_for_an_admin_and_refuses_others_as_problem_json() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let (_ledger, service) = std::thread::spawn(setup_for_api).join().unwrap();
    let router = kpi_ledger::http::router(kpi_ledger::http::AppState::new(service.clone()).unwrap());
    let post = |token: &str, body: &str| {
        Request::builder()
            .method("POST")
            .uri("/v1/history")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/x-ndjson")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let later = r#"{"recorded_at":"2030-01-02T09:00:00+08:00","actor":{"id":"admin-ys","role":"admin","unit":"YS"},"command":"RenameUnit","payload":{"unit":"YS","name":"乙市税务局"}}"#;
    let response = router.clone().oneshot(post("assessor-token", later)).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let head = service.records().head();
    let bad = format!("{later}\n{{\"recorded_at\":\"2029-01-01T00:00:00Z\"}}");
    let response = router.clone().oneshot(post("admin-token", &bad)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(problem["detail"].as_str().unwrap().starts_with("line 2: "), "{problem}");
    assert_eq!(service.records().head(), head, "nothing was written");
    let response = router.oneshot(post("admin-token", later)).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[test]
fn the_command_line_imports_history_and_refuses_a_bad_file_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let file = dir.path().join("history.jsonl");
    std::fs::write(&file, story_file()).unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kpi-ledger"))
            .args(["history", "import", "--data", data.to_str().unwrap(), "--unit", "YS", file.to_str().unwrap()])
            .env_remove("KPI_LEDGER_DATA")
            .output()
            .unwrap()
    };
    let imported = run(&file);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(stdout.starts_with(&format!("imported {} commands as ", fixture::story().len())), "{stdout}");

    // The same file again: its times now precede the head, so the first line is refused and nothing
    // is recorded.
    let again = run(&file);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("line 1: recorded_at") && stderr.contains("nothing was recorded"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
