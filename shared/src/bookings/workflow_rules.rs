//! Each booking planned by its event type's workflow: the reminder offsets, follow-up delay,
//! quiet hours and engagement flows of `connectors.calendly.event_mapping.<name>` over the
//! global values ([`crate::config::Settings::workflow`]).

use std::sync::Arc;

use crate::config::{RemindersSettings, Settings};

use super::{Bookings, Engagement};

impl Bookings {
    /// The same store, planning each booking by its event type's workflow in `settings` (the
    /// global `reminders` and engagement flows for an unmapped type).
    pub fn with_workflows(mut self, settings: &Settings) -> Self {
        self.workflows = Some(Arc::new(settings.clone()));
        self
    }

    /// The same store, planning no engagement flow for any booking, whatever its workflow says
    /// (bookings adopted at go-live get no apology).
    pub fn without_engagement(mut self) -> Self {
        self.engagement = Engagement::off();
        self.flows_off = true;
        self
    }

    /// The reminder settings and engagement flows of a booking of event type `event_type`
    /// (URI) named `event_name`.
    pub(super) fn rules(
        &self,
        event_type: Option<&str>,
        event_name: Option<&str>,
    ) -> (RemindersSettings, Engagement) {
        let Some(settings) = &self.workflows else {
            return (self.settings.clone(), self.engagement.clone());
        };
        let wf = settings.workflow(event_type, event_name);
        let reminders = RemindersSettings {
            offsets: wf.offsets.clone(),
            follow_up_after_end: wf.follow_up_after_end,
            follow_up_max_lateness: wf.follow_up_max_lateness,
            ..self.settings.clone()
        };
        let engagement = if self.flows_off {
            Engagement::off()
        } else {
            Engagement::for_workflow(settings, &wf)
        };
        (reminders, engagement)
    }

    /// The reminder settings of `booking`'s event type workflow (its follow-up lateness), else
    /// the store's own: what a due reminder is judged by.
    pub(super) fn rules_of(&self, booking: Option<&super::Booking>) -> RemindersSettings {
        match booking {
            Some(b) if self.workflows.is_some() => {
                self.rules(b.event_type.as_deref(), b.event_name.as_deref())
                    .0
            }
            _ => self.settings.clone(),
        }
    }
}
