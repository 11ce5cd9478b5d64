//! The messages a room's referee handles. Each handler is a rule call plus pushes.

use referee_actor::{Answer, Context, Handler, Message, ReplyTo};
use referee_protocol::notice::{ErrorCode, NamedScore, Notice, RoomLabel};
use referee_rules::{LogEntry, Millis, PlayerId, Render};

use super::saving::Departed;
use super::{Member, Room, shown_game};
use crate::ids::default_name;
use crate::outbox::Outbox;
use crate::seating::{Seating, speaks_for};

/// Sit down in the room. The joiner is told who is there and what the game is at; the others
/// are told someone joined.
pub(crate) struct Join {
    pub(crate) player: PlayerId,
    pub(crate) name: String,
    /// The player chose this name (see `Member::named`).
    pub(crate) named: bool,
    pub(crate) outbox: Outbox,
    pub(crate) feed: bool,
    /// The request this answers (JSON clients match it).
    pub(crate) re: Option<u64>,
}

/// Why a join was refused. The seat the lobby reserved was not taken: the joiner gives it
/// back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum JoinError {
    #[error("the room is full")]
    Full,
    #[error("you are already in this room")]
    AlreadySeated,
}

impl JoinError {
    /// The error's code in the JSON protocol.
    pub(crate) fn code(self) -> ErrorCode {
        match self {
            JoinError::Full => ErrorCode::RoomFull,
            JoinError::AlreadySeated => ErrorCode::AlreadyThere,
        }
    }
}

/// A successful join: where, and the round the room is in (the round a plain guess is for
/// until the player is shown another).
#[derive(Debug, Clone)]
pub(crate) struct Joined {
    pub(crate) round: u64,
}

impl Message for Join {
    type Reply = Result<Joined, JoinError>;
}

impl<G: Render> Handler<Join> for Room<G> {
    fn handle(&mut self, join: Join, ctx: &mut Context<Self>) -> Result<Joined, JoinError> {
        if self.members.contains(join.player) {
            return Err(JoinError::AlreadySeated);
        }
        if self.members.len() >= self.capacity {
            return Err(JoinError::Full);
        }
        let player = join.player;
        // A spectator who sits down stops being one (the others hear that they joined).
        self.members.unwatch(player);
        // Two players who look alike may not sit together: the newcomer plays under their
        // number here, and off the record.
        let clash = self.members.name_clashes(player, &join.name);
        let taken = clash.then(|| name_taken(&join.name, player));
        let (name, named) = if clash {
            (default_name(player), false)
        } else {
            (join.name, join.named)
        };
        if self.label.code.is_some() {
            // The first to sit in a private room opened it.
            self.members.claim(player);
        }
        let joined = Notice::MemberJoined {
            player,
            name: name.clone(),
        };
        self.tell_all(Some(player), &joined);
        let now = self.now();
        self.recording.name(player, &name);
        let events = self.step_surely(LogEntry::Seat { player, at: now });
        self.pending.extend(events);
        (self.game_changed, self.members_changed) = (true, true);
        let member = Member {
            name,
            outbox: join.outbox,
            feed: join.feed,
            named,
            away: false,
            restored: false,
            held_until: None,
            reach: None,
        };
        self.members.insert(player, member);
        if let Some(taken) = taken {
            self.tell(player, &taken, join.re);
        }
        self.welcome(player, join.re);
        self.settle(ctx);
        // A cluster node saves who sits here: if the node dies, the room comes back on
        // another with this seat held for its player.
        self.offer_snapshot(self.game.round());
        Ok(Joined {
            round: self.game.round(),
        })
    }
}

/// What a player hears whose chosen name clashes with someone seated (`Join`, `Rename`).
fn name_taken(name: &str, player: PlayerId) -> Notice {
    Notice::error(
        ErrorCode::NameTaken,
        format_args!(
            "the name {name} is taken in this room (or looks like one that is); you are {} here",
            default_name(player)
        ),
    )
}

