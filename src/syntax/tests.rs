//! This module tests the parser: every construct, spans, recovery, messages
//! and include resolution.

use std::fmt::Write as _;

use super::*;
use crate::diagnostic::Location;
use crate::syntax::ast::*;

// ---------------------------------------------------------------------------
// Helpers: a compact S-expression printer of the AST, so a test states the
// whole shape of what was parsed in one string.

fn parse_str(text: &str) -> (SourceMap, Program, Vec<Diagnostic>) {
    let mut sources = SourceMap::default();
    let file = sources.add("t.dl", None, text);
    let (program, diags) = parse(&sources, file);
    (sources, program, diags)
}

/// The program as S-expressions, one item a line; panics (failing the test)
/// when the text has any diagnostic.
fn sexp(text: &str) -> String {
    let (sources, program, diags) = parse_str(text);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {text:?}:\n{}",
        messages(&sources, &diags).join("\n")
    );
    print_program(&program)
}

/// `line:col message` of every diagnostic.
fn messages(sources: &SourceMap, diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|diag| match &diag.location {
            Some(Location::Span(span)) => {
                let (line, col) = sources.file(span.file).line_col(span.start);
                format!("{line}:{col} {}", diag.message)
            }
            _ => diag.message.clone(),
        })
        .collect()
}

/// The diagnostics of a text, as `line:col message`.
fn errors(text: &str) -> Vec<String> {
    let (sources, _, diags) = parse_str(text);
    for diag in &diags {
        assert_eq!(diag.code, Code::ParseError, "{diag:?}");
    }
    messages(&sources, &diags)
}

fn print_program(program: &Program) -> String {
    program
        .items
        .iter()
        .map(print_item)
        .collect::<Vec<_>>()
        .join("\n")
}

fn print_item(item: &Item) -> String {
    match item {
        Item::Decl(decl) => {
            let mut out = format!("(decl {}", decl.name.text);
            for column in &decl.columns {
                write!(out, " ({} {})", column.name.text, column.ty.text).unwrap();
            }
            out + ")"
        }
        Item::Type(ty) => format!("(type {} {})", ty.name.text, ty.base.text),
        Item::Input(io) => print_io("input", io),
        Item::Output(io) => print_io("output", io),
        Item::PrintSize(io) => print_io("printsize", io),
        Item::Include(include) => format!("(include {:?})", include.path),
        Item::Policy(policy) => format!("(policy {:?} {:?})", policy.name, policy.version),
        Item::Rule(rule) => {
            let heads: Vec<String> = rule.heads.iter().map(print_atom).collect();
            match &rule.body {
                None => format!("(fact {})", heads.join(" ")),
                Some(body) => format!("(rule {} :- {})", heads.join(" "), print_body(body)),
            }
        }
        Item::Query(query) => format!("(?- {})", print_body(&query.body)),
    }
}

fn print_io(kind: &str, io: &IoDirective) -> String {
    let mut out = format!("({kind}");
    for relation in &io.relations {
        write!(out, " {}", relation.text).unwrap();
    }
    if !io.params.is_empty() {
        let params: Vec<String> = io
            .params
            .iter()
            .map(|param| {
                let value = match &param.value {
                    ParamValue::Str(text) => format!("{text:?}"),
                    ParamValue::Word(word) => format!("word:{word}"),
                    ParamValue::Int(value) => format!("int:{value}"),
                };
                format!("{}={value}", param.key.text)
            })
            .collect();
        write!(out, " [{}]", params.join(" ")).unwrap();
    }
    out + ")"
}

fn print_atom(atom: &Atom) -> String {
    let mut out = format!("({}", atom.name.text);
    for arg in &atom.args {
        write!(out, " {}", print_expr(arg)).unwrap();
    }
    out + ")"
}

fn print_body(body: &Body) -> String {
    match body {
        Body::Literal(literal) => print_literal(literal),
        Body::And(parts, _) => format!(
            "(and {})",
            parts.iter().map(print_body).collect::<Vec<_>>().join(" ")
        ),
        Body::Or(parts, _) => format!(
            "(or {})",
            parts.iter().map(print_body).collect::<Vec<_>>().join(" ")
        ),
    }
}

fn print_literal(literal: &Literal) -> String {
    match literal {
        Literal::Atom(atom) => print_atom(atom),
        Literal::Negated(atom, _) => format!("(not {})", print_atom(atom)),
        Literal::Compare(compare) => {
            let op = match compare.op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!(
                "({op} {} {})",
                print_expr(&compare.lhs),
                print_expr(&compare.rhs)
            )
        }
        Literal::Bool(value, _) => value.to_string(),
    }
}

fn print_expr(expr: &Expr) -> String {
    match expr {
        Expr::Var(name) => name.text.clone(),
        Expr::Wildcard(_) => "_".to_string(),
        Expr::Const(Const::Str(text), _) => format!("{text:?}"),
        Expr::Const(Const::Int(value), _) => value.to_string(),
        // `{:?}` keeps the `.0`, so `1.0` and `1` print differently.
        Expr::Const(Const::Float(value), _) => format!("{value:?}"),
        Expr::Neg(operand, _) => format!("(neg {})", print_expr(operand)),
        Expr::Binary(op, lhs, rhs, _) => {
            let op = op.symbol();
            format!("({op} {} {})", print_expr(lhs), print_expr(rhs))
        }
        Expr::Call(name, args, _) => {
            let mut out = format!("(call {}", name.text);
            for arg in args {
                write!(out, " {}", print_expr(arg)).unwrap();
            }
            out + ")"
        }
        Expr::Aggregate(aggregate) => {
            let func = aggregate.func.name();
            match &aggregate.target {
                None => format!("({func} {})", print_body(&aggregate.body)),
                Some(target) => format!(
                    "({func} {} {})",
                    print_expr(target),
                    print_body(&aggregate.body)
                ),
            }
        }
    }
}

