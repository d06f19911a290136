//! This module replays journal records into the database's state at some
//! point of its history: the live facts of every relation (with the
//! transaction that asserted each), the log of transactions, and the sources
//! already recorded. Retractions remove a fact from the live set only; the
//! journal keeps every record.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::db::record::{Fact, FactGroup, RecoveryPayload, Source, TxPayload};

/// A point of the journal: the sequence number of a record and its SHA-256
/// (seq 0 is the empty journal; its hash is the genesis hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadRef {
    pub seq: u64,
    /// Lowercase hex.
    pub hash: String,
}

impl HeadRef {
    /// `seq 12 (sha256 9f2c…e1)`, for footers.
    pub fn describe(&self) -> String {
        format!("seq {} (sha256 {})", self.seq, self.hash)
    }
}

/// What the log shows of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: u64,
    pub hash: String,
    pub recovery: bool,
    pub recorded_at: String,
    pub clock_regressed: bool,
    pub principal: String,
    pub channel: String,
    pub source: Source,
    pub reason: Option<String>,
    pub asserted: usize,
    pub retracted: usize,
}

/// The live facts of one relation.
#[derive(Clone, Debug, Default)]
pub struct RelationFacts {
    pub arity: usize,
    /// Each live fact's fields, with the transaction that asserted it.
    pub live: FxHashMap<Box<[String]>, u64>,
}

/// What [`State::apply_facts`] did, to finish ([`State::apply_entry`]) or undo it.
#[derive(Debug)]
pub struct Applied {
    seq: u64,
    asserted: usize,
    retracted: usize,
    /// Live facts the retractions removed, with the transaction that asserted each.
    removed: Vec<(String, Box<[String]>, u64)>,
    /// Relations the assertions brought into the state.
    created: Vec<String>,
    /// Relations the assertions added to.
    touched: Vec<String>,
}

/// The database as of one journal record.
#[derive(Clone, Debug)]
pub struct State {
    pub head: HeadRef,
    pub log: Vec<LogEntry>,
    pub relations: BTreeMap<String, RelationFacts>,
    /// SHA-256 of every recorded source file, with the first transaction that recorded it.
    pub sources: FxHashMap<String, u64>,
}

impl State {
    pub fn empty(genesis: HeadRef) -> State {
        State {
            head: genesis,
            log: Vec::new(),
            relations: BTreeMap::new(),
            sources: FxHashMap::default(),
        }
    }

    pub fn n_facts(&self) -> usize {
        self.relations.values().map(|facts| facts.live.len()).sum()
    }

    /// The transaction that asserted `fact`, when it is live.
    pub fn asserted_in(&self, fact: &Fact) -> Option<u64> {
        self.relations
            .get(&fact.rel)?
            .live
            .get(fact.fields.as_slice())
            .copied()
    }

    /// Applies one transaction: retractions first, then assertions. A fact
    /// asserted while live keeps its first assertion. The payload is taken by
    /// value so its rows move into the live sets (no copy of each field).
    pub fn apply(&mut self, seq: u64, hash: String, mut payload: TxPayload) {
        let assert = std::mem::take(&mut payload.assert);
        let retract = std::mem::take(&mut payload.retract);
        let applied = self.apply_facts(seq, assert, retract);
        self.apply_entry(hash, payload, &applied);
    }

    /// The first half of [`State::apply`]: the live sets changed by one
    /// transaction's facts. What it returns puts them back ([`State::undo`]).
    pub fn apply_facts(
        &mut self,
        seq: u64,
        assert: BTreeMap<String, FactGroup>,
        retract: BTreeMap<String, FactGroup>,
    ) -> Applied {
        let mut applied = Applied {
            seq,
            asserted: assert.values().map(|group| group.rows.len()).sum(),
            retracted: retract.values().map(|group| group.rows.len()).sum(),
            removed: Vec::new(),
            created: Vec::new(),
            touched: Vec::new(),
        };
        for (rel, group) in retract {
            if let Some(facts) = self.relations.get_mut(&rel) {
                for row in group.rows {
                    if let Some((fields, was)) = facts.live.remove_entry(row.as_slice()) {
                        applied.removed.push((rel.clone(), fields, was));
                    }
                }
            }
        }
        for (rel, group) in assert {
            let arity = group.rows.first().map_or(0, Vec::len);
            if !self.relations.contains_key(&rel) {
                applied.created.push(rel.clone());
            }
            applied.touched.push(rel.clone());
            let facts = self.relations.entry(rel).or_insert_with(|| RelationFacts {
                arity,
                live: FxHashMap::default(),
            });
            facts.live.reserve(group.rows.len());
            for row in group.rows {
                facts.live.entry(row.into_boxed_slice()).or_insert(seq);
            }
        }
        applied
    }

    /// Puts back the live sets as they were before [`State::apply_facts`]
    /// (its transaction could not be written).
    pub fn undo(&mut self, applied: Applied) {
        for rel in &applied.touched {
            if let Some(facts) = self.relations.get_mut(rel) {
                facts.live.retain(|_, seq| *seq != applied.seq);
            }
        }
        for rel in &applied.created {
            self.relations.remove(rel);
        }
        for (rel, fields, seq) in applied.removed {
            if let Some(facts) = self.relations.get_mut(&rel) {
                facts.live.insert(fields, seq);
            }
        }
    }

