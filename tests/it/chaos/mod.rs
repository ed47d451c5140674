//! chaos tests.

mod actors;
mod bodies;
mod check;
mod operator;
mod plan;
mod procs;
mod run;
mod stale;
