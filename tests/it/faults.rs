//! Fault injection (issue 13): bit flips and truncations at the start, the end and sampled points of
//! every file sled and the ledger write, and torn last groups of the record copy, each on a fresh copy
//! of a closed ledger. Every one must end with every acknowledged event: the ledger opens with them
//! all, or refuses with one clear line and `recover` brings them back. `tools/faults` runs the long
//! campaign (more samples, and SIGKILLed ledgers).

use axum::http::StatusCode;
use kpi_testkit::faults::{self, Injection, Outcome};

#[test]
fn no_single_fault_in_any_file_loses_or_forks_an_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    let acknowledged = faults::build_ledger(&pristine, 40, 4);
    assert_eq!(acknowledged.seq, 160);
    let files = faults::ledger_files(&pristine);
    assert!(files.iter().any(|file| file.ends_with("records.kpi")) && files.iter().any(|file| file.ends_with("db")));

    let tally = faults::campaign(&pristine, &dir.path().join("scratch"), acknowledged.into(), 8, 0x2017_0711);
    eprintln!("fault injection: {} injections over {} files: {:?}", tally.injections(), files.len(), tally.outcomes);
    assert!(tally.failures.is_empty(), "{:#?}", tally.failures);
    assert!(tally.injections() >= 8 * files.len() as u64);
    // The campaign reached every way out: plain opens, refusals that recover repaired, and damage
    // that only the full verification sees.
    assert!(tally.outcomes.get(&Outcome::RefusedThenRecovered).copied().unwrap_or(0) > 0, "{:?}", tally.outcomes);
    assert!(tally.outcomes.get(&Outcome::OpenedIntact).copied().unwrap_or(0) > 0, "{:?}", tally.outcomes);
}

#[test]
fn an_index_that_lost_its_tail_is_rolled_forward_from_the_record_copy() {
    // The failure issue 13 found: sled drops a damaged log tail and comes back at a lower head. Here
    // the index is cut back to an earlier state by restoring an old copy of sled's files beside the
    // newer record copy, exactly what sled's own truncation leaves.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let early = faults::build_ledger(&data, 10, 3);
    let old_index = dir.path().join("old-index");
    faults::copy_dir(&data, &old_index);
    let ledger = kpi_ledger::store::Ledger::open(&data).unwrap();
    for _ in 0..5 {
        crate::support::append_synthetic(&ledger, "later", 2);
    }
    let acknowledged = ledger.head();
    ledger.close();
    drop(ledger);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("snap.") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for name in ["db", "conf"] {
        std::fs::copy(old_index.join(name), data.join(name)).unwrap();
    }
    for entry in std::fs::read_dir(&old_index).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_string_lossy().starts_with("snap.") {
            std::fs::copy(old_index.join(&name), data.join(&name)).unwrap();
        }
    }
    let reopened = kpi_ledger::store::Ledger::open(&data).unwrap();
    assert!(early.seq < acknowledged.seq);
    assert_eq!(reopened.head(), acknowledged, "rolled forward to every acknowledged event");
    reopened.verify(&|_| {}).unwrap();
    let next = kpi_testkit::chains::events(reopened.head(), "after", 1, 1);
    let appended = reopened.append(kpi_ledger::store::SealedAppend { events: next, command: None }).unwrap();
    assert_eq!(appended.first_seq, acknowledged.seq + 1, "no sequence number is used twice");
}

