//! This module is the REPL's evaluation session: the program built up from
//! loaded files and typed statements, the facts added at the prompt, and the
//! evaluated relations (in memory, or a [`crate::db::session::Session`] over
//! the database). What is incremental:
//!
//! - a fact of a relation the program already has (typed, `:add`, `:retract`)
//!   is one engine update (semi-naive insertion, delete and re-derive);
//! - a query is evaluated as its own small program over the relations it
//!   reads, copied from the session (nothing else is recomputed);
//! - a rule, a declaration, a directive, a loaded file, or the first fact of a
//!   new relation changes the program: it is checked as a whole and evaluated
//!   again (over the database: restored from an image when one matches).
//!
//! Nothing here prints: every operation returns a [`Reply`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::db::session::{self as db_session, Opened};
use crate::db::{self, AsOf};
use crate::diagnostic::{self, Code, Diagnostic, Location};
use crate::engine::{Change, Engine, EngineError, Limits};
use crate::io::output::{self, Relations};
use crate::ir::{self, Literal, RelId, Type};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast};
use crate::value::Value;

/// An evaluation from scratch over the database slower than this leaves an
/// image behind, so the next start on the same head and program is fast.
const IMAGE_AFTER: Duration = Duration::from_millis(500);

/// Rule instances and closest tuples `:whynot` shows per rule (as `explain --not`).
const WHY_NOT_LIMIT: usize = 5;

/// What one input produced: text for stdout, rendered diagnostics for
/// stderr, and whether it failed.
#[derive(Debug, Default)]
pub struct Reply {
    pub out: String,
    pub err: String,
    pub failed: bool,
    /// How long the evaluation took, shown when timing is on.
    pub elapsed: Option<Duration>,
}

impl Reply {
    pub fn text(out: impl Into<String>) -> Reply {
        Reply {
            out: out.into(),
            ..Reply::default()
        }
    }

