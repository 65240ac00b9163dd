//! The listings a client needs to find its way before it asks a question: the schemes, the
//! indicators of a scheme, the periods of a scheme with their status and windows — and the deduction
//! register (台账) filtered and paged. Typed in and serialisable out, as of any point, like every
//! other question (`queries`).
//!
//! Who may read them: schemes, indicators and periods are the rules every assessed unit is held to,
//! published to all, so they are read as the organisation is (`ReadTarget::Organisation`, every valid
//! token); the register is a unit's facts (`ReadTarget::Unit`).
//!
//! Invariant: nothing here computes a score; the register page is the register `documents` answers,
//! filtered and cut, so its entries are exactly the register's.

use serde::{Deserialize, Serialize};

use crate::domain::facts::{PeriodStatus as FactPeriodStatus, SchemeFacts};
use crate::domain::{
    FunctionCode, IndicatorCode, PeriodId, PeriodKind, Points, ProblemCategory, SchemeId, Timestamp, UnitCode,
};
use crate::projection::trace::{DeductionRegister, EvidenceFilter, RegisterEntry};
use crate::projection::{AsOf, PeerGroup, Projection};
use crate::service::queries::{Answer, QueryError};
use crate::service::read_models::ReadModels;
use crate::service::ServiceError;

/// Every scheme opened by the as-of point.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Schemes {
    pub schemes: Vec<SchemeListing>,
}

/// One scheme: who issued it, for which year, its base period, its windows, and its peer groups.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SchemeListing {
    pub scheme: SchemeId,
    pub issuer: UnitCode,
    pub issuer_name: String,
    pub year: i32,
    pub base_period: PeriodKind,
    pub objection_window_days: u32,
    pub escalation_window_days: u32,
    pub decision_window_days: u32,
    pub bonus_cap: Points,
    pub indicators: usize,
    /// Base periods opened so far.
    pub periods_opened: usize,
    /// Its assessed units (`function_code` null), then one group per section function code.
    pub peer_groups: Vec<GroupListing>,
}

/// One peer group of a scheme and how many active members it has.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupListing {
    pub function_code: Option<FunctionCode>,
    pub members: usize,
}

/// The indicators of a scheme, as defined (with their revisions), or as in force in one base period.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Indicators {
    pub scheme: SchemeId,
    /// The base period asked about, when one was: the indicators then in force, as revised by then.
    pub period: Option<PeriodId>,
    pub indicators: Vec<IndicatorListing>,
}

/// One indicator.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndicatorListing {
    pub indicator: IndicatorCode,
    pub name: String,
    pub description: String,
    pub points_max: Points,
    /// `deduct` or `tiered`.
    pub method: String,
    /// The tier standards of a tiered indicator, best first, with their shares in thousandths.
    pub tiers: Vec<TierListing>,
    pub veto: bool,
    pub problem_categories: Vec<ProblemCategory>,
    /// The unit whose assessors score it.
    pub assessor: UnitCode,
    pub effective_from: PeriodId,
    pub retired_from: Option<PeriodId>,
    /// How many revisions were recorded (every one, whatever the period).
    pub revisions: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TierListing {
    pub tier: u32,
    pub standard: String,
    pub share_per_mille: u16,
}

/// A period's status: open (results may change), published (objections may be filed until the
/// window closes), final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Open,
    Published,
    Final,
}

impl PeriodStatus {
    fn of(status: FactPeriodStatus) -> PeriodStatus {
        match status {
            FactPeriodStatus::Open => PeriodStatus::Open,
            FactPeriodStatus::Published => PeriodStatus::Published,
            FactPeriodStatus::Final => PeriodStatus::Final,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::Open => "open",
            PeriodStatus::Published => "published",
            PeriodStatus::Final => "final",
        }
    }
}

/// The periods of a scheme: every opened base period, and the roll-ups (quarters, halves, the year)
/// that hold at least one of them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Periods {
    pub scheme: SchemeId,
    /// The instant the objection windows are judged at: the as-of instant, or now for the latest.
    pub judged_at: Timestamp,
    pub periods: Vec<PeriodListing>,
    pub roll_ups: Vec<RollUpListing>,
}

