//! This module tests the engine on programs written as text (parsed and
//! checked by the real front end): the language reference's examples and the
//! shared workload's rules on small inline data.

use crate::driver;
use crate::engine::{Engine, Limits};
use crate::ir::{self, RelId};

/// Compiles and evaluates `text`; the program must check without errors.
fn eval(text: &str) -> (ir::Program, Engine) {
    let compiled = match driver::compile_text("test.dl", text) {
        Ok(compiled) => compiled,
        Err(failed) => panic!("program did not check: {:?}", failed.diagnostics),
    };
    let mut engine = Engine::new(&compiled.program);
    engine.run(&Limits::default()).unwrap();
    (compiled.program, engine)
}

/// The tuples of `rel` as `a,b` text, sorted as text.
fn rows(program: &ir::Program, engine: &Engine, rel: &str) -> Vec<String> {
    let rel_id: RelId = program
        .relation_by_name(rel)
        .unwrap_or_else(|| panic!("no relation {rel}"));
    let types: Vec<ir::Type> = program
        .relation(rel_id)
        .columns
        .iter()
        .map(|column| column.ty)
        .collect();
    let mut res: Vec<String> = engine
        .rows(rel_id)
        .map(|row| {
            let fields: Vec<String> = row
                .iter()
                .zip(&types)
                .map(|(value, ty)| {
                    let mut out = String::new();
                    engine.values().write(&mut out, *ty, *value);
                    out
                })
                .collect();
            fields.join(",")
        })
        .collect();
    res.sort();
    res
}

fn strings(rows: &[&str]) -> Vec<String> {
    let mut res: Vec<String> = rows.iter().map(|row| (*row).to_owned()).collect();
    res.sort();
    res
}

#[test]
fn fibonacci_with_arithmetic_in_atom_arguments() {
    let (program, engine) = eval(
        r#"
fib(0, 0). fib(1, 1).
fib(n + 1, x + y) :- fib(n, x), fib(n - 1, y), n < 10.
"#,
    );
    let fib = rows(&program, &engine, "fib");
    assert_eq!(fib.len(), 11);
    assert!(fib.contains(&"10,55".to_owned()), "{fib:?}");
}

#[test]
fn negation_and_local_variables_of_negated_atoms() {
    let (program, engine) = eval(
        r#"
lot("L1"). lot("L2"). lot("L3").
released("L1").
blocked(x) :- lot(x), !released(x).
also_blocked(x) :- lot(x), not released(x).
item("A"). item("B").
pair("A", "x", "x"). pair("B", "x", "y").
no_loop(i) :- item(i), not pair(i, p, p).
"#,
    );
    assert_eq!(rows(&program, &engine, "blocked"), strings(&["L2", "L3"]));
    assert_eq!(
        rows(&program, &engine, "also_blocked"),
        strings(&["L2", "L3"])
    );
    assert_eq!(rows(&program, &engine, "no_loop"), strings(&["B"]));
}

#[test]
fn aggregates_as_in_the_language_reference() {
    let (program, engine) = eval(
        r#"
shipped("L1", "DC1", 12). shipped("L1", "DC2", 4). shipped("L2", "DC1", 7).
lot("L1"). lot("L2"). lot("L3").
per_lot(lot, n, total) :- lot(lot), n = count : { shipped(lot, _, _) }, total = sum q : { shipped(lot, _, q) }.
biggest(m) :- m = max q : shipped(_, _, q).
sizes(n) :- n = count : shipped(_, _, _).
"#,
    );
    assert_eq!(
        rows(&program, &engine, "per_lot"),
        strings(&["L1,2,16", "L2,1,7", "L3,0,0"])
    );
    assert_eq!(rows(&program, &engine, "biggest"), strings(&["12"]));
    assert_eq!(rows(&program, &engine, "sizes"), strings(&["3"]));
}

#[test]
fn datetimes_and_builtins() {
    let (program, engine) = eval(
        r#"
.decl received(lot: symbol, at: datetime)
.decl expires(lot: symbol, at: datetime)
received("L1", "2026-03-01T08:00:00Z").
expires(lot, at + days(30)) :- received(lot, at).
label(lot, cat("lot-", lot)) :- received(lot, _).
late(lot) :- received(lot, at), at > "2026-02-01T00:00:00Z".
"#,
    );
    assert_eq!(
        rows(&program, &engine, "expires"),
        strings(&["L1,2026-03-31T08:00:00Z"])
    );
    assert_eq!(rows(&program, &engine, "label"), strings(&["L1,lot-L1"]));
    assert_eq!(rows(&program, &engine, "late"), strings(&["L1"]));
}

