//! Individual assessment (个人绩效) and the use of results, as given/when/then stories over the
//! decider: personal indicators, weekly records, leader reviews, annual grades and result uses.
//!
//! Invariant guarded: a person files only their own weekly records, a leader never reviews or comments
//! on the person it speaks for, 优秀 goes only to the first individual tier and never beyond the quota,
//! and a quarterly personal score weighs its parts 40/30/30 (a missing part dropping out).

use crate::harness::*;
use crate::own_scheme_fixture::county_committee;

use kpi_ledger::domain::command::*;
use kpi_ledger::domain::date::{Date, IsoWeek};
use kpi_ledger::domain::event::PersonMoved;
use kpi_ledger::domain::person::{
    AnnualGrade, AssessmentId, ChainPosition, CommandBasis, GradeBasis, GradeRecorded, IndicatorRef, PartWeights,
    PersonReviewed, PersonalIndicatorAssessed, PersonalIndicatorDefined, PersonalOutcome, PersonalRulesSet,
    ResultSubject, ResultUseId, ResultUseKind, ResultUseRecorded, ResultView, WeeklyRecordCommented, WeeklyRecordFiled,
};
use kpi_ledger::domain::PersonalText;
use kpi_ledger::domain::RejectionCode as Code;
use kpi_ledger::domain::*;
use kpi_ledger::projection::personal::{check_bases, Basis, SectionFinal, ViewStanding};
use kpi_ledger::projection::{Counting, Projection};
use kpi_testkit::story::{at, indicator, period, person, scheme, unit};
use uuid::Uuid;

// ---- A world with people -------------------------------------------------------------------------

pub(crate) const PERSONAL: &str = "P-0201-01";
pub(crate) const PERSONAL_TIERED: &str = "P-0201-02";

/// YS07-0201's own token (role person).
pub(crate) fn staff() -> Actor {
    actor("person.ys07.0201", Role::Person, "YS07-ZGG")
}
/// YS07-0202's own token: the section chief as a member of staff.
fn chief_as_staff() -> Actor {
    actor("person.ys07.0202", Role::Person, "YS07-ZGG")
}
/// The chief of YS07-ZGG, speaking for YS07-0202.
pub(crate) fn chief() -> Actor {
    actor("leader.ys07zgg.chen", Role::Leader, "YS07-ZGG")
}
/// The leader in charge of YS07, bound to no person.
pub(crate) fn leader_in_charge() -> Actor {
    actor("leader.ys07.liu", Role::Leader, "YS07")
}
/// The chief of another county's section.
fn other_chief() -> Actor {
    actor("leader.ys08zgg.sun", Role::Leader, "YS08-ZGG")
}

pub(crate) fn week(text: &str) -> IsoWeek {
    IsoWeek::parse(text).expect("test weeks are well-formed")
}

fn day(text: &str) -> Date {
    Date::parse(text).expect("test dates are well-formed")
}

fn bound(fill: char, actor: &Actor, person_id: &str) -> GrantAccess {
    GrantAccess { person: Some(person(person_id)), ..grant(fill, &actor.id, actor.role, actor.unit.as_str()) }
}

/// The harness world, with the chief YS07-0202 registered in YS07-ZGG (01-04) and, from 06-01, tokens
/// for YS07-0201 and YS07-0202 as staff and for the chief as leader.
pub(crate) fn people_world() -> Harness {
    let mut harness = world();
    let register = RegisterPerson { person: person("YS07-0202"), name: "Chen".to_owned(), unit: unit("YS07-ZGG") };
    harness.given(&admin(), at(1, 4, 9, 0), register);
    harness.given(&admin(), at(6, 1, 9, 0), bound('d', &staff(), "YS07-0201"));
    harness.given(&admin(), at(6, 1, 9, 0), bound('e', &chief_as_staff(), "YS07-0202"));
    harness.given(&admin(), at(6, 1, 9, 0), bound('f', &chief(), "YS07-0202"));
    harness
}

pub(crate) fn define_personal(code: &str, points: i64) -> DefinePersonalIndicator {
    DefinePersonalIndicator {
        unit: unit("YS07"),
        year: 2017,
        indicator: indicator(code),
        person: person("YS07-0201"),
        name: format!("personal indicator {code}"),
        description: String::new(),
        points_max: Points(points),
        method: IndicatorMethod::Deduct,
        effective_from: None,
    }
}

pub(crate) fn define_personal_tiered(code: &str, points: i64) -> DefinePersonalIndicator {
    DefinePersonalIndicator { method: IndicatorMethod::Tiered { tiers: tiers() }, ..define_personal(code, points) }
}

pub(crate) fn assess(code: &str, outcome: PersonalOutcome) -> AssessPersonalIndicator {
    AssessPersonalIndicator {
        unit: unit("YS07"),
        indicator: indicator(code),
        period: period(JUNE),
        outcome,
        reason: "registration data cleaned late".to_owned(),
    }
}

pub(crate) fn personal_deduction(points: i64) -> AssessPersonalIndicator {
    assess(PERSONAL, PersonalOutcome::Deduction { points: Points(points) })
}

/// The people world with YS07-0201's deduct indicator (10.00) and tiered one (4.00), defined on 06-02.
pub(crate) fn world_with_personal_indicators() -> Harness {
    let mut harness = people_world();
    harness.given(&office(), at(6, 2, 9, 0), define_personal(PERSONAL, 1000));
    harness.given(&office(), at(6, 2, 9, 0), define_personal_tiered(PERSONAL_TIERED, 400));
    harness
}

pub(crate) fn file(text_week: &str) -> FileWeeklyRecord {
    FileWeeklyRecord {
        person: person("YS07-0201"),
        week: week(text_week),
        text: "cleaned 120 registrations".into(),
        indicators: Vec::new(),
    }
}

pub(crate) fn comment(person_id: &str, text_week: &str) -> CommentWeeklyRecord {
    CommentWeeklyRecord { person: person(person_id), week: week(text_week), comment: "thorough work".to_owned() }
}

pub(crate) fn review(person_id: &str, quarter: &str, score: i64) -> ReviewPerson {
    ReviewPerson {
        person: person(person_id),
        quarter: period(quarter),
        score: Points(score),
        comment: "steady and careful".into(),
    }
}

pub(crate) fn grade(person_id: &str, grade: AnnualGrade) -> RecordGrade {
    RecordGrade { unit: unit("YS07"), person: person(person_id), year: 2017, grade, reason: None }
}

/// Decides with what the service reads beyond the facts (`Context::basis`), which the harness leaves
/// empty: a result use's chain position, an annual grade's standing.
fn decide_with_basis(
    harness: &Harness,
    actor: &Actor,
    now: Timestamp,
    command: impl Into<Command>,
    basis: CommandBasis,
) -> Result<Vec<Event>, Rejection> {
    let new_id = Uuid::from_u128(0x0170_0000_0000_7000_a000_0000_0000_0000 | harness.events.len() as u128);
    let mut context = Context::new(now, actor.clone(), new_id);
    context.basis = basis;
    let decided = decide(&harness.facts, &command.into(), &context);
    if let Ok(events) = &decided {
        events.iter().for_each(assert_valid_event);
    }
    decided
}

fn rejected(decided: Result<Vec<Event>, Rejection>, code: Code, field: &str) -> Rejection {
    match decided {
        Ok(events) => panic!("expected rejection {code}, got events {events:?}"),
        Err(rejection) => {
            assert_eq!((rejection.code, rejection.field.as_str()), (code, field), "{rejection:?}");
            assert!(rejection.message.starts_with(&format!("{field}: ")), "{}", rejection.message);
            rejection
        }
    }
}

/// The chain head, as the service reads it for a result use.
fn head(harness: &Harness) -> ChainPosition {
    let last = harness.events.last().expect("an event was folded");
    ChainPosition { seq: last.seq, hash: last.hash }
}

/// The standing the service reads for an annual grade: the individual ranking as the facts stand.
fn standing_basis(harness: &Harness, person_id: &str, today: Date) -> CommandBasis {
    let projection = Projection::fold(&harness.events).expect("the harness's events fold");
    let standing = projection.individual_standing(&unit("YS07"), 2017, &person(person_id), today);
    CommandBasis { position: None, standing: Some(standing) }
}

// ---- Access grants and moves ---------------------------------------------------------------------

