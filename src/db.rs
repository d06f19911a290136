//! This module is the embedded database: a directory holding the journal
//! (the source of truth, see [`crate::journal`]) and snapshots of derived
//! state. It turns checked input into attributed transactions, replays the
//! journal into the [`State`] as of any record, and answers `log`, `history`
//! and `verify`. Every write holds the journal's exclusive lock from reading
//! the head to the synced append, so validation sees exactly the state the
//! transaction is appended to.

pub mod eval;
pub mod input;
pub mod record;
pub mod session;
pub mod snapshot;
pub mod state;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::db::record::FactGroup;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::journal::{self, Journal, JournalError, Record, RecordKind};
use crate::source::SourceMap;

pub use input::{Input, InputFact, InputFormat};
pub use record::{Fact, Source, TxPayload};
pub use state::{HeadRef, LogEntry, State};

/// The database directory when neither `--db` nor `TRACELOG_DB` names one.
pub const DEFAULT_DIR: &str = "tracelog.db";

/// `--db DIR`, else `TRACELOG_DB`, else `./tracelog.db`.
pub fn resolve_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_owned();
    }
    match std::env::var_os("TRACELOG_DB") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_DIR),
    }
}

/// Who records: `--as USER`, else `TRACELOG_USER`, else the operating-system user.
pub fn principal(flag: Option<&str>) -> String {
    if let Some(user) = flag.filter(|user| !user.trim().is_empty()) {
        return user.trim().to_owned();
    }
    for var in ["TRACELOG_USER", "USER", "LOGNAME"] {
        if let Ok(user) = std::env::var(var)
            && !user.trim().is_empty()
        {
            return user.trim().to_owned();
        }
    }
    os_user().unwrap_or_else(|| "unknown".to_owned())
}

/// The name of the user this process runs as, from its uid and /etc/passwd.
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid.to_string()).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("uid:{uid}")))
}

/// Which prefix of the journal a command evaluates over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AsOf {
    #[default]
    Head,
    /// Every record up to and including this sequence number.
    Seq(u64),
    /// Every record up to the last one recorded at or before this instant
    /// (microseconds since the epoch, UTC).
    Time(i64),
}

impl FromStr for AsOf {
    type Err = String;

    fn from_str(text: &str) -> Result<AsOf, String> {
        let text = text.trim();
        if let Ok(seq) = text.parse::<u64>() {
            return Ok(AsOf::Seq(seq));
        }
        match crate::value::parse_datetime(text) {
            Some(micros) => Ok(AsOf::Time(micros)),
            None => Err(format!(
                "`{text}` is neither a transaction number (e.g. 42) nor an RFC 3339 time (e.g. 2026-11-28T09:00:00Z)"
            )),
        }
    }
}

