//! A Liar's Dice room failed over from a snapshot that is behind its records, with real
//! `referee` processes, NATS and PostgreSQL (skipped, saying why, without them unless
//! `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`).
//!
//! The table is opened on node a (Zed opens it and stands up again); Ann (node b) and Bob
//! (node c) play at it. The snapshot saved after match 1's win — the table counting down to
//! match 2 — is kept aside, match 2 is played and committed, a is SIGKILLed and the kept
//! snapshot is put back before the lease runs out: what the adopter finds had the saver
//! fallen a win behind. Match 2 is decided: it must not be dealt, played or recorded again
//! (under the next epoch, with another winner); its winner keeps the win on the room's
//! scoreboard; match 3 is dealt and played on the new host.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::cluster::{NodeProc, PATIENCE, eventually, join_elsewhere, print_logs, services};
use common::{Client, room_of};
use referee_store::pg_testing::TestSchema;

/// Three-seat tables, two players: after a win the table counts down (3 s) to the next match,
/// which is what the snapshot saved after the win holds.
const NODES: &[&str] = &[
    "--players-per-room",
    "4",
    "--lease-ms",
    "2000",
    "--reconnect-window",
    "10",
    "--games",
    "dice",
    "--dice-players",
    "3",
    "--dice-countdown",
    "3",
];

/// How long a match may take, countdown included (two scripted players, 30 s turns never
/// reached: each answers at once).
const MATCH_WITHIN: Duration = Duration::from_secs(40);

/// `Some((match, winner))` if `line` announces a match's end, as `viewer` hears it.
fn match_won(line: &str, viewer: &str) -> Option<(u64, String)> {
    let (winner, rest) = if let Some(rest) = line.strip_prefix("You win match ") {
        (viewer.to_owned(), rest)
    } else {
        let (winner, rest) = line.split_once(" wins match ")?;
        (winner.to_owned(), rest)
    };
    let number = rest.strip_suffix('!')?.parse().ok()?;
    Some((number, winner))
}

/// Plays legal moves until a match ends (calls liar on any bid; starts a hand with a bid of
/// one of its own first face): the match's number and winner. Every line read is pushed on
/// `heard`.
async fn play_match(player: &mut Client, name: &str, heard: &mut Vec<String>) -> (u64, String) {
    let mut starting = false;
    loop {
        let line = player.line().await;
        heard.push(line.clone());
        if let Some(won) = match_won(&line, name) {
            return won;
        }
        if line.starts_with("Hand ") {
            starting = line.contains(": you start.");
        } else if let Some(faces) = line.strip_prefix("Your dice: ") {
            if std::mem::take(&mut starting) {
                let face = faces.split_whitespace().next().unwrap_or("1");
                player.send(&format!("bid 1 {face}")).await;
            }
        } else if line.contains(" bid") && line.ends_with("Your turn.") {
            player.send("liar").await;
        }
    }
}

/// Ann and Bob play a match through: its number and winner, as both heard it (they must
/// agree), and everything each heard meanwhile.
async fn both_play(
    ann: &mut Client,
    bob: &mut Client,
    logs: &[&NodeProc],
) -> ((u64, String), Vec<String>, Vec<String>) {
    let (mut ann_heard, mut bob_heard) = (Vec::new(), Vec::new());
    let played = tokio::time::timeout(MATCH_WITHIN, async {
        tokio::join!(
            play_match(ann, "Ann", &mut ann_heard),
            play_match(bob, "Bob", &mut bob_heard)
        )
    })
    .await;
    let Ok((ann_saw, bob_saw)) = played else {
        print_logs(logs.iter().map(|node| ("node", node.log())), 30);
        let (ann_gist, bob_gist) = (gist(&ann_heard), gist(&bob_heard));
        panic!("no match end within {MATCH_WITHIN:?}; Ann heard {ann_gist:?}, Bob {bob_gist:?}");
    };
    assert_eq!(ann_saw, bob_saw, "Ann and Bob saw different ends");
    (ann_saw, ann_heard, bob_heard)
}

/// What of `heard` is about the room and its matches, not the moves of a hand.
fn gist(heard: &[String]) -> Vec<&String> {
    heard
        .iter()
        .filter(|line| !line.starts_with("Hand ") && !line.starts_with("Your dice"))
        .filter(|line| !line.contains(" bid") && !line.contains(" liar "))
        .collect()
}

