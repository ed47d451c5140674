//! The de-duplication identity of a webhook delivery, which is also the id of its job.
//!
//! Providers deliver at least once: Calendly retries any non-2xx for 24 h (re-signing each try),
//! Zoom retries 5xx for about 90 min, and both may repeat an acknowledged delivery. The identity is
//! built from what stays the same across those redeliveries (`docs/providers.md` section 5):
//!
//! - Calendly: event name + `payload.uri` (the invitee) + envelope `created_at`, plus
//!   `payload.no_show.uri` when present, so marking, unmarking and marking again are three events.
//! - Zoom: event + `event_ts` + object id and uuid + participant identity (`participant_uuid`,
//!   `user_id`, `id`, `join_time`, `leave_time`) + registrant id.
//!
//! When the fields that make an identity are missing (Calendly without `payload.uri`, Zoom without
//! `event_ts` and object), the raw body bytes are the identity instead: same bytes, same job.
//! Parts are length-prefixed before hashing so no two different part lists collide, and the job id
//! is `wh:<provider>:<sha256 hex>`.

use sha2::{Digest, Sha256};

use super::Provider;
use super::calendly::CalendlyHead;
use super::zoom::ZoomHead;

/// The identity of one delivery; [`Identity::job_id`] is its job id and dedupe key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    provider: Provider,
    digest_hex: String,
    from_body: bool,
}

impl Identity {
    /// Identity of a Calendly delivery (falls back to the body when `payload.uri` is absent).
    #[must_use]
    pub fn calendly(head: &CalendlyHead, body: &[u8]) -> Self {
        let Some(subject) = head.subject_uri.as_deref() else {
            return Self::of_body(Provider::Calendly, body);
        };
        let parts = [
            Some(head.event.as_str()),
            Some(subject),
            head.created_at.as_deref(),
            head.no_show_uri.as_deref(),
        ];
        Self::of_parts(Provider::Calendly, &parts)
    }

    /// Identity of a Zoom delivery (falls back to the body when it has neither `event_ts` nor an
    /// object id/uuid).
    #[must_use]
    pub fn zoom(head: &ZoomHead, body: &[u8]) -> Self {
        let has_object = head.object_id.is_some() || head.object_uuid.is_some();
        if head.event_ts.is_none() && !has_object {
            return Self::of_body(Provider::Zoom, body);
        }
        let mut parts = vec![
            Some(head.event.as_str()),
            head.event_ts.as_deref(),
            head.object_id.as_deref(),
            head.object_uuid.as_deref(),
        ];
        parts.extend(head.participant.iter().map(Option::as_deref));
        parts.push(head.registrant_id.as_deref());
        Self::of_parts(Provider::Zoom, &parts)
    }

    /// Identity of a body that could not be read as an envelope: its bytes.
    #[must_use]
    pub fn of_body(provider: Provider, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"body\0");
        hasher.update(body);
        Self {
            provider,
            digest_hex: hex::encode(hasher.finalize()),
            from_body: true,
        }
    }

    fn of_parts(provider: Provider, parts: &[Option<&str>]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"fields\0");
        for part in parts {
            match part {
                // `-` marks an absent part, distinct from an empty one (`0:`).
                None => hasher.update(b"-;"),
                Some(text) => {
                    hasher.update(text.len().to_string().as_bytes());
                    hasher.update(b":");
                    hasher.update(text.as_bytes());
                    hasher.update(b";");
                }
            }
        }
        Self {
            provider,
            digest_hex: hex::encode(hasher.finalize()),
            from_body: false,
        }
    }

    /// The job id: `wh:<provider>:<64 hex digits>`.
    #[must_use]
    pub fn job_id(&self) -> String {
        format!("wh:{}:{}", self.provider.as_str(), self.digest_hex)
    }

    /// Whether the identity came from the raw bytes rather than the provider's event fields.
    #[must_use]
    pub fn from_body(&self) -> bool {
        self.from_body
    }

    /// The provider of the delivery.
    #[must_use]
    pub fn provider(&self) -> Provider {
        self.provider
    }
}
