//! Property tests of a county's own scheme and of individuals over random histories decided by
//! `domain::decide` (`generator::random_county_history`: the city's walk with YS01's own scheme and the
//! staff of YS01 and YS02, driven by a shrinkable script of choices):
//!
//! - **every trace of the county's scheme reconciles exactly** with what the ranking reports, for every
//!   section and every opened month: each indicator's lines add up to what it lost (a taken-over line
//!   to the city's lines it is scaled from), each scaled charge is a line of its own, the one the
//!   domain's facts say and scaled as they say, the whole loss is the lines plus the charges plus the
//!   floor, and the final the ranking reports is the base less those losses, normalised, plus the
//!   section's own bonuses (capped) — and a roll-up's final the mean of its months';
//! - **an erasure changes nothing but the texts' erased mark**: folding the same history with and
//!   without a final `ErasePerson` gives the same answer to every question — scorecards, rankings,
//!   traces, comparisons, bulletins, personal scorecards, individual rankings, grades, the bases of
//!   grades and uses of results — once the `erased` marks are set aside.
//!
//! - **the indicators a person carries are found through the people facts' index exactly as a scan of
//!   every scheme's plans and every county's personal indicators finds them**, for every person and
//!   every base period of the year, as of any point of the history.
//!
//! Everything expected here is computed from the domain's facts and the lines themselves, never read
//! back from the score it checks, with a rounding of its own.
//!
//! Invariant guarded: no point of a county's scheme is lost without a line that explains it, and
//! erasing personal information moves no score, rank, tier, personal score or grade.

use std::collections::BTreeMap;

use kpi_ledger::domain::command::ErasePerson;
use kpi_ledger::domain::date::Date;
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::person::{ResultSubject, ResultView};
use kpi_ledger::domain::{Actor, DeductionId, Facts, PeriodId, PeriodKind, PersonId, Points, Role, SchemeId, UnitCode};
use kpi_ledger::projection::personal::{check_bases, Basis};
use kpi_ledger::projection::{Counting, PeerGroup, Projection, Trace, TraceLine};
use kpi_testkit::generator::{random_county_history, Choose, History, ScriptedChoices, SeededChoices};
use proptest::prelude::*;
use serde_json::Value;

/// Steps of the random walk per history: the city's and the county's kinds of step each occur.
const STEPS_MAX: usize = 220;
/// Cases per property: each folds a history of a few hundred events and asks it every question.
const CASES: u32 = 16;
const YEAR: i32 = 2017;

fn script() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..(STEPS_MAX * 6))
}

fn history(script: Vec<u32>) -> History {
    random_county_history(&mut ScriptedChoices::new(script), STEPS_MAX)
}

fn unit(text: &str) -> UnitCode {
    UnitCode::new(text).unwrap()
}

fn own() -> SchemeId {
    SchemeId::new("YS01-2017").unwrap()
}

fn city() -> SchemeId {
    SchemeId::new("YS-2017").unwrap()
}

/// `numerator / denominator` rounded half-up, for a positive denominator: the test's own rounding.
fn half_up(numerator: i64, denominator: i64) -> i64 {
    (2 * numerator + denominator).div_euclid(2 * denominator)
}

/// `points × to / from`, half-up; nothing when `from` is worth nothing.
fn scaled(points: Points, to: Points, from: Points) -> Points {
    match from.0 > 0 {
        true => Points(half_up(points.0 * to.0, from.0)),
        false => Points::ZERO,
    }
}

/// The months opened in the county's scheme.
fn own_months(facts: &Facts) -> Vec<PeriodId> {
    facts.schemes.get(&own()).map(|scheme| scheme.periods.keys().copied().collect()).unwrap_or_default()
}

fn sum(lines: &[TraceLine]) -> Points {
    lines.iter().map(TraceLine::amount).sum()
}

// ---- Reconciliation --------------------------------------------------------------------------

