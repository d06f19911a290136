//! This module holds `tracelog import csv`: plant data (CSV with a header
//! row, or JSON Lines) recorded in the database, one transaction per file.
//! The work is done by [`crate::import::plant`]; this prints and picks the
//! exit code.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Status, print_stdout};
use crate::db;
use crate::import::plant::{self, Format, Options};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CsvFormatArg {
    /// Comma-separated with a header row naming the columns
    Csv,
    /// One JSON object per line, keys naming the columns
    Jsonl,
}

/// `tracelog import csv FILES... --db DIR [--relation R] [--ignore-extra]`
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// Files of plant data, each the rows of one relation of rules/schema.dl
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// The database directory (created when it does not exist) [default: $TRACELOG_DB, else ./tracelog.db]
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// The relation of every file [default: each file's name without extension]
    #[arg(long, value_name = "NAME")]
    pub relation: Option<String>,
    /// How the files are written [default: .jsonl/.ndjson/.json are JSON Lines, else CSV]
    #[arg(long, value_enum)]
    pub format: Option<CsvFormatArg>,
    /// Skip columns the relation does not declare instead of refusing the file
    #[arg(long)]
    pub ignore_extra: bool,
    /// Who records [default: $TRACELOG_USER, else the operating-system user]
    #[arg(long = "as", value_name = "USER")]
    pub principal: Option<String>,
}

/// Runs `tracelog import csv`.
pub fn csv(args: &CsvArgs) -> std::io::Result<Status> {
    let dir = db::resolve_dir(args.db.as_deref());
    let options = Options {
        relation: args.relation.clone(),
        format: args.format.map(|format| match format {
            CsvFormatArg::Csv => Format::Csv,
            CsvFormatArg::Jsonl => Format::JsonLines,
        }),
        ignore_extra: args.ignore_extra,
    };
    let principal = db::principal(args.principal.as_deref());
    let bar = crate::import::progress_bar(args.files.len(), "plant data");
    let imported = plant::import_files_with_progress(
        &dir,
        &args.files,
        &principal,
        &options,
        &crate::import::bar_reporter(&bar, "rows"),
    );
    bar.finish_and_clear();
    match imported {
        Ok(recorded) => {
            let mut text = String::new();
            let (mut n_tx, mut n_facts) = (0, 0);
            for (path, recorded) in args.files.iter().zip(&recorded) {
                match &recorded.head {
                    Some(head) => {
                        n_tx += 1;
                        n_facts += recorded.asserted;
                        text.push_str(&format!(
                            "{}: transaction {}, {} facts recorded{}\n",
                            path.display(),
                            head.seq,
                            recorded.asserted,
                            if recorded.already_live > 0 {
                                format!(" ({} already present)", recorded.already_live)
                            } else {
                                String::new()
                            }
                        ));
                    }
                    None => text.push_str(&format!(
                        "{}: nothing new to record ({} facts, already recorded)\n",
                        path.display(),
                        recorded.already_live
                    )),
                }
            }
            text.push_str(&format!(
                "imported {} files into {}: {n_tx} transactions, {n_facts} facts\n",
                recorded.len(),
                dir.display()
            ));
            print_stdout(&text)?;
            Ok(Status::Ok)
        }
        Err(failure) => super::database::report(&failure, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_files_and_refuses_bad_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("cleaning.csv");
        std::fs::write(&file, "equip,at,level\nMX-1,2026-03-01T06:00:00Z,full\n").unwrap();
        let dir = tmp.path().join("db");
        let args = CsvArgs {
            files: vec![file.clone()],
            db: Some(dir.clone()),
            relation: None,
            format: None,
            ignore_extra: false,
            principal: Some("qa".into()),
        };
        assert_eq!(csv(&args).unwrap(), Status::Ok);
        assert_eq!(csv(&args).unwrap(), Status::Ok);
        let state = db::read(&dir, db::AsOf::Head).unwrap().state;
        assert_eq!(state.relations["cleaning"].live.len(), 1);
        let bad = tmp.path().join("status.csv");
        std::fs::write(&bad, "lot,status\nL1,hold\n").unwrap();
        let args = CsvArgs {
            files: vec![bad],
            ..args
        };
        assert_eq!(csv(&args).unwrap(), Status::Failed);
    }
}
