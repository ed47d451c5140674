//! The backfill (`meetflow-admin sync calendly`): the CLI binary against the fake Calendly API,
//! the worker running in this process against the fake Brevo and EngageLab, one private Redis.

mod calendly;
mod setup;
mod worker_restart;
mod zoom;
