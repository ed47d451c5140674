//! `docs/redis.md`, rendered from the key table [`super::KEYS`]. The test `redis_doc_is_current`
//! fails when the file is stale; `MEETFLOW_WRITE_DOCS=1 cargo test -p meetflow-shared redis_doc`
//! rewrites it.

use std::fmt::Write as _;
use std::time::Duration;

use super::registry::{Expiry, KEYS};

/// The Markdown reference of every Redis key.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Redis keys\n\n\
         <!-- Generated from shared/src/redis/registry.rs by the test `redis_doc_is_current`; \
         do not edit. Rewrite with `MEETFLOW_WRITE_DOCS=1 cargo test -p meetflow-shared redis_doc`. -->\n\n\
         Every key meetflow keeps in Redis, as built by `meetflow_shared::redis::Keys` (the only \
         code that builds key names; a test scans the sources for any other). `{ns}` is \
         `redis.namespace`; the braces are a Redis Cluster hash tag. Every key the scripts bind \
         together (queues, jobs, dead letters, delivery log, bookings, SMS markers) carries \
         `{ns}`, so they share one slot and the multi-key Lua scripts stay legal. A family that \
         no script, transaction or pipeline binds to another key carries a tag of its own, \
         `{ns:<tag>}` (`meetflow_shared::redis::Family`): `{ns:rl}` the rate limiters, \
         `{ns:tick}` the tick locks, `{ns:zoom}` the Zoom token, `{ns:session}` the admin \
         sessions, `{ns:proc}` the worker process registry, so a Cluster can place each on \
         another shard (`docs/operations.md`, \"Managed Redis\", says which scripts bind \
         which keys). `<x>` is a part given to the builder. Expiry constants live in \
         `meetflow_shared::redis`.\n\n\
         Lua scripts are loaded through `meetflow_shared::redis::Script` (`EVALSHA`, loading the \
         script when Redis answers `NOSCRIPT`). The queue core's scripts are in \
         `shared/src/queue/lua/`, the bookings store's in `shared/src/bookings/lua/` (each behind \
         `common.lua`), and the compare-and-delete script shared by the SMS marker and the Zoom \
         token cache in `shared/src/redis/lua/`.\n\n\
         | Key | Type | Expiry | Owner | Holds | Builder |\n\
         |---|---|---|---|---|---|\n",
    );
    for k in KEYS {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | `Keys::{}` |",
            k.pattern,
            k.kind.as_str(),
            expiry(&k.expiry),
            k.owner,
            k.doc,
            k.builder
        );
    }
    out
}

fn expiry(e: &Expiry) -> String {
    match e {
        Expiry::None => "none".to_owned(),
        Expiry::Fixed { name, ttl, rule } => format!("{} (`{name}`) {rule}", human(*ttl)),
        Expiry::Computed(rule) => (*rule).to_owned(),
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_doc_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/redis.md");
        let want = render_markdown();
        if std::env::var_os("MEETFLOW_WRITE_DOCS").is_some() {
            std::fs::create_dir_all(path.parent().expect("docs/ has a parent"))
                .expect("create docs/");
            std::fs::write(&path, &want).expect("write docs/redis.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/redis.md is stale (or missing): regenerate it with \
             `MEETFLOW_WRITE_DOCS=1 cargo test -p meetflow-shared redis_doc`"
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(30 * 86_400)), "30 d");
        assert_eq!(human(Duration::from_secs(12 * 3600)), "12 h");
        assert_eq!(human(Duration::from_secs(60)), "1 min");
        assert_eq!(human(Duration::from_secs(90)), "90 s");
    }
}
