//! Failover under load, twenty times: three `referee` processes of one cluster (real
//! PostgreSQL, real NATS), one busy room, six netcat bots guessing in it as fast as answers
//! come from nodes other than the room's host at first. Twenty times in a row the room's
//! current host is SIGKILLed; each time the room must accept moves again within 5 s, on
//! another node, and the killed node starts again (a new run of the same name) so that
//! three stay. Bots whose node died re-dial another node and sit down in the same room.
//!
//! Then the history checker (`kills/history.rs`): every win any bot was told is stored, none
//! twice, none committed by a fenced epoch. The twenty failover times (SIGKILL to the first
//! move sent after the death and accepted) are printed sorted, with p50/p90/max
//! (`--nocapture`); docs/PERFORMANCE.md keeps a run's figures.
//!
//! A stall anywhere fails the test with every node's log (the killed runs' too), so that a
//! failure in CI can be read. Skipped (saying so) without PostgreSQL or NATS, unless
//! `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`.

#[path = "kills/bot.rs"]
mod bot;
mod common;
#[path = "kills/history.rs"]
mod history;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bot::{Dialable, Record, Shared, lock};
use common::cluster::{NodeProc, PATIENCE, live_host, print_logs, services};
use referee_store::pg_testing::TestSchema;

/// How many times the host is killed.
const KILLS: usize = 20;

/// Bots in the room.
const BOTS: usize = 6;

/// The promise: a killed host's room accepts moves again within this.
const BACK_WITHIN: Duration = Duration::from_secs(5);

/// A wait for the bots past which the test says who is late (and goes on waiting).
const SLOW: Duration = Duration::from_secs(4);

/// The nodes' names.
const NAMES: [&str; 3] = ["a", "b", "c"];

/// Seats for the bots and for the seats of killed bots, held for the window from their first
/// failover (`room/held.rs`; kills come faster than the window). When every adoption gave
/// every held seat a fresh window, 32 seats filled after ~10 kills ("room is full" in the
/// bots' lines; seen again with the carried deadline ignored, none since). A seat restored
/// for a connected player is held at least 10 s, so a surviving bot takes it back even at a
/// short window. A short lease for a quick failover; no limit on moves a second (the bots
/// guess flat out).
const FLAGS: &[&str] = &[
    "--players-per-room",
    "32",
    "--lease-ms",
    "1000",
    "--reconnect-window",
    "10",
    "--rate",
    "0",
];

// A minute of three processes under load: run by hand, not in the default test run
// (`-- --ignored --nocapture`). The session bug it found (a seat lost in a failover left the
// session silently seated, 1 run in 7) is fixed; green 5 runs in a row since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute of load; run with --ignored (docs/PERFORMANCE.md §11)"]
async fn a_busy_rooms_host_killed_twenty_times_comes_back_each_time_and_loses_no_win() {
    let Some(pg) = services("cluster_kills").await else {
        return;
    };
    let started = Instant::now();
    let mut cluster = Cluster::start(pg);
    let result = cluster.run().await;
    cluster.stop.store(true, Ordering::SeqCst);
    if let Err(why) = result {
        cluster.print_everything();
        panic!("{why}");
    }
    eprintln!("the whole test took {:?}", started.elapsed());
}

/// The three nodes, the bots' shared record, and the logs of the runs killed so far.
struct Cluster {
    pg: TestSchema,
    nodes: Vec<Option<NodeProc>>,
    killed: Vec<(String, Arc<Mutex<Vec<String>>>)>,
    shared: Shared,
    stop: Arc<AtomicBool>,
    bots: Vec<tokio::task::JoinHandle<()>>,
}

