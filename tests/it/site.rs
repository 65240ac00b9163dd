//! The web site in a real browser (issue 12): the site and the API served in-process on the loopback
//! over a copy of the story ledger, driven by headless Chromium through chromedriver (the
//! WebDriver client in `webdriver.rs`).
//! Each browser test signs in by pasting a token, looks at what the page shows, reads the browser's
//! console and the page's requests (no error, no failed request), checks that Chinese renders in a CJK
//! font, and leaves a screenshot in `target/screenshots/<test>.png` for a person to look at. What needs
//! no browser (the headers, CSRF refusals, the downloads) goes through the router with `oneshot`.
//! A session a test is done with is reset (no cookies, a blank page, its first window size, an empty
//! console) and handed to the next test: the run starts about two Chromiums, not one per test.
//!
//! Without chromium or chromedriver the browser tests skip themselves and say so (`SKIPPED`), or fail
//! when `KPI_LEDGER_REQUIRE_SYSTEM_TOOLS` is set (.ci/run installs both).

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use kpi_ledger::domain::Command as LedgerCommand;
use kpi_ledger::service::CommandOptions;
use kpi_ledger::site::text::ZH;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};
use tokio::sync::{Semaphore, SemaphorePermit};
use tower::ServiceExt;

use crate::http_api::Api;
use crate::webdriver::Session;

/// The unit name that must show as text, never as an element.
const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";
/// The county whose name is made hostile (a member of YS07's peer group of counties).
const HOSTILE_UNIT: &str = "YS03";

// ---------------------------------------------------------------------------------------------------
// The shared chromedriver.

/// One chromedriver for the whole module, started on first use. Its parent is a small shell that
/// waits on its stdin (held here): when this test process ends, the pipe closes and the shell ends
/// its process group — chromedriver and every Chromium it started.
struct Driver {
    url: String,
    _lifeline: Mutex<ChildStdin>,
}

static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();

/// At most two browsers at once: the machines running the tests have few cores.
static BROWSERS: Semaphore = Semaphore::const_new(2);

/// Sessions tests are done with, reset for the next (`Browser::close`): starting a Chromium costs
/// more CPU than most tests' pages, so the run starts about two and reuses them. A test that fails
/// leaves its session out; the next starts a new one.
static IDLE: Mutex<Vec<(Session, (u32, u32))>> = Mutex::new(Vec::new());

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn driver() -> Option<&'static Driver> {
    DRIVER
        .get_or_init(|| {
            let chromium = crate::support::system_tool("chromium", &["--version"], "chromium");
            let chromedriver = crate::support::system_tool("chromedriver", &["--version"], "chromium-driver");
            if !(chromium && chromedriver) {
                return None;
            }
            let port = free_port();
            let mut shell = Command::new("sh");
            shell
                .args(["-c", r#"chromedriver --port="$1" >/dev/null 2>&1 & read _; kill 0"#, "sh", &port.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut shell, 0);
            let mut child = shell.spawn().expect("sh starts chromedriver");
            let lifeline = child.stdin.take().unwrap();
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + Duration::from_secs(20);
            while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
                assert!(Instant::now() < deadline, "chromedriver did not listen on {address} within 20 s");
                std::thread::sleep(Duration::from_millis(50));
            }
            // The shell is reaped by no one; it ends with the test process.
            std::mem::forget(child);
            Some(Driver { url: format!("http://{address}"), _lifeline: Mutex::new(lifeline) })
        })
        .as_ref()
}

// ---------------------------------------------------------------------------------------------------
// The site, served.

/// The story's ledger behind the site and the API, served on the loopback.
pub(crate) struct Site {
    pub(crate) api: Api,
    pub(crate) base: String,
}

