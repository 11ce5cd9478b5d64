//! A room as a snapshot: what carries a room to another node, and the room it comes back as.
//!
//! A [`RoomSnapshot`] holds everything a room needs to go on elsewhere: its label, capacity and
//! config, the game's whole state (secrets included), the game clock, the seated players (number,
//! name, whether they chose it, whether they follow the feed; never a connection or a token), who
//! owns a private room, and the match in play's recording (its log so far, its seed and where
//! its RNG stands). It is JSON with a `version`, read back only by a build that reads that
//! version and plays that game; anything else is refused with a [`SnapshotError`].
//!
//! The host asks for one with [`TakeSnapshot`], which the referee answers between two messages
//! — so a snapshot is always a consistent state, never half a move. While a won round is still
//! being saved the referee refuses ([`SnapshotError::Saving`]): the win is not durable yet, and
//! a snapshot must never hold a round its announcement has not reached.
//!
//! A room comes back from a snapshot ([`Room::spawn_from`]) in one of two ways ([`Resume`]):
//!
//! - **Handover** (a node leaving gracefully): the game goes on exactly — same round, same
//!   secret, same turn. Game time resumes where the snapshot took it, so every deadline has the
//!   time it had left. The recording goes on drawing from the same RNG position and logging
//!   into the same log: the match replays to its recorded hash.
//! - **Failover** (the old node died; its last snapshot may be stale, and its secret was on a
//!   node nobody trusts any more): the round or hand in play is voided (`Game::void_round`,
//!   fresh randomness from the new node) and a new recorded match starts from the state after
//!   the void. Points of finished rounds stay. Each player is told, as they rejoin, with
//!   `round_voided` (docs/protocol.md).
//!
//! Either way nobody is connected when the room comes back: every seat is away, held as a
//! dropped connection's is. A player who rejoins (`Rejoin`) gets it back; the room itself frees
//! the seats still empty when their hold ends (`held.rs`): a seat whose player had left before
//! the snapshot keeps the deadline it had (`SeatSnapshot::held_until_ms`), any other is held
//! for the reconnect window from the restore (at least `held::SEAT_BACK`).
//! Spectators are carried only as where to tell them (`RoomSnapshot::watchers`: those watching
//! from another node): the new host tells each that the room is back, and their session
//! watches it again there (`wire/back.rs`, `session/watching.rs`).
//!
//! A snapshot is as secret as the database that stores it (it holds the round's secret): never
//! served by any endpoint, never sent to a player.

use std::time::Duration;

use crate::queue;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{Game, Millis, PlayerId, Render};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::held;
use super::members::{Member, Members};
use super::recording::{Recording, SavedRecording};
use super::supervision::Checkpoint;
use super::{Room, RoomHandle, RoomSetup};
use crate::kick::Kick;
use crate::outbox::Outbox;
use crate::seating::Seating;
use crate::tell::or_log;

/// The snapshot format this build writes and reads. A field added within a version is optional
/// (`SeatSnapshot::held_until_ms`): an older build of the same version ignores it, this one
/// reads its absence; the version changes only when an older reader must refuse.
pub(crate) const SNAPSHOT_VERSION: u32 = 1;

/// A room, whole, as JSON carries it to another node (see the module docs).
#[derive(Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub(crate) struct RoomSnapshot<G: Game> {
    /// [`SNAPSHOT_VERSION`] when written by this build.
    pub(crate) version: u32,
    /// The game the room plays (one of `G::games()`).
    pub(crate) game: String,
    /// The room's number.
    pub(crate) room: u64,
    /// A private room's code.
    pub(crate) code: Option<String>,
    pub(crate) capacity: usize,
    pub(crate) config: G::Config,
    /// The room's game clock when the snapshot was taken: game time resumes here.
    pub(crate) now: Millis,
    /// The game's whole state: round, scores, secret, turn, deadlines.
    pub(crate) state: G,
    /// The seated players, in seat order.
    pub(crate) seats: Vec<SeatSnapshot>,
    /// Who opened a private room (they alone say who watches).
    pub(crate) owner: Option<PlayerId>,
    /// Whether spectators may watch.
    pub(crate) watchable: bool,
    /// The spectators watching from other nodes (or restored and not back yet): where the
    /// node adopting the room tells each that it is back. Absent in snapshots written before
    /// they were kept: such spectators hear nothing more until they watch again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) watchers: Vec<WatcherSnapshot>,
    /// The match in play: its log so far, its seed and its RNG's position.
    pub(crate) recording: SavedRecording<G>,
}

