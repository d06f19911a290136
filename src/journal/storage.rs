//! This module defines [`Storage`], the only door through which the journal touches its file,
//! and [`FileStorage`], the real one.
//!
//! Tests use [`crate::journal::fault::FaultStorage`] instead, which can fail any write or sync
//! and can show what a crash would have left on disk (RELIABILITY.md, technique 5).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The file operations the journal needs.
///
/// "Side files" are files next to the journal; the journal uses them for quarantined torn tails.
pub trait Storage {
    /// The journal file, for messages.
    fn path(&self) -> &Path;
    /// The whole journal as it is now.
    fn read_all(&mut self) -> io::Result<Vec<u8>>;
    /// The journal's length in bytes.
    fn size(&mut self) -> io::Result<u64>;
    /// Appends bytes at the end (not yet durable).
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes every byte written so far durable (`fdatasync`).
    fn sync_data(&mut self) -> io::Result<()>;
    /// Cuts the journal to `len` bytes (not yet durable: call [`Storage::sync_data`]).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// The path a side file has or would have, for messages.
    fn side_path(&self, name: &str) -> PathBuf;
    /// The contents of a side file, `None` if there is none of that name.
    fn read_side_file(&mut self, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// Creates a new side file with these bytes and makes it and its directory entry durable.
    /// Fails if the file exists.
    fn write_side_file(&mut self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// The names of all side files, sorted.
    fn side_files(&mut self) -> io::Result<Vec<String>>;
}

/// The journal in a real file `DIR/journal`.
#[derive(Debug)]
pub struct FileStorage {
    path: PathBuf,
    dir: PathBuf,
    file: File,
}

impl FileStorage {
    /// Opens an existing journal file for reading and appending.
    pub fn open(path: &Path) -> io::Result<FileStorage> {
        let file = OpenOptions::new().read(true).append(true).open(path)?;
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(FileStorage {
            path: path.to_path_buf(),
            dir,
            file,
        })
    }
}

impl Storage for FileStorage {
    fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let mut res = Vec::new();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_to_end(&mut res)?;
        Ok(res)
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        // The file is in append mode, so every write goes to the end.
        self.file.write_all(bytes)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        // Readers hold a shared lock on the journal while they read it: wait for them, so that
        // no reader sees the file shrink under it.
        self.file.lock()?;
        let res = self.file.set_len(len);
        let unlocked = self.file.unlock();
        res?;
        unlocked
    }

    fn side_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn read_side_file(&mut self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.side_path(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn write_side_file(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.side_path(name))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        sync_dir(&self.dir)
    }

    fn side_files(&mut self) -> io::Result<Vec<String>> {
        let mut res = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(name) = entry.file_name().to_str()
                && name != "journal"
                && name.starts_with("journal.")
            {
                res.push(name.to_string());
            }
        }
        res.sort();
        Ok(res)
    }
}

/// Makes a directory's entries durable (the new names in it).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
