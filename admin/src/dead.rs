//! Reading the dead-letter store for people: pages of summaries with optional filters, and one
//! job's detail with its attempt timeline. Shared by `meetflow-admin dlq` and `serve`.
//!
//! Why a scan budget: the store is a ZSET of ids (newest first) next to one hash per job. A page
//! without filters is one `ZREVRANGE` plus one pipelined read per shown job, whatever the size of
//! the store. Filtering by error class or text has no index, so it walks ids newest first in
//! batches of [`SCAN_BATCH`], reading only small fields (the payload and every error only for a
//! text filter), and stops after [`SCAN_BUDGET`] ids even when the page is not full. The answer
//! then carries `next_offset` (the scan position to resume from) and `exhausted: false`, so a
//! caller pages through 100,000 dead jobs in bounded steps instead of one unbounded request.
//!
//! Bulk replays and deletes ([`select`]) take the same [`Filter`] and act on exactly the set it
//! selects, read whole (batch by batch, no budget), always without the dead letters marked
//! "possibly sent" (an SMS that may have reached EngageLab): those are replayed one at a time
//! with `dlq retry ID --resend`, or deleted by id.

use meetflow_shared::queue::{JobRecord, JobState, QueueClient, QueueError};
use serde::Serialize;
use serde_json::Value;

use crate::mask;

/// Ids read per round trip while filtering.
pub const SCAN_BATCH: usize = 500;
/// Most ids one filtered request looks at.
pub const SCAN_BUDGET: usize = 5_000;
/// Longest error message shown in a list row.
const SUMMARY_MESSAGE_CHARS: usize = 200;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this queue.
    pub queue: Option<String>,
    /// Only jobs whose last error has this class (`provider_rejected`, ...).
    pub class: Option<String>,
    /// Only jobs whose id, payload or any error message contains this (case-insensitive).
    pub text: Option<String>,
    /// Only jobs that died at or after this time (unix ms).
    pub since_ms: Option<i64>,
    /// Only jobs that died before this time (unix ms).
    pub until_ms: Option<i64>,
}

impl Filter {
    fn scans(&self) -> bool {
        self.class.is_some()
            || self.text.is_some()
            || self.since_ms.is_some()
            || self.until_ms.is_some()
    }

    /// Whether `summary` (with `haystack`, the lower-cased text of [`summaries`]) matches.
    fn matches(&self, summary: &Summary, haystack: &str, needle: Option<&str>) -> bool {
        let class_ok = self
            .class
            .as_deref()
            .is_none_or(|c| summary.class.as_deref() == Some(c));
        let text_ok = needle.is_none_or(|n| haystack.contains(n));
        let died = summary.dead_ms.unwrap_or(0);
        let since_ok = self.since_ms.is_none_or(|t| died >= t);
        let until_ok = self.until_ms.is_none_or(|t| died < t);
        class_ok && text_ok && since_ok && until_ok
    }

    /// The filter in words (`queue sms, class timeout, ...`), empty when it selects everything.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(q) = &self.queue {
            parts.push(format!("queue {q}"));
        }
        if let Some(c) = &self.class {
            parts.push(format!("class {c}"));
        }
        if let Some(t) = &self.text {
            parts.push(format!("text {t:?}"));
        }
        let at = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(|| ms.to_string())
        };
        if let Some(t) = self.since_ms {
            parts.push(format!("died since {}", at(t)));
        }
        if let Some(t) = self.until_ms {
            parts.push(format!("died before {}", at(t)));
        }
        parts.join(", ")
    }
}

/// A time of a filter: RFC 3339 (`2026-12-05T14:00:00Z`) or a day (`2026-12-05`, midnight UTC),
/// as unix ms.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp_millis());
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2026-12-05T14:00:00Z) or a day (2026-12-05)"
    ))
}

/// The dead letters a bulk action acts on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    /// Ids matching the filter, not marked "possibly sent", oldest first.
    pub ids: Vec<String>,
    /// Matching dead letters left out because they are marked "possibly sent".
    pub possibly_sent: usize,
}

