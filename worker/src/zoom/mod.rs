//! The `zoom` queue: a finished meeting's participants read from the Zoom API and synced as
//! attendance ([`attendance`]); a finished webinar's registrants and attendees ([`webinar`]); both
//! wait for Zoom's report when it is not ready yet ([`report_wait`]); the attendance-based no-show
//! check of a booked meeting ([`no_show`]); a finished recording to everyone who should have it
//! ([`recording`]).

pub(crate) mod attendance;
pub(crate) mod no_show;
pub(crate) mod recording;
pub(crate) mod report_wait;
pub(crate) mod webinar;
