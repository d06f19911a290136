//! Runs every example of docs/language.md: a `tracelog` block must check and
//! run cleanly; a `tracelog expect=CODE` block must report CODE. `file NAME`
//! blocks are written to the scratch directory the next program runs in.

use std::path::Path;
use std::time::Duration;

use tracelog::diagnostic::{Code, Diagnostic, Severity};
use tracelog::driver;
use tracelog::engine::Limits;
use tracelog::io::{self, RunOptions, output::OutputDir};

struct Example {
    line: usize,
    expect: Option<String>,
    max_tuples: Option<u64>,
    timeout: Option<f64>,
    output_dir: Option<String>,
    program: String,
    files: Vec<(String, String)>,
}

fn examples(text: &str) -> Vec<Example> {
    let mut res = Vec::new();
    let mut files = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((idx, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        let mut words = info.split_whitespace();
        match words.next() {
            Some("file") => files.push((
                words.next().expect("file block has a name").to_owned(),
                body,
            )),
            Some("tracelog") => {
                let mut example = Example {
                    line: idx + 1,
                    expect: None,
                    max_tuples: None,
                    timeout: None,
                    output_dir: None,
                    program: body,
                    files: std::mem::take(&mut files),
                };
                for word in words {
                    let (key, value) = word.split_once('=').expect("options are key=value");
                    match key {
                        "expect" => example.expect = Some(value.to_owned()),
                        "max-tuples" => example.max_tuples = Some(value.parse().unwrap()),
                        "timeout" => example.timeout = Some(value.parse().unwrap()),
                        "output-dir" => example.output_dir = Some(value.to_owned()),
                        _ => panic!("unknown example option `{key}` at line {}", idx + 1),
                    }
                }
                res.push(example);
            }
            _ => (),
        }
    }
    res
}

/// Compiles and runs one example in `dir`; returns every diagnostic reported.
fn run_example(example: &Example, dir: &Path) -> Vec<Diagnostic> {
    for (name, text) in &example.files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let program_path = dir.join("example.dl");
    std::fs::write(&program_path, &example.program).unwrap();
    let compiled = match driver::compile_file(&program_path) {
        Ok(compiled) => compiled,
        Err(failed) => return failed.diagnostics,
    };
    let output_dir = match &example.output_dir {
        Some(name) => dir.join(name),
        None => dir.join("out"),
    };
    let options = RunOptions {
        input_dir: dir.to_path_buf(),
        output_dir: OutputDir::Dir(output_dir),
        json: false,
        limits: Limits {
            timeout: example.timeout.map(Duration::from_secs_f64),
            max_tuples: example.max_tuples,
            cancel: None,
        },
        db: None,
        read_files: true,
    };
    let mut diagnostics = compiled.warnings;
    if let Err(errors) = io::run(&compiled.program, &compiled.sources, &options) {
        diagnostics.extend(errors);
    }
    diagnostics
}

#[test]
fn every_example_in_the_language_reference_runs_as_documented() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md"))
            .unwrap();
    let examples = examples(&text);
    assert!(
        examples.len() > 20,
        "found only {} examples",
        examples.len()
    );
    let mut failures = Vec::new();
    for example in &examples {
        let dir = tempfile::tempdir().unwrap();
        let diagnostics = run_example(example, dir.path());
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        match &example.expect {
            None if !diagnostics.is_empty() => failures.push(format!(
                "line {}: expected a clean run, got {codes:?}: {diagnostics:#?}",
                example.line
            )),
            Some(code) if !codes.contains(&code.as_str()) => failures.push(format!(
                "line {}: expected `{code}`, got {codes:?}",
                example.line
            )),
            Some(code) => {
                // A warning example still runs; an error example reports an error.
                let diagnostic = diagnostics
                    .iter()
                    .find(|d| d.code.as_str() == code)
                    .unwrap();
                if diagnostic.severity == Severity::Warning
                    && diagnostics.iter().any(Diagnostic::is_error)
                {
                    failures.push(format!(
                        "line {}: warning `{code}` came with errors {codes:?}",
                        example.line
                    ));
                }
            }
            None => (),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_diagnostic_code_is_documented_with_an_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let language = std::fs::read_to_string(root.join("docs/language.md")).unwrap();
    let database = std::fs::read_to_string(root.join("docs/database.md")).unwrap();
    let traceability = std::fs::read_to_string(root.join("docs/traceability.md")).unwrap();
    let cli = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let examples = examples(&language);
    let has_section = |text: &str, code: &str| {
        text.lines()
            .any(|line| line.starts_with("### ") && line.split_whitespace().any(|w| w == code))
    };
    // Language codes have a runnable example; database codes are exercised by tests/db_cli.rs,
    // importer codes (docs/traceability.md) by tests/epcis.rs.
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| {
            let name = code.as_str();
            match code.reference() {
                "docs/language.md" => {
                    !(has_section(&language, name)
                        && examples.iter().any(|e| e.expect.as_deref() == Some(name)))
                }
                "docs/traceability.md" => !has_section(&traceability, name),
                "docs/cli.md" => !has_section(&cli, name),
                _ => !has_section(&database, name),
            }
        })
        .map(|code| code.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a section (and, for the language, an example) in their reference: {missing:?}"
    );
}
