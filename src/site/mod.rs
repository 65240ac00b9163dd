//! The web site, served by the same binary and port as the API (`serve`, `demo --serve`): an adapter
//! like http/ and cli/, reading through the service alone and judging every page with the service's
//! `may_read`, as the API judges every read; the appeals page also records, submitting commands through
//! the service's entry point as the API's command routes do.
//!
//! - `GET /` — the overview (a scheme's ranking with tiers for a period, as of a date) for a signed-in
//!   reader; the sign-in page otherwise. `GET /sign-in`, `POST /sign-in`, `POST /sign-out`.
//! - `GET /unit?unit=…` — a unit against its peers, its trend across the year, its lost points by
//!   indicator with their reasons, its repeat problems (`unit`).
//! - `GET /register?…` — the deduction register, filtered and paged (`register`).
//! - `GET /audit` — the chain head, the latest signed checkpoint, a verification run (`verify=true`),
//!   the export, and how to check them independently (`audit`).
//! - `GET /trace?unit=…&period=…` — every lost point down to its events, each with its inclusion proof
//!   checked against the signed checkpoint, the lines' sum beside the ranking's figure (`trace`).
//! - `GET /replay?scheme=…&period=…&as_of=…&from=…` — a ranking as it stood on any day, and what moved
//!   it between two days (`replay`).
//! - `GET /person?person=…&period=…` — a person's indicators, scorecard, weekly records and reviews
//!   (a `person` token: its own person only); `GET /grades?unit=…&period=…` — a county's individual
//!   ranking and annual grades; `GET /result-uses?unit=…&changed=true` — the uses of results and
//!   whether their basis still holds (`people`).
//! - `GET /appeals?deduction=…&tier_award=…&attribution=…` — appeals (申诉): the reader's unit's
//!   appeals with the evidence they cite and a form to file one against a deduction, a tier award or a
//!   cause attribution (a role that files), or the queue waiting for a decision with a form to decide
//!   each (a role that decides); `POST /appeals/file`, `POST /appeals/decision` and
//!   `POST /appeals/escalation` (`multipart/form-data` with evidence files, stored through the
//!   service's documents, at most `SITE_UPLOAD_BYTES_MAX`; or urlencoded) and
//!   `POST /appeals/withdrawal` (urlencoded) record them through the service (`appeals`) — the only
//!   pages that write.
//! - `GET /downloads/bundle?…` — the trace's proof bundle for `tools/verifier`;
//!   `GET /downloads/document/{digest}` — an evidence document a trace or an appeal cites.
//! - `GET /downloads/ranking|register?…&format=csv|xlsx` — the overview's ranking, the filtered
//!   register, as spreadsheets; `GET /downloads/checkpoint`, `GET /downloads/export` — the signed
//!   checkpoint and the whole chain, for `tools/verifier`.
//! - `GET /documents` — the documents (文书) of a group and period: the bulletin (通报), the horizontal
//!   comparison table (横向比较情况表) and the analysis report (分析报告) under `/documents/…`, each
//!   printable on A4 with a footer naming the chain position it was read at; the bulletin and the
//!   table also as `GET /downloads/bulletin|horizontal?…&format=csv|xlsx` (`documents`).
//! - `GET /language?to=en|zh&back=/…` — the reader's language, kept in a cookie (`kpi_lang`), and
//!   back to the page it was chosen on (a path of this site only). Every page and download is drawn
//!   in it: the words and punctuation of `text::ZH` or `text::EN`; the ledger's data as recorded.
//! - `GET /assets/{name}` — the site's files under content-hash names, cached for a year.
//!
//! Invariant: every page is sent with a strict Content-Security-Policy (`script-src 'self'`, no inline
//! script or style), `X-Frame-Options: DENY`, `nosniff`, no referrer and `Cache-Control: no-store`;
//! every POST carries the session's CSRF token or is refused (403) before anything is done (a form
//! with files is read whole, within its limit, first, and none of its files is stored before the
//! token is checked); every POST body is bounded (`SITE_FORM_BYTES_MAX`, or `SITE_UPLOAD_BYTES_MAX`
//! on the three routes whose forms carry evidence files; over it, 413); a page
//! shows only what the reader's token may read (`may_read`, asked with the same `ReadTarget` the API's
//! route for the same answer declares), and refuses the rest with 403. The site's answers are
//! compressed (gzip or brotli, as the browser accepts).

pub mod assets;
pub mod pages;
pub mod request;
pub mod session;
pub mod text;

mod appeals;
mod audit;
mod documents;
mod overview;
mod people;
mod register;
mod replay;
pub mod trace;
mod unit;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use tower_http::compression::CompressionLayer;

use crate::domain::TokenHash;
use crate::http::AppState;
use crate::service::queries::Reader;
use crate::service::tokens::token_hash;
use crate::tabular::Lang;
use session::{Session, Sessions, Signed};
use text::Text;

