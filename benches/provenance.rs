//! This module measures provenance (issue 6's figures) on a genealogy
//! closure over 10^6 edges: a layered genealogy of 9 tiers of 62,500 lots,
//! each lot made from 2 lots of the tier before (1,000,000 `consumed` edges),
//! and `descendant(seed, x)` (rules/genealogy.dl's closure) from 1,000 seeds
//! of the first tier.
//!
//! - `explain_one_tuple`: the proof of one `descendant` tuple of the last
//!   tier (8 steps from its seed) over the evaluated engine; target under 100 ms.
//!   The first proof after an evaluation also sorts the relations it reads
//!   (the engine keeps them sorted until the next update): printed once.
//! - `eval_provenance_off` / `eval_provenance_on`: the same evaluation
//!   without and with provenance recording; target at most 1.5x the time.
//! - Memory (after criterion, or alone with `TRACELOG_PROV_MEMORY=1`): the
//!   bench binary runs itself once per mode and reads the child's peak RSS
//!   (VmHWM) and its RSS after loading the edges (VmRSS), from
//!   /proc/self/status; the evaluation's memory is their difference.
//!   Target: at most 2x with recording on.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group};
use tracelog::engine::{Engine, Limits};
use tracelog::ir;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PROGRAM: &str = r#"
.decl consumed(input: symbol, output: symbol)
.decl trace_seed(obj: symbol)
.decl descendant(seed: symbol, obj: symbol)
descendant(s, x) :- trace_seed(s), consumed(s, x).
descendant(s, x) :- descendant(s, m), consumed(m, x).
"#;

const TIERS: usize = 9;
const WIDTH: usize = 62_500;
const FAN_IN: usize = 2;
const SEEDS: usize = 1_000;

/// Lot names and the edges between them (indexes into the names).
struct Workload {
    names: Vec<String>,
    edges: Vec<(u32, u32)>,
    seeds: Vec<u32>,
}

fn workload() -> Workload {
    let names: Vec<String> = (0..TIERS)
        .flat_map(|tier| (0..WIDTH).map(move |lot| format!("T{tier}L{lot}")))
        .collect();
    let mut edges = Vec::with_capacity((TIERS - 1) * WIDTH * FAN_IN);
    let mut state = 42u64;
    for tier in 1..TIERS {
        for lot in 0..WIDTH {
            for _ in 0..FAN_IN {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let input = (state >> 33) as usize % WIDTH;
                edges.push((
                    ((tier - 1) * WIDTH + input) as u32,
                    (tier * WIDTH + lot) as u32,
                ));
            }
        }
    }
    let seeds = (0..SEEDS).map(|i| (i * (WIDTH / SEEDS)) as u32).collect();
    Workload {
        names,
        edges,
        seeds,
    }
}

fn program() -> ir::Program {
    match tracelog::driver::compile_text("provenance-bench", PROGRAM) {
        Ok(compiled) => compiled.program,
        Err(failed) => panic!("the bench program does not check: {:?}", failed.diagnostics),
    }
}

/// An engine with the edges and seeds inserted, not evaluated.
fn loaded(program: &ir::Program, work: &Workload, provenance: bool) -> Engine {
    let mut engine = Engine::new(program);
    engine.set_provenance(provenance);
    let ids: Vec<u64> = work
        .names
        .iter()
        .map(|name| u64::from(engine.values_mut().intern(name)))
        .collect();
    let consumed = program.relation_by_name("consumed").expect("declared");
    let seed = program.relation_by_name("trace_seed").expect("declared");
    let mut flat = Vec::with_capacity(work.edges.len() * 2);
    for &(input, output) in &work.edges {
        flat.push(ids[input as usize]);
        flat.push(ids[output as usize]);
    }
    engine.insert(consumed, flat);
    engine.insert(seed, work.seeds.iter().map(|&s| ids[s as usize]).collect());
    engine
}

