//! Individuals through the adapters (issue 11): a member of staff with a `person` token, their section
//! chief with a `leader` token and the county's office do their parts through the service; the person
//! then reads their own indicators, weekly records, reviews and scorecard over HTTP — and nobody
//! else's — and the same answers come from the command line on the closed ledger.
//!
//! Invariant guarded: a person token reads only its own person's data; what the API and the CLI say
//! about a person is what was recorded.

use axum::http::StatusCode;
use kpi_ledger::domain::date::Date;
use kpi_ledger::domain::timestamp::UtcOffset;
use kpi_ledger::domain::{Actor, Command, Role, UnitCode};
use kpi_ledger::service::tokens::token_hash;
use kpi_ledger::service::CommandOptions;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};

use crate::http_api::Api;

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");
const STAFF_TOKEN: &str = "test-token-person-ys07-0201";

fn actor(id: &str, role: Role, unit: &str) -> Actor {
    Actor { id: id.to_owned(), role, unit: UnitCode::new(unit).unwrap() }
}

/// Executes `name` with `payload` as `actor` at the API's clock, which moves on a minute first.
fn execute(api: &Api, actor: &Actor, name: &str, payload: Value) {
    api.clock.advance_micros(60_000_000);
    let command = Command::from_payload(name, &payload).unwrap_or_else(|r| panic!("{name}: {}", r.message));
    api.state
        .service
        .execute(actor.clone(), &command, CommandOptions::default())
        .unwrap_or_else(|error| panic!("{name} {payload}: {error}"));
}

/// The story's ledger, then: a person token for 孙股长 (YS07-0201); the office defines a personal
/// indicator for them and deducts 1.50 in July; they file this week's record; the leader in charge
/// reviews them for the quarter at 88.00. Returns the week and the quarter.
fn people_story(api: &Api) -> (String, String) {
    let now = fixture::story().last().unwrap().context.now;
    api.clock.set(now);
    let admin = actor("admin.ys", Role::Admin, "YS");
    let office = actor("office.ys07", Role::Office, "YS07");
    let staff = actor("person.ys07.0201", Role::Person, "YS07-ZGG");
    let leader = actor("leader.ys07.zhao", Role::Leader, "YS07");
    let grant = json!({
        "token_hash": token_hash(STAFF_TOKEN), "actor_id": staff.id, "role": "person", "unit": "YS07-ZGG",
        "person": "YS07-0201"
    });
    execute(api, &admin, "GrantAccess", grant);
    let define = json!({
        "unit": "YS07", "year": 2017, "indicator": "P-0201-01", "person": "YS07-0201",
        "name": "政工信息报送 (personnel reports on time)", "points_max": 1000, "method": {"kind": "deduct"},
        "effective_from": "2017-07"
    });
    execute(api, &office, "DefinePersonalIndicator", define);
    let assess = json!({
        "unit": "YS07", "indicator": "P-0201-01", "period": "2017-07",
        "outcome": {"kind": "deduction", "points": 150}, "reason": "两份信息迟报 (two reports late)"
    });
    execute(api, &office, "AssessPersonalIndicator", assess);
    let today = Date::of_instant(api.clock_now(), UtcOffset::parse("+08:00").unwrap());
    let week = today.iso_week().to_string();
    let record = json!({
        "person": "YS07-0201", "week": week, "text": "整理人事档案 40 份 (filed 40 personnel records)",
        "indicators": [{"kind": "personal", "indicator": "P-0201-01"}]
    });
    execute(api, &staff, "FileWeeklyRecord", record);
    let quarter = format!("{}-Q3", today.month_period().year());
    let review = json!({"person": "YS07-0201", "quarter": quarter, "score": 8800, "comment": "认真细致 (careful)"});
    execute(api, &leader, "ReviewPerson", review);
    (week, quarter)
}

