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
//! Replicas share the limit, so one replica's run may start after another's: its jobs then wait
//! a little longer for their slots, holding worker slots, never the queue.

use std::time::Duration;

use crate::providers::rate_limit::{RateLimitError, RateLimiter};

/// Leases of one queue paced by one shared limit.
#[derive(Debug, Clone)]
pub struct LeaseGate {
    limiter: RateLimiter,
    window: Duration,
}

impl PartialEq for LeaseGate {
    fn eq(&self, other: &Self) -> bool {
        self.limiter.key() == other.limiter.key()
            && self.limiter.interval() == other.limiter.interval()
            && self.window == other.window
    }
}

impl LeaseGate {
    /// Paces leases by `limiter`, a window of `window` ahead (keep it short, about the longest a
    /// job may wait in process for its slot: a second).
    pub fn new(limiter: RateLimiter, window: Duration) -> Self {
        Self { limiter, window }
    }

    /// Most jobs leased at once: the slots that fit in the window (at least one).
    pub(crate) fn batch(&self) -> usize {
        let interval = self.limiter.interval().as_micros().max(1);
        usize::try_from(self.window.as_micros() / interval)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// The spacing of the slots of a run.
    pub(crate) fn interval(&self) -> Duration {
        self.limiter.interval()
    }

    /// How far ahead of its run's end the gate opens again.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Reserves `n` consecutive slots; the wait until the first.
    pub(crate) async fn reserve(&self, n: usize) -> Result<Duration, RateLimitError> {
        self.limiter
            .reserve_run(u32::try_from(n).unwrap_or(u32::MAX))
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::providers::test_redis::TestNamespace;

    #[tokio::test]
    async fn a_batch_is_the_slots_of_the_window_and_never_none() {
        let ns = TestNamespace::new();
        let fast = RateLimiter::new(&ns.handle(), "g", 20, Duration::from_secs(1));
        assert_eq!(LeaseGate::new(fast, Duration::from_secs(1)).batch(), 20);
        let slow = RateLimiter::new(&ns.handle(), "g", 1, Duration::from_secs(60));
        assert_eq!(LeaseGate::new(slow, Duration::from_secs(1)).batch(), 1);
    }

    #[tokio::test]
    async fn runs_follow_one_another_on_the_limit() {
        let ns = TestNamespace::new();
        let limiter = RateLimiter::new(&ns.handle(), "g", 10, Duration::from_secs(1));
        let gate = LeaseGate::new(limiter.clone(), Duration::from_secs(1));
        let first = gate.reserve(5).await.unwrap();
        assert!(first < Duration::from_millis(50), "{first:?}");
        let second = gate.reserve(5).await.unwrap();
        assert!(
            second > Duration::from_millis(450) && second <= Duration::from_millis(500),
            "the second run starts after the first's five slots: {second:?}"
        );
        // A single call through the limiter queues behind both runs.
        let crate::providers::rate_limit::Admission::Wait(wait) = limiter.acquire().await.unwrap()
        else {
            panic!("expected a wait behind the runs")
        };
        assert!(wait > Duration::from_millis(950), "{wait:?}");
        ns.cleanup().await;
    }
}
