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
use crate::engine::{Engine, EngineError, Limits};
use crate::ir::{self, IoSpec, RelId};
use crate::source::SourceMap;
use crate::value::ValueStore;

pub use facts::{Format, Rows};

/// How to run a checked program: where its files are, what to produce.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where `.input` files are read from (`-F`).
    pub input_dir: PathBuf,
    /// Where `.output` files go (`-D`).
    pub output_dir: output::OutputDir,
    /// Produce one JSON document instead of files and tables (`--json`).
    pub json: bool,
    pub limits: Limits,
    /// Evaluate over a database's facts too (`--db`).
    pub db: Option<DbInput>,
    /// Read `.input` files (off when `--db` is given without `-F`).
    pub read_files: bool,
}

/// The database state a run reads, and which journal head it is.
#[derive(Clone, Debug)]
pub struct DbInput {
    /// The facts to load; `None` when the engine comes evaluated (a session).
    pub state: Option<std::sync::Arc<crate::db::State>>,
    /// The head the facts are at.
    pub head: crate::db::HeadRef,
    /// The journal's newest record, which differs from `head` under `--as-of`.
    pub journal_head: crate::db::HeadRef,
}

impl DbInput {
    /// The footer line every table output ends with.
    pub fn footer(&self) -> String {
        let mut line = format!("computed on journal head {}", self.head.describe());
        if self.head.seq != self.journal_head.seq {
            line.push_str(&format!(
                ", as of an earlier point (the journal's newest is seq {})",
                self.journal_head.seq
            ));
        }
        line
    }

    /// The `"journal"` member of `--json` documents.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "seq": self.head.seq,
            "hash": self.head.hash,
            "newest_seq": self.journal_head.seq,
            "newest_hash": self.journal_head.hash,
        })
    }
}

/// Runs a checked program end to end: resolve outputs, load inputs,
/// evaluate, write files. Returns the text for stdout (tables, sizes and
/// query answers, or the JSON document), or every problem found. Nothing is
/// written unless evaluation succeeded.
pub fn run(
    program: &ir::Program,
    sources: &SourceMap,
    options: &RunOptions,
) -> Result<String, Vec<Diagnostic>> {
    // Bad output directives fail before any work.
    output::plan_outputs(program, &options.output_dir)?;
    let mut engine = Engine::new(program);
    if options.read_files {
        load_inputs(program, &mut engine, &options.input_dir)?;
    }
    if let Some(state) = options.db.as_ref().and_then(|db| db.state.as_ref()) {
        load_db(program, &mut engine, state)?;
    }
    if let Err(err) = engine.run(&options.limits) {
        let (code, help) = match err {
            EngineError::Timeout { .. } => {
                (Code::Timeout, "allow more time with --timeout SECONDS")
            }
            EngineError::TupleLimit { .. } => {
                (Code::TupleLimit, "allow more tuples with --max-tuples N")
            }
            EngineError::TooWide { .. } => (
                Code::UnsupportedFeature,
                "split the relation into narrower ones joined on a key",
            ),
            EngineError::Cancelled => (Code::Cancelled, "the evaluation was interrupted"),
        };
        return Err(vec![
            Diagnostic::error(code, err.to_string()).with_help(help),
        ]);
    }
    emit(program, sources, options, &engine)
}

/// Writes the results of an evaluated engine as `options` say: files,
/// tables, or one JSON document; with a database, each names its head.
pub fn emit(
    program: &ir::Program,
    sources: &SourceMap,
    options: &RunOptions,
    engine: &Engine,
) -> Result<String, Vec<Diagnostic>> {
    let items = output::plan_outputs(program, &options.output_dir)?;
    let journal = options.db.as_ref().map(DbInput::json);
    if options.json {
        return Ok(json::render_results(
            program, sources, engine, &items, journal,
        ));
    }
    let mut text = output::write_outputs(program, sources, engine, &items)?;
    if let Some(db) = &options.db {
        text.push_str(&db.footer());
        text.push('\n');
    }
    Ok(text)
}

