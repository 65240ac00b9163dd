//! The appeals page (申诉, `GET /appeals?deduction=…&tier_award=…&attribution=…`), the first page that
//! records: a reader whose role files appeals sees what its unit filed (as `/v1/my-appeals` answers
//! it, each appeal with the evidence its filing, decisions and escalations cite, linked to
//! `/downloads/document/{digest}`) and a form to file one against a deduction, a tier award or a cause
//! attribution (preselected by `?deduction=`, `?tier_award=`, `?deduction=…&attribution=…`: the links
//! beside the register's deductions and the trace's deductions, tier shortfalls and attributions),
//! may withdraw one still waiting and escalate a decided one to the committee while its window is
//! open; a reader whose role decides appeals sees the queue (as `/v1/appeal-queue` answers it) with a
//! form per appeal to decide it (upheld, partial with the points restored, dismissed, and the
//! reasoning), and the decided appeals below it (the same read with `status=decided`); any other
//! reader sees both, read only. `POST /appeals/file`, `/appeals/decision`, `/appeals/withdrawal` and
//! `/appeals/escalation` record. The filing, decision and escalation forms are `multipart/form-data`
//! and carry evidence files (`evidence`, at most `SITE_EVIDENCE_FILES_MAX`, the body at most
//! `SITE_UPLOAD_BYTES_MAX`); their routes read an urlencoded form too (within `SITE_FORM_BYTES_MAX`).
//! The withdrawal form is urlencoded and carries none.
//!
//! Invariant: a POST's whole body is read within its limit (over it: 413 and a page saying so), then
//! it is refused (403) before anything happens unless it carries the session's CSRF token; its actor
//! is the signed-in token's (never a form field), judged again as every request is; its command is
//! built from the form as the API builds it from a body (`Command::from_payload`) — so a form the API
//! would refuse at decoding stores no file —, then its files are stored through
//! `Documents::upload` as the actor, as `POST /v1/documents` stores them (a refused file: the status
//! and message the API's document route would give, naming `evidence`, nothing recorded), their
//! digests appended to the command's `evidence_digests`, and the command submitted through the
//! service's entry point with the form's idempotency key (made when the form was drawn: a second
//! submit records nothing new), off the async threads. A file stored for a form whose command is then
//! refused stays stored, cited by nothing, as an upload through the API does. Who may record what is
//! the domain's to decide: the site only chooses which forms to draw (`service::role_may_issue`) and shows a
//! refusal with the status and the field the API would answer, beside the form, the ledger unchanged
//! (the form drawn again keeps what was typed, not the files: a browser cannot be given them back).
//! The lists are read after the same `may_read`, with the same `ReadTarget`, as the API's routes.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use futures_util::StreamExt;
use maud::{html, Markup};
use serde_json::{json, Value};

use crate::domain::appeal::{AppealStage, AppealTarget, AppealVerdict};
use crate::domain::command::{DecideAppeal, EscalateAppeal, FileAppeal};
use crate::domain::{AppealId, Command, DeductionId, EventId, EvidenceDigest, Points, TierAwardId};
use crate::http::documents::document_problem;
use crate::http::problem::Problem;
use crate::limits::{
    COMMAND_ID_BYTES_MAX, DOCUMENT_BYTES_MAX, SITE_EVIDENCE_FILES_MAX, SITE_FORM_BYTES_MAX, SITE_UPLOAD_BYTES_MAX,
};
use crate::projection::appeal_queue::{AppealStatus, AppealStep, QueuedAppeal, StatusFilter};
use crate::projection::AsOf;
use crate::service::documents::{allowed_types, Documents};
use crate::service::queries::{AppealFilter, ReadTarget, Reader};
use crate::service::CommandOptions;
use crate::site::pages::{self, Place, Scripts, Visitor};
use crate::site::request::{blocking_page, page_reader, refusal_page, standing_text, Refusal};
use crate::site::text::{AppealsText, Text};
use crate::site::{csrf_refused, current, failure, html as html_response, session, SiteState};

/// The page's question: what to preselect in the filing form — a deduction (`deduction`), a tier
/// award (`tier_award`) or a deduction's cause attribution (`deduction` and `attribution`, the id of
/// the event that recorded it) — and the event a recording just made (the notice).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AppealsQuery {
    deduction: Option<String>,
    tier_award: Option<String>,
    attribution: Option<String>,
    recorded: Option<String>,
}

/// The targets the filing form offers, by the `kind` the API's `target` names them with.
const TARGET_KINDS: [&str; 3] = ["deduction", "tier_award", "cause_attribution"];

/// A refusal of a form, as the API would answer it: the field and the domain's message.
#[derive(Clone, Debug)]
pub struct FormError {
    pub field: String,
    pub message: String,
    /// Whether the form carried files, which its page drawn again cannot hold (it says so).
    pub files_dropped: bool,
}

/// The filing form: what it holds (what was typed, when it is drawn again after a refusal; never the
/// files).
pub struct FileForm {
    pub key: String,
    /// One of `TARGET_KINDS`.
    pub target: String,
    pub deduction: String,
    pub tier_award: String,
    pub attribution: String,
    pub grounds: String,
    pub error: Option<FormError>,
}

/// A decision form of one appeal in the queue.
pub struct DecideForm {
    pub key: String,
    pub outcome: String,
    pub points: String,
    pub reasoning: String,
    pub error: Option<FormError>,
}

/// A form of one text about one of the reader's own appeals: a withdrawal's reason, an escalation's
/// grounds.
pub struct TextForm {
    pub key: String,
    pub text: String,
    pub error: Option<FormError>,
}

/// One evidence document an appeal's step cites, as its card lists it.
pub struct EvidenceItem {
    /// The step that cites it (`filed`, `decided`, `escalated`) and its words.
    pub step_key: &'static str,
    pub step: &'static str,
    pub digest: String,
}

