//! This module implements `tracelog explain ATOM [--rules FILES]`: the rule
//! files compiled as one program and evaluated with provenance recording over
//! their `.input` files or a database (as of a journal point), and the
//! shortest proof of one derived tuple written as indented text, JSON, DOT or
//! SVG, down to the given (or recorded) facts.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rustc_hash::FxHashMap;

mod modes;

use super::database::AsOfArg;
use crate::cli::{Status, drop_filled_warnings, eprint_diagnostics, is_declared, print_stdout};
use crate::db::AsOf;
use crate::db::state::HeadRef;
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::{Engine, Limits};
use crate::io;
use crate::ir::{self, RelId};
use crate::provenance::{self, ExplainError, Proof, Record, SvgError};
use crate::source::SourceMap;
use crate::value::{Value, ValueStore};

/// The shipped rule sets explained over a database when no --rules is
/// given: recall.dl includes exposure.dl, genealogy.dl and schema.dl.
const DEFAULT_RULES: &[&str] = &["recall.dl"];

/// How the proof is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Indented text for a reader
    #[default]
    Text,
    /// One JSON document (format_version 1, see docs/traceability.md)
    Json,
    /// A Graphviz DOT graph
    Dot,
    /// SVG drawn by Graphviz's `dot` (which must be installed)
    Svg,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The tuple to explain, as an atom of constants: 'lot_affected("L-2")'
    pub atom: String,
    /// Rule files compiled together as one program (repeat the flag or separate with commas); a
    /// name with no such file is a shipped rule set (recall.dl, ...) [default with --db: the
    /// shipped recall.dl with exposure.dl, genealogy.dl and schema.dl]
    #[arg(long = "rules", value_name = "FILE", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Directory the `.input` files are read from [default: ., or none with --db]
    #[arg(short = 'F', long = "facts", value_name = "DIR")]
    pub facts: Option<PathBuf>,
    /// Evaluate over this database's facts; each fact of the proof then shows its transaction
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub as_of: AsOfArg,
    /// An object under investigation: a `trace_seed` fact for the shipped rule sets (repeatable)
    #[arg(long = "seed", value_name = "ID")]
    pub seeds: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: ExplainFormat,
    /// Write the proof to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Why not: for a tuple that is not derived, each rule that could derive it and the first
    /// literal of its body that cannot be satisfied, with the closest tuples
    #[arg(long = "not", group = "mode")]
    pub not: bool,
    /// Alternative proofs: every rule instance that derives the tuple, each with its shortest
    /// sub-proofs
    #[arg(long = "all", group = "mode")]
    pub all: bool,
    /// With --not: closest tuples and bindings shown per rule [default: 5]; with --all: proofs
    /// shown [default: 10]
    #[arg(long = "limit", value_name = "N", requires = "mode")]
    pub limit: Option<usize>,
}

/// The relation `--seed` fills.
const SEED_RELATION: &str = crate::investigate::SEED_RELATION;

pub fn run(args: &ExplainArgs) -> std::io::Result<Status> {
    if args.as_of.as_of.is_some() && args.db.is_none() {
        return Err(std::io::Error::other(
            "--as-of needs a database: give --db DIR",
        ));
    }
    let Some(compiled) = compile_rules(args)? else {
        return Ok(Status::Failed);
    };
    let rule_files = crate::investigate::rule_files(&compiled);
    let crate::driver::Compiled {
        mut sources,
        program,
        mut warnings,
    } = compiled;
    let mut engine = Engine::new(&program);
    engine.set_provenance(true);
    let mut database = None;
    if let Some(dir) = &args.db {
        let as_of = args.as_of.as_of.unwrap_or(AsOf::Head);
        match crate::db::read(dir, as_of) {
            Ok(loaded) => {
                if let Err(diagnostics) = io::load_db(&program, &mut engine, &loaded.state) {
                    // Database facts are checked against the program: problems point into it.
                    eprint_diagnostics(&sources, &diagnostics)?;
                    return Ok(Status::Failed);
                }
                drop_filled_warnings(&mut warnings, |name| is_declared(&program, name));
                database = Some((dir.clone(), loaded));
            }
            Err(failure) => {
                eprint_diagnostics(&failure.sources, &failure.diagnostics)?;
                return Ok(Status::Failed);
            }
        }
    }
    if args.db.is_none() || args.facts.is_some() {
        let dir = args.facts.clone().unwrap_or_else(|| PathBuf::from("."));
        if let Err(diagnostics) = io::load_inputs(&program, &mut engine, &dir) {
            eprint_diagnostics(&sources, &diagnostics)?;
            return Ok(Status::Failed);
        }
    }
    if !args.seeds.is_empty() {
        let Some(seed_rel) = program.relation_by_name(SEED_RELATION) else {
            return Err(std::io::Error::other(format!(
                "--seed needs rules that declare `{SEED_RELATION}` (the shipped rule sets do)"
            )));
        };
        let seeds: Vec<Value> = args
            .seeds
            .iter()
            .map(|seed| Value::from(engine.values_mut().intern(seed)))
            .collect();
        engine.insert(seed_rel, seeds);
    }
    eprint_diagnostics(&sources, &warnings)?;
    if let Err(err) = engine.run(&Limits::default()) {
        eprint_diagnostics(
            &sources,
            &[Diagnostic::error(Code::Timeout, err.to_string())],
        )?;
        return Ok(Status::Failed);
    }
    let (rel, tuple) =
        match provenance::parse_atom(&mut sources, &program, engine.values_mut(), &args.atom) {
            Ok(found) => found,
            Err(diagnostics) => {
                eprint_diagnostics(&sources, &diagnostics)?;
                return Ok(Status::Failed);
            }
        };
    if args.not {
        return modes::why_not(args, &mut engine, &program, &mut sources, rel, &tuple);
    }
    if args.all {
        return modes::all_proofs(
            args,
            &mut engine,
            &program,
            &mut sources,
            database
                .as_ref()
                .map(|(dir, loaded)| (dir.as_path(), &loaded.state)),
            rel,
            &tuple,
        );
    }
    let proof = match provenance::explain(&mut engine, &program, rel, &tuple) {
        Ok(proof) => proof,
        Err(ExplainError::NotDerived) => {
            let diagnostic =
                modes::not_derived(args, &mut sources, &program, engine.values(), rel, &tuple);
            eprint_diagnostics(&sources, &[diagnostic])?;
            return Ok(Status::Failed);
        }
        Err(err) => {
            return Err(std::io::Error::other(format!("cannot explain: {err}")));
        }
    };
    let values = engine.values();
    let records = match &database {
        Some((dir, loaded)) => {
            provenance::journal_records(&program, values, &loaded.state, dir, proof.leaves())
        }
        None => FxHashMap::default(),
    };
    let record = |rel: RelId, tuple: &[Value]| records.get(&(rel, tuple.to_vec())).cloned();
    let head = database.as_ref().map(|(_, loaded)| {
        (
            &loaded.state.head,
            &loaded.journal_head,
            args.as_of.as_of.is_some(),
        )
    });
    let out = Output {
        proof: &proof,
        program: &program,
        sources: &sources,
        values,
        record: &record,
        rule_files: &rule_files,
        head,
    };
    let text = match out.write(args.format) {
        Ok(text) => text,
        Err(SvgError::NotFound) => {
            let diagnostic = Diagnostic::error(
                Code::DotNotFound,
                "--format svg needs Graphviz's `dot`, which is not installed (not on PATH)",
            )
            .with_help("install Graphviz, or write `--format dot` and draw it elsewhere");
            eprint_diagnostics(&sources, &[diagnostic])?;
            return Ok(Status::Failed);
        }
        Err(err) => return Err(std::io::Error::other(err.to_string())),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot write `{}`: {err}", path.display()),
            )
        })?,
        None => print_stdout(&text)?,
    }
    Ok(Status::Ok)
}