#[test]
fn a_person_token_names_the_person_it_speaks_for_and_an_actor_speaks_for_one_person() {
    let mut harness = people_world();
    let unnamed = grant('a', "person.ys07.0001", Role::Person, "YS07");
    let rejection = harness.when(&admin(), at(6, 2, 9, 0), unnamed).then_rejected(Code::PersonRequired, "person");
    assert_eq!(rejection.message, "person: a token for role person must name the person it speaks for");
    // A second token for the same actor and person is fine; for another person it is not.
    harness.when(&admin(), at(6, 2, 9, 0), bound('a', &staff(), "YS07-0201")).then_events();
    let rejection = harness
        .when(&admin(), at(6, 2, 9, 0), bound('a', &staff(), "YS07-0202"))
        .then_rejected(Code::ActorBoundToAnotherPerson, "actor_id");
    assert!(rejection.message.contains("already speaks for person YS07-0201"), "{}", rejection.message);
    // Only person and leader tokens name a person; the person must lie inside the grant's unit.
    let assessor_with_person =
        GrantAccess { person: Some(person("YS07-0001")), ..grant('a', "assessor.ys.zhao", Role::Assessor, "YS") };
    harness.when(&admin(), at(6, 2, 9, 0), assessor_with_person).then_rejected(Code::InvalidValue, "person");
    let outside = bound('a', &actor("person.ys08.0001", Role::Person, "YS07"), "YS08-0001");
    harness.when(&admin(), at(6, 2, 9, 0), outside).then_rejected(Code::OutOfScope, "person");
    // A leader token may go without a person.
    harness.when(&admin(), at(6, 2, 9, 0), grant('a', "leader.ys07.liu", Role::Leader, "YS07")).then_events();
}

#[test]
fn a_move_takes_effect_on_its_day_never_before_the_current_stretch() {
    let mut harness = people_world();
    let move_on = |effective_on: Option<&str>| MovePerson {
        person: person("YS07-0201"),
        to_unit: unit("YS07-BGS"),
        effective_on: effective_on.map(day),
    };
    harness.when(&admin(), at(6, 10, 9, 0), move_on(Some("2017-06-12"))).then_event(PersonMoved {
        person: person("YS07-0201"),
        from_unit: unit("YS07-ZGG"),
        to_unit: unit("YS07-BGS"),
        effective_on: Some(day("2017-06-12")),
    });
    // Left out, it is the day of recording in the ledger's zone (+08:00): 06-10 20:00 UTC is 06-11.
    let events = harness.when(&admin(), at(6, 10, 20, 0), move_on(None)).then_events();
    let [Event::PersonMoved(moved)] = &events[..] else { panic!("{events:?}") };
    assert_eq!(moved.effective_on, Some(day("2017-06-11")));
    let rejection = harness
        .when(&admin(), at(6, 10, 9, 0), move_on(Some("2017-01-02")))
        .then_rejected(Code::MoveBeforeCurrentStretch, "effective_on");
    assert!(rejection.message.contains("before 2017-01-03"), "{}", rejection.message);
    harness.given(&admin(), at(6, 10, 9, 0), move_on(Some("2017-06-12")));
    let back = MovePerson { to_unit: unit("YS07-ZGG"), ..move_on(Some("2017-06-11")) };
    harness.when(&admin(), at(6, 10, 9, 0), back).then_rejected(Code::MoveBeforeCurrentStretch, "effective_on");
    let record = &harness.facts.persons[&person("YS07-0201")];
    assert_eq!(record.unit_on(day("2017-06-11")), Some(&unit("YS07-ZGG")));
    assert_eq!(record.unit_on(day("2017-06-12")), Some(&unit("YS07-BGS")));
}

// ---- Personal indicators -----------------------------------------------------------------------

#[test]
fn the_office_defines_a_personal_indicator_from_the_schemes_first_period() {
    let mut harness = people_world();
    harness.when(&office(), at(6, 2, 9, 0), define_personal(PERSONAL, 1000)).then_event(PersonalIndicatorDefined {
        unit: unit("YS07"),
        year: 2017,
        indicator: indicator(PERSONAL),
        person: person("YS07-0201"),
        name: format!("personal indicator {PERSONAL}"),
        description: String::new(),
        points_max: Points(1000),
        method: IndicatorMethod::Deduct,
        effective_from: period("2017-01"),
    });
    let from_july =
        DefinePersonalIndicator { effective_from: Some(period("2017-07")), ..define_personal(PERSONAL, 1000) };
    let events = harness.when(&office(), at(6, 2, 9, 0), from_july).then_events();
    let [Event::PersonalIndicatorDefined(defined)] = &events[..] else { panic!("{events:?}") };
    assert_eq!(defined.effective_from, period("2017-07"));
    harness.when(&office(), at(6, 2, 9, 0), define_personal_tiered(PERSONAL_TIERED, 400)).then_events();
}

#[test]
fn personal_indicator_definitions_are_refused_outside_the_rules() {
    let mut harness = world_with_personal_indicators();
    let now = at(6, 3, 9, 0);
    let again = define_personal(PERSONAL, 500);
    harness.when(&office(), now, again).then_rejected(Code::IndicatorExists, "indicator");
    let other_office = actor("office.ys08", Role::Office, "YS08");
    harness.when(&other_office, now, define_personal("P-0001-01", 500)).then_rejected(Code::OutOfScope, "actor.unit");
    let section = DefinePersonalIndicator { unit: unit("YS07-ZGG"), ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, section).then_rejected(Code::InvalidValue, "unit");
    let next_year = DefinePersonalIndicator { year: 2018, ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, next_year).then_rejected(Code::UnknownScheme, "year");
    let other_county = DefinePersonalIndicator { person: person("YS08-0001"), ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, other_county).then_rejected(Code::OutOfScope, "person");
    let unknown = DefinePersonalIndicator { person: person("YS07-9999"), ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, unknown).then_rejected(Code::UnknownPerson, "person");
    harness.when(&office(), now, define_personal("P-0001-01", 0)).then_rejected(Code::InvalidValue, "points_max");
    let quarterly =
        DefinePersonalIndicator { effective_from: Some(period("2017-Q3")), ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, quarterly).then_rejected(Code::NotABasePeriod, "effective_from");
    let rising = IndicatorMethod::Tiered { tiers: tiers().into_iter().rev().collect() };
    let rising = DefinePersonalIndicator { method: rising, ..define_personal("P-0001-01", 500) };
    harness.when(&office(), now, rising).then_rejected(Code::InvalidValue, "method.tiers");
    harness.when(&assessor(), now, define_personal("P-0001-01", 500)).then_rejected(Code::RoleNotAllowed, "actor.role");
}

#[test]
fn the_office_assesses_a_personal_indicator_and_withdraws_a_deduction() {
    let mut harness = world_with_personal_indicators();
    let now = at(6, 20, 9, 0);
    let decided = harness.when(&office(), now, personal_deduction(300));
    let id = decided.new_id;
    decided.then_event(PersonalIndicatorAssessed {
        assessment_id: AssessmentId(id),
        unit: unit("YS07"),
        year: 2017,
        indicator: indicator(PERSONAL),
        person: person("YS07-0201"),
        period: period(JUNE),
        outcome: PersonalOutcome::Deduction { points: Points(300) },
        reason: PersonalText::Plain("registration data cleaned late".to_owned()),
    });
    let first = harness.given(&office(), now, personal_deduction(300));
    harness.given(&office(), now, personal_deduction(500));
    // 10.00 − 3.00 − 5.00 leaves 2.00.
    let rejection = harness
        .when(&office(), now, personal_deduction(201))
        .then_rejected(Code::PointsExceedRemaining, "outcome.points");
    assert!(rejection.message.contains("exceeds the 2.00 left"), "{}", rejection.message);
    let withdraw = assess(PERSONAL, PersonalOutcome::Withdrawal { assessment_id: AssessmentId(first) });
    harness.given(&office(), now, withdraw.clone());
    let plan = harness.facts.personal_plan(&unit("YS07"), 2017).expect("a plan");
    assert_eq!(plan.indicators[&indicator(PERSONAL)].score(period(JUNE)), (Points(500), false));
    // Withdrawn once: not again; what was withdrawn is left again.
    harness.when(&office(), now, withdraw).then_rejected(Code::UnknownAssessment, "outcome.assessment_id");
    harness.when(&office(), now, personal_deduction(500)).then_events();

    let tier_id = harness.given(&office(), now, assess(PERSONAL_TIERED, PersonalOutcome::Tier { tier: 2 }));
    let plan = harness.facts.personal_plan(&unit("YS07"), 2017).expect("a plan");
    assert_eq!(plan.indicators[&indicator(PERSONAL_TIERED)].score(period(JUNE)), (Points(320), false), "4.00 × 800‰");
    assert_eq!(plan.indicators[&indicator(PERSONAL_TIERED)].score(period("2017-05")), (Points(400), true));
    let withdraw_tier = assess(PERSONAL_TIERED, PersonalOutcome::Withdrawal { assessment_id: AssessmentId(tier_id) });
    harness.when(&office(), now, withdraw_tier).then_rejected(Code::UnknownAssessment, "outcome.assessment_id");
}

