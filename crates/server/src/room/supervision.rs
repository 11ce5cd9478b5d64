//! A room's referee under supervision: after a panic it is rebuilt from the room's last
//! consistent state, with the same mailbox, so players keep their seats, scores and
//! connections and no other room notices.
//!
//! "Consistent" means: as it was after the last message handled to the end. The room saves a
//! checkpoint after every message that changed the game or the members; a handler that
//! panics halfway leaves the checkpoint of the message before.
//!
//! **The game is its log.** Every change to a room's game is a logged step of the match in
//! play (`recording.rs`), and the match's log replays, from the state it starts from, to the
//! game as it stands: that is what a recorded match's hash proves. So a move's checkpoint
//! copies no game state: it appends the move to the checkpoint's copy of the log (and notes
//! where the match's RNG stands), and a restart replays that log ([`Checkpoint::restored`]). A
//! copy of the whole game per move was ~6% of a guess's instructions (docs/PERFORMANCE.md).
//! Only a match whose log overflowed (`recording::MAX_ENTRIES`) cannot be replayed; its
//! checkpoints copy the game, as every checkpoint once did.
//!
//! A restart also *reads* the game through a `Snapshot` — written and read back as bytes
//! ([`through_snapshot`]) — so that the restarted referee comes from exactly what a room
//! moving to another process would carry. Both paths, replay and snapshot, are exercised by
//! every restart (`tests/supervision.rs`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_actor::RestartPolicy;
use referee_rules::{Game, Render, Snapshot as GameSnapshot};

use super::members::Members;
use super::recording::{Recording, SavedRecording};

/// Restarts a room's referee may have: three in a minute. Past that the room is closed (the
/// lobby forgets it and its players are told to find another).
pub(crate) fn policy() -> RestartPolicy {
    RestartPolicy::new(3, Duration::from_secs(60))
}

/// What a restarted referee starts from.
#[derive(Clone)]
pub(crate) struct Checkpoint<G: Game> {
    /// The game when this checkpoint was made — or, while the match's log can be replayed,
    /// a state the checkpoint no longer keeps up to date (see [`Checkpoint::restored`]).
    pub(crate) game: G,
    pub(crate) members: Members,
    /// The match in play: its seed, its log so far and where its RNG stands, so a restarted
    /// referee goes on drawing from the same stream (`recording.rs`).
    pub(crate) recording: SavedRecording<G>,
}

impl<G: Game> Checkpoint<G> {
    /// What a restarted referee starts from: the game as of this checkpoint (the match's log
    /// replayed, or the copy kept if the log overflowed), its members and its recording.
    /// Should the replay fail — rules that do not replay their own log, a bug the rules'
    /// replay tests exist to catch — the copy is used and the failure logged.
    pub(crate) fn restored(self) -> (G, Members, SavedRecording<G>) {
        let Checkpoint {
            game,
            members,
            recording,
        } = self;
        let game = match recording.replayed() {
            None => game,
            Some(Ok(replayed)) => replayed,
            Some(Err(err)) => {
                tracing::error!(%err, "a room's match log did not replay; restarting from its last copy");
                game
            }
        };
        (game, members, recording)
    }
}

/// The room's last checkpoint, shared by the running referee (which writes it) and the
/// restart factory (which reads it).
pub(crate) struct Snapshot<G: Game>(Arc<Mutex<Checkpoint<G>>>);

impl<G: Render> Snapshot<G> {
    pub(crate) fn new(first: Checkpoint<G>) -> Self {
        Snapshot(Arc::new(Mutex::new(first)))
    }

    /// Replaces what changed in the checkpoint: a move changes only the game (and its
    /// match's recording), a rename only the members. A move's checkpoint appends to the
    /// log's copy and copies no game, unless the log overflowed (see the module docs).
    pub(crate) fn save(&self, game: Option<(&G, &Recording<G>)>, members: Option<&Members>) {
        let mut checkpoint = self.lock();
        if let Some((game, recording)) = game {
            recording.save_into(&mut checkpoint.recording);
            if !checkpoint.recording.replays() {
                checkpoint.game = game.clone();
            }
        }
        if let Some(members) = members {
            checkpoint.members = members.clone();
        }
    }

