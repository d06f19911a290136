//! This module defines the writers' lock: an exclusive `flock` on `DIR/lock`, held while a
//! [`crate::journal::Journal`] is open for appending.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::journal::JournalError;

/// Takes the exclusive lock on `path`, waiting up to `wait`. `dir` names the database in the
/// [`JournalError::Locked`] message.
pub(crate) fn exclusive(dir: &Path, path: &Path, wait: Duration) -> Result<File, JournalError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| JournalError::Io {
            path: path.to_path_buf(),
            op: "open the lock file",
            source,
        })?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => (),
            Err(TryLockError::Error(source)) => {
                return Err(JournalError::Io {
                    path: path.to_path_buf(),
                    op: "lock",
                    source,
                });
            }
        }
        let waited = start.elapsed();
        if wait <= waited {
            return Err(JournalError::Locked {
                path: dir.to_path_buf(),
                waited,
            });
        }
        thread::sleep((wait - waited).min(Duration::from_millis(10)));
    }
}
