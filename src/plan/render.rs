//! This module renders a [`Plan`] as text for `tracelog plan`: the strata in
//! evaluation order, the indexes each keeps, and every rule (reconstructed
//! from the checked program) with its steps underneath; with `--incremental`
//! also the variants an incremental update runs (changed inputs of earlier
//! strata, re-derivation after an overdeletion). The text is deterministic.

use std::fmt::Write;

use crate::ir::{self, CompareOp, Literal, Term};
use crate::plan::{Plan, Read, Step, StratumPlan, Variant, View};

/// The plan as text, each step under its source rule (`tracelog plan`);
/// `incremental` adds the update variants and the indexes only they use.
pub fn render(program: &ir::Program, plan: &Plan, incremental: bool) -> String {
    let mut out = String::new();
    for (idx, stratum) in plan.strata.iter().enumerate() {
        let names: Vec<&str> = stratum
            .facts
            .iter()
            .chain(&stratum.relations)
            .map(|&rel| program.relation(rel).name.as_str())
            .collect();
        let kind = match (stratum.recursive, stratum.rules.is_empty()) {
            (true, _) => " (recursive: semi-naive fixpoint)",
            (false, true) => " (base facts only)",
            (false, false) => "",
        };
        writeln!(out, "stratum {idx}: {}{kind}", names.join(", ")).unwrap();
        if !stratum.views.is_empty() {
            writeln!(out, "  indexes:").unwrap();
        }
        for (view_idx, view) in stratum.views.iter().enumerate() {
            if view.lazy && !incremental {
                continue;
            }
            let stores = stratum
                .storage
                .iter()
                .any(|&(_, stored)| stored == view_idx);
            let kind = match (view.dynamic, stores) {
                (true, true) => "variable, stores the relation",
                (true, false) => "variable",
                (false, _) => "static relation",
            };
            let lazy = if view.lazy {
                ", built on first update"
            } else {
                ""
            };
            writeln!(
                out,
                "    #{view_idx} {} ({kind}{lazy})",
                view_text(program, view)
            )
            .unwrap();
        }
        for rule_plan in &stratum.rules {
            let rule = program.rule(rule_plan.rule);
            writeln!(out, "  {}", rule_text(program, rule)).unwrap();
            let several = rule_plan.variants.len() > 1;
            for variant in &rule_plan.variants {
                let title = match variant.delta {
                    Some(delta) if several => Some(format!(
                        "variant: new tuples of {}",
                        literal_text(program, rule, &rule.body[delta])
                    )),
                    _ => None,
                };
                render_variant(&mut out, program, rule, stratum, variant, title);
            }
            if !incremental {
                continue;
            }
            for variant in &rule_plan.upstream {
                let title = variant.delta.map(|delta| {
                    format!(
                        "update: changed tuples of {}",
                        literal_text(program, rule, &rule.body[delta])
                    )
                });
                render_variant(&mut out, program, rule, stratum, variant, title);
            }
            let title = Some("update: re-derive an overdeleted tuple".to_owned());
            render_variant(&mut out, program, rule, stratum, &rule_plan.rederive, title);
        }
    }
    out
}

/// One way of evaluating a rule, under `title` (indented) when it has one.
fn render_variant(
    out: &mut String,
    program: &ir::Program,
    rule: &ir::Rule,
    stratum: &StratumPlan,
    variant: &Variant,
    title: Option<String>,
) {
    let indent = match title {
        Some(title) => {
            writeln!(out, "    {title}").unwrap();
            "      "
        }
        None => "    ",
    };
    render_steps(
        out,
        program,
        rule,
        stratum,
        &rule.body,
        &variant.steps,
        indent,
    );
    let head = head_text(program, rule);
    writeln!(out, "{indent}emit {head}").unwrap();
}

