//! `tracelog trace forward|backward` on small hand-written EPCIS documents
//! (tests/fixtures/trace): containers carry their contents only while they
//! hold them, a Digital Link seed finds the object recorded under its EPC URN,
//! an error declaration takes its event out of the trace, the `--json` shape,
//! and the errors for an unknown id and a missing database.
//!
//! chain.jsonld: LOT-A (00001234) is transformed into LOT-B (001235) at the
//! plant (sgln 00001); LOT-B is packed in case ...0001, the case on pallet
//! ...0099; the pallet is shipped to the DC (sgln 00002) and received there;
//! the pallet is unpacked at the DC; then the (empty) pallet is shipped to
//! store X (00003) and the case to store Y (00004).
//! declare.jsonld: an error declaration of the case's shipment to store Y.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const LOT_A: &str = "urn:epc:class:lgtin:9521141.001234.LOT-A";
const LOT_B: &str = "urn:epc:class:lgtin:9521141.001235.LOT-B";
const CASE: &str = "urn:epc:id:sscc:9521141.0000000001";
const PALLET: &str = "urn:epc:id:sscc:9521141.0000000099";
const PLANT: &str = "urn:epc:id:sgln:9521141.00001.0";
const DC: &str = "urn:epc:id:sgln:9521141.00002.0";
const STORE_X: &str = "urn:epc:id:sgln:9521141.00003.0";
const STORE_Y: &str = "urn:epc:id:sgln:9521141.00004.0";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trace")
        .join(name)
}

fn tracelog() -> Command {
    let mut cmd = Command::cargo_bin("tracelog").unwrap();
    cmd.env_remove("TRACELOG_DB").env("TRACELOG_USER", "qa");
    cmd
}

fn import(db: &Path, file: &str) {
    tracelog()
        .args(["import", "epcis"])
        .arg(fixture(file))
        .arg("--db")
        .arg(db)
        .assert()
        .success();
}

fn trace_json(db: &Path, direction: &str, ids: &[&str]) -> Value {
    let out = tracelog()
        .args(["trace", direction])
        .args(ids)
        .arg("--db")
        .arg(db)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The (id, hops) entries of `key` in a trace document.
fn entries(doc: &Value, key: &str) -> Vec<(String, u64)> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["hops"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn e(id: &str, hops: u64) -> (String, u64) {
    (id.to_owned(), hops)
}

fn chain_db() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    import(&db, "chain.jsonld");
    (tmp, db)
}

#[test]
fn a_case_reaches_where_its_pallet_went_until_unpacked() {
    let (_tmp, db) = chain_db();
    let doc = trace_json(&db, "forward", &[LOT_A]);
    assert_eq!(
        entries(&doc, "objects"),
        vec![e(LOT_A, 0), e(LOT_B, 1), e(CASE, 2), e(PALLET, 3)]
    );
    // The DC: the pallet holding the case holding LOT-B was shipped there and
    // received there. Store Y: the case itself went there. Store X: the pallet
    // went there only after the case had been taken off it.
    assert_eq!(entries(&doc, "locations"), vec![e(DC, 2), e(STORE_Y, 2)]);
    assert!(!doc.to_string().contains(STORE_X));
}

#[test]
fn the_json_document_has_the_documented_shape() {
    let (_tmp, db) = chain_db();
    let doc = trace_json(&db, "forward", &[LOT_A]);
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "direction",
            "journal",
            "locations",
            "objects",
            "rules",
            "seeds"
        ]
    );
    assert_eq!(doc["direction"], "forward");
    assert_eq!(doc["seeds"], serde_json::json!([LOT_A]));
    assert_eq!(doc["journal"]["seq"], 1);
    assert_eq!(doc["journal"]["hash"].as_str().unwrap().len(), 64);
    let files: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["rules/exposure.dl", "rules/genealogy.dl", "rules/schema.dl"]
    );
    for rule in doc["rules"].as_array().unwrap() {
        assert_eq!(rule["sha256"].as_str().unwrap().len(), 64);
        assert!(!rule["policy"].as_str().unwrap().is_empty());
        assert!(!rule["version"].as_str().unwrap().is_empty());
    }
}

#[test]
fn backward_reaches_the_inputs_and_where_they_were() {
    let (_tmp, db) = chain_db();
    let doc = trace_json(&db, "backward", &[LOT_B]);
    assert_eq!(doc["direction"], "backward");
    assert_eq!(entries(&doc, "objects"), vec![e(LOT_B, 0), e(LOT_A, 1)]);
    // LOT-B (hop 0) left the plant on the pallet and was received at the DC;
    // LOT-A was never moved, so nothing is one hop further.
    assert_eq!(entries(&doc, "locations"), vec![e(PLANT, 1), e(DC, 1)]);
}

