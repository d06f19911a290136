//! This module checks parsed files and lowers them to the checked program
//! ([`ir::Program`]): names, arity, types, safety and stratification.
//!
//! The passes run in a fixed order, each reporting every problem it finds:
//! `resolve` (relations, declarations, directives), `lower` (flat rules with
//! spans), `safety` (binding and body order), `types` (inference, checks,
//! conversion to `ir`), `stratify` (strata). A rule with a problem found while
//! lowering is left out of the later passes, so one mistake gives one report.

mod lower;
mod resolve;
mod safety;
pub(crate) mod similar;
mod stratify;
mod types;

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast;

/// Checks a whole program (the root file and its includes, in order). Returns
/// every problem found, not only the first; when any is an error the program
/// must not be evaluated.
pub fn check(
    sources: &SourceMap,
    files: &[(FileId, ast::Program)],
) -> (ir::Program, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut names = resolve::resolve(files, &mut diags);
    let (mut rules, queries) = lower::lower(files, &mut names, &mut diags);
    safety::order_rules(&mut rules, &mut diags);
    let typed = types::check_types(sources, &names, &rules, &mut diags);
    let strata = stratify::stratify(&names, &rules, &mut diags);

    let relations = names
        .rels
        .iter()
        .zip(&typed.columns)
        .map(|(rel, types)| ir::Relation {
            name: rel.name.clone(),
            columns: rel
                .columns
                .iter()
                .zip(types)
                .map(|(column, ty)| ir::Column {
                    name: column.name.clone(),
                    ty: *ty,
                    type_name: if column.type_name.is_empty() {
                        ty.name().to_owned()
                    } else {
                        column.type_name.clone()
                    },
                })
                .collect(),
            decl: rel.decl,
            first_use: rel.first_use,
            inputs: rel.inputs.clone(),
            outputs: rel.outputs.clone(),
            printsize: rel.printsize,
            hidden: rel.hidden,
        })
        .collect();
    // Rules keep source order; broken ones (already reported) are left out.
    let mut rule_ids = vec![None; typed.rules.len()];
    let mut ir_rules = Vec::new();
    for (idx, rule) in typed.rules.into_iter().enumerate() {
        if let Some(rule) = rule {
            rule_ids[idx] = Some(ir::RuleId(ir_rules.len() as u32));
            ir_rules.push(rule);
        }
    }
    let strata = strata
        .into_iter()
        .map(|stratum| ir::Stratum {
            relations: stratum.relations,
            rules: stratum
                .rules
                .iter()
                .filter_map(|&idx| rule_ids[idx])
                .collect(),
            recursive: stratum.recursive,
        })
        .collect();
    let program = ir::Program {
        relations,
        rules: ir_rules,
        strata,
        queries: queries
            .into_iter()
            .map(|(rel, origin)| ir::QueryInfo { rel, origin })
            .collect(),
        policies: names.policies,
        type_aliases: names.aliases,
    };
    // A rule with several heads or alternatives is lowered several times:
    // report each problem once.
    let mut seen = rustc_hash::FxHashSet::default();
    let unique: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| {
            let span = match &d.location {
                Some(crate::diagnostic::Location::Span(span)) => Some(*span),
                _ => None,
            };
            seen.insert((d.code, d.message.clone(), span))
        })
        .collect();
    (program, unique)
}

#[cfg(test)]
mod tests;
