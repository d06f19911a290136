//! This module finds, for a derived tuple, the rule instance a proof uses:
//! an instance of a rule for the tuple's relation over the current relations
//! whose positive premises of the same stratum entered before the tuple did
//! (smaller height), whose negated atoms have no match and whose comparisons
//! hold. Among those it picks the one whose latest premise is earliest, which
//! gives the shortest proof. Relations are read through indexes built on
//! first use, one per relation and set of bound columns.

use rustc_hash::FxHashMap;

use crate::engine::ops::{self, CExpr, Val};
use crate::engine::{Engine, Height};
use crate::ir::{self, RelId, RuleId, Term};
use crate::value::Value;

/// One rule instance: the rule, the value of every variable (encoded in the
/// variable's type; unbound variables hold 0), and the tuple each positive
/// body literal matched, by literal index.
#[derive(Clone, Debug)]
pub(crate) struct Instance {
    pub rule: RuleId,
    pub regs: Vec<Value>,
    pub bound: Vec<bool>,
    pub premises: Vec<(usize, RelId, Vec<Value>)>,
}

/// Row numbers of a relation's tuples per value of some columns.
type Index = FxHashMap<Vec<Value>, Vec<u32>>;

/// The order of premises: tuples of relations no rule derives come first.
pub(crate) type Key = Option<Height>;

pub(crate) struct Search<'a> {
    pub engine: &'a mut Engine,
    pub program: &'a ir::Program,
    /// Per relation: its tuples, flat.
    tables: FxHashMap<RelId, Vec<Value>>,
    /// Per relation and bound columns: the tuples (row numbers) per key.
    indexes: FxHashMap<(RelId, Vec<usize>), Index>,
    /// When set, `best` collects every instance here (up to `collect_cap`)
    /// instead of keeping the best one.
    collected: Option<Vec<(Key, Instance)>>,
    collect_cap: usize,
}

/// The state of one depth-first walk over a rule body.
#[derive(Clone, Debug)]
pub(crate) struct Walk {
    pub regs: Vec<Value>,
    pub bound: Vec<bool>,
    pub premises: Vec<(usize, RelId, Vec<Value>)>,
    /// The latest premise so far.
    pub key: Key,
}

impl Walk {
    /// Nothing bound yet, for a rule with `n` variables.
    pub fn new(n: usize) -> Walk {
        Walk {
            regs: vec![0; n],
            bound: vec![false; n],
            premises: Vec::new(),
            key: None,
        }
    }
}

