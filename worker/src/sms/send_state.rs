//! What the dead letters know of an SMS's send: the job hash field `possibly_sent` (unix ms),
//! set from the moment the marker is claimed until the handler knows the outcome (a refusal
//! clears it here; a send clears it with the job's acknowledgement, `ack.lua`), so a job that
//! dies mid-send (ambiguous provider answer, lost lease, crashed process) is a "possibly sent"
//! dead letter, which bulk replays skip; and `resend_ms`, the grant an operator gives one job
//! with `meetflow-admin dlq retry ID --resend` (never a bulk replay) to send again.
//!
//! The time of a marker claim and of `possibly_sent` is Redis `TIME`, read together with the
//! booking by the last check ([`meetflow_shared::bookings::SendGuard::read_ms`]). An operator's
//! `--resend` grant is stamped by Redis `TIME` too (`dlq_resend.lua`), and the handler honours it
//! only when it is later than the claim it takes over; a claim stamped by a host clock running
//! ahead would refuse every resend until that host's lead had passed.

use meetflow_shared::queue::QueueClient;

/// Marks job `id` "possibly sent" from `now_ms` on.
pub(crate) async fn mark_possibly_sent(
    client: &QueueClient,
    id: &str,
    now_ms: i64,
) -> redis::RedisResult<()> {
    let mut conn = client.redis();
    redis::cmd("HSET")
        .arg(client.keys().job(id))
        .arg("possibly_sent")
        .arg(now_ms)
        .query_async(&mut conn)
        .await
}

/// Job `id` certainly did not send (refused): not "possibly sent" any more. Only on a job still
/// stored (a finished job's hash may be gone).
pub(crate) async fn clear(client: &QueueClient, id: &str) -> redis::RedisResult<()> {
    let mut conn = client.redis();
    redis::cmd("HDEL")
        .arg(client.keys().job(id))
        .arg("possibly_sent")
        .query_async(&mut conn)
        .await
}

/// When an operator last replayed job `id` with `--resend` (unix ms), if ever.
pub(crate) async fn resend_ms(client: &QueueClient, id: &str) -> redis::RedisResult<Option<i64>> {
    let mut conn = client.redis();
    redis::cmd("HGET")
        .arg(client.keys().job(id))
        .arg("resend_ms")
        .query_async(&mut conn)
        .await
}
