//! admin tests.

mod api;
mod browser;
mod browser_jobs;
mod cli;
mod cli_dlq_and_reminders;
mod dlq_filters;
mod jobs_view;
mod observability;
mod queue_pause;
mod redis_up;
mod sandbox;
mod sandbox_refusals;
mod scale;
mod setup;
mod sms_suppression;
