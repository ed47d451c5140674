//! Wall-clock time in unix milliseconds, the unit every score and timestamp in Redis uses.

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
