//! Every command's accepted path, given → when → then: the events each command records.
//!
//! Invariant guarded: an accepted command records exactly the fact it names, in the stream its
//! subject lives in, with times and ids from the context.

use crate::harness;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::event::*;
use kpi_ledger::domain::facts::PeriodStatus;
use kpi_ledger::domain::*;
use kpi_testkit::story::{at, indicator, period, person, scheme, unit};

#[test]
fn register_unit_records_the_unit_in_its_stream() {
    let mut harness = world();
    let events = harness
        .when(&admin(), at(1, 4, 9, 0), register("YS07-NFG", UnitLevel::Section, Some("YS07"), Some("NF")))
        .then_events();
    assert_eq!(events[0].stream_id(), "unit-YS07-NFG");
    let Event::UnitRegistered(registered) = &events[0] else { panic!("{events:?}") };
    assert_eq!(registered.parent, Some(unit("YS07")));
}

#[test]
fn root_unit_is_registered_by_its_own_admin() {
    let mut harness = Harness::empty();
    harness.when(&admin(), at(1, 3, 9, 0), register("YS", UnitLevel::City, None, None)).then_event(UnitRegistered {
        unit: unit("YS"),
        name: "unit YS".to_owned(),
        level: UnitLevel::City,
        parent: None,
        function_code: None,
    });
}

#[test]
fn rename_and_retire_unit() {
    let mut harness = world();
    let rename = RenameUnit { unit: unit("YS08-ZGG"), name: "政工科".to_owned() };
    harness
        .when(&admin(), at(2, 1, 9, 0), rename)
        .then_event(UnitRenamed { unit: unit("YS08-ZGG"), name: "政工科".to_owned() });
    let retire = RetireUnit { unit: unit("YS08-ZGG"), reason: "merged into the general office".to_owned() };
    harness
        .when(&admin(), at(2, 1, 9, 0), retire)
        .then_event(UnitRetired { unit: unit("YS08-ZGG"), reason: "merged into the general office".to_owned() });
}

#[test]
fn register_move_and_retire_person() {
    let mut harness = world();
    let register = RegisterPerson { person: person("YS07-0101"), name: "钱主任".to_owned(), unit: unit("YS07-BGS") };
    harness.when(&admin(), at(1, 4, 9, 0), register).then_event(PersonRegistered {
        person: person("YS07-0101"),
        name: "钱主任".into(),
        unit: unit("YS07-BGS"),
    });
    let move_person = MovePerson { person: person("YS07-0201"), to_unit: unit("YS07-BGS"), effective_on: None };
    harness.when(&admin(), at(1, 4, 9, 0), move_person).then_event(PersonMoved {
        person: person("YS07-0201"),
        from_unit: unit("YS07-ZGG"),
        to_unit: unit("YS07-BGS"),
        effective_on: Some(kpi_ledger::domain::date::Date::new(2017, 1, 4).expect("a date")),
    });
    let retire = RetirePerson { person: person("YS08-0001"), reason: "retired".to_owned() };
    harness
        .when(&admin(), at(1, 4, 9, 0), retire)
        .then_event(PersonRetired { person: person("YS08-0001"), reason: "retired".to_owned() });
}

#[test]
fn open_scheme_spells_out_every_default() {
    let mut harness = world();
    let payload =
        serde_json::json!({"issuer": "YS", "year": 2018, "unit_tier_rule": {"kind": "counts", "counts": [4, 5, 3]}});
    let command = Command::from_payload("OpenScheme", &payload).expect("a minimal scheme decodes");
    let events = harness.when(&admin(), at(12, 20, 9, 0), command).then_events();
    let Event::SchemeOpened(opened) = &events[0] else { panic!("{events:?}") };
    assert_eq!(opened.scheme.as_str(), "YS-2018");
    assert_eq!((opened.objection_window_days, opened.escalation_window_days, opened.decision_window_days), (5, 5, 10));
    assert_eq!(opened.bonus_cap, Points(300));
    assert_eq!(opened.section_tier_rule, TierRule::SharesPercent { shares_percent: vec![30, 50, 20] });
    assert_eq!(opened.base_period, PeriodKind::Month);
    assert_eq!(events[0].stream_id(), "scheme-YS-2018");
}

