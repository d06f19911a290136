//! This module turns program text into [`ast::Program`]s: the lalrpop parser
//! with statement-level error recovery, and `.include` resolution.

pub mod ast;
pub mod lexer;
pub mod parser;

use std::path::PathBuf;

use rustc_hash::FxHashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};

/// Parses one file. Never fails: syntax errors become `parse-error`
/// diagnostics and the statements around them are still returned.
pub fn parse(sources: &SourceMap, file: FileId) -> (ast::Program, Vec<Diagnostic>) {
    let text = sources.file(file).text.clone();
    parser::parse_text(file, &text)
}

/// Parses `root` and every file it includes (transitively, each once), adding
/// included files to `sources`. Reports `include-not-found` and `include-cycle`.
/// The result lists files in the order their statements take effect.
///
/// That order is depth-first post-order: an included file comes before the
/// file that includes it (and its own includes before it), and sibling
/// includes keep the order of their directives; the root file is last. A file
/// reached twice (a diamond) is parsed and listed once, at its first
/// inclusion. `.include "p"` resolves `p` against the directory of the file
/// that holds the directive (the current directory for text with no path).
pub fn parse_with_includes(
    sources: &mut SourceMap,
    root: FileId,
) -> (Vec<(FileId, ast::Program)>, Vec<Diagnostic>) {
    parse_with_library(sources, root, &[])
}

/// As [`parse_with_includes`], and an `.include` in a text with no file (a
/// shipped rule set, or text given on the command line), or naming a file that
/// does not exist beside the including file, looks for the written name among
/// `library` (name, text): the rule sets built into the binary.
pub fn parse_with_library(
    sources: &mut SourceMap,
    root: FileId,
    library: &[(&str, &str)],
) -> (Vec<(FileId, ast::Program)>, Vec<Diagnostic>) {
    let mut loader = Loader {
        files: Vec::new(),
        diagnostics: Vec::new(),
        by_path: FxHashMap::default(),
        library: library
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect(),
    };
    if let Some(path) = &sources.file(root).path {
        loader.by_path.insert(canonical(path), root);
    }
    let mut stack = Vec::new();
    loader.visit(sources, root, &mut stack);
    (loader.files, loader.diagnostics)
}

struct Loader {
    files: Vec<(FileId, ast::Program)>,
    diagnostics: Vec<Diagnostic>,
    /// Every file read so far, by canonical path, so each is parsed once.
    by_path: FxHashMap<PathBuf, FileId>,
    /// Texts built into the binary, by the name an `.include` writes.
    library: Vec<(String, String)>,
}

/// An include on the current chain: the file and the directive that entered it.
struct Entry {
    file: FileId,
    directive: Option<Span>,
}

impl Loader {
    fn visit(&mut self, sources: &mut SourceMap, file: FileId, stack: &mut Vec<Entry>) {
        let (program, diagnostics) = parse(sources, file);
        self.diagnostics.extend(diagnostics);
        stack.push(Entry {
            file,
            directive: None,
        });
        let base = sources.file(file).base_dir().to_path_buf();
        for item in &program.items {
            let ast::Item::Include(include) = item else {
                continue;
            };
            stack.last_mut().expect("pushed above").directive = Some(include.span);
            // A file on disk includes its neighbours first; a name it does not
            // have beside it may still be a shipped rule set.
            let on_disk = sources.file(file).path.is_some() && base.join(&include.path).exists();
            if !on_disk
                && let Some((name, text)) = self
                    .library
                    .iter()
                    .find(|(name, _)| *name == include.path)
                    .cloned()
            {
                // A built-in rule set: keyed by a path no real file can have.
                let key = PathBuf::from(format!("<built-in>/{name}"));
                if let Some(&seen) = self.by_path.get(&key) {
                    if let Some(idx) = stack.iter().position(|entry| entry.file == seen) {
                        self.diagnostics
                            .push(cycle(sources, &stack[idx..], seen, include.span));
                    }
                    continue;
                }
                let included = sources.add(format!("rules/{name}"), None, text);
                self.by_path.insert(key, included);
                self.visit(sources, included, stack);
                continue;
            }
            let resolved = base.join(&include.path);
            let key = canonical(&resolved);
            if let Some(&seen) = self.by_path.get(&key) {
                if let Some(idx) = stack.iter().position(|entry| entry.file == seen) {
                    self.diagnostics
                        .push(cycle(sources, &stack[idx..], seen, include.span));
                }
                continue;
            }
            let text = match std::fs::read_to_string(&resolved) {
                Ok(text) => text,
                Err(err) => {
                    let reason = match err.kind() {
                        std::io::ErrorKind::NotFound => "no such file".to_string(),
                        _ => err.to_string(),
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::IncludeNotFound,
                            format!("cannot include `{}`: {reason}", resolved.display()),
                        )
                        .at(include.span)
                        .with_label("included here")
                        .with_help(format!(
                            "`.include` paths are relative to the directory of the including file (`{}`)",
                            base.display()
                        )),
                    );
                    continue;
                }
            };
            let included = sources.add(
                display_name(sources, file, &include.path, &resolved),
                Some(resolved),
                text,
            );
            self.by_path.insert(key, included);
            self.visit(sources, included, stack);
        }
        stack.pop();
        self.files.push((file, program));
    }
}

/// The name an included file is shown under: the including file's directory
/// joined with the path as written (so diagnostics show `dir/b.dl`, not an
/// absolute path), or the path as written for text with no file.
fn display_name(
    sources: &SourceMap,
    includer: FileId,
    written: &str,
    resolved: &std::path::Path,
) -> String {
    match &sources.file(includer).path {
        Some(_) => resolved.display().to_string(),
        None => written.to_string(),
    }
}

fn canonical(path: &std::path::Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn cycle(sources: &SourceMap, chain: &[Entry], back_to: FileId, directive: Span) -> Diagnostic {
    let mut names: Vec<&str> = chain
        .iter()
        .map(|entry| sources.file(entry.file).name.as_str())
        .collect();
    names.push(sources.file(back_to).name.as_str());
    let mut diagnostic = Diagnostic::error(
        Code::IncludeCycle,
        format!("include cycle: {}", names.join(" → ")),
    )
    .at(directive)
    .with_label("this include closes the cycle")
    .with_help("remove one of the `.include` directives in the cycle");
    // The other directives on the chain, so each step can be found.
    for entry in &chain[..chain.len() - 1] {
        if let Some(span) = entry.directive {
            diagnostic = diagnostic.with_related(span, "included here");
        }
    }
    diagnostic
}

#[cfg(test)]
mod tests;
