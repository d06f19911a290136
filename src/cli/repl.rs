//! `tracelog repl [--db DIR] [RULES.dl ...]`: the investigation REPL. On a
//! terminal it reads with rustyline (multi-line statements, history file, tab
//! completion, Ctrl-C cancels a running evaluation, Ctrl-D exits); otherwise
//! it runs stdin as a script, echoing each statement and its answer, and
//! exits 1 when any statement failed. Commands dispatch here to the session
//! (`crate::repl::session`) or to the `trace`, `recall` and `import`
//! commands, which print their own output.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Editor, Helper};

use super::Status;
use super::database::{AsOfArg, DbArg};
use crate::db::AsOf;
use crate::diagnostic::Code;
use crate::engine::Limits;
use crate::repl::command;
use crate::repl::output::{self, PROMPT};
use crate::repl::reader::{self, Kind, Statement};
use crate::repl::session::{Origin, Reply, Session};

#[derive(Debug, Args)]
pub struct ReplArgs {
    /// Rule files loaded at the start (as `:load FILE`)
    #[arg(value_name = "RULES.dl")]
    pub files: Vec<PathBuf>,
    /// Evaluate over this database [default: $TRACELOG_DB if set, else no database]
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// The history file [default: $TRACELOG_HISTORY, else ~/.tracelog_history]
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Stop each evaluation after this many seconds (`:set timeout` changes it)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Stop when the derived relations hold more tuples (`:set max-tuples` changes it)
    #[arg(long, value_name = "N")]
    pub max_tuples: Option<u64>,
    /// Who records `:add`'s facts in the database [default: $TRACELOG_USER, else the operating-system user]
    #[arg(long = "as", value_name = "USER")]
    pub principal: Option<String>,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds (e.g. 2.5)"))
}

/// What the loop does after an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// The REPL's state besides the session.
struct Repl {
    session: Rc<RefCell<Session>>,
    timing: bool,
    /// Set by Ctrl-C (SIGINT) while an evaluation runs.
    cancel: Arc<AtomicBool>,
    /// Statements typed so far, so each is named by its line.
    line: usize,
    /// Who records `:add`'s facts in the database.
    principal: String,
    /// exposure.dl over the database, kept open between `:trace`s at one
    /// as-of point (a trace is then one incremental update); dropped when
    /// the REPL writes the database or moves its as-of point.
    investigation: Option<(AsOf, crate::investigate::Investigation)>,
}

pub fn run(args: &ReplArgs) -> std::io::Result<Status> {
    let db = args.db.clone().or_else(|| {
        std::env::var_os("TRACELOG_DB")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
    });
    let cancel = Arc::new(AtomicBool::new(false));
    let limits = Limits {
        timeout: args.timeout,
        max_tuples: args.max_tuples,
        cancel: Some(cancel.clone()),
    };
    let session = match Session::open(db, &args.files, limits) {
        Ok(session) => session,
        Err(reply) => {
            show(&reply, false)?;
            return Ok(Status::Failed);
        }
    };
    let interactive = std::io::stdin().is_terminal();
    let mut repl = Repl {
        session: Rc::new(RefCell::new(session)),
        timing: interactive,
        cancel,
        line: 0,
        principal: crate::db::principal(args.principal.as_deref()),
        investigation: None,
    };
    if interactive {
        interactive_loop(&mut repl, args)
    } else {
        script(&mut repl)
    }
}

/// stdin is not a terminal: every statement in order, echoed with its answer.
fn script(repl: &mut Repl) -> std::io::Result<Status> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let input = String::from_utf8_lossy(&bytes);
    let (statements, unfinished) = reader::split(&input);
    let mut failed = false;
    for statement in &statements {
        super::print_stdout(&output::echo(&statement.text))?;
        let line = input[..statement.start].matches('\n').count() + 1;
        let (reply, flow) = repl.execute(statement, "<stdin>", line);
        show(&reply, repl.timing)?;
        failed |= reply.failed;
        if flow == Flow::Quit {
            return Ok(if failed { Status::Failed } else { Status::Ok });
        }
    }
    if let Some(start) = unfinished {
        let line = input[..start].matches('\n').count() + 1;
        show(&unfinished_reply(line), false)?;
        failed = true;
    }
    Ok(if failed { Status::Failed } else { Status::Ok })
}

