//! Liar's Dice, the second game: a turn-based bluffing game with hidden
//! hands and a turn clock.
//!
//! # Rules
//!
//! 2–6 players per table ([`DiceConfig`], default 4), 5 dice each, rolled
//! by the rules with the room's RNG and seen only by their owner. In turn, a
//! player either raises the bid — "there are at least 3 fives among all dice
//! on the table": a higher quantity, or the same quantity of a higher face;
//! faces 1–6, ones are **not** wild — or calls liar on the last bid. On a
//! call every die is revealed; if the bid holds, the caller loses a die,
//! otherwise the bidder does. The loser starts the next hand (if the loser is
//! out, the next player with dice) and everyone rerolls. A player with no
//! dice is out (they stay, watching); the last with dice wins the match.
//!
//! A match starts when the table is full, or when the countdown (default
//! 15 s, announced) that starts once two players sit runs out; a player who
//! arrives mid-match watches until the next one. The turn clock (default
//! 30 s) runs for whoever must act: when it passes, [`crate::Game::tick`]
//! plays for them — **liar if there is a bid, otherwise the lowest legal bid
//! (one one)**. A player who leaves mid-match forfeits: their dice leave the
//! table; if it was their turn, it passes on; if they made the standing bid,
//! a new hand starts.
//!
//! # Bots
//!
//! When the host allows them ([`DiceConfig::with_bots`]), the countdown
//! starts as soon as one player sits, and bots take the seats still empty
//! when it ends ([`crate::Game::seat_bots`]); they stand up when their match
//! ends, and the last human leaving ends a match with bots, with no winner
//! (`bots.rs`). A bot plays [`strategy::choose`] of its own view.
//!
//! # What is hidden
//!
//! Only [`DiceEvent::Rolled`] carries unrevealed faces, addressed to their
//! owner alone, and a [`DiceView`] carries only the viewer's own faces;
//! everyone else sees counts. [`DiceEvent::Called`] reveals every hand.
//!
//! # Provably fair hands
//!
//! Each hand's roll is committed to, per player, in the public
//! [`DiceEvent::HandStarted`] (and each [`SeatView`]); the call reveals each
//! hand with its salt (see [`crate::commit_dice`] and `event.rs`).

mod bid;
mod bots;
mod config;
mod event;
mod rejection;
mod render;
pub mod strategy;
mod table;
#[cfg(test)]
mod tests;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rand::RngExt;
use serde::{Deserialize, Serialize};

pub use bid::{Bid, DiceAction};
pub use config::{DiceConfig, DiceConfigError};
pub use event::{DiceCommitment, DiceCount, DiceEvent, Hand};
pub use rejection::DiceRejection;
pub use view::{DiceView, SeatView};

use crate::{Audience, Game, Millis, Outcome, PlayerId, Score, Turn, Viewer};
use table::Table;

/// The state of one Liar's Dice room: who is seated, and the match in play
/// or the wait for the next one.
///
/// `Debug` leaves the dice out, so hidden faces never land in a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiarsDice {
    config: DiceConfig,
    /// The match in play, or the next one (from 1).
    match_no: u64,
    /// Everyone seated, in arrival order: a match takes the first
    /// `config.players()` of them.
    seated: Vec<PlayerId>,
    /// Matches won in this room, per seated player.
    wins: BTreeMap<PlayerId, u32>,
    /// The seated players who are bots (see `bots.rs`): they sit for one
    /// match, and never without a human.
    #[serde(default)]
    bots: BTreeSet<PlayerId>,
    phase: Phase,
}

/// Between matches, or in one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    /// No match; `countdown` is when the next one starts, once two sit.
    Waiting { countdown: Option<Millis> },
    /// A match in play.
    Playing(Table),
}

impl fmt::Debug for LiarsDice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let playing = matches!(self.phase, Phase::Playing(_));
        f.debug_struct("LiarsDice")
            .field("config", &self.config)
            .field("match_no", &self.match_no)
            .field("seated", &self.seated)
            .field("playing", &playing)
            .finish_non_exhaustive()
    }
}

impl LiarsDice {
    /// The config this room was created with.
    pub fn config(&self) -> &DiceConfig {
        &self.config
    }

    /// Every legal move of `player` now: the bids that raise the last one
    /// (up to every die on the table), and liar if there is a bid. Empty
    /// when it is not their turn.
    pub fn legal_actions(&self, player: PlayerId) -> Vec<DiceAction> {
        match &self.phase {
            Phase::Playing(table) => table.legal_actions(player),
            Phase::Waiting { .. } => Vec::new(),
        }
    }

