//! This module stratifies the program: the precedence graph of relations
//! (an edge from each body relation to the head, negative for negation and
//! aggregation), its strongly connected components (Tarjan's algorithm,
//! iterative), a rejection of negative edges inside a component, and the
//! components in topological order as strata.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::check::lower::{LLit, LRule};
use crate::check::resolve::Names;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::RelId;
use crate::source::Span;

/// One stratum: relations, the indices of the lowered rules that derive them,
/// and whether it needs a fixpoint loop.
#[derive(Debug)]
pub struct Stratum {
    pub relations: Vec<RelId>,
    pub rules: Vec<usize>,
    pub recursive: bool,
}

#[derive(Clone, Copy)]
enum Through {
    Positive,
    Negation,
    Aggregate,
}

struct Edge {
    from: u32,
    to: u32,
    through: Through,
    span: Span,
}

/// Computes the strata; reports each component that depends on itself
/// through negation or aggregation (once per component).
pub fn stratify(names: &Names, rules: &[LRule], diags: &mut Vec<Diagnostic>) -> Vec<Stratum> {
    let n_rels = names.rels.len();
    let mut edges = Vec::new();
    for rule in rules.iter().filter(|rule| !rule.broken) {
        collect_edges(&rule.body, rule.head.rel.0, None, &mut edges);
    }
    let mut succ: Vec<Vec<u32>> = vec![Vec::new(); n_rels];
    for edge in &edges {
        succ[edge.from as usize].push(edge.to);
    }
    for list in &mut succ {
        list.sort_unstable();
        list.dedup();
    }
    let (comp_of, comps) = tarjan(&succ);

    // Reject negative edges inside a component, reporting the first written.
    let mut bad: Vec<&Edge> = edges
        .iter()
        .filter(|edge| {
            !matches!(edge.through, Through::Positive)
                && comp_of[edge.from as usize] == comp_of[edge.to as usize]
        })
        .collect();
    bad.sort_by_key(|edge| (edge.span.file, edge.span.start));
    let mut reported = vec![false; comps.len()];
    for edge in bad {
        let comp = comp_of[edge.from as usize];
        if reported[comp] {
            continue;
        }
        reported[comp] = true;
        let name = |rel: u32| names.rels[rel as usize].name.as_str();
        let path = path_within(&succ, &comp_of, edge.to, edge.from);
        let mut cycle = vec![name(edge.to)];
        cycle.extend(path.iter().rev().map(|&rel| name(rel)));
        let (how, label) = match edge.through {
            Through::Aggregate => (
                format!("an aggregate over `{}`", name(edge.from)),
                format!(
                    "aggregate over `{}` in a rule for `{}`",
                    name(edge.from),
                    name(edge.to)
                ),
            ),
            _ => (
                format!("the negation of `{}`", name(edge.from)),
                format!(
                    "`{}` is negated in a rule for `{}`",
                    name(edge.from),
                    name(edge.to)
                ),
            ),
        };
        diags.push(
            Diagnostic::error(
                Code::Unstratifiable,
                format!("`{}` depends on itself through {how}: {}", name(edge.to), cycle.join(" → ")),
            )
            .at(edge.span)
            .with_label(label)
            .with_help("a negated or aggregated relation must be complete before it is used; break the cycle, for example by moving the negated part into a separate relation"),
        );
    }

    // Components in topological order; among ready ones, user relations
    // before query results, then in order of first mention.
    let mut comp_succ: Vec<Vec<usize>> = vec![Vec::new(); comps.len()];
    let mut indegree = vec![0usize; comps.len()];
    for (from, list) in succ.iter().enumerate() {
        for &to in list {
            let (a, b) = (comp_of[from], comp_of[to as usize]);
            if a != b {
                comp_succ[a].push(b);
            }
        }
    }
    for list in &mut comp_succ {
        list.sort_unstable();
        list.dedup();
        for &b in list.iter() {
            indegree[b] += 1;
        }
    }
    let key = |comp: usize| {
        let hidden = comps[comp]
            .iter()
            .any(|&rel| names.rels[rel as usize].hidden);
        let first = comps[comp].iter().copied().min().unwrap_or(0);
        Reverse((hidden, first, comp))
    };
    let mut ready: BinaryHeap<Reverse<(bool, u32, usize)>> = (0..comps.len())
        .filter(|&comp| indegree[comp] == 0)
        .map(key)
        .collect();
    let mut order = Vec::new();
    while let Some(Reverse((_, _, comp))) = ready.pop() {
        order.push(comp);
        for &next in &comp_succ[comp] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.push(key(next));
            }
        }
    }

    let mut stratum_of = vec![0usize; comps.len()];
    let mut strata: Vec<Stratum> = Vec::new();
    for (idx, &comp) in order.iter().enumerate() {
        stratum_of[comp] = idx;
        let mut relations: Vec<RelId> = comps[comp].iter().map(|&rel| RelId(rel)).collect();
        relations.sort_unstable();
        let recursive =
            comps[comp].len() > 1 || succ[comps[comp][0] as usize].contains(&comps[comp][0]);
        strata.push(Stratum {
            relations,
            rules: Vec::new(),
            recursive,
        });
    }
    for (rule_idx, rule) in rules.iter().enumerate().filter(|(_, rule)| !rule.broken) {
        strata[stratum_of[comp_of[rule.head.rel.0 as usize]]]
            .rules
            .push(rule_idx);
    }
    strata
}

