//! One module per verb family of `meetflow-admin`; each exposes a clap type with `run`.

pub mod audit;
pub mod calendly;
pub mod config;
pub mod deliveries;
pub mod dlq;
pub mod dlq_bulk;
pub mod jobs;
pub mod migrate;
pub mod no_shows;
pub mod person;
pub mod processes;
pub mod queues;
pub mod queues_pause;
pub mod reminders;
pub mod sandbox;
pub mod send_test_webhook;
pub mod serve;
pub mod sms;
pub mod sync;
pub mod zoom;