/// One appeal as the page lists it.
pub struct AppealRow {
    pub appeal_id: String,
    pub status_key: &'static str,
    pub status: String,
    pub target: String,
    pub unit: String,
    pub indicator: String,
    pub period: String,
    pub appellant: String,
    pub contested: String,
    pub grounds: String,
    pub decision: String,
    /// The documents its filing, decisions and escalations cite, in chain order.
    pub evidence: Vec<EvidenceItem>,
    pub due: String,
    pub filed_seq: u64,
    pub decide: Option<DecideForm>,
    pub withdraw: Option<TextForm>,
    pub escalate: Option<TextForm>,
}

/// What the page shows.
pub struct AppealsPage {
    pub intro: &'static str,
    pub standing: String,
    pub notice: Option<String>,
    /// A refusal of a form the page does not draw (a decision posted by a role that files).
    pub error_elsewhere: Option<FormError>,
    pub file: Option<FileForm>,
    pub mine: Option<Vec<AppealRow>>,
    pub queue: Option<Vec<AppealRow>>,
    /// The decided appeals the queue's reader may see, read only (what was decided lately).
    pub decided: Option<Vec<AppealRow>>,
}

/// A form that was sent and refused: drawn again with what it held and why.
pub enum Attempt {
    File { target: String, deduction: String, tier_award: String, attribution: String, grounds: String, key: String },
    Decide { appeal: String, outcome: String, points: String, reasoning: String, key: String },
    Withdraw { appeal: String, reason: String, key: String },
    Escalate { appeal: String, grounds: String, key: String },
}

/// Whether the domain lets the reader's role issue `command` at all (its scope and the appeal's
/// state are the domain's to judge when the form is sent).
fn may_issue(reader: &Reader, command: &Command) -> bool {
    match reader {
        Reader::Token(actor) => crate::service::role_may_issue(actor, command),
        Reader::Local => false,
    }
}

/// Whether the reader's role files appeals: the filing form, and the links to it beside deductions.
pub fn may_file(reader: &Reader) -> bool {
    let sample = FileAppeal {
        target: AppealTarget::Deduction { deduction_id: DeductionId(uuid::Uuid::nil()) },
        grounds: String::new(),
        evidence_digests: Vec::new(),
    };
    may_issue(reader, &Command::FileAppeal(sample))
}

/// Whether the reader's role decides appeals: a decision form beside each appeal of the queue.
fn may_decide(reader: &Reader) -> bool {
    let sample = DecideAppeal {
        appeal_id: AppealId(uuid::Uuid::nil()),
        outcome: crate::domain::AppealOutcome::Dismissed,
        reasoning: String::new(),
        evidence_digests: Vec::new(),
    };
    may_issue(reader, &Command::DecideAppeal(sample))
}

/// Whether the reader's role escalates its decided appeals to the committee.
fn may_escalate(reader: &Reader) -> bool {
    let sample =
        EscalateAppeal { appeal_id: AppealId(uuid::Uuid::nil()), grounds: String::new(), evidence_digests: Vec::new() };
    may_issue(reader, &Command::EscalateAppeal(sample))
}

/// The query of the filing form with `deduction` preselected.
pub fn file_link(deduction: &DeductionId) -> String {
    format!("/appeals?deduction={deduction}")
}

/// The query of the filing form with the tier award `tier_award` preselected.
pub fn tier_award_link(tier_award: &TierAwardId) -> String {
    format!("/appeals?tier_award={tier_award}")
}

/// The query of the filing form with the cause attribution of `deduction` recorded by event
/// `attribution` preselected.
pub fn attribution_link(deduction: &DeductionId, attribution: &EventId) -> String {
    format!("/appeals?deduction={deduction}&attribution={attribution}")
}

/// A fresh idempotency key for a form being drawn.
fn new_key() -> String {
    format!("site-{}", uuid::Uuid::now_v7())
}

fn status_words(t: &AppealsText, status: AppealStatus) -> (&'static str, &'static str) {
    match status {
        AppealStatus::Open => ("open", t.status_open),
        AppealStatus::Escalated => ("escalated", t.status_escalated),
        AppealStatus::Decided => ("decided", t.status_decided),
        AppealStatus::Withdrawn => ("withdrawn", t.status_withdrawn),
    }
}

fn verdict_words(top: &Text, verdict: AppealVerdict) -> &'static str {
    match verdict {
        AppealVerdict::Upheld => top.verdict_upheld,
        AppealVerdict::Partial => top.verdict_partial,
        AppealVerdict::Dismissed => top.verdict_dismissed,
    }
}

fn target_words(t: &AppealsText, target: &AppealTarget) -> String {
    match target {
        AppealTarget::Deduction { deduction_id } => format!("{} {deduction_id}", t.target_deduction),
        AppealTarget::TierAward { tier_award_id } => format!("{} {tier_award_id}", t.target_tier_award),
        AppealTarget::CauseAttribution { deduction_id, .. } => format!("{} {deduction_id}", t.target_attribution),
    }
}

/// The standing decision of an appeal, with its reasoning, in words.
fn decision_words(top: &Text, appeal: &QueuedAppeal) -> String {
    let t = top.appeal_page;
    let decided = appeal.history.iter().rev().find_map(|step| match step {
        AppealStep::Decided { stage, verdict, points_restored, reasoning, .. } => {
            Some((*stage, *verdict, *points_restored, reasoning.as_str()))
        }
        _ => None,
    });
    match decided {
        None => t.undecided.to_owned(),
        Some((stage, verdict, restored, reasoning)) => {
            let stage = match stage {
                AppealStage::First => top.stage_first,
                AppealStage::Escalated => top.stage_escalated,
            };
            let restores = t.restores.replace("{}", &restored.to_string());
            let marks = &top.marks;
            let verdict = verdict_words(top, verdict);
            format!("{stage}{}{verdict}{}{restores}{}{reasoning}", marks.colon, marks.comma, marks.stop)
        }
    }
}