/// The city deductions the domain's facts charge onto `section` in `month` of the county's scheme, each
/// with what it counts there: on an indicator the county took over and has in force then (and that
/// applies to it in the city's scheme), whose standing cause names the section, another section of the
/// county than the city's lead — scaled one at a time from its effective points.
fn expected_charges(facts: &Facts, section: &UnitCode, month: PeriodId) -> BTreeMap<DeductionId, (Points, Points)> {
    let county = unit("YS01");
    let (own_scheme, city_scheme) = (&facts.schemes[&own()], &facts.schemes[&city()]);
    let mut expected = BTreeMap::new();
    let Some(assessment) = city_scheme.assessment(month, &county) else { return expected };
    for (code, ids) in &assessment.deductions {
        let Some(indicator) = own_scheme.indicators.get(code) else { continue };
        let Some(version) = facts.taken_over_at(own_scheme, indicator, month) else { continue };
        let lead = city_scheme.lead_section(&county, code, month);
        for id in ids {
            let deduction = &facts.deductions[id];
            let cause =
                deduction.cause_unit().filter(|cause| facts.is_section_of(cause, &county) && Some(*cause) != lead);
            if cause == Some(section) {
                let charge = facts.effective_points(deduction);
                let amount = scaled(charge, version.points_max, version.city_version.points_max);
                expected.insert(*id, (charge, amount));
            }
        }
    }
    expected
}

/// What one section's trace of one month says its final is, computed from the lines and the domain's
/// facts alone: `normalised(points_max_total − Σ lines) + min(Σ bonuses, cap)`, and its veto. Checks
/// on the way that every line adds up.
fn final_from_lines(facts: &Facts, trace: &Trace) -> Result<(Option<Points>, bool), TestCaseError> {
    let (section, month) = (&trace.unit, trace.period);
    for indicator in &trace.indicators {
        let listed = sum(&indicator.lines);
        prop_assert_eq!(
            indicator.points_max - indicator.score,
            listed,
            "{} {} {}",
            section,
            month,
            indicator.indicator
        );
        for line in &indicator.lines {
            if let TraceLine::TakenOver(line) = line {
                let city_listed = sum(&line.city_lines);
                prop_assert_eq!(
                    line.city_points_max - line.city_score,
                    city_listed,
                    "{} {}: {:#?}",
                    section,
                    month,
                    line
                );
                let score = match line.city_points_max.0 > 0 {
                    true => scaled(line.city_score, line.points_max, line.city_points_max),
                    false => line.points_max,
                };
                prop_assert_eq!((line.score, line.amount), (score, line.points_max - score), "{} {}", section, month);
                let own_indicator = &facts.schemes[&own()].indicators[&indicator.indicator];
                let version = facts.taken_over_at(&facts.schemes[&own()], own_indicator, month).expect("in force");
                prop_assert_eq!(
                    (line.points_max, line.city_points_max),
                    (version.points_max, version.city_version.points_max)
                );
            }
        }
    }
    // Every scaled charge is a line of its own: the ones the facts say, scaled as they say.
    let charged: BTreeMap<DeductionId, (Points, Points)> = trace
        .charges
        .iter()
        .map(|line| {
            (line.deduction_id, (line.scaled.as_ref().map_or(Points(-1), |scaling| scaling.charge), line.amount))
        })
        .collect();
    prop_assert_eq!(charged.len(), trace.charges.len(), "one line per charge");
    prop_assert_eq!(&charged, &expected_charges(facts, section, month), "{} {}", section, month);

    let kept: Points = trace.indicators.iter().map(|indicator| indicator.points_max - sum(&indicator.lines)).sum();
    let charges: Points = trace.charges.iter().map(|line| line.amount).sum();
    let floor = (kept - charges).min(Points::ZERO);
    prop_assert_eq!(trace.floor_absorbed, floor, "{} {}", section, month);
    let listed = sum_indicator_lines(trace) + charges + floor;
    prop_assert_eq!(trace.points_max_total - trace.raw, listed, "{} {}: {:#?}", section, month, trace);
    let points_max_total: Points = trace.indicators.iter().map(|indicator| indicator.points_max).sum();
    prop_assert_eq!(trace.points_max_total, points_max_total);

    if trace.indicators.is_empty() || points_max_total.0 == 0 {
        return Ok((None, false));
    }
    let assessment = facts.schemes[&own()].assessment(month, section);
    let bonuses: Points =
        assessment.map(|a| a.bonuses.iter().map(|bonus| bonus.awarded.points).sum()).unwrap_or_default();
    let veto = assessment.is_some_and(|a| !a.vetoes.is_empty());
    let normalised = Points(half_up((points_max_total - listed).0 * 10_000, points_max_total.0));
    Ok((Some(normalised + bonuses.min(facts.schemes[&own()].settings.bonus_cap)), veto))
}

