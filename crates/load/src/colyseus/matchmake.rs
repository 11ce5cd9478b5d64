//! Colyseus's HTTP matchmaking: `POST /matchmake/joinOrCreate/<room>` reserves a seat and
//! answers where to take it (`{"name","sessionId","roomId","processId"}`).
//!
//! One short-lived HTTP/1.1 request per bot (`Connection: close`), written and read by
//! hand: the bot needs no HTTP client for one POST. The request and the answer are pure
//! functions on bytes ([`request`], [`reservation`]); [`join_or_create`] only moves them.

use std::io;
use std::net::SocketAddr;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest matchmaking answer read (a reservation is about a hundred bytes).
const MAX_ANSWER: u64 = 16 * 1024;

/// A reserved seat: where the bot's WebSocket goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    /// The seat's session, passed back on the WebSocket's URL.
    pub session_id: String,
    /// The room holding the seat.
    pub room_id: String,
    /// The Colyseus process serving that room.
    pub process_id: String,
}

impl Reservation {
    /// The path of the room's WebSocket: `/<processId>/<roomId>?sessionId=<sessionId>`.
    pub fn path(&self) -> String {
        format!(
            "/{}/{}?sessionId={}",
            self.process_id, self.room_id, self.session_id
        )
    }
}

/// The `joinOrCreate` request for `room` at `addr`, with the join options `{"feed":FEED}`.
pub fn request(addr: SocketAddr, room: &str, feed: bool) -> String {
    let body = format!(r#"{{"feed":{feed}}}"#);
    format!(
        "POST /matchmake/joinOrCreate/{room} HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The reservation in a whole HTTP answer.
///
/// # Errors
///
/// `InvalidData` for an answer that is not `200` with a reservation as its body (the
/// error names the status line, or what the body lacked).
pub fn reservation(answer: &[u8]) -> io::Result<Reservation> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("matchmaking answer without a body".into()))?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(invalid(format!("matchmaking refused: {status}: {body}")));
    }
    serde_json::from_str(body).map_err(|error| invalid(format!("matchmaking answer: {error}")))
}

/// Reserves a seat in a `room` at `addr` (the caller bounds the time).
///
/// # Errors
///
/// The connection's I/O errors, and [`reservation`]'s.
pub async fn join_or_create(addr: SocketAddr, room: &str, feed: bool) -> io::Result<Reservation> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(request(addr, room, feed).as_bytes())
        .await?;
    let mut answer = Vec::with_capacity(512);
    (&mut stream)
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await?;
    reservation(&answer)
}
