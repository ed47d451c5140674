//! meetflow-ingest library.
