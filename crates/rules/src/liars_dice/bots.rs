//! Bots at a Liar's Dice table: when the host allows them
//! ([`DiceConfig::with_bots`](super::DiceConfig::with_bots)), they take the
//! seats no human took as the start countdown ends, so one person can play
//! at once.
//!
//! The rules, not the server, decide when bots sit and stand, so the seat
//! rules stay pure and replayable: bots sit only as a countdown ends with a
//! human seated, stand up when their match ends (the seats are free again
//! for humans who arrived meanwhile), and never stay without a human — the
//! last human leaving ends the match with no winner. A bot plays like anyone
//! else, through [`crate::Game::apply`], with the same turn clock and
//! rejections; what it plays is [`super::strategy::choose`] of its own view.

use super::{DiceEvent, LiarsDice, Phase};
use crate::{Millis, PlayerId};

impl LiarsDice {
    /// Seated players who are not bots.
    fn humans(&self) -> usize {
        self.seated
            .iter()
            .filter(|player| !self.bots.contains(player))
            .count()
    }

    /// Seats bots would take now: the countdown passed with seats empty and
    /// at least one human seated (bots allowed).
    pub(super) fn open_seats(&self, now: Millis) -> usize {
        let counted_down = matches!(
            self.phase,
            Phase::Waiting { countdown: Some(at) } if at <= now
        );
        if !self.config.bots() || !counted_down || self.humans() == 0 {
            return 0;
        }
        usize::from(self.config.players()).saturating_sub(self.seated.len())
    }

    /// `bots` take the open seats (ids already seated or past the open
    /// seats are ignored); the table is then full and the match starts.
    pub(super) fn sit_bots(
        &mut self,
        bots: &[PlayerId],
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        let open = self.open_seats(now);
        let sitting: Vec<PlayerId> = bots
            .iter()
            .copied()
            .filter(|bot| !self.wins.contains_key(bot))
            .take(open)
            .collect();
        if sitting.is_empty() {
            return Vec::new();
        }
        for &bot in &sitting {
            self.seated.push(bot);
            self.wins.insert(bot, 0);
            self.bots.insert(bot);
        }
        let mut events = vec![DiceEvent::BotsSat { bots: sitting }];
        events.extend(self.maybe_start(now, rng));
        events
    }

    /// Between matches: every bot stands up.
    pub(super) fn unseat_bots(&mut self) -> Vec<DiceEvent> {
        if self.bots.is_empty() {
            return Vec::new();
        }
        let bots: Vec<PlayerId> = std::mem::take(&mut self.bots).into_iter().collect();
        self.seated.retain(|player| !bots.contains(player));
        self.wins.retain(|player, _| !bots.contains(player));
        vec![DiceEvent::BotsLeft { bots }]
    }

    /// `leaver` is about to leave: if they are the last human, the match in
    /// play (if any) ends with no winner and the bots stand up.
    pub(super) fn abandon_to_bots(&mut self, leaver: PlayerId) -> Vec<DiceEvent> {
        let last_human = !self.bots.contains(&leaver) && self.humans() == 1;
        if !last_human || self.bots.is_empty() {
            return Vec::new();
        }
        if matches!(self.phase, Phase::Playing(_)) {
            self.match_no += 1;
        }
        self.phase = Phase::Waiting { countdown: None };
        self.unseat_bots()
    }
}
