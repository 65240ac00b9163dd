//! Sign-in sessions and CSRF tokens. A bearer token pasted once on the sign-in page becomes a session:
//! a random id (256 bits) in an `HttpOnly`, `SameSite=Strict` cookie (`Secure`, and named with the
//! `__Host-` prefix, when the request came over TLS), keyed to an entry of the server's session table
//! that holds the token's hash, never the token. Every session carries a CSRF token (a synchronizer
//! token, 256 bits); every form the site sends carries it, and a POST whose token is missing or
//! differs is refused before anything happens. Even the sign-in form has one: visiting the sign-in
//! page opens a short session with no reader, which a successful sign-in replaces by a new id.
//!
//! Invariant: the session table never holds a token, only its hash; the token is judged again (by the
//! read models, as the API judges a bearer token) on every request, so a revoked or expired token
//! ends its sessions at once. Sessions end after `SITE_SESSION_IDLE` without a request and
//! `SITE_SESSION_LIFETIME` after sign-in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{header, HeaderMap, HeaderValue};

use crate::domain::TokenHash;
use crate::limits::{SITE_SESSIONS_MAX, SITE_SESSION_IDLE, SITE_SESSION_LIFETIME, SITE_SIGN_IN_FORM_LIFETIME};
use crate::tabular::Lang;

/// The cookie's name over plain HTTP, and over TLS (where the `__Host-` prefix binds it to the host).
const COOKIE: &str = "kpi_session";
const SECURE_COOKIE: &str = "__Host-kpi_session";

/// Who a session reads as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signed {
    /// Not signed in: the session only carries the sign-in form's CSRF token.
    Nobody,
    /// A token granted in the ledger, by its hash.
    Token(TokenHash),
    /// The server's local read token.
    Local,
}

/// One entry of the session table.
#[derive(Clone, Debug)]
pub struct Session {
    pub signed: Signed,
    pub csrf: String,
    created: Instant,
    last_seen: Instant,
}

impl Session {
    fn expired(&self, now: Instant) -> bool {
        match self.signed {
            Signed::Nobody => now.duration_since(self.created) >= SITE_SIGN_IN_FORM_LIFETIME,
            _ => {
                now.duration_since(self.last_seen) >= SITE_SESSION_IDLE
                    || now.duration_since(self.created) >= SITE_SESSION_LIFETIME
            }
        }
    }
}

/// The session table.
#[derive(Default)]
pub struct Sessions {
    table: Mutex<HashMap<String, Session>>,
}

/// 256 random bits as 64 hex digits.
fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

impl Sessions {
    /// Opens a session for `signed`; returns its id and the session.
    pub fn open(&self, signed: Signed) -> Result<(String, Session), getrandom::Error> {
        let (id, csrf) = (random_hex()?, random_hex()?);
        let now = Instant::now();
        let session = Session { signed, csrf, created: now, last_seen: now };
        let mut table = self.table.lock().expect("session table");
        if table.len() >= SITE_SESSIONS_MAX {
            table.retain(|_, session| !session.expired(now));
        }
        if table.len() >= SITE_SESSIONS_MAX {
            if let Some(oldest) = table.iter().min_by_key(|(_, session)| session.last_seen).map(|(id, _)| id.clone()) {
                table.remove(&oldest);
            }
        }
        table.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// The live session `id` names, marked as seen now; an expired one is removed.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut table = self.table.lock().expect("session table");
        let session = table.get_mut(id)?;
        if session.expired(now) {
            table.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    pub fn close(&self, id: &str) {
        self.table.lock().expect("session table").remove(id);
    }

    /// How many sessions are held (for tests).
    pub fn len(&self) -> usize {
        self.table.lock().expect("session table").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the request came over TLS: its URI says https, or a proxy in front of the server says so
/// (`X-Forwarded-Proto: https`). Only then is the cookie `Secure` (a plain-HTTP server could not use it).
pub fn over_tls(headers: &HeaderMap, scheme_is_https: bool) -> bool {
    scheme_is_https
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("https"))
}

/// The session id the request's cookie carries, if any.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| (*name == COOKIE || *name == SECURE_COOKIE) && value.len() == 64)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that gives the browser session `id`.
pub fn set_cookie(id: &str, tls: bool) -> HeaderValue {
    let value = match tls {
        true => format!("{SECURE_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Secure"),
        false => format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"),
    };
    HeaderValue::from_str(&value).expect("hex ids make valid cookies")
}

/// The `Set-Cookie` value that ends the browser's session cookie.
pub fn clear_cookie(tls: bool) -> HeaderValue {
    HeaderValue::from_static(match tls {
        true => "__Host-kpi_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0",
        false => "kpi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
    })
}

/// The language cookie's name: the reader's choice of the site's language, kept a year.
const LANGUAGE_COOKIE: &str = "kpi_lang";

/// The language the request's cookie chose; Chinese, the product's language, when it chose none.
pub fn language(headers: &HeaderMap) -> Lang {
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANGUAGE_COOKIE)
        .map(|(_, value)| value);
    match chosen {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// The `Set-Cookie` value that keeps the reader's choice of language.
pub fn language_cookie(lang: Lang, tls: bool) -> HeaderValue {
    let value = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{LANGUAGE_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
    ))
    .expect("a fixed cookie is a valid header")
}

/// Whether `given` is the session's CSRF token, compared in constant time.
pub fn csrf_matches(session: &Session, given: Option<&str>) -> bool {
    let Some(given) = given else { return false };
    let (expected, given) = (session.csrf.as_bytes(), given.as_bytes());
    expected.len() == given.len() && expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_and_its_csrf_token_is_checked() {
        let sessions = Sessions::default();
        let (id, session) = sessions.open(Signed::Local).unwrap();
        assert_eq!((id.len(), session.csrf.len()), (64, 64));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; kpi_session={id}")).unwrap());
        assert_eq!(cookie_id(&headers).as_deref(), Some(id.as_str()));
        let found = sessions.touch(&id).unwrap();
        assert!(csrf_matches(&found, Some(&session.csrf)));
        assert!(!csrf_matches(&found, None));
        assert!(!csrf_matches(&found, Some(&"0".repeat(64))));
        sessions.close(&id);
        assert!(sessions.touch(&id).is_none());
    }
}
