//! Everything meetflow keeps in Redis, in one place: every key, the handle stores receive, and
//! the one Lua script loader.
//!
//! - [`Keys`] (`keys.rs`): the typed builder of every key name, and the expiry constants of the
//!   keys whose lifetime Rust sets ([`SMS_MARKER_TTL`], [`BOOKING_RETENTION`], ...). Keys the
//!   queue scripts bind together share the hash tag `{ns}`; each independent [`Family`]
//!   (bookings store, rate limiters, tick locks, Zoom token, admin sessions, process registry)
//!   has its own. [`LAYOUT_VERSION`] names this layout (see `process::layout`). No code
//!   outside this module builds a key name: a test scans the workspace's sources for key
//!   building (`source_scan.rs`).
//! - [`KEYS`] (`registry.rs`): the table of every key — pattern, Redis type, expiry, owner, one
//!   line of doc — checked against the builders and rendered into `docs/redis.md` (`doc.rs`;
//!   `MEETFLOW_WRITE_DOCS=1 cargo test -p meetflow-shared redis_doc` rewrites it).
//! - [`Topology`] (`topology.rs`): what `redis.url` names (one Redis, Sentinel, Cluster), and
//!   [`RedisConn`] (`conn.rs`), the one connection type over all three.
//! - [`Redis`] (`handle.rs`): a cheap-to-clone connection plus [`Keys`]. The queue client, the
//!   bookings store, the rate limiters, the SMS markers, the Zoom token cache and the admin
//!   sessions each receive one; none of them borrows another's.
//! - [`Script`] (`script.rs`): the one loader of Lua scripts (`EVALSHA`, loading the script on
//!   `NOSCRIPT`), and [`COMPARE_AND_DELETE`], the script shared by the SMS marker and the Zoom
//!   token cache.
//!
//! Data flow of a job: `enqueue` writes the job hash and pushes its id onto the queue's `ready`
//! LIST (or its `delayed` ZSET when it runs later). A worker's `lease` script pops ids from `ready`
//! and records a lease in `leased` (ZSET scored by lease expiry). `ack` finishes the job (the hash
//! stays, without payload, for the retention window so the id keeps de-duplicating); `fail` moves
//! it back to `delayed` for a retry or to the dead-letter ZSETs. `promote` moves due ids from
//! `delayed` to `ready`; `reap` hands expired leases back to `ready`. Workers block on `wake`
//! (a LIST holding at most one token) instead of polling.
//!
//! Data flow of a reminder: the worker's booking change writes the booking hash and adds each
//! reminder id to `reminders:due`; a scheduler's `claim_due` moves due ids to `reminders:claimed`
//! (scored by lease expiry), enqueues the SMS job and settles the claim in the booking hash.

mod conn;
mod doc;
mod handle;
mod keys;
mod registry;
mod script;
#[cfg(test)]
mod source_scan;
mod topology;

