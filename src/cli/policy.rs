//! `tracelog policy diff OLD.dl NEW.dl --db DIR`: the derived facts that
//! appear or disappear between two versions of a rule set on the same data,
//! for change control. Prints, like every report, the name, version and
//! SHA-256 of each rule file and the journal head it was computed on.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::database::{AsOfArg, DbArg};
use super::{Status, print_stdout, report_failure};
use crate::db::session::{Session, program_key};
use crate::engine::Limits;
use crate::policy_diff;
use crate::source::SourceMap;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// The derived facts that appear or disappear between two versions of a rule set
    ///
    /// Both versions run over the same database (and the same --as-of point). Every relation that
    /// a rule of either version derives, declared in both with the same arity, is compared.
    /// Exit 0 whether or not there are differences.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The rule set in force
    pub old: PathBuf,
    /// The proposed rule set
    pub new: PathBuf,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub as_of: AsOfArg,
    /// Print the differences as one JSON object
    #[arg(long)]
    pub json: bool,
}

/// Each rule file's policy header (or its name) and SHA-256.
fn policy_lines(program: &crate::ir::Program, sources: &SourceMap) -> Vec<serde_json::Value> {
    sources
        .files()
        .map(|(id, file)| {
            let policy = program.policies.iter().find(|policy| policy.file == id);
            serde_json::json!({
                "file": file.name,
                "policy": policy.map(|p| p.name.clone()),
                "version": policy.map(|p| p.version.clone()),
                "sha256": crate::db::record::sha256_hex(file.text.as_bytes()),
            })
        })
        .collect()
}

pub fn run(command: &PolicyCommand) -> std::io::Result<Status> {
    let PolicyCommand::Diff(args) = command;
    let dir = args.db.dir();
    let as_of = args.as_of.as_of.unwrap_or_default();
    let limits = Limits::default();
    let mut opened = Vec::new();
    for path in [&args.old, &args.new] {
        let Some(compiled) = super::compile(path, args.json)? else {
            return Ok(Status::Failed);
        };
        let texts: Vec<&str> = compiled
            .sources
            .files()
            .map(|(_, file)| &*file.text)
            .collect();
        let key = program_key(&texts);
        match Session::open(&dir, &compiled.program, &key, as_of, &limits) {
            Ok((session, _)) => opened.push((compiled, session)),
            Err(failure) => {
                return report_failure(&compiled.sources, &failure.diagnostics, args.json);
            }
        }
    }
    let (new_compiled, new_session) = opened.pop().expect("two programs");
    let (old_compiled, old_session) = opened.pop().expect("two programs");
    let diffs = policy_diff::diff(
        old_session.program(),
        old_session.engine(),
        new_session.program(),
        new_session.engine(),
    );
    let head = new_session.head();
    let old_policies = policy_lines(&old_compiled.program, &old_compiled.sources);
    let new_policies = policy_lines(&new_compiled.program, &new_compiled.sources);
    if args.json {
        let relations: Vec<serde_json::Value> = diffs
            .iter()
            .map(|diff| {
                serde_json::json!({
                    "relation": diff.name,
                    "columns": diff.columns,
                    "appeared": diff.appeared,
                    "disappeared": diff.disappeared,
                    "unchanged": diff.unchanged,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "old": old_policies,
            "new": new_policies,
            "journal": {"seq": head.seq, "hash": head.hash},
            "relations": relations,
        });
        print_stdout(&format!("{doc:#}\n"))?;
        return Ok(Status::Ok);
    }
    let mut text = String::new();
    for (label, policies) in [("old", &old_policies), ("new", &new_policies)] {
        for policy in policies.iter() {
            text.push_str(&format!(
                "{label}: {} {} {} sha256 {}\n",
                policy["file"].as_str().unwrap_or(""),
                policy["policy"].as_str().unwrap_or("(no .policy)"),
                policy["version"].as_str().unwrap_or(""),
                policy["sha256"].as_str().unwrap_or("")
            ));
        }
    }
    text.push_str(&format!("computed on journal head {}\n\n", head.describe()));
    let mut changed = 0;
    for diff in &diffs {
        if diff.appeared.is_empty() && diff.disappeared.is_empty() {
            continue;
        }
        changed += 1;
        text.push_str(&format!(
            "{}: {} appeared, {} disappeared, {} unchanged\n",
            diff.name,
            diff.appeared.len(),
            diff.disappeared.len(),
            diff.unchanged
        ));
        let mut table = crate::io::output::markdown_table();
        let mut header = vec!["change".to_owned()];
        header.extend(diff.columns.iter().cloned());
        table.set_header(header);
        for (sign, rows) in [("+", &diff.appeared), ("-", &diff.disappeared)] {
            for row in rows.iter() {
                let mut cells = vec![sign.to_owned()];
                cells.extend(row.iter().cloned());
                table.add_row(cells);
            }
        }
        text.push_str(&format!("{table}\n\n"));
    }
    if changed == 0 {
        text.push_str(&format!(
            "no derived fact differs ({} relations compared)\n",
            diffs.len()
        ));
    }
    print_stdout(&text)?;
    Ok(Status::Ok)
}
