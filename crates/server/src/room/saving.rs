//! Durable before announced: while a won round is being saved, the room holds every push —
//! the win, the next round, a departure — and releases them in order once the recorder has
//! answered (see the room's module docs).
//!
//! The save is an ask to the recorder, which answers once the round's transaction is
//! committed (it keeps the reply slot until its group commit: `records.rs`). The room asks
//! with `ask_into`: the answer comes back as a [`Committed`] message in its own mailbox, with
//! no task per win (the task a save had woke a parked worker to run on, each win; without it
//! a guess costs ~4% less CPU: docs/PERFORMANCE.md §3). The ask has no deadline of its own;
//! the room bounds its wait with one timer ([`COMMIT_TIMEOUT`]) and, past it, announces the
//! win as unconfirmed and still listens for the late answer. In a cluster the save first
//! waits for the room's claim, in a task (`fenced_save`), while that claim is not settled.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use referee_actor::{AskError, Context, Handler, Message, ReplyTo, Timeout};
use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::{PlayerId, Render};
use referee_store::{Credit, RoundResult};
use tokio::time::Instant;

use super::Room;
use super::recording::Unwritten;
use crate::cluster::claims::RoomClaim;
use crate::outbox::Frame;
use crate::records::{RecorderHandle, Save, StorageFailed, UnwrittenLog, now_ms};
use crate::seating::Seating;

/// How long a room holds a win's announcement waiting for the recorder, at most. Past it the
/// announcement goes out with an error line: a stuck disk must not freeze the game.
pub(super) const COMMIT_TIMEOUT: Duration = Duration::from_secs(30);

/// A fenced save's ask to the recorder, still running: what it will come to.
type FencedSave = Pin<Box<dyn Future<Output = Result<(), StorageFailed>> + Send>>;

/// Asks the recorder to save `result` fenced with the room's claim (in a cluster) once the
/// claim taken when the room opened is settled; a room that did not win its claim saves
/// nothing (a fenced failure). Runs in a task of its own (`pipe_to_self`): only while the
/// claim is still being taken, or was lost.
fn fenced_save(
    recorder: RecorderHandle,
    result: RoundResult,
    log: Option<Box<dyn UnwrittenLog>>,
    claim: RoomClaim,
) -> FencedSave {
    Box::pin(async move {
        let Some(fence) = claim.fence().await else {
            return Err(StorageFailed::fenced("the room has no claim"));
        };
        let save = Save {
            result,
            log,
            fence: Some(fence),
        };
        answered(recorder.ask_with(save, Timeout::Never).await)
    })
}

/// The recorder's answer to a save, or why it gave none.
fn answered<M>(
    answer: Result<Result<(), StorageFailed>, AskError<M>>,
) -> Result<(), StorageFailed> {
    answer.unwrap_or_else(|err| {
        Err(StorageFailed::new(format!(
            "the recorder did not answer: {err}"
        )))
    })
}

/// Which save an answer is for: this instance's restart count and its own count of saves.
/// Not the round: a referee restarted from a checkpoint taken before a win may win that
/// round again while the first save's answer is still on its way.
pub(crate) type SaveId = (u32, u64);

/// A win sent to the recorder whose answer the room still waits for.
pub(super) struct PendingWin {
    id: SaveId,
    round: u64,
    winner: PlayerId,
    /// Past it, the win is announced as unconfirmed ([`COMMIT_TIMEOUT`]).
    due: Instant,
}

/// Frames a room holds at most while a win is being saved. Past it, what may be missed
/// (chat, others' moves) is dropped and a member who would need more is disconnected, as a
/// slow reader is: memory stays bounded whatever the disk does.
pub(super) const MAX_HELD: usize = 4096;

/// What waits while a win is being saved, in order.
pub(super) enum Held {
    Frame {
        player: PlayerId,
        frame: Frame,
        may_drop: bool,
    },
    /// A member's `Leave` from a seating (`seating.rs`): carried out in order, after the
    /// frames meant for them, if that seating still holds the seat; its asker is answered
    /// then.
    Departure(PlayerId, Option<Seating>, Departed),
}