#[test]
fn personal_assessments_are_refused_outside_the_rules() {
    let mut harness = world_with_personal_indicators();
    let now = at(6, 20, 9, 0);
    let zero = personal_deduction(0);
    harness.when(&office(), now, zero).then_rejected(Code::PointsNotPositive, "outcome.points");
    let tier_on_deduct = assess(PERSONAL, PersonalOutcome::Tier { tier: 1 });
    harness.when(&office(), now, tier_on_deduct).then_rejected(Code::IndicatorNotTiered, "outcome");
    let deduction_on_tiered = assess(PERSONAL_TIERED, PersonalOutcome::Deduction { points: Points(100) });
    harness.when(&office(), now, deduction_on_tiered).then_rejected(Code::IndicatorNotDeduct, "outcome");
    let tier_five = assess(PERSONAL_TIERED, PersonalOutcome::Tier { tier: 5 });
    harness.when(&office(), now, tier_five).then_rejected(Code::TierOutOfRange, "outcome.tier");
    let unknown = assess("P-0201-99", PersonalOutcome::Deduction { points: Points(100) });
    harness.when(&office(), now, unknown).then_rejected(Code::UnknownIndicator, "indicator");
    let july = AssessPersonalIndicator { period: period("2017-07"), ..personal_deduction(100) };
    harness.when(&office(), now, july).then_rejected(Code::UnknownPeriod, "period");
    let never_withdrawn = assess(PERSONAL, PersonalOutcome::Withdrawal { assessment_id: AssessmentId(Uuid::nil()) });
    harness.when(&office(), now, never_withdrawn).then_rejected(Code::UnknownAssessment, "outcome.assessment_id");
    let other_office = actor("office.ys08", Role::Office, "YS08");
    harness.when(&other_office, now, personal_deduction(100)).then_rejected(Code::OutOfScope, "actor.unit");
    // An indicator counting from July takes nothing for June.
    let from_july =
        DefinePersonalIndicator { effective_from: Some(period("2017-07")), ..define_personal("P-0201-03", 500) };
    harness.given(&office(), now, from_july);
    let early = assess("P-0201-03", PersonalOutcome::Deduction { points: Points(100) });
    harness.when(&office(), now, early).then_rejected(Code::IndicatorNotApplicable, "period");
}

// ---- Weekly records ------------------------------------------------------------------------------

#[test]
fn a_person_files_their_own_weekly_record_once_per_week() {
    let mut harness = world_with_personal_indicators();
    // SZ-07 of the city's scheme, led by YS07-ZGG with YS07-0201 responsible for it.
    let assignment = AssignIndicator { responsible_person: Some(person("YS07-0201")), ..assign(OTHER, "YS07-ZGG") };
    harness.given(&office(), at(6, 2, 10, 0), assignment);
    let refs = vec![
        IndicatorRef::Personal { indicator: indicator(PERSONAL) },
        IndicatorRef::Scheme { scheme: scheme(), indicator: indicator(OTHER) },
    ];
    let with_refs = FileWeeklyRecord { indicators: refs.clone(), ..file("2017-W23") };
    harness.when(&staff(), at(6, 9, 9, 0), with_refs.clone()).then_event(WeeklyRecordFiled {
        person: person("YS07-0201"),
        week: week("2017-W23"),
        unit: unit("YS07-ZGG"),
        text: "cleaned 120 registrations".into(),
        indicators: refs,
    });
    harness.given(&staff(), at(6, 9, 9, 0), with_refs);
    let rejection =
        harness.when(&staff(), at(6, 10, 9, 0), file("2017-W23")).then_rejected(Code::WeeklyRecordExists, "week");
    assert!(rejection.message.contains("one record per week"), "{}", rejection.message);
    // A week that has begun may be filed; one that has not may not (06-12 is W24's Monday).
    harness.when(&staff(), at(6, 12, 1, 0), file("2017-W24")).then_events();
    let rejection = harness.when(&staff(), at(6, 11, 9, 0), file("2017-W24")).then_rejected(Code::NotBegun, "week");
    assert_eq!(rejection.message, "week: 2017-W24 begins on 2017-06-12, after today (2017-06-11)");
}

#[test]
fn weekly_records_are_refused_for_others_and_for_indicators_not_carried() {
    let mut harness = world_with_personal_indicators();
    let now = at(6, 9, 9, 0);
    let for_the_chief = FileWeeklyRecord { person: person("YS07-0202"), ..file("2017-W23") };
    let rejection = harness.when(&staff(), now, for_the_chief).then_rejected(Code::OutOfScope, "person");
    assert!(rejection.message.contains("speaks for person YS07-0201"), "{}", rejection.message);
    let unbound = actor("person.ys07.unbound", Role::Person, "YS07-ZGG");
    let rejection = harness.when(&unbound, now, file("2017-W23")).then_rejected(Code::OutOfScope, "person");
    assert!(rejection.message.contains("speaks for no person"), "{}", rejection.message);
    harness.when(&chief(), now, file("2017-W23")).then_rejected(Code::RoleNotAllowed, "actor.role");
    // SZ-07 is not assigned to YS07-0201; the chief's indicators are not theirs.
    let not_carried = FileWeeklyRecord {
        indicators: vec![IndicatorRef::Scheme { scheme: scheme(), indicator: indicator(OTHER) }],
        ..file("2017-W23")
    };
    harness.when(&staff(), now, not_carried).then_rejected(Code::IndicatorNotApplicable, "indicators.0");
    let twice = FileWeeklyRecord {
        indicators: vec![IndicatorRef::Personal { indicator: indicator(PERSONAL) }; 2],
        ..file("2017-W23")
    };
    harness.when(&staff(), now, twice).then_rejected(Code::InvalidValue, "indicators.1");
    let theirs = DefinePersonalIndicator { person: person("YS07-0202"), ..define_personal("P-0202-01", 500) };
    harness.given(&office(), now, theirs);
    let chiefs = FileWeeklyRecord {
        indicators: vec![IndicatorRef::Personal { indicator: indicator("P-0202-01") }],
        ..file("2017-W23")
    };
    harness.when(&staff(), now, chiefs).then_rejected(Code::IndicatorNotApplicable, "indicators.0");
    // A personal indicator counting from July is not carried in a June week.
    let from_july =
        DefinePersonalIndicator { effective_from: Some(period("2017-07")), ..define_personal("P-0201-03", 500) };
    harness.given(&office(), now, from_july);
    let early = FileWeeklyRecord {
        indicators: vec![IndicatorRef::Personal { indicator: indicator("P-0201-03") }],
        ..file("2017-W23")
    };
    harness.when(&staff(), now, early).then_rejected(Code::IndicatorNotApplicable, "indicators.0");
    let blank = FileWeeklyRecord { text: " ".to_owned(), ..file("2017-W23") };
    harness.when(&staff(), now, blank).then_rejected(Code::InvalidText, "text");
    // A retired person files nothing more.
    harness.given(&admin(), now, RetirePerson { person: person("YS07-0201"), reason: "retired".to_owned() });
    harness.when(&staff(), at(6, 12, 9, 0), file("2017-W24")).then_rejected(Code::PersonRetired, "person");
}

#[test]
fn a_weekly_record_names_the_unit_of_the_weeks_thursday() {
    let mut harness = people_world();
    // Moved to YS07-BGS from Friday 2017-06-16: W24 (06-12 to 06-18) is still a YS07-ZGG week.
    let moved =
        MovePerson { person: person("YS07-0201"), to_unit: unit("YS07-BGS"), effective_on: Some(day("2017-06-16")) };
    harness.given(&admin(), at(6, 14, 9, 0), moved);
    let events = harness.when(&staff(), at(6, 19, 1, 0), file("2017-W24")).then_events();
    let [Event::WeeklyRecordFiled(filed)] = &events[..] else { panic!("{events:?}") };
    assert_eq!(filed.unit, unit("YS07-ZGG"));
    harness.given(&staff(), at(6, 19, 1, 0), file("2017-W24"));
    harness.when(&chief(), at(6, 19, 2, 0), comment("YS07-0201", "2017-W24")).then_events();
    let events = harness.when(&staff(), at(6, 19, 1, 0), file("2017-W25")).then_events();
    let [Event::WeeklyRecordFiled(filed)] = &events[..] else { panic!("{events:?}") };
    assert_eq!(filed.unit, unit("YS07-BGS"));
    // Registered on Friday 06-16, YS07-0203 was in no unit on W24's Thursday: the week is not theirs.
    let newcomer = RegisterPerson { person: person("YS07-0203"), name: "new".to_owned(), unit: unit("YS07-ZGG") };
    harness.given(&admin(), at(6, 16, 1, 0), newcomer);
    let token = actor("person.ys07.0203", Role::Person, "YS07-ZGG");
    harness.given(&admin(), at(6, 16, 1, 0), bound('a', &token, "YS07-0203"));
    let theirs = FileWeeklyRecord { person: person("YS07-0203"), ..file("2017-W24") };
    let rejection = harness.when(&token, at(6, 16, 2, 0), theirs.clone()).then_rejected(Code::InvalidValue, "week");
    assert_eq!(rejection.message, "week: YS07-0203 was in no unit on 2017-06-15, the Thursday of 2017-W24");
    let next = FileWeeklyRecord { week: week("2017-W25"), ..theirs };
    harness.when(&token, at(6, 19, 2, 0), next).then_events();
}

