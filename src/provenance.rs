//! This module rebuilds proofs of derived tuples from the provenance the
//! engine records during evaluation (per derived tuple the round it entered
//! its relation, see `engine::Height`), without evaluating the program again.
//!
//! A proof is a tree: every derived tuple is justified by one rule instance
//! whose positive premises are live tuples that entered earlier (same
//! stratum) or belong to earlier strata, whose negated atoms have no match
//! and whose comparisons hold; leaves are base facts. Shared sub-proofs are
//! kept once (the proof is a DAG). [`render`] writes it as indented text,
//! [`json`] as a JSON document, [`dot`] as a Graphviz graph.

mod atom;
mod dot;
mod journal;
mod json;
mod render;
mod search;
mod verify;
mod why_not;

use rustc_hash::FxHashMap;

use crate::engine::{Engine, Height};
use crate::ir::{self, RelId, RuleId};
use crate::value::Value;

pub use atom::{AtomError, is_derived, not_derived, parse_atom};
pub use dot::{SvgError, svg, to_dot};
pub use journal::journal_records;
pub use json::{FORMAT_VERSION, Header, to_json};
pub use render::render_all;
pub use render::{Record, render, tuple_text as render_tuple};
pub use why_not::{
    Asker, Binding, Blocked, Near, Outcome, PARTIAL_CAP, Reason, RuleWhyNot, WhyNot,
    render_why_not, why_not,
};

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
    /// Asked why a tuple is not derived, but it is (`why_not`).
    #[error("the tuple is in the relation")]
    Derived,
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
    let proof = build(&mut search, rel, tuple, None)?;
    // Never show a proof that does not hold.
    verify::verify(&mut search, &proof, false).map_err(ExplainError::Invalid)?;
    Ok(proof)
}

/// Alternative proofs of one tuple: see [`explain_all`].
#[derive(Clone, Debug)]
pub struct Alternatives {
    /// At most the `limit` asked for, shortest first.
    pub proofs: Vec<Proof>,
    /// How many distinct proofs the root has (given fact, rule instances),
    /// counted up to [`ALTERNATIVES_CAP`].
    pub total: usize,
    /// The count stopped at [`ALTERNATIVES_CAP`]: there may be more.
    pub capped: bool,
}

/// Rule instances of the root counted at most, for `--all`.
pub const ALTERNATIVES_CAP: usize = 200;

/// Alternative proofs of `tuple` of `rel`: the tuple as a given fact (when
/// it is one) and every distinct rule instance that derives it (another rule
/// or other premises) from tuples that entered before it, each followed by
/// the shortest proofs of its premises; at most `limit`, the shortest first.
/// Every proof is verified like [`explain`]'s.
pub fn explain_all(
    engine: &mut Engine,
    program: &ir::Program,
    rel: RelId,
    tuple: &[Value],
    limit: usize,
) -> Result<Alternatives, ExplainError> {
    if !engine.contains(rel, tuple) {
        return Err(ExplainError::NotDerived);
    }
    if !engine.has_provenance() {
        return Err(ExplainError::NotRecorded);
    }
    let base = !engine.is_derived(rel) || engine.is_base_fact(rel, tuple);
    let mut search = search::Search::new(engine, program);
    // Premises of any height: an alternative may use tuples that entered
    // later than the tuple did, as long as their own proofs do not go
    // through it (checked below).
    let root_height = search.engine.height(rel, tuple);
    let mut instances = match root_height {
        Some(height) if search.engine.is_derived(rel) => {
            let above = Height {
                stratum: height.stratum,
                round: u64::MAX,
            };
            search.instances(rel, tuple, above, ALTERNATIVES_CAP)
        }
        _ => Vec::new(),
    };
    // Stable: among equal heights the search order (the one `explain` picks first).
    instances.sort_by_key(|(key, _)| *key);
    let capped = instances.len() >= ALTERNATIVES_CAP;
    let mut proofs = Vec::new();
    if base && limit > 0 {
        proofs.push(Proof {
            nodes: vec![Node {
                rel,
                tuple: tuple.to_vec(),
                step: Step::Base,
            }],
            root: 0,
        });
    }
    let mut total = usize::from(base);
    for (key, instance) in instances {
        // Premises that entered before the tuple have proofs without it: no need to build one to count it.
        let lower = root_height.is_none_or(|height| key.is_none_or(|key| key < height));
        if proofs.len() >= limit && lower {
            total += 1;
            continue;
        }
        let proof = build(&mut search, rel, tuple, Some(instance))?;
        if proof.is_circular() {
            continue;
        }
        total += 1;
        if proofs.len() < limit {
            verify::verify(&mut search, &proof, true).map_err(ExplainError::Invalid)?;
            proofs.push(proof);
        }
    }
    Ok(Alternatives {
        proofs,
        total,
        capped,
    })
}

/// Builds a proof of `tuple` of `rel`: the root by `first` when given,
/// every other derived tuple by its best instance.
fn build(
    search: &mut search::Search<'_>,
    rel: RelId,
    tuple: &[Value],
    mut first: Option<search::Instance>,
) -> Result<Proof, ExplainError> {
    let program = search.program;
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
        let given = if idx == root { first.take() } else { None };
        if given.is_none()
            && (!search.engine.is_derived(rel) || search.engine.is_base_fact(rel, &tuple))
        {
            continue;
        }
        let Some(height) = search.engine.height(rel, &tuple) else {
            return Err(ExplainError::NoInstance(describe(program, rel)));
        };
        let Some(instance) = given.or_else(|| search.best(rel, &tuple, height)) else {
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
    Ok(Proof { nodes, root })
}

fn describe(program: &ir::Program, rel: RelId) -> String {
    format!("a tuple of `{}`", program.relation(rel).name)
}

impl Proof {
    /// Some step uses the root tuple as a premise (a proof must not).
    pub fn is_circular(&self) -> bool {
        self.nodes.iter().any(|node| match &node.step {
            Step::Rule { premises, .. } => premises.iter().any(|&(_, idx)| idx == self.root),
            Step::Base => false,
        })
    }

    /// The base facts the proof rests on, each once, in order of first use.
    pub fn leaves(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| matches!(node.step, Step::Base))
    }
}
