//! Liar's Dice under random play: nothing hidden leaks, dice are conserved,
//! every challenge has exactly one loser, nobody acts out of turn, and the
//! action log replays to the same state; every hand's published
//! commitments open at its call, and no salt is sent before it
//! ([`fairness`]).
//!
//! Each game is seeded: random table size (2–6), random countdown, random
//! legal moves, random timeouts, leaves and late arrivals, and random
//! out-of-turn attempts. The step that decides a match is run again with
//! another RNG and must decide the same way (the rules draw nothing before
//! an outcome: the room's per-match seeds rest on it, see `replay.rs`).
//! After every step the checker looks at every event
//! as each member would receive it (players and a spectator, all following
//! the live feed, the widest audience) and at every view, structurally in
//! JSON and through typed fields.
//!
//! `cargo test -p referee-rules --test dice_fuzz` plays 10³ games (10⁴ with
//! `--release`); `cargo test --release -p referee-rules --test dice_fuzz --
//! --ignored --nocapture` plays 10⁶ whole games (each to its end: a game
//! averages ~10 hands and ~44 checked steps), every check kept, on every core
//! (contiguous seed slices, one thread each; checking every view of every
//! member in JSON after every step costs ~14 µs a step). Measured once,
//! 2026-12-04: 10⁶ games, 44,185,693 steps, 9,774,566 hands, 9,557,615
//! challenges, 28,811,622 commitments opened, in ~605 s of CPU (2,814 s wall
//! on two threads of a shared 2-core machine at load 12–14).

#[path = "dice_fuzz/fairness.rs"]
mod fairness;

use std::collections::BTreeMap;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use referee_rules::{
    Audience, Bid, DiceAction, DiceConfig, DiceEvent, DiceView, Game, LiarsDice, LogEntry,
    MatchLog, Millis, PlayerId, Turn, Viewer, match_rng, replay, state_hash,
};
use serde_json::Value;

/// A spectator's member id (never a player's).
const SPECTATOR: PlayerId = PlayerId(u64::MAX);
/// A game that has not ended after this many steps is a bug.
const MAX_STEPS: usize = 20_000;
/// Games in the default run: 10⁴ in release, fewer in the slower debug build.
const GAMES: u64 = if cfg!(debug_assertions) {
    1_000
} else {
    10_000
};

/// One random game, with everything the checker needs to know.
struct Run {
    game: LiarsDice,
    rng: ChaCha8Rng,
    chooser: ChaCha8Rng,
    log: MatchLog<LiarsDice>,
    now: Millis,
    next_id: u64,
    /// Each player's unrevealed dice, as told to them alone.
    hidden: BTreeMap<PlayerId, Vec<u8>>,
    /// Dice the table should hold.
    dice: u32,
    challenges: u64,
    fairness: fairness::Fairness,
    /// Reused for serializing views.
    buffer: Vec<u8>,
}

/// What a million games add up to.
#[derive(Default)]
struct Totals {
    games: u64,
    steps: u64,
    hands: u64,
    challenges: u64,
    opened: u64,
}

impl Run {
    fn new(seed: u64) -> Run {
        let mut chooser = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let players = chooser.random_range(2..=6);
        let countdown = Millis(chooser.random_range(0..=15_000));
        let config = DiceConfig::new(players, Millis::from_secs(30), countdown).unwrap();
        let mut rng = match_rng(seed);
        let game = LiarsDice::new(&config, &mut rng);
        Run {
            game,
            rng,
            chooser,
            log: MatchLog::new(config, seed),
            now: Millis::ZERO,
            next_id: 1,
            hidden: BTreeMap::new(),
            dice: 0,
            challenges: 0,
            fairness: fairness::Fairness::default(),
            buffer: Vec::new(),
        }
    }

    fn seated(&self) -> Vec<PlayerId> {
        self.game
            .scores()
            .iter()
            .map(|score| score.player)
            .collect()
    }

