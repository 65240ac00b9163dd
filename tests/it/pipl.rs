//! Personal information that can be erased (PIPL, 个人信息保护法; docs/RULES.md §15.12, docs/FORMAT.md §9):
//! names, weekly-record texts, their comments and reviews' comments are recorded sealed under a key of
//! the person's own, kept in the data directory's `person-keys` file and never in sled; the views open
//! them; `ErasePerson` destroys the key. Version 1 events, which hold these texts in clear, stay
//! readable as they are.
//!
//! Invariant guarded: after an erasure the chain verifies byte for byte, every score and ranking is
//! what it was, the texts read as erased, and no file under the data directory holds the key or the
//! plain text — not after a restart either; the export carries ciphertext only.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};
use std::sync::Arc;

use axum::http::StatusCode;
use kpi_ledger::chain::sealed_text;
use kpi_ledger::chain::{Chain, Stamp};
use kpi_ledger::domain::command::{ErasePerson, FileWeeklyRecord, ReviewPerson};
use kpi_ledger::domain::date::{Date, IsoWeek};
use kpi_ledger::domain::event::PersonErased;
use kpi_ledger::domain::timestamp::UtcOffset;
use kpi_ledger::domain::{
    Actor, Command, Event, PeriodId, PersonId, PersonKey, PersonalText, RecordedBy, RejectionCode as Code, Role,
    TextField, Timestamp, UnitCode,
};
use kpi_ledger::projection::{AsOf, Snapshot};
use kpi_ledger::service::person_keys::{ERASED_TEXT, UNREADABLE_TEXT};
use kpi_ledger::service::queries::{Answer, QueryError, RankingScope, Reader, View};
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::tokens::token_hash;
use kpi_ledger::service::{Clock, CommandOptions, Executed, ManualClock, SeededIds, Service, ServiceError};
use kpi_ledger::store::{person_keys, Ledger, SealedAppend};
use kpi_testkit::story as fixture;
use serde_json::{json, Value};

use crate::harness::{self, actor as harness_actor, admin as harness_admin};
use crate::http_api::Api;

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");

/// YS07-0201, 孙股长 in the article's story: the person erased here.
const ERASED: &str = "YS07-0201";
const ERASED_NAME: &str = "孙股长";
const RECORD_TEXT: &str = "整理人事档案四十份 (filed forty personnel records)";
const COMMENT_TEXT: &str = "归档及时，继续保持 (filed on time; keep it up)";
const REVIEW_TEXT: &str = "工作细致认真 (careful and thorough)";

fn actor(id: &str, role: Role, unit: &str) -> Actor {
    Actor { id: id.to_owned(), role, unit: UnitCode::new(unit).unwrap() }
}

fn person(code: &str) -> PersonId {
    PersonId::new(code).unwrap()
}

fn unit(code: &str) -> UnitCode {
    UnitCode::new(code).unwrap()
}

fn admin() -> Actor {
    actor("admin.ys", Role::Admin, "YS")
}

/// Carries out `name` with `payload` as `actor`, the clock a minute on.
fn execute(service: &Service, clock: &ManualClock, actor: &Actor, name: &str, payload: Value) -> Executed {
    try_execute(service, clock, actor, name, payload).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn try_execute(
    service: &Service,
    clock: &ManualClock,
    actor: &Actor,
    name: &str,
    payload: Value,
) -> Result<Executed, ServiceError> {
    clock.advance_micros(60_000_000);
    let command = Command::from_payload(name, &payload).unwrap_or_else(|r| panic!("{name}: {}", r.message));
    service.execute(actor.clone(), &command, CommandOptions::default())
}

fn rejection_of(result: Result<Executed, ServiceError>) -> (Code, String) {
    match result {
        Err(ServiceError::Rejected(rejection)) => (rejection.code, rejection.field),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        match entry.file_type().unwrap().is_dir() {
            true => files.extend(files_under(&entry.path())),
            false => files.push(entry.path()),
        }
    }
    files
}

/// The files under `dir` whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|file| std::fs::read(file).unwrap().windows(needle.len()).any(|window| window == needle))
        .collect()
}

/// `value` without the members that hold personal texts or say they were erased: what an erasure
/// leaves unchanged.
fn without_texts(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(key, _)| !["name", "erased", "comment", "text"].contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), without_texts(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_texts).collect()),
        other => other.clone(),
    }
}

// ---- Sealing ----------------------------------------------------------------------------------------

