//! This module brings a finished stratum up to date after its inputs change,
//! without evaluating it again from scratch when it can:
//!
//! - insertions only: the changed tuples of earlier strata drive the rules'
//!   upstream variants (every other atom reads all of its view), the results
//!   go into the stratum's `Variable`s, and the semi-naive loop continues;
//! - deletions: delete and re-derive (DRed). Overdelete semi-naively from the
//!   deleted tuples against the old state, remove the overdeleted tuples from
//!   the views, re-derive those that still have a derivation (the rule with its
//!   head bound, and base facts), then continue as for insertions;
//! - a changed relation read under negation, in an aggregate or by a count:
//!   evaluate the stratum again from its inputs and diff the result.
//!
//! Every stratum reports the exact change of its relations, the input of the
//! strata after it.

use datafrog::Relation;

use crate::engine::row::Row;
use crate::engine::stratum::{
    CHead, CStep, Cx, Exec, PrepareCx, State, StratumUpdate, UpdateCx, ViewData, ViewShape,
    build_state, check_limits, compile_head, compile_steps, flush, view_len,
};
use crate::engine::{EngineError, StratumAction};
use crate::ir::{self, RelId};
use crate::plan::{Step, StratumPlan, View, ViewId};
use crate::value::Value;

/// Builds the lazy views from the stratum's current (pre-update) state.
pub(super) fn prepare_state<R: Row>(state: &mut State<R>, cx: PrepareCx<'_>) {
    let PrepareCx {
        plan,
        relations,
        values,
        prior,
    } = cx;
    for (idx, view) in plan.views.iter().enumerate() {
        if !view.lazy || !matches!(state.views[idx], ViewData::Lazy) {
            continue;
        }
        let relation = &relations[view.rel.0 as usize];
        let shape = ViewShape::new(values, relation, view);
        let mut rows: Vec<R> = Vec::new();
        if view.dynamic {
            let stride = relation.arity().max(1);
            let mut buf = vec![0; stride];
            if let Some(&(_, storage, ref cols)) = state.storage(view.rel) {
                super::for_each_batch(&state.views[storage], super::Read::Full, &mut |batch| {
                    for row in batch {
                        to_tuple(row, cols, &mut buf);
                        if shape.accepts(&buf) {
                            rows.push(shape.project(&buf));
                        }
                    }
                });
            }
            R::sort_dedup(&mut rows);
            let variable = state.iteration.variable::<R>(&relation.name);
            if !rows.is_empty() {
                variable
                    .stable
                    .borrow_mut()
                    .push(Relation { elements: rows });
            }
            state.views[idx] = ViewData::Dynamic(variable);
        } else {
            prior.for_each(view.rel, &mut |row| {
                if shape.accepts(row) {
                    rows.push(shape.project(row));
                }
            });
            R::sort_dedup(&mut rows);
            state.views[idx] = ViewData::Static(Relation { elements: rows });
        }
    }
}

/// One compiled variant with both heads: into every view (insertion) or
/// into the storage view only (overdeletion, re-derivation).
struct CVariant {
    /// The view its delta (or seed) step reads.
    delta: Option<ViewId>,
    head_rel: RelId,
    steps: Vec<CStep>,
    head_all: CHead,
    head_store: CHead,
    n_regs: usize,
}

struct Compiled {
    recursive: Vec<CVariant>,
    upstream: Vec<CVariant>,
    rederive: Vec<CVariant>,
    slots: usize,
}

