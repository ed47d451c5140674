//! Which contacts booked a Zoom meeting: Calendly's Zoom location carries the meeting id, Zoom's
//! `recording.completed` and `meeting.ended` carry it too. A SET per meeting id
//! ([`meetflow_shared::queue::Keys::zoom_meeting_contacts`]) links them; it expires 30 days after
//! the last booking added to it.

use std::time::Duration;

use meetflow_shared::queue::JobError;

use crate::context::Worker;
use crate::error;

/// How long a meeting's contacts are kept after the last booking.
const TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Adds a booking's e-mail to its meeting.
pub(crate) async fn add(w: &Worker, meeting_id: &str, email: &str) -> Result<(), JobError> {
    let key = w.client.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.client.redis();
    redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg(&key)
        .arg(email.to_lowercase())
        .ignore()
        .cmd("PEXPIRE")
        .arg(&key)
        .arg(u64::try_from(TTL.as_millis()).unwrap_or(u64::MAX))
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// Removes a cancelled booking's e-mail from its meeting.
pub(crate) async fn remove(w: &Worker, meeting_id: &str, email: &str) -> Result<(), JobError> {
    let key = w.client.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.client.redis();
    redis::cmd("SREM")
        .arg(&key)
        .arg(email.to_lowercase())
        .query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// The e-mails booked on a meeting, sorted.
pub(crate) async fn contacts(w: &Worker, meeting_id: &str) -> Result<Vec<String>, JobError> {
    let key = w.client.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.client.redis();
    let mut out: Vec<String> = redis::cmd("SMEMBERS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .map_err(error::redis)?;
    out.sort();
    Ok(out)
}
