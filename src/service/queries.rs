//! The questions users ask, answered from the read models as of any point: one function per read
//! endpoint / CLI command, typed in and serialisable out. HTTP and the CLI only parse and print.
//!
//! Invariant: every answer says which sequence number it stands at (`Answer::as_of_seq`), so a reader
//! can always tie a figure to the chain (and to a checkpoint and proof).

use serde::{Deserialize, Serialize};

use crate::domain::{AccessRecord, FunctionCode, PeriodId, Role, SchemeId, Timestamp, UnitCode};
use crate::projection::{
    replay, AppealQueue, AsOf, Horizontal, IndicatorLoad, Notices, PeerGroup, Projection, Ranking, RankingDiff,
    ScoreCard, Trace, Vertical,
};
use crate::service::read_models::ReadModels;
use crate::service::records::{ProofBundle, Records};
use crate::service::ServiceError;
use crate::store::Ledger;

/// An answer, the sequence number of the last event it reflects, and the instant the question named
/// (for an as-of time or date; a date is the end of that day in the ledger's time zone).
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer<T> {
    pub as_of_seq: u64,
    pub as_of_instant: Option<Timestamp>,
    #[serde(flatten)]
    pub value: T,
}

/// The traces of a period's base periods.
#[derive(Debug, Serialize, Deserialize)]
pub struct Traces {
    pub traces: Vec<Trace>,
}

/// Every unit registered by the as-of point.
#[derive(Debug, Serialize, Deserialize)]
pub struct Units {
    pub units: Vec<UnitListing>,
}

/// Who held which role for which unit: at an instant (`at`), or every grant ever made (`at` absent).
/// Token hashes only; the tokens themselves are never recorded.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessList {
    pub at: Option<Timestamp>,
    pub grants: Vec<AccessRecord>,
}

/// Which grants an access list holds.
#[derive(Clone, Copy, Debug)]
pub enum AccessFilter {
    /// Those in force at the instant.
    InForceAt(Timestamp),
    /// Every grant ever made, revoked ones included.
    All,
}

/// One unit as the organisation registered it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnitListing {
    pub unit: UnitCode,
    pub name: String,
    pub level: crate::domain::UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
    pub retired: bool,
}

/// Indicators per section per scheme year.
#[derive(Debug, Serialize, Deserialize)]
pub struct IndicatorLoads {
    pub indicator_load: Vec<IndicatorLoad>,
}

