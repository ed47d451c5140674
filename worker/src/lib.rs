//! meetflow-worker: runs the jobs that turn webhooks into Brevo contacts and EngageLab SMS.
//!
//! One process serves the queues it is given (`--queues events,brevo,sms,zoom`, default all), so
//! each queue can run and scale in its own container:
//!
//! - `events` ([`dispatch`]): parses each stored webhook (Calendly, Zoom), updates the bookings
//!   store (which plans and cancels reminders) and fans out into follow-up jobs with
//!   deterministic ids, so re-running an event after a crash doubles nothing.
//! - `brevo` ([`handlers::brevo_sync`]): contact upserts and custom events, under the Brevo rate
//!   limit shared by every replica.
//! - `sms` ([`handlers::sms_send`]): confirmations, cancellations, host notices and the
//!   scheduler's reminders, follow-ups, win-backs and no-show apologies (the last two with a
//!   single-use booking link, [`booking_link`]), at most once per (booking, kind) ([`marker`]).
//! - `zoom` ([`handlers::zoom_attendance`]): reads a finished meeting's participants and syncs
//!   their attendance.
//!
//! [`run`] wires a process (ops endpoints, queue stats, graceful stop); tests run the same thing
//! in-process with [`run_with`] and [`WorkerOptions`].

mod app;
mod booking_link;
mod contact;
mod context;
mod dispatch;
mod error;
mod fanout;
mod format;
mod handlers;
mod marker;
mod phone;
mod queues;
mod send_state;

pub use app::{WorkerError, run, run_with};
pub use context::WorkerOptions;
pub use queues::{QueueSelection, UnknownQueue};