    pub fn failure(sources: &SourceMap, diagnostics: &[Diagnostic]) -> Reply {
        Reply {
            err: diagnostic::render(sources, diagnostics),
            failed: diagnostic::has_errors(diagnostics) || diagnostics.is_empty(),
            ..Reply::default()
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Reply {
        Reply::failure(
            &SourceMap::default(),
            &[Diagnostic::error(code, message.into())],
        )
    }
}

/// Where typed text comes from, so diagnostics show `<stdin>:12:5`.
#[derive(Clone, Debug)]
pub struct Origin {
    pub name: String,
    /// The line (1-based) the text starts on.
    pub line: usize,
}

/// One piece of the session's program.
#[derive(Clone, Debug)]
struct Unit {
    name: String,
    path: Option<PathBuf>,
    text: String,
    kind: UnitKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitKind {
    /// A file given on the command line or with `:load`.
    File,
    /// A rule, declaration or directive typed at the prompt.
    Typed,
    /// `a(1) :- a(1).`: makes a new relation known (with the column types
    /// its first fact implies) while the fact itself is a session fact.
    FactShape,
}

/// A fact added at the prompt: relation and constants as written.
#[derive(Clone, Debug, PartialEq)]
struct SessionFact {
    rel: String,
    args: Vec<ast::Const>,
}

/// The evaluated relations.
enum Backend {
    Memory(Box<Engine>),
    Db(Box<db_session::Session>),
    /// Over a database, not evaluated yet: the first question that needs
    /// the relations evaluates them (or restores an image), so the prompt
    /// comes at once. The engine is the program's, empty.
    Pending(Box<Engine>),
}

impl Backend {
    fn engine(&self) -> &Engine {
        match self {
            Backend::Memory(engine) | Backend::Pending(engine) => engine,
            Backend::Db(session) => session.engine(),
        }
    }

    fn engine_mut(&mut self) -> &mut Engine {
        match self {
            Backend::Memory(engine) | Backend::Pending(engine) => engine,
            Backend::Db(session) => session.engine_mut(),
        }
    }

    fn values_mut(&mut self) -> &mut crate::value::ValueStore {
        match self {
            Backend::Memory(engine) | Backend::Pending(engine) => engine.values_mut(),
            Backend::Db(session) => session.values_mut(),
        }
    }

    fn update(&mut self, changes: Vec<Change>, limits: &Limits) -> Result<(), Vec<Diagnostic>> {
        match self {
            Backend::Memory(engine) | Backend::Pending(engine) => engine
                .update(changes, limits)
                .map(drop)
                .map_err(|err| vec![engine_diagnostic(&err)]),
            Backend::Db(session) => session
                .apply(changes, limits)
                .map(drop)
                .map_err(|failure| failure.diagnostics),
        }
    }
}

/// The program, its facts and its evaluated relations.
pub struct Session {
    units: Vec<Unit>,
    facts: Vec<SessionFact>,
    sources: SourceMap,
    program: ir::Program,
    backend: Backend,
    /// The root file of each unit in `sources`, in unit order.
    roots: Vec<FileId>,
    /// Every file the program was checked from (each include once).
    used: Vec<FileId>,
    db: Option<PathBuf>,
    as_of: AsOf,
    pub limits: Limits,
    /// Provenance is recorded: from the start without a database, from the
    /// first `:why` with one (an image restores no heights).
    provenance: bool,
    /// A change of the program evaluates only what it can reach (off: from
    /// scratch, as `:as-of` does).
    incremental: bool,
    /// What the last change of the program kept and evaluated, when it was
    /// incremental.
    evolved: Option<crate::engine::EvolveStats>,
    /// The database's state read for the journal records of `:why`'s
    /// leaves, kept while the session's head is the same.
    journal: Option<crate::db::State>,
}

/// A program checked from units, with the texts its spans point into.
struct Checked {
    sources: SourceMap,
    program: ir::Program,
    warnings: Vec<Diagnostic>,
    roots: Vec<FileId>,
    used: Vec<FileId>,
}

impl Session {
    /// Opens a session over the database in `db` (or over nothing) with the
    /// program files `files`. On failure: the rendered diagnostics.
    pub fn open(db: Option<PathBuf>, files: &[PathBuf], limits: Limits) -> Result<Session, Reply> {
        let mut units = Vec::new();
        for path in files {
            units.push(file_unit(path)?);
        }
        if db.is_some() && files.is_empty() {
            // The database's facts are typed by the program: with no rule
            // file, the shipped schema makes the traceability relations visible.
            units.push(Unit {
                name: "<schema>".to_owned(),
                path: None,
                text: ".include \"schema.dl\"\n".to_owned(),
                kind: UnitKind::File,
            });
        }
        let checked =
            check_units(&units).map_err(|(sources, diags)| Reply::failure(&sources, &diags))?;
        let mut session = Session {
            units,
            facts: Vec::new(),
            sources: SourceMap::default(),
            program: ir::Program::default(),
            backend: Backend::Memory(Box::new(Engine::new(&ir::Program::default()))),
            roots: Vec::new(),
            used: Vec::new(),
            provenance: db.is_none(),
            db,
            as_of: AsOf::Head,
            limits,
            journal: None,
            incremental: true,
            evolved: None,
        };
        if session.db.is_some() {
            session.backend = Backend::Pending(Box::new(Engine::new(&checked.program)));
            session.sources = checked.sources;
            session.program = checked.program;
            session.roots = checked.roots;
            session.used = checked.used;
            return Ok(session);
        }
        let mut reply = session.adopt(checked);
        if reply.failed {
            return Err(reply);
        }
        reply.out.clear();
        Ok(session)
    }

    /// Evaluates the program over the database when the session has not yet
    /// (see [`Backend::Pending`]); the note says how long that took.
    fn ensure_loaded(&mut self) -> Result<String, Reply> {
        if !matches!(self.backend, Backend::Pending(_)) {
            return Ok(String::new());
        }
        let started = Instant::now();
        match self.evaluate(&self.program, &self.sources, &self.used) {
            Ok(backend) => {
                self.backend = backend;
                let head = self.head().map(|head| head.describe()).unwrap_or_default();
                Ok(format!(
                    "evaluated the program over the database at journal head {head} ({:.1} s, once)\n",
                    started.elapsed().as_secs_f64()
                ))
            }
            Err(diagnostics) => Err(Reply::failure(&self.sources, &diagnostics)),
        }
    }

    /// Runs `op` once the relations are evaluated, with the note of that evaluation first.
    fn loaded(&mut self, op: impl FnOnce(&mut Session) -> Reply) -> Reply {
        match self.ensure_loaded() {
            Ok(note) => {
                let mut reply = op(self);
                reply.out.insert_str(0, &note);
                reply
            }
            Err(reply) => reply,
        }
    }

    pub fn program(&self) -> &ir::Program {
        &self.program
    }

    pub fn engine(&self) -> &Engine {
        self.backend.engine()
    }

    /// What the last change of the program kept and evaluated, when it
    /// could be incremental (`None` after an evaluation from scratch).
    pub fn evolved(&self) -> Option<crate::engine::EvolveStats> {
        self.evolved
    }

    /// How many facts were typed (or `:add`ed without a database) in the session.
    pub fn session_facts(&self) -> usize {
        self.facts.len()
    }

    pub fn has_db(&self) -> bool {
        self.db.is_some()
    }

    pub fn db_dir(&self) -> Option<&Path> {
        self.db.as_deref()
    }

    pub fn as_of(&self) -> AsOf {
        self.as_of
    }

    /// The journal head the relations were computed on (with a database).
    pub fn head(&self) -> Option<&crate::db::state::HeadRef> {
        match &self.backend {
            Backend::Db(session) => Some(session.head()),
            Backend::Memory(_) | Backend::Pending(_) => None,
        }
    }

    /// The names of the relations a user can name, sorted.
    pub fn relation_names(&self) -> Vec<String> {
        let mut names: Vec<String> = visible(&self.program)
            .map(|(_, relation)| relation.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Language text typed at the prompt: facts, rules, declarations,
    /// directives and queries (one statement or several).
    pub fn statement(&mut self, text: &str, origin: &Origin) -> Reply {
        self.loaded(|session| session.statement_now(text, origin))
    }

    fn statement_now(&mut self, text: &str, origin: &Origin) -> Reply {
        let (sources, root, parsed) = parse_typed(text, origin);
        let (items, diagnostics) = parsed;
        if diagnostic::has_errors(&diagnostics) {
            return Reply::failure(&sources, &diagnostics);
        }
        let mut reply = Reply::default();
        if !diagnostics.is_empty() {
            reply.err = diagnostic::render(&sources, &diagnostics);
        }
        let queries = items
            .items
            .iter()
            .filter(|item| matches!(item, ast::Item::Query(_)))
            .count();
        let facts = facts_of(&items);
        let next = if queries == items.items.len() && queries > 0 {
            let mut replies = Vec::new();
            for item in &items.items {
                if let ast::Item::Query(query) = item {
                    replies.push(self.query(&sources, root, query, origin));
                }
            }
            merge(replies)
        } else if let Some(facts) = facts {
            self.add_facts(text, origin, facts)
        } else {
            let mut reply = self.change_program(Unit {
                name: origin.name.clone(),
                path: None,
                text: padded(text, origin),
                kind: UnitKind::Typed,
            });
            if !reply.failed {
                reply.out = self.summary();
            }
            reply
        };
        merge(vec![reply, next])
    }

    /// `:add FACT...`: the same as typing the facts, but only facts.
    pub fn add(&mut self, text: &str, origin: &Origin) -> Reply {
        self.loaded(|session| session.add_now(text, origin))
    }

    fn add_now(&mut self, text: &str, origin: &Origin) -> Reply {
        match self.parse_facts(text, origin) {
            Ok(facts) => self.add_facts(text, origin, facts),
            Err(reply) => reply,
        }
    }

    /// `:add FACT... [--reason TEXT]` with a database: records the facts in
    /// the journal as one transaction (channel `repl`, the typed text as its
    /// source), then brings the relations up to the new head incrementally.
    /// Facts must fit relations of the program: the journal is not typed,
    /// and a fact that no column takes would stop every later evaluation.
    pub fn record(
        &mut self,
        text: &str,
        origin: &Origin,
        principal: &str,
        reason: Option<String>,
        wait: Duration,
    ) -> Reply {
        let Some(dir) = self.db.clone() else {
            return self.add(text, origin);
        };
        let note = match self.ensure_loaded() {
            Ok(note) => note,
            Err(reply) => return reply,
        };
        if self.as_of != AsOf::Head {
            return Reply::error(
                Code::ReplUsage,
                "`:add` records at the journal's head: `:as-of head` first",
            );
        }
        let facts = match self.parse_facts(text, origin) {
            Ok(facts) => facts,
            Err(reply) => return reply,
        };
        let (sources, _, _) = parse_typed(text, origin);
        let misfits: Vec<Diagnostic> = facts
            .iter()
            .filter(|(fact, _)| !fits(&self.program, fact))
            .map(|(fact, span)| {
                let known = self.program.relation_by_name(&fact.rel).is_some();
                Diagnostic::error(
                    Code::TypeMismatch,
                    if known {
                        format!(
                            "`{}` does not fit the columns of `{}`: not recorded",
                            sources.snippet(*span),
                            fact.rel
                        )
                    } else {
                        format!(
                            "`{}` is not a fact of a relation of the program: not recorded",
                            sources.snippet(*span)
                        )
                    },
                )
                .at(*span)
                .with_label(if known {
                    "a value of another type, or another number of values"
                } else {
                    "no relation takes this fact"
                })
                .with_help(match known {
                    true => format!("`:schema {}` shows the columns' types", fact.rel),
                    false => format!(
                        "`{}` is not a relation of the program; declare it first (`.decl`), or \
                         type the fact without `:add` to keep it in the session",
                        fact.rel
                    ),
                })
            })
            .collect();
        if !misfits.is_empty() {
            return Reply::failure(&sources, &misfits);
        }
        let line = text.trim();
        let input = match db::input::read(
            "<repl>",
            line.as_bytes(),
            db::input::InputFormat::Facts,
            None,
        ) {
            Ok(input) => input,
            Err(err) => return Reply::failure(&err.sources, &err.diagnostics),
        };
        let started = Instant::now();
        let draft = db::Draft {
            principal: principal.to_owned(),
            channel: "repl".to_owned(),
            source: db::record::Source {
                path: None,
                sha256: None,
                line: Some(line.to_owned()),
            },
            reason,
            assert: input.facts,
            retract: Vec::new(),
            force: true,
            sources: input.sources,
        };
        let recorded = match db::record(&dir, draft, wait) {
            Ok(recorded) => recorded,
            Err(failure) => return Reply::failure(&failure.sources, &failure.diagnostics),
        };
        let mut reply = self.catch_up();
        reply.out = match &recorded.head {
            Some(head) => format!(
                "recorded transaction {} by {principal}: {} fact{} asserted{}\n",
                head.seq,
                recorded.asserted,
                plural(recorded.asserted),
                if recorded.already_live > 0 {
                    format!(" ({} already present)", recorded.already_live)
                } else {
                    String::new()
                }
            ),
            None if recorded.already_live == 1 => {
                "nothing new to record: the fact is already in the database\n".to_owned()
            }
            None => format!(
                "nothing new to record: the {} facts are already in the database\n",
                recorded.already_live
            ),
        };
        reply.out.insert_str(0, &note);
        reply.elapsed = Some(started.elapsed());
        reply
    }

    /// `:retract FACT...`: removes facts added in the session.
    pub fn retract(&mut self, text: &str, origin: &Origin) -> Reply {
        self.loaded(|session| session.retract_now(text, origin))
    }

    fn retract_now(&mut self, text: &str, origin: &Origin) -> Reply {
        let facts = match self.parse_facts(text, origin) {
            Ok(facts) => facts,
            Err(reply) => return reply,
        };
        let (sources, _, _) = parse_typed(text, origin);
        let mut missing = Vec::new();
        let mut removed = Vec::new();
        for (fact, span) in facts {
            match self.facts.iter().position(|known| *known == fact) {
                Some(idx) => removed.push(self.facts.remove(idx)),
                None => missing.push(
                    Diagnostic::error(
                        Code::NotAsserted,
                        format!("`{}` was not added in this session", sources.snippet(span)),
                    )
                    .at(span)
                    .with_label("not a session fact")
                    .with_help(
                        "`:retract` removes facts typed at the prompt; facts of the database \
                         (`:add`ed ones too) are retracted with `tracelog retract`, facts of a \
                         loaded file by editing it",
                    ),
                ),
            }
        }
        if !missing.is_empty() {
            // All or nothing, like `tracelog retract`.
            self.facts.extend(removed);
            return Reply::failure(&sources, &missing);
        }
        let started = Instant::now();
        let changes = match changes_for(&self.program, self.backend.values_mut(), &removed, true) {
            Ok(changes) => changes,
            Err(diagnostics) => {
                self.facts.extend(removed);
                return Reply::failure(&sources, &diagnostics);
            }
        };
        if let Err(diagnostics) = self.backend.update(changes.clone(), &self.limits) {
            self.facts.extend(removed);
            return self.undo_update(changes, &diagnostics);
        }
        Reply {
            out: format!(
                "retracted {} fact{}\n",
                removed.len(),
                plural(removed.len())
            ),
            elapsed: Some(started.elapsed()),
            ..Reply::default()
        }
    }

    /// The answers of the queries written in the last loaded file (and its
    /// includes), as `tracelog run` prints them.
    fn file_answers(&self) -> String {
        let Some(&root) = self.roots.last() else {
            return String::new();
        };
        // The last unit's files: its root and the includes read after it.
        let files: Vec<FileId> = self
            .used
            .iter()
            .copied()
            .filter(|id| id.0 >= root.0)
            .collect();
        let mut text = String::new();
        for query in &self.program.queries {
            if files.contains(&query.origin.file) {
                text.push_str(&render_answer(
                    self.engine(),
                    &self.program,
                    query.rel,
                    &output::query_text(&self.sources, query.origin),
                ));
            }
        }
        text
    }

    /// `program: 3 relations, 2 rules`, after a change of the program.
    fn summary(&self) -> String {
        let shapes = self.shape_files();
        let rules = self
            .program
            .rules
            .iter()
            .filter(|rule| {
                !rule.body.is_empty()
                    && !shapes.contains(&rule.origin.file)
                    && !self.program.relation(rule.head.rel).hidden
            })
            .count();
        let relations = visible(&self.program).count();
        format!(
            "program: {relations} relation{}, {rules} rule{}\n",
            plural(relations),
            plural(rules)
        )
    }

    /// `:load FILE`.
    pub fn load(&mut self, path: &Path) -> Reply {
        match file_unit(path) {
            Ok(unit) => {
                let mut reply = self.change_program(unit);
                if !reply.failed {
                    reply.out = format!("loaded {}; {}", path.display(), self.summary());
                    reply.out.push_str(&self.file_answers());
                }
                reply
            }
            Err(reply) => reply,
        }
    }

    /// `:as-of SEQ|TIME|head`: evaluates again over that prefix of the journal.
    pub fn set_as_of(&mut self, as_of: AsOf) -> Reply {
        if self.db.is_none() {
            return Reply::error(
                Code::ReplUsage,
                "`:as-of` needs a database: start the REPL with --db DIR",
            );
        }
        let previous = self.as_of;
        self.as_of = as_of;
        let checked = match check_units(&self.units) {
            Ok(checked) => checked,
            Err((sources, diagnostics)) => return Reply::failure(&sources, &diagnostics),
        };
        self.incremental = false;
        let mut reply = self.adopt(checked);
        self.incremental = true;
        if reply.failed {
            self.as_of = previous;
            return reply;
        }
        if let Some(head) = self.head() {
            reply.out = format!("evaluated on journal head {}\n", head.describe());
        }
        reply
    }

    /// Brings the relations up to the journal's newest records (after an
    /// import), incrementally.
    pub fn catch_up(&mut self) -> Reply {
        let (Backend::Db(session), Some(dir)) = (&mut self.backend, &self.db) else {
            return Reply::default();
        };
        if self.as_of != AsOf::Head {
            return Reply::default();
        }
        match session.catch_up(dir, &self.limits) {
            Ok(_) => Reply::default(),
            Err(failure) => Reply::failure(&failure.sources, &failure.diagnostics),
        }
    }

    /// `:why ATOM`: the shortest proof of a derived tuple, as `tracelog
    /// explain` prints it; with a database each fact of the proof shows the
    /// transaction that recorded it.
    pub fn why(&mut self, atom: &str) -> Reply {
        self.loaded(|session| session.why_now(atom))
    }

    fn why_now(&mut self, atom: &str) -> Reply {
        let started = Instant::now();
        let mut note = String::new();
        if !self.backend.engine().has_provenance() {
            match self.record_provenance() {
                Ok(elapsed) => {
                    note = format!(
                        "provenance is recorded from now on: the program was evaluated again \
                         with it ({:.1} s, once)\n",
                        elapsed.as_secs_f64()
                    );
                }
                Err(reply) => return reply,
            }
        }
        // The atom's text joins the program's (a few bytes per question).
        let sources = &mut self.sources;
        let (rel, tuple) = match crate::provenance::parse_atom(
            sources,
            &self.program,
            self.backend.values_mut(),
            atom,
        ) {
            Ok(found) => found,
            Err(diagnostics) => return Reply::failure(sources, &diagnostics),
        };
        let engine = self.backend.engine_mut();
        let proof = match crate::provenance::explain(engine, &self.program, rel, &tuple) {
            Ok(proof) => proof,
            Err(crate::provenance::ExplainError::NotDerived) => {
                let diagnostic = crate::provenance::not_derived(
                    &mut self.sources,
                    &self.program,
                    self.backend.engine().values(),
                    (rel, &tuple),
                    atom,
                    "check the values and the facts; `:whynot ATOM` tells what is missing".into(),
                );
                return Reply::failure(&self.sources, &[diagnostic]);
            }
            Err(err) => return Reply::error(Code::NotDerived, format!("cannot explain: {err}")),
        };
        self.read_journal(&proof);
        let state = self.journal.as_ref();
        let engine = self.backend.engine();
        let values = engine.values();
        let program = &self.program;
        let dir = self.db.as_deref();
        let records = match (state, dir) {
            (Some(state), Some(dir)) => {
                crate::provenance::journal_records(program, values, state, dir, proof.leaves())
            }
            _ => Default::default(),
        };
        let record = |rel: RelId, tuple: &[Value]| records.get(&(rel, tuple.to_vec())).cloned();
        let mut out = note;
        out.push_str(&crate::provenance::render(
            &proof,
            program,
            &self.sources,
            values,
            &record,
        ));
        Reply {
            out,
            elapsed: Some(started.elapsed()),
            ..Reply::default()
        }
    }

    /// `:whynot ATOM`: why a tuple is not derived, as `tracelog explain
    /// --not` prints it: per rule of its relation, where its instances stop.
    pub fn why_not(&mut self, atom: &str) -> Reply {
        self.loaded(|session| session.why_not_now(atom))
    }

    fn why_not_now(&mut self, atom: &str) -> Reply {
        let started = Instant::now();
        let (rel, tuple) = match crate::provenance::parse_atom(
            &mut self.sources,
            &self.program,
            self.backend.values_mut(),
            atom,
        ) {
            Ok(found) => found,
            Err(diagnostics) => return Reply::failure(&self.sources, &diagnostics),
        };
        let engine = self.backend.engine_mut();
        match crate::provenance::why_not(engine, &self.program, rel, &tuple, WHY_NOT_LIMIT) {
            Ok(why) => Reply {
                out: crate::provenance::render_why_not(
                    &why,
                    &self.program,
                    &self.sources,
                    self.backend.engine().values(),
                    crate::provenance::Asker::Repl,
                ),
                elapsed: Some(started.elapsed()),
                ..Reply::default()
            },
            Err(crate::provenance::ExplainError::Derived) => {
                let diagnostic = crate::provenance::is_derived(
                    &mut self.sources,
                    &self.program,
                    self.backend.engine().values(),
                    (rel, &tuple),
                    atom,
                    format!("`:why {}` shows its proof", atom.trim()),
                );
                Reply::failure(&self.sources, &[diagnostic])
            }
            Err(err) => Reply::error(Code::NotDerived, format!("cannot explain: {err}")),
        }
    }

    /// Switches provenance on and evaluates the program again with it; on a
    /// stop (a limit, Ctrl-C) the session goes back to evaluating without.
    fn record_provenance(&mut self) -> Result<Duration, Reply> {
        let started = Instant::now();
        self.backend.engine_mut().set_provenance(true);
        match self.backend.update(Vec::new(), &self.limits) {
            Ok(()) => {
                self.provenance = true;
                Ok(started.elapsed())
            }
            Err(diagnostics) => {
                self.backend.engine_mut().set_provenance(false);
                let mut reply = Reply::failure(&SourceMap::default(), &diagnostics);
                if let Err(more) = self.backend.update(Vec::new(), &Limits::default()) {
                    reply
                        .err
                        .push_str(&diagnostic::render(&SourceMap::default(), &more));
                }
                reply.err.push_str(
                    "`:why` needs the program evaluated with provenance; the session is as it \
                     was before\n",
                );
                Err(reply)
            }
        }
    }

    /// The database's state at the session's head, read once per head, when
    /// the proof has facts of the database to show records of.
    fn read_journal(&mut self, proof: &crate::provenance::Proof) {
        let (Some(dir), Some(head)) = (&self.db, self.head()) else {
            return;
        };
        if proof.leaves().next().is_some()
            && self
                .journal
                .as_ref()
                .is_none_or(|state| state.head != *head)
        {
            self.journal = db::read(dir, self.as_of).ok().map(|loaded| loaded.state);
        }
    }

    /// `:relations`: every relation with its columns, size and kind.
    pub fn relations(&mut self) -> Reply {
        self.loaded(|session| Reply::text(session.relations_now()))
    }

    fn relations_now(&self) -> String {
        let engine = self.engine();
        let shapes = self.shape_files();
        let derived: Vec<bool> = {
            let mut derived = vec![false; self.program.relations.len()];
            for rule in &self.program.rules {
                if !shapes.contains(&rule.origin.file) {
                    derived[rule.head.rel.0 as usize] = true;
                }
            }
            derived
        };
        let mut rows: Vec<(String, String, usize, &str)> = visible(&self.program)
            .map(|(rel, relation)| {
                let columns: Vec<String> = relation
                    .columns
                    .iter()
                    .map(|c| format!("{}: {}", c.name, c.ty.name()))
                    .collect();
                (
                    relation.name.clone(),
                    columns.join(", "),
                    engine.len(rel),
                    if derived[rel.0 as usize] {
                        "derived"
                    } else {
                        "facts"
                    },
                )
            })
            .collect();
        rows.sort();
        let mut table = output::markdown_table();
        table.set_header(["relation", "columns", "tuples", "kind"]);
        for (name, columns, size, kind) in &rows {
            table.add_row([
                name.clone(),
                columns.clone(),
                size.to_string(),
                (*kind).to_owned(),
            ]);
        }
        format!("{} relations\n{table}\n", rows.len())
    }

    /// `:schema REL`.
    pub fn schema(&self, name: &str) -> Reply {
        let rel = match self.relation(name) {
            Ok(rel) => rel,
            Err(reply) => return reply,
        };
        let relation = self.program.relation(rel);
        let columns: Vec<String> = relation
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name, type_name(c)))
            .collect();
        let mut text = format!(".decl {}({})\n", relation.name, columns.join(", "));
        match relation.decl {
            Some(span) => {
                let _ = writeln!(text, "declared at {}", self.sources.location(span));
            }
            None => {
                let _ = writeln!(
                    text,
                    "not declared; types inferred, first used at {}",
                    self.sources.location(relation.first_use)
                );
            }
        }
        Reply::text(text)
    }

    /// `:rules [REL]`: each source rule once, with where it is written.
    pub fn rules(&self, name: Option<&str>) -> Reply {
        let filter = match name {
            Some(name) => match self.relation(name) {
                Ok(rel) => Some(rel),
                Err(reply) => return reply,
            },
            None => None,
        };
        let shapes = self.shape_files();
        let mut seen = Vec::new();
        let mut text = String::new();
        for rule in &self.program.rules {
            if filter.is_some_and(|rel| rel != rule.head.rel)
                || rule.body.is_empty()
                || self.program.relation(rule.head.rel).hidden
                || shapes.contains(&rule.origin.file)
                || seen.contains(&rule.origin)
            {
                continue;
            }
            seen.push(rule.origin);
            let _ = writeln!(
                text,
                "{}  // {}",
                output::query_text(&self.sources, rule.origin),
                self.sources.location(rule.origin)
            );
        }
        if text.is_empty() {
            text = match name {
                Some(name) => format!("no rule derives `{name}`\n"),
                None => "no rules\n".to_owned(),
            };
        }
        Reply::text(text)
    }

    /// `:policy`: the program's files with their policies and digests.
    pub fn policy(&self) -> String {
        let mut table = output::markdown_table();
        table.set_header(["file", "policy", "version", "sha256"]);
        let mut n = 0;
        for &id in &self.used {
            let file = self.sources.file(id);
            if self
                .units_files()
                .iter()
                .any(|(unit, kind)| *unit == id && *kind != UnitKind::File)
            {
                continue;
            }
            let policy = self.program.policies.iter().find(|p| p.file == id);
            table.add_row([
                file.name.clone(),
                policy.map(|p| p.name.clone()).unwrap_or_default(),
                policy.map(|p| p.version.clone()).unwrap_or_default(),
                crate::db::record::sha256_hex(file.text.as_bytes()),
            ]);
            n += 1;
        }
        let typed = self
            .units
            .iter()
            .filter(|unit| unit.kind == UnitKind::Typed)
            .count();
        format!(
            "{n} rule file{}{}\n{table}\n",
            plural(n),
            if typed > 0 {
                format!(
                    ", and {typed} statement{} typed at the prompt",
                    plural(typed)
                )
            } else {
                String::new()
            }
        )
    }

    /// `:log`: the journal's transactions up to the as-of point.
    pub fn log(&self) -> Reply {
        let Some(dir) = &self.db else {
            return Reply::error(
                Code::ReplUsage,
                "`:log` needs a database: start the REPL with --db DIR",
            );
        };
        let loaded = match db::read(dir, self.as_of) {
            Ok(loaded) => loaded,
            Err(failure) => return Reply::failure(&failure.sources, &failure.diagnostics),
        };
        let mut table = output::markdown_table();
        table.set_header([
            "seq",
            "recorded at",
            "by",
            "channel",
            "source",
            "+",
            "-",
            "reason",
        ]);
        for entry in &loaded.state.log {
            table.add_row([
                entry.seq.to_string(),
                entry.recorded_at.clone(),
                entry.principal.clone(),
                entry.channel.clone(),
                entry.source.describe(),
                entry.asserted.to_string(),
                entry.retracted.to_string(),
                entry.reason.clone().unwrap_or_default(),
            ]);
        }
        Reply::text(format!(
            "{} transaction{} up to head {}\n{table}\n",
            loaded.state.log.len(),
            plural(loaded.state.log.len()),
            loaded.state.head.describe()
        ))
    }

    /// `:export REL FILE`: the relation as CSV with a header row.
    pub fn export(&mut self, name: &str, path: &Path) -> Reply {
        self.loaded(|session| session.export_now(name, path))
    }

    fn export_now(&self, name: &str, path: &Path) -> Reply {
        let rel = match self.relation(name) {
            Ok(rel) => rel,
            Err(reply) => return reply,
        };
        let relation = self.program.relation(rel);
        let engine = self.engine();
        let rows = output::sorted_rows(engine, rel, &output::column_types(relation));
        let mut bytes = Vec::new();
        let written = output::write_delimited(
            &mut bytes,
            engine.values(),
            relation,
            &rows,
            &crate::io::facts::Format::CSV,
        )
        .and_then(|()| std::fs::write(path, &bytes));
        match written {
            Ok(()) => Reply::text(format!(
                "wrote {} row{} of `{name}` to {}\n",
                rows.len(),
                plural(rows.len()),
                path.display()
            )),
            Err(err) => Reply::error(
                Code::OutputFailed,
                format!("cannot write `{}`: {err}", path.display()),
            ),
        }
    }

    /// The symbols the session knows that start with `prefix` (completion of
    /// identifiers), at most `limit`, sorted.
    pub fn symbols_starting_with(&self, prefix: &str, limit: usize) -> Vec<String> {
        let values = self.engine().values();
        let mut found = Vec::new();
        for id in 0..values.n_symbols() {
            let symbol = values.symbol(id as u32);
            if symbol.starts_with(prefix) && !symbol.is_empty() {
                found.push(symbol.to_owned());
                if found.len() >= limit {
                    break;
                }
            }
        }
        found.sort();
        found
    }

    fn relation(&self, name: &str) -> Result<RelId, Reply> {
        let name = name.trim();
        match self
            .program
            .relation_by_name(name)
            .filter(|rel| !self.program.relation(*rel).hidden)
        {
            Some(rel) => Ok(rel),
            None => {
                let names = self.relation_names();
                let mut diagnostic = Diagnostic::error(
                    Code::UnknownRelation,
                    format!("there is no relation `{name}` in the session"),
                );
                if let Some(similar) = names
                    .iter()
                    .min_by_key(|candidate| edit_distance(candidate, name))
                    .filter(|candidate| edit_distance(candidate, name) <= 2)
                {
                    diagnostic = diagnostic.with_help(format!("did you mean `{similar}`?"));
                } else {
                    diagnostic = diagnostic.with_help("`:relations` lists the relations");
                }
                Err(Reply::failure(&SourceMap::default(), &[diagnostic]))
            }
        }
    }

    /// The root file of every unit in the current sources, with its kind.
    fn units_files(&self) -> Vec<(FileId, UnitKind)> {
        self.roots
            .iter()
            .zip(&self.units)
            .map(|(id, unit)| (*id, unit.kind))
            .collect()
    }

    /// Drops the "relation `r` has no facts, rules or input" warnings of the
    /// relations filled otherwise: by session facts, and with a database every
    /// declared relation (and `tx`), as `tracelog run --db` does.
    fn drop_filled_warnings(&self, checked: &mut Checked) {
        let program = &checked.program;
        checked.warnings.retain(|warning| {
            let filled = warning.code == Code::UnknownRelation
                && warning
                    .message
                    .strip_prefix("relation `")
                    .and_then(|rest| rest.split_once("` has no facts"))
                    .is_some_and(|(name, _)| {
                        self.facts.iter().any(|fact| fact.rel == name)
                            || (self.db.is_some()
                                && (name == crate::db::eval::TX_RELATION
                                    || program
                                        .relation_by_name(name)
                                        .is_some_and(|rel| program.relation(rel).decl.is_some())))
                    });
            !filled
        });
    }

    /// The files of the units that only give facts their relations.
    fn shape_files(&self) -> Vec<FileId> {
        self.units_files()
            .into_iter()
            .filter(|(_, kind)| *kind == UnitKind::FactShape)
            .map(|(file, _)| file)
            .collect()
    }

    fn parse_facts(
        &self,
        text: &str,
        origin: &Origin,
    ) -> Result<Vec<(SessionFact, crate::source::Span)>, Reply> {
        let (sources, _, (items, diagnostics)) = parse_typed(text, origin);
        if diagnostic::has_errors(&diagnostics) {
            return Err(Reply::failure(&sources, &diagnostics));
        }
        match facts_of(&items) {
            Some(facts) if !facts.is_empty() => Ok(facts),
            _ => {
                let span = items
                    .items
                    .first()
                    .map(item_span)
                    .unwrap_or(crate::source::Span::new(FileId(0), 0, 0));
                Err(Reply::failure(
                    &sources,
                    &[Diagnostic::error(
                        Code::NotAFact,
                        "expected facts with constant arguments, like `lot(\"L-1\", 12).`",
                    )
                    .at(span)
                    .with_label("not a fact")],
                ))
            }
        }
    }

    /// New facts: one engine update when their relations exist and every
    /// value fits its column, else a program change.
    fn add_facts(
        &mut self,
        text: &str,
        origin: &Origin,
        facts: Vec<(SessionFact, crate::source::Span)>,
    ) -> Reply {
        let mut new: Vec<SessionFact> = Vec::new();
        for (fact, _) in facts {
            if !self.facts.contains(&fact) && !new.contains(&fact) {
                new.push(fact);
            }
        }
        let n = new.len();
        let added = format!("added {n} fact{}\n", plural(n));
        if new.iter().all(|fact| fits(&self.program, fact)) {
            let started = Instant::now();
            let changes = match changes_for(&self.program, self.backend.values_mut(), &new, false) {
                Ok(changes) => changes,
                Err(diagnostics) => return Reply::failure(&SourceMap::default(), &diagnostics),
            };
            if let Err(diagnostics) = self.backend.update(changes.clone(), &self.limits) {
                return self.undo_update(changes, &diagnostics);
            }
            self.facts.extend(new);
            return Reply {
                out: added,
                elapsed: Some(started.elapsed()),
                ..Reply::default()
            };
        }
        // The statement as `a(1) :- a(1).` makes the relations known (or
        // widens a column) while the facts stay session facts.
        let before = self.facts.len();
        self.facts.extend(new);
        let shape = padded(&shape_text(text), origin);
        // Problems are reported once, at the facts, not again in the body.
        let cutoff = padded(text, origin).trim_end().len();
        let mut reply = self.change_program_within(
            Unit {
                name: origin.name.clone(),
                path: None,
                text: shape,
                kind: UnitKind::FactShape,
            },
            cutoff,
        );
        if reply.failed {
            self.facts.truncate(before);
        } else {
            reply.out = added;
        }
        reply
    }

    /// After an update stopped (a limit, Ctrl-C): the inverse change brings
    /// the base facts back, and the engine, marked by the stop, evaluates
    /// everything from them.
    fn undo_update(&mut self, changes: Vec<Change>, diagnostics: &[Diagnostic]) -> Reply {
        let inverse: Vec<Change> = changes
            .into_iter()
            .rev()
            .map(|change| Change {
                rel: change.rel,
                insert: change.delete,
                delete: change.insert,
                insert_unit: change.delete_unit,
                delete_unit: change.insert_unit,
            })
            .collect();
        let mut reply = Reply::failure(&SourceMap::default(), diagnostics);
        if let Err(more) = self.backend.update(inverse, &Limits::default()) {
            reply
                .err
                .push_str(&diagnostic::render(&SourceMap::default(), &more));
        }
        reply
            .err
            .push_str("the session is as it was before the statement\n");
        reply
    }

    /// Adds `unit` to the program, checks and evaluates it; on any problem
    /// the session stays as it was.
    fn change_program(&mut self, unit: Unit) -> Reply {
        self.change_program_within(unit, usize::MAX)
    }

    /// As `change_program`, reporting no problem of the new unit at or
    /// after byte `cutoff` of its text.
    fn change_program_within(&mut self, unit: Unit, cutoff: usize) -> Reply {
        self.units.push(unit);
        let reply = match check_units(&self.units) {
            Ok(checked) => self.adopt(checked),
            Err((sources, mut diagnostics)) => {
                // The new unit has no includes: it is the last file.
                let last = sources.files().last().map(|(id, _)| id);
                diagnostics.retain(|diagnostic| match &diagnostic.location {
                    Some(Location::Span(span)) => {
                        Some(span.file) != last || (span.start as usize) < cutoff
                    }
                    _ => true,
                });
                Reply::failure(&sources, &diagnostics)
            }
        };
        if reply.failed {
            self.units.pop();
        }
        reply
    }

    /// Evaluates a checked program and, when that succeeds, makes it the session's.
    fn adopt(&mut self, mut checked: Checked) -> Reply {
        let started = Instant::now();
        let mut reply = Reply::default();
        self.drop_filled_warnings(&mut checked);
        if !checked.warnings.is_empty() {
            reply.err = diagnostic::render(&checked.sources, &checked.warnings);
        }
        let evaluated = match self.evolve(&checked) {
            Ok(true) => Ok(()),
            Ok(false) => self
                .evaluate(&checked.program, &checked.sources, &checked.used)
                .map(|backend| {
                    self.evolved = None;
                    self.backend = backend;
                }),
            Err(diagnostics) => Err(diagnostics),
        };
        match evaluated {
            Ok(()) => {
                self.sources = checked.sources;
                self.program = checked.program;
                self.roots = checked.roots;
                self.used = checked.used;
                reply.elapsed = Some(started.elapsed());
            }
            Err(diagnostics) => {
                reply
                    .err
                    .push_str(&diagnostic::render(&checked.sources, &diagnostics));
                reply.failed = true;
            }
        }
        reply
    }

    /// The session's relations brought to the checked program in place,
    /// evaluating only the strata the change can reach (see
    /// [`Engine::evolve`]); `Ok(false)` when that does not apply and the
    /// program is evaluated from scratch. On an error nothing changed.
    fn evolve(&mut self, checked: &Checked) -> Result<bool, Vec<Diagnostic>> {
        let program = &checked.program;
        let old = &self.program;
        if !self.incremental || old.relations.is_empty() {
            return Ok(false);
        }
        let derived: Vec<bool> = {
            let mut derived = vec![false; program.relations.len()];
            for rule in &program.rules {
                derived[rule.head.rel.0 as usize] = true;
            }
            derived
        };
        for (idx, relation) in program.relations.iter().enumerate() {
            let before = old
                .relation_by_name(&relation.name)
                .map(|rel| old.relation(rel));
            let fresh_inputs = match before {
                Some(before) => format!("{:?}", before.inputs) != format!("{:?}", relation.inputs),
                None => !relation.inputs.is_empty(),
            };
            // New `.input`s are read by a full evaluation; with a database a
            // new relation no rule derives may have facts there.
            if (self.db.is_none() && fresh_inputs)
                || (self.db.is_some() && before.is_none() && !derived[idx])
            {
                return Ok(false);
            }
        }
        let stats = match &mut self.backend {
            Backend::Pending(_) => return Ok(false),
            Backend::Memory(engine) => match Engine::evolve(engine, program, &self.limits) {
                Ok(Some((evolved, stats))) => {
                    **engine = evolved;
                    stats
                }
                Ok(None) => return Ok(false),
                Err(err) => return Err(vec![engine_diagnostic(&err)]),
            },
            Backend::Db(session) => {
                let texts: Vec<&str> = checked
                    .used
                    .iter()
                    .map(|id| &*checked.sources.file(*id).text)
                    .collect();
                let key = db_session::program_key(&texts);
                match session.evolve(program, &key, &self.limits) {
                    Ok(Some(stats)) => stats,
                    Ok(None) => return Ok(false),
                    Err(failure) => return Err(failure.diagnostics),
                }
            }
        };
        // Session facts of relations new in this program (a fact's shape
        // unit): the only rule deriving such a relation is its shape rule,
        // so this is a small update that reaches no other rule.
        let new_facts: Vec<SessionFact> = self
            .facts
            .iter()
            .filter(|fact| old.relation_by_name(&fact.rel).is_none())
            .cloned()
            .collect();
        if !new_facts.is_empty() {
            let changes = changes_for(program, self.backend.values_mut(), &new_facts, false)?;
            self.backend.update(changes, &Limits::default())?;
        }
        self.evolved = Some(stats);
        Ok(true)
    }

    /// The program's relations evaluated from scratch (over the database:
    /// from a matching image when there is one), plus the session's facts.
    fn evaluate(
        &self,
        program: &ir::Program,
        sources: &SourceMap,
        used: &[FileId],
    ) -> Result<Backend, Vec<Diagnostic>> {
        let mut backend = match &self.db {
            None => {
                let mut engine = Engine::new(program);
                engine.set_provenance(self.provenance);
                crate::io::load_inputs(program, &mut engine, Path::new("."))?;
                engine
                    .run(&self.limits)
                    .map_err(|err| vec![engine_diagnostic(&err)])?;
                Backend::Memory(Box::new(engine))
            }
            Some(dir) => {
                let texts: Vec<&str> = used.iter().map(|id| &*sources.file(*id).text).collect();
                let key = db_session::program_key(&texts);
                let started = Instant::now();
                let (session, opened) =
                    db_session::Session::open(dir, program, &key, self.as_of, &self.limits)
                        .map_err(|failure| failure.diagnostics)?;
                if opened == Opened::Evaluated
                    && self.as_of == AsOf::Head
                    && started.elapsed() >= IMAGE_AFTER
                {
                    // A cache: failing to write it costs the next start time, nothing else.
                    let _ = session.save_image(dir);
                }
                let mut backend = Backend::Db(Box::new(session));
                if self.provenance {
                    // An image has no heights: evaluate again with them.
                    backend.engine_mut().set_provenance(true);
                    backend.update(Vec::new(), &self.limits)?;
                }
                backend
            }
        };
        if !self.facts.is_empty() {
            let changes = changes_for(program, backend.values_mut(), &self.facts, false)?;
            backend.update(changes, &self.limits)?;
        }
        Ok(backend)
    }

    /// A query: its own small program over copies of the relations it
    /// reads, so nothing else is evaluated again.
    fn query(
        &mut self,
        typed: &SourceMap,
        root: FileId,
        query: &ast::Query,
        origin: &Origin,
    ) -> Reply {
        let started = Instant::now();
        // Only this query, every other character blanked so positions stay.
        let range = query.span.range();
        let text: String = typed
            .file(root)
            .text
            .char_indices()
            .map(|(idx, c)| {
                if range.contains(&idx) || c == '\n' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        // A column of kind `any` cannot be declared: evaluate the whole
        // program with the query instead.
        if visible(&self.program).any(|(_, r)| r.columns.iter().any(|c| c.ty == Type::Any)) {
            return self.query_whole(text, origin, started);
        }
        let mut prelude = String::new();
        for (_, relation) in visible(&self.program) {
            let columns: Vec<String> = relation
                .columns
                .iter()
                .enumerate()
                .map(|(idx, column)| {
                    // Undeclared relations' columns are `_0`, `_1`, ...: not names a `.decl` takes.
                    if column.name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        format!("{}: {}", column.name, column.ty.name())
                    } else {
                        format!("c{idx}: {}", column.ty.name())
                    }
                })
                .collect();
            // `.input` marks it as given (no "empty relation" warning); its
            // rows are copied below, no file is read.
            let _ = writeln!(
                prelude,
                ".decl {}({})\n.input {}",
                relation.name,
                columns.join(", "),
                relation.name
            );
        }
        let mut sources = SourceMap::default();
        let decls = sources.add("<relations>", None, prelude);
        let file = sources.add(origin.name.clone(), None, text);
        let (decl_ast, mut diagnostics) = syntax::parse(&sources, decls);
        let (query_ast, more) = syntax::parse(&sources, file);
        diagnostics.extend(more);
        let (program, more) =
            crate::check::check(&sources, &[(decls, decl_ast), (file, query_ast)]);
        diagnostics.extend(more);
        if diagnostic::has_errors(&diagnostics) {
            return Reply::failure(&sources, &diagnostics);
        }
        let Some(info) = program.queries.first() else {
            return Reply::error(Code::ParseError, "expected a query");
        };
        let mut engine = Engine::new(&program);
        let main = self.backend.engine();
        for qrel in used_relations(&program) {
            let relation = program.relation(qrel);
            let Some(rel) = self.program.relation_by_name(&relation.name) else {
                continue;
            };
            let arity = relation.arity();
            if arity == 0 {
                if !main.is_empty(rel) {
                    engine.insert_empty_tuple(qrel);
                }
                continue;
            }
            let mut flat = Vec::with_capacity(main.len(rel) * arity);
            for row in main.rows(rel) {
                flat.extend_from_slice(row);
            }
            engine.insert(qrel, flat);
        }
        // The query shares the session's value store (same encodings), lent for the run.
        *engine.values_mut() = std::mem::take(self.backend.values_mut());
        let result = engine.run(&self.limits);
        let answer = result.map(|()| {
            render_answer(
                &engine,
                &program,
                info.rel,
                &output::query_text(&sources, info.origin),
            )
        });
        *self.backend.values_mut() = std::mem::take(engine.values_mut());
        let mut reply = match answer {
            Ok(text) => Reply::text(text),
            Err(err) => return Reply::failure(&sources, &[engine_diagnostic(&err)]),
        };
        if !diagnostics.is_empty() {
            reply.err = diagnostic::render(&sources, &diagnostics);
        }
        reply.elapsed = Some(started.elapsed());
        reply
    }

    /// A query evaluated with the whole program (when `query` cannot copy relations).
    fn query_whole(&mut self, text: String, origin: &Origin, started: Instant) -> Reply {
        let mut units = self.units.clone();
        units.push(Unit {
            name: origin.name.clone(),
            path: None,
            text,
            kind: UnitKind::Typed,
        });
        let checked = match check_units(&units) {
            Ok(checked) => checked,
            Err((sources, diagnostics)) => return Reply::failure(&sources, &diagnostics),
        };
        let backend = match self.evaluate(&checked.program, &checked.sources, &checked.used) {
            Ok(backend) => backend,
            Err(diagnostics) => return Reply::failure(&checked.sources, &diagnostics),
        };
        let Some(info) = checked.program.queries.last() else {
            return Reply::error(Code::ParseError, "expected a query");
        };
        let mut reply = Reply::text(render_answer(
            backend.engine(),
            &checked.program,
            info.rel,
            &output::query_text(&checked.sources, info.origin),
        ));
        if !checked.warnings.is_empty() {
            reply.err = diagnostic::render(&checked.sources, &checked.warnings);
        }
        reply.elapsed = Some(started.elapsed());
        reply
    }
}

/// A query's answer as `run` prints it: the query, the row count, the table.
fn render_answer(engine: &Engine, program: &ir::Program, rel: RelId, title: &str) -> String {
    let relation = program.relation(rel);
    let rows = output::sorted_rows(engine, rel, &output::column_types(relation));
    if relation.arity() == 0 {
        return format!("{title}\n{}\n", !rows.is_empty());
    }
    format!(
        "{title} ({} row{})\n{}",
        rows.len(),
        plural(rows.len()),
        output::render_table(Relations::values(engine), relation, &rows)
    )
}

/// The relations the rules of `program` read.
fn used_relations(program: &ir::Program) -> Vec<RelId> {
    fn walk(literals: &[Literal], out: &mut Vec<RelId>) {
        for literal in literals {
            match literal {
                Literal::Positive(atom) | Literal::Negative(atom) => {
                    if !out.contains(&atom.rel) {
                        out.push(atom.rel);
                    }
                }
                Literal::Aggregate(aggregate) => walk(&aggregate.body, out),
                Literal::Compare(..) | Literal::Assign(..) => {}
            }
        }
    }
    let mut out = Vec::new();
    for rule in &program.rules {
        walk(&rule.body, &mut out);
    }
    out
}

/// The relations a user sees (not the hidden relations of queries).
fn visible(program: &ir::Program) -> impl Iterator<Item = (RelId, &ir::Relation)> {
    program
        .relations
        .iter()
        .enumerate()
        .filter(|(_, relation)| !relation.hidden)
        .map(|(idx, relation)| (RelId(idx as u32), relation))
}

fn type_name(column: &ir::Column) -> &str {
    if column.type_name.is_empty() {
        column.ty.name()
    } else {
        &column.type_name
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Several replies as one, in order.
fn merge(replies: Vec<Reply>) -> Reply {
    let mut all = Reply::default();
    for reply in replies {
        all.out.push_str(&reply.out);
        all.err.push_str(&reply.err);
        all.failed |= reply.failed;
        all.elapsed = match (all.elapsed, reply.elapsed) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }
    all
}

/// Typed text placed on its lines, so diagnostics name the input's line.
fn padded(text: &str, origin: &Origin) -> String {
    let mut res = "\n".repeat(origin.line.saturating_sub(1));
    res.push_str(text);
    res
}

fn parse_typed(
    text: &str,
    origin: &Origin,
) -> (SourceMap, FileId, (ast::Program, Vec<Diagnostic>)) {
    let mut sources = SourceMap::default();
    let root = sources.add(origin.name.clone(), None, padded(text, origin));
    let parsed = syntax::parse(&sources, root);
    (sources, root, parsed)
}

/// Facts written with constants only; `None` when anything else is there.
fn facts_of(items: &ast::Program) -> Option<Vec<(SessionFact, crate::source::Span)>> {
    if items.items.is_empty() {
        return None;
    }
    let mut facts = Vec::new();
    for item in &items.items {
        let ast::Item::Rule(rule) = item else {
            return None;
        };
        if rule.body.is_some() {
            return None;
        }
        for head in &rule.heads {
            let args = head
                .args
                .iter()
                .map(constant)
                .collect::<Option<Vec<ast::Const>>>()?;
            facts.push((
                SessionFact {
                    rel: head.name.text.clone(),
                    args,
                },
                head.span,
            ));
        }
    }
    Some(facts)
}

fn constant(expr: &ast::Expr) -> Option<ast::Const> {
    match expr {
        ast::Expr::Const(value, _) => Some(value.clone()),
        ast::Expr::Neg(inner, _) => match &**inner {
            ast::Expr::Const(ast::Const::Int(n), _) => n.checked_neg().map(ast::Const::Int),
            ast::Expr::Const(ast::Const::Float(f), _) => Some(ast::Const::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

fn item_span(item: &ast::Item) -> crate::source::Span {
    match item {
        ast::Item::Rule(rule) => rule.span,
        ast::Item::Query(query) => query.span,
        ast::Item::Decl(decl) => decl.span,
        ast::Item::Type(decl) => decl.span,
        ast::Item::Input(io) | ast::Item::Output(io) | ast::Item::PrintSize(io) => io.span,
        ast::Item::Include(include) => include.span,
        ast::Item::Policy(policy) => policy.span,
    }
}

/// Facts written as rules that derive nothing new, `a(1). ` → `a(1) :- a(1).`:
/// they give the relations the column types the facts imply (as facts in a
/// file would) while the facts themselves stay session facts.
fn shape_text(text: &str) -> String {
    let (statements, _) = super::reader::split(text);
    let mut res = String::with_capacity(2 * text.len() + 8);
    let mut copied = 0;
    for statement in statements {
        let end = statement.start + statement.text.len();
        if let Some(heads) = statement.text.strip_suffix('.') {
            res.push_str(&text[copied..end - 1]);
            // The body on its own line, so a diagnostic's line shows the fact.
            res.push_str("\n  :- ");
            res.push_str(heads);
            res.push('.');
            copied = end;
        }
    }
    res.push_str(&text[copied..]);
    res
}

/// A constant as the value of a column of type `ty`, or `None` when it does not fit.
fn typed(ty: Type, value: &ast::Const) -> Option<ir::Const> {
    Some(match (ty, value) {
        (Type::Symbol | Type::Any, ast::Const::Str(text)) => ir::Const::Sym(text.clone()),
        (Type::Number | Type::Any, ast::Const::Int(n)) => ir::Const::Int(*n),
        (Type::Unsigned, ast::Const::Int(n)) => ir::Const::Unsigned(u64::try_from(*n).ok()?),
        (Type::Float | Type::Any, ast::Const::Float(f)) => ir::Const::Float(*f),
        (Type::Float, ast::Const::Int(n)) => ir::Const::Float(*n as f64),
        (Type::DateTime, ast::Const::Str(text)) => {
            ir::Const::Time(crate::value::parse_datetime(text)?)
        }
        _ => return None,
    })
}

/// Whether `fact` goes into an existing relation as it is.
fn fits(program: &ir::Program, fact: &SessionFact) -> bool {
    let Some(rel) = program
        .relation_by_name(&fact.rel)
        .filter(|rel| !program.relation(*rel).hidden)
    else {
        return false;
    };
    let relation = program.relation(rel);
    relation.arity() == fact.args.len()
        && relation
            .columns
            .iter()
            .zip(&fact.args)
            .all(|(column, value)| typed(column.ty, value).is_some())
}

/// The engine changes inserting (or deleting) session facts.
fn changes_for(
    program: &ir::Program,
    values: &mut crate::value::ValueStore,
    facts: &[SessionFact],
    delete: bool,
) -> Result<Vec<Change>, Vec<Diagnostic>> {
    let mut changes: Vec<Change> = Vec::new();
    for fact in facts {
        let rel = program
            .relation_by_name(&fact.rel)
            .filter(|_| fits(program, fact))
            .ok_or_else(|| {
                vec![
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "a fact of `{}` added in this session no longer fits the relation",
                            fact.rel
                        ),
                    )
                    .with_help("`:schema` shows the relation's columns; `:retract` the fact first"),
                ]
            })?;
        let relation = program.relation(rel);
        let mut row: Vec<Value> = Vec::with_capacity(fact.args.len());
        for (column, value) in relation.columns.iter().zip(&fact.args) {
            let encoded = typed(column.ty, value).and_then(|c| values.encode(column.ty, &c));
            match encoded {
                Some(value) => row.push(value),
                None => {
                    return Err(vec![Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "a value of `{}` does not fit column `{}`",
                            fact.rel, column.name
                        ),
                    )]);
                }
            }
        }
        let idx = match changes.iter().position(|change| change.rel == rel) {
            Some(idx) => idx,
            None => {
                changes.push(Change::insert(rel, Vec::new()));
                changes.len() - 1
            }
        };
        let change = &mut changes[idx];
        match (delete, row.is_empty()) {
            (false, true) => change.insert_unit = true,
            (true, true) => change.delete_unit = true,
            (false, false) => change.insert.extend(row),
            (true, false) => change.delete.extend(row),
        }
    }
    Ok(changes)
}

fn engine_diagnostic(err: &EngineError) -> Diagnostic {
    let code = match err {
        EngineError::Timeout { .. } => Code::Timeout,
        EngineError::TupleLimit { .. } => Code::TupleLimit,
        EngineError::TooWide { .. } => Code::UnsupportedFeature,
        EngineError::Cancelled => Code::Cancelled,
    };
    let help = match err {
        EngineError::Timeout { .. } => "allow more time with `:set timeout SECONDS` (or `none`)",
        EngineError::TupleLimit { .. } => "allow more tuples with `:set max-tuples N` (or `none`)",
        EngineError::TooWide { .. } => "split the relation into narrower ones joined on a key",
        EngineError::Cancelled => "Ctrl-C stopped it; the statement had no effect",
    };
    Diagnostic::error(code, err.to_string()).with_help(help)
}

/// A program file as a unit; a file that cannot be read is `input-not-found`.
fn file_unit(path: &Path) -> Result<Unit, Reply> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Unit {
            name: path.display().to_string(),
            path: Some(path.to_path_buf()),
            text,
            kind: UnitKind::File,
        }),
        Err(err) => Err(Reply::failure(
            &SourceMap::default(),
            &[Diagnostic::error(
                Code::InputNotFound,
                format!("cannot read the program `{}`: {err}", path.display()),
            )
            .at_location(Location::File {
                path: path.display().to_string(),
            })],
        )),
    }
}

/// Parses and checks the units as one program (each shared include once).
fn check_units(units: &[Unit]) -> Result<Checked, (SourceMap, Vec<Diagnostic>)> {
    let mut sources = SourceMap::default();
    let mut files: Vec<(FileId, ast::Program)> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut roots = Vec::new();
    let mut included: Vec<String> = Vec::new();
    for unit in units {
        let root = sources.add(unit.name.clone(), unit.path.clone(), unit.text.clone());
        roots.push(root);
        let (parsed, found) = syntax::parse_with_library(&mut sources, root, crate::rules::SHIPPED);
        diagnostics.extend(found);
        for (id, program) in parsed {
            if id != root {
                let name = sources.file(id).name.clone();
                if included.contains(&name) {
                    continue;
                }
                included.push(name);
            }
            files.push((id, program));
        }
    }
    if diagnostic::has_errors(&diagnostics) {
        return Err((sources, diagnostics));
    }
    let (program, mut found) = crate::check::check(&sources, &files);
    found.sort_by_key(|diagnostic| match &diagnostic.location {
        Some(Location::Span(span)) => (0, span.file, span.start),
        _ => (1, FileId(0), 0),
    });
    diagnostics.extend(found);
    if diagnostic::has_errors(&diagnostics) {
        return Err((sources, diagnostics));
    }
    Ok(Checked {
        used: files.iter().map(|(id, _)| *id).collect(),
        sources,
        program,
        warnings: diagnostics,
        roots,
    })
}

/// Levenshtein distance, for "did you mean" on relation names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    fn origin() -> Origin {
        Origin {
            name: "<test>".into(),
            line: 1,
        }
    }

    fn session(statements: &[&str]) -> Session {
        let mut session = Session::open(None, &[], Limits::default()).unwrap();
        for statement in statements {
            let reply = session.statement(statement, &origin());
            assert!(!reply.failed, "{statement}: {}", reply.err);
        }
        session
    }

    /// Every visible relation as sorted text rows.
    fn contents(session: &Session) -> Vec<(String, Vec<String>)> {
        let engine = session.engine();
        let mut all: Vec<(String, Vec<String>)> = visible(session.program())
            .map(|(rel, relation)| {
                let mut rows: Vec<String> = engine
                    .rows(rel)
                    .map(|row| {
                        let mut text = String::new();
                        for (value, column) in row.iter().zip(&relation.columns) {
                            engine.values().write(&mut text, column.ty, *value);
                            text.push(',');
                        }
                        text
                    })
                    .collect();
                rows.sort();
                (relation.name.clone(), rows)
            })
            .collect();
        all.sort();
        all
    }

    const RULES: &[&str] = &[
        "edge(0, 1).",
        "path(x, y) :- edge(x, y).",
        "path(x, z) :- path(x, y), edge(y, z).",
        "node(x) :- edge(x, _). node(y) :- edge(_, y).",
        "unreached(x) :- node(x), !path(0, x).",
        "out(x, n) :- node(x), n = count : { edge(x, _) }.",
    ];

    #[test]
    fn incremental_facts_give_what_a_fresh_session_computes() {
        let mut live = session(RULES);
        let mut facts: Vec<(u64, u64)> = vec![(0, 1)];
        let mut seed = 7u64;
        for _ in 0..40 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (a, b) = ((seed >> 33) % 6, (seed >> 40) % 6);
            let fact = format!("edge({a}, {b}).");
            let reply = if facts.contains(&(a, b)) && (a, b) != (0, 1) {
                facts.retain(|f| *f != (a, b));
                live.retract(&fact, &origin())
            } else if !facts.contains(&(a, b)) {
                facts.push((a, b));
                live.statement(&fact, &origin())
            } else {
                continue;
            };
            assert!(!reply.failed, "{fact}: {}", reply.err);
            let mut fresh = session(RULES);
            for (a, b) in &facts {
                fresh.statement(&format!("edge({a}, {b})."), &origin());
            }
            assert_eq!(contents(&live), contents(&fresh), "after {fact}");
        }
    }

