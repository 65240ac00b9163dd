//! Every refusal the domain makes, given → when → then rejected, each asserted by its machine code and
//! the field it names. A last test reads this file and fails if any `RejectionCode` is never asserted.
//!
//! Invariant guarded: a rejected command records nothing (`when` never folds), and every refusal names
//! its field in a lower-case message without a trailing period (checked by the harness).

use crate::harness;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::RejectionCode as Code;
use kpi_ledger::domain::*;
use kpi_ledger::limits::{ACTOR_FIELD_BYTES_MAX, EVIDENCE_DIGESTS_PER_ENTRY_MAX, TEXT_CHARS_MAX};
use kpi_testkit::story::{at, indicator, period, person, scheme, unit};
use uuid::Uuid;

fn retire_indicator(code: &str, from: &str) -> RetireIndicator {
    RetireIndicator {
        scheme: scheme(),
        indicator: indicator(code),
        effective_from: period(from),
        reason: "obsolete".to_owned(),
    }
}

fn not_applicable(code: &str, approver: &str) -> MarkIndicatorNotApplicable {
    MarkIndicatorNotApplicable {
        scheme: scheme(),
        indicator: indicator(code),
        unit: unit("YS07"),
        effective_from: None,
        reason: "no exporters".to_owned(),
        approver: person(approver),
    }
}

fn revise_points(code: &str, from: &str, points: i64) -> ReviseIndicator {
    ReviseIndicator {
        scheme: scheme(),
        indicator: indicator(code),
        effective_from: period(from),
        name: None,
        description: None,
        points_max: Some(Points(points)),
        tiers: None,
        reason: "key work".to_owned(),
    }
}

/// June published on 07-12 and finalised on 07-18, after its window.
fn world_with_final_june() -> Harness {
    let mut harness = world();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.given(&committee(), at(7, 18, 9, 0), finalise(JUNE));
    harness
}

// ---- Who may do what ---------------------------------------------------------------------------

#[test]
fn auditor_writes_nothing() {
    let (mut harness, deduction_id, appeal_id) = world_with_appeal();
    let commands: Vec<Command> = vec![
        register("YS09", UnitLevel::County, Some("YS"), None).into(),
        open_scheme().into(),
        deduction(100).into(),
        award(1).into(),
        publish(JUNE).into(),
        assign(OTHER, "YS07-BGS").into(),
        file_against_deduction(deduction_id).into(),
        decide_with(appeal_id, AppealOutcome::Dismissed).into(),
    ];
    for command in commands {
        harness.when(&auditor(), at(7, 15, 9, 0), command).then_rejected(Code::RoleNotAllowed, "actor.role");
    }
}

#[test]
fn each_command_needs_its_role() {
    let mut harness = world();
    harness
        .when(&assessor(), at(1, 4, 9, 0), register("YS09", UnitLevel::County, Some("YS"), None))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.when(&admin(), at(7, 12, 9, 0), publish(JUNE)).then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.when(&committee(), at(7, 11, 9, 0), deduction(100)).then_rejected(Code::RoleNotAllowed, "actor.role");
    harness
        .when(&assessor(), at(1, 20, 9, 0), assign(OTHER, "YS07-BGS"))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.when(&appellant(), at(7, 3, 9, 0), award(1)).then_rejected(Code::RoleNotAllowed, "actor.role");
}

#[test]
fn first_decision_is_the_reviewers_and_escalated_the_committees() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    harness
        .when(&committee(), at(7, 19, 9, 0), decide_with(appeal_id, AppealOutcome::Dismissed))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.given(&reviewer(), at(7, 19, 9, 0), decide_with(appeal_id, AppealOutcome::Dismissed));
    harness.given(
        &appellant(),
        at(7, 20, 9, 0),
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "unfair".to_owned(), evidence_digests: Vec::new() },
    );
    harness
        .when(&reviewer(), at(7, 25, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
}

#[test]
fn assessor_outside_the_indicators_assessor_is_out_of_scope() {
    let mut harness = world();
    let county_assessor = actor("assessor.ys08", Role::Assessor, "YS08");
    harness.when(&county_assessor, at(7, 11, 9, 0), deduction(100)).then_rejected(Code::OutOfScope, "actor.unit");
}

#[test]
fn office_of_another_unit_is_out_of_scope() {
    let mut harness = world();
    let other_office = actor("office.ys08", Role::Office, "YS08");
    harness
        .when(&other_office, at(1, 20, 9, 0), assign(OTHER, "YS07-BGS"))
        .then_rejected(Code::OutOfScope, "actor.unit");
}

#[test]
fn another_county_may_not_appeal() {
    let (mut harness, deduction_id) = world_with_deduction();
    let other_appellant = actor("appellant.ys08", Role::Appellant, "YS08");
    harness
        .when(&other_appellant, at(7, 12, 9, 0), file_against_deduction(deduction_id))
        .then_rejected(Code::OutOfScope, "actor.unit");
}

#[test]
fn reviewer_never_decides_an_appeal_against_a_deduction_they_recorded() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    let same_person = actor("assessor.ys.wang", Role::Reviewer, "YS");
    harness
        .when(&same_person, at(7, 19, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::ReviewerRecordedDeduction, "actor.id");
}

#[test]
fn assessee_is_not_in_the_scheme() {
    let mut harness = world();
    let command = RecordDeduction { unit: unit("YS07-BGS"), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), command).then_rejected(Code::OutOfScope, "unit");
}

// ---- Organisation ------------------------------------------------------------------------------

#[test]
fn organisation_refusals() {
    let mut harness = world();
    let day = at(2, 1, 9, 0);
    harness
        .when(&admin(), day, register("YS07", UnitLevel::County, Some("YS"), None))
        .then_rejected(Code::UnitExists, "unit");
    harness
        .when(&admin(), day, register("YS07-X", UnitLevel::City, Some("YS07"), None))
        .then_rejected(Code::InvalidParent, "parent");
    harness
        .when(&admin(), day, register("YS07-X", UnitLevel::Section, Some("YS07-BGS"), Some("X")))
        .then_rejected(Code::InvalidParent, "parent");
    harness
        .when(&admin(), day, register("YS07-X", UnitLevel::Section, Some("YS07"), None))
        .then_rejected(Code::InvalidValue, "function_code");
    harness
        .when(&admin(), day, register("YS09", UnitLevel::County, Some("YS99"), None))
        .then_rejected(Code::UnknownUnit, "parent");
    let retire = RetireUnit { unit: unit("YS08"), reason: "merged".to_owned() };
    harness.when(&admin(), day, retire).then_rejected(Code::UnitHasActiveChildren, "unit");
    let register_twice = RegisterPerson { person: person("YS07-0001"), name: "again".to_owned(), unit: unit("YS07") };
    harness.when(&admin(), day, register_twice).then_rejected(Code::PersonExists, "person");
    let move_unknown = MovePerson { person: person("YS07-9999"), to_unit: unit("YS07"), effective_on: None };
    harness.when(&admin(), day, move_unknown).then_rejected(Code::UnknownPerson, "person");
    let long_name = RenameUnit { unit: unit("YS07"), name: "名".repeat(201) };
    harness.when(&admin(), day, long_name).then_rejected(Code::InvalidText, "name");
}

#[test]
fn retired_unit_and_person_are_refused() {
    let mut harness = world();
    let day = at(2, 1, 9, 0);
    harness.given(&admin(), day, RetireUnit { unit: unit("YS08-ZGG"), reason: "merged".to_owned() });
    harness.given(&admin(), day, RetireUnit { unit: unit("YS08"), reason: "merged".to_owned() });
    let command = RecordDeduction { unit: unit("YS08"), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), command).then_rejected(Code::UnitRetired, "unit");
    harness.given(&admin(), day, RetirePerson { person: person("YS07-0001"), reason: "retired".to_owned() });
    harness.when(&office(), day, not_applicable(OTHER, "YS07-0001")).then_rejected(Code::PersonRetired, "approver");
}