/// A ledger with a city, a county and a section, and one person registered through the service.
fn registered(dir: &Path, seed: &str) -> (Service, Arc<ManualClock>) {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::starting_at(Timestamp::from_civil(2017, 7, 3, 9, 0, 0).unwrap()));
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new(seed))).unwrap();
    let admin = actor("admin.ys", Role::Admin, "YS");
    for payload in [
        json!({"unit": "YS", "name": "乙市国家税务局", "level": "city", "parent": null}),
        json!({"unit": "YS07", "name": "七县国家税务局", "level": "county", "parent": "YS"}),
        json!({"unit": "YS07-ZGG", "name": "征管股", "level": "section", "parent": "YS07", "function_code": "ZGG"}),
    ] {
        execute(&service, &clock, &admin, "RegisterUnit", payload);
    }
    let register = json!({"person": "YS07-0001", "name": "王小明", "unit": "YS07-ZGG"});
    execute(&service, &clock, &admin, "RegisterPerson", register);
    (service, clock)
}

#[test]
fn a_name_is_recorded_sealed_under_the_persons_key_and_read_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _) = registered(dir.path(), "pipl sealing");
    let stored = service.ledger().event_at(service.ledger().head().seq).unwrap().unwrap();
    let body: Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!((body["type"].as_str(), body["schema_version"].as_u64()), (Some("PersonRegistered"), Some(2)));
    assert!(body["data"]["name"]["ciphertext"].is_string(), "{body}");
    assert!(!stored.body.contains("王小明"), "the name is not in the event: {}", stored.body);
    harness::assert_valid_event_data("PersonRegistered", 2, &body["data"]);

    // The key is in the key file, and opens the name exactly where it was sealed.
    let keys = person_keys::load(dir.path()).unwrap();
    let key = &keys[&person("YS07-0001")];
    let sealed: kpi_ledger::domain::SealedText = serde_json::from_value(body["data"]["name"].clone()).unwrap();
    assert_eq!(sealed_text::open(key, &person("YS07-0001"), TextField::PersonName, &sealed).unwrap(), "王小明");
    assert!(
        sealed_text::open(key, &person("YS07-0002"), TextField::PersonName, &sealed).is_err(),
        "bound to the person"
    );
    assert!(sealed_text::open(key, &person("YS07-0001"), TextField::ReviewComment, &sealed).is_err(), "and the field");

    // The view opens it; the facts (and so the snapshots) hold only the ciphertext.
    let read_models = service.records().read_models().unwrap();
    let persons = read_models.persons(&Reader::Local, &unit("YS07"), AsOf::Latest, service.person_keys()).unwrap();
    let listing = &persons.value.persons[0];
    assert_eq!((listing.name.plain(), listing.erased), (Some("王小明"), false));
    let held = service.with_facts(|facts| facts.persons[&person("YS07-0001")].name.clone());
    assert!(held.is_sealed(), "the decider's facts hold the sealed name");
    let (_, snapshot_name) = read_models
        .with_projection(AsOf::Latest, |projection| projection.facts().persons[&person("YS07-0001")].name.clone())
        .unwrap();
    assert!(snapshot_name.is_sealed(), "the read models' facts hold the sealed name");
    let (_, snapshot) = read_models.with_projection(AsOf::Latest, Snapshot::bytes_of).unwrap();
    assert!(!snapshot.windows("王小明".len()).any(|window| window == "王小明".as_bytes()), "a snapshot holds no name");
    let reread = Snapshot::from_bytes(&snapshot).unwrap().projection;
    assert_eq!(reread.facts().persons[&person("YS07-0001")].name, snapshot_name, "and reads back sealed");

    // Keys and nonces come from the injected randomness: the same seed records the same bytes.
    let again = tempfile::tempdir().unwrap();
    let (replayed, _) = registered(again.path(), "pipl sealing");
    assert_eq!(replayed.ledger().head(), service.ledger().head(), "reproducible");
    let (other, _) = registered(tempfile::tempdir().unwrap().path(), "another seed");
    assert_ne!(other.ledger().head().hash, service.ledger().head().hash);
}

