//! The store against real sled in temp dirs: sealed appends and their reads, the continuity check that
//! keeps the chain gapless, limits, atomic multi-append writes, export/import, and the golden head of
//! the sample chain. Sequencing, expected versions and idempotency are the service's (tests/service).

use kpi_ledger::chain::Head;
use kpi_ledger::store::{export, AppendError, Ledger, SealedAppend};
use kpi_testkit::chains;
use kpi_testkit::sample::sample_chain;

fn temp_ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    (dir, ledger)
}

fn append(ledger: &Ledger, stream: &str, first_version: u64, count: u64) -> kpi_ledger::store::Appended {
    let events = chains::events(ledger.head(), stream, first_version, count);
    ledger.append(SealedAppend { events, command: None }).unwrap()
}

fn body(ledger: &Ledger, seq: u64) -> serde_json::Value {
    serde_json::from_str(&ledger.event_at(seq).unwrap().unwrap().body).unwrap()
}

#[test]
fn appended_events_read_back_by_range_stream_and_id() {
    let (_dir, ledger) = temp_ledger();
    let first = append(&ledger, "s-a", 1, 2);
    let second = append(&ledger, "s-b", 1, 1);
    let third = append(&ledger, "s-a", 3, 1);
    assert_eq!((first.first_seq, first.last_seq, second.first_seq, third.first_seq), (1, 2, 3, 4));

    let all = ledger.read_range(1, 100).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(all[1].prev_hash, all[0].hash, "each event links to the one before");
    let stream_a = ledger.read_stream("s-a", 1, 100).unwrap();
    assert_eq!(stream_a.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 4]);
    assert_eq!(ledger.read_stream("s-a", 3, 100).unwrap().len(), 1);
    assert_eq!(ledger.stream_version("s-a").unwrap(), 3);
    let event_id: uuid::Uuid = body(&ledger, 3)["event_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(ledger.event_by_id(&event_id).unwrap().unwrap(), all[2]);
    assert!(ledger.contains_event(&event_id).unwrap());
    assert_eq!(ledger.head().seq, 4);
    assert_eq!(ledger.head().hash, all[3].hash);
    assert_eq!(ledger.read_range(3, 1).unwrap().len(), 1, "limit is honoured");
    assert!(ledger.read_range(5, 10).unwrap().is_empty());
}

#[test]
fn an_append_that_does_not_continue_the_chain_is_refused_and_writes_nothing() {
    let (_dir, ledger) = temp_ledger();
    append(&ledger, "s", 1, 3);
    let head = ledger.head();
    let stale = chains::events(Head::EMPTY, "s", 4, 1);
    let mut forged_link = chains::events(head, "s", 4, 1);
    forged_link[0].prev_hash = Head::EMPTY.hash;
    let skipping = chains::events(Head { seq: head.seq + 1, ..head }, "s", 4, 1);
    for events in [stale, forged_link, skipping] {
        match ledger.append(SealedAppend { events, command: None }) {
            Err(AppendError::Discontinuous { expected_seq, .. }) => assert_eq!(expected_seq, 4),
            other => panic!("expected a continuity refusal, got {other:?}"),
        }
    }
    assert_eq!(ledger.head(), head, "nothing was written");
    append(&ledger, "s", 4, 1);
}

#[test]
fn bad_appends_are_refused_by_field_and_leave_the_ledger_unchanged() {
    let (_dir, ledger) = temp_ledger();
    append(&ledger, "s", 1, 1);
    let head = ledger.head();
    let mut bad_stream = chains::events(head, "s", 2, 1);
    bad_stream[0].stream = "bad stream!".into();
    let cases = [
        (SealedAppend { events: Vec::new(), command: None }, "events"),
        (SealedAppend { events: chains::events(head, "s", 2, 1_001), command: None }, "events"),
        (SealedAppend { events: bad_stream, command: None }, "stream"),
    ];
    for (bad, field) in cases {
        match ledger.append(bad) {
            Err(AppendError::Invalid { field: named, .. }) => assert_eq!(named, field),
            other => panic!("expected a rejection naming {field}, got {other:?}"),
        }
    }
    assert_eq!(ledger.head(), head, "no refused append wrote anything");
}

