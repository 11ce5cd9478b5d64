//! What one player saw, in the order they saw it: the checker's only input.

/// One thing a player saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The player sent `value @round`.
    Sent {
        /// The number guessed.
        value: i64,
        /// The round it was for.
        round: u64,
    },
    /// A line from the server.
    Heard(String),
}

/// Everything one player saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Log {
    /// The player's display name (as the server shows it to others).
    pub name: String,
    /// The room they played in.
    pub room: u64,
    /// What they sent and heard, in the order they saw it.
    pub seen: Vec<Seen>,
}

impl Log {
    /// An empty log.
    pub fn new(name: impl Into<String>, room: u64) -> Self {
        Log {
            name: name.into(),
            room,
            seen: Vec::new(),
        }
    }

    /// Notes a guess sent.
    pub fn sent(&mut self, value: i64, round: u64) {
        self.seen.push(Seen::Sent { value, round });
    }

    /// Notes a line heard.
    pub fn heard(&mut self, line: impl Into<String>) {
        self.seen.push(Seen::Heard(line.into()));
    }

    /// Notes a JSON-protocol message heard (a WebSocket player): its `text`, what the line
    /// protocol shows this player for it, line by line. Messages without a `text` (or that
    /// are not JSON) add nothing.
    pub fn heard_json(&mut self, message: &str) {
        #[derive(serde::Deserialize)]
        struct Text {
            text: Option<String>,
        }
        if let Ok(Text { text: Some(text) }) = serde_json::from_str(message) {
            for line in text.lines() {
                self.heard(line);
            }
        }
    }
}
