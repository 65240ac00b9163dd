//! `State`: the one in-memory fold of the whole ledger that decisions read, and the queries over it
//! that rules (and projections) share: scopes, indicator versions, applicability, points left, and
//! who held which access when.
//!
//! Invariant: the state is a pure function of the events folded into it, in order (see `evolve`), and
//! holds only what a decision needs; scores and rankings are projections, not state.

use std::collections::{BTreeMap, BTreeSet};

use super::appeal::{AppealStage, AppealTarget, AppealVerdict};
use super::context::Role;
use super::event::{
    AppealFiled, DeductionRecorded, IndicatorAssigned, IndicatorDefined, IndicatorRevised, SchemeOpened, TierAwarded,
};
use super::ids::{AppealId, DeductionId, EventId, IndicatorCode, PersonId, SchemeId, TierAwardId, TokenHash, UnitCode};
use super::organisation::UnitLevel;
use super::period::PeriodId;
use super::points::Points;
use super::scheme::{IndicatorMethod, TierStandard};
use super::timestamp::UtcOffset;
use super::{FunctionCode, Timestamp};

/// Deepest chain of parents a unit may have: five levels plus sections, with room to spare. Scope
/// walks stop here, so a corrupt parent cycle cannot hang a decision.
const UNIT_DEPTH_MAX: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct State {
    pub units: BTreeMap<UnitCode, UnitRecord>,
    pub persons: BTreeMap<PersonId, PersonRecord>,
    pub schemes: BTreeMap<SchemeId, SchemeRecord>,
    pub deductions: BTreeMap<DeductionId, DeductionRecord>,
    /// The deductions on each (scheme, period, unit, indicator), so "points left" is a short walk.
    pub deductions_by_entry: BTreeMap<AssessmentEntry, Vec<DeductionId>>,
    pub tier_awards: BTreeMap<TierAwardId, TierAwardRecord>,
    /// The award that counts for (scheme, period, unit, indicator): the latest.
    pub latest_tier_awards: BTreeMap<AssessmentEntry, TierAwardId>,
    pub appeals: BTreeMap<AppealId, AppealRecord>,
    /// Every token hash ever granted, revoked ones included: a hash is granted once ever.
    pub access_grants: BTreeMap<TokenHash, AccessRecord>,
    /// Ids given to deductions, awards, bonuses, vetoes and appeals: an injected id is used once.
    pub fact_ids: BTreeSet<uuid::Uuid>,
    /// Every event folded so far, so that links can only point at real events.
    pub event_ids: BTreeSet<EventId>,
    /// The ledger's recorded time zone, if any (`time_zone()` gives the one in force).
    pub time_zone: Option<UtcOffset>,
    pub last_seq: u64,
}

