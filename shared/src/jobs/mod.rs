//! Job payloads and queue names: the contract between ingest, the scheduler and the workers.
//!
//! Every payload states its queue, its version (`v`) and how its job id is formed in one place,
//! its [`JobSpec`] impl beside the type, so a worker can refuse (dead-letter) a shape it does not
//! know after a rolling deploy instead of misreading it. One file per payload.

pub mod brevo;
mod links;
pub mod reminder;
pub mod sms;
pub mod spec;
pub mod sync;
pub mod synthetic;
pub mod webhook;
pub mod zoom;

pub use links::MessageLinks;
pub use spec::{JobSpec, QueuePayload, UnsupportedVersion};
pub use webhook::{BodyEncoding, WebhookJob, WebhookJobError};

/// One job per accepted webhook delivery, carrying the verified raw body ([`WebhookJob`]).
pub const EVENTS: &str = "events";
/// Brevo contact and event syncs.
pub const BREVO: &str = "brevo";
/// EngageLab SMS sends.
pub const SMS: &str = "sms";
/// Zoom API look-ups (participants, attendance).
pub const ZOOM: &str = "zoom";

/// Backfill slices (`meetflow-admin sync calendly`): one job per time slice of the history.
pub const SYNC: &str = "sync";

/// Every queue meetflow runs, in the order workers list them.
pub const ALL_QUEUES: [&str; 5] = [EVENTS, BREVO, SMS, ZOOM, SYNC];
