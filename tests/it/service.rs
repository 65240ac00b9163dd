//! The thin service over real sled: the article's story decided and appended end to end, rejections
//! that leave the ledger unchanged, idempotency across restarts, expected versions, pipelined
//! concurrent commands, and byte-identical replays (issue 3).

use std::sync::Arc;

use kpi_ledger::domain::{Command, Event, RejectionCode};
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service, ServiceError};
use kpi_ledger::store::Ledger;
use kpi_testkit::story::{self as fixture, Step};

fn open(dir: &std::path::Path, seed: &str) -> (Arc<ManualClock>, Service) {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger, clock.clone(), Arc::new(SeededIds::new(seed))).unwrap();
    (clock, service)
}

/// Plays the story's steps through the service on the simulated clock, with the story's own ids.
fn play(service: &Service, clock: &ManualClock, steps: &[Step]) {
    for step in steps {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service
            .execute(step.context.actor.clone(), &step.command, options)
            .unwrap_or_else(|error| panic!("step {}: {error}", step.label));
    }
}

#[test]
fn the_story_is_decided_appended_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, service) = open(dir.path(), "story");
    let steps = fixture::story();
    play(&service, &clock, &steps);
    let ledger = service.ledger();
    let pure_events = kpi_testkit::generator::run_story(&steps).unwrap().recorded();
    assert_eq!(ledger.head().seq, pure_events.len() as u64, "one stored event per decided event");
    let stored = ledger.read_range(1, 1_000).unwrap();
    for (stored, decided) in stored.iter().zip(&pure_events) {
        let body: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
        assert_eq!(body["type"], decided.event.event_type());
        let version = body["schema_version"].as_u64().unwrap() as u32;
        let mut event = Event::from_stored(decided.event.event_type(), version, &body["data"]).unwrap();
        // A personal text is stored sealed under its person's key (the pure decision holds it plain);
        // everything else is stored exactly as decided.
        if let Some((_, _, text)) = event.personal_text_mut() {
            assert!(text.is_sealed(), "event {}: a personal text is stored sealed", stored.seq);
            *text = decided.event.personal_text().map(|(_, _, plain)| plain.clone()).unwrap();
        }
        assert_eq!(event.to_data(), decided.event.to_data(), "event {} stored as decided", stored.seq);
    }
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn replaying_the_story_gives_byte_identical_events_and_hashes() {
    let heads: Vec<_> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let (clock, service) = open(dir.path(), "same seed");
            play(&service, &clock, &fixture::story());
            service.ledger().head()
        })
        .collect();
    assert_eq!(heads[0], heads[1]);
}

