//! Who may use `meetflow-admin serve`, and protection of its state-changing requests.
//!
//! Tokens: `admin.token` (name `admin`, role `admin`) and each of `admin.tokens` (its own name
//! and role, see [`AdminRole`]). A presented token is compared in constant time with every
//! configured token's SHA-256 digest (all of them, every time), so neither content, length nor
//! which token matched leaks through timing. The matching token's name and role travel with the
//! request as a [`Who`]; what each role may do is [`required_role`].
//!
//! Three ways in:
//! - **Bearer token** (`Authorization: Bearer <token>`), for scripts and the JSON API.
//!   Browsers cannot attach this header cross-site, so no CSRF token is needed with it.
//! - **Session cookie**, for the web page: the login form checks the token the same way and
//!   sets `meetflow_admin=<random 256-bit id>; HttpOnly; SameSite=Strict; Path=/` (plus `Secure`
//!   behind a TLS proxy that sends `X-Forwarded-Proto: https`). Redis keeps only the SHA-256 of
//!   the id (`{ns:session}:admin:session:<hex>`, a STRING with the session's CSRF token and a
//!   fingerprint of the token that logged in, TTL [`SESSION_TTL`]), so a Redis reader cannot
//!   hijack a session, logging out deletes it, and changing or removing that token ends its
//!   sessions (a changed role applies at once).
//!   State-changing requests (POST) must also carry `X-CSRF-Token` equal to the session's
//!   token (the page embeds it), and a present `Origin` must be this host.
//! - **No token configured** (allowed on a loopback address only): no login, but every request
//!   must name a loopback host in `Host` (so a DNS-rebinding page cannot reach it) and POSTs
//!   need the process's CSRF token, which only a same-origin page can read.

use std::time::Duration;

use axum::http::{HeaderMap, Method, header};
use meetflow_shared::config::{ADMIN_TOKEN_NAME, AdminRole, AdminSettings};
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

/// One configured token: its digest, name and role.
#[derive(Clone)]
struct Known {
    digest: [u8; 32],
    who: Who,
}

/// Who a request comes from: the token's name (as in the audit trail) and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// `admin` for `admin.token`, the entry's name for `admin.tokens`, `local` without tokens.
    pub name: String,
    /// What the token may do.
    pub role: AdminRole,
    /// `api` (bearer token) or `page` (browser session, or the tokenless loopback page).
    pub via: &'static str,
}

impl Who {
    /// Whether this caller's role reaches `need`.
    pub fn may(&self, need: AdminRole) -> bool {
        self.role >= need
    }
}

