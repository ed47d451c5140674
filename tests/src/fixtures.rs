//! Provider fixture bodies, exact bytes as on the wire (copied from the shared fixture
//! set into `tests/fixtures/` so the harness does not depend on the checkout layout).
//! Webhook bodies must be sent verbatim: re-serialising breaks their signatures.

/// Calendly `invitee.created` with a formatted phone number and Zoom location.
pub const CALENDLY_INVITEE_CREATED: &str =
    include_str!("../fixtures/calendly/invitee_created.json");
/// Calendly `invitee.created` without a phone number (Google Meet location).
pub const CALENDLY_INVITEE_CREATED_NO_PHONE: &str =
    include_str!("../fixtures/calendly/invitee_created_no_phone.json");
/// Calendly `invitee.canceled` (canceled by the invitee).
pub const CALENDLY_INVITEE_CANCELED: &str =
    include_str!("../fixtures/calendly/invitee_canceled.json");
/// Calendly `invitee_no_show.created` for the invitee of `CALENDLY_INVITEE_CREATED`.
pub const CALENDLY_INVITEE_NO_SHOW_CREATED: &str =
    include_str!("../fixtures/calendly/invitee_no_show_created.json");
/// Zoom `endpoint.url_validation` challenge.
pub const ZOOM_URL_VALIDATION: &str = include_str!("../fixtures/zoom/url_validation.json");
/// Zoom `meeting.ended`.
pub const ZOOM_MEETING_ENDED: &str = include_str!("../fixtures/zoom/meeting_ended.json");
/// Zoom `meeting.participant_joined`.
pub const ZOOM_PARTICIPANT_JOINED: &str = include_str!("../fixtures/zoom/participant_joined.json");
/// Zoom past-meeting participants, page 1 of 2.
pub const ZOOM_PARTICIPANTS_PAGE1: &str =
    include_str!("../fixtures/zoom/past_meeting_participants_page1.json");
/// Zoom past-meeting participants, page 2 of 2 (`next_page_token` empty).
pub const ZOOM_PARTICIPANTS_PAGE2: &str =
    include_str!("../fixtures/zoom/past_meeting_participants_page2.json");
/// Zoom S2S OAuth token response.
pub const ZOOM_TOKEN_RESPONSE: &str = include_str!("../fixtures/zoom/token_response.json");
/// Zoom OAuth 400 `invalid_client`.
pub const ZOOM_TOKEN_INVALID_CLIENT: &str =
    include_str!("../fixtures/zoom/token_error_invalid_client.json");
/// Brevo create-contact request body.
pub const BREVO_CREATE_CONTACT_REQUEST: &str =
    include_str!("../fixtures/brevo/create_contact_request.json");
/// Brevo update-contact request body.
pub const BREVO_UPDATE_CONTACT_REQUEST: &str =
    include_str!("../fixtures/brevo/update_contact_request.json");
/// EngageLab send request body.
pub const ENGAGELAB_SEND_REQUEST: &str = include_str!("../fixtures/engagelab/send_request.json");
/// EngageLab send success body.
pub const ENGAGELAB_SEND_SUCCESS: &str = include_str!("../fixtures/engagelab/send_success.json");
