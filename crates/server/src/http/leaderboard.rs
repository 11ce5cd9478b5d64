//! `GET /api/leaderboard[?game=GAME&limit=N]`: the board, read from the board actor exactly
//! as `/top` reads it.
//!
//! The `game` parameter is checked against the games this server hosts *here*: only a hosted
//! game's name (a `&'static str` of `Render::games`) reaches the board, so arbitrary strings
//! can neither grow its cache nor bypass it; anything else is a `400`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use referee_rules::Render;
use referee_store::Leaderboard;
use serde::{Deserialize, Serialize};

use super::error::{bad_query, error};
use crate::board::{MAX_LIMIT, ReadLeaderboard};
use crate::shared::Shared;

#[derive(Debug, Deserialize)]
pub(super) struct LeaderboardQuery {
    /// Which game's board (absent: all games together).
    game: Option<String>,
    limit: Option<usize>,
}

/// The answer: the board, naming its game when it is one game's.
#[derive(Debug, Serialize)]
struct GameBoard {
    #[serde(skip_serializing_if = "Option::is_none")]
    game: Option<&'static str>,
    #[serde(flatten)]
    board: Leaderboard,
}

/// `{"game":"dice","all_time":[{"name":..,"wins":..}],"recent":[..]}` (no `game` for the
/// board of all games).
pub(super) async fn leaderboard<G: Render>(
    State(shared): State<Arc<Shared<G>>>,
    query: Result<Query<LeaderboardQuery>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => return bad_query(&rejection),
    };
    let Some(board) = &shared.board else {
        return error(StatusCode::NOT_FOUND, "this server keeps no leaderboard");
    };
    let game = match query.game.as_deref().map(crate::session::hosted::<G>) {
        None => None,
        Some(Ok(game)) => Some(game),
        Some(Err(refusal)) => return error(StatusCode::BAD_REQUEST, refusal),
    };
    let limit = query.limit.unwrap_or(10).clamp(1, MAX_LIMIT);
    match board
        .ask(ReadLeaderboard::new(game, limit, board.timeout()))
        .await
    {
        Ok(Ok(board)) => Json(GameBoard { game, board }).into_response(),
        Ok(Err(err)) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}
