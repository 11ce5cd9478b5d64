//! The line protocol over TCP as a bot's [`Wire`]: guesses go out as `VALUE\n`, each line in
//! is decoded by [`bot::line`](crate::bot::line).
//!
//! Per bot this holds a 512-byte read buffer, one line buffer and an output buffer: ten
//! thousand bots cost a few megabytes.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::bot::{Heard, line};
use crate::driver::Wire;

/// A server line longer than this ends the bot with an I/O error: the protocol's lines are
/// short, and a bot never buffers without bound.
const MAX_LINE: u64 = 4096;

/// Connects to `addr`, giving up after `limit`.
pub(crate) async fn connect(addr: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
    let stream = timeout(limit, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One bot's line connection. The server seats a TCP player on connect: nothing to send
/// before the first guess.
#[derive(Debug)]
pub(crate) struct Lines {
    conn: BufReader<TcpStream>,
    line: Vec<u8>,
    out: Vec<u8>,
    /// Against an echo server any line answers the guess.
    echo: bool,
}

impl Lines {
    pub(crate) fn new(stream: TcpStream, echo: bool) -> Self {
        Self {
            conn: BufReader::with_capacity(512, stream),
            line: Vec::with_capacity(128),
            out: Vec::with_capacity(24),
            echo,
        }
    }
}

impl Lines {
    /// Writes `text` and a newline.
    pub(crate) async fn write_line(&mut self, text: &str) -> io::Result<()> {
        self.out.clear();
        self.out.extend_from_slice(text.as_bytes());
        self.out.push(b'\n');
        self.conn.write_all(&self.out).await
    }

    /// Reads the next line, without its line ending (lossily decoded); `None` when the
    /// server closed the connection.
    pub(crate) async fn read_line(&mut self) -> io::Result<Option<std::borrow::Cow<'_, str>>> {
        self.line.clear();
        let read = (&mut self.conn)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.line)
            .await?;
        if read == 0 {
            return Ok(None);
        }
        if read as u64 == MAX_LINE && !self.line.ends_with(b"\n") {
            let message = format!("the server sent a line over {MAX_LINE} bytes");
            return Err(io::Error::new(io::ErrorKind::InvalidData, message));
        }
        let end = self.line.len()
            - self
                .line
                .iter()
                .rev()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
        Ok(Some(String::from_utf8_lossy(&self.line[..end])))
    }
}

impl Wire for Lines {
    async fn send(&mut self, guess: u64) -> io::Result<()> {
        self.out.clear();
        std::io::Write::write_fmt(&mut self.out, format_args!("{guess}\n"))?;
        self.conn.write_all(&self.out).await
    }

    async fn recv(&mut self) -> io::Result<Option<Heard>> {
        let echo = self.echo;
        Ok(self.read_line().await?.map(|text| line::heard(&text, echo)))
    }
}
