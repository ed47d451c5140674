//! One page per person: everything meetflow did for one e-mail address, phone number or
//! booking, read for `meetflow-admin person`, `GET /api/person` and `/person`.
//!
//! Finding the person ([`Lookup`]): an e-mail through the bookings store's person set; a phone
//! number (any format, read with `sms.default_region`, normalised to E.164) through
//! [`meetflow_shared::person_index`]; a Calendly scheduled event URI through the same index (every
//! invitee booked on it); a Calendly invitee URI or booking key directly. The
//! bookings found then bring in the other bookings of their e-mail addresses and numbers (one
//! hop), at most [`MAX_BOOKINGS`].
//!
//! Per booking, all by key (no scan of any store, so the answer costs the same whatever the
//! size of the queues): its status and status history and each Calendly delivery handled for it
//! (the booking's trail, with the delivery's job while its hash is retained); its Brevo jobs
//! (their ids are deterministic: `brevo:created:<booking>`, `brevo:event:<name>:<booking>`,
//! ...); each SMS (event SMS `sms:<kind>:<booking>` and reminders `rem:<booking>:<kind>`) with
//! one state from its reminder record, at-most-once marker, delivery record and job
//! ([`SmsState`]); and its dead letters. The delivery part reads only the trail and the job
//! hash ([`deliveries`]), so a longer-lived delivery log can replace it in one place.
//!
//! Personal data (e-mails, numbers, names, error texts) is masked unless `reveal` is asked;
//! callers audit a reveal.

use std::collections::{BTreeSet, HashMap};

use meetflow_shared::bookings::{Booking, BookingError, BookingKey, Bookings, ReminderState};
use meetflow_shared::config::Settings;
use meetflow_shared::domain::{EmailAddress, PhoneNumber, redact};
use meetflow_shared::person_index::{PersonIndex, TrailEntry};
use meetflow_shared::queue::QueueClient;
use meetflow_shared::sms_delivery::Delivery;
use meetflow_shared::sms_suppression::Target;
use serde::Serialize;

use crate::dead::shorten;
use crate::mask;

/// Most bookings one person page shows.
pub const MAX_BOOKINGS: usize = 50;
/// The event SMS kinds (`sms:<kind>:<booking>`).
const EVENT_SMS: [&str; 4] = [
    "confirmation",
    "cancellation",
    "host_notify",
    "host_cancellation",
];
/// The SMS a `marketing` suppression stops too (the worker's rule).
const MARKETING_SMS: [&str; 3] = ["rem-followup", "rem-winback", "rem-noshow"];
/// Longest error message shown for a job.
const ERROR_CHARS: usize = 240;

/// What the operator typed, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An e-mail address (lower-cased).
    Email(String),
    /// A phone number in E.164.
    Phone(String),
    /// A booking (from an invitee URI or a booking key).
    Booking(BookingKey),
    /// A Calendly scheduled event (its URI): every invitee booked on it.
    Event(String),
}

/// Why the input names no person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Nothing typed.
    #[error("nothing to look up: give an e-mail, a phone number, or a Calendly invitee URI")]
    Empty,
    /// Not an e-mail, a number, a URI or a key.
    #[error(
        "not an e-mail address, a phone number (national numbers need sms.default_region), or a Calendly invitee URI or booking key"
    )]
    NotUnderstood,
}

