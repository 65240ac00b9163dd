//! Access as facts: grants and revocations fold into `State`, which answers what a token acts as now
//! (`State::access`) and which grants were in force at any instant (`State::grants_active_at`), so
//! "who could deduct from YS07 on 2017-07-11" has an answer from the ledger alone. Every grant lasts a
//! number of days (`valid_days`, 90 unless given, 1 to 366), and a version 1 grant reads as 90.
//!
//! Invariant guarded: a grant counts from its own instant, a revocation ends it at its own instant,
//! expiry ends it `valid_days` × 24 h after the grant, and none is ever undone — a revoked record
//! stays, so its hash cannot be granted again.

use crate::harness;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::event::{AccessGranted, AccessRevoked};
use kpi_ledger::domain::*;
use kpi_testkit::story::{at, unit};

/// The world with a token history around 2017-07-11: assessors zhao (since 07-01), qian (07-05 to
/// 07-10), sun (from 07-11 12:00), li (granted and revoked on 07-11 at 09:00 and 18:00), an office
/// holder at YS07 (since 07-01), and a county assessor at YS08 (since 07-01).
fn world_with_tokens() -> Harness {
    let mut harness = world();
    let admin = admin();
    harness.given(&admin, at(7, 1, 9, 0), grant('1', "assessor.ys.zhao", Role::Assessor, "YS"));
    harness.given(&admin, at(7, 1, 9, 0), grant('2', "office.ys07", Role::Office, "YS07"));
    harness.given(&admin, at(7, 1, 9, 0), grant('3', "assessor.ys08", Role::Assessor, "YS08"));
    harness.given(&admin, at(7, 5, 9, 0), grant('4', "assessor.ys.qian", Role::Assessor, "YS"));
    harness.given(&admin, at(7, 10, 17, 0), revoke('4'));
    harness.given(&admin, at(7, 11, 9, 0), grant('5', "assessor.ys.li", Role::Assessor, "YS"));
    harness.given(&admin, at(7, 11, 12, 0), grant('6', "assessor.ys.sun", Role::Assessor, "YS"));
    harness.given(&admin, at(7, 11, 18, 0), revoke('5'));
    harness
}

