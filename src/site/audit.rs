//! The audit page (`GET /audit`, and `GET /audit?verify=true` to run a full verification now): the
//! chain head (sequence number, hash), the latest signed checkpoint (tree size, Merkle root, head
//! hash, signature, public key), the result of the last verification run, the export to download, and
//! short instructions for checking all of it with `tools/verifier` and the public key, without
//! trusting this server. `GET /downloads/checkpoint` gives the checkpoint shown as JSON, and
//! `GET /downloads/export` the whole chain as JSON Lines, as the API's `/v1/checkpoint` and
//! `/v1/export` do.
//!
//! Invariant: what it shows is judged by `may_read` with the targets the API's routes declare — the
//! head, the key and the checkpoint are the chain's integrity (every valid token); a verification run
//! and the export are the ledger itself (an admin or auditor of the whole organisation, or the local
//! read token): another reader sees neither the button, the last result nor the link, and asking for
//! them is refused (403). The checkpoint is the API's own (`ledger_reads::fresh_checkpoint`, one
//! cache), so the page and `/v1/checkpoint` show the same signature.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::domain::Timestamp;
use crate::service::queries::{ReadTarget, Reader};
use crate::service::records::{Verified, VerifyFailure};
use crate::site::pages::{self, AuditPage, Figure, VerificationView};
use crate::site::request::{download_reader, malformed, page_reader, refusal_page, Refusal, SignedIn};
use crate::site::text::Text;
use crate::site::{failure, html, SiteState};

/// A verification run from the audit page: when it ran (on the server's clock) and what it found.
#[derive(Clone, Debug)]
pub struct VerificationRun {
    pub at: Timestamp,
    pub outcome: Result<Verified, VerifyFailure>,
}

/// The audit page's question: whether to run a verification now.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    verify: Option<String>,
}

fn may_read(site: &SiteState, reader: &Reader, target: &ReadTarget) -> Result<(), Refusal> {
    site.app.read_models.may_read(reader, target).map_err(Refusal::from)
}

/// Runs a full verification of the chain (off the async threads) and keeps it as the last run.
async fn verify(site: &SiteState) -> Result<VerificationRun, Refusal> {
    let records = site.app.service.records();
    let outcome = tokio::task::spawn_blocking(move || records.verify(None, &|_| {}))
        .await
        .map_err(|error| Refusal::Failure(error.to_string()))?;
    let run = VerificationRun { at: site.app.service.clock().now(), outcome };
    *site.last_verification.lock().expect("last verification") = Some(run.clone());
    Ok(run)
}

fn figure(key: &'static str, label: &'static str, value: impl ToString) -> Figure {
    Figure { key, label, value: value.to_string(), note: None }
}

fn verification_view(site: &SiteState, run: &VerificationRun, t: &Text) -> VerificationView {
    let zone = site.app.read_models.time_zone();
    match &run.outcome {
        Ok(verified) => VerificationView {
            intact: true,
            at: zone.local_minute(run.at),
            figures: vec![
                figure("events_checked", t.events_checked, verified.events_checked),
                figure("verified_head_seq", t.seq, verified.head.seq),
                figure("verified_head_hash", t.hash, verified.head.hash),
            ],
            failure: None,
        },
        Err(failure) => VerificationView {
            intact: false,
            at: zone.local_minute(run.at),
            figures: vec![figure("failed_seq", t.seq, failure.seq)],
            failure: Some(failure.to_string()),
        },
    }
}

/// The instructions' commands, the ledger's public key written in.
fn commands(public_key: &str) -> String {
    format!(
        "cargo build --release -p kpi-verify\n\
         KEY={public_key}\n\
         target/release/kpi-verify export ledger.jsonl --key $KEY --checkpoint checkpoint.json\n\
         target/release/kpi-verify checkpoint checkpoint.json --key $KEY"
    )
}