// ---- Scheme and indicators ---------------------------------------------------------------------

#[test]
fn scheme_refusals() {
    let mut harness = world();
    harness.when(&admin(), at(2, 1, 9, 0), open_scheme()).then_rejected(Code::SchemeExists, "year");
    let bad_rule = OpenScheme {
        year: 2018,
        unit_tier_rule: Some(TierRule::SharesPercent { shares_percent: vec![30, 50] }),
        ..open_scheme()
    };
    harness.when(&admin(), at(2, 1, 9, 0), bad_rule).then_rejected(Code::InvalidValue, "unit_tier_rule");
    let unknown = DefineIndicator { scheme: SchemeId::new("YS-2016").expect("id"), ..define("NF-01", 200) };
    harness.when(&admin(), at(2, 1, 9, 0), unknown).then_rejected(Code::UnknownScheme, "scheme");
    harness.when(&admin(), at(2, 1, 9, 0), define(DEDUCT, 200)).then_rejected(Code::IndicatorExists, "indicator");
    harness.when(&admin(), at(2, 1, 9, 0), define("NF-01", 0)).then_rejected(Code::PointsNotPositive, "points_max");
}

#[test]
fn revision_effective_in_a_final_period_is_refused() {
    let mut harness = world_with_final_june();
    let rejection = harness
        .when(&admin(), at(7, 20, 9, 0), revise_points(DEDUCT, "2017-03", 300))
        .then_rejected(Code::PeriodFinal, "effective_from");
    assert!(rejection.message.contains("2017-06"), "{}", rejection.message);
    harness.when(&admin(), at(7, 20, 9, 0), revise_points(DEDUCT, "2017-07", 300)).then_events();
}

#[test]
fn revision_must_change_something_and_tiers_only_for_tiered() {
    let mut harness = world();
    let empty = ReviseIndicator { points_max: None, ..revise_points(DEDUCT, "2017-07", 300) };
    harness.when(&admin(), at(6, 20, 9, 0), empty).then_rejected(Code::RevisionEmpty, "points_max");
    let tiers_on_deduct =
        ReviseIndicator { points_max: None, tiers: Some(tiers()), ..revise_points(DEDUCT, "2017-07", 300) };
    harness.when(&admin(), at(6, 20, 9, 0), tiers_on_deduct).then_rejected(Code::IndicatorNotTiered, "tiers");
    harness
        .when(&admin(), at(6, 20, 9, 0), revise_points(DEDUCT, "2017-Q3", 300))
        .then_rejected(Code::NotABasePeriod, "effective_from");
}

#[test]
fn unknown_and_retired_indicators_are_refused() {
    let mut harness = world();
    let unknown = RecordDeduction { indicator: indicator("ZZ-99"), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), unknown).then_rejected(Code::UnknownIndicator, "indicator");
    harness.given(&admin(), at(6, 2, 9, 0), retire_indicator(OTHER, JUNE));
    let retired = RecordDeduction { indicator: indicator(OTHER), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), retired).then_rejected(Code::IndicatorRetired, "indicator");
    harness
        .when(&admin(), at(6, 2, 9, 0), retire_indicator(OTHER, "2017-07"))
        .then_rejected(Code::IndicatorRetired, "indicator");
}

#[test]
fn plan_refusals() {
    let mut harness = world();
    let day = at(1, 21, 9, 0);
    harness.when(&office(), day, assign(OTHER, "YS08-ZGG")).then_rejected(Code::NotASection, "lead_section");
    harness.when(&office(), day, not_applicable(OTHER, "YS07-9999")).then_rejected(Code::UnknownPerson, "approver");
    harness.given(&office(), day, not_applicable(OTHER, "YS07-0001"));
    harness
        .when(&office(), day, not_applicable(OTHER, "YS07-0001"))
        .then_rejected(Code::AlreadyNotApplicable, "indicator");
    harness.when(&office(), day, assign(OTHER, "YS07-BGS")).then_rejected(Code::AlreadyNotApplicable, "indicator");
}

// ---- Periods -----------------------------------------------------------------------------------

#[test]
fn period_refusals() {
    let mut harness = world();
    let june = OpenPeriod { scheme: scheme(), period: period(JUNE) };
    harness.when(&admin(), at(6, 2, 9, 0), june).then_rejected(Code::PeriodExists, "period");
    let quarter = OpenPeriod { scheme: scheme(), period: period("2017-Q3") };
    harness.when(&admin(), at(6, 2, 9, 0), quarter).then_rejected(Code::NotABasePeriod, "period");
    harness.when(&committee(), at(7, 12, 9, 0), publish("2017-07")).then_rejected(Code::UnknownPeriod, "period");
    harness.when(&committee(), at(7, 12, 9, 0), finalise(JUNE)).then_rejected(Code::PeriodNotPublished, "period");
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.when(&committee(), at(7, 12, 10, 0), publish(JUNE)).then_rejected(Code::PeriodNotOpen, "period");
    let rejection =
        harness.when(&committee(), at(7, 16, 9, 0), finalise(JUNE)).then_rejected(Code::ObjectionWindowOpen, "period");
    assert!(rejection.message.contains("2017-07-17T09:00:00.000000Z"), "{}", rejection.message);
    let reopen = ReopenPeriod { scheme: scheme(), period: period(JUNE), reason: "error".to_owned() };
    harness.when(&committee(), at(7, 18, 9, 0), reopen).then_rejected(Code::PeriodNotFinal, "period");
}

#[test]
fn finalising_waits_for_open_appeals() {
    let (mut harness, _, _) = world_with_appeal();
    harness.when(&committee(), at(7, 18, 9, 0), finalise(JUNE)).then_rejected(Code::AppealsOpen, "period");
}

#[test]
fn publication_waits_for_an_award_on_every_applicable_tiered_indicator() {
    let mut harness = world();
    let rejection =
        harness.when(&committee(), at(7, 12, 9, 0), publish(JUNE)).then_rejected(Code::TierAwardsMissing, "period");
    assert_eq!(
        rejection.message,
        "period: 2017-06 cannot be published: 2 applicable tiered indicator(s) have no tier award for it \
         (unit indicator): YS07 ZGU-02, YS08 ZGU-02"
    );
    harness.given(&assessor(), at(7, 3, 9, 0), award(2));
    let rejection =
        harness.when(&committee(), at(7, 12, 9, 0), publish(JUNE)).then_rejected(Code::TierAwardsMissing, "period");
    assert!(rejection.message.ends_with("(unit indicator): YS08 ZGU-02"), "{}", rejection.message);
    // An indicator a unit dropped from June on needs no award from it.
    let dropped = MarkIndicatorNotApplicable {
        unit: unit("YS08"),
        effective_from: Some(period(JUNE)),
        ..not_applicable(TIERED, "YS08-0001")
    };
    harness.given(&actor("office.ys08", Role::Office, "YS08"), at(7, 4, 9, 0), dropped);
    harness.when(&committee(), at(7, 12, 9, 0), publish(JUNE)).then_events();
}

#[test]
fn finalising_waits_while_a_decision_on_the_period_may_still_be_escalated() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    let rejection =
        harness.when(&committee(), at(7, 18, 9, 0), finalise(JUNE)).then_rejected(Code::AppealsOpen, "period");
    assert!(
        rejection.message.contains(&format!("appeal {appeal_id} is waiting for a decision")),
        "{}",
        rejection.message
    );
    let partial = AppealOutcome::Partial { points_restored: Points(100) };
    harness.given(&reviewer(), at(7, 19, 16, 0), decide_with(appeal_id, partial));
    let rejection =
        harness.when(&committee(), at(7, 24, 15, 59), finalise(JUNE)).then_rejected(Code::AppealsOpen, "period");
    assert_eq!(
        rejection.message,
        format!("period: 2017-06 cannot be final yet: appeal {appeal_id} may still be escalated until 2017-07-24T16:00:00.000000Z")
    );
    // At the closing instant itself the period may be finalised, as with the objection window.
    harness.when(&committee(), at(7, 24, 16, 0), finalise(JUNE)).then_events();
    // An escalation waits for the committee's decision, and holds the period open until then.
    harness.given(
        &appellant(),
        at(7, 22, 9, 0),
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "x".to_owned(), evidence_digests: Vec::new() },
    );
    harness.when(&committee(), at(7, 25, 9, 0), finalise(JUNE)).then_rejected(Code::AppealsOpen, "period");
}