/// Asserts that each text parses without diagnostics to the S-expression.
#[track_caller]
fn check(cases: &[(&str, &str)]) {
    for (text, expected) in cases {
        assert_eq!(sexp(text), *expected, "for {text:?}");
    }
}

// ---------------------------------------------------------------------------
// Statements.

#[test]
fn facts_rules_and_several_heads() {
    check(&[
        (
            r#"shipped("L1", "PLANT01", "DC07", 12)."#,
            r#"(fact (shipped "L1" "PLANT01" "DC07" 12))"#,
        ),
        (
            "h(X, Z) :- a(X, Y), b(Y, Z).",
            "(rule (h X Z) :- (and (a X Y) (b Y Z)))",
        ),
        ("a(x) :- b(x).", "(rule (a x) :- (b x))"),
        ("a(x), b(x) :- c(x).", "(rule (a x) (b x) :- (c x))"),
        ("a(1), b(2).", "(fact (a 1) (b 2))"),
        (
            "Edge(X, _y) :- edge(X, _y).",
            "(rule (Edge X _y) :- (edge X _y))",
        ),
        (
            "reached(lot, site) :- shipped(lot, _, site, _).",
            "(rule (reached lot site) :- (shipped lot _ site _))",
        ),
        ("a(1).b(2).", "(fact (a 1))\n(fact (b 2))"),
    ]);
}

#[test]
fn zero_arity_relations() {
    check(&[
        ("ok().", "(fact (ok))"),
        (
            "alarm() :- recall_open(), ok().",
            "(rule (alarm) :- (and (recall_open) (ok)))",
        ),
        (
            "a(x) :- b(x), !ok().",
            "(rule (a x) :- (and (b x) (not (ok))))",
        ),
        ("?- alarm().", "(?- (alarm))"),
    ]);
}

#[test]
fn disjunction_binds_looser_than_conjunction() {
    check(&[
        (
            "a(x) :- b(x), c(x); d(x).",
            "(rule (a x) :- (or (and (b x) (c x)) (d x)))",
        ),
        (
            "a(x) :- b(x); c(x), d(x).",
            "(rule (a x) :- (or (b x) (and (c x) (d x))))",
        ),
        (
            "a(x) :- b(x), (c(x); d(x)).",
            "(rule (a x) :- (and (b x) (or (c x) (d x))))",
        ),
        (
            "a(x) :- b(x); c(x); d(x).",
            "(rule (a x) :- (or (b x) (c x) (d x)))",
        ),
        ("a(x) :- ((b(x))).", "(rule (a x) :- (b x))"),
        (
            "a(x) :- (b(x), c(x)), d(x).",
            "(rule (a x) :- (and (and (b x) (c x)) (d x)))",
        ),
        (
            "touches(x) :- (edge(x, _) ; edge(_, x)), !marked(x).",
            "(rule (touches x) :- (and (or (edge x _) (edge _ x)) (not (marked x))))",
        ),
    ]);
}

#[test]
fn negation_comparisons_and_booleans() {
    check(&[
        (
            "a(x) :- b(x), !c(x), not d(x, _).",
            "(rule (a x) :- (and (b x) (not (c x)) (not (d x _))))",
        ),
        (
            "a(x) :- b(x, y), x = y, x != y, x < y, x <= y, x > y, x >= y.",
            "(rule (a x) :- (and (b x y) (= x y) (!= x y) (< x y) (<= x y) (> x y) (>= x y)))",
        ),
        (
            "a(x) :- b(x), true, false.",
            "(rule (a x) :- (and (b x) true false))",
        ),
        ("a() :- true.", "(rule (a) :- true)"),
        (
            "a(x) :- b(x), x + 1 < 2 * x.",
            "(rule (a x) :- (and (b x) (< (+ x 1) (* 2 x))))",
        ),
        (
            "a(x) :- b(x), (x = 1; x = 2).",
            "(rule (a x) :- (and (b x) (or (= x 1) (= x 2))))",
        ),
    ]);
}

#[test]
fn expression_precedence_and_associativity() {
    check(&[
        ("r(a + b * c - d).", "(fact (r (- (+ a (* b c)) d)))"),
        ("r((a + b) * c).", "(fact (r (* (+ a b) c)))"),
        ("r(a - b - c).", "(fact (r (- (- a b) c)))"),
        ("r(a / b % c * d).", "(fact (r (* (% (/ a b) c) d)))"),
        ("r(a - (b - c)).", "(fact (r (- a (- b c))))"),
        (
            "fib(n + 1, x + y) :- fib(n, x), fib(n - 1, y).",
            "(rule (fib (+ n 1) (+ x y)) :- (and (fib n x) (fib (- n 1) y)))",
        ),
        ("r(y + 1, b) :- s(y, b).", "(rule (r (+ y 1) b) :- (s y b))"),
        (
            "low(l, m) :- stock(l, n), m = 5 - n.",
            "(rule (low l m) :- (and (stock l n) (= m (- 5 n))))",
        ),
    ]);
}

#[test]
fn unary_minus_and_negative_literals() {
    check(&[
        ("r(-3, - 3, -1.5, -2.0e3).", "(fact (r -3 -3 -1.5 -2000.0))"),
        (
            "r(-x, -(x + 1), - (a)).",
            "(fact (r (neg x) (neg (+ x 1)) (neg a)))",
        ),
        (
            "r(-x + b, -x * 2).",
            "(fact (r (+ (neg x) b) (* (neg x) 2)))",
        ),
        (
            "r(2 - -3, x-1, x -1, x * -1).",
            "(fact (r (- 2 -3) (- x 1) (- x 1) (* x -1)))",
        ),
        ("r(--3, -(-3)).", "(fact (r 3 3))"),
    ]);
}

