//! The questions users ask, answered from the read models as of any point: one function per read
//! endpoint / CLI command, typed in and serialisable out. HTTP and the CLI only parse and print.
//!
//! Invariant: every answer says which sequence number it stands at (`Answer::as_of_seq`), so a reader
//! can always tie a figure to the chain (and to a checkpoint and proof).

use serde::Serialize;

use crate::domain::{FunctionCode, PeriodId, SchemeId, Timestamp, UnitCode};
use crate::projection::{
    from_store, replay, AppealQueue, AsOf, Horizontal, IndicatorLoad, Notices, PeerGroup, Projection, Ranking,
    RankingDiff, ScoreCard, Trace, Vertical,
};
use crate::service::read_models::ReadModels;
use crate::service::ServiceError;
use crate::store::{Ledger, ProofBundle};

/// An answer and the sequence number of the last event it reflects.
#[derive(Debug, Serialize)]
pub struct Answer<T> {
    pub as_of_seq: u64,
    #[serde(flatten)]
    pub value: T,
}

/// The traces of a period's base periods.
#[derive(Debug, Serialize)]
pub struct Traces {
    pub traces: Vec<Trace>,
}

/// Indicators per section per scheme year.
#[derive(Debug, Serialize)]
pub struct IndicatorLoads {
    pub indicator_load: Vec<IndicatorLoad>,
}

/// Why a question has no answer: the thing asked about does not exist at that point.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: {message}")]
    NotFound { field: &'static str, message: String },
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

/// Parses `latest`, a sequence number, or an RFC 3339 instant.
pub fn parse_as_of(text: &str) -> Result<AsOf, String> {
    let text = text.trim();
    if text.is_empty() || text == "latest" {
        return Ok(AsOf::Latest);
    }
    if let Ok(seq) = text.parse::<u64>() {
        return Ok(AsOf::Seq(seq));
    }
    Timestamp::parse_rfc3339(text)
        .map(AsOf::Instant)
        .map_err(|_| format!("expected a sequence number or an RFC 3339 instant, got {text:?}"))
}

fn group_for(projection: &Projection, scope: &RankingScope, period: PeriodId) -> Result<PeerGroup, QueryError> {
    match scope {
        RankingScope::Group { scheme, function_code } => {
            Ok(PeerGroup { scheme: scheme.clone(), function_code: function_code.clone() })
        }
        RankingScope::OfUnit(unit) => projection
            .peer_group_of(unit, period.year())
            .ok_or_else(|| not_found("unit", format!("{unit} is not ranked in any scheme of {}", period.year()))),
    }
}

impl ReadModels {
    fn answer<T>(
        &self,
        as_of: AsOf,
        read: impl FnOnce(&Projection) -> Result<T, QueryError>,
    ) -> Result<Answer<T>, QueryError> {
        let (as_of_seq, value) = self.with_projection(as_of, read)?;
        Ok(Answer { as_of_seq, value: value? })
    }

    pub fn scoreboard(&self, unit: &UnitCode, period: PeriodId, as_of: AsOf) -> Result<Answer<ScoreCard>, QueryError> {
        self.answer(as_of, |projection| {
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
        self.answer(as_of, |projection| Ok(projection.vertical_base_periods(unit, first, last)))
    }

    /// The traces of every base period in `period` (one for a base period itself).
    pub fn trace(&self, unit: &UnitCode, period: PeriodId, as_of: AsOf) -> Result<Answer<Traces>, QueryError> {
        self.answer(as_of, |projection| {
            let traces = projection.traces(unit, period);
            if traces.is_empty() {
                return Err(not_found("unit", format!("no trace for {unit} in {period}")));
            }
            Ok(Traces { traces })
        })
    }

    pub fn indicator_load(&self, unit: Option<&UnitCode>, as_of: AsOf) -> Result<Answer<IndicatorLoads>, QueryError> {
        self.answer(as_of, |projection| {
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
                AsOf::Instant(instant) => instant,
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
        ledger: &Ledger,
        scope: &RankingScope,
        period: PeriodId,
        from: AsOf,
        to: AsOf,
    ) -> Result<RankingDiff, QueryError> {
        let (first, second) = (self.seq_of(from)?, self.seq_of(to)?);
        let (earlier, later) = (first.min(second), first.max(second));
        let between = read_recorded(ledger, earlier + 1, later)?;
        let (_, diff) = self.with_projection(AsOf::Seq(earlier), |before| {
            let group = group_for(before, scope, period)?;
            replay::ranking_diff(before, &between, &group, period)
                .map_err(|e| QueryError::Service(ServiceError::Failure(e.to_string())))
        })?;
        diff
    }
}

/// Events `from..=to` as projection input.
fn read_recorded(ledger: &Ledger, from: u64, to: u64) -> Result<Vec<crate::projection::Recorded>, QueryError> {
    let mut events = Vec::new();
    let mut next = from;
    while next <= to {
        let page = ledger
            .read_range(next, ((to - next + 1) as usize).min(crate::limits::READ_PAGE_EVENTS_MAX))
            .map_err(ServiceError::from)?;
        let Some(last) = page.last() else { break };
        next = last.seq + 1;
        for recorded in &page {
            events
                .push(from_store(recorded).map_err(|e| ServiceError::Failure(format!("event {}: {e}", recorded.seq)))?);
        }
    }
    Ok(events)
}

/// Every event a trace cites, with its inclusion proof against a fresh signed checkpoint: what an
/// auditor needs to check the lost points without the rest of the ledger.
pub fn trace_proofs(ledger: &Ledger, traces: &[Trace], now: Timestamp) -> Result<ProofBundle, ServiceError> {
    let mut seqs = Vec::new();
    collect_cited_seqs(&serde_json::to_value(traces).expect("traces serialise"), &mut seqs);
    seqs.sort_unstable();
    seqs.dedup();
    let checkpoint = ledger.checkpoint(now).map_err(|e| ServiceError::Failure(e.to_string()))?;
    ledger.proof_bundle(&seqs, checkpoint).map_err(|e| ServiceError::Failure(e.to_string()))
}

/// Event citations in a trace are objects with both a `seq` and a `hash`.
fn collect_cited_seqs(value: &serde_json::Value, seqs: &mut Vec<u64>) {
    match value {
        serde_json::Value::Object(object) => {
            if let (Some(seq), Some(_)) = (object.get("seq").and_then(|s| s.as_u64()), object.get("hash")) {
                seqs.push(seq);
            }
            object.values().for_each(|child| collect_cited_seqs(child, seqs));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_cited_seqs(item, seqs)),
        _ => {}
    }
}
