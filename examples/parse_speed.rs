//! This module times the parser on a program of 100,000 inline facts
//! (`cargo run --release --example parse_speed [N]`). It prints the time; it
//! asserts nothing about it.

use std::fmt::Write as _;
use std::time::Instant;

use tracelog::source::SourceMap;
use tracelog::syntax;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(100_000);
    let mut text = String::with_capacity(n * 48);
    for idx in 0..n {
        writeln!(
            text,
            "shipped(\"L{idx}\", \"PLANT{:02}\", \"DC{:02}\", {}).",
            idx % 37,
            idx % 91,
            idx % 500
        )
        .unwrap();
    }
    let mut sources = SourceMap::default();
    let file = sources.add("facts.dl", None, text.as_str());
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let (program, diags) = syntax::parse(&sources, file);
        let elapsed = start.elapsed().as_secs_f64();
        assert!(diags.is_empty() && program.items.len() == n);
        best = best.min(elapsed);
    }
    println!(
        "parsed {n} facts ({} bytes) in {:.1} ms (best of 5)",
        text.len(),
        best * 1000.0
    );
}
