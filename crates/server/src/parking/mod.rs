//! Where a dropped browser player's seat waits for them: the parking actor.
//!
//! Every WebSocket player gets a secret token. While their connection lives the token is
//! *live*; when it drops without `leave` or `quit`, the session *parks* what makes the player
//! who they are (number, name, seat) under the token, and the room marks them away. A new
//! connection that presents the token within the window takes it all back; after the window
//! the parking actor sends the room the `Leave` the player never sent, and the seat is freed.
//!
//! One actor holds every token, so the races settle in its mailbox: a resume and an expiry
//! for the same token can never both win, and a seat is never handed to two connections. A
//! token still live when it is presented again (a second tab, or a reload before the server
//! has noticed the old connection drop) kicks the old connection; its session parks as it
//! ends, and the parked state goes straight to the waiting newcomer. A burst of connections
//! presenting one token settles the same way: the newest always wins; each one it overtakes
//! while that one still waited for the seat is told it was replaced (`Resumed::Replaced`)
//! and closes, and the seat moves once, from the connection that held it to the newest.
//!
//! **Held seats are bounded.** A seat parked costs a room seat (often a whole private room)
//! for the window. So at most `max` seats are held at once, and at most `per_ip` for the
//! players of one client address; a park past either cap gives up the *oldest* held seat
//! under that cap (of that address first, then of all), exactly as if its window had closed.
//! The oldest rather than the newest: it is the one least likely to come back, and a flood
//! from one address then only ever pushes out its own seats.
//!
//! Rules decide, actors translate (STYLE §2): the parked seats under their caps are the pure
//! [`Lot`](lot::Lot) (`lot.rs`); the actor here keeps the live tokens, the timers and the
//! replies, and its messages are in `messages.rs`. Generic over the game `G`, as the room is.

mod lot;
mod messages;
pub(crate) mod signed;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, ReplyTo};
use referee_rules::{PlayerId, Render};

use crate::kick::Kick;
use crate::lobby::Seat;
use crate::metrics::GuardCounters;
use crate::seating::Seating;
use crate::tell::or_log;
use lot::{Lot, shrink};

pub(crate) use lot::ParkLimits;
pub(crate) use messages::{Forget, Park, Register, Resume};
pub(crate) use signed::KeyRing;

/// How long a dropped player's seat is kept, by default.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// A player's secret: 128 random bits, as 32 hex digits; on a cluster node, a token signed
/// with the cluster's key (`signed.rs`), which any node can check.
pub(crate) type Token = String;

/// A handle to the parking actor.
pub(crate) type ParkingHandle<G> = ActorHandle<Parking<G>>;

/// What a player leaves behind when their connection drops.
pub(crate) struct Parked<G: Render> {
    pub(crate) player: PlayerId,
    pub(crate) name: String,
    pub(crate) named: bool,
    /// Their seat; the room holds them as away.
    pub(crate) seat: Option<Seat<G>>,
    /// The seat count of their last connection (see `seen.rs`).
    pub(crate) epoch: u32,
    /// Their last connection's number: with `epoch`, the seating the seat is held by, which
    /// giving it up names (`seating.rs`) — the player may have taken it back elsewhere.
    pub(crate) connection: u64,
}

/// A token held by a live connection.
struct Live<G: Render> {
    /// The connection that holds the token.
    conn: u64,
    kick: Kick,
    /// `conn` replaced a connection that has not parked yet and waits for its state.
    waiting: Option<Waiter<G>>,
}

/// A token's entry, live or parked, as taken out of the actor's state.
enum Entry<G: Render> {
    Live(Live<G>),
    Parked {
        parked: Parked<G>,
        /// The dropped connection's address.
        peer: Option<IpAddr>,
    },
}

struct Waiter<G: Render> {
    /// The connection being replaced.
    old_conn: u64,
    reply: ReplyTo<Resumed<G>>,
}

/// What a connection that presents a token gets.
pub(crate) enum Resumed<G: Render> {
    /// The player's state: they are back.
    Back(Parked<G>),
    /// The token is unknown, expired, or its player left for good meanwhile.
    Unknown,
    /// A newer connection presented the same token before this one got the seat.
    Replaced,
}

/// The parking actor's state.
pub(crate) struct Parking<G: Render> {
    /// Tokens held by a live connection.
    live: HashMap<Token, Live<G>>,
    /// Tokens whose player is away, with their seats.
    lot: Lot<Parked<G>>,
    window: Duration,
    rng: StdRng,
    counters: GuardCounters,
}

impl<G: Render> Actor for Parking<G> {}

/// The OS gave no entropy for tokens.
#[derive(Debug, thiserror::Error)]
#[error("cannot seed the token generator from the OS: {0}")]
pub(crate) struct NoEntropy(String);

impl<G: Render> Parking<G> {
    /// Spawns the parking actor; seats wait `window` for their player. Tokens come from a
    /// generator seeded by the OS — never from `--seed`, which only makes games repeatable.
    /// At most `limits` seats are held at once; those given up early are counted.
    pub(crate) fn spawn(
        window: Duration,
        limits: ParkLimits,
        counters: GuardCounters,
    ) -> Result<ParkingHandle<G>, NoEntropy> {
        let rng = StdRng::try_from_rng(&mut SysRng).map_err(|err| NoEntropy(err.to_string()))?;
        let parking = Parking {
            live: HashMap::new(),
            lot: Lot::new(limits),
            window,
            rng,
            counters,
        };
        Ok(ActorBuilder::new()
            .name("parking")
            .mailbox_capacity(4096)
            .spawn(parking))
    }

    /// Keeps `parked` under `token` until the window closes, giving up older held seats if
    /// a cap is reached.
    fn park(&mut self, token: Token, parked: Parked<G>, peer: Option<IpAddr>, ctx: &Context<Self>) {
        for (released, cap) in self.lot.make_room(peer) {
            self.counters.parked_released(cap);
            leave(released);
        }
        let since = self.lot.insert(token.clone(), parked, peer);
        let timer = messages::Expire { token, since };
        ctx.pipe_to_self(tokio::time::sleep(self.window), move |()| timer);
    }

    /// Removes `token`'s entry, live or parked.
    fn take(&mut self, token: &str) -> Option<Entry<G>> {
        if let Some(live) = self.live.remove(token) {
            shrink(&mut self.live);
            return Some(Entry::Live(live));
        }
        let (parked, peer) = self.lot.take(token)?;
        Some(Entry::Parked { parked, peer })
    }

    /// Whether `token` is known, live or parked.
    fn knows(&self, token: &str) -> bool {
        self.live.contains_key(token) || self.lot.contains(token)
    }

    fn new_token(&mut self) -> Token {
        format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64())
    }
}

/// Gives a parked seat up: the room removes the player, tells the others, frees the seat.
fn leave<G: Render>(parked: Parked<G>) {
    if let Some(seat) = parked.seat {
        or_log(
            seat.handle.leave_soon(
                parked.player,
                Seating::here(parked.connection, parked.epoch),
            ),
            "parked seat given up",
        );
    }
}
