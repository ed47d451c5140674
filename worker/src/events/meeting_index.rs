//! Which contacts booked a Zoom meeting: Calendly's Zoom location carries the meeting id, Zoom's
//! `recording.completed` and `meeting.ended` carry it too. A SET per meeting id
//! ([`meetflow_shared::redis::Keys::zoom_meeting_contacts`]) links them; it expires 30 days after
//! the last booking added to it.

use meetflow_shared::queue::JobError;
use meetflow_shared::redis::{MEETING_CONTACTS_TTL, millis};

use crate::context::Worker;
use crate::error;

/// Adds a booking's e-mail to its meeting.
pub(crate) async fn add(w: &Worker, meeting_id: &str, email: &str) -> Result<(), JobError> {
    let key = w.redis.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.redis.conn();
    redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg(&key)
        .arg(email.to_lowercase())
        .ignore()
        .cmd("PEXPIRE")
        .arg(&key)
        .arg(millis(MEETING_CONTACTS_TTL))
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// Removes a cancelled booking's e-mail from its meeting.
pub(crate) async fn remove(w: &Worker, meeting_id: &str, email: &str) -> Result<(), JobError> {
    let key = w.redis.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.redis.conn();
    redis::cmd("SREM")
        .arg(&key)
        .arg(email.to_lowercase())
        .query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// The e-mails booked on a meeting, sorted.
pub(crate) async fn contacts(w: &Worker, meeting_id: &str) -> Result<Vec<String>, JobError> {
    let key = w.redis.keys().zoom_meeting_contacts(meeting_id);
    let mut conn = w.redis.conn();
    let mut out: Vec<String> = redis::cmd("SMEMBERS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .map_err(error::redis)?;
    out.sort();
    Ok(out)
}
