//! meetflow-worker library.
