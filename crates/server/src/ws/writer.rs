//! A WebSocket connection's writer task: takes frames from the outbox and sends each as one
//! text message, flushing once per batch of what is already queued.

use crate::queue;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;

use crate::kick::{Kick, Reason};
use crate::outbox::Frame;
use crate::seen::{SeenRound, stamp};

/// Messages sent before a flush, at most.
const BATCH: usize = 64;

type Sink = SplitSink<WebSocket, Message>;

/// Writes until the outbox closes, a closing frame comes, or the connection is kicked.
pub(crate) async fn write_frames(
    mut sink: Sink,
    mut frames: queue::Receiver<Frame>,
    kick: Kick,
    seen_round: SeenRound,
) {
    loop {
        let first = tokio::select! {
            biased;
            _ = kick.for_writer() => return,
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
        };
        let sent = tokio::select! {
            biased;
            _ = kick.for_writer() => return,
            sent = send_batch(&mut sink, first, &mut frames, &seen_round) => sent,
        };
        match sent {
            Ok(Batch { close }) => {
                if let Some(code) = close {
                    return goodbye(&mut sink, code).await;
                }
            }
            Err(err) => {
                tracing::debug!(%err, "websocket write failed");
                kick.kick(Reason::Failed);
                return;
            }
        }
    }
    goodbye(&mut sink, super::close::NORMAL).await;
}

/// What one batch held.
struct Batch {
    /// A closing frame ended it.
    close: Option<u16>,
}

/// Sends `first` and whatever else is queued (up to [`BATCH`]), then flushes.
async fn send_batch(
    sink: &mut Sink,
    first: Frame,
    frames: &mut queue::Receiver<Frame>,
    seen_round: &SeenRound,
) -> Result<Batch, axum::Error> {
    let mut batch = Batch { close: None };
    let mut next = Some(first);
    let mut sent = 0;
    while let Some(frame) = next {
        if frame.close.is_some() {
            batch.close = frame.close;
            break;
        }
        // Shown once handed to the socket, before the write returns (see `seen.rs`).
        if let Some(round) = frame.round {
            seen_round.observe(stamp(frame.epoch, round));
        }
        sink.feed(Message::Text(frame.text.into())).await?;
        sent += 1;
        next = if sent < BATCH {
            frames.try_recv().ok()
        } else {
            None
        };
    }
    sink.flush().await?;
    Ok(batch)
}

/// Sends a close frame (best effort: the peer may be gone).
async fn goodbye(sink: &mut Sink, code: u16) {
    let frame = CloseFrame {
        code,
        reason: "".into(),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}
