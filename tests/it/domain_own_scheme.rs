//! A county's own scheme (内部考核, docs/RULES.md §14), given → when → then: opening one on the
//! city's base periods, taking city indicators over with the county's points, local indicators
//! assessed by the county's office (deductions, tier awards, bonuses, vetoes on its sections), and its
//! months — opened by the city, published by the county's committee once every applicable tiered
//! indicator has its award, final only after the city's, published again when the city reopens.
//!
//! Invariant guarded: the county's scheme assesses only the county's sections; a taken-over indicator
//! takes no fact of its own; a county month is never final while the city's is not.

use crate::harness;
use crate::own_scheme_fixture::*;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::event::{IndicatorTakenOver, SchemeOpened};
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::RejectionCode as Code;
use kpi_ledger::domain::*;
use kpi_testkit::story::{at, indicator, period, unit};

// ---- Opening ------------------------------------------------------------------------------------

#[test]
fn a_county_opens_its_own_scheme_on_its_citys_base_periods() {
    let mut harness = world();
    let events = harness.when(&county_admin(), at(6, 2, 9, 0), open_own()).then_events();
    let [Event::SchemeOpened(SchemeOpened { scheme, issuer, unit_tier_rule, base_period, .. })] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((scheme.as_str(), issuer.as_str(), *base_period), (OWN, "YS07", PeriodKind::Month));
    assert_eq!(unit_tier_rule, &TierRule::SharesPercent { shares_percent: vec![30, 50, 20] });
    harness.given(&county_admin(), at(6, 2, 9, 0), open_own());
    let own = &harness.facts.schemes[&own()];
    assert_eq!(own.reads, Some(kpi_testkit::story::scheme()), "it reads the city's scheme of its year");
    let city_june = &harness.facts.schemes[&kpi_testkit::story::scheme()].periods[&period(JUNE)];
    assert_eq!(own.periods[&period(JUNE)].opened, city_june.opened, "June, opened by the city, is open here too");
    assert_eq!(own.periods[&period(JUNE)].status, PeriodStatus::Open);
}

#[test]
fn a_month_the_city_opens_opens_in_the_countys_scheme_too() {
    let mut harness = own_world();
    harness.given(
        &admin(),
        at(7, 1, 8, 0),
        OpenPeriod { scheme: kpi_testkit::story::scheme(), period: period("2017-07") },
    );
    let own_facts = &harness.facts.schemes[&own()];
    assert_eq!(own_facts.periods[&period("2017-07")].opened.seq, harness.events.len() as u64);
    let opened_here = OpenPeriod { scheme: own(), period: period("2017-08") };
    let rejection =
        harness.when(&county_admin(), at(7, 1, 9, 0), opened_here).then_rejected(Code::PeriodOpenedByCity, "period");
    assert_eq!(
        rejection.message,
        "period: YS07-2017 uses the base periods of YS-2017: 2017-08 opens when YS-2017 opens it (it is not open \
         there yet)"
    );
}

#[test]
fn opening_a_county_scheme_is_refused_without_its_citys_or_off_its_base_periods() {
    let mut harness = world();
    let next_year = OpenScheme { year: 2018, ..open_own() };
    let rejection = harness.when(&county_admin(), at(6, 2, 9, 0), next_year).then_rejected(Code::UnknownScheme, "year");
    assert!(rejection.message.contains("its city's scheme YS-2018, which is not open"), "{}", rejection.message);
    let quarterly = OpenScheme { base_period: PeriodKind::Quarter, ..open_own() };
    harness.when(&county_admin(), at(6, 2, 9, 0), quarterly).then_rejected(Code::InvalidValue, "base_period");
    let by_function = OpenScheme {
        section_tier_rules: [(FunctionCode::new("ZG").unwrap(), TierRule::Counts { counts: vec![1] })].into(),
        ..open_own()
    };
    harness.when(&county_admin(), at(6, 2, 9, 0), by_function).then_rejected(Code::InvalidValue, "section_tier_rules");
    let bad_rule = OpenScheme { unit_tier_rule: Some(TierRule::Counts { counts: vec![0] }), ..open_own() };
    harness.when(&county_admin(), at(6, 2, 9, 0), bad_rule).then_rejected(Code::InvalidValue, "unit_tier_rule");
    // A city's scheme must still name the rule of its counties.
    let city_without_rule = OpenScheme { unit_tier_rule: None, ..kpi_testkit::story::open_scheme(unit("YS"), 2018) };
    harness.when(&admin(), at(6, 2, 9, 0), city_without_rule).then_rejected(Code::InvalidCommand, "unit_tier_rule");
    let other_county = actor("admin.ys08", Role::Admin, "YS08");
    harness.when(&other_county, at(6, 2, 9, 0), open_own()).then_rejected(Code::OutOfScope, "actor.unit");
}

