//! One start-up and one supervision rule for every long-running binary (`meetflow-ingest`,
//! `meetflow-worker`, `meetflow-scheduler`, `meetflow-admin serve`).
//!
//! A binary's `main` parses its flags and hands a closure to [`main`] (runtime, exit code). The
//! closure calls [`Process::start`], which in this order installs logging ([`crate::telemetry`]),
//! loads and validates the settings for the binary's [`Role`](crate::config::Role), opens the Redis
//! connection (lazy: a Redis that is down at start makes the process not ready, not dead) and
//! serves `/healthz`, `/readyz` (Redis PING) and `/metrics` on `ops.listen` ([`crate::ops`]).
//! The binary then spawns its long-running loops with [`Process::spawn`] and waits in
//! [`Process::run`].
//!
//! The rule ([`supervise`]): a loop that returns an error, panics, or ends before the stop signal
//! is logged, every other loop is stopped, and the process exits 1 so that its orchestrator
//! restarts it. After SIGTERM/SIGINT the loops get a grace period to finish and the process exits
//! 0 (unless a loop failed while stopping).

pub mod exit;
pub mod layout;
pub mod redis_checks;
pub mod start;
pub mod supervise;
#[cfg(debug_assertions)]
mod test_hook;

pub use exit::main;
pub use start::{Process, ProcessError};
pub use supervise::{LoopFailure, Supervisor};
