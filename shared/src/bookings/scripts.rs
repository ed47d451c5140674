//! The Lua scripts of the bookings store, each sent behind `lua/common.lua` (shared helpers:
//! reminder ids, record parsing, cancelling a booking) through [`crate::redis::Script`], which
//! sends EVALSHA and loads the script after a Redis restart.

use crate::redis::Script;

const COMMON: &str = include_str!("lua/common.lua");

/// Record a booking and plan its reminders.
pub(super) static BOOKED: Script =
    Script::with_prelude("booked.lua", COMMON, include_str!("lua/booked.lua"));
/// Cancel a booking and its pending reminders.
pub(super) static CANCELED: Script =
    Script::with_prelude("canceled.lua", COMMON, include_str!("lua/canceled.lua"));
/// Set or clear a no-show.
pub(super) static NO_SHOW: Script =
    Script::with_prelude("no_show.lua", COMMON, include_str!("lua/no_show.lua"));
/// Claim due reminders (scheduler).
pub(super) static CLAIM_DUE: Script =
    Script::with_prelude("claim_due.lua", COMMON, include_str!("lua/claim_due.lua"));
/// Settle claimed reminders (scheduler).
pub(super) static ACK: Script =
    Script::with_prelude("ack.lua", COMMON, include_str!("lua/ack.lua"));