#[test]
fn the_golden_version_2_samples_open_under_the_golden_key() {
    let key = PersonKey(crate::domain_story::GOLDEN_PERSON_KEY);
    for (event_type, field, plain_member) in [
        ("PersonRegistered", TextField::PersonName, "name"),
        ("WeeklyRecordFiled", TextField::WeeklyRecordText, "text"),
        ("WeeklyRecordCommented", TextField::WeeklyRecordComment, "comment"),
        ("PersonReviewed", TextField::ReviewComment, "comment"),
        ("GradeRecorded", TextField::GradeReason, "reason"),
        ("PersonalIndicatorAssessed", TextField::PersonalAssessmentReason, "reason"),
    ] {
        let read = |version: u32| -> Value {
            let path = harness::manifest_path(&format!("tests/golden/events/{event_type}.v{version}.json"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let (v1, v2) = (read(1), read(2));
        let event = Event::from_stored(event_type, 2, &v2).unwrap();
        let (who, sealed_field, text) = event.personal_text().unwrap();
        assert_eq!((sealed_field, event.schema_version()), (field, 2));
        let PersonalText::Sealed(sealed) = text else { panic!("{event_type} v2 holds a sealed text") };
        let opened = sealed_text::open(&key, who, field, sealed).unwrap();
        assert_eq!(opened, v1[plain_member].as_str().unwrap(), "{event_type}: v2 is v1 sealed");
    }
}

// ---- Version 1 stays readable ---------------------------------------------------------------------

/// The v1 → v2 steps invent nothing: a v1 text reaches the current type as the plain text it is (the
/// step's JSON is the JSON it read), is written back as v1, and a v1 body holding a sealed object is
/// refused as v1.
#[test]
fn a_version_1_text_steps_to_version_2_as_plain_text() {
    for (event_type, member) in [
        ("PersonRegistered", "name"),
        ("WeeklyRecordFiled", "text"),
        ("WeeklyRecordCommented", "comment"),
        ("PersonReviewed", "comment"),
        ("GradeRecorded", "reason"),
        ("PersonalIndicatorAssessed", "reason"),
    ] {
        let path = harness::manifest_path(&format!("tests/golden/events/{event_type}.v1.json"));
        let v1: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let step = kpi_ledger::domain::UPCAST_STEPS
            .iter()
            .find(|step| step.event_type == event_type && step.from_version == 1)
            .unwrap_or_else(|| panic!("{event_type} v1 has a step"));
        assert_eq!(step.apply(v1.clone()), Ok(v1.clone()), "{event_type}: the step's JSON is the JSON it read");
        let event = Event::from_stored(event_type, 1, &v1).unwrap();
        let (_, _, text) = event.personal_text().unwrap();
        assert_eq!(text.plain(), v1[member].as_str(), "{event_type}");
        assert_eq!((event.schema_version(), event.to_data()), (1, v1.clone()), "{event_type}: written back as v1");
        let mut sealed_as_v1 = v1;
        sealed_as_v1[member] = json!({"ciphertext": "ab".repeat(16), "nonce": "00".repeat(24)});
        let error = Event::from_stored(event_type, 1, &sealed_as_v1).unwrap_err();
        assert!(error.to_string().contains("version 1"), "{event_type}: {error}");
    }
}

/// Appends `events` to `ledger` as they are (the way they were recorded before texts were sealed).
fn append_as_recorded(ledger: &Ledger, events: &[Event], at: Timestamp) {
    let recorded_by = RecordedBy { id: "admin.ys".into(), role: Role::Admin };
    let mut chain = Chain::at(ledger.head());
    let ids = SeededIds::new("version 1");
    let sealed = events
        .iter()
        .map(|event| {
            let stamp = Stamp {
                event_id: kpi_ledger::service::IdSource::next_id(&ids, at),
                recorded_at: at,
                recorded_by: &recorded_by,
                command_id: None,
                correlation_id: None,
                imported: None,
            };
            chain.append(event, stamp).unwrap().0
        })
        .collect();
    ledger.append(SealedAppend { events: sealed, command: None }).unwrap();
}

#[test]
fn version_1_texts_stay_readable_and_a_new_text_of_the_person_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let at = Timestamp::from_civil(2017, 7, 3, 9, 0, 0).unwrap();
    {
        let ledger = Ledger::open(dir.path()).unwrap();
        let units = [
            json!({"unit": "YS", "name": "乙市", "level": "city", "parent": null, "function_code": null}),
            json!({"unit": "YS07", "name": "七县", "level": "county", "parent": "YS", "function_code": null}),
            json!({"unit": "YS07-ZGG", "name": "征管股", "level": "section", "parent": "YS07", "function_code": "ZGG"}),
        ];
        let mut events: Vec<Event> =
            units.iter().map(|data| Event::from_stored("UnitRegistered", 1, data).unwrap()).collect();
        let v1 = json!({"person": "YS07-0001", "name": "老王", "unit": "YS07-ZGG"});
        let registered = Event::from_stored("PersonRegistered", 1, &v1).unwrap();
        assert_eq!(registered.schema_version(), 1, "a plain name is version 1");
        assert_eq!(registered.to_data(), v1, "and is written back as it was");
        events.push(registered);
        append_as_recorded(&ledger, &events, at);
        let stored = ledger.event_at(4).unwrap().unwrap();
        assert!(stored.body.contains("\"schema_version\":1") && stored.body.contains("老王"), "{}", stored.body);
    }
    // Version 2 data with a plain text is not what version 2 writes: refused, naming the version.
    let plain_v2 = json!({"person": "YS07-0001", "name": "老王", "unit": "YS07-ZGG"});
    let error = Event::from_stored("PersonRegistered", 2, &plain_v2).unwrap_err();
    assert!(error.to_string().contains("version 2"), "{error}");

    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::starting_at(at));
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new("after v1"))).unwrap();
    assert!(service.person_keys().is_empty(), "no key for a name recorded in clear");
    let read_models = service.records().read_models().unwrap();
    let persons = read_models.persons(&Reader::Local, &unit("YS07"), AsOf::Latest, service.person_keys()).unwrap();
    assert_eq!(persons.value.persons[0].name.plain(), Some("老王"));

    // The person's first sealed text gets them a key; their name stays the version 1 it is.
    let leader = actor("leader.ys07.liu", Role::Leader, "YS07");
    let review = json!({"person": "YS07-0001", "quarter": "2017-Q3", "score": 9000, "comment": REVIEW_TEXT});
    execute(&service, &clock, &leader, "ReviewPerson", review);
    assert_eq!(service.person_keys().len(), 1);
    let stored = service.ledger().event_at(service.ledger().head().seq).unwrap().unwrap();
    assert!(stored.body.contains("\"schema_version\":2") && !stored.body.contains(REVIEW_TEXT), "{}", stored.body);
    let reviews = read_models
        .person_reviews(&person("YS07-0001"), PeriodId::parse("2017-Q3").unwrap(), AsOf::Latest, service.person_keys())
        .unwrap();
    assert_eq!(reviews.value.quarters[0].reviews[0].comment.plain(), Some(REVIEW_TEXT));
}

