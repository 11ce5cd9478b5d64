//! One TCP connection: a reader (this task) that feeds the player's lines to their session,
//! and a writer task that sends the outbox. Both as simple as possible (STYLE §6).

use std::sync::Arc;
use std::time::Duration;

use referee_protocol::notice::{ByeReason, ErrorCode, Notice};
use referee_rules::Render;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::StreamExt;
use tokio_util::codec::FramedRead;

use super::codec::LineCodec;
use super::writer::write_frames;
use crate::kick::{Kick, KickOnDrop, Reason};
use crate::metrics::Transport;
use crate::outbox::Outbox;
use crate::seen::SeenRound;
use crate::server::Shared;
use crate::session::{Flow, Session};

/// Bytes a connection's read buffer starts with; it grows only for long lines.
const READ_BUFFER: usize = 256;
/// How long the writer may take to flush the last frames (a goodbye) after the session.
const LINGER: Duration = Duration::from_secs(2);
/// Input read and dropped after a session ended, at most.
const DISCARD_LIMIT: usize = 256 * 1024;

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The client closed its side.
    Eof,
    Quit,
    Idle,
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
    let _open = shared.metrics.connection(Transport::Tcp);
    let (read_half, write_half) = stream.into_split();
    let (frames_tx, frames_rx) = mpsc::channel(shared.config.outbox_capacity);
    let kick = Kick::default();
    // Shutdown reaches the connection through its switch.
    let _registered = shared.connections.register(kick.clone());
    let seen_round = SeenRound::default();
    let writer = tokio::spawn(write_frames(
        write_half,
        frames_rx,
        kick.clone(),
        seen_round.clone(),
    ));
    let outbox = Outbox::new(frames_tx, kick.clone());
    // If this task fails (a panic), the writer must stop too, so that the room finds the
    // player gone at its next push and frees the seat.
    let _kick_on_failure = KickOnDrop(kick.clone());
    let player = shared.players.next();
    let mut session = Session::new(player, shared.lobby.clone(), outbox, seen_round, false)
        .with_recorder(shared.recorder.clone())
        .with_rate_limit(shared.config.rate_limit)
        .with_faults(shared.config.allow_faults)
        .with_metrics(shared.metrics.clone());
    session.start().await;
    let codec = LineCodec::new(shared.config.max_line);
    let mut lines = FramedRead::with_capacity(read_half, codec, READ_BUFFER);
    let end = read_lines(&mut lines, &mut session, &kick, &shared).await;
    session.end().await;
    if let Some(reason) = bye(end) {
        session.say(&Notice::Bye { reason });
    }
    drop(session);
    if tokio::time::timeout(LINGER, writer).await.is_err() {
        kick.kick(Reason::Failed);
    }
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
        End::Shutdown => Some(ByeReason::Shutdown),
        End::Eof | End::Kicked | End::Broken => None,
    }
}

/// Reads lines and hands them to the session until something ends the connection.
///
/// The idle timer is re-armed only when it fires (then for the time left since the last
/// line), not on every line: one timer registration per idle period, not per message.
async fn read_lines<G: Render>(
    lines: &mut FramedRead<OwnedReadHalf, LineCodec>,
    session: &mut Session<G>,
    kick: &Kick,
    shared: &Shared<G>,
) -> End {
    let idle = shared.config.idle_timeout;
    let mut last_line = Instant::now();
    let idle_timer = tokio::time::sleep(idle);
    tokio::pin!(idle_timer);
    loop {
        let next = tokio::select! {
            biased;
            reason = kick.for_reader() => return match reason {
                Reason::Shutdown => End::Shutdown,
                Reason::TooSlow | Reason::Failed | Reason::Replaced => End::Kicked,
            },
            () = &mut idle_timer => {
                if last_line.elapsed() >= idle {
                    return End::Idle;
                }
                idle_timer.as_mut().reset(last_line + idle);
                continue;
            }
            next = lines.next() => next,
        };
        last_line = Instant::now();
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
