//! The lease gate: backpressure at the door instead of in the queue.
//!
//! A queue whose jobs each make one call through a shared provider limit (an SMS through
//! EngageLab's) can hold a backlog far larger than the limit serves in a second. Without a gate
//! every worker leases as many jobs as it has free slots; each then finds its provider slot
//! seconds or minutes away and is delayed to it ([`crate::queue::JobError::Defer`]), so every job
//! goes through the queue twice, and its first pass costs about as many Redis commands as its
//! send. With a gate the fetch loop leases at most the jobs whose slots fit in a short window,
//! reserves that many consecutive slots in one round trip
//! ([`crate::providers::rate_limit::RateLimiter::reserve_run`]), hands each job its slot
//! ([`crate::queue::JobContext::slot`]), and leases again only when its reserved run is nearly
//! used up. The backlog waits in the ready list, where the oldest-ready-job alert sees it.
//!
//! Several budgets ([`LeaseGate::per_budget`]): one queue may hold jobs of several separately
//! limited budgets (the `brevo` queue: contact syncs on Brevo's `/contacts` budget, custom
//! events on its `/events` budget). The gate then knows each job's budget from its payload (a
//! classifier given by the worker: the budget of the job's first limited call) and keeps one run
//! per budget. It opens while any budget's run is nearly used up, leases the window's slots of
//! every open budget, and reserves per budget one run for that budget's jobs, all budgets in one
//! round trip (their scripts pipelined on one connection). A run only takes the slots that start
//! within two windows: a job beyond them (a backlog of one budget leased past, to reach the
//! other's jobs behind it) gets no slot and asks the limiter itself, which delays it once to a
//! slot reserved for it, as without a gate. So a backlog of one budget never holds the other's
//! jobs back, and a mixed backlog drains at both limits with each job leased once.
//!
//! Replicas share the limit, so one replica's run may start after another's: its jobs then wait
//! a little longer for their slots, holding worker slots, never the queue. Other users of a budget
//! (the SMS queue's Brevo suppression reads spend the `/contacts` budget) take slots between
//! runs: runs and single slots come from the same Redis key.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::providers::rate_limit::RateLimiter;
use crate::queue::LeasedJob;

/// Which budget of a [`LeaseGate::per_budget`] gate a job's payload spends first (an index into
/// its limiters), or `None` for a job that spends none (it gets no slot).
pub type Classify = Arc<dyn Fn(&str) -> Option<usize> + Send + Sync>;

/// Leases of one queue paced by one or more shared limits.
#[derive(Clone)]
pub struct LeaseGate {
    budgets: Vec<RateLimiter>,
    window: Duration,
    /// Budget of each job (`None`: one budget, every job spends it).
    classify: Option<Classify>,
    /// Latest start of a reserved slot, from now (`None`: a run takes every slot asked for).
    horizon: Option<Duration>,
}

impl fmt::Debug for LeaseGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseGate")
            .field("budgets", &self.budgets)
            .field("window", &self.window)
            .field("horizon", &self.horizon)
            .finish_non_exhaustive()
    }
}

impl PartialEq for LeaseGate {
    fn eq(&self, other: &Self) -> bool {
        self.budgets.len() == other.budgets.len()
            && self
                .budgets
                .iter()
                .zip(&other.budgets)
                .all(|(a, b)| a.key() == b.key() && a.interval() == b.interval())
            && self.window == other.window
            && self.horizon == other.horizon
            && match (&self.classify, &other.classify) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// The runs one queue's fetch loop has reserved, per budget: when each ends.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    ends: Vec<Option<Instant>>,
}

impl LeaseGate {
    /// Paces leases by `limiter`, a window of `window` ahead (keep it short, about the longest a
    /// job may wait in process for its slot: a second). Every job spends one slot.
    pub fn new(limiter: RateLimiter, window: Duration) -> Self {
        Self {
            budgets: vec![limiter],
            window,
            classify: None,
            horizon: None,
        }
    }

    /// Paces leases by several budgets: `classify` names the budget (index into `budgets`) each
    /// job's payload spends first. Runs take only slots starting within two windows; a job
    /// beyond them gets no slot (see the module docs).
    pub fn per_budget(budgets: Vec<RateLimiter>, window: Duration, classify: Classify) -> Self {
        Self {
            budgets,
            window,
            classify: Some(classify),
            horizon: Some(window.saturating_mul(2)),
        }
    }