#[test]
fn an_upheld_appeal_holds_nothing_open_and_the_window_may_close_on_the_instant() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    harness.given(&reviewer(), at(7, 16, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    harness.when(&committee(), at(7, 17, 8, 59), finalise(JUNE)).then_rejected(Code::ObjectionWindowOpen, "period");
    harness.when(&committee(), at(7, 17, 9, 0), finalise(JUNE)).then_events();
}

#[test]
fn a_final_period_takes_no_fact_that_changes_its_results() {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.given(&committee(), at(7, 18, 9, 0), finalise(JUNE));
    let late = at(7, 20, 9, 0);
    let final_june = |harness: &mut Harness, actor: Actor, command: Command, field: &str| {
        let rejection = harness.when(&actor, late, command).then_rejected(Code::PeriodFinal, field);
        assert!(rejection.message.contains("2017-06"), "{}", rejection.message);
    };
    final_june(&mut harness, assessor(), deduction(100).into(), "period");
    final_june(&mut harness, assessor(), award(2).into(), "period");
    let withdrawal = WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "error".to_owned() };
    final_june(&mut harness, assessor(), withdrawal.into(), "deduction_id");
    let bonus = AwardBonus {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        points: Points(100),
        reason: "x".to_owned(),
    };
    final_june(&mut harness, assessor(), bonus.into(), "period");
    let veto = ApplyVeto {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(VETO),
        reason: "case".to_owned(),
    };
    final_june(&mut harness, assessor(), veto.into(), "period");
    let attribution = AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit("YS07-BGS"),
        description: "filed late".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    final_june(&mut harness, office(), attribution.into(), "deduction_id");
    final_june(&mut harness, appellant(), file_against_deduction(deduction_id).into(), "target");
    let dropped =
        MarkIndicatorNotApplicable { effective_from: Some(period(JUNE)), ..not_applicable(OTHER, "YS07-0001") };
    final_june(&mut harness, office(), dropped.into(), "effective_from");
    // A reassignment reaches back to the indicator's first period unless it names a later one.
    final_june(&mut harness, office(), assign(DEDUCT, "YS07-BGS").into(), "effective_from");
    let from_june = AssignIndicator { effective_from: Some(period(JUNE)), ..assign(DEDUCT, "YS07-BGS") };
    final_june(&mut harness, office(), from_june.into(), "effective_from");
    let from_july = AssignIndicator { effective_from: Some(period("2017-07")), ..assign(DEDUCT, "YS07-BGS") };
    harness.when(&office(), late, from_july).then_events();
}

#[test]
fn the_city_scheme_gives_sections_no_bonus_or_veto() {
    let mut harness = world();
    let bonus = AwardBonus {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07-BGS"),
        points: Points(100),
        reason: "praise".to_owned(),
    };
    let rejection = harness.when(&assessor(), at(7, 3, 9, 0), bonus).then_rejected(Code::NotForSections, "unit");
    assert_eq!(
        rejection.message,
        "unit: YS07-BGS is a section; the city's scheme YS-2017 gives sections no bonus or veto (only the units \
         it assesses directly receive them)"
    );
    let veto = ApplyVeto {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07-ZGG"),
        indicator: indicator(VETO),
        reason: "case".to_owned(),
    };
    let rejection = harness.when(&assessor(), at(7, 3, 9, 0), veto).then_rejected(Code::NotForSections, "unit");
    assert!(
        rejection.message.contains("the city's scheme YS-2017 gives sections no bonus or veto"),
        "{}",
        rejection.message
    );
}

#[test]
fn final_period_takes_no_facts() {
    let mut harness = world_with_final_june();
    harness.when(&assessor(), at(7, 20, 9, 0), deduction(100)).then_rejected(Code::PeriodFinal, "period");
    harness.when(&assessor(), at(7, 20, 9, 0), award(1)).then_rejected(Code::PeriodFinal, "period");
    harness.when(&committee(), at(7, 20, 9, 0), publish(JUNE)).then_rejected(Code::PeriodFinal, "period");
}

#[test]
fn period_not_open_yet_takes_no_facts() {
    let mut harness = world();
    let july = RecordDeduction { period: period("2017-07"), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), july).then_rejected(Code::UnknownPeriod, "period");
}

// ---- Assessment --------------------------------------------------------------------------------

#[test]
fn deductions_only_on_deduct_and_tiers_only_on_tiered() {
    let mut harness = world();
    let on_tiered = RecordDeduction { indicator: indicator(TIERED), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), on_tiered).then_rejected(Code::IndicatorNotDeduct, "indicator");
    let on_deduct = AwardTier { indicator: indicator(DEDUCT), ..award(1) };
    harness.when(&assessor(), at(7, 3, 9, 0), on_deduct).then_rejected(Code::IndicatorNotTiered, "indicator");
    harness.when(&assessor(), at(7, 3, 9, 0), award(5)).then_rejected(Code::TierOutOfRange, "tier");
    harness.when(&assessor(), at(7, 3, 9, 0), award(0)).then_rejected(Code::TierOutOfRange, "tier");
}

#[test]
fn indicator_not_applicable_to_the_unit_in_the_period() {
    let mut harness = world();
    harness.given(&office(), at(1, 20, 10, 0), not_applicable(OTHER, "YS07-0001"));
    let dropped = RecordDeduction { indicator: indicator(OTHER), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), dropped).then_rejected(Code::IndicatorNotApplicable, "indicator");
    let not_led = RecordDeduction { unit: unit("YS07-BGS"), ..deduction(100) };
    harness.when(&office(), at(7, 11, 9, 0), not_led).then_rejected(Code::IndicatorNotApplicable, "indicator");
    let not_a_section = RecordDeduction { unit: unit("YS08-ZGG"), ..deduction(100) };
    harness.when(&office(), at(7, 11, 9, 0), not_a_section).then_rejected(Code::NotASection, "unit");
}

#[test]
fn points_must_be_positive_and_within_what_is_left() {
    let mut harness = world();
    harness.when(&assessor(), at(7, 11, 9, 0), deduction(0)).then_rejected(Code::PointsNotPositive, "points");
    harness.when(&assessor(), at(7, 11, 9, 0), deduction(-100)).then_rejected(Code::PointsNotPositive, "points");
    harness.when(&assessor(), at(7, 11, 9, 0), deduction(201)).then_rejected(Code::PointsExceedRemaining, "points");
    harness.given(&assessor(), at(7, 11, 9, 0), deduction(150));
    let rejection =
        harness.when(&assessor(), at(7, 11, 9, 0), deduction(100)).then_rejected(Code::PointsExceedRemaining, "points");
    assert!(rejection.message.contains("0.50 left"), "{}", rejection.message);
    harness.when(&assessor(), at(7, 11, 9, 0), deduction(50)).then_events();
}