pub(super) fn update_state<R: Row>(
    state: &mut State<R>,
    cx: UpdateCx<'_>,
) -> Result<StratumUpdate, EngineError> {
    let UpdateCx {
        plan,
        relations,
        rules,
        values,
        prior,
        changes,
        base,
        limits,
        start,
        derived_before,
        derived,
        mut rounds,
    } = cx;
    let changed = |rel: RelId| {
        let (ins, del) = &changes[rel.0 as usize];
        !ins.is_empty() || !del.is_empty()
    };
    let stride = |rel: RelId| relations[rel.0 as usize].arity().max(1);
    let own_changed = plan.relations.iter().any(|&rel| changed(rel));
    let mut nonmonotone = Vec::new();
    for rule_plan in &plan.rules {
        for variant in &rule_plan.variants {
            nonmonotone_reads(&variant.steps, &plan.views, false, &mut nonmonotone);
        }
    }
    let read_changed = plan
        .views
        .iter()
        .any(|view| !view.dynamic && changed(view.rel))
        || nonmonotone.iter().any(|&rel| changed(rel));
    if !own_changed && !read_changed {
        return Ok(StratumUpdate {
            action: StratumAction::Skipped,
            changes: Vec::new(),
        });
    }
    if nonmonotone.iter().any(|&rel| changed(rel)) {
        return recompute(
            state,
            Cx {
                plan,
                relations,
                rules,
                values,
                prior,
                base: Vec::new(),
                base_units: Vec::new(),
                limits,
                start,
                derived_before,
                derived,
                restore: false,
                rounds,
            },
            base,
        );
    }

    let shapes: Vec<ViewShape> = plan
        .views
        .iter()
        .map(|view| ViewShape::new(values, &relations[view.rel.0 as usize], view))
        .collect();
    let n_views = plan.views.len();
    let own = state.storage.clone();

    // The changed rows of every static view, projected.
    let mut view_ins: Vec<Vec<R>> = vec![Vec::new(); n_views];
    let mut view_del: Vec<Vec<R>> = vec![Vec::new(); n_views];
    for (idx, view) in plan.views.iter().enumerate() {
        if view.dynamic || !matches!(state.views[idx], ViewData::Static(_)) {
            continue;
        }
        let (ins, del) = &changes[view.rel.0 as usize];
        for (rows, out) in [(ins, &mut view_ins[idx]), (del, &mut view_del[idx])] {
            for tuple in rows.chunks_exact(stride(view.rel)) {
                if shapes[idx].accepts(tuple) {
                    out.push(shapes[idx].project(tuple));
                }
            }
            R::sort_dedup(out);
        }
    }
    // Per relation of the stratum: every materialized dynamic view.
    let targets: Vec<Vec<ViewId>> = own
        .iter()
        .map(|(rel, _, _)| {
            (0..n_views)
                .filter(|&idx| {
                    plan.views[idx].dynamic
                        && plan.views[idx].rel == *rel
                        && matches!(state.views[idx], ViewData::Dynamic(_))
                })
                .collect()
        })
        .collect();
    let own_idx = |rel: RelId| own.iter().position(|(stored, _, _)| *stored == rel);

    let compiled = compile(
        values, relations, rules, plan, &prior, &shapes, &own, &targets,
    );

    // 1. Overdelete, against the old state.
    let mut dset: Vec<Vec<R>> = vec![Vec::new(); own.len()];
    let mut fresh: Vec<Vec<R>> = vec![Vec::new(); own.len()];
    for (k, (rel, storage, _)) in own.iter().enumerate() {
        for tuple in changes[rel.0 as usize].1.chunks_exact(stride(*rel)) {
            let row: R = shapes[*storage].project(tuple);
            if contains(&state.views[*storage], &row) {
                fresh[k].push(row);
            }
        }
    }
    let any_delete =
        view_del.iter().any(|rows| !rows.is_empty()) || fresh.iter().any(|rows| !rows.is_empty());
    if any_delete {
        let mut out: Vec<Vec<R>> = vec![Vec::new(); n_views];
        let mut exec = new_exec(&state.views, &shapes, values, Some(&view_del), &mut out);
        for variant in &compiled.upstream {
            if variant.delta.is_some_and(|view| !view_del[view].is_empty()) {
                exec.run(
                    &variant.steps,
                    &variant.head_store,
                    compiled.slots,
                    variant.n_regs,
                );
            }
        }
        drop(exec);
        for (k, (_, storage, _)) in own.iter().enumerate() {
            let rows = std::mem::take(&mut out[*storage]);
            fresh[k].extend(
                rows.into_iter()
                    .filter(|row| contains(&state.views[*storage], row)),
            );
        }
        loop {
            let mut any = false;
            for k in 0..own.len() {
                R::sort_dedup(&mut fresh[k]);
                fresh[k] = minus(&fresh[k], &dset[k]);
                if !fresh[k].is_empty() {
                    any = true;
                    dset[k] = union(&dset[k], &fresh[k]);
                }
            }
            if !any {
                break;
            }
            check_limits(limits, start, 0)?;
            let mut given: Vec<Vec<R>> = vec![Vec::new(); n_views];
            for (k, (rel, _, cols)) in own.iter().enumerate() {
                for &view in &targets[k] {
                    given[view] = reproject(&fresh[k], cols, stride(*rel), &shapes[view]);
                }
            }
            let mut out: Vec<Vec<R>> = vec![Vec::new(); n_views];
            let mut exec = new_exec(&state.views, &shapes, values, Some(&given), &mut out);
            for variant in &compiled.recursive {
                if variant.delta.is_some_and(|view| !given[view].is_empty()) {
                    exec.run(
                        &variant.steps,
                        &variant.head_store,
                        compiled.slots,
                        variant.n_regs,
                    );
                }
            }
            drop(exec);
            for (k, (_, storage, _)) in own.iter().enumerate() {
                let rows = std::mem::take(&mut out[*storage]);
                fresh[k] = rows
                    .into_iter()
                    .filter(|row| contains(&state.views[*storage], row))
                    .collect();
            }
        }
    }

    // 2. Apply: static views take their changes, dynamic views lose the
    // overdeleted tuples.
    let mut view_new: Vec<Vec<R>> = vec![Vec::new(); n_views];
    for (idx, view) in plan.views.iter().enumerate() {
        let ViewData::Static(relation) = &mut state.views[idx] else {
            continue;
        };
        if view_ins[idx].is_empty() && view_del[idx].is_empty() {
            continue;
        }
        if !view_del[idx].is_empty() {
            if injective(view, &relations[view.rel.0 as usize]) {
                relation.elements = minus(&relation.elements, &view_del[idx]);
            } else {
                let mut rows: Vec<R> = Vec::new();
                prior.for_each(view.rel, &mut |row| {
                    if shapes[idx].accepts(row) {
                        rows.push(shapes[idx].project(row));
                    }
                });
                R::sort_dedup(&mut rows);
                view_new[idx] = minus(&rows, &relation.elements);
                relation.elements = rows;
                continue;
            }
        }
        if !view_ins[idx].is_empty() {
            view_new[idx] = minus(&view_ins[idx], &relation.elements);
            relation.elements = union(&relation.elements, &view_new[idx]);
        }
    }
    if let Some(heights) = state.heights.as_mut() {
        // Overdeleted tuples lose their annotation; re-derived ones get a new one.
        for (k, rows) in dset.iter().enumerate() {
            for row in rows {
                heights[k].remove(row);
            }
        }
    }
    for (k, (rel, storage, cols)) in own.iter().enumerate() {
        if dset[k].is_empty() {
            continue;
        }
        remove_from_variable(&state.views[*storage], &dset[k]);
        for &view in &targets[k] {
            if view == *storage {
                continue;
            }
            if injective(&plan.views[view], &relations[rel.0 as usize]) {
                let rows = reproject(&dset[k], cols, stride(*rel), &shapes[view]);
                remove_from_variable(&state.views[view], &rows);
            } else {
                let mut rows = Vec::new();
                let mut buf = vec![0; stride(*rel)];
                super::for_each_batch(&state.views[*storage], super::Read::Full, &mut |batch| {
                    for row in batch {
                        to_tuple(row, cols, &mut buf);
                        if shapes[view].accepts(&buf) {
                            rows.push(shapes[view].project(&buf));
                        }
                    }
                });
                R::sort_dedup(&mut rows);
                if let ViewData::Dynamic(variable) = &state.views[view] {
                    let mut stable = variable.stable.borrow_mut();
                    stable.clear();
                    if !rows.is_empty() {
                        stable.push(Relation { elements: rows });
                    }
                }
            }
        }
    }

    // 3. Re-derive, add base facts and upstream insertions, continue.
    let mut out: Vec<Vec<R>> = vec![Vec::new(); n_views];
    let push_rows = |out: &mut Vec<Vec<R>>, k: usize, rows: &[R]| {
        let (rel, _, cols) = &own[k];
        for &view in &targets[k] {
            let projected = reproject(rows, cols, stride(*rel), &shapes[view]);
            out[view].extend(projected);
        }
    };
    if dset.iter().any(|rows| !rows.is_empty()) {
        let mut found: Vec<Vec<R>> = vec![Vec::new(); n_views];
        for variant in &compiled.rederive {
            let Some(k) = own_idx(variant.head_rel) else {
                continue;
            };
            if dset[k].is_empty() {
                continue;
            }
            let (rel, _, cols) = &own[k];
            let seed = to_tuples(&dset[k], cols, stride(*rel));
            let mut exec = new_exec(&state.views, &shapes, values, None, &mut found);
            exec.seed = &seed;
            exec.seed_stride = stride(*rel);
            exec.run(
                &variant.steps,
                &variant.head_store,
                compiled.slots,
                variant.n_regs,
            );
        }
        for (k, (rel, storage, _)) in own.iter().enumerate() {
            if dset[k].is_empty() {
                continue;
            }
            let mut rows = std::mem::take(&mut found[*storage]);
            for tuple in base[rel.0 as usize].chunks_exact(stride(*rel)) {
                rows.push(shapes[*storage].project(tuple));
            }
            R::sort_dedup(&mut rows);
            let rederived = intersect(&rows, &dset[k]);
            push_rows(&mut out, k, &rederived);
        }
    }
    for (k, (rel, _, _)) in own.iter().enumerate() {
        let ins = &changes[rel.0 as usize].0;
        for tuple in ins.chunks_exact(stride(*rel)) {
            for &view in &targets[k] {
                if shapes[view].accepts(tuple) {
                    out[view].push(shapes[view].project(tuple));
                }
            }
        }
    }
    if view_new.iter().any(|rows| !rows.is_empty()) {
        let mut exec = new_exec(&state.views, &shapes, values, Some(&view_new), &mut out);
        for variant in &compiled.upstream {
            if variant.delta.is_some_and(|view| !view_new[view].is_empty()) {
                exec.run(
                    &variant.steps,
                    &variant.head_all,
                    compiled.slots,
                    variant.n_regs,
                );
            }
        }
    }
    flush(&state.views, &mut out);
    let count_derived = |views: &[ViewData<R>]| -> u64 {
        own.iter()
            .filter(|(rel, _, _)| derived[rel.0 as usize])
            .map(|(_, view, _)| view_len(&views[*view]) as u64)
            .sum()
    };
    let mut added: Vec<Vec<R>> = vec![Vec::new(); own.len()];
    while state.iteration.changed() {
        if let (Some(heights), Some(round)) = (state.heights.as_mut(), rounds.as_deref_mut()) {
            super::record_heights(&state.views, &own, heights, round);
        }
        for (k, (_, storage, _)) in own.iter().enumerate() {
            if let ViewData::Dynamic(variable) = &state.views[*storage] {
                added[k].extend_from_slice(&variable.recent.borrow().elements);
            }
        }
        check_limits(limits, start, derived_before + count_derived(&state.views))?;
        let mut exec = new_exec(&state.views, &shapes, values, None, &mut out);
        for variant in &compiled.recursive {
            exec.run(
                &variant.steps,
                &variant.head_all,
                compiled.slots,
                variant.n_regs,
            );
        }
        drop(exec);
        flush(&state.views, &mut out);
    }
    check_limits(limits, start, derived_before + count_derived(&state.views))?;

    let mut res = Vec::new();
    for (k, (rel, _, cols)) in own.iter().enumerate() {
        R::sort_dedup(&mut added[k]);
        let ins = minus(&added[k], &dset[k]);
        let del = minus(&dset[k], &added[k]);
        if ins.is_empty() && del.is_empty() {
            continue;
        }
        res.push((
            *rel,
            to_tuples(&ins, cols, stride(*rel)),
            to_tuples(&del, cols, stride(*rel)),
        ));
    }
    Ok(StratumUpdate {
        action: if any_delete {
            StratumAction::Dred
        } else {
            StratumAction::Continued
        },
        changes: res,
    })
}

