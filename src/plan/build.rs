//! This module builds a [`Plan`] from a checked program: it orders each rule
//! body for every semi-naive variant, picks join keys and the views they read.

use crate::ir::{self, AggregateFunc, Literal, RelId, Term, VarId};
use crate::plan::{Plan, Read, RulePlan, Step, StratumPlan, Variant, View, ViewId};

pub(crate) fn build(program: &ir::Program) -> Plan {
    let strata = program
        .strata
        .iter()
        .map(|stratum| build_stratum(program, stratum))
        .collect();
    Plan { strata }
}

fn build_stratum(program: &ir::Program, stratum: &ir::Stratum) -> StratumPlan {
    // Relations of the stratum that no rule of it derives never change while
    // it runs: they are base facts, read like relations of earlier strata.
    let mut relations: Vec<RelId> = Vec::new();
    for &rule_id in &stratum.rules {
        let rel = program.rule(rule_id).head.rel;
        if !relations.contains(&rel) {
            relations.push(rel);
        }
    }
    let facts: Vec<RelId> = stratum
        .relations
        .iter()
        .copied()
        .filter(|rel| !relations.contains(rel))
        .collect();
    let mut cx = Cx {
        relations: &relations,
        views: Vec::new(),
        lazy: false,
    };
    let mut rules = Vec::new();
    let mut recursive = false;
    for &rule_id in &stratum.rules {
        let rule = program.rule(rule_id);
        let dynamic_atoms: Vec<usize> = (0..rule.body.len())
            .filter(|&idx| matches!(&rule.body[idx], Literal::Positive(atom) if cx.is_dynamic(atom.rel)))
            .collect();
        let mut variants = Vec::new();
        if dynamic_atoms.is_empty() {
            let order: Vec<usize> = (0..rule.body.len()).collect();
            let steps = cx.plan_body(rule, &order, None, &mut vec![false; rule.vars.len()]);
            variants.push(Variant { delta: None, steps });
        } else {
            recursive = true;
            for &delta in &dynamic_atoms {
                let mut order = vec![delta];
                order.extend((0..rule.body.len()).filter(|&idx| idx != delta));
                let steps =
                    cx.plan_body(rule, &order, Some(delta), &mut vec![false; rule.vars.len()]);
                variants.push(Variant {
                    delta: Some(delta),
                    steps,
                });
            }
        }
        rules.push(RulePlan {
            rule: rule_id,
            head_rel: rule.head.rel,
            variants,
            upstream: Vec::new(),
            rederive: Variant {
                delta: None,
                steps: Vec::new(),
            },
        });
    }
    // Each relation is stored in a view with all its columns and no filter,
    // reusing one a rule reads when there is one (no second copy).
    let mut storage = Vec::new();
    for &rel in &relations {
        let arity = program.relation(rel).arity();
        let existing = cx.views.iter().position(|view| {
            view.rel == rel
                && view.dynamic
                && view.consts.is_empty()
                && view.eqs.is_empty()
                && view.cols.len() == arity
        });
        let view = match existing {
            Some(view) => view,
            None => cx.add_view(View {
                rel,
                cols: (0..arity).collect(),
                consts: Vec::new(),
                eqs: Vec::new(),
                dynamic: true,
                lazy: false,
            }),
        };
        storage.push((rel, view));
    }
    // The update variants come last: views only they need are lazy.
    cx.lazy = true;
    for rule_plan in &mut rules {
        let rule = program.rule(rule_plan.rule);
        for (delta, literal) in rule.body.iter().enumerate() {
            let Literal::Positive(atom) = literal else {
                continue;
            };
            if cx.is_dynamic(atom.rel) {
                continue;
            }
            let mut order = vec![delta];
            order.extend((0..rule.body.len()).filter(|&idx| idx != delta));
            let steps = cx.plan_body(rule, &order, Some(delta), &mut vec![false; rule.vars.len()]);
            rule_plan.upstream.push(Variant {
                delta: Some(delta),
                steps,
            });
        }
        rule_plan.rederive = cx.plan_rederive(rule);
    }
    let views = cx.views;
    StratumPlan {
        facts,
        relations,
        recursive,
        views,
        storage,
        rules,
    }
}

