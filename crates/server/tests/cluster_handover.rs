//! A node leaving gracefully (SIGTERM) hands its rooms over: three `referee` processes of
//! one cluster (real PostgreSQL, real NATS), a room hosted on node a with players on b and c
//! in the middle of a round. The host is stopped; the room goes on on b or c in the *same*
//! round — same secret, the range the players narrowed still holds — where a failover would
//! void it. A guess in flight while the room moves is taken exactly once. Players on the other
//! nodes who send nothing are told at once that the room is back (seated again there).
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::time::{Duration, Instant};

use common::Client;
use common::cluster::{NodeProc, PATIENCE, join_elsewhere, services};
use referee_store::pg_testing::TestSchema;

/// Three seats a room, a 2 s lease, and a range wide enough that a binary search takes ten
/// guesses: a few made before the host leaves narrow it without (almost ever) winning.
const FLAGS: &[&str] = &[
    "--players-per-room",
    "3",
    "--lease-ms",
    "2000",
    "--max",
    "1000",
];
const MAX: i64 = 1000;

/// How long a player may wait for one answer: a move in flight at the handover waits for
/// the room's new host (adopted within ~0.5 s of the release).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// From the SIGTERM to an idle remote member's welcome on the room's new host: the handover
/// (~0.2 s), the adoption (the orphan scan runs every 500 ms) and room for a busy machine.
/// Without the word a player hears nothing until they move.
const TOLD_WITHIN: Duration = Duration::from_secs(5);

/// What the room said to one guess.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Higher,
    Lower,
    /// Won, in this round.
    Won(u64),
}

/// A binary search over the secret, one guess at a time, counting the guesses made.
struct Search {
    low: i64,
    high: i64,
    guesses: i64,
}

impl Search {
    fn new() -> Self {
        Search {
            low: 0,
            high: MAX - 1,
            guesses: 0,
        }
    }

    fn next(&self) -> i64 {
        (self.low + self.high) / 2
    }

    /// Sends the next guess (not waiting for its answer); the guess.
    async fn send(&mut self, player: &mut Client) -> i64 {
        let guess = self.next();
        player.send(&guess.to_string()).await;
        self.guesses += 1;
        guess
    }

    /// Reads the answer to `guess` and narrows the range by it.
    async fn answer(&mut self, player: &mut Client, guess: i64) -> Answer {
        let answer = answer_to(player, guess).await;
        match answer {
            Answer::Higher => self.low = guess + 1,
            Answer::Lower => self.high = guess - 1,
            Answer::Won(_) => {}
        }
        assert!(
            self.low <= self.high,
            "the range emptied: the secret changed"
        );
        answer
    }

    /// Guesses until won; the round won.
    async fn finish(&mut self, player: &mut Client) -> u64 {
        loop {
            let guess = self.send(player).await;
            if let Answer::Won(round) = self.answer(player, guess).await {
                return round;
            }
        }
    }
}

/// Reads `player`'s lines until the answer to `guess`; a voided round, another answer or an
/// error on the way fails the test.
async fn answer_to(player: &mut Client, guess: i64) -> Answer {
    let read = async {
        loop {
            let line = player.line().await;
            assert!(!line.contains("was voided"), "the round was voided: {line}");
            assert!(!line.starts_with("error:"), "{line}");
            assert!(!line.starts_with("Sorry,"), "{line}");
            if line.starts_with("Higher!") || line.starts_with("Lower!") {
                assert!(
                    line.ends_with(&format!(" than {guess}.")),
                    "an answer to another guess than {guess}: {line}"
                );
                return if line.starts_with("Higher!") {
                    Answer::Higher
                } else {
                    Answer::Lower
                };
            }
            if line.starts_with("Correct!") {
                assert!(line.starts_with(&format!("Correct! {guess} was")), "{line}");
                return Answer::Won(common::round_of(&line));
            }
        }
    };
    match tokio::time::timeout(ANSWER_WITHIN, read).await {
        Ok(answer) => answer,
        Err(_) => panic!("no answer to {guess} within {ANSWER_WITHIN:?}"),
    }
}

/// After the last answer: nothing more arrives for any guess (a move taken twice would be
/// answered twice). A ping's pong, pushed after everything the rooms sent before, closes it.
async fn nothing_more(player: &mut Client) {
    player.send("/ping").await;
    let read = async {
        loop {
            let line = player.line().await;
            assert!(
                !(line.starts_with("Higher!")
                    || line.starts_with("Lower!")
                    || line.starts_with("Correct!")),
                "answered again: {line}"
            );
            if line.to_lowercase().contains("pong") {
                return;
            }
        }
    };
    assert!(
        tokio::time::timeout(PATIENCE, read).await.is_ok(),
        "no pong"
    );
}