impl Lookup {
    /// Reads `input`: an e-mail (has `@`), a scheduled event URI, an invitee URI (has `/`), a
    /// phone number (read with `region` when it has no `+`), else a booking key.
    pub fn parse(input: &str, region: Option<&str>) -> Result<Self, LookupError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(LookupError::Empty);
        }
        if input.contains('@') {
            return EmailAddress::parse(input)
                .map(|e| Self::Email(e.as_str().to_lowercase()))
                .map_err(|_| LookupError::NotUnderstood);
        }
        if input.contains("/scheduled_events/") && !input.contains("/invitees/") {
            return Ok(Self::Event(input.to_owned()));
        }
        if input.contains('/') {
            return Ok(Self::Booking(BookingKey::from_invitee_uri(input)));
        }
        let digits = input.chars().filter(char::is_ascii_digit).count();
        let phoneish = input
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
        if phoneish && digits >= 6 {
            return PhoneNumber::parse(input, region)
                .map(|p| Self::Phone(p.as_str().to_owned()))
                .map_err(|_| LookupError::NotUnderstood);
        }
        BookingKey::parse(input)
            .map(Self::Booking)
            .ok_or(LookupError::NotUnderstood)
    }

    /// `email`, `phone`, `booking` or `event`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
            Self::Booking(_) => "booking",
            Self::Event(_) => "event",
        }
    }

    /// Whether what was looked up is personal data (an e-mail or a number).
    pub fn is_personal(&self) -> bool {
        matches!(self, Self::Email(_) | Self::Phone(_))
    }

    /// What was looked up, masked (for the page, the audit trail and logs).
    pub fn masked(&self) -> String {
        match self {
            Self::Email(e) => redact::email(e),
            Self::Phone(p) => redact::phone(p),
            Self::Booking(k) => k.to_string(),
            Self::Event(uri) => uri.clone(),
        }
    }

    fn shown(&self, reveal: bool) -> String {
        match self {
            Self::Email(e) | Self::Phone(e) if reveal => e.clone(),
            Self::Booking(k) => k.to_string(),
            Self::Event(uri) => uri.clone(),
            _ => self.masked(),
        }
    }
}

/// One job as the person page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// Its id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// `ready`, `scheduled`, `inflight`, `retrying`, `done` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was enqueued (unix ms).
    pub created_ms: Option<i64>,
    /// When it finished (unix ms).
    pub done_ms: Option<i64>,
    /// When it went to the dead letters (unix ms).
    pub dead_ms: Option<i64>,
    /// The last error: `<class>: <message>` (masked unless revealed).
    pub last_error: Option<String>,
    /// A dead SMS that may have reached EngageLab: only `dlq retry ID --resend` sends it again.
    pub possibly_sent: bool,
    /// What an operator can do with it now: `replay`, `delete` (dead letters), `resend` (a
    /// possibly sent one, admin role), `run-now`, `cancel` (waiting jobs).
    pub actions: Vec<&'static str>,
}

/// The state of one SMS, from everything recorded about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsState {
    /// A reminder waiting for its time.
    Planned,
    /// On the SMS queue (waiting, running or retrying).
    Queued,
    /// EngageLab accepted it (or reported it sent).
    Sent,
    /// EngageLab reported it delivered.
    Delivered,
    /// Delivery failed (`sent_failed`, `delivered_failed`, `target_invalid`) or the job died.
    Failed,
    /// Not sent: the person is on the suppression list, or EngageLab suppressed it (3004).
    Suppressed,
    /// A reminder not sent because it no longer applied when it came due.
    StaleDropped,
    /// A reminder called off by a cancellation, reschedule or no-show.
    Canceled,
    /// An attempt may have reached EngageLab and never finished: in the dead letters.
    PossiblySent,
    /// Handled without sending (template off, booking changed, ...) and nothing recorded.
    NotSent,
}

impl SmsState {
    /// The name in the CLI, the API and the page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Suppressed => "suppressed",
            Self::StaleDropped => "stale_dropped",
            Self::Canceled => "canceled",
            Self::PossiblySent => "possibly_sent",
            Self::NotSent => "not_sent",
        }
    }
}

/// One SMS of a booking.
#[derive(Debug, Clone, Serialize)]
pub struct SmsView {
    /// `confirmation`, `cancellation`, ... or `rem-24h`, `rem-followup`, ...
    pub kind: String,
    /// Its state.
    pub state: SmsState,
    /// A reminder: its record's state (`planned`, `enqueued`, `canceled`, `dropped`).
    pub reminder_state: Option<String>,
    /// A reminder: when it is (or was) due (unix ms).
    pub due_ms: Option<i64>,
    /// The delivery state EngageLab's callbacks reported.
    pub delivery: Option<Delivery>,
    /// The at-most-once marker (`sent`, `suppressed`, `sending`).
    pub marker: Option<String>,
    /// Its job, while stored.
    pub job: Option<JobView>,
}

/// One Calendly delivery handled for a booking.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    /// What the trail recorded.
    #[serde(flatten)]
    pub entry: TrailEntry,
    /// The delivery's job, while its hash is retained (the dedupe window).
    pub job: Option<JobView>,
}

