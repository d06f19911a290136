//! This module checks a proof against the engine's current relations before
//! anyone sees it: every step an instance of its rule under the shown values
//! (premises match their atoms and are live, negated atoms have no match,
//! comparisons hold, the head computes the tuple), premises of the same
//! stratum entered earlier, every leaf a live base fact.

use crate::engine::ops::{self, CExpr};
use crate::ir::{self, Literal, Term};
use crate::provenance::search::Search;
use crate::provenance::{Proof, Step};
use crate::value::Value;

/// `Err` names the first step that is not valid. With `free_root` (an
/// alternative proof) the root's premises may have entered after it, but no
/// step may use the root as a premise.
pub(crate) fn verify(
    search: &mut Search<'_>,
    proof: &Proof,
    free_root: bool,
) -> Result<(), String> {
    let program = search.program;
    if proof.is_circular() {
        return Err("the tuple is a premise of its own proof".to_string());
    }
    for (idx, node) in proof.nodes.iter().enumerate() {
        let name = &program.relation(node.rel).name;
        if !search.engine.contains(node.rel, &node.tuple) {
            return Err(format!("step {idx}: a tuple of `{name}` is not live"));
        }
        let Step::Rule {
            rule: rule_id,
            height,
            regs,
            bound,
            premises,
        } = &node.step
        else {
            if !search.engine.is_base_fact(node.rel, &node.tuple) {
                return Err(format!("step {idx}: a leaf of `{name}` is not a base fact"));
            }
            continue;
        };
        let rule = program.rule(*rule_id);
        if rule.head.rel != node.rel || search.engine.height(node.rel, &node.tuple) != Some(*height)
        {
            return Err(format!(
                "step {idx}: the rule or height does not fit `{name}`"
            ));
        }
        let bad = |what: &str| Err(format!("step {idx} (`{name}`): {what}"));
        for (literal_idx, literal) in rule.body.iter().enumerate() {
            match literal {
                Literal::Positive(atom) => {
                    let Some(&(_, premise)) = premises.iter().find(|(lit, _)| *lit == literal_idx)
                    else {
                        return bad("a positive literal has no premise");
                    };
                    let premise = &proof.nodes[premise];
                    if premise.rel != atom.rel
                        || !matches_atom(search, rule, atom, &premise.tuple, regs, bound)
                    {
                        return bad("a premise does not match its atom");
                    }
                    if search.engine.is_derived(premise.rel) {
                        let Some(premise_height) =
                            search.engine.height(premise.rel, &premise.tuple)
                        else {
                            return bad("a derived premise has no height");
                        };
                        if premise_height >= *height && !(free_root && idx == proof.root) {
                            return bad("a premise is not lower than its conclusion");
                        }
                    }
                }
                Literal::Negative(atom) => {
                    let rows: Vec<Vec<Value>> = search
                        .engine
                        .rows(atom.rel)
                        .map(<[Value]>::to_vec)
                        .collect();
                    let arity = program.relation(atom.rel).arity();
                    let any = if arity == 0 {
                        search.engine.contains(atom.rel, &[])
                    } else {
                        rows.iter()
                            .any(|row| matches_atom(search, rule, atom, row, regs, bound))
                    };
                    if any {
                        return bad("a negated atom has a match");
                    }
                }
                Literal::Compare(op, lhs, rhs) => {
                    let values = search.engine.values_mut();
                    let lhs_c = CExpr::compile(values, rule, lhs, ops::static_type(rule, rhs));
                    let rhs_c = CExpr::compile(values, rule, rhs, ops::static_type(rule, lhs));
                    let holds = match (lhs_c.eval(values, regs), rhs_c.eval(values, regs)) {
                        (Some(a), Some(b)) => ops::compare(values, *op, a, b),
                        _ => false,
                    };
                    if !holds {
                        return bad("a comparison does not hold");
                    }
                }
                Literal::Assign(var, expr) => {
                    let ty = rule.var(*var).ty;
                    let values = search.engine.values_mut();
                    let compiled = CExpr::compile(values, rule, expr, Some(ty));
                    let raw = compiled
                        .eval(values, regs)
                        .and_then(|val| ops::encode(values, ty, val));
                    if raw != Some(regs[var.0 as usize]) || !bound[var.0 as usize] {
                        return bad("an assignment does not compute the shown value");
                    }
                }
                Literal::Aggregate(aggregate) => {
                    let ty = rule.var(aggregate.result).ty;
                    let raw = search
                        .aggregate_value(rule, aggregate, regs, bound)
                        .and_then(|val| ops::encode(search.engine.values_mut(), ty, val));
                    let slot = aggregate.result.0 as usize;
                    if raw != Some(regs[slot]) || !bound[slot] {
                        return bad("an aggregate does not compute the shown value");
                    }
                }
            }
        }
        let relation = program.relation(node.rel);
        for (col, arg) in rule.head.args.iter().enumerate() {
            let col_ty = relation.columns[col].ty;
            let values = search.engine.values_mut();
            let compiled = CExpr::compile(values, rule, arg, Some(col_ty));
            let raw = compiled
                .eval(values, regs)
                .and_then(|val| ops::encode(values, col_ty, val));
            if raw != Some(node.tuple[col]) {
                return bad("the head does not compute the tuple");
            }
        }
    }
    Ok(())
}

/// `row` matches `atom` under the bindings (unbound variables match anything).
fn matches_atom(
    search: &mut Search<'_>,
    rule: &ir::Rule,
    atom: &ir::Atom,
    row: &[Value],
    regs: &[Value],
    bound: &[bool],
) -> bool {
    let relation = search.program.relation(atom.rel);
    if row.len() != relation.arity() {
        return false;
    }
    for (col, term) in atom.args.iter().enumerate() {
        let col_ty = relation.columns[col].ty;
        let values = search.engine.values_mut();
        match term {
            Term::Const(value) => {
                if values.encode(col_ty, value) != Some(row[col]) {
                    return false;
                }
            }
            Term::Var(var) if bound[var.0 as usize] => {
                let var_ty = rule.var(*var).ty;
                if ops::convert(values, col_ty, var_ty, row[col]) != Some(regs[var.0 as usize]) {
                    return false;
                }
            }
            Term::Var(var) => {
                // An unbound variable written twice needs equal values.
                let var_ty = rule.var(*var).ty;
                let here = ops::convert(values, col_ty, var_ty, row[col]);
                for (other, term) in atom.args.iter().enumerate().skip(col + 1) {
                    if *term == Term::Var(*var) {
                        let other_ty = relation.columns[other].ty;
                        let there = ops::convert(values, other_ty, var_ty, row[other]);
                        if here.is_none() || here != there {
                            return false;
                        }
                    }
                }
            }
            Term::Wildcard => (),
        }
    }
    true
}
