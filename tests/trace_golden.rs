//! Golden forward and backward traces on the multi-tier GDST chain of
//! ../shared/data/epcis/ift-gftc-opentraceability/traceback_tests.jsonld,
//! imported through the EPCIS importer and traced through the CLI. The
//! snapshots were checked by hand once against the document's events; each
//! test says why every object and location is there.
//!
//! The chain (ids shortened: `lot:X` is
//! `urn:gdst:example.org:product:lot:class:X`, `loc:X` is
//! `urn:gdst:example.org:location:loc:X`):
//!   - hatchery.1u.tf12012021 is hatched at loc:hatchery.1u, shipped from
//!     there (no destination given) and received at loc:fishfarm.1u;
//!   - feedmill.1u.ff11252021 is commissioned at loc:feedmill.1u;
//!   - farmHarvest (transformation, loc:fishfarm.1u): feedmill + hatchery lots
//!     -> fishfarm.1u.farmed-tuna-01192022, shipped from loc:fishfarm.1u
//!     (parties only, no destination location) and received at
//!     loc:processor.plant1u;
//!   - fisherman01.tunau.v1-0122-2022 is caught, transshipped, landed (no
//!     shipping/receiving step) and received at loc:processor.plant1u;
//!   - commingling (loc:processor.plant1u): farmed tuna + wild tuna ->
//!     processor.10u.commingle-01232022; commissioning (a transformation):
//!     commingle -> processor.2u.v1-0122-2022;
//!   - packing: processor.2u into SSCC ...0004, SSCC ...0004 into SSCC ...0005.
//!
//! The document reuses three eventIDs: events 9 and 11 (the shipping of SSCC
//! ...0005 to the importer, the shipping of the feed lot) carry the eventID of
//! event 1 (the hatchery shipping), events 10 and 12 (their receipts, at
//! loc:importer.123u and loc:fishfarm.1u) that of event 2, and the two
//! unpacking events share one. The importer deduplicates by eventID (the
//! first occurrence wins), so those later events are not recorded: the
//! pallet's trip to the importer and the feed lot's trip to the fish farm are
//! not in these traces. The snapshots pin that behaviour.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn document() -> Option<PathBuf> {
    common::shared::path("data/epcis/ift-gftc-opentraceability/traceback_tests.jsonld")
}

/// Imports the document into a fresh database and traces `ids`; the answer
/// as text, one `object|location id hops` line per entry.
fn trace(direction: &str, ids: &[&str]) -> Option<String> {
    let doc = document()?;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    Command::cargo_bin("tracelog")
        .unwrap()
        .env("TRACELOG_USER", "qa")
        .args(["import", "epcis"])
        .arg(&doc)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let out = Command::cargo_bin("tracelog")
        .unwrap()
        .args(["trace", direction])
        .args(ids)
        .arg("--db")
        .arg(&db)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["journal"]["seq"], 1);
    let mut text = String::new();
    for key in ["objects", "locations"] {
        for entry in answer[key].as_array().unwrap() {
            text.push_str(&format!(
                "{} {} {}\n",
                &key[..key.len() - 1],
                entry["hops"],
                entry["id"].as_str().unwrap()
            ));
        }
    }
    Some(text)
}

/// Forward from the hatchery lot, a raw lot at the start of the chain.
/// Objects: the seed (0); the farmed tuna made from it by farmHarvest (1);
/// the commingled lot made from the farmed tuna (2); processor.2u made from
/// the commingled lot (3); SSCC ...0004 packed with processor.2u (4); SSCC
/// ...0005 packed with SSCC ...0004 (5). Locations: loc:fishfarm.1u, where
/// the hatchery lot itself was received (1); loc:processor.plant1u, where the
/// farmed tuna (hop 1) was received (2). The hatchery shipping names no
/// destination location and the pallet's shipment to the importer is not
/// recorded (duplicate eventID, see above), so nothing else.
#[test]
fn forward_from_the_hatchery_lot() {
    let Some(text) = trace(
        "forward",
        &["urn:gdst:example.org:product:lot:class:hatchery.1u.tf12012021"],
    ) else {
        return;
    };
    insta::assert_snapshot!(text);
}

/// Backward from processor.2u.v1-0122-2022, the final product. Objects: the
/// seed (0); the commingled lot it was made from (1); the farmed and wild
/// tuna that went into the commingled lot (2); the feed and hatchery lots
/// that went into the farmed tuna (3). Locations: loc:fishfarm.1u, where the
/// farmed tuna (hop 2) was shipped from (3); loc:processor.plant1u, where the
/// farmed and the wild tuna were received (3); loc:hatchery.1u, where the
/// hatchery lot (hop 3) was shipped from (4; it was also received at
/// loc:fishfarm.1u, already at 3). The feed lot's shipment is not recorded
/// (duplicate eventID), so loc:feedmill.1u is not a source.
#[test]
fn backward_from_the_final_product() {
    let Some(text) = trace(
        "backward",
        &["urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022"],
    ) else {
        return;
    };
    insta::assert_snapshot!(text);
}

/// Forward from both raw lots at once: the union, each with its fewest hops
/// (the same chain as from the hatchery lot, the feed lot at 0 as well; the
/// farmed tuna is one hop from either).
#[test]
fn forward_from_both_raw_lots() {
    let Some(text) = trace(
        "forward",
        &[
            "urn:gdst:example.org:product:lot:class:hatchery.1u.tf12012021",
            "urn:gdst:example.org:product:lot:class:feedmill.1u.ff11252021",
        ],
    ) else {
        return;
    };
    insta::assert_snapshot!(text);
}

/// A Digital Link seed on real data: GS1's Example 9.6.4 names an input lot
/// by its Digital Link URI (recorded as `id_alias` of its LGTIN); forward
/// from that URI reaches the LGTIN (0) and the transformation's four output
/// SGTINs (1).
#[test]
fn a_digital_link_seed_on_gs1_example_9_6_4() {
    let Some(path) = common::shared::path(
        "data/epcis/gs1-EPCIS/JSON/WithDigitalLinkID/Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    Command::cargo_bin("tracelog")
        .unwrap()
        .env("TRACELOG_USER", "qa")
        .args(["import", "epcis"])
        .arg(&path)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let out = Command::cargo_bin("tracelog")
        .unwrap()
        .args([
            "trace",
            "forward",
            "https://id.gs1.org/01/00614141777778/10/987",
            "--json",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects: Vec<(String, u64)> = answer["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["hops"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![("urn:epc:class:lgtin:0614141.077777.987".to_owned(), 0)];
    for serial in 25..=28 {
        expected.push((format!("urn:epc:id:sgtin:4012345.077889.{serial}"), 1));
    }
    assert_eq!(objects, expected);
}