async fn audit_page(site: &SiteState, signed_in: &SignedIn, query: &AuditQuery) -> Result<AuditPage, Refusal> {
    let t = signed_in.t;
    let reader = &signed_in.reader;
    let run_now = match query.verify.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(other) => return Err(Refusal::Invalid(format!("verify: expected true or false, got {other:?}"))),
    };
    may_read(site, reader, &ReadTarget::ChainIntegrity)?;
    let ledger_reader = match may_read(site, reader, &ReadTarget::Ledger) {
        Ok(()) => true,
        Err(refusal) if run_now => return Err(refusal),
        Err(_) => false,
    };
    let records = site.app.service.records();
    let zone = site.app.read_models.time_zone();
    let head = records.head();
    let checkpoint = crate::http::ledger_reads::fresh_checkpoint(&site.app)
        .await
        .map_err(|problem| Refusal::Failure(problem.detail))?;
    let key = records.key();
    let run = match (run_now, ledger_reader) {
        (true, _) => Some(verify(site).await?),
        (false, true) => site.last_verification.lock().expect("last verification").clone(),
        (false, false) => None,
    };
    let public_key = key.public_key.clone().unwrap_or_else(|| t.no_public_key.to_owned());
    let signed = &checkpoint.checkpoint;
    Ok(AuditPage {
        head: vec![
            figure("head_seq", t.seq, head.seq),
            figure("head_hash", t.hash, head.hash),
            figure("head_recorded_at", t.recorded_at, zone.local_minute(head.recorded_at)),
        ],
        checkpoint: vec![
            figure("tree_size", t.tree_size, signed.tree_size),
            figure("root", t.root, signed.root),
            figure("checkpoint_head_hash", t.head_hash, signed.head_hash),
            figure("signed_at", t.signed_at, zone.local_minute(signed.time)),
            figure("origin", t.origin, &signed.origin),
            figure("public_key", t.public_key, &checkpoint.public_key),
            figure("signature", t.signature, &checkpoint.signature),
        ],
        ledger_reader,
        verification: run.as_ref().filter(|_| ledger_reader).map(|run| verification_view(site, run, t)),
        commands: commands(&public_key),
    })
}

/// `GET /audit`: the audit page for a signed-in reader (a verification run first with `verify=true`),
/// or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let signed_in = match page_reader(&site, &headers, &uri) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let visitor = signed_in.visitor();
    let Ok(Query(query)) = query else { return refusal_page(malformed(), &visitor) };
    match audit_page(&site, &signed_in, &query).await {
        Ok(page) => html(StatusCode::OK, pages::audit(signed_in.t, &page, &visitor)),
        Err(refusal) => refusal_page(refusal, &visitor),
    }
}

/// `GET /downloads/checkpoint`: the signed checkpoint the audit page shows, as the JSON
/// `tools/verifier` reads (what `/v1/checkpoint` answers).
pub async fn checkpoint_download(State(site): State<SiteState>, headers: HeaderMap) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Err(refusal) = may_read(&site, &signed_in.reader, &ReadTarget::ChainIntegrity) {
        return refusal_page(refusal, &signed_in.visitor());
    }
    match crate::http::ledger_reads::fresh_checkpoint(&site.app).await {
        Err(problem) => failure(signed_in.t, &problem.detail),
        Ok(checkpoint) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"checkpoint.json\""),
            ],
            serde_json::to_vec_pretty(&checkpoint).expect("checkpoints serialise"),
        )
            .into_response(),
    }
}

/// `GET /downloads/export`: the whole chain as JSON Lines, for a reader of the ledger itself.
pub async fn export_download(State(site): State<SiteState>, headers: HeaderMap) -> Response {
    let signed_in = match download_reader(&site, &headers) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Err(refusal) = may_read(&site, &signed_in.reader, &ReadTarget::Ledger) {
        return refusal_page(refusal, &signed_in.visitor());
    }
    crate::http::ledger_reads::export_response(site.app.service.records())
}
