//! Driving one bot over TCP: read a line, ask the [`Brain`], write its guess, time the answer.
//!
//! Per bot this holds a 512-byte read buffer, one line buffer and the brain: ten thousand
//! bots cost a few megabytes. A bot stops by itself at the deadline when it has no guess in
//! flight (and otherwise as soon as that guess is answered); the phase aborts whatever is
//! left after the drain, so no bot can outlive the run.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use crate::bot::Brain;
use crate::stats::Stats;

/// A server line longer than this ends the bot with an I/O error: the protocol's lines are
/// short, and a bot never buffers without bound.
const MAX_LINE: u64 = 4096;

/// What a bot shares with the rest of its phase.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) stats: Arc<Stats>,
    /// This bot's number, which picks its histogram shard.
    pub(crate) id: usize,
    /// No guess is sent at or after this instant.
    pub(crate) deadline: Instant,
    /// Pause between an answer and the next guess (zero: none).
    pub(crate) think: Duration,
}

/// A bot's steady think time: between half and one and a half times `think`, spread over
/// the bots by their number so that they do not all guess in step.
pub(crate) fn pace(think: Duration, id: usize) -> Duration {
    // A multiplicative hash of the bot number, as a fraction in [0, 1).
    let spread = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let fraction = spread as f64 / (1_u64 << 53) as f64;
    think.mul_f64(0.5 + fraction)
}

/// Why a bot stopped playing.
enum End {
    /// The run is over.
    Deadline,
    /// The server closed the connection.
    Closed,
}

/// One connected bot.
struct Bot {
    brain: Brain,
    conn: BufReader<TcpStream>,
    line: Vec<u8>,
    out: Vec<u8>,
    /// When the outstanding guess was written; `Some` exactly while the brain has one.
    sent_at: Option<Instant>,
}

/// Connects to `addr`, giving up after `limit`.
pub(crate) async fn connect(addr: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
    let stream = timeout(limit, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Plays until the deadline (or until the server closes), counting into `ctx.stats`.
pub(crate) async fn play(stream: TcpStream, brain: Brain, ctx: Context) {
    let mut bot = Bot {
        brain,
        conn: BufReader::with_capacity(512, stream),
        line: Vec::with_capacity(128),
        out: Vec::with_capacity(24),
        sent_at: None,
    };
    match bot.run(&ctx).await {
        Ok(End::Deadline) => {}
        Ok(End::Closed) => Stats::bump(&ctx.stats.disconnects),
        Err(error) => {
            tracing::debug!(%error, bot = ctx.id, "bot connection failed");
            Stats::bump(&ctx.stats.io_errors);
        }
    }
}

impl Bot {
    async fn run(&mut self, ctx: &Context) -> io::Result<End> {
        if let Some(guess) = self.brain.start() {
            if !self.send(guess, ctx).await? {
                return Ok(End::Deadline);
            }
        }
        loop {
            if let Some(end) = self.read_line(ctx.deadline).await? {
                return Ok(end);
            }
            if !self.react(ctx).await? {
                return Ok(End::Deadline);
            }
        }
    }

    /// Reads the next line into `self.line`; `Some` when the bot should stop instead. While
    /// no guess is in flight the wait ends at the deadline.
    async fn read_line(&mut self, deadline: Instant) -> io::Result<Option<End>> {
        self.line.clear();
        let mut limited = (&mut self.conn).take(MAX_LINE);
        let read = limited.read_until(b'\n', &mut self.line);
        let read = match self.sent_at {
            Some(_) => read.await?,
            None => match timeout_at(deadline, read).await {
                Ok(read) => read?,
                Err(_) => return Ok(Some(End::Deadline)),
            },
        };
        if read == 0 {
            return Ok(Some(End::Closed));
        }
        if read as u64 == MAX_LINE && !self.line.ends_with(b"\n") {
            let message = format!("the server sent a line over {MAX_LINE} bytes");
            return Err(io::Error::new(io::ErrorKind::InvalidData, message));
        }
        Ok(None)
    }

    /// Passes the line to the brain, counts its answer and sends the next guess; `false` when
    /// a guess is due but the run is over.
    async fn react(&mut self, ctx: &Context) -> io::Result<bool> {
        let text = String::from_utf8_lossy(&self.line);
        let reaction = self.brain.on_line(text.trim_end_matches(['\n', '\r']));
        if let Some(answer) = reaction.answer {
            let latency = self.sent_at.take().map(|sent_at| sent_at.elapsed());
            ctx.stats.answer(ctx.id, answer, latency);
        }
        match reaction.send {
            Some(guess) => {
                if !ctx.think.is_zero() {
                    tokio::time::sleep(ctx.think).await;
                }
                self.send(guess, ctx).await
            }
            None => Ok(true),
        }
    }

    /// Writes `guess` as a plain guess line and starts its clock; `false` past the deadline.
    async fn send(&mut self, guess: u64, ctx: &Context) -> io::Result<bool> {
        let now = Instant::now();
        if now >= ctx.deadline {
            return Ok(false);
        }
        self.out.clear();
        std::io::Write::write_fmt(&mut self.out, format_args!("{guess}\n"))?;
        self.conn.write_all(&self.out).await?;
        self.sent_at = Some(now);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_spread_between_half_and_one_and_a_half_times_the_think_time() {
        let think = Duration::from_millis(100);
        let paces: Vec<Duration> = (0..1000).map(|id| pace(think, id)).collect();
        assert!(paces.iter().all(|p| *p >= think / 2 && *p < think * 3 / 2));
        let fast = paces.iter().filter(|p| **p < think).count();
        assert!((400..600).contains(&fast), "{fast} of 1000 below the mean");
        assert_eq!(pace(Duration::ZERO, 7), Duration::ZERO);
    }
}