/// Problems, with the texts their spans point into.
#[derive(Debug)]
pub struct Failure {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Failure {
    pub(crate) fn one(diagnostic: Diagnostic) -> Failure {
        Failure {
            sources: SourceMap::default(),
            diagnostics: vec![diagnostic],
        }
    }
}

impl From<JournalError> for Failure {
    fn from(err: JournalError) -> Failure {
        Failure::one(journal_diagnostic(&err))
    }
}

/// A journal error as a diagnostic with a stable code.
pub fn journal_diagnostic(err: &JournalError) -> Diagnostic {
    let (code, help) = match err {
        JournalError::NotADatabase { .. } => (
            Code::DatabaseNotFound,
            "create it with `tracelog db init --db DIR`, or name another with --db / TRACELOG_DB",
        ),
        JournalError::AlreadyExists { .. } => (
            Code::DatabaseExists,
            "a database is never re-created over an existing one; choose another directory",
        ),
        JournalError::Locked { .. } => (
            Code::DatabaseLocked,
            "wait for the other tracelog command to finish, then run this one again",
        ),
        JournalError::Corrupt { .. } => (
            Code::JournalCorrupt,
            "run `tracelog verify` for the first bad record; nothing was written",
        ),
        JournalError::Poisoned => (
            Code::JournalIo,
            "a write or sync failed earlier; nothing after it was acknowledged",
        ),
        _ => (
            Code::JournalIo,
            "check the disk and permissions; nothing after the last acknowledged transaction was written",
        ),
    };
    Diagnostic::error(code, err.to_string()).with_help(help)
}

/// Creates an empty database in `dir`.
pub fn init(dir: &Path) -> Result<HeadRef, Failure> {
    let journal = Journal::create(dir)?;
    Ok(head_ref(&journal.head()))
}

fn head_ref(head: &journal::Head) -> HeadRef {
    HeadRef {
        seq: head.seq,
        hash: journal::hex(&head.hash),
    }
}

/// The database read for evaluation or reporting.
#[derive(Debug)]
pub struct Loaded {
    /// The state at the requested point.
    pub state: State,
    /// The journal's newest record (the state's head when reading at head).
    pub journal_head: HeadRef,
    /// An unfinished write at the end of the journal was ignored (it is moved
    /// aside by the next command that writes).
    pub torn_tail: bool,
}

/// Reads the database in `dir` as of `as_of`.
pub fn read(dir: &Path, as_of: AsOf) -> Result<Loaded, Failure> {
    let (records, head, report) = Journal::open_read(dir)?;
    let genesis = genesis_ref(&records, &head);
    let (state, _) = state_at(dir, genesis, &records, as_of)?;
    Ok(Loaded {
        state,
        journal_head: head_ref(&head),
        torn_tail: report.torn_tail.is_some(),
    })
}

/// The head before the first record: seq 0 with the genesis hash.
fn genesis_ref(records: &[Record], head: &journal::Head) -> HeadRef {
    HeadRef {
        seq: 0,
        hash: journal::hex(
            records
                .first()
                .map_or(&head.hash, |record| &record.prev_hash),
        ),
    }
}

/// The state at `as_of`: from the newest snapshot that covers a prefix of it
/// and matches the journal, then the records after it. Also returns the work
/// replayed (records plus facts, the snapshot policy's measure).
fn state_at(
    dir: &Path,
    genesis: HeadRef,
    records: &[Record],
    as_of: AsOf,
) -> Result<(State, usize), Failure> {
    let last = records.last().map_or(0, |record| record.seq);
    let target = match as_of {
        AsOf::Seq(seq) if seq > last => {
            return Err(Failure::one(
                Diagnostic::error(
                    Code::BadAsOf,
                    format!("--as-of {seq} is past the journal's newest record, {last}"),
                )
                .with_help("`tracelog log` lists the transactions"),
            ));
        }
        AsOf::Seq(seq) => seq,
        AsOf::Head | AsOf::Time(_) => last,
    };
    for (seq, path) in snapshot::list(dir) {
        if seq > target || seq == 0 {
            continue;
        }
        // The journal's record at that seq must be the one the snapshot covers.
        let Some(record) = records.iter().rev().find(|record| record.seq == seq) else {
            continue;
        };
        let Some(state) = snapshot::read(&path) else {
            continue;
        };
        if state.head.seq != seq || state.head.hash != journal::hex(&record.hash) {
            continue;
        }
        if let AsOf::Time(limit) = as_of {
            let covered = state.log.last().is_none_or(|entry| {
                crate::value::parse_datetime(&entry.recorded_at).is_some_and(|at| at <= limit)
            });
            if !covered {
                continue;
            }
        }
        let tail = records.iter().filter(|record| record.seq > seq);
        return replay(state, tail, as_of);
    }
    replay(State::empty(genesis), records.iter(), as_of)
}

/// Applies `tail` (records after the state's head) up to `as_of`.
fn replay<'r>(
    mut state: State,
    tail: impl Iterator<Item = &'r Record>,
    as_of: AsOf,
) -> Result<(State, usize), Failure> {
    let mut work = 0;
    for record in tail {
        work += 1;
        if let AsOf::Seq(seq) = as_of
            && record.seq > seq
        {
            break;
        }
        let hash = journal::hex(&record.hash);
        match record.kind {
            RecordKind::Transaction => {
                let payload = TxPayload::decode(&record.payload).map_err(|err| {
                    Failure::one(
                        Diagnostic::error(
                            Code::JournalCorrupt,
                            format!(
                                "transaction {} cannot be read: {err}",
                                record.seq
                            ),
                        )
                        .with_help("run `tracelog verify`; the record's frame is intact but its content is not a transaction"),
                    )
                })?;
                if let AsOf::Time(limit) = as_of {
                    let at = crate::value::parse_datetime(&payload.recorded_at).unwrap_or(i64::MAX);
                    if at > limit {
                        break;
                    }
                }
                work += payload.n_asserted() + payload.n_retracted();
                state.apply(record.seq, hash, payload);
            }
            RecordKind::Recovery => {
                let payload: record::RecoveryPayload =
                    serde_json::from_slice(&record.payload).unwrap_or_default();
                if let AsOf::Time(limit) = as_of {
                    let at = crate::value::parse_datetime(&payload.detected_at).unwrap_or(i64::MAX);
                    if at > limit {
                        break;
                    }
                }
                state.apply_recovery(record.seq, hash, &payload);
            }
        }
    }
    Ok((state, work))
}

