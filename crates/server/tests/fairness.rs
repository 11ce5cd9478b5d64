//! A few hundred bots over many rounds: the invariants of the race hold under concurrency.
//! Exactly one winner per round in every room, and each room's scoreboard adds up to the
//! rounds its players won.

mod common;

use std::collections::BTreeMap;

use common::{Client, TestServer, room_of, round_of};

const BOTS: usize = 300;
const ROUNDS: u64 = 5;
const MAX: i64 = 20;

/// What one bot saw.
struct Played {
    room: u64,
    wins: Vec<u64>,
    client: Client,
}

/// Plays binary search with one guess outstanding until its room has finished `ROUNDS`
/// rounds. A hint is applied to the current bounds whichever round it arrives in: it is
/// true of the secret in force when the referee took the guess.
async fn bot(mut client: Client, room: u64) -> Played {
    let (mut low, mut high) = (0, MAX - 1);
    let mut outstanding: Option<i64> = None;
    let mut finished = false;
    let mut stopping = false;
    let mut wins = Vec::new();
    let guess = |low: i64, high: i64| if low <= high { (low + high) / 2 } else { 0 };
    let first = guess(low, high);
    client.send(&first.to_string()).await;
    outstanding = outstanding.or(Some(first));
    loop {
        let line = client.line().await;
        if let Some(rest) = line.strip_prefix("Round ") {
            let round: u64 = rest
                .split(':')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (low, high, finished) = (0, MAX - 1, false);
            // Past the last round: stop guessing, but hear out the guess in flight.
            stopping = round > ROUNDS;
        } else if line.starts_with("Higher!") || line.starts_with("Lower!") {
            let value = outstanding.take().unwrap_or_default();
            if line.starts_with("Higher!") {
                low = low.max(value + 1);
            } else {
                high = high.min(value - 1);
            }
        } else if line.starts_with("Correct!") {
            outstanding = None;
            wins.push(round_of(&line));
            finished = true;
        } else if line.starts_with("Sorry, another player won") || line.starts_with("error:") {
            outstanding = None;
        } else if line.contains(" won round ") {
            finished = true;
            continue;
        } else {
            continue;
        }
        if stopping && outstanding.is_none() {
            return Played { room, wins, client };
        }
        if outstanding.is_none() && !finished {
            let next = guess(low, high);
            client.send(&next.to_string()).await;
            outstanding = Some(next);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_bots_race_for_many_rounds_and_every_round_has_one_winner() {
    let server = TestServer::start(|c| c.max_connections(BOTS + 10)).await;
    let mut players = Vec::with_capacity(BOTS);
    for _ in 0..BOTS {
        let (client, _, seat) = server.player().await;
        players.push((client, room_of(&seat)));
    }
    let games: Vec<_> = players
        .into_iter()
        .map(|(client, room)| tokio::spawn(bot(client, room)))
        .collect();
    let mut played = Vec::with_capacity(BOTS);
    for game in games {
        match game.await {
            Ok(result) => played.push(result),
            Err(err) => panic!("a bot failed: {err}"),
        }
    }
    // Every room: each of the first ROUNDS rounds won exactly once.
    let mut wins_per_room: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for bot in &played {
        wins_per_room.entry(bot.room).or_default().extend(&bot.wins);
    }
    assert_eq!(wins_per_room.len(), BOTS / 3);
    for (room, wins) in &wins_per_room {
        for round in 1..=ROUNDS {
            let winners = wins.iter().filter(|&&won| won == round).count();
            assert_eq!(winners, 1, "room {room}, round {round}: {winners} winners");
        }
    }
    // Nobody plays any more: every scoreboard adds up to its room's wins.
    for bot in &mut played {
        bot.client.send("/score").await;
        let (scores, _) = bot.client.until("Scores").await;
        let total: u64 = scores
            .split(": ")
            .nth(1)
            .unwrap_or_default()
            .trim_end_matches('.')
            .split(", ")
            .filter_map(|entry| entry.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        let won = wins_per_room.get(&bot.room).map_or(0, Vec::len) as u64;
        assert_eq!(total, won, "room {}: {scores}", bot.room);
    }
}
