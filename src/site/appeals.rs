//! The appeals page (申诉, `GET /appeals?deduction=…`), the first page that records: a reader whose
//! role files appeals sees what its unit filed (as `/v1/my-appeals` answers it) and a form to file one
//! against a deduction (preselected by `?deduction=`, the link beside each deduction of the register
//! and the trace), may withdraw one still waiting and escalate a decided one to the committee while its
//! window is open; a reader whose role decides appeals sees the
//! queue (as `/v1/appeal-queue` answers it) with a form per appeal to decide it (upheld, partial with
//! the points restored, dismissed, and the reasoning), and the decided appeals below it (the same
//! read with `status=decided`); any other reader sees both, read only.
//! `POST /appeals/file`, `/appeals/decision`, `/appeals/withdrawal` and `/appeals/escalation` record.
//!
//! Invariant: a POST is refused (403) before anything happens unless it carries the session's CSRF
//! token; its actor is the signed-in token's (never a form field), judged again as every request is;
//! its command is built from the form as the API builds it from a body (`Command::from_payload`) and
//! submitted through the service's entry point with the form's idempotency key (made when the form was
//! drawn: a second submit records nothing new), off the async threads. Who may record what is the
//! domain's to decide: the site only chooses which forms to draw (`allowed_roles`) and shows a
//! refusal with the status and the field the API would answer, beside the form, the ledger unchanged.
//! The lists are read after the same `may_read`, with the same `ReadTarget`, as the API's routes.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde_json::{json, Value};

use crate::domain::appeal::{AppealStage, AppealTarget, AppealVerdict};
use crate::domain::command::{DecideAppeal, EscalateAppeal, FileAppeal};
use crate::domain::{AppealId, Command, DeductionId, Points};
use crate::http::problem::Problem;
use crate::limits::COMMAND_ID_BYTES_MAX;
use crate::projection::appeal_queue::{AppealStatus, AppealStep, QueuedAppeal, StatusFilter};
use crate::projection::AsOf;
use crate::service::queries::{AppealFilter, ReadTarget, Reader};
use crate::service::CommandOptions;
use crate::site::pages::{self, Place, Scripts, Visitor};
use crate::site::request::{blocking_page, page_reader, refusal_page, standing_text, Refusal};
use crate::site::text::{AppealsText, Text};
use crate::site::{csrf_refused, current, failure, html as html_response, session, SiteState};

/// The page's question: a deduction to preselect, and the event a recording just made (the notice).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AppealsQuery {
    deduction: Option<String>,
    recorded: Option<String>,
}

/// A refusal of a form, as the API would answer it: the field and the domain's message.
#[derive(Clone, Debug)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

/// The filing form: what it holds (what was typed, when it is drawn again after a refusal).
pub struct FileForm {
    pub key: String,
    pub deduction: String,
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
    File { deduction: String, grounds: String, key: String },
    Decide { appeal: String, outcome: String, points: String, reasoning: String, key: String },
    Withdraw { appeal: String, reason: String, key: String },
    Escalate { appeal: String, grounds: String, key: String },
}

