//! This module runs the `tracelog` binary: exit codes, `--json` shapes, input
//! and output directories, CSV in and out, data-file diagnostics, `check`,
//! `plan`, `generate` and the evaluation limits.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use predicates::str::contains;

fn tracelog() -> Command {
    cargo_bin_cmd!("tracelog")
}

/// A scratch directory holding the given files.
fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/recall")
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(bytes)))
}

const SHIPPED_PROGRAM: &str = "\
.decl qty(lot: symbol, n: number)
.input qty
.decl big(lot: symbol, n: number)
big(lot, n) :- qty(lot, n), n > 10.
.output big
";

#[test]
fn help_documents_every_subcommand() {
    tracelog()
        .arg("--help")
        .assert()
        .success()
        .stdout(
            contains("run")
                .and(contains("check"))
                .and(contains("plan"))
                .and(contains("generate")),
        )
        .stdout(contains("Exit codes"));
    tracelog()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(contains("--max-tuples"));
    tracelog()
        .args(["generate", "supply-chain", "--help"])
        .assert()
        .success()
        .stdout(contains("--seed"));
}

#[test]
fn usage_errors_exit_2() {
    tracelog().assert().code(2);
    tracelog()
        .arg("run")
        .assert()
        .code(2)
        .stderr(contains("PROGRAM"));
    tracelog()
        .args(["run", "p.dl", "--timeout", "soon"])
        .assert()
        .code(2)
        .stderr(contains("seconds"));
    tracelog()
        .args(["generate", "supply-chain", "-5", "out"])
        .assert()
        .code(2);
    tracelog().args(["frobnicate"]).assert().code(2);
}

#[test]
fn an_unreadable_program_file_exits_2() {
    let dir = scratch(&[]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "missing.dl"])
        .assert()
        .code(2)
        .stderr(contains("cannot read the program `missing.dl`"));
    tracelog()
        .current_dir(dir.path())
        .args(["check", "."])
        .assert()
        .code(2);
}

#[test]
fn the_recall_example_writes_files_and_prints_tables() {
    let out = tempfile::tempdir().unwrap();
    let assert = tracelog()
        .arg("run")
        .arg(example_dir().join("recall.dl"))
        .arg("-F")
        .arg(example_dir())
        .arg("-D")
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let expected = "\
hold_in_place (3 rows)
| lot    |
|--------|
| B-1    |
| B-3    |
| F-1003 |

scope (1 row)
| affected_lots | customers |
|---------------|-----------|
| 6             | 3         |

affected\t6

?- reached(lot, site, _), distributor(site), !recalled(lot). (2 rows)
| lot    | site     |
|--------|----------|
| F-1001 | DC-NORTH |
| F-1002 | DC-SOUTH |
";
    assert_eq!(stdout, expected);
    assert_eq!(names_in(out.path()), ["exposed_customer.csv"]);
    let csv = std::fs::read_to_string(out.path().join("exposed_customer.csv")).unwrap();
    assert_eq!(
        csv,
        "customer,lot,received\n\
         \"Acme Foods, Inc.\",F-1001,2026-03-04T10:15:00Z\n\
         CUST-BETA,F-1001,2026-03-05T11:00:00Z\n\
         CUST-GAMMA,F-1002,2026-03-06T09:00:00Z\n"
    );
}

#[test]
fn dash_d_prints_outputs_instead_of_writing_them() {
    let dir = scratch(&[
        ("p.dl", SHIPPED_PROGRAM),
        ("qty.facts", "L1\t12\nL2\t4\nL3\t40\n"),
    ]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "-D", "-"])
        .assert()
        .success()
        .stdout("big (2 rows)\n| lot | n  |\n|-----|----|\n| L1  | 12 |\n| L3  | 40 |\n");
    assert_eq!(names_in(dir.path()), ["p.dl", "qty.facts"]);
}

#[test]
fn default_directories_are_the_current_one() {
    let dir = scratch(&[("p.dl", SHIPPED_PROGRAM), ("qty.facts", "L1\t12\n")]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl"])
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("big.csv")).unwrap(),
        "lot,n\nL1,12\n"
    );
}

