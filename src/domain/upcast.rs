//! Upcasters: turn stored data of an old schema version into the next version, one step at a time,
//! until it is current. Schemes change every year; the ledger never rewrites what it stored.
//!
//! Invariant: a step is a pure function from one frozen version's type to the next version's frozen
//! type, and both types live here, never to be edited once published. So a step gives the same JSON
//! for the same input in every later build, whatever the current type becomes: the current type in
//! `event` decodes only what the last step writes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::Role;
use super::event::EventDecodeError;
use super::ids::{DeductionId, EventId, EvidenceDigest, IndicatorCode, ProblemCategory, SchemeId, TokenHash, UnitCode};
use super::period::PeriodId;
use super::points::Points;

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
    // Frozen types hold strings, numbers, lists and options only: serialising cannot fail.
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