    /// The last checkpoint.
    pub(crate) fn load(&self) -> Checkpoint<G> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Checkpoint<G>> {
        // A poisoned lock means a panic while *saving*: the value is a whole checkpoint
        // either way (the assignment is the last step).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<G: Game> Clone for Snapshot<G> {
    fn clone(&self) -> Self {
        Snapshot(Arc::clone(&self.0))
    }
}

/// `game` as a restarted referee gets it: written as a versioned [`GameSnapshot`] and read back.
/// Should the round trip fail (a game whose state cannot be serialized — a bug the rules'
/// snapshot tests exist to catch), the clone is used and the failure logged: a room that
/// cannot restart from bytes still restarts.
pub(crate) fn through_snapshot<G: Render>(game: G) -> G {
    let bytes = match GameSnapshot::new(game.clone()).to_bytes() {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(%err, "the game could not be written as a snapshot");
            return game;
        }
    };
    match GameSnapshot::<G>::from_bytes(&bytes) {
        Ok(snapshot) => snapshot.state,
        Err(err) => {
            tracing::error!(%err, "the game's snapshot could not be read back");
            game
        }
    }
}

/// The room's RNG (which draws each match's seed) for each instance of a referee: the first
/// from the room's seed, each restart from the next draw, so a seeded server stays
/// reproducible. The match in play goes on with its own RNG, from the checkpoint.
pub(crate) fn next_rng(seeds: &mut StdRng) -> StdRng {
    StdRng::from_rng(seeds)
}

#[cfg(test)]
mod tests {
    use referee_rules::{
        GuessAction, GuessConfig, GuessNumber, LogEntry, Millis, PlayerId, match_rng,
    };

    use super::*;
    use crate::room::recording::MAX_ENTRIES;

    /// A room's first checkpoint, as `Room::spawn` makes it, and the live game and recording.
    fn room() -> (Snapshot<GuessNumber>, GuessNumber, Recording<GuessNumber>) {
        let config = GuessConfig::default();
        let game = GuessNumber::new(&config, &mut match_rng(3));
        let recording = Recording::begin(1, config, 11, game.clone());
        let first = Checkpoint {
            game: game.clone(),
            members: Members::default(),
            recording: recording.saved(),
        };
        (Snapshot::new(first), game, recording)
    }

    /// Runs `entry` as the room does (logged if taken), then checkpoints.
    fn step(
        snapshot: &Snapshot<GuessNumber>,
        game: &mut GuessNumber,
        recording: &mut Recording<GuessNumber>,
        entry: LogEntry<GuessAction>,
    ) {
        if entry.clone().apply(game, &mut recording.rng).is_ok() {
            recording.push(entry);
        }
        snapshot.save(Some((game, recording)), None);
    }

    fn guess(player: u64, value: i64, at: u64) -> LogEntry<GuessAction> {
        LogEntry::Act {
            player: PlayerId(player),
            seen_round: 1,
            action: GuessAction::Guess { value, round: None },
            at: Millis(at),
        }
    }

    #[test]
    fn a_restart_replays_the_log_to_the_game_as_it_stood() {
        let (snapshot, mut game, mut recording) = room();
        for player in [1, 2] {
            let seat = LogEntry::Seat {
                player: PlayerId(player),
                at: Millis(player),
            };
            step(&snapshot, &mut game, &mut recording, seat);
        }
        for value in 0..40 {
            step(
                &snapshot,
                &mut game,
                &mut recording,
                guess(1 + value as u64 % 2, value, 10),
            );
        }
        let checkpoint = snapshot.load();
        // No move copied the game: the checkpoint's copy is still the room's first state.
        assert_ne!(checkpoint.game, game);
        let (restored, _, saved) = checkpoint.restored();
        assert!(restored == game, "the replayed game is the live one");
        assert_eq!(
            Recording::restore(&saved).rng.get_word_pos(),
            recording.rng.get_word_pos()
        );
    }

    #[test]
    fn a_match_whose_log_overflowed_restarts_from_a_copy() {
        let (snapshot, mut game, mut recording) = room();
        let seat = LogEntry::Seat {
            player: PlayerId(1),
            at: Millis(0),
        };
        step(&snapshot, &mut game, &mut recording, seat);
        for at in 0..MAX_ENTRIES as u64 {
            recording.push(LogEntry::Tick { at: Millis(at) });
        }
        for value in 0..5 {
            step(&snapshot, &mut game, &mut recording, guess(1, value, 20));
        }
        let (restored, _, _) = snapshot.load().restored();
        assert!(restored == game, "the copy is the live game");
    }
}
