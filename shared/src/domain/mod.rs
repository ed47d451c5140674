//! Parsed domain values: once a phone number or an email exists as one of these types it is
//! known to be well formed, so the rest of the code never re-checks raw strings.
//!
//! Each type keeps its field private and is built with `parse`, which returns a small error
//! type and never panics on outside input. [`redact`] shortens them for logs.

mod email;
mod phone;
pub mod redact;

pub use email::{EmailAddress, EmailError, email_tag};
pub use phone::{PhoneError, PhoneNumber};