/// The grounds the appeal was filed (or last escalated) on.
fn grounds_of(appeal: &QueuedAppeal) -> String {
    appeal
        .history
        .iter()
        .rev()
        .find_map(|step| match step {
            AppealStep::Filed { grounds, .. } | AppealStep::Escalated { grounds, .. } => Some(grounds.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The documents an appeal's steps cite: its filing's, its decisions' and its escalations'.
fn evidence_of(top: &Text, appeal: &QueuedAppeal) -> Vec<EvidenceItem> {
    appeal
        .history
        .iter()
        .flat_map(|step| {
            let (step_key, words, digests) = match step {
                AppealStep::Filed { evidence_digests, .. } => ("filed", top.step_appeal, evidence_digests.as_slice()),
                AppealStep::Decided { evidence_digests, .. } => {
                    ("decided", top.step_decision, evidence_digests.as_slice())
                }
                AppealStep::Escalated { evidence_digests, .. } => {
                    ("escalated", top.step_escalation, evidence_digests.as_slice())
                }
                AppealStep::Withdrawn { .. } => ("withdrawn", top.step_appeal_withdrawn, &[][..]),
            };
            digests.iter().map(move |digest| EvidenceItem { step_key, step: words, digest: digest.as_str().to_owned() })
        })
        .collect()
}

fn row(site: &SiteState, top: &Text, appeal: &QueuedAppeal) -> AppealRow {
    let t = top.appeal_page;
    let zone = site.app.read_models.time_zone();
    let (status_key, status) = status_words(t, appeal.status);
    let mut due = zone.local_minute(appeal.decision_due_at);
    if appeal.overdue {
        due.push_str(&top.marks.paren(t.overdue.replace("{}", &appeal.days_overdue.to_string())));
    }
    AppealRow {
        appeal_id: appeal.appeal_id.to_string(),
        status_key,
        status: status.to_owned(),
        target: target_words(t, &appeal.target),
        unit: appeal.unit.to_string(),
        indicator: appeal.indicator.to_string(),
        period: appeal.period.to_string(),
        appellant: appeal.appellant.to_string(),
        contested: appeal.points_contested.to_string(),
        grounds: grounds_of(appeal),
        decision: decision_words(top, appeal),
        evidence: evidence_of(top, appeal),
        due,
        filed_seq: appeal.history.first().map_or(0, |step| step.event().seq),
        decide: None,
        withdraw: None,
        escalate: None,
    }
}

/// The page for `reader`, with `attempt` (a refused form and why) drawn again as it was sent.
fn appeals_page(
    site: &SiteState,
    reader: &Reader,
    query: &AppealsQuery,
    attempt: Option<(Attempt, FormError)>,
    top: &Text,
) -> Result<AppealsPage, Refusal> {
    let t = top.appeal_page;
    let read_models = &site.app.read_models;
    let now = site.app.service.clock().now();
    let (filing, deciding) = (may_file(reader), may_decide(reader));
    let notice = query
        .recorded
        .as_deref()
        .and_then(|seq| seq.trim().parse::<u64>().ok())
        .map(|seq| t.recorded.replace("{}", &seq.to_string()));
    // Both lists are `ReadKind::Appeals`, asked as the API's `/v1/my-appeals` and `/v1/appeal-queue`
    // (no `unit`) ask it: judged before anything is read.
    read_models.may_read(reader, &ReadTarget::Appeals { unit: None })?;
    let mut as_of_seq = 0;
    let mut as_of_instant = None;
    let mut error_elsewhere = None;
    let mut attempt = attempt;
    let mine = if filing {
        let filter = AppealFilter { status: StatusFilter::All, ..AppealFilter::default() };
        let answer = read_models.my_appeals(reader, &filter, AsOf::Latest, now)?;
        (as_of_seq, as_of_instant) = (answer.as_of_seq, answer.as_of_instant);
        let rows = answer
            .value
            .appeals
            .iter()
            .map(|appeal| {
                let mut row = row(site, top, appeal);
                if matches!(appeal.status, AppealStatus::Open | AppealStatus::Escalated) {
                    row.withdraw = Some(withdraw_form(&row.appeal_id, &mut attempt));
                }
                let escalable = appeal.status == AppealStatus::Decided && appeal.escalation_window_closes_at.is_some();
                if escalable && may_escalate(reader) {
                    row.escalate = Some(escalate_form(&row.appeal_id, &mut attempt));
                }
                row
            })
            .collect();
        Some(rows)
    } else {
        None
    };
    let queue = if filing {
        None
    } else {
        let filter = AppealFilter { status: StatusFilter::Waiting, ..AppealFilter::default() };
        let answer = read_models.appeal_queue(reader, &filter, AsOf::Latest, now)?;
        (as_of_seq, as_of_instant) = (answer.as_of_seq, answer.as_of_instant);
        let rows = answer
            .value
            .appeals
            .iter()
            .map(|appeal| {
                let mut row = row(site, top, appeal);
                if deciding {
                    row.decide = Some(decide_form(&row.appeal_id, &mut attempt));
                }
                row
            })
            .collect();
        Some(rows)
    };
    let decided = if filing {
        None
    } else {
        let filter = AppealFilter { status: StatusFilter::Decided, ..AppealFilter::default() };
        let answer = read_models.appeal_queue(reader, &filter, AsOf::Latest, now)?;
        Some(answer.value.appeals.iter().rev().map(|appeal| row(site, top, appeal)).collect())
    };
    let file = filing.then(|| match attempt.take() {
        Some((Attempt::File { target, deduction, tier_award, attribution, grounds, key }, error)) => {
            FileForm { key, target, deduction, tier_award, attribution, grounds, error: Some(error) }
        }
        other => {
            attempt = other;
            let asked = |value: &Option<String>| value.clone().unwrap_or_default().trim().to_owned();
            let (deduction, tier_award, attribution) =
                (asked(&query.deduction), asked(&query.tier_award), asked(&query.attribution));
            let target = match (attribution.is_empty(), tier_award.is_empty()) {
                (false, _) => "cause_attribution",
                (true, false) => "tier_award",
                (true, true) => "deduction",
            };
            FileForm {
                key: new_key(),
                target: target.to_owned(),
                deduction,
                tier_award,
                attribution,
                grounds: String::new(),
                error: None,
            }
        }
    });
    if let Some((_, error)) = attempt {
        error_elsewhere = Some(error);
    }
    let intro = match (filing, deciding) {
        (true, _) => t.intro_appellant,
        (false, true) => t.intro_decider,
        (false, false) => t.intro_reader,
    };
    let standing = standing_text(top, as_of_seq, as_of_instant, read_models.time_zone());
    Ok(AppealsPage { intro, standing, notice, error_elsewhere, file, mine, queue, decided })
}

/// The decision form of `appeal`: the refused attempt on it, or a blank one.
fn decide_form(appeal: &str, attempt: &mut Option<(Attempt, FormError)>) -> DecideForm {
    match attempt.take() {
        Some((Attempt::Decide { appeal: sent, outcome, points, reasoning, key }, error)) if sent == appeal => {
            DecideForm { key, outcome, points, reasoning, error: Some(error) }
        }
        other => {
            *attempt = other;
            DecideForm {
                key: new_key(),
                outcome: String::new(),
                points: String::new(),
                reasoning: String::new(),
                error: None,
            }
        }
    }
}

/// The withdrawal form of `appeal`: the refused attempt on it, or a blank one.
fn withdraw_form(appeal: &str, attempt: &mut Option<(Attempt, FormError)>) -> TextForm {
    text_form(appeal, attempt, |attempt| match attempt {
        Attempt::Withdraw { appeal, reason, key } => Some((appeal, reason, key)),
        _ => None,
    })
}

/// The escalation form of `appeal`: the refused attempt on it, or a blank one.
fn escalate_form(appeal: &str, attempt: &mut Option<(Attempt, FormError)>) -> TextForm {
    text_form(appeal, attempt, |attempt| match attempt {
        Attempt::Escalate { appeal, grounds, key } => Some((appeal, grounds, key)),
        _ => None,
    })
}

/// A one-text form of `appeal`: the refused attempt on it (`parts` gives its appeal, text and key when
/// it is of this form's kind), or a blank one; an attempt on another form is left for it.
fn text_form(
    appeal: &str,
    attempt: &mut Option<(Attempt, FormError)>,
    parts: fn(&Attempt) -> Option<(&String, &String, &String)>,
) -> TextForm {
    let refused = attempt.as_ref().and_then(|(sent, error)| {
        let (sent_appeal, text, key) = parts(sent)?;
        (sent_appeal == appeal).then(|| TextForm { key: key.clone(), text: text.clone(), error: Some(error.clone()) })
    });
    match refused {
        Some(form) => {
            *attempt = None;
            form
        }
        None => TextForm { key: new_key(), text: String::new(), error: None },
    }
}

fn made(
    site: &SiteState,
    reader: &Reader,
    query: &AppealsQuery,
    t: &Text,
) -> Result<(StatusCode, AppealsPage), Refusal> {
    Ok((StatusCode::OK, appeals_page(site, reader, query, None, t)?))
}

/// `GET /appeals`: the page for a signed-in reader, or the sign-in page.
pub async fn page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<AppealsQuery>, QueryRejection>,
) -> Response {
    blocking_page(site, &headers, &uri, query, made, render).await
}

// ---------------------------------------------------------------------------------------------------
// Recording.

#[derive(Debug, Default, serde::Deserialize)]
pub struct FileFields {
    csrf: Option<String>,
    key: Option<String>,
    /// One of `TARGET_KINDS`; left out (a form drawn before there was a choice): a deduction.
    target: Option<String>,
    deduction: Option<String>,
    tier_award: Option<String>,
    attribution: Option<String>,
    grounds: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DecideFields {
    csrf: Option<String>,
    key: Option<String>,
    appeal: Option<String>,
    outcome: Option<String>,
    points: Option<String>,
    reasoning: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct EscalateFields {
    csrf: Option<String>,
    key: Option<String>,
    appeal: Option<String>,
    grounds: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct WithdrawFields {
    csrf: Option<String>,
    key: Option<String>,
    appeal: Option<String>,
    reason: Option<String>,
}

/// A form field's text as sent (a missing field is empty: the domain names it), its line breaks as
/// the ledger keeps them: a browser sends a text area's as CR LF, and the domain admits line feeds only.
fn field(value: Option<String>) -> String {
    value.unwrap_or_default().replace("\r\n", "\n")
}

/// `1`, `1.5`, `1.50`: points as people type them, in hundredths.
fn points_typed(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 2 || whole.len() > 9 {
        return Err(format!("outcome.points_restored: expected points such as 1.00, got {text:?}"));
    }
    let whole: i64 = whole.parse().map_err(|_| format!("outcome.points_restored: got {text:?}"))?;
    let fraction: i64 =
        format!("{fraction:0<2}").parse().map_err(|_| format!("outcome.points_restored: got {text:?}"))?;
    Ok(whole * 100 + fraction)
}

/// An id typed into the filing form, or a refusal naming its field (`what` says what it is the id
/// of). Named here: inside the tagged target, the decoder can only say `payload`.
fn id_typed<'a>(typed: &'a str, field: &str, what: &str) -> Result<&'a str, Problem> {
    let typed = typed.trim();
    if uuid::Uuid::parse_str(typed).is_err() {
        let message = format!("{field}: expected {what} (a UUID), got {typed:?}");
        return Err(Problem::bad_request("invalid_command", field, message));
    }
    Ok(typed)
}

/// The command's payload from a form, as the API's body would carry it, citing `evidence`; a typed
/// id or amount the page cannot read is refused naming its field.
fn payload(attempt: &Attempt, evidence: &[EvidenceDigest]) -> Result<(&'static str, Value), Problem> {
    Ok(match attempt {
        Attempt::File { target, deduction, tier_award, attribution, grounds, .. } => {
            let deduction_id = || id_typed(deduction, "target.deduction_id", "a deduction's id");
            let target = match target.trim() {
                "" | "deduction" => json!({"kind": "deduction", "deduction_id": deduction_id()?}),
                "tier_award" => {
                    let tier_award_id = id_typed(tier_award, "target.tier_award_id", "a tier award's id")?;
                    json!({"kind": "tier_award", "tier_award_id": tier_award_id})
                }
                "cause_attribution" => {
                    let deduction_id = deduction_id()?;
                    let what = "the id of the event that recorded the cause attribution";
                    let event_id = id_typed(attribution, "target.attribution_event_id", what)?;
                    json!({"kind": "cause_attribution", "deduction_id": deduction_id, "attribution_event_id": event_id})
                }
                other => {
                    let message = format!("target.kind: expected {}, got {other:?}", TARGET_KINDS.join(", "));
                    return Err(Problem::bad_request("invalid_command", "target.kind", message));
                }
            };
            ("FileAppeal", json!({"target": target, "grounds": grounds, "evidence_digests": evidence}))
        }
        Attempt::Decide { appeal, outcome, points, reasoning, .. } => {
            let outcome = match outcome.trim() {
                "partial" => {
                    let restored = points_typed(points).map_err(|message| {
                        Problem::bad_request("invalid_command", "outcome.points_restored", message)
                    })?;
                    json!({"kind": "partial", "points_restored": Points(restored)})
                }
                kind @ ("upheld" | "dismissed") => json!({"kind": kind}),
                // Inside the tagged outcome, the decoder could only name `payload`.
                other => {
                    let message = format!("outcome: expected upheld, partial or dismissed, got {other:?}");
                    return Err(Problem::bad_request("invalid_command", "outcome", message));
                }
            };
            let body = json!({"appeal_id": appeal.trim(), "outcome": outcome, "reasoning": reasoning,
                              "evidence_digests": evidence});
            ("DecideAppeal", body)
        }
        Attempt::Withdraw { appeal, reason, .. } => {
            ("WithdrawAppeal", json!({"appeal_id": appeal.trim(), "reason": reason}))
        }
        Attempt::Escalate { appeal, grounds, .. } => {
            let body = json!({"appeal_id": appeal.trim(), "grounds": grounds, "evidence_digests": evidence});
            ("EscalateAppeal", body)
        }
    })
}

fn key_of(attempt: &Attempt) -> &str {
    match attempt {
        Attempt::File { key, .. }
        | Attempt::Decide { key, .. }
        | Attempt::Withdraw { key, .. }
        | Attempt::Escalate { key, .. } => key,
    }
}

/// The form's idempotency key, checked as the API checks `Idempotency-Key`.
fn idempotency_key(key: &str) -> Result<String, Problem> {
    let key = key.trim();
    if key.is_empty() || key.len() > COMMAND_ID_BYTES_MAX || !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        let message = format!("key: expected 1 to {COMMAND_ID_BYTES_MAX} visible ASCII characters");
        return Err(Problem::bad_request("invalid_idempotency_key", "key", message));
    }
    Ok(key.to_owned())
}

/// A file chosen for a form's `evidence` input, as the browser sent it.
struct EvidenceFile {
    /// Its name on the sender's machine: for a refusal's message only, never stored.
    name: String,
    /// The part's declared `Content-Type`: what the document is stored as, if its bytes are of it.
    content_type: Option<String>,
    bytes: Bytes,
}

/// Stores the form's evidence files as `actor` through the service's documents, as the API's
/// `POST /v1/documents` stores each; their digests, in the order sent, each once. A form with more
/// than `SITE_EVIDENCE_FILES_MAX` files stores none. A refused file (a type not allowed, bytes not of
/// it, too large, a role that may not upload) is answered as the API's document route answers it,
/// naming `evidence`, and stops the rest; the files stored before it stay stored, cited by nothing.
/// Blocking: run off the async threads.
fn store_evidence(
    site: &SiteState,
    actor: &crate::domain::Actor,
    files: &[EvidenceFile],
) -> Result<Vec<EvidenceDigest>, Problem> {
    if files.len() > SITE_EVIDENCE_FILES_MAX {
        let message = format!("evidence: at most {SITE_EVIDENCE_FILES_MAX} files per form, got {}", files.len());
        return Err(Problem::bad_request("too_many_files", "evidence", message));
    }
    let documents = Documents::of(&site.app.service);
    let now = site.app.service.clock().now();
    let mut digests: Vec<EvidenceDigest> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let uploaded =
            documents.upload(actor, None, file.content_type.as_deref(), &file.bytes, now).map_err(|error| {
                let problem = document_problem(error);
                let detail = format!("evidence: file {} ({:?}): {}", index + 1, file.name, problem.detail);
                Problem { field: Some("evidence".to_owned()), detail, ..problem }
            })?;
        if !digests.contains(&uploaded.digest) {
            digests.push(uploaded.digest);
        }
    }
    Ok(digests)
}

/// Decides `attempt` as `actor` through the service, citing `files` (stored first, once the command
/// decodes and the actor's role may issue it: a form the domain refuses by its role alone stores
/// nothing), and waits until it is durable; the sequence number of its last event. Blocking: run off
/// the async threads, in one of the places commands decide in (`AppState::deciding`).
fn record(
    site: &SiteState,
    actor: crate::domain::Actor,
    attempt: &Attempt,
    files: &[EvidenceFile],
) -> Result<u64, Problem> {
    let (name, body) = payload(attempt, &[])?;
    let mut command = Command::from_payload(name, &body)?;
    let options = CommandOptions { command_id: Some(idempotency_key(key_of(attempt))?), ..CommandOptions::default() };
    if !files.is_empty() && crate::service::role_may_issue(&actor, &command) {
        let digests = store_evidence(site, &actor, files)?;
        let (name, body) = payload(attempt, &digests)?;
        command = Command::from_payload(name, &body)?;
    }
    let executed = site.app.service.execute(actor, &command, options)?;
    Ok(executed.last_seq)
}

/// What became of a form: recorded (the event's number), or refused with the page drawn again.
enum Outcome {
    Recorded(u64),
    Refused(StatusCode, Box<AppealsPage>),
    Failed(Refusal),
}

/// The one way every form of the page records, its body already read whole: the CSRF token checked
/// before anything, the reader judged, then its files stored and the command decided off the async
/// threads; a 303 to the page with the event's number, or the page again with the refusal beside the
/// form and the status the API would give.
async fn submit(
    site: SiteState,
    headers: HeaderMap,
    uri: Uri,
    csrf: Option<String>,
    attempt: Option<Attempt>,
    files: Vec<EvidenceFile>,
) -> Response {
    let t = crate::site::words(&headers);
    let Some(current) = current(&site, &headers) else { return csrf_refused(t) };
    if !session::csrf_matches(&current.session, csrf.as_deref()) {
        return csrf_refused(t);
    }
    let mut signed_in = match page_reader(&site, &headers, &uri) {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    // The page drawn again after a refusal is the appeals page (the language switch returns there).
    signed_in.here = "/appeals".to_owned();
    let visitor = signed_in.visitor();
    let Some(attempt) = attempt else {
        return refusal_page(Refusal::Invalid("form: malformed".to_owned()), &visitor);
    };
    let reader = signed_in.reader.clone();
    let actor = match &reader {
        Reader::Token(actor) => actor.clone(),
        // The local read token acts as the API's local reader (an auditor): the domain refuses it.
        Reader::Local => crate::http::auth::local_reader(),
    };
    let worker = site.clone();
    let files_dropped = !files.is_empty();
    // A form decides as an API command does: in one of the few places on blocking threads.
    let deciding = match site.app.deciding.clone().acquire_owned().await {
        Ok(place) => place,
        Err(closed) => return failure(t, &closed),
    };
    let outcome = tokio::task::spawn_blocking(move || match record(&worker, actor, &attempt, &files) {
        Ok(seq) => Outcome::Recorded(seq),
        Err(problem) if problem.status >= 500 => Outcome::Failed(Refusal::Failure(problem.detail)),
        Err(problem) => {
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
            let (field, message) = (problem.field.unwrap_or_default(), problem.detail);
            let error = FormError { field, message, files_dropped };
            match appeals_page(&worker, &reader, &AppealsQuery::default(), Some((attempt, error)), t) {
                Ok(page) => Outcome::Refused(status, Box::new(page)),
                Err(refusal) => Outcome::Failed(refusal),
            }
        }
    })
    .await;
    drop(deciding);
    match outcome {
        Err(error) => failure(t, &error),
        Ok(Outcome::Recorded(seq)) => {
            // The page it redirects to reads what was written.
            site.app.read_models.folded(seq).await;
            Redirect::to(&format!("/appeals?recorded={seq}")).into_response()
        }
        Ok(Outcome::Refused(status, page)) => html_response(status, render(t, &page, &visitor)),
        Ok(Outcome::Failed(refusal)) => refusal_page(refusal, &visitor),
    }
}

/// A form's fields: the CSRF token it carries, and what it asks to record.
pub trait FormFields: serde::de::DeserializeOwned + Send + 'static {
    fn split(self) -> (Option<String>, Attempt);
}

impl FormFields for FileFields {
    fn split(self) -> (Option<String>, Attempt) {
        let attempt = Attempt::File {
            target: field(self.target),
            deduction: field(self.deduction),
            tier_award: field(self.tier_award),
            attribution: field(self.attribution),
            grounds: field(self.grounds),
            key: field(self.key),
        };
        (self.csrf, attempt)
    }
}

impl FormFields for DecideFields {
    fn split(self) -> (Option<String>, Attempt) {
        let attempt = Attempt::Decide {
            appeal: field(self.appeal),
            outcome: field(self.outcome),
            points: field(self.points),
            reasoning: field(self.reasoning),
            key: field(self.key),
        };
        (self.csrf, attempt)
    }
}

impl FormFields for WithdrawFields {
    fn split(self) -> (Option<String>, Attempt) {
        let attempt =
            Attempt::Withdraw { appeal: field(self.appeal), reason: field(self.reason), key: field(self.key) };
        (self.csrf, attempt)
    }
}

impl FormFields for EscalateFields {
    fn split(self) -> (Option<String>, Attempt) {
        let attempt =
            Attempt::Escalate { appeal: field(self.appeal), grounds: field(self.grounds), key: field(self.key) };
        (self.csrf, attempt)
    }
}

/// `POST /appeals/withdrawal` (`WithdrawFields`: one of the reader's unit's appeals still waiting,
/// withdrawn): an urlencoded form, within `SITE_FORM_BYTES_MAX` (the router's limit); one that does
/// not decode carries no CSRF token the page could check (403).
pub async fn post_form<F: FormFields>(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<F>, FormRejection>,
) -> Response {
    let (csrf, attempt) = match form {
        Ok(Form(fields)) => {
            let (csrf, attempt) = fields.split();
            (csrf, Some(attempt))
        }
        Err(_) => (None, None),
    };
    submit(site, headers, uri, csrf, attempt, Vec::new()).await
}

/// Why a form's body was not read.
enum Unread {
    /// Over the limit (in bytes) of its kind of form.
    TooLarge(usize),
    /// Not a form of this route (it carries no CSRF token the page could check).
    Malformed,
}

/// Whether the request says it carries `multipart/form-data`.
fn is_multipart(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    content_type.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads a form's whole body: `multipart/form-data` within `SITE_UPLOAD_BYTES_MAX` (the route's
/// `DefaultBodyLimit`) — its text fields, each once, and the files of its `evidence` input, an input
/// left empty (a part with no file name and no bytes) being no file —, or an urlencoded form within
/// `SITE_FORM_BYTES_MAX`, as every other form of the site.
async fn read_form<F: FormFields>(request: Request) -> Result<(F, Vec<EvidenceFile>), Unread> {
    if !is_multipart(request.headers()) {
        let (parts, body) = request.into_parts();
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| Unread::Malformed)?;
            if bytes.len() + chunk.len() > SITE_FORM_BYTES_MAX {
                return Err(Unread::TooLarge(SITE_FORM_BYTES_MAX));
            }
            bytes.extend_from_slice(&chunk);
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        let Form(fields) = Form::<F>::from_request(request, &()).await.map_err(|_| Unread::Malformed)?;
        return Ok((fields, Vec::new()));
    }
    let unread = |error: axum::extract::multipart::MultipartError| match error.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Unread::TooLarge(SITE_UPLOAD_BYTES_MAX),
        _ => Unread::Malformed,
    };
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|_| Unread::Malformed)?;
    let mut fields = serde_json::Map::new();
    let mut files = Vec::new();
    while let Some(part) = multipart.next_field().await.map_err(unread)? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == "evidence" {
            let file_name = part.file_name().unwrap_or_default().to_owned();
            let content_type = part.content_type().map(str::to_owned);
            let bytes = part.bytes().await.map_err(unread)?;
            if !(file_name.is_empty() && bytes.is_empty()) {
                files.push(EvidenceFile { name: file_name, content_type, bytes });
            }
        } else {
            let text = part.text().await.map_err(unread)?;
            if fields.insert(name, Value::String(text)).is_some() {
                return Err(Unread::Malformed);
            }
        }
    }
    let fields = serde_json::from_value(Value::Object(fields)).map_err(|_| Unread::Malformed)?;
    Ok((fields, files))
}

