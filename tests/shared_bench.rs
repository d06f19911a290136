//! This module runs the shared workload's programs (`../shared/bench/programs/q0..q3.dl`)
//! unchanged on a generated 10^4-edge supply chain and checks their answers:
//! input sizes and the Q2/Q3 trace sizes against the generator's `meta.json`
//! (computed there by BFS), and the Q1 closure size against a BFS here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

use tracelog::driver;
use tracelog::engine::{Engine, Limits};
use tracelog::io;
use tracelog::ir::{Const, RelId};

/// The generated data set, or why it is not there.
fn generate() -> Result<(tempfile::TempDir, PathBuf, serde_json::Value), String> {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench");
    let script = bench.join("gen_supply_chain.py");
    if !script.is_file() {
        return Err(format!("{} is absent", script.display()));
    }
    let dir = tempfile::tempdir().map_err(|err| format!("no temp dir: {err}"))?;
    let output = match Command::new("python3")
        .arg(&script)
        .arg("10000")
        .arg(dir.path())
        .args(["--seed", "1"])
        .output()
    {
        Ok(output) => output,
        Err(err) => return Err(format!("python3 cannot be run: {err}")),
    };
    assert!(
        output.status.success(),
        "the generator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta = std::fs::read_to_string(dir.path().join("meta.json"))
        .expect("the generator writes meta.json");
    let meta: serde_json::Value = serde_json::from_str(&meta).expect("meta.json is JSON");
    Ok((dir, bench.join("programs"), meta))
}

/// The evaluated program: relation sizes by name, and the rows of the count relations.
struct Run {
    sizes: BTreeMap<String, usize>,
    rows: BTreeMap<String, Vec<Vec<Const>>>,
}

fn run(program_path: &Path, input_dir: &Path) -> Run {
    let compiled = driver::compile_file(program_path).unwrap_or_else(|failed| {
        panic!(
            "{} does not check: {:#?}",
            program_path.display(),
            failed.diagnostics
        )
    });
    assert!(
        compiled.warnings.is_empty(),
        "{}: {:#?}",
        program_path.display(),
        compiled.warnings
    );
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    io::load_inputs(program, &mut engine, input_dir).unwrap_or_else(|errors| {
        panic!(
            "{}: inputs do not load: {errors:#?}",
            program_path.display()
        )
    });
    engine
        .run(&Limits::default())
        .expect("no limits, no limit errors");
    let mut sizes = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for (idx, relation) in program.relations.iter().enumerate() {
        let rel = RelId(idx as u32);
        sizes.insert(relation.name.clone(), engine.len(rel));
        if relation
            .columns
            .iter()
            .all(|column| column.ty == tracelog::ir::Type::Number)
        {
            let decoded = engine
                .rows(rel)
                .map(|row| {
                    row.iter()
                        .zip(&relation.columns)
                        .map(|(v, c)| engine.values().decode(c.ty, *v))
                        .collect()
                })
                .collect();
            rows.insert(relation.name.clone(), decoded);
        }
    }
    Run { sizes, rows }
}

fn meta_count(meta: &serde_json::Value, key: &str) -> usize {
    meta[key]
        .as_u64()
        .unwrap_or_else(|| panic!("meta.json has no count `{key}`")) as usize
}

fn counts(run: &Run, relation: &str) -> Vec<i64> {
    let rows = &run.rows[relation];
    assert_eq!(rows.len(), 1, "`{relation}` has one row");
    rows[0]
        .iter()
        .map(|value| {
            if let Const::Int(n) = value {
                *n
            } else {
                panic!("{value:?}")
            }
        })
        .collect()
}

/// The size of the transitive closure of `consumed.facts`, by BFS from every lot.
fn closure_size(input_dir: &Path) -> usize {
    let text = std::fs::read_to_string(input_dir.join("consumed.facts")).expect("consumed.facts");
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in text.lines() {
        let (from, to) = line.split_once('\t').expect("two fields");
        next.entry(from).or_default().insert(to);
    }
    let mut total = 0;
    for &start in next.keys() {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([start]);
        while let Some(lot) = queue.pop_front() {
            for &to in next.get(lot).into_iter().flatten() {
                if seen.insert(to) {
                    queue.push_back(to);
                }
            }
        }
        total += seen.len();
    }
    total
}

#[test]
fn shared_bench_programs_give_the_generators_answers() {
    let (dir, programs, meta) = match generate() {
        Ok(generated) => generated,
        Err(why) => {
            eprintln!("skipping the shared bench test: {why}");
            return;
        }
    };
    let input_dir = dir.path();

    let q0 = run(&programs.join("q0_load.dl"), input_dir);
    let (consumed, shipped) = (meta_count(&meta, "consumed"), meta_count(&meta, "shipped"));
    assert_eq!(q0.sizes["consumed"], consumed);
    assert_eq!(q0.sizes["shipped"], shipped);
    assert_eq!(counts(&q0, "sizes"), [consumed as i64, shipped as i64]);

    let q1 = run(&programs.join("q1_closure.dl"), input_dir);
    let closure = closure_size(input_dir);
    assert_eq!(q1.sizes["descends"], closure);
    assert_eq!(counts(&q1, "descends_count"), [closure as i64]);

    let q2 = run(&programs.join("q2_forward.dl"), input_dir);
    let (affected, exposed) = (
        meta_count(&meta, "q2_affected_lots"),
        meta_count(&meta, "q2_exposed_customers"),
    );
    assert!(
        affected > 0,
        "the generator picks a raw lot with a downstream"
    );
    assert_eq!(q2.sizes["affected"], affected);
    assert_eq!(q2.sizes["exposed_customer"], exposed);
    assert_eq!(counts(&q2, "q2_counts"), [affected as i64, exposed as i64]);

    let q3 = run(&programs.join("q3_backward.dl"), input_dir);
    let (ancestors, raw, suppliers) = (
        meta_count(&meta, "q3_ancestors"),
        meta_count(&meta, "q3_raw_ancestors"),
        meta_count(&meta, "q3_suppliers"),
    );
    assert!(
        ancestors > 0,
        "the generator picks a finished lot with ancestors"
    );
    assert_eq!(q3.sizes["ancestor"], ancestors);
    assert_eq!(q3.sizes["raw_ancestor"], raw);
    assert_eq!(q3.sizes["supplier"], suppliers);
    assert_eq!(
        counts(&q3, "q3_counts"),
        [ancestors as i64, raw as i64, suppliers as i64]
    );
}
