//! The EPCIS importer: every example document of ../shared/data/epcis imports,
//! identifiers and CBV values are canonical, events dedup by identity, error
//! declarations retract, and bad documents record nothing and say where.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracelog::db::{self, AsOf};
use tracelog::epcis::{self, CompanyPrefixes, Importer};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/epcis").join(name)
}

fn shared() -> Option<PathBuf> {
    common::shared::path("data/epcis")
}

fn documents(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            documents(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonld" | "xml")
        ) {
            out.push(path);
        }
    }
    out.sort();
}

/// Live facts of `rel`, sorted.
fn facts(dir: &Path, rel: &str) -> Vec<Vec<String>> {
    let state = db::read(dir, AsOf::Head).unwrap().state;
    let mut rows: Vec<Vec<String>> = state
        .relations
        .get(rel)
        .map(|r| r.live.keys().map(|f| f.to_vec()).collect())
        .unwrap_or_default();
    rows.sort();
    rows
}

fn import(dir: &Path, file: &Path) -> Result<epcis::FileImport, db::Failure> {
    Importer::open(dir, Duration::from_secs(5))?.import_file(file, "tester")
}

fn is_query(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "Queries")
}

#[test]
fn every_shared_document_imports_without_error() {
    let Some(dir) = shared() else { return };
    let mut files = Vec::new();
    documents(&dir, &mut files);
    assert!(files.len() > 30, "found only {} documents", files.len());
    let mut failures = Vec::new();
    let together = tempfile::tempdir().unwrap();
    let all = together.path().join("db");
    for file in &files {
        if is_query(file) {
            // openepcis `Query/Queries/*.json` are query parameter sets, not documents.
            println!("skipped {}: an EPCIS query, not a document", file.display());
            continue;
        }
        // Each alone (so every event is recorded) and all in one database.
        let alone = tempfile::tempdir().unwrap();
        match import(&alone.path().join("db"), file) {
            Ok(report) => {
                assert!(report.events > 0, "{}: no events", file.display());
                assert!(!facts(&alone.path().join("db"), "ev_source").is_empty());
            }
            Err(failure) => failures.push(format!("{}: {:?}", file.display(), failure.diagnostics)),
        }
        if let Err(failure) = import(&all, file) {
            failures.push(format!(
                "{} (shared db): {:?}",
                file.display(),
                failure.diagnostics
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_field_of_the_all_possible_fields_examples_lands_in_a_fact() {
    let Some(dir) = shared() else { return };
    let file = dir
        .join("gs1-EPCIS/JSON/WithFullCombinationOfFields/object_event_all_possible_fields.jsonld");
    let text = std::fs::read_to_string(&file).unwrap();
    let events = epcis::read(&text, &CompanyPrefixes::default()).unwrap();
    assert_eq!(events.len(), 1);
    // Without its errorDeclaration the event is recorded as typed facts.
    let mut event = events[0].clone();
    event.error = None;
    let facts = epcis::event_facts("e", &event);
    let has = |rel: &str, needle: &str| {
        facts
            .iter()
            .any(|f| f.rel == rel && f.fields.iter().any(|v| v == needle))
    };
    assert!(has("event", "receiving") && has("event", "in_progress") && has("event", "add"));
    assert!(has("event", "2005-04-05T02:33:31.116Z") && has("event", "-06:00"));
    assert!(has("event", "urn:epc:id:sgln:0012345.11111.400"));
    assert!(has("ev_obj", "urn:epc:id:sgtin:0614141.107346.2018"));
    assert!(has("ev_qty", "200.0") && has("ev_qty", "KGM"));
    assert!(has("ev_biztx", "po") && has("ev_biztx", "pedigree"));
    assert!(has("ev_src", "possessing_party") && has("ev_dst", "urn:epc:id:sgln:0614141.00777.0"));
    assert!(
        has("ev_sensor", "Temperature")
            && has("ev_sensor", "26.2")
            && has("ev_sensor", "stringValue")
    );
    assert!(has(
        "ev_ext",
        "/sensorElementList/0/sensorMetadata/deviceMetadata"
    ));
    assert!(has(
        "ev_ext",
        "/ext1:object/ext2:object/ext2:object/ext3:string"
    ));
    assert!(has(
        "ev_ext",
        "/ilmd/ext1:array/5/ext1:object/ext1:object/ext2:int"
    ));
    assert!(has("ev_pdisp", "completeness_verified") && has("ev_pdisp", "unset"));
    assert!(has("ev_ilmd", "lotNumber") && has("ev_ilmd", "ABC123"));
    assert!(has(
        "ev_cert",
        "https://accreditation-council.example.org/certificate/ABC12345"
    ));
    // Every leaf value of the event (but the declaration) is in some fact.
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut leaves = Vec::new();
    epcis::json::leaves(
        &json["epcisBody"]["eventList"][0],
        String::new(),
        &mut leaves,
    );
    for (path, value) in leaves {
        if path.starts_with("/errorDeclaration")
            || path == "/type"
            || path == "/action"
            || path == "/eventID"
        {
            continue;
        }
        let found = facts.iter().any(|f| {
            f.fields.iter().any(|v| {
                v == &value
                    || v.trim_end_matches(".0") == value
                    || v.ends_with(&format!("-{value}"))
                    || epcis::model::utc_time(&value).as_deref() == Some(v)
            })
        });
        assert!(found, "{path} = {value} is in no fact");
    }
}

#[test]
fn digital_link_and_cbv_spellings_are_canonical_and_items_join_their_lot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let report = import(&db, &fixture("shipping_dl.jsonld")).unwrap();
    assert_eq!(report.events, 2);
    let obj = facts(&db, "ev_obj");
    let subjects: Vec<&str> = obj.iter().map(|f| f[2].as_str()).collect();
    // The company prefix 9521141 is learned from the URN in the same document.
    assert_eq!(
        subjects,
        [
            "urn:epc:id:sgtin:9521141.001234.S1",
            "urn:epc:id:sgtin:9521141.001234.S2"
        ]
    );
    assert!(facts(&db, "id_alias").contains(&vec![
        "https://id.gs1.org/01/09521141012345/21/S1".to_owned(),
        "urn:epc:id:sgtin:9521141.001234.S1".to_owned()
    ]));
    assert_eq!(
        facts(&db, "lot_of"),
        vec![
            vec![
                "urn:epc:id:sgtin:9521141.001234.S1".to_owned(),
                "urn:epc:class:lgtin:9521141.001234.LOT-9".to_owned()
            ],
            vec![
                "urn:epc:id:sgtin:9521141.001234.S2".to_owned(),
                "urn:epc:class:lgtin:9521141.001234.LOT-9".to_owned()
            ],
        ]
    );
    let events = facts(&db, "event");
    assert!(events.iter().any(|e| e[5] == "commissioning"
        && e[6] == "active"
        && e[7] == "urn:epc:id:sgln:9521141.00000.0"));
    assert!(
        events
            .iter()
            .any(|e| e[5] == "shipping" && e[6] == "in_transit")
    );
    // The hashed event's identity is the CBV 2.0 form.
    assert!(
        events
            .iter()
            .any(|e| e[0].starts_with("ni:///sha-256;") && e[0].ends_with("?ver=CBV2.0"))
    );
    assert_eq!(facts(&db, "ev_biztx")[0][1], "po");
    assert_eq!(facts(&db, "ev_dst")[0][1], "owning_party");
    assert!(facts(&db, "ev_qty").contains(&vec![
        "urn:uuid:11111111-2222-3333-4444-555555555555".to_owned(),
        "subject".to_owned(),
        "urn:epc:class:lgtin:9521141.001234.LOT-9".to_owned(),
        "12.0".to_owned(),
        "KGM".to_owned()
    ]));
    assert!(
        facts(&db, "ev_ext")
            .iter()
            .any(|f| f[1] == "/acme:line" && f[2] == "L2")
    );
}

#[test]
fn the_event_hash_is_stable_and_ignores_record_time_and_order_of_lists() {
    let text = std::fs::read_to_string(fixture("shipping_dl.jsonld")).unwrap();
    let mut prefixes = CompanyPrefixes::default();
    prefixes.learn_text(&text);
    let doc = epcis::json::parse(&text).unwrap();
    let mut a = doc.events[0].clone();
    a.as_object_mut().unwrap().remove("eventID");
    let hash = epcis::hash::event_hash(&a, &doc.namespaces);
    let read = epcis::json::read_event(&a, "/0", &prefixes, &doc.namespaces).unwrap();
    assert_eq!(read.hash.as_deref(), Some(hash.as_str()));
    assert_eq!(hash, epcis::identity(&read));
    assert!(
        hash.starts_with("ni:///sha-256;") && hash.len() == "ni:///sha-256;?ver=CBV2.0".len() + 64
    );
    a["recordTime"] = "2030-01-01T00:00:00Z".into();
    if let Some(list) = a.get_mut("epcList").and_then(|l| l.as_array_mut()) {
        list.reverse();
    }
    assert_eq!(epcis::hash::event_hash(&a, &doc.namespaces), hash);
    a["bizStep"] = "receiving".into();
    assert_ne!(epcis::hash::event_hash(&a, &doc.namespaces), hash);
}

#[test]
fn reimporting_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    import(&db, &fixture("shipping_dl.jsonld")).unwrap();
    let head = db::read(&db, AsOf::Head).unwrap().journal_head;
    // The same file again, and the same events in a file with other bytes.
    let again = import(&db, &fixture("shipping_dl.jsonld")).unwrap();
    assert!(again.already_imported.is_some());
    let copy = dir.path().join("copy.jsonld");
    let text = std::fs::read_to_string(fixture("shipping_dl.jsonld")).unwrap();
    std::fs::write(
        &copy,
        text.replace(
            "\"creationDate\": \"2026-03-01T08:00:00Z\"",
            "\"creationDate\": \"2026-04-01T08:00:00Z\"",
        ),
    )
    .unwrap();
    let copied = import(&db, &copy).unwrap();
    assert_eq!((copied.events, copied.duplicates), (2, 2));
    assert!(copied.recorded.is_none());
    assert_eq!(db::read(&db, AsOf::Head).unwrap().journal_head, head);
}

#[test]
fn an_event_id_reused_for_another_event_is_a_warning_and_the_first_is_kept() {
    // Event 1 repeats event 0 (a re-send: only recordTime differs, which is
    // not an event fact): skipped silently. Event 2 reuses the id for
    // another shipment: skipped, with a warning naming both positions.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let report = import(&db, &fixture("reused_id.jsonld")).unwrap();
    assert_eq!((report.events, report.duplicates), (3, 2));
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert_eq!(warning.code.as_str(), "event-id-reused");
    assert!(!warning.is_error());
    assert!(
        warning.message.contains("/epcisBody/eventList/0")
            && warning.message.contains("/epcisBody/eventList/2"),
        "{}",
        warning.message
    );
    // The command prints it and still succeeds.
    let out = assert_cmd::Command::cargo_bin("tracelog")
        .unwrap()
        .args(["import", "epcis"])
        .arg(fixture("reused_id.jsonld"))
        .arg("--db")
        .arg(dir.path().join("db2"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning[event-id-reused]"), "{stderr}");
    assert!(stderr.contains("reused_id.jsonld"), "{stderr}");
    let objects = facts(&db, "ev_obj");
    assert!(
        objects
            .iter()
            .any(|row| row.contains(&"urn:epc:id:sgtin:9521141.001234.S7".to_owned()))
    );
    assert!(
        !objects
            .iter()
            .any(|row| row.contains(&"urn:epc:id:sgtin:9521141.001234.S8".to_owned()))
    );
}

#[test]
fn an_error_declaration_retracts_the_declared_event_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    import(&db, &fixture("shipping_dl.jsonld")).unwrap();
    let ev = "urn:uuid:11111111-2222-3333-4444-555555555555";
    assert!(facts(&db, "event").iter().any(|e| e[0] == ev));
    let report = import(&db, &fixture("declare_shipping.jsonld")).unwrap();
    assert_eq!(report.declarations, 1);
    let recorded = report.recorded.unwrap();
    assert!(recorded.retracted >= 5, "{recorded:?}");
    // Retracted, not deleted: gone from the live state, kept in the journal with the reason.
    assert!(!facts(&db, "event").iter().any(|e| e[0] == ev));
    assert!(!facts(&db, "ev_qty").iter().any(|e| e[0] == ev));
    assert_eq!(
        facts(&db, "ev_error"),
        vec![vec![
            ev.to_owned(),
            "2026-03-05T08:00:00Z".to_owned(),
            "did_not_occur".to_owned(),
            "urn:uuid:99999999-2222-3333-4444-555555555555".to_owned()
        ]]
    );
    let loaded = db::read(&db, AsOf::Head).unwrap();
    let entry = loaded.state.log.last().unwrap();
    assert_eq!(entry.channel, "import");
    assert!(
        entry.reason.as_deref().unwrap().contains("did_not_occur"),
        "{:?}",
        entry.reason
    );
    let history = db::history(
        &db,
        &db::Fact {
            rel: "event".to_owned(),
            fields: vec![
                ev.into(),
                "object".into(),
                "observe".into(),
                "2026-03-02T10:00:00Z".into(),
                "+00:00".into(),
                "shipping".into(),
                "in_transit".into(),
                "".into(),
                "".into(),
            ],
        },
    )
    .unwrap();
    assert_eq!(
        history.iter().map(|h| h.asserted).collect::<Vec<_>>(),
        [true, false]
    );
    // Importing the erroneous event again does not bring it back.
    let copy = dir.path().join("again.jsonld");
    std::fs::write(
        &copy,
        std::fs::read_to_string(fixture("shipping_dl.jsonld")).unwrap() + "\n",
    )
    .unwrap();
    import(&db, &copy).unwrap();
    assert!(!facts(&db, "event").iter().any(|e| e[0] == ev));
}

fn expect_error(name: &str, code: &str, located: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let failure = import(&db, &fixture(name)).unwrap_err();
    let diagnostic = &failure.diagnostics[0];
    assert_eq!(diagnostic.code.as_str(), code, "{diagnostic:?}");
    let location = format!("{:?}", diagnostic.location);
    assert!(location.contains(name), "{location}");
    assert!(
        diagnostic.message.contains(located) || location.contains(located),
        "{diagnostic:?}"
    );
    // Nothing recorded (the database exists, empty).
    assert!(db::read(&db, AsOf::Head).unwrap().state.log.is_empty());
}

#[test]
fn bad_documents_are_located_and_record_nothing() {
    expect_error(
        "bad_time.jsonld",
        "epcis-bad-value",
        "/epcisBody/eventList/1/eventTime",
    );
    expect_error("bad_syntax.json", "epcis-syntax", "line: 5");
    expect_error(
        "no_action.jsonld",
        "epcis-invalid",
        "/epcisBody/eventList/0/action",
    );
}

#[test]
fn the_command_creates_the_database_and_imports_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new-db");
    let out = assert_cmd::Command::cargo_bin("tracelog")
        .unwrap()
        .args(["import", "epcis"])
        .arg(fixture("shipping_dl.jsonld"))
        .arg(fixture("declare_shipping.jsonld"))
        .arg("--db")
        .arg(&db)
        .args(["--as", "importer"])
        .env("TERM", "dumb")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created database"), "{stdout}");
    let log = db::read(&db, AsOf::Head).unwrap().state.log;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|e| e.principal == "importer" && e.channel == "import")
    );
    // A bad file: exit 1, the error names the file.
    let out = assert_cmd::Command::cargo_bin("tracelog")
        .unwrap()
        .args(["import", "epcis"])
        .arg(fixture("bad_time.jsonld"))
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("epcis-bad-value") && stderr.contains("bad_time.jsonld"),
        "{stderr}"
    );
}

