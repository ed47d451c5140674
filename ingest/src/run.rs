//! The process around the server: configuration, logging, the ops endpoints, signals.

use std::path::Path;

use anyhow::Context as _;
use futures::future::BoxFuture;
use meetflow_shared::config::{Role, Settings};
use meetflow_shared::shutdown::Shutdown;
use meetflow_shared::{ops, telemetry};

use crate::config::IngestConfig;
use crate::startup::Application;

/// Runs `meetflow-ingest` until SIGTERM/SIGINT; `dedupe: false` only for load tests.
///
/// # Errors
/// A one-line reason for a bad configuration, an address in use, or a bad log format.
pub async fn run(config_path: Option<&Path>, dedupe: bool) -> anyhow::Result<()> {
    telemetry::init("meetflow-ingest")?;
    let settings = Settings::load(config_path)?;
    settings.validate_for(Role::Ingest)?;
    let mut config = IngestConfig::from_settings(&settings);
    config.dedupe = dedupe;
    let app = Application::build_with(config).await?;
    let shutdown = Shutdown::on_signal();
    let queue = app.queue().clone();
    let ready = move || -> BoxFuture<'static, bool> {
        let queue = queue.clone();
        Box::pin(async move { queue.ping().await.is_ok() })
    };
    let (_, ops_task) = ops::serve(settings.ops.listen, ready, shutdown.wait()).await?;
    app.run_until_stopped(shutdown.wait()).await;
    shutdown.trigger();
    ops_task
        .await
        .context("ops server task")?
        .context("ops server")?;
    tracing::info!("meetflow-ingest stopped");
    Ok(())
}
