//! Who is in a room: the seated players (name, connection, whether they follow the live
//! feed, whether their connection dropped) and the spectators who watch without a seat.

use std::collections::BTreeMap;

use litemap::LiteMap;
use referee_protocol::notice::Seated;
use referee_protocol::text::names_clash;
use referee_rules::PlayerId;

use crate::ids::default_name;
use crate::outbox::Outbox;
use crate::seating::Seating;

/// Spectators a room takes at most: each one costs every push a little.
pub(crate) const MAX_WATCHERS: usize = 64;

/// One seated player, as the room knows them. The outbox is the connection's; the room
/// never touches a socket.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) outbox: Outbox,
    /// Follows the feed: also receives events addressed to the feed (others' guesses).
    pub(crate) feed: bool,
    /// Chose their name (`/name`): their wins go on their record and the leaderboard.
    pub(crate) named: bool,
    /// Their connection dropped and they may come back (see `parking/`): the seat and
    /// score are kept, nothing is sent to them meanwhile.
    pub(crate) away: bool,
    /// The seat came with a room snapshot from another node and its player has not rejoined
    /// yet: the room itself frees it when the reconnect window ends (`snapshot.rs`), since
    /// no parking lot here holds it.
    pub(crate) restored: bool,
    /// While away: when the seat is freed if they have not come back, by the wall clock
    /// (ms since 1970), set once when they left, on whichever node saw it, and carried
    /// across failovers in the room's snapshot (`held.rs`). `None` while connected.
    pub(crate) held_until: Option<u64>,
    /// A restored seat's: the seating its player's session on another node followed the room
    /// by when the snapshot was taken — where the new host tells it that the room is back
    /// (`wire/back.rs`). `None` for any other seat.
    pub(crate) reach: Option<Seating>,
}

/// One spectator: a name for the members to see, and where their pushes go.
#[derive(Debug, Clone)]
struct Watcher {
    name: String,
    outbox: Outbox,
    feed: bool,
}

/// The members of a room, in player-number order, and its spectators.
///
/// The seated players are a sorted vector (`LiteMap`), not a B-tree: a room seats a few
/// players, and a B-tree's first leaf holds room for eleven. At three seats a room and two
/// copies of its members (the room's and its checkpoint's, `supervision.rs`), the leaves
/// were 3.5 KB a room, 1.2 KB of every idle connection's memory (docs/PERFORMANCE.md §3).
#[derive(Debug, Default, Clone)]
pub(crate) struct Members {
    seated: LiteMap<PlayerId, Member>,
    watching: BTreeMap<PlayerId, Watcher>,
    /// Who opened the private room (then the lowest-numbered player seated, if they leave): only
    /// they may forbid spectators. `None` in a public room.
    owner: Option<PlayerId>,
    /// The owner forbade spectators (`/spectators off`).
    closed: bool,
    /// Spectators on other nodes who watched the room when its snapshot was taken, restored
    /// with it and not watching here yet: the seating each follows the room by, where the new
    /// host tells them it is back (`wire/back.rs`). Gone once they watch again.
    restored_watchers: BTreeMap<PlayerId, Seating>,
}

impl Members {
    /// Seats taken (spectators take none).
    pub(crate) fn len(&self) -> usize {
        self.seated.len()
    }

    pub(crate) fn contains(&self, player: PlayerId) -> bool {
        self.seated.contains_key(&player)
    }

    /// Whether `player` is seated here (even away) or watching.
    pub(crate) fn is_in(&self, player: PlayerId) -> bool {
        self.seated.contains_key(&player) || self.watching.contains_key(&player)
    }

    pub(crate) fn get(&self, player: PlayerId) -> Option<&Member> {
        self.seated.get(&player)
    }

    pub(crate) fn get_mut(&mut self, player: PlayerId) -> Option<&mut Member> {
        self.seated.get_mut(&player)
    }

    pub(crate) fn insert(&mut self, player: PlayerId, member: Member) {
        self.seated.insert(player, member);
    }

    pub(crate) fn remove(&mut self, player: PlayerId) -> Option<Member> {
        let member = self.seated.remove(&player)?;
        if self.owner == Some(player) {
            self.owner = self.seated.first().map(|(&id, _)| id);
        }
        Some(member)
    }