#[test]
fn a_group_cut_short_after_whole_frames_is_set_aside_and_never_half_applied() {
    // The failure the crash test caught: a process killed while it wrote a group of three events to
    // the record copy left two whole frames, and opening rolled them in, half an atomic batch.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let acknowledged = faults::build_ledger(&data, 5, 3);
    let group = faults::next_group_frames(acknowledged, 3);
    let two_whole = faults::whole_frames_len(&group, 2);
    let pristine = dir.path().join("pristine");
    faults::copy_dir(&data, &pristine);
    let torn = Injection::TornGroup { frames: group.clone(), bytes: two_whole, after: acknowledged.seq, events: 3 };

    torn.apply(&data);
    let copy_len = std::fs::metadata(kpi_ledger::store::segment::path(&data)).unwrap().len();
    let ledger = kpi_ledger::store::Ledger::open(&data).unwrap();
    assert_eq!(ledger.head(), acknowledged, "neither of the two whole frames is taken");
    ledger.verify(&|_| {}).unwrap();
    drop(ledger);
    let aside = data.join(format!("records.kpi.torn-at-{}", copy_len - two_whole as u64));
    assert_eq!(std::fs::read(aside).unwrap(), group[..two_whole], "the cut group is kept beside the ledger");

    // recover, too, takes no part of it.
    let scratch = dir.path().join("scratch");
    faults::copy_dir(&pristine, &scratch);
    torn.apply(&scratch);
    let recovered = kpi_ledger::store::recovery::recover(&scratch, false, &|_| {}).unwrap();
    assert_eq!(recovered.head, acknowledged);

    // The whole group, its end marked, is a durable group whose answer was lost: it is rolled in whole.
    let whole = dir.path().join("whole");
    faults::copy_dir(&pristine, &whole);
    Injection::TornGroup { frames: group.clone(), bytes: group.len(), after: acknowledged.seq, events: 3 }
        .apply(&whole);
    let ledger = kpi_ledger::store::Ledger::open(&whole).unwrap();
    assert_eq!(ledger.head().seq, acknowledged.seq + 3);
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn a_copy_written_before_groups_were_marked_rolls_whole_frames_until_a_group_end_follows() {
    use kpi_ledger::store::segment;
    use std::io::{Seek, SeekFrom, Write};
    // A copy whose last acknowledged frame is a `KR` frame, as every frame was before group ends were
    // marked: the frame is written again unmarked (same length, the check of an unmarked frame).
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("legacy");
    let acknowledged = faults::build_ledger(&legacy, 4, 3);
    let copy = segment::path(&legacy);
    let len = std::fs::metadata(&copy).unwrap().len();
    let last = segment::frame_ending_at(&legacy, len).unwrap().unwrap();
    assert!(last.ends_group);
    let mut unmarked = Vec::new();
    segment::encode_frame(last.seq, &last.record, &mut unmarked);
    let mut file = std::fs::File::options().write(true).open(&copy).unwrap();
    file.seek(SeekFrom::Start(last.start)).unwrap();
    file.write_all(&unmarked).unwrap();
    drop(file);
    let pristine = dir.path().join("pristine");
    faults::copy_dir(&legacy, &pristine);
    let frames_of = |events: &[kpi_ledger::chain::Sealed], close: bool| {
        let mut frames = Vec::new();
        for event in events {
            segment::encode_frame(event.seq, &event.record, &mut frames);
        }
        if close {
            segment::close_group(&mut frames);
        }
        frames
    };
    let whole_group = kpi_testkit::chains::events(acknowledged, "later-a", 1, 3);
    let cut_group = kpi_testkit::chains::events(whole_group[2].head(), "later-b", 1, 3);
    let append = |dir: &std::path::Path, bytes: &[u8]| {
        std::fs::File::options().append(true).open(segment::path(dir)).unwrap().write_all(bytes).unwrap();
    };

    // Whole frames alone after it: the old rule, each whole frame a group.
    append(&legacy, &frames_of(&whole_group[..2], false));
    let ledger = kpi_ledger::store::Ledger::open(&legacy).unwrap();
    assert_eq!(ledger.head().seq, acknowledged.seq + 2);
    drop(ledger);

    // A marked group after it says the process that wrote the tail marked its groups: the whole
    // group is rolled in, the two frames of the cut one after it are set aside.
    let marked = dir.path().join("marked");
    faults::copy_dir(&pristine, &marked);
    append(&marked, &frames_of(&whole_group, true));
    append(&marked, &frames_of(&cut_group[..2], false));
    let ledger = kpi_ledger::store::Ledger::open(&marked).unwrap();
    assert_eq!(ledger.head(), whole_group[2].head());
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn a_refusal_names_what_is_missing_and_recover_keeps_what_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let acknowledged = faults::build_ledger(&data, 6, 2);
    let copy = kpi_ledger::store::segment::path(&data);
    let len = std::fs::metadata(&copy).unwrap().len();
    Injection::Truncate { file: "records.kpi".into(), len: len - 10 }.apply(&data);
    let error = kpi_ledger::store::Ledger::open(&data).map(drop).unwrap_err().to_string();
    assert!(error.contains("records.kpi ends at byte") && error.contains("kpi-ledger recover"), "{error}");
    assert!(!error.contains('\n'), "one line: {error}");

    let recovered = kpi_ledger::store::recovery::recover(&data, false, &|_| {}).unwrap();
    assert_eq!(recovered.head, acknowledged);
    // The copy's last group is cut; none of it is taken from the copy, all of it from the index.
    assert_eq!(recovered.from_index_only, 2, "the cut group of two events came from the index");
    let kept = std::fs::metadata(recovered.set_aside.join("records.kpi")).unwrap().len();
    assert_eq!(kept, len - 10, "the damaged copy is kept, not deleted");
    let ledger = kpi_ledger::store::Ledger::open(&data).unwrap();
    assert_eq!(ledger.head(), acknowledged);
    ledger.verify(&|_| {}).unwrap();
}

#[test]
fn recover_refuses_when_both_copies_lost_the_same_events_unless_told_to_accept_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let early = faults::build_ledger(&data, 4, 2);
    let old = dir.path().join("old");
    faults::copy_dir(&data, &old);
    let ledger = kpi_ledger::store::Ledger::open(&data).unwrap();
    crate::support::append_synthetic(&ledger, "later", 3);
    let acknowledged = ledger.head();
    ledger.close();
    drop(ledger);
    // Both copies cut back to the old state, but the index still claims the newer head.
    std::fs::copy(old.join("records.kpi"), data.join("records.kpi")).unwrap();
    let db = crate::support::open_sled_directly(&data);
    let tree = db.open_tree(kpi_ledger::store::raw::TREE_NAME).unwrap();
    for seq in early.seq + 1..=acknowledged.seq {
        tree.remove(kpi_ledger::store::raw::event_key(seq)).unwrap();
    }
    db.flush().unwrap();
    drop(tree);
    drop(db);

    let refused = kpi_ledger::store::recovery::recover(&data, false, &|_| {}).unwrap_err().to_string();
    assert!(
        refused.contains(&format!("both copies lost events {} to {}", early.seq + 1, acknowledged.seq)),
        "{refused}"
    );
    assert!(refused.contains("--accept-loss"), "{refused}");
    let accepted = kpi_ledger::store::recovery::recover(&data, true, &|_| {}).unwrap();
    assert_eq!((accepted.head, accepted.claimed_seq), (early, acknowledged.seq));
}

