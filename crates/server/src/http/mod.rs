//! The HTTP side of the server: the web page, the WebSocket endpoint, health, metrics,
//! the status page (with a cluster's charts: `status_page.rs`, `charts.rs`), the
//! leaderboard as JSON (`leaderboard.rs`), recorded matches as JSON and the page that
//! replays one (`matches.rs`).
//!
//! It shares the actors with the TCP side: a request asks the board (the records' read
//! side), exactly as a `/top` typed in netcat does, and a WebSocket player sits in the same
//! rooms as netcat players. Connections are accepted by a loop of our own and served by hyper
//! (see `conn.rs`), so that they count in the server's connection budget and cannot stay open
//! forever. The WebSocket endpoint is built on this side (`ws` uses its connections and
//! errors), so this side does not name it: the server hands its routes in.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use referee_rules::Render;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

mod assets;
mod charts;
mod cluster;
mod conn;
pub(crate) mod error;
mod guard;
mod leaderboard;
mod matches;
mod sparkline;
mod status;
mod status_page;

pub(crate) use conn::ConnInfo;

use crate::accept::{self, Accepted, Acceptor};
use crate::metrics::Refused;
use crate::shared::Shared;

/// What a connection accepted into the reserve descriptor gets (see `accept.rs`).
const SHED_RESPONSE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
content-length: 32\r\nconnection: close\r\n\r\n{\"error\":\"the server is full\"}\r\n";

/// Serves HTTP on `listener` until the server shuts down. `upgrades` are the routes whose
/// answers outlive a request (the WebSocket's): no request timeout applies to them.
pub(crate) async fn serve<G: Render>(
    listener: TcpListener,
    shared: Arc<Shared<G>>,
    upgrades: Router<Arc<Shared<G>>>,
) {
    let app = router(shared.clone(), upgrades);
    // The charts are sampled (and served to the other nodes) for as long as HTTP is.
    shared.tasks.spawn(charts::run(shared.clone()));
    let mut acceptor = Acceptor::new(listener, "http");
    loop {
        let accepted = tokio::select! {
            accepted = acceptor.next() => accepted,
            () = shared.shutdown.cancelled() => return,
        };
        match accepted {
            Accepted::Stream(stream, peer) => {
                let (app, for_task) = (app.clone(), shared.clone());
                let serve = move |stream| conn::serve(stream, peer, app, for_task);
                shared
                    .shards
                    .spawn(&shared.placement, &shared.tasks, stream, serve);
            }
            Accepted::Shed(stream) => {
                shared.metrics.refused(Refused::Descriptors);
                accept::shed(stream, SHED_RESPONSE);
            }
        }
    }
}

fn router<G: Render>(shared: Arc<Shared<G>>, upgrades: Router<Arc<Shared<G>>>) -> Router {
    let limit = guard::ApiLimit::new(
        shared.config.http_rate,
        shared.metrics.clone(),
        shared.shutdown.clone(),
    );
    // The API: rate-limited per address.
    let api = Router::new()
        .route("/metrics", get(status::metrics::<G>))
        .route("/api/status", get(status::status::<G>))
        .route("/api/cluster", get(cluster::cluster::<G>))
        .route("/status/nodes", get(status_page::nodes::<G>))
        .route("/api/leaderboard", get(leaderboard::leaderboard::<G>))
        .route("/api/matches", get(matches::recent::<G>))
        // A match's id is its result's key, `RUN/WON_AT/ROOM/ROUND`: slashes included.
        .route("/api/matches/{*id}", get(matches::one::<G>))
        .route_layer(axum::middleware::from_fn_with_state(
            limit,
            guard::rate_limit,
        ));
    let timeout = TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        shared.config.http_request_timeout,
    );
    let router = Router::new()
        .route("/", get(assets::index::<G>))
        .route("/style.css", get(assets::style))
        .route("/app.js", get(assets::app))
        .route("/dice.js", get(assets::dice))
        .route("/status", get(status_page::page::<G>))
        .route("/status.js", get(assets::status_script))
        .route("/replay/{*id}", get(assets::replay_page))
        .route("/replay.js", get(assets::replay_script))
        .route("/healthz", get(healthz::<G>))
        .merge(api)
        // Every request but a WebSocket's (which lives as long as its player) is answered in
        // time or gets a 503.
        .layer(timeout)
        .merge(upgrades)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            conn::gate::<G>,
        ))
        .with_state(shared);
    guard::security_headers(router)
}

/// `GET /healthz`: `200 ok`, or `503` with the reason when the store's last commit failed
/// (a full disk, a deleted database): wins are not being saved.
async fn healthz<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    let failure = shared
        .store_status
        .as_ref()
        .and_then(|status| status.failure());
    match failure {
        None => "ok\n".into_response(),
        Some(reason) => {
            let body = format!("unhealthy: wins cannot be saved: {reason}\n");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}
