//! Calendly API v2 client: the periodic reconciliation (scheduled events and their invitees),
//! the admin commands (webhook subscriptions, event types) and no-show marks.
//!
//! Lists follow `pagination.next_page_token` to the end (100 per page). A client given a limit
//! ([`CalendlyClient::with_limit`]: the worker's, the reconciliation's, the backfill's) takes a
//! slot of that shared rate limit before every request, so all replicas together stay within
//! Calendly's budget. Errors are
//! `{title, message, details}` and classified by the HTTP table; a 429 waits for
//! `X-RateLimit-Reset`. Webhooks need a paid plan: Calendly's 403 "Please upgrade" becomes a
//! permanent config error that says so.

mod error;
mod resources;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use chrono::SecondsFormat;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use self::error::api_error;
pub use self::resources::{
    CalendlyUser, EventStatus, EventType, EventsQuery, InviteeNoShow, NewWebhookSubscription,
    Scope, WebhookSubscription,
};
use self::resources::{NewSchedulingLink, Page, Resource, SchedulingLink};
use super::call_limit::CallLimit;
use super::error::{Provider, ProviderError};
use super::http::{self, Response};
use crate::domain::ErrorClass;
use crate::events::{Invitee, ScheduledEvent};

/// Items per page (Calendly's maximum).
const PAGE_COUNT: &str = "100";
/// Stop reading pages after this many (a provider bug must not loop forever).
const MAX_PAGES: usize = 1000;

/// A Calendly API client. Cheap to clone; `Debug` shows no token.
#[derive(Clone)]
pub struct CalendlyClient {
    http: reqwest::Client,
    base_url: Url,
    authorization: HeaderValue,
    limit: Option<CallLimit>,
}