#[test]
fn several_appends_written_together_land_all_or_none() {
    let (_dir, ledger) = temp_ledger();
    append(&ledger, "s", 1, 1);
    let head = ledger.head();
    let first = chains::events(head, "a", 1, 2);
    let second = chains::events(first[1].head(), "b", 1, 2);
    let broken = chains::events(Head::EMPTY, "c", 1, 1);
    let refused = ledger.submit_all(vec![
        SealedAppend { events: first.clone(), command: None },
        SealedAppend { events: second.clone(), command: None },
        SealedAppend { events: broken, command: None },
    ]);
    assert!(matches!(refused.unwrap().wait(), Err(AppendError::Discontinuous { .. })));
    assert_eq!(ledger.head(), head, "the two good appends were not written either");
    let written = ledger
        .submit_all(vec![SealedAppend { events: first, command: None }, SealedAppend { events: second, command: None }])
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(written.iter().map(|a| (a.first_seq, a.last_seq)).collect::<Vec<_>>(), vec![(2, 3), (4, 5)]);
}

#[test]
fn export_then_import_gives_the_same_head_and_refuses_a_broken_chain() {
    let (dir, ledger) = temp_ledger();
    for append in chains::appends(60, 7, 3) {
        ledger.append(append).unwrap();
    }
    let mut exported = Vec::new();
    let head = export::export(&ledger, &mut exported, &|_| {}).unwrap();
    assert_eq!(exported.iter().filter(|b| **b == b'\n').count() as u64, head.seq);

    let target = dir.path().join("imported");
    let imported =
        export::import(&target, &mut exported.as_slice(), &|_, _, _| Ok(()), &|_| {}).unwrap().commit().unwrap();
    assert_eq!(imported, head);
    // The signing key travels deliberately (the service's import writes it; see tests/import).
    let key_file = kpi_ledger::store::signer::KEY_FILE;
    std::fs::copy(ledger.dir().join(key_file), target.join(key_file)).unwrap();
    let reopened = Ledger::open(&target).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(reopened.read_range(1, 1_000).unwrap(), ledger.read_range(1, 1_000).unwrap());
    assert_eq!(reopened.stream_version("s-3").unwrap(), ledger.stream_version("s-3").unwrap());
    reopened.verify(&|_| {}).unwrap();

    let text = String::from_utf8(exported).unwrap();
    let tampered = text.replacen("\"n\":7,", "\"n\":700,", 1);
    assert_ne!(tampered, text);
    let broken_target = dir.path().join("broken");
    let error = export::import(&broken_target, &mut tampered.as_bytes(), &|_, _, _| Ok(()), &|_| {}).unwrap_err();
    assert!(error.to_string().starts_with("line 7:"), "{error}");
    assert!(error.to_string().contains("hash is"), "{error}");
    assert!(!broken_target.exists(), "a refused import leaves nothing behind");
    let not_empty = export::import(&target, &mut text.as_bytes(), &|_, _, _| Ok(()), &|_| {}).unwrap_err();
    assert!(not_empty.to_string().contains("already holds data"));
}

/// The head hash of the fixed sample chain. If this fails, the encoding or hashing of events changed:
/// that breaks every existing ledger and every auditor's tool, so it needs a new format version.
#[test]
fn golden_head_of_the_sample_chain() {
    let (_dir, ledger) = temp_ledger();
    for event in sample_chain() {
        ledger.append(SealedAppend { events: vec![event], command: None }).unwrap();
    }
    let head = ledger.head();
    assert_eq!(head.seq, 9);
    assert_eq!(head.hash.to_hex(), "aaf042f401e6f9f52fd3036ff035bf9f963c8229fb4fadd633258930121b9c09");
    let first = &ledger.read_range(1, 1).unwrap()[0];
    assert_eq!(first.hash.to_hex(), "2195c216282305b49c1e79dfed3fc304831bc34a9a0b7e49ad0d3e7c315b1443");
    ledger.verify(&|_| {}).unwrap();
}

