//! # meetflow-shared
//!
//! Library code used by every meetflow binary (`meetflow-ingest`, `meetflow-worker`,
//! `meetflow-scheduler`, `meetflow-admin`). The binaries stay thin; what they do lives here
//! or in their own `lib.rs`, so tests can drive it.
//!
//! Crate map:
//! - [`config`]: the one YAML file, `${VAR}` substitution, `MEETFLOW__` overrides, validation.
//! - [`telemetry`]: tracing-subscriber setup (json | pretty) and redaction of phone numbers and emails.
//! - [`shutdown`]: the SIGTERM / Ctrl-C future every binary waits on.
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics` served by every binary on `ops.listen`.
//! - [`process`]: the one start-up (settings, logging, Redis, ops) and loop supervision of
//!   every long-running binary, and its exit code.
//! - [`ops_metrics`]: build info, process metrics, `meetflow_redis_up`, histogram buckets and
//!   the HELP text of every metric.
//! - [`domain`]: the leaf: parsed values (E.164 phone numbers, emails, booking keys), reminder
//!   kinds and error classes; it imports nothing of ours.
//! - [`events`]: Calendly and Zoom webhook models, parsed from verified raw bytes.
//! - [`queue`]: meetflow's own Redis job queue, run under apalis.
//! - [`jobs`]: the payload of every job and the names of the queues.
//! - [`providers`]: HTTP clients for Brevo, EngageLab, Calendly and Zoom, with retry classification.
//! - [`job_failures`]: a provider's failure as a job's answer (the one module that sees both).
//! - [`bookings`]: the current state of each booking and its planned reminders, in Redis.
//! - [`sms_suppression`]: who must not be texted (by number or e-mail), read at each send.
//! - [`person_index`]: what the person page finds a person by (phone) and a booking's trail
//!   of deliveries and statuses.
//! - [`audit`]: the audit trail of admin actions (who, what, when, how many, outcome).
//! - [`sync`]: the backfill of Calendly's history (`meetflow-admin sync calendly`): slices,
//!   runs, and the ledger that makes a second run change nothing.
//! - [`redis`]: every Redis key (names, types, expiry, owners), the handle stores receive, and
//!   the Lua script loader.
//! - [`tls`]: the rustls crypto provider shared by the HTTP clients and `rediss://` connections.

pub mod audit;
pub mod auto_no_show;
pub mod bookings;
pub mod config;
pub mod delivery_log;
pub mod domain;
pub mod events;
pub mod ids;
pub mod job_failures;
pub mod jobs;
#[cfg(test)]
mod layers;
pub mod locale;
pub mod ops;
pub mod ops_metrics;
pub mod person_index;
pub mod process;
pub mod providers;
pub mod queue;
pub mod redis;
pub mod request_log;
pub mod shutdown;
pub mod sms_delivery;
pub mod sms_suppression;
pub mod sync;
pub mod telemetry;
pub mod tls;
