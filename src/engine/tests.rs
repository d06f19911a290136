//! This module tests the engine on hand-built checked programs (a small
//! builder stands in for the parser and checker) against expected tuples and
//! against naive reference computations.

use std::time::Duration;

use crate::engine::{Engine, EngineError, Limits};
use crate::ir::{
    self, AggregateFunc, ArithOp, Builtin, CompareOp, Literal, RelId, Term, Type, VarId,
};
use crate::source::{FileId, Span};

fn span() -> Span {
    Span::new(FileId(0), 0, 0)
}

/// An expression in a test rule.
#[derive(Clone)]
enum E {
    V(&'static str),
    I(i64),
    U(u64),
    S(&'static str),
    Bin(ArithOp, Box<E>, Box<E>),
    Neg(Box<E>),
    Call(Builtin, Vec<E>),
}

fn bin(op: ArithOp, lhs: E, rhs: E) -> E {
    E::Bin(op, Box::new(lhs), Box::new(rhs))
}

/// A literal in a test rule. Atom terms: `_` wildcard, `"text"` symbol,
/// a number an integer, anything else a variable.
enum L {
    Pos(&'static str, Vec<&'static str>),
    Neg(&'static str, Vec<&'static str>),
    Cmp(CompareOp, E, E),
    Assign(&'static str, Type, E),
    Agg {
        result: &'static str,
        ty: Type,
        func: AggregateFunc,
        target: Option<E>,
        body: Vec<L>,
    },
}

fn pos(rel: &'static str, args: &[&'static str]) -> L {
    L::Pos(rel, args.to_vec())
}

fn neg(rel: &'static str, args: &[&'static str]) -> L {
    L::Neg(rel, args.to_vec())
}

#[derive(Default)]
struct Builder {
    program: ir::Program,
}

struct RuleCx<'a> {
    program: &'a ir::Program,
    vars: Vec<ir::Var>,
}

impl RuleCx<'_> {
    fn var(&mut self, name: &str, ty: Type) -> VarId {
        match self.vars.iter().position(|var| var.name == name) {
            Some(idx) => VarId(idx as u32),
            None => {
                self.vars.push(ir::Var {
                    name: name.to_owned(),
                    ty,
                });
                VarId(self.vars.len() as u32 - 1)
            }
        }
    }

    fn term(&mut self, rel: RelId, col: usize, text: &str) -> Term {
        let ty = self.program.relation(rel).columns[col].ty;
        if text == "_" {
            Term::Wildcard
        } else if let Some(sym) = text.strip_prefix('"') {
            Term::Const(ir::Const::Sym(sym.trim_end_matches('"').to_owned()))
        } else if let Ok(v) = text.parse::<i64>() {
            Term::Const(ir::Const::Int(v))
        } else {
            Term::Var(self.var(text, ty))
        }
    }

    fn atom(&mut self, rel: &str, args: &[&str]) -> ir::Atom {
        let rel = self
            .program
            .relation_by_name(rel)
            .unwrap_or_else(|| panic!("no relation {rel}"));
        let args = args
            .iter()
            .enumerate()
            .map(|(col, text)| self.term(rel, col, text))
            .collect();
        ir::Atom { rel, args }
    }

    fn expr(&mut self, expr: &E) -> ir::Expr {
        match expr {
            E::V(name) => ir::Expr::Var(self.var(name, Type::Number)),
            E::I(v) => ir::Expr::Const(ir::Const::Int(*v)),
            E::U(v) => ir::Expr::Const(ir::Const::Unsigned(*v)),
            E::S(text) => ir::Expr::Const(ir::Const::Sym((*text).to_owned())),
            E::Bin(op, lhs, rhs) => {
                ir::Expr::Binary(*op, Box::new(self.expr(lhs)), Box::new(self.expr(rhs)))
            }
            E::Neg(inner) => ir::Expr::Neg(Box::new(self.expr(inner))),
            E::Call(builtin, args) => {
                ir::Expr::Call(*builtin, args.iter().map(|arg| self.expr(arg)).collect())
            }
        }
    }

    fn literal(&mut self, literal: &L) -> Literal {
        match literal {
            L::Pos(rel, args) => Literal::Positive(self.atom(rel, args)),
            L::Neg(rel, args) => Literal::Negative(self.atom(rel, args)),
            L::Cmp(op, lhs, rhs) => Literal::Compare(*op, self.expr(lhs), self.expr(rhs)),
            L::Assign(name, ty, expr) => {
                let expr = self.expr(expr);
                Literal::Assign(self.var(name, *ty), expr)
            }
            L::Agg {
                result,
                ty,
                func,
                target,
                body,
            } => {
                let body: Vec<Literal> = body.iter().map(|literal| self.literal(literal)).collect();
                let target = target.as_ref().map(|target| self.expr(target));
                let result = self.var(result, *ty);
                Literal::Aggregate(ir::Aggregate {
                    result,
                    func: *func,
                    target,
                    body,
                })
            }
        }
    }
}

