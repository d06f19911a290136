//! This module evaluates one stratum with rows of one type `R`: it builds the
//! static views of earlier strata, feeds the stratum's datafrog `Variable`s
//! with base facts and non-recursive rules, then runs the semi-naive rule
//! variants until `Iteration::changed` reports a fixpoint. Joins probe sorted
//! views by key prefix, galloping forward while keys arrive in order (a merge
//! join when the driving tuples are sorted on the key).

use std::cmp::Ordering;
use std::time::Instant;

use datafrog::{Iteration, Relation, Variable};
use rustc_hash::FxHashMap;

mod update;

use crate::engine::ops::{self, CExpr, Val};
use crate::engine::row::Row;
use crate::engine::stratum::update::{prepare_state, update_state};
use crate::engine::{EngineError, Limits, StratumAction};
use crate::ir::{self, AggregateFunc, CompareOp, RelId, Type};
use crate::plan::{Read, Step, StratumPlan, View, ViewId};
use crate::value::{Value, ValueStore};

/// The relations a finished stratum holds, whatever its row type.
pub(crate) trait Stored {
    fn len(&self, rel: RelId) -> usize;
    /// Calls `f` with every tuple of `rel` (columns in relation order, tuples unordered).
    fn for_each(&self, rel: RelId, f: &mut dyn FnMut(&[Value]));

    /// Hands back the base facts held as inserted (rows, empty tuple), for a rerun.
    fn take_facts(&mut self) -> Vec<(RelId, Vec<Value>, bool)> {
        Vec::new()
    }

    /// Applies exact base-fact changes to a relation held as inserted (canonical
    /// rows, see [`UpdateCx::changes`]); returns (inserted, deleted) as they
    /// actually changed the relation.
    fn apply_facts(
        &mut self,
        _rel: RelId,
        _insert: &[Value],
        _delete: &[Value],
    ) -> (Vec<Value>, Vec<Value>) {
        (Vec::new(), Vec::new())
    }

    /// Whether `tuple` (columns in relation order) is a tuple of `rel` now.
    fn contains(&self, rel: RelId, tuple: &[Value]) -> bool;

    /// The evaluation round in which `tuple` last entered `rel`, when
    /// provenance is recorded (see [`Heights`]).
    fn height(&self, _rel: RelId, _tuple: &[Value]) -> Option<u64> {
        None
    }

    /// Builds the views only updates read (lazy views), from the state
    /// before the update. Idempotent.
    fn prepare(&mut self, _cx: PrepareCx<'_>) {}

    /// Brings a stratum up to date with the changes of its inputs.
    fn update(&mut self, _cx: UpdateCx<'_>) -> Result<StratumUpdate, EngineError> {
        Ok(StratumUpdate {
            action: StratumAction::Skipped,
            changes: Vec::new(),
        })
    }
}

/// The result of updating one stratum.
pub(crate) struct StratumUpdate {
    pub action: StratumAction,
    /// Per relation of the stratum: exact (inserted, deleted) canonical rows.
    pub changes: Vec<(RelId, Vec<Value>, Vec<Value>)>,
}

pub(crate) struct PrepareCx<'a> {
    pub plan: &'a StratumPlan,
    pub relations: &'a [ir::Relation],
    pub values: &'a mut ValueStore,
    pub prior: Prior<'a>,
}

pub(crate) struct UpdateCx<'a> {
    pub plan: &'a StratumPlan,
    pub relations: &'a [ir::Relation],
    pub rules: &'a [ir::Rule],
    pub values: &'a mut ValueStore,
    pub prior: Prior<'a>,
    /// Per relation, exact (inserted, deleted) tuples as canonical rows:
    /// `max(arity, 1)` values each, the empty tuple as `[0]`. For relations of
    /// earlier strata (and base-fact relations this stratum reads) the change
    /// of the relation; for this stratum's relations the change of their base facts.
    pub changes: &'a [(Vec<Value>, Vec<Value>)],
    /// Per relation: its base facts after the update, canonical rows
    /// (read for this stratum's relations only).
    pub base: &'a [Vec<Value>],
    pub limits: &'a Limits,
    pub start: Instant,
    pub derived_before: u64,
    pub derived: &'a [bool],
    /// Provenance is recorded: the global round counter (see [`Heights`]).
    pub rounds: Option<&'a mut u64>,
}

/// The strata evaluated before the current one.
pub(crate) struct Prior<'a> {
    pub stores: &'a [Box<dyn Stored>],
    /// For each relation, the index of the store that holds it.
    pub home: &'a [Option<usize>],
}

impl Prior<'_> {
    pub(crate) fn len(&self, rel: RelId) -> usize {
        match self.home[rel.0 as usize] {
            Some(store) => self.stores[store].len(rel),
            None => 0,
        }
    }

    pub(crate) fn for_each(&self, rel: RelId, f: &mut dyn FnMut(&[Value])) {
        if let Some(store) = self.home[rel.0 as usize] {
            self.stores[store].for_each(rel, f);
        }
    }
}