#[test]
fn define_indicator_defaults_to_the_first_base_period() {
    let mut harness = world();
    let events = harness.when(&admin(), at(1, 6, 9, 0), define("NF-01", 300)).then_events();
    let Event::IndicatorDefined(defined) = &events[0] else { panic!("{events:?}") };
    assert_eq!(defined.effective_from, period("2017-01"));
    assert_eq!(defined.points_max, Points(300));
}

#[test]
fn revise_indicator_changes_points_from_its_period_only() {
    let mut harness = world();
    let revision = ReviseIndicator {
        scheme: scheme(),
        indicator: indicator(TIERED),
        effective_from: period("2017-03"),
        name: None,
        description: None,
        points_max: Some(Points(600)),
        tiers: None,
        reason: "key work".to_owned(),
    };
    harness.given(&admin(), at(1, 10, 9, 0), revision);
    let record = &harness.facts.schemes[&scheme()].indicators[&indicator(TIERED)];
    assert_eq!(record.version_at(period("2017-02")).points_max, Points(400));
    assert_eq!(record.version_at(period("2017-03")).points_max, Points(600));
}

#[test]
fn retire_indicator_stops_it_applying() {
    let mut harness = world();
    let retire = RetireIndicator {
        scheme: scheme(),
        indicator: indicator(OTHER),
        effective_from: period("2017-07"),
        reason: "merged into SZ-01".to_owned(),
    };
    harness.given(&admin(), at(6, 20, 9, 0), retire);
    let scheme_record = &harness.facts.schemes[&scheme()];
    assert!(scheme_record.applies(&scheme_record.indicators[&indicator(OTHER)], &unit("YS07"), period("2017-06")));
    assert!(!scheme_record.applies(&scheme_record.indicators[&indicator(OTHER)], &unit("YS07"), period("2017-07")));
}

#[test]
fn assign_indicator_names_lead_section_and_person() {
    let mut harness = world();
    let command = AssignIndicator { responsible_person: Some(person("YS07-0201")), ..assign(DEDUCT, "YS07-ZGG") };
    let events = harness.when(&office(), at(1, 21, 9, 0), command).then_events();
    assert_eq!(events[0].stream_id(), "plan-YS-2017.YS07");
    let Event::IndicatorAssigned(assigned) = &events[0] else { panic!("{events:?}") };
    assert_eq!(assigned.effective_from, period("2017-01"));
    assert_eq!(assigned.responsible_person, Some(person("YS07-0201")));
}

#[test]
fn mark_not_applicable_drops_the_indicator_for_the_unit_only() {
    let mut harness = world();
    let command = MarkIndicatorNotApplicable {
        scheme: scheme(),
        indicator: indicator(OTHER),
        unit: unit("YS07"),
        effective_from: None,
        reason: "no exporters".to_owned(),
        approver: person("YS07-0001"),
    };
    harness.given(&office(), at(1, 20, 10, 0), command);
    let scheme_record = &harness.facts.schemes[&scheme()];
    assert!(!scheme_record.applies(&scheme_record.indicators[&indicator(OTHER)], &unit("YS07"), period(JUNE)));
    assert!(scheme_record.applies(&scheme_record.indicators[&indicator(OTHER)], &unit("YS08"), period(JUNE)));
}

