//! This module tests [`Engine::update`] and [`Engine::restore`] on small
//! programs written as text: after every update each relation must equal what
//! a fresh engine computes from the same base facts.

use std::collections::{BTreeMap, BTreeSet};

use crate::driver;
use crate::engine::{Change, Engine, EngineError, Limits, StratumAction, UpdateStats};
use crate::ir::{self, Const, RelId, Type};
use crate::value::Value;

struct Case {
    program: ir::Program,
    engine: Engine,
    /// The base facts so far, as text.
    base: BTreeMap<RelId, BTreeSet<Vec<String>>>,
}

/// A tuple as text: `"a,b"`; `""` is the empty tuple.
fn fields(row: &str) -> Vec<String> {
    if row.is_empty() {
        Vec::new()
    } else {
        row.split(',').map(str::to_owned).collect()
    }
}

fn encode(engine: &mut Engine, program: &ir::Program, rel: RelId, row: &[String]) -> Vec<Value> {
    row.iter()
        .zip(&program.relation(rel).columns)
        .map(|(field, column)| {
            let value = match column.ty {
                Type::Number => Const::Int(field.parse().expect("a number")),
                _ => Const::Sym(field.clone()),
            };
            engine
                .values_mut()
                .encode(column.ty, &value)
                .expect("encodable")
        })
        .collect()
}

