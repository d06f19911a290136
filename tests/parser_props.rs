//! This module checks the parser's robustness with proptest: on arbitrary
//! text, token soups, generated valid programs and mutated valid programs it
//! never panics, every span it hands out lies within the text on character
//! boundaries, and whatever it parses without a diagnostic prints back to
//! text that parses to the same program.

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::Config;

use tracelog::diagnostic::{Diagnostic, Location};
use tracelog::source::{SourceMap, Span};
use tracelog::syntax;
use tracelog::syntax::ast::*;

const CASES: u32 = 500;

/// Parses `text` and checks every property; returns the diagnostics.
fn check_text(text: &str) -> Result<Vec<Diagnostic>, TestCaseError> {
    let mut sources = SourceMap::default();
    let file = sources.add("prop.dl", None, text);
    let (program, diags) = syntax::parse(&sources, file);
    let mut spans = Vec::new();
    program_spans(&program, &mut spans);
    for diag in &diags {
        match &diag.location {
            Some(Location::Span(span)) => spans.push(*span),
            other => prop_assert!(false, "a parse diagnostic without a span: {other:?}"),
        }
        spans.extend(diag.related.iter().map(|(span, _)| *span));
        prop_assert!(!diag.message.is_empty());
        prop_assert!(
            !diag.message.ends_with('.'),
            "message ends with a period: {}",
            diag.message
        );
    }
    for span in spans {
        prop_assert_eq!(span.file, file);
        prop_assert!(span.start <= span.end, "reversed span {:?}", span);
        prop_assert!(
            span.end as usize <= text.len(),
            "span {:?} past the end ({} bytes)",
            span,
            text.len()
        );
        prop_assert!(
            text.is_char_boundary(span.start as usize),
            "span {:?} starts inside a character",
            span
        );
        prop_assert!(
            text.is_char_boundary(span.end as usize),
            "span {:?} ends inside a character",
            span
        );
    }
    if diags.is_empty() {
        // Printing and re-parsing is a fixpoint: the printer parenthesises
        // everything, so equal texts mean equal programs.
        let printed = print_program(&program);
        let mut again = SourceMap::default();
        let file = again.add("printed.dl", None, printed.clone());
        let (reparsed, rediags) = syntax::parse(&again, file);
        prop_assert!(
            rediags.is_empty(),
            "printed program does not parse: {:?}\n{}",
            rediags,
            printed
        );
        prop_assert_eq!(print_program(&reparsed), printed);
    }
    Ok(diags)
}

