//! This module reads the atom a user asks about (`lot_affected("L-2")`):
//! one atom of constants in the language's syntax, checked against the
//! program's relations and column types, as encoded values.

use crate::check::similar;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Const, RelId};
use crate::source::SourceMap;
use crate::syntax::{self, ast};
use crate::value::ValueStore;

/// Why an atom cannot be looked up: diagnostics located in the atom's text
/// (added to the `SourceMap` as `<atom>`).
pub type AtomError = Vec<Diagnostic>;

/// Parses `text` as one ground atom of a relation of `program`.
pub fn parse_atom(
    sources: &mut SourceMap,
    program: &ir::Program,
    values: &mut ValueStore,
    text: &str,
) -> Result<(RelId, Vec<crate::value::Value>), AtomError> {
    let trimmed = text.trim_end();
    let source = if trimmed.ends_with('.') {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    };
    let file = sources.add("<atom>", None, source);
    let (parsed, mut errors) = syntax::parse(sources, file);
    errors.retain(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors);
    }
    let whole = crate::source::Span::new(file, 0, trimmed.len());
    let atom = match parsed.items.as_slice() {
        [ast::Item::Rule(rule)] if rule.body.is_none() && rule.heads.len() == 1 => &rule.heads[0],
        _ => {
            return Err(vec![
                Diagnostic::error(Code::NotAFact, "expected one atom of constants")
                    .at(whole)
                    .with_label("not a single atom")
                    .with_help("write one atom such as `lot_affected(\"L-2\")`"),
            ]);
        }
    };
    let name = &atom.name.text;
    let Some(rel) = program
        .relation_by_name(name)
        .filter(|rel| !program.relation(*rel).hidden)
    else {
        let candidates = program
            .relations
            .iter()
            .filter(|relation| !relation.hidden)
            .map(|relation| relation.name.as_str());
        let help = match similar::best_match(name, candidates) {
            Some(other) => format!("did you mean `{other}`?"),
            None => "name a relation the rules declare or derive".to_string(),
        };
        return Err(vec![
            Diagnostic::error(
                Code::UnknownRelation,
                format!("the rules have no relation `{name}`"),
            )
            .at(atom.name.span)
            .with_label("no such relation")
            .with_help(help),
        ]);
    };
    let relation = program.relation(rel);
    if relation.arity() != atom.args.len() {
        return Err(vec![
            Diagnostic::error(
                Code::ArityMismatch,
                format!(
                    "`{name}` has {} columns but the atom has {}",
                    relation.arity(),
                    atom.args.len()
                ),
            )
            .at(atom.span)
            .with_help(format!(
                "give one value per column: {name}({})",
                relation
                    .columns
                    .iter()
                    .map(|column| column.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ]);
    }
    let mut tuple = Vec::with_capacity(atom.args.len());
    let mut errors = Vec::new();
    for (arg, column) in atom.args.iter().zip(&relation.columns) {
        let Some(constant) = Const::from_literal(arg) else {
            errors.push(
                Diagnostic::error(Code::NotAFact, "each argument must be a constant")
                    .at(arg.span())
                    .with_label("not a constant")
                    .with_help("write a string (\"L-1\"), a number (42) or a float (1.5)"),
            );
            continue;
        };
        let value = match &constant {
            Const::Sym(text) if column.ty == ir::Type::DateTime => {
                values.parse(column.ty, text).ok()
            }
            other => values.encode(column.ty, other),
        };
        match value {
            Some(value) => tuple.push(value),
            None => errors.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "column `{}` of `{name}` holds values of type {}",
                        column.name,
                        column.ty.name()
                    ),
                )
                .at(arg.span())
                .with_label("a value of another type")
                .with_help(format!("write a {} here", column.ty.name())),
            ),
        }
    }
    if errors.is_empty() {
        Ok((rel, tuple))
    } else {
        Err(errors)
    }
}

/// The answer "not in the relation" about the atom `text` a user asked
/// about (`not-derived`, located in the atom as `<atom>`); `help` says what
/// to ask next where the user asked.
pub fn not_derived(
    sources: &mut SourceMap,
    program: &ir::Program,
    values: &ValueStore,
    (rel, tuple): (RelId, &[crate::value::Value]),
    text: &str,
    help: String,
) -> Diagnostic {
    about_atom(
        sources,
        text,
        Diagnostic::error(
            Code::NotDerived,
            format!(
                "{} is not derived from these facts",
                super::render_tuple(program, values, rel, tuple)
            ),
        ),
    )
    .with_label("not in the relation")
    .with_help(help)
}

/// The answer "derived, so no why-not" about the atom `text` (`is-derived`).
pub fn is_derived(
    sources: &mut SourceMap,
    program: &ir::Program,
    values: &ValueStore,
    (rel, tuple): (RelId, &[crate::value::Value]),
    text: &str,
    help: String,
) -> Diagnostic {
    about_atom(
        sources,
        text,
        Diagnostic::error(
            Code::IsDerived,
            format!(
                "{} is derived: there is no why-not to show",
                super::render_tuple(program, values, rel, tuple)
            ),
        ),
    )
    .with_label("in the relation")
    .with_help(help)
}

/// `diagnostic` located on the whole atom `text`, added to `sources` as `<atom>`.
fn about_atom(sources: &mut SourceMap, text: &str, diagnostic: Diagnostic) -> Diagnostic {
    let file = sources.add("<atom>", None, text.to_owned());
    diagnostic.at(crate::source::Span::new(file, 0, text.len()))
}