struct Cx<'a> {
    relations: &'a [RelId],
    views: Vec<View>,
    /// New views are lazy (update variants), and atoms reuse any existing
    /// view whose key columns they can bind.
    lazy: bool,
}

impl Cx<'_> {
    /// The rule with its head variables bound first. Moving a positive atom
    /// to the front keeps every literal's inputs bound. The order with the
    /// fewest unkeyed joins wins: a scan runs once per re-derived tuple, so a
    /// scan of a large relation costs far more than building an index once.
    /// Among those, the one that needs the fewest new views (dynamic ones
    /// count most).
    fn plan_rederive(&mut self, rule: &ir::Rule) -> Variant {
        let mut bound = vec![false; rule.vars.len()];
        let mut cols = Vec::new();
        let mut bind = Vec::new();
        for (col, arg) in rule.head.args.iter().enumerate() {
            if let ir::Expr::Var(var) = arg
                && !bound[var.0 as usize]
            {
                bound[var.0 as usize] = true;
                cols.push(col);
                bind.push(*var);
            }
        }
        let natural: Vec<usize> = (0..rule.body.len()).collect();
        let mut candidates = vec![natural.clone()];
        for (idx, literal) in rule.body.iter().enumerate() {
            if idx > 0 && matches!(literal, Literal::Positive(_)) {
                let mut order = vec![idx];
                order.extend(natural.iter().copied().filter(|&other| other != idx));
                candidates.push(order);
            }
        }
        let mut best: Option<((usize, usize, usize), Vec<usize>)> = None;
        for order in candidates {
            let before = self.views.len();
            let steps = self.plan_body(rule, &order, None, &mut bound.clone());
            let scans = steps
                .iter()
                .filter(|step| matches!(step, Step::Join { key, .. } if key.is_empty()))
                .count();
            let added = &self.views[before..];
            let cost = (
                scans,
                added.iter().filter(|view| view.dynamic).count(),
                added.len(),
            );
            self.views.truncate(before);
            if best.as_ref().is_none_or(|(best_cost, _)| cost < *best_cost) {
                best = Some((cost, order));
            }
        }
        let order = best.map(|(_, order)| order).unwrap_or(natural);
        let mut steps = vec![Step::Seed { cols, bind }];
        steps.extend(self.plan_body(rule, &order, None, &mut bound));
        Variant { delta: None, steps }
    }

    fn is_dynamic(&self, rel: RelId) -> bool {
        self.relations.contains(&rel)
    }

    fn add_view(&mut self, view: View) -> ViewId {
        let same = |existing: &View| {
            existing.rel == view.rel
                && existing.cols == view.cols
                && existing.consts == view.consts
                && existing.eqs == view.eqs
                && existing.dynamic == view.dynamic
        };
        match self.views.iter().position(same) {
            Some(idx) => idx,
            None => {
                let lazy = self.lazy;
                self.views.push(View { lazy, ..view });
                self.views.len() - 1
            }
        }
    }

    /// In lazy mode: an existing view of the same filter whose first columns
    /// are exactly the key's and the rest exactly the bound ones', with the
    /// key and bindings reordered to its columns.
    fn reuse_view(
        &self,
        view: &View,
        key: &[VarId],
        bind: &[VarId],
        dynamic: bool,
    ) -> Option<(View, Vec<VarId>, Vec<VarId>)> {
        let var_of = |col: usize| -> Option<VarId> {
            let pos = view.cols.iter().position(|&c| c == col)?;
            if pos < key.len() {
                Some(key[pos])
            } else {
                Some(bind[pos - key.len()])
            }
        };
        let key_cols = &view.cols[..key.len()];
        let bind_cols = &view.cols[key.len()..];
        let found = self.views.iter().find(|existing| {
            existing.rel == view.rel
                && existing.dynamic == dynamic
                && existing.consts == view.consts
                && existing.eqs == view.eqs
                && existing.cols.len() == view.cols.len()
                && existing.cols[..key.len()]
                    .iter()
                    .all(|col| key_cols.contains(col))
                && existing.cols[key.len()..]
                    .iter()
                    .all(|col| bind_cols.contains(col))
        })?;
        let key = found.cols[..key.len()]
            .iter()
            .map(|&col| var_of(col))
            .collect::<Option<Vec<VarId>>>()?;
        let bind = found.cols[key.len()..]
            .iter()
            .map(|&col| var_of(col))
            .collect::<Option<Vec<VarId>>>()?;
        Some((found.clone(), key, bind))
    }

    /// Plans `order` (indexes into `body`), marking variables in `bound` as
    /// they get bound. `delta` is the literal read as the last round's tuples.
    fn plan_body(
        &mut self,
        rule: &ir::Rule,
        order: &[usize],
        delta: Option<usize>,
        bound: &mut [bool],
    ) -> Vec<Step> {
        self.plan_literals(rule, &rule.body, order, delta, bound, false)
    }

    fn plan_literals(
        &mut self,
        rule: &ir::Rule,
        body: &[Literal],
        order: &[usize],
        delta: Option<usize>,
        bound: &mut [bool],
        nested: bool,
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        // Equalities evaluated early, before the atom they key.
        let mut hoisted: Vec<usize> = Vec::new();
        for (pos, &literal) in order.iter().enumerate() {
            if hoisted.contains(&literal) {
                continue;
            }
            // The next atom that will join on what this step binds decides
            // the column order (its key first), so bindings arrive sorted.
            let next_atom = order[pos + 1..].iter().find_map(|&idx| match &body[idx] {
                Literal::Positive(atom) | Literal::Negative(atom) => Some(atom),
                _ => None,
            });
            match &body[literal] {
                Literal::Positive(atom) => {
                    // `r(n - 1, y)` arrives as `r($v, y), $v = n - 1`: computing
                    // `$v` first makes it a join key instead of a scan of `r`.
                    if delta != Some(literal) || nested {
                        let atom_vars = atom_vars(atom);
                        for &later in &order[pos + 1..] {
                            let Literal::Compare(ir::CompareOp::Eq, lhs, rhs) = &body[later] else {
                                continue;
                            };
                            let (var, expr) = match (lhs, rhs) {
                                (ir::Expr::Var(var), expr) if !bound[var.0 as usize] => {
                                    (*var, expr)
                                }
                                (expr, ir::Expr::Var(var)) if !bound[var.0 as usize] => {
                                    (*var, expr)
                                }
                                _ => {
                                    // `$m = n - 1` with `$m` bound and `n` not: `n = $m + 1`
                                    // (integers; the equality stays as a filter).
                                    if let Some((var, expr)) = invert(rule, lhs, rhs, bound)
                                        && atom_vars.contains(&var)
                                    {
                                        bound[var.0 as usize] = true;
                                        steps.push(Step::Assign {
                                            literal: later,
                                            var,
                                            expr,
                                        });
                                    }
                                    continue;
                                }
                            };
                            let mut needs = Vec::new();
                            expr_vars(expr, &mut needs);
                            if atom_vars.contains(&var)
                                && needs.iter().all(|need| bound[need.0 as usize])
                            {
                                bound[var.0 as usize] = true;
                                hoisted.push(later);
                                steps.push(Step::Assign {
                                    literal: later,
                                    var,
                                    expr: expr.clone(),
                                });
                            }
                        }
                    }
                    let dynamic = self.is_dynamic(atom.rel);
                    let read = match delta {
                        _ if !dynamic || nested => Read::Static,
                        Some(delta) if literal < delta => Read::Full,
                        Some(_) => Read::Old,
                        None => Read::Static,
                    };
                    let (mut view, mut key, mut bind) = self.atom_view(atom, bound, next_atom, &[]);
                    if self.lazy
                        && let Some(reused) = self.reuse_view(&view, &key, &bind, dynamic)
                    {
                        (view, key, bind) = reused;
                    }
                    let view = self.add_view(View { dynamic, ..view });
                    for &var in &bind {
                        bound[var.0 as usize] = true;
                    }
                    if delta == Some(literal) && !nested {
                        steps.push(Step::Delta {
                            literal,
                            view,
                            bind,
                        });
                    } else {
                        steps.push(Step::Join {
                            literal,
                            view,
                            read,
                            key,
                            bind,
                        });
                    }
                }
                Literal::Negative(atom) => {
                    // Variables bound by nothing are local to the negated atom
                    // ("no value exists"): projected away.
                    let local: Vec<VarId> = atom_vars(atom)
                        .into_iter()
                        .filter(|var| !bound[var.0 as usize])
                        .collect();
                    let (view, key, _) = self.atom_view(atom, bound, None, &local);
                    let dynamic = self.is_dynamic(atom.rel);
                    let view = self.add_view(View { dynamic, ..view });
                    steps.push(Step::Anti { literal, view, key });
                }
                Literal::Compare(op, lhs, rhs) => {
                    steps.push(Step::Filter {
                        literal,
                        op: *op,
                        lhs: lhs.clone(),
                        rhs: rhs.clone(),
                    });
                }
                Literal::Assign(var, expr) => {
                    if bound[var.0 as usize] {
                        let lhs = ir::Expr::Var(*var);
                        steps.push(Step::Filter {
                            literal,
                            op: ir::CompareOp::Eq,
                            lhs,
                            rhs: expr.clone(),
                        });
                    } else {
                        bound[var.0 as usize] = true;
                        steps.push(Step::Assign {
                            literal,
                            var: *var,
                            expr: expr.clone(),
                        });
                    }
                }
                Literal::Aggregate(aggregate) => {
                    let result_bound = bound[aggregate.result.0 as usize];
                    let mut inner_vars = Vec::new();
                    for literal in &aggregate.body {
                        literal_vars(literal, &mut inner_vars);
                    }
                    if let Some(target) = &aggregate.target {
                        expr_vars(target, &mut inner_vars);
                    }
                    let mut locals: Vec<VarId> = Vec::new();
                    for var in inner_vars {
                        if !bound[var.0 as usize] && !locals.contains(&var) {
                            locals.push(var);
                        }
                    }
                    if let Some(rel) = count_all(aggregate, &locals) {
                        steps.push(Step::CountAll {
                            literal,
                            result: aggregate.result,
                            result_bound,
                            rel,
                        });
                    } else {
                        let mut inner_bound = bound.to_vec();
                        let inner_order: Vec<usize> = (0..aggregate.body.len()).collect();
                        let inner = self.plan_literals(
                            rule,
                            &aggregate.body,
                            &inner_order,
                            None,
                            &mut inner_bound,
                            true,
                        );
                        // One join binding every local: view rows are distinct assignments.
                        let distinct = inner.len() == 1
                            && matches!(&inner[0], Step::Join { bind, .. } if bind.len() == locals.len());
                        steps.push(Step::Aggregate {
                            literal,
                            result: aggregate.result,
                            result_bound,
                            func: aggregate.func,
                            target: aggregate.target.clone(),
                            locals,
                            distinct,
                            steps: inner,
                        });
                    }
                    bound[aggregate.result.0 as usize] = true;
                }
            }
        }
        let _ = rule;
        steps
    }

    /// The view an atom reads given the bound variables: constants and
    /// repeated variables become filters, bound variables the key (first
    /// columns), unbound ones the remaining columns except `drop`.
    fn atom_view(
        &self,
        atom: &ir::Atom,
        bound: &[bool],
        next_atom: Option<&ir::Atom>,
        drop: &[VarId],
    ) -> (View, Vec<VarId>, Vec<VarId>) {
        let mut consts = Vec::new();
        let mut eqs = Vec::new();
        let mut first_col: Vec<(VarId, usize)> = Vec::new();
        for (col, term) in atom.args.iter().enumerate() {
            match term {
                Term::Const(value) => consts.push((col, value.clone())),
                Term::Wildcard => (),
                Term::Var(var) => match first_col.iter().find(|(seen, _)| seen == var) {
                    Some(&(_, first)) => eqs.push((first, col)),
                    None => first_col.push((*var, col)),
                },
            }
        }
        let mut key = Vec::new();
        let mut key_cols = Vec::new();
        let mut fresh: Vec<(VarId, usize)> = Vec::new();
        for &(var, col) in &first_col {
            if bound.get(var.0 as usize).copied().unwrap_or(false) {
                key.push(var);
                key_cols.push(col);
            } else if !drop.contains(&var) {
                fresh.push((var, col));
            }
        }
        // Variables the next atom joins on come first, in its column order.
        let next_vars = next_atom.map(atom_vars).unwrap_or_default();
        fresh.sort_by_key(|(var, col)| {
            (
                next_vars
                    .iter()
                    .position(|next| next == var)
                    .unwrap_or(usize::MAX),
                *col,
            )
        });
        let mut cols = key_cols;
        cols.extend(fresh.iter().map(|&(_, col)| col));
        let bind = fresh.iter().map(|&(var, _)| var).collect();
        let view = View {
            rel: atom.rel,
            cols,
            consts,
            eqs,
            dynamic: false,
            lazy: false,
        };
        (view, key, bind)
    }
}

