//! Upcasters: turn stored data of an old schema version into the next version, one step at a time,
//! until it is current. Schemes change every year; the ledger never rewrites what it stored.
//!
//! Invariant: a step is a pure function from one frozen version's type to the next version's frozen
//! type, and both types live here, never to be edited once published. So a step gives the same JSON
//! for the same input in every later build, whatever the current type becomes: the current type in
//! `event` decodes only what the last step writes. The frozen types are built from the ledger's value
//! types (codes, ids, points, periods, dates, roles); their JSON form is itself part of the stored
//! format, pinned by the golden files of every event version, so it cannot change under a step.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::appeal::{AppealStage, AppealVerdict};
use super::context::Role;
use super::date::{Date, IsoWeek};
use super::event::EventDecodeError;
use super::ids::{
    AppealId, DeductionId, EventId, EvidenceDigest, IndicatorCode, PersonId, ProblemCategory, SchemeId, TierAwardId,
    TokenHash, UnitCode,
};
use super::period::PeriodId;
use super::person::IndicatorRef;
use super::points::Points;
use super::Timestamp;

/// One published step: data of `event_type` at `from_version` becomes data at `from_version + 1`.
#[derive(Clone, Copy, Debug)]
pub struct UpcastStep {
    pub event_type: &'static str,
    pub from_version: u32,
    step: fn(Value) -> Result<Value, serde_json::Error>,
}

impl UpcastStep {
    /// The data of the next version; data that is not of `from_version` is `InvalidData` of it.
    pub fn apply(&self, data: Value) -> Result<Value, EventDecodeError> {
        (self.step)(data).map_err(|error| EventDecodeError::InvalidData {
            event_type: self.event_type.to_owned(),
            schema_version: self.from_version,
            message: error.to_string(),
        })
    }
}

/// Every step ever published. A new schema version adds one step here; no published step changes.
pub const UPCAST_STEPS: &[UpcastStep] = &[
    UpcastStep {
        event_type: "DeductionRecorded",
        from_version: 1,
        step: |data| frozen_step(data, deduction_recorded_v1_to_v2),
    },
    UpcastStep {
        event_type: "AccessGranted",
        from_version: 1,
        step: |data| frozen_step(data, access_granted_v1_to_v2),
    },
    UpcastStep { event_type: "AppealFiled", from_version: 1, step: |data| frozen_step(data, appeal_filed_v1_to_v2) },
    UpcastStep {
        event_type: "AppealDecided",
        from_version: 1,
        step: |data| frozen_step(data, appeal_decided_v1_to_v2),
    },
    UpcastStep {
        event_type: "AppealEscalated",
        from_version: 1,
        step: |data| frozen_step(data, appeal_escalated_v1_to_v2),
    },
    UpcastStep { event_type: "PersonMoved", from_version: 1, step: |data| frozen_step(data, person_moved_v1_to_v2) },
    UpcastStep {
        event_type: "AccessGranted",
        from_version: 2,
        step: |data| frozen_step(data, access_granted_v2_to_v3),
    },
    UpcastStep {
        event_type: "PersonRegistered",
        from_version: 1,
        step: |data| frozen_step(data, person_registered_v1_to_v2),
    },
    UpcastStep {
        event_type: "WeeklyRecordFiled",
        from_version: 1,
        step: |data| frozen_step(data, weekly_record_filed_v1_to_v2),
    },
    UpcastStep {
        event_type: "WeeklyRecordCommented",
        from_version: 1,
        step: |data| frozen_step(data, weekly_record_commented_v1_to_v2),
    },
    UpcastStep {
        event_type: "PersonReviewed",
        from_version: 1,
        step: |data| frozen_step(data, person_reviewed_v1_to_v2),
    },
    UpcastStep {
        event_type: "GradeRecorded",
        from_version: 1,
        step: |data| frozen_step(data, grade_recorded_v1_to_v2),
    },
    UpcastStep {
        event_type: "PersonalIndicatorAssessed",
        from_version: 1,
        step: |data| frozen_step(data, personal_indicator_assessed_v1_to_v2),
    },
];

