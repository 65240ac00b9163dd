//! The projection's input from a real ledger: the story's sealed events appended to a
//! `store::Ledger` (real sled in a temp dir) read back through the one decoder equal the events as
//! sealed — hashes included — so a trace's cited hashes are the ledger's, and the projection of the
//! stored chain equals the projection of the sealed one.
//!
//! Invariant guarded: the store writes exactly what was sealed; the decoder loses nothing.

use kpi_ledger::chain::{decode, Record};
use kpi_ledger::projection::{Projection, Recorded, Snapshot};
use kpi_ledger::store::{Ledger, SealedAppend};
use kpi_testkit::generator::run_story;

fn read_all(ledger: &Ledger) -> Vec<Recorded> {
    let mut events = Vec::new();
    let decoder = |seq: u64, record: Record<'_>| {
        decode(seq, &record).map_err(|e| kpi_ledger::store::StoreError::Corrupt(e.to_string()))
    };
    ledger
        .for_each_decoded(1, ledger.head().seq, decoder, |recorded| {
            events.push(recorded);
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    events
}

#[test]
fn the_stored_chain_is_the_sealed_chain() {
    let history = run_story(&kpi_testkit::story::year::year_story()).unwrap();
    let sealed = history.recorded();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let pending: Vec<_> = history
        .events
        .iter()
        .map(|event| ledger.submit(SealedAppend { events: vec![event.sealed.clone()], command: None }).unwrap())
        .collect();
    for append in pending {
        append.wait().unwrap();
    }
    let stored = read_all(&ledger);
    assert_eq!(stored.len(), sealed.len());
    assert!(stored == sealed, "the store writes exactly what was sealed, and the decoder loses nothing");
    assert_eq!(ledger.head().hash, sealed.last().unwrap().hash);

    // A snapshot is checked against the ledger's own hash at its position before use.
    let middle = stored.len() / 2;
    let snapshot = Snapshot::of(&Projection::fold(&stored[..middle]).unwrap());
    let at_middle = ledger.event_at(middle as u64).unwrap().unwrap().hash;
    let mut resumed = snapshot.verified(middle as u64, at_middle).unwrap();
    resumed.apply_all(&stored[middle..]).unwrap();
    assert!(resumed == Projection::fold(&sealed).unwrap());
}
