//! Booking changes from Calendly events: booked, canceled (or rescheduled), no-show.
//!
//! Every change is one Lua script, so a booking and its reminders never disagree, and each is
//! idempotent: a redelivered event changes nothing. Reschedules arrive as two events in either
//! order; both orders end with only the new booking's reminders:
//! - old `invitee.canceled` (rescheduled) first: the old booking is tombstoned `rescheduled`,
//!   its reminders canceled; the new `invitee.created` then records the new booking.
//! - new `invitee.created` (with `old_invitee`) first: it records the new booking *and*, in the
//!   same script, tombstones the old one (so no old reminder fires in between); the old
//!   `invitee.canceled` then finds the tombstone and changes nothing.
//!
//! A tombstone also stops an out-of-order redelivery of `invitee.created` for a canceled
//! invitee from planning reminders again.

use std::collections::HashMap;

use metrics::counter;
use redis::AsyncCommands;

use crate::jobs::sms::SmsKind;

use super::record::{booking_fields, pack_invitee_uri, parse_booking};
use super::scripts::{BOOKED, CANCELED, NO_SHOW};
use super::{
    ApologyChange, Booking, BookingChange, BookingError, BookingFacts, BookingKey, BookingStatus,
    Bookings, CancelOutcome, Engagement, NoShowOutcome, PlannedReminder, ReminderKind,
    ReminderState, plan,
};

/// The booking field set (to `1`) on a booking adopted at go-live.
const ADOPTED: &str = "adopted";

/// [`crate::redis::BOOKING_RETENTION`] in milliseconds.
const RETENTION_MS: i64 = crate::redis::BOOKING_RETENTION.as_millis() as i64;

impl Bookings {
    /// Record a new booking (`invitee.created`) and plan its reminders: one per
    /// `reminders.offsets` before the start and the follow-up after the end, except those whose
    /// time has already passed, and none without a phone number. Idempotent. On the new half of
    /// a reschedule (`old_invitee` set) the old booking is tombstoned in the same step.
    pub async fn booked(&self, facts: &BookingFacts) -> Result<BookingChange, BookingError> {
        self.booked_since(facts, None).await
    }

