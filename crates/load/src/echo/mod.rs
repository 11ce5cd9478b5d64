//! A minimal echo server: the ceiling every load report is compared with.
//!
//! For the line protocol ([`EchoServer::start`]) it does the least a line server can do —
//! read a line, write it back — with one tokio task per connection, on the same runtime and
//! machine as the bots. For the JSON protocol over WebSocket ([`EchoServer::start_ws`]) it
//! does the least a JSON server can do for the bots: read each text message, parse it, and
//! answer a `guess` with an own `hint` carrying its `id` back as `re` (see [`json`]).
//! Whatever the real server costs beyond framing, parsing and socket I/O shows up as its
//! ratio to this ceiling, which stays meaningful when the machine's absolute speed does not.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::LoadError;

pub mod json;
mod through;

pub use through::Through;

/// What the echo server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Lines over TCP, echoed.
    Lines,
    /// JSON over WebSocket, each guess answered by a hint.
    Json,
    /// Lines over TCP, echoed through a room's actor (and a writer task): [`through`].
    Through { writer: bool },
}

/// How long the accept loop backs off after an accept error (say, out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// Pending connections the kernel may queue (capped by `net.core.somaxconn`).
const BACKLOG: u32 = 4096;

/// Lines longer than this are cut and echoed in pieces, so no connection buffers without
/// bound.
const MAX_LINE: u64 = 4096;

/// A running echo server on `127.0.0.1`; dropping it stops it and closes its connections.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    /// The accept loop; it owns the connection tasks, so aborting it ends them all.
    accept: JoinHandle<()>,
    /// Lines the rooms' actors handled (none for the other echoes).
    handled: through::LineCounts,
}

impl EchoServer {
    /// A line-echo server: binds `127.0.0.1:0` and starts accepting on the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`LoadError::EchoBind`] when the port cannot be bound.
    pub async fn start() -> Result<Self, LoadError> {
        Self::start_speaking(Protocol::Lines)
    }

    /// A WebSocket echo server for JSON bots (any path upgrades, `/ws` included): binds
    /// `127.0.0.1:0` and starts accepting on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`LoadError::EchoBind`] when the port cannot be bound.
    pub async fn start_ws() -> Result<Self, LoadError> {
        Self::start_speaking(Protocol::Json)
    }

    /// An echo server for `transport` on `addr` (`referee echo`: the ceiling in a process of
    /// its own, for profilers).
    ///
    /// # Errors
    ///
    /// [`LoadError::EchoBind`] when `addr` cannot be bound.
    pub async fn start_on(
        addr: SocketAddr,
        transport: crate::Transport,
    ) -> Result<Self, LoadError> {
        let protocol = match transport {
            crate::Transport::Tcp => Protocol::Lines,
            crate::Transport::Ws | crate::Transport::Colyseus => Protocol::Json,
        };
        Self::listen_on(addr, protocol, 1)
    }

    /// A line echo on `addr` whose lines go `through` the server's hops, connections seated
    /// `room_size` to a room ([`Through`]; `Through::Nothing` is the bare line echo).
    ///
    /// # Errors
    ///
    /// [`LoadError::EchoBind`] when `addr` cannot be bound.
    pub async fn start_through(
        addr: SocketAddr,
        through: Through,
        room_size: usize,
    ) -> Result<Self, LoadError> {
        let protocol = match through {
            Through::Nothing => Protocol::Lines,
            Through::Actor => Protocol::Through { writer: false },
            Through::ActorAndWriter => Protocol::Through { writer: true },
        };
        Self::listen_on(addr, protocol, room_size)
    }

