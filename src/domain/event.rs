//! Events: the facts the ledger stores, one struct per event type, and the `Event` enum that names,
//! versions, serialises and (through `upcast`) decodes them.
//!
//! Invariant: a published event version is never edited. `to_data` writes the newest version its
//! data can take — the current one, except that an event whose personal text is still plain writes
//! version 1 (a plain text and a sealed one are both legitimate stored forms: `personal_text`);
//! `from_stored` reads every version ever written, upcasting old ones step by step to the current type,
//! and refuses data at the current version that is not in that version's form. Every event carries the
//! ids its stream is named by, so `stream_id` needs nothing but the event.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::appeal::{AppealStage, AppealTarget, AppealVerdict};
use super::context::Role;
use super::date::Date;
use super::ids::{
    AppealId, BonusId, DeductionId, EventId, EvidenceDigest, FunctionCode, IndicatorCode, PersonId, ProblemCategory,
    SchemeId, TierAwardId, TokenHash, UnitCode, VetoId,
};
use super::organisation::UnitLevel;
use super::period::{PeriodId, PeriodKind};
use super::person::{grades_stream, personal_plan_stream, result_uses_stream, review_stream, weekly_stream};
pub use super::person_events::{
    GradeRecorded, PersonReviewed, PersonalIndicatorAssessed, PersonalIndicatorDefined, PersonalRulesSet,
    ResultUseRecorded, WeeklyRecordCommented, WeeklyRecordFiled,
};
use super::personal_text::{PersonalText, TextField};
use super::points::Points;
use super::scheme::{IndicatorMethod, RepeatRule, TierRule, TierRulesByFunction, TierStandard};
use super::streams::{
    access_stream, assessment_stream, period_stream, person_stream, plan_stream, scheme_stream, unit_stream,
    SETTINGS_STREAM,
};
use super::timestamp::UtcOffset;
use super::upcast::upcast_to_current;
use super::Timestamp;

// ---- Organisation ----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRegistered {
    pub unit: UnitCode,
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRenamed {
    pub unit: UnitCode,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRetired {
    pub unit: UnitCode,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRegistered {
    pub person: PersonId,
    /// Personal information: plain in version 1, sealed under the person's key in version 2.
    pub name: PersonalText,
    pub unit: UnitCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonMoved {
    pub person: PersonId,
    pub from_unit: UnitCode,
    pub to_unit: UnitCode,
    /// Version 2: the day the move takes effect. `None` only for a move recorded as version 1, before
    /// moves had a date: it takes effect on the day it was recorded (in the ledger's time zone).
    pub effective_on: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRetired {
    pub person: PersonId,
    pub reason: String,
}

/// The person's key was erased (PIPL 第四十七条): every text sealed under it reads as erased from now
/// on, while every event, score and ranking stays as it was. `legal_basis` says why, in the admin's
/// words; it is kept in clear, as the record of the erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonErased {
    pub person: PersonId,
    pub legal_basis: String,
}

// ---- Scheme and indicators -------------------------------------------------------------------

/// A scheme with every setting spelled out (defaults already applied), so that a reader of the ledger
/// never needs to know what the defaults were when it was opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeOpened {
    pub scheme: SchemeId,
    pub issuer: UnitCode,
    pub year: i32,
    pub base_period: PeriodKind,
    /// The rule for the units the issuer assesses directly (the counties of a city).
    pub unit_tier_rule: TierRule,
    /// The rule for same-function sections of those units, unless `section_tier_rules` names one.
    pub section_tier_rule: TierRule,
    pub section_tier_rules: TierRulesByFunction,
    pub objection_window_days: u32,
    pub escalation_window_days: u32,
    pub decision_window_days: u32,
    pub bonus_cap: Points,
    pub repeat_rule: RepeatRule,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDefined {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub name: String,
    pub description: String,
    pub points_max: Points,
    pub method: IndicatorMethod,
    pub veto: bool,
    pub problem_categories: Vec<ProblemCategory>,
    /// The unit whose assessors score this indicator.
    pub assessor: UnitCode,
    pub effective_from: PeriodId,
}

/// New points, tiers or text from `effective_from` on; earlier periods keep what they had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRevised {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub effective_from: PeriodId,
    pub name: Option<String>,
    pub description: Option<String>,
    pub points_max: Option<Points>,
    pub tiers: Option<Vec<TierStandard>>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRetired {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub effective_from: PeriodId,
    pub reason: String,
}

/// A county's own scheme takes over an indicator of its city's scheme (the same code): from
/// `effective_from` it counts, worth `points_max` here, for the section the county's plan in
/// `city_scheme` names as its lead, scored from the city's facts (docs/RULES.md §14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorTakenOver {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub city_scheme: SchemeId,
    pub points_max: Points,
    pub effective_from: PeriodId,
}

/// The assessed unit takes the indicator into its plan and gives it to a lead section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorAssigned {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub unit: UnitCode,
    pub lead_section: UnitCode,
    pub supporting_sections: Vec<UnitCode>,
    pub responsible_person: Option<PersonId>,
    pub effective_from: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorMarkedNotApplicable {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub unit: UnitCode,
    pub effective_from: PeriodId,
    pub reason: String,
    pub approver: PersonId,
}

// ---- Periods ---------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodOpened {
    pub scheme: SchemeId,
    pub period: PeriodId,
}

/// Results are posted; appeals may be filed until `objection_window_closes_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsPublished {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub objection_window_closes_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodFinalised {
    pub scheme: SchemeId,
    pub period: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodReopened {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub reason: String,
}

// ---- Assessment ------------------------------------------------------------------------------

/// The latest award for a unit, indicator and period wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierAwarded {
    pub tier_award_id: TierAwardId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    /// 1-based: tier 1 is the indicator's first tier standard.
    pub tier: u32,
    pub reason: String,
    /// The unit on whose behalf it was awarded: its reviewers decide appeals against it.
    pub assessor: UnitCode,
}