    /// The slots of budget `b` that fit in the window (at least one).
    fn budget_batch(&self, b: usize) -> usize {
        let interval = self.budgets[b].interval().as_micros().max(1);
        usize::try_from(self.window.as_micros() / interval)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// No run reserved yet: every budget open.
    pub(crate) fn runs(&self) -> Runs {
        Runs {
            ends: vec![None; self.budgets.len()],
        }
    }

    /// How many jobs to lease now (the window's slots of every budget whose run is nearly used
    /// up), or, when every run still reaches further than the window, when the gate opens.
    pub(crate) fn admits(&self, runs: &Runs, now: Instant) -> Result<usize, Instant> {
        let mut n = 0;
        let mut opens: Option<Instant> = None;
        for (b, end) in runs.ends.iter().enumerate() {
            match end
                .and_then(|e| e.checked_sub(self.window))
                .filter(|at| *at > now)
            {
                Some(at) => opens = Some(opens.map_or(at, |o| o.min(at))),
                None => n += self.budget_batch(b),
            }
        }
        match opens {
            Some(at) if n == 0 => Err(at),
            _ => Ok(n),
        }
    }

    /// Reserves one slot per leased job on its budget, one run per budget (all in one round
    /// trip), and hands each job its slot. A budget whose reservation fails leaves its jobs
    /// without slots (their handlers ask the limiter themselves) and stays open.
    pub(crate) async fn reserve(&self, queue: &str, runs: &mut Runs, jobs: &mut [LeasedJob]) {
        let mut of_budget: Vec<Vec<usize>> = vec![Vec::new(); self.budgets.len()];
        for (i, job) in jobs.iter().enumerate() {
            let budget = match &self.classify {
                None => Some(0),
                Some(classify) => classify(&job.payload),
            };
            if let Some(list) = budget.and_then(|b| of_budget.get_mut(b)) {
                list.push(i);
            }
        }
        let reservations = of_budget.iter().enumerate().map(|(b, list)| async move {
            if list.is_empty() {
                return None;
            }
            let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
            Some(self.budgets[b].reserve_run_within(n, self.horizon).await)
        });
        let answers = futures::future::join_all(reservations).await;
        let now = Instant::now();
        for (b, answer) in answers.into_iter().enumerate() {
            match answer {
                None => {}
                Some(Ok((wait, granted))) => {
                    let interval = self.budgets[b].interval();
                    let mut at = now + wait;
                    for &i in of_budget[b].iter().take(granted as usize) {
                        jobs[i].slot = Some(at);
                        at += interval;
                    }
                    runs.ends[b] = Some(at);
                }
                Some(Err(e)) => {
                    tracing::warn!(queue, budget = self.budgets[b].key(), error = %e, "could not reserve provider slots; jobs ask the limiter themselves");
                    runs.ends[b] = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::providers::rate_limit::Admission;
    use crate::providers::test_redis::TestNamespace;

    fn job(id: usize, payload: &str) -> LeasedJob {
        LeasedJob {
            id: format!("j{id}"),
            payload: payload.to_owned(),
            attempt: 1,
            max_attempts: 1,
            enq_ms: 0,
            token: 1,
            group: None,
            slot: None,
        }
    }

    fn jobs(payloads: &[&str]) -> Vec<LeasedJob> {
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| job(i, p))
            .collect()
    }

    /// Budget 0 for payload "c", 1 for "e", none else.
    fn two_budgets(ns: &TestNamespace, per_second: u32, window: Duration) -> LeaseGate {
        let c = RateLimiter::new(&ns.handle(), "c", per_second, Duration::from_secs(1));
        let e = RateLimiter::new(&ns.handle(), "e", per_second, Duration::from_secs(1));
        let classify: Classify = Arc::new(|p: &str| match p {
            "c" => Some(0),
            "e" => Some(1),
            _ => None,
        });
        LeaseGate::per_budget(vec![c, e], window, classify)
    }

    fn wait(slot: Option<Instant>) -> Duration {
        slot.unwrap().saturating_duration_since(Instant::now())
    }

    #[tokio::test]
    async fn a_batch_is_the_slots_of_the_window_and_never_none() {
        let ns = TestNamespace::new();
        let now = Instant::now();
        let fast = RateLimiter::new(&ns.handle(), "g", 20, Duration::from_secs(1));
        let gate = LeaseGate::new(fast, Duration::from_secs(1));
        assert_eq!(gate.admits(&gate.runs(), now), Ok(20));
        let slow = RateLimiter::new(&ns.handle(), "g", 1, Duration::from_secs(60));
        let gate = LeaseGate::new(slow, Duration::from_secs(1));
        assert_eq!(gate.admits(&gate.runs(), now), Ok(1));
        let both = two_budgets(&ns, 10, Duration::from_secs(1));
        assert_eq!(
            both.admits(&both.runs(), now),
            Ok(20),
            "each budget's window"
        );
    }

    #[tokio::test]
    async fn runs_follow_one_another_on_the_limit() {
        let ns = TestNamespace::new();
        let limiter = RateLimiter::new(&ns.handle(), "g", 10, Duration::from_secs(1));
        let gate = LeaseGate::new(limiter.clone(), Duration::from_millis(500));
        let mut runs = gate.runs();
        let mut first = jobs(&["a"; 5]);
        gate.reserve("q", &mut runs, &mut first).await;
        assert!(wait(first[0].slot) < Duration::from_millis(50));
        let mut second = jobs(&["a"; 5]);
        gate.reserve("q", &mut runs, &mut second).await;
        let w = wait(second[0].slot);
        assert!(
            w > Duration::from_millis(450) && w <= Duration::from_millis(500),
            "the second run starts after the first's five slots: {w:?}"
        );
        // The gate is closed until the second run (ending in 1 s) is within the window.
        let Err(opens) = gate.admits(&runs, Instant::now()) else {
            panic!("the gate is closed while its run reaches past the window")
        };
        assert!(opens > Instant::now(), "{opens:?}");
        // A single call through the limiter queues behind both runs.
        let Admission::Wait(wait) = limiter.acquire().await.unwrap() else {
            panic!("expected a wait behind the runs")
        };
        assert!(wait > Duration::from_millis(950), "{wait:?}");
        ns.cleanup().await;
    }

    #[tokio::test]
    async fn each_budget_gets_its_own_run_and_a_job_of_none_no_slot() {
        // Arrange: two budgets of 10/s, a window of 1 s.
        let ns = TestNamespace::new();
        let gate = two_budgets(&ns, 10, Duration::from_secs(1));
        let mut runs = gate.runs();
        let mut leased = jobs(&["c", "e", "c", "e", "c", "x"]);

        // Act
        gate.reserve("q", &mut runs, &mut leased).await;

        // Assert: contacts at 0, 100, 200 ms; events at 0, 100 ms, on their own limits.
        let waits: Vec<Duration> = leased[..5].iter().map(|j| wait(j.slot)).collect();
        for (i, expected_ms) in [0, 0, 100, 100, 200].into_iter().enumerate() {
            let expected = Duration::from_millis(expected_ms);
            assert!(
                waits[i] <= expected && waits[i] + Duration::from_millis(50) > expected,
                "job {i}: {waits:?}"
            );
        }
        assert_eq!(leased[5].slot, None, "a job of no budget");
        // Both runs end within the window: the gate stays open for both budgets.
        assert_eq!(gate.admits(&runs, Instant::now()), Ok(20));
        ns.cleanup().await;
    }

    #[tokio::test]
    async fn a_run_takes_only_the_slots_within_two_windows() {
        // Arrange: two budgets of 10/s, a window of 500 ms (runs reach at most 1 s ahead).
        let ns = TestNamespace::new();
        let gate = two_budgets(&ns, 10, Duration::from_millis(500));
        let mut runs = gate.runs();

        // Act: 14 contact jobs and one event leased at once (a backlog of one budget leased
        // past to reach the other's job).
        let mut payloads = vec!["c"; 14];
        payloads.push("e");
        let mut leased = jobs(&payloads);
        gate.reserve("q", &mut runs, &mut leased).await;

        // Assert: the contacts run holds the 11 slots that start within 1 s (0..=1000 ms); the
        // other contacts get none (they ask the limiter themselves); the event gets its slot now.
        let slotted = leased[..14].iter().filter(|j| j.slot.is_some()).count();
        assert!((10..=11).contains(&slotted), "{slotted} contact slots");
        assert!(leased[slotted..14].iter().all(|j| j.slot.is_none()));
        assert!(wait(leased[14].slot) < Duration::from_millis(50));
        // The contacts budget is closed, the events budget open: the gate leases its window.
        assert_eq!(gate.admits(&runs, Instant::now()), Ok(5));
        ns.cleanup().await;
    }
}
