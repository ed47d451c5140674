//! Every Redis key meetflow uses, in one place.
//!
//! All keys start with `{<namespace>}:`. The braces are a Redis Cluster hash tag: every key of one
//! installation hashes to the same slot, so multi-key Lua scripts stay legal if the deployment moves
//! to Cluster, and `redis.namespace` alone separates installations sharing one Redis.
//!
//! Data flow of a job: `enqueue` writes the job hash and pushes its id onto the queue's `ready`
//! LIST (or its `delayed` ZSET when it runs later). A worker's `lease` script pops ids from `ready`
//! and records a lease in `leased` (ZSET scored by lease expiry). `ack` finishes the job (the hash
//! stays, without payload, for the retention window so the id keeps de-duplicating); `fail` moves
//! it back to `delayed` for a retry or to the dead-letter ZSETs. `promote` moves due ids from
//! `delayed` to `ready`; `reap` hands expired leases back to `ready`. Workers block on `wake`
//! (a LIST holding at most one token) instead of polling.
//!
//! Scripts build `job:<id>` keys from the `{ns}:` prefix they are given; since every key carries the
//! same hash tag they live in the same slot as the declared keys.

/// Builds key names for one namespace. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys for `namespace` (e.g. `meetflow`): every key is `{meetflow}:...`.
    pub fn new(namespace: &str) -> Self {
        Self {
            prefix: format!("{{{namespace}}}:"),
        }
    }

    /// The `{ns}:` prefix scripts use to build per-job keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// HASH, one per job: queue, payload, state, attempts, max_attempts, created_ms, enq_ms,
    /// run_at_ms, group, owner, retain_ms, done_ms, dead_ms, replayed_ms; `possibly_sent` (ms; set by
    /// a handler whose effect may have reached its provider: bulk replays skip it) and
    /// `resend_ms` (an operator's one-job resend grant). No TTL while pending, running or dead;
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
    /// expiring after two hours. Owner: queue core.
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

    /// ZSET process identity -> last heartbeat (ms) of running worker processes, per queue.
    /// Stale members are trimmed by their peers. Owner: queue core.
    pub fn consumers(&self, queue: &str) -> String {
        format!("{}q:{queue}:consumers", self.prefix)
    }

    /// STRING with a short TTL: the lease of a periodic task's tick (`SET NX PX`), so one replica
    /// runs each tick. Owner: whoever runs the periodic task.
    pub fn tick_lock(&self, task: &str, tick: i64) -> String {
        format!("{}tick:{task}:{tick}", self.prefix)
    }

    /// STRING: the Zoom Server-to-Server OAuth access token shared by all workers; TTL = the
    /// token's `expires_in` minus 60 s, so it is renewed before Zoom expires it. Deleted (only if
    /// still the same value) when Zoom answers 401. Owner: providers::zoom_api.
    pub fn zoom_token(&self) -> String {
        format!("{}zoom:token", self.prefix)
    }

    /// STRING: the GCRA "theoretical arrival time" (µs, Redis clock) of one provider's rate
    /// limiter shared by all worker replicas (`name` e.g. `brevo`, `engagelab`); expires when
    /// idle. Owner: providers::rate_limit.
    pub fn rate_limit(&self, name: &str) -> String {
        format!("{}ratelimit:{name}", self.prefix)
    }

    /// HASH, one per booking (`booking` = invitee UUID): `status` (active | canceled |
    /// rescheduled | no_show), `start_ms`, `end_ms`, `timezone`, `phone`, `name`, `email`,
    /// `event_type`, `event_name`, `invitee_uri` (Calendly URIs shortened to keep the hash a
    /// listpack, see `bookings::record`), `old_key`, `new_key`, `updated_at`, `version`, and per
    /// reminder `r:<kind>` = `<state>:<due_ms>`. A canceled booking stays as a tombstone.
    /// TTL: 7 days after its last reminder's useful life (7 days for a tombstone of a booking
    /// never seen booked). Owner: bookings.
    pub fn booking(&self, booking: &str) -> String {
        format!("{}bk:{booking}", self.prefix)
    }

    /// The prefix of [`Self::booking`] keys (`{ns}:bk:`), for the bookings scripts. Owner: bookings.
    pub fn booking_prefix(&self) -> String {
        format!("{}bk:", self.prefix)
    }

    /// ZSET reminder id (`rem:<booking>:<kind>`) -> due time (ms) of every planned reminder and
    /// follow-up. No TTL. Owner: bookings (written by the worker, drained by the scheduler).
    pub fn reminders_due(&self) -> String {
        format!("{}reminders:due", self.prefix)
    }

    /// ZSET reminder id -> claim lease expiry (ms) of reminders a scheduler replica is enqueueing;
    /// an expired claim (the replica died) is claimed again. No TTL. Owner: scheduler.
    pub fn reminders_claimed(&self) -> String {
        format!("{}reminders:claimed", self.prefix)
    }

    /// SET of the booking keys of one person (`person` = [`crate::domain::email_tag`] of the
    /// e-mail), so a new booking can call off the win-back SMS of a cancelled one and a
    /// cancellation plans none while another booking is still ahead. Members leave when their
    /// booking hash has expired. TTL: the longest of its bookings'. Owner: bookings.
    pub fn person_bookings(&self, person: &str) -> String {
        format!("{}person:{person}", self.prefix)
    }

    /// STRING: the single-use Calendly booking URL made for one engagement SMS (`id` = reminder
    /// id), kept so a retried send reuses it instead of making another. TTL 30 days. Owner: worker.
    pub fn booking_link(&self, id: &str) -> String {
        format!("{}link:{id}", self.prefix)
    }

    /// STRING: the at-most-once marker of one SMS (`booking` = booking key, `kind` =
    /// `confirmation`, `cancellation`, `host_notify`, `rem-24h`, `rem-followup`, ...). Set NX to
    /// `sending:<ms>` right before the EngageLab call, `sent` / `suppressed` after it; deleted
    /// when the call definitely did not send. A `sending:` value found by a later attempt means
    /// "possibly sent": the job goes to the dead letters instead of sending again. TTL 30 days.
    /// Owner: worker (SMS handler).
    pub fn sms_marker(&self, booking: &str, kind: &str) -> String {
        format!("{}sms:{booking}:{kind}", self.prefix)
    }

    /// SET of the e-mail addresses booked (through Calendly's Zoom location) on one Zoom meeting
    /// id, so `recording.completed` can reach them. TTL 30 days after the last booking added.
    /// Owner: worker (events handler).
    pub fn zoom_meeting_contacts(&self, meeting_id: &str) -> String {
        format!("{}zoom:meeting:{meeting_id}:contacts", self.prefix)
    }

    /// HASH of one contact's attendance (`email_tag` = the worker's short hash of the lower-case
    /// e-mail): field `meeting:<uuid>` / `webinar:<uuid>` -> whole minutes attended in that
    /// instance. Written once per instance (a re-run overwrites the same field, never adds); the
    /// sum of the values is the contact's `TOTAL_ATTENDANCE_MINUTES`. TTL 400 days, refreshed on
    /// every write. Owner: worker (zoom queue writes, brevo queue reads).
    pub fn attendance_minutes(&self, email_tag: &str) -> String {
        format!("{}minutes:{email_tag}", self.prefix)
    }

    /// Any other key, for modules that document their own keys next to their code: `{ns}:<suffix>`.
    pub fn custom(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_carries_the_namespace_hash_tag() {
        let k = Keys::new("mf");
        for key in [
            k.job("a"),
            k.job_errors("a"),
            k.ready("sms"),
            k.delayed("sms"),
            k.retrying("sms"),
            k.leased("sms"),
            k.wake("sms"),
            k.dead("sms"),
            k.dead_all(),
            k.minute_stats("sms", 1),
            k.group("g"),
            k.queues(),
            k.consumers("sms"),
            k.tick_lock("t", 1),
            k.attendance_minutes("e"),
            k.custom("x"),
        ] {
            assert!(key.starts_with("{mf}:"), "{key}");
        }
        assert_eq!(k.ready("sms"), "{mf}:q:sms:ready");
    }
}
