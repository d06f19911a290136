//! This module defines the journal: the append-only, hash-chained, crash-safe log of records
//! that is the database's source of truth. It stores opaque payloads; the database layer
//! decides what a transaction is.
//!
//! # File format (version 1)
//!
//! A database directory `DIR` holds `DIR/journal`, `DIR/lock` (the writers' lock) and, after a
//! crash, quarantined torn tails `DIR/journal.torn-<seq>`. All integers are little-endian;
//! docs/journal-format.md has the same description with a worked example.
//!
//! ```text
//! file header (38 bytes)
//!   magic        16  "TRACELOG-JOURNAL"
//!   version       2  u16, 1
//!   journal id   16  SHA-256 of (time, pid, counter), truncated
//!   header crc    4  CRC32C of the 34 bytes before it
//! frame, repeated (56 + len + 4 bytes)
//!   magic         4  "TLFR"
//!   kind          1  1 = transaction, 2 = recovery
//!   format        1  1
//!   reserved      2  0
//!   len           4  payload bytes, at most 2^30
//!   seq           8  1 for the first record, then +1
//!   prev_hash    32  hash of the previous record; for record 1, SHA-256 of the file header
//!   header crc    4  CRC32C of the 52 header bytes before it
//!   payload     len
//!   payload crc   4  CRC32C of header and payload
//! ```
//!
//! A record's hash is the SHA-256 of its whole frame. The header has its own CRC, so a
//! damaged `len` is reported as corruption and never mistaken for a torn tail.
//!
//! # Durability and recovery
//!
//! [`Journal::append`] writes the frame, calls `sync_data`, and only then returns the new
//! [`Head`]: a returned head is an acknowledged record. A failed write or sync poisons the
//! writer (no retry). [`Journal::open_write`] repairs only an incomplete *final* frame (see
//! [`FailureKind::TornTail`]): its bytes are copied to a quarantine file, the journal is cut to
//! the last good frame, and a [`RecordKind::Recovery`] record says so. Any other damage is
//! refused with [`JournalError::Corrupt`] and nothing is written.

pub mod fault;
pub mod frame;
mod lock;
mod recover;
pub mod storage;
mod verify;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use storage::{FileStorage, Storage};
pub use verify::{verify_bytes, verify_bytes_trusted};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The name of the journal file in a database directory.
pub const JOURNAL_FILE: &str = "journal";
/// The name of the writers' lock file in a database directory.
pub const LOCK_FILE: &str = "lock";
/// Quarantine files are named `journal.torn-<seq>` (or `journal.torn-<seq>.<n>`).
pub const QUARANTINE_PREFIX: &str = "journal.torn-";

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A transaction of the database layer (opaque bytes; JSON in practice).
    Transaction,
    /// A recovery event written by the journal itself ([`RecoveryEvent`] as JSON).
    Recovery,
}

impl RecordKind {
    /// The byte stored in the frame header.
    pub fn byte(self) -> u8 {
        match self {
            RecordKind::Transaction => 1,
            RecordKind::Recovery => 2,
        }
    }

    /// The kind stored as this byte, if any.
    pub fn from_byte(byte: u8) -> Option<RecordKind> {
        match byte {
            1 => Some(RecordKind::Transaction),
            2 => Some(RecordKind::Recovery),
            _ => None,
        }
    }
}

/// One record of the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its sequence number, from 1.
    pub seq: u64,
    pub kind: RecordKind,
    /// Byte offset of its frame in the journal file.
    pub offset: u64,
    /// The hash of the previous record (the genesis hash for record 1).
    pub prev_hash: Hash,
    /// SHA-256 of the whole frame.
    pub hash: Hash,
    pub payload: Vec<u8>,
}

/// The last record of a journal: its sequence number and hash. An empty journal's head is
/// sequence 0 with the genesis hash (SHA-256 of the file header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {} hash {}", self.seq, hex(&self.hash))
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut res = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        res.push_str(&format!("{byte:02x}"));
    }
    res
}

