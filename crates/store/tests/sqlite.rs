//! The SQLite store on real files: a clear error for every way a file can be unusable at
//! start-up, and checkpoints off the committing thread. What every store does (durability,
//! one row per key, rankings) is in `contract.rs`.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use referee_store::{RoundResult, SqliteStore, Store, StoreError};
use tempfile::TempDir;

fn win(room: u64, round: u64, name: &str) -> RoundResult {
    RoundResult {
        game: "guess".into(),
        key: format!("{room}/{round}"),
        room,
        round,
        winner: name.into(),
        named: !name.starts_with("Player "),
        guesses: 5,
        won_at_ms: 1_000 + round as i64,
        log: None,
        credit: None,
    }
}

fn dir() -> TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(err) => panic!("no temp dir: {err}"),
    }
}

fn open(path: &Path) -> SqliteStore {
    match SqliteStore::open(path, 1) {
        Ok(store) => store,
        Err(err) => panic!("cannot open {}: {err}", path.display()),
    }
}

/// Rounds in the database file itself, read from a copy of it alone (without its `-wal`):
/// what a checkpoint has copied back.
fn rounds_in_the_file_alone(path: &Path, scratch: &Path) -> i64 {
    let copy = scratch.join("alone.db");
    let _ = fs::remove_file(&copy);
    fs::copy(path, &copy).unwrap_or_else(|err| panic!("{err}"));
    let conn = rusqlite::Connection::open(&copy).unwrap_or_else(|err| panic!("{err}"));
    // No table at all: not even the schema was copied back yet.
    conn.query_row("SELECT count(*) FROM rounds", [], |row| row.get(0))
        .unwrap_or(0)
}

#[test]
fn commits_are_checkpointed_into_the_file_by_a_thread_of_their_own() {
    let dir = dir();
    let scratch = self::dir();
    let path = dir.path().join("referee.db");
    let mut store = open(&path);
    // A handful of pages of log: far below the 1,000 pages at which a commit would copy
    // them back itself.
    for round in 1..=5 {
        let committed = store.record(&[win(1, round, "Ann")]);
        assert!(committed.is_ok(), "{committed:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = rounds_in_the_file_alone(&path, scratch.path());
        if found == 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 10 s the database file holds {found} of 5 rounds: nothing checkpoints"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(store);
}

#[test]
fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
    let dir = dir();
    let path = dir.path().join("referee.db");
    assert!(fs::write(&path, vec![0x42; 8192]).is_ok());
    let err = SqliteStore::open(&path, 1).err();
    assert!(matches!(err, Some(StoreError::Corrupt { .. })), "{err:?}");
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("referee.db: the database is corrupt"),
        "{message}"
    );
}

#[test]
fn a_damaged_database_fails_its_integrity_check() {
    let dir = dir();
    let path = dir.path().join("referee.db");
    let mut store = open(&path);
    let many: Vec<_> = (1..=2_000).map(|round| win(1, round, "Ann")).collect();
    assert!(store.record(&many).is_ok());
    drop(store);
    let mut bytes = fs::read(&path).unwrap_or_default();
    assert!(bytes.len() > 12 * 4096, "the file has pages to damage");
    for byte in &mut bytes[4 * 4096..10 * 4096] {
        *byte = 0x5A;
    }
    assert!(fs::write(&path, bytes).is_ok());
    let err = SqliteStore::open(&path, 1).err();
    assert!(matches!(err, Some(StoreError::Corrupt { .. })), "{err:?}");
}

#[test]
fn a_database_in_use_by_another_server_is_reported_as_locked() {
    let dir = dir();
    let path = dir.path().join("referee.db");
    let _first = open(&path);
    let err = SqliteStore::open(&path, 1).err();
    assert!(matches!(err, Some(StoreError::Locked { .. })), "{err:?}");
}

#[test]
fn a_schema_from_a_newer_version_is_refused() {
    let dir = dir();
    let path = dir.path().join("referee.db");
    drop(open(&path));
    let conn = rusqlite_free::set_user_version(&path, 99);
    assert!(conn, "could not set the version");
    let err = SqliteStore::open(&path, 1).err();
    assert!(
        matches!(err, Some(StoreError::TooNew { found: 99, .. })),
        "{err:?}"
    );
}

#[test]
fn a_path_that_cannot_be_created_is_a_clear_error() {
    let dir = dir();
    let path = dir.path().join("no such directory").join("referee.db");
    let err = SqliteStore::open(&path, 1).err();
    assert!(matches!(err, Some(StoreError::Open { .. })), "{err:?}");
}

#[test]
fn a_read_only_database_is_reported_as_such() {
    let dir = dir();
    let path = dir.path().join("referee.db");
    drop(open(&path));
    let _guard = ReadOnly::make(&path);
    let err = SqliteStore::open(&path, 1).err();
    assert!(matches!(err, Some(StoreError::ReadOnly { .. })), "{err:?}");
}

/// Makes a file unwritable even for root (chmod, then the immutable attribute), and undoes it
/// on drop so the temporary directory can be removed.
struct ReadOnly<'a>(&'a Path);

impl<'a> ReadOnly<'a> {
    fn make(path: &'a Path) -> Self {
        let mut permissions = fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|e| panic!("{e}"));
        permissions.set_readonly(true);
        assert!(fs::set_permissions(path, permissions).is_ok());
        if writable(path) {
            let status = Command::new("chattr").arg("+i").arg(path).status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cannot make {} read-only here",
                path.display()
            );
        }
        assert!(!writable(path), "{} is still writable", path.display());
        ReadOnly(path)
    }
}

impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).status();
    }
}

fn writable(path: &Path) -> bool {
    fs::OpenOptions::new().append(true).open(path).is_ok()
}

/// Touches the file with SQLite directly, as an old or new tool would.
mod rusqlite_free {
    use std::path::Path;

    pub(super) fn set_user_version(path: &Path, version: i64) -> bool {
        let Ok(conn) = rusqlite::Connection::open(path) else {
            return false;
        };
        conn.pragma_update(None, "user_version", version).is_ok()
    }
}
