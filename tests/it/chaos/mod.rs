//! chaos tests.

mod actors;
mod bodies;
mod check;
mod plan;
mod procs;
mod run;
