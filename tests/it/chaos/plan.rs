//! What the chaos run books, and what must come of it. Every booking has its own invitee, e-mail
//! and phone number; a share is cancelled, rescheduled (the two halves in either order) or
//! redelivered; a few signed deliveries are made to fail permanently (the only dead letters the
//! end state may hold). Meeting times are seconds ahead, so reminders and follow-ups fall inside
//! the run (`reminders.offsets: [16s, 8s]`, `follow_up_after_end: 2s`).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_shared::bookings::BookingKey;
use meetflow_shared::domain::PhoneNumber;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The SMS kinds of one booking, as the worker labels them (`custom_args.kind`).
pub(crate) const REMINDERS: [&str; 3] = ["rem-16s", "rem-8s", "rem-followup"];
/// Meeting length: short, so follow-ups come soon.
pub(crate) const MEETING: Duration = Duration::from_secs(4);
/// The last follow-up is due this long after the meeting starts.
pub(crate) const LAST_DUE_AFTER_START: Duration = Duration::from_secs(6);

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    pub(crate) bookings: usize,
    /// Deliveries are spread over this long.
    pub(crate) send_for: Duration,
    /// Meetings start this long (range) after their booking is sent.
    pub(crate) lead: (Duration, Duration),
    pub(crate) poison: usize,
    /// Bookings of the cancel/reschedule storm: booked in one burst at 45 % of `send_for`, each
    /// cancelled or moved 0.3-1.5 s later, while their confirmations wait behind the SMS rate limit.
    pub(crate) storm: usize,
    /// `engagelab.rate_limit`: low enough that the storm's confirmations queue behind it.
    pub(crate) sms_rate: &'static str,
    /// EngageLab refusal outages (the key refused, 401/2002, for about a second each): the SMS
    /// they refuse are dead letters the operator replays in bulk.
    pub(crate) outages: usize,
}

impl Size {
    /// `MEETFLOW_CHAOS=long` for the long run; the short default fits CI.
    pub(crate) fn from_env() -> (Self, &'static str) {
        let secs = Duration::from_secs;
        match std::env::var("MEETFLOW_CHAOS").as_deref() {
            Ok("long") => (
                Self {
                    bookings: 3000,
                    send_for: secs(150),
                    lead: (secs(24), secs(44)),
                    poison: 10,
                    storm: 200,
                    sms_rate: "150/s",
                    outages: 5,
                },
                "long",
            ),
            _ => (Self::short(), "short"),
        }
    }

    /// The size CI runs.
    pub(crate) fn short() -> Self {
        let secs = Duration::from_secs;
        Self {
            bookings: 240,
            send_for: secs(30),
            lead: (secs(24), secs(32)),
            poison: 6,
            storm: 60,
            sms_rate: "50/s",
            outages: 2,
        }
    }
}

/// What happens to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// Booked, nothing else.
    Plain,
    /// Booked, its delivery redelivered `n` more times (re-signed, as Calendly retries).
    Redelivered(u8),
    /// Booked, then cancelled a moment later.
    Canceled,
    /// The cancellation arrives before the booking (Calendly's retries reorder them).
    CanceledFirst,
    /// Moved to a new time: old `canceled(rescheduled)` + new `created`, in either order.
    Rescheduled { cancel_first: bool },
}

/// One booking of the plan.
#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub(crate) scenario: Scenario,
    pub(crate) uri: String,
    pub(crate) key: BookingKey,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) phone_text: String,
    /// When its first delivery is sent (from the start of the run).
    pub(crate) send_at: Duration,
    pub(crate) start: DateTime<Utc>,
    /// The new invitee of a reschedule.
    pub(crate) moved: Option<(String, BookingKey, DateTime<Utc>)>,
    /// Part of the cancel/reschedule storm: cancelled or moved this long after it was booked.
    pub(crate) storm_after: Option<Duration>,
}

