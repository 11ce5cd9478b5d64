//! For tests, benchmarks and examples against a real NATS: connect, or say why not.
//!
//! Where NATS is: `REFEREE_TEST_NATS` (default `nats://127.0.0.1:4222`). When it cannot be
//! reached, [`connect`] prints that the test is **skipped** and why — unless
//! `REFEREE_REQUIRE_NATS=1` (set by `.ci/run`), when it returns the error for the test to
//! fail with. The same rule as the PostgreSQL tests' (`referee_store`'s `TestSchema`).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::{Client, ConnectOptions};

/// The NATS server tests use unless `REFEREE_TEST_NATS` says otherwise.
pub const DEFAULT_URL: &str = "nats://127.0.0.1:4222";

/// A client of the test NATS. `Ok(None)`: unreachable and not required — the reason was
/// printed, the test should return. `Err`: required (`REFEREE_REQUIRE_NATS=1`) and
/// unreachable.
///
/// # Errors
/// NATS required and unreachable.
pub async fn connect(test: &str) -> Result<Option<Client>, String> {
    let url = std::env::var("REFEREE_TEST_NATS").unwrap_or_else(|_| DEFAULT_URL.into());
    let options = ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .name(format!("referee-test-{test}"));
    match options.connect(url.as_str()).await {
        Ok(client) => Ok(Some(client)),
        Err(err) if required() => Err(format!(
            "{test}: NATS is required (REFEREE_REQUIRE_NATS=1) but {url} answers: {err}"
        )),
        Err(err) => {
            // Straight to stderr: the harness hides `eprintln!` of a passing test, and a
            // skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no NATS at {url} ({err}); set REFEREE_TEST_NATS, or \
                 REFEREE_REQUIRE_NATS=1 to fail instead"
            );
            Ok(None)
        }
    }
}

/// A subject no other test or process uses: `referee.test.<test>.<pid>.<n>`.
pub fn unique_subject(test: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let word: String = test
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("referee.test.{word}.{}.{n}", std::process::id())
}

fn required() -> bool {
    std::env::var("REFEREE_REQUIRE_NATS").is_ok_and(|v| v == "1")
}
