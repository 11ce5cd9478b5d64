//! The Liar's Dice lines the checker reads, parsed with names (docs/protocol.md, "Playing:
//! Liar's Dice"). What a line says about its reader (`You bid`, `you start`, `Your turn.`,
//! `you lose a die`, `You win`) is read as the reader's name, so that every player's log
//! tells the table's story in the same words.

/// One line of a dice table, as the checker needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// `Match M begins: A, B.`
    MatchBegins { match_no: u64 },
    /// `Hand H: A starts. Dice: A 5, B 4. Commitments: A #1 HEX, B #2 HEX.`
    Hand {
        hand: u64,
        starter: String,
        counts: Vec<(String, u32)>,
        /// (name, player id, commitment).
        commitments: Vec<(String, u64, String)>,
    },
    /// `Your dice: 2 5 5` (or the status line that starts so).
    YourDice { faces: Vec<u8> },
    /// `A bids 3 fives. B's turn.`
    Bid {
        actor: String,
        quantity: u32,
        face: u8,
        next: String,
    },
    /// `C calls liar on 3 fives by B: there are 2 fives (A: 6 3 salt HEX · …). The bid
    /// fails: B loses a die.`
    Called(Call),
    /// `A left the table and forfeits 3 dice.` (and maybe `B's turn.`)
    Forfeited {
        player: String,
        next: Option<String>,
    },
    /// `A wins match M!`
    Won { match_no: u64, winner: String },
}

/// A challenge as one player read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) caller: String,
    pub(crate) quantity: u32,
    pub(crate) face: u8,
    pub(crate) bidder: String,
    /// The count the referee announced.
    pub(crate) count: u32,
    /// (name, faces, salt) for every hand revealed.
    pub(crate) hands: Vec<(String, Vec<u8>, String)>,
    /// `The bid holds` (rather than `fails`).
    pub(crate) holds: bool,
    pub(crate) loser: String,
}

/// `line` as heard by `me`, if it is one of the lines above.
pub(crate) fn parse(line: &str, me: &str) -> Option<Line> {
    if let Some(rest) = line.strip_prefix("Your dice: ") {
        let faces = rest.split(" · ").next()?;
        let faces: Option<Vec<u8>> = faces.split_whitespace().map(|f| f.parse().ok()).collect();
        return Some(Line::YourDice { faces: faces? });
    }
    if let Some(rest) = line.strip_prefix("Hand ") {
        return hand(rest, me);
    }
    if let Some(rest) = line.strip_prefix("Match ") {
        let (number, rest) = rest.split_once(' ')?;
        if !rest.starts_with("begins: ") {
            return None;
        }
        let match_no = number.parse().ok()?;
        return Some(Line::MatchBegins { match_no });
    }
    if line.contains(" liar") && line.contains(": there ") {
        return call(line, me).map(Line::Called);
    }
    if let Some(won) = won(line, me) {
        return Some(won);
    }
    if let Some((player, rest)) = line.split_once(" left the table and forfeits ") {
        let next = rest
            .split_once(" dice. ")
            .and_then(|(_, next)| turn(next, me));
        let player = player.to_owned();
        return Some(Line::Forfeited { player, next });
    }
    bid(line, me)
}

/// `Ann's turn.` or `Your turn.` as a name.
fn turn(text: &str, me: &str) -> Option<String> {
    if text == "Your turn." {
        return Some(me.to_owned());
    }
    text.strip_suffix("'s turn.").map(str::to_owned)
}

