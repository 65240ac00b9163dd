//! The projection's input from a real ledger: the generator's events appended through
//! `store::Ledger` (real sled in a temp dir) read back, decoded with `projection::from_store`, equal
//! the events `generator::seal` chained in memory — hashes included — so a trace's cited hashes are
//! the ledger's, and the projection of the stored chain equals the projection of the generated one.
//!
//! Invariant guarded: `seal` chains exactly as the store does; `from_store` loses nothing.

#[path = "common/projection_fixture.rs"]
mod projection_fixture;

use kpi_ledger::projection::generator::{seal, GeneratedEvent};
use kpi_ledger::projection::{from_store, Projection, Recorded, Snapshot};
use kpi_ledger::store::Ledger;

fn read_all(ledger: &Ledger) -> Vec<Recorded> {
    let mut events = Vec::new();
    loop {
        let page = ledger.read_range(events.len() as u64 + 1, 1_000).unwrap();
        if page.is_empty() {
            return events;
        }
        events.extend(page.iter().map(|stored| from_store(stored).unwrap()));
    }
}

#[test]
fn the_stored_chain_is_the_sealed_chain() {
    let sealed = projection_fixture::extended_events();
    let generated: Vec<GeneratedEvent> = sealed
        .iter()
        .map(|recorded| GeneratedEvent {
            stream: recorded.event.stream_id(),
            event_id: recorded.event_id,
            recorded_at: recorded.recorded_at,
            actor: recorded.actor.clone(),
            event: recorded.event.clone(),
        })
        .collect();
    assert_eq!(seal(&generated), sealed);

    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let pending: Vec<_> =
        generated.iter().map(|event| ledger.submit(kpi_ledger::service::append_request_for(event)).unwrap()).collect();
    for append in pending {
        append.wait().unwrap();
    }
    let stored = read_all(&ledger);
    assert_eq!(stored.len(), sealed.len());
    assert_eq!(stored, sealed, "the store chains exactly as `seal` does");
    assert_eq!(ledger.head().hash, sealed.last().unwrap().hash);

    // A snapshot is checked against the ledger's own hash at its position before use.
    let middle = stored.len() / 2;
    let snapshot = Snapshot::of(&Projection::fold(&stored[..middle]).unwrap());
    let at_middle = ledger.event_at(middle as u64).unwrap().unwrap().hash;
    let mut resumed = snapshot.verified(middle as u64, at_middle).unwrap();
    resumed.apply_all(&stored[middle..]).unwrap();
    assert_eq!(resumed, Projection::fold(&sealed).unwrap());
}