/// The typed facts of a document's events (ev_source and ev_ext left out).
fn typed_facts(path: &Path) -> Vec<tracelog::db::Fact> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut prefixes = CompanyPrefixes::default();
    prefixes.learn_text(&text);
    let mut out: Vec<_> = epcis::read(&text, &prefixes)
        .unwrap()
        .iter()
        .enumerate()
        // Compared by position: the JSON twin carries GS1's reference hashes as
        // eventIDs, while the XML has none (see docs: tracelog's own hash differs).
        .flat_map(|(i, event)| epcis::event_facts(&format!("e{i}"), event))
        .filter(|f| f.rel != "ev_ext")
        .collect();
    out.sort();
    out
}

#[test]
fn xml_and_json_twins_give_the_same_facts() {
    let Some(dir) = shared() else { return };
    for (json, xml) in [
        (
            "JSON/Example_9.6.1-ObjectEvent.jsonld",
            "XML/Example_9.6.1-ObjectEvent-2020_06_18a.xml",
        ),
        (
            "JSON/WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld",
            "XML/WithFullCombinationOfFields/transformation_event_all_possible_fields.xml",
        ),
    ] {
        let json = typed_facts(&dir.join("gs1-EPCIS").join(json));
        let xml = typed_facts(&dir.join("gs1-EPCIS").join(xml));
        assert!(!json.is_empty());
        // The twins differ in two places: the XML has no certificationInfo and
        // gives measurementUnitCode attributes (kept as `key@attribute`).
        let only_json: Vec<_> = json
            .iter()
            .filter(|f| !xml.contains(f) && f.rel != "ev_cert")
            .collect();
        let only_xml: Vec<_> = xml
            .iter()
            .filter(|f| !json.contains(f) && !f.fields[1].ends_with("@measurementUnitCode"))
            .collect();
        assert!(
            only_json.is_empty() && only_xml.is_empty(),
            "json only {only_json:#?}\nxml only {only_xml:#?}"
        );
    }
}

