//! meetflow-worker: runs the jobs that turn webhooks into Brevo contacts and EngageLab SMS.
//!
//! One process serves the queues it is given (`--queues events,brevo,sms,zoom`, default all), so
//! each queue can run and scale in its own container. The code is laid out by queue, one folder
//! each, one file per job handler:
//!
//! - `events` ([`events::dispatch`]): parses each stored webhook (Calendly, Zoom), updates the bookings
//!   store (which plans and cancels reminders) and fans out into follow-up jobs with
//!   deterministic ids, so re-running an event after a crash doubles nothing.
//! - `brevo` ([`brevo::sync`]): contact upserts and custom events, under the Brevo rate
//!   limit shared by every replica.
//! - `sms` ([`sms::send`]): confirmations, cancellations, host notices and the
//!   scheduler's reminders, follow-ups, win-backs and no-show apologies (the last two with a
//!   single-use booking link, [`sms::booking_link`]), at most once per (booking, kind)
//!   ([`sms::marker`]).
//! - `zoom` ([`zoom::attendance`]): reads a finished meeting's participants and syncs
//!   their attendance.
//! - `sync` ([`sync::calendly`]): the backfill's slices of Calendly's history (needs
//!   `connectors.calendly.access_token`).
//!
//! [`run`] wires a process (ops endpoints, queue stats, graceful stop); tests run the same thing
//! in-process with [`run_with`] and [`WorkerOptions`].

mod app;
mod brevo;
mod context;
mod error;
mod events;
mod fanout;
mod queues;
mod sms;
mod sync;
mod zoom;

pub use app::{NAME, WorkerError, run, run_with, serve};
pub use context::WorkerOptions;
pub use queues::{QueueSelection, UnknownQueue};
