//! security tests.

mod admin;
mod http;
pub(crate) mod logscan;
mod parsers;
mod signatures;
