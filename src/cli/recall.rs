//! `tracelog recall ID... --db DIR --out DIR`: the recall report (Markdown,
//! JSON, CSV, Graphviz, FSMA 204 spreadsheet) of one or more suspect objects,
//! written into a directory, with a short summary on stdout.

use std::path::{Path, PathBuf};

use clap::Args;

use super::database::{AsOfArg, DbArg};
use super::{Status, print_stdout, report_failure};
use crate::db::{AsOf, Failure};
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::Limits;
use crate::investigate::Investigation;
use crate::recall_report::{self, Context, DateRange};
use crate::source::SourceMap;

#[derive(Debug, Args)]
pub struct RecallArgs {
    /// The suspect objects: lots, items or containers (EPC URN or GS1 Digital Link URI)
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub db: DbArg,
    /// The directory the report is written to: created when missing; a previous report there
    /// (a directory holding report.json) is replaced; any other non-empty directory is refused
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// First date (YYYY-MM-DD, inclusive) of the FSMA 204 records [default: no limit]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last date (YYYY-MM-DD, inclusive) of the FSMA 204 records [default: no limit]
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Also print report.json's content on stdout (instead of the summary)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub as_of: AsOfArg,
}

fn fail(diagnostics: &[Diagnostic], json: bool) -> std::io::Result<Status> {
    report_failure(&SourceMap::default(), diagnostics, json)
}

pub fn run(args: &RecallArgs) -> std::io::Result<Status> {
    run_with(args, &Limits::default())
}

/// As [`run`], stopping on `limits` (the REPL's timeout, tuple limit and Ctrl-C).
pub(crate) fn run_with(args: &RecallArgs, limits: &Limits) -> std::io::Result<Status> {
    let date_range = match DateRange::parse(args.from.as_deref(), args.to.as_deref()) {
        Ok(range) => range,
        Err(diagnostic) => return fail(&[*diagnostic], args.json),
    };
    let dir = args.db.dir();
    let as_of = args.as_of.as_of.unwrap_or_default();
    let written = write_report_with(&dir, &args.ids, &args.out, date_range, as_of, limits);
    let (report, written) = match written {
        Ok(done) => done,
        Err(failure) => return report_failure(&failure.sources, &failure.diagnostics, args.json),
    };
    if args.json {
        for note in &written.notes {
            eprintln!("note: {note}");
        }
        print_stdout(&recall_report::to_json(&report))?;
        return Ok(Status::Ok);
    }
    print_stdout(&summary(&report, &args.out, &written))?;
    Ok(Status::Ok)
}

/// Computes the recall of `ids` over the database in `dir` and writes the
/// report into `out` (`tracelog recall`, and `tracelog demo`'s last step).
pub(super) fn write_report(
    dir: &Path,
    ids: &[String],
    out: &Path,
    date_range: DateRange,
    as_of: AsOf,
) -> Result<(recall_report::Report, recall_report::Written), Failure> {
    write_report_with(dir, ids, out, date_range, as_of, &Limits::default())
}

/// As [`write_report`], stopping on `limits`.
fn write_report_with(
    dir: &Path,
    ids: &[String],
    out: &Path,
    date_range: DateRange,
    as_of: AsOf,
    limits: &Limits,
) -> Result<(recall_report::Report, recall_report::Written), Failure> {
    let one = |diagnostic: Box<Diagnostic>| Failure {
        sources: SourceMap::default(),
        diagnostics: vec![*diagnostic],
    };
    recall_report::check_out(out).map_err(one)?;
    let mut inv = Investigation::open(dir, recall_report::RULE_SETS, as_of, limits)?;
    inv.set_seeds(ids, limits)?;
    let unknown = recall_report::unknown_seeds(&inv);
    if !unknown.is_empty() {
        let diagnostics: Vec<Diagnostic> = unknown
            .iter()
            .map(|id| {
                Diagnostic::error(
                    Code::UnknownObject,
                    format!("`{id}` names nothing recorded in the database"),
                )
                .with_help(format!(
                    "check the identifier (an EPC URN or Digital Link URI of a lot, item or container) \
                     and that its documents are imported into `{}`",
                    dir.display()
                ))
            })
            .collect();
        return Err(Failure {
            sources: SourceMap::default(),
            diagnostics,
        });
    }
    let context = Context {
        seeds: ids.to_vec(),
        database: dir.display().to_string(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        date_range,
    };
    let report = recall_report::build(&inv, context);
    let written = recall_report::write(&report, out).map_err(one)?;
    Ok((report, written))
}

/// The few lines printed after a report is written.
pub(super) fn summary(
    report: &recall_report::Report,
    out: &std::path::Path,
    written: &recall_report::Written,
) -> String {
    let s = &report.summary;
    let mut text = format!(
        "recall of {} on journal head seq {} (sha256 {})\n",
        report.seeds.join(", "),
        report.journal.seq,
        report.journal.sha256
    );
    text.push_str(&format!(
        "scope: {} lots, {} items, {} containers, {} shipments, {} consignee sites ({} locations)\n",
        s.lots, s.items, s.containers, s.shipments, s.consignee_sites, s.locations
    ));
    let hold: Vec<String> = s
        .hold_quantity
        .iter()
        .map(|(uom, qty)| format!("{} {uom}", recall_report::qty_text(*qty)))
        .collect();
    text.push_str(&format!(
        "inventory to hold: {} records{}\n",
        s.hold_inventory,
        if hold.is_empty() {
            String::new()
        } else {
            format!(" ({})", hold.join(", "))
        }
    ));
    if !report.consignees.is_empty() {
        let mut table = crate::io::output::markdown_table();
        table.set_header(["consignee", "location", "quantity", "unit"]);
        for c in &report.consignees {
            table.add_row([
                if c.party_name.is_empty() {
                    c.party.clone()
                } else {
                    c.party_name.clone()
                },
                if c.loc_name.is_empty() {
                    c.loc.clone()
                } else {
                    c.loc_name.clone()
                },
                recall_report::qty_text(c.qty),
                c.uom.clone(),
            ]);
        }
        text.push_str(&format!("consignees:\n{table}\n"));
    }
    text.push_str(&format!(
        "audit findings: {}; FSMA 204 records: {} ({})\n",
        s.findings,
        s.fsma204_records,
        report.date_range.describe()
    ));
    text.push_str(&format!(
        "written to {}: {}\n",
        out.display(),
        written.files.join(", ")
    ));
    for note in &written.notes {
        text.push_str(note);
        text.push('\n');
    }
    text
}
