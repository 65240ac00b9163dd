//! The trace explorer (失分追溯, `GET /trace?unit=…&scheme=…&period=…&as_of=…&provisional=true`): every
//! point a unit lost in a period, down to its events — each deduction with its withdrawal, cause
//! attributions (and the appeals against them), rectifications, appeals with their decisions and
//! escalations, each tier shortfall with its award, the charges moved onto a section, the floor —,
//! every event with its sequence number, hash, evidence digests (a download link where the reader may
//! have the document) and its Merkle inclusion proof, checked here against the signed checkpoint the
//! proofs were made for; the lines' sum beside the figure the ranking counts. For a reader whose role
//! files appeals, each deduction, tier shortfall and standing cause attribution links to the appeals
//! page's filing form with it preselected. `GET /downloads/bundle?…` gives the proof bundle for
//! `tools/verifier`, `GET /downloads/document/{digest}` an evidence document.
//!
//! Invariant: it reads only what the API answers for the same question — `/v1/traces?…&proofs=true`
//! through the API's own `http::queries::traces_with_proofs` (so the bundle downloaded is, byte for
//! byte, that answer's `proofs`), `/v1/comparisons/horizontal` for the ranking's figure, and
//! `/v1/documents/{digest}`'s `Documents::fetch` — after the same `may_read` (the unit's own facts): a
//! unit the reader may not read is refused (403) before anything is read. A proof is never taken on
//! the server's word: the checkpoint's signature is checked against the public key the ledger
//! records, each event's hash is recomputed from its bytes and its audit path folded up to the signed
//! root (`check_bundle`), and the page says which check failed.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use crate::chain::merkle::{verify_inclusion, Blake3, MerkleHash};
use crate::chain::{link_hash, Hash, GENESIS_HASH};
use crate::domain::appeal::{AppealStage, AppealVerdict};
use crate::domain::{EventRef, EvidenceDigest, PeriodId, Points, UnitCode};
use crate::projection::trace::{AppealLine, DeductionLine, IndicatorTrace};
use crate::projection::{AsOf, Trace, TraceLine};
use crate::service::documents::{DocumentError, Documents};
use crate::service::queries::{QueryError, Reader};
use crate::service::records::{BundledEvent, ProofBundle};
use crate::site::pages::{self, figures, Figure, Place, Scripts, UnitPickers, Visitor};
use crate::site::request::{
    blocking_page, download_reader, malformed, refusal_page, standing_text, Refusal, UnitPick, UnitQuery, UnitQuestion,
};
use crate::site::text::Text;
use crate::site::{failure, SiteState};

// ---- Checking the proofs -----------------------------------------------------------------------

/// What checking a proof bundle found: the checkpoint's signature against the ledger's public key,
/// and each bundled event, by sequence number — its hash when its bytes, links and inclusion proof
/// check out, or what failed.
#[derive(Clone, Debug)]
pub struct BundleCheck {
    pub checkpoint: Result<(), String>,
    pub events: BTreeMap<u64, Result<Hash, String>>,
}

impl BundleCheck {
    /// The outcome for event `seq`, which a trace cites with the hash `cited`: verified only when the
    /// checkpoint is, the event is in the bundle and verified, and it is the event the trace cites.
    pub fn event(&self, t: &Text, seq: u64, cited: &Hash) -> Result<(), String> {
        self.checkpoint.clone()?;
        match self.events.get(&seq) {
            None => Err(t.proof_missing.to_owned()),
            Some(Err(failure)) => Err(failure.clone()),
            Some(Ok(hash)) if hash != cited => Err(t.proof_cited_hash.to_owned()),
            Some(Ok(_)) => Ok(()),
        }
    }
}

/// Checks `bundle` as docs/FORMAT.md §6 says an auditor does: the checkpoint's signature against
/// `public_key` (the key the ledger records; `None`: it records none), then every event — within the
/// signed tree, its hash recomputed from `prev_hash`, `seq` and the bytes of `body_text`, the genesis
/// link, the link to a bundled predecessor, the signed head, and its audit path folded to the signed
/// root.
pub fn check_bundle(t: &Text, bundle: &ProofBundle, public_key: Option<&str>) -> BundleCheck {
    let signed = &bundle.checkpoint;
    let checkpoint = match public_key {
        None => Err(t.proof_no_key.to_owned()),
        Some(key) => crate::chain::checkpoint::parse_public_key(key)
            .and_then(|key| signed.verify(&key))
            .map_err(|error| format!("{}{}", t.proof_bad_checkpoint, t.marks.paren(error))),
    };
    let mut events = BTreeMap::new();
    let mut previous: Option<(u64, Hash)> = None;
    for event in &bundle.events {
        let outcome = check_event(t, event, signed, previous);
        previous = Some((event.seq, event.hash));
        events.insert(event.seq, outcome);
    }
    BundleCheck { checkpoint, events }
}

