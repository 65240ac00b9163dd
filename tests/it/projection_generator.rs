//! The data generator: realistic histories by seed and size are deterministic, valid (every event was
//! decided by the domain), shaped as the issue asks (S: one city, 12 counties, ~100 sections, a
//! year), chained exactly as the store chains them, and every trace in them reconciles.
//!
//! Invariant guarded: the same seed and size give byte-identical histories and hashes.

use kpi_ledger::domain::{PeriodId, PeriodKind, UnitLevel};
use kpi_ledger::projection::{PeerGroup, Projection};
use kpi_testkit::generator::{generate, Size};

#[test]
fn size_s_is_deterministic_shaped_and_reconciles() {
    let started = std::time::Instant::now();
    let history = generate(7, Size::S);
    let generated_in = started.elapsed();
    let events = history.recorded();
    let again = generate(7, Size::S).recorded();
    assert_eq!(events.last().map(|event| event.hash), again.last().map(|event| event.hash), "same seed, same chain");
    assert_ne!(events.last().map(|event| event.hash), generate(8, Size::S).recorded().last().map(|event| event.hash));

    let levels = |level: UnitLevel| history.state.units.values().filter(|unit| unit.level == level).count();
    assert_eq!((levels(UnitLevel::City), levels(UnitLevel::County), levels(UnitLevel::Section)), (1, 12, 96));
    let projection = Projection::fold(&events).unwrap();
    let scheme = projection.facts().schemes.keys().next().unwrap().clone();
    let periods = &projection.facts().schemes[&scheme].periods;
    assert_eq!(periods.len(), 12);
    assert!(periods.values().all(|period| period.status == kpi_ledger::domain::facts::PeriodStatus::Final));

    let counties = PeerGroup { scheme: scheme.clone(), function_code: None };
    for period in PeriodId::all_in_year(2017, PeriodKind::Quarter) {
        assert_eq!(projection.ranking(&counties, period).unwrap().standings.len(), 12, "{period}");
    }
    let groups = projection.peer_groups(&scheme);
    assert_eq!(groups.len(), 1 + 8, "counties and eight section functions");
    for group in &groups {
        for member in projection.peer_group_members(group) {
            for month in [1, 6, 12] {
                let trace = projection.trace(&member, PeriodId::month(2017, month).unwrap()).unwrap();
                assert!(trace.reconciles(), "{member} {month}");
            }
        }
    }
    eprintln!("size S: {} events generated in {generated_in:?}", events.len());
}

#[test]
fn size_m_has_a_province_of_fifteen_cities_and_fifteen_hundred_sections() {
    let history = generate(1, Size::M);
    let levels = |level: UnitLevel| history.state.units.values().filter(|unit| unit.level == level).count();
    let shape =
        (levels(UnitLevel::Province), levels(UnitLevel::City), levels(UnitLevel::County), levels(UnitLevel::Section));
    assert_eq!(shape, (1, 15, 150, 1_500));
    assert_eq!(history.state.schemes.len(), 16, "the province's scheme and one per city");
    let projection = Projection::fold(&history.recorded()).unwrap();
    let year = PeriodId::parse("2017").unwrap();
    for scheme in projection.facts().schemes.keys() {
        let ranking = projection.ranking(&PeerGroup { scheme: scheme.clone(), function_code: None }, year).unwrap();
        let expected = if scheme.as_str().starts_with("P01-") { 15 } else { 10 };
        assert_eq!(ranking.standings.len(), expected, "{scheme}");
    }
}
