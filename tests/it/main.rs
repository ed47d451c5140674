//! meetflow integration tests: one binary, one module per capability.
//!
//! Every test starts what it needs: a private Redis (`meetflow_tests::redis::TestRedis`)
//! and fake providers over real HTTP (`meetflow_tests::fakes`). Add your module below.

#![allow(clippy::unwrap_used)]

mod admin_api;
mod admin_browser;
mod admin_cli;
mod admin_cli_more;
mod admin_dlq_filters;
mod admin_observability;
mod admin_sandbox;
mod admin_scale;
mod admin_setup;
mod admin_support;
mod bookings_engagement;
mod bookings_reschedule;
mod bookings_store;
mod chaos;
mod chaos_actors;
mod chaos_bodies;
mod chaos_check;
mod chaos_plan;
mod chaos_procs;
mod deploy_compose;
mod fakes_brevo;
mod fakes_brevo_faults;
mod fakes_calendly;
mod fakes_calendly_hooks;
mod fakes_engagelab;
mod fakes_zoom;
mod fakes_zoom_webinars;
mod harness_redis;
mod harness_webhook;
mod ingest_intake;
mod ingest_resilience;
mod ingest_signatures;
mod ingest_support;
mod queue_basics;
mod queue_dead_caps;
mod queue_recovery;
mod queue_retries;
mod queue_support;
mod queue_throughput;
mod queue_tls;
mod scheduler_due;
mod scheduler_process;
mod scheduler_reconcile;
mod scheduler_recovery;
mod scheduler_support;
mod security_admin;
mod security_http;
mod security_logscan;
mod security_parsers;
mod security_signatures;
mod security_support;
mod worker_brevo;
mod worker_calendly;
mod worker_engagement;
mod worker_late_booking;
mod worker_marker_faults;
mod worker_process;
mod worker_reschedule;
mod worker_send_once;
mod worker_sms;
mod worker_support;
mod worker_webinar;
mod worker_zoom;
mod worker_zoom_minutes;
