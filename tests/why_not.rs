//! This module tests why-not (`tracelog::provenance::why_not`) and
//! alternative proofs (`provenance::explain_all`).
//!
//! Property: on random stratified programs (`tests/common/generator.rs`),
//! for random tuples of derived relations that are not derived, `why_not`
//! answers with every rule for the relation, and each rule it says is blocked
//! at literal k really has no binding that satisfies the head and literals
//! 0..=k: checked by the engine itself on a probe rule made of those
//! literals (a zero-arity relation that must stay empty). A head said not to
//! unify really does not; for derived tuples the answer is `Derived`, and
//! `explain_all` gives distinct, acyclic proofs, the first being `explain`'s.
//! `WHY_NOT_CASES=N` runs a longer search (32 cases by default).
//!
//! Examples (snapshots): a shipment without receipt, an unrecorded
//! transformation in a genealogy chain, a negation and a comparison that
//! block, a head that does not unify, alternative proofs, `--limit`, and the
//! command line's errors.

mod common;

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use predicates::str::contains;
use proptest::prelude::*;
use tracelog::engine::{Engine, Limits};
use tracelog::ir::{self, CompareOp, Const, Literal, RelId, RuleId, Type};
use tracelog::provenance::{self, Asker, ExplainError, Outcome, Step};

use common::generator::{SYMBOLS, compile, generate};

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

/// The program with one more stratum: `$probe() :- literals 0..=k of
/// `rule`, with each head variable equal to the tuple's value` (the equality
/// right after the literal that binds the variable).
fn probe(program: &ir::Program, rule: &ir::Rule, tuple: &[Const], k: usize) -> ir::Program {
    let mut probe = program.clone();
    let rel = RelId(probe.relations.len() as u32);
    let mut relation = program.relation(rule.head.rel).clone();
    relation.name = "$probe".to_string();
    relation.columns.clear();
    relation.inputs.clear();
    relation.outputs.clear();
    relation.printsize = None;
    relation.hidden = true;
    probe.relations.push(relation);
    let mut pending: Vec<(ir::VarId, Const)> = rule
        .head
        .args
        .iter()
        .zip(tuple)
        .filter_map(|(arg, value)| match arg {
            ir::Expr::Var(var) => Some((*var, value.clone())),
            _ => None,
        })
        .collect();
    let mut body = Vec::new();
    for literal in &rule.body[..=k] {
        body.push(literal.clone());
        let binds: Vec<ir::VarId> = match literal {
            Literal::Positive(atom) => atom
                .args
                .iter()
                .filter_map(|term| match term {
                    ir::Term::Var(var) => Some(*var),
                    _ => None,
                })
                .collect(),
            Literal::Assign(var, _) => vec![*var],
            Literal::Aggregate(aggregate) => vec![aggregate.result],
            Literal::Negative(_) | Literal::Compare(..) => Vec::new(),
        };
        pending.retain(|(var, value)| {
            if binds.contains(var) {
                body.push(Literal::Compare(
                    CompareOp::Eq,
                    ir::Expr::Var(*var),
                    ir::Expr::Const(value.clone()),
                ));
                false
            } else {
                true
            }
        });
    }
    probe.rules.push(ir::Rule {
        head: ir::Head {
            rel,
            args: Vec::new(),
        },
        body,
        vars: rule.vars.clone(),
        origin: rule.origin,
    });
    probe.strata.push(ir::Stratum {
        relations: vec![rel],
        rules: vec![RuleId(probe.rules.len() as u32 - 1)],
        recursive: false,
    });
    probe
}

