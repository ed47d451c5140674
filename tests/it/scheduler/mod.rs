//! scheduler tests.

mod due;
mod process;
mod reconcile;
mod recovery;
