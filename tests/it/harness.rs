//! A tiny given → when → then harness for the domain, in the spirit of cqrs-es's `TestFramework`:
//! `given` seals and folds accepted commands (or raw events) into the `Facts`, `when` decides one more
//! command without applying it, and `then_*` asserts the events or the rejection.
//!
//! Invariant: every event any test decides is validated against its JSON Schema in `schemas/` (a test
//! fails for an event type without one), so the schemas cannot drift from what the code emits.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use kpi_ledger::domain::command::*;
use kpi_ledger::domain::scheme::TierStandard;
use kpi_ledger::domain::*;
use kpi_testkit::story::{at, indicator, period, person, scheme, unit};
use serde_json::Value;
use uuid::Uuid;

pub fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

// ---- Schemas -------------------------------------------------------------------------------------

const DEFINITIONS_URI: &str = "https://kpi-ledger.example/schemas/definitions.json";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Compiles a schema from `schemas/`, with the shared definitions registered.
pub fn compile_schema(relative: &str) -> jsonschema::Validator {
    let path = manifest_path(relative);
    assert!(path.exists(), "no schema {relative}");
    let definitions = read_json(&manifest_path("schemas/definitions.json"));
    let resource = jsonschema::Resource::from_contents(definitions).expect("definitions.json is a schema");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_resource(DEFINITIONS_URI, resource)
        .build(&read_json(&path))
        .unwrap_or_else(|error| panic!("{relative} does not compile: {error}"))
}

pub fn event_schema_path(event_type: &str, version: u32) -> String {
    format!("schemas/events/{event_type}.v{version}.json")
}

/// Panics unless `data` is valid against the schema of (`event_type`, `version`).
pub fn assert_valid_event_data(event_type: &str, version: u32, data: &Value) {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> = OnceLock::new();
    let key = event_schema_path(event_type, version);
    let validator = {
        let mut cache = VALIDATORS.get_or_init(Default::default).lock().expect("schema cache lock");
        *cache.entry(key.clone()).or_insert_with(|| Box::leak(Box::new(compile_schema(&key))))
    };
    let errors: Vec<String> =
        validator.iter_errors(data).map(|error| format!("{} at {}", error, error.instance_path)).collect();
    assert!(errors.is_empty(), "{key} rejects {data}: {errors:?}");
}

pub fn assert_valid_event(event: &Event) {
    assert_valid_event_data(event.event_type(), event.schema_version(), &event.to_data());
}

// ---- Golden files ----------------------------------------------------------------------------

/// Compares `actual` with the golden file, or rewrites it when `UPDATE_EXPECT=1`.
pub fn assert_golden(relative: &str, actual: &str) {
    let path = manifest_path(relative);
    if std::env::var("UPDATE_EXPECT").is_ok_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().expect("golden files live in a folder")).expect("create golden folder");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no golden file {relative}; run with UPDATE_EXPECT=1 to create it"));
    assert!(expected == actual, "{relative} differs from what the code emits; review and run with UPDATE_EXPECT=1\n--- expected\n{expected}\n--- actual\n{actual}");
}

// ---- Actors ----------------------------------------------------------------------------------

pub fn actor(id: &str, role: Role, unit_code: &str) -> Actor {
    Actor { id: id.to_owned(), role, unit: unit(unit_code) }
}

pub fn admin() -> Actor {
    actor("admin.ys", Role::Admin, "YS")
}
pub fn assessor() -> Actor {
    actor("assessor.ys.wang", Role::Assessor, "YS")
}
pub fn reviewer() -> Actor {
    actor("reviewer.ys.li", Role::Reviewer, "YS")
}
pub fn committee() -> Actor {
    actor("committee.ys", Role::Committee, "YS")
}
pub fn office() -> Actor {
    actor("office.ys07", Role::Office, "YS07")
}
pub fn appellant() -> Actor {
    actor("appellant.ys07", Role::Appellant, "YS07")
}
pub fn auditor() -> Actor {
    actor("auditor.ys", Role::Auditor, "YS")
}

pub fn digest(fill: char) -> EvidenceDigest {
    EvidenceDigest::new(fill.to_string().repeat(64)).expect("hex digit")
}

