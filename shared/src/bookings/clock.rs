//! The clock used to plan and claim reminders, injectable so tests can move "now".
//!
//! In production ([`Clock::system`]) the claim script judges what is due by Redis `TIME`, so the
//! host clocks of scheduler replicas may disagree without sending anything early; a test that
//! moves "now" ([`Clock::offset`], [`Clock::from_fn`]) passes its time to the scripts instead.
//! [`Clock::skewed`] is a host clock running ahead or behind: host-side only, as in production.

use std::sync::Arc;

/// Milliseconds since the Unix epoch, from the system clock or from a test's function.
#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// Whether the scripts take their time from this clock (a test moving "now") rather than
    /// from Redis `TIME`.
    simulated: bool,
}

impl Clock {
    /// The system clock; scripts use Redis `TIME`.
    pub fn system() -> Self {
        Self::skewed(0)
    }

    /// Simulated time: the system clock shifted by `offset_ms` (positive = in the future), which
    /// the scripts use too.
    pub fn offset(offset_ms: i64) -> Self {
        Self {
            now: Arc::new(move || chrono::Utc::now().timestamp_millis() + offset_ms),
            simulated: true,
        }
    }

    /// A host clock running `offset_ms` ahead (negative: behind). The scripts still judge due
    /// times by Redis `TIME`; tests use it to show a skewed host sends nothing early.
    pub fn skewed(offset_ms: i64) -> Self {
        Self {
            now: Arc::new(move || chrono::Utc::now().timestamp_millis() + offset_ms),
            simulated: false,
        }
    }

    /// Simulated time that asks `f`; the scripts use it too.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self {
            now: Arc::new(f),
            simulated: true,
        }
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.now)()
    }

    /// The time the scripts must use instead of Redis `TIME` (a simulated clock), if any.
    pub fn script_now_ms(&self) -> Option<i64> {
        self.simulated.then(|| self.now_ms())
    }

    /// [`Self::script_now_ms`] as a script's time argument: `""` (the script reads Redis
    /// `TIME`) unless a test simulates "now".
    pub fn script_arg(&self) -> String {
        self.script_now_ms()
            .map_or_else(String::new, |t| t.to_string())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now_ms()).finish()
    }
}