/// One seated player, without their connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeatSnapshot {
    pub(crate) player: PlayerId,
    pub(crate) name: String,
    /// Chose their name: their wins go on the record (`Member::named`).
    pub(crate) named: bool,
    /// Follows the live feed.
    pub(crate) feed: bool,
    /// The player had left (their seat held for them): when the seat is freed, by the wall
    /// clock, in ms since 1970 (`held.rs`). Absent while they were connected, and in snapshots
    /// written before it was kept: such a seat is held for a fresh window when restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) held_until_ms: Option<u64>,
    /// A player seated from another node and connected (or restored and not back yet): the
    /// seating their session follows the room by (node run, connection, seat epoch), so that
    /// the node adopting the room can tell that session the room is back (`wire/back.rs`).
    /// Absent for a local or away player, and in snapshots written before it was kept: such
    /// a player is seated again at their next move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reach: Option<Seating>,
}

/// A spectator on another node, without their connection: who, and the seating their
/// session follows the room by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WatcherSnapshot {
    pub(crate) player: PlayerId,
    pub(crate) reach: Seating,
}

/// How a room comes back from its snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// The game goes on exactly where the snapshot left it.
    Handover,
    /// The round in play is voided and a new one drawn; finished rounds' points stay.
    Failover,
}

/// Why a snapshot could not be taken or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    #[error("room snapshot JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("room snapshot version {found} is not supported (this build reads {supported})")]
    Version { found: u32, supported: u32 },
    #[error("room snapshot is of game {found:?}, not one of {expected:?}")]
    WrongGame {
        expected: Vec<&'static str>,
        found: String,
    },
    #[error("room snapshot does not hold together: {0}")]
    Inconsistent(&'static str),
    #[error("a won round is still being saved; ask again once it is")]
    Saving,
}

/// The fields read first, before trusting the rest's shape.
#[derive(Deserialize)]
struct Header {
    version: u32,
    game: String,
}

impl<G: Game> RoomSnapshot<G> {
    /// The snapshot as JSON text (what `Store::save_snapshot` keeps).
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Json`] if the state cannot be written.
    pub(crate) fn to_json(&self) -> Result<String, SnapshotError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Reads a snapshot written by [`RoomSnapshot::to_json`], checking its version, its game
    /// and that its parts agree.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Json`] for unreadable text, [`SnapshotError::Version`] or
    /// [`SnapshotError::WrongGame`] for another format's or game's snapshot,
    /// [`SnapshotError::Inconsistent`] for parts that disagree.
    pub(crate) fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let header: Header = serde_json::from_str(text)?;
        if header.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version {
                found: header.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let expected = G::games();
        if !expected.contains(&header.game.as_str()) {
            return Err(SnapshotError::WrongGame {
                expected,
                found: header.game,
            });
        }
        let snapshot: Self = serde_json::from_str(text)?;
        snapshot.check()?;
        Ok(snapshot)
    }

    /// Whether the parts agree: the state and the match log are of the snapshot's game, the
    /// seats fit and are the game's.
    fn check(&self) -> Result<(), SnapshotError> {
        if self.state.game() != self.game || self.recording.game() != self.game {
            return Err(SnapshotError::Inconsistent("the state is of another game"));
        }
        if self.seats.len() > self.capacity {
            return Err(SnapshotError::Inconsistent("more seats than the room has"));
        }
        let in_game: Vec<PlayerId> = self.state.scores().iter().map(|s| s.player).collect();
        if self
            .seats
            .iter()
            .any(|seat| !in_game.contains(&seat.player))
        {
            return Err(SnapshotError::Inconsistent(
                "a seated player the game does not know",
            ));
        }
        Ok(())
    }

    /// The room's label.
    pub(crate) fn label(&self) -> RoomLabel {
        RoomLabel {
            id: self.room,
            code: self.code.clone(),
        }
    }

    /// The members as they come back: every seat away (no connection yet) and restored, held
    /// until its carried deadline or for `window` from now (`held::restored_until`).
    fn members(&self, window: Duration) -> Members {
        let now_ms = held::wall_ms();
        let mut members = Members::default();
        for seat in &self.seats {
            let member = Member {
                name: seat.name.clone(),
                outbox: nowhere(),
                feed: seat.feed,
                named: seat.named,
                away: true,
                restored: true,
                held_until: Some(held::restored_until(seat.held_until_ms, now_ms, window)),
                reach: seat.reach.clone(),
            };
            members.insert(seat.player, member);
        }
        if let Some(owner) = self.owner {
            members.claim(owner);
        }
        members.set_watchable(self.watchable);
        members.restore_watchers(
            self.watchers
                .iter()
                .map(|watcher| (watcher.player, watcher.reach.clone())),
        );
        members
    }
}

