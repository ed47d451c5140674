//! ingest tests.

mod intake;
mod process;
mod resilience;
mod signatures;
