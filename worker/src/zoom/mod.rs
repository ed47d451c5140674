//! The `zoom` queue: a finished meeting's participants read from the Zoom API and synced as
//! attendance ([`attendance`]); a finished webinar's registrants and attendees ([`webinar`]).

pub(crate) mod attendance;
pub(crate) mod webinar;
