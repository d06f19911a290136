//! This module implements `tracelog explain ATOM --rules PROGRAM`: the
//! program evaluated with provenance recording over its `.input` files or a
//! database, and the shortest proof of one derived tuple printed as indented
//! text, down to the given (or recorded) facts.

use std::path::PathBuf;

use clap::Args;

mod modes;

use crate::cli::{
    Status, compile, drop_filled_warnings, eprint_diagnostics, is_declared, print_stdout,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::{Engine, Limits};
use crate::io;
use crate::ir::RelId;
use crate::provenance::{self, ExplainError, Record};
use crate::value::Value;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The tuple to explain, as an atom of constants: 'lot_affected("L-2")'
    pub atom: String,
    /// The program (a .dl file) whose rules derived the tuple
    #[arg(long = "rules", value_name = "PROGRAM")]
    pub rules: PathBuf,
    /// Directory the `.input` files are read from [default: ., or none with --db]
    #[arg(short = 'F', long = "facts", value_name = "DIR")]
    pub facts: Option<PathBuf>,
    /// Evaluate over this database's facts; each fact of the proof then shows its transaction
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
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

pub fn run(args: &ExplainArgs) -> std::io::Result<Status> {
    let Some(compiled) = compile(&args.rules, false)? else {
        return Ok(Status::Failed);
    };
    let crate::driver::Compiled {
        mut sources,
        program,
        mut warnings,
    } = compiled;
    let mut engine = Engine::new(&program);
    engine.set_provenance(true);
    let mut state = None;
    if let Some(dir) = &args.db {
        match crate::db::read(dir, Default::default()) {
            Ok(loaded) => {
                if let Err(diagnostics) = io::load_db(&program, &mut engine, &loaded.state) {
                    // Database facts are checked against the program: problems point into it.
                    eprint_diagnostics(&sources, &diagnostics)?;
                    return Ok(Status::Failed);
                }
                state = Some(loaded.state);
                drop_filled_warnings(&mut warnings, |name| is_declared(&program, name));
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
            state,
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
    let record = |rel: RelId, tuple: &[Value]| -> Option<Record> {
        let state = state.as_ref()?;
        let dir = args.db.as_deref()?;
        provenance::journal_record(&program, values, state, dir, rel, tuple)
    };
    print_stdout(&provenance::render(
        &proof, &program, &sources, values, &record,
    ))?;
    Ok(Status::Ok)
}
