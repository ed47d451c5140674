//! Provider sample bodies for the tests. Webhook bodies are the exact bytes on the wire (send them
//! verbatim: re-serialising breaks their signatures) and live once, beside the event readers, in
//! `shared/src/events/testdata/`. Request bodies are the shapes the providers document.

/// Calendly `invitee.created` with a formatted phone number and a Zoom location.
pub const CALENDLY_INVITEE_CREATED: &str =
    include_str!("../../shared/src/events/testdata/invitee_created.json");
/// Calendly `invitee.created` without a phone number (Google Meet location, still processing).
pub const CALENDLY_INVITEE_CREATED_NO_PHONE: &str =
    include_str!("../../shared/src/events/testdata/invitee_created_no_phone.json");
/// Calendly `invitee.canceled` (canceled by the invitee).
pub const CALENDLY_INVITEE_CANCELED: &str =
    include_str!("../../shared/src/events/testdata/invitee_canceled.json");
/// Calendly `invitee_no_show.created` for the invitee of `CALENDLY_INVITEE_CREATED`.
pub const CALENDLY_INVITEE_NO_SHOW_CREATED: &str =
    include_str!("../../shared/src/events/testdata/invitee_no_show_created.json");
/// Zoom `endpoint.url_validation` challenge.
pub const ZOOM_URL_VALIDATION: &str =
    include_str!("../../shared/src/events/testdata/zoom_url_validation.json");
/// Zoom `meeting.ended` of the meeting booked in `CALENDLY_INVITEE_CREATED`.
pub const ZOOM_MEETING_ENDED: &str =
    include_str!("../../shared/src/events/testdata/zoom_meeting_ended.json");
/// Zoom `meeting.participant_joined` (the invitee joining that meeting).
pub const ZOOM_PARTICIPANT_JOINED: &str =
    include_str!("../../shared/src/events/testdata/zoom_participant_joined.json");

/// A Brevo `POST /contacts` body (create or update by e-mail).
pub const BREVO_CREATE_CONTACT_REQUEST: &str = r#"{
  "email": "jordan.rivera@example.com",
  "updateEnabled": true,
  "listIds": [7],
  "attributes": {
    "FIRSTNAME": "Jordan",
    "LASTNAME": "Rivera",
    "SMS": "+14155550132",
    "COMPANY": "Northwind Analytics",
    "JOB_TITLE": "Head of Operations"
  },
  "ext_id": "calendly:9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e"
}"#;
/// A Brevo `PUT /contacts/{identifier}` body: attributes, lists to join and a list to leave.
pub const BREVO_UPDATE_CONTACT_REQUEST: &str = r#"{
  "listIds": [7, 12],
  "unlinkListIds": [3],
  "attributes": {
    "FIRSTNAME": "Jordan",
    "LASTNAME": "Rivera",
    "SMS": "+14155550132",
    "COMPANY": "Northwind Analytics",
    "JOB_TITLE": "Head of Operations"
  }
}"#;
/// An EngageLab `POST /v1/messages` body: one recipient, a template with its parameters.
pub const ENGAGELAB_SEND_REQUEST: &str = r#"{
  "to": ["+14155550132"],
  "plan_name": "calendly-demo-reminder",
  "template": {
    "id": "1043277805628207104",
    "params": {
      "name": "Jordan",
      "meeting_time": "Tue 21 Apr, 10:00 AM PDT",
      "join_url": "https://us06web.zoom.us/j/85746065432"
    }
  },
  "custom_args": { "invitee": "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e", "kind": "reminder_24h" }
}"#;
