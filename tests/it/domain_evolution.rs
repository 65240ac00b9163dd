//! How an event evolves: `DeductionRecorded` v1 (at most one evidence digest, no links) is upcast on
//! read to v2 (a list of digests, links). Schemes change every year; the ledger never rewrites what it
//! stored, so every published version must keep decoding into the current type.
//!
//! Invariant guarded: stored v1 data decodes to the current `DeductionRecorded`, with the digest list
//! derived from the single digest and no links; unknown types and versions are typed errors.

use crate::harness;

use harness::{assert_valid_event, assert_valid_event_data, manifest_path};
use kpi_ledger::domain::event::DeductionRecorded;
use kpi_ledger::domain::{Event, EventDecodeError};
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