/// Evaluates the stratum again from its inputs and reports the difference.
fn recompute<R: Row>(
    state: &mut State<R>,
    mut cx: Cx<'_>,
    base: &[Vec<Value>],
) -> Result<StratumUpdate, EngineError> {
    let contents = |state: &State<R>| -> Vec<Vec<R>> {
        state
            .storage
            .iter()
            .map(|(_, view, _)| {
                let mut rows = Vec::new();
                super::for_each_batch(&state.views[*view], super::Read::Full, &mut |batch| {
                    rows.extend_from_slice(batch)
                });
                R::sort_dedup(&mut rows);
                rows
            })
            .collect()
    };
    let old = contents(state);
    for &rel in &cx.plan.relations {
        let rows = &base[rel.0 as usize];
        if cx.relations[rel.0 as usize].arity() == 0 {
            if !rows.is_empty() {
                cx.base_units.push(rel);
            }
        } else if !rows.is_empty() {
            cx.base.push((rel, rows.clone()));
        }
    }
    *state = build_state::<R>(cx)?;
    let new = contents(state);
    let mut res = Vec::new();
    for (k, (rel, _, cols)) in state.storage.iter().enumerate() {
        let ins = minus(&new[k], &old[k]);
        let del = minus(&old[k], &new[k]);
        if ins.is_empty() && del.is_empty() {
            continue;
        }
        let stride = cols.len().max(1);
        res.push((
            *rel,
            to_tuples(&ins, cols, stride),
            to_tuples(&del, cols, stride),
        ));
    }
    Ok(StratumUpdate {
        action: StratumAction::Recomputed,
        changes: res,
    })
}

