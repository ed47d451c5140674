//! `meetflow-ingest`: the webhook HTTP server. The start-up is the shared one
//! ([`meetflow_shared::process`]); the server is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meetflow_ingest::run::{NAME, serve};
use meetflow_shared::config::Role;
use meetflow_shared::process::{self, Process};

/// Webhook intake for Calendly and Zoom: verifies signatures, de-duplicates, enqueues durably.
#[derive(Debug, Parser)]
#[command(name = "meetflow-ingest", version)]
struct Args {
    /// The YAML configuration file (built-in defaults when absent).
    #[arg(long, value_name = "PATH", env = "MEETFLOW_CONFIG")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    process::main(NAME, || async move {
        serve(Process::start(NAME, Role::Ingest, args.config.as_deref()).await?).await
    })
}