    fn check_seated(&self, player: PlayerId) -> Result<(), DiceRejection> {
        if self.wins.contains_key(&player) {
            Ok(())
        } else {
            Err(DiceRejection::NotSeated { player })
        }
    }

    /// One move by `player`; `timed_out` when the clock made it for them.
    fn act(
        &mut self,
        player: PlayerId,
        action: DiceAction,
        timed_out: bool,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<DiceEvent>, DiceRejection> {
        let config = self.config;
        let Phase::Playing(table) = &mut self.phase else {
            return Err(DiceRejection::NoMatch);
        };
        table.check_turn(player)?;
        match action {
            DiceAction::Bid(bid) => {
                table.check_bid(bid)?;
                Ok(vec![table.raise(player, bid, timed_out, now, &config)])
            }
            DiceAction::Liar => {
                let mut events = table.call(player, timed_out, now, &config, rng)?;
                events.extend(self.finish_if_won(now, rng));
                Ok(events)
            }
        }
    }

    /// Ends the match if one player has all the dice left, and starts
    /// waiting for (or counting down to) the next one.
    fn finish_if_won(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        let Phase::Playing(table) = &self.phase else {
            return Vec::new();
        };
        let Some(winner) = table.winner() else {
            return Vec::new();
        };
        let moves = table.moves;
        let wins = self.wins.entry(winner).or_insert(0);
        *wins = wins.saturating_add(1);
        let won = DiceEvent::MatchWon {
            match_no: self.match_no,
            winner,
            moves,
            wins: *wins,
        };
        self.match_no += 1;
        self.phase = Phase::Waiting { countdown: None };
        let mut events = vec![won];
        events.extend(self.unseat_bots());
        events.extend(self.maybe_start(now, rng));
        events
    }

    /// Between matches: starts one if the table is full, or the countdown
    /// once two players sit.
    fn maybe_start(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        let Phase::Waiting { countdown } = self.phase else {
            return Vec::new();
        };
        if self.seated.len() >= usize::from(self.config.players()) {
            return self.start_match(now, rng);
        }
        if self.seated.len() < self.config.to_count_down() || countdown.is_some() {
            return Vec::new();
        }
        let starts_at = now + self.config.countdown();
        self.phase = Phase::Waiting {
            countdown: Some(starts_at),
        };
        vec![DiceEvent::CountdownStarted {
            match_no: self.match_no,
            starts_at,
            seconds: self.config.countdown().ceil_secs(),
        }]
    }

    /// Deals the first seated players (up to a full table) into a match.
    fn start_match(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        let seats = usize::from(self.config.players()).min(self.seated.len());
        let players = &self.seated[..seats];
        let (table, events) = Table::deal(self.match_no, players, now, &self.config, rng);
        self.phase = Phase::Playing(table);
        events
    }
}

impl Game for LiarsDice {
    const NAME: &'static str = "dice";

    type Config = DiceConfig;
    type Action = DiceAction;
    type Event = DiceEvent;
    type Rejection = DiceRejection;
    type View = DiceView;

    fn new(config: &DiceConfig, _rng: &mut dyn rand::Rng) -> Self {
        LiarsDice {
            config: *config,
            match_no: 1,
            seated: Vec::new(),
            wins: BTreeMap::new(),
            bots: BTreeSet::new(),
            phase: Phase::Waiting { countdown: None },
        }
    }

    /// The match number: in play, or the next one.
    fn round(&self) -> u64 {
        self.match_no
    }

    fn turn(&self) -> Turn {
        match &self.phase {
            Phase::Playing(table) => Turn::Player(table.turn),
            Phase::Waiting { .. } => Turn::Nobody,
        }
    }

    /// The turn clock in a match; the countdown between matches.
    fn deadline(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Playing(table) => Some(table.deadline),
            Phase::Waiting { countdown } => *countdown,
        }
    }