fn unfinished_reply(line: usize) -> Reply {
    Reply::error(
        Code::ParseError,
        format!("the statement starting on line {line} is not finished: a statement ends with `.`"),
    )
}

/// Prints a reply: answers on stdout, diagnostics on stderr.
fn show(reply: &Reply, timing: bool) -> std::io::Result<()> {
    let mut out = reply.out.clone();
    if timing && let Some(elapsed) = reply.elapsed {
        out.push_str(&output::elapsed(elapsed));
    }
    if !out.is_empty() {
        super::print_stdout(&out)?;
    }
    if !reply.err.is_empty() {
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(reply.err.as_bytes())?;
        if !reply.err.ends_with('\n') {
            stderr.write_all(b"\n")?;
        }
        stderr.flush()?;
    }
    Ok(())
}

/// The line editor's helper: completion from the command table and the
/// session, and the statement reader as validator (Enter inside an
/// unfinished statement starts a new line).
struct ReplHelper {
    session: Rc<RefCell<Session>>,
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(crate::repl::complete::complete(
            line,
            pos,
            &self.session.borrow(),
        ))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        // An empty line after an unfinished statement gives up on waiting
        // (the statement is then reported as unfinished).
        if reader::is_complete(input) || input.ends_with('\n') {
            return Ok(ValidationResult::Valid(None));
        }
        Ok(ValidationResult::Incomplete)
    }
}

impl Helper for ReplHelper {}

fn history_path(args: &ReplArgs) -> Option<PathBuf> {
    args.history
        .clone()
        .or_else(|| std::env::var_os("TRACELOG_HISTORY").map(PathBuf::from))
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".tracelog_history"))
        })
}

fn interactive_loop(repl: &mut Repl, args: &ReplArgs) -> std::io::Result<Status> {
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .history_ignore_space(true)
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> =
        Editor::with_config(config).map_err(std::io::Error::other)?;
    editor.set_helper(Some(ReplHelper {
        session: repl.session.clone(),
    }));
    let history = history_path(args);
    if let Some(path) = &history {
        // A missing history file is the first session.
        let _ = editor.load_history(path);
    }
    // Ctrl-C during an evaluation sets the flag the engine checks; at the
    // prompt the terminal is raw and the editor reads Ctrl-C as a key.
    signal_hook::flag::register(signal_hook::consts::SIGINT, repl.cancel.clone())?;
    super::print_stdout(
        "tracelog repl: statements end with `.`, `:help` lists the commands, Ctrl-D quits\n",
    )?;
    loop {
        let input = match editor.readline(PROMPT) {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(err) => return Err(std::io::Error::other(err)),
        };
        if input.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input.as_str());
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
        let (statements, unfinished) = reader::split(&input);
        let first_line = repl.line + 1;
        repl.line += input.lines().count().max(1);
        for statement in &statements {
            let line = first_line + input[..statement.start].matches('\n').count();
            repl.cancel.store(false, Ordering::Relaxed);
            let (reply, flow) = repl.execute(statement, "<input>", line);
            show(&reply, repl.timing)?;
            if flow == Flow::Quit {
                return Ok(Status::Ok);
            }
        }
        if let Some(start) = unfinished {
            show(
                &unfinished_reply(first_line + input[..start].matches('\n').count()),
                false,
            )?;
        }
    }
    Ok(Status::Ok)
}