#[test]
fn a_deleted_sled_conf_leaves_a_ledger_that_open_and_verify_both_see() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let acknowledged = faults::build_ledger(&data, 5, 2);
    std::fs::remove_file(data.join("conf")).unwrap();
    let settings = kpi_ledger::service::admin::LedgerSettings::new(&data);
    assert!(settings.holds_ledger(), "a ledger without sled's conf is still a ledger");
    let records = settings.open_to_read(kpi_ledger::service::records::TailCheck::Skip).unwrap();
    assert_eq!(records.head(), acknowledged);
    records.verify(None, &|_| {}).unwrap();
}

/// Mounts `from` read-only at `at` (a bind mount); `false` where this process may not mount.
fn mount_read_only(from: &std::path::Path, at: &std::path::Path) -> bool {
    let mount =
        |args: &[&str]| std::process::Command::new("mount").args(args).output().is_ok_and(|out| out.status.success());
    let (from, at) = (from.to_str().unwrap(), at.to_str().unwrap());
    mount(&["--bind", from, at])
        && (mount(&["-o", "remount,bind,ro", at]) || {
            let _ = std::process::Command::new("umount").arg(at).status();
            false
        })
}

#[test]
fn a_copy_on_read_only_media_verifies_from_its_record_copy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let acknowledged = faults::build_ledger(&data, 5, 2);
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    if !mount_read_only(&data, &media) {
        eprintln!("SKIPPED a_copy_on_read_only_media_verifies_from_its_record_copy: this process cannot bind-mount");
        return;
    }
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_kpi-ledger"))
        .args(["verify", "--data", media.to_str().unwrap()])
        .env_remove("KPI_LEDGER_DATA")
        .output()
        .unwrap();
    let _ = std::process::Command::new("umount").arg(&media).status();
    let (stdout, stderr) = (String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    assert!(verify.status.success(), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "{} events verified, head {}:{}",
            acknowledged.seq, acknowledged.seq, acknowledged.hash
        )),
        "{stdout}"
    );
    assert!(stderr.contains("read-only copy"), "{stderr}");
}