fn sum_indicator_lines(trace: &Trace) -> Points {
    trace.indicators.iter().map(|indicator| sum(&indicator.lines)).sum()
}

/// Every section of the county in every opened month: its trace in the county's scheme reconciles line
/// by line, its scorecard agrees, and the rankings of the month and of its roll-ups report the final
/// the lines give.
fn assert_county_reconciles(projection: &Projection) -> Result<Summary, TestCaseError> {
    let facts = projection.facts();
    let mut summary = Summary::default();
    let Some(own_scheme) = facts.schemes.get(&own()) else { return Ok(summary) };
    let group = PeerGroup { scheme: own(), function_code: None };
    let members = projection.peer_group_members(&group);
    let mut finals: BTreeMap<(UnitCode, PeriodId), (Points, bool)> = BTreeMap::new();
    for month in own_months(facts) {
        for section in &members {
            let Some(trace) = projection.trace_in(section, month, Some(&own())) else { continue };
            let (final_score, veto) = final_from_lines(facts, &trace)?;
            summary.note(&trace);
            let card = projection.scorecard_in(section, month, Counting::Provisional, Some(&own()));
            if !own_scheme.has_results(month) {
                prop_assert!(card.is_none(), "a month with nothing recorded has no card");
                continue;
            }
            let card = card.expect("a card for a month with results");
            prop_assert_eq!((card.points_max_total, card.raw), (trace.points_max_total, trace.raw));
            prop_assert_eq!(card.charges, trace.charges.iter().map(|line| line.amount).sum::<Points>());
            prop_assert_eq!(card.floor_absorbed, Points::ZERO - trace.floor_absorbed);
            prop_assert_eq!(card.final_score, final_score, "{} {}", section, month);
            if let Some(final_score) = final_score {
                prop_assert_eq!(card.veto, veto, "{} {}", section, month);
                summary.bonused += usize::from(card.bonus > Points::ZERO);
                summary.vetoed += usize::from(veto);
                finals.insert((section.clone(), month), (final_score, veto));
            }
        }
        for counting in [Counting::Published, Counting::Provisional] {
            let Some(ranking) = projection.ranking_with(&group, month, counting) else { continue };
            for standing in &ranking.standings {
                let expected = finals.get(&(standing.unit.clone(), month));
                prop_assert_eq!(Some(&(standing.final_score, standing.veto)), expected, "{} {}", standing.unit, month);
            }
            if counting == Counting::Provisional && own_scheme.has_results(month) {
                let ranked = finals.keys().filter(|(_, base)| *base == month).count();
                prop_assert_eq!(ranking.standings.len(), ranked, "{}: every section with a final is ranked", month);
            }
        }
    }
    // A roll-up's final is the mean of its months' finals, with a veto carried up.
    for kind in [PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year] {
        for period in PeriodId::all_in_year(YEAR, kind) {
            let Some(ranking) = projection.ranking_with(&group, period, Counting::Provisional) else { continue };
            let counted = own_scheme.counted_base_periods_in(period, true);
            for standing in &ranking.standings {
                let months: Vec<&(Points, bool)> =
                    counted.iter().filter_map(|month| finals.get(&(standing.unit.clone(), *month))).collect();
                let total: i64 = months.iter().map(|(final_score, _)| final_score.0).sum();
                prop_assert!(!months.is_empty(), "{} {}", standing.unit, period);
                let mean = Points(half_up(total, months.len() as i64));
                let veto = months.iter().any(|(_, veto)| *veto);
                prop_assert_eq!((standing.final_score, standing.veto), (mean, veto), "{} {}", standing.unit, period);
            }
        }
    }
    Ok(summary)
}

