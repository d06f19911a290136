//! This module tests provenance (`tracelog::provenance`): on random stratified
//! programs (`tests/common/generator.rs`), after the first run and after each
//! random batch of base-fact insertions and deletions, every derived tuple
//! has a proof, every proof's leaves are live base facts, every premise is
//! live and lower than its conclusion, and the proof checks against its rules.
//! Also a snapshot of a real explanation of a small genealogy program.
//!
//! `PROVENANCE_CASES=N` runs a longer search (40 cases by default).

mod common;

use proptest::prelude::*;
use tracelog::engine::{Change, Engine, Limits};
use tracelog::ir::{self, Const, RelId, Type};
use tracelog::provenance::{self, Step};

use common::generator::{SYMBOLS, compile, generate};

/// Tuples explained per relation and step (keeps the test bounded).
const PER_RELATION: usize = 8;

fn limits() -> Limits {
    Limits {
        timeout: None,
        max_tuples: Some(40_000),
        cancel: None,
    }
}

fn value(byte: u8, ty: Type) -> Const {
    match ty {
        Type::Number => Const::Int(byte as i64 % 5 - 1),
        Type::Any if byte.is_multiple_of(2) => Const::Int(byte as i64 % 5 - 1),
        _ => Const::Sym(SYMBOLS[byte as usize % SYMBOLS.len()].to_owned()),
    }
}

