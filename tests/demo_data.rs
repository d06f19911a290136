//! Tests the scenario of `tracelog demo` committed in examples/demo: it is
//! exactly what `tracelog::demo_data::write` gives for the default seed
//! (regenerate with `TRACELOG_REGENERATE_DEMO=1 cargo test --test demo_data`),
//! its EPCIS documents have the shape of the GS1 2.0 JSON schema, and every
//! plant CSV imports through the plant-data loader.

use std::path::{Path, PathBuf};

use tracelog::demo_data::{self, DEFAULT_SEED};
use tracelog::diagnostic;
use tracelog::import::plant::{self, Options};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

#[test]
fn regenerating_gives_the_committed_bytes() {
    if std::env::var_os("TRACELOG_REGENERATE_DEMO").is_some() {
        demo_data::write(&committed(), DEFAULT_SEED).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let summary = demo_data::write(tmp.path(), DEFAULT_SEED).unwrap();
    assert!(summary.n_events > 2000, "{}", summary.n_events);
    let mut total = 0;
    for name in &summary.files {
        let fresh = std::fs::read(tmp.path().join(name)).unwrap();
        let kept = std::fs::read(committed().join(name))
            .unwrap_or_else(|err| panic!("examples/demo/{name}: {err}"));
        total += kept.len();
        assert!(
            fresh == kept,
            "examples/demo/{name} differs from the generator's output; regenerate it"
        );
    }
    assert!(total < 6_000_000, "{total} bytes");
    // Another seed gives another scenario with the same story.
    let other = tempfile::tempdir().unwrap();
    let summary2 = demo_data::write(other.path(), 1).unwrap();
    assert_eq!(summary2.contaminated_lot, summary.contaminated_lot);
}

#[test]
fn documents_have_the_epcis_2_shape() {
    let dir = committed();
    let mut ids = std::collections::BTreeSet::new();
    let mut declarations = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonld") {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(doc["type"], "EPCISDocument");
        assert_eq!(doc["schemaVersion"], "2.0");
        assert!(doc["@context"].is_array() && doc["creationDate"].is_string());
        for event in doc["epcisBody"]["eventList"].as_array().unwrap() {
            let kind = event["type"].as_str().unwrap();
            for key in ["eventID", "eventTime", "eventTimeZoneOffset", "bizStep"] {
                assert!(event[key].is_string(), "{} {key}: {event}", path.display());
            }
            assert!(
                chrono::DateTime::parse_from_rfc3339(event["eventTime"].as_str().unwrap()).is_ok()
            );
            assert!(
                !event["bizStep"].as_str().unwrap().contains(':'),
                "bare CBV terms"
            );
            match kind {
                "TransformationEvent" => assert!(event.get("action").is_none()),
                "ObjectEvent" | "AggregationEvent" => {
                    assert!(
                        ["ADD", "OBSERVE", "DELETE"].contains(&event["action"].as_str().unwrap())
                    )
                }
                other => panic!("unexpected event type {other}"),
            }
            if event.get("errorDeclaration").is_some() {
                declarations += 1;
            } else {
                assert!(
                    ids.insert(event["eventID"].as_str().unwrap().to_owned()),
                    "duplicate eventID"
                );
            }
        }
    }
    assert_eq!(declarations, 1);
}

#[test]
fn every_plant_csv_imports() {
    let plant_dir = committed().join("plant");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&plant_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    for rel in [
        "batch",
        "consume",
        "produce",
        "equip_use",
        "cleaning",
        "inventory",
        "status",
        "lot",
    ] {
        assert!(
            files.iter().any(|f| f.file_stem().unwrap() == rel),
            "{rel}.csv"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo.db");
    let recorded =
        plant::import_files(&dir, &files, "demo", &Options::default()).unwrap_or_else(|failure| {
            panic!(
                "{}",
                diagnostic::render(&failure.sources, &failure.diagnostics)
            )
        });
    assert_eq!(recorded.len(), files.len());
    assert!(recorded.iter().all(|r| r.head.is_some() && r.asserted > 0));
}