pub(crate) struct Cx<'a> {
    pub plan: &'a StratumPlan,
    pub relations: &'a [ir::Relation],
    pub rules: &'a [ir::Rule],
    pub values: &'a mut ValueStore,
    pub prior: Prior<'a>,
    /// Base facts of the stratum's relations, whole tuples one after another.
    pub base: Vec<(RelId, Vec<Value>)>,
    /// Arity-0 relations with the empty tuple as a base fact.
    pub base_units: Vec<RelId>,
    pub limits: &'a Limits,
    pub start: Instant,
    /// Tuples of derived relations of earlier strata.
    pub derived_before: u64,
    /// Per relation: some rule derives it (counts towards `max_tuples`).
    pub derived: &'a [bool],
    /// `base` holds every tuple of the stratum's relations at fixpoint: fill
    /// the views without running any rule.
    pub restore: bool,
    /// Provenance is recorded: the global round counter (see [`Heights`]).
    pub rounds: Option<&'a mut u64>,
}

/// Provenance annotations of one stratum: per stored relation (in the order
/// of `State::storage`), the round in which each tuple last entered it.
///
/// The round counter is global and only grows (across `run` and every
/// `update`), and a tuple gets the current round when it appears in a
/// variable's `recent` batch. A tuple's derivation that round read only
/// tuples present before it: same-stratum premises have strictly smaller
/// heights, earlier-stratum premises are smaller in the order (stratum,
/// height). `provenance` rebuilds proofs by searching for such instances.
pub(crate) type Heights<R> = Vec<FxHashMap<R, u64>>;

/// Records the tuples that entered the stratum's stored relations this round.
fn record_heights<R: Row>(
    views: &[ViewData<R>],
    storage: &[(RelId, ViewId, Vec<usize>)],
    heights: &mut Heights<R>,
    round: &mut u64,
) {
    *round += 1;
    for (k, (_, view, _)) in storage.iter().enumerate() {
        if let ViewData::Dynamic(variable) = &views[*view] {
            let recent = variable.recent.borrow();
            let map = &mut heights[k];
            map.reserve(recent.elements.len());
            for row in &recent.elements {
                map.insert(*row, *round);
            }
        }
    }
}

enum ViewData<R: Row> {
    Static(Relation<R>),
    Dynamic(Variable<R>),
    /// A lazy view not built yet.
    Lazy,
}

/// A finished stratum: the `Iteration` and every view stay alive so later
/// updates can continue the fixpoint.
struct State<R: Row> {
    iteration: Iteration,
    views: Vec<ViewData<R>>,
    /// Per stored relation: its view and the relation column of each position.
    storage: Vec<(RelId, ViewId, Vec<usize>)>,
    /// Provenance annotations, when recorded.
    heights: Option<Heights<R>>,
}

impl<R: Row> State<R> {
    fn storage(&self, rel: RelId) -> Option<&(RelId, ViewId, Vec<usize>)> {
        self.storage.iter().find(|(stored, _, _)| *stored == rel)
    }

    /// The storage row of a relation-order tuple, and the relation's index in `storage`.
    fn storage_row(&self, rel: RelId, tuple: &[Value]) -> Option<(usize, ViewId, R)> {
        let k = self
            .storage
            .iter()
            .position(|(stored, _, _)| *stored == rel)?;
        let (_, view, cols) = &self.storage[k];
        let mut row = R::default();
        for (pos, &col) in cols.iter().enumerate() {
            row.set(pos, *tuple.get(col)?);
        }
        Some((k, *view, row))
    }
}

impl<R: Row> Stored for State<R> {
    fn len(&self, rel: RelId) -> usize {
        match self.storage(rel) {
            Some(&(_, view, _)) => view_len(&self.views[view]),
            None => 0,
        }
    }

    fn prepare(&mut self, cx: PrepareCx<'_>) {
        prepare_state(self, cx);
    }

    fn contains(&self, rel: RelId, tuple: &[Value]) -> bool {
        let Some((_, view, row)) = self.storage_row(rel, tuple) else {
            return false;
        };
        // A value wider than the row type cannot be stored in it.
        let mut check = vec![0; tuple.len()];
        if let Some((_, _, cols)) = self.storage(rel) {
            for (pos, &col) in cols.iter().enumerate() {
                check[col] = row.get(pos);
            }
        }
        check == tuple && update::contains(&self.views[view], &row)
    }

    fn height(&self, rel: RelId, tuple: &[Value]) -> Option<u64> {
        let (k, _, row) = self.storage_row(rel, tuple)?;
        self.heights.as_ref()?.get(k)?.get(&row).copied()
    }

    fn update(&mut self, cx: UpdateCx<'_>) -> Result<StratumUpdate, EngineError> {
        update_state(self, cx)
    }

    fn for_each(&self, rel: RelId, f: &mut dyn FnMut(&[Value])) {
        let Some((_, view, cols)) = self.storage(rel) else {
            return;
        };
        let mut buf = vec![0; cols.len()];
        for_each_batch(&self.views[*view], Read::Full, &mut |rows: &[R]| {
            for row in rows {
                for (pos, &col) in cols.iter().enumerate() {
                    buf[col] = row.get(pos);
                }
                f(&buf);
            }
        });
    }
}

fn view_len<R: Row>(view: &ViewData<R>) -> usize {
    let mut len = 0;
    for_each_batch(view, Read::Full, &mut |rows: &[R]| len += rows.len());
    len
}

