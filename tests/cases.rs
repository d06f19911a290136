//! This module runs every program under `tests/cases/<group>/<name>.dl` through
//! the whole pipeline (parse, check, load, evaluate, write) and snapshots one
//! Markdown-like document per case (`tests/snapshots/`): `## Diagnostics`
//! (rendered without colour), `## Plan` (group `plan` only), `## Results`
//! (each output relation, `.printsize` and query, rows in the shared value
//! order), `## Stdout` (what a run prints) and `## Files` (output files);
//! only the sections that apply.
//!
//! Inputs are read from `tests/cases/<group>/<name>/` when that directory
//! exists, otherwise from the case's own directory. A first line
//! `// options: max-tuples=N timeout=SECONDS output-dir=NAME` sets the run's
//! limits and output directory (relative to the input directory; by default a
//! temporary directory, shown as `[OUT]`).
//!
//! Besides the snapshot, every case that runs is checked against the naive
//! reference evaluator on the same program and the same loaded inputs.

mod reference;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracelog::diagnostic::{self, Diagnostic};
use tracelog::driver::{self, Compiled};
use tracelog::engine::{Engine, Limits};
use tracelog::io::{self, RunOptions, output::OutputDir};
use tracelog::ir::{Const, RelId};
use tracelog::plan;
use tracelog::value::ValueStore;

use reference::{Key, Row};

#[derive(Debug, Default)]
struct Options {
    max_tuples: Option<u64>,
    timeout: Option<f64>,
    output_dir: Option<String>,
}

fn options(text: &str) -> Options {
    let mut options = Options::default();
    let Some(line) = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("// options:"))
    else {
        return options;
    };
    for word in line.split_whitespace() {
        let (key, value) = word.split_once('=').expect("options are key=value");
        match key {
            "max-tuples" => {
                options.max_tuples = Some(value.parse().expect("max-tuples is a number"))
            }
            "timeout" => options.timeout = Some(value.parse().expect("timeout is seconds")),
            "output-dir" => options.output_dir = Some(value.to_owned()),
            _ => panic!("unknown case option `{key}`"),
        }
    }
    options
}

/// Rows of every relation in the engine, decoded.
fn engine_rows(compiled: &Compiled, engine: &Engine) -> Vec<Vec<Row>> {
    let program = &compiled.program;
    (0..program.relations.len())
        .map(|idx| {
            let rel = RelId(idx as u32);
            let columns = &program.relation(rel).columns;
            let mut rows: Vec<Row> = engine
                .rows(rel)
                .map(|row| {
                    row.iter()
                        .zip(columns)
                        .map(|(value, column)| Key(engine.values().decode(column.ty, *value)))
                        .collect()
                })
                .collect();
            rows.sort();
            rows
        })
        .collect()
}

/// Loads and evaluates again, to read the relations, and compares them with
/// the reference evaluator on the same inputs. Returns the decoded rows of
/// every relation, or a description of the first difference.
fn evaluate(
    compiled: &Compiled,
    input_dir: &Path,
    limits: &Limits,
) -> Result<Vec<Vec<Row>>, String> {
    let program = &compiled.program;
    // The base facts as the loader reads them: what the reference starts from.
    let mut store = ValueStore::default();
    let inputs =
        io::read_inputs(program, &mut store, input_dir).map_err(|err| format!("{err:?}"))?;
    let mut base: BTreeMap<RelId, Vec<Vec<Const>>> = BTreeMap::new();
    for (rel, rows) in &inputs.loaded {
        let columns = &program.relation(*rel).columns;
        let decoded = base.entry(*rel).or_default();
        if columns.is_empty() {
            decoded.extend((0..rows.n_rows).map(|_| Vec::new()));
        } else {
            for row in rows.values.chunks(columns.len()) {
                decoded.push(
                    row.iter()
                        .zip(columns)
                        .map(|(value, column)| store.decode(column.ty, *value))
                        .collect(),
                );
            }
        }
    }
    let mut engine = Engine::new(program);
    io::load_inputs(program, &mut engine, input_dir).map_err(|err| format!("{err:?}"))?;
    engine.run(limits).map_err(|err| err.to_string())?;
    let got = engine_rows(compiled, &engine);
    let expected =
        reference::evaluate(program, &base, 1_000_000).map_err(|_| "no small model".to_owned())?;
    for (idx, (got, want)) in got.iter().zip(&expected).enumerate() {
        let want: Vec<Row> = want.iter().cloned().collect();
        if *got != want {
            let show = |rows: &[Row]| {
                rows.iter()
                    .map(|r| reference::show_row(r))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Err(format!(
                "engine and reference differ on `{}`: engine [{}], reference [{}]",
                program.relations[idx].name,
                show(got),
                show(&want)
            ));
        }
    }
    Ok(got)
}

fn results_section(compiled: &Compiled, rows: &[Vec<Row>]) -> String {
    let program = &compiled.program;
    let mut out = String::new();
    let shown: Vec<usize> = (0..program.relations.len())
        .filter(|&idx| {
            let relation = &program.relations[idx];
            !relation.outputs.is_empty() || relation.printsize.is_some()
        })
        .collect();
    // A program without outputs or queries shows every relation.
    let shown = if shown.is_empty() && program.queries.is_empty() {
        (0..program.relations.len())
            .filter(|&idx| !program.relations[idx].hidden)
            .collect()
    } else {
        shown
    };
    for idx in shown {
        let relation = &program.relations[idx];
        let columns: Vec<String> = relation
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name, c.ty.name()))
            .collect();
        writeln!(
            out,
            "{}({}): {} rows",
            relation.name,
            columns.join(", "),
            rows[idx].len()
        )
        .unwrap();
        for row in &rows[idx] {
            writeln!(out, "  {}", reference::show_row(row)).unwrap();
        }
    }
    for query in &program.queries {
        let relation = program.relation(query.rel);
        let columns: Vec<&str> = relation.columns.iter().map(|c| c.name.as_str()).collect();
        let text = io::output::query_text(&compiled.sources, query.origin);
        let rows = &rows[query.rel.0 as usize];
        writeln!(out, "{text}  [{}]: {} rows", columns.join(", "), rows.len()).unwrap();
        for row in rows {
            writeln!(out, "  {}", reference::show_row(row)).unwrap();
        }
    }
    out
}

