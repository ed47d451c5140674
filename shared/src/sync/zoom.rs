//! The Zoom catch-up: the periodic sweep (`connectors.zoom.sweep_every`, enqueued by the
//! scheduler) and `meetflow-admin sync zoom` share it. One time range at a time, it lists
//! through the Zoom API the meetings and webinars that ended in the range and the cloud
//! recordings of those that started in it, and picks the instances whose `meeting.ended`,
//! `webinar.ended` or `recording.completed` meetflow never handled ([`Seen`]); the worker then
//! handles each exactly as the webhook would have (same job ids, so nothing is counted twice).
//!
//! Zoom's API has no "ended meetings of the account" call; the sweep lists the account's
//! active users (`GET /users?status=active`), and per user the report of their past meetings
//! and webinars (`GET /report/users/{userId}/meetings?type=past&from&to`, Heavy; whole days,
//! an instance is listed for the day it started, so the day before the range is asked for
//! too) and their cloud recordings (`GET /users/{userId}/recordings?from&to`, Medium). Webinar
//! rows are told apart by their `type` (5, 6, 9). The app needs the scopes
//! `user:read:list_users:admin`, `report:read:list_meetings:admin` and
//! `cloud_recording:read:list_user_recordings:admin`.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use redis::AsyncCommands;
use serde::Serialize;

use super::Counts;
use crate::events::{MeetingObject, Recording, is_webinar_type};
use crate::providers::ProviderError;
use crate::providers::zoom_api::ZoomClient;
use crate::queue::{QueueClient, QueueError};

/// The source name of the Zoom catch-up (sync jobs, ledger, runs).
pub const SOURCE: &str = "zoom";

/// The `run` of the sweep's sync jobs (its slices are not kept as a backfill run).
pub const SWEEP_RUN: &str = "sweep";

/// Instances that ended less than this before the listing are left to their webhook (which
/// normally arrives within seconds); the next sweep looks again.
pub const SETTLE: TimeDelta = TimeDelta::minutes(5);

/// What a Zoom webhook was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `meeting.ended`.
    Meeting,
    /// `webinar.ended`.
    Webinar,
    /// `recording.completed`.
    Recording,
}

impl Kind {
    /// `meeting`, `webinar`, `recording` (the ledger's field prefix, the metrics' `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meeting => "meeting",
            Self::Webinar => "webinar",
            Self::Recording => "recording",
        }
    }
}

/// Which Zoom instances meetflow has handled, per kind
/// ([`crate::redis::Keys::sync_state`] of `zoom`: `<kind>:<uuid>` -> when, epoch ms).
#[derive(Debug, Clone)]
pub struct Seen {
    client: QueueClient,
    key: String,
}

impl Seen {
    /// The ledger under `client`'s namespace.
    pub fn new(client: QueueClient) -> Self {
        Self {
            key: client.keys().sync_state(SOURCE),
            client,
        }
    }

    /// Records that the webhook (or its catch-up) about `uuid` was handled.
    pub async fn mark(&self, kind: Kind, uuid: &str) -> Result<(), QueueError> {
        let field = format!("{}:{uuid}", kind.as_str());
        let _: () = self
            .client
            .redis()
            .hset(&self.key, field, Utc::now().timestamp_millis())
            .await?;
        Ok(())
    }

    /// Whether each `(kind, uuid)` was handled.
    pub async fn handled(&self, items: &[(Kind, &str)]) -> Result<Vec<bool>, QueueError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let fields: Vec<String> = items
            .iter()
            .map(|(k, u)| format!("{}:{u}", k.as_str()))
            .collect();
        let found: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(&self.key)
            .arg(&fields)
            .query_async(&mut self.client.redis())
            .await?;
        Ok(found.into_iter().map(|f| f.is_some()).collect())
    }
}

/// An instance whose webhook meetflow never handled.
#[derive(Debug, Clone)]
pub enum Missed {
    /// An ended meeting (as `meeting.ended` would carry it).
    Meeting(MeetingObject),
    /// An ended webinar (as `webinar.ended` would carry it).
    Webinar(MeetingObject),
    /// A completed cloud recording (as `recording.completed` would carry it).
    Recording(Recording),
}