#[test]
fn deduction_details_are_checked() {
    let mut harness = world();
    let category = RecordDeduction { problem_category: category("late_submission"), ..deduction(100) };
    harness
        .when(&assessor(), at(7, 11, 9, 0), category)
        .then_rejected(Code::UnknownProblemCategory, "problem_category");
    let link = RecordDeduction { links: vec![EventId(Uuid::from_u128(42))], ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), link).then_rejected(Code::UnknownEvent, "links");
    let empty_reason = RecordDeduction { reason: "  ".to_owned(), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), empty_reason).then_rejected(Code::InvalidText, "reason");
    let long_reason = RecordDeduction { reason: "x".repeat(TEXT_CHARS_MAX + 1), ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), long_reason).then_rejected(Code::InvalidText, "reason");
    let many =
        RecordDeduction { evidence_digests: vec![digest('d'); EVIDENCE_DIGESTS_PER_ENTRY_MAX + 1], ..deduction(100) };
    harness.when(&assessor(), at(7, 11, 9, 0), many).then_rejected(Code::InvalidValue, "evidence_digests");
}

#[test]
fn an_injected_id_is_used_once() {
    let (mut harness, deduction_id) = world_with_deduction();
    let context = Context::new(at(7, 11, 11, 0), assessor(), deduction_id);
    let other = RecordDeduction { indicator: indicator(OTHER), ..deduction(10) };
    let rejection = decide(&harness.facts, &other.clone().into(), &context).expect_err("the id is taken");
    assert_eq!((rejection.code, rejection.field.as_str()), (Code::IdAlreadyUsed, "context.new_id"));
    harness.when(&assessor(), at(7, 11, 11, 0), other).then_events();
}

#[test]
fn withdrawal_refusals() {
    let (mut harness, deduction_id) = world_with_deduction();
    let withdraw = |id: Uuid| WithdrawDeduction { deduction_id: DeductionId(id), reason: "wrong county".to_owned() };
    harness
        .when(&assessor(), at(7, 11, 11, 0), withdraw(Uuid::from_u128(7)))
        .then_rejected(Code::UnknownDeduction, "deduction_id");
    harness.when(&office(), at(7, 11, 11, 0), withdraw(deduction_id)).then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.given(&assessor(), at(7, 11, 11, 0), withdraw(deduction_id));
    harness
        .when(&assessor(), at(7, 11, 12, 0), withdraw(deduction_id))
        .then_rejected(Code::DeductionWithdrawn, "deduction_id");
}

#[test]
fn bonus_and_veto_refusals() {
    let mut harness = world();
    let bonus = AwardBonus {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        points: Points(301),
        reason: "praise".to_owned(),
    };
    harness.when(&assessor(), at(7, 3, 9, 0), bonus).then_rejected(Code::PointsExceedBonusCap, "points");
    let veto = ApplyVeto {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(DEDUCT),
        reason: "case".to_owned(),
    };
    harness.when(&assessor(), at(7, 3, 9, 0), veto).then_rejected(Code::IndicatorNotVeto, "indicator");
}

// ---- Cause and remedy --------------------------------------------------------------------------

#[test]
fn cause_and_rectification_refusals() {
    let (mut harness, deduction_id) = world_with_deduction();
    let rectification = RecordRectification {
        deduction_id: DeductionId(deduction_id),
        description: "refiled".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    harness.when(&office(), at(7, 13, 9, 0), rectification).then_rejected(Code::CauseNotAttributed, "deduction_id");
    let attribution = AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit("YS99"),
        description: "wrong document type".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    harness.when(&office(), at(7, 13, 9, 0), attribution.clone()).then_rejected(Code::UnknownUnit, "cause_unit");
    harness.given(
        &assessor(),
        at(7, 13, 9, 0),
        WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "error".to_owned() },
    );
    let attribution = AttributeCause { cause_unit: unit("YS07-BGS"), ..attribution };
    harness.when(&office(), at(7, 13, 10, 0), attribution).then_rejected(Code::DeductionWithdrawn, "deduction_id");
}

// ---- Appeals -----------------------------------------------------------------------------------

#[test]
fn appeal_outside_its_window_says_the_deadline() {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    let rejection = harness
        .when(&appellant(), at(7, 17, 9, 1), file_against_deduction(deduction_id))
        .then_rejected(Code::AppealWindowClosed, "target");
    assert_eq!(rejection.message, "target: appeal window closed at 2017-07-17T09:00:00.000000Z");
    harness.when(&appellant(), at(7, 17, 9, 0), file_against_deduction(deduction_id)).then_events();
}

#[test]
fn one_open_appeal_per_deduction_and_none_after_a_decision() {
    let (mut harness, deduction_id, appeal_id) = world_with_appeal();
    harness
        .when(&appellant(), at(7, 15, 9, 0), file_against_deduction(deduction_id))
        .then_rejected(Code::AppealAlreadyOpen, "target");
    harness.given(&reviewer(), at(7, 16, 9, 0), decide_with(appeal_id, AppealOutcome::Dismissed));
    harness
        .when(&appellant(), at(7, 16, 10, 0), file_against_deduction(deduction_id))
        .then_rejected(Code::AppealAlreadyDecided, "target");
}

#[test]
fn appeal_targets_must_stand() {
    let (mut harness, deduction_id) = world_with_deduction();
    harness
        .when(&appellant(), at(7, 12, 9, 0), file_against_deduction(Uuid::from_u128(9)))
        .then_rejected(Code::UnknownDeduction, "target");
    let award_id = harness.given(&assessor(), at(7, 3, 9, 0), award(2));
    harness.given(&assessor(), at(7, 4, 9, 0), award(3));
    let old_award = FileAppeal {
        target: AppealTarget::TierAward { tier_award_id: TierAwardId(award_id) },
        grounds: "x".to_owned(),
        evidence_digests: Vec::new(),
    };
    harness.when(&appellant(), at(7, 5, 9, 0), old_award).then_rejected(Code::TierAwardSuperseded, "target");
    let top_award = harness.given(&assessor(), at(7, 4, 10, 0), award(1));
    let nothing = FileAppeal {
        target: AppealTarget::TierAward { tier_award_id: TierAwardId(top_award) },
        grounds: "x".to_owned(),
        evidence_digests: Vec::new(),
    };
    harness.when(&appellant(), at(7, 5, 9, 0), nothing).then_rejected(Code::NothingToAppeal, "target");
    let unknown_award = FileAppeal {
        target: AppealTarget::TierAward { tier_award_id: TierAwardId(Uuid::from_u128(3)) },
        grounds: "x".to_owned(),
        evidence_digests: Vec::new(),
    };
    harness.when(&appellant(), at(7, 5, 9, 0), unknown_award).then_rejected(Code::UnknownTierAward, "target");
    harness.given(
        &assessor(),
        at(7, 11, 11, 0),
        WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "error".to_owned() },
    );
    harness
        .when(&appellant(), at(7, 12, 9, 0), file_against_deduction(deduction_id))
        .then_rejected(Code::DeductionWithdrawn, "target");
}

#[test]
fn appeal_in_a_final_period_is_refused() {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.given(&committee(), at(7, 18, 9, 0), finalise(JUNE));
    harness
        .when(&appellant(), at(7, 18, 10, 0), file_against_deduction(deduction_id))
        .then_rejected(Code::PeriodFinal, "target");
}

#[test]
fn partial_restoration_must_lie_strictly_inside_the_contested_points() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    for points in [0, 200, 250, -100] {
        let outcome = AppealOutcome::Partial { points_restored: Points(points) };
        harness
            .when(&reviewer(), at(7, 19, 9, 0), decide_with(appeal_id, outcome))
            .then_rejected(Code::RestorationOutOfRange, "outcome.points_restored");
    }
}

