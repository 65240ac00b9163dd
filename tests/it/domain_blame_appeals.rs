//! Appeals on blame (docs/RULES.md §9, "Appeals on cause attributions"): the section a cause
//! attribution charges appeals the attribution, naming the `CauseAttributed` event; the county's own
//! committee decides it once — upheld, the charge goes back to the lead section; dismissed, it stays —
//! and the county's score never moves either way. Given → when → then on the domain, the projection's
//! traces and scorecards after each outcome, and a property test over charges, restorations and
//! outcomes.
//!
//! Invariant guarded: an attribution appeal restores no points; after it the charge lies exactly
//! where the standing attribution says (the lead section once an appeal against it was upheld), every
//! trace reconciles, and the county's final score is the one it had before the appeal.

use crate::harness::{self, *};

use kpi_ledger::domain::command::*;
use kpi_ledger::domain::event::{AppealDecided, AppealFiled};
use kpi_ledger::domain::*;
use kpi_ledger::projection::{Projection, TraceLine};
use kpi_testkit::story::{at, indicator, period, unit};
use proptest::prelude::*;
use uuid::Uuid;

const CHARGED: &str = "YS07-BGS";
const LEAD: &str = "YS07-ZGG";

fn county_committee() -> Actor {
    harness::actor("committee.ys07", Role::Committee, "YS07")
}

fn charged_appellant() -> Actor {
    harness::actor("appellant.ys07-bgs", Role::Appellant, CHARGED)
}

fn attribute(deduction_id: Uuid, cause_unit: &str) -> AttributeCause {
    AttributeCause {
        deduction_id: DeductionId(deduction_id),
        cause_unit: unit(cause_unit),
        description: "the general office filed the report under the wrong document type".to_owned(),
        evidence_digests: vec![digest('b')],
        links: Vec::new(),
    }
}

fn against(deduction_id: Uuid, attribution: EventId) -> FileAppeal {
    FileAppeal {
        target: AppealTarget::CauseAttribution {
            deduction_id: DeductionId(deduction_id),
            attribution_event_id: attribution,
        },
        grounds: "the office sent the report as drafted by the personnel section".to_owned(),
        evidence_digests: vec![digest('c')],
    }
}

fn decide(appeal_id: Uuid, outcome: AppealOutcome) -> DecideAppeal {
    DecideAppeal {
        appeal_id: AppealId(appeal_id),
        outcome,
        reasoning: "the draft came from the personnel section".to_owned(),
        evidence_digests: vec![digest('d')],
    }
}

/// The world with a deduction of `points` on ZG-04 (led by ZGG) attributed to BGS on 06-21.
fn attributed(points: i64) -> (Harness, Uuid, EventId) {
    let mut harness = world();
    let deduction_id = harness.given(&assessor(), at(6, 20, 9, 0), deduction(points));
    harness.given(&office(), at(6, 21, 9, 0), attribute(deduction_id, CHARGED));
    let attribution = harness.last_event_id();
    (harness, deduction_id, attribution)
}

/// As `attributed(150)`, with BGS's appeal filed on 06-22.
fn appealed() -> (Harness, Uuid, EventId, Uuid) {
    let (mut harness, deduction_id, attribution) = attributed(150);
    let appeal_id = harness.given(&charged_appellant(), at(6, 22, 9, 0), against(deduction_id, attribution));
    (harness, deduction_id, attribution, appeal_id)
}

/// What the county's deduction on ZG-04 costs each section, as their traces list it: kept on the
/// indicator's lines, or charged.
fn carried(projection: &Projection, section: &str) -> Points {
    let trace = projection.trace(&unit(section), period(JUNE)).expect("a section trace");
    assert!(trace.reconciles(), "{section}: {trace:?}");
    let kept: Points = trace
        .indicators
        .iter()
        .flat_map(|indicator| indicator.lines.iter())
        .filter_map(|line| match line {
            TraceLine::Deduction(line) if line.unit == unit("YS07") => Some(line.amount),
            _ => None,
        })
        .sum();
    kept + trace.charges.iter().map(|line| line.amount).sum()
}

fn county_final(projection: &Projection) -> Option<Points> {
    projection.scorecard(&unit("YS07"), period(JUNE)).expect("YS07 is scored").final_score
}

