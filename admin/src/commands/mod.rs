//! One module per verb family of `meetflow-admin`; each exposes a clap type with `run`.

pub mod config;
