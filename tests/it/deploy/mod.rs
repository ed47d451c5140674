//! deploy tests.

mod alerts;
mod compose;
