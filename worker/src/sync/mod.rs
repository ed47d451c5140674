//! The `sync` queue: the backfill's slices (`meetflow-admin sync calendly`), one job per time
//! slice of the history ([`calendly`]).

pub(crate) mod calendly;