/// The payload of a [`RecordKind::Recovery`] record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryEvent {
    /// Always `torn-tail`.
    pub kind: String,
    /// The quarantine file's name in the database directory.
    pub quarantine: String,
    /// How many bytes were moved there.
    pub bytes: u64,
    /// The byte offset in the journal where they started (now the end of the good records).
    pub offset: u64,
    /// When the torn tail was detected (RFC 3339, UTC).
    pub detected_at: String,
    /// Set when this record completes a recovery that a crash interrupted after the journal
    /// was cut but before its record was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What opening a journal found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// An incomplete final frame. [`Journal::open_read`] only reports it; [`Journal::open_write`]
    /// quarantines it and records the recovery.
    pub torn_tail: Option<TornTail>,
    /// The heads of the recovery records [`Journal::open_write`] appended, in order.
    pub recoveries: Vec<Head>,
}

/// An incomplete final frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The sequence number the frame would have had.
    pub seq: u64,
    /// Where it starts.
    pub offset: u64,
    /// How many bytes it has (to the end of the file).
    pub bytes: u64,
    /// Why it counts as torn.
    pub reason: String,
    /// Where its bytes were moved (only after [`Journal::open_write`]).
    pub quarantine: Option<PathBuf>,
}

/// The kind of the first failure [`verify`] finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The file header, or a frame header whose CRC is fine, is not what this build writes
    /// (magic, version, kind, length limit).
    BadHeader,
    /// A header or payload CRC does not match: the bytes were damaged.
    CrcMismatch,
    /// A record's `prev_hash` is not the hash of the record before it: a record was altered
    /// or inserted.
    ChainBreak,
    /// A record's seq is higher than expected: records are missing.
    SeqGap,
    /// A record's seq is lower than expected: records were duplicated or reordered.
    SeqRegress,
    /// An incomplete final frame (a crash during an append): fewer bytes than a frame header,
    /// a length that runs past the end of the file, or a final frame whose payload CRC fails.
    /// A tail of zero bytes after a crash counts too. `open_write` repairs it.
    TornTail,
    /// The record at the trusted head's seq has another hash, or the journal is shorter than
    /// the trusted head: the history was rewritten or cut.
    TrustedHeadMismatch,
}

impl FailureKind {
    /// The stable name (`crc-mismatch`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::BadHeader => "bad-header",
            FailureKind::CrcMismatch => "crc-mismatch",
            FailureKind::ChainBreak => "chain-break",
            FailureKind::SeqGap => "seq-gap",
            FailureKind::SeqRegress => "seq-regress",
            FailureKind::TornTail => "torn-tail",
            FailureKind::TrustedHeadMismatch => "trusted-head-mismatch",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first thing wrong with a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The record expected at this position (0 for the file header).
    pub seq: u64,
    /// Byte offset of the bad frame (0 for the file header).
    pub offset: u64,
    pub kind: FailureKind,
    /// What should have been there.
    pub expected: Option<String>,
    /// What was there.
    pub actual: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seq == 0 {
            write!(f, "{} in the file header", self.kind)?;
        } else {
            write!(
                f,
                "{} at record {} (byte offset {})",
                self.kind, self.seq, self.offset
            )?;
        }
        if let Some(expected) = &self.expected {
            write!(f, ": expected {expected}")?;
        }
        if let Some(actual) = &self.actual {
            write!(f, ", found {actual}")?;
        }
        Ok(())
    }
}

/// What [`verify`] found. It stops at the first failure and never reads past it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// The journal file, when it came from a directory.
    pub path: Option<PathBuf>,
    /// The file format version, when the file header is readable.
    pub format_version: Option<u16>,
    /// The journal id, when the file header is intact.
    pub journal_id: Option<[u8; 16]>,
    /// Records checked and found good (before any failure).
    pub records: u64,
    /// Of those, transactions.
    pub transactions: u64,
    /// Of those, recovery records.
    pub recoveries: u64,
    /// The file's length.
    pub bytes: u64,
    /// Bytes up to the end of the last good record.
    pub good_bytes: u64,
    /// The last good record.
    pub head: Head,
    /// The trusted head that was checked, if any.
    pub trusted: Option<(u64, Hash)>,
    pub first_failure: Option<Failure>,
    /// Quarantine files in the directory (`journal.torn-*`).
    pub quarantine_files: Vec<PathBuf>,
}