#[test]
fn decision_refusals() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    harness
        .when(&reviewer(), at(7, 19, 9, 0), decide_with(Uuid::from_u128(5), AppealOutcome::Upheld))
        .then_rejected(Code::UnknownAppeal, "appeal_id");
    harness.given(&reviewer(), at(7, 19, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    harness
        .when(&reviewer(), at(7, 19, 10, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::AppealNotOpen, "appeal_id");
}

#[test]
fn escalation_refusals() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    let escalate =
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "unfair".to_owned(), evidence_digests: Vec::new() };
    harness.when(&appellant(), at(7, 15, 9, 0), escalate.clone()).then_rejected(Code::AppealNotDecided, "appeal_id");
    harness.given(
        &reviewer(),
        at(7, 19, 16, 0),
        decide_with(appeal_id, AppealOutcome::Partial { points_restored: Points(100) }),
    );
    let rejection = harness
        .when(&appellant(), at(7, 24, 16, 1), escalate.clone())
        .then_rejected(Code::EscalationWindowClosed, "appeal_id");
    assert_eq!(rejection.message, "appeal_id: escalation window closed at 2017-07-24T16:00:00.000000Z");
    harness.given(&appellant(), at(7, 24, 16, 0), escalate.clone());
    harness
        .when(&appellant(), at(7, 24, 17, 0), escalate.clone())
        .then_rejected(Code::AppealAlreadyEscalated, "appeal_id");
    let less = decide_with(appeal_id, AppealOutcome::Dismissed);
    harness.when(&committee(), at(7, 26, 9, 0), less).then_rejected(Code::RestorationBelowFirstDecision, "outcome");
    harness.given(
        &committee(),
        at(7, 26, 9, 0),
        decide_with(appeal_id, AppealOutcome::Partial { points_restored: Points(100) }),
    );
    harness.when(&appellant(), at(7, 26, 10, 0), escalate).then_rejected(Code::AppealAlreadyEscalated, "appeal_id");
}

#[test]
fn upheld_appeals_are_not_escalated() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    harness.given(&reviewer(), at(7, 19, 16, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    let escalate =
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "more".to_owned(), evidence_digests: Vec::new() };
    harness.when(&appellant(), at(7, 20, 9, 0), escalate).then_rejected(Code::AppealUpheld, "appeal_id");
}

#[test]
fn only_open_appeals_are_withdrawn() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    harness.given(&reviewer(), at(7, 19, 16, 0), decide_with(appeal_id, AppealOutcome::Dismissed));
    let withdraw = WithdrawAppeal { appeal_id: AppealId(appeal_id), reason: "accepted".to_owned() };
    harness.when(&appellant(), at(7, 20, 9, 0), withdraw).then_rejected(Code::AppealNotOpen, "appeal_id");
}

// ---- Access -----------------------------------------------------------------------------------

