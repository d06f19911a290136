//! This module tests incremental evaluation (`Engine::update`,
//! `Engine::restore`) on random stratified programs (`tests/common/generator.rs`):
//! after every random batch of base-fact insertions and deletions, every
//! relation must equal both a from-scratch evaluation of a fresh engine and
//! the naive reference evaluator (`tests/reference.rs`).
//!
//! `INCREMENTAL_CASES=N` runs a longer search (300 cases by default).

mod common;
mod reference;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tracelog::engine::{Change, Engine, Limits};
use tracelog::ir::{self, Const, RelId, Type};
use tracelog::value::Value;

use common::generator::{SYMBOLS, compile, generate};
use reference::{Key, Row};

/// More derived tuples than this means a runaway program (none is expected).
const MAX_TUPLES: usize = 20_000;

/// Decisions read from proptest's bytes (0 once they run out).
struct Ops<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Ops<'_> {
    fn below(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n <= 1 { 0 } else { byte as usize % n }
    }
}

fn limits() -> Limits {
    Limits {
        timeout: None,
        max_tuples: Some(MAX_TUPLES as u64 * 2),
        cancel: None,
    }
}

fn random_value(ops: &mut Ops, ty: Type) -> Const {
    match ty {
        Type::Number => Const::Int(ops.below(5) as i64 - 1),
        Type::Any if ops.below(2) == 0 => Const::Int(ops.below(5) as i64 - 1),
        _ => Const::Sym(SYMBOLS[ops.below(SYMBOLS.len())].to_owned()),
    }
}

fn encode(engine: &mut Engine, program: &ir::Program, rel: RelId, row: &Row) -> Vec<Value> {
    row.iter()
        .zip(&program.relation(rel).columns)
        .map(|(value, column)| {
            engine
                .values_mut()
                .encode(column.ty, &value.0)
                .expect("a value of the column's type")
        })
        .collect()
}