    /// Applies one logged step and checks every invariant around it.
    fn step(&mut self, entry: LogEntry<DiceAction>) -> Vec<DiceEvent> {
        let before = self.game.clone();
        let acted = match &entry {
            LogEntry::Act { player, .. } => Some(*player),
            _ => None,
        };
        let events = entry
            .clone()
            .apply(&mut self.game, &mut self.rng)
            .unwrap_or_else(|rejection| panic!("legal move refused: {rejection:?}"));
        if let Some(player) = acted {
            assert_eq!(before.turn(), Turn::Player(player), "acted out of turn");
        }
        self.check_decided_before_drawing(&before, &entry, &events);
        self.log.entries.push(entry);
        self.check_events(&before, &events);
        self.check_views();
        events
    }

    /// The promise a room's per-match seeds rest on (`replay.rs`): a step
    /// that decides a match draws nothing before its outcome, so the same
    /// step run with another RNG decides the same way, with the same events
    /// up to the outcome.
    fn check_decided_before_drawing(
        &mut self,
        before: &LiarsDice,
        entry: &LogEntry<DiceAction>,
        events: &[DiceEvent],
    ) {
        let Some(decided) = events.iter().position(|e| LiarsDice::outcome(e).is_some()) else {
            return;
        };
        let mut other = before.clone();
        let mut other_rng = match_rng(self.chooser.random());
        let again = entry.clone().apply(&mut other, &mut other_rng).unwrap();
        let json = |events: &[DiceEvent]| serde_json::to_string(events).unwrap();
        assert_eq!(
            json(&again[..=decided]),
            json(&events[..=decided]),
            "the deciding step drew before its outcome"
        );
    }

    /// An action the rules must refuse, leaving the state as it was.
    fn attempt_out_of_turn(&mut self, player: PlayerId) {
        if self.game.turn() == Turn::Player(player) {
            return;
        }
        let action = if self.chooser.random_bool(0.5) {
            DiceAction::Liar
        } else {
            DiceAction::Bid(Bid::LOWEST)
        };
        let before = self.game.clone();
        let result = self.game.apply(player, 1, action, self.now, &mut self.rng);
        assert!(result.is_err(), "{player} acted out of turn");
        assert_eq!(self.game, before, "a rejection changed the state");
    }

    fn check_events(&mut self, before: &LiarsDice, events: &[DiceEvent]) {
        let mut members = self.seated();
        members.extend(before.scores().iter().map(|score| score.player));
        members.push(SPECTATOR);
        for event in events {
            let text = serde_json::to_string(event).unwrap();
            self.fairness.observe(before, event, &text);
            if !text.contains(r#""dice":["#) {
                self.track(before, event);
                continue;
            }
            let json: Value = serde_json::from_str(&text).unwrap();
            for &member in &members {
                if LiarsDice::audience(event).reaches(member, true) {
                    assert_no_foreign_dice(&json, member, event);
                }
            }
            if let DiceEvent::Rolled { player, .. } = event {
                assert_eq!(LiarsDice::audience(event), Audience::Player(*player));
            }
            self.track(before, event);
        }
    }

    /// Follows the dice count and the hidden hands through one event.
    fn track(&mut self, before: &LiarsDice, event: &DiceEvent) {
        match event {
            DiceEvent::MatchStarted { players, .. } => {
                self.dice = 5 * u32::try_from(players.len()).unwrap();
                self.hidden.clear();
            }
            DiceEvent::Rolled { player, dice, .. } => {
                self.hidden.insert(*player, dice.clone());
            }
            DiceEvent::Called {
                caller,
                bidder,
                bid,
                count,
                hands,
                loser,
                ..
            } => {
                self.challenges += 1;
                self.dice -= 1;
                let revealed: BTreeMap<_, _> =
                    hands.iter().map(|h| (h.player, h.dice.clone())).collect();
                let told: BTreeMap<_, _> = self
                    .hidden
                    .iter()
                    .filter(|(_, dice)| !dice.is_empty())
                    .map(|(p, d)| (*p, d.clone()))
                    .collect();
                assert_eq!(revealed, told, "the reveal differs from what owners saw");
                let real = hands
                    .iter()
                    .flat_map(|h| &h.dice)
                    .filter(|&&d| d == bid.face);
                assert_eq!(u32::try_from(real.count()).unwrap(), *count);
                let holds = *count >= bid.quantity;
                assert_eq!(*loser, if holds { *caller } else { *bidder }, "wrong loser");
                assert_eq!(before.view(Viewer::Spectator).bidder, Some(*bidder));
                if let Some(dice) = self.hidden.get_mut(loser) {
                    dice.pop();
                }
            }
            DiceEvent::Forfeited {
                player, dice_lost, ..
            } => {
                self.dice -= dice_lost;
                self.hidden.remove(player);
            }
            DiceEvent::Out { player } => {
                self.hidden.remove(player);
            }
            DiceEvent::MatchWon { .. } => self.hidden.clear(),
            _ => {}
        }
    }