impl Api {
    fn clock_now(&self) -> kpi_ledger::domain::Timestamp {
        use kpi_ledger::service::Clock;
        self.clock.now()
    }

    async fn get_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call("GET", path, Some(token), None, &[]).await;
        (status, body)
    }
}

#[tokio::test]
async fn a_person_reads_their_own_record_over_http_and_nobody_elses() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    // Commands block until durable: off the async test's thread.
    let (week, quarter) = std::thread::scope(|scope| scope.spawn(|| people_story(&api)).join().unwrap());
    let person = "person=YS07-0201";

    let (status, indicators) =
        api.get_as(STAFF_TOKEN, &format!("/v1/persons/indicators?{person}&period=2017-07")).await;
    assert_eq!(status, StatusCode::OK, "{indicators}");
    let text = indicators.to_string();
    assert!(text.contains("P-0201-01"), "their personal indicator: {text}");

    let (status, records) =
        api.get_as(STAFF_TOKEN, &format!("/v1/persons/weekly-records?{person}&period={quarter}")).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    let text = records.to_string();
    assert!(text.contains(&week) && text.contains("整理人事档案 40 份"), "the week they filed: {text}");

    let (status, reviews) = api.get_as(STAFF_TOKEN, &format!("/v1/persons/reviews?{person}&period={quarter}")).await;
    assert_eq!(status, StatusCode::OK, "{reviews}");
    assert!(reviews.to_string().contains("8800"), "the leader's score: {reviews}");

    let scorecard_path = format!("/v1/persons/scorecard?{person}&period={quarter}&provisional=true");
    let (status, scorecard) = api.get_as(STAFF_TOKEN, &scorecard_path).await;
    assert_eq!(status, StatusCode::OK, "{scorecard}");
    assert!(scorecard.to_string().contains("8800"), "the review counts in the scorecard: {scorecard}");

    // Anyone else's data, a unit's or the ledger: refused, naming what.
    let (status, refused) = api.get_as(STAFF_TOKEN, "/v1/persons/scorecard?person=YS07-0301&period=2017-Q3").await;
    assert_eq!((status, refused["field"].as_str()), (StatusCode::FORBIDDEN, Some("person")), "{refused}");
    let (status, refused) = api.get_as(STAFF_TOKEN, "/v1/rankings?unit=YS07&period=2017-06").await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_not_allowed")), "{refused}");
    let (status, refused) = api.get_as(STAFF_TOKEN, "/v1/persons?unit=YS07").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    // The county's office reads the person too.
    let (status, _) = api.get("office@YS07", &format!("/v1/persons/weekly-records?{person}&period={quarter}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn the_command_line_tells_a_persons_indicators_records_and_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let (week, quarter) = {
        let keep = tempfile::tempdir().unwrap();
        let api = Api::at(keep, &data);
        let story = people_story(&api);
        api.state.service.ledger().close();
        story
    };
    let data = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(BINARY).args(args).env_remove("KPI_LEDGER_DATA").output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{args:?}: {stderr}");
        stdout.into_owned()
    };
    let indicators = run(&["person", "indicators", "--data", data, "--person", "YS07-0201", "--period", "2017-07"]);
    assert!(indicators.contains("P-0201-01"), "{indicators}");
    let records = run(&["person", "records", "--data", data, "--person", "YS07-0201", "--period", &quarter]);
    assert!(records.contains(&week) && records.contains("整理人事档案 40 份"), "{records}");
    let reviews = run(&["person", "reviews", "--data", data, "--person", "YS07-0201", "--period", &quarter]);
    assert!(reviews.contains("88.00"), "{reviews}");
    let json = run(&["person", "reviews", "--data", data, "--person", "YS07-0201", "--period", &quarter, "--json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert!(json.to_string().contains("8800"), "{json}");
    let unknown = std::process::Command::new(BINARY)
        .args(["person", "reviews", "--data", data, "--person", "YS07-9999", "--period", &quarter])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("person"), "names the flag");
}