// ---- Taking over ---------------------------------------------------------------------------------

#[test]
fn a_county_takes_a_city_indicator_over_with_its_own_points() {
    let mut harness = world();
    harness.given(&county_admin(), at(1, 7, 9, 0), open_own());
    harness.when(&county_admin(), at(1, 21, 10, 0), take_over(TIERED, 600)).then_event(IndicatorTakenOver {
        scheme: own(),
        indicator: indicator(TIERED),
        city_scheme: kpi_testkit::story::scheme(),
        points_max: Points(600),
        effective_from: period("2017-01"),
    });
    harness.given(&county_admin(), at(1, 21, 10, 0), take_over(TIERED, 600));
    let taken = &harness.facts.schemes[&own()].indicators[&indicator(TIERED)];
    assert_eq!(taken.taken_over.as_ref().map(|t| t.city_scheme.as_str()), Some("YS-2017"));
    assert_eq!(taken.version_at(period(JUNE)).points_max, Points(600));
    assert_eq!(taken.defined.name, format!("indicator {TIERED}"), "it keeps the city's name");
}

#[test]
fn taking_over_is_refused_where_there_is_nothing_to_take_over() {
    let mut harness = own_world();
    let when = at(2, 1, 9, 0);
    let on_city = TakeOverIndicator { scheme: kpi_testkit::story::scheme(), ..take_over(OTHER, 200) };
    harness.when(&admin(), when, on_city).then_rejected(Code::NotACountyScheme, "scheme");
    let other_city = TakeOverIndicator { city_scheme: SchemeId::new("YS-2018").unwrap(), ..take_over(OTHER, 200) };
    let rejection = harness.when(&county_admin(), when, other_city).then_rejected(Code::InvalidValue, "city_scheme");
    assert_eq!(rejection.message, "city_scheme: YS07-2017 reads YS-2017, not YS-2018");
    harness.when(&county_admin(), when, take_over("ZZ-99", 200)).then_rejected(Code::UnknownIndicator, "indicator");
    harness.when(&county_admin(), when, take_over(TIERED, 800)).then_rejected(Code::IndicatorExists, "indicator");
    harness.when(&county_admin(), when, take_over(LOCAL_DEDUCT, 800)).then_rejected(Code::IndicatorExists, "indicator");
    let rejection = harness
        .when(&county_admin(), when, take_over(OTHER, 200))
        .then_rejected(Code::IndicatorNotApplicable, "indicator");
    assert!(
        rejection.message.contains("YS07 has not assigned SZ-07 to a lead section in YS-2017"),
        "{}",
        rejection.message
    );
    harness.when(&county_admin(), when, take_over(DEDUCT, 0)).then_rejected(Code::IndicatorExists, "indicator");
    let dropped = MarkIndicatorNotApplicable {
        scheme: kpi_testkit::story::scheme(),
        indicator: indicator(VETO),
        unit: unit("YS07"),
        effective_from: None,
        reason: "no enforcement cases here".to_owned(),
        approver: kpi_testkit::story::person("YS07-0001"),
    };
    harness.given(&office(), when, dropped);
    harness.when(&county_admin(), when, take_over(VETO, 200)).then_rejected(Code::AlreadyNotApplicable, "indicator");
    harness.given(&office(), when, assign(OTHER, "YS07-BGS"));
    harness.when(&county_admin(), when, take_over(OTHER, 0)).then_rejected(Code::PointsNotPositive, "points_max");
    harness.when(&county_admin(), when, take_over(OTHER, 10_001)).then_rejected(Code::InvalidValue, "points_max");
    harness.when(&assessor(), when, take_over(OTHER, 200)).then_rejected(Code::RoleNotAllowed, "actor.role");
    let other_county = actor("admin.ys08", Role::Admin, "YS08");
    harness.when(&other_county, when, take_over(OTHER, 200)).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&county_admin(), when, take_over(OTHER, 200)).then_events();
}

