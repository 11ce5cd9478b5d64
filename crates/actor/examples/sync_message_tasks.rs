//! Model B with async tasks: many players `ask` one actor at once; each gets its own answer.
//!
//! `cargo run -p referee-actor --example sync_message_tasks`
//!
//! The same pattern as `sync_message_threads`, with tokio tasks instead of threads: `ask`
//! awaits instead of blocking. Every ask has a deadline (5 s unless said otherwise), so a
//! caller always learns the outcome: the reply, or an error that says why there is none.

use std::time::Duration;

use referee_actor::{Actor, ActorBuilder, AskError, Context, Handler, Message, Timeout};

struct Referee {
    secret: u32,
    winner: Option<u32>,
}

impl Actor for Referee {}

/// A guess; the answer says how it went.
struct Guess {
    player: u32,
    number: u32,
}

#[derive(Debug)]
enum Verdict {
    Higher,
    Lower,
    YouWin,
    TooLate { winner: u32 },
}

impl Message for Guess {
    type Reply = Verdict;
}

impl Handler<Guess> for Referee {
    // One guess at a time: the first correct guess wins, whatever the interleaving.
    fn handle(&mut self, guess: Guess, _: &mut Context<Self>) -> Verdict {
        if let Some(winner) = self.winner {
            return Verdict::TooLate { winner };
        }
        match guess.number.cmp(&self.secret) {
            std::cmp::Ordering::Less => Verdict::Higher,
            std::cmp::Ordering::Greater => Verdict::Lower,
            std::cmp::Ordering::Equal => {
                self.winner = Some(guess.player);
                Verdict::YouWin
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let referee = ActorBuilder::new()
        .name("referee")
        .ask_timeout(Duration::from_secs(1))
        .spawn(Referee {
            secret: 13,
            winner: None,
        });
    let players: Vec<_> = (1..=4)
        .map(|player| {
            let referee = referee.clone();
            tokio::spawn(async move {
                let (mut low, mut high) = (0, 19);
                loop {
                    let number = (low + high) / 2;
                    match referee.ask(Guess { player, number }).await {
                        Ok(Verdict::Higher) => low = number + 1,
                        Ok(Verdict::Lower) => high = number.saturating_sub(1),
                        Ok(Verdict::YouWin) => return format!("player {player}: I won!"),
                        Ok(Verdict::TooLate { winner }) => {
                            return format!("player {player}: too late, player {winner} won");
                        }
                        Err(AskError::Timeout(after)) => return format!("no answer in {after:?}"),
                        Err(err) => return format!("player {player}: {err}"),
                    }
                }
            })
        })
        .collect();
    for player in players {
        if let Ok(line) = player.await {
            println!("{line}");
        }
    }
    // An explicit "wait as long as it takes" exists, but has to be asked for.
    let late = referee
        .ask_with(
            Guess {
                player: 9,
                number: 13,
            },
            Timeout::Never,
        )
        .await;
    if let Ok(Verdict::TooLate { winner }) = late {
        println!("a latecomer hears: too late, player {winner} won");
    }
}
