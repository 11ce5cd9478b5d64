//! Liar's Dice lines as a dice bot hears them: one line in, one [`DiceHeard`] out. Pure.
//!
//! The wording is `docs/protocol.md`, "Playing: Liar's Dice". A bot needs little of it: its
//! own dice, the dice on the table, the bid, whether it is its turn, and which line answers
//! its own move. Names are never parsed out of a line except to sum the `Dice:` counts, so
//! a name with spaces (`Player 7`) costs nothing.
//!
//! ```
//! use referee_load::dice::line::{DiceHeard, heard};
//!
//! assert_eq!(
//!     heard("Hand 2: you start. Dice: Player 1 5, Player 2 4. Commitments: …."),
//!     DiceHeard::Hand { mine: true, total: Some(9) }
//! );
//! assert_eq!(heard("Your dice: 6 3 5"), DiceHeard::Dice { faces: vec![6, 3, 5], my_turn: false, bid: None });
//! assert_eq!(
//!     heard("Player 2 bids 3 fives. Your turn."),
//!     DiceHeard::Bid { quantity: 3, face: 5, mine: false, timed_out: false, my_turn: true }
//! );
//! ```

/// One line, as far as a dice bot is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiceHeard {
    /// `* You joined room N (…)`: the bot sits at table `N`.
    Joined {
        /// The room.
        room: u64,
    },
    /// `Welcome to Referee! You are player N.`
    Welcome {
        /// The bot's player id (its name is `Player N` until it changes it).
        player: u64,
    },
    /// `Hand H: … start(s). Dice: A 5, B 4. Commitments: …`: a new hand.
    Hand {
        /// The bot starts it.
        mine: bool,
        /// All dice on the table, when the counts parse.
        total: Option<u32>,
    },
    /// `Your dice: 2 5 5` (the roll), or the status line `Your dice: 2 5 5 · bid: … · your
    /// turn (25 s)` a player gets on sitting down.
    Dice {
        /// The faces.
        faces: Vec<u8>,
        /// The status line says it is this bot's turn.
        my_turn: bool,
        /// The bid the status line shows.
        bid: Option<(u32, u8)>,
    },
    /// `Ann bids 3 fives. Bob's turn.` or `You bid 3 fives. …`: a bid was accepted.
    Bid {
        /// How many.
        quantity: u32,
        /// Of which face.
        face: u8,
        /// The bot's own bid (`You bid`).
        mine: bool,
        /// The referee bid for the player (`(time ran out)`).
        timed_out: bool,
        /// It is now the bot's turn (`Your turn.`).
        my_turn: bool,
    },
    /// `… call(s) liar … The bid holds: … loses a die.`: the hand is over.
    Called {
        /// The bot called (`You call liar`).
        mine: bool,
        /// The referee called for the player (`(time ran out)`).
        timed_out: bool,
    },
    /// `Ann left the table and forfeits 3 dice. Your turn.`
    Forfeited {
        /// The dice that left the table with the player.
        dice: u32,
        /// It is now the bot's turn.
        my_turn: bool,
    },
    /// `Ann wins match 3!` or `You win match 3!`.
    MatchWon {
        /// The bot won.
        mine: bool,
    },
    /// A refusal of the bot's move (`Not your turn: …`, ``Say `bid …` ``, `… is not higher
    /// than …`, …) or an `error:` line.
    Rejected,
    /// Anything else: guess-the-number lines, notices, chat, the countdown.
    Ignored,
}

/// The first words of every refusal of a dice move (`describe_rejection` in the rules).
const REFUSALS: [&str; 9] = [
    "error:",
    "Not your turn: ",
    "Say `bid QUANTITY FACE`",
    "Faces go from 1 to 6",
    "A bid is for 1 to ",
    "There is no bid to call liar on",
    "You are not at this table.",
    "No match is being played yet",
    "You are not playing this match",
];

