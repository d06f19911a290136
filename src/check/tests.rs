//! This module tests the checker on program text: each diagnostic code it
//! owns (code, message, the text under the caret) and the shape of the
//! lowered program.

use crate::check::check;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::ir::{self, Type};
use crate::source::SourceMap;
use crate::syntax;

struct Checked {
    sources: SourceMap,
    program: ir::Program,
    diags: Vec<Diagnostic>,
}

impl Checked {
    fn snippet(&self, diagnostic: &Diagnostic) -> &str {
        match &diagnostic.location {
            Some(Location::Span(span)) => self.sources.snippet(*span),
            other => panic!("no span: {other:?}"),
        }
    }

    fn errors(&self) -> Vec<&Diagnostic> {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect()
    }

    /// The only diagnostic with `code`.
    fn one(&self, code: Code) -> &Diagnostic {
        let found: Vec<&Diagnostic> = self.diags.iter().filter(|d| d.code == code).collect();
        assert_eq!(found.len(), 1, "expected one {code}, got {:#?}", self.diags);
        found[0]
    }

    fn rel(&self, name: &str) -> &ir::Relation {
        let id = self
            .program
            .relation_by_name(name)
            .unwrap_or_else(|| panic!("no relation {name}"));
        self.program.relation(id)
    }

    fn rules_of(&self, name: &str) -> Vec<&ir::Rule> {
        let id = self.program.relation_by_name(name).unwrap();
        self.program
            .rules
            .iter()
            .filter(|rule| rule.head.rel == id)
            .collect()
    }

    fn types(&self, name: &str) -> Vec<Type> {
        self.rel(name).columns.iter().map(|c| c.ty).collect()
    }
}

fn run(text: &str) -> Checked {
    let mut sources = SourceMap::default();
    let file = sources.add("test.dl", None, text);
    let (ast, parse_diags) = syntax::parse(&sources, file);
    assert!(parse_diags.is_empty(), "parse errors: {parse_diags:#?}");
    let (program, diags) = check(&sources, &[(file, ast)]);
    Checked {
        sources,
        program,
        diags,
    }
}

fn clean(text: &str) -> Checked {
    let checked = run(text);
    assert!(
        checked.diags.is_empty(),
        "unexpected diagnostics: {:#?}",
        checked.diags
    );
    checked
}