#[test]
fn csv_inputs_with_headers_and_output_parameters() {
    let program = "\
.decl qty(lot: symbol, n: number)
.input qty
.decl copy(lot: symbol, n: number)
copy(lot, n) :- qty(lot, n).
.output copy(filename=\"copy.tsv\")
.output copy(delimiter=\";\", headers=false, filename=\"copy.txt\")
";
    // The header names the columns in another order; the comma inside quotes stays in the symbol.
    let dir = scratch(&[
        ("p.dl", program),
        ("in/qty.csv", "n,lot\r\n12,\"L1, north\"\r\n4,L2\r\n"),
    ]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "-F", "in", "-D", "out"])
        .assert()
        .success();
    let out = dir.path().join("out");
    assert_eq!(
        std::fs::read_to_string(out.join("copy.tsv")).unwrap(),
        "L1, north\t12\nL2\t4\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("copy.txt")).unwrap(),
        "L1, north;12\nL2;4\n"
    );
}

#[test]
fn json_results_are_one_object() {
    let out = tempfile::tempdir().unwrap();
    let assert = tracelog()
        .current_dir(out.path())
        .arg("run")
        .arg(example_dir().join("recall.dl"))
        .arg("-F")
        .arg(example_dir())
        .arg("--json")
        .assert()
        .success();
    let doc = json(&assert.get_output().stdout);
    assert_eq!(
        doc,
        serde_json::json!({
            "exposed_customer": [
                ["Acme Foods, Inc.", "F-1001", "2026-03-04T10:15:00Z"],
                ["CUST-BETA", "F-1001", "2026-03-05T11:00:00Z"],
                ["CUST-GAMMA", "F-1002", "2026-03-06T09:00:00Z"],
            ],
            "hold_in_place": [["B-1"], ["B-3"], ["F-1003"]],
            "scope": [[6, 3]],
            ".printsize affected": 6,
            "?- reached(lot, site, _), distributor(site), !recalled(lot).": [
                ["F-1001", "DC-NORTH"],
                ["F-1002", "DC-SOUTH"],
            ],
        })
    );
    // --json writes no files.
    assert!(names_in(out.path()).is_empty());
}

#[test]
fn json_errors_name_code_and_place() {
    let dir = scratch(&[("p.dl", "lot(\"L1\").\nshipped(\"L1\", \"DC07\" .\n")]);
    let assert = tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "--json"])
        .assert()
        .code(1);
    let doc = json(&assert.get_output().stdout);
    assert_eq!(doc["error"]["code"], "parse-error");
    assert_eq!(doc["error"]["file"], "p.dl");
    assert_eq!(doc["error"]["line"], 2);
    assert!(doc["error"]["col"].as_u64().unwrap() > 1);
    assert!(doc["error"]["message"].as_str().unwrap().len() > 5);
    // The rendered diagnostic still goes to stderr.
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("parse-error"));

    tracelog()
        .current_dir(dir.path())
        .args(["check", "p.dl", "--json"])
        .assert()
        .code(1);
}

#[test]
fn bad_facts_point_at_the_data_line_and_write_nothing() {
    let dir = scratch(&[
        ("p.dl", SHIPPED_PROGRAM),
        ("qty.facts", "L1\t12\nL2\ttwelve\nL3\t1\t2\n"),
    ]);
    let assert = tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "-D", "out"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("bad-fact"), "{stderr}");
    assert!(stderr.contains("qty.facts:2:4"), "{stderr}");
    assert!(
        stderr.contains("expected a number (64-bit integer), found `twelve`"),
        "{stderr}"
    );
    assert!(stderr.contains("qty.facts:3:1"), "{stderr}");
    assert!(
        stderr.contains("expected 2 fields for `qty(lot, n)`, found 3"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());

    let assert = tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "--json"])
        .assert()
        .code(1);
    let doc = json(&assert.get_output().stdout);
    assert_eq!(doc["error"]["code"], "bad-fact");
    assert_eq!(doc["error"]["file"], "qty.facts");
    assert_eq!(doc["error"]["line"], 2);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_input_names_both_files_tried() {
    let dir = scratch(&[("p.dl", SHIPPED_PROGRAM)]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "-F", "data"])
        .assert()
        .code(1)
        .stderr(
            contains("input-not-found")
                .and(contains("qty.facts"))
                .and(contains("qty.csv")),
        )
        .stderr(contains("p.dl:2:"));
}

#[test]
fn an_unwritable_output_directory_fails_with_output_failed() {
    let dir = scratch(&[
        ("p.dl", SHIPPED_PROGRAM),
        ("qty.facts", "L1\t12\n"),
        ("blocker", "a file"),
    ]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "-D", "blocker"])
        .assert()
        .code(1)
        .stderr(contains("output-failed"));
}

