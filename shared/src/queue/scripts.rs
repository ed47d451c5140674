//! The Lua scripts of the queue core, loaded through [`crate::redis::Script`] (`EVALSHA`, loading
//! the script when Redis lost its script cache after a restart).

use crate::redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: Script = Script::new($file, include_str!(concat!("lua/", $file)));
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