#[test]
fn a_leader_comments_on_the_weekly_records_in_its_scope_but_not_on_its_own() {
    let mut harness = people_world();
    harness.given(&staff(), at(6, 9, 9, 0), file("2017-W23"));
    harness.given(
        &chief_as_staff(),
        at(6, 9, 9, 0),
        FileWeeklyRecord { person: person("YS07-0202"), ..file("2017-W23") },
    );
    let now = at(6, 10, 9, 0);
    harness.when(&chief(), now, comment("YS07-0201", "2017-W23")).then_event(WeeklyRecordCommented {
        person: person("YS07-0201"),
        week: week("2017-W23"),
        comment: "thorough work".into(),
    });
    harness.when(&leader_in_charge(), now, comment("YS07-0201", "2017-W23")).then_events();
    harness.given(&chief(), now, comment("YS07-0201", "2017-W23"));
    harness.given(&leader_in_charge(), now, comment("YS07-0201", "2017-W23"));
    let record = &harness.facts.people.weekly_records[&person("YS07-0201")][&week("2017-W23")];
    let commenters: Vec<&str> = record.comments.iter().map(|c| c.event.actor_id.as_str()).collect();
    assert_eq!(commenters, ["leader.ys07zgg.chen", "leader.ys07.liu"]);

    let rejection =
        harness.when(&chief(), now, comment("YS07-0202", "2017-W23")).then_rejected(Code::SelfReview, "person");
    assert!(rejection.message.contains("leader.ys07zgg.chen speaks for YS07-0202"), "{}", rejection.message);
    harness.when(&leader_in_charge(), now, comment("YS07-0202", "2017-W23")).then_events();
    let rejection =
        harness.when(&chief(), now, comment("YS07-0201", "2017-W22")).then_rejected(Code::UnknownWeeklyRecord, "week");
    assert_eq!(rejection.message, "week: YS07-0201 filed no record for 2017-W22");
    harness.when(&chief(), now, comment("YS07-9999", "2017-W23")).then_rejected(Code::UnknownPerson, "person");
    harness.when(&other_chief(), now, comment("YS07-0201", "2017-W23")).then_rejected(Code::OutOfScope, "actor.unit");
    let blank = CommentWeeklyRecord { comment: String::new(), ..comment("YS07-0201", "2017-W23") };
    harness.when(&chief(), now, blank).then_rejected(Code::InvalidText, "comment");
    harness.when(&office(), now, comment("YS07-0201", "2017-W23")).then_rejected(Code::RoleNotAllowed, "actor.role");
}

// ---- Leader reviews ------------------------------------------------------------------------------

#[test]
fn a_leader_reviews_the_persons_in_its_scope_each_quarter() {
    let mut harness = people_world();
    let now = at(6, 25, 9, 0);
    harness.when(&chief(), now, review("YS07-0201", "2017-Q2", 8800)).then_event(PersonReviewed {
        person: person("YS07-0201"),
        quarter: period("2017-Q2"),
        score: Points(8800),
        comment: "steady and careful".into(),
    });
    harness.when(&leader_in_charge(), now, review("YS07-0201", "2017-Q2", 10_000)).then_events();
    harness.when(&chief(), now, review("YS07-0201", "2017-Q2", 0)).then_events();
    // The quarter has begun (Q2 began 04-01), and may be an earlier one.
    harness.when(&chief(), now, review("YS07-0201", "2017-Q1", 9000)).then_events();

    let rejection =
        harness.when(&chief(), now, review("YS07-0201", "2017-Q3", 9000)).then_rejected(Code::NotBegun, "quarter");
    assert_eq!(rejection.message, "quarter: 2017-Q3 begins on 2017-07-01, after today (2017-06-25)");
    let rejection =
        harness.when(&chief(), now, review("YS07-0202", "2017-Q2", 9000)).then_rejected(Code::SelfReview, "person");
    assert!(rejection.message.contains("who is not reviewed by themselves"), "{}", rejection.message);
    harness.when(&chief(), now, review("YS07-0201", "2017-06", 9000)).then_rejected(Code::InvalidValue, "quarter");
    harness.when(&chief(), now, review("YS07-0201", "2017-Q2", 10_001)).then_rejected(Code::InvalidValue, "score");
    harness.when(&chief(), now, review("YS07-0201", "2017-Q2", -1)).then_rejected(Code::InvalidValue, "score");
    harness
        .when(&other_chief(), now, review("YS07-0201", "2017-Q2", 9000))
        .then_rejected(Code::OutOfScope, "actor.unit");
    // YS07-0001 works in the county itself, outside the section chief's scope.
    harness.when(&chief(), now, review("YS07-0001", "2017-Q2", 9000)).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&chief(), now, review("YS07-9999", "2017-Q2", 9000)).then_rejected(Code::UnknownPerson, "person");
    harness
        .when(&committee(), now, review("YS07-0201", "2017-Q2", 9000))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
}

#[test]
fn a_person_who_left_the_section_during_the_quarter_may_still_be_reviewed_there() {
    let mut harness = people_world();
    let moved =
        MovePerson { person: person("YS07-0201"), to_unit: unit("YS08-ZGG"), effective_on: Some(day("2017-05-15")) };
    harness.given(&admin(), at(5, 14, 9, 0), moved);
    harness.when(&chief(), at(6, 25, 9, 0), review("YS07-0201", "2017-Q2", 8000)).then_events();
    harness.when(&other_chief(), at(6, 25, 9, 0), review("YS07-0201", "2017-Q2", 8000)).then_events();
    // In Q3 (so far) they belong to YS08-ZGG only.
    harness
        .when(&chief(), at(7, 3, 9, 0), review("YS07-0201", "2017-Q3", 8000))
        .then_rejected(Code::OutOfScope, "actor.unit");
}

// ---- Final months hold personal scores still ---------------------------------------------------------

/// June of the city's scheme published on 07-12 and final on 07-18: YS07 has no scheme of its own, so
/// its persons' scores count the city's months.
fn june_final(harness: &mut Harness) {
    given_published(harness, JUNE, at(7, 12, 9, 0));
    harness.given(&committee(), at(7, 18, 9, 0), finalise(JUNE));
}

#[test]
fn a_personal_indicator_reaches_into_no_final_month() {
    let mut harness = people_world();
    june_final(&mut harness);
    let now = at(7, 20, 9, 0);
    let rejection = harness
        .when(&office(), now, define_personal(PERSONAL, 1000))
        .then_rejected(Code::PeriodFinal, "effective_from");
    assert_eq!(
        rejection.message,
        "effective_from: 2017-06 is final in YS-2017, which YS07-0201's score of 2017-Q2 counts; a personal \
         indicator from 2017-01 would change it"
    );
    let from_june = DefinePersonalIndicator { effective_from: Some(period(JUNE)), ..define_personal(PERSONAL, 1000) };
    harness.when(&office(), now, from_june).then_rejected(Code::PeriodFinal, "effective_from");
    let from_july =
        DefinePersonalIndicator { effective_from: Some(period("2017-07")), ..define_personal(PERSONAL, 1000) };
    harness.when(&office(), now, from_july).then_events();
}

#[test]
fn a_week_of_a_final_month_takes_no_record() {
    let mut harness = people_world();
    june_final(&mut harness);
    let now = at(7, 20, 9, 0);
    let rejection = harness.when(&staff(), now, file("2017-W25")).then_rejected(Code::PeriodFinal, "week");
    assert_eq!(
        rejection.message,
        "week: 2017-W25 belongs to 2017-06 (its Thursday 2017-06-22), which is final in YS-2017; a record filed now \
         would change YS07-0201's score of 2017-Q2"
    );
    // W26 (06-26 to 07-02) is June's too, by its Thursday; W27 is July's, which is not final.
    harness.when(&staff(), now, file("2017-W26")).then_rejected(Code::PeriodFinal, "week");
    harness.when(&staff(), now, file("2017-W27")).then_events();
}

