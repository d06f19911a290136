//! This module tests the engine against the naive reference evaluator
//! (`tests/reference.rs`) on random stratified programs.
//! The programs come from `tests/common/generator.rs`.

mod common;
mod reference;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::FileFailurePersistence;
use tracelog::driver::Compiled;
use tracelog::engine::{Engine, Limits};

use common::generator::{Generated, compile, generate};
use reference::{Key, Row};

/// More derived tuples than this means the generator made a runaway program.
const MAX_TUPLES: usize = 20_000;

/// Every relation's rows as the engine computed them, decoded.
fn engine_results(compiled: &Compiled) -> Result<Vec<BTreeSet<Row>>, String> {
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    let limits = Limits {
        timeout: None,
        max_tuples: Some(MAX_TUPLES as u64 * 2),
        cancel: None,
    };
    engine.run(&limits).map_err(|err| err.to_string())?;
    let results = (0..program.relations.len())
        .map(|idx| {
            let rel = tracelog::ir::RelId(idx as u32);
            let columns = &program.relation(rel).columns;
            engine
                .rows(rel)
                .map(|row| {
                    row.iter()
                        .zip(columns)
                        .map(|(value, column)| Key(engine.values().decode(column.ty, *value)))
                        .collect()
                })
                .collect()
        })
        .collect();
    Ok(results)
}

/// Results keyed by relation name (queries by their position), for comparing
/// programs whose relations are numbered differently.
fn by_name(compiled: &Compiled, results: Vec<BTreeSet<Row>>) -> BTreeMap<String, BTreeSet<Row>> {
    let program = &compiled.program;
    let mut named = BTreeMap::new();
    for (idx, rows) in results.into_iter().enumerate() {
        let rel = program.relation(tracelog::ir::RelId(idx as u32));
        let name = match program
            .queries
            .iter()
            .position(|query| query.rel.0 as usize == idx)
        {
            Some(query) => format!("?{query}"),
            None => rel.name.clone(),
        };
        named.insert(name, rows);
    }
    named
}

