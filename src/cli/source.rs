//! Where reading commands get their answers: the ledger itself, or — while a server holds it — that
//! server, through its API with the local read token it left in the data directory. Both give the
//! same typed answers, so every reading command prints the same thing either way.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::{PeriodId, SchemeId, UnitCode};
use crate::projection::{AsOf, Bulletin, Counting, Horizontal, Ranking, RankingDiff, Vertical};
use crate::service::admin::{LedgerSettings, OpenError, ServerInfo};
use crate::service::queries::{AccessFilter, AccessList, Answer, RankingScope, Traces, Units, View};
use crate::service::read_models::ReadModels;
use crate::service::records::verify_record_copy;
use crate::service::records::SignedCheckpoint;
use crate::service::records::{
    parse_saved_head, ConsistencyProof, Head, InclusionProof, KeyInfo, ProofBundle, ProofError, ProofRefusal, Records,
    TailCheck, Verification, SAVED_HEAD_EXPECTED,
};
use crate::service::{Clock, SystemClock};

/// A ledger opened here, or a server that holds it.
pub enum Source {
    Local(Box<ReadModels>),
    Remote(Remote),
}

impl Source {
    /// Opens the ledger for reading; when a kpi-ledger server holds it, reads through that server.
    pub fn open(settings: &LedgerSettings, tail_check: TailCheck) -> Result<Source, String> {
        match settings.open_to_read(tail_check) {
            Ok(records) => Ok(Source::Local(Box::new(records.read_models().map_err(|e| e.to_string())?))),
            Err(OpenError::Locked { server: Some(server), .. }) => Ok(Source::Remote(Remote::new(server))),
            Err(error) => Err(error.to_string()),
        }
    }

    /// Opens only the ledger (no read models): for checks of the chain itself.
    pub fn open_ledger(settings: &LedgerSettings, tail_check: TailCheck) -> Result<LedgerSource, String> {
        match settings.open_to_read(tail_check) {
            Ok(records) => Ok(LedgerSource::Local(records)),
            Err(OpenError::Locked { server: Some(server), .. }) => Ok(LedgerSource::Remote(Remote::new(server))),
            Err(error) => Err(error.to_string()),
        }
    }

    pub fn ranking(&self, scope: &RankingScope, period: PeriodId, view: View) -> Result<Answer<Ranking>, String> {
        match self {
            Source::Local(read_models) => read_models.ranking(scope, period, view).map_err(|e| e.to_string()),
            Source::Remote(remote) => {
                let mut query = scope_query(scope);
                query.extend([("period", period.to_string())]);
                query.extend(view_query(view));
                remote.get("/v1/rankings", &query)
            }
        }
    }

    pub fn horizontal(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        period: PeriodId,
        view: View,
    ) -> Result<Answer<Horizontal>, String> {
        match self {
            Source::Local(read_models) => {
                read_models.horizontal_in(unit, scheme, period, view).map_err(|e| e.to_string())
            }
            Source::Remote(remote) => {
                let mut query = vec![("unit", unit.to_string()), ("period", period.to_string())];
                query.extend(scheme_query(scheme));
                query.extend(view_query(view));
                remote.get("/v1/comparisons/horizontal", &query)
            }
        }
    }

    pub fn vertical(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        first: PeriodId,
        last: PeriodId,
        view: View,
    ) -> Result<Answer<Vertical>, String> {
        match self {
            Source::Local(read_models) => {
                read_models.vertical_in(unit, scheme, first, last, view).map_err(|e| e.to_string())
            }
            Source::Remote(remote) => {
                let mut query = vec![("unit", unit.to_string()), ("from", first.to_string()), ("to", last.to_string())];
                query.extend(scheme_query(scheme));
                query.extend(view_query(view));
                remote.get("/v1/comparisons/vertical", &query)
            }
        }
    }

    pub fn trace(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        period: PeriodId,
        view: View,
    ) -> Result<Answer<Traces>, String> {
        match self {
            Source::Local(read_models) => read_models.trace_in(unit, scheme, period, view).map_err(|e| e.to_string()),
            Source::Remote(remote) => {
                let mut query = vec![("unit", unit.to_string()), ("period", period.to_string())];
                query.extend(scheme_query(scheme));
                query.extend(view_query(view));
                remote.get("/v1/traces", &query)
            }
        }
    }

    pub fn bulletin(&self, scope: &RankingScope, period: PeriodId, view: View) -> Result<Answer<Bulletin>, String> {
        match self {
            Source::Local(read_models) => read_models.bulletin(scope, period, view).map_err(|e| e.to_string()),
            Source::Remote(remote) => {
                let mut query = scope_query(scope);
                query.extend([("period", period.to_string())]);
                query.extend(view_query(view));
                remote.get("/v1/bulletin", &query)
            }
        }
    }

