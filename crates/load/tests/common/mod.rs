//! Shared by the integration tests: a fake Referee that speaks just enough of the line
//! protocol (over TCP) and of the JSON protocol (over WebSocket), and a timeout so no test
//! can hang.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// The longest any test step may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Awaits `fut` or fails the test after [`TIMEOUT`].
pub async fn within<F: Future>(fut: F) -> F::Output {
    match tokio::time::timeout(TIMEOUT, fut).await {
        Ok(output) => output,
        Err(_) => panic!("test step did not finish within {TIMEOUT:?}"),
    }
}

/// Arguments for `referee_load::run`, quiet, from the given options.
pub fn args(options: &[&str]) -> referee_load::LoadArgs {
    let argv = ["load", "--quiet"].iter().chain(options);
    referee_load::LoadArgs::try_parse_from(argv).unwrap()
}

/// What the room tells one member; each connection words it in its protocol. `re` is the id
/// of the member's own request it answers (JSON only).
#[derive(Debug, Clone)]
enum Push {
    Joined {
        re: Option<u64>,
    },
    /// The round on, right after joining (`state`) or after a win (`round_started`).
    Round {
        round: u64,
        fresh: bool,
        re: Option<u64>,
    },
    Hint {
        player: u64,
        value: u64,
        higher: bool,
        re: Option<u64>,
    },
    Won {
        player: u64,
        round: u64,
        secret: u64,
        re: Option<u64>,
    },
    Late {
        round: u64,
        re: Option<u64>,
    },
    Error {
        text: String,
        re: Option<u64>,
    },
}

/// One room everybody plays in, as the protocol describes it: a guess counts for the round
/// last shown to the guesser; the first right guess wins and the next round is pushed to all.
/// WebSocket members also get the others' hints (the live feed).
#[derive(Default)]
struct Room {
    round: u64,
    members: Vec<Member>,
}

struct Member {
    player: u64,
    tx: mpsc::UnboundedSender<Push>,
    /// The last round shown to this member.
    shown: u64,
    /// Gets the live feed (WebSocket players do).
    feed: bool,
}

const MAX: u64 = 19;

fn secret(round: u64) -> u64 {
    (round * 7 + 3) % (MAX + 1)
}

impl Room {
    fn join(&mut self, player: u64, tx: mpsc::UnboundedSender<Push>, feed: bool, re: Option<u64>) {
        self.round = self.round.max(1);
        let _ = tx.send(Push::Joined { re });
        let round = self.round;
        let _ = tx.send(Push::Round {
            round,
            fresh: false,
            re,
        });
        self.members.push(Member {
            player,
            tx,
            shown: round,
            feed,
        });
    }

    fn guess(&mut self, player: u64, value: Result<u64, String>, re: Option<u64>) {
        let Some(who) = self.members.iter().position(|m| m.player == player) else {
            return;
        };
        let shown = self.members[who].shown;
        let answer = match value {
            Err(text) => Push::Error {
                text: format!("{text:?} is not a number"),
                re,
            },
            Ok(_) if shown < self.round => Push::Late { round: shown, re },
            Ok(value) if value == secret(self.round) => return self.win(who, value, re),
            Ok(value) => {
                let higher = value < secret(self.round);
                for member in &self.members {
                    if member.feed && member.player != player {
                        let _ = member.tx.send(Push::Hint {
                            player,
                            value,
                            higher,
                            re: None,
                        });
                    }
                }
                Push::Hint {
                    player,
                    value,
                    higher,
                    re,
                }
            }
        };
        let _ = self.members[who].tx.send(answer);
    }

    fn win(&mut self, who: usize, secret: u64, re: Option<u64>) {
        let (round, player) = (self.round, self.members[who].player);
        self.round += 1;
        for (index, member) in self.members.iter_mut().enumerate() {
            let re = if index == who { re } else { None };
            let _ = member.tx.send(Push::Won {
                player,
                round,
                secret,
                re,
            });
            let _ = member.tx.send(Push::Round {
                round: round + 1,
                fresh: true,
                re,
            });
            member.shown = round + 1;
        }
    }

    fn leave(&mut self, player: u64) {
        self.members.retain(|member| member.player != player);
    }
}

/// The shared room and the next player number.
#[derive(Default)]
struct Referee {
    room: Mutex<Room>,
    players: Mutex<u64>,
}

impl Referee {
    fn next_player(&self) -> u64 {
        let mut players = self.players.lock().unwrap();
        *players += 1;
        *players
    }

    fn room(&self) -> std::sync::MutexGuard<'_, Room> {
        self.room.lock().unwrap()
    }
}

/// A fake Referee on `127.0.0.1:0` for line players (seated on connect); aborting the handle
/// stops accepting.
pub async fn start_fake_referee() -> (SocketAddr, JoinHandle<()>) {
    start(|stream, referee| tokio::spawn(serve_lines(stream, referee))).await
}