#[test]
fn shared_bench_programs_check_cleanly() {
    for name in ["q0_load", "q1_closure", "q2_forward", "q3_backward"] {
        let path = format!(
            "{}/../shared/bench/programs/{name}.dl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
        let checked = run(&text);
        assert!(checked.errors().is_empty(), "{name}: {:#?}", checked.diags);
    }
}

/// Every example of docs/language.md: plain blocks check without errors,
/// `expect=CODE` blocks for a checker code report that code.
#[test]
fn language_reference_examples() {
    let path = format!("{}/docs/language.md", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut n_checked = 0;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```tracelog") else {
            continue;
        };
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let block = block.join("\n");
        let expect = info
            .split_whitespace()
            .find_map(|word| word.strip_prefix("expect="));
        let mut sources = SourceMap::default();
        let file = sources.add("doc.dl", None, block.as_str());
        let (ast, parse_diags) = syntax::parse(&sources, file);
        if !parse_diags.is_empty() {
            assert_eq!(expect, Some("parse-error"), "{block}");
            continue;
        }
        let (_, diags) = check(&sources, &[(file, ast)]);
        match expect {
            None => assert!(
                !crate::diagnostic::has_errors(&diags),
                "{block}\n{diags:#?}"
            ),
            Some(code)
                if Code::ALL
                    .iter()
                    .any(|c| c.as_str() == code && *c < Code::InputNotFound) =>
            {
                if !matches!(code, "include-not-found" | "include-cycle") {
                    assert!(
                        diags.iter().any(|d| d.code.as_str() == code),
                        "{block}\n{diags:#?}"
                    );
                }
            }
            Some(_) => assert!(
                !crate::diagnostic::has_errors(&diags),
                "{block}\n{diags:#?}"
            ),
        }
        n_checked += 1;
    }
    assert!(n_checked > 20, "only {n_checked} examples found");
}

// ---- Diagnostics: code, message, text under the caret. ----

#[test]
fn duplicate_declaration_points_at_the_second_with_the_first_related() {
    let checked = run(".decl lot(id: symbol)\n.decl lot(id: number)\n");
    let d = checked.one(Code::DuplicateDeclaration);
    assert_eq!(d.message, "relation `lot` is declared twice");
    assert_eq!(checked.snippet(d), "lot");
    assert_eq!(
        checked.sources.location(match &d.location {
            Some(Location::Span(span)) => *span,
            _ => unreachable!(),
        }),
        "test.dl:2:7"
    );
    assert_eq!(checked.sources.location(d.related[0].0), "test.dl:1:7");
}

#[test]
fn two_policies_in_one_file_are_a_duplicate() {
    let checked = run(".policy \"a\" version \"1\"\n.policy \"b\" version \"2\"\n");
    let d = checked.one(Code::DuplicateDeclaration);
    assert_eq!(d.message, "a file may declare only one `.policy`");
    assert!(checked.snippet(d).starts_with(".policy \"b\""));
    assert_eq!(checked.program.policies.len(), 1);
    assert_eq!(checked.program.policies[0].name, "a");
}

#[test]
fn unknown_type_suggests_the_closest_type() {
    let checked = run(".decl lot(id: sybmol)\n.type Qty = nubmer\n");
    let types: Vec<&Diagnostic> = checked
        .diags
        .iter()
        .filter(|d| d.code == Code::UnknownType)
        .collect();
    assert_eq!(types.len(), 2, "{:#?}", checked.diags);
    assert_eq!(types[0].message, "unknown type `nubmer`");
    assert_eq!(checked.snippet(types[0]), "nubmer");
    assert_eq!(types[0].help.as_deref(), Some("did you mean `number`?"));
    assert_eq!(types[1].message, "unknown type `sybmol`");
    assert_eq!(checked.snippet(types[1]), "sybmol");
    assert_eq!(types[1].help.as_deref(), Some("did you mean `symbol`?"));
}

#[test]
fn arity_mismatch_against_first_use_and_against_decl() {
    let checked = run("shipped(\"L1\", \"DC07\").\nseen(x) :- shipped(x, _, _).\n");
    let d = checked.one(Code::ArityMismatch);
    assert_eq!(
        d.message,
        "`shipped` has 3 arguments here but 2 at its first use"
    );
    assert_eq!(checked.snippet(d), "shipped(x, _, _)");
    assert_eq!(
        checked.sources.snippet(d.related[0].0),
        "shipped(\"L1\", \"DC07\")"
    );

    let checked = run("lot(\"L1\", 3).\n.decl lot(id: symbol)\n");
    let d = checked.one(Code::ArityMismatch);
    assert_eq!(
        d.message,
        "`lot` has 2 arguments here but is declared with 1 column"
    );
    assert_eq!(checked.snippet(d), "lot(\"L1\", 3)");
    assert_eq!(checked.sources.snippet(d.related[0].0), "lot");
    // A rule with an arity error is not type-checked as well.
    assert_eq!(checked.diags.len(), 1, "{:#?}", checked.diags);
}

#[test]
fn directives_about_nothing_and_unknown_parameters() {
    let checked = run(
        ".decl lot(id: symbol)\n.input lto\n.output lot(IO=file, seperator=\",\")\n.output lot(IO=printer)\n",
    );
    let d = checked.one(Code::UnknownRelation);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        "`.input` names the relation `lto`, which is neither declared nor used"
    );
    assert_eq!(checked.snippet(d), "lto");
    assert_eq!(d.help.as_deref(), Some("did you mean `lot`?"));
    let params: Vec<&Diagnostic> = checked
        .diags
        .iter()
        .filter(|d| d.code == Code::UnknownDirectiveParameter)
        .collect();
    assert_eq!(params.len(), 2);
    assert_eq!(
        params[0].message,
        "unknown parameter `seperator` for `.output`"
    );
    assert_eq!(checked.snippet(params[0]), "seperator");
    assert!(
        params[0]
            .help
            .as_deref()
            .unwrap()
            .contains("IO, filename, delimiter and headers")
    );
    assert_eq!(
        params[1].message,
        "`IO` must be `file` or `stdout`, not `printer`"
    );
    assert_eq!(checked.snippet(params[1]), "IO=printer");
}

#[test]
fn io_directives_are_recorded() {
    let checked = clean(
        ".decl a(x: symbol)\n.decl b(x: symbol)\n.input a, b(filename=\"in.tsv\", headers=false)\n.output a(IO=stdout)\n.printsize b\n",
    );
    assert_eq!(checked.rel("a").inputs[0].get("filename"), Some("in.tsv"));
    assert_eq!(checked.rel("b").inputs[0].get("headers"), Some("false"));
    assert_eq!(checked.rel("a").outputs[0].get("IO"), Some("stdout"));
    assert!(checked.rel("b").printsize.is_some());
    assert!(checked.rel("a").printsize.is_none());
}

#[test]
fn empty_body_relation_is_a_warning_with_a_suggestion() {
    let checked = run("shipped(\"L1\", \"DC07\").\nreached(x) :- shiped(x, _).\n");
    let d = checked.one(Code::UnknownRelation);
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        "relation `shiped` has no facts, rules or input, so it is empty"
    );
    assert_eq!(checked.snippet(d), "shiped(x, _)");
    assert_eq!(d.help.as_deref(), Some("did you mean `shipped`?"));
    assert!(checked.errors().is_empty());
    // The relation exists (empty) and the rule is kept.
    assert_eq!(checked.rel("shiped").arity(), 2);
    assert_eq!(checked.rules_of("reached").len(), 1);
}

#[test]
fn unbound_head_variable() {
    let checked = run("lot(\"L1\").\nexposed(lot, customer) :- lot(lot).\n");
    let d = checked.one(Code::UnboundVariable);
    assert_eq!(
        d.message,
        "variable `customer` is not bound: it appears in the head but in no positive body atom"
    );
    assert_eq!(checked.snippet(d), "customer");
    assert_eq!(
        d.help.as_deref(),
        Some("add an atom that binds `customer`, or use `_` if any value will do")
    );
}

#[test]
fn unbound_in_comparison_negations_and_head_wildcard() {
    let checked = run("a(1).\nb(x) :- a(x), y > 2.\n");
    let d = checked.one(Code::UnboundVariable);
    assert_eq!(
        d.message,
        "variable `y` is not bound: it is used in a comparison or an expression but appears in no positive body atom"
    );
    assert_eq!(checked.snippet(d), "y");

    let checked = run("a(1). s(1, 2). t(1, 2).\nb(x) :- a(x), !s(x, p), !t(x, p).\n");
    let d = checked.one(Code::UnboundVariable);
    assert_eq!(
        d.message,
        "variable `p` is not bound: it appears in several negated atoms but in no positive body atom"
    );
    assert_eq!(checked.snippet(d), "p");

    let checked = run("a(1).\nb(x, _) :- a(x).\n");
    let d = checked.one(Code::UnboundVariable);
    assert_eq!(d.message, "`_` cannot stand in a head");
    assert_eq!(checked.snippet(d), "_");

    // A cycle of assignments binds nothing.
    let checked = run("a(1).\nb(x, y) :- a(z), x = y + 1, y = x - 1.\n");
    let unbound: Vec<&str> = checked
        .diags
        .iter()
        .filter(|d| d.code == Code::UnboundVariable)
        .map(|d| checked.snippet(d))
        .collect();
    assert_eq!(unbound, ["x", "y"]);
}

#[test]
fn type_mismatches_name_relation_column_and_types() {
    let checked = run(".decl qty(lot: symbol, n: number)\nqty(\"L1\", \"twelve\").\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `\"twelve\"` is a symbol but column `n` of `qty` has type number"
    );
    assert_eq!(checked.snippet(d), "\"twelve\"");

    let checked = run(
        ".decl qty(lot: symbol, n: number)\n.decl name(lot: symbol, label: symbol)\nqty(\"L1\", 3).\nname(l, n) :- qty(l, n).\n",
    );
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `n` has type number elsewhere in the rule but column `label` of `name` has type symbol"
    );
    assert_eq!(checked.snippet(d), "n");

    let checked = run(".decl at(lot: symbol, t: datetime)\nat(\"L1\", \"yesterday\").\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `\"yesterday\"` is not a date-time but column `t` of `at` has type datetime"
    );
    assert_eq!(checked.snippet(d), "\"yesterday\"");

    let checked = run(".decl s(x: symbol)\ns(\"a\").\nr(y) :- s(x), y = x + 1.\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: cannot apply `+` to a symbol and a number"
    );
    assert_eq!(checked.snippet(d), "x + 1");

    let checked = run(".decl s(x: symbol, n: number)\ns(\"a\", 1).\nr(x) :- s(x, n), x < n.\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `<` compares a symbol with a number"
    );
    assert_eq!(checked.snippet(d), "x < n");
}