pub(crate) fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn uri() -> String {
    format!(
        "https://api.calendly.com/scheduled_events/{}/invitees/{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    )
}

/// A valid, distinct US number for booking `i`: E.164 and the form Calendly sends.
fn phone(i: usize) -> (String, String) {
    const AREAS: [u32; 8] = [212, 312, 415, 617, 646, 702, 713, 917];
    for bump in 0.. {
        let n = i as u32 * 7 + bump;
        let area = AREAS[(n % 8) as usize];
        let exchange = 201 + (n / 8) % 700;
        let line = 1000 + (n / 5600) % 9000;
        let text = format!("+1 {area}-{exchange}-{line:04}");
        if let Ok(p) = PhoneNumber::parse(&text, None) {
            return (p.as_str().to_owned(), text);
        }
    }
    unreachable!("some number is valid")
}

/// The whole plan, reproducible from `seed`: the bookings spread over the run, then the storm.
pub(crate) fn plan(size: Size, seed: u64, run_start: DateTime<Utc>) -> Vec<Booking> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: Vec<Booking> = (0..size.bookings)
        .map(|i| {
            let scenario = match rng.random_range(0..100) {
                0..55 => Scenario::Plain,
                55..67 => Scenario::Redelivered(rng.random_range(1..=3)),
                67..79 => Scenario::Canceled,
                79..85 => Scenario::CanceledFirst,
                _ => Scenario::Rescheduled {
                    cancel_first: rng.random_bool(0.5),
                },
            };
            let send_at = size.send_for.mul_f64(i as f64 / size.bookings as f64);
            let lead = rng.random_range(size.lead.0..=size.lead.1);
            let start = run_start + send_at + lead;
            let start = DateTime::from_timestamp(start.timestamp(), 0).unwrap();
            let uri = uri();
            let (phone, phone_text) = self::phone(i);
            let moved = matches!(scenario, Scenario::Rescheduled { .. }).then(|| {
                let new_uri = self::uri();
                let key = BookingKey::from_invitee_uri(&new_uri);
                (
                    new_uri,
                    key,
                    start + chrono::Duration::seconds(rng.random_range(6..=10)),
                )
            });
            Booking {
                scenario,
                key: BookingKey::from_invitee_uri(&uri),
                uri,
                email: format!("invitee{i}.chaos{seed}@example.org"),
                phone,
                phone_text,
                send_at,
                start,
                moved,
                storm_after: None,
            }
        })
        .collect();
    // The storm: booked within half a second, each cancelled or moved soon after, its
    // confirmation still waiting for a slot of the SMS rate limit.
    let storm_at = size.send_for.mul_f64(0.45);
    for j in 0..size.storm {
        let i = size.bookings + j;
        let send_at = storm_at + Duration::from_millis((500 * j / size.storm.max(1)) as u64);
        let lead = rng.random_range(size.lead.0..=size.lead.1);
        let start = run_start + send_at + lead;
        let start = DateTime::from_timestamp(start.timestamp(), 0).unwrap();
        let uri = uri();
        let (phone, phone_text) = self::phone(i);
        let scenario = if rng.random_bool(0.5) {
            Scenario::Canceled
        } else {
            Scenario::Rescheduled {
                cancel_first: rng.random_bool(0.5),
            }
        };
        let moved = matches!(scenario, Scenario::Rescheduled { .. }).then(|| {
            let new_uri = self::uri();
            let key = BookingKey::from_invitee_uri(&new_uri);
            (
                new_uri,
                key,
                start + chrono::Duration::seconds(rng.random_range(6..=10)),
            )
        });
        out.push(Booking {
            scenario,
            key: BookingKey::from_invitee_uri(&uri),
            uri,
            email: format!("invitee{i}.chaos{seed}@example.org"),
            phone,
            phone_text,
            send_at,
            start,
            moved,
            storm_after: Some(Duration::from_millis(rng.random_range(300..1500))),
        });
    }
    out
}

/// Final Brevo status of the contact of `b`.
pub(crate) fn final_status(b: &Booking) -> &'static str {
    match b.scenario {
        Scenario::Canceled | Scenario::CanceledFirst => "cancelled",
        _ => "active",
    }
}

/// `(booking, kind) -> (min, max)` SMS for `b`. Under chaos the cancellation or move of a
/// booking can be processed late (a killed events worker, Redis down), after its confirmation or
/// even a reminder legitimately went out, so those of a booking that ends cancelled or moved are
/// 0 or 1 here; [`crate::chaos::stale::check_stale`] then holds each one that went out to the time
/// the store recorded the change. Everything else is exact.
pub(crate) fn expected_sms(b: &Booking) -> Vec<(String, &'static str, u32, u32)> {
    let k = b.key.to_string();
    let mut out = Vec::new();
    let live = |key: &str, out: &mut Vec<_>| {
        out.push((key.to_owned(), "confirmation", 1, 1));
        for kind in REMINDERS {
            out.push((key.to_owned(), kind, 1, 1));
        }
        out.push((key.to_owned(), "cancellation", 0, 0));
    };
    match b.scenario {
        Scenario::Plain | Scenario::Redelivered(_) => live(&k, &mut out),
        Scenario::Canceled | Scenario::CanceledFirst => {
            out.push((k.clone(), "confirmation", 0, 1));
            out.push((k.clone(), "cancellation", 1, 1));
            for kind in REMINDERS {
                out.push((k.clone(), kind, 0, 1));
            }
        }
        Scenario::Rescheduled { .. } => {
            out.push((k.clone(), "confirmation", 0, 1));
            for kind in REMINDERS {
                out.push((k.clone(), kind, 0, 1));
            }
            out.push((k.clone(), "cancellation", 0, 0));
            let (_, new_key, _) = b.moved.as_ref().unwrap();
            live(new_key.as_str(), &mut out);
        }
    }
    out
}

/// When the last reminder of the plan is due.
pub(crate) fn last_due(plan: &[Booking]) -> DateTime<Utc> {
    let latest = plan
        .iter()
        .map(|b| b.moved.as_ref().map_or(b.start, |m| m.2))
        .max()
        .unwrap_or_else(Utc::now);
    latest + chrono::Duration::from_std(LAST_DUE_AFTER_START).unwrap()
}