/// The first relation on which two results differ, described for a failure message.
fn difference(
    compiled: &Compiled,
    engine: &[BTreeSet<Row>],
    reference: &[BTreeSet<Row>],
) -> Option<String> {
    for (idx, (got, want)) in engine.iter().zip(reference).enumerate() {
        if got != want {
            let name = &compiled.program.relations[idx].name;
            let show = |rows: Vec<&Row>| {
                rows.iter()
                    .map(|row| reference::show_row(row))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Some(format!(
                "relation `{name}`: only in engine: [{}]; only in reference: [{}]",
                show(got.difference(want).collect()),
                show(want.difference(got).collect()),
            ));
        }
    }
    None
}

/// Checks one generated program: the engine agrees with the reference, and
/// with itself on the same program with statements in another order.
fn check_program(generated: &Generated, seed: u64) -> Result<(), TestCaseError> {
    let text = generated.text();
    let compiled = compile(&text).map_err(TestCaseError::fail)?;
    let Ok(expected) = reference::evaluate(&compiled.program, &BTreeMap::new(), MAX_TUPLES) else {
        // A runaway program would be a generator bug: every program has a small model.
        return Err(TestCaseError::fail(format!(
            "the reference found no small model:\n{text}"
        )));
    };
    let got = engine_results(&compiled)
        .map_err(|err| TestCaseError::fail(format!("engine failed: {err}\n{text}")))?;
    if let Some(diff) = difference(&compiled, &got, &expected) {
        return Err(TestCaseError::fail(format!(
            "engine and reference differ: {diff}\nprogram:\n{text}"
        )));
    }
    let shuffled = generated.shuffled(seed);
    let shuffled_text = shuffled.text();
    let recompiled = compile(&shuffled_text).map_err(TestCaseError::fail)?;
    let reordered = engine_results(&recompiled)
        .map_err(|err| TestCaseError::fail(format!("engine failed: {err}\n{shuffled_text}")))?;
    let (before, after) = (by_name(&compiled, got), by_name(&recompiled, reordered));
    if before != after {
        let name = before
            .keys()
            .find(|name| before.get(*name) != after.get(*name))
            .cloned()
            .unwrap_or_default();
        return Err(TestCaseError::fail(format!(
            "results depend on statement order (relation `{name}`)\nprogram:\n{text}\nreordered:\n{shuffled_text}"
        )));
    }
    Ok(())
}

/// Removes statements one at a time while the failure persists, so that the
/// message of a failing case shows a small program.
fn minimize(generated: &Generated, seed: u64) -> Generated {
    let mut current = generated.clone();
    let fails = |candidate: &Generated| {
        // A candidate that no longer checks cleanly is not a smaller instance of this failure.
        compile(&candidate.text()).is_ok() && check_program(candidate, seed).is_err()
    };
    let mut changed = true;
    while changed {
        changed = false;
        for idx in (0..current.queries.len()).rev() {
            let mut candidate = current.clone();
            candidate.queries.remove(idx);
            if fails(&candidate) {
                current = candidate;
                changed = true;
            }
        }
        for idx in (0..current.statements.len()).rev() {
            let mut candidate = current.clone();
            candidate.statements.remove(idx);
            if fails(&candidate) {
                current = candidate;
                changed = true;
            }
        }
    }
    current
}

proptest! {
    #![proptest_config(ProptestConfig { // DIFFERENTIAL_CASES=N runs a longer search.
        cases: std::env::var("DIFFERENTIAL_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1500), max_shrink_iters: 2000,
        // Failing inputs are kept (and committed) so that every later run tries them first.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/differential.txt"))),
        ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference(bytes in proptest::collection::vec(any::<u8>(), 0..600), seed in any::<u64>()) {
        let generated = generate(&bytes);
        if let Err(err) = check_program(&generated, seed) {
            let small = minimize(&generated, seed);
            let why = check_program(&small, seed).err().map(|err| err.to_string()).unwrap_or_default();
            return Err(TestCaseError::fail(format!("{err}\n\nminimized:\n{}\n{why}", small.text())));
        }
    }
}

/// The generator itself: programs are varied and use every construct it knows.
#[test]
fn generator_covers_its_constructs() {
    let mut seen = BTreeSet::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(any::<u8>(), 0..600);
    for _ in 0..200 {
        let bytes = strategy.new_tree(&mut runner).expect("bytes").current();
        let text = generate(&bytes).text();
        for (construct, needle) in [
            ("negation", "!"),
            ("not", "not "),
            ("count", "count :"),
            ("sum", "sum "),
            ("min", "min "),
            ("max", "max "),
            ("disjunction", " ; "),
            ("division", " / "),
            ("remainder", " % "),
            ("wildcard", "_"),
            ("query", "?-"),
            ("decl", ".decl"),
            ("alias", ".type"),
            ("zero arity", "()"),
            ("several heads", "), p"),
            ("assignment", " = x"),
            ("bounded increment", " < 6"),
        ] {
            if text.contains(needle) {
                seen.insert(construct);
            }
        }
    }
    assert_eq!(seen.len(), 17, "constructs seen: {seen:?}");
}

/// The programs are not trivial: most derive something, many through recursion.
#[test]
fn generated_programs_derive_tuples() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(any::<u8>(), 0..600);
    let (mut n_programs, mut n_deriving, mut n_recursive) = (0, 0, 0);
    for _ in 0..200 {
        let bytes = strategy.new_tree(&mut runner).expect("bytes").current();
        let compiled = compile(&generate(&bytes).text()).expect("generated programs check");
        let program = &compiled.program;
        let db = reference::evaluate(program, &BTreeMap::new(), MAX_TUPLES).expect("a small model");
        let derived = program
            .relations
            .iter()
            .zip(&db)
            .any(|(rel, rows)| rel.name.starts_with('p') && !rows.is_empty());
        n_programs += 1;
        n_deriving += usize::from(derived);
        n_recursive += usize::from(program.strata.iter().any(|s| s.recursive));
    }
    assert!(
        n_deriving * 10 >= n_programs * 7,
        "{n_deriving} of {n_programs} derive IDB tuples"
    );
    assert!(
        n_recursive * 10 >= n_programs * 3,
        "{n_recursive} of {n_programs} are recursive"
    );
}