/// Applies the published steps from `schema_version` up to `current`.
pub(crate) fn upcast_to_current(
    event_type: &str,
    schema_version: u32,
    current: u32,
    data: Value,
) -> Result<Value, EventDecodeError> {
    let unknown =
        |version| EventDecodeError::UnknownSchemaVersion { event_type: event_type.to_owned(), schema_version: version };
    if schema_version == 0 || schema_version > current {
        return Err(unknown(schema_version));
    }
    let mut data = data;
    for version in schema_version..current {
        let step = UPCAST_STEPS
            .iter()
            .find(|step| step.event_type == event_type && step.from_version == version)
            .ok_or_else(|| unknown(version))?;
        data = step.apply(data)?;
    }
    Ok(data)
}

fn frozen_step<Old: DeserializeOwned, New: Serialize>(
    data: Value,
    step: impl FnOnce(Old) -> New,
) -> Result<Value, serde_json::Error> {
    let old = serde_json::from_value(data)?;
    // Frozen types hold the ledger's value types (codes, ids, points, periods, dates), strings,
    // numbers, lists and options, all of which serialise without fail.
    Ok(serde_json::to_value(step(old)).expect("event data serialises to JSON"))
}

// ---- DeductionRecorded -----------------------------------------------------------------------

/// `DeductionRecorded` version 1, as first published: at most one evidence digest and no links.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRecordedV1 {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub points: Points,
    pub reason: String,
    pub problem_category: ProblemCategory,
    pub evidence_digest: Option<EvidenceDigest>,
    pub assessor: UnitCode,
}

/// `DeductionRecorded` version 2, as published: a list of evidence digests and links to earlier events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRecordedV2 {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub points: Points,
    pub reason: String,
    pub problem_category: ProblemCategory,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub links: Vec<EventId>,
    pub assessor: UnitCode,
}

/// v1 → v2: the single optional digest becomes a list of zero or one; links default to none, since a
/// v1 deduction could not link to anything.
fn deduction_recorded_v1_to_v2(old: DeductionRecordedV1) -> DeductionRecordedV2 {
    DeductionRecordedV2 {
        deduction_id: old.deduction_id,
        scheme: old.scheme,
        period: old.period,
        unit: old.unit,
        indicator: old.indicator,
        points: old.points,
        reason: old.reason,
        problem_category: old.problem_category,
        evidence_digests: old.evidence_digest.into_iter().collect(),
        links: Vec::new(),
        assessor: old.assessor,
    }
}

// ---- AccessGranted ---------------------------------------------------------------------------

/// `AccessGranted` version 1, as first published: a grant without an end.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessGrantedV1 {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub note: String,
}

/// `AccessGranted` version 2, as published: the grant lasts `valid_days` whole days of 24 hours from
/// the event's recorded time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessGrantedV2 {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub note: String,
    pub valid_days: u32,
}

/// v1 → v2: a grant recorded before tokens expired lasts 90 days from its recorded time, the default
/// of version 2 when it was published. The number is written here, not taken from the current
/// default, so that a later default never changes what an old grant meant.
fn access_granted_v1_to_v2(old: AccessGrantedV1) -> AccessGrantedV2 {
    AccessGrantedV2 {
        token_hash: old.token_hash,
        actor_id: old.actor_id,
        role: old.role,
        unit: old.unit,
        note: old.note,
        valid_days: 90,
    }
}

// ---- AppealFiled, AppealDecided, AppealEscalated ---------------------------------------------------

/// What an appeal could be against in `AppealFiled` version 1: a deduction or a tier award.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AppealTargetV1 {
    Deduction { deduction_id: DeductionId },
    TierAward { tier_award_id: TierAwardId },
}

