//! This module benchmarks a forward trace (`tracelog trace forward`) from one
//! raw lot in a database of 10^6 EPCIS events, hot: the investigation
//! (`exposure.dl` over the database) is open, and each sample applies the
//! seed with `set_seeds` and reads `exposed_object` and `exposed_location`.
//! The target is under 100 ms.
//!
//! The database is built once into target/bench-db/trace-<VERSION>/ (kept
//! across runs; change VERSION when the shape changes) by writing schema
//! facts through `db::Writer` in transactions of about 10^5 facts. Its shape
//! is a multi-tier supply chain, one unit per finished lot (25 events):
//!   - 6 raw lots received at the plant (6 receiving events);
//!   - 2 transformations, each making an intermediate lot from 9 raw lots
//!     drawn from a recent window (so a raw lot feeds about 3 intermediates);
//!   - 1 transformation making the finished lot from 4 intermediates of a
//!     recent window (so an intermediate feeds about 2 finished lots);
//!   - the finished lot packed into 4 cases, the cases onto a pallet (5
//!     aggregation ADDs); the pallet shipped to one of 20 DCs and received
//!     there, unpacked (aggregation DELETE); each case shipped to one of 500
//!     stores and received there (4 + 4 events).
//!
//! Besides criterion's figure, the time of each of 12 questions (alternating
//! between two seeds, so each replaces the other's scope) is printed on
//! stderr: that is the figure benches/README.md reports.
//!
//! `TRACELOG_TRACE_EVENTS=100000 cargo bench --bench trace` uses a smaller database.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use tracelog::db::{self, AsOf, Draft, Fact, InputFact, Source, Writer};
use tracelog::engine::Limits;
use tracelog::investigate::Investigation;
use tracelog::source::SourceMap;

/// Bump when the generated shape changes: the cached database is rebuilt.
const VERSION: &str = "v2";
const EVENTS_PER_UNIT: u64 = 25;
const FACTS_PER_TX: usize = 100_000;
const DCS: u64 = 20;
const STORES: u64 = 500;

fn events() -> u64 {
    std::env::var("TRACELOG_TRACE_EVENTS")
        .ok()
        .and_then(|n| n.parse::<f64>().ok())
        .map_or(1_000_000, |n| n as u64)
}

fn raw(n: u64) -> String {
    format!("urn:epc:class:lgtin:0614141.000001.R{n}")
}
fn mid(n: u64) -> String {
    format!("urn:epc:class:lgtin:0614141.000002.I{n}")
}
fn fin(n: u64) -> String {
    format!("urn:epc:class:lgtin:0614141.000003.F{n}")
}
fn case(n: u64, k: u64) -> String {
    format!("urn:epc:id:sscc:0614141.1{:09}", n * 4 + k)
}
fn pallet(n: u64) -> String {
    format!("urn:epc:id:sscc:0614141.2{n:09}")
}
const PLANT: &str = "urn:epc:id:sgln:0614141.00001.0";
fn dc(n: u64) -> String {
    format!("urn:epc:id:sgln:0614141.1{:04}.0", n % DCS)
}
fn store(n: u64) -> String {
    format!("urn:epc:id:sgln:0614141.2{:04}.0", n % STORES)
}

/// Accumulates facts and commits them in transactions of ~FACTS_PER_TX.
struct Loader {
    writer: Writer,
    facts: Vec<InputFact>,
    events: u64,
}