// ---- Erasure --------------------------------------------------------------------------------------

/// On the story's ledger: a person token for YS07-0201, who files this week's record; their section
/// chief comments on it; the leader in charge reviews them for Q3. Returns the week.
fn personal_story(service: &Service, clock: &ManualClock) -> IsoWeek {
    let staff = actor("person.ys07.0201", Role::Person, "YS07-ZGG");
    let chief = actor("leader.ys07zgg.chen", Role::Leader, "YS07-ZGG");
    let leader = actor("leader.ys07.liu", Role::Leader, "YS07");
    let grant = json!({
        "token_hash": token_hash("pipl-staff-token"), "actor_id": staff.id, "role": "person", "unit": "YS07-ZGG",
        "person": ERASED
    });
    execute(service, clock, &admin(), "GrantAccess", grant);
    let week = Date::of_instant(clock.now(), UtcOffset::parse("+08:00").unwrap()).iso_week();
    let record = json!({"person": ERASED, "week": week.to_string(), "text": RECORD_TEXT});
    execute(service, clock, &staff, "FileWeeklyRecord", record);
    let comment = json!({"person": ERASED, "week": week.to_string(), "comment": COMMENT_TEXT});
    execute(service, clock, &chief, "CommentWeeklyRecord", comment);
    let review = json!({"person": ERASED, "quarter": "2017-Q3", "score": 8800, "comment": REVIEW_TEXT});
    execute(service, clock, &leader, "ReviewPerson", review);
    week
}

/// What the erasure must leave unchanged and what it must erase, as the views answer.
struct Views {
    persons: Value,
    scorecard: Value,
    records: Value,
    reviews: Value,
    individual: Value,
    ranking: Value,
}

fn value_of<T: serde::Serialize>(answer: Result<Answer<T>, QueryError>) -> Value {
    serde_json::to_value(answer.unwrap().value).unwrap()
}

fn views(read_models: &ReadModels, service: &Service, week: IsoWeek) -> Views {
    let keys = service.person_keys();
    let erased = person(ERASED);
    let (q3, year) = (PeriodId::parse("2017-Q3").unwrap(), PeriodId::parse("2017").unwrap());
    let provisional = View::provisional(AsOf::Latest);
    let month = week.thursday().month_period();
    let ys07 = RankingScope::OfUnit(unit("YS07"));
    Views {
        persons: value_of(read_models.persons(&Reader::Local, &unit("YS07"), AsOf::Latest, keys)),
        scorecard: value_of(read_models.person_scorecard(&erased, q3, provisional, keys)),
        records: value_of(read_models.weekly_records(&erased, month, AsOf::Latest, keys)),
        reviews: value_of(read_models.person_reviews(&erased, q3, AsOf::Latest, keys)),
        individual: value_of(read_models.individual_ranking(&unit("YS07"), year, provisional, keys)),
        ranking: value_of(read_models.ranking(&ys07, PeriodId::parse("2017-06").unwrap(), AsOf::Latest)),
    }
}

fn assert_erased_listing(persons: &Value) {
    let listings = persons["persons"].as_array().unwrap();
    let erased = listings.iter().find(|listing| listing["person"] == ERASED).unwrap();
    assert_eq!((erased["name"].as_str(), erased["erased"].as_bool()), (Some(ERASED_TEXT), Some(true)), "{erased}");
    let other = listings.iter().find(|listing| listing["person"] == "YS07-0301").unwrap();
    assert_eq!((other["name"].as_str(), other["erased"].as_bool()), (Some("李股长"), Some(false)), "{other}");
}

