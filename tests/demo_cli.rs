//! `tracelog demo`, the README's first command: it writes the bundled scenario,
//! imports it into a fresh database, recalls the contaminated lot and finds the
//! scope the scenario's own model gives (examples/demo/expected_scope.json).

use assert_cmd::Command;
use predicates::str::contains;

#[test]
fn the_demo_runs_end_to_end_and_finds_the_expected_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let assert = Command::cargo_bin("tracelog")
        .unwrap()
        .args(["demo", "--dir"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("Imported 2036 events (1 error declaration)"))
        .stdout(contains(
            "scope: 24 lots, 273 items, 18 containers, 72 shipments, 22 consignee sites",
        ))
        .stdout(contains("the same 24 lots"));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let report = dir.join("report");
    for name in ["report.md", "report.json", "fsma204.csv", "genealogy.dot"] {
        assert!(report.join(name).is_file(), "{name} missing:\n{stdout}");
    }
    // Graphviz present: the picture; absent: the command says so, never silently.
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if has_dot {
        assert!(report.join("genealogy.svg").is_file());
    } else {
        eprintln!("dot not installed: checking the note instead of genealogy.svg");
        assert!(stdout.contains("dot not found"), "{stdout}");
    }
    // The database is a real one: its journal verifies.
    Command::cargo_bin("tracelog")
        .unwrap()
        .args(["verify", "--db"])
        .arg(dir.join("db"))
        .assert()
        .success();
}

#[test]
fn the_demo_refuses_a_directory_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    Command::cargo_bin("tracelog")
        .unwrap()
        .args(["demo", "--dir"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(contains("is not empty"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
}
