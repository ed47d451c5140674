//! Reading reminders: the operator's list, and the SMS handler's last check before sending.

use redis::AsyncCommands;

use super::record::{REMINDER_PREFIX, parse_record};
use super::{
    BookingError, BookingKey, Bookings, Currentness, PlannedReminder, ReminderState, plan,
};
use crate::jobs::reminder::ReminderJob;

impl Bookings {
    /// The reminders of one booking (every state, earliest first), or with `None` the next
    /// `limit` reminders waiting to be sent across all bookings (earliest first; the ones a
    /// scheduler is enqueueing right now included). For `meetflow-admin reminders list`.
    pub async fn reminders(
        &self,
        booking: Option<&BookingKey>,
        limit: usize,
    ) -> Result<Vec<PlannedReminder>, BookingError> {
        if let Some(key) = booking {
            let mut list = self
                .get(key)
                .await?
                .map(|b| b.reminders)
                .unwrap_or_default();
            list.truncate(limit);
            return Ok(list);
        }
        let mut conn = self.redis.conn();
        let stop = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        let mut ids: Vec<String> = conn
            .zrange(self.keys().reminders_claimed(), 0, stop)
            .await?;
        let due: Vec<String> = conn.zrange(self.keys().reminders_due(), 0, stop).await?;
        ids.extend(due);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some((key, kind)) = PlannedReminder::parse_id(&id) else {
                continue;
            };
            let field = format!("{REMINDER_PREFIX}{}", kind.label());
            let rec: Option<String> = conn.hget(self.keys().booking(key.as_str()), field).await?;
            let Some((state, due)) = rec.as_deref().and_then(parse_record) else {
                continue;
            };
            let Some(due_at) = chrono::DateTime::from_timestamp_millis(due) else {
                continue;
            };
            out.push(PlannedReminder {
                id,
                booking: key,
                kind,
                due_at,
                state,
            });
        }
        out.sort_by_key(|r| (r.due_at, r.id.clone()));
        out.truncate(limit);
        Ok(out)
    }

    /// The SMS handler's check right before sending a reminder: is its booking still active,
    /// at the time it was planned for, and is the reminder still useful now? (See
    /// [`plan::judge`] for the rules.) A stale reminder is dropped, not retried.
    pub async fn is_current(&self, job: &ReminderJob) -> Result<Currentness, BookingError> {
        let booking = self.get(&job.booking).await?;
        let verdict = plan::judge(
            &self.rules_of(booking.as_ref()),
            booking.as_ref(),
            job.kind,
            job.due_at.timestamp_millis(),
            Some(job.start.timestamp_millis()),
            self.clock.now_ms(),
        );
        if let Currentness::Stale(reason) = verdict {
            metrics::counter!("meetflow_reminders_dropped_total", "reason" => reason.as_str(), "at" => "send")
                .increment(1);
        }
        Ok(verdict)
    }

    /// The state of one reminder, if its booking is stored.
    pub async fn reminder_state(&self, id: &str) -> Result<Option<ReminderState>, BookingError> {
        let Some((key, kind)) = PlannedReminder::parse_id(id) else {
            return Ok(None);
        };
        let field = format!("{REMINDER_PREFIX}{}", kind.label());
        let rec: Option<String> = self
            .redis
            .conn()
            .hget(self.keys().booking(key.as_str()), field)
            .await?;
        Ok(rec
            .as_deref()
            .and_then(parse_record)
            .map(|(state, _)| state))
    }
}