#[test]
fn the_charged_section_files_against_the_attribution_event() {
    let (mut harness, deduction_id, attribution) = attributed(150);
    let decided = harness.when(&charged_appellant(), at(6, 22, 9, 0), against(deduction_id, attribution));
    let new_id = decided.new_id;
    decided.then_event(AppealFiled {
        appeal_id: AppealId(new_id),
        target: AppealTarget::CauseAttribution {
            deduction_id: DeductionId(deduction_id),
            attribution_event_id: attribution,
        },
        scheme: kpi_testkit::story::scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        indicator: indicator(DEDUCT),
        appellant: unit(CHARGED),
        points_contested: Points(150),
        grounds: "the office sent the report as drafted by the personnel section".to_owned(),
        evidence_digests: vec![digest('c')],
        decision_due_at: at(7, 2, 9, 0),
    });
    // The county's own appellant may file for its section too.
    harness.when(&appellant(), at(6, 22, 9, 0), against(deduction_id, attribution)).then_events();
}

#[test]
fn the_county_committee_decides_never_a_reviewer_nor_the_city() {
    let (mut harness, _, _, appeal_id) = appealed();
    let now = at(6, 25, 9, 0);
    harness
        .when(&reviewer(), now, decide(appeal_id, AppealOutcome::Upheld))
        .then_rejected(RejectionCode::RoleNotAllowed, "actor.role");
    harness
        .when(&committee(), now, decide(appeal_id, AppealOutcome::Upheld))
        .then_rejected(RejectionCode::OutOfScope, "actor.unit");
    let partial = AppealOutcome::Partial { points_restored: Points(50) };
    harness
        .when(&county_committee(), now, decide(appeal_id, partial))
        .then_rejected(RejectionCode::OutcomeNotAllowed, "outcome");
    harness.when(&county_committee(), now, decide(appeal_id, AppealOutcome::Upheld)).then_event(AppealDecided {
        appeal_id: AppealId(appeal_id),
        scheme: kpi_testkit::story::scheme(),
        period: period(JUNE),
        unit: unit("YS07"),
        stage: AppealStage::First,
        verdict: AppealVerdict::Upheld,
        points_restored: Points::ZERO,
        reasoning: "the draft came from the personnel section".to_owned(),
        evidence_digests: vec![digest('d')],
        escalation_window_closes_at: None,
    });
}

#[test]
fn upheld_moves_the_charge_back_to_the_lead_section_and_the_county_score_stays() {
    let (mut harness, deduction_id, attribution, appeal_id) = appealed();
    let before = Projection::fold(&harness.events).unwrap();
    assert_eq!((carried(&before, CHARGED), carried(&before, LEAD)), (Points(150), Points::ZERO));
    assert!(county_final(&before).is_some(), "YS07 is ranked in June");

    harness.given(&county_committee(), at(6, 25, 9, 0), decide(appeal_id, AppealOutcome::Upheld));
    let after = Projection::fold(&harness.events).unwrap();
    assert_eq!((carried(&after, CHARGED), carried(&after, LEAD)), (Points::ZERO, Points(150)));
    assert_eq!(county_final(&after), county_final(&before), "blame moved inside the county");
    assert_eq!(harness.facts.deductions[&DeductionId(deduction_id)].cause_unit(), None);

    // The county's trace shows the attribution, the appeal on it and the outcome.
    let trace = after.trace(&unit("YS07"), period(JUNE)).unwrap();
    assert!(trace.reconciles());
    let line = trace
        .indicators
        .iter()
        .flat_map(|indicator| indicator.lines.iter())
        .find_map(|line| match line {
            TraceLine::Deduction(line) if line.deduction_id == DeductionId(deduction_id) => Some(line),
            _ => None,
        })
        .expect("the deduction is listed");
    assert_eq!((line.amount, line.charged_to.as_ref()), (Points(150), None));
    let listed = &line.attributions[0];
    assert_eq!((listed.event.event_id, listed.standing), (attribution, false));
    let appeal = &listed.appeals[0];
    assert_eq!((appeal.appellant.as_str(), appeal.evidence_digests.clone()), (CHARGED, vec![digest('c')]));
    assert_eq!(appeal.decisions[0].verdict, AppealVerdict::Upheld);
    assert_eq!(listed.overturned_by.as_ref().map(|event| event.seq), Some(appeal.decisions[0].event.seq));
    assert!(line.appeals.is_empty(), "an appeal on the blame is not an appeal on the points");
    assert!(trace.cited_seqs().contains(&appeal.filed.seq), "proof bundles carry the attribution appeal");
}

