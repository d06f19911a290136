//! This module checks `tracelog recall`: the report's scope on the demo
//! scenario against the scope its generator computed (examples/demo/
//! expected_scope.json), the whole Markdown report of a small hand-made plant
//! (tests/fixtures/recall, snapshot), the FSMA 204 spreadsheet and its date
//! range, the Graphviz graph, and the errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

const SEED: &str = "urn:epc:class:lgtin:0860001.010001.SP-0304";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// The demo scenario imported into `db`.
fn demo_db(db: &Path) {
    let demo = root().join("examples/demo");
    cargo_bin_cmd!("tracelog")
        .args(["import", "epcis"])
        .args(files(&demo, "jsonld"))
        .arg("--db")
        .arg(db)
        .assert()
        .success();
    cargo_bin_cmd!("tracelog")
        .args(["import", "csv"])
        .args(files(&demo.join("plant"), "csv"))
        .arg("--db")
        .arg(db)
        .assert()
        .success();
}

/// The hand-made plant of tests/fixtures/recall imported into `db`.
fn fixture_db(db: &Path) {
    cargo_bin_cmd!("tracelog")
        .args(["import", "csv"])
        .args(files(&root().join("tests/fixtures/recall"), "csv"))
        .arg("--db")
        .arg(db)
        .assert()
        .success();
}

fn recall(db: &Path, out: &Path, extra: &[&str], seeds: &[&str]) -> assert_cmd::assert::Assert {
    cargo_bin_cmd!("tracelog")
        .arg("recall")
        .args(seeds)
        .arg("--db")
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The demo's recall scope equals the one its generator computed from its own
/// model. One difference of wording only: examples/demo/README.md says "21
/// locations", but its own list (plant, two DCs, 19 stores) and
/// expected_scope.json's `locations_reached` hold 22, as the rules find.
#[test]
fn demo_scope_matches_the_generator() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let out = tmp.path().join("report");
    demo_db(&db);
    let assert = recall(&db, &out, &[], &[SEED]).success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("scope: 24 lots, 273 items, 18 containers, 72 shipments"),
        "{stdout}"
    );
    let expected = json(&root().join("examples/demo/expected_scope.json"));
    let report = json(&out.join("report.json"));
    let summary = &report["summary"];
    let lots: BTreeSet<&str> = expected["affected_lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lot"].as_str().unwrap())
        .collect();
    let got_lots: BTreeSet<&str> = report["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lot"].as_str().unwrap())
        .collect();
    assert_eq!(got_lots, lots);
    assert_eq!(summary["lots"], 24);
    assert_eq!(summary["items"], expected["affected_cases"]);
    assert_eq!(
        summary["shipments"],
        expected["shipments_with_affected_product"]
    );
    let pallets: BTreeSet<&str> = expected["affected_pallets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let containers: BTreeSet<&str> = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["container"].as_str().unwrap())
        .collect();
    assert_eq!(containers, pallets);
    let locations: BTreeSet<&str> = expected["locations_reached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let consignee_locations: BTreeSet<&str> = report["consignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["loc"].as_str().unwrap())
        .collect();
    assert_eq!(consignee_locations, locations);
    assert_eq!(summary["locations"], 22);
    let hold: BTreeSet<(String, String, String, String)> = expected["inventory_to_hold"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["lot"].as_str().unwrap().to_owned(),
                h["loc"].as_str().unwrap().to_owned(),
                h["qty"].as_f64().unwrap().to_string(),
                h["uom"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let got_hold: BTreeSet<(String, String, String, String)> = report["hold_inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["lot"].as_str().unwrap().to_owned(),
                h["loc"].as_str().unwrap().to_owned(),
                h["qty"].as_f64().unwrap().to_string(),
                h["uom"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got_hold.len(), 56);
    assert_eq!(got_hold, hold);

    // Why: the seed, genealogy, and MX1 carrying the contamination into 6 March.
    let why = |code: &str| -> String {
        report["lots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lot_code"] == code)
            .map(|l| format!("{} | {}", l["reason"], l["why"]))
            .unwrap()
    };
    assert_eq!(why("SP-0304"), "\"seed\" | \"seed\"");
    assert_eq!(why("F03041"), "\"made_from\" | \"made from SP-0304\"");
    assert!(
        why("F03061").starts_with("\"shared_equipment\""),
        "{}",
        why("F03061")
    );
    assert!(why("F03061").contains("MX1"));

    // The report names its rule files and journal head.
    let rule_files: Vec<&str> = report["rule_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(rule_files.contains(&"rules/recall.dl") && rule_files.contains(&"rules/audit.dl"));
    assert_eq!(report["journal"]["seq"], 19);

    // FSMA 204: the three CTEs, every row about an affected lot, sorted by date then TLC.
    let (header, rows) = csv_rows(&out.join("fsma204.csv"));
    assert_eq!(header, tracelog::recall_report::FSMA204_COLUMNS);
    let ctes: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ctes,
        BTreeSet::from(["Receiving", "Shipping", "Transformation"])
    );
    assert!(rows.iter().all(|r| lots.contains(r[5].as_str())));
    let keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[1].as_str(), r[3].as_str()))
        .collect();
    assert!(keys.is_sorted());
    // The supplier's shipment of the seed: 500 kg from Salinas to the plant.
    let first = &rows[0];
    assert_eq!(
        (
            first[0].as_str(),
            first[3].as_str(),
            first[8].as_str(),
            first[9].as_str()
        ),
        ("Shipping", "SP-0304", "500", "KGM")
    );
    assert_eq!(first[4], "00860001100013", "GTIN-14 of the LGTIN");
    assert!(first[10].starts_with("Salinas Valley Greens packhouse"));
    assert!(first[14].starts_with("Northfield Foods plant"));
    // A pallet shipment becomes one row per lot on it, counting its cases.
    assert!(
        rows.iter()
            .any(|r| r[0] == "Shipping" && r[3].starts_with('P') && r[9] == "EA"),
        "pallet shipments give rows per lot"
    );

    // The date range: only records of 5 March (local time).
    let out2 = tmp.path().join("report-0305");
    recall(
        &db,
        &out2,
        &["--from", "2026-03-05", "--to", "2026-03-05"],
        &[SEED],
    )
    .success();
    let (_, day) = csv_rows(&out2.join("fsma204.csv"));
    assert!(!day.is_empty() && day.len() < rows.len());
    assert!(day.iter().all(|r| r[1] == "2026-03-05"));
    assert_eq!(
        day.len(),
        rows.iter().filter(|r| r[1] == "2026-03-05").count()
    );

    // The graph: every affected lot, the seed highlighted, MX1 edges dashed.
    let dot = std::fs::read_to_string(out.join("genealogy.dot")).unwrap();
    check_dot(&dot, 24);
    assert!(dot.contains("style=dashed") && dot.contains("same MX1"));
}