#[test]
fn period_lifecycle_open_publish_finalise_reopen() {
    let mut harness = world();
    let open = OpenPeriod { scheme: scheme(), period: period("2017-07") };
    harness
        .when(&admin(), at(7, 1, 8, 0), open)
        .then_event(PeriodOpened { scheme: scheme(), period: period("2017-07") });
    award_missing_tiers(&mut harness, JUNE, at(7, 3, 9, 0));
    harness.when(&committee(), at(7, 12, 9, 0), publish(JUNE)).then_event(ResultsPublished {
        scheme: scheme(),
        period: period(JUNE),
        objection_window_closes_at: at(7, 17, 9, 0),
    });
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness
        .when(&committee(), at(7, 17, 9, 0), finalise(JUNE))
        .then_event(PeriodFinalised { scheme: scheme(), period: period(JUNE) });
    harness.given(&committee(), at(7, 17, 9, 0), finalise(JUNE));
    let reopen = ReopenPeriod {
        scheme: scheme(),
        period: period(JUNE),
        reason: "a late appeal was upheld by the province".to_owned(),
    };
    let events = harness.when(&committee(), at(8, 1, 9, 0), reopen).then_events();
    assert_eq!(events[0].stream_id(), "period-YS-2017.2017-06");
}

#[test]
fn a_reopened_period_is_published_again_and_its_objection_window_stays_closed() {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.given(&committee(), at(7, 18, 9, 0), finalise(JUNE));
    let reopen = ReopenPeriod { scheme: scheme(), period: period(JUNE), reason: "a wrong deduction".to_owned() };
    harness.given(&committee(), at(8, 1, 9, 0), reopen);
    let june = &harness.facts.schemes[&scheme()].periods[&period(JUNE)];
    assert_eq!(june.status, PeriodStatus::Published);
    assert_eq!(june.objection_window_closes_at, Some(at(7, 17, 9, 0)), "the window does not reopen");
    harness.when(&committee(), at(8, 1, 10, 0), publish(JUNE)).then_rejected(RejectionCode::PeriodNotOpen, "period");
    harness
        .when(&appellant(), at(8, 1, 10, 0), file_against_deduction(deduction_id))
        .then_rejected(RejectionCode::AppealWindowClosed, "target");
    // The committee reopened it to correct it: the correction is taken, and it may be final again at once.
    let withdrawal = WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "wrong".to_owned() };
    harness.given(&assessor(), at(8, 1, 10, 0), withdrawal);
    harness
        .when(&committee(), at(8, 1, 11, 0), finalise(JUNE))
        .then_event(PeriodFinalised { scheme: scheme(), period: period(JUNE) });
}

#[test]
fn a_reassignment_changes_the_lead_section_from_its_own_period_on() {
    let mut harness = world();
    harness.given(&admin(), at(7, 1, 8, 0), OpenPeriod { scheme: scheme(), period: period("2017-07") });
    let from_july = AssignIndicator { effective_from: Some(period("2017-07")), ..assign(DEDUCT, "YS07-BGS") };
    harness.given(&office(), at(7, 2, 9, 0), from_july);
    let scheme_facts = &harness.facts.schemes[&scheme()];
    let lead = |month: &str| scheme_facts.lead_section(&unit("YS07"), &indicator(DEDUCT), period(month)).cloned();
    assert_eq!(lead(JUNE), Some(unit("YS07-ZGG")), "June keeps the lead it had");
    assert_eq!(lead("2017-07"), Some(unit("YS07-BGS")));
    let deduct = &scheme_facts.indicators[&indicator(DEDUCT)];
    assert!(scheme_facts.applies(deduct, &unit("YS07"), period(JUNE)), "still carried before the reassignment");
    // A later assignment from an earlier period replaces it from that period on.
    let from_june = AssignIndicator { effective_from: Some(period(JUNE)), ..assign(DEDUCT, "YS07-ZGU") };
    harness.given(&office(), at(7, 3, 9, 0), from_june);
    let scheme_facts = &harness.facts.schemes[&scheme()];
    let lead = |month: &str| scheme_facts.lead_section(&unit("YS07"), &indicator(DEDUCT), period(month)).cloned();
    assert_eq!(
        (lead("2017-05"), lead(JUNE), lead("2017-07")),
        (Some(unit("YS07-ZGG")), Some(unit("YS07-ZGU")), Some(unit("YS07-ZGU")))
    );
}

