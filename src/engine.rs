//! This module evaluates a planned program on datafrog: strata in order,
//! semi-naive within a stratum, relations kept for queries and later updates.
//!
//! Each stratum runs with one row type (see [`row`]): fixed-width arrays of
//! `u32` when every stored column holds symbols or `any` ids, else of `u64`,
//! as wide as the stratum's widest view. A finished stratum keeps its
//! `Iteration`, `Variable`s and indexes; later strata read it through the
//! [`stratum::Stored`] interface.

mod evolve;
pub(crate) mod ops;
mod row;
mod stratum;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
#[cfg(test)]
mod update_tests;

use std::cell::{Cell, OnceCell, RefCell};
use std::time::{Duration, Instant};

use crate::engine::row::{MAX_WIDTH, with_row_type};
use crate::engine::stratum::{PrepareCx, Prior, Stored, UpdateCx};
use crate::ir::{self, RelId, Type};
use crate::plan::{self, Plan};
use crate::value::{Value, ValueStore};

pub use evolve::EvolveStats;

/// Resource limits for one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub timeout: Option<Duration>,
    /// The most tuples all derived relations together may hold.
    pub max_tuples: Option<u64>,
    /// Set from elsewhere (the REPL's Ctrl-C) to stop the evaluation.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("evaluation stopped after {seconds} s, the time limit (--timeout)")]
    Timeout { seconds: f64 },
    #[error("evaluation stopped at {tuples} derived tuples, the limit (--max-tuples)")]
    TupleLimit { tuples: u64 },
    #[error("evaluation cancelled")]
    Cancelled,
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

/// One change of base facts. Base facts are a set: inserting a present fact
/// or deleting an absent one does nothing. Deleting a base fact of a relation
/// some rule derives removes only its base-fact status (a rule may still
/// derive it). Within one change deletions apply before insertions; changes
/// apply in order.
#[derive(Clone, Debug)]
pub struct Change {
    pub rel: RelId,
    /// Whole tuples one after another (arity values each).
    pub insert: Vec<Value>,
    pub delete: Vec<Value>,
    /// For an arity-0 relation: insert (delete) the empty tuple.
    pub insert_unit: bool,
    pub delete_unit: bool,
}

impl Change {
    pub fn insert(rel: RelId, rows: Vec<Value>) -> Change {
        Change {
            rel,
            insert: rows,
            delete: Vec::new(),
            insert_unit: false,
            delete_unit: false,
        }
    }

    pub fn delete(rel: RelId, rows: Vec<Value>) -> Change {
        Change {
            rel,
            insert: Vec::new(),
            delete: rows,
            insert_unit: false,
            delete_unit: false,
        }
    }
}

/// What an update did to one stratum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StratumAction {
    /// No input of the stratum changed.
    Skipped,
    /// Insertions only: semi-naive evaluation continued from the changed tuples.
    Continued,
    /// Deletions: delete and re-derive (DRed), then insertions as for `Continued`.
    Dred,
    /// A relation read under negation, in an aggregate or by a count changed
    /// (or the whole engine was evaluated again): the stratum was evaluated
    /// again from its inputs.
    Recomputed,
}

/// What [`Engine::update`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateStats {
    /// Per stratum of the plan.
    pub strata: Vec<StratumAction>,
    /// Everything was evaluated from scratch: the engine had not run yet, or
    /// an earlier update stopped on a limit.
    pub full: bool,
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
    /// Base facts of derived relations, kept for a later run and for
    /// updates: sorted and deduplicated.
    derived_base: Vec<Vec<Value>>,
    derived_base_units: Vec<bool>,
    stores: Vec<Box<dyn Stored>>,
    /// Per relation: the index in `stores` of what holds it.
    home: Vec<Option<usize>>,
    /// Per relation: its tuples sorted, flattened on first request.
    sorted: Vec<OnceCell<Vec<Value>>>,
    /// Per stratum of the plan: the index in `stores` of its evaluated state.
    stratum_store: Vec<Option<usize>>,
    /// `run` finished: the stores hold a fixpoint that updates can continue.
    ran: bool,
    /// A run or update stopped on a limit: the relations are not up to date,
    /// and the next update evaluates everything from the base facts.
    dirty: bool,
    /// Provenance is recorded: the global round counter, which only grows
    /// (see [`stratum::Heights`]).
    rounds: Option<u64>,
}

