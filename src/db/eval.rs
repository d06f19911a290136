//! This module hands the database's facts to a program: every relation the
//! program declares gets the live facts recorded under its name, typed by the
//! program's declaration (as a `.facts` file would be), and the journal's own
//! transactions fill the relation `tx`. Like every load, it is all-or-nothing.

use crate::db::state::State;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::ir::{self, RelId, Type};
use crate::value::{Value, ValueStore};

/// The relation the journal's transactions fill.
pub const TX_RELATION: &str = "tx";

/// The columns of `tx`, in order.
pub const TX_COLUMNS: [&str; 6] = [
    "seq",
    "recorded_at",
    "principal",
    "channel",
    "source",
    "reason",
];

/// The declaration a program uses to read the journal's transactions.
pub const TX_DECL: &str = ".decl tx(seq: number, recorded_at: datetime, principal: symbol, channel: symbol, source: symbol, reason: symbol)";

/// Facts of one relation, typed for the program: `n_rows` rows of its arity.
#[derive(Debug)]
pub struct Loaded {
    pub rel: RelId,
    pub n_rows: usize,
    pub values: Vec<Value>,
}

/// The most problems reported before reading stops.
const MAX_ERRORS: usize = 20;

/// Types the database's facts for `program`. Either every fact fits its
/// relation's declaration, or nothing is returned but the problems.
pub fn read_facts(
    program: &ir::Program,
    store: &mut ValueStore,
    state: &State,
) -> Result<Vec<Loaded>, Vec<Diagnostic>> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for (idx, relation) in program.relations.iter().enumerate() {
        if relation.hidden {
            continue;
        }
        let rel = RelId(idx as u32);
        let types: Vec<Type> = relation.columns.iter().map(|column| column.ty).collect();
        if relation.name == TX_RELATION {
            if relation.arity() != TX_COLUMNS.len() {
                errors.push(arity_error(relation, TX_COLUMNS.len(), TX_DECL));
                continue;
            }
            let mut values = Vec::with_capacity(state.log.len() * TX_COLUMNS.len());
            for entry in &state.log {
                let fields = [
                    entry.seq.to_string(),
                    entry.recorded_at.clone(),
                    entry.principal.clone(),
                    entry.channel.clone(),
                    entry.source.describe(),
                    entry.reason.clone().unwrap_or_default(),
                ];
                push_row(
                    store,
                    relation,
                    &types,
                    &fields,
                    entry.seq,
                    &mut values,
                    &mut errors,
                );
            }
            loaded.push(Loaded {
                rel,
                n_rows: state.log.len(),
                values,
            });
            continue;
        }
        let Some(facts) = state.relations.get(&relation.name) else {
            continue;
        };
        if facts.live.is_empty() {
            continue;
        }
        if facts.arity != relation.arity() {
            errors.push(arity_error(
                relation,
                facts.arity,
                &format!("the database's `{}` facts", relation.name),
            ));
            continue;
        }
        let mut values = Vec::with_capacity(facts.live.len() * relation.arity());
        for (fields, &seq) in &facts.live {
            push_row(
                store,
                relation,
                &types,
                fields,
                seq,
                &mut values,
                &mut errors,
            );
            if errors.len() >= MAX_ERRORS {
                break;
            }
        }
        loaded.push(Loaded {
            rel,
            n_rows: facts.live.len(),
            values,
        });
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

fn push_row(
    store: &mut ValueStore,
    relation: &ir::Relation,
    types: &[Type],
    fields: &[String],
    seq: u64,
    values: &mut Vec<Value>,
    errors: &mut Vec<Diagnostic>,
) {
    for ((field, ty), column) in fields.iter().zip(types).zip(&relation.columns) {
        match store.parse(*ty, field) {
            Ok(value) => values.push(value),
            Err(message) => {
                let fact = crate::db::record::Fact {
                    rel: relation.name.clone(),
                    fields: fields.to_vec(),
                };
                let mut diagnostic = Diagnostic::error(
                    Code::BadFact,
                    format!(
                        "the fact {} recorded in transaction {seq} does not fit column `{}` of `{}`: {message}",
                        fact.to_source(),
                        column.name,
                        relation.name
                    ),
                )
                .with_help(
                    "correct it with `tracelog retract --reason ... --add FIXED`, or change the column's type in the program",
                );
                if let Some(span) = relation.decl {
                    diagnostic = diagnostic.at(span).with_label("declared here");
                } else {
                    diagnostic = diagnostic.at_location(Location::File {
                        path: format!("journal transaction {seq}"),
                    });
                }
                errors.push(diagnostic);
                values.push(0);
            }
        }
    }
}

fn arity_error(relation: &ir::Relation, arity: usize, what: &str) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        Code::ArityMismatch,
        format!(
            "`{}` has {} columns in the program but {} columns in the database",
            relation.name,
            relation.arity(),
            arity
        ),
    )
    .with_help(format!("declare it to match {what}"));
    match relation.decl {
        Some(span) => diagnostic.at(span),
        None => diagnostic.at(relation.first_use),
    }
}