/// Mounts a tmpfs of `megabytes` at `at`; `false` where this process may not mount.
fn mount_small_disk(at: &std::path::Path, megabytes: u32) -> bool {
    std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs", at.to_str().unwrap()])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Fills the file system holding `dir` to the last byte (blocks of 64 KiB, then smaller ones down
/// to single bytes, until each size fails with "no space left"); returns the filler.
fn fill_disk(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    for size in [1 << 16, 1 << 12, 1 << 8, 1] {
        let block = vec![0u8; size];
        loop {
            match file.write(&block).and_then(|written| file.sync_data().map(|()| written)) {
                Ok(written) if written == size => {}
                Ok(_) => break,
                Err(error) if error.raw_os_error() == Some(28) => break,
                Err(error) => panic!("filling the disk: {error}"),
            }
        }
    }
    path
}

#[tokio::test]
async fn on_a_full_disk_commands_answer_503_and_reads_keep_answering() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    if !mount_small_disk(&disk, 64) {
        eprintln!(
            "SKIPPED on_a_full_disk_commands_answer_503_and_reads_keep_answering: this process cannot mount a tmpfs"
        );
        return;
    }
    let data = disk.join("ledger");
    let outcome = std::panic::AssertUnwindSafe(async {
        let api = std::thread::spawn({
            let data = data.clone();
            move || crate::http_api::Api::at(tempfile::tempdir().unwrap(), &data)
        })
        .join()
        .unwrap();
        let (status, before) = api.get("office@YS07", "/v1/rankings?unit=YS07&period=2017-06").await;
        assert_eq!(status, StatusCode::OK, "{before}");
        let filler = fill_disk(&disk);
        // The files' last pages may still take a few records: write until the disk refuses one.
        let mut acknowledged = api.head();
        let mut refused = None;
        for attempt in 0..2_000 {
            let payload = serde_json::json!({
                "scheme": "YS-2017", "period": "2017-07", "unit": "YS07", "indicator": "ZG-04", "points": 25,
                "reason": format!("late filing, case {attempt}: {}", "x".repeat(400)),
                "problem_category": "document_filing"
            });
            let (status, content_type, body) = api.post("assessor", "/v1/deductions", &payload).await;
            match status {
                StatusCode::CREATED => acknowledged = body["last_seq"].as_u64().unwrap(),
                _ => {
                    refused = Some((status, content_type, body));
                    break;
                }
            }
        }
        let (status, content_type, problem) = refused.expect("a full disk refuses a command");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
        assert_eq!(content_type, "application/problem+json");
        assert!(problem["detail"].as_str().unwrap().contains("restart the server"), "a way out: {problem}");
        assert_eq!(api.head(), acknowledged, "the refused command left nothing behind");
        // Reads answer as before, including ones computed afresh (another period, a roll-up).
        for path in [
            "/v1/rankings?unit=YS07&period=2017-06",
            "/v1/rankings?unit=YS07&period=2017-Q2",
            "/v1/scoreboard?unit=YS07&period=2017-05",
            "/v1/traces?unit=YS07&period=2017-07&provisional=true",
            "/v1/head",
        ] {
            let (status, body) = api.get("office@YS07", path).await;
            assert_eq!(status, StatusCode::OK, "{path} on a full disk: {body}");
        }
        let (_, after) = api.get("office@YS07", "/v1/rankings?unit=YS07&period=2017-06").await;
        assert_eq!(after["standings"], before["standings"]);
        let (status, _, _) = api.post("assessor", "/v1/deductions", &serde_json::json!({})).await;
        assert!(status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE, "{status}");
        drop(api);
        // With room again, the ledger opens with every acknowledged event.
        std::fs::remove_file(filler).unwrap();
        let ledger = kpi_ledger::store::Ledger::open(&data).unwrap();
        assert_eq!(ledger.head().seq, acknowledged, "every acknowledged event, nothing more");
        ledger.close();
    });
    let result = futures_util::FutureExt::catch_unwind(outcome).await;
    let _ = std::process::Command::new("umount").arg(&disk).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
