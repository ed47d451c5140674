//! Replaying or deleting every dead letter (of a queue) in batches, for the web API.

use meetflow_shared::queue::{QueueClient, QueueError};

use crate::dead::SCAN_BATCH;

/// Replays (or deletes) every dead letter of `queue` (all queues when `None`), oldest first in
/// batches, calling `progress` with the running total; returns how many were moved.
///
/// Same semantics as the queue core's `replay_all`/`delete_all` (each batch is atomic, ids no
/// longer dead are skipped), but its future is `Send`, so a web handler can await it.
pub async fn drain(
    client: &QueueClient,
    queue: Option<&str>,
    replay: bool,
    mut progress: impl FnMut(usize) + Send,
) -> Result<usize, QueueError> {
    let dead = client.dead_letters();
    let zset = match queue {
        Some(q) => client.keys().dead(q),
        None => client.keys().dead_all(),
    };
    let mut total = 0;
    loop {
        let mut conn = client.redis();
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&zset)
            .arg(0)
            .arg(SCAN_BATCH - 1)
            .query_async(&mut conn)
            .await?;
        if ids.is_empty() {
            return Ok(total);
        }
        let n = if replay {
            dead.replay(&ids).await?
        } else {
            dead.delete(&ids).await?
        };
        if n == 0 {
            return Ok(total);
        }
        total += n;
        progress(total);
    }
}
