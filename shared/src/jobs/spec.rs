//! The job contract: what every job payload states, once, beside its type.
//!
//! A payload implements [`JobSpec`]: the queue it runs on, the payload version this build writes
//! and reads, and how its job id is formed (the id is what de-duplicates: enqueueing the same id
//! twice stores one job). The worker decodes every queue's jobs as a [`QueuePayload`] and checks
//! the version there, once for all jobs, before any handler runs: a payload from a newer build
//! goes to the dead letters as a bad payload instead of being misread.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The contract of one job payload.
pub trait JobSpec: Serialize + DeserializeOwned + Send + 'static {
    /// The queue the job runs on.
    const QUEUE: &'static str;
    /// The payload version this build writes and reads.
    const VERSION: u32;
    /// How operators and error messages name this payload (`sms job`, `brevo job`, ...).
    const NAME: &'static str;
    /// What the job id is formed from besides the payload: `()` when the payload names itself
    /// (an SMS, a reminder, a webhook delivery, a Zoom look-up), a [`super::brevo::BrevoId`] for
    /// a Brevo call, whose id says which event made it.
    type IdFrom;

    /// The job id.
    fn job_id(&self, from: &Self::IdFrom) -> String;

    /// The version this payload was written with.
    fn version(&self) -> u32;
}

/// A payload version this build does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} payload version {found} is not supported (this build reads version {supported})")]
pub struct UnsupportedVersion {
    /// The payload's name ([`JobSpec::NAME`]).
    pub name: &'static str,
    /// The version it was written with.
    pub found: u32,
    /// The version this build reads.
    pub supported: u32,
}

/// What one queue's runtime decodes: a job payload, or for the `sms` queue one of two
/// ([`super::sms::SmsQueueJob`]).
pub trait QueuePayload: DeserializeOwned + Send + 'static {
    /// The queue.
    const QUEUE: &'static str;

    /// `Ok` when this build reads the payload's version.
    ///
    /// # Errors
    /// [`UnsupportedVersion`] for a payload written with another version (permanent).
    fn check_version(&self) -> Result<(), UnsupportedVersion>;
}

impl<J: JobSpec> QueuePayload for J {
    const QUEUE: &'static str = J::QUEUE;

    fn check_version(&self) -> Result<(), UnsupportedVersion> {
        let found = self.version();
        if found == J::VERSION {
            Ok(())
        } else {
            Err(UnsupportedVersion {
                name: J::NAME,
                found,
                supported: J::VERSION,
            })
        }
    }
}
