//! `tracelog demo`: the bundled recall scenario end to end. It writes the
//! scenario of examples/demo (from the generator, so it works from any
//! directory), imports it into a fresh database, runs the recall for the
//! contaminated lot and says what is in scope and where the report is.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{Status, print_stdout};
use crate::db;
use crate::demo_data;
use crate::epcis::Importer;
use crate::import::plant;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to put the scenario, the database and the report (must not exist, or be empty)
    /// [default: a new directory under the system's temporary directory]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The scenario's seed: another seed moves quantities, orders and stores, not the story
    #[arg(long, default_value_t = demo_data::DEFAULT_SEED)]
    pub seed: u64,
}

/// The principal the demo records as.
const DEMO_USER: &str = "demo";

pub fn demo(args: &DemoArgs) -> std::io::Result<Status> {
    let started = Instant::now();
    let base = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "tracelog-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        )),
    };
    if std::fs::read_dir(&base).is_ok_and(|mut entries| entries.next().is_some()) {
        let _ = writeln_err(&format!(
            "error: {} is not empty; give a new or empty directory with --dir",
            base.display()
        ));
        return Ok(Status::Error);
    }
    let scenario_dir = base.join("scenario");
    let db_dir = base.join("db");
    let report_dir = base.join("report");

    let summary = demo_data::write(&scenario_dir, args.seed)?;
    print_stdout(&format!(
        "Scenario: contaminated spinach at Northfield Foods (examples/demo/README.md), seed {}\n  \
         {} EPCIS events in {} documents and {} plant-data rows, written to {}\n",
        args.seed,
        summary.n_events,
        summary
            .files
            .iter()
            .filter(|f| f.ends_with(".jsonld"))
            .count(),
        summary.n_rows,
        scenario_dir.display()
    ))?;

    // 1. The EPCIS documents, one transaction each.
    let documents: Vec<PathBuf> = summary
        .files
        .iter()
        .filter(|name| name.ends_with(".jsonld"))
        .map(|name| scenario_dir.join(name))
        .collect();
    let mut importer = match Importer::open(&db_dir, super::import::lock_wait()) {
        Ok(importer) => importer,
        Err(failure) => return super::database::report(&failure, false),
    };
    let bar = crate::import::progress_bar(documents.len(), "importing EPCIS documents");
    let imported = importer.import_files(
        &documents,
        DEMO_USER,
        &crate::import::bar_reporter(&bar, "events"),
    );
    bar.finish_and_clear();
    let imported = match imported {
        Ok(imported) => imported,
        Err((_, failure)) => return super::database::report(&failure, false),
    };
    let n_events: usize = imported.iter().map(|r| r.events).sum();
    let n_declarations: usize = imported.iter().map(|r| r.declarations).sum();
    let n_tx = imported.iter().filter(|r| r.recorded.is_some()).count();
    drop(importer);
    print_stdout(&format!(
        "Imported {n_events} events ({n_declarations} error declaration) into {} as {n_tx} transactions\n",
        db_dir.display()
    ))?;

    // 2. The plant data (batches, equipment, cleanings, inventory, master data).
    let tables: Vec<PathBuf> = summary
        .files
        .iter()
        .filter(|name| name.ends_with(".csv"))
        .map(|name| scenario_dir.join(name))
        .collect();
    let bar = crate::import::progress_bar(tables.len(), "importing plant data");
    let recorded = plant::import_files_with_progress(
        &db_dir,
        &tables,
        DEMO_USER,
        &plant::Options::default(),
        &crate::import::bar_reporter(&bar, "tables"),
    );
    bar.finish_and_clear();
    let recorded = match recorded {
        Ok(recorded) => recorded,
        Err(failure) => return super::database::report(&failure, false),
    };
    let n_facts: usize = recorded.iter().map(|r| r.asserted).sum();
    print_stdout(&format!(
        "Imported {} plant-data tables: {n_facts} facts\n",
        tables.len()
    ))?;

    // 3. The recall of the contaminated lot.
    let seeds = vec![summary.contaminated_lot.clone()];
    let (report, written) = match super::recall::write_report(
        &db_dir,
        &seeds,
        &report_dir,
        crate::recall_report::DateRange::default(),
        db::AsOf::Head,
    ) {
        Ok(done) => done,
        Err(failure) => return super::database::report(&failure, false),
    };
    print_stdout(&format!(
        "\nRecall of {} (the supplier's positive Listeria test):\n",
        summary.contaminated_lot
    ))?;
    print_stdout(&super::recall::summary(&report, &report_dir, &written))?;
    let expected: std::collections::BTreeSet<&String> = summary.affected_lots.iter().collect();
    let found: std::collections::BTreeSet<&String> =
        report.lots.iter().map(|lot| &lot.lot).collect();
    let status = if expected == found {
        print_stdout(&format!(
            "The rules' scope matches the scenario's own answer: the same {} lots.\n",
            expected.len()
        ))?;
        Status::Ok
    } else {
        let _ = writeln_err(&format!(
            "error: the rules' scope ({} lots) differs from the scenario's answer ({} lots)",
            found.len(),
            expected.len()
        ));
        Status::Failed
    };
    print_stdout(&format!(
        "\nDone in {:.1} s. Go on with, for example:\n  \
         tracelog trace backward {} --db {}\n  \
         tracelog trace forward {} --db {}\n  \
         tracelog log --db {}\n",
        started.elapsed().as_secs_f64(),
        summary
            .affected_lots
            .iter()
            .find(|lot| lot.contains(".300002."))
            .unwrap_or(&summary.contaminated_lot),
        db_dir.display(),
        summary.contaminated_lot,
        db_dir.display(),
        db_dir.display(),
    ))?;
    Ok(status)
}

fn writeln_err(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{text}")
}
