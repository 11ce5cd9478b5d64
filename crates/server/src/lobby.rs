//! The lobby: the directory of rooms, and where a player looks for a seat.
//!
//! The lobby counts seats, not players: a seat is reserved when the lobby hands out a room
//! and freed when the room reports that its holder left (or when a join fails). Rooms are
//! made on demand and forgotten when their last seat is freed; dropping the lobby's handle
//! then lets the room's actor stop.
//!
//! The lobby never waits on a room (rooms report to it with `tell`), so lobby and rooms form
//! no cycle of waiting actors.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::marker::PhantomData;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, StopReason};
use referee_protocol::notice::{RoomLabel, RoomListing};
use referee_rules::Render;

use crate::ids::RoomId;
use crate::records::RecorderHandle;
use crate::room::{Census, HeadCount, Room, RoomHandle, RoomSetup};

/// Letters of a private room's code: letters only (a code can never be taken for a room
/// number, and there is no 0 or 1 to confuse) and none that are easily confused (I, L, O).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
/// Letters in a code: 23^10 ≈ 4.1 × 10^13 codes, so that guessing one is hopeless at the
/// rate failed lookups are allowed (see `attempts.rs` and docs/RELIABILITY.md).
pub(crate) const CODE_LENGTH: usize = 10;
/// Codes are shown in groups of this many letters, joined by `-` (`ABCDE-FGHJK`).
const CODE_GROUP: usize = 5;

/// The canonical form of a code as a player typed it: case and separators (`-`, `_`, `.`,
/// spaces) do not matter. `None` if it cannot be a code.
pub(crate) fn canonical_code(wanted: &str) -> Option<String> {
    let letters: Vec<u8> = wanted
        .bytes()
        .filter(|b| !matches!(b, b'-' | b'_' | b'.' | b' ' | b'\t'))
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.len() != CODE_LENGTH || !letters.iter().all(|b| CODE_ALPHABET.contains(b)) {
        return None;
    }
    Some(grouped(&letters))
}

/// `letters` in groups of [`CODE_GROUP`], joined by `-`.
fn grouped(letters: &[u8]) -> String {
    let groups: Vec<String> = letters
        .chunks(CODE_GROUP)
        .map(|group| group.iter().map(|&b| char::from(b)).collect())
        .collect();
    groups.join("-")
}

/// A handle to the lobby actor.
pub(crate) type LobbyHandle<G> = ActorHandle<Lobby<G>>;

/// A reserved seat in a room: the holder must join it, or hand it back with [`SeatFreed`].
pub(crate) struct Seat<G: Render> {
    pub(crate) room: RoomId,
    pub(crate) label: RoomLabel,
    pub(crate) handle: RoomHandle<G>,
}

struct Entry<G: Render> {
    handle: RoomHandle<G>,
    code: Option<String>,
    seats: usize,
    census: Census,
}

/// The lobby actor's state.
pub(crate) struct Lobby<G: Render> {
    rooms: BTreeMap<RoomId, Entry<G>>,
    codes: HashMap<String, RoomId>,
    /// Public rooms with a free seat, fullest first: the head is where quick match goes.
    filling: BTreeSet<(Reverse<usize>, RoomId)>,
    next_id: RoomId,
    capacity: usize,
    config: G::Config,
    rng: StdRng,
    /// Draws the private rooms' codes: seeded by the OS, never by `--seed` (which only makes
    /// games repeatable), so that a code cannot be predicted from the games.
    codes_rng: StdRng,
    /// Handed to every room, to save its won rounds.
    recorder: Option<RecorderHandle>,
    /// Handed to every room: how long a dropped player's seat is kept.
    reconnect_window: Duration,
    /// Messages handled, mailbox high marks and restarts of the rooms already gone, so that
    /// the metrics' totals never go down when a room closes.
    retired: ActorTotals,
    /// Rounds won in rooms already gone.
    retired_won: u64,
}

/// What the actors of one kind have done, added up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActorTotals {
    /// Messages handled.
    pub(crate) handled: u64,
    /// Messages waiting in the mailboxes now.
    pub(crate) queued: u64,
    /// Restarts after a panic.
    pub(crate) restarts: u64,
}

impl ActorTotals {
    fn add(&mut self, stats: &referee_actor::ActorStats) {
        self.handled += stats.handled;
        self.queued += stats.mailbox_len as u64;
        self.restarts += u64::from(stats.restarts);
    }
}

impl<G: Render> Actor for Lobby<G> {}