#[test]
fn master_data_vocabularies_become_locations_parties_products_and_attributes() {
    let Some(dir) = shared() else { return };
    let file = dir.join("ift-gftc-opentraceability/gdst_data_withmasterdata.jsonld");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    import(&db, &file).unwrap();
    let locations = facts(&db, "location");
    // 8 location elements, each with its owning party, name, city and country code.
    assert_eq!(locations.len(), 8, "{locations:?}");
    assert!(locations.contains(&vec![
        "urn:epc:id:sgln:08600031303.1.1".to_owned(),
        "urn:gdst:example.org:party:fisherman01.1u".to_owned(),
        "Vessel #1".to_owned(),
        "San Diego".to_owned(),
        "US".to_owned(),
    ]));
    let parties = facts(&db, "party");
    assert_eq!(parties.len(), 6, "{parties:?}");
    assert!(parties.contains(&vec![
        "urn:gdst:example.org:party:processor.1u".to_owned(),
        "Processor".to_owned()
    ]));
    let products = facts(&db, "product");
    assert!(products.contains(&vec![
        "urn:gdst:example.org:product:class:processor.2u".to_owned(),
        "Can of Tuna".to_owned(),
        String::new()
    ]));
    let attrs = facts(&db, "md_attr");
    for expected in [
        [
            "location",
            "urn:epc:id:sgln:08600031303.1.1",
            "urn:gdst:kde#imoNumber",
            "IMO12345678",
        ],
        [
            "location",
            "urn:epc:id:sgln:08600031303.1.1",
            "vesselName",
            "Vessel #1",
        ],
        [
            "epcclass",
            "urn:gdst:example.org:product:class:processor.2u",
            "speciesForFisheryStatisticsPurposesCode",
            "YFT",
        ],
    ] {
        let row: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert!(attrs.contains(&row), "missing {row:?}");
    }
    // Attributes read into typed facts are not repeated as md_attr.
    assert!(
        !attrs
            .iter()
            .any(|r| r[2] == "name" || r[2] == "countryCode")
    );
    // Importing again adds nothing; events are still imported.
    let again = import(&db, &file).unwrap();
    assert!(again.recorded.is_none());
    assert!(!facts(&db, "event").is_empty());
}