impl Builder {
    fn rel(&mut self, name: &str, types: &[Type]) -> &mut Self {
        let columns = types
            .iter()
            .enumerate()
            .map(|(idx, ty)| ir::Column {
                name: format!("c{idx}"),
                ty: *ty,
                type_name: ty.name().to_owned(),
            })
            .collect();
        self.program.relations.push(ir::Relation {
            name: name.to_owned(),
            columns,
            decl: None,
            first_use: span(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: None,
            hidden: false,
        });
        self
    }

    fn rule(&mut self, head: &str, args: &[E], body: Vec<L>) -> &mut Self {
        let mut cx = RuleCx {
            program: &self.program,
            vars: Vec::new(),
        };
        let body: Vec<Literal> = body.iter().map(|literal| cx.literal(literal)).collect();
        let args = args.iter().map(|arg| cx.expr(arg)).collect();
        let rel = self.program.relation_by_name(head).unwrap();
        let vars = cx.vars;
        self.program.rules.push(ir::Rule {
            head: ir::Head { rel, args },
            body,
            vars,
            origin: span(),
        });
        self
    }

    /// Strata by relation names, in evaluation order; each rule goes to its head's stratum.
    fn strata(&mut self, strata: &[&[&str]]) -> &mut Self {
        for names in strata {
            let relations: Vec<RelId> = names
                .iter()
                .map(|name| self.program.relation_by_name(name).unwrap())
                .collect();
            let rules: Vec<ir::RuleId> = (0..self.program.rules.len())
                .filter(|&idx| relations.contains(&self.program.rules[idx].head.rel))
                .map(|idx| ir::RuleId(idx as u32))
                .collect();
            let recursive = rules.iter().any(|&rule| {
                self.program.rule(rule).body.iter().any(|literal| matches!(literal, Literal::Positive(atom) if relations.contains(&atom.rel)))
            });
            self.program.strata.push(ir::Stratum {
                relations,
                rules,
                recursive,
            });
        }
        self
    }

    fn engine(&self) -> Engine {
        Engine::new(&self.program)
    }
}

fn v(name: &'static str) -> E {
    E::V(name)
}

fn facts(engine: &mut Engine, rel: &str, rows: &[&[&str]]) {
    let rel = engine
        .relations
        .iter()
        .position(|relation| relation.name == rel)
        .unwrap();
    let types: Vec<Type> = engine.relations[rel]
        .columns
        .iter()
        .map(|column| column.ty)
        .collect();
    let mut flat = Vec::new();
    for row in rows {
        for (field, ty) in row.iter().zip(&types) {
            flat.push(engine.values_mut().parse(*ty, field).unwrap());
        }
    }
    engine.insert(RelId(rel as u32), flat);
}

/// The tuples of `rel` as `a,b` text, in the engine's order.
fn rows(engine: &Engine, rel: &str) -> Vec<String> {
    let rel = engine
        .relations
        .iter()
        .position(|relation| relation.name == rel)
        .unwrap();
    let types: Vec<Type> = engine.relations[rel]
        .columns
        .iter()
        .map(|column| column.ty)
        .collect();
    engine
        .rows(RelId(rel as u32))
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
        .collect()
}

fn sorted(mut rows: Vec<String>) -> Vec<String> {
    rows.sort();
    rows
}

fn strings(rows: &[&str]) -> Vec<String> {
    sorted(rows.iter().map(|row| (*row).to_owned()).collect())
}

fn run(engine: &mut Engine) {
    engine.run(&Limits::default()).unwrap();
}

const SYM: Type = Type::Symbol;
const NUM: Type = Type::Number;

fn closure_program(nonlinear: bool) -> Builder {
    let mut b = Builder::default();
    b.rel("edge", &[SYM, SYM]).rel("path", &[SYM, SYM]);
    b.rule("path", &[v("x"), v("y")], vec![pos("edge", &["x", "y"])]);
    if nonlinear {
        b.rule(
            "path",
            &[v("x"), v("z")],
            vec![pos("path", &["x", "y"]), pos("path", &["y", "z"])],
        );
    } else {
        b.rule(
            "path",
            &[v("x"), v("z")],
            vec![pos("path", &["x", "y"]), pos("edge", &["y", "z"])],
        );
    }
    b.strata(&[&["edge"], &["path"]]);
    b
}

/// A deterministic pseudo-random graph and its closure by naive iteration.
fn random_graph(seed: u64, nodes: u64, edges: usize) -> (Vec<(String, String)>, Vec<String>) {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % nodes
    };
    let mut graph: Vec<(u64, u64)> = (0..edges).map(|_| (next(), next())).collect();
    graph.sort_unstable();
    graph.dedup();
    let mut closure: std::collections::BTreeSet<(u64, u64)> = graph.iter().copied().collect();
    loop {
        let mut added = Vec::new();
        for &(a, b) in &closure {
            for &(c, d) in &graph {
                if b == c && !closure.contains(&(a, d)) {
                    added.push((a, d));
                }
            }
        }
        if added.is_empty() {
            break;
        }
        closure.extend(added);
    }
    let name = |n: u64| format!("n{n}");
    let edges = graph.iter().map(|&(a, b)| (name(a), name(b))).collect();
    let closure = closure
        .iter()
        .map(|&(a, b)| format!("{},{}", name(a), name(b)))
        .collect();
    (edges, sorted(closure))
}