#[allow(clippy::too_many_arguments)]
fn compile(
    values: &mut crate::value::ValueStore,
    relations: &[ir::Relation],
    rules: &[ir::Rule],
    plan: &StratumPlan,
    prior: &super::Prior<'_>,
    shapes: &[ViewShape],
    own: &[(RelId, ViewId, Vec<usize>)],
    targets: &[Vec<ViewId>],
) -> Compiled {
    let mut res = Compiled {
        recursive: Vec::new(),
        upstream: Vec::new(),
        rederive: Vec::new(),
        slots: 0,
    };
    for rule_plan in &plan.rules {
        let rule = &rules[rule_plan.rule.0 as usize];
        let Some(k) = own
            .iter()
            .position(|(rel, _, _)| *rel == rule_plan.head_rel)
        else {
            continue;
        };
        let head_all = compile_head(values, relations, rule, &targets[k], shapes);
        let head_store = compile_head(values, relations, rule, &[own[k].1], shapes);
        let mut slots = 0;
        let mut compile_variant = |steps: &[Step], slots: &mut usize| {
            let steps = compile_steps(values, relations, rule, &plan.views, prior, steps, slots);
            let delta = match steps.first() {
                Some(CStep::Delta { view, .. }) => Some(*view),
                _ => None,
            };
            CVariant {
                delta,
                head_rel: rule_plan.head_rel,
                steps,
                head_all: head_all.clone(),
                head_store: head_store.clone(),
                n_regs: rule.vars.len(),
            }
        };
        for variant in &rule_plan.variants {
            if variant.delta.is_some() {
                res.recursive
                    .push(compile_variant(&variant.steps, &mut slots));
            }
        }
        for variant in &rule_plan.upstream {
            res.upstream
                .push(compile_variant(&variant.steps, &mut slots));
        }
        res.rederive
            .push(compile_variant(&rule_plan.rederive.steps, &mut slots));
        res.slots = res.slots.max(slots);
    }
    res
}

