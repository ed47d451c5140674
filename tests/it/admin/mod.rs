//! admin tests.

mod api;
mod browser;
mod cli;
mod cli_dlq_and_reminders;
mod dlq_filters;
mod observability;
mod sandbox;
mod scale;
mod setup;
