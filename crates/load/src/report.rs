//! What a load run measured: a human table ([`Display`](fmt::Display)) and a one-line JSON
//! summary ([`Report::to_json`]).
//!
//! Throughput alone says little on a shared, noisy machine; the ratio to the echo ceiling
//! measured in the same run ([`Comparison`]) is the number to compare across machines.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::latency::Latency;
use crate::rooms::RemoteRooms;
use crate::stats::Stats;
use crate::usage::ServerUsage;
use crate::{GameKind, Transport};

/// What the bots played against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A Referee server, through the real line protocol.
    Server,
    /// The in-process line-echo server: the ceiling.
    Echo,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Server => "server",
            Mode::Echo => "echo",
        })
    }
}

/// The outcome of one phase: N bots against one target for one duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// What was loaded.
    pub mode: Mode,
    /// How the bots talked to it.
    pub transport: Transport,
    /// The target's address.
    pub addr: String,
    /// The game the run's bots play (the echo phase of a dice run says `dice` too: it is
    /// the ceiling for that run).
    pub game: GameKind,
    /// Bots asked for.
    pub clients: u64,
    /// Bots that connected.
    pub connected: u64,
    /// Bots that did not connect within the connect timeout or the run.
    pub failed_connects: u64,
    /// Why the first failed connection failed, if one did.
    pub first_connect_error: Option<String>,
    /// How long connecting the bots took, before the measured window.
    pub connect_secs: f64,
    /// The measured window in seconds (the `--duration`): all connected bots playing.
    pub duration_secs: f64,
    /// Guesses answered (answers to the bots' own guesses); in a dice run, moves answered
    /// (bids and calls, the same as `dice.actions`).
    pub guesses: u64,
    /// `guesses / duration_secs`: what the throughput ratio compares.
    pub guesses_per_sec: f64,
    /// `Correct!` answers: rounds won by the bots.
    pub rounds_won: u64,
    /// `Sorry, ...` answers: guesses for a round another bot had already won.
    pub late_guesses: u64,
    /// All errors: `error_lines + io_errors + disconnects` (and dice rejections).
    pub errors: u64,
    /// `error:` lines received.
    pub error_lines: u64,
    /// Bots whose connection failed with an I/O error (including an over-long line).
    pub io_errors: u64,
    /// Bots whose connection the server closed before the end of the run.
    pub disconnects: u64,
    /// Guess latency percentiles.
    #[serde(flatten)]
    pub latency: Latency,
    /// Latency of the winning guesses alone (to their `Correct!`): the cost of announcing a
    /// win, durable commit included.
    pub win_latency: Latency,
    /// What dice bots counted, in the server phase of a dice run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dice: Option<DiceFigures>,
    /// What the server process spent over the window (`--server-pid`, server phase only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_usage: Option<ServerUsage>,
    /// What this load generator spent over the same window, per guess answered: the bots'
    /// side of each guess (and, for an in-process echo, the echo's too). The two processes'
    /// sums, against the cores' time, say what a guess costs the whole machine and how much
    /// of it sat idle (`scripts/guess-budget.sh`). Linux only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bots_usage: Option<ServerUsage>,
    /// With `--remote-rooms`: the rooms formed on another node than their players.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_rooms: Option<RemoteRooms>,
}

/// What a dice run measured at the tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiceFigures {
    /// Bids and calls answered (the action latency is the run's `latency`).
    pub actions: u64,
    /// `actions / duration_secs`.
    pub actions_per_sec: f64,
    /// Hands ended by a call.
    pub hands: u64,
    /// `hands / duration_secs`.
    pub hands_per_sec: f64,
    /// Matches won.
    pub matches: u64,
    /// Refusals of a bot's move: 0 for a correct bot.
    pub rejections: u64,
    /// Moves the referee made for a bot whose clock ran out (at the end of the window, the
    /// bots stop moving: their clocks may run out then).
    pub timeouts: u64,
}

/// The echo ceiling and the server, same clients and duration, measured back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The echo phase (run first).
    pub echo: RunReport,
    /// The server phase.
    pub server: RunReport,
    /// Server guesses/s ÷ echo guesses/s; `None` when the echo phase answered nothing.
    pub throughput_ratio: Option<f64>,
    /// Server p99 ÷ echo p99; `None` when the echo p99 is zero.
    pub p99_ratio: Option<f64>,
}

/// What [`run`](crate::run) returns: one phase, or the echo ceiling and the server compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// `--echo`, or the server alone (boxed: a report is large).
    Run(Box<RunReport>),
    /// `--compare-echo` (boxed: it holds two phases).
    Compare(Box<Comparison>),
}