#[test]
fn a_rejected_command_appends_nothing_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, service) = open(dir.path(), "rejections");
    let steps = fixture::story();
    let deduction_at = steps.iter().position(|s| s.label == fixture::LABEL_DEDUCTION).unwrap();
    play(&service, &clock, &steps[..=deduction_at]);
    let head = service.ledger().head();
    let step = &steps[deduction_at];
    let mut too_many_points = step.command.clone();
    if let Command::RecordDeduction(deduction) = &mut too_many_points {
        deduction.points = kpi_ledger::domain::Points(100_000);
    }
    match service.execute(step.context.actor.clone(), &too_many_points, CommandOptions::default()) {
        Err(ServiceError::Rejected(rejection)) => {
            assert_eq!(rejection.field, "points");
            assert!(rejection.message.contains("points"), "{}", rejection.message);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let mut auditor = step.context.actor.clone();
    auditor.role = kpi_ledger::domain::Role::Auditor;
    match service.execute(auditor, &step.command, CommandOptions::default()) {
        Err(ServiceError::Rejected(rejection)) => assert_eq!(rejection.code, RejectionCode::RoleNotAllowed),
        other => panic!("expected a role rejection, got {other:?}"),
    }
    assert_eq!(service.ledger().head(), head, "nothing was appended");
}

#[test]
fn a_command_id_gets_its_original_result_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let steps = fixture::story();
    let (first, head) = {
        let (clock, service) = open(dir.path(), "idempotent");
        play(&service, &clock, &steps[..steps.len() - 1]);
        let last = steps.last().unwrap();
        clock.set(last.context.now);
        let options = CommandOptions { command_id: Some("decide-appeal-1".into()), ..CommandOptions::default() };
        let first = service.execute(last.context.actor.clone(), &last.command, options.clone()).unwrap();
        let again = service.execute(last.context.actor.clone(), &last.command, options).unwrap();
        assert!(again.replayed);
        assert_eq!((again.first_seq, again.last_seq), (first.first_seq, first.last_seq));
        (first, service.ledger().head())
    };
    let (_clock, service) = open(dir.path(), "idempotent after restart");
    let last = steps.last().unwrap();
    let options = CommandOptions { command_id: Some("decide-appeal-1".into()), ..CommandOptions::default() };
    // The same id for a different command is refused, before and after a restart, and writes nothing.
    let other = Command::from_json(
        r#"{"command": "RegisterPerson", "payload": {"person": "P9999", "name": "someone else", "unit": "YS07"}}"#,
    )
    .unwrap();
    match service.execute(steps[0].context.actor.clone(), &other, options.clone()) {
        Err(ServiceError::CommandIdReused { command_id }) => assert_eq!(command_id, "decide-appeal-1"),
        other => panic!("expected the reused id to be refused, got {other:?}"),
    }
    assert_eq!(service.ledger().head(), head);
    let replayed = service.execute(last.context.actor.clone(), &last.command, options).unwrap();
    assert!(replayed.replayed);
    assert_eq!(
        (replayed.first_seq, replayed.last_seq, &replayed.event_types),
        (first.first_seq, first.last_seq, &first.event_types)
    );
    assert_eq!(service.ledger().head(), head);
}

/// A retry's answer is the original one whole — the stream's version as it stood after that command,
/// not as it stands now — whether the service remembers the command or reads it back after a restart.
#[test]
fn a_retried_command_gets_its_original_answer_though_its_stream_moved_on() {
    let dir = tempfile::tempdir().unwrap();
    let steps = fixture::story();
    let with_id = |index: usize, step: &Step| CommandOptions {
        new_id: Some(step.context.new_id),
        command_id: Some(format!("step-{index}")),
        ..CommandOptions::default()
    };
    let retry_all = |service: &Service, originals: &[kpi_ledger::service::Executed]| {
        for (index, (step, original)) in steps.iter().zip(originals).enumerate() {
            let again = service.execute(step.context.actor.clone(), &step.command, with_id(index, step)).unwrap();
            assert_eq!(again, kpi_ledger::service::Executed { replayed: true, ..original.clone() }, "{}", step.label);
        }
    };
    let (originals, head) = {
        let (clock, service) = open(dir.path(), "retries");
        let originals: Vec<_> = steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                clock.set(step.context.now);
                service.execute(step.context.actor.clone(), &step.command, with_id(index, step)).unwrap()
            })
            .collect();
        retry_all(&service, &originals);
        (originals, service.ledger().head())
    };
    let moved_on = originals.iter().filter(|original| {
        originals.iter().any(|later| later.stream == original.stream && later.stream_version > original.stream_version)
    });
    assert!(moved_on.count() > 0, "some stream receives events after a command on it");
    let (_clock, service) = open(dir.path(), "retries after restart");
    retry_all(&service, &originals);
    assert_eq!(service.ledger().head(), head, "a retry writes nothing");
}

#[test]
fn a_stale_expected_version_is_refused_with_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, service) = open(dir.path(), "expected");
    let steps = fixture::story();
    play(&service, &clock, &steps[..steps.len() - 1]);
    let head = service.ledger().head();
    let last = steps.last().unwrap();
    clock.set(last.context.now);
    let options = CommandOptions { expected_version: Some(99), ..CommandOptions::default() };
    match service.execute(last.context.actor.clone(), &last.command, options) {
        Err(ServiceError::WrongExpectedVersion { expected: 99, current, .. }) => assert!(current < 99),
        other => panic!("expected a version conflict, got {other:?}"),
    }
    assert_eq!(service.ledger().head(), head);
}

