//! This module writes a proof as indented text for an analyst: each derived
//! tuple with the rule that derived it (location, policy, rule text), the
//! values of the rule's variables and its premises one level deeper; base
//! facts with their journal record when the facts come from a database.

use crate::engine::ops;
use crate::ir::{self, CompareOp, Literal, RelId, Term};
use crate::provenance::{Alternatives, Proof, Step};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

/// Where a base fact was recorded (a database's journal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub recorded_at: String,
    pub principal: String,
    /// The source file as the journal describes it (path and short SHA-256).
    pub source: String,
    /// The fact's line in its source file, when recorded.
    pub line: Option<u32>,
}

enum Item {
    Node { idx: usize, indent: usize },
    Line(String),
}

/// The proof as text; `record` gives the journal record of a base fact, when known.
pub fn render(
    proof: &Proof,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
    record: &dyn Fn(RelId, &[Value]) -> Option<Record>,
) -> String {
    let mut out = String::new();
    let mut shown = vec![false; proof.nodes.len()];
    // An explicit stack: proofs can be deeper than the call stack.
    let mut stack = vec![Item::Node {
        idx: proof.root,
        indent: 0,
    }];
    while let Some(item) = stack.pop() {
        let (idx, indent) = match item {
            Item::Line(line) => {
                out.push_str(&line);
                out.push('\n');
                continue;
            }
            Item::Node { idx, indent } => (idx, indent),
        };
        let node = &proof.nodes[idx];
        let pad = " ".repeat(indent);
        let bullet = if indent == 0 { "" } else { "- " };
        let tuple = tuple_text(program, values, node.rel, &node.tuple);
        match &node.step {
            Step::Base => {
                let what = match record(node.rel, &node.tuple) {
                    Some(record) => {
                        let line = record
                            .line
                            .map(|line| format!(" line {line}"))
                            .unwrap_or_default();
                        format!(
                            "recorded fact: transaction {}, {}, by {}, from {}{line}",
                            record.seq, record.recorded_at, record.principal, record.source
                        )
                    }
                    None => "given fact".to_string(),
                };
                out.push_str(&format!("{pad}{bullet}{tuple}\n{pad}    {what}\n"));
            }
            Step::Rule { .. } if shown[idx] => {
                out.push_str(&format!(
                    "{pad}{bullet}{tuple}\n{pad}    (explained above)\n"
                ));
            }
            Step::Rule { rule, .. } if program.rule(*rule).body.is_empty() => {
                let rule = program.rule(*rule);
                out.push_str(&format!(
                    "{pad}{bullet}{tuple}\n{pad}    stated as a fact in the program at {}\n",
                    sources.location(rule.origin)
                ));
            }
            Step::Rule {
                rule,
                regs,
                bound,
                premises,
                ..
            } => {
                shown[idx] = true;
                let rule = program.rule(*rule);
                let file = sources.file(rule.origin.file);
                let (line, _) = file.line_col(rule.origin.start);
                let policy = program
                    .policies
                    .iter()
                    .find(|policy| policy.file == rule.origin.file)
                    .map(|policy| format!(" (policy {} version {})", policy.name, policy.version))
                    .unwrap_or_default();
                let text = sources
                    .snippet(rule.origin)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push_str(&format!(
                    "{pad}{bullet}{tuple}\n{pad}    derived by the rule at {}:{line}{policy}:\n{pad}      {text}\n",
                    file.name
                ));
                let bindings: Vec<String> = rule
                    .vars
                    .iter()
                    .enumerate()
                    .filter(|(slot, var)| bound[*slot] && !var.name.starts_with('$'))
                    .map(|(slot, var)| {
                        format!("{} = {}", var.name, value_text(values, var.ty, regs[slot]))
                    })
                    .collect();
                if bindings.is_empty() {
                    out.push_str(&format!("{pad}    because:\n"));
                } else {
                    out.push_str(&format!(
                        "{pad}    with {}, because:\n",
                        bindings.join(", ")
                    ));
                }
                let shown_values = Shown {
                    program,
                    rule,
                    values,
                    regs,
                    bound,
                };
                let mut children = Vec::new();
                for (literal_idx, literal) in rule.body.iter().enumerate() {
                    let inner = " ".repeat(indent + 4);
                    match literal {
                        Literal::Positive(_) => {
                            if let Some(&(_, node)) =
                                premises.iter().find(|(lit, _)| *lit == literal_idx)
                            {
                                children.push(Item::Node {
                                    idx: node,
                                    indent: indent + 4,
                                });
                            }
                        }
                        Literal::Negative(atom) => children.push(Item::Line(format!(
                            "{inner}- not {}\n{inner}    holds: no such fact",
                            shown_values.atom(atom)
                        ))),
                        Literal::Compare(op, lhs, rhs) => children.push(Item::Line(format!(
                            "{inner}- {} {} {}\n{inner}    holds",
                            shown_values.expr(lhs),
                            compare_text(*op),
                            shown_values.expr(rhs)
                        ))),
                        Literal::Assign(var, expr) => children.push(Item::Line(format!(
                            "{inner}- {} = {}\n{inner}    computed: {}",
                            rule.var(*var).name,
                            shown_values.expr(expr),
                            shown_values.var(*var)
                        ))),
                        Literal::Aggregate(aggregate) => children.push(Item::Line(format!(
                            "{inner}- {} = {}\n{inner}    computed over the current facts: {}",
                            rule.var(aggregate.result).name,
                            shown_values.aggregate(aggregate),
                            shown_values.var(aggregate.result)
                        ))),
                    }
                }
                stack.extend(children.into_iter().rev());
            }
        }
    }
    out
}

