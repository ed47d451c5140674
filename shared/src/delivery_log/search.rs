//! [`DeliveryLog`]: pages of the delivery log (newest first, filtered, with a stable cursor),
//! one delivery with its stored body, and replay.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::Provider;
use crate::jobs::{EVENTS, WebhookJob};
use crate::queue::{NewJob, QueueClient, QueueError};
use crate::redis::Keys;

/// Ids read per round trip.
const BATCH: isize = 500;
/// Most index entries one page request examines when it filters (a page that stopped there is
/// shorter than asked, and its cursor continues where it stopped).
pub const SCAN_BUDGET: usize = 20_000;
/// The request id a replayed delivery's job carries (with the entry id after a colon).
pub const REPLAY_REQUEST_ID: &str = "meetflow-replay";

/// A read of the log that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A cursor this log did not print.
    #[error("bad cursor {0:?}: use the next_cursor of the previous page")]
    BadCursor(String),
    /// Redis failed (retryable).
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<redis::RedisError> for LogError {
    fn from(e: redis::RedisError) -> Self {
        Self::Queue(QueueError::from(e))
    }
}

/// Which deliveries a page or a bulk replay takes; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only this event (`invitee.created`, `meeting.ended`, `callback`, `-` for non-events).
    pub event: Option<String>,
    /// Only deliveries naming this person (a tag from [`super::person_tag`]).
    pub person: Option<String>,
    /// Stored at or after this (Unix ms).
    pub since_ms: Option<i64>,
    /// Stored at or before this (Unix ms).
    pub until_ms: Option<i64>,
}

impl Filter {
    /// Whether nothing narrows the log.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The index that holds every match, and whether rows must still be checked against the
    /// provider and event.
    fn index(&self, k: &Keys) -> (String, bool) {
        let scoped = self.provider.is_some() || self.event.is_some();
        match (&self.person, self.provider, &self.event) {
            (Some(p), _, _) => (k.deliveries_person(p), scoped),
            (None, Some(pr), Some(ev)) => (k.deliveries_by(&format!("{pr}:{ev}")), false),
            (None, Some(pr), None) => (k.deliveries_by(pr.as_str()), false),
            (None, None, Some(_)) => (k.deliveries(), true),
            (None, None, None) => (k.deliveries(), false),
        }
    }

    fn matches(&self, row: &DeliveryRow) -> bool {
        self.provider.is_none_or(|p| p.as_str() == row.provider)
            && self.event.as_deref().is_none_or(|e| e == row.event)
    }

    /// `provider calendly, event invitee.created, person, since ..., until ...` for audit
    /// entries and messages (never the person's tag or address).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.provider {
            parts.push(format!("provider {p}"));
        }
        if let Some(e) = &self.event {
            parts.push(format!("event {e}"));
        }
        if self.person.is_some() {
            parts.push("one person".to_owned());
        }
        let fmt = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        };
        if let Some(s) = self.since_ms {
            parts.push(format!("since {}", fmt(s)));
        }
        if let Some(u) = self.until_ms {
            parts.push(format!("until {}", fmt(u)));
        }
        parts.join(", ")
    }
}

/// One logged delivery, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    /// The entry id (a ULID).
    pub id: String,
    /// `calendly`, `zoom` or `engagelab`.
    pub provider: String,
    /// The envelope event (`-` for a body that is not an event).
    pub event: String,
    /// When ingest stored it (Unix ms, Redis time).
    pub at_ms: i64,
    /// The id of the job it became (its delivery identity).
    pub job: String,
    /// `created` (a new job), `duplicate` (a redelivery of a stored one) or `dead` (not an
    /// event: kept in the dead letters).
    pub outcome: String,
    /// Size of the stored job payload in bytes.
    pub size: u64,
    /// How many people it names.
    pub persons: usize,
    /// How many times operators replayed it.
    pub replays: u64,
    /// When it was last replayed (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_ms: Option<i64>,
}

/// One delivery with its raw body as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its row.
    #[serde(flatten)]
    pub row: DeliveryRow,
    /// Whether the request was signed.
    pub signed: bool,
    /// The provider's request id header, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The raw body (UTF-8 text, or base64 when `body_encoding` says so).
    pub body: String,
    /// `utf8` or `base64`.
    pub body_encoding: String,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPage {
    /// The rows.
    pub items: Vec<DeliveryRow>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Entries replayed: entry id -> the new job's id.
    pub replayed: Vec<(String, String)>,
    /// Entries no longer in the log (trimmed or unknown).
    pub missing: Vec<String>,
}