/// The JSON shape of a [`Comparison`]: `mode` first, like a single run.
#[derive(Serialize)]
struct ComparisonJson<'a> {
    mode: &'static str,
    transport: Transport,
    clients: u64,
    duration_secs: f64,
    throughput_ratio: Option<f64>,
    p99_ratio: Option<f64>,
    echo: &'a RunReport,
    server: &'a RunReport,
}

impl RunReport {
    /// Reads the final counters of a phase whose bots have all ended; `times` are the
    /// connect phase and the measured window.
    pub(crate) fn from_stats(
        (mode, transport, game): (Mode, Transport, GameKind),
        addr: String,
        clients: u64,
        (connect_time, duration): (Duration, Duration),
        stats: &Stats,
    ) -> Self {
        let connected = Stats::get(&stats.connected);
        let guesses = Stats::get(&stats.guesses);
        let rejections = Stats::get(&stats.rejections);
        let dice = (game == GameKind::Dice && mode == Mode::Server).then(|| DiceFigures {
            actions: guesses,
            actions_per_sec: round_to(per_second(guesses, duration), 1),
            hands: Stats::get(&stats.hands),
            hands_per_sec: round_to(per_second(Stats::get(&stats.hands), duration), 1),
            matches: Stats::get(&stats.matches),
            rejections,
            timeouts: Stats::get(&stats.timeouts),
        });
        let (error_lines, io_errors, disconnects) = (
            Stats::get(&stats.error_lines),
            Stats::get(&stats.io_errors),
            Stats::get(&stats.disconnects),
        );
        Self {
            mode,
            transport,
            addr,
            game,
            clients,
            connected,
            failed_connects: clients.saturating_sub(connected),
            first_connect_error: stats.first_connect_error(),
            connect_secs: round_to(connect_time.as_secs_f64(), 3),
            duration_secs: round_to(duration.as_secs_f64(), 3),
            guesses,
            guesses_per_sec: round_to(per_second(guesses, duration), 1),
            rounds_won: Stats::get(&stats.rounds_won),
            late_guesses: Stats::get(&stats.late_guesses),
            errors: error_lines + io_errors + disconnects + rejections,
            error_lines,
            io_errors,
            disconnects,
            latency: stats.latency(),
            win_latency: stats.win_latency(),
            dice,
            server_usage: None,
            bots_usage: None,
            remote_rooms: None,
        }
    }
}

impl Comparison {
    /// Puts the two phases side by side and computes the ratios.
    pub fn new(echo: RunReport, server: RunReport) -> Self {
        let ratio = |server: f64, echo: f64| (echo > 0.0).then(|| round_to(server / echo, 4));
        Self {
            throughput_ratio: ratio(server.guesses_per_sec, echo.guesses_per_sec),
            p99_ratio: ratio(server.latency.p99_us as f64, echo.latency.p99_us as f64),
            echo,
            server,
        }
    }
}

impl Report {
    /// The one-line JSON summary: `{"mode":"echo","transport":"tcp","clients":20,...}` for
    /// one phase, or `{"mode":"compare","transport":"ws",...,"throughput_ratio":0.41,
    /// "p99_ratio":2.3,"echo":{...},"server":{...}}`.
    pub fn to_json(&self) -> String {
        let json = match self {
            Report::Run(run) => serde_json::to_string(run),
            Report::Compare(comparison) => serde_json::to_string(&ComparisonJson {
                mode: "compare",
                transport: comparison.server.transport,
                clients: comparison.server.clients,
                duration_secs: comparison.server.duration_secs,
                throughput_ratio: comparison.throughput_ratio,
                p99_ratio: comparison.p99_ratio,
                echo: &comparison.echo,
                server: &comparison.server,
            }),
        };
        json.unwrap_or_else(|error| format!(r#"{{"error":{:?}}}"#, error.to_string()))
    }

    /// The phase that loaded the target asked for: the server's in a comparison.
    pub fn main(&self) -> &RunReport {
        match self {
            Report::Run(run) => run.as_ref(),
            Report::Compare(comparison) => &comparison.server,
        }
    }
}

fn per_second(count: u64, duration: Duration) -> f64 {
    let secs = duration.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

fn millis(micros: u64) -> String {
    format!("{:.3} ms", micros as f64 / 1000.0)
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.3}x"))
}

/// The rows of the table, label then value, shared by one phase and a comparison (both
/// phases of a run play the same game, so their rows line up).
fn rows(run: &RunReport) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("target", format!("{} ({})", run.addr, run.mode)),
        ("transport", transport(run.transport)),
        (
            "players",
            format!(
                "{} connected, {} failed",
                run.connected, run.failed_connects
            ),
        ),
        ("connecting", format!("{:.2} s", run.connect_secs)),
        ("duration", format!("{:.2} s", run.duration_secs)),
    ];
    match run.game {
        GameKind::Guess => rows.extend([
            ("guesses", run.guesses.to_string()),
            ("guesses/s", format!("{:.1}", run.guesses_per_sec)),
            ("rounds won", run.rounds_won.to_string()),
            ("late guesses", run.late_guesses.to_string()),
        ]),
        GameKind::Dice => rows.extend(dice_rows(run)),
    }
    rows.extend([
        ("errors", errors(run)),
        ("latency p50", millis(run.latency.p50_us)),
        ("latency p90", millis(run.latency.p90_us)),
        ("latency p99", millis(run.latency.p99_us)),
        ("latency max", millis(run.latency.max_us)),
    ]);
    if run.game == GameKind::Guess {
        let win = &run.win_latency;
        let win = format!("p50 {}, p99 {}", millis(win.p50_us), millis(win.p99_us));
        rows.push(("win latency", win));
    }
    rows
}

