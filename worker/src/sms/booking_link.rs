//! Single-use Calendly booking links for the engagement SMS (win-back, no-show apology).
//!
//! Each SMS gets a fresh link (`POST /scheduling_links`, owner = the booking's event type,
//! `max_event_count` 1), made when the SMS is about to be sent. The link is stored under the
//! reminder id before it is used, so a retried send (EngageLab down, a crash) reuses it instead of
//! minting another; if two attempts race, the first stored link wins and the other is unused.

use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::queue::JobError;
use meetflow_shared::redis::{BOOKING_LINK_TTL, millis};
use redis::AsyncCommands;

use crate::context::Worker;
use crate::error;

/// A booking link for an SMS, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BookingLink {
    /// The booking URL to put in the message.
    Ready(String),
    /// No link can be made: the SMS is not sent (its text promises one). The reason is a metric
    /// label.
    Unavailable(&'static str),
}

/// The single-use booking link of engagement SMS `job`: the stored one, or a new one.
pub(crate) async fn single_use(w: &Worker, job: &ReminderJob) -> Result<BookingLink, JobError> {
    for_sms(w, &job.reminder_id, job.event_type.as_deref()).await
}

/// The single-use booking link of the SMS `sms_id` (a reminder id or an SMS job id) about a
/// booking of `event_type`: the stored one, or a new one.
pub(crate) async fn for_sms(
    w: &Worker,
    sms_id: &str,
    event_type: Option<&str>,
) -> Result<BookingLink, JobError> {
    let Some(api) = &w.calendly else {
        return Ok(BookingLink::Unavailable("no_calendly_token"));
    };
    let Some(event_type) = event_type.filter(|t| !t.is_empty()) else {
        return Ok(BookingLink::Unavailable("no_event_type"));
    };
    let key = w.redis.keys().booking_link(sms_id);
    let mut conn = w.redis.conn();
    if let Some(url) = conn
        .get::<_, Option<String>>(&key)
        .await
        .map_err(error::redis)?
    {
        return Ok(BookingLink::Ready(url));
    }
    let url = match api.create_scheduling_link(event_type).await {
        Ok(url) => url,
        // The event type was deleted or made secret since the booking: nothing to link to.
        Err(e) if e.status == Some(404) => return Ok(BookingLink::Unavailable("event_type_gone")),
        Err(e) => return Err(e.into()),
    };
    let opts = redis::SetOptions::default()
        .conditional_set(redis::ExistenceCheck::NX)
        .with_expiration(redis::SetExpiry::PX(millis(BOOKING_LINK_TTL)));
    let _: Option<String> = conn
        .set_options(&key, &url, opts)
        .await
        .map_err(error::redis)?;
    let stored: Option<String> = conn.get(&key).await.map_err(error::redis)?;
    Ok(BookingLink::Ready(stored.unwrap_or(url)))
}
