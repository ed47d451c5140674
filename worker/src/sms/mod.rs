//! The `sms` queue: every SMS is sent by [`send`], at most once per (booking, kind)
//! ([`marker`]), with the message text from [`mod@format`] and, for a win-back or no-show apology,
//! a single-use booking link ([`booking_link`]).

pub(crate) mod booking_link;
pub(crate) mod format;
pub(crate) mod marker;
pub(crate) mod opt_out;
pub(crate) mod send;
pub(crate) mod send_state;
pub(crate) mod template_params;

/// Counts an SMS that is not sent, by kind and reason.
pub(crate) fn sms_skipped(kind: &str, reason: &'static str) {
    metrics::counter!("meetflow_sms_skipped_total", "kind" => kind.to_owned(), "reason" => reason)
        .increment(1);
}
