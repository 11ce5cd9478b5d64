//! A netcat bot of the kills test: seated in one room by number, it guesses by binary search
//! as fast as answers come, and writes down every win it is told and every move the room
//! accepted. When its node dies it re-dials another one, as a netcat player would, and sits
//! down in the same room again (`/join N`, strictly that room).
//!
//! It never panics on what the servers do: a connection that drops is re-dialled, an answer
//! that does not come within [`STALL`] is written down as trouble for the test to fail on
//! (with every node's log), since a room that is back within 5 s answers well before.
#![allow(unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The longest a bot waits for a line when one is due. A failover answers within 5 s, a
/// seat taken back on the new host within 8 s of a stalled move: past that, the room is
/// not coming back.
pub const STALL: Duration = Duration::from_secs(12);

/// How long a bot waits for the answer to a guess before guessing again, as a person would:
/// a host killed after it took a move but before the move's answer left it loses that
/// answer (frames are at most once), and the player's node does not say so.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// Numbers are guessed in 0..MAX (the server's default range).
const MAX: i64 = 20;

/// A win a bot was told of: the round and the winner's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Told {
    pub round: u64,
    pub winner: String,
}

/// A move the room accepted (answered `Higher!`, `Lower!` or `Correct!`).
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    pub sent: Instant,
    pub answered: Instant,
}

/// One bot as the test sees it.
#[derive(Debug, Clone, Default)]
pub struct BotView {
    /// The node it is connected to (`None`: dialling).
    pub node: Option<String>,
    /// Moves accepted since the test last cleared the count (at each kill).
    pub accepted: u32,
    /// Moves the room answered since then, accepted or refused as too late (a bot on a
    /// node other than the host's is often a round behind the bots on it: "Sorry, another
    /// player won"), what says the bot is back in play.
    pub answered: u32,
    /// The last lines it sent and heard (`>` sent, `<` heard), for a failure to show.
    pub last: std::collections::VecDeque<String>,
}

/// How many lines of each bot a failure shows.
const SHOWN: usize = 12;

/// What all bots wrote down, shared with the test.
#[derive(Debug, Default)]
pub struct Record {
    pub told: Vec<Told>,
    pub accepted: Vec<Accepted>,
    pub bots: Vec<BotView>,
    /// The first thing that went wrong (a stall, a refusal): the test fails with it.
    pub trouble: Option<String>,
    /// How many times bots re-dialled.
    pub redials: u32,
}

impl Record {
    fn trouble(&mut self, what: String) {
        self.trouble.get_or_insert(what);
    }
}

/// A node a bot may dial, as the test keeps them.
#[derive(Debug, Clone)]
pub struct Dialable {
    pub name: String,
    pub tcp: SocketAddr,
    pub up: bool,
}

/// What the test shares with its bots.
#[derive(Debug, Clone)]
pub struct Shared {
    pub room: u64,
    pub record: Arc<Mutex<Record>>,
    pub nodes: Arc<Mutex<Vec<Dialable>>>,
    pub stop: Arc<AtomicBool>,
}

/// Locks, whatever a panicking holder left.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A line connection that reports rather than panics.
struct Line {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

/// Why a connection is no use any more.
enum Gone {
    /// Closed by the server (its node died).
    Closed,
    /// Nothing came within [`STALL`].
    Stalled,
}

impl Line {
    async fn dial(addr: SocketAddr) -> Option<Line> {
        let stream = tokio::time::timeout(STALL, TcpStream::connect(addr))
            .await
            .ok()?
            .ok()?;
        let (read, writer) = stream.into_split();
        Some(Line {
            lines: BufReader::new(read).lines(),
            writer,
        })
    }

    async fn send(&mut self, line: &str) -> Result<(), Gone> {
        let sent = self.writer.write_all(format!("{line}\n").as_bytes()).await;
        sent.map_err(|_| Gone::Closed)
    }

