//! This module keeps a program evaluated over a database for a long-lived
//! process (the REPL, later a server): the engine's derived relations stay in
//! memory and follow the journal incrementally — each new transaction becomes
//! an engine change (insertions continue semi-naive evaluation, retractions
//! delete and re-derive) instead of a re-evaluation. Its state can be saved as
//! an *image* (values, base facts and derived relations at one journal head,
//! for one program), so a later open neither replays the journal nor
//! evaluates the rules.
//!
//! Image layout: `TRACELOG-IMAGE` | format u16 | program key | head seq u64 |
//! head hash | symbols | dynamic values | per relation: name, arity, base
//! rows, derived rows | CRC32C u32. Integers little-endian.

use std::path::{Path, PathBuf};

use crate::db::record::{FactGroup, TxPayload};
use crate::db::snapshot::{self, Reader, Writer};
use crate::db::state::HeadRef;
use crate::db::{AsOf, Failure, eval};
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::{Change, Engine, EngineError, Limits, UpdateStats};
use crate::ir::{self, RelId};
use crate::journal::{self, Journal, Record, RecordKind};
use crate::value::{Dyn, Value, ValueStore};

const MAGIC: &[u8] = b"TRACELOG-IMAGE";
const FORMAT: u16 = 1;

/// A program evaluated over the database, as of one journal head.
pub struct Session {
    program: ir::Program,
    /// Identifies the program's text: an image is only reused for the same text.
    key: String,
    engine: Engine,
    head: HeadRef,
    /// The journal's newest record when the session last read it.
    newest: HeadRef,
}

/// How a session was opened, for reports and benches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// From an image, plus this many later records applied incrementally.
    Image { replayed: usize },
    /// From the facts (snapshot and journal), evaluated from scratch.
    Evaluated,
}