/// One opened base period.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeriodListing {
    pub period: PeriodId,
    pub status: PeriodStatus,
    pub opened_at: Timestamp,
    pub opened_seq: u64,
    /// When its results were (last) published; `None` while open.
    pub published_at: Option<Timestamp>,
    /// Until when objections (appeals) may be filed; `None` while open.
    pub objection_window_closes_at: Option<Timestamp>,
    /// Whether the objection window is open at `judged_at`.
    pub objection_window_open: bool,
    /// Whether anything has been assessed in it yet (or it is published).
    pub has_results: bool,
}

/// A quarter, half or year of a scheme: the opened base periods inside it and the least advanced
/// status among them (a roll-up is final only once every one is, and counts only published ones
/// unless asked for provisional figures).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RollUpListing {
    pub period: PeriodId,
    pub base_periods: Vec<PeriodId>,
    /// How many base periods the roll-up spans, opened or not.
    pub base_periods_expected: usize,
    pub status: PeriodStatus,
}

/// Which deductions a register page lists, besides the unit, period and evidence filter.
#[derive(Clone, Debug, Default)]
pub struct RegisterFilter {
    pub evidence: EvidenceFilter,
    /// Recorded on behalf of this unit or a unit under it.
    pub assessor: Option<UnitCode>,
    /// Answered for by this section: recorded against it, charged to it by a standing cause
    /// attribution, or on an indicator it leads in the deduction's period when no attribution moves
    /// the deduction elsewhere (docs/RULES.md §6).
    pub section: Option<UnitCode>,
    pub indicator: Option<IndicatorCode>,
    pub category: Option<ProblemCategory>,
    /// Entries skipped before the page.
    pub offset: usize,
    /// Entries on the page.
    pub limit: usize,
}

/// When a scheme was opened: its first event (`SchemeOpened`, the first of the scheme's stream), for a
/// reader choosing the day to replay its rankings at.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SchemeOpening {
    pub scheme: SchemeId,
    pub seq: u64,
    pub recorded_at: Timestamp,
}

/// One page of the deduction register.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegisterPage {
    #[serde(flatten)]
    pub register: DeductionRegister,
    /// Entries the filters admit, on every page together.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Where the next page starts; `None` on the last page.
    pub next_offset: Option<usize>,
}

fn not_found(field: &'static str, message: String) -> QueryError {
    QueryError::NotFound { field, message }
}

fn scheme_of<'p>(projection: &'p Projection, scheme: &SchemeId) -> Result<&'p SchemeFacts, QueryError> {
    projection
        .facts()
        .schemes
        .get(scheme)
        .ok_or_else(|| not_found("scheme", format!("no scheme {scheme} is open (as of event {})", projection.seq())))
}

fn group_listing(projection: &Projection, group: &PeerGroup) -> GroupListing {
    GroupListing { function_code: group.function_code.clone(), members: projection.peer_group_members(group).len() }
}

impl ReadModels {
    /// Every scheme opened by `as_of`, by id.
    pub fn schemes(&self, as_of: AsOf) -> Result<Answer<Schemes>, QueryError> {
        self.answer(as_of, |projection| {
            let facts = projection.facts();
            let schemes = facts
                .schemes
                .iter()
                .map(|(id, scheme)| {
                    let settings = &scheme.settings;
                    SchemeListing {
                        scheme: id.clone(),
                        issuer: settings.issuer.clone(),
                        issuer_name: facts
                            .units
                            .get(&settings.issuer)
                            .map(|unit| unit.name.clone())
                            .unwrap_or_default(),
                        year: settings.year,
                        base_period: settings.base_period,
                        objection_window_days: settings.objection_window_days,
                        escalation_window_days: settings.escalation_window_days,
                        decision_window_days: settings.decision_window_days,
                        bonus_cap: settings.bonus_cap,
                        indicators: scheme.indicators.len(),
                        periods_opened: scheme.periods.len(),
                        peer_groups: projection
                            .peer_groups(id)
                            .iter()
                            .map(|group| group_listing(projection, group))
                            .collect(),
                    }
                })
                .collect();
            Ok(Schemes { schemes })
        })
    }

