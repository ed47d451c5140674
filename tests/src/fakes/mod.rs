//! Fake provider servers over real HTTP (axum on 127.0.0.1:0).
//!
//! Each fake reproduces the behaviours listed in `docs/providers.md` under "Behaviour a
//! fake ... must reproduce": status codes, error bodies and headers as the real provider
//! sends them, plus state a test can inspect and faults a test can inject. Every request
//! is recorded ([`RecordedRequest`]) before any fault or auth check runs, and appended to the
//! file named by `MEETFLOW_REQUEST_LOG` when set ([`REQUEST_LOG_ENV`]).
//!
//! One fake per test: start it, point the service's `base_url` at [`FakeBrevo::base_url`]
//! (etc.), and drop it at the end (the server task is aborted on drop).

mod brevo;
mod brevo_contacts;
mod brevo_store;
mod calendly;
mod common;
mod engagelab;
mod engagelab_callbacks;
mod engagelab_send;
mod otlp_collector;
mod request_log;
mod zoom;

pub use brevo::{BrevoContact, BrevoEvent, FakeBrevo};
pub use calendly::FakeCalendlyApi;
pub use common::RecordedRequest;
pub use engagelab::{FakeEngageLab, SentSms};
pub use engagelab_callbacks::{notification_callback, status_callback, status_callback_by_id};
pub use meetflow_admin::sandbox::calendly::{
    CalendlyDelivery, DEFAULT_EVENT_TYPE_URI, EventSeed, InviteeSeed, ORG_URI, USER_URI,
};
pub use otlp_collector::{CollectedSpan, FakeCollector};
pub use request_log::{DELIBERATE_HEADER, REQUEST_LOG_ENV, probe_client};
pub use zoom::FakeZoom;
