//! [`Process`]: settings, logging, Redis, the ops endpoints and the supervisor of one binary,
//! built the same way for every binary.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::layout::{self, Layout};
use super::redis_checks::{self, RedisFacts};
use super::supervise::{LoopFailure, Supervisor};
use crate::config::{ConfigError, Role, Settings};
use crate::ops::{self, OpsError};
use crate::queue::{QueueClient, QueueError};
use crate::shutdown::Shutdown;
use crate::telemetry::{self, TelemetryError, TraceExport};

/// Why a process could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// `MEETFLOW_LOG_FORMAT` is invalid.
    #[error(transparent)]
    Telemetry(#[from] TelemetryError),
    /// The configuration cannot be loaded or is invalid for this binary.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `redis.url` is unusable.
    #[error("cannot use redis.url: {0}")]
    Redis(#[from] QueueError),
    /// The ops endpoints could not start (`ops.listen`).
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// The Redis given is unfit: too old, or an evicting `maxmemory-policy` (see
    /// [`super::redis_checks`]), or it holds keys of an earlier layout ([`super::layout`]).
    #[error("{0}")]
    RedisRefused(String),
    /// A long-running loop failed, panicked or ended early.
    #[error(transparent)]
    Loop(#[from] LoopFailure),
}

/// One running binary: its settings, its Redis connection, its ops endpoints and its loops.
#[derive(Debug)]
pub struct Process {
    name: &'static str,
    settings: Settings,
    redis: QueueClient,
    shutdown: Shutdown,
    ops_addr: SocketAddr,
    supervisor: Supervisor,
    traces: Option<TraceExport>,
}

impl Process {
    /// Start-up of binary `name` (e.g. `meetflow-worker`): logging, the settings of `config`
    /// (else defaults; `${VAR}` and `MEETFLOW__` overrides applied) validated for `role`, Redis,
    /// the ops endpoints, and a stop switch fired by SIGTERM/SIGINT.
    ///
    /// # Errors
    /// [`ProcessError`] with a one-line reason naming the configuration key at fault.
    pub async fn start(
        name: &'static str,
        role: Role,
        config: Option<&Path>,
    ) -> Result<Self, ProcessError> {
        // The format first (a bad MEETFLOW_LOG_FORMAT is reported before the settings), the
        // subscriber once the settings say where traces go.
        telemetry::LogFormat::from_env()?;
        let settings = Settings::load(config)?;
        settings.validate_for(role)?;
        let traces =
            telemetry::init_with_export(name, settings.telemetry.otlp_endpoint.as_deref())?;
        let process = Self::with_settings(name, settings, Shutdown::on_signal()).await?;
        Ok(process.with_trace_export(traces))
    }

    /// Hands the process the trace exporter to flush when it stops (see [`Process::run`]).
    #[must_use]
    pub fn with_trace_export(mut self, traces: Option<TraceExport>) -> Self {
        self.traces = traces;
        self
    }

    /// Like [`Process::start`] from loaded settings and a stop switch of the caller's (tests run
    /// binaries in-process this way and stop them with [`Shutdown::trigger`]).
    ///
    /// # Errors
    /// An unusable `redis.url` or `ops.listen`.
    pub async fn with_settings(
        name: &'static str,
        settings: Settings,
        shutdown: Shutdown,
    ) -> Result<Self, ProcessError> {
        // The metrics recorder first, so that everything from here on is recorded.
        let _ = ops::metrics_handle();
        let redis = QueueClient::new(
            crate::redis::Redis::connect(&settings.redis.url, &settings.redis.namespace)
                .map_err(crate::queue::QueueError::from)?
                .with_wait_replicas(settings.redis.wait_replicas),
        );
        let stop = shutdown.token().child_token();
        let mut supervisor = Supervisor::new(stop.clone());
        let checked = Arc::new(AtomicBool::new(false));
        let allow_eviction = settings.redis.allow_eviction;
        // Redis answering now: check before anything runs. Down at start: check when it answers
        // (a supervised loop, so a refusal then stops the process too).
        match tokio::time::timeout(CHECK_TIMEOUT, read_checks(&redis)).await {
            Ok(Ok((facts, layout))) => apply_checks(&facts, &layout, allow_eviction, &checked)
                .map_err(ProcessError::RedisRefused)?,
            _ => {
                let (client, checked, stop) = (redis.clone(), checked.clone(), stop.clone());
                supervisor.spawn("redis start-up checks", async move {
                    check_when_up(client, allow_eviction, checked, stop).await
                });
            }
        }
        let probe = redis.clone();
        let probe_checked = checked.clone();
        let ready = move || -> BoxFuture<'static, bool> {
            let (probe, checked) = (probe.clone(), probe_checked.clone());
            Box::pin(async move { checked.load(Ordering::SeqCst) && probe.ping().await.is_ok() })
        };
        let (ops_addr, ops_task) =
            ops::serve(settings.ops.listen, ready, stop.clone().cancelled_owned()).await?;
        supervisor.spawn("ops server", async move {
            match ops_task.await {
                Ok(served) => served.map_err(|e| e.to_string()),
                Err(join) => Err(join.to_string()),
            }
        });
        #[cfg(debug_assertions)]
        super::test_hook::inject(&mut supervisor);
        Ok(Self {
            name,
            settings,
            redis,
            shutdown,
            ops_addr,
            supervisor,
            traces: None,
        })
    }

    /// The binary's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Redis connection (a cheap clone of one multiplexed connection).
    pub fn redis(&self) -> &QueueClient {
        &self.redis
    }

    /// The process's stop switch (fired by the signal or by hand).
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// The token every loop stops on: the stop switch, or the first loop failure.
    pub fn stop_token(&self) -> CancellationToken {
        self.supervisor.stop_token()
    }

    /// Where `/healthz`, `/readyz` and `/metrics` are served.
    pub fn ops_addr(&self) -> SocketAddr {
        self.ops_addr
    }

    /// Runs `work` as the supervised loop `name`: if it fails, panics or returns before the stop
    /// the process stops with an error (see [`super::supervise`]).
    pub fn spawn<F, E>(&mut self, name: impl Into<String>, work: F)
    where
        F: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        self.supervisor.spawn(name, work);
    }

    /// Waits for the stop signal or the first loop failure, gives the loops `grace` to finish,
    /// and returns how the process ended.
    ///
    /// # Errors
    /// [`ProcessError::Loop`] when a loop failed, panicked or ended early.
    pub async fn run(self, grace: Duration) -> Result<(), ProcessError> {
        let Self {
            name,
            supervisor,
            traces,
            ..
        } = self;
        tracing::info!(ops = %self.ops_addr, "{name} started");
        let outcome = supervisor.run(grace).await;
        match &outcome {
            Ok(()) => tracing::info!("{name} stopped"),
            Err(e) => tracing::error!(error = %e, "{name} stopped with an error"),
        }
        // The spans of the last jobs leave before the process does.
        if let Some(traces) = traces {
            traces.shutdown().await;
        }
        Ok(outcome?)
    }
}

