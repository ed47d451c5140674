//! `meetflow-ingest`: the webhook HTTP server. Thin on purpose; the logic is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Webhook intake for Calendly and Zoom: verifies signatures, de-duplicates, enqueues durably.
#[derive(Debug, Parser)]
#[command(name = "meetflow-ingest", version)]
struct Args {
    /// The YAML configuration file (built-in defaults when absent).
    #[arg(long, value_name = "PATH", env = "MEETFLOW_CONFIG")]
    config: Option<PathBuf>,
    /// LOAD TESTS ONLY: give every request a fresh job id, so a redelivery becomes a second job.
    #[arg(long)]
    no_dedupe: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match meetflow_ingest::run::run(args.config.as_deref(), !args.no_dedupe).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("meetflow-ingest: {error:#}");
            ExitCode::FAILURE
        }
    }
}
