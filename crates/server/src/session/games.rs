//! Which game a player plays: `/play GAME` and `/new GAME` pick one of the games the server
//! hosts (`G::games()`), `/games` lists them, `/help GAME` explains one.
//!
//! A player has a current game (the last seat's; at first the server's default, so a new
//! netcat player is seated in guess-the-number exactly as before); `/play` with no argument
//! keeps it. The one-line descriptions and rules are presentation, so they live here and
//! not in the rules crate.

use referee_protocol::notice::{ErrorCode, GameListing, Notice};
use referee_rules::{DiceConfig, Game, Render};

use super::Session;
use crate::lobby::CountGames;
use crate::metrics::AskTarget;

/// The game a new player is seated in: the first the server hosts.
pub(super) fn default_game<G: Game>() -> &'static str {
    G::games().first().copied().unwrap_or(G::NAME)
}

/// The hosted game `wanted` names (trimmed, any case), or why not — which games there are.
/// Only a hosted game's own name comes out, so a client's string never goes further.
pub(crate) fn hosted<G: Game>(wanted: &str) -> Result<&'static str, String> {
    let wanted = wanted.trim().to_ascii_lowercase();
    let games = G::games();
    games
        .iter()
        .copied()
        .find(|&game| game == wanted)
        .ok_or_else(|| {
            let name = referee_protocol::text::excerpt(&wanted, 24);
            format!(
                "no game {name:?} here; this server hosts: {}",
                games.join(", ")
            )
        })
}

/// One line about a game, for `/games`.
fn about(game: &str) -> &'static str {
    match game {
        "guess" => "guess-the-number: everyone races to find the secret number",
        "dice" => "Liar's Dice: bid on the dice under everyone's cups, or call liar",
        _ => "a game",
    }
}

/// The greeting's line on how to start, for a player whose game is `game` (`None`: the
/// protocol's guess-the-number line, unchanged for the founding netcat experience).
pub(super) fn first_steps(game: &str) -> Option<&'static str> {
    match game {
        "dice" => Some(
            "You play Liar's Dice: on your turn type `bid QUANTITY FACE` (e.g. `bid 3 5`) or \
             `liar`; /help dice has the rules, /help the commands.",
        ),
        _ => None,
    }
}

/// How Liar's Dice is played (`/help dice`).
fn dice_rules() -> String {
    format!(
        "Liar's Dice ({min} to {max} players a table; /play dice):\n\
         - Everyone starts with {each} dice, rolled by the referee; you see only your own.\n\
         - In turn, raise the bid: `bid N FACE` claims at least N dice showing FACE among all \
         dice on the table. A raise has a higher N, or the same N and a higher FACE.\n\
         - Or call the last bid a lie: `liar`. All dice are shown: if the bid holds, the \
         caller loses a die; otherwise the bidder does. The loser starts the next hand and \
         everyone rolls again.\n\
         - Ones are not wild: only dice showing FACE count.\n\
         - Out of dice, you are out (you watch); the last player with dice wins the match.\n\
         - Each turn has a clock: when it runs out, the referee calls liar for you (or bids \
         the lowest bid, 1 one, if nobody has bid yet).\n\
         - A match starts when the table is full, or after a countdown once two players sit \
         (one, where the host lets bots fill the empty seats: bots play until their match \
         ends, and leave with the last player).",
        min = DiceConfig::MIN_PLAYERS,
        max = DiceConfig::MAX_PLAYERS,
        each = DiceConfig::DICE_EACH,
    )
}

/// How guess-the-number is played (`/help guess`).
const GUESS_RULES: &str = "Guess-the-number (/play guess): each round the referee picks a \
    secret number; type a number to guess it, and you are told higher or lower. The first \
    to find it wins the round.";

impl<G: Render> Session<G> {
    /// The hosted game `wanted` names (`None`: the current game); if there is none, the
    /// player is told which games there are.
    pub(super) fn pick_game(&self, wanted: Option<&str>) -> Option<&'static str> {
        let Some(wanted) = wanted else {
            return Some(self.game);
        };
        match hosted::<G>(wanted) {
            Ok(game) => Some(game),
            Err(why) => {
                self.error(ErrorCode::UnknownGame, format_args!("{why} (type /games)"));
                None
            }
        }
    }

    /// `/help GAME`: how a hosted game is played.
    pub(super) fn explain(&self, wanted: &str) {
        let Some(game) = self.pick_game(Some(wanted)) else {
            return;
        };
        let rules = match game {
            "dice" => dice_rules(),
            "guess" => GUESS_RULES.to_owned(),
            other => format!("{other}: type /play {other} and follow the room's lines."),
        };
        self.say(&Notice::Rules {
            game: game.to_owned(),
            rules,
        });
    }

    /// `/games`: every hosted game, with its rooms and players now.
    pub(super) async fn list_games(&mut self) {
        match self
            .timed(AskTarget::Lobby, self.lobby.ask(CountGames))
            .await
        {
            Ok(counts) => {
                let games = counts
                    .into_iter()
                    .map(|(name, rooms, players)| GameListing {
                        name: name.to_owned(),
                        about: about(name).to_owned(),
                        rooms,
                        players,
                    })
                    .collect();
                self.say(&Notice::Games { games });
            }
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }
}