    /// The indicators of `scheme`: every one defined by `as_of` with its definition as revised last,
    /// or, with `period` (a base period of the scheme), those in force then, as revised by then.
    pub fn indicators(
        &self,
        scheme: &SchemeId,
        period: Option<PeriodId>,
        as_of: AsOf,
    ) -> Result<Answer<Indicators>, QueryError> {
        self.answer(as_of, |projection| {
            let record = scheme_of(projection, scheme)?;
            if let Some(period) = period.filter(|period| !record.is_base_period(*period)) {
                return Err(QueryError::Invalid {
                    field: "period",
                    message: format!(
                        "{period} is not a base period of {scheme} ({}s of {})",
                        record.settings.base_period.as_str(),
                        record.settings.year
                    ),
                });
            }
            let indicators = record
                .indicators
                .values()
                .filter(|indicator| {
                    period.is_none_or(|period| {
                        indicator.defined.effective_from <= period && !indicator.is_retired_at(period)
                    })
                })
                .map(|indicator| {
                    let at = period.unwrap_or_else(|| {
                        let last = indicator.revisions.iter().map(|revision| revision.revised.effective_from).max();
                        last.unwrap_or(indicator.defined.effective_from).max(indicator.defined.effective_from)
                    });
                    let version = indicator.version_at(at);
                    let defined = &indicator.defined;
                    let tiers = version
                        .tiers()
                        .unwrap_or_default()
                        .iter()
                        .zip(1..)
                        .map(|(standard, tier)| TierListing {
                            tier,
                            standard: standard.standard.clone(),
                            share_per_mille: standard.share_per_mille.value(),
                        })
                        .collect();
                    IndicatorListing {
                        indicator: defined.indicator.clone(),
                        name: version.name.to_owned(),
                        description: version.description.to_owned(),
                        points_max: version.points_max,
                        method: if version.is_tiered() { "tiered" } else { "deduct" }.to_owned(),
                        tiers,
                        veto: defined.veto,
                        problem_categories: defined.problem_categories.clone(),
                        assessor: defined.assessor.clone(),
                        effective_from: defined.effective_from,
                        retired_from: indicator.retired_from,
                        revisions: indicator.revisions.len(),
                    }
                })
                .collect();
            Ok(Indicators { scheme: scheme.clone(), period, indicators })
        })
    }

    /// The periods of `scheme` as of `as_of`, their objection windows judged at the as-of instant (for
    /// the latest state, at `now`).
    pub fn periods(&self, scheme: &SchemeId, as_of: AsOf, now: Timestamp) -> Result<Answer<Periods>, QueryError> {
        self.answer(as_of, |projection| {
            let record = scheme_of(projection, scheme)?;
            let judged_at = match as_of {
                AsOf::Latest => now,
                AsOf::Instant(_) | AsOf::EndOfDay { .. } => {
                    as_of.instant(projection.facts().time_zone()).unwrap_or_else(|| projection.recorded_at())
                }
                AsOf::Seq(_) => projection.recorded_at(),
            };
            let periods: Vec<PeriodListing> = record
                .periods
                .iter()
                .map(|(period, facts)| PeriodListing {
                    period: *period,
                    status: PeriodStatus::of(facts.status),
                    opened_at: facts.opened.recorded_at,
                    opened_seq: facts.opened.seq,
                    published_at: facts.published_at,
                    objection_window_closes_at: facts.objection_window_closes_at,
                    objection_window_open: facts.status == FactPeriodStatus::Published
                        && facts.objection_window_closes_at.is_some_and(|closes| judged_at < closes),
                    has_results: record.has_results(*period),
                })
                .collect();
            let base = record.settings.base_period;
            let year = record.settings.year;
            let mut roll_ups = Vec::new();
            for kind in [PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year] {
                if kind.months() <= base.months() {
                    continue;
                }
                for roll_up in PeriodId::all_in_year(year, kind) {
                    let inside: Vec<&PeriodListing> =
                        periods.iter().filter(|listing| roll_up.contains(listing.period)).collect();
                    let Some(status) = inside.iter().map(|listing| listing.status).min_by_key(|status| match status {
                        PeriodStatus::Open => 0,
                        PeriodStatus::Published => 1,
                        PeriodStatus::Final => 2,
                    }) else {
                        continue;
                    };
                    roll_ups.push(RollUpListing {
                        period: roll_up,
                        base_periods: inside.iter().map(|listing| listing.period).collect(),
                        base_periods_expected: usize::from(kind.months() / base.months()),
                        status,
                    });
                }
            }
            Ok(Periods { scheme: scheme.clone(), judged_at, periods, roll_ups })
        })
    }