/// Version 2 (current): several evidence digests and links to earlier events. Version 1 had at most
/// one digest and no links; stored v1 data reaches this type as the JSON of `upcast`'s v1 → v2 step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRecorded {
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
    /// The unit on whose behalf it was recorded: its reviewers decide appeals against it.
    pub assessor: UnitCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionWithdrawn {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusAwarded {
    pub bonus_id: BonusId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub points: Points,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VetoApplied {
    pub veto_id: VetoId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub reason: String,
}

// ---- Cause and remedy ------------------------------------------------------------------------

/// The unit whose action caused a deduction; the latest attribution wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseAttributed {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub links: Vec<EventId>,
}

/// What the causing unit did about a deduction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectificationRecorded {
    pub deduction_id: DeductionId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub links: Vec<EventId>,
}

// ---- Appeals ---------------------------------------------------------------------------------

/// Version 2 (current): evidence digests, and a cause attribution as a target. Version 1 had neither;
/// stored v1 data reaches this type through `upcast`'s v1 → v2 step (no evidence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealFiled {
    pub appeal_id: AppealId,
    pub target: AppealTarget,
    pub scheme: SchemeId,
    pub period: PeriodId,
    /// The assessed unit of the target (the assessment stream's unit).
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    /// The unit appealing: the assessed unit, or the section the deduction is charged to.
    pub appellant: UnitCode,
    /// What is contested: the deduction's points, or the tier award's shortfall from `points_max`; on
    /// a cause attribution, the charge it moved (the deduction's effective points when filed).
    pub points_contested: Points,
    pub grounds: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub decision_due_at: Timestamp,
}

/// A decision; at the escalated stage it replaces the first. Version 2 (current) added
/// `evidence_digests` (a v1 decision reads as one without evidence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealDecided {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub stage: AppealStage,
    pub verdict: AppealVerdict,
    /// Total points restored by this decision (all contested for upheld, none for dismissed); always
    /// none on a cause attribution, whose upheld appeal moves the charge instead.
    pub points_restored: Points,
    pub reasoning: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    /// Until when the appellant may escalate; `None` when escalation is not possible.
    pub escalation_window_closes_at: Option<Timestamp>,
}

/// Version 2 (current) added `evidence_digests` (a v1 escalation reads as one without evidence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealEscalated {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub grounds: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub decision_due_at: Timestamp,
}

