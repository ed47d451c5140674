//! The follow-up jobs one event produces, collected and enqueued together.
//!
//! Every follow-up has a deterministic id, so running the same event twice (a crash after some
//! enqueues, a synthetic delivery from the reconciliation next to the real one) stores each job
//! once: the queue answers `Duplicate` for an id it already holds or finished within a day.

use meetflow_shared::jobs::brevo::{AttendanceSync, BrevoJob, ContactSync, EventTrack};
use meetflow_shared::jobs::sms::SmsJob;
use meetflow_shared::jobs::zoom::ZoomJob;
use meetflow_shared::jobs::{BREVO, SMS, ZOOM};
use meetflow_shared::queue::{JobError, NewJob, QueueClient};

use crate::error;

pub(crate) use meetflow_shared::domain::email_tag;

/// Jobs to enqueue, per queue.
#[derive(Debug, Default)]
pub(crate) struct FanOut {
    brevo: Vec<NewJob>,
    sms: Vec<NewJob>,
    zoom: Vec<NewJob>,
}

fn encode<T: serde::Serialize>(payload: &T) -> Result<NewJob, JobError> {
    NewJob::json(payload).map_err(error::queue)
}

impl FanOut {
    /// A contact sync with id `id`.
    pub(crate) fn contact(&mut self, id: String, sync: ContactSync) -> Result<(), JobError> {
        self.brevo
            .push(encode(&BrevoJob::contact(sync))?.with_id(id));
        Ok(())
    }

    /// An attendance sync with id `id`.
    pub(crate) fn attendance(&mut self, id: String, sync: AttendanceSync) -> Result<(), JobError> {
        self.brevo
            .push(encode(&BrevoJob::attendance(sync))?.with_id(id));
        Ok(())
    }

    /// A Brevo custom event `name` (skipped when the name is empty: that event is off) with id
    /// `brevo:event:<name>:<subject>`.
    pub(crate) fn event(&mut self, subject: &str, event: EventTrack) -> Result<(), JobError> {
        if event.event_name.is_empty() || event.email.is_empty() {
            return Ok(());
        }
        let id = format!("brevo:event:{}:{subject}", event.event_name);
        self.brevo
            .push(encode(&BrevoJob::event(event))?.with_id(id));
        Ok(())
    }

    /// An SMS (id [`SmsJob::job_id`]).
    pub(crate) fn sms(&mut self, job: &SmsJob) -> Result<(), JobError> {
        self.sms.push(encode(job)?.with_id(job.job_id()));
        Ok(())
    }

    /// A Zoom look-up with id `id`.
    pub(crate) fn zoom(&mut self, id: String, job: &ZoomJob) -> Result<(), JobError> {
        self.zoom.push(encode(job)?.with_id(id));
        Ok(())
    }

    /// Enqueues everything (one round trip per queue); duplicates are no-ops.
    pub(crate) async fn enqueue(self, client: &QueueClient) -> Result<(), JobError> {
        for (queue, jobs) in [(BREVO, self.brevo), (SMS, self.sms), (ZOOM, self.zoom)] {
            if jobs.is_empty() {
                continue;
            }
            let out = client
                .enqueue_many(queue, jobs)
                .await
                .map_err(error::queue)?;
            let created = out.iter().filter(|e| e.is_created()).count();
            metrics::counter!("meetflow_followup_jobs_total", "queue" => queue, "outcome" => "created")
                .increment(created as u64);
            metrics::counter!("meetflow_followup_jobs_total", "queue" => queue, "outcome" => "duplicate")
                .increment((out.len() - created) as u64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_tags_ignore_case_and_hide_the_address() {
        assert_eq!(email_tag("Jo@Example.com "), email_tag("jo@example.com"));
        assert_eq!(email_tag("jo@example.com").len(), 16);
        assert!(!email_tag("jo@example.com").contains("jo"));
    }
}