/// Where a seat's player can be told that the room is back, if anywhere: a restored seat's
/// carried seating until its player takes it back; else a connected player's seating through
/// NATS (a local player's connection dies with the host, an away one has none).
fn reach_of(member: &Member) -> Option<Seating> {
    if member.restored {
        return member.reach.clone();
    }
    if member.away {
        return None;
    }
    member
        .outbox
        .seating()
        .filter(|seating| seating.node.is_some())
}

/// An outbox no frame reaches: a restored seat's until its player rejoins (nothing is pushed
/// to an away member anyway).
fn nowhere() -> Outbox {
    let (tx, _rx) = queue::channel(1);
    Outbox::new(tx, Kick::default())
}

/// "Your whole state, as a snapshot": answered between two messages, as JSON text (the
/// tests' way in; a node handing a room over asks `HandOver`, which also stops it).
#[cfg(test)]
pub(crate) struct TakeSnapshot;

#[cfg(test)]
impl Message for TakeSnapshot {
    type Reply = Result<String, SnapshotError>;
}

#[cfg(test)]
impl<G: Render> Handler<TakeSnapshot> for Room<G> {
    fn handle(&mut self, _: TakeSnapshot, _: &mut Context<Self>) -> Result<String, SnapshotError> {
        self.snapshot()?.to_json()
    }
}

impl<G: Render> Room<G> {
    /// The room as it stands, unless a won round is still being saved.
    pub(super) fn snapshot(&self) -> Result<RoomSnapshot<G>, SnapshotError> {
        if !self.saves.is_empty() || self.finished.is_some() {
            return Err(SnapshotError::Saving);
        }
        let seats = self
            .members
            .members()
            .map(|(player, member)| SeatSnapshot {
                player,
                name: member.name.clone(),
                named: member.named,
                feed: member.feed,
                held_until_ms: member.held_until.filter(|_| member.away),
                reach: reach_of(member),
            })
            .collect();
        Ok(RoomSnapshot {
            version: SNAPSHOT_VERSION,
            game: self.game.game().to_owned(),
            room: self.label.id,
            code: self.label.code.clone(),
            capacity: self.capacity,
            config: self.recording.log.config.clone(),
            now: self.now(),
            state: self.game.clone(),
            seats,
            owner: self.members.owner(),
            watchable: self.members.watchable(),
            watchers: self
                .members
                .watcher_reaches()
                .into_iter()
                .map(|(player, reach)| WatcherSnapshot { player, reach })
                .collect(),
            recording: self.recording.saved(),
        })
    }

