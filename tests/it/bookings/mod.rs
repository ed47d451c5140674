//! bookings tests.

mod engagement;
mod reschedule;
mod store;