/// Every dead letter matching `filter`, read whole (no scan budget), split into the ones a bulk
/// action takes and the "possibly sent" ones it never takes.
pub async fn select(client: &QueueClient, filter: &Filter) -> Result<Selection, QueueError> {
    let dead = client.dead_letters();
    let queue = filter.queue.as_deref();
    let needle = filter.text.as_deref().map(str::to_lowercase);
    let mut out = Selection::default();
    let mut pos = 0;
    loop {
        let ids = dead.ids(queue, pos, SCAN_BATCH).await?;
        if ids.is_empty() {
            break;
        }
        let rows = summaries(client, &ids, needle.is_some()).await?;
        for (summary, haystack) in rows.into_iter().flatten() {
            if !filter.matches(&summary, &haystack, needle.as_deref()) {
                continue;
            }
            if summary.possibly_sent {
                out.possibly_sent += 1;
            } else {
                out.ids.push(summary.id);
            }
        }
        pos += ids.len();
        if ids.len() < SCAN_BATCH {
            break;
        }
    }
    out.ids.reverse();
    Ok(out)
}

/// One dead job in a list.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Job id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// When it went to the dead letters (unix ms).
    pub dead_ms: Option<i64>,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Class of the last error.
    pub class: Option<String>,
    /// The last error's message (masked, shortened).
    pub message: Option<String>,
    /// Its effect may have happened (an SMS that may have reached EngageLab): never replayed in
    /// bulk, only one at a time with `dlq retry ID --resend`.
    pub possibly_sent: bool,
}

/// A page of dead jobs.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The jobs, newest first.
    pub items: Vec<Summary>,
    /// Dead jobs in the store (of the queue, when filtered by queue).
    pub total: u64,
    /// Where this page started (position in the store, newest first).
    pub offset: usize,
    /// Where the next page starts; `None` at the end.
    pub next_offset: Option<usize>,
    /// Ids looked at to build this page.
    pub scanned: usize,
    /// Whether a class or text filter was applied (then `offset` is a scan position).
    pub filtered: bool,
    /// `false` when a filtered scan stopped on its budget before the end of the store.
    pub exhausted: bool,
}

/// One page of the dead letters matching `filter`, from `offset`, at most `limit` items.
pub async fn page(
    client: &QueueClient,
    filter: &Filter,
    offset: usize,
    limit: usize,
) -> Result<Page, QueueError> {
    let dead = client.dead_letters();
    let queue = filter.queue.as_deref();
    let total = dead.count(queue).await?;
    let limit = limit.clamp(1, 1000);
    if !filter.scans() {
        let ids = dead.ids(queue, offset, limit).await?;
        let items = summaries(client, &ids, false).await?;
        let end = offset + ids.len();
        return Ok(Page {
            items: items.into_iter().flatten().map(|(s, _)| s).collect(),
            total,
            offset,
            next_offset: (ids.len() == limit && (end as u64) < total).then_some(end),
            scanned: ids.len(),
            filtered: false,
            exhausted: true,
        });
    }
    let needle = filter.text.as_deref().map(str::to_lowercase);
    let mut items = Vec::new();
    let mut pos = offset;
    let mut scanned = 0;
    let mut next = None;
    'scan: while scanned < SCAN_BUDGET {
        let batch = SCAN_BATCH.min(SCAN_BUDGET - scanned);
        let ids = dead.ids(queue, pos, batch).await?;
        if ids.is_empty() {
            break;
        }
        let rows = summaries(client, &ids, needle.is_some()).await?;
        for (i, row) in rows.into_iter().enumerate() {
            scanned += 1;
            let Some((summary, haystack)) = row else {
                continue;
            };
            if filter.matches(&summary, &haystack, needle.as_deref()) {
                items.push(summary);
                if items.len() == limit {
                    next = Some(pos + i + 1);
                    break 'scan;
                }
            }
        }
        pos += ids.len();
        if ids.len() < batch {
            break;
        }
        if scanned >= SCAN_BUDGET {
            next = Some(pos);
        }
    }
    let exhausted = next.is_none_or(|n| n as u64 >= total) && items.len() < limit;
    Ok(Page {
        items,
        total,
        offset,
        next_offset: next.filter(|n| (*n as u64) < total),
        scanned,
        filtered: true,
        exhausted,
    })
}

