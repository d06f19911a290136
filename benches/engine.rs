//! Criterion benches for the engine (filled in with the engine).
fn main() {}
