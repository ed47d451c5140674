//! [`BookingFacts`] from a parsed Calendly invitee (webhook payload or API answer).

use crate::events::Invitee;

use super::{BookingFacts, MessageLinks};

impl BookingFacts {
    /// The facts of `invitee`'s booking, with its phone number already normalised to E.164
    /// (`None`: no usable number, so no reminder is planned). `None` when the payload lacks the
    /// scheduled event or its start/end times (nothing to plan from).
    pub fn from_invitee(invitee: &Invitee, phone_e164: Option<String>) -> Option<Self> {
        let event = invitee.scheduled_event.as_ref()?;
        let name = invitee.name.clone().unwrap_or_else(|| {
            [invitee.first_name.as_deref(), invitee.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        });
        Some(Self {
            invitee_uri: invitee.uri.clone(),
            start: event.start_time?,
            end: event.end_time?,
            timezone: invitee.timezone.clone(),
            phone: phone_e164,
            name,
            email: invitee.email.clone().unwrap_or_default(),
            event_type: event.event_type.clone().unwrap_or_default(),
            event_name: event.name.clone().unwrap_or_default(),
            old_invitee: invitee.old_invitee.clone(),
            links: MessageLinks::from_invitee(invitee),
        })
    }
}
