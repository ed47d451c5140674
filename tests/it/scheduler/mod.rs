//! scheduler tests.

mod due;
mod golive;
mod process;
mod reconcile;
mod recovery;
mod redis_checks;