/// Every relation's rows, decoded.
fn results(program: &ir::Program, engine: &Engine) -> Vec<BTreeSet<Row>> {
    (0..program.relations.len())
        .map(|idx| {
            let rel = RelId(idx as u32);
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
        .collect()
}

fn first_difference(
    program: &ir::Program,
    got: &[BTreeSet<Row>],
    want: &[BTreeSet<Row>],
) -> Option<String> {
    for (idx, (got, want)) in got.iter().zip(want).enumerate() {
        if got != want {
            let show = |rows: Vec<&Row>| {
                rows.iter()
                    .map(|row| reference::show_row(row))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Some(format!(
                "relation `{}`: only in the updated engine: [{}]; only in the expected: [{}]",
                program.relations[idx].name,
                show(got.difference(want).collect()),
                show(want.difference(got).collect()),
            ));
        }
    }
    None
}

/// A fresh engine evaluated from `base`.
fn from_scratch(program: &ir::Program, base: &BTreeMap<RelId, BTreeSet<Row>>) -> Engine {
    let mut engine = Engine::new(program);
    for (rel, rows) in base {
        for row in rows {
            if row.is_empty() {
                engine.insert_empty_tuple(*rel);
            } else {
                let flat = encode(&mut engine, program, *rel, row);
                engine.insert(*rel, flat);
            }
        }
    }
    engine.run(&limits()).expect("a small model");
    engine
}

/// An engine restored from `engine`'s state (taking its value store).
fn restored(program: &ir::Program, engine: &mut Engine) -> Engine {
    let n = program.relations.len();
    let mut base = Vec::new();
    let mut derived = Vec::new();
    for idx in 0..n {
        let rel = RelId(idx as u32);
        let (rows, unit) = engine.base_facts(rel);
        base.push((rel, rows, unit));
        let rows: Vec<Value> = engine.rows(rel).flatten().copied().collect();
        let unit = program.relations[idx].arity() == 0 && !engine.is_empty(rel);
        derived.push((rel, rows, unit));
    }
    let values = std::mem::take(engine.values_mut());
    Engine::restore(program, values, base, derived).expect("restorable")
}

fn check(program_bytes: &[u8], op_bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = generate(program_bytes).text();
    let compiled = compile(&text).map_err(TestCaseError::fail)?;
    let program = &compiled.program;
    let edb: Vec<RelId> = (0..program.relations.len())
        .map(|idx| RelId(idx as u32))
        .filter(|rel| {
            let name = &program.relation(*rel).name;
            name.starts_with('e') && name[1..].chars().all(|c| c.is_ascii_digit())
        })
        .collect();
    let mut ops = Ops {
        bytes: op_bytes,
        pos: 0,
    };
    let mut base: BTreeMap<RelId, BTreeSet<Row>> = BTreeMap::new();
    let mut engine = Engine::new(program);
    engine
        .run(&limits())
        .map_err(|err| TestCaseError::fail(format!("run failed: {err}\n{text}")))?;
    let mut log = String::new();
    for step in 0..1 + ops.below(6) {
        if ops.below(5) == 0 {
            engine = restored(program, &mut engine);
            log.push_str("restore\n");
        }
        let mut changes = Vec::new();
        for _ in 0..1 + ops.below(3) {
            let rel = edb[ops.below(edb.len())];
            let types: Vec<Type> = program
                .relation(rel)
                .columns
                .iter()
                .map(|column| column.ty)
                .collect();
            let random_row = |ops: &mut Ops| -> Row {
                types.iter().map(|ty| Key(random_value(ops, *ty))).collect()
            };
            let mut delete: Vec<Row> = Vec::new();
            let present: Vec<Row> = base.get(&rel).into_iter().flatten().cloned().collect();
            for _ in 0..ops.below(4) {
                if !present.is_empty() && ops.below(4) != 0 {
                    delete.push(present[ops.below(present.len())].clone());
                } else {
                    delete.push(random_row(&mut ops));
                }
            }
            let insert: Vec<Row> = (0..ops.below(5)).map(|_| random_row(&mut ops)).collect();
            let set = base.entry(rel).or_default();
            for row in &delete {
                set.remove(row);
            }
            for row in &insert {
                set.insert(row.clone());
            }
            let show = |rows: &[Row]| {
                rows.iter()
                    .map(|row| reference::show_row(row))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            log.push_str(&format!(
                "step {step}: {}: -[{}] +[{}]\n",
                program.relation(rel).name,
                show(&delete),
                show(&insert)
            ));
            let mut change = Change::insert(rel, Vec::new());
            for row in &delete {
                change.delete.extend(encode(&mut engine, program, rel, row));
            }
            for row in &insert {
                change.insert.extend(encode(&mut engine, program, rel, row));
            }
            changes.push(change);
        }
        engine
            .update(changes, &limits())
            .map_err(|err| TestCaseError::fail(format!("update failed: {err}\n{text}\n{log}")))?;
        let got = results(program, &engine);
        let fresh = results(program, &from_scratch(program, &base));
        if let Some(diff) = first_difference(program, &got, &fresh) {
            return Err(TestCaseError::fail(format!(
                "update and from-scratch evaluation differ: {diff}\nprogram:\n{text}\nchanges:\n{log}"
            )));
        }
        let reference_base: BTreeMap<RelId, Vec<Vec<Const>>> = base
            .iter()
            .map(|(rel, rows)| {
                let rows = rows
                    .iter()
                    .map(|row| row.iter().map(|key| key.0.clone()).collect())
                    .collect();
                (*rel, rows)
            })
            .collect();
        let Ok(expected) = reference::evaluate(program, &reference_base, MAX_TUPLES) else {
            return Err(TestCaseError::fail(format!(
                "the reference found no small model:\n{text}\n{log}"
            )));
        };
        if let Some(diff) = first_difference(program, &got, &expected) {
            return Err(TestCaseError::fail(format!(
                "update and reference differ: {diff}\nprogram:\n{text}\nchanges:\n{log}"
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("INCREMENTAL_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/incremental.txt"))),
        ..ProptestConfig::default() })]

    #[test]
    fn updates_equal_evaluation_from_scratch(
        program in proptest::collection::vec(any::<u8>(), 0..600),
        ops in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        check(&program, &ops)?;
    }
}
