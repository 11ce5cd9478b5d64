//! Every match a room plays is recorded: seeded, logged, and saved with its result.
//!
//! The room draws a fresh seed from its own RNG for each match (a Liar's Dice match; in
//! guess-the-number each round is its match) and every rule step of the match — a seat, a
//! leave, an accepted action, a clock tick — draws from `match_rng(seed)` and is appended to
//! the match's [`MatchLog`], which starts from the room's state where the match began. When
//! a step decides the match, the log goes to the recorder with the result (durable before
//! announced, as results are), with the hash of the state it replays to.
//!
//! **The deciding step.** Both games start the next round or match inside the step that
//! decides the current one, and the rules promise that such a step draws nothing before its
//! outcome (`Game::outcome`). The room runs that step with the current match's RNG, keeps
//! the hash of the state it reaches (what the published log replays to), then puts the state
//! back and runs the step again with the *next* match's RNG, and keeps that run. So the next
//! match's secrets (a secret number, a deal) come from a seed that no published log holds:
//! replaying a finished match tells nothing about the one in play. The next match's log
//! starts from the state before the deciding step, with that step as its first entry.
//!
//! **Restarts.** The recording is part of the room's checkpoint (its log so far and its RNG's
//! exact position), so a referee restarted after a panic goes on drawing from the same
//! stream and logging into the same log: the match still replays to its recorded hash.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::ChaCha8Rng;
use referee_rules::{
    Game, LogEntry, MatchLog, PlayerId, Render, ReplayError, match_rng, replay, state_hash,
};
use serde::{Deserialize, Serialize};

use super::Room;
use crate::records::UnwrittenLog;

/// The match a room is playing: its log so far and the RNG it draws from.
pub(crate) struct Recording<G: Game> {
    /// Which of the room's matches this is (from 1): tells a checkpoint whether it holds
    /// this recording's beginning or another match's.
    pub(crate) number: u64,
    pub(crate) log: MatchLog<G>,
    /// `match_rng(log.seed)`, where the match's steps left it.
    pub(crate) rng: ChaCha8Rng,
    /// The display names of the match's players, as last known (a player who left is
    /// still named in the record).
    names: BTreeMap<PlayerId, String>,
    /// How many times `names` changed: a checkpoint copies them only when this moved (a
    /// move's checkpoint need not compare them).
    renamed: u64,
    /// The log reached [`MAX_ENTRIES`]: the match is recorded without it.
    overflowed: bool,
}

/// The most steps one match's log keeps (a guess-the-number round nobody wins can go on for
/// hours): ~100 bytes each in memory, a few MB at most per room.
pub(crate) const MAX_ENTRIES: usize = 50_000;

/// A decided match, on its way to the recorder as it is: the recorder writes it (JSON, and
/// the hash of the state it reached) on its own thread (`records.rs`, [`Unwritten`]), so the
/// room's task does not.
pub(crate) struct Finished<G: Game> {
    pub(crate) log: MatchLog<G>,
    /// The state the log replays to: its hash is recorded with the log. Boxed: every room
    /// holds an `Option<Finished>` all its life, and a game's state inline would make every
    /// room — and so every idle connection — bigger by it.
    pub(crate) reached: Box<G>,
    pub(crate) names: BTreeMap<PlayerId, String>,
}

/// A won match still to be written: what the room hands the recorder, which writes it
/// before the commit (durable before announced, as before).
pub(crate) struct Unwritten<G: Game> {
    pub(crate) finished: Finished<G>,
    /// The round (or match) number it was won as.
    pub(crate) round: u64,
}

impl<G: Game> UnwrittenLog for Unwritten<G> {
    fn write(self: Box<Self>) -> Option<referee_store::MatchLog> {
        self.finished.into_store_log(self.round)
    }
}

/// What a match's record keeps besides its config and seed (the store's `actions` text):
/// the start state and steps to replay it, who played, and the hash to check a replay
/// against. Read back by `GET /api/matches/{id}`.
#[derive(Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub(crate) struct Recorded<G: Game> {
    /// The game played (one of `G::games()`).
    pub(crate) game: String,
    /// The match's (or round's) number in its room.
    pub(crate) round: u64,
    /// Every player of the match, with their display name.
    pub(crate) players: Vec<RecordedPlayer>,
    /// The hex SHA-256 of the state the log replays to (`referee_rules::state_hash`).
    pub(crate) state_hash: Option<String>,
    /// The state the match started from.
    pub(crate) start: Option<G>,
    /// Every step of the match, in order.
    pub(crate) entries: Vec<LogEntry<G::Action>>,
}