fn hand(rest: &str, me: &str) -> Option<Line> {
    let (number, rest) = rest.split_once(": ")?;
    let (starts, rest) = rest.split_once(". Dice: ")?;
    let (counts, commitments) = rest.split_once(". Commitments: ")?;
    let starter = match starts {
        "you start" => me.to_owned(),
        other => other.strip_suffix(" starts")?.to_owned(),
    };
    let counts = counts
        .split(", ")
        .map(|entry| {
            let (name, count) = entry.rsplit_once(' ')?;
            Some((name.to_owned(), count.parse().ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    let commitments = commitments
        .trim_end_matches('.')
        .split(", ")
        .map(|entry| {
            let (named, hex) = entry.rsplit_once(' ')?;
            let (name, id) = named.rsplit_once(" #")?;
            Some((name.to_owned(), id.parse().ok()?, hex.to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Line::Hand {
        hand: number.parse().ok()?,
        starter,
        counts,
        commitments,
    })
}

/// `Ann bids 3 fives (time ran out). Bob's turn.` / `You bid 1 one. Your turn.`
fn bid(line: &str, me: &str) -> Option<Line> {
    let (actor, rest) = match line.strip_prefix("You bid ") {
        Some(rest) => (me.to_owned(), rest),
        None => {
            let (actor, rest) = line.split_once(" bids ")?;
            (actor.to_owned(), rest)
        }
    };
    let (quantity, face) = quantity_and_face(rest)?;
    let (_, next) = rest.split_once(". ")?;
    Some(Line::Bid {
        actor,
        quantity,
        face,
        next: turn(next, me)?,
    })
}

fn call(line: &str, me: &str) -> Option<Call> {
    let (caller, rest) = match line.strip_prefix("You call liar") {
        Some(rest) => (me.to_owned(), rest),
        None => {
            let (caller, rest) = line.split_once(" calls liar")?;
            (caller.to_owned(), rest)
        }
    };
    let (_, rest) = rest.split_once(" on ")?;
    let (quantity, face) = quantity_and_face(rest)?;
    let (_, rest) = rest.split_once(" by ")?;
    let (bidder, rest) = rest.split_once(": there ")?;
    let rest = rest
        .strip_prefix("is ")
        .or_else(|| rest.strip_prefix("are "))?;
    let (count, rest) = rest.split_once(' ')?;
    let (_, rest) = rest.split_once(" (")?;
    let (shown, verdict) = rest.rsplit_once("). The bid ")?;
    let hands = shown
        .split(" · ")
        .map(|hand| {
            let (name, rest) = hand.split_once(": ")?;
            let (faces, salt) = rest.split_once(" salt ")?;
            let faces: Option<Vec<u8>> = faces.split(' ').map(|f| f.parse::<u8>().ok()).collect();
            Some((name.to_owned(), faces?, salt.to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    let (holds, loser) = verdict.split_once(": ")?;
    let loser = match loser {
        "you lose a die." => me.to_owned(),
        other => other.strip_suffix(" loses a die.")?.to_owned(),
    };
    Some(Call {
        caller,
        quantity,
        face,
        bidder: bidder.to_owned(),
        count: count.parse().ok()?,
        hands,
        holds: holds == "holds",
        loser,
    })
}

fn won(line: &str, me: &str) -> Option<Line> {
    let (winner, number) = match line.strip_prefix("You win match ") {
        Some(number) => (me.to_owned(), number),
        None => {
            let (winner, number) = line.split_once(" wins match ")?;
            (winner.to_owned(), number)
        }
    };
    let match_no = number.strip_suffix('!')?.parse().ok()?;
    Some(Line::Won { match_no, winner })
}

/// `3 fives…` as `(3, 5)`.
fn quantity_and_face(text: &str) -> Option<(u32, u8)> {
    let mut words = text.split_whitespace();
    let quantity = words.next()?.parse().ok()?;
    let word = words.next()?.trim_end_matches(['.', ',', ':']);
    const NAMES: [&str; 6] = ["one", "two", "three", "four", "five", "six"];
    let singular = match word {
        "sixes" => "six",
        other => other.strip_suffix('s').unwrap_or(other),
    };
    let face = NAMES.iter().position(|name| *name == singular)?;
    Some((quantity, u8::try_from(face + 1).ok()?))
}