    /// [`Bookings::booked`], knowing when the booking was made (`booked_at`, Calendly's
    /// `created_at`). A booking processed late (webhook delayed, found by the reconciliation)
    /// also plans the reminders that came due after it was made while meetflow did not know it,
    /// when still useful under the catch-up rules ([`plan::catch_up`]): the latest pre-meeting
    /// reminder while the meeting has not started, the follow-up within
    /// `reminders.follow_up_max_lateness`. They are due at once.
    pub async fn booked_since(
        &self,
        facts: &BookingFacts,
        booked_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<BookingChange, BookingError> {
        self.record(facts, booked_at, false).await
    }

    /// [`Bookings::booked_since`] for a booking the reconciliation adopted quietly at go-live (it
    /// was made before meetflow was there to confirm it). When this call records it, the booking
    /// remembers it ([`Bookings::is_adopted`]), so Calendly's own `invitee.created` arriving
    /// later does not confirm it either.
    pub async fn adopted_since(
        &self,
        facts: &BookingFacts,
        booked_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<BookingChange, BookingError> {
        self.record(facts, booked_at, true).await
    }

    /// Whether the booking was recorded by [`Bookings::adopted_since`].
    pub async fn is_adopted(&self, key: &BookingKey) -> Result<bool, BookingError> {
        let flag: Option<String> = redis::cmd("HGET")
            .arg(self.keys().booking(key.as_str()))
            .arg(ADOPTED)
            .query_async(&mut self.redis.conn())
            .await?;
        Ok(flag.as_deref() == Some("1"))
    }

    async fn record(
        &self,
        facts: &BookingFacts,
        booked_at: Option<chrono::DateTime<chrono::Utc>>,
        adopted: bool,
    ) -> Result<BookingChange, BookingError> {
        let key = BookingKey::from_invitee_uri(&facts.invitee_uri);
        let now = self.clock.now_ms();
        let (start, end) = (facts.start.timestamp_millis(), facts.end.timestamp_millis());
        let tz = super::zone_or(facts.timezone.as_deref(), self.settings.default_timezone);
        // The booking's own workflow (its event type's offsets, follow-up and quiet hours); a
        // reschedule into another event type plans by the new type's.
        let (rules, engagement) = self.rules(Some(&facts.event_type), Some(&facts.event_name));
        let quiet = engagement.quiet_hours.as_ref();
        let all: Vec<(ReminderKind, i64)> = plan::schedule(&rules, start, end)
            .into_iter()
            .map(|(kind, due)| match kind.can_wait() {
                true => (kind, super::after_quiet_hours(due, tz, quiet)),
                false => (kind, due),
            })
            .collect();
        let (mut future, mut past): (Vec<_>, Vec<_>) = all.iter().partition(|(_, due)| *due > now);
        if let Some(booked_at) = booked_at {
            let late = plan::catch_up(&rules, &past, booked_at.timestamp_millis(), start, now);
            past.retain(|r| !late.contains(r));
            future.extend(late);
        }
        let no_phone = facts.phone.is_none();
        let to_plan: Vec<(ReminderKind, i64)> = if no_phone { Vec::new() } else { future };
        let last_useful = all
            .iter()
            .map(|(_, due)| *due)
            .chain([end])
            .max()
            .unwrap_or(end)
            .saturating_add(plan::ms(rules.follow_up_max_lateness));
        let old = facts
            .old_invitee
            .as_deref()
            .map(BookingKey::from_invitee_uri);
        let mut fields = booking_fields(facts, &key);
        if adopted {
            fields.push((ADOPTED, "1".to_owned()));
        }

        let person = person_tag(&facts.email);
        let mut inv = BOOKED.prepare_invoke();
        inv.key(self.keys().booking(key.as_str()))
            .key(self.keys().reminders_due())
            .key(self.keys().reminders_claimed())
            .key(
                self.keys()
                    .person_bookings(person.as_deref().unwrap_or("-")),
            );
        if let Some(old) = &old {
            inv.key(self.keys().booking(old.as_str()));
        }
        inv.arg(key.as_str())
            .arg(self.clock.script_arg())
            .arg(last_useful.saturating_add(RETENTION_MS))
            .arg(now.saturating_add(RETENTION_MS))
            .arg(old.as_ref().map_or("", BookingKey::as_str))
            .arg(key.as_str())
            .arg(if person.is_some() { "1" } else { "0" })
            .arg(self.keys().booking_prefix())
            .arg(fields.len());
        for (f, v) in &fields {
            inv.arg(*f).arg(v);
        }
        for (kind, due) in &to_plan {
            inv.arg(kind.label()).arg(*due);
        }
        let reply: Vec<String> = inv.invoke_async(&mut self.redis.conn()).await?;
        let (main, old_part) = split_reply(&reply);
        if old_part.is_some() {
            self.after_cancel(old_part, "rescheduled").await;
        }
        if let Some(old) = &old {
            self.withdraw_event_sms(old).await;
        }
        let called_off: Vec<&str> = main.iter().filter_map(|s| s.strip_prefix('~')).collect();
        for id in &called_off {
            counter!("meetflow_reminders_canceled_total", "cause" => "rebooked").increment(1);
            tracing::info!(reminder.id = %id, "win-back called off: the person booked again");
            self.take_back(id).await;
        }
        match main.first().map(String::as_str) {
            Some("recorded") => {
                let planned: Vec<PlannedReminder> = to_plan
                    .iter()
                    .filter(|(kind, _)| main[1..].contains(&kind.label()))
                    .map(|(kind, due)| planned(&key, *kind, *due))
                    .collect();
                for r in &planned {
                    counter!("meetflow_reminders_planned_total", "kind" => r.kind.label())
                        .increment(1);
                }
                let skipped_past = past.iter().map(|(kind, _)| *kind).collect();
                Ok(BookingChange::Recorded {
                    key,
                    planned,
                    skipped_past,
                    no_phone,
                })
            }
            Some("duplicate") => Ok(BookingChange::Duplicate { key }),
            Some("tombstone") => {
                let status = main
                    .get(1)
                    .and_then(|s| BookingStatus::parse(s))
                    .unwrap_or(BookingStatus::Canceled);
                Ok(BookingChange::AlreadyEnded { key, status })
            }
            _ => Err(BookingError::Protocol(format!("booked: {reply:?}"))),
        }
    }

    /// Cancel a booking (`invitee.canceled`): every pending reminder and follow-up is removed
    /// and the booking becomes a `canceled` (or, with `rescheduled`, `rescheduled`) tombstone.
    /// Reminders already on the SMS queue are cancelled there when still pending. Idempotent;
    /// works for a booking never seen (the tombstone blocks a late `invitee.created`).
    pub async fn canceled(
        &self,
        invitee_uri: &str,
        rescheduled: bool,
        new_invitee: Option<&str>,
    ) -> Result<CancelOutcome, BookingError> {
        self.canceled_by(invitee_uri, rescheduled, new_invitee, &Person::default())
            .await
    }

    /// [`Bookings::canceled`], knowing who cancelled: a plain cancellation also plans the win-back
    /// SMS (`engagement.win_back_after` later, after quiet hours in `who`'s time zone) unless the
    /// flow is off, the booking has no phone number, or `who` has another booking still ahead.
    /// A later booking by `who` calls the win-back off.
    pub async fn canceled_by(
        &self,
        invitee_uri: &str,
        rescheduled: bool,
        new_invitee: Option<&str>,
        who: &Person<'_>,
    ) -> Result<CancelOutcome, BookingError> {
        let key = BookingKey::from_invitee_uri(invitee_uri);
        let now = self.clock.now_ms();
        let (_, engagement) = self.rules(who.event_type, who.event_name);
        let win_back_due = engagement
            .win_back_after
            .filter(|_| {
                !rescheduled
                    && (!who.canceled_by_host || engagement.win_back_after_host_cancellation)
            })
            .map(|after| {
                self.hold(
                    now.saturating_add(plan::ms(after)),
                    who.timezone,
                    &engagement,
                )
            });
        let person = who.email.and_then(person_tag);
        let status = if rescheduled {
            BookingStatus::Rescheduled
        } else {
            BookingStatus::Canceled
        };
        let reply: Vec<String> = CANCELED
            .key(self.keys().booking(key.as_str()))
            .key(self.keys().reminders_due())
            .key(self.keys().reminders_claimed())
            .key(
                self.keys()
                    .person_bookings(person.as_deref().unwrap_or("-")),
            )
            .arg(key.as_str())
            .arg(self.clock.script_arg())
            .arg(now.saturating_add(RETENTION_MS))
            .arg(status.as_str())
            .arg(
                new_invitee
                    .map(BookingKey::from_invitee_uri)
                    .as_ref()
                    .map_or("", BookingKey::as_str),
            )
            .arg(pack_invitee_uri(invitee_uri, &key))
            .arg(win_back_due.map_or_else(String::new, |d| d.to_string()))
            .arg(win_back_due.unwrap_or(now).saturating_add(RETENTION_MS))
            .arg(self.keys().booking_prefix())
            .invoke_async(&mut self.redis.conn())
            .await?;
        let win_back_planned = reply.last().is_some_and(|s| s == "+winback");
        let reply = &reply[..reply.len() - usize::from(win_back_planned)];
        let (n, already_enqueued) = self.after_cancel(Some(reply), status.as_str()).await;
        self.withdraw_event_sms(&key).await;
        if win_back_planned {
            counter!("meetflow_reminders_planned_total", "kind" => ReminderKind::WinBack.label())
                .increment(1);
        }
        Ok(CancelOutcome {
            key,
            reminders_canceled: n.unwrap_or(0),
            already_enqueued,
            already_ended: n.is_none(),
            win_back_planned,
        })
    }

    /// Mark (`set`) or unmark an invitee as no-show (`invitee_no_show.created` / `.deleted`):
    /// removes the pending follow-up, or plans it again (it is then sent if still within
    /// `reminders.follow_up_max_lateness`). Idempotent.
    pub async fn no_show(
        &self,
        invitee_uri: &str,
        set: bool,
    ) -> Result<NoShowOutcome, BookingError> {
        self.no_show_in(invitee_uri, set, None).await
    }

    /// [`Bookings::no_show`], knowing the invitee's time zone: a mark also plans the apology SMS
    /// (`engagement.no_show_after` later, after quiet hours in `timezone`) unless the flow is off
    /// or the booking has no phone number; an unmark calls it off if not yet sent.
    pub async fn no_show_in(
        &self,
        invitee_uri: &str,
        set: bool,
        timezone: Option<&str>,
    ) -> Result<NoShowOutcome, BookingError> {
        let key = BookingKey::from_invitee_uri(invitee_uri);
        let now = self.clock.now_ms();
        let engagement = match (set, &self.workflows) {
            // The apology follows the booking's event type workflow.
            (true, Some(_)) => {
                let booking = self.get(&key).await?;
                let b = booking.as_ref();
                self.rules(
                    b.and_then(|b| b.event_type.as_deref()),
                    b.and_then(|b| b.event_name.as_deref()),
                )
                .1
            }
            _ => self.engagement.clone(),
        };
        let apology_due = engagement
            .no_show_after
            .filter(|_| set)
            .map(|after| self.hold(now.saturating_add(plan::ms(after)), timezone, &engagement));
        let (outcome, changed, apology): (String, i64, String) = NO_SHOW
            .key(self.keys().booking(key.as_str()))
            .key(self.keys().reminders_due())
            .key(self.keys().reminders_claimed())
            .arg(key.as_str())
            .arg(self.clock.script_arg())
            .arg(if set { "1" } else { "0" })
            .arg(now.saturating_add(RETENTION_MS))
            .arg(pack_invitee_uri(invitee_uri, &key))
            .arg(apology_due.map_or_else(String::new, |d| d.to_string()))
            .arg(apology_due.unwrap_or(now).saturating_add(RETENTION_MS))
            .invoke_async(&mut self.redis.conn())
            .await?;
        let follow_up_changed = changed == 1;
        if follow_up_changed && set {
            counter!("meetflow_reminders_canceled_total", "cause" => "no_show").increment(1);
        }
        let apology = match apology.as_str() {
            "" => ApologyChange::None,
            "planned" => {
                counter!("meetflow_reminders_planned_total", "kind" => ReminderKind::NoShow.label())
                    .increment(1);
                ApologyChange::Planned
            }
            enqueued => {
                counter!("meetflow_reminders_canceled_total", "cause" => "no_show_removed")
                    .increment(1);
                if enqueued != "called_off" {
                    self.take_back(enqueued).await;
                }
                ApologyChange::CalledOff
            }
        };
        Ok(match outcome.as_str() {
            "set" | "cleared" => NoShowOutcome::Changed {
                follow_up_changed,
                apology,
            },
            "placeholder" => NoShowOutcome::Remembered,
            _ => NoShowOutcome::Unchanged,
        })
    }

    /// The stored state of a booking (also tombstones), with its reminders.
    pub async fn get(&self, key: &BookingKey) -> Result<Option<Booking>, BookingError> {
        let fields: HashMap<String, String> = self
            .redis
            .conn()
            .hgetall(self.keys().booking(key.as_str()))
            .await?;
        Ok(parse_booking(key, fields))
    }

    /// Whether meetflow has seen this invitee at all (booked, canceled or no-show): what the
    /// periodic reconciliation checks before healing a missed webhook.
    pub async fn seen(&self, invitee_uri: &str) -> Result<bool, BookingError> {
        let key = BookingKey::from_invitee_uri(invitee_uri);
        Ok(self
            .redis
            .conn()
            .exists(self.keys().booking(key.as_str()))
            .await?)
    }

    /// Count and clean up after a cancel script's `{n, enqueued ids...}` (or `{-1}`): returns
    /// the number cancelled (`None` = was already ended) and the ids already on the SMS queue.
    async fn after_cancel(
        &self,
        reply: Option<&[String]>,
        cause: &'static str,
    ) -> (Option<usize>, Vec<String>) {
        let Some((first, ids)) = reply.and_then(<[String]>::split_first) else {
            return (None, Vec::new());
        };
        let n = first
            .parse::<i64>()
            .ok()
            .and_then(|n| usize::try_from(n).ok());
        if let Some(n) = n {
            counter!("meetflow_reminders_canceled_total", "cause" => cause).increment(n as u64);
        }
        for id in ids {
            self.take_back(id).await;
        }
        (n, ids.to_vec())
    }

    /// Withdraws the pending confirmation and host notice of a booking that was cancelled or
    /// moved, like its reminders. Best effort: the SMS handler checks every SMS against the
    /// booking before sending anyway.
    async fn withdraw_event_sms(&self, key: &BookingKey) {
        for kind in [SmsKind::Confirmation, SmsKind::HostNotify] {
            let id = format!("sms:{kind}:{key}");
            match self.queue.cancel(&id).await {
                Ok(true) => {
                    counter!("meetflow_sms_withdrawn_total", "kind" => kind.as_str()).increment(1);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::debug!(job.id = %id, error = %e, "could not withdraw a pending SMS job");
                }
            }
        }
    }

    /// Cancels the SMS job of a reminder that was called off after it was enqueued, if still
    /// pending. Best effort: the SMS handler re-checks the booking before sending anyway.
    async fn take_back(&self, id: &str) {
        if let Err(e) = self.queue.cancel(id).await {
            tracing::debug!(reminder.id = %id, error = %e, "could not cancel an enqueued reminder job");
        }
    }
}

impl Bookings {
    /// `due_ms`, moved past quiet hours in `timezone` (the default zone when unknown).
    fn hold(&self, due_ms: i64, timezone: Option<&str>, engagement: &Engagement) -> i64 {
        let tz = super::zone_or(timezone, self.settings.default_timezone);
        super::after_quiet_hours(due_ms, tz, engagement.quiet_hours.as_ref())
    }
}

/// Who a booking change is about, as far as the engagement flows care.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person<'a> {
    /// The invitee's e-mail address: another booking with it (ahead, or made later) means no
    /// win-back.
    pub email: Option<&'a str>,
    /// The invitee's IANA time zone (for quiet hours).
    pub timezone: Option<&'a str>,
    /// The host (not the invitee) cancelled: no invitee win-back ("you cancelled, book again"
    /// would blame the person who was let down) unless the workflow's
    /// `win_back_after_host_cancellation` says so.
    pub canceled_by_host: bool,
    /// The booking's event type URI: the win-back follows its workflow.
    pub event_type: Option<&'a str>,
    /// The booking's event type name (matches a mapping by name when the URI does not).
    pub event_name: Option<&'a str>,
}

/// The person tag of an e-mail address ([`crate::domain::email_tag`]), `None` when empty.
pub(super) fn person_tag(email: &str) -> Option<String> {
    (!email.trim().is_empty()).then(|| crate::domain::email_tag(email))
}

fn planned(key: &BookingKey, kind: ReminderKind, due: i64) -> PlannedReminder {
    PlannedReminder {
        id: PlannedReminder::id_for(key, kind),
        booking: key.clone(),
        kind,
        due_at: chrono::DateTime::from_timestamp_millis(due).unwrap_or_default(),
        state: ReminderState::Planned,
    }
}

/// Split a `booked` reply at the `|` marker into its own part and the old booking's part.
fn split_reply(reply: &[String]) -> (&[String], Option<&[String]>) {
    match reply.iter().position(|s| s == "|") {
        Some(i) => (&reply[..i], Some(&reply[i + 1..])),
        None => (reply, None),
    }
}
