//! The `brevo` queue: contact upserts and custom events ([`sync`]), under the Brevo rate limit
//! shared by every replica, and the attendance minutes a contact sync adds up
//! ([`attendance_minutes`]).

pub(crate) mod attendance_minutes;
pub(crate) mod sync;

/// Counts a Brevo sync that is not made, by reason.
pub(crate) fn brevo_skipped(source: &'static str, reason: &'static str) {
    metrics::counter!("meetflow_brevo_skipped_total", "source" => source, "reason" => reason)
        .increment(1);
}