#[test]
fn a_week_is_held_by_the_countys_own_month_when_the_county_has_a_scheme() {
    let mut harness = crate::own_scheme_fixture::own_june();
    harness.given(&admin(), at(6, 1, 9, 0), bound('d', &staff(), "YS07-0201"));
    given_published(&mut harness, JUNE, at(7, 1, 8, 0));
    harness.given(&county_committee(), at(7, 1, 9, 0), crate::own_scheme_fixture::publish_own(JUNE));
    harness.given(&committee(), at(7, 7, 9, 0), finalise(JUNE));
    // The city's June is final, but YS07-0201's score counts YS07-2017, whose June is only published.
    harness.when(&staff(), at(7, 7, 10, 0), file("2017-W25")).then_events();
    harness.given(&county_committee(), at(7, 7, 10, 0), crate::own_scheme_fixture::finalise_own(JUNE));
    let rejection = harness.when(&staff(), at(7, 7, 11, 0), file("2017-W25")).then_rejected(Code::PeriodFinal, "week");
    assert!(rejection.message.contains("which is final in YS07-2017"), "{}", rejection.message);
}

#[test]
fn a_quarter_whose_months_are_all_final_takes_no_review() {
    let mut harness = people_world();
    june_final(&mut harness);
    // Only June of Q2 is final: the quarter's reviews still count towards months that are not.
    harness.when(&chief(), at(7, 20, 9, 0), review("YS07-0201", "2017-Q2", 8800)).then_events();
    for month in ["2017-04", "2017-05"] {
        harness.given(&admin(), at(7, 20, 10, 0), OpenPeriod { scheme: scheme(), period: period(month) });
        given_published(&mut harness, month, at(7, 21, 9, 0));
        harness.given(&committee(), at(7, 27, 9, 0), finalise(month));
    }
    let now = at(7, 28, 9, 0);
    let rejection =
        harness.when(&chief(), now, review("YS07-0201", "2017-Q2", 8800)).then_rejected(Code::PeriodFinal, "quarter");
    assert_eq!(
        rejection.message,
        "quarter: every base period of 2017-Q2 is final in YS-2017 (2017-04, 2017-05, 2017-06), and YS07-0201's \
         score of it counts them; it takes no review any more"
    );
    harness
        .when(&leader_in_charge(), now, review("YS07-0201", "2017-Q2", 9000))
        .then_rejected(Code::PeriodFinal, "quarter");
    harness.when(&chief(), now, review("YS07-0201", "2017-Q3", 8800)).then_events();
}

#[test]
fn a_countys_rules_change_only_while_no_month_of_the_year_is_final() {
    let mut harness = people_world();
    harness.given(&county_committee(), at(6, 5, 9, 0), rules());
    june_final(&mut harness);
    let rejection =
        harness.when(&county_committee(), at(7, 20, 9, 0), rules()).then_rejected(Code::PeriodFinal, "year");
    assert_eq!(
        rejection.message,
        "year: 2017-06 is final in YS-2017; YS07's rules of 2017 count for every quarter of the year, so they may \
         change only while none of its base periods is final"
    );
    assert_eq!(harness.facts.personal_rules(&unit("YS07"), 2017).excellent_quota_percent, 15, "the rules set stand");
}

#[test]
fn a_move_reaches_into_no_final_month() {
    let mut harness = people_world();
    june_final(&mut harness);
    let now = at(7, 20, 9, 0);
    let move_on = |effective_on: Option<&str>| MovePerson {
        person: person("YS07-0201"),
        to_unit: unit("YS07-BGS"),
        effective_on: effective_on.map(day),
    };
    let rejection =
        harness.when(&admin(), now, move_on(Some("2017-06-20"))).then_rejected(Code::PeriodFinal, "effective_on");
    assert_eq!(
        rejection.message,
        "effective_on: 2017-06 is final in YS-2017, whose months YS07's personal scores count; a move effective on \
         2017-06-20 would change YS07-0201's scores there"
    );
    // Into another county: its persons' scores count the same city's months.
    let to_ys08 = MovePerson { to_unit: unit("YS08-ZGG"), ..move_on(Some("2017-06-30")) };
    harness.when(&admin(), now, to_ys08).then_rejected(Code::PeriodFinal, "effective_on");
    harness.when(&admin(), now, move_on(Some("2017-07-01"))).then_events();
    harness.when(&admin(), now, move_on(None)).then_events();
}

// ---- Rules ---------------------------------------------------------------------------------------

pub(crate) fn rules() -> SetPersonalRules {
    SetPersonalRules {
        unit: unit("YS07"),
        year: 2017,
        weights: PartWeights { section: 50, review: 30, indicators: 20 },
        tier_shares_percent: vec![20, 60, 20],
        excellent_quota_percent: 15,
        missing_week_deduction: Points(50),
    }
}

#[test]
fn a_countys_committee_sets_its_individual_rules() {
    let mut harness = people_world();
    let now = at(6, 5, 9, 0);
    harness.when(&county_committee(), now, rules()).then_event(PersonalRulesSet {
        unit: unit("YS07"),
        year: 2017,
        weights: PartWeights { section: 50, review: 30, indicators: 20 },
        tier_shares_percent: vec![20, 60, 20],
        excellent_quota_percent: 15,
        missing_week_deduction: Points(50),
    });
    assert_eq!(
        harness.facts.personal_rules(&unit("YS07"), 2017).weights,
        PartWeights { section: 40, review: 30, indicators: 30 }
    );
    assert_eq!(harness.facts.personal_rules(&unit("YS07"), 2017).tier_shares_percent, [30, 50, 20]);
    assert_eq!(harness.facts.personal_rules(&unit("YS07"), 2017).excellent_quota_percent, 20);
    harness.given(&county_committee(), now, rules());
    assert_eq!(harness.facts.personal_rules(&unit("YS07"), 2017).excellent_quota_percent, 15);
    assert_eq!(
        harness.facts.personal_rules(&unit("YS08"), 2017).excellent_quota_percent,
        20,
        "YS08 keeps the defaults"
    );

    let zero = SetPersonalRules { weights: PartWeights { section: 0, review: 0, indicators: 0 }, ..rules() };
    harness.when(&county_committee(), now, zero).then_rejected(Code::InvalidValue, "weights");
    let heavy = SetPersonalRules { weights: PartWeights { section: 101, review: 0, indicators: 0 }, ..rules() };
    harness.when(&county_committee(), now, heavy).then_rejected(Code::InvalidValue, "weights");
    let shares = SetPersonalRules { tier_shares_percent: vec![30, 50], ..rules() };
    harness.when(&county_committee(), now, shares).then_rejected(Code::InvalidValue, "tier_shares_percent");
    let quota = SetPersonalRules { excellent_quota_percent: 101, ..rules() };
    harness.when(&county_committee(), now, quota).then_rejected(Code::InvalidValue, "excellent_quota_percent");
    let negative = SetPersonalRules { missing_week_deduction: Points(-1), ..rules() };
    harness.when(&county_committee(), now, negative).then_rejected(Code::InvalidValue, "missing_week_deduction");
    // The city's committee does not set a county's rules, nor a section's.
    harness.when(&committee(), now, rules()).then_rejected(Code::OutOfScope, "actor.unit");
    let section = SetPersonalRules { unit: unit("YS07-ZGG"), ..rules() };
    harness.when(&county_committee(), now, section).then_rejected(Code::InvalidValue, "unit");
    let far = SetPersonalRules { year: 1999, ..rules() };
    harness.when(&county_committee(), now, far).then_rejected(Code::InvalidValue, "year");
}

// ---- Annual grades -------------------------------------------------------------------------------

const RANKED: [&str; 10] = [
    "YS07-0211",
    "YS07-0212",
    "YS07-0213",
    "YS07-0214",
    "YS07-0215",
    "YS07-0216",
    "YS07-0217",
    "YS07-0218",
    "YS07-0219",
    "YS07-0201",
];

/// Ten participants in YS07-ZGG (YS07-0201 and nine more), reviewed for Q2 by the leader in charge
/// 95.00, 94.00, … 86.00 in `RANKED` order; ZG-04 (led by YS07-ZGG) loses 0.50 in June, and June is
/// published on 07-12. Nobody carries an indicator, so each annual score is the Q2 score: the
/// section's final (75.00) at 40 and the review at 30, of 70.
fn ranked_world() -> Harness {
    let mut harness = world();
    for id in &RANKED[..9] {
        let register = RegisterPerson { person: person(id), name: format!("person {id}"), unit: unit("YS07-ZGG") };
        harness.given(&admin(), at(1, 4, 9, 0), register);
    }
    harness.given(&assessor(), at(6, 20, 9, 0), deduction(50));
    for (index, id) in RANKED.iter().enumerate() {
        let score = 9500 - 100 * i64::try_from(index).expect("ten");
        harness.given(&leader_in_charge(), at(6, 25, 9, 0), review(id, "2017-Q2", score));
    }
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness
}

fn today() -> Date {
    day("2017-07-15")
}