/// What an appeal can be against in `AppealFiled` version 2: also a deduction's cause attribution,
/// named by the event that recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AppealTargetV2 {
    Deduction { deduction_id: DeductionId },
    TierAward { tier_award_id: TierAwardId },
    CauseAttribution { deduction_id: DeductionId, attribution_event_id: EventId },
}

/// `AppealFiled` version 1, as first published: no evidence, no cause attribution as a target.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealFiledV1 {
    pub appeal_id: AppealId,
    pub target: AppealTargetV1,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub appellant: UnitCode,
    pub points_contested: Points,
    pub grounds: String,
    pub decision_due_at: Timestamp,
}

/// `AppealFiled` version 2, as published: evidence digests beside the grounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealFiledV2 {
    pub appeal_id: AppealId,
    pub target: AppealTargetV2,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub appellant: UnitCode,
    pub points_contested: Points,
    pub grounds: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub decision_due_at: Timestamp,
}

/// v1 → v2: a v1 filing carried no evidence, and its target is one of the two kinds v1 knew.
fn appeal_filed_v1_to_v2(old: AppealFiledV1) -> AppealFiledV2 {
    AppealFiledV2 {
        appeal_id: old.appeal_id,
        target: match old.target {
            AppealTargetV1::Deduction { deduction_id } => AppealTargetV2::Deduction { deduction_id },
            AppealTargetV1::TierAward { tier_award_id } => AppealTargetV2::TierAward { tier_award_id },
        },
        scheme: old.scheme,
        period: old.period,
        unit: old.unit,
        indicator: old.indicator,
        appellant: old.appellant,
        points_contested: old.points_contested,
        grounds: old.grounds,
        evidence_digests: Vec::new(),
        decision_due_at: old.decision_due_at,
    }
}

/// `AppealDecided` version 1, as first published: no evidence.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealDecidedV1 {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub stage: AppealStage,
    pub verdict: AppealVerdict,
    pub points_restored: Points,
    pub reasoning: String,
    pub escalation_window_closes_at: Option<Timestamp>,
}

/// `AppealDecided` version 2, as published: evidence digests beside the reasoning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealDecidedV2 {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub stage: AppealStage,
    pub verdict: AppealVerdict,
    pub points_restored: Points,
    pub reasoning: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub escalation_window_closes_at: Option<Timestamp>,
}

/// v1 → v2: a v1 decision carried no evidence.
fn appeal_decided_v1_to_v2(old: AppealDecidedV1) -> AppealDecidedV2 {
    AppealDecidedV2 {
        appeal_id: old.appeal_id,
        scheme: old.scheme,
        period: old.period,
        unit: old.unit,
        stage: old.stage,
        verdict: old.verdict,
        points_restored: old.points_restored,
        reasoning: old.reasoning,
        evidence_digests: Vec::new(),
        escalation_window_closes_at: old.escalation_window_closes_at,
    }
}

/// `AppealEscalated` version 1, as first published: no evidence.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealEscalatedV1 {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub grounds: String,
    pub decision_due_at: Timestamp,
}

/// `AppealEscalated` version 2, as published: evidence digests beside the grounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealEscalatedV2 {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub grounds: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub decision_due_at: Timestamp,
}

/// v1 → v2: a v1 escalation carried no evidence.
fn appeal_escalated_v1_to_v2(old: AppealEscalatedV1) -> AppealEscalatedV2 {
    AppealEscalatedV2 {
        appeal_id: old.appeal_id,
        scheme: old.scheme,
        period: old.period,
        unit: old.unit,
        grounds: old.grounds,
        evidence_digests: Vec::new(),
        decision_due_at: old.decision_due_at,
    }
}

// ---- PersonMoved -----------------------------------------------------------------------------

/// `PersonMoved` version 1, as first published: a move without a day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonMovedV1 {
    pub person: PersonId,
    pub from_unit: UnitCode,
    pub to_unit: UnitCode,
}