fn assert_texts_erased(views: &Views) {
    assert_erased_listing(&views.persons);
    assert_eq!(
        (views.scorecard["name"].as_str(), views.scorecard["erased"].as_bool()),
        (Some(ERASED_TEXT), Some(true))
    );
    assert_eq!(views.records["erased"], json!(true));
    let filed: Vec<&Value> =
        views.records["weeks"].as_array().unwrap().iter().filter(|w| w["status"] == "filed").collect();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0]["text"], json!(ERASED_TEXT));
    assert_eq!(filed[0]["comments"][0]["comment"], json!(ERASED_TEXT));
    assert_eq!(
        (views.reviews["erased"].clone(), views.reviews["quarters"][0]["reviews"][0]["comment"].clone()),
        (json!(true), json!(ERASED_TEXT))
    );
    for text in [ERASED_NAME, RECORD_TEXT, COMMENT_TEXT, REVIEW_TEXT] {
        for view in [&views.persons, &views.scorecard, &views.records, &views.reviews, &views.individual] {
            assert!(!view.to_string().contains(text), "{text} in {view}");
        }
    }
}

fn assert_nothing_changed_but_the_texts(before: &Views, after: &Views) {
    let pairs = [
        ("persons", &before.persons, &after.persons),
        ("scorecard", &before.scorecard, &after.scorecard),
        ("weekly records", &before.records, &after.records),
        ("reviews", &before.reviews, &after.reviews),
        ("individual ranking", &before.individual, &after.individual),
    ];
    for (what, before, after) in pairs {
        assert_eq!(without_texts(before), without_texts(after), "{what}");
    }
    assert_eq!(before.ranking, after.ranking, "the county ranking");
}

fn verify_with_the_binary(data: &Path) {
    let output = Process::new(BINARY).args(["verify", "--data", data.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("chain intact"));
}

#[test]
fn an_erased_person_reads_as_erased_while_the_chain_and_every_score_stay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let api = Api::at(dir, &data);
    let (service, clock, read_models) = (api.state.service.clone(), api.clock.clone(), api.state.read_models.clone());
    let week = personal_story(&service, &clock);
    let before = views(&read_models, &service, week);
    assert!(before.persons.to_string().contains(ERASED_NAME) && before.records.to_string().contains(COMMENT_TEXT));
    assert!(before.records.to_string().contains(RECORD_TEXT) && before.reviews.to_string().contains(REVIEW_TEXT));
    for text in [ERASED_NAME, RECORD_TEXT, COMMENT_TEXT, REVIEW_TEXT] {
        assert_eq!(files_holding(&data, text.as_bytes()), Vec::<PathBuf>::new(), "{text} was sealed from the start");
    }
    let key = person_keys::load(&data).unwrap().remove(&person(ERASED)).expect("the person has a key");

    // Refused erasures name the field and leave the ledger as it was.
    let head = service.ledger().head();
    let unknown = json!({"person": "YS07-9999", "legal_basis": "本人申请删除"});
    assert_eq!(
        rejection_of(try_execute(&service, &clock, &admin(), "ErasePerson", unknown)),
        (Code::UnknownPerson, "person".into())
    );
    let blank = json!({"person": ERASED, "legal_basis": " "});
    assert_eq!(
        rejection_of(try_execute(&service, &clock, &admin(), "ErasePerson", blank)),
        (Code::InvalidText, "legal_basis".into())
    );
    assert_eq!(service.ledger().head(), head, "nothing was appended");

    let erase = json!({"person": ERASED, "legal_basis": "本人申请删除 (PIPL 第四十七条)"});
    let executed = execute(&service, &clock, &admin(), "ErasePerson", erase.clone());
    assert_eq!(executed.event_types, vec!["PersonErased"]);
    let stored = service.ledger().event_at(executed.last_seq).unwrap().unwrap();
    let body: Value = serde_json::from_str(&stored.body).unwrap();
    let decoded = Event::from_stored("PersonErased", 1, &body["data"]).unwrap();
    assert_eq!(
        decoded,
        Event::from(PersonErased {
            person: person(ERASED), legal_basis: "本人申请删除 (PIPL 第四十七条)".into()
        })
    );
    assert!(!person_keys::load(&data).unwrap().contains_key(&person(ERASED)), "the key left the key file");
    assert!(service.person_keys().is_erased(&person(ERASED)));

    // Erased once: a second erasure, and every new text about them, is refused; nothing is appended.
    let head = service.ledger().head();
    assert_eq!(
        rejection_of(try_execute(&service, &clock, &admin(), "ErasePerson", erase)),
        (Code::PersonErased, "person".into())
    );
    let leader = actor("leader.ys07.liu", Role::Leader, "YS07");
    let review = json!({"person": ERASED, "quarter": "2017-Q3", "score": 9000, "comment": "again"});
    assert_eq!(
        rejection_of(try_execute(&service, &clock, &leader, "ReviewPerson", review)),
        (Code::PersonErased, "person".into())
    );
    assert_eq!(service.ledger().head(), head);

    let after = views(&read_models, &service, week);
    assert_texts_erased(&after);
    assert_nothing_changed_but_the_texts(&before, &after);
    // Read as of before the erasure, the texts are erased too: the key that opened them is gone.
    let earlier = read_models
        .persons(&Reader::Local, &unit("YS07"), AsOf::Seq(executed.last_seq - 1), service.person_keys())
        .unwrap();
    assert_erased_listing(&serde_json::to_value(earlier.value).unwrap());
    service.records().verify(None, &|_| {}).expect("the chain verifies byte for byte");

    // A restart: the server stops, and the ledger is opened again from its files.
    drop((service, read_models));
    let (dir, state) = api.into_parts();
    drop(state);
    verify_with_the_binary(&data);
    let ledger = Arc::new(Ledger::open(&data).unwrap());
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new("pipl restart"))).unwrap();
    let read_models = service.records().read_models().unwrap();
    let restarted = views(&read_models, &service, week);
    assert_texts_erased(&restarted);
    assert_nothing_changed_but_the_texts(&before, &restarted);
    drop((read_models, service));

    // No file under the data directory holds the key, raw or as hex, or any of the person's texts.
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("the key", key.0.to_vec()),
        ("the key as hex", hex::encode(key.0).into_bytes()),
        ("the name", ERASED_NAME.as_bytes().to_vec()),
        ("the weekly record", RECORD_TEXT.as_bytes().to_vec()),
        ("the comment", COMMENT_TEXT.as_bytes().to_vec()),
        ("the review", REVIEW_TEXT.as_bytes().to_vec()),
    ];
    assert!(files_under(&data).len() > 3, "the data directory is searched");
    for (what, needle) in needles {
        assert_eq!(files_holding(&data, &needle), Vec::<PathBuf>::new(), "{what} is still in the data directory");
    }
    drop(dir);
}