/// Whether the domain lets the reader's role issue `command` at all (its scope and the appeal's
/// state are the domain's to judge when the form is sent).
fn may_issue(reader: &Reader, command: &Command) -> bool {
    match reader {
        Reader::Token(actor) => crate::domain::allowed_roles(command).contains(&actor.role),
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
        Some((Attempt::File { deduction, grounds, key }, error)) => {
            FileForm { key, deduction, grounds, error: Some(error) }
        }
        other => {
            attempt = other;
            FileForm {
                key: new_key(),
                deduction: query.deduction.clone().unwrap_or_default().trim().to_owned(),
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
    deduction: Option<String>,
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

/// The command's payload from a form, as the API's body would carry it; a typed amount the page
/// cannot read is refused naming its field.
fn payload(attempt: &Attempt) -> Result<(&'static str, Value), Problem> {
    Ok(match attempt {
        Attempt::File { deduction, grounds, .. } => {
            // An id that is no id is named here: inside the tagged target, the decoder can only say `payload`.
            let deduction = deduction.trim();
            if uuid::Uuid::parse_str(deduction).is_err() {
                let message = format!("target.deduction_id: expected a deduction's id (a UUID), got {deduction:?}");
                return Err(Problem::bad_request("invalid_command", "target.deduction_id", message));
            }
            ("FileAppeal", json!({"target": {"kind": "deduction", "deduction_id": deduction}, "grounds": grounds}))
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
            ("DecideAppeal", json!({"appeal_id": appeal.trim(), "outcome": outcome, "reasoning": reasoning}))
        }
        Attempt::Withdraw { appeal, reason, .. } => {
            ("WithdrawAppeal", json!({"appeal_id": appeal.trim(), "reason": reason}))
        }
        Attempt::Escalate { appeal, grounds, .. } => {
            ("EscalateAppeal", json!({"appeal_id": appeal.trim(), "grounds": grounds}))
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

/// Decides `attempt` as `actor` through the service and waits until it is durable and folded into the
/// read models (the page it redirects to reads what was written); the sequence number of its last
/// event. Blocking: run off the async threads.
fn record(site: &SiteState, actor: crate::domain::Actor, attempt: &Attempt) -> Result<u64, Problem> {
    let (name, payload) = payload(attempt)?;
    let command = Command::from_payload(name, &payload)?;
    let options = CommandOptions { command_id: Some(idempotency_key(key_of(attempt))?), ..CommandOptions::default() };
    let executed = site.app.service.execute(actor, &command, options)?;
    site.app.read_models.wait_until_folded(executed.last_seq);
    Ok(executed.last_seq)
}

/// What became of a form: recorded (the event's number), or refused with the page drawn again.
enum Outcome {
    Recorded(u64),
    Refused(StatusCode, Box<AppealsPage>),
    Failed(Refusal),
}

/// The one way every form of the page records: the CSRF token checked before anything, the reader
/// judged, then the command decided off the async threads; a 303 to the page with the event's number,
/// or the page again with the refusal beside the form and the status the API would give.
async fn submit(
    site: SiteState,
    headers: HeaderMap,
    uri: Uri,
    csrf: Option<String>,
    attempt: Result<Attempt, FormRejection>,
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
    let Ok(attempt) = attempt else {
        return refusal_page(Refusal::Invalid("form: malformed".to_owned()), &visitor);
    };
    let reader = signed_in.reader.clone();
    let actor = match &reader {
        Reader::Token(actor) => actor.clone(),
        // The local read token acts as the API's local reader (an auditor): the domain refuses it.
        Reader::Local => crate::http::auth::local_reader(),
    };
    let worker = site.clone();
    let outcome = tokio::task::spawn_blocking(move || match record(&worker, actor, &attempt) {
        Ok(seq) => Outcome::Recorded(seq),
        Err(problem) if problem.status >= 500 => Outcome::Failed(Refusal::Failure(problem.detail)),
        Err(problem) => {
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
            let error = FormError { field: problem.field.unwrap_or_default(), message: problem.detail };
            match appeals_page(&worker, &reader, &AppealsQuery::default(), Some((attempt, error)), t) {
                Ok(page) => Outcome::Refused(status, Box::new(page)),
                Err(refusal) => Outcome::Failed(refusal),
            }
        }
    })
    .await;
    match outcome {
        Err(error) => failure(t, &error),
        Ok(Outcome::Recorded(seq)) => Redirect::to(&format!("/appeals?recorded={seq}")).into_response(),
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
        let attempt =
            Attempt::File { deduction: field(self.deduction), grounds: field(self.grounds), key: field(self.key) };
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

/// `POST /appeals/file` (`FileFields`: an appeal against a deduction), `POST /appeals/decision`
/// (`DecideFields`: a decision on an appeal of the queue) and `POST /appeals/withdrawal`
/// (`WithdrawFields`: one of the reader's unit's appeals still waiting, withdrawn) and
/// `POST /appeals/escalation` (`EscalateFields`: a decided one taken to the committee).
pub async fn post_form<F: FormFields>(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<F>, FormRejection>,
) -> Response {
    let (csrf, attempt) = match form {
        Ok(Form(fields)) => {
            let (csrf, attempt) = fields.split();
            (csrf, Ok(attempt))
        }
        Err(rejection) => (None, Err(rejection)),
    };
    submit(site, headers, uri, csrf, attempt).await
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

fn file_section(t: &AppealsText, form: &FileForm, csrf: &str) -> Markup {
    html! {
        section.card #file-appeal {
            h2 { (t.file_title) }
            p.muted { (t.file_intro) }
            (form_error(t, form.error.as_ref()))
            form.record method="post" action="/appeals/file" {
                (hidden(csrf, &form.key))
                label { (t.deduction_label)
                    input #deduction type="text" name="deduction" value=(form.deduction) placeholder=(t.deduction_hint)
                        required;
                }
                label { (t.grounds_label)
                    textarea #grounds name="grounds" rows="4" required { (form.grounds) }
                }
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
        form.record.decide method="post" action="/appeals/decision" data-appeal=(appeal) {
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
        form.record.escalate method="post" action="/appeals/escalation" data-appeal=(appeal) {
            (hidden(csrf, &form.key))
            input type="hidden" name="appeal" value=(appeal);
            label { (t.escalate_grounds_label)
                textarea name="grounds" rows="2" required { (form.text) }
            }
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
        @if let Some(form) = &page.file { (file_section(t, form, visitor.csrf)) }
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
