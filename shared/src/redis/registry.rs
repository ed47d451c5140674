//! [`KEYS`]: the table of every Redis key meetflow uses — pattern, Redis type, expiry, owner and
//! one line of doc — from which `docs/redis.md` is generated (see `doc.rs`). A test checks each
//! row against its builder in [`super::Keys`], so the table cannot drift from the code.

use std::time::Duration;

use super::keys::{
    ADMIN_SESSION_TTL, ATTENDANCE_MINUTES_TTL, AUTO_NO_SHOW_TTL, BOOKING_LINK_TTL,
    BOOKING_RETENTION, MEETING_CONTACTS_TTL, MINUTE_STATS_TTL, PERSON_INDEX_TTL, PROCESS_TTL,
    SMS_MARKER_TTL, SYNC_RUN_TTL, ZOOM_TOKEN_REFRESH_MARGIN,
};

/// The Redis type of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisType {
    /// A STRING.
    String,
    /// A HASH.
    Hash,
    /// A LIST.
    List,
    /// A SET.
    Set,
    /// A sorted set.
    ZSet,
}

impl RedisType {
    /// The name Redis' `TYPE` command answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Hash => "hash",
            Self::List => "list",
            Self::Set => "set",
            Self::ZSet => "zset",
        }
    }
}

/// When a key expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Never: it is removed by the code that owns it (or stays).
    None,
    /// After a fixed time, the constant `name` in `shared::redis` (`rule` says from when).
    Fixed {
        /// The constant's name.
        name: &'static str,
        /// Its value.
        ttl: Duration,
        /// From when the time runs.
        rule: &'static str,
    },
    /// Computed per key, as `rule` says.
    Computed(&'static str),
}

/// One key of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The [`super::Keys`] method that builds it.
    pub builder: &'static str,
    /// The name pattern: `{ns}` is the namespace's hash tag (`{ns:<tag>}` a family's, see
    /// [`super::Family`]), `<x>` a part given to the builder.
    pub pattern: &'static str,
    /// Its Redis type.
    pub kind: RedisType,
    /// When it expires.
    pub expiry: Expiry,
    /// Which binary or store writes it.
    pub owner: &'static str,
    /// What it holds, in one line.
    pub doc: &'static str,
}

const QUEUE: &str = "queue core (every enqueuer; workers lease and ack)";