/// What `line` (without its line ending) means to a dice bot. Never panics.
pub fn heard(line: &str) -> DiceHeard {
    if let Some(heard) = welcome(line).or_else(|| joined(line)) {
        return heard;
    }
    if let Some(rest) = line.strip_prefix("Hand ") {
        return hand(rest);
    }
    if let Some(rest) = line.strip_prefix("Your dice: ") {
        return dice(rest);
    }
    if is_call(line) {
        return DiceHeard::Called {
            mine: line.starts_with("You call liar"),
            timed_out: line.contains(" liar (time ran out) on "),
        };
    }
    if let Some(heard) = bid(line) {
        return heard;
    }
    if let Some((_, rest)) = line.split_once(" left the table and forfeits ") {
        let dice = rest.split(' ').next().and_then(|n| n.parse().ok());
        return DiceHeard::Forfeited {
            dice: dice.unwrap_or(0),
            my_turn: line.ends_with(" Your turn."),
        };
    }
    if line.ends_with('!') && line.contains(" match ") {
        if line.starts_with("You win match ") {
            return DiceHeard::MatchWon { mine: true };
        }
        if line.contains(" wins match ") {
            return DiceHeard::MatchWon { mine: false };
        }
    }
    let refused = REFUSALS.iter().any(|prefix| line.starts_with(prefix))
        || line.contains(" is not higher than ");
    match refused {
        true => DiceHeard::Rejected,
        false => DiceHeard::Ignored,
    }
}

/// The face a word names: `one`/`ones` … `six`/`sixes`, or a bare number.
pub fn face(word: &str) -> Option<u8> {
    const NAMES: [&str; 6] = ["one", "two", "three", "four", "five", "six"];
    let singular = word
        .strip_suffix("es")
        .filter(|stem| *stem == "six")
        .or_else(|| word.strip_suffix('s'))
        .unwrap_or(word);
    let named = NAMES.iter().position(|name| *name == singular);
    let face = match named {
        Some(index) => u8::try_from(index + 1).ok()?,
        None => word.parse().ok()?,
    };
    (1..=6).contains(&face).then_some(face)
}

fn welcome(line: &str) -> Option<DiceHeard> {
    let rest = line.strip_prefix("Welcome to Referee! You are player ")?;
    let player = rest.strip_suffix('.')?.parse().ok()?;
    Some(DiceHeard::Welcome { player })
}

fn joined(line: &str) -> Option<DiceHeard> {
    let rest = line.strip_prefix("* You joined room ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(DiceHeard::Joined {
        room: digits.parse().ok()?,
    })
}

/// After `Hand `: `2: you start. Dice: A 5, B 4. Commitments: ….`
fn hand(rest: &str) -> DiceHeard {
    let Some((_, rest)) = rest.split_once(": ") else {
        return DiceHeard::Ignored;
    };
    let total = rest
        .split_once(". Dice: ")
        .and_then(|(_, counts)| counts.split_once(". Commitments: "))
        .and_then(|(counts, _)| total(counts));
    DiceHeard::Hand {
        mine: rest.starts_with("you start."),
        total,
    }
}

/// `A 5, Player 2 4` summed.
fn total(counts: &str) -> Option<u32> {
    counts.split(", ").try_fold(0_u32, |sum, entry| {
        let (_, count) = entry.rsplit_once(' ')?;
        sum.checked_add(count.parse().ok()?)
    })
}

/// After `Your dice: `: `2 5 5`, or `2 5 5 · bid: 3 fives by Ann · your turn (25 s)`.
fn dice(rest: &str) -> DiceHeard {
    let mut parts = rest.split(" · ");
    let faces: Option<Vec<u8>> = parts
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|face| face.parse().ok().filter(|face| (1..=6).contains(face)))
        .collect();
    let Some(faces) = faces.filter(|faces| !faces.is_empty()) else {
        return DiceHeard::Ignored;
    };
    let (mut my_turn, mut bid) = (false, None);
    for part in parts {
        my_turn |= part.starts_with("your turn (");
        if let Some(shown) = part.strip_prefix("bid: ") {
            bid = quantity_and_face(shown);
        }
    }
    DiceHeard::Dice {
        faces,
        my_turn,
        bid,
    }
}

/// `3 fives…` as `(3, 5)`.
fn quantity_and_face(text: &str) -> Option<(u32, u8)> {
    let mut words = text.split_whitespace();
    let quantity = words.next()?.parse().ok()?;
    let word = words.next()?.trim_end_matches(['.', ',']);
    Some((quantity, face(word)?))
}

fn is_call(line: &str) -> bool {
    (line.contains(" calls liar") || line.starts_with("You call liar"))
        && (line.contains(". The bid holds: ") || line.contains(". The bid fails: "))
}