    /// One page of the deduction register of `unit` in `period`: the entries `filter` admits, in the
    /// register's order, from `filter.offset`, at most `filter.limit`.
    pub fn deduction_page(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        filter: &RegisterFilter,
        as_of: AsOf,
    ) -> Result<Answer<RegisterPage>, QueryError> {
        let answer = self.deduction_register(unit, period, filter.evidence, as_of)?;
        // The charged section needs the plans as of the same point as the register.
        let (_, page) = self.with_projection(AsOf::Seq(answer.as_of_seq), |projection| {
            let facts = projection.facts();
            for (field, named) in [("assessor", &filter.assessor), ("section", &filter.section)] {
                if let Some(named) = named.as_ref().filter(|named| !facts.units.contains_key(*named)) {
                    let message = format!("no unit {named} is registered (as of event {})", projection.seq());
                    return Err(not_found(field, message));
                }
            }
            let admitted: Vec<RegisterEntry> = answer
                .value
                .deductions
                .into_iter()
                .filter(|entry| filter.assessor.as_ref().is_none_or(|unit| facts.in_scope(unit, &entry.assessor)))
                .filter(|entry| filter.indicator.as_ref().is_none_or(|code| &entry.indicator == code))
                .filter(|entry| filter.category.as_ref().is_none_or(|category| &entry.problem_category == category))
                .filter(|entry| {
                    filter.section.as_ref().is_none_or(|section| charged_section(projection, entry) == Some(section))
                })
                .collect();
            let total = admitted.len();
            let deductions: Vec<RegisterEntry> = admitted.into_iter().skip(filter.offset).take(filter.limit).collect();
            let end = filter.offset.saturating_add(deductions.len());
            let next_offset = (end < total).then_some(end);
            let register = DeductionRegister { deductions, ..answer.value };
            Ok(RegisterPage { register, total, offset: filter.offset, limit: filter.limit, next_offset })
        })?;
        Ok(Answer { as_of_seq: answer.as_of_seq, as_of_instant: answer.as_of_instant, value: page? })
    }

    /// When `scheme` was opened (its first event), as the durable chain holds it; 404 naming `scheme`
    /// when it never was. Read like the schemes listing (`ReadTarget::Organisation`).
    pub fn scheme_opening(&self, scheme: &SchemeId) -> Result<SchemeOpening, QueryError> {
        let ledger = self.ledger();
        let first =
            ledger.read_stream(&crate::domain::streams::scheme_stream(scheme), 1, 1).map_err(ServiceError::from)?;
        let missing = || not_found("scheme", format!("no scheme {scheme} is open"));
        let seq = first.first().map(|event| event.seq).ok_or_else(missing)?;
        let recorded_at = ledger.recorded_at(seq).map_err(ServiceError::from)?.ok_or_else(missing)?;
        Ok(SchemeOpening { scheme: scheme.clone(), seq, recorded_at })
    }
}

/// The section that answers for a deduction: the section it was recorded against, the section of the
/// same county its standing cause attribution names, or the indicator's lead section in its period.
fn charged_section<'p>(projection: &'p Projection, entry: &'p RegisterEntry) -> Option<&'p UnitCode> {
    let facts = projection.facts();
    if facts.is_section(&entry.unit) {
        return Some(&entry.unit);
    }
    if let Some(cause) = entry.cause_unit.as_ref().filter(|cause| facts.is_section_of(cause, &entry.unit)) {
        return Some(cause);
    }
    facts.schemes.get(&entry.scheme)?.lead_section(&entry.unit, &entry.indicator, entry.period)
}