#[test]
fn concurrent_commands_are_pipelined_and_a_restart_rebuilds_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let steps = fixture::story();
    let setup_end = steps.iter().position(|s| s.label == fixture::LABEL_DEDUCTION).unwrap();
    let (clock, service) = open(dir.path(), "concurrent");
    play(&service, &clock, &steps[..setup_end]);
    let service = Arc::new(service);
    let before = service.ledger().head().seq;
    let groups = |service: &Service| service.ledger().stats().0.groups.load(std::sync::atomic::Ordering::Relaxed);
    let groups_before = groups(&service);
    // Many registrations of persons at once: each is its own command and its own stream.
    let register = |n: usize| -> Command {
        Command::from_json(&format!(
            r#"{{"command": "RegisterPerson", "payload": {{"person": "P{n:04}", "name": "staff {n}", "unit": "YS07"}}}}"#
        ))
        .unwrap()
    };
    let admin = steps[0].context.actor.clone();
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (service, admin) = (service.clone(), admin.clone());
            std::thread::spawn(move || {
                for n in 0..50 {
                    service.execute(admin.clone(), &register(thread * 100 + n), CommandOptions::default()).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(service.ledger().head().seq, before + 400);
    let group_commits = groups(&service) - groups_before;
    assert!(group_commits < 400, "commands from 8 threads shared group commits ({group_commits} for 400)");
    service.ledger().verify(&|_| {}).unwrap();
    let state_before = service.with_facts(|facts| format!("{facts:?}"));
    drop(service);
    let (_clock, reopened) = open(dir.path(), "concurrent, reopened");
    assert_eq!(
        reopened.with_facts(|facts| format!("{facts:?}")),
        state_before,
        "folding the ledger rebuilds the decided state"
    );
}

/// Eight writers race on one stream, each stating the version it read (`If-Match`): every accepted
/// command gets its own version, gapless, and each loser is refused with the version it missed —
/// sequencing is decided once, by the decider, and never shared.
#[test]
fn eight_writers_on_one_stream_never_share_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let steps = fixture::story();
    let (clock, service) = open(dir.path(), "one stream");
    let registered = steps
        .iter()
        .position(|step| matches!(&step.command, Command::RegisterUnit(unit) if unit.unit.as_str() == "YS07"))
        .unwrap();
    play(&service, &clock, &steps[..=registered]);
    let service = Arc::new(service);
    let admin = steps[0].context.actor.clone();
    let rename = |n: usize| -> Command {
        Command::from_json(&format!(
            r#"{{"command": "RenameUnit", "payload": {{"unit": "YS07", "name": "丙县国家税务局 ({n})"}}}}"#
        ))
        .unwrap()
    };
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (service, admin) = (service.clone(), admin.clone());
            std::thread::spawn(move || {
                let (mut accepted, mut refused) = (Vec::new(), 0);
                for n in 0..25 {
                    let read = service.ledger().stream_version("unit-YS07").unwrap();
                    let options = CommandOptions { expected_version: Some(read), ..CommandOptions::default() };
                    match service.execute(admin.clone(), &rename(thread * 100 + n), options) {
                        Ok(executed) => accepted.push(executed.stream_version),
                        Err(ServiceError::WrongExpectedVersion { expected, current, .. }) => {
                            assert_ne!(expected, current);
                            refused += 1;
                        }
                        Err(other) => panic!("{other}"),
                    }
                }
                (accepted, refused)
            })
        })
        .collect();
    let mut versions: Vec<u64> = Vec::new();
    for thread in threads {
        versions.extend(thread.join().unwrap().0);
    }
    versions.sort_unstable();
    let first = versions[0];
    assert_eq!(versions, (first..first + versions.len() as u64).collect::<Vec<_>>(), "unique and gapless");
    assert_eq!(service.ledger().stream_version("unit-YS07").unwrap(), *versions.last().unwrap());
    service.ledger().verify(&|_| {}).unwrap();
}