/// `Ann bids 3 fives. Bob's turn.`, `You bid 1 one (time ran out). Your turn.`
fn bid(line: &str) -> Option<DiceHeard> {
    let (mine, rest) = match line.strip_prefix("You bid ") {
        Some(rest) => (true, rest),
        None => (false, line.split_once(" bids ")?.1),
    };
    let (quantity, face) = quantity_and_face(rest)?;
    Some(DiceHeard::Bid {
        quantity,
        face,
        mine,
        timed_out: rest.contains(" (time ran out). "),
        my_turn: line.ends_with(" Your turn."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_are_read_by_name_or_number() {
        assert_eq!(face("one"), Some(1));
        assert_eq!(face("ones"), Some(1));
        assert_eq!(face("sixes"), Some(6));
        assert_eq!(face("six"), Some(6));
        assert_eq!(face("fours"), Some(4));
        assert_eq!(face("4"), Some(4));
        assert_eq!(face("sevens"), None);
        assert_eq!(face("0"), None);
    }

    #[test]
    fn the_lines_of_a_hand_are_recognised() {
        let hand = "Hand 1: Player 1 starts. Dice: Player 1 5, Player 2 5, Player 3 5. \
                    Commitments: Player 1 #1 8f16, Player 2 #2 5154, Player 3 #3 61bb.";
        assert_eq!(
            heard(hand),
            DiceHeard::Hand {
                mine: false,
                total: Some(15)
            }
        );
        let status = "Your dice: 2 1 2 5 6 · bid: 2 sixes by Player 1 · your turn (2 s)";
        assert_eq!(
            heard(status),
            DiceHeard::Dice {
                faces: vec![2, 1, 2, 5, 6],
                my_turn: true,
                bid: Some((2, 6))
            }
        );
        let timed = "You bid 1 one (time ran out). Player 2's turn.";
        assert_eq!(
            heard(timed),
            DiceHeard::Bid {
                quantity: 1,
                face: 1,
                mine: true,
                timed_out: true,
                my_turn: false
            }
        );
        let call = "Player 2 calls liar (time ran out) on 1 one by Player 1: there is 1 one \
                    (Player 1: 2 4 6 4 6 salt fc · Player 2: 5 3 salt 2e). The bid holds: \
                    Player 2 loses a die.";
        assert_eq!(
            heard(call),
            DiceHeard::Called {
                mine: false,
                timed_out: true
            }
        );
        let mine =
            "You call liar on 3 twos by Ann: there are 2 twos (…). The bid fails: Ann loses a die.";
        assert_eq!(
            heard(mine),
            DiceHeard::Called {
                mine: true,
                timed_out: false
            }
        );
        assert_eq!(
            heard("You win match 3!"),
            DiceHeard::MatchWon { mine: true }
        );
        assert_eq!(
            heard("Player 4 wins match 3!"),
            DiceHeard::MatchWon { mine: false }
        );
        assert_eq!(
            heard("Ann left the table and forfeits 2 dice. Your turn."),
            DiceHeard::Forfeited {
                dice: 2,
                my_turn: true
            }
        );
        assert_eq!(
            heard("* You joined room 12 (1/4 players: Player 1)."),
            DiceHeard::Joined { room: 12 }
        );
        assert_eq!(
            heard("Welcome to Referee! You are player 7."),
            DiceHeard::Welcome { player: 7 }
        );
    }

    #[test]
    fn refusals_are_rejections_and_the_rest_is_ignored() {
        for refusal in [
            "Not your turn: it is Player 2's.",
            "Say `bid QUANTITY FACE` (e.g. `bid 3 5`) or `liar`.",
            "2 fives is not higher than 2 sixes: raise the quantity, or the face at the same quantity.",
            "There is no bid to call liar on: make the first bid.",
            "A bid is for 1 to 9 dice (all dice on the table), not 10.",
            "error: you are not in a room",
        ] {
            assert_eq!(heard(refusal), DiceHeard::Rejected, "{refusal}");
        }
        for other in [
            "Round 1: guess a number from 0 to 19. Commitment: 29f9",
            "Match 1 starts in 1 s (or as soon as the table is full).",
            "Your dice: ",
            "Your dice: 7 9",
            "Hand x",
            "",
        ] {
            assert_eq!(heard(other), DiceHeard::Ignored, "{other}");
        }
    }
}