#[test]
fn participants_are_ranked_on_their_annual_score_in_tiers_of_30_50_20() {
    let harness = ranked_world();
    let projection = Projection::fold(&harness.events).expect("fold");
    let ranking = projection.individual_ranking(&unit("YS07"), 2017, Counting::Published, today());
    assert_eq!((ranking.participants, ranking.excellent_quota, ranking.excellent_graded), (10, 2, 0));
    assert!(ranking.unranked.is_empty(), "{:?}", ranking.unranked);
    let standings: Vec<(&str, i64, u32, u32)> = ranking
        .standings
        .iter()
        .map(|line| (line.person.as_str(), line.annual_score.0, line.rank, line.tier))
        .collect();
    // (7500 × 40 + review × 30) / 70, half-up: 95.00 → 83.57, 94.00 → 83.14, …
    let expected: Vec<(&str, i64, u32, u32)> = RANKED
        .iter()
        .enumerate()
        .map(|(index, id)| {
            let review = 9500 - 100 * i64::try_from(index).unwrap();
            let score = divide_round_half_up(7500 * 40 + review * 30, 70);
            let place = u32::try_from(index).unwrap() + 1;
            let tier = match place {
                1..=3 => 1,
                4..=8 => 2,
                _ => 3,
            };
            (*id, score, place, tier)
        })
        .collect();
    assert_eq!(standings, expected);
    assert_eq!(standings[0].1, 8357);
    assert_eq!(ranking.standings[0].section, Some(unit("YS07-ZGG")));
    // YS07-0001 works in the county itself, not in a section: no participant.
    assert!(ranking.standing(&person("YS07-0001")).is_none() && !ranking.unranked.contains(&person("YS07-0001")));
}

/// A basis is checked as of the head's day, not of the last event about its view: a week that ends
/// without its record costs its deduction with no event of its own, so an individual ranking read in
/// August stands lower in October though nothing about the persons was recorded in between.
#[test]
fn a_basis_on_an_individual_ranking_is_checked_as_of_the_heads_day() {
    let mut harness = ranked_world();
    harness.given(&admin(), at(7, 12, 10, 0), OpenPeriod { scheme: scheme(), period: period("2017-07") });
    harness.given(&county_committee(), at(7, 13, 9, 0), rules());
    for id in &RANKED {
        harness.given(&leader_in_charge(), at(7, 20, 9, 0), review(id, "2017-Q3", 9000));
    }
    given_published(&mut harness, "2017-07", at(8, 10, 9, 0));
    let read_seq = u64::try_from(harness.events.len()).unwrap();
    // Nothing that moves a score: a token, in October.
    harness.given(&admin(), at(10, 16, 9, 0), bound('c', &staff(), "YS07-0201"));

    let view = ResultView::IndividualRanking { unit: unit("YS07"), year: 2017 };
    let subject = ResultSubject::Person { person: person("YS07-0201") };
    let basis = Basis { subject, view, read_seq };
    let (before, after) = harness.events.split_at(harness.events.len() - 1);
    let start = Projection::fold(before).expect("fold");
    let [check] = &check_bases(&start, after, &[basis]).expect("checked")[..] else { panic!("one check") };

    let standing = |today: &str| {
        let projection = Projection::fold(&harness.events).expect("fold");
        let ranking = projection.individual_ranking(&unit("YS07"), 2017, Counting::Published, day(today));
        ranking.standing(&person("YS07-0201")).map(|line| (line.rank, line.tier, line.annual_score))
    };
    let place = |standing: Option<ViewStanding>| standing.map(|s| (s.rank, s.tier, s.score));
    assert_eq!(place(check.at_read), standing("2017-08-10"));
    assert_eq!(place(check.now), standing("2017-10-16"), "now is read on the head's day");
    let (read, now) = (check.at_read.unwrap(), check.now.unwrap());
    assert!(now.score < read.score, "Q3's weeks without a record cost points by October: {read:?} → {now:?}");
    // Everyone missed the same weeks: the place holds, and nothing is listed as having moved it.
    assert_eq!((now.rank, now.tier), (read.rank, read.tier));
    assert!(check.holds_now && check.changes.is_empty(), "{check:?}");
}

/// A basis check looks again at an individual ranking on each later day only while a week of its
/// year is still open; what it says must be what ranking the chain again after every single event
/// says. Here every week goes unfiled, so each week that ends costs everyone the same: the last one
/// of 2017 ends on Sunday 12-31, so the score still drops on 2018-01-01 and never after.
#[test]
fn a_basis_check_follows_time_until_the_last_week_of_the_year_is_over() {
    let mut harness = ranked_world();
    harness.given(&county_committee(), at(7, 13, 9, 0), rules());
    for month in ["2017-07", "2017-08", "2017-09", "2017-10"] {
        harness.given(&admin(), at(7, 12, 10, 0), OpenPeriod { scheme: scheme(), period: period(month) });
    }
    given_published(&mut harness, "2017-07", at(8, 10, 9, 0));
    let read_seq = u64::try_from(harness.events.len()).unwrap();
    given_published(&mut harness, "2017-10", at(11, 10, 9, 0));
    let days = [(2017, 12, 30), (2017, 12, 31), (2018, 1, 1), (2018, 1, 10), (2018, 2, 1)];
    for (fill, (year, month, day_of_month)) in ('a'..='f').zip(days) {
        let when = Timestamp::from_civil(year, month, day_of_month, 9, 0, 0).unwrap();
        harness.given(&admin(), when, bound(fill, &staff(), "YS07-0201"));
    }

    let view = ResultView::IndividualRanking { unit: unit("YS07"), year: 2017 };
    let subject = person("YS07-0201");
    let basis = Basis { subject: ResultSubject::Person { person: subject.clone() }, view, read_seq };
    let split = usize::try_from(read_seq).unwrap();
    let start = Projection::fold(&harness.events[..split]).expect("fold");
    let [check] = &check_bases(&start, &harness.events[split..], &[basis]).expect("checked")[..] else {
        panic!("one check")
    };

    // The same, the slow way: the ranking again after every event, on that event's day.
    let time_zone = start.facts().time_zone();
    let standing_after = |events: usize| {
        let projection = Projection::fold(&harness.events[..events]).expect("fold");
        let today = Date::of_instant(projection.recorded_at(), time_zone);
        let ranking = projection.individual_ranking(&unit("YS07"), 2017, Counting::Published, today);
        ranking.standing(&subject).map(|line| (line.rank, line.tier, line.annual_score))
    };
    let place = |standing: Option<ViewStanding>| standing.map(|s| (s.rank, s.tier, s.score));
    let every: Vec<_> = (split..=harness.events.len()).map(standing_after).collect();
    assert_eq!(place(check.at_read), every[0]);
    assert_eq!(place(check.now), *every.last().unwrap(), "now, as ranked after the last event");
    let moved: Vec<u64> = (1..every.len())
        .filter(|&at| {
            every[at].map(|(rank, tier, _)| (rank, tier)) != every[at - 1].map(|(rank, tier, _)| (rank, tier))
        })
        .map(|at| harness.events[split + at - 1].seq)
        .collect();
    assert_eq!(check.changes.iter().map(|change| change.event.seq).collect::<Vec<_>>(), moved);
    let score = |at: usize| every[every.len() - at].unwrap().2;
    assert!(score(3) < score(4), "2018-01-01: the week that ended on 12-31 costs its deduction: {every:?}");
    assert_eq!((score(1), score(2)), (score(3), score(3)), "and no later day costs more");
}