/// How large a form's files may be together, in whole megabytes (the words say `{megabytes}`): a
/// document at its largest, the form's text aside.
fn evidence_megabytes() -> String {
    (DOCUMENT_BYTES_MAX / (1024 * 1024)).to_string()
}

/// The answer to a form over its limit: 413, with a page saying so (nothing was stored or recorded;
/// the CSRF token was not reached).
fn too_large(site: &SiteState, headers: &HeaderMap, uri: &Uri, limit: usize) -> Response {
    let t = crate::site::words(headers);
    let words = t.appeal_page;
    let intro = words.too_large_intro.replace("{megabytes}", &evidence_megabytes());
    let detail = format!("body: larger than the {limit} bytes this form may have");
    let mut signed_in = page_reader(site, headers, uri).ok();
    if let Some(signed_in) = signed_in.as_mut() {
        signed_in.here = "/appeals".to_owned();
    }
    let visitor = signed_in.as_ref().map(|signed_in| signed_in.visitor());
    let page = pages::message(t, words.too_large_title, &intro, Some(&detail), visitor.as_ref());
    html_response(StatusCode::PAYLOAD_TOO_LARGE, page)
}

/// `POST /appeals/file` (`FileFields`: an appeal against a deduction, a tier award or a cause
/// attribution), `POST /appeals/decision` (`DecideFields`: a decision on an appeal of the queue) and
/// `POST /appeals/escalation` (`EscalateFields`: a decided one taken to the committee), each with the
/// evidence files its form carries: `multipart/form-data` as the page draws them, or urlencoded
/// without files. The body is read whole before anything else (over its limit: 413).
pub async fn post_with_evidence<F: FormFields>(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    request: Request,
) -> Response {
    match read_form::<F>(request).await {
        Err(Unread::TooLarge(limit)) => too_large(&site, &headers, &uri, limit),
        Err(Unread::Malformed) => submit(site, headers, uri, None, None, Vec::new()).await,
        Ok((fields, files)) => {
            let (csrf, attempt) = fields.split();
            submit(site, headers, uri, csrf, Some(attempt), files).await
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The template.

/// A refusal beside a form: the field it names and the domain's message.
fn form_error(t: &AppealsText, error: Option<&FormError>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.error.form-error role="alert" data-field=(error.field) { (t.refused) (error.message) }
        }
    }
}

fn hidden(csrf: &str, key: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="key" value=(key);
    }
}