fn insert_edges(engine: &mut Engine, rel: &str, edges: &[(String, String)]) {
    let rows: Vec<[&str; 2]> = edges
        .iter()
        .map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(|row| &row[..]).collect();
    facts(engine, rel, &rows);
}

#[test]
fn transitive_closure_matches_naive_iteration() {
    for (seed, nodes, edges) in [(1, 12, 20), (2, 40, 60), (3, 30, 90), (4, 5, 3)] {
        let (graph, expected) = random_graph(seed, nodes, edges);
        for nonlinear in [false, true] {
            let mut engine = closure_program(nonlinear).engine();
            insert_edges(&mut engine, "edge", &graph);
            run(&mut engine);
            assert_eq!(
                sorted(rows(&engine, "path")),
                expected,
                "seed {seed} nonlinear {nonlinear}"
            );
            assert_eq!(engine.len(RelId(1)), expected.len());
        }
    }
}

#[test]
fn closure_of_a_cycle_and_rows_are_sorted() {
    let mut engine = closure_program(false).engine();
    facts(
        &mut engine,
        "edge",
        &[&["c", "a"], &["a", "b"], &["b", "c"]],
    );
    run(&mut engine);
    let path = rows(&engine, "path");
    assert_eq!(path.len(), 9);
    // Sorted by stored value: symbols by interning order (c, a, b).
    assert_eq!(path[0], "c,c");
    let raw: Vec<Vec<u64>> = engine.rows(RelId(1)).map(|row| row.to_vec()).collect();
    assert!(raw.windows(2).all(|pair| pair[0] < pair[1]));
}

/// datafrog 2.0.1's `Relation::from_antijoin` only reads "recent" tuples, so
/// a negation against a relation loaded before the loop would drop nothing
/// and keep nothing; the engine must see every tuple.
#[test]
fn negation_against_a_static_relation_sees_all_its_tuples() {
    let mut b = Builder::default();
    b.rel("consumed", &[SYM, SYM])
        .rel("ancestor", &[SYM])
        .rel("raw", &[SYM])
        .rel("start", &[SYM]);
    b.rule(
        "ancestor",
        &[v("x")],
        vec![pos("start", &["y"]), pos("consumed", &["x", "y"])],
    );
    b.rule(
        "ancestor",
        &[v("x")],
        vec![pos("ancestor", &["y"]), pos("consumed", &["x", "y"])],
    );
    b.rule(
        "raw",
        &[v("x")],
        vec![pos("ancestor", &["x"]), neg("consumed", &["_", "x"])],
    );
    b.strata(&[&["consumed", "start"], &["ancestor"], &["raw"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "consumed",
        &[
            &["r1", "m1"],
            &["r2", "m1"],
            &["m1", "f1"],
            &["r3", "f1"],
            &["r4", "f2"],
        ],
    );
    facts(&mut engine, "start", &[&["f1"]]);
    run(&mut engine);
    assert_eq!(
        sorted(rows(&engine, "ancestor")),
        strings(&["m1", "r1", "r2", "r3"])
    );
    assert_eq!(sorted(rows(&engine, "raw")), strings(&["r1", "r2", "r3"]));
}

#[test]
fn negation_inside_a_recursive_stratum_of_an_earlier_relation() {
    // reach(y) :- reach(x), edge(x, y), !blocked(y).
    let mut b = Builder::default();
    b.rel("edge", &[SYM, SYM])
        .rel("blocked", &[SYM])
        .rel("reach", &[SYM]);
    b.rule("reach", &[E::S("a")], vec![]);
    b.rule(
        "reach",
        &[v("y")],
        vec![
            pos("reach", &["x"]),
            pos("edge", &["x", "y"]),
            neg("blocked", &["y"]),
        ],
    );
    b.strata(&[&["edge", "blocked"], &["reach"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "edge",
        &[&["a", "b"], &["b", "c"], &["a", "d"], &["d", "e"]],
    );
    facts(&mut engine, "blocked", &[&["d"]]);
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "reach")), strings(&["a", "b", "c"]));
}

#[test]
fn variables_local_to_a_negated_atom_mean_no_value_exists() {
    // ok(x) :- item(x), !s(x, p, p).  p is local: no p with s(x, p, p).
    let mut b = Builder::default();
    b.rel("item", &[SYM])
        .rel("s", &[SYM, SYM, SYM])
        .rel("ok", &[SYM]);
    b.rule(
        "ok",
        &[v("x")],
        vec![pos("item", &["x"]), neg("s", &["x", "p", "p"])],
    );
    b.strata(&[&["item", "s"], &["ok"]]);
    let mut engine = b.engine();
    facts(&mut engine, "item", &[&["a"], &["b"], &["c"]]);
    facts(
        &mut engine,
        "s",
        &[&["a", "1", "2"], &["b", "3", "3"], &["b", "4", "5"]],
    );
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "ok")), strings(&["a", "c"]));
}

