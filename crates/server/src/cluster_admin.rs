//! `referee cluster …`: what a host does to a running cluster from the command line, through
//! its shared database (no node needs to be stopped).
//!
//! `referee cluster rotate-token-key --db postgres://… [--revoke]` draws a new key for the
//! players' tokens (`referee_store::rotate_token_key`). Without `--revoke` the tokens
//! signed before stay valid until they expire (24 h after issue): nobody is logged out.
//! With it, every token signed before is refused as soon as each node re-reads the keys
//! (after its next heartbeat, about a second): the answer to a leaked key.
//!
//! `referee cluster revoke-token --db postgres://… (--token TOKEN | --player NUMBER)` refuses
//! one player's tokens alone (`referee_store::revoke_token`): the stolen token itself, or
//! every token of the player number `/api/rooms` or the log shows. Every other player stays.

use std::process::ExitCode;

use anyhow::Context as _;
use referee_server::cluster::{TOKEN_LIFETIME, TOKEN_SKEW, token_names};
use referee_store::{MAX_REVOCATIONS, Revoke, Revoked, Rotation, revoke_token, rotate_token_key};

/// `referee cluster`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClusterArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ClusterCommand {
    /// Draw a new key for the players' tokens; the old one stays accepted until the tokens
    /// it signed expire (24 h), unless --revoke. Every node takes the new keys within about
    /// a second, without a restart.
    RotateTokenKey(RotateArgs),
    /// Refuse one player's tokens on every node within about a second: the token given
    /// (and that player's older ones), or every token of the player number given. Other
    /// players' tokens keep working.
    RevokeToken(RevokeArgs),
}

#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The cluster's PostgreSQL database, as its nodes are given it (`postgres://…`).
    #[arg(long, value_name = "POSTGRES_URL")]
    db: String,
    /// The token to refuse (`v1.…`, as the player's page or a report has it).
    #[arg(
        long,
        value_name = "TOKEN",
        required_unless_present = "player",
        conflicts_with = "player"
    )]
    token: Option<String>,
    /// The player whose tokens issued until now are refused (their number, as `/api/rooms`
    /// or the log shows it).
    #[arg(long, value_name = "NUMBER")]
    player: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct RotateArgs {
    /// The cluster's PostgreSQL database, as its nodes are given it (`postgres://…`).
    #[arg(long, value_name = "POSTGRES_URL")]
    db: String,
    /// Drop the previous key at once: every token issued before this rotation is refused
    /// (its player comes back as a new player).
    #[arg(long)]
    revoke: bool,
}

/// Runs `referee cluster …` (blocking: no async runtime needed).
///
/// # Errors
/// Why the command could not be done (PostgreSQL unreachable, no cluster in the database).
pub(crate) fn run(args: ClusterArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ClusterCommand::RotateTokenKey(args) => rotate(&args),
        ClusterCommand::RevokeToken(args) => revoke(&args),
    }
}

fn revoke(args: &RevokeArgs) -> anyhow::Result<ExitCode> {
    let db = referee_store::redact(&args.db);
    let (player, issued) = match (&args.token, args.player) {
        (Some(token), _) => {
            let (player, issued) = token_names(token.trim()).context(
                "not a cluster token (v1.<player>.<issued>.<signature>); a single server's \
                 tokens live only in its memory, for its reconnect window",
            )?;
            (player, Some(i64::try_from(issued).unwrap_or(i64::MAX)))
        }
        (None, Some(player)) => (player, None),
        (None, None) => anyhow::bail!("--token or --player"),
    };
    let revoke = Revoke {
        player,
        issued_up_to_ms: issued,
        margin: TOKEN_SKEW,
        lifetime: TOKEN_LIFETIME,
    };
    let revoked = revoke_token(&args.db, revoke).context("cannot revoke the token")?;
    println!("{}", revoked_said(&db, player, &revoked));
    Ok(ExitCode::SUCCESS)
}

/// What the host is told after a revocation.
fn revoked_said(db: &str, player: u64, revoked: &Revoked) -> String {
    [
        format!(
            "revoked the tokens of player {player} issued up to {} ms since the epoch, in the \
             cluster at {db}: every node refuses them within about a second, as forged tokens \
             (the player comes back as a new player); other players are not affected",
            revoked.issued_up_to_ms
        ),
        "a connection open with such a token now stays open until it drops".into(),
        format!(
            "kept until {} ms since the epoch (when those tokens have expired); {} \
             revocations live, at most {MAX_REVOCATIONS}; {} past their time purged",
            revoked.expires_at_ms, revoked.live, revoked.purged
        ),
    ]
    .join("\n")
}

fn rotate(args: &RotateArgs) -> anyhow::Result<ExitCode> {
    let db = referee_store::redact(&args.db);
    let rotation =
        rotate_token_key(&args.db, args.revoke).context("cannot rotate the cluster's token key")?;
    println!("{}", done(&db, &rotation));
    Ok(ExitCode::SUCCESS)
}

/// What the host is told: what changed, and what it means for the players.
fn done(db: &str, rotation: &Rotation) -> String {
    let mut lines = vec![format!(
        "rotated the token key of the cluster at {db} ({} ms since the epoch, the database's clock)",
        rotation.at_ms
    )];
    if rotation.revoked {
        lines.push(
            "revoked: the previous key is dropped; every token issued before now is refused \
             by every node within about a second (its player comes back as a new player)"
                .into(),
        );
    } else {
        lines.push(
            "the previous key stays accepted: tokens issued before now remain valid until they \
             expire (24 h after issue); run again with --revoke to refuse them at once"
                .into(),
        );
        if rotation.dropped_older {
            lines.push(
                "the key before the previous one (an earlier rotation) is no longer accepted"
                    .into(),
            );
        }
    }
    lines.push("nodes sign new tokens with the new key within about a second".into());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_told_what_a_rotation_and_a_revocation_mean() {
        let kept = done(
            "postgres://h/db",
            &Rotation {
                revoked: false,
                dropped_older: true,
                at_ms: 5,
            },
        );
        assert!(kept.contains("remain valid until they expire"), "{kept}");
        assert!(kept.contains("no longer accepted"), "{kept}");
        let revoked = done(
            "postgres://h/db",
            &Rotation {
                revoked: true,
                dropped_older: false,
                at_ms: 5,
            },
        );
        assert!(
            revoked.contains("every token issued before now is refused"),
            "{revoked}"
        );
    }

    #[test]
    fn the_host_is_told_whose_tokens_are_refused_and_for_how_long() {
        let said = revoked_said(
            "postgres://h/db",
            7,
            &Revoked {
                issued_up_to_ms: 10,
                expires_at_ms: 20,
                purged: 1,
                live: 3,
            },
        );
        assert!(
            said.contains("tokens of player 7 issued up to 10"),
            "{said}"
        );
        assert!(said.contains("other players are not affected"), "{said}");
        assert!(said.contains("3 revocations live, at most 10000"), "{said}");
        assert!(said.contains("stays open until it drops"), "{said}");
    }
}