impl<'a> Search<'a> {
    pub fn new(engine: &'a mut Engine, program: &'a ir::Program) -> Search<'a> {
        Search {
            engine,
            program,
            tables: FxHashMap::default(),
            indexes: FxHashMap::default(),
            collected: None,
            collect_cap: 0,
        }
    }

    /// Every instance that derives `tuple` of `rel` below `height` (distinct
    /// rule or premises), at most `cap`, in search order.
    pub fn instances(
        &mut self,
        rel: RelId,
        tuple: &[Value],
        height: Height,
        cap: usize,
    ) -> Vec<(Key, Instance)> {
        self.collected = Some(Vec::new());
        self.collect_cap = cap;
        self.best(rel, tuple, height);
        self.collected.take().unwrap_or_default()
    }

    /// The instance with the earliest latest premise that derives `tuple`
    /// of `rel` below `height`, if any.
    pub fn best(&mut self, rel: RelId, tuple: &[Value], height: Height) -> Option<Instance> {
        let mut best: Option<(Key, Instance)> = None;
        for (idx, rule) in self.program.rules.iter().enumerate() {
            if rule.head.rel != rel {
                continue;
            }
            let mut walk = Walk {
                regs: vec![0; rule.vars.len()],
                bound: vec![false; rule.vars.len()],
                premises: Vec::new(),
                key: None,
            };
            if !self.bind_head(rule, tuple, &mut walk) {
                continue;
            }
            self.body(
                RuleId(idx as u32),
                rule,
                tuple,
                height,
                0,
                &mut walk,
                &mut best,
            );
            if matches!(best, Some((None, _))) {
                break;
            }
        }
        best.map(|(_, instance)| instance)
    }

    /// Binds the variables that are whole head arguments; `false` when a
    /// constant or an earlier binding disagrees with the tuple.
    fn bind_head(&mut self, rule: &ir::Rule, tuple: &[Value], walk: &mut Walk) -> bool {
        let relation = self.program.relation(rule.head.rel);
        for (col, arg) in rule.head.args.iter().enumerate() {
            let col_ty = relation.columns[col].ty;
            match arg {
                ir::Expr::Var(var) => {
                    let var_ty = rule.var(*var).ty;
                    let values = self.engine.values_mut();
                    let Some(raw) = ops::convert(values, col_ty, var_ty, tuple[col]) else {
                        return false;
                    };
                    let slot = var.0 as usize;
                    if walk.bound[slot] && walk.regs[slot] != raw {
                        return false;
                    }
                    walk.regs[slot] = raw;
                    walk.bound[slot] = true;
                }
                ir::Expr::Const(value)
                    if self.engine.values_mut().encode(col_ty, value) != Some(tuple[col]) =>
                {
                    return false;
                }
                // Computed arguments are checked once the body has bound their variables.
                _ => (),
            }
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn body(
        &mut self,
        rule_id: RuleId,
        rule: &ir::Rule,
        tuple: &[Value],
        height: Height,
        idx: usize,
        walk: &mut Walk,
        best: &mut Option<(Key, Instance)>,
    ) {
        if best
            .as_ref()
            .is_some_and(|(key, _)| key.is_none() || walk.key >= *key)
        {
            return;
        }
        if let Some(all) = &self.collected
            && all.len() >= self.collect_cap
        {
            return;
        }
        let Some(literal) = rule.body.get(idx) else {
            if self.head_matches(rule, tuple, walk) {
                let instance = Instance {
                    rule: rule_id,
                    regs: walk.regs.clone(),
                    bound: walk.bound.clone(),
                    premises: walk.premises.clone(),
                };
                match &mut self.collected {
                    Some(all) => all.push((walk.key, instance)),
                    None => *best = Some((walk.key, instance)),
                }
            }
            return;
        };
        match literal {
            ir::Literal::Positive(atom) => {
                let rows = self.matches(rule, atom, walk);
                let arity = self.program.relation(atom.rel).arity();
                for row in rows {
                    let key = self.key_of(atom.rel, &row);
                    let Some(key) = key else { continue };
                    // Same stratum: the premise entered strictly earlier.
                    if let Some(premise) = key
                        && premise.stratum == height.stratum
                        && premise.round >= height.round
                    {
                        continue;
                    }
                    let saved = (walk.regs.clone(), walk.bound.clone(), walk.key);
                    if !self.bind_atom(rule, atom, &row, walk) {
                        (walk.regs, walk.bound, walk.key) = saved;
                        continue;
                    }
                    walk.key = walk.key.max(key);
                    walk.premises.push((idx, atom.rel, row[..arity].to_vec()));
                    self.body(rule_id, rule, tuple, height, idx + 1, walk, best);
                    walk.premises.pop();
                    (walk.regs, walk.bound, walk.key) = saved;
                }
            }
            ir::Literal::Negative(atom) => {
                if self.matches(rule, atom, walk).is_empty() {
                    self.body(rule_id, rule, tuple, height, idx + 1, walk, best);
                }
            }
            ir::Literal::Compare(op, lhs, rhs) => {
                if self.holds(rule, *op, lhs, rhs, walk) {
                    self.body(rule_id, rule, tuple, height, idx + 1, walk, best);
                }
            }
            ir::Literal::Assign(var, expr) => {
                let ty = rule.var(*var).ty;
                let values = self.engine.values_mut();
                let compiled = CExpr::compile(values, rule, expr, Some(ty));
                let Some(val) = compiled.eval(values, &walk.regs) else {
                    return;
                };
                let Some(raw) = ops::encode(values, ty, val) else {
                    return;
                };
                self.bind_then(rule_id, rule, tuple, height, idx, walk, best, *var, raw);
            }
            ir::Literal::Aggregate(aggregate) => {
                let Some(val) = self.aggregate(rule, aggregate, walk) else {
                    return;
                };
                let ty = rule.var(aggregate.result).ty;
                let Some(raw) = ops::encode(self.engine.values_mut(), ty, val) else {
                    return;
                };
                self.bind_then(
                    rule_id,
                    rule,
                    tuple,
                    height,
                    idx,
                    walk,
                    best,
                    aggregate.result,
                    raw,
                );
            }
        }
    }

    /// Binds `var` to `raw` (or checks it when bound) and goes on with the next literal.
    #[allow(clippy::too_many_arguments)]
    fn bind_then(
        &mut self,
        rule_id: RuleId,
        rule: &ir::Rule,
        tuple: &[Value],
        height: Height,
        idx: usize,
        walk: &mut Walk,
        best: &mut Option<(Key, Instance)>,
        var: ir::VarId,
        raw: Value,
    ) {
        let slot = var.0 as usize;
        if walk.bound[slot] {
            if walk.regs[slot] == raw {
                self.body(rule_id, rule, tuple, height, idx + 1, walk, best);
            }
            return;
        }
        walk.regs[slot] = raw;
        walk.bound[slot] = true;
        self.body(rule_id, rule, tuple, height, idx + 1, walk, best);
        walk.bound[slot] = false;
        walk.regs[slot] = 0;
    }

    /// Every head argument computed from the bindings equals the tuple's.
    pub fn head_matches(&mut self, rule: &ir::Rule, tuple: &[Value], walk: &Walk) -> bool {
        let relation = self.program.relation(rule.head.rel);
        for (col, arg) in rule.head.args.iter().enumerate() {
            let col_ty = relation.columns[col].ty;
            let values = self.engine.values_mut();
            let compiled = CExpr::compile(values, rule, arg, Some(col_ty));
            let Some(val) = compiled.eval(values, &walk.regs) else {
                return false;
            };
            if ops::encode(values, col_ty, val) != Some(tuple[col]) {
                return false;
            }
        }
        true
    }

    /// The premise order of a tuple of `rel`: `Some(None)` for a relation no
    /// rule derives, `Some(Some(height))` for a derived one, `None` when a
    /// derived tuple has no annotation (it cannot be used).
    fn key_of(&self, rel: RelId, tuple: &[Value]) -> Option<Key> {
        if !self.engine.is_derived(rel) {
            return Some(None);
        }
        self.engine.height(rel, tuple).map(Some)
    }

    /// The tuples of `atom`'s relation that agree with the bound variables
    /// and constants (repeated unbound variables are checked when binding).
    pub fn matches(&mut self, rule: &ir::Rule, atom: &ir::Atom, walk: &Walk) -> Vec<Vec<Value>> {
        let relation = self.program.relation(atom.rel);
        let arity = relation.arity();
        let mut cols = Vec::new();
        let mut key = Vec::new();
        for (col, term) in atom.args.iter().enumerate() {
            let col_ty = relation.columns[col].ty;
            let values = self.engine.values_mut();
            let value = match term {
                Term::Var(var) if walk.bound[var.0 as usize] => {
                    ops::convert(values, rule.var(*var).ty, col_ty, walk.regs[var.0 as usize])
                }
                Term::Const(value) => values.encode(col_ty, value),
                _ => continue,
            };
            // A value that is no value of the column matches nothing.
            let Some(value) = value else {
                return Vec::new();
            };
            cols.push(col);
            key.push(value);
        }
        if arity == 0 {
            return if self.engine.contains(atom.rel, &[]) {
                vec![Vec::new()]
            } else {
                Vec::new()
            };
        }
        if !self.tables.contains_key(&atom.rel) {
            let flat: Vec<Value> = self.engine.rows(atom.rel).flatten().copied().collect();
            self.tables.insert(atom.rel, flat);
        }
        let table = &self.tables[&atom.rel];
        let index = self
            .indexes
            .entry((atom.rel, cols.clone()))
            .or_insert_with(|| {
                let mut index: FxHashMap<Vec<Value>, Vec<u32>> = FxHashMap::default();
                for (row_idx, row) in table.chunks_exact(arity).enumerate() {
                    let key = cols.iter().map(|&col| row[col]).collect();
                    index.entry(key).or_default().push(row_idx as u32);
                }
                index
            });
        let Some(rows) = index.get(&key) else {
            return Vec::new();
        };
        let mut res = Vec::with_capacity(rows.len());
        for &row_idx in rows {
            let row = &table[row_idx as usize * arity..(row_idx as usize + 1) * arity];
            res.push(row.to_vec());
        }
        // An unbound variable written twice (`!s(x, p, p)`) needs equal values.
        let repeated: Vec<(usize, usize, ir::VarId)> = atom
            .args
            .iter()
            .enumerate()
            .flat_map(|(a, term)| {
                atom.args
                    .iter()
                    .enumerate()
                    .skip(a + 1)
                    .filter_map(move |(b, other)| match (term, other) {
                        (Term::Var(x), Term::Var(y)) if x == y && !walk.bound[x.0 as usize] => {
                            Some((a, b, *x))
                        }
                        _ => None,
                    })
            })
            .collect();
        if !repeated.is_empty() {
            let values = self.engine.values_mut();
            res.retain(|row| {
                repeated.iter().all(|&(a, b, var)| {
                    let var_ty = rule.var(var).ty;
                    let left = ops::convert(values, relation.columns[a].ty, var_ty, row[a]);
                    let right = ops::convert(values, relation.columns[b].ty, var_ty, row[b]);
                    left.is_some() && left == right
                })
            });
        }
        res
    }

    /// Binds the unbound variables of `atom` from `row`; `false` when a value
    /// cannot be one of the variable's type.
    pub fn bind_atom(
        &mut self,
        rule: &ir::Rule,
        atom: &ir::Atom,
        row: &[Value],
        walk: &mut Walk,
    ) -> bool {
        let relation = self.program.relation(atom.rel);
        for (col, term) in atom.args.iter().enumerate() {
            let Term::Var(var) = term else { continue };
            let slot = var.0 as usize;
            let var_ty = rule.var(*var).ty;
            let col_ty = relation.columns[col].ty;
            let Some(raw) = ops::convert(self.engine.values_mut(), col_ty, var_ty, row[col]) else {
                return false;
            };
            if walk.bound[slot] {
                if walk.regs[slot] != raw {
                    return false;
                }
            } else {
                walk.regs[slot] = raw;
                walk.bound[slot] = true;
            }
        }
        true
    }

    /// The value of an aggregate under the given bindings (those bound before it).
    pub fn aggregate_value(
        &mut self,
        rule: &ir::Rule,
        aggregate: &ir::Aggregate,
        regs: &[Value],
        bound: &[bool],
    ) -> Option<Val> {
        // Only the variables bound before the aggregate group it.
        let mut before = vec![false; bound.len()];
        for literal in &rule.body {
            if let ir::Literal::Aggregate(other) = literal
                && std::ptr::eq(other, aggregate)
            {
                break;
            }
            mark_bound(literal, &mut before);
        }
        let walk = Walk {
            regs: regs
                .iter()
                .zip(&before)
                .map(|(&raw, &b)| if b { raw } else { 0 })
                .collect(),
            bound: before,
            premises: Vec::new(),
            key: None,
        };
        self.aggregate(rule, aggregate, &walk)
    }

    /// Whether `lhs op rhs` holds under the walk's bindings (false when a
    /// side cannot be computed, as in evaluation).
    pub fn holds(
        &mut self,
        rule: &ir::Rule,
        op: ir::CompareOp,
        lhs: &ir::Expr,
        rhs: &ir::Expr,
        walk: &Walk,
    ) -> bool {
        let values = self.engine.values_mut();
        let lhs_c = CExpr::compile(values, rule, lhs, ops::static_type(rule, rhs));
        let rhs_c = CExpr::compile(values, rule, rhs, ops::static_type(rule, lhs));
        match (
            lhs_c.eval(values, &walk.regs),
            rhs_c.eval(values, &walk.regs),
        ) {
            (Some(a), Some(b)) => ops::compare(values, op, a, b),
            _ => false,
        }
    }

    /// The value of an aggregate for the current bindings over the current
    /// relations (it reads earlier strata only); `None` when the rule does
    /// not fire (an empty min, max or mean, an overflow).
    fn aggregate(
        &mut self,
        rule: &ir::Rule,
        aggregate: &ir::Aggregate,
        walk: &Walk,
    ) -> Option<Val> {
        let mut inner = Walk {
            regs: walk.regs.clone(),
            bound: walk.bound.clone(),
            premises: Vec::new(),
            key: None,
        };
        let before = walk.bound.clone();
        let mut found: Vec<(Vec<Value>, Option<Val>)> = Vec::new();
        self.aggregate_body(rule, aggregate, 0, &mut inner, &before, &mut found);
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.dedup_by(|a, b| a.0 == b.0);
        let values = self.engine.values_mut();
        let picked = found.iter().map(|(_, val)| val.unwrap_or(Val::Int(0)));
        ops::fold_aggregate(values, aggregate.func, picked, found.len())
    }

    /// Collects the assignments of the aggregate body's local variables
    /// (with the target's value) by a depth-first walk.
    fn aggregate_body(
        &mut self,
        rule: &ir::Rule,
        aggregate: &ir::Aggregate,
        idx: usize,
        walk: &mut Walk,
        before: &[bool],
        found: &mut Vec<(Vec<Value>, Option<Val>)>,
    ) {
        let Some(literal) = aggregate.body.get(idx) else {
            let locals: Vec<Value> = (0..walk.regs.len())
                .filter(|&slot| walk.bound[slot] && !before[slot])
                .map(|slot| walk.regs[slot])
                .collect();
            let val = match &aggregate.target {
                Some(target) => {
                    let values = self.engine.values_mut();
                    let compiled = CExpr::compile(values, rule, target, None);
                    match compiled.eval(values, &walk.regs) {
                        Some(val) => Some(val),
                        None => return,
                    }
                }
                None => None,
            };
            found.push((locals, val));
            return;
        };
        match literal {
            ir::Literal::Positive(atom) => {
                for row in self.matches(rule, atom, walk) {
                    let saved = (walk.regs.clone(), walk.bound.clone());
                    if self.bind_atom(rule, atom, &row, walk) {
                        self.aggregate_body(rule, aggregate, idx + 1, walk, before, found);
                    }
                    (walk.regs, walk.bound) = saved;
                }
            }
            ir::Literal::Negative(atom) => {
                if self.matches(rule, atom, walk).is_empty() {
                    self.aggregate_body(rule, aggregate, idx + 1, walk, before, found);
                }
            }
            ir::Literal::Compare(op, lhs, rhs) => {
                if self.holds(rule, *op, lhs, rhs, walk) {
                    self.aggregate_body(rule, aggregate, idx + 1, walk, before, found);
                }
            }
            ir::Literal::Assign(var, expr) => {
                let ty = rule.var(*var).ty;
                let values = self.engine.values_mut();
                let compiled = CExpr::compile(values, rule, expr, Some(ty));
                let Some(raw) = compiled
                    .eval(values, &walk.regs)
                    .and_then(|val| ops::encode(values, ty, val))
                else {
                    return;
                };
                let slot = var.0 as usize;
                if walk.bound[slot] {
                    if walk.regs[slot] == raw {
                        self.aggregate_body(rule, aggregate, idx + 1, walk, before, found);
                    }
                    return;
                }
                walk.regs[slot] = raw;
                walk.bound[slot] = true;
                self.aggregate_body(rule, aggregate, idx + 1, walk, before, found);
                walk.bound[slot] = false;
            }
            // The checker allows no aggregate inside an aggregate.
            ir::Literal::Aggregate(_) => (),
        }
    }
}

/// Marks the variables a literal binds (or reads: they are bound before it).
fn mark_bound(literal: &ir::Literal, bound: &mut [bool]) {
    match literal {
        ir::Literal::Positive(atom) => {
            for term in &atom.args {
                if let Term::Var(var) = term {
                    bound[var.0 as usize] = true;
                }
            }
        }
        ir::Literal::Assign(var, _) => bound[var.0 as usize] = true,
        ir::Literal::Aggregate(aggregate) => bound[aggregate.result.0 as usize] = true,
        ir::Literal::Negative(_) | ir::Literal::Compare(..) => (),
    }
}
