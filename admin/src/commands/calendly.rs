//! `meetflow-admin calendly ...`: Calendly setup in one command each, instead of a page of curl.
//!
//! - `subscribe --url URL` creates the webhook subscription with a freshly generated signing key
//!   and prints that key once, with the config line to paste; it refuses a second subscription
//!   for the same callback URL.
//! - `subscriptions` lists them with their state (a `disabled` one no longer receives anything),
//!   `unsubscribe URI` deletes one.
//! - `event-types` lists the bookable event types and prints an `event_mapping` block to paste.
//!
//! Every call goes through [`CalendlyClient`] with `connectors.calendly.access_token` and
//! `connectors.calendly.api_base_url`. Calendly's refusals become one line an operator can act on
//! (401: token rejected; 403 on webhooks: a paid plan is needed).

mod event_types;
mod subscriptions;

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand, ValueEnum};
use meetflow_shared::config::Settings;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::calendly_api::{CalendlyClient, CalendlyUser, Scope};

use crate::{Ctx, Out};

/// Bound on each Calendly call.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The events meetflow handles: the default of `subscribe --events`.
pub const DEFAULT_EVENTS: &str =
    "invitee.created,invitee.canceled,invitee_no_show.created,invitee_no_show.deleted";

/// Every event Calendly delivers to webhooks (docs/providers.md §1.1).
const KNOWN_EVENTS: [&str; 14] = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
    "event_type.created",
    "event_type.updated",
    "event_type.deleted",
    "meeting_recap.created",
    "meeting_recap.updated",
    "meeting_recap.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
];

/// `meetflow-admin calendly ...`.
#[derive(Debug, Subcommand)]
pub enum CalendlyCommand {
    /// Create the webhook subscription for meetflow-ingest, with a fresh signing key (printed once).
    Subscribe(SubscribeArgs),
    /// List webhook subscriptions and their state (active, or disabled after 24 h of failures).
    Subscriptions(SubscriptionsArgs),
    /// Delete a webhook subscription (its URI or UUID).
    Unsubscribe(UnsubscribeArgs),
    /// List event types and print an event_mapping block to paste into the config.
    EventTypes(EventTypesArgs),
}

/// Whose bookings a subscription (or listing) covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// The whole organization (needs an organization admin's or owner's token).
    #[default]
    Organization,
    /// Only the token's own user.
    User,
}

impl ScopeArg {
    /// The Calendly scope for the token's user.
    fn scope(self, me: &CalendlyUser) -> Scope {
        match self {
            Self::Organization => Scope::Organization(me.current_organization.clone()),
            Self::User => Scope::User {
                organization: me.current_organization.clone(),
                user: me.uri.clone(),
            },
        }
    }
}

/// `calendly subscribe`.
#[derive(Debug, Args)]
pub struct SubscribeArgs {
    /// The public URL of meetflow-ingest's Calendly route, e.g. https://hooks.example.com/webhooks/calendly.
    #[arg(long)]
    pub url: String,
    /// Organization (every member's bookings) or user (the token's own bookings).
    #[arg(long, value_enum, default_value_t = ScopeArg::Organization)]
    pub scope: ScopeArg,
    /// Comma-separated Calendly events to receive.
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_EVENTS,
          value_parser = PossibleValuesParser::new(KNOWN_EVENTS))]
    pub events: Vec<String>,
}

/// `calendly subscriptions`.
#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    /// Only this scope (default: organization and user).
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `calendly unsubscribe`.
#[derive(Debug, Args)]
pub struct UnsubscribeArgs {
    /// The subscription's URI (from `calendly subscriptions`) or its UUID.
    pub uri: String,
}

/// `calendly event-types`.
#[derive(Debug, Args)]
pub struct EventTypesArgs {
    /// Organization (every member's event types) or user (the token's own).
    #[arg(long, value_enum, default_value_t = ScopeArg::Organization)]
    pub scope: ScopeArg,
}

impl CalendlyCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let api = Api::connect(ctx)?;
        match self {
            Self::Subscribe(args) => subscriptions::subscribe(&api, args, out).await,
            Self::Subscriptions(args) => subscriptions::list(&api, args, out).await,
            Self::Unsubscribe(args) => subscriptions::unsubscribe(&api, args, out).await,
            Self::EventTypes(args) => event_types::run(&api, args, out).await,
        }
    }
}

/// The settings and a client on `connectors.calendly` (also `sync calendly`'s).
pub(crate) struct Api {
    pub(crate) settings: Settings,
    pub(crate) client: CalendlyClient,
}

impl Api {
    pub(crate) fn connect(ctx: &Ctx) -> anyhow::Result<Self> {
        let settings = ctx.settings()?;
        let cal = &settings.connectors.calendly;
        let Some(token) = cal.access_token.clone() else {
            anyhow::bail!(
                "connectors.calendly.access_token is not set (CALENDLY_ACCESS_TOKEN): create a personal access token in Calendly under Integrations > API & Webhooks"
            );
        };
        let base = reqwest::Url::parse(&cal.api_base_url)
            .context("connectors.calendly.api_base_url is not a URL")?;
        let client = CalendlyClient::new(base, token, CALL_TIMEOUT).map_err(explain)?;
        Ok(Self { settings, client })
    }

    /// The token's user and organization (`GET /users/me`).
    pub(crate) async fn me(&self) -> anyhow::Result<CalendlyUser> {
        self.client.users_me().await.map_err(explain)
    }
}

/// A Calendly failure as one line an operator can act on.
pub(crate) fn explain(e: ProviderError) -> anyhow::Error {
    let lower = e.message.to_ascii_lowercase();
    match e.status {
        Some(401) => anyhow!(
            "Calendly: access token rejected (connectors.calendly.access_token / CALENDLY_ACCESS_TOKEN): {}",
            e.message
        ),
        Some(403) if lower.contains("upgrade") || lower.contains("paid") => anyhow!(
            "Calendly webhooks need a paid plan (Standard or above): upgrade the Calendly account that owns the token, then run this again"
        ),
        Some(403) => anyhow!(
            "Calendly: permission denied ({}): {}; organization scope needs an organization admin's or owner's token (or use --scope user)",
            e.operation,
            e.message
        ),
        _ => anyhow!(e),
    }
}
