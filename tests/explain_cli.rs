//! This module runs `tracelog explain` end to end: a proof over `.input`
//! files, a proof over a database with each fact's transaction and line, and
//! the errors for a malformed atom, an unknown relation and a tuple that is
//! not derived; the JSON and DOT formats (snapshots, the JSON's node
//! references), SVG, several rule files, the shipped rule sets over an
//! imported EPCIS document (event ids), and `--as-of` around a retraction.

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

/// A database in `dir/db` of two transactions: 1 `consumed` B1 <- L1 and
/// B2 <- B1 (lots.dl), 2 `recalled` L1 (rec.dl).
fn record_lots(dir: &Path) {
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
    for file in ["lots.dl", "rec.dl"] {
        tracelog(dir)
            .args(["add", file, "--db", "db"])
            .assert()
            .success();
    }
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
    record_lots(dir);
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

/// Runs explain in `dir` and returns stdout (the command must succeed).
fn explain_ok(dir: &Path, args: &[&str]) -> String {
    let out = tracelog(dir).arg("explain").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "explain {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_output_has_the_documented_schema() {
    let tmp = files();
    let text = explain_ok(
        tmp.path(),
        &[r#"affected("B2")"#, "--rules", "g.dl", "--format", "json"],
    );
    insta::assert_snapshot!("explain_json", text);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["journal_head"], serde_json::Value::Null);
    assert_eq!(doc["rules"][0]["file"], "g.dl");
    assert_eq!(doc["rules"][0]["policy"], "genealogy-demo");
    let nodes = doc["nodes"].as_array().unwrap();
    // Round trip of the references: ids are positions, every premise names a
    // node, every node is reached from the root, and a premise's relation is
    // the one its literal names in the rule text.
    let mut reached = vec![false; nodes.len()];
    let mut todo = vec![doc["root"].as_u64().unwrap() as usize];
    while let Some(id) = todo.pop() {
        if std::mem::replace(&mut reached[id], true) {
            continue;
        }
        let node = &nodes[id];
        assert_eq!(node["id"], id);
        match node["kind"].as_str().unwrap() {
            "derived" => {
                let rule = node["rule"]["text"].as_str().unwrap();
                let body = rule.split_once(":-").unwrap().1;
                for premise in node["premises"].as_array().unwrap() {
                    let target = premise["node"].as_u64().unwrap() as usize;
                    assert!(target < nodes.len(), "dangling premise {premise}");
                    let relation = nodes[target]["relation"].as_str().unwrap();
                    assert!(
                        body.contains(&format!("{relation}(")),
                        "{relation} in {rule}"
                    );
                    todo.push(target);
                }
            }
            "base" => assert!(node.get("premises").is_none()),
            other => panic!("unknown kind {other}"),
        }
        let values: Vec<String> = node["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value.to_string())
            .collect();
        assert_eq!(
            node["text"],
            format!(
                "{}({})",
                node["relation"].as_str().unwrap(),
                values.join(", ")
            )
        );
    }
    assert!(reached.iter().all(|&r| r), "unreachable nodes");
    let root = &nodes[doc["root"].as_u64().unwrap() as usize];
    assert_eq!(root["bindings"]["y"], "B2");
    assert_eq!(root["conditions"][0]["kind"], "negation");
    assert_eq!(root["conditions"][0]["text"], "not cleared(\"B2\")");
}

#[test]
fn typed_values_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("t.dl"),
        ".decl m(lot: symbol, n: number, w: float, at: datetime)\nm(\"L\", -3, 1.5, \"2026-03-01T10:00:00+01:00\").\n.decl r(lot: symbol, n: number, w: float, at: datetime)\nr(l, n + 1, w, at) :- m(l, n, w, at).\n",
    )
    .unwrap();
    let text = explain_ok(
        tmp.path(),
        &[
            r#"r("L", -2, 1.5, "2026-03-01T09:00:00Z")"#,
            "--rules",
            "t.dl",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["nodes"][0]["values"],
        serde_json::json!(["L", -2, 1.5, "2026-03-01T09:00:00Z"])
    );
}

#[test]
fn dot_output_and_svg() {
    let tmp = files();
    let dot = explain_ok(
        tmp.path(),
        &[r#"affected("B2")"#, "--rules", "g.dl", "--format", "dot"],
    );
    insta::assert_snapshot!("explain_dot", dot);
    // Written to a file with -o: the same text.
    explain_ok(
        tmp.path(),
        &[
            r#"affected("B2")"#,
            "--rules",
            "g.dl",
            "--format",
            "dot",
            "-o",
            "proof.dot",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("proof.dot")).unwrap(),
        dot
    );
    // Without `dot` on PATH: a stable code, nothing on stdout.
    let empty = tempfile::tempdir().unwrap();
    tracelog(tmp.path())
        .env("PATH", empty.path())
        .args([
            "explain",
            r#"affected("B2")"#,
            "--rules",
            "g.dl",
            "--format",
            "svg",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("error[dot-not-found]"));
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: Graphviz `dot` is not on PATH (the svg is not drawn)");
        return;
    }
    let svg = explain_ok(
        tmp.path(),
        &[r#"affected("B2")"#, "--rules", "g.dl", "--format", "svg"],
    );
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("affected(&quot;B2&quot;)"), "{svg}");
}

#[test]
fn several_rule_files_are_one_program() {
    let tmp = files();
    let (decls, rules) = PROGRAM.split_at(PROGRAM.find("affected(x)").unwrap());
    std::fs::write(tmp.path().join("decls.dl"), decls).unwrap();
    std::fs::write(tmp.path().join("rules.dl"), rules).unwrap();
    for args in [
        &["--rules", "decls.dl", "--rules", "rules.dl"][..],
        &["--rules", "decls.dl,rules.dl"][..],
    ] {
        let mut all = vec![r#"affected("B2")"#];
        all.extend_from_slice(args);
        let out = explain_ok(tmp.path(), &all);
        assert!(out.contains("derived by the rule at rules.dl:2:"), "{out}");
        assert!(out.contains("given fact"), "{out}");
    }
    tracelog(tmp.path())
        .args(["explain", r#"affected("B2")"#, "--rules", "nope.dl"])
        .assert()
        .code(2)
        .stderr(contains("cannot read the program `nope.dl`"));
}

/// A database with one EPCIS document imported (tests/fixtures/trace/chain.jsonld).
fn epcis_db(dir: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace/chain.jsonld");
    tracelog(dir)
        .args(["import", "epcis"])
        .arg(fixture)
        .args(["--db", "db"])
        .assert()
        .success();
}

#[test]
fn shipped_rule_sets_over_an_imported_database() {
    let tmp = tempfile::tempdir().unwrap();
    epcis_db(tmp.path());
    let atom = r#"affected_lot("urn:epc:class:lgtin:9521141.001235.LOT-B")"#;
    let seed = "urn:epc:class:lgtin:9521141.001234.LOT-A";
    let text = explain_ok(tmp.path(), &[atom, "--db", "db", "--seed", seed]);
    assert!(
        text.contains("derived by the rule at rules/recall.dl:"),
        "{text}"
    );
    assert!(text.contains("rules/genealogy.dl:"), "{text}");
    assert!(
        text.contains("EPCIS event urn:uuid:7a000000-0000-4000-8000-000000000001"),
        "{text}"
    );
    assert!(text.contains("by qa.jdoe, from "), "{text}");
    assert!(
        text.contains("computed on journal head seq 1 (sha256 "),
        "{text}"
    );
    let json = explain_ok(
        tmp.path(),
        &[atom, "--db", "db", "--seed", seed, "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["journal_head"]["seq"], 1);
    let files: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "rules/recall.dl",
            "rules/exposure.dl",
            "rules/genealogy.dl",
            "rules/schema.dl"
        ]
    );
    let event = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["relation"] == "event")
        .expect("an event fact among the leaves");
    assert_eq!(event["kind"], "base");
    assert_eq!(event["record"]["seq"], 1);
    assert_eq!(event["record"]["principal"], "qa.jdoe");
    assert_eq!(
        event["record"]["event_id"],
        "urn:uuid:7a000000-0000-4000-8000-000000000001"
    );
    assert!(
        event["record"]["source"]
            .as_str()
            .unwrap()
            .ends_with("chain.jsonld")
    );
    let seed_leaf = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["relation"] == "trace_seed")
        .expect("the seed");
    assert_eq!(seed_leaf["record"], serde_json::Value::Null);
}

#[test]
fn as_of_explains_over_an_earlier_journal_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    record_lots(dir);
    std::fs::write(dir.join("wrong.dl"), "consumed(\"B2\", \"B1\").\n").unwrap();
    tracelog(dir)
        .args([
            "retract",
            "wrong.dl",
            "--reason",
            "wrong batch record",
            "--db",
            "db",
        ])
        .assert()
        .success();
    std::fs::write(dir.join("g.dl"), PROGRAM.replace(".input", "// .input")).unwrap();
    let atom = r#"affected("B2")"#;
    // Before the retraction (transaction 3) the tuple is proved by the retracted fact.
    let text = explain_ok(
        dir,
        &[atom, "--rules", "g.dl", "--db", "db", "--as-of", "2"],
    );
    assert!(text.contains("consumed(\"B2\", \"B1\")"), "{text}");
    assert!(text.contains("recorded fact: transaction 1, "), "{text}");
    assert!(
        text.contains("computed on journal head seq 2 (sha256 ")
            && text.contains("as of an earlier point (the journal's newest is seq 3)"),
        "{text}"
    );
    for as_of in [&["--as-of", "3"][..], &[][..]] {
        let mut args = vec!["explain", atom, "--rules", "g.dl", "--db", "db"];
        args.extend_from_slice(as_of);
        tracelog(dir)
            .args(&args)
            .assert()
            .code(1)
            .stderr(contains("error[not-derived]"));
    }
    tracelog(dir)
        .args(["explain", atom, "--rules", "g.dl", "--as-of", "2"])
        .assert()
        .code(2)
        .stderr(contains("--as-of needs a database"));
    tracelog(dir)
        .args([
            "explain", atom, "--rules", "g.dl", "--db", "db", "--as-of", "9",
        ])
        .assert()
        .code(1)
        .stderr(contains("error[bad-as-of]"));
}