fn for_each_batch<R: Row>(view: &ViewData<R>, read: Read, f: &mut dyn FnMut(&[R])) {
    match view {
        ViewData::Static(relation) => f(&relation.elements),
        ViewData::Lazy => (),
        ViewData::Dynamic(variable) => {
            for batch in variable.stable.borrow().iter() {
                f(&batch.elements);
            }
            if read != Read::Old {
                f(&variable.recent.borrow().elements);
            }
        }
    }
}

/// A view's filter and projection, with constants encoded.
struct ViewShape {
    cols: Vec<usize>,
    /// `None`: the constant is no value of the column's type; nothing matches.
    consts: Vec<(usize, Option<Value>)>,
    eqs: Vec<(usize, usize)>,
}

impl ViewShape {
    fn new(values: &mut ValueStore, relation: &ir::Relation, view: &View) -> ViewShape {
        let consts = view
            .consts
            .iter()
            .map(|(col, value)| {
                let ty = relation
                    .columns
                    .get(*col)
                    .map_or(Type::Any, |column| column.ty);
                (*col, values.encode(ty, value))
            })
            .collect();
        ViewShape {
            cols: view.cols.clone(),
            consts,
            eqs: view.eqs.clone(),
        }
    }

    fn accepts(&self, row: &[Value]) -> bool {
        self.consts
            .iter()
            .all(|&(col, value)| value == Some(row[col]))
            && self.eqs.iter().all(|&(a, b)| row[a] == row[b])
    }

    fn project<R: Row>(&self, row: &[Value]) -> R {
        let mut res = R::default();
        for (pos, &col) in self.cols.iter().enumerate() {
            res.set(pos, row[col]);
        }
        res
    }
}

pub(crate) fn evaluate<R: Row>(cx: Cx<'_>) -> Result<Box<dyn Stored>, EngineError> {
    Ok(Box::new(build_state::<R>(cx)?))
}

fn build_state<R: Row>(cx: Cx<'_>) -> Result<State<R>, EngineError> {
    let Cx {
        plan,
        relations,
        rules,
        values,
        prior,
        base,
        base_units,
        limits,
        start,
        derived_before,
        derived,
        restore,
        mut rounds,
    } = cx;
    let mut iteration = Iteration::new();
    let shapes: Vec<ViewShape> = plan
        .views
        .iter()
        .map(|view| ViewShape::new(values, &relations[view.rel.0 as usize], view))
        .collect();
    let mut views: Vec<ViewData<R>> = Vec::with_capacity(plan.views.len());
    for (view, shape) in plan.views.iter().zip(&shapes) {
        if view.lazy {
            views.push(ViewData::Lazy);
        } else if view.dynamic {
            views.push(ViewData::Dynamic(
                iteration.variable(&relations[view.rel.0 as usize].name),
            ));
        } else {
            let mut rows: Vec<R> = Vec::new();
            prior.for_each(view.rel, &mut |row| {
                if shape.accepts(row) {
                    rows.push(shape.project(row));
                }
            });
            R::sort_dedup(&mut rows);
            views.push(ViewData::Static(Relation { elements: rows }));
        }
    }
    let targets: Vec<(RelId, Vec<ViewId>)> = plan
        .relations
        .iter()
        .map(|&rel| (rel, plan.views_of(rel).collect()))
        .collect();
    let targets_of = |rel: RelId| -> &[ViewId] {
        targets
            .iter()
            .find(|(target, _)| *target == rel)
            .map_or(&[], |(_, views)| views.as_slice())
    };
    let mut out: Vec<Vec<R>> = vec![Vec::new(); views.len()];

    // Base facts.
    for (rel, flat) in &base {
        let arity = relations[rel.0 as usize].arity();
        if arity == 0 {
            continue;
        }
        for row in flat.chunks_exact(arity) {
            for &view in targets_of(*rel) {
                if shapes[view].accepts(row) {
                    out[view].push(shapes[view].project(row));
                }
            }
        }
    }
    for rel in &base_units {
        for &view in targets_of(*rel) {
            out[view].push(R::default());
        }
    }
    drop(base);

    // Compile the rules.
    let mut compiled = Vec::new();
    let rule_plans = if restore { &[][..] } else { &plan.rules[..] };
    for rule_plan in rule_plans {
        let rule = &rules[rule_plan.rule.0 as usize];
        let mut slots = 0;
        let head = compile_head(
            values,
            relations,
            rule,
            targets_of(rule_plan.head_rel),
            &shapes,
        );
        for variant in &rule_plan.variants {
            let steps = compile_steps(
                values,
                relations,
                rule,
                &plan.views,
                &prior,
                &variant.steps,
                &mut slots,
            );
            compiled.push((
                variant.delta.is_some(),
                steps,
                head.clone(),
                slots,
                rule.vars.len(),
            ));
        }
    }
    let mut exec = Exec {
        views: &views,
        shapes: &shapes,
        values,
        given: None,
        seed: &[],
        seed_stride: 1,
        regs: Vec::new(),
        cursors: Vec::new(),
        aggs: Vec::new(),
        head_buf: Vec::new(),
        out: &mut out,
    };
    // Rules that read no relation of this stratum run once.
    for (recursive, steps, head, slots, n_regs) in &compiled {
        if !recursive {
            exec.run(steps, head, *slots, *n_regs);
        }
    }
    flush(&views, exec.out);

    let storage: Vec<(RelId, ViewId, Vec<usize>)> = plan
        .storage
        .iter()
        .map(|&(rel, view)| (rel, view, plan.views[view].cols.clone()))
        .collect();
    let count_derived = |views: &[ViewData<R>]| -> u64 {
        storage
            .iter()
            .filter(|(rel, _, _)| derived[rel.0 as usize])
            .map(|(_, view, _)| view_len(&views[*view]) as u64)
            .sum()
    };
    let mut heights: Option<Heights<R>> = rounds
        .as_ref()
        .map(|_| storage.iter().map(|_| FxHashMap::default()).collect());
    while iteration.changed() {
        if let (Some(heights), Some(round)) = (heights.as_mut(), rounds.as_deref_mut()) {
            record_heights(&views, &storage, heights, round);
        }
        check_limits(limits, start, derived_before + count_derived(&views))?;
        for (recursive, steps, head, slots, n_regs) in &compiled {
            if *recursive {
                exec.run(steps, head, *slots, *n_regs);
            }
        }
        flush(&views, exec.out);
    }
    check_limits(limits, start, derived_before + count_derived(&views))?;
    Ok(State {
        iteration,
        views,
        storage,
        heights,
    })
}