#[test]
fn award_tier_records_the_tier_and_its_assessor() {
    let mut harness = world();
    let decided = harness.when(&assessor(), at(7, 3, 9, 0), award(2));
    let tier_award_id = TierAwardId(decided.new_id);
    decided.then_event(TierAwarded {
        tier_award_id,
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(TIERED),
        tier: 2,
        reason: "completion 98.7%".to_owned(),
        assessor: unit("YS"),
    });
}

#[test]
fn record_deduction_lands_in_the_assessment_stream() {
    let mut harness = world();
    let earlier = harness.last_event_id();
    let command = RecordDeduction { links: vec![earlier], ..deduction(200) };
    let decided = harness.when(&assessor(), at(7, 11, 10, 0), command);
    let deduction_id = DeductionId(decided.new_id);
    let events = decided.then_events();
    assert_eq!(events[0].stream_id(), "assessment-YS-2017.2017-06.YS07");
    assert_eq!(
        events,
        vec![Event::DeductionRecorded(DeductionRecorded {
            deduction_id,
            scheme: scheme(),
            period: period(JUNE),
            unit: unit("YS07"),
            indicator: indicator(DEDUCT),
            points: Points(200),
            reason: "half-year report filed as a request".to_owned(),
            problem_category: category("document_filing"),
            evidence_digests: vec![digest('a')],
            links: vec![earlier],
            assessor: unit("YS"),
        })]
    );
}

#[test]
fn office_deducts_from_its_own_section_on_an_indicator_the_section_leads() {
    let mut harness = world();
    let command = RecordDeduction { unit: unit("YS07-ZGG"), ..deduction(100) };
    let events = harness.when(&office(), at(7, 11, 10, 0), command).then_events();
    assert_eq!(events[0].stream_id(), "assessment-YS-2017.2017-06.YS07-ZGG");
}

#[test]
fn withdraw_deduction_counts_it_nothing() {
    let (mut harness, deduction_id) = world_with_deduction();
    let withdraw = WithdrawDeduction {
        deduction_id: DeductionId(deduction_id),
        reason: "recorded against the wrong county".to_owned(),
    };
    harness.given(&assessor(), at(7, 11, 11, 0), withdraw);
    let record = &harness.facts.deductions[&DeductionId(deduction_id)];
    assert_eq!(harness.facts.effective_points(record), Points::ZERO);
}

#[test]
fn award_bonus_and_apply_veto() {
    let mut harness = world();
    let bonus = AwardBonus {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        points: Points(100),
        reason: "provincial praise".to_owned(),
    };
    let events = harness.when(&assessor(), at(7, 3, 9, 0), bonus).then_events();
    assert_eq!(events[0].event_type(), "BonusAwarded");
    let veto = ApplyVeto {
        scheme: scheme(),
        period: period(JUNE),
        unit: unit("YS08"),
        indicator: indicator(VETO),
        reason: "integrity case".to_owned(),
    };
    let events = harness.when(&assessor(), at(7, 3, 9, 0), veto).then_events();
    assert_eq!(events[0].event_type(), "VetoApplied");
    assert_eq!(events[0].stream_id(), "assessment-YS-2017.2017-06.YS08");
}

#[test]
fn attribute_cause_then_record_rectification() {
    let (mut harness, deduction_id) = world_with_deduction();
    let deduction_event = harness.last_event_id();
    let attribution = AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit("YS07-BGS"),
        description: "the general office filed it under the wrong document type".to_owned(),
        evidence_digests: vec![digest('b')],
        links: vec![deduction_event],
    };
    let events = harness.when(&office(), at(7, 13, 10, 0), attribution.clone()).then_events();
    let Event::CauseAttributed(attributed) = &events[0] else { panic!("{events:?}") };
    assert_eq!((attributed.unit.as_str(), attributed.cause_unit.as_str()), ("YS07", "YS07-BGS"));
    harness.given(&office(), at(7, 13, 10, 0), attribution);
    let rectification = RecordRectification {
        deduction_id: DeductionId(deduction_id),
        description: "refiled as a report".to_owned(),
        evidence_digests: vec![digest('b'), digest('c')],
        links: Vec::new(),
    };
    let events = harness.when(&office(), at(7, 13, 15, 0), rectification).then_events();
    let Event::RectificationRecorded(rectified) = &events[0] else { panic!("{events:?}") };
    assert_eq!(rectified.cause_unit, unit("YS07-BGS"));
}

