//! This module checks a long-lived program over the database (`db::Session`):
//! new transactions are applied incrementally and give exactly what a fresh
//! evaluation gives; images (values, base facts and derived relations at one
//! head) reopen the same state without evaluating, and a stale or damaged
//! image is ignored.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use tracelog::db::session::{Opened, Session, program_key};
use tracelog::db::{self, AsOf, Draft, Fact, InputFact, Source, Writer};
use tracelog::engine::{Limits, StratumAction};
use tracelog::source::SourceMap;

const PROGRAM: &str = r#"
.decl consumed(lot: symbol, batch: symbol)
.decl held(lot: symbol)
.decl descendant(a: symbol, b: symbol)
descendant(a, b) :- consumed(a, b).
descendant(a, c) :- descendant(a, b), consumed(b, c).
.decl free(a: symbol, b: symbol)
free(a, b) :- descendant(a, b), !held(b).
.decl size(n: number)
size(n) :- n = count : descendant(_, _).
.decl tx(seq: number, recorded_at: datetime, principal: symbol, channel: symbol, source: symbol, reason: symbol)
.decl by(seq: number, who: symbol)
by(s, p) :- tx(s, _, p, _, _, _).
"#;

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

fn draft(assert: Vec<InputFact>, retract: Vec<InputFact>) -> Draft {
    Draft {
        principal: "qa".to_owned(),
        channel: "add".to_owned(),
        source: Source::default(),
        reason: (!retract.is_empty()).then(|| "test".to_owned()),
        assert,
        retract,
        force: true,
        sources: SourceMap::default(),
    }
}

fn commit(dir: &Path, assert: Vec<InputFact>, retract: Vec<InputFact>) {
    let mut writer =
        Writer::open(dir, Duration::from_secs(1)).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    writer
        .commit(draft(assert, retract))
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
}

/// Every relation as sets of text rows, for comparing engines.
fn contents(session: &Session) -> Vec<(String, BTreeSet<Vec<String>>)> {
    let program = session.program();
    let engine = session.engine();
    program
        .relations
        .iter()
        .enumerate()
        .filter(|(_, relation)| !relation.hidden)
        .map(|(idx, relation)| {
            let rel = tracelog::ir::RelId(idx as u32);
            let rows = engine
                .rows(rel)
                .map(|row| {
                    row.iter()
                        .zip(&relation.columns)
                        .map(|(value, column)| {
                            let mut text = String::new();
                            engine.values().write(&mut text, column.ty, *value);
                            text
                        })
                        .collect()
                })
                .collect();
            (relation.name.clone(), rows)
        })
        .collect()
}

fn open(dir: &Path, as_of: AsOf) -> (Session, Opened) {
    let compiled = tracelog::driver::compile_text("genealogy.dl", PROGRAM)
        .unwrap_or_else(|failed| panic!("{:?}", failed.diagnostics));
    Session::open(
        dir,
        &compiled.program,
        &program_key(&[PROGRAM]),
        as_of,
        &Limits::default(),
    )
    .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
}

/// What a fresh evaluation gives (no image).
fn fresh(dir: &Path, as_of: AsOf) -> Vec<(String, BTreeSet<Vec<String>>)> {
    let compiled = tracelog::driver::compile_text("genealogy.dl", PROGRAM).unwrap();
    let (session, opened) = Session::open(
        dir,
        &compiled.program,
        "no-image",
        as_of,
        &Limits::default(),
    )
    .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert_eq!(opened, Opened::Evaluated);
    contents(&session)
}

fn database() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    db::init(&dir).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    commit(
        &dir,
        vec![
            fact("consumed", &["L-1", "B-1"]),
            fact("consumed", &["L-2", "B-1"]),
            fact("consumed", &["B-1", "P-1"]),
            fact("consumed", &["L-2", "B-2"]),
            fact("consumed", &["B-2", "P-1"]),
            fact("held", &["P-1"]),
        ],
        vec![],
    );
    tmp
}

