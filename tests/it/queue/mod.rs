//! queue tests.

mod basics;
mod recovery;
mod retries;
mod throughput;
mod tls;
