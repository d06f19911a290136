//! This module benchmarks incremental evaluation on the genealogy closure of
//! the supply-chain workload (`tracelog::generate`, the `consumed` edges):
//!
//! ```text
//! descendant(x, y) :- consumed(x, y).
//! descendant(x, z) :- descendant(x, y), consumed(y, z).
//! ```
//!
//! It measures full re-evaluation (a fresh engine's `run`), `update` adding
//! 1,000 edges (250 new lots of 4 inputs each, as a day's new batches would)
//! and `update` retracting one edge from the middle of the genealogy. Each
//! measured update is undone by an unmeasured one, so every sample starts
//! from the same state. The first update (which builds the indexes only
//! updates read) and `Engine::restore` of the final state are timed once and
//! printed on stderr.
//!
//! `cargo bench --bench incremental` runs on 10^5 edges;
//! `TRACELOG_INCR_EDGES=1000000` gives the issue's figure.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use indicatif::ProgressBar;
use tracelog::driver;
use tracelog::engine::{Change, Engine, Limits};
use tracelog::generate::{self, Config};
use tracelog::ir::{self, RelId};
use tracelog::value::Value;

const PROGRAM: &str = r#"
.decl consumed(x: symbol, y: symbol)
.decl descendant(x: symbol, y: symbol)
descendant(x, y) :- consumed(x, y).
descendant(x, z) :- descendant(x, y), consumed(y, z).
"#;

/// The generator's genealogy edges for a target of `n` edges.
fn edges(n: u64) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        target_edges: n,
        seed: generate::DEFAULT_SEED,
        anchors: false,
    };
    generate::supply_chain(&config, dir.path(), &ProgressBar::hidden()).expect("generated");
    let text = std::fs::read_to_string(dir.path().join("consumed.facts")).expect("consumed.facts");
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

/// 250 new lots, each made from 4 existing lots (1,000 edges).
fn new_edges(edges: &[(String, String)]) -> Vec<(String, String)> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut res = Vec::new();
    for lot in 0..250 {
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let input = &edges[(state % edges.len() as u64) as usize].1;
            res.push((input.clone(), format!("NEW-{lot:04}")));
        }
    }
    res
}

fn flat(engine: &mut Engine, edges: &[(String, String)]) -> Vec<Value> {
    let mut res = Vec::with_capacity(edges.len() * 2);
    for (a, b) in edges {
        res.push(u64::from(engine.values_mut().intern(a)));
        res.push(u64::from(engine.values_mut().intern(b)));
    }
    res
}

fn loaded(program: &ir::Program, consumed: RelId, edges: &[(String, String)]) -> Engine {
    let mut engine = Engine::new(program);
    let rows = flat(&mut engine, edges);
    engine.insert(consumed, rows);
    engine
}

fn benches(c: &mut Criterion) {
    let n: u64 = std::env::var("TRACELOG_INCR_EDGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let program = driver::compile_text("closure.dl", PROGRAM)
        .expect("the program checks")
        .program;
    let consumed = program.relation_by_name("consumed").expect("relation");
    let descendant = program.relation_by_name("descendant").expect("relation");
    let edges = edges(n);
    let added = new_edges(&edges);
    let retracted = vec![edges[edges.len() / 2].clone()];

    let mut engine = loaded(&program, consumed, &edges);
    let t0 = Instant::now();
    engine.run(&Limits::default()).expect("no limits");
    let run = t0.elapsed();
    let size = engine.len(descendant);
    let added_rows = flat(&mut engine, &added);
    let retracted_rows = flat(&mut engine, &retracted);
    let t0 = Instant::now();
    let stats = engine
        .update(
            vec![Change::insert(consumed, added_rows.clone())],
            &Limits::default(),
        )
        .expect("no limits");
    let first = t0.elapsed();
    let grown = engine.len(descendant);
    engine
        .update(
            vec![Change::delete(consumed, added_rows.clone())],
            &Limits::default(),
        )
        .expect("no limits");
    assert_eq!(engine.len(descendant), size);
    eprintln!(
        "incremental: {} edges, descendant {size} tuples (+{} with the new edges); run {:.3} s; \
         first update (builds the update indexes) {:.3} s; actions {:?}",
        edges.len(),
        grown - size,
        run.as_secs_f64(),
        first.as_secs_f64(),
        stats.strata,
    );

    let mut group = c.benchmark_group(format!("closure_{}_edges", edges.len()));
    group.sample_size(10);
    group.bench_function("full_reevaluation", |bench| {
        bench.iter_batched(
            || loaded(&program, consumed, &edges),
            |mut engine| {
                engine.run(&Limits::default()).expect("no limits");
                black_box(engine.len(descendant))
            },
            criterion::BatchSize::PerIteration,
        )
    });
    let mut timed = |bench: &mut criterion::Bencher, apply: &[Change], undo: &[Change]| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = Instant::now();
                engine
                    .update(apply.to_vec(), &Limits::default())
                    .expect("no limits");
                total += t0.elapsed();
                engine
                    .update(undo.to_vec(), &Limits::default())
                    .expect("no limits");
            }
            total
        })
    };
    let insert = [Change::insert(consumed, added_rows.clone())];
    let remove = [Change::delete(consumed, added_rows)];
    group.bench_function("insert_1000_edges", |bench| timed(bench, &insert, &remove));
    let retract = [Change::delete(consumed, retracted_rows.clone())];
    let restore = [Change::insert(consumed, retracted_rows)];
    group.bench_function("retract_1_edge", |bench| timed(bench, &retract, &restore));
    group.finish();

    // Restore: the state as a snapshot would hold it, then a new engine from it.
    let relations = [consumed, descendant];
    let base: Vec<(RelId, Vec<Value>, bool)> = relations
        .iter()
        .map(|&rel| {
            let (rows, unit) = engine.base_facts(rel);
            (rel, rows, unit)
        })
        .collect();
    let derived = vec![(
        descendant,
        engine.rows(descendant).flatten().copied().collect(),
        false,
    )];
    let values = std::mem::take(engine.values_mut());
    drop(engine);
    let t0 = Instant::now();
    let restored = Engine::restore(&program, values, base, derived).expect("restorable");
    eprintln!(
        "incremental: restore of {} descendant tuples and {} edges {:.3} s",
        restored.len(descendant),
        restored.len(consumed),
        t0.elapsed().as_secs_f64()
    );
}

criterion_group!(incremental_benches, benches);

fn main() {
    incremental_benches();
    Criterion::default().configure_from_args().final_summary();
}
