//! This module is the GS1 EPCIS importer: it reads EPCIS 2.0 JSON / JSON-LD
//! ([`json`]) and EPCIS 1.2 / 2.0 XML ([`xml`]) documents into one event
//! model ([`model`]), canonicalizes identifiers ([`ids`]) and CBV values
//! ([`cbv`]), identifies events by `eventID` or their CBV 2.0 hash
//! ([`hash`]), and records each document as one journal transaction of the
//! relations of rules/schema.dl (see docs/traceability.md, "EPCIS import").

pub mod cbv;
pub mod hash;
pub mod ids;
pub mod json;
pub mod master;
pub mod model;
pub mod xml;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use crate::db::{self, Draft, Fact, Failure, InputFact, Recorded, Source, State, Writer};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::SourceMap;

pub use ids::CompanyPrefixes;
pub use model::Event;

/// Why a document could not be read. Positions are JSON pointers (JSON) or
/// `line N` (XML).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Not well-formed JSON or XML.
    Syntax {
        line: u32,
        col: u32,
        message: String,
    },
    /// Well-formed, but not an EPCIS document: a required field is missing
    /// or has the wrong shape.
    Invalid { position: String, message: String },
    /// A field's value cannot be read (a time, an action, a quantity).
    BadValue { position: String, message: String },
}

