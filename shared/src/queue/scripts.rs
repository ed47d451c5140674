//! The Lua scripts of the queue core, loaded once per process. `redis::Script` sends EVALSHA and
//! falls back to EVAL when Redis lost its script cache (after a restart).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("lua/", $file))));
    };
}

script!(ENQUEUE, "enqueue.lua");
script!(LEASE, "lease.lua");
script!(ACK, "ack.lua");
script!(FAIL, "fail.lua");
script!(PROMOTE, "promote.lua");
script!(REAP, "reap.lua");
script!(RENEW, "renew.lua");
script!(RELEASE, "release.lua");
script!(CANCEL, "cancel.lua");
script!(DLQ_REPLAY, "dlq_replay.lua");
script!(DLQ_DELETE, "dlq_delete.lua");
script!(DLQ_RESEND, "dlq_resend.lua");
