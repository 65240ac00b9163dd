//! A county's own scheme on the harness's small world: YS07 opens YS07-2017 for its sections, takes
//! over the city's revenue completion ZGU-02 (4.00 in YS-2017) at 6.00 and the half-year report ZG-04
//! (2.00) at 3.00, and defines local indicators of its own for its sections.
#![allow(dead_code)]

use crate::harness;

use harness::*;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::*;
use kpi_testkit::story::{at, indicator, period, unit};

pub const OWN: &str = "YS07-2017";
/// Local: the general office's filing discipline, 1.00, by deduction, led by YS07-BGS.
pub const LOCAL_DEDUCT: &str = "YS07-BGS-01";
/// Local: collection's own key work, 2.00, tiered 1000/800/600/0, led by YS07-ZGU.
pub const LOCAL_TIERED: &str = "YS07-ZGU-01";
/// Local: personnel's integrity, 1.00, a veto indicator, led by YS07-ZGG.
pub const LOCAL_VETO: &str = "YS07-ZGG-01";

pub fn own() -> SchemeId {
    SchemeId::new(OWN).expect("a scheme id")
}

pub fn county_admin() -> Actor {
    actor("admin.ys07", Role::Admin, "YS07")
}
pub fn county_committee() -> Actor {
    actor("committee.ys07", Role::Committee, "YS07")
}
pub fn county_reviewer() -> Actor {
    actor("reviewer.ys07", Role::Reviewer, "YS07")
}

/// YS07's own scheme of 2017: the city's settings (`article::open_scheme`) with no rule of units — a
/// county's scheme ranks its sections by the sections' rule, 30/50/20 by default.
pub fn open_own() -> OpenScheme {
    OpenScheme { unit_tier_rule: None, ..kpi_testkit::story::open_scheme(unit("YS07"), 2017) }
}

pub fn take_over(code: &str, points: i64) -> TakeOverIndicator {
    TakeOverIndicator {
        scheme: own(),
        indicator: indicator(code),
        city_scheme: kpi_testkit::story::scheme(),
        points_max: Points(points),
        effective_from: None,
    }
}

pub fn define_local(code: &str, points: i64) -> DefineIndicator {
    DefineIndicator { scheme: own(), assessor: unit("YS07"), ..define(code, points) }
}

pub fn assign_local(code: &str, lead_section: &str) -> AssignIndicator {
    AssignIndicator { scheme: own(), ..assign(code, lead_section) }
}

pub fn local_deduction(section: &str, code: &str, points: i64) -> RecordDeduction {
    RecordDeduction {
        scheme: own(),
        unit: unit(section),
        indicator: indicator(code),
        reason: "filing register kept late".to_owned(),
        ..deduction(points)
    }
}

pub fn local_award(section: &str, code: &str, tier: u32) -> AwardTier {
    AwardTier { scheme: own(), unit: unit(section), indicator: indicator(code), ..award(tier) }
}

pub fn own_bonus(section: &str, points: i64) -> AwardBonus {
    AwardBonus {
        scheme: own(),
        period: period(JUNE),
        unit: unit(section),
        points: Points(points),
        reason: "praised by the county".to_owned(),
    }
}

pub fn own_veto(section: &str) -> ApplyVeto {
    ApplyVeto {
        scheme: own(),
        period: period(JUNE),
        unit: unit(section),
        indicator: indicator(LOCAL_VETO),
        reason: "an integrity case".to_owned(),
    }
}

pub fn publish_own(period_text: &str) -> PublishResults {
    PublishResults { scheme: own(), period: period(period_text) }
}

pub fn finalise_own(period_text: &str) -> FinalisePeriod {
    FinalisePeriod { scheme: own(), period: period(period_text) }
}

/// The harness world (June open since 06-01) and YS07's own scheme: opened on 01-07, its three local
/// indicators defined on 01-08 and assigned on 01-21, ZGU-02 taken over at 6.00 and ZG-04 at 3.00 on
/// 01-21 (after YS07 assigned both in the city's scheme on 01-20).
pub fn own_world() -> Harness {
    let mut harness = world();
    harness.given(&county_admin(), at(1, 7, 9, 0), open_own());
    for definition in [
        define_local(LOCAL_DEDUCT, 100),
        DefineIndicator { method: IndicatorMethod::Tiered { tiers: tiers() }, ..define_local(LOCAL_TIERED, 200) },
        DefineIndicator { veto: true, ..define_local(LOCAL_VETO, 100) },
    ] {
        harness.given(&county_admin(), at(1, 8, 9, 0), definition);
    }
    for (code, section) in [(LOCAL_DEDUCT, "YS07-BGS"), (LOCAL_TIERED, "YS07-ZGU"), (LOCAL_VETO, "YS07-ZGG")] {
        harness.given(&office(), at(1, 21, 9, 0), assign_local(code, section));
    }
    harness.given(&county_admin(), at(1, 21, 10, 0), take_over(TIERED, 600));
    harness.given(&county_admin(), at(1, 21, 10, 0), take_over(DEDUCT, 300));
    harness
}

/// June in both schemes, as the worked example of docs/RULES.md §14 has it:
///
/// - the city: YS07 tier 2 on ZGU-02 (3.20 of 4.00); on ZG-04 (led by YS07-ZGG) 0.25 deducted and
///   kept, 1.00 and 0.15 deducted and attributed to YS07-BGS;
/// - the county: YS07-BGS loses 0.50 on its local indicator; YS07-ZGU tier 2 on its local one and
///   bonuses of 2.00 and 1.50; YS07-ZGG vetoed.
pub fn own_june() -> Harness {
    let mut harness = own_world();
    let when = at(6, 20, 9, 0);
    harness.given(&assessor(), when, award(2));
    harness.given(&assessor(), when, deduction(25));
    for points in [100, 15] {
        let deduction_id = harness.given(&assessor(), when, deduction(points));
        let attribution = AttributeCause {
            deduction_id: DeductionId(deduction_id),
            cause_unit: unit("YS07-BGS"),
            description: "the general office filed it under the wrong type".to_owned(),
            evidence_digests: vec![digest('b')],
            links: Vec::new(),
        };
        harness.given(&office(), at(6, 21, 9, 0), attribution);
    }
    let county = at(6, 22, 9, 0);
    harness.given(&office(), county, local_deduction("YS07-BGS", LOCAL_DEDUCT, 50));
    harness.given(&office(), county, local_award("YS07-ZGU", LOCAL_TIERED, 2));
    harness.given(&office(), county, own_bonus("YS07-ZGU", 200));
    harness.given(&office(), county, own_bonus("YS07-ZGU", 150));
    harness.given(&office(), county, own_veto("YS07-ZGG"));
    harness
}