/// The Content-Security-Policy of every page: the site's own scripts, styles, images and fonts only,
/// no inline script or style, no frames, forms only to the site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// What the site's handlers reach: the API's state (the service, the read models) and the sessions.
#[derive(Clone)]
pub struct SiteState {
    pub app: AppState,
    pub sessions: Arc<Sessions>,
    /// The last full verification a reader ran from the audit page, shown until the next one.
    pub last_verification: Arc<std::sync::Mutex<Option<audit::VerificationRun>>>,
}

/// The API and the site as one router, for `serve`, `demo --serve` and the tests.
pub fn app(state: AppState) -> Router {
    app_with_sessions(state, Arc::default())
}

/// As `app`, with a session table the caller keeps (a test counts its sessions).
pub fn app_with_sessions(state: AppState, sessions: Arc<Sessions>) -> Router {
    let site = SiteState { app: state.clone(), sessions, last_verification: Arc::default() };
    let pages = Router::new()
        .route("/", get(overview::page))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/language", get(switch_language))
        .route("/unit", get(unit::page))
        .route("/register", get(register::page))
        .route("/audit", get(audit::page))
        .route("/trace", get(trace::page))
        .route("/replay", get(replay::page))
        .route("/person", get(people::person_page))
        .route("/grades", get(people::grades_page))
        .route("/result-uses", get(people::result_uses_page))
        .route("/appeals", get(appeals::page))
        .route("/appeals/file", post(appeals::post_with_evidence::<appeals::FileFields>).layer(upload_limit()))
        .route("/appeals/decision", post(appeals::post_with_evidence::<appeals::DecideFields>).layer(upload_limit()))
        .route("/appeals/withdrawal", post(appeals::post_form::<appeals::WithdrawFields>))
        .route(
            "/appeals/escalation",
            post(appeals::post_with_evidence::<appeals::EscalateFields>).layer(upload_limit()),
        )
        .route("/downloads/bundle", get(trace::bundle_download))
        .route("/downloads/document/{digest}", get(trace::document_download))
        .route("/documents", get(documents::index))
        .route("/documents/bulletin", get(documents::bulletin_page))
        .route("/documents/horizontal", get(documents::table_page))
        .route("/documents/analysis", get(documents::analysis_page))
        .route("/downloads/bulletin", get(documents::bulletin_download))
        .route("/downloads/horizontal", get(documents::table_download))
        .route("/downloads/ranking", get(overview::download))
        .route("/downloads/register", get(register::download))
        .route("/downloads/checkpoint", get(audit::checkpoint_download))
        .route("/downloads/export", get(audit::export_download))
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .layer(DefaultBodyLimit::max(crate::limits::SITE_FORM_BYTES_MAX))
        .layer(axum::middleware::from_fn(protect))
        .layer(CompressionLayer::new())
        .with_state(site);
    crate::http::router(state).merge(pages)
}

/// The body limit of the three forms that carry evidence files (`SITE_UPLOAD_BYTES_MAX`), set on
/// their routes inside the router's `SITE_FORM_BYTES_MAX`, which every other route keeps.
fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(crate::limits::SITE_UPLOAD_BYTES_MAX)
}

/// The headers every answer of the site carries; pages (anything not already cacheable) are never
/// stored.
async fn protect(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The words of the pages in the language the reader chose (the switch in the bar sets it).
pub(crate) fn words(headers: &HeaderMap) -> &'static Text {
    text::text(session::language(headers))
}

/// An HTML page with its status.
fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// A request's session, as the table holds it: its id and entry.
struct Current {
    id: String,
    session: Session,
}

fn current(site: &SiteState, headers: &HeaderMap) -> Option<Current> {
    let id = session::cookie_id(headers)?;
    let session = site.sessions.touch(&id)?;
    Some(Current { id, session })
}

/// The reader a signed-in session stands for, judged now; `None` (and the session closed) when its
/// token no longer acts.
fn reader(site: &SiteState, current: &Current, t: &Text) -> Option<(Reader, String)> {
    let judged = match &current.session.signed {
        Signed::Nobody => None,
        Signed::Local => site.app.local_read_token_hash.is_some().then(|| (Reader::Local, t.local_reader.to_owned())),
        Signed::Token(hash) => {
            site.app.read_models.token_actor(hash, site.app.service.clock().now()).ok().map(|actor| {
                let role = format!("{}{}{}", t.role(actor.role), t.marks.comma, actor.unit);
                let label = format!("{}{}", actor.id, t.marks.paren(role));
                (Reader::Token(actor), label)
            })
        }
    };
    if judged.is_none() && current.session.signed != Signed::Nobody {
        site.sessions.close(&current.id);
    }
    judged
}

fn tls(headers: &HeaderMap, uri: &Uri) -> bool {
    session::over_tls(headers, uri.scheme_str() == Some("https"))
}

