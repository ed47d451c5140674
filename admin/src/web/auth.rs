//! Who may use `meetflow-admin serve`, and protection of its state-changing requests.
//!
//! Three ways in:
//! - **Bearer token** (`Authorization: Bearer <admin.token>`), for scripts and the JSON API.
//!   Compared in constant time on SHA-256 digests, so neither content nor length leaks.
//!   Browsers cannot attach this header cross-site, so no CSRF token is needed with it.
//! - **Session cookie**, for the web page: the login form checks the token the same way and
//!   sets `meetflow_admin=<random 256-bit id>; HttpOnly; SameSite=Strict; Path=/` (plus `Secure`
//!   behind a TLS proxy that sends `X-Forwarded-Proto: https`). Redis keeps only the SHA-256 of
//!   the id (`{ns}:admin:session:<hex>`, a STRING with the session's CSRF token and a
//!   fingerprint of the admin token, TTL [`SESSION_TTL`]), so a Redis reader cannot hijack a
//!   session, logging out deletes it, and changing `admin.token` ends every session.
//!   State-changing requests (POST) must also carry `X-CSRF-Token` equal to the session's
//!   token (the page embeds it), and a present `Origin` must be this host.
//! - **No token configured** (allowed on a loopback address only): no login, but every request
//!   must name a loopback host in `Host` (so a DNS-rebinding page cannot reach it) and POSTs
//!   need the process's CSRF token, which only a same-origin page can read.

use std::time::Duration;

use axum::http::{HeaderMap, Method, header};
use meetflow_shared::redis::{ADMIN_SESSION_TTL, Redis, millis};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Name of the session cookie.
pub const COOKIE: &str = "meetflow_admin";
/// How long a login lasts ([`meetflow_shared::redis::ADMIN_SESSION_TTL`]).
pub const SESSION_TTL: Duration = ADMIN_SESSION_TTL;
/// Header carrying the CSRF token on POSTs from the page.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The access policy of one server.
#[derive(Clone)]
pub struct Auth {
    token_digest: Option<[u8; 32]>,
    /// CSRF token of the no-token (loopback) mode.
    open_csrf: String,
    redis: Redis,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token_digest.map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A valid bearer token.
    Bearer,
    /// A logged-in browser; its CSRF token.
    Session {
        /// The session's CSRF token.
        csrf: String,
    },
    /// No token configured (loopback only); the process's CSRF token.
    Open {
        /// The CSRF token the page must send back.
        csrf: String,
    },
}

