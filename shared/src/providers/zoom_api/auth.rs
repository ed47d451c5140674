//! Zoom Server-to-Server OAuth: one access token for the whole installation, cached in Redis.
//!
//! Zoom issues a 1-hour bearer token for `account_credentials` (no refresh token; several tokens
//! may be valid at once). Every worker replica reads the same cached token from Redis
//! ([`crate::redis::Keys::zoom_token`]), so a fleet of workers asks Zoom for a token about once an
//! hour instead of once per process or per call. The cache entry expires 60 s before the token
//! does, so a token is never used in its last minute; a 401 from the API removes the entry (only
//! if it still holds the rejected token, so a fresh token stored by another replica survives) and
//! the next call fetches a new one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::super::error::{Provider, ProviderError, sanitize_message};
use super::super::http;
use crate::domain::ErrorClass;
use crate::redis::{Redis, RedisConn, ZOOM_TOKEN_REFRESH_MARGIN, compare_and_delete};

/// How long before Zoom's expiry a cached token stops being used
/// ([`crate::redis::ZOOM_TOKEN_REFRESH_MARGIN`]).
pub const REFRESH_MARGIN: Duration = ZOOM_TOKEN_REFRESH_MARGIN;

/// The Server-to-Server OAuth app's credentials (from `connectors.zoom`).
#[derive(Clone)]
pub struct ZoomCredentials {
    /// The Zoom account id.
    pub account_id: SecretString,
    /// The app's client id.
    pub client_id: SecretString,
    /// The app's client secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for ZoomCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ZoomCredentials(***)")
    }
}

/// Fetches and caches Zoom access tokens. Cheap to clone; `Debug` shows no credentials.
#[derive(Clone)]
pub struct ZoomAuth {
    pub(super) http: reqwest::Client,
    token_url: Url,
    authorization: HeaderValue,
    redis: RedisConn,
    cache_key: String,
    /// One token fetch at a time per process: 32 jobs finding the cache empty ask Zoom once.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

impl fmt::Debug for ZoomAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomAuth")
            .field("cache_key", &self.cache_key)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize, Default)]
struct TokenError {
    reason: Option<String>,
    error: Option<String>,
}

impl ZoomAuth {
    /// Token source for `oauth_base_url` (e.g. `https://zoom.us`), caching on `redis` under
    /// [`crate::redis::Keys::zoom_token`]. The HTTP client built here (bounded by `timeout`) is
    /// also the one the [`super::ZoomClient`] uses.
    pub fn new(
        oauth_base_url: Url,
        credentials: &ZoomCredentials,
        redis: &Redis,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let mut token_url = http::endpoint(&oauth_base_url, &["oauth", "token"]);
        token_url
            .query_pairs_mut()
            .append_pair("grant_type", "account_credentials")
            .append_pair("account_id", credentials.account_id.expose_secret());
        let pair = format!(
            "{}:{}",
            credentials.client_id.expose_secret(),
            credentials.client_secret.expose_secret()
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        let mut authorization =
            HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                ProviderError::new(
                    Provider::Zoom,
                    "configure",
                    ErrorClass::Config,
                    "invalid client credentials",
                )
            })?;
        authorization.set_sensitive(true);
        Ok(Self {
            http: http::build_client(Provider::Zoom, timeout)?,
            token_url,
            authorization,
            redis: redis.conn(),
            cache_key: redis.keys().zoom_token(),
            fetching: Arc::default(),
        })
    }

    /// A valid access token: the cached one, or a new one from Zoom (then cached).
    pub async fn token(&self) -> Result<SecretString, ProviderError> {
        if let Some(token) = self.cached().await? {
            return Ok(token);
        }
        let _single_flight = self.fetching.lock().await;
        // Another task of this process may have fetched while we waited for the lock.
        if let Some(token) = self.cached().await? {
            return Ok(token);
        }
        let (token, expires_in) = self.fetch().await?;
        let mut conn = self.redis.clone();
        let ttl = expires_in
            .saturating_sub(REFRESH_MARGIN)
            .max(expires_in / 2)
            .max(Duration::from_secs(1));
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        redis::cmd("SET")
            .arg(&self.cache_key)
            .arg(token.expose_secret())
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut conn)
            .await
            .map_err(cache_error)?;
        Ok(token)
    }

    async fn cached(&self) -> Result<Option<SecretString>, ProviderError> {
        let mut conn = self.redis.clone();
        let cached: Option<String> = redis::cmd("GET")
            .arg(&self.cache_key)
            .query_async(&mut conn)
            .await
            .map_err(cache_error)?;
        Ok(cached.map(SecretString::from))
    }

    /// Forgets `rejected` (Zoom answered 401 with it), unless another replica already replaced it.
    pub async fn invalidate(&self, rejected: &SecretString) -> Result<(), ProviderError> {
        let mut conn = self.redis.clone();
        compare_and_delete(&mut conn, &self.cache_key, rejected.expose_secret())
            .await
            .map_err(cache_error)?;
        Ok(())
    }

    /// Asks Zoom for a new token.
    async fn fetch(&self) -> Result<(SecretString, Duration), ProviderError> {
        const OP: &str = "fetch access token";
        let request = self
            .http
            .post(self.token_url.clone())
            .header("authorization", self.authorization.clone());
        let resp = http::execute(Provider::Zoom, OP, request).await?;
        if resp.is_success() {
            let t: TokenResponse = resp.json(Provider::Zoom, OP)?;
            return Ok((
                SecretString::from(t.access_token),
                Duration::from_secs(t.expires_in),
            ));
        }
        let body: TokenError = serde_json::from_slice(&resp.body).unwrap_or_default();
        let message = body.reason.clone().unwrap_or_default();
        let mut e = http::status_error(
            Provider::Zoom,
            OP,
            &resp,
            body.error,
            &message,
            &["retry-after"],
        );
        // Zoom answers bad credentials or a wrong account with 400 as well as 401.
        if matches!(resp.status, 400 | 401 | 403) {
            e.class = ErrorClass::Config;
            // 401/403 and `invalid_client` were counted by status_error; a wrong account id
            // (400 invalid_request) is a credential failure too.
            if !http::rejects_credentials(resp.status, e.code.as_deref()) {
                http::credential_failure(Provider::Zoom);
            }
        }
        Err(e)
    }
}

fn cache_error(e: redis::RedisError) -> ProviderError {
    ProviderError::new(
        Provider::Zoom,
        "token cache",
        ErrorClass::Transport,
        format!("redis: {}", sanitize_message(&e.to_string())),
    )
}
