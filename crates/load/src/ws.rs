//! The JSON protocol over WebSocket as a bot's [`Wire`]: guesses go out as JSON `guess`
//! requests with ids, each text message in is decoded by [`bot::json`](crate::bot::json).
//!
//! A bot connects to `ws://ADDR/ws` and, when it plays the game, sends `play` right after
//! the handshake, while the other bots are still connecting: a TCP player is seated on
//! connect, so both transports start the measured window seated. Per bot this holds a 4 KiB
//! read buffer (tungstenite's default, 128 KiB, would cost 1.3 GB for ten thousand bots),
//! the codec and the stream.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::bot::Heard;
use crate::bot::json::Codec;
use crate::driver::Wire;

/// Where the server serves its WebSocket.
pub(crate) const PATH: &str = "/ws";

/// The largest message or frame a connection accepts: the protocol's messages are far
/// smaller (the server refuses requests over 1 KiB), and nothing buffers without bound.
const MAX_MESSAGE: usize = 64 * 1024;

/// The read buffer of each connection, allocated up front.
const READ_BUFFER: usize = 4 * 1024;

/// The WebSocket settings of the bots and of the echo server: small buffers, bounded
/// messages, each message written at once.
pub(crate) fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// A tungstenite error as an I/O error, for the bot's counters and the connect report.
pub(crate) fn io_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(error) => error,
        other => io::Error::other(other.to_string()),
    }
}

/// One bot's WebSocket connection.
#[derive(Debug)]
pub(crate) struct Json {
    ws: WebSocketStream<TcpStream>,
    codec: Codec,
    /// Whether the bot asked for a seat (and so says `quit` when done).
    joined: bool,
}

/// How a bot that plays asks for its seat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seat {
    /// Follow the room's live feed.
    pub(crate) feed: bool,
}

/// Connects to `ws://addr/ws` and, to play (`seat`), asks for a seat; all within `limit`.
pub(crate) async fn connect(
    addr: SocketAddr,
    limit: Duration,
    seat: Option<Seat>,
) -> io::Result<Json> {
    let connecting = async {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}{PATH}");
        let (ws, _response) = client_async_with_config(url, stream, Some(config()))
            .await
            .map_err(io_error)?;
        let mut wire = Json {
            ws,
            codec: Codec::new(),
            joined: seat.is_some(),
        };
        if let Some(seat) = seat {
            let play = wire.codec.play(seat.feed);
            wire.ws.send(Message::text(play)).await.map_err(io_error)?;
        }
        Ok(wire)
    };
    timeout(limit, connecting)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))?
}

impl Wire for Json {
    async fn send(&mut self, guess: u64) -> io::Result<()> {
        let request = self.codec.guess(guess);
        self.ws.send(Message::text(request)).await.map_err(io_error)
    }

    async fn recv(&mut self) -> io::Result<Option<Heard>> {
        match self.ws.next().await {
            Some(Ok(Message::Text(text))) => Ok(Some(self.codec.heard(text.as_str()))),
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong; send it now rather than with the next guess.
                self.ws.flush().await.map_err(io_error)?;
                Ok(Some(Heard::Ignored))
            }
            Some(Ok(Message::Close(_))) | None => Ok(None),
            Some(Ok(Message::Binary(_) | Message::Pong(_) | Message::Frame(_))) => {
                Ok(Some(Heard::Ignored))
            }
            Some(Err(error)) => closed_or(error),
        }
    }

    /// A player who is done says `quit` (the server frees the seat at once, as it does for
    /// a TCP player that hangs up; a bare close would keep it for the reconnect window), an
    /// echo bot sends a close frame; then the bot reads until the server closes, so that it
    /// does not hang up before its goodbye was read. The caller bounds the wait.
    async fn close(&mut self) {
        let goodbye = match self.joined {
            true => Message::text(self.codec.quit()),
            false => Message::Close(None),
        };
        if self.ws.send(goodbye).await.is_ok() {
            while let Some(Ok(_)) = self.ws.next().await {}
        }
    }
}

/// The server going away (even without a close frame) is a disconnect, not an I/O error,
/// as an end of file is over TCP.
pub(crate) fn closed_or(error: WsError) -> io::Result<Option<Heard>> {
    match error {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Ok(None),
        other => Err(io_error(other)),
    }
}