    /// The room of `snapshot`, spawned with `setup`'s links (lobby, recorder, census,
    /// reconnect window) and randomness; the snapshot's label, capacity and config win over
    /// `setup`'s. The lobby must count the snapshot's seats as taken: each one freed is
    /// reported to it.
    pub(crate) fn spawn_from(
        mut setup: RoomSetup<G>,
        snapshot: RoomSnapshot<G>,
        resume: Resume,
    ) -> RoomHandle<G> {
        setup.label = snapshot.label();
        setup.capacity = snapshot.capacity;
        setup.config = snapshot.config.clone();
        let epoch = epoch_for(snapshot.now);
        let members = snapshot.members(setup.reconnect_window);
        let (game, recording, failed_over) = match resume {
            Resume::Handover => (snapshot.state, snapshot.recording, None),
            Resume::Failover => {
                let round = snapshot.state.round();
                let (game, recording, anything) = void(
                    snapshot.state,
                    &snapshot.recording,
                    snapshot.now,
                    &mut setup.rng,
                );
                // Players are told their round was voided only if one was in play (a dice
                // table counting down between matches had none).
                let failed_over = if anything {
                    Failover::Voided(round)
                } else {
                    Failover::NothingInPlay
                };
                (game, recording, Some(failed_over))
            }
        };
        let first = Checkpoint {
            game,
            members,
            recording,
        };
        Room::spawn_at(setup, first, epoch, failed_over)
    }

    /// A restored seat's player is back (`Rejoin`): after a failover, they are told their
    /// round was voided. A cluster node saves that they are: a snapshot still showing their
    /// seat held would, at the next failover, free it at the deadline it had here.
    pub(super) fn restored_rejoined(&mut self, player: PlayerId) {
        let Some(member) = self.members.get_mut(player) else {
            return;
        };
        if !std::mem::take(&mut member.restored) {
            return;
        }
        self.offer_snapshot(self.game.round());
        if let Some(failed_over) = self.failed_over {
            self.tell(player, &failed_over.notice(&self.label), None);
        }
    }
}

/// What a room restored after a failure tells each of its players as they come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failover {
    /// The round (in Liar's Dice, the match) in play was voided and a new one began.
    Voided(u64),
    /// Nothing was in play to void: a Liar's Dice table counting down between matches.
    NothingInPlay,
}

impl Failover {
    /// The notice: `round_voided`, or `failed_over` when nothing was voided.
    pub(super) fn notice(self, room: &RoomLabel) -> Notice {
        match self {
            Failover::Voided(round) => Notice::RoundVoided {
                room: room.clone(),
                round,
            },
            Failover::NothingInPlay => Notice::FailedOver { room: room.clone() },
        }
    }
}

/// Game time 0 for a room whose clock stood at `now`: as long ago. On a machine up for less
/// than that, the clock restarts at `now` late (logged): deadlines get longer, never shorter.
fn epoch_for(now: Millis) -> Instant {
    let here = Instant::now();
    here.checked_sub(Duration::from_millis(now.0))
        .unwrap_or_else(|| {
            tracing::warn!(
                game_ms = now.0,
                "the room's clock cannot go back that far here"
            );
            here
        })
}

/// The round in play voided with fresh randomness (not the recorded match's RNG: the new
/// match must replay from its own start), a new recorded match from the state after it, and
/// whether anything was in play to void (`Game::void_round` started something anew: its
/// events; none when nothing was in play).
fn void<G: Game>(
    mut game: G,
    saved: &SavedRecording<G>,
    now: Millis,
    rng: &mut StdRng,
) -> (G, SavedRecording<G>, bool) {
    let mut fresh = StdRng::from_rng(rng);
    // Nobody is connected to hear the new round's events: players see it as they rejoin.
    let voided = !game.void_round(now, &mut fresh).is_empty();
    let next = Recording::restore(saved).next(rng.next_u64(), game.clone());
    (game, next.saved(), voided)
}

