//! The generator's staffed histories: size `County` (one county's own scheme and its 40 staff over four
//! years) is deterministic and shaped as it says — every year a scheme of the county's own with its
//! months final, the staff's weekly records, reviews and grades, the personal texts sealed under the
//! keys `History::person_keys` gives — and the random county walk is deterministic, with
//! `History::then` adding one command at the instant of the last event. (Size L, a province of 5,000
//! staff, takes minutes in a debug build: the benchmark generates it, in release.)
//!
//! Invariant guarded: the same seed gives the same chain, and every generated event was accepted by
//! the rules (the generator panics on a rejection).

use kpi_ledger::chain::sealed_text;
use kpi_ledger::domain::command::ErasePerson;
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::{Actor, PersonalText, Role, SchemeId, UnitCode, UnitLevel};
use kpi_testkit::generator::{generate, random_county_history, SeededChoices, Size};

#[test]
fn the_county_size_is_one_county_its_own_scheme_and_its_staff_over_four_years() {
    let history = generate(3, Size::County);
    let again = generate(3, Size::County);
    assert_eq!(history.events.last().unwrap().sealed.hash, again.events.last().unwrap().sealed.hash, "same seed");
    let state = &history.state;
    let levels = |level: UnitLevel| state.units.values().filter(|unit| unit.level == level).count();
    assert_eq!((levels(UnitLevel::City), levels(UnitLevel::County), levels(UnitLevel::Section)), (1, 1, 6));
    let county = UnitCode::new("C01K01").unwrap();
    for year in 2014..=2017 {
        let own = &state.schemes[&SchemeId::for_issuer_year(&county, year)];
        assert!(state.is_own_scheme(own), "{year}");
        assert_eq!(own.periods.len(), 12, "{year}");
        assert!(own.periods.values().all(|period| period.status == PeriodStatus::Final), "{year}");
        assert_eq!(own.indicators.values().filter(|indicator| indicator.taken_over.is_some()).count(), 2, "{year}");
        let plan = state.personal_plan(&county, year).unwrap();
        let participants = state.participants(&county, year).len();
        assert_eq!(participants, 40, "{year}: 40 staff in the sections at the year's end");
        assert_eq!(plan.grades.len(), participants, "{year}: every participant graded");
        assert!(!plan.indicators.is_empty(), "{year}");
    }
    let active = state.persons.values().filter(|person| !person.is_retired() && person.unit() != &county).count();
    assert_eq!(active, 40, "one retires and one is hired each year");
    let weeks: usize = state.people.weekly_records.values().map(|weeks| weeks.len()).sum();
    assert!(weeks > 40 * 52 * 4 * 9 / 10, "nearly every week of every member: {weeks}");
    assert!(!state.people.reviews.is_empty() && !state.people.result_uses.is_empty());

    // Every personal text is sealed, and opens with the person's key.
    let keys = history.person_keys(3);
    let mut sealed = 0;
    for event in &history.events {
        let Some((person, field, text)) = event.recorded.event.personal_text() else { continue };
        let PersonalText::Sealed(text) = text else { panic!("a plain text in a sealed history: {event:?}") };
        assert!(sealed_text::open(&keys[person], person, field, text).is_ok(), "{person}");
        sealed += 1;
    }
    assert!(sealed > weeks, "names, records, comments and reviews: {sealed}");
}

#[test]
fn the_random_county_walk_is_deterministic_and_a_history_goes_on_by_one_command() {
    let walk = |seed| random_county_history(&mut SeededChoices::new(seed), 150);
    let (history, again) = (walk(5), walk(5));
    assert_eq!(history.events.last().unwrap().sealed.hash, again.events.last().unwrap().sealed.hash);
    assert_ne!(history.events.last().unwrap().sealed.hash, walk(6).events.last().unwrap().sealed.hash);
    assert!(history.state.schemes.contains_key(&SchemeId::new("YS01-2017").unwrap()));

    let person = history.state.persons.keys().find(|person| !history.state.persons[*person].erased).unwrap().clone();
    let admin = Actor { id: "admin.ys".to_owned(), role: Role::Admin, unit: UnitCode::new("YS").unwrap() };
    let erasure = ErasePerson { person: person.clone(), legal_basis: "本人申请删除".to_owned() };
    let erased = history.then(1, &admin, erasure.clone()).unwrap();
    let (last, next) = (&history.events.last().unwrap().recorded, &erased.events.last().unwrap().recorded);
    assert_eq!((next.seq, next.prev_hash, next.recorded_at), (last.seq + 1, last.hash, last.recorded_at));
    assert!(erased.state.persons[&person].erased);
    assert!(erased.then(1, &admin, erasure).is_err(), "an erased person is not erased again");
}