/// A transaction to record, checked against the input alone.
#[derive(Debug)]
pub struct Draft {
    pub principal: String,
    pub channel: String,
    pub source: Source,
    pub reason: Option<String>,
    pub assert: Vec<InputFact>,
    pub retract: Vec<InputFact>,
    /// Record even when the same source file was recorded before.
    pub force: bool,
    /// The texts the facts' locations point into.
    pub sources: SourceMap,
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The new head; `None` when there was nothing new to record.
    pub head: Option<HeadRef>,
    pub asserted: usize,
    pub retracted: usize,
    /// Facts asserted that were already live (recorded once, so not again).
    pub already_live: usize,
    /// A torn tail found when opening was moved aside (and recorded) first.
    pub recovered: Option<String>,
}

/// A writer writes a snapshot once this much work (records plus facts), or a
/// quarter of the live facts if more, was appended since the last one.
pub const SNAPSHOT_AFTER_WORK: usize = 100_000;

/// Whether a writer that appended `work` since its last snapshot, over a
/// database of `n_facts` live facts, writes one now: snapshots then cost a
/// bounded fraction of the writes, however large the database grows.
fn snapshot_due(work: usize, n_facts: usize) -> bool {
    work >= SNAPSHOT_AFTER_WORK.max(n_facts / 4)
}

/// Snapshots kept (newest first); older ones are caches no longer needed.
pub const SNAPSHOTS_KEPT: usize = 2;

/// Writes a snapshot of the state at the journal's head (`tracelog db snapshot`).
pub fn write_snapshot(dir: &Path) -> Result<(HeadRef, PathBuf, usize), Failure> {
    let loaded = read(dir, AsOf::Head)?;
    let path = snapshot::write(dir, &loaded.state).map_err(|err| {
        Failure::one(
            Diagnostic::error(
                Code::JournalIo,
                format!("cannot write a snapshot in `{}`: {err}", dir.display()),
            )
            .with_help("check the disk and permissions; the journal is unchanged"),
        )
    })?;
    snapshot::prune(dir, SNAPSHOTS_KEPT);
    Ok((loaded.state.head.clone(), path, loaded.state.n_facts()))
}

/// How long a writer waits for another one to finish.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Checks `draft` against the database at its head and appends it as one
/// transaction, synced to disk before this returns. Nothing is written when
/// any check fails.
pub fn record(dir: &Path, draft: Draft, wait: Duration) -> Result<Recorded, Failure> {
    Writer::open(dir, wait)?.commit(draft)
}

/// The database open for writing: it holds the journal's exclusive lock and
/// the state at its head, so a long-lived writer (an importer, the REPL)
/// commits one transaction after another without reading the journal again.
pub struct Writer {
    dir: PathBuf,
    journal: Journal,
    state: State,
    /// Records plus facts applied since the last snapshot.
    work: usize,
    /// A torn tail moved aside when the journal was opened.
    recovered: Option<String>,
}

impl Writer {
    pub fn open(dir: &Path, wait: Duration) -> Result<Writer, Failure> {
        let (journal, report) = Journal::open_write(dir, wait)?;
        let records = journal.records();
        let genesis = genesis_ref(records, &journal.head());
        let (state, work) = state_at(dir, genesis, records, AsOf::Head)?;
        let recovered = report
            .torn_tail
            .and_then(|torn| torn.quarantine)
            .map(|path| path.display().to_string());
        Ok(Writer {
            dir: dir.to_owned(),
            journal,
            state,
            work,
            recovered,
        })
    }

    /// The state at the journal's head.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Checks `draft` against the state and appends it as one transaction,
    /// synced before this returns. Nothing is written when any check fails.
    pub fn commit(&mut self, draft: Draft) -> Result<Recorded, Failure> {
        let recovered = self.recovered.take();
        let mut recorded = self.commit_draft(draft)?;
        recorded.recovered = recovered;
        Ok(recorded)
    }

