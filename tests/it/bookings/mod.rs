//! bookings tests.

mod engagement;
mod reschedule;
mod store;
mod workflow_rules;
