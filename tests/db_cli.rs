//! This module runs the database commands of the `tracelog` binary end to
//! end: `db init`, `add`, `retract` (and corrections), `log`, `history`,
//! `verify`, `run --db` with `--as-of`, the `tx` relation, snapshots, and the
//! bad inputs that must record nothing.

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

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(bytes)))
}

const GENEALOGY: &str = r#"
.decl consumed(lot: symbol, batch: symbol)
.decl descendant(a: symbol, b: symbol)
descendant(a, b) :- consumed(a, b).
descendant(a, c) :- descendant(a, b), consumed(b, c).
.output descendant
"#;

/// A database with two lots consumed into B-1, and B-1 into P-9.
fn database() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tracelog(dir)
        .args(["db", "init", "--db", "db"])
        .assert()
        .success()
        .stdout(contains("created the database db"));
    write(
        dir,
        "lots.dl",
        ".decl consumed(lot: symbol, batch: symbol)\nconsumed(\"L-1\", \"B-1\").\nconsumed(\"L-2\", \"B-1\").\nconsumed(\"B-1\", \"P-9\").\n",
    );
    tracelog(dir)
        .args(["add", "lots.dl", "--db", "db"])
        .assert()
        .success()
        .stdout(contains(
            "recorded transaction 1 in db: 3 asserted, 0 retracted",
        ));
    write(dir, "genealogy.dl", GENEALOGY);
    tmp
}

fn head(dir: &Path) -> serde_json::Value {
    let out = tracelog(dir)
        .args(["log", "--db", "db", "--json"])
        .output()
        .unwrap();
    json(&out.stdout)["journal"].clone()
}