/// Checks `why_not` on one tuple that is not derived.
fn check_not_derived(
    engine: &mut Engine,
    program: &ir::Program,
    rel: RelId,
    tuple: &[u64],
    sources: &tracelog::source::SourceMap,
    context: &str,
) -> Result<(), TestCaseError> {
    let why = provenance::why_not(engine, program, rel, tuple, 3)
        .map_err(|err| TestCaseError::fail(format!("why_not failed: {err}\n{context}")))?;
    let rules_for: Vec<RuleId> = (0..program.rules.len())
        .map(|idx| RuleId(idx as u32))
        .filter(|rule| program.rule(*rule).head.rel == rel)
        .collect();
    let answered: Vec<RuleId> = why.rules.iter().map(|r| r.rule).collect();
    prop_assert_eq!(
        &answered,
        &rules_for,
        "not every rule is answered\n{}",
        context
    );
    prop_assert_eq!(why.derived, engine.is_derived(rel));
    let types: Vec<Type> = program.relation(rel).columns.iter().map(|c| c.ty).collect();
    let constants: Vec<Const> = tuple
        .iter()
        .zip(&types)
        .map(|(&raw, &ty)| engine.values().decode(ty, raw))
        .collect();
    for rule_why in &why.rules {
        let rule = program.rule(rule_why.rule);
        match &rule_why.outcome {
            Outcome::HeadMismatch { col, same_as } => {
                let ok = match (&rule.head.args[*col], same_as) {
                    (_, Some(other)) => constants[*col] != constants[*other],
                    (ir::Expr::Const(constant), None) => {
                        engine.values_mut().encode(types[*col], constant) != Some(tuple[*col])
                    }
                    // A value that is no value of the variable's type.
                    (ir::Expr::Var(var), None) => rule.var(*var).ty != types[*col],
                    _ => false,
                };
                prop_assert!(ok, "a head said not to unify does\n{}", context);
            }
            Outcome::Blocked(blocked) if !blocked.capped => {
                let probed = probe(program, rule, &constants, blocked.literal);
                let mut probe_engine = Engine::new(&probed);
                probe_engine.run(&limits()).map_err(|err| {
                    TestCaseError::fail(format!("the probe failed: {err}\n{context}"))
                })?;
                let probe_rel = RelId(probed.relations.len() as u32 - 1);
                prop_assert!(
                    !probe_engine.contains(probe_rel, &[]),
                    "rule {:?} is said to be blocked at literal {} but literals 0..={} hold for {:?}\n{}",
                    rule_why.rule,
                    blocked.literal,
                    blocked.literal,
                    constants,
                    context
                );
            }
            _ => (),
        }
    }
    // The text names the tuple and every rule analysed.
    let text = provenance::render_why_not(&why, program, sources, engine.values(), Asker::Command);
    let asked = provenance::render_tuple(program, engine.values(), rel, tuple);
    prop_assert!(text.starts_with(&asked), "{}\n{}", text, context);
    Ok(())
}

/// A rule and its premises (body literal, relation, tuple).
type RootStep = (RuleId, Vec<(usize, RelId, Vec<u64>)>);

/// The root step of a proof (none for a given fact).
fn root_step(proof: &provenance::Proof) -> Option<RootStep> {
    match &proof.nodes[proof.root].step {
        Step::Base => None,
        Step::Rule { rule, premises, .. } => Some((
            *rule,
            premises
                .iter()
                .map(|&(literal, node)| {
                    (
                        literal,
                        proof.nodes[node].rel,
                        proof.nodes[node].tuple.clone(),
                    )
                })
                .collect(),
        )),
    }
}

