//! Colyseus 0.18 as a bot's wire: the same guess-the-number bots, against the Node.js
//! game server of `benches/colyseus` (`referee load --transport colyseus`), to compare what
//! each server spends per guess (`scripts/colyseus-compare.sh`, docs/PERFORMANCE.md).
//!
//! A bot speaks Colyseus's real protocol, as its JavaScript SDK does: HTTP matchmaking
//! first ([`matchmake`]: `POST /matchmake/joinOrCreate/guess` with `{"feed":…}` reserves a
//! seat), then the room's WebSocket at `/<processId>/<roomId>?sessionId=…`, where the
//! server's `JOIN_ROOM` is confirmed and binary frames carry msgpack messages ([`frame`],
//! [`msgpack`]). The bench's room sends the very messages Referee sends a WebSocket player
//! (`joined`, `state`, `event`, `rejected`), so the JSON protocol's
//! [`Codec`] reads them once decoded and the [`Brain`](crate::Brain)
//! plays unchanged; a guess goes out as Referee's `guess` request, in msgpack.
//!
//! Like the WebSocket bots, a Colyseus bot is seated before the measured window starts and
//! keeps a 4 KiB read buffer. Echo phases (`--compare-echo`) load the WebSocket echo: the
//! ceiling of any server answering a small WebSocket message with one.

pub mod frame;
pub mod matchmake;
pub mod msgpack;

#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::bot::Heard;
use crate::bot::json::Codec;
use crate::driver::Wire;
use crate::ws::{self, Seat};
use frame::Frame;

/// The room name the bench's server defines (`server.define("guess", …)`).
pub const ROOM: &str = "guess";

/// Frames read while waiting for `JOIN_ROOM` before giving up on the seat.
const MAX_FRAMES_BEFORE_JOIN: usize = 16;

/// One bot's seat in a Colyseus room.
#[derive(Debug)]
pub(crate) struct Colyseus {
    ws: WebSocketStream<TcpStream>,
    codec: Codec,
}

/// Reserves a seat, opens the room's WebSocket and confirms the join; all within `limit`.
pub(crate) async fn connect(addr: SocketAddr, limit: Duration, seat: Seat) -> io::Result<Colyseus> {
    let connecting = async {
        let reservation = matchmake::join_or_create(addr, ROOM, seat.feed).await?;
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}{}", reservation.path());
        let (ws, _response) = client_async_with_config(url, stream, Some(ws::config()))
            .await
            .map_err(ws::io_error)?;
        let mut wire = Colyseus {
            ws,
            codec: Codec::new(),
        };
        wire.confirm_join().await?;
        Ok(wire)
    };
    timeout(limit, connecting)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))?
}

impl Colyseus {
    /// Waits for the server's `JOIN_ROOM` and confirms it: the room then sends what it
    /// queued for this seat (`joined`, `state`), read by the bot as it plays.
    async fn confirm_join(&mut self) -> io::Result<()> {
        for _ in 0..MAX_FRAMES_BEFORE_JOIN {
            match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Frame::JoinRoom { .. } = frame::parse(&bytes).map_err(invalid)? {
                        let ack = Message::binary(frame::join_ack());
                        return self.ws.send(ack).await.map_err(ws::io_error);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(ws::io_error(error)),
                None => break,
            }
        }
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the room did not confirm the seat",
        ))
    }

    /// What one binary frame means to the bot; `None` when the room closed the seat.
    fn heard(&mut self, bytes: &[u8]) -> io::Result<Option<Heard>> {
        Ok(Some(match frame::parse(bytes).map_err(invalid)? {
            Frame::Data {
                message: Some(message),
                ..
            } => self.codec.heard_value(&message),
            Frame::Error { .. } => self.codec.heard_value(&error_message()),
            Frame::Leave => return Ok(None),
            Frame::Data { message: None, .. }
            | Frame::JoinRoom { .. }
            | Frame::Ping
            | Frame::Other(_) => Heard::Ignored,
        }))
    }
}

/// A Colyseus `ERROR` frame, as the JSON protocol's `error` message (it counts as an
/// [`Answer::Error`](crate::Answer::Error)).
fn error_message() -> serde_json::Value {
    serde_json::json!({ "type": "error" })
}

fn invalid(error: frame::FrameError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

impl Wire for Colyseus {
    async fn send(&mut self, guess: u64) -> io::Result<()> {
        let id = self.codec.guess_id();
        let request = frame::guess(id, guess).map_err(io::Error::other)?;
        let request = Message::binary(request);
        self.ws.send(request).await.map_err(ws::io_error)
    }

    async fn recv(&mut self) -> io::Result<Option<Heard>> {
        match self.ws.next().await {
            Some(Ok(Message::Binary(bytes))) => self.heard(&bytes),
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong; send it now rather than with the next guess.
                self.ws.flush().await.map_err(ws::io_error)?;
                Ok(Some(Heard::Ignored))
            }
            Some(Ok(Message::Close(_))) | None => Ok(None),
            Some(Ok(Message::Text(_) | Message::Pong(_) | Message::Frame(_))) => {
                Ok(Some(Heard::Ignored))
            }
            Some(Err(error)) => ws::closed_or(error),
        }
    }

    /// `LEAVE_ROOM` frees the seat at once (a bare close would leave it to Colyseus's
    /// reconnection handling); then the bot reads until the server closes. The caller
    /// bounds the wait.
    async fn close(&mut self) {
        if self.ws.send(Message::binary(frame::leave())).await.is_ok() {
            while let Some(Ok(_)) = self.ws.next().await {}
        }
    }
}