/// A player of a recorded match.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RecordedPlayer {
    pub(crate) id: PlayerId,
    pub(crate) name: String,
}

/// A recording as a checkpoint keeps it: the RNG by its position in the stream (ChaCha8 is
/// not `Clone`, so that a copy is never made by accident; and a position is cheaper to keep
/// after every move than a copy). Serializable: a room snapshot carries it to another node
/// (`snapshot.rs`), so that a handed-over match still replays to its recorded hash.
#[derive(Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub(crate) struct SavedRecording<G: Game> {
    number: u64,
    log: MatchLog<G>,
    /// `rng.get_word_pos()`: how far into `match_rng(log.seed)` the match has drawn.
    position: u128,
    names: BTreeMap<PlayerId, String>,
    /// [`Recording::renamed`] when `names` was copied (not carried: a restored recording
    /// counts from 0, as its copy does).
    #[serde(skip)]
    renamed: u64,
    overflowed: bool,
}

impl<G: Game> Clone for SavedRecording<G> {
    fn clone(&self) -> Self {
        SavedRecording {
            number: self.number,
            log: self.log.clone(),
            position: self.position,
            names: self.names.clone(),
            renamed: self.renamed,
            overflowed: self.overflowed,
        }
    }
}

impl<G: Game> SavedRecording<G> {
    /// The game the match's log is of: a room snapshot checks it against its own.
    pub(crate) fn game(&self) -> &str {
        &self.log.game
    }

    /// Whether the log holds every step of the match so far (it did not overflow), so that
    /// replaying it rebuilds the game as it stands.
    pub(crate) fn replays(&self) -> bool {
        !self.overflowed
    }

    /// The game this log replays to; `None` if it overflowed.
    pub(crate) fn replayed(&self) -> Option<Result<G, ReplayError<G::Rejection>>> {
        self.replays().then(|| replay(&self.log))
    }
}

impl<G: Game> Recording<G> {
    /// The recording a checkpoint kept, its RNG where it stood.
    pub(crate) fn restore(saved: &SavedRecording<G>) -> Self {
        let mut rng = match_rng(saved.log.seed);
        rng.set_word_pos(saved.position);
        Recording {
            number: saved.number,
            log: saved.log.clone(),
            rng,
            names: saved.names.clone(),
            renamed: saved.renamed,
            overflowed: saved.overflowed,
        }
    }

    /// This recording as a checkpoint keeps it.
    pub(crate) fn saved(&self) -> SavedRecording<G> {
        SavedRecording {
            number: self.number,
            log: self.log.clone(),
            position: self.rng.get_word_pos(),
            names: self.names.clone(),
            renamed: self.renamed,
            overflowed: self.overflowed,
        }
    }

    /// Match `number`, starting from `start` and drawing from `match_rng(seed)`.
    pub(crate) fn begin(number: u64, config: G::Config, seed: u64, start: G) -> Self {
        Recording {
            number,
            log: MatchLog::from_state(config, seed, start),
            rng: match_rng(seed),
            names: BTreeMap::new(),
            renamed: 0,
            overflowed: false,
        }
    }

    /// The next match, from `start`, keeping what is known of the players' names.
    pub(crate) fn next(&self, seed: u64, start: G) -> Self {
        let mut next = Recording::begin(self.number + 1, self.log.config.clone(), seed, start);
        next.names = self.names.clone();
        next
    }

    /// Logs a step, unless the log is full: past [`MAX_ENTRIES`] the match goes on unlogged
    /// and is recorded without its log (memory stays bounded whatever players do).
    pub(crate) fn push(&mut self, entry: LogEntry<G::Action>) {
        if self.log.entries.len() < MAX_ENTRIES {
            self.log.entries.push(entry);
        } else {
            self.overflowed = true;
        }
    }