/// `explain_all` on a derived tuple: distinct, acyclic proofs of it, the first `explain`'s.
fn check_alternatives(
    engine: &mut Engine,
    program: &ir::Program,
    rel: RelId,
    tuple: &[u64],
    context: &str,
) -> Result<(), TestCaseError> {
    let alternatives = provenance::explain_all(engine, program, rel, tuple, 4)
        .map_err(|err| TestCaseError::fail(format!("explain_all failed: {err}\n{context}")))?;
    let shortest = provenance::explain(engine, program, rel, tuple)
        .map_err(|err| TestCaseError::fail(format!("explain failed: {err}\n{context}")))?;
    prop_assert!(!alternatives.proofs.is_empty(), "no proof\n{}", context);
    prop_assert!(alternatives.proofs.len() <= 4);
    prop_assert!(alternatives.total >= alternatives.proofs.len());
    prop_assert_eq!(
        root_step(&alternatives.proofs[0]),
        root_step(&shortest),
        "the first alternative is not the shortest proof\n{}",
        context
    );
    // Counting without building a proof agrees with building them all.
    let every = provenance::explain_all(engine, program, rel, tuple, provenance::ALTERNATIVES_CAP)
        .map_err(|err| TestCaseError::fail(format!("explain_all failed: {err}\n{context}")))?;
    prop_assert_eq!(
        every.total,
        alternatives.total,
        "totals differ\n{}",
        context
    );
    prop_assert_eq!(
        every.proofs.len(),
        every.total.min(provenance::ALTERNATIVES_CAP)
    );
    let mut seen = Vec::new();
    for proof in &alternatives.proofs {
        let root = &proof.nodes[proof.root];
        prop_assert!(root.rel == rel && root.tuple == tuple);
        prop_assert!(!proof.is_circular(), "a circular proof\n{}", context);
        let step = root_step(proof);
        prop_assert!(!seen.contains(&step), "the same proof twice\n{}", context);
        seen.push(step);
    }
    Ok(())
}

fn check(program_bytes: &[u8], tuple_bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = generate(program_bytes).text();
    let compiled = compile(&text).map_err(TestCaseError::fail)?;
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    engine.set_provenance(true);
    engine
        .run(&limits())
        .map_err(|err| TestCaseError::fail(format!("run failed: {err}\n{text}")))?;
    let mut bytes = tuple_bytes.iter().copied();
    let mut next = move || bytes.next().unwrap_or(0);
    for idx in 0..program.relations.len() {
        let rel = RelId(idx as u32);
        if !engine.is_derived(rel) || program.relation(rel).hidden {
            continue;
        }
        let types: Vec<Type> = program.relation(rel).columns.iter().map(|c| c.ty).collect();
        let rows: Vec<Vec<u64>> = engine.rows(rel).take(3).map(<[u64]>::to_vec).collect();
        // Derived tuples: the answer is `Derived`; alternative proofs are distinct
        // and the first is the shortest proof.
        for row in &rows {
            check_alternatives(&mut engine, program, rel, row, &text)?;
            let res = provenance::why_not(&mut engine, program, rel, row, 3);
            prop_assert!(
                matches!(res, Err(ExplainError::Derived)),
                "a derived tuple of `{}` got {:?}\n{}",
                program.relation(rel).name,
                res.map(|_| ()),
                text
            );
        }
        // Tuples that are not derived: random ones, and derived ones with one value changed.
        let mut candidates: Vec<Vec<u64>> = Vec::new();
        for _ in 0..3 {
            let tuple: Vec<u64> = types
                .iter()
                .map(|&ty| {
                    let constant = value(next(), ty);
                    engine.values_mut().encode(ty, &constant).expect("a value")
                })
                .collect();
            candidates.push(tuple);
        }
        for row in &rows {
            if types.is_empty() {
                break;
            }
            let mut tuple = row.clone();
            let col = next() as usize % types.len();
            let constant = value(next(), types[col]);
            tuple[col] = engine
                .values_mut()
                .encode(types[col], &constant)
                .expect("a value");
            candidates.push(tuple);
        }
        if types.is_empty() {
            candidates = vec![Vec::new()];
        }
        for tuple in candidates {
            if engine.contains(rel, &tuple) {
                continue;
            }
            check_not_derived(&mut engine, program, rel, &tuple, &compiled.sources, &text)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("WHY_NOT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32),
        failure_persistence: None,
        ..ProptestConfig::default() })]

    #[test]
    fn blocked_literals_really_block(
        program in proptest::collection::vec(any::<u8>(), 0..600),
        tuples in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        check(&program, &tuples)?;
    }
}

// ---- Examples, through the command line ----