fn check_event(
    t: &Text,
    event: &BundledEvent,
    signed: &crate::service::records::SignedCheckpoint,
    previous: Option<(u64, Hash)>,
) -> Result<Hash, String> {
    let (tree_size, root) = (signed.checkpoint.tree_size, signed.checkpoint.root);
    if event.seq == 0 || event.seq > tree_size {
        return Err(t.proof_beyond_tree.to_owned());
    }
    if link_hash(&event.prev_hash, event.seq, event.body_text.as_bytes()) != event.hash {
        return Err(t.proof_hash_mismatch.to_owned());
    }
    let linked = previous.filter(|(seq, _)| seq + 1 == event.seq).is_none_or(|(_, hash)| hash == event.prev_hash);
    if (event.seq == 1 && event.prev_hash != GENESIS_HASH) || !linked {
        return Err(t.proof_genesis.to_owned());
    }
    if event.seq == tree_size && event.hash != signed.checkpoint.head_hash {
        return Err(t.proof_head_mismatch.to_owned());
    }
    let path: Vec<[u8; 32]> = event.inclusion_proof.iter().map(|hash| hash.0).collect();
    verify_inclusion::<Blake3>(&Blake3::leaf(&event.hash.0), event.seq - 1, tree_size, &path, &root.0)
        .map_err(|error| format!("{}{}", t.proof_root_mismatch, t.marks.paren(error)))?;
    Ok(event.hash)
}

// ---- What the page shows ---------------------------------------------------------------------

/// One evidence digest, with the download's path when the reader may have the document.
pub struct EvidenceView {
    pub digest: String,
    pub link: Option<String>,
}

/// One event behind a line: the step it is, the event itself and its proof.
pub struct EventRow {
    pub step: &'static str,
    pub seq: u64,
    pub event_type: String,
    pub event_name: Option<&'static str>,
    pub recorded_at: String,
    pub actor: String,
    pub hash: String,
    pub detail: String,
    pub evidence: Vec<EvidenceView>,
    /// `Ok` with the checkpoint it was verified against (tree size, root), or what failed.
    pub proof: Result<String, String>,
    /// Whether this is the event's first row on the page (its anchor).
    pub anchor: bool,
    /// The filing form with the event's cause attribution preselected, for a reader whose role files
    /// appeals, while the attribution stands (neither its deduction withdrawn nor it overturned or
    /// replaced).
    pub appeal_link: Option<String>,
}

/// One line of a trace: a deduction, a tier shortfall, a taken-over indicator, a charge, a floor.
pub struct LineView {
    pub indicator: String,
    pub kind: &'static str,
    /// The line's kind as the API names it (`deduction`, `tier_shortfall`, `charge`, …).
    pub kind_key: &'static str,
    pub amount: Points,
    /// Whether the amount counts in the sum (relieved deductions and a taken-over indicator's city
    /// lines are listed, not counted).
    pub counted: bool,
    pub reason: String,
    pub events: Vec<EventRow>,
    /// The filing form with the line's deduction (or tier award) preselected, for a reader whose role
    /// files appeals.
    pub appeal_link: Option<String>,
}

/// One indicator's lines.
pub struct IndicatorView {
    pub indicator: String,
    pub name: String,
    pub lost: String,
    pub lines: Vec<LineView>,
}

/// One base period's trace.
pub struct TraceView {
    pub period: String,
    pub scheme: String,
    pub figures: Vec<Figure>,
    pub indicators: Vec<IndicatorView>,
    /// Charges moved onto the section and the floor, counted beside the indicators.
    pub other: Vec<LineView>,
    pub relieved: Vec<LineView>,
}