impl fmt::Debug for CalendlyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalendlyClient")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl CalendlyClient {
    /// A client for `base_url` (e.g. `https://api.calendly.com`) with a personal access or OAuth
    /// token; every call is bounded by `timeout`.
    pub fn new(
        base_url: Url,
        token: SecretString,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let bad = |_| {
            ProviderError::new(
                Provider::Calendly,
                "configure",
                ErrorClass::Config,
                "invalid token",
            )
        };
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(bad)?;
        authorization.set_sensitive(true);
        Ok(Self {
            http: http::build_client(Provider::Calendly, timeout)?,
            base_url,
            authorization,
            limit: None,
        })
    }

    /// Every call (each page) first takes a slot of `limit`, Calendly's per-minute budget shared
    /// by all replicas (`connectors.calendly.rate_limit`).
    #[must_use]
    pub fn with_limit(mut self, limit: CallLimit) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The token's user and organization.
    pub async fn users_me(&self) -> Result<CalendlyUser, ProviderError> {
        self.get_resource("users me", &["users", "me"]).await
    }

    /// Every scheduled event matching `query`, all pages.
    pub async fn list_scheduled_events(
        &self,
        query: &EventsQuery,
    ) -> Result<Vec<ScheduledEvent>, ProviderError> {
        let mut params = vec![query.scope.owner_param()];
        let time =
            |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
        if let Some(t) = &query.min_start_time {
            params.push(("min_start_time", time(t)));
        }
        if let Some(t) = &query.max_start_time {
            params.push(("max_start_time", time(t)));
        }
        if let Some(s) = query.status {
            params.push(("status", s.as_str().to_owned()));
        }
        self.list("list scheduled events", &["scheduled_events"], &params)
            .await
    }

    /// Every invitee of one scheduled event (its UUID or URI), all pages.
    pub async fn list_invitees(&self, event: &str) -> Result<Vec<Invitee>, ProviderError> {
        let uuid = http::encode_segment(last_segment(event));
        self.list(
            "list invitees",
            &["scheduled_events", &uuid, "invitees"],
            &[],
        )
        .await
    }

    /// Every webhook subscription of the scope, all pages.
    pub async fn list_webhook_subscriptions(
        &self,
        scope: &Scope,
    ) -> Result<Vec<WebhookSubscription>, ProviderError> {
        let mut params = vec![
            ("organization", scope.organization().to_owned()),
            ("scope", scope.as_str().to_owned()),
        ];
        if let Scope::User { user, .. } = scope {
            params.push(("user", user.clone()));
        }
        self.list(
            "list webhook subscriptions",
            &["webhook_subscriptions"],
            &params,
        )
        .await
    }

    /// Creates a webhook subscription (needs a paid Calendly plan).
    pub async fn create_webhook_subscription(
        &self,
        new: &NewWebhookSubscription,
    ) -> Result<WebhookSubscription, ProviderError> {
        const OP: &str = "create webhook subscription";
        let mut body = serde_json::json!({
            "url": new.url,
            "events": new.events,
            "organization": new.scope.organization(),
            "scope": new.scope.as_str(),
        });
        if let Scope::User { user, .. } = &new.scope {
            body["user"] = user.clone().into();
        }
        if let Some(key) = &new.signing_key {
            body["signing_key"] = key.expose_secret().into();
        }
        let url = http::endpoint(&self.base_url, &["webhook_subscriptions"]);
        let resp = self.send(OP, self.http.post(url).json(&body)).await?;
        Ok(resp.json::<Resource<_>>(Provider::Calendly, OP)?.resource)
    }

    /// Deletes a webhook subscription (its URI or UUID).
    pub async fn delete_webhook_subscription(
        &self,
        subscription: &str,
    ) -> Result<(), ProviderError> {
        let uuid = http::encode_segment(last_segment(subscription));
        let url = http::endpoint(&self.base_url, &["webhook_subscriptions", &uuid]);
        self.send("delete webhook subscription", self.http.delete(url))
            .await?;
        Ok(())
    }

    /// Every event type of the scope (user or organization), all pages.
    pub async fn list_event_types(&self, scope: &Scope) -> Result<Vec<EventType>, ProviderError> {
        self.list("list event types", &["event_types"], &[scope.owner_param()])
            .await
    }

    /// A single-use booking link for an event type (URI); returns its booking URL.
    pub async fn create_scheduling_link(&self, event_type: &str) -> Result<String, ProviderError> {
        const OP: &str = "create scheduling link";
        let body = NewSchedulingLink {
            max_event_count: 1,
            owner: event_type,
            owner_type: "EventType",
        };
        let url = http::endpoint(&self.base_url, &["scheduling_links"]);
        let resp = self.send(OP, self.http.post(url).json(&body)).await?;
        Ok(resp
            .json::<Resource<SchedulingLink>>(Provider::Calendly, OP)?
            .resource
            .booking_url)
    }

    /// Marks an invitee (URI) as a no-show.
    pub async fn create_invitee_no_show(
        &self,
        invitee: &str,
    ) -> Result<InviteeNoShow, ProviderError> {
        const OP: &str = "create invitee no-show";
        let url = http::endpoint(&self.base_url, &["invitee_no_shows"]);
        let body = serde_json::json!({ "invitee": invitee });
        let resp = self.send(OP, self.http.post(url).json(&body)).await?;
        Ok(resp.json::<Resource<_>>(Provider::Calendly, OP)?.resource)
    }

    /// Removes a no-show mark (its URI or UUID).
    pub async fn delete_invitee_no_show(&self, no_show: &str) -> Result<(), ProviderError> {
        let uuid = http::encode_segment(last_segment(no_show));
        let url = http::endpoint(&self.base_url, &["invitee_no_shows", &uuid]);
        self.send("delete invitee no-show", self.http.delete(url))
            .await?;
        Ok(())
    }

    async fn get_resource<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &[&str],
    ) -> Result<T, ProviderError> {
        let url = http::endpoint(&self.base_url, path);
        let resp = self.send(op, self.http.get(url)).await?;
        Ok(resp.json::<Resource<T>>(Provider::Calendly, op)?.resource)
    }

    /// GETs every page of a collection.
    async fn list<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &[&str],
        params: &[(&str, String)],
    ) -> Result<Vec<T>, ProviderError> {
        let base = http::endpoint(&self.base_url, path);
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = base.clone();
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("count", PAGE_COUNT);
                for (k, v) in params {
                    q.append_pair(k, v);
                }
                if let Some(t) = &token {
                    q.append_pair("page_token", t);
                }
            }
            let page: Page<T> = self
                .send(op, self.http.get(url))
                .await?
                .json(Provider::Calendly, op)?;
            all.extend(page.collection);
            match page
                .pagination
                .and_then(|p| p.next_page_token)
                .filter(|t| !t.is_empty())
            {
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(ProviderError::new(
                        Provider::Calendly,
                        op,
                        ErrorClass::ProviderServer,
                        "pagination stopped: the same next_page_token twice",
                    ));
                }
                Some(next) => token = Some(next),
                None => return Ok(all),
            }
        }
        Err(ProviderError::new(
            Provider::Calendly,
            op,
            ErrorClass::ProviderServer,
            "pagination stopped: too many pages",
        ))
    }

    async fn send(
        &self,
        op: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, ProviderError> {
        if let Some(limit) = &self.limit {
            limit.slot(Provider::Calendly, op).await?;
        }
        let request = request.header("authorization", self.authorization.clone());
        let resp = http::execute(Provider::Calendly, op, request).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(api_error(op, &resp))
        }
    }
}

/// The last path segment of a URI, or the input when it has no `/`.
fn last_segment(uri_or_uuid: &str) -> &str {
    let trimmed = uri_or_uuid.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}
