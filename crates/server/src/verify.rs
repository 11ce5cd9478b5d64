//! `referee verify COMMITMENT SECRET SALT ROUND`: checks a guess-the-number round by hand;
//! `referee verify-dice COMMITMENT MATCH HAND PLAYER DICE SALT`: one player's Liar's Dice hand.
//!
//! The round line published the commitment before anyone guessed; the win revealed the
//! secret and the salt. This recomputes the commitment from them (the exact bytes are in
//! `docs/protocol.md`, "Provably fair rounds") so a player need not trust the web page, or
//! the server, to check it. Exit status: 0 when it matches, 1 when it does not, 2 when an
//! argument is malformed (clap's own usage errors, bad hex included, exit 2 too).

use std::process::ExitCode;

use referee_rules::{Commitment, DiceConfig, PlayerId, Salt, verify_dice, verify_guess};

/// The four values to check, in the order the protocol's lines give them.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The commitment from the round line (`Commitment: …`, 64 hex digits).
    commitment: Commitment,
    /// The number revealed by the win.
    secret: u32,
    /// The salt revealed by the win (`Salt: …`, 32 hex digits).
    salt: Salt,
    /// The round the commitment was published for.
    round: u64,
}

/// Prints `ok` and succeeds when the commitment opens to `secret` and `salt` in `round`;
/// otherwise says what does not match on stderr and exits 1.
pub(crate) fn run(args: &VerifyArgs) -> ExitCode {
    if verify_guess(&args.commitment, args.round, args.secret, &args.salt) {
        println!("ok");
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "mismatch: commitment {} is not sha256 of round {}, secret {} and salt {}",
        args.commitment, args.round, args.secret, args.salt
    );
    ExitCode::FAILURE
}

/// The six values to check, in the order the hand and call lines give them.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyDiceArgs {
    /// The player's commitment from the hand line (`Commitments: Ann #7 …`, 64 hex digits).
    commitment: Commitment,
    /// The match (`Match 2 begins: …`).
    match_no: u64,
    /// The hand within the match (`Hand 3: …`).
    hand: u64,
    /// The player's id (`#7` in the hand line).
    player: u64,
    /// The faces the call revealed, as one argument: `"2 5 5 6 1"` (or `25561`).
    #[arg(value_parser = parse_faces)]
    dice: Faces,
    /// The salt the call revealed after those faces (`salt …`, 32 hex digits).
    salt: Salt,
}

/// A hand's faces, in the order rolled.
#[derive(Clone, Debug)]
struct Faces(Vec<u8>);

/// `2 5 5 6 1`, `2,5,5,6,1` or `25561`: 1 to 5 faces from 1 to 6.
fn parse_faces(text: &str) -> Result<Faces, String> {
    let faces = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .map(|c| match c {
            '1'..='6' => Ok(c as u8 - b'0'),
            _ => Err(format!("not a face from 1 to 6: {c:?}")),
        })
        .collect::<Result<Vec<u8>, String>>()?;
    if faces.is_empty() || faces.len() > usize::from(DiceConfig::DICE_EACH) {
        return Err(format!("a hand has 1 to {} dice", DiceConfig::DICE_EACH));
    }
    Ok(Faces(faces))
}

/// Prints `ok` and succeeds when the commitment opens to the dice and salt; otherwise says
/// what does not match on stderr and exits 1.
pub(crate) fn run_dice(args: &VerifyDiceArgs) -> ExitCode {
    let VerifyDiceArgs {
        commitment,
        match_no,
        hand,
        player,
        dice: Faces(dice),
        salt,
    } = args;
    if verify_dice(commitment, *match_no, *hand, PlayerId(*player), dice, salt) {
        println!("ok");
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "mismatch: commitment {commitment} is not sha256 of match {match_no}, hand {hand}, \
         player {player}, dice {dice:?} and salt {salt}"
    );
    ExitCode::FAILURE
}