    fn commit_draft(&mut self, draft: Draft) -> Result<Recorded, Failure> {
        let state = &self.state;
        let Draft {
            principal,
            channel,
            source,
            reason,
            assert,
            retract,
            force,
            sources,
        } = draft;
        let mut errors = Vec::new();
        if let Some(sha) = &source.sha256
            && let Some(&seq) = state.sources.get(sha)
            && !force
        {
            let entry = state.log.iter().find(|entry| entry.seq == seq);
            errors.push(
            Diagnostic::error(
                Code::AlreadyRecorded,
                format!(
                    "this file's content (sha256 {}) was already recorded in transaction {seq}{}",
                    &sha[..12],
                    entry.map_or(String::new(), |entry| format!(
                        " by {} at {}",
                        entry.principal, entry.recorded_at
                    ))
                ),
            )
            .at_location(Location::File {
                path: source.path.clone().unwrap_or_else(|| "-".to_owned()),
            })
            .with_help("nothing was recorded; pass --force to record it again"),
        );
        }
        if reason
            .as_deref()
            .is_some_and(|reason| reason.trim().is_empty())
            || (!retract.is_empty() && reason.is_none())
        {
            errors.push(
                Diagnostic::error(Code::ReasonRequired, "a retraction needs a reason")
                    .with_help("say why with --reason \"...\" (it is kept in the audit trail)"),
            );
        }
        // Arity: one per relation, in the database and within this input.
        let mut arities: std::collections::BTreeMap<&str, usize> = state
            .relations
            .iter()
            .map(|(rel, facts)| (rel.as_str(), facts.arity))
            .collect();
        for fact in assert.iter().chain(&retract) {
            let rel = fact.fact.rel.as_str();
            if rel == eval::TX_RELATION {
                errors.push(
                    Diagnostic::error(
                        Code::NotAFact,
                        "`tx` is the journal's own relation; its facts cannot be recorded",
                    )
                    .at_location(fact_location(fact, &source))
                    .with_help("rename the relation"),
                );
                continue;
            }
            let arity = fact.fact.fields.len();
            let expected = *arities.entry(rel).or_insert(arity);
            if expected != arity {
                errors.push(
                Diagnostic::error(
                    Code::ArityMismatch,
                    format!(
                        "`{rel}` facts have {expected} columns in the database but this one has {arity}"
                    ),
                )
                .at_location(fact_location(fact, &source)),
            );
            }
        }
        let mut retracting = std::collections::HashSet::new();
        for fact in &retract {
            if state.asserted_in(&fact.fact).is_none() {
                errors.push(
                Diagnostic::error(
                    Code::NotAsserted,
                    format!(
                        "`{}` is not in the database, so it cannot be retracted",
                        fact.fact.to_source()
                    ),
                )
                .at_location(fact_location(fact, &source))
                .with_help("`tracelog history FACT` shows whether it was ever recorded or already retracted"),
            );
            } else {
                retracting.insert(&fact.fact);
            }
        }
        if !errors.is_empty() {
            return Err(Failure {
                sources,
                diagnostics: errors,
            });
        }
        drop(retracting);
        // Grouped by relation first (each fact's relation name is dropped
        // here), then duplicates removed per relation, hashing the fields
        // only; relations are independent, so they are worked on in parallel.
        let retracted = first_of_each(
            state::group(retract.into_iter().map(|fact| (fact.fact, fact.line))),
            |_| |_: &[String]| false,
        )
        .0;
        let retracting: FxHashMap<&str, FxHashSet<&[String]>> = retracted
            .iter()
            .map(|(rel, group)| (rel.as_str(), group.rows.iter().map(Vec::as_slice).collect()))
            .collect();
        // A fact already live is not asserted again, unless this transaction
        // retracts it first (a correction).
        let (asserted, already_live) = first_of_each(
            state::group(assert.into_iter().map(|fact| (fact.fact, fact.line))),
            |rel| {
                let live = state.relations.get(rel).map(|facts| &facts.live);
                let retracted = retracting.get(rel);
                move |row: &[String]| {
                    live.is_some_and(|live| live.contains_key(row))
                        && !retracted.is_some_and(|rows| rows.contains(row))
                }
            },
        );
        drop(retracting);
        if asserted.is_empty() && retracted.is_empty() {
            return Ok(Recorded {
                head: None,
                asserted: 0,
                retracted: 0,
                already_live,
                recovered: None,
            });
        }
        let now = chrono::Utc::now();
        let last_time = state
            .log
            .iter()
            .rev()
            .find(|entry| !entry.recovery)
            .and_then(|entry| crate::value::parse_datetime(&entry.recorded_at));
        let mut payload = TxPayload {
            format: record::PAYLOAD_FORMAT,
            recorded_at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            clock_regressed: last_time.is_some_and(|last| now.timestamp_micros() < last),
            principal,
            channel,
            source,
            reason,
            assert: asserted,
            retract: retracted,
        };
        let n_asserted = payload.n_asserted();
        let n_retracted = payload.n_retracted();
        // The journal keeps the encoded payload it is given (no copy).
        let bytes = payload.encode();
        let seq = self.journal.head().seq + 1;
        let assert = std::mem::take(&mut payload.assert);
        let retract = std::mem::take(&mut payload.retract);
        // The write and its sync (mostly waiting for the disk) run while the
        // facts go into the live sets, which are put back if the write fails.
        let (journal, state) = (&mut self.journal, &mut self.state);
        let (appended, applied) = std::thread::scope(|scope| {
            let writing = scope.spawn(move || journal.append_owned(RecordKind::Transaction, bytes));
            let applied = state.apply_facts(seq, assert, retract);
            let appended = writing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (appended, applied)
        });
        let head = match appended {
            Ok(head) => head,
            Err(err) => {
                self.state.undo(applied);
                return Err(err.into());
            }
        };
        self.state
            .apply_entry(journal::hex(&head.hash), payload, &applied);
        self.work += 1 + n_asserted + n_retracted;
        // The transaction is durable; a snapshot is only a cache of it, so
        // failing to write one loses nothing (the next open replays instead).
        if snapshot_due(self.work, self.state.n_facts())
            && snapshot::write(&self.dir, &self.state).is_ok()
        {
            self.work = 0;
            snapshot::prune(&self.dir, SNAPSHOTS_KEPT);
        }
        Ok(Recorded {
            head: Some(head_ref(&head)),
            asserted: n_asserted,
            retracted: n_retracted,
            already_live,
            recovered: None,
        })
    }
}

