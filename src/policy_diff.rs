//! This module compares two versions of a rule set on the same data, for
//! change control: which derived facts appear and which disappear (lots
//! entering or leaving a recall scope) when the policy changes.

use std::collections::BTreeSet;

use crate::engine::Engine;
use crate::ir::{self, RelId};

/// One relation's change between the old and the new rule set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationDiff {
    pub name: String,
    pub columns: Vec<String>,
    /// Tuples only the new rule set derives, as text, sorted.
    pub appeared: Vec<Vec<String>>,
    /// Tuples only the old rule set derives.
    pub disappeared: Vec<Vec<String>>,
    /// Tuples both derive.
    pub unchanged: usize,
}

/// Compares the relations some rule of either version derives, declared in
/// both with the same arity.
pub fn diff(
    old: &ir::Program,
    old_engine: &Engine,
    new: &ir::Program,
    new_engine: &Engine,
) -> Vec<RelationDiff> {
    // A fact written in the program is a rule with no body: not derived.
    let derived = |program: &ir::Program, rel: RelId| {
        program
            .rules
            .iter()
            .any(|rule| rule.head.rel == rel && !rule.body.is_empty())
    };
    let mut res = Vec::new();
    for (idx, relation) in new.relations.iter().enumerate() {
        if relation.hidden {
            continue;
        }
        let new_rel = RelId(idx as u32);
        let Some(old_rel) = old.relation_by_name(&relation.name) else {
            continue;
        };
        if old.relation(old_rel).arity() != relation.arity()
            || !(derived(new, new_rel) || derived(old, old_rel))
        {
            continue;
        }
        let old_rows = text_rows(old, old_engine, old_rel);
        let new_rows = text_rows(new, new_engine, new_rel);
        let appeared: Vec<Vec<String>> = new_rows.difference(&old_rows).cloned().collect();
        let disappeared: Vec<Vec<String>> = old_rows.difference(&new_rows).cloned().collect();
        res.push(RelationDiff {
            name: relation.name.clone(),
            columns: relation.columns.iter().map(|c| c.name.clone()).collect(),
            unchanged: new_rows.len() - appeared.len(),
            appeared,
            disappeared,
        });
    }
    res
}

fn text_rows(program: &ir::Program, engine: &Engine, rel: RelId) -> BTreeSet<Vec<String>> {
    let relation = program.relation(rel);
    engine
        .rows(rel)
        .map(|row| {
            row.iter()
                .zip(&relation.columns)
                .map(|(value, column)| {
                    let mut text = String::new();
                    engine.values().write(&mut text, column.ty, *value);
                    text
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Limits;

    fn evaluate(text: &str) -> (ir::Program, Engine) {
        let compiled = crate::driver::compile_text("p.dl", text)
            .unwrap_or_else(|failed| panic!("{:?}", failed.diagnostics));
        let mut engine = Engine::new(&compiled.program);
        engine.run(&Limits::default()).unwrap();
        (compiled.program, engine)
    }

    #[test]
    fn a_narrower_policy_shows_what_leaves_the_scope() {
        let facts = "edge(\"a\", \"b\"). edge(\"b\", \"c\"). held(\"c\").\n";
        let (old, old_engine) = evaluate(&format!(
            "{facts}scope(x) :- edge(\"a\", x). scope(y) :- scope(x), edge(x, y).\n"
        ));
        let (new, new_engine) = evaluate(&format!(
            "{facts}scope(x) :- edge(\"a\", x). scope(y) :- scope(x), edge(x, y), !held(y).\nextra(x) :- held(x).\n"
        ));
        let diffs = diff(&old, &old_engine, &new, &new_engine);
        let scope = diffs.iter().find(|d| d.name == "scope").unwrap();
        assert_eq!(scope.disappeared, vec![vec!["c".to_owned()]]);
        assert!(scope.appeared.is_empty());
        assert_eq!(scope.unchanged, 1);
        // `extra` exists only in the new version: not compared.
        assert!(diffs.iter().all(|d| d.name != "extra"));
        // Base relations are not compared.
        assert!(diffs.iter().all(|d| d.name != "edge"));
    }
}
