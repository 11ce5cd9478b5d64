//! An honest bot that keeps a full log for the fairness checker.
#![allow(dead_code, unreachable_pub)]

use referee_fairness::Log;

use super::Client;

/// Plays binary search, one guess at a time, every guess tagged with its round (`7 @3`),
/// until its room has finished `rounds` rounds; then asks for the scoreboard (once nobody
/// plays any more: call [`scoreboard`] after every bot has stopped). Logs everything.
pub async fn play(client: &mut Client, name: &str, room: u64, rounds: u64, max: i64) -> Log {
    play_until(client, name, room, max, &|round| round > rounds).await
}

/// As [`play`], stopping at the first round for which `done(round)` is true.
pub async fn play_until(
    client: &mut Client,
    name: &str,
    room: u64,
    max: i64,
    done: &(dyn Fn(u64) -> bool + Sync),
) -> Log {
    let mut log = Log::new(name, room);
    let (mut low, mut high, mut round) = (0, max - 1, 1_u64);
    let mut finished = false;
    let mut stopping = false;
    // Honest: at most a thousand guesses a second. On a quiet machine an answer comes back
    // in well under a millisecond, and a bot flat out would outrun a client's budget (the
    // hostile tests set it to 2,000 lines a second) and be cut off — rightly.
    let mut pace = tokio::time::interval(std::time::Duration::from_millis(1));
    pace.tick().await;
    send(client, &mut log, (low + high) / 2, round).await;
    let mut outstanding = true;
    loop {
        let line = client.line().await;
        log.heard(line.clone());
        if let Some(rest) = line.strip_prefix("Round ") {
            round = rest
                .split(':')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(round);
            (low, high, finished) = (0, max - 1, false);
            stopping = done(round);
        } else if line.starts_with("Higher!") || line.starts_with("Lower!") {
            let value = last_guess(&log);
            if line.starts_with("Higher!") {
                low = low.max(value + 1);
            } else {
                high = high.min(value - 1);
            }
            outstanding = false;
        } else if line.starts_with("Correct!") {
            // Finished with this round — unless the win was for an earlier one (which a fair
            // referee never does, but a broken one must not hang the bot).
            outstanding = false;
            finished = finished || super::round_of(&line) >= round;
        } else if line.starts_with("Sorry, another player won") || line.starts_with("error:") {
            outstanding = false;
        } else if line.contains(" won round ") {
            finished = true;
            continue;
        } else {
            continue;
        }
        if stopping && !outstanding {
            return log;
        }
        if !outstanding && !finished {
            let guess = if low <= high { (low + high) / 2 } else { 0 };
            pace.tick().await;
            send(client, &mut log, guess, round).await;
            outstanding = true;
        }
    }
}

/// Asks for the room's scoreboard and logs it.
pub async fn scoreboard(client: &mut Client, log: &mut Log) {
    client.send("/score").await;
    let (line, _) = client.until("Scores").await;
    log.heard(line);
}

async fn send(client: &mut Client, log: &mut Log, value: i64, round: u64) {
    log.sent(value, round);
    client.send(&format!("{value} @{round}")).await;
}

fn last_guess(log: &Log) -> i64 {
    log.seen
        .iter()
        .rev()
        .find_map(|seen| match seen {
            referee_fairness::Seen::Sent { value, .. } => Some(*value),
            referee_fairness::Seen::Heard(_) => None,
        })
        .unwrap_or_default()
}