fn tracelog(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("tracelog");
    cmd.current_dir(dir)
        .env("TRACELOG_USER", "qa.jdoe")
        .env_remove("TRACELOG_DB");
    cmd
}

fn stdout(dir: &Path, args: &[&str]) -> String {
    let out = tracelog(dir).args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).expect("utf-8")
}

const FLOW: &str = r#".policy "receipt-check" version "2.1.0"
.decl shipped(event: symbol, sscc: symbol, at: datetime)
.decl receipt(event: symbol, sscc: symbol, at: datetime)
.decl received_at(sscc: symbol, at: datetime)
.decl quarantined(sscc: symbol)
.decl released(sscc: symbol)
.decl shipped_to(sscc: symbol, site: symbol)
.input shipped
.input receipt
.input quarantined
received_at(s, t) :- shipped(e, s, t0), receipt(e2, s, t), t >= t0.
released(s) :- received_at(s, _), !quarantined(s).
shipped_to(s, "DC07") :- shipped(_, s, _).
shipped_to(s, "DC09") :- received_at(s, _).
"#;

fn flow() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("flow.dl"), FLOW).unwrap();
    std::fs::write(
        dir.join("shipped.facts"),
        "E1\turn:epc:id:sscc:1\t2026-01-01T08:00:00Z\n\
         E2\turn:epc:id:sscc:2\t2026-01-01T09:00:00Z\n\
         E3\turn:epc:id:sscc:3\t2026-01-03T09:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("receipt.facts"),
        "R2\turn:epc:id:sscc:2\t2026-01-02T10:00:00Z\n\
         R3\turn:epc:id:sscc:3\t2026-01-02T10:00:00Z\n",
    )
    .unwrap();
    std::fs::write(dir.join("quarantined.facts"), "urn:epc:id:sscc:2\n").unwrap();
    tmp
}

/// `tracelog explain --not ATOM --rules flow.dl` over the [`flow`] fixture.
fn why_not_in_flow(atom: &str) -> String {
    let tmp = flow();
    stdout(
        tmp.path(),
        &["explain", "--not", atom, "--rules", "flow.dl"],
    )
}

