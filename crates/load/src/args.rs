//! The command line of `referee load`, as a `clap::Args` struct the server's binary flattens
//! into its own subcommand.
//!
//! Durations take seconds (`10`, `2.5`) or a unit suffix (`10s`, `500ms`).

use std::time::Duration;

use clap::{Args, Parser, ValueEnum};
use serde::Serialize;

/// Where a Referee server listens for line-protocol players by default.
pub const DEFAULT_TCP_ADDR: &str = "127.0.0.1:7878";

/// Where a Referee server serves HTTP (and its WebSocket, `/ws`) by default.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";

/// Where the Colyseus bench (`benches/colyseus/server.mjs`) listens by default.
pub const DEFAULT_COLYSEUS_ADDR: &str = "127.0.0.1:2567";

/// How the bots talk to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// The line protocol over TCP, like netcat players.
    #[default]
    Tcp,
    /// The JSON protocol over WebSocket (`ws://ADDR/ws`), like browser players.
    Ws,
    /// Colyseus 0.18's protocol (HTTP matchmaking, then msgpack over WebSocket), against
    /// the guess-the-number room of `benches/colyseus`: the same game, another server.
    Colyseus,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "tcp",
            Transport::Ws => "ws",
            Transport::Colyseus => "colyseus",
        })
    }
}

/// The game the bots play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GameKind {
    /// Guess the number, by binary search (every bot guesses at once).
    #[default]
    Guess,
    /// Liar's Dice at `/play dice` tables (one bot at a time acts at each table).
    Dice,
}

impl std::fmt::Display for GameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GameKind::Guess => "guess",
            GameKind::Dice => "dice",
        })
    }
}

/// Options of `referee load`: how many bots, for how long, against what.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct LoadArgs {
    /// Number of bot players to connect.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: u32,

    /// How long the bots play: the measured window, which starts once every connection
    /// attempt has ended.
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    pub duration: Duration,

    /// The Referee server to load (`IP:PORT` or `localhost:PORT`): its TCP address, or with
    /// `--transport ws` its HTTP address (bots connect to `ws://ADDR/ws`). Loopback only
    /// unless `--allow-remote`. [default: 127.0.0.1:7878 for tcp, 127.0.0.1:8080 for ws]
    #[arg(long)]
    pub addr: Option<String>,

    /// Several Referee nodes of one cluster (`IP:PORT` line-protocol addresses, comma
    /// separated) instead of `--addr`: bot number i connects to node i mod N (TCP only).
    /// With `--remote-rooms` the bots are seated in rooms placed on another node.
    #[arg(long, value_delimiter = ',', conflicts_with = "addr", num_args = 1..)]
    pub nodes: Vec<String>,

    /// Place every room on another node than its players, so that every guess crosses the
    /// cluster's NATS: for room g, an opener connects to node g mod N and opens a private
    /// room (`/new`), its `--room-players` bots connect to node g+1 mod N and `/join` it by
    /// its code, then the opener hangs up. With one node (`--addr` or one `--nodes`) the same
    /// rooms are formed on that node: the baseline. Guess over TCP only; the server must
    /// seat `--room-players` + 1 (`--players-per-room`) and allow the joins' early misses
    /// while its peers have not heard of the room yet (`--failed-lookups-per-ip`).
    #[arg(long, conflicts_with_all = ["echo", "compare_echo"])]
    pub remote_rooms: bool,

    /// Players per room with `--remote-rooms` (the last room may have fewer).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub room_players: u32,

    /// The game the bots play: `guess` (guess the number) or `dice` (Liar's Dice: each bot
    /// sits at a table with `/play dice`, bids or calls liar on its turn; line protocol
    /// only). The echo ceiling is the same for both: one line answered per line sent.
    #[arg(long, value_enum, default_value_t = GameKind::Guess)]
    pub game: GameKind,

    /// Dice bots draw their choices from a random generator seeded with this plus the bot's
    /// number: the same seed makes the same choices from the same lines.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// How the bots talk: `tcp`, the line protocol, `ws`, the JSON protocol over
    /// WebSocket, or `colyseus`, Colyseus 0.18's protocol against `benches/colyseus` (its
    /// echo ceiling is the WebSocket one). The echo ceiling speaks the same.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    pub transport: Transport,

    /// WebSocket bots decline the room's live feed (`"feed": false` in `play`, or in the
    /// Colyseus join options): they are sent
    /// only what answers them and the rounds' ends, not every other bot's guess.
    #[arg(long)]
    pub no_feed: bool,

    /// Load an in-process echo server instead of Referee: the ceiling to compare with (a
    /// line echo, or with `--transport ws` a WebSocket one answering each JSON guess).
    #[arg(long, conflicts_with = "compare_echo")]
    pub echo: bool,

    /// The echo phase loads an echo server already running at this address (`referee echo`,
    /// in its own process, so that a profiler sees it alone) instead of an in-process one.
    #[arg(long)]
    pub echo_at: Option<String>,

    /// Run the echo phase first, then the server phase with the same clients and duration,
    /// and report both with their ratios.
    #[arg(long)]
    pub compare_echo: bool,

    /// Spread the connection batches evenly over this long, before the measured window
    /// (default: as fast as possible).
    #[arg(long, value_parser = parse_duration)]
    pub ramp_up: Option<Duration>,

    /// Connections attempted at once; the next batch starts when this one has finished.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,

    /// Give up on one connection attempt after this long.
    #[arg(long, default_value = "5", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Think time between an answer and the next guess (each bot picks a steady pace between
    /// half and one and a half times this). 0, the default, plays flat out: a closed loop
    /// that measures the most the target can answer. With think time the offered load is
    /// fixed (clients / think guesses per second) and the latency is that of real players.
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub think: Duration,

    /// After `--duration`, wait this long for answers to guesses still in flight (dice
    /// bots stay seated, reading, this long, so that no table-mate's last move is refused
    /// because the table emptied).
    #[arg(long, default_value = "2", value_parser = parse_duration)]
    pub drain: Duration,

    /// Sample this process (the server loaded, on this machine) at the start and the end of
    /// the server phase's window: its CPU time per answered guess (`utime + stime` from
    /// `/proc/PID/stat`) and its resident memory are reported as `server_usage`. Linux only.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// The same for the echo phase: the echo process at `--echo-at` (`referee echo`, run on
    /// this machine), reported as the echo's `server_usage`. Linux only.
    #[arg(long, requires = "echo_at")]
    pub echo_pid: Option<u32>,

    /// Allow a target outside 127.0.0.0/8 and ::1. Only load servers you run yourself.
    #[arg(long)]
    pub allow_remote: bool,

    /// Print only the one-line JSON summary (for scripts), not the table.
    #[arg(long)]
    pub json: bool,

    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
}