#[test]
fn a_taken_over_indicator_takes_no_fact_plan_or_text_of_its_own() {
    let mut harness = own_world();
    let when = at(6, 22, 9, 0);
    let on_taken_over = local_deduction("YS07-ZGG", DEDUCT, 50);
    let rejection = harness.when(&office(), when, on_taken_over).then_rejected(Code::IndicatorTakenOver, "indicator");
    assert!(rejection.message.starts_with("indicator: ZG-04 is taken over from YS-2017"), "{}", rejection.message);
    harness
        .when(&office(), when, local_award("YS07-ZGU", TIERED, 1))
        .then_rejected(Code::IndicatorTakenOver, "indicator");
    harness
        .when(&office(), when, assign_local(TIERED, "YS07-BGS"))
        .then_rejected(Code::IndicatorTakenOver, "indicator");
    let dropped = MarkIndicatorNotApplicable {
        scheme: own(),
        indicator: indicator(TIERED),
        unit: unit("YS07"),
        effective_from: None,
        reason: "not key work any more".to_owned(),
        approver: kpi_testkit::story::person("YS07-0001"),
    };
    harness.when(&office(), when, dropped).then_rejected(Code::IndicatorTakenOver, "indicator");
    let revision = ReviseIndicator {
        scheme: own(),
        indicator: indicator(TIERED),
        effective_from: period("2017-07"),
        name: None,
        description: None,
        points_max: Some(Points(800)),
        tiers: None,
        reason: "more weight on revenue".to_owned(),
    };
    harness.when(&county_admin(), when, revision.clone()).then_events();
    let renamed = ReviseIndicator { name: Some("revenue".to_owned()), ..revision.clone() };
    harness.when(&county_admin(), when, renamed).then_rejected(Code::IndicatorTakenOver, "name");
    let retiered = ReviseIndicator { tiers: Some(tiers()), points_max: None, ..revision };
    harness.when(&county_admin(), when, retiered).then_rejected(Code::IndicatorTakenOver, "tiers");
}

// ---- Plans -------------------------------------------------------------------------------------

#[test]
fn the_countys_office_gives_local_indicators_to_its_sections() {
    let mut harness = own_world();
    let when = at(2, 1, 9, 0);
    let wrong_unit = AssignIndicator { unit: unit("YS07-BGS"), ..assign_local(LOCAL_DEDUCT, "YS07-ZGG") };
    let rejection = harness.when(&office(), when, wrong_unit).then_rejected(Code::OutOfScope, "unit");
    assert!(rejection.message.contains("its plan is YS07's"), "{}", rejection.message);
    harness
        .when(&office(), when, assign_local(LOCAL_DEDUCT, "YS08-ZGG"))
        .then_rejected(Code::NotASection, "lead_section");
    harness.when(&office(), when, assign_local(LOCAL_DEDUCT, "YS07-ZGG")).then_events();
}

// ---- Assessing sections ------------------------------------------------------------------------

#[test]
fn the_countys_office_deducts_awards_tiers_bonuses_and_vetoes_on_its_sections() {
    let mut harness = own_world();
    let when = at(6, 22, 9, 0);
    harness.when(&office(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50)).then_events();
    harness.when(&office(), when, local_award("YS07-ZGU", LOCAL_TIERED, 2)).then_events();
    harness.when(&office(), when, own_bonus("YS07-ZGU", 200)).then_events();
    harness.when(&office(), when, own_veto("YS07-ZGG")).then_events();
    // The county's own assessor may too, on what its unit assesses.
    harness.when(&county_assessor(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50)).then_events();
    harness.when(&county_assessor(), when, own_bonus("YS07-BGS", 100)).then_events();
}