#[test]
fn calls_in_expressions_and_atoms_in_bodies() {
    check(&[
        (
            "a(x) :- b(x), days(3) < x.",
            "(rule (a x) :- (and (b x) (< (call days 3) x)))",
        ),
        (
            "a(x) :- b(x), x > days(3).",
            "(rule (a x) :- (and (b x) (> x (call days 3))))",
        ),
        (
            "e(lot, at + days(30)) :- r(lot, at).",
            "(rule (e lot (+ at (call days 30))) :- (r lot at))",
        ),
        (
            r#"l(lot, cat("lot-", lot, to_string(n))) :- r(lot, n)."#,
            r#"(rule (l lot (call cat "lot-" lot (call to_string n))) :- (r lot n))"#,
        ),
        (
            "a(x) :- b(s), strlen(s) >= 3, x = to_number(s).",
            "(rule (a x) :- (and (b s) (>= (call strlen s) 3) (= x (call to_number s))))",
        ),
        // Standing alone in a body, `name(args)` is an atom.
        ("a(x) :- days(x).", "(rule (a x) :- (days x))"),
        (
            "a(x) :- b(x), f(hours(2) + minutes(1)).",
            "(rule (a x) :- (and (b x) (f (+ (call hours 2) (call minutes 1)))))",
        ),
        ("a() :- f() = g().", "(rule (a) :- (= (call f) (call g)))"),
    ]);
}

#[test]
fn aggregates_every_form() {
    check(&[
        (
            "r(n) :- n = count : { s(_) }.",
            "(rule (r n) :- (= n (count (s _))))",
        ),
        (
            "r(n) :- n = count : s(_, x).",
            "(rule (r n) :- (= n (count (s _ x))))",
        ),
        (
            "r(n) :- n = count : ok().",
            "(rule (r n) :- (= n (count (ok))))",
        ),
        (
            "r(t) :- t = sum q : { shipped(_, q) }.",
            "(rule (r t) :- (= t (sum q (shipped _ q))))",
        ),
        (
            "r(t) :- t = sum q : shipped(_, q).",
            "(rule (r t) :- (= t (sum q (shipped _ q))))",
        ),
        (
            "r(m) :- m = min q : shipped(_, q).",
            "(rule (r m) :- (= m (min q (shipped _ q))))",
        ),
        (
            "r(m) :- m = min q : { shipped(_, q), q > 0 }.",
            "(rule (r m) :- (= m (min q (and (shipped _ q) (> q 0)))))",
        ),
        (
            "r(m) :- m = max q : { s(q) ; t(q) }.",
            "(rule (r m) :- (= m (max q (or (s q) (t q)))))",
        ),
        (
            "r(m) :- m = mean q : { s(q) }.",
            "(rule (r m) :- (= m (mean q (s q))))",
        ),
        (
            "r(m) :- m = sum q * 2 : s(q).",
            "(rule (r m) :- (= m (sum (* q 2) (s q))))",
        ),
        // Aggregates are primary expressions: they nest in arithmetic and comparisons.
        (
            "r(n) :- n = 1 + count : a(y) * 2.",
            "(rule (r n) :- (= n (+ 1 (* (count (a y)) 2))))",
        ),
        (
            "r() :- count : a(_) > 3.",
            "(rule (r) :- (> (count (a _)) 3))",
        ),
        ("r(count : a(_)).", "(fact (r (count (a _))))"),
        (
            "r(k, n) :- g(k), n = sum c : { h(k, j), c = count : i(j, _) }.",
            "(rule (r k n) :- (and (g k) (= n (sum c (and (h k j) (= c (count (i j _))))))))",
        ),
        (
            "per_lot(lot, n, total) :- lot(lot), n = count : { shipped(lot, _, _) }, total = sum q : { shipped(lot, _, q) }.",
            "(rule (per_lot lot n total) :- (and (lot lot) (= n (count (shipped lot _ _))) (= total (sum q (shipped lot _ q)))))",
        ),
    ]);
}

#[test]
fn queries() {
    check(&[
        ("?- a(X), !b(X).", "(?- (and (a X) (not (b X))))"),
        ("?- path(\"a\", x).", "(?- (path \"a\" x))"),
        ("?- a(x); b(x).", "(?- (or (a x) (b x)))"),
        ("?- a(x), x > 3.", "(?- (and (a x) (> x 3)))"),
    ]);
}

#[test]
fn declarations_and_types() {
    check(&[
        (
            ".decl r(name: symbol, n: number)",
            "(decl r (name symbol) (n number))",
        ),
        (
            ".decl r(a: unsigned, b: float, c: datetime, d: Lot)",
            "(decl r (a unsigned) (b float) (c datetime) (d Lot))",
        ),
        (".decl z()", "(decl z)"),
        // Soufflé's `.decl a, b(..)` declares each name with the same columns.
        (
            ".decl a, b(x: number)",
            "(decl a (x number))\n(decl b (x number))",
        ),
        // Column names are labels, so aggregate keywords may name them.
        (
            ".decl sizes(count: number, sum: number)",
            "(decl sizes (count number) (sum number))",
        ),
        (".type Lot <: symbol", "(type Lot symbol)"),
        (".type Quantity = number", "(type Quantity number)"),
        // Soufflé's performance qualifiers are accepted and ignored.
        (
            ".decl r(x: number) brie inline\ninline(1).\nbtree(2).",
            "(decl r (x number))\n(fact (inline 1))\n(fact (btree 2))",
        ),
        (
            ".decl r(x: number)\nmagic(1).",
            "(decl r (x number))\n(fact (magic 1))",
        ),
    ]);
}

#[test]
fn io_directives() {
    check(&[
        (".input r", "(input r)"),
        (".input r()", "(input r)"),
        (".input a, b", "(input a b)"),
        (
            r#".input r(IO=file, filename="lots.tsv", delimiter="\t", headers=false)"#,
            r#"(input r [IO=word:file filename="lots.tsv" delimiter="\t" headers=word:false])"#,
        ),
        (
            ".input a, b(IO=file, n=3, m=-4, h=true)",
            "(input a b [IO=word:file n=int:3 m=int:-4 h=word:true])",
        ),
        (".output r", "(output r)"),
        (".output r()", "(output r)"),
        (".output r(IO=stdout)", "(output r [IO=word:stdout])"),
        (
            ".output a, b(delimiter=\",\")",
            "(output a b [delimiter=\",\"])",
        ),
        (".printsize r", "(printsize r)"),
        (".printsize r, s()", "(printsize r s)"),
        // A directive needs no `.`; the next statement starts right after it.
        (
            ".input r\nr2(1).\n.output r2 s(1).",
            "(input r)\n(fact (r2 1))\n(output r2)\n(fact (s 1))",
        ),
    ]);
}

