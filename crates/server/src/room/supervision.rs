//! A room's referee under supervision: after a panic it is rebuilt from the room's last
//! consistent state, with the same mailbox, so players keep their seats, scores and
//! connections and no other room notices.
//!
//! "Consistent" means: as it was after the last message handled to the end. The room saves a
//! checkpoint (a clone of the game and of the members) after every message that changed
//! them; a handler that panics halfway leaves the checkpoint of the message before.
//!
//! The checkpoint kept after each move is a clone, not a serialized `referee_rules::Snapshot`:
//! for a guess-the-number room of 10 players a clone took ~185 ns and `Snapshot::to_bytes`
//! ~1 µs (deserializing ~2.3 µs; a one-off release-mode loop of 10⁶ iterations on the shared
//! dev machine), and a move must stay cheap. But a restart *reads* the game through a
//! `Snapshot` — written and read back as bytes ([`through_snapshot`]) — so that the restarted
//! referee comes from exactly what a room moving to another process would carry, and that
//! path is exercised by every restart (`tests/supervision.rs`).

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
    pub(crate) game: G,
    pub(crate) members: Members,
    /// The match in play: its seed, its log so far and where its RNG stands, so a restarted
    /// referee goes on drawing from the same stream (`recording.rs`).
    pub(crate) recording: SavedRecording<G>,
}

/// The room's last checkpoint, shared by the running referee (which writes it) and the
/// restart factory (which reads it).
pub(crate) struct Snapshot<G: Game>(Arc<Mutex<Checkpoint<G>>>);

impl<G: Render> Snapshot<G> {
    pub(crate) fn new(first: Checkpoint<G>) -> Self {
        Snapshot(Arc::new(Mutex::new(first)))
    }

    /// Replaces what changed in the checkpoint: a move changes only the game (and its
    /// match's recording), a rename only the members; cloning only what changed keeps a
    /// move's checkpoint cheap (the recording's log is appended to, not copied).
    pub(crate) fn save(&self, game: Option<(&G, &Recording<G>)>, members: Option<&Members>) {
        let mut checkpoint = self.lock();
        if let Some((game, recording)) = game {
            checkpoint.game = game.clone();
            recording.save_into(&mut checkpoint.recording);
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
