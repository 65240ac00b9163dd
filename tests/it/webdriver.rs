//! A small W3C WebDriver client (the wire protocol chromedriver speaks), for the site's browser tests.
//! It covers what those tests do — open a session, navigate, find an element, type, click, run a
//! script, read cookies and the console, size the window, take a screenshot, print to PDF — over the blocking
//! `ureq` client the product already links, so the test binary does not compile a browser-automation
//! stack of its own.
//!
//! Every call blocks, so the async tests make it from `spawn_blocking` (`Session::call`): a blocking
//! request on the test's own runtime would stall the site it is talking to.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

/// The W3C name of an element reference in an answer.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session of a WebDriver server.
#[derive(Clone)]
pub struct Session {
    agent: ureq::Agent,
    /// `{driver}/session/{id}`.
    url: String,
}

/// A cookie as the browser holds it.
#[derive(Debug)]
pub struct Cookie {
    pub name: String,
    pub http_only: bool,
    pub same_site: Option<String>,
}

impl Session {
    /// Starts a browser with `capabilities` (`alwaysMatch`).
    pub async fn start(driver: &str, capabilities: Value) -> Session {
        let agent = ureq_agent();
        let body = json!({"capabilities": {"alwaysMatch": capabilities}});
        let (sender, url) = (agent.clone(), format!("{driver}/session"));
        let answer = blocking(move || send(&sender, "POST", &url, Some(&body))).await;
        let id = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        Session { agent, url: format!("{driver}/session/{id}") }
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        self.call("GET", "/url", None).await.as_str().expect("a URL").to_owned()
    }

    /// Runs `script` as a function body in the page; its return value.
    pub async fn execute(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// The first element `selector` (CSS) matches; panics when none does.
    pub async fn find(&self, selector: &str) -> Element {
        let found = self.call("POST", "/element", Some(json!({"using": "css selector", "value": selector}))).await;
        let id = found[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("no element matches {selector}: {found}"));
        Element { session: self.clone(), id: id.to_owned() }
    }

    pub async fn cookies(&self) -> Vec<Cookie> {
        let cookies = self.call("GET", "/cookie", None).await;
        let cookies = cookies.as_array().cloned().unwrap_or_default();
        cookies
            .iter()
            .map(|cookie| Cookie {
                name: cookie["name"].as_str().unwrap_or_default().to_owned(),
                http_only: cookie["httpOnly"].as_bool().unwrap_or(false),
                same_site: cookie["sameSite"].as_str().map(str::to_owned),
            })
            .collect()
    }

    /// The browser console's entries since the last call (chromedriver's log, `goog:loggingPrefs`).
    pub async fn console(&self) -> Vec<Value> {
        let entries = self.call("POST", "/se/log", Some(json!({"type": "browser"}))).await;
        entries.as_array().cloned().unwrap_or_default()
    }

    /// The browser window's outer size, in CSS pixels.
    pub async fn window_size(&self) -> (u32, u32) {
        let rect = self.call("GET", "/window/rect", None).await;
        let size = |key: &str| rect[key].as_u64().and_then(|value| u32::try_from(value).ok());
        size("width").zip(size("height")).unwrap_or_else(|| panic!("no window size: {rect}"))
    }

    /// Resizes the browser's window (its outer size, in CSS pixels).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    /// The page as a PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD.decode(encoded.as_str().expect("base64 text")).expect("a PNG")
    }

    /// The page printed to PDF (W3C "Print Page", `POST /session/{id}/print`) on paper of `width` ×
    /// `height` centimetres, backgrounds included; the PDF's bytes.
    pub async fn print(&self, width_cm: f64, height_cm: f64) -> Vec<u8> {
        let options = json!({"page": {"width": width_cm, "height": height_cm}, "background": true});
        let encoded = self.call("POST", "/print", Some(options)).await;
        base64::engine::general_purpose::STANDARD.decode(encoded.as_str().expect("base64 text")).expect("a PDF")
    }

    /// Lays the page out for `media` ("print" or "screen"), through the Chrome DevTools Protocol
    /// command chromedriver forwards (`goog/cdp/execute`, `Emulation.setEmulatedMedia`).
    pub async fn emulate_media(&self, media: &str) {
        let command = json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}});
        self.call("POST", "/goog/cdp/execute", Some(command)).await;
    }

    /// Makes the session as a new one would be for the next test: no cookies (Chrome DevTools'
    /// `Network.clearBrowserCookies`, whichever page is open), screen media, the given window size, a
    /// blank page and an empty console log. The sites the tests serve each listen on a port of their
    /// own, so their local storage is never shared.
    pub async fn reset(&self, width: u32, height: u32) {
        let clear = json!({"cmd": "Network.clearBrowserCookies", "params": {}});
        self.call("POST", "/goog/cdp/execute", Some(clear)).await;
        self.emulate_media("").await;
        self.goto("about:blank").await;
        self.set_window_size(width, height).await;
        self.console().await;
    }

    /// `method` on `{session}{path}`; the answer's `value`. A WebDriver error panics with its message.
    async fn call(&self, method: &'static str, path: &str, body: Option<Value>) -> Value {
        let (agent, url) = (self.agent.clone(), format!("{}{path}", self.url));
        let answer = blocking(move || send(&agent, method, &url, body.as_ref())).await;
        answer["value"].clone()
    }
}

/// An element of the page, found by `Session::find`.
pub struct Element {
    session: Session,
    id: String,
}

impl Element {
    pub async fn text(&self) -> String {
        let text = self.session.call("GET", &format!("/element/{}/text", self.id), None).await;
        text.as_str().expect("an element's text").to_owned()
    }

    pub async fn send_keys(&self, text: &str) {
        self.session.call("POST", &format!("/element/{}/value", self.id), Some(json!({ "text": text }))).await;
    }

    pub async fn click(&self) {
        self.session.call("POST", &format!("/element/{}/click", self.id), Some(json!({}))).await;
    }
}

fn ureq_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("a WebDriver call")
}

/// One request; the whole JSON answer. Any status but 200 is a WebDriver error and panics with it.
fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<&Value>) -> Value {
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, body) => agent
            .post(url)
            .header("content-type", "application/json")
            .send(body.map(Value::to_string).unwrap_or_else(|| "{}".into())),
    };
    let mut response = response.unwrap_or_else(|error| panic!("{method} {url}: {error}"));
    let status = response.status().as_u16();
    let text = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().expect("an answer");
    let answer: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {url}: not JSON: {text}"));
    assert_eq!(status, 200, "{method} {url}: {answer}");
    answer
}
