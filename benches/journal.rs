//! This module benchmarks the database: journal ingest (one synced
//! transaction of 10^4 facts at a time) and opening a large database from its
//! snapshot versus replaying its journal.
//!
//! `cargo bench --bench journal` runs criterion on a scratch database under
//! `target/`. With `TRACELOG_BENCH_FACTS=N` set (e.g. 1000000) the binary
//! instead builds an N-fact database once, in transactions of 10^4 facts,
//! and prints the ingest rate and the open times (see benches/README.md).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use tracelog::db::{self, AsOf, Draft, Fact, InputFact, Source, Writer};
use tracelog::source::SourceMap;

const TX_FACTS: usize = 10_000;

/// One transaction of `TX_FACTS` genealogy edges, distinct for each `round`.
fn draft(round: usize) -> Draft {
    let assert = (0..TX_FACTS)
        .map(|idx| InputFact {
            fact: Fact {
                rel: "consumed".to_owned(),
                fields: vec![
                    format!("LOT-{round}-{idx}"),
                    format!("BATCH-{round}-{}", idx / 8),
                ],
            },
            line: idx as u32 + 1,
            location: None,
        })
        .collect();
    Draft {
        principal: "bench".to_owned(),
        channel: "add".to_owned(),
        source: Source {
            path: Some(format!("round-{round}.tsv")),
            sha256: None,
            line: None,
        },
        reason: None,
        assert,
        retract: Vec::new(),
        force: false,
        sources: SourceMap::default(),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-db")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    db::init(&dir).unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    dir
}

fn bench_ingest(c: &mut Criterion) {
    let dir = scratch("ingest");
    let mut writer = Writer::open(&dir, Duration::from_secs(1))
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let mut round = 0;
    let mut group = c.benchmark_group("journal");
    group.throughput(criterion::Throughput::Elements(TX_FACTS as u64));
    group.sample_size(20);
    group.bench_function("ingest one synced 10^4-fact transaction", |b| {
        b.iter_batched(
            || {
                round += 1;
                draft(round)
            },
            |draft| {
                black_box(
                    writer
                        .commit(draft)
                        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics)),
                )
            },
            criterion::BatchSize::PerIteration,
        )
    });
    drop(writer);
    group.sample_size(10);
    group.bench_function("open (state at head) after the ingest", |b| {
        b.iter(|| {
            black_box(db::read(&dir, AsOf::Head).unwrap_or_else(|f| panic!("{:?}", f.diagnostics)))
        })
    });
    group.finish();
}

/// Builds an `n`-fact database and prints ingest and open figures.
fn one_shot(n: usize) {
    let dir = scratch("one-shot");
    let start = Instant::now();
    let mut writer = Writer::open(&dir, Duration::from_secs(1))
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let mut tx_times = Vec::new();
    for round in 0..n.div_ceil(TX_FACTS) {
        let draft = draft(round);
        let tx_start = Instant::now();
        writer
            .commit(draft)
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        tx_times.push(tx_start.elapsed().as_secs_f64());
    }
    drop(writer);
    let total = start.elapsed().as_secs_f64();
    tx_times.sort_by(f64::total_cmp);
    let median = tx_times[tx_times.len() / 2];
    println!(
        "ingest facts={n} transactions={} total_s={total:.2} facts_per_s={:.0} median_tx_s={median:.4} median_facts_per_s={:.0}",
        tx_times.len(),
        n as f64 / total,
        TX_FACTS as f64 / median
    );
    let journal_bytes = std::fs::metadata(dir.join("journal")).map_or(0, |m| m.len());
    println!("journal_bytes={journal_bytes}");
    let open = |label: &str| {
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let loaded =
                db::read(&dir, AsOf::Head).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
            times.push(start.elapsed().as_secs_f64());
            assert_eq!(loaded.state.n_facts(), n.div_ceil(TX_FACTS) * TX_FACTS);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "open {label}: median_s={:.3} min_s={:.3}",
            times[2], times[0]
        );
    };
    db::write_snapshot(&dir).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    open("from its snapshot");
    let _ = std::fs::remove_dir_all(dir.join("snapshots"));
    open("replaying the whole journal (no snapshot)");
}

criterion_group!(benches, bench_ingest);

fn main() {
    if let Some(n) = std::env::var("TRACELOG_BENCH_FACTS")
        .ok()
        .and_then(|n| n.parse::<f64>().ok())
    {
        one_shot(n as usize);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