/// One booking of the person.
#[derive(Debug, Clone, Serialize)]
pub struct BookingView {
    /// The booking key (invitee UUID).
    pub key: String,
    /// `active`, `canceled`, `rescheduled`, `no_show`; `None` once the booking expired.
    pub status: Option<String>,
    /// Event name.
    pub event_name: Option<String>,
    /// Meeting start (unix ms).
    pub start_ms: Option<i64>,
    /// Meeting end (unix ms).
    pub end_ms: Option<i64>,
    /// Invitee time zone.
    pub timezone: Option<String>,
    /// Invitee name (masked unless revealed).
    pub name: Option<String>,
    /// Invitee e-mail (masked unless revealed).
    pub email: Option<String>,
    /// Invitee number (masked unless revealed).
    pub phone: Option<String>,
    /// The booking this one replaced.
    pub rescheduled_from: Option<String>,
    /// The booking that replaced this one.
    pub rescheduled_to: Option<String>,
    /// Each Calendly delivery handled for it, newest first, with the status after it: the
    /// status history.
    pub deliveries: Vec<DeliveryView>,
    /// Its Brevo jobs (contact syncs and events) still stored.
    pub brevo: Vec<JobView>,
    /// Every SMS (event SMS first, then reminders by due time).
    pub sms: Vec<SmsView>,
}

/// A suppression list entry of the person.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressedView {
    /// `phone` or `email`.
    pub kind: &'static str,
    /// The number or address (masked unless revealed).
    pub value: String,
    /// `all` or `marketing`.
    pub scope: String,
    /// When it was added (unix ms).
    pub added_ms: Option<i64>,
}

/// The person page.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    /// What was looked up (masked unless revealed).
    pub query: String,
    /// `email`, `phone`, `booking` or `event`.
    pub kind: &'static str,
    /// Whether personal data is shown unmasked.
    pub revealed: bool,
    /// The person's e-mail addresses (masked unless revealed).
    pub emails: Vec<String>,
    /// The person's numbers (masked unless revealed).
    pub phones: Vec<String>,
    /// Their entries on the SMS suppression list.
    pub suppressed: Vec<SuppressedView>,
    /// Their bookings, newest meeting first.
    pub bookings: Vec<BookingView>,
    /// Every dead letter among the jobs above.
    pub dead_letters: Vec<JobView>,
}

/// Where to read from.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The queue.
    pub client: &'a QueueClient,
    /// The bookings store.
    pub bookings: &'a Bookings,
    /// The settings (Brevo event names per workflow).
    pub settings: &'a Settings,
}

/// Why a person page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    /// Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The bookings store failed.
    #[error(transparent)]
    Bookings(#[from] BookingError),
}

