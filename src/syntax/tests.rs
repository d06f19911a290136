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
            let op = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Rem => "%",
            };
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
            let func = match aggregate.func {
                AggregateFunc::Count => "count",
                AggregateFunc::Sum => "sum",
                AggregateFunc::Min => "min",
                AggregateFunc::Max => "max",
                AggregateFunc::Mean => "mean",
            };
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

#[test]
fn explore() {
    let Ok(all) = std::fs::read_to_string("/tmp/explore.txt") else {
        return;
    };
    for text in all.split("\n---\n") {
        let (sources, program, diags) = parse_str(text);
        println!(
            "== {text}\n{}\n{}",
            print_program(&program),
            messages(&sources, &diags).join("\n")
        );
        for diag in &diags {
            println!("   label={:?} help={:?}", diag.label, diag.help);
        }
    }
    panic!();
}