/// A room's snapshot after a committed win, told to [`RoomSetup::snapshots`]: whoever keeps
/// snapshots durable saves it (cluster mode: `Store::save_snapshot(fence, &json)`, fenced by
/// the room's claim). A newer one replaces it, so one that cannot be delivered is only logged.
pub(crate) struct Snapshotted {
    /// The room's number.
    pub(crate) room: u64,
    /// The round whose commit this snapshot follows.
    pub(crate) round: u64,
    /// The snapshot, as [`RoomSnapshot::to_json`] writes it.
    pub(crate) json: String,
    /// The room's claim when it was taken (a cluster node's room): what its save is fenced
    /// with. `None`: the room holds no claim (yet): the snapshot cannot be saved.
    pub(crate) fence: Option<referee_store::Fence>,
}

impl Message for Snapshotted {
    type Reply = ();
}

/// Offer the room's snapshot now (a cluster node that just won the room's claim): it goes
/// the way of the others, in the room's order, so that an older one never overwrites a
/// newer one.
pub(crate) struct OfferSnapshot;

impl Message for OfferSnapshot {
    type Reply = ();
}

impl<G: Render> Handler<OfferSnapshot> for Room<G> {
    fn handle(&mut self, _: OfferSnapshot, _: &mut Context<Self>) {
        self.offer_snapshot(self.game.round());
    }
}

impl<G: Render> Room<G> {
    /// Tells the room's snapshot to whoever keeps them, once the win of `round` is committed
    /// and no other is still being saved.
    pub(super) fn offer_snapshot(&self, round: u64) {
        let Some(sink) = &self.snapshots else {
            return;
        };
        match self.snapshot().and_then(|snapshot| snapshot.to_json()) {
            Ok(json) => {
                let room = self.label.id;
                let fence = self.claim.as_ref().and_then(|claim| claim.settled());
                let snapshot = Snapshotted {
                    room,
                    round,
                    json,
                    fence,
                };
                or_log(sink.tell_soon(snapshot), "room snapshot");
            }
            Err(SnapshotError::Saving) => {}
            Err(err) => tracing::error!(room = self.label.id, %err, "no snapshot of the room"),
        }
    }
}

#[cfg(test)]
mod reach_tests {
    use std::sync::Arc;

    use super::*;

    fn member(outbox: Outbox, away: bool, restored: bool, reach: Option<Seating>) -> Member {
        Member {
            name: "Bob".into(),
            outbox,
            feed: false,
            named: false,
            away,
            restored,
            held_until: None,
            reach,
        }
    }

    #[test]
    fn a_connected_remote_member_or_a_restored_one_not_back_yet_is_reachable_and_no_other() {
        let remote = Seating::here(7, 2).on_node("b_r1");
        let through_nats = nowhere()
            .for_seat(2)
            .of_connection(Some(Arc::from("b_r1")), 7);
        let local = nowhere().for_seat(2).of_connection(None, 7);
        assert_eq!(
            reach_of(&member(through_nats.clone(), false, false, None)),
            Some(remote.clone())
        );
        assert_eq!(reach_of(&member(local, false, false, None)), None, "local");
        assert_eq!(
            reach_of(&member(through_nats, true, false, None)),
            None,
            "away"
        );
        assert_eq!(
            reach_of(&member(nowhere(), true, true, Some(remote.clone()))),
            Some(remote),
            "restored, carried on"
        );
    }

    #[test]
    fn a_seat_written_without_a_reach_reads_and_one_with_it_round_trips() {
        let mut seat = SeatSnapshot {
            player: PlayerId(5),
            name: "Bob".into(),
            named: false,
            feed: true,
            held_until_ms: None,
            reach: None,
        };
        let old = serde_json::to_string(&seat).unwrap();
        assert!(!old.contains("reach"), "{old}");
        assert_eq!(serde_json::from_str::<SeatSnapshot>(&old).unwrap(), seat);
        seat.reach = Some(Seating::here(7, 2).on_node("b_r1"));
        let new = serde_json::to_string(&seat).unwrap();
        assert_eq!(serde_json::from_str::<SeatSnapshot>(&new).unwrap(), seat);
    }
}
