//! `meetflow-worker`: runs meetflow's jobs. See the library for what each queue does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meetflow_shared::config::{Role, Settings};
use meetflow_shared::shutdown::Shutdown;
use meetflow_shared::telemetry;
use meetflow_worker::QueueSelection;

/// Runs the jobs of the selected queues (webhook events, Brevo syncs, SMS, Zoom attendance).
#[derive(Debug, Parser)]
#[command(name = "meetflow-worker", version)]
struct Cli {
    /// Configuration file (YAML).
    #[arg(long, env = "MEETFLOW_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Queues this process serves, comma-separated [default: all].
    #[arg(long, value_delimiter = ',', value_parser = ["events", "brevo", "sms", "zoom"])]
    queues: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("meetflow-worker: {e}");
        ExitCode::FAILURE
    };
    let queues = match QueueSelection::parse(&cli.queues) {
        Ok(q) => q,
        Err(e) => return fail(&e),
    };
    let settings = match Settings::load(cli.config.as_deref())
        .and_then(|s| s.validate_for(Role::Worker).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Err(e) = telemetry::init("meetflow-worker") {
        return fail(&e);
    }
    match meetflow_worker::run(settings, queues, Shutdown::on_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "meetflow-worker stopped with an error");
            fail(&e)
        }
    }
}