#[test]
fn include_and_policy() {
    check(&[
        (
            r#".include "rules/common.dl""#,
            r#"(include "rules/common.dl")"#,
        ),
        (
            r#".policy "recall-scope" version "1.2.0""#,
            r#"(policy "recall-scope" "1.2.0")"#,
        ),
        (
            ".policy \"p\" version \"2\"\n.include \"x.dl\"\na(1).",
            "(policy \"p\" \"2\")\n(include \"x.dl\")\n(fact (a 1))",
        ),
    ]);
}

#[test]
fn variables_wildcards_and_names() {
    let (_, program, diags) = parse_str("r(X, lot, _x, _, _1) :- s(X, lot, _x, _1).");
    assert!(diags.is_empty());
    let Item::Rule(rule) = &program.items[0] else {
        panic!("not a rule")
    };
    let args = &rule.heads[0].args;
    assert!(matches!(&args[0], Expr::Var(name) if name.text == "X"));
    assert!(matches!(&args[1], Expr::Var(name) if name.text == "lot"));
    assert!(matches!(&args[2], Expr::Var(name) if name.text == "_x"));
    assert!(matches!(&args[3], Expr::Wildcard(_)));
    assert!(matches!(&args[4], Expr::Var(name) if name.text == "_1"));
}

#[test]
fn whole_documented_program() {
    let text = r#"
.policy "recall-scope" version "1.2.0"
.type Lot <: symbol
.decl lot(id: Lot, plant: symbol)
.input lot
.decl at_plant(id: symbol)
at_plant(id) :- lot(id, "PLANT01").
.output at_plant(IO=stdout)
.printsize lot
"#;
    assert_eq!(
        sexp(text),
        r#"(policy "recall-scope" "1.2.0")
(type Lot symbol)
(decl lot (id Lot) (plant symbol))
(input lot)
(decl at_plant (id symbol))
(rule (at_plant id) :- (lot id "PLANT01"))
(output at_plant [IO=word:stdout])
(printsize lot)"#
    );
}

// ---------------------------------------------------------------------------
// Lexical details.