/// Also runs the whole front end (parse, includes, check) on the text.
fn check_compile(text: &str) -> Result<(), TestCaseError> {
    if let Err(failed) = tracelog::driver::compile_text("prop.dl", text) {
        prop_assert!(
            !failed.diagnostics.is_empty(),
            "compilation failed without a diagnostic"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Spans of every node.

fn program_spans(program: &Program, out: &mut Vec<Span>) {
    for item in &program.items {
        match item {
            Item::Decl(decl) => {
                out.extend([decl.span, decl.name.span]);
                for column in &decl.columns {
                    out.extend([column.name.span, column.ty.span]);
                }
            }
            Item::Type(ty) => out.extend([ty.span, ty.name.span, ty.base.span]),
            Item::Input(io) | Item::Output(io) | Item::PrintSize(io) => {
                out.push(io.span);
                out.extend(io.relations.iter().map(|name| name.span));
                for param in &io.params {
                    out.extend([param.span, param.key.span]);
                }
            }
            Item::Include(include) => out.push(include.span),
            Item::Policy(policy) => out.push(policy.span),
            Item::Rule(rule) => {
                out.push(rule.span);
                for head in &rule.heads {
                    atom_spans(head, out);
                }
                if let Some(body) = &rule.body {
                    body_spans(body, out);
                }
            }
            Item::Query(query) => {
                out.push(query.span);
                body_spans(&query.body, out);
            }
        }
    }
}

fn atom_spans(atom: &Atom, out: &mut Vec<Span>) {
    out.extend([atom.span, atom.name.span]);
    for arg in &atom.args {
        expr_spans(arg, out);
    }
}

fn body_spans(body: &Body, out: &mut Vec<Span>) {
    out.push(body.span());
    match body {
        Body::Literal(Literal::Atom(atom)) | Body::Literal(Literal::Negated(atom, _)) => {
            atom_spans(atom, out)
        }
        Body::Literal(Literal::Compare(compare)) => {
            expr_spans(&compare.lhs, out);
            expr_spans(&compare.rhs, out);
        }
        Body::Literal(Literal::Bool(..)) => (),
        Body::And(parts, _) | Body::Or(parts, _) => {
            parts.iter().for_each(|part| body_spans(part, out))
        }
    }
}

fn expr_spans(expr: &Expr, out: &mut Vec<Span>) {
    out.push(expr.span());
    match expr {
        Expr::Var(_) | Expr::Wildcard(_) | Expr::Const(..) => (),
        Expr::Neg(operand, _) => expr_spans(operand, out),
        Expr::Binary(_, lhs, rhs, _) => {
            expr_spans(lhs, out);
            expr_spans(rhs, out);
        }
        Expr::Call(name, args, _) => {
            out.push(name.span);
            args.iter().for_each(|arg| expr_spans(arg, out));
        }
        Expr::Aggregate(aggregate) => {
            if let Some(target) = &aggregate.target {
                expr_spans(target, out);
            }
            body_spans(&aggregate.body, out);
        }
    }
}

// ---------------------------------------------------------------------------
// A printer back to program text, fully parenthesised.

fn print_program(program: &Program) -> String {
    let mut out = String::new();
    for item in &program.items {
        match item {
            Item::Decl(decl) => {
                let columns: Vec<String> = decl
                    .columns
                    .iter()
                    .map(|column| format!("{}: {}", column.name.text, column.ty.text))
                    .collect();
                writeln!(out, ".decl {}({})", decl.name.text, columns.join(", ")).unwrap();
            }
            Item::Type(ty) => writeln!(out, ".type {} <: {}", ty.name.text, ty.base.text).unwrap(),
            Item::Input(io) => print_io(&mut out, "input", io),
            Item::Output(io) => print_io(&mut out, "output", io),
            Item::PrintSize(io) => print_io(&mut out, "printsize", io),
            Item::Include(include) => writeln!(out, ".include {}", quote(&include.path)).unwrap(),
            Item::Policy(policy) => writeln!(
                out,
                ".policy {} version {}",
                quote(&policy.name),
                quote(&policy.version)
            )
            .unwrap(),
            Item::Rule(rule) => {
                let heads: Vec<String> = rule.heads.iter().map(print_atom).collect();
                match &rule.body {
                    None => writeln!(out, "{}.", heads.join(", ")).unwrap(),
                    Some(body) => {
                        writeln!(out, "{} :- {}.", heads.join(", "), print_body(body)).unwrap()
                    }
                }
            }
            Item::Query(query) => writeln!(out, "?- {}.", print_body(&query.body)).unwrap(),
        }
    }
    out
}

fn print_io(out: &mut String, kind: &str, io: &IoDirective) {
    let relations: Vec<&str> = io.relations.iter().map(|name| name.text.as_str()).collect();
    let params: Vec<String> = io
        .params
        .iter()
        .map(|param| {
            let value = match &param.value {
                ParamValue::Str(text) => quote(text),
                ParamValue::Word(word) => word.clone(),
                ParamValue::Int(value) => value.to_string(),
            };
            format!("{}={value}", param.key.text)
        })
        .collect();
    writeln!(
        out,
        ".{kind} {}({})",
        relations.join(", "),
        params.join(", ")
    )
    .unwrap();
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ch if ch.is_control() => write!(out, "\\u{{{:x}}}", ch as u32).unwrap(),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

fn print_atom(atom: &Atom) -> String {
    let args: Vec<String> = atom.args.iter().map(print_expr).collect();
    format!("{}({})", atom.name.text, args.join(", "))
}

fn print_body(body: &Body) -> String {
    match body {
        Body::Literal(Literal::Atom(atom)) => print_atom(atom),
        Body::Literal(Literal::Negated(atom, _)) => format!("!{}", print_atom(atom)),
        Body::Literal(Literal::Compare(compare)) => {
            let op = match compare.op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!(
                "{} {op} {}",
                print_expr(&compare.lhs),
                print_expr(&compare.rhs)
            )
        }
        Body::Literal(Literal::Bool(value, _)) => value.to_string(),
        Body::And(parts, _) => format!(
            "({})",
            parts.iter().map(print_body).collect::<Vec<_>>().join(", ")
        ),
        Body::Or(parts, _) => format!(
            "({})",
            parts.iter().map(print_body).collect::<Vec<_>>().join("; ")
        ),
    }
}

fn print_expr(expr: &Expr) -> String {
    match expr {
        Expr::Var(name) => name.text.clone(),
        Expr::Wildcard(_) => "_".to_string(),
        Expr::Const(Const::Str(text), _) => quote(text),
        Expr::Const(Const::Int(value), _) => value.to_string(),
        Expr::Const(Const::Float(value), _) => format!("{value:?}"),
        Expr::Neg(operand, _) => format!("-({})", print_expr(operand)),
        Expr::Binary(op, lhs, rhs, _) => {
            let op = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Rem => "%",
            };
            format!("({} {op} {})", print_expr(lhs), print_expr(rhs))
        }
        Expr::Call(name, args, _) => {
            format!(
                "{}({})",
                name.text,
                args.iter().map(print_expr).collect::<Vec<_>>().join(", ")
            )
        }
        Expr::Aggregate(aggregate) => {
            let func = match aggregate.func {
                AggregateFunc::Count => "count",
                AggregateFunc::Sum => "sum",
                AggregateFunc::Min => "min",
                AggregateFunc::Max => "max",
                AggregateFunc::Mean => "mean",
            };
            let target = aggregate
                .target
                .as_ref()
                .map(|target| format!(" {}", print_expr(target)))
                .unwrap_or_default();
            format!("({func}{target} : {{ {} }})", print_body(&aggregate.body))
        }
    }
}

// ---------------------------------------------------------------------------
// Inputs.

/// Pieces of the language, and a few of what it is not.
const TOKENS: &[&str] = &[
    "r",
    "s",
    "X",
    "lot",
    "_x",
    "_",
    "count",
    "sum",
    "min",
    "max",
    "mean",
    "not",
    "true",
    "false",
    "days",
    "(",
    ")",
    "{",
    "}",
    ",",
    ".",
    ";",
    ":",
    ":-",
    "?-",
    "!",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "<:",
    "+",
    "-",
    "*",
    "/",
    "%",
    "\"L1\"",
    "\"a\\\"b\"",
    "\"\\u{e9}\"",
    "\"open",
    "'q'",
    "0",
    "42",
    "-7",
    "9223372036854775808",
    "1.5",
    "-2.0e3",
    "1e999",
    "0x1F",
    "0b2",
    "12ab",
    ".decl",
    ".type",
    ".input",
    ".output",
    ".printsize",
    ".include",
    ".policy",
    "version",
    ".functor",
    "symbol",
    "number",
    "IO",
    "stdout",
    "brie",
    "eqrel",
    "//",
    "/*",
    "*/",
    "\n",
    "#",
    "|",
    "&&",
    "é",
    "😀",
    "\\",
    "\t",
];

/// Small valid programs that mutations start from.
const SEEDS: &[&str] = &[
    "shipped(\"L1\", \"PLANT01\", \"DC07\", 12).\nreached(lot, site) :- shipped(lot, _, site, _).",
    "a(x), b(x) :- c(x), (d(x); e(x)), !f(x), not g(x, _).",
    ".decl r(name: symbol, n: number) brie\n.type T <: symbol\n.type U = number\n.input r(IO=file, filename=\"r.tsv\", delimiter=\"\\t\")\n.output r()\n.printsize r, s",
    "per_lot(lot, n, t) :- lot(lot), n = count : { shipped(lot, _, _) }, t = sum q : shipped(lot, _, q).",
    "fib(n + 1, x + y) :- fib(n, x), fib(n - 1, y), n < 10, -x * 2 >= -3.5e1.",
    "e(lot, at + days(30)) :- r(lot, at), days(3) < at, m = min q : { s(q) }, k = mean q : s(q).",
    ".policy \"recall\" version \"1.2.0\"\n.include \"none.dl\"\n?- a(X), !b(X).",
    "ok().\nalarm() :- ok(), true, false.\n?- alarm().",
    "// comment\nlabel(\"lot \\\"A\\\"\", \"line\\tone\", \"\\u{00e9}\"). /* block */ reading(\"T1\", -40, 2.5e1).",
    "m(x) :- v(x), x = -9223372036854775808, y = 9223372036854775807, z = 0x1F % 7 / 2.",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(&[" ", "", "\n"][..]),
        ),
        0..40,
    )
    .prop_map(|tokens| {
        tokens
            .into_iter()
            .map(|(token, sep)| format!("{token}{sep}"))
            .collect()
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..6usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(at, token)| Mutation::Insert(at, token)),
        (any::<usize>(), 1..12usize).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies mutations on characters (so the text stays valid UTF-8).
fn mutate(seed: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for mutation in mutations {
        let n = chars.len() + 1;
        match *mutation {
            Mutation::Delete(at, len) => {
                let at = at % n;
                let end = (at + len).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            Mutation::Insert(at, token) => {
                let at = at % n;
                chars.splice(at..at, token.chars());
            }
            Mutation::Duplicate(at, len) => {
                let at = at % n;
                let end = (at + len).min(chars.len());
                let copy: Vec<char> = chars[at.min(end)..end].to_vec();
                chars.splice(end..end, copy);
            }
            Mutation::Truncate(at) => chars.truncate(at % n),
        }
    }
    chars.into_iter().collect()
}

fn mutated_program() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(seed, mutations)| mutate(seed, &mutations))
}

// Generated valid programs: every one must parse without a diagnostic.

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["x", "y", "Lot", "_z", "site2", "brie", "version", "IO"][..])
            .prop_map(String::from),
        "[a-z][a-z0-9_]{0,6}".prop_filter("reserved word", |word| {
            !matches!(
                word.as_str(),
                "not" | "true" | "false" | "count" | "sum" | "min" | "max" | "mean"
            )
        }),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        Just("_".to_string()),
        any::<i64>().prop_map(|value| value.to_string()),
        any::<f64>()
            .prop_filter("finite", |value| value.is_finite())
            .prop_map(|value| format!("{value:?}")),
        any::<String>().prop_map(|text| quote(&text)),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "/", "%"][..]),
                inner.clone()
            )
                .prop_map(|(lhs, op, rhs)| format!("{lhs} {op} {rhs}")),
            inner.clone().prop_map(|operand| format!("-{operand}")),
            inner.clone().prop_map(|operand| format!("({operand})")),
            (name(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(name, args)| format!("{name}({})", args.join(", "))),
            (name(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(name, args)| format!("count : {{ {name}({}) }}", args.join(", "))),
            (
                prop::sample::select(&["sum", "min", "max", "mean"][..]),
                inner.clone(),
                name(),
                inner
            )
                .prop_map(|(func, target, name, arg)| format!("{func} {target} : {name}({arg})")),
        ]
    })
}

