//! Accepting connections when the process may be out of file descriptors.
//!
//! When every descriptor is in use, `accept` fails with `EMFILE` (or `ENFILE`: the whole
//! system is out) and the waiting client hears nothing at all. An [`Acceptor`] keeps one
//! descriptor in reserve (an open `/dev/null`): on such an error it closes the reserve,
//! accepts the waiting connection into the freed descriptor and hands it back as
//! [`Accepted::Shed`], for the caller to send its one-line refusal and close at once; the
//! reserve is reopened before the next accept. So even then a client learns that the server
//! is full, instead of waiting in silence.

use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Longest pause between accept attempts after errors the reserve cannot help with.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// The first pause after such an error.
const MIN_BACKOFF: Duration = Duration::from_millis(5);

/// What an accept gave.
pub(crate) enum Accepted {
    /// A connection to serve (if admission lets it in).
    Stream(TcpStream, SocketAddr),
    /// A connection accepted into the reserve descriptor: refuse it at once and drop it.
    Shed(TcpStream),
}

/// A listener with a descriptor in reserve.
pub(crate) struct Acceptor {
    listener: TcpListener,
    reserve: Option<File>,
    backoff: Duration,
    /// What to call the listener in the log.
    name: &'static str,
}

impl Acceptor {
    /// Wraps `listener`, opening the reserve descriptor.
    pub(crate) fn new(listener: TcpListener, name: &'static str) -> Self {
        Acceptor {
            listener,
            reserve: open_reserve(),
            backoff: MIN_BACKOFF,
            name,
        }
    }

    /// The next connection. Errors are logged and retried (after a growing pause when the
    /// reserve cannot help); they never end the loop.
    pub(crate) async fn next(&mut self) -> Accepted {
        loop {
            if self.reserve.is_none() {
                self.reserve = open_reserve();
            }
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    self.backoff = MIN_BACKOFF;
                    return Accepted::Stream(stream, peer);
                }
                Err(err) if out_of_descriptors(&err) && self.reserve.is_some() => {
                    tracing::warn!(listener = self.name, %err, "out of file descriptors: shedding one connection with the reserve");
                    self.reserve = None;
                    match self.listener.accept().await {
                        Ok((stream, _)) => return Accepted::Shed(stream),
                        Err(err) => self.pause(err).await,
                    }
                }
                Err(err) => self.pause(err).await,
            }
        }
    }

    async fn pause(&mut self, err: io::Error) {
        tracing::warn!(listener = self.name, %err, backoff = ?self.backoff, "accept failed");
        tokio::time::sleep(self.backoff).await;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}

fn open_reserve() -> Option<File> {
    File::open("/dev/null").ok()
}

fn out_of_descriptors(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Sends `bytes` on a shed connection if the socket takes them at once, then drops it.
/// Whatever the client already sent is read first, so that closing does not reset the
/// connection before the refusal arrives.
pub(crate) fn shed(stream: TcpStream, bytes: &[u8]) {
    let mut scratch = [0_u8; 1024];
    for _ in 0..16 {
        match stream.try_read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if let Err(err) = stream.try_write(bytes) {
        tracing::debug!(%err, "could not send the refusal to a shed connection");
    }
    if let Ok(std) = stream.into_std() {
        let _ = std.shutdown(std::net::Shutdown::Write);
    }
}
