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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message};
use referee_rules::{PlayerId, Render};
use tokio::sync::oneshot;

use crate::kick::{Kick, Reason};
use crate::lobby::Seat;
use crate::metrics::GuardCounters;
use crate::room::Leave;
use crate::tell::tell_soon;

/// How long a dropped player's seat is kept, by default.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// A player's secret: 128 random bits, as 32 hex digits.
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
}

enum Entry<G: Render> {
    /// Connection `conn` holds the token.
    Live {
        conn: u64,
        kick: Kick,
        /// `conn` replaced a connection that has not parked yet and waits for its state.
        waiting: Option<Waiter<G>>,
    },
    /// The player is away; `since` tells this parking from a later one (and orders them).
    Parked {
        parked: Parked<G>,
        since: u64,
        /// The dropped connection's address.
        peer: Option<IpAddr>,
    },
}

/// How many seats may be held at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParkLimits {
    /// In all.
    pub(crate) total: usize,
    /// For the players of one client address.
    pub(crate) per_ip: usize,
}

struct Waiter<G: Render> {
    /// The connection being replaced.
    old_conn: u64,
    reply: oneshot::Sender<Resumed<G>>,
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
    tokens: HashMap<Token, Entry<G>>,
    window: Duration,
    /// Numbers each parking, so that an expiry timer can tell if it is still the one.
    parkings: u64,
    rng: StdRng,
    /// The parked tokens by `since`: oldest first.
    order: BTreeMap<u64, Token>,
    /// The parked `since`s of each client address.
    by_ip: HashMap<IpAddr, BTreeSet<u64>>,
    limits: ParkLimits,
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
            tokens: HashMap::new(),
            window,
            parkings: 0,
            rng,
            order: BTreeMap::new(),
            by_ip: HashMap::new(),
            limits: ParkLimits {
                total: limits.total.max(1),
                per_ip: limits.per_ip.max(1),
            },
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
        self.make_room(peer);
        self.parkings += 1;
        let since = self.parkings;
        let window = self.window;
        let timer = Expire {
            token: token.clone(),
            since,
        };
        ctx.pipe_to_self(tokio::time::sleep(window), move |()| timer);
        self.order.insert(since, token.clone());
        if let Some(ip) = peer {
            self.by_ip.entry(ip).or_default().insert(since);
        }
        let entry = Entry::Parked {
            parked,
            since,
            peer,
        };
        self.tokens.insert(token, entry);
    }

    /// Gives up the oldest held seats until one more fits under both caps.
    fn make_room(&mut self, peer: Option<IpAddr>) {
        if let Some(ip) = peer {
            while let Some(set) = self
                .by_ip
                .get(&ip)
                .filter(|s| s.len() >= self.limits.per_ip)
            {
                let Some(token) = set.first().and_then(|since| self.order.get(since)) else {
                    break;
                };
                self.release(&token.clone(), "ip");
            }
        }
        while self.order.len() >= self.limits.total {
            let Some(token) = self.order.values().next().cloned() else {
                break;
            };
            self.release(&token, "total");
        }
    }

    /// Gives up the seat held under `token` before its time, because of `cap`.
    fn release(&mut self, token: &str, cap: &'static str) {
        if let Some(Entry::Parked { parked, .. }) = self.take(token) {
            self.counters.parked_released(cap);
            leave(parked);
        }
    }

    /// Removes `token`'s entry, and a parked one from the order and its address's set.
    fn take(&mut self, token: &str) -> Option<Entry<G>> {
        let entry = self.tokens.remove(token)?;
        if let Entry::Parked { since, peer, .. } = &entry {
            self.order.remove(since);
            if let Some(ip) = peer {
                if let Some(set) = self.by_ip.get_mut(ip) {
                    set.remove(since);
                    if set.is_empty() {
                        self.by_ip.remove(ip);
                    }
                }
            }
        }
        shrink(&mut self.tokens);
        shrink(&mut self.by_ip);
        Some(entry)
    }

    fn new_token(&mut self) -> Token {
        format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64())
    }
}

/// A new player on connection `conn`: makes and registers their token.
pub(crate) struct Register {
    pub(crate) conn: u64,
    pub(crate) kick: Kick,
}

impl Message for Register {
    type Reply = Token;
}

impl<G: Render> Handler<Register> for Parking<G> {
    fn handle(&mut self, register: Register, _: &mut Context<Self>) -> Token {
        let mut token = self.new_token();
        while self.tokens.contains_key(&token) {
            token = self.new_token();
        }
        let entry = Entry::Live {
            conn: register.conn,
            kick: register.kick,
            waiting: None,
        };
        self.tokens.insert(token.clone(), entry);
        token
    }
}

