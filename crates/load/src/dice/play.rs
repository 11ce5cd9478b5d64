//! Driving one dice bot over the line protocol: read a line, ask the [`DiceBrain`], write
//! its move, time the answer, and (when the run records) keep what it saw.
//!
//! The bot asked for its seat (`/play dice`) while connecting, so the measured window
//! starts with every bot seated, as the guess bots are. It sends no move at or after the
//! deadline, but stays at its table, reading, until the end of the drain: a bot that left at
//! the deadline would forfeit its dice while a table-mate's move sent just before it was
//! still in flight, and that move would then be refused (no match left, or a new hand with
//! no bid to call) — a refusal no bot caused. So every bot stops reading halfway through the
//! drain, its transcript complete up to there, and then holds its connection open, silent,
//! until the phase ends it at the end of the drain: nobody leaves a table before every bot
//! has stopped listening.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::{Instant, timeout_at};

use super::DiceBrain;
use super::transcript::{Said, Transcript};
use crate::driver::Context;
use crate::stats::Stats;
use crate::tcp::Lines;

/// Where the bots of a recorded run leave their transcripts.
pub(crate) type Recorder = Arc<Mutex<Vec<Transcript>>>;

/// How a dice bot ends.
pub(crate) struct Ending {
    /// The bot stops reading at this instant (halfway through the drain).
    pub(crate) hard_end: Instant,
    /// The bot hangs up at this instant (the end of the drain, when the phase ends).
    pub(crate) release: Instant,
    /// Keep the transcript here.
    pub(crate) recorder: Option<Recorder>,
}

/// Asks for a seat at a dice table: the first line a dice bot writes.
pub(crate) async fn sit(lines: &mut Lines) -> io::Result<()> {
    lines.write_line(DiceBrain::SIT).await
}

/// Plays until halfway through the drain (or until the server closes), counting into
/// `ctx.stats`, then holds the connection until the end of the drain.
pub(crate) async fn play(mut lines: Lines, mut brain: DiceBrain, ctx: Context, ending: Ending) {
    let mut transcript = ending.recorder.as_ref().map(|_| Transcript::default());
    if let Some(transcript) = &mut transcript {
        transcript.lines.push(Said::Sent(DiceBrain::SIT.to_owned()));
    }
    let result = run(
        &mut lines,
        &mut brain,
        &ctx,
        ending.hard_end,
        &mut transcript,
    )
    .await;
    match result {
        Ok(true) => {}
        Ok(false) => Stats::bump(&ctx.stats.disconnects),
        Err(error) => {
            tracing::debug!(%error, bot = ctx.id, "dice bot connection failed");
            Stats::bump(&ctx.stats.io_errors);
        }
    }
    if let (Some(mut transcript), Some(recorder)) = (transcript, ending.recorder) {
        (transcript.player, transcript.room) = (brain.player(), brain.room());
        recorder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(transcript);
    }
    tokio::time::sleep_until(ending.release).await;
    drop(lines);
}

/// The bot's loop: `Ok(true)` when the run ended it, `Ok(false)` when the server hung up.
async fn run(
    lines: &mut Lines,
    brain: &mut DiceBrain,
    ctx: &Context,
    hard_end: Instant,
    transcript: &mut Option<Transcript>,
) -> io::Result<bool> {
    let mut sent_at: Option<Instant> = None;
    loop {
        let until = if brain.outstanding() {
            hard_end
        } else {
            ctx.deadline
        };
        let line = match timeout_at(until, lines.read_line()).await {
            Err(_) => return Ok(true),
            Ok(Err(error)) => return Err(error),
            Ok(Ok(None)) => return Ok(false),
            Ok(Ok(Some(line))) => line.into_owned(),
        };
        let reaction = brain.on_line(&line);
        if let Some(transcript) = transcript.as_mut() {
            transcript.lines.push(Said::Heard(line));
        }
        let latency = match reaction.answered {
            true => sent_at.take().map(|at| at.elapsed()),
            false => None,
        };
        ctx.stats.dice(ctx.id, &reaction, latency);
        let Some(chosen) = reaction.send else {
            continue;
        };
        if !ctx.think.is_zero() {
            tokio::time::sleep(ctx.think).await;
        }
        let now = Instant::now();
        if now >= ctx.deadline {
            continue; // the window is over: listen, but move no more
        }
        let text = chosen.line();
        lines.write_line(&text).await?;
        sent_at = Some(now);
        if let Some(transcript) = transcript.as_mut() {
            transcript.lines.push(Said::Sent(text));
        }
    }
}
