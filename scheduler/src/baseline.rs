//! The go-live baseline of the Calendly reconciliation (`{ns}:reconcile:baseline`).
//!
//! A business that sets `connectors.calendly.access_token` already has bookings. Without a
//! baseline, the first reconciliation would take each of them for a missed webhook and confirm
//! it (a flood of confirmations, host notices and Brevo `booked` events). The baseline is the time
//! the first reconciliation run started, written once (`SET NX`) and never moved: a booking
//! created before it is *adopted* quietly (synced and planned, never announced); only one
//! created after it whose webhook never came is healed as new. Every replica reads the same
//! value, so replicas and restarts agree on it.

use chrono::{DateTime, Utc};
use meetflow_shared::queue::{QueueClient, QueueError};

/// Read or write the baseline of one installation (namespace).
#[derive(Debug, Clone)]
pub struct Baseline {
    client: QueueClient,
}

impl Baseline {
    /// The baseline under `client`'s namespace.
    pub fn new(client: QueueClient) -> Self {
        Self { client }
    }

    /// The baseline, setting it to `now` if there is none yet (the first run of this
    /// installation). Replicas racing on the first run all read the value that won.
    pub async fn get_or_init(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, QueueError> {
        let key = self.client.keys().reconcile_baseline();
        let mut conn = self.client.redis();
        let _: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(now.timestamp_millis())
            .arg("NX")
            .query_async(&mut conn)
            .await?;
        Ok(self.get().await?.unwrap_or(now))
    }

    /// The stored baseline, if any (a value that is not epoch milliseconds reads as none).
    pub async fn get(&self) -> Result<Option<DateTime<Utc>>, QueueError> {
        let key = self.client.keys().reconcile_baseline();
        let raw: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut self.client.redis())
            .await?;
        Ok(raw
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis))
    }

    /// Set the baseline to `at`, replacing any (operators moving go-live, tests).
    pub async fn set(&self, at: DateTime<Utc>) -> Result<(), QueueError> {
        let key = self.client.keys().reconcile_baseline();
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(at.timestamp_millis())
            .query_async(&mut self.client.redis())
            .await?;
        Ok(())
    }
}
