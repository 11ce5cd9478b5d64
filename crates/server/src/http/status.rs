//! `/metrics` (Prometheus text) and `/api/status` (JSON, for the status page): the same
//! numbers, gathered when asked (see `metrics/`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use referee_rules::Render;

use crate::lobby::{CountGames, TakeCensus};
use crate::metrics::{GameLine, Status};
use crate::shared::Shared;

/// Reads what the actors know: the lobby's census of the rooms, and each actor's counters.
async fn gather<G: Render>(shared: &Shared<G>) -> Status {
    let mut status = Status::default();
    match shared.lobby.ask(TakeCensus).await {
        Ok(census) => {
            status.rooms = census.rooms;
            status.players = census.heads.seated;
            status.away = census.heads.away;
            status.spectators = census.heads.watching;
            status.rounds_won = census.heads.won;
            status.actors.room = census.rooms_actors.into();
        }
        Err(err) => tracing::warn!(%err, "the lobby did not answer the census"),
    }
    match shared.lobby.ask(CountGames).await {
        Ok(games) => {
            status.games = games
                .into_iter()
                .map(|(game, rooms, players)| GameLine {
                    game,
                    rooms,
                    players,
                })
                .collect();
        }
        Err(err) => tracing::warn!(%err, "the lobby did not count the games"),
    }
    status.actors.lobby = shared.lobby.stats().into();
    status.actors.parking = shared.parking.stats().into();
    if let Some(recorder) = &shared.recorder {
        status.actors.recorder = recorder.stats().into();
    }
    shared.metrics.complete(&mut status);
    status
}

/// `GET /metrics`.
pub(super) async fn metrics<G: Render>(State(shared): State<Arc<Shared<G>>>) -> impl IntoResponse {
    gather(&shared).await;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.prometheus(),
    )
}

/// `GET /api/status`.
pub(super) async fn status<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Json<Status> {
    Json(gather(&shared).await)
}
