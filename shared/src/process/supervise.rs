//! The one rule for long-running loops: a loop that fails, panics, or ends on its own before the
//! stop signal stops the whole process with an error (exit 1, the orchestrator restarts it).
//!
//! Every loop gets the supervisor's [`CancellationToken`] ([`Supervisor::stop_token`]), a child
//! of the process's stop switch: SIGTERM cancels it, and so does the first failure, so the other
//! loops stop too. [`Supervisor::run`] then gives them a grace period to finish.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::shutdown::finish_within;

/// Why a supervised loop brought the process down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoopFailure {
    /// The loop returned an error.
    #[error("{name} failed: {reason}")]
    Failed {
        /// The loop's name (e.g. `queue sms`, `due loop`).
        name: String,
        /// The error, on one line.
        reason: String,
    },
    /// The loop panicked.
    #[error("{name} panicked: {message}")]
    Panicked {
        /// The loop's name.
        name: String,
        /// The panic message, when it was a string.
        message: String,
    },
    /// The loop returned before the stop signal (a loop is meant to run until stopped).
    #[error("{name} stopped unexpectedly")]
    Ended {
        /// The loop's name.
        name: String,
    },
}

type Outcome = (String, Result<(), String>);

/// The long-running loops of one process.
#[derive(Debug)]
pub struct Supervisor {
    tasks: JoinSet<Outcome>,
    names: HashMap<Id, String>,
    stop: CancellationToken,
}

impl Supervisor {
    /// Loops stop when `stop` (or its parent) is cancelled.
    pub fn new(stop: CancellationToken) -> Self {
        Self {
            tasks: JoinSet::new(),
            names: HashMap::new(),
            stop,
        }
    }

    /// The token every loop must stop on; cancelled by the stop signal or the first failure.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Runs `work` as the loop `name` (needs a Tokio runtime).
    pub fn spawn<F, E>(&mut self, name: impl Into<String>, work: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + 'static,
    {
        let name = name.into();
        let label = name.clone();
        let handle = self.tasks.spawn(async move {
            let result = work.await.map_err(|e| super::exit::one_line(&e));
            (label, result)
        });
        self.names.insert(handle.id(), name);
    }

    /// How many loops run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no loop runs.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits until the stop signal and every loop has ended (`Ok`), or until the first loop
    /// fails, panics or ends early (`Err`, after the others were stopped). In both cases the
    /// remaining loops get `grace` to finish, then are dropped; one that fails while stopping is
    /// an error too, one still running after `grace` is only a warning.
    pub async fn run(mut self, grace: Duration) -> Result<(), LoopFailure> {
        let mut first: Option<LoopFailure> = None;
        let stop = self.stop.clone();
        loop {
            let done = tokio::select! {
                done = self.tasks.join_next_with_id() => done,
                () = stop.cancelled() => break,
            };
            let Some(done) = done else { break };
            if let Some(failure) = self.judge(done) {
                tracing::error!(error = %failure, "stopping the process");
                first = Some(failure);
                break;
            }
        }
        self.stop.cancel();
        let Self {
            mut tasks,
            mut names,
            stop,
        } = self;
        let drained = finish_within(
            async {
                let mut later = None;
                while let Some(done) = tasks.join_next_with_id().await {
                    if let Some(failure) = judge(&mut names, &stop, done) {
                        tracing::error!(error = %failure, "failed while stopping");
                        later.get_or_insert(failure);
                    }
                }
                later
            },
            async {},
            grace,
        )
        .await;
        let left = tasks.len();
        tasks.abort_all();
        match (first, drained) {
            (Some(f), _) => Err(f),
            (None, Some(Some(later))) => Err(later),
            (None, Some(None)) => Ok(()),
            (None, None) => {
                // Not an error: work cut off here is not lost (a leased job's lease expires and
                // it runs elsewhere; a webhook not answered is redelivered).
                tracing::warn!(?grace, left, "loops still running after the grace period");
                Ok(())
            }
        }
    }

    fn judge(&mut self, done: Result<(Id, Outcome), JoinError>) -> Option<LoopFailure> {
        judge(&mut self.names, &self.stop, done)
    }
}

/// The verdict on one finished loop; `None` when it ended as it should (after the stop).
fn judge(
    names: &mut HashMap<Id, String>,
    stop: &CancellationToken,
    done: Result<(Id, Outcome), JoinError>,
) -> Option<LoopFailure> {
    match done {
        Ok((id, (name, result))) => {
            names.remove(&id);
            match result {
                Ok(()) if stop.is_cancelled() => None,
                Ok(()) => Some(LoopFailure::Ended { name }),
                Err(reason) => Some(LoopFailure::Failed { name, reason }),
            }
        }
        Err(join) => {
            let name = names
                .remove(&join.id())
                .unwrap_or_else(|| "a loop".to_owned());
            if join.is_cancelled() {
                return (!stop.is_cancelled()).then_some(LoopFailure::Ended { name });
            }
            let message = match join.try_into_panic() {
                Ok(payload) => panic_message(payload.as_ref()),
                Err(_) => "unknown".to_owned(),
            };
            Some(LoopFailure::Panicked { name, message })
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(not a string)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    async fn until_stopped(stop: CancellationToken) -> Result<(), String> {
        stop.cancelled().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_loop_stops_the_others_and_is_an_error() {
        let root = CancellationToken::new();
        let mut s = Supervisor::new(root.child_token());
        s.spawn("steady", until_stopped(s.stop_token()));
        s.spawn("bad", async {
            tokio::task::yield_now().await;
            if true {
                panic!("injected");
            }
            Ok::<(), String>(())
        });
        let out = s.run(Duration::from_secs(5)).await;
        assert_eq!(
            out,
            Err(LoopFailure::Panicked {
                name: "bad".into(),
                message: "injected".into()
            })
        );
        assert!(!root.is_cancelled(), "only the process's own loops stop");
    }

    #[tokio::test]
    async fn a_failing_or_finished_loop_is_an_error_and_the_stop_signal_is_not() {
        let mut s = Supervisor::new(CancellationToken::new());
        s.spawn("steady", until_stopped(s.stop_token()));
        s.spawn("bad", async { Err::<(), _>("redis gone") });
        assert_eq!(
            s.run(Duration::from_secs(5)).await.unwrap_err().to_string(),
            "bad failed: redis gone"
        );

        let mut s = Supervisor::new(CancellationToken::new());
        s.spawn("steady", until_stopped(s.stop_token()));
        s.spawn("short", async { Ok::<(), String>(()) });
        assert_eq!(
            s.run(Duration::from_secs(5)).await.unwrap_err().to_string(),
            "short stopped unexpectedly"
        );

        let root = CancellationToken::new();
        let mut s = Supervisor::new(root.child_token());
        s.spawn("a", until_stopped(s.stop_token()));
        s.spawn("b", until_stopped(s.stop_token()));
        root.cancel();
        assert_eq!(s.run(Duration::from_secs(5)).await, Ok(()));
    }

    #[tokio::test]
    async fn a_loop_that_ignores_the_stop_is_dropped_after_the_grace_period() {
        let root = CancellationToken::new();
        let mut s = Supervisor::new(root.child_token());
        s.spawn("deaf", async {
            std::future::pending::<()>().await;
            Ok::<(), String>(())
        });
        root.cancel();
        assert_eq!(s.run(Duration::from_millis(20)).await, Ok(()));
    }
}
