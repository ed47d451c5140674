//! meetflow's test harness, shared by every integration test in `tests/it`.
//!
//! * [`binaries`]: the meetflow binaries process tests start, built when missing or stale.
//! * [`redis::TestRedis`]: a private `redis-server` per test (free port, temp dir,
//!   optional AOF, SIGKILL + restart).
//! * [`topology`]: a real 3-master Redis Cluster and a master + replica + 3 Sentinels on
//!   loopback ports, for the tests that run on each `redis.url` form.
//! * [`signing`]: Calendly/Zoom/EngageLab signatures computed as the providers do.
//! * [`fakes`]: fake Brevo, EngageLab, Calendly API and Zoom API servers over real HTTP,
//!   with request logs, state inspection and fault injection.
//! * [`fixtures`]: the provider fixture bodies (exact wire bytes).
//! * [`http`]: reqwest clients with the rustls crypto provider installed.
//! * [`webhook`]: sign and POST Calendly/Zoom deliveries to the service under test.
//! * [`log_capture`]: the process's log lines as JSON, for tests of what is logged.
//! * [`drain`]: the figures the drain benchmarks read (process and Redis CPU, Redis commands).
//! * [`promtool`]: `promtool check metrics` over a `/metrics` text (skips without promtool).

pub mod binaries;
pub mod drain;
pub mod fakes;
pub mod fixtures;
pub mod http;
pub mod log_capture;
pub mod promtool;
pub mod redis;
pub mod signing;
pub mod topology;
pub mod wait;
pub mod webhook;

pub use http::{http_client, install_crypto};
