//! The ledger core against real sled in temp dirs: appends, expected versions, reads, idempotency,
//! limits, concurrency, export/import and the golden head of the sample chain (issue 2).

mod support;

use std::sync::Arc;

use kpi_ledger::sample::sample_requests;
use kpi_ledger::store::{export, AppendError, ExpectedVersion, Ledger};
use support::{ids, request};

fn temp_ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    (dir, ledger)
}

#[test]
fn appended_events_read_back_by_range_stream_and_id() {
    let (_dir, ledger) = temp_ledger();
    let ids = ids("round trip");
    let first = ledger.append(request(&ids, "s-a", ExpectedVersion::NoStream, 2)).unwrap();
    let second = ledger.append(request(&ids, "s-b", ExpectedVersion::Any, 1)).unwrap();
    let third = ledger.append(request(&ids, "s-a", ExpectedVersion::Exact(2), 1)).unwrap();
    assert_eq!((first.first_seq, first.last_seq, first.stream_version), (1, 2, 2));
    assert_eq!((second.first_seq, second.stream_version), (3, 1));
    assert_eq!((third.first_seq, third.stream_version), (4, 3));

    let all = ledger.read_range(1, 100).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(all[1].prev_hash, all[0].hash, "each event links to the one before");
    let stream_a = ledger.read_stream("s-a", 1, 100).unwrap();
    assert_eq!(
        stream_a.iter().map(|e| (e.seq, e.body.stream_version)).collect::<Vec<_>>(),
        vec![(1, 1), (2, 2), (4, 3)]
    );
    assert_eq!(ledger.read_stream("s-a", 3, 100).unwrap().len(), 1);
    let by_id = ledger.event_by_id(&all[2].body.event_id).unwrap().unwrap();
    assert_eq!(by_id, all[2]);
    assert_eq!(ledger.head().seq, 4);
    assert_eq!(ledger.head().hash, all[3].hash);
    assert_eq!(ledger.read_range(3, 1).unwrap().len(), 1, "limit is honoured");
    assert!(ledger.read_range(5, 10).unwrap().is_empty());
}

#[test]
fn a_wrong_expected_version_names_the_current_one_and_writes_nothing() {
    let (_dir, ledger) = temp_ledger();
    let ids = ids("expected");
    ledger.append(request(&ids, "s", ExpectedVersion::NoStream, 3)).unwrap();
    let head = ledger.head();
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Exact(2), ExpectedVersion::Exact(4)] {
        match ledger.append(request(&ids, "s", expected, 1)) {
            Err(AppendError::WrongExpectedVersion { current, .. }) => assert_eq!(current, 3),
            other => panic!("expected a version rejection, got {other:?}"),
        }
    }
    let error = ledger.append(request(&ids, "s", ExpectedVersion::Exact(1), 1)).unwrap_err();
    assert_eq!(error.to_string(), "stream s is at version 3, expected 1");
    assert!(error.is_rejection());
    assert_eq!(ledger.head(), head);
    assert_eq!(ledger.read_range(1, 100).unwrap().len(), 3);
}

#[test]
fn bad_requests_are_refused_by_field_and_leave_the_ledger_unchanged() {
    let (_dir, ledger) = temp_ledger();
    let ids = ids("limits");
    ledger.append(request(&ids, "s", ExpectedVersion::Any, 1)).unwrap();
    let head = ledger.head();
    let mut too_big = request(&ids, "s", ExpectedVersion::Any, 1);
    too_big.events[0].data = serde_json::json!({"reason": "x".repeat(70_000)});
    let mut not_object = request(&ids, "s", ExpectedVersion::Any, 1);
    not_object.events[0].data = serde_json::json!([1, 2]);
    let mut bad_actor = request(&ids, "s", ExpectedVersion::Any, 1);
    bad_actor.actor.id = String::new();
    let mut reused_id = request(&ids, "s", ExpectedVersion::Any, 2);
    reused_id.events[1].event_id = reused_id.events[0].event_id;
    let cases = [
        (request(&ids, "bad stream!", ExpectedVersion::Any, 1), "stream"),
        (request(&ids, "", ExpectedVersion::Any, 1), "stream"),
        (request(&ids, "s", ExpectedVersion::Any, 0), "events"),
        (request(&ids, "s", ExpectedVersion::Any, 1_001), "events"),
        (too_big, "data"),
        (not_object, "data"),
        (bad_actor, "actor.id"),
    ];
    for (bad, field) in cases {
        match ledger.append(bad) {
            Err(AppendError::Invalid { field: named, .. }) => assert_eq!(named, field),
            other => panic!("expected a rejection naming {field}, got {other:?}"),
        }
    }
    assert!(matches!(ledger.append(reused_id), Err(AppendError::DuplicateEventId { .. })));
    let existing_id = ledger.read_range(1, 1).unwrap()[0].body.event_id;
    let mut duplicate = request(&ids, "t", ExpectedVersion::Any, 1);
    duplicate.events[0].event_id = existing_id;
    assert!(matches!(ledger.append(duplicate), Err(AppendError::DuplicateEventId { .. })));
    assert_eq!(ledger.head(), head, "no refused request wrote anything");
    assert_eq!(ledger.stream_version("t").unwrap(), 0);
}