/// A `descendant` tuple of the last tier (from whichever seed reaches it first).
fn deepest(engine: &Engine, program: &ir::Program) -> Vec<u64> {
    let rel = program.relation_by_name("descendant").expect("declared");
    let last = format!("T{}L", TIERS - 1);
    engine
        .rows(rel)
        .find(|row| engine.values().symbol(row[1] as u32).starts_with(&last))
        .expect("some seed reaches the last tier")
        .to_vec()
}

fn benches(c: &mut Criterion) {
    let program = program();
    let work = workload();
    let descendant = program.relation_by_name("descendant").expect("declared");
    let mut group = c.benchmark_group("provenance_1e6_edges");
    group.sample_size(10);

    let mut engine = loaded(&program, &work, true);
    engine.run(&Limits::default()).expect("no limits");
    let tuple = deepest(&engine, &program);
    eprintln!(
        "workload: {} edges, {} descendant tuples",
        work.edges.len(),
        engine.len(descendant)
    );
    // The first proof also sorts the relations it reads (kept by the engine
    // until the next update): reported once, outside criterion.
    let start = Instant::now();
    let proof =
        tracelog::provenance::explain(&mut engine, &program, descendant, &tuple).expect("a proof");
    eprintln!(
        "first explain (sorts descendant once): {:.1} ms, {} nodes",
        start.elapsed().as_secs_f64() * 1e3,
        proof.nodes.len()
    );
    group.bench_function("explain_one_tuple", |bench| {
        bench.iter(|| {
            let proof = tracelog::provenance::explain(&mut engine, &program, descendant, &tuple)
                .expect("a proof");
            black_box(proof.nodes.len())
        })
    });
    drop(engine);

    for (name, on) in [("eval_provenance_off", false), ("eval_provenance_on", true)] {
        group.bench_function(name, |bench| {
            bench.iter_batched(
                || loaded(&program, &work, on),
                |mut engine| {
                    engine.run(&Limits::default()).expect("no limits");
                    black_box(engine.len(descendant));
                    engine
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(provenance_benches, benches);

/// The `VmRSS` or `VmHWM` line of /proc/self/status, in KiB.
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One evaluation in this process: prints `loaded_kib peak_kib eval_s`.
fn memory_child(on: bool) {
    let program = program();
    let work = workload();
    let mut engine = loaded(&program, &work, on);
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    engine.run(&Limits::default()).expect("no limits");
    let secs = start.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    println!("{before} {peak} {secs:.3}");
    std::process::exit(0);
}

/// Runs one child per mode and prints the memory figures.
fn memory_report() {
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("memory: cannot find the bench binary; skipped");
        return;
    };
    let mut figures = Vec::new();
    for mode in ["off", "on"] {
        let output = std::process::Command::new(&exe)
            .env("TRACELOG_PROV_CHILD", mode)
            .output();
        let text = match output {
            Ok(output) if output.status.success() => {
                String::from_utf8_lossy(&output.stdout).into_owned()
            }
            _ => {
                eprintln!("memory: the {mode} child failed; skipped");
                return;
            }
        };
        let nums: Vec<f64> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [loaded, peak, secs] = nums[..] else {
            eprintln!("memory: unexpected child output `{text}`");
            return;
        };
        println!(
            "memory provenance {mode}: RSS after load {:.1} MiB, peak {:.1} MiB, evaluation +{:.1} MiB, eval {secs:.3} s",
            loaded / 1024.0,
            peak / 1024.0,
            (peak - loaded) / 1024.0
        );
        figures.push((loaded, peak));
    }
    let (off, on) = (figures[0], figures[1]);
    println!(
        "memory ratio on/off: peak {:.2}x, evaluation {:.2}x",
        on.1 / off.1,
        (on.1 - on.0) / (off.1 - off.0).max(1.0)
    );
}

fn main() {
    match std::env::var("TRACELOG_PROV_CHILD").as_deref() {
        Ok("on") => memory_child(true),
        Ok("off") => memory_child(false),
        _ => (),
    }
    if std::env::var("TRACELOG_PROV_MEMORY").is_err() {
        provenance_benches();
        Criterion::default().configure_from_args().final_summary();
    }
    memory_report();
}