#[test]
fn unknown_function_lists_the_builtins() {
    let checked = run("a(1).\nb(y) :- a(x), y = dayz(x).\n");
    let d = checked.one(Code::UnknownFunction);
    assert_eq!(d.message, "unknown function `dayz`");
    assert_eq!(checked.snippet(d), "dayz");
    let help = d.help.as_deref().unwrap();
    assert!(help.starts_with("did you mean `days`?"), "{help}");
    assert!(help.contains("`to_float`"), "{help}");
    assert_eq!(checked.diags.len(), 1, "no cascade: {:#?}", checked.diags);
}

#[test]
fn disjunction_inside_an_aggregate_is_unsupported() {
    let checked = run("a(1). b(2).\nn(c) :- c = count : { a(x) ; b(x) }.\n");
    let d = checked.one(Code::UnsupportedFeature);
    assert_eq!(
        d.message,
        "disjunction inside an aggregate is not supported"
    );
    assert_eq!(checked.snippet(d), "a(x) ; b(x)");
}

#[test]
fn unstratifiable_names_the_cycle() {
    let checked = run("lot(\"L1\").\np(x) :- lot(x), !q(x).\nq(x) :- lot(x), !p(x).\n");
    let d = checked.one(Code::Unstratifiable);
    assert_eq!(
        d.message,
        "`p` depends on itself through the negation of `q`: p → q → p"
    );
    assert_eq!(checked.snippet(d), "!q(x)");

    let checked = run("e(1, 2).\nn(x, c) :- e(x, _), c = count : n(_, _).\n");
    let d = checked.one(Code::Unstratifiable);
    assert_eq!(
        d.message,
        "`n` depends on itself through an aggregate over `n`: n → n"
    );
    assert_eq!(checked.snippet(d), "count : n(_, _)");
}

