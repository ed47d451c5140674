//! meetflow-worker binary.
fn main() {}