/// An open appeal withdrawn by the appellant; a first decision that was escalated stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealWithdrawn {
    pub appeal_id: AppealId,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub reason: String,
}

// ---- Access --------------------------------------------------------------------------------

/// A bearer token, known by its hash, now acts as `actor_id` with `role` inside `unit`, from the
/// event's `recorded_at` on, for `valid_days` whole days of 24 hours: it expires at `recorded_at` +
/// `valid_days` × 24 h (`AccessRecord::expires_at`). The admin who granted it is the envelope's actor.
///
/// Version 2 added `valid_days`; a version 1 grant reads as one of 90 days (see `upcast`). Version 3
/// added `person`; an earlier grant reads as one naming none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessGranted {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub note: String,
    #[serde(deserialize_with = "valid_days")]
    pub valid_days: u32,
    /// Version 3: the person the token speaks for (role `person`, or a `leader` who is one); `None`
    /// for every other grant and for every grant recorded before version 3.
    pub person: Option<PersonId>,
}

pub use crate::limits::{ACCESS_VALID_DAYS_DEFAULT, ACCESS_VALID_DAYS_MAX};

fn valid_days<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let days = u32::deserialize(deserializer)?;
    match (1..=ACCESS_VALID_DAYS_MAX).contains(&days) {
        true => Ok(days),
        false => {
            Err(serde::de::Error::custom(format!("valid_days: expected 1 to {ACCESS_VALID_DAYS_MAX}, got {days}")))
        }
    }
}

/// The token no longer acts, from the event's `recorded_at` on. It repeats what the grant said, so
/// that a reader of this event alone knows whose access ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRevoked {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub reason: String,
}

// ---- Ledger settings ---------------------------------------------------------------------------

/// The ledger's time zone from this event on (`+08:00` before any is recorded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneSet {
    pub utc_offset: UtcOffset,
}

/// Checkpoints are signed with `public_key` from this event on; those signed before it verify with
/// `previous_public_key` (docs/FORMAT.md §5.3 says how an auditor follows a rotation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyRotated {
    pub public_key: crate::domain::ids::PublicKeyHex,
    pub previous_public_key: crate::domain::ids::PublicKeyHex,
    pub reason: String,
}

// ---- The enum --------------------------------------------------------------------------------

/// Declares the enum once with each type's current schema version, so names, versions and codecs
/// cannot drift apart.
macro_rules! events {
    ($($variant:ident => $version:literal,)+) => {
        /// Every fact the domain records.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $($variant($variant),)+
        }

        impl Event {
            /// Every event type with its current schema version.
            pub const CURRENT_VERSIONS: &'static [(&'static str, u32)] = &[$((stringify!($variant), $version),)+];

            /// The event type name, PascalCase and past tense.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => stringify!($variant),)+
                }
            }

            /// The type's current schema version (see `schema_version` for the one this event is
            /// written at).
            fn current_schema_version(&self) -> u32 {
                match self {
                    $(Event::$variant(_) => $version,)+
                }
            }

            /// The event's data as a JSON object in its current version.
            pub fn to_data(&self) -> Value {
                match self {
                    $(Event::$variant(inner) => data_of(inner),)+
                }
            }

            /// Decodes data of the current version straight from its JSON text (no `Value` tree).
            /// Deserializes the data of `event_type` at its current version straight from
            /// `deserializer` (for the one decoder, which reads the envelope and the data in one
            /// pass); `None` for an unknown type, whose data is then left unread.
            pub fn deserialize_current<'de, D: serde::Deserializer<'de>>(
                event_type: &str,
                deserializer: D,
            ) -> Result<Option<Event>, D::Error> {
                let event = match event_type {
                    $(stringify!($variant) => Event::$variant($variant::deserialize(deserializer)?),)+
                    _ => return serde::de::IgnoredAny::deserialize(deserializer).map(|_| None),
                };
                event.in_form_of_current().map(Some).map_err(serde::de::Error::custom)
            }

            fn decode_current_text(event_type: &str, text: &str) -> Result<Event, EventDecodeError> {
                let event = match event_type {
                    $(stringify!($variant) => decode_text(event_type, $version, text).map(Event::$variant)?,)+
                    _ => return Err(EventDecodeError::UnknownEventType(event_type.to_owned())),
                };
                event.in_form_of_current().map_err(|message| EventDecodeError::InvalidData {
                    event_type: event_type.to_owned(),
                    schema_version: Event::current_version(event_type).unwrap_or_default(),
                    message,
                })
            }

            fn decode_current(event_type: &str, data: Value) -> Result<Event, EventDecodeError> {
                match event_type {
                    $(stringify!($variant) => decode_data(event_type, $version, data).map(Event::$variant),)+
                    _ => Err(EventDecodeError::UnknownEventType(event_type.to_owned())),
                }
            }
        }

        $(
            impl From<$variant> for Event {
                fn from(event: $variant) -> Event {
                    Event::$variant(event)
                }
            }
        )+
    };
}

