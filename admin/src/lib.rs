//! meetflow-admin library.
