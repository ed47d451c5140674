//! meetflow integration tests: one binary, one folder per area (admin, bookings, chaos, deploy,
//! fakes, harness, ingest, queue, scheduler, security, sync, topology, worker) and one `support` module.
//!
//! Every test starts what it needs: a private Redis (`meetflow_tests::redis::TestRedis`)
//! and fake providers over real HTTP (`meetflow_tests::fakes`). Add a test file to its area's
//! folder and a `mod` line to that folder's `mod.rs`; helpers shared by tests go in `support/`.

#![allow(clippy::unwrap_used)]

mod admin;
mod bookings;
mod chaos;
mod deploy;
mod fakes;
mod harness;
mod ingest;
mod queue;
mod scheduler;
mod security;
mod support;
mod sync;
mod topology;
mod worker;