/// The access policy of one server.
#[derive(Clone)]
pub struct Auth {
    tokens: Vec<Known>,
    /// CSRF token of the no-token (loopback) mode.
    open_csrf: String,
    redis: Redis,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A valid bearer token.
    Bearer {
        /// Whose.
        who: Who,
    },
    /// A logged-in browser; its CSRF token.
    Session {
        /// The session's CSRF token.
        csrf: String,
        /// Whose token logged in.
        who: Who,
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
            Self::Bearer { .. } => "",
            Self::Session { csrf, .. } | Self::Open { csrf } => csrf,
        }
    }

    /// Who it is: the token's name and role (`local`, role admin, without tokens).
    pub fn who(&self) -> Who {
        match self {
            Self::Bearer { who } | Self::Session { who, .. } => who.clone(),
            Self::Open { .. } => Who {
                name: "local".to_owned(),
                role: AdminRole::Admin,
                via: "page",
            },
        }
    }

    /// Whether this caller's role reaches `need`.
    pub fn may(&self, need: AdminRole) -> bool {
        self.who().may(need)
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

/// The least role a request needs: `read` to look (GET), `operate` for every action (any other
/// method) and for revealing personal data (`reveal` in the query, other than `false`/`0`).
/// Sending again a possibly sent SMS (`resend`) needs `admin`; its handler checks that, since it
/// is in the body.
pub fn required_role(method: &Method, query: Option<&str>) -> AdminRole {
    let looking = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !looking || reveals(query) {
        AdminRole::Operate
    } else {
        AdminRole::Read
    }
}

/// Whether a query string asks to reveal personal data: decoded as the handlers decode it
/// (`%72eveal=true` is a reveal too), any `reveal` whose value is not `false`, `0` or empty.
pub fn reveals(query: Option<&str>) -> bool {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(k, v)| k == "reveal" && !matches!(v.as_ref(), "false" | "0" | ""))
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
    /// The policy for `token` alone, with the admin role (`None` = open mode; the caller checked
    /// the address is loopback).
    pub fn new(token: Option<&SecretString>, redis: Redis) -> Self {
        let admin = AdminSettings {
            token: token.cloned(),
            ..AdminSettings::default()
        };
        Self::from_settings(&admin, redis)
    }

    /// The policy of `admin.token` and `admin.tokens` (none at all = open mode; the caller
    /// checked the address is loopback).
    pub fn from_settings(admin: &AdminSettings, redis: Redis) -> Self {
        let main = admin
            .token
            .as_ref()
            .map(|t| (ADMIN_TOKEN_NAME.to_owned(), t, AdminRole::Admin));
        let named = admin
            .tokens
            .iter()
            .filter_map(|e| e.token.as_ref().map(|t| (e.name.clone(), t, e.role)));
        let tokens = main
            .into_iter()
            .chain(named)
            .map(|(name, token, role)| Known {
                digest: digest(token.expose_secret()),
                who: Who {
                    name,
                    role,
                    via: "api",
                },
            })
            .collect();
        Self {
            tokens,
            open_csrf: random_hex(),
            redis,
        }
    }

    /// Whether a token is configured (a login is needed).
    pub fn requires_login(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Constant-time check of a presented token against every configured one: who it is.
    pub fn identify(&self, presented: &str) -> Option<Who> {
        let presented = digest(presented);
        let mut found = None;
        for known in &self.tokens {
            if bool::from(known.digest.ct_eq(&presented)) {
                found = Some(known.who.clone());
            }
        }
        found
    }

    /// Constant-time check of a presented token.
    pub fn token_matches(&self, presented: &str) -> bool {
        self.identify(presented).is_some()
    }

    fn fingerprint_of(digest: &[u8; 32]) -> String {
        hex::encode(&Sha256::digest(digest)[..8])
    }

    /// The token whose fingerprint a session holds.
    fn by_fingerprint(&self, fingerprint: &str) -> Option<Who> {
        self.tokens
            .iter()
            .find(|k| Self::fingerprint_of(&k.digest) == fingerprint)
            .map(|k| k.who.clone())
    }

    fn session_key(&self, sid: &str) -> String {
        self.redis.keys().admin_session(&hex::encode(digest(sid)))
    }

    /// Decides who sent a request with these headers, and whether it may do `method`.
    pub async fn check(&self, method: &Method, headers: &HeaderMap) -> Result<Caller, Denied> {
        let state_changing = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if self.tokens.is_empty() {
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
            return match self.identify(presented) {
                Some(who) => Ok(Caller::Bearer { who }),
                None => Err(Denied::Unauthenticated),
            };
        }
        let Some(sid) = cookie(headers, COOKIE) else {
            return Err(Denied::Unauthenticated);
        };
        let (csrf, who) = self.session(sid).await.ok_or(Denied::Unauthenticated)?;
        if state_changing && !csrf_ok(headers, &csrf) {
            return Err(Denied::Forbidden);
        }
        Ok(Caller::Session { csrf, who })
    }

    async fn session(&self, sid: &str) -> Option<(String, Who)> {
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
        let who = self.by_fingerprint(&fingerprint)?;
        Some((csrf, Who { via: "page", ..who }))
    }

    /// Starts a session for the token `presented` (already checked); returns its id (the
    /// cookie value).
    pub async fn login(&self, presented: &str) -> Result<String, redis::RedisError> {
        let sid = random_hex();
        let value = format!(
            "{}|{}",
            random_hex(),
            Self::fingerprint_of(&digest(presented))
        );
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
    fn roles_needed_by_method_and_reveal() {
        assert_eq!(required_role(&Method::GET, None), AdminRole::Read);
        assert_eq!(
            required_role(&Method::GET, Some("queue=sms&reveal=false")),
            AdminRole::Read
        );
        for q in [
            "reveal=true",
            "a=1&reveal=1",
            "%72eveal=true",
            "reveal=%74rue",
        ] {
            assert_eq!(
                required_role(&Method::GET, Some(q)),
                AdminRole::Operate,
                "{q}"
            );
        }
        for m in [Method::POST, Method::DELETE, Method::PUT, Method::PATCH] {
            assert_eq!(required_role(&m, None), AdminRole::Operate, "{m}");
        }
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
