//! What the player asks about people: taking a name (and hearing its record), the
//! leaderboard, the room's scores and who is in it.
//!
//! The records are read from the board, never from the recorder (see `board.rs`); scores
//! and who is here come from the room the player sits or watches in.

use referee_protocol::notice::{ErrorCode, LeaderLine, Notice};
use referee_protocol::text;
use referee_rules::Render;
use referee_store::LeaderEntry;

use super::{NOT_IN_A_ROOM, Session};
use crate::board::{ReadLeaderboard, ReadWinsOf};
use crate::metrics::AskTarget;
use crate::room::{NameTaken, Rename};

impl<G: Render> Session<G> {
    pub(super) async fn rename(&mut self, wanted: &str) {
        let name = match text::name(wanted) {
            Ok(name) => name,
            Err(err) => return self.error(ErrorCode::BadName, err),
        };
        match &self.seat {
            None => self.say(&Notice::NameSet { name: name.clone() }),
            Some(seat) => {
                let rename = Rename {
                    player: self.player,
                    name: name.clone(),
                    re: self.re,
                };
                match self
                    .timed(AskTarget::Room, seat.handle.rename(rename))
                    .await
                {
                    Ok(Ok(())) => {}
                    // The room told the player why; the name stays as it was.
                    Ok(Err(NameTaken)) => return,
                    Err(err) => return self.room_failed(err),
                }
            }
        }
        self.name = name.clone();
        self.named = true;
        self.tell_record(name).await;
    }

    /// A player who takes a name hears what the records hold for it.
    async fn tell_record(&self, name: String) {
        let Some(board) = &self.board else {
            return;
        };
        let read = ReadWinsOf::new(name.clone(), board.timeout());
        match self.timed(AskTarget::Board, board.ask(read)).await {
            Ok(Ok(wins)) => self.say(&Notice::Record { name, wins }),
            Ok(Err(err)) => self.error(ErrorCode::Storage, err),
            Err(err) => tracing::warn!(%err, "the board did not answer"),
        }
    }

    /// `/top [GAME]`: the board of `wanted`; without it, of the player's current game when
    /// the server hosts several, of all games when it hosts one.
    pub(super) async fn leaderboard(&self, wanted: Option<&str>) {
        let Some(board) = &self.board else {
            return self.error(ErrorCode::NoLeaderboard, "this server keeps no leaderboard");
        };
        let game = match wanted {
            Some(_) => match self.pick_game(wanted) {
                Some(game) => Some(game),
                // `pick_game` told the player which games there are.
                None => return,
            },
            None if G::games().len() > 1 => Some(self.game),
            None => None,
        };
        let ask = board.ask(ReadLeaderboard::new(game, 10, board.timeout()));
        match self.timed(AskTarget::Board, ask).await {
            Ok(Ok(board)) => self.say(&Notice::Leaderboard {
                game: game.map(str::to_owned),
                all_time: leader_lines(board.all_time),
                recent: leader_lines(board.recent),
            }),
            Ok(Err(err)) => self.error(ErrorCode::Storage, err),
            Err(_) => self.error(ErrorCode::Busy, "the leaderboard is busy; try again"),
        }
    }

    pub(super) async fn scores(&mut self) {
        let handle = match (&self.seat, &self.watching) {
            (Some(seat), _) => seat.handle.clone(),
            (None, Some(watched)) => watched.handle.clone(),
            (None, None) => return self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
        };
        match self
            .timed(AskTarget::Room, handle.scores(self.player))
            .await
        {
            Ok(Some((room, scores))) => self.say(&Notice::Scores { room, scores }),
            Ok(None) => self.no_longer_in_room(),
            Err(err) => self.room_failed(err),
        }
    }

    /// Who plays in the room (seated or watching) and who watches it.
    pub(super) async fn who(&mut self) {
        let handle = match (&self.seat, &self.watching) {
            (Some(seat), _) => seat.handle.clone(),
            (None, Some(watched)) => watched.handle.clone(),
            (None, None) => return self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
        };
        match self.timed(AskTarget::Room, handle.who(self.player)).await {
            Ok(Some(who)) => self.say(&who),
            Ok(None) => self.no_longer_in_room(),
            Err(err) => self.room_failed(err),
        }
    }
}

fn leader_lines(entries: Vec<LeaderEntry>) -> Vec<LeaderLine> {
    entries
        .into_iter()
        .map(|entry| LeaderLine {
            name: entry.name,
            wins: entry.wins,
        })
        .collect()
}
