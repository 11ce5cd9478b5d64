//! Rotating the cluster's token key in a real PostgreSQL (a fresh schema per test; skipped,
//! saying why, when none is reachable, unless `REFEREE_REQUIRE_POSTGRES=1`): a rotation
//! draws a new key and keeps the old one as the previous; a revocation drops it; a second
//! rotation drops the key before the last; a database without a cluster is refused.

use referee_store::pg_testing::TestSchema;
use referee_store::{RotateError, TokenKeys, rotate_token_key};

/// The schema's URL, as a host passes it to `referee cluster rotate-token-key --db`.
fn url(pg: &TestSchema) -> String {
    format!("{}?options=-c%20search_path%3D{}", pg.url(), pg.schema())
}

fn keys(pg: &TestSchema) -> TokenKeys {
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
    nodes.token_keys().unwrap_or_else(|e| panic!("{e}"))
}

fn is_key(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn a_rotation_keeps_the_old_key_as_previous_and_a_revocation_drops_it() {
    let Some(pg) = TestSchema::create("token_rotate").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let first = keys(&pg);
    assert!(is_key(&first.current));
    assert_eq!(first.previous, None, "no rotation yet");
    assert_eq!(first.rotated_at_ms, None);

    let rotated = rotate_token_key(&url(&pg), false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!rotated.revoked && !rotated.dropped_older, "{rotated:?}");
    assert!(rotated.at_ms > 1_700_000_000_000, "{rotated:?}");
    let second = keys(&pg);
    assert_eq!(second.rotated_at_ms, Some(rotated.at_ms));
    assert!(is_key(&second.current));
    assert_ne!(second.current, first.current, "a new key");
    assert_eq!(second.previous.as_deref(), Some(first.current.as_str()));

    let again = rotate_token_key(&url(&pg), false).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.dropped_older, "the first key goes: {again:?}");
    let third = keys(&pg);
    assert_eq!(third.previous.as_deref(), Some(second.current.as_str()));
    assert!(![&first.current, &second.current].contains(&&third.current));

    let revoked = rotate_token_key(&url(&pg), true).unwrap_or_else(|e| panic!("{e}"));
    assert!(revoked.revoked, "{revoked:?}");
    let fourth = keys(&pg);
    assert_eq!(
        fourth.previous, None,
        "nothing before the revocation is accepted"
    );
    assert!(is_key(&fourth.current));
    assert_ne!(fourth.current, third.current);
    assert_eq!(
        pg.count("SELECT COUNT(*) FROM cluster_meta"),
        Ok(1),
        "one row"
    );
}

#[test]
fn a_database_without_a_cluster_is_refused_and_left_untouched() {
    let Some(pg) = TestSchema::create("token_no_cluster").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    // The fresh schema is empty: no node started on it.
    let refused = rotate_token_key(&url(&pg), false);
    assert!(
        matches!(&refused, Err(RotateError::NoCluster { db }) if !db.is_empty()),
        "{refused:?}"
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("holds no Referee cluster"), "{message}");
    assert_eq!(
        pg.count(&format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{}'",
            pg.schema()
        )),
        Ok(0),
        "no schema made"
    );

    let unreachable = rotate_token_key("postgres://nobody:secret@127.0.0.1:9/none", false);
    let message = unreachable.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("127.0.0.1:9"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}
