//! The fuzz's fairness checker: every commitment published when a hand
//! starts is opened by the call that ends it, and no salt reaches anyone
//! (its owner included) before that call — a commitment to one of 6^5
//! hands whose salt is known is brute-forced at once.

use std::collections::BTreeMap;

use referee_rules::{
    Commitment, DiceEvent, DiceView, Game, LiarsDice, PlayerId, Viewer, verify_dice,
};

/// What the checker knows of the hand in play.
#[derive(Default)]
pub(crate) struct Fairness {
    match_no: u64,
    hand: u64,
    /// The commitments published at the hand's start, of players still in it.
    published: BTreeMap<PlayerId, Commitment>,
    /// Every event sent since the hand started, as JSON (and, at the call,
    /// every view of the state before it).
    since_roll: Vec<String>,
    /// Commitments opened by a call.
    pub(crate) opened: u64,
}

impl Fairness {
    /// Checks one event (`text`: its JSON) against `before`, the state the
    /// step began with.
    pub(crate) fn observe(&mut self, before: &LiarsDice, event: &DiceEvent, text: &str) {
        match event {
            DiceEvent::HandStarted {
                match_no,
                hand,
                counts,
                commitments,
                ..
            } => {
                let committed: Vec<PlayerId> = commitments.iter().map(|c| c.player).collect();
                let counted: Vec<PlayerId> = counts.iter().map(|c| c.player).collect();
                assert_eq!(committed, counted, "a player in the hand has no commitment");
                (self.match_no, self.hand) = (*match_no, *hand);
                self.published = commitments
                    .iter()
                    .map(|c| (c.player, c.commitment))
                    .collect();
                self.since_roll.clear();
            }
            DiceEvent::Called { hands, .. } => {
                let revealed: Vec<PlayerId> = hands.iter().map(|h| h.player).collect();
                let published: Vec<PlayerId> = self.published.keys().copied().collect();
                assert_eq!(revealed, published, "the call reveals other players");
                let views = viewers(before)
                    .into_iter()
                    .map(|viewer| serde_json::to_string(&before.view(viewer)).unwrap());
                self.since_roll.extend(views);
                for hand in hands {
                    let commitment = &self.published[&hand.player];
                    let (player, dice, salt) = (hand.player, &hand.dice, &hand.salt);
                    assert!(
                        verify_dice(commitment, self.match_no, self.hand, player, dice, salt),
                        "match {} hand {}: {player}'s reveal does not open {commitment}",
                        self.match_no,
                        self.hand
                    );
                    self.opened += 1;
                    let salt = salt.to_string();
                    for sent in &self.since_roll {
                        assert!(
                            !sent.contains(&salt),
                            "salt {salt} sent before the call: {sent}"
                        );
                    }
                }
                self.published.clear();
                self.since_roll.clear();
                return;
            }
            DiceEvent::Forfeited { player, .. } => {
                self.published.remove(player);
            }
            DiceEvent::MatchWon { .. } => self.published.clear(),
            _ => {}
        }
        // A `salt` key anywhere, at any depth (the serializer escapes any
        // quote inside a string, so this is only ever a key).
        assert!(
            !text.contains(r#""salt":"#),
            "a salt sent before the call: {text}"
        );
        self.since_roll.push(text.to_owned());
    }

    /// Every seat in `view` shows the commitment published for it.
    pub(crate) fn check_view(&self, view: &DiceView) {
        for seat in view.seats.iter().filter(|seat| seat.dice_count > 0) {
            assert_eq!(
                seat.commitment.as_ref(),
                self.published.get(&seat.player),
                "{}'s seat shows another commitment",
                seat.player
            );
        }
    }
}

/// The spectator and every seated player.
fn viewers(game: &LiarsDice) -> Vec<Viewer> {
    let players = game.scores().into_iter().map(|s| Viewer::Player(s.player));
    std::iter::once(Viewer::Spectator).chain(players).collect()
}