/// The groups without the rows `skip_in(relation)` holds for and with the
/// first of equal rows only, and the number of rows skipped. `skip_in` is
/// asked once per relation, so it can look the relation up once.
fn first_of_each<S: Fn(&[String]) -> bool>(
    groups: BTreeMap<String, FactGroup>,
    skip_in: impl Fn(&str) -> S + Sync,
) -> (BTreeMap<String, FactGroup>, usize) {
    let mut groups: Vec<(String, FactGroup)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, group)| std::cmp::Reverse(group.rows.len()));
    let mut skipped = 0;
    let mut kept = BTreeMap::new();
    for (rel, group, n) in crate::parallel::map_each(groups, |(rel, group)| {
        let mut n_skipped = 0;
        let skip = skip_in(&rel);
        let keep: Vec<bool> = {
            let mut seen: FxHashSet<&[String]> = FxHashSet::default();
            seen.reserve(group.rows.len());
            (group.rows.iter())
                .map(|row| {
                    if skip(row) {
                        n_skipped += 1;
                        false
                    } else {
                        seen.insert(row.as_slice())
                    }
                })
                .collect()
        };
        let lines = if group.lines.len() == keep.len() {
            (group.lines.into_iter().zip(&keep))
                .filter_map(|(line, keep)| keep.then_some(line))
                .collect()
        } else {
            group.lines
        };
        let rows = (group.rows.into_iter().zip(&keep))
            .filter_map(|(row, keep)| keep.then_some(row))
            .collect();
        (rel, FactGroup { rows, lines }, n_skipped)
    }) {
        skipped += n;
        if !group.rows.is_empty() {
            kept.insert(rel, group);
        }
    }
    (kept, skipped)
}

/// Where a fact of a transaction was written: its own location, else the
/// input file as a whole.
fn fact_location(fact: &InputFact, source: &Source) -> Location {
    fact.location.clone().unwrap_or_else(|| Location::File {
        path: source.path.clone().unwrap_or_else(|| "-".to_owned()),
    })
}

