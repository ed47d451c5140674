//! # meetflow-ingest
//!
//! The webhook intake: `POST /webhooks/calendly` and `POST /webhooks/zoom`. It stays thin on
//! purpose: verify the signature over the raw bytes ([`signature`]), read the event name and the
//! delivery's identity, and store one job carrying the untouched body on the `events` queue
//! ([`intake`]). What an event means is decided by the workers.
//!
//! Status codes (`docs/architecture.md`, "Ingest: HTTP answers"): 200 once the job is in Redis or the delivery is a known
//! duplicate; 401 for a missing, malformed, wrong or out-of-window signature (nothing stored); 413
//! for a body over `ingest.max_body_bytes`; 503 when Redis cannot take the job within the request
//! budget, so both providers retry. A signed body that is not an event is kept in the dead-letter
//! store and answered 200.
//!
//! [`startup::Application`] binds the socket (port 0 in tests), [`startup::router`] builds the
//! routes for in-process tests.

mod batcher;
pub mod config;
mod error;
pub mod intake;
mod metrics;
mod routes;
pub mod run;
pub mod signature;
pub mod startup;

pub use config::{IngestConfig, Limits};
pub use error::IngestError;
pub use startup::{AppState, Application, StartupError, router};