/// `LoadArgs` as a whole command line, for [`LoadArgs::try_parse_from`].
#[derive(Parser)]
struct Standalone {
    #[command(flatten)]
    args: LoadArgs,
}

impl LoadArgs {
    /// Parses a command line whose first item is the program name, e.g.
    /// `["load", "--echo", "--clients", "20"]`; unnamed options take their defaults.
    ///
    /// # Errors
    ///
    /// clap's error for an unknown option or a value that does not parse.
    pub fn try_parse_from<I, T>(argv: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Standalone::try_parse_from(argv).map(|standalone| standalone.args)
    }

    /// The address to load: `--addr` (the first of `--nodes`), or the server's default one
    /// for the transport.
    pub fn target(&self) -> &str {
        if let Some(first) = self.nodes.first() {
            return first;
        }
        match (&self.addr, self.transport) {
            (Some(addr), _) => addr,
            (None, Transport::Tcp) => DEFAULT_TCP_ADDR,
            (None, Transport::Ws) => DEFAULT_HTTP_ADDR,
            (None, Transport::Colyseus) => DEFAULT_COLYSEUS_ADDR,
        }
    }
}

/// Parses `10`, `2.5`, `10s` or `500ms` into a duration.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(millis) => (millis, 1e-3),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: give seconds, like 10, 2.5 or 500ms"))?;
    Duration::try_from_secs_f64(value * scale).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_command_line() {
        let args = LoadArgs::try_parse_from(["load"]).unwrap();
        assert_eq!(args.clients, 100);
        assert_eq!(args.duration, Duration::from_secs(10));
        assert_eq!(args.target(), "127.0.0.1:7878");
        assert_eq!(args.transport, Transport::Tcp);
        assert_eq!(args.batch, 500);
        assert_eq!(args.connect_timeout, Duration::from_secs(5));
        assert_eq!(args.drain, Duration::from_secs(2));
        assert_eq!(args.ramp_up, None);
        assert_eq!((args.game, args.seed), (GameKind::Guess, 1));
        assert!(!args.echo && !args.compare_echo && !args.allow_remote);
    }

    #[test]
    fn durations_take_seconds_or_a_unit() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    }

    #[test]
    fn bad_durations_are_refused() {
        for text in ["", "x", "-1", "NaN", "1h"] {
            assert!(parse_duration(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn zero_clients_is_refused() {
        assert!(LoadArgs::try_parse_from(["load", "--clients", "0"]).is_err());
    }

    #[test]
    fn the_ws_transport_defaults_to_the_http_address() {
        let args = LoadArgs::try_parse_from(["load", "--transport", "ws"]).unwrap();
        assert_eq!(
            (args.transport, args.target()),
            (Transport::Ws, "127.0.0.1:8080")
        );
        let args = LoadArgs::try_parse_from(["load", "--transport", "ws", "--addr", "[::1]:9"]);
        assert_eq!(args.unwrap().target(), "[::1]:9");
        assert!(LoadArgs::try_parse_from(["load", "--transport", "udp"]).is_err());
    }

    #[test]
    fn the_game_is_guess_or_dice() {
        let args = LoadArgs::try_parse_from(["load", "--game", "dice", "--seed", "9"]).unwrap();
        assert_eq!((args.game, args.seed), (GameKind::Dice, 9));
        assert!(LoadArgs::try_parse_from(["load", "--game", "chess"]).is_err());
    }

    #[test]
    fn nodes_are_a_comma_separated_list_that_replaces_addr() {
        let args = LoadArgs::try_parse_from(["load", "--nodes", "127.0.0.1:1,127.0.0.1:2"]);
        let args = args.unwrap();
        assert_eq!(args.nodes, ["127.0.0.1:1", "127.0.0.1:2"]);
        assert_eq!(args.target(), "127.0.0.1:1");
        assert!(!args.remote_rooms);
        assert_eq!(args.room_players, 3);
        let both = ["load", "--nodes", "127.0.0.1:1", "--addr", "127.0.0.1:2"];
        assert!(LoadArgs::try_parse_from(both).is_err());
    }

    #[test]
    fn remote_rooms_exclude_the_echo_phases() {
        for echo in ["--echo", "--compare-echo"] {
            let argv = ["load", "--remote-rooms", echo];
            assert!(LoadArgs::try_parse_from(argv).is_err(), "{echo}");
        }
        let argv = ["load", "--remote-rooms", "--room-players", "2"];
        let args = LoadArgs::try_parse_from(argv).unwrap();
        assert!(args.remote_rooms && args.room_players == 2);
    }

    #[test]
    fn echo_and_compare_echo_exclude_each_other() {
        assert!(LoadArgs::try_parse_from(["load", "--echo", "--compare-echo"]).is_err());
    }
}