/// Summaries of `ids` in order (`None` for ids no longer dead), each with the lower-cased text
/// a text filter searches (id, queue, payload, every error message) when `full`.
async fn summaries(
    client: &QueueClient,
    ids: &[String],
    full: bool,
) -> Result<Vec<Option<(Summary, String)>>, QueueError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys = client.keys();
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("HMGET").arg(keys.job(id)).arg(
            &[
                "queue",
                "state",
                "attempts",
                "max_attempts",
                "dead_ms",
                "possibly_sent",
                "payload",
            ][..if full { 7 } else { 6 }],
        );
        pipe.cmd("LRANGE")
            .arg(keys.job_errors(id))
            .arg(if full { 0 } else { -1 })
            .arg(-1);
    }
    let mut conn = client.redis();
    let replies: Vec<(Vec<Option<String>>, Vec<String>)> = pipe.query_async(&mut conn).await?;
    Ok(ids
        .iter()
        .zip(replies)
        .map(|(id, (fields, errors))| summary(id, &fields, &errors, full))
        .collect())
}

fn summary(
    id: &str,
    fields: &[Option<String>],
    errors: &[String],
    full: bool,
) -> Option<(Summary, String)> {
    let field = |i: usize| fields.get(i).cloned().flatten();
    if field(1).as_deref() != Some("dead") {
        return None;
    }
    let parsed: Vec<Value> = errors
        .iter()
        .filter_map(|e| serde_json::from_str(e).ok())
        .collect();
    let last = parsed.last();
    let text_of = |v: Option<&Value>, k: &str| v.and_then(|e| e[k].as_str()).map(str::to_owned);
    let message = text_of(last, "message").map(|m| {
        let masked = mask::text(&m);
        shorten(&masked, SUMMARY_MESSAGE_CHARS)
    });
    let s = Summary {
        id: id.to_owned(),
        queue: field(0).unwrap_or_default(),
        dead_ms: field(4).and_then(|v| v.parse().ok()),
        attempts: field(2).and_then(|v| v.parse().ok()).unwrap_or(0),
        max_attempts: field(3).and_then(|v| v.parse().ok()).unwrap_or(0),
        class: text_of(last, "class"),
        message,
        possibly_sent: field(5).is_some(),
    };
    let haystack = if full {
        let mut h = format!("{id}\n{}\n{}", s.queue, field(6).unwrap_or_default());
        for e in &parsed {
            h.push('\n');
            h.push_str(e["message"].as_str().unwrap_or_default());
        }
        h.to_lowercase()
    } else {
        String::new()
    };
    Some((s, haystack))
}

/// `s` cut to at most `max` characters, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One job as shown to an operator: the record with payload and errors masked unless revealed.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The stored record (payload and messages masked unless revealed).
    #[serde(flatten)]
    pub record: JobRecord,
    /// The payload as JSON when it parses (masked unless revealed).
    pub payload_json: Option<Value>,
    /// Whether personal data is shown unmasked.
    pub revealed: bool,
    /// Marked "possibly sent": replayed only alone, with resend.
    pub possibly_sent: bool,
}

/// The job `id` (any state) for display, or `None` when no such job is stored.
pub async fn detail(
    client: &QueueClient,
    id: &str,
    reveal: bool,
) -> Result<Option<Detail>, QueueError> {
    let Some(mut record) = client.job(id).await? else {
        return Ok(None);
    };
    let mut payload_json = record
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok());
    if !reveal {
        payload_json = payload_json.map(|v| mask::json(&v));
        record.payload = record.payload.as_deref().map(mask::payload_text);
        for e in &mut record.errors {
            e.message = mask::text(&e.message);
        }
    }
    let possibly_sent = client
        .dead_letters()
        .possibly_sent(&[id.to_owned()])
        .await?
        .first()
        .copied()
        .unwrap_or(false);
    Ok(Some(Detail {
        record,
        payload_json,
        revealed: reveal,
        possibly_sent,
    }))
}

/// Whether a job is a dead letter.
pub fn is_dead(record: &JobRecord) -> bool {
    record.state == JobState::Dead
}
