//! This module evaluates a planned program on datafrog: strata in order,
//! semi-naive within a stratum, relations kept for queries and later updates.
//!
//! Each stratum runs with one row type (see [`row`]): fixed-width arrays of
//! `u32` when every stored column holds symbols or `any` ids, else of `u64`,
//! as wide as the stratum's widest view. A finished stratum keeps its
//! `Iteration`, `Variable`s and indexes; later strata read it through the
//! [`stratum::Stored`] interface.

mod ops;
mod row;
mod stratum;
#[cfg(test)]
mod tests;

use std::cell::{Cell, OnceCell, RefCell};
use std::time::{Duration, Instant};

use crate::engine::row::{MAX_WIDTH, with_row_type};
use crate::engine::stratum::{Prior, Stored};
use crate::ir::{self, RelId, Type};
use crate::plan::{self, Plan};
use crate::value::{Value, ValueStore};

/// Resource limits for one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub timeout: Option<Duration>,
    /// The most tuples all derived relations together may hold.
    pub max_tuples: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("evaluation stopped after {seconds} s, the time limit (--timeout)")]
    Timeout { seconds: f64 },
    #[error("evaluation stopped at {tuples} derived tuples, the limit (--max-tuples)")]
    TupleLimit { tuples: u64 },
    /// A rule joins on more columns than a stored row holds.
    #[error(
        "relation `{relation}` needs an index of {columns} columns; the engine supports at most {max}"
    )]
    TooWide {
        relation: String,
        columns: usize,
        max: usize,
    },
}

/// The size of one relation after evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationStats {
    pub name: String,
    pub tuples: usize,
    /// The stratum that derives it.
    pub stratum: Option<usize>,
}

pub struct Engine {
    relations: Vec<ir::Relation>,
    rules: Vec<ir::Rule>,
    plan: Plan,
    values: ValueStore,
    /// Base facts not yet handed to a stratum, per relation.
    pending: Vec<Vec<Value>>,
    /// Arity-0 relations whose empty tuple is a base fact.
    pending_units: Vec<bool>,
    /// Per relation: some rule derives it.
    derived: Vec<bool>,
    /// Base facts of derived relations, kept for a later run.
    derived_base: Vec<Vec<Value>>,
    derived_base_units: Vec<bool>,
    stores: Vec<Box<dyn Stored>>,
    /// Per relation: the index in `stores` of what holds it.
    home: Vec<Option<usize>>,
    /// Per relation: its tuples sorted, flattened on first request.
    sorted: Vec<OnceCell<Vec<Value>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("relations", &self.relations.len())
            .field("strata", &self.plan.strata.len())
            .finish()
    }
}

