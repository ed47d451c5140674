//! An operator's hand on one waiting job: run it now, cancel it, or move it to the dead letters
//! ([`QueueClient::act`]), each one atomic script (`lua/job_act.lua`) that acts only on a job
//! still waiting (ready, scheduled or retrying) and, when the caller names the state it saw,
//! still in that state. A job in flight is never touched: its worker may be talking to the
//! provider, and its outcome decides what happens next.

use serde::Serialize;

use super::browse::ListState;
use super::client::QueueClient;
use super::error::QueueError;
use super::job::JobState;
use super::scripts;

/// The error class stored with a job an operator moved to the dead letters.
pub const OPERATOR_CLASS: &str = "operator";

/// What to do with a waiting job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobAction {
    /// A scheduled or retrying job joins the ready list now: the next free
    /// worker runs it (a paused queue still holds it).
    RunNow,
    /// The job is removed for good (its hash and errors deleted): it never runs.
    Cancel,
    /// The job goes to the dead letters with an `operator` error, to be replayed or deleted
    /// there.
    Dead,
}

impl JobAction {
    /// The action's name (`run_now`, `cancel`, `dead`), as the script and the audit trail know it.
    pub fn as_arg(self) -> &'static str {
        match self {
            Self::RunNow => "run_now",
            Self::Cancel => "cancel",
            Self::Dead => "dead",
        }
    }

    /// The action in words (`run now`, `cancel`, `move to the dead letters`).
    pub fn describe(self) -> &'static str {
        match self {
            Self::RunNow => "run now",
            Self::Cancel => "cancel",
            Self::Dead => "move to the dead letters",
        }
    }

    /// The states it takes.
    pub fn takes(self) -> &'static [ListState] {
        match self {
            Self::RunNow => &[ListState::Scheduled, ListState::Retrying],
            Self::Cancel | Self::Dead => {
                &[ListState::Ready, ListState::Scheduled, ListState::Retrying]
            }
        }
    }
}

/// What became of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActOutcome {
    /// Done; the job was in `was`.
    Done {
        /// Its state before.
        was: ListState,
    },
    /// No such job (never existed, cancelled, or finished and expired).
    Missing,
    /// It is not in the state the caller saw (or moved queue or group meanwhile): nothing done.
    Changed {
        /// Its state now (`None` when finished).
        now: Option<ListState>,
    },
    /// The action does not take a job in this state (in flight, dead, finished; ready for
    /// run-now): nothing done.
    Refused {
        /// Its state (`None` when finished).
        state: Option<ListState>,
        /// The process holding it, when in flight.
        holder: Option<String>,
        /// When that lease expires unless renewed (unix ms), when in flight.
        lease_expires_ms: Option<i64>,
    },
}

impl ActOutcome {
    /// Whether the action was done.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done { .. })
    }

    /// One line for people: what happened to job `id`.
    pub fn explain(&self, action: JobAction, id: &str) -> String {
        let takes = action
            .takes()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        let name = |s: &Option<ListState>| s.map_or("finished (done)", ListState::as_str);
        match self {
            Self::Done { was } => match action {
                JobAction::RunNow => {
                    format!("job {id} ({was}) is ready: the next free worker runs it")
                }
                JobAction::Cancel => format!("job {id} ({was}) cancelled: it will not run"),
                JobAction::Dead => format!("job {id} ({was}) moved to the dead letters"),
            },
            Self::Missing => format!(
                "no job {id}: cancelled, finished longer ago than its retention, or never existed"
            ),
            Self::Changed { now } => format!(
                "job {id} changed meanwhile (now {}): nothing done; look again",
                name(now)
            ),
            Self::Refused {
                state: Some(ListState::Inflight),
                holder,
                lease_expires_ms,
            } => format!(
                "job {id} is in flight (held by {} until {}): refused; {} takes only {takes} jobs. \
                 Wait for its outcome (a retry can then be cancelled), or pause the queue first",
                holder.as_deref().unwrap_or("?"),
                lease_expires_ms
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map_or_else(|| "?".to_owned(), |t| t.format("%H:%M:%S UTC").to_string()),
                action.describe(),
            ),
            Self::Refused { state, .. } => format!(
                "job {id} is {}: refused; {} takes only {takes} jobs",
                name(state),
                action.describe()
            ),
        }
    }
}

impl QueueClient {
    /// Runs `action` on job `id`, if it is waiting and (when `expect` is given) still in that
    /// state. Atomic: a job leased, finished or moved between the caller's look and this call is
    /// left alone ([`ActOutcome::Changed`] or [`ActOutcome::Refused`]).
    pub async fn act(
        &self,
        id: &str,
        action: JobAction,
        expect: Option<ListState>,
    ) -> Result<ActOutcome, QueueError> {
        let k = self.keys();
        let mut conn = self.redis();
        let (queue, group): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(k.job(id))
            .arg("queue")
            .arg("group")
            .query_async(&mut conn)
            .await?;
        let Some(queue) = queue else {
            return Ok(ActOutcome::Missing);
        };
        let mut inv = scripts::JOB_ACT.prepare_invoke();
        inv.key(k.job(id))
            .key(k.job_errors(id))
            .key(k.ready(&queue))
            .key(k.delayed(&queue))
            .key(k.retrying(&queue))
            .key(k.wake(&queue))
            .key(k.dead_all())
            .key(k.dead(&queue))
            .key(group.as_deref().map_or_else(|| k.job(id), |g| k.group(g)));
        inv.arg(action.as_arg())
            .arg(id)
            .arg(&queue)
            .arg(group.as_deref().unwrap_or(""))
            .arg(expect.map_or("", |s| stored(s.job_state())))
            .arg(OPERATOR_CLASS)
            .arg("moved to the dead letters by an operator");
        let (outcome, state): (String, String) = inv.invoke_async(&mut conn).await?;
        let listed = JobState::parse(&state).and_then(ListState::of);
        Ok(match outcome.as_str() {
            "ok" => ActOutcome::Done {
                was: listed.unwrap_or(ListState::Ready),
            },
            "missing" => ActOutcome::Missing,
            "changed" => ActOutcome::Changed { now: listed },
            "refused" if listed == Some(ListState::Inflight) => {
                let (owner, expiry): (Option<String>, Option<f64>) = redis::pipe()
                    .cmd("HGET")
                    .arg(k.job(id))
                    .arg("owner")
                    .cmd("ZSCORE")
                    .arg(k.leased(&queue))
                    .arg(id)
                    .query_async(&mut conn)
                    .await?;
                ActOutcome::Refused {
                    state: listed,
                    holder: owner,
                    lease_expires_ms: expiry.map(|s| s.round() as i64),
                }
            }
            "refused" => ActOutcome::Refused {
                state: listed,
                holder: None,
                lease_expires_ms: None,
            },
            other => {
                return Err(QueueError::Protocol(format!("job_act answered {other:?}")));
            }
        })
    }
}

/// The state's name in the job hash.
fn stored(s: JobState) -> &'static str {
    match s {
        JobState::Ready => "ready",
        JobState::Delayed => "delayed",
        JobState::Running => "running",
        JobState::Retrying => "retrying",
        JobState::Done => "done",
        JobState::Dead => "dead",
    }
}
