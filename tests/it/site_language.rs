//! The site's English switch (issue 12): the link in the bar keeps the reader's choice in a cookie and
//! returns to the page it was chosen on; every page is then drawn in English. Through the router: each
//! page of the site, signed in as the city's admin, is answered with `lang="en"`, the English words,
//! and no Chinese word of the site's own vocabulary — a Chinese run of two or more characters from the
//! Chinese words (`ZH`) may appear only where the ledger's own data says it (a unit's name, a reason);
//! the switch refuses a redirect off the site and a language it does not have. In headless Chromium:
//! the overview switched to English and back (`site_english_overview.png`, `site_english_unit.png`).

use axum::http::{header, StatusCode};
use kpi_ledger::site::text::{EN, ZH};
use serde_json::json;

use crate::site::{call, get, page, session, Browser, Routed, Site};

/// Every page of the site a reader opens from the bar or a link, with a question it can answer.
const PAGES: &[&str] = &[
    "/",
    "/unit?unit=YS07",
    "/register?unit=YS07",
    "/audit",
    "/trace?unit=YS07",
    "/replay",
    "/documents",
    "/documents/bulletin",
    "/documents/horizontal",
    "/documents/analysis",
    "/person",
    "/grades",
    "/result-uses",
    "/appeals",
];

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// The runs of two or more Chinese characters in `text`.
fn han_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_han(c) {
            run.push(c);
        } else {
            if run.chars().count() >= 2 {
                runs.push(run.clone());
            }
            run.clear();
        }
    }
    runs
}

/// The ledger's own data, as its export writes it (names, reasons, indicator names…).
fn ledger_text(api: &Routed) -> String {
    let mut bytes = Vec::new();
    api.api.state.service.records().export(&mut bytes, &|_| {}).unwrap();
    String::from_utf8(bytes).unwrap()
}

/// The Chinese words of the site that the ledger's data does not also say: none may be on an English
/// page (but the switch back, which names Chinese in Chinese).
fn site_only_chinese(data: &str) -> Vec<String> {
    let mut words: Vec<String> =
        han_runs(&format!("{ZH:?}")).into_iter().filter(|run| !data.contains(run) && run != ZH.language_name).collect();
    words.sort();
    words.dedup();
    assert!(words.len() > 200, "the Chinese vocabulary was read: {}", words.len());
    words
}

