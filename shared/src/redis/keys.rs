//! [`Keys`]: the typed builder of every Redis key name, and the expiry constants of the keys
//! whose lifetime Rust sets.
//!
//! Every key starts with a Redis Cluster hash tag naming the namespace (`redis.namespace`), so the
//! namespace alone separates installations sharing one Redis:
//!
//! - `{<ns>}:` for everything the queue scripts bind together: the queues, the jobs, the dead
//!   letters, the delivery log. One tag is one slot, so the multi-key Lua scripts that move a job
//!   between its queue's lists, the global dead-letter index and the delivery log stay legal on a
//!   Cluster.
//! - `{<ns>:<tag>}:` for a [`Family`]: a set of keys that no script, transaction or pipeline
//!   uses together with a key outside the family (the bookings store `bookings`, the rate
//!   limiters `rl`, the periodic tasks' tick locks `tick`, the Zoom token `zoom`, the admin web
//!   sessions `session`, the worker process registry `proc`). Each has its own slot, so a Cluster
//!   can place it on another shard than `{<ns>}`. The rest of the name is the same as it would
//!   be under `{<ns>}:`. A namespace
//!   may not end in `:<tag>` ([`Keys::family_tag_suffix`], checked by the configuration), so each
//!   tag belongs to one namespace: [`Keys::all_patterns`] lists one `SCAN MATCH` pattern per tag,
//!   and together they cover the namespace and nothing else.
//!
//! The layout is versioned ([`LAYOUT_VERSION`], recorded in [`Keys::layout`]). Layout 1 kept the
//! bookings family under `{<ns>}:`; [`Keys::from_v1`] names where such a key lives now, and
//! `meetflow-admin migrate` moves them (see `process::layout`).
//!
//! Data flow of a job: `enqueue` writes the job hash and pushes its id onto the queue's `ready`
//! LIST (or its `delayed` ZSET when it runs later). A worker's `lease` script pops ids from `ready`
//! and records a lease in `leased` (ZSET scored by lease expiry). `ack` finishes the job (the hash
//! stays, without payload, for the retention window so the id keeps de-duplicating); `fail` moves
//! it back to `delayed` for a retry or to the dead-letter ZSETs. `promote` moves due ids from
//! `delayed` to `ready`; `reap` hands expired leases back to `ready`. Workers block on `wake`
//! (a LIST holding at most one token) instead of polling.
//!
//! Scripts are given every key they touch in KEYS (a test in `scripts.rs` scans them), except
//! where the job ids come out of the queue's own lists inside the script (`lease`, `reap`,
//! `promote`, the dead-letter trim of `fail`, and the dead-letter scripts): those build `job:<id>`
//! keys from the `{ns}:` prefix, which keeps them in the declared keys' hash slot.
//!
//! Each builder's doc says the key's Redis type, what it holds, its expiry and its owner; the
//! same facts, one line each, are the table in [`super::registry`] (and `docs/redis.md`). A test
//! checks that every builder answers its table row's pattern.

use std::time::Duration;

