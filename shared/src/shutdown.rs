//! The stop signal every binary waits on: SIGTERM (orchestrators) or SIGINT (Ctrl-C).
//!
//! Servers and workers never listen for signals themselves; they take a future or a
//! [`CancellationToken`] from here, so tests can stop them without signals.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How long a binary lets in-flight work finish after the stop signal by default (below the
/// 30 s Kubernetes and Docker give before SIGKILL).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(25);

/// Resolves on the first SIGTERM or SIGINT.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// A cloneable stop switch: fired by a signal ([`Shutdown::on_signal`]) or by hand
/// ([`Shutdown::trigger`], for tests).
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A switch that only fires when triggered by hand.
    pub fn new() -> Self {
        Self::default()
    }

    /// A switch that also fires on SIGTERM/SIGINT (spawns a task; needs a Tokio runtime).
    pub fn on_signal() -> Self {
        let shutdown = Self::new();
        let token = shutdown.token.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal() => token.cancel(),
                () = token.cancelled() => {}
            }
        });
        shutdown
    }

    /// Fires the switch.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether the switch has fired.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The underlying token (child tokens can be derived from it).
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// A `'static` future resolving when the switch fires: pass it to servers and workers.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        self.token.clone().cancelled_owned()
    }
}

/// Runs `work` to completion, but gives up `grace` after `stop` fired; `None` if it had to be
/// abandoned.
pub async fn finish_within<T>(
    work: impl Future<Output = T>,
    stop: impl Future<Output = ()>,
    grace: Duration,
) -> Option<T> {
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => return Some(out),
        () = stop => {}
    }
    tokio::time::timeout(grace, work).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trigger_wakes_every_waiter() {
        let s = Shutdown::new();
        let (a, b) = (s.wait(), s.clone().wait());
        assert!(!s.is_triggered());
        s.trigger();
        tokio::time::timeout(Duration::from_secs(1), async { tokio::join!(a, b) })
            .await
            .expect("waiters wake up");
        assert!(s.is_triggered());
    }

    #[tokio::test]
    async fn finish_within_abandons_work_after_the_grace_period() {
        let started = std::time::Instant::now();
        let slow = tokio::time::sleep(Duration::from_secs(30));
        let out = finish_within(slow, async {}, Duration::from_millis(50)).await;
        assert_eq!(out, None);
        assert!(started.elapsed() < Duration::from_secs(5));
        let quick = tokio::time::sleep(Duration::from_millis(10));
        let out = finish_within(quick, async {}, Duration::from_secs(5)).await;
        assert_eq!(out, Some(()));
        let out = finish_within(async { 7 }, std::future::pending(), Duration::ZERO).await;
        assert_eq!(out, Some(7));
    }
}