fn new_exec<'v, R: Row>(
    views: &'v [ViewData<R>],
    shapes: &'v [ViewShape],
    values: &'v mut crate::value::ValueStore,
    given: Option<&'v [Vec<R>]>,
    out: &'v mut [Vec<R>],
) -> Exec<'v, R> {
    Exec {
        views,
        shapes,
        values,
        given,
        seed: &[],
        seed_stride: 1,
        regs: Vec::new(),
        cursors: Vec::new(),
        aggs: Vec::new(),
        head_buf: Vec::new(),
        out,
    }
}

/// Relations a rule reads under negation, in an aggregate or by a count.
fn nonmonotone_reads(steps: &[Step], views: &[View], inside: bool, out: &mut Vec<RelId>) {
    for step in steps {
        match step {
            Step::Anti { view, .. } => out.push(views[*view].rel),
            Step::Join { view, .. } | Step::Delta { view, .. } if inside => {
                out.push(views[*view].rel)
            }
            Step::Aggregate { steps, .. } => nonmonotone_reads(steps, views, true, out),
            Step::CountAll { rel, .. } => out.push(*rel),
            _ => (),
        }
    }
}

/// The view holds every column (in some order): distinct tuples have
/// distinct rows, so a deleted tuple's row can be removed exactly.
fn injective(view: &View, relation: &ir::Relation) -> bool {
    view.cols.len() == relation.arity()
}