#[test]
fn excellent_goes_only_to_the_first_tier_and_within_the_quota() {
    let mut harness = ranked_world();
    let now = at(7, 15, 9, 0);
    let committee = county_committee();
    let excellent = |id: &str| grade(id, AnnualGrade::Excellent);
    // Rank 1 and 2 (of tier 1, quota 2 of 10): accepted, with the ranking they were checked against.
    let decided = decide_with_basis(
        &harness,
        &committee,
        now,
        excellent("YS07-0211"),
        standing_basis(&harness, "YS07-0211", today()),
    );
    assert_eq!(
        decided.expect("accepted"),
        vec![Event::from(GradeRecorded {
            unit: unit("YS07"),
            year: 2017,
            person: person("YS07-0211"),
            grade: AnnualGrade::Excellent,
            reason: None,
            basis: GradeBasis {
                participants: 10,
                ranked: 10,
                excellent_quota: 2,
                excellent_graded: 1,
                annual_score: Some(Points(8357)),
                rank: Some(1),
                tier: Some(1),
            },
        })]
    );
    for id in ["YS07-0211", "YS07-0212"] {
        let events = decide_with_basis(&harness, &committee, now, excellent(id), standing_basis(&harness, id, today()))
            .expect("accepted");
        harness.given_events(&committee, now, events);
    }
    // Rank 3 is in tier 1 too, but the quota of 2 is used up.
    let rejection = rejected(
        decide_with_basis(
            &harness,
            &committee,
            now,
            excellent("YS07-0213"),
            standing_basis(&harness, "YS07-0213", today()),
        ),
        Code::GradeQuotaExceeded,
        "grade",
    );
    assert_eq!(
        rejection.message,
        "grade: 3 优秀 would exceed the quota of 2 of 10 (20 % of the participants, rounded down)"
    );
    // Rank 4 is in tier 2.
    let rejection = rejected(
        decide_with_basis(
            &harness,
            &committee,
            now,
            excellent("YS07-0214"),
            standing_basis(&harness, "YS07-0214", today()),
        ),
        Code::GradeNotInFirstTier,
        "grade",
    );
    assert!(rejection.message.contains("is in tier 2 (rank 4 of 10 ranked"), "{}", rejection.message);
    // Recording 优秀 again for someone who has it does not count twice.
    let again = decide_with_basis(
        &harness,
        &committee,
        now,
        excellent("YS07-0212"),
        standing_basis(&harness, "YS07-0212", today()),
    )
    .expect("accepted");
    let [Event::GradeRecorded(recorded)] = &again[..] else { panic!("{again:?}") };
    assert_eq!(recorded.basis.excellent_graded, 2);
    // Once YS07-0212 is graded otherwise, rank 3 may have 优秀.
    harness.given(&committee, now, grade("YS07-0212", AnnualGrade::Competent));
    decide_with_basis(
        &harness,
        &committee,
        now,
        excellent("YS07-0213"),
        standing_basis(&harness, "YS07-0213", today()),
    )
    .expect("a place under the quota again");
    // Without the ranking read (not through the service), 优秀 is not decided at all.
    harness.when(&committee, now, excellent("YS07-0213")).then_rejected(Code::InvalidValue, "grade");
    let projection = Projection::fold(&harness.events).expect("fold");
    let ranking = projection.individual_ranking(&unit("YS07"), 2017, Counting::Published, today());
    assert_eq!(ranking.excellent_graded, 1);
    assert_eq!(ranking.standing(&person("YS07-0212")).and_then(|line| line.grade), Some(AnnualGrade::Competent));
}

#[test]
fn an_unranked_participant_is_not_excellent() {
    let mut harness = ranked_world();
    let register = RegisterPerson { person: person("YS07-0220"), name: "new".to_owned(), unit: unit("YS07-ZGG") };
    harness.given(&admin(), at(7, 13, 9, 0), register);
    let basis = standing_basis(&harness, "YS07-0220", today());
    let decided = decide_with_basis(
        &harness,
        &county_committee(),
        at(7, 15, 9, 0),
        grade("YS07-0220", AnnualGrade::Excellent),
        basis,
    );
    // Registered in July, YS07-0220 counts in no published month: no annual score.
    let rejection = rejected(decided, Code::GradeNotInFirstTier, "grade");
    assert!(rejection.message.contains("has no annual score (unranked)"), "{}", rejection.message);
}

#[test]
fn other_grades_need_a_participant_and_the_low_ones_a_reason() {
    let mut harness = ranked_world();
    let now = at(7, 15, 9, 0);
    let committee = county_committee();
    harness.when(&committee, now, grade("YS07-0219", AnnualGrade::Competent)).then_events();
    let rejection = harness
        .when(&committee, now, grade("YS07-0219", AnnualGrade::BasicallyCompetent))
        .then_rejected(Code::ReasonRequired, "reason");
    assert_eq!(rejection.message, "reason: 基本称职 needs a reason");
    harness
        .when(&committee, now, grade("YS07-0219", AnnualGrade::Incompetent))
        .then_rejected(Code::ReasonRequired, "reason");
    let with_reason = RecordGrade {
        reason: Some("weekly records late all year".to_owned()),
        ..grade("YS07-0219", AnnualGrade::Incompetent)
    };
    let events = harness.when(&committee, now, with_reason).then_events();
    let [Event::GradeRecorded(recorded)] = &events[..] else { panic!("{events:?}") };
    assert_eq!((recorded.basis.participants, recorded.basis.excellent_quota), (10, 2));
    let blank = RecordGrade { reason: Some(" ".to_owned()), ..grade("YS07-0219", AnnualGrade::Incompetent) };
    harness.when(&committee, now, blank).then_rejected(Code::InvalidText, "reason");

    // YS07-0001 works in the county itself; YS08-0001 in another county.
    let rejection = harness
        .when(&committee, now, grade("YS07-0001", AnnualGrade::Competent))
        .then_rejected(Code::NotAParticipant, "person");
    assert!(rejection.message.contains("10 do"), "{}", rejection.message);
    harness
        .when(&committee, now, grade("YS08-0001", AnnualGrade::Competent))
        .then_rejected(Code::NotAParticipant, "person");
    harness
        .when(&committee, now, grade("YS07-9999", AnnualGrade::Competent))
        .then_rejected(Code::UnknownPerson, "person");
    // A person moved to another county's section from October takes part there.
    let moved =
        MovePerson { person: person("YS07-0218"), to_unit: unit("YS08-ZGG"), effective_on: Some(day("2017-10-01")) };
    harness.given(&admin(), at(7, 14, 9, 0), moved);
    harness
        .when(&committee, now, grade("YS07-0218", AnnualGrade::Competent))
        .then_rejected(Code::NotAParticipant, "person");
    let ys08 = actor("committee.ys08", Role::Committee, "YS08");
    let there = RecordGrade { unit: unit("YS08"), ..grade("YS07-0218", AnnualGrade::Competent) };
    harness.when(&ys08, now, there).then_events();
    // Only the county's own committee grades.
    harness
        .when(&crate::harness::committee(), now, grade("YS07-0219", AnnualGrade::Competent))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness
        .when(&office(), now, grade("YS07-0219", AnnualGrade::Competent))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
}

// ---- Result uses ---------------------------------------------------------------------------------

pub(crate) fn praise_unit(unit_code: &str) -> RecordResultUse {
    RecordResultUse {
        kind: ResultUseKind::PraiseNotice,
        subject: ResultSubject::Unit { unit: unit(unit_code) },
        view: ResultView::Ranking { scheme: scheme(), period: period(JUNE), function_code: None },
        read_at: None,
        note: "June's notice of praise".to_owned(),
    }
}

fn honour_person(person_id: &str) -> RecordResultUse {
    RecordResultUse {
        kind: ResultUseKind::Honour,
        subject: ResultSubject::Person { person: person(person_id) },
        view: ResultView::IndividualRanking { unit: unit("YS07"), year: 2017 },
        read_at: None,
        note: "county model worker".to_owned(),
    }
}

fn at_head(harness: &Harness) -> CommandBasis {
    CommandBasis { position: Some(head(harness)), standing: None }
}

#[test]
fn a_committee_records_a_use_of_results_with_the_view_and_position_it_relied_on() {
    let harness = ranked_world();
    let now = at(7, 15, 9, 0);
    let decided =
        decide_with_basis(&harness, &committee(), now, praise_unit("YS07"), at_head(&harness)).expect("accepted");
    let new_id = Uuid::from_u128(0x0170_0000_0000_7000_a000_0000_0000_0000 | harness.events.len() as u128);
    assert_eq!(
        decided,
        vec![Event::from(ResultUseRecorded {
            result_use_id: ResultUseId(new_id),
            committee: unit("YS"),
            kind: ResultUseKind::PraiseNotice,
            subject: ResultSubject::Unit { unit: unit("YS07") },
            view: ResultView::Ranking { scheme: scheme(), period: period(JUNE), function_code: None },
            read_at: head(&harness),
            note: "June's notice of praise".to_owned(),
        })]
    );
    // A section in the ranking of its function code; a participant in the county's individual ranking.
    let sections = RecordResultUse {
        subject: ResultSubject::Unit { unit: unit("YS07-ZGG") },
        view: ResultView::Ranking {
            scheme: scheme(),
            period: period(JUNE),
            function_code: Some(FunctionCode::new("ZG").unwrap()),
        },
        ..praise_unit("YS07")
    };
    decide_with_basis(&harness, &committee(), now, sections, at_head(&harness)).expect("a section of ZG");
    decide_with_basis(&harness, &county_committee(), now, honour_person("YS07-0211"), at_head(&harness))
        .expect("the county's committee");
    decide_with_basis(&harness, &committee(), now, honour_person("YS07-0211"), at_head(&harness))
        .expect("the city's committee, whose scope holds YS07");
    // The position given is the one the service read.
    let given = RecordResultUse { read_at: Some(head(&harness)), ..praise_unit("YS07") };
    decide_with_basis(&harness, &committee(), now, given, at_head(&harness)).expect("the head itself");
}

