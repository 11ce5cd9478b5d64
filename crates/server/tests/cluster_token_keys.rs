//! The cluster's token key rotated by the host (`referee cluster rotate-token-key`) while
//! its nodes run: a token issued before a plain rotation still gives its player their seat
//! back — on another node after their own died — and after `--revoke` every token issued
//! before is refused, on every node, with the answer a forged token gets, within the
//! nodes' refresh bound. Real `referee` processes (the command too), real PostgreSQL, real
//! NATS.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::time::{Duration, Instant};

use common::cluster::{NodeProc, PATIENCE, eventually, services};
use common::ws::WsClient;
use referee_store::pg_testing::TestSchema;

/// One seat per room (each player alone in a room of their node), a short lease.
const FLAGS: &[&str] = &["--players-per-room", "1", "--lease-ms", "2000"];

/// How soon every node must have taken a rotation: the bound the operations guide promises
/// (a node re-reads the keys after every heartbeat, once a second).
const REFRESH_BOUND: Duration = Duration::from_secs(10);

/// Nodes `a` and `b` of the cluster of `pg`, both joined (each has read the keys: a node
/// serves HTTP a moment before it joins).
async fn two_nodes(pg: &TestSchema) -> (NodeProc, NodeProc) {
    let (a, b) = (
        NodeProc::start(pg, "a", FLAGS),
        NodeProc::start(pg, "b", FLAGS),
    );
    a.cluster().await;
    b.cluster().await;
    (a, b)
}

/// `referee cluster rotate-token-key --db …` (with `--revoke` if `revoke`): what it printed.
fn rotate(pg: &TestSchema, revoke: bool) -> String {
    let args: &[&str] = if revoke { &["--revoke"] } else { &[] };
    common::cluster::cluster_command(pg, "rotate-token-key", args)
}

/// Waits (up to [`REFRESH_BOUND`] after `since`) until `node` says it took the new keys.
async fn took(node: &NodeProc, what: &str, since: Instant) {
    loop {
        if node.log().iter().any(|line| line.contains(what)) {
            return;
        }
        assert!(
            since.elapsed() < REFRESH_BOUND,
            "no '{what}' within {REFRESH_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_token_issued_before_a_rotation_still_brings_its_player_back_to_the_seat() {
    let Some(pg) = services("token_keys_rotated").await else {
        return;
    };
    let (a, b) = two_nodes(&pg).await;
    let (mut ann, room) = a.ws_player("Ann").await;
    let (player, token) = (ann.player(), ann.token());
    assert!(ann.play_round(20).await.is_some(), "Ann, alone, wins");

    let rotated = Instant::now();
    let said = rotate(&pg, false);
    assert!(said.contains("remain valid until they expire"), "{said}");
    took(&a, "token key was rotated", rotated).await;
    took(&b, "token key was rotated", rotated).await;

    // Her node dies; node b, which signs with the new key now, still takes her old token.
    let saved = format!("SELECT COUNT(*) FROM room_snapshots WHERE room = 'room/{room}'");
    eventually(&pg, &saved, 1).await;
    a.signal("-KILL");
    ann.drop_connection();
    let mut back = WsClient::come_back(b.http, &token, room).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), player, "the same player");
    assert_eq!(back.token(), token, "the token stays hers");
    let joined = back.expect("joined").await;
    assert_eq!(joined["room"]["id"], room, "{joined}");
}

