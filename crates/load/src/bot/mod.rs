//! The bot's decisions, pure: one message in, one [`Reaction`] out.
//!
//! A [`Brain`] plays *guess the number* by binary search. It does no I/O, reads no clock and
//! knows no wire format: a small transport layer turns each server message into a [`Heard`]
//! ([`line`](mod@line) for the line protocol over TCP, [`json`] for the JSON protocol over
//! WebSocket), and the driver (`driver.rs`) feeds it to the brain, writes the guesses it
//! returns and times them. Tests — here and in the server's suites — drive it with plain
//! strings ([`Brain::on_line`]) or [`Heard`] values ([`Brain::on_heard`]).
//!
//! # Rules the brain follows
//!
//! In line-protocol words (the JSON protocol has a message for each):
//!
//! * `Round R: guess a number from LOW to HIGH.` starts a new search over `LOW..=HIGH`.
//! * At most **one** guess is outstanding; the next is only sent once the previous one has
//!   been answered (`Higher!`, `Lower!`, `Correct!`, `Sorry,` or `error:`).
//! * `Higher!` / `Lower!` narrow the *current* search relative to the outstanding guess, even
//!   when a new round started meanwhile: an answer comes after everything the room pushed
//!   before it, so a hint that arrives after a `Round` line was given for that round.
//! * `Correct!` wins the round: the brain waits for the next `Round` line.
//! * `Sorry,` (late guess): if a new round was announced since the guess was sent the brain
//!   plays on in it; otherwise it waits for the `Round` line, so it never floods a finished
//!   round with guesses.
//! * `error:` lines are counted and the brain waits for the next `Round` line, so a
//!   persistent error (say "you are not in a room") cannot turn into an error storm.
//! * Everything else (`* ...` notices, `<name> ...` chat, the welcome) is ignored.
//!
//! An [`echo`](Brain::echo) brain instead sends a guess-looking message and counts whatever
//! answers it: that is how bots measure the echo ceiling.
//!
//! # Example
//!
//! ```
//! use referee_load::bot::{Answer, Brain, Heard};
//!
//! let mut brain = Brain::new();
//! assert_eq!(brain.start(), None); // nothing to do before a round is announced
//! let first = brain.on_line("Round 1: guess a number from 0 to 19.");
//! assert_eq!(first.send, Some(9));
//! let next = brain.on_line("Higher! The number is more than 9.");
//! assert_eq!(next.answer, Some(Answer::Higher));
//! assert_eq!(next.send, Some(14));
//! // The same, whatever the wire said it in:
//! let last = brain.on_heard(Heard::Answer(Answer::Lower));
//! assert_eq!(last.send, Some(11));
//! ```

pub mod json;
pub mod line;

/// The guess an echo bot sends: it looks like a guess, so both targets parse the same bytes.
pub const ECHO_GUESS: u64 = 10;

/// What a bot plays against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The real referee: binary search guided by the answers.
    Game,
    /// An echo server: whatever answers the outstanding guess counts.
    Echo,
}

/// The kind of answer a message carries, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `Higher! ...`: the secret is above the guess.
    Higher,
    /// `Lower! ...`: the secret is below the guess.
    Lower,
    /// `Correct! ...`: this bot won the round.
    Correct,
    /// `Sorry, another player won in the meantime! ...`: the guess came too late.
    Late,
    /// `error: ...`: the server rejected something.
    Error,
    /// Any answer from an echo server.
    Echo,
}

/// One server message as the brain sees it, whatever the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A round is on: the secret lies in `min..=max` (`Round R: guess a number from MIN to
    /// MAX.`, or a JSON `state` / `round_started`).
    Round {
        /// The round's number.
        round: u64,
        /// The smallest possible secret.
        min: u64,
        /// The largest possible secret (a range with `min > max` is ignored).
        max: u64,
    },
    /// An answer: to the outstanding guess if there is one (an `error` may also come
    /// unasked).
    Answer(Answer),
    /// Nothing the bot acts on: the welcome, notices, chat, other players' moves.
    Ignored,
}

/// What the driver should do after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reaction {
    /// The answer this message carries, if it is one. It closes the outstanding guess, if any.
    pub answer: Option<Answer>,
    /// A guess to write now (the plain line `VALUE\n`, or a JSON `guess`).
    pub send: Option<u64>,
}

/// The search for one round's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Search {
    round: u64,
    /// The announced range, restored when hints contradict each other.
    min: u64,
    max: u64,
    /// The bounds still possible, inclusive; never empty.
    low: u64,
    high: u64,
}

/// The guess waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    value: u64,
    /// The round known when it was sent, to tell a stale `Sorry` from a fresh one.
    round: Option<u64>,
}

/// One bot's decision state: small (a few words) so ten thousand bots are cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brain {
    mode: Mode,
    /// The round being played; `None` while waiting for the next `Round` line.
    search: Option<Search>,
    /// At most one guess is in flight.
    pending: Option<Pending>,
}

