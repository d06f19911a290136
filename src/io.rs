//! This module reads fact files into the engine and writes results: `.input`
//! and `.output` directives, CSV/TSV, tables and JSON.
//!
//! Loading is all-or-nothing: every input is parsed before anything is
//! inserted, so a run with one bad line inserts nothing. Writing happens only
//! after evaluation succeeded. Nothing here prints: text for stdout is returned.

pub mod facts;
pub mod json;
pub mod output;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::engine::Engine;
use crate::ir::{self, IoSpec, RelId};
use crate::value::ValueStore;

pub use facts::{Format, Rows};

/// What was loaded, for `--verbose`-style reporting and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Per input file: the relation, the file, and its number of rows.
    pub files: Vec<(RelId, PathBuf, usize)>,
}

impl LoadStats {
    pub fn n_rows(&self) -> usize {
        self.files.iter().map(|(_, _, n)| n).sum()
    }
}

/// Reads every `.input` of `program` from `input_dir` and inserts the facts
/// into `engine`. When any file is missing or has a bad line, nothing is
/// inserted and every problem found is returned.
pub fn load_inputs(
    program: &ir::Program,
    engine: &mut Engine,
    input_dir: &Path,
) -> Result<LoadStats, Vec<Diagnostic>> {
    let (loaded, stats) = read_inputs(program, engine.values_mut(), input_dir)?;
    for (rel, rows) in loaded {
        // FIXME: a zero-arity relation's rows carry no values; the engine
        // contract has no way yet to insert `n_rows` empty tuples.
        engine.insert(rel, rows.values);
    }
    Ok(stats)
}