    /// The second half of [`State::apply`]: the log entry and head of the
    /// transaction whose facts were applied (`payload`'s facts are not read).
    pub fn apply_entry(&mut self, hash: String, payload: TxPayload, applied: &Applied) {
        let TxPayload {
            recorded_at,
            clock_regressed,
            principal,
            channel,
            source,
            reason,
            ..
        } = payload;
        let seq = applied.seq;
        if let Some(sha) = &source.sha256 {
            self.sources.entry(sha.clone()).or_insert(seq);
        }
        self.log.push(LogEntry {
            seq,
            hash: hash.clone(),
            recovery: false,
            recorded_at,
            clock_regressed,
            principal,
            channel,
            source,
            reason,
            asserted: applied.asserted,
            retracted: applied.retracted,
        });
        self.head = HeadRef { seq, hash };
    }

    /// Records a recovery event (a torn tail moved aside); no facts change.
    pub fn apply_recovery(&mut self, seq: u64, hash: String, payload: &RecoveryPayload) {
        self.log.push(LogEntry {
            seq,
            hash: hash.clone(),
            recovery: true,
            recorded_at: payload.detected_at.clone(),
            clock_regressed: false,
            principal: "tracelog".to_owned(),
            channel: "recovery".to_owned(),
            source: Source {
                path: Some(payload.quarantine.clone()),
                sha256: None,
                line: None,
            },
            reason: Some(format!(
                "{}: {} bytes of an unfinished write moved to {}",
                if payload.kind.is_empty() {
                    "torn-tail"
                } else {
                    &payload.kind
                },
                payload.bytes,
                payload.quarantine
            )),
            asserted: 0,
            retracted: 0,
        });
        self.head = HeadRef { seq, hash };
    }
}

/// Groups facts by relation in first-seen order of rows, with their lines.
pub fn group(facts: impl IntoIterator<Item = (Fact, u32)>) -> BTreeMap<String, FactGroup> {
    let mut groups: BTreeMap<String, FactGroup> = BTreeMap::new();
    for (fact, line) in facts {
        let group = groups.entry(fact.rel).or_default();
        group.rows.push(fact.fields);
        group.lines.push(line);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(assert: &[(&str, &[&str])], retract: &[(&str, &[&str])]) -> TxPayload {
        let facts = |list: &[(&str, &[&str])]| {
            group(list.iter().map(|(rel, fields)| {
                (
                    Fact {
                        rel: rel.to_string(),
                        fields: fields.iter().map(|f| f.to_string()).collect(),
                    },
                    1,
                )
            }))
        };
        TxPayload {
            format: 1,
            recorded_at: "2026-11-28T10:00:00Z".into(),
            clock_regressed: false,
            principal: "u".into(),
            channel: "add".into(),
            source: Source::default(),
            reason: None,
            assert: facts(assert),
            retract: facts(retract),
        }
    }

    #[test]
    fn retraction_then_assertion_in_one_transaction_is_a_correction() {
        let mut state = State::empty(HeadRef {
            seq: 0,
            hash: "00".into(),
        });
        state.apply(1, "a".into(), payload(&[("qty", &["L-1", "40"])], &[]));
        state.apply(
            2,
            "b".into(),
            payload(&[("qty", &["L-1", "44"])], &[("qty", &["L-1", "40"])]),
        );
        let live: Vec<_> = state.relations["qty"].live.iter().collect();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].0.as_ref(), ["L-1", "44"]);
        assert_eq!(*live[0].1, 2);
        assert_eq!(state.head.seq, 2);
        assert_eq!(state.log.len(), 2);
        assert_eq!(state.log[1].retracted, 1);
    }

    #[test]
    fn a_reasserted_fact_keeps_its_first_transaction() {
        let mut state = State::empty(HeadRef {
            seq: 0,
            hash: "00".into(),
        });
        state.apply(1, "a".into(), payload(&[("p", &["x"])], &[]));
        state.apply(2, "b".into(), payload(&[("p", &["x"])], &[]));
        let fact = Fact {
            rel: "p".into(),
            fields: vec!["x".into()],
        };
        assert_eq!(state.asserted_in(&fact), Some(1));
    }

    #[test]
    fn undone_facts_leave_the_live_sets_as_they_were() {
        let mut state = State::empty(HeadRef {
            seq: 0,
            hash: "00".into(),
        });
        state.apply(
            1,
            "a".into(),
            payload(&[("qty", &["L-1", "40"]), ("qty", &["L-2", "5"])], &[]),
        );
        let live = |state: &State| {
            let mut rows: Vec<(String, Vec<String>, u64)> = (state.relations.iter())
                .flat_map(|(rel, facts)| {
                    (facts.live.iter()).map(move |(row, seq)| (rel.clone(), row.to_vec(), *seq))
                })
                .collect();
            rows.sort();
            rows
        };
        let before = live(&state);
        // A correction (retract and re-assert), a fact already live, a new fact, a new relation.
        let next = payload(
            &[
                ("qty", &["L-1", "40"]),
                ("qty", &["L-2", "5"]),
                ("qty", &["L-3", "7"]),
                ("lot", &["L-3"]),
            ],
            &[("qty", &["L-1", "40"])],
        );
        let applied = state.apply_facts(2, next.assert, next.retract);
        assert_ne!(live(&state), before);
        state.undo(applied);
        assert_eq!(live(&state), before);
        assert_eq!(state.relations.len(), 1);
        assert_eq!(state.head.seq, 1);
    }
}