#[test]
fn a_command_id_returns_the_original_result_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ids = ids("idempotency");
    let mut original = request(&ids, "s", ExpectedVersion::NoStream, 2);
    original.command_id = Some("cmd-1".into());
    let first = {
        let ledger = Ledger::open(dir.path()).unwrap();
        ledger.append(request(&ids, "other", ExpectedVersion::Any, 1)).unwrap();
        let first = ledger.append(original.clone()).unwrap();
        let again = ledger.append(original.clone()).unwrap();
        assert!(again.replayed);
        assert_eq!((again.first_seq, again.last_seq), (first.first_seq, first.last_seq));
        first
    };
    let ledger = Ledger::open(dir.path()).unwrap();
    let head = ledger.head();
    // A retry carries fresh event ids and a stale expected version; it is still the same command.
    let mut retry = original.clone();
    retry.events.iter_mut().for_each(|event| event.event_id = uuid::Uuid::now_v7());
    let replayed = ledger.append(retry).unwrap();
    assert_eq!((replayed.first_seq, replayed.last_seq, replayed.stream_version), (2, 3, 2));
    assert_eq!((first.first_seq, first.last_seq), (2, 3));
    assert!(replayed.replayed);
    assert_eq!(ledger.head(), head, "a replay appends nothing");
    let mut different = original;
    different.events[0].data = serde_json::json!({"points": 1});
    assert!(matches!(ledger.append(different), Err(AppendError::CommandIdConflict { .. })));
    assert_eq!(ledger.head(), head);
}

#[test]
fn eight_writers_on_one_stream_never_share_a_version() {
    let (_dir, ledger) = temp_ledger();
    let ledger = Arc::new(ledger);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                let ids = ids(&format!("writer {writer}"));
                let (mut accepted, mut rejected) = (0u64, 0u64);
                for _ in 0..1_000 {
                    let version = ledger.stream_version("contended").unwrap();
                    match ledger.append(request(&ids, "contended", ExpectedVersion::Exact(version), 1)) {
                        Ok(_) => accepted += 1,
                        Err(AppendError::WrongExpectedVersion { .. }) => rejected += 1,
                        Err(other) => panic!("unexpected failure: {other}"),
                    }
                }
                (accepted, rejected)
            })
        })
        .collect();
    let (accepted, rejected) =
        writers.into_iter().map(|w| w.join().unwrap()).fold((0, 0), |(a, r), (a2, r2)| (a + a2, r + r2));
    assert_eq!(accepted + rejected, 8_000);
    assert!(accepted >= 1_000, "at least one writer wins each round");
    let events = read_all(&ledger);
    assert_eq!(events.len() as u64, accepted);
    let versions: Vec<u64> = events.iter().map(|e| e.body.stream_version).collect();
    assert_eq!(versions, (1..=accepted).collect::<Vec<_>>(), "versions are unique and gapless");
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn eight_writers_on_their_own_streams_all_land_gaplessly() {
    let (_dir, ledger) = temp_ledger();
    let ledger = Arc::new(ledger);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                let ids = ids(&format!("own stream {writer}"));
                let stream = format!("writer-{writer}");
                for version in 0..1_000 {
                    ledger.append(request(&ids, &stream, ExpectedVersion::Exact(version), 1)).unwrap();
                }
            })
        })
        .collect();
    writers.into_iter().for_each(|w| w.join().unwrap());
    let events = read_all(&ledger);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=8_000).collect::<Vec<_>>());
    for writer in 0..8 {
        let stream = format!("writer-{writer}");
        let versions: Vec<_> =
            events.iter().filter(|e| e.body.stream == stream).map(|e| e.body.stream_version).collect();
        assert_eq!(versions, (1..=1_000).collect::<Vec<_>>());
    }
    let (stats, durability) = ledger.stats();
    let groups = stats.groups.load(std::sync::atomic::Ordering::Relaxed);
    assert!(groups < 8_000, "concurrent appends share group commits ({groups} groups for 8,000 appends)");
    assert!(durability.sync_calls.load(std::sync::atomic::Ordering::Relaxed) >= groups, "every group is fsynced");
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn recorded_times_never_decrease_along_the_chain() {
    let (_dir, ledger) = temp_ledger();
    let ids = ids("time");
    let mut late = request(&ids, "s", ExpectedVersion::Any, 1);
    late.recorded_at = support::at(20);
    let mut early = request(&ids, "s", ExpectedVersion::Any, 1);
    early.recorded_at = support::at(10);
    ledger.append(late).unwrap();
    ledger.append(early).unwrap();
    let events = read_all(&ledger);
    assert_eq!(events[1].body.recorded_at, support::at(20), "an earlier clock reading is raised to the head's time");
}