impl Caller {
    /// The CSRF token a page rendered for this caller embeds (empty for bearer callers).
    pub fn csrf(&self) -> &str {
        match self {
            Self::Bearer => "",
            Self::Session { csrf } | Self::Open { csrf } => csrf,
        }
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No valid credentials: 401 (the page redirects to the login form).
    Unauthenticated,
    /// Credentials fine, but a cross-site or CSRF-less state change, or a foreign Host: 403.
    Forbidden,
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// 32 random bytes as hex.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Auth {
    /// The policy for `token` (`None` = open mode; the caller checked the address is loopback).
    pub fn new(token: Option<&SecretString>, redis: Redis) -> Self {
        Self {
            token_digest: token.map(|t| digest(t.expose_secret())),
            open_csrf: random_hex(),
            redis,
        }
    }

    /// Whether a token is configured (a login is needed).
    pub fn requires_login(&self) -> bool {
        self.token_digest.is_some()
    }

    /// Constant-time check of a presented token.
    pub fn token_matches(&self, presented: &str) -> bool {
        match &self.token_digest {
            Some(expected) => bool::from(expected.ct_eq(&digest(presented))),
            None => false,
        }
    }

    fn fingerprint(&self) -> String {
        self.token_digest
            .map(|d| hex::encode(&Sha256::digest(d)[..8]))
            .unwrap_or_default()
    }

    fn session_key(&self, sid: &str) -> String {
        self.redis.keys().admin_session(&hex::encode(digest(sid)))
    }

    /// Decides who sent a request with these headers, and whether it may do `method`.
    pub async fn check(&self, method: &Method, headers: &HeaderMap) -> Result<Caller, Denied> {
        let state_changing = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if self.token_digest.is_none() {
            if !host_is_loopback(headers) {
                return Err(Denied::Forbidden);
            }
            let csrf = self.open_csrf.clone();
            if state_changing && !csrf_ok(headers, &csrf) {
                return Err(Denied::Forbidden);
            }
            return Ok(Caller::Open { csrf });
        }
        if let Some(presented) = bearer(headers) {
            return if self.token_matches(presented) {
                Ok(Caller::Bearer)
            } else {
                Err(Denied::Unauthenticated)
            };
        }
        let Some(sid) = cookie(headers, COOKIE) else {
            return Err(Denied::Unauthenticated);
        };
        let csrf = self.session(sid).await.ok_or(Denied::Unauthenticated)?;
        if state_changing && !csrf_ok(headers, &csrf) {
            return Err(Denied::Forbidden);
        }
        Ok(Caller::Session { csrf })
    }

    async fn session(&self, sid: &str) -> Option<String> {
        if sid.len() != 64 || !sid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut conn = self.redis.conn();
        let value: Option<String> = redis::cmd("GET")
            .arg(self.session_key(sid))
            .query_async(&mut conn)
            .await
            .ok()
            .flatten();
        let (csrf, fingerprint) = value?
            .split_once('|')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))?;
        (fingerprint == self.fingerprint()).then_some(csrf)
    }

    /// Starts a session after a successful login; returns its id (the cookie value).
    pub async fn login(&self) -> Result<String, redis::RedisError> {
        let sid = random_hex();
        let value = format!("{}|{}", random_hex(), self.fingerprint());
        let mut conn = self.redis.conn();
        let _: () = redis::cmd("SET")
            .arg(self.session_key(&sid))
            .arg(value)
            .arg("PX")
            .arg(millis(SESSION_TTL))
            .query_async(&mut conn)
            .await?;
        Ok(sid)
    }

    /// Ends the session named by the request's cookie, if any.
    pub async fn logout(&self, headers: &HeaderMap) {
        if let Some(sid) = cookie(headers, COOKIE) {
            let mut conn = self.redis.conn();
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(self.session_key(sid))
                .query_async(&mut conn)
                .await;
        }
    }
}

/// `Set-Cookie` for a new session (`None` = clear it).
pub fn set_cookie(sid: Option<&str>, headers: &HeaderMap) -> String {
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let secure = if secure { "; Secure" } else { "" };
    match sid {
        Some(sid) => format!(
            "{COOKIE}={sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
            SESSION_TTL.as_secs()
        ),
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

fn csrf_ok(headers: &HeaderMap, expected: &str) -> bool {
    let token_ok = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| bool::from(digest(v).ct_eq(&digest(expected))));
    token_ok && same_origin(headers)
}

/// A present `Origin` must name the `Host` the request was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn cookies_bearer_and_origin_are_read_strictly() {
        let h = headers(&[
            ("cookie", "a=1; meetflow_admin=abc; b=2"),
            ("authorization", "Bearer  t0k "),
        ]);
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(bearer(&h), Some("t0k"));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:8081"),
            ("origin", "http://127.0.0.1:8081")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:8081"),
            ("origin", "https://evil.example")
        ])));
        assert!(same_origin(&headers(&[("host", "x")])));
    }

    #[test]
    fn loopback_hosts_only() {
        for ok in ["127.0.0.1:8081", "localhost:1", "[::1]:8081", "localhost"] {
            assert!(host_is_loopback(&headers(&[("host", ok)])), "{ok}");
        }
        for bad in ["evil.example:8081", "10.0.0.1:8081", ""] {
            assert!(!host_is_loopback(&headers(&[("host", bad)])), "{bad}");
        }
    }
}