/// The file input of a form that carries evidence: the allowed types, how many files and how large,
/// and (drawn again after a refusal of a form that carried files) that the files chosen were not kept.
fn evidence_input(t: &AppealsText, error: Option<&FormError>) -> Markup {
    let dropped = error.is_some_and(|error| error.files_dropped);
    let accept = allowed_types().collect::<Vec<_>>().join(",");
    let hint = t
        .evidence_hint
        .replace("{files}", &SITE_EVIDENCE_FILES_MAX.to_string())
        .replace("{megabytes}", &evidence_megabytes());
    html! {
        label.evidence { (t.evidence_label)
            input type="file" name="evidence" multiple accept=(accept);
            small.hint { (hint) }
            @if dropped { strong.evidence-again data-evidence-again { (t.evidence_again) } }
        }
    }
}

fn file_section(top: &Text, form: &FileForm, csrf: &str) -> Markup {
    let t = top.appeal_page;
    let targets = TARGET_KINDS.into_iter().zip([t.target_deduction, t.target_tier_award, t.target_attribution]);
    html! {
        section.card #file-appeal {
            h2 { (t.file_title) }
            p.muted { (t.file_intro) }
            (form_error(t, form.error.as_ref()))
            form.record method="post" action="/appeals/file" enctype="multipart/form-data" {
                (hidden(csrf, &form.key))
                label { (t.target)
                    select #target name="target" {
                        @for (value, label) in targets {
                            option value=(value) selected[form.target == value] { (label) }
                        }
                    }
                }
                label { (t.deduction_label)
                    input #deduction type="text" name="deduction" value=(form.deduction) placeholder=(t.deduction_hint);
                }
                label { (t.tier_award_label)
                    input #tier-award type="text" name="tier_award" value=(form.tier_award)
                        placeholder=(t.deduction_hint);
                }
                label { (t.attribution_label)
                    input #attribution type="text" name="attribution" value=(form.attribution)
                        placeholder=(t.deduction_hint);
                }
                p.muted.target-hint { (t.target_hint) }
                label { (t.grounds_label)
                    textarea #grounds name="grounds" rows="4" required { (form.grounds) }
                }
                (evidence_input(t, form.error.as_ref()))
                button type="submit" { (t.file_button) }
            }
        }
    }
}

