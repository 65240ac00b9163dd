//! The year-long story (`domain::fixture_year`) decided and sealed as the service would, for the
//! projection tests.
#![allow(dead_code)]

use kpi_ledger::projection::Recorded;
use kpi_testkit::generator::run_story;
use kpi_testkit::story::Step;

pub use kpi_testkit::story::year::year_story as extended_story;

/// Decides, seals and folds `steps` as the service would.
pub fn chained(steps: &[Step]) -> Vec<Recorded> {
    let history = run_story(steps).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(history.events.len(), steps.len(), "every fixture step records one event");
    history.recorded()
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