fn county_assessor() -> Actor {
    actor("assessor.ys07", Role::Assessor, "YS07")
}

#[test]
fn the_citys_assessor_records_nothing_in_a_countys_own_scheme() {
    let mut harness = own_world();
    let when = at(6, 22, 9, 0);
    // Its scope holds YS07, but YS07-2017 is the county's: the city's facts stay in the city's scheme.
    let rejection = harness
        .when(&assessor(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50))
        .then_rejected(Code::OutOfScope, "actor.unit");
    assert_eq!(
        rejection.message,
        "actor.unit: YS07-2017 is YS07's own scheme; deductions, tier awards, bonuses and vetoes in it are recorded \
         and withdrawn by YS07's own office and assessors, not by YS"
    );
    harness
        .when(&assessor(), when, local_award("YS07-ZGU", LOCAL_TIERED, 1))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&assessor(), when, own_bonus("YS07-BGS", 50)).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&assessor(), when, own_veto("YS07-ZGG")).then_rejected(Code::OutOfScope, "actor.unit");
    // Nor does it withdraw what the county's office recorded.
    let deduction_id = harness.given(&office(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50));
    let withdrawal = WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "recorded twice".to_owned() };
    let rejection =
        harness.when(&assessor(), at(6, 23, 9, 0), withdrawal.clone()).then_rejected(Code::OutOfScope, "actor.unit");
    assert!(rejection.message.starts_with("actor.unit: YS07-2017 is YS07's own scheme"), "{}", rejection.message);
    // A section's assessor is not the county either: the county records in its scheme itself.
    let section_assessor = actor("assessor.ys07-zgg", Role::Assessor, "YS07-ZGG");
    harness.when(&section_assessor, when, own_veto("YS07-ZGG")).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&county_assessor(), at(6, 23, 9, 0), withdrawal).then_events();
    // In the city's own scheme the city's assessor still assesses the county.
    harness.when(&assessor(), when, deduction(50)).then_events();
    harness.when(&assessor(), when, award(1)).then_events();
}

#[test]
fn a_retired_section_or_unit_takes_no_bonus_veto_deduction_or_award() {
    let mut harness = own_world();
    for section in ["YS07-BGS", "YS07-ZGU", "YS07-ZGG", "YS08-ZGG"] {
        harness.given(&admin(), at(6, 21, 9, 0), RetireUnit { unit: unit(section), reason: "merged".to_owned() });
    }
    harness.given(&admin(), at(6, 21, 9, 0), RetireUnit { unit: unit("YS08"), reason: "merged".to_owned() });
    let when = at(6, 22, 9, 0);
    let rejection = harness
        .when(&office(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50))
        .then_rejected(Code::UnitRetired, "unit");
    assert_eq!(rejection.message, "unit: unit YS07-BGS is retired");
    harness.when(&office(), when, local_award("YS07-ZGU", LOCAL_TIERED, 1)).then_rejected(Code::UnitRetired, "unit");
    harness.when(&office(), when, own_bonus("YS07-BGS", 50)).then_rejected(Code::UnitRetired, "unit");
    harness.when(&county_assessor(), when, own_bonus("YS07-BGS", 50)).then_rejected(Code::UnitRetired, "unit");
    harness.when(&office(), when, own_veto("YS07-ZGG")).then_rejected(Code::UnitRetired, "unit");
    // In the city's scheme, a retired county likewise.
    let ys08 = |command: RecordDeduction| RecordDeduction { unit: unit("YS08"), ..command };
    harness.when(&assessor(), when, ys08(deduction(50))).then_rejected(Code::UnitRetired, "unit");
    let award_ys08 = AwardTier { unit: unit("YS08"), ..award(1) };
    harness.when(&assessor(), when, award_ys08).then_rejected(Code::UnitRetired, "unit");
    let bonus_ys08 = AwardBonus { scheme: kpi_testkit::story::scheme(), ..own_bonus("YS08", 50) };
    harness.when(&assessor(), when, bonus_ys08).then_rejected(Code::UnitRetired, "unit");
    let veto_ys08 = ApplyVeto {
        scheme: kpi_testkit::story::scheme(),
        unit: unit("YS08"),
        indicator: indicator(VETO),
        ..own_veto("YS08")
    };
    harness.when(&assessor(), when, veto_ys08).then_rejected(Code::UnitRetired, "unit");
}