fn decide_section(top: &Text, appeal: &str, form: &DecideForm, csrf: &str) -> Markup {
    let t = top.appeal_page;
    let outcomes =
        [("upheld", top.verdict_upheld), ("partial", top.verdict_partial), ("dismissed", top.verdict_dismissed)];
    html! {
        (form_error(t, form.error.as_ref()))
        form.record.decide method="post" action="/appeals/decision" data-appeal=(appeal)
            enctype="multipart/form-data" {
            (hidden(csrf, &form.key))
            input type="hidden" name="appeal" value=(appeal);
            label { (t.outcome_label)
                select name="outcome" required {
                    option value="" selected[form.outcome.is_empty()] { (t.choose_outcome) }
                    @for (value, label) in outcomes {
                        option value=(value) selected[form.outcome == value] { (label) }
                    }
                }
            }
            label { (t.points_label)
                input type="text" name="points" value=(form.points) placeholder=(t.points_hint) inputmode="decimal";
            }
            label { (t.reasoning_label)
                textarea name="reasoning" rows="3" required { (form.reasoning) }
            }
            (evidence_input(t, form.error.as_ref()))
            button type="submit" { (t.decide_button) }
        }
    }
}

fn withdraw_section(t: &AppealsText, appeal: &str, form: &TextForm, csrf: &str) -> Markup {
    html! {
        (form_error(t, form.error.as_ref()))
        form.record.withdraw method="post" action="/appeals/withdrawal" data-appeal=(appeal) {
            (hidden(csrf, &form.key))
            input type="hidden" name="appeal" value=(appeal);
            label { (t.withdraw_reason_label)
                input type="text" name="reason" value=(form.text) required;
            }
            button.quiet type="submit" { (t.withdraw_button) }
        }
    }
}

