//! What one viewer may see of a Liar's Dice room: [`DiceView`] — their own
//! dice, everyone's dice counts, the bid, whose turn and until when. Never
//! another player's faces.

use serde::{Deserialize, Serialize};

use super::{Bid, LiarsDice, Phase};
use crate::{Commitment, Millis, PlayerId, Viewer};

/// One player in the match, as everyone sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatView {
    /// Who.
    pub player: PlayerId,
    /// How many dice they have (0: out).
    pub dice_count: u32,
    /// The commitment to their dice this hand (`None`: out of dice).
    pub commitment: Option<Commitment>,
    /// A bot sits here (the host allows bots to fill empty seats).
    pub bot: bool,
}

/// One viewer's view of a Liar's Dice room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceView {
    /// The match in play, or the next one.
    pub match_no: u64,
    /// Whether a match is in play.
    pub playing: bool,
    /// When the next match starts, if a countdown runs.
    pub countdown: Option<Millis>,
    /// The hand in play (0 between matches).
    pub hand: u64,
    /// The match's players in turn order, with their dice counts.
    pub seats: Vec<SeatView>,
    /// The viewer's own faces this hand; `None` for a spectator or anyone
    /// not holding dice.
    pub dice: Option<Vec<u8>>,
    /// The standing bid.
    pub bid: Option<Bid>,
    /// Who made it.
    pub bidder: Option<PlayerId>,
    /// Whose turn it is.
    pub turn: Option<PlayerId>,
    /// When the current turn times out.
    pub deadline: Option<Millis>,
    /// Seated players waiting for the next match.
    pub waiting: Vec<PlayerId>,
}

/// `viewer`'s view of `game`.
pub(super) fn of(game: &LiarsDice, viewer: Viewer) -> DiceView {
    let table = match &game.phase {
        Phase::Playing(table) => Some(table),
        Phase::Waiting { .. } => None,
    };
    let in_match = |player| table.is_some_and(|table| table.seat(player).is_some());
    let own = viewer.player().and_then(|player| table?.seat(player));
    DiceView {
        match_no: game.match_no,
        playing: table.is_some(),
        countdown: match game.phase {
            Phase::Waiting { countdown } => countdown,
            Phase::Playing(_) => None,
        },
        hand: table.map_or(0, |table| table.hand),
        seats: table.map_or_else(Vec::new, |table| {
            table
                .seats
                .iter()
                .map(|seat| SeatView {
                    player: seat.player,
                    dice_count: u32::try_from(seat.dice.len()).unwrap_or(u32::MAX),
                    commitment: (!seat.dice.is_empty()).then_some(seat.commitment),
                    bot: game.bots.contains(&seat.player),
                })
                .collect()
        }),
        dice: own
            .filter(|seat| !seat.dice.is_empty())
            .map(|seat| seat.dice.clone()),
        bid: table.and_then(|table| table.bid).map(|(bid, _)| bid),
        bidder: table.and_then(|table| table.bid).map(|(_, bidder)| bidder),
        turn: table.map(|table| table.turn),
        deadline: table.map(|table| table.deadline),
        waiting: game
            .seated
            .iter()
            .copied()
            .filter(|&player| !in_match(player))
            .collect(),
    }
}
