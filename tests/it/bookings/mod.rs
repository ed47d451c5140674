//! bookings tests.

mod change_clock;
mod engagement;
mod reschedule;
mod sms_check_clock;
mod store;
mod workflow_rules;