    pub fn ranking_diff(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        from: AsOf,
        to: AsOf,
        counting: Counting,
    ) -> Result<RankingDiff, String> {
        match self {
            Source::Local(read_models) => {
                read_models.ranking_diff(scope, period, from, to, counting).map_err(|e| e.to_string())
            }
            Source::Remote(remote) => {
                let mut query = scope_query(scope);
                query.extend([("period", period.to_string()), ("from", as_of_text(from)), ("to", as_of_text(to))]);
                query.extend(provisional_query(counting));
                remote.get("/v1/rankings/diff", &query)
            }
        }
    }

    /// Unit names by code, as of the latest event (names are for reading; codes are what is compared).
    pub fn unit_names(&self) -> BTreeMap<UnitCode, String> {
        let units: Result<Answer<Units>, String> = match self {
            Source::Local(read_models) => read_models.units(AsOf::Latest).map_err(|e| e.to_string()),
            Source::Remote(remote) => remote.get("/v1/units", &[]),
        };
        units
            .map(|answer| answer.value.units.into_iter().map(|unit| (unit.unit, unit.name)).collect())
            .unwrap_or_default()
    }
}

/// The chain itself, here or through a server.
pub enum LedgerSource {
    Local(Records),
    Remote(Remote),
}

impl LedgerSource {
    pub fn head(&self) -> Result<Head, String> {
        match self {
            LedgerSource::Local(records) => Ok(records.head()),
            LedgerSource::Remote(remote) => remote.get("/v1/head", &[]),
        }
    }

    /// Walks the whole chain (and checks it still holds `saved_head`, as `SEQ:HASH`).
    pub fn verify(&self, saved_head: Option<&str>, progress: &(dyn Fn(u64) + Sync)) -> Result<Verification, String> {
        match self {
            LedgerSource::Local(records) => {
                let saved = saved_head
                    .map(|text| {
                        parse_saved_head(text).ok_or_else(|| format!("--saved-head {text:?}: {SAVED_HEAD_EXPECTED}"))
                    })
                    .transpose()?;
                Ok(records.verify(saved, progress).into())
            }

            LedgerSource::Remote(remote) => {
                let query: Vec<(&str, String)> =
                    saved_head.map(|text| ("saved_head", text.to_owned())).into_iter().collect();
                remote.get("/v1/verification", &query)
            }
        }
    }

    /// Writes the export (JSON Lines) to `out`; returns the head it ends at.
    pub fn export(&self, out: &mut dyn Write, progress: &dyn Fn(u64)) -> Result<Option<Head>, String> {
        match self {
            LedgerSource::Local(records) => records.export(out, progress).map(Some),
            LedgerSource::Remote(remote) => {
                let mut reader = remote.stream("/v1/export")?;
                std::io::copy(&mut reader, out).map_err(|e| format!("reading the export from the server: {e}"))?;
                Ok(None)
            }
        }
    }

    /// The public key (64 hex digits) and the origin.
    pub fn key(&self) -> Result<(String, String), String> {
        let key: KeyInfo = match self {
            LedgerSource::Local(records) => records.key(),
            LedgerSource::Remote(remote) => remote.get("/v1/key", &[])?,
        };
        let public_key = key.public_key.ok_or("this ledger records no public key and its key file is missing")?;
        Ok((public_key, key.origin))
    }

    pub fn checkpoint(&self) -> Result<SignedCheckpoint, String> {
        match self {
            LedgerSource::Local(records) => records.checkpoint(SystemClock.now()).map_err(|e| e.to_string()),
            LedgerSource::Remote(remote) => remote.get("/v1/checkpoint", &[]),
        }
    }

    pub fn inclusion_proof(&self, seq: u64, size: Option<u64>) -> Result<InclusionProof, String> {
        match self {
            LedgerSource::Local(records) => records.inclusion_proof(seq, size).map_err(|e| refusal("--seq/--size", e)),
            LedgerSource::Remote(remote) => {
                let mut query = vec![("seq", seq.to_string())];
                query.extend(size.map(|size| ("size", size.to_string())));
                remote.get("/v1/proofs/inclusion", &query)
            }
        }
    }

    pub fn consistency_proof(&self, from: u64, to: Option<u64>) -> Result<ConsistencyProof, String> {
        match self {
            LedgerSource::Local(records) => records.consistency_proof(from, to).map_err(|e| refusal("--from/--to", e)),
            LedgerSource::Remote(remote) => {
                let mut query = vec![("from", from.to_string())];
                query.extend(to.map(|to| ("to", to.to_string())));
                remote.get("/v1/proofs/consistency", &query)
            }
        }
    }

    pub fn proof_bundle(&self, seqs: &[u64]) -> Result<ProofBundle, String> {
        match self {
            LedgerSource::Local(records) => {
                let checkpoint = records.checkpoint(SystemClock.now()).map_err(|e| e.to_string())?;
                records.proof_bundle(seqs, checkpoint).map_err(|e| refusal("--seq", e))
            }
            LedgerSource::Remote(remote) => {
                let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
                remote.get("/v1/proofs/bundle", &[("seq", list.join(","))])
            }
        }
    }
}

/// A refused proof request names the flags it came from; a failure is reported as it is.
fn refusal(flags: &str, refusal: ProofRefusal) -> String {
    match refusal.error {
        ProofError::Refused(reason) => format!("{flags}: {reason}"),
        error => error.to_string(),
    }
}