#[test]
fn check_is_clean_or_dirty() {
    let dir = scratch(&[
        (
            "clean.dl",
            "edge(\"a\", \"b\").\npath(x, y) :- edge(x, y).\n",
        ),
        ("warn.dl", "edge(\"a\", \"b\").\npath(x) :- edg(x, _).\n"),
        (
            "dirty.dl",
            "lot(\"L1\").\nexposed(lot, customer) :- lot(lot).\n",
        ),
    ]);
    tracelog()
        .current_dir(dir.path())
        .args(["check", "clean.dl"])
        .assert()
        .success()
        .stderr("");
    let assert = tracelog()
        .current_dir(dir.path())
        .args(["check", "clean.dl", "--json"])
        .assert()
        .success();
    assert_eq!(
        json(&assert.get_output().stdout),
        serde_json::json!({"ok": true, "warnings": []})
    );
    tracelog()
        .current_dir(dir.path())
        .args(["check", "warn.dl"])
        .assert()
        .success()
        .stderr(contains("unknown-relation"));
    tracelog()
        .current_dir(dir.path())
        .args(["check", "dirty.dl"])
        .assert()
        .code(1)
        .stderr(contains("unbound-variable").and(contains("dirty.dl:2:")));
}

#[test]
fn warnings_do_not_stop_a_run() {
    let dir = scratch(&[(
        "p.dl",
        "edge(\"a\", \"b\").\npath(x) :- edg(x, _).\n.printsize path\n",
    )]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl"])
        .assert()
        .success()
        .stdout("path\t0\n")
        .stderr(contains("unknown-relation"));
}

#[test]
fn plan_prints_the_rules_steps() {
    let dir = scratch(&[(
        "p.dl",
        "edge(\"a\", \"b\").\npath(x, y) :- edge(x, y).\npath(x, z) :- path(x, y), edge(y, z).\n",
    )]);
    tracelog()
        .current_dir(dir.path())
        .args(["plan", "p.dl"])
        .assert()
        .success()
        .stdout(contains("stratum").and(contains("path(x, z) :- path(x, y), edge(y, z).")));
}

#[test]
fn plan_incremental_shows_update_variants_and_rederives_without_a_scan() {
    // Re-deriving `reached(s, l)` must start from the seeded trace, not scan
    // every move: a scan per re-derived tuple made each new trace seed cost
    // time in proportion to the whole database.
    let program = ".decl trace(s: symbol, x: symbol)\n.decl moved(m: symbol, x: symbol)\n\
                   .decl dest(m: symbol, l: symbol)\n.decl reached(s: symbol, l: symbol)\n\
                   .input trace\n.input moved\n.input dest\n\
                   reached(s, l) :- trace(s, x), moved(m, x), dest(m, l).\n";
    let dir = scratch(&[("p.dl", program)]);
    let plain = tracelog()
        .current_dir(dir.path())
        .args(["plan", "p.dl"])
        .assert()
        .success();
    let plain = String::from_utf8_lossy(&plain.get_output().stdout).into_owned();
    assert!(!plain.contains("update:"), "{plain}");
    let assert = tracelog()
        .current_dir(dir.path())
        .args(["plan", "--incremental", "p.dl"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        text.contains("update: changed tuples of moved(m, x)"),
        "{text}"
    );
    let rederive = text
        .split("update: re-derive an overdeleted tuple")
        .nth(1)
        .expect("a re-derivation variant");
    assert!(
        rederive.contains("seed: a head tuple binds (s, l)"),
        "{text}"
    );
    assert!(rederive.contains("join on (s) trace(s, x)"), "{text}");
    assert!(!rederive.contains("scan"), "{text}");
}

#[test]
fn limits_stop_the_run_with_exit_1_and_no_output() {
    let program = "n(0).\nn(x + 1) :- n(x).\n.output n\n";
    let dir = scratch(&[("p.dl", program)]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "--max-tuples", "100"])
        .assert()
        .code(1)
        .stderr(contains("tuple-limit").and(contains("--max-tuples")));
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "--timeout", "0"])
        .assert()
        .code(1)
        .stderr(contains("timeout"));
    let assert = tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl", "--timeout", "0.2", "--json"])
        .assert()
        .code(1);
    assert_eq!(
        json(&assert.get_output().stdout)["error"]["code"],
        "timeout"
    );
    assert_eq!(names_in(dir.path()), ["p.dl"]);
}

