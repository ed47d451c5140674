//! Waiting for a condition in tests: one polling loop for every test that waits on real
//! processes, Redis or HTTP fakes, instead of sleeping a fixed time.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `cond` every 10 ms until it holds or `limit` passes; returns whether it held (the
/// condition is checked once more at the deadline, so a slow last step still counts).
pub async fn eventually<F, Fut>(limit: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond().await
}