/// Actor ids of assessors in force at `when` whose scope holds `unit_code`.
fn assessors_of(harness: &Harness, when: Timestamp, unit_code: &str) -> Vec<String> {
    let state = &harness.facts;
    let mut ids: Vec<String> = state
        .grants_active_at(when)
        .filter(|record| record.role == Role::Assessor && state.in_scope(&record.unit, &unit(unit_code)))
        .map(|record| record.actor_id.clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn who_could_deduct_from_ys07_on_2017_07_11() {
    let harness = world_with_tokens();
    assert_eq!(assessors_of(&harness, at(7, 11, 10, 0), "YS07"), ["assessor.ys.li", "assessor.ys.zhao"]);
    assert_eq!(
        assessors_of(&harness, at(7, 11, 13, 0), "YS07"),
        ["assessor.ys.li", "assessor.ys.sun", "assessor.ys.zhao"]
    );
    assert_eq!(assessors_of(&harness, at(7, 7, 9, 0), "YS07"), ["assessor.ys.qian", "assessor.ys.zhao"]);
    assert_eq!(
        assessors_of(&harness, at(7, 11, 13, 0), "YS08"),
        ["assessor.ys.li", "assessor.ys.sun", "assessor.ys.zhao", "assessor.ys08"]
    );
    assert!(assessors_of(&harness, at(6, 30, 9, 0), "YS07").is_empty());
}

#[test]
fn a_grant_counts_from_its_instant_and_a_revocation_ends_it_at_its_instant() {
    let harness = world_with_tokens();
    let li = harness.facts.access(&token('5')).expect("granted");
    assert!(!li.is_active_at(at(7, 11, 9, 0).plus_micros(-1)));
    assert!(li.is_active_at(at(7, 11, 9, 0)));
    assert!(li.is_active_at(at(7, 11, 18, 0).plus_micros(-1)));
    assert!(!li.is_active_at(at(7, 11, 18, 0)));
    let at_revocation: Vec<&str> =
        harness.facts.grants_active_at(at(7, 11, 18, 0)).map(|record| record.actor_id.as_str()).collect();
    assert!(!at_revocation.contains(&"assessor.ys.li"), "{at_revocation:?}");
}

#[test]
fn access_records_the_envelope_of_grant_and_revocation() {
    let mut harness = world();
    harness.given(&admin(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"));
    let granted_seq = harness.events.len() as u64;
    let record = harness.facts.access(&token('a')).expect("granted").clone();
    assert_eq!(
        record,
        AccessRecord {
            token_hash: token('a'),
            actor_id: "assessor.ys.zhao".to_owned(),
            role: Role::Assessor,
            unit: unit("YS"),
            granted_at: at(7, 1, 9, 0),
            granted_seq,
            expires_at: at(7, 1, 9, 0).plus_days(90),
            revoked_at: None,
            revoked_seq: None,
            person: None,
        }
    );
    harness.given(&admin(), at(7, 26, 9, 0), revoke('a'));
    let record = harness.facts.access(&token('a')).expect("a revoked grant stays");
    assert_eq!((record.revoked_at, record.revoked_seq), (Some(at(7, 26, 9, 0)), Some(granted_seq + 1)));
    assert!(record.is_revoked());
    assert!(harness.facts.access(&token('b')).is_none());
}

#[test]
fn grant_and_revocation_share_the_tokens_stream() {
    let mut harness = world();
    let granted = harness.when(&admin(), at(7, 1, 9, 0), grant('e', "auditor.ys", Role::Auditor, "YS")).then_events();
    harness.given(&admin(), at(7, 1, 9, 0), grant('e', "auditor.ys", Role::Auditor, "YS"));
    let revoked = harness.when(&admin(), at(7, 2, 9, 0), revoke('e')).then_events();
    assert_eq!(granted[0].stream_id(), revoked[0].stream_id());
    assert_eq!(granted[0].stream_id(), "access-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
}

#[test]
fn evolve_keeps_the_first_grant_and_the_first_revocation() {
    let mut harness = world();
    let first = AccessGranted {
        token_hash: token('f'),
        actor_id: "assessor.ys.zhao".to_owned(),
        role: Role::Assessor,
        unit: unit("YS"),
        note: String::new(),
        valid_days: 90,
        person: None,
    };
    let second = AccessGranted { actor_id: "admin.intruder".to_owned(), role: Role::Admin, ..first.clone() };
    harness.given_events(&admin(), at(7, 1, 9, 0), vec![first.into(), second.into()]);
    let revocation = |reason: &str| AccessRevoked {
        token_hash: token('f'),
        actor_id: "assessor.ys.zhao".to_owned(),
        role: Role::Assessor,
        unit: unit("YS"),
        reason: reason.to_owned(),
    };
    harness.given_events(&admin(), at(7, 2, 9, 0), vec![revocation("first").into()]);
    harness.given_events(&admin(), at(7, 3, 9, 0), vec![revocation("again").into()]);
    let record = harness.facts.access(&token('f')).expect("granted");
    assert_eq!((record.actor_id.as_str(), record.role), ("assessor.ys.zhao", Role::Assessor));
    assert_eq!(record.revoked_at, Some(at(7, 2, 9, 0)));
    let unknown = AccessRevoked { token_hash: token('0'), ..revocation("nothing to revoke") };
    harness.given_events(&admin(), at(7, 3, 9, 0), vec![unknown.into()]);
    assert!(harness.facts.access(&token('0')).is_none());
}

#[test]
fn a_revoked_token_stays_refused_for_good() {
    let mut harness = world_with_tokens();
    let again = GrantAccess { actor_id: "assessor.ys.qian2".to_owned(), ..grant('4', "x", Role::Assessor, "YS") };
    harness.when(&admin(), at(8, 1, 9, 0), again).then_rejected(RejectionCode::TokenExists, "token_hash");
    harness.when(&admin(), at(8, 1, 9, 0), revoke('4')).then_rejected(RejectionCode::TokenRevoked, "token_hash");
}

#[test]
fn a_grant_lasts_ninety_days_unless_it_says_otherwise_and_ends_at_that_instant() {
    let mut harness = world();
    let granted = at(7, 1, 9, 0);
    harness.given(&admin(), granted, grant('a', "assessor.ys.zhao", Role::Assessor, "YS"));
    let short = GrantAccess { valid_days: Some(1), ..grant('b', "auditor.ys07.sun", Role::Auditor, "YS07") };
    let events = harness.when(&admin(), granted, short.clone()).then_events();
    let Event::AccessGranted(event) = &events[0] else { panic!("{events:?}") };
    assert_eq!(event.valid_days, 1, "the event records the number of days");
    harness.given(&admin(), granted, short);

    let default = harness.facts.access(&token('a')).expect("granted");
    assert_eq!(default.expires_at, granted.plus_days(90));
    assert!(default.is_active_at(granted.plus_days(90).plus_micros(-1)));
    assert!(!default.is_active_at(granted.plus_days(90)), "it has expired at expires_at itself");
    assert!(default.is_expired_at(granted.plus_days(90)) && !default.is_revoked());

    let one_day = harness.facts.access(&token('b')).expect("granted");
    assert_eq!(one_day.expires_at, granted.plus_days(1));
    let in_force: Vec<&str> =
        harness.facts.grants_active_at(granted.plus_days(2)).map(|record| record.actor_id.as_str()).collect();
    assert_eq!(in_force, ["assessor.ys.zhao"], "an expired grant is no longer in force");
}

#[test]
fn valid_days_outside_one_to_366_are_refused() {
    let mut harness = world();
    for days in [0, 367, u32::MAX] {
        let command = GrantAccess { valid_days: Some(days), ..grant('c', "assessor.ys.zhao", Role::Assessor, "YS") };
        let rejection =
            harness.when(&admin(), at(7, 1, 9, 0), command).then_rejected(RejectionCode::InvalidValue, "valid_days");
        assert!(rejection.message.contains("366"), "{}", rejection.message);
    }
    let longest = GrantAccess { valid_days: Some(366), ..grant('c', "assessor.ys.zhao", Role::Assessor, "YS") };
    harness.given(&admin(), at(7, 1, 9, 0), longest);
    assert_eq!(harness.facts.access(&token('c')).unwrap().expires_at, at(7, 1, 9, 0).plus_days(366));
}

#[test]
fn a_stored_grant_without_an_end_reads_as_ninety_days_and_one_out_of_range_does_not_decode() {
    let v1 = serde_json::json!({
        "token_hash": "a".repeat(64), "actor_id": "assessor.ys.zhao", "role": "assessor", "unit": "YS", "note": ""
    });
    let Ok(Event::AccessGranted(upcast)) = Event::from_stored("AccessGranted", 1, &v1) else { panic!("v1 decodes") };
    assert_eq!(upcast.valid_days, 90);
    let mut v2 = v1.clone();
    for days in [0, 367] {
        v2["valid_days"] = serde_json::json!(days);
        let error = Event::from_stored("AccessGranted", 2, &v2).expect_err("out of range");
        assert!(matches!(error, EventDecodeError::InvalidData { schema_version: 2, .. }), "{error:?}");
    }
}
