//! Restarts that stay flat, and keys that change only on purpose: the decider opens from the newest
//! projection snapshot that matches the chain (and decides exactly as one that folded everything),
//! a snapshot that does not match is ignored, the read models follow the head on their own thread,
//! a ledger whose key file is gone refuses to start, and `key rotate` records a new key as an event
//! while checkpoints signed before it still verify with the old one.

use std::sync::Arc;

use kpi_ledger::domain::{self, Actor, Command, Role, UnitCode};
use kpi_ledger::projection::{AsOf, Snapshot};
use kpi_ledger::service::admin::{self, LedgerSettings};
use kpi_ledger::service::read_models::ReadModels;
use kpi_ledger::service::records::TailCheck;
use kpi_ledger::service::{Clock, CommandOptions, ManualClock, SeededIds, Service, ServiceError, SystemClock};
use kpi_ledger::store::Ledger;
use kpi_testkit::story::year::year_story;

const INTERVAL: u64 = 64;

fn year_ledger(dir: &std::path::Path) -> Arc<Ledger> {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("restart"))).unwrap();
    for step in year_story() {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    ledger
}

fn open_service(ledger: &Arc<Ledger>) -> Service {
    Service::open(ledger.clone(), Arc::new(ManualClock::default()), Arc::new(SeededIds::new("reopened"))).unwrap()
}

#[test]
fn a_service_opened_from_a_snapshot_decides_as_one_that_folded_everything() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    assert!(ledger.snapshot_at_or_before(ledger.head().seq).unwrap().is_none(), "no snapshot yet");
    let folded_everything = open_service(&ledger);
    assert_eq!(folded_everything.opened_from_snapshot(), 0);

    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    let (stored_at, _) = ledger.snapshot_at_or_before(ledger.head().seq).unwrap().expect("snapshots stored");
    let from_snapshot = open_service(&ledger);
    assert_eq!(from_snapshot.opened_from_snapshot(), stored_at, "opened from the newest snapshot");
    assert!(stored_at > 0 && stored_at < ledger.head().seq, "and the events after it");

    let (all, snapshot) = (folded_everything.with_facts(Clone::clone), from_snapshot.with_facts(Clone::clone));
    assert!(all == snapshot, "the same facts");
    // Every command of the year, decided again on both: the same events, or the same refusal.
    for step in year_story() {
        let (one, other) = (
            domain::decide(&all, &step.command, &step.context),
            domain::decide(&snapshot, &step.command, &step.context),
        );
        assert_eq!(format!("{one:?}"), format!("{other:?}"), "{}", step.command.name());
    }
    // And through the service: a refusal names the same field and code.
    let story = year_story();
    let first = &story[0];
    let refusal = |service: &Service| {
        let error =
            service.execute(first.context.actor.clone(), &first.command, CommandOptions::default()).unwrap_err();
        format!("{error:?}")
    };
    assert_eq!(refusal(&folded_everything), refusal(&from_snapshot));
}

#[test]
fn a_snapshot_that_does_not_match_the_chain_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let expected = open_service(&ledger).with_facts(Clone::clone);
    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    let (newest, bytes) = ledger.snapshot_at_or_before(ledger.head().seq).unwrap().unwrap();
    // The stamp names another chain: the projection inside is well-formed but of no ledger here.
    let mut forged = Snapshot::from_bytes(&bytes).unwrap();
    forged.hash = kpi_ledger::chain::Hash([7; 32]);
    ledger.put_snapshot(newest, &forged.to_bytes()).unwrap();

    let reopened = open_service(&ledger);
    assert!(reopened.opened_from_snapshot() < newest, "opened from an older snapshot");
    assert!(reopened.with_facts(Clone::clone) == expected, "the facts of the whole chain");
    let (at, _) = ledger.snapshot_at_or_before(newest).unwrap().unwrap();
    assert!(at < newest, "the forged snapshot was dropped");

    // Bytes that are not a snapshot at all are dropped too.
    ledger.put_snapshot(newest, b"\x93not a snapshot").unwrap();
    let reopened = open_service(&ledger);
    assert!(reopened.opened_from_snapshot() < newest);
    assert!(reopened.with_facts(Clone::clone) == expected);
}

#[test]
fn the_service_and_read_models_open_together_and_the_read_models_follow_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    let (service, read_models) = Service::open_with_read_models(
        ledger.clone(),
        Arc::new(ManualClock::default()),
        Arc::new(SeededIds::new("together")),
    )
    .unwrap();
    let (service, read_models) = (Arc::new(service), Arc::new(read_models));
    let (_, facts) = read_models.with_projection(AsOf::Latest, |p| p.facts().clone()).unwrap();
    assert!(service.with_facts(Clone::clone) == facts, "one reading of the snapshot, the same facts");
    let shared_at = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let share = {
        let (service, shared_at) = (Arc::downgrade(&service), shared_at.clone());
        move |projection: &kpi_ledger::projection::Projection| {
            if service.upgrade().is_some_and(|service| service.share_facts(projection)) {
                shared_at.store(projection.seq(), std::sync::atomic::Ordering::SeqCst);
            }
        }
    };
    read_models.follow(share).unwrap();
    assert!(read_models.is_following());
    let (_, opened) = read_models.with_projection(AsOf::Latest, Clone::clone).unwrap();

    let admin = year_story()[0].context.actor.clone();
    let mut last = 0;
    for n in 0..200 {
        let command = Command::from_json(&format!(
            r#"{{"command": "RegisterPerson", "payload": {{"person": "P9{n:05}", "name": "员工{n}", "unit": "YS07"}}}}"#
        ))
        .unwrap();
        last = service.execute(admin.clone(), &command, CommandOptions::default()).unwrap().last_seq;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(read_models.folded(last));
    assert!(read_models.folded_seq() >= last);
    let (at, persons) = read_models.with_projection(AsOf::Latest, |p| p.facts().persons.len()).unwrap();
    assert_eq!(at.seq, ledger.head().seq, "the latest state is the head once folded");
    assert_eq!(persons, service.with_facts(|facts| facts.persons.len()));
    // Caught up, the follower hands its facts to the idle decider (one copy for both); a projection
    // of another point is never taken.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while shared_at.load(std::sync::atomic::Ordering::SeqCst) != last && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(shared_at.load(std::sync::atomic::Ordering::SeqCst), last, "the decider took the folded facts");
    assert!(!service.share_facts(&opened), "the decider stands 200 events further");
    assert!(
        service.with_facts(Clone::clone) == read_models.with_projection(AsOf::Latest, |p| p.facts().clone()).unwrap().1
    );
}