#[tokio::test]
async fn erasure_is_an_admin_route_and_its_answers_say_what_was_erased() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let api = {
        let data = data.clone();
        std::thread::spawn(move || Api::at(dir, &data)).join().unwrap()
    };
    assert!(person_keys::load(&data).unwrap().contains_key(&person(ERASED)));
    let path = format!("/v1/persons/{ERASED}/erasure");
    let body = json!({"legal_basis": "本人申请删除 (PIPL 第四十七条)"});
    let head = api.head();
    let (status, _, problem) = api.post("auditor", &path, &body).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_not_allowed")));
    assert_eq!(api.head(), head);
    let (status, _, executed) = api.post("admin", &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{executed}");
    assert_eq!(executed["event_types"], json!(["PersonErased"]));
    assert!(!person_keys::load(&data).unwrap().contains_key(&person(ERASED)), "the key left the key file");
    let (status, _, problem) = api.post("admin", &path, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!((problem["code"].as_str(), problem["field"].as_str()), (Some("person_erased"), Some("person")));
    let (status, persons) = api.get("admin", "/v1/persons?unit=YS07").await;
    assert_eq!(status, StatusCode::OK, "{persons}");
    assert_erased_listing(&persons);
    let (_, card) = api.get("admin", &format!("/v1/persons/scorecard?person={ERASED}&period=2017-Q2")).await;
    assert_eq!((card["name"].as_str(), card["erased"].as_bool()), (Some(ERASED_TEXT), Some(true)), "{card}");
    // The raw events carry the ciphertext, as every event is carried: the name is not there.
    let (_, events) = api.get("auditor", "/v1/events?from=1&limit=100").await;
    assert!(events.to_string().contains("ciphertext") && !events.to_string().contains(ERASED_NAME));
}

#[test]
fn an_erasure_in_a_batch_removes_the_key_once_the_batch_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _) = registered(dir.path(), "pipl batch");
    let rename = Command::from_payload("RenameUnit", &json!({"unit": "YS07-ZGG", "name": "征收管理股"})).unwrap();
    let erase = ErasePerson { person: person("YS07-0001"), legal_basis: "本人申请删除".to_owned() };
    let unknown = ErasePerson { person: person("YS07-0002"), legal_basis: "本人申请删除".to_owned() };
    let head = service.ledger().head();
    let refused = service.execute_all(admin(), &[rename.clone(), erase.clone().into(), unknown.into()]).unwrap_err();
    assert_eq!(refused.index, 2, "{refused}");
    assert_eq!(service.ledger().head(), head, "all or nothing");
    assert!(!service.person_keys().is_erased(&person("YS07-0001")), "a refused batch erases nothing");
    assert!(person_keys::load(dir.path()).unwrap().contains_key(&person("YS07-0001")));
    service.execute_all(admin(), &[rename, erase.into()]).unwrap();
    assert!(person_keys::load(dir.path()).unwrap().is_empty(), "the key left the key file");
    assert!(service.person_keys().is_erased(&person("YS07-0001")));
}

