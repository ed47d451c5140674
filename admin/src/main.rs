//! meetflow-admin binary.
fn main() {}