#[test]
fn all_problems_are_reported_in_one_run() {
    let checked = run(".decl a(x: sybmol)\nb(x) :- c(x, y).\nc(1).\nd(y) :- b(x).\n");
    let codes: Vec<Code> = checked.diags.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::UnknownType), "{codes:?}");
    assert!(codes.contains(&Code::ArityMismatch), "{codes:?}");
    assert!(codes.contains(&Code::UnboundVariable), "{codes:?}");
}

// ---- Lowering outcomes. ----

fn var_names(rule: &ir::Rule, terms: &[ir::Term]) -> Vec<String> {
    terms
        .iter()
        .map(|term| match term {
            ir::Term::Var(var) => rule.var(*var).name.clone(),
            ir::Term::Const(value) => format!("{value:?}"),
            ir::Term::Wildcard => "_".to_owned(),
        })
        .collect()
}

fn shape(rule: &ir::Rule, program: &ir::Program) -> Vec<String> {
    rule.body
        .iter()
        .map(|literal| match literal {
            ir::Literal::Positive(atom) => {
                format!(
                    "{}({})",
                    program.relation(atom.rel).name,
                    var_names(rule, &atom.args).join(", ")
                )
            }
            ir::Literal::Negative(atom) => {
                format!(
                    "!{}({})",
                    program.relation(atom.rel).name,
                    var_names(rule, &atom.args).join(", ")
                )
            }
            ir::Literal::Compare(op, _, _) => format!("compare {op:?}"),
            ir::Literal::Assign(var, _) => format!("assign {}", rule.var(*var).name),
            ir::Literal::Aggregate(aggregate) => format!(
                "aggregate {:?} -> {}",
                aggregate.func,
                rule.var(aggregate.result).name
            ),
        })
        .collect()
}