/// A made-up token hash: 64 copies of one hex digit.
pub fn token(fill: char) -> TokenHash {
    TokenHash::new(fill.to_string().repeat(64)).expect("hex digit")
}

/// Grants the token `fill` to `actor_id` with `role` inside `unit_code`.
pub fn grant(fill: char, actor_id: &str, role: Role, unit_code: &str) -> GrantAccess {
    GrantAccess {
        token_hash: token(fill),
        actor_id: actor_id.to_owned(),
        role,
        unit: unit(unit_code),
        note: "issued at the assessment office".to_owned(),
        valid_days: None,
        person: None,
    }
}

pub fn revoke(fill: char) -> RevokeAccess {
    RevokeAccess { token_hash: token(fill), reason: "moved off the assessment post".to_owned() }
}

pub fn category(text: &str) -> ProblemCategory {
    ProblemCategory::new(text).expect("test categories are well-formed")
}

// ---- Harness ---------------------------------------------------------------------------------

/// The ledger as the domain sees it: the facts, the events sealed and folded so far, and injected ids.
pub struct Harness {
    pub facts: Facts,
    pub events: Vec<Recorded>,
    chain: kpi_ledger::chain::Chain,
    next_id: u128,
}

/// What `when` decided, waiting for `then_*`.
pub struct Decided {
    pub result: Result<Vec<Event>, Rejection>,
    pub new_id: Uuid,
}

impl Harness {
    pub fn empty() -> Harness {
        Harness { facts: Facts::default(), events: Vec::new(), chain: Default::default(), next_id: 1 }
    }

    fn context(&mut self, actor: &Actor, now: Timestamp, command: &Command) -> Context {
        let new_id = Uuid::from_u128(0x0170_0000_0000_7000_8000_0000_0000_0000 | self.next_id);
        self.next_id += 1;
        let mut context = Context::new(now, actor.clone(), new_id);
        // Links resolve against the events the harness has recorded, as the service resolves them.
        context.known_links =
            command.links().iter().filter(|link| self.events.iter().any(|e| e.event_id == **link)).copied().collect();
        // A result use rests on the chain position it names, or the head, as the service fills it in
        // (the service also checks a named position against the chain; see service::people).
        if let Command::RecordResultUse(result_use) = command {
            let head = self
                .events
                .last()
                .map(|last| kpi_ledger::domain::person::ChainPosition { seq: last.seq, hash: last.hash });
            context.basis.position = result_use.read_at.or(head);
        }
        context
    }

    /// Seals and folds events as if the ledger had stored them at `now` on behalf of `actor`.
    pub fn given_events(&mut self, actor: &Actor, now: Timestamp, events: Vec<Event>) {
        let recorded_by = RecordedBy { id: actor.id.clone(), role: actor.role };
        for event in events {
            assert_valid_event(&event);
            let seq = self.events.len() as u64 + 1;
            let stamp = kpi_ledger::chain::Stamp {
                event_id: Uuid::from_u128(0x0170_0000_0000_7000_9000_0000_0000_0000 | u128::from(seq)),
                recorded_at: now,
                recorded_by: &recorded_by,
                command_id: None,
                correlation_id: None,
                imported: None,
            };
            let (_, recorded) = self.chain.append(&event, stamp).expect("test events are small");
            self.facts.apply(&recorded);
            self.events.push(recorded);
        }
    }

    /// Decides and folds a command that must be accepted; returns the id injected for it.
    pub fn given(&mut self, actor: &Actor, now: Timestamp, command: impl Into<Command>) -> Uuid {
        let command = command.into();
        let context = self.context(actor, now, &command);
        match decide(&self.facts, &command, &context) {
            Ok(events) => self.given_events(actor, now, events),
            Err(rejection) => panic!("given {} was rejected: {rejection:?}", command.name()),
        }
        context.new_id
    }

    /// Decides a command without folding it.
    pub fn when(&mut self, actor: &Actor, now: Timestamp, command: impl Into<Command>) -> Decided {
        let command = command.into();
        let context = self.context(actor, now, &command);
        let result = decide(&self.facts, &command, &context);
        if let Ok(events) = &result {
            events.iter().for_each(assert_valid_event);
        }
        Decided { result, new_id: context.new_id }
    }

    /// The ledger id of the last event folded, for links.
    pub fn last_event_id(&self) -> EventId {
        self.events.last().expect("an event was folded").event_id
    }
}

