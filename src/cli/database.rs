//! This module holds the database subcommands of the command line: `db init`,
//! `add`, `retract`, `log`, `history` and `verify`. Like the rest of `cli`, it
//! prints and picks exit codes; the work is done by [`crate::db`].

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{Status, eprint_diagnostics, print_stdout};
use crate::db::{self, AsOf, Draft, Failure, InputFormat, Source};
use crate::diagnostic::{Code, Diagnostic};
use crate::io;

/// Where the database is.
#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The database directory [default: $TRACELOG_DB, else ./tracelog.db]
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
}

impl DbArg {
    pub fn dir(&self) -> PathBuf {
        db::resolve_dir(self.db.as_deref())
    }
}

/// The journal prefix to evaluate over.
#[derive(Debug, Args, Clone)]
pub struct AsOfArg {
    /// Evaluate over the journal up to this transaction number or RFC 3339 time
    #[arg(long = "as-of", value_name = "SEQ|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
}

fn parse_as_of(text: &str) -> Result<AsOf, String> {
    text.parse()
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// The language's fact syntax: `consumed("L-1", "B-7").`
    Facts,
    /// One relation, tab-separated, no header
    Tsv,
    /// One relation, comma-separated, with a header row
    Csv,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// The relation of TSV/CSV rows [default: the file's name without extension]
    #[arg(long, value_name = "NAME")]
    pub relation: Option<String>,
    /// How the input is written [default: from the extension: .csv, .tsv/.facts, else fact syntax]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Facts to record: a file, or `-` for standard input
    pub file: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub db: DbArg,
    /// Who records [default: $TRACELOG_USER, else the operating-system user]
    #[arg(long = "as", value_name = "USER")]
    pub principal: Option<String>,
    /// Why (optional for additions, kept in the audit trail)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Record the file even when the same content was recorded before
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RetractArgs {
    /// Facts to retract: a file, or `-` for standard input
    pub file: String,
    /// Why they are retracted (required; kept in the audit trail)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Facts to assert in the same transaction: a correction
    #[arg(long = "add", value_name = "FILE")]
    pub add: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub db: DbArg,
    /// Who records [default: $TRACELOG_USER, else the operating-system user]
    #[arg(long = "as", value_name = "USER")]
    pub principal: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub as_of: AsOfArg,
    /// Print the log as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The fact, in the language: 'consumed("L-1", "B-7")'
    pub fact: String,
    #[command(flatten)]
    pub db: DbArg,
    /// Print the history as JSON
    #[arg(long)]
    pub json: bool,
}

/// Reports a database failure; I/O errors on the journal exit 2, the rest 1.
pub(super) fn report(failure: &Failure, json: bool) -> std::io::Result<Status> {
    eprint_diagnostics(&failure.sources, &failure.diagnostics)?;
    if json {
        print_stdout(&io::json::render_errors(
            &failure.sources,
            &failure.diagnostics,
        ))?;
    }
    let io_error = failure
        .diagnostics
        .iter()
        .any(|diagnostic| diagnostic.code == Code::JournalIo);
    Ok(if io_error {
        Status::Error
    } else {
        Status::Failed
    })
}

pub fn init(args: &InitArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    match db::init(&dir) {
        Ok(head) => {
            print_stdout(&format!(
                "created the database {} (journal genesis sha256 {})\n",
                dir.display(),
                head.hash
            ))?;
            Ok(Status::Ok)
        }
        Err(failure) => report(&failure, false),
    }
}

/// Reads an input file (or stdin) into checked facts.
fn read_input(path: &str, args: &InputArgs) -> Result<db::Input, Failure> {
    let bytes = if path == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    let bytes = bytes.map_err(|err| Failure {
        sources: Default::default(),
        diagnostics: vec![
            Diagnostic::error(Code::InputNotFound, format!("cannot read `{path}`: {err}"))
                .with_help("check the path; use - to read standard input"),
        ],
    })?;
    let format = match args.format {
        Some(FormatArg::Facts) => InputFormat::Facts,
        Some(FormatArg::Tsv) => InputFormat::Tsv,
        Some(FormatArg::Csv) => InputFormat::Csv,
        None => InputFormat::from_path(path),
    };
    db::input::read(path, &bytes, format, args.relation.as_deref()).map_err(|err| Failure {
        sources: err.sources,
        diagnostics: err.diagnostics,
    })
}

fn source_of(input: &db::Input) -> Source {
    Source {
        path: Some(input.path.clone()),
        sha256: Some(input.sha256.clone()),
        line: None,
    }
}

fn print_recorded(dir: &Path, recorded: &db::Recorded) -> std::io::Result<()> {
    let mut text = String::new();
    if let Some(quarantine) = &recorded.recovered {
        text.push_str(&format!(
            "note: an unfinished write at the end of the journal was moved to {quarantine} and the recovery recorded\n"
        ));
    }
    match &recorded.head {
        Some(head) => text.push_str(&format!(
            "recorded transaction {} in {}: {} asserted, {} retracted{}\njournal head {}\n",
            head.seq,
            dir.display(),
            recorded.asserted,
            recorded.retracted,
            if recorded.already_live > 0 {
                format!(
                    " ({} already present, not recorded again)",
                    recorded.already_live
                )
            } else {
                String::new()
            },
            head.describe()
        )),
        None if recorded.already_live == 0 => {
            text.push_str("nothing to record: the input holds no facts\n")
        }
        None => text.push_str(&format!(
            "nothing new to record: all {} facts are already present\n",
            recorded.already_live
        )),
    }
    print_stdout(&text)
}

pub fn add(args: &AddArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    let input = match read_input(&args.file, &args.input) {
        Ok(input) => input,
        Err(failure) => return report(&failure, false),
    };
    let draft = Draft {
        principal: db::principal(args.principal.as_deref()),
        channel: "add".to_owned(),
        source: source_of(&input),
        reason: args.reason.clone(),
        assert: input.facts,
        retract: Vec::new(),
        force: args.force,
        sources: input.sources,
    };
    match db::record(&dir, draft, lock_wait()) {
        Ok(recorded) => {
            print_recorded(&dir, &recorded)?;
            Ok(Status::Ok)
        }
        Err(failure) => report(&failure, false),
    }
}

pub fn retract(args: &RetractArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    let retracted = match read_input(&args.file, &args.input) {
        Ok(input) => input,
        Err(failure) => return report(&failure, false),
    };
    let mut source = source_of(&retracted);
    let mut sources = retracted.sources;
    let mut assert = Vec::new();
    if let Some(path) = &args.add {
        let added = match read_input(
            path,
            &InputArgs {
                relation: args.input.relation.clone(),
                format: None,
            },
        ) {
            Ok(input) => input,
            Err(failure) => return report(&failure, false),
        };
        // One source per transaction: the retraction file names the correction too.
        source.path = Some(format!("{} + {}", retracted.path, added.path));
        source.sha256 = Some(db::record::sha256_hex(
            format!("{}{}", retracted.sha256, added.sha256).as_bytes(),
        ));
        // Spans of the second input are in its own map; re-anchor them as file locations.
        assert = added
            .facts
            .into_iter()
            .map(|mut fact| {
                if let Some(crate::diagnostic::Location::Span(span)) = fact.location {
                    fact.location = Some(crate::diagnostic::Location::DataLine {
                        path: added.path.clone(),
                        line: fact.line,
                        col: added.sources.file(span.file).line_col(span.start).1,
                        text: added
                            .sources
                            .file(span.file)
                            .line_text(fact.line)
                            .to_owned(),
                    });
                }
                fact
            })
            .collect();
        let _ = &mut sources;
    }
    let draft = Draft {
        principal: db::principal(args.principal.as_deref()),
        channel: if assert.is_empty() {
            "retract"
        } else {
            "correct"
        }
        .to_owned(),
        source,
        reason: Some(args.reason.clone()),
        assert,
        retract: retracted.facts,
        force: true,
        sources,
    };
    match db::record(&dir, draft, lock_wait()) {
        Ok(recorded) => {
            print_recorded(&dir, &recorded)?;
            Ok(Status::Ok)
        }
        Err(failure) => report(&failure, false),
    }
}

/// How long a writer waits for the lock: `TRACELOG_LOCK_WAIT` seconds, else 10.
fn lock_wait() -> std::time::Duration {
    std::env::var("TRACELOG_LOCK_WAIT")
        .ok()
        .and_then(|secs| secs.parse::<f64>().ok())
        .filter(|secs| (0.0..1e6).contains(secs))
        .map_or(db::LOCK_WAIT, std::time::Duration::from_secs_f64)
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

pub fn log(args: &LogArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    let loaded = match db::read(&dir, args.as_of.as_of.unwrap_or_default()) {
        Ok(loaded) => loaded,
        Err(failure) => return report(&failure, args.json),
    };
    let state = &loaded.state;
    if args.json {
        let entries: Vec<serde_json::Value> = state
            .log
            .iter()
            .map(|entry| {
                serde_json::json!({
                    "seq": entry.seq,
                    "hash": entry.hash,
                    "kind": if entry.recovery { "recovery" } else { "transaction" },
                    "recorded_at": entry.recorded_at,
                    "clock_regressed": entry.clock_regressed,
                    "principal": entry.principal,
                    "channel": entry.channel,
                    "source": {
                        "path": entry.source.path,
                        "sha256": entry.source.sha256,
                        "line": entry.source.line,
                    },
                    "reason": entry.reason,
                    "asserted": entry.asserted,
                    "retracted": entry.retracted,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "transactions": entries,
            "journal": {
                "seq": state.head.seq,
                "hash": state.head.hash,
                "newest_seq": loaded.journal_head.seq,
                "newest_hash": loaded.journal_head.hash,
            },
        });
        print_stdout(&format!("{doc:#}\n"))?;
        return Ok(Status::Ok);
    }
    let mut table = crate::io::output::markdown_table();
    table.set_header([
        "seq",
        "recorded_at",
        "principal",
        "channel",
        "source",
        "reason",
        "+",
        "-",
        "hash",
    ]);
    for entry in &state.log {
        let mut recorded_at = entry.recorded_at.clone();
        if entry.clock_regressed {
            recorded_at.push_str(" (clock regressed)");
        }
        table.add_row([
            entry.seq.to_string(),
            recorded_at,
            entry.principal.clone(),
            entry.channel.clone(),
            entry.source.describe(),
            entry.reason.clone().unwrap_or_default(),
            entry.asserted.to_string(),
            entry.retracted.to_string(),
            short(&entry.hash).to_owned(),
        ]);
    }
    let mut text = format!("{table}\n");
    text.push_str(&format!(
        "{} records; journal head {}\n",
        state.log.len(),
        state.head.describe()
    ));
    if loaded.torn_tail {
        text.push_str("note: the journal ends with an unfinished write; the next command that writes moves it aside\n");
    }
    print_stdout(&text)?;
    Ok(Status::Ok)
}

pub fn history(args: &HistoryArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    let fact = match db::parse_fact(&args.fact) {
        Ok(fact) => fact,
        Err(failure) => return report(&failure, args.json),
    };
    let entries = match db::history(&dir, &fact) {
        Ok(entries) => entries,
        Err(failure) => return report(&failure, args.json),
    };
    let live = entries.last().is_some_and(|entry| entry.asserted);
    if args.json {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|entry| {
                serde_json::json!({
                    "seq": entry.seq,
                    "hash": entry.hash,
                    "action": if entry.asserted { "assert" } else { "retract" },
                    "recorded_at": entry.recorded_at,
                    "principal": entry.principal,
                    "channel": entry.channel,
                    "source": {"path": entry.source.path, "sha256": entry.source.sha256, "line": entry.line},
                    "reason": entry.reason,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "fact": fact.to_source(),
            "live": live,
            "history": list,
        });
        print_stdout(&format!("{doc:#}\n"))?;
        return Ok(Status::Ok);
    }
    let mut text = String::new();
    if entries.is_empty() {
        text.push_str(&format!(
            "{} was never recorded in {}\n",
            fact.to_source(),
            dir.display()
        ));
    } else {
        let mut table = crate::io::output::markdown_table();
        table.set_header([
            "seq",
            "action",
            "recorded_at",
            "principal",
            "channel",
            "source",
            "reason",
        ]);
        for entry in &entries {
            let mut source = entry.source.describe();
            if let Some(line) = entry.line {
                source.push_str(&format!(" line {line}"));
            }
            table.add_row([
                entry.seq.to_string(),
                if entry.asserted { "assert" } else { "retract" }.to_owned(),
                entry.recorded_at.clone(),
                entry.principal.clone(),
                entry.channel.clone(),
                source,
                entry.reason.clone().unwrap_or_default(),
            ]);
        }
        text.push_str(&format!("{table}\n"));
        text.push_str(&format!(
            "{} is {}\n",
            fact.to_source(),
            if live {
                "live (in the database now)"
            } else {
                "retracted (not in the database now)"
            }
        ));
    }
    print_stdout(&text)?;
    Ok(Status::Ok)
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// A head recorded earlier (by you or an auditor), as SEQ:SHA256; the record at SEQ must
    /// still have that hash, which detects a rewrite of the whole chain
    #[arg(long = "trusted-head", value_name = "SEQ:HASH", value_parser = parse_trusted)]
    pub trusted_head: Option<(u64, [u8; 32])>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

fn parse_trusted(text: &str) -> Result<(u64, [u8; 32]), String> {
    let err = || format!("expected SEQ:SHA256 such as 12:9f2c…(64 hex digits), found `{text}`");
    let (seq, hash) = text.split_once(':').ok_or_else(err)?;
    let seq: u64 = seq.trim().parse().map_err(|_| err())?;
    let hash = hash.trim();
    if hash.len() != 64 {
        return Err(err());
    }
    let mut bytes = [0u8; 32];
    for (idx, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hash[idx * 2..idx * 2 + 2], 16).map_err(|_| err())?;
    }
    Ok((seq, bytes))
}

pub fn verify(args: &VerifyArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    let report = match crate::journal::verify(&dir, args.trusted_head) {
        Ok(report) => report,
        Err(err) => {
            let failure = Failure {
                sources: Default::default(),
                diagnostics: vec![db::journal_diagnostic(&err)],
            };
            return report_failure_status(&failure, args.json);
        }
    };
    if args.json {
        let hex = crate::journal::hex;
        let failure = report.first_failure.as_ref().map(|failure| {
            serde_json::json!({
                "seq": failure.seq,
                "offset": failure.offset,
                "kind": failure.kind.name(),
                "expected": failure.expected,
                "actual": failure.actual,
                "message": failure.to_string(),
            })
        });
        let doc = serde_json::json!({
            "result": if report.ok() { "pass" } else { "fail" },
            "journal": report.path.as_ref().map(|path| path.display().to_string()),
            "format": report.format_version,
            "records": report.records,
            "transactions": report.transactions,
            "recoveries": report.recoveries,
            "bytes": report.bytes,
            "head": {"seq": report.head.seq, "hash": hex(&report.head.hash)},
            "trusted_head": report.trusted.map(|(seq, hash)| serde_json::json!({"seq": seq, "hash": hex(&hash)})),
            "quarantine_files": report.quarantine_files.iter().map(|path| path.display().to_string()).collect::<Vec<_>>(),
            "first_failure": failure,
        });
        print_stdout(&format!("{doc:#}\n"))?;
    } else {
        print_stdout(&report.render())?;
    }
    Ok(if report.ok() {
        Status::Ok
    } else {
        Status::Failed
    })
}

fn report_failure_status(failure: &Failure, json: bool) -> std::io::Result<Status> {
    report(failure, json)
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Also save the derived relations of this program (an image)
    #[arg(long, value_name = "PROGRAM.dl")]
    pub rules: Option<PathBuf>,
}

pub fn snapshot(args: &SnapshotArgs) -> std::io::Result<Status> {
    let dir = args.db.dir();
    match db::write_snapshot(&dir) {
        Ok((head, path, n_facts)) => {
            print_stdout(&format!(
                "wrote {} ({n_facts} live facts) at journal head {}\n",
                path.display(),
                head.describe()
            ))?;
        }
        Err(failure) => return report(&failure, false),
    }
    let Some(rules) = &args.rules else {
        return Ok(Status::Ok);
    };
    let Some(compiled) = super::compile(rules, false)? else {
        return Ok(Status::Failed);
    };
    let texts: Vec<&str> = compiled
        .sources
        .files()
        .map(|(_, file)| &*file.text)
        .collect();
    let key = db::session::program_key(&texts);
    let limits = crate::engine::Limits::default();
    let session =
        match db::session::Session::open(&dir, &compiled.program, &key, AsOf::Head, &limits) {
            Ok((session, _)) => session,
            Err(failure) => return report(&failure, false),
        };
    match session.save_image(&dir) {
        Ok(path) => {
            print_stdout(&format!(
                "wrote {} (the derived relations of {}) at journal head {}\n",
                path.display(),
                rules.display(),
                session.head().describe()
            ))?;
            Ok(Status::Ok)
        }
        Err(err) => report(
            &Failure {
                sources: Default::default(),
                diagnostics: vec![
                    Diagnostic::error(
                        Code::JournalIo,
                        format!("cannot write the image in `{}`: {err}", dir.display()),
                    )
                    .with_help("check the disk and permissions; the journal is unchanged"),
                ],
            },
            false,
        ),
    }
}