impl VerifyReport {
    /// Whether the journal passed.
    pub fn ok(&self) -> bool {
        self.first_failure.is_none()
    }

    /// The report as text, one finding per line (the CLI prints it).
    pub fn render(&self) -> String {
        let mut res = String::new();
        let path = match &self.path {
            Some(path) => path.display().to_string(),
            None => "(bytes)".to_string(),
        };
        let version = match self.format_version {
            Some(version) => format!("v{version}"),
            None => "unknown".to_string(),
        };
        res.push_str(&format!(
            "journal {path}  format {version}  frame=len+crc32c  chain=sha256\n"
        ));
        res.push_str(&format!(
            "records      {} ({} transactions, {} recoveries)  bytes {}\n",
            self.records, self.transactions, self.recoveries, self.bytes
        ));
        res.push_str(&format!(
            "head         seq {}  hash {}\n",
            self.head.seq,
            hex(&self.head.hash)
        ));
        if let Some((seq, hash)) = &self.trusted {
            let verdict = match &self.first_failure {
                Some(failure) if failure.kind == FailureKind::TrustedHeadMismatch => "MISMATCH",
                Some(_) => "not reached",
                None => "ok",
            };
            res.push_str(&format!(
                "trusted head seq {seq}  hash {}  {verdict}\n",
                hex(hash)
            ));
        }
        res.push_str(&format!(
            "quarantine   {} files",
            self.quarantine_files.len()
        ));
        for file in &self.quarantine_files {
            res.push_str(&format!("  {}", file.display()));
        }
        res.push('\n');
        match &self.first_failure {
            None => res.push_str("RESULT PASS\n"),
            Some(failure) => res.push_str(&format!("RESULT FAIL  {failure}\n")),
        }
        res
    }
}

/// Everything that can go wrong with a journal. [`JournalError::code`] gives the stable code.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "another tracelog process is writing to {}; this one waited {:.1} s for it to finish",
        path.display(),
        waited.as_secs_f64()
    )]
    Locked { path: PathBuf, waited: Duration },
    #[error(
        "the journal {} is damaged: {failure}; nothing was written; run `tracelog verify` and restore the database from a copy",
        path.display()
    )]
    Corrupt { path: PathBuf, failure: Failure },
    #[error(
        "an earlier write or sync of the journal failed, so this writer stopped and wrote nothing more; every record reported as saved is safe; open the database again"
    )]
    Poisoned,
    #[error(
        "{} is not a tracelog database (it has no journal file); create one with `tracelog db init`",
        path.display()
    )]
    NotADatabase { path: PathBuf },
    #[error("{} already exists and is not empty; a new database needs a new or empty directory", path.display())]
    AlreadyExists { path: PathBuf },
    #[error("a record of {len} bytes is larger than a journal record may be ({max} bytes)")]
    PayloadTooLarge { len: usize, max: u32 },
}

impl JournalError {
    /// The stable code the CLI prints and maps to an exit code.
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::Io { .. } => "journal-io",
            JournalError::Locked { .. } => "database-locked",
            JournalError::Corrupt { .. } => "journal-corrupt",
            JournalError::Poisoned => "journal-poisoned",
            JournalError::NotADatabase { .. } => "not-a-database",
            JournalError::AlreadyExists { .. } => "database-exists",
            JournalError::PayloadTooLarge { .. } => "record-too-large",
        }
    }
}

/// An appending handle on a journal. Only one exists per database at a time (a file lock).
#[derive(Debug)]
pub struct Journal<S: Storage = FileStorage> {
    storage: S,
    records: Vec<Record>,
    head: Head,
    /// The end of the last record: where the next frame goes.
    end: u64,
    poisoned: bool,
    /// The writers' lock, held as long as the journal is open.
    _lock: Option<File>,
}

