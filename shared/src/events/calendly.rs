//! Calendly webhook envelope (`{created_at, created_by, event, payload}`) and its events.
//!
//! [`head`] reads only what intake needs (event name and identity fields) and accepts any JSON
//! object; [`parse`] reads the typed payload of the events meetflow acts on. Events we do not model
//! (`event_type.*`, `meeting_recap.*`, `contact.*`) parse as [`CalendlyEvent::Other`].

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::calendly_invitee::{Invitee, RoutingFormSubmission};
use super::error::EventError;
use super::lenient::{Lenient, Obj};

/// `invitee.created`: a booking (or the new half of a reschedule).
pub const INVITEE_CREATED: &str = "invitee.created";
/// `invitee.canceled`: a cancellation (or the old half of a reschedule).
pub const INVITEE_CANCELED: &str = "invitee.canceled";
/// `invitee_no_show.created`: the host marked the invitee as a no-show.
pub const INVITEE_NO_SHOW_CREATED: &str = "invitee_no_show.created";
/// `invitee_no_show.deleted`: the no-show mark was removed.
pub const INVITEE_NO_SHOW_DELETED: &str = "invitee_no_show.deleted";
/// `routing_form_submission.created`: a routing form was submitted (booked or not).
pub const ROUTING_FORM_SUBMISSION_CREATED: &str = "routing_form_submission.created";

/// The fields of a Calendly delivery that intake needs, read from any JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendlyHead {
    /// Envelope `event` (non-empty).
    pub event: String,
    /// Envelope `created_at`, verbatim (whole seconds; stable across redeliveries).
    pub created_at: Option<String>,
    /// `payload.uri`: the invitee URI (or the submission URI for routing forms).
    pub subject_uri: Option<String>,
    /// `payload.no_show.uri`, set on no-show events.
    pub no_show_uri: Option<String>,
}

/// A parsed Calendly delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendlyDelivery {
    /// Event name as sent, e.g. `invitee.created`.
    pub name: String,
    /// Envelope `created_at`, when present and a valid timestamp.
    pub created_at: Option<DateTime<Utc>>,
    /// URI of the user who created the webhook subscription.
    pub created_by: Option<String>,
    /// The typed event.
    pub event: CalendlyEvent,
}

/// The Calendly events meetflow acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendlyEvent {
    /// `invitee.created`.
    InviteeCreated(Box<Invitee>),
    /// `invitee.canceled`.
    InviteeCanceled(Box<Invitee>),
    /// `invitee_no_show.created`.
    InviteeNoShowCreated(Box<Invitee>),
    /// `invitee_no_show.deleted`.
    InviteeNoShowDeleted(Box<Invitee>),
    /// `routing_form_submission.created`.
    RoutingFormSubmissionCreated(Box<RoutingFormSubmission>),
    /// Any other event: acknowledged, not acted on (name in [`CalendlyDelivery::name`]).
    Other,
}

impl CalendlyEvent {
    /// The invitee, for the four invitee events.
    #[must_use]
    pub fn invitee(&self) -> Option<&Invitee> {
        match self {
            Self::InviteeCreated(i)
            | Self::InviteeCanceled(i)
            | Self::InviteeNoShowCreated(i)
            | Self::InviteeNoShowDeleted(i) => Some(i),
            Self::RoutingFormSubmissionCreated(_) | Self::Other => None,
        }
    }
}

#[derive(Deserialize)]
struct RawHead {
    #[serde(default)]
    event: Lenient,
    #[serde(default)]
    created_at: Lenient,
    #[serde(default)]
    created_by: Lenient,
    #[serde(default)]
    payload: Obj<RawHeadPayload>,
}

#[derive(Deserialize)]
struct RawHeadPayload {
    #[serde(default)]
    uri: Lenient,
    #[serde(default)]
    no_show: Obj<RawNoShow>,
}

#[derive(Deserialize)]
struct RawNoShow {
    #[serde(default)]
    uri: Lenient,
}

#[derive(Deserialize)]
struct Typed<P> {
    payload: P,
}

fn raw_head(body: &[u8]) -> Result<(RawHead, String), EventError> {
    EventError::read_envelope(body, |h: &RawHead| h.event.0.as_ref())
}

/// Reads the event name and identity fields of a Calendly body.
///
/// # Errors
/// [`EventError::Syntax`] for non-JSON bytes, [`EventError::NotAnObject`], and
/// [`EventError::MissingEventName`] when `event` is absent, empty or not text.
pub fn head(body: &[u8]) -> Result<CalendlyHead, EventError> {
    let (raw, event) = raw_head(body)?;
    let payload = raw.payload.0;
    let no_show_uri = payload
        .as_ref()
        .and_then(|p| p.no_show.0.as_ref()?.uri.0.clone());
    Ok(CalendlyHead {
        event,
        created_at: raw.created_at.0,
        subject_uri: payload.and_then(|p| p.uri.0),
        no_show_uri,
    })
}

/// Reads a Calendly body into a typed delivery.
///
/// # Errors
/// Those of [`head`], and [`EventError::Shape`] when a modelled event's payload has the wrong shape
/// (e.g. an invitee without `uri`).
pub fn parse(body: &[u8]) -> Result<CalendlyDelivery, EventError> {
    let (raw, name) = raw_head(body)?;
    let event = match name.as_str() {
        INVITEE_CREATED => CalendlyEvent::InviteeCreated(typed(&name, body)?),
        INVITEE_CANCELED => CalendlyEvent::InviteeCanceled(typed(&name, body)?),
        INVITEE_NO_SHOW_CREATED => CalendlyEvent::InviteeNoShowCreated(typed(&name, body)?),
        INVITEE_NO_SHOW_DELETED => CalendlyEvent::InviteeNoShowDeleted(typed(&name, body)?),
        ROUTING_FORM_SUBMISSION_CREATED => {
            CalendlyEvent::RoutingFormSubmissionCreated(typed(&name, body)?)
        }
        _ => CalendlyEvent::Other,
    };
    let created_at = raw
        .created_at
        .0
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(CalendlyDelivery {
        name,
        created_at,
        created_by: raw.created_by.0,
        event,
    })
}

fn typed<P: for<'de> Deserialize<'de>>(name: &str, body: &[u8]) -> Result<Box<P>, EventError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, Typed<P>>(de)
        .map(|t| Box::new(t.payload))
        .map_err(|e| EventError::shape(name, &e))
}