impl Repl {
    /// Runs one statement or command.
    fn execute(&mut self, statement: &Statement, name: &str, line: usize) -> (Reply, Flow) {
        let origin = Origin {
            name: name.to_owned(),
            line,
        };
        if statement.kind == Kind::Language {
            let reply = self
                .session
                .borrow_mut()
                .statement(&statement.text, &origin);
            return (reply, Flow::Continue);
        }
        let (name, args) = command::split(&statement.text);
        // Arguments of `:add`/`:retract` keep their columns for the caret.
        let args_origin = Origin {
            name: origin.name.clone(),
            line,
        };
        let reply = match name {
            "quit" | "q" | "exit" => return (Reply::default(), Flow::Quit),
            "help" | "h" | "?" if args.is_empty() => Reply::text(command::help()),
            "help" | "h" | "?" => match command::long_help(args) {
                Some(text) => Reply::text(text),
                None => unknown_command(args),
            },
            "load" => self.with_arg(name, args, |session, path| session.load(path.as_ref())),
            "import" => self.import(args),
            "add" => {
                // `--reason TEXT` ends the facts (with a database).
                let (facts, reason) = match statement.text.find(" --reason") {
                    Some(at) => {
                        let reason = statement.text[at + " --reason".len()..].trim();
                        let reason = reason
                            .strip_prefix('"')
                            .and_then(|r| r.strip_suffix('"'))
                            .unwrap_or(reason);
                        (&statement.text[..at], Some(reason.to_owned()))
                    }
                    None => (statement.text.as_str(), None),
                };
                let facts = facts.trim_end();
                let text = blank_prefix(facts, command::split(facts).1);
                let mut session = self.session.borrow_mut();
                if session.has_db() {
                    self.investigation = None;
                    session.record(
                        &text,
                        &args_origin,
                        &self.principal,
                        reason.filter(|r| !r.is_empty()),
                        super::import::lock_wait(),
                    )
                } else if reason.is_some() {
                    Reply::error(
                        Code::ReplUsage,
                        "`--reason` goes with facts recorded in a database: start the REPL with --db DIR",
                    )
                } else {
                    session.add(&text, &args_origin)
                }
            }
            "retract" => self
                .session
                .borrow_mut()
                .retract(&blank_prefix(&statement.text, args), &args_origin),
            "relations" => self.session.borrow_mut().relations(),
            "schema" => self.with_arg(name, args, |session, rel| session.schema(rel)),
            "rules" => {
                let session = self.session.borrow();
                session.rules((!args.is_empty()).then_some(args))
            }
            "why" => self.with_arg(name, args, |session, atom| session.why(atom)),
            "whynot" => self.with_arg(name, args, |session, atom| session.why_not(atom)),
            "trace" => self.trace(args),
            "recall" => self.recall(args),
            "export" => match args.split_whitespace().collect::<Vec<_>>()[..] {
                [rel, path] => self.session.borrow_mut().export(rel, path.as_ref()),
                _ => usage(name),
            },
            "as-of" => self.as_of(args),
            "policy" => Reply::text(self.session.borrow().policy()),
            "log" => self.session.borrow().log(),
            "timing" => match args {
                "on" => {
                    self.timing = true;
                    Reply::text("timing on\n")
                }
                "off" => {
                    self.timing = false;
                    Reply::text("timing off\n")
                }
                _ => usage(name),
            },
            "set" => self.set(args),
            _ => unknown_command(name),
        };
        (reply, Flow::Continue)
    }

    fn with_arg(
        &self,
        name: &str,
        args: &str,
        run: impl FnOnce(&mut Session, &str) -> Reply,
    ) -> Reply {
        if args.is_empty() {
            return usage(name);
        }
        run(&mut self.session.borrow_mut(), args)
    }

    fn db_dir(&self, name: &str) -> Result<PathBuf, Reply> {
        self.session
            .borrow()
            .db_dir()
            .map(PathBuf::from)
            .ok_or_else(|| {
                Reply::error(
                    Code::ReplUsage,
                    format!("`:{name}` needs a database: start the REPL with --db DIR"),
                )
            })
    }