#[test]
fn a_shipment_without_receipt() {
    let text = why_not_in_flow(r#"received_at("urn:epc:id:sscc:1", "2026-01-02T10:00:00Z")"#);
    assert!(text.contains("blocked at literal 2 of 3: receipt(e2, s, t)"));
    assert!(text.contains(r#"receipt("R2", "urn:epc:id:sscc:2", "2026-01-02T10:00:00Z")"#));
    insta::assert_snapshot!(text);
}

#[test]
fn a_missing_derived_premise_is_analysed_one_level_down() {
    let text = why_not_in_flow(r#"released("urn:epc:id:sscc:1")"#);
    assert!(text.contains(r#"none derives received_at("urn:epc:id:sscc:1", _)"#));
    assert!(text.contains(r#"receipt(e2, "urn:epc:id:sscc:1", t)"#));
    insta::assert_snapshot!(text);
}

#[test]
fn a_negation_that_blocks() {
    let text = why_not_in_flow(r#"released("urn:epc:id:sscc:2")"#);
    assert!(text.contains("blocked at literal 2 of 2: not quarantined(s)"));
    assert!(text.contains("the negated fact exists:\n      quarantined(\"urn:epc:id:sscc:2\")"));
    insta::assert_snapshot!(text);
}

#[test]
fn a_comparison_that_blocks() {
    let text = why_not_in_flow(r#"received_at("urn:epc:id:sscc:3", "2026-01-02T10:00:00Z")"#);
    assert!(text.contains("blocked at literal 3 of 3: t >= t0"));
    assert!(text.contains(r#""2026-01-02T10:00:00Z" >= "2026-01-03T09:00:00Z""#));
    insta::assert_snapshot!(text);
}

#[test]
fn a_head_that_does_not_unify() {
    let text = why_not_in_flow(r#"shipped_to("urn:epc:id:sscc:1", "DC09")"#);
    assert!(
        text.contains(
            r#"cannot derive it: its head needs "DC07" in column 2 (`site`), not "DC09""#
        )
    );
    // The other rule is analysed: its premise is missing.
    assert!(text.contains("blocked at literal 1 of 1: received_at(s, _)"));
    insta::assert_snapshot!(text);
}

#[test]
fn a_base_fact_that_is_not_recorded() {
    let text = why_not_in_flow(r#"receipt("R1", "urn:epc:id:sscc:1", "2026-01-02T10:00:00Z")"#);
    assert!(text.contains("is not a recorded fact: `receipt` is a base relation"));
    insta::assert_snapshot!(text);
}

const COUNTS: &str = r#".decl lot(l: symbol, qty: number)
.decl big(l: symbol, n: number)
.decl next(l: symbol, q: number)
.decl least(m: number)
lot("A", 5). lot("B", 7). lot("A", 9).
big(l, n) :- lot(l, _), n = count : { lot(l, _) }, n > 1.
next(l, q + 1) :- lot(l, q).
least(m) :- m = min q : { lot(_, q), q > 100 }.
"#;

#[test]
fn aggregates_and_computed_heads() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("c.dl"), COUNTS).unwrap();
    let mut text = String::new();
    for atom in [
        r#"big("A", 3)"#,
        r#"next("A", 7)"#,
        "least(5)",
        r#"lot("C", 1)"#,
    ] {
        text.push_str(&stdout(
            tmp.path(),
            &["explain", "--not", atom, "--rules", "c.dl"],
        ));
        text.push('\n');
    }
    assert!(text.contains("n = count : { lot(\"A\", _) }"));
    assert!(text.contains("2, but the head needs 3"));
    assert!(text.contains("but its head computes other values"));
    assert!(text.contains("no value (an empty group"));
    assert!(text.contains("is not a fact: `lot` has no rules"));
    insta::assert_snapshot!(text);
}

const GENEALOGY: &str = r#".policy "genealogy-demo" version "1.0.0"
.decl transformed(output: symbol, input: symbol, step: symbol)
.decl recalled(lot: symbol)
.decl affected(lot: symbol)
.input transformed
.input recalled
affected(x) :- recalled(x).
affected(y) :- affected(x), transformed(y, x, _).
"#;

fn genealogy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("g.dl"), GENEALOGY).unwrap();
    // B2 -> P1 was never recorded: the chain L1 -> B1 -> B2 stops there.
    std::fs::write(
        dir.join("transformed.facts"),
        "B1\tL1\tblend\nB2\tB1\tgranulate\nP2\tB3\tpress\nB1\tL2\tblend\n",
    )
    .unwrap();
    std::fs::write(dir.join("recalled.facts"), "L1\nL2\n").unwrap();
    tmp
}

#[test]
fn an_unrecorded_transformation() {
    let tmp = genealogy();
    let text = stdout(
        tmp.path(),
        &["explain", "--not", r#"affected("P1")"#, "--rules", "g.dl"],
    );
    assert!(text.contains("blocked at literal 2 of 2: transformed(y, x, _)"));
    assert!(text.contains(r#"transformed("P1", "B2", _)"#));
    insta::assert_snapshot!(text);
    // The proof of the last link that exists.
    tracelog(tmp.path())
        .args(["explain", r#"affected("B2")"#, "--rules", "g.dl"])
        .assert()
        .success();
}

#[test]
fn alternative_proofs_and_limit() {
    let tmp = genealogy();
    let text = stdout(
        tmp.path(),
        &["explain", "--all", r#"affected("B1")"#, "--rules", "g.dl"],
    );
    assert!(text.contains("proof 1 of 2:") && text.contains("proof 2 of 2:"));
    assert!(text.contains(r#"with y = "B1", x = "L1""#));
    assert!(text.contains(r#"with y = "B1", x = "L2""#));
    insta::assert_snapshot!("alternative_proofs", text);
    let text = stdout(
        tmp.path(),
        &[
            "explain",
            "--all",
            "--limit",
            "1",
            r#"affected("B1")"#,
            "--rules",
            "g.dl",
        ],
    );
    assert!(text.contains("proof 1 of 2:") && !text.contains("proof 2 of 2:"));
    assert!(text.contains("1 more not shown: raise --limit to see them"));
    // The first alternative is the shortest proof `explain` shows.
    let shortest = stdout(
        tmp.path(),
        &["explain", r#"affected("B1")"#, "--rules", "g.dl"],
    );
    assert!(text.contains(&shortest));
}

#[test]
fn limit_bounds_closest_tuples() {
    let tmp = genealogy();
    let closest = |text: &str| text.matches("column 1 (`output`) is").count();
    let all = stdout(
        tmp.path(),
        &[
            "explain",
            "--not",
            r#"transformed("P1", "B1", "press")"#,
            "--rules",
            "g.dl",
        ],
    );
    let one = stdout(
        tmp.path(),
        &[
            "explain",
            "--not",
            "--limit",
            "1",
            r#"transformed("P1", "B1", "press")"#,
            "--rules",
            "g.dl",
        ],
    );
    assert!(closest(&all) >= 2, "{all}");
    assert_eq!(closest(&one), 1, "{one}");
    insta::assert_snapshot!(one);
}

#[test]
fn errors_of_not_and_all() {
    let tmp = genealogy();
    tracelog(tmp.path())
        .args(["explain", "--not", r#"affected("B1")"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            contains(r#"error[is-derived]: affected("B1") is derived"#)
                .and(contains("<atom>:1:1"))
                .and(contains("drop --not")),
        );
    tracelog(tmp.path())
        .args(["explain", r#"affected("P1")"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stderr(contains("error[not-derived]").and(contains("tracelog explain --not")));
    tracelog(tmp.path())
        .args(["explain", "--all", r#"affected("P1")"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stderr(contains("error[not-derived]"));
    tracelog(tmp.path())
        .args([
            "explain",
            "--not",
            "--all",
            r#"affected("P1")"#,
            "--rules",
            "g.dl",
        ])
        .assert()
        .code(2);
    tracelog(tmp.path())
        .args([
            "explain",
            "--limit",
            "3",
            r#"affected("B1")"#,
            "--rules",
            "g.dl",
        ])
        .assert()
        .code(2);
}

// ---- The library API ----

#[test]
fn partial_bindings_are_capped_and_said_so() {
    let mut text = String::from(
        ".decl a(y: number)\n.decl b(z: number)\n.decl c(x: number, y: number, z: number)\n.decl r(x: number)\n",
    );
    for n in 0..40 {
        text.push_str(&format!("a({n}). b({n}).\n"));
    }
    text.push_str("c(1, 100, 100).\nr(x) :- a(y), b(z), c(x, y, z).\n");
    let compiled = tracelog::driver::compile_text("cap.dl", &text).expect("checks");
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    engine.run(&limits()).expect("runs");
    let rel = program.relation_by_name("r").expect("declared");
    let one = tracelog::value::encode_int(1);
    let why = provenance::why_not(&mut engine, program, rel, &[one], 2).expect("not derived");
    let [rule] = why.rules.as_slice() else {
        panic!("one rule expected: {why:?}");
    };
    let Outcome::Blocked(blocked) = &rule.outcome else {
        panic!("blocked expected: {why:?}");
    };
    assert_eq!(blocked.literal, 2);
    assert!(blocked.capped);
    assert_eq!(blocked.partials, provenance::PARTIAL_CAP);
    assert_eq!(blocked.samples.len(), 2);
    let rendered = provenance::render_why_not(
        &why,
        program,
        &compiled.sources,
        engine.values(),
        Asker::Command,
    );
    assert!(
        rendered.contains(
            "1000 partial bindings, capped at 1000: one left out might get further; the first 2"
        ),
        "{rendered}"
    );
    // The closest tuple of `c` agrees with x = 1.
    assert!(rendered.contains("c(1, 100, 100)"), "{rendered}");
}

#[test]
fn base_relations_and_derived_tuples() {
    let compiled = tracelog::driver::compile_text(
        "base.dl",
        ".decl given(x: symbol)\n.input given\n.decl seen(x: symbol)\nseen(x) :- given(x).\n",
    )
    .expect("checks");
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    let given = program.relation_by_name("given").expect("declared");
    let seen = program.relation_by_name("seen").expect("declared");
    let a = engine.values_mut().intern("a") as u64;
    let b = engine.values_mut().intern("b") as u64;
    engine.insert(given, vec![a]);
    engine.run(&limits()).expect("runs");
    let why = provenance::why_not(&mut engine, program, given, &[b], 5).expect("not recorded");
    assert!(!why.derived && why.rules.is_empty());
    let text = provenance::render_why_not(
        &why,
        program,
        &compiled.sources,
        engine.values(),
        Asker::Command,
    );
    assert!(
        text.starts_with(r#"given("b") is not a recorded fact"#),
        "{text}"
    );
    assert!(matches!(
        provenance::why_not(&mut engine, program, seen, &[a], 5),
        Err(ExplainError::Derived)
    ));
    assert!(matches!(
        provenance::why_not(&mut engine, program, given, &[a], 5),
        Err(ExplainError::Derived)
    ));
    // A tuple of the wrong length is an error, not a panic.
    assert!(matches!(
        provenance::why_not(&mut engine, program, seen, &[a, b], 5),
        Err(ExplainError::Invalid(_))
    ));
    let why = provenance::why_not(&mut engine, program, seen, &[b], 5).expect("not derived");
    assert!(why.derived);
    assert_eq!(why.rules.len(), 1);
}

#[test]
fn deeper_missing_premises_name_the_next_question() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("chain.dl"),
        "base(\"a\", 1, 2).\nn(x, y, z) :- base(x, y, z).\nm(x, y) :- n(x, y, _).\nr(x) :- m(x, _).\nj(x) :- r(x).\nk(x) :- j(x).\n",
    )
    .unwrap();
    let text = stdout(
        tmp.path(),
        &["explain", "--not", r#"r("q")"#, "--rules", "chain.dl"],
    );
    // One level down only, then the question to ask next.
    assert!(text.contains(r#"`m` is derived by rules; none derives m("q", _):"#));
    assert!(text.contains(
        r#"`tracelog explain --not` on the n("q", _, _) you expected shows why it is missing"#
    ));
    assert!(!text.contains("base("));
    let text = stdout(
        tmp.path(),
        &["explain", "--not", r#"k("q")"#, "--rules", "chain.dl"],
    );
    assert!(text.contains(r#"`tracelog explain --not 'r("q")'` shows why that tuple is missing"#));
}

#[test]
fn the_next_question_is_named_the_way_the_user_asked() {
    let text = "base(\"a\", 1).\nm(x, y) :- base(x, y).\nr(x) :- m(x, _).\nj(x) :- r(x).\n";
    let compiled = tracelog::driver::compile_text("chain.dl", text).expect("checks");
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    engine.run(&limits()).expect("runs");
    let rel = program.relation_by_name("j").expect("declared");
    let q = engine.values_mut().intern("q") as u64;
    let why = provenance::why_not(&mut engine, program, rel, &[q], 5).expect("not derived");
    let render = |asker| {
        provenance::render_why_not(&why, program, &compiled.sources, engine.values(), asker)
    };
    // Below the one level analysed: `m` for r("q") at the command line, at the prompt.
    let command = render(Asker::Command);
    assert!(
        command.contains("`tracelog explain --not` on the m(\"q\", _) you expected"),
        "{command}"
    );
    let repl = render(Asker::Repl);
    assert!(
        repl.contains("`:whynot` on the m(\"q\", _) you expected"),
        "{repl}"
    );
    assert!(!repl.contains("tracelog explain"), "{repl}");
}