#[test]
fn constants_and_repeated_variables_in_atoms() {
    let mut b = Builder::default();
    b.rel("e", &[SYM, SYM, NUM])
        .rel("self_loop", &[SYM])
        .rel("from_a", &[SYM]);
    b.rule("self_loop", &[v("x")], vec![pos("e", &["x", "x", "_"])]);
    b.rule("from_a", &[v("y")], vec![pos("e", &["\"a\"", "y", "7"])]);
    b.strata(&[&["e"], &["self_loop", "from_a"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "e",
        &[
            &["a", "a", "1"],
            &["a", "b", "7"],
            &["c", "c", "7"],
            &["a", "d", "8"],
        ],
    );
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "self_loop")), strings(&["a", "c"]));
    assert_eq!(sorted(rows(&engine, "from_a")), strings(&["b"]));
}

#[test]
fn comparisons_order_symbols_lexicographically_and_numbers_numerically() {
    let mut b = Builder::default();
    b.rel("w", &[SYM])
        .rel("n", &[NUM])
        .rel("sym_lt", &[SYM, SYM])
        .rel("num_lt", &[NUM, NUM])
        .rel("ne", &[SYM]);
    b.rule(
        "sym_lt",
        &[v("x"), v("y")],
        vec![
            pos("w", &["x"]),
            pos("w", &["y"]),
            L::Cmp(CompareOp::Lt, v("x"), v("y")),
        ],
    );
    b.rule(
        "num_lt",
        &[v("x"), v("y")],
        vec![
            pos("n", &["x"]),
            pos("n", &["y"]),
            L::Cmp(CompareOp::Lt, v("x"), v("y")),
        ],
    );
    b.rule(
        "ne",
        &[v("x")],
        vec![pos("w", &["x"]), L::Cmp(CompareOp::Ne, v("x"), E::S("b"))],
    );
    b.strata(&[&["w", "n"], &["sym_lt", "num_lt", "ne"]]);
    let mut engine = b.engine();
    // Interned in non-lexicographic order.
    facts(&mut engine, "w", &[&["pear"], &["b"], &["apple"]]);
    facts(&mut engine, "n", &[&["5"], &["-3"], &["10"]]);
    run(&mut engine);
    assert_eq!(
        sorted(rows(&engine, "sym_lt")),
        strings(&["apple,b", "apple,pear", "b,pear"])
    );
    assert_eq!(
        sorted(rows(&engine, "num_lt")),
        strings(&["-3,10", "-3,5", "5,10"])
    );
    assert_eq!(sorted(rows(&engine, "ne")), strings(&["apple", "pear"]));
}

#[test]
fn datetime_comparisons_and_arithmetic() {
    let mut b = Builder::default();
    b.rel("ev", &[SYM, Type::DateTime])
        .rel("late", &[SYM])
        .rel("due", &[SYM, Type::DateTime])
        .rel("gap", &[NUM]);
    b.rule(
        "late",
        &[v("x")],
        vec![
            pos("ev", &["x", "t"]),
            L::Cmp(CompareOp::Ge, v("t"), E::S("2026-03-01T00:00:00Z")),
        ],
    );
    b.rule(
        "due",
        &[v("x"), v("d")],
        vec![
            pos("ev", &["x", "t"]),
            L::Assign(
                "d",
                Type::DateTime,
                bin(ArithOp::Add, v("t"), E::Call(Builtin::Days, vec![E::I(2)])),
            ),
        ],
    );
    b.rule(
        "gap",
        &[v("g")],
        vec![
            pos("ev", &["\"a\"", "t"]),
            pos("ev", &["\"b\"", "u"]),
            L::Assign("g", NUM, bin(ArithOp::Sub, v("u"), v("t"))),
        ],
    );
    b.strata(&[&["ev"], &["late", "due", "gap"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "ev",
        &[
            &["a", "2026-02-27T12:00:00Z"],
            &["b", "2026-03-01T00:00:00Z"],
            &["c", "2026-04-01"],
        ],
    );
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "late")), strings(&["b", "c"]));
    assert!(rows(&engine, "due").contains(&"a,2026-03-01T12:00:00Z".to_owned()));
    assert_eq!(rows(&engine, "gap"), strings(&["129600"]));
}