    fn import(&mut self, args: &str) -> Reply {
        let words: Vec<&str> = args.split_whitespace().collect();
        let ["epcis", files @ ..] = &words[..] else {
            return usage("import");
        };
        if files.is_empty() {
            return usage("import");
        }
        let dir = match self.db_dir("import") {
            Ok(dir) => dir,
            Err(reply) => return reply,
        };
        let command = super::import::ImportCommand::Epcis(super::import::EpcisArgs {
            files: files.iter().map(PathBuf::from).collect(),
            db: Some(dir),
            principal: Some(self.principal.clone()),
            cancel: Some(self.cancel.clone()),
        });
        self.investigation = None;
        let status = super::import::run(&command);
        let mut reply = self.session.borrow_mut().catch_up();
        reply.failed |= !matches!(status, Ok(Status::Ok));
        if let Err(err) = status {
            reply.err.push_str(&format!("error: {err}\n"));
        }
        reply
    }

    fn trace(&mut self, args: &str) -> Reply {
        let words: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
        let Some((direction, ids)) = words.split_first() else {
            return usage("trace");
        };
        if ids.is_empty() {
            return usage("trace");
        }
        let dir = match self.db_dir("trace") {
            Ok(dir) => dir,
            Err(reply) => return reply,
        };
        let trace_args = super::trace::TraceArgs {
            ids: ids.to_vec(),
            db: DbArg { db: Some(dir) },
            as_of: AsOfArg {
                as_of: Some(self.session.borrow().as_of()),
            },
            json: false,
        };
        let command = match direction.as_str() {
            "forward" => super::trace::TraceCommand::Forward(trace_args),
            "backward" => super::trace::TraceCommand::Backward(trace_args),
            _ => return usage("trace"),
        };
        let started = std::time::Instant::now();
        let (limits, as_of) = {
            let session = self.session.borrow();
            (session.limits.clone(), session.as_of())
        };
        if self
            .investigation
            .as_ref()
            .is_none_or(|(at, _)| *at != as_of)
        {
            self.investigation = None;
            let (super::trace::TraceCommand::Forward(args)
            | super::trace::TraceCommand::Backward(args)) = &command;
            match super::trace::open(args, &limits) {
                Ok(inv) => self.investigation = Some((as_of, inv)),
                Err(failure) => return Reply::failure(&failure.sources, &failure.diagnostics),
            }
        }
        let Some((_, inv)) = self.investigation.as_mut() else {
            return Reply::default();
        };
        let mut reply = status_reply(super::trace::run_on(inv, &command, &limits));
        if reply.failed {
            // A stopped update leaves it to evaluate from scratch: open it anew next time.
            self.investigation = None;
        }
        reply
            .out
            .push_str(&database_only_note(&self.session.borrow(), "trace"));
        reply.elapsed = Some(started.elapsed());
        reply
    }

    fn recall(&mut self, args: &str) -> Reply {
        let words: Vec<&str> = args.split_whitespace().collect();
        let (ids, out) = match words.iter().position(|word| *word == "--out") {
            Some(idx) => match words.get(idx + 1) {
                Some(out) => (
                    [&words[..idx], &words[idx + 2..]].concat(),
                    PathBuf::from(out),
                ),
                None => return usage("recall"),
            },
            None => (words.clone(), PathBuf::from("recall-report")),
        };
        if ids.is_empty() {
            return usage("recall");
        }
        let dir = match self.db_dir("recall") {
            Ok(dir) => dir,
            Err(reply) => return reply,
        };
        let recall_args = super::recall::RecallArgs {
            ids: ids.iter().map(|id| (*id).to_owned()).collect(),
            db: DbArg { db: Some(dir) },
            out,
            from: None,
            to: None,
            json: false,
            as_of: AsOfArg {
                as_of: Some(self.session.borrow().as_of()),
            },
        };
        let started = std::time::Instant::now();
        let limits = self.session.borrow().limits.clone();
        let mut reply = status_reply(super::recall::run_with(&recall_args, &limits));
        reply.elapsed = Some(started.elapsed());
        reply
            .out
            .push_str(&database_only_note(&self.session.borrow(), "recall"));
        reply
    }