fn to_tuple<R: Row>(row: &R, cols: &[usize], buf: &mut [Value]) {
    for (pos, &col) in cols.iter().enumerate() {
        buf[col] = row.get(pos);
    }
}

/// Storage rows as canonical relation-order tuples.
fn to_tuples<R: Row>(rows: &[R], cols: &[usize], stride: usize) -> Vec<Value> {
    let mut res = Vec::with_capacity(rows.len() * stride);
    let mut buf = vec![0; stride];
    for row in rows {
        to_tuple(row, cols, &mut buf);
        res.extend_from_slice(&buf);
    }
    res
}

/// Storage rows projected into another view of the same relation, sorted.
fn reproject<R: Row>(rows: &[R], cols: &[usize], stride: usize, shape: &ViewShape) -> Vec<R> {
    let mut res = Vec::with_capacity(rows.len());
    let mut buf = vec![0; stride];
    for row in rows {
        to_tuple(row, cols, &mut buf);
        if shape.accepts(&buf) {
            res.push(shape.project(&buf));
        }
    }
    R::sort_dedup(&mut res);
    res
}

pub(super) fn contains<R: Row>(view: &ViewData<R>, row: &R) -> bool {
    let mut found = false;
    super::for_each_batch(view, super::Read::Full, &mut |batch| {
        found = found || batch.binary_search(row).is_ok();
    });
    found
}

/// Removes sorted `rows` from every batch of a variable at fixpoint.
fn remove_from_variable<R: Row>(view: &ViewData<R>, rows: &[R]) {
    let ViewData::Dynamic(variable) = view else {
        return;
    };
    let mut stable = variable.stable.borrow_mut();
    for batch in stable.iter_mut() {
        if rows.len() * 16 < batch.elements.len() {
            // Few rows: find each, then close the gaps once.
            let mut hits: Vec<usize> = rows
                .iter()
                .filter_map(|row| batch.elements.binary_search(row).ok())
                .collect();
            if hits.is_empty() {
                continue;
            }
            hits.sort_unstable();
            let mut hit = 0;
            let mut idx = 0;
            batch.elements.retain(|_| {
                let keep = hits.get(hit) != Some(&idx);
                if !keep {
                    hit += 1;
                }
                idx += 1;
                keep
            });
        } else {
            batch.elements = minus(&batch.elements, rows);
        }
    }
    stable.retain(|batch| !batch.elements.is_empty());
}

/// Sorted rows of `a` not in sorted `b`.
fn minus<R: Ord + Copy>(a: &[R], b: &[R]) -> Vec<R> {
    if b.is_empty() {
        return a.to_vec();
    }
    if a.len() * 16 < b.len() {
        return a
            .iter()
            .filter(|row| b.binary_search(row).is_err())
            .copied()
            .collect();
    }
    let mut res = Vec::with_capacity(a.len());
    let mut j = 0;
    for row in a {
        while j < b.len() && b[j] < *row {
            j += 1;
        }
        if j < b.len() && b[j] == *row {
            continue;
        }
        res.push(*row);
    }
    res
}

fn intersect<R: Ord + Copy>(a: &[R], b: &[R]) -> Vec<R> {
    if a.len() * 16 < b.len() {
        return a
            .iter()
            .filter(|row| b.binary_search(row).is_ok())
            .copied()
            .collect();
    }
    let mut res = Vec::new();
    let mut j = 0;
    for row in a {
        while j < b.len() && b[j] < *row {
            j += 1;
        }
        if j < b.len() && b[j] == *row {
            res.push(*row);
        }
    }
    res
}

/// The sorted union of two sorted, deduplicated slices.
fn union<R: Ord + Copy>(a: &[R], b: &[R]) -> Vec<R> {
    let mut res = Vec::with_capacity(a.len() + b.len());
    if b.len() * 16 < a.len() {
        // Few rows into many: copy the runs between their places.
        let mut start = 0;
        for row in b {
            let pos = start + a[start..].partition_point(|other| other < row);
            res.extend_from_slice(&a[start..pos]);
            if a.get(pos) != Some(row) {
                res.push(*row);
            }
            start = pos;
        }
        res.extend_from_slice(&a[start..]);
        return res;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                res.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                res.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                res.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    res.extend_from_slice(&a[i..]);
    res.extend_from_slice(&b[j..]);
    res
}
