//! The HELP text and unit of every metric meetflow records through `metrics`, described once
//! when the recorder is installed. `promtool check metrics` (run over each binary's `/metrics`
//! in tests/it/admin/metrics_lint.rs) reports a metric without HELP; a new metric gets its line
//! here. Describing a metric a process never records costs nothing: only recorded ones render.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Counters: name and HELP.
const COUNTERS: &[(&str, &str)] = &[
    (
        "meetflow_bookings_healed_total",
        "Bookings the Calendly reconciliation found missing and healed, by event.",
    ),
    (
        "meetflow_brevo_opt_out_reads_total",
        "Brevo contact reads before an SMS for the opt-outs of sms.opt_out, by outcome (read, no_contact, failed: the last read's entries stand).",
    ),
    (
        "meetflow_brevo_skipped_total",
        "Brevo updates not made, by source and reason.",
    ),
    (
        "meetflow_brevo_sms_attribute_dropped_total",
        "SMS attributes left out of a Brevo contact update, by reason.",
    ),
    (
        "meetflow_brevo_status_rewrites_total",
        "Brevo status attributes rewritten to the configured values.",
    ),
    (
        "meetflow_calendly_unmapped_event_type_total",
        "Calendly bookings of an event type without a mapping.",
    ),
    (
        "meetflow_dead_letters_trimmed_total",
        "Dead letters dropped because the queue's dead-letter store was full, by queue.",
    ),
    (
        "meetflow_delivery_log_trimmed_total",
        "Delivery log entries removed by ingest's trim, by reason (age: past ingest.delivery_log.retention; count: over max_entries; bytes: over max_bytes).",
    ),
    (
        "meetflow_engagelab_notifications_total",
        "EngageLab account notifications received on the delivery callback, by event (insufficient_balance, other).",
    ),
    (
        "meetflow_events_total",
        "Webhook events handled by the events queue, by provider, event and outcome.",
    ),
    (
        "meetflow_followup_jobs_total",
        "Jobs an event fanned out, by queue and outcome (created or duplicate).",
    ),
    (
        "meetflow_ingest_dead_lettered_total",
        "Signed webhook bodies that are not events, stored as dead letters, by provider and kind.",
    ),
    (
        "meetflow_ingest_duplicates_total",
        "Webhook redeliveries answered 200 without a new job, by provider.",
    ),
    (
        "meetflow_ingest_requests_total",
        "Requests to the webhook server, by route and status code.",
    ),
    (
        "meetflow_ingest_signature_failures_total",
        "Webhook requests refused for their signature, by provider and reason.",
    ),
    (
        "meetflow_ingest_webhooks_accepted_total",
        "Webhook deliveries accepted (stored as a job or a known redelivery), by provider.",
    ),
    (
        "meetflow_jobs_dead_total",
        "Jobs moved to the dead letters, by queue and error class.",
    ),
    (
        "meetflow_jobs_deferred_total",
        "Jobs delayed to a rate-limit slot reserved for them (backpressure: no attempt spent), by queue and class.",
    ),
    (
        "meetflow_jobs_failed_total",
        "Failed job attempts, by queue and error class.",
    ),
    (
        "meetflow_jobs_lost_lease_total",
        "Job outcomes not recorded because the lease was lost, by queue and error class.",
    ),
    (
        "meetflow_jobs_processed_total",
        "Jobs finished successfully, by queue.",
    ),
    (
        "meetflow_jobs_retried_total",
        "Failed job attempts scheduled for a retry, by queue and error class.",
    ),
    (
        "meetflow_leases_expired_total",
        "Job leases that expired and were handed back, by queue.",
    ),
    (
        "meetflow_leases_lost_total",
        "Job leases this process lost before finishing, by queue.",
    ),
    (
        "meetflow_no_show_detection_total",
        "Invitees of ended Zoom meetings checked for attendance-based no-shows, by outcome (marked, joined, already_marked, refused, no_participant_data).",
    ),
    (
        "meetflow_ops_selftest_total",
        "Recorded by the ops self-test only.",
    ),
    (
        "meetflow_periodic_runs_total",
        "Runs of the scheduler's periodic tasks, by task and outcome.",
    ),
    (
        "meetflow_provider_credential_failures_total",
        "Provider calls refused for credentials (401/403, OAuth invalid_client, Zoom token 4xx), by provider.",
    ),
    (
        "meetflow_provider_requests_total",
        "Calls to providers, by provider, operation and outcome (HTTP status or error class).",
    ),
    (
        "meetflow_queue_stale_outcomes_total",
        "Job outcomes refused because the job was no longer this worker's, by queue and outcome.",
    ),
    (
        "meetflow_reconcile_adopted_total",
        "Bookings and no-shows from before go-live the reconciliation adopted quietly, by kind.",
    ),
    (
        "meetflow_reconcile_healed_total",
        "Lost Calendly webhooks the reconciliation rebuilt, by kind.",
    ),
    (
        "meetflow_reconcile_runs_total",
        "Calendly reconciliation runs, by outcome (ok, error).",
    ),
    (
        "meetflow_reminders_canceled_total",
        "Planned reminders cancelled, by cause.",
    ),
    (
        "meetflow_reminders_dropped_total",
        "Reminders dropped as no longer applicable, by reason and where (claim or send).",
    ),
    (
        "meetflow_reminders_enqueued_total",
        "Reminders handed to the sms queue, by kind.",
    ),
    (
        "meetflow_reminders_held_total",
        "Reminders held for quiet hours, by kind.",
    ),
    (
        "meetflow_reminders_planned_total",
        "Reminders planned, by kind.",
    ),
    (
        "meetflow_sms_delivery_rows_total",
        "EngageLab delivery callback rows, by outcome (applied, unchanged, unmatched, ignored_status, notification, unreadable).",
    ),
    (
        "meetflow_sms_delivery_total",
        "SMS delivery states reported by EngageLab callbacks, by status (sent, delivered, sent_failed, delivered_failed, target_invalid), kind and country; each SMS counted once per status.",
    ),
    (
        "meetflow_sms_opt_outs_total",
        "Opt-outs added to the SMS suppression list by a source other than the operator, by source (brevo_attribute, brevo_list, brevo_blacklist, engagelab_opt_out, calendly_consent).",
    ),
    (
        "meetflow_sms_skipped_total",
        "SMS not sent, by kind and reason.",
    ),
    (
        "meetflow_sms_stale_total",
        "SMS not sent because the booking changed, by kind and reason.",
    ),
    (
        "meetflow_sms_suppressed_total",
        "SMS not sent because the person is on the suppression list, by kind and reason (phone, email: an operator's entry; else the entry's source: brevo_attribute, brevo_list, brevo_blacklist, engagelab_opt_out, calendly_consent).",
    ),
    (
        "meetflow_sms_template_params_missing_total",
        "SMS whose template declares (engagelab.template_params) a parameter this message has no value for (its placeholder goes out literally), by kind and param.",
    ),
    (
        "meetflow_sms_total",
        "SMS send attempts, by kind and outcome (sent, suppressed, duplicate, failed, possibly_sent).",
    ),
    (
        "meetflow_sms_withdrawn_total",
        "Pending SMS withdrawn after a cancel or reschedule, by kind.",
    ),
    (
        "meetflow_sync_bookings_total",
        "Bookings the backfill (meetflow-admin sync) brought over, by source, state and outcome (enqueued or duplicate).",
    ),
    (
        "meetflow_zoom_participants_skipped_total",
        "Zoom participants not synced, by reason.",
    ),
    (
        "meetflow_zoom_sweep_healed_total",
        "Zoom meetings, webinars and recordings whose webhook never came, handled by the catch-up sweep, by kind.",
    ),
    (
        "meetflow_zoom_sweep_runs_total",
        "Attempts of the periodic Zoom catch-up sweep, by outcome (ok, error).",
    ),
];