/// Compiles the `--rules` files (or the default rule sets with `--db`) as one program.
fn compile_rules(args: &ExplainArgs) -> std::io::Result<Option<crate::driver::Compiled>> {
    let names: Vec<String> = if !args.rules.is_empty() {
        args.rules.clone()
    } else if args.db.is_some() {
        DEFAULT_RULES
            .iter()
            .map(|name| (*name).to_owned())
            .collect()
    } else {
        return Err(std::io::Error::other(
            "give the rules with --rules FILE, or a database with --db DIR to explain with the shipped rule sets",
        ));
    };
    for name in &names {
        if !Path::new(name).is_file() && crate::rules::text(name).is_none() {
            let shipped: Vec<&str> = crate::rules::SHIPPED.iter().map(|(n, _)| *n).collect();
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "cannot read the program `{name}`: no such file, nor a shipped rule set ({})",
                    shipped.join(", ")
                ),
            ));
        }
    }
    match crate::driver::compile_files(&names) {
        Ok(compiled) => Ok(Some(compiled)),
        Err(failed) => {
            eprint_diagnostics(&failed.sources, &failed.diagnostics)?;
            Ok(None)
        }
    }
}

/// Everything a written proof shows.
struct Output<'a> {
    proof: &'a Proof,
    program: &'a ir::Program,
    sources: &'a SourceMap,
    values: &'a ValueStore,
    record: &'a dyn Fn(RelId, &[Value]) -> Option<Record>,
    rule_files: &'a [crate::investigate::RuleFile],
    /// With a database: the state's head, the journal's newest record, and
    /// whether an `--as-of` point was asked for.
    head: Option<(&'a HeadRef, &'a HeadRef, bool)>,
}

impl Output<'_> {
    fn write(&self, format: ExplainFormat) -> Result<String, SvgError> {
        Ok(match format {
            ExplainFormat::Text => self.text(),
            ExplainFormat::Json => self.json(),
            ExplainFormat::Dot => self.dot(),
            ExplainFormat::Svg => provenance::svg(&self.dot())?,
        })
    }

    fn text(&self) -> String {
        let mut text = provenance::render(
            self.proof,
            self.program,
            self.sources,
            self.values,
            self.record,
        );
        if let Some((head, newest, as_of)) = self.head {
            text.push_str(&format!("\ncomputed on journal head {}", head.describe()));
            if as_of || newest.seq != head.seq {
                text.push_str(&format!(
                    ", as of an earlier point (the journal's newest is seq {})",
                    newest.seq
                ));
            }
            text.push('\n');
        }
        text
    }

    fn json(&self) -> String {
        let header = provenance::Header {
            journal_head: self.head.map(|(head, _, _)| head),
            rules: self.rule_files,
        };
        let doc = provenance::to_json(
            self.proof,
            self.program,
            self.sources,
            self.values,
            self.record,
            header,
        );
        format!("{doc:#}\n")
    }

    fn dot(&self) -> String {
        provenance::to_dot(
            self.proof,
            self.program,
            self.sources,
            self.values,
            self.record,
        )
    }
}
