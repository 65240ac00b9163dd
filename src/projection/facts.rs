//! The facts a projection keeps: units, schemes (indicators, periods, plans, assessments), deductions,
//! tier awards and appeals, each with the `EventRef` of every event that shaped it.
//!
//! Invariant: these are the facts of the events folded so far and nothing else — no score is stored,
//! so every score, rank and trace is computed from facts that can be cited. Every type here is
//! serialisable, so a snapshot is the facts themselves.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::appeal::{AppealStage, AppealVerdict};
use crate::domain::event::{
    AppealFiled, BonusAwarded, DeductionRecorded, IndicatorAssigned, IndicatorDefined, IndicatorRevised, SchemeOpened,
    TierAwarded, VetoApplied,
};
use crate::domain::timestamp::UtcOffset;
use crate::domain::{
    AppealId, DeductionId, EvidenceDigest, FunctionCode, IndicatorCode, IndicatorMethod, PeriodId, Points, SchemeId,
    TierAwardId, Timestamp, UnitCode, UnitLevel,
};

use super::recorded::EventRef;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub units: BTreeMap<UnitCode, UnitFacts>,
    /// Units by parent, so "the sections of a county" and "the counties of a city" are a look-up.
    pub children: BTreeMap<UnitCode, BTreeSet<UnitCode>>,
    pub schemes: BTreeMap<SchemeId, SchemeFacts>,
    pub deductions: BTreeMap<DeductionId, DeductionFacts>,
    pub tier_awards: BTreeMap<TierAwardId, TierAwardFacts>,
    pub appeals: BTreeMap<AppealId, AppealFacts>,
    /// The ledger's recorded time zone, if any.
    pub time_zone: Option<UtcOffset>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFacts {
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
    pub retired: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeFacts {
    pub settings: SchemeOpened,
    pub indicators: BTreeMap<IndicatorCode, IndicatorFacts>,
    pub periods: BTreeMap<PeriodId, PeriodFacts>,
    /// Per assessed unit: how it took each indicator over.
    pub plans: BTreeMap<UnitCode, BTreeMap<IndicatorCode, PlanFacts>>,
    /// Per base period and assessed unit (a county, or a section for direct office deductions).
    pub assessments: BTreeMap<PeriodId, BTreeMap<UnitCode, AssessmentFacts>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorFacts {
    pub defined: IndicatorDefined,
    /// In the order recorded.
    pub revisions: Vec<RevisionFacts>,
    pub retired_from: Option<PeriodId>,
}

/// A revision, with its new tiers already wrapped as a method so versions can borrow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionFacts {
    pub revised: IndicatorRevised,
    pub tiered_method: Option<IndicatorMethod>,
}

/// What an indicator is in one base period, after the revisions effective by then (borrowed, so
/// scoring a whole peer group allocates nothing per indicator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndicatorVersion<'a> {
    pub name: &'a str,
    pub points_max: Points,
    pub method: &'a IndicatorMethod,
}

impl IndicatorFacts {
    /// Revisions apply in order of `effective_from`, later-recorded last (as `domain::state` does):
    /// for each field, the revision with the greatest (effective_from, position) that sets it wins.
    pub fn version_at(&self, period: PeriodId) -> IndicatorVersion<'_> {
        let mut version = IndicatorVersion {
            name: &self.defined.name,
            points_max: self.defined.points_max,
            method: &self.defined.method,
        };
        let effective = self.revisions.iter().filter(|revision| revision.revised.effective_from <= period);
        let mut name_from = None;
        let mut points_from = None;
        let mut tiers_from = None;
        for revision in effective {
            let key = Some(revision.revised.effective_from);
            if let Some(name) = revision.revised.name.as_deref().filter(|_| key >= name_from) {
                name_from = key;
                version.name = name;
            }
            if let Some(points_max) = revision.revised.points_max.filter(|_| key >= points_from) {
                points_from = key;
                version.points_max = points_max;
            }
            if let Some(tiers) = revision.tiered_method.as_ref().filter(|_| key >= tiers_from) {
                tiers_from = key;
                version.method = tiers;
            }
        }
        version
    }

    pub fn is_retired_at(&self, period: PeriodId) -> bool {
        self.retired_from.is_some_and(|retired_from| retired_from <= period)
    }
}