impl Missed {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Meeting(_) => Kind::Meeting,
            Self::Webinar(_) => Kind::Webinar,
            Self::Recording(_) => Kind::Recording,
        }
    }

    /// One line of a dry run.
    pub fn change(&self) -> ZoomChange {
        let (uuid, at) = match self {
            Self::Meeting(m) | Self::Webinar(m) => (m.uuid.clone(), m.end_time),
            Self::Recording(r) => (r.uuid.clone(), r.start_time),
        };
        ZoomChange {
            kind: self.kind().as_str(),
            uuid: uuid.unwrap_or_default(),
            at,
        }
    }
}

/// One instance a run would handle (what a dry run prints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoomChange {
    /// `meeting`, `webinar` or `recording`.
    pub kind: &'static str,
    /// The instance UUID.
    pub uuid: String,
    /// When it ended (a recording: when its meeting started).
    pub at: Option<DateTime<Utc>>,
}

/// Lists one range of the account's Zoom history.
#[derive(Debug, Clone)]
pub struct ZoomSlice {
    api: ZoomClient,
    seen: Seen,
}

impl ZoomSlice {
    /// Listing through `api` (give it the shared per-category limits), checked against the
    /// ledger under `client`'s namespace.
    pub fn new(api: ZoomClient, client: QueueClient) -> Self {
        Self {
            api,
            seen: Seen::new(client),
        }
    }

    /// The meetings and webinars that ended in `[from, until)` (and at least [`SETTLE`] before
    /// now) and the recordings of instances that started in it, which meetflow has not handled;
    /// with the counts (`synced` = to handle, `unchanged` = handled already).
    pub async fn missed(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(Counts, Vec<Missed>), SyncError> {
        let mut counts = Counts::default();
        let mut listed = Vec::new();
        let settled = Utc::now() - SETTLE;
        let (first, last) = days(from, until);
        for user in self.api.users().await? {
            let report_from = first.checked_sub_days(Days::new(1)).unwrap_or(first);
            for m in self.api.ended_meetings(&user.id, report_from, last).await? {
                let Some(end) = m.end_time else { continue };
                if end < from || end >= until || end > settled || m.uuid.is_none() {
                    continue;
                }
                if is_webinar_type(m.kind) {
                    counts.webinars += 1;
                    listed.push(Missed::Webinar(m));
                } else {
                    counts.meetings += 1;
                    listed.push(Missed::Meeting(m));
                }
            }
            for r in self.api.recordings(&user.id, first, last).await? {
                let started = r.start_time.is_some_and(|t| t >= from && t < until);
                if !started || r.uuid.is_none() || r.share_url.is_none() {
                    continue;
                }
                counts.recordings += 1;
                listed.push(Missed::Recording(r));
            }
        }
        // The same instance listed twice (a co-host, a report row per host) is handled once.
        let mut unique = std::collections::HashSet::new();
        listed.retain(|m| unique.insert((m.kind(), m.change().uuid)));
        let keys: Vec<(Kind, String)> =
            listed.iter().map(|m| (m.kind(), m.change().uuid)).collect();
        let refs: Vec<(Kind, &str)> = keys.iter().map(|(k, u)| (*k, u.as_str())).collect();
        let handled = self.seen.handled(&refs).await?;
        let mut missed = Vec::new();
        for (m, done) in listed.into_iter().zip(handled) {
            if done {
                counts.unchanged += 1;
            } else {
                counts.synced += 1;
                missed.push(m);
            }
        }
        counts.events = counts.meetings + counts.webinars;
        Ok((counts, missed))
    }
}

/// The first and last UTC day of `[from, until)`.
fn days(from: DateTime<Utc>, until: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let last = (until - TimeDelta::milliseconds(1)).max(from);
    (from.date_naive(), last.date_naive())
}

/// A range could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A Zoom call failed.
    #[error(transparent)]
    Zoom(#[from] ProviderError),
    /// Redis failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_range_asks_for_the_days_it_touches() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            days(at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z")),
            (day("2026-03-01"), day("2026-03-01"))
        );
        assert_eq!(
            days(at("2026-03-01T23:00:00Z"), at("2026-03-02T00:30:00Z")),
            (day("2026-03-01"), day("2026-03-02"))
        );
    }
}