/// Everything below the pickers, when the unit has a trace for the period.
pub struct TraceBody {
    pub heading: String,
    pub standing: String,
    pub provisional_periods: Vec<String>,
    pub reconcile: Vec<Figure>,
    pub reconciled: Option<bool>,
    pub checkpoint: Vec<Figure>,
    pub checkpoint_ok: Result<(), String>,
    pub verified: usize,
    pub events: usize,
    pub traces: Vec<TraceView>,
    pub bundle_query: String,
    pub commands: String,
}

/// The trace page: pickers, then the trace or why there is none.
pub struct TracePage {
    pub pickers: UnitPickers,
    pub body: Result<Box<TraceBody>, String>,
}

/// Builds the rows of one base period's trace, checking every cited event against the bundle.
struct Builder<'a> {
    t: &'a Text,
    site: &'a SiteState,
    reader: &'a Reader,
    check: &'a BundleCheck,
    zone: crate::domain::timestamp::UtcOffset,
    names: &'a BTreeMap<UnitCode, String>,
    tree: String,
    readable: BTreeMap<EvidenceDigest, bool>,
    anchored: BTreeSet<u64>,
    verified: BTreeSet<u64>,
    cited: BTreeSet<u64>,
}

impl Builder<'_> {
    fn named(&self, unit: &UnitCode) -> String {
        match self.names.get(unit).filter(|name| !name.is_empty()) {
            Some(name) => format!("{unit} {name}"),
            None => unit.to_string(),
        }
    }

    fn evidence(&mut self, digests: &[EvidenceDigest]) -> Vec<EvidenceView> {
        digests
            .iter()
            .map(|digest| {
                let readable = *self.readable.entry(digest.clone()).or_insert_with(|| {
                    let documents = Documents::of(&self.site.app.service);
                    documents.readable(&self.site.app.read_models, self.reader, digest).unwrap_or(false)
                });
                let link = readable.then(|| format!("/downloads/document/{}", digest.as_str()));
                EvidenceView { digest: digest.as_str().to_owned(), link }
            })
            .collect()
    }

    fn event(&mut self, step: &'static str, event: &EventRef, detail: String, evidence: &[EvidenceDigest]) -> EventRow {
        let t = self.t;
        let proof = self.check.event(self.t, event.seq, &event.hash).map(|()| self.tree.clone());
        self.cited.insert(event.seq);
        if proof.is_ok() {
            self.verified.insert(event.seq);
        }
        EventRow {
            step,
            seq: event.seq,
            event_type: event.event_type.clone(),
            event_name: t.event_type_name(&event.event_type),
            recorded_at: self.zone.local_minute(event.recorded_at),
            actor: format!("{}{}", event.actor_id, t.marks.paren(t.role(event.actor_role))),
            hash: event.hash.to_string(),
            detail,
            evidence: self.evidence(evidence),
            proof,
            anchor: self.anchored.insert(event.seq),
            appeal_link: None,
        }
    }

    fn appeal(&mut self, appeal: &AppealLine, rows: &mut Vec<EventRow>) {
        let t = self.t;
        let marks = &t.marks;
        let filed = format!(
            "{}{}{}{}",
            self.named(&appeal.appellant),
            marks.colon,
            appeal.grounds,
            marks.paren(appeal.points_contested)
        );
        let waiting = if appeal.awaiting_decision { marks.paren(t.awaiting_decision) } else { String::new() };
        rows.push(self.event(t.step_appeal, &appeal.filed, format!("{filed}{waiting}"), &appeal.evidence_digests));
        for decision in &appeal.decisions {
            let stage = match decision.stage {
                AppealStage::First => t.stage_first,
                AppealStage::Escalated => t.stage_escalated,
            };
            let verdict = match decision.verdict {
                AppealVerdict::Upheld => t.verdict_upheld,
                AppealVerdict::Partial => t.verdict_partial,
                AppealVerdict::Dismissed => t.verdict_dismissed,
            };
            let (restored, reasoning) = (decision.points_restored, &decision.reasoning);
            let detail = format!("{stage}·{verdict}{}{} {restored}{}{reasoning}", marks.comma, t.restored, marks.colon);
            rows.push(self.event(t.step_decision, &decision.event, detail, &decision.evidence_digests));
        }
        for escalation in &appeal.escalations {
            let grounds = escalation.grounds.clone();
            rows.push(self.event(t.step_escalation, &escalation.event, grounds, &escalation.evidence_digests));
        }
        if let Some(withdrawn) = &appeal.withdrawn {
            rows.push(self.event(t.step_appeal_withdrawn, withdrawn, String::new(), &[]));
        }
    }

    /// A deduction's events: recorded, withdrawn, attributed (and appealed, overturned), rectified,
    /// appealed.
    fn deduction(
        &mut self,
        line: &DeductionLine,
        kind: &'static str,
        kind_key: &'static str,
        counted: bool,
    ) -> LineView {
        let t = self.t;
        let mut rows = Vec::new();
        let marks = &t.marks;
        let filer = crate::site::appeals::may_file(self.reader);
        let recorded = format!("{} {}{}{} {}", t.points, line.points, marks.comma, t.restored, line.restored);
        rows.push(self.event(t.step_deduction, &line.event, recorded, &line.evidence_digests));
        if let Some(withdrawn) = &line.withdrawn {
            rows.push(self.event(t.step_withdrawn, withdrawn, String::new(), &[]));
        }
        for attribution in &line.attributions {
            let standing = if attribution.standing { marks.paren(t.standing_attribution) } else { String::new() };
            let cause = self.named(&attribution.cause_unit);
            let detail = format!("{cause}{}{}{standing}", marks.colon, attribution.description);
            let mut row = self.event(t.step_attribution, &attribution.event, detail, &attribution.evidence_digests);
            let appealable = filer && line.withdrawn.is_none() && attribution.standing;
            row.appeal_link = appealable
                .then(|| crate::site::appeals::attribution_link(&line.deduction_id, &attribution.event.event_id));
            rows.push(row);
            for appeal in &attribution.appeals {
                self.appeal(appeal, &mut rows);
            }
            if let Some(overturned) = &attribution.overturned_by {
                rows.push(self.event(t.step_overturned, overturned, String::new(), &[]));
            }
        }
        for rectification in &line.rectifications {
            let detail =
                format!("{}{}{}", self.named(&rectification.cause_unit), marks.colon, rectification.description);
            rows.push(self.event(t.step_rectification, &rectification.event, detail, &rectification.evidence_digests));
        }
        for appeal in &line.appeals {
            self.appeal(appeal, &mut rows);
        }
        let mut reason = format!("{}{}", line.reason, marks.paren(&line.problem_category));
        if let Some(section) = &line.charged_to {
            reason.push_str(&format!("{}{}{}{}", marks.semicolon, t.charged_to, marks.colon, self.named(section)));
        }
        LineView {
            indicator: line.indicator.to_string(),
            kind,
            kind_key,
            amount: line.amount,
            counted,
            reason,
            events: rows,
            appeal_link: (filer && line.withdrawn.is_none())
                .then(|| crate::site::appeals::file_link(&line.deduction_id)),
        }
    }

    /// A line of an indicator, and (for a taken-over indicator) the city's lines behind it, listed
    /// after it and not counted.
    fn line(&mut self, indicator: &IndicatorTrace, line: &TraceLine, counted: bool, lines: &mut Vec<LineView>) {
        let t = self.t;
        match line {
            TraceLine::Deduction(deduction) => {
                lines.push(self.deduction(deduction, t.kind_deduction, "deduction", counted));
            }
            TraceLine::TierShortfall(tier) => {
                let mut rows = Vec::new();
                let detail = format!("{}{}{}{}{}", t.tier_n.0, tier.tier, t.tier_n.1, t.marks.comma, tier.tier_points);
                rows.push(self.event(t.step_tier, &tier.event, detail, &[]));
                for appeal in &tier.appeals {
                    self.appeal(appeal, &mut rows);
                }
                lines.push(LineView {
                    indicator: indicator.indicator.to_string(),
                    kind: t.kind_tier_shortfall,
                    kind_key: "tier_shortfall",
                    amount: tier.amount,
                    counted,
                    reason: format!(
                        "{}{}",
                        tier.reason,
                        t.marks.paren(format!("{}{}{}", t.tier_n.0, tier.tier, t.tier_n.1))
                    ),
                    events: rows,
                    appeal_link: crate::site::appeals::may_file(self.reader)
                        .then(|| crate::site::appeals::tier_award_link(&tier.tier_award_id)),
                });
            }
            TraceLine::FloorAbsorbed { amount } => lines.push(LineView {
                indicator: indicator.indicator.to_string(),
                kind: t.kind_floor,
                kind_key: "floor_absorbed",
                amount: *amount,
                counted,
                reason: String::new(),
                events: Vec::new(),
                appeal_link: None,
            }),
            TraceLine::TakenOver(taken) => {
                lines.push(LineView {
                    indicator: indicator.indicator.to_string(),
                    kind: t.kind_taken_over,
                    kind_key: "taken_over",
                    amount: taken.amount,
                    counted,
                    reason: format!(
                        "{}{}{} / {}{}",
                        taken.city_scheme,
                        t.marks.colon,
                        taken.city_score,
                        taken.city_points_max,
                        t.marks.paren(t.city_lines)
                    ),
                    events: Vec::new(),
                    appeal_link: None,
                });
                for city_line in &taken.city_lines {
                    self.line(indicator, city_line, false, lines);
                }
            }
        }
    }

    fn trace(&mut self, trace: &Trace) -> (TraceView, Points) {
        let t = self.t;
        let mut indicators = Vec::new();
        let mut relieved = Vec::new();
        for indicator in &trace.indicators {
            let mut lines = Vec::new();
            for line in &indicator.lines {
                self.line(indicator, line, true, &mut lines);
            }
            for line in &indicator.relieved {
                relieved.push(self.deduction(line, t.kind_deduction, "relieved", false));
            }
            if !lines.is_empty() {
                indicators.push(IndicatorView {
                    indicator: indicator.indicator.to_string(),
                    name: indicator.name.clone(),
                    lost: indicator.lost().to_string(),
                    lines,
                });
            }
        }
        let mut other: Vec<LineView> =
            trace.charges.iter().map(|charge| self.deduction(charge, t.kind_charge, "charge", true)).collect();
        if trace.floor_absorbed != Points::ZERO {
            other.push(LineView {
                indicator: String::new(),
                kind: t.kind_floor,
                kind_key: "floor_absorbed",
                amount: trace.floor_absorbed,
                counted: true,
                reason: t.floor_note.trim_end_matches([':', '：', ' ']).to_owned(),
                events: Vec::new(),
                appeal_link: None,
            });
        }
        // The page's own sum of the lines it shows as counted.
        let listed: Points = indicators
            .iter()
            .flat_map(|indicator| indicator.lines.iter())
            .chain(other.iter())
            .filter(|line| line.counted)
            .map(|line| line.amount)
            .sum();
        let figure = |key, label, value: String| Figure { key, label, value, note: None };
        let view = TraceView {
            period: trace.period.to_string(),
            scheme: trace.scheme.to_string(),
            figures: vec![
                figure("points_max_total", t.points_max_total, trace.points_max_total.to_string()),
                figure("raw", t.raw_score, trace.raw.to_string()),
                figure("trace_lost", t.trace_period_lost, trace.lost().to_string()),
                figure("trace_listed", t.listed_total, listed.to_string()),
            ],
            indicators,
            other,
            relieved,
        };
        (view, listed)
    }
}

