//! This module benchmarks the EPCIS importer: one EPCIS 2.0 JSON-LD document
//! of 10^5 events imported into a fresh database (parse, canonical ids, event
//! hashes for events without eventID, mapping to schema facts and one synced
//! journal transaction).
//!
//! The document is generated once into target/bench-data/ (deterministic; a
//! realistic mix per production run: a TransformationEvent with input and
//! output quantity lists, ILMD and a production order, commissioning of
//! serialised items with ILMD, packing them on pallets (AggregationEvent ADD),
//! shipping and receiving the pallets with source/destination lists and
//! purchase-order / despatch-advice transactions, unpacking (DELETE), and
//! a fifth of the events without eventID so they are identified by hash).
//! `cargo bench --bench epcis_import`; `TRACELOG_BENCH_EVENTS=N` changes the size.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use tracelog::epcis::Importer;

// The allocator of the `tracelog` binary (src/main.rs), so the bench measures
// what `tracelog import epcis` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn events_wanted() -> usize {
    std::env::var("TRACELOG_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

fn time(day: usize, minute: usize) -> String {
    format!(
        "2026-{:02}-{:02}T{:02}:{:02}:00.000+02:00",
        1 + (day / 28) % 12,
        1 + day % 28,
        6 + (minute / 60) % 12,
        minute % 60
    )
}

/// Appends one event unless `limit` events are written; every fifth has no eventID.
fn event(out: &mut String, n: &mut usize, limit: usize, body: &str) {
    if *n >= limit {
        return;
    }
    if *n > 0 {
        out.push_str(",\n");
    }
    out.push('{');
    if *n % 5 != 4 {
        let _ = write!(
            out,
            "\"eventID\": \"urn:uuid:00000000-0000-4000-8000-{:012}\", ",
            *n
        );
    }
    out.push_str(body);
    out.push('}');
    *n += 1;
}

/// An EPCIS 2.0 JSON-LD document of `wanted` events.
pub fn generate(wanted: usize) -> String {
    let mut out = String::with_capacity(wanted * 900);
    out.push_str(
        "{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\", {\"ex\": \"https://ns.example.com/epcis/\"}],\n\"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\", \"creationDate\": \"2026-03-01T08:00:00Z\",\n\"epcisBody\": {\"eventList\": [\n",
    );
    let mut n = 0;
    let mut run = 0;
    while n < wanted {
        let (day, lot) = (run / 40, format!("L{run:06}"));
        let plant = 1 + run % 7;
        let dc = 100 + run % 13;
        let product = format!("{:06}", 10_000 + run % 50);
        let out_lgtin = format!("urn:epc:class:lgtin:4012345.{product}.{lot}");
        let input = |k: usize| {
            format!(
                "{{\"epcClass\": \"urn:epc:class:lgtin:4000001.{:06}.R{:06}\", \"quantity\": {}.5, \"uom\": \"KGM\"}}",
                20_000 + (run + k) % 30,
                (run * 3 + k) % 9000,
                100 + k
            )
        };
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"TransformationEvent\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"inputQuantityList\": [{}, {}, {}], \"outputQuantityList\": [{{\"epcClass\": \"{out_lgtin}\", \"quantity\": 480, \"uom\": \"KGM\"}}], \"transformationID\": \"urn:uuid:xform-{run}\", \"bizStep\": \"commissioning\", \"disposition\": \"active\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4012345.{plant:05}.1\"}}, \"bizLocation\": {{\"id\": \"urn:epc:id:sgln:4012345.{plant:05}.0\"}}, \"bizTransactionList\": [{{\"type\": \"prodorder\", \"bizTransaction\": \"urn:epcglobal:cbv:bt:4012345000009:PO-{run}\"}}], \"ilmd\": {{\"cbvmda:lotNumber\": \"{lot}\", \"cbvmda:itemExpirationDate\": \"2027-01-{:02}\"}}, \"ex:line\": \"L{}\"",
                time(day, 10),
                input(0),
                input(1),
                input(2),
                1 + run % 28,
                run % 4
            ),
        );
        let items: Vec<String> = (0..4)
            .map(|k| format!("\"urn:epc:id:sgtin:4012345.{product}.{run}{k}\""))
            .collect();
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"ObjectEvent\", \"action\": \"ADD\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"epcList\": [{}], \"quantityList\": [{{\"epcClass\": \"{out_lgtin}\", \"quantity\": 4, \"uom\": \"EA\"}}], \"bizStep\": \"commissioning\", \"disposition\": \"active\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4012345.{plant:05}.2\"}}, \"ilmd\": {{\"cbvmda:lotNumber\": \"{lot}\"}}",
                time(day, 20),
                items.join(", ")
            ),
        );
        let pallet = format!("urn:epc:id:sscc:4012345.{:010}", run);
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"AggregationEvent\", \"action\": \"ADD\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"parentID\": \"{pallet}\", \"childEPCs\": [{}], \"bizStep\": \"packing\", \"disposition\": \"in_progress\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4012345.{plant:05}.3\"}}",
                time(day, 30),
                items.join(", ")
            ),
        );
        let parties = format!(
            "\"sourceList\": [{{\"type\": \"owning_party\", \"source\": \"urn:epc:id:pgln:4012345.00000\"}}, {{\"type\": \"location\", \"source\": \"urn:epc:id:sgln:4012345.{plant:05}.0\"}}], \"destinationList\": [{{\"type\": \"owning_party\", \"destination\": \"urn:epc:id:pgln:4023333.00000\"}}, {{\"type\": \"location\", \"destination\": \"urn:epc:id:sgln:4023333.{dc:05}.0\"}}], \"bizTransactionList\": [{{\"type\": \"po\", \"bizTransaction\": \"urn:epcglobal:cbv:bt:4023333000002:PO{run}\"}}, {{\"type\": \"desadv\", \"bizTransaction\": \"urn:epcglobal:cbv:bt:4012345000009:ASN{run}\"}}]"
        );
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"epcList\": [\"{pallet}\"], \"bizStep\": \"shipping\", \"disposition\": \"in_transit\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4012345.{plant:05}.9\"}}, {parties}",
                time(day, 60)
            ),
        );
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"ObjectEvent\", \"action\": \"OBSERVE\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"epcList\": [\"{pallet}\"], \"bizStep\": \"receiving\", \"disposition\": \"in_progress\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4023333.{dc:05}.1\"}}, \"bizLocation\": {{\"id\": \"urn:epc:id:sgln:4023333.{dc:05}.0\"}}, {parties}",
                time(day + 1, 120)
            ),
        );
        event(
            &mut out,
            &mut n,
            wanted,
            &format!(
                "\"type\": \"AggregationEvent\", \"action\": \"DELETE\", \"eventTime\": \"{}\", \"eventTimeZoneOffset\": \"+02:00\", \"parentID\": \"{pallet}\", \"childEPCs\": [{}], \"bizStep\": \"unpacking\", \"disposition\": \"in_progress\", \"readPoint\": {{\"id\": \"urn:epc:id:sgln:4023333.{dc:05}.2\"}}",
                time(day + 1, 180),
                items.join(", ")
            ),
        );
        run += 1;
    }
    out.push_str("\n]}}\n");
    out
}