fn escalate_section(t: &AppealsText, appeal: &str, form: &TextForm, csrf: &str) -> Markup {
    html! {
        (form_error(t, form.error.as_ref()))
        form.record.escalate method="post" action="/appeals/escalation" data-appeal=(appeal)
            enctype="multipart/form-data" {
            (hidden(csrf, &form.key))
            input type="hidden" name="appeal" value=(appeal);
            label { (t.escalate_grounds_label)
                textarea name="grounds" rows="2" required { (form.text) }
            }
            (evidence_input(t, form.error.as_ref()))
            button type="submit" { (t.escalate_button) }
        }
    }
}

fn appeal_card(top: &Text, row: &AppealRow, csrf: &str) -> Markup {
    let t = top.appeal_page;
    html! {
        article.appeal data-appeal=(row.appeal_id) data-status=(row.status_key) {
            p.line-head {
                span.badge { (row.status) } " "
                (row.target) " · " code { (row.unit) } " " code { (row.indicator) } " · " (row.period)
            }
            dl.appeal-facts {
                div { dt { (t.appeal) } dd { code { (row.appeal_id) } } }
                div { dt { (t.appellant) } dd { (row.appellant) } }
                div { dt { (t.contested) } dd data-contested { (row.contested) } }
                div { dt { (t.due) } dd { (row.due) } }
                div { dt { (top.seq) } dd { (row.filed_seq) } }
            }
            p { strong { (t.grounds) (top.marks.colon) } span data-grounds { (row.grounds) } }
            p { strong { (t.decision) (top.marks.colon) } span data-decision { (row.decision) } }
            @if !row.evidence.is_empty() {
                div.appeal-evidence data-evidence {
                    strong { (top.evidence) (top.marks.colon) }
                    ul {
                        @for item in &row.evidence {
                            li data-step=(item.step_key) {
                                (item.step) (top.marks.colon)
                                a href=(format!("/downloads/document/{}", item.digest)) title=(item.digest)
                                    data-digest=(item.digest) { code { (item.digest[..12]) "…" } }
                            }
                        }
                    }
                }
            }
            @if let Some(form) = &row.decide { (decide_section(top, &row.appeal_id, form, csrf)) }
            @if let Some(form) = &row.withdraw { (withdraw_section(t, &row.appeal_id, form, csrf)) }
            @if let Some(form) = &row.escalate { (escalate_section(t, &row.appeal_id, form, csrf)) }
        }
    }
}

