//! This module runs one of the shipped rule sets over a database for the
//! traceability commands (`trace`, `recall`, later the REPL): it opens the
//! rule set as a [`Session`] *without* seeds — the seed-independent work
//! (edges, containment, movements) is done once, or restored from an image —
//! and then applies the seeds of each question as an incremental update, so
//! a question costs only the closure from its seeds.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::db::session::{self, Opened, Session};
use crate::db::state::HeadRef;
use crate::db::{AsOf, Failure};
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::{Change, Limits};
use crate::ir::RelId;
use crate::value::Value;

/// The relation a question's objects go in (rules/schema.dl).
pub const SEED_RELATION: &str = "trace_seed";

/// An evaluation from scratch slower than this leaves an image behind, so
/// the next question on the same journal head starts from it.
const IMAGE_AFTER: Duration = Duration::from_millis(500);

/// A rule file an answer was computed with, as a report names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFile {
    /// Its name in the project (`rules/recall.dl`, `rules/schema.dl`, ...).
    pub file: String,
    /// Its `.policy` name and version ("" when it declares none).
    pub policy: String,
    pub version: String,
    /// SHA-256 of its text, lowercase hex.
    pub sha256: String,
}

/// A shipped rule set evaluated over a database, ready for questions.
pub struct Investigation {
    session: Session,
    rule_files: Vec<RuleFile>,
    seed_rel: RelId,
    /// The seeds applied by [`Investigation::set_seeds`] (interned values).
    seeds: Vec<Value>,
    opened: Opened,
}

impl Investigation {
    /// Opens `rule_sets` (names of [`crate::rules::SHIPPED`], such as
    /// `recall.dl` and `audit.dl`) together over the database in `dir` as of
    /// `as_of`.
    pub fn open(
        dir: &Path,
        rule_sets: &[&str],
        as_of: AsOf,
        limits: &Limits,
    ) -> Result<Investigation, Failure> {
        let text: String = rule_sets
            .iter()
            .map(|name| format!(".include {name:?}\n"))
            .collect();
        let compiled = crate::driver::compile_with_shipped_rules("<investigation>", &text)
            .map_err(|failed| Failure {
                sources: failed.sources,
                diagnostics: failed.diagnostics,
            })?;
        let Some(seed_rel) = compiled.program.relation_by_name(SEED_RELATION) else {
            return Err(Failure::one(Diagnostic::error(
                Code::UnknownRelation,
                format!("the rule sets {rule_sets:?} do not declare `{SEED_RELATION}`"),
            )));
        };
        let texts: Vec<&str> = compiled
            .sources
            .files()
            .map(|(_, file)| &*file.text)
            .collect();
        let key = session::program_key(&texts);
        let rule_files = rule_files(&compiled);
        let started = Instant::now();
        let (session, opened) = Session::open(dir, &compiled.program, &key, as_of, limits)?;
        if opened == Opened::Evaluated && as_of == AsOf::Head && started.elapsed() >= IMAGE_AFTER {
            // A cache: a failure to write it costs the next question time, nothing else.
            let _ = session.save_image(dir);
        }
        Ok(Investigation {
            session,
            rule_files,
            seed_rel,
            seeds: Vec::new(),
            opened,
        })
    }

    /// Makes `seeds` the objects under investigation, replacing the previous
    /// ones (seeds recorded in the database itself stay).
    pub fn set_seeds(&mut self, seeds: &[String], limits: &Limits) -> Result<(), Failure> {
        let new: Vec<Value> = seeds
            .iter()
            .map(|seed| Value::from(self.session.values_mut().intern(seed)))
            .collect();
        let changes = vec![
            Change::delete(self.seed_rel, std::mem::take(&mut self.seeds)),
            Change::insert(self.seed_rel, new.clone()),
        ];
        self.session.apply(changes, limits)?;
        self.seeds = new;
        Ok(())
    }

    /// The rows of `relation` as text (as output files show them), sorted.
    /// An unknown relation has none.
    pub fn rows(&self, relation: &str) -> Vec<Vec<String>> {
        let program = self.session.program();
        let Some(rel) = program.relation_by_name(relation) else {
            return Vec::new();
        };
        let engine = self.session.engine();
        let columns = &program.relation(rel).columns;
        let mut rows: Vec<Vec<String>> = engine
            .rows(rel)
            .map(|row| {
                row.iter()
                    .zip(columns)
                    .map(|(&value, column)| {
                        let mut text = String::new();
                        engine.values().write(&mut text, column.ty, value);
                        text
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    }

    /// The journal head the answers are computed on.
    pub fn head(&self) -> &HeadRef {
        self.session.head()
    }

    /// Every rule file of the rule set, the included ones too, in include order.
    pub fn rule_files(&self) -> &[RuleFile] {
        &self.rule_files
    }

    /// Whether the rule set was restored from an image or evaluated.
    pub fn opened(&self) -> Opened {
        self.opened
    }

    pub fn session(&self) -> &Session {
        &self.session
    }
}

/// The rule files a compiled rule set read, skipping the one-line root text.
pub fn rule_files(compiled: &crate::driver::Compiled) -> Vec<RuleFile> {
    compiled
        .sources
        .files()
        .skip(1)
        .map(|(id, file)| {
            let policy = compiled.program.policies.iter().find(|p| p.file == id);
            RuleFile {
                file: file.name.clone(),
                policy: policy.map(|p| p.name.clone()).unwrap_or_default(),
                version: policy.map(|p| p.version.clone()).unwrap_or_default(),
                sha256: crate::db::record::sha256_hex(file.text.as_bytes()),
            }
        })
        .collect()
}