fn collect_edges(literals: &[LLit], head: u32, aggregate: Option<Span>, edges: &mut Vec<Edge>) {
    for literal in literals {
        match literal {
            LLit::Pos(atom) => edges.push(match aggregate {
                Some(span) => Edge {
                    from: atom.rel.0,
                    to: head,
                    through: Through::Aggregate,
                    span,
                },
                None => Edge {
                    from: atom.rel.0,
                    to: head,
                    through: Through::Positive,
                    span: atom.span,
                },
            }),
            LLit::Neg(atom, span) => edges.push(match aggregate {
                Some(span) => Edge {
                    from: atom.rel.0,
                    to: head,
                    through: Through::Aggregate,
                    span,
                },
                None => Edge {
                    from: atom.rel.0,
                    to: head,
                    through: Through::Negation,
                    span: *span,
                },
            }),
            LLit::Agg(inner) => collect_edges(
                &inner.body,
                head,
                Some(aggregate.unwrap_or(inner.span)),
                edges,
            ),
            LLit::Compare(..) | LLit::Assign(..) => (),
        }
    }
}

/// Tarjan's strongly connected components, without recursion. Returns the
/// component of each node and the components (sinks first).
fn tarjan(succ: &[Vec<u32>]) -> (Vec<usize>, Vec<Vec<u32>>) {
    const UNSEEN: u32 = u32::MAX;
    let n = succ.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut comp_of = vec![usize::MAX; n];
    let mut comps: Vec<Vec<u32>> = Vec::new();
    let mut counter = 0u32;
    for start in 0..n as u32 {
        if index[start as usize] != UNSEEN {
            continue;
        }
        let mut calls: Vec<(u32, usize)> = vec![(start, 0)];
        index[start as usize] = counter;
        low[start as usize] = counter;
        counter += 1;
        stack.push(start);
        on_stack[start as usize] = true;
        while let Some(&mut (node, ref mut next)) = calls.last_mut() {
            let node_idx = node as usize;
            if *next < succ[node_idx].len() {
                let child = succ[node_idx][*next];
                *next += 1;
                let child_idx = child as usize;
                if index[child_idx] == UNSEEN {
                    index[child_idx] = counter;
                    low[child_idx] = counter;
                    counter += 1;
                    stack.push(child);
                    on_stack[child_idx] = true;
                    calls.push((child, 0));
                } else if on_stack[child_idx] {
                    low[node_idx] = low[node_idx].min(index[child_idx]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[node_idx]);
            }
            if low[node_idx] == index[node_idx] {
                let mut comp = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member as usize] = false;
                    comp_of[member as usize] = comps.len();
                    comp.push(member);
                    if member == node {
                        break;
                    }
                }
                comps.push(comp);
            }
        }
    }
    (comp_of, comps)
}

/// A shortest path `from` → ... → `to` (both included) along edges inside
/// their component; just `[from]` when they are the same.
fn path_within(succ: &[Vec<u32>], comp_of: &[usize], from: u32, to: u32) -> Vec<u32> {
    let comp = comp_of[from as usize];
    let mut prev: Vec<Option<u32>> = vec![None; succ.len()];
    let mut seen = vec![false; succ.len()];
    seen[from as usize] = true;
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            break;
        }
        for &next in &succ[node as usize] {
            if comp_of[next as usize] == comp && !seen[next as usize] {
                seen[next as usize] = true;
                prev[next as usize] = Some(node);
                queue.push_back(next);
            }
        }
    }
    let mut path = vec![to];
    let mut node = to;
    while let Some(step) = prev[node as usize] {
        path.push(step);
        node = step;
    }
    path.reverse();
    path
}
