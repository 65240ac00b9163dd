//! The commands of individual assessment and of the use of results (see `person`), listed with every
//! other command in `command::commands!`. As there, a command is only a request: validity is decided
//! in `rules::personal`, and ids of new facts come from the `Context`.

use serde::{Deserialize, Serialize};

use super::date::IsoWeek;
use super::ids::{IndicatorCode, PersonId, UnitCode};
use super::period::PeriodId;
use super::person::{
    AnnualGrade, ChainPosition, IndicatorRef, PartWeights, PersonalOutcome, ResultSubject, ResultUseKind, ResultView,
    EXCELLENT_QUOTA_PERCENT_DEFAULT, TIER_SHARES_PERCENT_DEFAULT,
};
use super::points::Points;
use super::scheme::IndicatorMethod;

/// The office of a county defines an indicator of one person's own for a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinePersonalIndicator {
    /// The county (the office's own unit).
    pub unit: UnitCode,
    pub year: i32,
    pub indicator: IndicatorCode,
    /// The responsible person: registered in the county or one of its sections.
    pub person: PersonId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub points_max: Points,
    pub method: IndicatorMethod,
    /// The first base period it counts in; the year's first when left out.
    pub effective_from: Option<PeriodId>,
}

/// The office records a deduction, a tier or the withdrawal of a deduction on a personal indicator in
/// one base period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessPersonalIndicator {
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub period: PeriodId,
    pub outcome: PersonalOutcome,
    pub reason: String,
}

/// A person files their weekly work record for an ISO week: one per week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileWeeklyRecord {
    pub person: PersonId,
    pub week: IsoWeek,
    /// What they did: personal information.
    pub text: String,
    /// The indicators the week's work advanced: ones the person carries that month.
    #[serde(default)]
    pub indicators: Vec<IndicatorRef>,
}

/// A leader (the section chief, or the leader in charge) comments on a weekly record in its scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentWeeklyRecord {
    pub person: PersonId,
    pub week: IsoWeek,
    pub comment: String,
}

/// A leader reviews a person in its scope for a quarter: 0 to 100.00, with a comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewPerson {
    pub person: PersonId,
    pub quarter: PeriodId,
    pub score: Points,
    pub comment: String,
}

fn default_tier_shares() -> Vec<u32> {
    TIER_SHARES_PERCENT_DEFAULT.to_vec()
}

fn default_excellent_quota_percent() -> u32 {
    EXCELLENT_QUOTA_PERCENT_DEFAULT
}

/// A county's committee sets the rules of its individual assessment for a year; settings left out take
/// the defaults (weights 40/30/30, tiers 30/50/20, 优秀 for 20 %, no deduction for a missing week).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPersonalRules {
    pub unit: UnitCode,
    pub year: i32,
    #[serde(default)]
    pub weights: PartWeights,
    #[serde(default = "default_tier_shares")]
    pub tier_shares_percent: Vec<u32>,
    #[serde(default = "default_excellent_quota_percent")]
    pub excellent_quota_percent: u32,
    #[serde(default)]
    pub missing_week_deduction: Points,
}

/// A county's committee records a participant's annual grade for a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordGrade {
    /// The county (the committee's own unit).
    pub unit: UnitCode,
    pub person: PersonId,
    pub year: i32,
    pub grade: AnnualGrade,
    /// Why: required for 基本称职 and 不称职.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A committee records a use of results, naming the subject, the view it relied on and the chain
/// position that view was read at (the head when left out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordResultUse {
    pub kind: ResultUseKind,
    pub subject: ResultSubject,
    pub view: ResultView,
    /// Where the view was read: a sequence number and the chain hash of that event (as `kpi-ledger
    /// head` prints them). The service fills in the head when it is left out, and refuses a position
    /// that is not in the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<ChainPosition>,
    /// What was decided (e.g. the notice's number and title).
    pub note: String,
}