    fn check_views(&mut self) {
        let public = self.game.view(Viewer::Spectator);
        assert_eq!(public.dice, None, "a spectator sees faces");
        self.fairness.check_view(&public);
        assert_eq!(dice_arrays(&public, &mut self.buffer), Vec::<String>::new());
        if public.playing {
            let on_table: u32 = public.seats.iter().map(|seat| seat.dice_count).sum();
            assert_eq!(on_table, self.dice, "dice not conserved");
        }
        for player in self.seated() {
            let view = self.game.view(Viewer::Player(player));
            let own = self.hidden.get(&player).filter(|dice| !dice.is_empty());
            assert_eq!(view.dice.as_ref(), own, "{player}'s view shows other dice");
            let expected: Vec<String> = own
                .map(|dice| format!("{dice:?}").replace(' ', ""))
                .into_iter()
                .collect();
            assert_eq!(
                dice_arrays(&view, &mut self.buffer),
                expected,
                "{player}'s view"
            );
        }
    }

    /// Plays until match 1 is decided; returns (steps, hands).
    fn play(&mut self) -> (u64, u64) {
        let players = self.game.config().players();
        let sitting = self.chooser.random_range(2..=players);
        for _ in 0..sitting {
            self.seat_newcomer();
        }
        let mut hands = 0;
        for steps in 0..MAX_STEPS {
            let events = self.random_step();
            hands += events
                .iter()
                .filter(|e| matches!(e, DiceEvent::HandStarted { .. }))
                .count() as u64;
            let won = events.iter().any(|e| LiarsDice::outcome(e).is_some());
            let stuck = self.seated().len() < 2 && self.game.turn() == Turn::Nobody;
            if won || stuck {
                self.check_replay();
                return (steps as u64 + 1, hands);
            }
        }
        panic!("game did not end in {MAX_STEPS} steps");
    }

    fn seat_newcomer(&mut self) {
        let player = PlayerId(self.next_id);
        self.next_id += 1;
        self.step(LogEntry::Seat {
            player,
            at: self.now,
        });
    }

    fn random_step(&mut self) -> Vec<DiceEvent> {
        self.now = self.now + Millis(self.chooser.random_range(0..3_000));
        let roll = self.chooser.random_range(0..100);
        let seated = self.seated();
        if roll < 10 {
            let other = seated[self.chooser.random_range(0..seated.len())];
            self.attempt_out_of_turn(other);
        }
        match (roll, self.game.turn(), self.game.deadline()) {
            (0..2, _, _) => {
                let leaver = seated[self.chooser.random_range(0..seated.len())];
                self.step(LogEntry::Leave {
                    player: leaver,
                    at: self.now,
                })
            }
            (2..3, _, _) => {
                self.seat_newcomer();
                Vec::new()
            }
            (_, Turn::Player(player), Some(deadline)) if roll < 8 || self.now >= deadline => {
                self.now = self.now.max(deadline);
                let _ = player;
                self.step(LogEntry::Tick { at: self.now })
            }
            (_, Turn::Player(player), _) => {
                let action = self.game.random_action(player, &mut self.chooser).unwrap();
                self.step(LogEntry::Act {
                    player,
                    seen_round: self.game.round(),
                    action,
                    at: self.now,
                })
            }
            (_, _, Some(deadline)) => {
                self.now = self.now.max(deadline);
                self.step(LogEntry::Tick { at: self.now })
            }
            _ => {
                self.seat_newcomer();
                Vec::new()
            }
        }
    }

