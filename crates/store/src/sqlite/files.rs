//! The files behind a store: an advisory lock that keeps a second server off the same
//! database, and the identity of the files the store opened, checked before every commit so
//! that a database deleted or replaced under a running server is noticed instead of losing
//! every win written to it from then on.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::StoreError;

/// The lock file beside the database: `referee.db` → `referee.db.lock`.
fn lock_path(db: &Path) -> PathBuf {
    sibling(db, ".lock")
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// An exclusive advisory lock (`flock`) on `<db>.lock`, held for the life of the store
/// (released when dropped, or when the process dies).
#[derive(Debug)]
pub(super) struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock, waiting up to `patience` for a previous holder (a server shutting
    /// down in this process) to let go.
    pub(super) fn take(db: &Path, patience: Duration) -> Result<Lock, StoreError> {
        let path = lock_path(db);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| open_error(db, &err))?;
        let started = Instant::now();
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(Errno::WOULDBLOCK) if started.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(Errno::WOULDBLOCK) => {
                    return Err(StoreError::Locked {
                        path: db.to_owned(),
                    });
                }
                Err(err) => return Err(open_error(db, &err.into())),
            }
        }
    }
}

fn open_error(db: &Path, err: &io::Error) -> StoreError {
    let path = db.to_owned();
    let detail = err.to_string();
    match err.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            StoreError::ReadOnly { path, detail }
        }
        _ => StoreError::Open { path, detail },
    }
}

/// Which file a path named when the store opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
}

impl Identity {
    fn of(metadata: &fs::Metadata) -> Self {
        Identity {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }
}

/// The database, its write-ahead log and its shared-memory file as opened.
#[derive(Debug)]
pub(super) struct Files {
    db: PathBuf,
    /// The database file itself, kept open to see whether it was unlinked.
    file: File,
    identity: Identity,
    /// `-wal` and `-shm`, if they existed once the store was open.
    companions: Vec<(&'static str, PathBuf, Identity)>,
}

impl Files {
    /// Notes the files now (call once the store is open and has written).
    pub(super) fn note(db: &Path) -> Result<Files, StoreError> {
        let file = File::open(db).map_err(|err| open_error(db, &err))?;
        let metadata = file.metadata().map_err(|err| open_error(db, &err))?;
        let companions = [("write-ahead log", "-wal"), ("shared-memory file", "-shm")]
            .into_iter()
            .filter_map(|(what, suffix)| {
                let path = sibling(db, suffix);
                let identity = Identity::of(&fs::metadata(&path).ok()?);
                Some((what, path, identity))
            })
            .collect();
        Ok(Files {
            db: db.to_owned(),
            file,
            identity: Identity::of(&metadata),
            companions,
        })
    }

    /// Whether the files at the paths are still the ones opened.
    ///
    /// # Errors
    /// [`StoreError::Gone`], saying what changed.
    pub(super) fn check(&self) -> Result<(), StoreError> {
        match fs::metadata(&self.db) {
            Ok(now) if Identity::of(&now) == self.identity => {}
            Ok(_) => return Err(self.gone("replaced by another file")),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(self.gone("deleted")),
            Err(err) => return Err(self.gone(&format!("made unreachable ({err})"))),
        }
        if self.file.metadata().map_or(true, |m| m.nlink() == 0) {
            return Err(self.gone("deleted"));
        }
        for (what, path, identity) in &self.companions {
            match fs::metadata(path) {
                Ok(now) if Identity::of(&now) == *identity => {}
                Ok(_) => return Err(self.gone(&format!("left with its {what} replaced"))),
                Err(_) => return Err(self.gone(&format!("left without its {what}"))),
            }
        }
        Ok(())
    }

    fn gone(&self, what: &str) -> StoreError {
        StoreError::Gone {
            path: self.db.clone(),
            what: what.to_owned(),
        }
    }
}