/// The person `lookup` names (an empty page when nothing is known of them).
pub async fn view(
    src: Sources<'_>,
    lookup: &Lookup,
    reveal: bool,
) -> Result<PersonView, PersonError> {
    let index = PersonIndex::new(src.client.handle().clone());
    let (mut emails, mut phones) = (BTreeSet::new(), BTreeSet::new());
    let mut keys: Vec<String> = match lookup {
        Lookup::Email(e) => {
            emails.insert(e.clone());
            index.bookings_of_email(e).await?
        }
        Lookup::Phone(p) => {
            phones.insert(p.clone());
            index.bookings_of_phone(p).await?
        }
        Lookup::Booking(k) => vec![k.to_string()],
        Lookup::Event(uri) => index.bookings_of_event(uri).await?,
    };
    let mut stored: HashMap<String, Option<Booking>> = HashMap::new();
    load(src.bookings, &keys, &mut stored).await?;
    // One hop: the other bookings of the addresses and numbers found.
    let found: Vec<Booking> = stored.values().flatten().cloned().collect();
    for b in &found {
        if let Some(e) = b.email.as_deref().map(|e| e.trim().to_lowercase())
            && !e.is_empty()
            && emails.insert(e.clone())
        {
            keys.extend(index.bookings_of_email(&e).await?);
        }
        if let Some(p) = b.phone.as_deref()
            && phones.insert(p.to_owned())
        {
            keys.extend(index.bookings_of_phone(p).await?);
        }
    }
    let mut seen = BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys.truncate(MAX_BOOKINGS);
    load(src.bookings, &keys, &mut stored).await?;

    let mut bookings = Vec::with_capacity(keys.len());
    for key in &keys {
        let booking = stored.get(key).cloned().flatten();
        let trail = index.trail(key).await?;
        if booking.is_none() && trail.is_empty() {
            continue;
        }
        bookings.push(booking_view(src, key, booking.as_ref(), trail, reveal).await?);
    }
    bookings.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then(a.key.cmp(&b.key)));
    let suppressed = suppressed(src.client, &emails, &phones, reveal).await?;
    // An SMS handled without sending while the person is on the list was stopped by it (the
    // send step records nothing for it): every kind for scope `all`, the marketing kinds
    // (follow-up, win-back, no-show apology) for scope `marketing`.
    let all = suppressed.iter().any(|s| s.scope == "all");
    let marketing = all || suppressed.iter().any(|s| s.scope == "marketing");
    for b in &mut bookings {
        for s in &mut b.sms {
            let is_marketing = MARKETING_SMS.contains(&s.kind.as_str());
            if s.state == SmsState::NotSent && (all || (marketing && is_marketing)) {
                s.state = SmsState::Suppressed;
            }
        }
    }
    let dead_letters = bookings
        .iter()
        .flat_map(|b| {
            let jobs = b.deliveries.iter().filter_map(|d| d.job.as_ref());
            let sms = b.sms.iter().filter_map(|s| s.job.as_ref());
            jobs.chain(b.brevo.iter()).chain(sms)
        })
        .filter(|j| j.state == "dead")
        .cloned()
        .collect();
    let shown = |v: &String, f: fn(&str) -> String| if reveal { v.clone() } else { f(v) };
    Ok(PersonView {
        query: lookup.shown(reveal),
        kind: lookup.kind(),
        revealed: reveal,
        emails: emails.iter().map(|e| shown(e, redact::email)).collect(),
        phones: phones.iter().map(|p| shown(p, redact::phone)).collect(),
        suppressed,
        bookings,
        dead_letters,
    })
}

async fn load(
    bookings: &Bookings,
    keys: &[String],
    into: &mut HashMap<String, Option<Booking>>,
) -> Result<(), BookingError> {
    for key in keys {
        if into.contains_key(key) {
            continue;
        }
        let got = match BookingKey::parse(key) {
            Some(k) => bookings.get(&k).await?,
            None => None,
        };
        into.insert(key.clone(), got);
    }
    Ok(())
}

async fn booking_view(
    src: Sources<'_>,
    key: &str,
    b: Option<&Booking>,
    trail: Vec<TrailEntry>,
    reveal: bool,
) -> Result<BookingView, PersonError> {
    let deliveries = deliveries(src.client, trail, reveal).await?;
    let brevo_ids = brevo_ids(src.settings, key, b, &deliveries);
    let brevo: Vec<JobView> = jobs(src.client, &brevo_ids, reveal)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let sms = sms(src.client, key, b, reveal).await?;
    let pick = |v: Option<&String>, f: fn(&str) -> String| {
        v.map(|s| if reveal { s.clone() } else { f(s) })
    };
    let name_mask = |n: &str| {
        let first: String = n.chars().take(1).collect();
        format!("{first}***")
    };
    Ok(BookingView {
        key: key.to_owned(),
        status: b.map(|b| b.status.as_str().to_owned()),
        event_name: b.and_then(|b| b.event_name.clone()),
        start_ms: b.and_then(|b| b.start).map(|t| t.timestamp_millis()),
        end_ms: b.and_then(|b| b.end).map(|t| t.timestamp_millis()),
        timezone: b.and_then(|b| b.timezone.clone()),
        name: pick(b.and_then(|b| b.name.as_ref()), name_mask),
        email: pick(b.and_then(|b| b.email.as_ref()), redact::email),
        phone: pick(b.and_then(|b| b.phone.as_ref()), redact::phone),
        rescheduled_from: b.and_then(|b| b.rescheduled_from.as_ref().map(|k| k.to_string())),
        rescheduled_to: b.and_then(|b| b.rescheduled_to.as_ref().map(|k| k.to_string())),
        deliveries,
        brevo,
        sms,
    })
}

