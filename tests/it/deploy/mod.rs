//! deploy tests.

mod alerts;
mod compose;
mod dashboard;
mod monitoring;