    #[test]
    fn a_new_rule_evaluates_only_the_strata_it_reaches() {
        let mut live = session(RULES);
        let reply = live.statement("selfloop(x) :- edge(x, x).", &origin());
        assert!(!reply.failed, "{}", reply.err);
        let stats = live.evolved().expect("an incremental change");
        // path, node, unreached and out stay as they were; only selfloop runs.
        assert_eq!(stats.evaluated, 1, "{stats:?}");
        assert!(stats.kept >= 3, "{stats:?}");
        // Their provenance stays too: a kept tuple and a new one have proofs.
        let reply = live.why("path(0, 1)");
        assert!(reply.out.contains("derived by the rule"), "{}", reply.err);
        live.statement("edge(2, 2).", &origin());
        let reply = live.why("selfloop(2)");
        assert!(reply.out.contains("derived by the rule"), "{}", reply.err);
        // A rule for `edge` reaches everything that reads it.
        let reply = live.statement("edge(x, 0) :- selfloop(x).", &origin());
        assert!(!reply.failed, "{}", reply.err);
        let stats = live.evolved().expect("an incremental change");
        assert_eq!(stats.kept, 0, "{stats:?}");
        let mut fresh = Session::open(None, &[], Limits::default()).unwrap();
        let all = [
            RULES.join("\n").as_str(),
            "selfloop(x) :- edge(x, x). edge(2, 2). edge(x, 0) :- selfloop(x).",
        ]
        .join("\n");
        assert!(!fresh.statement(&all, &origin()).failed);
        assert_eq!(contents(&live), contents(&fresh));
    }