events! {
    UnitRegistered => 1,
    UnitRenamed => 1,
    UnitRetired => 1,
    PersonRegistered => 2,
    PersonMoved => 2,
    PersonRetired => 1,
    PersonErased => 1,
    SchemeOpened => 1,
    IndicatorDefined => 1,
    IndicatorRevised => 1,
    IndicatorRetired => 1,
    IndicatorAssigned => 1,
    IndicatorMarkedNotApplicable => 1,
    IndicatorTakenOver => 1,
    PeriodOpened => 1,
    ResultsPublished => 1,
    PeriodFinalised => 1,
    PeriodReopened => 1,
    TierAwarded => 1,
    DeductionRecorded => 2,
    DeductionWithdrawn => 1,
    BonusAwarded => 1,
    VetoApplied => 1,
    CauseAttributed => 1,
    RectificationRecorded => 1,
    AppealFiled => 2,
    AppealDecided => 2,
    AppealEscalated => 2,
    AppealWithdrawn => 1,
    AccessGranted => 3,
    AccessRevoked => 1,
    TimeZoneSet => 1,
    SigningKeyRotated => 1,
    PersonalIndicatorDefined => 1,
    PersonalIndicatorAssessed => 2,
    WeeklyRecordFiled => 2,
    WeeklyRecordCommented => 2,
    PersonReviewed => 2,
    PersonalRulesSet => 1,
    GradeRecorded => 2,
    ResultUseRecorded => 1,
}

impl Event {
    /// The schema version the event is written at: its type's current version, or 1 for an event
    /// whose personal text is plain (version 2 of those types holds sealed texts only).
    pub fn schema_version(&self) -> u32 {
        match self.personal_text() {
            Some((_, _, text)) => text.schema_version(),
            None => self.current_schema_version(),
        }
    }

    /// The personal text the event holds, with its person and field: the events of individuals whose
    /// texts are sealed per person (docs/RULES.md §15.12). `None` for every other event.
    pub fn personal_text(&self) -> Option<(&PersonId, TextField, &PersonalText)> {
        match self {
            Event::PersonRegistered(event) => Some((&event.person, TextField::PersonName, &event.name)),
            Event::WeeklyRecordFiled(event) => Some((&event.person, TextField::WeeklyRecordText, &event.text)),
            Event::WeeklyRecordCommented(event) => {
                Some((&event.person, TextField::WeeklyRecordComment, &event.comment))
            }
            Event::PersonReviewed(event) => Some((&event.person, TextField::ReviewComment, &event.comment)),
            Event::GradeRecorded(event) => {
                event.reason.as_ref().map(|reason| (&event.person, TextField::GradeReason, reason))
            }
            Event::PersonalIndicatorAssessed(event) => {
                Some((&event.person, TextField::PersonalAssessmentReason, &event.reason))
            }
            _ => None,
        }
    }