impl Decided {
    /// Asserts acceptance and returns the events.
    pub fn then_events(self) -> Vec<Event> {
        match self.result {
            Ok(events) => events,
            Err(rejection) => panic!("expected events, got rejection {rejection:?}"),
        }
    }

    /// Asserts exactly one event, equal to `expected`.
    pub fn then_event(self, expected: impl Into<Event>) {
        assert_eq!(self.then_events(), vec![expected.into()]);
    }

    /// Asserts a rejection with this code and field; returns it for checks on the message.
    pub fn then_rejected(self, code: RejectionCode, field: &str) -> Rejection {
        match self.result {
            Ok(events) => panic!("expected rejection {code}, got events {events:?}"),
            Err(rejection) => {
                assert_eq!((rejection.code, rejection.field.as_str()), (code, field), "{rejection:?}");
                assert_message_style(&rejection.message);
                assert!(
                    rejection.message.starts_with(&format!("{field}: ")),
                    "message does not name {field}: {}",
                    rejection.message
                );
                rejection
            }
        }
    }
}

/// Messages start lower-case, name the field (start with it) and end without a period.
fn assert_message_style(message: &str) {
    let first = message.chars().next().expect("a message");
    assert!(!first.is_uppercase(), "message starts upper-case: {message}");
    assert!(!message.ends_with('.'), "message ends with a period: {message}");
}

// ---- A small world ---------------------------------------------------------------------------

pub const DEDUCT: &str = "ZG-04";
pub const TIERED: &str = "ZGU-02";
pub const VETO: &str = "FG-04";
pub const OTHER: &str = "SZ-07";
pub const JUNE: &str = "2017-06";

/// City YS with counties YS07 and YS08, some sections and persons, scheme YS-2017 with four
/// indicators, YS07's plan, and June open.
pub fn world() -> Harness {
    let mut harness = Harness::empty();
    let admin = admin();
    let day = at(1, 3, 9, 0);
    harness.given(&admin, day, register("YS", UnitLevel::City, None, None));
    for county in ["YS07", "YS08"] {
        harness.given(&admin, day, register(county, UnitLevel::County, Some("YS"), None));
    }
    for (section, parent, function_code) in [
        ("YS07-BGS", "YS07", "BGS"),
        ("YS07-ZGG", "YS07", "ZG"),
        ("YS07-ZGU", "YS07", "ZGU"),
        ("YS08-ZGG", "YS08", "ZG"),
    ] {
        harness.given(&admin, day, register(section, UnitLevel::Section, Some(parent), Some(function_code)));
    }
    for (id, unit_code) in [("YS07-0001", "YS07"), ("YS07-0201", "YS07-ZGG"), ("YS08-0001", "YS08")] {
        harness.given(
            &admin,
            day,
            RegisterPerson { person: person(id), name: format!("person {id}"), unit: unit(unit_code) },
        );
    }
    harness.given(&admin, at(1, 5, 9, 0), open_scheme());
    for definition in [define(DEDUCT, 200), define_tiered(TIERED, 400), define_veto(VETO), define(OTHER, 200)] {
        harness.given(&admin, at(1, 6, 9, 0), definition);
    }
    harness.given(&office(), at(1, 20, 9, 0), assign(DEDUCT, "YS07-ZGG"));
    harness.given(&office(), at(1, 20, 9, 0), assign(TIERED, "YS07-ZGU"));
    harness.given(&admin, at(6, 1, 8, 0), OpenPeriod { scheme: scheme(), period: period(JUNE) });
    harness
}

pub fn register(code: &str, level: UnitLevel, parent: Option<&str>, function_code: Option<&str>) -> RegisterUnit {
    RegisterUnit {
        unit: unit(code),
        name: format!("unit {code}"),
        level,
        parent: parent.map(unit),
        function_code: function_code.map(|text| FunctionCode::new(text).expect("test function codes are well-formed")),
    }
}

pub fn open_scheme() -> OpenScheme {
    kpi_testkit::story::open_scheme(unit("YS"), 2017)
}