#[test]
fn zero_arity_relations_read_lines_and_print_true_or_false() {
    let program = "\
.decl alarm()
.input alarm
.decl quiet()
quiet() :- !alarm().
.output quiet(IO=stdout)
?- alarm().
";
    let dir = scratch(&[("p.dl", program), ("alarm.facts", "\n()\n")]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "p.dl"])
        .assert()
        .success()
        .stdout("quiet\nfalse\n\n?- alarm().\ntrue\n");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let mut program = String::new();
    for idx in 0..30_000 {
        program.push_str(&format!("n({idx}).\n"));
    }
    program.push_str(".output n(IO=stdout)\n");
    let dir = scratch(&[("p.dl", &program)]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("tracelog"))
        .current_dir(dir.path())
        .args(["run", "p.dl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn generate_writes_files_that_agree_with_meta_json() {
    let dir = tempfile::tempdir().unwrap();
    let assert = tracelog()
        .args(["generate", "supply-chain", "3e3"])
        .arg(dir.path().join("gen"))
        .args(["--seed", "11"])
        .assert()
        .success();
    let summary = json(&assert.get_output().stdout);
    let gen_dir = dir.path().join("gen");
    assert_eq!(
        names_in(&gen_dir),
        [
            "consumed.facts",
            "equipment_run.facts",
            "meta.json",
            "shipped.facts",
            "trace_finished.facts",
            "trace_raw.facts"
        ]
    );
    let meta = json(&std::fs::read(gen_dir.join("meta.json")).unwrap());
    let count = |name: &str| {
        std::fs::read_to_string(gen_dir.join(name))
            .unwrap()
            .lines()
            .count() as u64
    };
    assert_eq!(meta["consumed"].as_u64().unwrap(), count("consumed.facts"));
    assert_eq!(meta["shipped"].as_u64().unwrap(), count("shipped.facts"));
    assert_eq!(
        meta["equipment_run"].as_u64().unwrap(),
        count("equipment_run.facts")
    );
    assert_eq!(meta["target_edges"], 3000);
    assert_eq!(meta["seed"], 11);
    assert_eq!(summary["consumed"], meta["consumed"]);
    assert!(summary.get("product_lines").is_none() && meta["product_lines"].is_array());
    let trace_raw = std::fs::read_to_string(gen_dir.join("trace_raw.facts")).unwrap();
    assert_eq!(trace_raw.trim_end(), meta["trace_raw"].as_str().unwrap());
    for key in [
        "q2_affected_lots",
        "q2_exposed_customers",
        "q3_ancestors",
        "q3_raw_ancestors",
        "q3_suppliers",
    ] {
        assert!(meta[key].is_u64(), "{key}");
    }
    // The generated data loads: every consumed edge is two lots.
    let program =
        ".decl consumed(input: symbol, output: symbol)\n.input consumed\n.printsize consumed\n";
    std::fs::write(dir.path().join("load.dl"), program).unwrap();
    tracelog()
        .current_dir(dir.path())
        .args(["run", "load.dl", "-F", "gen"])
        .assert()
        .success()
        .stdout(format!("consumed\t{}\n", meta["consumed"]));
}

#[test]
fn includes_fall_back_to_the_shipped_rule_sets() {
    // No genealogy.dl beside the program: the shipped one (trace_forward is its).
    let dir = scratch(&[(
        "q.dl",
        ".include \"genealogy.dl\"\nconsume(\"B\", \"R\", 1.0, \"KGM\", \"2026-03-01T00:00:00Z\").\nproduce(\"B\", \"F\", 1.0, \"KGM\", \"2026-03-01T00:00:00Z\").\ntrace_seed(\"R\").\n.output trace_forward(IO=stdout)\n",
    )]);
    tracelog()
        .current_dir(dir.path())
        .args(["run", "q.dl"])
        .assert()
        .success()
        .stdout(contains("| R    | F   | 1    |"));
    // A file of that name beside the program wins over the shipped one.
    std::fs::write(
        dir.path().join("genealogy.dl"),
        ".decl trace_forward(seed: symbol, obj: symbol, hops: number)\ntrace_forward(\"mine\", \"x\", 7).\n.decl consume(b: symbol, l: symbol, q: float, u: symbol, t: datetime)\n.decl produce(b: symbol, l: symbol, q: float, u: symbol, t: datetime)\n.decl trace_seed(s: symbol)\n",
    )
    .unwrap();
    tracelog()
        .current_dir(dir.path())
        .args(["run", "q.dl"])
        .assert()
        .success()
        .stdout(contains("mine"));
}