/// Reads and replays the delivery log of one installation.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    queue: QueueClient,
}

const ROW_FIELDS: [&str; 9] = [
    "provider",
    "event",
    "at_ms",
    "job",
    "outcome",
    "size",
    "persons",
    "replays",
    "replayed_ms",
];

fn row_of(id: &str, f: Vec<Option<String>>) -> Option<DeliveryRow> {
    let mut f = f.into_iter();
    let mut next = || f.next().flatten();
    let provider = next()?;
    let event = next().unwrap_or_default();
    let at_ms = next().and_then(|v| v.parse().ok()).unwrap_or_default();
    let job = next().unwrap_or_default();
    let outcome = next().unwrap_or_default();
    let size = next().and_then(|v| v.parse().ok()).unwrap_or_default();
    let persons = next().map_or(0, |p| p.split(',').filter(|t| !t.is_empty()).count());
    let replays = next().and_then(|v| v.parse().ok()).unwrap_or_default();
    let replayed_ms = next().and_then(|v| v.parse().ok());
    Some(DeliveryRow {
        id: id.to_owned(),
        provider,
        event,
        at_ms,
        job,
        outcome,
        size,
        persons,
        replays,
        replayed_ms,
    })
}

fn parse_cursor(c: &str) -> Option<(i64, String)> {
    let (score, id) = c.split_once(':')?;
    Some((score.parse().ok()?, id.to_owned()))
}

impl DeliveryLog {
    /// The log on `queue`'s Redis.
    pub fn new(queue: QueueClient) -> Self {
        Self { queue }
    }

    /// How many deliveries the log holds and their payload bytes.
    pub async fn totals(&self) -> Result<(u64, u64), LogError> {
        let k = self.queue.keys();
        let mut conn = self.queue.redis();
        let (count, bytes): (u64, Option<u64>) = redis::pipe()
            .zcard(k.deliveries())
            .hget(k.deliveries_stats(), "bytes")
            .query_async(&mut conn)
            .await?;
        Ok((count, bytes.unwrap_or_default()))
    }

    /// A page of the deliveries matching `filter`, newest first, after `cursor`.
    pub async fn page(
        &self,
        filter: &Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DeliveryPage, LogError> {
        let limit = limit.clamp(1, 1000);
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(parse_cursor(c).ok_or_else(|| LogError::BadCursor(c.to_owned()))?),
            None => None,
        };
        let k = self.queue.keys();
        let (index, check) = filter.index(k);
        let max = match (&after, filter.until_ms) {
            (Some((s, _)), Some(u)) => (*s).min(u).to_string(),
            (Some((s, _)), None) => s.to_string(),
            (None, Some(u)) => u.to_string(),
            (None, None) => "+inf".to_owned(),
        };
        let min = filter
            .since_ms
            .map_or_else(|| "-inf".to_owned(), |s| s.to_string());
        let mut conn = self.queue.redis();
        let mut items = Vec::new();
        let mut offset: isize = 0;
        let mut examined = 0usize;
        let mut last: Option<(i64, String)> = None;
        loop {
            let ids: Vec<(String, i64)> = redis::cmd("ZRANGE")
                .arg(&index)
                .arg(&max)
                .arg(&min)
                .arg("BYSCORE")
                .arg("REV")
                .arg("LIMIT")
                .arg(offset)
                .arg(BATCH)
                .arg("WITHSCORES")
                .query_async(&mut conn)
                .await?;
            let fetched = ids.len();
            offset += BATCH;
            let ids: Vec<(String, i64)> = ids
                .into_iter()
                .filter(|(id, score)| match &after {
                    Some((s, cid)) => score < s || (score == s && id < cid),
                    None => true,
                })
                .collect();
            let mut pipe = redis::pipe();
            for (id, _) in &ids {
                pipe.cmd("HMGET").arg(k.delivery(id)).arg(&ROW_FIELDS[..]);
            }
            let rows: Vec<Vec<Option<String>>> = if ids.is_empty() {
                Vec::new()
            } else {
                pipe.query_async(&mut conn).await?
            };
            for ((id, score), fields) in ids.into_iter().zip(rows) {
                examined += 1;
                if let Some(row) = row_of(&id, fields)
                    && (!check || filter.matches(&row))
                {
                    items.push(row);
                }
                last = Some((score, id));
                if items.len() >= limit {
                    break;
                }
            }
            if items.len() >= limit || examined >= SCAN_BUDGET {
                let next = last.map(|(s, id)| format!("{s}:{id}"));
                return Ok(DeliveryPage {
                    items,
                    next_cursor: next,
                });
            }
            if fetched < BATCH as usize {
                return Ok(DeliveryPage {
                    items,
                    next_cursor: None,
                });
            }
        }
    }

