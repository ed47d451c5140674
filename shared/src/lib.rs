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
//! - [`ops_metrics`]: build info, process metrics, `meetflow_redis_up`, histogram buckets and
//!   the HELP text of every metric.
//! - [`domain`]: parsed values (E.164 phone numbers, emails, booking keys).
//! - [`events`]: Calendly and Zoom webhook models, parsed from verified raw bytes.
//! - [`queue`]: meetflow's own Redis job queue, run under apalis.
//! - [`jobs`]: the payload of every job and the names of the queues.
//! - [`providers`]: HTTP clients for Brevo, EngageLab, Calendly and Zoom, with retry classification.
//! - [`bookings`]: the current state of each booking and its planned reminders, in Redis.
//! - [`tls`]: the rustls crypto provider shared by the HTTP clients and `rediss://` connections.

pub mod bookings;
pub mod config;
pub mod domain;
pub mod events;
pub mod jobs;
pub mod ops;
pub mod ops_metrics;
pub mod providers;
pub mod queue;
pub mod shutdown;
pub mod telemetry;
pub mod tls;
