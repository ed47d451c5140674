//! `meetflow-scheduler`: durable reminders, follow-ups and periodic jobs. See the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meetflow_shared::config::{Role, Settings};
use meetflow_shared::shutdown::Shutdown;
use meetflow_shared::telemetry;

/// Enqueues reminders and follow-ups when due; runs the periodic Calendly reconciliation.
#[derive(Debug, Parser)]
#[command(name = "meetflow-scheduler", version)]
struct Cli {
    /// Configuration file (YAML).
    #[arg(long, env = "MEETFLOW_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref())
        .and_then(|s| s.validate_for(Role::Scheduler).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("meetflow-scheduler: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = telemetry::init("meetflow-scheduler") {
        eprintln!("meetflow-scheduler: {e}");
        return ExitCode::FAILURE;
    }
    match meetflow_scheduler::app::run(settings, Shutdown::on_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "meetflow-scheduler stopped with an error");
            eprintln!("meetflow-scheduler: {e}");
            ExitCode::FAILURE
        }
    }
}
