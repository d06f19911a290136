//! This module changes the program of an evaluated engine (new rules, new
//! relations, as the REPL's typed rules and `:load` do) without evaluating
//! everything again: the strata the change cannot reach — none of their
//! relations is downstream of a relation whose rules, columns or directives
//! changed — are moved into the new engine as they are (relations, indexes,
//! provenance heights); only the other strata are evaluated, from the base
//! facts the old engine holds.

use rustc_hash::FxHashMap;

use super::stratum::Stored;
use super::{Engine, EngineError, FactStore, Limits};
use crate::ir::{self, Literal, RelId};

/// What [`Engine::evolve`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvolveStats {
    /// Strata moved from the old engine as they were (no rule ran).
    pub kept: usize,
    /// Strata evaluated from their inputs.
    pub evaluated: usize,
}

impl Engine {
    /// An engine for `program` (a later version of the old engine's program:
    /// the same relations by name, with more relations or rules) holding the
    /// old engine's base facts, with the strata the change cannot reach
    /// taken over from `old` and the others evaluated. Provenance is
    /// recorded when the old engine records it.
    ///
    /// `Ok(None)` when this does not apply and the caller evaluates from
    /// scratch: the old engine is not at a fixpoint, a relation of the old
    /// program is gone or changed its column types (its values would need
    /// encoding again). On an error (a limit, a cancel) `old` is as it was;
    /// on success it has given its values and kept strata away: drop it.
    pub fn evolve(
        old: &mut Engine,
        program: &ir::Program,
        limits: &Limits,
    ) -> Result<Option<(Engine, EvolveStats)>, EngineError> {
        if !old.ran || old.dirty {
            return Ok(None);
        }
        let mut engine = Engine::new(program);
        let n = engine.relations.len();
        let old_ids: FxHashMap<&str, usize> = old
            .relations
            .iter()
            .enumerate()
            .map(|(idx, relation)| (relation.name.as_str(), idx))
            .collect();
        // Per new relation: its old id, when it keeps its columns' types.
        let mut old_of: Vec<Option<usize>> = vec![None; n];
        for (idx, relation) in engine.relations.iter().enumerate() {
            if let Some(&old_idx) = old_ids.get(relation.name.as_str()) {
                let before = &old.relations[old_idx];
                if before.columns.len() != relation.columns.len()
                    || before
                        .columns
                        .iter()
                        .zip(&relation.columns)
                        .any(|(a, b)| a.ty != b.ty)
                {
                    return Ok(None);
                }
                old_of[idx] = Some(old_idx);
            }
        }
        if old_of.iter().flatten().count() != old.relations.len() {
            return Ok(None);
        }

        // Changed: new relations, relations whose declaration or directives
        // changed, and heads whose rules changed; then everything downstream.
        let rules_of = |rules: &[ir::Rule], rel: usize| -> Vec<String> {
            rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.head.rel.0 as usize == rel)
                .map(|(idx, rule)| format!("{idx}:{rule:?}"))
                .collect()
        };
        let mut affected = vec![false; n];
        for idx in 0..n {
            affected[idx] = match old_of[idx] {
                None => true,
                Some(old_idx) => {
                    old_idx != idx
                        || format!("{:?}", old.relations[old_idx])
                            != format!("{:?}", engine.relations[idx])
                        || rules_of(&old.rules, old_idx) != rules_of(&engine.rules, idx)
                }
            };
        }
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for rule in &engine.rules {
            let mut read = Vec::new();
            body_relations(&rule.body, &mut read);
            for rel in read {
                readers[rel.0 as usize].push(rule.head.rel.0 as usize);
            }
        }
        let mut todo: Vec<usize> = (0..n).filter(|&idx| affected[idx]).collect();
        while let Some(rel) = todo.pop() {
            for &head in &readers[rel] {
                if !affected[head] {
                    affected[head] = true;
                    todo.push(head);
                }
            }
        }

        // Strata planned the same way over unaffected relations keep their store.
        let old_strata: FxHashMap<String, usize> = old
            .plan
            .strata
            .iter()
            .enumerate()
            .map(|(idx, stratum)| (format!("{stratum:?}"), idx))
            .collect();
        let mut kept: Vec<Option<Box<dyn Stored>>> = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut stats = EvolveStats::default();
        for (idx, stratum) in engine.plan.strata.iter().enumerate() {
            kept.push(None);
            if stratum.relations.is_empty() {
                continue;
            }
            let reads_unaffected = stratum
                .relations
                .iter()
                .chain(&stratum.facts)
                .chain(stratum.views.iter().map(|view| &view.rel))
                .all(|rel| !affected[rel.0 as usize]);
            let store = old_strata
                .get(&format!("{stratum:?}"))
                .and_then(|&old_idx| old.stratum_store.get(old_idx).copied().flatten());
            match store {
                Some(store) if reads_unaffected => {
                    let placeholder: Box<dyn Stored> = Box::new(FactStore::default());
                    kept[idx] = Some(std::mem::replace(&mut old.stores[store], placeholder));
                    taken.push((idx, store));
                    stats.kept += 1;
                }
                _ => stats.evaluated += 1,
            }
        }

