//! This module implements the two other modes of `tracelog explain`:
//! `--not` (why a tuple is not derived, `is-derived` when it is) and `--all`
//! (alternative proofs), and the `not-derived` diagnostic they share with
//! the shortest proof.

use crate::cli::explain::ExplainArgs;
use crate::cli::{Status, eprint_diagnostics, print_stdout};
use crate::diagnostic::Diagnostic;
use crate::engine::Engine;
use crate::ir::{self, RelId};
use crate::provenance::{self, ExplainError};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

/// `not-derived`: the tuple asked about is not in its relation.
pub(super) fn not_derived(
    args: &ExplainArgs,
    sources: &mut SourceMap,
    program: &ir::Program,
    values: &ValueStore,
    rel: RelId,
    tuple: &[Value],
) -> Diagnostic {
    provenance::not_derived(
        sources,
        program,
        values,
        (rel, tuple),
        &args.atom,
        format!(
            "check the values and the facts; `tracelog explain --not '{}'` shows which rule stops where",
            args.atom.trim()
        ),
    )
}

/// `explain --not`: why the tuple is not derived.
pub(super) fn why_not(
    args: &ExplainArgs,
    engine: &mut Engine,
    program: &ir::Program,
    sources: &mut SourceMap,
    rel: RelId,
    tuple: &[Value],
) -> std::io::Result<Status> {
    let limit = args.limit.unwrap_or(5);
    match provenance::why_not(engine, program, rel, tuple, limit) {
        Ok(why) => {
            print_stdout(&provenance::render_why_not(
                &why,
                program,
                sources,
                engine.values(),
                provenance::Asker::Command,
            ))?;
            Ok(Status::Ok)
        }
        Err(ExplainError::Derived) => {
            let diagnostic = provenance::is_derived(
                sources,
                program,
                engine.values(),
                (rel, tuple),
                &args.atom,
                format!(
                    "drop --not to see its proof: `tracelog explain '{}'`",
                    args.atom.trim()
                ),
            );
            eprint_diagnostics(sources, &[diagnostic])?;
            Ok(Status::Failed)
        }
        Err(err) => Err(std::io::Error::other(format!("cannot explain: {err}"))),
    }
}

/// `explain --all`: alternative proofs, numbered.
pub(super) fn all_proofs(
    args: &ExplainArgs,
    engine: &mut Engine,
    program: &ir::Program,
    sources: &mut SourceMap,
    database: Option<(&std::path::Path, &crate::db::State)>,
    rel: RelId,
    tuple: &[Value],
) -> std::io::Result<Status> {
    let limit = args.limit.unwrap_or(10);
    let alternatives = match provenance::explain_all(engine, program, rel, tuple, limit) {
        Ok(alternatives) => alternatives,
        Err(ExplainError::NotDerived) => {
            let diagnostic = not_derived(args, sources, program, engine.values(), rel, tuple);
            eprint_diagnostics(sources, &[diagnostic])?;
            return Ok(Status::Failed);
        }
        Err(err) => return Err(std::io::Error::other(format!("cannot explain: {err}"))),
    };
    let values = engine.values();
    let records = match database {
        Some((dir, state)) => provenance::journal_records(
            program,
            values,
            state,
            dir,
            alternatives.proofs.iter().flat_map(|proof| proof.leaves()),
        ),
        None => Default::default(),
    };
    let record = |rel: RelId, tuple: &[Value]| records.get(&(rel, tuple.to_vec())).cloned();
    print_stdout(&provenance::render_all(
        &alternatives,
        program,
        sources,
        values,
        &record,
    ))?;
    Ok(Status::Ok)
}
