//! Warnings that an attacker or a misconfigured sender can repeat at will (a bad webhook
//! signature on every request) are logged at most once per window and key, with the number left
//! out since the last one, so a flood shows as one line a minute instead of thousands.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default window: one warning per key and minute.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// Decides which of repeated warnings are written.
#[derive(Debug)]
pub struct WarnLimiter {
    window: Duration,
    keys: Mutex<HashMap<&'static str, Slot>>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    last: Instant,
    suppressed: u64,
}

impl Default for WarnLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

impl WarnLimiter {
    /// At most one warning per key and `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(n)` when a warning for `key` is due now, `n` being how many were left out since
    /// the last one; `None` when it is to be left out (and counted).
    pub fn admit(&self, key: &'static str) -> Option<u64> {
        self.admit_at(key, Instant::now())
    }

    fn admit_at(&self, key: &'static str, now: Instant) -> Option<u64> {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match keys.get_mut(key) {
            Some(slot) if now.saturating_duration_since(slot.last) < self.window => {
                slot.suppressed += 1;
                None
            }
            Some(slot) => {
                let left_out = slot.suppressed;
                *slot = Slot {
                    last: now,
                    suppressed: 0,
                };
                Some(left_out)
            }
            None => {
                keys.insert(
                    key,
                    Slot {
                        last: now,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_per_key_and_window_then_the_count_left_out() {
        let limiter = WarnLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limiter.admit_at("calendly", t0), Some(0));
        assert_eq!(
            limiter.admit_at("calendly", t0 + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            limiter.admit_at("calendly", t0 + Duration::from_secs(59)),
            None
        );
        // Another key has its own window.
        assert_eq!(
            limiter.admit_at("zoom", t0 + Duration::from_secs(2)),
            Some(0)
        );
        assert_eq!(
            limiter.admit_at("calendly", t0 + Duration::from_secs(60)),
            Some(2)
        );
        assert_eq!(
            limiter.admit_at("calendly", t0 + Duration::from_secs(61)),
            None
        );
    }
}