#[test]
fn dismissed_leaves_the_charge_where_it_was() {
    let (mut harness, deduction_id, _, appeal_id) = appealed();
    let before = Projection::fold(&harness.events).unwrap();
    harness.given(&county_committee(), at(6, 25, 9, 0), decide(appeal_id, AppealOutcome::Dismissed));
    let after = Projection::fold(&harness.events).unwrap();
    assert_eq!((carried(&after, CHARGED), carried(&after, LEAD)), (Points(150), Points::ZERO));
    assert_eq!(county_final(&after), county_final(&before));
    assert_eq!(harness.facts.deductions[&DeductionId(deduction_id)].cause_unit(), Some(&unit(CHARGED)));
}

#[test]
fn attribution_appeals_are_decided_once_and_hold() {
    let (mut harness, deduction_id, attribution, appeal_id) = appealed();
    let later = at(6, 23, 9, 0);
    harness
        .when(&charged_appellant(), later, against(deduction_id, attribution))
        .then_rejected(RejectionCode::AppealAlreadyOpen, "target");
    // While the committee has it, the office does not re-attribute.
    harness
        .when(&office(), later, attribute(deduction_id, "YS07-ZGU"))
        .then_rejected(RejectionCode::AppealAlreadyOpen, "deduction_id");
    harness.given(&county_committee(), at(6, 25, 9, 0), decide(appeal_id, AppealOutcome::Upheld));
    let after = at(6, 26, 9, 0);
    harness
        .when(&charged_appellant(), after, against(deduction_id, attribution))
        .then_rejected(RejectionCode::AppealAlreadyDecided, "target");
    let escalation =
        EscalateAppeal { appeal_id: AppealId(appeal_id), grounds: "more".to_owned(), evidence_digests: Vec::new() };
    harness
        .when(&charged_appellant(), after, escalation)
        .then_rejected(RejectionCode::AppealNotEscalatable, "appeal_id");
    // The section the committee cleared is not named again for this deduction; another may be.
    harness
        .when(&office(), after, attribute(deduction_id, CHARGED))
        .then_rejected(RejectionCode::AttributionOverturned, "cause_unit");
    let rectification = RecordRectification {
        deduction_id: DeductionId(deduction_id),
        description: "refiled".to_owned(),
        evidence_digests: Vec::new(),
        links: Vec::new(),
    };
    harness.when(&office(), after, rectification).then_rejected(RejectionCode::CauseNotAttributed, "deduction_id");
    harness.given(&office(), after, attribute(deduction_id, "YS07-ZGU"));
    harness
        .when(&charged_appellant(), after, against(deduction_id, attribution))
        .then_rejected(RejectionCode::AttributionSuperseded, "target");
}

#[test]
fn only_the_charged_section_files_and_only_on_a_standing_attribution_that_charges() {
    let (mut harness, deduction_id, attribution) = attributed(150);
    let now = at(6, 22, 9, 0);
    let other_section = harness::actor("appellant.ys07-zgu", Role::Appellant, "YS07-ZGU");
    harness
        .when(&other_section, now, against(deduction_id, attribution))
        .then_rejected(RejectionCode::OutOfScope, "actor.unit");
    let other_county = harness::actor("appellant.ys08", Role::Appellant, "YS08");
    harness
        .when(&other_county, now, against(deduction_id, attribution))
        .then_rejected(RejectionCode::OutOfScope, "actor.unit");
    let unknown = against(deduction_id, EventId(Uuid::from_u128(7)));
    harness.when(&charged_appellant(), now, unknown).then_rejected(RejectionCode::UnknownAttribution, "target");
    let unknown_deduction = against(Uuid::from_u128(8), attribution);
    harness.when(&charged_appellant(), now, unknown_deduction).then_rejected(RejectionCode::UnknownDeduction, "target");

    // Naming the lead section, or a unit that is no section of the county, charges no one.
    for cause in [LEAD, "YS08-ZGG"] {
        let (mut harness, deduction_id, _) = attributed(150);
        harness.given(&office(), at(6, 21, 10, 0), attribute(deduction_id, cause));
        let named = harness.last_event_id();
        let filer = harness::actor("appellant.ys", Role::Appellant, "YS");
        harness.when(&filer, now, against(deduction_id, named)).then_rejected(RejectionCode::NothingToAppeal, "target");
    }

    // A withdrawn deduction charges nothing either.
    let withdraw =
        WithdrawDeduction { deduction_id: DeductionId(deduction_id), reason: "recorded in error".to_owned() };
    harness.given(&assessor(), at(6, 21, 12, 0), withdraw);
    harness
        .when(&charged_appellant(), now, against(deduction_id, attribution))
        .then_rejected(RejectionCode::DeductionWithdrawn, "target");
}

