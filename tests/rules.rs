//! Every shipped rule set in rules/ checks without an error and declares its
//! policy, and each one gives the expected tuples on small hand-made fact
//! sets (written inline below; every expected tuple is reasoned out by hand in
//! the comment beside it).

use std::path::Path;

use tracelog::diagnostic::Code;
use tracelog::driver;
use tracelog::engine::{Engine, Limits};
use tracelog::ir::Const;

/// The rule sets the project ships.
const SHIPPED: &[&str] = &[
    "schema.dl",
    "genealogy.dl",
    "exposure.dl",
    "recall.dl",
    "audit.dl",
];

#[test]
fn every_rule_set_checks_cleanly_and_declares_a_policy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut n_files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "dl") {
            continue;
        }
        n_files += 1;
        let compiled = match driver::compile_file(&path) {
            Ok(compiled) => compiled,
            Err(failed) => panic!(
                "{}",
                tracelog::diagnostic::render(&failed.sources, &failed.diagnostics)
            ),
        };
        // A library alone has no facts for its inputs: only `unknown-relation` may warn.
        let others: Vec<_> = compiled
            .warnings
            .iter()
            .filter(|d| d.code != Code::UnknownRelation)
            .cloned()
            .collect();
        assert!(
            others.is_empty(),
            "{}",
            tracelog::diagnostic::render(&compiled.sources, &others)
        );
        // Rule sets include schema.dl (and each other): each file declares
        // exactly one policy of its own, the included ones keep theirs.
        let own = compiled
            .program
            .policies
            .iter()
            .filter(|p| p.file == tracelog::source::FileId(0))
            .count();
        assert_eq!(own, 1, "{} declares no .policy of its own", path.display());
    }
    assert!(n_files > 0, "no rule sets in {}", dir.display());
    for name in SHIPPED {
        assert!(dir.join(name).exists(), "rules/{name} is missing");
    }
}

/// The derived relations of one rule set evaluated over inline facts.
struct Run {
    compiled: driver::Compiled,
    engine: Engine,
}

impl Run {
    /// Evaluates `rules/RULE_FILE` over `facts` (program text: facts, extra rules).
    fn new(rule_file: &str, facts: &str) -> Run {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules")
            .join(rule_file);
        let text = format!(".include {:?}\n{facts}", rules.display().to_string());
        let compiled = driver::compile_text("test.dl", &text).unwrap_or_else(|failed| {
            panic!(
                "{}",
                tracelog::diagnostic::render(&failed.sources, &failed.diagnostics)
            )
        });
        // The leaked program outlives the engine that borrows it.
        let program: &'static tracelog::ir::Program = Box::leak(Box::new(compiled.program.clone()));
        let mut engine = Engine::new(program);
        engine.run(&Limits::default()).unwrap();
        Run { compiled, engine }
    }