/// What the traces held, so a run can show the properties were not vacuous.
#[derive(Debug, Default)]
struct Summary {
    traces: usize,
    taken_over_losses: usize,
    /// Charges whose scaled amount differs from the city's charge.
    scaled_charges: usize,
    local_deductions: usize,
    tier_shortfalls: usize,
    floors: usize,
    bonused: usize,
    vetoed: usize,
}

impl Summary {
    fn note(&mut self, trace: &Trace) {
        self.traces += 1;
        for indicator in &trace.indicators {
            for line in &indicator.lines {
                match line {
                    TraceLine::TakenOver(line) if line.amount > Points::ZERO => self.taken_over_losses += 1,
                    TraceLine::Deduction(line) if line.amount > Points::ZERO => self.local_deductions += 1,
                    TraceLine::TierShortfall(line) if line.amount > Points::ZERO => self.tier_shortfalls += 1,
                    _ => {}
                }
            }
        }
        self.scaled_charges +=
            trace.charges.iter().filter(|line| line.scaled.as_ref().is_some_and(|s| s.charge != line.amount)).count();
        self.floors += usize::from(trace.floor_absorbed < Points::ZERO);
    }

    fn add(&mut self, other: &Summary) {
        self.traces += other.traces;
        self.taken_over_losses += other.taken_over_losses;
        self.scaled_charges += other.scaled_charges;
        self.local_deductions += other.local_deductions;
        self.tier_shortfalls += other.tier_shortfalls;
        self.floors += other.floors;
        self.bonused += other.bonused;
        self.vetoed += other.vetoed;
    }
}

// ---- Erasure ---------------------------------------------------------------------------------

/// `value` without the `erased` marks: what an erasure may change in an answer (it changes no text the
/// projections hold: the views open or hide them).
fn without_erased(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .filter(|(key, _)| key != "erased")
                .map(|(key, value)| (key, without_erased(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_erased).collect()),
        other => other,
    }
}

fn answer(value: impl serde::Serialize) -> Value {
    without_erased(serde_json::to_value(value).unwrap())
}