impl ReadError {
    /// The error as a diagnostic located in `path` (whose text is `text`).
    pub fn diagnostic(&self, path: &str, text: &str) -> Diagnostic {
        let line_text = |line: u32| {
            text.lines()
                .nth(line.saturating_sub(1) as usize)
                .unwrap_or("")
                .to_owned()
        };
        let (code, position, message) = match self {
            ReadError::Syntax { line, col, message } => {
                return Diagnostic::error(Code::EpcisSyntax, message.clone())
                    .at_location(Location::DataLine {
                        path: path.to_owned(),
                        line: *line,
                        col: *col,
                        text: line_text(*line),
                    })
                    .with_help(
                        "nothing from this file was recorded; fix the document and import it again",
                    );
            }
            ReadError::Invalid { position, message } => (Code::EpcisInvalid, position, message),
            ReadError::BadValue { position, message } => (Code::EpcisBadValue, position, message),
        };
        let xml_line = position.strip_prefix("line ").and_then(|n| {
            let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let located = match xml_line {
            Some(line) => {
                Diagnostic::error(code, message.clone()).at_location(Location::DataLine {
                    path: path.to_owned(),
                    line,
                    col: 1,
                    text: line_text(line),
                })
            }
            None => Diagnostic::error(code, format!("{message} (at JSON pointer `{position}`)"))
                .at_location(Location::File {
                    path: path.to_owned(),
                }),
        };
        located
            .with_help("nothing from this file was recorded; fix the document and import it again")
    }
}

/// Reads the events of one document, XML when it starts with `<`, JSON otherwise.
pub fn read(text: &str, prefixes: &CompanyPrefixes) -> Result<Vec<Event>, ReadError> {
    read_document(text, prefixes).map(|(events, _)| events)
}

/// Reads one document: its events and the vocabulary elements of its
/// master data.
pub fn read_document(
    text: &str,
    prefixes: &CompanyPrefixes,
) -> Result<(Vec<Event>, Vec<master::Element>), ReadError> {
    if is_xml(text) {
        xml::read_document(text, prefixes)
    } else {
        json::read_document(text, prefixes)
    }
}

/// Master-data facts to record over `state`: facts already live are
/// skipped; a location, party, product or lot whose attributes changed
/// replaces the live row with the same identifier (retracted).
pub fn master_changes(facts: Vec<Fact>, state: &State, out: &mut Converted) {
    let live = |rel: &str| state.relations.get(rel).map(|r| &r.live);
    for fact in facts {
        if live(&fact.rel).is_some_and(|l| l.contains_key(fact.fields.as_slice())) {
            continue;
        }
        if matches!(fact.rel.as_str(), "location" | "party" | "product" | "lot")
            && let Some(rows) = live(&fact.rel)
        {
            for old in rows.keys().filter(|k| k.first() == fact.fields.first()) {
                out.retract.push((
                    Fact {
                        rel: fact.rel.clone(),
                        fields: old.to_vec(),
                    },
                    0,
                ));
            }
        }
        out.assert.push((fact, 0));
    }
}

/// The pre-hash string and CBV 2.0 event hash of every event of a document
/// (XML or JSON), in document order, whether or not it has an eventID.
pub fn event_hashes(text: &str) -> Result<Vec<(String, String)>, ReadError> {
    let (values, namespaces) = if is_xml(text) {
        let (values, namespaces) = xml::event_values(text)?;
        (values.into_iter().map(|(v, _)| v).collect(), namespaces)
    } else {
        let doc = json::parse(text)?;
        (doc.events, doc.namespaces)
    };
    Ok(values
        .iter()
        .map(|event| {
            let pre = hash::pre_hash(event, &namespaces);
            let hash = hash::hash_of(&pre);
            (pre, hash)
        })
        .collect())
}

fn is_xml(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
}

/// The relations whose first column is the event, retracted by an error declaration.
pub const EVENT_RELATIONS: &[&str] = &[
    "event",
    "ev_recorded",
    "ev_obj",
    "ev_class",
    "ev_qty",
    "ev_biztx",
    "ev_src",
    "ev_dst",
    "ev_ilmd",
    "ev_xform",
    "ev_pdisp",
    "ev_sensor",
    "ev_cert",
    "ev_ext",
];

/// The facts of one document, checked against the database's state.
#[derive(Clone, Debug, Default)]
pub struct Converted {
    /// (fact, line in the document or 0).
    pub assert: Vec<(Fact, u32)>,
    pub retract: Vec<(Fact, u32)>,
    /// The declared reasons of the error declarations that retract events.
    pub reason: Option<String>,
    pub events: usize,
    /// Events whose identity was already recorded (or seen earlier in the document).
    pub duplicates: usize,
    pub declarations: usize,
    /// Events whose eventID an earlier event of the same document already
    /// used, with other content: only the first is recorded.
    pub reused_ids: Vec<ReusedId>,
}

/// An eventID used twice in one document for events that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReusedId {
    pub id: String,
    /// The positions of the recorded event and of the skipped one.
    pub first: String,
    pub again: String,
}

impl ReusedId {
    /// The warning for `path` (whose text is `text`), at the skipped event.
    pub fn diagnostic(&self, path: &str, text: &str) -> Diagnostic {
        let message = format!(
            "eventID `{}` is used again for an event with different content; the first event with this id (at {}) was recorded and this one was not",
            self.id, self.first
        );
        let help = "an EPCIS eventID names one event: ask the sender which one is right; a correction is sent as an errorDeclaration and a corrective event";
        match line_of_position(&self.again) {
            Some(line) => {
                Diagnostic::warning(Code::EventIdReused, message).at_location(Location::DataLine {
                    path: path.to_owned(),
                    line,
                    col: 1,
                    text: text
                        .lines()
                        .nth(line.saturating_sub(1) as usize)
                        .unwrap_or("")
                        .to_owned(),
                })
            }
            None => Diagnostic::warning(
                Code::EventIdReused,
                format!("{message} (at JSON pointer `{}`)", self.again),
            )
            .at_location(Location::File {
                path: path.to_owned(),
            }),
        }
        .with_help(help)
    }
}

fn fact(rel: &str, fields: &[&str]) -> Fact {
    Fact {
        rel: rel.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    }
}

/// The identity of an event: its eventID, else its CBV 2.0 hash (computed
/// by the reader from the event as written; for an event built by hand with
/// neither, a hash of its fields).
pub fn identity(event: &Event) -> String {
    event
        .event_id
        .clone()
        .filter(|id| !id.is_empty())
        .or_else(|| event.hash.clone())
        .unwrap_or_else(|| {
            let fields = Event {
                position: String::new(),
                ..event.clone()
            };
            hash::hash_of(&format!("{fields:?}"))
        })
}

fn live_first_fields(state: &State, rel: &str) -> HashSet<String> {
    state
        .relations
        .get(rel)
        .map(|facts| {
            facts
                .live
                .keys()
                .filter_map(|fields| fields.first().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn line_of(event: &Event) -> u32 {
    line_of_position(&event.position).unwrap_or(0)
}

/// The line of an XML position (`line 12` or `line 12/...`); a JSON pointer has none.
fn line_of_position(position: &str) -> Option<u32> {
    position
        .strip_prefix("line ")
        .and_then(|n| n.split('/').next()?.parse().ok())
}

/// The facts of one event (without `ev_source`).
pub fn event_facts(ev: &str, event: &Event) -> Vec<Fact> {
    let mut out = vec![fact(
        "event",
        &[
            ev,
            &event.etype,
            &event.action,
            &event.event_time,
            &event.tz,
            &event.biz_step,
            &event.disposition,
            &event.read_point,
            &event.biz_loc,
        ],
    )];
    if let Some(time) = &event.record_time {
        out.push(fact("ev_recorded", &[ev, time]));
    }
    for (role, obj) in &event.objects {
        out.push(fact("ev_obj", &[ev, role, obj]));
    }
    for q in &event.quantities {
        out.push(fact("ev_class", &[ev, &q.role, &q.class]));
        if let Some(qty) = &q.quantity {
            out.push(fact("ev_qty", &[ev, &q.role, &q.class, qty, &q.uom]));
        }
    }
    for (rel, list) in [
        ("ev_biztx", &event.biz_tx),
        ("ev_src", &event.sources),
        ("ev_dst", &event.destinations),
        ("ev_ilmd", &event.ilmd),
        ("ev_pdisp", &event.persistent_disposition),
        ("ev_ext", &event.ext),
    ] {
        for (a, b) in list {
            out.push(fact(rel, &[ev, a, b]));
        }
    }
    if !event.transformation_id.is_empty() {
        out.push(fact("ev_xform", &[ev, &event.transformation_id]));
    }
    for (n, report) in event.sensor_reports.iter().enumerate() {
        let n = n.to_string();
        for (field, value) in report {
            out.push(fact("ev_sensor", &[ev, &n, field, value]));
        }
    }
    for uri in &event.certification {
        out.push(fact("ev_cert", &[ev, uri]));
    }
    out
}

/// Facts not keyed by the event: aliases and lot membership.
fn derived_facts(event: &Event) -> Vec<Fact> {
    let mut out: Vec<Fact> = event
        .aliases
        .iter()
        .map(|(alias, canonical)| fact("id_alias", &[alias, canonical]))
        .collect();
    if let Some((_, lot)) = event.ilmd.iter().find(|(k, _)| k == "lotNumber") {
        let role = if event.etype == "transformation" {
            "output"
        } else {
            "subject"
        };
        for (r, obj) in &event.objects {
            if r == role
                && let Some(lgtin) = ids::lot_of(obj, lot)
            {
                out.push(fact("lot_of", &[obj, &lgtin]));
            }
        }
    }
    out
}

/// One entry of what a document records.
enum Item<'e> {
    /// A new event, with its identity and line: its facts, derived facts and source.
    Event(&'e Event, String, u32),
    Fact(Fact, u32),
}

/// Fewer items than this are turned into facts on one thread.
const EVENTS_PER_THREAD: usize = 2048;

/// Where an event was recorded: `ev_source(event, document, position)`.
fn event_source(ev: &str, document: &str, event: &Event) -> Fact {
    fact("ev_source", &[ev, document, &event.position])
}

/// Turns `events` of the document with SHA-256 `document` into the facts to
/// record over `state`: new events are asserted, events already recorded
/// (same identity) are skipped, error declarations retract the facts of the
/// declared event.
pub fn convert(events: &[Event], document: &str, state: &State) -> Converted {
    let mut known = live_first_fields(state, "ev_source");
    let mut declared = live_first_fields(state, "ev_error");
    let mut out = Converted {
        events: events.len(),
        ..Converted::default()
    };
    // Live facts of the events declared erroneous, built only when needed.
    let mut by_event: Option<HashMap<String, Vec<Fact>>> = None;
    let mut reasons = Vec::new();
    // The first event of this document with each eventID, to tell a repeat
    // (re-sent, harmless) from a reuse of the id for another event.
    let mut first_here: HashMap<&str, &Event> = HashMap::new();
    // What to record, in document order; events' facts are made afterwards.
    let mut items: Vec<Item> = Vec::new();
    // Events of this document that a later error declaration retracts.
    let mut dropped: HashSet<String> = HashSet::new();
    for event in events {
        let ev = identity(event);
        let line = line_of(event);
        match &event.error {
            Some(declaration) => {
                if !declared.insert(ev.clone()) {
                    out.duplicates += 1;
                    continue;
                }
                out.declarations += 1;
                let index = by_event.get_or_insert_with(|| {
                    let mut index: HashMap<String, Vec<Fact>> = HashMap::new();
                    for rel in EVENT_RELATIONS {
                        if let Some(facts) = state.relations.get(*rel) {
                            for fields in facts.live.keys() {
                                if let Some(first) = fields.first() {
                                    index.entry(first.clone()).or_default().push(Fact {
                                        rel: (*rel).to_owned(),
                                        fields: fields.to_vec(),
                                    });
                                }
                            }
                        }
                    }
                    index
                });
                let mut retracted = index.remove(&ev).unwrap_or_default();
                retracted.sort();
                if !retracted.is_empty() {
                    reasons.push(format!(
                        "errorDeclaration of {ev} ({}) declared {}",
                        if declaration.reason.is_empty() {
                            "no reason given"
                        } else {
                            &declaration.reason
                        },
                        declaration.declared_at
                    ));
                }
                out.retract.extend(retracted.into_iter().map(|f| (f, line)));
                // The erroneous event earlier in this same document is not recorded.
                dropped.insert(ev.clone());
                let correctives: Vec<&str> = if declaration.corrective.is_empty() {
                    vec![""]
                } else {
                    declaration.corrective.iter().map(String::as_str).collect()
                };
                for corrective in correctives {
                    items.push(Item::Fact(
                        fact(
                            "ev_error",
                            &[
                                &ev,
                                &declaration.declared_at,
                                &declaration.reason,
                                corrective,
                            ],
                        ),
                        line,
                    ));
                }
                // The declaration repeats the erroneous event: its fields stay
                // readable as `ev_ext`, while no typed fact of the event is live.
                let fields = if event.declared_fields.is_empty() {
                    &event.ext
                } else {
                    &event.declared_fields
                };
                for (path, value) in fields {
                    items.push(Item::Fact(fact("ev_ext", &[&ev, path, value]), line));
                }
                known.insert(ev.clone());
                items.push(Item::Fact(event_source(&ev, document, event), line));
            }
            None => {
                let explicit_id = event.event_id.as_deref().filter(|id| !id.is_empty());
                if !known.insert(ev.clone()) || declared.contains(&ev) {
                    out.duplicates += 1;
                    if let Some(first) = explicit_id.and_then(|id| first_here.get(id))
                        && differs(first, event, &ev)
                    {
                        out.reused_ids.push(ReusedId {
                            id: ev.clone(),
                            first: first.position.clone(),
                            again: event.position.clone(),
                        });
                    }
                    continue;
                }
                if let Some(id) = explicit_id {
                    first_here.insert(id, event);
                }
                items.push(Item::Event(event, ev, line));
            }
        }
    }
    // The facts of the recorded events, made on several cores.
    let parts = crate::parallel::map_chunks(&items, EVENTS_PER_THREAD, |_, items| {
        let mut facts = Vec::with_capacity(items.len() * 12);
        for item in items {
            match item {
                Item::Event(event, ev, line) => {
                    if !dropped.contains(ev) {
                        facts.extend(event_facts(ev, event).into_iter().map(|f| (f, *line)));
                    }
                    facts.extend(derived_facts(event).into_iter().map(|f| (f, *line)));
                    facts.push((event_source(ev, document, event), *line));
                }
                Item::Fact(fact, line) => facts.push((fact.clone(), *line)),
            }
        }
        facts
    });
    out.assert = parts.concat();
    if !reasons.is_empty() {
        out.reason = Some(reasons.join("; "));
    }
    out
}

/// Whether two events with the identity `ev` record different facts. When
/// the event was captured (recordTime) does not count: the CBV event hash
/// leaves it out too, as a re-sent event may be captured again.
fn differs(a: &Event, b: &Event, ev: &str) -> bool {
    let facts = |event: &Event| {
        let mut facts = event_facts(ev, event);
        facts.extend(derived_facts(event));
        facts.retain(|fact| fact.rel != "ev_recorded");
        facts.sort();
        facts.dedup();
        facts
    };
    facts(a) != facts(b)
}

/// What importing one file did.
#[derive(Clone, Debug)]
pub struct FileImport {
    pub path: String,
    pub sha256: String,
    pub events: usize,
    pub duplicates: usize,
    pub declarations: usize,
    /// The transaction, or `None` when nothing was new.
    pub recorded: Option<Recorded>,
    /// The transaction that already recorded this very file.
    pub already_imported: Option<u64>,
    /// Warnings about the document (an eventID reused for another event).
    pub warnings: Vec<Diagnostic>,
}

/// The database open for importing: the writer and the company prefixes
/// learned from what it holds.
pub struct Importer {
    writer: Writer,
    prefixes: CompanyPrefixes,
    /// The database did not exist and was created.
    pub created: bool,
    /// Set from elsewhere (the REPL's Ctrl-C) to stop before the next
    /// transaction: a document being read is read to its end, then not recorded.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Importer {
    /// Opens the database in `dir`, creating it when `dir` does not exist.
    pub fn open(dir: &Path, wait: Duration) -> Result<Importer, Failure> {
        let created = !dir.exists();
        if created {
            db::init(dir)?;
        }
        let writer = Writer::open(dir, wait)?;
        let mut prefixes = CompanyPrefixes::default();
        for rel in [
            "ev_obj", "ev_class", "id_alias", "event", "ev_src", "ev_dst",
        ] {
            if let Some(facts) = writer.state().relations.get(rel) {
                for fields in facts.live.keys() {
                    fields.iter().for_each(|f| prefixes.learn(f));
                }
            }
        }
        Ok(Importer {
            writer,
            prefixes,
            created,
            cancel: None,
        })
    }

    pub fn state(&self) -> &State {
        self.writer.state()
    }

    /// Imports `files` in order, one transaction each, calling `progress`
    /// after each file (events read so far). Stops at the first file with an
    /// error: the files before it stay recorded and are returned with the
    /// failure.
    pub fn import_files(
        &mut self,
        files: &[std::path::PathBuf],
        principal: &str,
        progress: &dyn Fn(&crate::import::Progress),
    ) -> Result<Vec<FileImport>, (Vec<FileImport>, Failure)> {
        let mut done = Vec::with_capacity(files.len());
        let mut events = 0;
        for (i, file) in files.iter().enumerate() {
            if let Err(failure) = self.check_cancel(&file.display().to_string()) {
                return Err((done, failure));
            }
            match self.import_file(file, principal) {
                Ok(report) => {
                    events += report.events;
                    done.push(report);
                    progress(&crate::import::Progress {
                        done: i + 1,
                        total: files.len(),
                        items: events,
                        file,
                    });
                }
                Err(failure) => return Err((done, failure)),
            }
        }
        Ok(done)
    }

    /// A failure when the import was cancelled, before `path` is recorded.
    fn check_cancel(&self, path: &str) -> Result<(), Failure> {
        let cancelled = self
            .cancel
            .as_ref()
            .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed));
        if !cancelled {
            return Ok(());
        }
        Err(Failure {
            sources: SourceMap::default(),
            diagnostics: vec![
                Diagnostic::error(
                    Code::Cancelled,
                    format!("import cancelled: `{path}` was not recorded"),
                )
                .with_help("the files before it are recorded; import it again to record it"),
            ],
        })
    }

    /// Reads and records the file at `path` as one transaction.
    pub fn import_file(&mut self, path: &Path, principal: &str) -> Result<FileImport, Failure> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|err| Failure {
            sources: SourceMap::default(),
            diagnostics: vec![
                Diagnostic::error(Code::InputNotFound, format!("cannot read `{shown}`: {err}"))
                    .at_location(Location::File {
                        path: shown.clone(),
                    })
                    .with_help("nothing from this file was recorded"),
            ],
        })?;
        self.import_bytes(&shown, &bytes, principal)
    }

    /// Reads and records one document given as bytes; `path` names it.
    pub fn import_bytes(
        &mut self,
        path: &str,
        bytes: &[u8],
        principal: &str,
    ) -> Result<FileImport, Failure> {
        let sha256 = db::record::sha256_hex(bytes);
        let fail = |diagnostic: Diagnostic| Failure {
            sources: SourceMap::default(),
            diagnostics: vec![diagnostic],
        };
        let text = std::str::from_utf8(bytes).map_err(|err| {
            fail(
                ReadError::Syntax {
                    line: 1 + bytes[..err.valid_up_to()]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count() as u32,
                    col: 1,
                    message: "the document is not UTF-8".to_owned(),
                }
                .diagnostic(path, ""),
            )
        })?;
        let mut report = FileImport {
            path: path.to_owned(),
            sha256: sha256.clone(),
            events: 0,
            duplicates: 0,
            declarations: 0,
            recorded: None,
            already_imported: self.state().sources.get(&sha256).copied(),
            warnings: Vec::new(),
        };
        let mut prefixes = self.prefixes.clone();
        prefixes.learn_text(text);
        let (events, vocabularies) =
            read_document(text, &prefixes).map_err(|err| fail(err.diagnostic(path, text)))?;
        let mut converted = convert(&events, &sha256, self.state());
        master_changes(
            master::facts(&vocabularies, &prefixes),
            self.state(),
            &mut converted,
        );
        report.events = converted.events;
        report.duplicates = converted.duplicates;
        report.declarations = converted.declarations;
        report.warnings = (converted.reused_ids.iter())
            .map(|reused| reused.diagnostic(path, text))
            .collect();
        if report.already_imported.is_some()
            || (converted.assert.is_empty() && converted.retract.is_empty())
        {
            return Ok(report);
        }
        // The facts are generated from events: errors point at the file.
        let located = |(fact, line): (Fact, u32)| InputFact {
            fact,
            line,
            location: None,
        };
        let draft = Draft {
            principal: principal.to_owned(),
            channel: "import".to_owned(),
            source: Source {
                path: Some(path.to_owned()),
                sha256: Some(sha256),
                line: None,
            },
            reason: converted.reason,
            assert: converted.assert.into_iter().map(located).collect(),
            retract: converted.retract.into_iter().map(located).collect(),
            force: false,
            sources: SourceMap::default(),
        };
        // Freed before the transaction is written, which reuses their memory.
        drop(events);
        self.check_cancel(path)?;
        let recorded = self.writer.commit(draft)?;
        self.prefixes = prefixes;
        report.recorded = Some(recorded);
        Ok(report)
    }
}