#[test]
fn xml_master_data_is_read_too() {
    let Some(dir) = shared() else { return };
    let file = dir.join(
        "openepcis-test-resources/1.2/EPCIS/XML/Capture/Documents/GS1_US_Pharma_Example_2_2_1_1.xml",
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    import(&db, &file).unwrap();
    let products = facts(&db, "product");
    assert!(
        products.contains(&vec![
            "urn:epc:idpat:sgtin:030001.0012345.*".to_owned(),
            "Epcistra".to_owned(),
            String::new()
        ]),
        "{products:?}"
    );
    let locations = facts(&db, "location");
    assert!(
        locations
            .iter()
            .any(|r| r[0] == "urn:epc:id:sgln:030001.111111.0"
                && r[2] == "GS1 Pharma"
                && r[3] == "Thousand Oaks"
                && r[4] == "US"),
        "{locations:?}"
    );
    assert!(
        facts(&db, "md_attr")
            .iter()
            .any(|r| r[2] == "streetAddressOne" && r[3] == "1 Biopharm Ct")
    );
}

#[test]
fn import_files_reports_progress_after_each_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut importer = Importer::open(&tmp.path().join("db"), Duration::from_secs(5)).unwrap();
    let files = vec![
        fixture("shipping_dl.jsonld"),
        fixture("declare_shipping.jsonld"),
    ];
    let seen = std::cell::RefCell::new(Vec::new());
    let reports = importer
        .import_files(&files, "tester", &|p| {
            seen.borrow_mut()
                .push((p.done, p.total, p.items, p.file.to_owned()))
        })
        .unwrap_or_else(|(_, f)| panic!("{:?}", f.diagnostics));
    let seen = seen.into_inner();
    assert_eq!(reports.len(), 2);
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[0].0, seen[0].1, seen[0].3.clone()),
        (1, 2, files[0].clone())
    );
    assert_eq!(seen[1].2, reports[0].events + reports[1].events);
    // A bad file stops the import; the files before it stay recorded and are returned.
    let bad = vec![fixture("shipping_dl.jsonld"), fixture("bad_time.jsonld")];
    let (done, failure) = importer
        .import_files(&bad, "tester", &tracelog::import::no_progress)
        .unwrap_err();
    assert_eq!(done.len(), 1);
    assert!(!failure.diagnostics.is_empty());
}