/// Whoever waits for a departure to be done: a local `Leave`'s asker, or a remote one's
/// (`wire/`), whose reply is the wire's own type.
pub(crate) enum Departed {
    Local(ReplyTo<bool>),
    Remote(ReplyTo<super::wire::Answered>),
}

impl Departed {
    /// Answers the asker (who may have stopped waiting: nothing more to do then).
    pub(crate) fn send(self, seated: bool) {
        let _ = match self {
            Departed::Local(gone) => gone.send(seated).map_err(drop),
            Departed::Remote(gone) => {
                let left = super::wire::Answered {
                    reply: super::wire::RoomReply::Left(seated),
                    pushed: None,
                };
                gone.send(left).map_err(drop)
            }
        };
    }
}

/// The recorder's answer for a won round. Releases the held pushes once no other save is
/// pending. What the winner is told about the save comes *after* the win's announcement, as
/// the protocol documents. An answer that comes after its wait ran out ([`CommitDeadline`])
/// only tells the winner if the win was lost.
pub(crate) struct Committed {
    pub(crate) id: SaveId,
    pub(crate) round: u64,
    pub(crate) winner: PlayerId,
    pub(crate) outcome: Result<(), StorageFailed>,
}

impl Message for Committed {
    type Reply = ();
}

impl<G: Render> Handler<Committed> for Room<G> {
    fn handle(&mut self, committed: Committed, ctx: &mut Context<Self>) {
        let Committed {
            id,
            round,
            winner,
            outcome,
        } = committed;
        let Some(at) = self.saves.iter().position(|win| win.id == id) else {
            return self.answered_late(round, winner, outcome, ctx);
        };
        self.saves.remove(at);
        let saved = outcome.is_ok();
        let notice = match outcome {
            Ok(()) => None,
            Err(err) if err.fenced => return self.close_lost(ctx),
            Err(err) => Some(self.lost(round, &err)),
        };
        if self.saves.is_empty() {
            self.release();
        }
        // After the release: the win's announcement goes out first. With another save still
        // pending, the notice is held behind the announcement, in order, all the same.
        if let Some(notice) = notice {
            self.tell(winner, &notice, None);
        }
        self.settle(ctx);
        if saved {
            self.offer_snapshot(round);
        }
    }
}

/// The room's commit timer ran out: wins still unanswered past [`COMMIT_TIMEOUT`] are
/// announced as unconfirmed (their answer may still come, as a late [`Committed`]).
pub(crate) struct CommitDeadline;

impl Message for CommitDeadline {
    type Reply = ();
}

impl<G: Render> Handler<CommitDeadline> for Room<G> {
    fn handle(&mut self, _: CommitDeadline, ctx: &mut Context<Self>) {
        self.commit_timer = false;
        let now = Instant::now();
        let mut overdue = Vec::new();
        while self.saves.front().is_some_and(|win| win.due <= now) {
            overdue.extend(self.saves.pop_front());
        }
        if !overdue.is_empty() {
            if self.saves.is_empty() {
                self.release();
            }
            for win in overdue {
                let round = win.round;
                tracing::warn!(room = self.label.id, round, "win not confirmed in time");
                let notice = Notice::error(
                    ErrorCode::Unconfirmed,
                    format_args!(
                        "round {round} is not confirmed saved yet (the store has not answered \
                         within {}s); you will be told if it is lost",
                        COMMIT_TIMEOUT.as_secs()
                    ),
                );
                self.tell(win.winner, &notice, None);
            }
            self.settle(ctx);
        }
        self.arm_commit_timer(ctx);
    }
}

impl<G: Render> Room<G> {
    /// A save answered after its wait ran out (or after the referee restarted): the winner
    /// hears only if it was lost.
    fn answered_late(
        &mut self,
        round: u64,
        winner: PlayerId,
        outcome: Result<(), StorageFailed>,
        ctx: &Context<Self>,
    ) {
        match outcome {
            Ok(()) => tracing::info!(
                room = self.label.id,
                round,
                "win saved after its wait ran out (or across a restart)"
            ),
            Err(err) if err.fenced => return self.close_lost(ctx),
            Err(err) => {
                let notice = self.lost(round, &err);
                self.tell(winner, &notice, None);
            }
        }
        self.settle(ctx);
    }