#[test]
fn new_transactions_apply_incrementally_and_match_a_fresh_evaluation() {
    let tmp = database();
    let dir = tmp.path().join("db");
    let (mut session, opened) = open(&dir, AsOf::Head);
    assert_eq!(opened, Opened::Evaluated);
    assert_eq!(contents(&session), fresh(&dir, AsOf::Head));

    // Insertions continue the closure from the delta.
    commit(&dir, vec![fact("consumed", &["P-1", "S-1"])], vec![]);
    let stats = session
        .catch_up(&dir, &Limits::default())
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert!(
        stats.strata.contains(&StratumAction::Continued),
        "{stats:?}"
    );
    assert_eq!(session.head().seq, 2);
    assert_eq!(contents(&session), fresh(&dir, AsOf::Head));

    // A retraction with an alternative derivation (L-2 reaches P-1 through B-2).
    commit(&dir, vec![], vec![fact("consumed", &["B-1", "P-1"])]);
    let stats = session
        .catch_up(&dir, &Limits::default())
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert!(stats.strata.contains(&StratumAction::Dred), "{stats:?}");
    assert_eq!(contents(&session), fresh(&dir, AsOf::Head));

    // A correction and a change under negation in one transaction.
    commit(
        &dir,
        vec![fact("consumed", &["B-1", "P-2"]), fact("held", &["S-1"])],
        vec![fact("held", &["P-1"])],
    );
    session.catch_up(&dir, &Limits::default()).unwrap();
    let now = contents(&session);
    assert_eq!(now, fresh(&dir, AsOf::Head));
    let by = &now.iter().find(|(name, _)| name == "by").unwrap().1;
    assert_eq!(by.len(), 4, "the tx relation follows the journal: {by:?}");
    // Nothing new: nothing changes.
    session.catch_up(&dir, &Limits::default()).unwrap();
    assert_eq!(contents(&session), now);
}

#[test]
fn an_image_reopens_the_same_state_without_evaluating() {
    let tmp = database();
    let dir = tmp.path().join("db");
    let (session, _) = open(&dir, AsOf::Head);
    session.save_image(&dir).unwrap();
    let (reopened, opened) = open(&dir, AsOf::Head);
    assert_eq!(opened, Opened::Image { replayed: 0 });
    assert_eq!(contents(&reopened), contents(&session));

    // Later transactions are applied on top of the image.
    commit(
        &dir,
        vec![fact("consumed", &["P-1", "S-9"])],
        vec![fact("consumed", &["L-1", "B-1"])],
    );
    let (mut reopened, opened) = open(&dir, AsOf::Head);
    assert_eq!(opened, Opened::Image { replayed: 1 });
    assert_eq!(contents(&reopened), fresh(&dir, AsOf::Head));
    // An image of an earlier head serves --as-of that head.
    let (old, opened) = open(&dir, AsOf::Seq(1));
    assert_eq!(opened, Opened::Image { replayed: 0 });
    assert_eq!(contents(&old), fresh(&dir, AsOf::Seq(1)));
    // The reopened session keeps updating.
    commit(&dir, vec![fact("consumed", &["S-9", "X-1"])], vec![]);
    reopened.catch_up(&dir, &Limits::default()).unwrap();
    assert_eq!(contents(&reopened), fresh(&dir, AsOf::Head));
}

#[test]
fn a_damaged_or_foreign_image_is_ignored() {
    let tmp = database();
    let dir = tmp.path().join("db");
    let (session, _) = open(&dir, AsOf::Head);
    let path = session.save_image(&dir).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let (reopened, opened) = open(&dir, AsOf::Head);
    assert_eq!(opened, Opened::Evaluated);
    assert_eq!(contents(&reopened), contents(&session));
    // An image whose head is not the journal's record at that seq is ignored too.
    let image = reopened.save_image(&dir).unwrap();
    let other_dir = tmp.path().join("other");
    db::init(&other_dir).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    commit(&other_dir, vec![fact("consumed", &["Z-1", "Z-2"])], vec![]);
    std::fs::create_dir_all(other_dir.join("snapshots")).unwrap();
    std::fs::copy(
        &image,
        other_dir.join("snapshots").join(image.file_name().unwrap()),
    )
    .unwrap();
    let dir = other_dir;
    let (other, opened) = open(&dir, AsOf::Head);
    assert_eq!(opened, Opened::Evaluated);
    assert_eq!(contents(&other), fresh(&dir, AsOf::Head));
}

#[test]
fn automatic_snapshots_keep_only_the_newest_two() {
    // Three transactions of 100,000 facts each: each one is due a snapshot
    // (the floor, as a quarter of the database stays below it), and only
    // the two newest stay.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    db::init(&dir).unwrap();
    let mut writer = Writer::open(&dir, Duration::from_secs(1)).unwrap();
    for tx in 0..3 {
        let assert = (0..100_000)
            .map(|i| fact("consumed", &[&format!("L{tx}-{i}"), "B"]))
            .collect();
        writer
            .commit(draft(assert, Vec::new()))
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    }
    let mut snapshots: Vec<String> = std::fs::read_dir(dir.join("snapshots"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("state-"))
        .collect();
    snapshots.sort();
    assert_eq!(
        snapshots,
        ["state-000000000002.snap", "state-000000000003.snap"]
    );
}