#[test]
fn an_event_declared_erroneous_later_in_the_same_document_is_not_recorded() {
    let event = |id: &str, extra: &str| {
        format!(
            r#"{{"type": "ObjectEvent", "eventTime": "2026-03-02T10:00:00Z", "eventTimeZoneOffset": "+00:00",
                "eventID": "{id}", "epcList": ["urn:epc:id:sgtin:9521141.001234.{id}"], "action": "OBSERVE",
                "bizStep": "shipping"{extra}}}"#
        )
    };
    let declaration = r#", "errorDeclaration": {"declarationTime": "2026-03-05T08:00:00Z", "reason": "did_not_occur"}"#;
    // Enough events that the facts are made on several threads.
    let mut events: Vec<String> = (0..5000).map(|n| event(&format!("E{n}"), "")).collect();
    events.push(event("E7", declaration));
    events.push(event("E7", ""));
    let text = format!(
        r#"{{"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-05T08:00:00Z",
            "epcisBody": {{"eventList": [{}]}}}}"#,
        events.join(",\n")
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("doc.jsonld");
    std::fs::write(&file, text).unwrap();
    let db = tmp.path().join("db");
    let report = import(&db, &file).unwrap();
    assert_eq!(
        (report.events, report.declarations, report.duplicates),
        (5002, 1, 1)
    );
    let recorded: Vec<String> = facts(&db, "event")
        .into_iter()
        .map(|e| e[0].clone())
        .collect();
    assert_eq!(recorded.len(), 4999);
    assert!(!recorded.contains(&"E7".to_owned()) && recorded.contains(&"E6".to_owned()));
    assert!(!facts(&db, "ev_obj").iter().any(|row| row[0] == "E7"));
    assert_eq!(facts(&db, "ev_error").len(), 1);
    let sources = facts(&db, "ev_source");
    assert_eq!(sources.iter().filter(|row| row[0] == "E7").count(), 2);
    assert_eq!(sources.len(), 5001);
}