#[test]
fn arithmetic_failures_produce_no_tuple() {
    let mut b = Builder::default();
    b.rel("n", &[NUM])
        .rel("double", &[NUM])
        .rel("inv", &[NUM])
        .rel("u", &[Type::Unsigned])
        .rel("dec", &[Type::Unsigned]);
    b.rule(
        "double",
        &[v("y")],
        vec![
            pos("n", &["x"]),
            L::Assign("y", NUM, bin(ArithOp::Mul, v("x"), E::I(2))),
        ],
    );
    b.rule(
        "inv",
        &[bin(ArithOp::Div, E::I(100), v("x"))],
        vec![pos("n", &["x"])],
    );
    b.rule(
        "dec",
        &[bin(ArithOp::Sub, v("x"), E::U(1))],
        vec![pos("u", &["x"])],
    );
    b.strata(&[&["n", "u"], &["double", "inv", "dec"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "n",
        &[
            &["0"],
            &["5"],
            &["4611686018427387904"],
            &["-4611686018427387904"],
        ],
    );
    facts(&mut engine, "u", &[&["0"], &["3"]]);
    run(&mut engine);
    // 2^62 * 2 overflows; -2^62 * 2 = i64::MIN fits.
    assert_eq!(
        sorted(rows(&engine, "double")),
        strings(&["-9223372036854775808", "0", "10"])
    );
    // 100 / 0 fails; 100 / 5 = 20; 100 / ±2^62 = 0.
    assert_eq!(sorted(rows(&engine, "inv")), strings(&["0", "20"]));
    // 0 - 1 underflows.
    assert_eq!(rows(&engine, "dec"), strings(&["2"]));
}

fn supply_program() -> Builder {
    let mut b = Builder::default();
    b.rel("lot", &[SYM])
        .rel("consumed", &[SYM, SYM])
        .rel("qty", &[SYM, NUM]);
    b.rel("n_inputs", &[SYM, NUM])
        .rel("total", &[SYM, NUM])
        .rel("smallest", &[SYM, NUM])
        .rel("avg", &[SYM, Type::Float]);
    b.rel("sizes", &[NUM, NUM]);
    // n_inputs(l, n) :- lot(l), n = count : consumed(_, l).
    b.rule(
        "n_inputs",
        &[v("l"), v("n")],
        vec![
            pos("lot", &["l"]),
            L::Agg {
                result: "n",
                ty: NUM,
                func: AggregateFunc::Count,
                target: None,
                body: vec![pos("consumed", &["$_1", "l"])],
            },
        ],
    );
    // total(l, s) :- lot(l), s = sum q : { consumed(i, l), qty(i, q) }.
    let body = || vec![pos("consumed", &["i", "l"]), pos("qty", &["i", "q"])];
    b.rule(
        "total",
        &[v("l"), v("s")],
        vec![
            pos("lot", &["l"]),
            L::Agg {
                result: "s",
                ty: NUM,
                func: AggregateFunc::Sum,
                target: Some(v("q")),
                body: body(),
            },
        ],
    );
    b.rule(
        "smallest",
        &[v("l"), v("s")],
        vec![
            pos("lot", &["l"]),
            L::Agg {
                result: "s",
                ty: NUM,
                func: AggregateFunc::Min,
                target: Some(v("q")),
                body: body(),
            },
        ],
    );
    b.rule(
        "avg",
        &[v("l"), v("s")],
        vec![
            pos("lot", &["l"]),
            L::Agg {
                result: "s",
                ty: Type::Float,
                func: AggregateFunc::Mean,
                target: Some(v("q")),
                body: body(),
            },
        ],
    );
    // sizes(c, s) :- c = count : consumed(_, _), s = count : lot(_).
    b.rule(
        "sizes",
        &[v("c"), v("s")],
        vec![
            L::Agg {
                result: "c",
                ty: NUM,
                func: AggregateFunc::Count,
                target: None,
                body: vec![pos("consumed", &["$_1", "$_2"])],
            },
            L::Agg {
                result: "s",
                ty: NUM,
                func: AggregateFunc::Count,
                target: None,
                body: vec![pos("lot", &["$_3"])],
            },
        ],
    );
    b.strata(&[
        &["lot", "consumed", "qty"],
        &["n_inputs", "total", "smallest", "avg", "sizes"],
    ]);
    b
}

#[test]
fn aggregates_with_empty_groups() {
    let mut engine = supply_program().engine();
    facts(&mut engine, "lot", &[&["a"], &["b"], &["m"], &["f"]]);
    facts(
        &mut engine,
        "consumed",
        &[&["a", "m"], &["b", "m"], &["m", "f"]],
    );
    facts(&mut engine, "qty", &[&["a", "5"], &["b", "7"], &["m", "2"]]);
    run(&mut engine);
    assert_eq!(
        sorted(rows(&engine, "n_inputs")),
        strings(&["a,0", "b,0", "f,1", "m,2"])
    );
    assert_eq!(
        sorted(rows(&engine, "total")),
        strings(&["a,0", "b,0", "f,2", "m,12"])
    );
    // min and mean of an empty group: no tuple.
    assert_eq!(sorted(rows(&engine, "smallest")), strings(&["f,2", "m,5"]));
    assert_eq!(sorted(rows(&engine, "avg")), strings(&["f,2.0", "m,6.0"]));
    assert_eq!(rows(&engine, "sizes"), strings(&["3,4"]));
}

#[test]
fn aggregate_only_rule_fires_once_on_empty_relations() {
    let mut engine = supply_program().engine();
    run(&mut engine);
    assert_eq!(rows(&engine, "sizes"), strings(&["0,0"]));
    assert!(rows(&engine, "n_inputs").is_empty());
}

#[test]
fn count_counts_distinct_assignments_of_local_variables() {
    // per(l, n) :- lot(l), n = count : { consumed(i, l), consumed(j, l) } counts pairs (i, j).
    // k(n) :- n = count : { consumed(i, _) } counts distinct i, not tuples.
    let mut b = Builder::default();
    b.rel("lot", &[SYM])
        .rel("consumed", &[SYM, SYM])
        .rel("pairs", &[SYM, NUM])
        .rel("k", &[NUM])
        .rel("k_sum", &[NUM]);
    b.rule(
        "pairs",
        &[v("l"), v("n")],
        vec![
            pos("lot", &["l"]),
            L::Agg {
                result: "n",
                ty: NUM,
                func: AggregateFunc::Count,
                target: None,
                body: vec![pos("consumed", &["i", "l"]), pos("consumed", &["j", "l"])],
            },
        ],
    );
    b.rule(
        "k",
        &[v("n")],
        vec![L::Agg {
            result: "n",
            ty: NUM,
            func: AggregateFunc::Count,
            target: None,
            body: vec![pos("consumed", &["i", "_"])],
        }],
    );
    b.rule(
        "k_sum",
        &[v("n")],
        vec![L::Agg {
            result: "n",
            ty: NUM,
            func: AggregateFunc::Sum,
            target: Some(E::I(1)),
            body: vec![pos("consumed", &["i", "o"]), pos("consumed", &["i2", "o"])],
        }],
    );
    b.strata(&[&["lot", "consumed"], &["pairs", "k", "k_sum"]]);
    let mut engine = b.engine();
    facts(&mut engine, "lot", &[&["m"], &["f"]]);
    facts(
        &mut engine,
        "consumed",
        &[&["a", "m"], &["b", "m"], &["a", "f"]],
    );
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "pairs")), strings(&["f,1", "m,4"]));
    assert_eq!(rows(&engine, "k"), strings(&["2"]));
    assert_eq!(rows(&engine, "k_sum"), strings(&["5"]));
}

