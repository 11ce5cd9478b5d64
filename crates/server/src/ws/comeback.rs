//! A token this node did not issue: a player whose node died, reconnecting here.
//!
//! On a cluster node, a token the parking actor does not know may be another node's signed
//! token (`parking/signed.rs`). It is checked against the cluster's key; a valid one names the
//! player, and the room the page names (`/ws?token=…&room=N`) is asked to give that player
//! their seat back (`session/comeback.rs`). Anything else — a forged, altered, expired token,
//! one of a revoked key, or a room that holds no seat for its player — makes a new player,
//! told why. A token of a revoked key resumes nothing on its own node either ([`revoked`]).

use referee_protocol::notice::ErrorCode;
use referee_rules::Render;

use crate::ids::RoomId;
use crate::parking::signed::{self, now_ms};
use crate::session::Session;
use crate::shared::Shared;

/// What became of a token this node does not know.
pub(super) enum Comeback {
    /// Not a cluster node's token (or not a cluster node): as an expired token.
    NotSigned,
    /// The player is back in their seat, with the token they came with.
    Back,
    /// Refused: the error the new player hears.
    Refused(ErrorCode, String),
}

/// Checks `token` and, if it names a player seated in `room`, makes the session that player
/// in that seat.
pub(super) async fn come_back<G: Render>(
    session: &mut Session<G>,
    token: &str,
    room: Option<RoomId>,
    shared: &Shared<G>,
) -> Comeback {
    let Some(node) = &shared.cluster else {
        return Comeback::NotSigned;
    };
    if !signed::is_signed(token) {
        return Comeback::NotSigned;
    }
    let player = match node.tokens.check(token, now_ms()) {
        Ok(player) => player,
        Err(err) => return refused_token(err),
    };
    let Some(room) = room else {
        return refused("your node has gone and you had no seat: you are a new player".into());
    };
    match session.come_back(player, room, token.to_owned()).await {
        Ok(()) => {
            tracing::info!(%player, room, "a player back from another node");
            Comeback::Back
        }
        Err(err) => refused(format!("{err}: you are a new player")),
    }
}

/// Why a signed token can no longer resume even a seat parked on this node (the node that
/// issued it): no key of the cluster signed it any more — its key was revoked. `None` for
/// every other token (one past its lifetime still resumes a seat parked here, as on one
/// server). The answer is the one a forged token gets at any node.
pub(super) fn revoked<G: Render>(token: &str, shared: &Shared<G>) -> Option<(ErrorCode, String)> {
    let node = shared.cluster.as_ref()?;
    if !signed::is_signed(token) {
        return None;
    }
    match node.tokens.check(token, now_ms()) {
        Err(err @ signed::TokenError::Forged) => Some(token_refusal(err)),
        Ok(_) | Err(signed::TokenError::Malformed | signed::TokenError::Expired) => None,
    }
}

fn refused_token(err: signed::TokenError) -> Comeback {
    let (code, why) = token_refusal(err);
    Comeback::Refused(code, why)
}

/// What a player whose token was refused is told (the same for a forged token and one of a
/// revoked key).
fn token_refusal(err: signed::TokenError) -> (ErrorCode, String) {
    tracing::info!(%err, "a token was refused");
    let why = format!("that token was refused ({err}): you are a new player");
    (ErrorCode::BadToken, why)
}

fn refused(why: String) -> Comeback {
    Comeback::Refused(ErrorCode::BadToken, why)
}