/// The instructions' commands, the ledger's public key written in.
fn commands(public_key: &str) -> String {
    format!(
        "cargo build --release -p kpi-verify\n\
         KEY={public_key}\n\
         target/release/kpi-verify bundle bundle.json --key $KEY"
    )
}

/// The unit, scheme and period a question is about (with the page's pickers), or why there is no
/// trace to show.
struct Resolved {
    unit: UnitCode,
    period: Option<PeriodId>,
    page: TracePage,
}

fn resolve(
    site: &SiteState,
    reader: &Reader,
    asked: &UnitQuestion,
    t: &Text,
) -> Result<(StatusCode, Resolved), Refusal> {
    let pick = UnitPick::resolve(site, reader, asked, t)?;
    let unit = pick.unit;
    let mut page = TracePage { pickers: pick.pickers, body: Err(String::new()) };
    match pick.chosen {
        Ok((period, _)) => Ok((StatusCode::OK, Resolved { unit, period: Some(period), page })),
        Err((status, words)) => {
            page.body = Err(words.to_owned());
            Ok((status, Resolved { unit, period: None, page }))
        }
    }
}

/// Resolves the question, reads the trace with its proofs and checks them; the page and its status.
fn trace_page(
    site: &SiteState,
    reader: &Reader,
    query: &UnitQuery,
    t: &Text,
) -> Result<(StatusCode, TracePage), Refusal> {
    let asked = UnitQuestion::parse(query)?;
    let (status, Resolved { unit, period, mut page }) = resolve(site, reader, &asked, t)?;
    let Some(period) = period else { return Ok((status, page)) };
    let read_models = &site.app.read_models;
    let view = asked.view();
    // `/v1/traces?…&proofs=true`'s answer, as the API makes it.
    let (traced, bundle) =
        match crate::http::queries::traces_with_proofs(&site.app, &unit, asked.scheme.as_ref(), period, view) {
            Ok(answer) => answer,
            Err(QueryError::NotFound { field, message }) => {
                page.body = Err(format!("{field}: {message}"));
                return Ok((StatusCode::NOT_FOUND, page));
            }
            Err(error) => return Err(error.into()),
        };
    // The figure the ranking counts: `/v1/comparisons/horizontal`'s, when the unit is ranked.
    let horizontal = match read_models.horizontal_in(&unit, asked.scheme.as_ref(), period, view) {
        Ok(answer) => Some(answer.value),
        Err(QueryError::NotFound { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    let names: BTreeMap<UnitCode, String> = read_models
        .units(AsOf::Seq(traced.as_of_seq))?
        .value
        .units
        .into_iter()
        .map(|listing| (listing.unit, listing.name))
        .collect();
    let zone = read_models.time_zone();
    let public_key = site.app.service.records().key().public_key;
    let check = check_bundle(t, &bundle, public_key.as_deref());
    let signed = &bundle.checkpoint.checkpoint;
    let root = signed.root.to_string();
    let mut builder = Builder {
        t,
        site,
        reader,
        check: &check,
        zone,
        names: &names,
        tree: format!("{} {} · {} {}…", t.tree_size, signed.tree_size, t.root, &root[..12]),
        readable: BTreeMap::new(),
        anchored: BTreeSet::new(),
        verified: BTreeSet::new(),
        cited: BTreeSet::new(),
    };
    let mut traces = Vec::new();
    let mut listed = Points::ZERO;
    for trace in &traced.value.traces {
        let (view, sum) = builder.trace(trace);
        listed = listed + sum;
        traces.push(view);
    }
    let figure = |key, label, value: String, note: Option<String>| Figure { key, label, value, note };
    let mut reconcile = vec![figure("listed_total", t.listed_total, listed.to_string(), None)];
    let reconciled = horizontal.as_ref().map(|horizontal| horizontal.lost == listed);
    if let Some(horizontal) = &horizontal {
        let standing = &horizontal.standing;
        let note = format!("{} {}{}{} {}", t.final_score, standing.final_score, t.marks.comma, t.rank, standing.rank);
        reconcile.push(figure("ranking_lost", t.ranking_lost, horizontal.lost.to_string(), Some(note)));
    }
    let heading_unit = match names.get(&unit).filter(|name| !name.is_empty()) {
        Some(name) => format!("{unit} {name}"),
        None => unit.to_string(),
    };
    let scheme_shown = traced.value.traces.first().map(|trace| trace.scheme.to_string()).unwrap_or_default();
    let checkpoint_status = match &check.checkpoint {
        Ok(()) => t.signature_valid.to_owned(),
        Err(failure) => failure.clone(),
    };
    let body = TraceBody {
        heading: format!("{heading_unit} · {scheme_shown} · {period}"),
        standing: standing_text(t, traced.as_of_seq, traced.as_of_instant, zone),
        provisional_periods: traced.value.provisional_periods.iter().map(PeriodId::to_string).collect(),
        reconcile,
        reconciled,
        checkpoint: vec![
            figure("tree_size", t.tree_size, signed.tree_size.to_string(), None),
            figure("root", t.root, root.clone(), None),
            figure("checkpoint_head_hash", t.head_hash, signed.head_hash.to_string(), None),
            figure("signed_at", t.signed_at, zone.local_minute(signed.time), None),
            figure("public_key", t.public_key, bundle.checkpoint.public_key.clone(), None),
            figure("checkpoint_status", t.checkpoint_signature, checkpoint_status, None),
        ],
        checkpoint_ok: check.checkpoint.clone(),
        verified: builder.verified.len(),
        events: builder.cited.len(),
        traces,
        bundle_query: asked.query(&unit, period),
        commands: commands(public_key.as_deref().unwrap_or(t.no_public_key)),
    };
    page.body = Ok(Box::new(body));
    Ok((StatusCode::OK, page))
}

/// `GET /trace`: the trace page for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<UnitQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(site, &headers, &uri, query, trace_page, render).await
}

/// `GET /downloads/bundle?…`: the proof bundle of the trace the same question shows — the `proofs` of
/// `/v1/traces?…&proofs=true`, byte for byte — for `tools/verifier`.
pub async fn bundle_download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    query: Result<Query<UnitQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    let (worker, reader) = (site.clone(), signed_in.reader.clone());
    let made = tokio::task::spawn_blocking(move || {
        let asked = UnitQuestion::parse(&query)?;
        let (_, resolved) = resolve(&worker, &reader, &asked, t)?;
        let Some(period) = resolved.period else {
            return Err(Refusal::NotFound(format!("period: {}", resolved.page.body.err().unwrap_or_default())));
        };
        let scheme = asked.scheme.as_ref();
        let (_, bundle) =
            crate::http::queries::traces_with_proofs(&worker.app, &resolved.unit, scheme, period, asked.view())?;
        Ok(serde_json::to_vec(&bundle).expect("bundles serialise"))
    })
    .await;
    match made {
        Err(error) => failure(t, &error),
        Ok(Err(refusal)) => refusal_page(refusal, &visitor),
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"bundle.json\""),
            ],
            bytes,
        )
            .into_response(),
    }
}

