//! [`Runs`]: the runs of a backfill range and the results of their slices
//! ([`crate::redis::Keys::sync_run`], [`crate::redis::Keys::sync_results`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;

use super::Counts;
use crate::queue::{QueueClient, QueueError};
use crate::redis::SYNC_RUN_TTL;

/// One run of a backfill range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `<range>:<n>`.
    pub id: String,
    /// How many slices the range has.
    pub slices: usize,
    /// Whether this run was started earlier and not finished (it resumes).
    pub resumed: bool,
}

/// The runs of one source.
#[derive(Debug, Clone)]
pub struct Runs {
    client: QueueClient,
    source: String,
}

impl Runs {
    /// The runs of `source` (`calendly`) under `client`'s namespace.
    pub fn new(client: QueueClient, source: &str) -> Self {
        Self {
            client,
            source: source.to_owned(),
        }
    }

    /// The name of the range `[since, until)`: `<since ms>-<until ms>`.
    pub fn range(since: DateTime<Utc>, until: DateTime<Utc>) -> String {
        format!("{}-{}", since.timestamp_millis(), until.timestamp_millis())
    }

    /// The run to use for `[since, until)` cut into `slices` slices: the latest one when it has
    /// not finished (resumed), else a new one.
    pub async fn begin(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        slices: usize,
    ) -> Result<Run, QueueError> {
        let range = Self::range(since, until);
        let key = self.client.keys().sync_run(&self.source, &range);
        let mut conn = self.client.redis();
        let latest: Option<u64> = conn.hget(&key, "run").await?;
        if let Some(n) = latest {
            let id = format!("{range}:{n}");
            let done: usize = conn
                .hlen(self.client.keys().sync_results(&self.source, &id))
                .await?;
            if done < slices {
                return Ok(Run {
                    id,
                    slices,
                    resumed: true,
                });
            }
        }
        let n = latest.unwrap_or(0) + 1;
        let ttl = i64::try_from(SYNC_RUN_TTL.as_secs()).unwrap_or(i64::MAX);
        let _: () = redis::pipe()
            .atomic()
            .hset(&key, "run", n)
            .hset(&key, "slices", slices)
            .hset(&key, "started_ms", Utc::now().timestamp_millis())
            .expire(&key, ttl)
            .query_async(&mut conn)
            .await?;
        Ok(Run {
            id: format!("{range}:{n}"),
            slices,
            resumed: false,
        })
    }

    /// The slices of run `run` done so far: slice start (ms) -> counts.
    pub async fn results(&self, run: &str) -> Result<HashMap<i64, Counts>, QueueError> {
        let raw: HashMap<String, String> = self
            .client
            .redis()
            .hgetall(self.client.keys().sync_results(&self.source, run))
            .await?;
        Ok(raw
            .into_iter()
            .filter_map(|(slice, counts)| {
                Some((slice.parse().ok()?, serde_json::from_str(&counts).ok()?))
            })
            .collect())
    }

    /// Records that the slice starting at `slice` of run `run` is done, with its counts.
    pub async fn record(
        &self,
        run: &str,
        slice: DateTime<Utc>,
        counts: &Counts,
    ) -> Result<(), QueueError> {
        let key = self.client.keys().sync_results(&self.source, run);
        let ttl = i64::try_from(SYNC_RUN_TTL.as_secs()).unwrap_or(i64::MAX);
        let _: () = redis::pipe()
            .atomic()
            .hset(
                &key,
                slice.timestamp_millis(),
                serde_json::to_string(counts)?,
            )
            .expire(&key, ttl)
            .query_async(&mut self.client.redis())
            .await?;
        Ok(())
    }
}