/// Three nodes; a room on a with Zed (on a), Ann (on b) and Bob (on c) in it: the nodes,
/// Ann, Bob, the room and the round in play.
async fn room_on_a_with_players_elsewhere(
    pg: &TestSchema,
) -> ([NodeProc; 3], Client, Client, u64, u64) {
    let a = NodeProc::start(pg, "a", FLAGS);
    let b = NodeProc::start(pg, "b", FLAGS);
    let c = NodeProc::start(pg, "c", FLAGS);
    let (_zed, room) = a.player().await;
    let (mut ann, _) = b.player().await;
    let (mut bob, _) = c.player().await;
    join_elsewhere(&mut ann, room).await;
    join_elsewhere(&mut bob, room).await;
    // Zed just opened the room: its first round is in play.
    ([a, b, c], ann, bob, room, 1)
}

/// Stops node `a` gracefully and checks it handed its room over.
async fn stopped_after_handing_over(a: NodeProc) {
    let (status, log) = a.wait().await;
    assert!(status.success(), "node a stopped with {status}");
    let handed = log
        .iter()
        .any(|line| line.contains("rooms handed over") && line.contains("handed_over=1"));
    assert!(handed, "node a did not hand its room over: {log:#?}");
}

/// The audit of the fence: nothing committed under a claim after a later one was taken.
async fn no_late_commits(pg: &TestSchema) {
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let audit = tokio::task::spawn_blocking(move || {
        let mut claims = store.claims().unwrap_or_else(|e| panic!("{e}"));
        claims.commits_after_takeover()
    });
    let late = audit.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        late.map(|late| late.len()).ok(),
        Some(0),
        "a commit of a fenced epoch"
    );
}

#[tokio::test]
async fn a_graceful_node_shutdown_moves_its_rooms_with_no_voided_round() {
    let Some(pg) = services("cluster_handover").await else {
        return;
    };
    let ([a, _b, _c], mut ann, mut bob, room, round) = room_on_a_with_players_elsewhere(&pg).await;
    // Ann narrows the range by three guesses (won already, 3 in 1,000: she starts again).
    let mut search = Search::new();
    let mut round = round;
    while search.guesses < 3 {
        let guess = search.send(&mut ann).await;
        if let Answer::Won(won) = search.answer(&mut ann, guess).await {
            round = won + 1;
            search = Search::new();
        }
    }
    let before = search.guesses;

    // The host leaves. Ann's next guesses reach the room on its new host, in the same round,
    // with the same secret: the range she narrowed still holds, and she wins the round in
    // play, never told it was voided.
    a.signal("-TERM");
    let signalled = Instant::now();
    let guess = search.send(&mut ann).await;
    let won = match search.answer(&mut ann, guess).await {
        Answer::Won(won) => won,
        _ => {
            eprintln!(
                "handover: a guess sent with SIGTERM answered after {:?}",
                signalled.elapsed()
            );
            search.finish(&mut ann).await
        }
    };
    assert_eq!(won, round, "the round in play went on");
    stopped_after_handing_over(a).await;
    nothing_more(&mut ann).await;

    // Committed by the new host under the next epoch, with every guess of the round counted
    // once: those made on a and those made after.
    let claim = format!("room/{room}");
    let committed = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND round = {round} \
         AND claim_node <> 'a' AND claim_epoch = 2 AND guesses = {}",
        search.guesses
    );
    common::cluster::eventually(&pg, &committed, 1).await;
    assert!(search.guesses > before, "guesses made on both hosts");
    let moved = format!(
        "SELECT COUNT(*) FROM room_claims WHERE room = '{claim}' AND node <> 'a' AND epoch = 2"
    );
    assert_eq!(pg.count(&moved), Ok(1));

    // Bob, on node c, takes his seat back on the new host with his next move, and plays on
    // in the round after Ann's (a move for a round already over is not taken again).
    bob.send("/ping").await;
    let mut bobs = Search::new();
    let guess = bobs.send(&mut bob).await;
    let answer = tokio::time::timeout(ANSWER_WITHIN, async {
        loop {
            let line = bob.line().await;
            assert!(!line.contains("was voided"), "{line}");
            if ["Higher!", "Lower!", "Correct!"]
                .iter()
                .any(|answer| line.starts_with(answer))
            {
                return line;
            }
            if line.starts_with("Round ") {
                // The seat was taken back, in the next round: ask again.
                bob.send(&guess.to_string()).await;
            }
        }
    })
    .await;
    assert!(
        answer.is_ok(),
        "Bob's move never reached the room's new host"
    );
    no_late_commits(&pg).await;
}

