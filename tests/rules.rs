//! Every shipped rule set in rules/ checks without an error, and the
//! genealogy rules give the expected closure on a small chain.

use std::path::Path;

use tracelog::diagnostic::Code;
use tracelog::driver;
use tracelog::engine::{Engine, Limits};
use tracelog::ir::Const;

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
        assert_eq!(
            compiled.program.policies.len(),
            1,
            "{} declares no .policy",
            path.display()
        );
    }
    assert!(n_files > 0, "no rule sets in {}", dir.display());
}

#[test]
fn genealogy_traces_forward_and_backward() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/genealogy.dl");
    let text = format!(
        ".include {:?}\n{}",
        rules.display().to_string(),
        r#"
consumed("R1", "B1"). consumed("R2", "B1"). consumed("B1", "F1"). consumed("B1", "F2"). consumed("R3", "F2").
trace_seed("R1"). trace_seed("F2").
"#
    );
    let compiled = driver::compile_text("genealogy_test.dl", &text).unwrap_or_else(|failed| {
        panic!(
            "{}",
            tracelog::diagnostic::render(&failed.sources, &failed.diagnostics)
        )
    });
    let program = &compiled.program;
    let mut engine = Engine::new(program);
    engine.run(&Limits::default()).unwrap();
    let rows = |name: &str| -> Vec<String> {
        let rel = program.relation_by_name(name).unwrap();
        let mut rows: Vec<String> = engine
            .rows(rel)
            .map(|row| {
                row.iter()
                    .map(
                        |&v| match engine.values().decode(tracelog::ir::Type::Symbol, v) {
                            Const::Sym(s) => s,
                            other => format!("{other:?}"),
                        },
                    )
                    .collect::<Vec<_>>()
                    .join("->")
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(rows("descendant"), ["R1->B1", "R1->F1", "R1->F2"]);
    assert_eq!(rows("ancestor"), ["F2->B1", "F2->R1", "F2->R2", "F2->R3"]);
    assert_eq!(rows("raw_ancestor"), ["F2->R1", "F2->R2", "F2->R3"]);
    assert_eq!(rows("finished_descendant"), ["R1->F1", "R1->F2"]);
}
