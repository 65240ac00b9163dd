//! Decoding commands from JSON: `{"command": …, "payload": {…}}` or a named payload. Every error is an
//! `invalid_command` rejection whose field is the path of the offending value.
//!
//! Invariant guarded: a wrong type, an unknown field, a missing field or a malformed code never passes
//! silently and always names its field.

use kpi_ledger::domain::command::RecordDeduction;
use kpi_ledger::domain::{Command, Rejection, RejectionCode};
use serde_json::{json, Value};

fn deduction_payload() -> Value {
    json!({
        "scheme": "YS-2017", "period": "2017-06", "unit": "YS07", "indicator": "ZG-04", "points": 200,
        "reason": "filed as a request", "problem_category": "document_filing",
        "evidence_digests": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
    })
}

fn refused(name: &str, payload: &Value) -> Rejection {
    let rejection = Command::from_payload(name, payload).expect_err("the payload is wrong");
    assert_eq!(rejection.code, RejectionCode::InvalidCommand);
    assert!(rejection.message.starts_with(&format!("{}: ", rejection.field)), "{}", rejection.message);
    assert!(!rejection.message.contains(" at line "), "{}", rejection.message);
    rejection
}

#[test]
fn a_good_payload_decodes() {
    let command = Command::from_payload("RecordDeduction", &deduction_payload()).expect("valid");
    let Command::RecordDeduction(RecordDeduction { points, links, .. }) = &command else { panic!("{command:?}") };
    assert_eq!((points.hundredths(), links.len()), (200, 0));
}

#[test]
fn the_envelope_decodes_and_round_trips() {
    let text = json!({"command": "RecordDeduction", "payload": deduction_payload()}).to_string();
    let command = Command::from_json(&text).expect("valid");
    let again: Command = serde_json::from_str(&serde_json::to_string(&command).expect("JSON")).expect("round trip");
    assert_eq!(command, again);
}

#[test]
fn wrong_type_names_the_field() {
    let mut payload = deduction_payload();
    payload["points"] = json!("two");
    assert_eq!(refused("RecordDeduction", &payload).field, "points");
}

#[test]
fn unknown_field_names_the_field() {
    let mut payload = deduction_payload();
    payload["pointz"] = json!(1);
    let rejection = refused("RecordDeduction", &payload);
    assert_eq!(rejection.field, "pointz");
    assert!(rejection.message.contains("unknown field `pointz`"), "{}", rejection.message);
}

#[test]
fn missing_field_names_the_field() {
    let mut payload = deduction_payload();
    payload.as_object_mut().expect("object").remove("reason");
    assert_eq!(refused("RecordDeduction", &payload).field, "reason");
}