/// Every record of a whole ledger as `for_each_decoded` hands it on: (seq, hash, body).
fn decoded_records(ledger: &Ledger) -> Vec<(u64, kpi_ledger::chain::Hash, Vec<u8>)> {
    let mut records = Vec::new();
    let decode = |seq: u64, record: kpi_ledger::chain::Record<'_>| {
        Ok::<_, kpi_ledger::store::StoreError>((seq, record.hash, record.body.to_vec()))
    };
    ledger
        .for_each_decoded(1, ledger.head().seq, decode, |record| {
            records.push(record);
            Ok(())
        })
        .unwrap();
    records
}

/// Every record as sled's index holds it.
fn indexed_records(ledger: &Ledger) -> Vec<(u64, kpi_ledger::chain::Hash, Vec<u8>)> {
    let mut records = Vec::new();
    ledger
        .for_each_record(1, ledger.head().seq, |seq, record| {
            records.push((seq, record.hash, record.body.to_vec()));
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    records
}

/// A whole ledger is folded from the record copy, which gives what the index holds. Where the copy
/// cannot be trusted, reading stops there and the rest comes from sled: a frame rewritten with a
/// changed body and a recomputed frame check (only the record's own hash shows it), and a run of
/// frames forged and re-chained consistently — every hash recomputed, so only the index's hash at
/// the run's end shows it.
#[test]
fn a_whole_ledger_read_from_its_record_copy_is_the_indexed_chain_even_when_the_copy_is_forged() {
    for rechain in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let expected = {
            let ledger = Ledger::open(dir.path()).unwrap();
            for append in chains::appends(6_000, 4, 50) {
                ledger.submit(append).unwrap().wait().unwrap();
            }
            let indexed = indexed_records(&ledger);
            assert_eq!(indexed.len(), 6_000);
            assert!(decoded_records(&ledger) == indexed, "an intact copy gives what the index holds");
            indexed
        };
        let forged_run = if rechain { 3_001..=3_400 } else { 3_001..=3_001 };
        forge_copy(dir.path(), forged_run, rechain);
        let ledger = Ledger::open(dir.path()).unwrap();
        assert!(
            decoded_records(&ledger) == expected,
            "no forged record is handed on (re-chained: {rechain}); sled gives them as stored"
        );
    }
}

/// Ranges that start inside the ledger (an as-of read folds the events after a checkpoint) are read
/// from the record copy too, from the nearest frame whose place is known — noted by the committer as
/// it writes, and by every read as it passes — or from the first frame on a ledger just opened; each
/// gives exactly the index's records, and a forged frame inside one is never handed on.
#[test]
fn a_range_inside_the_ledger_is_read_from_the_record_copy_as_the_index_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    use std::sync::atomic::Ordering::Relaxed;
    // The records, how many came from the copy, and how many frames were passed over to the first.
    let read_range = |ledger: &Ledger, from: u64, to: u64| {
        let stats = ledger.stats().0;
        let (before, skipped_before) =
            (stats.events_read_from_copy.load(Relaxed), stats.copy_frames_skipped.load(Relaxed));
        let mut records = Vec::new();
        let decode = |seq: u64, record: kpi_ledger::chain::Record<'_>| {
            Ok::<_, kpi_ledger::store::StoreError>((seq, record.hash, record.body.to_vec()))
        };
        ledger
            .for_each_decoded(from, to, decode, |record| {
                records.push(record);
                Ok(())
            })
            .unwrap();
        let from_copy = stats.events_read_from_copy.load(Relaxed) - before;
        (records, from_copy, stats.copy_frames_skipped.load(Relaxed) - skipped_before)
    };
    let ranges = [(257, 320), (1_000, 3_100), (4_097, 4_160), (5_937, 6_000), (2, 6_000)];
    let indexed = {
        let ledger = Ledger::open(dir.path()).unwrap();
        for append in chains::appends(6_000, 4, 50) {
            ledger.submit(append).unwrap().wait().unwrap();
        }
        let indexed = indexed_records(&ledger);
        for (from, to) in ranges {
            let (records, from_copy, skipped) = read_range(&ledger, from, to);
            assert!(records == indexed[from as usize - 1..to as usize], "{from}..={to} as the index holds it");
            assert_eq!(from_copy, to - from + 1, "{from}..={to} came from the copy");
            assert_eq!(skipped, (from - 1) % 256, "{from}..={to} read from the place the committer noted before it");
        }
        // Shorter ranges (the follower's few new events) are read from sled's cache.
        assert_eq!(read_range(&ledger, 100, 110).1, 0);
        indexed
    };
    // Reopened, nothing is known of the copy until a read passes over it: a range far from the first
    // frame comes from sled, a read from the first frame notes the places it passes (up to where it
    // stops), and ranges after them come from the copy.
    let ledger = Ledger::open(dir.path()).unwrap();
    let (records, from_copy, _) = read_range(&ledger, 5_000, 5_100);
    assert!(records == indexed[4_999..5_100] && from_copy == 0, "far from any place known: from sled");
    assert_eq!(read_range(&ledger, 1, 3_000).1, 3_000);
    assert_eq!(read_range(&ledger, 3_500, 3_600).2, 3_500 - 2_817, "from the last place the first read passed");
    for (from, to) in ranges.into_iter().rev() {
        let (records, from_copy, skipped) = read_range(&ledger, from, to);
        assert!(records == indexed[from as usize - 1..to as usize], "{from}..={to} after a reopen");
        assert_eq!(from_copy, to - from + 1, "{from}..={to} after a reopen came from the copy");
        assert_eq!(skipped, (from - 1) % 256, "{from}..={to} after a reopen, from a place the first read noted");
    }
    drop(ledger);
    forge_copy(dir.path(), 3_001..=3_001, false);
    let ledger = Ledger::open(dir.path()).unwrap();
    let (records, from_copy, _) = read_range(&ledger, 2_900, 3_100);
    assert!(records == indexed[2_899..3_100], "the forged frame is not handed on");
    assert!(from_copy < 201, "reading the copy stopped before the forged frame");
}

