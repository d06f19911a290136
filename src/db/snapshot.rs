//! This module writes and reads snapshots: the database's [`State`] at one
//! journal head in a compact binary form, so opening a large database reads
//! one file instead of decoding every transaction. A snapshot is a cache: the
//! journal stays the truth. One that is damaged, or whose head is not a
//! record of the journal with the same hash, is ignored (and replaced by the
//! next one written).
//!
//! Layout: `TRACELOG-SNAPSHOT` | format u16 | head seq u64 | head hash |
//! log entries | recorded sources | relations with their live facts |
//! CRC32C u32 of everything before it. Integers little-endian; strings are a
//! u32 length and UTF-8 bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::db::record::Source;
use crate::db::state::{HeadRef, LogEntry, RelationFacts, State};

const MAGIC: &[u8] = b"TRACELOG-SNAPSHOT";
const FORMAT: u16 = 1;

/// The directory snapshots live in, inside the database directory.
pub fn dir(db: &Path) -> PathBuf {
    db.join("snapshots")
}

fn file_name(seq: u64) -> String {
    format!("state-{seq:012}.snap")
}

/// The snapshots present, newest head first.
pub fn list(db: &Path) -> Vec<(u64, PathBuf)> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir(db)) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(seq) = name
                .strip_prefix("state-")
                .and_then(|rest| rest.strip_suffix(".snap"))
                .and_then(|seq| seq.parse::<u64>().ok())
            {
                found.push((seq, entry.path()));
            }
        }
    }
    found.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    found
}

/// Removes all but the `keep` newest snapshots. They are caches: the journal
/// holds everything they do.
pub fn prune(db: &Path, keep: usize) {
    for (_, path) in list(db).into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// Writes `state` as the snapshot of its head: to a temporary file, synced,
/// renamed into place, then the directory synced.
pub fn write(db: &Path, state: &State) -> std::io::Result<PathBuf> {
    let snap_dir = dir(db);
    let created = !snap_dir.exists();
    std::fs::create_dir_all(&snap_dir)?;
    if created {
        sync_dir(db)?;
    }
    let bytes = encode(state);
    let path = snap_dir.join(file_name(state.head.seq));
    let tmp = snap_dir.join(format!(".{}.tmp", file_name(state.head.seq)));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    sync_dir(&snap_dir)?;
    Ok(path)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Reads a snapshot; `None` when the file is damaged or not a snapshot.
pub fn read(path: &Path) -> Option<State> {
    let bytes = std::fs::read(path).ok()?;
    decode(&bytes)
}

pub fn encode(state: &State) -> Vec<u8> {
    // Room for a typical fact, so a large state is not copied as the buffer
    // grows; pages never written cost nothing.
    let mut out = Writer(Vec::with_capacity(64 + state.n_facts() * 160));
    out.0.extend_from_slice(MAGIC);
    out.u16(FORMAT);
    out.u64(state.head.seq);
    out.str(&state.head.hash);
    out.u64(state.log.len() as u64);
    for entry in &state.log {
        out.u64(entry.seq);
        out.str(&entry.hash);
        out.u8(u8::from(entry.recovery) | (u8::from(entry.clock_regressed) << 1));
        out.str(&entry.recorded_at);
        out.str(&entry.principal);
        out.str(&entry.channel);
        out.opt(entry.source.path.as_deref());
        out.opt(entry.source.sha256.as_deref());
        out.opt(entry.source.line.as_deref());
        out.opt(entry.reason.as_deref());
        out.u64(entry.asserted as u64);
        out.u64(entry.retracted as u64);
    }
    let mut sources: Vec<(&String, &u64)> = state.sources.iter().collect();
    sources.sort();
    out.u64(sources.len() as u64);
    for (sha, seq) in sources {
        out.str(sha);
        out.u64(*seq);
    }
    out.u64(state.relations.len() as u64);
    for (name, facts) in &state.relations {
        out.str(name);
        out.u64(facts.arity as u64);
        out.u64(facts.live.len() as u64);
        // One pass over the table, then the rows (strings scattered over
        // the heap) read and encoded on several cores.
        let rows: Vec<(&[String], u64)> = (facts.live.iter())
            .map(|(fields, seq)| (&fields[..], *seq))
            .collect();
        for part in crate::parallel::map_chunks(&rows, ROWS_PER_THREAD, encode_rows) {
            out.0.extend_from_slice(&part);
        }
    }
    out.finish()
}

/// Fewer rows than this are encoded on one thread.
const ROWS_PER_THREAD: usize = 50_000;

fn encode_rows(_offset: usize, rows: &[(&[String], u64)]) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(rows.len() * 128));
    for (fields, seq) in rows {
        for field in fields.iter() {
            out.str(field);
        }
        out.u64(*seq);
    }
    out.0
}