/// The sign-in page with a fresh form session (or the visitor's own, if it has one), with `message`.
fn sign_in_response(
    site: &SiteState,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let t = words(headers);
    if let Some(current) = current(site, headers).filter(|current| current.session.signed == Signed::Nobody) {
        return html(status, pages::sign_in(t, &current.session.csrf, message));
    }
    match site.sessions.open(Signed::Nobody) {
        Ok((id, session)) => {
            let mut response = html(status, pages::sign_in(t, &session.csrf, message));
            response.headers_mut().append(header::SET_COOKIE, session::set_cookie(&id, tls(headers, uri)));
            response
        }
        Err(error) => failure(t, &error),
    }
}

/// A server fault: logged in full, a plain page outward.
fn failure(t: &Text, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "site request failed");
    html(StatusCode::INTERNAL_SERVER_ERROR, pages::message(t, t.error_title, t.error_intro, None, None))
}

/// The refusal of a POST without the session's CSRF token.
fn csrf_refused(t: &Text) -> Response {
    html(StatusCode::FORBIDDEN, pages::message(t, t.csrf_title, t.csrf_intro, None, None))
}

/// `GET /sign-in`.
async fn sign_in_page(State(site): State<SiteState>, headers: HeaderMap, uri: Uri) -> Response {
    sign_in_response(&site, &headers, &uri, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
struct SignInForm {
    token: Option<String>,
    csrf: Option<String>,
}

/// `POST /sign-in`: the form's CSRF token must be its session's; a token that acts opens a new
/// session (a new id: the form's session ends) and goes to the overview (a `person` token: to its own
/// page).
async fn sign_in(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let t = words(&headers);
    let Some(current) = current(&site, &headers) else { return csrf_refused(t) };
    let Ok(Form(form)) = form else { return csrf_refused(t) };
    if !session::csrf_matches(&current.session, form.csrf.as_deref()) {
        return csrf_refused(t);
    }
    let token = form.token.unwrap_or_default();
    let token = token.trim();
    let hashed = token_hash(token);
    let signed = if site.app.local_read_token_hash.as_deref() == Some(hashed.as_str()) && !token.is_empty() {
        Some(Signed::Local)
    } else {
        TokenHash::parse(&hashed)
            .ok()
            .filter(|hash| site.app.read_models.token_actor(hash, site.app.service.clock().now()).is_ok())
            .map(Signed::Token)
    };
    let Some(signed) = signed.filter(|_| !token.is_empty()) else {
        return sign_in_response(&site, &headers, &uri, StatusCode::UNAUTHORIZED, Some(t.sign_in_refused));
    };
    site.sessions.close(&current.id);
    // A `person` token reads only its own data: it starts on its own page, not the overview.
    let start = match &signed {
        Signed::Token(hash) => site
            .app
            .read_models
            .token_actor(hash, site.app.service.clock().now())
            .is_ok_and(|actor| actor.role == crate::domain::Role::Person),
        _ => false,
    };
    match site.sessions.open(signed) {
        Ok((id, _)) => {
            let mut response = Redirect::to(if start { "/person" } else { "/" }).into_response();
            response.headers_mut().append(header::SET_COOKIE, session::set_cookie(&id, tls(&headers, &uri)));
            response
        }
        Err(error) => failure(t, &error),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /sign-out`: with the session's CSRF token, ends the session and forgets the cookie.
async fn sign_out(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let t = words(&headers);
    let Some(current) = current(&site, &headers) else { return csrf_refused(t) };
    let csrf = form.ok().and_then(|Form(form)| form.csrf);
    if !session::csrf_matches(&current.session, csrf.as_deref()) {
        return csrf_refused(t);
    }
    site.sessions.close(&current.id);
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(header::SET_COOKIE, session::clear_cookie(tls(&headers, &uri)));
    response
}

#[derive(serde::Deserialize)]
struct LanguageQuery {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /language?to=en|zh&back=/path?query`: keeps the reader's choice of language in a cookie and
/// goes back to the page it was chosen on (a path of this site only: anything else goes to `/`). It
/// records nothing and reads nothing, so it needs neither a session nor a CSRF token.
async fn switch_language(
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<LanguageQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|Query(query)| query).unwrap_or(LanguageQuery { to: None, back: None });
    let lang = match query.to.as_deref() {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => {
            let t = words(&headers);
            let detail = "to: expected en or zh";
            return html(StatusCode::BAD_REQUEST, pages::message(t, t.bad_request_title, "", Some(detail), None));
        }
    };
    let back = query.back.filter(|back| local_path(back)).unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(header::SET_COOKIE, session::language_cookie(lang, tls(&headers, &uri)));
    response
}

/// Whether `target` is a path on this site (`/…`, not `//host` or `/\host`, which browsers read as
/// another site), so a redirect to it cannot leave the site.
fn local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.starts_with("/\\")
        && !target.chars().any(|c| c.is_control() || c == '\\')
}
