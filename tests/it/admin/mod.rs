//! admin tests.

mod api;
mod browser;
mod browser_deliveries;
mod browser_jobs;
mod browser_person;
mod browser_roles;
mod cli;
mod cli_audit;
mod cli_dlq_and_reminders;
mod deliveries;
mod dlq_filters;
mod jobs_view;
mod migrate;
mod observability;
mod person;
mod queue_pause;
mod redis_up;
mod roles_and_audit;
mod sandbox;
mod sandbox_callbacks;
mod sandbox_flows;
mod sandbox_refusals;
mod scale;
mod setup;
mod sms_suppression;
