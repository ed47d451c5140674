//! The Lua scripts of the bookings store, each prefixed with `lua/common.lua` (shared helpers:
//! reminder ids, record parsing, cancelling a booking). `redis::Script` sends EVALSHA and falls
//! back to EVAL (loading the script) after a Redis restart.

use std::sync::LazyLock;

use redis::Script;

const COMMON: &str = include_str!("lua/common.lua");

fn with_common(body: &str) -> Script {
    Script::new(&format!("{COMMON}\n{body}"))
}

/// Record a booking and plan its reminders.
pub(super) static BOOKED: LazyLock<Script> =
    LazyLock::new(|| with_common(include_str!("lua/booked.lua")));
/// Cancel a booking and its pending reminders.
pub(super) static CANCELED: LazyLock<Script> =
    LazyLock::new(|| with_common(include_str!("lua/canceled.lua")));
/// Set or clear a no-show.
pub(super) static NO_SHOW: LazyLock<Script> =
    LazyLock::new(|| with_common(include_str!("lua/no_show.lua")));
/// Claim due reminders (scheduler).
pub(super) static CLAIM_DUE: LazyLock<Script> =
    LazyLock::new(|| with_common(include_str!("lua/claim_due.lua")));
/// Settle claimed reminders (scheduler).
pub(super) static ACK: LazyLock<Script> =
    LazyLock::new(|| with_common(include_str!("lua/ack.lua")));
