//! Rooms placed on purpose across a cluster's nodes (`--remote-rooms`): each room opened on
//! one node, its players seated from another, so that every guess crosses NATS.
//!
//! A cluster node serves a player whose room lives elsewhere by asking the room's node over
//! NATS (docs/CLUSTER.md), but quick match keeps play local where it can: bots spread over
//! several nodes would mostly measure local play. Here the placement is forced. For room g an
//! *opener* connects to node g mod N and opens a private room (`/new`), reading its code; the
//! room's `--room-players` bots connect to node g + 1 mod N and `/join CODE`, retrying while
//! that node has not heard of the room yet (nodes announce their rooms twice a second); once
//! they all sit, the opener hangs up, and every player of the room is on another node than
//! the room. With one node the same steps form the same rooms there: the baseline.
//!
//! Bounded like every connection: an opener, and each player, has `--connect-timeout` for
//! all its steps; rooms are formed `--batch` players at a time. A room whose opener fails
//! seats nobody: its players count as failed connections, with the opener's error.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

use crate::stats::Stats;
use crate::tcp::{self, Lines};

/// How long a player waits before asking again for a room its node has not heard of yet.
const RETRY: Duration = Duration::from_millis(100);

/// What the report says of the placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteRooms {
    /// Nodes the rooms were spread over (1: the one-node baseline).
    pub nodes: u64,
    /// Rooms opened and handed to their players.
    pub rooms: u64,
    /// Players asked for per room.
    pub room_players: u64,
}

/// Where each room and its players go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The nodes' line-protocol addresses; never empty.
    pub(crate) nodes: Vec<SocketAddr>,
    /// Players per room (at least one).
    pub(crate) room_players: usize,
}

/// One room being formed: its opener's connection and the code players join with.
struct Opened {
    room: usize,
    opener: Lines,
    code: String,
}

impl Placement {
    /// The node that hosts room `room`.
    fn host(&self, room: usize) -> SocketAddr {
        self.nodes[room % self.nodes.len()]
    }

    /// The node room `room`'s players connect to: the next one.
    fn seats(&self, room: usize) -> SocketAddr {
        self.nodes[(room + 1) % self.nodes.len()]
    }

    /// The bot numbers of room `room`'s players, out of `clients`.
    fn players(&self, room: usize, clients: usize) -> Range<usize> {
        let first = room * self.room_players;
        first.min(clients)..(first + self.room_players).min(clients)
    }

    /// The figures of a run that formed `rooms` rooms.
    pub(crate) fn figures(&self, rooms: usize) -> RemoteRooms {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        RemoteRooms {
            nodes: count(self.nodes.len()),
            rooms: count(rooms),
            room_players: count(self.room_players),
        }
    }

    /// Forms the rooms of `clients` players, `batch` players at a time (the batches spread
    /// over `ramp_up` if given): every seated player's connection, by bot number, and how
    /// many rooms were formed. Failures are counted in `stats`.
    pub(crate) async fn seat_all(
        &self,
        clients: usize,
        (batch, ramp_up, limit): (usize, Option<Duration>, Duration),
        stats: &Stats,
    ) -> (Vec<(usize, Lines)>, usize) {
        let rooms = clients.div_ceil(self.room_players);
        let per_batch = (batch / self.room_players).max(1);
        let batches = rooms.div_ceil(per_batch);
        let (mut seated, mut formed) = (Vec::with_capacity(clients), 0);
        let start = tokio::time::Instant::now();
        for b in 0..batches {
            if let Some(ramp_up) = ramp_up {
                tokio::time::sleep_until(start + ramp_up.mul_f64(b as f64 / batches as f64)).await;
            }
            let first = b * per_batch;
            let these = first..rooms.min(first + per_batch);
            formed += self.form(these, clients, limit, stats, &mut seated).await;
        }
        (seated, formed)
    }

    /// Opens `rooms`, seats their players, then lets the openers go; the rooms formed.
    async fn form(
        &self,
        rooms: Range<usize>,
        clients: usize,
        limit: Duration,
        stats: &Stats,
        seated: &mut Vec<(usize, Lines)>,
    ) -> usize {
        let opened = self.open_all(rooms, clients, limit, stats).await;
        let mut joining = JoinSet::new();
        for room in &opened {
            let (addr, code) = (self.seats(room.room), room.code.clone());
            for id in self.players(room.room, clients) {
                let code = code.clone();
                joining.spawn(async move { (id, join(addr, &code, limit).await) });
            }
        }
        while let Some(joined) = joining.join_next().await {
            match joined {
                Ok((id, Ok(lines))) => {
                    Stats::bump(&stats.connected);
                    seated.push((id, lines));
                }
                Ok((_, Err(error))) => stats.connect_failed(&error),
                Err(error) => tracing::warn!(%error, "joining task failed"),
            }
        }
        // The openers hang up: their rooms keep the players who joined.
        let formed = opened.len();
        for room in opened {
            drop(room.opener);
        }
        formed
    }

