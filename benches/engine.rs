//! This module benchmarks the engine on the supply-chain queries of
//! `../shared/bench` (Q1 closure, Q2 forward trace, Q3 backward trace), with
//! the programs built as checked IR (no parser needed).
//!
//! `cargo bench --bench engine` runs criterion on small in-process graphs.
//! With `TRACELOG_BENCH_DATA=DIR TRACELOG_BENCH_QUERY=q1|q2|q3` set, the
//! binary instead loads `DIR/*.facts`, evaluates once, prints the result
//! sizes like `datafrog_ref` and the phase timings on stderr (see
//! benches/README.md).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use tracelog::engine::{Engine, Limits};
use tracelog::ir::{self, AggregateFunc, Literal, RelId, Term, Type, VarId};
use tracelog::source::{FileId, Span};

fn span() -> Span {
    Span::new(FileId(0), 0, 0)
}

/// Builds checked programs: relations of symbols (or numbers) and rules
/// whose arguments are variable names, `_` or `"constants"`.
#[derive(Default)]
struct Builder {
    program: ir::Program,
}

impl Builder {
    fn rel(&mut self, name: &str, types: &[Type]) {
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
    }

    fn id(&self, name: &str) -> RelId {
        self.program
            .relation_by_name(name)
            .expect("relation declared")
    }

    fn atom(&self, vars: &mut Vec<ir::Var>, rel: &str, args: &[&str]) -> ir::Atom {
        let rel = self.id(rel);
        let args = args
            .iter()
            .enumerate()
            .map(|(col, name)| {
                if *name == "_" {
                    return Term::Wildcard;
                }
                let ty = self.program.relation(rel).columns[col].ty;
                Term::Var(var(vars, name, ty))
            })
            .collect();
        ir::Atom { rel, args }
    }

    /// `head(args) :- atoms...` with `!` marking a negated atom.
    fn rule(&mut self, head: (&str, &[&str]), body: &[(&str, &[&str])]) {
        let mut vars = Vec::new();
        let mut literals = Vec::new();
        for (rel, args) in body {
            match rel.strip_prefix('!') {
                Some(rel) => literals.push(Literal::Negative(self.atom(&mut vars, rel, args))),
                None => literals.push(Literal::Positive(self.atom(&mut vars, rel, args))),
            }
        }
        let head_atom = self.atom(&mut vars, head.0, head.1);
        let args = head_atom
            .args
            .iter()
            .map(|term| match term {
                Term::Var(var) => ir::Expr::Var(*var),
                _ => unreachable!("head arguments are variables"),
            })
            .collect();
        self.program.rules.push(ir::Rule {
            head: ir::Head {
                rel: head_atom.rel,
                args,
            },
            body: literals,
            vars,
            origin: span(),
        });
    }

    /// `head(n1, n2, ...) :- n1 = count : r1(_..), n2 = count : r2(_..), ...`.
    fn counts(&mut self, head: &str, rels: &[&str]) {
        let mut vars = Vec::new();
        let mut body = Vec::new();
        let mut args = Vec::new();
        for (idx, rel) in rels.iter().enumerate() {
            let rel_id = self.id(rel);
            let arity = self.program.relation(rel_id).arity();
            let locals: Vec<Term> = (0..arity)
                .map(|col| Term::Var(var(&mut vars, &format!("$_{idx}_{col}"), Type::Symbol)))
                .collect();
            let result = var(&mut vars, &format!("n{idx}"), Type::Number);
            args.push(ir::Expr::Var(result));
            body.push(Literal::Aggregate(ir::Aggregate {
                result,
                func: AggregateFunc::Count,
                target: None,
                body: vec![Literal::Positive(ir::Atom {
                    rel: rel_id,
                    args: locals,
                })],
            }));
        }
        let rel = self.id(head);
        self.program.rules.push(ir::Rule {
            head: ir::Head { rel, args },
            body,
            vars,
            origin: span(),
        });
    }

