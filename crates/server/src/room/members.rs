//! Who sits in a room: name, connection outbox, whether they follow the live feed.

use std::collections::BTreeMap;

use referee_rules::PlayerId;

use crate::ids::default_name;
use crate::outbox::Outbox;

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
}

/// The members of a room, in player-number order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Members(BTreeMap<PlayerId, Member>);

impl Members {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn contains(&self, player: PlayerId) -> bool {
        self.0.contains_key(&player)
    }

    pub(crate) fn get(&self, player: PlayerId) -> Option<&Member> {
        self.0.get(&player)
    }

    pub(crate) fn get_mut(&mut self, player: PlayerId) -> Option<&mut Member> {
        self.0.get_mut(&player)
    }

    pub(crate) fn insert(&mut self, player: PlayerId, member: Member) {
        self.0.insert(player, member);
    }

    pub(crate) fn remove(&mut self, player: PlayerId) -> Option<Member> {
        self.0.remove(&player)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (PlayerId, &Member)> {
        self.0.iter().map(|(&id, member)| (id, member))
    }

    /// A player's display name, or the default name for someone no longer seated.
    pub(crate) fn name(&self, player: PlayerId) -> String {
        self.0
            .get(&player)
            .map_or_else(|| default_name(player), |member| member.name.clone())
    }

    /// Everyone's names, in seat order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.0.values().map(|member| member.name.clone()).collect()
    }
}