/// Reads every `.input` of `program` without inserting anything: the rows of
/// each input file, in directive order. Symbols are interned into `store`.
pub fn read_inputs(
    program: &ir::Program,
    store: &mut ValueStore,
    input_dir: &Path,
) -> Result<(Vec<(RelId, Rows)>, LoadStats), Vec<Diagnostic>> {
    let mut loaded = Vec::new();
    let mut stats = LoadStats::default();
    let mut errors = Vec::new();
    for (rel_idx, relation) in program.relations.iter().enumerate() {
        let rel = RelId(rel_idx as u32);
        for spec in &relation.inputs {
            let source = match resolve_input(relation, spec, input_dir) {
                Ok(source) => source,
                Err(diagnostic) => {
                    errors.push(diagnostic);
                    continue;
                }
            };
            let bytes = match std::fs::read(&source.path) {
                Ok(bytes) => bytes,
                Err(err) => {
                    let diagnostic = Diagnostic::error(
                        Code::InputNotFound,
                        format!(
                            "cannot read the input file `{}` of `{}`: {err}",
                            source.path.display(),
                            relation.name
                        ),
                    )
                    .at(spec.span)
                    .with_label("read by this directive");
                    errors.push(diagnostic);
                    continue;
                }
            };
            let shown = source.path.display().to_string();
            match facts::parse(store, relation, &bytes, &source.format, &shown) {
                Ok(rows) => {
                    stats.files.push((rel, source.path, rows.n_rows));
                    // Once a file failed nothing is inserted: stop keeping rows.
                    if errors.is_empty() {
                        loaded.push((rel, rows));
                    }
                }
                Err(diagnostics) => {
                    loaded.clear();
                    errors.extend(diagnostics);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((loaded, stats))
    } else {
        Err(errors)
    }
}

/// A resolved input: the file to read and how it is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSource {
    pub path: PathBuf,
    pub format: Format,
}

/// Finds the file an `.input` directive reads. Without `filename`, `r.facts`
/// is read, or `r.csv` (with a header row) when only that exists.
pub fn resolve_input(
    relation: &ir::Relation,
    spec: &IoSpec,
    input_dir: &Path,
) -> Result<InputSource, Diagnostic> {
    match param(spec, "IO") {
        None | Some("file") => (),
        Some(other) => {
            return Err(bad_param(
                spec,
                format!("`.input {}` cannot read from IO={other}", relation.name),
            )
            .with_help("tracelog reads inputs from files: IO=file (the default)"));
        }
    }
    let (path, mut format) = match param(spec, "filename") {
        Some(filename) => {
            let path = input_dir.join(filename);
            if !path.is_file() {
                let message = format!(
                    "the input file `{}` of `{}` does not exist",
                    path.display(),
                    relation.name
                );
                return Err(Diagnostic::error(Code::InputNotFound, message)
                    .at(spec.span)
                    .with_label("read by this directive")
                    .with_help("check the file name, or give the input directory with -F DIR"));
            }
            let format = format_for_extension(&path);
            (path, format)
        }
        None => {
            let facts = input_dir.join(format!("{}.facts", relation.name));
            let csv = input_dir.join(format!("{}.csv", relation.name));
            if facts.is_file() {
                (facts, Format::FACTS)
            } else if csv.is_file() {
                (csv, Format::CSV)
            } else {
                let message = format!(
                    "no input file for `{}`: neither `{}` nor `{}` exists",
                    relation.name,
                    facts.display(),
                    csv.display()
                );
                return Err(Diagnostic::error(Code::InputNotFound, message)
                    .at(spec.span)
                    .with_label("read by this directive")
                    .with_help("give the input directory with -F DIR, or name the file with filename=\"...\""));
            }
        }
    };
    apply_layout_params(spec, &mut format)?;
    Ok(InputSource { path, format })
}

/// Where an `.output` directive sends its relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputTarget {
    /// A file in the output directory.
    File { path: PathBuf, format: Format },
    /// A table on stdout (`IO=stdout`).
    Stdout,
}

/// Resolves an `.output` directive: `r.csv` in `output_dir` (comma-separated,
/// header row) unless `IO=stdout`; `filename`, `delimiter`, `headers` as given.
pub fn resolve_output(
    relation: &ir::Relation,
    spec: &IoSpec,
    output_dir: &Path,
) -> Result<OutputTarget, Diagnostic> {
    match param(spec, "IO") {
        None | Some("file") => (),
        Some("stdout") => return Ok(OutputTarget::Stdout),
        Some(other) => {
            return Err(bad_param(
                spec,
                format!("`.output {}` cannot write to IO={other}", relation.name),
            )
            .with_help("use IO=file (the default) or IO=stdout"));
        }
    }
    let (path, mut format) = match param(spec, "filename") {
        Some(filename) => {
            let path = output_dir.join(filename);
            let format = format_for_extension(&path);
            (path, format)
        }
        None => (
            output_dir.join(format!("{}.csv", relation.name)),
            Format::CSV,
        ),
    };
    apply_layout_params(spec, &mut format)?;
    Ok(OutputTarget::File { path, format })
}

/// `.facts` and `.tsv` files are tab-separated without a header (Soufflé's
/// layout); anything else is CSV with a header row.
fn format_for_extension(path: &Path) -> Format {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("facts" | "tsv") => Format::FACTS,
        _ => Format::CSV,
    }
}

fn apply_layout_params(spec: &IoSpec, format: &mut Format) -> Result<(), Diagnostic> {
    if let Some(delimiter) = param(spec, "delimiter") {
        let bytes = delimiter.as_bytes();
        if bytes.len() != 1
            || !bytes[0].is_ascii()
            || bytes[0] == b'\n'
            || bytes[0] == b'\r'
            || bytes[0] == b'"'
        {
            return Err(bad_param(
                spec,
                format!(
                    "the delimiter must be one character such as \",\" or \"\\t\", found {delimiter:?}"
                ),
            ));
        }
        format.delimiter = bytes[0];
        format.quoting = bytes[0] != b'\t';
    }
    match param(spec, "headers") {
        None => (),
        Some("true") => format.headers = true,
        Some("false") => format.headers = false,
        Some(other) => {
            return Err(bad_param(
                spec,
                format!("headers must be true or false, found `{other}`"),
            ));
        }
    }
    Ok(())
}

fn bad_param(spec: &IoSpec, message: String) -> Diagnostic {
    Diagnostic::error(Code::UnknownDirectiveParameter, message).at(spec.span)
}

/// A directive parameter; keys are matched without regard to case (`IO`, `io`).
fn param<'a>(spec: &'a IoSpec, key: &str) -> Option<&'a str> {
    spec.params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}