/// The Calendly deliveries of a booking: its trail, each with its job while retained. The one
/// place that reads deliveries (a longer-lived delivery log replaces this function).
pub async fn deliveries(
    client: &QueueClient,
    trail: Vec<TrailEntry>,
    reveal: bool,
) -> Result<Vec<DeliveryView>, redis::RedisError> {
    let ids: Vec<String> = trail.iter().map(|e| e.delivery.clone()).collect();
    let found = jobs(client, &ids, reveal).await?;
    Ok(trail
        .into_iter()
        .zip(found)
        .map(|(entry, job)| DeliveryView { entry, job })
        .collect())
}

/// Every Brevo job id the worker may have made for booking `key` (it reads the ones stored).
fn brevo_ids(
    settings: &Settings,
    key: &str,
    b: Option<&Booking>,
    deliveries: &[DeliveryView],
) -> Vec<String> {
    let mut ids = vec![
        format!("brevo:created:{key}"),
        format!("brevo:canceled:{key}"),
    ];
    let wf = settings.workflow(
        b.and_then(|b| b.event_type.as_deref()),
        b.and_then(|b| b.event_name.as_deref()),
    );
    let names = &wf.brevo_events;
    for name in [&names.booked, &names.cancelled, &names.rescheduled] {
        if !name.is_empty() {
            ids.push(format!("brevo:event:{name}:{key}"));
        }
    }
    for d in deliveries {
        if d.entry.event.starts_with("invitee_no_show.") {
            let tag = meetflow_shared::jobs::brevo::delivery_tag(&d.entry.delivery);
            for what in ["set", "cleared"] {
                ids.push(format!("brevo:no_show:{what}:{key}:{tag}"));
            }
            if !names.no_show.is_empty() {
                ids.push(format!("brevo:event:{}:{key}:{tag}", names.no_show));
            }
        }
    }
    let mut kinds: Vec<String> = EVENT_SMS.iter().map(|k| (*k).to_owned()).collect();
    if let Some(b) = b {
        kinds.extend(
            b.reminders
                .iter()
                .map(|r| format!("rem-{}", r.kind.label())),
        );
    }
    for name in [&names.sms_delivered, &names.sms_failed] {
        if !name.is_empty() {
            ids.extend(
                kinds
                    .iter()
                    .map(|k| format!("brevo:event:{name}:{key}:{k}")),
            );
        }
    }
    let mut seen = BTreeSet::new();
    ids.retain(|i| seen.insert(i.clone()));
    ids
}

/// One SMS to read: its marker kind, its job id, and (a reminder) its record's state and due time.
type SmsRow = (String, String, Option<(ReminderState, i64)>);

/// The SMS of booking `key`: every event SMS with anything recorded, and every reminder.
async fn sms(
    client: &QueueClient,
    key: &str,
    b: Option<&Booking>,
    reveal: bool,
) -> Result<Vec<SmsView>, redis::RedisError> {
    let mut rows: Vec<SmsRow> = EVENT_SMS
        .iter()
        .map(|k| ((*k).to_owned(), format!("sms:{k}:{key}"), None))
        .collect();
    if let Some(b) = b {
        for r in &b.reminders {
            rows.push((
                format!("rem-{}", r.kind.label()),
                r.id.clone(),
                Some((r.state, r.due_at.timestamp_millis())),
            ));
        }
    }
    let keys = client.keys();
    let mut pipe = redis::pipe();
    for (kind, _, _) in &rows {
        pipe.cmd("GET").arg(keys.sms_marker(key, kind));
        pipe.cmd("HGETALL").arg(keys.sms_delivery(key, kind));
    }
    let mut conn = client.redis();
    let replies: Vec<(Option<String>, HashMap<String, String>)> =
        pipe.query_async(&mut conn).await?;
    let ids: Vec<String> = rows.iter().map(|(_, id, _)| id.clone()).collect();
    let found = jobs(client, &ids, reveal).await?;
    let mut out = Vec::new();
    for (((kind, _, reminder), (marker, d)), job) in rows.into_iter().zip(replies).zip(found) {
        let delivery = d.get("status").map(|status| Delivery {
            status: status.clone(),
            error_code: d.get("error_code").cloned(),
            message_id: d.get("message_id").cloned(),
            updated_ms: d.get("updated_ms").and_then(|v| v.parse().ok()),
        });
        let marker = marker.map(|m| match m.split(':').next() {
            Some("sending") => "sending".to_owned(),
            _ => m,
        });
        if reminder.is_none() && marker.is_none() && delivery.is_none() && job.is_none() {
            continue;
        }
        let state = sms_state(
            reminder.map(|r| r.0),
            delivery.as_ref(),
            marker.as_deref(),
            job.as_ref(),
        );
        out.push(SmsView {
            kind,
            state,
            reminder_state: reminder.map(|r| r.0.as_str().to_owned()),
            due_ms: reminder.map(|r| r.1),
            delivery,
            marker,
            job,
        });
    }
    Ok(out)
}

