//! Which queues a process serves (`--queues`), and whether each can run with the configured
//! credentials.
//!
//! A queue that calls a provider needs that provider's credentials. Without them it may still run
//! against a local stand-in (`meetflow-admin sandbox`, which accepts any key): that is the case
//! when the provider's base URL is a loopback address. Otherwise the queue is refused with a
//! one-line reason: explicitly requested queues stop the process; queues only implied by the
//! default (all) are skipped with a warning, so `meetflow-worker` alone still runs what it can.

use meetflow_shared::config::Settings;
use meetflow_shared::jobs::{ALL_QUEUES, BREVO, EVENTS, SMS, SYNC, ZOOM};

/// A queue name that meetflow does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown queue `{0}` (known queues: events, brevo, sms, zoom, sync)")]
pub struct UnknownQueue(pub String);

/// The queues one process serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSelection {
    names: Vec<&'static str>,
    explicit: bool,
}

impl QueueSelection {
    /// Every queue (the default): queues whose provider is not configured are skipped.
    #[must_use]
    pub fn all() -> Self {
        Self {
            names: ALL_QUEUES.to_vec(),
            explicit: false,
        }
    }

    /// Exactly these queues (`--queues a,b`): a queue that cannot run is an error.
    ///
    /// # Errors
    /// [`UnknownQueue`] for a name that is not a meetflow queue.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownQueue> {
        let mut out: Vec<&'static str> = Vec::new();
        for raw in names {
            let name = raw.as_ref().trim();
            if name.is_empty() {
                continue;
            }
            let known = ALL_QUEUES
                .iter()
                .find(|q| q.eq_ignore_ascii_case(name))
                .ok_or_else(|| UnknownQueue(name.to_owned()))?;
            if !out.contains(known) {
                out.push(known);
            }
        }
        if out.is_empty() {
            return Ok(Self::all());
        }
        Ok(Self {
            names: out,
            explicit: true,
        })
    }

    /// The selected queue names.
    #[must_use]
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }

    /// Whether the queues were named explicitly.
    #[must_use]
    pub fn is_explicit(&self) -> bool {
        self.explicit
    }
}

/// How a provider can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// Credentials are configured.
    Credentials,
    /// No credentials, but the base URL is a local stand-in.
    Sandbox,
    /// Neither: why, in one line.
    Missing(String),
}

impl Access {
    pub(crate) fn usable(&self) -> bool {
        !matches!(self, Self::Missing(_))
    }
}

fn is_loopback(base_url: &str) -> bool {
    match url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Brevo access from `brevo:`.
pub(crate) fn brevo_access(s: &Settings) -> Access {
    if s.brevo.api_key.is_some() {
        Access::Credentials
    } else if is_loopback(&s.brevo.base_url) {
        Access::Sandbox
    } else {
        Access::Missing(
            "brevo.api_key is not set (BREVO_API_KEY) and brevo.base_url is not a local sandbox"
                .into(),
        )
    }
}

/// EngageLab access from `engagelab:`.
pub(crate) fn engagelab_access(s: &Settings) -> Access {
    if s.engagelab.dev_key.is_some() && s.engagelab.dev_secret.is_some() {
        Access::Credentials
    } else if is_loopback(&s.engagelab.base_url) {
        Access::Sandbox
    } else {
        Access::Missing(
            "engagelab.dev_key/dev_secret are not set (ENGAGELAB_DEV_KEY, ENGAGELAB_DEV_SECRET) and engagelab.base_url is not a local sandbox"
                .into(),
        )
    }
}

/// Zoom API access from `connectors.zoom` (there is no Zoom sandbox).
pub(crate) fn zoom_access(s: &Settings) -> Access {
    let z = &s.connectors.zoom;
    if z.account_id.is_some() && z.client_id.is_some() && z.client_secret.is_some() {
        Access::Credentials
    } else {
        Access::Missing(
            "connectors.zoom.account_id/client_id/client_secret are not set (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)"
                .into(),
        )
    }
}

/// Calendly API access from `connectors.calendly` (the backfill's `sync` queue).
pub(crate) fn calendly_access(s: &Settings) -> Access {
    if s.connectors.calendly.access_token.is_some() {
        Access::Credentials
    } else {
        Access::Missing(
            "connectors.calendly.access_token is not set (CALENDLY_ACCESS_TOKEN)".into(),
        )
    }
}

/// Why `queue` cannot run with `settings`, if it cannot.
pub(crate) fn refusal(queue: &str, s: &Settings) -> Option<String> {
    let access = match queue {
        BREVO => brevo_access(s),
        SMS => engagelab_access(s),
        ZOOM => zoom_access(s),
        SYNC => match (calendly_access(s), zoom_access(s)) {
            (Access::Missing(c), Access::Missing(z)) => Access::Missing(format!("{c}; {z}")),
            _ => Access::Credentials,
        },
        EVENTS => Access::Credentials,
        other => Access::Missing(format!("unknown queue `{other}`")),
    };
    match access {
        Access::Missing(why) => Some(why),
        Access::Credentials | Access::Sandbox => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_are_checked_deduplicated_and_default_to_all() {
        let s = QueueSelection::parse(&["sms", "Brevo", "sms"]).unwrap();
        assert_eq!(s.names(), &["sms", "brevo"]);
        assert!(s.is_explicit());
        assert_eq!(
            QueueSelection::parse(&["sms", "mail"]).unwrap_err(),
            UnknownQueue("mail".into())
        );
        let none: [&str; 0] = [];
        assert_eq!(QueueSelection::parse(&none).unwrap(), QueueSelection::all());
    }

    #[test]
    fn queues_need_credentials_unless_the_provider_is_a_local_sandbox() {
        let mut s = Settings::default();
        assert!(refusal(EVENTS, &s).is_none());
        assert!(refusal(BREVO, &s).unwrap().contains("brevo.api_key"));
        assert!(refusal(ZOOM, &s).unwrap().contains("connectors.zoom"));
        s.brevo.base_url = "http://127.0.0.1:8090/v3".into();
        s.engagelab.base_url = "http://localhost:8090/v1".into();
        assert!(refusal(BREVO, &s).is_none());
        assert!(refusal(SMS, &s).is_none());
        s.engagelab.base_url = "https://smsapi.engagelab.com/v1".into();
        assert!(refusal(SMS, &s).is_some());
    }
}