    fn as_of(&mut self, args: &str) -> Reply {
        let as_of = match args {
            "" => return usage("as-of"),
            "head" => AsOf::Head,
            text => match text.parse::<AsOf>() {
                Ok(as_of) => as_of,
                Err(message) => return Reply::error(Code::BadAsOf, message),
            },
        };
        self.session.borrow_mut().set_as_of(as_of)
    }

    fn set(&mut self, args: &str) -> Reply {
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut session = self.session.borrow_mut();
        match words[..] {
            ["timeout", "none"] => session.limits.timeout = None,
            ["timeout", secs] => match parse_seconds(secs) {
                Ok(timeout) => session.limits.timeout = Some(timeout),
                Err(message) => return Reply::error(Code::ReplUsage, message),
            },
            ["max-tuples", "none"] => session.limits.max_tuples = None,
            ["max-tuples", n] => match n.parse::<u64>() {
                Ok(n) => session.limits.max_tuples = Some(n),
                Err(_) => {
                    return Reply::error(
                        Code::ReplUsage,
                        format!("`{n}` is not a number of tuples (e.g. 1000000)"),
                    );
                }
            },
            _ => return usage("set"),
        }
        let limits = &session.limits;
        Reply::text(format!(
            "timeout {}, max-tuples {}\n",
            limits
                .timeout
                .map_or("none".to_owned(), |t| format!("{} s", t.as_secs_f64())),
            limits
                .max_tuples
                .map_or("none".to_owned(), |n| n.to_string())
        ))
    }
}

/// `:trace` and `:recall` read the database, not the session's facts: a
/// line saying so when the session has facts of its own.
fn database_only_note(session: &Session, command: &str) -> String {
    match session.session_facts() {
        0 => String::new(),
        n => format!(
            "note: `:{command}` reads the database only; the {n} fact{} typed in this session \
             {} not part of it (`:add` records facts in the database)\n",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" }
        ),
    }
}

/// The command line with the command name blanked, so the arguments keep
/// their columns in diagnostics.
fn blank_prefix(line: &str, args: &str) -> String {
    let offset = line.len() - args.len();
    format!("{}{}", " ".repeat(offset), &line[offset..])
}

/// A command that printed its own output: failed unless it returned `Ok`.
fn status_reply(status: std::io::Result<Status>) -> Reply {
    match status {
        Ok(Status::Ok) => Reply::default(),
        Ok(_) => Reply {
            failed: true,
            ..Reply::default()
        },
        Err(err) => Reply {
            err: format!("error: {err}\n"),
            failed: true,
            ..Reply::default()
        },
    }
}

fn usage(name: &str) -> Reply {
    let command = command::find(name).map_or(name.to_owned(), |command| {
        format!(":{} {}", command.name, command.args)
    });
    Reply::error(
        Code::ReplUsage,
        format!("usage: {}; `:help {name}` explains it", command.trim_end()),
    )
}

fn unknown_command(name: &str) -> Reply {
    let name = name.trim_start_matches(':');
    let mut reply = Reply::error(
        Code::ReplUsage,
        format!("there is no command `:{name}`; `:help` lists the commands"),
    );
    let start: String = name.chars().take(2).collect();
    let similar = command::names_starting_with(&start);
    if !similar.is_empty() && !name.is_empty() {
        reply.err = reply.err.replace(
            "`:help` lists the commands",
            &format!("did you mean {}?", similar.join(" or ")),
        );
    }
    reply
}