#[test]
fn export_then_import_gives_the_same_head_and_refuses_a_broken_chain() {
    let (dir, ledger) = temp_ledger();
    let ids = ids("export");
    for stream in 0..30 {
        let mut req = request(&ids, &format!("s-{}", stream % 7), ExpectedVersion::Any, 1 + stream % 3);
        req.command_id = Some(format!("cmd-{stream}"));
        ledger.append(req).unwrap();
    }
    let mut exported = Vec::new();
    let head = export::export(&ledger, &mut exported, &|_| {}).unwrap();
    assert_eq!(exported.iter().filter(|b| **b == b'\n').count() as u64, head.seq);

    let target = dir.path().join("imported");
    let imported = export::import(&target, &mut exported.as_slice(), &|_| Ok(()), &|_| {}).unwrap().commit().unwrap();
    assert_eq!(imported, head);
    // The signing key travels deliberately (the service's import writes it; see tests/import.rs).
    let key_file = kpi_ledger::store::signer::KEY_FILE;
    std::fs::copy(ledger.dir().join(key_file), target.join(key_file)).unwrap();
    let reopened = Ledger::open(&target).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(read_all(&reopened), read_all(&ledger));
    reopened.verify(&|_| {}).unwrap();
    // Idempotency records come along: a retried command is still recognised.
    let mut retry = request(&ids, "s-3", ExpectedVersion::Any, 1);
    retry.command_id = Some("cmd-3".into());
    retry
        .events
        .iter_mut()
        .zip(read_all(&ledger).iter().filter(|e| e.body.command_id.as_deref() == Some("cmd-3")))
        .for_each(|(event, stored)| event.data = stored.body.data.clone());
    assert!(reopened.append(retry).unwrap().replayed);

    let text = String::from_utf8(exported).unwrap();
    let tampered = text.replacen("\"points\":101", "\"points\":901", 1);
    assert_ne!(tampered, text);
    let broken_target = dir.path().join("broken");
    let error = export::import(&broken_target, &mut tampered.as_bytes(), &|_| Ok(()), &|_| {}).unwrap_err();
    assert!(error.to_string().starts_with("line "), "{error}");
    assert!(error.to_string().contains("hash is"), "{error}");
    assert!(!broken_target.exists(), "a refused import leaves nothing behind");
    let not_empty = export::import(&target, &mut text.as_bytes(), &|_| Ok(()), &|_| {}).unwrap_err();
    assert!(not_empty.to_string().contains("already holds data"));
}

/// The head hash of the fixed sample chain. If this fails, the encoding or hashing of events changed:
/// that breaks every existing ledger and every auditor's tool, so it needs a new format version.
#[test]
fn golden_head_of_the_sample_chain() {
    let (_dir, ledger) = temp_ledger();
    for request in sample_requests() {
        ledger.append(request).unwrap();
    }
    let head = ledger.head();
    assert_eq!(head.seq, 9);
    assert_eq!(head.hash.to_hex(), "aaf042f401e6f9f52fd3036ff035bf9f963c8229fb4fadd633258930121b9c09");
    let first = &ledger.read_range(1, 1).unwrap()[0];
    assert_eq!(first.hash.to_hex(), "2195c216282305b49c1e79dfed3fc304831bc34a9a0b7e49ad0d3e7c315b1443");
}

fn read_all(ledger: &Ledger) -> Vec<kpi_ledger::store::RecordedEvent> {
    let mut events = Vec::new();
    loop {
        let page = ledger.read_range(events.len() as u64 + 1, 1_000).unwrap();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}
