//! queue tests.

mod basics;
mod dead_caps;
mod recovery;
mod retries;
mod throughput;
mod tls;