fn render_steps(
    out: &mut String,
    program: &ir::Program,
    rule: &ir::Rule,
    stratum: &StratumPlan,
    body: &[Literal],
    steps: &[Step],
    indent: &str,
) {
    let vars = |vars: &[ir::VarId]| {
        vars.iter()
            .map(|&var| rule.var(var).name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for step in steps {
        match step {
            Step::Seed { bind, .. } => {
                writeln!(out, "{indent}seed: a head tuple binds ({})", vars(bind)).unwrap();
            }
            Step::Delta {
                literal,
                view,
                bind,
            } => {
                let text = literal_text(program, rule, &body[*literal]);
                writeln!(
                    out,
                    "{indent}delta {text}: last round's tuples of #{view}, binds ({})",
                    vars(bind)
                )
                .unwrap();
            }
            Step::Join {
                literal,
                view,
                read,
                key,
                bind,
            } => {
                let text = literal_text(program, rule, &body[*literal]);
                let read = match read {
                    Read::Static => "",
                    Read::Full => ", all tuples",
                    Read::Old => ", tuples before the last round",
                };
                let how = if key.is_empty() {
                    "scan".to_owned()
                } else {
                    format!("join on ({})", vars(key))
                };
                let binds = if bind.is_empty() {
                    String::new()
                } else {
                    format!(", binds ({})", vars(bind))
                };
                writeln!(out, "{indent}{how} {text} with index #{view}{read}{binds}").unwrap();
                let _ = stratum;
            }
            Step::Anti { literal, view, key } => {
                let text = literal_text(program, rule, &body[*literal]);
                writeln!(
                    out,
                    "{indent}anti-join on ({}) {text} with index #{view}",
                    vars(key)
                )
                .unwrap();
            }
            Step::Filter { literal, .. } => {
                writeln!(
                    out,
                    "{indent}filter {}",
                    literal_text(program, rule, &body[*literal])
                )
                .unwrap();
            }
            Step::Assign { var, expr, .. } => {
                let expr = expr_text(program, rule, expr);
                writeln!(out, "{indent}assign {} = {expr}", rule.var(*var).name).unwrap();
            }
            Step::Aggregate {
                literal,
                result_bound,
                locals,
                distinct,
                steps,
                ..
            } => {
                let text = literal_text(program, rule, &body[*literal]);
                let check = if *result_bound { " (as a filter)" } else { "" };
                let dedup = if *distinct { "" } else { ", deduplicated" };
                writeln!(
                    out,
                    "{indent}aggregate {text}{check} over ({}){dedup}",
                    vars(locals)
                )
                .unwrap();
                let ir::Literal::Aggregate(aggregate) = &body[*literal] else {
                    continue;
                };
                render_steps(
                    out,
                    program,
                    rule,
                    stratum,
                    &aggregate.body,
                    steps,
                    &format!("{indent}  "),
                );
            }
            Step::CountAll { literal, rel, .. } => {
                let text = literal_text(program, rule, &body[*literal]);
                writeln!(
                    out,
                    "{indent}aggregate {text}: size of {}",
                    program.relation(*rel).name
                )
                .unwrap();
            }
        }
    }
}

fn view_text(program: &ir::Program, view: &View) -> String {
    let relation = program.relation(view.rel);
    let cols: Vec<&str> = view
        .cols
        .iter()
        .map(|&col| relation.columns[col].name.as_str())
        .collect();
    let mut text = format!("{}[{}]", relation.name, cols.join(", "));
    let mut conds = Vec::new();
    for (col, value) in &view.consts {
        conds.push(format!(
            "{} = {}",
            relation.columns[*col].name,
            const_text(value)
        ));
    }
    for (lhs, rhs) in &view.eqs {
        conds.push(format!(
            "{} = {}",
            relation.columns[*lhs].name, relation.columns[*rhs].name
        ));
    }
    if !conds.is_empty() {
        write!(text, " where {}", conds.join(", ")).unwrap();
    }
    text
}

/// The rule's head as Datalog text.
fn head_text(program: &ir::Program, rule: &ir::Rule) -> String {
    let args: Vec<String> = rule
        .head
        .args
        .iter()
        .map(|arg| expr_text(program, rule, arg))
        .collect();
    atom_like(program, rule, rule.head.rel, &args)
}

/// The rule as Datalog text, reconstructed from the checked program.
pub(crate) fn rule_text(program: &ir::Program, rule: &ir::Rule) -> String {
    let head = head_text(program, rule);
    if rule.body.is_empty() {
        return format!("{head}.");
    }
    let body: Vec<String> = rule
        .body
        .iter()
        .map(|literal| literal_text(program, rule, literal))
        .collect();
    format!("{head} :- {}.", body.join(", "))
}

fn atom_like(program: &ir::Program, _rule: &ir::Rule, rel: ir::RelId, args: &[String]) -> String {
    format!("{}({})", program.relation(rel).name, args.join(", "))
}

fn atom_text(program: &ir::Program, rule: &ir::Rule, atom: &ir::Atom) -> String {
    let args: Vec<String> = atom
        .args
        .iter()
        .map(|term| match term {
            Term::Var(var) => rule.var(*var).name.clone(),
            Term::Const(value) => const_text(value),
            Term::Wildcard => "_".to_owned(),
        })
        .collect();
    atom_like(program, rule, atom.rel, &args)
}

fn literal_text(program: &ir::Program, rule: &ir::Rule, literal: &Literal) -> String {
    match literal {
        Literal::Positive(atom) => atom_text(program, rule, atom),
        Literal::Negative(atom) => format!("!{}", atom_text(program, rule, atom)),
        Literal::Compare(op, lhs, rhs) => {
            let op = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!(
                "{} {op} {}",
                expr_text(program, rule, lhs),
                expr_text(program, rule, rhs)
            )
        }
        Literal::Assign(var, expr) => format!(
            "{} = {}",
            rule.var(*var).name,
            expr_text(program, rule, expr)
        ),
        Literal::Aggregate(aggregate) => {
            let func = aggregate.func.name();
            let target = match &aggregate.target {
                Some(target) => format!(" {}", expr_text(program, rule, target)),
                None => String::new(),
            };
            let body: Vec<String> = aggregate
                .body
                .iter()
                .map(|literal| literal_text(program, rule, literal))
                .collect();
            format!(
                "{} = {func}{target} : {{ {} }}",
                rule.var(aggregate.result).name,
                body.join(", ")
            )
        }
    }
}

fn expr_text(program: &ir::Program, rule: &ir::Rule, expr: &ir::Expr) -> String {
    match expr {
        ir::Expr::Var(var) => rule.var(*var).name.clone(),
        ir::Expr::Const(value) => const_text(value),
        ir::Expr::Neg(inner) => format!("-{}", operand_text(program, rule, inner)),
        ir::Expr::Binary(op, lhs, rhs) => {
            let op = op.symbol();
            format!(
                "{} {op} {}",
                operand_text(program, rule, lhs),
                operand_text(program, rule, rhs)
            )
        }
        ir::Expr::Call(builtin, args) => {
            let name = builtin.name();
            let args: Vec<String> = args
                .iter()
                .map(|arg| expr_text(program, rule, arg))
                .collect();
            format!("{name}({})", args.join(", "))
        }
    }
}

/// An operand of an arithmetic operator, parenthesised when compound.
fn operand_text(program: &ir::Program, rule: &ir::Rule, expr: &ir::Expr) -> String {
    match expr {
        ir::Expr::Binary(..) => format!("({})", expr_text(program, rule, expr)),
        _ => expr_text(program, rule, expr),
    }
}

fn const_text(value: &ir::Const) -> String {
    match value {
        ir::Const::Sym(text) => format!("{text:?}"),
        ir::Const::Int(v) => v.to_string(),
        ir::Const::Unsigned(v) => v.to_string(),
        ir::Const::Float(v) => format!("{v:?}"),
        ir::Const::Time(v) => format!("\"{}\"", crate::value::format_datetime(*v)),
    }
}
