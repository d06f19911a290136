//! This module runs the front of the pipeline for a whole program: read the
//! text, parse it with its includes, check it. The CLI, the tests and later the
//! REPL all start here.

use std::path::Path;

use crate::check;
use crate::diagnostic::{self, Code, Diagnostic, Location};
use crate::ir;
use crate::source::SourceMap;
use crate::syntax;

/// A program that checked without errors, with the warnings found on the way.
#[derive(Debug)]
pub struct Compiled {
    pub sources: SourceMap,
    pub program: ir::Program,
    pub warnings: Vec<Diagnostic>,
}

/// A program that did not check: every diagnostic found (errors and warnings).
#[derive(Debug)]
pub struct Failed {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, parses and checks the program at `path`.
pub fn compile_file(path: &Path) -> Result<Compiled, Failed> {
    let mut sources = SourceMap::default();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            let diagnostic = Diagnostic::error(
                Code::InputNotFound,
                format!("cannot read the program `{}`: {err}", path.display()),
            )
            .at_location(Location::File {
                path: path.display().to_string(),
            });
            return Err(Failed {
                sources,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let root = sources.add(path.display().to_string(), Some(path.to_path_buf()), text);
    // `.include "recall.dl"` with no such file beside the program is the shipped one.
    compile_in(sources, root, crate::rules::SHIPPED)
}

/// Parses and checks a program given as text; `name` is shown in diagnostics.
/// `.include` paths resolve against the current directory.
pub fn compile_text(name: &str, text: &str) -> Result<Compiled, Failed> {
    let mut sources = SourceMap::default();
    let root = sources.add(name, None, text);
    compile(sources, root)
}

/// Parses and checks a program given as text whose `.include`s may name the
/// rule sets built into the binary (`schema.dl`, `genealogy.dl`, ...; see
/// [`crate::rules`]), as the trace and recall commands do.
pub fn compile_with_shipped_rules(name: &str, text: &str) -> Result<Compiled, Failed> {
    let mut sources = SourceMap::default();
    let root = sources.add(name, None, text);
    compile_in(sources, root, crate::rules::SHIPPED)
}

/// Compiles several rule files as one program, in order: each name is a
/// file (relative to the current directory) or, when there is no such file,
/// a rule set built into the binary (`recall.dl`). The program's first
/// source is a generated text named `<rules>` that includes them.
pub fn compile_files(names: &[String]) -> Result<Compiled, Failed> {
    let text: String = names
        .iter()
        .map(|name| format!(".include {}\n", crate::db::record::quote(name)))
        .collect();
    let mut sources = SourceMap::default();
    // A path with no directory: includes resolve against the current directory.
    let root = sources.add("<rules>", Some(std::path::PathBuf::from("<rules>")), text);
    compile_in(sources, root, crate::rules::SHIPPED)
}

fn compile(sources: SourceMap, root: crate::source::FileId) -> Result<Compiled, Failed> {
    compile_in(sources, root, &[])
}

fn compile_in(
    mut sources: SourceMap,
    root: crate::source::FileId,
    library: &[(&str, &str)],
) -> Result<Compiled, Failed> {
    let (files, mut diagnostics) = syntax::parse_with_library(&mut sources, root, library);
    if diagnostic::has_errors(&diagnostics) {
        return Err(Failed {
            sources,
            diagnostics,
        });
    }
    let (program, mut check_diagnostics) = check::check(&sources, &files);
    // Passes report in pass order; a reader wants them in the order of the text.
    check_diagnostics.sort_by_key(|diagnostic| match &diagnostic.location {
        Some(Location::Span(span)) => (0, span.file, span.start),
        _ => (1, crate::source::FileId(0), 0),
    });
    diagnostics.extend(check_diagnostics);
    if diagnostic::has_errors(&diagnostics) {
        return Err(Failed {
            sources,
            diagnostics,
        });
    }
    Ok(Compiled {
        sources,
        program,
        warnings: diagnostics,
    })
}