/// Explains up to `PER_RELATION` tuples of every derived relation and checks each proof.
fn check_all(
    engine: &mut Engine,
    program: &ir::Program,
    context: &str,
) -> Result<(), TestCaseError> {
    for idx in 0..program.relations.len() {
        let rel = RelId(idx as u32);
        if !engine.is_derived(rel) {
            continue;
        }
        let tuples: Vec<Vec<u64>> = engine
            .rows(rel)
            .take(PER_RELATION)
            .map(<[u64]>::to_vec)
            .collect();
        for tuple in tuples {
            let proof = provenance::explain(engine, program, rel, &tuple).map_err(|err| {
                TestCaseError::fail(format!(
                    "no proof of a tuple of `{}`: {err}\n{context}",
                    program.relation(rel).name
                ))
            })?;
            for node in &proof.nodes {
                prop_assert!(
                    engine.contains(node.rel, &node.tuple),
                    "a dead tuple in a proof\n{context}"
                );
                match &node.step {
                    Step::Base => prop_assert!(
                        engine.is_base_fact(node.rel, &node.tuple),
                        "a leaf that is no base fact\n{context}"
                    ),
                    Step::Rule {
                        rule,
                        height,
                        premises,
                        ..
                    } => {
                        prop_assert_eq!(program.rule(*rule).head.rel, node.rel);
                        prop_assert_eq!(engine.height(node.rel, &node.tuple), Some(*height));
                        for &(_, premise) in premises {
                            let premise = &proof.nodes[premise];
                            if let Some(lower) = engine.height(premise.rel, &premise.tuple) {
                                prop_assert!(lower < *height, "heights do not decrease\n{context}");
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
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
    let mut engine = Engine::new(program);
    engine.set_provenance(true);
    engine
        .run(&limits())
        .map_err(|err| TestCaseError::fail(format!("run failed: {err}\n{text}")))?;
    let mut log = String::new();
    check_all(&mut engine, program, &format!("{text}\n{log}"))?;
    let mut bytes = op_bytes.iter().copied();
    let mut next = move || bytes.next().unwrap_or(0);
    for step in 0..1 + next() % 4 {
        if edb.is_empty() {
            break;
        }
        let mut changes = Vec::new();
        for _ in 0..1 + next() % 3 {
            let rel = edb[next() as usize % edb.len()];
            let types: Vec<Type> = program.relation(rel).columns.iter().map(|c| c.ty).collect();
            let mut change = Change::insert(rel, Vec::new());
            // Deletions of present tuples (they drive DRed and recomputation) and insertions.
            let present: Vec<Vec<u64>> = engine.rows(rel).map(<[u64]>::to_vec).collect();
            for _ in 0..next() % 3 {
                if !present.is_empty() {
                    change
                        .delete
                        .extend(&present[next() as usize % present.len()]);
                }
            }
            for _ in 0..next() % 4 {
                for ty in &types {
                    let constant = value(next(), *ty);
                    let raw = engine
                        .values_mut()
                        .encode(*ty, &constant)
                        .expect("a value of the type");
                    change.insert.push(raw);
                }
            }
            log.push_str(&format!(
                "step {step}: {}: -{} +{} values\n",
                program.relation(rel).name,
                change.delete.len(),
                change.insert.len()
            ));
            changes.push(change);
        }
        engine
            .update(changes, &limits())
            .map_err(|err| TestCaseError::fail(format!("update failed: {err}\n{text}\n{log}")))?;
        check_all(&mut engine, program, &format!("{text}\n{log}"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROVENANCE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(40),
        failure_persistence: None,
        ..ProptestConfig::default() })]

    #[test]
    fn every_proof_is_valid_after_run_and_updates(
        program in proptest::collection::vec(any::<u8>(), 0..600),
        ops in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        check(&program, &ops)?;
    }
}

const GENEALOGY: &str = r#".policy "genealogy-demo" version "1.0.0"
.decl consumed(output: symbol, input: symbol)
.decl recalled(lot: symbol)
.decl cleared(lot: symbol)
.decl affected(lot: symbol)
recalled("L1").
affected(x) :- recalled(x).
affected(y) :- affected(x), consumed(y, x), !cleared(y), x != y.
"#;

/// The genealogy program with its given facts (as `.input` files would give them).
fn genealogy_engine(program: &ir::Program) -> Engine {
    let mut engine = Engine::new(program);
    let consumed = program.relation_by_name("consumed").expect("declared");
    let cleared = program.relation_by_name("cleared").expect("declared");
    let mut rows = Vec::new();
    for (output, input) in [
        ("B1", "L1"),
        ("B2", "B1"),
        ("B3", "B2"),
        ("P1", "B3"),
        ("B4", "L9"),
    ] {
        rows.push(engine.values_mut().intern(output) as u64);
        rows.push(engine.values_mut().intern(input) as u64);
    }
    engine.insert(consumed, rows);
    let b4 = engine.values_mut().intern("B4") as u64;
    engine.insert(cleared, vec![b4]);
    engine
}

#[test]
fn explanation_of_a_genealogy_tuple() {
    let compiled = tracelog::driver::compile_text("genealogy.dl", GENEALOGY).expect("checks");
    let program = &compiled.program;
    let mut engine = genealogy_engine(program);
    engine.set_provenance(true);
    engine.run(&limits()).expect("runs");
    let mut sources = compiled.sources;
    let (rel, tuple) = provenance::parse_atom(
        &mut sources,
        program,
        engine.values_mut(),
        r#"affected("P1")"#,
    )
    .expect("a good atom");
    let proof = provenance::explain(&mut engine, program, rel, &tuple).expect("derived");
    let text = provenance::render(&proof, program, &sources, engine.values(), &|_, _| None);
    insta::assert_snapshot!(text);

    // Clearing B2 (a negated relation changes: the stratum is evaluated again)
    // cuts the chain: P1 is not derived any more, B1 still is, with a valid proof.
    let b2 = engine.values_mut().intern("B2") as u64;
    let cleared = program.relation_by_name("cleared").expect("declared");
    engine
        .update(vec![Change::insert(cleared, vec![b2])], &limits())
        .expect("updates");
    assert_eq!(
        provenance::explain(&mut engine, program, rel, &tuple).map(|_| ()),
        Err(provenance::ExplainError::NotDerived)
    );
    let b1 = engine.values_mut().intern("B1") as u64;
    let proof = provenance::explain(&mut engine, program, rel, &[b1]).expect("still derived");
    // recalled(L1) is stated in the program (a rule without body), consumed(B1, L1) given.
    assert_eq!(proof.nodes.len(), 4);
    assert_eq!(proof.leaves().count(), 1);
}

#[test]
fn without_recording_there_is_no_proof() {
    let compiled = tracelog::driver::compile_text("genealogy.dl", GENEALOGY).expect("checks");
    let program = &compiled.program;
    let mut engine = genealogy_engine(program);
    engine.run(&limits()).expect("runs");
    let mut sources = compiled.sources;
    let (rel, tuple) = provenance::parse_atom(
        &mut sources,
        program,
        engine.values_mut(),
        r#"affected("B1")"#,
    )
    .expect("a good atom");
    assert_eq!(
        provenance::explain(&mut engine, program, rel, &tuple).map(|_| ()),
        Err(provenance::ExplainError::NotRecorded)
    );
}

const REACH: &str = r#".decl start(x: symbol)
.decl edge(a: symbol, b: symbol)
.decl reach(x: symbol)
reach(x) :- start(x).
reach(y) :- reach(x), edge(x, y).
"#;

/// The `edge` premises of a proof, as (from, to) names.
fn edges_used(
    proof: &provenance::Proof,
    program: &ir::Program,
    engine: &Engine,
) -> Vec<(String, String)> {
    let edge = program.relation_by_name("edge").expect("declared");
    let mut used: Vec<(String, String)> = proof
        .nodes
        .iter()
        .filter(|node| node.rel == edge)
        .map(|node| {
            let name = |value: u64| engine.values().symbol(value as u32).to_owned();
            (name(node.tuple[0]), name(node.tuple[1]))
        })
        .collect();
    used.sort();
    used
}

#[test]
fn proofs_follow_incremental_updates() {
    let compiled = tracelog::driver::compile_text("reach.dl", REACH).expect("checks");
    let program = &compiled.program;
    let start = program.relation_by_name("start").expect("declared");
    let edge = program.relation_by_name("edge").expect("declared");
    let reach = program.relation_by_name("reach").expect("declared");
    let mut engine = Engine::new(program);
    engine.set_provenance(true);
    let id = |engine: &mut Engine, name: &str| engine.values_mut().intern(name) as u64;
    let (s, a, b, t, u) = (
        id(&mut engine, "S"),
        id(&mut engine, "A"),
        id(&mut engine, "B"),
        id(&mut engine, "T"),
        id(&mut engine, "U"),
    );
    engine.insert(start, vec![s]);
    // T is reached directly from S, and also through A and B.
    engine.insert(edge, vec![s, t, s, a, a, b, b, t]);
    engine.run(&limits()).expect("runs");
    let proof = provenance::explain(&mut engine, program, reach, &[t]).expect("derived");
    assert_eq!(
        edges_used(&proof, program, &engine),
        [("S".to_owned(), "T".to_owned())]
    );

    // Without the direct edge (DRed: T is deleted and re-derived) the proof
    // is the longer one, with heights that decrease along it.
    engine
        .update(vec![Change::delete(edge, vec![s, t])], &limits())
        .expect("updates");
    let proof = provenance::explain(&mut engine, program, reach, &[t]).expect("still derived");
    assert_eq!(
        edges_used(&proof, program, &engine),
        [
            ("A".to_owned(), "B".to_owned()),
            ("B".to_owned(), "T".to_owned()),
            ("S".to_owned(), "A".to_owned())
        ]
    );

    // An insertion continues the fixpoint: the new tuple's proof rests on the old ones.
    engine
        .update(vec![Change::insert(edge, vec![t, u])], &limits())
        .expect("updates");
    let proof = provenance::explain(&mut engine, program, reach, &[u]).expect("derived");
    assert_eq!(edges_used(&proof, program, &engine).len(), 4);
    let height = |engine: &Engine, x: u64| engine.height(reach, &[x]).expect("annotated");
    assert!(height(&engine, t) < height(&engine, u));

    // Taking the start away leaves nothing to explain.
    engine
        .update(vec![Change::delete(start, vec![s])], &limits())
        .expect("updates");
    assert_eq!(
        provenance::explain(&mut engine, program, reach, &[u]).map(|_| ()),
        Err(provenance::ExplainError::NotDerived)
    );
}
