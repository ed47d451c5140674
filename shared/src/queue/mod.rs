//! meetflow's job queue: our own Redis backend, run under apalis.
//!
//! Why our own: apalis-redis 1.0.0 loses workers under bursts and stalls, runs jobs twice when a
//! worker is saturated, ignores `max_attempts` and Retry-After, and cannot cancel or replay (see
//! `docs/architecture.md`, "The queue core"). apalis stays the worker runtime; this module owns
//! the data in Redis, all of it behind atomic Lua scripts:
//!
//! - [`QueueClient`]: enqueue (deduplicated by id), cancel by id or group, inspect, dead letters,
//!   pause and resume ([`PauseScope`]); every job in view by state with a stable cursor
//!   ([`ListState`], [`QueueClient::list_jobs`]), an operator's run-now / cancel / move to the
//!   dead letters ([`QueueClient::act`]), and the live worker processes
//!   ([`QueueClient::processes`]).
//! - [`run_queue`]: leases jobs with a renewable lease, so a crashed process's jobs run elsewhere
//!   after `lease`, while a healthy long job keeps its lease; idle workers sleep on a wake list.
//! - Retries back off exponentially with full jitter, or wait for the provider's hint without
//!   spending an attempt when rate limited; every attempt's error is kept with the job.
//! - Every key is built by [`crate::redis::Keys`] (re-exported here as [`Keys`]), documented in
//!   [`crate::redis::KEYS`].

mod backoff;
mod browse;
mod client;
mod control;
mod dead_letters;
mod error;
#[cfg(test)]
mod error_tests;
mod gate;
mod identity;
mod inspect;
mod job;
mod logged;
mod metrics;
mod pause;
mod processes;
mod runtime;
mod scripts;
mod settings;
#[doc(hidden)]
pub mod testing;
mod time;

pub use crate::redis::Keys;
pub use backoff::{exponential_ceiling, full_jitter};
pub use browse::{BrowseError, JobPage, JobRow, ListState, SCAN_BUDGET};
pub use client::QueueClient;
pub use control::{ActOutcome, JobAction, OPERATOR_CLASS};
pub use dead_letters::DeadLetters;
pub use error::{ErrorClass, JobError, QueueError};
pub use gate::{Classify, LeaseGate};
pub use identity::process_identity;
pub use inspect::QueueStats;
pub use job::{AttemptError, DEFAULT_RETAIN, Enqueued, JobRecord, JobState, NewJob};
pub use logged::{TRIM_BUDGET, TrimReport};
pub use metrics::spawn_stats_exporter;
pub use pause::{PauseError, PauseScope};
pub use processes::ProcessInfo;
pub use runtime::{JobContext, LeasedJob, QueueBackend, run_queue};
pub use settings::QueueSettings;
pub use time::now_ms;
