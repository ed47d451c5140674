//! Workflows per event type: what `connectors.calendly.event_mapping.<name>` may set beside its
//! list (templates, reminder offsets, follow-up delay, quiet hours, locale, Brevo lists and event
//! names), and the effective [`Workflow`] of a booking — each key the mapping leaves unset takes
//! the global value (`engagelab.templates`, `reminders`, `engagement`, `sms.locale`).
//!
//! A booking's event type is matched by URI first, else by name: the mapping's key compared with
//! the event type's name ignoring case and punctuation (`discovery_call` matches
//! "Discovery Call"). An event type without a mapping follows the global workflow. A flow is
//! turned off for one event type by its template set to `""` (e.g. `templates: { win_back: "" }`).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::PhoneSource;
use super::Settings;
use super::connectors::{CalendlySettings, EventMapping};
use super::messaging::{BrevoEvents, SmsTemplates};
use super::values::{QuietHours, opt_duration};

/// `event_mapping.<name>.templates`: a template id per kind; unset = the global one, `""` = off.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateOverrides {
    /// Booking confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    /// Reminder before the meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<String>,
    /// Follow-up after the meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
    /// Cancellation by the invitee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<String>,
    /// Notice to the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_notify: Option<String>,
    /// Win-back after an invitee's cancellation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub win_back: Option<String>,
    /// Apology after a no-show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_show: Option<String>,
    /// To the invitee when the host cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_cancellation: Option<String>,
}

/// `event_mapping.<name>.brevo_events`: Brevo event names; unset = global, `""` = off.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventOverrides {
    /// A booking was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booked: Option<String>,
    /// A booking was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<String>,
    /// A booking was rescheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescheduled: Option<String>,
    /// The invitee was marked no-show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_show: Option<String>,
}

/// A key that may be set (`Some(value)`, where `value` may be `null`) or left unset (`None`).
pub(crate) mod tri_duration {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Duration>>, D::Error> {
        opt_duration::deserialize(d).map(Some)
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<Option<Duration>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        opt_duration::serialize(&v.flatten(), s)
    }
}

/// Like [`tri_duration`], for quiet hours.
pub(crate) mod tri_quiet {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<QuietHours>>, D::Error> {
        Option::<QuietHours>::deserialize(d).map(Some)
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<Option<QuietHours>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.flatten().serialize(s)
    }
}

/// The effective workflow of one event type (or the global one): every value resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    /// The mapping's name; `None` for the global workflow.
    #[serde(skip)]
    pub name: Option<String>,
    /// The mapped event type URI (empty: matched by name).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub event_type_uri: String,
    /// Template id per kind (`""` = that SMS is off).
    pub templates: SmsTemplates,
    /// Reminder offsets before the start.
    #[serde(with = "super::values::duration_list")]
    pub offsets: Vec<Duration>,
    /// Follow-up delay after the end; `None` = no follow-up.
    #[serde(with = "opt_duration")]
    pub follow_up_after_end: Option<Duration>,
    /// Window holding SMS that can wait.
    pub quiet_hours: Option<QuietHours>,
    /// BCP 47 tag of dates, times and `advance`.
    pub locale: String,
    /// Brevo lists the invitee is added to.
    pub lists: Vec<u64>,
    /// Brevo event names.
    pub brevo_events: BrevoEvents,
    /// The SMS consent question (`sms_consent`, else `sms.consent`); `None` = not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_consent: Option<super::ConsentQuestion>,
    /// Where the SMS number is looked for, in order.
    pub phone_sources: Vec<PhoneSource>,
    /// Region of national-format numbers (`None`: only `+<country code>` numbers).
    pub default_region: Option<String>,
    /// A follow-up due longer ago than this is dropped.
    #[serde(with = "super::values::duration")]
    pub follow_up_max_lateness: Duration,
    /// Whether a host's cancellation starts the win-back too.
    pub win_back_after_host_cancellation: bool,
}

fn pick(over: Option<&String>, global: &str) -> String {
    over.map_or_else(|| global.to_owned(), Clone::clone)
}

/// The words of `text`, lower-cased, split at anything that is not a letter or digit (how event
/// type names and question texts are compared with configured keys).
#[must_use]
pub fn name_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl CalendlySettings {
    /// The mapping of an event type: by URI, else by name (see the module docs).
    #[must_use]
    pub fn mapping_for(
        &self,
        event_type_uri: Option<&str>,
        event_name: Option<&str>,
    ) -> Option<(&String, &EventMapping)> {
        let trim = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
        if let Some(uri) = event_type_uri.filter(|u| !u.trim().is_empty()) {
            let uri = trim(uri);
            let by_uri = self.event_mapping.iter().find(|(_, m)| {
                !m.event_type_uri.trim().is_empty() && trim(&m.event_type_uri) == uri
            });
            if by_uri.is_some() {
                return by_uri;
            }
        }
        let name = name_words(event_name?);
        if name.is_empty() {
            return None;
        }
        self.event_mapping
            .iter()
            .find(|(key, _)| name_words(key) == name)
    }
}

