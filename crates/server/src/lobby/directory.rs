//! The lobby's seat directory: which rooms exist, how many seats each has taken, which
//! public room quick match fills next, and which private room a code opens.
//!
//! Pure bookkeeping, as the rules are: no tokio, no actors. What the lobby keeps for each
//! room (its actor's handle, its census) is the type parameter `R`, handed in when a room
//! is opened and handed back when it is forgotten; the lobby actor only translates its
//! messages into these calls. The directory counts seats, not players: a seat is reserved
//! when the lobby hands out a room and freed when its holder leaves (or a join fails); a
//! room is forgotten when its last seat is freed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::rngs::StdRng;
use referee_protocol::notice::{RoomLabel, RoomListing};

use super::code::{self, canonical_code};
use crate::cluster::view::RoomAd;
use crate::ids::RoomId;

/// Filling rooms quick match looks through for one on the player's shard, after the fullest:
/// a bound on the work per quick match when many rooms are half empty.
const SHARD_LOOKAHEAD: usize = 64;

/// One room in the directory.
struct Entry<R> {
    room: R,
    code: Option<String>,
    seats: usize,
    /// The game the room plays, and its seats in all.
    game: &'static str,
    capacity: usize,
    /// The shard the room runs on (`shard.rs`), if the server has shards.
    shard: Option<usize>,
}

