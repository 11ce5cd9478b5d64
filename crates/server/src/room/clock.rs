//! The game clock: the room turns tokio time into game time ([`Millis`] since the room was
//! made) for every rule step, and arms one timer for the game's `deadline()`; when it fires,
//! a [`Tick`] message makes the rules apply their timeout action.
//!
//! The timer is a `pipe_to_self` of a tokio `sleep_until`, so there is no polling and paused
//! tokio time drives it in tests. A timer armed for a deadline that has since moved fires a
//! `Tick` the rules ignore (the deadline has not passed); the new deadline has its own timer.

use std::time::Duration;

use referee_actor::{Context, Handler, Message};
use referee_rules::{LogEntry, Millis, Render};

use super::{NOBODY, Room};

/// The game's deadline may have passed: let the rules apply their timeout action.
pub(crate) struct Tick;

impl Message for Tick {
    type Reply = ();
}

impl<G: Render> Handler<Tick> for Room<G> {
    fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
        self.armed = None;
        if self.leaving {
            // Handed over: the new host's clock goes on from the snapshot.
            return;
        }
        let now = self.now();
        self.seat_bots(now, ctx);
        // Logged even when nothing was due: the rules decide, and a replay asks them again.
        let events = self.step_surely(LogEntry::Tick { at: now });
        if !events.is_empty() {
            self.announce(&events, (NOBODY, None), ctx);
        }
        self.settle(ctx);
    }
}

impl<G: Render> Room<G> {
    /// Game time now.
    pub(super) fn now(&self) -> Millis {
        let elapsed = self.epoch.elapsed().as_millis();
        Millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }

    /// Arms a timer for the game's deadline, unless one is armed for it already.
    pub(super) fn arm_clock(&mut self, ctx: &Context<Self>) {
        let Some(deadline) = self.game.deadline() else {
            return;
        };
        if self.armed == Some(deadline) {
            return;
        }
        self.armed = Some(deadline);
        let at = self.epoch + Duration::from_millis(deadline.0);
        ctx.pipe_to_self(tokio::time::sleep_until(at), |()| Tick);
    }
}
