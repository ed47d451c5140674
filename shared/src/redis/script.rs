//! [`Script`]: the one loader of meetflow's Lua scripts.
//!
//! A `Script` is a `static` holding the script's source (optionally behind a shared prelude, e.g.
//! the bookings helpers in `bookings/lua/common.lua`). Its SHA-1 is computed once, on first use.
//! Every call goes out as `EVALSHA`; when Redis answers `NOSCRIPT` (its script cache is empty
//! after a restart or a `SCRIPT FLUSH`) the script is loaded and the call is sent again, so a
//! caller never sees the cache miss. (The fallback is `redis::ScriptInvocation`'s.)
//!
//! [`COMPARE_AND_DELETE`] is the one script shared by several stores: delete a key only if it
//! still holds the caller's value (the SMS marker's claim, the cached Zoom token).

use std::sync::OnceLock;

use redis::aio::ConnectionLike;
use redis::{ScriptInvocation, ToRedisArgs};

/// A Lua script, loaded on first use and invoked with `EVALSHA` (falling back on `NOSCRIPT`).
pub struct Script {
    name: &'static str,
    prelude: &'static str,
    body: &'static str,
    compiled: OnceLock<redis::Script>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Script {
    /// The script `body`, named `name` in logs and docs.
    pub const fn new(name: &'static str, body: &'static str) -> Self {
        Self::with_prelude(name, "", body)
    }

    /// The script `body` run after `prelude` (shared Lua helpers, sent as one script).
    pub const fn with_prelude(
        name: &'static str,
        prelude: &'static str,
        body: &'static str,
    ) -> Self {
        Self {
            name,
            prelude,
            body,
            compiled: OnceLock::new(),
        }
    }

    /// The script's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The SHA-1 Redis knows the script by.
    pub fn hash(&self) -> &str {
        self.compiled().get_hash()
    }

    fn compiled(&self) -> &redis::Script {
        self.compiled.get_or_init(|| {
            if self.prelude.is_empty() {
                redis::Script::new(self.body)
            } else {
                redis::Script::new(&format!("{}\n{}", self.prelude, self.body))
            }
        })
    }

    /// Starts a call; add keys and arguments, then `invoke_async`.
    pub fn prepare_invoke(&self) -> ScriptInvocation<'_> {
        self.compiled().prepare_invoke()
    }

    /// Starts a call with its first key.
    pub fn key<T: ToRedisArgs>(&self, key: T) -> ScriptInvocation<'_> {
        self.compiled().key(key)
    }

    /// Starts a call with its first argument (a script without keys).
    pub fn arg<T: ToRedisArgs>(&self, arg: T) -> ScriptInvocation<'_> {
        self.compiled().arg(arg)
    }
}

/// Deletes `KEYS[1]` only if it still holds `ARGV[1]`; answers 1 when it deleted, else 0.
pub static COMPARE_AND_DELETE: Script = Script::new(
    "compare_and_delete",
    include_str!("lua/compare_and_delete.lua"),
);

/// Deletes `key` if it still holds `expected` ([`COMPARE_AND_DELETE`]); whether it did.
pub async fn compare_and_delete<C: ConnectionLike>(
    conn: &mut C,
    key: &str,
    expected: &str,
) -> redis::RedisResult<bool> {
    let deleted: i64 = COMPARE_AND_DELETE
        .key(key)
        .arg(expected)
        .invoke_async(conn)
        .await?;
    Ok(deleted == 1)
}