impl<G: Render> Lobby<G> {
    /// Spawns the lobby. `capacity` is the number of seats per room; `rng` makes the games'
    /// secrets, `codes_rng` the private rooms' codes (it must be seeded by the OS).
    pub(crate) fn spawn(
        capacity: usize,
        config: G::Config,
        (rng, codes_rng): (StdRng, StdRng),
        recorder: Option<RecorderHandle>,
        reconnect_window: Duration,
    ) -> LobbyHandle<G> {
        let lobby = Lobby {
            codes_rng,
            recorder,
            reconnect_window,
            retired: ActorTotals::default(),
            retired_won: 0,
            rooms: BTreeMap::new(),
            codes: HashMap::new(),
            filling: BTreeSet::new(),
            next_id: 1,
            capacity: capacity.max(1),
            config,
            rng,
        };
        ActorBuilder::new()
            .name("lobby")
            .mailbox_capacity(1024)
            .spawn(lobby)
    }

    fn open(&mut self, private: bool, ctx: &Context<Self>) -> Option<RoomId> {
        let lobby = ctx.handle()?.downgrade();
        let id = self.next_id;
        self.next_id += 1;
        let code = private.then(|| self.new_code());
        let label = RoomLabel {
            id,
            code: code.clone(),
        };
        let setup = RoomSetup {
            label,
            capacity: self.capacity,
            config: self.config.clone(),
            rng: StdRng::from_rng(&mut self.rng),
            lobby,
            recorder: self.recorder.clone(),
            reconnect_window: self.reconnect_window,
            census: Census::default(),
        };
        let census = setup.census.clone();
        let handle = Room::spawn(setup);
        // A room that stops by itself (it crashed past its restart limit) must not be offered
        // again: the lobby watches it, without keeping it alive.
        let watched = handle.downgrade();
        ctx.pipe_to_self(async move { watched.wait_stopped().await }, move |reason| {
            RoomStopped { id, reason }
        });
        if let Some(code) = &code {
            self.codes.insert(code.clone(), id);
        }
        let entry = Entry {
            handle,
            code,
            seats: 0,
            census,
        };
        self.rooms.insert(id, entry);
        Some(id)
    }

    fn new_code(&mut self) -> String {
        loop {
            let letters: Vec<u8> = (0..CODE_LENGTH)
                .map(|_| CODE_ALPHABET[self.codes_rng.random_range(0..CODE_ALPHABET.len())])
                .collect();
            let code = grouped(&letters);
            if !self.codes.contains_key(&code) {
                return code;
            }
        }
    }

    /// Reserves a seat in room `id`, if it exists and has one free.
    fn reserve(&mut self, id: RoomId) -> Option<Seat<G>> {
        let capacity = self.capacity;
        let entry = self.rooms.get_mut(&id)?;
        if entry.seats >= capacity {
            return None;
        }
        let was = entry.seats;
        entry.seats += 1;
        let seat = Seat {
            room: id,
            label: RoomLabel {
                id,
                code: entry.code.clone(),
            },
            handle: entry.handle.clone(),
        };
        let public = entry.code.is_none();
        let now = entry.seats;
        if public {
            self.refile(id, was, now);
        }
        Some(seat)
    }

    /// Keeps `filling` in step with a public room's seat count.
    fn refile(&mut self, id: RoomId, was: usize, now: usize) {
        self.filling.remove(&(Reverse(was), id));
        if now < self.capacity {
            self.filling.insert((Reverse(now), id));
        }
    }

    fn free(&mut self, id: RoomId) {
        let Some(entry) = self.rooms.get_mut(&id) else {
            return;
        };
        let was = entry.seats;
        entry.seats = was.saturating_sub(1);
        let now = entry.seats;
        self.filling.remove(&(Reverse(was), id));
        if now == 0 {
            self.forget(id);
        } else if entry.code.is_none() {
            self.filling.insert((Reverse(now), id));
        }
    }

    /// Drops an empty room: its actor stops once the last handle to it is gone.
    fn forget(&mut self, id: RoomId) {
        if let Some(entry) = self.rooms.remove(&id) {
            let mut stats = entry.handle.stats();
            stats.mailbox_len = 0;
            self.retired.add(&stats);
            self.retired_won += entry.census.read().won;
            if let Some(code) = entry.code {
                self.codes.remove(&code);
                // After a flood of private rooms, give the memory back.
                if self.codes.capacity() > 64 && self.codes.capacity() > 4 * self.codes.len() {
                    self.codes.shrink_to(2 * self.codes.len());
                }
            }
        }
    }

    fn find(&self, wanted: &str) -> Option<RoomId> {
        match wanted.parse::<RoomId>() {
            Ok(id) => self
                .rooms
                .get(&id)
                .filter(|entry| entry.code.is_none())
                .map(|_| id),
            Err(_) => self.codes.get(&canonical_code(wanted)?).copied(),
        }
    }
}

/// The lobby is closing: no more seats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server is shutting down")]
pub(crate) struct Closing;

