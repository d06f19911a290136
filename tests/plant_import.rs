//! Tests the generic plant-data loader (`tracelog::import::plant`) on the
//! files in tests/fixtures/plant: CSV and JSON Lines rows of schema relations
//! recorded one transaction per file, then read by a program over the database.

use std::path::{Path, PathBuf};

use tracelog::db::{self, AsOf};
use tracelog::diagnostic;
use tracelog::import::plant::{self, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plant")
        .join(name)
}

fn good_files() -> Vec<PathBuf> {
    ["batch.csv", "consume.csv", "produce.jsonl", "cleaning.csv"]
        .iter()
        .map(|name| fixture(name))
        .collect()
}

#[test]
fn files_become_one_transaction_each_in_a_new_database() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant.db");
    let recorded = plant::import_files(&dir, &good_files(), "qa", &Options::default())
        .unwrap_or_else(|failure| {
            panic!(
                "{}",
                diagnostic::render(&failure.sources, &failure.diagnostics)
            )
        });
    let seqs: Vec<u64> = recorded
        .iter()
        .map(|r| r.head.as_ref().unwrap().seq)
        .collect();
    assert_eq!(
        recorded.iter().map(|r| r.asserted).collect::<Vec<_>>(),
        [2, 2, 2, 1]
    );
    assert!(
        seqs.windows(2).all(|pair| pair[0] + 1 == pair[1]),
        "{seqs:?}"
    );
    let state = db::read(&dir, AsOf::Head).unwrap().state;
    let entry = state.log.last().unwrap();
    assert_eq!(
        (entry.channel.as_str(), entry.principal.as_str()),
        ("import", "qa")
    );
    assert!(
        entry
            .source
            .path
            .as_deref()
            .unwrap()
            .ends_with("cleaning.csv")
    );
    // Values are in the schema's conventions: UTC datetimes, floats with a point.
    let batch = &state.relations["batch"].live;
    assert!(
        batch.contains_key(
            &[
                "B-101",
                "urn:epc:idpat:sgtin:0614141.011111",
                "urn:epc:id:sgln:0614141.00001.0",
                "2026-03-01T08:00:00Z",
                "2026-03-01T00:00:00Z",
            ]
            .map(String::from)[..]
        )
    );
    let produce = &state.relations["produce"].live;
    assert!(produce.keys().any(|row| row[2] == "480.0"), "{produce:?}");
    // Importing the same files again records nothing.
    let again = plant::import_files(&dir, &good_files(), "qa", &Options::default()).unwrap();
    assert!(again.iter().all(|r| r.head.is_none()));
}

#[test]
fn one_bad_file_records_nothing_and_every_error_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant.db");
    let mut files = good_files();
    files.push(fixture("bad_consume.csv"));
    files.push(fixture("equip_use.csv"));
    let options = Options {
        relation: None,
        ..Options::default()
    };
    let failure = plant::import_files(&dir, &files, "qa", &options).unwrap_err();
    let text = diagnostic::render(&failure.sources, &failure.diagnostics);
    let codes: Vec<&str> = failure
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    // `bad_consume` names no relation; equip_use.csv has an extra `operator` column.
    assert_eq!(codes, ["unknown-relation", "arity-mismatch"], "{text}");
    assert!(text.contains("equip_use.csv:1:"), "{text}");
    assert!(!dir.exists(), "nothing is written when a file is bad");
    // Named as `consume`, its two bad values are reported at line:col.
    let bad = [fixture("bad_consume.csv")];
    let options = Options {
        relation: Some("consume".into()),
        ..Options::default()
    };
    let failure = plant::import_files(&dir, &bad, "qa", &options).unwrap_err();
    let text = diagnostic::render(&failure.sources, &failure.diagnostics);
    assert!(text.contains("bad_consume.csv:2:11"), "{text}");
    assert!(text.contains("bad_consume.csv:3:17"), "{text}");
    // With --ignore-extra the operator column is skipped.
    let options = Options {
        ignore_extra: true,
        ..Options::default()
    };
    let recorded = plant::import_files(&dir, &[fixture("equip_use.csv")], "qa", &options).unwrap();
    assert_eq!(recorded[0].asserted, 2);
}

#[test]
fn a_program_reads_the_imported_relations_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant.db");
    plant::import_files(&dir, &good_files(), "qa", &Options::default()).unwrap();
    let program = tmp.path().join("p.dl");
    std::fs::write(
        &program,
        format!(
            ".include \"{}\"\n.decl used(lot: symbol, kg: float)\n.output used(IO=stdout)\nused(L, Q) :- consume(B, L, Q, \"KGM\", T), batch(B, _, _, S, _), T >= S, Q > 200.0.\n",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/schema.dl").display()
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("tracelog")
        .unwrap()
        .args([
            "run",
            program.to_str().unwrap(),
            "--db",
            dir.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("FL-7"), "{stdout}");
    assert!(stdout.contains("250"), "{stdout}");
}
