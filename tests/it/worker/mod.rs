//! worker tests.

mod brevo;
mod calendly;
mod engagement;
mod process;
mod reminder_lateness;
mod reschedule;
mod sms;
mod webinar;
mod zoom;
mod zoom_minutes;