/// Quick match: a seat in the public room that is filling, or in a new one — never in the
/// room the player is leaving.
pub(crate) struct QuickMatch<G> {
    exclude: Option<RoomId>,
    _game: PhantomData<fn() -> G>,
}

impl<G> QuickMatch<G> {
    pub(crate) fn excluding(exclude: Option<RoomId>) -> Self {
        QuickMatch {
            exclude,
            _game: PhantomData,
        }
    }
}

impl<G: Render> Message for QuickMatch<G> {
    type Reply = Result<Seat<G>, Closing>;
}

impl<G: Render> Handler<QuickMatch<G>> for Lobby<G> {
    fn handle(
        &mut self,
        quick: QuickMatch<G>,
        ctx: &mut Context<Self>,
    ) -> Result<Seat<G>, Closing> {
        let filling = self
            .filling
            .iter()
            .map(|&(_, id)| id)
            .find(|&id| Some(id) != quick.exclude);
        let id = match filling {
            Some(id) => id,
            None => self.open(false, ctx).ok_or(Closing)?,
        };
        self.reserve(id).ok_or(Closing)
    }
}

/// Open a private room (joined by its code) and reserve a seat in it.
pub(crate) struct OpenPrivate<G>(PhantomData<fn() -> G>);

impl<G> OpenPrivate<G> {
    pub(crate) fn new() -> Self {
        OpenPrivate(PhantomData)
    }
}

impl<G: Render> Message for OpenPrivate<G> {
    type Reply = Result<Seat<G>, Closing>;
}

impl<G: Render> Handler<OpenPrivate<G>> for Lobby<G> {
    fn handle(&mut self, _: OpenPrivate<G>, ctx: &mut Context<Self>) -> Result<Seat<G>, Closing> {
        let id = self.open(true, ctx).ok_or(Closing)?;
        self.reserve(id).ok_or(Closing)
    }
}

/// Find a room by number (public rooms) or by code (private rooms), and reserve a seat.
pub(crate) struct FindRoom<G>(pub(crate) String, PhantomData<fn() -> G>);

impl<G> FindRoom<G> {
    pub(crate) fn new(wanted: &str) -> Self {
        FindRoom(wanted.to_owned(), PhantomData)
    }
}

/// Why a room could not be found or joined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FindError {
    #[error("no room {0} (type /rooms to list the public rooms)")]
    NoSuchRoom(String),
    #[error("{0} is full")]
    Full(RoomLabel),
}

impl<G: Render> Message for FindRoom<G> {
    type Reply = Result<Seat<G>, FindError>;
}

impl<G: Render> Handler<FindRoom<G>> for Lobby<G> {
    fn handle(&mut self, find: FindRoom<G>, _: &mut Context<Self>) -> Result<Seat<G>, FindError> {
        let wanted = referee_protocol::text::excerpt(&find.0, 24);
        let id = self.find(&find.0).ok_or(FindError::NoSuchRoom(wanted))?;
        self.reserve(id).ok_or_else(|| {
            let code = self.rooms.get(&id).and_then(|entry| entry.code.clone());
            FindError::Full(RoomLabel { id, code })
        })
    }
}

/// The public rooms with their seats, lowest number first: the first [`LISTED`] of them and
/// how many there are in all.
pub(crate) struct ListRooms;

/// Rooms listed at most.
pub(crate) const LISTED: usize = 20;

impl Message for ListRooms {
    type Reply = (Vec<RoomListing>, usize);
}

impl<G: Render> Handler<ListRooms> for Lobby<G> {
    fn handle(&mut self, _: ListRooms, _: &mut Context<Self>) -> (Vec<RoomListing>, usize) {
        let listed = self
            .rooms
            .iter()
            .filter(|(_, entry)| entry.code.is_none())
            .take(LISTED)
            .map(|(&id, entry)| RoomListing {
                id,
                players: entry.seats,
                capacity: self.capacity,
            })
            .collect();
        let total = self.rooms.len() - self.codes.len();
        (listed, total)
    }
}

/// Find a room to watch, by number or code. No seat is reserved: spectators take none.
pub(crate) struct Locate<G>(String, PhantomData<fn() -> G>);

impl<G> Locate<G> {
    pub(crate) fn new(wanted: &str) -> Self {
        Locate(wanted.to_owned(), PhantomData)
    }
}

/// A room found for watching.
pub(crate) struct Located<G: Render> {
    pub(crate) handle: RoomHandle<G>,
}

impl<G: Render> Message for Locate<G> {
    type Reply = Result<Located<G>, FindError>;
}

impl<G: Render> Handler<Locate<G>> for Lobby<G> {
    fn handle(
        &mut self,
        locate: Locate<G>,
        _: &mut Context<Self>,
    ) -> Result<Located<G>, FindError> {
        let wanted = referee_protocol::text::excerpt(&locate.0, 24);
        let id = self.find(&locate.0).ok_or(FindError::NoSuchRoom(wanted))?;
        let entry = self
            .rooms
            .get(&id)
            .ok_or(FindError::NoSuchRoom(id.to_string()))?;
        Ok(Located {
            handle: entry.handle.clone(),
        })
    }
}