impl Loader {
    fn fact(&mut self, rel: &str, fields: Vec<String>) {
        self.facts.push(InputFact {
            fact: Fact {
                rel: rel.to_owned(),
                fields,
            },
            line: 1,
            location: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn event(&mut self, ev: &str, etype: &str, action: &str, minutes: u64, step: &str, loc: &str) {
        let at =
            tracelog::value::format_datetime(1_767_225_600_000_000 + minutes as i64 * 60_000_000);
        self.events += 1;
        self.fact(
            "event",
            [ev, etype, action, &at, "+00:00", step, "", loc, loc]
                .map(str::to_owned)
                .to_vec(),
        );
    }

    fn qty(&mut self, ev: &str, role: &str, class: &str) {
        self.fact(
            "ev_qty",
            [ev, role, class, "100.0", "KGM"]
                .map(str::to_owned)
                .to_vec(),
        );
    }

    fn obj(&mut self, ev: &str, role: &str, id: &str) {
        self.fact("ev_obj", [ev, role, id].map(str::to_owned).to_vec());
    }

    fn flush(&mut self, force: bool) {
        if self.facts.len() < FACTS_PER_TX && !force || self.facts.is_empty() {
            return;
        }
        let assert = std::mem::take(&mut self.facts);
        self.writer
            .commit(Draft {
                principal: "bench".to_owned(),
                channel: "import".to_owned(),
                source: Source::default(),
                reason: None,
                assert,
                retract: Vec::new(),
                force: true,
                sources: SourceMap::default(),
            })
            .unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    }
}

/// Builds the database of `units` finished lots into `dir`.
fn build(dir: &Path, units: u64) -> String {
    let _ = std::fs::remove_dir_all(dir);
    db::init(dir).unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    let writer = Writer::open(dir, Duration::from_secs(5))
        .unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    let mut l = Loader {
        writer,
        facts: Vec::with_capacity(FACTS_PER_TX + 100),
        events: 0,
    };
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = |bound: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % bound.max(1)
    };
    // The raw lot traced: one that went, through an intermediate, into the
    // finished lot of the middle unit.
    let mut seed = 0;
    let mut first_raw: Vec<u64> = Vec::with_capacity(units as usize * 2);
    for u in 0..units {
        let t = u * 10; // minutes: one unit every 10 minutes
        for r in 0..6 {
            let ev = format!("rcv-raw-{u}-{r}");
            l.event(&ev, "object", "observe", t, "receiving", PLANT);
            l.qty(&ev, "subject", &raw(u * 6 + r));
        }
        // Intermediates from raw lots of a recent window (about 3 uses each).
        for i in 0..2 {
            let ev = format!("xf-mid-{u}-{i}");
            l.event(&ev, "transformation", "", t + 1, "commissioning", PLANT);
            for k in 0..9 {
                let r = (u * 6 + 6).saturating_sub(1 + next(18));
                if k == 0 {
                    first_raw.push(r);
                }
                l.qty(&ev, "input", &raw(r));
            }
            l.qty(&ev, "output", &mid(u * 2 + i));
        }
        // The finished lot from intermediates of a recent window (about 2 uses each).
        let ev = format!("xf-fin-{u}");
        l.event(&ev, "transformation", "", t + 2, "commissioning", PLANT);
        for k in 0..4 {
            let m = (u * 2 + 2).saturating_sub(1 + next(4));
            if k == 0 && u == units / 2 {
                seed = first_raw[m as usize];
            }
            l.qty(&ev, "input", &mid(m));
        }
        l.qty(&ev, "output", &fin(u));
        // Packing: the lot into 4 cases, the cases onto a pallet.
        for k in 0..4 {
            let ev = format!("pack-case-{u}-{k}");
            l.event(&ev, "aggregation", "add", t + 3, "packing", PLANT);
            l.obj(&ev, "parent", &case(u, k));
            l.qty(&ev, "child", &fin(u));
        }
        let ev = format!("pack-pallet-{u}");
        l.event(&ev, "aggregation", "add", t + 4, "packing", PLANT);
        l.obj(&ev, "parent", &pallet(u));
        for k in 0..4 {
            l.obj(&ev, "child", &case(u, k));
        }
        // The pallet to a DC, received, unpacked.
        let d = dc(next(DCS));
        let ev = format!("ship-pallet-{u}");
        l.event(&ev, "object", "observe", t + 60, "shipping", PLANT);
        l.obj(&ev, "subject", &pallet(u));
        l.fact("ev_dst", vec![ev.clone(), "location".to_owned(), d.clone()]);
        let ev = format!("rcv-pallet-{u}");
        l.event(&ev, "object", "observe", t + 600, "receiving", &d);
        l.obj(&ev, "subject", &pallet(u));
        let ev = format!("unpack-pallet-{u}");
        l.event(&ev, "aggregation", "delete", t + 610, "unpacking", &d);
        l.obj(&ev, "parent", &pallet(u));
        // Each case to a store, received.
        for k in 0..4 {
            let s = store(next(STORES));
            let ev = format!("ship-case-{u}-{k}");
            l.event(&ev, "object", "observe", t + 1440, "shipping", &d);
            l.obj(&ev, "subject", &case(u, k));
            l.fact("ev_dst", vec![ev.clone(), "location".to_owned(), s.clone()]);
            let ev = format!("rcv-case-{u}-{k}");
            l.event(&ev, "object", "observe", t + 2880, "receiving", &s);
            l.obj(&ev, "subject", &case(u, k));
        }
        l.flush(false);
    }
    l.flush(true);
    assert_eq!(l.events, units * EVENTS_PER_UNIT);
    raw(seed)
}

/// The cached database for `events` events, built when missing, and the
/// raw lot to trace from.
fn database(events: u64) -> (PathBuf, u64, String) {
    let units = events / EVENTS_PER_UNIT;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-db")
        .join(format!("trace-{VERSION}-{units}"));
    let done = dir.join("bench-complete");
    if !done.exists() {
        let started = Instant::now();
        let seed = build(&dir, units);
        // The writer leaves a state snapshot every few transactions (~3.5 GB
        // at 10^6 events); the newest is enough.
        db::snapshot::prune(&dir, 1);
        std::fs::write(&done, seed).unwrap();
        eprintln!(
            "built {} ({} events) in {:.1?}",
            dir.display(),
            units * EVENTS_PER_UNIT,
            started.elapsed()
        );
    }
    let seed = std::fs::read_to_string(&done).unwrap();
    (dir, units, seed)
}

fn trace(c: &mut Criterion) {
    let (dir, units, seed) = database(events());
    let limits = Limits::default();
    let started = Instant::now();
    let mut inv = Investigation::open(&dir, &["exposure.dl"], AsOf::Head, &limits)
        .unwrap_or_else(|failure| panic!("{:?}", failure.diagnostics));
    eprintln!(
        "opened exposure.dl over {} ({:?}) in {:.1?}",
        dir.display(),
        inv.opened(),
        started.elapsed()
    );
    let seed = vec![seed];
    let other = vec![raw(units * 3 + 600)];
    inv.set_seeds(&seed, &limits).unwrap();
    let objects = inv.rows("exposed_object").len();
    let locations = inv.rows("exposed_location").len();
    eprintln!(
        "trace forward from {}: {objects} objects, {locations} locations",
        seed[0]
    );
    assert!(
        objects > 5 && locations > 2,
        "the seed reaches a realistic scope"
    );
    // Per-question times, printed: the first update builds the indexes
    // updates read, so it is slower than the following ones.
    for round in 0..6 {
        for seeds in [&seed, &other] {
            let started = Instant::now();
            inv.set_seeds(seeds, &limits).unwrap();
            let seeded = started.elapsed();
            let answer = (inv.rows("exposed_object"), inv.rows("exposed_location"));
            eprintln!(
                "round {round} seed {}: {} objects, {} locations in {:.2?} (set_seeds {:.2?})",
                seeds[0],
                answer.0.len(),
                answer.1.len(),
                started.elapsed(),
                seeded
            );
        }
    }
    let mut group = c.benchmark_group("trace");
    group.sample_size(20);
    group.bench_function(
        format!("forward_hot_{}_events", units * EVENTS_PER_UNIT),
        |b| {
            // Alternate between two seeds so each sample removes one scope and adds another.
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                let seeds = if flip { &seed } else { &other };
                inv.set_seeds(seeds, &limits).unwrap();
                black_box((inv.rows("exposed_object"), inv.rows("exposed_location")))
            })
        },
    );
    group.finish();
    println!("database: {}", dir.display());
    println!("seed: {}", seed[0]);
}

criterion_group!(benches, trace);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