#[test]
fn a_key_an_erasure_left_behind_in_a_crash_is_purged_when_the_ledger_opens() {
    let dir = tempfile::tempdir().unwrap();
    let (service, clock) = registered(dir.path(), "pipl purge");
    let keys = person_keys::load(dir.path()).unwrap();
    let erase = json!({"person": "YS07-0001", "legal_basis": "本人申请删除"});
    execute(&service, &clock, &admin(), "ErasePerson", erase);
    service.records().close();
    drop(service);
    // As if the process died after the erasure was durable and before the key file was replaced.
    person_keys::replace(dir.path(), &keys).unwrap();
    let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
    let service = Service::open(ledger, clock, Arc::new(SeededIds::new("pipl purge again"))).unwrap();
    assert!(person_keys::load(dir.path()).unwrap().is_empty(), "purged on open");
    assert!(service.person_keys().is_erased(&person("YS07-0001")));
}

// ---- Who may erase --------------------------------------------------------------------------------

#[test]
fn only_an_admin_whose_scope_holds_the_person_erases_and_only_once() {
    let mut world = crate::domain_people::people_world();
    let now = fixture::at(7, 15, 9, 0);
    let erase = |person_id: &str, basis: &str| ErasePerson { person: person(person_id), legal_basis: basis.to_owned() };
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let someone = harness_actor("someone.ys", role, "YS");
        world.when(&someone, now, erase(ERASED, "本人申请删除")).then_rejected(Code::RoleNotAllowed, "actor.role");
    }
    let other_county = harness_actor("admin.ys08", Role::Admin, "YS08");
    world.when(&other_county, now, erase(ERASED, "本人申请删除")).then_rejected(Code::OutOfScope, "actor.unit");
    world.when(&harness_admin(), now, erase("YS07-9999", "本人申请删除")).then_rejected(Code::UnknownPerson, "person");
    world.when(&harness_admin(), now, erase(ERASED, "")).then_rejected(Code::InvalidText, "legal_basis");
    world
        .when(&harness_admin(), now, erase(ERASED, "本人申请删除"))
        .then_event(PersonErased { person: person(ERASED), legal_basis: "本人申请删除".to_owned() });

    world.given(&harness_admin(), now, erase(ERASED, "本人申请删除"));
    world.when(&harness_admin(), now, erase(ERASED, "再次")).then_rejected(Code::PersonErased, "person");
    let staff = crate::domain_people::staff();
    let record = FileWeeklyRecord { text: "more".into(), ..crate::domain_people::file("2017-W28") };
    world.when(&staff, now, record).then_rejected(Code::PersonErased, "person");
    let review = ReviewPerson { comment: "more".into(), ..crate::domain_people::review(ERASED, "2017-Q3", 9000) };
    world.when(&crate::domain_people::leader_in_charge(), now, review).then_rejected(Code::PersonErased, "person");
    let comment = crate::domain_people::comment(ERASED, "2017-W23");
    world.when(&crate::domain_people::chief(), now, comment).then_rejected(Code::PersonErased, "person");
}

// ---- The key file ---------------------------------------------------------------------------------

#[test]
fn a_person_whose_key_cannot_be_written_is_not_registered() {
    let dir = tempfile::tempdir().unwrap();
    let (service, clock) = registered(dir.path(), "pipl key file");
    // A directory where the key file is: no key can be appended to it.
    let file = person_keys::path(dir.path());
    let kept = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let head = service.ledger().head();
    let register = json!({"person": "YS07-0002", "name": "李小红", "unit": "YS07-ZGG"});
    let error = try_execute(&service, &clock, &admin(), "RegisterPerson", register.clone()).unwrap_err();
    assert!(matches!(&error, ServiceError::Failure(message) if message.contains("person keys file")), "{error}");
    assert_eq!(service.ledger().head(), head, "nothing was recorded");
    assert!(service.with_facts(|facts| !facts.persons.contains_key(&person("YS07-0002"))));
    // A command that needs no new key goes on; once the key file can be written, so does the registration.
    let rename = json!({"unit": "YS07-ZGG", "name": "征收管理股"});
    execute(&service, &clock, &admin(), "RenameUnit", rename);
    std::fs::remove_dir(&file).unwrap();
    std::fs::write(&file, kept).unwrap();
    execute(&service, &clock, &admin(), "RegisterPerson", register);
    let keys = person_keys::load(dir.path()).unwrap();
    assert!(keys.contains_key(&person("YS07-0001")) && keys.contains_key(&person("YS07-0002")));
}