/// The provenance annotation of a derived tuple: proofs are searched for
/// among rule instances whose premises of the same stratum have smaller
/// heights (premises of earlier strata are smaller whatever their round).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Height {
    /// The stratum (plan order) that derives the tuple.
    pub stratum: usize,
    /// The global evaluation round in which the tuple last entered its relation.
    pub round: u64,
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
            stratum_store: Vec::new(),
            ran: false,
            dirty: false,
            rounds: None,
        }
    }

    /// Switches provenance recording (off by default). Switching it after a
    /// run makes the next `update` evaluate everything again, so that every
    /// derived tuple has an annotation.
    pub fn set_provenance(&mut self, on: bool) {
        if on == self.rounds.is_some() {
            return;
        }
        self.rounds = if on { Some(0) } else { None };
        if self.ran {
            self.dirty = true;
        }
    }

    /// Provenance is recorded and the relations are up to date with it.
    pub fn has_provenance(&self) -> bool {
        self.rounds.is_some() && self.ran && !self.dirty
    }

    /// Some rule derives `rel`.
    pub fn is_derived(&self, rel: RelId) -> bool {
        self.derived[rel.0 as usize]
    }

    /// Whether `tuple` (arity values) is a tuple of `rel` now.
    pub fn contains(&self, rel: RelId, tuple: &[Value]) -> bool {
        let idx = rel.0 as usize;
        if tuple.len() != self.relations[idx].arity() {
            return false;
        }
        match self.home[idx] {
            Some(store) => self.stores[store].contains(rel, tuple),
            None => false,
        }
    }

    /// Whether `tuple` is a base fact of `rel` (given, not derived).
    pub fn is_base_fact(&self, rel: RelId, tuple: &[Value]) -> bool {
        let idx = rel.0 as usize;
        let arity = self.relations[idx].arity();
        if tuple.len() != arity {
            return false;
        }
        if !self.derived[idx] {
            return self.contains(rel, tuple);
        }
        if arity == 0 {
            return self.derived_base_units[idx];
        }
        let rows = &self.derived_base[idx];
        let n = rows.len() / arity;
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match rows[mid * arity..(mid + 1) * arity].cmp(tuple) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// The provenance annotation of a derived tuple, when provenance is
    /// recorded and the tuple is in `rel`.
    pub fn height(&self, rel: RelId, tuple: &[Value]) -> Option<Height> {
        if !self.has_provenance() || !self.derived[rel.0 as usize] {
            return None;
        }
        let stratum = self
            .plan
            .strata
            .iter()
            .position(|stratum| stratum.relations.contains(&rel))?;
        let store = self.stratum_store.get(stratum).copied().flatten()?;
        let round = self.stores[store].height(rel, tuple)?;
        Some(Height { stratum, round })
    }

    /// Rebuilds an engine at fixpoint from a saved state without running any
    /// rule: the value store, the base facts of every relation, and the tuples
    /// of every derived relation (which include their base facts). Rows are
    /// flat (arity values each); the flag is the empty tuple of an arity-0
    /// relation. The state must be one this program computed.
    pub fn restore(
        program: &ir::Program,
        values: ValueStore,
        base: Vec<(RelId, Vec<Value>, bool)>,
        derived: Vec<(RelId, Vec<Value>, bool)>,
    ) -> Result<Engine, EngineError> {
        let mut engine = Engine::new(program);
        engine.values = values;
        for (rel, rows, unit) in base {
            engine.insert(rel, rows);
            engine.pending_units[rel.0 as usize] |= unit;
        }
        let mut contents: Vec<(Vec<Value>, bool)> =
            vec![(Vec::new(), false); engine.relations.len()];
        for (rel, rows, unit) in derived {
            if engine.derived[rel.0 as usize] {
                contents[rel.0 as usize] = (rows, unit);
            }
        }
        engine.evaluate(&Limits::default(), Some(contents), &mut [])?;
        Ok(engine)
    }

    /// Every base fact of `rel`, sorted flat rows, and for an arity-0
    /// relation whether the empty tuple is one.
    pub fn base_facts(&self, rel: RelId) -> (Vec<Value>, bool) {
        let idx = rel.0 as usize;
        let arity = self.relations[idx].arity();
        let mut rows = self.pending[idx].clone();
        let mut unit = self.pending_units[idx];
        if self.derived[idx] {
            rows.extend_from_slice(&self.derived_base[idx]);
            unit |= self.derived_base_units[idx];
        } else if let Some(store) = self.home[idx] {
            self.stores[store].for_each(rel, &mut |row| {
                rows.extend_from_slice(row);
                unit = true;
            });
        }
        if arity == 0 {
            return (Vec::new(), unit);
        }
        (sort_rows(arity, rows, false), false)
    }

    /// After [`Engine::run`]: applies the changes to the base facts and brings
    /// every relation up to date, stratum by stratum, skipping strata whose
    /// inputs did not change (see [`StratumAction`]). Facts added with
    /// [`Engine::insert`] since the last run count as inserted here.
    ///
    /// Before any run, or after a run or update that stopped on a limit, it
    /// evaluates everything from the base facts. When it stops on a limit the
    /// base facts are changed but the relations are not up to date: the next
    /// `update` or `run` evaluates everything again.
    pub fn update(
        &mut self,
        changes: Vec<Change>,
        limits: &Limits,
    ) -> Result<UpdateStats, EngineError> {
        let start = Instant::now();
        let n = self.relations.len();
        // The net change of each relation: (inserted, deleted), disjoint,
        // canonical rows (`max(arity, 1)` values; the empty tuple is `[0]`).
        let mut net: Vec<Option<(Vec<Value>, Vec<Value>)>> = vec![None; n];
        let mut changes = changes;
        for idx in 0..n {
            let rows = std::mem::take(&mut self.pending[idx]);
            let unit = std::mem::take(&mut self.pending_units[idx]);
            if !rows.is_empty() || unit {
                changes.insert(
                    0,
                    Change {
                        rel: RelId(idx as u32),
                        insert: rows,
                        delete: Vec::new(),
                        insert_unit: unit,
                        delete_unit: false,
                    },
                );
            }
        }
        for change in changes {
            let idx = change.rel.0 as usize;
            let arity = self.relations[idx].arity();
            let ins = sort_rows(arity, change.insert, change.insert_unit);
            let del = sort_rows(arity, change.delete, change.delete_unit);
            let stride = arity.max(1);
            let del = flat_minus(stride, &del, &ins);
            net[idx] = Some(match net[idx].take() {
                None => (ins, del),
                Some((old_ins, old_del)) => {
                    let ins = flat_union(stride, &flat_minus(stride, &old_ins, &del), &ins);
                    let del = flat_minus(stride, &flat_union(stride, &old_del, &del), &ins);
                    (ins, del)
                }
            });
        }

        if !self.ran || self.dirty {
            self.gather_base();
            for (idx, change) in net.into_iter().enumerate() {
                let Some((ins, del)) = change else { continue };
                let arity = self.relations[idx].arity();
                let stride = arity.max(1);
                let pending = std::mem::take(&mut self.pending[idx]);
                let unit = std::mem::take(&mut self.pending_units[idx]);
                let current = sort_rows(arity, pending, unit);
                let rows = flat_union(stride, &flat_minus(stride, &current, &del), &ins);
                if arity == 0 {
                    self.pending_units[idx] = !rows.is_empty();
                } else {
                    self.pending[idx] = rows;
                }
            }
            self.run(limits)?;
            return Ok(UpdateStats {
                strata: vec![StratumAction::Recomputed; self.plan.strata.len()],
                full: true,
            });
        }
        self.dirty = true;
        self.sorted
            .iter_mut()
            .for_each(|sorted| *sorted = OnceCell::new());

        // Lazy views, from the state before the update.
        for (stratum_idx, stratum_plan) in self.plan.strata.iter().enumerate() {
            let Some(store) = self.stratum_store[stratum_idx] else {
                continue;
            };
            let (before, rest) = self.stores.split_at_mut(store);
            rest[0].prepare(PrepareCx {
                plan: stratum_plan,
                relations: &self.relations,
                values: &mut self.values,
                prior: Prior {
                    stores: before,
                    home: &self.home,
                },
            });
        }

        // Base facts: the exact change of each relation's base facts.
        let mut exact: Vec<(Vec<Value>, Vec<Value>)> = vec![(Vec::new(), Vec::new()); n];
        for (idx, change) in net.into_iter().enumerate() {
            let Some((ins, del)) = change else { continue };
            let rel = RelId(idx as u32);
            let arity = self.relations[idx].arity();
            let stride = arity.max(1);
            if self.derived[idx] {
                let current = if arity == 0 {
                    sort_rows(0, Vec::new(), self.derived_base_units[idx])
                } else {
                    std::mem::take(&mut self.derived_base[idx])
                };
                let gone = flat_intersect(stride, &del, &current);
                let new = flat_minus(stride, &ins, &current);
                let rows = flat_union(stride, &flat_minus(stride, &current, &gone), &new);
                if arity == 0 {
                    self.derived_base_units[idx] = !rows.is_empty();
                } else {
                    self.derived_base[idx] = rows;
                }
                exact[idx] = (new, gone);
            } else {
                let store = match self.home[idx] {
                    Some(store) => store,
                    None => {
                        let mut facts = FactStore::default();
                        facts.add(rel, arity, Vec::new(), false);
                        self.stores.push(Box::new(facts));
                        self.home[idx] = Some(self.stores.len() - 1);
                        self.stores.len() - 1
                    }
                };
                exact[idx] = self.stores[store].apply_facts(rel, &ins, &del);
            }
        }
        let base: Vec<Vec<Value>> = (0..n)
            .map(|idx| {
                if !self.derived[idx] {
                    Vec::new()
                } else if self.relations[idx].arity() == 0 {
                    sort_rows(0, Vec::new(), self.derived_base_units[idx])
                } else {
                    self.derived_base[idx].clone()
                }
            })
            .collect();

        let mut stats = vec![StratumAction::Skipped; self.plan.strata.len()];
        let mut derived_before = 0u64;
        for (stratum_idx, stratum_plan) in self.plan.strata.iter().enumerate() {
            let Some(store) = self.stratum_store[stratum_idx] else {
                continue;
            };
            let (before, rest) = self.stores.split_at_mut(store);
            let res = rest[0].update(UpdateCx {
                plan: stratum_plan,
                relations: &self.relations,
                rules: &self.rules,
                values: &mut self.values,
                prior: Prior {
                    stores: before,
                    home: &self.home,
                },
                changes: &exact,
                base: &base,
                limits,
                start,
                derived_before,
                derived: &self.derived,
                rounds: self.rounds.as_mut(),
            })?;
            stats[stratum_idx] = res.action;
            // From here on a relation's entry is its own change, not its base facts'.
            for &rel in &stratum_plan.relations {
                exact[rel.0 as usize] = (Vec::new(), Vec::new());
                if self.derived[rel.0 as usize] {
                    derived_before += rest[0].len(rel) as u64;
                }
            }
            for (rel, ins, del) in res.changes {
                exact[rel.0 as usize] = (ins, del);
            }
        }
        self.dirty = false;
        Ok(UpdateStats {
            strata: stats,
            full: false,
        })
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
        // A second run starts from scratch with every base fact so far.
        self.gather_base();
        self.evaluate(limits, None, &mut [])
    }

    /// Moves every base fact back into `pending` and drops all strata.
    fn gather_base(&mut self) {
        for store in &mut self.stores {
            for (rel, rows, unit) in store.take_facts() {
                let pending = &mut self.pending[rel.0 as usize];
                let mut all = rows;
                all.extend_from_slice(pending);
                *pending = all;
                self.pending_units[rel.0 as usize] |= unit;
            }
        }
        for (idx, rows) in self.derived_base.iter_mut().enumerate() {
            let rows = std::mem::take(rows);
            if !rows.is_empty() {
                let mut all = rows;
                all.extend_from_slice(&self.pending[idx]);
                self.pending[idx] = all;
            }
            self.pending_units[idx] |= std::mem::take(&mut self.derived_base_units[idx]);
        }
        self.stores.clear();
        self.stratum_store.clear();
        self.home.iter_mut().for_each(|home| *home = None);
        self.sorted
            .iter_mut()
            .for_each(|sorted| *sorted = OnceCell::new());
        self.ran = false;
    }

    /// Evaluates every stratum from the base facts in `pending`, or with
    /// `contents` (per relation: rows, empty tuple) fills the strata without
    /// running any rule. A stratum with a store in `kept` (by plan index)
    /// takes it as it is: its relations, indexes and heights (see
    /// [`Engine::evolve`]).
    fn evaluate(
        &mut self,
        limits: &Limits,
        mut contents: Option<Vec<(Vec<Value>, bool)>>,
        kept: &mut [Option<Box<dyn Stored>>],
    ) -> Result<(), EngineError> {
        let start = Instant::now();
        self.dirty = true;
        let mut derived_before = 0u64;
        for (stratum_idx, stratum_plan) in self.plan.strata.iter().enumerate() {
            self.stratum_store.push(None);
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
                let arity = self.relations[rel.0 as usize].arity();
                let rows = std::mem::take(&mut self.pending[rel.0 as usize]);
                let unit = std::mem::take(&mut self.pending_units[rel.0 as usize]);
                if !rows.is_empty() {
                    self.derived_base[rel.0 as usize] = sort_rows(arity, rows.clone(), false);
                }
                self.derived_base_units[rel.0 as usize] = unit;
                let (rows, unit) = match &mut contents {
                    Some(contents) => std::mem::take(&mut contents[rel.0 as usize]),
                    None => (rows, unit),
                };
                if !rows.is_empty() {
                    base.push((rel, rows));
                }
                if unit {
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
            if let Some(store) = kept.get_mut(stratum_idx).and_then(Option::take) {
                for &rel in &stratum_plan.relations {
                    if self.derived[rel.0 as usize] {
                        derived_before += store.len(rel) as u64;
                    }
                    self.home[rel.0 as usize] = Some(self.stores.len());
                }
                *self.stratum_store.last_mut().expect("pushed above") = Some(self.stores.len());
                self.stores.push(store);
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
                restore: contents.is_some(),
                rounds: self.rounds.as_mut(),
            };
            let store = with_row_type!(narrow, width, R => stratum::evaluate::<R>(cx))?;
            for &rel in &stratum_plan.relations {
                if self.derived[rel.0 as usize] {
                    derived_before += store.len(rel) as u64;
                }
                self.home[rel.0 as usize] = Some(self.stores.len());
            }
            *self.stratum_store.last_mut().expect("pushed above") = Some(self.stores.len());
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
        self.ran = true;
        self.dirty = false;
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
        Box::new(self.sorted_rows(rel).chunks_exact(arity))
    }

    /// The tuples of a relation of arity > 0, sorted as [`Engine::rows`]
    /// gives them, flat (arity values each); built on first request and kept
    /// until the next update. Empty for an arity-0 relation.
    pub fn sorted_rows(&self, rel: RelId) -> &[Value] {
        let arity = self.relations[rel.0 as usize].arity();
        if arity == 0 {
            return &[];
        }
        self.sorted[rel.0 as usize].get_or_init(|| {
            let mut rows = Vec::with_capacity(self.len(rel) * arity);
            if let Some(store) = self.home[rel.0 as usize] {
                self.stores[store].for_each(rel, &mut |row| rows.extend_from_slice(row));
            }
            sort_rows(arity, rows, false)
        })
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
    // Common widths sort as arrays in place (no index, no second copy).
    fn sort_as<const N: usize>(rows: Vec<Value>) -> Vec<Value> {
        let mut arrays: Vec<[Value; N]> = rows
            .chunks_exact(N)
            .map(|row| row.try_into().unwrap_or([0; N]))
            .collect();
        drop(rows);
        arrays.sort_unstable();
        arrays.dedup();
        arrays.into_flattened()
    }
    match arity {
        1 => return sort_as::<1>(rows),
        2 => return sort_as::<2>(rows),
        3 => return sort_as::<3>(rows),
        4 => return sort_as::<4>(rows),
        _ => (),
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

/// Rows of `stride` values: which of `a`'s rows to keep, by whether `b` has them.
fn flat_merge(stride: usize, a: &[Value], b: &[Value], in_b: bool) -> Vec<Value> {
    let mut res = Vec::new();
    if a.len() * 16 < b.len() {
        // Few rows against many: binary search each.
        let n_b = b.len() / stride;
        let row_of = |idx: usize| &b[idx * stride..(idx + 1) * stride];
        for row in a.chunks_exact(stride) {
            let (mut lo, mut hi) = (0, n_b);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if row_of(mid) < row {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let pos = lo;
            let found = pos < n_b && row_of(pos) == row;
            if found == in_b {
                res.extend_from_slice(row);
            }
        }
        return res;
    }
    let mut rest = b.chunks_exact(stride).peekable();
    for row in a.chunks_exact(stride) {
        while rest.peek().is_some_and(|other| *other < row) {
            rest.next();
        }
        let found = rest.peek() == Some(&row);
        if found == in_b {
            res.extend_from_slice(row);
        }
    }
    res
}

/// Sorted, deduplicated rows of `a` not in `b`.
fn flat_minus(stride: usize, a: &[Value], b: &[Value]) -> Vec<Value> {
    if b.is_empty() {
        return a.to_vec();
    }
    flat_merge(stride, a, b, false)
}

fn flat_intersect(stride: usize, a: &[Value], b: &[Value]) -> Vec<Value> {
    flat_merge(stride, a, b, true)
}

/// The sorted union of two sorted, deduplicated sets of rows (a linear merge).
fn flat_union(stride: usize, a: &[Value], b: &[Value]) -> Vec<Value> {
    if b.is_empty() {
        return a.to_vec();
    }
    if a.is_empty() {
        return b.to_vec();
    }
    let mut res = Vec::with_capacity(a.len() + b.len());
    if b.len() * 16 < a.len() {
        // Few rows into many: copy the runs between their places.
        let n_a = a.len() / stride;
        let row_of = |idx: usize| &a[idx * stride..(idx + 1) * stride];
        let mut start = 0;
        for row in b.chunks_exact(stride) {
            let (mut lo, mut hi) = (start, n_a);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if row_of(mid) < row {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            res.extend_from_slice(&a[start * stride..lo * stride]);
            if lo == n_a || row_of(lo) != row {
                res.extend_from_slice(row);
            }
            start = lo;
        }
        res.extend_from_slice(&a[start * stride..]);
        return res;
    }
    let mut left = a.chunks_exact(stride).peekable();
    let mut right = b.chunks_exact(stride).peekable();
    loop {
        match (left.peek(), right.peek()) {
            (Some(x), Some(y)) => match x.cmp(y) {
                std::cmp::Ordering::Less => res.extend_from_slice(left.next().unwrap_or(&[])),
                std::cmp::Ordering::Greater => res.extend_from_slice(right.next().unwrap_or(&[])),
                std::cmp::Ordering::Equal => {
                    res.extend_from_slice(left.next().unwrap_or(&[]));
                    right.next();
                }
            },
            (Some(_), None) => res.extend_from_slice(left.next().unwrap_or(&[])),
            (None, Some(_)) => res.extend_from_slice(right.next().unwrap_or(&[])),
            (None, None) => return res,
        }
    }
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
    fn contains(&self, rel: RelId, tuple: &[Value]) -> bool {
        if self.len(rel) == 0 {
            return false;
        }
        let Some(facts) = self.facts(rel) else {
            return false;
        };
        if facts.arity == 0 {
            return true;
        }
        let rows = facts.rows.borrow();
        let n = rows.len() / facts.arity;
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match rows[mid * facts.arity..(mid + 1) * facts.arity].cmp(tuple) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    fn take_facts(&mut self) -> Vec<(RelId, Vec<Value>, bool)> {
        self.take()
    }

    fn apply_facts(
        &mut self,
        rel: RelId,
        insert: &[Value],
        delete: &[Value],
    ) -> (Vec<Value>, Vec<Value>) {
        self.len(rel);
        let Some(facts) = self.rels.iter().find(|facts| facts.rel == rel) else {
            return (Vec::new(), Vec::new());
        };
        let stride = facts.arity.max(1);
        let mut rows = facts.rows.borrow_mut();
        let gone = flat_intersect(stride, delete, &rows);
        let new = flat_minus(stride, insert, &rows);
        if !gone.is_empty() {
            *rows = flat_minus(stride, &rows, &gone);
        }
        if !new.is_empty() {
            *rows = flat_union(stride, &rows, &new);
        }
        (new, gone)
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
