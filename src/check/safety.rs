//! This module checks that every variable is bound (range restriction) and
//! orders each rule body so that every literal's inputs are bound by earlier
//! literals: positive atoms first in written order, then comparisons,
//! assignments, negations and aggregates as soon as their inputs are bound.
//! An `=` whose one side is a variable not bound yet becomes an assignment.

use crate::check::lower::{LAgg, LExpr, LLit, LRule};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{CompareOp, VarId};

/// Orders the bodies of all rules (skipping broken ones) and reports unbound variables.
pub fn order_rules(rules: &mut [LRule], diags: &mut Vec<Diagnostic>) {
    for rule in rules.iter_mut().filter(|rule| !rule.broken) {
        order_rule(rule, diags);
    }
}

/// Where an unbound variable was found, for the message.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Head,
    Expression,
    Negation,
    Aggregate,
}

struct Ctx {
    /// For each variable, the number of leaf literals (and the head) it occurs in.
    sites: Vec<u32>,
    bound: Vec<bool>,
    /// Unbound variables found, with where.
    unbound: Vec<(VarId, Place)>,
    /// Literals that could not be ordered.
    stuck: Vec<crate::source::Span>,
}

fn order_rule(rule: &mut LRule, diags: &mut Vec<Diagnostic>) {
    let n_vars = rule.vars.len();
    let mut sites = vec![0u32; n_vars];
    let mut head_vars = Vec::new();
    for arg in &rule.head.args {
        arg.vars(&mut head_vars);
    }
    count_site(&mut sites, &head_vars);
    count_sites(&mut sites, &rule.body);
    let mut ctx = Ctx {
        sites,
        bound: vec![false; n_vars],
        unbound: Vec::new(),
        stuck: Vec::new(),
    };
    let body = std::mem::take(&mut rule.body);
    rule.body = order(&mut ctx, body);
    for var in head_vars {
        if !ctx.bound[var.0 as usize] {
            ctx.unbound.push((var, Place::Head));
        }
    }
    // One report per variable: the head first, then the most specific place.
    ctx.unbound.sort_by_key(|&(var, place)| (var, place));
    ctx.unbound.dedup_by_key(|(var, _)| *var);
    ctx.unbound
        .sort_by_key(|&(var, _)| (rule.vars[var.0 as usize].span, var));
    let mut reported = false;
    for (var, place) in ctx.unbound {
        let info = &rule.vars[var.0 as usize];
        if info.generated() {
            continue;
        }
        reported = true;
        let reason = match place {
            Place::Head => "it appears in the head but in no positive body atom",
            Place::Expression => {
                "it is used in a comparison or an expression but appears in no positive body atom"
            }
            Place::Negation => "it appears in several negated atoms but in no positive body atom",
            Place::Aggregate => {
                "the aggregate is grouped by it but it appears in no positive body atom"
            }
        };
        diags.push(
            Diagnostic::error(
                Code::UnboundVariable,
                format!("variable `{}` is not bound: {reason}", info.name),
            )
            .at(info.span)
            .with_label("never bound")
            .with_help(format!(
                "add an atom that binds `{}`, or use `_` if any value will do",
                info.name
            )),
        );
    }
    if !reported && let Some(&span) = ctx.stuck.first() {
        // Only made-up variables are unbound: still never accept the rule silently.
        diags.push(
            Diagnostic::error(
                Code::UnboundVariable,
                "this part of the rule can never be evaluated: its variables are not bound",
            )
            .at(span)
            .with_label("inputs never bound")
            .with_help("bind the variables it uses with a positive atom"),
        );
    }
}

fn count_site(sites: &mut [u32], vars: &[VarId]) {
    let mut vars = vars.to_vec();
    vars.sort_unstable();
    vars.dedup();
    for var in vars {
        sites[var.0 as usize] += 1;
    }
}

/// Counts each leaf literal as one site of each of its variables.
fn count_sites(sites: &mut [u32], literals: &[LLit]) {
    for literal in literals {
        match literal {
            LLit::Agg(aggregate) => {
                if let Some(target) = &aggregate.target {
                    let mut vars = Vec::new();
                    target.vars(&mut vars);
                    count_site(sites, &vars);
                }
                count_sites(sites, &aggregate.body);
            }
            _ => {
                let mut vars = Vec::new();
                literal.vars(&mut vars);
                count_site(sites, &vars);
            }
        }
    }
}

/// The variables of an aggregate that occur nowhere else in the rule.
fn aggregate_locals(ctx: &Ctx, aggregate: &LAgg) -> Vec<bool> {
    let mut inner = vec![0u32; ctx.sites.len()];
    if let Some(target) = &aggregate.target {
        let mut vars = Vec::new();
        target.vars(&mut vars);
        count_site(&mut inner, &vars);
    }
    count_sites(&mut inner, &aggregate.body);
    inner
        .iter()
        .zip(&ctx.sites)
        .map(|(&inner, &all)| inner > 0 && inner == all)
        .collect()
}

