//! Webhook deliveries rebuilt from the Calendly API, for bookings whose webhook never came: the
//! builders live in [`meetflow_shared::jobs::synthetic`] (the backfill's worker uses them too).

pub use meetflow_shared::jobs::synthetic::{webhook_job, webhook_job_at};
pub use meetflow_shared::jobs::webhook::RECONCILE_REQUEST_ID;