impl Session {
    /// Opens `program` over the database in `dir` as of `as_of`. `key`
    /// identifies the program's text (e.g. the SHA-256 of its sources).
    pub fn open(
        dir: &Path,
        program: &ir::Program,
        key: &str,
        as_of: AsOf,
        limits: &Limits,
    ) -> Result<(Session, Opened), Failure> {
        let (records, head, _) = Journal::open_read(dir)?;
        let newest = HeadRef {
            seq: head.seq,
            hash: journal::hex(&head.hash),
        };
        let target = match as_of {
            AsOf::Head => head.seq,
            AsOf::Seq(seq) => seq.min(head.seq),
            // A time needs the transactions' times: take the evaluated path.
            AsOf::Time(_) => 0,
        };
        if !matches!(as_of, AsOf::Time(_)) {
            for (seq, path) in list_images(dir, key) {
                if seq > target {
                    continue;
                }
                let Some(record) = records.iter().find(|record| record.seq == seq) else {
                    continue;
                };
                let Some(mut session) = read_image(&path, program, key, &newest) else {
                    continue;
                };
                if session.head.hash != journal::hex(&record.hash) {
                    continue;
                }
                let tail: Vec<&Record> = records
                    .iter()
                    .filter(|record| record.seq > seq && record.seq <= target)
                    .collect();
                let replayed = tail.len();
                session.apply_records(tail, limits)?;
                return Ok((session, Opened::Image { replayed }));
            }
        }
        let loaded = crate::db::read(dir, as_of)?;
        let mut engine = Engine::new(program);
        crate::io::load_db(program, &mut engine, &loaded.state).map_err(|diagnostics| Failure {
            sources: Default::default(),
            diagnostics,
        })?;
        engine.run(limits).map_err(engine_failure)?;
        Ok((
            Session {
                program: program.clone(),
                key: key.to_owned(),
                engine,
                head: loaded.state.head,
                newest,
            },
            Opened::Evaluated,
        ))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn program(&self) -> &ir::Program {
        &self.program
    }

    /// The engine, for provenance (switching it on, searching proofs) and
    /// the REPL's changes of the program. Changes of base facts go through
    /// [`Session::apply`].
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The journal head the relations were computed on.
    pub fn head(&self) -> &HeadRef {
        &self.head
    }

    /// Changes the program to `program` (identified by `key`), a later
    /// version of the session's with more rules or relations: the strata
    /// the change cannot reach are kept, the others evaluated (see
    /// [`Engine::evolve`]). `Ok(None)` when that does not apply (the caller
    /// opens the session again); on an error the session is as it was.
    pub fn evolve(
        &mut self,
        program: &ir::Program,
        key: &str,
        limits: &Limits,
    ) -> Result<Option<crate::engine::EvolveStats>, Failure> {
        let Some((engine, stats)) =
            Engine::evolve(&mut self.engine, program, limits).map_err(engine_failure)?
        else {
            return Ok(None);
        };
        self.engine = engine;
        self.program = program.clone();
        self.key = key.to_owned();
        Ok(Some(stats))
    }

    /// The journal's newest record when the session last read the journal.
    pub fn newest(&self) -> &HeadRef {
        &self.newest
    }

    /// Applies changes of the caller's own, facts the journal does not hold
    /// (the seeds of a trace), as one engine update. They would be part of an
    /// image saved afterwards: save images before, not after.
    pub fn apply(&mut self, changes: Vec<Change>, limits: &Limits) -> Result<UpdateStats, Failure> {
        self.engine.update(changes, limits).map_err(engine_failure)
    }

    /// The engine's values, to intern the values of [`Session::apply`]'s changes.
    pub fn values_mut(&mut self) -> &mut crate::value::ValueStore {
        self.engine.values_mut()
    }

    /// Applies the records appended to the journal since the session's head.
    pub fn catch_up(&mut self, dir: &Path, limits: &Limits) -> Result<UpdateStats, Failure> {
        let (records, newest, _) = Journal::open_read(dir)?;
        self.newest = HeadRef {
            seq: newest.seq,
            hash: journal::hex(&newest.hash),
        };
        let tail: Vec<&Record> = records
            .iter()
            .filter(|record| record.seq > self.head.seq)
            .collect();
        self.apply_records(tail, limits)
    }

    /// Applies records (in order, each after the session's head) as one engine update.
    fn apply_records(
        &mut self,
        records: Vec<&Record>,
        limits: &Limits,
    ) -> Result<UpdateStats, Failure> {
        let mut changes = Vec::new();
        let mut head = self.head.clone();
        for record in records {
            let hash = journal::hex(&record.hash);
            let tx_row = match record.kind {
                RecordKind::Transaction => {
                    let payload = TxPayload::decode(&record.payload).map_err(|err| {
                        Failure::one(Diagnostic::error(
                            Code::JournalCorrupt,
                            format!("transaction {} cannot be read: {err}", record.seq),
                        ))
                    })?;
                    self.payload_changes(&payload, &mut changes)?;
                    [
                        record.seq.to_string(),
                        payload.recorded_at.clone(),
                        payload.principal.clone(),
                        payload.channel.clone(),
                        payload.source.describe(),
                        payload.reason.clone().unwrap_or_default(),
                    ]
                }
                RecordKind::Recovery => {
                    let payload: crate::db::record::RecoveryPayload =
                        serde_json::from_slice(&record.payload).unwrap_or_default();
                    [
                        record.seq.to_string(),
                        payload.detected_at.clone(),
                        "tracelog".to_owned(),
                        "recovery".to_owned(),
                        payload.quarantine.clone(),
                        format!(
                            "{}: {} bytes moved to {}",
                            payload.kind, payload.bytes, payload.quarantine
                        ),
                    ]
                }
            };
            if let Some(rel) = self.relation(eval::TX_RELATION)
                && self.program.relation(rel).arity() == eval::TX_COLUMNS.len()
            {
                let row = self.typed_row(rel, &tx_row, record.seq)?;
                changes.push(Change::insert(rel, row));
            }
            head = HeadRef {
                seq: record.seq,
                hash,
            };
        }
        let stats = self
            .engine
            .update(changes, limits)
            .map_err(engine_failure)?;
        self.head = head;
        Ok(stats)
    }

    fn relation(&self, name: &str) -> Option<RelId> {
        self.program
            .relation_by_name(name)
            .filter(|rel| !self.program.relation(*rel).hidden)
    }

    /// The engine changes of one transaction: retractions, then assertions.
    fn payload_changes(
        &mut self,
        payload: &TxPayload,
        changes: &mut Vec<Change>,
    ) -> Result<(), Failure> {
        let mut by_rel: Vec<(RelId, Change)> = Vec::new();
        for (delete, groups) in [(true, &payload.retract), (false, &payload.assert)] {
            for (name, group) in groups {
                let Some(rel) = self.relation(name) else {
                    continue;
                };
                let rows = self.typed_group(rel, group, payload)?;
                let change = match by_rel.iter_mut().find(|(r, _)| *r == rel) {
                    Some((_, change)) => change,
                    None => {
                        by_rel.push((rel, Change::insert(rel, Vec::new())));
                        &mut by_rel.last_mut().expect("just pushed").1
                    }
                };
                let unit = self.program.relation(rel).arity() == 0 && !group.rows.is_empty();
                if delete {
                    change.delete.extend(rows);
                    change.delete_unit |= unit;
                } else {
                    change.insert.extend(rows);
                    change.insert_unit |= unit;
                }
            }
        }
        changes.extend(by_rel.into_iter().map(|(_, change)| change));
        Ok(())
    }

    fn typed_group(
        &mut self,
        rel: RelId,
        group: &FactGroup,
        payload: &TxPayload,
    ) -> Result<Vec<Value>, Failure> {
        let relation = self.program.relation(rel);
        let arity = relation.arity();
        if let Some(row) = group.rows.first()
            && row.len() != arity
        {
            return Err(Failure::one(Diagnostic::error(
                Code::ArityMismatch,
                format!(
                    "`{}` has {arity} columns in the program but {} in the transaction recorded at {}",
                    relation.name,
                    row.len(),
                    payload.recorded_at
                ),
            )));
        }
        let mut values = Vec::with_capacity(group.rows.len() * arity);
        for row in &group.rows {
            values.extend(self.typed_row(rel, row, 0)?);
        }
        Ok(values)
    }

    fn typed_row(
        &mut self,
        rel: RelId,
        fields: &[String],
        seq: u64,
    ) -> Result<Vec<Value>, Failure> {
        let relation = self.program.relation(rel);
        let mut row = Vec::with_capacity(fields.len());
        for (field, column) in fields.iter().zip(&relation.columns) {
            match self.engine.values_mut().parse(column.ty, field) {
                Ok(value) => row.push(value),
                Err(message) => {
                    return Err(Failure::one(Diagnostic::error(
                        Code::BadFact,
                        format!(
                            "a fact of `{}`{} does not fit column `{}`: {message}",
                            relation.name,
                            if seq > 0 {
                                format!(" (transaction {seq})")
                            } else {
                                String::new()
                            },
                            column.name
                        ),
                    )));
                }
            }
        }
        Ok(row)
    }

    /// Saves the session as an image of its head; older images of the same
    /// program are pruned (the journal holds everything they do).
    pub fn save_image(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let bytes = encode_image(self);
        let snap_dir = snapshot::dir(dir);
        std::fs::create_dir_all(&snap_dir)?;
        let name = image_name(&self.key, self.head.seq);
        let tmp = snap_dir.join(format!(".{name}.tmp"));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        let path = snap_dir.join(name);
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&snap_dir)?.sync_all()?;
        for (_, old) in list_images(dir, &self.key).into_iter().skip(2) {
            let _ = std::fs::remove_file(old);
        }
        Ok(path)
    }
}