/// `GET /downloads/document/{digest}`: an evidence document, to a reader who may read a fact citing
/// it (as `/v1/documents/{digest}` serves it; anyone else is answered as if it were not there).
pub async fn document_download(
    State(site): State<SiteState>,
    headers: HeaderMap,
    Path(digest): Path<String>,
) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (visitor, t) = (signed_in.visitor(), signed_in.t);
    let documents = Documents::of(&site.app.service);
    let (read_models, reader) = (site.app.read_models.clone(), signed_in.reader.clone());
    match tokio::task::spawn_blocking(move || documents.fetch(&read_models, &reader, &digest)).await {
        Err(error) => failure(t, &error),
        Ok(Ok(document)) => crate::http::documents::document_response(document),
        Ok(Err(error @ DocumentError::InvalidDigest { .. })) => {
            refusal_page(Refusal::Invalid(error.to_string()), &visitor)
        }
        Ok(Err(error @ DocumentError::NotFound { .. })) => refusal_page(Refusal::NotFound(error.to_string()), &visitor),
        Ok(Err(error)) => failure(t, &error),
    }
}

// ---- The template ----------------------------------------------------------------------------

pub fn render(t: &Text, page: &TracePage, visitor: &Visitor<'_>) -> String {
    let content = html! {
        h1 { (t.trace_title) }
        section.card {
            (pages::unit_pickers(t, "/trace", &page.pickers))
        }
        @match &page.body {
            Err(message) => section.card { p.muted #trace-empty { (message) } },
            Ok(body) => (trace_body(t, body)),
        }
    };
    pages::frame(t, t.trace_title, Some(visitor), Place::Trace, Scripts::App, content)
}

fn trace_body(t: &Text, body: &TraceBody) -> Markup {
    html! {
        section.card #reconcile {
            h2 {
                (body.heading) " "
                @if !body.provisional_periods.is_empty() { span.badge { (t.provisional_badge) } }
            }
            p.muted { (body.standing) }
            p.muted { (t.trace_intro) }
            @if !body.provisional_periods.is_empty() {
                p.note { (t.provisional_note) (body.provisional_periods.join(t.marks.list)) }
            }
            h3 { (t.reconcile_title) }
            (figures(&body.reconcile))
            @match body.reconciled {
                Some(true) => p.intact #reconciled data-reconciled="true" { (t.reconciled) },
                Some(false) => p.error #reconciled data-reconciled="false" role="alert" { (t.not_reconciled) },
                None => p.muted #reconciled { (t.trace_unranked) },
            }
        }
        section.card #proofs {
            h2 { (t.trace_checkpoint_title) }
            p.muted { (t.trace_checkpoint_intro) }
            (figures(&body.checkpoint))
            @match &body.checkpoint_ok {
                Ok(()) => p.intact #proof-summary data-verified=(body.verified) data-events=(body.events) {
                    (t.events_verified) (t.marks.colon) (body.verified) " / " (body.events)
                },
                Err(failure) => p.error #proof-summary role="alert" data-verified=(body.verified) data-events=(body.events) {
                    (failure)
                },
            }
        }
        @for trace in &body.traces {
            section.card.trace data-period=(trace.period) {
                h2 { (trace.period) " · " (trace.scheme) }
                (figures(&trace.figures))
                @if trace.indicators.is_empty() && trace.other.is_empty() {
                    p.muted { (t.no_losses) }
                }
                @for indicator in &trace.indicators {
                    div.indicator data-indicator=(indicator.indicator) {
                        h3 { code { (indicator.indicator) } " " (indicator.name) " · " (t.lost) " " span data-lost { (indicator.lost) } }
                        @for line in &indicator.lines { (line_view(t, line)) }
                    }
                }
                @for line in &trace.other { (line_view(t, line)) }
                @if !trace.relieved.is_empty() {
                    h3 { (t.relieved_title) }
                    @for line in &trace.relieved { (line_view(t, line)) }
                }
            }
        }
        section.card #bundle {
            h2 { (t.bundle_title) }
            p { (t.bundle_intro) }
            p.downloads { a href=(format!("/downloads/bundle?{}", body.bundle_query)) { (t.bundle_download) } }
            ol { @for step in t.bundle_steps { li { (step) } } }
            pre { code { (body.commands) } }
            p.muted { (t.bundle_exit) }
        }
    }
}