        // Every base fact of the old engine (the relations of kept strata
        // keep their copy of derived relations' base facts this way too).
        for (idx, old_idx) in old_of.iter().enumerate() {
            if let Some(old_idx) = *old_idx {
                let (rows, unit) = old.base_facts(RelId(old_idx as u32));
                engine.pending[idx] = rows;
                engine.pending_units[idx] = unit;
            }
        }
        engine.values = std::mem::take(&mut old.values);
        engine.rounds = old.rounds;
        match engine.evaluate(limits, None, &mut kept) {
            Ok(()) => Ok(Some((engine, stats))),
            Err(err) => {
                // Back to the old engine: its stores and values.
                for (idx, store) in taken {
                    let moved = match kept[idx].take() {
                        Some(store) => Some(store),
                        None => engine.stratum_store.get(idx).copied().flatten().map(|at| {
                            std::mem::replace(
                                &mut engine.stores[at],
                                Box::new(FactStore::default()),
                            )
                        }),
                    };
                    if let Some(moved) = moved {
                        old.stores[store] = moved;
                    }
                }
                old.values = std::mem::take(&mut engine.values);
                if let Some(rounds) = engine.rounds {
                    // Rounds only grow: the old engine's later rounds stay above.
                    old.rounds = Some(rounds);
                }
                Err(err)
            }
        }
    }
}

/// The relations a rule body reads (positively, negated, in aggregates).
fn body_relations(literals: &[Literal], out: &mut Vec<RelId>) {
    for literal in literals {
        match literal {
            Literal::Positive(atom) | Literal::Negative(atom) => out.push(atom.rel),
            Literal::Aggregate(aggregate) => body_relations(&aggregate.body, out),
            Literal::Compare(..) | Literal::Assign(..) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver;
    use crate::engine::Change;
    use crate::value::Value;

    fn program(text: &str) -> ir::Program {
        match driver::compile_text("<test>", text) {
            Ok(compiled) => compiled.program,
            Err(_) => panic!("does not compile: {text}"),
        }
    }

    fn run(text: &str) -> Engine {
        let mut engine = Engine::new(&program(text));
        engine.set_provenance(true);
        engine.run(&Limits::default()).unwrap();
        engine
    }

    /// The stored value of the number `n`.
    fn num(engine: &mut Engine, n: i64) -> Value {
        engine
            .values_mut()
            .encode(ir::Type::Number, &ir::Const::Int(n))
            .unwrap()
    }

    fn rows(engine: &Engine, program: &ir::Program, name: &str) -> Vec<Vec<Value>> {
        let rel = program.relation_by_name(name).unwrap();
        engine.rows(rel).map(<[Value]>::to_vec).collect()
    }

    const BASE: &str = "edge(1, 2). edge(2, 3). edge(3, 1).\n\
                        path(x, y) :- edge(x, y).\n\
                        path(x, z) :- path(x, y), edge(y, z).\n";

    #[test]
    fn a_rule_over_kept_relations_evaluates_one_stratum_and_keeps_heights() {
        let mut old = run(BASE);
        let before = program(BASE);
        let path = before.relation_by_name("path").unwrap();
        let (one, two, three) = (num(&mut old, 1), num(&mut old, 2), num(&mut old, 3));
        let height = old.height(path, &[one, three]).unwrap();
        let text = format!("{BASE}loop(x) :- path(x, x).\n");
        let new_program = program(&text);
        let (engine, stats) = Engine::evolve(&mut old, &new_program, &Limits::default())
            .unwrap()
            .unwrap();
        // `edge` (its facts are rules) and `path` kept, `loop` evaluated.
        assert_eq!(
            stats,
            EvolveStats {
                kept: 2,
                evaluated: 1
            }
        );
        // The kept stratum's heights are the ones its evaluation recorded.
        assert_eq!(engine.height(path, &[one, three]), Some(height));
        assert_eq!(rows(&engine, &new_program, "loop"), [[one], [two], [three]]);
        let fresh = run(&text);
        for name in ["edge", "path", "loop"] {
            assert_eq!(
                rows(&engine, &new_program, name),
                rows(&fresh, &new_program, name)
            );
        }
    }

    #[test]
    fn a_rule_for_a_kept_relation_evaluates_what_reads_it() {
        let mut old = run(BASE);
        let text = format!("{BASE}edge(x, 4) :- edge(x, 1).\n");
        let new_program = program(&text);
        let (engine, stats) = Engine::evolve(&mut old, &new_program, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(stats.kept, 0);
        assert_eq!(
            rows(&engine, &new_program, "path"),
            rows(&run(&text), &new_program, "path")
        );
    }

    #[test]
    fn a_changed_column_type_or_a_stop_leaves_the_old_engine() {
        let mut old = run("a(1). b(x) :- a(x).");
        let widened = program("a(1). a(\"x\"). b(x) :- a(x).");
        assert!(
            Engine::evolve(&mut old, &widened, &Limits::default())
                .unwrap()
                .is_none()
        );
        let mut old = run(BASE);
        let before = program(BASE);
        let grown = program(&format!("{BASE}pair(x, y) :- path(x, _), path(y, _).\n"));
        let limits = Limits {
            max_tuples: Some(10),
            ..Limits::default()
        };
        assert!(Engine::evolve(&mut old, &grown, &limits).is_err());
        // The old engine answers as before and still updates.
        assert_eq!(rows(&old, &before, "path").len(), 9);
        let edge = before.relation_by_name("edge").unwrap();
        let (one, three, four) = (num(&mut old, 1), num(&mut old, 3), num(&mut old, 4));
        old.update(
            vec![Change::insert(edge, vec![three, four])],
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(rows(&old, &before, "path").len(), 12);
        let path = before.relation_by_name("path").unwrap();
        assert!(old.height(path, &[one, four]).is_some());
    }
}
