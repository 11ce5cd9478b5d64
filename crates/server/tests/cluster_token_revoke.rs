//! One player's tokens revoked by the host (`referee cluster revoke-token`) while the
//! cluster runs: the token given (or every token of the player number given) is refused on
//! every node — its issuer's too, where the player's seat is parked — with the answer a
//! forged token gets, within the nodes' refresh bound; every other player's token keeps
//! working. Real `referee` processes (the command too), real PostgreSQL, real NATS.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::cluster::{NodeProc, services};
use common::ws::WsClient;
use referee_store::pg_testing::TestSchema;

/// One seat per room (each player alone in a room of their node), a short lease.
const FLAGS: &[&str] = &["--players-per-room", "1", "--lease-ms", "2000"];

/// How soon every node must refuse a revoked token (a node re-reads the list after every
/// heartbeat, once a second).
const REFRESH_BOUND: Duration = Duration::from_secs(10);

/// `referee cluster revoke-token --db … <what>`: what it printed.
fn revoke(pg: &TestSchema, what: &[&str]) -> String {
    common::cluster::cluster_command(pg, "revoke-token", what)
}

/// A player of `node` named `name`, seated and then gone (their seat parked): their number,
/// token and room.
async fn parked(node: &NodeProc, name: &str) -> (u64, String, u64) {
    let (client, room) = node.ws_player(name).await;
    let (id, token) = (client.player(), client.token());
    client.close().await;
    (id, token, room)
}

/// Comes back to `room` at `http` with `token`, and is refused as a forged token is.
async fn refused_coming_back(http: SocketAddr, token: &str, room: u64) {
    let mut client = WsClient::come_back(http, token, room).await;
    assert_eq!(client.welcome["resumed"], false, "{}", client.welcome);
    let error = client.refusal().await;
    assert!(
        error.to_string().contains("signature does not match"),
        "{error}"
    );
}

/// Connects to `http` with `token` until the node refuses it (then reads the refusal: it
/// must be a forged token's), within [`REFRESH_BOUND`] of `since`.
async fn refused_within(http: SocketAddr, token: &str, since: Instant) -> Duration {
    loop {
        let mut again = WsClient::connect(http, Some(token)).await;
        if again.welcome["resumed"] == false {
            let error = again.refusal().await;
            assert_eq!(error["code"], "bad_token", "{error}");
            assert!(
                error.to_string().contains("signature does not match"),
                "{error}"
            );
            return since.elapsed();
        }
        assert!(
            since.elapsed() < REFRESH_BOUND,
            "still resumed {:?} after revoke-token",
            since.elapsed()
        );
        again.close().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to [`REFRESH_BOUND`] after `since`) until `node` says it re-read the list.
async fn re_read(node: &NodeProc, since: Instant) {
    while !node
        .log()
        .iter()
        .any(|line| line.contains("revoked tokens were re-read"))
    {
        assert!(
            since.elapsed() < REFRESH_BOUND,
            "the list not re-read within {REFRESH_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether `token` gives its player their parked seat back at `http`.
async fn resumes(http: SocketAddr, token: &str, id: u64) {
    let back = WsClient::connect(http, Some(token)).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), id);
    back.close().await;
}

#[tokio::test]
async fn a_revoked_token_or_player_is_refused_everywhere_and_nobody_else_is() {
    let Some(pg) = services("token_revoke_one").await else {
        return;
    };
    let (a, b) = (
        NodeProc::start(&pg, "a", FLAGS),
        NodeProc::start(&pg, "b", FLAGS),
    );
    a.cluster().await;
    b.cluster().await;
    let (_, ann_token, ann_room) = parked(&a, "Ann").await;
    let (bob, bob_token, _) = parked(&a, "Bob").await;
    let (cat, cat_token, _) = parked(&a, "Cat").await;

    // Ann's token, given as it is: refused on her own node, where her seat is parked...
    let since = Instant::now();
    let said = revoke(&pg, &["--token", &ann_token]);
    assert!(said.contains("other players are not affected"), "{said}");
    let took = refused_within(a.http, &ann_token, since).await;
    eprintln!("Ann's token refused {took:?} after revoke-token");
    // ...and at another node, for her room, once it re-read the list: the same answer.
    re_read(&b, since).await;
    refused_coming_back(b.http, &ann_token, ann_room).await;
    // Bob and Cat, on the same node and key, are back as ever.
    resumes(a.http, &bob_token, bob).await;
    resumes(a.http, &cat_token, cat).await;

    // Bob by his number, as /api/rooms shows it: refused; Cat still back.
    let since = Instant::now();
    revoke(&pg, &["--player", &bob.to_string()]);
    let took = refused_within(a.http, &bob_token, since).await;
    eprintln!("Bob's token refused {took:?} after revoke-token --player");
    resumes(a.http, &cat_token, cat).await;

    // A new node learns the list before it serves anyone.
    drop(b);
    let c = NodeProc::start(&pg, "c", FLAGS);
    c.cluster().await;
    refused_coming_back(c.http, &ann_token, ann_room).await;
}
