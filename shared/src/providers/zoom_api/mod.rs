//! Zoom REST API client: past meeting participants (for attendance) and `users/me` (for
//! `meetflow-admin zoom check`).
//!
//! Calls carry a bearer token from [`ZoomAuth`]; a 401 makes the client drop that token and retry
//! once with a fresh one (a token can be revoked before its expiry). Participant lists are read
//! to the last page. Meeting UUIDs that start with `/` or contain `//` are percent-encoded twice,
//! as Zoom requires.

mod auth;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use url::Url;

pub use self::auth::{REFRESH_MARGIN, ZoomAuth, ZoomCredentials};
use super::error::{Provider, ProviderError};
use super::http::{self, Response};
use crate::domain::redact;
use crate::queue::ErrorClass;

/// Largest page Zoom serves.
const PAGE_SIZE: &str = "300";
/// Stop reading pages after this many (a provider bug must not loop forever).
const MAX_PAGES: usize = 1000;

/// A Zoom API client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ZoomClient {
    api_base_url: Url,
    auth: ZoomAuth,
}

/// One join session of one participant (a person who joined twice appears twice).
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct Participant {
    /// Zoom's participant id (empty for guests).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The participant's e-mail; `None` for guests who gave none.
    #[serde(default, deserialize_with = "non_empty")]
    pub user_email: Option<String>,
    /// When this session started.
    #[serde(default, deserialize_with = "lenient_time")]
    pub join_time: Option<DateTime<Utc>>,
    /// When this session ended.
    #[serde(default, deserialize_with = "lenient_time")]
    pub leave_time: Option<DateTime<Utc>>,
    /// Length of this session in seconds.
    #[serde(default)]
    pub duration: u64,
    /// `in_meeting` or `in_waiting_room`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether the participant belongs to the host's account.
    #[serde(default)]
    pub internal_user: bool,
}

impl fmt::Debug for Participant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Participant")
            .field("id", &self.id)
            .field("user_email", &self.user_email.as_deref().map(redact::email))
            .field("join_time", &self.join_time)
            .field("leave_time", &self.leave_time)
            .field("duration", &self.duration)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The user the app acts as (`GET /users/me`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ZoomUser {
    /// Zoom user id.
    pub id: String,
    /// The account the user belongs to.
    #[serde(default)]
    pub account_id: String,
    /// The user's e-mail.
    #[serde(default)]
    pub email: String,
}

impl fmt::Debug for ZoomUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomUser")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("email", &redact::email(&self.email))
            .finish()
    }
}

#[derive(Deserialize)]
struct ParticipantsPage {
    #[serde(default)]
    participants: Vec<Participant>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

impl ZoomClient {
    /// A client for `api_base_url` (e.g. `https://api.zoom.us/v2`), sharing `auth`'s HTTP client.
    pub fn new(api_base_url: Url, auth: ZoomAuth) -> Self {
        Self { api_base_url, auth }
    }

    /// Every participant session of one past meeting instance, all pages.
    pub async fn past_meeting_participants(
        &self,
        meeting_uuid: &str,
    ) -> Result<Vec<Participant>, ProviderError> {
        const OP: &str = "past meeting participants";
        let segment = meeting_uuid_segment(meeting_uuid);
        let base = http::endpoint(
            &self.api_base_url,
            &["past_meetings", &segment, "participants"],
        );
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_PAGES {
            let mut url = base.clone();
            url.query_pairs_mut().append_pair("page_size", PAGE_SIZE);
            if !token.is_empty() {
                url.query_pairs_mut().append_pair("next_page_token", &token);
            }
            let page: ParticipantsPage = self.get_json(OP, url).await?;
            all.extend(page.participants);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) if next != token => token = next,
                Some(_) => return Err(bad_pagination(OP, "the same next_page_token twice")),
                None => return Ok(all),
            }
        }
        Err(bad_pagination(OP, "too many pages"))
    }

    /// The user the app acts as; a cheap end-to-end check of credentials and scopes.
    pub async fn users_me(&self) -> Result<ZoomUser, ProviderError> {
        self.get_json(
            "users me",
            http::endpoint(&self.api_base_url, &["users", "me"]),
        )
        .await
    }

    /// GET with the cached token; on a 401, drop the token and try once more with a new one.
    async fn get_json<T: DeserializeOwned>(
        &self,
        op: &'static str,
        url: Url,
    ) -> Result<T, ProviderError> {
        let token = self.auth.token().await?;
        let resp = self.get(op, &url, &token).await?;
        let resp = if resp.status == 401 {
            self.auth.invalidate(&token).await?;
            let fresh = self.auth.token().await?;
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
    e
}

fn bad_pagination(op: &'static str, what: &str) -> ProviderError {
    ProviderError::new(
        Provider::Zoom,
        op,
        ErrorClass::ProviderServer,
        format!("pagination stopped: {what}"),
    )
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.trim().is_empty()))
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc)))
}