fn engine_failure(err: EngineError) -> Failure {
    let code = match err {
        EngineError::Timeout { .. } => Code::Timeout,
        EngineError::TupleLimit { .. } => Code::TupleLimit,
        EngineError::TooWide { .. } => Code::UnsupportedFeature,
        EngineError::Cancelled => Code::Cancelled,
    };
    Failure::one(Diagnostic::error(code, err.to_string()))
}

/// The key of a program: SHA-256 of the texts it was compiled from.
pub fn program_key(texts: &[&str]) -> String {
    let mut all = String::new();
    for text in texts {
        all.push_str(&text.len().to_string());
        all.push(':');
        all.push_str(text);
    }
    crate::db::record::sha256_hex(all.as_bytes())
}

fn image_name(key: &str, seq: u64) -> String {
    format!("image-{}-{seq:012}.snap", &key[..key.len().min(16)])
}

/// The images of one program, newest first.
fn list_images(dir: &Path, key: &str) -> Vec<(u64, PathBuf)> {
    let prefix = format!("image-{}-", &key[..key.len().min(16)]);
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(snapshot::dir(dir)) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(seq) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".snap"))
                .and_then(|seq| seq.parse::<u64>().ok())
            {
                found.push((seq, entry.path()));
            }
        }
    }
    found.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    found
}