/// The room's scoreboard as `player` asks for it (`/score`): points by name.
async fn scores(player: &mut Client) -> BTreeMap<String, u32> {
    player.send("/score").await;
    let (line, _) = tokio::time::timeout(PATIENCE, player.until("Scores in "))
        .await
        .unwrap_or_else(|_| panic!("no scoreboard"));
    let entries = line
        .split_once(": ")
        .and_then(|(_, rest)| rest.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{line}"));
    entries
        .split(", ")
        .map(|entry| {
            let (name, points) = entry.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            (
                name.to_owned(),
                points.parse().unwrap_or_else(|e| panic!("{e}: {line}")),
            )
        })
        .collect()
}

/// How many dice matches numbered `round` are recorded for `room` (under any epoch), and
/// how many of them under `epoch` with `winner`.
fn recorded(pg: &TestSchema, room: u64, round: u64, epoch: u64, winner: &str) -> (i64, i64) {
    let of_round = format!("FROM rounds WHERE room = {room} AND game = 'dice' AND round = {round}");
    let count = |sql: String| pg.count(&sql).unwrap_or_else(|e| panic!("{e}"));
    (
        count(format!("SELECT COUNT(*) {of_round}")),
        count(format!(
            "SELECT COUNT(*) {of_round} AND claim_epoch = {epoch} AND winner = '{winner}'"
        )),
    )
}

#[tokio::test]
async fn a_dice_match_committed_after_the_last_snapshot_is_not_played_again_after_a_failover() {
    let Some(pg) = services("cluster_dice").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    let c = NodeProc::start(&pg, "c", NODES);
    let nodes = [&a, &b, &c];

    // Zed opens the table on a; Ann joins from b; Zed stands up before Bob joins from c (a
    // full table would deal at once), so that the table is a's and nobody at it is.
    let (mut zed, _) = a.named_player("Zed").await;
    zed.send("/play dice").await;
    let (opened, _) = zed.until("* You joined ").await;
    let room = room_of(&opened);
    let (mut ann, _) = b.named_player("Ann").await;
    join_elsewhere(&mut ann, room).await;
    zed.send("/leave").await;
    zed.until("* You left").await;
    let (mut bob, _) = c.named_player("Bob").await;
    join_elsewhere(&mut bob, room).await;

    let ((first, first_winner), _, _) = both_play(&mut ann, &mut bob, &nodes).await;
    assert_eq!(first, 1);
    // The snapshot saved after that win (the table counting down to match 2), kept aside.
    let claim = format!("room/{room}");
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = '{claim}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    eventually(&pg, &saved_after_win, 1).await;
    pg.execute(&format!(
        "CREATE TABLE kept_snapshot AS SELECT body FROM room_snapshots WHERE room = '{claim}'"
    ))
    .unwrap_or_else(|e| panic!("{e}"));

    let ((second, second_winner), _, _) = both_play(&mut ann, &mut bob, &nodes).await;
    assert_eq!(second, 2);
    eventually(
        &pg,
        &format!("SELECT COUNT(*) FROM rounds WHERE room = {room}"),
        2,
    )
    .await;

    // The host dies; what it left is the snapshot of a win ago.
    a.signal("-KILL");
    pg.execute(&format!(
        "UPDATE room_snapshots SET body = (SELECT body FROM kept_snapshot) WHERE room = '{claim}'"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let orphaned = format!(
        "SELECT COUNT(*) FROM room_snapshots WHERE room = '{claim}' AND epoch = 1 \
         AND body = (SELECT body FROM kept_snapshot)"
    );
    eventually(&pg, &orphaned, 1).await;

    // Told the room is back (without a keystroke), Ann and Bob play the next match there.
    let ((third, third_winner), ann_heard, bob_heard) =
        both_play(&mut ann, &mut bob, &[&b, &c]).await;
    let host = common::cluster::live_host(&pg, room, &["b", "c"]);
    let gist = gist(&ann_heard);
    eprintln!("back on {host:?}; Ann heard after the kill: {gist:?}");
    assert!(
        ann_heard
            .iter()
            .any(|line| line.contains("moved to another server after a failure")),
        "Ann was never told the room came back: {gist:?}"
    );
    assert_eq!(
        third, 3,
        "match 2 was decided before the kill: dealt again after it (Ann heard {gist:?})"
    );
    for line in ann_heard.iter().chain(&bob_heard) {
        assert!(!line.starts_with("Match 2 "), "match 2 dealt again: {line}");
    }

    // Recorded once each, the decided match under the dead host's epoch and its winner.
    eventually(
        &pg,
        &format!("SELECT COUNT(*) FROM rounds WHERE room = {room}"),
        3,
    )
    .await;
    for (round, epoch, winner) in [
        (1, 1, &first_winner),
        (2, 1, &second_winner),
        (3, 2, &third_winner),
    ] {
        assert_eq!(
            recorded(&pg, room, round, epoch, winner),
            (1, 1),
            "match {round}: recorded (in all, won by {winner} under epoch {epoch})"
        );
    }

    // The room's scoreboard has every match's win, match 2's credited by the adopter.
    let mut wins: BTreeMap<String, u32> = [("Ann".to_owned(), 0), ("Bob".to_owned(), 0)].into();
    for winner in [&first_winner, &second_winner, &third_winner] {
        *wins.entry(winner.clone()).or_default() += 1;
    }
    assert_eq!(
        scores(&mut ann).await,
        wins,
        "match 2's win lost to the scoreboard"
    );
    assert!(
        nodes.iter().any(|node| node.log().iter().any(|line| line
            .contains("points of rounds committed after the snapshot")
            && line.contains("credited=1"))),
        "no node credited match 2"
    );
}