    async fn next(&mut self, within: Duration) -> Result<String, Gone> {
        match tokio::time::timeout(within, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(_) => Err(Gone::Closed),
            Err(_) => Err(Gone::Stalled),
        }
    }
}

/// Bot `id`, starting on node `first`, until the test stops it.
pub async fn run(id: usize, first: String, shared: Shared) {
    let mut bot = Bot {
        id,
        me: String::new(),
        node: first,
        low: 0,
        high: MAX - 1,
        shared,
    };
    while !bot.shared.stop.load(Ordering::SeqCst) {
        let Some(mut line) = bot.dial().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        match bot.play(&mut line).await {
            Ok(()) => return,
            Err(Gone::Closed) => {}
            Err(Gone::Stalled) => {
                let what = format!("bot {id} on node {} heard nothing for {STALL:?}", bot.node);
                lock(&bot.shared.record).trouble(what);
                return;
            }
        }
        bot.view(|view| view.node = None);
        lock(&bot.shared.record).redials += 1;
    }
}

struct Bot {
    id: usize,
    /// Its name as the room says it (`Player N`).
    me: String,
    node: String,
    low: i64,
    high: i64,
    shared: Shared,
}

/// What a line means to a bot waiting for the answer to its guess.
enum Heard {
    /// The move was taken (and answered).
    Accepted,
    /// No answer is coming for this guess (a win first, the round voided): guess again.
    Over,
    /// The seat is gone (an error): sit down again.
    Unseated,
    /// Something else (a push): keep reading.
    Other,
}

impl Bot {
    fn view(&self, change: impl FnOnce(&mut BotView)) {
        let mut record = lock(&self.shared.record);
        if record.bots.len() <= self.id {
            record.bots.resize(self.id + 1, BotView::default());
        }
        change(&mut record.bots[self.id]);
    }

    /// Dials the node it is on (at start) or, that one down, the node up with the fewest
    /// bots, and sits down in the room. `None`: try again.
    async fn dial(&mut self) -> Option<Line> {
        let addr = self.pick()?;
        let mut line = Line::dial(addr).await?;
        self.greeting(&mut line).await.ok()?;
        self.view(|view| view.node = Some(self.node.clone()));
        Some(line)
    }

    fn pick(&mut self) -> Option<SocketAddr> {
        let nodes = lock(&self.shared.nodes).clone();
        if let Some(mine) = nodes.iter().find(|n| n.name == self.node && n.up) {
            return Some(mine.tcp);
        }
        let record = lock(&self.shared.record);
        let on = |name: &str| {
            let here = |view: &&BotView| view.node.as_deref() == Some(name);
            record.bots.iter().filter(here).count()
        };
        let best = nodes
            .iter()
            .filter(|n| n.up && n.name != self.node)
            .min_by_key(|n| (on(&n.name), n.name.clone()))?;
        self.node = best.name.clone();
        Some(best.tcp)
    }

    /// Reads the greeting (the player's number, the seat quick match gave) and, seated
    /// elsewhere, moves to the room.
    async fn greeting(&mut self, line: &mut Line) -> Result<(), Gone> {
        let welcome = self.next(line).await?;
        let number = welcome
            .strip_prefix("Welcome to Referee! You are player ")
            .and_then(|rest| rest.strip_suffix('.'));
        let Some(number) = number else {
            lock(&self.shared.record).trouble(format!("bot {}: welcome {welcome:?}", self.id));
            return Err(Gone::Closed);
        };
        self.me = format!("Player {number}");
        let seat = loop {
            let seat = self.next(line).await?;
            if seat.starts_with("* You joined ") {
                break seat;
            }
        };
        let room = self.shared.room;
        if seat.starts_with(&format!("* You joined room {room} ")) {
            // Whatever round is in play is new to the bot; its round line follows.
            self.restart_search();
            return Ok(());
        }
        self.join(line).await
    }