// ---- The command line: erase, export, key backup and restore ----------------------------------------

fn run(args: &[&str]) -> Output {
    Process::new(BINARY).args(args).output().unwrap()
}

fn succeeded(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_command_line_erases_exports_ciphertext_and_backs_keys_up() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let data_text = data.to_str().unwrap();
    let commands = [
        r#"{"command":"RegisterUnit","payload":{"unit":"YS","name":"乙市国家税务局","level":"city","parent":null}}"#,
        r#"{"command":"RegisterUnit","payload":{"unit":"YS07","name":"七县国家税务局","level":"county","parent":"YS"}}"#,
        r#"{"command":"RegisterPerson","payload":{"person":"YS07-0001","name":"王小明","unit":"YS07"}}"#,
    ];
    let mut exec = vec!["exec", "--data", data_text, "--unit", "YS"];
    exec.extend(commands);
    succeeded(run(&exec));

    // The export carries the events as they are: the name only as ciphertext.
    let export = succeeded(run(&["export", "--data", data_text]));
    assert!(export.contains("ciphertext") && !export.contains("王小明"), "{export}");

    // The key backup: a new file, never replaced; it holds the key the key file holds.
    let backup = dir.path().join("person-keys.backup");
    let backup_text = backup.to_str().unwrap();
    succeeded(run(&["person-keys", "backup", "--data", data_text, "--out", backup_text]));
    let key = person_keys::load(&data).unwrap()[&person("YS07-0001")].clone();
    assert_eq!(person_keys::read_file(&backup).unwrap()[&person("YS07-0001")], key);
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&backup).unwrap().permissions()) & 0o777,
        0o600
    );
    let again = run(&["person-keys", "backup", "--data", data_text, "--out", backup_text]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already there"));

    let list = |data: &str| -> Value {
        serde_json::from_str(&succeeded(run(&["person", "list", "--data", data, "--unit", "YS07", "--json"]))).unwrap()
    };
    assert_eq!(list(data_text)["persons"][0]["name"], json!("王小明"));

    let erase = ["person", "erase", "--data", data_text, "--unit", "YS", "--person", "YS07-0001"];
    let mut with_basis = erase.to_vec();
    with_basis.extend(["--legal-basis", "本人申请删除 (PIPL 第四十七条)"]);
    succeeded(run(&with_basis));
    let listed = list(data_text);
    assert_eq!(listed["persons"][0]["name"], json!(ERASED_TEXT), "{listed}");
    assert_eq!(listed["persons"][0]["erased"], json!(true));
    let twice = run(&with_basis);
    assert!(!twice.status.success() && String::from_utf8_lossy(&twice.stderr).contains("person: "));
    assert!(files_holding(&data, hex::encode(key.0).as_bytes()).is_empty(), "the key left the data directory");
    assert!(files_holding(&data, "王小明".as_bytes()).is_empty());

    // The backup taken before still holds the key (an erasure does not reach it); restoring it never
    // brings an erased person's key back.
    assert_eq!(person_keys::read_file(&backup).unwrap()[&person("YS07-0001")], key);
    let restored = succeeded(run(&["person-keys", "restore", "--data", data_text, backup_text]));
    assert!(restored.contains("restored 0 person keys; left out 1"), "{restored}");
    assert!(files_holding(&data, hex::encode(key.0).as_bytes()).is_empty());
    assert_eq!(list(data_text)["persons"][0]["erased"], json!(true));
    verify_with_the_binary(&data);
}

#[test]
fn a_lost_key_file_is_brought_back_from_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _) = registered(dir.path(), "pipl restore");
    let backup = tempfile::tempdir().unwrap();
    let file = backup.path().join("keys");
    kpi_ledger::service::person_keys::backup(dir.path(), &file).unwrap();
    service.records().close();
    drop(service);
    std::fs::remove_file(person_keys::path(dir.path())).unwrap();

    // Without its key the name reads as unreadable, never as its ciphertext.
    let reopen = || {
        let ledger = Arc::new(Ledger::open(dir.path()).unwrap());
        let clock = Arc::new(ManualClock::default());
        Service::open(ledger, clock, Arc::new(SeededIds::new("reopened"))).unwrap()
    };
    let service = reopen();
    let name = |service: &Service| {
        let read_models = service.records().read_models().unwrap();
        let persons = read_models.persons(&Reader::Local, &unit("YS07"), AsOf::Latest, service.person_keys()).unwrap();
        persons.value.persons[0].name.clone()
    };
    assert_eq!(name(&service), PersonalText::Plain(UNREADABLE_TEXT.into()));
    let restored = kpi_ledger::service::person_keys::restore(&service, &file).unwrap();
    assert_eq!((restored.keys, restored.skipped_erased), (1, 0));
    assert_eq!(name(&service), PersonalText::Plain("王小明".into()));
}