fn atom() -> impl Strategy<Value = String> {
    (name(), prop::collection::vec(expr(), 0..3))
        .prop_map(|(name, args)| format!("{name}({})", args.join(", ")))
}

fn body() -> impl Strategy<Value = String> {
    let literal = prop_oneof![
        atom(),
        atom().prop_map(|atom| format!("!{atom}")),
        atom().prop_map(|atom| format!("not {atom}")),
        (
            expr(),
            prop::sample::select(&["=", "!=", "<", "<=", ">", ">="][..]),
            expr()
        )
            .prop_map(|(lhs, op, rhs)| format!("{lhs} {op} {rhs}")),
        Just("true".to_string()),
        Just("false".to_string()),
    ];
    literal.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|parts| parts.join(", ")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|parts| parts.join("; ")),
            inner.prop_map(|part| format!("({part})")),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(atom(), 1..3).prop_map(|heads| format!("{}.", heads.join(", "))),
        (prop::collection::vec(atom(), 1..3), body())
            .prop_map(|(heads, body)| format!("{} :- {body}.", heads.join(", "))),
        body().prop_map(|body| format!("?- {body}.")),
        (name(), prop::collection::vec((name(), name()), 0..3)).prop_map(|(name, columns)| {
            let columns: Vec<String> = columns
                .iter()
                .map(|(column, ty)| format!("{column}: {ty}"))
                .collect();
            format!(".decl {name}({})", columns.join(", "))
        }),
        (name(), name()).prop_map(|(name, base)| format!(".type {name} = {base}")),
        (
            prop::sample::select(&["input", "output", "printsize"][..]),
            prop::collection::vec(name(), 1..3),
            any::<bool>()
        )
            .prop_map(|(kind, names, params)| {
                let params = if params {
                    "(IO=file, filename=\"x.tsv\", n=-3, h=true)"
                } else {
                    ""
                };
                format!(".{kind} {}{params}", names.join(", "))
            }),
        (any::<String>(), any::<String>()).prop_map(|(name, version)| format!(
            ".policy {} version {}",
            quote(&name),
            quote(&version)
        )),
    ]
}