fn check_limits(limits: &Limits, start: Instant, tuples: u64) -> Result<(), EngineError> {
    if limits
        .cancel
        .as_ref()
        .is_some_and(|cancel| cancel.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Err(EngineError::Cancelled);
    }
    if let Some(timeout) = limits.timeout
        && start.elapsed() > timeout
    {
        return Err(EngineError::Timeout {
            seconds: timeout.as_secs_f64(),
        });
    }
    if let Some(max) = limits.max_tuples
        && tuples > max
    {
        return Err(EngineError::TupleLimit { tuples });
    }
    Ok(())
}

fn flush<R: Row>(views: &[ViewData<R>], out: &mut [Vec<R>]) {
    for (view, rows) in views.iter().zip(out.iter_mut()) {
        if rows.is_empty() {
            continue;
        }
        if let ViewData::Dynamic(variable) = view {
            let mut rows = std::mem::take(rows);
            R::sort_dedup(&mut rows);
            variable.insert(Relation { elements: rows });
        } else {
            rows.clear();
        }
    }
}

/// A variable bound from (or matched against) a view column.
#[derive(Clone, Copy, Debug)]
struct Bind {
    reg: usize,
    var_ty: Type,
    col_ty: Type,
}

#[derive(Debug)]
enum CStep {
    /// Binds head variables from each tuple being re-derived (`Exec::seed`).
    Seed {
        bind: Vec<(usize, Bind)>,
    },
    /// `merge`: the next step is a join whose key is the first columns of
    /// this view, so the two run as a merge join over sorted batches.
    Delta {
        view: ViewId,
        bind: Vec<Bind>,
        merge: bool,
    },
    Join {
        view: ViewId,
        read: Read,
        key: Vec<Bind>,
        bind: Vec<Bind>,
        slot: usize,
    },
    Anti {
        view: ViewId,
        key: Vec<Bind>,
        slot: usize,
    },
    Filter {
        op: CompareOp,
        lhs: CExpr,
        rhs: CExpr,
    },
    /// Both sides registers of one order-preserving type: compare encodings.
    RawFilter {
        op: CompareOp,
        lhs: usize,
        rhs: usize,
    },
    Assign {
        reg: usize,
        ty: Type,
        expr: CExpr,
    },
    Aggregate(Box<CAggregate>),
    /// A value known before evaluation (`count : r(_, _)` of an earlier stratum).
    Known {
        reg: usize,
        ty: Type,
        val: Val,
        bound: bool,
    },
}

#[derive(Debug)]
struct CAggregate {
    reg: usize,
    ty: Type,
    bound: bool,
    func: AggregateFunc,
    target: Option<CExpr>,
    locals: Vec<usize>,
    distinct: bool,
    steps: Vec<CStep>,
    slot: usize,
}

#[derive(Clone, Debug)]
enum CArg {
    Reg {
        reg: usize,
        var_ty: Type,
        col_ty: Type,
    },
    Expr {
        expr: CExpr,
        col_ty: Type,
    },
}

#[derive(Clone, Debug)]
struct CHead {
    args: Vec<CArg>,
    targets: Vec<ViewId>,
    /// One unfiltered target and variables only: the registers in view column order.
    direct: Option<(ViewId, Vec<usize>)>,
}