#[tokio::test]
async fn a_guess_sent_while_the_room_is_handed_over_is_answered_exactly_once() {
    let Some(pg) = services("cluster_handover_in_flight").await else {
        return;
    };
    let ([a, _b, _c], mut ann, _bob, room, round) = room_on_a_with_players_elsewhere(&pg).await;
    let mut search = Search::new();
    let first = search.send(&mut ann).await;
    assert!(
        !matches!(search.answer(&mut ann, first).await, Answer::Won(_)),
        "won at the first guess (1 in 1,000): run again"
    );

    // A guess leaves node b for the room just as its host is told to leave: whichever of the
    // two the host sees first, the guess is answered once — by the old host before it hands
    // the room over (the snapshot holds it), or by the new one after (the old answered
    // "moved" or was no longer there, and the session asked again).
    let guess = search.send(&mut ann).await;
    a.signal("-TERM");
    let answer = search.answer(&mut ann, guess).await;
    let won = match answer {
        Answer::Won(won) => won,
        _ => search.finish(&mut ann).await,
    };
    assert_eq!(won, round, "the round in play went on");
    nothing_more(&mut ann).await;
    stopped_after_handing_over(a).await;
    // Counted once: the round's guesses are exactly those Ann sent.
    let committed = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND round = {round} \
         AND claim_epoch = 2 AND guesses = {}",
        search.guesses
    );
    common::cluster::eventually(&pg, &committed, 1).await;
    no_late_commits(&pg).await;
}

/// Reads `player`'s lines until the room's welcome on its new host; how long after `since`.
/// Nothing on the way may say the round was voided, the room closed, or anything went wrong.
async fn told_room_is_back(player: &mut Client, room: u64, since: Instant) -> Option<Duration> {
    let (line, skipped) = tokio::time::timeout(TOLD_WITHIN, player.until_contains("* You joined"))
        .await
        .ok()?;
    let after = since.elapsed();
    assert!(
        line.contains(&format!("room {room} ")),
        "another room: {line}"
    );
    for line in &skipped {
        assert!(!line.contains("was voided"), "the round was voided: {line}");
        assert!(!line.starts_with("error:"), "told on the way: {line}");
    }
    Some(after)
}

#[tokio::test]
async fn idle_players_on_other_nodes_are_told_at_once_that_a_handed_over_room_is_back() {
    let Some(pg) = services("cluster_handover_told").await else {
        return;
    };
    let ([a, b, c], mut ann, mut bob, room, round) = room_on_a_with_players_elsewhere(&pg).await;
    // Bob narrows the range by two guesses (won already, 2 in 1,000: he starts again).
    let mut search = Search::new();
    let mut round = round;
    while search.guesses < 2 {
        let guess = search.send(&mut bob).await;
        if let Answer::Won(won) = search.answer(&mut bob, guess).await {
            round = won + 1;
            search = Search::new();
        }
    }

    // The host leaves; Ann (on b) and Bob (on c) send nothing. One of b and c adopts the
    // room: the other's player is a member on a third node. Both are seated again at once.
    a.signal("-TERM");
    let signalled = Instant::now();
    let (ann_told, bob_told) = tokio::join!(
        told_room_is_back(&mut ann, room, signalled),
        told_room_is_back(&mut bob, room, signalled),
    );
    if ann_told.is_none() || bob_told.is_none() {
        common::cluster::print_logs([("b", b.log()), ("c", c.log())], 40);
    }
    let adopter = common::cluster::adopter(&[("b", &b), ("c", &c)]);
    eprintln!(
        "handover, idle players told: Ann (b) {ann_told:?}, Bob (c) {bob_told:?} after SIGTERM; \
         adopted by {adopter}"
    );
    let ann_told =
        ann_told.unwrap_or_else(|| panic!("Ann, idle on b, heard nothing within {TOLD_WITHIN:?}"));
    let bob_told =
        bob_told.unwrap_or_else(|| panic!("Bob, idle on c, heard nothing within {TOLD_WITHIN:?}"));
    assert!(ann_told < TOLD_WITHIN && bob_told < TOLD_WITHIN);

    // Bob's next guesses count in the same round, the range he narrowed on a still holding.
    let won = search.finish(&mut bob).await;
    assert_eq!(won, round, "the round in play went on");
    stopped_after_handing_over(a).await;
    let committed = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND round = {round} \
         AND claim_epoch = 2 AND guesses = {}",
        search.guesses
    );
    common::cluster::eventually(&pg, &committed, 1).await;
    no_late_commits(&pg).await;
}
