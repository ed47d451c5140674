//! ingest tests.

mod accepted_metric;
mod intake;
mod process;
mod resilience;
mod signature_warnings;
mod signatures;
