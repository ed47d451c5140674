//! The follow-up jobs one event produces, collected and enqueued together.
//!
//! Every follow-up has a deterministic id, so running the same event twice (a crash after some
//! enqueues, a synthetic delivery from the reconciliation next to the real one) stores each job
//! once: the queue answers `Duplicate` for an id it already holds or finished within a day. Ids
//! and queues come from each payload's contract ([`JobSpec`]), never from the handlers.

use meetflow_shared::jobs::brevo::{AttendanceSync, BrevoId, BrevoJob, ContactSync, EventTrack};
use meetflow_shared::jobs::sms::SmsJob;
use meetflow_shared::jobs::zoom::ZoomJob;
use meetflow_shared::jobs::{ALL_QUEUES, JobSpec};
use meetflow_shared::queue::{JobError, NewJob, QueueClient};

use crate::error;

pub(crate) use meetflow_shared::domain::email_tag;

/// Jobs to enqueue, per queue.
#[derive(Debug, Default)]
pub(crate) struct FanOut {
    queues: Vec<(&'static str, Vec<NewJob>)>,
}

impl FanOut {
    /// `job` onto its queue, with the id its contract forms from `from`.
    fn push<J: JobSpec>(&mut self, job: &J, from: &J::IdFrom) -> Result<(), JobError> {
        self.push_at(job, from, None)
    }

    /// [`Self::push`], run at `at` when given.
    fn push_at<J: JobSpec>(
        &mut self,
        job: &J,
        from: &J::IdFrom,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), JobError> {
        let mut new = NewJob::json(job)
            .map_err(error::queue)?
            .with_id(job.job_id(from));
        if let Some(at) = at {
            new = new.run_at(at);
        }
        match self.queues.iter_mut().find(|(q, _)| *q == J::QUEUE) {
            Some((_, jobs)) => jobs.push(new),
            None => self.queues.push((J::QUEUE, vec![new])),
        }
        Ok(())
    }

    /// A contact sync made for `id`.
    pub(crate) fn contact(&mut self, id: BrevoId, sync: ContactSync) -> Result<(), JobError> {
        self.push(&BrevoJob::contact(sync), &id)
    }

    /// An attendance sync made for `id`.
    pub(crate) fn attendance(&mut self, id: BrevoId, sync: AttendanceSync) -> Result<(), JobError> {
        self.push(&BrevoJob::attendance(sync), &id)
    }

    /// A Brevo custom event `name` about `subject` (skipped when the name is empty: that event is
    /// off), id `brevo:event:<name>:<subject>`.
    pub(crate) fn event(&mut self, subject: &str, event: EventTrack) -> Result<(), JobError> {
        if event.event_name.is_empty() || event.email.is_empty() {
            return Ok(());
        }
        let id = BrevoId::Event {
            subject: subject.to_owned(),
        };
        self.push(&BrevoJob::event(event), &id)
    }

    /// An SMS (id [`SmsJob::job_id`]).
    pub(crate) fn sms(&mut self, job: &SmsJob) -> Result<(), JobError> {
        self.push(job, &())
    }

    /// A Zoom look-up (id `zoom:ended:<uuid>` or `zoom:webinar_ended:<uuid>`).
    pub(crate) fn zoom(&mut self, job: &ZoomJob) -> Result<(), JobError> {
        self.push(job, &())
    }

    /// A Zoom job run at `at` (the no-show check, `zoom:no_show:<uuid>`).
    pub(crate) fn zoom_at(
        &mut self,
        job: &ZoomJob,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), JobError> {
        self.push_at(job, &(), Some(at))
    }

    /// Enqueues everything (one round trip per queue, in [`ALL_QUEUES`] order); duplicates are
    /// no-ops.
    pub(crate) async fn enqueue(mut self, client: &QueueClient) -> Result<(), JobError> {
        self.queues
            .sort_by_key(|(q, _)| ALL_QUEUES.iter().position(|known| known == q));
        for (queue, jobs) in self.queues {
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