fn encode_image(session: &Session) -> Vec<u8> {
    let mut out = Writer(Vec::new());
    out.0.extend_from_slice(MAGIC);
    out.u16(FORMAT);
    out.str(&session.key);
    out.u64(session.head.seq);
    out.str(&session.head.hash);
    let values = session.engine.values();
    out.u64(values.n_symbols() as u64);
    for id in 0..values.n_symbols() {
        out.str(values.symbol(id as u32));
    }
    out.u64(values.n_dyns() as u64);
    for id in 0..values.n_dyns() {
        let (tag, bits) = match values.dyn_value(id as Value) {
            Dyn::Sym(v) => (0u8, u64::from(*v)),
            Dyn::Int(v) => (1, *v as u64),
            Dyn::Unsigned(v) => (2, *v),
            Dyn::Float(v) => (3, *v),
            Dyn::Time(v) => (4, *v as u64),
        };
        out.u8(tag);
        out.u64(bits);
    }
    let program = &session.program;
    out.u64(program.relations.len() as u64);
    for (idx, relation) in program.relations.iter().enumerate() {
        let rel = RelId(idx as u32);
        out.str(&relation.name);
        out.u64(relation.arity() as u64);
        let (base, base_unit) = session.engine.base_facts(rel);
        out.u8(u8::from(base_unit));
        write_values(&mut out, &base);
        let n = session.engine.len(rel);
        out.u8(u8::from(relation.arity() == 0 && n > 0));
        let mut derived = Vec::with_capacity(n * relation.arity());
        for row in session.engine.rows(rel) {
            derived.extend_from_slice(row);
        }
        write_values(&mut out, &derived);
    }
    out.finish()
}

fn write_values(out: &mut Writer, values: &[Value]) {
    out.u64(values.len() as u64);
    out.0.reserve(values.len() * 8);
    for value in values {
        out.0.extend_from_slice(&value.to_le_bytes());
    }
}

/// Reads an image made by the same program; `None` when damaged or not matching.
fn read_image(path: &Path, program: &ir::Program, key: &str, newest: &HeadRef) -> Option<Session> {
    let bytes = std::fs::read(path).ok()?;
    let mut cursor = Reader::checked(&bytes)?;
    if cursor.take(MAGIC.len())? != MAGIC || cursor.u16()? != FORMAT || cursor.str()? != key {
        return None;
    }
    let head = HeadRef {
        seq: cursor.u64()?,
        hash: cursor.str()?,
    };
    let mut values = ValueStore::default();
    let n_symbols = cursor.len()?;
    for id in 0..n_symbols {
        let text = cursor.str()?;
        if values.intern(&text) as usize != id {
            return None;
        }
    }
    let n_dyns = cursor.len()?;
    for id in 0..n_dyns {
        let tag = cursor.u8()?;
        let bits = cursor.u64()?;
        let value = match tag {
            0 => Dyn::Sym(u32::try_from(bits).ok()?),
            1 => Dyn::Int(bits as i64),
            2 => Dyn::Unsigned(bits),
            3 => Dyn::Float(bits),
            4 => Dyn::Time(bits as i64),
            _ => return None,
        };
        if values.intern_dyn(value) as usize != id {
            return None;
        }
    }
    if cursor.len()? != program.relations.len() {
        return None;
    }
    let mut base = Vec::new();
    let mut derived = Vec::new();
    for (idx, relation) in program.relations.iter().enumerate() {
        if cursor.str()? != relation.name || cursor.u64()? != relation.arity() as u64 {
            return None;
        }
        let rel = RelId(idx as u32);
        let base_unit = cursor.u8()? != 0;
        let rows = cursor.values()?;
        base.push((rel, rows, base_unit));
        let unit = cursor.u8()? != 0;
        let rows = cursor.values()?;
        derived.push((rel, rows, unit));
    }
    if !cursor.0.is_empty() {
        return None;
    }
    let engine = Engine::restore(program, values, base, derived).ok()?;
    Some(Session {
        program: program.clone(),
        key: key.to_owned(),
        engine,
        head,
        newest: newest.clone(),
    })
}
