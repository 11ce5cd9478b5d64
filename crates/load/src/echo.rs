//! A minimal line-echo server: the ceiling every load report is compared with.
//!
//! It does the least a line server can do — read a line, write it back — with one tokio task
//! per connection, on the same runtime and machine as the bots. Whatever the real server
//! costs beyond framing and socket I/O shows up as its ratio to this ceiling, which stays
//! meaningful when the machine's absolute speed does not.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::LoadError;

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
}

impl EchoServer {
    /// Binds `127.0.0.1:0` and starts accepting on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`LoadError::EchoBind`] when the port cannot be bound.
    pub async fn start() -> Result<Self, LoadError> {
        let listener = listen().map_err(LoadError::EchoBind)?;
        let addr = listener.local_addr().map_err(LoadError::EchoBind)?;
        let accept = tokio::spawn(accept_loop(listener));
        Ok(Self { addr, accept })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A listener on `127.0.0.1:0` with a deep accept queue: `TcpListener::bind` asks for only
/// 128 pending connections, and a batch of 500 connects overflowing it costs the dropped
/// ones a one-second SYN retransmit.
fn listen() -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    socket.listen(BACKLOG)
}

async fn accept_loop(listener: TcpListener) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                connections.spawn(echo_connection(stream));
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

/// Writes every line back until the client closes its side.
async fn echo_lines(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut conn = BufReader::with_capacity(512, stream);
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        if (&mut conn)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            return Ok(());
        }
        conn.write_all(&line).await?;
    }
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