    fn strata(&mut self, strata: &[&[&str]]) {
        for names in strata {
            let relations: Vec<RelId> = names.iter().map(|name| self.id(name)).collect();
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
    }
}

fn var(vars: &mut Vec<ir::Var>, name: &str, ty: Type) -> VarId {
    match vars.iter().position(|var| var.name == name) {
        Some(idx) => VarId(idx as u32),
        None => {
            vars.push(ir::Var {
                name: name.to_owned(),
                ty,
            });
            VarId(vars.len() as u32 - 1)
        }
    }
}

const SYM: Type = Type::Symbol;

/// q1_closure.dl
fn q1() -> ir::Program {
    let mut b = Builder::default();
    b.rel("consumed", &[SYM, SYM]);
    b.rel("descends", &[SYM, SYM]);
    b.rel("descends_count", &[Type::Number]);
    b.rule(("descends", &["x", "y"]), &[("consumed", &["x", "y"])]);
    b.rule(
        ("descends", &["x", "z"]),
        &[("descends", &["x", "y"]), ("consumed", &["y", "z"])],
    );
    b.counts("descends_count", &["descends"]);
    b.strata(&[&["consumed"], &["descends"], &["descends_count"]]);
    b.program
}

/// q2_forward.dl
fn q2() -> ir::Program {
    let mut b = Builder::default();
    b.rel("consumed", &[SYM, SYM]);
    b.rel("shipped", &[SYM, SYM, SYM, Type::Number]);
    b.rel("trace_raw", &[SYM]);
    b.rel("affected", &[SYM]);
    b.rel("exposed_customer", &[SYM]);
    b.rel("q2_counts", &[Type::Number, Type::Number]);
    b.rule(
        ("affected", &["y"]),
        &[("trace_raw", &["x"]), ("consumed", &["x", "y"])],
    );
    b.rule(
        ("affected", &["z"]),
        &[("affected", &["y"]), ("consumed", &["y", "z"])],
    );
    b.rule(
        ("exposed_customer", &["c"]),
        &[
            ("affected", &["l"]),
            ("shipped", &["l", "_", "dc", "_"]),
            ("shipped", &["l", "dc", "c", "_"]),
        ],
    );
    b.counts("q2_counts", &["affected", "exposed_customer"]);
    b.strata(&[
        &["consumed", "shipped", "trace_raw"],
        &["affected"],
        &["exposed_customer"],
        &["q2_counts"],
    ]);
    b.program
}

/// q3_backward.dl
fn q3() -> ir::Program {
    let mut b = Builder::default();
    b.rel("consumed", &[SYM, SYM]);
    b.rel("shipped", &[SYM, SYM, SYM, Type::Number]);
    b.rel("trace_finished", &[SYM]);
    b.rel("ancestor", &[SYM]);
    b.rel("raw_ancestor", &[SYM]);
    b.rel("supplier", &[SYM]);
    b.rel("q3_counts", &[Type::Number, Type::Number, Type::Number]);
    b.rule(
        ("ancestor", &["x"]),
        &[("trace_finished", &["y"]), ("consumed", &["x", "y"])],
    );
    b.rule(
        ("ancestor", &["x"]),
        &[("ancestor", &["y"]), ("consumed", &["x", "y"])],
    );
    b.rule(
        ("raw_ancestor", &["x"]),
        &[("ancestor", &["x"]), ("!consumed", &["_", "x"])],
    );
    b.rule(
        ("supplier", &["s"]),
        &[("raw_ancestor", &["x"]), ("shipped", &["x", "s", "_", "_"])],
    );
    b.counts("q3_counts", &["ancestor", "raw_ancestor", "supplier"]);
    b.strata(&[
        &["consumed", "shipped", "trace_finished"],
        &["ancestor"],
        &["raw_ancestor"],
        &["supplier"],
        &["q3_counts"],
    ]);
    b.program
}

/// Loads a tab-separated fact file into `rel` (no header).
fn load(engine: &mut Engine, program: &ir::Program, rel: &str, path: &str) {
    let rel = program.relation_by_name(rel).expect("relation");
    let types: Vec<Type> = program
        .relation(rel)
        .columns
        .iter()
        .map(|column| column.ty)
        .collect();
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"));
    let mut flat = Vec::with_capacity(text.len() / 8);
    let values = engine.values_mut();
    for line in text.lines().filter(|line| !line.is_empty()) {
        for (field, ty) in line.split('\t').zip(&types) {
            flat.push(values.parse(*ty, field).expect("valid field"));
        }
    }
    engine.insert(rel, flat);
}

fn one_shot(dir: &str, query: &str) {
    let t0 = Instant::now();
    let (program, inputs, outputs): (ir::Program, &[&str], &[&str]) = match query {
        "q1" => (q1(), &["consumed"], &["descends"]),
        "q2" => (
            q2(),
            &["consumed", "shipped", "trace_raw"],
            &["affected", "exposed_customer"],
        ),
        _ => (
            q3(),
            &["consumed", "shipped", "trace_finished"],
            &["ancestor", "raw_ancestor", "supplier"],
        ),
    };
    let mut engine = Engine::new(&program);
    for input in inputs {
        load(
            &mut engine,
            &program,
            input,
            &format!("{dir}/{input}.facts"),
        );
    }
    let t1 = Instant::now();
    engine.run(&Limits::default()).expect("no limits");
    let t2 = Instant::now();
    for output in outputs {
        let rel = program.relation_by_name(output).expect("relation");
        println!("{output}\t{}", engine.len(rel));
    }
    let t3 = Instant::now();
    // Freeing 1.4 M interned symbols one by one takes a noticeable share of a
    // one-shot run; a process about to exit can skip it (TRACELOG_BENCH_DROP=1 frees).
    if std::env::var_os("TRACELOG_BENCH_DROP").is_some() {
        drop(engine);
    } else {
        std::mem::forget(engine);
    }
    eprintln!(
        "timing\tload_s={:.4}\teval_s={:.4}\tdrop_s={:.4}",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        t3.elapsed().as_secs_f64()
    );
}

/// A layered genealogy like the generator's: `tiers` tiers of `width` lots,
/// each lot of tier t+1 made from `fan_in` lots of tier t.
fn genealogy(tiers: usize, width: usize, fan_in: usize) -> Vec<(String, String)> {
    let mut edges = Vec::new();
    let mut state = 42u64;
    for tier in 1..tiers {
        for lot in 0..width {
            for _ in 0..fan_in {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let input = (state >> 33) as usize % width;
                edges.push((format!("T{}L{input}", tier - 1), format!("T{tier}L{lot}")));
            }
        }
    }
    edges
}

fn engine_with(
    program: &ir::Program,
    edges: &[(String, String)],
    start: Option<(&str, &str)>,
) -> Engine {
    let mut engine = Engine::new(program);
    let consumed = program.relation_by_name("consumed").expect("relation");
    let mut flat = Vec::new();
    for (a, b) in edges {
        flat.push(u64::from(engine.values_mut().intern(a)));
        flat.push(u64::from(engine.values_mut().intern(b)));
    }
    engine.insert(consumed, flat);
    // Every lot ships plant -> DC -> customer (deterministic sites).
    if let Some(shipped) = program.relation_by_name("shipped") {
        let mut flat = Vec::new();
        for (idx, (_, lot)) in edges.iter().enumerate().step_by(2) {
            let dc = format!("DC{}", idx % 50);
            let legs = [
                ("PLANT01".to_owned(), dc.clone()),
                (dc, format!("C{}", idx % 5000)),
            ];
            for (from, to) in legs {
                let values = engine.values_mut();
                flat.extend([lot.as_str(), &from, &to].map(|text| u64::from(values.intern(text))));
                flat.push(tracelog::value::encode_int(idx as i64 % 365));
            }
        }
        engine.insert(shipped, flat);
    }
    if let Some((rel, lot)) = start {
        let rel = program.relation_by_name(rel).expect("relation");
        let id = u64::from(engine.values_mut().intern(lot));
        engine.insert(rel, vec![id]);
    }
    engine
}

fn benches(c: &mut Criterion) {
    let edges = genealogy(6, 4_000, 2);
    let (p1, p2, p3) = (q1(), q2(), q3());
    let mut group = c.benchmark_group("supply_chain_48k_edges");
    group.sample_size(10);
    group.bench_function("q1_closure", |bench| {
        bench.iter_batched(
            || engine_with(&p1, &edges, None),
            |mut engine| {
                engine.run(&Limits::default()).expect("no limits");
                black_box(engine.len(RelId(1)))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("q2_forward", |bench| {
        bench.iter_batched(
            || engine_with(&p2, &edges, Some(("trace_raw", "T0L7"))),
            |mut engine| {
                engine.run(&Limits::default()).expect("no limits");
                black_box(engine.len(RelId(3)))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("q3_backward", |bench| {
        bench.iter_batched(
            || engine_with(&p3, &edges, Some(("trace_finished", "T5L7"))),
            |mut engine| {
                engine.run(&Limits::default()).expect("no limits");
                black_box(engine.len(RelId(3)))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(engine_benches, benches);

fn main() {
    if let Ok(dir) = std::env::var("TRACELOG_BENCH_DATA") {
        let query = std::env::var("TRACELOG_BENCH_QUERY").unwrap_or_else(|_| "q1".to_owned());
        one_shot(&dir, &query);
        return;
    }
    engine_benches();
    Criterion::default().configure_from_args().final_summary();
}
