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
    /// The payload as JSON: the bytes `serde_json` writes for it, with the
    /// fact groups written directly (most of a large payload).
    pub fn encode(&self) -> Vec<u8> {
        use std::io::Write;
        let n_facts = self.n_asserted() + self.n_retracted();
        // Room for a typical fact (three fields of ~35 bytes), so a large
        // payload is not copied as it grows; pages never written cost nothing.
        let mut out = Vec::with_capacity(256 + n_facts * 160);
        serde_json::to_writer(&mut out, &self.clone_head()).expect("payloads serialise");
        out.pop(); // The closing brace; the groups follow.
        for (name, groups) in [("assert", &self.assert), ("retract", &self.retract)] {
            if groups.is_empty() {
                continue;
            }
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":{");
            for (idx, (rel, group)) in groups.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                json_str(&mut out, rel);
                out.extend_from_slice(b":{\"rows\":[");
                // Chunks of a large group are encoded on several cores.
                let parts = crate::parallel::map_chunks(&group.rows, ROWS_PER_THREAD, json_rows);
                for part in parts {
                    out.extend_from_slice(&part);
                }
                out.push(b']');
                if !group.lines.is_empty() {
                    out.extend_from_slice(b",\"lines\":[");
                    for (line_idx, line) in group.lines.iter().enumerate() {
                        if line_idx > 0 {
                            out.push(b',');
                        }
                        write!(out, "{line}").expect("writes to a Vec succeed");
                    }
                    out.push(b']');
                }
                out.push(b'}');
            }
            out.push(b'}');
        }
        out.push(b'}');
        out
    }

    /// Every field but the fact groups.
    fn clone_head(&self) -> TxPayload {
        TxPayload {
            format: self.format,
            recorded_at: self.recorded_at.clone(),
            clock_regressed: self.clock_regressed,
            principal: self.principal.clone(),
            channel: self.channel.clone(),
            source: self.source.clone(),
            reason: self.reason.clone(),
            assert: BTreeMap::new(),
            retract: BTreeMap::new(),
        }
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

/// Fewer rows than this are encoded on one thread.
const ROWS_PER_THREAD: usize = 50_000;

/// Rows from the `offset`th of a group on as JSON arrays, comma-separated.
fn json_rows(offset: usize, rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 128);
    for (idx, row) in rows.iter().enumerate() {
        out.extend_from_slice(if offset + idx > 0 { b",[" } else { b"[" });
        for (field_idx, field) in row.iter().enumerate() {
            if field_idx > 0 {
                out.push(b',');
            }
            json_str(&mut out, field);
        }
        out.push(b']');
    }
    out
}

/// `text` as a JSON string, escaped as `serde_json` escapes it.
fn json_str(out: &mut Vec<u8>, text: &str) {
    let plain = text
        .bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    serde_json::to_writer(out, text).expect("strings serialise");
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
    fn direct_encoding_is_what_serde_writes() {
        let mut assert = BTreeMap::new();
        assert.insert(
            "ev_ext".to_owned(),
            FactGroup {
                rows: vec![
                    vec![
                        "e\"1\\".into(),
                        "/a~1b".into(),
                        "tab\there \u{1} é €".into(),
                    ],
                    vec![String::new(), "x".into(), "y".into()],
                ],
                lines: vec![3, 0],
            },
        );
        assert.insert(
            "p".to_owned(),
            FactGroup {
                rows: vec![vec!["only".into()]],
                lines: Vec::new(),
            },
        );
        let mut retract = BTreeMap::new();
        retract.insert(
            "q\n".to_owned(),
            FactGroup {
                rows: vec![vec!["a".into(), "b".into()]],
                lines: vec![1],
            },
        );
        let mut payload = TxPayload {
            format: PAYLOAD_FORMAT,
            recorded_at: "2026-11-28T10:00:00.000001Z".into(),
            clock_regressed: true,
            principal: "qa \"jdoe\"".into(),
            channel: "import".into(),
            source: Source {
                path: Some("a/b.jsonld".into()),
                sha256: None,
                line: None,
            },
            reason: Some("why".into()),
            assert,
            retract,
        };
        assert_eq!(payload.encode(), serde_json::to_vec(&payload).unwrap());
        payload.retract.clear();
        payload.reason = None;
        assert_eq!(payload.encode(), serde_json::to_vec(&payload).unwrap());
        payload.assert.clear();
        assert_eq!(payload.encode(), serde_json::to_vec(&payload).unwrap());
        // A group large enough to be encoded in chunks on several threads.
        let rows: Vec<Vec<String>> = (0..ROWS_PER_THREAD * 2 + 7)
            .map(|n| vec![format!("e{n}"), "\"q\"".into()])
            .collect();
        let lines = (0..rows.len() as u32).collect();
        payload
            .assert
            .insert("big".to_owned(), FactGroup { rows, lines });
        assert_eq!(payload.encode(), serde_json::to_vec(&payload).unwrap());
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