    /// Every entry id matching `filter`, newest first, at most `cap` (for bulk replays).
    pub async fn matching(&self, filter: &Filter, cap: usize) -> Result<Vec<String>, LogError> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.page(filter, cursor.as_deref(), 1000).await?;
            ids.extend(page.items.into_iter().map(|r| r.id));
            if ids.len() >= cap {
                ids.truncate(cap);
                return Ok(ids);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(ids),
            }
        }
    }

    /// One delivery with its body; `None` when it is not (or no longer) in the log.
    pub async fn get(&self, id: &str) -> Result<Option<Delivery>, LogError> {
        let k = self.queue.keys();
        let mut conn = self.queue.redis();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(k.delivery(id))
            .query_async(&mut conn)
            .await?;
        let fields = ROW_FIELDS.iter().map(|f| all.get(*f).cloned()).collect();
        let Some(row) = row_of(id, fields) else {
            return Ok(None);
        };
        let payload = all.get("payload").map(String::as_str).unwrap_or_default();
        let (signed, request_id, body, encoding) = match serde_json::from_str::<WebhookJob>(payload)
        {
            Ok(job) => (
                job.signed,
                job.request_id.clone(),
                job.body.clone(),
                serde_json::to_value(job.body_encoding)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "utf8".to_owned()),
            ),
            Err(_) => (false, None, payload.to_owned(), "utf8".to_owned()),
        };
        Ok(Some(Delivery {
            row,
            signed,
            request_id,
            body,
            body_encoding: encoding,
        }))
    }

    /// Re-processes the entries `ids`: each one's stored job payload is enqueued on the
    /// `events` queue as a new job (request id `meetflow-replay:<entry id>`), and the entry
    /// counts the replay. The worker then handles it as any delivery, so what was already sent
    /// (an SMS whose marker says sent) is not sent again.
    pub async fn replay(&self, ids: &[String]) -> Result<ReplayReport, LogError> {
        let k = self.queue.keys();
        let mut report = ReplayReport::default();
        for chunk in ids.chunks(200) {
            let mut conn = self.queue.redis();
            let mut read = redis::pipe();
            for id in chunk {
                read.hget(k.delivery(id), "payload");
            }
            let payloads: Vec<Option<String>> = read.query_async(&mut conn).await?;
            let mut jobs = Vec::new();
            let mut entries = Vec::new();
            for (id, payload) in chunk.iter().zip(payloads) {
                let Some(payload) = payload else {
                    report.missing.push(id.clone());
                    continue;
                };
                let job = NewJob::raw(marked(&payload, id));
                entries.push((id.clone(), job.id().to_owned()));
                jobs.push(job);
            }
            if jobs.is_empty() {
                continue;
            }
            self.queue.enqueue_many(EVENTS, jobs).await?;
            let now = crate::queue::now_ms();
            let mut mark = redis::pipe();
            for (id, _) in &entries {
                mark.hincr(k.delivery(id), "replays", 1)
                    .ignore()
                    .hset(k.delivery(id), "replayed_ms", now)
                    .ignore();
            }
            let () = mark.query_async(&mut conn).await?;
            report.replayed.extend(entries);
        }
        Ok(report)
    }
}

/// The stored payload with its request id saying it is a replay of entry `id` (a payload
/// that is not a JSON object is enqueued as it is: the worker refuses it into the dead
/// letters, where an operator sees why).
fn marked(payload: &str, id: &str) -> String {
    match serde_json::from_str::<Value>(payload) {
        Ok(Value::Object(mut m)) => {
            m.insert(
                "request_id".to_owned(),
                Value::String(format!("{REPLAY_REQUEST_ID}:{id}")),
            );
            serde_json::to_string(&m).unwrap_or_else(|_| payload.to_owned())
        }
        _ => payload.to_owned(),
    }
}
