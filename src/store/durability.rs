//! Makes sled's writes survive power loss. sled 0.34.7's `flush` ends in `sync_file_range`, which does
//! not flush the disk's write cache, and it never syncs blob files (sled issue #1452). After every
//! flush the ledger calls `Syncer::sync`, which `fdatasync`s the log file and any blob file it has
//! not synced before (and then the blob directory).
//!
//! Invariant: no append is acknowledged before `Syncer::sync` has returned `Ok` after its flush.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counters of durable work, read by metrics and by the tests that prove fsync happens.
#[derive(Debug, Default)]
pub struct DurabilityStats {
    pub sync_calls: AtomicU64,
    pub sync_micros_total: AtomicU64,
}

/// How old a directory's modification time must be before an unchanged one is taken to mean
/// "nothing new in it".
const MODIFIED_TIME_SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

pub struct Syncer {
    log_file: File,
    blobs_dir: PathBuf,
    synced_blobs: HashSet<OsString>,
    /// The blob directory's modification time when it was last listed: a new blob changes it, so an
    /// unchanged time means there is nothing new to sync (one stat instead of a listing per flush).
    blobs_dir_modified: Option<std::time::SystemTime>,
}

impl Syncer {
    /// Opens the sled log file of the database at `dir` and syncs the directory entries once.
    pub fn open(dir: &Path) -> io::Result<Syncer> {
        let log_file = File::options().read(true).write(true).open(dir.join("db"))?;
        log_file.sync_data()?;
        sync_directory(dir)?;
        let mut syncer =
            Syncer { log_file, blobs_dir: dir.join("blobs"), synced_blobs: HashSet::new(), blobs_dir_modified: None };
        // Blobs already present were written by an earlier process; sync them once too.
        syncer.sync_new_blobs()?;
        Ok(syncer)
    }

    pub fn sync(&mut self, stats: &DurabilityStats) -> io::Result<()> {
        let started = Instant::now();
        self.log_file.sync_data()?;
        self.sync_new_blobs()?;
        stats.sync_calls.fetch_add(1, Ordering::Relaxed);
        stats.sync_micros_total.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let modified = match std::fs::metadata(&self.blobs_dir) {
            Ok(metadata) => metadata.modified().ok(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        // File-system timestamps are coarse (a few milliseconds): a time that recent might hide a second
        // change in the same tick, so it is never trusted.
        let settled = modified.is_some_and(|at| at.elapsed().is_ok_and(|age| age > MODIFIED_TIME_SETTLED));
        if settled && modified == self.blobs_dir_modified {
            return Ok(());
        }
        self.blobs_dir_modified = modified;
        let entries = match std::fs::read_dir(&self.blobs_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        let mut synced_any = false;
        for entry in entries {
            let entry = entry?;
            if self.synced_blobs.contains(&entry.file_name()) {
                continue;
            }
            match File::open(entry.path()) {
                Ok(file) => file.sync_all()?,
                // sled removed it between the listing and now (a blob it no longer needs, such as an
                // old projection snapshot's): nothing of it is left to make durable.
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            }
            self.synced_blobs.insert(entry.file_name());
            synced_any = true;
        }
        if synced_any {
            sync_directory(&self.blobs_dir)?;
        }
        Ok(())
    }
}

/// fsync of a directory makes the entries in it (new files) durable.
pub fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