fn valid_program() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..4).prop_map(|statements| statements.join("\n"))
}

proptest! {
    #![proptest_config(Config { cases: CASES, ..Config::default() })]

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        check_text(&text)?;
        check_compile(&text)?;
    }

    #[test]
    fn text_from_the_language_alphabet(text in "[a-z_A-Z0-9 (){}.,;:!=<>+*/%\"\\\\?\n#'-]{0,80}") {
        check_text(&text)?;
        check_compile(&text)?;
    }

    #[test]
    fn token_soups(text in token_soup()) {
        check_text(&text)?;
        check_compile(&text)?;
    }

    #[test]
    fn mutated_valid_programs(text in mutated_program()) {
        check_text(&text)?;
        check_compile(&text)?;
    }

    #[test]
    fn generated_valid_programs_parse_cleanly(text in valid_program()) {
        let diags = check_text(&text)?;
        check_compile(&text)?;
        prop_assert!(diags.is_empty(), "{:?}\n{}", diags.iter().map(|diag| &diag.message).collect::<Vec<_>>(), text);
    }
}

#[test]
fn seeds_are_valid() {
    for seed in SEEDS {
        let diags = check_text(seed).unwrap();
        // The seeds are meant to be valid, so mutations start from real programs.
        assert!(diags.is_empty(), "{seed:?}: {diags:?}");
    }
}