    /// Remembers a player's display name for the record.
    pub(crate) fn name(&mut self, player: PlayerId, name: &str) {
        if self.names.get(&player).is_none_or(|known| known != name) {
            self.names.insert(player, name.to_owned());
            self.renamed += 1;
        }
    }

    /// The match as decided by its last entry, with the state that entry left (hashed when
    /// the record is written, off the room's task).
    pub(crate) fn finish(self, reached: G) -> Option<Finished<G>> {
        if self.overflowed {
            tracing::warn!(
                entries = MAX_ENTRIES,
                "a match longer than its log can hold is recorded without it"
            );
            return None;
        }
        Some(Finished {
            log: self.log,
            reached: Box::new(reached),
            names: self.names,
        })
    }

    /// Brings `saved` (a checkpoint's copy) up to this recording: only the entries it lacks
    /// are copied, unless it holds another match — a move's checkpoint stays cheap however
    /// long the match.
    pub(crate) fn save_into(&self, saved: &mut SavedRecording<G>) {
        let len = saved.log.entries.len();
        if saved.number != self.number || len > self.log.entries.len() {
            *saved = self.saved();
            return;
        }
        saved
            .log
            .entries
            .extend_from_slice(&self.log.entries[len..]);
        saved.position = self.rng.get_word_pos();
        saved.overflowed = self.overflowed;
        if saved.renamed != self.renamed {
            saved.names.clone_from(&self.names);
            saved.renamed = self.renamed;
        }
    }
}

impl<G: Game> Finished<G> {
    /// The store's record of this match, won as `round`: config and seed, and the
    /// [`Recorded`] rest as JSON; `None` (logged) if it cannot be written. The recorder
    /// calls it (through [`Unwritten`]), on its own thread.
    pub(crate) fn into_store_log(self, round: u64) -> Option<referee_store::MatchLog> {
        let players = self.players();
        let state_hash = match state_hash(&*self.reached) {
            Ok(hash) => Some(hash.to_string()),
            Err(err) => {
                tracing::error!(%err, "a decided match's state could not be hashed");
                None
            }
        };
        let recorded = Recorded::<G> {
            game: self.log.game,
            round,
            players,
            state_hash,
            start: self.log.start,
            entries: self.log.entries,
        };
        let written = serde_json::to_string(&self.log.config)
            .and_then(|config| Ok((config, log_text(&recorded)?)));
        match written {
            Ok((config, actions)) => Some(referee_store::MatchLog {
                config,
                seed: self.log.seed,
                actions,
            }),
            Err(err) => {
                tracing::error!(%err, "a match's log could not be written");
                None
            }
        }
    }

    /// Everyone seated at the start or who sat down during the match.
    fn players(&self) -> Vec<RecordedPlayer> {
        let mut ids: Vec<PlayerId> = self
            .log
            .start
            .iter()
            .flat_map(|start| start.scores())
            .map(|score| score.player)
            .collect();
        for entry in &self.log.entries {
            if let LogEntry::Seat { player, .. } = entry {
                ids.push(*player);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|id| RecordedPlayer {
                id,
                name: self
                    .names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| crate::ids::default_name(id)),
            })
            .collect()
    }
}

/// `recorded` as JSON, written into a buffer sized for it at once (`to_string` starts at
/// 128 bytes and doubles: five copies for a typical round's log).
fn log_text<G: Game>(recorded: &Recorded<G>) -> Result<String, serde_json::Error> {
    let mut text = Vec::with_capacity(LOG_BYTES + ENTRY_BYTES * recorded.entries.len());
    serde_json::to_writer(&mut text, recorded)?;
    String::from_utf8(text).map_err(serde::ser::Error::custom)
}

/// About what a recorded match's start state and players take as JSON, and each entry.
const LOG_BYTES: usize = 1024;
const ENTRY_BYTES: usize = 128;