#[test]
fn zero_arity_relations() {
    let mut b = Builder::default();
    b.rel("edge", &[SYM, SYM])
        .rel("flag", &[])
        .rel("any_edge", &[])
        .rel("no_edge", &[])
        .rel("tagged", &[SYM])
        .rel("never", &[]);
    b.rule("any_edge", &[], vec![pos("edge", &["_", "_"])]);
    b.rule(
        "no_edge",
        &[],
        vec![pos("flag", &[]), neg("edge", &["\"zz\"", "_"])],
    );
    b.rule("never", &[], vec![pos("edge", &["\"zz\"", "_"])]);
    b.rule(
        "tagged",
        &[v("x")],
        vec![
            pos("any_edge", &[]),
            pos("edge", &["x", "_"]),
            pos("flag", &[]),
        ],
    );
    b.strata(&[
        &["edge", "flag"],
        &["any_edge", "no_edge", "never"],
        &["tagged"],
    ]);
    let mut engine = b.engine();
    facts(&mut engine, "edge", &[&["a", "b"], &["c", "b"]]);
    engine.insert_empty_tuple(RelId(1));
    run(&mut engine);
    assert_eq!(rows(&engine, "any_edge"), vec![String::new()]);
    assert_eq!(engine.len(RelId(2)), 1);
    assert_eq!(engine.len(RelId(3)), 1);
    assert_eq!(engine.len(RelId(5)), 0);
    assert_eq!(sorted(rows(&engine, "tagged")), strings(&["a", "c"]));
}