impl Engine {
    pub fn new(program: &ir::Program) -> Engine {
        let n = program.relations.len();
        let mut derived = vec![false; n];
        for rule in &program.rules {
            derived[rule.head.rel.0 as usize] = true;
        }
        Engine {
            relations: program.relations.clone(),
            rules: program.rules.clone(),
            plan: plan::plan(program),
            values: ValueStore::default(),
            pending: vec![Vec::new(); n],
            pending_units: vec![false; n],
            derived,
            derived_base: vec![Vec::new(); n],
            derived_base_units: vec![false; n],
            stores: Vec::new(),
            home: vec![None; n],
            sorted: (0..n).map(|_| OnceCell::new()).collect(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn values(&self) -> &ValueStore {
        &self.values
    }

    pub fn values_mut(&mut self) -> &mut ValueStore {
        &mut self.values
    }

    /// Adds base facts: `rows` holds whole tuples one after another (arity values each).
    /// For an arity-0 relation use [`Engine::insert_empty_tuple`].
    pub fn insert(&mut self, rel: RelId, rows: Vec<Value>) {
        let pending = &mut self.pending[rel.0 as usize];
        if pending.is_empty() {
            *pending = rows;
        } else {
            pending.extend_from_slice(&rows);
        }
    }

    /// Adds the empty tuple to an arity-0 relation (`ok().`).
    pub fn insert_empty_tuple(&mut self, rel: RelId) {
        self.pending_units[rel.0 as usize] = true;
    }

    /// Evaluates every stratum. Base facts inserted since the last run are
    /// consumed; a later run starts from scratch with only new facts.
    pub fn run(&mut self, limits: &Limits) -> Result<(), EngineError> {
        let start = Instant::now();
        // A second run starts from scratch with every base fact so far.
        for store in &mut self.stores {
            for (rel, rows, unit) in store.take_facts() {
                let pending = &mut self.pending[rel.0 as usize];
                let mut all = rows;
                all.extend_from_slice(pending);
                *pending = all;
                self.pending_units[rel.0 as usize] |= unit;
            }
        }
        for (idx, rows) in self.derived_base.iter().enumerate() {
            if !rows.is_empty() {
                let mut all = rows.clone();
                all.extend_from_slice(&self.pending[idx]);
                self.pending[idx] = all;
            }
            self.pending_units[idx] |= self.derived_base_units[idx];
        }
        self.stores.clear();
        self.home.iter_mut().for_each(|home| *home = None);
        self.sorted
            .iter_mut()
            .for_each(|sorted| *sorted = OnceCell::new());
        let mut derived_before = 0u64;
        for stratum_plan in &self.plan.strata {
            let mut width = 1;
            let mut narrow = true;
            for view in &stratum_plan.views {
                let relation = &self.relations[view.rel.0 as usize];
                if view.cols.len() > MAX_WIDTH {
                    return Err(EngineError::TooWide {
                        relation: relation.name.clone(),
                        columns: view.cols.len(),
                        max: MAX_WIDTH,
                    });
                }
                width = width.max(view.cols.len());
                narrow &= view
                    .cols
                    .iter()
                    .all(|&col| matches!(relation.columns[col].ty, Type::Symbol | Type::Any));
            }
            let mut base = Vec::new();
            let mut base_units = Vec::new();
            for &rel in &stratum_plan.relations {
                // Base facts of derived relations are rare and small: a copy
                // is kept for later runs.
                let rows = std::mem::take(&mut self.pending[rel.0 as usize]);
                if !rows.is_empty() {
                    self.derived_base[rel.0 as usize].clone_from(&rows);
                    base.push((rel, rows));
                }
                if std::mem::take(&mut self.pending_units[rel.0 as usize]) {
                    self.derived_base_units[rel.0 as usize] = true;
                    base_units.push(rel);
                }
            }
            if !stratum_plan.facts.is_empty() {
                let mut facts = FactStore::default();
                for &rel in &stratum_plan.facts {
                    let rows = std::mem::take(&mut self.pending[rel.0 as usize]);
                    let unit = std::mem::take(&mut self.pending_units[rel.0 as usize]);
                    facts.add(rel, self.relations[rel.0 as usize].arity(), rows, unit);
                    self.home[rel.0 as usize] = Some(self.stores.len());
                }
                self.stores.push(Box::new(facts));
            }
            if stratum_plan.relations.is_empty() {
                continue;
            }
            let cx = stratum::Cx {
                plan: stratum_plan,
                relations: &self.relations,
                rules: &self.rules,
                values: &mut self.values,
                prior: Prior {
                    stores: &self.stores,
                    home: &self.home,
                },
                base,
                base_units,
                limits,
                start,
                derived_before,
                derived: &self.derived,
            };
            let store = with_row_type!(narrow, width, R => stratum::evaluate::<R>(cx))?;
            for &rel in &stratum_plan.relations {
                if self.derived[rel.0 as usize] {
                    derived_before += store.len(rel) as u64;
                }
                self.home[rel.0 as usize] = Some(self.stores.len());
            }
            self.stores.push(store);
        }
        // Facts of relations no stratum holds (a program without strata for them).
        let mut loose = FactStore::default();
        for (idx, rows) in self.pending.iter_mut().enumerate() {
            let unit = std::mem::take(&mut self.pending_units[idx]);
            if self.home[idx].is_some() || (rows.is_empty() && !unit) {
                continue;
            }
            let arity = self.relations[idx].arity();
            let rows = std::mem::take(rows);
            self.home[idx] = Some(self.stores.len());
            loose.add(RelId(idx as u32), arity, rows, unit);
        }
        if !loose.rels.is_empty() {
            self.stores.push(Box::new(loose));
        }
        Ok(())
    }

    pub fn len(&self, rel: RelId) -> usize {
        match self.home[rel.0 as usize] {
            Some(store) => self.stores[store].len(rel),
            None => 0,
        }
    }

    pub fn is_empty(&self, rel: RelId) -> bool {
        self.len(rel) == 0
    }

    /// The tuples of a relation in sorted order (by stored value: numbers
    /// numerically, symbols by interning order).
    pub fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_> {
        let arity = self.relations[rel.0 as usize].arity();
        if arity == 0 {
            return Box::new(std::iter::repeat_n(&[][..], self.len(rel)));
        }
        let flat = self.sorted[rel.0 as usize].get_or_init(|| {
            let mut rows = Vec::with_capacity(self.len(rel) * arity);
            if let Some(store) = self.home[rel.0 as usize] {
                self.stores[store].for_each(rel, &mut |row| rows.extend_from_slice(row));
            }
            sort_rows(arity, rows, false)
        });
        Box::new(flat.chunks_exact(arity))
    }

    /// Sizes of all relations, in declaration order.
    pub fn relation_stats(&self) -> Vec<RelationStats> {
        let stratum_of = |rel: RelId| {
            self.plan.strata.iter().position(|stratum| {
                stratum.relations.contains(&rel) || stratum.facts.contains(&rel)
            })
        };
        self.relations
            .iter()
            .enumerate()
            .map(|(idx, relation)| RelationStats {
                name: relation.name.clone(),
                tuples: self.len(RelId(idx as u32)),
                stratum: stratum_of(RelId(idx as u32)),
            })
            .collect()
    }
}

/// Sorts and deduplicates whole tuples of `arity` values laid out one after another.
fn sort_rows(arity: usize, rows: Vec<Value>, unit: bool) -> Vec<Value> {
    if arity == 0 {
        return if unit { vec![0] } else { Vec::new() };
    }
    let n_rows = rows.len() / arity;
    let row = |idx: usize| &rows[idx * arity..(idx + 1) * arity];
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.sort_unstable_by(|&a, &b| row(a).cmp(row(b)));
    order.dedup_by(|a, b| row(*a) == row(*b));
    let mut res = Vec::with_capacity(order.len() * arity);
    for idx in order {
        res.extend_from_slice(row(idx));
    }
    res
}

/// Base facts of relations no rule derives, kept as inserted (no copy, no
/// sort); sorted and deduplicated in place the first time their size is asked.
/// Views of later strata sort and deduplicate what they read anyway.
#[derive(Default)]
struct FactStore {
    rels: Vec<Facts>,
}

struct Facts {
    rel: RelId,
    arity: usize,
    /// Whole tuples one after another; for arity 0 a single `0` marks the empty tuple.
    rows: RefCell<Vec<Value>>,
    sorted: Cell<bool>,
}

impl FactStore {
    fn take(&mut self) -> Vec<(RelId, Vec<Value>, bool)> {
        self.rels
            .drain(..)
            .map(|facts| {
                let rows = facts.rows.into_inner();
                if facts.arity == 0 {
                    (facts.rel, Vec::new(), !rows.is_empty())
                } else {
                    (facts.rel, rows, false)
                }
            })
            .collect()
    }

    fn add(&mut self, rel: RelId, arity: usize, rows: Vec<Value>, unit: bool) {
        let rows = if arity == 0 {
            if unit { vec![0] } else { Vec::new() }
        } else {
            rows
        };
        self.rels.push(Facts {
            rel,
            arity,
            rows: RefCell::new(rows),
            sorted: Cell::new(arity == 0),
        });
    }

    fn facts(&self, rel: RelId) -> Option<&Facts> {
        self.rels.iter().find(|facts| facts.rel == rel)
    }
}

impl Stored for FactStore {
    fn take_facts(&mut self) -> Vec<(RelId, Vec<Value>, bool)> {
        self.take()
    }

    fn len(&self, rel: RelId) -> usize {
        let Some(facts) = self.facts(rel) else {
            return 0;
        };
        if facts.arity == 0 {
            return facts.rows.borrow().len();
        }
        if !facts.sorted.get() {
            let rows = std::mem::take(&mut *facts.rows.borrow_mut());
            *facts.rows.borrow_mut() = sort_rows(facts.arity, rows, false);
            facts.sorted.set(true);
        }
        facts.rows.borrow().len() / facts.arity
    }

    fn for_each(&self, rel: RelId, f: &mut dyn FnMut(&[Value])) {
        let Some(facts) = self.facts(rel) else { return };
        let rows = facts.rows.borrow();
        match facts.arity {
            0 => rows.iter().for_each(|_| f(&[])),
            arity => rows.chunks_exact(arity).for_each(f),
        }
    }
}