fn descendants(dir: &Path, extra: &[&str]) -> Vec<Vec<String>> {
    let out = tracelog(dir)
        .args(["run", "genealogy.dl", "--db", "db", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_value(json(&out.stdout)["descendant"].clone()).unwrap()
}

#[test]
fn facts_added_are_evaluated_and_retractions_keep_history() {
    let tmp = database();
    let dir = tmp.path();
    assert_eq!(descendants(dir, &[]).len(), 5);
    write(dir, "wrong.dl", "consumed(\"L-2\", \"B-1\").\n");
    tracelog(dir)
        .args([
            "retract",
            "wrong.dl",
            "--db",
            "db",
            "--reason",
            "scanned the wrong lot",
        ])
        .assert()
        .success()
        .stdout(contains(
            "recorded transaction 2 in db: 0 asserted, 1 retracted",
        ));
    let now = descendants(dir, &[]);
    assert_eq!(now.len(), 3);
    assert!(!now.iter().any(|row| row[0] == "L-2"));
    // As of transaction 1 the answer is the earlier one, exactly.
    assert_eq!(descendants(dir, &["--as-of", "1"]).len(), 5);
    let history = tracelog(dir)
        .args([
            "history",
            r#"consumed("L-2", "B-1")"#,
            "--db",
            "db",
            "--json",
        ])
        .output()
        .unwrap();
    let history = json(&history.stdout);
    assert_eq!(history["live"], false);
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["assert", "retract"]);
    assert_eq!(history["history"][1]["reason"], "scanned the wrong lot");
    assert_eq!(history["history"][0]["principal"], "qa.jdoe");
    assert_eq!(history["history"][0]["source"]["line"], 3);
}

#[test]
fn a_correction_is_one_transaction() {
    let tmp = database();
    let dir = tmp.path();
    write(dir, "old.dl", "consumed(\"L-2\", \"B-1\").\n");
    write(dir, "new.dl", "consumed(\"L-3\", \"B-1\").\n");
    tracelog(dir)
        .args([
            "retract",
            "old.dl",
            "--add",
            "new.dl",
            "--reason",
            "lot number typo",
            "--db",
            "db",
        ])
        .assert()
        .success()
        .stdout(contains("transaction 2 in db: 1 asserted, 1 retracted"));
    let log = json(
        &tracelog(dir)
            .args(["log", "--db", "db", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(log["transactions"][1]["channel"], "correct");
    let rows = descendants(dir, &[]);
    assert!(rows.iter().any(|row| row[0] == "L-3"));
    assert!(!rows.iter().any(|row| row[0] == "L-2"));
}

#[test]
fn every_output_names_the_journal_head_it_was_computed_on() {
    let tmp = database();
    let dir = tmp.path();
    let head = head(dir);
    assert_eq!(head["seq"], 1);
    let hash = head["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    let out = tracelog(dir)
        .args(["run", "genealogy.dl", "--db", "db", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["journal"]["hash"], hash.as_str());
    write(
        dir,
        "table.dl",
        &GENEALOGY.replace(".output descendant", ".output descendant(IO=stdout)"),
    );
    tracelog(dir)
        .args(["run", "table.dl", "--db", "db"])
        .assert()
        .success()
        .stdout(contains(format!(
            "computed on journal head seq 1 (sha256 {hash})"
        )));
    tracelog(dir)
        .args(["verify", "--db", "db"])
        .assert()
        .success()
        .stdout(contains(format!("seq 1  hash {hash}")))
        .stdout(contains("RESULT PASS"));
}

#[test]
fn the_journal_is_queryable_as_the_tx_relation() {
    let tmp = database();
    let dir = tmp.path();
    write(
        dir,
        "who.dl",
        ".decl tx(seq: number, recorded_at: datetime, principal: symbol, channel: symbol, source: symbol, reason: symbol)\n.decl who(seq: number, principal: symbol)\nwho(s, p) :- tx(s, _, p, _, _, _).\n.output who\n",
    );
    let out = tracelog(dir)
        .args(["run", "who.dl", "--db", "db", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&out.stdout)["who"],
        serde_json::json!([[1, "qa.jdoe"]])
    );
    // `tx` has six columns; another arity is a located error.
    write(dir, "bad.dl", ".decl tx(seq: number)\n.output tx\n");
    tracelog(dir)
        .args(["run", "bad.dl", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[arity-mismatch]"))
        .stderr(contains("bad.dl:1:7"));
}

#[test]
fn as_of_a_time_takes_the_transactions_recorded_by_then() {
    let tmp = database();
    let dir = tmp.path();
    tracelog(dir)
        .args([
            "run",
            "genealogy.dl",
            "--db",
            "db",
            "--as-of",
            "2000-01-01T00:00:00Z",
            "--json",
        ])
        .assert()
        .success()
        .stdout(contains("\"descendant\": []"));
    assert_eq!(
        descendants(dir, &["--as-of", "2999-01-01T00:00:00Z"]).len(),
        5
    );
    tracelog(dir)
        .args(["run", "genealogy.dl", "--db", "db", "--as-of", "9"])
        .assert()
        .code(1)
        .stderr(contains("error[bad-as-of]"));
    tracelog(dir)
        .args(["run", "genealogy.dl", "--db", "db", "--as-of", "yesterday"])
        .assert()
        .code(2)
        .stderr(contains("neither a transaction number"));
}

#[test]
fn bad_input_records_nothing() {
    let tmp = database();
    let dir = tmp.path();
    let before = head(dir);
    // A type error on the last line: the good lines before it are not recorded either.
    write(
        dir,
        "qty.dl",
        ".decl qty(lot: symbol, n: number)\nqty(\"L-1\", 4).\nqty(\"L-2\", \"many\").\n",
    );
    tracelog(dir)
        .args(["add", "qty.dl", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[type-mismatch]"))
        .stderr(contains("qty.dl:"))
        .stderr(contains("3 │ qty(\"L-2\", \"many\")"));
    write(dir, "rule.dl", "p(x) :- consumed(x, _).\n");
    tracelog(dir)
        .args(["add", "rule.dl", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[not-a-fact]"));
    write(dir, "consumed.tsv", "L-7\tB-2\nL-8\n");
    tracelog(dir)
        .args(["add", "consumed.tsv", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[bad-fact]"))
        .stderr(contains("consumed.tsv:2:1"));
    write(dir, "wide.tsv", "L-7\tB-2\tX\n");
    tracelog(dir)
        .args(["add", "wide.tsv", "--relation", "consumed", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[arity-mismatch]"));
    write(
        dir,
        "gone.dl",
        "consumed(\"L-9\", \"B-1\").\nconsumed(\"L-1\", \"B-1\").\n",
    );
    tracelog(dir)
        .args(["retract", "gone.dl", "--db", "db", "--reason", "x"])
        .assert()
        .code(1)
        .stderr(contains("error[not-asserted]"))
        .stderr(contains("gone.dl:1:1"));
    tracelog(dir)
        .args(["retract", "gone.dl", "--db", "db", "--reason", "  "])
        .assert()
        .code(1)
        .stderr(contains("error[reason-required]"));
    tracelog(dir)
        .args(["add", "lots.dl", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[already-recorded]"))
        .stderr(contains("transaction 1 by qa.jdoe"));
    assert_eq!(head(dir), before);
    // Forced, the same file adds nothing new, and says so.
    tracelog(dir)
        .args(["add", "lots.dl", "--db", "db", "--force"])
        .assert()
        .success()
        .stdout(contains("nothing new to record"));
    assert_eq!(head(dir), before);
}

#[test]
fn tsv_csv_and_stdin_inputs_are_recorded_with_their_source() {
    let tmp = database();
    let dir = tmp.path();
    write(dir, "shipped.csv", "lot,customer\n\"P-9\",\"ACME, Inc.\"\n");
    tracelog(dir)
        .args([
            "add",
            "shipped.csv",
            "--db",
            "db",
            "--as",
            "shipper.kim",
            "--reason",
            "daily upload",
        ])
        .assert()
        .success()
        .stdout(contains("transaction 2"));
    tracelog(dir)
        .args([
            "add",
            "-",
            "--relation",
            "consumed",
            "--format",
            "tsv",
            "--db",
            "db",
        ])
        .write_stdin("P-9\tK-1\n")
        .assert()
        .success()
        .stdout(contains("transaction 3"));
    let log = json(
        &tracelog(dir)
            .args(["log", "--db", "db", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    let tx = &log["transactions"];
    assert_eq!(tx[1]["principal"], "shipper.kim");
    assert_eq!(tx[1]["reason"], "daily upload");
    assert_eq!(tx[1]["source"]["path"], "shipped.csv");
    assert_eq!(tx[1]["source"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(tx[2]["source"]["path"], "-");
    assert!(
        descendants(dir, &[])
            .iter()
            .any(|row| row == &["L-1", "K-1"])
    );
    tracelog(dir)
        .args(["log", "--db", "db"])
        .assert()
        .success()
        .stdout(contains("| 2   |"))
        .stdout(contains("shipper.kim"))
        .stdout(contains("3 records; journal head seq 3"));
}

#[test]
fn a_missing_database_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "f.dl", "p(\"x\").\n");
    tracelog(dir)
        .args(["add", "f.dl", "--db", "nowhere"])
        .assert()
        .code(1)
        .stderr(contains("error[database-not-found]"))
        .stderr(contains("tracelog db init"));
    tracelog(dir)
        .args(["db", "init", "--db", "d"])
        .assert()
        .success();
    tracelog(dir)
        .args(["db", "init", "--db", "d"])
        .assert()
        .code(1)
        .stderr(contains("error[database-exists]"));
    // TRACELOG_DB names the database when --db is absent.
    tracelog(dir)
        .env("TRACELOG_DB", "d")
        .args(["add", "f.dl"])
        .assert()
        .success()
        .stdout(contains("recorded transaction 1 in d"));
}

#[test]
fn snapshots_open_the_same_state_and_a_stale_one_is_ignored() {
    let tmp = database();
    let dir = tmp.path();
    tracelog(dir)
        .args(["db", "snapshot", "--db", "db"])
        .assert()
        .success()
        .stdout(contains("3 live facts"));
    write(dir, "more.dl", "consumed(\"P-9\", \"K-1\").\n");
    tracelog(dir)
        .args(["add", "more.dl", "--db", "db"])
        .assert()
        .success();
    // The snapshot covers seq 1; seq 2 is replayed on top of it.
    assert_eq!(descendants(dir, &[]).len(), 9);
    // A damaged snapshot is ignored: the journal is the truth.
    let snap = std::fs::read_dir(dir.join("db/snapshots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&snap).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&snap, bytes).unwrap();
    assert_eq!(descendants(dir, &[]).len(), 9);
    assert_eq!(descendants(dir, &["--as-of", "1"]).len(), 5);
}

#[test]
fn verify_names_the_first_bad_record() {
    let tmp = database();
    let dir = tmp.path();
    write(dir, "more.dl", "consumed(\"P-9\", \"K-1\").\n");
    tracelog(dir)
        .args(["add", "more.dl", "--db", "db"])
        .assert()
        .success();
    let journal = dir.join("db/journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    // Damage a byte inside the first record's payload.
    let pos = bytes
        .windows(3)
        .position(|window| window == b"L-1")
        .unwrap();
    bytes[pos] = b'X';
    std::fs::write(&journal, &bytes).unwrap();
    tracelog(dir)
        .args(["verify", "--db", "db"])
        .assert()
        .code(1)
        .stdout(contains("RESULT FAIL"))
        .stdout(contains("crc-mismatch"));
    let out = tracelog(dir)
        .args(["verify", "--db", "db", "--json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(report["result"], "fail");
    assert_eq!(report["first_failure"]["kind"], "crc-mismatch");
    assert_eq!(report["first_failure"]["seq"], 1);
    // A damaged journal is never written to.
    tracelog(dir)
        .args(["add", "lots.dl", "--db", "db", "--force"])
        .assert()
        .code(1)
        .stderr(contains("error[journal-corrupt]"));
    assert_eq!(std::fs::read(&journal).unwrap(), bytes);
}

#[test]
fn two_writers_at_once_never_interleave() {
    let tmp = database();
    let dir = tmp.path();
    // Two large transactions started together: one waits for the other's lock.
    for (name, prefix) in [("a.tsv", "A"), ("b.tsv", "B")] {
        let rows: String = (0..20_000)
            .map(|idx| format!("{prefix}-{idx}\tB-1\n"))
            .collect();
        write(dir, name, &rows);
    }
    let spawn = |name: &str| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin!("tracelog"))
            .current_dir(dir)
            .env("TRACELOG_USER", "qa.jdoe")
            .args(["add", name, "--relation", "consumed", "--db", "db"])
            .output()
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| spawn("a.tsv").unwrap());
        let b = scope.spawn(|| spawn("b.tsv").unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    tracelog(dir)
        .args(["verify", "--db", "db"])
        .assert()
        .success()
        .stdout(contains("records      3"));
    let log = json(
        &tracelog(dir)
            .args(["log", "--db", "db", "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    let counts: Vec<u64> = log["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tx| tx["asserted"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 20_000, 20_000]);
    assert!(
        predicate::str::contains("A-19999").eval(&String::from_utf8_lossy(
            &tracelog(dir)
                .args(["history", r#"consumed("A-19999", "B-1")"#, "--db", "db"])
                .output()
                .unwrap()
                .stdout
        ))
    );
}

#[test]
fn a_writer_waits_for_the_lock_then_says_who_holds_it() {
    let tmp = database();
    let dir = tmp.path();
    write(dir, "more.dl", "consumed(\"P-9\", \"K-1\").\n");
    let holder = tracelog::db::Writer::open(&dir.join("db"), std::time::Duration::from_secs(1))
        .unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    tracelog(dir)
        .env("TRACELOG_LOCK_WAIT", "0.3")
        .args(["add", "more.dl", "--db", "db"])
        .assert()
        .code(1)
        .stderr(contains("error[database-locked]"));
    drop(holder);
    tracelog(dir)
        .args(["add", "more.dl", "--db", "db"])
        .assert()
        .success();
}

/// Every database error code, as an analyst sees it (hashes, times and
/// scratch paths masked), kept as an insta snapshot.
#[test]
fn database_errors_render_stably() {
    let tmp = database();
    let dir = tmp.path();
    let mut transcript = String::new();
    let mut run = |title: &str, args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = tracelog(dir);
        cmd.args(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        let out = cmd.output().unwrap();
        transcript.push_str(&format!(
            "## {title}\n$ tracelog {}\nexit {}\n{}\n",
            args.join(" "),
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    write(dir, "rule.dl", "p(\"x\").\nq(x) :- p(x).\n");
    write(dir, "gone.dl", "consumed(\"L-9\", \"B-1\").\n");
    run(
        "database-not-found",
        &["add", "lots.dl", "--db", "nowhere"],
        &[],
    );
    run("database-exists", &["db", "init", "--db", "db"], &[]);
    run("not-a-fact", &["add", "rule.dl", "--db", "db"], &[]);
    run(
        "not-asserted",
        &["retract", "gone.dl", "--reason", "typo", "--db", "db"],
        &[],
    );
    run(
        "reason-required",
        &["retract", "lots.dl", "--reason", "", "--db", "db"],
        &[],
    );
    run("already-recorded", &["add", "lots.dl", "--db", "db"], &[]);
    run("bad-as-of", &["log", "--as-of", "5", "--db", "db"], &[]);
    {
        let _holder =
            tracelog::db::Writer::open(&dir.join("db"), std::time::Duration::from_secs(1))
                .unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
        run(
            "database-locked",
            &["add", "gone.dl", "--db", "db"],
            &[("TRACELOG_LOCK_WAIT", "0.2")],
        );
    }
    let journal = dir.join("db/journal");
    let good = std::fs::read(&journal).unwrap();
    let mut damaged = good.clone();
    let pos = damaged.windows(3).position(|w| w == b"L-1").unwrap();
    damaged[pos] = b'X';
    damaged.extend_from_slice(&good[good.len() - 100..]);
    std::fs::write(&journal, &damaged).unwrap();
    run("journal-corrupt", &["add", "gone.dl", "--db", "db"], &[]);
    std::fs::remove_file(&journal).unwrap();
    std::fs::create_dir(&journal).unwrap();
    run("journal-io", &["log", "--db", "db"], &[]);
    let masked = mask(&transcript, dir);
    insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("database_errors", masked);
    });
    for code in tracelog::diagnostic::Code::ALL
        .iter()
        .filter(|code| code.reference() == "docs/database.md")
    {
        assert!(
            transcript.contains(&format!("error[{}]", code.as_str())),
            "no case shows {code}: {transcript}"
        );
    }
}

/// Masks what changes from run to run: hex hashes, CRCs, times, the scratch directory.
fn mask(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[DIR]");
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut idx = 0;
    while idx < bytes.len() {
        let run = bytes[idx..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            .count();
        if run >= 12 {
            out.push_str("[HASH]");
            idx += run;
            continue;
        }
        if bytes[idx..].len() >= 20
            && bytes[idx..idx + 4].iter().all(u8::is_ascii_digit)
            && bytes[idx + 4] == b'-'
            && bytes[idx + 10] == b'T'
        {
            let end = bytes[idx..]
                .iter()
                .position(|&b| b == b'Z')
                .map_or(bytes.len(), |p| idx + p + 1);
            out.push_str("[TIME]");
            idx = end;
            continue;
        }
        if text[idx..].starts_with("crc ")
            && bytes.len() >= idx + 12
            && bytes[idx + 4..idx + 12].iter().all(u8::is_ascii_hexdigit)
        {
            out.push_str("crc [CRC]");
            idx += 12;
            continue;
        }
        let ch = text[idx..].chars().next().unwrap();
        out.push(ch);
        idx += ch.len_utf8();
    }
    out
}

#[test]
fn an_image_of_a_program_gives_the_same_answers() {
    let tmp = database();
    let dir = tmp.path();
    let before = descendants(dir, &[]);
    tracelog(dir)
        .args(["db", "snapshot", "--db", "db", "--rules", "genealogy.dl"])
        .assert()
        .success()
        .stdout(contains("the derived relations of genealogy.dl"));
    assert_eq!(descendants(dir, &[]), before);
    // A transaction after the image is applied on top of it.
    write(dir, "more.dl", "consumed(\"P-9\", \"K-1\").\n");
    tracelog(dir)
        .args(["add", "more.dl", "--db", "db"])
        .assert()
        .success();
    let after = descendants(dir, &[]);
    assert_eq!(after.len(), 9);
    // The same answers as evaluating with files as well (the path without images).
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    assert_eq!(descendants(dir, &["-F", "empty"]), after);
    assert_eq!(descendants(dir, &["--as-of", "1"]), before);
}

#[test]
fn policy_diff_shows_lots_entering_and_leaving_the_scope() {
    let tmp = database();
    let dir = tmp.path();
    write(
        dir,
        "v1.dl",
        ".policy \"scope\" version \"1.0.0\"\n.decl consumed(lot: symbol, batch: symbol)\n.decl scope(lot: symbol)\nscope(b) :- consumed(\"L-1\", b).\nscope(c) :- scope(b), consumed(b, c).\n",
    );
    write(
        dir,
        "v2.dl",
        ".policy \"scope\" version \"2.0.0\"\n.decl consumed(lot: symbol, batch: symbol)\n.decl scope(lot: symbol)\nscope(b) :- consumed(\"L-1\", b).\nscope(b) :- consumed(\"L-2\", b).\nscope(x) :- consumed(x, \"B-1\").\n",
    );
    let out = tracelog(dir)
        .args(["policy", "diff", "v1.dl", "v2.dl", "--db", "db", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out.stdout);
    // v1: B-1 and P-9 (through B-1). v2: B-1, and the lots that went into B-1.
    let scope = &doc["relations"][0];
    assert_eq!(scope["relation"], "scope");
    assert_eq!(scope["appeared"], serde_json::json!([["L-1"], ["L-2"]]));
    assert_eq!(scope["disappeared"], serde_json::json!([["P-9"]]));
    assert_eq!(scope["unchanged"], 1);
    assert_eq!(doc["old"][0]["version"], "1.0.0");
    assert_eq!(doc["new"][0]["version"], "2.0.0");
    assert_eq!(doc["new"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(doc["journal"]["seq"], 1);
    tracelog(dir)
        .args(["policy", "diff", "v1.dl", "v2.dl", "--db", "db"])
        .assert()
        .success()
        .stdout(contains("scope: 2 appeared, 1 disappeared, 1 unchanged"))
        .stdout(contains("| -      | P-9 |"))
        .stdout(contains("new: v2.dl scope 2.0.0 sha256"));
}
