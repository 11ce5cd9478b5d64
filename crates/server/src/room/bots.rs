//! Bots at the table (`referee serve --dice-bots`): kept inside the room actor, since a bot
//! is nothing but a seat the rules know and a timer the room arms.
//!
//! The rules decide when bots sit and stand (`Game::seats_for_bots`, `Game::seat_bots`,
//! `Game::bots`): as a start countdown ends with seats empty and a human seated, the room
//! mints bot ids ([`crate::ids::bot_id`]) and seats them before the rules' timeout step. When
//! a bot's turn comes, the room arms one timer for a short think delay on the room clock
//! (tokio time, so paused time drives it in tests); when it fires and it is still that bot's
//! same turn, the bot's move is `Game::bot_action` of the bot's own view — never more — and
//! goes through `Game::apply` exactly as a player's does: same turn clock, same rejections.
//!
//! A bot is no member: it has no connection, takes no seat in the lobby's count, and keeps
//! nothing alive. The rules stand the bots up when the last human leaves.

use std::time::Duration;

use referee_actor::{Context, Handler, Message};
use referee_rules::{LogEntry, Millis, PlayerId, Render, Turn, Viewer};

use super::{NOBODY, Room};
use crate::ids::{bot_id, default_name, is_bot};

/// The longest a bot thinks before acting.
const THINK_AT_MOST: Duration = Duration::from_millis(1_200);

/// The share of the time left on its turn clock a bot takes to think, at most
/// [`THINK_AT_MOST`]: a bot never lets the clock play for it.
const THINK_SHARE: u64 = 20;

/// A bot's think delay ended: let it play the turn it was thinking about.
pub(crate) struct BotTurn {
    bot: PlayerId,
    /// The turn's deadline when the bot started thinking: a turn that moved on meanwhile
    /// (the clock played, a forfeit) is not the bot's to play any more.
    deadline: Option<Millis>,
}

impl Message for BotTurn {
    type Reply = ();
}

impl<G: Render> Handler<BotTurn> for Room<G> {
    fn handle(&mut self, turn: BotTurn, ctx: &mut Context<Self>) {
        self.bot_turn = None;
        if self.leaving {
            // Handed over: the new host plays the bot's turn.
            return;
        }
        let still = self.game.turn() == Turn::Player(turn.bot)
            && self.game.deadline() == turn.deadline
            && self.game.bots().contains(&turn.bot);
        if still {
            self.play_bot(turn.bot, ctx);
        }
        self.settle(ctx);
    }
}

impl<G: Render> Room<G> {
    /// Before the rules' timeout step: bots take the seats still empty as a countdown ends.
    pub(super) fn seat_bots(&mut self, now: Millis, ctx: &Context<Self>) {
        let seats = self.game.seats_for_bots(now);
        if seats == 0 {
            return;
        }
        let bots: Vec<PlayerId> = (1..=seats).map(|k| bot_id(self.label.id, k)).collect();
        // A step of the match like any other: logged, drawing from the match's RNG.
        let events = self.step_surely(LogEntry::SeatBots { bots, at: now });
        if !events.is_empty() {
            self.announce(&events, (NOBODY, None), ctx);
        }
    }

    /// After every message: if a bot is to act, start its think delay (once per turn).
    pub(super) fn prompt_bot(&mut self, ctx: &Context<Self>) {
        let Turn::Player(bot) = self.game.turn() else {
            return;
        };
        let deadline = self.game.deadline();
        if !is_bot(bot) || self.bot_turn == Some((bot, deadline)) {
            return;
        }
        if !self.game.bots().contains(&bot) {
            return;
        }
        self.bot_turn = Some((bot, deadline));
        let left = deadline.map_or(0, |deadline| deadline.0.saturating_sub(self.now().0));
        let think = Duration::from_millis(left / THINK_SHARE).min(THINK_AT_MOST);
        ctx.pipe_to_self(tokio::time::sleep(think), move |()| BotTurn {
            bot,
            deadline,
        });
    }

    /// `bot` plays what it chooses from its own view, through the rules like anyone.
    fn play_bot(&mut self, bot: PlayerId, ctx: &Context<Self>) {
        let view = self.game.view(Viewer::Player(bot));
        // The bot's choice draws from the room's RNG, not the match's: a replay needs the
        // move (logged), not how the bot came to it.
        let Some(action) = G::bot_action(&view, bot, &mut self.seeds) else {
            return;
        };
        let entry = LogEntry::Act {
            player: bot,
            seen_round: self.game.round(),
            action,
            at: self.now(),
        };
        match self.step(entry) {
            Ok(events) => self.announce(&events, (NOBODY, None), ctx),
            Err(rejection) => {
                tracing::warn!(room = self.label.id, %bot, %rejection, "a bot's move was refused");
            }
        }
    }

    /// How a won match is recorded: a member's name (on the leaderboard if they chose it), or
    /// a bot's, never on the leaderboard. `None`: nobody to record.
    pub(super) fn record_as(&self, winner: PlayerId) -> Option<(String, bool)> {
        match self.members.get(winner) {
            Some(member) => Some((member.name.clone(), member.named)),
            None if is_bot(winner) => Some((default_name(winner), false)),
            None => None,
        }
    }
}