/// Solves `m = n ± c` (or `n ± c = m`, `m = c + n`) for an unbound integer
/// variable `n` when `m` is bound: `n = m ∓ c`.
fn invert(
    rule: &ir::Rule,
    lhs: &ir::Expr,
    rhs: &ir::Expr,
    bound: &[bool],
) -> Option<(VarId, ir::Expr)> {
    use ir::{ArithOp, Expr};
    let (known, other) = match (lhs, rhs) {
        (Expr::Var(m), other) if bound[m.0 as usize] => (*m, other),
        (other, Expr::Var(m)) if bound[m.0 as usize] => (*m, other),
        _ => return None,
    };
    let Expr::Binary(op, a, b) = other else {
        return None;
    };
    let (var, constant, inverse) = match (op, &**a, &**b) {
        (ArithOp::Add, Expr::Var(n), Expr::Const(c))
        | (ArithOp::Add, Expr::Const(c), Expr::Var(n)) => (*n, c, ArithOp::Sub),
        (ArithOp::Sub, Expr::Var(n), Expr::Const(c)) => (*n, c, ArithOp::Add),
        _ => return None,
    };
    let integer = |var: VarId| rule.var(var).ty == ir::Type::Number;
    if bound[var.0 as usize]
        || !integer(var)
        || !integer(known)
        || !matches!(constant, ir::Const::Int(_))
    {
        return None;
    }
    let expr = Expr::Binary(
        inverse,
        Box::new(Expr::Var(known)),
        Box::new(Expr::Const(constant.clone())),
    );
    Some((var, expr))
}

