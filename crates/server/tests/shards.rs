//! `referee serve --runtime shards` end to end: connections handed from the accept loop to
//! both shards (TCP, and a WebSocket upgraded from HTTP), each quick-match room filled by the
//! players of one shard, and a player of shard 1 winning in a room of shard 0 (every move an
//! ask across threads) while a player of shard 0 is told.

mod common;

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Stdio};

use common::cluster::referee;
use common::ws::WsClient;
use common::{Client, listening_address, room_of};

/// The sharded server, killed when dropped.
struct Sharded {
    child: Child,
    tcp: SocketAddr,
    http: SocketAddr,
}

impl Sharded {
    /// Two shards, two seats per room: connections go to shard 0, 0, 1, 1, 0, 0, …
    fn start() -> Sharded {
        let mut child = referee()
            .args(["--no-db", "--runtime", "shards", "--workers", "2"])
            .args(["--players-per-room", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the server: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let mut stderr = std::io::BufReader::new(stderr);
        let tcp = listening_address(&mut stderr);
        let http = listening_address(&mut stderr);
        // Drained for as long as the server runs: a full pipe would stall its logging.
        std::thread::spawn(move || for _ in stderr.lines().map_while(Result::ok) {});
        Sharded { child, tcp, http }
    }

    /// A netcat player, greeted and seated by quick match: the client, its number and room.
    async fn player(&self) -> (Client, u64, u64) {
        let mut client = Client::connect(self.tcp).await;
        let (id, seat) = client.greeting().await;
        (client, id, room_of(&seat))
    }
}

impl Drop for Sharded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn players_of_both_shards_play_in_one_room_and_a_websocket_player_too() {
    let server = Sharded::start();
    // Shard 0, shard 0: room 1 (on shard 0). Shard 1, shard 1: room 2 (on shard 1).
    let (mut a, _, room_a) = server.player().await;
    let (mut b, _, room_b) = server.player().await;
    let (mut c, c_id, room_c) = server.player().await;
    let (_d, _, room_d) = server.player().await;
    assert_eq!((room_a, room_b, room_c, room_d), (1, 1, 2, 2));

    // c (shard 1) moves into room 1 (shard 0) and wins there; b (shard 0) is told.
    a.send("/leave").await;
    a.until("* You left").await;
    c.send("/join 1").await;
    let (seated, _) = c.until("* You joined").await;
    assert!(seated.starts_with("* You joined room 1 (2/2"), "{seated}");
    assert!(c.play_round(20).await.is_some(), "alone in play, c wins");
    let (won, _) = b.until_contains(" won round ").await;
    assert!(
        won.starts_with(&format!("* Player {c_id} won round ")),
        "{won}"
    );

    // A WebSocket player (the fifth connection: shard 0) quick-matches into the one room
    // with a seat, room 2 (shard 1), and wins its round (d types nothing).
    let mut ws = WsClient::connect(server.http, None).await;
    let joined = ws.play().await;
    assert_eq!(joined["room"]["id"], 2, "{joined}");
    assert!(
        ws.play_round(20).await.is_some(),
        "alone in play, the WebSocket player wins"
    );
}
