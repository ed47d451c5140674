//! Zoom webhook envelope (`{event, event_ts, payload: {account_id, object}}`) and its events.
//!
//! [`head`] reads the event name, the `url_validation` challenge and the identity fields from any
//! JSON object; [`parse`] reads the typed object of the events meetflow acts on.

use serde::Deserialize;

use super::error::EventError;
use super::lenient::{Lenient, Obj};
use super::zoom_objects::{MeetingObject, ParticipantObject, Recording, RegistrationObject};

/// `endpoint.url_validation`: the CRC challenge, answered by ingest and never enqueued.
pub const URL_VALIDATION: &str = "endpoint.url_validation";
/// `meeting.ended`.
pub const MEETING_ENDED: &str = "meeting.ended";
/// `webinar.ended`.
pub const WEBINAR_ENDED: &str = "webinar.ended";
/// `meeting.participant_joined`.
pub const MEETING_PARTICIPANT_JOINED: &str = "meeting.participant_joined";
/// `webinar.participant_joined`.
pub const WEBINAR_PARTICIPANT_JOINED: &str = "webinar.participant_joined";
/// `webinar.registration_created`.
pub const WEBINAR_REGISTRATION_CREATED: &str = "webinar.registration_created";
/// `recording.completed`.
pub const RECORDING_COMPLETED: &str = "recording.completed";

/// The fields of a Zoom delivery that intake needs, read from any JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoomHead {
    /// Envelope `event` (non-empty).
    pub event: String,
    /// Envelope `event_ts` (ms), as text.
    pub event_ts: Option<String>,
    /// `payload.plainToken` of `endpoint.url_validation`.
    pub plain_token: Option<String>,
    /// `payload.object.id` (string or number, as text).
    pub object_id: Option<String>,
    /// `payload.object.uuid`.
    pub object_uuid: Option<String>,
    /// `payload.object.participant`: `participant_uuid`, `user_id`, `id`, `join_time`, `leave_time`.
    pub participant: [Option<String>; 5],
    /// `payload.object.registrant.id`.
    pub registrant_id: Option<String>,
}

/// A parsed Zoom delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomDelivery {
    /// Event name as sent.
    pub name: String,
    /// Envelope `event_ts` in ms since the epoch.
    pub event_ts: Option<i64>,
    /// `payload.account_id`.
    pub account_id: Option<String>,
    /// Top-level `download_token` (`recording.completed`).
    pub download_token: Option<String>,
    /// The typed event.
    pub event: ZoomEvent,
}

/// The Zoom events meetflow acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoomEvent {
    /// `endpoint.url_validation` with its `plainToken`.
    UrlValidation {
        /// The token to hash and echo back.
        plain_token: String,
    },
    /// `meeting.ended`.
    MeetingEnded(Box<MeetingObject>),
    /// `webinar.ended` (same object as `meeting.ended`; the id is the webinar id).
    WebinarEnded(Box<MeetingObject>),
    /// `meeting.participant_joined`.
    MeetingParticipantJoined(Box<ParticipantObject>),
    /// `webinar.participant_joined`.
    WebinarParticipantJoined(Box<ParticipantObject>),
    /// `webinar.registration_created`.
    WebinarRegistrationCreated(Box<RegistrationObject>),
    /// `recording.completed`.
    RecordingCompleted(Box<Recording>),
    /// Any other event: acknowledged, not acted on (name in [`ZoomDelivery::name`]).
    Other,
}

#[derive(Deserialize)]
struct RawHead {
    #[serde(default)]
    event: Lenient,
    #[serde(default)]
    event_ts: Lenient,
    #[serde(default)]
    download_token: Lenient,
    #[serde(default)]
    payload: Obj<RawPayload>,
}

#[derive(Deserialize)]
struct RawPayload {
    #[serde(default, rename = "plainToken")]
    plain_token: Lenient,
    #[serde(default)]
    account_id: Lenient,
    #[serde(default)]
    object: Obj<RawObject>,
}

#[derive(Deserialize)]
struct RawObject {
    #[serde(default)]
    id: Lenient,
    #[serde(default)]
    uuid: Lenient,
    #[serde(default)]
    participant: Obj<RawParticipant>,
    #[serde(default)]
    registrant: Obj<RawRegistrant>,
}