/// Inserts the database's facts (and the journal's `tx` relation) into
/// `engine`; all of them or, when any does not fit the program, none.
pub fn load_db(
    program: &ir::Program,
    engine: &mut Engine,
    state: &crate::db::State,
) -> Result<usize, Vec<Diagnostic>> {
    let loaded = crate::db::eval::read_facts(program, engine.values_mut(), state)?;
    let mut n = 0;
    for facts in loaded {
        n += facts.n_rows;
        if program.relation(facts.rel).arity() == 0 {
            if facts.n_rows > 0 {
                engine.insert_empty_tuple(facts.rel);
            }
        } else {
            engine.insert(facts.rel, facts.values);
        }
    }
    Ok(n)
}

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
    let Inputs { loaded, stats } = read_inputs(program, engine.values_mut(), input_dir)?;
    for (rel, rows) in loaded {
        if program.relation(rel).arity() == 0 {
            // Each line of a zero-arity input is the one empty tuple.
            if rows.n_rows > 0 {
                engine.insert_empty_tuple(rel);
            }
        } else {
            engine.insert(rel, rows.values);
        }
    }
    Ok(stats)
}

/// The facts of every input file, read but not inserted.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The rows of each input file, in directive order.
    pub loaded: Vec<(RelId, Rows)>,
    pub stats: LoadStats,
}