/// Every question a reader may ask of the projection, answered as JSON with the erased marks set aside:
/// scorecards, traces, rankings, comparisons, bulletins and notices in both schemes, persons, personal
/// scorecards, indicators, weeks and reviews, individual rankings, and the facts themselves.
fn every_answer(projection: &Projection, today: Date) -> BTreeMap<String, Value> {
    let facts = projection.facts();
    let mut answers = BTreeMap::new();
    let periods: Vec<PeriodId> = [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year]
        .into_iter()
        .flat_map(|kind| PeriodId::all_in_year(YEAR, kind))
        .filter(|period| period.kind() != PeriodKind::Month || period.index() <= 6)
        .collect();
    let countings = [Counting::Published, Counting::Provisional];
    for scheme in facts.schemes.keys() {
        for group in projection.peer_groups(scheme) {
            for period in &periods {
                for counting in countings {
                    let key = format!("{scheme} {:?} {period} {counting:?}", group.function_code);
                    answers
                        .insert(format!("ranking {key}"), answer(projection.ranking_with(&group, *period, counting)));
                    answers.insert(format!("bulletin {key}"), answer(projection.bulletin(&group, *period, counting)));
                    answers
                        .insert(format!("notices {key}"), answer(projection.notices_with(&group, *period, counting)));
                }
            }
        }
    }
    let units: Vec<&UnitCode> =
        facts.units.iter().filter(|(_, unit)| unit.parent.is_some()).map(|(code, _)| code).collect();
    for unit in &units {
        for scheme in [None, Some(own())] {
            for period in &periods {
                let key = format!("{unit} {scheme:?} {period}");
                let scheme = scheme.as_ref();
                answers.insert(
                    format!("scorecard {key}"),
                    answer(projection.scorecard_in(unit, *period, Counting::Provisional, scheme)),
                );
                answers.insert(
                    format!("traces {key}"),
                    answer(projection.traces_in(unit, *period, Counting::Provisional, scheme)),
                );
                answers.insert(
                    format!("horizontal {key}"),
                    answer(projection.horizontal_in(unit, *period, Counting::Published, scheme)),
                );
            }
        }
    }
    let year = PeriodId::parse("2017").unwrap();
    for person in facts.persons.keys() {
        for period in periods.iter().filter(|period| period.kind() != PeriodKind::Month) {
            for counting in countings {
                let card = projection.personal_scorecard(person, *period, counting, today);
                answers.insert(format!("personal scorecard {person} {period} {counting:?}"), answer(card));
            }
        }
        answers.insert(format!("weeks {person}"), answer(projection.weekly_records(person, year, today)));
        answers.insert(format!("reviews {person}"), answer(projection.person_reviews(person, year)));
        answers.insert(format!("indicators {person}"), answer(projection.person_indicators(person, year)));
    }
    for county in ["YS01", "YS02", "YS03"].map(unit) {
        for counting in countings {
            let ranking = projection.individual_ranking(&county, YEAR, counting, today);
            answers.insert(format!("individual ranking {county} {counting:?}"), answer(ranking));
        }
        answers.insert(format!("persons {county}"), answer(projection.persons_of(&county, today)));
        answers.insert(format!("indicator load {county}"), answer(projection.indicator_load_of_county(&county)));
    }
    answers
}

/// The facts with every erased mark set aside.
fn facts_without_erased(projection: &Projection) -> Facts {
    let mut facts = projection.facts().clone();
    facts.persons = facts
        .persons
        .into_iter()
        .map(|(id, mut person)| {
            std::sync::Arc::make_mut(&mut person).erased = false;
            (id, person)
        })
        .collect();
    facts
}

/// Every use of results and every grade, as the basis it rests on.
fn bases(facts: &Facts) -> Vec<Basis> {
    let uses = facts.people.result_uses.iter().map(|used| Basis {
        subject: used.recorded.subject.clone(),
        view: used.recorded.view.clone(),
        read_seq: used.recorded.read_at.seq,
    });
    let grades = facts.people.plans.iter().flat_map(|(county, years)| {
        years.iter().flat_map(move |(year, plan)| {
            plan.grades.iter().flat_map(move |(person, grades)| {
                grades.iter().map(move |grade| Basis {
                    subject: ResultSubject::Person { person: person.clone() },
                    view: ResultView::IndividualRanking { unit: county.clone(), year: *year },
                    read_seq: grade.event.seq,
                })
            })
        })
    });
    uses.chain(grades).collect()
}

fn admin() -> Actor {
    Actor { id: "admin.ys".to_owned(), role: Role::Admin, unit: unit("YS") }
}

/// The staff of the walk (and the counties' heads) that are not erased yet.
fn erasable(facts: &Facts) -> Vec<PersonId> {
    facts.persons.iter().filter(|(_, person)| !person.erased).map(|(code, _)| code.clone()).collect()
}

