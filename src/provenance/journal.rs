//! This module finds the journal record of a base fact of a proof: the
//! transaction that asserted a live fact of the database, with its time,
//! principal, source file and line (shown at the leaves of a proof).

use crate::ir::{self, RelId, Type};
use crate::provenance::Record;
use crate::value::{Value, ValueStore};

/// The transaction that recorded a live base fact of the database.
pub fn journal_record(
    program: &ir::Program,
    values: &ValueStore,
    state: &crate::db::State,
    dir: &std::path::Path,
    rel: RelId,
    tuple: &[Value],
) -> Option<Record> {
    let relation = program.relation(rel);
    let facts = state.relations.get(&relation.name)?;
    let mut scratch = ValueStore::default();
    let mut same =
        |fields: &[String]| -> bool {
            fields.len() == tuple.len()
                && fields.iter().zip(tuple).zip(&relation.columns).all(
                    |((field, &value), column)| match column.ty {
                        Type::Symbol => values.symbol_id(field) == Some(value as u32),
                        Type::Any => false,
                        ty => scratch.parse(ty, field).ok() == Some(value),
                    },
                )
        };
    let (fields, seq) = facts
        .live
        .iter()
        .find(|(fields, _)| same(fields))
        .map(|(fields, &seq)| (fields.to_vec(), seq))?;
    let entry = state.log.iter().find(|entry| entry.seq == seq)?;
    // The line is kept in the transaction, not in the replayed state.
    let fact = crate::db::record::Fact {
        rel: relation.name.clone(),
        fields,
    };
    let line = crate::db::history(dir, &fact)
        .ok()
        .and_then(|history| {
            history
                .into_iter()
                .find(|item| item.seq == seq && item.asserted)
        })
        .and_then(|item| item.line);
    Some(Record {
        seq,
        recorded_at: entry.recorded_at.clone(),
        principal: entry.principal.clone(),
        source: entry.source.describe(),
        line,
    })
}