/// `PersonMoved` version 2, as published: the day the move takes effect, `null` for a version 1 move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonMovedV2 {
    pub person: PersonId,
    pub from_unit: UnitCode,
    pub to_unit: UnitCode,
    pub effective_on: Option<Date>,
}

/// v1 → v2: a move recorded without a day names none (`null`); the fold reads it as taking effect on
/// the day it was recorded, in the ledger's time zone — the only day a version 1 move could mean.
fn person_moved_v1_to_v2(old: PersonMovedV1) -> PersonMovedV2 {
    PersonMovedV2 { person: old.person, from_unit: old.from_unit, to_unit: old.to_unit, effective_on: None }
}

// ---- AccessGranted v3 ------------------------------------------------------------------------

/// `AccessGranted` version 3, as published: the person the token speaks for, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessGrantedV3 {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub note: String,
    pub valid_days: u32,
    pub person: Option<PersonId>,
}

/// v2 → v3: a grant recorded before grants named persons names none; no such grant was for the roles
/// `person` or `leader`, which did not exist yet.
fn access_granted_v2_to_v3(old: AccessGrantedV2) -> AccessGrantedV3 {
    AccessGrantedV3 {
        token_hash: old.token_hash,
        actor_id: old.actor_id,
        role: old.role,
        unit: old.unit,
        note: old.note,
        valid_days: old.valid_days,
        person: None,
    }
}

// ---- Personal texts: PersonRegistered, WeeklyRecordFiled, WeeklyRecordCommented, PersonReviewed,
// GradeRecorded, PersonalIndicatorAssessed v2 ----
//
// Version 2 of these events holds its personal text sealed under the person's key; version 1 held it
// plain. Both stay legitimate stored forms: a v1 text is not sealed after the fact (there is nothing to
// seal it with, and its bytes are hashed as they are). So these steps invent nothing: the v1 text
// reaches version 2's type as what it is, a plain text, and the JSON of the step is the JSON it read.

/// A personal text as version 2 of these events reads it: plain (reached from version 1 only) or sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PersonalTextV2 {
    Plain(String),
    Sealed { ciphertext: String, nonce: String },
}

/// `PersonRegistered` version 1, as first published: the name in clear.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRegisteredV1 {
    pub person: PersonId,
    pub name: String,
    pub unit: UnitCode,
}

/// `PersonRegistered` version 2, as published: the name sealed (or, from version 1, plain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRegisteredV2 {
    pub person: PersonId,
    pub name: PersonalTextV2,
    pub unit: UnitCode,
}

/// v1 → v2: a name registered before names were sealed is a plain text.
fn person_registered_v1_to_v2(old: PersonRegisteredV1) -> PersonRegisteredV2 {
    PersonRegisteredV2 { person: old.person, name: PersonalTextV2::Plain(old.name), unit: old.unit }
}

/// `WeeklyRecordFiled` version 1, as first published: the text in clear.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordFiledV1 {
    pub person: PersonId,
    pub week: IsoWeek,
    pub unit: UnitCode,
    pub text: String,
    pub indicators: Vec<IndicatorRef>,
}

/// `WeeklyRecordFiled` version 2, as published: the text sealed (or, from version 1, plain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordFiledV2 {
    pub person: PersonId,
    pub week: IsoWeek,
    pub unit: UnitCode,
    pub text: PersonalTextV2,
    pub indicators: Vec<IndicatorRef>,
}

/// v1 → v2: a record filed before texts were sealed holds a plain text.
fn weekly_record_filed_v1_to_v2(old: WeeklyRecordFiledV1) -> WeeklyRecordFiledV2 {
    WeeklyRecordFiledV2 {
        person: old.person,
        week: old.week,
        unit: old.unit,
        text: PersonalTextV2::Plain(old.text),
        indicators: old.indicators,
    }
}

