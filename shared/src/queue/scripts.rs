//! The Lua scripts of the queue core, each prefixed with `lua/common.lua` (Redis time, the
//! wake-up push) and loaded through [`crate::redis::Script`] (`EVALSHA`, loading the script when
//! Redis lost its script cache after a restart).

use crate::redis::Script;

const COMMON: &str = include_str!("lua/common.lua");

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: Script =
            Script::with_prelude($file, COMMON, include_str!(concat!("lua/", $file)));
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
script!(HEARTBEAT, "heartbeat.lua");
script!(JOB_ACT, "job_act.lua");
script!(DELIVERY_TRIM, "delivery_trim.lua");

#[cfg(test)]
mod tests {
    //! Every script is given the keys it touches in KEYS (Redis Cluster routes by them; Dragonfly
    //! and some managed services refuse undeclared keys). The scan below fails when a script
    //! builds a key name itself or takes one from ARGV.

    use super::COMMON;

    /// Scripts whose jobs come out of the queue's own lists inside the script (the ids are not
    /// known before it runs), so their per-job keys cannot be declared in advance. They build
    /// them from the `{ns}:` prefix, which keeps them in the declared keys' hash slot.
    const DATA_DRIVEN: &[(&str, &str)] = &[
        ("lease.lua", "pops ids from the ready list"),
        ("reap.lua", "takes ids from the leased ZSET"),
        ("promote.lua", "takes ids from the delayed ZSET"),
        (
            "fail.lua",
            "trims dead letters it finds in the dead-letter ZSET",
        ),
        (
            "dlq_replay.lua",
            "finds each dead letter's queue in its hash",
        ),
        (
            "dlq_delete.lua",
            "finds each dead letter's queue in its hash",
        ),
        (
            "dlq_resend.lua",
            "finds the dead letter's queue in its hash",
        ),
        (
            "delivery_trim.lua",
            "takes the oldest ids from the delivery log ZSET and their indexes from each hash",
        ),
    ];

    const SCRIPTS: &[(&str, &str)] = &[
        ("enqueue.lua", include_str!("lua/enqueue.lua")),
        ("lease.lua", include_str!("lua/lease.lua")),
        ("ack.lua", include_str!("lua/ack.lua")),
        ("fail.lua", include_str!("lua/fail.lua")),
        ("promote.lua", include_str!("lua/promote.lua")),
        ("reap.lua", include_str!("lua/reap.lua")),
        ("renew.lua", include_str!("lua/renew.lua")),
        ("release.lua", include_str!("lua/release.lua")),
        ("cancel.lua", include_str!("lua/cancel.lua")),
        ("dlq_replay.lua", include_str!("lua/dlq_replay.lua")),
        ("dlq_delete.lua", include_str!("lua/dlq_delete.lua")),
        ("dlq_resend.lua", include_str!("lua/dlq_resend.lua")),
        ("heartbeat.lua", include_str!("lua/heartbeat.lua")),
        ("job_act.lua", include_str!("lua/job_act.lua")),
        ("delivery_trim.lua", include_str!("lua/delivery_trim.lua")),
        ("common.lua", COMMON),
    ];

    /// Commands whose first argument is not a key.
    const KEYLESS: &[&str] = &["TIME"];

    fn code(line: &str) -> &str {
        line.split("--").next().unwrap_or("")
    }

    /// Whether `expr` names a declared key: `KEYS[...]`, or a variable only ever assigned from
    /// `KEYS[...]`, or the key parameter of a common helper (`wake`, `batch_key`: each call of
    /// the helper is checked instead).
    fn declared(expr: &str, body: &str) -> bool {
        let expr = expr.trim();
        if expr.starts_with("KEYS[") {
            return true;
        }
        if expr == "wake" || expr == "batch_key" {
            return true;
        }
        if !expr.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let mut assigned = false;
        for line in body.lines().map(code) {
            for stmt in line.split(';') {
                let Some((lhs, rhs)) = stmt.split_once(" = ") else {
                    continue;
                };
                if lhs.split_whitespace().last() == Some(expr) {
                    assigned = true;
                    if !rhs.trim().starts_with("KEYS[") {
                        return false;
                    }
                }
            }
        }
        assigned
    }

    /// Problems of one script: key arguments not declared, key names built by concatenation.
    fn problems(body: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, line) in body.lines().enumerate() {
            let line = code(line);
            for call in line.split("redis.call(").skip(1) {
                let mut args = call.splitn(3, ',');
                let cmd = args.next().unwrap_or("");
                let cmd = cmd
                    .split(')')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('\'');
                let key = args.next().unwrap_or("");
                let key = key.split(')').next().unwrap_or("").trim();
                if KEYLESS.contains(&cmd) {
                    continue;
                }
                if !declared(key, body) {
                    out.push(format!("line {}: {cmd} on undeclared key `{key}`", n + 1));
                }
            }
            for call in line.split("call_batched(").skip(1) {
                let key = call.split(',').nth(1).unwrap_or("").trim();
                if !line.contains("local function") && !declared(key, body) {
                    out.push(format!(
                        "line {}: call_batched on undeclared key `{key}`",
                        n + 1
                    ));
                }
            }
            for arg in line.split("wake_up(").skip(1) {
                let arg = arg.split(')').next().unwrap_or("");
                if !line.contains("local function") && !declared(arg, body) {
                    out.push(format!("line {}: wake_up on undeclared key `{arg}`", n + 1));
                }
            }
            if line.contains("..")
                && [
                    "'job:'",
                    "':errors'",
                    "'q:'",
                    "'group:'",
                    "':wake'",
                    "':dead'",
                ]
                .iter()
                .any(|part| line.contains(part))
            {
                out.push(format!(
                    "line {}: builds a key name: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
        out
    }

    #[test]
    fn every_script_declares_the_keys_it_touches() {
        let mut failures = Vec::new();
        for (name, body) in SCRIPTS {
            let found = problems(body);
            let exempt = DATA_DRIVEN.iter().any(|(n, _)| n == name);
            if !exempt && !found.is_empty() {
                failures.push(format!("{name}:\n  {}", found.join("\n  ")));
            }
            if exempt && found.is_empty() {
                failures.push(format!(
                    "{name} declares every key now: drop it from DATA_DRIVEN"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_scan_catches_a_built_key_and_an_argv_key() {
        assert!(
            !problems("local jk = ARGV[1] .. 'job:' .. id\nredis.call('HGET', jk, 'x')").is_empty()
        );
        assert!(!problems("redis.call('ZADD', ARGV[6], 1, id)").is_empty());
        assert!(problems("local jk = KEYS[3]\nredis.call('HGET', jk, 'x')").is_empty());
        assert!(!problems("call_batched('ZREM', ARGV[2], ids)").is_empty());
        assert!(problems("call_batched('ZREM', KEYS[1], ids)").is_empty());
    }
}