/// Rewrites the frames of `run` in the record copy with "半年工作报告" changed to "全年工作报告" in
/// the first one's body and fresh frame checks; with `rechain`, every record of the run is also
/// re-sealed, so the run hashes and links as a chain of its own.
fn forge_copy(dir: &std::path::Path, run: std::ops::RangeInclusive<u64>, rechain: bool) {
    use kpi_ledger::chain::Record;
    use kpi_ledger::store::segment::{self, FrameReader, FILE_HEADER};
    use std::io::{Seek, SeekFrom, Write};

    let mut reader = FrameReader::open(dir, FILE_HEADER.len() as u64).unwrap();
    let frames: Vec<_> =
        std::iter::from_fn(|| reader.next_frame().unwrap().ok()).filter(|frame| run.contains(&frame.seq)).collect();
    let mut bytes = Vec::new();
    let mut prev_hash = Record::decode(&frames[0].record).unwrap().prev_hash;
    for frame in &frames {
        let record = Record::decode(&frame.record).unwrap();
        let mut body = record.body.to_vec();
        if frame.seq == *run.start() {
            let changed = String::from_utf8(body).unwrap().replacen("半年工作报告", "全年工作报告", 1);
            assert_eq!(changed.len(), record.body.len());
            body = changed.into_bytes();
        }
        let forged = if rechain {
            Record::seal(prev_hash, frame.seq, &body)
        } else {
            Record { prev_hash: record.prev_hash, hash: record.hash, body: &body }
        };
        prev_hash = forged.hash;
        segment::encode_frame(frame.seq, &forged.encode(), &mut bytes);
    }
    let mut file = std::fs::File::options().write(true).open(segment::path(dir)).unwrap();
    file.seek(SeekFrom::Start(frames[0].start)).unwrap();
    file.write_all(&bytes).unwrap();
}