    /// The tuples of `name`, each as its fields joined by " | ", sorted.
    fn rows(&self, name: &str) -> Vec<String> {
        let program = &self.compiled.program;
        let rel = program
            .relation_by_name(name)
            .unwrap_or_else(|| panic!("no relation {name}"));
        let columns = &program.relation(rel).columns;
        let mut rows: Vec<String> = self
            .engine
            .rows(rel)
            .map(|row| {
                row.iter()
                    .zip(columns)
                    .map(|(&v, col)| match self.engine.values().decode(col.ty, v) {
                        Const::Sym(s) => s,
                        Const::Int(n) => n.to_string(),
                        Const::Unsigned(n) => n.to_string(),
                        Const::Float(x) => format!("{x:?}"),
                        Const::Time(t) => tracelog::value::format_datetime(t),
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        rows.sort();
        rows
    }
}

fn strs(rows: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = rows.iter().map(|s| s.to_string()).collect();
    rows.sort();
    rows
}

// ---------------------------------------------------------------- genealogy

/// A split transformation (X1 holds the inputs, X2 the outputs, both with
/// transformationID T1), class-level and instance-level objects, a plant batch,
/// a lot with an item, a seed given by its alias, and a transformation (X4)
/// that an error declaration retracted.
const GENEALOGY: &str = r#"
// B1 consumed raw lot R and produced lot A.
consume("B1", "R", 100.0, "KGM", "2026-03-01T08:00:00Z").
produce("B1", "A", 90.0, "KGM", "2026-03-01T10:00:00Z").
lot_of("i1", "A").
event("X1", "transformation", "", "2026-03-02T08:00:00Z", "+00:00", "transforming", "", "", "site1").
event("X2", "transformation", "", "2026-03-02T09:00:00Z", "+00:00", "transforming", "", "", "site1").
ev_xform("X1", "T1"). ev_xform("X2", "T1").
ev_qty("X1", "input", "A", 50.0, "KGM").
ev_obj("X1", "input", "i1").
ev_qty("X2", "output", "P", 40.0, "KGM").
ev_obj("X2", "output", "o1").
// X3: no transformationID, its own group.
event("X3", "transformation", "", "2026-03-03T08:00:00Z", "+00:00", "transforming", "", "", "site1").
ev_class("X3", "input", "P").
ev_class("X3", "output", "Q").
// X4 was declared erroneous: it must not make Z from Q.
event("X4", "transformation", "", "2026-03-04T08:00:00Z", "+00:00", "transforming", "", "", "site1").
ev_class("X4", "input", "Q").
ev_class("X4", "output", "Z").
ev_error("X4", "2026-03-05T08:00:00Z", "incorrect_data", "").
id_alias("https://id.gs1.org/R", "R").
trace_seed("https://id.gs1.org/R").
trace_seed("Q").
"#;

#[test]
fn genealogy_joins_split_transformations_batches_and_lots() {
    let run = Run::new("genealogy.dl", GENEALOGY);
    // Both inputs of T1 (X1) feed both outputs (X2); X3 stands alone; B1 joins
    // its consumed and produced lots; lot_of links A to i1; X4 is retracted.
    assert_eq!(
        run.rows("went_into"),
        strs(&[
            "A | P | T1",
            "A | o1 | T1",
            "i1 | P | T1",
            "i1 | o1 | T1",
            "P | Q | X3",
            "R | A | B1",
            "A | i1 | lot_of",
        ])
    );
}

#[test]
fn genealogy_traces_with_the_fewest_hops() {
    let run = Run::new("genealogy.dl", GENEALOGY);
    let alias = "https://id.gs1.org/R";
    // Forward from R (named by its alias): R -> A (1) -> i1, P, o1 (2; P also
    // by R->A->i1->P in 3, the fewest counts) -> Q (3). Not Z: X4 is retracted.
    assert_eq!(
        run.rows("trace_forward"),
        strs(&[
            &format!("{alias} | R | 0"),
            &format!("{alias} | A | 1"),
            &format!("{alias} | i1 | 2"),
            &format!("{alias} | P | 2"),
            &format!("{alias} | o1 | 2"),
            &format!("{alias} | Q | 3"),
            "Q | Q | 0",
        ])
    );
    // Backward from Q: P (1, X3), A and i1 (2, T1), R (3, B1); i1's lot A is
    // also 3 hops via i1, but 2 directly. Backward from R: nothing went into it.
    assert_eq!(
        run.rows("trace_backward"),
        strs(&[
            &format!("{alias} | R | 0"),
            "Q | Q | 0",
            "Q | P | 1",
            "Q | A | 2",
            "Q | i1 | 2",
            "Q | R | 3",
        ])
    );
    // R has no inputs; A (from R) and i1 (from A) have.
    assert_eq!(run.rows("raw_ancestor"), strs(&["Q | R"]));
    // o1 and Q went into no live transformation; A, i1 and P did.
    assert_eq!(
        run.rows("finished_descendant"),
        strs(&[&format!("{alias} | o1"), &format!("{alias} | Q")])
    );
}

#[test]
fn genealogy_still_accepts_consumed_edges_of_its_own() {
    // The earlier form of this rule set read consumed/2 directly.
    let run = Run::new(
        "genealogy.dl",
        r#"
consumed("R1", "B1"). consumed("R2", "B1"). consumed("B1", "F1"). consumed("B1", "F2"). consumed("R3", "F2").
trace_seed("R1"). trace_seed("F2").
"#,
    );
    assert_eq!(
        run.rows("descendant"),
        strs(&["R1 | B1", "R1 | F1", "R1 | F2"])
    );
    assert_eq!(
        run.rows("ancestor"),
        strs(&["F2 | B1", "F2 | R1", "F2 | R2", "F2 | R3"])
    );
    assert_eq!(
        run.rows("raw_ancestor"),
        strs(&["F2 | R1", "F2 | R2", "F2 | R3"])
    );
}

// ---------------------------------------------------------------- exposure

/// Items s1 (lot L) and u1 (lot M) are packed in CASE1, CASE1 on PAL1; PAL1 is
/// shipped to DC1 and received there; PAL1 is unpacked with a DELETE naming no
/// children (CASE1 leaves it), s1 is taken out of CASE1; CASE1 (with u1 only)
/// goes on to STORE1, s1 alone to STORE2, the empty PAL1 to DC9. Lot L is also
/// shipped in bulk by plant data (SH9). SHIPX (s2 to DC_X) was retracted.
const EXPOSURE: &str = r#"
lot_of("s1", "L"). lot_of("s2", "L"). lot_of("u1", "M").
location("STORE1", "PARTY_STORE", "Store 1", "Springfield", "US").
event("AGG1", "aggregation", "add", "2026-03-01T10:00:00Z", "+00:00", "packing", "", "", "PLANT").
ev_obj("AGG1", "parent", "CASE1"). ev_obj("AGG1", "child", "s1"). ev_obj("AGG1", "child", "u1").
event("AGG2", "aggregation", "add", "2026-03-01T11:00:00Z", "+00:00", "loading", "", "", "PLANT").
ev_obj("AGG2", "parent", "PAL1"). ev_obj("AGG2", "child", "CASE1").
event("SHIP1", "object", "observe", "2026-03-02T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIP1", "subject", "PAL1").
ev_src("SHIP1", "location", "PLANT"). ev_dst("SHIP1", "location", "DC1"). ev_dst("SHIP1", "owning_party", "PARTY_DC").
event("RCV1", "object", "observe", "2026-03-03T08:00:00Z", "+00:00", "receiving", "in_progress", "", "DC1").
ev_obj("RCV1", "subject", "PAL1").
// Unpacking: no children named, so every current child (CASE1) leaves PAL1.
event("AGG3", "aggregation", "delete", "2026-03-03T09:00:00Z", "+00:00", "unpacking", "", "", "DC1").
ev_obj("AGG3", "parent", "PAL1").
event("AGG4", "aggregation", "delete", "2026-03-03T10:00:00Z", "+00:00", "unpacking", "", "", "DC1").
ev_obj("AGG4", "parent", "CASE1"). ev_obj("AGG4", "child", "s1").
// No source location (the business location DC1 stands in), no party (STORE1's master data gives it).
event("SHIP2", "object", "observe", "2026-03-04T08:00:00Z", "+00:00", "shipping", "in_transit", "", "DC1").
ev_obj("SHIP2", "subject", "CASE1"). ev_dst("SHIP2", "location", "STORE1").
event("SHIP3", "object", "observe", "2026-03-04T09:00:00Z", "+00:00", "shipping", "in_transit", "", "DC1").
ev_obj("SHIP3", "subject", "s1").
ev_src("SHIP3", "location", "DC1"). ev_dst("SHIP3", "location", "STORE2"). ev_dst("SHIP3", "owning_party", "PARTY_S2").
event("SHIP4", "object", "observe", "2026-03-05T08:00:00Z", "+00:00", "shipping", "in_transit", "", "DC1").
ev_obj("SHIP4", "subject", "PAL1"). ev_dst("SHIP4", "location", "DC9").
event("SHIPX", "object", "observe", "2026-03-05T09:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIPX", "subject", "s2"). ev_dst("SHIPX", "location", "DC_X").
ev_error("SHIPX", "2026-03-06T08:00:00Z", "incorrect_data", "").
shipment("SH9", "PLANT", "CUST", "PARTY_C", "2026-03-06T08:00:00Z", "bol-9").
ship_line("SH9", "L", 10.0, "KGM").
trace_seed("L"). trace_seed("u1").
"#;

#[test]
fn exposure_containment_over_time() {
    let run = Run::new("exposure.dl", EXPOSURE);
    // s1 leaves CASE1 at AGG4; u1 never does (open end); CASE1 leaves PAL1 at
    // AGG3, the DELETE with no children.
    assert_eq!(
        run.rows("contained"),
        strs(&[
            "CASE1 | s1 | 2026-03-01T10:00:00Z | 2026-03-03T10:00:00Z",
            "CASE1 | u1 | 2026-03-01T10:00:00Z | 9999-12-31T23:59:59Z",
            "PAL1 | CASE1 | 2026-03-01T11:00:00Z | 2026-03-03T09:00:00Z",
        ])
    );
    // Sources fall back to the business location, parties to the location's
    // master data, else ""; SHIPX is retracted.
    assert_eq!(
        run.rows("shipped"),
        strs(&[
            "SHIP1 | PLANT | DC1 | PARTY_DC | 2026-03-02T08:00:00Z",
            "SHIP2 | DC1 | STORE1 | PARTY_STORE | 2026-03-04T08:00:00Z",
            "SHIP3 | DC1 | STORE2 | PARTY_S2 | 2026-03-04T09:00:00Z",
            "SHIP4 | DC1 | DC9 |  | 2026-03-05T08:00:00Z",
            "SH9 | PLANT | CUST | PARTY_C | 2026-03-06T08:00:00Z",
        ])
    );
    // SHIP1 and RCV1 (before the unpacking) carry the whole nest; SHIP2 carries
    // CASE1 with u1 only; SHIP4 carries the empty pallet.
    let carried: Vec<String> = run
        .rows("carried")
        .into_iter()
        .map(|row| row.rsplit_once(" | ").unwrap().0.to_string())
        .collect();
    assert_eq!(
        carried,
        strs(&[
            "RCV1 | CASE1 | PAL1",
            "RCV1 | PAL1 | PAL1",
            "RCV1 | s1 | PAL1",
            "RCV1 | u1 | PAL1",
            "SH9 | L | L",
            "SHIP1 | CASE1 | PAL1",
            "SHIP1 | PAL1 | PAL1",
            "SHIP1 | s1 | PAL1",
            "SHIP1 | u1 | PAL1",
            "SHIP2 | CASE1 | CASE1",
            "SHIP2 | u1 | CASE1",
            "SHIP3 | s1 | s1",
            "SHIP4 | PAL1 | PAL1",
        ])
    );
}

#[test]
fn exposure_reaches_locations_and_parties_through_containers() {
    let run = Run::new("exposure.dl", EXPOSURE);
    // L (0) -> s1, s2 (1, lot_of); s1 was in CASE1 (2), CASE1 on PAL1 (3).
    // u1 (0) was in CASE1 (1), on PAL1 (2).
    assert_eq!(
        run.rows("exposed_object"),
        strs(&[
            "L | L | 0",
            "L | s1 | 1",
            "L | s2 | 1",
            "L | CASE1 | 2",
            "L | PAL1 | 3",
            "u1 | u1 | 0",
            "u1 | CASE1 | 1",
            "u1 | PAL1 | 2",
        ])
    );
    // L: SH9 takes L itself to CUST (hop 1); s1 (hop 1) reaches DC1 in PAL1
    // (SHIP1, RCV1) and STORE2 alone (SHIP3), hop 2. Not STORE1: s1 had left
    // CASE1 before SHIP2. Not DC9: PAL1 was empty. Not DC_X: retracted.
    // u1: DC1 in PAL1, STORE1 in CASE1 (hop 1).
    assert_eq!(
        run.rows("exposed_location"),
        strs(&[
            "L | CUST | 1",
            "L | DC1 | 2",
            "L | STORE2 | 2",
            "u1 | DC1 | 1",
            "u1 | STORE1 | 1",
        ])
    );
    assert_eq!(
        run.rows("exposed_party"),
        strs(&[
            "L | PARTY_C | 1",
            "L | PARTY_DC | 2",
            "L | PARTY_S2 | 2",
            "u1 | PARTY_DC | 1",
            "u1 | PARTY_STORE | 1",
        ])
    );
    assert_eq!(
        run.rows("exposed_shipment"),
        strs(&[
            "L | SH9 | L | L",
            "L | SHIP1 | s1 | PAL1",
            "L | SHIP3 | s1 | s1",
            "u1 | SHIP1 | u1 | PAL1",
            "u1 | SHIP2 | u1 | CASE1",
        ])
    );
}

#[test]
fn exposure_equipment_runs_between_full_cleanings() {
    // LINE1 runs P1, P2, then a changeover cleaning (not full), P3, a full
    // cleaning, P4; P5 runs alone on LINE2.
    let run = Run::new(
        "exposure.dl",
        r#"
equip_use("LINE1", "P1", "2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z").
equip_use("LINE1", "P2", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z").
cleaning("LINE1", "2026-03-01T11:30:00Z", "changeover").
equip_use("LINE1", "P3", "2026-03-01T12:00:00Z", "2026-03-01T13:00:00Z").
cleaning("LINE1", "2026-03-01T13:30:00Z", "full").
equip_use("LINE1", "P4", "2026-03-01T14:00:00Z", "2026-03-01T15:00:00Z").
equip_use("LINE2", "P5", "2026-03-01T16:00:00Z", "2026-03-01T17:00:00Z").
produce("P1", "E1", 1.0, "KGM", "2026-03-01T09:00:00Z").
produce("P2", "E2", 1.0, "KGM", "2026-03-01T11:00:00Z").
produce("P3", "E3", 1.0, "KGM", "2026-03-01T13:00:00Z").
produce("P4", "E4", 1.0, "KGM", "2026-03-01T15:00:00Z").
produce("P5", "E5", 1.0, "KGM", "2026-03-01T17:00:00Z").
trace_seed("E2"). trace_seed("E4").
"#,
    );
    // P1, P2, P3 share LINE1 (the changeover is not a full cleaning); the full
    // cleaning at 13:30 separates P4 from all of them; P5 ran on LINE2 alone.
    assert_eq!(
        run.rows("equip_shared"),
        strs(&["E1 | E2 | LINE1", "E1 | E3 | LINE1", "E2 | E3 | LINE1"])
    );
    // E3 ran after E2 with no full cleaning between; E1 ran before E2 and cannot
    // have picked anything up from it; E4 shares with nothing.
    assert_eq!(run.rows("equip_exposed"), strs(&["E2 | E3 | LINE1"]));
}

// ---------------------------------------------------------------- recall

/// Raw lot R goes into F1 (batch B1); B3 ran on LINE after B1 with no full
/// cleaning (F3 shares the line), B4 after a full cleaning (F4 does not); F2
/// comes from another lot. Item c1 belongs to F1; pallet PAL7 holds 5 cases of
/// F1 (class level) when SHIPA takes it to DC1. Plant shipments SH1 (F1 and F2
/// to CUST), SH2 (F3 to CUST, the same quantity as F1 on SH1), SH3 (F4); SHIPB
/// takes 2 cases of F3 (class level) to STORE.
const RECALL: &str = r#"
consume("B1", "R", 100.0, "KGM", "2026-03-01T08:00:00Z").
produce("B1", "F1", 10.0, "CS", "2026-03-01T09:00:00Z").
consume("B2", "R2", 50.0, "KGM", "2026-03-01T08:00:00Z").
produce("B2", "F2", 11.0, "CS", "2026-03-01T09:00:00Z").
produce("B3", "F3", 8.0, "CS", "2026-03-01T11:00:00Z").
produce("B4", "F4", 5.0, "CS", "2026-03-01T13:00:00Z").
equip_use("LINE", "B1", "2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z").
equip_use("LINE", "B3", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z").
cleaning("LINE", "2026-03-01T11:30:00Z", "full").
equip_use("LINE", "B4", "2026-03-01T12:00:00Z", "2026-03-01T13:00:00Z").
lot_of("c1", "F1").
event("AGG7", "aggregation", "add", "2026-03-02T08:00:00Z", "+00:00", "packing", "", "", "PLANT").
ev_obj("AGG7", "parent", "PAL7"). ev_qty("AGG7", "child", "F1", 5.0, "CS").
event("SHIPA", "object", "observe", "2026-03-03T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIPA", "subject", "PAL7"). ev_dst("SHIPA", "location", "DC1"). ev_dst("SHIPA", "owning_party", "PD").
event("SHIPB", "object", "observe", "2026-03-03T09:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_qty("SHIPB", "subject", "F3", 2.0, "CS"). ev_dst("SHIPB", "location", "STORE"). ev_dst("SHIPB", "owning_party", "PS").
shipment("SH1", "PLANT", "CUST", "PC", "2026-03-04T08:00:00Z", "bol-1").
ship_line("SH1", "F1", 6.0, "CS"). ship_line("SH1", "F2", 4.0, "CS").
shipment("SH2", "PLANT", "CUST", "PC", "2026-03-04T09:00:00Z", "bol-2").
ship_line("SH2", "F3", 6.0, "CS").
shipment("SH3", "PLANT", "CUST2", "PX", "2026-03-04T10:00:00Z", "bol-3").
ship_line("SH3", "F4", 5.0, "CS").
inventory("F1", "PLANT", 10.0, "CS", "2026-03-01T09:00:00Z").
inventory("F1", "PLANT", 4.0, "CS", "2026-03-05T08:00:00Z").
inventory("F2", "PLANT", 7.0, "CS", "2026-03-05T08:00:00Z").
inventory("F3", "PLANT", 0.0, "CS", "2026-03-05T08:00:00Z").
inventory("F4", "DC2", 5.0, "CS", "2026-03-05T08:00:00Z").
inventory("R", "PLANT", 1.0, "KGM", "2026-03-05T08:00:00Z").
trace_seed("R").
"#;

#[test]
fn recall_scope_from_a_raw_lot() {
    let run = Run::new("recall.dl", RECALL);
    // R (seed) -> F1 (B1) -> c1 (lot_of); F1 shares LINE with F3 (no full
    // cleaning between B1 and B3); PAL7 held F1. Not F2 (other input), not F4
    // (full cleaning before B4).
    assert_eq!(run.rows("affected_lot"), strs(&["F1", "F3", "R"]));
    assert_eq!(run.rows("affected_item"), strs(&["c1"]));
    assert_eq!(run.rows("affected_container"), strs(&["PAL7"]));
    // Only the affected lines: F1 on SH1 (not F2), F3 on SH2, the pallet on
    // SHIPA (one instance: 1 EA), 2 CS of F3 on SHIPB. SH3 carried F4 only.
    assert_eq!(
        run.rows("affected_ship_line"),
        strs(&[
            "SH1 | F1 | 6.0 | CS",
            "SH2 | F3 | 6.0 | CS",
            "SHIPA | PAL7 | 1.0 | EA",
            "SHIPB | F3 | 2.0 | CS",
        ])
    );
    // PC got 6 + 6 CS at CUST (two lines of the same quantity both count).
    assert_eq!(
        run.rows("affected_consignee"),
        strs(&[
            "PC | CUST | CS | 12.0",
            "PD | DC1 | EA | 1.0",
            "PS | STORE | CS | 2.0",
        ])
    );
    // Latest records: F1 4 CS (not the older 10), R 1 KGM; F3 is at 0 (nothing
    // to hold). F2 and F4 are outside the scope and may move.
    assert_eq!(
        run.rows("hold_inventory"),
        strs(&["F1 | PLANT | 4.0 | CS", "R | PLANT | 1.0 | KGM"])
    );
    assert_eq!(
        run.rows("free_inventory"),
        strs(&["F2 | PLANT | 7.0 | CS", "F4 | DC2 | 5.0 | CS"])
    );
    // 3 lots, 1 item, 1 container, 4 shipments, 3 consignee sites.
    assert_eq!(run.rows("recall_summary"), strs(&["3 | 1 | 1 | 4 | 3"]));
}

#[test]
fn recall_without_equipment_and_from_several_seeds() {
    // Without shared equipment F3 leaves the scope; a second seed (F4) adds
    // its own lot and its line on SH3.
    let run = Run::new(
        "recall.dl",
        &format!("{RECALL}\nrecall_no_equipment().\ntrace_seed(\"F4\").\n"),
    );
    assert_eq!(run.rows("affected_lot"), strs(&["F1", "F4", "R"]));
    assert_eq!(
        run.rows("affected_consignee"),
        strs(&[
            "PC | CUST | CS | 6.0",
            "PD | DC1 | EA | 1.0",
            "PX | CUST2 | CS | 5.0"
        ])
    );
}

// ---------------------------------------------------------------- audit

#[test]
fn audit_shipments_without_receipts_and_unattributed_events() {
    let run = Run::new(
        "audit.dl",
        r#"
// SHIP1 is received (RCV1 names PAL1 a day later).
event("SHIP1", "object", "observe", "2026-03-02T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIP1", "subject", "PAL1"). ev_src("SHIP1", "location", "PLANT"). ev_dst("SHIP1", "location", "DC1").
event("RCV1", "object", "observe", "2026-03-03T08:00:00Z", "+00:00", "receiving", "in_progress", "", "DC1").
ev_obj("RCV1", "subject", "PAL1").
// SHIP2: no receipt, no source, no location at all.
event("SHIP2", "object", "observe", "2026-03-04T08:00:00Z", "+00:00", "shipping", "in_transit", "", "").
ev_obj("SHIP2", "subject", "CASE2"). ev_dst("SHIP2", "location", "STORE").
// SHIP3 is received through its bill of lading (RCV3 names another object).
event("SHIP3", "object", "observe", "2026-03-05T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIP3", "subject", "X3"). ev_src("SHIP3", "location", "PLANT"). ev_dst("SHIP3", "location", "DC1").
ev_biztx("SHIP3", "bol", "B3").
event("RCV3", "object", "observe", "2026-03-06T08:00:00Z", "+00:00", "receiving", "in_progress", "", "DC1").
ev_obj("RCV3", "subject", "Y3"). ev_biztx("RCV3", "bol", "B3").
// SHIP4: no destination, no receipt.
event("SHIP4", "object", "observe", "2026-03-07T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_obj("SHIP4", "subject", "X4"). ev_src("SHIP4", "location", "PLANT").
// RCV5: received nowhere. OBS6 has a read point: attributed.
event("RCV5", "object", "observe", "2026-03-08T08:00:00Z", "+00:00", "receiving", "in_progress", "", "").
ev_obj("RCV5", "subject", "X5").
event("OBS6", "object", "observe", "2026-03-08T09:00:00Z", "+00:00", "storing", "", "RP6", "").
ev_obj("OBS6", "subject", "X5").
// Plant data: SH1 has a receipt, SH2 none.
shipment("SH1", "PLANT", "CUST", "PC", "2026-03-06T08:00:00Z", "bol-1").
receipt("RC1", "SH1", "CUST", "PLANT", "2026-03-07T08:00:00Z").
shipment("SH2", "PLANT", "CUST", "PC", "2026-03-06T09:00:00Z", "bol-2").
"#,
    );
    assert_eq!(
        run.rows("shipment_without_receipt"),
        strs(&[
            "SH2 | CUST | 2026-03-06T09:00:00Z",
            "SHIP2 | STORE | 2026-03-04T08:00:00Z",
            "SHIP4 |  | 2026-03-07T08:00:00Z",
        ])
    );
    // SHIP2 has neither read point nor business location nor source; SHIP4 no
    // destination; RCV5 no location of any kind.
    assert_eq!(
        run.rows("unattributed_event"),
        strs(&[
            "RCV5 | no_location",
            "RCV5 | no_receiving_location",
            "SHIP2 | no_location",
            "SHIP2 | no_source",
            "SHIP4 | no_destination",
        ])
    );
}

#[test]
fn audit_objects_with_no_origin() {
    let run = Run::new(
        "audit.dl",
        r#"
event("COM1", "object", "add", "2026-03-01T08:00:00Z", "+00:00", "commissioning", "active", "", "PLANT").
ev_obj("COM1", "subject", "i1").
event("AGG1", "aggregation", "add", "2026-03-01T09:00:00Z", "+00:00", "packing", "", "", "PLANT").
ev_obj("AGG1", "parent", "PAL1"). ev_obj("AGG1", "child", "i1").
event("T1", "transformation", "", "2026-03-01T10:00:00Z", "+00:00", "transforming", "", "", "PLANT").
ev_obj("T1", "input", "i1"). ev_class("T1", "output", "O1").
event("RCV9", "object", "observe", "2026-03-01T11:00:00Z", "+00:00", "receiving", "", "", "PLANT").
ev_obj("RCV9", "subject", "R9").
produce("B1", "L1", 5.0, "CS", "2026-03-01T12:00:00Z").
consume("B1", "RAW", 5.0, "KGM", "2026-03-01T12:00:00Z").
lot_of("i2", "L1"). lot_of("i3", "L3").
inventory("L1", "PLANT", 5.0, "CS", "2026-03-02T08:00:00Z").
ship_line("SH", "GHOST", 1.0, "CS").
"#,
    );
    // i1 commissioned, PAL1 packed, O1 transformed, R9 received, L1 produced,
    // i2 an item of L1. RAW (consumed, never received), GHOST (shipped, never
    // made) and i3 (its lot L3 has no origin) have none.
    assert_eq!(run.rows("no_origin"), strs(&["GHOST", "RAW", "i3"]));
}

#[test]
fn audit_missing_fsma_204_kdes() {
    let run = Run::new(
        "audit.dl",
        r#"
product("P_FTL", "Romaine lettuce", "leafy_greens"). product("P_NON", "Bottled water", "").
lot("LOT_A", "P_FTL", "A1"). lot("LOT_N", "P_NON", "N1").
// A transformation split in two events (TX): inputs and reference in XF1, outputs in XF2.
event("XF1", "transformation", "", "2026-03-01T08:00:00Z", "+00:00", "transforming", "", "", "PLANT").
event("XF2", "transformation", "", "2026-03-01T09:00:00Z", "+00:00", "transforming", "", "", "PLANT").
ev_xform("XF1", "TX"). ev_xform("XF2", "TX").
ev_qty("XF1", "input", "LOT_R", 100.0, "KGM"). ev_biztx("XF1", "prodorder", "PO1").
ev_qty("XF2", "output", "LOT_A", 10.0, "CS").
// A complete shipping record.
event("SHIPA", "object", "observe", "2026-03-02T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_qty("SHIPA", "subject", "LOT_A", 10.0, "CS"). ev_src("SHIPA", "location", "PLANT").
ev_dst("SHIPA", "location", "DC1"). ev_biztx("SHIPA", "bol", "B1").
// An incomplete one: an item of a lot nobody describes, no ship-from, no document.
lot_of("item9", "LOT_U").
event("SHIPB", "object", "observe", "2026-03-02T09:00:00Z", "+00:00", "shipping", "in_transit", "", "").
ev_obj("SHIPB", "subject", "item9"). ev_dst("SHIPB", "location", "DC1").
// Not on the Food Traceability List: not checked.
event("SHIPN", "object", "observe", "2026-03-02T10:00:00Z", "+00:00", "shipping", "in_transit", "", "").
ev_qty("SHIPN", "subject", "LOT_N", 3.0, "CS").
// A receipt with no previous source.
event("RCVA", "object", "observe", "2026-03-03T08:00:00Z", "+00:00", "receiving", "in_progress", "", "DC1").
ev_qty("RCVA", "subject", "LOT_A", 10.0, "CS"). ev_biztx("RCVA", "bol", "B1").
"#,
    );
    // XF1/XF2 are complete together (TX); SHIPA complete (LOT_A's TLC source
    // is PLANT, where XF2 output it); SHIPN out of scope. SHIPB has a TLC
    // (LOT_U through item9), a quantity (one instance) and a recipient, and
    // lacks the rest; RCVA lacks only its previous source.
    assert_eq!(
        run.rows("missing_kde"),
        strs(&[
            "RCVA | receiving | previous_source_location | 1.1345(a)(4)",
            "SHIPB | shipping | product_description | 1.1340(a)(3)",
            "SHIPB | shipping | reference_document | 1.1340(a)(8)",
            "SHIPB | shipping | ship_from_location | 1.1340(a)(5)",
            "SHIPB | shipping | tlc_source | 1.1340(a)(7)",
        ])
    );
}

const MASS_BALANCE: &str = r#"
// LOT_OK: 100 in; 60 shipped, 30 consumed, 8 on hand (the latest count) = 98.
produce("B1", "LOT_OK", 100.0, "KGM", "2026-03-01T08:00:00Z").
ship_line("S1", "LOT_OK", 60.0, "KGM").
consume("B9", "LOT_OK", 30.0, "KGM", "2026-03-02T08:00:00Z").
inventory("LOT_OK", "PLANT", 50.0, "KGM", "2026-03-01T12:00:00Z").
inventory("LOT_OK", "PLANT", 8.0, "KGM", "2026-03-03T08:00:00Z").
// LOT_BAD: 100 in; 40 shipped (an event), 10 destroyed: 50 unaccounted.
produce("B2", "LOT_BAD", 100.0, "KGM", "2026-03-01T08:00:00Z").
event("SHIPX", "object", "observe", "2026-03-02T08:00:00Z", "+00:00", "shipping", "in_transit", "", "PLANT").
ev_qty("SHIPX", "subject", "LOT_BAD", 40.0, "KGM").
destroyed("LOT_BAD", 10.0, "KGM", "2026-03-03T08:00:00Z").
// LOT_OVER: 20 received, two lines of 15 shipped: 10 more out than in.
rcpt_line("R1", "LOT_OVER", 20.0, "KGM").
ship_line("S1", "LOT_OVER", 15.0, "KGM"). ship_line("S2", "LOT_OVER", 15.0, "KGM").
"#;

#[test]
fn audit_mass_balance_within_and_outside_tolerance() {
    let run = Run::new(
        "audit.dl",
        &format!("{MASS_BALANCE}\nmass_balance_tolerance(0.05).\n"),
    );
    // lot | uom | produced | received | shipped | consumed | on hand | destroyed | unaccounted
    assert_eq!(
        run.rows("mass_balance"),
        strs(&[
            "LOT_BAD | KGM | 100.0 | 0.0 | 40.0 | 0.0 | 0.0 | 10.0 | 50.0",
            "LOT_OK | KGM | 100.0 | 0.0 | 60.0 | 30.0 | 8.0 | 0.0 | 2.0",
            "LOT_OVER | KGM | 0.0 | 20.0 | 30.0 | 0.0 | 0.0 | 0.0 | -10.0",
        ])
    );
    // 5% of 100 is 5: LOT_OK's 2 is within, LOT_BAD's 50 is not; 5% of 20 is 1:
    // LOT_OVER's -10 is not.
    assert_eq!(
        run.rows("mass_balance_off"),
        strs(&[
            "LOT_BAD | KGM | 100.0 | 50.0",
            "LOT_OVER | KGM | 20.0 | -10.0"
        ])
    );
    // Without a tolerance given, 2% applies.
    let run = Run::new("audit.dl", MASS_BALANCE);
    assert_eq!(run.rows("mb_tolerance"), strs(&["0.02"]));
}