/// Why a question has no answer: the thing asked about does not exist at that point, or the question
/// itself is malformed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: {message}")]
    NotFound { field: &'static str, message: String },
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn not_found(field: &'static str, message: String) -> QueryError {
    QueryError::NotFound { field, message }
}

/// Whom a ranking is about: a unit's own peer group, or a group named outright.
#[derive(Clone, Debug)]
pub enum RankingScope {
    OfUnit(UnitCode),
    Group { scheme: SchemeId, function_code: Option<FunctionCode> },
}

/// Parses `latest`, a sequence number, an RFC 3339 instant, or a date `YYYY-MM-DD` (the end of that
/// day in the ledger's time zone).
pub fn parse_as_of(text: &str) -> Result<AsOf, String> {
    let text = text.trim();
    if text.is_empty() || text == "latest" {
        return Ok(AsOf::Latest);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().map(AsOf::Seq).map_err(|_| format!("{text:?} is not a sequence number"));
    }
    if let Some((year, month, day)) = crate::domain::timestamp::parse_date(text) {
        return Ok(AsOf::EndOfDay { year, month, day });
    }
    Timestamp::parse_rfc3339(text).map(AsOf::Instant).map_err(|_| {
        format!("expected latest, a sequence number, a date (2017-07-12) or an RFC 3339 instant, got {text:?}")
    })
}

/// The periods a vertical comparison runs over: from `first` to `last`, both included, both of one
/// kind (months, quarters, halves or years), `first` not after `last`.
pub fn period_range(first: PeriodId, last: PeriodId) -> Result<Vec<PeriodId>, QueryError> {
    if first.kind() != last.kind() {
        return Err(QueryError::Invalid {
            field: "to",
            message: format!("from {first} and to {last} are periods of different kinds; compare months with months, quarters with quarters"),
        });
    }
    if first > last {
        return Err(QueryError::Invalid { field: "to", message: format!("to {last} is before from {first}") });
    }
    let mut periods = vec![first];
    while let Some(next) = periods.last().and_then(|period| period.next()).filter(|next| *next <= last) {
        if periods.len() >= crate::limits::COMPARISON_PERIODS_MAX {
            return Err(QueryError::Invalid {
                field: "to",
                message: format!(
                    "more than {} periods; compare a shorter range",
                    crate::limits::COMPARISON_PERIODS_MAX
                ),
            });
        }
        periods.push(next);
    }
    Ok(periods)
}

fn group_for(projection: &Projection, scope: &RankingScope, period: PeriodId) -> Result<PeerGroup, QueryError> {
    match scope {
        RankingScope::Group { scheme, function_code } => {
            if !projection.facts().schemes.contains_key(scheme) {
                return Err(not_found(
                    "scheme",
                    format!("no scheme {scheme} is open (as of event {})", projection.seq()),
                ));
            }
            Ok(PeerGroup { scheme: scheme.clone(), function_code: function_code.clone() })
        }
        RankingScope::OfUnit(unit) => known_unit(projection, unit).and_then(|()| {
            projection
                .peer_group_of(unit, period.year())
                .ok_or_else(|| not_found("unit", format!("{unit} is not ranked in any scheme of {}", period.year())))
        }),
    }
}

/// A unit the question names must be registered by the as-of point.
fn known_unit(projection: &Projection, unit: &UnitCode) -> Result<(), QueryError> {
    match projection.facts().units.contains_key(unit) {
        true => Ok(()),
        false => Err(not_found("unit", format!("no unit {unit} is registered (as of event {})", projection.seq()))),
    }
}

impl ReadModels {
    fn answer<T>(
        &self,
        as_of: AsOf,
        read: impl FnOnce(&Projection) -> Result<T, QueryError>,
    ) -> Result<Answer<T>, QueryError> {
        let (resolved, value) = self.with_projection(as_of, read)?;
        Ok(Answer { as_of_seq: resolved.seq, as_of_instant: resolved.instant, value: value? })
    }

    /// The access grants `filter` selects, of `role` only when given, as the durable ledger holds them.
    pub fn access_list(&self, filter: AccessFilter, role: Option<Role>) -> Result<AccessList, QueryError> {
        let (_, grants) = self.with_projection(AsOf::Latest, |projection| {
            projection
                .facts()
                .access_grants
                .values()
                .filter(|grant| match filter {
                    AccessFilter::InForceAt(at) => grant.is_active_at(at),
                    AccessFilter::All => true,
                })
                .filter(|grant| role.is_none_or(|role| grant.role == role))
                .cloned()
                .collect::<Vec<_>>()
        })?;
        let at = match filter {
            AccessFilter::InForceAt(at) => Some(at),
            AccessFilter::All => None,
        };
        Ok(AccessList { at, grants })
    }

    pub fn units(&self, as_of: AsOf) -> Result<Answer<Units>, QueryError> {
        self.answer(as_of, |projection| {
            let units = projection
                .facts()
                .units
                .iter()
                .map(|(code, unit)| UnitListing {
                    unit: code.clone(),
                    name: unit.name.clone(),
                    level: unit.level,
                    parent: unit.parent.clone(),
                    function_code: unit.function_code.clone(),
                    retired: unit.retired,
                })
                .collect();
            Ok(Units { units })
        })
    }

    pub fn scoreboard(&self, unit: &UnitCode, period: PeriodId, as_of: AsOf) -> Result<Answer<ScoreCard>, QueryError> {
        self.answer(as_of, |projection| {
            known_unit(projection, unit)?;
            projection
                .scorecard(unit, period)
                .ok_or_else(|| not_found("unit", format!("no scores for {unit} in {period}")))
        })
    }

    pub fn ranking(&self, scope: &RankingScope, period: PeriodId, as_of: AsOf) -> Result<Answer<Ranking>, QueryError> {
        self.answer(as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            projection.ranking(&group, period).ok_or_else(|| not_found("period", format!("no ranking for {period}")))
        })
    }

    pub fn horizontal(&self, unit: &UnitCode, period: PeriodId, as_of: AsOf) -> Result<Answer<Horizontal>, QueryError> {
        self.answer(as_of, |projection| {
            known_unit(projection, unit)?;
            projection
                .horizontal(unit, period)
                .ok_or_else(|| not_found("unit", format!("{unit} is not ranked in {period}")))
        })
    }

    pub fn vertical(
        &self,
        unit: &UnitCode,
        first: PeriodId,
        last: PeriodId,
        as_of: AsOf,
    ) -> Result<Answer<Vertical>, QueryError> {
        let periods = period_range(first, last)?;
        self.answer(as_of, |projection| {
            known_unit(projection, unit)?;
            Ok(projection.vertical_over(unit, &periods))
        })
    }

    /// The traces of every base period in `period` (one for a base period itself).
    pub fn trace(&self, unit: &UnitCode, period: PeriodId, as_of: AsOf) -> Result<Answer<Traces>, QueryError> {
        self.answer(as_of, |projection| {
            known_unit(projection, unit)?;
            let traces = projection.traces(unit, period);
            if traces.is_empty() {
                return Err(not_found("unit", format!("no trace for {unit} in {period}")));
            }
            Ok(Traces { traces })
        })
    }

    pub fn indicator_load(&self, unit: Option<&UnitCode>, as_of: AsOf) -> Result<Answer<IndicatorLoads>, QueryError> {
        self.answer(as_of, |projection| {
            unit.map(|unit| known_unit(projection, unit)).transpose()?;
            Ok(IndicatorLoads {
                indicator_load: match unit {
                    None => projection.indicator_load(),
                    Some(unit) if projection.facts().is_section(unit) => projection.indicator_load_of(unit),
                    Some(unit) => projection.indicator_load_of_county(unit),
                },
            })
        })
    }

    /// Open appeals and their deadlines, judged at the as-of point (`now` for the latest).
    pub fn appeal_queue(&self, as_of: AsOf, now: Timestamp) -> Result<Answer<AppealQueue>, QueryError> {
        self.answer(as_of, |projection| {
            let at = match as_of {
                AsOf::Latest => now,
                AsOf::Instant(_) | AsOf::EndOfDay { .. } => {
                    as_of.instant(projection.facts().time_zone()).unwrap_or_else(|| projection.recorded_at())
                }
                AsOf::Seq(_) => projection.recorded_at(),
            };
            Ok(projection.appeal_queue(at))
        })
    }

    pub fn notices(&self, scope: &RankingScope, period: PeriodId, as_of: AsOf) -> Result<Answer<Notices>, QueryError> {
        self.answer(as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            projection.notices(&group, period).ok_or_else(|| not_found("period", format!("no ranking for {period}")))
        })
    }

    /// Who changed rank or tier between two points, and the events in between that moved them.
    pub fn ranking_diff(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        from: AsOf,
        to: AsOf,
    ) -> Result<RankingDiff, QueryError> {
        let (first, second) = (self.seq_of(from)?, self.seq_of(to)?);
        let (earlier, later) = (first.min(second), first.max(second));
        if later - earlier > crate::limits::DIFF_EVENTS_MAX {
            return Err(QueryError::Invalid {
                field: "from",
                message: format!(
                    "{} events lie between the two points; a diff explains at most {}",
                    later - earlier,
                    crate::limits::DIFF_EVENTS_MAX
                ),
            });
        }
        let between = read_recorded(self.ledger(), earlier + 1, later)?;
        let (_, diff) = self.with_projection(AsOf::Seq(earlier), |before| {
            let group = group_for(before, scope, period)?;
            replay::ranking_diff(before, &between, &group, period)
                .map_err(|e| QueryError::Service(ServiceError::Failure(e.to_string())))
        })?;
        diff
    }
}

/// Events `from..=to`, decoded.
fn read_recorded(ledger: &Ledger, from: u64, to: u64) -> Result<Vec<crate::domain::Recorded>, QueryError> {
    let mut events = Vec::new();
    let decode = |seq: u64, record: crate::chain::Record<'_>| {
        crate::chain::decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()))
    };
    ledger.for_each_decoded(from, to, decode, |recorded| {
        events.push(recorded);
        Ok(())
    })?;
    Ok(events)
}

/// Every event the traces cite, with its inclusion proof against `checkpoint`: what an auditor needs
/// to check the lost points without the rest of the ledger.
pub fn trace_proofs(
    records: &Records,
    traces: &[Trace],
    checkpoint: crate::chain::checkpoint::SignedCheckpoint,
) -> Result<ProofBundle, ServiceError> {
    let mut seqs: Vec<u64> = traces.iter().flat_map(Trace::cited_seqs).collect();
    seqs.sort_unstable();
    seqs.dedup();
    records.proof_bundle(&seqs, checkpoint).map_err(|e| ServiceError::Failure(e.to_string()))
}
