//! worker tests.

mod backpressure;
mod brevo;
mod brevo_budgets;
mod calendly;
mod delivery_receipts;
mod engagement;
mod job_versions;
mod late_booking;
mod marker_faults;
mod pause;
mod phone;
mod process;
mod provider_limits;
mod real_bodies;
mod reminder_lateness;
mod reschedule;
pub(crate) mod send_once;
mod sms;
mod sms_params;
mod suppression;
mod webinar;
mod workflows;
mod zoom;
mod zoom_daily_limit;
mod zoom_minutes;
mod zoom_report_wait;
