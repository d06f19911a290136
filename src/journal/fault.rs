//! This module defines [`FaultStorage`], an in-memory [`Storage`] for tests that fails the
//! k-th mutating operation on demand and knows what a crash would leave behind
//! (RELIABILITY.md technique 5, after SQLite's crash VFS and redb's countdown backend).
//!
//! The model: `data` is what the file holds now (the page cache); `durable` is what was on
//! disk at the last successful `sync_data`. A crash keeps `durable` plus, possibly, part of
//! what was appended after it, and possibly zeros where the file grew but the data did not
//! reach the disk ([`FaultState::crash_images`]). Side files are written durably or not at all.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::journal::storage::Storage;

/// A mutating operation, as counted by [`FaultStorage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Append,
    Sync,
    Truncate,
    WriteSideFile,
}

/// When to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The 1-based number of the mutating operation that fails.
    pub at: u64,
    /// Whether every later operation fails too (a dead disk), or only that one.
    pub permanent: bool,
}

/// The shared state of a [`FaultStorage`] and its clones.
#[derive(Clone, Debug, Default)]
pub struct FaultState {
    /// What the file holds now.
    pub data: Vec<u8>,
    /// What the file held at the last successful sync.
    pub durable: Vec<u8>,
    /// Side files (always durable).
    pub side_files: BTreeMap<String, Vec<u8>>,
    /// Mutating operations so far, failed ones included.
    pub ops: Vec<Op>,
    /// The fault to inject, if any.
    pub fault: Option<Fault>,
    /// The operations that failed.
    pub failed: Vec<Op>,
}

impl FaultState {
    /// Every file content a crash right now could leave: `durable`, then `durable` with each
    /// prefix of the unsynced appended bytes, with and without zeros in place of the rest.
    /// If the file was cut since the last sync, either the old or the new contents.
    pub fn crash_images(&self) -> Vec<Vec<u8>> {
        let mut res = vec![self.durable.clone()];
        if self.data.starts_with(&self.durable) {
            let extra = self.data.len() - self.durable.len();
            for n in 1..=extra {
                let mut image = self.data[..self.durable.len() + n].to_vec();
                res.push(image.clone());
                if n < extra {
                    image.resize(self.data.len(), 0);
                    res.push(image);
                }
            }
            if 0 < extra {
                let mut zeros = self.durable.clone();
                zeros.resize(self.data.len(), 0);
                res.push(zeros);
            }
        } else {
            res.push(self.data.clone());
        }
        res
    }
}

/// An in-memory journal file with fault injection. Clones share the state, so a test keeps
/// one clone to look inside while the journal owns another.
#[derive(Clone, Debug)]
pub struct FaultStorage {
    path: PathBuf,
    state: Arc<Mutex<FaultState>>,
}

impl FaultStorage {
    /// A storage whose file holds `durable` bytes, all of them synced.
    pub fn new(durable: Vec<u8>) -> FaultStorage {
        let state = FaultState {
            data: durable.clone(),
            durable,
            ..FaultState::default()
        };
        FaultStorage {
            path: PathBuf::from("<memory>/journal"),
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// The same, with side files already present.
    pub fn with_side_files(
        durable: Vec<u8>,
        side_files: BTreeMap<String, Vec<u8>>,
    ) -> FaultStorage {
        let res = FaultStorage::new(durable);
        res.state().side_files = side_files;
        res
    }

    /// The shared state.
    pub fn state(&self) -> MutexGuard<'_, FaultState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fails the `at`-th mutating operation from now on (counting those already done).
    pub fn inject(&self, fault: Fault) {
        self.state().fault = Some(fault);
    }

    /// Counts one mutating operation; returns the error to report if it is to fail.
    fn count(&self, op: Op) -> io::Result<()> {
        let mut state = self.state();
        state.ops.push(op);
        let n = state.ops.len() as u64;
        let fails = match state.fault {
            Some(fault) => n == fault.at || (fault.permanent && fault.at < n),
            None => false,
        };
        if fails {
            state.failed.push(op);
            return Err(io::Error::other(format!(
                "injected failure of {op:?} (operation {n})"
            )));
        }
        Ok(())
    }
}

impl Storage for FaultStorage {
    fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        Ok(self.state().data.clone())
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.state().data.len() as u64)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Err(err) = self.count(Op::Append) {
            // A failed write may still have written a part (a short write).
            self.state()
                .data
                .extend_from_slice(&bytes[..bytes.len() / 2]);
            return Err(err);
        }
        self.state().data.extend_from_slice(bytes);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.count(Op::Sync)?;
        let mut state = self.state();
        state.durable = state.data.clone();
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.count(Op::Truncate)?;
        let mut state = self.state();
        let len = usize::try_from(len).map_err(io::Error::other)?;
        state.data.truncate(len);
        Ok(())
    }

    fn side_path(&self, name: &str) -> PathBuf {
        PathBuf::from("<memory>").join(name)
    }

    fn read_side_file(&mut self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.state().side_files.get(name).cloned())
    }

    fn write_side_file(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.count(Op::WriteSideFile)?;
        let mut state = self.state();
        if state.side_files.contains_key(name) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        state.side_files.insert(name.to_string(), bytes.to_vec());
        Ok(())
    }

    fn side_files(&mut self) -> io::Result<Vec<String>> {
        Ok(self.state().side_files.keys().cloned().collect())
    }
}
