//! `meetflow-scheduler`: owns time. It enqueues each planned reminder and follow-up onto the SMS
//! queue when it comes due ([`promote`]), and runs the periodic Calendly reconciliation and the
//! Zoom catch-up sweep once per tick across all replicas ([`periodic`], [`reconcile`],
//! [`zoom_sweep`]). The bookings and their reminders are
//! written by the worker through [`meetflow_shared::bookings`]; this crate only reads due ones.
//!
//! Replicas: run as many as availability needs. Claims are atomic and SMS job ids are the
//! reminder ids, so no reminder is enqueued twice; periodic tasks take a per-tick lock.

pub mod app;
pub mod baseline;
pub mod periodic;
pub mod promote;
pub mod reconcile;
pub mod synthetic;
pub mod zoom_sweep;

use std::time::Duration;

use meetflow_shared::bookings::BookingError;
use meetflow_shared::queue::QueueError;

pub use promote::{DueLoop, DueLoopSettings, TickReport};

/// Why the scheduler stopped or a tick failed.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The bookings store failed (usually Redis unreachable; retried).
    #[error(transparent)]
    Bookings(#[from] BookingError),
    /// The queue failed (usually Redis unreachable; retried).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Redis stayed unreachable too long: exit so the orchestrator restarts us.
    #[error("redis unreachable for {0:?}; giving up")]
    GaveUp(Duration),
}