impl<G: Render> Room<G> {
    /// Tells a player who (re)joined where they are and where the game stands.
    pub(super) fn welcome(&mut self, player: PlayerId, re: Option<u64>) {
        let welcome = Notice::Joined {
            game: shown_game(&self.game),
            room: self.label.clone(),
            members: self.members.seated(),
            capacity: self.capacity,
        };
        self.tell(player, &welcome, re);
        self.show_state(player, re);
    }
}

/// Stand up. The others are told; the seat goes back to the lobby. While a win is being
/// saved the departure waits its turn, after the frames meant for the leaver (so that a
/// player who wins and quits at once still hears that they won): the answer comes when the
/// departure is done.
pub(crate) struct Leave {
    pub(crate) player: PlayerId,
    /// The seating the leave speaks for (`seating.rs`): a connection that no longer holds
    /// the seat frees nothing. `None`: whoever holds it.
    pub(crate) from: Option<Seating>,
}

impl Message for Leave {
    /// Whether the player was seated.
    type Reply = bool;
}

impl<G: Render> Answer<Leave> for Room<G> {
    fn answer(&mut self, leave: Leave, gone: ReplyTo<bool>, ctx: &mut Context<Self>) {
        self.leave(
            leave.player,
            leave.from.as_ref(),
            Departed::Local(gone),
            ctx,
        );
    }
}

impl<G: Render> Room<G> {
    /// `Leave`, for a local or a remote asker (`wire/`), from seating `from` (`None`: from
    /// whoever holds the seat).
    pub(super) fn leave(
        &mut self,
        player: PlayerId,
        from: Option<&Seating>,
        gone: Departed,
        ctx: &mut Context<Self>,
    ) {
        if !self.holds(player, from, "leave") {
            gone.send(false);
        } else if !self.saves.is_empty() {
            self.held_frames
                .push_back(super::saving::Held::Departure(player, from.cloned(), gone));
        } else {
            self.depart(player, gone);
            self.settle(ctx);
        }
    }
}

impl<G: Render> Room<G> {
    /// Whether `player` is seated here, held by seating `from` (or by a holder nobody knows);
    /// a departure (`what`) from another seating is logged, and changes nothing.
    pub(super) fn holds(&self, player: PlayerId, from: Option<&Seating>, what: &str) -> bool {
        let Some(member) = self.members.get(player) else {
            return false;
        };
        let holder = member.outbox.seating();
        let held = speaks_for(from, holder.as_ref());
        if !held {
            tracing::info!(
                room = self.label.id,
                %player,
                ?from,
                ?holder,
                "{what}: a departure from a seating that no longer holds the seat; ignored"
            );
        }
        held
    }
}

/// A move: the rules decide, everyone concerned hears the outcome.
pub(crate) struct Act<G: Render> {
    pub(crate) player: PlayerId,
    /// The last round the player was shown (see `Frame::round`).
    pub(crate) seen_round: u64,
    pub(crate) action: G::Action,
    /// The request this answers (JSON clients match it).
    pub(crate) re: Option<u64>,
}

impl<G: Render> Message for Act<G> {
    /// The rules' verdict. The player has already been told, in order with everything else
    /// the room pushed to them.
    type Reply = Result<(), G::Rejection>;
}

impl<G: Render> Handler<Act<G>> for Room<G> {
    fn handle(&mut self, act: Act<G>, ctx: &mut Context<Self>) -> Result<(), G::Rejection> {
        if self.leaving {
            // Handed over: the game goes on on another node; this player is being told `bye`.
            return Ok(());
        }
        let now = self.now();
        let outcome = self.step(LogEntry::Act {
            player: act.player,
            seen_round: act.seen_round,
            action: act.action,
            at: now,
        });
        match &outcome {
            Ok(events) => self.announce(events, (act.player, act.re), ctx),
            Err(rejection) => self.reject(act.player, rejection, act.re),
        }
        self.settle(ctx);
        outcome.map(drop)
    }
}

