//! ingest tests.

mod accepted_metric;
mod delivery_log;
mod engagelab_authorization;
mod engagelab_callbacks;
mod intake;
mod log_metrics;
mod process;
mod resilience;
mod signature_warnings;
mod signatures;