/// The whole server's rooms, counted for the metrics.
pub(crate) struct TakeCensus;

/// What [`TakeCensus`] finds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerCensus {
    /// Rooms open.
    pub(crate) rooms: usize,
    /// People in them.
    pub(crate) heads: HeadCount,
    /// What the room actors have done, gone ones included.
    pub(crate) rooms_actors: ActorTotals,
}

impl Message for TakeCensus {
    type Reply = ServerCensus;
}

impl<G: Render> Handler<TakeCensus> for Lobby<G> {
    fn handle(&mut self, _: TakeCensus, _: &mut Context<Self>) -> ServerCensus {
        let mut census = ServerCensus {
            rooms: self.rooms.len(),
            rooms_actors: self.retired,
            heads: HeadCount {
                won: self.retired_won,
                ..HeadCount::default()
            },
        };
        for entry in self.rooms.values() {
            census.heads = census.heads + entry.census.read();
            census.rooms_actors.add(&entry.handle.stats());
        }
        census
    }
}

/// A room's actor stopped. Normally because the lobby forgot it (nothing to do), otherwise
/// because it crashed for good: it is forgotten, with its seats.
pub(crate) struct RoomStopped {
    id: RoomId,
    reason: StopReason,
}

impl Message for RoomStopped {
    type Reply = ();
}

impl<G: Render> Handler<RoomStopped> for Lobby<G> {
    fn handle(&mut self, stopped: RoomStopped, _: &mut Context<Self>) {
        if self.rooms.contains_key(&stopped.id) {
            tracing::error!(room = stopped.id, reason = %stopped.reason, "room stopped; forgotten");
            if let Some(entry) = self.rooms.get(&stopped.id) {
                self.filling.remove(&(Reverse(entry.seats), stopped.id));
            }
            self.forget(stopped.id);
        }
    }
}

/// A seat was given back: its holder left, or never managed to sit down.
pub(crate) struct SeatFreed(pub(crate) RoomId);

impl Message for SeatFreed {
    type Reply = ();
}

impl<G: Render> Handler<SeatFreed> for Lobby<G> {
    fn handle(&mut self, freed: SeatFreed, _: &mut Context<Self>) {
        self.free(freed.0);
    }
}

#[cfg(test)]
mod tests {
    use referee_rules::{GuessConfig, GuessNumber};

    use super::*;

    fn lobby() -> Lobby<GuessNumber> {
        Lobby {
            rooms: BTreeMap::new(),
            codes: HashMap::new(),
            filling: BTreeSet::new(),
            next_id: 1,
            capacity: 3,
            config: GuessConfig::default(),
            rng: StdRng::seed_from_u64(1),
            codes_rng: StdRng::seed_from_u64(2),
            recorder: None,
            reconnect_window: Duration::from_secs(30),
            retired: ActorTotals::default(),
            retired_won: 0,
        }
    }

    #[test]
    fn private_codes_are_letters_only_so_they_never_read_as_room_numbers() {
        let mut lobby = lobby();
        for _ in 0..5_000 {
            let code = lobby.new_code();
            let letters: String = code.chars().filter(|&c| c != '-').collect();
            assert_eq!(letters.len(), CODE_LENGTH, "{code}");
            assert_eq!(code.len(), CODE_LENGTH + 1, "one separator: {code}");
            assert!(letters.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(code.parse::<RoomId>().is_err());
            assert!(letters.parse::<RoomId>().is_err());
            assert!(!code.contains(['I', 'L', 'O', '0', '1']), "{code}");
            assert_eq!(canonical_code(&code).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn codes_are_read_whatever_the_case_and_separators() {
        let code = Some("ABCDE-FGHJK".to_owned());
        for typed in [
            "ABCDE-FGHJK",
            "abcdefghjk",
            " abcde fghjk ",
            "Abc-de_fg.hjk",
        ] {
            assert_eq!(canonical_code(typed), code, "{typed}");
        }
        for typed in [
            "ABCDE-FGHJ",
            "ABCDE-FGHJKM",
            "ABCDE-FGHJ1",
            "ABCDE-FGHJI",
            "12345",
        ] {
            assert_eq!(canonical_code(typed), None, "{typed}");
        }
    }

    #[test]
    fn codes_do_not_depend_on_the_game_seed() {
        let mut a = lobby();
        let mut b = lobby();
        b.codes_rng = StdRng::seed_from_u64(3);
        assert_ne!(
            a.new_code(),
            b.new_code(),
            "same game seed, other code seed"
        );
    }
}