pub fn define(code: &str, points: i64) -> DefineIndicator {
    DefineIndicator {
        scheme: scheme(),
        indicator: indicator(code),
        name: format!("indicator {code}"),
        description: String::new(),
        points_max: Points(points),
        method: IndicatorMethod::Deduct,
        veto: false,
        problem_categories: vec![category("document_filing"), category("missing_report")],
        assessor: unit("YS"),
        effective_from: None,
    }
}

pub fn tiers() -> Vec<TierStandard> {
    [1000u16, 800, 600, 0]
        .into_iter()
        .map(|share| TierStandard {
            standard: format!("share {share}"),
            share_per_mille: PerMille::new(share).expect("share"),
        })
        .collect()
}

pub fn define_tiered(code: &str, points: i64) -> DefineIndicator {
    DefineIndicator {
        method: IndicatorMethod::Tiered { tiers: tiers() },
        problem_categories: Vec::new(),
        ..define(code, points)
    }
}

pub fn define_veto(code: &str) -> DefineIndicator {
    DefineIndicator { veto: true, ..define(code, 200) }
}

pub fn assign(code: &str, lead_section: &str) -> AssignIndicator {
    AssignIndicator {
        scheme: scheme(),
        indicator: indicator(code),
        unit: unit("YS07"),
        lead_section: unit(lead_section),
        supporting_sections: Vec::new(),
        responsible_person: None,
        effective_from: None,
    }
}

pub fn deduction(points: i64) -> RecordDeduction {
    RecordDeduction {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(DEDUCT),
        points: Points(points),
        reason: "half-year report filed as a request".to_owned(),
        problem_category: category("document_filing"),
        evidence_digests: vec![digest('a')],
        links: Vec::new(),
    }
}

pub fn award(tier: u32) -> AwardTier {
    AwardTier {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(TIERED),
        tier,
        reason: "completion 98.7%".to_owned(),
    }
}

pub fn publish(period_text: &str) -> PublishResults {
    PublishResults { scheme: scheme(), period: period(period_text) }
}

pub fn finalise(period_text: &str) -> FinalisePeriod {
    FinalisePeriod { scheme: scheme(), period: period(period_text) }
}

pub fn file_against_deduction(deduction_id: Uuid) -> FileAppeal {
    FileAppeal {
        target: AppealTarget::Deduction { deduction_id: DeductionId(deduction_id) },
        grounds: "filed on time".to_owned(),
        evidence_digests: Vec::new(),
    }
}

pub fn decide_with(appeal_id: Uuid, outcome: AppealOutcome) -> DecideAppeal {
    DecideAppeal {
        appeal_id: AppealId(appeal_id),
        outcome,
        reasoning: "on time but non-compliant".to_owned(),
        evidence_digests: Vec::new(),
    }
}

/// The world with a 2-point deduction on ZG-04 for YS07 in June (07-11); returns it and the id.
pub fn world_with_deduction() -> (Harness, Uuid) {
    let mut harness = world();
    let deduction_id = harness.given(&assessor(), at(7, 11, 10, 0), deduction(200));
    (harness, deduction_id)
}

/// Awards tier 1 on the tiered indicator to every county of the world (YS07, YS08) that has no award
/// for `period_text` yet: what publication needs (docs/RULES.md §2).
pub fn award_missing_tiers(harness: &mut Harness, period_text: &str, now: Timestamp) {
    for county in ["YS07", "YS08"] {
        let scheme_facts = &harness.facts.schemes[&scheme()];
        let awarded = scheme_facts
            .assessment(period(period_text), &unit(county))
            .is_some_and(|assessment| assessment.tier_awards.contains_key(&indicator(TIERED)));
        if !awarded {
            let command = AwardTier { period: period(period_text), unit: unit(county), ..award(1) };
            harness.given(&assessor(), now, command);
        }
    }
}

/// Awards what is missing (`award_missing_tiers`) and publishes `period_text` at `now`.
pub fn given_published(harness: &mut Harness, period_text: &str, now: Timestamp) {
    award_missing_tiers(harness, period_text, now);
    harness.given(&committee(), now, publish(period_text));
}

/// … published on 07-12 (window until 07-17 09:00) and appealed on 07-14; returns the appeal id too.
pub fn world_with_appeal() -> (Harness, Uuid, Uuid) {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    let appeal_id = harness.given(&appellant(), at(7, 14, 9, 0), file_against_deduction(deduction_id));
    (harness, deduction_id, appeal_id)
}
