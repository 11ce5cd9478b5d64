//! Revoking one player's tokens, and rotating the key on a schedule, in a real PostgreSQL (a
//! fresh schema per test; skipped, saying why, when none is reachable, unless
//! `REFEREE_REQUIRE_POSTGRES=1`): a revocation is kept only as long as the tokens it refuses
//! live, never past the bound, and seen by nodes through the version; several nodes asking
//! to rotate an old key at once rotate it exactly once.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use referee_store::pg_testing::TestSchema;
use referee_store::{MAX_REVOCATIONS, PgNodes, Revoke, RevokeError, revoke_token};

const DAY: Duration = Duration::from_secs(24 * 3600);
const MARGIN: Duration = Duration::from_secs(300);

/// The schema's URL, as a host passes it to `referee cluster revoke-token --db`.
fn url(pg: &TestSchema) -> String {
    format!("{}?options=-c%20search_path%3D{}", pg.url(), pg.schema())
}

fn nodes(pg: &TestSchema) -> PgNodes {
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    store.nodes().unwrap_or_else(|e| panic!("{e}"))
}

fn revoke(player: u64, issued_up_to_ms: Option<i64>) -> Revoke {
    Revoke {
        player,
        issued_up_to_ms,
        margin: MARGIN,
        lifetime: DAY,
    }
}

#[test]
fn a_revocation_is_kept_while_its_tokens_live_and_nodes_see_it_by_version() {
    let Some(pg) = TestSchema::create("token_revoke").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let mut nodes = nodes(&pg);
    let first = nodes
        .token_revocations(None)
        .unwrap_or_else(|e| panic!("{e}"));
    let first = first.unwrap_or_else(|| panic!("read when nothing is known"));
    assert!(first.entries.is_empty());
    assert_eq!(
        nodes.token_revocations(Some(first.version)).ok(),
        Some(None),
        "unchanged: not read again"
    );

    // One token: refused up to its own issue time.
    let issued = 1_900_000_000_000_i64 - 1; // in the future: bounded by now + margin
    let one = revoke_token(&url(&pg), revoke(7, Some(1_000))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.issued_up_to_ms, 1_000);
    assert_eq!(one.live, 1);
    // Every token of a player: up to now (plus the margin), kept a day past that.
    let all = revoke_token(&url(&pg), revoke(8, None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        all.purged, 1,
        "player 7's row, past its time (a token of 1970)"
    );
    let now = all.issued_up_to_ms - 300_000;
    assert!(now > 1_700_000_000_000, "{all:?}");
    assert_eq!(
        all.expires_at_ms,
        all.issued_up_to_ms + 86_400_000 + 300_000
    );
    let future = revoke_token(&url(&pg), revoke(9, Some(issued))).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        future.issued_up_to_ms <= all.issued_up_to_ms + 60_000,
        "{future:?}"
    );

    let read = nodes.token_revocations(Some(first.version));
    let read = read.unwrap_or_else(|e| panic!("{e}"));
    let read = read.unwrap_or_else(|| panic!("the version moved"));
    assert_eq!(
        read.entries,
        vec![(8, all.issued_up_to_ms), (9, future.issued_up_to_ms)],
        "player 7's row is gone"
    );

    // A later bound for the same player wins.
    let again = revoke_token(&url(&pg), revoke(8, Some(5))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.live, 2, "{again:?}");
    assert_eq!(
        again.issued_up_to_ms, all.issued_up_to_ms,
        "the later bound kept"
    );
    assert_eq!(pg.count("SELECT COUNT(*) FROM token_revocations"), Ok(2));
}

#[test]
fn no_more_than_the_bound_are_kept() {
    let Some(pg) = TestSchema::create("token_revoke_full").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    drop(nodes(&pg)); // the schema made
    pg.execute(&format!(
        "INSERT INTO token_revocations
         SELECT n, 0, now() + interval '1 day', now()
         FROM generate_series(1000, {}) AS n",
        1000 + MAX_REVOCATIONS - 2
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let last = revoke_token(&url(&pg), revoke(1, None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(last.live, MAX_REVOCATIONS);
    let refused = revoke_token(&url(&pg), revoke(2, None));
    assert!(
        matches!(refused, Err(RevokeError::Full { max }) if max == MAX_REVOCATIONS),
        "{refused:?}"
    );
    assert_eq!(
        pg.count("SELECT COUNT(*) FROM token_revocations"),
        Ok(MAX_REVOCATIONS),
        "nothing kept"
    );
    let renewed = revoke_token(&url(&pg), revoke(1, None));
    assert!(renewed.is_ok(), "a player revoked already: {renewed:?}");
    let huge = revoke_token(&url(&pg), revoke(u64::MAX, None));
    assert!(
        matches!(huge, Err(RevokeError::NoSuchPlayer(_))),
        "{huge:?}"
    );
}

#[test]
fn nodes_asking_at_once_rotate_an_old_key_exactly_once() {
    let Some(pg) = TestSchema::create("token_rotate_once").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let first = nodes(&pg).token_keys().unwrap_or_else(|e| panic!("{e}"));
    let max_age = Duration::from_secs(3600);
    assert_eq!(
        nodes(&pg).rotate_token_key_if_older(max_age).ok(),
        Some(None),
        "a key drawn just now is kept"
    );
    pg.execute("UPDATE cluster_meta SET token_key_drawn_at = now() - interval '2 hours'")
        .unwrap_or_else(|e| panic!("{e}"));

    let gate = Arc::new(Barrier::new(4));
    let askers: Vec<_> = (0..4)
        .map(|_| {
            let (mut nodes, gate) = (nodes(&pg), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                nodes.rotate_token_key_if_older(max_age)
            })
        })
        .collect();
    let rotated = askers
        .into_iter()
        .map(|asker| asker.join().unwrap_or_else(|_| panic!("asker")))
        .map(|done| done.unwrap_or_else(|e| panic!("{e}")))
        .filter(Option::is_some)
        .count();
    assert_eq!(rotated, 1, "four nodes at once, one rotation");
    let after = nodes(&pg).token_keys().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        after.previous.as_deref(),
        Some(first.current.as_str()),
        "the first key is still accepted: rotated once, not twice"
    );
}