#[test]
fn a_use_of_results_is_refused_for_a_subject_not_in_its_view_or_an_unread_position() {
    let harness = ranked_world();
    let now = at(7, 15, 9, 0);
    let basis = at_head(&harness);
    let decide = |actor: &Actor, command: RecordResultUse| decide_with_basis(&harness, actor, now, command, basis);
    // A section is not ranked among the counties; a person not in a ranking of units; a unit not in
    // an individual ranking; a person not a participant.
    rejected(decide(&committee(), praise_unit("YS07-ZGG")), Code::SubjectNotInView, "subject");
    let person_in_units =
        RecordResultUse { subject: ResultSubject::Person { person: person("YS07-0211") }, ..praise_unit("YS07") };
    rejected(decide(&committee(), person_in_units), Code::SubjectNotInView, "subject");
    let unit_in_people =
        RecordResultUse { subject: ResultSubject::Unit { unit: unit("YS07") }, ..honour_person("YS07-0211") };
    rejected(decide(&committee(), unit_in_people), Code::SubjectNotInView, "subject");
    let rejection = rejected(decide(&committee(), honour_person("YS07-0001")), Code::SubjectNotInView, "subject");
    assert_eq!(rejection.message, "subject: person YS07-0001 takes no part in the individual ranking of YS07 2017");
    let wrong_code = RecordResultUse {
        subject: ResultSubject::Unit { unit: unit("YS07-BGS") },
        view: ResultView::Ranking {
            scheme: scheme(),
            period: period(JUNE),
            function_code: Some(FunctionCode::new("ZG").unwrap()),
        },
        ..praise_unit("YS07")
    };
    rejected(decide(&committee(), wrong_code), Code::SubjectNotInView, "subject");
    let other_year = RecordResultUse {
        view: ResultView::Ranking { scheme: scheme(), period: period("2018-06"), function_code: None },
        ..praise_unit("YS07")
    };
    rejected(decide(&committee(), other_year), Code::InvalidValue, "view.period");
    rejected(decide(&committee(), praise_unit("YS99")), Code::UnknownUnit, "subject.unit");
    rejected(decide(&committee(), honour_person("YS07-9999")), Code::UnknownPerson, "subject.person");
    // Another county's committee: YS07 is outside its scope.
    let ys08 = actor("committee.ys08", Role::Committee, "YS08");
    rejected(decide(&ys08, praise_unit("YS07")), Code::OutOfScope, "actor.unit");
    // Positions: none read, or one that is not what the ledger holds.
    let unread = decide_with_basis(&harness, &committee(), now, praise_unit("YS07"), CommandBasis::default());
    rejected(unread, Code::PositionNotInChain, "read_at");
    let earlier = &harness.events[0];
    let stale = RecordResultUse {
        read_at: Some(ChainPosition { seq: earlier.seq, hash: harness.events[1].hash }),
        ..praise_unit("YS07")
    };
    rejected(decide(&committee(), stale), Code::PositionNotInChain, "read_at");
    let blank = RecordResultUse { note: String::new(), ..praise_unit("YS07") };
    rejected(decide(&committee(), blank), Code::InvalidText, "note");
    rejected(decide(&office(), praise_unit("YS07")), Code::RoleNotAllowed, "actor.role");
}

// ---- Personal scores -----------------------------------------------------------------------------

/// The people world with June published (07-12): ZG-04, which YS07-ZGG leads, lost 0.50 (section final
/// 75.00); YS07-0201's personal indicator (10.00) lost 4.00 (60.00); the chief reviewed YS07-0201 70.00
/// and then 80.00 for Q2, the leader in charge 90.00.
fn scored_world() -> Harness {
    let mut harness = world_with_personal_indicators();
    harness.given(&assessor(), at(6, 20, 9, 0), deduction(50));
    harness.given(&office(), at(6, 20, 9, 0), personal_deduction(400));
    harness.given(&office(), at(6, 20, 9, 0), assess(PERSONAL_TIERED, PersonalOutcome::Tier { tier: 1 }));
    harness.given(&chief(), at(6, 25, 9, 0), review("YS07-0201", "2017-Q2", 7000));
    harness.given(&chief(), at(6, 26, 9, 0), review("YS07-0201", "2017-Q2", 8000));
    harness.given(&leader_in_charge(), at(6, 26, 9, 0), review("YS07-0201", "2017-Q2", 9000));
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness
}

#[test]
fn a_quarterly_score_weighs_section_review_and_indicators_40_30_30() {
    let harness = scored_world();
    let projection = Projection::fold(&harness.events).expect("fold");
    let card = projection.quarter_score(&person("YS07-0201"), period("2017-Q2"), Counting::Published, today());
    assert_eq!(card.base_periods, [period(JUNE)], "only June is published");
    assert_eq!(
        card.section_final,
        Some(SectionFinal { section: unit("YS07-ZGG"), scheme: scheme(), final_score: Points(7500) })
    );
    // The chief's latest (80.00) and the leader in charge's 90.00: 85.00.
    assert_eq!(card.review_score, Some(Points(8500)));
    let counted: Vec<(&str, bool)> = card.reviews.iter().map(|line| (line.leader.as_str(), line.counts)).collect();
    assert_eq!(counted, [("leader.ys07zgg.chen", false), ("leader.ys07zgg.chen", true), ("leader.ys07.liu", true)]);
    // 6.00 of 10.00 and tier 1 (4.00 of 4.00): 10.00 of 14.00 → 71.43.
    assert_eq!(card.indicator_score, Some(Points(7143)));
    assert_eq!(card.weights_used.section, Some(40));
    assert_eq!((card.weights_used.review, card.weights_used.indicators), (Some(30), Some(30)));
    // (75.00 × 40 + 85.00 × 30 + 71.43 × 30) / 100 = 76.929 → 76.93.
    assert_eq!(card.weighted, Some(Points(7693)));
    assert_eq!((card.missing_week_deduction, card.score), (Points(0), Some(Points(7693))));
    // A quarter with no counted month has no score, whatever its reviews.
    let q3 = projection.quarter_score(&person("YS07-0201"), period("2017-Q3"), Counting::Published, today());
    assert_eq!(q3.score, None);
    // The annual score is the mean of the quarters that have one.
    let card = projection.personal_scorecard(&person("YS07-0201"), period("2017"), Counting::Published, today());
    let card = card.expect("a scorecard");
    assert_eq!(card.score, Some(Points(7693)));
    let place = card.place.expect("a participant of YS07");
    assert_eq!((place.county.as_str(), place.participants, place.rank, place.tier), ("YS07", 2, Some(1), Some(1)));
}

#[test]
fn a_missing_part_drops_out_and_the_others_keep_their_weights() {
    let harness = scored_world();
    let projection = Projection::fold(&harness.events).expect("fold");
    // The chief YS07-0202 carries no indicator and has no review: the section alone.
    let chief_card = projection.quarter_score(&person("YS07-0202"), period("2017-Q2"), Counting::Published, today());
    assert_eq!((chief_card.review_score, chief_card.indicator_score), (None, None));
    assert_eq!(chief_card.weights_used.section, Some(40));
    assert_eq!(chief_card.score, Some(Points(7500)));
    // Without reviews, YS07-0201: (75.00 × 40 + 71.43 × 30) / 70 = 73.47.
    let mut harness = world_with_personal_indicators();
    harness.given(&assessor(), at(6, 20, 9, 0), deduction(50));
    harness.given(&office(), at(6, 20, 9, 0), personal_deduction(400));
    harness.given(&office(), at(6, 20, 9, 0), assess(PERSONAL_TIERED, PersonalOutcome::Tier { tier: 1 }));
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    let projection = Projection::fold(&harness.events).expect("fold");
    let card = projection.quarter_score(&person("YS07-0201"), period("2017-Q2"), Counting::Published, today());
    assert_eq!(card.weights_used.review, None);
    assert_eq!(card.weighted, Some(Points(divide_round_half_up(7500 * 40 + 7143 * 30, 70))));
    assert_eq!(card.weighted, Some(Points(7347)));
}

#[test]
fn the_countys_rules_reweigh_the_parts_and_take_off_missing_weeks() {
    let mut harness = scored_world();
    harness.given(&staff(), at(7, 13, 9, 0), file("2017-W23"));
    harness.given(&county_committee(), at(7, 13, 9, 0), rules());
    let projection = Projection::fold(&harness.events).expect("fold");
    let card = projection.quarter_score(&person("YS07-0201"), period("2017-Q2"), Counting::Published, today());
    // 50/30/20: (75.00 × 50 + 85.00 × 30 + 71.43 × 20) / 100 = 77.286 → 77.29.
    assert_eq!(card.weighted, Some(Points(7729)));
    // Q2's weeks are W14 to W26 (by their Thursdays); all but W23 are missing: 12 × 0.50 = 6.00.
    assert_eq!(card.missing_weeks.len(), 12);
    assert!(!card.missing_weeks.contains(&week("2017-W23")));
    assert_eq!((card.missing_week_deduction, card.score), (Points(600), Some(Points(7129))));
}