/// Every file under `dir`, relative, sorted, with its content.
fn files_section(dir: &Path) -> String {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths.sort();
    let mut out = String::new();
    for path in paths {
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|err| format!("<unreadable: {err}>"));
        writeln!(out, "--- {name}\n{text}").unwrap();
    }
    out
}

fn run_case(path: &Path, failures: &mut Vec<String>) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Relative paths keep snapshots free of machine-specific directories.
    let relative = path
        .strip_prefix(manifest)
        .expect("cases live in the package");
    let text = std::fs::read_to_string(path).expect("case file readable");
    let options = options(&text);
    let case_dir = relative.with_extension("");
    let input_dir = if manifest.join(&case_dir).is_dir() {
        case_dir
    } else {
        relative
            .parent()
            .expect("case has a directory")
            .to_path_buf()
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let output_dir = match &options.output_dir {
        Some(name) => input_dir.join(name),
        None => temp.path().join("out"),
    };
    let limits = Limits {
        timeout: options.timeout.map(Duration::from_secs_f64),
        max_tuples: options.max_tuples,
        cancel: None,
    };

    let mut doc = String::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let compiled = match driver::compile_file(relative) {
        Ok(compiled) => compiled,
        Err(failed) => {
            let rendered = diagnostic::render(&failed.sources, &failed.diagnostics);
            assert!(
                diagnostic::has_errors(&failed.diagnostics),
                "a failed compile reports an error"
            );
            return format!("## Diagnostics\n{rendered}");
        }
    };
    diagnostics.extend(compiled.warnings.iter().cloned());
    let run_options = RunOptions {
        input_dir: input_dir.clone(),
        output_dir: OutputDir::Dir(output_dir.clone()),
        json: false,
        limits: limits.clone(),
        db: None,
        read_files: true,
    };
    let outcome = io::run(&compiled.program, &compiled.sources, &run_options);
    if let Err(errors) = &outcome {
        diagnostics.extend(errors.iter().cloned());
    }
    if !diagnostics.is_empty() {
        let rendered = diagnostic::render(&compiled.sources, &diagnostics);
        writeln!(doc, "## Diagnostics\n{rendered}").unwrap();
    }
    let relative_name = relative.display().to_string();
    if relative_name.contains("/plan/") {
        let plan = plan::plan(&compiled.program);
        writeln!(
            doc,
            "## Plan\n{}",
            plan::render(&compiled.program, &plan, false)
        )
        .unwrap();
    }
    if let Ok(stdout) = outcome {
        match evaluate(&compiled, &input_dir, &limits) {
            Ok(rows) => writeln!(doc, "## Results\n{}", results_section(&compiled, &rows)).unwrap(),
            Err(err) => failures.push(format!("{relative_name}: {err}")),
        }
        if !stdout.is_empty() {
            writeln!(doc, "## Stdout\n{stdout}").unwrap();
        }
        if options.output_dir.is_none() {
            let files = files_section(&output_dir);
            if !files.is_empty() {
                writeln!(doc, "## Files\n{files}").unwrap();
            }
        }
    }
    let temp_text = temp.path().display().to_string();
    doc.replace(&temp_text, "[OUT]").trim_end().to_owned() + "\n"
}

#[test]
fn cases() {
    let mut failures = Vec::new();
    insta::glob!("cases/*/*.dl", |path| {
        let doc = run_case(path, &mut failures);
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(doc);
        });
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every diagnostic code of the language has a case that reports it (the
/// database's codes are shown by tests/db_cli.rs).
#[test]
fn every_code_has_a_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut all = String::new();
    for entry in std::fs::read_dir(&root).expect("snapshots exist").flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    let missing: Vec<&str> = diagnostic::Code::ALL
        .iter()
        .filter(|code| code.reference() == "docs/language.md")
        .map(|code| code.as_str())
        .filter(|code| !all.contains(&format!("[{code}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes no case snapshot shows: {missing:?}"
    );
}
