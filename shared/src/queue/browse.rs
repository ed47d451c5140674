//! Every job in view: pages of the jobs in one state (ready, in flight, scheduled, retrying,
//! dead), of one queue or all, read from the queue's own lists and sorted sets by range (never a
//! key scan), with a cursor that stays stable while new jobs arrive.
//!
//! Where each state lives (see [`crate::redis::Keys`]):
//!
//! | state | read from | order (the cursor's score) |
//! |---|---|---|
//! | `ready` | `q:<queue>:ready` LIST | queue name, then list position (oldest first) |
//! | `inflight` | `q:<queue>:leased` ZSET | lease expiry |
//! | `scheduled` | `q:<queue>:delayed` ZSET, ids **not** in `q:<queue>:retrying` | next run |
//! | `retrying` | `q:<queue>:delayed` ZSET, ids in `q:<queue>:retrying` | next run |
//! | `dead` | `q:<queue>:dead` ZSET, or `dead` (all queues) | death time, newest first |
//!
//! Scheduled and retrying jobs share the `delayed` ZSET; the queue marks a retry (a job that
//! failed an attempt and waits for its backoff, state `retrying`) in the `retrying` SET, so a
//! first run in the future (state `delayed`) is "scheduled". A job a rate limit deferred before
//! its attempt started (`held`) is `delayed` too, so it lists as scheduled.
//!
//! The cursor is the last row's position: `<score>:<id>` for the sorted sets (members with equal
//! scores are ordered by id, as Redis orders them), `<queue>:<position>:<id>` for ready lists.
//! New jobs land after it (a later run time, the tail of a ready list, a newer death shown on
//! page one), so paging on never repeats or skips a job that was there when paging began. A ready
//! list also loses its head as workers lease: the cursor finds its job again by id (`LPOS`), and
//! when that job was leased too, everything before it was, so the next page starts at the head.
//! In-flight jobs are ordered by lease expiry, which renewals push later: a job renewed after
//! its page was shown can appear again on a later page (none is skipped).
//!
//! Scheduled and retrying pages filter the shared ZSET: one request examines at most
//! [`SCAN_BUDGET`] ids per queue; a page that stopped there is shorter than asked, and its cursor
//! continues where it stopped.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::client::QueueClient;
use super::error::QueueError;
use super::job::{AttemptError, JobState};

/// Ids read per round trip.
const BATCH: usize = 200;
/// Most ids of one queue's ZSET a scheduled or retrying page examines.
pub const SCAN_BUDGET: usize = 5_000;
/// Longest last-error message in a row.
const ERROR_CHARS: usize = 160;

/// The states a job list shows, as operators name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListState {
    /// Waiting in the ready list for a worker.
    Ready,
    /// Leased by a worker process.
    Inflight,
    /// First run in the future.
    Scheduled,
    /// Failed an attempt; waiting for its backoff.
    Retrying,
    /// In the dead-letter store.
    Dead,
}

impl ListState {
    /// Every state, in the order the page shows them.
    pub const ALL: [Self; 5] = [
        Self::Ready,
        Self::Inflight,
        Self::Scheduled,
        Self::Retrying,
        Self::Dead,
    ];

    /// `ready`, `inflight`, `scheduled`, `retrying` or `dead` (also `in-flight`, `delayed`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "ready" => Self::Ready,
            "inflight" | "in-flight" | "in_flight" | "running" => Self::Inflight,
            "scheduled" | "delayed" => Self::Scheduled,
            "retrying" => Self::Retrying,
            "dead" => Self::Dead,
            _ => return None,
        })
    }

    /// The name in the CLI, the API and the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Inflight => "inflight",
            Self::Scheduled => "scheduled",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
        }
    }

    /// The listed state of a stored job state (`None` for a finished job).
    pub fn of(state: JobState) -> Option<Self> {
        Some(match state {
            JobState::Ready => Self::Ready,
            JobState::Running => Self::Inflight,
            JobState::Delayed => Self::Scheduled,
            JobState::Retrying => Self::Retrying,
            JobState::Dead => Self::Dead,
            JobState::Done => return None,
        })
    }

    /// The stored job state this listed state is.
    pub fn job_state(self) -> JobState {
        match self {
            Self::Ready => JobState::Ready,
            Self::Inflight => JobState::Running,
            Self::Scheduled => JobState::Delayed,
            Self::Retrying => JobState::Retrying,
            Self::Dead => JobState::Dead,
        }
    }

    fn newest_first(self) -> bool {
        self == Self::Dead
    }
}