/// A DOT graph is well formed enough: a digraph whose edges join declared nodes.
fn check_dot(dot: &str, nodes: usize) {
    assert!(dot.starts_with("digraph genealogy {") && dot.trim_end().ends_with('}'));
    let mut declared = BTreeSet::new();
    let mut edges = Vec::new();
    for line in dot.lines().map(str::trim) {
        if let Some((from, rest)) = line.split_once(" -> ") {
            let to = rest.split([' ', ';']).next().unwrap();
            edges.push((from.to_owned(), to.to_owned()));
        } else if line.starts_with('n') && line.contains(" [label=") {
            declared.insert(line.split(' ').next().unwrap().to_owned());
        }
    }
    assert_eq!(declared.len(), nodes);
    assert!(!edges.is_empty());
    for (from, to) in &edges {
        assert!(
            declared.contains(from) && declared.contains(to),
            "{from} -> {to}"
        );
    }
}

/// Masks what changes from run to run: times, paths, hashes.
fn masked(text: &str, tmp: &Path) -> String {
    let text = text.replace(&tmp.display().to_string(), "[TMP]");
    let mut out = String::new();
    for line in text.lines() {
        // Whether Graphviz is installed is the machine's business.
        if line.starts_with("dot ") {
            continue;
        }
        let line = line.replace(", genealogy.svg", "");
        let line = if line.starts_with("- Generated: ") {
            "- Generated: [TIME]".to_owned()
        } else {
            line
        };
        // 64-hex SHA-256 values.
        let mut masked_line = String::new();
        let mut run = String::new();
        for c in line.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() {
                run.push(c);
            } else {
                if run.len() == 64 {
                    masked_line.push_str("[SHA256]");
                } else {
                    masked_line.push_str(&run);
                }
                run.clear();
                masked_line.push(c);
            }
        }
        masked_line.pop();
        out.push_str(masked_line.trim_end());
        out.push('\n');
    }
    out
}