/// Orders one conjunction; `ctx.bound` holds the variables bound before it.
fn order(ctx: &mut Ctx, literals: Vec<LLit>) -> Vec<LLit> {
    let mut res = Vec::new();
    let mut rest = Vec::new();
    for literal in literals {
        match literal {
            LLit::Pos(atom) => {
                let mut vars = Vec::new();
                atom.vars(&mut vars);
                for var in vars {
                    ctx.bound[var.0 as usize] = true;
                }
                res.push(LLit::Pos(atom));
            }
            other => rest.push(other),
        }
    }
    loop {
        let ready = rest.iter().position(|literal| is_ready(ctx, literal));
        let Some(idx) = ready else { break };
        let literal = rest.remove(idx);
        res.push(emit(ctx, literal));
    }
    // What is left can never run: report its unbound variables.
    for literal in &rest {
        ctx.stuck.push(literal.span());
        unbound_in(ctx, literal);
    }
    res.extend(rest);
    res
}

fn all_bound(ctx: &Ctx, expr: &LExpr) -> bool {
    let mut vars = Vec::new();
    expr.vars(&mut vars);
    vars.iter().all(|var| ctx.bound[var.0 as usize])
}

fn unbound_var(ctx: &Ctx, expr: &LExpr) -> Option<VarId> {
    match expr {
        LExpr::Var(var, _) if !ctx.bound[var.0 as usize] => Some(*var),
        _ => None,
    }
}

fn is_ready(ctx: &Ctx, literal: &LLit) -> bool {
    match literal {
        LLit::Pos(_) => true,
        LLit::Neg(atom, _) => {
            let mut vars = Vec::new();
            atom.vars(&mut vars);
            vars.iter()
                .all(|var| ctx.bound[var.0 as usize] || ctx.sites[var.0 as usize] == 1)
        }
        LLit::Compare(op, lhs, rhs, _) => {
            let lhs_bound = all_bound(ctx, lhs);
            let rhs_bound = all_bound(ctx, rhs);
            (lhs_bound && rhs_bound)
                || (*op == CompareOp::Eq
                    && ((unbound_var(ctx, lhs).is_some() && rhs_bound)
                        || (unbound_var(ctx, rhs).is_some() && lhs_bound)))
        }
        LLit::Assign(_, expr, _) => all_bound(ctx, expr),
        LLit::Agg(aggregate) => {
            let locals = aggregate_locals(ctx, aggregate);
            let mut vars = Vec::new();
            aggregate.inner_vars(&mut vars);
            vars.iter()
                .all(|var| ctx.bound[var.0 as usize] || locals[var.0 as usize])
        }
    }
}

/// Turns a ready literal into its ordered form and marks what it binds.
fn emit(ctx: &mut Ctx, literal: LLit) -> LLit {
    match literal {
        LLit::Compare(op, lhs, rhs, span) => {
            if all_bound(ctx, &lhs) && all_bound(ctx, &rhs) {
                return LLit::Compare(op, lhs, rhs, span);
            }
            let (var, expr) = match unbound_var(ctx, &lhs) {
                Some(var) => (var, rhs),
                None => (
                    unbound_var(ctx, &rhs).expect("is_ready saw an unbound side"),
                    lhs,
                ),
            };
            ctx.bound[var.0 as usize] = true;
            LLit::Assign(var, expr, span)
        }
        LLit::Assign(var, expr, span) => {
            ctx.bound[var.0 as usize] = true;
            LLit::Assign(var, expr, span)
        }
        LLit::Agg(mut aggregate) => {
            // The body sees what is bound outside; its own bindings stay inside.
            let outer = ctx.bound.clone();
            let body = std::mem::take(&mut aggregate.body);
            aggregate.body = order(ctx, body);
            ctx.bound = outer;
            ctx.bound[aggregate.result.0 as usize] = true;
            LLit::Agg(aggregate)
        }
        other => other,
    }
}

/// Records the variables that keep a literal from running.
fn unbound_in(ctx: &mut Ctx, literal: &LLit) {
    let (place, vars): (Place, Vec<VarId>) = match literal {
        LLit::Pos(_) => return,
        LLit::Neg(atom, _) => {
            let mut vars = Vec::new();
            atom.vars(&mut vars);
            vars.retain(|var| ctx.sites[var.0 as usize] > 1);
            (Place::Negation, vars)
        }
        LLit::Compare(..) | LLit::Assign(..) => {
            let mut vars = Vec::new();
            literal.vars(&mut vars);
            (Place::Expression, vars)
        }
        LLit::Agg(aggregate) => {
            let locals = aggregate_locals(ctx, aggregate);
            let mut vars = Vec::new();
            aggregate.inner_vars(&mut vars);
            vars.retain(|var| !locals[var.0 as usize]);
            (Place::Aggregate, vars)
        }
    };
    for var in vars {
        if !ctx.bound[var.0 as usize] {
            ctx.unbound.push((var, place));
        }
    }
}
