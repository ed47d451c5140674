//! Lead signal: every contact's attendance minutes over all meetings and webinars.
//!
//! A HASH per contact ([`meetflow_shared::redis::Keys::attendance_minutes`]) holds one field per
//! meeting or webinar instance (`meeting:<uuid>`, `webinar:<uuid>`) with the minutes attended in
//! it. The `zoom` queue writes the fields before it enqueues the Brevo syncs; a redelivered event
//! or a retried job writes the same field again, so an instance never counts twice. The Brevo
//! sync reads the sum when it runs and writes it to [`TOTAL_ATTENDANCE_MINUTES`] (see
//! `brevo::sync`), so two instances processed at once cannot leave the older total in Brevo.

use meetflow_shared::queue::JobError;
use meetflow_shared::redis::{ATTENDANCE_MINUTES_TTL, millis};

use crate::context::Worker;
use crate::error;
use crate::fanout::email_tag;

/// The Brevo attribute holding the total minutes.
pub(crate) const TOTAL_ATTENDANCE_MINUTES: &str = "TOTAL_ATTENDANCE_MINUTES";

/// The field of one instance: `meeting:<uuid>` or `webinar:<uuid>`.
pub(crate) fn field(kind: &str, uuid: &str) -> String {
    format!("{kind}:{uuid}")
}

/// Records the minutes of every `(email, minutes)` in instance `field` (one round trip).
pub(crate) async fn record(
    w: &Worker,
    field: &str,
    people: &[(&str, u64)],
) -> Result<(), JobError> {
    if people.is_empty() {
        return Ok(());
    }
    let ttl = millis(ATTENDANCE_MINUTES_TTL);
    let mut pipe = redis::pipe();
    pipe.atomic();
    for (email, minutes) in people {
        let key = w.redis.keys().attendance_minutes(&email_tag(email));
        pipe.cmd("HSET").arg(&key).arg(field).arg(minutes).ignore();
        pipe.cmd("PEXPIRE").arg(&key).arg(ttl).ignore();
    }
    let mut conn = w.redis.conn();
    pipe.query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// The contact's total minutes, as stored now.
pub(crate) async fn total(w: &Worker, email: &str) -> Result<u64, JobError> {
    let key = w.redis.keys().attendance_minutes(&email_tag(email));
    let mut conn = w.redis.conn();
    let values: Vec<u64> = redis::cmd("HVALS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .map_err(error::redis)?;
    Ok(values.iter().fold(0, |sum, m| sum.saturating_add(*m)))
}