/// One assertion or retraction of a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub seq: u64,
    pub hash: String,
    pub asserted: bool,
    pub recorded_at: String,
    pub principal: String,
    pub channel: String,
    pub source: Source,
    /// The fact's line in its source file.
    pub line: Option<u32>,
    pub reason: Option<String>,
}

/// Every assertion and retraction of `fact`, oldest first.
pub fn history(dir: &Path, fact: &Fact) -> Result<Vec<HistoryEntry>, Failure> {
    let (records, _, _) = Journal::open_read(dir)?;
    let mut entries = Vec::new();
    for record in &records {
        if record.kind != RecordKind::Transaction {
            continue;
        }
        let Ok(payload) = TxPayload::decode(&record.payload) else {
            continue;
        };
        for (asserted, groups) in [(false, &payload.retract), (true, &payload.assert)] {
            let Some(group) = groups.get(&fact.rel) else {
                continue;
            };
            for (idx, row) in group.rows.iter().enumerate() {
                if *row == fact.fields {
                    entries.push(HistoryEntry {
                        seq: record.seq,
                        hash: journal::hex(&record.hash),
                        asserted,
                        recorded_at: payload.recorded_at.clone(),
                        principal: payload.principal.clone(),
                        channel: payload.channel.clone(),
                        source: payload.source.clone(),
                        line: group.lines.get(idx).copied(),
                        reason: payload.reason.clone(),
                    });
                }
            }
        }
    }
    Ok(entries)
}

/// The line (in its source file) of each `(seq, fact)`: the fact as
/// asserted by transaction `seq`. One read of the journal for all of them;
/// `None` where the transaction kept no line for it.
pub fn assertion_lines(dir: &Path, facts: &[(u64, Fact)]) -> Result<Vec<Option<u32>>, Failure> {
    let mut wanted: rustc_hash::FxHashMap<u64, Vec<usize>> = rustc_hash::FxHashMap::default();
    for (idx, (seq, _)) in facts.iter().enumerate() {
        wanted.entry(*seq).or_default().push(idx);
    }
    let mut lines = vec![None; facts.len()];
    if wanted.is_empty() {
        return Ok(lines);
    }
    let (records, _, _) = Journal::open_read(dir)?;
    for record in &records {
        let Some(idxs) = wanted.get(&record.seq) else {
            continue;
        };
        if record.kind != RecordKind::Transaction {
            continue;
        }
        let Ok(payload) = TxPayload::decode(&record.payload) else {
            continue;
        };
        for &idx in idxs {
            let fact = &facts[idx].1;
            let Some(group) = payload.assert.get(&fact.rel) else {
                continue;
            };
            if let Some(row) = group.rows.iter().position(|row| *row == fact.fields) {
                lines[idx] = group.lines.get(row).copied();
            }
        }
    }
    Ok(lines)
}

/// Reads one fact written in the language (`consumed("L-1", "B-7")`, with or
/// without the final `.`), as `history` takes it.
pub fn parse_fact(text: &str) -> Result<Fact, Failure> {
    let mut text = text.trim().to_owned();
    if !text.ends_with('.') {
        text.push('.');
    }
    let input =
        input::read("FACT", text.as_bytes(), InputFormat::Facts, None).map_err(|err| Failure {
            sources: err.sources,
            diagnostics: err.diagnostics,
        })?;
    let n_facts = input.facts.len();
    match <[InputFact; 1]>::try_from(input.facts) {
        Ok([fact]) => Ok(fact.fact),
        Err(_) => Err(Failure::one(Diagnostic::error(
            Code::NotAFact,
            format!(
                "give exactly one fact, such as 'consumed(\"L-1\", \"B-7\")'; this gives {n_facts}"
            ),
        ))),
    }
}

#[cfg(test)]
mod snapshot_policy_tests {
    use super::snapshot_due;

    #[test]
    fn snapshots_follow_the_larger_of_the_floor_and_a_quarter_of_the_database() {
        assert!(!snapshot_due(99_999, 0));
        assert!(snapshot_due(100_000, 0));
        assert!(snapshot_due(100_000, 400_000));
        // At 10^6 live facts a quarter (250,000) applies, not the floor.
        assert!(!snapshot_due(200_000, 1_000_000));
        assert!(snapshot_due(250_000, 1_000_000));
    }
}
