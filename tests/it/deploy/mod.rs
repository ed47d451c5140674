//! deploy tests.

mod compose;
