//! The web page, the status page's files (its HTML is served by `status_page.rs`) and the
//! replay page: plain HTML, CSS and JavaScript compiled into the binary,
//! so the server needs no files beside it and the page works offline.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use referee_rules::Render;

use super::guard::policy_with_nodes;
use crate::shared::Shared;

const INDEX: &str = include_str!("../../web/index.html");
const STYLE: &str = include_str!("../../web/style.css");
const APP: &str = include_str!("../../web/app.js");
const DICE: &str = include_str!("../../web/dice.js");
/// The status page (`status_page.rs` puts the cluster's charts in).
pub(super) const STATUS: &str = include_str!("../../web/status.html");
const STATUS_JS: &str = include_str!("../../web/status.js");
const REPLAY: &str = include_str!("../../web/replay.html");
const REPLAY_JS: &str = include_str!("../../web/replay.js");

/// Revalidate every time: the files change with the binary, and they are small.
const NO_CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-cache");

/// The game page. On a cluster node its policy lets it reach the other nodes too (see
/// [`policy_with_nodes`]).
pub(super) async fn index<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    let policy = shared
        .cluster
        .as_ref()
        .map(|node| policy_with_nodes(&node.view.pages()))
        .and_then(|policy| HeaderValue::from_str(&policy).ok());
    match policy {
        Some(policy) => (
            [NO_CACHE],
            [(header::CONTENT_SECURITY_POLICY, policy)],
            Html(INDEX),
        )
            .into_response(),
        None => ([NO_CACHE], Html(INDEX)).into_response(),
    }
}

pub(super) async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), NO_CACHE],
        STYLE,
    )
}

pub(super) async fn app() -> impl IntoResponse {
    script(APP)
}

/// The Liar's Dice table of the page: its own file, loaded before `app.js`.
pub(super) async fn dice() -> impl IntoResponse {
    script(DICE)
}

pub(super) async fn status_script() -> impl IntoResponse {
    script(STATUS_JS)
}

/// `/replay/{id}`: one page for every match; its script reads the id from the address.
pub(super) async fn replay_page() -> impl IntoResponse {
    ([NO_CACHE], Html(REPLAY))
}

pub(super) async fn replay_script() -> impl IntoResponse {
    script(REPLAY_JS)
}

fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            NO_CACHE,
        ],
        body,
    )
}