    fn check_replay(&self) {
        let replayed = replay(&self.log).unwrap();
        assert_eq!(
            state_hash(&replayed).unwrap(),
            state_hash(&self.game).unwrap()
        );
    }
}

/// No object in `json` names a player other than `member` together with a
/// `dice` array — unless the event is a call, which reveals every hand.
fn assert_no_foreign_dice(json: &Value, member: PlayerId, event: &DiceEvent) {
    if matches!(event, DiceEvent::Called { .. }) {
        return;
    }
    walk(json, &mut |object| {
        let owner = object.get("player").and_then(Value::as_u64);
        let has_dice = object.get("dice").is_some_and(Value::is_array);
        assert!(
            !(has_dice && owner != Some(member.0)),
            "member {member} was sent another player's dice: {json}"
        );
    });
}

/// Every `dice` array in `view` serialized as JSON (the only field that
/// carries faces is named `dice`; counts are `dice_count`), e.g. `[2,5,5]`.
fn dice_arrays(view: &DiceView, buffer: &mut Vec<u8>) -> Vec<String> {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, view).unwrap();
    let json = std::str::from_utf8(buffer).unwrap();
    json.match_indices(r#""dice":["#)
        .map(|(at, key)| {
            let array = &json[at + key.len() - 1..];
            array[..=array.find(']').unwrap()].to_owned()
        })
        .collect()
}

fn walk(json: &Value, visit: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
    match json {
        Value::Object(object) => {
            visit(object);
            object.values().for_each(|value| walk(value, visit));
        }
        Value::Array(values) => values.iter().for_each(|value| walk(value, visit)),
        _ => {}
    }
}

fn play_games(first_seed: u64, games: u64) -> Totals {
    let mut totals = Totals::default();
    for seed in first_seed..first_seed + games {
        let mut run = Run::new(seed);
        let (steps, hands) = run.play();
        totals.games += 1;
        totals.steps += steps;
        totals.hands += hands;
        totals.challenges += run.challenges;
        totals.opened += run.fairness.opened;
    }
    totals
}

#[test]
fn a_thousand_random_games_leak_nothing() {
    let totals = play_games(0, GAMES);
    eprintln!(
        "{} games, {} steps, {} hands, {} challenges, {} commitments opened",
        totals.games, totals.steps, totals.hands, totals.challenges, totals.opened
    );
    assert!(
        totals.challenges > totals.games,
        "games too short to mean anything"
    );
    assert!(
        totals.opened >= 2 * totals.challenges,
        "calls opened no commitments"
    );
}

/// [`play_games`] on every core: seeds `first_seed..first_seed + games`,
/// split in contiguous slices, one per thread, totals added up.
fn play_games_in_parallel(first_seed: u64, games: u64) -> Totals {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let per_thread = games.div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let from = first_seed + i * per_thread;
                let count = per_thread.min((first_seed + games).saturating_sub(from));
                scope.spawn(move || play_games(from, count))
            })
            .collect();
        let mut totals = Totals::default();
        for worker in workers {
            let part = worker.join().unwrap();
            totals.games += part.games;
            totals.steps += part.steps;
            totals.hands += part.hands;
            totals.challenges += part.challenges;
            totals.opened += part.opened;
        }
        totals
    })
}

#[test]
#[ignore = "10⁶ whole games: run in release mode (see the module docs)"]
fn a_million_random_games_leak_nothing() {
    let start = std::time::Instant::now();
    let totals = play_games_in_parallel(1_000_000, 1_000_000);
    eprintln!(
        "{} games, {} steps, {} hands, {} challenges, {} commitments opened in {:.1?}",
        totals.games,
        totals.steps,
        totals.hands,
        totals.challenges,
        totals.opened,
        start.elapsed()
    );
    assert_eq!(totals.games, 1_000_000);
    assert!(totals.hands >= 1_000_000, "{} hands", totals.hands);
    assert!(
        totals.opened >= 2 * totals.challenges,
        "calls opened no commitments"
    );
}