/// `count : r(a, b, ...)` where every argument is a distinct local variable
/// counts the tuples of `r`.
fn count_all(aggregate: &ir::Aggregate, locals: &[VarId]) -> Option<RelId> {
    if aggregate.func != AggregateFunc::Count || aggregate.body.len() != 1 {
        return None;
    }
    let Literal::Positive(atom) = &aggregate.body[0] else {
        return None;
    };
    let mut seen = Vec::new();
    for term in &atom.args {
        match term {
            Term::Var(var) if locals.contains(var) && !seen.contains(var) => seen.push(*var),
            _ => return None,
        }
    }
    Some(atom.rel)
}

/// The distinct variables of an atom in column order.
pub(crate) fn atom_vars(atom: &ir::Atom) -> Vec<VarId> {
    let mut vars = Vec::new();
    for term in &atom.args {
        if let Term::Var(var) = term
            && !vars.contains(var)
        {
            vars.push(*var);
        }
    }
    vars
}

fn literal_vars(literal: &Literal, out: &mut Vec<VarId>) {
    match literal {
        Literal::Positive(atom) | Literal::Negative(atom) => out.extend(atom_vars(atom)),
        Literal::Compare(_, lhs, rhs) => {
            expr_vars(lhs, out);
            expr_vars(rhs, out);
        }
        Literal::Assign(var, expr) => {
            out.push(*var);
            expr_vars(expr, out);
        }
        Literal::Aggregate(aggregate) => {
            out.push(aggregate.result);
            for literal in &aggregate.body {
                literal_vars(literal, out);
            }
            if let Some(target) = &aggregate.target {
                expr_vars(target, out);
            }
        }
    }
}

fn expr_vars(expr: &ir::Expr, out: &mut Vec<VarId>) {
    match expr {
        ir::Expr::Var(var) => out.push(*var),
        ir::Expr::Const(_) => (),
        ir::Expr::Neg(inner) => expr_vars(inner, out),
        ir::Expr::Binary(_, lhs, rhs) => {
            expr_vars(lhs, out);
            expr_vars(rhs, out);
        }
        ir::Expr::Call(_, args) => args.iter().for_each(|arg| expr_vars(arg, out)),
    }
}