impl Site {
    /// A copy of the story, with `prepare` run on it before serving.
    pub(crate) async fn start(prepare: impl FnOnce(&Api) + Send + 'static) -> Site {
        let api = tokio::task::spawn_blocking(move || {
            let api = Api::new();
            prepare(&api);
            api
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = kpi_ledger::site::app(api.state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Site { api, base: format!("http://{address}") }
    }

    pub(crate) fn token(&self, key: &str) -> &str {
        &self.api.tokens[key]
    }
}

/// Renames `HOSTILE_UNIT` to `HOSTILE_NAME` through the service, as the story's admin.
fn rename_hostile(api: &Api) {
    let admin = fixture::story()[0].context.actor.clone();
    let rename =
        LedgerCommand::from_payload("RenameUnit", &json!({"unit": HOSTILE_UNIT, "name": HOSTILE_NAME})).unwrap();
    api.state.service.execute(admin, &rename, CommandOptions::default()).unwrap();
}

// ---------------------------------------------------------------------------------------------------
// The browser.

/// A headless Chromium session for one test, named after it (its screenshot's name).
pub(crate) struct Browser {
    pub(crate) client: Session,
    name: &'static str,
    /// The window's size when the session started, to which it is reset for the next test.
    window: (u32, u32),
    _permit: SemaphorePermit<'static>,
}

impl Browser {
    /// `None` (the test skips) when chromium or chromedriver is missing.
    pub(crate) async fn open(name: &'static str) -> Option<Browser> {
        let driver = driver()?;
        let permit = BROWSERS.acquire().await.unwrap();
        let idle = IDLE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        if let Some((client, window)) = idle {
            return Some(Browser { client, name, window, _permit: permit });
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--lang=zh-CN", "--no-first-run", "--disable-extensions",
                ],
                "prefs": {"intl.accept_languages": "zh-CN"},
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let client = Session::start(&driver.url, capabilities).await;
        let window = client.window_size().await;
        Some(Browser { client, name, window, _permit: permit })
    }

    /// The same session, writing its screenshots under `name` from now on.
    pub(crate) fn renamed(self, name: &'static str) -> Browser {
        Browser { name, ..self }
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await;
    }

    pub(crate) async fn js(&self, script: &str) -> Value {
        self.client.execute(script).await
    }

    pub(crate) async fn text_of(&self, selector: &str) -> String {
        self.client.find(selector).await.text().await
    }

    /// Pastes `token` on the sign-in page and sends it; waits for the page that follows.
    pub(crate) async fn sign_in(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/sign-in")).await;
        self.client.find("#token").await.send_keys(token).await;
        let before = self.client.current_url().await;
        self.client.find("form[action='/sign-in'] button[type=submit]").await.click().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.client.current_url().await == before {
            assert!(Instant::now() < deadline, "signing in went nowhere");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.loaded().await;
    }

    /// Waits until the document has loaded.
    pub(crate) async fn loaded(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.js("return document.readyState").await != json!("complete") {
            assert!(Instant::now() < deadline, "the page did not finish loading");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks the element `selector` matches and waits for the page it leads to.
    pub(crate) async fn click_through(&self, selector: &str) {
        let before = self.client.current_url().await;
        self.client.find(selector).await.click().await;
        self.wait_to_leave(&before).await;
    }

    /// Waits until the browser has left `before` and the page it went to has loaded.
    pub(crate) async fn wait_to_leave(&self, before: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.client.current_url().await == before {
            assert!(Instant::now() < deadline, "{}: the browser stayed on {before}", self.name);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.loaded().await;
    }

    /// Waits until `script` (a function body) returns true.
    pub(crate) async fn wait_for(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.js(script).await != json!(true) {
            assert!(Instant::now() < deadline, "{}: {what} did not happen within 10 s", self.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The HTTP status of the document shown (Chromium's `responseStatus` of the navigation).
    pub(crate) async fn status(&self) -> u64 {
        self.js("return performance.getEntriesByType('navigation')[0].responseStatus").await.as_u64().unwrap()
    }

    /// The browser console's entries since the last call (chromedriver's log, `goog:loggingPrefs`).
    async fn console(&self) -> Vec<Value> {
        self.client.console().await
    }

    /// Nothing went wrong on the page: no console error or warning (a CSP violation is one), and no
    /// request of the page (the document, its style sheet, scripts, icon) failed or was refused.
    pub(crate) async fn assert_clean(&self) {
        let bad: Vec<Value> = self
            .console()
            .await
            .into_iter()
            .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
            .collect();
        assert!(bad.is_empty(), "{}: the console reports {bad:#?}", self.name);
        let failed = self
            .js("return performance.getEntriesByType('resource')
                   .filter(function (e) { return !(e.responseStatus >= 200 && e.responseStatus < 400); })
                   .map(function (e) { return e.name + ' → ' + e.responseStatus; })")
            .await;
        assert_eq!(failed, json!([]), "{}: requests failed", self.name);
    }

    /// Chinese is drawn in the CJK font the style sheet names first, which is installed.
    pub(crate) async fn assert_cjk_font(&self) {
        let family = self.js("return getComputedStyle(document.body).fontFamily").await;
        assert!(family.as_str().unwrap().starts_with("\"Noto Sans CJK SC\""), "{}: body font {family}", self.name);
        let check = self.js(r#"return document.fonts.check('16px "Noto Sans CJK SC"', '丙县')"#).await;
        assert_eq!(check, json!(true), "{}: Noto Sans CJK SC is not available", self.name);
    }

    /// Writes the page as `target/screenshots/<test>.png`; returns its path.
    pub(crate) async fn screenshot(&self) -> std::path::PathBuf {
        let png = self.client.screenshot().await;
        assert!(png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "{}: not a PNG", self.name);
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
        let directory = target.join("screenshots");
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join(format!("{}.png", self.name));
        std::fs::File::create(&path).unwrap().write_all(&png).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 1000);
        path
    }

    /// Makes the window as tall as the page (at most 4,000 pixels), so that a screenshot shows all of
    /// it, and waits for the charts to follow the new size; then writes the screenshot.
    pub(crate) async fn screenshot_whole_page(&self) -> std::path::PathBuf {
        let height = self.js("return document.documentElement.scrollHeight").await.as_u64().unwrap_or(1000);
        let height = u32::try_from(height + 140).unwrap_or(4000).clamp(1000, 4000);
        self.client.set_window_size(1280, height).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.screenshot().await
    }

    /// Hands the session on to the next test, reset (`Session::reset`).
    pub(crate) async fn close(self) {
        self.client.reset(self.window.0, self.window.1).await;
        IDLE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((self.client, self.window));
    }
}

// ---------------------------------------------------------------------------------------------------
// The router without a socket.

/// The story behind the site's router, which keeps its sessions across calls.
pub(crate) struct Routed {
    pub(crate) api: Api,
    router: axum::Router,
}

impl Routed {
    /// A copy of the story (recorded off the runtime: the service blocks on its appends).
    pub(crate) async fn new() -> Routed {
        let api = tokio::task::spawn_blocking(Api::new).await.unwrap();
        let router = kpi_ledger::site::app(api.state.clone());
        Routed { api, router }
    }
}

pub(crate) async fn call(api: &Routed, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = api.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

pub(crate) fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

pub(crate) fn post_form(path: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(form.to_owned())).unwrap()
}

/// The `name=value` of the session cookie an answer sets.
pub(crate) fn cookie_of(headers: &axum::http::HeaderMap) -> String {
    let set = headers.get(header::SET_COOKIE).expect("a session cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// The CSRF token of the first form of a page.
pub(crate) fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a form with a CSRF token") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// Signs in through the router; returns the session's cookie.
pub(crate) async fn session_cookie(api: &Routed, token: &str) -> String {
    let (status, headers, body) = call(api, get("/sign-in", None)).await;
    assert_eq!(status, StatusCode::OK);
    let (form_cookie, csrf) = (cookie_of(&headers), csrf_of(&String::from_utf8(body).unwrap()));
    let (status, headers, _) =
        call(api, post_form("/sign-in", Some(&form_cookie), &format!("token={token}&csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    cookie_of(&headers)
}

/// A page's status, headers and text, for a signed-in session (`cookie`).
pub(crate) async fn page(api: &Routed, cookie: &str, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, body) = call(api, get(path, Some(cookie))).await;
    (status, headers, String::from_utf8(body).expect("pages are UTF-8"))
}

/// A signed-in session of the story's token `key` (`office@YS07`, `auditor`).
pub(crate) async fn session(api: &Routed, key: &str) -> String {
    let token = api.api.tokens[key].clone();
    session_cookie(api, &token).await
}

/// What maud escaped, back as written.
pub(crate) fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
}

/// The text of the element carrying `data-figure="key"`.
pub(crate) fn figure(page: &str, key: &str) -> String {
    let marker = format!("data-figure=\"{key}\">");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no figure {key} on the page")) + marker.len();
    unescape(page[at..].split('<').next().unwrap().trim())
}

/// Signs in through the router; returns the session's cookie and the overview's CSRF token.
pub(crate) async fn sign_in_oneshot(api: &Routed, token: &str) -> (String, String) {
    let cookie = session_cookie(api, token).await;
    let (status, _, body) = call(api, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    (cookie, csrf_of(&String::from_utf8(body).unwrap()))
}

// ---------------------------------------------------------------------------------------------------
// In the browser.

#[tokio::test]
async fn site_sign_in_sets_a_strict_http_only_cookie_and_shows_the_overview() {
    let Some(browser) = Browser::open("site_sign_in").await else { return };
    let site = Site::start(|_| {}).await;
    browser.goto(&format!("{}/", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.text_of("h1").await, ZH.sign_in_title, "an unsigned visitor is asked to sign in");
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.text_of("h1").await, ZH.overview_title);
    assert!(browser.text_of("header.bar .who").await.contains("YS07"));

    let cookies = browser.client.cookies().await;
    let session = cookies.iter().find(|cookie| cookie.name == "kpi_session").expect("the session cookie");
    assert!(session.http_only, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Strict"), "{session:?}");
    assert_eq!(browser.js("return document.cookie").await, json!(""), "scripts cannot read the session");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot().await;
    browser.close().await;
}

#[tokio::test]
async fn site_overview_shows_the_ranking_with_tiers_and_draws_the_chart() {
    let Some(browser) = Browser::open("site_overview").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    assert_eq!(browser.status().await, 200);
    let rows = browser.js("return document.querySelectorAll('table.ranking tbody tr').length").await;
    assert_eq!(rows, json!(12), "the twelve counties are ranked");
    let tiers = browser
        .js("return Array.from(document.querySelectorAll('table.ranking tbody .tier')).map(function (e) { return e.textContent; })")
        .await;
    let tiers = tiers.as_array().unwrap();
    assert_eq!(tiers.len(), 12);
    assert!(tiers.iter().all(|tier| tier.as_str().unwrap().starts_with(ZH.tier_n.0)), "{tiers:?}");
    assert!(browser.text_of("table.ranking").await.contains("丙县国家税务局"));
    assert!(browser.text_of("section.card h2").await.contains("YS-2017"));

    // ECharts drew into the holder: a canvas with a size.
    let deadline = Instant::now() + Duration::from_secs(10);
    let size = loop {
        let size = browser
            .js("var c = document.querySelector('#ranking-chart canvas, #ranking-chart svg');
                 if (!c) { return null; } var r = c.getBoundingClientRect(); return [r.width, r.height];")
            .await;
        if !size.is_null() || Instant::now() > deadline {
            break size;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let size = size.as_array().expect("a canvas inside #ranking-chart");
    assert!(size.iter().all(|side| side.as_f64().unwrap() > 100.0), "the chart is {size:?}");
    browser.assert_clean().await;
    browser.assert_cjk_font().await;
    browser.screenshot().await;
    browser.close().await;
}

#[tokio::test]
async fn site_refuses_a_page_the_token_may_not_read() {
    let Some(browser) = Browser::open("site_forbidden").await else { return };
    let site = Site::start(|_| {}).await;
    // A person reads only their own data, never a ranking table.
    browser.sign_in(&site.base, site.token("person@YS07")).await;
    // Signing in leads a person to their own page; the overview they may not read.
    browser.goto(&format!("{}/", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.status().await, 403);
    assert_eq!(browser.text_of("h1").await, ZH.forbidden_title);
    assert_eq!(browser.js("return document.querySelectorAll('table.ranking').length").await, json!(0));
    browser.assert_cjk_font().await;
    browser.screenshot().await;
    browser.close().await;
}

#[tokio::test]
async fn site_shows_a_hostile_unit_name_as_text() {
    let Some(browser) = Browser::open("site_hostile_name").await else { return };
    let site = Site::start(rename_hostile).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    assert_eq!(browser.status().await, 200);
    assert_eq!(browser.js("return document.querySelectorAll('img').length").await, json!(0), "no element made");
    let names = browser
        .js("return Array.from(document.querySelectorAll('table.ranking td.unit-name')).map(function (e) { return e.textContent; })")
        .await;
    assert!(names.as_array().unwrap().contains(&json!(HOSTILE_NAME)), "the name shows as text: {names}");
    browser.assert_clean().await;
    browser.screenshot().await;
    browser.close().await;
}

// ---------------------------------------------------------------------------------------------------
// Through the router.

#[tokio::test]
async fn site_pages_carry_the_content_security_policy() {
    let api = Routed::new().await;
    let (cookie, _) = sign_in_oneshot(&api, &api.api.tokens["office@YS07"]).await;
    for (path, cookie) in [("/sign-in", None), ("/", None), ("/", Some(cookie.as_str()))] {
        let (status, headers, _) = call(&api, get(path, cookie)).await;
        assert!(status.is_success(), "{path}: {status}");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], kpi_ledger::site::CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    let csp = kpi_ledger::site::CONTENT_SECURITY_POLICY;
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
}

#[tokio::test]
async fn site_refuses_a_post_without_the_csrf_token() {
    let api = Routed::new().await;
    // The sign-in form, without its token (and with another's).
    let (_, headers, _) = call(&api, get("/sign-in", None)).await;
    let form_cookie = cookie_of(&headers);
    let token = &api.api.tokens["office@YS07"];
    for form in [format!("token={token}"), format!("token={token}&csrf=0000")] {
        let (status, headers, body) = call(&api, post_form("/sign-in", Some(&form_cookie), &form)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "no session is opened");
        assert!(String::from_utf8(body).unwrap().contains(ZH.csrf_title));
    }
    // Signing out, signed in, without the token: refused, and the session still reads.
    let (cookie, csrf) = sign_in_oneshot(&api, token).await;
    let (status, _, _) = call(&api, post_form("/sign-out", Some(&cookie), "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = call(&api, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("table"));
    // With it, the session ends.
    let (status, _, _) = call(&api, post_form("/sign-out", Some(&cookie), &format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, body) = call(&api, get("/", Some(&cookie))).await;
    assert!(String::from_utf8(body).unwrap().contains(r#"action="/sign-in""#));
}

#[tokio::test]
async fn site_ranking_downloads_as_csv_and_xlsx() {
    let api = Routed::new().await;
    let (cookie, _) = sign_in_oneshot(&api, &api.api.tokens["office@YS07"]).await;
    let (_, _, page) = call(&api, get("/", Some(&cookie))).await;
    let page = String::from_utf8(page).unwrap();
    let at = page.find("/downloads/ranking?").expect("a download link");
    let csv_link = page[at..].split('"').next().unwrap().replace("&amp;", "&");
    assert!(csv_link.ends_with("format=csv"), "{csv_link}");

    let (status, headers, csv) = call(&api, get(&csv_link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"), "{headers:?}");
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("丙县国家税务局") && csv.contains("YS07"), "{csv}");
    assert!(csv.lines().count() >= 13, "a header and twelve counties: {csv}");

    let xlsx_link = csv_link.replace("format=csv", "format=xlsx");
    let (status, headers, xlsx) = call(&api, get(&xlsx_link, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"), "{headers:?}");
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip");
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<String> = sheet.cells().map(|(_, _, cell)| cell.to_string()).collect();
    assert!(cells.iter().any(|cell| cell == "丙县国家税务局"), "{cells:?}");

    // Without a session, nothing downloads.
    let (status, _, _) = call(&api, get(&csv_link, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn site_overview_shows_when_a_period_was_published_on_the_ledgers_clock() {
    let api = Routed::new().await;
    let (cookie, _) = sign_in_oneshot(&api, &api.api.tokens["office@YS07"]).await;
    let (status, _, body) = call(&api, get("/", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    let marker = format!("{} ", ZH.published_at);
    let at = page.find(&marker).unwrap_or_else(|| panic!("the shown period is published: {page}")) + marker.len();
    let shown: String = page[at..].chars().take(16).collect();
    let shape: String = shown.chars().map(|c| if c.is_ascii_digit() { 'd' } else { c }).collect();
    assert_eq!(shape, "dddd-dd-dd dd:dd", "a local date and minute, not RFC 3339: {shown:?}");
}

/// Nothing on the page runs but the site's own script files: every `<script` names a `src` under
/// /assets/ and has no body, and no element carries a style, a `javascript:` URL or an event handler
/// attribute.
pub(crate) fn assert_no_inline_script(path: &str, page: &str) {
    for (at, _) in page.match_indices("<script") {
        let tag = page[at..].split('>').next().unwrap();
        assert!(tag.contains(" src=\"/assets/"), "{path}: an inline script: {tag}");
        assert!(page[at..].starts_with(&format!("{tag}></script>")), "{path}: a script with a body");
    }
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains(" style="), "{path}: an inline style");
    assert!(!lower.contains("javascript:"), "{path}: a javascript: URL");
    for word in lower.split(|c: char| c.is_whitespace() || c == '<') {
        let name = word.split('=').next().unwrap();
        let handler = name.starts_with("on") && word.contains('=') && name.len() > 2;
        assert!(!(handler && name[2..].bytes().all(|b| b.is_ascii_lowercase())), "{path}: a handler {word}");
    }
}

/// The rows (`<tr …>` up to the next row) whose start tag carries `attribute`, with its value.
pub(crate) fn rows<'p>(page: &'p str, attribute: &str) -> Vec<(String, &'p str)> {
    let marker = format!("{attribute}=\"");
    page.split("<tr")
        .skip(1)
        .filter_map(|row| {
            let tag = row.split('>').next().unwrap();
            let at = tag.find(&marker)? + marker.len();
            Some((unescape(tag[at..].split('"').next().unwrap()), row))
        })
        .collect()
}

/// The text of the first cell in `html` marked with the bare attribute `marker` (`data-score`),
/// alone or before other attributes.
pub(crate) fn cell(html: &str, marker: &str) -> String {
    let at = html.find(&format!("{marker}>")).or_else(|| html.find(&format!("{marker} ")));
    let rest = &html[at.unwrap_or_else(|| panic!("no {marker} cell in {html}"))..];
    let start = rest.find('>').unwrap() + 1;
    unescape(rest[start..].split('<').next().unwrap().trim())
}

/// Every `href` on the page that starts with `prefix`, unescaped.
pub(crate) fn links(page: &str, prefix: &str) -> Vec<String> {
    let marker = format!("href=\"{prefix}");
    page.match_indices(&marker).map(|(at, _)| unescape(page[at + 6..].split('"').next().unwrap())).collect()
}