#[test]
fn disjunctions_and_several_heads_become_separate_rules() {
    let checked =
        clean("edge(\"a\", \"b\"). marked(\"c\").\nsrc(x), dst(y) :- edge(x, y) ; edge(y, x).\n");
    let src = checked.rules_of("src");
    let dst = checked.rules_of("dst");
    assert_eq!((src.len(), dst.len()), (2, 2));
    assert_eq!(shape(src[0], &checked.program), ["edge(x, y)"]);
    assert_eq!(shape(src[1], &checked.program), ["edge(y, x)"]);
    assert_eq!(src[0].origin, dst[1].origin);
    // Facts are rules with constant heads and no body.
    let facts = checked.rules_of("edge");
    assert!(facts[0].body.is_empty());
    assert!(matches!(&facts[0].head.args[0], ir::Expr::Const(ir::Const::Sym(s)) if s == "a"));
}

#[test]
fn argument_expressions_are_hoisted_and_assignments_ordered() {
    let checked =
        clean("fib(0, 0). fib(1, 1).\nfib(n + 1, x + y) :- fib(n, x), fib(n - 1, y), n < 10.\n");
    let rule = checked.rules_of("fib")[2];
    assert_eq!(
        shape(rule, &checked.program),
        ["fib(n, x)", "fib($e1, y)", "compare Eq", "compare Lt"]
    );
    assert_eq!(checked.types("fib"), [Type::Number, Type::Number]);

    // Written out of order, the chain is ordered by what binds what.
    let checked = clean("a(1).\nb(z) :- z = x * 2, x = y + 1, a(y).\n");
    let rule = checked.rules_of("b")[0];
    assert_eq!(
        shape(rule, &checked.program),
        ["a(y)", "assign x", "assign z"]
    );

    // An expression in a negated atom is computed before the negation.
    let checked = clean("a(1). s(2).\nb(x) :- a(x), !s(x + 1).\n");
    let rule = checked.rules_of("b")[0];
    assert_eq!(
        shape(rule, &checked.program),
        ["a(x)", "assign $e1", "!s($e1)"]
    );
}

#[test]
fn negation_locals_and_aggregate_wildcards() {
    let checked = clean(
        "item(\"A\"). pair(\"A\", \"x\", \"x\").\nno_loop(i) :- item(i), not pair(i, p, p).\n",
    );
    let rule = checked.rules_of("no_loop")[0];
    assert_eq!(shape(rule, &checked.program), ["item(i)", "!pair(i, p, p)"]);

    let checked = clean(
        "r(1, 2).\nn(c) :- c = count : r(_, _).\nm(x, c) :- r(x, _), c = count : { r(x, _) }.\n",
    );
    let rule = checked.rules_of("n")[0];
    assert_eq!(shape(rule, &checked.program), ["aggregate Count -> c"]);
    let ir::Literal::Aggregate(aggregate) = &rule.body[0] else {
        unreachable!()
    };
    assert_eq!(
        shape(
            &ir::Rule {
                body: aggregate.body.clone(),
                ..rule.clone()
            },
            &checked.program
        ),
        ["r($_1, $_2)"]
    );
    // A wildcard outside an aggregate stays a wildcard.
    let rule = checked.rules_of("m")[0];
    assert_eq!(
        shape(rule, &checked.program),
        ["r(x, _)", "aggregate Count -> c"]
    );
    assert_eq!(checked.types("n"), [Type::Number]);

    // An aggregate nested in an expression gets a fresh result.
    let checked = clean("r(1).\nn(x) :- x = 1 + count : r(_).\n");
    let rule = checked.rules_of("n")[0];
    assert_eq!(
        shape(rule, &checked.program),
        ["aggregate Count -> $a1", "assign x"]
    );
}