/// A fake Referee on `127.0.0.1:0` for WebSocket players (`ws://ADDR/ws`, seated on `play`);
/// aborting the handle stops accepting.
pub async fn start_fake_ws_referee() -> (SocketAddr, JoinHandle<()>) {
    start(|stream, referee| tokio::spawn(serve_json(stream, referee))).await
}

async fn start(
    serve: impl Fn(TcpStream, Arc<Referee>) -> JoinHandle<()> + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let referee = Arc::new(Referee::default());
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            serve(stream, Arc::clone(&referee));
        }
    });
    (addr, accept)
}

/// A push as the line protocol words it for `me` (no live feed on this protocol).
fn line(push: &Push, me: u64) -> Option<String> {
    Some(match push {
        Push::Joined { .. } => "* You joined room 1.".to_owned(),
        Push::Round { round, .. } => format!("Round {round}: guess a number from 0 to {MAX}."),
        Push::Hint { player, .. } if *player != me => return None,
        Push::Hint {
            value,
            higher: true,
            ..
        } => format!("Higher! The number is more than {value}."),
        Push::Hint { value, .. } => format!("Lower! The number is less than {value}."),
        Push::Won {
            player,
            round,
            secret,
            ..
        } if *player == me => format!("Correct! {secret} was the number. You won round {round}."),
        Push::Won {
            player,
            round,
            secret,
            ..
        } => format!("* Player {player} won round {round}: the number was {secret}."),
        Push::Late { round, .. } => {
            format!("Sorry, another player won in the meantime! (Round {round} is over.)")
        }
        Push::Error { text, .. } => format!("error: {text}"),
    })
}

async fn serve_lines(stream: TcpStream, referee: Arc<Referee>) {
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Push>();
    let me = referee.next_player();
    let welcome = format!("Welcome to Referee! You are player {me}.\n");
    if write.write_all(welcome.as_bytes()).await.is_err() {
        return;
    }
    referee.room().join(me, tx, false, None);
    tokio::spawn(async move {
        while let Some(push) = rx.recv().await {
            let Some(line) = line(&push, me) else {
                continue;
            };
            if write
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let value = line.trim().parse::<u64>().map_err(|_| line.clone());
        referee.room().guess(me, value, None);
    }
    referee.room().leave(me);
}

/// A push as the JSON protocol words it.
fn message(push: &Push) -> Value {
    let mut message = match push {
        Push::Joined { re } => json!({"type": "joined", "re": re, "room": {"id": 1, "code": null}}),
        Push::Round {
            round,
            fresh: false,
            re,
        } => json!({"type": "state", "re": re, "view": {"round": round, "max": MAX + 1}}),
        Push::Round { round, re, .. } => json!({"type": "event", "re": re, "round": round,
            "event": {"type": "round_started", "round": round, "max": MAX + 1}}),
        Push::Hint {
            player,
            value,
            higher,
            re,
        } => json!({"type": "event", "re": re, "event": {"type": "hint", "player": player,
            "value": value, "hint": if *higher { "higher" } else { "lower" }}}),
        Push::Won {
            player,
            round,
            secret,
            re,
        } => json!({"type": "event", "re": re, "round": round, "event": {"type": "won",
            "round": round, "player": player, "secret": secret, "guesses": 1, "points": 1}}),
        Push::Late { round, re } => json!({"type": "rejected", "re": re,
            "rejection": {"type": "already_won", "round": round, "winner": null}}),
        Push::Error { text, re } => {
            json!({"type": "error", "re": re, "code": "bad_request", "message": text})
        }
    };
    message["v"] = json!(1);
    if message["re"].is_null() {
        message.as_object_mut().unwrap().remove("re");
    }
    message
}

async fn serve_json(stream: TcpStream, referee: Arc<Referee>) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut write, mut read) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Push>();
    let me = referee.next_player();
    let welcome = json!({"v": 1, "type": "welcome", "player": me, "name": format!("Player {me}"),
        "token": "00", "resumed": false, "text": "Welcome to Referee!"});
    if write
        .send(Message::text(welcome.to_string()))
        .await
        .is_err()
    {
        return;
    }
    tokio::spawn(async move {
        while let Some(push) = rx.recv().await {
            let text = message(&push).to_string();
            if write.send(Message::text(text)).await.is_err() {
                return;
            }
        }
    });
    let mut tx = Some(tx);
    while let Some(Ok(message)) = read.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let request: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        let re = request["id"].as_u64();
        match request["op"].as_str() {
            Some("play") => {
                if let Some(tx) = tx.take() {
                    referee.room().join(me, tx, true, re);
                }
            }
            Some("guess") => {
                let value = request["value"].as_u64().ok_or_else(|| request.to_string());
                referee.room().guess(me, value, re);
            }
            Some("quit") => break,
            _ => {}
        }
    }
    referee.room().leave(me);
}