#[test]
fn only_an_admin_grants_and_revokes() {
    let mut harness = world();
    harness
        .when(&assessor(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"))
        .then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.given(&admin(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"));
    for actor in [assessor(), office(), appellant(), reviewer(), committee(), auditor()] {
        harness.when(&actor, at(7, 2, 9, 0), revoke('a')).then_rejected(Code::RoleNotAllowed, "actor.role");
    }
}

#[test]
fn an_admin_grants_and_revokes_only_inside_its_scope() {
    let mut harness = world();
    let county_admin = actor("admin.ys07", Role::Admin, "YS07");
    harness
        .when(&county_admin, at(7, 1, 9, 0), grant('a', "office.ys08", Role::Office, "YS08"))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness
        .when(&county_admin, at(7, 1, 9, 0), grant('a', "assessor.ys", Role::Assessor, "YS"))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness.given(&admin(), at(7, 1, 9, 0), grant('b', "assessor.ys.zhao", Role::Assessor, "YS"));
    harness.when(&county_admin, at(7, 2, 9, 0), revoke('b')).then_rejected(Code::OutOfScope, "actor.unit");
}

#[test]
fn a_grant_needs_a_known_active_unit() {
    let mut harness = world();
    harness
        .when(&admin(), at(7, 1, 9, 0), grant('a', "office.ys99", Role::Office, "YS99"))
        .then_rejected(Code::UnknownUnit, "unit");
    harness.given(&admin(), at(2, 1, 9, 0), RetireUnit { unit: unit("YS08-ZGG"), reason: "merged".to_owned() });
    harness
        .when(&admin(), at(7, 1, 9, 0), grant('a', "appellant.ys08.zgg", Role::Appellant, "YS08-ZGG"))
        .then_rejected(Code::UnitRetired, "unit");
}

#[test]
fn a_token_hash_is_granted_once_ever() {
    let mut harness = world();
    harness.given(&admin(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"));
    harness
        .when(&admin(), at(7, 1, 10, 0), grant('a', "auditor.ys.qian", Role::Auditor, "YS"))
        .then_rejected(Code::TokenExists, "token_hash");
    harness.given(&admin(), at(7, 2, 9, 0), revoke('a'));
    let rejection = harness
        .when(&admin(), at(7, 3, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"))
        .then_rejected(Code::TokenExists, "token_hash");
    assert!(rejection.message.contains("assessor.ys.zhao"), "{}", rejection.message);
}

#[test]
fn only_a_granted_unrevoked_token_is_revoked() {
    let mut harness = world();
    harness.when(&admin(), at(7, 1, 9, 0), revoke('c')).then_rejected(Code::UnknownToken, "token_hash");
    harness.given(&admin(), at(7, 1, 9, 0), grant('c', "assessor.ys.zhao", Role::Assessor, "YS"));
    let blank = RevokeAccess { reason: " ".to_owned(), ..revoke('c') };
    harness.when(&admin(), at(7, 2, 9, 0), blank).then_rejected(Code::InvalidText, "reason");
    harness.given(&admin(), at(7, 2, 9, 0), revoke('c'));
    harness.when(&admin(), at(7, 3, 9, 0), revoke('c')).then_rejected(Code::TokenRevoked, "token_hash");
}

#[test]
fn actor_ids_are_bounded_and_free_of_control_characters() {
    let mut harness = world();
    let day = at(7, 1, 9, 0);
    for bad in [String::new(), "  ".to_owned(), "评".repeat(43), "assessor\nroot".to_owned(), "a\u{7f}b".to_owned()] {
        let command = GrantAccess { actor_id: bad, ..grant('d', "x", Role::Assessor, "YS") };
        harness.when(&admin(), day, command).then_rejected(Code::InvalidText, "actor_id");
    }
    let longest = GrantAccess { actor_id: "x".repeat(ACTOR_FIELD_BYTES_MAX), ..grant('d', "x", Role::Assessor, "YS") };
    harness.when(&admin(), day, longest).then_events();
    let long_note = GrantAccess { note: "x".repeat(TEXT_CHARS_MAX + 1), ..grant('d', "x", Role::Assessor, "YS") };
    harness.when(&admin(), day, long_note).then_rejected(Code::InvalidText, "note");
}

// ---- What text is accepted ----------------------------------------------------------------------

/// What a string field of a command holds, by the definition its schema refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextKind {
    /// `name`, `actor_id`: one line, no hidden character at all.
    Name,
    /// `text`, `optional_text`: line feeds allowed, no other hidden character.
    Free,
    /// Codes, ids, periods, digests, enum tags: a pattern or an enum decides, at decoding.
    Structured,
}

/// Every string field of every command's schema, as (dotted path with `*` for array items, kind),
/// found by walking schemas/commands/*.json through their `$ref`s into definitions.json. A string the
/// walk cannot classify (free-form, but neither a name nor a text) fails the walk.
fn schema_string_fields(kind: CommandKind) -> std::collections::BTreeMap<String, TextKind> {
    fn definition<'a>(definitions: &'a serde_json::Value, reference: &str) -> (&'a serde_json::Value, String) {
        let name = reference.rsplit('/').next().expect("a $ref names a definition");
        (&definitions["$defs"][name], name.to_owned())
    }
    struct Walk<'a> {
        command: &'a str,
        definitions: &'a serde_json::Value,
    }
    fn walk(
        at: &Walk<'_>,
        schema: &serde_json::Value,
        via: Option<&str>,
        path: &str,
        found: &mut std::collections::BTreeMap<String, TextKind>,
    ) {
        if let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) {
            let (target, name) = definition(at.definitions, reference);
            return walk(at, target, Some(&name), path, found);
        }
        for variants in ["anyOf", "oneOf", "allOf"] {
            for variant in schema.get(variants).and_then(|v| v.as_array()).into_iter().flatten() {
                walk(at, variant, via, path, found);
            }
        }
        for (key, property) in schema.get("properties").and_then(|p| p.as_object()).into_iter().flatten() {
            let inner = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            walk(at, property, None, &inner, found);
        }
        if let Some(items) = schema.get("items") {
            walk(at, items, None, &format!("{path}.*"), found);
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            walk(at, values, None, &format!("{path}.*"), found);
        }
        let is_string = schema.get("type").and_then(|t| t.as_str()) == Some("string");
        let is_tag = schema.get("const").is_some_and(|c| c.is_string())
            || schema.get("enum").and_then(|e| e.as_array()).is_some_and(|e| e.iter().all(|v| v.is_string()));
        if !is_string && !is_tag {
            return;
        }
        let text_kind = match via {
            Some("name" | "actor_id") => TextKind::Name,
            Some("text" | "optional_text") => TextKind::Free,
            _ if is_tag || schema.get("pattern").is_some() => TextKind::Structured,
            _ => panic!("{}: {path} is a free-form string of no known kind ({schema})", at.command),
        };
        found.insert(path.to_owned(), text_kind);
    }
    let schema: serde_json::Value = serde_json::from_str(kind.payload_schema()).expect("a command schema is JSON");
    let definitions = std::fs::read_to_string(manifest_path("schemas/definitions.json")).expect("definitions.json");
    let definitions: serde_json::Value = serde_json::from_str(&definitions).expect("definitions.json is JSON");
    let mut found = std::collections::BTreeMap::new();
    walk(&Walk { command: kind.name(), definitions: &definitions }, &schema, None, "", &mut found);
    found
}

/// Every string leaf of a JSON value, as (dotted path with indices, value).
fn string_leaves(value: &serde_json::Value, path: &str, leaves: &mut Vec<(String, String)>) {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(text) => leaves.push((path.to_owned(), text.clone())),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(index, item)| string_leaves(item, &join(&index.to_string()), leaves))
        }
        serde_json::Value::Object(fields) => {
            fields.iter().for_each(|(key, item)| string_leaves(item, &join(key), leaves))
        }
        _ => {}
    }
}

/// `path` with every array index as `*`, to compare with the schema's paths.
fn generic_path(path: &str) -> String {
    path.split('.').map(|part| if part.parse::<usize>().is_ok() { "*" } else { part }).collect::<Vec<_>>().join(".")
}

fn set_at(value: &mut serde_json::Value, path: &str, text: String) {
    let target = path.split('.').fold(value, |value, part| match part.parse::<usize>() {
        Ok(index) if value.is_array() => &mut value[index],
        _ => &mut value[part],
    });
    *target = serde_json::Value::String(text);
}

/// One command of every kind, accepted as it stands, with every optional text field filled in: the
/// world it is decided in, who issues it and when.
fn one_accepted_command_of_each_kind() -> Vec<(Harness, Actor, Timestamp, Command)> {
    let late = at(7, 15, 9, 0);
    let deduction_id = world_with_deduction().1;
    let deduction_id = DeductionId(deduction_id);
    let (_, _, appeal_id) = world_with_appeal();
    let appeal_id = AppealId(appeal_id);
    let mut decided = world_with_appeal().0;
    decided.given(&reviewer(), at(7, 19, 16, 0), decide_with(appeal_id.0, AppealOutcome::Dismissed));
    let mut attributed = world_with_deduction().0;
    let attribution = AttributeCause {
        deduction_id,
        cause_unit: unit("YS07-BGS"),
        description: "filed late".to_owned(),
        evidence_digests: vec![digest('b')],
        links: Vec::new(),
    };
    attributed.given(&office(), at(7, 12, 9, 0), attribution.clone());
    let mut granted = world();
    granted.given(&admin(), at(7, 1, 9, 0), grant('c', "assessor.ys.zhao", Role::Assessor, "YS"));
    let mut published = world_with_deduction().0;
    given_published(&mut published, JUNE, at(7, 12, 9, 0));
    let mut awarded = world();
    award_missing_tiers(&mut awarded, JUNE, at(7, 3, 9, 0));
    // An event every world below holds (each one builds on `world()`).
    let link = world().last_event_id();
    let july = Some(period("2017-07"));
    let text = |words: &str| words.to_owned();
    // A county's own scheme, opened; individual assessment in YS07 (crate::domain_people's worlds).
    let mut own_opened = world();
    use crate::domain_people as people;
    use crate::own_scheme_fixture::{open_own, take_over};
    own_opened.given(&crate::own_scheme_fixture::county_admin(), at(1, 7, 9, 0), open_own());
    let county_committee = crate::own_scheme_fixture::county_committee();
    let mut filed = people::people_world();
    filed.given(&people::staff(), at(6, 9, 9, 0), people::file("2017-W23"));
    vec![
        (world(), admin(), late, register("YS07-XYZ", UnitLevel::Section, Some("YS07"), Some("XYZ")).into()),
        (world(), admin(), late, RenameUnit { unit: unit("YS08"), name: text("Ding County") }.into()),
        (world(), admin(), late, RetireUnit { unit: unit("YS08-ZGG"), reason: text("merged") }.into()),
        (
            world(),
            admin(),
            late,
            RegisterPerson { person: person("YS08-0002"), name: text("Zhao"), unit: unit("YS08") }.into(),
        ),
        (
            world(),
            admin(),
            late,
            MovePerson { person: person("YS08-0001"), to_unit: unit("YS08-ZGG"), effective_on: None }.into(),
        ),
        (world(), admin(), late, RetirePerson { person: person("YS08-0001"), reason: text("retired") }.into()),
        (
            world(),
            admin(),
            late,
            ErasePerson { person: person("YS08-0001"), legal_basis: text("本人申请删除 (PIPL 第四十七条)") }.into(),
        ),
        (world(), admin(), late, kpi_testkit::story::open_scheme(unit("YS"), 2018).into()),
        (
            world(),
            admin(),
            late,
            DefineIndicator {
                description: text("how it is scored"),
                effective_from: july,
                ..define_tiered("NEW-01", 400)
            }
            .into(),
        ),
        (
            world(),
            admin(),
            late,
            ReviseIndicator {
                scheme: scheme(),
                indicator: indicator(TIERED),
                effective_from: period("2017-07"),
                name: Some(text("revenue completion")),
                description: Some(text("share of the plan collected")),
                points_max: Some(Points(600)),
                tiers: Some(tiers()),
                reason: text("key work"),
            }
            .into(),
        ),
        (world(), admin(), late, retire_indicator(OTHER, "2017-07").into()),
        (
            world(),
            office(),
            late,
            AssignIndicator {
                supporting_sections: vec![unit("YS07-BGS")],
                responsible_person: Some(person("YS07-0201")),
                effective_from: july,
                ..assign(OTHER, "YS07-ZGG")
            }
            .into(),
        ),
        (
            world(),
            office(),
            late,
            MarkIndicatorNotApplicable { effective_from: july, ..not_applicable(OTHER, "YS07-0001") }.into(),
        ),
        (own_opened, crate::own_scheme_fixture::county_admin(), late, take_over(TIERED, 600).into()),
        (world(), admin(), late, OpenPeriod { scheme: scheme(), period: period("2017-07") }.into()),
        (awarded, committee(), at(7, 12, 9, 0), publish(JUNE).into()),
        (published, committee(), at(7, 18, 9, 0), finalise(JUNE).into()),
        (
            world_with_final_june(),
            committee(),
            at(7, 20, 9, 0),
            ReopenPeriod { scheme: scheme(), period: period(JUNE), reason: text("late appeal") }.into(),
        ),
        (world(), assessor(), late, award(2).into()),
        (world(), assessor(), late, RecordDeduction { links: vec![link], ..deduction(100) }.into()),
        (
            world_with_deduction().0,
            assessor(),
            late,
            WithdrawDeduction { deduction_id, reason: text("wrong unit") }.into(),
        ),
        (
            world(),
            assessor(),
            late,
            AwardBonus {
                scheme: scheme(),
                period: period(JUNE),
                unit: unit("YS07"),
                points: Points(100),
                reason: text("model office"),
            }
            .into(),
        ),
        (
            world(),
            assessor(),
            late,
            ApplyVeto {
                scheme: scheme(),
                period: period(JUNE),
                unit: unit("YS07"),
                indicator: indicator(VETO),
                reason: text("safety incident"),
            }
            .into(),
        ),
        (
            world_with_deduction().0,
            office(),
            at(7, 12, 9, 0),
            AttributeCause { links: vec![link], ..attribution }.into(),
        ),
        (
            attributed,
            office(),
            at(7, 13, 9, 0),
            RecordRectification {
                deduction_id,
                description: text("filing rules taught"),
                evidence_digests: vec![digest('c')],
                links: vec![link],
            }
            .into(),
        ),
        (published_world(), appellant(), at(7, 14, 9, 0), file_against_deduction(deduction_id.0).into()),
        (
            world_with_appeal().0,
            reviewer(),
            at(7, 19, 16, 0),
            decide_with(appeal_id.0, AppealOutcome::Partial { points_restored: Points(100) }).into(),
        ),
        (
            decided,
            appellant(),
            at(7, 20, 9, 0),
            EscalateAppeal { appeal_id, grounds: text("filed on time"), evidence_digests: Vec::new() }.into(),
        ),
        (world_with_appeal().0, appellant(), late, WithdrawAppeal { appeal_id, reason: text("accepted") }.into()),
        (world(), admin(), late, grant('a', "assessor.ys.zhao", Role::Assessor, "YS").into()),
        (granted, admin(), late, revoke('c').into()),
        (
            world(),
            admin(),
            late,
            SetTimeZone { utc_offset: kpi_ledger::domain::timestamp::UtcOffset::parse("+07:00").unwrap() }.into(),
        ),
        (
            world(),
            admin(),
            late,
            kpi_ledger::domain::command::RotateSigningKey {
                public_key: kpi_ledger::domain::ids::PublicKeyHex::new("a".repeat(64)).unwrap(),
                previous_public_key: kpi_ledger::domain::ids::PublicKeyHex::new("b".repeat(64)).unwrap(),
                reason: text("yearly rotation"),
            }
            .into(),
        ),
        (
            people::people_world(),
            office(),
            late,
            DefinePersonalIndicator {
                description: text("clean the stock of registration data"),
                effective_from: july,
                ..people::define_personal_tiered(people::PERSONAL, 400)
            }
            .into(),
        ),
        (people::world_with_personal_indicators(), office(), late, people::personal_deduction(100).into()),
        (
            people::world_with_personal_indicators(),
            people::staff(),
            late,
            FileWeeklyRecord {
                indicators: vec![kpi_ledger::domain::person::IndicatorRef::Personal {
                    indicator: indicator(people::PERSONAL),
                }],
                ..people::file("2017-W28")
            }
            .into(),
        ),
        (filed, people::chief(), late, people::comment("YS07-0201", "2017-W23").into()),
        (people::people_world(), people::chief(), late, people::review("YS07-0201", "2017-Q2", 8800).into()),
        (people::people_world(), county_committee.clone(), late, people::rules().into()),
        (
            people::people_world(),
            county_committee,
            late,
            RecordGrade {
                reason: Some(text("weekly records late all year")),
                ..people::grade("YS07-0201", kpi_ledger::domain::person::AnnualGrade::BasicallyCompetent)
            }
            .into(),
        ),
        (world(), committee(), late, people::praise_unit("YS07").into()),
    ]
}

fn published_world() -> Harness {
    let mut harness = world_with_deduction().0;
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness
}

/// Control characters (C0 with NUL, ESC, CR and LF; DEL; C1), bidirectional formatting characters and
/// the line and paragraph separators.
const HIDDEN: [char; 16] = [
    '\0', '\u{1b}', '\r', '\n', '\t', '\u{7f}', '\u{85}', '\u{9b}', '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}',
    '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}',
];

#[test]
fn every_string_field_of_every_command_refuses_hidden_characters() {
    let cases = one_accepted_command_of_each_kind();
    let kinds: Vec<CommandKind> = cases.iter().map(|(_, _, _, command)| command.kind()).collect();
    assert_eq!(kinds, CommandKind::ALL, "one case per command, in declaration order");
    let mut free_text_fields = Vec::new();
    for (mut harness, actor, now, command) in cases {
        let name = command.name();
        harness.when(&actor, now, command.clone()).then_events();
        let fields = schema_string_fields(command.kind());
        let payload = command.payload();
        let mut leaves = Vec::new();
        string_leaves(&payload, "", &mut leaves);
        // Every name and text the schema allows is present in the case, so none is left untried (a code
        // of another variant, `target.tier_award_id` say, may be absent: it is refused at decoding).
        let present: std::collections::BTreeSet<String> = leaves.iter().map(|(path, _)| generic_path(path)).collect();
        for (path, _) in fields.iter().filter(|(_, kind)| **kind != TextKind::Structured) {
            assert!(present.contains(path), "{name}: the case leaves {path} out");
        }
        for (path, original) in leaves {
            let kind = *fields
                .get(&generic_path(&path))
                .unwrap_or_else(|| panic!("{name}: {path} is a string the schema does not declare"));
            if kind == TextKind::Free {
                free_text_fields.push(format!("{name}.{path}"));
            }
            for hidden in HIDDEN {
                let middle =
                    original.char_indices().nth(original.chars().count() / 2).map_or(original.len(), |(i, _)| i);
                let text = format!("{}{hidden}{}", &original[..middle], &original[middle..]);
                let mut bad = payload.clone();
                set_at(&mut bad, &path, text);
                let decoded = Command::from_payload(name, &bad);
                match (kind, decoded) {
                    (TextKind::Structured, Err(rejection)) => {
                        assert_eq!(rejection.code, Code::InvalidCommand, "{name}.{path}: {rejection:?}");
                        // Inside an enum tagged by `kind` (`target`, `outcome`) serde loses the position,
                        // so the decoder can name only the payload.
                        let tagged = ["target.", "outcome.", "view.", "subject.", "indicators."]
                            .iter()
                            .any(|prefix| path.starts_with(prefix));
                        assert!(
                            path.starts_with(&rejection.field) || (tagged && rejection.field == "payload"),
                            "{name}.{path} {hidden:?}: names {}",
                            rejection.field
                        );
                    }
                    (TextKind::Structured, Ok(_)) => panic!("{name}.{path} takes {hidden:?}"),
                    (_, Err(rejection)) => panic!("{name}.{path} with {hidden:?} does not decode: {rejection:?}"),
                    (TextKind::Free, Ok(command)) if hidden == '\n' => {
                        harness.when(&actor, now, command).then_events();
                    }
                    (_, Ok(command)) => {
                        let rejection = harness.when(&actor, now, command).then_rejected(Code::InvalidText, &path);
                        let escape = format!("U+{:04X} at position", u32::from(hidden));
                        assert!(rejection.message.contains(&escape), "{name}.{path}: {}", rejection.message);
                        assert!(
                            !rejection.message.contains(hidden),
                            "the message shows no hidden character: {rejection:?}"
                        );
                    }
                }
            }
        }
    }
    // The free-text fields, as the schemas declare them: line feeds allowed.
    assert_eq!(
        free_text_fields.join(" "),
        "RetireUnit.reason RetirePerson.reason ErasePerson.legal_basis DefineIndicator.description ReviseIndicator.description \
         ReviseIndicator.reason RetireIndicator.reason MarkIndicatorNotApplicable.reason ReopenPeriod.reason \
         AwardTier.reason RecordDeduction.reason WithdrawDeduction.reason AwardBonus.reason ApplyVeto.reason \
         AttributeCause.description RecordRectification.description FileAppeal.grounds DecideAppeal.reasoning \
         EscalateAppeal.grounds WithdrawAppeal.reason GrantAccess.note RevokeAccess.reason \
         RotateSigningKey.reason \
         DefinePersonalIndicator.description AssessPersonalIndicator.reason FileWeeklyRecord.text \
         CommentWeeklyRecord.comment ReviewPerson.comment RecordGrade.reason RecordResultUse.note"
    );
}

#[test]
fn a_refusal_names_the_field_and_the_character_as_an_escape() {
    let mut harness = world();
    let rename = |name: &str| RenameUnit { unit: unit("YS08"), name: name.to_owned() };
    let rejection = harness
        .when(&admin(), at(7, 1, 9, 0), rename("x\u{1b}[2K\r…\nYS99 injected row"))
        .then_rejected(Code::InvalidText, "name");
    assert_eq!(
        rejection.message,
        "name: contains the control character U+001B at position 2; names and ids may not contain control or \
         bidirectional formatting characters"
    );
    let rejection =
        harness.when(&admin(), at(7, 1, 9, 0), rename("丙县\u{202e}局")).then_rejected(Code::InvalidText, "name");
    assert!(rejection
        .message
        .starts_with("name: contains the bidirectional formatting character U+202E at position 3;"));
    let retire = |reason: &str| RetireUnit { unit: unit("YS08-ZGG"), reason: reason.to_owned() };
    harness.when(&admin(), at(7, 1, 9, 0), retire("merged\ninto YS08-ZGU")).then_events();
    let rejection =
        harness.when(&admin(), at(7, 1, 9, 0), retire("merged\r\ninto")).then_rejected(Code::InvalidText, "reason");
    assert_eq!(
        rejection.message,
        "reason: contains the control character U+000D at position 7; text may contain line feeds but no other \
         control or bidirectional formatting characters"
    );
    let rejection =
        harness.when(&admin(), at(7, 1, 9, 0), retire("a\u{2029}b")).then_rejected(Code::InvalidText, "reason");
    assert!(
        rejection.message.starts_with("reason: contains the paragraph separator U+2029 at position 2;"),
        "{}",
        rejection.message
    );
}

#[test]
fn the_acting_id_is_held_to_the_actor_id_rule() {
    let mut harness = world();
    for id in ["admin\u{202e}sy", "admin\nroot", "admin\u{1b}[2K"] {
        let acting = actor(id, Role::Admin, "YS");
        let rename = RenameUnit { unit: unit("YS08"), name: "Ding County".to_owned() };
        harness.when(&acting, at(7, 1, 9, 0), rename).then_rejected(Code::InvalidText, "actor.id");
    }
}

// ---- Appeals on cause attributions (tests/it/domain_blame_appeals.rs has the whole story) -------

#[test]
fn attribution_appeal_refusals() {
    let (mut harness, deduction_id) = world_with_deduction();
    let attribute = |cause: &str| AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit(cause),
        description: "filed under the wrong document type".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    harness.given(&office(), at(7, 12, 9, 0), attribute("YS07-BGS"));
    let first = harness.last_event_id();
    let against = |attribution: EventId| FileAppeal {
        target: AppealTarget::CauseAttribution {
            deduction_id: DeductionId(deduction_id),
            attribution_event_id: attribution,
        },
        grounds: "not ours".to_owned(),
        evidence_digests: Vec::new(),
    };
    let section = actor("appellant.ys07-bgs", Role::Appellant, "YS07-BGS");
    let county_committee = actor("committee.ys07", Role::Committee, "YS07");
    let now = at(7, 12, 10, 0);
    harness.when(&section, now, against(EventId(Uuid::from_u128(9)))).then_rejected(Code::UnknownAttribution, "target");
    let appeal_id = harness.given(&section, now, against(first));
    let partial = decide_with(appeal_id, AppealOutcome::Partial { points_restored: Points(1) });
    harness.when(&county_committee, now, partial).then_rejected(Code::OutcomeNotAllowed, "outcome");
    harness.given(&county_committee, now, decide_with(appeal_id, AppealOutcome::Dismissed));
    let escalate =
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "more".to_owned(), evidence_digests: Vec::new() };
    harness.when(&section, now, escalate).then_rejected(Code::AppealNotEscalatable, "appeal_id");
    harness.given(&office(), at(7, 13, 9, 0), attribute("YS07-ZGU"));
    harness.when(&section, at(7, 13, 10, 0), against(first)).then_rejected(Code::AttributionSuperseded, "target");
    let second = harness.last_event_id();
    let zgu = actor("appellant.ys07-zgu", Role::Appellant, "YS07-ZGU");
    let cleared = harness.given(&zgu, at(7, 13, 10, 0), against(second));
    harness.given(&county_committee, at(7, 14, 9, 0), decide_with(cleared, AppealOutcome::Upheld));
    harness
        .when(&office(), at(7, 14, 10, 0), attribute("YS07-ZGU"))
        .then_rejected(Code::AttributionOverturned, "cause_unit");
}