fn settings(dir: &std::path::Path) -> LedgerSettings {
    LedgerSettings::new(dir.join("data"))
}

/// A ledger with a top unit, and one checkpoint signed with its first key.
fn ledger_with_a_checkpoint(settings: &LedgerSettings) -> kpi_ledger::service::records::SignedCheckpoint {
    let service = settings.open_service().unwrap();
    let admin = Actor { id: "admin".into(), role: Role::Admin, unit: UnitCode::new("YS").unwrap() };
    let command = Command::from_json(
        r#"{"command": "RegisterUnit", "payload": {"unit": "YS", "name": "乙市", "level": "city", "parent": null}}"#,
    )
    .unwrap();
    service.execute(admin, &command, CommandOptions::default()).unwrap();
    let checkpoint = service.records().checkpoint(SystemClock.now()).unwrap();
    service.records().close();
    checkpoint
}

#[test]
fn a_ledger_whose_key_file_is_gone_refuses_to_start_and_makes_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path());
    ledger_with_a_checkpoint(&settings);
    std::fs::remove_file(settings.key_path()).unwrap();

    let refused = settings.open_server().err().expect("a server refuses to start without its key");
    assert!(refused.contains("is missing") && refused.contains("key rotate"), "{refused}");
    assert!(!settings.key_path().exists(), "no new key was made silently");
    let refused = settings.open_existing(TailCheck::Newest(100)).err().expect("nor does anything that writes");
    assert!(refused.to_string().contains("is missing"), "{refused}");
    assert!(!settings.key_path().exists());
}

#[test]
fn key_rotation_is_an_event_and_old_checkpoints_still_verify_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path());
    let before = ledger_with_a_checkpoint(&settings);
    let old_key = kpi_ledger::chain::checkpoint::parse_public_key(&before.public_key).unwrap();
    before.verify(&old_key).unwrap();

    let rotated = admin::rotate_key(&settings, "年度密钥轮换").unwrap();
    assert_eq!(rotated.previous_public_key, before.public_key);
    assert_ne!(rotated.public_key, before.public_key);
    let retired = rotated.retired_key_file.clone().expect("the old key file is kept");
    assert_eq!(retired, settings.data.join(format!("checkpoint-signing-key.json.retired-{}", rotated.seq)));
    assert!(retired.exists() && settings.key_path().exists());

    let records = settings.open_existing(TailCheck::Newest(100)).unwrap();
    let event = records.page(rotated.seq, 1).unwrap().events.remove(0);
    let body: serde_json::Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!(body["type"], "SigningKeyRotated");
    assert_eq!(body["stream"], "ledger-settings");
    assert_eq!(body["data"]["public_key"], rotated.public_key.as_str());
    assert_eq!(body["data"]["previous_public_key"], before.public_key.as_str());
    assert_eq!(body["data"]["reason"], "年度密钥轮换");
    assert_eq!(records.key().public_key.as_deref(), Some(rotated.public_key.as_str()));

    let after = records.checkpoint(SystemClock.now()).unwrap();
    let new_key = kpi_ledger::chain::checkpoint::parse_public_key(&rotated.public_key).unwrap();
    after.verify(&new_key).unwrap();
    assert!(after.verify(&old_key).is_err(), "signed with the new key only");
    before.verify(&old_key).unwrap();
    assert!(after.checkpoint.tree_size > before.checkpoint.tree_size);
    records.close();
    drop(records);

    // Deleting the new key file: refused again, and a rotation is the deliberate way on.
    std::fs::remove_file(settings.key_path()).unwrap();
    assert!(settings.open_server().is_err());
    let again = admin::rotate_key(&settings, "the key file was lost").unwrap();
    assert_eq!(again.previous_public_key, rotated.public_key);
    assert!(again.retired_key_file.is_none(), "there was no key file to keep");
    let (service, _) = settings.open_server().unwrap();
    assert_eq!(service.records().key().public_key.as_deref(), Some(again.public_key.as_str()));
}

#[test]
fn a_key_rotation_is_refused_any_other_way() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path());
    ledger_with_a_checkpoint(&settings);
    let service = settings.open_service().unwrap();
    let admin = Actor { id: "admin".into(), role: Role::Admin, unit: UnitCode::new("YS").unwrap() };
    let command = Command::from_json(&format!(
        r#"{{"command": "RotateSigningKey", "payload": {{"public_key": "{}", "previous_public_key": "{}", "reason": "x"}}}}"#,
        "a".repeat(64),
        "b".repeat(64)
    ))
    .unwrap();
    let head = service.records().head().seq;
    match service.execute(admin.clone(), &command, CommandOptions::default()) {
        Err(ServiceError::Rejected(rejection)) => assert_eq!(rejection.field, "command"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(service.execute_all(admin, std::slice::from_ref(&command)).is_err());
    assert_eq!(service.records().head().seq, head, "nothing was written");
}
