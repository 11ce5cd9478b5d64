//! Driving one bot over any transport: read a message, ask the [`Brain`], write its guess,
//! time the answer.
//!
//! The transport is a small [`Wire`]: it writes a guess and decodes the next server message
//! into a [`Heard`] (lines over TCP in `tcp.rs`, JSON over WebSocket in `ws.rs`). Everything
//! else — one guess in flight, the clock, think time, the deadline, the counters — is here,
//! once. A bot stops by itself at the deadline when it has no guess in flight (and otherwise
//! as soon as that guess is answered); the phase aborts whatever is left after the drain, so
//! no bot can outlive the run.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, timeout, timeout_at};

use crate::bot::{Brain, Heard};
use crate::stats::Stats;

/// How long a bot that is done may spend saying goodbye (a WebSocket close frame).
const GOODBYE: Duration = Duration::from_secs(1);

/// A connection to the target, as a bot uses it.
pub(crate) trait Wire {
    /// Writes `guess` in the wire's format.
    async fn send(&mut self, guess: u64) -> io::Result<()>;

    /// Reads and decodes the next server message; `None` when the server closed the
    /// connection.
    async fn recv(&mut self) -> io::Result<Option<Heard>>;

    /// Ends the connection politely once the bot is done (bounded by the caller).
    async fn close(&mut self) {}
}

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

/// How long a paced bot waits before its first guess: spread over one of its think times
/// by its number (a second hash, unrelated to its pace). Connected bots start together;
/// without it, every paced bot's first guess would land in the same instant — a burst of one
/// guess per bot that no steady load has, whose queueing would set the run's tail (at 10,000
/// bots and 1 s, the first burst alone is 5% of a 20 s run's answers). Zero when flat out.
pub(crate) fn stagger(pace: Duration, id: usize) -> Duration {
    let spread = (id as u64 ^ 0x5851_F42D_4C95_7F2D).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 11;
    let fraction = spread as f64 / (1_u64 << 53) as f64;
    pace.mul_f64(fraction)
}

/// Why a bot stopped playing.
enum End {
    /// The run is over.
    Deadline,
    /// The server closed the connection.
    Closed,
}

/// One connected bot.
struct Bot<W> {
    brain: Brain,
    wire: W,
    /// When the outstanding guess was written; `Some` exactly while the brain has one.
    sent_at: Option<Instant>,
}

/// Plays until the deadline (or until the server closes), counting into `ctx.stats`.
pub(crate) async fn play<W: Wire>(wire: W, brain: Brain, ctx: Context) {
    let mut bot = Bot {
        brain,
        wire,
        sent_at: None,
    };
    match bot.run(&ctx).await {
        Ok(End::Deadline) => {
            let _ = timeout(GOODBYE, bot.wire.close()).await;
        }
        Ok(End::Closed) => Stats::bump(&ctx.stats.disconnects),
        Err(error) => {
            tracing::debug!(%error, bot = ctx.id, "bot connection failed");
            Stats::bump(&ctx.stats.io_errors);
        }
    }
}

impl<W: Wire> Bot<W> {
    async fn run(&mut self, ctx: &Context) -> io::Result<End> {
        if !ctx.think.is_zero() {
            tokio::time::sleep(stagger(ctx.think, ctx.id)).await;
        }
        if let Some(guess) = self.brain.start() {
            if !self.send(guess, ctx).await? {
                return Ok(End::Deadline);
            }
        }
        loop {
            let heard = match self.recv(ctx.deadline).await? {
                Ok(heard) => heard,
                Err(end) => return Ok(end),
            };
            if !self.react(heard, ctx).await? {
                return Ok(End::Deadline);
            }
        }
    }

    /// The next message, or why the bot should stop instead. While no guess is in flight
    /// the wait ends at the deadline.
    async fn recv(&mut self, deadline: Instant) -> io::Result<Result<Heard, End>> {
        let received = match self.sent_at {
            Some(_) => self.wire.recv().await?,
            None => match timeout_at(deadline, self.wire.recv()).await {
                Ok(received) => received?,
                Err(_) => return Ok(Err(End::Deadline)),
            },
        };
        Ok(received.ok_or(End::Closed))
    }

    /// Passes the message to the brain, counts its answer and sends the next guess; `false`
    /// when a guess is due but the run is over.
    async fn react(&mut self, heard: Heard, ctx: &Context) -> io::Result<bool> {
        let reaction = self.brain.on_heard(heard);
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

    /// Writes `guess` and starts its clock; `false` past the deadline.
    async fn send(&mut self, guess: u64, ctx: &Context) -> io::Result<bool> {
        let now = Instant::now();
        if now >= ctx.deadline {
            return Ok(false);
        }
        self.wire.send(guess).await?;
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

    #[test]
    fn first_guesses_spread_over_one_think_time() {
        let think = Duration::from_millis(1000);
        let starts: Vec<Duration> = (0..10_000).map(|id| stagger(pace(think, id), id)).collect();
        // Each within its own bot's pace...
        assert!((0..10_000).all(|id| starts[id] < pace(think, id)));
        // ...and spread: no tenth of a second holds more than twice its share.
        let mut per_tenth = [0_usize; 15];
        for start in &starts {
            per_tenth[(start.as_millis() / 100) as usize] += 1;
        }
        let busiest = per_tenth.iter().max().copied().unwrap_or(0);
        assert!(busiest < 2 * 10_000 / 10, "{per_tenth:?}");
        assert_eq!(stagger(Duration::ZERO, 7), Duration::ZERO);
    }
}