    /// `/join N` until seated there. The node may not have heard of the room yet, or still
    /// know it on a node that died (nodes announce their rooms twice a second and forget a
    /// silent node after 2 s): tried again, backing off; after a few refusals on one
    /// connection (a node allows five a minute) the bot re-dials.
    async fn join(&mut self, line: &mut Line) -> Result<(), Gone> {
        let room = self.shared.room;
        let mut wait = Duration::from_millis(200);
        for _ in 0..4 {
            self.send(line, &format!("/join {room}")).await?;
            loop {
                let heard = self.next(line).await?;
                let seated = heard.starts_with(&format!("* You joined room {room} "))
                    || heard.starts_with("error: you are already in");
                if seated {
                    self.restart_search();
                    return Ok(());
                }
                if heard.starts_with("error:") {
                    break;
                }
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
        }
        Err(Gone::Closed)
    }

    async fn send(&self, line: &mut Line, text: &str) -> Result<(), Gone> {
        self.note(format!("> {text}"));
        line.send(text).await
    }

    async fn next(&self, line: &mut Line) -> Result<String, Gone> {
        self.next_within(line, STALL).await
    }

    async fn next_within(&self, line: &mut Line, within: Duration) -> Result<String, Gone> {
        let heard = line.next(within).await;
        match &heard {
            Ok(text) => self.note(format!("< {text}")),
            Err(Gone::Closed) => self.note("< (closed)".into()),
            Err(Gone::Stalled) => self.note("< (nothing)".into()),
        }
        heard
    }

    fn note(&self, text: String) {
        let at = format!("{} {text}", clock());
        self.view(|view| {
            view.last.push_back(at);
            if view.last.len() > SHOWN {
                view.last.pop_front();
            }
        });
    }

    fn restart_search(&mut self) {
        (self.low, self.high) = (0, MAX - 1);
    }

    /// Guesses until stopped (`Ok`) or the connection is gone. A guess unanswered for
    /// [`ANSWER_WAIT`] is followed by another; unanswered for [`STALL`] in all, the room
    /// is not coming back.
    async fn play(&mut self, line: &mut Line) -> Result<(), Gone> {
        let mut silent_since: Option<Instant> = None;
        while !self.shared.stop.load(Ordering::SeqCst) {
            if self.low > self.high {
                self.restart_search();
            }
            let guess = (self.low + self.high) / 2;
            self.send(line, &guess.to_string()).await?;
            let sent = Instant::now();
            loop {
                let heard = match self.next_within(line, ANSWER_WAIT).await {
                    Err(Gone::Stalled) => {
                        let since = *silent_since.get_or_insert(sent);
                        if since.elapsed() >= STALL {
                            return Err(Gone::Stalled);
                        }
                        self.restart_search();
                        break;
                    }
                    heard => heard?,
                };
                silent_since = None;
                match self.hear(&heard, guess) {
                    Heard::Accepted => {
                        self.accepted(sent);
                        break;
                    }
                    Heard::Over => {
                        if heard.starts_with("Sorry,") {
                            self.view(|view| view.answered += 1);
                        }
                        break;
                    }
                    Heard::Unseated => {
                        self.join(line).await?;
                        break;
                    }
                    Heard::Other => {}
                }
            }
        }
        Ok(())
    }

    fn accepted(&self, sent: Instant) {
        let answered = Instant::now();
        let mut record = lock(&self.shared.record);
        record.accepted.push(Accepted { sent, answered });
        if let Some(view) = record.bots.get_mut(self.id) {
            view.accepted += 1;
            view.answered += 1;
        }
    }

    fn told(&self, round: u64, winner: &str) {
        let told = Told {
            round,
            winner: winner.to_owned(),
        };
        lock(&self.shared.record).told.push(told);
    }

    fn hear(&mut self, heard: &str, guess: i64) -> Heard {
        if heard.starts_with("Higher!") {
            self.low = guess + 1;
            Heard::Accepted
        } else if heard.starts_with("Lower!") {
            self.high = guess - 1;
            Heard::Accepted
        } else if heard.starts_with("Correct!") {
            self.told(round_in(heard), &self.me);
            self.restart_search();
            Heard::Accepted
        } else if let Some(rest) =
            heard.strip_prefix("Sorry, another player won in the meantime! (")
        {
            if let Some((winner, _)) = rest.split_once(" won round ") {
                self.told(round_in(rest), winner);
            }
            self.restart_search();
            Heard::Over
        } else if heard.contains(" was voided ") {
            self.restart_search();
            Heard::Over
        } else if heard.starts_with("error:") {
            Heard::Unseated
        } else {
            if let Some((winner, _)) = heard
                .strip_prefix("* ")
                .and_then(|rest| rest.split_once(" won round "))
            {
                self.told(round_in(heard), winner);
            } else if heard.starts_with("Round ") {
                self.restart_search();
            }
            Heard::Other
        }
    }
}

/// The time of day, UTC, as the nodes' logs write it (`22:14:04.550`).
pub fn clock() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let ms = now.map_or(0, |now| now.as_millis()) % 86_400_000;
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60);
    format!("{h:02}:{m:02}:{s:02}.{:03}", ms % 1_000)
}

/// The number after `round ` in a line (0 if none: a line the server would never send).
fn round_in(line: &str) -> u64 {
    line.split("round ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
