//! A statement PostgreSQL refuses (here a constraint the test adds to its own schema): the
//! winner is told the round could not be saved, with the database's reason, and the recorder
//! goes on serving — the next win is committed and announced as usual.

mod common;

use std::time::Duration;

use common::TestServer;
use referee_store::pg_testing::TestSchema;
use referee_store::{PgStore, StoreReader};

/// Far below the 30 s a transient failure is retried; generous for a loaded machine.
const PROMPT: Duration = Duration::from_secs(10);

fn connect(pg: &TestSchema) -> PgStore {
    let (url, schema) = (pg.url().to_owned(), pg.schema().to_owned());
    // Off the test's runtime: the store's first connection blocks.
    std::thread::spawn(move || PgStore::connect_in_schema(&url, &schema))
        .join()
        .unwrap_or_else(|_| panic!("panicked"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn wins(pg: &TestSchema, name: &str) -> u64 {
    let mut store = connect(pg);
    let name = name.to_owned();
    std::thread::spawn(move || store.wins_of(&name))
        .join()
        .unwrap_or_else(|_| panic!("panicked"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_statement_loses_that_win_only_and_the_recorder_goes_on() {
    let Some(pg) = TestSchema::create("statement").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let store = connect(&pg);
    pg.execute("ALTER TABLE rounds ADD CONSTRAINT no_mallory CHECK (winner <> 'Mallory')")
        .unwrap_or_else(|e| panic!("{e}"));
    let server = TestServer::start_with_store(|c| c.players_per_room(1), Box::new(store)).await;

    let (mut mallory, _, _) = server.player().await;
    mallory.send("/name Mallory").await;
    mallory.until("* You are now known as").await;
    // Refused is final: the win and the loss are told at once, not after the 30 s a store
    // that is away is retried for.
    let told = tokio::time::timeout(PROMPT, async {
        assert!(mallory.play_round(20).await.is_some());
        mallory.until_contains("could not be saved").await
    })
    .await;
    let (lost, _) = told.unwrap_or_else(|_| panic!("not told within {PROMPT:?}"));
    assert!(
        lost.contains("PostgreSQL refused a statement (23514)"),
        "{lost}"
    );

    let (mut ann, _, _) = server.player().await;
    ann.send("/name Ann").await;
    ann.until("* You are now known as").await;
    assert!(ann.play_round(20).await.is_some());
    let next = ann.line().await;
    assert!(
        next.starts_with("Round 2"),
        "saved without complaint: {next}"
    );
    assert_eq!(wins(&pg, "Ann"), 1);
    assert_eq!(wins(&pg, "Mallory"), 0);
    assert!(server.shutdown().await.is_ok());
}