/// A full verification of the ledger at `settings`, here or through the server that holds it. A
/// ledger on read-only media (an auditor's copy) cannot be opened, so its record copy is verified on
/// its own; the second value says so.
pub fn verify(
    settings: &LedgerSettings,
    saved_head: Option<&str>,
    total: &dyn Fn(u64),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Verification, Option<&'static str>), String> {
    match settings.open_to_read(TailCheck::Skip) {
        Ok(records) => {
            total(records.head().seq);
            Ok((LedgerSource::Local(records).verify(saved_head, progress)?, None))
        }
        Err(OpenError::ReadOnly(data)) => {
            if saved_head.is_some() {
                return Err("--saved-head: a read-only copy can only be verified on its own; drop --saved-head".into());
            }
            let note = "read-only copy: verified its record copy (records.kpi) on its own";
            Ok((verify_record_copy(&data, progress), Some(note)))
        }
        Err(OpenError::Locked { server: Some(server), .. }) => {
            Ok((LedgerSource::Remote(Remote::new(server)).verify(saved_head, progress)?, None))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Every access grant ever made, revoked ones included, as `GET /v1/access?all=true` gives them.
pub fn access_grants(settings: &LedgerSettings) -> Result<AccessList, String> {
    match settings.open_to_read(TailCheck::Newest(crate::limits::OPEN_VERIFY_TAIL_EVENTS)) {
        Ok(records) => {
            let read_models = records.read_models().map_err(|e| e.to_string())?;
            read_models.access_list(AccessFilter::All, None).map_err(|e| e.to_string())
        }
        Err(OpenError::Locked { server: Some(server), .. }) => {
            Remote::new(server).get("/v1/access", &[("all", "true".to_owned())])
        }
        Err(error) => Err(error.to_string()),
    }
}

/// A running server, reached with the local read token it left beside the ledger.
pub struct Remote {
    server: ServerInfo,
    agent: ureq::Agent,
}

use crate::limits::REMOTE_TIMEOUT;

impl Remote {
    fn new(server: ServerInfo) -> Remote {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REMOTE_TIMEOUT))
            .build()
            .into();
        Remote { server, agent }
    }

    fn request(&self, path: &str, query: &[(&str, String)]) -> Result<ureq::http::Response<ureq::Body>, String> {
        let url = format!("http://{}{path}", self.server.addr);
        let mut request = self.agent.get(&url).header("authorization", &format!("Bearer {}", self.server.read_token));
        for (name, value) in query {
            request = request.query(*name, value);
        }
        let mut response = request.call().map_err(|e| {
            format!("the ledger is held by a server at http://{} that does not answer: {e}", self.server.addr)
        })?;
        if !response.status().is_success() {
            let body = response.body_mut().read_to_string().unwrap_or_default();
            let problem: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let detail = problem.get("detail").and_then(Value::as_str).unwrap_or(&body);
            return Err(detail.to_owned());
        }
        Ok(response)
    }

    pub(super) fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T, String> {
        let mut response = self.request(path, query)?;
        let text = response
            .body_mut()
            .with_config()
            .limit(crate::limits::REMOTE_ANSWER_BYTES_MAX)
            .read_to_string()
            .map_err(|e| format!("reading the server's answer: {e}"))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("the server's answer to {path} is not what this version reads: {e}"))
    }

    fn stream(&self, path: &str) -> Result<impl Read, String> {
        Ok(self.request(path, &[])?.into_body().into_reader())
    }
}

fn scope_query(scope: &RankingScope) -> Vec<(&'static str, String)> {
    match scope {
        RankingScope::OfUnit(unit) => vec![("unit", unit.to_string())],
        RankingScope::Group { scheme, function_code } => {
            let mut query = vec![("scheme", scheme.to_string())];
            query.extend(function_code.as_ref().map(|code| ("function_code", code.to_string())));
            query
        }
    }
}

/// The scheme a unit is read in (`scheme=`), when one is named.
fn scheme_query(scheme: Option<&SchemeId>) -> Option<(&'static str, String)> {
    scheme.map(|scheme| ("scheme", scheme.to_string()))
}

/// A view as the API's `as_of` and `provisional` read it.
pub(super) fn view_query(view: View) -> Vec<(&'static str, String)> {
    let mut query = vec![("as_of", as_of_text(view.as_of))];
    query.extend(provisional_query(view.counting));
    query
}

/// `provisional=true` when open months are to count; nothing otherwise (the API's default).
fn provisional_query(counting: Counting) -> Option<(&'static str, String)> {
    counting.includes_open().then(|| ("provisional", "true".to_owned()))
}

/// An as-of point as the API's `as_of` reads it.
fn as_of_text(as_of: AsOf) -> String {
    match as_of {
        AsOf::Latest => "latest".into(),
        AsOf::Seq(seq) => seq.to_string(),
        AsOf::Instant(instant) => instant.to_string(),
        AsOf::EndOfDay { year, month, day } => format!("{year:04}-{month:02}-{day:02}"),
    }
}
