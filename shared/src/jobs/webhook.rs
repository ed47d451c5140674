//! [`WebhookJob`]: one accepted webhook delivery, as ingest stores it on the `events` queue.
//!
//! Ingest stays thin: it verifies the signature, reads the event name and identity, and stores the
//! raw body untouched with this metadata. The worker parses the body
//! ([`crate::events::calendly::parse`], [`crate::events::zoom::parse`]) and decides what it means.
//! A body that is not valid UTF-8 (so never valid JSON) is kept as base64 so nothing a provider
//! sent is lost, even in the dead-letter store.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::spec::JobSpec;
use crate::events::Provider;

/// How [`WebhookJob::body`] holds the raw bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    /// The body is the raw bytes, which were valid UTF-8 (every JSON delivery).
    #[default]
    Utf8,
    /// The raw bytes were not UTF-8; `body` is their standard base64.
    Base64,
}

impl BodyEncoding {
    fn is_utf8(&self) -> bool {
        *self == Self::Utf8
    }
}

/// A stored job payload that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum WebhookJobError {
    /// Payload version this build does not know (permanent for this build).
    #[error("webhook job version {0} is not supported (this build reads versions 1 to 3)")]
    UnsupportedVersion(u32),
    /// `body_encoding: base64` with a body that is not base64.
    #[error("webhook job body is not valid base64")]
    BadBase64,
}

/// One accepted webhook delivery (queue [`super::EVENTS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    /// Payload version: [`WebhookJob::VERSION`], or [`WebhookJob::VERSION_ADOPTED`] when the job
    /// carries `adopted: true` (so a build that does not know the marker refuses the job instead
    /// of announcing the booking).
    pub v: u32,
    /// Who sent it.
    pub provider: Provider,
    /// Envelope event name (`invitee.created`, `meeting.ended`, ...); `None` only for bodies that
    /// had none, which ingest stores straight into the dead-letter store.
    pub event: Option<String>,
    /// When ingest received the request.
    pub received_at: DateTime<Utc>,
    /// The delivery's identity, equal to the job id (`wh:<provider>:<sha256 hex>`).
    pub delivery_id: String,
    /// `false` when the delivery was accepted without a signature (`allow_unsigned: true`).
    pub signed: bool,
    /// The provider's request id header (`x-zm-request-id`), for tracing; not stable across retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// How `body` holds the raw bytes.
    #[serde(default, skip_serializing_if = "BodyEncoding::is_utf8")]
    pub body_encoding: BodyEncoding,
    /// Set by the reconciliation on a booking (or no-show) that happened before meetflow's
    /// go-live baseline: the worker records it, syncs Brevo and plans what is still ahead, but
    /// announces nothing (no confirmation, host notice, Brevo event or apology). Absent (false)
    /// on every real delivery and on version 1 payloads.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    /// Set by the backfill (`meetflow-admin sync calendly`) on an invitee it brings over from
    /// Calendly's history, with `adopted`: the worker records the booking in its final state
    /// (active, cancelled or no-show) and syncs Brevo, including the lifecycle events with their
    /// original times, but sends nothing. Payload version [`WebhookJob::VERSION_BACKFILL`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backfill: bool,
    /// The raw request body, byte for byte (see `body_encoding`).
    pub body: String,
}

impl JobSpec for WebhookJob {
    const QUEUE: &'static str = super::EVENTS;
    const VERSION: u32 = WebhookJob::VERSION;
    const MAX_VERSION: u32 = WebhookJob::VERSION_BACKFILL;
    const NAME: &'static str = "webhook job";
    type IdFrom = ();

    /// The delivery's identity (`wh:<provider>:<sha256 hex>`), so a delivery retried by its
    /// provider is stored once.
    fn job_id(&self, (): &()) -> String {
        self.delivery_id.clone()
    }

    fn version(&self) -> u32 {
        self.v
    }
}

/// Request id of deliveries rebuilt by the scheduler's reconciliation from the Calendly API (a
/// webhook that never came), so operators and the worker can tell them from real deliveries.
pub const RECONCILE_REQUEST_ID: &str = "meetflow-reconcile";

/// Request id of the jobs the backfill (`meetflow-admin sync calendly`) builds from the Calendly
/// API, one per invitee.
pub const BACKFILL_REQUEST_ID: &str = "meetflow-backfill";

impl WebhookJob {
    /// The payload version this build writes for every delivery without a marker (and reads).
    pub const VERSION: u32 = 1;
    /// The payload version of a job with `adopted: true`. Version 1 payloads (written by older
    /// builds) stay readable; an older build refuses a version 2 payload (a permanent failure,
    /// kept in the dead letters) rather than ignoring the marker and announcing the booking.
    pub const VERSION_ADOPTED: u32 = 2;
    /// The payload version of a backfill job (`adopted` and `backfill`): a build that reads only
    /// versions 1 and 2 refuses it (kept in the dead letters) rather than treating a cancelled
    /// or no-show booking from the history as a new one.
    pub const VERSION_BACKFILL: u32 = 3;

    /// Whether this delivery was rebuilt by the reconciliation ([`RECONCILE_REQUEST_ID`]).
    pub fn is_reconciled(&self) -> bool {
        self.request_id.as_deref() == Some(RECONCILE_REQUEST_ID)
    }

    /// A job for a delivery; the body is kept as text when it is UTF-8, else as base64.
    #[must_use]
    pub fn new(
        provider: Provider,
        event: Option<String>,
        received_at: DateTime<Utc>,
        delivery_id: String,
        raw_body: &[u8],
        signed: bool,
    ) -> Self {
        let (body_encoding, body) = match std::str::from_utf8(raw_body) {
            Ok(text) => (BodyEncoding::Utf8, text.to_owned()),
            Err(_) => (BodyEncoding::Base64, STANDARD.encode(raw_body)),
        };
        Self {
            v: Self::VERSION,
            provider,
            event,
            received_at,
            delivery_id,
            signed,
            request_id: None,
            body_encoding,
            adopted: false,
            backfill: false,
            body,
        }
    }