impl Cluster {
    fn start(pg: TestSchema) -> Cluster {
        let nodes: Vec<Option<NodeProc>> = NAMES
            .iter()
            .map(|name| Some(NodeProc::start(&pg, name, FLAGS)))
            .collect();
        let dialable = nodes
            .iter()
            .zip(NAMES)
            .filter_map(|(node, name)| {
                let node = node.as_ref()?;
                Some(Dialable {
                    name: name.to_owned(),
                    tcp: node.tcp,
                    up: true,
                })
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            room: 0,
            record: Arc::new(Mutex::new(Record::default())),
            nodes: Arc::new(Mutex::new(dialable)),
            stop: stop.clone(),
        };
        Cluster {
            pg,
            nodes,
            killed: Vec::new(),
            shared,
            stop,
            bots: Vec::new(),
        }
    }

    fn node(&self, name: &str) -> Result<&NodeProc, String> {
        let at = NAMES.iter().position(|n| *n == name);
        at.and_then(|at| self.nodes[at].as_ref())
            .ok_or_else(|| format!("node {name} is not running"))
    }

    async fn run(&mut self) -> Result<(), String> {
        let room = self.open_room().await?;
        let mut times = Vec::with_capacity(KILLS);
        let mut epoch = self.epoch(room)?;
        for kill in 1..=KILLS {
            let host = self.steady(room).await?;
            // Not always at the same point of a move: a pause of 0 to 300 ms.
            let pause = (kill as u64 * 7_919) % 300;
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let back = self.kill(host).await?;
            let now_epoch = self.epoch(room)?;
            let next = self.new_host(room, host).await?;
            eprintln!(
                "{} kill {kill:2}: host {host} SIGKILLed, room back on {next} (epoch {epoch} -> \
                 {now_epoch}) after {back:?}",
                bot::clock()
            );
            if back > BACK_WITHIN {
                return Err(format!("kill {kill}: the room came back after {back:?}"));
            }
            if now_epoch <= epoch {
                return Err(format!("kill {kill}: the claim's epoch stayed {now_epoch}"));
            }
            epoch = now_epoch;
            times.push(back);
            self.restart(host)?;
        }
        // Every bot plays once more with the last node back: nothing is left half done.
        self.steady(room).await?;
        self.stop.store(true, Ordering::SeqCst);
        for bot in self.bots.drain(..) {
            bot.abort();
        }
        self.check_history(room).await?;
        print_distribution(&mut times);
        Ok(())
    }

    /// A room on node a, the bots (half on b, half on c) seated in it and playing, and its
    /// opener gone: its number.
    async fn open_room(&mut self) -> Result<u64, String> {
        let (opener, room) = self.node("a")?.player().await;
        self.shared.room = room;
        for id in 0..BOTS {
            let first = if id % 2 == 0 { "b" } else { "c" };
            let shared = self.shared.clone();
            self.bots
                .push(tokio::spawn(bot::run(id, first.to_owned(), shared)));
        }
        self.steady(room).await?;
        drop(opener);
        Ok(room)
    }

    /// Waits until every bot had two moves answered since the last kill (the room is busy,
    /// every bot back in it) and a node holds the room's claim: that node.
    async fn steady(&self, room: u64) -> Result<&'static str, String> {
        let started = Instant::now();
        let mut slow_told = false;
        loop {
            let settled = {
                let record = lock(&self.shared.record);
                if let Some(trouble) = &record.trouble {
                    return Err(trouble.clone());
                }
                record.bots.len() == BOTS
                    && record
                        .bots
                        .iter()
                        .all(|bot| bot.node.is_some() && bot.answered >= 2)
            };
            let host = settled
                .then(|| tokio::task::block_in_place(|| live_host(&self.pg, room, &NAMES)))
                .flatten();
            if let Some(host) = host {
                if started.elapsed() > SLOW {
                    eprintln!("{} steady after {:?}", bot::clock(), started.elapsed());
                }
                return Ok(host);
            }
            if !slow_told && started.elapsed() > SLOW {
                // Slow, not failing: say who is late and on what, for the record.
                slow_told = true;
                eprintln!("{} not steady after {SLOW:?}:", bot::clock());
                self.print_bots();
            }
            if started.elapsed() > PATIENCE {
                let bots = lock(&self.shared.record).bots.clone();
                return Err(format!(
                    "the bots never all played in room {room}: {bots:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILLs `host` and waits for the first move sent after its death to be accepted:
    /// how long after the SIGKILL that was.
    async fn kill(&mut self, host: &str) -> Result<Duration, String> {
        for node in lock(&self.shared.nodes).iter_mut() {
            node.up &= node.name != host;
        }
        for bot in &mut lock(&self.shared.record).bots {
            (bot.accepted, bot.answered) = (0, 0);
        }
        let at = NAMES.iter().position(|n| *n == host).unwrap_or(0);
        let mut node = self.nodes[at]
            .take()
            .ok_or_else(|| format!("node {host} is not running"))?;
        eprintln!("{} SIGKILL {host}", bot::clock());
        let killed = Instant::now();
        node.child
            .kill()
            .map_err(|e| format!("SIGKILL {host}: {e}"))?;
        tokio::task::block_in_place(|| node.child.wait()).map_err(|e| e.to_string())?;
        let dead = Instant::now();
        self.killed.push((host.to_owned(), node.log.clone()));
        drop(node);
        loop {
            let first = {
                let record = lock(&self.shared.record);
                if let Some(trouble) = &record.trouble {
                    return Err(trouble.clone());
                }
                let after = record.accepted.iter().filter(|a| a.sent > dead);
                after.map(|a| a.answered).min()
            };
            if let Some(answered) = first {
                return Ok(answered - killed);
            }
            if dead.elapsed() > 2 * BACK_WITHIN {
                return Err(format!(
                    "no move accepted within {:?} of the kill",
                    2 * BACK_WITHIN
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The node holding the room's claim now: not `killed`.
    async fn new_host(&self, room: u64, killed: &str) -> Result<&'static str, String> {
        let host = tokio::task::block_in_place(|| live_host(&self.pg, room, &NAMES));
        match host {
            Some(host) if host != killed => Ok(host),
            other => Err(format!(
                "after killing {killed}, the room is held by {other:?}"
            )),
        }
    }

    fn epoch(&self, room: u64) -> Result<i64, String> {
        let sql = format!("SELECT epoch FROM room_claims WHERE room = 'room/{room}'");
        tokio::task::block_in_place(|| self.pg.count(&sql))
    }

    /// Starts `name` again (a new run), for bots to dial.
    fn restart(&mut self, name: &str) -> Result<(), String> {
        let node = tokio::task::block_in_place(|| NodeProc::start(&self.pg, name, FLAGS));
        for dialable in lock(&self.shared.nodes).iter_mut() {
            if dialable.name == name {
                dialable.tcp = node.tcp;
                dialable.up = true;
            }
        }
        let at = NAMES.iter().position(|n| *n == name).unwrap_or(0);
        self.nodes[at] = Some(node);
        Ok(())
    }

    async fn check_history(&self, room: u64) -> Result<(), String> {
        let (told, redials) = {
            let record = lock(&self.shared.record);
            (record.told.clone(), record.redials)
        };
        let findings = history::check(&self.pg, room, &told).await?;
        eprintln!(
            "history: {} wins told ({} tellings), {} rounds stored for the room, bots \
             re-dialled {redials} times",
            findings.told,
            told.len(),
            findings.stored
        );
        if findings.told == 0 {
            return Err("no win was told: the room was not busy".into());
        }
        if findings.problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the history does not hold: {:?}",
                findings.problems
            ))
        }
    }

    /// Every node's log, the killed runs' first, and what the bots saw.
    fn print_everything(&self) {
        let killed = self.killed.iter().map(|(name, log)| {
            let log = lock(log).clone();
            (name.as_str(), log)
        });
        let running = NAMES
            .iter()
            .zip(&self.nodes)
            .filter_map(|(name, node)| Some((*name, node.as_ref()?.log())));
        print_logs(killed.chain(running), 200);
        self.print_bots();
    }

    /// What each bot last sent and heard, and what they all saw.
    fn print_bots(&self) {
        let record = lock(&self.shared.record);
        for (id, bot) in record.bots.iter().enumerate() {
            eprintln!(
                "bot {id} on {:?}, {} moves answered ({} accepted) since the last kill:",
                bot.node, bot.answered, bot.accepted
            );
            for line in &bot.last {
                eprintln!("    {line}");
            }
        }
        eprintln!(
            "{} moves accepted, {} wins told, trouble: {:?}",
            record.accepted.len(),
            record.told.len(),
            record.trouble
        );
    }
}

/// Prints the failover times sorted, and their p50, p90 and max.
fn print_distribution(times: &mut [Duration]) {
    times.sort();
    let ms: Vec<u128> = times.iter().map(Duration::as_millis).collect();
    let at = |q: usize| {
        ms.get((ms.len() * q).div_ceil(100).saturating_sub(1))
            .copied()
    };
    eprintln!("failover times over {} kills, ms, sorted: {ms:?}", ms.len());
    eprintln!(
        "failover p50 {:?} ms, p90 {:?} ms, max {:?} ms",
        at(50),
        at(90),
        ms.last()
    );
}
