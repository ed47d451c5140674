//! Zoom REST API client: past meeting and webinar participants and webinar registrants (for
//! attendance), `users/me` (for `meetflow-admin zoom check`), and for the catch-up sweep and
//! `meetflow-admin sync zoom` ([`crate::sync::zoom`]): the account's users (`GET /users`), each
//! user's ended meetings and webinars (`GET /report/users/{userId}/meetings`) and cloud
//! recordings (`GET /users/{userId}/recordings`).
//!
//! Calls carry a bearer token from [`ZoomAuth`]; a 401 makes the client drop that token and retry
//! once with a fresh one (a token can be revoked before its expiry). Lists are read to the last
//! page (`next_page_token`). Instance UUIDs that start with `/` or contain `//` are
//! percent-encoded twice, as Zoom requires.

mod auth;
#[cfg(test)]
mod tests;
mod types;

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use self::auth::{REFRESH_MARGIN, ZoomAuth, ZoomCredentials};
use self::types::Page;
pub use self::types::{Participant, WebinarRegistrant, ZoomUser};
use super::call_limit::CallLimit;
use super::error::{Provider, ProviderError};
use super::http::{self, Response};
use crate::domain::ErrorClass;
use crate::events::{MeetingObject, Recording};

/// Largest page Zoom serves.
const PAGE_SIZE: &str = "300";
/// Stop reading pages after this many (a provider bug must not loop forever).
const MAX_PAGES: usize = 1000;

/// A Zoom API client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ZoomClient {
    api_base_url: Url,
    auth: ZoomAuth,
    limits: Option<ZoomLimits>,
}

/// Zoom's rate-limit category of an endpoint (its "label" in Zoom's API reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoomCategory {
    /// Light endpoints (`users/me`).
    Light,
    /// Medium endpoints (participants, registrants).
    Medium,
    /// Heavy endpoints (reports).
    Heavy,
}

/// One shared limit per Zoom category (`connectors.zoom.rate_limits`).
#[derive(Debug, Clone)]
pub struct ZoomLimits {
    /// Light endpoints.
    pub light: CallLimit,
    /// Medium endpoints.
    pub medium: CallLimit,
    /// Heavy endpoints.
    pub heavy: CallLimit,
}

#[derive(Deserialize, Default)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

impl ZoomClient {
    /// A client for `api_base_url` (e.g. `https://api.zoom.us/v2`), sharing `auth`'s HTTP client.
    pub fn new(api_base_url: Url, auth: ZoomAuth) -> Self {
        Self {
            api_base_url,
            auth,
            limits: None,
        }
    }

    /// The client of `connectors.zoom` (`None` without all three credentials): the token shared
    /// in `redis`, every call taking a slot of its category's limit shared by all processes
    /// (`connectors.zoom.rate_limits`), waiting up to `slot_wait` for it.
    pub fn from_settings(
        zoom: &crate::config::ZoomSettings,
        redis: &crate::redis::Redis,
        timeout: std::time::Duration,
        slot_wait: std::time::Duration,
    ) -> Result<Option<Self>, ProviderError> {
        let (Some(account_id), Some(client_id), Some(client_secret)) =
            (&zoom.account_id, &zoom.client_id, &zoom.client_secret)
        else {
            return Ok(None);
        };
        let url = |key: &str, raw: &str| {
            Url::parse(raw).map_err(|e| {
                ProviderError::new(
                    Provider::Zoom,
                    "configure",
                    ErrorClass::Config,
                    format!("connectors.zoom.{key}: {e}"),
                )
            })
        };
        let credentials = ZoomCredentials {
            account_id: account_id.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        };
        let auth = ZoomAuth::new(
            url("oauth_base_url", &zoom.oauth_base_url)?,
            &credentials,
            redis,
            timeout,
        )?;
        let limit = |name: &str, rate: crate::config::RateLimit| {
            CallLimit::new(
                super::rate_limit::RateLimiter::new(redis, name, rate.count, rate.per),
                slot_wait,
            )
        };
        let rates = zoom.rate_limits;
        Ok(Some(
            Self::new(url("api_base_url", &zoom.api_base_url)?, auth).with_limits(ZoomLimits {
                light: limit("zoom_light", rates.light),
                medium: limit("zoom_medium", rates.medium),
                heavy: limit("zoom_heavy", rates.heavy),
            }),
        ))
    }