#[test]
fn the_county_scheme_assesses_only_the_countys_sections_on_what_they_carry() {
    let mut harness = own_world();
    let when = at(6, 22, 9, 0);
    let other_office = actor("office.ys08", Role::Office, "YS08");
    harness
        .when(&other_office, when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&other_office, when, own_bonus("YS07-BGS", 50)).then_rejected(Code::OutOfScope, "actor.unit");
    let other_assessor = actor("assessor.ys08", Role::Assessor, "YS08");
    harness
        .when(&other_assessor, when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50))
        .then_rejected(Code::OutOfScope, "actor.unit");
    let rejection = harness
        .when(&office(), when, local_deduction("YS07-ZGG", LOCAL_DEDUCT, 50))
        .then_rejected(Code::IndicatorNotApplicable, "indicator");
    assert_eq!(rejection.message, "indicator: indicator YS07-BGS-01 is not one YS07-ZGG carries in 2017-06");
    harness
        .when(&office(), when, local_deduction("YS08-ZGG", LOCAL_DEDUCT, 50))
        .then_rejected(Code::OutOfScope, "unit");
    harness.when(&office(), when, own_bonus("YS07", 50)).then_rejected(Code::OutOfScope, "unit");
    harness.when(&office(), when, own_bonus("YS07-ZGU", 301)).then_rejected(Code::PointsExceedBonusCap, "points");
    harness
        .when(&office(), when, local_deduction("YS07-BGS", LOCAL_DEDUCT, 101))
        .then_rejected(Code::PointsExceedRemaining, "points");
    let veto_on_deduct = ApplyVeto { indicator: indicator(LOCAL_DEDUCT), ..own_veto("YS07-BGS") };
    harness.when(&office(), when, veto_on_deduct).then_rejected(Code::IndicatorNotVeto, "indicator");
}

#[test]
fn an_office_awards_tiers_bonuses_and_vetoes_only_in_its_countys_own_scheme() {
    let mut harness = own_world();
    let when = at(6, 22, 9, 0);
    let rejection = harness.when(&office(), when, award(1)).then_rejected(Code::OutOfScope, "scheme");
    assert_eq!(
        rejection.message,
        "scheme: an office awards tiers, bonuses and vetoes only in its county's own scheme; YS-2017 is the scheme \
         of YS"
    );
    let city_bonus = AwardBonus { scheme: kpi_testkit::story::scheme(), unit: unit("YS07"), ..own_bonus("YS07", 50) };
    harness.when(&office(), when, city_bonus).then_rejected(Code::OutOfScope, "scheme");
    // The city's scheme still gives sections no bonus or veto; the county's own does.
    let section_bonus = AwardBonus { scheme: kpi_testkit::story::scheme(), ..own_bonus("YS07-BGS", 50) };
    harness.when(&assessor(), when, section_bonus).then_rejected(Code::NotForSections, "unit");
    harness.when(&county_assessor(), when, own_bonus("YS07-BGS", 50)).then_events();
}

#[test]
fn a_county_deduction_is_withdrawn_by_its_office_or_its_own_assessor() {
    let mut harness = own_world();
    let deduction_id = harness.given(&office(), at(6, 22, 9, 0), local_deduction("YS07-BGS", LOCAL_DEDUCT, 50));
    let withdrawal = WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "recorded twice".to_owned() };
    let other_office = actor("office.ys08", Role::Office, "YS08");
    harness.when(&other_office, at(6, 23, 9, 0), withdrawal.clone()).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&assessor(), at(6, 23, 9, 0), withdrawal.clone()).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&county_assessor(), at(6, 23, 9, 0), withdrawal.clone()).then_events();
    harness.when(&office(), at(6, 23, 9, 0), withdrawal).then_events();
}

