//! Fault injection, for the crash tests only: allowed by `ServerConfig::allow_faults`, read
//! from the line protocol only, before any command.

use referee_protocol::notice::ErrorCode;
use referee_rules::Render;

use super::{NOT_IN_A_ROOM, Session};

impl<G: Render> Session<G> {
    /// The test-only fault commands: `/fault room` makes the room's referee panic,
    /// `/fault session` makes this connection's task panic. Returns whether `line` was one.
    pub(super) fn inject_fault(&self, line: &str) -> bool {
        match line.trim() {
            "/fault room" => {
                match &self.seat {
                    Some(seat) => seat.handle.crash(),
                    None => self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
                }
                true
            }
            "/fault session" => panic!("injected fault: player {} crashed on purpose", self.player),
            _ => false,
        }
    }
}
