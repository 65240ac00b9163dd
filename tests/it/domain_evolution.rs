//! How an event evolves: `DeductionRecorded` v1 (at most one evidence digest, no links) is upcast on
//! read to v2 (a list of digests, links); `AccessGranted` v1 (a grant without an end) to v2 (one of
//! 90 days); `AppealFiled`, `AppealEscalated` and `AppealDecided` v1 (no evidence) to v2 (evidence
//! digests, and a cause attribution as a filing's target). Schemes change every year; the ledger never rewrites what it stored, so every published
//! version must keep decoding into the current type.
//!
//! Invariant guarded: stored v1 data decodes to the current `DeductionRecorded`, with the digest list
//! derived from the single digest and no links; each published step writes exactly the JSON it wrote
//! when it was published, whatever the current version is; every version of every event type below
//! the current one has a step; unknown types and versions are typed errors.

use crate::harness;

use harness::{assert_valid_event, assert_valid_event_data, manifest_path};
use kpi_ledger::domain::event::DeductionRecorded;
use kpi_ledger::domain::{Event, EventDecodeError};
use kpi_ledger::domain::{UpcastStep, UPCAST_STEPS};
use serde_json::{json, Value};

fn v1_sample() -> Value {
    let text =
        std::fs::read_to_string(manifest_path("tests/golden/events/DeductionRecorded.v1.json")).expect("v1 sample");
    serde_json::from_str(&text).expect("JSON")
}

fn decode_v1(data: &Value) -> DeductionRecorded {
    match Event::from_stored("DeductionRecorded", 1, data) {
        Ok(Event::DeductionRecorded(recorded)) => recorded,
        other => panic!("v1 did not decode to DeductionRecorded: {other:?}"),
    }
}

#[test]
fn stored_v1_decodes_to_the_current_type() {
    let v1 = v1_sample();
    assert_valid_event_data("DeductionRecorded", 1, &v1);
    let recorded = decode_v1(&v1);
    assert_eq!(recorded.evidence_digests.len(), 1);
    assert_eq!(recorded.evidence_digests[0].as_str(), v1["evidence_digest"]);
    assert!(recorded.links.is_empty());
    assert_eq!(recorded.points.hundredths(), 200);
    let event = Event::DeductionRecorded(recorded);
    assert_eq!(event.schema_version(), 2);
    assert_valid_event(&event);
}

#[test]
fn v1_without_a_digest_upcasts_to_an_empty_list() {
    let mut v1 = v1_sample();
    v1["evidence_digest"] = Value::Null;
    assert_valid_event_data("DeductionRecorded", 1, &v1);
    assert!(decode_v1(&v1).evidence_digests.is_empty());
}

#[test]
fn upcast_v1_equals_the_story_deduction_that_v2_stored() {
    let story_text = std::fs::read_to_string(manifest_path("tests/golden/story_half_year_report.json")).expect("story");
    let story: Value = serde_json::from_str(&story_text).expect("JSON");
    let stored_v2 = &story["half_year_report"][0]["data"];
    let upcast = Event::DeductionRecorded(decode_v1(&v1_sample())).to_data();
    assert_eq!(&upcast, stored_v2, "the v1 sample is the story's deduction as v1 would have stored it");
}

#[test]
fn v2_data_is_not_read_as_v1() {
    let v2_text =
        std::fs::read_to_string(manifest_path("tests/golden/events/DeductionRecorded.v2.json")).expect("v2 sample");
    let v2: Value = serde_json::from_str(&v2_text).expect("JSON");
    let error = Event::from_stored("DeductionRecorded", 1, &v2).expect_err("v2 fields are unknown to v1");
    assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 1, .. }), "{error:?}");
}