#[test]
fn file_appeal_sets_the_decision_due_date() {
    let (mut harness, deduction_id) = world_with_deduction();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    let events = harness.when(&appellant(), at(7, 14, 9, 0), file_against_deduction(deduction_id)).then_events();
    let Event::AppealFiled(filed) = &events[0] else { panic!("{events:?}") };
    assert_eq!(filed.decision_due_at, at(7, 24, 9, 0));
    assert_eq!(filed.points_contested, Points(200));
    assert_eq!(filed.appellant, unit("YS07"));
}

#[test]
fn the_charged_section_may_appeal() {
    let (mut harness, deduction_id) = world_with_deduction();
    let attribution = AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit("YS07-BGS"),
        description: "wrong document type".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    harness.given(&office(), at(7, 13, 10, 0), attribution);
    let section_appellant = actor("appellant.ys07.bgs", Role::Appellant, "YS07-BGS");
    let events = harness.when(&section_appellant, at(7, 14, 9, 0), file_against_deduction(deduction_id)).then_events();
    let Event::AppealFiled(filed) = &events[0] else { panic!("{events:?}") };
    assert_eq!(filed.appellant, unit("YS07-BGS"));
}

#[test]
fn appeal_against_a_tier_award_contests_the_shortfall() {
    let mut harness = world();
    let award_id = harness.given(&assessor(), at(7, 3, 9, 0), award(2));
    let filing = FileAppeal {
        target: AppealTarget::TierAward { tier_award_id: TierAwardId(award_id) },
        grounds: "completion was 100.2%".to_owned(),
        evidence_digests: Vec::new(),
    };
    let events = harness.when(&appellant(), at(7, 4, 9, 0), filing).then_events();
    let Event::AppealFiled(filed) = &events[0] else { panic!("{events:?}") };
    assert_eq!(filed.points_contested, Points(80));
}

#[test]
fn decide_appeal_upheld_partial_dismissed() {
    let (mut harness, _, appeal_id) = world_with_appeal();
    for (outcome, restored, escalation) in [
        (AppealOutcome::Upheld, 200, None),
        (AppealOutcome::Partial { points_restored: Points(100) }, 100, Some(at(7, 24, 16, 0))),
        (AppealOutcome::Dismissed, 0, Some(at(7, 24, 16, 0))),
    ] {
        let events = harness.when(&reviewer(), at(7, 19, 16, 0), decide_with(appeal_id, outcome)).then_events();
        let Event::AppealDecided(decided) = &events[0] else { panic!("{events:?}") };
        assert_eq!((decided.points_restored, decided.escalation_window_closes_at), (Points(restored), escalation));
        assert_eq!(decided.stage, AppealStage::First);
    }
}

#[test]
fn partial_restoration_lowers_the_effective_deduction() {
    let (mut harness, deduction_id, appeal_id) = world_with_appeal();
    harness.given(
        &reviewer(),
        at(7, 19, 16, 0),
        decide_with(appeal_id, AppealOutcome::Partial { points_restored: Points(100) }),
    );
    let record = &harness.facts.deductions[&DeductionId(deduction_id)];
    assert_eq!(harness.facts.effective_points(record), Points(100));
}