#[derive(Deserialize)]
struct RawParticipant {
    #[serde(default)]
    participant_uuid: Lenient,
    #[serde(default)]
    user_id: Lenient,
    #[serde(default)]
    id: Lenient,
    #[serde(default)]
    join_time: Lenient,
    #[serde(default)]
    leave_time: Lenient,
}

#[derive(Deserialize)]
struct RawRegistrant {
    #[serde(default)]
    id: Lenient,
}

#[derive(Deserialize)]
struct Typed<P> {
    payload: TypedPayload<P>,
}

#[derive(Deserialize)]
struct TypedPayload<P> {
    object: P,
}

#[derive(Deserialize)]
struct Challenge {
    payload: ChallengePayload,
}

#[derive(Deserialize)]
struct ChallengePayload {
    #[serde(rename = "plainToken")]
    plain_token: String,
}

fn raw_head(body: &[u8]) -> Result<(RawHead, String), EventError> {
    EventError::read_envelope(body, |h: &RawHead| h.event.0.as_ref())
}

/// Reads the event name, challenge token and identity fields of a Zoom body.
///
/// # Errors
/// [`EventError::Syntax`], [`EventError::NotAnObject`], [`EventError::MissingEventName`].
pub fn head(body: &[u8]) -> Result<ZoomHead, EventError> {
    let (raw, event) = raw_head(body)?;
    let mut head = ZoomHead {
        event,
        event_ts: raw.event_ts.0,
        ..ZoomHead::default()
    };
    let Some(payload) = raw.payload.0 else {
        return Ok(head);
    };
    head.plain_token = payload.plain_token.0;
    let Some(object) = payload.object.0 else {
        return Ok(head);
    };
    head.object_id = object.id.0;
    head.object_uuid = object.uuid.0;
    head.registrant_id = object.registrant.0.and_then(|r| r.id.0);
    if let Some(p) = object.participant.0 {
        head.participant = [
            p.participant_uuid.0,
            p.user_id.0,
            p.id.0,
            p.join_time.0,
            p.leave_time.0,
        ];
    }
    Ok(head)
}

/// Reads a Zoom body into a typed delivery.
///
/// # Errors
/// Those of [`head`], and [`EventError::Shape`] when a modelled event has the wrong shape (e.g. a
/// `url_validation` without `plainToken`, a `participant_joined` without `participant`).
pub fn parse(body: &[u8]) -> Result<ZoomDelivery, EventError> {
    let (raw, name) = raw_head(body)?;
    let event = match name.as_str() {
        URL_VALIDATION => {
            let c: Challenge = typed_value(&name, body)?;
            ZoomEvent::UrlValidation {
                plain_token: c.payload.plain_token,
            }
        }
        MEETING_ENDED => ZoomEvent::MeetingEnded(object(&name, body)?),
        WEBINAR_ENDED => ZoomEvent::WebinarEnded(object(&name, body)?),
        MEETING_PARTICIPANT_JOINED => ZoomEvent::MeetingParticipantJoined(object(&name, body)?),
        WEBINAR_PARTICIPANT_JOINED => ZoomEvent::WebinarParticipantJoined(object(&name, body)?),
        WEBINAR_REGISTRATION_CREATED => ZoomEvent::WebinarRegistrationCreated(object(&name, body)?),
        RECORDING_COMPLETED => ZoomEvent::RecordingCompleted(object(&name, body)?),
        _ => ZoomEvent::Other,
    };
    Ok(ZoomDelivery {
        name,
        event_ts: raw.event_ts.0.and_then(|t| t.parse().ok()),
        account_id: raw.payload.0.and_then(|p| p.account_id.0),
        download_token: raw.download_token.0,
        event,
    })
}

fn object<P: for<'de> Deserialize<'de>>(name: &str, body: &[u8]) -> Result<Box<P>, EventError> {
    typed_value::<Typed<P>>(name, body).map(|t| Box::new(t.payload.object))
}

fn typed_value<T: for<'de> Deserialize<'de>>(name: &str, body: &[u8]) -> Result<T, EventError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| EventError::shape(name, &e))
}