/// Every Redis key meetflow uses.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        builder: "job",
        pattern: "{ns}:job:<id>",
        kind: RedisType::Hash,
        expiry: Expiry::Computed("none while pending, running or dead; `retain_ms` after ack"),
        owner: QUEUE,
        doc: "one job: queue, payload, state, attempts, timestamps, group, owner",
    },
    KeySpec {
        builder: "job_errors",
        pattern: "{ns}:job:<id>:errors",
        kind: RedisType::List,
        expiry: Expiry::Computed("deleted with its job"),
        owner: QUEUE,
        doc: "the JSON attempt errors of one job, capped at 50",
    },
    KeySpec {
        builder: "ready",
        pattern: "{ns}:q:<queue>:ready",
        kind: RedisType::List,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "job ids ready to run, oldest first (the key to scale workers on)",
    },
    KeySpec {
        builder: "delayed",
        pattern: "{ns}:q:<queue>:delayed",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "job id -> run_at ms of delayed jobs and retries",
    },
    KeySpec {
        builder: "retrying",
        pattern: "{ns}:q:<queue>:retrying",
        kind: RedisType::Set,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "the ids in `delayed` waiting for a retry (queue stats)",
    },
    KeySpec {
        builder: "leased",
        pattern: "{ns}:q:<queue>:leased",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "job id -> lease expiry ms of running jobs",
    },
    KeySpec {
        builder: "wake",
        pattern: "{ns}:q:<queue>:wake",
        kind: RedisType::List,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "at most one token; idle workers BLPOP it to learn `ready` has work",
    },
    KeySpec {
        builder: "dead",
        pattern: "{ns}:q:<queue>:dead",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "job id -> dead_ms of one queue's dead letters",
    },
    KeySpec {
        builder: "dead_all",
        pattern: "{ns}:dead",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "job id -> dead_ms of every dead letter, bounded by count and age",
    },
    KeySpec {
        builder: "minute_stats",
        pattern: "{ns}:q:<queue>:m:<epoch_minute>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "MINUTE_STATS_TTL",
            ttl: MINUTE_STATS_TTL,
            rule: "after its last count",
        },
        owner: QUEUE,
        doc: "processed / failed / retried / dead counters of one queue and minute",
    },
    KeySpec {
        builder: "group",
        pattern: "{ns}:group:<group>",
        kind: RedisType::Set,
        expiry: Expiry::Computed("vanishes when empty"),
        owner: QUEUE,
        doc: "job ids sharing a group key (e.g. one booking's reminders), for cancel_group",
    },
    KeySpec {
        builder: "queues",
        pattern: "{ns}:queues",
        kind: RedisType::Set,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "every queue name that has been used",
    },
    KeySpec {
        builder: "paused",
        pattern: "{ns}:paused",
        kind: RedisType::Hash,
        expiry: Expiry::None,
        owner: QUEUE,
        doc: "queue name (or * for all) -> ms it was paused; workers lease nothing from a paused queue",
    },
    KeySpec {
        builder: "consumers",
        pattern: "{ns:proc}:q:<queue>:consumers",
        kind: RedisType::ZSet,
        expiry: Expiry::Computed("stale members trimmed by their peers"),
        owner: "queue core (worker processes)",
        doc: "process identity -> last heartbeat ms of the workers of one queue",
    },
    KeySpec {
        builder: "process",
        pattern: "{ns:proc}:process:<identity>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "PROCESS_TTL",
            ttl: PROCESS_TTL,
            rule: "after the last heartbeat (refreshed every 5 s)",
        },
        owner: "queue core (worker processes)",
        doc: "one worker process: host, pid, service, version, started, last heartbeat, jobs in flight per queue",
    },
    KeySpec {
        builder: "processes",
        pattern: "{ns:proc}:processes",
        kind: RedisType::ZSet,
        expiry: Expiry::Computed("members silent for PROCESS_TTL trimmed by their peers"),
        owner: "queue core (worker processes)",
        doc: "process identity -> last heartbeat ms of every worker process (the process list)",
    },
    KeySpec {
        builder: "tick_lock",
        pattern: "{ns:tick}:tick:<task>:<tick>",
        kind: RedisType::String,
        expiry: Expiry::Computed("two ticks of the task's period"),
        owner: "scheduler (periodic tasks)",
        doc: "lease of one tick of a periodic task, so one replica runs it",
    },
    KeySpec {
        builder: "layout",
        pattern: "{ns}:layout",
        kind: RedisType::String,
        expiry: Expiry::None,
        owner: "every binary's start-up check; `meetflow-admin migrate`",
        doc: "the key layout version of the namespace's data (2: the bookings family under `{ns:bookings}`)",
    },
    KeySpec {
        builder: "reconcile_baseline",
        pattern: "{ns}:reconcile:baseline",
        kind: RedisType::String,
        expiry: Expiry::None,
        owner: "scheduler (reconciliation)",
        doc: "go-live baseline (epoch ms, set once): bookings created before it are adopted quietly",
    },
    KeySpec {
        builder: "zoom_token",
        pattern: "{ns:zoom}:zoom:token",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "ZOOM_TOKEN_REFRESH_MARGIN",
            ttl: ZOOM_TOKEN_REFRESH_MARGIN,
            rule: "before the token's own expiry (`expires_in`)",
        },
        owner: "worker (providers::zoom_api)",
        doc: "the Zoom Server-to-Server OAuth token shared by all workers",
    },
    KeySpec {
        builder: "rate_limit",
        pattern: "{ns:rl}:ratelimit:<name>",
        kind: RedisType::String,
        expiry: Expiry::Computed("one second after the next free slot (expires when idle)"),
        owner: "worker (providers::rate_limit)",
        doc: "GCRA theoretical arrival time (µs) of one provider's shared rate limit",
    },
    KeySpec {
        builder: "rate_limit_held",
        pattern: "{ns:rl}:ratelimit:<name>:held:<job>",
        kind: RedisType::String,
        expiry: Expiry::Computed("ten minutes after the reserved slot"),
        owner: "worker (providers::rate_limit)",
        doc: "a rate-limit slot (start, µs) reserved for one job delayed to it (backpressure)",
    },
    KeySpec {
        builder: "booking",
        pattern: "{ns:bookings}:bk:<booking>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "BOOKING_RETENTION",
            ttl: BOOKING_RETENTION,
            rule: "after its last reminder's useful life",
        },
        owner: "bookings (worker writes, scheduler settles)",
        doc: "one booking's state and its reminder records (tombstone when ended)",
    },
    KeySpec {
        builder: "reminders_due",
        pattern: "{ns:bookings}:reminders:due",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: "bookings (worker plans, scheduler drains)",
        doc: "reminder id -> due ms of every planned reminder and follow-up",
    },
    KeySpec {
        builder: "reminders_claimed",
        pattern: "{ns:bookings}:reminders:claimed",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: "scheduler",
        doc: "reminder id -> claim lease expiry ms of reminders being enqueued",
    },
    KeySpec {
        builder: "person_bookings",
        pattern: "{ns:bookings}:person:<person>",
        kind: RedisType::Set,
        expiry: Expiry::Computed("the longest of its bookings'"),
        owner: "bookings (worker)",
        doc: "the booking keys of one person (e-mail tag), for the win-back rules",
    },
    KeySpec {
        builder: "person_phone",
        pattern: "{ns:bookings}:person_phone:<phone_tag>",
        kind: RedisType::ZSet,
        expiry: Expiry::Fixed {
            name: "PERSON_INDEX_TTL",
            ttl: PERSON_INDEX_TTL,
            rule: "after the last write; at most 50 members",
        },
        owner: "worker (events); read by admin (person)",
        doc: "the booking keys of one phone number (hashed), so `person PHONE` finds them",
    },
    KeySpec {
        builder: "event_bookings",
        pattern: "{ns:bookings}:event_bookings:<event>",
        kind: RedisType::ZSet,
        expiry: Expiry::Fixed {
            name: "PERSON_INDEX_TTL",
            ttl: PERSON_INDEX_TTL,
            rule: "after the last write; at most 50 members",
        },
        owner: "worker (events); read by admin (person)",
        doc: "the booking keys of one Calendly scheduled event, so `person EVENT_URI` finds them",
    },
    KeySpec {
        builder: "booking_trail",
        pattern: "{ns:bookings}:trail:<booking>",
        kind: RedisType::List,
        expiry: Expiry::Fixed {
            name: "PERSON_INDEX_TTL",
            ttl: PERSON_INDEX_TTL,
            rule: "after the last write; at most 50 entries",
        },
        owner: "worker (events); read by admin (person)",
        doc: "each Calendly delivery handled for one booking and its status after it, newest first",
    },
    KeySpec {
        builder: "booking_link",
        pattern: "{ns:bookings}:link:<id>",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "BOOKING_LINK_TTL",
            ttl: BOOKING_LINK_TTL,
            rule: "after it was made",
        },
        owner: "worker (engagement SMS)",
        doc: "the single-use Calendly booking URL made for one engagement SMS",
    },
    KeySpec {
        builder: "sms_marker",
        pattern: "{ns:bookings}:sms:<booking>:<kind>",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "SMS_MARKER_TTL",
            ttl: SMS_MARKER_TTL,
            rule: "after the last write",
        },
        owner: "worker (SMS handler)",
        doc: "at-most-once marker of one SMS: `sending:<ms>:<attempt>`, `sent` or `suppressed`",
    },
    KeySpec {
        builder: "sms_suppression",
        pattern: "{ns:bookings}:sms_suppressed",
        kind: RedisType::Hash,
        expiry: Expiry::None,
        owner: "admin (sms suppress / unsuppress) and the worker (opt-outs from Brevo, EngageLab callbacks, Calendly consent); read by the worker's SMS claim",
        doc: "the SMS suppression list: `[<source>|]phone:<e164>` / `[<source>|]email:<address>` -> `<scope>:<added ms>` (no source = the operator's entry)",
    },
    KeySpec {
        builder: "sms_delivery",
        pattern: "{ns:bookings}:sms_delivery:<booking>:<kind>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "SMS_MARKER_TTL",
            ttl: SMS_MARKER_TTL,
            rule: "after the last write",
        },
        owner: "worker (SMS handler, delivery callbacks); read by admin",
        doc: "delivery state of one SMS: status, message_id, kind, country, accepted/updated ms, error_code",
    },
    KeySpec {
        builder: "sms_message",
        pattern: "{ns:bookings}:sms_message:<message_id>",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "SMS_MARKER_TTL",
            ttl: SMS_MARKER_TTL,
            rule: "after the send",
        },
        owner: "worker (SMS handler)",
        doc: "EngageLab message id -> `<booking>|<kind>`, for delivery callbacks",
    },
    KeySpec {
        builder: "zoom_meeting_contacts",
        pattern: "{ns}:zoom:meeting:<meeting_id>:contacts",
        kind: RedisType::Set,
        expiry: Expiry::Fixed {
            name: "MEETING_CONTACTS_TTL",
            ttl: MEETING_CONTACTS_TTL,
            rule: "after the last booking added",
        },
        owner: "worker (events queue)",
        doc: "the e-mails booked on one Zoom meeting id",
    },
    KeySpec {
        builder: "attendance_minutes",
        pattern: "{ns}:minutes:<email_tag>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "ATTENDANCE_MINUTES_TTL",
            ttl: ATTENDANCE_MINUTES_TTL,
            rule: "after the last write",
        },
        owner: "worker (zoom queue writes, brevo queue reads)",
        doc: "one contact's minutes attended per meeting or webinar instance",
    },
    KeySpec {
        builder: "auto_no_shows",
        pattern: "{ns}:no_show:auto",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: "worker (zoom queue); read by admin (no-shows)",
        doc: "bookings marked no-show from Zoom attendance -> time of the mark (ms); entries older than `AUTO_NO_SHOW_TTL` removed on write",
    },
    KeySpec {
        builder: "auto_no_show",
        pattern: "{ns}:no_show:auto:<booking>",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "AUTO_NO_SHOW_TTL",
            ttl: AUTO_NO_SHOW_TTL,
            rule: "after the mark",
        },
        owner: "worker (zoom queue); admin (no-shows undo)",
        doc: "one attendance-based no-show mark (JSON): invitee and no-show URIs, Zoom instance, marked / undone",
    },
    KeySpec {
        builder: "sync_state",
        pattern: "{ns}:sync:<source>:state",
        kind: RedisType::Hash,
        expiry: Expiry::None,
        owner: "worker (sync queue; events queue for zoom)",
        doc: "calendly: per booking, the state the backfill last brought over: `<state>|<run>`; zoom: per `<kind>:<uuid>`, when its webhook or the catch-up was handled",
    },
    KeySpec {
        builder: "sync_run",
        pattern: "{ns}:sync:<source>:run:<range>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "SYNC_RUN_TTL",
            ttl: SYNC_RUN_TTL,
            rule: "after the run started",
        },
        owner: "admin (sync)",
        doc: "one backfill range: its current run number, slice count and start",
    },
    KeySpec {
        builder: "sync_results",
        pattern: "{ns}:sync:<source>:results:<run>",
        kind: RedisType::Hash,
        expiry: Expiry::Fixed {
            name: "SYNC_RUN_TTL",
            ttl: SYNC_RUN_TTL,
            rule: "after the last slice done",
        },
        owner: "worker (sync queue); read by admin (sync)",
        doc: "one backfill run's done slices: slice start ms -> counts (JSON)",
    },
    KeySpec {
        builder: "admin_session",
        pattern: "{ns:session}:admin:session:<session_digest>",
        kind: RedisType::String,
        expiry: Expiry::Fixed {
            name: "ADMIN_SESSION_TTL",
            ttl: ADMIN_SESSION_TTL,
            rule: "after login; deleted on logout",
        },
        owner: "admin (web auth)",
        doc: "one admin web session: CSRF token and admin token fingerprint",
    },
    KeySpec {
        builder: "admin_audit",
        pattern: "{ns}:admin:audit",
        kind: RedisType::List,
        expiry: Expiry::None,
        owner: "admin (every action of the CLI, JSON API and page)",
        doc: "the audit trail, newest first: one JSON entry per action (who, what, when, how many, outcome); capped at `admin.audit_cap` entries",
    },
    KeySpec {
        builder: "deliveries",
        pattern: "{ns}:deliveries",
        kind: RedisType::ZSet,
        expiry: Expiry::None,
        owner: "ingest (with the delivery's job); read and replayed by admin (deliveries)",
        doc: "the delivery log: entry id -> stored ms; trimmed by `ingest.delivery_log` retention, max_entries and max_bytes",
    },
    KeySpec {
        builder: "deliveries_stats",
        pattern: "{ns}:deliveries:stats",
        kind: RedisType::Hash,
        expiry: Expiry::None,
        owner: "ingest",
        doc: "the delivery log's totals: `bytes` of the kept bodies",
    },
    KeySpec {
        builder: "delivery",
        pattern: "{ns}:delivery:<id>",
        kind: RedisType::Hash,
        expiry: Expiry::Computed(
            "`ingest.delivery_log.retention` plus a day; deleted when trimmed",
        ),
        owner: "ingest; admin marks replays",
        doc: "one logged delivery: provider, event, at_ms, job, outcome, size, persons, payload (raw body), replays",
    },
    KeySpec {
        builder: "deliveries_by",
        pattern: "{ns}:deliveries:by:<scope>",
        kind: RedisType::ZSet,
        expiry: Expiry::Computed("`ingest.delivery_log.retention` after the last delivery"),
        owner: "ingest",
        doc: "the delivery log's index of one provider (`calendly`) or provider and event (`calendly:invitee.created`)",
    },
    KeySpec {
        builder: "deliveries_person",
        pattern: "{ns}:deliveries:person:<person>",
        kind: RedisType::ZSet,
        expiry: Expiry::Computed(
            "`ingest.delivery_log.retention` after the last delivery naming them",
        ),
        owner: "ingest",
        doc: "the delivery log's index of one person (tag of the e-mail or E.164 phone), newest 500 kept",
    },
    KeySpec {
        builder: "probe",
        pattern: "{ns}:probe:<what>",
        kind: RedisType::List,
        expiry: Expiry::None,
        owner: "tests only (queue_probe)",
        doc: "the probe job's start / finish records in the queue recovery tests",
    },
];