pub fn decode(bytes: &[u8]) -> Option<State> {
    let mut input = Reader::checked(bytes)?;
    if input.take(MAGIC.len())? != MAGIC || input.u16()? != FORMAT {
        return None;
    }
    let head = HeadRef {
        seq: input.u64()?,
        hash: input.str()?,
    };
    let n_log = input.len()?;
    let mut log = Vec::with_capacity(n_log);
    for _ in 0..n_log {
        let seq = input.u64()?;
        let hash = input.str()?;
        let flags = input.u8()?;
        log.push(LogEntry {
            seq,
            hash,
            recovery: flags & 1 != 0,
            clock_regressed: flags & 2 != 0,
            recorded_at: input.str()?,
            principal: input.str()?,
            channel: input.str()?,
            source: Source {
                path: input.opt()?,
                sha256: input.opt()?,
                line: input.opt()?,
            },
            reason: input.opt()?,
            asserted: input.u64()? as usize,
            retracted: input.u64()? as usize,
        });
    }
    let n_sources = input.len()?;
    let mut sources = FxHashMap::default();
    for _ in 0..n_sources {
        let sha = input.str()?;
        sources.insert(sha, input.u64()?);
    }
    let n_relations = input.len()?;
    let mut relations = std::collections::BTreeMap::new();
    for _ in 0..n_relations {
        let name = input.str()?;
        let arity = input.len()?;
        let n_rows = input.len()?;
        let mut live = FxHashMap::default();
        live.reserve(n_rows);
        for _ in 0..n_rows {
            let mut fields = Vec::with_capacity(arity);
            for _ in 0..arity {
                fields.push(input.str()?);
            }
            live.insert(fields.into_boxed_slice(), input.u64()?);
        }
        relations.insert(name, RelationFacts { arity, live });
    }
    if !input.0.is_empty() {
        return None;
    }
    Some(State {
        head,
        log,
        relations,
        sources,
    })
}

/// Little-endian integers and length-prefixed strings, for snapshots and images.
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    pub fn u16(&mut self, value: u16) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    pub fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    pub fn str(&mut self, text: &str) {
        self.0.extend_from_slice(&(text.len() as u32).to_le_bytes());
        self.0.extend_from_slice(text.as_bytes());
    }
    /// A CRC32C of everything written so far, appended: the file is complete.
    pub fn finish(mut self) -> Vec<u8> {
        let crc = crc32c::crc32c(&self.0);
        self.0.extend_from_slice(&crc.to_le_bytes());
        self.0
    }
    fn opt(&mut self, text: Option<&str>) {
        match text {
            Some(text) => {
                self.u8(1);
                self.str(text);
            }
            None => self.u8(0),
        }
    }
}

/// Reads what [`Writer`] wrote; every read is bounds-checked (`None` when short).
pub(crate) struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The body of a file [`Writer::finish`] made, when its CRC matches.
    pub fn checked(bytes: &'a [u8]) -> Option<Reader<'a>> {
        let body_len = bytes.len().checked_sub(4)?;
        let (body, crc) = bytes.split_at(body_len);
        (crc32c::crc32c(body).to_le_bytes() == crc).then_some(Reader(body))
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count, bounded by the bytes left so a damaged count cannot allocate wildly.
    pub fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.0.len()).then_some(n)
    }
    pub fn str(&mut self) -> Option<String> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
    /// A count of `u64` values, then the values.
    pub fn values(&mut self) -> Option<Vec<u64>> {
        let n = self.len()?;
        let bytes = self.take(n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
                .collect(),
        )
    }
    fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::record::{Fact, TxPayload};

    fn state() -> State {
        let mut state = State::empty(HeadRef {
            seq: 0,
            hash: "0".repeat(64),
        });
        let payload = TxPayload {
            format: 1,
            recorded_at: "2026-11-28T10:00:00Z".into(),
            clock_regressed: true,
            principal: "qa".into(),
            channel: "add".into(),
            source: Source {
                path: Some("a.dl".into()),
                sha256: Some("f".repeat(64)),
                line: None,
            },
            reason: Some("receipt".into()),
            assert: crate::db::state::group([
                (
                    Fact {
                        rel: "consumed".into(),
                        fields: vec!["L-1".into(), "B-1".into()],
                    },
                    1,
                ),
                (
                    Fact {
                        rel: "ok".into(),
                        fields: vec![],
                    },
                    2,
                ),
            ]),
            retract: Default::default(),
        };
        state.apply(1, "1".repeat(64), payload);
        state
    }

    #[test]
    fn a_snapshot_reads_back_as_the_same_state() {
        let state = state();
        let back = decode(&encode(&state)).unwrap();
        assert_eq!(back.head, state.head);
        assert_eq!(back.log, state.log);
        assert_eq!(back.sources, state.sources);
        assert_eq!(back.relations.len(), 2);
        assert_eq!(
            back.relations["consumed"].live,
            state.relations["consumed"].live
        );
        assert_eq!(back.relations["ok"].live.len(), 1);
    }

    #[test]
    fn a_relation_encoded_in_chunks_reads_back_whole() {
        let mut state = state();
        let live = &mut state.relations.get_mut("consumed").unwrap().live;
        for n in 0..ROWS_PER_THREAD * 2 + 3 {
            live.insert(vec![format!("L-{n}"), "B-2".into()].into_boxed_slice(), 1);
        }
        let back = decode(&encode(&state)).unwrap();
        assert_eq!(
            back.relations["consumed"].live,
            state.relations["consumed"].live
        );
    }

    #[test]
    fn every_damaged_byte_or_truncation_is_refused() {
        let bytes = encode(&state());
        for idx in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[idx] ^= 0x10;
            assert!(decode(&damaged).is_none(), "flip at {idx}");
            assert!(decode(&bytes[..idx]).is_none(), "cut at {idx}");
        }
    }

    #[test]
    fn snapshots_are_listed_newest_first() {
        let tmp = tempfile::tempdir().unwrap();
        let mut state = state();
        write(tmp.path(), &state).unwrap();
        state.head.seq = 7;
        write(tmp.path(), &state).unwrap();
        let seqs: Vec<u64> = list(tmp.path()).iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [7, 1]);
        assert_eq!(read(&list(tmp.path())[0].1).unwrap().head.seq, 7);
    }
}