impl IndicatorVersion<'_> {
    pub fn is_tiered(&self) -> bool {
        self.method.is_tiered()
    }

    /// Points a tier scores: its share of `points_max`, half-up; `None` for no such tier.
    pub fn tier_points(&self, tier: u32) -> Option<Points> {
        let IndicatorMethod::Tiered { tiers } = self.method else { return None };
        let index = usize::try_from(tier).ok()?.checked_sub(1)?;
        tiers.get(index).map(|standard| self.points_max.share(standard.share_per_mille))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// The latest assignment: it names the lead section.
    pub assignment: Option<IndicatorAssigned>,
    pub not_applicable_from: Option<PeriodId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Open,
    Published,
    Final,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFacts {
    pub status: PeriodStatus,
    pub opened: EventRef,
    pub published_at: Option<Timestamp>,
    pub objection_window_closes_at: Option<Timestamp>,
}

/// Everything assessed about one unit in one base period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentFacts {
    /// Deductions by indicator, in the order recorded.
    pub deductions: BTreeMap<IndicatorCode, Vec<DeductionId>>,
    /// The award that counts for each indicator: the latest.
    pub tier_awards: BTreeMap<IndicatorCode, TierAwardId>,
    pub bonuses: Vec<BonusFacts>,
    pub vetoes: Vec<VetoFacts>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusFacts {
    pub awarded: BonusAwarded,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VetoFacts {
    pub applied: VetoApplied,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionFacts {
    pub recorded: DeductionRecorded,
    pub event: EventRef,
    pub withdrawal: Option<Withdrawal>,
    /// Every attribution in order; the latest one decides the charge.
    pub attributions: Vec<Attribution>,
    pub rectifications: Vec<Rectification>,
    pub appeals: Vec<AppealId>,
}

impl DeductionFacts {
    pub fn cause_unit(&self) -> Option<&UnitCode> {
        self.attributions.last().map(|attribution| &attribution.cause_unit)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub event: EventRef,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub event: EventRef,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    pub event: EventRef,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierAwardFacts {
    pub awarded: TierAwarded,
    pub event: EventRef,
    pub appeals: Vec<AppealId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealFacts {
    pub filed: AppealFiled,
    pub event: EventRef,
    pub decisions: Vec<AppealDecision>,
    pub escalations: Vec<AppealEscalation>,
    pub withdrawal: Option<EventRef>,
    pub stage: AppealStage,
    pub awaiting_decision: bool,
    /// What the standing decision restores (an escalated decision replaces the first).
    pub points_restored: Points,
    pub decision_due_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealDecision {
    pub event: EventRef,
    pub stage: AppealStage,
    pub verdict: AppealVerdict,
    pub points_restored: Points,
    pub reasoning: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealEscalation {
    pub event: EventRef,
    pub grounds: String,
    pub decision_due_at: Timestamp,
}

impl Facts {
    /// The zone bare dates are read in (as `domain::State::time_zone`).
    pub fn time_zone(&self) -> UtcOffset {
        self.time_zone.unwrap_or(UtcOffset::CHINA_STANDARD_TIME)
    }

    /// The standing restoration of every appeal in `appeals` (as `domain::State` sums it).
    pub fn points_restored_on(&self, appeals: &[AppealId]) -> Points {
        appeals.iter().filter_map(|id| self.appeals.get(id)).map(|appeal| appeal.points_restored).sum()
    }

    /// A deduction's points less what appeals restored; 0 once withdrawn.
    pub fn effective_points(&self, deduction: &DeductionFacts) -> Points {
        if deduction.withdrawal.is_some() {
            return Points::ZERO;
        }
        deduction.recorded.points - self.points_restored_on(&deduction.appeals)
    }

    pub fn is_section(&self, unit: &UnitCode) -> bool {
        self.units.get(unit).is_some_and(|facts| facts.level.is_section())
    }

    pub fn parent_of(&self, unit: &UnitCode) -> Option<&UnitCode> {
        self.units.get(unit).and_then(|facts| facts.parent.as_ref())
    }

    /// Whether `section` is a section (or branch) registered directly under `county`.
    pub fn is_section_of(&self, section: &UnitCode, county: &UnitCode) -> bool {
        self.is_section(section) && self.parent_of(section) == Some(county)
    }

    /// Active units under `parent` that are sections (`true`) or not (`false`).
    pub fn active_children(&self, parent: &UnitCode, sections: bool) -> impl Iterator<Item = &UnitCode> + '_ {
        let children = self.children.get(parent).into_iter().flatten();
        children.filter(move |code| {
            self.units.get(*code).is_some_and(|facts| !facts.retired && facts.level.is_section() == sections)
        })
    }
}
