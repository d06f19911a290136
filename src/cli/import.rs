//! `tracelog import`: documents into the database, one transaction per file.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Status, print_stdout};
use crate::db;
use crate::epcis::Importer;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import GS1 EPCIS documents (2.0 JSON / JSON-LD, 1.2 and 2.0 XML)
    ///
    /// Each file is one transaction on channel `import` (its path and SHA-256 kept), recorded
    /// whole or not at all. The database is created when DIR does not exist. Events already
    /// recorded (same eventID, or the same CBV 2.0 event hash) are skipped, so importing a
    /// document again adds nothing; an errorDeclaration retracts the declared event's facts
    /// with the declared reason. Stops at the first file with an error (earlier files stay
    /// recorded) and names it with the line or JSON pointer.
    Epcis(EpcisArgs),
    /// Plant data: CSV (header row) or JSON Lines rows of one schema relation per file
    ///
    /// Each file holds the rows of one relation of rules/schema.dl (batch, consume, produce,
    /// equip_use, cleaning, status, inventory, ...), named by --relation or the file's name; columns
    /// are matched by name. One transaction per file; every file is checked before any is recorded.
    Csv(super::import_csv::CsvArgs),
}

#[derive(Debug, Args)]
pub struct EpcisArgs {
    /// EPCIS documents (.json, .jsonld, .xml)
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// The database directory, created when missing [default: $TRACELOG_DB, else ./tracelog.db]
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Who records [default: $TRACELOG_USER, else the operating-system user]
    #[arg(long = "as", value_name = "USER")]
    pub principal: Option<String>,
    /// Set by the REPL's Ctrl-C: stop before the next transaction.
    #[arg(skip)]
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// How long a writer waits for the lock: `TRACELOG_LOCK_WAIT` seconds, else 10.
pub(super) fn lock_wait() -> std::time::Duration {
    std::env::var("TRACELOG_LOCK_WAIT")
        .ok()
        .and_then(|secs| secs.parse::<f64>().ok())
        .filter(|secs| (0.0..1e6).contains(secs))
        .map_or(db::LOCK_WAIT, std::time::Duration::from_secs_f64)
}

pub fn run(command: &ImportCommand) -> std::io::Result<Status> {
    match command {
        ImportCommand::Epcis(args) => epcis(args),
        ImportCommand::Csv(args) => super::import_csv::csv(args),
    }
}

fn epcis(args: &EpcisArgs) -> std::io::Result<Status> {
    let dir = db::resolve_dir(args.db.as_deref());
    let principal = db::principal(args.principal.as_deref());
    let mut importer = match Importer::open(&dir, lock_wait()) {
        Ok(importer) => importer,
        Err(failure) => return super::database::report(&failure, false),
    };
    importer.cancel = args.cancel.clone();
    if importer.created {
        print_stdout(&format!("created database {}\n", dir.display()))?;
    }
    let bar = crate::import::progress_bar(args.files.len(), "EPCIS");
    let imported = importer.import_files(
        &args.files,
        &principal,
        &crate::import::bar_reporter(&bar, "events"),
    );
    bar.finish_and_clear();
    let (reports, failure) = match imported {
        Ok(reports) => (reports, None),
        Err((reports, failure)) => (reports, Some(failure)),
    };
    let (mut events, mut new_tx, mut duplicates) = (0, 0, 0);
    let mut text = String::new();
    for report in &reports {
        events += report.events;
        duplicates += report.duplicates;
        text.push_str(&match (&report.already_imported, &report.recorded) {
            (Some(seq), _) => format!(
                "{}: already imported in transaction {seq}; nothing new\n",
                report.path
            ),
            (
                None,
                Some(db::Recorded {
                    head: Some(head),
                    asserted,
                    retracted,
                    ..
                }),
            ) => {
                new_tx += 1;
                format!(
                    "{}: {} events ({} already recorded, {} error declarations) -> transaction {}: {asserted} facts asserted, {retracted} retracted\n",
                    report.path, report.events, report.duplicates, report.declarations, head.seq
                )
            }
            _ => format!(
                "{}: {} events, all already recorded; nothing new\n",
                report.path, report.events
            ),
        });
    }
    print_stdout(&text)?;
    let warnings: Vec<_> = reports
        .iter()
        .flat_map(|report| report.warnings.iter().cloned())
        .collect();
    super::eprint_diagnostics(&crate::source::SourceMap::default(), &warnings)?;
    if let Some(failure) = failure {
        return super::database::report(&failure, false);
    }
    print_stdout(&format!(
        "imported {} files into {}: {events} events, {duplicates} already recorded, {new_tx} transactions; journal head {}\n",
        args.files.len(),
        dir.display(),
        importer.state().head.describe()
    ))?;
    Ok(Status::Ok)
}