/// Gauges: name, unit and HELP.
const GAUGES: &[(&str, Option<Unit>, &str)] = &[
    (
        "meetflow_calendly_webhook_subscriptions",
        None,
        "Calendly webhook subscriptions, by state (active, disabled).",
    ),
    (
        "meetflow_delivery_log_bytes",
        Some(Unit::Bytes),
        "Body bytes the delivery log keeps (the sum of the kept payloads), as of ingest's last trim.",
    ),
    (
        "meetflow_delivery_log_entries",
        None,
        "Deliveries the delivery log keeps, by provider, as of ingest's last trim.",
    ),
    (
        "meetflow_queue_consumers",
        None,
        "Worker processes that heartbeated on the queue in the last 30 s, by queue.",
    ),
    ("meetflow_queue_dead", None, "Dead letters, by queue."),
    (
        "meetflow_queue_delayed",
        None,
        "Jobs scheduled for later (not retries), by queue.",
    ),
    (
        "meetflow_queue_oldest_ready_age_seconds",
        Some(Unit::Seconds),
        "Time the oldest ready job has waited, by queue.",
    ),
    (
        "meetflow_queue_paused",
        None,
        "1 while the queue is paused (by itself or by all), else 0, by queue.",
    ),
    ("meetflow_queue_ready", None, "Jobs ready to run, by queue."),
    (
        "meetflow_queue_retrying",
        None,
        "Jobs waiting for a retry (including rate-limited ones), by queue.",
    ),
    (
        "meetflow_queue_running",
        None,
        "Jobs leased by a worker, by queue.",
    ),
    (
        "meetflow_redis_memory_max_bytes",
        Some(Unit::Bytes),
        "Redis maxmemory (0 = no limit).",
    ),
    (
        "meetflow_redis_check",
        None,
        "Start-up checks of the Redis in use (version, maxmemory_policy, persistence): 1 passed, 0 failed or warned.",
    ),
    (
        "meetflow_redis_memory_used_bytes",
        Some(Unit::Bytes),
        "Memory Redis uses (INFO memory used_memory).",
    ),
    (
        "meetflow_redis_up",
        None,
        "1 when the last Redis PING of this process was answered in time, else 0.",
    ),
    (
        "meetflow_redis_wait_shortfall_total",
        None,
        "Acknowledged writes (webhook enqueue, SMS marker) that fewer than redis.wait_replicas replicas confirmed within the WAIT timeout.",
    ),
    (
        "meetflow_reminders_pending",
        None,
        "Reminders due and not yet handed over, by set (due, claimed).",
    ),
    (
        "meetflow_scheduler_last_tick_timestamp_seconds",
        Some(Unit::Seconds),
        "When this scheduler's due loop last completed a tick, seconds since the Unix epoch.",
    ),
];