fn assert_erasure_changes_nothing(history: &History, who: prop::sample::Index) -> Result<(), TestCaseError> {
    let candidates = erasable(&history.state);
    prop_assume!(!candidates.is_empty());
    let person = who.get(&candidates).clone();
    let erasure =
        ErasePerson { person: person.clone(), legal_basis: "本人申请删除 (PIPL 第四十七条)".to_owned() };
    let erased = history.then(0xe5, &admin(), erasure).expect("an admin of the city erases anyone in it");
    prop_assert_eq!(erased.events.len(), history.events.len() + 1);
    let last = history.events.last().expect("a walk records its setup").recorded.recorded_at;
    prop_assert_eq!(erased.events.last().unwrap().recorded.recorded_at, last, "recorded on the same instant");

    let before = Projection::fold(&history.recorded()).unwrap();
    let after = Projection::fold(&erased.recorded()).unwrap();
    prop_assert!(after.facts().persons[&person].erased && !before.facts().persons[&person].erased);
    let today = Date::of_instant(last, before.facts().time_zone());
    prop_assert!(
        facts_without_erased(&before) == facts_without_erased(&after),
        "the facts differ beyond the erased mark"
    );
    let (expected, actual) = (every_answer(&before, today), every_answer(&after, today));
    prop_assert_eq!(expected.len(), actual.len());
    for (key, value) in &expected {
        prop_assert!(actual.get(key) == Some(value), "{key} changed with the erasure of {person}");
    }
    let bases = bases(before.facts());
    let checks_before = check_bases(&Projection::new(), &history.recorded(), &bases).unwrap();
    let checks_after = check_bases(&Projection::new(), &erased.recorded(), &bases).unwrap();
    prop_assert_eq!(checks_before, checks_after, "the basis of a grade or a use moved with the erasure");
    Ok(())
}

/// What a person carries in a base period, by a scan of every plan and personal indicator — the
/// question `Facts::carried_scheme_indicators` and `carried_personal_indicators` answer from their
/// index — each as `(scheme or county, unit, indicator, lead section)`.
fn carried_by_scan(facts: &Facts, person: &PersonId, period: PeriodId) -> Vec<(String, String, String, String)> {
    let mut carried = Vec::new();
    for scheme in facts.schemes.values().filter(|scheme| scheme.is_base_period(period)) {
        for (unit, plan) in &scheme.plans {
            for (code, entry) in plan {
                let Some(assignment) = entry.assignment_at(period) else { continue };
                let Some(indicator) = scheme.indicators.get(code) else { continue };
                if assignment.responsible_person.as_ref() == Some(person) && scheme.applies(indicator, unit, period) {
                    let scheme = scheme.settings.scheme.to_string();
                    carried.push((scheme, unit.to_string(), code.to_string(), assignment.lead_section.to_string()));
                }
            }
        }
    }
    for (county, years) in &facts.people.plans {
        let Some(plan) = years.get(&period.year()) else { continue };
        for indicator in plan.indicators.values() {
            let defined = &indicator.defined;
            if &defined.person == person
                && defined.effective_from <= period
                && defined.effective_from.kind() == period.kind()
            {
                carried.push((county.to_string(), county.to_string(), defined.indicator.to_string(), String::new()));
            }
        }
    }
    carried
}

/// The same question through the index.
fn carried_by_index(facts: &Facts, person: &PersonId, period: PeriodId) -> Vec<(String, String, String, String)> {
    let scheme = facts.carried_scheme_indicators(person, period).into_iter().map(|carried| {
        let scheme = carried.scheme.settings.scheme.to_string();
        (scheme, carried.unit.to_string(), carried.code.to_string(), carried.lead_section.to_string())
    });
    let personal = facts.carried_personal_indicators(person, period).into_iter().map(|(county, indicator)| {
        (county.to_string(), county.to_string(), indicator.defined.indicator.to_string(), String::new())
    });
    scheme.chain(personal).collect()
}