impl Journal {
    /// Creates `dir` (which must not exist, or be empty) with an empty journal, and opens it
    /// for appending. The journal file appears complete or not at all: it is written under a
    /// temporary name, synced and renamed, then the directory and its parent are synced.
    pub fn create(dir: &Path) -> Result<Journal, JournalError> {
        match fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(JournalError::AlreadyExists {
                        path: dir.to_path_buf(),
                    });
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(io_error(dir, "create the directory"))?;
            }
            Err(err) => {
                return Err(JournalError::Io {
                    path: dir.to_path_buf(),
                    op: "read the directory",
                    source: err,
                });
            }
        }
        let tmp = dir.join("journal.tmp");
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                return Err(JournalError::AlreadyExists {
                    path: dir.to_path_buf(),
                });
            }
            Err(err) => {
                return Err(JournalError::Io {
                    path: tmp,
                    op: "create",
                    source: err,
                });
            }
        };
        file.write_all(&frame::new_file_header())
            .map_err(io_error(&tmp, "write"))?;
        file.sync_all().map_err(io_error(&tmp, "sync"))?;
        drop(file);
        let path = dir.join(JOURNAL_FILE);
        fs::rename(&tmp, &path).map_err(io_error(&path, "rename the new journal to"))?;
        let lock_path = dir.join(LOCK_FILE);
        File::create(&lock_path).map_err(io_error(&lock_path, "create"))?;
        storage::sync_dir(dir).map_err(io_error(dir, "sync the directory"))?;
        if let Some(parent) = dir.parent()
            && !parent.as_os_str().is_empty()
        {
            storage::sync_dir(parent).map_err(io_error(parent, "sync the directory"))?;
        }
        let (journal, _report) = Journal::open_write(dir, Duration::ZERO)?;
        Ok(journal)
    }

    /// Reads a journal under a shared lock (a writer's repair waits for it; appends do not).
    /// Checks every frame's CRCs, the sequence and the hash links. An incomplete final frame
    /// is left out and reported in [`OpenReport::torn_tail`]; any other damage is
    /// [`JournalError::Corrupt`].
    pub fn open_read(dir: &Path) -> Result<(Vec<Record>, Head, OpenReport), JournalError> {
        let (path, bytes) = read_locked(dir)?;
        let mut records = Vec::new();
        let scan = verify::scan(&bytes, None, &mut |frame| records.push(frame.to_record()));
        let mut report = OpenReport::default();
        match scan.failure {
            None => (),
            Some(failure) if failure.kind == FailureKind::TornTail => {
                report.torn_tail = Some(TornTail {
                    seq: failure.seq,
                    offset: failure.offset,
                    bytes: bytes.len() as u64 - failure.offset,
                    reason: failure.actual.clone().unwrap_or_default(),
                    quarantine: None,
                });
            }
            Some(failure) => return Err(JournalError::Corrupt { path, failure }),
        }
        Ok((records, scan.head, report))
    }

    /// Opens a journal for appending. Takes the writers' lock on `DIR/lock`, waiting up to
    /// `wait` for another writer to finish, else [`JournalError::Locked`]. Then reads and
    /// checks the journal and repairs a torn tail (see the module docs).
    pub fn open_write(dir: &Path, wait: Duration) -> Result<(Journal, OpenReport), JournalError> {
        let path = dir.join(JOURNAL_FILE);
        if !path.is_file() {
            return Err(JournalError::NotADatabase {
                path: dir.to_path_buf(),
            });
        }
        let lock = lock::exclusive(dir, &dir.join(LOCK_FILE), wait)?;
        let storage = FileStorage::open(&path).map_err(io_error(&path, "open"))?;
        let (mut journal, report) = Journal::open_in(storage)?;
        journal._lock = Some(lock);
        Ok((journal, report))
    }
}

impl<S: Storage> Journal<S> {
    /// Writes a new file header to an empty storage and opens it (tests use this with
    /// [`fault::FaultStorage`]).
    pub fn create_in(mut storage: S) -> Result<Journal<S>, JournalError> {
        let header = frame::new_file_header();
        let path = storage.path().to_path_buf();
        storage.append(&header).map_err(io_error(&path, "write"))?;
        storage.sync_data().map_err(io_error(&path, "sync"))?;
        let (journal, _report) = Journal::open_in(storage)?;
        Ok(journal)
    }