#[test]
fn several_ids_give_the_union_with_the_fewest_hops() {
    let (_tmp, db) = chain_db();
    let doc = trace_json(&db, "forward", &[LOT_A, CASE]);
    // The case is a seed (hop 0); the pallet held it (hop 1); LOT-B is only
    // reached from LOT-A (a container's contents are not made from it).
    assert_eq!(
        entries(&doc, "objects"),
        vec![e(LOT_A, 0), e(CASE, 0), e(LOT_B, 1), e(PALLET, 1)]
    );
    assert_eq!(entries(&doc, "locations"), vec![e(DC, 1), e(STORE_Y, 1)]);
}

#[test]
fn a_digital_link_seed_finds_the_lot_recorded_as_an_epc_urn() {
    let (_tmp, db) = chain_db();
    let doc = trace_json(
        &db,
        "forward",
        &["https://id.gs1.org/01/09521141012345/10/LOT-A"],
    );
    assert_eq!(
        entries(&doc, "objects"),
        vec![e(LOT_A, 0), e(LOT_B, 1), e(CASE, 2), e(PALLET, 3)]
    );
}

#[test]
fn a_digital_link_seed_recorded_as_an_alias_works_too() {
    // shipping_dl.jsonld names LOT-9 by its Digital Link URI: the importer
    // records id_alias(uri, urn), which the seed goes through.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    tracelog()
        .args(["import", "epcis"])
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/epcis/shipping_dl.jsonld"),
        )
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let doc = trace_json(
        &db,
        "forward",
        &["https://id.gs1.org/01/09521141012345/10/LOT-9"],
    );
    let objects = entries(&doc, "objects");
    assert!(
        objects.contains(&e("urn:epc:class:lgtin:9521141.001234.LOT-9", 0)),
        "{objects:?}"
    );
    // The items of LOT-9 (commissioned with ILMD lotNumber LOT-9).
    assert!(
        objects.contains(&e("urn:epc:id:sgtin:9521141.001234.S2", 1)),
        "{objects:?}"
    );
}

#[test]
fn an_error_declared_shipment_is_not_counted() {
    let (_tmp, db) = chain_db();
    import(&db, "declare.jsonld");
    let doc = trace_json(&db, "forward", &[LOT_A]);
    assert_eq!(doc["journal"]["seq"], 2);
    // The case's shipment to store Y was declared an error: only the DC is left.
    assert_eq!(entries(&doc, "locations"), vec![e(DC, 2)]);
    // As of the journal before the declaration, store Y is reached.
    let out = tracelog()
        .args(["trace", "forward", LOT_A, "--as-of", "1", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let before: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entries(&before, "locations"), vec![e(DC, 2), e(STORE_Y, 2)]);
}

#[test]
fn the_table_lists_kinds_and_ends_with_the_journal_head() {
    let (_tmp, db) = chain_db();
    let out = tracelog()
        .args(["trace", "forward", LOT_A, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let cells = |id: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| {id} ")))
            .unwrap();
        line.split('|')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    };
    assert_eq!(cells(CASE), [CASE, "2", "container"], "{text}");
    assert_eq!(cells(LOT_B), [LOT_B, "1", "lot"], "{text}");
    assert!(
        text.contains("rules: rules/exposure.dl exposure "),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("computed on journal head seq 1 (sha256 "),
        "{last}"
    );
}

#[test]
fn an_unknown_id_is_an_error_with_a_suggestion() {
    let (_tmp, db) = chain_db();
    let out = tracelog()
        .args([
            "trace",
            "forward",
            LOT_A,
            "urn:epc:class:lgtin:9521141.001234.LOT-Q",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error[unknown-object]"), "{err}");
    assert!(err.contains("LOT-Q"), "{err}");
    assert!(err.contains(&format!("did you mean `{LOT_A}`")), "{err}");
    // A known object that reaches nothing is not an error: nothing went into
    // the raw LOT-A and it never moved.
    let doc = trace_json(&db, "backward", &[LOT_A]);
    assert_eq!(entries(&doc, "objects"), vec![e(LOT_A, 0)]);
    assert_eq!(entries(&doc, "locations"), vec![]);
}

#[test]
fn a_missing_database_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tracelog()
        .args(["trace", "backward", LOT_A, "--db"])
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error[database-not-found]"), "{err}");
}
