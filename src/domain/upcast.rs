//! Upcasters: turn stored data of an old schema version into the next version, step by step, until it
//! is current. Schemes change every year; the ledger never rewrites what it stored.
//!
//! Invariant: an upcaster is a pure function of the old data alone, and the old version's type is kept
//! here, frozen, so that stored data of every published version keeps decoding.

use serde::Deserialize;
use serde_json::Value;

use super::event::{decode_data, DeductionRecorded, EventDecodeError};
use super::ids::{DeductionId, EvidenceDigest, IndicatorCode, ProblemCategory, SchemeId, UnitCode};
use super::period::PeriodId;
use super::points::Points;

/// Applies one-version steps from `schema_version` up to `current`.
pub(crate) fn upcast_to_current(
    event_type: &str,
    schema_version: u32,
    current: u32,
    data: Value,
) -> Result<Value, EventDecodeError> {
    let unknown = || EventDecodeError::UnknownSchemaVersion { event_type: event_type.to_owned(), schema_version };
    if schema_version == 0 || schema_version > current {
        return Err(unknown());
    }
    let mut version = schema_version;
    let mut data = data;
    while version < current {
        data = upcast_one_step(event_type, version, data)?;
        version += 1;
    }
    Ok(data)
}

fn upcast_one_step(event_type: &str, from_version: u32, data: Value) -> Result<Value, EventDecodeError> {
    match (event_type, from_version) {
        ("DeductionRecorded", 1) => deduction_recorded_v1_to_v2(data),
        _ => Err(EventDecodeError::UnknownSchemaVersion {
            event_type: event_type.to_owned(),
            schema_version: from_version,
        }),
    }
}

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

/// v1 → v2: the single optional digest becomes a list of zero or one; links default to none, since a
/// v1 deduction could not link to anything.
fn deduction_recorded_v1_to_v2(data: Value) -> Result<Value, EventDecodeError> {
    let old: DeductionRecordedV1 = decode_data("DeductionRecorded", 1, data)?;
    let new = DeductionRecorded {
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
    };
    Ok(serde_json::to_value(new).expect("event data serialises to JSON"))
}