    #[test]
    fn every_rule_of_the_pool_in_order_is_incremental() {
        let mut live = session(&POOL[..1]);
        for statement in &POOL[1..] {
            let reply = live.statement(statement, &origin());
            assert!(!reply.failed, "{statement}: {}", reply.err);
            if statement.contains(":-") {
                assert!(
                    live.evolved().is_some(),
                    "{statement} evaluated from scratch"
                );
            }
        }
    }

    /// Over a database: the first question evaluates (the prompt came
    /// first), a shipped rule set included later is evaluated incrementally,
    /// and the result equals a session that had it from the start.
    #[test]
    fn over_a_database_a_new_rule_set_is_incremental() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("db");
        let chain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace/chain.jsonld");
        crate::epcis::Importer::open(&dir, Duration::from_secs(5))
            .unwrap()
            .import_file(&chain, "tester")
            .unwrap();
        let mut live = Session::open(Some(dir.clone()), &[], Limits::default()).unwrap();
        assert!(live.head().is_none(), "evaluated before the first question");
        let reply = live.statement("?- ev_obj(E, \"child\", O).", &origin());
        assert!(
            reply.out.starts_with("evaluated the program"),
            "{}",
            reply.out
        );
        let reply = live.statement("seed_count(n) :- n = count : trace_seed(_).", &origin());
        assert!(!reply.failed, "{}", reply.err);
        // The schema has no rules: nothing to keep yet, one stratum evaluated.
        assert_eq!(live.evolved().map(|stats| stats.evaluated), Some(1));
        let reply = live.statement(".include \"genealogy.dl\"", &origin());
        assert!(!reply.failed, "{}", reply.err);
        let stats = live.evolved().expect("genealogy.dl evaluated from scratch");
        assert!(stats.kept >= 1 && stats.evaluated > 1, "{stats:?}");
        live.statement(
            "trace_seed(\"urn:epc:id:sscc:9521141.0000000001\").",
            &origin(),
        );
        let mut fresh = Session::open(Some(dir), &[], Limits::default()).unwrap();
        let text = "seed_count(n) :- n = count : trace_seed(_).\n.include \"genealogy.dl\"\n";
        assert!(!fresh.statement(text, &origin()).failed);
        fresh.statement(
            "trace_seed(\"urn:epc:id:sscc:9521141.0000000001\").",
            &origin(),
        );
        assert!(!contents(&fresh).is_empty());
        assert_eq!(contents(&live), contents(&fresh));
    }

    use proptest::prelude::*;

    /// Statements for sessions built in any order.
    const POOL: &[&str] = &[
        "edge(0, 1).",
        "edge(1, 2).",
        "path(x, y) :- edge(x, y).",
        "path(x, z) :- path(x, y), edge(y, z).",
        "node(x) :- edge(x, _). node(y) :- edge(_, y).",
        "edge(2, 0).",
        "unreached(x) :- node(x), !path(0, x).",
        "out(x, n) :- node(x), n = count : { edge(x, _) }.",
        "edge(3, 3).",
        "hub(x) :- out(x, n), n > 1.",
        "far(x) :- path(x, y), !edge(x, y), !unreached(x).",
        "edge(1, 3).",
    ];

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// A session built statement by statement (rules evaluated
        /// incrementally) holds what one evaluation of all of them computes.
        #[test]
        fn a_session_built_statement_by_statement_equals_a_fresh_evaluation(
            order in proptest::sample::subsequence((0..POOL.len()).collect::<Vec<_>>(), 1..=POOL.len())
                .prop_shuffle()
        ) {
            let statements: Vec<&str> = order.iter().map(|&idx| POOL[idx]).collect();
            let live = session(&statements);
            let mut fresh = Session::open(None, &[], Limits::default()).unwrap();
            let reply = fresh.statement(&statements.join("\n"), &origin());
            prop_assert!(!reply.failed, "{}", reply.err);
            prop_assert_eq!(contents(&live), contents(&fresh));
        }
    }

    #[test]
    fn a_cancelled_query_leaves_the_session_as_it_was() {
        let cancel = Arc::new(AtomicBool::new(false));
        let mut live = session(RULES);
        live.statement("lot(\"L-1\").", &origin());
        live.limits.cancel = Some(cancel.clone());
        cancel.store(true, Ordering::Relaxed);
        let reply = live.statement("?- path(0, X), lot(L).", &origin());
        assert!(
            reply.failed && reply.err.contains("cancelled"),
            "{}",
            reply.err
        );
        let reply = live.statement("edge(1, 2).", &origin());
        assert!(
            reply.failed && reply.err.contains("cancelled"),
            "{}",
            reply.err
        );
        cancel.store(false, Ordering::Relaxed);
        // The value store came back (symbols still readable), the fact was not added.
        let reply = live.statement("?- path(0, X), lot(L).", &origin());
        assert!(!reply.failed, "{}", reply.err);
        assert!(
            reply.out.contains("(1 row)") && reply.out.contains("L-1"),
            "{}",
            reply.out
        );
    }

    #[test]
    fn a_statement_stopped_by_a_limit_changes_nothing() {
        let mut live = session(RULES);
        let before = contents(&live);
        live.limits.max_tuples = Some(3);
        let reply = live.statement("edge(1, 2). edge(2, 3). edge(3, 4).", &origin());
        assert!(
            reply.failed && reply.err.contains("tuple-limit"),
            "{}",
            reply.err
        );
        let reply = live.statement("big(x, y) :- path(x, _), path(y, _).", &origin());
        assert!(
            reply.failed && reply.err.contains("tuple-limit"),
            "{}",
            reply.err
        );
        live.limits.max_tuples = None;
        assert_eq!(contents(&live), before);
        assert!(live.rules(Some("big")).failed);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Any text as a statement, `:add` and `:retract`: a reply, never a panic.
        #[test]
        fn any_text_gets_a_reply(text in "[a-z0-9 (),.:\"!?=<_-]{0,30}") {
            let mut live = session(&["edge(0, 1).", "path(x, y) :- edge(x, y)."]);
            let _ = live.statement(&text, &origin());
            let _ = live.add(&text, &origin());
            let _ = live.retract(&text, &origin());
            let _ = live.statement("?- path(X, Y).", &origin());
        }
    }

    #[test]
    fn queries_of_any_columns_evaluate_the_whole_program() {
        let mut live = session(&["mixed(1).", "mixed(\"x\").", "pair(x, x) :- mixed(x)."]);
        let reply = live.statement("?- pair(X, Y), X != 1.", &origin());
        assert!(!reply.failed, "{}", reply.err);
        assert!(
            reply.out.contains("(1 row)") && reply.out.contains("| x | x |"),
            "{}",
            reply.out
        );
    }
}