/// Histograms: name and HELP (all in seconds).
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        "meetflow_ingest_enqueue_seconds",
        "Time Redis took to take (or refuse) a webhook's job, by provider and outcome.",
    ),
    (
        "meetflow_ingest_request_seconds",
        "Webhook request duration, by route.",
    ),
    (
        "meetflow_job_duration_seconds",
        "Job handler run time, by queue.",
    ),
    (
        "meetflow_job_pickup_seconds",
        "Time from a job becoming ready to a worker leasing it, by queue.",
    ),
    (
        "meetflow_provider_request_duration_seconds",
        "Provider call duration, by provider and operation.",
    ),
    (
        "meetflow_reminder_enqueue_delay_seconds",
        "Time from a reminder's due time to the scheduler enqueueing its SMS job.",
    ),
    (
        "meetflow_reminder_lateness_seconds",
        "Time from a reminder's due time to EngageLab accepting its SMS.",
    ),
    (
        "meetflow_sms_delivery_seconds",
        "Time from EngageLab accepting an SMS to its delivered report, by kind and country.",
    ),
];

/// Describes every metric above to the installed recorder.
pub fn describe_all() {
    for (name, help) in COUNTERS {
        describe_counter!(*name, *help);
    }
    for (name, unit, help) in GAUGES {
        match unit {
            Some(u) => describe_gauge!(*name, *u, *help),
            None => describe_gauge!(*name, *help),
        }
    }
    for (name, help) in HISTOGRAMS {
        describe_histogram!(*name, Unit::Seconds, *help);
    }
}

/// How a described metric renders on `/metrics` (its `# TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `counter`: one series per label set, only ever increasing.
    Counter,
    /// `gauge`: one series per label set, up or down.
    Gauge,
    /// `histogram`: `<name>_bucket{le}`, `<name>_sum` and `<name>_count` series.
    Histogram,
}

/// Every metric described here, with its kind.
pub fn kinds() -> impl Iterator<Item = (&'static str, Kind)> {
    COUNTERS
        .iter()
        .map(|c| (c.0, Kind::Counter))
        .chain(GAUGES.iter().map(|g| (g.0, Kind::Gauge)))
        .chain(HISTOGRAMS.iter().map(|h| (h.0, Kind::Histogram)))
}

/// Every metric name described here.
pub fn names() -> impl Iterator<Item = &'static str> {
    kinds().map(|(name, _)| name)
}
