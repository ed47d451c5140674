//! ingest tests.

mod accepted_metric;
mod intake;
mod resilience;
mod signatures;
