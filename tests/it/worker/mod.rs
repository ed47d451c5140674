//! worker tests.

mod backpressure;
mod brevo;
mod calendly;
mod delivery_receipts;
mod engagement;
mod job_logs;
mod job_versions;
mod late_booking;
mod marker_faults;
mod pause;
mod phone;
mod process;
mod real_bodies;
mod reminder_lateness;
mod reschedule;
mod send_once;
mod sms;
mod sms_params;
mod suppression;
mod tracing_otlp;
mod webinar;
mod workflows;
mod zoom;
mod zoom_daily_limit;
mod zoom_minutes;
