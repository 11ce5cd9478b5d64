//! The TCP transport: accepting connections within the limits, one task per connection.

mod codec;
mod connection;
mod writer;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::Render;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::accept::{self, Accepted, Acceptor};
use crate::admission::Refusal;
use crate::shared::Shared;

/// How long a refused connection gets to receive its one line.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Accepts connections until the future is dropped. An accept error (the OS is out of file
/// descriptors, say) never ends the loop (see [`Acceptor`]), and an error in one connection
/// never reaches it.
pub(crate) async fn accept_loop<G: Render>(listener: TcpListener, shared: Arc<Shared<G>>) {
    let mut acceptor = Acceptor::new(listener, "tcp");
    loop {
        match acceptor.next().await {
            Accepted::Stream(stream, peer) => admit(stream, peer, &shared),
            Accepted::Shed(stream) => {
                shared.metrics.refused(crate::metrics::Refused::Descriptors);
                let line = refusal(Refusal::Full, &shared).to_line();
                accept::shed(stream, format!("{line}\n").as_bytes());
            }
        }
    }
}

fn admit<G: Render>(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared<G>>) {
    match shared.admission.admit(peer.ip()) {
        Ok(ticket) => {
            let shared_for_task = shared.clone();
            let hard_stop = shared.hard_stop.clone();
            let serve = move |stream| async move {
                tokio::select! {
                    () = connection::serve(stream, shared_for_task) => {}
                    () = hard_stop.cancelled() => {}
                }
                drop(ticket);
            };
            shared
                .shards
                .spawn(&shared.placement, &shared.tasks, stream, serve);
        }
        Err(why) => {
            shared.metrics.refused(why.into());
            let notice = refusal(why, shared);
            shared.tasks.spawn(async move {
                let refusal = tokio::time::timeout(REFUSAL_TIMEOUT, refuse(stream, notice));
                if let Ok(Err(err)) = refusal.await {
                    tracing::debug!(%err, "could not send the refusal");
                }
            });
        }
    }
}

/// What a connection that is not admitted is told.
pub(crate) fn refusal<G: Render>(why: Refusal, shared: &Shared<G>) -> Notice {
    match why {
        Refusal::Full => {
            let max = shared.config.max_connections;
            Notice::error(
                ErrorCode::ServerFull,
                format_args!("the server is full ({max} connections); try again later"),
            )
        }
        Refusal::TooManyFromAddress => {
            let max = shared.config.max_per_ip;
            Notice::error(
                ErrorCode::TooManyFromAddress,
                format_args!(
                    "too many connections from your address (at most {max}); close some and try again"
                ),
            )
        }
    }
}

/// The one line a connection that is not admitted gets.
async fn refuse(mut stream: TcpStream, notice: Notice) -> io::Result<()> {
    stream
        .write_all(format!("{}\n", notice.to_line()).as_bytes())
        .await?;
    stream.shutdown().await
}
