//! The TCP transport: accepting connections within the limit, one task per connection.

mod codec;
mod connection;
mod writer;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::Render;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::server::Shared;

/// Longest pause between accept attempts after errors (out of file descriptors, say).
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How long a refused connection gets to receive its one line.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Accepts connections until the future is dropped. An accept error (the OS is out of file
/// descriptors, say) is logged and retried after a growing pause; it never ends the loop,
/// and an error in one connection never reaches it.
pub(crate) async fn accept_loop<G: Render>(listener: TcpListener, shared: Arc<Shared<G>>) {
    let mut backoff = Duration::from_millis(5);
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                backoff = Duration::from_millis(5);
                admit(stream, &shared);
            }
            Err(err) => {
                tracing::warn!(%err, ?backoff, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn admit<G: Render>(stream: TcpStream, shared: &Arc<Shared<G>>) {
    match shared.slots.clone().try_acquire_owned() {
        Ok(slot) => {
            let shared_for_task = shared.clone();
            let hard_stop = shared.hard_stop.clone();
            shared.tasks.spawn(async move {
                tokio::select! {
                    () = connection::serve(stream, shared_for_task) => {}
                    () = hard_stop.cancelled() => {}
                }
                drop(slot);
            });
        }
        Err(_) => {
            let max = shared.config.max_connections;
            shared.tasks.spawn(async move {
                let refusal = tokio::time::timeout(REFUSAL_TIMEOUT, refuse(stream, max));
                if let Ok(Err(err)) = refusal.await {
                    tracing::debug!(%err, "could not send the refusal");
                }
            });
        }
    }
}

/// The one line a connection over the limit gets.
async fn refuse(mut stream: TcpStream, max: usize) -> io::Result<()> {
    let notice = Notice::error(
        ErrorCode::ServerFull,
        format_args!("the server is full ({max} connections); try again later"),
    );
    stream
        .write_all(format!("{}\n", notice.to_line()).as_bytes())
        .await?;
    stream.shutdown().await
}