/// The rooms and their seats.
pub(super) struct Directory<R> {
    rooms: BTreeMap<RoomId, Entry<R>>,
    codes: HashMap<String, RoomId>,
    /// Public rooms with a free seat by game, fullest first: the head of a game's range is
    /// where quick match goes for that game.
    filling: BTreeSet<(&'static str, Reverse<usize>, RoomId)>,
    next_id: RoomId,
    /// Seats per room of each game; games not listed have `capacity`.
    seats: Vec<(&'static str, usize)>,
    /// Seats per room of any other game.
    capacity: usize,
    /// Whether rooms of several games are listed (a listing then names each room's game).
    several: bool,
    /// Draws the private rooms' codes: seeded by the OS, never by `--seed` (which only makes
    /// games repeatable), so that a code cannot be predicted from the games.
    codes_rng: StdRng,
}

impl<R> Directory<R> {
    /// An empty directory of rooms of `capacity` seats (at least one).
    pub(super) fn new(capacity: usize, codes_rng: StdRng) -> Self {
        Directory {
            rooms: BTreeMap::new(),
            codes: HashMap::new(),
            filling: BTreeSet::new(),
            next_id: 1,
            seats: Vec::new(),
            capacity: capacity.max(1),
            several: false,
            codes_rng,
        }
    }

    /// Room numbers start at `first` (a cluster node's own range) instead of 1.
    pub(super) fn numbering_from(mut self, first: RoomId) -> Self {
        self.next_id = first.max(1);
        self
    }

    /// Listings name each room's game (the server hosts several).
    pub(super) fn naming_games(mut self, several: bool) -> Self {
        self.several = several;
        self
    }

    /// Rooms of `game` seat `capacity` players (at least one).
    pub(super) fn with_seats(mut self, game: &'static str, capacity: usize) -> Self {
        self.seats.retain(|&(other, _)| other != game);
        self.seats.push((game, capacity.max(1)));
        self
    }

    /// Seats per room of `game`.
    pub(super) fn capacity(&self, game: &str) -> usize {
        self.seats
            .iter()
            .find(|&&(other, _)| other == game)
            .map_or(self.capacity, |&(_, seats)| seats)
    }

    /// Opens a room of `game`, private (with a new code) or public, with no seat taken, on
    /// `shard`: `make` gets its label and makes what is kept for it.
    pub(super) fn open(
        &mut self,
        game: &'static str,
        (private, shard): (bool, Option<usize>),
        make: impl FnOnce(RoomLabel) -> R,
    ) -> RoomId {
        let id = self.next_id;
        self.next_id += 1;
        let code = private.then(|| self.new_code());
        let room = make(RoomLabel {
            id,
            code: code.clone(),
        });
        if let Some(code) = &code {
            self.codes.insert(code.clone(), id);
        }
        let entry = Entry {
            room,
            code,
            seats: 0,
            game,
            capacity: self.capacity(game),
            shard,
        };
        self.rooms.insert(id, entry);
        id
    }

    /// Takes in a room that comes from elsewhere (another node's, restored from its
    /// snapshot) under its own number and code, with `seats` already taken. `None` (and
    /// nothing changed) if that number or code is already open here, or `game` is not hosted.
    pub(super) fn adopt(
        &mut self,
        label: RoomLabel,
        game: &'static str,
        seats: usize,
        make: impl FnOnce(RoomLabel) -> R,
    ) -> Option<RoomId> {
        let id = label.id;
        let code_taken = label
            .code
            .as_ref()
            .is_some_and(|code| self.codes.contains_key(code));
        if self.rooms.contains_key(&id) || code_taken {
            return None;
        }
        let capacity = self.capacity(game);
        let code = label.code.clone();
        let room = make(label);
        if let Some(code) = &code {
            self.codes.insert(code.clone(), id);
        }
        let public = code.is_none();
        self.rooms.insert(
            id,
            Entry {
                room,
                code,
                seats,
                game,
                capacity,
                shard: None,
            },
        );
        if public && seats < capacity {
            self.filling.insert((game, Reverse(seats), id));
        }
        Some(id)
    }

    /// A code no open room has.
    fn new_code(&mut self) -> String {
        loop {
            let code = code::draw(&mut self.codes_rng);
            if !self.codes.contains_key(&code) {
                return code;
            }
        }
    }

    /// Reserves a seat in room `id`, if it exists and has one free: its label and room.
    pub(super) fn reserve(&mut self, id: RoomId) -> Option<(RoomLabel, &R)> {
        let entry = self.rooms.get_mut(&id)?;
        if entry.seats >= entry.capacity {
            return None;
        }
        let was = entry.seats;
        entry.seats += 1;
        let now = entry.seats;
        let (game, capacity) = (entry.game, entry.capacity);
        if entry.code.is_none() {
            self.refile(game, capacity, id, was, now);
        }
        let entry = self.rooms.get(&id)?;
        let label = RoomLabel {
            id,
            code: entry.code.clone(),
        };
        Some((label, &entry.room))
    }

    /// Keeps `filling` in step with a public room's seat count.
    fn refile(&mut self, game: &'static str, capacity: usize, id: RoomId, was: usize, now: usize) {
        self.filling.remove(&(game, Reverse(was), id));
        if now < capacity {
            self.filling.insert((game, Reverse(now), id));
        }
    }

    /// Gives a seat of room `id` back; returns the room if that was its last seat (it is
    /// forgotten).
    pub(super) fn free(&mut self, id: RoomId) -> Option<R> {
        let entry = self.rooms.get_mut(&id)?;
        let was = entry.seats;
        entry.seats = was.saturating_sub(1);
        let now = entry.seats;
        let game = entry.game;
        self.filling.remove(&(game, Reverse(was), id));
        if now == 0 {
            return self.forget(id);
        }
        if entry.code.is_none() {
            self.filling.insert((game, Reverse(now), id));
        }
        None
    }

    /// Forgets room `id` whatever its seats (its actor stopped for good); returns it.
    pub(super) fn remove(&mut self, id: RoomId) -> Option<R> {
        let entry = self.rooms.get(&id)?;
        self.filling.remove(&(entry.game, Reverse(entry.seats), id));
        self.forget(id)
    }

    /// Drops a room and its code.
    fn forget(&mut self, id: RoomId) -> Option<R> {
        let entry = self.rooms.remove(&id)?;
        if let Some(code) = entry.code {
            self.codes.remove(&code);
            // After a flood of private rooms, give the memory back.
            if self.codes.capacity() > 64 && self.codes.capacity() > 4 * self.codes.len() {
                self.codes.shrink_to(2 * self.codes.len());
            }
        }
        Some(entry.room)
    }

    /// Where quick match goes for `game`: its fullest public room with a free seat, never
    /// `exclude` — on shard `shard` if one of the first [`SHARD_LOOKAHEAD`] such rooms is
    /// there (then the player's guesses never cross threads), else the fullest anywhere (a
    /// player never waits alone in a new room while another room of the game has a seat).
    pub(super) fn filling(
        &self,
        game: &str,
        exclude: Option<RoomId>,
        shard: Option<usize>,
    ) -> Option<RoomId> {
        let mut candidates = self
            .filling
            .iter()
            .skip_while(|&&(other, ..)| other != game)
            .take_while(|&&(other, ..)| other == game)
            .map(|&(.., id)| id)
            .filter(|&id| Some(id) != exclude);
        let first = candidates.next()?;
        if shard.is_none() || self.shard_of(first) == shard {
            return Some(first);
        }
        let own = candidates
            .take(SHARD_LOOKAHEAD)
            .find(|&id| self.shard_of(id) == shard);
        Some(own.unwrap_or(first))
    }

    /// The shard room `id` runs on, if known.
    fn shard_of(&self, id: RoomId) -> Option<usize> {
        self.rooms.get(&id).and_then(|entry| entry.shard)
    }

    /// The game room `id` plays, if it is open.
    pub(super) fn game(&self, id: RoomId) -> Option<&'static str> {
        self.rooms.get(&id).map(|entry| entry.game)
    }

    /// Open rooms and seats taken, of `game`.
    pub(super) fn count(&self, game: &str) -> (usize, usize) {
        self.rooms
            .values()
            .filter(|entry| entry.game == game)
            .fold((0, 0), |(rooms, seats), entry| {
                (rooms + 1, seats + entry.seats)
            })
    }

    /// A room by number (public rooms only) or by code (private rooms, typed any way).
    pub(super) fn find(&self, wanted: &str) -> Option<RoomId> {
        match wanted.parse::<RoomId>() {
            Ok(id) => self
                .rooms
                .get(&id)
                .filter(|entry| entry.code.is_none())
                .map(|_| id),
            Err(_) => self.codes.get(&canonical_code(wanted)?).copied(),
        }
    }

    /// What is kept for room `id`, to change it.
    pub(super) fn get_mut(&mut self, id: RoomId) -> Option<&mut R> {
        self.rooms.get_mut(&id).map(|entry| &mut entry.room)
    }

    /// Room `id`'s label, if it is open.
    pub(super) fn label(&self, id: RoomId) -> Option<RoomLabel> {
        let code = self.rooms.get(&id)?.code.clone();
        Some(RoomLabel { id, code })
    }

    /// What is kept for room `id`, if it is open.
    pub(super) fn get(&self, id: RoomId) -> Option<&R> {
        self.rooms.get(&id).map(|entry| &entry.room)
    }

    /// Every open room's keep.
    pub(super) fn rooms(&self) -> impl Iterator<Item = &R> {
        self.rooms.values().map(|entry| &entry.room)
    }

    /// The numbers of the rooms open.
    pub(super) fn ids(&self) -> Vec<RoomId> {
        self.rooms.keys().copied().collect()
    }

    /// Rooms open.
    pub(super) fn len(&self) -> usize {
        self.rooms.len()
    }

    /// Every room `reachable` says the other nodes of a cluster can reach, as they see it
    /// (codes included: they resolve private rooms for their players), the first `limit` by
    /// number, and how many rooms there are in all.
    pub(super) fn ads(&self, limit: usize, reachable: impl Fn(&R) -> bool) -> (Vec<RoomAd>, usize) {
        let ads = self
            .rooms
            .iter()
            .filter(|(_, entry)| reachable(&entry.room))
            .take(limit)
            .map(|(&id, entry)| RoomAd {
                id,
                game: entry.game.to_owned(),
                code: entry.code.clone(),
                seats: entry.seats,
                capacity: entry.capacity,
            })
            .collect();
        (ads, self.rooms.len())
    }

    /// The public rooms with their seats, lowest number first, at most `limit` of them; and
    /// how many there are in all.
    pub(super) fn listing(&self, limit: usize) -> (Vec<RoomListing>, usize) {
        let listed = self
            .rooms
            .iter()
            .filter(|(_, entry)| entry.code.is_none())
            .take(limit)
            .map(|(&id, entry)| RoomListing {
                game: self.several.then(|| entry.game.to_owned()),
                id,
                players: entry.seats,
                capacity: entry.capacity,
            })
            .collect();
        let total = self.rooms.len() - self.codes.len();
        (listed, total)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::lobby::code::CODE_LENGTH;

    /// A directory of three-seat rooms whose rooms are just their labels.
    fn directory() -> Directory<RoomLabel> {
        Directory::new(3, StdRng::seed_from_u64(2))
    }

    fn public(directory: &mut Directory<RoomLabel>) -> RoomId {
        directory.open("guess", (false, None), |label| label)
    }

    #[test]
    fn private_codes_are_letters_only_so_they_never_read_as_room_numbers() {
        let mut lobby = directory();
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
    fn codes_do_not_depend_on_the_game_seed() {
        // The directory has no game generator at all: only the codes' own, from the OS.
        let mut a = directory();
        let mut b = Directory::<RoomLabel>::new(3, StdRng::seed_from_u64(3));
        assert_ne!(
            a.new_code(),
            b.new_code(),
            "same game seed, other code seed"
        );
    }

    #[test]
    fn quick_match_fills_the_fullest_public_room_first_and_skips_the_excluded_one() {
        let mut rooms = directory();
        let one = public(&mut rooms);
        let two = public(&mut rooms);
        assert!(rooms.reserve(one).is_some());
        assert!(rooms.reserve(two).is_some());
        assert!(rooms.reserve(two).is_some());
        assert_eq!(rooms.filling("guess", None, None), Some(two));
        assert_eq!(rooms.filling("guess", Some(two), None), Some(one));
    }

    #[test]
    fn quick_match_prefers_a_filling_room_on_the_players_shard_but_never_opens_one_for_it() {
        let mut rooms = directory();
        let fuller = rooms.open("guess", (false, Some(0)), |label| label);
        let mine = rooms.open("guess", (false, Some(1)), |label| label);
        assert!(rooms.reserve(fuller).is_some());
        assert!(rooms.reserve(fuller).is_some());
        assert!(rooms.reserve(mine).is_some());
        // Shard 1's player goes to shard 1's room, though the other is fuller.
        assert_eq!(rooms.filling("guess", None, Some(1)), Some(mine));
        assert_eq!(rooms.filling("guess", None, Some(0)), Some(fuller));
        // With no filling room on its shard, a player still joins the fullest elsewhere.
        assert_eq!(rooms.filling("guess", Some(mine), Some(1)), Some(fuller));
        assert_eq!(rooms.filling("guess", None, Some(2)), Some(fuller));
        // Without shards: the fullest, as ever.
        assert_eq!(rooms.filling("guess", None, None), Some(fuller));
    }

    #[test]
    fn a_full_room_takes_no_more_seats_and_is_not_filling() {
        let mut rooms = directory();
        let id = public(&mut rooms);
        for _ in 0..3 {
            assert!(rooms.reserve(id).is_some());
        }
        assert!(rooms.reserve(id).is_none());
        assert_eq!(rooms.filling("guess", None, None), None);
        assert!(rooms.free(id).is_none());
        assert_eq!(rooms.filling("guess", None, None), Some(id));
    }

    #[test]
    fn a_room_is_forgotten_with_its_last_seat() {
        let mut rooms = directory();
        let id = public(&mut rooms);
        assert!(rooms.reserve(id).is_some());
        assert!(rooms.reserve(id).is_some());
        assert!(rooms.free(id).is_none());
        assert_eq!(rooms.free(id).map(|label| label.id), Some(id));
        assert_eq!(rooms.len(), 0);
        assert_eq!(rooms.find(&id.to_string()), None);
        assert_eq!(rooms.filling("guess", None, None), None);
    }

    #[test]
    fn private_rooms_are_found_by_code_only_and_never_listed_or_filled() {
        let mut rooms = directory();
        let id = rooms.open("guess", (true, None), |label| label);
        assert!(rooms.reserve(id).is_some());
        let code = rooms
            .label(id)
            .and_then(|label| label.code)
            .unwrap_or_default();
        assert_eq!(rooms.find(&code.to_lowercase()), Some(id));
        assert_eq!(rooms.find(&id.to_string()), None);
        assert_eq!(rooms.filling("guess", None, None), None);
        assert_eq!(rooms.listing(20), (Vec::new(), 0));
        assert_eq!(rooms.remove(id).map(|label| label.id), Some(id));
        assert_eq!(rooms.find(&code), None);
    }

    #[test]
    fn the_listing_shows_public_rooms_lowest_number_first() {
        let mut rooms = directory();
        let ids: Vec<RoomId> = (0..3).map(|_| public(&mut rooms)).collect();
        assert!(rooms.reserve(ids[1]).is_some());
        let (listed, total) = rooms.listing(2);
        assert_eq!(total, 3);
        let seats: Vec<(RoomId, usize)> = listed.iter().map(|l| (l.id, l.players)).collect();
        assert_eq!(seats, vec![(ids[0], 0), (ids[1], 1)]);
    }

    #[test]
    fn quick_match_stays_within_its_game_and_each_game_has_its_own_seats() {
        let mut rooms = directory().with_seats("dice", 2);
        let guess = public(&mut rooms);
        let dice = rooms.open("dice", (false, None), |label| label);
        assert!(rooms.reserve(guess).is_some());
        assert!(rooms.reserve(dice).is_some());
        assert_eq!(rooms.filling("dice", None, None), Some(dice));
        assert_eq!(rooms.filling("guess", None, None), Some(guess));
        assert_eq!(rooms.filling("nim", None, None), None);
        assert!(rooms.reserve(dice).is_some());
        assert!(rooms.reserve(dice).is_none(), "two seats at a dice table");
        assert_eq!(rooms.filling("dice", None, None), None);
        assert_eq!(rooms.filling("guess", None, None), Some(guess));
        assert_eq!(rooms.game(dice), Some("dice"));
        assert_eq!(rooms.count("dice"), (1, 2));
        assert_eq!(rooms.count("guess"), (1, 1));
    }

    #[test]
    fn an_adopted_room_keeps_its_number_code_and_seats_and_a_taken_number_is_refused() {
        let mut directory = directory();
        let label = RoomLabel {
            id: 2_000_001,
            code: None,
        };
        let adopted = directory.adopt(label.clone(), "guess", 2, |label| label);
        assert_eq!(adopted, Some(2_000_001));
        assert_eq!(directory.filling("guess", None, None), Some(2_000_001));
        assert_eq!(directory.adopt(label, "guess", 1, |label| label), None);
        let code = directory.new_code();
        let private = RoomLabel {
            id: 2_000_002,
            code: Some(code.clone()),
        };
        assert!(
            directory
                .adopt(private, "guess", 1, |label| label)
                .is_some()
        );
        assert_eq!(directory.find(&code.to_lowercase()), Some(2_000_002));
        let clash = RoomLabel {
            id: 2_000_003,
            code: Some(code),
        };
        assert_eq!(directory.adopt(clash, "guess", 1, |label| label), None);
        // Its seats are freed as any room's: with the last one it is forgotten.
        assert!(directory.free(2_000_001).is_none());
        assert!(directory.free(2_000_001).is_some());
        assert_eq!(directory.len(), 1);
    }
}