    /// Every call (each page, each retry) first takes a slot of its category's shared limit.
    #[must_use]
    pub fn with_limits(mut self, limits: ZoomLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Waits for a slot of `category`'s limit (none without limits).
    async fn slot(&self, category: ZoomCategory, op: &'static str) -> Result<(), ProviderError> {
        let Some(limits) = &self.limits else {
            return Ok(());
        };
        let limit = match category {
            ZoomCategory::Light => &limits.light,
            ZoomCategory::Medium => &limits.medium,
            ZoomCategory::Heavy => &limits.heavy,
        };
        limit.slot(Provider::Zoom, op).await
    }

    /// Every participant session of one past meeting instance, all pages.
    pub async fn past_meeting_participants(
        &self,
        meeting_uuid: &str,
    ) -> Result<Vec<Participant>, ProviderError> {
        let segment = meeting_uuid_segment(meeting_uuid);
        let path = ["past_meetings", &segment, "participants"];
        self.all_pages("past meeting participants", &path).await
    }

    /// Every participant session of one past webinar instance, all pages.
    pub async fn past_webinar_participants(
        &self,
        webinar_uuid: &str,
    ) -> Result<Vec<Participant>, ProviderError> {
        let segment = meeting_uuid_segment(webinar_uuid);
        let path = ["past_webinars", &segment, "participants"];
        self.all_pages("past webinar participants", &path).await
    }

    /// Every (approved) registrant of a webinar, by its numeric id, all pages.
    pub async fn webinar_registrants(
        &self,
        webinar_id: &str,
    ) -> Result<Vec<WebinarRegistrant>, ProviderError> {
        let path = ["webinars", webinar_id, "registrants"];
        self.all_pages("webinar registrants", &path).await
    }

    /// The account's active users (`GET /users?status=active`), all pages: whose meetings the
    /// sweep lists.
    pub async fn users(&self) -> Result<Vec<ZoomUser>, ProviderError> {
        self.list(
            "users",
            ZoomCategory::Medium,
            &["users"],
            &[("status", "active")],
        )
        .await
    }

    /// The meetings and webinars `user_id` hosted that ended on the days `from` to `to`
    /// (`GET /report/users/{userId}/meetings?type=past`, a Heavy report; Zoom takes whole days,
    /// at most one month apart, within the last six months), all pages. Each row is an instance:
    /// its `uuid`, numeric `id`, `type` (5, 6, 9: a webinar), `topic`, `start_time`, `end_time`.
    pub async fn ended_meetings(
        &self,
        user_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<MeetingObject>, ProviderError> {
        let (from, to) = (from.to_string(), to.to_string());
        let query = [
            ("type", "past"),
            ("from", from.as_str()),
            ("to", to.as_str()),
        ];
        let path = ["report", "users", user_id, "meetings"];
        self.list("report meetings", ZoomCategory::Heavy, &path, &query)
            .await
    }

    /// The cloud recordings of `user_id`'s meetings and webinars that started on the days `from`
    /// to `to` (`GET /users/{userId}/recordings`, at most one month apart), all pages: the
    /// instance `uuid`, `id`, `type`, `topic`, `share_url` and `recording_play_passcode`.
    pub async fn recordings(
        &self,
        user_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Recording>, ProviderError> {
        let (from, to) = (from.to_string(), to.to_string());
        let query = [("from", from.as_str()), ("to", to.as_str())];
        let path = ["users", user_id, "recordings"];
        self.list("recordings", ZoomCategory::Medium, &path, &query)
            .await
    }

    /// Reads a Medium list endpoint page after page (300 rows each) until `next_page_token` is
    /// empty.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &[&str],
    ) -> Result<Vec<T>, ProviderError> {
        self.list(op, ZoomCategory::Medium, path, &[]).await
    }

    /// Reads a list endpoint of `category` with `query` page after page (300 rows each) until
    /// `next_page_token` is empty.
    async fn list<T: DeserializeOwned>(
        &self,
        op: &'static str,
        category: ZoomCategory,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ProviderError> {
        let mut base = http::endpoint(&self.api_base_url, path);
        for (k, v) in query {
            base.query_pairs_mut().append_pair(k, v);
        }
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let mut url = base.clone();
            url.query_pairs_mut().append_pair("page_size", PAGE_SIZE);
            if !token.is_empty() {
                url.query_pairs_mut().append_pair("next_page_token", &token);
            }
            let page: Page<T> = self.get_json(op, category, url).await?;
            all.extend(page.rows);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if next != token => token = next,
                Some(_) => return Err(bad_pagination(op, "the same next_page_token twice")),
                None => return Ok(all),
            }
        }
        Err(bad_pagination(op, "too many pages"))
    }

    /// The user the app acts as; a cheap end-to-end check of credentials and scopes.
    pub async fn users_me(&self) -> Result<ZoomUser, ProviderError> {
        self.get_json(
            "users me",
            ZoomCategory::Light,
            http::endpoint(&self.api_base_url, &["users", "me"]),
        )
        .await
    }

    /// GET with the cached token; on a 401, drop the token and try once more with a new one.
    async fn get_json<T: DeserializeOwned>(
        &self,
        op: &'static str,
        category: ZoomCategory,
        url: Url,
    ) -> Result<T, ProviderError> {
        let token = self.auth.token().await?;
        self.slot(category, op).await?;
        let resp = self.get(op, &url, &token).await?;
        let resp = if resp.status == 401 {
            self.auth.invalidate(&token).await?;
            let fresh = self.auth.token().await?;
            self.slot(category, op).await?;
            self.get(op, &url, &fresh).await?
        } else {
            resp
        };
        if resp.is_success() {
            resp.json(Provider::Zoom, op)
        } else {
            Err(api_error(op, &resp))
        }
    }

    async fn get(
        &self,
        op: &'static str,
        url: &Url,
        token: &SecretString,
    ) -> Result<Response, ProviderError> {
        let request = self
            .auth
            .http
            .get(url.clone())
            .bearer_auth(token.expose_secret());
        http::execute(Provider::Zoom, op, request).await
    }
}

/// The UUID as a path segment: encoded once, or twice when it starts with `/` or holds `//`.
pub fn meeting_uuid_segment(uuid: &str) -> String {
    let once = http::encode_segment(uuid);
    if uuid.starts_with('/') || uuid.contains("//") {
        http::encode_segment(&once)
    } else {
        once
    }
}

/// Classifies a Zoom error answer: the status table, with Zoom's account/scope codes as config.
fn api_error(op: &'static str, resp: &Response) -> ProviderError {
    let body: ApiError = serde_json::from_slice(&resp.body).unwrap_or_default();
    let code = body.code.map(|c| c.to_string());
    let mut e = http::status_error(
        Provider::Zoom,
        op,
        resp,
        code,
        body.message.as_deref().unwrap_or(""),
        &["retry-after"],
    );
    // 124 invalid token (after a refresh), 200 paid feature / no permission, 4700/4711 scopes.
    if matches!(body.code, Some(124 | 200 | 4700 | 4711)) {
        e.class = ErrorClass::Config;
        e.retry_after = None;
    }
    if resp.status == 429 && is_daily_limit(&resp.headers) {
        daily_limit(&mut e, chrono::Utc::now());
    }
    e
}

/// Zoom's answer while a past meeting's or webinar's report is not ready yet, or for an instance
/// that never existed: `404 {"code": 3001, "message": "Meeting does not exist: …"}`
/// (docs/providers.md §2.6). Only time tells the two apart, so callers decide how long to wait.
pub fn is_report_missing(e: &ProviderError) -> bool {
    e.provider == Provider::Zoom && e.status == Some(404) && e.code.as_deref() == Some("3001")
}

/// `X-RateLimit-Type: Daily-limit`: the account's daily quota for this API is spent.
fn is_daily_limit(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get("x-ratelimit-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("daily-limit"))
}

/// A daily-limit 429 waits, without spending an attempt, until the time Zoom gives in
/// `Retry-After` (a date such as `2020-05-31T00:00:00Z`, or seconds), else until the next
/// 00:00 UTC when Zoom resets daily limits. The queue keeps the job delayed until then (one
/// wake-up), so the job neither retries every second nor runs out of attempts.
fn daily_limit(e: &mut ProviderError, now: chrono::DateTime<chrono::Utc>) {
    e.class = ErrorClass::RateLimited;
    e.consume_attempt = false;
    if e.retry_after.is_none() {
        let midnight = (now.date_naive() + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc());
        e.retry_after = midnight.and_then(|m| (m - now).to_std().ok());
    }
    e.message = format!("daily rate limit reached: {}", e.message);
}

fn bad_pagination(op: &'static str, what: &str) -> ProviderError {
    ProviderError::new(
        Provider::Zoom,
        op,
        ErrorClass::ProviderServer,
        format!("pagination stopped: {what}"),
    )
}
