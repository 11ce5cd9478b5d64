//! Durable before announced: while a won round is being saved, the room holds every push —
//! the win, the next round, a departure — and releases them in order once the recorder has
//! answered (see the room's module docs).
//!
//! The save is an ask to the recorder, which answers once the round's transaction is
//! committed (it keeps the reply slot until its group commit: `records.rs`). The ask has no
//! deadline of its own; the room bounds its wait ([`COMMIT_TIMEOUT`]) and, past it, announces
//! the win as unconfirmed and goes on listening for the late answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use referee_actor::{Context, Handler, Message, ReplyTo, Timeout};
use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::{PlayerId, Render};
use referee_store::{Credit, RoundResult};

use super::Room;
use super::recording::Unwritten;
use crate::cluster::claims::RoomClaim;
use crate::outbox::Frame;
use crate::records::{RecorderHandle, Save, StorageFailed, UnwrittenLog, now_ms};
use crate::seating::Seating;

/// How long a room holds a win's announcement waiting for the recorder, at most. Past it the
/// announcement goes out with an error line: a stuck disk must not freeze the game.
pub(super) const COMMIT_TIMEOUT: Duration = Duration::from_secs(30);

/// A save's ask to the recorder, still running: what it will come to.
pub(crate) type PendingSave = Pin<Box<dyn Future<Output = Result<(), StorageFailed>> + Send>>;

/// Asks the recorder to save `result`. The ask itself has no deadline — a save that takes
/// long may still be committed, and its winner is told if it then fails — so the room
/// bounds its own wait with [`wait_for_commit`].
///
/// In a cluster the save first waits for the room's claim (taken when the room opened) and
/// is fenced with it; a room without a claim saves nothing (a fenced failure).
fn ask_save(
    recorder: RecorderHandle,
    result: RoundResult,
    log: Option<Box<dyn UnwrittenLog>>,
    claim: Option<RoomClaim>,
) -> PendingSave {
    Box::pin(async move {
        let fence = match claim {
            Some(claim) => match claim.fence().await {
                Some(fence) => Some(fence),
                None => return Err(StorageFailed::fenced("the room has no claim")),
            },
            None => None,
        };
        match recorder
            .ask_with(Save { result, log, fence }, Timeout::Never)
            .await
        {
            Ok(outcome) => outcome,
            Err(err) => Err(StorageFailed::new(format!(
                "the recorder did not answer: {err}"
            ))),
        }
    })
}

/// Waits for the recorder's answer, at most [`COMMIT_TIMEOUT`]: past it the save is still
/// queued, and the rest of its ask is handed back to wait for without holding anything.
async fn wait_for_commit(mut saved: PendingSave) -> Outcome {
    match tokio::time::timeout(COMMIT_TIMEOUT, &mut saved).await {
        Ok(Ok(())) => Outcome::Saved,
        Ok(Err(err)) if err.fenced => Outcome::Fenced,
        Ok(Err(err)) => Outcome::Failed(err),
        Err(_) => Outcome::Unconfirmed(saved),
    }
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

/// How the wait for a won round's commit ended.
pub(crate) enum Outcome {
    /// Committed: the win is durable.
    Saved,
    /// The store failed: the win is not on record.
    Failed(StorageFailed),
    /// The room's claim no longer holds (a cluster node lost it): the win is not on record,
    /// is never announced, and the room closes.
    Fenced,
    /// No answer within `COMMIT_TIMEOUT`: the save is still queued and may yet be committed.
    /// This is the rest of its ask.
    Unconfirmed(PendingSave),
}

/// The recorder's answer for a won round (or the end of the wait for it). Releases the held
/// pushes once no other save is pending. What the winner is told about the save comes
/// *after* the win's announcement, as the protocol documents.
pub(crate) struct Committed {
    pub(crate) round: u64,
    pub(crate) winner: PlayerId,
    pub(crate) outcome: Outcome,
}

impl Message for Committed {
    type Reply = ();
}

impl<G: Render> Handler<Committed> for Room<G> {
    fn handle(&mut self, committed: Committed, ctx: &mut Context<Self>) {
        self.held = self.held.saturating_sub(1);
        let (round, winner) = (committed.round, committed.winner);
        let saved = matches!(committed.outcome, Outcome::Saved);
        let notice = match committed.outcome {
            Outcome::Saved => None,
            Outcome::Fenced => return self.close_lost(ctx),
            Outcome::Failed(err) => Some(self.lost(round, &err)),
            Outcome::Unconfirmed(late) => {
                tracing::warn!(room = self.label.id, round, "win not confirmed in time");
                ctx.pipe_to_self(late, move |outcome| LateOutcome {
                    round,
                    winner,
                    outcome,
                });
                Some(Notice::error(
                    ErrorCode::Unconfirmed,
                    format_args!(
                        "round {round} is not confirmed saved yet (the store has not answered \
                         within {}s); you will be told if it is lost",
                        COMMIT_TIMEOUT.as_secs()
                    ),
                ))
            }
        };
        if self.held == 0 {
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

/// The answer for a save that was not confirmed in time, when it finally comes.
pub(crate) struct LateOutcome {
    pub(crate) round: u64,
    pub(crate) winner: PlayerId,
    pub(crate) outcome: Result<(), StorageFailed>,
}

impl Message for LateOutcome {
    type Reply = ();
}

impl<G: Render> Handler<LateOutcome> for Room<G> {
    fn handle(&mut self, late: LateOutcome, ctx: &mut Context<Self>) {
        match late.outcome {
            Ok(()) => tracing::info!(room = self.label.id, round = late.round, "late win saved"),
            Err(err) if err.fenced => return self.close_lost(ctx),
            Err(err) => {
                let notice = self.lost(late.round, &err);
                self.tell(late.winner, &notice, None);
            }
        }
        self.settle(ctx);
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
        let saved = ask_save(recorder.clone(), result, log, self.claim.clone());
        self.held += 1;
        let (round, winner) = (won.round, won.winner);
        ctx.pipe_to_self(wait_for_commit(saved), move |outcome| Committed {
            round,
            winner,
            outcome,
        });
    }
}
