//! This module checks `investigate::Investigation`: a shipped rule set opened
//! over a database once, then asked about one set of seeds after another
//! through incremental updates, gives what a fresh evaluation with those seeds
//! gives, and names the rule files and the journal head it used.

use std::path::Path;
use std::time::Duration;

use tracelog::db::{self, AsOf, Draft, Fact, InputFact, Source, Writer};
use tracelog::engine::Limits;
use tracelog::investigate::Investigation;
use tracelog::source::SourceMap;

fn fact(rel: &str, fields: &[&str]) -> InputFact {
    InputFact {
        fact: Fact {
            rel: rel.to_owned(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        },
        line: 1,
        location: None,
    }
}

/// Batches: B1 consumes R and makes F1; B2 consumes F1 and R2 and makes G1.
fn database(dir: &Path) {
    db::init(dir).unwrap();
    let assert = vec![
        fact(
            "consume",
            &["B1", "R", "1.0", "KGM", "2026-03-01T08:00:00Z"],
        ),
        fact(
            "produce",
            &["B1", "F1", "1.0", "KGM", "2026-03-01T09:00:00Z"],
        ),
        fact(
            "consume",
            &["B2", "F1", "1.0", "KGM", "2026-03-02T08:00:00Z"],
        ),
        fact(
            "consume",
            &["B2", "R2", "1.0", "KGM", "2026-03-02T08:00:00Z"],
        ),
        fact(
            "produce",
            &["B2", "G1", "1.0", "KGM", "2026-03-02T09:00:00Z"],
        ),
    ];
    let mut writer = Writer::open(dir, Duration::from_secs(1)).unwrap();
    writer
        .commit(Draft {
            principal: "qa".to_owned(),
            channel: "add".to_owned(),
            source: Source::default(),
            reason: None,
            assert,
            retract: Vec::new(),
            force: true,
            sources: SourceMap::default(),
        })
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
}

fn row(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

#[test]
fn seeds_replace_each_other_incrementally() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    database(&dir);
    let limits = Limits::default();
    let mut inv = Investigation::open(&dir, &["genealogy.dl"], AsOf::Head, &limits).unwrap();
    assert!(inv.rows("trace_forward").is_empty(), "no seeds yet");

    inv.set_seeds(&["R".to_owned()], &limits).unwrap();
    assert_eq!(
        inv.rows("trace_forward"),
        vec![
            row(&["R", "F1", "1"]),
            row(&["R", "G1", "2"]),
            row(&["R", "R", "0"])
        ]
    );
    // R's answers go when R2 replaces it: R2 went into G1 only.
    inv.set_seeds(&["R2".to_owned()], &limits).unwrap();
    assert_eq!(
        inv.rows("trace_forward"),
        vec![row(&["R2", "G1", "1"]), row(&["R2", "R2", "0"])]
    );
    assert_eq!(
        inv.rows("trace_backward"),
        vec![row(&["R2", "R2", "0"])],
        "nothing went into a raw lot"
    );
    inv.set_seeds(&["G1".to_owned()], &limits).unwrap();
    assert_eq!(
        inv.rows("trace_backward"),
        vec![
            row(&["G1", "F1", "1"]),
            row(&["G1", "G1", "0"]),
            row(&["G1", "R", "2"]),
            row(&["G1", "R2", "1"]),
        ]
    );
    assert_eq!(inv.head().seq, 1);
    let files: Vec<&str> = inv.rule_files().iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["rules/genealogy.dl", "rules/schema.dl"]);
    let genealogy = &inv.rule_files()[0];
    assert_eq!(genealogy.policy, "genealogy");
    assert_eq!(
        genealogy.sha256,
        tracelog::db::record::sha256_hex(tracelog::rules::text("genealogy.dl").unwrap().as_bytes())
    );
}

#[test]
fn an_unknown_rule_set_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    database(&dir);
    let failure = Investigation::open(&dir, &["nope.dl"], AsOf::Head, &Limits::default())
        .err()
        .expect("no such rule set");
    assert!(!failure.diagnostics.is_empty());
}
