//! The year-long story (`domain::fixture_year`) chained as the store would, for the
//! projection tests.
#![allow(dead_code)]

use kpi_ledger::chain;
use kpi_ledger::domain::fixture::{self, Step};
use kpi_ledger::projection::generator::{seal, GeneratedEvent};
use kpi_ledger::projection::Recorded;

pub use kpi_ledger::domain::fixture_year::year_story as extended_story;

/// Decides and chains `steps` as the store would.
pub fn chained(steps: &[Step]) -> Vec<Recorded> {
    let (_, events) = fixture::run(steps).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(events.len(), steps.len(), "every fixture step records one event");
    let generated: Vec<GeneratedEvent> = events
        .into_iter()
        .zip(steps)
        .map(|(recorded, step)| GeneratedEvent {
            stream: recorded.stream,
            event_id: recorded.meta.event_id,
            recorded_at: recorded.meta.recorded_at,
            actor: chain::Actor { id: recorded.meta.actor_id, role: step.context.actor.role.as_str().to_owned() },
            event: recorded.event,
        })
        .collect();
    seal(&generated)
}

/// The extended story, chained.
pub fn extended_events() -> Vec<Recorded> {
    chained(&extended_story())
}

/// The sequence number of the event a labelled step recorded.
pub fn seq_of(steps: &[Step], label: &str) -> u64 {
    let index = steps.iter().position(|step| step.label == label).unwrap_or_else(|| panic!("no step {label}"));
    index as u64 + 1
}
