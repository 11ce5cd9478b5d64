//! One TCP connection: a reader (this task) that feeds the player's lines to their session,
//! and a writer task that sends the outbox. Both as simple as possible (STYLE §6).

use std::sync::Arc;

use referee_protocol::notice::{ByeReason, ErrorCode, Notice};
use referee_rules::Render;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio_util::codec::FramedRead;

use super::codec::LineCodec;
use super::writer::write_frames;
use crate::idle::IdleTimer;
use crate::kick::{Kick, Reason};
use crate::link::{Link, Opened};
use crate::lobby_timer::LobbyTimer;
use crate::metrics::{Refused, Transport};
use crate::reader::{self, Next};
use crate::session::{Flow, Session};
use crate::shared::Shared;

/// Bytes a connection's read buffer starts with; it grows only for long lines.
const READ_BUFFER: usize = 256;
/// Input read and dropped after a session ended, at most.
const DISCARD_LIMIT: usize = 256 * 1024;

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The client closed its side.
    Eof,
    Quit,
    Idle,
    /// In no room for longer than the lobby limit.
    Lobby,
    Shutdown,
    /// Disconnected by the server (too slow).
    Kicked,
    /// A fatal protocol error (line too long) or an I/O error.
    Broken,
}

/// Serves one player until they leave, are dropped, or the server shuts down.
pub(crate) async fn serve<G: Render>(stream: TcpStream, shared: Arc<Shared<G>>) {
    let _ = stream.set_nodelay(true);
    if let Some(bytes) = shared.config.send_buffer {
        if let Err(err) = socket2::SockRef::from(&stream).set_send_buffer_size(bytes) {
            tracing::debug!(%err, "cannot set the send buffer size");
        }
    }
    let peer = stream.peer_addr().ok().map(|addr| addr.ip());
    let (read_half, write_half) = stream.into_split();
    let Opened {
        mut link,
        outbox,
        seen_round,
    } = Link::open(&shared, Transport::Tcp, |frames, kick, seen_round| {
        write_frames(write_half, frames, kick, seen_round)
    });
    let mut session = Session::for_connection(&shared, peer, outbox, seen_round);
    session.start().await;
    let codec = LineCodec::new(shared.config.max_line);
    let mut lines = FramedRead::with_capacity(read_half, codec, READ_BUFFER);
    let end = read_lines(&mut lines, &mut session, link.kick(), &shared).await;
    session.end().await;
    if let Some(reason) = bye(end) {
        session.say(&Notice::Bye { reason });
    }
    drop(session);
    link.linger().await;
    // Closing a socket with unread input resets the connection, which can destroy the last
    // lines still on their way out: drop what the client sent meanwhile first.
    drain_pending(lines.get_ref());
}

/// Reads and drops the input already waiting, without waiting for more.
fn drain_pending(read_half: &OwnedReadHalf) {
    let mut scratch = [0_u8; 1024];
    let mut total = 0;
    while total < DISCARD_LIMIT {
        match read_half.try_read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

fn bye(end: End) -> Option<ByeReason> {
    match end {
        End::Quit => Some(ByeReason::Quit),
        End::Idle => Some(ByeReason::Idle),
        End::Lobby => Some(ByeReason::Lobby),
        End::Shutdown => Some(ByeReason::Shutdown),
        End::Eof | End::Kicked | End::Broken => None,
    }
}

/// Reads lines and hands them to the session until something ends the connection.
async fn read_lines<G: Render>(
    lines: &mut FramedRead<OwnedReadHalf, LineCodec>,
    session: &mut Session<G>,
    kick: &Kick,
    shared: &Shared<G>,
) -> End {
    let mut idle = IdleTimer::new(shared.config.idle_timeout);
    let mut lobby = LobbyTimer::new(shared.config.lobby_timeout, session.in_room());
    loop {
        lobby.update(session.in_room());
        let next = tokio::select! {
            biased;
            next = reader::next(lines, kick, &mut idle) => next,
            () = lobby.expired() => {
                shared.metrics.refused(Refused::Lobby);
                return End::Lobby;
            }
            back = session.room_back() => {
                session.on_room_back(back).await;
                continue;
            }
        };
        let next = match next {
            Next::Kicked(Reason::Shutdown) => return End::Shutdown,
            Next::Kicked(Reason::TooSlow | Reason::Failed | Reason::Replaced) => {
                return End::Kicked;
            }
            Next::Idle => return End::Idle,
            Next::Input(next) => next,
        };
        match next {
            None => return End::Eof,
            Some(Err(_)) => return End::Broken,
            Some(Ok(Err(err))) => {
                let code = if err.is_fatal() {
                    ErrorCode::TooLarge
                } else {
                    ErrorCode::BadEncoding
                };
                session.say(&Notice::error(code, &err));
                if err.is_fatal() {
                    return End::Broken;
                }
            }
            Some(Ok(Ok(line))) => match session.on_line(&line).await {
                Flow::Continue => {}
                Flow::Quit => return End::Quit,
                Flow::Flooded => return End::Broken,
            },
        }
    }
}
