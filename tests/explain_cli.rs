//! This module runs `tracelog explain` end to end: a proof over `.input`
//! files, a proof over a database with each fact's transaction and line, and
//! the errors for a malformed atom, an unknown relation and a tuple that is
//! not derived.

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use predicates::str::contains;

fn tracelog(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("tracelog");
    cmd.current_dir(dir)
        .env("TRACELOG_USER", "qa.jdoe")
        .env_remove("TRACELOG_DB");
    cmd
}

const PROGRAM: &str = r#".policy "genealogy-demo" version "1.0.0"
.decl consumed(output: symbol, input: symbol)
.decl recalled(lot: symbol)
.decl cleared(lot: symbol)
.decl affected(lot: symbol)
.input consumed
.input recalled
.input cleared
affected(x) :- recalled(x).
affected(y) :- affected(x), consumed(y, x), !cleared(y).
"#;

fn files() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("g.dl"), PROGRAM).unwrap();
    std::fs::write(dir.join("consumed.facts"), "B1\tL1\nB2\tB1\nB9\tL9\n").unwrap();
    std::fs::write(dir.join("recalled.facts"), "L1\n").unwrap();
    std::fs::write(dir.join("cleared.facts"), "").unwrap();
    tmp
}

#[test]
fn explains_a_tuple_from_input_files() {
    let tmp = files();
    tracelog(tmp.path())
        .args(["explain", r#"affected("B2")"#, "--rules", "g.dl"])
        .assert()
        .success()
        .stdout(contains(
            "derived by the rule at g.dl:10 (policy genealogy-demo version 1.0.0)",
        ))
        .stdout(contains("with y = \"B2\", x = \"B1\""))
        .stdout(contains("- not cleared(\"B2\")"))
        .stdout(contains("- consumed(\"B1\", \"L1\")").and(contains("given fact")));
}

#[test]
fn bad_atoms_are_diagnosed() {
    let tmp = files();
    tracelog(tmp.path())
        .args(["explain", r#"affected("B9")"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains(
            "error[not-derived]: affected(\"B9\") is not derived",
        ));
    tracelog(tmp.path())
        .args(["explain", r#"afected("B2")"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stderr(contains("error[unknown-relation]").and(contains("did you mean `affected`?")));
    tracelog(tmp.path())
        .args(["explain", r#"affected("B2""#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stderr(contains("error[parse-error]").and(contains("<atom>:1:")));
    tracelog(tmp.path())
        .args(["explain", r#"affected("B2", 1)"#, "--rules", "g.dl"])
        .assert()
        .code(1)
        .stderr(contains("error[arity-mismatch]"));
}

#[test]
fn facts_from_a_database_show_their_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tracelog(dir)
        .args(["db", "init", "--db", "db"])
        .assert()
        .success();
    std::fs::write(
        dir.join("lots.dl"),
        ".decl consumed(output: symbol, input: symbol)\nconsumed(\"B1\", \"L1\").\nconsumed(\"B2\", \"B1\").\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rec.dl"),
        ".decl recalled(lot: symbol)\nrecalled(\"L1\").\n",
    )
    .unwrap();
    tracelog(dir)
        .args(["add", "lots.dl", "--db", "db"])
        .assert()
        .success();
    tracelog(dir)
        .args(["add", "rec.dl", "--db", "db"])
        .assert()
        .success();
    std::fs::write(dir.join("g.dl"), PROGRAM.replace(".input", "// .input")).unwrap();
    tracelog(dir)
        .args([
            "explain",
            r#"affected("B2")"#,
            "--rules",
            "g.dl",
            "--db",
            "db",
        ])
        .assert()
        .success()
        .stdout(
            contains("recorded fact: transaction 1, ")
                .and(contains("by qa.jdoe, from lots.dl (sha256 ")),
        )
        .stdout(contains(") line 3"))
        .stdout(contains("recorded fact: transaction 2, "))
        .stderr(contains("recalled").not());
}
