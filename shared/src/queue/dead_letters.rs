//! The dead-letter store: jobs that used their last attempt or failed permanently, kept with their
//! payload and every attempt's error until an operator replays or deletes them (bounded by count
//! and age, see [`QueueSettings`](super::QueueSettings)).

use super::client::QueueClient;
use super::error::QueueError;
use super::job::JobRecord;
use super::scripts;

/// Batch size of bulk replays and deletes: large enough to be quick, small enough not to block
/// Redis noticeably.
const BULK_BATCH: usize = 500;

/// Operations on the dead-letter store. Get one with [`QueueClient::dead_letters`].
#[derive(Debug, Clone)]
pub struct DeadLetters {
    client: QueueClient,
}

impl QueueClient {
    /// The dead-letter store.
    pub fn dead_letters(&self) -> DeadLetters {
        DeadLetters {
            client: self.clone(),
        }
    }
}

impl DeadLetters {
    fn zset(&self, queue: Option<&str>) -> String {
        match queue {
            Some(q) => self.client.keys().dead(q),
            None => self.client.keys().dead_all(),
        }
    }

    /// How many dead letters (of one queue, or all).
    pub async fn count(&self, queue: Option<&str>) -> Result<u64, QueueError> {
        let mut conn = self.client.redis();
        Ok(redis::cmd("ZCARD")
            .arg(self.zset(queue))
            .query_async(&mut conn)
            .await?)
    }

    /// Ids of dead letters, newest first, paged.
    pub async fn ids(
        &self,
        queue: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<String>, QueueError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.client.redis();
        Ok(redis::cmd("ZREVRANGE")
            .arg(self.zset(queue))
            .arg(offset)
            .arg(offset + limit - 1)
            .query_async(&mut conn)
            .await?)
    }

    /// Dead letters with payload and errors, newest first, paged.
    pub async fn list(
        &self,
        queue: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<JobRecord>, QueueError> {
        let ids = self.ids(queue, offset, limit).await?;
        self.client.jobs(&ids).await
    }

    /// Sends dead letters back to their queue with a fresh attempt budget. Ids that are not dead
    /// (already replayed, deleted, unknown) are skipped, so running it twice replays once; so
    /// are dead letters marked `possibly_sent` (see [`DeadLetters::resend`]).
    pub async fn replay(&self, ids: &[String]) -> Result<usize, QueueError> {
        let mut total = 0;
        for chunk in ids.chunks(BULK_BATCH) {
            let mut inv = scripts::DLQ_REPLAY.prepare_invoke();
            inv.key(self.client.keys().dead_all())
                .arg(self.client.keys().prefix());
            for id in chunk {
                inv.arg(id);
            }
            let mut conn = self.client.redis();
            let n: usize = inv.invoke_async(&mut conn).await?;
            total += n;
        }
        Ok(total)
    }

    /// Replays one dead letter even when it is marked `possibly_sent`, granting its handler the
    /// right to repeat an effect that may already have happened (an SMS that may have gone
    /// out): the operator's explicit decision, one job at a time. Returns whether it was dead.
    pub async fn resend(&self, id: &str) -> Result<bool, QueueError> {
        let mut conn = self.client.redis();
        let n: i64 = scripts::DLQ_RESEND
            .key(self.client.keys().dead_all())
            .arg(self.client.keys().prefix())
            .arg(id)
            .invoke_async(&mut conn)
            .await?;
        Ok(n == 1)
    }

    /// Whether each of `ids` is marked `possibly_sent` (its effect may have happened).
    pub async fn possibly_sent(&self, ids: &[String]) -> Result<Vec<bool>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HEXISTS")
                .arg(self.client.keys().job(id))
                .arg("possibly_sent");
        }
        let mut conn = self.client.redis();
        Ok(pipe.query_async(&mut conn).await?)
    }

    /// Deletes dead letters for good. Unknown ids are skipped.
    pub async fn delete(&self, ids: &[String]) -> Result<usize, QueueError> {
        let mut total = 0;
        for chunk in ids.chunks(BULK_BATCH) {
            let mut inv = scripts::DLQ_DELETE.prepare_invoke();
            inv.key(self.client.keys().dead_all())
                .arg(self.client.keys().prefix());
            for id in chunk {
                inv.arg(id);
            }
            let mut conn = self.client.redis();
            let n: usize = inv.invoke_async(&mut conn).await?;
            total += n;
        }
        Ok(total)
    }

    /// Replays every dead letter (of one queue, or all), batch by batch; `progress` is called
    /// with the running total.
    pub async fn replay_all(
        &self,
        queue: Option<&str>,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<usize, QueueError> {
        self.drain(queue, &mut progress, true).await
    }

    /// Deletes every dead letter (of one queue, or all), batch by batch.
    pub async fn delete_all(
        &self,
        queue: Option<&str>,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<usize, QueueError> {
        self.drain(queue, &mut progress, false).await
    }

    async fn drain(
        &self,
        queue: Option<&str>,
        progress: &mut (dyn FnMut(usize) + Send),
        replay: bool,
    ) -> Result<usize, QueueError> {
        let mut total = 0;
        // Dead letters a replay leaves (marked `possibly_sent`) stay in front: step over them.
        let mut skip = 0;
        loop {
            // Oldest first, so a store that keeps growing while we work still terminates.
            let mut conn = self.client.redis();
            let ids: Vec<String> = redis::cmd("ZRANGE")
                .arg(self.zset(queue))
                .arg(skip)
                .arg(skip + BULK_BATCH - 1)
                .query_async(&mut conn)
                .await?;
            if ids.is_empty() {
                return Ok(total);
            }
            let n = if replay {
                let flagged = self.possibly_sent(&ids).await?;
                skip += flagged.iter().filter(|f| **f).count();
                self.replay(&ids).await?
            } else {
                self.delete(&ids).await?
            };
            if n == 0 && (!replay || ids.len() < BULK_BATCH) {
                return Ok(total);
            }
            total += n;
            progress(total);
        }
    }
}
