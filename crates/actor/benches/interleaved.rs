//! Contended asks on a multi-worker runtime, measured by interleaving.
//!
//! The criterion group `ask_contended` runs on one worker: on two workers of a two-core
//! machine, work stealing moves each criterion measurement by up to 2.5x, and criterion
//! measures one row for seconds before the next, so no ratio between rows survives. Here the
//! rows take turns instead — one batch of asks each, in an order that rotates every round —
//! so that whatever the machine does at a given moment falls on all of them alike, and the
//! ratio to the floor is taken round by round.
//!
//! Run: `cargo bench -p referee-actor --bench interleaved` (2 workers, 16 and 256 clients,
//! 30 rounds); `-- --workers 1 --clients 16 --rounds 60` to change them. Results:
//! docs/PERFORMANCE.md, §1.

mod common;

use std::time::Duration;

use common::{BoxedFloor, Counter, Floor, Get, contended, multi_thread, referee_counter};
use referee_actor::{ActorHandle, Timeout};
use tokio::runtime::Runtime;

/// Asks in one batch, split among the clients.
const ASKS: u64 = 16_384;
/// Rounds run first and not counted (caches, allocator, runtime threads warming up).
const WARM_UP: usize = 3;
/// The most rounds one run may ask for: every load loop here is bounded.
const MAX_ROUNDS: usize = 500;

struct Settings {
    workers: usize,
    clients: Vec<u64>,
    rounds: usize,
}

fn main() {
    let settings = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(settings)) => settings,
        Ok(Parsed::Skip(why)) => {
            // `cargo bench -p referee-actor -- <filter or criterion flag>` hands its
            // arguments to every bench of the package: those meant for the criterion bench
            // are not an error here.
            eprintln!("interleaved: not run ({why})");
            return;
        }
        Err(message) => {
            eprintln!("interleaved: {message}");
            eprintln!(
                "usage: cargo bench --bench interleaved -- [--workers N] [--clients A,B] [--rounds N]"
            );
            std::process::exit(2);
        }
    };
    let rt = multi_thread(settings.workers);
    for &clients in &settings.clients {
        report(&settings, clients, &measure(&rt, clients, settings.rounds));
    }
}

/// The rows, in the order they are printed; the first is the baseline.
const ROWS: [&str; 4] = ["floor", "floor_boxed", "referee", "referee_no_timeout"];

/// Runs `rounds` rounds (plus the warm-up) and returns, per row, each counted round's time.
fn measure(rt: &Runtime, clients: u64, rounds: usize) -> Vec<Vec<Duration>> {
    let per_client = ASKS / clients;
    let floor = rt.block_on(async { Floor::spawn() });
    let boxed = rt.block_on(async { BoxedFloor::spawn() });
    let referee = rt.block_on(async { referee_counter(Timeout::default()) });
    let untimed = rt.block_on(async { referee_counter(Timeout::Never) });
    let run = |row: usize| match row {
        0 => contended(rt, &floor, clients, per_client, |floor| async move {
            floor.ask().await;
            floor
        }),
        1 => contended(rt, &boxed, clients, per_client, |boxed| async move {
            boxed.ask().await;
            boxed
        }),
        2 => contended(rt, &referee, clients, per_client, ask_referee),
        _ => contended(rt, &untimed, clients, per_client, ask_referee),
    };
    let mut times = vec![Vec::with_capacity(rounds); ROWS.len()];
    for round in 0..WARM_UP + rounds {
        for turn in 0..ROWS.len() {
            let row = (round + turn) % ROWS.len();
            let took = run(row);
            if round >= WARM_UP {
                times[row].push(took);
            }
        }
    }
    times
}

async fn ask_referee(referee: ActorHandle<Counter>) -> ActorHandle<Counter> {
    let _ = referee.ask(Get).await;
    referee
}

/// Prints each row's throughput against the floor's in the same round: first quartile,
/// median, third quartile.
fn report(settings: &Settings, clients: u64, times: &[Vec<Duration>]) {
    println!(
        "{} worker(s), {clients} clients x {} asks, {} rounds (after {WARM_UP} warm-up)",
        settings.workers,
        ASKS / clients,
        settings.rounds
    );
    let floor_ms = times[0].iter().map(|t| t.as_secs_f64() * 1e3).collect();
    println!("  floor: median {:.3} ms per batch", quartiles(floor_ms)[1]);
    for (row, name) in ROWS.iter().enumerate().skip(1) {
        let ratios = times[0]
            .iter()
            .zip(&times[row])
            .map(|(floor, this)| floor.as_secs_f64() / this.as_secs_f64())
            .collect();
        let [q1, median, q3] = quartiles(ratios);
        println!(
            "  {name:<20} throughput vs floor: {q1:.3} / {median:.3} / {q3:.3} (q1 / median / q3)"
        );
    }
}

/// First quartile, median and third quartile of `values` (at least one).
fn quartiles(mut values: Vec<f64>) -> [f64; 3] {
    values.sort_by(f64::total_cmp);
    let last = values.len() - 1;
    [1, 2, 3].map(|q| values[last * q / 4])
}

/// What the arguments ask for.
enum Parsed {
    Run(Settings),
    /// Arguments meant for another bench of the package (a name filter that does not match
    /// this one, or a flag this bench does not have).
    Skip(String),
}

/// `--workers N`, `--clients A,B,...`, `--rounds N`; cargo's own `--bench` is ignored. A bare
/// word is a name filter, as for every bench: this one runs only if its name contains it.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut settings = Settings {
        workers: 2,
        clients: vec![16, 256],
        rounds: 30,
    };
    while let Some(flag) = args.next() {
        let mut value = || match args.next() {
            Some(value) if value != "--bench" => Ok(value),
            _ => Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--bench" => {}
            "--workers" => settings.workers = number(&value()?, 1, 64)?,
            "--rounds" => settings.rounds = number(&value()?, 1, MAX_ROUNDS)?,
            "--clients" => {
                settings.clients = value()?
                    .split(',')
                    .map(|n| number(n, 1, ASKS as usize).map(|n| n as u64))
                    .collect::<Result<_, _>>()?;
            }
            filter if !filter.starts_with('-') => {
                if !"interleaved".contains(filter) {
                    return Ok(Parsed::Skip(format!(
                        "the filter {filter:?} names another bench"
                    )));
                }
            }
            other => {
                return Ok(Parsed::Skip(format!(
                    "{other:?} is not an option of this bench"
                )));
            }
        }
    }
    Ok(Parsed::Run(settings))
}

fn number(text: &str, low: usize, high: usize) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(format!("{text:?} is not a number from {low} to {high}")),
    }
}
