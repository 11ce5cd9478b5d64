//! The HTTP side of the server (axum): the web page, the WebSocket endpoint, health, metrics,
//! the status page, the leaderboard as JSON.
//!
//! It shares the actors with the TCP side: a request asks the recorder, exactly as a `/top`
//! typed in netcat does, and a WebSocket player sits in the same rooms as netcat players.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use referee_rules::Render;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

mod assets;
mod status;

use crate::records::GetLeaderboard;
use crate::server::Shared;

/// Leaderboard entries returned at most.
const MAX_LIMIT: usize = 100;

/// Serves HTTP on `listener` until the server shuts down.
pub(crate) async fn serve<G: Render>(listener: TcpListener, shared: Arc<Shared<G>>) {
    let shutdown = shared.shutdown.clone();
    let app = router(shared);
    // As on the TCP side: small messages go out at once, not after a delayed ACK (Nagle).
    let listener = listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    });
    // Each connection's address reaches the handlers (`ConnectInfo`): the WebSocket side's
    // per-address limits count by it.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(err) = served {
        tracing::error!(%err, "the HTTP server failed");
    }
}

fn router<G: Render>(shared: Arc<Shared<G>>) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/style.css", get(assets::style))
        .route("/app.js", get(assets::app))
        .route("/status", get(assets::status_page))
        .route("/status.js", get(assets::status_script))
        .route("/ws", get(crate::ws::upgrade::<G>))
        .route("/healthz", get(healthz))
        .route("/metrics", get(status::metrics::<G>))
        .route("/api/status", get(status::status::<G>))
        .route("/api/leaderboard", get(leaderboard::<G>))
        .with_state(shared)
}

async fn healthz() -> &'static str {
    "ok\n"
}

#[derive(Debug, Deserialize)]
struct LeaderboardQuery {
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: message.into(),
    };
    (status, Json(body)).into_response()
}

/// `GET /api/leaderboard?limit=N`: `{"all_time":[{"name":..,"wins":..}],"recent":[..]}`.
async fn leaderboard<G: Render>(
    State(shared): State<Arc<Shared<G>>>,
    Query(query): Query<LeaderboardQuery>,
) -> Response {
    let Some(recorder) = &shared.recorder else {
        return error(StatusCode::NOT_FOUND, "this server keeps no leaderboard");
    };
    let limit = query.limit.unwrap_or(10).clamp(1, MAX_LIMIT);
    match recorder.ask(GetLeaderboard { limit }).await {
        Ok(Ok(board)) => Json(board).into_response(),
        Ok(Err(err)) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}
