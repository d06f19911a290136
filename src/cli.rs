//! This module defines the command line (clap) and dispatches the subcommands.
//! It is the only place that prints or chooses an exit code: diagnostics go
//! to stderr, results to stdout.
//!
//! Exit codes: 0 success; 1 the program or its data has an error (diagnostics
//! printed), or evaluation hit `--timeout`/`--max-tuples`; 2 a usage error or
//! an I/O error outside the program's own inputs and outputs (an unreadable
//! program file, a failed write to stdout). A closed stdout (`| head`) ends
//! the run quietly with 0.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

mod database;
mod demo;
mod explain;
mod import;
mod import_csv;
mod policy;
mod recall;
mod repl;
mod trace;

use crate::diagnostic::{self, Diagnostic};
use crate::driver;
use crate::engine::Limits;
use crate::generate;
use crate::io;
use crate::io::output::OutputDir;
use crate::plan;
use crate::source::SourceMap;

const ABOUT: &str = "Datalog traceability queries for regulated manufacturing";

const LONG_ABOUT: &str = "\
tracelog evaluates Datalog rule sets (Soufflé syntax) over recorded facts: what went into a lot, \
where it went, and which rule says so.

Typical use:
  tracelog check recall.dl                  check a rule set without running it
  tracelog run recall.dl -F data -D out     read data/*.facts, write out/*.csv
  tracelog run recall.dl -F data -D -       print every output relation as a table
  tracelog run recall.dl -F data --json     print all results as one JSON object
  tracelog plan recall.dl                   show how each rule is evaluated
  tracelog generate supply-chain 1e5 data   write a synthetic workload

Exit codes: 0 success; 1 an error in the program or its data (reported with file:line:col), or a \
--timeout/--max-tuples limit was hit; 2 a usage error or an I/O error.";

#[derive(Debug, Parser)]
#[command(name = "tracelog", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bundled recall scenario end to end: import it, recall the contaminated lot, report
    ///
    /// Writes the food-plant scenario of examples/demo (2,036 EPCIS events and plant data) into a
    /// new directory, imports it into a fresh database there, runs the recall for the contaminated
    /// spinach lot, prints the scope and says where the report and the genealogy picture are.
    Demo(demo::DemoArgs),
    /// Check a program, load its inputs, evaluate it and write its outputs
    ///
    /// Reads every `.input` relation from the input directory (`r.facts`, tab-separated without a
    /// header, or `r.csv` with a header row), evaluates all rules, then writes every `.output`
    /// relation to the output directory (`r.csv`, comma-separated with a header row), prints
    /// `IO=stdout` outputs and query answers as tables and `.printsize` relations as `name<TAB>size`.
    /// Nothing is written unless the whole run succeeds.
    Run(RunArgs),
    /// Check a program without running it (syntax, names, types, safety, stratification)
    ///
    /// Exits 0 when the program has no errors (warnings are printed but allowed), 1 otherwise.
    Check(CheckArgs),
    /// Print the evaluation plan: strata and the join steps of every rule
    Plan(PlanArgs),
    /// Write a synthetic workload for benchmarks and demos
    #[command(subcommand)]
    Generate(Workload),
    /// Create or maintain a database directory
    #[command(subcommand)]
    Db(DbCommand),
    /// Record facts in the database as one attributed transaction
    ///
    /// FILE holds facts in the language (`consumed("L-1", "B-7").`, with optional `.decl`s that
    /// type them), or the rows of one relation as TSV (.tsv/.facts) or CSV with a header (.csv).
    /// Either every fact is recorded or none is. The file's SHA-256 is kept; recording the same
    /// content again is refused unless --force. Facts already present are not recorded twice.
    Add(database::AddArgs),
    /// Retract facts (never deleted: the journal keeps them) with a required reason
    ///
    /// With --add FILE the retraction and the assertion of the corrected facts are one
    /// transaction (a correction).
    Retract(database::RetractArgs),
    /// List the journal's transactions: who, when, what, why, source and hash
    Log(database::LogArgs),
    /// Every assertion and retraction of one fact
    History(database::HistoryArgs),
    /// Compare versions of a rule set on the same data (change control)
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Check every frame, the sequence and the whole hash chain of the journal
    ///
    /// Prints the head (sequence and SHA-256). On failure names the first bad record, its byte
    /// offset and the kind (bad-header, crc-mismatch, chain-break, seq-gap, seq-regress,
    /// torn-tail, trusted-head-mismatch) and exits 1. Read-only.
    Verify(database::VerifyArgs),
    /// Import documents into the database (created when missing), one transaction per file
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// The recall report of suspect objects: scope, consignees, inventory to hold, FSMA 204 records
    ///
    /// Writes report.md, report.json, CSV tables, fsma204.csv (the FSMA 204 electronic sortable
    /// spreadsheet), genealogy.dot and, when Graphviz's `dot` is installed, genealogy.svg into
    /// --out, all at once. Every report names the rule files (policy, version, SHA-256) and the
    /// journal head it was computed on.
    Recall(recall::RecallArgs),
    /// Trace objects forward (what was made from them, where it went) or backward (what went into them)
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// The investigation REPL: facts, rules and queries evaluated as you type, with commands
    ///
    /// On a terminal: multi-line statements (ending with `.`), history, tab completion, Ctrl-C
    /// cancels a running evaluation, Ctrl-D quits. With stdin not a terminal it runs the script,
    /// echoes each statement and its answer, and exits 1 when any statement failed. `:help` in
    /// the REPL lists its commands.
    Repl(repl::ReplArgs),
    /// Explain a derived tuple: the rules and facts that prove it, down to the given facts
    ///
    /// Evaluates the program with provenance recording over its `.input` files (-F) or a database
    /// (--db), then prints the shortest proof of ATOM: each derived tuple with the rule that
    /// derived it (file:line, policy and version, rule text, the values of its variables) and its
    /// premises indented below; negated atoms and comparisons are shown as holding. With --db each
    /// fact shows the transaction that recorded it. Exit 1 when ATOM is malformed, names no
    /// relation (`unknown-relation`) or is not derived (`not-derived`).
    ///
    /// --all lists alternative proofs (every rule instance that derives ATOM). --not explains why
    /// ATOM is NOT derived: per rule the first body literal that cannot be satisfied, with the
    /// values it needs and the closest tuples (`is-derived` when ATOM is derived).
    Explain(explain::ExplainArgs),
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Create an empty database (a directory with an empty journal)
    Init(database::InitArgs),
    /// Write a snapshot of the current state so opening does not replay the journal
    ///
    /// With --rules PROGRAM.dl also an image of that program's derived relations, which
    /// `tracelog run PROGRAM.dl --db DIR` (without -F) then opens instead of evaluating.
    Snapshot(database::SnapshotArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The program (a .dl file)
    program: PathBuf,
    /// Directory the `.input` files are read from [default: ., or no files with --db]
    #[arg(short = 'F', long = "facts", value_name = "DIR")]
    facts: Option<PathBuf>,
    /// Directory the `.output` files are written to (created if missing); `-` prints them as tables
    #[arg(short = 'D', long = "output", value_name = "DIR", default_value = ".")]
    output: PathBuf,
    /// Print all results as one JSON object on stdout instead of writing files and tables
    ///
    /// Keys: each `.output` relation's name (an array of rows), each query's text (`?- ...`, an
    /// array of rows of its named variables) and `.printsize NAME` (a number). Rows are sorted;
    /// numbers are JSON numbers, symbols and date-times strings; a zero-arity relation is true or
    /// false. On error the object is {"error": {...}} (plus "errors": [...] when there are several).
    #[arg(long)]
    json: bool,
    /// Stop evaluation after this many seconds (exit 1, nothing written)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Stop evaluation when derived relations hold more than N tuples (exit 1, nothing written)
    #[arg(long, value_name = "N")]
    max_tuples: Option<u64>,
    /// Also evaluate over this database's facts (and its `tx` relation); `.input` files are then
    /// read only when -F is given [default: $TRACELOG_DB when set]
    #[arg(long = "db", value_name = "DIR")]
    db: Option<PathBuf>,
    #[command(flatten)]
    as_of: database::AsOfArg,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The program (a .dl file)
    program: PathBuf,
    /// Print the diagnostics as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// The program (a .dl file)
    program: PathBuf,
    /// Also show how an incremental update evaluates each rule: the variants for changed
    /// inputs of earlier strata and the re-derivation of overdeleted tuples
    #[arg(long)]
    incremental: bool,
}

#[derive(Debug, Subcommand)]
enum Workload {
    /// A supply-chain genealogy: consumed, shipped, equipment_run and trace lots
    ///
    /// Writes consumed.facts, shipped.facts, equipment_run.facts, trace_raw.facts,
    /// trace_finished.facts and meta.json (sizes and the reference answers of the forward and
    /// backward traces) into DIR, in the layout of ../shared/bench/gen_supply_chain.py.
    SupplyChain(SupplyChainArgs),
}

#[derive(Debug, Args)]
struct SupplyChainArgs {
    /// Target number of genealogy edges (rows of consumed.facts), e.g. 100000 or 1e7
    #[arg(value_name = "N", value_parser = parse_edge_count)]
    n: u64,
    /// Directory to write into (created if missing)
    dir: PathBuf,
    /// Seed of the random generator; the same seed gives the same files
    #[arg(long, default_value_t = generate::DEFAULT_SEED)]
    seed: u64,
    /// Skip choosing the trace lots by BFS (faster; takes the first raw and finished lot)
    #[arg(long)]
    no_anchors: bool,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.0..1e12).contains(&seconds) => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!(
            "expected a number of seconds such as 30 or 0.5, found `{text}`"
        )),
    }
}

fn parse_edge_count(text: &str) -> Result<u64, String> {
    let cleaned = text.replace('_', "");
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() && (1.0..=1e9).contains(&n) => Ok(n as u64),
        _ => Err(format!(
            "expected a number of edges between 1 and 1e9 such as 100000 or 1e6, found `{text}`"
        )),
    }
}

/// The process exit status of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    /// The program or its data has an error, or a limit was hit.
    Failed,
    /// Usage or I/O error.
    Error,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        match status {
            Status::Ok => ExitCode::SUCCESS,
            Status::Failed => ExitCode::from(1),
            Status::Error => ExitCode::from(2),
        }
    }
}

/// The `tracelog` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
        }
    };
    let res = match cli.command {
        Command::Run(args) => run(&args),
        Command::Check(args) => check(&args),
        Command::Plan(args) => plan_cmd(&args),
        Command::Generate(Workload::SupplyChain(args)) => generate_cmd(&args),
        Command::Db(DbCommand::Init(args)) => database::init(&args),
        Command::Add(args) => database::add(&args),
        Command::Retract(args) => database::retract(&args),
        Command::Log(args) => database::log(&args),
        Command::History(args) => database::history(&args),
        Command::Verify(args) => database::verify(&args),
        Command::Policy(command) => policy::run(&command),
        Command::Db(DbCommand::Snapshot(args)) => database::snapshot(&args),
        Command::Import(command) => import::run(&command),
        Command::Recall(args) => recall::run(&args),
        Command::Demo(args) => demo::demo(&args),
        Command::Trace(command) => trace::run(&command),
        Command::Repl(args) => repl::run(&args),
        Command::Explain(args) => explain::run(&args),
    };
    match res {
        Ok(status) => status.into(),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &RunArgs) -> std::io::Result<Status> {
    let Some(compiled) = compile(&args.program, args.json)? else {
        return Ok(Status::Failed);
    };
    let driver::Compiled {
        sources,
        program,
        mut warnings,
    } = compiled;
    let output_dir = if args.output.as_os_str() == "-" {
        OutputDir::Stdout
    } else {
        OutputDir::Dir(args.output.clone())
    };
    let db_dir = args.db.clone().or_else(|| {
        std::env::var_os("TRACELOG_DB")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    });
    let limits = Limits {
        timeout: args.timeout,
        max_tuples: args.max_tuples,
        cancel: None,
    };
    if let (Some(dir), None) = (&db_dir, &args.facts) {
        return run_session(args, dir, &program, &sources, warnings, output_dir, limits);
    }
    let db = match &db_dir {
        Some(dir) => match crate::db::read(dir, args.as_of.as_of.unwrap_or_default()) {
            Ok(loaded) => Some(io::DbInput {
                head: loaded.state.head.clone(),
                state: Some(std::sync::Arc::new(loaded.state)),
                journal_head: loaded.journal_head,
            }),
            Err(failure) => {
                eprint_diagnostics(&failure.sources, &failure.diagnostics)?;
                if args.json {
                    print_stdout(&io::json::render_errors(
                        &failure.sources,
                        &failure.diagnostics,
                    ))?;
                }
                return Ok(Status::Failed);
            }
        },
        None if args.as_of.as_of.is_some() => {
            let _ = writeln!(
                std::io::stderr(),
                "error: --as-of needs a database: give it with --db DIR"
            );
            return Ok(Status::Error);
        }
        None => None,
    };
    if let Some(db) = &db {
        drop_filled_warnings(&mut warnings, |name| {
            db.state
                .as_ref()
                .is_some_and(|state| state.relations.contains_key(name))
                || is_declared(&program, name)
        });
    }
    eprint_diagnostics(&sources, &warnings)?;
    let options = io::RunOptions {
        input_dir: args.facts.clone().unwrap_or_else(|| PathBuf::from(".")),
        output_dir,
        json: args.json,
        limits,
        read_files: db.is_none() || args.facts.is_some(),
        db,
    };
    match io::run(&program, &sources, &options) {
        Ok(text) => {
            print_stdout(&text)?;
            Ok(Status::Ok)
        }
        Err(diagnostics) => report_failure(&sources, &diagnostics, args.json),
    }
}

/// Drops the "relation `r` has no facts, rules or input" warnings of the
/// relations the database fills (`filled(name)`, and always `tx`): the program
/// alone cannot know they are not empty.
fn drop_filled_warnings(warnings: &mut Vec<Diagnostic>, filled: impl Fn(&str) -> bool) {
    warnings.retain(|warning| {
        let is_filled = warning.code == diagnostic::Code::UnknownRelation
            && warning
                .message
                .strip_prefix("relation `")
                .and_then(|rest| rest.split_once("` has no facts"))
                .is_some_and(|(name, _)| name == crate::db::eval::TX_RELATION || filled(name));
        !is_filled
    });
}

/// With `--db` every declared relation reads the database: one empty today
/// (no plant shipments yet, say) is not a defect of the program. Undeclared
/// relations keep the warning, which is what catches a misspelt name.
fn is_declared(program: &crate::ir::Program, name: &str) -> bool {
    program
        .relation_by_name(name)
        .is_some_and(|rel| program.relations[rel.0 as usize].decl.is_some())
}

/// `run --db` without `-F`: the program over the database alone, from an
/// image of its derived state when one matches (see `db::session`).
fn run_session(
    args: &RunArgs,
    dir: &Path,
    program: &crate::ir::Program,
    sources: &SourceMap,
    mut warnings: Vec<Diagnostic>,
    output_dir: OutputDir,
    limits: Limits,
) -> std::io::Result<Status> {
    let texts: Vec<&str> = sources.files().map(|(_, file)| &*file.text).collect();
    let key = crate::db::session::program_key(&texts);
    let as_of = args.as_of.as_of.unwrap_or_default();
    let session = match crate::db::session::Session::open(dir, program, &key, as_of, &limits) {
        Ok((session, _)) => session,
        // Problems of the database's facts point into the program's text.
        Err(failure) => return report_failure(sources, &failure.diagnostics, args.json),
    };
    drop_filled_warnings(&mut warnings, |name| is_declared(program, name));
    eprint_diagnostics(sources, &warnings)?;
    let options = io::RunOptions {
        input_dir: PathBuf::from("."),
        output_dir,
        json: args.json,
        limits,
        read_files: false,
        db: Some(io::DbInput {
            state: None,
            head: session.head().clone(),
            journal_head: session.newest().clone(),
        }),
    };
    match io::emit(program, sources, &options, session.engine()) {
        Ok(text) => {
            print_stdout(&text)?;
            Ok(Status::Ok)
        }
        Err(diagnostics) => report_failure(sources, &diagnostics, args.json),
    }
}

fn check(args: &CheckArgs) -> std::io::Result<Status> {
    let Some(compiled) = compile(&args.program, args.json)? else {
        return Ok(Status::Failed);
    };
    eprint_diagnostics(&compiled.sources, &compiled.warnings)?;
    if args.json {
        let warnings = io::json::diagnostics_array(&compiled.sources, &compiled.warnings);
        let doc = serde_json::json!({ "ok": true, "warnings": warnings });
        print_stdout(&format!("{doc:#}\n"))?;
    }
    Ok(Status::Ok)
}

fn plan_cmd(args: &PlanArgs) -> std::io::Result<Status> {
    let Some(compiled) = compile(&args.program, false)? else {
        return Ok(Status::Failed);
    };
    eprint_diagnostics(&compiled.sources, &compiled.warnings)?;
    let plan = plan::plan(&compiled.program);
    print_stdout(&plan::render(&compiled.program, &plan, args.incremental))?;
    Ok(Status::Ok)
}

fn generate_cmd(args: &SupplyChainArgs) -> std::io::Result<Status> {
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(args.n);
        let style = indicatif::ProgressStyle::with_template(
            "{msg:>20} [{bar:40}] {human_pos}/{human_len} edges ({elapsed})",
        )
        .expect("the progress template is valid")
        .progress_chars("=> ");
        bar.set_style(style);
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let config = generate::Config {
        target_edges: args.n,
        seed: args.seed,
        anchors: !args.no_anchors,
    };
    let meta = match generate::supply_chain(&config, &args.dir, &progress) {
        Ok(meta) => meta,
        Err(err) => {
            progress.finish_and_clear();
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot write the workload to `{}`: {err}",
                args.dir.display()
            );
            return Ok(Status::Error);
        }
    };
    // A one-line summary, as the Python generator prints (without the per-line details).
    let mut brief = serde_json::to_value(&meta).map_err(std::io::Error::other)?;
    if let Some(map) = brief.as_object_mut() {
        map.remove("product_lines");
    }
    print_stdout(&format!("{brief}\n"))?;
    Ok(Status::Ok)
}

/// Reads and checks a program. `Ok(None)` when it has errors (already
/// reported); `Err` only for an I/O error on the terminal streams.
fn compile(path: &Path, json: bool) -> std::io::Result<Option<driver::Compiled>> {
    if let Err(err) = std::fs::metadata(path).and_then(|meta| {
        if meta.is_file() {
            Ok(())
        } else {
            Err(std::io::Error::other("not a file"))
        }
    }) {
        return Err(std::io::Error::new(
            err.kind(),
            format!("cannot read the program `{}`: {err}", path.display()),
        ));
    }
    match driver::compile_file(path) {
        Ok(compiled) => Ok(Some(compiled)),
        Err(failed) => {
            report_failure(&failed.sources, &failed.diagnostics, json)?;
            Ok(None)
        }
    }
}

/// Reports the diagnostics of a failed run: rendered on stderr, and with
/// `--json` also as a JSON object on stdout.
fn report_failure(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    json: bool,
) -> std::io::Result<Status> {
    eprint_diagnostics(sources, diagnostics)?;
    if json {
        print_stdout(&io::json::render_errors(sources, diagnostics))?;
    }
    Ok(Status::Failed)
}

fn eprint_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) -> std::io::Result<()> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    let text = diagnostic::render(sources, diagnostics);
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        stderr.write_all(b"\n")?;
    }
    stderr.flush()
}

fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}