/// One state from what is recorded, the most telling first: the delivery callbacks, the
/// at-most-once marker, the reminder record, then the job.
pub fn sms_state(
    reminder: Option<ReminderState>,
    delivery: Option<&Delivery>,
    marker: Option<&str>,
    job: Option<&JobView>,
) -> SmsState {
    if let Some(d) = delivery {
        return match d.status.as_str() {
            "delivered" => SmsState::Delivered,
            "sent_failed" | "delivered_failed" | "target_invalid" => SmsState::Failed,
            _ => SmsState::Sent,
        };
    }
    match marker {
        Some("sent") => return SmsState::Sent,
        Some("suppressed") => return SmsState::Suppressed,
        Some("sending") => return SmsState::PossiblySent,
        _ => {}
    }
    match reminder {
        Some(ReminderState::Planned) => return SmsState::Planned,
        Some(ReminderState::Dropped) => return SmsState::StaleDropped,
        Some(ReminderState::Canceled) => return SmsState::Canceled,
        Some(ReminderState::Enqueued) | None => {}
    }
    match job.map(|j| j.state.as_str()) {
        Some("dead") => SmsState::Failed,
        Some("done") | None => SmsState::NotSent,
        Some(_) => SmsState::Queued,
    }
}

/// The jobs `ids` (`None` for ids not stored), one pipeline.
pub async fn jobs(
    client: &QueueClient,
    ids: &[String],
    reveal: bool,
) -> Result<Vec<Option<JobView>>, redis::RedisError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    const FIELDS: [&str; 8] = [
        "queue",
        "state",
        "attempts",
        "max_attempts",
        "created_ms",
        "done_ms",
        "dead_ms",
        "possibly_sent",
    ];
    let keys = client.keys();
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("HMGET").arg(keys.job(id)).arg(&FIELDS[..]);
        pipe.cmd("LRANGE").arg(keys.job_errors(id)).arg(-1).arg(-1);
    }
    let mut conn = client.redis();
    let replies: Vec<(Vec<Option<String>>, Vec<String>)> = pipe.query_async(&mut conn).await?;
    Ok(ids
        .iter()
        .zip(replies)
        .map(|(id, (f, errors))| job_view(id, &f, errors.last(), reveal))
        .collect())
}

fn job_view(
    id: &str,
    f: &[Option<String>],
    last_error: Option<&String>,
    reveal: bool,
) -> Option<JobView> {
    let field = |i: usize| f.get(i).cloned().flatten();
    let num = |i: usize| field(i).and_then(|v| v.parse::<i64>().ok());
    let stored = field(1)?;
    let state = match stored.as_str() {
        "delayed" => "scheduled",
        "running" => "inflight",
        other => other,
    }
    .to_owned();
    let possibly_sent = field(7).is_some();
    let actions: Vec<&'static str> = match state.as_str() {
        "dead" if possibly_sent => vec!["resend", "delete"],
        "dead" => vec!["replay", "delete"],
        "scheduled" | "retrying" => vec!["run-now", "cancel"],
        "ready" => vec!["cancel"],
        _ => Vec::new(),
    };
    let last_error = last_error
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .map(|e| {
            let message = e["message"].as_str().unwrap_or_default();
            let message = if reveal {
                message.to_owned()
            } else {
                mask::text(message)
            };
            format!(
                "{}: {}",
                e["class"].as_str().unwrap_or("error"),
                shorten(&message, ERROR_CHARS)
            )
        });
    Some(JobView {
        id: id.to_owned(),
        queue: field(0).unwrap_or_default(),
        state,
        attempts: num(2).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        max_attempts: num(3).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        created_ms: num(4),
        done_ms: num(5),
        dead_ms: num(6),
        last_error,
        possibly_sent,
        actions,
    })
}