#[test]
fn comments() {
    check(&[
        ("// a comment\na(1). // another\n", "(fact (a 1))"),
        (
            "a(1). /* a\nblock ( comment */ b(2).",
            "(fact (a 1))\n(fact (b 2))",
        ),
        ("a(/* inside */ 1).", "(fact (a 1))"),
        ("/* not /* nested */ a(1).", "(fact (a 1))"),
        ("a(1). // no newline at the end", "(fact (a 1))"),
        // `//` and `/*` inside a string are text.
        (r#"a("http://x/*y*/")."#, r#"(fact (a "http://x/*y*/"))"#),
    ]);
    assert_eq!(
        errors("a(1). /* never closed\nb(2)."),
        ["1:7 unterminated comment"]
    );
}

#[test]
fn string_escapes() {
    check(&[
        (
            r#"a("lot \"A\"", "back\\slash", "line\none", "tab\tbed")."#,
            r#"(fact (a "lot \"A\"" "back\\slash" "line\none" "tab\tbed"))"#,
        ),
        (
            r#"a("\u{e9}", "\u{1F600}", "caf\u{E9}!")."#,
            "(fact (a \"é\" \"😀\" \"café!\"))",
        ),
        (
            r#"a("", "é plain ünïcode")."#,
            "(fact (a \"\" \"é plain ünïcode\"))",
        ),
    ]);
    assert_eq!(
        errors(r#"a("bad \q escape", "\u{110000}", "\u{zz}", "\u{12")."#),
        [
            "1:8 unknown escape `\\q` in string",
            "1:21 invalid unicode escape `\\u{110000}` in string",
            "1:35 malformed unicode escape in string",
            "1:45 malformed unicode escape in string",
        ]
    );
    // An unknown escape keeps the character and the statement.
    let (_, program, diags) = parse_str(r#"a("x\qy")."#);
    assert_eq!(diags.len(), 1);
    assert_eq!(print_program(&program), r#"(fact (a "xqy"))"#);
}

#[test]
fn integers() {
    check(&[
        (
            "a(0, 42, 9223372036854775807).",
            "(fact (a 0 42 9223372036854775807))",
        ),
        (
            "a(-9223372036854775808).",
            "(fact (a -9223372036854775808))",
        ),
        (
            "a(- 9223372036854775808).",
            "(fact (a -9223372036854775808))",
        ),
        ("a(0x1F, 0b101, 0XfF).", "(fact (a 31 5 255))"),
    ]);
    let (sources, program, diags) =
        parse_str("a(9223372036854775808, -9223372036854775809, 99999999999999999999).");
    assert_eq!(
        messages(&sources, &diags),
        [
            "1:3 integer `9223372036854775808` is out of range",
            "1:24 integer `-9223372036854775809` is out of range",
            "1:46 integer `99999999999999999999` is out of range",
        ]
    );
    for diag in &diags {
        assert_eq!(
            diag.help.as_deref(),
            Some(
                "integers are 64-bit signed numbers, from -9223372036854775808 to 9223372036854775807"
            )
        );
    }
    // The first two are read as 0 so the statement survives; the third is a lexer error.
    assert_eq!(print_program(&program), "");
    assert_eq!(
        errors("a(x) :- b(x), x < 9223372036854775808."),
        ["1:19 integer `9223372036854775808` is out of range"]
    );
    assert_eq!(
        errors("a(x - 9223372036854775808)."),
        ["1:7 integer `9223372036854775808` is out of range"]
    );
    assert_eq!(errors("a(12ab)."), ["1:3 malformed number `12ab`"]);
    assert_eq!(errors("a(0b2)."), ["1:3 malformed number `0b2`"]);
}

#[test]
fn floats() {
    check(&[
        (
            "a(1.5, 2.0e3, 1e5, 1.5E-2, 0.0, 3e+2).",
            "(fact (a 1.5 2000.0 100000.0 0.015 0.0 300.0))",
        ),
        ("a(-2.0e3, -0.5).", "(fact (a -2000.0 -0.5))"),
        // `7.` is the integer 7 and the end of the statement.
        ("a(7).b(7.0).", "(fact (a 7))\n(fact (b 7.0))"),
    ]);
    assert_eq!(errors("a(1e999)."), ["1:3 float `1e999` is out of range"]);
}

// ---------------------------------------------------------------------------
// Spans.

fn rule_at(program: &Program, idx: usize) -> &Rule {
    match &program.items[idx] {
        Item::Rule(rule) => rule,
        other => panic!("item {idx} is not a rule: {other:?}"),
    }
}

fn conjuncts(body: &Body) -> &[Body] {
    match body {
        Body::And(parts, _) => parts,
        other => panic!("not a conjunction: {other:?}"),
    }
}

#[test]
fn spans_of_rules_atoms_variables_and_constants() {
    let text = "// header\nout(lot, n + 1) :-\n    shipped(lot, \"DC\\\"07\", -12, 2.5),\n    !recalled(lot), n = count : { s(lot, _) }, days(3) < n.\nok().";
    let (sources, program, diags) = parse_str(text);
    assert!(diags.is_empty(), "{diags:?}");
    let snippet = |span: Span| sources.snippet(span).to_string();
    let rule = rule_at(&program, 0);
    assert_eq!(
        snippet(rule.span),
        "out(lot, n + 1) :-\n    shipped(lot, \"DC\\\"07\", -12, 2.5),\n    !recalled(lot), n = count : { s(lot, _) }, days(3) < n."
    );
    let head = &rule.heads[0];
    assert_eq!(snippet(head.span), "out(lot, n + 1)");
    assert_eq!(snippet(head.name.span), "out");
    assert_eq!(snippet(head.args[0].span()), "lot");
    assert_eq!(snippet(head.args[1].span()), "n + 1");
    let body = rule.body.as_ref().unwrap();
    assert_eq!(
        snippet(body.span()),
        "shipped(lot, \"DC\\\"07\", -12, 2.5),\n    !recalled(lot), n = count : { s(lot, _) }, days(3) < n"
    );
    let parts = conjuncts(body);
    let Body::Literal(Literal::Atom(shipped)) = &parts[0] else {
        panic!()
    };
    assert_eq!(
        snippet(shipped.span),
        "shipped(lot, \"DC\\\"07\", -12, 2.5)"
    );
    let args: Vec<String> = shipped.args.iter().map(|arg| snippet(arg.span())).collect();
    assert_eq!(args, ["lot", "\"DC\\\"07\"", "-12", "2.5"]);
    let Body::Literal(negated @ Literal::Negated(atom, _)) = &parts[1] else {
        panic!()
    };
    assert_eq!(snippet(negated.span()), "!recalled(lot)");
    assert_eq!(snippet(atom.span), "recalled(lot)");
    let Body::Literal(Literal::Compare(assign)) = &parts[2] else {
        panic!()
    };
    assert_eq!(snippet(assign.span), "n = count : { s(lot, _) }");
    assert_eq!(snippet(assign.lhs.span()), "n");
    let Expr::Aggregate(aggregate) = &assign.rhs else {
        panic!()
    };
    assert_eq!(snippet(aggregate.span), "count : { s(lot, _) }");
    assert_eq!(snippet(aggregate.body.span()), "s(lot, _)");
    let Body::Literal(Literal::Compare(less)) = &parts[3] else {
        panic!()
    };
    assert_eq!(snippet(less.span), "days(3) < n");
    let Expr::Call(name, call_args, call_span) = &less.lhs else {
        panic!()
    };
    assert_eq!(
        (snippet(name.span), snippet(*call_span)),
        ("days".to_string(), "days(3)".to_string())
    );
    assert_eq!(snippet(call_args[0].span()), "3");
    assert_eq!(snippet(rule_at(&program, 1).span), "ok().");
    assert_eq!(sources.location(head.span), "t.dl:2:1");
    assert_eq!(sources.location(atom.span), "t.dl:4:6");
}

#[test]
fn spans_of_other_literals_and_expressions() {
    let text = "a(x) :- b(x), not c(x), (d(x); e(x)), true, x = -(x * 2), m = sum q : f(x, q).";
    let (sources, program, diags) = parse_str(text);
    assert!(diags.is_empty(), "{diags:?}");
    let snippet = |span: Span| sources.snippet(span).to_string();
    let parts = conjuncts(rule_at(&program, 0).body.as_ref().unwrap());
    let spans: Vec<String> = parts.iter().map(|part| snippet(part.span())).collect();
    assert_eq!(
        spans,
        [
            "b(x)",
            "not c(x)",
            "d(x); e(x)",
            "true",
            "x = -(x * 2)",
            "m = sum q : f(x, q)"
        ]
    );
    let Body::Literal(Literal::Compare(neg)) = &parts[4] else {
        panic!()
    };
    let Expr::Neg(inner, _) = &neg.rhs else {
        panic!()
    };
    assert_eq!(snippet(neg.rhs.span()), "-(x * 2)");
    assert_eq!(snippet(inner.span()), "x * 2");
    let Body::Literal(Literal::Compare(sum)) = &parts[5] else {
        panic!()
    };
    let Expr::Aggregate(aggregate) = &sum.rhs else {
        panic!()
    };
    assert_eq!(snippet(aggregate.target.as_ref().unwrap().span()), "q");
    assert_eq!(snippet(aggregate.body.span()), "f(x, q)");
}

#[test]
fn spans_of_directives() {
    let text = ".decl a, b(x: number, y: Lot)\n.type Lot <: symbol\n.input a(IO=file, filename=\"a.tsv\")\n.output b\n.printsize a, b\n.include \"x.dl\"\n.policy \"p\" version \"1\"\n?- a(x, _).";
    let (sources, program, diags) = parse_str(text);
    assert!(diags.is_empty(), "{diags:?}");
    let snippet = |span: Span| sources.snippet(span).to_string();
    let spans: Vec<String> = program
        .items
        .iter()
        .map(|item| match item {
            Item::Decl(decl) => snippet(decl.span),
            Item::Type(ty) => snippet(ty.span),
            Item::Input(io) | Item::Output(io) | Item::PrintSize(io) => snippet(io.span),
            Item::Include(include) => snippet(include.span),
            Item::Policy(policy) => snippet(policy.span),
            Item::Rule(rule) => snippet(rule.span),
            Item::Query(query) => snippet(query.span),
        })
        .collect();
    assert_eq!(
        spans,
        [
            ".decl a, b(x: number, y: Lot)",
            ".decl a, b(x: number, y: Lot)",
            ".type Lot <: symbol",
            ".input a(IO=file, filename=\"a.tsv\")",
            ".output b",
            ".printsize a, b",
            ".include \"x.dl\"",
            ".policy \"p\" version \"1\"",
            "?- a(x, _).",
        ]
    );
    let Item::Decl(decl) = &program.items[1] else {
        panic!()
    };
    assert_eq!(snippet(decl.name.span), "b");
    assert_eq!(
        (
            snippet(decl.columns[1].name.span),
            snippet(decl.columns[1].ty.span)
        ),
        ("y".to_string(), "Lot".to_string())
    );
    let Item::Type(ty) = &program.items[2] else {
        panic!()
    };
    assert_eq!(
        (snippet(ty.name.span), snippet(ty.base.span)),
        ("Lot".to_string(), "symbol".to_string())
    );
    let Item::Input(io) = &program.items[3] else {
        panic!()
    };
    assert_eq!(snippet(io.relations[0].span), "a");
    let params: Vec<String> = io.params.iter().map(|param| snippet(param.span)).collect();
    assert_eq!(params, ["IO=file", "filename=\"a.tsv\""]);
    assert_eq!(snippet(io.params[1].key.span), "filename");
    let Item::PrintSize(io) = &program.items[5] else {
        panic!()
    };
    assert_eq!(snippet(io.relations[1].span), "b");
}

#[test]
fn spans_of_errors() {
    let text = "a(1 .\nb(\"x\\q\").";
    let (sources, _, diags) = parse_str(text);
    let snippets: Vec<&str> = diags
        .iter()
        .map(|diag| match &diag.location {
            Some(Location::Span(span)) => sources.snippet(*span),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(snippets, [".", "\\q"]);
    let (sources, _, diags) = parse_str("a(1)");
    let Some(Location::Span(span)) = diags[0].location else {
        panic!()
    };
    assert_eq!(
        (span.start, span.end, sources.location(span)),
        (4, 4, "t.dl:1:5".to_string())
    );
}

// ---------------------------------------------------------------------------
// Error recovery and messages.

#[test]
fn recovery_reports_every_bad_statement_and_keeps_the_good_ones() {
    let text = "\
good(1).
bad(1 .
also_good(x) :- good(x).
bad2(x) :- .
.decl r(x: number)
bad3(x) :- good(x), x < .
last(2).
";
    let (sources, program, diags) = parse_str(text);
    assert_eq!(
        messages(&sources, &diags),
        [
            "2:7 expected `)` or `,` after an argument, found `.`",
            "4:12 expected a condition, found `.`",
            "6:25 expected an expression, found `.`",
        ]
    );
    assert_eq!(
        print_program(&program),
        "(fact (good 1))\n(rule (also_good x) :- (good x))\n(decl r (x number))\n(fact (last 2))"
    );
}

#[test]
fn recovery_at_directives_and_the_end_of_the_file() {
    let (sources, program, diags) = parse_str("a(1\n.decl r(x: number)\nb(2).\nc(");
    assert_eq!(
        messages(&sources, &diags),
        [
            "2:1 expected `)` or `,` after an argument, found `.decl`",
            "4:3 expected `)` or an expression, found the end of the file",
        ]
    );
    assert_eq!(print_program(&program), "(decl r (x number))\n(fact (b 2))");
}

#[test]
fn lexer_errors_are_reported_once() {
    // The parser does not report the error token again.
    assert_eq!(
        errors("a(x) :- b(x) | c(x).\nd(1)."),
        ["1:14 unexpected character `|`"]
    );
    assert_eq!(errors("a(1, 2ab)."), ["1:6 malformed number `2ab`"]);
    assert_eq!(errors("a(x) :- b(x) && c(x)."), ["1:14 unexpected `&&`"]);
    assert_eq!(errors("a(x) :- b(x) || c(x)."), ["1:14 unexpected `||`"]);
    assert_eq!(
        errors(".functor f(x: number): number\n#include \"x.dl\"\na(1)."),
        [
            "1:1 the Soufflé directive `.functor` is not supported",
            "2:1 C preprocessor lines are not supported"
        ]
    );
}

/// The message and help of the only diagnostic of `text`.
fn friendly(text: &str) -> (String, String) {
    let (sources, _, diags) = parse_str(text);
    assert_eq!(diags.len(), 1, "{text:?}: {:?}", messages(&sources, &diags));
    let diag = &diags[0];
    (
        messages(&sources, &diags).remove(0),
        diag.help.clone().unwrap_or_default(),
    )
}

#[test]
fn friendly_messages_for_common_mistakes() {
    let reserved = "is a reserved word and cannot name a variable or a relation (reserved: `not`, `true`, `false`, `count`, `sum`, `min`, `max`, `mean`)";
    let cases: Vec<(&str, &str, String)> = vec![
        // A missing `.`.
        (
            "a(1)\nb(2).",
            "2:1 expected `,`, `.` or `:-` after an atom, found `b`",
            "every fact, rule and query ends with `.`; is one missing before this?".into(),
        ),
        (
            "a(x) :- b(x)\nc(1).",
            "2:1 expected `,`, `;` or `.` after a condition, found `c`",
            "every fact, rule and query ends with `.`; is one missing before this?".into(),
        ),
        (
            "a(x) :- b(x)\n.output a",
            "2:1 expected `,`, `;` or `.` after a condition, found `.output`",
            "every fact, rule and query ends with `.`; is one missing before this?".into(),
        ),
        ("a(1)", "1:5 expected `,`, `.` or `:-` after an atom, found the end of the file", "every fact, rule and query ends with `.`".into()),
        // A missing `)` or `}`.
        ("a(1 .", "1:5 expected `)` or `,` after an argument, found `.`", "is a closing `)` missing?".into()),
        ("a(x) :- b(x, f(y).", "1:18 expected `)` or `,` after an argument, found `.`", "is a closing `)` missing?".into()),
        ("a(x :- b(x).", "1:5 expected `)` or `,` after an argument, found `:-`", "is a closing `)` missing?".into()),
        ("a(x) :- n = count : { b(x) .", "1:28 expected `}`, found `.`", "is a closing `}` missing?".into()),
        // `:-` mistyped.
        ("a(x) :: b(x).", "1:6 expected `,`, `.` or `:-` after an atom, found `:`", "a rule's head and body are separated by `:-`".into()),
        ("a(x) := b(x).", "1:6 expected `,`, `.` or `:-` after an atom, found `:`", "a rule's head and body are separated by `:-`".into()),
        ("a(x) : - b(x).", "1:6 expected `,`, `.` or `:-` after an atom, found `:`", "a rule's head and body are separated by `:-`".into()),
        ("a(x) <- b(x).", "1:6 expected `,`, `.` or `:-` after an atom, found `<`", "a rule's head and body are separated by `:-`".into()),
        ("a(x) - b(x).", "1:6 expected `,`, `.` or `:-` after an atom, found `-`", "a rule's head and body are separated by `:-`".into()),
        // Unterminated string: reported once, and the next line still parses.
        (
            "a(\"open).\nb(1).",
            "1:3 unterminated string",
            "close the string with `\"` on the same line; write `\\n` for a line break".into(),
        ),
        // Other slips.
        ("a(x) :- b(x), x == 1.", "1:18 expected an expression, found `=`", "equality is written with a single `=`".into()),
        ("ok.", "1:3 expected `(`, found `.`", "atoms take their arguments in parentheses; write `ok()` for a relation with no columns".into()),
        ("a(x) :- b(x), !c.", "1:17 expected `(`, found `.`", "atoms take their arguments in parentheses; write `c()` for a relation with no columns".into()),
        ("r(count) :- s(count).", "1:8 expected `:`, found `)`", format!("`count` {reserved}")),
        ("r(x, sum) :- s(x, sum).", "1:9 expected an expression, found `)`", format!("`sum` {reserved}")),
        ("count(x) :- s(x).", "1:1 expected a fact, a rule, a query or a directive, found `count`", format!("`count` {reserved}")),
        ("a(x) :- s(true).", "1:11 expected `)` or an expression, found `true`", format!("`true` {reserved}")),
        ("a('x').", "1:3 strings are written in double quotes", "write `\"x\"`".into()),
        ("a(x) :- 1.", "1:9 expected a condition, found an expression", "a body holds atoms such as `r(x)`, negations `!r(x)` and comparisons such as `x < 3`".into()),
        (
            "a((b(x), c(x))).",
            "1:4 expected an expression, found a condition",
            "arguments and operands are values: variables, constants, arithmetic, calls or aggregates".into(),
        ),
        (".policy \"p\" ver \"1\"", "1:13 expected `version`, found `ver`", "write the policy header as `.policy \"name\" version \"1.2.0\"`".into()),
        (".policy \"p\" \"1\"", "1:13 expected `version` before the policy's version", "write the policy header as `.policy \"name\" version \"1.2.0\"`".into()),
        (
            ".decl r(x: number) eqrel",
            "1:20 the `eqrel` qualifier is not supported",
            "remove `eqrel` and write the reflexive, symmetric and transitive rules explicitly".into(),
        ),
        (".decl r(x number)", "1:11 expected `:`, found `number`", String::new()),
        (".type T", "1:8 expected `=` or `<:`, found the end of the file", String::new()),
        (":- a(x).", "1:1 expected a fact, a rule, a query or a directive, found `:-`", String::new()),
        ("a(x) :- b(x) | c(x).", "1:14 unexpected character `|`", "union types (`.type T = A | B`) are a Soufflé feature tracelog does not support".into()),
    ];
    for (text, message, help) in cases {
        assert_eq!(friendly(text), (message.to_string(), help), "for {text:?}");
    }
}

#[test]
fn parse_errors_carry_a_code_label_and_location() {
    let (_, _, diags) = parse_str("a(1 .");
    let diag = &diags[0];
    assert_eq!(diag.code, Code::ParseError);
    assert!(diag.is_error());
    assert_eq!(diag.label.as_deref(), Some("unexpected `.`"));
    let (_, _, diags) = parse_str("a(1");
    assert_eq!(diags[0].label.as_deref(), Some("the file ends here"));
    let (_, _, diags) = parse_str(".policy \"x\" 1");
    assert_eq!(
        diags[0].message,
        "expected a name or a string, found the number `1`"
    );
    assert_eq!(diags[0].label.as_deref(), Some("unexpected number `1`"));
}

#[test]
fn empty_and_trivia_only_texts() {
    for text in ["", "   \n\t", "// only a comment", "/* block */"] {
        assert_eq!(sexp(text), "", "for {text:?}");
    }
}

// ---------------------------------------------------------------------------
// Includes.

struct Dir(tempfile::TempDir);

impl Dir {
    fn new(files: &[(&str, &str)]) -> Dir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// Loads `root` with its includes: the file names in load order (relative
    /// to the directory), every program printed, and the diagnostics.
    fn load(&self, root: &str) -> (Vec<String>, String, Vec<Diagnostic>, SourceMap) {
        let mut sources = SourceMap::default();
        let path = self.path(root);
        let text = std::fs::read_to_string(&path).unwrap();
        let file = sources.add(path.display().to_string(), Some(path), text);
        let (files, diags) = parse_with_includes(&mut sources, file);
        let prefix = format!("{}/", self.0.path().display());
        let names = files
            .iter()
            .map(|(file, _)| {
                sources
                    .file(*file)
                    .name
                    .strip_prefix(&prefix)
                    .unwrap()
                    .to_string()
            })
            .collect();
        let printed = files
            .iter()
            .map(|(_, program)| print_program(program))
            .collect::<Vec<_>>()
            .join("\n");
        (names, printed, diags, sources)
    }

    fn relative(&self, text: &str) -> String {
        text.replace(&format!("{}/", self.0.path().display()), "")
    }
}

#[test]
fn nested_includes_come_before_their_includer() {
    let dir = Dir::new(&[
        (
            "main.dl",
            ".include \"lib/a.dl\"\nmain(1).\n.include \"c.dl\"",
        ),
        ("lib/a.dl", ".include \"b.dl\"\na(1)."),
        ("lib/b.dl", "b(1)."),
        ("c.dl", "c(1)."),
    ]);
    let (names, printed, diags, _) = dir.load("main.dl");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(names, ["lib/b.dl", "lib/a.dl", "c.dl", "main.dl"]);
    assert_eq!(
        printed,
        "(fact (b 1))\n(include \"b.dl\")\n(fact (a 1))\n(fact (c 1))\n(include \"lib/a.dl\")\n(fact (main 1))\n(include \"c.dl\")"
    );
}

#[test]
fn a_file_reached_twice_is_parsed_once() {
    let dir = Dir::new(&[
        (
            "main.dl",
            ".include \"left.dl\"\n.include \"right.dl\"\n.include \"./common.dl\"",
        ),
        ("left.dl", ".include \"common.dl\"\nleft(1)."),
        ("right.dl", ".include \"sub/../common.dl\"\nright(1)."),
        ("common.dl", "common(1)."),
        ("sub/.keep", ""),
    ]);
    let (names, _, diags, sources) = dir.load("main.dl");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(names, ["common.dl", "left.dl", "right.dl", "main.dl"]);
    // And it is read once: no second copy in the source map.
    assert_eq!(sources.files().count(), 4);
}

#[test]
fn include_cycles_name_the_chain() {
    let dir = Dir::new(&[
        ("a.dl", "a(1).\n.include \"b.dl\""),
        ("b.dl", ".include \"c.dl\"\nb(1)."),
        ("c.dl", "c(1).\n.include \"a.dl\""),
    ]);
    let (names, _, diags, sources) = dir.load("a.dl");
    assert_eq!(names, ["c.dl", "b.dl", "a.dl"]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let diag = &diags[0];
    assert_eq!(diag.code, Code::IncludeCycle);
    assert_eq!(
        dir.relative(&diag.message),
        "include cycle: a.dl → b.dl → c.dl → a.dl"
    );
    let Some(Location::Span(span)) = diag.location else {
        panic!()
    };
    assert_eq!(sources.snippet(span), ".include \"a.dl\"");
    assert_eq!(dir.relative(&sources.location(span)), "c.dl:2:1");
    let related: Vec<String> = diag
        .related
        .iter()
        .map(|(span, _)| dir.relative(&sources.location(*span)))
        .collect();
    assert_eq!(related, ["a.dl:2:1", "b.dl:1:1"]);
}

#[test]
fn a_file_including_itself_is_a_cycle() {
    let dir = Dir::new(&[("self.dl", ".include \"self.dl\"\nx(1).")]);
    let (names, printed, diags, _) = dir.load("self.dl");
    assert_eq!(names, ["self.dl"]);
    assert_eq!(printed, "(include \"self.dl\")\n(fact (x 1))");
    assert_eq!(diags.len(), 1);
    assert_eq!(
        dir.relative(&diags[0].message),
        "include cycle: self.dl → self.dl"
    );
}

#[test]
fn missing_includes_name_the_resolved_path() {
    let dir = Dir::new(&[
        ("main.dl", "a(1).\n.include \"rules/none.dl\""),
        ("rules/.keep", ""),
    ]);
    let (names, _, diags, sources) = dir.load("main.dl");
    assert_eq!(names, ["main.dl"]);
    assert_eq!(diags.len(), 1);
    let diag = &diags[0];
    assert_eq!(diag.code, Code::IncludeNotFound);
    assert_eq!(
        diag.message,
        format!(
            "cannot include `{}`: no such file",
            dir.path("rules/none.dl").display()
        )
    );
    let Some(Location::Span(span)) = diag.location else {
        panic!()
    };
    assert_eq!(dir.relative(&sources.location(span)), "main.dl:2:1");
}

#[test]
fn parse_errors_in_included_files_point_into_them() {
    let dir = Dir::new(&[
        ("main.dl", ".include \"bad.dl\"\nok(1)."),
        ("bad.dl", "b(1 ."),
    ]);
    let (names, _, diags, sources) = dir.load("main.dl");
    assert_eq!(names, ["bad.dl", "main.dl"]);
    assert_eq!(diags.len(), 1);
    let Some(Location::Span(span)) = diags[0].location else {
        panic!()
    };
    assert_eq!(dir.relative(&sources.location(span)), "bad.dl:1:5");
}