/// The shared workload's rules (q1–q3 and q0's aggregate-only rule) on a
/// small genealogy with known answers.
#[test]
fn supply_chain_queries_on_inline_data() {
    let (program, engine) = eval(
        r#"
.decl consumed(input_lot: symbol, output_lot: symbol)
.decl shipped(lot: symbol, from_site: symbol, to_site: symbol, day: number)
.decl trace_raw(lot: symbol)
.decl trace_finished(lot: symbol)
consumed("R1", "B1"). consumed("R2", "B1"). consumed("B1", "F1"). consumed("R3", "F1"). consumed("R4", "F2").
shipped("R1", "SUP1", "PLANT01", 1). shipped("R3", "SUP2", "PLANT01", 2). shipped("R4", "SUP3", "PLANT01", 2).
shipped("F1", "PLANT01", "DC1", 5). shipped("F1", "DC1", "C1", 6). shipped("F1", "DC1", "C2", 7).
shipped("F2", "PLANT01", "DC2", 5). shipped("F2", "DC2", "C3", 6).
trace_raw("R1").
trace_finished("F1").

.decl sizes(consumed: number, shipped: number)
sizes(c, s) :- c = count : consumed(_, _), s = count : shipped(_, _, _, _).

.decl descends(x: symbol, y: symbol)
descends(x, y) :- consumed(x, y).
descends(x, z) :- descends(x, y), consumed(y, z).
.decl descends_count(n: number)
descends_count(n) :- n = count : descends(_, _).

.decl affected(lot: symbol)
affected(y) :- trace_raw(x), consumed(x, y).
affected(z) :- affected(y), consumed(y, z).
.decl exposed_customer(customer: symbol)
exposed_customer(c) :- affected(l), shipped(l, _, dc, _), shipped(l, dc, c, _).

.decl ancestor(lot: symbol)
ancestor(x) :- trace_finished(y), consumed(x, y).
ancestor(x) :- ancestor(y), consumed(x, y).
.decl raw_ancestor(lot: symbol)
raw_ancestor(x) :- ancestor(x), !consumed(_, x).
.decl supplier(site: symbol)
supplier(s) :- raw_ancestor(x), shipped(x, s, _, _).
"#,
    );
    assert_eq!(rows(&program, &engine, "sizes"), strings(&["5,8"]));
    assert_eq!(rows(&program, &engine, "descends_count"), strings(&["7"]));
    assert_eq!(rows(&program, &engine, "affected"), strings(&["B1", "F1"]));
    assert_eq!(
        rows(&program, &engine, "exposed_customer"),
        strings(&["C1", "C2"])
    );
    assert_eq!(
        rows(&program, &engine, "ancestor"),
        strings(&["B1", "R1", "R2", "R3"])
    );
    assert_eq!(
        rows(&program, &engine, "raw_ancestor"),
        strings(&["R1", "R2", "R3"])
    );
    assert_eq!(
        rows(&program, &engine, "supplier"),
        strings(&["SUP1", "SUP2"])
    );
}

#[test]
fn queries_become_hidden_relations() {
    let (program, engine) = eval(
        r#"
edge("a", "b"). edge("b", "c").
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
?- path("a", x).
"#,
    );
    let query = program.queries.first().expect("one query").rel;
    let name = program.relation(query).name.clone();
    assert_eq!(rows(&program, &engine, &name), strings(&["b", "c"]));
}

#[test]
fn plan_of_the_closure_query() {
    let compiled = driver::compile_text(
        "q1.dl",
        r#"
.decl consumed(input_lot: symbol, output_lot: symbol)
.input consumed
.decl descends(x: symbol, y: symbol)
descends(x, y) :- consumed(x, y).
descends(x, z) :- descends(x, y), consumed(y, z).
.decl descends_count(n: number)
descends_count(n) :- n = count : descends(_, _).
.output descends_count(IO=stdout)
"#,
    )
    .unwrap();
    let plan = crate::plan::plan(&compiled.program);
    let expected = "\
stratum 0: consumed (base facts only)
stratum 1: descends (recursive: semi-naive fixpoint)
  indexes:
    #0 consumed[input_lot, output_lot] (static relation)
    #1 descends[y, x] (variable, stores the relation)
  descends(x, y) :- consumed(x, y).
    scan consumed(x, y) with index #0, binds (x, y)
    emit descends(x, y)
  descends(x, z) :- descends(x, y), consumed(y, z).
    delta descends(x, y): last round's tuples of #1, binds (y, x)
    join on (y) consumed(y, z) with index #0, binds (z)
    emit descends(x, z)
stratum 2: descends_count
  indexes:
    #0 descends_count[n] (variable, stores the relation)
  descends_count(n) :- n = count : { descends($_1, $_2) }.
    aggregate n = count : { descends($_1, $_2) }: size of descends
    emit descends_count(n)
";
    assert_eq!(
        crate::plan::render(&compiled.program, &plan, false),
        expected
    );
}