/// A dice run's own rows; the echo phase answers lines but plays no hand (`-`).
fn dice_rows(run: &RunReport) -> [(&'static str, String); 7] {
    let figure =
        |get: fn(&DiceFigures) -> String| run.dice.as_ref().map_or_else(|| "-".to_owned(), get);
    [
        ("actions", run.guesses.to_string()),
        ("actions/s", format!("{:.1}", run.guesses_per_sec)),
        ("hands", figure(|dice| dice.hands.to_string())),
        (
            "hands/s",
            figure(|dice| format!("{:.1}", dice.hands_per_sec)),
        ),
        ("matches won", figure(|dice| dice.matches.to_string())),
        ("rejections", figure(|dice| dice.rejections.to_string())),
        ("time-outs", figure(|dice| dice.timeouts.to_string())),
    ]
}

fn transport(transport: Transport) -> String {
    match transport {
        Transport::Tcp => "tcp (line protocol)".to_owned(),
        Transport::Ws => "ws (JSON over WebSocket)".to_owned(),
        Transport::Colyseus => "colyseus (msgpack over WebSocket, Colyseus 0.18)".to_owned(),
    }
}

fn errors(run: &RunReport) -> String {
    format!(
        "{} ({} error lines, {} I/O, {} disconnects)",
        run.errors, run.error_lines, run.io_errors, run.disconnects
    )
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, value) in rows(self) {
            writeln!(f, "{label:<14} {value}")?;
        }
        if let Some(usage) = &self.server_usage {
            writeln!(
                f,
                "{:<14} {:.2} µs CPU per guess ({:.2} user + {:.2} kernel; {:.2} s over the \
                 window, {:.3} cores), RSS {} KiB",
                "server usage",
                usage.cpu_us_per_guess,
                usage.user_us_per_guess,
                usage.system_us_per_guess,
                usage.cpu_secs,
                usage.cores,
                usage.rss_kib
            )?;
        }
        if let Some(rooms) = &self.remote_rooms {
            writeln!(
                f,
                "{:<14} {} rooms of {} players over {} node(s), each on another node than its players",
                "remote rooms", rooms.rooms, rooms.room_players, rooms.nodes
            )?;
        }
        match &self.first_connect_error {
            Some(error) => writeln!(f, "{:<14} {error}", "connect error"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<14} {:<40} server", "", "echo (ceiling)")?;
        for ((label, echo), (_, server)) in rows(&self.echo).into_iter().zip(rows(&self.server)) {
            writeln!(f, "{label:<14} {echo:<40} {server}")?;
        }
        if let Some(error) = &self.server.first_connect_error {
            writeln!(f, "{:<14} {:<40} {error}", "connect error", "")?;
        }
        let cpu = |usage: &ServerUsage| {
            format!(
                "{:.2} µs CPU per guess ({:.2} user + {:.2} kernel)",
                usage.cpu_us_per_guess, usage.user_us_per_guess, usage.system_us_per_guess
            )
        };
        if let Some(usage) = &self.echo.server_usage {
            writeln!(f, "{:<14} {:<40} {}", "echo usage", "", cpu(usage))?;
        }
        if let Some(usage) = &self.server.server_usage {
            writeln!(f, "{:<14} {:<40} {}", "server usage", "", cpu(usage))?;
        }
        if let (Some(echo), Some(server)) = (&self.echo.bots_usage, &self.server.bots_usage) {
            writeln!(f, "{:<14} {:<40} {}", "bots usage", cpu(echo), cpu(server))?;
        }
        let throughput = ratio(self.throughput_ratio);
        let unit = match self.server.game {
            GameKind::Guess => "guesses/s",
            GameKind::Dice => "lines/s (server: actions/s)",
        };
        writeln!(
            f,
            "{:<14} {throughput} the echo ceiling's {unit}",
            "throughput"
        )?;
        writeln!(
            f,
            "{:<14} {} the echo ceiling's",
            "p99 latency",
            ratio(self.p99_ratio)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Run(run) => run.fmt(f),
            Report::Compare(comparison) => comparison.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: Mode, guesses_per_sec: f64, p99_us: u64) -> RunReport {
        RunReport {
            mode,
            transport: Transport::Tcp,
            addr: "127.0.0.1:7878".to_owned(),
            game: GameKind::Guess,
            clients: 3,
            connected: 3,
            failed_connects: 0,
            first_connect_error: None,
            connect_secs: 0.1,
            duration_secs: 1.0,
            guesses: guesses_per_sec as u64,
            guesses_per_sec,
            rounds_won: 0,
            late_guesses: 0,
            errors: 0,
            error_lines: 0,
            io_errors: 0,
            disconnects: 0,
            latency: Latency {
                p50_us: p99_us / 2,
                p90_us: p99_us,
                p99_us,
                max_us: p99_us,
            },
            win_latency: Latency::default(),
            dice: None,
            server_usage: None,
            bots_usage: None,
            remote_rooms: None,
        }
    }

    #[test]
    fn a_single_run_serializes_flat_with_its_mode_first() {
        let json = Report::Run(Box::new(run(Mode::Echo, 10.0, 100))).to_json();
        assert!(
            json.starts_with(r#"{"mode":"echo","transport":"tcp","addr":"#),
            "{json}"
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["p99_us"], 100);
        assert!(!json.contains('\n'));
    }

    #[test]
    fn a_comparison_holds_both_phases_and_the_ratios() {
        let comparison = Comparison::new(run(Mode::Echo, 100.0, 50), run(Mode::Server, 25.0, 200));
        assert_eq!(comparison.throughput_ratio, Some(0.25));
        assert_eq!(comparison.p99_ratio, Some(4.0));
        let value: serde_json::Value =
            serde_json::from_str(&Report::Compare(Box::new(comparison)).to_json()).unwrap();
        assert_eq!(value["mode"], "compare");
        assert_eq!(value["transport"], "tcp");
        assert_eq!(value["server"]["mode"], "server");
        assert_eq!(value["echo"]["guesses_per_sec"], 100.0);
    }

    #[test]
    fn the_comparison_table_has_both_columns_and_the_ratios() {
        let table = Comparison::new(run(Mode::Echo, 100.0, 50), run(Mode::Server, 25.0, 200));
        let table = table.to_string();
        assert!(table.contains("guesses/s      100.0"), "{table}");
        assert!(
            table.contains("throughput     0.250x the echo ceiling's"),
            "{table}"
        );
        assert!(table.contains("p99 latency    4.000x"), "{table}");
    }

    #[test]
    fn the_transport_is_in_the_json_and_the_table() {
        let mut echo = run(Mode::Echo, 100.0, 50);
        let mut server = run(Mode::Server, 25.0, 200);
        (echo.transport, server.transport) = (Transport::Ws, Transport::Ws);
        let report = Report::Compare(Box::new(Comparison::new(echo, server)));
        let value: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(value["transport"], "ws");
        assert_eq!(value["echo"]["transport"], "ws");
        assert_eq!(value["server"]["transport"], "ws");
        let table = report.to_string();
        assert!(
            table.contains("transport      ws (JSON over WebSocket)"),
            "{table}"
        );
    }

    #[test]
    fn ratios_against_an_idle_echo_phase_are_absent() {
        let comparison = Comparison::new(run(Mode::Echo, 0.0, 0), run(Mode::Server, 25.0, 200));
        assert_eq!(
            (comparison.throughput_ratio, comparison.p99_ratio),
            (None, None)
        );
        assert!(
            Report::Compare(Box::new(comparison))
                .to_json()
                .contains(r#""p99_ratio":null"#)
        );
    }

    #[test]
    fn the_table_shows_milliseconds_and_the_connect_error() {
        let mut report = run(Mode::Server, 10.0, 1500);
        report.first_connect_error = Some("Connection refused".to_owned());
        let table = report.to_string();
        assert!(table.contains("latency p99    1.500 ms"), "{table}");
        assert!(
            table.contains("connect error  Connection refused"),
            "{table}"
        );
    }
}
