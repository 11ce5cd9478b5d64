//! How Liar's Dice reads as text lines (the netcat protocol), e.g.
//! `Your dice: 2 5 5 6 1 · bid: 3 fives by Ann · your turn (25 s)`.
//!
//! A hand's line ends with every player's commitment in full, after their
//! name and id (`Ann #7 3f1e…`): the id is one of the hashed parts, so a
//! netcat player needs it to check the commitment.
//!
//! Status lines are built from [`crate::Game::view`], so the text can never
//! show more than the viewer's view.

use super::bid::face_name;
use super::{DiceEvent, DiceRejection, DiceView, LiarsDice};
use crate::{Game, Millis, PlayerId, Render, Viewer};

type Names<'a> = &'a dyn Fn(PlayerId) -> String;

impl Render for LiarsDice {
    fn intro(&self) -> String {
        let view = self.view(Viewer::Spectator);
        let names = |player: PlayerId| format!("player {player}");
        format!(
            "Liar's Dice · {}",
            public_status(&view, Millis::ZERO, &names)
        )
    }

    fn status(&self, viewer: Viewer, now: Millis, names: Names<'_>) -> String {
        let view = self.view(viewer);
        let Some(dice) = &view.dice else {
            return format!("Liar's Dice · {}", public_status(&view, now, names));
        };
        let mut parts = vec![format!("Your dice: {}", faces(dice))];
        parts.push(bid_part(&view, names));
        parts.push(turn_part(&view, viewer.player(), now, names));
        parts.join(" · ")
    }

    fn describe(event: &DiceEvent, viewer: PlayerId, names: Names<'_>) -> String {
        let who = |player: PlayerId| {
            if player == viewer {
                "You".to_owned()
            } else {
                names(player)
            }
        };
        match event {
            DiceEvent::CountdownStarted {
                match_no, seconds, ..
            } => {
                format!("Match {match_no} starts in {seconds} s (or as soon as the table is full).")
            }
            DiceEvent::CountdownCancelled { .. } => {
                "Not enough players left: the countdown stopped.".to_owned()
            }
            DiceEvent::MatchStarted { match_no, players } => {
                let players: Vec<String> = players.iter().map(|&p| names(p)).collect();
                format!("Match {match_no} begins: {}.", players.join(", "))
            }
            DiceEvent::HandStarted {
                hand,
                starter,
                counts,
                commitments,
                ..
            } => {
                let commitments: Vec<String> = commitments
                    .iter()
                    .map(|c| format!("{} #{} {}", names(c.player), c.player, c.commitment))
                    .collect();
                let counts: Vec<String> = counts
                    .iter()
                    .map(|c| format!("{} {}", names(c.player), c.count))
                    .collect();
                let starts = if *starter == viewer {
                    "you start".to_owned()
                } else {
                    format!("{} starts", names(*starter))
                };
                format!(
                    "Hand {hand}: {starts}. Dice: {}. Commitments: {}.",
                    counts.join(", "),
                    commitments.join(", ")
                )
            }
            DiceEvent::Rolled { dice, .. } => format!("Your dice: {}", faces(dice)),
            DiceEvent::Bid {
                player,
                bid,
                timed_out,
                next,
                ..
            } => {
                let late = if *timed_out { " (time ran out)" } else { "" };
                let verb = if *player == viewer { "bid" } else { "bids" };
                let next = if *next == viewer {
                    "Your turn.".to_owned()
                } else {
                    format!("{}'s turn.", names(*next))
                };
                format!("{} {verb} {bid}{late}. {next}", who(*player))
            }
            DiceEvent::Called {
                caller,
                bidder,
                bid,
                count,
                hands,
                loser,
                timed_out,
            } => {
                let late = if *timed_out { " (time ran out)" } else { "" };
                let verb = if *caller == viewer { "call" } else { "calls" };
                let shown: Vec<String> = hands
                    .iter()
                    .map(|hand| {
                        let (who, dice) = (names(hand.player), faces(&hand.dice));
                        format!("{who}: {dice} salt {}", hand.salt)
                    })
                    .collect();
                let there = if *count == 1 { "is" } else { "are" };
                let verdict = if loser == caller {
                    "The bid holds"
                } else {
                    "The bid fails"
                };
                let loses = if *loser == viewer {
                    "you lose"
                } else {
                    "loses"
                };
                let loser_name = if *loser == viewer {
                    String::new()
                } else {
                    format!("{} ", names(*loser))
                };
                format!(
                    "{} {verb} liar{late} on {bid} by {}: there {there} {count} {} ({}). {verdict}: {loser_name}{loses} a die.",
                    who(*caller),
                    names(*bidder),
                    face_name(bid.face, *count != 1),
                    shown.join(" · "),
                )
            }
            DiceEvent::Out { player } if *player == viewer => {
                "You are out of dice: you watch until the match ends.".to_owned()
            }
            DiceEvent::Out { player } => format!("{} is out of dice.", names(*player)),
            DiceEvent::Forfeited {
                player,
                dice_lost,
                next,
            } => {
                let next = match next {
                    Some(next) if *next == viewer => " Your turn.".to_owned(),
                    Some(next) => format!(" {}'s turn.", names(*next)),
                    None => String::new(),
                };
                format!(
                    "{} left the table and forfeits {dice_lost} dice.{next}",
                    names(*player)
                )
            }
            DiceEvent::BotsSat { bots } => {
                format!("Bots take the empty seats: {}.", listed(bots, names))
            }
            DiceEvent::BotsLeft { bots } => {
                format!("The bots leave the table: {}.", listed(bots, names))
            }
            DiceEvent::MatchWon {
                match_no, winner, ..
            } if *winner == viewer => format!("You win match {match_no}!"),
            DiceEvent::MatchWon {
                match_no, winner, ..
            } => format!("{} wins match {match_no}!", names(*winner)),
        }
    }