fn compile_head(
    values: &mut ValueStore,
    relations: &[ir::Relation],
    rule: &ir::Rule,
    targets: &[ViewId],
    shapes: &[ViewShape],
) -> CHead {
    let relation = &relations[rule.head.rel.0 as usize];
    let args: Vec<CArg> = rule
        .head
        .args
        .iter()
        .enumerate()
        .map(|(col, arg)| {
            let col_ty = relation
                .columns
                .get(col)
                .map_or(Type::Any, |column| column.ty);
            match arg {
                ir::Expr::Var(var) => CArg::Reg {
                    reg: var.0 as usize,
                    var_ty: rule.var(*var).ty,
                    col_ty,
                },
                expr => CArg::Expr {
                    expr: CExpr::compile(values, rule, expr, Some(col_ty)),
                    col_ty,
                },
            }
        })
        .collect();
    let direct = match targets {
        [view] if shapes[*view].consts.is_empty() && shapes[*view].eqs.is_empty() => shapes[*view]
            .cols
            .iter()
            .map(|&col| match args.get(col) {
                Some(CArg::Reg {
                    reg,
                    var_ty,
                    col_ty,
                }) if var_ty == col_ty => Some(*reg),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .map(|regs| (*view, regs)),
        _ => None,
    };
    CHead {
        args,
        targets: targets.to_vec(),
        direct,
    }
}

fn compile_steps(
    values: &mut ValueStore,
    relations: &[ir::Relation],
    rule: &ir::Rule,
    views: &[View],
    prior: &Prior<'_>,
    steps: &[Step],
    slots: &mut usize,
) -> Vec<CStep> {
    let binds = |view: ViewId, offset: usize, vars: &[ir::VarId]| -> Vec<Bind> {
        let view = &views[view];
        let relation = &relations[view.rel.0 as usize];
        vars.iter()
            .enumerate()
            .map(|(pos, var)| Bind {
                reg: var.0 as usize,
                var_ty: rule.var(*var).ty,
                col_ty: relation
                    .columns
                    .get(view.cols[offset + pos])
                    .map_or(Type::Any, |column| column.ty),
            })
            .collect()
    };
    fn next_slot(slots: &mut usize) -> usize {
        *slots += 1;
        *slots - 1
    }
    let mut res = Vec::new();
    for step in steps {
        let compiled = match step {
            Step::Seed { cols, bind } => {
                let relation = &relations[rule.head.rel.0 as usize];
                CStep::Seed {
                    bind: cols
                        .iter()
                        .zip(bind)
                        .map(|(&col, var)| {
                            let bind = Bind {
                                reg: var.0 as usize,
                                var_ty: rule.var(*var).ty,
                                col_ty: relation
                                    .columns
                                    .get(col)
                                    .map_or(Type::Any, |column| column.ty),
                            };
                            (col, bind)
                        })
                        .collect(),
                }
            }
            Step::Delta { view, bind, .. } => CStep::Delta {
                view: *view,
                bind: binds(*view, 0, bind),
                merge: false,
            },
            Step::Join {
                view,
                read,
                key,
                bind,
                ..
            } => CStep::Join {
                view: *view,
                read: *read,
                key: binds(*view, 0, key),
                bind: binds(*view, key.len(), bind),
                slot: next_slot(slots),
            },
            Step::Anti { view, key, .. } => CStep::Anti {
                view: *view,
                key: binds(*view, 0, key),
                slot: next_slot(slots),
            },
            Step::Filter { op, lhs, rhs, .. } => match (lhs, rhs) {
                (ir::Expr::Var(a), ir::Expr::Var(b))
                    if rule.var(*a).ty == rule.var(*b).ty
                        && (matches!(op, CompareOp::Eq | CompareOp::Ne)
                            || matches!(
                                rule.var(*a).ty,
                                Type::Number | Type::Unsigned | Type::Float | Type::DateTime
                            )) =>
                {
                    CStep::RawFilter {
                        op: *op,
                        lhs: a.0 as usize,
                        rhs: b.0 as usize,
                    }
                }
                _ => {
                    let lhs_hint = ops::static_type(rule, rhs);
                    let rhs_hint = ops::static_type(rule, lhs);
                    CStep::Filter {
                        op: *op,
                        lhs: CExpr::compile(values, rule, lhs, lhs_hint),
                        rhs: CExpr::compile(values, rule, rhs, rhs_hint),
                    }
                }
            },
            Step::Assign { var, expr, .. } => {
                let ty = rule.var(*var).ty;
                CStep::Assign {
                    reg: var.0 as usize,
                    ty,
                    expr: CExpr::compile(values, rule, expr, Some(ty)),
                }
            }
            Step::Aggregate {
                result,
                result_bound,
                func,
                target,
                locals,
                distinct,
                steps,
                ..
            } => {
                let inner = compile_steps(values, relations, rule, views, prior, steps, slots);
                CStep::Aggregate(Box::new(CAggregate {
                    reg: result.0 as usize,
                    ty: rule.var(*result).ty,
                    bound: *result_bound,
                    func: *func,
                    target: target
                        .as_ref()
                        .map(|target| CExpr::compile(values, rule, target, None)),
                    locals: locals.iter().map(|var| var.0 as usize).collect(),
                    distinct: *distinct,
                    steps: inner,
                    slot: next_slot(slots),
                }))
            }
            Step::CountAll {
                result,
                result_bound,
                rel,
                ..
            } => {
                let count = i64::try_from(prior.len(*rel)).unwrap_or(i64::MAX);
                CStep::Known {
                    reg: result.0 as usize,
                    ty: rule.var(*result).ty,
                    val: Val::Int(count),
                    bound: *result_bound,
                }
            }
        };
        res.push(compiled);
    }
    if let [
        CStep::Delta { bind, merge, .. },
        CStep::Join { key, .. },
        ..,
    ] = res.as_mut_slice()
    {
        *merge = !key.is_empty()
            && key.len() <= bind.len()
            && key
                .iter()
                .zip(bind.iter())
                .all(|(k, b)| k.reg == b.reg && k.var_ty == k.col_ty && b.var_ty == b.col_ty);
    }
    res
}

/// Where a binding that survives all steps goes.
#[derive(Clone, Copy)]
enum Sink<'s> {
    Head(&'s CHead),
    Collect(&'s CAggregate),
}

#[derive(Default)]
struct Cursor {
    key: Vec<Value>,
    last_key: Vec<Value>,
    valid: bool,
    /// Per batch: where the last key's matches started.
    pos: Vec<usize>,
}

/// The assignments an aggregate body produced for one group.
#[derive(Default)]
struct AggBuf {
    /// Values of the local variables, `locals.len()` per assignment.
    rows: Vec<Value>,
    /// The target's value per assignment (aggregates other than count).
    vals: Vec<Val>,
    n: usize,
    /// Scratch: indexes of the distinct assignments.
    keep: Vec<usize>,
}

struct Exec<'v, R: Row> {
    views: &'v [ViewData<R>],
    shapes: &'v [ViewShape],
    values: &'v mut ValueStore,
    /// Per view: the rows a delta step reads instead of a variable's recent tuples.
    given: Option<&'v [Vec<R>]>,
    /// Relation-order tuples (`seed_stride` values each) a seed step reads.
    seed: &'v [Value],
    seed_stride: usize,
    regs: Vec<Value>,
    cursors: Vec<Cursor>,
    aggs: Vec<AggBuf>,
    head_buf: Vec<Value>,
    out: &'v mut [Vec<R>],
}

impl<R: Row> Exec<'_, R> {
    fn run(&mut self, steps: &[CStep], head: &CHead, slots: usize, n_regs: usize) {
        self.regs.clear();
        self.regs.resize(n_regs.max(1), 0);
        if self.cursors.len() < slots {
            self.cursors.resize_with(slots, Cursor::default);
            self.aggs.resize_with(slots, AggBuf::default);
        }
        for cursor in &mut self.cursors {
            cursor.valid = false;
        }
        self.exec(steps, 0, Sink::Head(head));
    }

    fn exec(&mut self, steps: &[CStep], idx: usize, sink: Sink<'_>) {
        let Some(step) = steps.get(idx) else {
            match sink {
                Sink::Head(head) => self.emit(head),
                Sink::Collect(aggregate) => self.collect(aggregate),
            }
            return;
        };
        let views = self.views;
        match step {
            CStep::Seed { bind } => {
                let seed = self.seed;
                for tuple in seed.chunks_exact(self.seed_stride) {
                    let mut ok = true;
                    for (col, bind) in bind {
                        let raw = tuple[*col];
                        self.regs[bind.reg] = if bind.var_ty == bind.col_ty {
                            raw
                        } else {
                            match ops::convert(self.values, bind.col_ty, bind.var_ty, raw) {
                                Some(value) => value,
                                None => {
                                    ok = false;
                                    break;
                                }
                            }
                        };
                    }
                    if ok {
                        self.exec(steps, idx + 1, sink);
                    }
                }
            }
            CStep::Delta {
                view,
                bind,
                merge: true,
            } => {
                let recent_ref;
                let delta: &[R] = match self.given {
                    Some(given) => &given[*view],
                    None => {
                        let ViewData::Dynamic(variable) = &views[*view] else {
                            return;
                        };
                        recent_ref = variable.recent.borrow();
                        &recent_ref.elements
                    }
                };
                let Some(CStep::Join {
                    view: other,
                    read,
                    key,
                    bind: other_bind,
                    ..
                }) = steps.get(idx + 1)
                else {
                    return;
                };
                let key_len = key.len();
                for_each_batch(&views[*other], *read, &mut |rows: &[R]| {
                    merge_join(delta, rows, key_len, &mut |left: &[R], right: &[R]| {
                        for row in left {
                            if !self.bind_row(row, 0, bind) {
                                continue;
                            }
                            for other_row in right {
                                if self.bind_row(other_row, key_len, other_bind) {
                                    self.exec(steps, idx + 2, sink);
                                }
                            }
                        }
                    });
                });
            }
            CStep::Delta {
                view,
                bind,
                merge: false,
            } => {
                let recent_ref;
                let delta: &[R] = match self.given {
                    Some(given) => &given[*view],
                    None => {
                        let ViewData::Dynamic(variable) = &views[*view] else {
                            return;
                        };
                        recent_ref = variable.recent.borrow();
                        &recent_ref.elements
                    }
                };
                for row in delta {
                    if self.bind_row(row, 0, bind) {
                        self.exec(steps, idx + 1, sink);
                    }
                }
            }
            CStep::Join {
                view,
                read,
                key,
                bind,
                slot,
            } => {
                if !self.load_key(*slot, key) {
                    return;
                }
                let key_len = key.len();
                let mut batch = 0;
                for_each_batch(&views[*view], *read, &mut |rows: &[R]| {
                    let (lo, hi) = self.seek(*slot, batch, rows);
                    batch += 1;
                    for row in &rows[lo..hi] {
                        if self.bind_row(row, key_len, bind) {
                            self.exec(steps, idx + 1, sink);
                        }
                    }
                });
            }
            CStep::Anti { view, key, slot } => {
                if !self.load_key(*slot, key) {
                    // A value of another kind than the column's cannot be in it.
                    self.exec(steps, idx + 1, sink);
                    return;
                }
                let mut found = false;
                let mut batch = 0;
                for_each_batch(&views[*view], Read::Full, &mut |rows: &[R]| {
                    if !found {
                        let (lo, hi) = self.seek(*slot, batch, rows);
                        found = lo < hi;
                    }
                    batch += 1;
                });
                if !found {
                    self.exec(steps, idx + 1, sink);
                }
            }
            CStep::Filter { op, lhs, rhs } => {
                let Some(lhs) = lhs.eval(self.values, &self.regs) else {
                    return;
                };
                let Some(rhs) = rhs.eval(self.values, &self.regs) else {
                    return;
                };
                if ops::compare(self.values, *op, lhs, rhs) {
                    self.exec(steps, idx + 1, sink);
                }
            }
            CStep::RawFilter { op, lhs, rhs } => {
                let (a, b) = (self.regs[*lhs], self.regs[*rhs]);
                let keep = match op {
                    CompareOp::Eq => a == b,
                    CompareOp::Ne => a != b,
                    CompareOp::Lt => a < b,
                    CompareOp::Le => a <= b,
                    CompareOp::Gt => a > b,
                    CompareOp::Ge => a >= b,
                };
                if keep {
                    self.exec(steps, idx + 1, sink);
                }
            }
            CStep::Assign { reg, ty, expr } => {
                let Some(val) = expr.eval(self.values, &self.regs) else {
                    return;
                };
                let Some(raw) = ops::encode(self.values, *ty, val) else {
                    return;
                };
                self.regs[*reg] = raw;
                self.exec(steps, idx + 1, sink);
            }
            CStep::Known {
                reg,
                ty,
                val,
                bound,
            } => {
                let Some(raw) = ops::encode(self.values, *ty, *val) else {
                    return;
                };
                if *bound {
                    if self.regs[*reg] != raw {
                        return;
                    }
                } else {
                    self.regs[*reg] = raw;
                }
                self.exec(steps, idx + 1, sink);
            }
            CStep::Aggregate(aggregate) => {
                let buf = &mut self.aggs[aggregate.slot];
                buf.rows.clear();
                buf.vals.clear();
                buf.n = 0;
                self.exec(&aggregate.steps, 0, Sink::Collect(aggregate));
                let mut buf = std::mem::take(&mut self.aggs[aggregate.slot]);
                let res = self.fold(aggregate, &mut buf);
                self.aggs[aggregate.slot] = buf;
                let Some(val) = res else { return };
                let Some(raw) = ops::encode(self.values, aggregate.ty, val) else {
                    return;
                };
                if aggregate.bound {
                    if self.regs[aggregate.reg] != raw {
                        return;
                    }
                } else {
                    self.regs[aggregate.reg] = raw;
                }
                self.exec(steps, idx + 1, sink);
            }
        }
    }

    /// Writes the key of a join into the slot's cursor; `false` when a bound
    /// value cannot be a value of the key column.
    fn load_key(&mut self, slot: usize, key: &[Bind]) -> bool {
        let cursor = &mut self.cursors[slot];
        cursor.key.clear();
        for bind in key {
            let raw = self.regs[bind.reg];
            let value = if bind.var_ty == bind.col_ty {
                raw
            } else {
                match ops::convert(self.values, bind.var_ty, bind.col_ty, raw) {
                    Some(value) => value,
                    None => return false,
                }
            };
            cursor.key.push(value);
        }
        // Keys arriving in order let every batch gallop on from its last position.
        let monotone = cursor.valid && cursor.key >= cursor.last_key;
        if !monotone {
            cursor.pos.clear();
        }
        cursor.last_key.clone_from(&cursor.key);
        cursor.valid = true;
        true
    }

    /// The range of `rows` (batch `batch`) whose first columns equal the slot's key.
    fn seek(&mut self, slot: usize, batch: usize, rows: &[R]) -> (usize, usize) {
        let cursor = &mut self.cursors[slot];
        if cursor.key.is_empty() {
            return (0, rows.len());
        }
        if cursor.pos.len() <= batch {
            cursor.pos.resize(batch + 1, 0);
        }
        let key = &cursor.key;
        let start = cursor.pos[batch].min(rows.len());
        let lo = gallop(rows, start, |row| prefix_cmp(row, key) == Ordering::Less);
        let hi = gallop(rows, lo, |row| prefix_cmp(row, key) == Ordering::Equal);
        cursor.pos[batch] = lo;
        (lo, hi)
    }

    fn bind_row(&mut self, row: &R, offset: usize, bind: &[Bind]) -> bool {
        for (pos, bind) in bind.iter().enumerate() {
            let raw = row.get(offset + pos);
            self.regs[bind.reg] = if bind.var_ty == bind.col_ty {
                raw
            } else {
                match ops::convert(self.values, bind.col_ty, bind.var_ty, raw) {
                    Some(value) => value,
                    None => return false,
                }
            };
        }
        true
    }

    fn emit(&mut self, head: &CHead) {
        if let Some((view, regs)) = &head.direct {
            let mut row = R::default();
            for (pos, &reg) in regs.iter().enumerate() {
                row.set(pos, self.regs[reg]);
            }
            self.out[*view].push(row);
            return;
        }
        self.head_buf.clear();
        for arg in &head.args {
            let value = match arg {
                CArg::Reg {
                    reg,
                    var_ty,
                    col_ty,
                } if var_ty == col_ty => Some(self.regs[*reg]),
                CArg::Reg {
                    reg,
                    var_ty,
                    col_ty,
                } => ops::convert(self.values, *var_ty, *col_ty, self.regs[*reg]),
                CArg::Expr { expr, col_ty } => match expr.eval(self.values, &self.regs) {
                    Some(val) => ops::encode(self.values, *col_ty, val),
                    None => None,
                },
            };
            let Some(value) = value else { return };
            self.head_buf.push(value);
        }
        for &view in &head.targets {
            let shape = &self.shapes[view];
            if shape.accepts(&self.head_buf) {
                self.out[view].push(shape.project(&self.head_buf));
            }
        }
    }

    fn collect(&mut self, aggregate: &CAggregate) {
        let val = match &aggregate.target {
            Some(target) => match target.eval(self.values, &self.regs) {
                Some(val) => Some(val),
                None => return,
            },
            None => None,
        };
        let buf = &mut self.aggs[aggregate.slot];
        for &reg in &aggregate.locals {
            buf.rows.push(self.regs[reg]);
        }
        buf.vals.push(val.unwrap_or(Val::Int(0)));
        buf.n += 1;
    }

    /// The aggregate over the distinct assignments collected in `buf`;
    /// `None` when the rule does not fire (empty min/max/mean, overflow).
    /// Reuses `buf.keep`: no allocation per group once the buffers have grown.
    fn fold(&self, aggregate: &CAggregate, buf: &mut AggBuf) -> Option<Val> {
        let stride = aggregate.locals.len();
        // The distinct assignments of the local variables, as indexes into `buf`.
        let AggBuf {
            rows,
            vals,
            n,
            keep,
        } = buf;
        keep.clear();
        if stride == 0 {
            // Without locals every assignment is the same (empty) one.
            keep.extend(0..(*n).min(1));
        } else {
            keep.extend(0..*n);
            if !aggregate.distinct {
                let row = |idx: usize| &rows[idx * stride..(idx + 1) * stride];
                keep.sort_unstable_by(|&a, &b| row(a).cmp(row(b)));
                keep.dedup_by(|a, b| row(*a) == row(*b));
            }
        }
        let picked = keep.iter().map(|&idx| vals[idx]);
        ops::fold_aggregate(self.values, aggregate.func, picked, keep.len())
    }
}

/// Calls `f` with each pair of runs of `left` and `right` (both sorted) that
/// agree on their first `key_len` columns, galloping over the gaps.
fn merge_join<R: Row>(left: &[R], right: &[R], key_len: usize, f: &mut dyn FnMut(&[R], &[R])) {
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        match rows_cmp(&left[i], &right[j], key_len) {
            Ordering::Less => {
                let target = right[j];
                i = gallop(left, i, |row| {
                    rows_cmp(row, &target, key_len) == Ordering::Less
                });
            }
            Ordering::Greater => {
                let target = left[i];
                j = gallop(right, j, |row| {
                    rows_cmp(row, &target, key_len) == Ordering::Less
                });
            }
            Ordering::Equal => {
                let target = left[i];
                let i_end = gallop(left, i, |row| {
                    rows_cmp(row, &target, key_len) == Ordering::Equal
                });
                let j_end = gallop(right, j, |row| {
                    rows_cmp(row, &target, key_len) == Ordering::Equal
                });
                f(&left[i..i_end], &right[j..j_end]);
                i = i_end;
                j = j_end;
            }
        }
    }
}

#[inline]
fn rows_cmp<R: Row>(a: &R, b: &R, key_len: usize) -> Ordering {
    for idx in 0..key_len {
        match a.get(idx).cmp(&b.get(idx)) {
            Ordering::Equal => (),
            other => return other,
        }
    }
    Ordering::Equal
}

/// The first index at or after `start` where `pred` (true on a prefix of
/// `rows[start..]`) turns false, by galloping.
fn gallop<R>(rows: &[R], start: usize, pred: impl Fn(&R) -> bool) -> usize {
    let mut lo = start;
    if lo >= rows.len() || !pred(&rows[lo]) {
        return lo;
    }
    let mut step = 1;
    while lo + step < rows.len() && pred(&rows[lo + step]) {
        lo += step;
        step <<= 1;
    }
    let hi = (lo + step).min(rows.len());
    lo + 1 + rows[lo + 1..hi].partition_point(pred)
}

#[inline]
fn prefix_cmp<R: Row>(row: &R, key: &[Value]) -> Ordering {
    for (idx, value) in key.iter().enumerate() {
        match row.get(idx).cmp(value) {
            Ordering::Equal => (),
            other => return other,
        }
    }
    Ordering::Equal
}
