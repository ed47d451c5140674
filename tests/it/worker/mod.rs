//! worker tests.

mod brevo;
mod calendly;
mod engagement;
mod phone;
mod process;
mod reschedule;
mod sms;
mod webinar;
mod zoom;
mod zoom_minutes;