impl Default for Brain {
    fn default() -> Self {
        Self::new()
    }
}

impl Brain {
    /// A brain that plays guess-the-number against the real referee.
    pub fn new() -> Self {
        Self {
            mode: Mode::Game,
            search: None,
            pending: None,
        }
    }

    /// A brain for an echo server: it sends [`ECHO_GUESS`] and treats any line as its answer.
    pub fn echo() -> Self {
        Self {
            mode: Mode::Echo,
            ..Self::new()
        }
    }

    /// The guess to send as soon as the connection is up: `None` for the game (it waits for a
    /// `Round` line), the first echo line for an echo brain.
    pub fn start(&mut self) -> Option<u64> {
        match self.mode {
            Mode::Game => None,
            Mode::Echo => self.send(ECHO_GUESS),
        }
    }

    /// Reacts to one line of the line protocol (without its line ending). Never panics.
    pub fn on_line(&mut self, line: &str) -> Reaction {
        self.on_heard(line::heard(line, self.is_echo()))
    }

    /// Reacts to one server message, already decoded by the transport. Never panics.
    pub fn on_heard(&mut self, heard: Heard) -> Reaction {
        match self.mode {
            Mode::Echo => self.on_echo(heard),
            Mode::Game => self.on_game(heard),
        }
    }

    /// Whether this brain measures an echo server rather than playing.
    pub fn is_echo(&self) -> bool {
        self.mode == Mode::Echo
    }

    /// The guess waiting for its answer, if any.
    pub fn outstanding(&self) -> Option<u64> {
        self.pending.map(|pending| pending.value)
    }

    /// The round being played, or `None` while waiting for the next `Round` line.
    pub fn round(&self) -> Option<u64> {
        self.search.map(|search| search.round)
    }

    /// The inclusive bounds the secret is still known to lie in, for the current round.
    pub fn bounds(&self) -> Option<(u64, u64)> {
        self.search.map(|search| (search.low, search.high))
    }

    fn on_echo(&mut self, heard: Heard) -> Reaction {
        if !matches!(heard, Heard::Answer(_)) || self.pending.take().is_none() {
            return Reaction::default();
        }
        Reaction {
            answer: Some(Answer::Echo),
            send: self.send(ECHO_GUESS),
        }
    }

    fn on_game(&mut self, heard: Heard) -> Reaction {
        let answer = match heard {
            Heard::Round { round, min, max } if min <= max => {
                self.search = Some(Search::new(round, min, max));
                return self.reaction(None);
            }
            Heard::Round { .. } | Heard::Ignored => return Reaction::default(),
            Heard::Answer(answer) => answer,
        };
        if let Some(pending) = self.pending.take() {
            self.apply(answer, pending);
        } else if answer == Answer::Error {
            self.search = None;
        }
        self.reaction(Some(answer))
    }

    /// Updates the search with the answer to `pending`.
    fn apply(&mut self, answer: Answer, pending: Pending) {
        match answer {
            Answer::Higher => self.narrow(|search| search.above(pending.value)),
            Answer::Lower => self.narrow(|search| search.below(pending.value)),
            Answer::Late if self.round() != pending.round => {}
            Answer::Correct | Answer::Late | Answer::Error | Answer::Echo => self.search = None,
        }
    }

    fn narrow(&mut self, hint: impl FnOnce(&mut Search)) {
        if let Some(search) = self.search.as_mut() {
            hint(search);
        }
    }

    /// The reaction to a message: the next guess when a round is known and nothing is in flight.
    fn reaction(&mut self, answer: Option<Answer>) -> Reaction {
        let send = match (self.pending, self.search) {
            (None, Some(search)) => self.send(search.middle()),
            _ => None,
        };
        Reaction { answer, send }
    }

    fn send(&mut self, value: u64) -> Option<u64> {
        self.pending = Some(Pending {
            value,
            round: self.round(),
        });
        Some(value)
    }
}

impl Search {
    fn new(round: u64, min: u64, max: u64) -> Self {
        Self {
            round,
            min,
            max,
            low: min,
            high: max,
        }
    }

    fn middle(&self) -> u64 {
        self.low + (self.high - self.low) / 2
    }

    /// The secret is more than `guess`.
    fn above(&mut self, guess: u64) {
        match guess.checked_add(1) {
            Some(low) => self.set(low.max(self.low), self.high),
            None => self.reset(),
        }
    }

    /// The secret is less than `guess`.
    fn below(&mut self, guess: u64) {
        match guess.checked_sub(1) {
            Some(high) => self.set(self.low, high.min(self.high)),
            None => self.reset(),
        }
    }

    /// Narrows to `low..=high`, or starts over when the hints contradict each other.
    fn set(&mut self, low: u64, high: u64) {
        if low <= high {
            (self.low, self.high) = (low, high);
        } else {
            self.reset();
        }
    }

    fn reset(&mut self) {
        (self.low, self.high) = (self.min, self.max);
    }
}

#[cfg(test)]
mod tests;
