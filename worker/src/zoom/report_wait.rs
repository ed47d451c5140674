//! Waiting for Zoom's participants report after `meeting.ended` / `webinar.ended`.
//!
//! Right after the end Zoom may answer `404` code 3001 ("Meeting does not exist") or an empty
//! participant list until its report is ready. Until `connectors.zoom.report_wait` has passed
//! since the end, either answer defers the job ([`JobError::Defer`]: delayed in Redis, no attempt
//! spent, nothing in its error history), with delays that grow with the time since the end (for
//! the default 6h: 1 minute, then about doubling, up to 30 minutes). After that a 404 is
//! permanent (dead letter, with the reason) and an empty list means nobody joined. A job without
//! an end time does not wait.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use meetflow_shared::domain::ErrorClass;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::zoom_api::is_report_missing;
use meetflow_shared::queue::JobError;

/// The shortest delay (a window of a few milliseconds in tests still waits a little).
const MIN_DELAY: Duration = Duration::from_millis(5);

/// How long after `ended` a missing report may still come, judged at `now`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReportWait {
    /// When the meeting or webinar ended (`None`: no wait).
    pub(crate) ended: Option<DateTime<Utc>>,
    /// `connectors.zoom.report_wait`.
    pub(crate) window: Duration,
}

impl ReportWait {
    /// How long to wait before asking again, or `None` once the window has passed (or without
    /// an end time or a window). The delay is the time since the end, at least 1/360 and at
    /// most 1/12 of the window, and never past the window's end.
    pub(crate) fn delay(&self, now: DateTime<Utc>) -> Option<Duration> {
        let ended = self.ended?;
        let elapsed = (now - ended).to_std().unwrap_or(Duration::ZERO);
        let remaining = self.window.checked_sub(elapsed).filter(|r| !r.is_zero())?;
        let (base, cap) = (self.window / 360, self.window / 12);
        Some(elapsed.clamp(base, cap).min(remaining).max(MIN_DELAY))
    }

    /// Reads a participant or registrant list (`what`, e.g. `past meeting participants`): a 404
    /// code 3001 defers the job within the window and dead-letters it after; with `empty_waits`
    /// an empty list also defers it within the window. Other errors are classified as usual.
    pub(crate) async fn read<T>(
        &self,
        what: &str,
        empty_waits: bool,
        call: impl Future<Output = Result<Vec<T>, ProviderError>>,
    ) -> Result<Vec<T>, JobError> {
        match call.await {
            Ok(rows) if rows.is_empty() && empty_waits => match self.delay(Utc::now()) {
                Some(after) => Err(self.defer(what, "an empty list", after)),
                None => Ok(rows),
            },
            Ok(rows) => Ok(rows),
            Err(e) if is_report_missing(&e) => match self.delay(Utc::now()) {
                Some(after) => Err(self.defer(what, &e.to_string(), after)),
                None => Err(JobError::permanent(
                    ErrorClass::ProviderRejected,
                    format!(
                        "Zoom's {what} report still missing {} after the end (connectors.zoom.report_wait): {e}",
                        humantime::format_duration(self.window)
                    ),
                )),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The deferral of a job waiting `after` for Zoom's `what` report (logged with `answer`).
    pub(crate) fn defer(&self, what: &str, answer: &str, after: Duration) -> JobError {
        tracing::info!(
            what,
            answer,
            after_ms = after.as_millis() as u64,
            "Zoom report not ready; waiting"
        );
        JobError::Defer {
            class: ErrorClass::ProviderServer,
            message: format!("Zoom's {what} report not ready yet ({answer})"),
            after,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap()
    }

    const SIX_HOURS: Duration = Duration::from_secs(6 * 3600);

    #[test]
    fn delays_grow_from_a_minute_to_half_an_hour_then_stop_at_the_window() {
        let wait = ReportWait {
            ended: Some(at(0)),
            window: SIX_HOURS,
        };
        let mins = |s: i64| wait.delay(at(s)).map(|d| d.as_secs());
        assert_eq!(mins(0), Some(60));
        assert_eq!(mins(60), Some(60));
        assert_eq!(mins(120), Some(120));
        assert_eq!(mins(480), Some(480));
        assert_eq!(mins(3 * 3600), Some(1800));
        assert_eq!(mins(6 * 3600 - 10), Some(10));
        assert_eq!(mins(6 * 3600), None);
        assert_eq!(mins(7 * 3600), None);
        // An end time in the future (clock skew) waits the shortest delay.
        assert_eq!(mins(-30), Some(60));
    }

    #[test]
    fn no_end_time_or_no_window_means_no_wait() {
        let none = ReportWait {
            ended: None,
            window: SIX_HOURS,
        };
        assert_eq!(none.delay(at(0)), None);
        let off = ReportWait {
            ended: Some(at(0)),
            window: Duration::ZERO,
        };
        assert_eq!(off.delay(at(0)), None);
    }

    #[tokio::test]
    async fn a_missing_report_defers_within_the_window_and_is_permanent_after_it() {
        let missing = || async {
            let mut e = ProviderError::new(
                meetflow_shared::providers::Provider::Zoom,
                "past meeting participants",
                ErrorClass::ProviderRejected,
                "Meeting does not exist: 1.",
            );
            e.status = Some(404);
            e.code = Some("3001".into());
            Err::<Vec<u8>, _>(e)
        };
        let fresh = ReportWait {
            ended: Some(Utc::now()),
            window: SIX_HOURS,
        };
        let err = fresh
            .read("participants", true, missing())
            .await
            .unwrap_err();
        assert!(matches!(err, JobError::Defer { after, .. } if after == Duration::from_secs(60)));
        let err = fresh
            .read("participants", true, async {
                Ok::<Vec<u8>, ProviderError>(vec![])
            })
            .await
            .unwrap_err();
        assert!(matches!(err, JobError::Defer { .. }));
        let registrants = fresh
            .read("registrants", false, async {
                Ok::<Vec<u8>, ProviderError>(vec![])
            })
            .await
            .unwrap();
        assert!(registrants.is_empty());

        let old = ReportWait {
            ended: Some(Utc::now() - chrono::Duration::hours(7)),
            window: SIX_HOURS,
        };
        let err = old.read("participants", true, missing()).await.unwrap_err();
        assert!(
            matches!(&err, JobError::Permanent { message, .. } if message.contains("still missing 6h")),
            "{err}"
        );
        let rows = old
            .read("participants", true, async {
                Ok::<Vec<u8>, ProviderError>(vec![])
            })
            .await
            .unwrap();
        assert!(rows.is_empty());
    }
}