#[test]
fn queries_become_hidden_relations() {
    let checked = clean(
        "edge(\"a\", \"b\"). w(\"a\", 2).\n?- edge(\"a\", x), w(_u, n), !edge(x, _).\n?- edge(y, _).\n",
    );
    assert_eq!(checked.program.queries.len(), 2);
    let query = checked.program.relation(checked.program.queries[0].rel);
    assert!(query.hidden);
    assert_eq!(query.name, "?query1");
    let columns: Vec<(&str, Type)> = query
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty))
        .collect();
    assert_eq!(columns, [("x", Type::Symbol), ("n", Type::Number)]);
    assert_eq!(
        checked
            .program
            .relation(checked.program.queries[1].rel)
            .name,
        "?query2"
    );
    // Queries come last, after what they read.
    let last = checked.program.strata.last().unwrap();
    assert_eq!(checked.program.relation(last.relations[0]).name, "?query2");
}

#[test]
fn strata_follow_dependencies() {
    let checked = clean(
        "lot(\"L1\"). edge(\"a\", \"b\").\npath(x, y) :- edge(x, y).\npath(x, z) :- path(x, y), edge(y, z).\nlonely(x) :- lot(x), !path(x, _).\n",
    );
    let strata = &checked.program.strata;
    let position = |name: &str| {
        let id = checked.program.relation_by_name(name).unwrap();
        strata
            .iter()
            .position(|s| s.relations.contains(&id))
            .unwrap()
    };
    assert!(position("edge") < position("path"));
    assert!(position("path") < position("lonely"));
    assert!(position("lot") < position("lonely"));
    assert!(strata[position("path")].recursive);
    assert!(!strata[position("lonely")].recursive);
    // Every relation is in exactly one stratum; every rule in its head's.
    let mut all: Vec<ir::RelId> = strata.iter().flat_map(|s| s.relations.clone()).collect();
    all.sort_unstable();
    assert_eq!(all.len(), checked.program.relations.len());
    all.dedup();
    assert_eq!(all.len(), checked.program.relations.len());
    for stratum in strata {
        for rule in &stratum.rules {
            assert!(
                stratum
                    .relations
                    .contains(&checked.program.rule(*rule).head.rel)
            );
        }
    }
}

#[test]
fn inference_of_undeclared_columns() {
    let checked =
        clean("tag(\"L1\", \"blue\").\ntag(\"L1\", 7).\nq(t) :- tag(_, t).\nm(1). m(2.5).\n");
    assert_eq!(checked.types("tag"), [Type::Symbol, Type::Any]);
    assert_eq!(checked.types("q"), [Type::Any]);
    assert_eq!(checked.types("m"), [Type::Float]);
    assert_eq!(checked.rel("tag").columns[1].name, "_1");

    // Aliases are resolved; the column keeps the name it was declared with.
    let checked = clean(
        ".type Lot <: symbol\n.decl produced(lot: Lot, at: datetime, n: float)\nproduced(\"L1\", \"2026-03-01\", 3).\nlate(l) :- produced(l, at, _), at > \"2026-03-01T12:00:00Z\".\n",
    );
    let column = &checked.rel("produced").columns[0];
    assert_eq!(
        (column.ty, column.type_name.as_str()),
        (Type::Symbol, "Lot")
    );
    assert_eq!(
        checked.program.type_aliases,
        [("Lot".to_owned(), Type::Symbol)]
    );
    let fact = checked.rules_of("produced")[0];
    assert!(matches!(
        fact.head.args[1],
        ir::Expr::Const(ir::Const::Time(_))
    ));
    assert!(matches!(fact.head.args[2], ir::Expr::Const(ir::Const::Float(v)) if v == 3.0));
    let rule = checked.rules_of("late")[0];
    let ir::Literal::Compare(_, _, ir::Expr::Const(ir::Const::Time(micros))) = &rule.body[1] else {
        panic!("{:?}", rule.body)
    };
    assert_eq!(
        *micros,
        crate::value::parse_datetime("2026-03-01T12:00:00Z").unwrap()
    );
    assert_eq!(checked.types("late"), [Type::Symbol]);
}