fn line_view(t: &Text, line: &LineView) -> Markup {
    html! {
        div.trace-line data-line=(line.kind_key) data-line-indicator=(line.indicator) data-amount=(line.amount.to_string())
            data-counted=(if line.counted { "true" } else { "false" }) {
            p.line-head {
                span.kind { (line.kind) } " "
                @if !line.indicator.is_empty() { code { (line.indicator) } " " }
                span.amount { (line.amount) }
                @if !line.counted { " " span.badge { (t.not_counted) } }
                @if !line.reason.is_empty() { " · " span.reason { (line.reason) } }
                @if let Some(link) = &line.appeal_link {
                    " " a.appeal-link href=(link) { (t.appeal_page.file_link) }
                }
            }
            @if !line.events.is_empty() {
                div.scroll {
                    table.ranking.events {
                        thead {
                            tr {
                                th { (t.step) }
                                th.num { (t.seq) }
                                th { (t.event_type) }
                                th { (t.recorded_at) }
                                th { (t.actor) }
                                th { (t.hash) }
                                th { (t.detail) }
                                th { (t.evidence) }
                                th { (t.proof) }
                            }
                        }
                        tbody {
                            @for event in &line.events { (event_row(t, event)) }
                        }
                    }
                }
            }
        }
    }
}