/// The suppression list entries of `emails` and `phones`.
async fn suppressed(
    client: &QueueClient,
    emails: &BTreeSet<String>,
    phones: &BTreeSet<String>,
    reveal: bool,
) -> Result<Vec<SuppressedView>, redis::RedisError> {
    let targets: Vec<Target> = phones
        .iter()
        .map(|p| Target::Phone(p.clone()))
        .chain(emails.iter().map(|e| Target::Email(e.clone())))
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = redis::cmd("HMGET");
    cmd.arg(client.keys().sms_suppression());
    for t in &targets {
        cmd.arg(t.field());
    }
    let mut conn = client.redis();
    let values: Vec<Option<String>> = cmd.query_async(&mut conn).await?;
    Ok(targets
        .iter()
        .zip(values)
        .filter_map(|(t, v)| {
            let v = v?;
            let (scope, at) = v.split_once(':').unwrap_or((v.as_str(), ""));
            let value = match (t, reveal) {
                (_, true) => t.value().to_owned(),
                (Target::Phone(p), false) => redact::phone(p),
                (Target::Email(e), false) => redact::email(e),
            };
            Some(SuppressedView {
                kind: t.kind(),
                value,
                scope: scope.to_owned(),
                added_ms: at.parse().ok(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lookups_read_what_operators_type() {
        assert_eq!(
            Lookup::parse(" Jordan.Rivera@Example.com ", None),
            Ok(Lookup::Email("jordan.rivera@example.com".into()))
        );
        assert_eq!(
            Lookup::parse("(415) 555-0132", Some("US")),
            Ok(Lookup::Phone("+14155550132".into()))
        );
        assert_eq!(
            Lookup::parse("+1 415-555-0132", None),
            Ok(Lookup::Phone("+14155550132".into()))
        );
        assert_eq!(
            Lookup::parse("(415) 555-0132", None),
            Err(LookupError::NotUnderstood),
            "a national number needs sms.default_region"
        );
        let uri = "https://api.calendly.com/scheduled_events/e1/invitees/9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e";
        assert_eq!(
            Lookup::parse(uri, None),
            Ok(Lookup::Booking(BookingKey::from_invitee_uri(uri)))
        );
        assert_eq!(
            Lookup::parse("9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e", None)
                .unwrap()
                .kind(),
            "booking"
        );
        assert_eq!(
            Lookup::parse("https://api.calendly.com/scheduled_events/e1", None)
                .unwrap()
                .kind(),
            "event"
        );
        assert_eq!(Lookup::parse("  ", None), Err(LookupError::Empty));
        assert_eq!(Lookup::Phone("+14155550132".into()).masked(), "+1415***32");
    }

    #[test]
    fn an_sms_state_prefers_what_the_provider_reported() {
        let d = |s: &str| Delivery {
            status: s.into(),
            ..Delivery::default()
        };
        let planned = Some(ReminderState::Planned);
        let enqueued = Some(ReminderState::Enqueued);
        assert_eq!(sms_state(planned, None, None, None), SmsState::Planned);
        assert_eq!(
            sms_state(Some(ReminderState::Dropped), None, None, None),
            SmsState::StaleDropped
        );
        assert_eq!(
            sms_state(enqueued, Some(&d("delivered")), Some("sent"), None),
            SmsState::Delivered
        );
        assert_eq!(
            sms_state(enqueued, Some(&d("delivered_failed")), None, None),
            SmsState::Failed
        );
        assert_eq!(
            sms_state(None, Some(&d("accepted")), None, None),
            SmsState::Sent
        );
        assert_eq!(
            sms_state(None, None, Some("suppressed"), None),
            SmsState::Suppressed
        );
        assert_eq!(
            sms_state(None, None, Some("sending"), None),
            SmsState::PossiblySent
        );
        assert_eq!(sms_state(enqueued, None, None, None), SmsState::NotSent);
    }
}
