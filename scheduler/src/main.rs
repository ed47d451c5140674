//! meetflow-scheduler binary.
fn main() {}