/// How long the start-up checks wait for Redis before deferring to a background loop.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What the start-up checks read: the Redis facts, then (a fit Redis only) the key layout,
/// recorded when the namespace is new ([`layout::check`]).
async fn read_checks(client: &QueueClient) -> Result<(RedisFacts, Layout), redis::RedisError> {
    let facts = redis_checks::read_facts(client).await?;
    let fit = redis_checks::judge(&facts, true).refusal.is_none();
    let layout = if fit {
        layout::check(client.handle()).await?
    } else {
        Layout::Current
    };
    Ok((facts, layout))
}

/// Logs and exports the checks of `facts` and `layout`; `Err` is the one-line refusal.
fn apply_checks(
    facts: &RedisFacts,
    layout: &Layout,
    allow_eviction: bool,
    checked: &AtomicBool,
) -> Result<(), String> {
    let mut verdict = redis_checks::judge(facts, allow_eviction);
    let layout_refusal = layout.refusal();
    metrics::gauge!("meetflow_redis_check", "check" => "layout").set(if layout_refusal.is_none() {
        1.0
    } else {
        0.0
    });
    if verdict.refusal.is_none() {
        verdict.refusal = layout_refusal;
    }
    redis_checks::export(facts, &verdict);
    for warning in &verdict.warnings {
        tracing::warn!("{warning}");
    }
    if let Some(refusal) = verdict.refusal {
        return Err(refusal);
    }
    tracing::info!(version = %facts.version, policy = ?facts.maxmemory_policy, aof = facts.aof, replicas = facts.replicas, "redis checked");
    checked.store(true, Ordering::SeqCst);
    Ok(())
}

/// Waits until Redis answers, checks it, then idles until the stop (a refusal is an error).
async fn check_when_up(
    client: QueueClient,
    allow_eviction: bool,
    checked: Arc<AtomicBool>,
    stop: CancellationToken,
) -> Result<(), String> {
    loop {
        if let Ok((facts, layout)) = read_checks(&client).await {
            apply_checks(&facts, &layout, allow_eviction, &checked)?;
            stop.cancelled().await;
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = stop.cancelled() => return Ok(()),
        }
    }
}