fn event_row(t: &Text, event: &EventRow) -> Markup {
    let id = event.anchor.then(|| format!("event-{}", event.seq));
    html! {
        tr id=[id] data-seq=(event.seq) data-proof=(if event.proof.is_ok() { "ok" } else { "failed" }) {
            td { (event.step) }
            td.num { (event.seq) }
            td data-event-type=(event.event_type) title=(event.event_type) {
                (event.event_name.unwrap_or(&event.event_type))
            }
            td { (event.recorded_at) }
            td { (event.actor) }
            td.hash { code title=(event.hash) data-hash=(event.hash) { (event.hash[..12]) "…" } }
            td.reason {
                (event.detail)
                @if let Some(link) = &event.appeal_link {
                    " " a.appeal-link href=(link) { (t.appeal_page.file_link) }
                }
            }
            td.evidence {
                @for evidence in &event.evidence {
                    div {
                        code.digest title=(evidence.digest) data-digest=(evidence.digest) {
                            (evidence.digest[..12]) "…"
                        }
                        @if let Some(link) = &evidence.link {
                            " " a href=(link) { (t.evidence_download) }
                        }
                    }
                }
            }
            @match &event.proof {
                Ok(checkpoint) => td.proof.intact { (t.proof_ok) br; small.muted { (checkpoint) } },
                Err(failure) => td.proof.error { (t.proof_failed) (t.marks.colon) (failure) },
            }
        }
    }
}