#[test]
fn a_section_appeals_a_county_deduction_to_the_countys_reviewer() {
    let mut harness = own_world();
    let deduction_id = harness.given(&office(), at(6, 22, 9, 0), local_deduction("YS07-BGS", LOCAL_DEDUCT, 50));
    let appeal_id = harness.given(&appellant(), at(6, 23, 9, 0), file_against_deduction(deduction_id));
    let other_reviewer = actor("reviewer.ys08", Role::Reviewer, "YS08");
    harness
        .when(&other_reviewer, at(6, 24, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::OutOfScope, "actor.unit");
    // The city's reviewer, whose scope holds YS07, decides nothing in YS07's own scheme.
    let rejection = harness
        .when(&reviewer(), at(6, 24, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::OutOfScope, "actor.unit");
    assert!(rejection.message.contains("YS07's own reviewers"), "{}", rejection.message);
    harness.given(&county_reviewer(), at(6, 24, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    let deduction = &harness.facts.deductions[&DeductionId(deduction_id)];
    assert_eq!(harness.facts.effective_points(deduction), Points::ZERO);
}

#[test]
fn an_escalated_county_appeal_is_the_county_committees_not_the_citys() {
    let mut harness = own_world();
    let deduction_id = harness.given(&office(), at(6, 22, 9, 0), local_deduction("YS07-BGS", LOCAL_DEDUCT, 50));
    let appeal_id = harness.given(&appellant(), at(6, 23, 9, 0), file_against_deduction(deduction_id));
    harness.given(&county_reviewer(), at(6, 24, 9, 0), decide_with(appeal_id, AppealOutcome::Dismissed));
    let escalate =
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "unfair".to_owned(), evidence_digests: Vec::new() };
    harness.given(&appellant(), at(6, 25, 9, 0), escalate);
    harness
        .when(&committee(), at(6, 26, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld))
        .then_rejected(Code::OutOfScope, "actor.unit");
    harness.given(&county_committee(), at(6, 26, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    let deduction = &harness.facts.deductions[&DeductionId(deduction_id)];
    assert_eq!(harness.facts.effective_points(deduction), Points::ZERO);
}

// ---- Months ------------------------------------------------------------------------------------

#[test]
fn a_county_month_is_published_once_every_applicable_tiered_indicator_has_its_award() {
    let mut harness = own_june();
    let mut bare = own_world();
    let rejection = bare
        .when(&county_committee(), at(7, 1, 9, 0), publish_own(JUNE))
        .then_rejected(Code::TierAwardsMissing, "period");
    assert_eq!(
        rejection.message,
        "period: 2017-06 cannot be published: 2 applicable tiered indicator(s) have no tier award for it (unit \
         indicator): YS07-ZGU YS07-ZGU-01, YS07-ZGU ZGU-02 (YS-2017's award to YS07)"
    );
    // The June of the worked example has both: the county's own award and the city's.
    given_published(&mut harness, JUNE, at(7, 1, 8, 0));
    harness.when(&county_committee(), at(7, 1, 9, 0), publish_own(JUNE)).then_events();
    harness.when(&office(), at(7, 1, 9, 0), publish_own(JUNE)).then_rejected(Code::RoleNotAllowed, "actor.role");
    let other_committee = actor("committee.ys08", Role::Committee, "YS08");
    harness.when(&other_committee, at(7, 1, 9, 0), publish_own(JUNE)).then_rejected(Code::OutOfScope, "actor.unit");
}

#[test]
fn a_county_month_is_published_only_once_the_citys_same_month_is() {
    let mut harness = own_june();
    // ZGU-02 is scored from the city's facts, which may still change while the city's June is open.
    let rejection = harness
        .when(&county_committee(), at(7, 1, 9, 0), publish_own(JUNE))
        .then_rejected(Code::CityPeriodNotPublished, "period");
    assert_eq!(
        rejection.message,
        "period: 2017-06 of YS07-2017 can be published only once YS-2017 has published 2017-06 (it is open there)"
    );
    given_published(&mut harness, JUNE, at(7, 2, 9, 0));
    harness.when(&county_committee(), at(7, 2, 10, 0), publish_own(JUNE)).then_events();
    // A month the city has reopened is published there again: the county publishes its own.
    harness.given(&committee(), at(7, 8, 9, 0), finalise(JUNE));
    let reopen =
        ReopenPeriod { scheme: kpi_testkit::story::scheme(), period: period(JUNE), reason: "a miscount".into() };
    harness.given(&committee(), at(7, 9, 9, 0), reopen);
    harness.when(&county_committee(), at(7, 9, 10, 0), publish_own(JUNE)).then_events();
}

#[test]
fn a_countys_months_are_its_own_committees_not_the_citys() {
    let mut harness = own_june();
    given_published(&mut harness, JUNE, at(7, 1, 8, 0));
    // The city's committee, whose scope holds YS07, neither publishes, finalises nor reopens them.
    let rejection =
        harness.when(&committee(), at(7, 1, 9, 0), publish_own(JUNE)).then_rejected(Code::OutOfScope, "actor.unit");
    assert_eq!(
        rejection.message,
        "actor.unit: YS07-2017 is YS07's own scheme; its months are published, finalised and reopened by YS07's own \
         committee, not by YS's"
    );
    harness.given(&county_committee(), at(7, 1, 9, 0), publish_own(JUNE));
    harness.given(&committee(), at(7, 7, 9, 0), finalise(JUNE));
    harness.when(&committee(), at(7, 7, 10, 0), finalise_own(JUNE)).then_rejected(Code::OutOfScope, "actor.unit");
    harness.given(&county_committee(), at(7, 7, 10, 0), finalise_own(JUNE));
    let reopen = ReopenPeriod { scheme: own(), period: period(JUNE), reason: "a miscount".into() };
    harness.when(&committee(), at(7, 8, 9, 0), reopen.clone()).then_rejected(Code::OutOfScope, "actor.unit");
    harness.when(&county_committee(), at(7, 8, 9, 0), reopen).then_events();
    // The city's committee still makes the city's months.
    let city_reopen =
        ReopenPeriod { scheme: kpi_testkit::story::scheme(), period: period(JUNE), reason: "a miscount".into() };
    harness.when(&committee(), at(7, 8, 9, 0), city_reopen).then_events();
}

#[test]
fn a_county_month_is_final_only_once_the_citys_is_and_published_again_when_the_city_reopens() {
    let mut harness = own_june();
    given_published(&mut harness, JUNE, at(7, 1, 8, 0));
    harness.given(&county_committee(), at(7, 1, 9, 0), publish_own(JUNE));
    let rejection = harness
        .when(&county_committee(), at(7, 8, 9, 0), finalise_own(JUNE))
        .then_rejected(Code::CityPeriodNotFinal, "period");
    assert_eq!(
        rejection.message,
        "period: 2017-06 of YS07-2017 can be final only once YS-2017 has made 2017-06 final (it is published there)"
    );
    harness.given(&committee(), at(7, 8, 9, 0), finalise(JUNE));
    harness.given(&county_committee(), at(7, 8, 10, 0), finalise_own(JUNE));
    let status = |harness: &Harness| harness.facts.schemes[&own()].periods[&period(JUNE)].status;
    assert_eq!(status(&harness), PeriodStatus::Final);
    // A final county month takes no fact …
    harness
        .when(&office(), at(7, 9, 9, 0), local_deduction("YS07-BGS", LOCAL_DEDUCT, 10))
        .then_rejected(Code::PeriodFinal, "period");
    // … and the city's correction is never held up by it: reopening there publishes it here again.
    let reopen =
        ReopenPeriod { scheme: kpi_testkit::story::scheme(), period: period(JUNE), reason: "a miscount".into() };
    harness.given(&committee(), at(7, 10, 9, 0), reopen);
    assert_eq!(status(&harness), PeriodStatus::Published);
    harness.when(&office(), at(7, 10, 10, 0), local_deduction("YS07-BGS", LOCAL_DEDUCT, 10)).then_events();
    harness.when(&committee(), at(7, 10, 11, 0), finalise(JUNE)).then_events();
}