impl Settings {
    /// The global workflow: what an event type without a mapping follows.
    #[must_use]
    pub fn global_workflow(&self) -> Workflow {
        Workflow {
            name: None,
            event_type_uri: String::new(),
            templates: self.engagelab.templates.clone(),
            offsets: self.reminders.offsets.clone(),
            follow_up_after_end: self.reminders.follow_up_after_end,
            quiet_hours: self.engagement.quiet_hours,
            locale: self.sms.locale.clone(),
            lists: Vec::new(),
            brevo_events: self.engagement.brevo_events.clone(),
            sms_consent: self.sms.consent.clone(),
            phone_sources: self.sms.phone_sources.clone(),
            default_region: self.sms.region().map(str::to_owned),
            follow_up_max_lateness: self.reminders.follow_up_max_lateness,
            win_back_after_host_cancellation: self.engagement.win_back_after_host_cancellation,
        }
    }

    /// The effective workflow of mapping `name`: its keys over the global values.
    #[must_use]
    pub fn mapped_workflow(&self, name: &str, m: &EventMapping) -> Workflow {
        let g = self.global_workflow();
        let t = &m.templates;
        let gt = &g.templates;
        let e = &m.brevo_events;
        let ge = &g.brevo_events;
        Workflow {
            name: Some(name.to_owned()),
            event_type_uri: m.event_type_uri.clone(),
            templates: SmsTemplates {
                confirmation: pick(t.confirmation.as_ref(), &gt.confirmation),
                cancellation: pick(t.cancellation.as_ref(), &gt.cancellation),
                reminder: pick(t.reminder.as_ref(), &gt.reminder),
                follow_up: pick(t.follow_up.as_ref(), &gt.follow_up),
                host_notify: pick(t.host_notify.as_ref(), &gt.host_notify),
                win_back: pick(t.win_back.as_ref(), &gt.win_back),
                no_show: pick(t.no_show.as_ref(), &gt.no_show),
                host_cancellation: pick(t.host_cancellation.as_ref(), &gt.host_cancellation),
            },
            offsets: m.offsets.clone().unwrap_or(g.offsets),
            follow_up_after_end: m.follow_up_after_end.unwrap_or(g.follow_up_after_end),
            quiet_hours: m.quiet_hours.unwrap_or(g.quiet_hours),
            locale: m.locale.clone().unwrap_or(g.locale),
            lists: m
                .list_id
                .into_iter()
                .chain(m.lists.iter().copied())
                .collect(),
            brevo_events: BrevoEvents {
                booked: pick(e.booked.as_ref(), &ge.booked),
                cancelled: pick(e.cancelled.as_ref(), &ge.cancelled),
                rescheduled: pick(e.rescheduled.as_ref(), &ge.rescheduled),
                no_show: pick(e.no_show.as_ref(), &ge.no_show),
                ..ge.clone()
            },
            sms_consent: m.sms_consent.clone().or(g.sms_consent),
            phone_sources: m.phone_sources.clone().unwrap_or(g.phone_sources),
            default_region: match m.default_region.as_deref().map(str::trim) {
                Some("") => None,
                Some(r) => Some(r.to_owned()),
                None => g.default_region,
            },
            follow_up_max_lateness: m.follow_up_max_lateness.unwrap_or(g.follow_up_max_lateness),
            win_back_after_host_cancellation: m
                .win_back_after_host_cancellation
                .unwrap_or(g.win_back_after_host_cancellation),
        }
    }

    /// The effective workflow of a booking of event type `event_type_uri` named `event_name`:
    /// its mapping's workflow, else the global one. Resolved once per booking where it is planned
    /// and where each SMS is rendered.
    #[must_use]
    pub fn workflow(&self, event_type_uri: Option<&str>, event_name: Option<&str>) -> Workflow {
        match self
            .connectors
            .calendly
            .mapping_for(event_type_uri, event_name)
        {
            Some((name, m)) => self.mapped_workflow(name, m),
            None => self.global_workflow(),
        }
    }

    /// `config check`'s view: the workflow of unmapped event types and every mapped event type's
    /// effective workflow, as YAML.
    #[must_use]
    pub fn effective_workflows_yaml(&self) -> String {
        #[derive(Serialize)]
        struct View {
            unmapped_event_types: Workflow,
            event_types: std::collections::BTreeMap<String, Workflow>,
        }
        let view = View {
            unmapped_event_types: self.global_workflow(),
            event_types: self
                .workflows()
                .into_iter()
                .map(|wf| (wf.name.clone().unwrap_or_default(), wf))
                .collect(),
        };
        serde_saphyr::to_string(&view).unwrap_or_else(|e| {
            format!(
                "# cannot render workflows: {}\n",
                super::error::one_line(&e.to_string())
            )
        })
    }

    /// Every mapped event type's effective workflow, in name order (for `config check`).
    #[must_use]
    pub fn workflows(&self) -> Vec<Workflow> {
        self.connectors
            .calendly
            .event_mapping
            .iter()
            .map(|(name, m)| self.mapped_workflow(name, m))
            .collect()
    }
}

/// An optional duration that cannot be `null` (unset = the global value).
pub(crate) mod opt_duration_value {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        super::super::values::duration::deserialize(d).map(Some)
    }

    pub(crate) fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        super::super::values::duration::serialize(&v.unwrap_or_default(), s)
    }
}

/// Like [`tri_duration`], for an optional list of offsets (`null` is refused: use `[]`).
pub(crate) mod opt_duration_list {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<Duration>>, D::Error> {
        super::super::values::duration_list::deserialize(d).map(Some)
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<Vec<Duration>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        super::super::values::duration_list::serialize(v.as_deref().unwrap_or_default(), s)
    }
}

impl TemplateOverrides {
    /// Nothing set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl EventOverrides {
    /// Nothing set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
