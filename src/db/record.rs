//! This module defines what a journal transaction holds (the payload the
//! journal frames and chains) and its JSON encoding. The bytes are hashed
//! as written, so the encoding is deterministic: maps are `BTreeMap`s and
//! facts keep the order of their source.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the payload encoding, stored in every transaction.
pub const PAYLOAD_FORMAT: u32 = 1;

/// One fact as the database keeps it: a relation name and one text field per
/// column. Fields are typed when a program reads them, by the program's
/// declaration, exactly as a `.facts` file is (so `42` is a number in a
/// `number` column and a symbol in a `symbol` column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fact {
    pub rel: String,
    pub fields: Vec<String>,
}

impl Fact {
    /// The fact in the language's syntax: `consumed("L-1", "B-7")`.
    pub fn to_source(&self) -> String {
        let args: Vec<String> = self.fields.iter().map(|field| quote(field)).collect();
        format!("{}({})", self.rel, args.join(", "))
    }
}

/// A string literal of the language that reads back as `text`.
pub fn quote(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ch if ch.is_control() => write!(out, "\\u{{{:x}}}", ch as u32).unwrap(),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// Where a transaction's facts came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file as given on the command line (`-` for standard input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// SHA-256 of the file's bytes, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The text typed at the REPL, for REPL transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

impl Source {
    /// One line for tables and the `tx` relation: the path and a short hash.
    pub fn describe(&self) -> String {
        match (&self.path, &self.sha256, &self.line) {
            (Some(path), Some(sha), _) => format!("{path} (sha256 {})", &sha[..sha.len().min(12)]),
            (Some(path), None, _) => path.clone(),
            (None, _, Some(line)) => format!("repl: {line}"),
            (None, Some(sha), None) => format!("sha256 {sha}"),
            (None, None, None) => String::new(),
        }
    }
}

/// Facts of one transaction, grouped by relation: each relation's rows in
/// source order, and (when known) each row's line in its source file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactGroup {
    pub rows: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<u32>,
}

/// The payload of a `Transaction` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxPayload {
    pub format: u32,
    /// UTC from this machine's clock when the transaction was written
    /// (RFC 3339, microseconds), never taken from the input.
    pub recorded_at: String,
    /// The clock read earlier than the previous transaction's `recorded_at`.
    /// Kept as read and flagged, never reordered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock_regressed: bool,
    pub principal: String,
    /// `add`, `retract`, `import`, `repl`, ...
    pub channel: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Facts asserted, by relation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assert: BTreeMap<String, FactGroup>,
    /// Facts retracted, by relation (applied before the assertions, so a
    /// correction can retract and re-assert in one transaction).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retract: BTreeMap<String, FactGroup>,
}

impl TxPayload {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("payloads serialise")
    }

    pub fn decode(bytes: &[u8]) -> Result<TxPayload, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    pub fn n_asserted(&self) -> usize {
        self.assert.values().map(|group| group.rows.len()).sum()
    }

    pub fn n_retracted(&self) -> usize {
        self.retract.values().map(|group| group.rows.len()).sum()
    }
}

/// The payload of a `Recovery` record, written by the journal when it moved a
/// torn tail aside. Only the fields the database shows are read.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RecoveryPayload {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub quarantine: String,
    #[serde(default)]
    pub bytes: u64,
    #[serde(default)]
    pub detected_at: String,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    hex(&digest)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(out, "{byte:02x}").unwrap();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_encodes_deterministically() {
        let mut assert = BTreeMap::new();
        assert.insert(
            "consumed".to_owned(),
            FactGroup {
                rows: vec![vec!["L-1".into(), "B-7".into()]],
                lines: vec![3],
            },
        );
        let payload = TxPayload {
            format: PAYLOAD_FORMAT,
            recorded_at: "2026-11-28T10:00:00.000001Z".into(),
            clock_regressed: false,
            principal: "qa.jdoe".into(),
            channel: "add".into(),
            source: Source {
                path: Some("lots.dl".into()),
                sha256: Some("ab".repeat(32)),
                line: None,
            },
            reason: None,
            assert,
            retract: BTreeMap::new(),
        };
        let bytes = payload.encode();
        assert_eq!(bytes, payload.encode());
        assert_eq!(TxPayload::decode(&bytes).unwrap(), payload);
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("retract"), "{text}");
        assert!(!text.contains("clock_regressed"), "{text}");
    }

    #[test]
    fn facts_print_in_the_language() {
        let fact = Fact {
            rel: "shipped".into(),
            fields: vec!["L \"1\"".into(), "42".into()],
        };
        assert_eq!(fact.to_source(), r#"shipped("L \"1\"", "42")"#);
    }
}