impl std::fmt::Display for ListState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// The cursor is not one a page gave out (the caller's mistake: not retryable).
    #[error("bad cursor {0:?}: pass the next_cursor of the previous page")]
    BadCursor(String),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// One job of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    /// Its id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Its state when read.
    pub state: ListState,
    /// What it is, from its payload (`confirmation`, `calendly invitee.created`, ...).
    pub kind: Option<String>,
    /// Attempts made so far (the attempt running, for an in-flight job).
    pub attempt: u32,
    /// Attempts allowed; `None` when the job takes its queue's `max_attempts` (configuration
    /// the reader fills in: [`JobPage::fill_max_attempts`]).
    pub max_attempts: Option<u32>,
    /// When it was first enqueued (unix ms, Redis time).
    pub created_ms: i64,
    /// When it last became ready (unix ms).
    pub enqueued_ms: i64,
    /// When it runs next (scheduled and retrying jobs).
    pub next_run_ms: Option<i64>,
    /// When it went to the dead letters.
    pub dead_ms: Option<i64>,
    /// Its last failed attempt, message shortened.
    pub last_error: Option<AttemptError>,
    /// The worker process holding it (in-flight jobs).
    pub holder: Option<String>,
    /// When that lease expires unless renewed (in-flight jobs).
    pub lease_expires_ms: Option<i64>,
}

/// One page of a job list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPage {
    /// The state listed.
    pub state: ListState,
    /// The queue listed (`None` = all).
    pub queue: Option<String>,
    /// The rows, in list order.
    pub items: Vec<JobRow>,
    /// Where the next page starts; `None` when this page reached the end.
    pub next_cursor: Option<String>,
}

impl JobPage {
    /// Fills in the attempts allowed of rows that take their queue's setting.
    pub fn fill_max_attempts(&mut self, of_queue: impl Fn(&str) -> u32) {
        for r in &mut self.items {
            if r.max_attempts.is_none() {
                r.max_attempts = Some(of_queue(&r.queue));
            }
        }
    }
}

/// A place in a sorted set: score, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pos {
    score: i64,
    id: String,
}

impl Pos {
    fn parse(c: &str) -> Option<Self> {
        let (score, id) = c.split_once(':')?;
        Some(Self {
            score: score.parse().ok()?,
            id: id.to_owned(),
        })
    }

    fn cursor(&self) -> String {
        format!("{}:{}", self.score, self.id)
    }

    /// List order: ascending, or descending for newest-first lists.
    fn cmp_in(&self, other: &Self, desc: bool) -> Ordering {
        let o = (self.score, &self.id).cmp(&(other.score, &other.id));
        if desc { o.reverse() } else { o }
    }
}

/// Which members of a ZSET a list takes.
#[derive(Debug, Clone)]
enum Member {
    Any,
    /// Only ids in (true) or not in (false) this SET.
    In(String, bool),
}

/// The ids of a page, the ZSET score of each (where its list has one), and the next cursor.
type PageIds = (Vec<String>, HashMap<String, i64>, Option<String>);

/// What one queue's ZSET gave: the matching positions, and how far it was examined (`None` =
/// to its end).
type Scanned = (Vec<Pos>, Option<Pos>);

