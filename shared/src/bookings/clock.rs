//! The clock used to plan and claim reminders, injectable so tests can move "now".
//!
//! Every time meetflow compares with a due time is taken from a [`Clock`] and passed to the Lua
//! scripts as an argument (never Redis `TIME`), so a test can shift the clock and replicas agree
//! on what the scripts saw.

use std::sync::Arc;

/// Milliseconds since the Unix epoch, from the system clock or from a test's function.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(|| chrono::Utc::now().timestamp_millis()))
    }

    /// The system clock shifted by `offset_ms` (positive = in the future).
    pub fn offset(offset_ms: i64) -> Self {
        Self(Arc::new(move || {
            chrono::Utc::now().timestamp_millis() + offset_ms
        }))
    }

    /// A clock that asks `f`.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
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
