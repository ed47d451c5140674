//! Calendly payload objects: the invitee (with its scheduled event) and the routing form submission.
//!
//! Field list and nullability from `docs/providers.md` section 1.2. Everything a delivery may omit
//! is an `Option` or a list that reads `null` as empty; unknown fields are ignored so new Calendly
//! fields never break intake.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lenient::{any_obj, any_text, null_as_empty, opt_time};
use super::meeting_id::MeetingId;

/// The invitee of `invitee.created`, `invitee.canceled` and `invitee_no_show.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitee {
    /// `https://api.calendly.com/scheduled_events/{event}/invitees/{invitee}`: the booking key.
    pub uri: String,
    /// Invitee email as typed by the invitee.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Only when the event type asks first and last name separately.
    pub first_name: Option<String>,
    /// Only when the event type asks first and last name separately.
    pub last_name: Option<String>,
    /// `active` or `canceled`.
    pub status: Option<String>,
    /// IANA time zone of the invitee.
    pub timezone: Option<String>,
    /// Scheduled event URI.
    pub event: Option<String>,
    /// When the invitee booked.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last change of the invitee.
    #[serde(default, deserialize_with = "opt_time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Answers to the booking questions, in form order.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub questions_and_answers: Vec<QuestionAndAnswer>,
    /// UTM and Salesforce tracking values.
    pub tracking: Option<Tracking>,
    /// Phone for SMS reminders, human-formatted (`"+1 415-555-0132"`), not E.164: normalise first.
    pub text_reminder_number: Option<String>,
    /// `true` on the old invitee of a reschedule.
    pub rescheduled: Option<bool>,
    /// URI of the invitee this one replaces (reschedule, new half).
    pub old_invitee: Option<String>,
    /// URI of the invitee that replaces this one (reschedule, old half).
    pub new_invitee: Option<String>,
    /// Link the invitee uses to cancel.
    pub cancel_url: Option<String>,
    /// Link the invitee uses to reschedule.
    pub reschedule_url: Option<String>,
    /// Routing form submission URI, when the booking came through one.
    pub routing_form_submission: Option<String>,
    /// Present only once canceled.
    pub cancellation: Option<Cancellation>,
    /// Payment, for paid event types.
    pub payment: Option<Payment>,
    /// Set by `invitee_no_show.created`.
    pub no_show: Option<NoShow>,
    /// Reconfirmation request, if the event type uses it.
    pub reconfirmation: Option<Reconfirmation>,
    /// `instant_book`, `api` or null.
    pub scheduling_method: Option<String>,
    /// User URI when someone booked on the invitee's behalf.
    pub invitee_scheduled_by: Option<String>,
    /// The meeting that was booked.
    pub scheduled_event: Option<ScheduledEvent>,
}

/// One booking question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionAndAnswer {
    /// Question text as configured on the event type.
    pub question: Option<String>,
    /// Answer text (phone-type questions answer with text too).
    pub answer: Option<String>,
    /// 0-based position in the form.
    pub position: Option<i64>,
}

/// UTM and Salesforce tracking values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_content`.
    pub utm_content: Option<String>,
    /// `utm_term`.
    pub utm_term: Option<String>,
    /// Salesforce record id.
    pub salesforce_uuid: Option<String>,
}

/// Who canceled and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Name of the person who canceled.
    pub canceled_by: Option<String>,
    /// Free-text reason.
    pub reason: Option<String>,
    /// `host` or `invitee`.
    pub canceler_type: Option<String>,
    /// When it was canceled.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
}

/// Payment taken at booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// Provider's payment id.
    pub external_id: Option<String>,
    /// `stripe` or `paypal`.
    pub provider: Option<String>,
    /// Amount in `currency`.
    pub amount: Option<f64>,
    /// ISO currency code.
    pub currency: Option<String>,
    /// Payment terms text.
    pub terms: Option<String>,
    /// Whether the payment went through.
    pub successful: Option<bool>,
}

/// A no-show mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoShow {
    /// `https://api.calendly.com/invitee_no_shows/{uuid}`.
    pub uri: Option<String>,
    /// When the host marked the no-show.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
}

/// A reconfirmation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconfirmation {
    /// When the request was sent.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the invitee confirmed, if they did.
    #[serde(default, deserialize_with = "opt_time")]
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// The booked meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledEvent {
    /// Scheduled event URI.
    pub uri: Option<String>,
    /// Event type name, e.g. "Product Demo (30 min)".
    pub name: Option<String>,
    /// `active` or `canceled`.
    pub status: Option<String>,
    /// Start, UTC.
    #[serde(default, deserialize_with = "opt_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// End, UTC.
    #[serde(default, deserialize_with = "opt_time")]
    pub end_time: Option<DateTime<Utc>>,
    /// Event type URI (what `event_mapping` keys on).
    pub event_type: Option<String>,
    /// Where the meeting happens (a value that is not an object reads as `None`).
    #[serde(default, deserialize_with = "any_obj")]
    pub location: Option<Location>,
    /// Seats taken.
    pub invitees_counter: Option<InviteesCounter>,
    /// When the event was created.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last change.
    #[serde(default, deserialize_with = "opt_time")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Hosts.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub event_memberships: Vec<EventMembership>,
    /// Extra guests the invitee added.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub event_guests: Vec<EventGuest>,
    /// Present once the event is canceled.
    pub cancellation: Option<Cancellation>,
    /// Host notes, plain text.
    pub meeting_notes_plain: Option<String>,
}