    /// Opens each of `rooms` on its host; a room that could not be opened fails its players.
    async fn open_all(
        &self,
        rooms: Range<usize>,
        clients: usize,
        limit: Duration,
        stats: &Stats,
    ) -> Vec<Opened> {
        let mut opening = JoinSet::new();
        for room in rooms {
            let addr = self.host(room);
            opening.spawn(async move { (room, open(addr, limit).await) });
        }
        let mut opened = Vec::new();
        while let Some(done) = opening.join_next().await {
            match done {
                Ok((room, Ok((opener, code)))) => opened.push(Opened { room, opener, code }),
                Ok((room, Err(error))) => {
                    for _ in self.players(room, clients) {
                        stats.connect_failed(&error);
                    }
                }
                Err(error) => tracing::warn!(%error, "opening task failed"),
            }
        }
        opened
    }
}

/// Connects to `addr` and opens a private room: the connection and the room's code.
async fn open(addr: SocketAddr, limit: Duration) -> io::Result<(Lines, String)> {
    within(limit, async {
        let mut lines = Lines::new(tcp::connect(addr, limit).await?, false);
        lines.write_line("/new").await?;
        loop {
            let line = next_line(&mut lines).await?;
            if let Some(code) = private_code(&line) {
                return Ok((lines, code.to_owned()));
            }
            refuse_error(&line, "/new")?;
        }
    })
    .await
}

/// Connects to `addr` and joins the private room `code`, asking again while the node has
/// not heard of it.
async fn join(addr: SocketAddr, code: &str, limit: Duration) -> io::Result<Lines> {
    within(limit, async {
        let mut lines = Lines::new(tcp::connect(addr, limit).await?, false);
        loop {
            lines.write_line(&format!("/join {code}")).await?;
            if joined(&mut lines, code).await? {
                return Ok(lines);
            }
            sleep(RETRY).await;
        }
    })
    .await
}

/// Reads the answer to `/join CODE`: `true` once seated, `false` when the node knows no
/// such room (yet). Lines of the room the player was quick-matched into are read past.
///
/// A room just opened on another node may also answer "that room has closed" for a moment
/// (its node does not serve it over NATS yet, so the ask gets "no responders"): seen with
/// 500 joins at once, 2,502 of 3,000 players refused. Its opener still holds it open, so
/// that too is asked again.
async fn joined(lines: &mut Lines, code: &str) -> io::Result<bool> {
    loop {
        let line = next_line(lines).await?;
        if private_code(&line) == Some(code) {
            return Ok(true);
        }
        if line.starts_with("error: no room") || line.starts_with("error: that room has closed") {
            return Ok(false);
        }
        refuse_error(&line, "/join")?;
    }
}

/// The code in `* You joined private room CODE (…)`, the line a seat in a private room
/// starts with.
fn private_code(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("* You joined private room ")?;
    let (code, _) = rest.split_once(" (")?;
    Some(code)
}

/// An `error:` line ends the attempt with that error.
fn refuse_error(line: &str, asked: &str) -> io::Result<()> {
    match line.starts_with("error:") {
        true => Err(io::Error::other(format!("{asked} refused: {line}"))),
        false => Ok(()),
    }
}

async fn next_line(lines: &mut Lines) -> io::Result<String> {
    match lines.read_line().await? {
        Some(line) => Ok(line.into_owned()),
        None => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection while the room was being formed",
        )),
    }
}

async fn within<T>(limit: Duration, steps: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    timeout(limit, steps).await.map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "forming the room timed out (is --players-per-room above --room-players?)",
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placement(nodes: u16, room_players: usize) -> Placement {
        let nodes = (1..=nodes)
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .collect();
        Placement {
            nodes,
            room_players,
        }
    }

    #[test]
    fn each_rooms_players_sit_on_the_next_node() {
        let three = placement(3, 3);
        for room in 0..30 {
            assert_ne!(three.host(room), three.seats(room), "room {room}");
        }
        assert_eq!(three.host(4).port(), 2);
        assert_eq!(three.seats(4).port(), 3);
        assert_eq!(three.seats(5).port(), 1);
    }

    #[test]
    fn one_node_hosts_and_seats_every_room() {
        let one = placement(1, 3);
        assert_eq!((one.host(7), one.seats(7)), (one.nodes[0], one.nodes[0]));
    }

    #[test]
    fn players_are_numbered_room_by_room_and_the_last_room_may_be_short() {
        let rooms = placement(2, 3);
        assert_eq!(rooms.players(0, 10), 0..3);
        assert_eq!(rooms.players(3, 10), 9..10);
        assert!(rooms.players(4, 10).is_empty());
    }

    #[test]
    fn the_code_is_read_from_the_private_seat_line_only() {
        let seat = "* You joined private room KXQBM-RTWAE (1/4 players: Player 3). \
                    Friends join with: /join KXQBM-RTWAE";
        assert_eq!(private_code(seat), Some("KXQBM-RTWAE"));
        assert_eq!(
            private_code("* You joined room 3 (1/3 players: Ann)."),
            None
        );
        assert_eq!(private_code("* You joined private room X"), None);
    }
}
