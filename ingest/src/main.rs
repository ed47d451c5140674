//! meetflow-ingest binary.
fn main() {}
