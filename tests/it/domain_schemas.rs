//! The JSON Schemas in `schemas/` against the code: every event type and version and every command has
//! one, each compiles (draft 2020-12, with `$id` and `examples`), every example validates and decodes,
//! and every golden sample in `tests/golden/` validates and round-trips byte for byte.
//!
//! Invariant guarded: the published formats and the code agree, in both directions — no event type
//! without a schema, and no schema for a type the code does not know.

use crate::harness;

use std::collections::BTreeSet;

use harness::{assert_valid_event_data, compile_schema, event_schema_path, manifest_path};
use kpi_ledger::domain::CommandKind;
use kpi_ledger::domain::{Command, Event};
use serde_json::{json, Value};

fn read(relative: &str) -> Value {
    let text = std::fs::read_to_string(manifest_path(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Every (event type, version) ever published: each type's versions 1 through current.
fn published_event_versions() -> Vec<(&'static str, u32)> {
    Event::CURRENT_VERSIONS
        .iter()
        .flat_map(|(name, current)| (1..=*current).map(move |version| (*name, version)))
        .collect()
}

fn files_in(folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(manifest_path(folder))
        .unwrap_or_else(|error| panic!("{folder}: {error}"))
        .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn assert_schema_header(relative: &str, schema: &Value) {
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{relative}");
    let id = schema["$id"].as_str().unwrap_or_else(|| panic!("{relative} has no $id"));
    assert!(id.ends_with(relative.trim_start_matches("schemas/")), "{relative} has $id {id}");
    let examples = schema["examples"].as_array().unwrap_or_else(|| panic!("{relative} has no examples"));
    assert!(!examples.is_empty(), "{relative} has no examples");
}

#[test]
fn every_event_type_and_version_has_a_schema_and_no_schema_is_orphaned() {
    let expected: BTreeSet<String> =
        published_event_versions().iter().map(|(name, version)| format!("{name}.v{version}.json")).collect();
    assert_eq!(files_in("schemas/events"), expected);
    for (name, version) in published_event_versions() {
        compile_schema(&event_schema_path(name, version));
    }
}

#[test]
fn every_command_has_a_schema_and_no_schema_is_orphaned() {
    let expected: BTreeSet<String> = Command::NAMES.iter().map(|name| format!("{name}.json")).collect();
    assert_eq!(files_in("schemas/commands"), expected);
}

#[test]
fn every_command_kind_embeds_its_schema_from_the_schemas_dir() {
    let kind_names: Vec<&str> = CommandKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(kind_names, Command::NAMES, "CommandKind and Command list the same commands in the same order");
    for kind in CommandKind::ALL {
        let name = kind.name();
        assert_eq!(CommandKind::from_name(name), Some(*kind));
        let relative = format!("schemas/commands/{name}.json");
        let on_disk = std::fs::read_to_string(manifest_path(&relative)).expect("schema file");
        assert_eq!(kind.payload_schema(), on_disk, "{relative} is what the domain embeds");
        let example = &read(&relative)["examples"][0];
        assert_eq!(Command::from_payload(name, example).expect("example decodes").kind(), *kind);
    }
    assert_eq!(CommandKind::from_name("NoSuchCommand"), None);
}

#[test]
fn event_schema_examples_validate_and_decode() {
    for (name, version) in published_event_versions() {
        let relative = event_schema_path(name, version);
        let schema = read(&relative);
        assert_schema_header(&relative, &schema);
        for example in schema["examples"].as_array().expect("examples") {
            assert_valid_event_data(name, version, example);
            let event =
                Event::from_stored(name, version, example).unwrap_or_else(|error| panic!("{relative}: {error}"));
            assert_eq!(event.event_type(), name);
            if version == event.schema_version() {
                assert_eq!(&event.to_data(), example, "{relative} example does not round-trip");
            }
        }
    }
}

#[test]
fn command_schema_examples_validate_and_decode() {
    for name in Command::NAMES {
        let relative = format!("schemas/commands/{name}.json");
        let schema = read(&relative);
        assert_schema_header(&relative, &schema);
        let validator = compile_schema(&relative);
        for example in schema["examples"].as_array().expect("examples") {
            let errors: Vec<String> = validator.iter_errors(example).map(|error| error.to_string()).collect();
            assert!(errors.is_empty(), "{relative}: {errors:?}");
            let command =
                Command::from_payload(name, example).unwrap_or_else(|rejection| panic!("{relative}: {rejection:?}"));
            assert_eq!(&command.payload(), example, "{relative} example does not round-trip");
        }
    }
}

#[test]
fn golden_event_samples_validate_and_round_trip() {
    for (name, version) in published_event_versions() {
        let relative = format!("tests/golden/events/{name}.v{version}.json");
        let sample = read(&relative);
        assert_valid_event_data(name, version, &sample);
        let event = Event::from_stored(name, version, &sample).unwrap_or_else(|error| panic!("{relative}: {error}"));
        if version == event.schema_version() {
            let text = std::fs::read_to_string(manifest_path(&relative)).expect("golden sample");
            let encoded = serde_json::to_string_pretty(&event.to_data()).expect("JSON") + "\n";
            assert_eq!(encoded, text, "{relative} does not round-trip byte for byte");
        }
    }
}

#[test]
fn schemas_refuse_what_the_code_refuses() {
    let mut sample = read("tests/golden/events/DeductionRecorded.v2.json");
    sample["evidence_digests"] = serde_json::json!(["NOT-A-DIGEST"]);
    let validator = compile_schema(&event_schema_path("DeductionRecorded", 2));
    assert!(!validator.is_valid(&sample));
    assert!(Event::from_stored("DeductionRecorded", 2, &sample).is_err());
    let mut sample = read("tests/golden/events/DeductionRecorded.v2.json");
    sample["surprise"] = serde_json::json!(1);
    assert!(!validator.is_valid(&sample));
    assert!(Event::from_stored("DeductionRecorded", 2, &sample).is_err());
}

#[test]
fn access_schemas_refuse_malformed_hashes_roles_and_actor_ids() {
    let validator = compile_schema(&event_schema_path("AccessGranted", 1));
    let sample = read("tests/golden/events/AccessGranted.v1.json");
    assert!(validator.is_valid(&sample));
    for (field, value) in [
        ("token_hash", serde_json::json!("A".repeat(64))),
        ("role", serde_json::json!("root")),
        ("actor_id", serde_json::json!("")),
        ("actor_id", serde_json::json!("assessor\nroot")),
        ("actor_id", serde_json::json!("a\u{85}b")),
        ("actor_id", serde_json::json!("x".repeat(129))),
    ] {
        let mut wrong = sample.clone();
        wrong[field] = value;
        assert!(!validator.is_valid(&wrong), "{field}: {wrong}");
    }
    let mut wrong = sample.clone();
    wrong["token_hash"] = serde_json::json!("a".repeat(63));
    assert!(Event::from_stored("AccessGranted", 1, &wrong).is_err());
}

#[test]
fn the_access_grant_v2_schema_bounds_valid_days_as_the_code_does() {
    let validator = compile_schema(&event_schema_path("AccessGranted", 2));
    let sample = read("tests/golden/events/AccessGranted.v2.json");
    assert!(validator.is_valid(&sample));
    for (days, valid) in
        [(json!(1), true), (json!(366), true), (json!(0), false), (json!(367), false), (json!("90"), false)]
    {
        let mut grant = sample.clone();
        grant["valid_days"] = days.clone();
        assert_eq!(validator.is_valid(&grant), valid, "valid_days {days}");
        assert_eq!(Event::from_stored("AccessGranted", 2, &grant).is_ok(), valid, "valid_days {days}");
    }
    let mut without = sample.clone();
    without.as_object_mut().unwrap().remove("valid_days");
    assert!(!validator.is_valid(&without), "version 2 always records valid_days");
    assert!(Event::from_stored("AccessGranted", 2, &without).is_err());

    let command = compile_schema("schemas/commands/GrantAccess.json");
    let mut payload = read("tests/golden/commands/GrantAccess.json");
    assert!(command.is_valid(&payload), "valid_days may be left out");
    for (days, valid) in [(json!(30), true), (json!(0), false), (json!(367), false)] {
        payload["valid_days"] = days.clone();
        assert_eq!(command.is_valid(&payload), valid, "valid_days {days}");
    }
}
