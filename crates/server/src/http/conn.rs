//! One HTTP connection, served by hyper within the server's admission rules.
//!
//! `axum::serve` keeps a connection as long as the client likes and counts it nowhere. Here
//! every connection passes [`Admission`](crate::admission::Admission) when accepted: it takes
//! a connection slot and its address's share, like a TCP player, and keeps them until it
//! closes — or hands them to the WebSocket session its `/ws` upgrade becomes (see
//! [`ConnInfo::take_ticket`]), so an upgraded connection is counted once.
//!
//! hyper's `header_read_timeout` closes a connection whose client does not finish sending a
//! request's headers in time. In hyper 1.x the timer starts whenever the connection waits for
//! a request head, the first one *and* the next one on a kept-alive connection (see
//! `Conn::poll_read_head` in hyper's `proto/h1/conn.rs`), so the same timeout also closes an
//! idle kept-alive connection.
//!
//! A connection that is not admitted is still read, briefly (its header timeout is at most a
//! second) and only once (its answer closes it), so that it gets an answer rather than a reset: `503` when the house is full (a `/ws` upgrade gets
//! the WebSocket refusal instead), `429` when its address has its share.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONNECTION, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use referee_rules::Render;
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::error::error;
use crate::admission::{Refusal, Ticket};
use crate::metrics::Refused;
use crate::shared::Shared;

/// Longest a connection that was not admitted may take to send its request.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// What a request knows of its connection (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo(Arc<ConnState>);

#[derive(Debug)]
struct ConnState {
    peer: SocketAddr,
    /// The connection's slot and share, until it closes or a WebSocket takes them.
    ticket: Mutex<Option<Ticket>>,
    /// Why the connection was not admitted, if it was not.
    refusal: Option<Refusal>,
}

impl ConnInfo {
    fn new(peer: SocketAddr, admitted: Result<Ticket, Refusal>) -> Self {
        let (ticket, refusal) = match admitted {
            Ok(ticket) => (Some(ticket), None),
            Err(refusal) => (None, Some(refusal)),
        };
        ConnInfo(Arc::new(ConnState {
            peer,
            ticket: Mutex::new(ticket),
            refusal,
        }))
    }

    /// The client's address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.0.peer
    }

    /// Takes the connection's slot and share, for the WebSocket session it becomes. `None` if
    /// the connection was not admitted (or a WebSocket already took them).
    pub(crate) fn take_ticket(&self) -> Option<Ticket> {
        self.0
            .ticket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Serves one accepted connection until it closes, times out, or the server stops.
pub(crate) async fn serve<G: Render>(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    shared: Arc<Shared<G>>,
) {
    // As on the TCP side: small messages go out at once, not after a delayed ACK (Nagle).
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(%err, "cannot set TCP_NODELAY");
    }
    let admitted = shared.admission.admit(peer.ip());
    if let Err(refusal) = admitted {
        shared.metrics.refused(refusal.into());
    }
    let refused = admitted.is_err();
    let info = ConnInfo::new(peer, admitted);
    let service = app.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(info.clone());
        request.map(Body::new)
    });
    let connection = builder(shared.config.http_header_timeout, refused)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = shared.shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                served = connection.as_mut() => served,
                () = shared.hard_stop.cancelled() => Ok(()),
            }
        }
    };
    if let Err(err) = served {
        if err.is_timeout() {
            shared.metrics.refused(Refused::HeaderTimeout);
        }
        tracing::debug!(%err, %peer, "HTTP connection ended with an error");
    }
}

/// hyper's HTTP/1 server, with the header timeout (at most a second for a connection that
/// was not admitted: it only waits for its answer).
fn builder(header_timeout: Duration, refused: bool) -> http1::Builder {
    let header_timeout = if refused {
        header_timeout.min(REFUSAL_TIMEOUT)
    } else {
        header_timeout
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
}

/// Answers every request of a connection that was not admitted (but lets a `/ws` upgrade
/// through when the house is full: the WebSocket refusal tells a browser more).
pub(crate) async fn gate<G: Render>(
    State(shared): State<Arc<Shared<G>>>,
    request: Request,
    next: Next,
) -> Response {
    let refusal = request
        .extensions()
        .get::<ConnInfo>()
        .and_then(|info| info.0.refusal);
    let mut refused = match refusal {
        None => return next.run(request).await,
        // A connection that was not admitted holds no slot: whatever `/ws` answers but an
        // upgrade (a 400, a 403), the connection closes after it, so that requests to `/ws`
        // cannot keep it alive outside the budget. (hyper's `keep_alive(false)` would also
        // close the 101 that carries the WebSocket refusal.)
        Some(Refusal::Full) if request.uri().path() == "/ws" => {
            let mut answer = next.run(request).await;
            if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
                answer
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            return answer;
        }
        Some(Refusal::Full) => {
            let max = shared.config.max_connections;
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the server is full ({max} connections); try again later"),
            )
        }
        Some(Refusal::TooManyFromAddress) => {
            let max = shared.config.max_per_ip;
            error(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many connections from your address (at most {max})"),
            )
        }
    };
    // hyper closes the connection after a response that says so.
    refused
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    refused
}