/// Alternative proofs as text: each numbered `proof I of K` and rendered
/// like [`render`]'s, then how many more there are when some are not shown.
pub fn render_all(
    alternatives: &Alternatives,
    program: &ir::Program,
    sources: &SourceMap,
    values: &ValueStore,
    record: &dyn Fn(RelId, &[Value]) -> Option<Record>,
) -> String {
    let total = if alternatives.capped {
        format!("{} or more", alternatives.total)
    } else {
        alternatives.total.to_string()
    };
    let mut out = String::new();
    for (idx, proof) in alternatives.proofs.iter().enumerate() {
        if idx > 0 {
            out.push('\n');
        }
        out.push_str(&format!("proof {} of {total}:\n", idx + 1));
        out.push_str(&render(proof, program, sources, values, record));
    }
    let shown = alternatives.proofs.len();
    if alternatives.capped {
        out.push_str(&format!(
            "\nat least {} more not shown (counting stopped at {}): raise --limit to see more\n",
            alternatives.total - shown,
            crate::provenance::ALTERNATIVES_CAP
        ));
    } else if alternatives.total > shown {
        out.push_str(&format!(
            "\n{} more not shown: raise --limit to see them\n",
            alternatives.total - shown
        ));
    }
    out
}

/// Literals of one rule instance written with the instance's values in
/// place of its bound variables (unbound ones keep their names, `_` stays).
pub(super) struct Shown<'a> {
    pub program: &'a ir::Program,
    pub rule: &'a ir::Rule,
    pub values: &'a ValueStore,
    pub regs: &'a [Value],
    pub bound: &'a [bool],
}

impl Shown<'_> {
    pub(super) fn var(&self, var: ir::VarId) -> String {
        let slot = var.0 as usize;
        if self.bound.get(slot).copied().unwrap_or(false) {
            value_text(self.values, self.rule.var(var).ty, self.regs[slot])
        } else if self.rule.var(var).name.starts_with('$') {
            "_".to_string()
        } else {
            self.rule.var(var).name.clone()
        }
    }

    pub(super) fn atom(&self, atom: &ir::Atom) -> String {
        let args: Vec<String> = atom
            .args
            .iter()
            .map(|term| match term {
                Term::Var(var) => self.var(*var),
                Term::Const(value) => const_text(value),
                Term::Wildcard => "_".to_string(),
            })
            .collect();
        format!(
            "{}({})",
            self.program.relation(atom.rel).name,
            args.join(", ")
        )
    }

    pub(super) fn expr(&self, expr: &ir::Expr) -> String {
        match expr {
            ir::Expr::Var(var) => self.var(*var),
            ir::Expr::Const(value) => const_text(value),
            ir::Expr::Neg(inner) => format!("-{}", self.operand(inner)),
            ir::Expr::Binary(op, lhs, rhs) => {
                let op = op.symbol();
                format!("{} {op} {}", self.operand(lhs), self.operand(rhs))
            }
            ir::Expr::Call(builtin, args) => {
                let name = builtin.name();
                let args: Vec<String> = args.iter().map(|arg| self.expr(arg)).collect();
                format!("{name}({})", args.join(", "))
            }
        }
    }

    fn operand(&self, expr: &ir::Expr) -> String {
        match expr {
            ir::Expr::Binary(..) => format!("({})", self.expr(expr)),
            _ => self.expr(expr),
        }
    }

    /// The aggregate's body shows the group's values; its local variables
    /// (never bound in the instance) keep their names.
    pub(super) fn aggregate(&self, aggregate: &ir::Aggregate) -> String {
        let func = aggregate.func.name();
        let target = match &aggregate.target {
            Some(target) => format!(" {}", self.expr(target)),
            None => String::new(),
        };
        let body: Vec<String> = aggregate
            .body
            .iter()
            .map(|literal| match literal {
                Literal::Positive(atom) => self.atom(atom),
                Literal::Negative(atom) => format!("not {}", self.atom(atom)),
                Literal::Compare(op, lhs, rhs) => format!(
                    "{} {} {}",
                    self.expr(lhs),
                    compare_text(*op),
                    self.expr(rhs)
                ),
                Literal::Assign(var, expr) => {
                    format!("{} = {}", self.rule.var(*var).name, self.expr(expr))
                }
                Literal::Aggregate(_) => "...".to_string(),
            })
            .collect();
        format!("{func}{target} : {{ {} }}", body.join(", "))
    }
}

pub(super) fn compare_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

pub(super) fn const_text(value: &ir::Const) -> String {
    match value {
        ir::Const::Sym(text) => crate::db::record::quote(text),
        ir::Const::Int(v) => v.to_string(),
        ir::Const::Unsigned(v) => v.to_string(),
        ir::Const::Float(v) => format!("{v:?}"),
        ir::Const::Time(v) => format!("\"{}\"", crate::value::format_datetime(*v)),
    }
}

/// `rel("a", 1)`, values written as constants of the language.
pub fn tuple_text(
    program: &ir::Program,
    values: &ValueStore,
    rel: RelId,
    tuple: &[Value],
) -> String {
    let relation = program.relation(rel);
    let args: Vec<String> = relation
        .columns
        .iter()
        .zip(tuple)
        .map(|(column, &value)| value_text(values, column.ty, value))
        .collect();
    format!("{}({})", relation.name, args.join(", "))
}

pub(crate) fn value_text(values: &ValueStore, ty: ir::Type, value: Value) -> String {
    match ops::decode(values, ty, value) {
        ops::Val::Sym(id) => crate::db::record::quote(values.symbol(id)),
        ops::Val::Time(micros) => format!("\"{}\"", crate::value::format_datetime(micros)),
        _ => {
            let mut out = String::new();
            values.write(&mut out, ty, value);
            out
        }
    }
}
