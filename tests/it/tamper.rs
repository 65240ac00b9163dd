//! Tampering with stored bytes, made by opening the sled tree directly: verification must name the
//! exact sequence number every time, and must never repair anything (issue 2).

use crate::support;

use kpi_ledger::store::raw::{self, event_key, TREE_NAME};
use kpi_ledger::store::{ChainFault, Head, Ledger};

/// SplitMix64: a fixed-seed generator, so a failing round reproduces exactly.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

const EVENTS: u64 = 120;

/// A closed ledger of `EVENTS` events on several streams, opened again as a raw sled tree.
fn tampering_bench() -> (tempfile::TempDir, sled::Db, sled::Tree, Head) {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = support::synthetic_ledger(dir.path(), EVENTS);
        assert_eq!(ledger.head().seq, EVENTS);
    }
    let db = support::open_sled_directly(dir.path());
    let tree = db.open_tree(TREE_NAME).unwrap();
    let head = raw::read_head(&tree).unwrap();
    (dir, db, tree, head)
}

#[test]
fn every_single_byte_change_is_found_at_its_sequence_number() {
    let (_dir, _db, tree, _) = tampering_bench();
    raw::verify_tree(&tree).expect("the untouched chain verifies");
    let mut rng = SplitMix(0x2017_0711);
    for round in 0..1_000 {
        let seq = 1 + rng.next_u64() % EVENTS;
        let key = event_key(seq);
        let original = tree.get(key).unwrap().unwrap();
        let mut changed = original.to_vec();
        let offset = (rng.next_u64() % changed.len() as u64) as usize;
        let flip = 1 + (rng.next_u64() % 255) as u8;
        changed[offset] ^= flip;
        tree.insert(key, changed).unwrap();
        let failure = raw::verify_tree(&tree).expect_err("a changed byte is always detected");
        assert_eq!(failure.seq, seq, "round {round}: byte {offset} of event {seq} changed, reported {failure}");
        tree.insert(key, original).unwrap();
    }
    raw::verify_tree(&tree).expect("restored chain verifies again: nothing was repaired behind our back");
}

#[test]
fn a_removed_event_is_a_gap_and_a_removed_last_event_is_missing() {
    let (_dir, _db, tree, _) = tampering_bench();
    let removed = tree.remove(event_key(40)).unwrap().unwrap();
    let failure = raw::verify_tree(&tree).unwrap_err();
    assert_eq!(failure.seq, 40);
    assert_eq!(failure.fault, ChainFault::Gap { found_seq: 41 });
    tree.insert(event_key(40), removed).unwrap();

    tree.remove(event_key(EVENTS)).unwrap();
    let failure = raw::verify_tree(&tree).unwrap_err();
    assert_eq!(failure.seq, EVENTS);
    assert_eq!(failure.fault, ChainFault::Missing { head_seq: EVENTS });
}

#[test]
fn two_swapped_events_break_the_link_at_the_first() {
    let (_dir, _db, tree, _) = tampering_bench();
    let a = tree.get(event_key(17)).unwrap().unwrap();
    let b = tree.get(event_key(18)).unwrap().unwrap();
    tree.insert(event_key(17), b).unwrap();
    tree.insert(event_key(18), a).unwrap();
    let failure = raw::verify_tree(&tree).unwrap_err();
    assert_eq!(failure.seq, 17);
    assert!(matches!(failure.fault, ChainFault::BrokenLink { .. }), "{failure}");
}

#[test]
fn a_consistently_truncated_tail_is_caught_against_a_saved_head() {
    let (dir, db, tree, saved) = tampering_bench();
    // The forger removes the last ten events from both copies and rewrites the head record to match:
    // the chain alone is consistent again, so only a head saved earlier (by an auditor) can reveal it.
    for seq in EVENTS - 9..=EVENTS {
        tree.remove(event_key(seq)).unwrap();
    }
    let last = tree.get(event_key(EVENTS - 10)).unwrap().unwrap();
    let hash = kpi_ledger::chain::Record::decode(&last).unwrap().hash;
    let copy = kpi_ledger::store::segment::path(dir.path());
    let header = kpi_ledger::store::segment::FILE_HEADER.len() as u64;
    let mut frames = kpi_ledger::store::segment::FrameReader::open(dir.path(), header).unwrap();
    let kept = std::iter::from_fn(|| frames.next_frame().unwrap().ok()).find(|frame| frame.seq == EVENTS - 10).unwrap();
    std::fs::File::options().write(true).open(&copy).unwrap().set_len(kept.end).unwrap();
    let mark = raw::SegmentMark { group_start: kept.start, end: kept.end };
    tree.insert(raw::HEAD_KEY, &raw::encode_head_marked(EVENTS - 10, &hash, saved.recorded_at, mark)[..]).unwrap();
    raw::verify_tree(&tree).expect("without a saved head the shortened chain looks whole");
    db.flush().unwrap();
    drop((tree, db));

    let ledger = Ledger::open(dir.path()).unwrap();
    let failure = ledger.verify_against(saved, &|_| {}).unwrap_err();
    assert_eq!(failure.seq, EVENTS - 9);
    assert_eq!(failure.fault, ChainFault::Truncated { saved_seq: EVENTS });
}

#[test]
fn opening_a_ledger_with_a_tampered_tail_is_refused() {
    let (dir, db, tree, _) = tampering_bench();
    let key = event_key(EVENTS - 1);
    let mut changed = tree.get(key).unwrap().unwrap().to_vec();
    let last = changed.len() - 2;
    changed[last] ^= 0x20;
    tree.insert(key, changed).unwrap();
    db.flush().unwrap();
    drop((tree, db));
    let error = Ledger::open(dir.path()).err().expect("open re-verifies the newest events");
    assert!(error.to_string().contains(&format!("event {}", EVENTS - 1)), "{error}");
}

#[test]
fn the_verify_command_exits_non_zero_and_names_the_event() {
    let (dir, db, tree, _) = tampering_bench();
    let key = event_key(5);
    let mut changed = tree.get(key).unwrap().unwrap().to_vec();
    changed[80] ^= 1;
    tree.insert(key, changed).unwrap();
    db.flush().unwrap();
    drop((tree, db));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kpi-ledger"))
        .args(["verify", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chain broken at event 5: hash mismatch"), "{stderr}");
}