    /// Opens a journal in a storage for appending, repairing a torn tail, without locking.
    pub fn open_in(storage: S) -> Result<(Journal<S>, OpenReport), JournalError> {
        recover::open(storage)
    }

    /// The last acknowledged record.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Every record, in order (after [`Journal::open_write`], what the database replays).
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Whether an earlier failure stopped this writer.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The storage (tests look at it).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Appends one record: writes the frame, syncs it, and only then returns the new head.
    /// On any write or sync error the writer is poisoned: this and every later append fail
    /// ([`JournalError::Poisoned`] after the first error). The sync is never retried.
    pub fn append(&mut self, kind: RecordKind, payload: &[u8]) -> Result<Head, JournalError> {
        self.append_owned(kind, payload.to_vec())
    }

    /// [`Journal::append`] of a payload the journal keeps as it is (the
    /// journal holds every record's payload; a large one is not copied).
    pub fn append_owned(
        &mut self,
        kind: RecordKind,
        payload: Vec<u8>,
    ) -> Result<Head, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        if payload.len() > frame::MAX_PAYLOAD as usize {
            return Err(JournalError::PayloadTooLarge {
                len: payload.len(),
                max: frame::MAX_PAYLOAD,
            });
        }
        let seq = self.head.seq + 1;
        let bytes = frame::encode_frame(kind, seq, &self.head.hash, &payload);
        let offset = self.end;
        if let Err(err) = self.storage.append(&bytes) {
            return Err(self.poison(err, "append to"));
        }
        if let Err(err) = self.storage.sync_data() {
            return Err(self.poison(err, "sync"));
        }
        let hash = frame::sha256(&bytes);
        self.records.push(Record {
            seq,
            kind,
            offset,
            prev_hash: self.head.hash,
            hash,
            payload,
        });
        self.head = Head { seq, hash };
        self.end += bytes.len() as u64;
        Ok(self.head)
    }

    fn poison(&mut self, err: io::Error, op: &'static str) -> JournalError {
        self.poisoned = true;
        JournalError::Io {
            path: self.storage.path().to_path_buf(),
            op,
            source: err,
        }
    }
}

/// Checks a database's journal, read-only. `trusted` is a head recorded earlier (by someone
/// else); the record at its seq must still have its hash, which catches a rewrite of the
/// whole chain. Lists the quarantine files too.
pub fn verify(dir: &Path, trusted: Option<(u64, Hash)>) -> Result<VerifyReport, JournalError> {
    let (path, bytes) = read_locked(dir)?;
    let mut report = verify::verify_bytes_trusted(&bytes, trusted);
    report.path = Some(path);
    let entries = fs::read_dir(dir).map_err(io_error(dir, "read the directory"))?;
    for entry in entries {
        let entry = entry.map_err(io_error(dir, "read the directory"))?;
        if let Some(name) = entry.file_name().to_str()
            && name.starts_with(QUARANTINE_PREFIX)
        {
            report.quarantine_files.push(entry.path());
        }
    }
    report.quarantine_files.sort();
    Ok(report)
}

/// The journal's bytes, read under a shared lock.
fn read_locked(dir: &Path) -> Result<(PathBuf, Vec<u8>), JournalError> {
    let path = dir.join(JOURNAL_FILE);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(JournalError::NotADatabase {
                path: dir.to_path_buf(),
            });
        }
        Err(err) => {
            return Err(JournalError::Io {
                path,
                op: "open",
                source: err,
            });
        }
    };
    file.lock_shared().map_err(io_error(&path, "lock"))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(io_error(&path, "read"))?;
    drop(file);
    Ok((path, bytes))
}

/// A `map_err` adapter for I/O errors.
fn io_error(path: &Path, op: &'static str) -> impl FnOnce(io::Error) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io { path, op, source }
}

#[cfg(test)]
mod tests;