/// Filing on an attribution is open while the period is unpublished, and once it is published until
/// the later of its objection window closing and `objection_window_days` after the attribution.
#[test]
fn the_window_runs_at_least_five_days_from_the_attribution() {
    let mut harness = world();
    let deduction_id = harness.given(&assessor(), at(7, 11, 10, 0), deduction(200));
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.given(&office(), at(7, 13, 10, 0), attribute(deduction_id, CHARGED));
    let attribution = harness.last_event_id();
    // The period's window closes 07-17 09:00, the attribution's own 07-18 10:00.
    let closing = at(7, 18, 10, 0);
    harness.when(&charged_appellant(), closing, against(deduction_id, attribution)).then_events();
    let late = harness
        .when(&charged_appellant(), closing.plus_micros(1), against(deduction_id, attribution))
        .then_rejected(RejectionCode::AppealWindowClosed, "target");
    assert!(late.message.contains("2017-07-18T10:00:00"), "{}", late.message);

    // An early attribution gets the period's window.
    let (mut early, deduction_id, attribution) = attributed(150);
    given_published(&mut early, JUNE, at(7, 12, 9, 0));
    early.when(&charged_appellant(), at(7, 17, 9, 0), against(deduction_id, attribution)).then_events();
    early
        .when(&charged_appellant(), at(7, 17, 9, 1), against(deduction_id, attribution))
        .then_rejected(RejectionCode::AppealWindowClosed, "target");
    // A final period takes none.
    early.given(&committee(), at(7, 17, 10, 0), finalise(JUNE));
    early
        .when(&charged_appellant(), at(7, 17, 10, 1), against(deduction_id, attribution))
        .then_rejected(RejectionCode::PeriodFinal, "target");
}

#[test]
fn a_waiting_attribution_appeal_holds_the_period_open() {
    let (mut harness, _, _, appeal_id) = appealed();
    given_published(&mut harness, JUNE, at(7, 12, 9, 0));
    harness.when(&committee(), at(7, 18, 9, 0), finalise(JUNE)).then_rejected(RejectionCode::AppealsOpen, "period");
    harness.given(&county_committee(), at(7, 18, 10, 0), decide(appeal_id, AppealOutcome::Dismissed));
    harness.when(&committee(), at(7, 18, 11, 0), finalise(JUNE)).then_events();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the deduction, what the county's own appeal restored and the committee's outcome:
    /// the county's final is what it was before the attribution appeal, the charge lies with the lead
    /// section after an upheld appeal and with the charged one after a dismissed one, and the county's
    /// effective deduction is all the two sections carry.
    #[test]
    fn blame_moves_but_the_county_score_never_does(
        points in 2i64..=200,
        restore in prop::option::of(1i64..200),
        upheld in any::<bool>(),
    ) {
        let (mut harness, deduction_id, attribution) = attributed(points);
        if let Some(restore) = restore.filter(|restore| *restore < points) {
            let county_appeal = harness.given(&appellant(), at(6, 21, 10, 0), file_against_deduction(deduction_id));
            let partial = AppealOutcome::Partial { points_restored: Points(restore) };
            harness.given(&reviewer(), at(6, 21, 11, 0), decide_with(county_appeal, partial));
        }
        let appeal_id = harness.given(&charged_appellant(), at(6, 22, 9, 0), against(deduction_id, attribution));
        let before = Projection::fold(&harness.events).unwrap();
        let outcome = if upheld { AppealOutcome::Upheld } else { AppealOutcome::Dismissed };
        harness.given(&county_committee(), at(6, 25, 9, 0), decide(appeal_id, outcome));
        let after = Projection::fold(&harness.events).unwrap();

        let effective = harness.facts.effective_points(&harness.facts.deductions[&DeductionId(deduction_id)]);
        prop_assert_eq!(county_final(&after), county_final(&before));
        let (charged, lead) = (carried(&after, CHARGED), carried(&after, LEAD));
        prop_assert_eq!(charged + lead, effective);
        prop_assert_eq!(if upheld { lead } else { charged }, effective);
        prop_assert!(after.trace(&unit("YS07"), period(JUNE)).unwrap().reconciles());
    }
}