#[test]
fn escalate_then_committee_decides() {
    let (mut harness, deduction_id, appeal_id) = world_with_appeal();
    harness.given(
        &reviewer(),
        at(7, 19, 16, 0),
        decide_with(appeal_id, AppealOutcome::Partial { points_restored: Points(100) }),
    );
    let escalation = EscalateAppeal {
        appeal_id: AppealId(appeal_id),
        grounds: "the report was compliant".to_owned(),
        evidence_digests: Vec::new(),
    };
    let events = harness.when(&appellant(), at(7, 21, 9, 0), escalation.clone()).then_events();
    let Event::AppealEscalated(escalated) = &events[0] else { panic!("{events:?}") };
    assert_eq!(escalated.decision_due_at, at(7, 31, 9, 0));
    harness.given(&appellant(), at(7, 21, 9, 0), escalation);
    let events =
        harness.when(&committee(), at(7, 25, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld)).then_events();
    let Event::AppealDecided(decided) = &events[0] else { panic!("{events:?}") };
    assert_eq!(
        (decided.stage, decided.points_restored, decided.escalation_window_closes_at),
        (AppealStage::Escalated, Points(200), None)
    );
    harness.given(&committee(), at(7, 25, 9, 0), decide_with(appeal_id, AppealOutcome::Upheld));
    let record = &harness.facts.deductions[&DeductionId(deduction_id)];
    assert_eq!(harness.facts.effective_points(record), Points::ZERO);
}

#[test]
fn withdraw_appeal_then_file_again() {
    let (mut harness, deduction_id, appeal_id) = world_with_appeal();
    let withdrawal =
        WithdrawAppeal { appeal_id: AppealId(appeal_id), reason: "filed against the wrong deduction".to_owned() };
    let events = harness.when(&appellant(), at(7, 15, 9, 0), withdrawal.clone()).then_events();
    assert_eq!(events[0].event_type(), "AppealWithdrawn");
    harness.given(&appellant(), at(7, 15, 9, 0), withdrawal);
    let events = harness.when(&appellant(), at(7, 16, 9, 0), file_against_deduction(deduction_id)).then_events();
    assert_eq!(events[0].event_type(), "AppealFiled");
}

#[test]
fn grant_access_binds_a_token_hash_to_an_actor_a_role_and_a_unit() {
    let mut harness = world();
    let events =
        harness.when(&admin(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS")).then_events();
    assert_eq!(events[0].stream_id(), format!("access-{}", "a".repeat(32)));
    assert_eq!(
        events,
        vec![Event::AccessGranted(AccessGranted {
            token_hash: token('a'),
            actor_id: "assessor.ys.zhao".to_owned(),
            role: Role::Assessor,
            unit: unit("YS"),
            note: "issued at the assessment office".to_owned(),
            valid_days: 90,
            person: None,
        })]
    );
}

#[test]
fn a_county_admin_grants_inside_its_county_and_the_note_may_be_left_out() {
    let mut harness = world();
    let payload = serde_json::json!({
        "token_hash": "b".repeat(64), "actor_id": "office.ys07", "role": "office", "unit": "YS07-BGS"
    });
    let command = Command::from_payload("GrantAccess", &payload).expect("a grant without a note decodes");
    let county_admin = actor("admin.ys07", Role::Admin, "YS07");
    harness.when(&county_admin, at(7, 1, 9, 0), command).then_event(AccessGranted {
        token_hash: token('b'),
        actor_id: "office.ys07".to_owned(),
        role: Role::Office,
        unit: unit("YS07-BGS"),
        note: String::new(),
        valid_days: 90,
        person: None,
    });
}

#[test]
fn revoke_access_repeats_whose_access_ended() {
    let mut harness = world();
    harness.given(&admin(), at(7, 1, 9, 0), grant('a', "assessor.ys.zhao", Role::Assessor, "YS"));
    let events = harness.when(&admin(), at(7, 26, 9, 0), revoke('a')).then_events();
    assert_eq!(events[0].stream_id(), format!("access-{}", "a".repeat(32)));
    assert_eq!(
        events,
        vec![Event::AccessRevoked(AccessRevoked {
            token_hash: token('a'),
            actor_id: "assessor.ys.zhao".to_owned(),
            role: Role::Assessor,
            unit: unit("YS"),
            reason: "moved off the assessment post".to_owned(),
        })]
    );
}