/// One indicator of one unit in one base period of one scheme.
pub type AssessmentEntry = (SchemeId, PeriodId, UnitCode, IndicatorCode);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRecord {
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
    pub retired: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRecord {
    pub name: String,
    pub unit: UnitCode,
    pub retired: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeRecord {
    pub settings: SchemeOpened,
    pub indicators: BTreeMap<IndicatorCode, IndicatorRecord>,
    pub periods: BTreeMap<PeriodId, PeriodRecord>,
    /// Per assessed unit: how it took each indicator over.
    pub plans: BTreeMap<UnitCode, BTreeMap<IndicatorCode, PlanEntry>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorRecord {
    pub defined: IndicatorDefined,
    /// In the order recorded; `version_at` applies those effective by a period in order of
    /// `effective_from`, later-recorded last.
    pub revisions: Vec<IndicatorRevised>,
    pub retired_from: Option<PeriodId>,
}

/// What an indicator is in one period, after the revisions effective by then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorVersion {
    pub name: String,
    pub description: String,
    pub points_max: Points,
    pub method: IndicatorMethod,
}

impl IndicatorRecord {
    pub fn version_at(&self, period: PeriodId) -> IndicatorVersion {
        let mut version = IndicatorVersion {
            name: self.defined.name.clone(),
            description: self.defined.description.clone(),
            points_max: self.defined.points_max,
            method: self.defined.method.clone(),
        };
        let mut effective: Vec<&IndicatorRevised> =
            self.revisions.iter().filter(|revision| revision.effective_from <= period).collect();
        effective.sort_by_key(|revision| revision.effective_from);
        for revision in effective {
            apply_revision(&mut version, revision);
        }
        version
    }

    pub fn is_retired_at(&self, period: PeriodId) -> bool {
        self.retired_from.is_some_and(|retired_from| retired_from <= period)
    }
}

fn apply_revision(version: &mut IndicatorVersion, revision: &IndicatorRevised) {
    if let Some(name) = &revision.name {
        version.name.clone_from(name);
    }
    if let Some(description) = &revision.description {
        version.description.clone_from(description);
    }
    if let Some(points_max) = revision.points_max {
        version.points_max = points_max;
    }
    if let Some(tiers) = &revision.tiers {
        version.method = IndicatorMethod::Tiered { tiers: tiers.clone() };
    }
}

impl IndicatorVersion {
    pub fn tiers(&self) -> Option<&[TierStandard]> {
        match &self.method {
            IndicatorMethod::Tiered { tiers } => Some(tiers),
            IndicatorMethod::Deduct => None,
        }
    }

    /// Points a tier scores: its share of `points_max`, rounded half-up; `None` for no such tier.
    pub fn tier_points(&self, tier: u32) -> Option<Points> {
        let index = usize::try_from(tier).ok()?.checked_sub(1)?;
        let standard = self.tiers()?.get(index)?;
        Some(self.points_max.share(standard.share_per_mille))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanEntry {
    pub assignment: Option<IndicatorAssigned>,
    pub not_applicable_from: Option<PeriodId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodStatus {
    Open,
    Published,
    Final,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodRecord {
    pub status: PeriodStatus,
    pub objection_window_closes_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeductionRecord {
    pub recorded: DeductionRecorded,
    pub recorded_by: String,
    pub event_id: EventId,
    pub withdrawn: bool,
    /// The latest attribution's cause unit.
    pub cause_unit: Option<UnitCode>,
    pub appeals: Vec<AppealId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierAwardRecord {
    pub awarded: TierAwarded,
    pub awarded_by: String,
    pub appeals: Vec<AppealId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppealRecord {
    pub filed: AppealFiled,
    pub stage: AppealStage,
    /// Filed or escalated, and not yet decided or withdrawn.
    pub awaiting_decision: bool,
    pub withdrawn: bool,
    pub last_verdict: Option<AppealVerdict>,
    /// What the standing decision restores (the escalated one replaces the first).
    pub points_restored: Points,
    pub first_stage_points_restored: Option<Points>,
    pub escalation_window_closes_at: Option<Timestamp>,
    pub decision_due_at: Timestamp,
}

/// One token's access: whom it acts as, from when, and until when. Times and sequence numbers are the
/// envelope's of the grant and of the revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub granted_at: Timestamp,
    pub granted_seq: u64,
    pub revoked_at: Option<Timestamp>,
    pub revoked_seq: Option<u64>,
}

impl AccessRecord {
    pub fn is_revoked(&self) -> bool {
        self.revoked_seq.is_some()
    }

    /// Granted at or before `at` and not revoked by then (a revocation at `at` itself has ended it).
    pub fn is_active_at(&self, at: Timestamp) -> bool {
        self.granted_at <= at && self.revoked_at.is_none_or(|revoked_at| revoked_at > at)
    }
}

impl State {
    /// The zone bare dates are read in: the one recorded last, or China Standard Time.
    pub fn time_zone(&self) -> UtcOffset {
        self.time_zone.unwrap_or(UtcOffset::CHINA_STANDARD_TIME)
    }

    /// The access granted to `token_hash` as it stands now, revoked or not; `None` if never granted.
    pub fn access(&self, token_hash: &TokenHash) -> Option<&AccessRecord> {
        self.access_grants.get(token_hash)
    }

    /// The grants that were in force at `at`, in token-hash order. Filter by role and scope to answer
    /// "who could deduct from YS07 on 2017-07-11".
    pub fn grants_active_at(&self, at: Timestamp) -> impl Iterator<Item = &AccessRecord> {
        self.access_grants.values().filter(move |record| record.is_active_at(at))
    }

    /// Whether `unit` is `scope_root` or lies under it.
    pub fn in_scope(&self, scope_root: &UnitCode, unit: &UnitCode) -> bool {
        let mut current = Some(unit);
        for _ in 0..UNIT_DEPTH_MAX {
            match current {
                Some(code) if code == scope_root => return true,
                Some(code) => current = self.units.get(code).and_then(|record| record.parent.as_ref()),
                None => return false,
            }
        }
        false
    }

    pub fn active_unit(&self, unit: &UnitCode) -> Option<&UnitRecord> {
        self.units.get(unit).filter(|record| !record.retired)
    }

    /// Whether `section` is an active section or branch directly under `unit`.
    pub fn is_section_of(&self, section: &UnitCode, unit: &UnitCode) -> bool {
        self.active_unit(section)
            .is_some_and(|record| record.level.is_section() && record.parent.as_ref() == Some(unit))
    }

    /// The units a scheme assesses directly: the issuer's children that are not sections.
    pub fn is_assessee_of(&self, scheme: &SchemeRecord, unit: &UnitCode) -> bool {
        self.units
            .get(unit)
            .is_some_and(|record| record.parent.as_ref() == Some(&scheme.settings.issuer) && !record.level.is_section())
    }

    /// Whether the indicator applies to an assessed unit in a base period: defined and effective by
    /// then, not retired, carried by the unit from its assignment's period, and not marked not
    /// applicable by then.
    pub fn indicator_applies(
        &self,
        scheme: &SchemeRecord,
        indicator: &IndicatorCode,
        unit: &UnitCode,
        period: PeriodId,
    ) -> bool {
        let Some(record) = scheme.indicators.get(indicator) else { return false };
        let effective = record.defined.effective_from <= period && !record.is_retired_at(period);
        let plan_entry = scheme.plans.get(unit).and_then(|plan| plan.get(indicator));
        let assigned_later = plan_entry
            .and_then(|entry| entry.assignment.as_ref())
            .is_some_and(|assignment| assignment.effective_from > period);
        let dropped = plan_entry
            .and_then(|entry| entry.not_applicable_from)
            .is_some_and(|not_applicable_from| not_applicable_from <= period);
        effective && !assigned_later && !dropped
    }

    /// The section leading an indicator for an assessed unit, if it was assigned.
    pub fn lead_section(&self, scheme: &SchemeRecord, indicator: &IndicatorCode, unit: &UnitCode) -> Option<UnitCode> {
        let entry = scheme.plans.get(unit)?.get(indicator)?;
        entry.assignment.as_ref().map(|assignment| assignment.lead_section.clone())
    }

    /// A deduction's points less what its standing appeal decision restored; 0 once withdrawn.
    pub fn effective_deduction_points(&self, deduction: &DeductionRecord) -> Points {
        if deduction.withdrawn {
            return Points::ZERO;
        }
        deduction.recorded.points - self.points_restored_on(&deduction.appeals)
    }

    /// The restoration of the one decided, not-withdrawn-at-first-stage appeal among `appeals`.
    pub fn points_restored_on(&self, appeals: &[AppealId]) -> Points {
        appeals.iter().filter_map(|id| self.appeals.get(id)).map(|appeal| appeal.points_restored).sum()
    }

    /// Σ effective deductions on one indicator of one unit in one base period.
    pub fn deducted_points(&self, entry: &AssessmentEntry) -> Points {
        let ids = self.deductions_by_entry.get(entry).map(Vec::as_slice).unwrap_or_default();
        ids.iter()
            .filter_map(|id| self.deductions.get(id))
            .map(|deduction| self.effective_deduction_points(deduction))
            .sum()
    }

    /// The appeal on `appeals` still waiting for a decision, if any.
    pub fn open_appeal<'a>(&'a self, appeals: &[AppealId]) -> Option<&'a AppealRecord> {
        appeals.iter().filter_map(|id| self.appeals.get(id)).find(|appeal| appeal.awaiting_decision)
    }

    /// Whether any appeal in (scheme, period) waits for a decision.
    pub fn has_open_appeals_in(&self, scheme: &SchemeId, period: PeriodId) -> bool {
        self.appeals
            .values()
            .any(|appeal| appeal.awaiting_decision && &appeal.filed.scheme == scheme && appeal.filed.period == period)
    }

    /// The assessment an appeal is against: its recorder's actor id and assessing unit.
    pub fn appeal_target_author(&self, target: &AppealTarget) -> Option<(&str, &UnitCode)> {
        match target {
            AppealTarget::Deduction { deduction_id } => self
                .deductions
                .get(deduction_id)
                .map(|deduction| (deduction.recorded_by.as_str(), &deduction.recorded.assessor)),
            AppealTarget::TierAward { tier_award_id } => {
                self.tier_awards.get(tier_award_id).map(|award| (award.awarded_by.as_str(), &award.awarded.assessor))
            }
        }
    }
}
