//! meetflow-scheduler library.
