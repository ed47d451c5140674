//! How a command reaches meetflow's data: the settings, then a Redis connection that is known to
//! answer (so a wrong `redis.url` fails with one clear line instead of a timeout mid-command).

use anyhow::Context as _;
use meetflow_shared::bookings::Bookings;
use meetflow_shared::config::{Settings, redact_url};
use meetflow_shared::process::layout;
use meetflow_shared::queue::QueueClient;

use crate::Ctx;

/// Settings plus a connected queue client.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The validated settings.
    pub settings: Settings,
    /// The queue client on `redis.url` / `redis.namespace`.
    pub client: QueueClient,
}

impl Backend {
    /// Loads the settings and connects; fails when Redis does not answer PING.
    /// Refuses, like the other binaries, a namespace holding keys of an earlier key layout
    /// (`meetflow-admin migrate` moves them).
    pub async fn connect(ctx: &Ctx) -> anyhow::Result<Self> {
        let settings = ctx.settings()?;
        let client = Self::client(&settings).await?;
        if let Some(refusal) = layout::check(client.handle()).await?.refusal() {
            anyhow::bail!(refusal);
        }
        Ok(Self { settings, client })
    }

    /// A queue client for `settings` that has answered PING.
    pub async fn client(settings: &Settings) -> anyhow::Result<QueueClient> {
        let url = redact_url(&settings.redis.url);
        let client = QueueClient::connect(&settings.redis.url, &settings.redis.namespace)
            .await
            .with_context(|| format!("redis.url {url}"))?;
        client
            .ping()
            .await
            .with_context(|| format!("cannot reach Redis at {url}"))?;
        Ok(client)
    }

    /// The bookings store (reminders) on the same connection.
    pub fn bookings(&self) -> Bookings {
        Bookings::new(
            self.client.handle().clone(),
            self.settings.reminders.clone(),
        )
    }
}
