//! The WebSocket transport: the JSON protocol on `GET /ws`, one task per connection.
//!
//! The same sessions, lobby and rooms as TCP; only the framing (one WebSocket text message per
//! request or push) and the encoding (JSON) differ. What WebSocket adds is reconnection: a
//! player who presents their token (`/ws?token=…`) within the window gets their seat back
//! (see `parking/`); in a cluster, on any node (`/ws?token=…&room=N`, see `comeback.rs`).

mod close;
mod comeback;
mod connection;
mod origin;
mod writer;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use referee_protocol::json;
use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::Render;
use serde::Deserialize;

use crate::admission::Ticket;
use crate::http::ConnInfo;
use crate::http::error::{bad_query, error};
use crate::metrics::Refused;
use crate::shared::Shared;

/// Bytes a connection reads ahead; small, so that idle connections stay small.
const READ_BUFFER: usize = 4 * 1024;
/// Bytes the WebSocket layer gathers before writing; the writer flushes each batch anyway.
const WRITE_BUFFER: usize = 16 * 1024;

/// The query string of `/ws`.
#[derive(Debug, Deserialize)]
pub(crate) struct Params {
    /// A returning player's token.
    token: Option<String>,
    /// The room a returning player sat in: a player whose node died presents their token
    /// and their room to another node (`comeback.rs`).
    room: Option<u64>,
}

/// The WebSocket endpoint, for the HTTP side to serve.
pub(crate) fn routes<G: Render>() -> Router<Arc<Shared<G>>> {
    Router::new().route("/ws", get(upgrade::<G>))
}

/// `GET /ws`: checks the page's origin, upgrades, then serves the connection with the slot
/// its HTTP connection was admitted with (or refuses it when the house is full).
async fn upgrade<G: Render>(
    upgrade: WebSocketUpgrade,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    conn: Option<Extension<ConnInfo>>,
    State(shared): State<Arc<Shared<G>>>,
) -> Response {
    let params = match query {
        Ok(Query(params)) => params,
        Err(rejection) => return bad_query(&rejection),
    };
    let node_page = |origin: &str| {
        shared
            .cluster
            .as_ref()
            .is_some_and(|node| node.view.is_node_page(origin))
    };
    if !origin::allowed_in_cluster(&headers, &shared.config.allowed_origins, node_page) {
        shared.metrics.refused(Refused::Origin);
        return error(
            StatusCode::FORBIDDEN,
            "this page's origin may not open a WebSocket here",
        );
    }
    let peer = conn.as_ref().map(|Extension(conn)| conn.peer().ip());
    let ticket = conn.and_then(|Extension(conn)| conn.take_ticket());
    let max = shared.config.max_line;
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let returning = connection::Returning {
                token: params.token,
                room: params.room,
            };
            admit(socket, returning, ticket, peer, shared)
        })
}

async fn admit<G: Render>(
    socket: WebSocket,
    returning: connection::Returning,
    ticket: Option<Ticket>,
    peer: Option<std::net::IpAddr>,
    shared: Arc<Shared<G>>,
) {
    let (Some(ticket), Some(peer)) = (ticket, peer) else {
        return refuse(socket, shared.config.max_connections).await;
    };
    // Tracked with the TCP connections, so that shutdown waits for it (within the grace).
    let hard_stop = shared.hard_stop.clone();
    let tasks = shared.tasks.clone();
    let task = tasks.spawn(async move {
        tokio::select! {
            () = connection::serve(socket, returning, peer, shared) => {}
            () = hard_stop.cancelled() => {}
        }
        drop(ticket);
    });
    let _ = task.await;
}

/// What a connection over the limit gets: one error, then a close.
async fn refuse(mut socket: WebSocket, max: usize) {
    let notice = Notice::error(
        ErrorCode::ServerFull,
        format_args!("the server is full ({max} connections); try again later"),
    );
    let refusal = async {
        socket
            .send(Message::Text(json::notice(&notice, None).into()))
            .await?;
        let frame = CloseFrame {
            code: close::TRY_AGAIN_LATER,
            reason: "server full".into(),
        };
        socket.send(Message::Close(Some(frame))).await
    };
    let sent = tokio::time::timeout(std::time::Duration::from_secs(1), refusal).await;
    if let Ok(Err(err)) = sent {
        tracing::debug!(%err, "could not send the refusal");
    }
}
