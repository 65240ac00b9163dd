//! The events of individual assessment and of the use of results (see `person`): each carries the
//! ids its stream is named by. Texts that are personal information — a weekly record's `text`, a
//! review's or a comment's `comment`, a grade's `reason` — are fields of their own; the first three are
//! `PersonalText`s, plain in version 1 and sealed under the person's key in version 2.
//!
//! Invariant: a published event version is never edited (see `event`).

use serde::{Deserialize, Serialize};

use super::date::IsoWeek;
use super::ids::{IndicatorCode, PersonId, UnitCode};
use super::period::PeriodId;
use super::person::{
    AnnualGrade, AssessmentId, ChainPosition, IndicatorRef, PartWeights, PersonalOutcome, ResultSubject, ResultUseId,
    ResultUseKind, ResultView,
};
use super::personal_text::PersonalText;
use super::points::Points;
use super::scheme::IndicatorMethod;

/// The office of a county defines an indicator of one person's own for a year, from a base period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalIndicatorDefined {
    /// The county whose office defined it.
    pub unit: UnitCode,
    pub year: i32,
    pub indicator: IndicatorCode,
    /// The responsible person.
    pub person: PersonId,
    pub name: String,
    pub description: String,
    pub points_max: Points,
    pub method: IndicatorMethod,
    /// Its first base period (of the city scheme that assesses the county that year).
    pub effective_from: PeriodId,
}

/// The office records a deduction, a tier or the withdrawal of a deduction on a personal indicator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalIndicatorAssessed {
    pub assessment_id: AssessmentId,
    pub unit: UnitCode,
    pub year: i32,
    pub indicator: IndicatorCode,
    pub person: PersonId,
    pub period: PeriodId,
    pub outcome: PersonalOutcome,
    /// Why. Personal information: sealed under the person's key from version 2 on (plain in version 1).
    pub reason: PersonalText,
}

/// A person's weekly work record (个人周工作纪实) for one ISO week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordFiled {
    pub person: PersonId,
    pub week: IsoWeek,
    /// The unit the person belonged to on the week's Thursday.
    pub unit: UnitCode,
    /// Personal information: what the person did that week (sealed from version 2).
    pub text: PersonalText,
    pub indicators: Vec<IndicatorRef>,
}

/// A section chief or the leader in charge comments on a weekly record (the commenter is the actor).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordCommented {
    pub person: PersonId,
    pub week: IsoWeek,
    /// Personal information, sealed under the commented person's key from version 2.
    pub comment: PersonalText,
}

/// A leader's review (领导评鉴) of a person for a quarter (the leader is the actor; their latest wins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonReviewed {
    pub person: PersonId,
    pub quarter: PeriodId,
    /// 0 to 100.00.
    pub score: Points,
    /// Personal information, sealed under the reviewed person's key from version 2.
    pub comment: PersonalText,
}

/// A county's committee sets the rules of its individual assessment for a year, every one spelled out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalRulesSet {
    pub unit: UnitCode,
    pub year: i32,
    pub weights: PartWeights,
    pub tier_shares_percent: Vec<u32>,
    pub excellent_quota_percent: u32,
    pub missing_week_deduction: Points,
}

/// The individual ranking an annual grade was checked against, as it stood when it was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBasis {
    pub participants: u32,
    /// How many of them have an annual score (are ranked).
    pub ranked: u32,
    pub excellent_quota: u32,
    /// How many stand graded 优秀 with this grade.
    pub excellent_graded: u32,
    pub annual_score: Option<Points>,
    pub rank: Option<u32>,
    pub tier: Option<u32>,
}

/// A county's committee records a person's annual grade (年度考核等次); the latest for a person and year
/// counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeRecorded {
    pub unit: UnitCode,
    pub year: i32,
    pub person: PersonId,
    pub grade: AnnualGrade,
    /// Why (required for 基本称职 and 不称职). Personal information: sealed under the person's key
    /// from version 2 on (plain in version 1).
    pub reason: Option<PersonalText>,
    pub basis: GradeBasis,
}

/// A committee records a use of results (结果运用): a notice, an honour, a priority, naming the subject,
/// the view it relied on and the chain position that view was read at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultUseRecorded {
    pub result_use_id: ResultUseId,
    /// The committee's unit.
    pub committee: UnitCode,
    pub kind: ResultUseKind,
    pub subject: ResultSubject,
    pub view: ResultView,
    pub read_at: ChainPosition,
    pub note: String,
}