    /// Arms the commit timer for the oldest unanswered save, unless it is armed: one timer
    /// per room, however many wins it saves (re-armed when it fires and saves are pending).
    fn arm_commit_timer(&mut self, ctx: &Context<Self>) {
        if self.commit_timer {
            return;
        }
        let Some(first) = self.saves.front() else {
            return;
        };
        self.commit_timer = true;
        ctx.pipe_to_self(tokio::time::sleep_until(first.due), |()| CommitDeadline);
    }
}

impl<G: Render> Room<G> {
    /// The winner's notice for a round that could not be saved (logged here).
    fn lost(&self, round: u64, err: &StorageFailed) -> Notice {
        tracing::error!(room = self.label.id, round, %err, "win not saved");
        Notice::error(
            ErrorCode::Storage,
            format_args!("round {round} could not be saved ({err}); it counts in this room only"),
        )
    }
}

impl<G: Render> Room<G> {
    /// Sends everything held, in order, once no save is pending any more.
    pub(super) fn release(&mut self) {
        while let Some(held) = self.held_frames.pop_front() {
            match held {
                Held::Frame {
                    player,
                    frame,
                    may_drop,
                } => self.send(player, frame, may_drop),
                Held::Departure(player, from, gone)
                    if self.holds(player, from.as_ref(), "leave") =>
                {
                    self.depart(player, gone);
                }
                Held::Departure(_, _, gone) => gone.send(false),
            }
        }
    }

    /// A member leaves: the others are told, the seat goes back to the lobby, and whoever
    /// asked learns that everything meant for the leaver has been handed over.
    pub(super) fn depart(&mut self, player: PlayerId, gone: Departed) {
        if let Some(member) = self.remove(player) {
            let left = Notice::MemberLeft {
                player,
                name: member.name,
            };
            self.tell_all(None, &left);
        }
        gone.send(true);
    }

    /// Sends a won round to the recorder and holds pushes until it is committed.
    pub(super) fn save(&mut self, won: referee_rules::Outcome, ctx: &Context<Self>) {
        // The match this outcome decided (`recording.rs`), saved with it.
        let finished = self.finished.take();
        let (Some(recorder), Some((winner, named))) = (&self.recorder, self.record_as(won.winner))
        else {
            return;
        };
        // Written by the recorder, off this task (`records.rs`, `UnwrittenLog`).
        let log = finished.map(|mut finished| {
            for seated in self.members.seated() {
                finished.names.insert(seated.player, seated.name);
            }
            Box::new(Unwritten {
                finished,
                round: won.round,
            }) as Box<dyn UnwrittenLog>
        });
        let result = RoundResult {
            // The game this room plays ("guess", "dice"): the leaderboards are per game.
            game: self.game.game().into(),
            // The recorder gives it one unique across runs and servers (`records.rs`).
            key: String::new(),
            room: self.label.id,
            round: won.round,
            winner,
            // A bot's win is recorded, never on the leaderboard.
            named,
            guesses: won.moves,
            won_at_ms: now_ms(),
            log: None,
            // A point per decided round or match (`referee_rules::Score`): what a room
            // restored from a snapshot taken before this commit gives again.
            credit: Some(Credit {
                player: won.winner.0,
                points: 1,
            }),
        };
        let (round, winner) = (won.round, won.winner);
        self.saved_count += 1;
        let id = (ctx.restarts(), self.saved_count);
        let into = move |outcome| Committed {
            id,
            round,
            winner,
            outcome,
        };
        // No claim to wait for (a server on its own, or a cluster room whose claim is won):
        // the answer comes back as a message, with no task and no channel per win.
        let fence = match &self.claim {
            None => Ok(None),
            Some(claim) => claim.settled().map(Some).ok_or_else(|| claim.clone()),
        };
        match fence {
            Ok(fence) => {
                let save = Save { result, log, fence };
                ctx.ask_into(recorder, save, move |answer| into(answered(answer)));
            }
            Err(claim) => {
                ctx.pipe_to_self(fenced_save(recorder.clone(), result, log, claim), into);
            }
        }
        self.saves.push_back(PendingWin {
            id,
            round,
            winner,
            due: Instant::now() + COMMIT_TIMEOUT,
        });
        self.arm_commit_timer(ctx);
    }
}
