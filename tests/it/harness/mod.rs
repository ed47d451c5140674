//! harness tests.

mod redis;
mod webhook;