// ---- Decoding ----------------------------------------------------------------------------------

#[test]
fn command_json_with_a_wrong_type_names_the_field() {
    let payload = serde_json::json!({"scheme": "YS-2017", "period": "2017-06", "unit": "YS07", "indicator": "ZG-04", "points": "two", "reason": "r", "problem_category": "document_filing"});
    let rejection = Command::from_payload("RecordDeduction", &payload).expect_err("points is not a number");
    assert_eq!((rejection.code, rejection.field.as_str()), (Code::InvalidCommand, "points"));
}

// ---- Completeness ------------------------------------------------------------------------------

#[test]
fn every_rejection_code_is_asserted_in_the_domain_tests() {
    // The refusals of the county's own scheme, of individual assessment and of erasure live beside their
    // stories.
    let source = [
        include_str!("domain_refusals.rs"),
        include_str!("domain_own_scheme.rs"),
        include_str!("domain_people.rs"),
        include_str!("pipl.rs"),
    ]
    .concat();
    let missing: Vec<String> = RejectionCode::ALL
        .iter()
        .map(|code| format!("Code::{code:?}"))
        .filter(|pattern| !source.contains(&format!("{pattern},")) && !source.contains(&format!("{pattern})")))
        .collect();
    assert!(missing.is_empty(), "rejection codes never asserted: {missing:?}");
}

// ---- Ledger settings ---------------------------------------------------------------------------

#[test]
fn only_an_admin_of_a_top_unit_sets_the_ledger_time_zone() {
    let mut harness = world();
    let zone = |text: &str| SetTimeZone { utc_offset: kpi_ledger::domain::timestamp::UtcOffset::parse(text).unwrap() };
    let county_admin = actor("admin.ys07", Role::Admin, "YS07");
    harness.when(&county_admin, at(1, 4, 9, 0), zone("+08:00")).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&office(), at(1, 4, 9, 0), zone("+08:00")).then_rejected(Code::RoleNotAllowed, "actor.role");
    harness.when(&admin(), at(1, 4, 9, 0), zone("+07:00")).then_event(kpi_ledger::domain::event::TimeZoneSet {
        utc_offset: kpi_ledger::domain::timestamp::UtcOffset::parse("+07:00").unwrap(),
    });
    harness.given(&admin(), at(1, 4, 9, 0), zone("+07:00"));
    harness.when(&admin(), at(1, 5, 9, 0), zone("+07:00")).then_rejected(Code::InvalidValue, "utc_offset");
}