    fn start_speaking(protocol: Protocol) -> Result<Self, LoadError> {
        Self::listen_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), protocol, 1)
    }

    fn listen_on(
        addr: SocketAddr,
        protocol: Protocol,
        room_size: usize,
    ) -> Result<Self, LoadError> {
        let listener = listen(addr).map_err(LoadError::EchoBind)?;
        let addr = listener.local_addr().map_err(LoadError::EchoBind)?;
        let handled = through::LineCounts::default();
        let rooms = through::Rooms::new(room_size, handled.clone());
        let accept = tokio::spawn(accept_loop(listener, protocol, rooms));
        Ok(Self {
            addr,
            accept,
            handled,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Lines the rooms' actors have handled so far (0 unless the lines go through them).
    pub fn lines_through_rooms(&self) -> u64 {
        self.handled.total()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A listener on `addr` with a deep accept queue: `TcpListener::bind` asks for only
/// 128 pending connections, and a batch of 500 connects overflowing it costs the dropped
/// ones a one-second SYN retransmit.
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn accept_loop(listener: TcpListener, protocol: Protocol, mut rooms: through::Rooms) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                match protocol {
                    Protocol::Lines => connections.spawn(echo_connection(stream)),
                    Protocol::Json => connections.spawn(json::connection(stream)),
                    Protocol::Through { writer } => {
                        connections.spawn(through_connection(stream, rooms.seat(), writer))
                    }
                };
            }
            Err(error) => {
                tracing::warn!(%error, "echo server: accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
        while connections.try_join_next().is_some() {}
    }
}

async fn echo_connection(stream: TcpStream) {
    if let Err(error) = echo_lines(stream).await {
        tracing::debug!(%error, "echo connection ended");
    }
}

async fn through_connection(
    stream: TcpStream,
    room: referee_actor::ActorHandle<through::Room>,
    writer: bool,
) {
    if let Err(error) = through::echo_through(stream, room, writer).await {
        tracing::debug!(%error, "echo connection ended");
    }
}

/// Writes every line back until the client closes its side.
async fn echo_lines(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut conn = BufReader::with_capacity(512, stream);
    let mut line = Vec::with_capacity(64);
    while read_line(&mut conn, &mut line).await? {
        conn.write_all(&line).await?;
    }
    Ok(())
}

/// Reads the next line (at most [`MAX_LINE`] bytes of it) into `line`, replacing what it
/// held; `false` once the client has closed its side.
async fn read_line<R>(conn: &mut R, line: &mut Vec<u8>) -> io::Result<bool>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    line.clear();
    Ok(conn.take(MAX_LINE).read_until(b'\n', line).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn echoes_each_line_back() {
        let server = EchoServer::start().await.unwrap();
        let stream = TcpStream::connect(server.addr()).await.unwrap();
        let mut conn = BufReader::new(stream);
        let mut line = String::new();
        for sent in ["10\n", "hello\n"] {
            conn.write_all(sent.as_bytes()).await.unwrap();
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            assert_eq!(line, sent);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lines_through_the_rooms_actors_come_back_in_order() {
        for through in [Through::Actor, Through::ActorAndWriter] {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let server = EchoServer::start_through(addr, through, 2).await.unwrap();
            let mut conns = Vec::new();
            for _ in 0..3 {
                let stream = TcpStream::connect(server.addr()).await.unwrap();
                conns.push(BufReader::new(stream));
            }
            let mut line = String::new();
            for round in 0..4 {
                for (i, conn) in conns.iter_mut().enumerate() {
                    let sent = format!("{round} from {i}\n");
                    conn.write_all(sent.as_bytes()).await.unwrap();
                    line.clear();
                    let read = tokio::time::timeout(TIMEOUT, conn.read_line(&mut line)).await;
                    read.unwrap().unwrap();
                    assert_eq!(line, sent, "{through:?}");
                }
            }
            // Every line went through an actor: two rooms, 12 lines in all.
            assert_eq!(server.lines_through_rooms(), 12, "{through:?}");
        }
    }

    #[tokio::test]
    async fn the_bare_echo_asks_no_actor() {
        let server = EchoServer::start().await.unwrap();
        let mut conn = BufReader::new(TcpStream::connect(server.addr()).await.unwrap());
        conn.write_all(b"7\n").await.unwrap();
        let mut line = String::new();
        conn.read_line(&mut line).await.unwrap();
        assert_eq!((line.as_str(), server.lines_through_rooms()), ("7\n", 0));
    }

    #[tokio::test]
    async fn the_ws_echo_answers_each_guess_with_a_hint_carrying_its_id() {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;

        let server = EchoServer::start_ws().await.unwrap();
        let url = format!("ws://{}/ws", server.addr());
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        for id in [1, 2] {
            let guess = format!(r#"{{"v":1,"id":{id},"op":"guess","value":10}}"#);
            socket.send(Message::text(guess)).await.unwrap();
            let reply = tokio::time::timeout(TIMEOUT, socket.next()).await.unwrap();
            let Some(Ok(Message::Text(reply))) = reply else {
                panic!("no text reply: {reply:?}");
            };
            let reply: serde_json::Value = serde_json::from_str(reply.as_str()).unwrap();
            assert_eq!(reply["re"], id);
            assert_eq!(reply["event"]["hint"], "higher");
        }
        drop(server);
        let closed = tokio::time::timeout(TIMEOUT, socket.next()).await;
        let next = closed.expect("the connection outlived the server");
        assert!(
            !matches!(next, Some(Ok(Message::Text(_)))),
            "still answering after drop"
        );
    }

    #[tokio::test]
    async fn dropping_the_server_closes_its_connections() {
        let server = EchoServer::start().await.unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream.write_all(b"10\n").await.unwrap();
        let mut echoed = [0; 3];
        stream.read_exact(&mut echoed).await.unwrap();
        drop(server);
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut rest)).await;
        let read = closed.expect("the connection outlived the server");
        assert!(read.is_err() || rest.is_empty(), "still echoing after drop");
    }
}
