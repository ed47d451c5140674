//! The `meetflow-ingest` process on the shared start-up ([`meetflow_shared::process`]: settings,
//! logging, Redis, the ops endpoints, signals): the webhook server runs as a supervised loop.

use std::time::Duration;

use meetflow_shared::process::{Process, ProcessError};

use crate::config::IngestConfig;
use crate::startup::{Application, StartupError};

/// The binary's name, in logs and on stderr.
pub const NAME: &str = "meetflow-ingest";

/// Why the ingest process could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Start-up failed (settings, Redis URL, ops endpoints) or the server failed or panicked.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// `ingest.listen` cannot be bound.
    #[error(transparent)]
    Startup(#[from] StartupError),
}

/// Serves the webhooks in a started `process` until SIGTERM/SIGINT.
///
/// # Errors
/// A one-line reason: an address in use, or the server failed.
pub async fn serve(process: Process) -> Result<(), RunError> {
    let config = IngestConfig::from_settings(process.settings());
    serve_with(process, config).await
}

/// [`serve`] with a derived configuration (the load-test server turns de-duplication off here;
/// no flag or configuration key of the binary can).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with(mut process: Process, config: IngestConfig) -> Result<(), RunError> {
    // Requests in flight get `shutdown_grace` inside the server; the supervisor waits a little
    // longer so that it is the server that cuts them off, with its log line.
    let grace = config.limits.shutdown_grace + Duration::from_secs(1);
    let app = Application::build_on(config, process.redis().clone()).await?;
    let stop = process.stop_token();
    process.spawn("webhook server", async move {
        app.run_until_stopped(stop.cancelled_owned()).await;
        Ok::<(), std::convert::Infallible>(())
    });
    Ok(process.run(grace).await?)
}
