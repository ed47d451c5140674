//! queue tests.

mod basics;
pub(crate) mod browse;
mod clock;
mod dead_caps;
mod fencing;
mod recovery;
mod retries;
mod throughput;
mod tls;
