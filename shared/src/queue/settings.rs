//! Per-queue runtime settings (the contract's `queues.<name>` block, merged over `queues.default`).

use std::time::Duration;

use crate::queue::LeaseGate;

/// How one queue is run by a worker process.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// Jobs in flight per worker process.
    pub concurrency: usize,
    /// A job held by a process that stops renewing its lease (crash, stall) runs elsewhere after this.
    pub lease: Duration,
    /// Attempts before a job goes to the dead-letter store.
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with full jitter.
    pub backoff_base: Duration,
    /// Largest retry delay.
    pub backoff_cap: Duration,
    /// A worker that cannot reach Redis for this long gives up and exits non-zero, so its
    /// orchestrator restarts it.
    pub redis_give_up: Duration,
    /// Longest a handler may run one attempt before it counts as a timeout.
    pub job_timeout: Duration,
    /// Dead letters kept at most for this queue (`queues.<name>.dead_letter_cap`); the oldest of
    /// this queue go first, so one queue's flood never evicts another's.
    pub dead_max_count: u64,
    /// Dead letters older than this are deleted.
    pub dead_max_age: Duration,
    /// Tests only (never read from configuration): shifts this process's own clock by this many
    /// milliseconds, to show that a host clock running ahead or behind moves no lease, reap or
    /// promotion. Only host-side figures (pick-up latency, attempt error timestamps) use it.
    pub clock_offset_ms: i64,
    /// Paces leases by shared provider limits ([`LeaseGate`]): set by the worker for a queue
    /// whose jobs each start with one limited call (`sms` on EngageLab's limit, `brevo` on one of
    /// Brevo's two budgets), never read from configuration.
    pub gate: Option<LeaseGate>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease: Duration::from_secs(30),
            max_attempts: 12,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(3600),
            redis_give_up: Duration::from_secs(120),
            job_timeout: Duration::from_secs(300),
            dead_max_count: 100_000,
            dead_max_age: Duration::from_secs(30 * 24 * 3600),
            clock_offset_ms: 0,
            gate: None,
        }
    }
}
