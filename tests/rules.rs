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
const SHIPPED: &[&str] = &["schema.dl", "genealogy.dl"];

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
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules").join(rule_file);
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
    assert_eq!(run.rows("descendant"), strs(&["R1 | B1", "R1 | F1", "R1 | F2"]));
    assert_eq!(
        run.rows("ancestor"),
        strs(&["F2 | B1", "F2 | R1", "F2 | R2", "F2 | R3"])
    );
    assert_eq!(run.rows("raw_ancestor"), strs(&["F2 | R1", "F2 | R2", "F2 | R3"]));
}