/// `WeeklyRecordCommented` version 1, as first published: the comment in clear.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordCommentedV1 {
    pub person: PersonId,
    pub week: IsoWeek,
    pub comment: String,
}

/// `WeeklyRecordCommented` version 2, as published: the comment sealed (or, from version 1, plain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRecordCommentedV2 {
    pub person: PersonId,
    pub week: IsoWeek,
    pub comment: PersonalTextV2,
}

/// v1 → v2: a comment made before texts were sealed is a plain text.
fn weekly_record_commented_v1_to_v2(old: WeeklyRecordCommentedV1) -> WeeklyRecordCommentedV2 {
    WeeklyRecordCommentedV2 { person: old.person, week: old.week, comment: PersonalTextV2::Plain(old.comment) }
}

/// `PersonReviewed` version 1, as first published: the comment in clear.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonReviewedV1 {
    pub person: PersonId,
    pub quarter: PeriodId,
    pub score: Points,
    pub comment: String,
}

/// `PersonReviewed` version 2, as published: the comment sealed (or, from version 1, plain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonReviewedV2 {
    pub person: PersonId,
    pub quarter: PeriodId,
    pub score: Points,
    pub comment: PersonalTextV2,
}

/// v1 → v2: a review made before texts were sealed holds a plain comment.
fn person_reviewed_v1_to_v2(old: PersonReviewedV1) -> PersonReviewedV2 {
    PersonReviewedV2 {
        person: old.person,
        quarter: old.quarter,
        score: old.score,
        comment: PersonalTextV2::Plain(old.comment),
    }
}

/// `GradeRecorded` version 1, as first published: the reason in clear.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeRecordedV1 {
    pub unit: UnitCode,
    pub year: i32,
    pub person: PersonId,
    pub grade: Value,
    pub reason: Option<String>,
    pub basis: Value,
}

/// `GradeRecorded` version 2, as published: the reason sealed (or, from version 1, plain). The grade
/// and the basis are carried as the JSON they were: this step does not touch them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeRecordedV2 {
    pub unit: UnitCode,
    pub year: i32,
    pub person: PersonId,
    pub grade: Value,
    pub reason: Option<PersonalTextV2>,
    pub basis: Value,
}

/// v1 → v2: a reason given before reasons were sealed is a plain text.
fn grade_recorded_v1_to_v2(old: GradeRecordedV1) -> GradeRecordedV2 {
    GradeRecordedV2 {
        unit: old.unit,
        year: old.year,
        person: old.person,
        grade: old.grade,
        reason: old.reason.map(PersonalTextV2::Plain),
        basis: old.basis,
    }
}

/// `PersonalIndicatorAssessed` version 1, as first published: the reason in clear. The id, indicator
/// and outcome are carried as the JSON they were: this step does not touch them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalIndicatorAssessedV1 {
    pub assessment_id: Value,
    pub unit: UnitCode,
    pub year: i32,
    pub indicator: Value,
    pub person: PersonId,
    pub period: PeriodId,
    pub outcome: Value,
    pub reason: String,
}

/// `PersonalIndicatorAssessed` version 2, as published: the reason sealed (or, from version 1, plain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalIndicatorAssessedV2 {
    pub assessment_id: Value,
    pub unit: UnitCode,
    pub year: i32,
    pub indicator: Value,
    pub person: PersonId,
    pub period: PeriodId,
    pub outcome: Value,
    pub reason: PersonalTextV2,
}

/// v1 → v2: a reason given before reasons were sealed is a plain text.
fn personal_indicator_assessed_v1_to_v2(old: PersonalIndicatorAssessedV1) -> PersonalIndicatorAssessedV2 {
    PersonalIndicatorAssessedV2 {
        assessment_id: old.assessment_id,
        unit: old.unit,
        year: old.year,
        indicator: old.indicator,
        person: old.person,
        period: old.period,
        outcome: old.outcome,
        reason: PersonalTextV2::Plain(old.reason),
    }
}
