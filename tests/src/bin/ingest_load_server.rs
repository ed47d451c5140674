//! `ingest-load-server`: `meetflow-ingest` with redelivery de-duplication turned off, for the
//! webhook load benchmarks only (`scripts/bench-ingest.sh`; `scripts/bench-delivery-log.sh`,
//! which also turns the delivery log off with `MEETFLOW__INGEST__DELIVERY_LOG__RETENTION=0s`).
//! The harness sends the same signed delivery every time and counts one job per 200; here every
//! request becomes a job with a fresh id, so the Redis work per request is that of a new delivery.
//!
//! The production binary has no way to do this (no flag, no configuration key): this server is
//! built from the same library and shared start-up, in the tests crate, and is never shipped.

use std::path::PathBuf;
use std::process::ExitCode;

use meetflow_ingest::IngestConfig;
use meetflow_ingest::run::{NAME, serve_with};
use meetflow_shared::config::Role;
use meetflow_shared::process::{self, Process};

fn main() -> ExitCode {
    let config = std::env::var_os("MEETFLOW_CONFIG").map(PathBuf::from);
    process::main(NAME, || async move {
        let process = Process::start(NAME, Role::Ingest, config.as_deref()).await?;
        let mut ingest = IngestConfig::from_settings(process.settings());
        ingest.dedupe = false;
        serve_with(process, ingest).await
    })
}