/// How long an SMS's at-most-once marker ([`Keys::sms_marker`]) is kept.
pub const SMS_MARKER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long the progress of one `meetflow-admin sync` run ([`Keys::sync_run`],
/// [`Keys::sync_results`]) is kept after it was last written.
pub const SYNC_RUN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a single-use booking link ([`Keys::booking_link`]) is remembered for its SMS: longer
/// than any retry of one send.
pub const BOOKING_LINK_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a Zoom meeting's contacts ([`Keys::zoom_meeting_contacts`]) are kept after the last
/// booking added to it.
pub const MEETING_CONTACTS_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a contact's attendance minutes ([`Keys::attendance_minutes`]) are kept after the
/// last instance they attended.
pub const ATTENDANCE_MINUTES_TTL: Duration = Duration::from_secs(400 * 24 * 3600);
/// How long an attendance-based no-show mark ([`Keys::auto_no_show`]) is kept for operators
/// (`meetflow-admin no-shows list` / `undo`).
pub const AUTO_NO_SHOW_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a booking hash ([`Keys::booking`]) outlives its last useful moment (and a tombstone
/// of a booking never seen booked lives): long enough for every Calendly redelivery (24 h) and
/// for operators to look at what was sent.
pub const BOOKING_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long an admin login ([`Keys::admin_session`]) lasts.
pub const ADMIN_SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long before Zoom's expiry the cached token ([`Keys::zoom_token`]) expires, so a token is
/// never used in its last minute.
pub const ZOOM_TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How long a worker process's record ([`Keys::process`]) outlives its last heartbeat (the
/// heartbeat refreshes it every 5 s, so a live process never loses it; a dead one leaves the
/// process list within this).
pub const PROCESS_TTL: Duration = Duration::from_secs(30);
/// How long a person-page index ([`Keys::person_phone`], [`Keys::booking_trail`]) outlives its
/// last write: longer than a booking's own retention, so a person looked up about a past
/// booking still shows what happened to it.
pub const PERSON_INDEX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a per-minute counter hash ([`Keys::minute_stats`]) lives (set by the queue scripts,
/// `EXPIRE 7200`).
pub const MINUTE_STATS_TTL: Duration = Duration::from_secs(2 * 3600);

/// The key layout this version writes: 2 = the bookings family under its own tag
/// `{<ns>:bookings}` (layout 1 kept it under `{<ns>}`). Recorded in [`Keys::layout`].
pub const LAYOUT_VERSION: u32 = 2;

/// The names (after `{<ns>}:`) layout 1 gave the keys now in [`Family::Bookings`]: a name ending
/// in `:` is a prefix, any other is one key. Each keeps its name after the tag.
const V1_BOOKINGS: [&str; 12] = [
    "bk:",
    "reminders:due",
    "reminders:claimed",
    "person:",
    "person_phone:",
    "event_bookings:",
    "trail:",
    "link:",
    "sms:",
    "sms_suppressed",
    "sms_delivery:",
    "sms_message:",
];

/// A duration in whole milliseconds for `PX` / `PEXPIRE` (saturating).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A key family with a hash tag of its own, `{<ns>:<tag>}` (see the module docs): no script,
/// transaction or pipeline touches one of its keys together with a key outside it, so a Redis
/// Cluster may put it on any shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `rl`: the shared rate limiters ([`Keys::rate_limit`]) and the slots they hold for jobs
    /// ([`Keys::rate_limit_held`]); the `gcra` script touches one limiter and its held slot, the
    /// `gcra_run` script one limiter. Every provider call and every lease of a rate-limited
    /// queue is one of these scripts: the hot path under backpressure.
    RateLimit,
    /// `tick`: the periodic tasks' tick locks ([`Keys::tick_lock`]), one `SET NX` each.
    Tick,
    /// `zoom`: the cached Zoom token ([`Keys::zoom_token`]), `SET` / `GET` / compare-and-delete.
    ZoomToken,
    /// `session`: the admin web sessions ([`Keys::admin_session`]), one command each.
    AdminSession,
    /// `proc`: the worker process registry ([`Keys::processes`], [`Keys::process`],
    /// [`Keys::consumers`]): the `heartbeat` script writes the three, the process list reads the
    /// index and the records, the queue metrics read a queue's consumers.
    Processes,
    /// `bookings`: the bookings store and what hangs off a booking — the booking hashes,
    /// `reminders:due` / `reminders:claimed`, the person sets and person-page indexes, the
    /// booking links, the SMS markers, deliveries and message index, and the suppression list.
    /// The bookings scripts bind a booking hash to the reminder sets and the person set, the SMS
    /// claim binds a marker to its booking hash and the suppression list; none of them touches a
    /// queue key (the scheduler enqueues a claimed reminder's job in a separate, idempotent
    /// step). Since layout 2 ([`LAYOUT_VERSION`]); layout 1 kept these under `{ns}`.
    Bookings,
}

impl Family {
    /// Every family.
    pub const ALL: [Self; 6] = [
        Self::RateLimit,
        Self::Tick,
        Self::ZoomToken,
        Self::AdminSession,
        Self::Processes,
        Self::Bookings,
    ];

    /// The part after `<ns>:` in the family's hash tag.
    pub fn tag(self) -> &'static str {
        match self {
            Self::RateLimit => "rl",
            Self::Tick => "tick",
            Self::ZoomToken => "zoom",
            Self::AdminSession => "session",
            Self::Processes => "proc",
            Self::Bookings => "bookings",
        }
    }
}

/// The part of `key` Redis Cluster hashes: between the first `{` and the first `}` after it when
/// that is not empty, else the whole key.
pub fn hash_tag(key: &str) -> &str {
    if let Some(open) = key.find('{')
        && let Some(len) = key[open + 1..].find('}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

/// A `SCAN MATCH` pattern of the keys starting with `prefix` (its glob characters escaped).
fn glob_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

/// Builds key names for one namespace. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    namespace: String,
    prefix: String,
}

impl Keys {
    /// Keys for `namespace` (e.g. `meetflow`): every key is `{meetflow}:...`.
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            prefix: format!("{{{namespace}}}:"),
        }
    }

    /// The family tag `namespace` ends in (`:rl`, `:tick`, ...), if any: such a namespace's own
    /// tag would be a family's tag of a shorter namespace (`a:rl` of `a`), so `redis.namespace`
    /// refuses it and every tag names one (namespace, family) pair.
    pub fn family_tag_suffix(namespace: &str) -> Option<&'static str> {
        let last = namespace.rsplit(':').next()?;
        Family::ALL
            .iter()
            .map(|f| f.tag())
            .find(|t| *t == last && namespace.len() > t.len())
    }

    /// The namespace (`redis.namespace`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The keys of a private, throwaway namespace for one run of `purpose` (`id` unique per run),
    /// e.g. `meetflow-admin zoom check`'s own token, so it neither reads nor replaces the workers'
    /// keys: `{<ns>:<purpose>:<id>}:...`.
    pub fn scratch(&self, purpose: &str, id: &str) -> Self {
        Self::new(&format!("{}:{purpose}:{id}", self.namespace))
    }

    /// The `{ns}:` prefix the queue scripts build per-job keys from.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The prefix of the keys of `family`: `{<ns>:<tag>}:`.
    pub fn family_prefix(&self, family: Family) -> String {
        format!("{{{}:{}}}:", self.namespace, family.tag())
    }

    /// The `SCAN MATCH` patterns that together cover every key of the namespace: `{ns}:*`, then
    /// `{ns:<tag>}:*` per [`Family`]. On a Cluster, scan every master with each.
    pub fn all_patterns(&self) -> Vec<String> {
        std::iter::once(self.prefix.clone())
            .chain(Family::ALL.iter().map(|f| self.family_prefix(*f)))
            .map(|p| format!("{p}*"))
            .collect()
    }

    /// Whether `key` is one of this namespace's keys (under `{ns}:` or a family's tag).
    pub fn owns(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
            || Family::ALL
                .iter()
                .any(|f| key.starts_with(&self.family_prefix(*f)))
    }

    /// STRING: the key layout of the namespace's data ([`LAYOUT_VERSION`]), set once by the first
    /// process that finds no key of an earlier layout, or by `meetflow-admin migrate` when it
    /// has moved them. No TTL. Owner: every binary's start-up check (`process::layout`).
    pub fn layout(&self) -> String {
        format!("{}layout", self.prefix)
    }

    /// The `SCAN MATCH` pattern of the keys an earlier layout may have left: `{ns}:*` (the names
    /// are told apart by [`Self::from_v1`]).
    pub fn v1_pattern(&self) -> String {
        glob_prefix(&self.prefix)
    }

    /// The `SCAN MATCH` pattern of every key of [`Family::Bookings`] (layout 2 names).
    pub fn bookings_pattern(&self) -> String {
        glob_prefix(&self.family_prefix(Family::Bookings))
    }

    /// The layout-1 keys whose name is fixed (no part per booking): one `EXISTS` tells whether an
    /// older meetflow wrote to this namespace after it was migrated. All in the `{ns}` slot.
    pub fn v1_fixed(&self) -> Vec<String> {
        V1_BOOKINGS
            .iter()
            .filter(|n| !n.ends_with(':'))
            .map(|n| format!("{}{n}", self.prefix))
            .collect()
    }

    /// Where a key of layout 1 lives now: `{ns}:bk:x` -> `{ns:bookings}:bk:x`; `None` for a key
    /// whose name did not change (or that is not this namespace's).
    pub fn from_v1(&self, key: &str) -> Option<String> {
        let rest = key.strip_prefix(&self.prefix)?;
        V1_BOOKINGS
            .iter()
            .any(|n| {
                if n.ends_with(':') {
                    rest.starts_with(n) && rest.len() > n.len()
                } else {
                    rest == *n
                }
            })
            .then(|| format!("{}{rest}", self.family_prefix(Family::Bookings)))
    }

    /// The layout-1 name of a key of [`Family::Bookings`] (the inverse of [`Self::from_v1`]):
    /// what an installation of an earlier version holds, for the migration's tests.
    pub fn to_v1(&self, key: &str) -> Option<String> {
        let rest = key.strip_prefix(&self.family_prefix(Family::Bookings))?;
        let v1 = format!("{}{rest}", self.prefix);
        (self.from_v1(&v1).as_deref() == Some(key)).then_some(v1)
    }

    /// HASH, one per job: queue, payload, state, attempts, max_attempts, created_ms, enq_ms,
    /// run_at_ms, group, owner, token (the lease generation: the fencing token of its current
    /// lease), retain_ms, done_ms, dead_ms, replayed_ms; `possibly_sent` (ms; set by a handler
    /// whose effect may have reached its provider: bulk replays skip it) and `resend_ms` (an
    /// operator's one-job resend grant). Times are Redis `TIME`. No TTL while pending, running or dead;
    /// after `ack` the payload is dropped and the hash expires after `retain_ms` (dedupe window).
    /// Owner: queue core.
    pub fn job(&self, id: &str) -> String {
        format!("{}job:{id}", self.prefix)
    }

    /// LIST of JSON attempt errors of one job (`{at_ms, attempt, class, message}`), capped at 50.
    /// Deleted with the job. Owner: queue core.
    pub fn job_errors(&self, id: &str) -> String {
        format!("{}job:{id}:errors", self.prefix)
    }

    /// LIST of job ids ready to run, oldest first. This is the key to scale workers on
    /// (KEDA Redis scaler `listName`). Owner: queue core.
    pub fn ready(&self, queue: &str) -> String {
        format!("{}q:{queue}:ready", self.prefix)
    }

    /// ZSET job id -> run_at (ms): delayed jobs and retries waiting for their time. Owner: queue core.
    pub fn delayed(&self, queue: &str) -> String {
        format!("{}q:{queue}:delayed", self.prefix)
    }

    /// SET of the ids in `delayed` that are waiting for a retry (for queue stats). Owner: queue core.
    pub fn retrying(&self, queue: &str) -> String {
        format!("{}q:{queue}:retrying", self.prefix)
    }

    /// ZSET job id -> lease expiry (ms) of running jobs. Owner: queue core.
    pub fn leased(&self, queue: &str) -> String {
        format!("{}q:{queue}:leased", self.prefix)
    }

    /// LIST with at most one token: idle workers BLPOP it to learn that `ready` has work.
    /// Owner: queue core.
    pub fn wake(&self, queue: &str) -> String {
        format!("{}q:{queue}:wake", self.prefix)
    }

    /// ZSET job id -> dead_ms of the dead letters of one queue. Owner: queue core.
    pub fn dead(&self, queue: &str) -> String {
        format!("{}q:{queue}:dead", self.prefix)
    }

    /// ZSET job id -> dead_ms of every dead letter (all queues); bounded by count and age.
    /// Owner: queue core.
    pub fn dead_all(&self) -> String {
        format!("{}dead", self.prefix)
    }

    /// HASH of counters per queue and minute (`processed`, `failed`, `retried`, `dead`),
    /// expiring after [`MINUTE_STATS_TTL`]. Owner: queue core.
    pub fn minute_stats(&self, queue: &str, epoch_minute: i64) -> String {
        format!("{}q:{queue}:m:{epoch_minute}", self.prefix)
    }

    /// SET of job ids sharing a group key (e.g. every reminder of one booking), for
    /// `cancel_group`. Empty sets vanish. Owner: queue core.
    pub fn group(&self, group: &str) -> String {
        format!("{}group:{group}", self.prefix)
    }

    /// SET of every queue name that has been used. Owner: queue core.
    pub fn queues(&self) -> String {
        format!("{}queues", self.prefix)
    }

    /// HASH queue name (or `*` for every queue) -> ms (Redis time) it was paused: the kill switch.
    /// The lease script reads it, so a paused queue's workers lease nothing (in-flight jobs
    /// finish; new jobs wait in `ready`). No TTL: a pause lasts until resumed.
    /// Owner: queue core (`QueueClient::pause` / `resume`).
    pub fn paused(&self) -> String {
        format!("{}paused", self.prefix)
    }

    /// ZSET process identity -> last heartbeat (ms) of running worker processes, per queue.
    /// Stale members are trimmed by their peers. Owner: queue core.
    /// Tag `{ns:proc}` ([`Family::Processes`]).
    pub fn consumers(&self, queue: &str) -> String {
        format!(
            "{}q:{queue}:consumers",
            self.family_prefix(Family::Processes)
        )
    }

    /// HASH, one per worker process (`identity` = [`crate::queue::process_identity`]): `host`,
    /// `pid`, `service`, `version`, `started_ms`, `beat_ms` (Redis time of the last heartbeat)
    /// and per queue it serves `queue:<name>` = its jobs in flight there. Written by every
    /// queue runtime's heartbeat; TTL [`PROCESS_TTL`], refreshed by each heartbeat.
    /// Owner: queue core (worker processes).
    /// Tag `{ns:proc}` ([`Family::Processes`]).
    pub fn process(&self, identity: &str) -> String {
        format!(
            "{}process:{identity}",
            self.family_prefix(Family::Processes)
        )
    }

    /// ZSET process identity -> last heartbeat (ms) of every worker process, all queues: the
    /// index of the process list (`meetflow-admin processes`). Members silent for
    /// [`PROCESS_TTL`] are trimmed by their peers' heartbeats. Owner: queue core.
    /// Tag `{ns:proc}` ([`Family::Processes`]).
    pub fn processes(&self) -> String {
        format!("{}processes", self.family_prefix(Family::Processes))
    }

    /// STRING with a short TTL (two ticks): the lease of a periodic task's tick (`SET NX PX`), so
    /// one replica runs each tick. Owner: whoever runs the periodic task (the scheduler).
    /// Tag `{ns:tick}` ([`Family::Tick`]).
    pub fn tick_lock(&self, task: &str, tick: i64) -> String {
        format!("{}tick:{task}:{tick}", self.family_prefix(Family::Tick))
    }

    /// STRING: the Zoom Server-to-Server OAuth access token shared by all workers; TTL = the
    /// token's `expires_in` minus [`ZOOM_TOKEN_REFRESH_MARGIN`], so it is renewed before Zoom
    /// expires it. Deleted (only if still the same value) when Zoom answers 401.
    /// Owner: providers::zoom_api.
    /// Tag `{ns:zoom}` ([`Family::ZoomToken`]).
    pub fn zoom_token(&self) -> String {
        format!("{}zoom:token", self.family_prefix(Family::ZoomToken))
    }

    /// STRING: the GCRA "theoretical arrival time" (µs, Redis clock) of one provider's rate
    /// limiter shared by all worker replicas (`name`: `brevo` (contacts), `brevo_events`,
    /// `engagelab`, `zoom_light`, `zoom_medium`, `zoom_heavy`, `calendly`); expires when idle.
    /// Owner: providers::rate_limit.
    /// Tag `{ns:rl}` ([`Family::RateLimit`]).
    pub fn rate_limit(&self, name: &str) -> String {
        format!("{}ratelimit:{name}", self.family_prefix(Family::RateLimit))
    }

    /// STRING: the start (µs, Redis clock) of a slot of the rate limit `name` reserved for one
    /// job (`holder` = job id) that was delayed to it; taken when the job comes back, expires ten
    /// minutes after the slot. Owner: providers::rate_limit.
    /// Tag `{ns:rl}` ([`Family::RateLimit`]), the limiter's own: one script touches both.
    pub fn rate_limit_held(&self, name: &str, holder: &str) -> String {
        format!(
            "{}ratelimit:{name}:held:{holder}",
            self.family_prefix(Family::RateLimit)
        )
    }

    /// HASH, one per booking (`booking` = invitee UUID): `status` (active | canceled |
    /// rescheduled | no_show), `start_ms`, `end_ms`, `timezone`, `phone`, `name`, `email`,
    /// `event_type`, `event_name`, `invitee_uri` (Calendly URIs shortened to keep the hash a
    /// listpack, see `bookings::record`), `old_key`, `new_key`, `cancel_url`, `reschedule_url`,
    /// `join_url` (split over `join_url~2`.. to stay a listpack), `host` (`host~2`), `updated_at`,
    /// `version`, and per
    /// reminder `r:<kind>` = `<state>:<due_ms>`. A canceled booking stays as a tombstone.
    /// TTL: [`BOOKING_RETENTION`] after its last reminder's useful life ([`BOOKING_RETENTION`]
    /// for a tombstone of a booking never seen booked). Owner: bookings.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn booking(&self, booking: &str) -> String {
        format!("{}bk:{booking}", self.family_prefix(Family::Bookings))
    }

    /// The prefix of [`Self::booking`] keys (`{ns}:bk:`), for the bookings scripts. Owner: bookings.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn booking_prefix(&self) -> String {
        format!("{}bk:", self.family_prefix(Family::Bookings))
    }

    /// ZSET reminder id (`rem:<booking>:<kind>`) -> due time (ms) of every planned reminder and
    /// follow-up. No TTL. Owner: bookings (written by the worker, drained by the scheduler).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn reminders_due(&self) -> String {
        format!("{}reminders:due", self.family_prefix(Family::Bookings))
    }

    /// ZSET reminder id -> claim lease expiry (ms) of reminders a scheduler replica is enqueueing;
    /// an expired claim (the replica died) is claimed again. No TTL. Owner: scheduler.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn reminders_claimed(&self) -> String {
        format!("{}reminders:claimed", self.family_prefix(Family::Bookings))
    }

    /// SET of the booking keys of one person (`person` = [`crate::domain::email_tag`] of the
    /// e-mail), so a new booking can call off the win-back SMS of a cancelled one and a
    /// cancellation plans none while another booking is still ahead. Members leave when their
    /// booking hash has expired. TTL: the longest of its bookings'. Owner: bookings.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn person_bookings(&self, person: &str) -> String {
        format!("{}person:{person}", self.family_prefix(Family::Bookings))
    }

    /// ZSET booking key -> last write (ms) of the bookings of one phone number (`phone_tag` =
    /// [`crate::person_index::phone_tag`], a short hash of the E.164 number, so no number is
    /// in a key name): `meetflow-admin person PHONE` finds the person by it. At most
    /// [`crate::person_index::CAP`] members (oldest trimmed); TTL [`PERSON_INDEX_TTL`],
    /// refreshed on every write. Owner: worker (events handler); read by admin (person).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn person_phone(&self, phone_tag: &str) -> String {
        format!(
            "{}person_phone:{phone_tag}",
            self.family_prefix(Family::Bookings)
        )
    }

    /// ZSET booking key -> last write (ms) of the bookings (invitees) of one Calendly scheduled
    /// event (`event` = [`crate::person_index::event_tag`] of its URI), so `meetflow-admin person`
    /// finds them by the event's URI. At most [`crate::person_index::CAP`] members; TTL
    /// [`PERSON_INDEX_TTL`], refreshed on every write. Owner: worker (events handler); read by
    /// admin (person).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn event_bookings(&self, event: &str) -> String {
        format!(
            "{}event_bookings:{event}",
            self.family_prefix(Family::Bookings)
        )
    }

    /// LIST of what happened to one booking, newest first: one JSON entry per Calendly delivery
    /// the worker handled for it (`at_ms`, `event`, `delivery` = its job id and dedupe key,
    /// `via`, `status` = the booking's status after it): the status history and webhook
    /// deliveries of the person page. At most [`crate::person_index::CAP`] entries (`LTRIM`);
    /// TTL [`PERSON_INDEX_TTL`], refreshed on every write. Owner: worker (events handler);
    /// read by admin (person).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn booking_trail(&self, booking: &str) -> String {
        format!("{}trail:{booking}", self.family_prefix(Family::Bookings))
    }

    /// STRING: the single-use Calendly booking URL made for one engagement SMS (`id` = reminder
    /// id), kept so a retried send reuses it instead of making another. TTL [`BOOKING_LINK_TTL`].
    /// Owner: worker.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn booking_link(&self, id: &str) -> String {
        format!("{}link:{id}", self.family_prefix(Family::Bookings))
    }

    /// STRING: the at-most-once marker of one SMS (`booking` = booking key, `kind` =
    /// `confirmation`, `cancellation`, `host_notify`, `rem-24h`, `rem-followup`, ...). Set NX to
    /// `sending:<ms>` right before the EngageLab call, `sent` / `suppressed` after it; deleted
    /// when the call definitely did not send. A `sending:` value found by a later attempt means
    /// "possibly sent": the job goes to the dead letters instead of sending again.
    /// TTL [`SMS_MARKER_TTL`]. Owner: worker (SMS handler).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn sms_marker(&self, booking: &str, kind: &str) -> String {
        format!(
            "{}sms:{booking}:{kind}",
            self.family_prefix(Family::Bookings)
        )
    }

    /// HASH, the SMS suppression list: field `phone:<e164>` or `email:<lower-case address>` ->
    /// `<scope>:<added unix ms>` (scope `all` or `marketing`). No expiry: an entry stays until an
    /// operator removes it. Owner: admin (`sms suppress` / `unsuppress`); read by the worker's
    /// SMS claim.
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn sms_suppression(&self) -> String {
        format!("{}sms_suppressed", self.family_prefix(Family::Bookings))
    }

    /// HASH, the delivery state of one SMS (as EngageLab's callbacks report it): `status`
    /// (`accepted`, then `sent`, then `delivered`, `sent_failed`, `delivered_failed` or
    /// `target_invalid`), `message_id`, `kind`, `country`, `accepted_ms`, `updated_ms`,
    /// `error_code`. TTL [`SMS_MARKER_TTL`] after the last write. Owner: worker (SMS handler and
    /// delivery callbacks); read by admin (`reminders list`).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn sms_delivery(&self, booking: &str, kind: &str) -> String {
        format!(
            "{}sms_delivery:{booking}:{kind}",
            self.family_prefix(Family::Bookings)
        )
    }

    /// STRING, EngageLab's message id -> `<booking>|<kind>` of the SMS it names, so a delivery
    /// callback finds its SMS. TTL [`SMS_MARKER_TTL`]. Owner: worker (SMS handler).
    /// Tag `{ns:bookings}` ([`Family::Bookings`]).
    pub fn sms_message(&self, message_id: &str) -> String {
        format!(
            "{}sms_message:{message_id}",
            self.family_prefix(Family::Bookings)
        )
    }

    /// SET of the e-mail addresses booked (through Calendly's Zoom location) on one Zoom meeting
    /// id, so `recording.completed` can reach them. TTL [`MEETING_CONTACTS_TTL`] after the last
    /// booking added. Owner: worker (events handler).
    pub fn zoom_meeting_contacts(&self, meeting_id: &str) -> String {
        format!("{}zoom:meeting:{meeting_id}:contacts", self.prefix)
    }

    /// HASH of one contact's attendance (`email_tag` = the worker's short hash of the lower-case
    /// e-mail): field `meeting:<uuid>` / `webinar:<uuid>` -> whole minutes attended in that
    /// instance. Written once per instance (a re-run overwrites the same field, never adds); the
    /// sum of the values is the contact's `TOTAL_ATTENDANCE_MINUTES`. TTL
    /// [`ATTENDANCE_MINUTES_TTL`], refreshed on every write. Owner: worker (zoom queue writes,
    /// brevo queue reads).
    pub fn attendance_minutes(&self, email_tag: &str) -> String {
        format!("{}minutes:{email_tag}", self.prefix)
    }

    /// ZSET of the bookings meetflow marked no-show from Zoom attendance: booking key -> time of
    /// the mark (ms). Entries older than [`AUTO_NO_SHOW_TTL`] are removed on every write; no TTL.
    /// Owner: worker (zoom queue); read by admin (`no-shows list`).
    pub fn auto_no_shows(&self) -> String {
        format!("{}no_show:auto", self.prefix)
    }

    /// STRING (JSON) of one attendance-based no-show mark (`booking` = invitee UUID): the
    /// invitee and no-show URIs, the Zoom instance, when it was marked, and when and by whom it
    /// was undone. TTL [`AUTO_NO_SHOW_TTL`] after the mark. Owner: worker (zoom queue) writes it;
    /// admin (`no-shows undo`) records the undo.
    pub fn auto_no_show(&self, booking: &str) -> String {
        format!("{}no_show:auto:{booking}", self.prefix)
    }

    /// STRING: the go-live baseline of the Calendly reconciliation, epoch ms, set once (`SET NX`)
    /// when the first reconciliation run starts and never changed. A booking the reconciliation
    /// finds that was created before it is adopted quietly; one created after it whose webhook
    /// never came is healed as new. No TTL (deleting it makes the next run a new go-live).
    /// Owner: scheduler (reconciliation).
    pub fn reconcile_baseline(&self) -> String {
        format!("{}reconcile:baseline", self.prefix)
    }

    /// HASH: what the backfill (`meetflow-admin sync <source>`) last brought over, per booking
    /// (invitee UUID) -> `<state>|<run>` (state `active` | `canceled` | `no_show` plus the
    /// invitee's `updated_at`; the run that wrote it), so a second run enqueues nothing for an
    /// unchanged booking. No TTL (one short field per booking). For `zoom`: `<kind>:<instance
    /// uuid>` (kind `meeting` | `webinar` | `recording`) -> when its webhook (or the catch-up
    /// sweep) was handled, epoch ms, so the sweep and `sync zoom` handle each instance once.
    /// Owner: worker (sync queue; the events queue for zoom).
    pub fn sync_state(&self, source: &str) -> String {
        format!("{}sync:{source}:state", self.prefix)
    }

    /// HASH: one backfill range (`range` = `<since ms>-<until ms>`): `run` (the number of its
    /// current run), `slices` (how many time slices it has), `started_ms`. TTL
    /// [`SYNC_RUN_TTL`]. Owner: admin (sync).
    pub fn sync_run(&self, source: &str, range: &str) -> String {
        format!("{}sync:{source}:run:{range}", self.prefix)
    }

    /// HASH: the results of one backfill run (`run` = `<range>:<n>`): slice start (ms) -> the
    /// slice's counts (JSON), written once the slice is done. TTL [`SYNC_RUN_TTL`]. Owner:
    /// worker (sync queue); read by admin (sync progress).
    pub fn sync_results(&self, source: &str, run: &str) -> String {
        format!("{}sync:{source}:results:{run}", self.prefix)
    }

    /// STRING: one admin web session (`session_digest` = hex SHA-256 of the cookie's session id,
    /// so a Redis reader cannot hijack it) holding `<csrf token>|<admin token fingerprint>`.
    /// TTL [`ADMIN_SESSION_TTL`]; deleted on logout. Owner: admin (web auth).
    /// Tag `{ns:session}` ([`Family::AdminSession`]).
    pub fn admin_session(&self, session_digest: &str) -> String {
        format!(
            "{}admin:session:{session_digest}",
            self.family_prefix(Family::AdminSession)
        )
    }

    /// LIST of the admin audit trail, newest first: one JSON entry per admin action (who, what,
    /// when by Redis TIME, how many, outcome). Capped at `admin.audit_cap` entries (`LTRIM` on
    /// every write); no TTL. Owner: admin (`meetflow_shared::audit`).
    pub fn admin_audit(&self) -> String {
        format!("{}admin:audit", self.prefix)
    }

    /// ZSET of the delivery log: entry id -> when ingest stored the delivery (ms, Redis `TIME`).
    /// Written in the same script as the delivery's job (`enqueue`), trimmed oldest first by
    /// age (`ingest.delivery_log.retention`), count (`max_entries`) and body bytes (`max_bytes`).
    /// No TTL. Owner: ingest; read and replayed by admin (`deliveries`).
    pub fn deliveries(&self) -> String {
        format!("{}deliveries", self.prefix)
    }

    /// HASH of the delivery log's totals: `bytes` (the sum of the kept bodies' sizes). No TTL.
    /// Owner: ingest.
    pub fn deliveries_stats(&self) -> String {
        format!("{}deliveries:stats", self.prefix)
    }

    /// HASH, one logged delivery (`id` = a ULID): `provider`, `event`, `at_ms`, `job` (the
    /// delivery's job id), `outcome` (`created`, `duplicate`, `dead`), `size`, `persons`
    /// (comma-separated person tags), `payload` (the webhook job JSON, with the raw body),
    /// `replays`, `replayed_ms`. TTL `ingest.delivery_log.retention` plus a day; deleted when
    /// trimmed. Owner: ingest; admin marks replays.
    pub fn delivery(&self, id: &str) -> String {
        format!("{}delivery:{id}", self.prefix)
    }

    /// ZSET, the delivery log's index of one provider (`scope` = `calendly`) or of one provider
    /// and event (`scope` = `calendly:invitee.created`): entry id -> stored ms. Trimmed with the
    /// log; TTL `ingest.delivery_log.retention`. Owner: ingest.
    pub fn deliveries_by(&self, scope: &str) -> String {
        format!("{}deliveries:by:{scope}", self.prefix)
    }

    /// ZSET, the delivery log's index of one person (`person` = [`crate::domain::email_tag`] of
    /// the lower-case e-mail or of the E.164 phone): entry id -> stored ms, the newest
    /// `delivery_log::PERSON_CAP` kept. TTL `ingest.delivery_log.retention` after the last
    /// delivery naming them. Owner: ingest.
    pub fn deliveries_person(&self, person: &str) -> String {
        format!("{}deliveries:person:{person}", self.prefix)
    }

    /// LIST of the test probe job (`tests/src/bin/queue_probe.rs`): one `<job id>|<pid>|<attempt>`
    /// per probe job started (`what` = `starts`) or finished (`finishes`). No TTL.
    /// Owner: tests only.
    pub fn probe(&self, what: &str) -> String {
        format!("{}probe:{what}", self.prefix)
    }
}