/// A chat line for everyone in the room (the sender included). Fire-and-forget.
pub(crate) struct Chat {
    pub(crate) player: PlayerId,
    /// Already cleaned of control characters and bounded.
    pub(crate) text: String,
    /// The request this answers: the sender's own copy carries it (JSON clients match it).
    pub(crate) re: Option<u64>,
}

impl Message for Chat {
    type Reply = ();
}

impl<G: Render> Handler<Chat> for Room<G> {
    fn handle(&mut self, chat: Chat, ctx: &mut Context<Self>) {
        if !self.members.contains(chat.player) {
            return;
        }
        let notice = Notice::Chat {
            player: chat.player,
            from: self.members.name(chat.player),
            message: chat.text,
        };
        // Others may miss a chat line if they read too slowly; the sender gets theirs back.
        self.tell_all_optional(Some(chat.player), &notice);
        self.tell(chat.player, &notice, chat.re);
        self.settle(ctx);
    }
}

/// A new display name.
pub(crate) struct Rename {
    pub(crate) player: PlayerId,
    pub(crate) name: String,
    /// The request this answers (JSON clients match it).
    pub(crate) re: Option<u64>,
}

/// The name is, or looks like, that of another seated player: nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct NameTaken;

impl Message for Rename {
    type Reply = Result<(), NameTaken>;
}

impl<G: Render> Handler<Rename> for Room<G> {
    fn handle(&mut self, rename: Rename, ctx: &mut Context<Self>) -> Result<(), NameTaken> {
        if self.members.name_clashes(rename.player, &rename.name) {
            let taken = Notice::error(
                ErrorCode::NameTaken,
                format_args!(
                    "the name {} is taken in this room (or looks like one that is)",
                    rename.name
                ),
            );
            self.tell(rename.player, &taken, rename.re);
            return Err(NameTaken);
        }
        let Some(member) = self.members.get_mut(rename.player) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut member.name, rename.name.clone());
        member.named = true;
        self.recording.name(rename.player, &rename.name);
        (self.game_changed, self.members_changed) = (true, true);
        let notice = Notice::Renamed {
            player: rename.player,
            old,
            new: rename.name.clone(),
        };
        self.tell_all(Some(rename.player), &notice);
        let set = Notice::NameSet { name: rename.name };
        self.tell(rename.player, &set, rename.re);
        self.settle(ctx);
        Ok(())
    }
}

/// Makes the referee panic: a fault injected on purpose, to test supervision. Only sent when
/// the server allows faults (`ServerConfig::allow_faults`), never in normal play.
pub(crate) struct Crash;

impl Message for Crash {
    type Reply = ();
}

impl<G: Render> Handler<Crash> for Room<G> {
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        // Half a change, as a real bug would leave it: the checkpoint does not have it.
        self.game
            .remove_player(PlayerId(u64::MAX), Millis::ZERO, &mut self.recording.rng);
        panic!(
            "injected fault: the referee of {} crashed on purpose",
            self.label
        );
    }
}

/// "What are the scores?" — the seed's request–response. Only for someone in the room
/// (seated or watching): a spectator sent away reads nothing more.
pub(crate) struct GetScores(pub(crate) PlayerId);

impl Message for GetScores {
    type Reply = Option<(RoomLabel, Vec<NamedScore>)>;
}

impl<G: Render> Handler<GetScores> for Room<G> {
    fn handle(
        &mut self,
        get: GetScores,
        _: &mut Context<Self>,
    ) -> Option<(RoomLabel, Vec<NamedScore>)> {
        self.members
            .is_in(get.0)
            .then(|| (self.label.clone(), self.named_scores()))
    }
}

impl<G: Render> Room<G> {
    /// The scoreboard, with names.
    pub(super) fn named_scores(&self) -> Vec<NamedScore> {
        self.game
            .scores()
            .into_iter()
            .map(|score| NamedScore {
                player: score.player,
                name: self.members.name(score.player),
                points: score.points,
            })
            .collect()
    }
}
