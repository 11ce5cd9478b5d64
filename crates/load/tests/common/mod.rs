//! Shared by the integration tests: a fake Referee that speaks just enough of the line
//! protocol, and a timeout so no test can hang.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

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

/// One room everybody plays in, as the protocol describes it: a guess counts for the round
/// last shown to the guesser; the first right guess wins and the next round is pushed to all.
#[derive(Default)]
struct Room {
    round: u64,
    members: Vec<Member>,
}

struct Member {
    tx: mpsc::UnboundedSender<String>,
    /// The last `Round` line queued to this member.
    shown: u64,
}

const MAX: u64 = 19;

fn secret(round: u64) -> u64 {
    (round * 7 + 3) % (MAX + 1)
}

fn round_line(round: u64) -> String {
    format!("Round {round}: guess a number from 0 to {MAX}.")
}

impl Room {
    fn join(&mut self, tx: mpsc::UnboundedSender<String>) -> usize {
        self.round = self.round.max(1);
        let _ = tx.send("Welcome to Referee! You are player 1.".to_owned());
        let _ = tx.send("* You joined room 1.".to_owned());
        let _ = tx.send(round_line(self.round));
        self.members.push(Member {
            tx,
            shown: self.round,
        });
        self.members.len() - 1
    }

    fn guess(&mut self, who: usize, line: &str) {
        let answer = match line.trim().parse::<u64>() {
            Err(_) => format!("error: {line:?} is not a number"),
            Ok(_) if self.members[who].shown < self.round => {
                format!(
                    "Sorry, another player won in the meantime! (Round {} is over.)",
                    self.members[who].shown
                )
            }
            Ok(value) if value < secret(self.round) => {
                format!("Higher! The number is more than {value}.")
            }
            Ok(value) if value > secret(self.round) => {
                format!("Lower! The number is less than {value}.")
            }
            Ok(value) => return self.win(who, value),
        };
        let _ = self.members[who].tx.send(answer);
    }

    fn win(&mut self, who: usize, value: u64) {
        let round = self.round;
        let _ = self.members[who].tx.send(format!(
            "Correct! {value} was the number. You won round {round}."
        ));
        self.round += 1;
        for (index, member) in self.members.iter_mut().enumerate() {
            if index != who {
                let _ = member.tx.send(format!(
                    "* Player {who} won round {round}: the number was {value}."
                ));
            }
            let _ = member.tx.send(round_line(round + 1));
            member.shown = round + 1;
        }
    }
}

/// A fake Referee on `127.0.0.1:0`; aborting the handle stops accepting.
pub async fn start_fake_referee() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let room = Arc::new(Mutex::new(Room::default()));
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, Arc::clone(&room)));
        }
    });
    (addr, accept)
}

async fn serve(stream: TcpStream, room: Arc<Mutex<Room>>) {
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let who = room.lock().unwrap().join(tx);
    tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
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
        room.lock().unwrap().guess(who, &line);
    }
}
