//! This module rebuilds proofs of derived tuples from the provenance the
//! engine records during evaluation (per derived tuple the round it entered
//! its relation, see `engine::Height`), without evaluating the program again.
//!
//! A proof is a tree: every derived tuple is justified by one rule instance
//! whose positive premises are live tuples that entered earlier (same
//! stratum) or belong to earlier strata, whose negated atoms have no match
//! and whose comparisons hold; leaves are base facts. Shared sub-proofs are
//! kept once (the proof is a DAG). [`render`] writes it as indented text.

mod atom;
mod journal;
mod render;
mod search;
mod verify;

use rustc_hash::FxHashMap;

use crate::engine::{Engine, Height};
use crate::ir::{self, RelId, RuleId};
use crate::value::Value;

pub use atom::{AtomError, parse_atom};
pub use journal::journal_record;
pub use render::{Record, render, tuple_text as render_tuple};

/// A proof of one tuple: `nodes[root]` is the tuple asked about.
#[derive(Clone, Debug)]
pub struct Proof {
    pub nodes: Vec<Node>,
    pub root: usize,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub rel: RelId,
    /// The tuple's values (encoded in the columns' types).
    pub tuple: Vec<Value>,
    pub step: Step,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// A base fact: given as input (a `.facts` file, a fact in the program, the database).
    Base,
    Rule {
        rule: RuleId,
        height: Height,
        /// The value of each variable of the rule (in the variable's type) and
        /// whether the instance binds it.
        regs: Vec<Value>,
        bound: Vec<bool>,
        /// Per positive body literal (by index in `Rule::body`): the node of its premise.
        premises: Vec<(usize, usize)>,
    },
}

/// Why no proof can be given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("the tuple is not in the relation")]
    NotDerived,
    #[error("provenance was not recorded for this evaluation")]
    NotRecorded,
    /// Provenance was recorded but no instance matches it (an engine bug,
    /// reported instead of showing a wrong proof).
    #[error("no rule instance below the recorded height derives {0}")]
    NoInstance(String),
    /// The proof found does not check against the relations (an engine bug,
    /// reported instead of showing a wrong proof).
    #[error("the proof found does not hold: {0}")]
    Invalid(String),
}

/// The shortest proof of `tuple` of `rel` over the engine's current
/// relations. The engine must have evaluated with provenance on
/// ([`Engine::set_provenance`]).
pub fn explain(
    engine: &mut Engine,
    program: &ir::Program,
    rel: RelId,
    tuple: &[Value],
) -> Result<Proof, ExplainError> {
    if !engine.contains(rel, tuple) {
        return Err(ExplainError::NotDerived);
    }
    if !engine.has_provenance() {
        return Err(ExplainError::NotRecorded);
    }
    let mut search = search::Search::new(engine, program);
    let mut nodes: Vec<Node> = Vec::new();
    let mut seen: FxHashMap<(RelId, Vec<Value>), usize> = FxHashMap::default();
    let mut todo: Vec<usize> = Vec::new();
    let mut node_of =
        |rel: RelId, tuple: &[Value], nodes: &mut Vec<Node>, todo: &mut Vec<usize>| {
            *seen.entry((rel, tuple.to_vec())).or_insert_with(|| {
                nodes.push(Node {
                    rel,
                    tuple: tuple.to_vec(),
                    step: Step::Base,
                });
                todo.push(nodes.len() - 1);
                nodes.len() - 1
            })
        };
    let root = node_of(rel, tuple, &mut nodes, &mut todo);
    // An explicit work list: proofs can be deeper than the call stack.
    while let Some(idx) = todo.pop() {
        let (rel, tuple) = (nodes[idx].rel, nodes[idx].tuple.clone());
        if !search.engine.is_derived(rel) || search.engine.is_base_fact(rel, &tuple) {
            continue;
        }
        let Some(height) = search.engine.height(rel, &tuple) else {
            return Err(ExplainError::NoInstance(describe(program, rel)));
        };
        let Some(instance) = search.best(rel, &tuple, height) else {
            return Err(ExplainError::NoInstance(describe(program, rel)));
        };
        let mut premises = Vec::with_capacity(instance.premises.len());
        for (literal, premise_rel, premise) in &instance.premises {
            let node = node_of(*premise_rel, premise, &mut nodes, &mut todo);
            premises.push((*literal, node));
        }
        nodes[idx].step = Step::Rule {
            rule: instance.rule,
            height,
            regs: instance.regs,
            bound: instance.bound,
            premises,
        };
    }
    let proof = Proof { nodes, root };
    // Never show a proof that does not hold.
    verify::verify(&mut search, &proof).map_err(ExplainError::Invalid)?;
    Ok(proof)
}

fn describe(program: &ir::Program, rel: RelId) -> String {
    format!("a tuple of `{}`", program.relation(rel).name)
}

impl Proof {
    /// The base facts the proof rests on, each once, in order of first use.
    pub fn leaves(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| matches!(node.step, Step::Base))
    }
}