/// The hand-made plant: R1 (lettuce) went into salad S1 on mixer M1; S2 ran
/// next on M1 after only a changeover (shared equipment); S3 ran after a full
/// cleaning (free). S2's shipment to the store has no receipt.
#[test]
fn fixture_report_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let out = tmp.path().join("report");
    fixture_db(&db);
    let assert = recall(&db, &out, &[], &["R1"]).success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("dot") || stdout.contains("genealogy.svg"),
        "{stdout}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("recall_fixture_report_md", masked(&report, tmp.path()));
        insta::assert_snapshot!("recall_fixture_stdout", masked(&stdout, tmp.path()));
    });
    let (header, rows) = csv_rows(&out.join("fsma204.csv"));
    assert_eq!(header[0], "CTE");
    let brief: Vec<String> = rows
        .iter()
        .map(|r| {
            [
                &r[0], &r[1], &r[3], &r[6], &r[8], &r[9], &r[11], &r[13], &r[15], &r[17], &r[18],
                &r[19], &r[20],
            ]
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
        })
        .collect();
    assert_eq!(
        brief,
        [
            "Shipping,2026-03-31,LET-0401,,50,KGM,L-SUP,,L-PLANT,,,BOL-100,SH0",
            "Receiving,2026-03-31,LET-0401,,50,KGM,L-PLANT,L-SUP,,,shipment,SH0,RC0",
            "Transformation,2026-04-01,LET-0401,input,40,KGM,L-PLANT,,,,batch,B1,B1",
            "Transformation,2026-04-01,SAL-0401A,output,10,CS,L-PLANT,,,L-PLANT,batch,B1,B1",
            "Transformation,2026-04-01,SAL-0401B,output,10,CS,L-PLANT,,,L-PLANT,batch,B2,B2",
            "Shipping,2026-04-02,SAL-0401A,,6,CS,L-PLANT,,L-DC,L-PLANT,,BOL-201,SH1",
            "Receiving,2026-04-02,SAL-0401A,,6,CS,L-DC,L-PLANT,,L-PLANT,shipment,SH1,RC1",
            "Shipping,2026-04-03,SAL-0401B,,10,CS,L-PLANT,,L-STORE,L-PLANT,,BOL-202,SH2",
        ]
    );
    let findings = std::fs::read_to_string(out.join("findings.csv")).unwrap();
    assert!(
        findings.contains("shipment_without_receipt,SH2,"),
        "{findings}"
    );
    assert!(
        !findings.contains("SH3"),
        "S3 is outside the scope: {findings}"
    );
    let dot = std::fs::read_to_string(out.join("genealogy.dot")).unwrap();
    check_dot(&dot, 3);

    // --json prints report.json; the previous report is replaced.
    let assert = recall(&db, &out, &["--json", "--to", "2026-03-31"], &["R1"]).success();
    let printed: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(printed, json(&out.join("report.json")));
    assert_eq!(printed["summary"]["fsma204_records"], 2);
    assert_eq!(printed["date_range"]["to"], "2026-03-31");
}

#[test]
fn svg_when_graphviz_is_installed() {
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!(
            "skipped: Graphviz `dot` is not on PATH (the report says so; see fixture_report_snapshot)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let out = tmp.path().join("report");
    fixture_db(&db);
    recall(&db, &out, &[], &["R1"]).success();
    let svg = std::fs::read_to_string(out.join("genealogy.svg")).unwrap();
    assert!(svg.contains("<svg"));
}

#[test]
fn errors_are_coded_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    fixture_db(&db);
    let out = tmp.path().join("report");
    let stderr = |a: assert_cmd::assert::Assert| {
        String::from_utf8_lossy(&a.get_output().stderr).into_owned()
    };

    let e = stderr(recall(&db, &out, &[], &["R1", "NOPE-9"]).code(1));
    assert!(
        e.contains("error[unknown-object]")
            && e.contains("`NOPE-9` names nothing recorded in the database"),
        "{e}"
    );
    assert!(!out.exists());

    let e = stderr(recall(&db, &out, &["--from", "2026-13-01"], &["R1"]).code(1));
    assert!(
        e.contains("error[bad-date]") && e.contains("2026-13-01"),
        "{e}"
    );
    let e = stderr(
        recall(
            &db,
            &out,
            &["--from", "2026-04-02", "--to", "2026-04-01"],
            &["R1"],
        )
        .code(1),
    );
    assert!(e.contains("error[bad-date]"), "{e}");
    assert!(!out.exists());

    // A file, or a directory holding something other than a report, is refused.
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "keep me").unwrap();
    let e = stderr(recall(&db, &file, &[], &["R1"]).code(1));
    assert!(e.contains("error[output-exists]"), "{e}");
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep me").unwrap();
    let e = stderr(recall(&db, &other, &[], &["R1"]).code(1));
    assert!(e.contains("error[output-exists]"), "{e}");
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep me"
    );

    // An empty directory is fine, and so is replacing a previous report.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    recall(&db, &empty, &[], &["R1"]).success();
    std::fs::write(empty.join("stale.txt"), "from before").unwrap();
    recall(&db, &empty, &[], &["S1"]).success();
    assert!(
        !empty.join("stale.txt").exists(),
        "the previous report is replaced whole"
    );
    assert_eq!(json(&empty.join("report.json"))["seeds"][0], "S1");
    // No temporary directories are left beside it.
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
