//! This module finds the journal records of the base facts of proofs: the
//! transaction that asserted each live fact of the database, with its time,
//! principal, source file and line, and the EPCIS eventID of event facts
//! (shown at the leaves of a proof).

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ir::{self, RelId, Type};
use crate::provenance::{Node, Record};
use crate::value::{Value, ValueStore};

/// The journal record of every leaf (of one proof or several) that is a live
/// fact of the database: one pass over each leaf relation's live facts, one
/// read of the journal for the lines.
pub fn journal_records<'p>(
    program: &ir::Program,
    values: &ValueStore,
    state: &crate::db::State,
    dir: &Path,
    leaves: impl Iterator<Item = &'p Node>,
) -> FxHashMap<(RelId, Vec<Value>), Record> {
    let mut wanted: FxHashMap<RelId, FxHashSet<&[Value]>> = FxHashMap::default();
    for leaf in leaves {
        wanted.entry(leaf.rel).or_default().insert(&leaf.tuple);
    }
    let mut found: Vec<Found> = Vec::new();
    let mut scratch = ValueStore::default();
    for (&rel, tuples) in &wanted {
        let relation = program.relation(rel);
        let Some(facts) = state.relations.get(&relation.name) else {
            continue;
        };
        let mut left = tuples.len();
        let mut key = Vec::with_capacity(relation.arity());
        for (fields, &seq) in &facts.live {
            if fields.len() != relation.arity() {
                continue;
            }
            key.clear();
            let encoded = fields.iter().zip(&relation.columns).all(|(field, column)| {
                let value = match column.ty {
                    Type::Symbol => values.symbol_id(field).map(Value::from),
                    // Dynamically typed values are interned per store: not matched here.
                    Type::Any => None,
                    ty => scratch.parse(ty, field).ok(),
                };
                match value {
                    Some(value) => {
                        key.push(value);
                        true
                    }
                    None => false,
                }
            });
            if encoded && tuples.contains(key.as_slice()) {
                found.push((rel, key.clone(), fields.clone(), seq));
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
    }
    let facts: Vec<(u64, crate::db::record::Fact)> = found
        .iter()
        .map(|(rel, _, fields, seq)| {
            let fact = crate::db::record::Fact {
                rel: program.relation(*rel).name.clone(),
                fields: fields.to_vec(),
            };
            (*seq, fact)
        })
        .collect();
    // The line is kept in the transaction, not in the replayed state.
    let lines = crate::db::assertion_lines(dir, &facts).unwrap_or_else(|_| vec![None; facts.len()]);
    let mut records = FxHashMap::default();
    for ((rel, tuple, fields, seq), line) in found.into_iter().zip(lines) {
        let Ok(at) = state.log.binary_search_by_key(&seq, |entry| entry.seq) else {
            continue;
        };
        let entry = &state.log[at];
        let relation = program.relation(rel);
        let event_id = (is_event_relation(&relation.name)
            && relation
                .columns
                .first()
                .is_some_and(|c| c.ty == Type::Symbol))
        .then(|| fields[0].clone());
        records.insert(
            (rel, tuple),
            Record {
                seq,
                recorded_at: entry.recorded_at.clone(),
                principal: entry.principal.clone(),
                source: entry.source.describe(),
                // Importers write 0 for a fact with no line of its own.
                line: line.filter(|&line| line > 0),
                source_path: entry.source.path.clone(),
                source_sha256: entry.source.sha256.clone(),
                event_id,
            },
        );
    }
    records
}

/// A live fact of the database that is a leaf: (relation, tuple, fields as
/// recorded, asserting transaction).
type Found = (RelId, Vec<Value>, Box<[String]>, u64);

/// A relation of rules/schema.dl whose first column is the EPCIS event
/// (its eventID, or its hash identity when the event has none).
fn is_event_relation(name: &str) -> bool {
    crate::epcis::EVENT_RELATIONS.contains(&name) || name == "ev_source"
}
