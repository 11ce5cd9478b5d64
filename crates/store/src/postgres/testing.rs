//! For tests against a real PostgreSQL (this crate's and the server's): a fresh schema per
//! test, dropped afterwards, so tests run in parallel and leave nothing behind.
//!
//! Where PostgreSQL is: `REFEREE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached a test is
//! **skipped**, saying so on stderr — unless `REFEREE_REQUIRE_POSTGRES=1` (set by `.ci/run`),
//! when [`TestSchema::create`] returns the error for the test to fail with.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use postgres::{Client, NoTls};

use super::PgStore;
use crate::StoreError;

/// The database tests use unless `REFEREE_TEST_POSTGRES` says otherwise.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema of its own for one test, dropped (with everything in it) on drop.
#[derive(Debug)]
pub struct TestSchema {
    url: String,
    schema: String,
}

impl TestSchema {
    /// Creates a fresh schema. `Ok(None)`: PostgreSQL is unreachable and not required — the
    /// reason was printed, the test should return. `Err`: it is required
    /// (`REFEREE_REQUIRE_POSTGRES=1`) and unreachable.
    ///
    /// # Errors
    /// PostgreSQL required and unreachable, or the schema cannot be created.
    pub fn create(test: &str) -> Result<Option<TestSchema>, String> {
        let url = std::env::var("REFEREE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.into());
        let schema = unique_name(test);
        let sql = format!("CREATE SCHEMA {schema}");
        match admin(&url, None, &sql) {
            Ok(()) => Ok(Some(TestSchema { url, schema })),
            Err(err) if required() => Err(format!(
                "{test}: PostgreSQL is required (REFEREE_REQUIRE_POSTGRES=1) but {err}"
            )),
            Err(err) => {
                // Straight to stderr, not `eprintln!`: the test harness would hide that for
                // a test that passes, and a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: no PostgreSQL ({err}); set REFEREE_TEST_POSTGRES, or \
                     REFEREE_REQUIRE_POSTGRES=1 to fail instead"
                );
                Ok(None)
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema's name (also the `application_name` of the store's connections).
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// A store in this schema.
    ///
    /// # Errors
    /// As [`PgStore::connect`].
    pub fn store(&self) -> Result<PgStore, StoreError> {
        PgStore::connect_in_schema(&self.url, &self.schema)
    }

    /// Runs `sql` in this schema (on a connection of its own, off any async runtime).
    ///
    /// # Errors
    /// What PostgreSQL said.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        admin(&self.url, Some(&self.schema), sql)
    }

    /// Runs a query in this schema that answers one number (`SELECT COUNT(*) …`).
    ///
    /// # Errors
    /// What PostgreSQL said.
    pub fn count(&self, sql: &str) -> Result<i64, String> {
        let (url, schema, sql) = (self.url.clone(), self.schema.clone(), sql.to_owned());
        off_runtime(move || {
            let mut config: postgres::Config = url.parse()?;
            config.options(&format!("-c search_path={schema}"));
            let mut client = config.connect(NoTls)?;
            Ok(client.query_one(&sql, &[])?.get::<_, i64>(0))
        })
    }

    /// Breaks the store's connections (`pg_terminate_backend`): the next statement on each
    /// finds its connection gone. Returns how many were cut.
    ///
    /// # Errors
    /// What PostgreSQL said.
    pub fn cut_connections(&self) -> Result<u64, String> {
        let url = self.url.clone();
        let schema = self.schema.clone();
        off_runtime(move || {
            let mut client = Client::connect(&url, NoTls)?;
            let row = client.query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name = $1",
                &[&schema],
            )?;
            Ok(row.get::<_, i64>(0).unsigned_abs())
        })
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(err) = admin(&self.url, None, &sql) {
            eprintln!("could not drop test schema {}: {err}", self.schema);
        }
    }
}

fn required() -> bool {
    std::env::var("REFEREE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// `t_<test>_<pid>_<time>_<n>`: unique across parallel tests and processes.
fn unique_name(test: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let word: String = test
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    format!(
        "t_{word}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn admin(url: &str, schema: Option<&str>, sql: &str) -> Result<(), String> {
    let (url, schema, sql) = (url.to_owned(), schema.map(str::to_owned), sql.to_owned());
    off_runtime(move || {
        let mut config: postgres::Config = url.parse()?;
        config.connect_timeout(std::time::Duration::from_secs(3));
        if let Some(schema) = schema {
            config.options(&format!("-c search_path={schema}"));
        }
        config.connect(NoTls)?.batch_execute(&sql)
    })
}

/// Runs `f` on a thread of its own: the synchronous client cannot run inside a runtime.
fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, postgres::Error> + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || f().map_err(|err| super::session::describe(&err)))
        .join()
        .map_err(|_| "the PostgreSQL thread panicked".to_owned())?
}
