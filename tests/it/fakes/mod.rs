//! fakes tests.

mod brevo;
mod brevo_faults;
mod calendly;
mod calendly_hooks;
mod engagelab;
mod zoom;
mod zoom_webinars;