#[test]
fn datetime_arithmetic_builtins_and_aggregate_types() {
    let checked = clean(
        ".decl received(lot: symbol, at: datetime)\nreceived(\"L1\", \"2026-03-01T08:00:00Z\").\n\
         expires(lot, at + days(30)) :- received(lot, at).\n\
         age(lot, \"2026-04-01\" - at) :- received(lot, at).\n\
         label(lot, cat(\"lot-\", lot), strlen(lot)) :- received(lot, _).\n\
         stats(s, m, a) :- s = sum n : age(_, n), m = min t : received(_, t), a = mean n : age(_, n).\n",
    );
    assert_eq!(checked.types("expires"), [Type::Symbol, Type::DateTime]);
    assert_eq!(
        checked.types("label"),
        [Type::Symbol, Type::Symbol, Type::Number]
    );
    assert_eq!(
        checked.types("stats"),
        [Type::Number, Type::DateTime, Type::Float]
    );
    // `"2026-04-01" - at` reads the string as a date-time; its result is seconds.
    assert_eq!(checked.types("age"), [Type::Symbol, Type::Number]);
    let rule = checked.rules_of("age")[0];
    let ir::Expr::Binary(_, lhs, _) = &rule.head.args[1] else {
        panic!()
    };
    assert!(matches!(**lhs, ir::Expr::Const(ir::Const::Time(_))));

    let checked = run(".decl r(lot: symbol)\nr(\"a\").\ns(t) :- t = sum x : r(x).\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `sum` needs numbers but its target has type symbol"
    );
    assert_eq!(checked.snippet(d), "x");

    let checked = run(".decl u(n: unsigned)\nu(-1).\n");
    let d = checked.one(Code::TypeMismatch);
    assert_eq!(
        d.message,
        "type mismatch: `-1` is negative but column `n` of `u` has type unsigned"
    );
    assert_eq!(checked.snippet(d), "-1");
}

#[test]
fn aggregates_side_by_side_have_their_own_locals() {
    let checked =
        clean("age(\"a\", 3).\nstats(s, a) :- s = sum n : age(_, n), a = mean n : age(_, n).\n");
    assert_eq!(checked.types("stats"), [Type::Number, Type::Float]);
    // A result of one aggregate used in another orders them.
    let checked = clean("r(1). s(1, 2).\nt(d) :- d = sum y : { s(c, y) }, c = count : r(_).\n");
    let rule = checked.rules_of("t")[0];
    assert_eq!(
        shape(rule, &checked.program),
        ["aggregate Count -> c", "aggregate Sum -> d"]
    );
}

/// Whatever the parser recovers, the checker reports problems and never
/// panics: every docs example with each one of its lines removed, and with
/// each line doubled.
#[test]
fn mangled_programs_never_panic() {
    let path = format!("{}/docs/language.md", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<String> = text
        .split("```tracelog")
        .skip(1)
        .map(|rest| {
            rest.split_once('\n')
                .map_or("", |(_, body)| body)
                .split("```")
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut n_runs = 0;
    for block in &blocks {
        let lines: Vec<&str> = block.lines().collect();
        for idx in 0..lines.len() {
            for variant in [0, 1] {
                let mut mangled: Vec<&str> = lines.clone();
                if variant == 0 {
                    mangled.remove(idx);
                } else {
                    mangled.insert(idx, lines[idx]);
                }
                let text = mangled.join("\n");
                let mut sources = SourceMap::default();
                let file = sources.add("m.dl", None, text.as_str());
                let (ast, _) = syntax::parse(&sources, file);
                let (program, _) = check(&sources, &[(file, ast)]);
                assert!(
                    program
                        .strata
                        .iter()
                        .map(|s| s.relations.len())
                        .sum::<usize>()
                        == program.relations.len()
                );
                n_runs += 1;
            }
        }
    }
    assert!(n_runs > 50, "{n_runs}");
}

#[test]
fn an_aggregate_does_not_rebind_a_bound_variable() {
    let checked = clean("a(1). b(2).\nsame(x) :- x = count : a(_), x = count : b(_).\n");
    let rule = checked.rules_of("same")[0];
    assert_eq!(
        shape(rule, &checked.program),
        [
            "aggregate Count -> x",
            "aggregate Count -> $r1",
            "compare Eq"
        ]
    );
    assert_eq!(rule.vars.len(), 4);
    assert_eq!(rule.vars[3].ty, Type::Number);
}
