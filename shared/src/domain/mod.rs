//! Parsed domain values: once a phone number, an email or a booking key exists as one of these
//! types it is known to be well formed, so the rest of the code never re-checks raw strings.
//!
//! Each type keeps its field private and is built with `parse`, which returns a small error
//! type and never panics on outside input. [`redact`] shortens them for logs.
//!
//! This is the leaf layer of the crate: it imports nothing of ours (`crate::...`), so every other
//! module may use it. Besides the parsed values it holds the words several layers share: the
//! booking a job is about ([`BookingKey`]), what a planned SMS is for ([`ReminderKind`]) and why
//! an attempt failed ([`ErrorClass`]). The test `layers` (in `lib.rs`) keeps it that way.

mod booking_key;
mod email;
mod error_class;
mod phone;
pub mod redact;
mod reminder_kind;

pub use booking_key::BookingKey;
pub use email::{EmailAddress, EmailError, email_tag};
pub use error_class::ErrorClass;
pub use phone::{PhoneError, PhoneNumber};
pub use reminder_kind::ReminderKind;