impl QueueClient {
    /// A page of the jobs in `state` (of `queue`, or of every queue), after `cursor`.
    pub async fn list_jobs(
        &self,
        state: ListState,
        queue: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<JobPage, BrowseError> {
        let limit = limit.clamp(1, 1000);
        let cursor = cursor.map(str::trim).filter(|c| !c.is_empty());
        let (ids, extra, next_cursor) = if state == ListState::Ready {
            self.ready_page(queue, cursor, limit).await?
        } else {
            self.zset_page(state, queue, cursor, limit).await?
        };
        let items = self.rows(&ids, &extra).await?;
        Ok(JobPage {
            state,
            queue: queue.map(str::to_owned),
            items,
            next_cursor,
        })
    }

    async fn queues_of(&self, queue: Option<&str>) -> Result<Vec<String>, QueueError> {
        Ok(match queue {
            Some(q) => vec![q.to_owned()],
            None => self.queue_names().await?,
        })
    }

    /// Ids of a ready page, oldest first, queue by queue.
    async fn ready_page(
        &self,
        queue: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<PageIds, BrowseError> {
        let after = match cursor {
            None => None,
            Some(c) => {
                let bad = || BrowseError::BadCursor(c.to_owned());
                let mut parts = c.splitn(3, ':');
                let q = parts.next().ok_or_else(bad)?.to_owned();
                let at: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                let id = parts.next().ok_or_else(bad)?.to_owned();
                Some((q, at, id))
            }
        };
        let mut conn = self.redis();
        let mut ids = Vec::new();
        for q in self.queues_of(queue).await? {
            let key = self.keys().ready(&q);
            let start = match &after {
                Some((cq, _, _)) if q < *cq => continue,
                Some((cq, at, id)) if q == *cq => {
                    let (here, pos): (Option<String>, Option<i64>) = redis::pipe()
                        .cmd("LINDEX")
                        .arg(&key)
                        .arg(*at)
                        .cmd("LPOS")
                        .arg(&key)
                        .arg(id)
                        .query_async(&mut conn)
                        .await
                        .map_err(QueueError::from)?;
                    if here.as_deref() == Some(id.as_str()) {
                        at + 1
                    } else {
                        // Leased meanwhile: so was every job before it (the list is FIFO).
                        pos.map_or(0, |p| p + 1)
                    }
                }
                _ => 0,
            };
            let want = limit - ids.len();
            let got: Vec<String> = redis::cmd("LRANGE")
                .arg(&key)
                .arg(start)
                .arg(start + i64::try_from(want).unwrap_or(i64::MAX) - 1)
                .query_async(&mut conn)
                .await
                .map_err(QueueError::from)?;
            let n = got.len();
            for (i, id) in got.into_iter().enumerate() {
                let at = start + i64::try_from(i).unwrap_or(0);
                ids.push((q.clone(), at, id));
            }
            if n == want {
                let next = ids.last().map(|(q, at, id)| format!("{q}:{at}:{id}"));
                return Ok((strip(ids), HashMap::new(), next));
            }
        }
        Ok((strip(ids), HashMap::new(), None))
    }

    /// Ids of a sorted-set page (with their scores), merged over queues.
    async fn zset_page(
        &self,
        state: ListState,
        queue: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<PageIds, BrowseError> {
        let after = match cursor {
            None => None,
            Some(c) => Some(Pos::parse(c).ok_or_else(|| BrowseError::BadCursor(c.to_owned()))?),
        };
        let desc = state.newest_first();
        let k = self.keys();
        let sources: Vec<(String, Member)> = match (state, queue) {
            (ListState::Dead, None) => vec![(k.dead_all(), Member::Any)],
            _ => self
                .queues_of(queue)
                .await?
                .into_iter()
                .map(|q| match state {
                    ListState::Inflight => (k.leased(&q), Member::Any),
                    ListState::Scheduled => (k.delayed(&q), Member::In(k.retrying(&q), false)),
                    ListState::Retrying => (k.delayed(&q), Member::In(k.retrying(&q), true)),
                    _ => (k.dead(&q), Member::Any),
                })
                .collect(),
        };
        let mut found = Vec::new();
        let mut bound: Option<Pos> = None;
        for (key, member) in &sources {
            let (matches, frontier) = self
                .scan_zset(key, member, after.as_ref(), limit, desc)
                .await?;
            found.extend(matches);
            if let Some(f) = frontier
                && bound.as_ref().is_none_or(|b| f.cmp_in(b, desc).is_lt())
            {
                bound = Some(f);
            }
        }
        // Every queue was examined up to `bound`: only rows up to it are certain to be complete.
        found.retain(|p| bound.as_ref().is_none_or(|b| !p.cmp_in(b, desc).is_gt()));
        found.sort_by(|a, b| a.cmp_in(b, desc));
        found.truncate(limit);
        let next = if found.len() == limit {
            found.last().map(Pos::cursor)
        } else {
            bound.map(|b| b.cursor())
        };
        let scores = found.iter().map(|p| (p.id.clone(), p.score)).collect();
        Ok((found.into_iter().map(|p| p.id).collect(), scores, next))
    }

    /// Up to `want` members of `key` after `after` that `member` takes, in list order, and the
    /// last position examined when it stopped before the end.
    async fn scan_zset(
        &self,
        key: &str,
        member: &Member,
        after: Option<&Pos>,
        want: usize,
        desc: bool,
    ) -> Result<Scanned, QueueError> {
        let mut conn = self.redis();
        let from = after.map_or_else(
            || if desc { "+inf" } else { "-inf" }.to_owned(),
            |p| p.score.to_string(),
        );
        let to = if desc { "-inf" } else { "+inf" };
        let (mut offset, mut examined) = (0usize, 0usize);
        let mut out = Vec::new();
        loop {
            let batch: Vec<(String, f64)> = redis::cmd(if desc {
                "ZREVRANGEBYSCORE"
            } else {
                "ZRANGEBYSCORE"
            })
            .arg(key)
            .arg(&from)
            .arg(to)
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(offset)
            .arg(BATCH)
            .query_async(&mut conn)
            .await?;
            offset += batch.len();
            let positions: Vec<Pos> = batch
                .iter()
                .map(|(id, score)| Pos {
                    score: score_ms(*score),
                    id: id.clone(),
                })
                .filter(|p| after.is_none_or(|a| p.cmp_in(a, desc).is_gt()))
                .collect();
            let keep: Vec<bool> = match member {
                Member::Any => vec![true; positions.len()],
                Member::In(set, wanted) if !positions.is_empty() => {
                    let mut cmd = redis::cmd("SMISMEMBER");
                    cmd.arg(set);
                    for p in &positions {
                        cmd.arg(&p.id);
                    }
                    let is: Vec<bool> = cmd.query_async(&mut conn).await?;
                    is.into_iter().map(|m| m == *wanted).collect()
                }
                Member::In(..) => Vec::new(),
            };
            for (p, take) in positions.into_iter().zip(keep) {
                examined += 1;
                let stop = examined >= SCAN_BUDGET;
                if take {
                    out.push(p.clone());
                }
                if out.len() == want || stop {
                    return Ok((out, Some(p)));
                }
            }
            if batch.len() < BATCH {
                return Ok((out, None));
            }
        }
    }

    /// The rows of `ids` (missing ones skipped), with the ZSET score of each where the list
    /// has one (lease expiry, next run).
    async fn rows(
        &self,
        ids: &[String],
        scores: &HashMap<String, i64>,
    ) -> Result<Vec<JobRow>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys();
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HMGET").arg(k.job(id)).arg(&FIELDS);
            pipe.cmd("LINDEX").arg(k.job_errors(id)).arg(-1);
        }
        let mut conn = self.redis();
        let replies: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, pair) in ids.iter().zip(replies.chunks(2)) {
            let f: Vec<Option<String>> = redis::from_redis_value(pair[0].clone())
                .map_err(|e| QueueError::Protocol(e.to_string()))?;
            let last: Option<String> = redis::from_redis_value(pair[1].clone())
                .map_err(|e| QueueError::Protocol(e.to_string()))?;
            if let Some(row) = row(id, &f, last.as_deref(), scores.get(id)) {
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// The job-hash fields a row reads, in this order.
const FIELDS: [&str; 10] = [
    "queue",
    "state",
    "attempts",
    "max_attempts",
    "created_ms",
    "enq_ms",
    "run_at_ms",
    "dead_ms",
    "owner",
    "payload",
];

fn row(
    id: &str,
    f: &[Option<String>],
    last_error: Option<&str>,
    score: Option<&i64>,
) -> Option<JobRow> {
    let get = |i: usize| f.get(i).and_then(Option::as_deref);
    let num = |i: usize| get(i).and_then(|v| v.parse::<i64>().ok());
    let state = ListState::of(JobState::parse(get(1)?)?)?;
    let waiting = matches!(state, ListState::Scheduled | ListState::Retrying);
    let last_error = last_error
        .and_then(|e| serde_json::from_str::<AttemptError>(e).ok())
        .map(|mut e| {
            e.message = shorten(&e.message, ERROR_CHARS);
            e
        });
    Some(JobRow {
        id: id.to_owned(),
        queue: get(0).unwrap_or_default().to_owned(),
        state,
        kind: get(9).and_then(kind_of),
        attempt: num(2).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        max_attempts: num(3).and_then(|n| u32::try_from(n).ok()),
        created_ms: num(4).unwrap_or(0),
        enqueued_ms: num(5).unwrap_or(0),
        next_run_ms: if waiting {
            score.copied().or_else(|| num(6))
        } else {
            None
        },
        dead_ms: num(7),
        last_error,
        holder: if state == ListState::Inflight {
            get(8).map(str::to_owned)
        } else {
            None
        },
        lease_expires_ms: if state == ListState::Inflight {
            score.copied()
        } else {
            None
        },
    })
}

/// What a payload is: its `kind` (an SMS or Brevo job; a reminder's kind prefixed `reminder`),
/// or a webhook's provider and event.
fn kind_of(payload: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let kind = text("kind").or_else(|| {
        v.get("kind")
            .filter(|k| !k.is_null())
            .map(|k| shorten(&k.to_string(), 40))
    });
    if v.get("reminder_id").is_some() {
        return Some(
            format!("reminder {}", kind.unwrap_or_default())
                .trim()
                .to_owned(),
        );
    }
    if let Some(kind) = kind {
        return Some(kind);
    }
    match (text("provider"), text("event")) {
        (Some(p), Some(e)) => Some(format!("{p} {e}")),
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// `s` cut to `max` characters, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A ZSET score (ms) as an integer.
fn score_ms(score: f64) -> i64 {
    // Scores are whole milliseconds, well inside f64's exact integers.
    score.round() as i64
}

fn strip(ids: Vec<(String, i64, String)>) -> Vec<String> {
    ids.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_in_every_spelling_and_print_as_the_cli_names_them() {
        for s in ListState::ALL {
            assert_eq!(ListState::parse(s.as_str()), Some(s));
            assert_eq!(ListState::of(s.job_state()), Some(s));
        }
        assert_eq!(ListState::parse("In-Flight"), Some(ListState::Inflight));
        assert_eq!(ListState::parse("delayed"), Some(ListState::Scheduled));
        assert_eq!(ListState::parse("done"), None);
    }

    #[test]
    fn cursors_keep_ids_with_colons_and_order_equal_scores_by_id() {
        let p = Pos::parse("1700:sms:confirmation:abc").expect("a cursor");
        assert_eq!(p.id, "sms:confirmation:abc");
        assert_eq!(Pos::parse(&p.cursor()), Some(p.clone()));
        assert!(Pos::parse("x:1").is_none());
        let q = Pos {
            score: 1700,
            id: "sms:z".into(),
        };
        assert!(p.cmp_in(&q, false).is_lt());
        assert!(p.cmp_in(&q, true).is_gt());
    }

    #[test]
    fn kinds_come_from_the_payload() {
        assert_eq!(
            kind_of(r#"{"kind":"confirmation","to":"+1"}"#).as_deref(),
            Some("confirmation")
        );
        assert_eq!(
            kind_of(r#"{"provider":"calendly","event":"invitee.created"}"#).as_deref(),
            Some("calendly invitee.created")
        );
        assert_eq!(
            kind_of(r#"{"reminder_id":"rem:x:24h","kind":"24h"}"#).as_deref(),
            Some("reminder 24h")
        );
        assert_eq!(kind_of("not json"), None);
    }
}
