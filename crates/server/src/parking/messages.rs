//! What the parking actor is told and asked, and how each message moves a token between
//! live and parked.

use std::net::IpAddr;

use std::marker::PhantomData;

use referee_actor::{Answer, Context, Handler, Message, ReplyTo};
use referee_rules::Render;

use super::{Entry, Live, Parked, Parking, Resumed, Token, Waiter, leave};
use crate::kick::{Kick, Reason};

/// A new player on connection `conn`: makes and registers their token.
pub(crate) struct Register {
    pub(crate) conn: u64,
    pub(crate) kick: Kick,
    /// The token to register, already made (a cluster node signs its tokens, and a player
    /// back from a dead node keeps theirs); `None`, or one already known: a random one.
    pub(crate) token: Option<Token>,
}

impl Message for Register {
    type Reply = Token;
}

impl<G: Render> Handler<Register> for Parking<G> {
    fn handle(&mut self, register: Register, _: &mut Context<Self>) -> Token {
        let mut token = match register.token {
            Some(token) if !self.knows(&token) => token,
            _ => self.new_token(),
        };
        while self.knows(&token) {
            token = self.new_token();
        }
        let live = Live {
            conn: register.conn,
            kick: register.kick,
            waiting: None,
        };
        self.live.insert(token.clone(), live);
        token
    }
}

/// Connection `conn` presents `token`: the parked state comes back (at once if parked, once
/// the old connection has parked if it is still live — the parking lot keeps the reply slot
/// until then), or why not.
pub(crate) struct Resume<G: Render> {
    pub(crate) token: Token,
    pub(crate) conn: u64,
    pub(crate) kick: Kick,
    game: PhantomData<fn() -> G>,
}

impl<G: Render> Resume<G> {
    pub(crate) fn new(token: Token, conn: u64, kick: Kick) -> Self {
        Resume {
            token,
            conn,
            kick,
            game: PhantomData,
        }
    }
}

impl<G: Render> Message for Resume<G> {
    type Reply = Resumed<G>;
}

impl<G: Render> Answer<Resume<G>> for Parking<G> {
    fn answer(&mut self, resume: Resume<G>, reply: ReplyTo<Resumed<G>>, ctx: &mut Context<Self>) {
        let Some(entry) = self.take(&resume.token) else {
            let _ = reply.send(Resumed::Unknown);
            return;
        };
        let waiting = match entry {
            Entry::Parked { parked, peer } => {
                if let Err(Resumed::Back(parked)) = reply.send(Resumed::Back(parked)) {
                    // The newcomer gave up already: the seat goes on waiting.
                    return self.park(resume.token, parked, peer, ctx);
                }
                None
            }
            // A newer newcomer wins over an older one still waiting, which was never seated:
            // it is told so, and the seat will come straight to the newer one.
            Entry::Live(Live {
                waiting: Some(earlier),
                ..
            }) => {
                let _ = earlier.reply.send(Resumed::Replaced);
                Some(Waiter {
                    old_conn: earlier.old_conn,
                    reply,
                })
            }
            Entry::Live(Live {
                conn: old_conn,
                kick: old,
                waiting: None,
            }) => {
                old.kick(Reason::Replaced);
                Some(Waiter { old_conn, reply })
            }
        };
        let live = Live {
            conn: resume.conn,
            kick: resume.kick,
            waiting,
        };
        self.live.insert(resume.token, live);
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
        let handover = match self.live.get_mut(&park.token) {
            Some(Live { conn, .. }) if *conn == park.conn => None,
            Some(Live { waiting, .. })
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
        // The token moves from live to parked.
        self.take(&park.token);
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
        let Some(Live { conn, waiting, .. }) = self.live.get_mut(&forget.token) else {
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
pub(super) struct Expire {
    pub(super) token: Token,
    pub(super) since: u64,
}

impl Message for Expire {
    type Reply = ();
}

impl<G: Render> Handler<Expire> for Parking<G> {
    fn handle(&mut self, expire: Expire, _: &mut Context<Self>) {
        if let Some(parked) = self.lot.expire(&expire.token, expire.since) {
            leave(parked);
        }
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
        self.lot.len()
    }
}