/// Meeting location; `kind` is Calendly's `type` (`zoom`, `google_conference`,
/// `microsoft_teams_conference`, `webex_conference`, `gotomeeting`, `physical`, `inbound_call`,
/// `outbound_call`, `ask_invitee`, `custom`, and any kind Calendly adds later).
///
/// Every field is read leniently (a wrong-typed value reads as `None`), so no location, known or
/// not, can fail a booking or a reconciliation page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Calendly's location `type`.
    #[serde(rename = "type", default, deserialize_with = "any_text")]
    pub kind: Option<String>,
    /// Address, phone number or free text for physical, call, custom and invitee-chosen locations.
    #[serde(default, deserialize_with = "any_text")]
    pub location: Option<String>,
    /// Join link for conferencing locations.
    #[serde(default, deserialize_with = "any_text")]
    pub join_url: Option<String>,
    /// Conferencing status (`initiated`, `processing`, `pushed`, `failed`).
    #[serde(default, deserialize_with = "any_text")]
    pub status: Option<String>,
    /// Conferencing details; `null` while Calendly is still `processing`.
    #[serde(default, deserialize_with = "any_obj")]
    pub data: Option<LocationData>,
}

/// Conferencing details of a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationData {
    /// The conference provider's id as text: Zoom's meeting number (an integer on the wire),
    /// WebEx's `m04be…`, a Teams id. Only a `zoom` location's id is a [`MeetingId`].
    #[serde(default, deserialize_with = "any_text")]
    pub id: Option<String>,
}

/// Calendly's location `type` of a Zoom meeting.
const ZOOM_LOCATION: &str = "zoom";

impl Location {
    /// The Zoom meeting id of a Zoom location: `data.id`, else the digits after `/j/` in `join_url`.
    /// Any other kind (WebEx, Teams, GoTo, ...) yields `None`, even when its id is all digits; a
    /// location without a `type` yields an id only from a `zoom.us` join link.
    #[must_use]
    pub fn zoom_meeting_id(&self) -> Option<MeetingId> {
        match self.kind.as_deref() {
            Some(ZOOM_LOCATION) => {
                let from_data = self.data.as_ref().and_then(|d| d.id.as_deref());
                from_data
                    .and_then(MeetingId::parse)
                    .or_else(|| self.zoom_join_url_id())
            }
            Some(_) => None,
            None => self.zoom_join_url_id(),
        }
    }

    fn zoom_join_url_id(&self) -> Option<MeetingId> {
        let url = self.join_url.as_deref()?;
        if !url.contains("zoom.us/") {
            return None;
        }
        let tail = url.split("/j/").nth(1)?;
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        MeetingId::parse(&digits)
    }
}

/// Seats taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteesCounter {
    /// Invitees ever booked.
    pub total: Option<i64>,
    /// Invitees still booked.
    pub active: Option<i64>,
    /// Seat limit.
    pub limit: Option<i64>,
}

/// A host of the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMembership {
    /// User URI.
    pub user: Option<String>,
    /// Host email.
    pub user_email: Option<String>,
    /// Host name.
    pub user_name: Option<String>,
}

/// A guest the invitee added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventGuest {
    /// Guest email.
    pub email: Option<String>,
}

/// Payload of `routing_form_submission.created` (organization subscriptions only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingFormSubmission {
    /// Submission URI.
    pub uri: String,
    /// Routing form URI.
    pub routing_form: Option<String>,
    /// Answers.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub questions_and_answers: Vec<RoutingFormAnswer>,
    /// UTM tracking.
    pub tracking: Option<Tracking>,
    /// Where the form routed the person.
    pub result: Option<RoutingFormResult>,
    /// Invitee URI when the person booked.
    pub submitter: Option<String>,
    /// `Invitee` or null.
    pub submitter_type: Option<String>,
    /// When it was submitted.
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
}

/// One routing form answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingFormAnswer {
    /// Question id.
    pub question_uuid: Option<String>,
    /// Question text.
    pub question: Option<String>,
    /// Answer text.
    pub answer: Option<String>,
}

/// Routing result: `kind` is `event_type`, `custom_message`, `external_url`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingFormResult {
    /// Calendly's result `type`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Result value (a URI, or an object for custom messages).
    pub value: Option<serde_json::Value>,
}