    fn describe_rejection(rejection: &DiceRejection, names: Names<'_>) -> String {
        match rejection {
            DiceRejection::Syntax { .. } => {
                "Say `bid QUANTITY FACE` (e.g. `bid 3 5`) or `liar`.".to_owned()
            }
            DiceRejection::NotSeated { .. } => "You are not at this table.".to_owned(),
            DiceRejection::NoMatch => {
                "No match is being played yet: waiting for players.".to_owned()
            }
            DiceRejection::NotInMatch { .. } => {
                "You are not playing this match: wait for the next one.".to_owned()
            }
            DiceRejection::NotYourTurn { turn } => {
                format!("Not your turn: it is {}'s.", names(*turn))
            }
            DiceRejection::BadFace { face } => format!("Faces go from 1 to 6, not {face}."),
            DiceRejection::BadQuantity { quantity, dice } => {
                format!("A bid is for 1 to {dice} dice (all dice on the table), not {quantity}.")
            }
            DiceRejection::NotHigher { bid, last } => format!(
                "{bid} is not higher than {last}: raise the quantity, or the face at the same quantity."
            ),
            DiceRejection::NoBidToCall => {
                "There is no bid to call liar on: make the first bid.".to_owned()
            }
        }
    }
}

/// `2 5 5 6 1`.
/// `Bot 1, Bot 2`.
fn listed(players: &[PlayerId], names: Names<'_>) -> String {
    let names: Vec<String> = players.iter().map(|&player| names(player)).collect();
    names.join(", ")
}

fn faces(dice: &[u8]) -> String {
    let faces: Vec<String> = dice.iter().map(u8::to_string).collect();
    faces.join(" ")
}

/// What anyone may see: counts, the bid, whose turn; or the wait.
fn public_status(view: &DiceView, now: Millis, names: Names<'_>) -> String {
    if !view.playing {
        return match view.countdown {
            Some(at) => format!(
                "match {} starts in {} s ({} seated)",
                view.match_no,
                at.since(now).ceil_secs(),
                view.waiting.len()
            ),
            None => format!(
                "waiting for players ({} seated, 2 needed to start)",
                view.waiting.len()
            ),
        };
    }
    let counts: Vec<String> = view
        .seats
        .iter()
        .map(|seat| format!("{} {}", names(seat.player), seat.dice_count))
        .collect();
    format!(
        "match {} · dice: {} · {} · {}",
        view.match_no,
        counts.join(", "),
        bid_part(view, names),
        turn_part(view, None, now, names)
    )
}

/// `bid: 3 fives by Ann` or `no bid yet`.
fn bid_part(view: &DiceView, names: Names<'_>) -> String {
    match (view.bid, view.bidder) {
        (Some(bid), Some(bidder)) => format!("bid: {bid} by {}", names(bidder)),
        _ => "no bid yet".to_owned(),
    }
}

/// `your turn (25 s)` or `Bob's turn (25 s)`.
fn turn_part(view: &DiceView, me: Option<PlayerId>, now: Millis, names: Names<'_>) -> String {
    let left = view
        .deadline
        .map_or(0, |deadline| deadline.since(now).ceil_secs());
    match view.turn {
        Some(turn) if Some(turn) == me => format!("your turn ({left} s)"),
        Some(turn) => format!("{}'s turn ({left} s)", names(turn)),
        None => "nobody's turn".to_owned(),
    }
}