#[tokio::test]
async fn after_a_revocation_every_token_issued_before_is_refused_as_a_forged_one() {
    let Some(pg) = services("token_keys_revoked").await else {
        return;
    };
    let (a, b) = two_nodes(&pg).await;
    let (ann, ann_room) = a.ws_player("Ann").await;
    let (ann_id, ann_token) = (ann.player(), ann.token());
    ann.close().await;

    let revoked = Instant::now();
    let said = rotate(&pg, true);
    assert!(
        said.contains("every token issued before now is refused"),
        "{said}"
    );

    // On her own node, where her seat is parked: she resumes until the node re-reads the
    // keys, then is refused, as a forged token is.
    let mut again = loop {
        let again = WsClient::connect(a.http, Some(&ann_token)).await;
        if again.welcome["resumed"] == false {
            break again;
        }
        assert!(
            revoked.elapsed() < REFRESH_BOUND,
            "still resumed {:?} after --revoke",
            revoked.elapsed()
        );
        again.close().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("refused {:?} after --revoke", revoked.elapsed());
    took(&b, "previous one revoked", revoked).await;
    assert_ne!(again.player(), ann_id);
    let error = again.refusal().await;
    assert_eq!(error["code"], "bad_token", "{error}");
    assert!(
        error.to_string().contains("signature does not match"),
        "{error}"
    );

    // At another node, for her room: the same answer.
    let mut elsewhere = WsClient::come_back(b.http, &ann_token, ann_room).await;
    assert_eq!(elsewhere.welcome["resumed"], false, "{}", elsewhere.welcome);
    let error = elsewhere.refusal().await;
    assert!(
        error.to_string().contains("signature does not match"),
        "{error}"
    );

    // A token issued after the revocation resumes as ever.
    let (cat, _) = a.ws_player("Cat").await;
    let (cat_id, cat_token) = (cat.player(), cat.token());
    cat.close().await;
    let started = Instant::now();
    let back = WsClient::connect(a.http, Some(&cat_token)).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), cat_id);
    assert!(started.elapsed() < PATIENCE);
}

/// How many rotations `node` has taken (its log).
fn rotations(node: &NodeProc) -> usize {
    let log = node.log();
    log.iter()
        .filter(|line| line.contains("token key was rotated"))
        .count()
}

/// Waits until `node` has taken at least `n` rotations (bounded: a few ages).
async fn rotations_reach(node: &NodeProc, n: usize) {
    let since = Instant::now();
    while rotations(node) < n {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "rotation {n} not taken"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn on_a_schedule_one_node_rotates_and_a_token_lasts_one_rotation_not_two() {
    let Some(pg) = services("token_keys_schedule").await else {
        return;
    };
    let flags = [FLAGS, &["--token-key-max-age", "3s"]].concat();
    let (a, b) = (
        NodeProc::start(&pg, "a", &flags),
        NodeProc::start(&pg, "b", &flags),
    );
    a.cluster().await;
    b.cluster().await;

    // A token signed with the key of rotation `r`: accepted once the node took `r + 1`
    // (unless it took `r + 2` too before the check: then tried again), refused after `r + 2`.
    let mut accepted = false;
    for _ in 0..3 {
        let r = rotations(&a) + 1;
        rotations_reach(&a, r).await;
        let (zed, _) = a.ws_player("Zed").await;
        let (id, token) = (zed.player(), zed.token());
        zed.close().await;
        if rotations(&a) != r {
            continue; // signed with a later key than thought
        }
        rotations_reach(&a, r + 1).await;
        let back = WsClient::connect(a.http, Some(&token)).await;
        if back.welcome["resumed"] == true {
            assert_eq!(back.player(), id);
            accepted = true;
        } else {
            assert!(
                rotations(&a) >= r + 2,
                "refused after one rotation: {}",
                back.welcome
            );
        }
        back.close().await;
        rotations_reach(&a, r + 2).await;
        let mut old = WsClient::connect(a.http, Some(&token)).await;
        assert_eq!(
            old.welcome["resumed"], false,
            "two rotations: {}",
            old.welcome
        );
        let error = old.refusal().await;
        assert!(
            error.to_string().contains("signature does not match"),
            "{error}"
        );
        if accepted {
            break;
        }
    }
    assert!(accepted, "never accepted across one rotation");

    // Each rotation by one node only: the rotations either node did (their times by the
    // database's clock) are the age apart, never two at once.
    let mut done: Vec<u64> = [&a, &b]
        .iter()
        .flat_map(|node| node.log())
        .filter(|line| line.contains("rotated it on schedule"))
        .filter_map(|line| {
            let at = line.split("at_ms=").nth(1)?;
            at.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        })
        .collect();
    done.sort_unstable();
    eprintln!(
        "rotations on schedule at {done:?} (ms), {} taken by node a",
        rotations(&a)
    );
    assert!(done.len() >= 2, "{done:?}");
    assert!(
        done.windows(2).all(|pair| pair[1] - pair[0] >= 3_000),
        "two rotations less than the age apart: {done:?}"
    );
}