    /// As `personal_text`, to seal the text in place (the service does, before the event is sealed
    /// into the chain).
    pub fn personal_text_mut(&mut self) -> Option<(&PersonId, TextField, &mut PersonalText)> {
        match self {
            Event::PersonRegistered(event) => Some((&event.person, TextField::PersonName, &mut event.name)),
            Event::WeeklyRecordFiled(event) => Some((&event.person, TextField::WeeklyRecordText, &mut event.text)),
            Event::WeeklyRecordCommented(event) => {
                Some((&event.person, TextField::WeeklyRecordComment, &mut event.comment))
            }
            Event::PersonReviewed(event) => Some((&event.person, TextField::ReviewComment, &mut event.comment)),
            Event::GradeRecorded(event) => {
                event.reason.as_mut().map(|reason| (&event.person, TextField::GradeReason, reason))
            }
            Event::PersonalIndicatorAssessed(event) => {
                Some((&event.person, TextField::PersonalAssessmentReason, &mut event.reason))
            }
            _ => None,
        }
    }

    /// Data decoded at its type's current version must be what that version writes: a version 2
    /// event of individuals holds a sealed text, never a plain one (plain text is version 1).
    fn in_form_of_current(self) -> Result<Event, String> {
        match self.schema_version() == self.current_schema_version() {
            true => Ok(self),
            false => Err(format!(
                "version {} holds personal texts sealed ({{\"ciphertext\", \"nonce\"}}); a plain text is version {}",
                self.current_schema_version(),
                self.schema_version()
            )),
        }
    }

    /// The current schema version of `event_type`, if there is such a type.
    pub fn current_version(event_type: &str) -> Option<u32> {
        Event::CURRENT_VERSIONS.iter().find(|(name, _)| *name == event_type).map(|(_, version)| *version)
    }

    /// Decodes stored data of any version ever written, upcasting it to the current type.
    pub fn from_stored(event_type: &str, schema_version: u32, data: &Value) -> Result<Event, EventDecodeError> {
        let current = Event::current_version(event_type)
            .ok_or_else(|| EventDecodeError::UnknownEventType(event_type.to_owned()))?;
        let data = upcast_to_current(event_type, schema_version, current, data.clone())?;
        let event = Event::decode_current(event_type, data).map_err(|error| error.at_stored_version(schema_version))?;
        match schema_version == current {
            true => event.in_form_of_current().map_err(|message| EventDecodeError::InvalidData {
                event_type: event_type.to_owned(),
                schema_version,
                message,
            }),
            false => Ok(event),
        }
    }

    /// As `from_stored`, from the data's JSON text: data already at the current version is decoded
    /// directly (the common case, and the fast one when folding a whole ledger); older versions are
    /// parsed and upcast as `from_stored` does.
    pub fn from_stored_json(event_type: &str, schema_version: u32, data: &str) -> Result<Event, EventDecodeError> {
        let current = Event::current_version(event_type)
            .ok_or_else(|| EventDecodeError::UnknownEventType(event_type.to_owned()))?;
        if schema_version == current {
            return Event::decode_current_text(event_type, data);
        }
        let value: Value = serde_json::from_str(data).map_err(|error| EventDecodeError::InvalidData {
            event_type: event_type.to_owned(),
            schema_version,
            message: error.to_string(),
        })?;
        let value = upcast_to_current(event_type, schema_version, current, value)?;
        Event::decode_current(event_type, value).map_err(|error| error.at_stored_version(schema_version))
    }

    /// The id of the fact this event creates, which later commands refer to: a deduction, tier award,
    /// bonus, veto or appeal; `None` for events that create no such fact.
    pub fn created_id(&self) -> Option<uuid::Uuid> {
        match self {
            Event::DeductionRecorded(event) => Some(event.deduction_id.0),
            Event::TierAwarded(event) => Some(event.tier_award_id.0),
            Event::BonusAwarded(event) => Some(event.bonus_id.0),
            Event::VetoApplied(event) => Some(event.veto_id.0),
            Event::AppealFiled(event) => Some(event.appeal_id.0),
            Event::PersonalIndicatorAssessed(event) => Some(event.assessment_id.0),
            Event::ResultUseRecorded(event) => Some(event.result_use_id.0),
            _ => None,
        }
    }

