//! worker tests.

mod brevo;
mod calendly;
mod engagement;
mod job_versions;
mod late_booking;
mod marker_faults;
mod phone;
mod process;
mod reschedule;
mod send_once;
mod sms;
mod webinar;
mod zoom;
mod zoom_minutes;