/// Connection `conn` presents `token`: the parked state comes back on `reply` (at once if
/// parked, once the old connection has parked if it is still live), or why not.
pub(crate) struct Resume<G: Render> {
    pub(crate) token: Token,
    pub(crate) conn: u64,
    pub(crate) kick: Kick,
    pub(crate) reply: oneshot::Sender<Resumed<G>>,
}

impl<G: Render> Message for Resume<G> {
    type Reply = ();
}

impl<G: Render> Handler<Resume<G>> for Parking<G> {
    fn handle(&mut self, resume: Resume<G>, ctx: &mut Context<Self>) {
        let Some(entry) = self.take(&resume.token) else {
            let _ = resume.reply.send(Resumed::Unknown);
            return;
        };
        let waiting = match entry {
            Entry::Parked { parked, peer, .. } => {
                if let Err(Resumed::Back(parked)) = resume.reply.send(Resumed::Back(parked)) {
                    // The newcomer gave up already: the seat goes on waiting.
                    return self.park(resume.token, parked, peer, ctx);
                }
                None
            }
            // A newer newcomer wins over an older one still waiting, which was never seated:
            // it is told so, and the seat will come straight to the newer one.
            Entry::Live {
                waiting: Some(earlier),
                ..
            } => {
                let _ = earlier.reply.send(Resumed::Replaced);
                Some(Waiter {
                    old_conn: earlier.old_conn,
                    reply: resume.reply,
                })
            }
            Entry::Live {
                conn: old_conn,
                kick: old,
                waiting: None,
            } => {
                old.kick(Reason::Replaced);
                Some(Waiter {
                    old_conn,
                    reply: resume.reply,
                })
            }
        };
        let live = Entry::Live {
            conn: resume.conn,
            kick: resume.kick,
            waiting,
        };
        self.tokens.insert(resume.token, live);
    }
}

/// Connection `conn` ended without leaving: keep the player's seat for them.
pub(crate) struct Park<G: Render> {
    pub(crate) token: Token,
    pub(crate) conn: u64,
    pub(crate) parked: Parked<G>,
    /// The connection's client address (the per-address cap counts by it).
    pub(crate) peer: Option<IpAddr>,
}

impl<G: Render> Message for Park<G> {
    type Reply = ();
}

impl<G: Render> Handler<Park<G>> for Parking<G> {
    fn handle(&mut self, park: Park<G>, ctx: &mut Context<Self>) {
        let handover = match self.tokens.get_mut(&park.token) {
            Some(Entry::Live { conn, .. }) if *conn == park.conn => None,
            Some(Entry::Live { waiting, .. })
                if waiting.as_ref().is_some_and(|w| w.old_conn == park.conn) =>
            {
                waiting.take()
            }
            // Not this connection's token any more: its seat is not its to keep.
            _ => return leave(park.parked),
        };
        let parked = match handover {
            // Straight to the newcomer who replaced this connection, if they still wait.
            Some(waiter) => match waiter.reply.send(Resumed::Back(park.parked)) {
                Ok(()) => return,
                Err(Resumed::Back(parked)) => parked,
                Err(_) => return,
            },
            None => park.parked,
        };
        self.park(park.token, parked, park.peer, ctx);
    }
}

/// Connection `conn` ended for good (quit, or left its seat): its token is void.
pub(crate) struct Forget {
    pub(crate) token: Token,
    pub(crate) conn: u64,
}

impl Message for Forget {
    type Reply = ();
}

impl<G: Render> Handler<Forget> for Parking<G> {
    fn handle(&mut self, forget: Forget, _: &mut Context<Self>) {
        let Some(Entry::Live { conn, waiting, .. }) = self.tokens.get_mut(&forget.token) else {
            return;
        };
        if let Some(waiter) = waiting.take_if(|w| w.old_conn == forget.conn) {
            // The connection being replaced left for good: nothing to hand over.
            let _ = waiter.reply.send(Resumed::Unknown);
        } else if *conn != forget.conn {
            return;
        }
        self.take(&forget.token);
    }
}

/// A parked seat's time is up.
struct Expire {
    token: Token,
    since: u64,
}

impl Message for Expire {
    type Reply = ();
}

impl<G: Render> Handler<Expire> for Parking<G> {
    fn handle(&mut self, expire: Expire, _: &mut Context<Self>) {
        let current = matches!(
            self.tokens.get(&expire.token),
            Some(Entry::Parked { since, .. }) if *since == expire.since
        );
        if !current {
            return;
        }
        if let Some(Entry::Parked { parked, .. }) = self.take(&expire.token) {
            leave(parked);
        }
    }
}