    /// Every seated player, in seat order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (PlayerId, &Member)> + '_ {
        self.seated.iter().map(|(&id, member)| (id, member))
    }

    /// Who owns the room (a private room's opener), if anyone.
    pub(crate) fn owner(&self) -> Option<PlayerId> {
        self.owner
    }

    /// Makes `player` the owner of a private room, if it has none yet.
    pub(crate) fn claim(&mut self, player: PlayerId) {
        self.owner.get_or_insert(player);
    }

    /// Whether `player` owns the room.
    pub(crate) fn owns(&self, player: PlayerId) -> bool {
        self.owner == Some(player)
    }

    /// Whether spectators may watch.
    pub(crate) fn watchable(&self) -> bool {
        !self.closed
    }

    /// Lets spectators watch, or not.
    pub(crate) fn set_watchable(&mut self, watchable: bool) {
        self.closed = !watchable;
    }

    /// Everyone a push can reach now: seated players whose connection is up, and
    /// spectators, each with whether they follow the feed.
    pub(crate) fn reachable(&self) -> impl Iterator<Item = (PlayerId, bool)> + '_ {
        let seated = self
            .seated
            .iter()
            .filter(|(_, member)| !member.away)
            .map(|(&id, member)| (id, member.feed));
        let watching = self
            .watching
            .iter()
            .map(|(&id, watcher)| (id, watcher.feed));
        seated.chain(watching)
    }

    /// Where to push for `player`: a seated player's connection (unless away), or a
    /// spectator's.
    pub(crate) fn outbox(&self, player: PlayerId) -> Option<&Outbox> {
        match self.seated.get(&player) {
            Some(member) if member.away => None,
            Some(member) => Some(&member.outbox),
            None => self.watching.get(&player).map(|watcher| &watcher.outbox),
        }
    }

    /// A player's display name, or the default name for someone no longer seated.
    pub(crate) fn name(&self, player: PlayerId) -> String {
        self.seated
            .get(&player)
            .map_or_else(|| default_name(player), |member| member.name.clone())
    }

    /// Whether `name` is, or looks like, the name of a seated player other than `player`
    /// (see `referee_protocol::text::names_clash`).
    pub(crate) fn name_clashes(&self, player: PlayerId, name: &str) -> bool {
        self.seated
            .iter()
            .any(|(&other, member)| other != player && names_clash(&member.name, name))
    }

    /// Everyone seated, in seat order.
    pub(crate) fn seated(&self) -> Vec<Seated> {
        self.seated
            .iter()
            .map(|(&player, member)| Seated {
                player,
                name: member.name.clone(),
            })
            .collect()
    }

    /// Everyone watching, in player-number order.
    pub(crate) fn spectators(&self) -> Vec<Seated> {
        self.watching
            .iter()
            .map(|(&player, watcher)| Seated {
                player,
                name: watcher.name.clone(),
            })
            .collect()
    }

    /// Seated players whose connection dropped.
    pub(crate) fn away(&self) -> usize {
        self.seated.values().filter(|member| member.away).count()
    }

    /// Adds a spectator; `false` if the room has no room for one more.
    pub(crate) fn watch(
        &mut self,
        player: PlayerId,
        name: String,
        outbox: Outbox,
        feed: bool,
    ) -> bool {
        if self.watching.len() >= MAX_WATCHERS && !self.watching.contains_key(&player) {
            return false;
        }
        self.watching.insert(player, Watcher { name, outbox, feed });
        true
    }

    /// Spectators on other nodes to tell that the room is back, at most [`MAX_WATCHERS`]:
    /// each watching through NATS now (their seating), and each restored one not back yet.
    pub(crate) fn watcher_reaches(&self) -> Vec<(PlayerId, Seating)> {
        let watching = self.watching.iter().filter_map(|(&player, watcher)| {
            let seating = watcher.outbox.seating()?;
            seating.node.is_some().then_some((player, seating))
        });
        let restored = self
            .restored_watchers
            .iter()
            .filter(|(player, _)| !self.watching.contains_key(player))
            .map(|(&player, seating)| (player, seating.clone()));
        watching.chain(restored).take(MAX_WATCHERS).collect()
    }

    /// The spectators of a snapshot, to be told that the room is back (at most
    /// [`MAX_WATCHERS`]).
    pub(crate) fn restore_watchers(
        &mut self,
        watchers: impl IntoIterator<Item = (PlayerId, Seating)>,
    ) {
        self.restored_watchers = watchers.into_iter().take(MAX_WATCHERS).collect();
    }

    /// The seatings of the restored spectators not watching here yet.
    pub(crate) fn restored_watchers(&self) -> Vec<Seating> {
        self.restored_watchers.values().cloned().collect()
    }

    /// `player` watches again: whether they were a restored spectator (then no longer).
    pub(crate) fn watcher_back(&mut self, player: PlayerId) -> bool {
        self.restored_watchers.remove(&player).is_some()
    }

    /// Removes a spectator; their name, if they were one.
    pub(crate) fn unwatch(&mut self, player: PlayerId) -> Option<String> {
        self.watching.remove(&player).map(|watcher| watcher.name)
    }

    /// Removes every spectator: their numbers and names.
    pub(crate) fn unwatch_all(&mut self) -> Vec<Seated> {
        let spectators = self.spectators();
        self.watching.clear();
        spectators
    }

    /// How many spectators.
    pub(crate) fn watchers(&self) -> usize {
        self.watching.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::queue;

    use super::*;
    use crate::kick::Kick;

    fn outbox() -> Outbox {
        let (tx, _rx) = queue::channel(1);
        Outbox::new(tx, Kick::default())
    }

    fn name(id: u64) -> String {
        default_name(PlayerId(id))
    }

    fn member(name: &str) -> Member {
        Member {
            name: name.into(),
            outbox: outbox(),
            feed: false,
            named: false,
            away: false,
            restored: false,
            held_until: None,
            reach: None,
        }
    }

    #[test]
    fn ownership_passes_to_the_lowest_numbered_seated_when_the_owner_leaves() {
        let mut members = Members::default();
        for (id, name) in [(4, "Ann"), (2, "Bo"), (9, "Cy")] {
            members.insert(PlayerId(id), member(name));
        }
        members.claim(PlayerId(4));
        members.claim(PlayerId(2)); // the first claim stands
        assert!(members.owns(PlayerId(4)));
        members.remove(PlayerId(9));
        assert!(members.owns(PlayerId(4)), "another leaving changes nothing");
        members.remove(PlayerId(4));
        assert!(members.owns(PlayerId(2)));
        members.remove(PlayerId(2));
        assert!(!members.owns(PlayerId(2)));
    }

    #[test]
    fn spectators_through_nats_and_restored_ones_are_told_until_they_watch_again() {
        use std::sync::Arc;
        let mut members = Members::default();
        let through_nats = outbox()
            .for_seat(2)
            .of_connection(Some(Arc::from("b_r1")), 7);
        let local = outbox().for_seat(1).of_connection(None, 8);
        assert!(members.watch(PlayerId(3), name(3), through_nats, true));
        assert!(members.watch(PlayerId(4), name(4), local, true));
        let sam = Seating::here(7, 2).on_node("b_r1");
        assert_eq!(
            members.watcher_reaches(),
            [(PlayerId(3), sam.clone())],
            "not the local one"
        );
        let tia = Seating::here(9, 1).on_node("c_r2");
        members.restore_watchers([(PlayerId(5), tia.clone())]);
        assert_eq!(members.restored_watchers(), std::slice::from_ref(&tia));
        assert_eq!(
            members.watcher_reaches(),
            [(PlayerId(3), sam.clone()), (PlayerId(5), tia)],
            "a restored spectator is carried until back"
        );
        assert!(members.watcher_back(PlayerId(5)));
        assert!(!members.watcher_back(PlayerId(5)), "back once");
        assert!(members.restored_watchers().is_empty());
        assert_eq!(members.watcher_reaches(), [(PlayerId(3), sam)]);
    }

    #[test]
    fn spectators_are_bounded_and_take_no_seat() {
        let mut members = Members::default();
        for id in 0..MAX_WATCHERS as u64 {
            assert!(members.watch(PlayerId(id), name(id), outbox(), true));
        }
        assert!(
            !members.watch(PlayerId(1_000), name(1_000), outbox(), true),
            "one too many"
        );
        assert!(
            members.watch(PlayerId(3), name(3), outbox(), true),
            "watching again is no new spectator"
        );
        assert_eq!((members.len(), members.watchers()), (0, MAX_WATCHERS));
        assert_eq!(members.unwatch(PlayerId(3)), Some(name(3)));
        assert!(members.watch(PlayerId(1_000), name(1_000), outbox(), true));
    }

    #[test]
    fn nothing_reaches_a_member_who_is_away() {
        let mut members = Members::default();
        let member = |away| Member {
            name: "Ann".into(),
            outbox: outbox(),
            feed: false,
            named: false,
            away,
            restored: false,
            held_until: None,
            reach: None,
        };
        members.insert(PlayerId(1), member(false));
        members.insert(PlayerId(2), member(true));
        members.watch(PlayerId(3), name(3), outbox(), true);
        let reachable: Vec<(PlayerId, bool)> = members.reachable().collect();
        assert_eq!(reachable, [(PlayerId(1), false), (PlayerId(3), true)]);
        assert!(members.outbox(PlayerId(2)).is_none());
        assert_eq!((members.len(), members.away()), (2, 1));
    }
}