    /// The stream the event is appended to (see `streams`).
    pub fn stream_id(&self) -> String {
        match self {
            Event::UnitRegistered(event) => unit_stream(&event.unit),
            Event::UnitRenamed(event) => unit_stream(&event.unit),
            Event::UnitRetired(event) => unit_stream(&event.unit),
            Event::PersonRegistered(event) => person_stream(&event.person),
            Event::PersonMoved(event) => person_stream(&event.person),
            Event::PersonRetired(event) => person_stream(&event.person),
            Event::PersonErased(event) => person_stream(&event.person),
            Event::SchemeOpened(event) => scheme_stream(&event.scheme),
            Event::IndicatorDefined(event) => scheme_stream(&event.scheme),
            Event::IndicatorRevised(event) => scheme_stream(&event.scheme),
            Event::IndicatorRetired(event) => scheme_stream(&event.scheme),
            Event::IndicatorTakenOver(event) => scheme_stream(&event.scheme),
            Event::IndicatorAssigned(event) => plan_stream(&event.scheme, &event.unit),
            Event::IndicatorMarkedNotApplicable(event) => plan_stream(&event.scheme, &event.unit),
            Event::PeriodOpened(event) => period_stream(&event.scheme, event.period),
            Event::ResultsPublished(event) => period_stream(&event.scheme, event.period),
            Event::PeriodFinalised(event) => period_stream(&event.scheme, event.period),
            Event::PeriodReopened(event) => period_stream(&event.scheme, event.period),
            Event::TierAwarded(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::DeductionRecorded(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::DeductionWithdrawn(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::BonusAwarded(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::VetoApplied(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::CauseAttributed(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::RectificationRecorded(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::AppealFiled(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::AppealDecided(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::AppealEscalated(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::AppealWithdrawn(event) => assessment_stream(&event.scheme, event.period, &event.unit),
            Event::AccessGranted(event) => access_stream(&event.token_hash),
            Event::AccessRevoked(event) => access_stream(&event.token_hash),
            Event::TimeZoneSet(_) | Event::SigningKeyRotated(_) => SETTINGS_STREAM.to_owned(),
            Event::PersonalIndicatorDefined(event) => personal_plan_stream(&event.unit, event.year),
            Event::PersonalIndicatorAssessed(event) => personal_plan_stream(&event.unit, event.year),
            Event::PersonalRulesSet(event) => personal_plan_stream(&event.unit, event.year),
            Event::WeeklyRecordFiled(event) => weekly_stream(&event.person),
            Event::WeeklyRecordCommented(event) => weekly_stream(&event.person),
            Event::PersonReviewed(event) => review_stream(&event.person),
            Event::GradeRecorded(event) => grades_stream(&event.unit, event.year),
            Event::ResultUseRecorded(event) => result_uses_stream(&event.committee),
        }
    }
}

fn data_of<T: Serialize>(event: &T) -> Value {
    // Every field is a string, number, bool, list or string-keyed map: serialising cannot fail.
    serde_json::to_value(event).expect("event data serialises to JSON")
}

fn decode_text<T: for<'de> Deserialize<'de>>(
    event_type: &str,
    schema_version: u32,
    text: &str,
) -> Result<T, EventDecodeError> {
    serde_json::from_str(text).map_err(|error| EventDecodeError::InvalidData {
        event_type: event_type.to_owned(),
        schema_version,
        message: error.to_string(),
    })
}

fn decode_data<T: for<'de> Deserialize<'de>>(
    event_type: &str,
    schema_version: u32,
    data: Value,
) -> Result<T, EventDecodeError> {
    serde_json::from_value(data).map_err(|error| EventDecodeError::InvalidData {
        event_type: event_type.to_owned(),
        schema_version,
        message: error.to_string(),
    })
}

impl EventDecodeError {
    /// Data upcast from `stored_version` that the current version refuses was invalid as stored: the
    /// error names the version the ledger holds, not the one it was carried to.
    fn at_stored_version(self, stored_version: u32) -> EventDecodeError {
        match self {
            EventDecodeError::InvalidData { event_type, message, .. } => {
                EventDecodeError::InvalidData { event_type, schema_version: stored_version, message }
            }
            other => other,
        }
    }
}

/// Stored data that this build cannot turn into an `Event`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    #[error("unknown schema version {schema_version} of event type {event_type:?}")]
    UnknownSchemaVersion { event_type: String, schema_version: u32 },
    #[error("event type {event_type:?} version {schema_version} has invalid data: {message}")]
    InvalidData { event_type: String, schema_version: u32, message: String },
}