#[test]
fn any_columns_keep_kinds_apart() {
    let mut b = Builder::default();
    b.rel("mixed", &[Type::Any, SYM])
        .rel("by_num", &[SYM])
        .rel("by_sym", &[SYM])
        .rel("copy", &[Type::Any]);
    b.rule("by_num", &[v("y")], vec![pos("mixed", &["1", "y"])]);
    b.rule("by_sym", &[v("y")], vec![pos("mixed", &["\"1\"", "y"])]);
    b.rule(
        "copy",
        &[v("x")],
        vec![
            pos("mixed", &["x", "_"]),
            L::Cmp(CompareOp::Gt, v("x"), E::I(1)),
        ],
    );
    b.strata(&[&["mixed"], &["by_num", "by_sym", "copy"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "mixed",
        &[&["1", "int"], &["2.5", "float"], &["x", "sym"]],
    );
    engine.values_mut();
    let rel = RelId(0);
    let one_sym = engine
        .values_mut()
        .encode(Type::Any, &ir::Const::Sym("1".into()))
        .unwrap();
    let tag = engine.values_mut().intern("symbol one") as u64;
    engine.insert(rel, vec![one_sym, tag]);
    run(&mut engine);
    assert_eq!(rows(&engine, "by_num"), strings(&["int"]));
    assert_eq!(rows(&engine, "by_sym"), strings(&["symbol one"]));
    // Numbers order before symbols: 2.5 and "x", "1" (symbols) are > 1.
    assert_eq!(sorted(rows(&engine, "copy")), strings(&["1", "2.5", "x"]));
}

#[test]
fn limits_stop_evaluation_with_an_error() {
    let (graph, expected) = random_graph(7, 60, 150);
    let mut engine = closure_program(true).engine();
    insert_edges(&mut engine, "edge", &graph);
    let res = engine.run(&Limits {
        timeout: None,
        max_tuples: Some(100),
        cancel: None,
    });
    assert!(
        matches!(res, Err(EngineError::TupleLimit { tuples }) if tuples > 100),
        "{res:?}"
    );

    let mut engine = closure_program(true).engine();
    insert_edges(&mut engine, "edge", &graph);
    let res = engine.run(&Limits {
        timeout: Some(Duration::ZERO),
        max_tuples: None,
        cancel: None,
    });
    assert!(matches!(res, Err(EngineError::Timeout { .. })), "{res:?}");

    let mut engine = closure_program(true).engine();
    insert_edges(&mut engine, "edge", &graph);
    let limit = expected.len() as u64;
    engine
        .run(&Limits {
            timeout: Some(Duration::from_secs(60)),
            max_tuples: Some(limit),
            cancel: None,
        })
        .unwrap();
    assert_eq!(engine.len(RelId(1)) as u64, limit);
}

#[test]
fn builtins_and_head_expressions() {
    let mut b = Builder::default();
    b.rel("p", &[SYM, NUM])
        .rel("label", &[SYM])
        .rel("len", &[NUM])
        .rel("num", &[NUM])
        .rel("neg", &[NUM]);
    b.rule(
        "label",
        &[E::Call(
            Builtin::Cat,
            vec![v("x"), E::S("-"), E::Call(Builtin::ToString, vec![v("n")])],
        )],
        vec![pos("p", &["x", "n"])],
    );
    b.rule(
        "len",
        &[E::Call(Builtin::Strlen, vec![v("x")])],
        vec![pos("p", &["x", "_"])],
    );
    b.rule(
        "num",
        &[E::Call(Builtin::ToNumber, vec![v("x")])],
        vec![pos("p", &["x", "_"])],
    );
    b.rule(
        "neg",
        &[E::Neg(Box::new(v("n")))],
        vec![pos("p", &["_", "n"])],
    );
    b.strata(&[&["p"], &["label", "len", "num", "neg"]]);
    let mut engine = b.engine();
    facts(
        &mut engine,
        "p",
        &[&["aé", "3"], &["42", "-9223372036854775808"]],
    );
    run(&mut engine);
    assert_eq!(
        sorted(rows(&engine, "label")),
        strings(&["42--9223372036854775808", "aé-3"])
    );
    assert_eq!(sorted(rows(&engine, "len")), strings(&["2"]));
    assert_eq!(rows(&engine, "num"), strings(&["42"]));
    // -i64::MIN overflows.
    assert_eq!(rows(&engine, "neg"), strings(&["-3"]));
}

#[test]
fn plan_shows_join_keys_indexes_and_rules() {
    let b = closure_program(false);
    let plan = crate::plan::plan(&b.program);
    let text = crate::plan::render(&b.program, &plan, false);
    assert!(
        text.contains("path(x, z) :- path(x, y), edge(y, z)."),
        "{text}"
    );
    assert!(
        text.contains("delta path(x, y): last round's tuples of #"),
        "{text}"
    );
    assert!(
        text.contains("join on (y) edge(y, z) with index #"),
        "{text}"
    );
    assert!(
        text.contains("stratum 1: path (recursive: semi-naive fixpoint)"),
        "{text}"
    );
}

#[test]
fn duplicate_base_facts_count_once() {
    let mut engine = supply_program().engine();
    facts(&mut engine, "lot", &[&["a"], &["a"], &["b"]]);
    facts(&mut engine, "consumed", &[&["a", "b"], &["a", "b"]]);
    run(&mut engine);
    assert_eq!(rows(&engine, "sizes"), strings(&["1,2"]));
    assert_eq!(rows(&engine, "lot"), strings(&["a", "b"]));
    assert_eq!(engine.len(RelId(0)), 2);
}

#[test]
fn base_relations_in_the_stratum_of_their_readers() {
    // A checker may put `edge` in the same stratum as `path`: it is read as base facts.
    let (graph, expected) = random_graph(11, 25, 50);
    let mut b = closure_program(false);
    b.program.strata.clear();
    b.strata(&[&["edge", "path"]]);
    let mut engine = b.engine();
    insert_edges(&mut engine, "edge", &graph);
    run(&mut engine);
    assert_eq!(sorted(rows(&engine, "path")), expected);
    let text = crate::plan::render(&b.program, engine.plan(), false);
    assert!(text.contains("stratum 0: edge, path (recursive"), "{text}");
}

#[test]
fn mutual_recursion_three_atom_rules_and_seed_facts() {
    // even/odd path lengths; a rule with three atoms of the stratum.
    let mut b = Builder::default();
    b.rel("edge", &[SYM, SYM])
        .rel("even", &[SYM, SYM])
        .rel("odd", &[SYM, SYM])
        .rel("path3", &[SYM, SYM]);
    b.rule("odd", &[v("x"), v("y")], vec![pos("edge", &["x", "y"])]);
    b.rule(
        "even",
        &[v("x"), v("z")],
        vec![pos("odd", &["x", "y"]), pos("edge", &["y", "z"])],
    );
    b.rule(
        "odd",
        &[v("x"), v("z")],
        vec![pos("even", &["x", "y"]), pos("edge", &["y", "z"])],
    );
    b.rule("path3", &[v("x"), v("y")], vec![pos("edge", &["x", "y"])]);
    b.rule(
        "path3",
        &[v("w"), v("z")],
        vec![
            pos("path3", &["w", "x"]),
            pos("path3", &["x", "y"]),
            pos("path3", &["y", "z"]),
        ],
    );
    b.strata(&[&["edge"], &["even", "odd"], &["path3"]]);
    let (graph, closure) = random_graph(5, 20, 30);
    let mut engine = b.engine();
    insert_edges(&mut engine, "edge", &graph);
    // A seed fact of a derived relation.
    facts(&mut engine, "even", &[&["s", "s"]]);
    run(&mut engine);
    // Walks of length n by naive iteration over the edge list.
    let mut reach: std::collections::BTreeSet<(String, String, bool)> = Default::default();
    reach.insert(("s".into(), "s".into(), true));
    for (a, b) in &graph {
        reach.insert((a.clone(), b.clone(), false));
    }
    loop {
        let mut added = Vec::new();
        for (a, b, even) in &reach {
            for (c, d) in &graph {
                if b == c && !reach.contains(&(a.clone(), d.clone(), !even)) {
                    added.push((a.clone(), d.clone(), !even));
                }
            }
        }
        if added.is_empty() {
            break;
        }
        reach.extend(added);
    }
    let expect = |parity: bool| {
        sorted(
            reach
                .iter()
                .filter(|r| r.2 == parity)
                .map(|r| format!("{},{}", r.0, r.1))
                .collect(),
        )
    };
    assert_eq!(sorted(rows(&engine, "even")), expect(true));
    assert_eq!(sorted(rows(&engine, "odd")), expect(false));
    // path3 over walks of length 1, 3, 5, ...: its closure is the odd-length walks.
    assert_eq!(sorted(rows(&engine, "path3")), expect(false));
    assert!(closure.len() >= expect(false).len());
}

#[test]
fn equalities_on_atom_arguments_become_join_keys() {
    // fib(n + 1, x + y) :- fib(n, x), fib($m, y), $m = n - 1, n < 10.
    let mut b = Builder::default();
    b.rel("fib", &[NUM, NUM]);
    b.rule("fib", &[E::I(0), E::I(0)], vec![]);
    b.rule("fib", &[E::I(1), E::I(1)], vec![]);
    b.rule(
        "fib",
        &[
            bin(ArithOp::Add, v("n"), E::I(1)),
            bin(ArithOp::Add, v("x"), v("y")),
        ],
        vec![
            pos("fib", &["n", "x"]),
            pos("fib", &["m", "y"]),
            L::Cmp(CompareOp::Eq, v("m"), bin(ArithOp::Sub, v("n"), E::I(1))),
            L::Cmp(CompareOp::Lt, v("n"), E::I(10)),
        ],
    );
    b.strata(&[&["fib"]]);
    let mut engine = b.engine();
    run(&mut engine);
    assert!(rows(&engine, "fib").contains(&"10,55".to_owned()));
    assert_eq!(engine.len(RelId(0)), 11);
    let text = crate::plan::render(&b.program, engine.plan(), false);
    assert!(text.contains("assign m = n - 1"), "{text}");
    assert!(text.contains("join on (m) fib(m, y)"), "{text}");
    // In the variant driven by fib(m, y), n = m + 1 keys fib(n, x).
    assert!(text.contains("assign n = m + 1"), "{text}");
    assert!(text.contains("join on (n) fib(n, x)"), "{text}");
}

#[test]
fn a_second_run_sees_earlier_and_new_facts() {
    let mut engine = closure_program(false).engine();
    facts(&mut engine, "edge", &[&["a", "b"]]);
    run(&mut engine);
    assert_eq!(rows(&engine, "path"), strings(&["a,b"]));
    facts(&mut engine, "edge", &[&["b", "c"]]);
    facts(&mut engine, "path", &[&["c", "d"]]);
    run(&mut engine);
    // path(c, d) is a fact, not an edge: nothing extends through it.
    assert_eq!(
        sorted(rows(&engine, "path")),
        strings(&["a,b", "a,c", "b,c", "c,d"])
    );
    run(&mut engine);
    assert_eq!(engine.len(RelId(1)), 4);
}

#[test]
fn rows_are_sorted_and_distinct_at_every_arity() {
    let mut b = Builder::default();
    b.rel("r1", &[NUM])
        .rel("r5", &[NUM, NUM, NUM, NUM, NUM])
        .rel("d5", &[NUM, NUM, NUM, NUM, NUM]);
    b.rule(
        "d5",
        &[v("a"), v("b"), v("c"), v("d"), v("e")],
        vec![pos("r5", &["a", "b", "c", "d", "e"])],
    );
    b.strata(&[&["r1", "r5"], &["d5"]]);
    let mut engine = b.engine();
    facts(&mut engine, "r1", &[&["3"], &["-1"], &["3"]]);
    let five: Vec<[&str; 5]> = vec![
        ["2", "0", "0", "0", "1"],
        ["1", "9", "9", "9", "9"],
        ["2", "0", "0", "0", "0"],
        ["1", "9", "9", "9", "9"],
    ];
    let five: Vec<&[&str]> = five.iter().map(|row| &row[..]).collect();
    facts(&mut engine, "r5", &five);
    run(&mut engine);
    assert_eq!(rows(&engine, "r1"), vec!["-1", "3"]);
    let expected = vec!["1,9,9,9,9", "2,0,0,0,0", "2,0,0,0,1"];
    assert_eq!(rows(&engine, "r5"), expected);
    assert_eq!(rows(&engine, "d5"), expected);
}
