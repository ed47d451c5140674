//! ingest tests.

mod intake;
mod resilience;
mod signatures;
