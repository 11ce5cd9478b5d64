//! `referee verify COMMITMENT SECRET SALT ROUND`: checks a guess-the-number round by hand.
//!
//! The round line published the commitment before anyone guessed; the win revealed the
//! secret and the salt. This recomputes the commitment from them (the exact bytes are in
//! `docs/protocol.md`, "Provably fair rounds") so a player need not trust the web page, or
//! the server, to check it. Exit status: 0 when it matches, 1 when it does not, 2 when an
//! argument is malformed (clap's own usage errors, bad hex included, exit 2 too).

use std::process::ExitCode;

use referee_rules::{Commitment, Salt, verify_guess};

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