/// The document of `wanted` events, generated once.
fn document(wanted: usize) -> (PathBuf, usize) {
    let dir = target_dir().join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("epcis_{wanted}.jsonld"));
    if !path.exists() {
        let text = generate(wanted);
        std::fs::write(&path, text).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let events = tracelog::epcis::json::parse(&text).unwrap().events.len();
    (path, events)
}

/// One import of `doc` into a fresh database; the time of open + import.
fn import_once(doc: &Path, scratch: &Path) -> Duration {
    let db = scratch.join("db");
    let _ = std::fs::remove_dir_all(&db);
    let start = Instant::now();
    let mut importer = Importer::open(&db, Duration::from_secs(5)).unwrap();
    let report = importer
        .import_file(doc, "bench")
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert!(report.recorded.is_some());
    let elapsed = start.elapsed();
    std::fs::remove_dir_all(&db).unwrap();
    elapsed
}

/// With `TRACELOG_BENCH_STAGES` set: the time of each stage of one import.
fn stages(doc: &Path, scratch: &Path) {
    let bytes = std::fs::read(doc).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let t = Instant::now();
    let mut prefixes = tracelog::epcis::CompanyPrefixes::default();
    prefixes.learn_text(text);
    let learn = t.elapsed();
    let t = Instant::now();
    let (events, _) = tracelog::epcis::read_document(text, &prefixes).unwrap();
    let read = t.elapsed();
    let db = scratch.join("db");
    let _ = std::fs::remove_dir_all(&db);
    let importer = Importer::open(&db, Duration::from_secs(5)).unwrap();
    let t = Instant::now();
    let converted = tracelog::epcis::convert(&events, "sha", importer.state());
    let convert = t.elapsed();
    let facts = converted.assert.len();
    let t = Instant::now();
    drop((events, converted));
    let dropped = t.elapsed();
    let total = import_once(doc, scratch);
    eprintln!(
        "learn prefixes {learn:?}, read {read:?}, convert {convert:?} ({facts} facts), drop {dropped:?}; whole import {total:?}"
    );
}

fn bench(c: &mut Criterion) {
    let (doc, events) = document(events_wanted());
    if std::env::var_os("TRACELOG_BENCH_STAGES").is_some() {
        let scratch = target_dir().join("bench-epcis-import");
        std::fs::create_dir_all(&scratch).unwrap();
        stages(&doc, &scratch);
        return;
    }
    let scratch = target_dir().join("bench-epcis-import");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut group = c.benchmark_group("epcis_import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function(format!("json_{events}_events_fresh_db"), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| import_once(&doc, &scratch)).sum())
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
