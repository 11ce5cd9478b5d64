//! A TCP connection's socket as the write side sees it (`wire.rs`): each batch of frames as
//! lines, in one write.

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::outbox::Frame;
use crate::wire::Socket;

/// A buffer larger than this is given back after a write, so idle connections stay small.
const KEEP: usize = 2 * 1024;

/// The write half of a TCP connection, with the buffer a batch is gathered in.
pub(crate) struct TcpSocket {
    socket: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl TcpSocket {
    pub(crate) fn new(socket: OwnedWriteHalf) -> Self {
        TcpSocket {
            socket,
            buf: Vec::new(),
        }
    }
}

impl Socket for TcpSocket {
    async fn send(&mut self, frames: Vec<Frame>) -> io::Result<()> {
        lines(&mut self.buf, &frames);
        let written = self.socket.write_all(&self.buf).await;
        if self.buf.capacity() > KEEP {
            self.buf = Vec::new();
        }
        written
    }

    async fn finish(&mut self, _code: u16) {
        let _ = self.socket.shutdown().await;
    }
}

/// Fills `buf` with the frames' text, a line each.
fn lines(buf: &mut Vec<u8>, frames: &[Frame]) {
    buf.clear();
    for frame in frames {
        buf.extend_from_slice(frame.text.as_bytes());
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_frame_is_a_line() {
        let mut buf = b"left over".to_vec();
        let frames = [Frame::in_round("a".into(), 1), Frame::text("b\nc".into())];
        lines(&mut buf, &frames);
        assert_eq!(buf, b"a\nb\nc\n");
    }
}
