//! This module turns a checked program into a [`Plan`]: for every stratum, the
//! indexes (views) it reads and maintains, and each rule as ordered join,
//! anti-join, filter, assignment and aggregate steps, with one semi-naive
//! variant per atom that reads a relation of the rule's own stratum.
//!
//! A view is a relation restricted by its constant and repeated-variable
//! arguments and projected onto the columns a rule needs, in the order the
//! rule joins on them (key columns first). Views of relations of the current
//! stratum are datafrog `Variable`s fed by every rule that derives the
//! relation; views of earlier strata are static, sorted `Relation`s.

mod build;
mod render;

use crate::ir::{self, AggregateFunc, CompareOp, RelId, RuleId, VarId};

pub use render::render;

/// The index of a view in its [`StratumPlan::views`].
pub type ViewId = usize;

#[derive(Debug)]
pub struct Plan {
    pub strata: Vec<StratumPlan>,
}

/// Builds the plan of a checked program.
pub fn plan(program: &ir::Program) -> Plan {
    build::build(program)
}

#[derive(Debug)]
pub struct StratumPlan {
    /// Relations of the stratum no rule derives: base facts, stored as inserted.
    pub facts: Vec<RelId>,
    /// The relations this stratum derives (and stores).
    pub relations: Vec<RelId>,
    /// A rule reads a relation of this stratum: evaluation loops to a fixpoint.
    pub recursive: bool,
    pub views: Vec<View>,
    /// For each relation of the stratum, the view that stores all its columns.
    pub storage: Vec<(RelId, ViewId)>,
    pub rules: Vec<RulePlan>,
}

/// A relation filtered by constants and repeated variables, projected onto
/// `cols` (relation column indexes, key columns first), sorted and deduplicated.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub rel: RelId,
    pub cols: Vec<usize>,
    /// Column `c` must hold this constant.
    pub consts: Vec<(usize, ir::Const)>,
    /// Columns `a` and `b` must hold the same value.
    pub eqs: Vec<(usize, usize)>,
    /// The relation belongs to this stratum: the view is a datafrog `Variable`.
    pub dynamic: bool,
    /// Only the update variants read it: built on the first update, not by `run`.
    pub lazy: bool,
}

#[derive(Debug)]
pub struct RulePlan {
    pub rule: RuleId,
    pub head_rel: RelId,
    /// One variant when no atom reads this stratum (evaluated once); else one
    /// semi-naive variant per such atom (evaluated every round).
    pub variants: Vec<Variant>,
    /// For incremental updates: one variant per positive atom of an earlier
    /// stratum, driven by that atom's changed tuples (every other atom reads
    /// all of its view).
    pub upstream: Vec<Variant>,
    /// For incremental updates: the rule with the head's variables bound
    /// first from the tuples being re-derived ([`Step::Seed`]).
    pub rederive: Variant,
}

#[derive(Debug)]
pub struct Variant {
    /// The body literal whose new tuples drive this variant.
    pub delta: Option<usize>,
    pub steps: Vec<Step>,
}

/// Which tuples of a view a join reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// A relation of an earlier stratum: all of it.
    Static,
    /// All tuples so far, including the last round's (atoms before the delta atom).
    Full,
    /// Tuples from before the last round (atoms after the delta atom).
    Old,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// A tuple of the head relation being re-derived: binds the variables
    /// that are whole head arguments (`cols[i]` to `bind[i]`).
    Seed { cols: Vec<usize>, bind: Vec<VarId> },
    /// The tuples of `view` new in the last round; binds its columns to `bind`.
    Delta {
        literal: usize,
        view: ViewId,
        bind: Vec<VarId>,
    },
    /// Matches the bound `key` against the first columns of `view` and binds
    /// the remaining columns to `bind`; an empty key reads the whole view.
    Join {
        literal: usize,
        view: ViewId,
        read: Read,
        key: Vec<VarId>,
        bind: Vec<VarId>,
    },
    /// Keeps the binding when no tuple of `view` starts with `key`.
    Anti {
        literal: usize,
        view: ViewId,
        key: Vec<VarId>,
    },
    Filter {
        literal: usize,
        op: CompareOp,
        lhs: ir::Expr,
        rhs: ir::Expr,
    },
    Assign {
        literal: usize,
        var: VarId,
        expr: ir::Expr,
    },
    /// Runs `steps` for the current binding, collects the distinct values of
    /// `locals` and folds them. `distinct`: the steps cannot repeat an assignment.
    Aggregate {
        literal: usize,
        result: VarId,
        result_bound: bool,
        func: AggregateFunc,
        target: Option<ir::Expr>,
        locals: Vec<VarId>,
        distinct: bool,
        steps: Vec<Step>,
    },
    /// `count : r(a, b, ...)` with distinct local variables only: the size of `rel`.
    CountAll {
        literal: usize,
        result: VarId,
        result_bound: bool,
        rel: RelId,
    },
}

impl StratumPlan {
    /// The views a tuple derived for `rel` must be added to.
    pub fn views_of(&self, rel: RelId) -> impl Iterator<Item = ViewId> + '_ {
        self.views
            .iter()
            .enumerate()
            .filter(move |(_, view)| view.dynamic && !view.lazy && view.rel == rel)
            .map(|(idx, _)| idx)
    }
}