/// Gives memory back once a map is much smaller than what it grew to (after a flood).
fn shrink<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 64 && map.capacity() > 4 * map.len() {
        map.shrink_to(2 * map.len());
    }
}

/// Gives a parked seat up: the room removes the player, tells the others, frees the seat.
fn leave<G: Render>(parked: Parked<G>) {
    if let Some(seat) = parked.seat {
        let leave = Leave {
            player: parked.player,
            gone: None,
        };
        tell_soon(&seat.handle, leave);
    }
}

/// How many tokens are parked and live, for the metrics.
pub(crate) struct CountParked;

impl Message for CountParked {
    /// Parked (away) players.
    type Reply = usize;
}

impl<G: Render> Handler<CountParked> for Parking<G> {
    fn handle(&mut self, _: CountParked, _: &mut Context<Self>) -> usize {
        self.tokens
            .values()
            .filter(|entry| matches!(entry, Entry::Parked { .. }))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use referee_rules::GuessNumber;

    use super::*;

    const WINDOW: Duration = Duration::from_secs(30);

    fn parked(player: u64) -> Parked<GuessNumber> {
        Parked {
            player: PlayerId(player),
            name: format!("P{player}"),
            named: false,
            seat: None,
            epoch: 4,
        }
    }

    const ROOMY: ParkLimits = ParkLimits {
        total: 1_000,
        per_ip: 1_000,
    };

    fn parking() -> ParkingHandle<GuessNumber> {
        limited(ROOMY)
    }

    fn limited(limits: ParkLimits) -> ParkingHandle<GuessNumber> {
        Parking::spawn(WINDOW, limits, GuardCounters::default())
            .unwrap_or_else(|err| panic!("{err}"))
    }

    async fn register(parking: &ParkingHandle<GuessNumber>, conn: u64, kick: &Kick) -> Token {
        let register = Register {
            conn,
            kick: kick.clone(),
        };
        parking
            .ask(register)
            .await
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// Sends a resume and returns where its answer will come.
    async fn resume(
        parking: &ParkingHandle<GuessNumber>,
        token: &Token,
        conn: u64,
    ) -> oneshot::Receiver<Resumed<GuessNumber>> {
        let (reply, answer) = oneshot::channel();
        let resume = Resume {
            token: token.clone(),
            conn,
            kick: Kick::default(),
            reply,
        };
        assert!(parking.tell(resume).await.is_ok());
        answer
    }

    async fn park(parking: &ParkingHandle<GuessNumber>, token: &Token, conn: u64, player: u64) {
        park_from(parking, token, conn, player, None).await;
    }

    async fn park_from(
        parking: &ParkingHandle<GuessNumber>,
        token: &Token,
        conn: u64,
        player: u64,
        peer: Option<IpAddr>,
    ) {
        let park = Park {
            token: token.clone(),
            conn,
            parked: parked(player),
            peer,
        };
        assert!(parking.tell(park).await.is_ok());
    }

    /// Registers and parks players `players` (one connection each) from `peer`.
    async fn park_many(
        parking: &ParkingHandle<GuessNumber>,
        players: std::ops::Range<u64>,
        peer: Option<IpAddr>,
    ) -> Vec<Token> {
        let mut tokens = Vec::new();
        for player in players {
            let token = register(parking, player, &Kick::default()).await;
            park_from(parking, &token, player, player, peer).await;
            tokens.push(token);
        }
        tokens
    }

    #[tokio::test]
    async fn past_the_cap_the_oldest_held_seat_is_given_up() {
        let parking = limited(ParkLimits {
            total: 3,
            per_ip: 100,
        });
        let tokens = park_many(&parking, 1..6, None).await;
        assert_eq!(parking.ask(CountParked).await.ok(), Some(3));
        // Players 1 and 2 were pushed out; 3, 4 and 5 are still held.
        assert_eq!(
            player_of(resume(&parking, &tokens[0], 10).await.await),
            None
        );
        assert_eq!(
            player_of(resume(&parking, &tokens[1], 11).await.await),
            None
        );
        assert_eq!(
            player_of(resume(&parking, &tokens[2], 12).await.await),
            Some(3)
        );
        assert_eq!(
            player_of(resume(&parking, &tokens[4], 13).await.await),
            Some(5)
        );
    }

    #[tokio::test]
    async fn one_address_only_ever_pushes_out_its_own_held_seats() {
        let parking = limited(ParkLimits {
            total: 100,
            per_ip: 2,
        });
        let honest = Some(IpAddr::from([127, 0, 0, 2]));
        let flood = Some(IpAddr::from([127, 0, 0, 3]));
        let kept = park_many(&parking, 1..2, honest).await;
        let flooded = park_many(&parking, 2..12, flood).await;
        assert_eq!(parking.ask(CountParked).await.ok(), Some(3));
        assert_eq!(
            player_of(resume(&parking, &kept[0], 20).await.await),
            Some(1)
        );
        assert_eq!(
            player_of(resume(&parking, &flooded[0], 21).await.await),
            None
        );
        assert_eq!(
            player_of(resume(&parking, &flooded[9], 22).await.await),
            Some(11)
        );
    }

    fn player_of(answer: Result<Resumed<GuessNumber>, oneshot::error::RecvError>) -> Option<u64> {
        match answer {
            Ok(Resumed::Back(parked)) => Some(parked.player.0),
            _ => None,
        }
    }

    fn replaced(answer: Result<Resumed<GuessNumber>, oneshot::error::RecvError>) -> bool {
        matches!(answer, Ok(Resumed::Replaced))
    }

    #[tokio::test]
    async fn a_burst_of_resumes_seats_the_newest_and_tells_the_others_they_were_replaced() {
        let parking = parking();
        let holder = Kick::default();
        let token = register(&parking, 1, &holder).await;
        let mut answers = Vec::new();
        for conn in 2..=6 {
            answers.push(resume(&parking, &token, conn).await);
        }
        assert_eq!(holder.for_reader().await, Reason::Replaced);
        park(&parking, &token, 1, 9).await; // the holder lets go
        let newest = match answers.pop() {
            // Bounded: a seat handed to nobody would leave this answer waiting for ever.
            Some(answer) => tokio::time::timeout(WINDOW, answer)
                .await
                .ok()
                .and_then(player_of),
            None => None,
        };
        assert_eq!(newest, Some(9), "the newest connection gets the seat");
        for answer in answers {
            assert!(replaced(answer.await), "an overtaken newcomer is told why");
        }
        assert_eq!(parking.ask(CountParked).await.ok(), Some(0));
    }

    #[tokio::test]
    async fn tokens_are_long_random_and_distinct() {
        let parking = parking();
        let kick = Kick::default();
        let a = register(&parking, 1, &kick).await;
        let b = register(&parking, 2, &kick).await;
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_parked_seat_goes_to_the_first_who_presents_the_token_and_only_to_them() {
        let parking = parking();
        let token = register(&parking, 1, &Kick::default()).await;
        park(&parking, &token, 1, 7).await;
        assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(7));
        // The token is live again, held by connection 2: a third connection replaces it and
        // waits; connection 2 never parks (it quits), so there is nothing to hand over.
        let third = resume(&parking, &token, 3).await;
        let forget = Forget { token, conn: 2 };
        assert!(parking.tell(forget).await.is_ok());
        assert_eq!(player_of(third.await), None);
    }

    #[tokio::test]
    async fn a_live_token_presented_again_kicks_the_holder_and_waits_for_its_seat() {
        let parking = parking();
        let holder = Kick::default();
        let token = register(&parking, 1, &holder).await;
        let newcomer = resume(&parking, &token, 2).await;
        assert_eq!(holder.for_reader().await, Reason::Replaced);
        park(&parking, &token, 1, 9).await;
        assert_eq!(player_of(newcomer.await), Some(9));
    }

    #[tokio::test]
    async fn a_park_from_a_connection_that_no_longer_holds_the_token_is_not_kept() {
        let parking = parking();
        let token = register(&parking, 1, &Kick::default()).await;
        park(&parking, &token, 1, 5).await;
        assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(5));
        park(&parking, &token, 1, 5).await; // stale: connection 1 is long gone
        let count = parking.ask(CountParked).await.ok();
        assert_eq!(count, Some(0));
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_window_the_token_is_void() {
        let parking = parking();
        let token = register(&parking, 1, &Kick::default()).await;
        park(&parking, &token, 1, 5).await;
        assert_eq!(parking.ask(CountParked).await.ok(), Some(1));
        tokio::time::sleep(WINDOW + Duration::from_secs(1)).await;
        assert_eq!(parking.ask(CountParked).await.ok(), Some(0));
        assert_eq!(player_of(resume(&parking, &token, 2).await.await), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_seat_taken_back_and_parked_again_gets_a_full_new_window() {
        let parking = parking();
        let token = register(&parking, 1, &Kick::default()).await;
        park(&parking, &token, 1, 5).await;
        tokio::time::sleep(WINDOW / 2).await;
        assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(5));
        park(&parking, &token, 2, 5).await;
        // The first parking's timer fires now; it must not end the second parking.
        tokio::time::sleep(WINDOW / 2 + Duration::from_secs(1)).await;
        assert_eq!(parking.ask(CountParked).await.ok(), Some(1));
        assert_eq!(player_of(resume(&parking, &token, 3).await.await), Some(5));
    }
}