/// The reader's choice of English: the cookie the switch set.
async fn choose_english(api: &Routed, cookie: &str, back: &str) -> String {
    let path = format!("/language?to=en&back={}", kpi_ledger::site::request::percent_encode(back));
    let (status, headers, _) = call(api, get(&path, Some(cookie))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the switch goes back");
    assert_eq!(headers[header::LOCATION], back, "to the page it was chosen on");
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("kpi_lang=en;") && set.contains("Path=/") && set.contains("Max-Age="), "{set}");
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn site_pages_are_drawn_in_english_once_the_reader_switches() {
    let api = Routed::new().await;
    let cookie = session(&api, "admin").await;
    let english = choose_english(&api, &cookie, "/register?unit=YS07&period=2017").await;
    let both = format!("{cookie}; {english}");
    let forbidden = site_only_chinese(&ledger_text(&api));
    for path in PAGES {
        let (chinese_status, _, chinese) = page(&api, &cookie, path).await;
        let (status, _, english) = page(&api, &both, path).await;
        assert_eq!(status, chinese_status, "{path}: the language changes no answer");
        assert!(chinese.contains(r#"<html lang="zh-CN">"#), "{path}: Chinese without the cookie");
        assert!(english.contains(r#"<html lang="en-GB">"#), "{path}: English with it");
        assert!(english.contains(EN.site_name) && !english.contains(ZH.site_name), "{path}: the bar's words");
        let found: Vec<&String> = forbidden.iter().filter(|word| english.contains(word.as_str())).collect();
        assert!(found.is_empty(), "{path} ({status}): Chinese words of the site on the English page: {found:?}");
        // The switch back offers Chinese, returning to this page.
        let back = format!("/language?to=zh&amp;back={}", kpi_ledger::site::request::percent_encode(path));
        assert!(english.contains(&back), "{path}: the switch back to Chinese returns here");
    }
}

#[tokio::test]
async fn site_spreadsheets_follow_the_readers_language() {
    let api = Routed::new().await;
    let cookie = session(&api, "admin").await;
    let english = choose_english(&api, &cookie, "/").await;
    let query = "/downloads/register?unit=YS07&period=2017&format=csv";
    let (_, _, chinese) = call(&api, get(query, Some(&cookie))).await;
    let (status, _, csv) = call(&api, get(query, Some(&format!("{cookie}; {english}")))).await;
    assert_eq!(status, StatusCode::OK);
    let (chinese, csv) = (String::from_utf8(chinese).unwrap(), String::from_utf8(csv).unwrap());
    let (chinese_head, english_head) = (chinese.lines().next().unwrap(), csv.lines().next().unwrap());
    assert!(han_runs(chinese_head).len() > 3, "{chinese_head}");
    assert!(han_runs(english_head).is_empty(), "the English file's header row: {english_head}");
    assert_eq!(chinese.lines().count(), csv.lines().count(), "the same entries");
}

#[tokio::test]
async fn site_language_switch_stays_on_the_site_and_knows_its_languages() {
    let api = Routed::new().await;
    for back in ["//evil.example/", "/\\evil.example", "https://evil.example/", "evil", "/%0d%0aSet-Cookie:x=1"] {
        let path = format!("/language?to=en&back={}", kpi_ledger::site::request::percent_encode(back));
        let (status, headers, _) = call(&api, get(&path, None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{back}");
        let location = headers[header::LOCATION].to_str().unwrap();
        assert!(location == "/" || location == back, "{back} → {location}");
        assert!(!location.starts_with("//") && !location.contains('\\') && !location.contains("://"), "{location}");
    }
    // A line break sent as it is (not encoded twice) never reaches a header: the switch goes home.
    let (status, headers, _) = call(&api, get("/language?to=en&back=/x%0d%0aSet-Cookie:%20a=1", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/", "a path with a control character is not followed");
    assert_eq!(headers.get_all(header::SET_COOKIE).iter().count(), 1, "only the language's cookie");
    let (status, headers, body) = call(&api, get("/language?to=fr&back=/", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get(header::SET_COOKIE).is_none(), "no choice is kept");
    assert!(String::from_utf8(body).unwrap().contains("to: expected en or zh"));
    // Without a session the sign-in page itself switches.
    let (_, _, signin) = call(&api, get("/sign-in", Some("kpi_lang=en"))).await;
    let signin = String::from_utf8(signin).unwrap();
    assert!(signin.contains(EN.sign_in_title) && signin.contains(r#"<html lang="en-GB">"#));
}

#[tokio::test]
async fn site_english_switch_in_the_browser() {
    let Some(browser) = Browser::open("site_english_overview").await else { return };
    let site = Site::start(|_| {}).await;
    browser.sign_in(&site.base, site.token("office@YS07")).await;
    assert_eq!(browser.text_of("h1").await, ZH.overview_title);
    // The overview is `/` before and after: wait for the language, not for another address.
    browser.client.find("header.bar a.language").await.click().await;
    browser.wait_for("return document.documentElement.lang === 'en-GB'", "the switch to English").await;
    browser.loaded().await;
    assert_eq!(browser.text_of("h1").await, EN.overview_title);
    assert!(browser.text_of("table.ranking").await.contains("丙县国家税务局"), "the data stays as recorded");
    browser.assert_clean().await;
    browser.screenshot().await;

    // The choice holds on the next page, and the switch there returns to it in Chinese.
    browser.goto(&format!("{}/unit?unit=YS07", site.base)).await;
    browser.loaded().await;
    assert_eq!(browser.js("return document.documentElement.lang").await, json!("en-GB"));
    browser.assert_clean().await;
    let unit = browser.renamed("site_english_unit");
    unit.screenshot_whole_page().await;
    unit.client.find("header.bar a.language").await.click().await;
    unit.wait_for("return document.documentElement.lang === 'zh-CN'", "the switch back to Chinese").await;
    assert!(unit.client.current_url().await.ends_with("/unit?unit=YS07"), "back on the same page");
    unit.close().await;
}