#[test]
fn unknown_types_and_versions_are_typed_errors() {
    let data = json!({});
    assert_eq!(
        Event::from_stored("DeductionDeleted", 1, &data),
        Err(EventDecodeError::UnknownEventType("DeductionDeleted".to_owned()))
    );
    for version in [0, 3] {
        assert_eq!(
            Event::from_stored("DeductionRecorded", version, &data),
            Err(EventDecodeError::UnknownSchemaVersion {
                event_type: "DeductionRecorded".to_owned(),
                schema_version: version
            })
        );
    }
    assert!(matches!(Event::from_stored("PeriodOpened", 1, &data), Err(EventDecodeError::InvalidData { .. })));
}

fn published_step(event_type: &str, from_version: u32) -> &'static UpcastStep {
    UPCAST_STEPS
        .iter()
        .find(|step| step.event_type == event_type && step.from_version == from_version)
        .unwrap_or_else(|| panic!("no step from {event_type} v{from_version}"))
}

/// The v1 → v2 step's output, pinned: a later version adds a step after it and never changes it.
#[test]
fn the_deduction_v1_step_writes_exactly_the_published_v2() {
    let v1 = json!({
        "assessor": "YS",
        "deduction_id": "015d3117-5900-7000-8000-0000000002ce",
        "evidence_digest": "3f6c1d9a4e2b8c7f0a5d6e1b9c8a7f3e2d4c6b8a0f1e3d5c7b9a2e4f6d8c0b1a",
        "indicator": "ZG-04",
        "period": "2017-06",
        "points": 200,
        "problem_category": "document_filing",
        "reason": "半年工作报告以请示文种报送",
        "scheme": "YS-2017",
        "unit": "YS07"
    });
    let v2 = json!({
        "assessor": "YS",
        "deduction_id": "015d3117-5900-7000-8000-0000000002ce",
        "evidence_digests": ["3f6c1d9a4e2b8c7f0a5d6e1b9c8a7f3e2d4c6b8a0f1e3d5c7b9a2e4f6d8c0b1a"],
        "indicator": "ZG-04",
        "links": [],
        "period": "2017-06",
        "points": 200,
        "problem_category": "document_filing",
        "reason": "半年工作报告以请示文种报送",
        "scheme": "YS-2017",
        "unit": "YS07"
    });
    let step = published_step("DeductionRecorded", 1);
    assert_eq!(step.apply(v1.clone()), Ok(v2.clone()));
    assert_valid_event_data("DeductionRecorded", 2, &v2);

    let mut v1_without_digest = v1;
    v1_without_digest["evidence_digest"] = Value::Null;
    let mut v2_without_digest = v2;
    v2_without_digest["evidence_digests"] = json!([]);
    assert_eq!(step.apply(v1_without_digest), Ok(v2_without_digest));
}

#[test]
fn a_step_refuses_data_that_is_not_of_its_version() {
    let step = published_step("DeductionRecorded", 1);
    let mut v1_with_links = v1_sample();
    v1_with_links["links"] = json!([]);
    let error = step.apply(v1_with_links).expect_err("links are unknown to v1");
    assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 1, .. }), "{error:?}");
}

#[test]
fn every_old_version_of_every_event_type_has_exactly_one_step() {
    for &(event_type, current) in Event::CURRENT_VERSIONS {
        for version in 1..current {
            let steps = UPCAST_STEPS
                .iter()
                .filter(|step| step.event_type == event_type && step.from_version == version)
                .count();
            assert_eq!(
                steps,
                1,
                "{event_type} v{version} is neither current ({current}) nor has one step to v{}",
                version + 1
            );
        }
    }
    for step in UPCAST_STEPS {
        let current = Event::current_version(step.event_type)
            .unwrap_or_else(|| panic!("a step for the unknown event type {}", step.event_type));
        assert!(
            (1..current).contains(&step.from_version),
            "{} v{} has a step, but the current version is {current}",
            step.event_type,
            step.from_version
        );
    }
}