/// Every relation's tuples as sorted text.
fn render(program: &ir::Program, engine: &Engine) -> BTreeMap<String, Vec<String>> {
    let mut res = BTreeMap::new();
    for (idx, relation) in program.relations.iter().enumerate() {
        let mut rows: Vec<String> = engine
            .rows(RelId(idx as u32))
            .map(|row| {
                row.iter()
                    .zip(&relation.columns)
                    .map(|(value, column)| {
                        let mut out = String::new();
                        engine.values().write(&mut out, column.ty, *value);
                        out
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        rows.sort();
        res.insert(relation.name.clone(), rows);
    }
    res
}

impl Case {
    /// Compiles `text`, inserts `base` (`rel: row; row` per entry) and runs.
    fn new(text: &str, base: &[(&str, &[&str])]) -> Case {
        let program = match driver::compile_text("test.dl", text) {
            Ok(compiled) => compiled.program,
            Err(failed) => panic!("program did not check: {:?}", failed.diagnostics),
        };
        let engine = Engine::new(&program);
        let mut case = Case {
            program,
            engine,
            base: BTreeMap::new(),
        };
        for (rel, rows) in base {
            let rel = case.rel(rel);
            for row in *rows {
                case.base.entry(rel).or_default().insert(fields(row));
            }
        }
        case.engine = case.fresh();
        case
    }

    fn rel(&self, name: &str) -> RelId {
        self.program
            .relation_by_name(name)
            .unwrap_or_else(|| panic!("no relation {name}"))
    }

    /// A new engine evaluated from scratch on the current base facts.
    fn fresh(&self) -> Engine {
        let mut engine = Engine::new(&self.program);
        for (rel, rows) in &self.base {
            for row in rows {
                if row.is_empty() {
                    engine.insert_empty_tuple(*rel);
                } else {
                    let flat = encode(&mut engine, &self.program, *rel, row);
                    engine.insert(*rel, flat);
                }
            }
        }
        engine.run(&Limits::default()).expect("no limits");
        engine
    }

    fn change(&mut self, insert: &[(&str, &str)], delete: &[(&str, &str)]) -> Vec<Change> {
        let mut changes = Vec::new();
        for (rows, is_insert) in [(delete, false), (insert, true)] {
            for (name, row) in rows {
                let rel = self.rel(name);
                let row = fields(row);
                let mut change = Change::insert(rel, Vec::new());
                if row.is_empty() {
                    change.insert_unit = is_insert;
                    change.delete_unit = !is_insert;
                } else {
                    let flat = encode(&mut self.engine, &self.program, rel, &row);
                    if is_insert {
                        change.insert = flat;
                    } else {
                        change.delete = flat;
                    }
                }
                let set = self.base.entry(rel).or_default();
                if is_insert {
                    set.insert(row);
                } else {
                    set.remove(&row);
                }
                changes.push(change);
            }
        }
        changes
    }

    /// Applies the change and checks every relation against a fresh engine.
    fn update(&mut self, insert: &[(&str, &str)], delete: &[(&str, &str)]) -> UpdateStats {
        let changes = self.change(insert, delete);
        let stats = self
            .engine
            .update(changes, &Limits::default())
            .expect("no limits");
        self.check();
        stats
    }

    fn check(&self) {
        let want = render(&self.program, &self.fresh());
        let got = render(&self.program, &self.engine);
        assert_eq!(got, want);
    }

    fn rows(&self, name: &str) -> Vec<String> {
        render(&self.program, &self.engine)[name].clone()
    }
}

const CLOSURE: &str = r#"
.decl edge(a: symbol, b: symbol)
.decl path(a: symbol, b: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
"#;

fn actions(stats: &UpdateStats) -> Vec<StratumAction> {
    stats.strata.clone()
}

#[test]
fn closure_insert_continues_from_the_delta() {
    let mut case = Case::new(CLOSURE, &[("edge", &["a,b", "b,c"])]);
    let stats = case.update(&[("edge", "c,d"), ("edge", "x,a")], &[]);
    assert!(!stats.full);
    assert!(actions(&stats).contains(&StratumAction::Continued));
    assert!(!actions(&stats).contains(&StratumAction::Recomputed));
    assert_eq!(case.rows("path").len(), 10);
    // Inserting present facts changes nothing.
    let stats = case.update(&[("edge", "a,b")], &[]);
    assert!(actions(&stats).iter().all(|a| *a == StratumAction::Skipped));
}

#[test]
fn closure_delete_with_an_alternative_derivation() {
    // Diamond: a -> b -> d and a -> c -> d.
    let mut case = Case::new(CLOSURE, &[("edge", &["a,b", "a,c", "b,d", "c,d", "d,e"])]);
    let stats = case.update(&[], &[("edge", "a,b")]);
    assert!(actions(&stats).contains(&StratumAction::Dred));
    assert!(case.rows("path").contains(&"a,e".to_owned()));
    assert!(!case.rows("path").contains(&"a,b".to_owned()));
    case.update(&[], &[("edge", "c,d")]);
    assert!(!case.rows("path").contains(&"a,d".to_owned()));
    // A cycle: every tuple has a derivation through the cycle.
    case.update(&[("edge", "e,a"), ("edge", "a,b")], &[]);
    case.update(&[], &[("edge", "d,e")]);
    case.update(&[("edge", "d,e")], &[("edge", "e,a")]);
    // Deleting an absent fact does nothing.
    let stats = case.update(&[], &[("edge", "q,q")]);
    assert!(actions(&stats).iter().all(|a| *a == StratumAction::Skipped));
}

#[test]
fn negation_over_a_changed_relation_recomputes_the_stratum() {
    let text = r#"
.decl lot(x: symbol)
.decl released(x: symbol)
.decl blocked(x: symbol)
.decl blocked_pair(x: symbol, y: symbol)
blocked(x) :- lot(x), !released(x).
blocked_pair(x, y) :- blocked(x), blocked(y), x != y.
"#;
    let mut case = Case::new(text, &[("lot", &["a", "b", "c"]), ("released", &["a"])]);
    let stats = case.update(&[("released", "b")], &[]);
    assert!(actions(&stats).contains(&StratumAction::Recomputed));
    case.update(&[], &[("released", "a")]);
    case.update(&[("lot", "d")], &[("lot", "c")]);
    assert_eq!(case.rows("blocked"), ["a", "d"]);
}

#[test]
fn aggregate_over_a_changed_relation() {
    let text = r#"
.decl shipped(lot: symbol, qty: number)
.decl total(n: number)
.decl lots(n: number)
.decl big(lot: symbol)
total(n) :- n = sum q : shipped(_, q).
lots(n) :- n = count : shipped(_, _).
big(l) :- shipped(l, q), total(t), q * 2 > t.
"#;
    let mut case = Case::new(text, &[("shipped", &["a,5", "b,1"])]);
    case.update(&[("shipped", "c,3")], &[]);
    assert_eq!(case.rows("total"), ["9"]);
    case.update(&[], &[("shipped", "a,5")]);
    assert_eq!(case.rows("big"), ["c"]);
    case.update(&[("shipped", "a,5")], &[("shipped", "c,3")]);
}

#[test]
fn arity_zero_relations() {
    let text = r#"
.decl flag()
.decl node(x: symbol)
.decl any_node()
.decl on(x: symbol)
.decl off()
any_node() :- node(_).
on(x) :- flag(), node(x).
off() :- !flag().
"#;
    let mut case = Case::new(text, &[("node", &["a"])]);
    assert_eq!(case.rows("off").len(), 1);
    case.update(&[("flag", "")], &[]);
    assert_eq!(case.rows("on"), ["a"]);
    assert!(case.rows("off").is_empty());
    case.update(&[("node", "b")], &[("node", "a")]);
    case.update(&[], &[("flag", "")]);
    case.update(&[], &[("node", "b")]);
    assert!(case.rows("any_node").is_empty());
    case.update(&[("node", "c"), ("flag", "")], &[]);
}

#[test]
fn base_facts_of_derived_relations() {
    let mut case = Case::new(
        CLOSURE,
        &[("edge", &["a,b", "b,c"]), ("path", &["a,c", "c,z"])],
    );
    // `a,c` is a base fact and derived: deleting the fact keeps the tuple.
    case.update(&[], &[("path", "a,c")]);
    assert!(case.rows("path").contains(&"a,c".to_owned()));
    // `c,z` is only a base fact; `a,z` and `b,z` are derived from it.
    case.update(&[], &[("path", "c,z")]);
    assert!(!case.rows("path").contains(&"a,z".to_owned()));
    case.update(&[("path", "b,z")], &[("edge", "b,c")]);
    case.update(&[("path", "a,b")], &[("edge", "a,b")]);
    let (rows, _) = case.engine.base_facts(case.rel("path"));
    assert_eq!(rows.len(), 4);
}

#[test]
fn facts_in_the_program_and_layers_of_strata() {
    let text = r#"
.decl edge(a: symbol, b: symbol)
.decl path(a: symbol, b: symbol)
.decl reach(a: symbol)
.decl unreached(a: symbol)
.decl node(a: symbol)
edge("s", "a").
node(x) :- edge(x, _).
node(y) :- edge(_, y).
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), path(y, z).
reach(y) :- path("s", y).
unreached(x) :- node(x), !reach(x), x != "s".
"#;
    let mut case = Case::new(text, &[("edge", &["a,b", "c,d"])]);
    case.update(&[("edge", "b,c")], &[]);
    case.update(&[], &[("edge", "s,a")]);
    case.update(&[("edge", "s,c")], &[("edge", "b,c")]);
    case.update(&[("edge", "d,s")], &[]);
    case.update(&[], &[("edge", "c,d"), ("edge", "a,b")]);
}

#[test]
fn an_update_that_stops_on_a_limit_is_recomputed_next_time() {
    let mut case = Case::new(CLOSURE, &[("edge", &["a,b", "b,c"])]);
    let changes = case.change(&[("edge", "c,d"), ("edge", "d,e"), ("edge", "e,f")], &[]);
    let limits = Limits {
        timeout: None,
        max_tuples: Some(4),
        cancel: None,
    };
    let err = case.engine.update(changes, &limits).unwrap_err();
    assert!(matches!(err, EngineError::TupleLimit { .. }));
    let stats = case.update(&[], &[("edge", "a,b")]);
    assert!(stats.full);
    let stats = case.update(&[("edge", "a,b")], &[]);
    assert!(!stats.full);
}

#[test]
fn update_before_run_evaluates_everything() {
    let program = driver::compile_text("test.dl", CLOSURE).unwrap().program;
    let mut engine = Engine::new(&program);
    let edge = program.relation_by_name("edge").unwrap();
    let a = u64::from(engine.values_mut().intern("a"));
    let b = u64::from(engine.values_mut().intern("b"));
    let stats = engine
        .update(
            vec![Change::insert(edge, vec![a, b, b, a])],
            &Limits::default(),
        )
        .unwrap();
    assert!(stats.full);
    assert_eq!(engine.len(program.relation_by_name("path").unwrap()), 4);
}

#[test]
fn restored_engine_gives_the_same_results_and_accepts_updates() {
    let text = r#"
.decl edge(a: symbol, b: symbol)
.decl path(a: symbol, b: symbol)
.decl leaf(a: symbol)
.decl n_paths(n: number)
.decl ok()
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
leaf(y) :- edge(_, y), !edge(y, _).
n_paths(n) :- n = count : path(_, _).
ok() :- leaf(_).
"#;
    let mut case = Case::new(
        text,
        &[("edge", &["a,b", "b,c", "c,d"]), ("path", &["q,r"])],
    );
    let program = &case.program;
    let source = &case.engine;
    let n = program.relations.len();
    let base: Vec<(RelId, Vec<Value>, bool)> = (0..n)
        .map(|idx| {
            let (rows, unit) = source.base_facts(RelId(idx as u32));
            (RelId(idx as u32), rows, unit)
        })
        .collect();
    let derived: Vec<(RelId, Vec<Value>, bool)> = (0..n)
        .map(|idx| {
            let rel = RelId(idx as u32);
            let rows: Vec<Value> = source.rows(rel).flatten().copied().collect();
            (
                rel,
                rows,
                program.relations[idx].arity() == 0 && !source.is_empty(rel),
            )
        })
        .collect();
    let before = render(program, source);
    // The snapshot's value store: here the source engine's own.
    let values = std::mem::take(case.engine.values_mut());
    let restored = Engine::restore(&case.program, values, base, derived).unwrap();
    assert_eq!(render(&case.program, &restored), before);
    case.engine = restored;
    case.update(&[("edge", "d,e")], &[("edge", "a,b")]);
    case.update(&[], &[("path", "q,r")]);
    case.update(&[("edge", "a,b")], &[]);
}
