//! A WebSocket connection's socket as the write side sees it (`wire.rs`): each frame as one
//! text message, flushed once per batch.

use std::io;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;

use crate::outbox::Frame;
use crate::wire::Socket;

/// The sending half of a WebSocket.
pub(crate) struct WsSocket(pub(crate) SplitSink<WebSocket, Message>);

impl Socket for WsSocket {
    async fn send(&mut self, frames: Vec<Frame>) -> io::Result<()> {
        for frame in frames {
            self.0
                .feed(Message::Text(frame.text.into()))
                .await
                .map_err(io::Error::other)?;
        }
        self.0.flush().await.map_err(io::Error::other)
    }

    /// Sends a close frame (best effort: the peer may be gone).
    async fn finish(&mut self, code: u16) {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = self.0.send(Message::Close(Some(frame))).await;
        let _ = self.0.close().await;
    }
}
