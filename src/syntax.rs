//! This module turns program text into [`ast::Program`]s: the lalrpop parser
//! with statement-level error recovery, and `.include` resolution.

pub mod ast;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceMap};

/// Parses one file. Never fails: syntax errors become `parse-error`
/// diagnostics and the statements around them are still returned.
pub fn parse(sources: &SourceMap, file: FileId) -> (ast::Program, Vec<Diagnostic>) {
    let _ = (sources, file);
    todo!("syntax::parse")
}

/// Parses `root` and every file it includes (transitively, each once), adding
/// included files to `sources`. Reports `include-not-found` and `include-cycle`.
/// The result lists files in the order their statements take effect.
pub fn parse_with_includes(
    sources: &mut SourceMap,
    root: FileId,
) -> (Vec<(FileId, ast::Program)>, Vec<Diagnostic>) {
    let _ = (sources, root);
    todo!("syntax::parse_with_includes")
}