#[test]
fn malformed_values_name_their_path() {
    let mut payload = deduction_payload();
    payload["evidence_digests"] =
        json!(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not-hex"]);
    let rejection = refused("RecordDeduction", &payload);
    assert_eq!(rejection.field, "evidence_digests.1");
    assert!(rejection.message.contains("got \"not-hex\""), "{}", rejection.message);
    let mut payload = deduction_payload();
    payload["unit"] = json!("ys07");
    assert_eq!(refused("RecordDeduction", &payload).field, "unit");
    let mut payload = deduction_payload();
    payload["period"] = json!("2017-13");
    assert_eq!(refused("RecordDeduction", &payload).field, "period");
}

#[test]
fn nested_errors_name_the_nested_value() {
    let payload = json!({"appeal_id": "015d4053-7e80-7000-8000-0000000002d2", "outcome": {"kind": "partial", "points_restored": "one"}, "reasoning": "r"});
    assert_eq!(refused("DecideAppeal", &payload).field, "outcome");
    let payload = json!({"appeal_id": "not-a-uuid", "outcome": {"kind": "upheld"}, "reasoning": "r"});
    assert_eq!(refused("DecideAppeal", &payload).field, "appeal_id");
}

#[test]
fn unknown_command_and_bad_envelope_are_refused() {
    assert_eq!(refused("DeleteEverything", &json!({})).field, "command");
    let rejection =
        Command::from_json(r#"{"command": "RecordDeduction", "payload": {}, "extra": 1}"#).expect_err("extra field");
    assert_eq!((rejection.code, rejection.field.as_str()), (RejectionCode::InvalidCommand, "extra"));
    let rejection = Command::from_json(r#""just text""#).expect_err("not an object");
    assert_eq!(rejection.field, "payload");
}

#[test]
fn access_payloads_name_a_malformed_token_hash_or_role() {
    let grant = json!({"token_hash": "a".repeat(64), "actor_id": "assessor.ys.zhao", "role": "assessor", "unit": "YS"});
    let Command::GrantAccess(decoded) = Command::from_payload("GrantAccess", &grant).expect("valid") else {
        panic!("not a grant")
    };
    assert!(decoded.note.is_empty());
    for (field, value) in
        [("token_hash", json!("A".repeat(64))), ("token_hash", json!("a".repeat(63))), ("role", json!("root"))]
    {
        let mut payload = grant.clone();
        payload[field] = value;
        let rejection = refused("GrantAccess", &payload);
        assert_eq!(rejection.field, field, "{}", rejection.message);
    }
    let revoke = json!({"token_hash": "not-a-hash", "reason": "lost"});
    let rejection = refused("RevokeAccess", &revoke);
    assert_eq!(rejection.field, "token_hash");
    assert!(rejection.message.contains("64 lower-case hex digits"), "{}", rejection.message);
}

#[test]
fn the_one_pass_decoder_reads_every_event_as_the_two_step_one_does() {
    use kpi_ledger::chain::{decode, decode_in_two_steps, Record};
    let history = kpi_testkit::generator::generate(11, kpi_testkit::generator::Size::M);
    let mut types = std::collections::BTreeSet::new();
    for event in &history.events {
        let record = Record::decode(&event.sealed.record).unwrap();
        let fast = decode(event.sealed.seq, &record).unwrap();
        let slow = decode_in_two_steps(event.sealed.seq, &record).unwrap();
        assert_eq!(fast, slow, "event {}", event.sealed.seq);
        types.insert(fast.event.event_type());
    }
    assert!(types.len() >= 15, "the history covers many event types: {types:?}");

    // Bodies the one pass does not read take the second path, which reports with the field named.
    let body = br#"{"event_id":"0187a0f4-0000-7000-8000-000000000001","stream":"unit-YS","stream_version":1,"type":"UnitRenamed","schema_version":1,"recorded_at":"2017-07-11T09:00:00.000000Z","actor":{"id":"a","role":"admin"},"command_id":null,"causation_id":null,"correlation_id":null,"data":{"unit":"YS","name":7}}"#;
    let record = Record::seal(kpi_ledger::chain::GENESIS_HASH, 1, body);
    let error = decode(1, &record).unwrap_err().to_string();
    assert!(error.contains("UnitRenamed") && error.contains("name"), "{error}");
    let older = br#"{"event_id":"0187a0f4-0000-7000-8000-000000000002","stream":"s","stream_version":1,"type":"DeductionRecorded","schema_version":1,"recorded_at":"2017-07-11T09:00:00.000000Z","actor":{"id":"a","role":"assessor"},"command_id":null,"causation_id":null,"correlation_id":null,"data":{"deduction_id":"0187a0f4-0000-7000-8000-000000000003","scheme":"YS-2017","period":"2017-06","unit":"YS07","indicator":"ZG-04","points":200,"reason":"missing","problem_category":"document_filing","evidence_digest":null,"assessor":"YS"}}"#;
    let record = Record::seal(kpi_ledger::chain::GENESIS_HASH, 1, older);
    assert_eq!(decode(1, &record).unwrap(), decode_in_two_steps(1, &record).unwrap(), "v1 is upcast either way");
}
