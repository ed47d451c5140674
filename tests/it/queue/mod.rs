//! queue tests.

mod basics;
mod clock;
mod fencing;
mod recovery;
mod retries;
mod throughput;
mod tls;