impl<G: Render> Room<G> {
    /// One rule step of the match in play, with its RNG; logged if it changed the game (a
    /// refused action did not). A step that decides the match is run again with the next
    /// match's RNG (see the module docs): the decided match waits in `finished` for its
    /// outcome to be saved.
    ///
    /// # Errors
    ///
    /// The rules' rejection of an action.
    pub(super) fn step(
        &mut self,
        entry: LogEntry<G::Action>,
    ) -> Result<Vec<G::Event>, G::Rejection> {
        // The state before the step, kept only if the step may decide the match (a copy
        // per move would cost the hot path: most moves decide nothing, and the rules say
        // which cannot).
        let may_decide = match &entry {
            LogEntry::Act { action, .. } => self.game.may_decide(action),
            _ => true,
        };
        let before = may_decide.then(|| self.game.clone());
        let events = entry
            .clone()
            .apply(&mut self.game, &mut self.recording.rng)?;
        self.game_changed = true;
        if !events.iter().any(|event| G::outcome(event).is_some()) {
            self.recording.push(entry);
            return Ok(events);
        }
        let Some(before) = before else {
            // The rules broke `Game::may_decide`'s promise: the next match was drawn from
            // this one's RNG. Record the match, and say so.
            tracing::error!(
                room = self.label.id,
                "a step the rules said could not decide did"
            );
            let next = self
                .recording
                .next(self.seeds.next_u64(), self.game.clone());
            let mut decided = std::mem::replace(&mut self.recording, next);
            decided.push(entry);
            self.finished = decided.finish(self.game.clone());
            return Ok(events);
        };
        let next = self.recording.next(self.seeds.next_u64(), before.clone());
        let mut decided = std::mem::replace(&mut self.recording, next);
        decided.push(entry.clone());
        // The state the decided match reached goes with it (no copy): the room goes on from
        // the state before the step.
        let reached = std::mem::replace(&mut self.game, before);
        self.finished = decided.finish(reached);
        let events = entry
            .clone()
            .apply(&mut self.game, &mut self.recording.rng)?;
        self.recording.push(entry);
        Ok(events)
    }

    /// A step that cannot be refused (a seat, a leave, a tick).
    pub(super) fn step_surely(&mut self, entry: LogEntry<G::Action>) -> Vec<G::Event> {
        self.step(entry).unwrap_or_else(|rejection| {
            tracing::error!(room = self.label.id, %rejection, "the rules refused a seat, leave or tick");
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use referee_rules::{GuessConfig, GuessNumber, Millis};

    use super::*;

    fn recording() -> Recording<GuessNumber> {
        let start = GuessNumber::new(&GuessConfig::default(), &mut match_rng(1));
        Recording::begin(1, GuessConfig::default(), 7, start)
    }

    fn tick(at: u64) -> LogEntry<referee_rules::GuessAction> {
        LogEntry::Tick { at: Millis(at) }
    }

    #[test]
    fn a_log_past_its_bound_is_not_recorded() {
        let mut recording = recording();
        for at in 0..=MAX_ENTRIES as u64 {
            recording.push(tick(at));
        }
        assert_eq!(recording.log.entries.len(), MAX_ENTRIES);
        let reached = recording.log.start.clone().unwrap();
        assert!(recording.finish(reached).is_none());
    }

    #[test]
    fn a_checkpoint_keeps_the_log_and_where_the_rng_stood() {
        let mut recording = recording();
        recording.push(tick(0));
        recording.rng.next_u64();
        let mut saved = recording.saved();
        // An odd number of words drawn, and an entry, since that checkpoint.
        recording.rng.next_u32();
        recording.push(tick(1));
        recording.save_into(&mut saved);
        let mut restored = Recording::restore(&saved);
        assert_eq!(restored.log.entries, recording.log.entries);
        for _ in 0..100 {
            assert_eq!(restored.rng.next_u64(), recording.rng.next_u64());
        }
    }

    #[test]
    fn a_checkpoint_takes_the_names_changed_since_and_only_then() {
        let mut recording = recording();
        recording.name(PlayerId(1), "Ann");
        let mut saved = recording.saved();
        recording.push(tick(0));
        recording.save_into(&mut saved);
        assert_eq!(saved.renamed, recording.renamed, "nothing renamed");
        recording.name(PlayerId(1), "Ann");
        assert_eq!(saved.renamed, recording.renamed, "the same name again");
        recording.name(PlayerId(1), "Anna");
        recording.name(PlayerId(2), "Bob");
        recording.save_into(&mut saved);
        assert_eq!(Recording::restore(&saved).names, recording.names);
    }
}