/// Reads every `.input` of `program` without inserting anything. Symbols are
/// interned into `store`.
pub fn read_inputs(
    program: &ir::Program,
    store: &mut ValueStore,
    input_dir: &Path,
) -> Result<Inputs, Vec<Diagnostic>> {
    let mut loaded = Vec::new();
    let mut stats = LoadStats::default();
    let mut errors = Vec::new();
    for (rel_idx, relation) in program.relations.iter().enumerate() {
        let rel = RelId(rel_idx as u32);
        for spec in &relation.inputs {
            let source = match resolve_input(relation, spec, input_dir) {
                Ok(source) => source,
                Err(diagnostic) => {
                    errors.push(*diagnostic);
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
        Ok(Inputs { loaded, stats })
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
) -> Result<InputSource, Box<Diagnostic>> {
    match param(spec, "IO") {
        None | Some("file") => (),
        Some(other) => {
            return Err(Box::new(
                bad_param(
                    spec,
                    format!("`.input {}` cannot read from IO={other}", relation.name),
                )
                .with_help("tracelog reads inputs from files: IO=file (the default)"),
            ));
        }
    }
    let (path, mut format) = match param(spec, "filename") {
        Some(filename) => {
            let path = join(input_dir, filename);
            if !path.is_file() {
                let message = format!(
                    "the input file `{}` of `{}` does not exist",
                    path.display(),
                    relation.name
                );
                return Err(Box::new(
                    Diagnostic::error(Code::InputNotFound, message)
                        .at(spec.span)
                        .with_label("read by this directive")
                        .with_help("check the file name, or give the input directory with -F DIR"),
                ));
            }
            let format = format_for_extension(&path);
            (path, format)
        }
        None => {
            let facts = join(input_dir, &format!("{}.facts", relation.name));
            let csv = join(input_dir, &format!("{}.csv", relation.name));
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
                return Err(Box::new(Diagnostic::error(Code::InputNotFound, message)
                    .at(spec.span)
                    .with_label("read by this directive")
                    .with_help("give the input directory with -F DIR, or name the file with filename=\"...\"")));
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
) -> Result<OutputTarget, Box<Diagnostic>> {
    match param(spec, "IO") {
        None | Some("file") => (),
        Some("stdout") => return Ok(OutputTarget::Stdout),
        Some(other) => {
            return Err(Box::new(
                bad_param(
                    spec,
                    format!("`.output {}` cannot write to IO={other}", relation.name),
                )
                .with_help("use IO=file (the default) or IO=stdout"),
            ));
        }
    }
    let (path, mut format) = match param(spec, "filename") {
        Some(filename) => {
            let path = join(output_dir, filename);
            let format = format_for_extension(&path);
            (path, format)
        }
        None => (
            join(output_dir, &format!("{}.csv", relation.name)),
            Format::CSV,
        ),
    };
    apply_layout_params(spec, &mut format)?;
    Ok(OutputTarget::File { path, format })
}

/// `dir/name`, but just `name` in the current directory, so that messages
/// say `qty.facts` rather than `./qty.facts`.
fn join(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// `.facts` and `.tsv` files are tab-separated without a header (Soufflé's
/// layout); anything else is CSV with a header row.
fn format_for_extension(path: &Path) -> Format {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("facts" | "tsv") => Format::FACTS,
        _ => Format::CSV,
    }
}

fn apply_layout_params(spec: &IoSpec, format: &mut Format) -> Result<(), Box<Diagnostic>> {
    if let Some(delimiter) = param(spec, "delimiter") {
        let bytes = delimiter.as_bytes();
        if bytes.len() != 1
            || !bytes[0].is_ascii()
            || bytes[0] == b'\n'
            || bytes[0] == b'\r'
            || bytes[0] == b'"'
        {
            return Err(Box::new(bad_param(
                spec,
                format!(
                    "the delimiter must be one character such as \",\" or \"\\t\", found {delimiter:?}"
                ),
            )));
        }
        format.delimiter = bytes[0];
        format.quoting = bytes[0] != b'\t';
    }
    match param(spec, "headers") {
        None => (),
        Some("true") => format.headers = true,
        Some("false") => format.headers = false,
        Some(other) => {
            return Err(Box::new(bad_param(
                spec,
                format!("headers must be true or false, found `{other}`"),
            )));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::facts::tests::relation;
    use crate::ir::Type;
    use crate::source::{FileId, Span};

    fn program(names: &[&str]) -> ir::Program {
        let relations = names
            .iter()
            .enumerate()
            .map(|(idx, name)| {
                let mut rel = relation(name, &[("a", Type::Symbol), ("b", Type::Number)], true);
                rel.inputs.push(IoSpec {
                    params: Vec::new(),
                    span: Span::new(FileId(0), idx, idx + 1),
                });
                rel
            })
            .collect();
        ir::Program {
            relations,
            ..ir::Program::default()
        }
    }

    #[test]
    fn facts_files_win_and_csv_files_are_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.facts"), "x\t1\n").unwrap();
        std::fs::write(dir.path().join("r.csv"), "a,b\ny,2\n").unwrap();
        std::fs::write(dir.path().join("s.csv"), "a,b\ny,2\nz,3\n").unwrap();
        let mut store = ValueStore::default();
        let Inputs { loaded, stats } =
            read_inputs(&program(&["r", "s"]), &mut store, dir.path()).unwrap();
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0].1.n_rows, 1);
        assert_eq!(loaded[1].1.n_rows, 2);
        assert_eq!(stats.n_rows(), 3);
        assert!(stats.files[1].1.ends_with("s.csv"));
    }

    #[test]
    fn a_missing_input_names_both_paths_tried() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ValueStore::default();
        let errors = read_inputs(&program(&["receipts"]), &mut store, dir.path()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::InputNotFound);
        assert!(
            errors[0].message.contains("receipts.facts")
                && errors[0].message.contains("receipts.csv")
        );
        assert_eq!(
            errors[0].location,
            Some(crate::diagnostic::Location::Span(Span::new(
                FileId(0),
                0,
                1
            )))
        );
    }

    #[test]
    fn one_bad_file_means_nothing_is_loaded_and_all_problems_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.facts"), "x\t1\n").unwrap();
        std::fs::write(dir.path().join("bad.facts"), "x\tone\n").unwrap();
        let mut store = ValueStore::default();
        let errors =
            read_inputs(&program(&["good", "bad", "gone"]), &mut store, dir.path()).unwrap_err();
        let codes: Vec<Code> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, [Code::BadFact, Code::InputNotFound]);
    }

    #[test]
    fn explicit_parameters_choose_file_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lots.txt"), "a;b\nx;1\n").unwrap();
        let rel = relation("r", &[("a", Type::Symbol), ("b", Type::Number)], true);
        let params = |pairs: &[(&str, &str)]| IoSpec {
            params: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            span: Span::new(FileId(0), 0, 1),
        };
        let spec = params(&[("IO", "file"), ("filename", "lots.txt"), ("delimiter", ";")]);
        let source = resolve_input(&rel, &spec, dir.path()).unwrap();
        assert_eq!(
            source.format,
            Format {
                delimiter: b';',
                headers: true,
                quoting: true
            }
        );
        let spec = params(&[
            ("filename", "lots.txt"),
            ("headers", "false"),
            ("delimiter", "\t"),
        ]);
        assert_eq!(
            resolve_input(&rel, &spec, dir.path()).unwrap().format,
            Format::FACTS
        );
        let spec = params(&[("filename", "missing.tsv")]);
        let err = resolve_input(&rel, &spec, dir.path()).unwrap_err();
        assert_eq!(err.code, Code::InputNotFound);
        assert!(err.message.contains("missing.tsv"), "{}", err.message);
        let spec = params(&[("headers", "maybe")]);
        std::fs::write(dir.path().join("r.facts"), "").unwrap();
        assert_eq!(
            resolve_input(&rel, &spec, dir.path()).unwrap_err().code,
            Code::UnknownDirectiveParameter
        );
        let out = resolve_output(&rel, &params(&[("filename", "r.facts")]), dir.path()).unwrap();
        assert_eq!(
            out,
            OutputTarget::File {
                path: dir.path().join("r.facts"),
                format: Format::FACTS
            }
        );
    }
}