pub use conn::RedisConn;
pub use doc::render_markdown;
pub use handle::{Redis, WAIT_TIMEOUT, WaitShortfall};
pub use keys::{
    ADMIN_SESSION_TTL, ATTENDANCE_MINUTES_TTL, AUTO_NO_SHOW_TTL, BOOKING_LINK_TTL,
    BOOKING_RETENTION, Family, Keys, LAYOUT_VERSION, MEETING_CONTACTS_TTL, MINUTE_STATS_TTL,
    PERSON_INDEX_TTL, PROCESS_TTL, SMS_MARKER_TTL, SYNC_RUN_TTL, ZOOM_TOKEN_REFRESH_MARGIN,
    hash_tag, millis,
};
pub use registry::{Expiry, KEYS, KeySpec, RedisType};
pub use script::{COMPARE_AND_DELETE, Script, compare_and_delete};
pub use topology::{Node, Topology, TopologyError, redact_multi_host};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every builder, called with each part named as in its pattern (`<queue>` -> "<queue>").
    fn built(k: &Keys) -> Vec<(&'static str, String)> {
        vec![
            ("job", k.job("<id>")),
            ("job_errors", k.job_errors("<id>")),
            ("ready", k.ready("<queue>")),
            ("delayed", k.delayed("<queue>")),
            ("retrying", k.retrying("<queue>")),
            ("leased", k.leased("<queue>")),
            ("wake", k.wake("<queue>")),
            ("dead", k.dead("<queue>")),
            ("dead_all", k.dead_all()),
            (
                "minute_stats",
                k.minute_stats("<queue>", 0)
                    .replace(":m:0", ":m:<epoch_minute>"),
            ),
            ("group", k.group("<group>")),
            ("queues", k.queues()),
            ("paused", k.paused()),
            ("consumers", k.consumers("<queue>")),
            ("process", k.process("<identity>")),
            ("processes", k.processes()),
            (
                "tick_lock",
                k.tick_lock("<task>", 0).replace(":0", ":<tick>"),
            ),
            ("layout", k.layout()),
            ("reconcile_baseline", k.reconcile_baseline()),
            ("zoom_token", k.zoom_token()),
            ("rate_limit", k.rate_limit("<name>")),
            ("rate_limit_held", k.rate_limit_held("<name>", "<job>")),
            ("booking", k.booking("<booking>")),
            ("reminders_due", k.reminders_due()),
            ("reminders_claimed", k.reminders_claimed()),
            ("person_bookings", k.person_bookings("<person>")),
            ("booking_link", k.booking_link("<id>")),
            ("person_phone", k.person_phone("<phone_tag>")),
            ("event_bookings", k.event_bookings("<event>")),
            ("booking_trail", k.booking_trail("<booking>")),
            ("sms_marker", k.sms_marker("<booking>", "<kind>")),
            ("sms_suppression", k.sms_suppression()),
            ("sms_delivery", k.sms_delivery("<booking>", "<kind>")),
            ("sms_message", k.sms_message("<message_id>")),
            (
                "zoom_meeting_contacts",
                k.zoom_meeting_contacts("<meeting_id>"),
            ),
            ("attendance_minutes", k.attendance_minutes("<email_tag>")),
            ("auto_no_shows", k.auto_no_shows()),
            ("auto_no_show", k.auto_no_show("<booking>")),
            ("sync_state", k.sync_state("<source>")),
            ("sync_run", k.sync_run("<source>", "<range>")),
            ("sync_results", k.sync_results("<source>", "<run>")),
            ("admin_session", k.admin_session("<session_digest>")),
            ("admin_audit", k.admin_audit()),
            ("probe", k.probe("<what>")),
            ("deliveries", k.deliveries()),
            ("deliveries_stats", k.deliveries_stats()),
            ("delivery", k.delivery("<id>")),
            ("deliveries_by", k.deliveries_by("<scope>")),
            ("deliveries_person", k.deliveries_person("<person>")),
        ]
    }

    #[test]
    fn every_builder_answers_its_table_row_and_every_row_has_a_builder() {
        let built = built(&Keys::new("ns"));
        for (builder, key) in &built {
            let spec = KEYS
                .iter()
                .find(|s| s.builder == *builder)
                .unwrap_or_else(|| panic!("Keys::{builder} has no row in KEYS"));
            assert_eq!(&spec.pattern, key, "Keys::{builder}");
        }
        for spec in KEYS {
            assert!(
                built.iter().any(|(b, _)| *b == spec.builder),
                "KEYS row {} is not checked against its builder",
                spec.builder
            );
        }
        assert_eq!(built.len(), KEYS.len(), "a builder is listed twice");
    }

    /// The builders whose keys live under a family's tag, with that family.
    const FAMILY_KEYS: &[(&str, Family)] = &[
        ("rate_limit", Family::RateLimit),
        ("rate_limit_held", Family::RateLimit),
        ("tick_lock", Family::Tick),
        ("zoom_token", Family::ZoomToken),
        ("admin_session", Family::AdminSession),
        ("consumers", Family::Processes),
        ("process", Family::Processes),
        ("processes", Family::Processes),
        ("booking", Family::Bookings),
        ("reminders_due", Family::Bookings),
        ("reminders_claimed", Family::Bookings),
        ("person_bookings", Family::Bookings),
        ("booking_link", Family::Bookings),
        ("person_phone", Family::Bookings),
        ("event_bookings", Family::Bookings),
        ("booking_trail", Family::Bookings),
        ("sms_marker", Family::Bookings),
        ("sms_suppression", Family::Bookings),
        ("sms_delivery", Family::Bookings),
        ("sms_message", Family::Bookings),
    ];

    #[test]
    fn every_key_carries_the_namespace_tag_or_its_family_tag() {
        let k = Keys::new("mf");
        for (builder, key) in built(&k) {
            let tag = match FAMILY_KEYS.iter().find(|(b, _)| *b == builder) {
                Some((_, f)) => format!("mf:{}", f.tag()),
                None => "mf".to_owned(),
            };
            assert!(key.starts_with(&format!("{{{tag}}}:")), "{key}");
            assert_eq!(hash_tag(&key), tag, "{key}");
            assert!(k.owns(&key), "{key}");
            assert!(
                k.all_patterns()
                    .iter()
                    .filter(|p| key.starts_with(p.trim_end_matches('*')))
                    .count()
                    == 1,
                "{key}: one SCAN pattern of the namespace covers it"
            );
            assert!(!Keys::new("m").owns(&key) && !Keys::new("mf:x").owns(&key));
        }
        assert_eq!(k.ready("sms"), "{mf}:q:sms:ready");
        assert_eq!(k.rate_limit("brevo"), "{mf:rl}:ratelimit:brevo");
        assert_eq!(k.booking("abc"), "{mf:bookings}:bk:abc");
        assert!(k.booking("abc").starts_with(&k.booking_prefix()));
        assert_eq!(
            k.all_patterns(),
            [
                "{mf}:*",
                "{mf:rl}:*",
                "{mf:tick}:*",
                "{mf:zoom}:*",
                "{mf:session}:*",
                "{mf:proc}:*",
                "{mf:bookings}:*"
            ]
        );
        assert_eq!(
            k.scratch("zoom-check", "1").zoom_token(),
            "{mf:zoom-check:1:zoom}:zoom:token"
        );
    }

    #[test]
    fn a_namespace_ending_in_a_family_tag_is_named() {
        assert_eq!(Keys::family_tag_suffix("mf:rl"), Some("rl"));
        assert_eq!(Keys::family_tag_suffix("a:b:proc"), Some("proc"));
        assert_eq!(Keys::family_tag_suffix("rl"), None);
        assert_eq!(Keys::family_tag_suffix("mf-rl"), None);
        assert_eq!(Keys::family_tag_suffix("mf:zoom-check:1"), None);
    }

    #[test]
    fn hash_tags_follow_the_cluster_rule() {
        assert_eq!(hash_tag("{mf}:job:1"), "mf");
        assert_eq!(hash_tag("{mf:rl}:ratelimit:x"), "mf:rl");
        assert_eq!(hash_tag("a{b}c{d}"), "b");
        assert_eq!(hash_tag("{}x{y}"), "{}x{y}");
        assert_eq!(hash_tag("no tag"), "no tag");
        assert_eq!(hash_tag("{open"), "{open");
    }

    /// The keys each script (or transaction, or pipeline) of a moved family touches share one
    /// tag: a Cluster refuses a script or pipeline over two slots (`CROSSSLOT`).
    #[test]
    fn what_one_script_touches_shares_one_tag() {
        let k = Keys::new("mf");
        let groups: [(&str, Vec<String>); 8] = [
            (
                "gcra",
                vec![k.rate_limit("brevo"), k.rate_limit_held("brevo", "job1")],
            ),
            (
                "heartbeat",
                vec![k.consumers("sms"), k.processes(), k.process("host:1")],
            ),
            (
                "the process list's pipeline",
                vec![k.process("host:1"), k.process("host:2")],
            ),
            (
                "the sms claim",
                vec![
                    k.sms_marker("b", "rem-24h"),
                    k.booking("b"),
                    k.sms_suppression(),
                ],
            ),
            (
                "the bookings scripts (booked, canceled, no_show, claim_due, ack)",
                vec![
                    k.booking("b"),
                    k.booking_prefix() + "other",
                    k.reminders_due(),
                    k.reminders_claimed(),
                    k.person_bookings("p"),
                ],
            ),
            (
                "the person trail's pipeline",
                vec![
                    k.booking_trail("b"),
                    k.person_phone("t"),
                    k.event_bookings("e"),
                ],
            ),
            (
                "the person page's SMS rows",
                vec![k.sms_marker("b", "rem-24h"), k.sms_delivery("b", "rem-24h")],
            ),
            (
                "the SMS delivery record",
                vec![k.sms_delivery("b", "rem-24h"), k.sms_message("m1")],
            ),
        ];
        for (what, keys) in groups {
            let tags: std::collections::BTreeSet<&str> = keys.iter().map(|k| hash_tag(k)).collect();
            assert_eq!(tags.len(), 1, "{what}: {keys:?}");
        }
    }

    /// Layout 1 kept the bookings family under `{ns}`: each such name maps to the key's name
    /// now and back, and no other key of `{ns}` is taken for one.
    #[test]
    fn layout_1_names_map_to_the_bookings_family() {
        let k = Keys::new("mf");
        for (builder, key) in built(&k) {
            let moved = FAMILY_KEYS
                .iter()
                .any(|(b, f)| *b == builder && *f == Family::Bookings);
            if moved {
                let v1 = k.to_v1(&key).unwrap_or_else(|| panic!("{builder}: {key}"));
                assert_eq!(hash_tag(&v1), "mf", "{v1}");
                assert_eq!(k.from_v1(&v1).as_deref(), Some(key.as_str()), "{builder}");
                assert!(v1.starts_with(&k.v1_pattern().replace('*', "")));
            } else {
                assert_eq!(k.from_v1(&key), None, "{builder}: {key} is not moved");
                assert_eq!(k.to_v1(&key), None, "{builder}");
            }
        }
        assert_eq!(k.from_v1("{mf}:bk:abc"), Some(k.booking("abc")));
        assert_eq!(k.from_v1("{mf}:bk:"), None, "a bare prefix is no key");
        assert_eq!(k.from_v1("{other}:bk:abc"), None);
        assert_eq!(k.from_v1("{mf}:reminders:due:x"), None);
        let fixed = k.v1_fixed();
        assert_eq!(fixed.len(), 3);
        for key in &fixed {
            assert_eq!(hash_tag(key), "mf");
            assert!(k.from_v1(key).is_some(), "{key}");
        }
    }

    #[test]
    fn patterns_are_unique() {
        for (i, a) in KEYS.iter().enumerate() {
            for b in &KEYS[i + 1..] {
                assert_ne!(a.pattern, b.pattern);
                assert_ne!(a.builder, b.builder);
            }
        }
    }
}
