//! Lead signal: every contact's attendance minutes over all meetings and webinars.
//!
//! A HASH per contact ([`meetflow_shared::queue::Keys::attendance_minutes`]) holds one field per
//! meeting or webinar instance (`meeting:<uuid>`, `webinar:<uuid>`) with the minutes attended in
//! it. The `zoom` queue writes the fields before it enqueues the Brevo syncs; a redelivered event
//! or a retried job writes the same field again, so an instance never counts twice. The Brevo
//! sync reads the sum when it runs and writes it to [`TOTAL_ATTENDANCE_MINUTES`] (see
//! `brevo::sync`), so two instances processed at once cannot leave the older total in Brevo.

use std::time::Duration;

use meetflow_shared::queue::JobError;

use crate::context::Worker;
use crate::error;
use crate::fanout::email_tag;

/// The Brevo attribute holding the total minutes.
pub(crate) const TOTAL_ATTENDANCE_MINUTES: &str = "TOTAL_ATTENDANCE_MINUTES";

/// How long a contact's minutes are kept after the last instance they attended.
const TTL: Duration = Duration::from_secs(400 * 24 * 3600);

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
    let ttl = u64::try_from(TTL.as_millis()).unwrap_or(u64::MAX);
    let mut pipe = redis::pipe();
    pipe.atomic();
    for (email, minutes) in people {
        let key = w.client.keys().attendance_minutes(&email_tag(email));
        pipe.cmd("HSET").arg(&key).arg(field).arg(minutes).ignore();
        pipe.cmd("PEXPIRE").arg(&key).arg(ttl).ignore();
    }
    let mut conn = w.client.redis();
    pipe.query_async::<()>(&mut conn)
        .await
        .map_err(error::redis)
}

/// The contact's total minutes, as stored now.
pub(crate) async fn total(w: &Worker, email: &str) -> Result<u64, JobError> {
    let key = w.client.keys().attendance_minutes(&email_tag(email));
    let mut conn = w.client.redis();
    let values: Vec<u64> = redis::cmd("HVALS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .map_err(error::redis)?;
    Ok(values.iter().fold(0, |sum, m| sum.saturating_add(*m)))
}