fn list_section(top: &Text, id: &str, title: &str, empty: &str, rows: &[AppealRow], csrf: &str) -> Markup {
    html! {
        section.card id=(id) {
            h2 { (title) }
            @if rows.is_empty() {
                p.muted { (empty) }
            }
            @for row in rows { (appeal_card(top, row, csrf)) }
        }
    }
}

pub fn render(top: &Text, page: &AppealsPage, visitor: &Visitor<'_>) -> String {
    let t = top.appeal_page;
    let content = html! {
        h1 { (t.title) }
        section.card {
            p { (page.intro) }
            p.muted { (page.standing) }
            @if let Some(notice) = &page.notice {
                p.notice role="status" #recorded { (notice) }
            }
            (form_error(t, page.error_elsewhere.as_ref()))
        }
        @if let Some(form) = &page.file { (file_section(top, form, visitor.csrf)) }
        @if let Some(rows) = &page.mine {
            (list_section(top, "my-appeals", t.mine_title, t.no_appeals, rows, visitor.csrf))
        }
        @if let Some(rows) = &page.queue {
            (list_section(top, "appeal-queue", t.queue_title, t.no_queue, rows, visitor.csrf))
        }
        @if let Some(rows) = &page.decided {
            (list_section(top, "decided-appeals", t.decided_title, t.no_decided, rows, visitor.csrf))
        }
    };
    pages::frame(top, t.title, Some(visitor), Place::Appeals, Scripts::None, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_as_people_type_them() {
        assert_eq!(points_typed("1"), Ok(100));
        assert_eq!(points_typed("1.5"), Ok(150));
        assert_eq!(points_typed(" 0.25 "), Ok(25));
        for bad in ["", "1.", ".5", "1.234", "-1", "一", "1e2"] {
            assert!(points_typed(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_role_sees_the_forms_the_domain_lets_it_use() {
        use crate::domain::Role;
        let actor = |role| {
            Reader::Token(crate::domain::Actor {
                id: "someone".to_owned(),
                role,
                unit: crate::domain::UnitCode::new("YS07").expect("a code"),
            })
        };
        assert!(may_file(&actor(Role::Appellant)) && !may_decide(&actor(Role::Appellant)));
        assert!(may_decide(&actor(Role::Reviewer)) && !may_file(&actor(Role::Reviewer)));
        assert!(!may_file(&actor(Role::Office)) && !may_decide(&actor(Role::Office)));
        assert!(!may_file(&Reader::Local) && !may_decide(&Reader::Local));
    }
}