/// The REPL's Ctrl-C: a set cancel flag stops the import before the next
/// transaction, and what was recorded before it stays.
#[test]
fn a_cancelled_import_records_no_further_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut importer = Importer::open(&dir, Duration::from_secs(5)).unwrap();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    importer.cancel = Some(flag.clone());
    let files = vec![
        fixture("shipping_dl.jsonld"),
        fixture("declare_shipping.jsonld"),
    ];
    // Cancelled after the first file: the second is not recorded.
    let (done, failure) = importer
        .import_files(&files, "tester", &|_| {
            flag.store(true, std::sync::atomic::Ordering::Relaxed)
        })
        .expect_err("cancelled");
    assert_eq!(done.len(), 1);
    assert_eq!(
        failure.diagnostics[0].code,
        tracelog::diagnostic::Code::Cancelled
    );
    assert!(
        failure.diagnostics[0]
            .message
            .contains("declare_shipping.jsonld"),
        "{:?}",
        failure.diagnostics
    );
    assert_eq!(importer.state().head.seq, 1);
    // Cancelled while a document is read: it is read, then not recorded.
    let failure = importer
        .import_file(&fixture("declare_shipping.jsonld"), "tester")
        .expect_err("cancelled");
    assert_eq!(
        failure.diagnostics[0].code,
        tracelog::diagnostic::Code::Cancelled
    );
    assert_eq!(db::read(&dir, AsOf::Head).unwrap().state.head.seq, 1);
}
