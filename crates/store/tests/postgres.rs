//! What only PostgreSQL can do to a store: be unreachable, drop a connection, refuse a
//! statement. Each against a real PostgreSQL (a fresh schema per test; skipped, saying why,
//! when none is reachable, unless `REFEREE_REQUIRE_POSTGRES=1`).

use std::net::TcpListener;

use referee_store::pg_testing::TestSchema;
use referee_store::{PgStore, RoundResult, Store, StoreError, StoreReader};

fn schema(test: &str) -> Option<TestSchema> {
    TestSchema::create(test).unwrap_or_else(|e| panic!("{e}"))
}

fn win(key: &str, name: &str) -> RoundResult {
    RoundResult {
        game: "guess".into(),
        key: key.into(),
        room: 1,
        round: 1,
        winner: name.into(),
        named: true,
        guesses: 3,
        won_at_ms: 1_000,
        log: None,
        credit: None,
    }
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(1);
    drop(listener);
    port
}

#[test]
fn unreachable_names_the_url_without_its_password() {
    let url = format!(
        "postgres://referee:hunter2@127.0.0.1:{}/referee",
        closed_port()
    );
    let err = PgStore::connect(&url).err();
    let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        matches!(err, Some(StoreError::Unreachable { .. })),
        "{err:?}"
    );
    assert!(text.contains("referee@127.0.0.1"), "{text}");
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
    assert!(
        !format!("{err:?}").contains("hunter2"),
        "the password leaked: {err:?}"
    );
    assert!(err.is_some_and(|e| e.is_transient()));
}

#[test]
fn a_refused_statement_is_typed_and_the_store_goes_on() {
    let Some(pg) = schema("refused") else { return };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    pg.execute("ALTER TABLE rounds ADD CONSTRAINT no_mallory CHECK (winner <> 'Mallory')")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = store.record(&[win("1", "Ann"), win("2", "Mallory")]).err();
    assert!(
        matches!(&err, Some(StoreError::Statement { code, .. }) if code == "23514"),
        "{err:?}"
    );
    assert!(err.is_some_and(|e| !e.is_transient()));
    assert_eq!(
        store.wins_of("Ann").ok(),
        Some(0),
        "the batch was rolled back"
    );
    assert!(store.record(&[win("1", "Ann")]).is_ok());
    assert_eq!(store.wins_of("Ann").ok(), Some(1));
}

#[test]
fn a_dropped_table_is_a_typed_error_not_a_lost_connection() {
    let Some(pg) = schema("dropped") else { return };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    pg.execute("DROP TABLE matches; DROP TABLE rounds")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = store.record(&[win("1", "Ann")]).err();
    assert!(
        matches!(&err, Some(StoreError::Statement { code, .. }) if code == "42P01"),
        "{err:?}"
    );
    // Reads of what is still there still work on the same connection.
    assert_eq!(store.wins_of("Ann").ok(), Some(0));
}

#[test]
fn a_lost_connection_is_made_again_and_a_retry_stores_once() {
    let Some(pg) = schema("reconnect") else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    assert!(store.record(&[win("1", "Ann")]).is_ok());
    let cut = pg.cut_connections().unwrap_or_else(|e| panic!("{e}"));
    assert!(cut >= 1, "no connection of the store was found to cut");
    let first = store.record(&[win("2", "Ann")]);
    assert!(
        matches!(&first, Err(e) if e.is_transient()),
        "the cut connection is a transient error: {first:?}"
    );
    // The retry reconnects; a key that made it either way is stored once.
    assert!(store.record(&[win("2", "Ann")]).is_ok());
    assert!(store.record(&[win("2", "Ann")]).is_ok());
    assert_eq!(store.wins_of("Ann").ok(), Some(2));
}