    fn add_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        if self.wins.contains_key(&player) {
            return Vec::new();
        }
        self.seated.push(player);
        self.wins.insert(player, 0);
        self.maybe_start(now, rng)
    }

    fn remove_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        if !self.wins.contains_key(&player) {
            return Vec::new();
        }
        // The last human leaving takes the bots with them (and their match).
        let mut events = self.abandon_to_bots(player);
        self.wins.remove(&player);
        self.seated.retain(|&seated| seated != player);
        let config = self.config;
        match &mut self.phase {
            Phase::Playing(table) => {
                events.extend(table.forfeit(player, now, &config, rng));
                events.extend(self.finish_if_won(now, rng));
            }
            Phase::Waiting { countdown }
                if countdown.is_some() && self.seated.len() < config.to_count_down() =>
            {
                *countdown = None;
                events.push(DiceEvent::CountdownCancelled {
                    match_no: self.match_no,
                });
            }
            Phase::Waiting { .. } => {}
        }
        events
    }

    fn parse_action(text: &str) -> Result<DiceAction, DiceRejection> {
        bid::parse(text)
    }

    fn apply(
        &mut self,
        player: PlayerId,
        _seen_round: u64,
        action: DiceAction,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<DiceEvent>, DiceRejection> {
        self.check_seated(player)?;
        self.act(player, action, false, now, rng)
    }

    /// Starts the match when the countdown ran out; plays for the player
    /// whose turn ran out: liar if there is a bid, else the lowest bid.
    fn tick(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        if self.deadline().is_none_or(|deadline| now < deadline) {
            return Vec::new();
        }
        let (player, action) = match &self.phase {
            Phase::Waiting { .. } => return self.start_match(now, rng),
            Phase::Playing(table) if table.bid.is_some() => (table.turn, DiceAction::Liar),
            Phase::Playing(table) => (table.turn, DiceAction::Bid(Bid::LOWEST)),
        };
        self.act(player, action, true, now, rng).unwrap_or_default()
    }

    /// The hand in play is dealt again (same match, same dice counts, the same player to
    /// start, a new hand number); between matches there is nothing to void.
    fn void_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        let config = self.config;
        match &mut self.phase {
            Phase::Playing(table) => table.redeal(now, &config, rng),
            Phase::Waiting { .. } => Vec::new(),
        }
    }

    /// The match of this number was decided and recorded on an earlier host: the table goes
    /// on to the next match number as after a win — dealt at once if the table is full, else
    /// counted down to. A match in play ends unplayed (no winner here: its win comes through
    /// `credit`). Between matches the number waiting to be dealt is the one recorded (the
    /// snapshot was taken during the countdown after the match before): it is passed too,
    /// the countdown running on, or the match would be dealt, played and recorded again.
    fn skip_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<DiceEvent> {
        self.match_no += 1;
        let mut events = Vec::new();
        if matches!(self.phase, Phase::Playing(_)) {
            self.phase = Phase::Waiting { countdown: None };
            events.extend(self.unseat_bots());
        }
        events.extend(self.maybe_start(now, rng));
        events
    }

    /// A match won (and recorded) on an earlier host, skipped here (`skip_round`): its
    /// winner's tally, if they are seated.
    fn credit(&mut self, player: PlayerId, points: u32) {
        if let Some(wins) = self.wins.get_mut(&player) {
            *wins = wins.saturating_add(points);
        }
    }

    fn random_action(&self, player: PlayerId, rng: &mut dyn rand::Rng) -> Option<DiceAction> {
        let actions = self.legal_actions(player);
        if actions.is_empty() {
            return None;
        }
        actions.get(rng.random_range(0..actions.len())).copied()
    }

    fn scores(&self) -> Vec<Score> {
        Score::board(&self.wins)
    }

    fn seats_for_bots(&self, now: Millis) -> usize {
        self.open_seats(now)
    }

    fn seat_bots(
        &mut self,
        bots: &[PlayerId],
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        self.sit_bots(bots, now, rng)
    }

    fn bots(&self) -> Vec<PlayerId> {
        self.bots.iter().copied().collect()
    }

    /// [`strategy::choose`]: the bot sees its own view, nothing more.
    fn bot_action(view: &DiceView, bot: PlayerId, rng: &mut dyn rand::Rng) -> Option<DiceAction> {
        strategy::choose(view, bot, rng)
    }

    fn view(&self, viewer: Viewer) -> DiceView {
        view::of(self, viewer)
    }

    /// Dice rolled are their owner's alone; everything else is public.
    fn audience(event: &DiceEvent) -> Audience {
        match event {
            DiceEvent::Rolled { player, .. } => Audience::Player(*player),
            _ => Audience::Everyone,
        }
    }

    fn outcome(event: &DiceEvent) -> Option<Outcome> {
        match event {
            DiceEvent::MatchWon {
                match_no,
                winner,
                moves,
                ..
            } => Some(Outcome {
                round: *match_no,
                winner: *winner,
                moves: *moves,
            }),
            _ => None,
        }
    }
}