    /// Marks the job as a quiet adoption by the reconciliation (see [`WebhookJob::adopted`]);
    /// the payload becomes version [`WebhookJob::VERSION_ADOPTED`].
    #[must_use]
    pub fn adopted(mut self) -> Self {
        self.adopted = true;
        self.v = Self::VERSION_ADOPTED;
        self
    }

    /// Marks the job as one invitee of the backfill (see [`WebhookJob::backfill`]); the payload
    /// becomes version [`WebhookJob::VERSION_BACKFILL`].
    #[must_use]
    pub fn backfilled(mut self) -> Self {
        self.adopted = true;
        self.backfill = true;
        self.v = Self::VERSION_BACKFILL;
        self
    }

    /// Whether this is a backfill job: the marker is set on a payload that may carry it.
    pub fn is_backfill(&self) -> bool {
        self.backfill && self.adopted && self.v >= Self::VERSION_BACKFILL
    }

    /// Whether the worker must stay quiet: the marker is set on a payload that may carry it.
    pub fn is_adopted(&self) -> bool {
        self.adopted && self.v >= Self::VERSION_ADOPTED
    }

    /// Adds the provider's request id header value (at most 128 characters are kept).
    #[must_use]
    pub fn with_request_id(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(|r| r.chars().take(128).collect());
        self
    }

    /// The raw body bytes, exactly as received.
    ///
    /// # Errors
    /// [`WebhookJobError::UnsupportedVersion`] for a payload from a newer build,
    /// [`WebhookJobError::BadBase64`] for a corrupt base64 body. Both are permanent.
    pub fn raw_body(&self) -> Result<Cow<'_, [u8]>, WebhookJobError> {
        if !(Self::VERSION..=Self::VERSION_BACKFILL).contains(&self.v) {
            return Err(WebhookJobError::UnsupportedVersion(self.v));
        }
        match self.body_encoding {
            BodyEncoding::Utf8 => Ok(Cow::Borrowed(self.body.as_bytes())),
            BodyEncoding::Base64 => STANDARD
                .decode(&self.body)
                .map(Cow::Owned)
                .map_err(|_| WebhookJobError::BadBase64),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn utf8_bodies_round_trip_as_text() {
        let body = br#"{"event":"invitee.created","payload":{"name":"L\u00e9a"}}"#;
        let job = WebhookJob::new(
            Provider::Calendly,
            Some("invitee.created".into()),
            at(),
            "wh:calendly:x".into(),
            body,
            true,
        );
        let text = serde_json::to_string(&job).unwrap();
        assert!(
            !text.contains("body_encoding") && !text.contains("request_id"),
            "{text}"
        );
        assert!(text.contains(r#""v":1"#) && text.contains(r#""provider":"calendly""#));
        let back: WebhookJob = serde_json::from_str(&text).unwrap();
        assert_eq!(back, job);
        assert_eq!(back.raw_body().unwrap().as_ref(), body);
    }

    #[test]
    fn non_utf8_bodies_are_kept_as_base64() {
        let body = [0xff, 0xfe, b'{', 0x00];
        let job = WebhookJob::new(Provider::Zoom, None, at(), "wh:zoom:y".into(), &body, true)
            .with_request_id(Some("req-1"));
        let back: WebhookJob = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
        assert_eq!(back.body_encoding, BodyEncoding::Base64);
        assert_eq!(back.raw_body().unwrap().as_ref(), body);
        assert_eq!(back.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn unknown_versions_are_refused() {
        let mut job = WebhookJob::new(Provider::Zoom, None, at(), "id".into(), b"{}", true);
        job.v = 4;
        assert!(matches!(
            job.raw_body(),
            Err(WebhookJobError::UnsupportedVersion(4))
        ));
    }

    #[test]
    fn the_adopted_marker_is_version_2_and_version_1_payloads_still_read() {
        let job = WebhookJob::new(Provider::Calendly, None, at(), "id".into(), b"{}", true);
        let adopted = job.clone().adopted();
        let text = serde_json::to_string(&adopted).unwrap();
        assert!(
            text.contains(r#""v":2"#) && text.contains(r#""adopted":true"#),
            "{text}"
        );
        let back: WebhookJob = serde_json::from_str(&text).unwrap();
        assert!(back.is_adopted());
        assert_eq!(back.raw_body().unwrap().as_ref(), b"{}");
        // a version 1 payload written before the marker existed: read, not adopted
        let old = r#"{"v":1,"provider":"calendly","event":null,"received_at":"2026-01-01T00:00:00Z","delivery_id":"id","signed":true,"body":"{}"}"#;
        let back: WebhookJob = serde_json::from_str(old).unwrap();
        assert!(!back.is_adopted());
        assert!(back.raw_body().is_ok());
        assert!(!serde_json::to_string(&job).unwrap().contains("adopted"));
    }

    #[test]
    fn the_backfill_marker_is_version_3_and_also_adopted() {
        let job = WebhookJob::new(Provider::Calendly, None, at(), "id".into(), b"{}", true);
        let text = serde_json::to_string(&job.clone().backfilled()).unwrap();
        assert!(
            text.contains(r#""v":3"#) && text.contains(r#""backfill":true"#),
            "{text}"
        );
        let back: WebhookJob = serde_json::from_str(&text).unwrap();
        assert!(back.is_backfill() && back.is_adopted());
        assert!(!job.clone().adopted().is_backfill());
        assert!(!serde_json::to_string(&job).unwrap().contains("backfill"));
    }
}