/// The AccessGranted v1 → v2 step's output, pinned: a grant recorded before tokens expired lasts 90
/// days, whatever the default of a later version.
#[test]
fn the_access_grant_v1_step_writes_exactly_the_published_v2() {
    let v1 = json!({
        "actor_id": "assessor.ys.zhao",
        "note": "市局考核办新任考核员 (new assessor at the city's assessment office)",
        "role": "assessor",
        "token_hash": "ace31e9407eebf27a68adb58ee4c5a8242fe15338c218d54b024df76d3c10b4a",
        "unit": "YS"
    });
    let mut v2 = v1.clone();
    v2["valid_days"] = json!(90);
    assert_valid_event_data("AccessGranted", 1, &v1);
    let step = published_step("AccessGranted", 1);
    assert_eq!(step.apply(v1.clone()), Ok(v2.clone()));
    assert_valid_event_data("AccessGranted", 2, &v2);
    let golden = std::fs::read_to_string(manifest_path("tests/golden/events/AccessGranted.v2.json")).expect("v2");
    assert_eq!(serde_json::from_str::<Value>(&golden).expect("JSON"), v2, "the golden v2 is the upcast v1");

    let mut v1_with_days = v1;
    v1_with_days["valid_days"] = json!(30);
    let error = step.apply(v1_with_days).expect_err("valid_days is unknown to v1");
    assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 1, .. }), "{error:?}");
}

/// The appeal steps' outputs, pinned: a v1 filing, escalation or decision carried no evidence, and a
/// v1 filing's target is a deduction or a tier award; v2 reads them with `evidence_digests: []`, and
/// the upcast golden v1 samples are the v2 samples (the story's appeal as v1 stored it).
#[test]
fn the_appeal_v1_steps_write_exactly_the_published_v2() {
    for (event_type, golden_v2) in [("AppealFiled", true), ("AppealDecided", true), ("AppealEscalated", false)] {
        let read = |version: u32| -> Value {
            let path = format!("tests/golden/events/{event_type}.v{version}.json");
            serde_json::from_str(&std::fs::read_to_string(manifest_path(&path)).expect("golden sample")).expect("JSON")
        };
        let v1 = read(1);
        assert_valid_event_data(event_type, 1, &v1);
        let mut expected = v1.clone();
        expected["evidence_digests"] = json!([]);
        let step = published_step(event_type, 1);
        assert_eq!(step.apply(v1.clone()), Ok(expected.clone()), "{event_type}");
        assert_valid_event_data(event_type, 2, &expected);
        if golden_v2 {
            assert_eq!(read(2), expected, "{event_type}: the golden v2 is the upcast v1");
        }
        let event = Event::from_stored(event_type, 1, &v1).expect("v1 decodes");
        assert_eq!(event.schema_version(), 2);
        assert_valid_event(&event);

        let mut v1_with_evidence = v1;
        v1_with_evidence["evidence_digests"] = json!([]);
        let error = step.apply(v1_with_evidence).expect_err("evidence is unknown to v1");
        assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 1, .. }), "{error:?}");
    }
    // A cause attribution was never a v1 target.
    let text = std::fs::read_to_string(manifest_path("tests/golden/events/AppealFiled.v1.json")).expect("v1");
    let mut v1: Value = serde_json::from_str(&text).expect("JSON");
    v1["target"] = json!({
        "kind": "cause_attribution",
        "deduction_id": "015d3117-5900-7000-8000-0000000002ce",
        "attribution_event_id": "015d3e5d-2a80-7000-9000-000000000001"
    });
    let error = Event::from_stored("AppealFiled", 1, &v1).expect_err("v1 knows two targets");
    assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 1, .. }), "{error:?}");
    let mut v2 = v1;
    v2["evidence_digests"] = json!(["3f6c1d9a4e2b8c7f0a5d6e1b9c8a7f3e2d4c6b8a0f1e3d5c7b9a2e4f6d8c0b1a"]);
    assert_valid_event_data("AppealFiled", 2, &v2);
    assert!(Event::from_stored("AppealFiled", 2, &v2).is_ok(), "v2 takes a cause attribution with evidence");
}