/// Every person's carried indicators in every base period of the year, by index and by scan; how many
/// scheme indicators (those with a lead section) were carried in all.
fn assert_carried_as_scanned(facts: &Facts) -> Result<usize, TestCaseError> {
    let mut found = 0;
    for person in facts.persons.keys() {
        for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year] {
            for period in PeriodId::all_in_year(YEAR, kind) {
                let (scanned, indexed) =
                    (carried_by_scan(facts, person, period), carried_by_index(facts, person, period));
                prop_assert_eq!(&indexed, &scanned, "{} in {}", person, period);
                found += scanned.iter().filter(|(.., lead)| !lead.is_empty()).count();
            }
        }
    }
    Ok(found)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn every_county_trace_reconciles_with_the_ranking_line_by_line(script in script(), cut in any::<prop::sample::Index>()) {
        let events = history(script).recorded();
        assert_county_reconciles(&Projection::fold(&events).unwrap())?;
        // And as of any point of the history.
        let at = cut.index(events.len() + 1);
        assert_county_reconciles(&Projection::fold(&events[..at]).unwrap())?;
    }

    #[test]
    fn the_index_finds_what_a_person_carries_as_a_full_scan_does(script in script(), cut in any::<prop::sample::Index>()) {
        let events = history(script).recorded();
        assert_carried_as_scanned(Projection::fold(&events).unwrap().facts())?;
        let at = cut.index(events.len() + 1);
        assert_carried_as_scanned(Projection::fold(&events[..at]).unwrap().facts())?;
    }

    #[test]
    fn erasing_a_person_changes_no_score_rank_tier_personal_score_or_grade(script in script(), who in any::<prop::sample::Index>()) {
        assert_erasure_changes_nothing(&history(script), who)?;
    }
}

/// The properties are not vacuous: over a few seeded walks, every kind of line and fact they are about
/// occurs — taken-over losses, scaled charges that rounding moves, local deductions and tier shortfalls,
/// floors, bonuses, vetoes, published county months, and the staff's records, reviews, grades, uses
/// and erasures.
#[test]
fn the_county_walk_records_every_kind_of_fact_the_properties_are_about() {
    let mut summary = Summary::default();
    let (mut published, mut weekly, mut reviews, mut grades, mut uses, mut erased, mut moved) = (0, 0, 0, 0, 0, 0, 0);
    let mut carried = 0;
    for seed in 0..10 {
        let mut choices = SeededChoices::new(seed);
        let _ = choices.below(1);
        let history = random_county_history(&mut choices, STEPS_MAX);
        let projection = Projection::fold(&history.recorded()).unwrap();
        summary.add(&assert_county_reconciles(&projection).unwrap());
        let facts = projection.facts();
        published +=
            facts.schemes[&own()].periods.values().filter(|period| period.status != PeriodStatus::Open).count();
        weekly += facts.people.weekly_records.values().map(|weeks| weeks.len()).sum::<usize>();
        reviews += facts.people.reviews.values().flat_map(|quarters| quarters.values()).map(Vec::len).sum::<usize>();
        grades +=
            facts.people.plans.values().flat_map(|years| years.values()).map(|plan| plan.grades.len()).sum::<usize>();
        uses += facts.people.result_uses.len();
        erased += facts.persons.values().filter(|person| person.erased).count();
        moved += facts.persons.values().filter(|person| person.memberships.as_slice().len() > 1).count();
        carried += assert_carried_as_scanned(facts).unwrap();
    }
    eprintln!("{summary:?}; published {published}, weekly {weekly}, reviews {reviews}, grades {grades}, uses {uses}, erased {erased}, moved {moved}");
    let Summary {
        traces,
        taken_over_losses,
        scaled_charges,
        local_deductions,
        tier_shortfalls,
        floors,
        bonused,
        vetoed,
    } = &summary;
    for (what, count) in [
        ("traces", *traces),
        ("taken-over losses", *taken_over_losses),
        ("scaled charges", *scaled_charges),
        ("local deductions", *local_deductions),
        ("tier shortfalls", *tier_shortfalls),
        ("floors", *floors),
        ("bonuses", *bonused),
        ("vetoes", *vetoed),
        ("published county months", published),
        ("weekly records", weekly),
        ("reviews", reviews),
        ("grades", grades),
        ("uses of results", uses),
        ("erasures", erased),
        ("moves", moved),
        ("scheme indicators carried by a person", carried),
    ] {
        assert!(count > 0, "no {what} in the seeded walks: {summary:?}");
    }
}
